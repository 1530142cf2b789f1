// An in-memory Store for unit tests of logic above storage (scheduler, handlers). Behaves like
// the interface promises, without SQLite; the real store has its own tests.
#pragma once

#include "server/storage/store.hpp"

#include <algorithm>
#include <map>
#include <mutex>

namespace streamswarm::server::testing {

class FakeStore : public Store {
 public:
  void createToken(const TokenRecord& token) override {
    std::lock_guard lock(mutex_);
    tokens_[token.id] = token;
  }
  std::optional<TokenRecord> findToken(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return find(tokens_, id);
  }
  std::vector<TokenRecord> listTokens(TokenKind kind) override {
    std::lock_guard lock(mutex_);
    std::vector<TokenRecord> out;
    for (const auto& [id, t] : tokens_)
      if (t.kind == kind) out.push_back(t);
    return out;
  }
  bool revokeToken(const std::string& id) override {
    std::lock_guard lock(mutex_);
    const auto it = tokens_.find(id);
    if (it == tokens_.end()) return false;
    it->second.revoked = true;
    return true;
  }
  bool consumeEnrollmentToken(const std::string& id, TimeNs now) override {
    std::lock_guard lock(mutex_);
    const auto it = tokens_.find(id);
    if (it == tokens_.end()) return false;
    auto& t = it->second;
    if (t.kind != TokenKind::kEnrollment || t.revoked || (t.expiresAt && *t.expiresAt <= now) ||
        (t.usesLeft && *t.usesLeft <= 0))
      return false;
    if (t.usesLeft) --*t.usesLeft;
    return true;
  }

