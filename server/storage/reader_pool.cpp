#include "server/storage/reader_pool.hpp"

namespace streamswarm::server::sqlite {

ReaderPool::ReaderPool(const std::string& path, std::size_t size) : size_(size) {
  for (std::size_t i = 0; i < size; ++i)
    idle_.push_back(std::make_unique<Connection>(path, Connection::Mode::kReadOnly));
}

ReaderPool::Lease ReaderPool::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(connection));
}

void ReaderPool::giveBack(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

}  // namespace streamswarm::server::sqlite
