// Round-trip-time statistics shared by ping and traceroute: min/avg/max and both standard
// deviations (population, as iputils ping's "mdev"; sample, as mtr's "StDev"), and jitter.
#pragma once

#include "common/socket_events.hpp"

#include <cstddef>
#include <optional>
#include <span>

namespace streamswarm::netprobe {

struct RttSummary {
  std::size_t count = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddevPopulation = 0;  // sqrt(sum((x - mean)^2) / n)
  double stddevSample = 0;      // sqrt(sum((x - mean)^2) / (n - 1)); 0 for one value
  double last = 0;              // the value added last
};

// Welford's running mean and variance: one pass, no catastrophic cancellation.
class RttAccumulator {
 public:
  void add(double value);
  std::size_t count() const { return count_; }
  RttSummary summary() const;

 private:
  std::size_t count_ = 0;
  double mean_ = 0;
  double m2_ = 0;
  double min_ = 0;
  double max_ = 0;
  double last_ = 0;
};

struct JitterSummary {
  std::size_t pairs = 0;              // consecutive replies compared
  double rfc3550 = 0;                 // RFC 3550 6.4.1 interarrival jitter: J += (|D| - J) / 16
  double meanAbsoluteDifference = 0;  // mean of |rtt[i] - rtt[i-1]|
};

// Jitter over RTTs in send order; std::nullopt marks a packet without a reply, and pairs are formed
// from consecutive replies only. For a ping, the difference of two RTTs is RFC 3550's D(i-1, i):
// the change in transit time, with sender and receiver on the same clock.
JitterSummary jitterOf(std::span<const std::optional<double>> rtts);

struct RoundTrip {
  double ms = 0;
  bool kernelSend = false;  // measured from the kernel's transmit timestamp
};

// A reply's round trip from the best send time there is: the kernel's transmit timestamp when it
// is consistent with the user-space send time and the reply (a clock step would break that), else
// the user-space time taken just before the send. Never negative.
RoundTrip roundTrip(WallTime sentUser, const std::optional<WallTime>& sentKernel, WallTime received);

// 100 * (sent - received) / sent; 0 when nothing was sent. Duplicates never push it below 0.
double lossPercent(std::size_t sent, std::size_t received);

}  // namespace streamswarm::netprobe
