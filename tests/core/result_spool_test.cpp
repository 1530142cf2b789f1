#define BOOST_TEST_MODULE result_spool
#include "core/result_spool.hpp"
#include "core/error.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

using namespace streamswarm::core;
using streamswarm::testsupport::TempDir;

namespace {

constexpr std::uint64_t kLarge = 1u << 30;

struct Fixture {
  TempDir dir;
  std::filesystem::path file() const { return dir / "spool.db"; }
};

std::string payload(int i, std::size_t size = 0) {
  std::string p = "{\"i\":" + std::to_string(i) + "}";
  if (p.size() < size) p.insert(p.size() - 1, ",\"pad\":\"" + std::string(size - p.size() - 9, 'x') + "\"");
  return p;
}

std::vector<std::int64_t> seqs(const std::vector<SpoolEntry>& entries) {
  std::vector<std::int64_t> out;
  for (const auto& e : entries) out.push_back(e.seq);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(appends_in_order_and_acks_through_a_seq, Fixture) {
  ResultSpool spool(file(), kLarge);
  std::vector<std::int64_t> appended;
  for (int i = 0; i < 5; ++i) appended.push_back(spool.append(payload(i)));
  BOOST_TEST(appended == (std::vector<std::int64_t>{1, 2, 3, 4, 5}), boost::test_tools::per_element());
  BOOST_TEST(spool.pendingCount() == 5u);
  BOOST_TEST(spool.pendingBytes() == 5 * payload(0).size());

  auto batch = spool.peek(3, kLarge);
  BOOST_TEST(seqs(batch) == (std::vector<std::int64_t>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(batch[2].payload == payload(2));
  BOOST_TEST(spool.pendingCount() == 5u);  // peeking deletes nothing

  spool.ack(2);
  BOOST_TEST(spool.pendingCount() == 3u);
  BOOST_TEST(seqs(spool.peek(10, kLarge)) == (std::vector<std::int64_t>{3, 4, 5}), boost::test_tools::per_element());
  spool.ack(2);  // a repeated acknowledgement changes nothing
  BOOST_TEST(spool.pendingCount() == 3u);
  spool.ack(5);
  BOOST_TEST(spool.pendingCount() == 0u);
  BOOST_TEST(spool.pendingBytes() == 0u);
  BOOST_TEST(spool.peek(10, kLarge).empty());
  BOOST_TEST(spool.append(payload(6)) == 6);  // never reused, even when the spool ran empty
  BOOST_TEST(spool.droppedTotal() == 0u);
}

BOOST_FIXTURE_TEST_CASE(peek_is_bounded_by_bytes_but_returns_at_least_one, Fixture) {
  ResultSpool spool(file(), kLarge);
  for (int i = 0; i < 4; ++i) spool.append(payload(i, 100));
  BOOST_TEST(spool.peek(10, 250).size() == 2u);
  BOOST_TEST(spool.peek(10, 10).size() == 1u);
  BOOST_TEST(spool.peek(0, kLarge).empty());
}

BOOST_FIXTURE_TEST_CASE(full_spool_drops_oldest_first_and_counts_them, Fixture) {
  ResultSpool spool(file(), 350);
  for (int i = 0; i < 3; ++i) BOOST_TEST(spool.append(payload(i, 100)) == i + 1);
  BOOST_TEST(spool.droppedTotal() == 0u);
  BOOST_TEST(spool.append(payload(3, 100)) == 4);  // 400 > 350: seq 1 goes
  BOOST_TEST(spool.droppedTotal() == 1u);
  BOOST_TEST(spool.pendingBytes() == 300u);
  BOOST_TEST(spool.append(payload(4, 300)) == 5);  // needs three of the old ones to go
  BOOST_TEST(spool.droppedTotal() == 4u);
  BOOST_TEST(seqs(spool.peek(10, kLarge)) == (std::vector<std::int64_t>{5}), boost::test_tools::per_element());
  BOOST_TEST(spool.pendingBytes() <= spool.maxBytes());

  // One payload bigger than the whole bound cannot be kept at all; it is dropped itself.
  BOOST_TEST(spool.append(payload(5, 400)) == 0);
  BOOST_TEST(spool.droppedTotal() == 5u);
  BOOST_TEST(seqs(spool.peek(10, kLarge)) == (std::vector<std::int64_t>{5}), boost::test_tools::per_element());

  // A result the server refused for good is dropped alone.
  spool.append(payload(6));
  BOOST_TEST(spool.drop(5));
  BOOST_TEST(!spool.drop(5));
  BOOST_TEST(spool.droppedTotal() == 6u);
  BOOST_TEST(seqs(spool.peek(10, kLarge)) == (std::vector<std::int64_t>{6}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(reopening_keeps_entries_counters_and_the_sequence, Fixture) {
  {
    ResultSpool spool(file(), 350);
    for (int i = 0; i < 5; ++i) spool.append(payload(i, 100));  // two dropped
    spool.ack(3);
    BOOST_TEST(spool.droppedTotal() == 2u);
  }
  {
    ResultSpool spool(file(), 350);
    BOOST_TEST(spool.droppedTotal() == 2u);
    BOOST_TEST(spool.pendingCount() == 2u);
    BOOST_TEST(spool.pendingBytes() == 200u);
    const auto entries = spool.peek(10, kLarge);
    BOOST_TEST(seqs(entries) == (std::vector<std::int64_t>{4, 5}), boost::test_tools::per_element());
    BOOST_TEST(entries[1].payload == payload(4, 100));
    spool.ack(5);
  }
  ResultSpool spool(file(), 350);
  BOOST_TEST(spool.pendingCount() == 0u);
  BOOST_TEST(spool.append(payload(9)) == 6);  // strictly increasing across restarts
}

BOOST_FIXTURE_TEST_CASE(sequence_can_be_raised_above_what_the_server_has, Fixture) {
  ResultSpool spool(file(), kLarge);
  spool.ensureSeqAbove(41);
  BOOST_TEST(spool.append(payload(0)) == 42);
  spool.ensureSeqAbove(10);  // never lowers it
  BOOST_TEST(spool.append(payload(1)) == 43);
}

BOOST_FIXTURE_TEST_CASE(a_second_process_cannot_use_the_same_spool, Fixture) {
  ResultSpool spool(file(), kLarge);
  spool.append(payload(0));
  try {
    ResultSpool other(file(), kLarge);
    other.append(payload(1));
    BOOST_FAIL("a second spool on the same file was allowed");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find(file().string()) == 0u, e.what());
    BOOST_TEST(std::string(e.what()).find("in use by another process") != std::string::npos, e.what());
  }
  BOOST_TEST(spool.append(payload(2)) == 2);
}

BOOST_FIXTURE_TEST_CASE(opening_a_file_that_is_not_a_spool_names_it, Fixture) {
  streamswarm::testsupport::writeFile(file(), std::string(8192, 'x'));
  try {
    ResultSpool spool(file(), kLarge);
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find(file().string()) == 0u, e.what());
  }
}

// A child appends as fast as it can and reports each seq once append() returned; the parent kills
// it with SIGKILL in the middle of that. Every reported append must be in the reopened spool, in
// order, with its payload; at most the one append in progress may be there unreported.
BOOST_FIXTURE_TEST_CASE(every_acknowledged_append_survives_sigkill, Fixture) {
  constexpr int kReportedBeforeKill = 3000;
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      ResultSpool spool(file(), kLarge);
      for (int i = 0;; ++i) {
        const std::int64_t seq = spool.append(payload(i, 200));
        if (::write(fds[1], &seq, sizeof seq) != sizeof seq) ::_exit(3);
      }
    } catch (...) {
      ::_exit(4);
    }
  }
  ::close(fds[1]);
  std::vector<std::int64_t> reported;
  std::int64_t seq = 0;
  while (::read(fds[0], &seq, sizeof seq) == sizeof seq) {
    reported.push_back(seq);
    if (reported.size() == kReportedBeforeKill) ::kill(child, SIGKILL);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_REQUIRE(WIFSIGNALED(status));
  BOOST_TEST(WTERMSIG(status) == SIGKILL);
  BOOST_REQUIRE(reported.size() >= static_cast<std::size_t>(kReportedBeforeKill));

  ResultSpool spool(file(), kLarge);
  const auto entries = spool.peek(reported.size() + 10, kLarge);
  BOOST_REQUIRE(entries.size() >= reported.size());
  BOOST_TEST(entries.size() <= reported.size() + 1);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    BOOST_REQUIRE_EQUAL(entries[i].seq, static_cast<std::int64_t>(i + 1));
    BOOST_REQUIRE_EQUAL(entries[i].payload, payload(static_cast<int>(i), 200));
    if (i < reported.size()) BOOST_REQUIRE_EQUAL(reported[i], entries[i].seq);
  }
  BOOST_TEST(spool.pendingCount() == entries.size());
  BOOST_TEST(spool.append(payload(0)) == static_cast<std::int64_t>(entries.size() + 1));
}

BOOST_FIXTURE_TEST_CASE(pending_entries_can_be_renumbered_above_a_seq, Fixture) {
  ResultSpool spool(file(), kLarge);
  for (int i = 0; i < 4; ++i) spool.append(payload(i));
  spool.ack(1);
  BOOST_TEST(spool.highestSeq() == 4);
  BOOST_TEST(spool.resequenceAbove(100) == 3u);
  const auto entries = spool.peek(10, kLarge);
  BOOST_TEST(seqs(entries) == (std::vector<std::int64_t>{101, 102, 103}), boost::test_tools::per_element());
  BOOST_TEST(entries[0].payload == payload(1));  // order kept
  BOOST_TEST(entries[2].payload == payload(3));
  BOOST_TEST(spool.pendingCount() == 3u);
  BOOST_TEST(spool.append(payload(9)) == 104);
  BOOST_TEST(spool.highestSeq() == 104);
}
