#include "ping/ping_ledger.hpp"

#include "common/rtt_statistics.hpp"
#include "ping/ping_payload.hpp"

#include <stdexcept>

namespace streamswarm::ping {
namespace {

std::size_t familyIndex(Family f) {
  return f == Family::V4 ? 0 : 1;
}

}  // namespace

PacketTiming timingOf(const PacketRecord& r) {
  PacketTiming t;
  if (r.state != PacketRecord::State::Replied || !r.replyWall) return t;
  const auto trip = netprobe::roundTrip(r.sentWall, r.sentKernel, *r.replyWall);
  t.rttMs = trip.ms;
  t.kernelBothEnds = trip.kernelSend && r.replyKernelStamped;
  return t;
}

PingLedger::PingLedger(std::vector<IpAddress> addresses, int count, std::uint32_t nonce, std::size_t payloadSize,
                       std::chrono::nanoseconds timeout)
    : addresses_(std::move(addresses)),
      count_(count),
      nonce_(nonce),
      payloadSize_(payloadSize),
      timeout_(timeout),
      records_(addresses_.size() * static_cast<std::size_t>(count)) {
  order_.reserve(records_.size());
  targetOf_.reserve(records_.size());
}

void PingLedger::recordSend(std::size_t target, int index, MonoTime mono, Family family,
                            const netprobe::SendOutcome& sent) {
  const auto at = target * static_cast<std::size_t>(count_) + static_cast<std::size_t>(index);
  auto& r = records_.at(at);
  r.sentMono = mono;
  r.sentWall = sent.userTime;
  r.state = sent.error ? PacketRecord::State::SendFailed : PacketRecord::State::Pending;
  r.sendError = sent.error;
  const auto packet = static_cast<std::uint32_t>(order_.size());
  order_.push_back(static_cast<std::uint32_t>(at));
  targetOf_.push_back(target);
  if (sent.txKey) {
    auto& keys = txKeys_[familyIndex(family)];
    if (keys.size() <= *sent.txKey) keys.resize(*sent.txKey + 1, UINT32_MAX);
    keys[*sent.txKey] = packet;
  }
}

void PingLedger::recordTxTimestamp(const netprobe::TxTimestamp& stamp) {
  const auto& keys = txKeys_[familyIndex(stamp.family)];
  if (stamp.key >= keys.size() || keys[stamp.key] == UINT32_MAX) return;
  slot(keys[stamp.key]).sentKernel = stamp.kernelTime;
}

std::optional<std::uint32_t> PingLedger::packetFor(std::uint16_t seq, Bytes payload, bool quoted) const {
  if (order_.empty()) return std::nullopt;
  const auto reading =
      quoted ? readQuotedPayload(payload, nonce_, payloadSize_) : readPayload(payload, nonce_, payloadSize_);
  const auto last = static_cast<std::uint32_t>(order_.size() - 1);
  if (reading.match == PayloadMatch::Foreign) return std::nullopt;
  if (reading.match == PayloadMatch::Ours) {
    if (reading.packet > last || sequenceOf(reading.packet) != seq) return std::nullopt;
    return reading.packet;
  }
  // No packet number in the payload: the latest request sent with this sequence number.
  const auto back = static_cast<std::uint16_t>(sequenceOf(last) - seq);
  if (back > last) return std::nullopt;
  return last - back;
}

PingLedger::Match PingLedger::recordReply(const IpAddress& from, std::uint16_t seq, Bytes payload, WallTime when,
                                          bool kernelStamped, std::optional<int> ttl) {
  const auto packet = packetFor(seq, payload, false);
  if (!packet || addresses_[targetOf_[*packet]] != from) return Match::NotOurs;
  auto& r = slot(*packet);
  if (r.state == PacketRecord::State::Replied) {
    ++r.duplicates;
    return Match::Duplicate;
  }
  if (r.state != PacketRecord::State::Pending && r.state != PacketRecord::State::IcmpError) return Match::NotOurs;
  r.state = PacketRecord::State::Replied;
  r.replyWall = when;
  r.replyKernelStamped = kernelStamped;
  r.ttl = ttl;
  return Match::Reply;
}

bool PingLedger::recordIcmpError(const IpAddress& destination, std::uint16_t seq, Bytes payloadPrefix,
                                 IcmpErrorInfo info) {
  const auto packet = packetFor(seq, payloadPrefix, true);
  if (!packet || addresses_[targetOf_[*packet]] != destination) return false;
  auto& r = slot(*packet);
  if (r.state != PacketRecord::State::Pending) return false;
  r.state = PacketRecord::State::IcmpError;
  r.icmp = std::move(info);
  return true;
}

bool PingLedger::settled(MonoTime now) {
  while (firstUnsettled_ < order_.size()) {
    const auto& r = records_[order_[firstUnsettled_]];
    if (r.state == PacketRecord::State::Pending && now < r.sentMono + timeout_) return false;
    ++firstUnsettled_;
  }
  return true;
}

std::optional<MonoTime> PingLedger::nextDeadline() const {
  for (auto i = firstUnsettled_; i < order_.size(); ++i) {
    const auto& r = records_[order_[i]];
    if (r.state == PacketRecord::State::Pending) return r.sentMono + timeout_;
  }
  return std::nullopt;
}

const PacketRecord& PingLedger::record(std::size_t target, int index) const {
  return records_.at(target * static_cast<std::size_t>(count_) + static_cast<std::size_t>(index));
}

}  // namespace streamswarm::ping
