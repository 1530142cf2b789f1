#include "server/storage/name_dictionary.hpp"

#include "server/storage/store.hpp"

#include <mutex>

namespace streamswarm::server::sqlite {

NameDictionary::NameDictionary(std::string table, std::string idColumn, std::string nameColumn)
    : table_(std::move(table)),
      loadSql_("SELECT " + idColumn + ", " + nameColumn + " FROM " + table_),
      insertSql_("INSERT INTO " + table_ + " (" + nameColumn + ") VALUES (?1)"),
      idSql_("SELECT " + idColumn + " FROM " + table_ + " WHERE " + nameColumn + " = ?1"),
      nameSql_("SELECT " + nameColumn + " FROM " + table_ + " WHERE " + idColumn + " = ?1") {}

void NameDictionary::load(Connection& connection) {
  Cursor c(connection.statement(loadSql_));
  std::unique_lock lock(readMutex_);
  while (c.next()) {
    std::string name = c.text(1);
    const std::int64_t id = c.integer(0);
    writerIds_.emplace(name, id);
    readIds_.emplace(name, id);
    readNames_.emplace(id, std::move(name));
  }
}

std::int64_t NameDictionary::idForWrite(Connection& writer, std::string_view name) {
  if (auto it = writerIds_.find(name); it != writerIds_.end()) return it->second;
  {
    Cursor c(writer.statement(insertSql_));
    c.bindText(1, name).run();
  }
  const std::int64_t id = writer.lastInsertRowid();
  writerIds_.emplace(std::string(name), id);
  pending_.emplace_back(std::string(name), id);
  return id;
}

std::int64_t NameDictionary::idForWriteAt(Connection& writer, std::size_t position, std::string_view name) {
  if (position < byPosition_.size() && byPosition_[position].first == name) return byPosition_[position].second;
  const std::int64_t id = idForWrite(writer, name);
  if (position >= byPosition_.size()) byPosition_.resize(position + 1);
  byPosition_[position].first.assign(name);
  byPosition_[position].second = id;
  return id;
}

std::optional<std::int64_t> NameDictionary::findForWrite(Connection& writer, std::string_view name) {
  if (auto it = writerIds_.find(name); it != writerIds_.end()) return it->second;
  Cursor c(writer.statement(idSql_));
  c.bindText(1, name);
  if (!c.next()) return std::nullopt;
  const std::int64_t id = c.integer(0);
  writerIds_.emplace(std::string(name), id);
  return id;
}

void NameDictionary::commitPending() {
  if (pending_.empty()) return;
  std::unique_lock lock(readMutex_);
  for (auto& [name, id] : pending_) {
    readIds_.emplace(name, id);
    readNames_.emplace(id, std::move(name));
  }
  pending_.clear();
}

void NameDictionary::discardPending() {
  for (const auto& entry : pending_) writerIds_.erase(entry.first);
  pending_.clear();
  byPosition_.clear();  // may hold the discarded ids
}

void NameDictionary::forget(std::string_view name) {
  if (auto it = writerIds_.find(name); it != writerIds_.end()) writerIds_.erase(it);
  byPosition_.clear();
  std::unique_lock lock(readMutex_);
  if (auto it = readIds_.find(name); it != readIds_.end()) {
    readNames_.erase(it->second);
    readIds_.erase(it);
  }
}

void NameDictionary::remember(std::string name, std::int64_t id) {
  std::unique_lock lock(readMutex_);
  readIds_.emplace(name, id);
  readNames_.emplace(id, std::move(name));
}

std::optional<std::int64_t> NameDictionary::findId(Connection& reader, std::string_view name) {
  {
    std::shared_lock lock(readMutex_);
    if (auto it = readIds_.find(name); it != readIds_.end()) return it->second;
  }
  Cursor c(reader.statement(idSql_));
  c.bindText(1, name);
  if (!c.next()) return std::nullopt;
  const std::int64_t id = c.integer(0);
  remember(std::string(name), id);
  return id;
}

std::string NameDictionary::nameOf(Connection& reader, std::int64_t id) {
  {
    std::shared_lock lock(readMutex_);
    if (auto it = readNames_.find(id); it != readNames_.end()) return it->second;
  }
  Cursor c(reader.statement(nameSql_));
  c.bindInt(1, id);
  if (!c.next()) throw StoreError(table_ + " has no id " + std::to_string(id) + " (database inconsistent)");
  std::string name = c.text(0);
  remember(name, id);
  return name;
}

}  // namespace streamswarm::server::sqlite
