// A table mapping integer keys to unique names, cached in memory: metric and plugin names are
// stored in result rows as small integers, and so are agents and tests (rid <-> text id).
#pragma once

#include "server/storage/sqlite_connection.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace streamswarm::server::sqlite {

// Two caches with one owner each, so neither needs a lock on the hot path:
//  - the writer's name -> id map, touched only by the thread holding the store's write lock. New
//    names are inserted in the writer's open transaction and stay "pending" until it commits;
//    discardPending() forgets them when it rolls back (their ids were never stored).
//  - the readers' map (both directions), behind a shared mutex. Pending names reach it at commit;
//    a reader that meets an id it does not know yet (committed a moment ago) reads the table.
class NameDictionary {
 public:
  // Identifiers from the schema, never user input.
  explicit NameDictionary(std::string table, std::string idColumn = "id", std::string nameColumn = "name");

  void load(Connection& connection);

  // Writer side: call only under the store's write lock, inside its transaction.
  std::int64_t idForWrite(Connection& writer, std::string_view name);
  // idForWrite for the name at `position` in a result's list. Results of one plugin list the same
  // names in the same order, so the name last seen at that position is tried first: a compare
  // instead of a hash lookup, for each of the tens of metrics of every result ingested.
  std::int64_t idForWriteAt(Connection& writer, std::size_t position, std::string_view name);
  // Like idForWrite, but a name the table lacks is not added.
  std::optional<std::int64_t> findForWrite(Connection& writer, std::string_view name);
  void commitPending();
  void discardPending();

  // Reader side: any thread, any connection.
  std::optional<std::int64_t> findId(Connection& reader, std::string_view name);
  std::string nameOf(Connection& reader, std::int64_t id);
  // The row is gone (a deleted test): its name may come back with a new id. Under the write lock.
  void forget(std::string_view name);

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using IdsByName = std::unordered_map<std::string, std::int64_t, NameHash, std::equal_to<>>;

  void remember(std::string name, std::int64_t id);  // reader side, takes the lock

  std::string table_;
  std::string loadSql_, insertSql_, idSql_, nameSql_;

  IdsByName writerIds_;
  std::vector<std::pair<std::string, std::int64_t>> pending_;
  std::vector<std::pair<std::string, std::int64_t>> byPosition_;  // idForWriteAt's memory

  std::shared_mutex readMutex_;
  IdsByName readIds_;
  std::unordered_map<std::int64_t, std::string> readNames_;
};

}  // namespace streamswarm::server::sqlite
