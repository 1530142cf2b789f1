// A fixed set of read-only connections handed out one at a time. In WAL mode readers do not wait
// for the writer (each reads the last committed snapshot), so lookups on every request (auth,
// agent and test records) and result queries proceed while an ingest transaction is running.
#pragma once

#include "server/storage/sqlite_connection.hpp"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace streamswarm::server::sqlite {

class ReaderPool {
 public:
  ReaderPool(const std::string& path, std::size_t size);

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> connection) : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.giveBack(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Waits while every connection is out (reads are short: one statement each).
  Lease acquire();
  std::size_t size() const { return size_; }

 private:
  void giveBack(std::unique_ptr<Connection> connection);

  std::size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace streamswarm::server::sqlite
