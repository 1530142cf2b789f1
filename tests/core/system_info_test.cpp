#define BOOST_TEST_MODULE system_info
#include "core/system_info.hpp"

#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;

BOOST_AUTO_TEST_CASE(parses_meminfo_stat_and_os_release) {
  BOOST_TEST(*memTotalBytes("MemTotal:       24576000 kB\nMemFree:  1 kB\n") == 24576000ull * 1024);
  BOOST_TEST(!memTotalBytes("MemFree:  1 kB\n"));
  BOOST_TEST(*bootTimeSeconds("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1700000000);
  BOOST_TEST(!bootTimeSeconds("cpu 1\n"));
  BOOST_TEST(*osPrettyName("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n") ==
             "Debian GNU/Linux 12 (bookworm)");
  BOOST_TEST(*osPrettyName("PRETTY_NAME=Alpine") == "Alpine");
  BOOST_TEST(!osPrettyName("PRETTY_NAME=\"\"\n"));
}

BOOST_AUTO_TEST_CASE(collects_facts_of_this_host) {
  const auto s = collectSystemInfo();
  BOOST_TEST(!s.hostname.empty());
  BOOST_TEST(!s.kernel.empty());
  BOOST_TEST(!s.arch.empty());
  BOOST_TEST(s.cpus >= 1);
  BOOST_TEST(s.memoryBytes > 0u);
  BOOST_TEST(s.bootTimeNs > 0);
}
