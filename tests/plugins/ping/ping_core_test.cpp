#define BOOST_TEST_MODULE ping_core
// The pure parts of ping: option validation, the send schedule, the payload stamp, reply matching
// in the ledger, and the statistics, metrics and document of the report.
#include "ping/ping_ledger.hpp"
#include "ping/ping_options.hpp"
#include "ping/ping_payload.hpp"
#include "ping/ping_report.hpp"
#include "ping/ping_schedule.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <map>
#include <string>

using namespace streamswarm;
using namespace streamswarm::ping;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace tt = boost::test_tools;

namespace {

PingOptions options(std::map<std::string, std::string> given) {
  return parsePingOptions(Options::validated(pingConfigKeys(), given));
}

std::string configError(std::map<std::string, std::string> given) {
  try {
    options(std::move(given));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

MonoTime at(std::chrono::nanoseconds d) {
  return MonoTime(d);
}
WallTime wallAt(std::chrono::nanoseconds d) {
  return WallTime(std::chrono::seconds(1'700'000'000) + d);
}

netprobe::SendOutcome sentAt(std::chrono::nanoseconds d, std::optional<std::uint32_t> key = std::nullopt) {
  netprobe::SendOutcome s;
  s.userTime = wallAt(d);
  s.txKey = key;
  return s;
}

std::vector<std::uint8_t> stampOf(const PingLedger& ledger, std::uint32_t packet) {
  std::vector<std::uint8_t> out;
  writePayload(ledger.nonce(), packet, ledger.payloadSize(), out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults) {
  const auto o = options({{"targets", "192.0.2.1, example.org"}});
  BOOST_TEST(o.targets.size() == 2u);
  BOOST_TEST(o.count == 5);
  BOOST_TEST(o.interval.count() == 1'000'000'000);
  BOOST_TEST(o.timeout.count() == 2'000'000'000);
  BOOST_TEST(o.size == 56u);
  BOOST_TEST(o.sendRate == 1000.0);
  BOOST_TEST(!o.tos.has_value());
  BOOST_TEST(!o.source.has_value());
  BOOST_TEST((o.socket == netprobe::IcmpSocketPreference::Auto));
}

BOOST_AUTO_TEST_CASE(values_and_dscp) {
  const auto o = options({{"targets", "::1"},
                          {"dscp", "46"},
                          {"ttl", "9"},
                          {"source", "::1"},
                          {"family", "ipv6"},
                          {"socket", "datagram"},
                          {"send_rate", "0"},
                          {"size", "0"}});
  BOOST_TEST(*o.tos == 46 << 2);  // EF
  BOOST_TEST(*o.ttl == 9);
  BOOST_TEST(o.source->toString() == "::1");
  BOOST_TEST((o.family == netprobe::FamilyChoice::V6));
  BOOST_TEST((o.socket == netprobe::IcmpSocketPreference::Datagram));
  BOOST_TEST(o.sendRate == 0.0);
  BOOST_TEST(o.size == 0u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_option) {
  BOOST_TEST(configError({}).find("'targets'") != std::string::npos);
  BOOST_TEST(configError({{"targets", " , "}}).find("'targets'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a,b,a"}}).find("listed twice") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"count", "0"}}).find("'count'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"size", "65508"}}).find("'size'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"tos", "4"}, {"dscp", "1"}}).find("'dscp'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"source", "eth0"}}).find("'source'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"source", "10.0.0.1"}, {"family", "ipv6"}}).find("'source'") !=
             std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"family", "inet"}}).find("'family'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"interval", "0.1ms"}}).find("'interval'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"colour", "red"}}).find("'colour'") != std::string::npos);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += (many.empty() ? "" : ",") + std::to_string(i);
  BOOST_TEST(configError({{"targets", many}, {"count", "1000"}}).find("packets per run") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schedule)

