// An in-memory Store for unit tests of logic above storage (scheduler, handlers). Behaves like
// the interface promises, without SQLite; the real store has its own tests.
#pragma once

#include "server/storage/series_plan.hpp"
#include "server/storage/store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

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
      if (q.metric)  // as the real store: only the metric asked for
        std::erase_if(out.back().metrics, [&](const auto& m) { return m.first != *q.metric; });
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
  // Series: the same plan and builder as the SQLite store, over every raw sample (no rollups).
  void forEachResult(const ResultQuery& q, const std::function<bool(ResultRecord&)>& visit) override {
    for (auto& r : queryResults(q))
      if (!visit(r)) return;
  }
  std::optional<SeriesData> querySeries(const SeriesQuery& q) override {
    std::lock_guard lock(mutex_);
    const auto test = tests_.find(q.testId);
    if (test == tests_.end()) return std::nullopt;
    SeriesData nothing{.from = q.from, .to = q.to, .bucketNs = 0, .downsampled = false, .series = {}};
    struct Sample {
      std::int64_t agent;
      const std::string* target;
      TimeNs ts;
      double value;
    };
    std::vector<std::string> agents;  // builder keys are indexes into this
    std::vector<Sample> samples;
    std::optional<TimeNs> first, last;
    for (const auto& r : results_) {
      if (r.testId != q.testId) continue;
      first = std::min(first.value_or(r.timestamp), r.timestamp);
      last = std::max(last.value_or(r.timestamp), r.timestamp);
      if ((q.agentId && r.agentId != *q.agentId) || (q.target && r.target != *q.target)) continue;
      for (const auto& [name, value] : r.metrics) {
        if (name != q.metric) continue;
        const auto agent = std::find(agents.begin(), agents.end(), r.agentId) - agents.begin();
        if (agent == static_cast<std::ptrdiff_t>(agents.size())) agents.push_back(r.agentId);
        samples.push_back({agent, &r.target, r.timestamp, value});
      }
    }
    if ((!q.from || !q.to) && !first) return nothing;
    const TimeNs from = q.from.value_or(first.value_or(0)), to = q.to.value_or(last.value_or(0) + 1);
    if (from >= to) return nothing;
    const auto agentName = [&](std::int64_t i) { return agents.at(static_cast<std::size_t>(i)); };
    const auto plan = planSeries(from, to, q.points, rollupWidthsFor(test->second.intervalNs));
    if (plan.levelNs > 0) {
      SeriesBuilder buckets(plan, 0);
      for (const auto& s : samples) buckets.addSample(s.agent, *s.target, s.ts, s.value);
      if (buckets.samples() > q.points) return buckets.downsampled(agentName);
    }
    SeriesBuilder raw(planSeries(from, to, q.points, {}), q.points);
    for (const auto& s : samples)
      if (s.ts >= from && s.ts < to) raw.addSample(s.agent, *s.target, s.ts, s.value);
    return raw.answer(agentName, from, to);
  }
  std::optional<TestSeriesCatalog> describeTestSeries(const std::string& testId) override {
    std::lock_guard lock(mutex_);
    if (!tests_.count(testId)) return std::nullopt;
    std::set<std::string> metrics;
    std::set<std::pair<std::string, std::string>> series;
    for (const auto& r : results_) {
      if (r.testId != testId) continue;
      series.emplace(r.agentId, r.target);
      for (const auto& m : r.metrics) metrics.insert(m.first);
    }
    return TestSeriesCatalog{{metrics.begin(), metrics.end()}, {series.begin(), series.end()}};
  }
  // Nothing to roll up: series are read raw.
  std::unique_ptr<RollupPass> collectRollups(std::size_t) override { return std::make_unique<NothingNew>(); }
  std::size_t applyRollups(const RollupPass&) override { return 0; }
  std::size_t rollupBacklog() override { return 0; }
  std::chrono::steady_clock::duration writeIdleFor() override { return std::chrono::hours(1); }

  int stateChanges = 0;  // setTestState calls, to see that a tick with nothing due writes nothing

 private:
  struct NothingNew : RollupPass {
    std::size_t rows() const override { return 0; }
    bool more() const override { return false; }
  };

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
