// The physical limit of result ingest on this machine: SQLite inserting the very rows the store
// would write, with nothing else around it.
#pragma once

#include "bench/ingest/realistic_results.hpp"
#include "server/storage/store.hpp"

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

namespace streamswarm::bench {

struct InsertRate {
  std::size_t results = 0;
  double seconds = 0;     // wall clock
  double cpuSeconds = 0;  // CPU time of the inserting thread (user + system): steadier on a busy machine
  double perSecond() const { return seconds > 0 ? static_cast<double>(results) / seconds : 0; }
  double perCpuSecond() const { return cpuSeconds > 0 ? static_cast<double>(results) / cpuSeconds : 0; }
};

// CPU time of the calling thread, in seconds.
double threadCpuSeconds();

// Creates the agents and tests the batches name (what enrollment and test creation would have done).
void registerWorkload(server::Store& store, std::span<const AgentBatch> batches);

// Starts a fresh database at `dbPath` (an existing one is removed) with the store's own schema
// (its migrations: same tables, same indexes), registers the workload's agents and tests, then
// inserts every result row through the SQLite C API: the store's INSERT statement, prepared
// once, one transaction per batch (the benchmarks use 1,000-row batches), WAL, synchronous=NORMAL,
// foreign keys on, the store's page cache size. Metric packing and name lookups are done before
// the clock starts: only SQLite is timed.
InsertRate measureRawInsert(const std::filesystem::path& dbPath, std::span<const AgentBatch> batches);

// Removes a database file and its -wal and -shm companions.
void removeDatabase(const std::filesystem::path& dbPath);

// The median of a benchmark's rounds: on a shared machine one round can be disturbed either way.
double median(std::vector<double> values);

}  // namespace streamswarm::bench
