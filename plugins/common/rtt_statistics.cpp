#include "common/rtt_statistics.hpp"

#include <algorithm>
#include <cmath>

namespace streamswarm::netprobe {

void RttAccumulator::add(double value) {
  ++count_;
  if (count_ == 1) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  const double delta = value - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (value - mean_);
  last_ = value;
}

RttSummary RttAccumulator::summary() const {
  RttSummary s;
  s.count = count_;
  if (count_ == 0) return s;
  s.min = min_;
  s.max = max_;
  s.mean = mean_;
  s.last = last_;
  const double m2 = std::max(0.0, m2_);  // rounding can leave a tiny negative
  s.stddevPopulation = std::sqrt(m2 / static_cast<double>(count_));
  s.stddevSample = count_ > 1 ? std::sqrt(m2 / static_cast<double>(count_ - 1)) : 0.0;
  return s;
}

JitterSummary jitterOf(std::span<const std::optional<double>> rtts) {
  JitterSummary j;
  std::optional<double> previous;
  double sumAbs = 0;
  for (const auto& rtt : rtts) {
    if (!rtt) continue;
    if (previous) {
      const double d = std::fabs(*rtt - *previous);
      j.rfc3550 += (d - j.rfc3550) / 16.0;
      sumAbs += d;
      ++j.pairs;
    }
    previous = rtt;
  }
  if (j.pairs > 0) j.meanAbsoluteDifference = sumAbs / static_cast<double>(j.pairs);
  return j;
}

RoundTrip roundTrip(WallTime sentUser, const std::optional<WallTime>& sentKernel, WallTime received) {
  const bool kernel = sentKernel && *sentKernel >= sentUser && *sentKernel <= received;
  const auto sent = kernel ? *sentKernel : sentUser;
  return {std::max(0.0, std::chrono::duration<double, std::milli>(received - sent).count()), kernel};
}

double lossPercent(std::size_t sent, std::size_t received) {
  if (sent == 0) return 0;
  const auto lost = received >= sent ? 0 : sent - received;
  return 100.0 * static_cast<double>(lost) / static_cast<double>(sent);
}

}  // namespace streamswarm::netprobe