  void createAgent(const AgentRecord& agent) override {
    std::lock_guard lock(mutex_);
    agents_[agent.id] = agent;
  }
  std::optional<AgentRecord> findAgent(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return find(agents_, id);
  }
  std::vector<AgentRecord> listAgents() override {
    std::lock_guard lock(mutex_);
    std::vector<AgentRecord> out;
    for (const auto& [id, a] : agents_) out.push_back(a);
    return out;
  }
  void updateRegistration(const std::string& id, const std::string& name, const std::vector<std::string>& labels,
                          const std::string& systemJson, const std::string& pluginsJson, const std::string& version,
                          TimeNs now) override {
    std::lock_guard lock(mutex_);
    auto& a = agents_.at(id);
    a.name = name;
    a.labels = labels;
    a.systemJson = systemJson;
    a.pluginsJson = pluginsJson;
    a.version = version;
    a.lastSeen = now;
    a.online = true;
  }
  void touchAgent(const std::string& id, TimeNs now) override {
    std::lock_guard lock(mutex_);
    auto& a = agents_.at(id);
    a.lastSeen = now;
    a.online = true;
  }
  std::vector<std::string> markOffline(TimeNs cutoff) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto& [id, a] : agents_)
      if (a.online && a.lastSeen.value_or(0) < cutoff) {
        a.online = false;
        out.push_back(id);
      }
    return out;
  }
  bool revokeAgent(const std::string& id) override {
    std::lock_guard lock(mutex_);
    const auto it = agents_.find(id);
    if (it == agents_.end()) return false;
    it->second.revoked = true;
    return true;
  }

  void createTest(const TestRecord& test) override {
    std::lock_guard lock(mutex_);
    tests_[test.id] = test;
  }
  std::optional<TestRecord> findTest(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return find(tests_, id);
  }
  std::vector<TestRecord> listTests() override {
    std::lock_guard lock(mutex_);
    std::vector<TestRecord> out;
    for (const auto& [id, t] : tests_) out.push_back(t);
    return out;
  }
  bool setTestState(const std::string& id, TestState state, TimeNs now) override {
    std::lock_guard lock(mutex_);
    const auto it = tests_.find(id);
    if (it == tests_.end()) return false;
    it->second.state = state;
    it->second.updatedAt = now;
    ++stateChanges;
    return true;
  }
  bool deleteTest(const std::string& id) override {
    std::lock_guard lock(mutex_);
    std::erase_if(results_, [&](const ResultRecord& r) { return r.testId == id; });
    return tests_.erase(id) > 0;
  }

  IngestOutcome ingest(const std::string& agentId, std::span<const ResultRecord> batch,
                       std::int64_t droppedByAgent) override {
    std::lock_guard lock(mutex_);
    auto& a = agents_.at(agentId);
    IngestOutcome out;
    for (const auto& r : batch) {
      if (r.seq <= a.lastSeq) {
        ++out.duplicates;
        continue;
      }
      results_.push_back(r);
      a.lastSeq = r.seq;
      ++out.accepted;
    }
    a.droppedTotal = droppedByAgent;
    out.ackedSeq = a.lastSeq;
    return out;
  }
  std::vector<ResultRecord> queryResults(const ResultQuery& q) override {
    std::lock_guard lock(mutex_);
    std::vector<ResultRecord> out;
    for (const auto& r : results_) {
      if (q.testId && r.testId != q.testId) continue;
      if (q.agentId && r.agentId != *q.agentId) continue;
      if (q.from && r.timestamp < *q.from) continue;
      if (q.to && r.timestamp >= *q.to) continue;
      if (q.metric &&
          std::none_of(r.metrics.begin(), r.metrics.end(), [&](const auto& m) { return m.first == *q.metric; }))
        continue;
      if (out.size() >= q.limit) break;
      out.push_back(r);
    }
    return out;
  }
  std::size_t countResults(const ResultQuery& q) override { return queryResults(q).size(); }

  bool createUser(const UserRecord& user) override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, u] : users_)
      if (u.username == user.username) return false;
    users_[user.id] = user;
    return true;
  }
  std::optional<UserRecord> findUser(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return find(users_, id);
  }
  std::optional<UserRecord> findUserByName(const std::string& username) override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, u] : users_)
      if (u.username == username) return u;
    return std::nullopt;
  }
  std::vector<UserRecord> listUsers() override {
    std::lock_guard lock(mutex_);
    std::vector<UserRecord> out;
    for (const auto& [id, u] : users_) out.push_back(u);
    return out;
  }
  bool updateUser(const UserRecord& user) override {
    std::lock_guard lock(mutex_);
    const auto it = users_.find(user.id);
    if (it == users_.end()) return false;
    it->second.passwordHash = user.passwordHash;
    it->second.role = user.role;
    it->second.passwordChangedAt = user.passwordChangedAt;
    it->second.disabled = user.disabled;
    return true;
  }
  bool deleteUser(const std::string& id) override {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.userId == id; });
    return users_.erase(id) > 0;
  }
  void createSession(const SessionRecord& session) override {
    std::lock_guard lock(mutex_);
    sessions_[session.id] = session;
  }
  std::optional<SessionRecord> findSession(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return find(sessions_, id);
  }
  void touchSession(const std::string& id, TimeNs lastSeen) override {
    std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(id); it != sessions_.end())
      it->second.lastSeen = std::max(it->second.lastSeen, lastSeen);
  }
  bool deleteSession(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return sessions_.erase(id) > 0;
  }
  std::size_t deleteUserSessions(const std::string& userId, const std::string& keep) override {
    std::lock_guard lock(mutex_);
    return std::erase_if(sessions_,
                         [&](const auto& entry) { return entry.second.userId == userId && entry.first != keep; });
  }
  std::size_t deleteExpiredSessions(TimeNs now, TimeNs idleNs) override {
    std::lock_guard lock(mutex_);
    return std::erase_if(sessions_, [&](const auto& entry) {
      return entry.second.expiresAt <= now || entry.second.lastSeen <= now - idleNs;
    });
  }

  int stateChanges = 0;  // setTestState calls, to see that a tick with nothing due writes nothing

 private:
  template <class Map>
  static std::optional<typename Map::mapped_type> find(const Map& m, const std::string& id) {
    const auto it = m.find(id);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }

  std::mutex mutex_;
  std::map<std::string, TokenRecord> tokens_;
  std::map<std::string, AgentRecord> agents_;
  std::map<std::string, TestRecord> tests_;
  std::vector<ResultRecord> results_;
  std::map<std::string, UserRecord> users_;
  std::map<std::string, SessionRecord> sessions_;
};

}  // namespace streamswarm::server::testing
