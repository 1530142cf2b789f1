// sysmetrics: host CPU, memory, disk, filesystem, network, process, TCP, file-descriptor and
// temperature metrics, read from /proc and /sys. The agent keeps one instance, so each run
// reports rates over the interval since the previous run; the first run samples twice,
// sample_window apart.
#pragma once

#include "snapshot.hpp"
#include "snapshot_metrics.hpp"
#include "system_reader.hpp"

#include <streamswarm/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::sysmetrics {

class SysMetricsProbe {
 public:
  // Version 1: {"interval_s": <seconds the rates cover>,
  //             "filesystems": [{"label", "mountpoint", "device", "type"}, ...]}
  static constexpr std::uint32_t kDocumentSchema = 1;
  // Two samples closer than this make no useful rate (CPU times tick at 100 Hz): the run samples
  // again over sample_window instead.
  static constexpr std::chrono::milliseconds kMinRateInterval{50};
  // Warnings logged for one source (a file) per run; the rest are counted.
  static constexpr std::size_t kMaxWarningsPerSource = 5;

  static std::span<const ss_config_key> configKeys();
  static std::span<const ss_metric_def> metrics();

  explicit SysMetricsProbe(const Options& options);

  void run(Host& host);

 private:
  void logProblems(const Host& host);
  std::string document(double seconds) const;

  std::chrono::nanoseconds sampleWindow_;
  MetricsOptions metricsOptions_;
  SystemReader reader_;
  Snapshot previous_;
  Snapshot current_;
  bool havePrevious_ = false;
  std::size_t lastMetricCount_ = 0;
  ReadProblems problems_;
  std::vector<std::string> resets_;
  // Sources whose warnings were logged and that have not had a clean run since: logged once, not
  // every second.
  std::set<std::string> failingSources_;
};

}  // namespace streamswarm::sysmetrics
