#include "traceroute/trace_ledger.hpp"

#include <algorithm>
#include <limits>

namespace streamswarm::traceroute {
namespace {

constexpr std::size_t kNoProbe = std::numeric_limits<std::size_t>::max();

std::size_t familyIndex(Family f) {
  return f == Family::V4 ? 0 : 1;
}

}  // namespace

TraceLedger::TraceLedger(std::vector<IpAddress> destinations, int firstTtl, int maxHops, int rounds,
                         std::chrono::nanoseconds timeout)
    : destinations_(std::move(destinations)),
      firstTtl_(firstTtl),
      maxHops_(maxHops),
      rounds_(rounds),
      timeout_(timeout),
      records_(destinations_.size() * static_cast<std::size_t>(rounds) * static_cast<std::size_t>(maxHops)),
      limit_(destinations_.size(), maxHops),
      known_(destinations_.size(), false) {
  for (std::size_t t = 0; t < destinations_.size(); ++t) targetOf_.emplace(destinations_[t], t);
}

std::size_t TraceLedger::slot(std::size_t target, int round, int ttl) const {
  return (target * static_cast<std::size_t>(rounds_) + static_cast<std::size_t>(round)) *
             static_cast<std::size_t>(maxHops_) +
         static_cast<std::size_t>(ttl - 1);
}

const ProbeRecord& TraceLedger::record(std::size_t target, int round, int ttl) const {
  return records_.at(slot(target, round, ttl));
}

int TraceLedger::ttlLimit(std::size_t target) const {
  return limit_.at(target);
}

void TraceLedger::recordSend(std::size_t target, int round, int ttl, MonoTime mono, Family family,
                             const netprobe::SendOutcome& sent) {
  auto& r = at(target, round, ttl);
  r.sent = true;
  r.sendError = sent.error;
  r.sentMono = mono;
  r.sentWall = sent.userTime;
  order_.push_back({target, round, ttl});
  if (sent.txKey) {
    auto& keys = txKeys_[familyIndex(family)];
    if (keys.size() <= *sent.txKey) keys.resize(*sent.txKey + 1, kNoProbe);
    keys[*sent.txKey] = order_.size() - 1;
  }
}

void TraceLedger::recordTxTimestamp(const netprobe::TxTimestamp& stamp) {
  const auto& keys = txKeys_[familyIndex(stamp.family)];
  if (stamp.key >= keys.size() || keys[stamp.key] == kNoProbe) return;
  const auto& s = order_[keys[stamp.key]];
  at(s.target, s.round, s.ttl).sentKernel = stamp.kernelTime;
}

bool TraceLedger::recordAnswer(const ProbeAnswer& answer, WallTime when, bool kernelStamped,
                               std::optional<int> replyTtl) {
  const auto found = targetOf_.find(answer.destination);
  if (found == targetOf_.end()) return false;
  const auto target = found->second;
  const int round = roundOf(answer.index);
  const int ttl = ttlOf(answer.index);
  if (round >= rounds_ || ttl < 1 || ttl > maxHops_) return false;
  auto& r = at(target, round, ttl);
  if (!r.sent || r.sendError || r.answer) return false;
  r.answer =
      ProbeRecord::Answer{answer.kind, answer.from, answer.icmpType, answer.icmpCode, when, kernelStamped, replyTtl};
  if (answer.kind != ProbeAnswer::Kind::TimeExceeded) {
    limit_[target] = std::min(limit_[target], ttl);
    known_[target] = true;
  }
  return true;
}

bool TraceLedger::roundSettled(std::size_t target, int round, MonoTime now) const {
  for (int ttl = firstTtl_; ttl <= maxHops_; ++ttl) {
    const auto& r = record(target, round, ttl);
    if (r.sent && !r.answer && !r.sendError && now < r.sentMono + timeout_) return false;
  }
  return true;
}

bool TraceLedger::settled(MonoTime now) {
  while (firstUnsettled_ < order_.size()) {
    const auto& s = order_[firstUnsettled_];
    const auto& r = at(s.target, s.round, s.ttl);
    if (!r.answer && !r.sendError && now < r.sentMono + timeout_) return false;
    ++firstUnsettled_;
  }
  return true;
}

std::optional<MonoTime> TraceLedger::nextDeadline() const {
  for (auto i = firstUnsettled_; i < order_.size(); ++i) {
    const auto& s = order_[i];
    const auto& r = record(s.target, s.round, s.ttl);
    if (!r.answer && !r.sendError) return r.sentMono + timeout_;
  }
  return std::nullopt;
}

}  // namespace streamswarm::traceroute