BOOST_AUTO_TEST_CASE(round_robin_paced_by_rate_and_interval) {
  // 3 targets x 2, 1 s apart per target, at most 10 per second overall (100 ms apart).
  PingSchedule s(3, 2, 1s, 10, at(0s));
  std::vector<std::pair<std::size_t, int>> order;
  std::vector<std::chrono::nanoseconds> times;
  auto now = at(0s);
  while (!s.done()) {
    now = std::max(now, s.nextTime());
    order.emplace_back(s.peek().target, s.peek().index);
    times.push_back(now.time_since_epoch());
    s.commit(now);
  }
  const std::vector<std::pair<std::size_t, int>> expected = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}};
  BOOST_TEST((order == expected));
  BOOST_TEST(times[1].count() == 100'000'000);
  BOOST_TEST(times[2].count() == 200'000'000);
  BOOST_TEST(times[3].count() == 1'000'000'000);  // the target's interval, not the rate, holds it back
  BOOST_TEST(times[5].count() == 1'200'000'000);
  BOOST_TEST(s.committed() == 6u);
}

BOOST_AUTO_TEST_CASE(unlimited_rate_sends_a_round_at_once_and_late_sends_do_not_bunch) {
  PingSchedule s(4, 2, 10ms, 0, at(0s));
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(s.nextTime().time_since_epoch().count() == 0);
    s.commit(at(0s));
  }
  BOOST_TEST((s.nextTime() == at(10ms)));
  // The loop got to send 40 ms late: the other overdue requests go right away, not all at 10 ms.
  s.commit(at(50ms));
  BOOST_TEST((s.nextTime() <= at(50ms)));
  BOOST_TEST(s.peek().target == 1u);
  BOOST_TEST(!s.done());
}

BOOST_AUTO_TEST_CASE(a_late_loop_catches_up_with_the_planned_rate_within_a_bound) {
  PingSchedule s(100, 1, 1s, 1000, at(0s));  // one request per ms
  s.commit(at(0ms));
  BOOST_TEST((s.nextTime() == at(1ms)));
  s.commit(at(4ms));                      // woke 3 ms late
  BOOST_TEST((s.nextTime() == at(2ms)));  // the plan, not 5 ms: the overdue ones go now
  s.commit(at(4ms));
  s.commit(at(4ms));
  BOOST_TEST((s.nextTime() == at(4ms)));
  s.commit(at(4ms));
  BOOST_TEST((s.nextTime() == at(5ms)));  // caught up: back to one per ms
  s.commit(at(100ms));                    // woke 95 ms late: only kMaxPacingDebt is made up
  BOOST_TEST((s.nextTime() == at(100ms) - kMaxPacingDebt + 1ms));
}

