#include "ping/ping_probe.hpp"

#include "common/name_resolver.hpp"
#include "ping/ping_runner.hpp"
#include "ping/socket_ping_transport.hpp"

#include <array>
#include <limits>
#include <string>
#include <vector>

namespace streamswarm::ping {
namespace {

constexpr std::size_t kNoLedger = std::numeric_limits<std::size_t>::max();

std::size_t familyIndex(netprobe::Family f) {
  return f == netprobe::Family::V4 ? 0 : 1;
}

}  // namespace

PingProbe::PingProbe(const Options& options)
    : PingProbe(options, [](const PingOptions& o) { return std::make_unique<SocketPingTransport>(o); }) {}

PingProbe::PingProbe(const Options& options, TransportFactory factory)
    : options_(parsePingOptions(options)), factory_(std::move(factory)), random_(std::random_device{}()) {}

void PingProbe::run(Host& host) {
  const auto resolved = netprobe::resolveAll(options_.targets, options_.family);
  if (!transport_) transport_ = factory_(options_);

  std::array<bool, 2> needed{};
  for (const auto& r : resolved)
    if (r.address) needed[familyIndex(r.address->family())] = true;
  std::array<std::string, 2> familyProblem;
  for (const auto family : {netprobe::Family::V4, netprobe::Family::V6})
    if (needed[familyIndex(family)]) familyProblem[familyIndex(family)] = transport_->prepare(family);

  std::vector<netprobe::IpAddress> addresses;
  std::vector<netprobe::Family> families;
  std::vector<std::size_t> ledgerIndex(resolved.size(), kNoLedger);
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const auto& r = resolved[i];
    if (!r.address || !familyProblem[familyIndex(r.address->family())].empty()) continue;
    ledgerIndex[i] = addresses.size();
    addresses.push_back(*r.address);
    families.push_back(r.address->family());
  }
  PingLedger ledger(addresses, options_.count, static_cast<std::uint32_t>(random_()), options_.size, options_.timeout);
  RunnerStats stats;
  if (!addresses.empty()) stats = runPing(*transport_, ledger, families, options_, [&] { return host.cancelled(); });
  if (stats.foreign + stats.malformed > 0)
    host.log(SS_LOG_DEBUG, "ping: ignored " + std::to_string(stats.foreign) + " replies to other programs and " +
                               std::to_string(stats.malformed) + " malformed packets");

  const ReportSettings settings{options_.count, options_.size, options_.interval, options_.timeout};
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const auto& r = resolved[i];
    TargetReport target;
    target.name = options_.targets[i];
    target.address = r.address;
    target.resolveMs = std::chrono::duration<double, std::milli>(r.duration).count();
    if (r.address) {
      target.socketKind = transport_->socketKind(r.address->family());
      target.problem = familyProblem[familyIndex(r.address->family())];
    } else {
      target.problem = r.error;
    }
    const bool sent = ledgerIndex[i] != kNoLedger;
    host.emit(buildPingResult(target, sent ? &ledger : nullptr, ledgerIndex[i], settings, stats.cancelled));
  }
}

}  // namespace streamswarm::ping
