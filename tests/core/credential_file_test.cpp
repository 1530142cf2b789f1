#define BOOST_TEST_MODULE credential_file
#include "core/credential_file.hpp"
#include "core/error.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

using namespace streamswarm::core;
using streamswarm::testsupport::TempDir;
using streamswarm::testsupport::writeFile;

BOOST_AUTO_TEST_CASE(written_atomically_readable_by_the_owner_only) {
  TempDir dir;
  const auto state = dir / "state" / "nested";
  ensureStateDir(state);
  struct stat st {};
  BOOST_REQUIRE(::stat(state.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0700u);

  const auto file = state / "credential";
  BOOST_TEST(!readCredential(file));
  writeCredential(file, "ssa_ag-0123456789ab_00ff");
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  const auto c = readCredential(file);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->agentId == "ag-0123456789ab");
  BOOST_TEST(c->secret == "ssa_ag-0123456789ab_00ff");
  BOOST_TEST(!std::filesystem::exists(file.string() + ".tmp"));

  writeCredential(file, "ssa_ag-aaaaaaaaaaaa_11");  // replaces the old one
  BOOST_TEST(readCredential(file)->agentId == "ag-aaaaaaaaaaaa");
}

BOOST_AUTO_TEST_CASE(a_file_without_a_credential_is_named) {
  TempDir dir;
  writeFile(dir / "credential", "hello\n");
  try {
    readCredential(dir / "credential");
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find((dir / "credential").string() + ": does not hold an agent credential") == 0u,
               e.what());
  }
}
