#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamswarm::server {

// Times are Unix nanoseconds (UTC) everywhere in storage; the API speaks RFC 3339.
using TimeNs = std::int64_t;

enum class TokenKind { kEnrollment, kAdmin };

// An enrollment token (an agent trades it for its own credential) or an admin API token. Only the
// SHA-256 of the secret is stored; the secret is shown once, when it is created.
struct TokenRecord {
  std::string id;  // public part: "sse_<id>_<secret>" / "ssk_<id>_<secret>"
  TokenKind kind = TokenKind::kEnrollment;
  std::string secretHash;  // hex SHA-256 of the secret
  std::string name;
  TimeNs createdAt = 0;
  std::optional<TimeNs> expiresAt;
  std::optional<std::int64_t> usesLeft;  // enrollment tokens: none = unlimited
  bool revoked = false;
  std::string role = "admin";  // API (admin-kind) tokens: viewer, operator or admin
};

// A dashboard user. The password is stored as an argon2id string (libsodium's crypto_pwhash_str).
struct UserRecord {
  std::string id;  // "u-…"
  std::string username;
  std::string passwordHash;
  std::string role;  // viewer, operator, admin
  TimeNs createdAt = 0;
  TimeNs passwordChangedAt = 0;
  bool disabled = false;
};

// A signed-in browser. The cookie carries "<id>.<secret>"; only the secret's SHA-256 is stored.
struct SessionRecord {
  std::string id;
  std::string secretHash;
  std::string userId;
  std::string csrfToken;  // sent back in X-CSRF-Token on every state-changing request
  TimeNs createdAt = 0;
  TimeNs lastSeen = 0;
  TimeNs expiresAt = 0;  // absolute limit; the idle limit is checked against lastSeen
};

struct AgentRecord {
  std::string id;
  std::string credentialHash;  // hex SHA-256 of the agent's secret
  std::string name;
  std::vector<std::string> labels;
  std::string systemJson = "{}";   // host facts reported at registration
  std::string pluginsJson = "[]";  // plugin schemas reported at registration (core::toJson form)
  std::string version;
  TimeNs enrolledAt = 0;
  std::optional<TimeNs> lastSeen;
  bool online = false;
  bool revoked = false;
  std::int64_t lastSeq = 0;       // highest result sequence number stored for this agent
  std::int64_t droppedTotal = 0;  // results the agent reported dropped from its full spool
};

enum class TestState { kPending, kRunning, kCompleted, kStopped, kFailed };

struct TestRecord {
  std::string id;
  std::string name;
  std::string plugin;
  std::vector<std::string> targets;
  std::vector<std::pair<std::string, std::string>> options;  // normalised by the plugin's schema
  std::vector<std::string> agentIds;                         // assigned by id ...
  std::vector<std::string> labels;                           // ... and/or to every agent with one of these labels
  TimeNs startAt = 0;
  std::optional<TimeNs> durationNs;  // none: until stopped
  TimeNs intervalNs = 0;
  std::optional<TimeNs> recurEveryNs;  // recurring: a new window every so often
  TestState state = TestState::kPending;
  TimeNs createdAt = 0;
  TimeNs updatedAt = 0;
  std::int64_t jitterNs = 0;  // offset of this test's runs inside its interval, fixed at creation
};

// One measurement as stored: one row per result, its metrics packed in the row (not one row per
// metric), so ingest costs one row and one index entry per result.
struct ResultRecord {
  std::string agentId;
  std::int64_t seq = 0;  // per-agent, strictly increasing: the idempotency key
  std::optional<std::string> testId;
  std::string plugin;
  std::string instance;
  std::string target;
  TimeNs timestamp = 0;
  std::vector<std::pair<std::string, double>> metrics;
  std::optional<std::string> documentJson;
  std::uint32_t documentSchema = 0;
  std::string error;
};

struct IngestOutcome {
  std::size_t accepted = 0;    // newly stored
  std::size_t duplicates = 0;  // seq at or below what was already stored: skipped
  std::int64_t ackedSeq = 0;   // the agent may delete its spool through this sequence
};

struct ResultQuery {
  std::optional<std::string> testId;
  std::optional<std::string> agentId;
  std::optional<std::string> metric;  // only results carrying this metric; points of it
  std::optional<TimeNs> from;         // inclusive
  std::optional<TimeNs> to;           // exclusive
  std::size_t limit = 10'000;
};

const char* testStateName(TestState s);
std::optional<TestState> testStateFromName(const std::string& name);

}  // namespace streamswarm::server
