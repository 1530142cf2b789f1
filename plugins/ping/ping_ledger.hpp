// Every echo request of a run and what became of it: sent when (user and kernel clocks), answered
// when, by which TTL, duplicated, refused by an ICMP error, or never sent. Replies are matched to
// requests by sequence number and by the packet number our payload carries. Pure: fed by the
// runner, read by the report.
#pragma once

#include "common/ip_address.hpp"
#include "common/socket_events.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::ping {

using netprobe::Bytes;
using netprobe::Family;
using netprobe::IpAddress;
using netprobe::MonoTime;
using netprobe::WallTime;

struct IcmpErrorInfo {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::optional<IpAddress> from;
  std::string description;  // "destination unreachable (host)", "time exceeded"
};

struct PacketRecord {
  enum class State : std::uint8_t { Unsent, Pending, Replied, SendFailed, IcmpError };
  State state = State::Unsent;
  MonoTime sentMono{};
  WallTime sentWall{};                 // user clock, just before sendto()
  std::optional<WallTime> sentKernel;  // kernel transmit timestamp, when one arrived
  std::optional<WallTime> replyWall;   // kernel receive timestamp, else when it was read
  bool replyKernelStamped = false;
  std::optional<int> ttl;  // of the reply
  std::uint32_t duplicates = 0;
  int sendError = 0;  // errno
  std::optional<IcmpErrorInfo> icmp;
};

// A reply's round trip, from the best clock readings the packet has.
struct PacketTiming {
  std::optional<double> rttMs;
  bool kernelBothEnds = false;  // kernel transmit and receive timestamps
};

PacketTiming timingOf(const PacketRecord& record);

class PingLedger {
 public:
  // `addresses[t]` is target t's address; each target gets `count` requests of `payloadSize` bytes.
  PingLedger(std::vector<IpAddress> addresses, int count, std::uint32_t nonce, std::size_t payloadSize,
             std::chrono::nanoseconds timeout);

  std::uint32_t nonce() const { return nonce_; }
  std::size_t payloadSize() const { return payloadSize_; }
  // The packet number the next recordSend() will assign; its sequence number is the low 16 bits.
  std::uint32_t nextPacket() const { return static_cast<std::uint32_t>(order_.size()); }
  static std::uint16_t sequenceOf(std::uint32_t packet) { return static_cast<std::uint16_t>(packet & 0xffff); }

  void recordSend(std::size_t target, int index, MonoTime mono, Family family, const netprobe::SendOutcome& sent);
  void recordTxTimestamp(const netprobe::TxTimestamp& stamp);

  enum class Match : std::uint8_t { Reply, Duplicate, NotOurs };
  // An echo reply from `from` with sequence `seq` and `payload`.
  Match recordReply(const IpAddress& from, std::uint16_t seq, Bytes payload, WallTime when, bool kernelStamped,
                    std::optional<int> ttl);
  // An ICMP error about the request to `destination` with `seq`, quoting `payloadPrefix` of it.
  bool recordIcmpError(const IpAddress& destination, std::uint16_t seq, Bytes payloadPrefix, IcmpErrorInfo info);

  // True when every request sent so far is answered, failed or past its timeout.
  bool settled(MonoTime now);
  // The earliest timeout of a request still waiting, if any; after settled(now), one after `now`.
  std::optional<MonoTime> nextDeadline() const;

  const PacketRecord& record(std::size_t target, int index) const;
  int count() const { return count_; }
  std::size_t targets() const { return addresses_.size(); }
  const IpAddress& addressOf(std::size_t target) const { return addresses_.at(target); }

 private:
  std::optional<std::uint32_t> packetFor(std::uint16_t seq, Bytes payload, bool quoted) const;
  PacketRecord& slot(std::uint32_t packet) { return records_[order_[packet]]; }

  std::vector<IpAddress> addresses_;
  int count_;
  std::uint32_t nonce_;
  std::size_t payloadSize_;
  std::chrono::nanoseconds timeout_;
  std::vector<PacketRecord> records_;  // target * count + index
  std::vector<std::uint32_t> order_;   // packet number -> index into records_
  std::vector<std::size_t> targetOf_;  // packet number -> target
  // Per family, the packet each transmit-timestamp key belongs to.
  std::vector<std::uint32_t> txKeys_[2];
  std::size_t firstUnsettled_ = 0;  // packets before it are settled
};

}  // namespace streamswarm::ping
