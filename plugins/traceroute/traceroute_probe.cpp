#include "traceroute/traceroute_probe.hpp"

#include "common/name_resolver.hpp"
#include "traceroute/hop_aggregator.hpp"
#include "traceroute/socket_trace_transport.hpp"
#include "traceroute/trace_ledger.hpp"
#include "traceroute/trace_runner.hpp"

#include <array>
#include <limits>
#include <random>
#include <vector>

namespace streamswarm::traceroute {
namespace {

constexpr std::size_t kNoTrace = std::numeric_limits<std::size_t>::max();

std::size_t familyIndex(netprobe::Family f) {
  return f == netprobe::Family::V4 ? 0 : 1;
}

}  // namespace

TracerouteProbe::TracerouteProbe(const Options& options)
    : TracerouteProbe(options, [](const TraceOptions& o, std::uint16_t id) {
        return std::make_unique<SocketTraceTransport>(o, id);
      }) {}

TracerouteProbe::TracerouteProbe(const Options& options, TransportFactory factory)
    : options_(parseTraceOptions(options)), factory_(std::move(factory)) {
  std::random_device random;
  icmpIdentifier_ = static_cast<std::uint16_t>(random());
  tcpSequenceBase_ = static_cast<std::uint32_t>(random());
  if (options_.mode != TraceMode::Icmp && !options_.sourcePort)
    options_.sourcePort =
        static_cast<std::uint16_t>(kSourcePortLow + random() % (kSourcePortHigh - kSourcePortLow + 1));
}

void TracerouteProbe::run(Host& host) {
  const auto resolved = netprobe::resolveAll(options_.targets, options_.family);
  if (!transport_) transport_ = factory_(options_, icmpIdentifier_);

  std::array<bool, 2> needed{};
  for (const auto& r : resolved)
    if (r.address) needed[familyIndex(r.address->family())] = true;
  std::array<std::string, 2> familyProblem;
  for (const auto family : {netprobe::Family::V4, netprobe::Family::V6})
    if (needed[familyIndex(family)]) familyProblem[familyIndex(family)] = transport_->prepare(family);

  // One trace per distinct address (two names may resolve to the same one).
  std::vector<std::string> problems(resolved.size());
  std::vector<std::size_t> traceOf(resolved.size(), kNoTrace);
  std::map<netprobe::IpAddress, std::size_t> byAddress;
  std::vector<netprobe::IpAddress> destinations;
  std::vector<FlowIdentity> flows;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const auto& r = resolved[i];
    if (!r.address) {
      problems[i] = r.error;
      continue;
    }
    if (const auto& p = familyProblem[familyIndex(r.address->family())]; !p.empty()) {
      problems[i] = p;
      continue;
    }
    if (const auto found = byAddress.find(*r.address); found != byAddress.end()) {
      traceOf[i] = found->second;
      continue;
    }
    std::string error;
    const auto source = transport_->sourceFor(*r.address, error);
    if (!source) {
      problems[i] = error;
      continue;
    }
    FlowIdentity flow;
    flow.mode = options_.mode;
    flow.source = *source;
    flow.destination = *r.address;
    flow.sourcePort = options_.sourcePort.value_or(0);
    flow.destinationPort = options_.port;
    flow.icmpIdentifier = transport_->icmpIdentifier(r.address->family());
    flow.tcpSequenceBase = tcpSequenceBase_;
    traceOf[i] = destinations.size();
    byAddress.emplace(*r.address, destinations.size());
    destinations.push_back(*r.address);
    flows.push_back(flow);
  }

  TraceLedger ledger(destinations, options_.firstTtl, options_.maxHops, options_.probes, options_.timeout);
  FlowMatch match;
  match.mode = options_.mode;
  match.sourcePort = options_.sourcePort.value_or(0);
  match.destinationPort = options_.port;
  for (const auto family : {netprobe::Family::V4, netprobe::Family::V6})
    if (needed[familyIndex(family)] && familyProblem[familyIndex(family)].empty())
      match.icmpIdentifier[familyIndex(family)] = transport_->icmpIdentifier(family);
  match.tcpSequenceBase = tcpSequenceBase_;
  match.maxIndex = probeIndex(options_.probes - 1, options_.maxHops);
  TraceRunStats stats;
  if (!destinations.empty())
    stats = runTrace(*transport_, ledger, flows, match, options_, [&] { return host.cancelled(); });
  if (stats.foreign + stats.malformed > 0)
    host.log(SS_LOG_DEBUG, "traceroute: ignored " + std::to_string(stats.foreign) + " unrelated and " +
                               std::to_string(stats.malformed) + " malformed packets");

  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const auto& r = resolved[i];
    TraceTarget target;
    target.name = options_.targets[i];
    target.address = r.address;
    target.resolveMs = std::chrono::duration<double, std::milli>(r.duration).count();
    target.problem = problems[i];
    if (r.address) target.socketKind = transport_->socketKind(r.address->family());
    if (traceOf[i] == kNoTrace) {
      host.emit(buildTraceResult(target, nullptr, nullptr, nullptr, options_, stats.cancelled));
      continue;
    }
    const auto summary = summarizeTrace(ledger, traceOf[i], options_.timeout);
    const auto path = pathOf(summary);
    PathComparison comparison;
    const auto previous = previous_.find(target.name);
    if (previous != previous_.end()) comparison.previousFingerprint = previous->second.fingerprint();
    // A run in which nothing answered (or that was cut short) says nothing about the path: it is
    // neither compared nor remembered.
    if (summary.probesAnswered > 0 && !stats.cancelled) {
      if (previous != previous_.end()) {
        comparison.changes = diffPaths(previous->second, path);
        comparison.changed = *comparison.previousFingerprint != path.fingerprint();
      }
      previous_[target.name] = path;
    }
    host.emit(buildTraceResult(target, &summary, &path, &comparison, options_, stats.cancelled));
  }
}

}  // namespace streamswarm::traceroute
