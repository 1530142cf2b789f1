// Every probe of a traceroute run, by target, round and TTL: when it was sent (user and kernel
// clocks) and what answered it. Also decides how far later rounds need to go: no further than the
// TTL at which the destination (or an unreachable) answered. Pure: fed by the runner, read by the
// hop aggregator.
#pragma once

#include "common/ip_address.hpp"
#include "common/socket_events.hpp"
#include "traceroute/trace_probe_codec.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace streamswarm::traceroute {

using netprobe::MonoTime;
using netprobe::WallTime;

struct ProbeRecord {
  struct Answer {
    ProbeAnswer::Kind kind = ProbeAnswer::Kind::TimeExceeded;
    IpAddress from;
    std::uint8_t icmpType = 0;
    std::uint8_t icmpCode = 0;
    WallTime when{};  // kernel receive timestamp, else when it was read
    bool kernelStamped = false;
    std::optional<int> replyTtl;
  };
  bool sent = false;
  int sendError = 0;  // errno when the kernel refused it
  MonoTime sentMono{};
  WallTime sentWall{};
  std::optional<WallTime> sentKernel;
  std::optional<Answer> answer;  // the first one
};

class TraceLedger {
 public:
  // One row of `rounds` x TTL 1..maxHops per destination.
  TraceLedger(std::vector<IpAddress> destinations, int firstTtl, int maxHops, int rounds,
              std::chrono::nanoseconds timeout);

  std::size_t targets() const { return destinations_.size(); }
  const IpAddress& destination(std::size_t target) const { return destinations_.at(target); }
  int firstTtl() const { return firstTtl_; }
  int maxHops() const { return maxHops_; }
  int rounds() const { return rounds_; }

  // The highest TTL worth probing next for `target`: the lowest TTL at which the destination or an
  // unreachable answered, else max_hops.
  int ttlLimit(std::size_t target) const;
  // Whether the destination (or an unreachable) has answered, so ttlLimit() is final.
  bool distanceKnown(std::size_t target) const { return known_.at(target); }
  // Whether every probe `target` got in `round` is answered, refused or past its timeout.
  bool roundSettled(std::size_t target, int round, MonoTime now) const;

  void recordSend(std::size_t target, int round, int ttl, MonoTime mono, Family family,
                  const netprobe::SendOutcome& sent);
  void recordTxTimestamp(const netprobe::TxTimestamp& stamp);
  // False when the answer is not about a probe of this run, or its probe was answered already.
  bool recordAnswer(const ProbeAnswer& answer, WallTime when, bool kernelStamped, std::optional<int> replyTtl);

  bool settled(MonoTime now);
  std::optional<MonoTime> nextDeadline() const;

  const ProbeRecord& record(std::size_t target, int round, int ttl) const;

 private:
  std::size_t slot(std::size_t target, int round, int ttl) const;
  ProbeRecord& at(std::size_t target, int round, int ttl) { return records_.at(slot(target, round, ttl)); }

  struct Sent {
    std::size_t target;
    int round;
    int ttl;
  };

  std::vector<IpAddress> destinations_;
  std::map<IpAddress, std::size_t> targetOf_;
  int firstTtl_;
  int maxHops_;
  int rounds_;
  std::chrono::nanoseconds timeout_;
  std::vector<ProbeRecord> records_;    // [target][round][ttl - 1]
  std::vector<int> limit_;              // per target, see ttlLimit()
  std::vector<bool> known_;             // per target, see distanceKnown()
  std::vector<Sent> order_;             // in send order: deadlines never decrease
  std::vector<std::size_t> txKeys_[2];  // per family: key -> index into order_
  std::size_t firstUnsettled_ = 0;
};

}  // namespace streamswarm::traceroute
