// bench_store_ingest: SqliteStore::ingest (no HTTP) against the raw SQLite insert rate of the same
// rows (raw_insert.hpp), measured in the same run, for ping-like (10 metrics) and sysmetrics-like
// (40 metrics) results in 1,000-result batches from several agents. Prints results/s of both and
// the ratio store / raw; the target for the store is >= 70 % of raw (so that the HTTP path, which
// adds parsing and validation, can reach its own target of >= 40 %). Also times deleting a test
// with all its results, against the time it took to ingest them, and the latency of an agent
// lookup (what every request's authentication does) while ingest runs: read-connection pool
// against one connection shared by reads and writes.
#include "bench/ingest/raw_insert.hpp"
#include "bench/ingest/realistic_results.hpp"
#include "server/storage/sqlite_store.hpp"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace po = boost::program_options;
using namespace streamswarm;
using namespace streamswarm::bench;

namespace {

constexpr double kTargetRatio = 0.70;
constexpr int kExitFail = 1;
constexpr int kExitCannotRun = 2;

struct Options {
  std::size_t results = 100'000;
  std::size_t agents = 8;
  std::size_t batch = 1'000;
  int rounds = 3;
  fs::path dir;
  bool check = false;
};

struct StoreRun {
  InsertRate ingest;
  double deleteSeconds = 0;            // deleting the ping test and its results; 0 for sysmetrics
  double longestWriteWaitSeconds = 0;  // of a heartbeat write during that delete
};

StoreRun measureStore(const fs::path& dbPath, const std::vector<AgentBatch>& batches, bool deleteTest) {
  removeDatabase(dbPath);
  server::SqliteStore store(dbPath.string());
  registerWorkload(store, batches);
  std::size_t accepted = 0;
  const double cpuStart = threadCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& b : batches) accepted += store.ingest(b.agentId, b.results, 0).accepted;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::size_t expected = 0;
  for (const auto& b : batches) expected += b.results.size();
  if (accepted != expected)
    throw std::runtime_error("the store accepted " + std::to_string(accepted) + " of " + std::to_string(expected));
  StoreRun run{InsertRate{accepted, elapsed.count(), threadCpuSeconds() - cpuStart}, 0};
  if (deleteTest) {
    // A heartbeat's write (touchAgent) every millisecond meanwhile: how long can the delete hold
    // the other writers off?
    std::atomic<bool> done{false};
    std::thread heartbeats([&] {
      while (!done) {
        const auto t0 = std::chrono::steady_clock::now();
        store.touchAgent(agentIdFor(0), 1);
        run.longestWriteWaitSeconds = std::max(
            run.longestWriteWaitSeconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    const auto t0 = std::chrono::steady_clock::now();
    const bool deleted = store.deleteTest(kPingTestId);
    run.deleteSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    done = true;
    heartbeats.join();
    if (!deleted) throw std::runtime_error("the benchmark test was not found to delete");
  }
  return run;
}

double median(const std::vector<InsertRate>& rates, double (InsertRate::*figure)() const) {
  std::vector<double> values;
  for (const auto& r : rates) values.push_back((r.*figure)());
  return bench::median(std::move(values));
}

struct ReadLatency {
  std::size_t lookups = 0;
  double p50Us = 0;
  double p99Us = 0;
};

// One thread ingests every batch while another looks an agent up every kLookupGapUs.
ReadLatency measureReadsDuringIngest(const fs::path& dbPath, const std::vector<AgentBatch>& batches,
                                     std::size_t readConnections) {
  constexpr auto kLookupGap = std::chrono::microseconds(200);
  removeDatabase(dbPath);
  server::SqliteStore store(dbPath.string(), server::SqliteStoreOptions{readConnections});
  registerWorkload(store, batches);
  std::atomic<bool> done{false};
  std::vector<double> latencies;
  std::thread reader([&] {
    while (!done) {
      const auto t0 = std::chrono::steady_clock::now();
      if (!store.findAgent(agentIdFor(0))) throw std::runtime_error("agent lookup failed");
      latencies.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      std::this_thread::sleep_for(kLookupGap);
    }
  });
  for (const auto& b : batches) store.ingest(b.agentId, b.results, 0);
  done = true;
  reader.join();
  std::sort(latencies.begin(), latencies.end());
  ReadLatency out;
  out.lookups = latencies.size();
  if (!latencies.empty()) {
    out.p50Us = latencies[latencies.size() / 2];
    out.p99Us = latencies[latencies.size() * 99 / 100];
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  std::string dir;
  po::options_description desc("bench_store_ingest options");
  desc.add_options()("help,h", "this help")("results", po::value(&o.results)->default_value(o.results),
                                            "results per kind and round")(
      "agents", po::value(&o.agents)->default_value(o.agents), "simulated agents taking turns")(
      "batch", po::value(&o.batch)->default_value(o.batch), "results per batch (= per transaction)")(
      "rounds", po::value(&o.rounds)->default_value(o.rounds),
      "raw and store alternate this many times; medians reported")(
      "dir", po::value(&dir), "directory for the database files (default: a new one under $TMPDIR)")(
      "check", po::bool_switch(&o.check), "exit 1 when the store is below 70 % of the raw rate");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    std::exit(0);
  }
  if (o.agents == 0 || o.batch == 0 || o.results == 0 || o.rounds < 1)
    throw std::runtime_error("--agents, --batch, --results and --rounds must be positive");
  o.dir = dir;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_store_ingest: " << e.what() << "\n";
    return kExitCannotRun;
  }
  bool madeDir = false;
  try {
    if (o.dir.empty()) {
      std::string pattern = (fs::temp_directory_path() / "bench-store-ingest-XXXXXX").string();
      if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
      o.dir = pattern;
      madeDir = true;
    }
    fs::create_directories(o.dir);
    std::printf(
        "bench_store_ingest: %zu results per kind, %zu agents, %zu-result batches (one transaction each), "
        "medians of %d alternating rounds, files in %s\n",
        o.results, o.agents, o.batch, o.rounds, o.dir.c_str());
    bool pass = true;
    for (ResultKind kind : {ResultKind::kPing, ResultKind::kSysmetrics}) {
      const auto batches = makeWorkload({kind, o.agents, o.batch, o.results, 1});
      std::vector<InsertRate> raws, stores;
      std::vector<StoreRun> storeRuns;
      for (int round = 0; round < o.rounds; ++round) {
        // Alternate the order, so neither always runs on a warmer page cache.
        const bool rawFirst = round % 2 == 0;
        InsertRate raw;
        StoreRun store;
        for (int step = 0; step < 2; ++step) {
          if ((step == 0) == rawFirst)
            raw = measureRawInsert(o.dir / "raw.db", batches);
          else
            store = measureStore(o.dir / "store.db", batches, kind == ResultKind::kPing);
        }
        std::printf(
            "  %-10s round %d: raw %7.0f results/s (%7.0f per CPU s), store %7.0f results/s (%7.0f per CPU s)\n",
            kindName(kind), round + 1, raw.perSecond(), raw.perCpuSecond(), store.ingest.perSecond(),
            store.ingest.perCpuSecond());
        raws.push_back(raw);
        stores.push_back(store.ingest);
        storeRuns.push_back(store);
      }
      // Medians: on a shared machine one round can be disturbed either way.
      const double rawRate = median(raws, &InsertRate::perSecond);
      const double storeRate = median(stores, &InsertRate::perSecond);
      const double rawCpu = median(raws, &InsertRate::perCpuSecond);
      const double storeCpu = median(stores, &InsertRate::perCpuSecond);
      const double ratio = storeRate / rawRate;
      std::printf(
          "%-10s raw SQLite insert %7.0f results/s | SqliteStore::ingest %7.0f results/s | ratio %.2f (%s, "
          "target >= %.2f) | by CPU time: %7.0f vs %7.0f per CPU s, ratio %.2f\n",
          kindName(kind), rawRate, storeRate, ratio, ratio >= kTargetRatio ? "PASS" : "FAIL", kTargetRatio, rawCpu,
          storeCpu, storeCpu / rawCpu);
      if (kind == ResultKind::kPing) {
        std::vector<double> deletes, waits;
        for (const auto& r : storeRuns) {
          deletes.push_back(r.deleteSeconds / r.ingest.seconds);
          waits.push_back(r.longestWriteWaitSeconds);
        }
        std::printf(
            "%-10s deleteTest of %zu results: %.2fx the time their ingest took; a heartbeat write waited at "
            "most %.1f ms meanwhile (medians)\n",
            kindName(kind), stores.front().results, median(deletes), median(waits) * 1e3);
      }
      pass = pass && ratio >= kTargetRatio;
    }
    {
      const auto batches = makeWorkload({ResultKind::kPing, o.agents, o.batch, o.results, 2});
      const auto pool =
          measureReadsDuringIngest(o.dir / "store.db", batches, server::SqliteStoreOptions{}.readConnections);
      const auto shared = measureReadsDuringIngest(o.dir / "store.db", batches, 0);
      std::printf(
          "agent lookup during ingest: read pool (%zu connections) p50 %.0f us p99 %.0f us | one shared "
          "connection p50 %.0f us p99 %.0f us | p99 shared / pool %.1fx\n",
          server::SqliteStoreOptions{}.readConnections, pool.p50Us, pool.p99Us, shared.p50Us, shared.p99Us,
          pool.p99Us > 0 ? shared.p99Us / pool.p99Us : 0.0);
    }
    removeDatabase(o.dir / "raw.db");
    removeDatabase(o.dir / "store.db");
    if (madeDir) fs::remove(o.dir);
    return o.check && !pass ? kExitFail : 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_store_ingest: " << e.what() << "\n";
    return kExitCannotRun;
  }
}