BOOST_AUTO_TEST_CASE(peek_without_commit_is_a_retry) {
  PingSchedule s(2, 1, 1s, 1000, at(0s));
  const auto first = s.peek();
  BOOST_TEST(s.peek().target == first.target);  // a send that failed with EAGAIN is tried again
  s.commit(at(0s));
  BOOST_TEST(s.peek().target == 1u);
  BOOST_TEST((s.nextTime() == at(1ms)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(payload)

BOOST_AUTO_TEST_CASE(stamp_round_trip_and_foreign_payloads) {
  std::vector<std::uint8_t> p;
  writePayload(0xa1b2c3d4, 77, 56, p);
  BOOST_TEST(p.size() == 56u);
  const auto r = readPayload(p, 0xa1b2c3d4, 56);
  BOOST_TEST((r.match == PayloadMatch::Ours));
  BOOST_TEST(r.packet == 77u);
  BOOST_TEST((readPayload(p, 0xa1b2c3d5, 56).match == PayloadMatch::Foreign));  // another run
  BOOST_TEST((readPayload(p, 0xa1b2c3d4, 64).match == PayloadMatch::Foreign));  // another size
  p[0] = 'X';
  BOOST_TEST((readPayload(p, 0xa1b2c3d4, 56).match == PayloadMatch::Foreign));
}

BOOST_AUTO_TEST_CASE(short_payloads_and_quotes) {
  std::vector<std::uint8_t> p;
  writePayload(5, 9, 6, p);
  BOOST_TEST((readPayload(p, 5, 6).match == PayloadMatch::Short));
  writePayload(5, 9, 0, p);
  BOOST_TEST((readPayload(p, 5, 0).match == PayloadMatch::Short));
  writePayload(0x05000000, 9, 1000, p);
  const netprobe::Bytes all(p);
  BOOST_TEST((readQuotedPayload(all.first(20), 0x05000000, 1000).match == PayloadMatch::Ours));
  BOOST_TEST(readQuotedPayload(all.first(20), 0x05000000, 1000).packet == 9u);
  BOOST_TEST((readQuotedPayload(all.first(4), 0x05000000, 1000).match == PayloadMatch::Short));
  BOOST_TEST((readQuotedPayload(all.first(4), 0x06000000, 1000).match == PayloadMatch::Short));  // nonce not in view
  BOOST_TEST((readQuotedPayload(all.first(6), 0x06000000, 1000).match == PayloadMatch::Foreign));
  // RFC 4884 pads quotes with zeros beyond our data: still ours.
  p.resize(1100, 0);
  BOOST_TEST((readQuotedPayload(p, 0x05000000, 1000).match == PayloadMatch::Ours));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ledger)

BOOST_AUTO_TEST_CASE(replies_duplicates_strangers_and_errors) {
  PingLedger l({ip("192.0.2.1"), ip("192.0.2.2")}, 2, 42, 56, 1s);
  l.recordSend(0, 0, at(0ms), Family::V4, sentAt(0ms));
  l.recordSend(1, 0, at(1ms), Family::V4, sentAt(1ms));
  BOOST_TEST(!l.settled(at(2ms)));
  BOOST_TEST((l.nextDeadline() == at(1000ms)));

  using M = PingLedger::Match;
  BOOST_TEST((l.recordReply(ip("192.0.2.1"), 0, stampOf(l, 0), wallAt(3ms), true, 60) == M::Reply));
  BOOST_TEST((l.recordReply(ip("192.0.2.1"), 0, stampOf(l, 0), wallAt(4ms), true, 60) == M::Duplicate));
  // Right sequence, wrong sender; right sender, another run's payload; sequence and payload disagree.
  BOOST_TEST((l.recordReply(ip("192.0.2.9"), 1, stampOf(l, 1), wallAt(4ms), true, 60) == M::NotOurs));
  std::vector<std::uint8_t> other;
  writePayload(43, 1, 56, other);
  BOOST_TEST((l.recordReply(ip("192.0.2.2"), 1, other, wallAt(4ms), true, 60) == M::NotOurs));
  BOOST_TEST((l.recordReply(ip("192.0.2.2"), 0, stampOf(l, 1), wallAt(4ms), true, 60) == M::NotOurs));
  // Not sent yet.
  BOOST_TEST((l.recordReply(ip("192.0.2.1"), 2, stampOf(l, 2), wallAt(4ms), true, 60) == M::NotOurs));

  BOOST_TEST(l.recordIcmpError(ip("192.0.2.2"), 1, netprobe::Bytes(stampOf(l, 1)).first(20),
                               {3, 1, ip("198.51.100.1"), "destination unreachable (host)"}));
  BOOST_TEST(l.settled(at(5ms)));
  BOOST_TEST(!l.nextDeadline().has_value());

  const auto& a = l.record(0, 0);
  BOOST_TEST((a.state == PacketRecord::State::Replied));
  BOOST_TEST(a.duplicates == 1u);
  BOOST_TEST(*a.ttl == 60);
  BOOST_TEST(*timingOf(a).rttMs == 3.0, tt::tolerance(1e-9));
  BOOST_TEST(!timingOf(a).kernelBothEnds);  // no transmit stamp
  BOOST_TEST((l.record(1, 0).state == PacketRecord::State::IcmpError));
  BOOST_TEST(l.record(1, 0).icmp->from->toString() == "198.51.100.1");
  BOOST_TEST((l.record(0, 1).state == PacketRecord::State::Unsent));
}

BOOST_AUTO_TEST_CASE(timeouts_settle_and_kernel_transmit_stamps_are_used_when_consistent) {
  PingLedger l({ip("2001:db8::1")}, 3, 1, 56, 100ms);
  l.recordSend(0, 0, at(0ms), Family::V6, sentAt(0ms, 0));
  l.recordSend(0, 1, at(10ms), Family::V6, sentAt(10ms, 1));
  l.recordSend(0, 2, at(20ms), Family::V6, sentAt(20ms, 2));
  l.recordTxTimestamp({Family::V6, 0, wallAt(0ms) + 20us});
  l.recordTxTimestamp({Family::V4, 1, wallAt(10ms) + 20us});  // other family's key space: ignored
  l.recordTxTimestamp({Family::V6, 2, wallAt(19ms)});         // before the send: a clock step; ignored
  l.recordTxTimestamp({Family::V6, 9, wallAt(19ms)});         // unknown key: ignored
  l.recordReply(ip("2001:db8::1"), 0, stampOf(l, 0), wallAt(1ms), true, 64);
  l.recordReply(ip("2001:db8::1"), 2, stampOf(l, 2), wallAt(22ms), true, 64);
  BOOST_TEST(!l.settled(at(109ms)));  // request 1 waits until 110 ms
  BOOST_TEST(l.settled(at(110ms)));
  BOOST_TEST(*timingOf(l.record(0, 0)).rttMs == 0.98, tt::tolerance(1e-9));
  BOOST_TEST(timingOf(l.record(0, 0)).kernelBothEnds);
  BOOST_TEST(!l.record(0, 1).sentKernel.has_value());
  BOOST_TEST(*timingOf(l.record(0, 2)).rttMs == 2.0, tt::tolerance(1e-9));
  BOOST_TEST(!timingOf(l.record(0, 2)).kernelBothEnds);
}

BOOST_AUTO_TEST_CASE(sequence_numbers_wrap_and_short_payloads_match_the_latest_request) {
  PingLedger l({ip("192.0.2.1")}, 70000, 3, 4, 1s);
  for (int i = 0; i < 65536 + 10; ++i) l.recordSend(0, i, at(std::chrono::microseconds(i)), Family::V4, sentAt(0ms));
  // Packet 65541 has sequence 5; with no packet number in a 4-byte payload, seq 5 means it, not packet 5.
  std::vector<std::uint8_t> p;
  writePayload(3, 0, 4, p);
  BOOST_TEST((l.recordReply(ip("192.0.2.1"), 5, p, wallAt(1s), false, 1) == PingLedger::Match::Reply));
  BOOST_TEST((l.record(0, 65541).state == PacketRecord::State::Replied));
  BOOST_TEST((l.record(0, 5).state == PacketRecord::State::Pending));
  BOOST_TEST(PingLedger::sequenceOf(65541) == 5);
}

BOOST_AUTO_TEST_CASE(send_failures) {
  PingLedger l({ip("192.0.2.1")}, 1, 1, 56, 1s);
  auto failed = sentAt(0ms);
  failed.error = ENETUNREACH;
  l.recordSend(0, 0, at(0ms), Family::V4, failed);
  BOOST_TEST(l.settled(at(0ms)));
  BOOST_TEST((l.record(0, 0).state == PacketRecord::State::SendFailed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(summary_statistics_and_jitter) {
  PingLedger l({ip("192.0.2.1")}, 5, 7, 56, 1s);
  const double rtts[] = {10, 12, 0, 11, 1500};  // request 2 lost, request 4 late
  for (int i = 0; i < 5; ++i) {
    const auto t = std::chrono::seconds(i);
    l.recordSend(0, i, at(t), Family::V4, sentAt(t));
    if (i == 2) continue;
    l.recordReply(ip("192.0.2.1"), static_cast<std::uint16_t>(i), stampOf(l, static_cast<std::uint32_t>(i)),
                  wallAt(t + std::chrono::microseconds(static_cast<long>(rtts[i] * 1000))), true, 50 + i);
  }
  l.recordReply(ip("192.0.2.1"), 0, stampOf(l, 0), wallAt(20ms), true, 50);  // a duplicate
  const auto s = summarize(l, 0, 1s);
  BOOST_TEST(s.sent == 5u);
  BOOST_TEST(s.received == 3u);
  BOOST_TEST(s.late == 1u);
  BOOST_TEST(s.duplicates == 1u);
  BOOST_TEST(s.lossPercent == 40.0, tt::tolerance(1e-9));
  BOOST_TEST(s.rtt.min == 10.0, tt::tolerance(1e-9));
  BOOST_TEST(s.rtt.max == 12.0, tt::tolerance(1e-9));
  BOOST_TEST(s.rtt.mean == 11.0, tt::tolerance(1e-9));
  BOOST_TEST(s.rtt.stddevPopulation == std::sqrt(2.0 / 3.0), tt::tolerance(1e-9));
  BOOST_TEST(s.jitter.pairs == 2u);
  BOOST_TEST(s.jitter.meanAbsoluteDifference == 1.5, tt::tolerance(1e-9));
  BOOST_TEST(*s.replyTtl == 53);
  BOOST_TEST(s.rtts.size() == 5u);
  BOOST_TEST(!s.rtts[2].has_value());
  BOOST_TEST(!s.rtts[4].has_value());
  BOOST_TEST(!s.ttls[4].has_value());
}

BOOST_AUTO_TEST_CASE(result_metrics_document_and_errors) {
  PingLedger l({ip("192.0.2.1"), ip("192.0.2.2")}, 2, 7, 56, 1s);
  l.recordSend(0, 0, at(0s), Family::V4, sentAt(0s));
  l.recordSend(1, 0, at(0s), Family::V4, sentAt(0s));
  l.recordSend(0, 1, at(1s), Family::V4, sentAt(1s));
  auto failed = sentAt(1s);
  failed.error = EHOSTUNREACH;
  l.recordSend(1, 1, at(1s), Family::V4, failed);
  l.recordReply(ip("192.0.2.1"), 0, stampOf(l, 0), wallAt(2ms), true, 60);
  l.recordIcmpError(ip("192.0.2.2"), 1, stampOf(l, 1), {3, 1, ip("10.9.9.9"), "destination unreachable (host)"});
  const ReportSettings settings{2, 56, 1s, 1s};

  TargetReport good{"alpha", ip("192.0.2.1"), 0.5, "raw", ""};
  const auto r = buildPingResult(good, &l, 0, settings, false);
  BOOST_TEST(r.target == "alpha");
  BOOST_TEST(r.error == "");
  std::map<std::string, double> m(r.metrics.begin(), r.metrics.end());
  BOOST_TEST(m.at("packets_sent") == 2.0);
  BOOST_TEST(m.at("packets_received") == 1.0);
  BOOST_TEST(m.at("loss_percent") == 50.0);
  BOOST_TEST(m.at("rtt_avg_ms") == 2.0, tt::tolerance(1e-9));
  BOOST_TEST(m.count("jitter_ms") == 0u);  // one reply: no pair
  BOOST_TEST(m.at("resolve_ms") == 0.5);
  for (const auto& [name, value] : r.metrics) {
    bool declared = false;
    for (const auto& d : pingMetrics()) declared = declared || values::metricMatches(d.name, name);
    BOOST_TEST(declared, name);
  }
  const auto doc = json::parse(r.document).as_object();
  BOOST_TEST(doc.at("address").as_string() == "192.0.2.1");
  BOOST_TEST(doc.at("socket").as_string() == "raw");
  BOOST_TEST(doc.at("rtts_ms").as_array().size() == 2u);
  BOOST_TEST(doc.at("rtts_ms").as_array()[1].is_null());
  BOOST_TEST(doc.at("rtt_ms").as_object().at("min").to_number<double>() == 2.0, tt::tolerance(1e-9));

  TargetReport bad{"beta", ip("192.0.2.2"), 0, "raw", ""};
  const auto b = buildPingResult(bad, &l, 1, settings, false);
  BOOST_TEST(b.error == "no reply: destination unreachable (host) from 10.9.9.9");
  const auto bdoc = json::parse(b.document).as_object();
  const auto& events = bdoc.at("events").as_array();
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].as_object().at("kind").as_string() == "icmp_error");
  BOOST_TEST(events[1].as_object().at("kind").as_string() == "send_error");

  TargetReport unresolved{"gamma", std::nullopt, 12.5, "", "cannot resolve 'gamma': Name or service not known"};
  const auto u = buildPingResult(unresolved, nullptr, 0, settings, false);
  BOOST_TEST(u.error == unresolved.problem);
  BOOST_TEST(u.metrics.size() == 1u);  // resolve_ms only
  BOOST_TEST(json::parse(u.document).as_object().at("address").is_null());
}

BOOST_AUTO_TEST_CASE(all_lost_all_refused_and_cancelled) {
  PingLedger l({ip("192.0.2.1"), ip("192.0.2.2")}, 3, 7, 56, 1s);
  auto failed = sentAt(0s);
  failed.error = ENETUNREACH;
  for (int i = 0; i < 2; ++i) {
    l.recordSend(0, i, at(0s), Family::V4, sentAt(0s));
    l.recordSend(1, i, at(0s), Family::V4, failed);
  }
  const ReportSettings settings{3, 56, 1s, 1s};
  const auto lost = buildPingResult({"a", ip("192.0.2.1"), 0, "raw", ""}, &l, 0, settings, true);
  BOOST_TEST(lost.error == "no reply: 2 of 2 requests lost; run cancelled after 2 of 3 requests");
  const auto refused = buildPingResult({"b", ip("192.0.2.2"), 0, "raw", ""}, &l, 1, settings, false);
  BOOST_TEST(refused.error == "cannot send to 192.0.2.2: Network is unreachable");
}

BOOST_AUTO_TEST_SUITE_END()
