// A shim generated with PIN_SHA256 (shimpool_add_shim) end to end: it loads
// the library it was built for, with every strategy; it refuses an impostor
// named at run time with SHIMPOOL_PINNED_REAL_LIBRARY, naming both digests
// and what to do; and when the file is replaced while the shim runs, later
// instances are refused while the ones already loaded keep serving.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "pinned.h"
#include "pinned_shimpool.h"
#include "scenario_child.h"
#include "scratch_dir.h"
#include "sha256.h"

namespace {

using shimpool_faults::entries_in;
using shimpool_test::ChildResult;
using Environment = std::vector<std::pair<std::string, std::string>>;

std::string sha256_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
  shimpool::Sha256 sha;
  sha.update(bytes);
  return shimpool::to_hex(sha.finish());
}

std::string line_after(const std::string &text, const std::string &prefix) {
  auto at = text.find(prefix);
  if (at == std::string::npos) return "";
  at += prefix.size();
  return text.substr(at, text.find('\n', at) - at);
}

shimpool_stats stats() {
  shimpool_stats out{};
  shimpool_pinned_stats(&out, sizeof out);
  return out;
}

const shimpool_test::Scenarios &scenarios() {
  static const shimpool_test::Scenarios all = {
      {"build", [] { fprintf(stderr, "build %d\n", pinned_build()); }},
      {"probe",
       [] {
         char message[2048] = "";
         int status = shimpool_pinned_probe(message, sizeof message);
         fprintf(stderr, "probe %d: %s\n", status, message);
       }},
      // One instance loads; then the file becomes the impostor. Calls that
      // need a second instance find it refused and are served by the first.
      {"replaced_while_running",
       [] {
         if (pinned_build() != PINNED_GENUINE_BUILD) _exit(3);
         const char *library = getenv("SHIMPOOL_PINNED_REAL_LIBRARY");
         const std::string spare = std::string(library) + ".impostor";
         if (rename(spare.c_str(), library) != 0) _exit(4);
         // The only instance is held by this thread's session while another
         // thread calls: that call must try a second instance, and wait.
         std::atomic<int> wrong{0};
         shimpool_pinned_session_begin();
         std::thread second([&] {
           if (pinned_build() != PINNED_GENUINE_BUILD) ++wrong;
         });
         while (stats().creation_failures == 0)
           std::this_thread::sleep_for(std::chrono::milliseconds(2));
         shimpool_pinned_session_end();
         second.join();
         std::vector<std::thread> threads;
         for (int t = 0; t < 8; ++t)
           threads.emplace_back([&] {
             for (int i = 0; i < 300; ++i)
               if (pinned_build() != PINNED_GENUINE_BUILD) ++wrong;
           });
         for (auto &thread : threads) thread.join();
         const shimpool_stats after = stats();
         fprintf(stderr, "wrong %d live %llu failures %llu\n", wrong.load(),
                 static_cast<unsigned long long>(after.live_instances),
                 static_cast<unsigned long long>(after.creation_failures));
       }},
  };
  return all;
}

class PinnedShim : public ::testing::TestWithParam<const char *> {
 protected:
  void TearDown() override { EXPECT_EQ(entries_in(temp_), 0) << "files left in " << temp_; }
  Environment environment(Environment more = {}) const {
    more.push_back({"SHIMPOOL_PINNED_TMPDIR", temp_});
    more.push_back({"SHIMPOOL_PINNED_STRATEGY", GetParam()});
    return more;
  }
  std::string copy_of(const std::string &from, const std::string &name) const {
    const std::string to = scratch_.path().string() + "/" + name;
    std::ifstream in(from, std::ios::binary);
    std::ofstream(to, std::ios::binary) << in.rdbuf();
    return to;
  }
  static std::string made(const std::string &directory) {
    mkdir(directory.c_str(), 0700);
    return directory;
  }
  shimpool_test::ScratchDir scratch_{"shimpool-pinned"};
  const std::string temp_ = made(scratch_.path().string() + "/tmp");
};

INSTANTIATE_TEST_SUITE_P(, PinnedShim, ::testing::Values("copy", "memfd", "namespace"),
                         [](const auto &info) { return std::string(info.param); });

TEST_P(PinnedShim, LoadsTheLibraryItWasBuiltFor) {
  const ChildResult result = shimpool_test::run_scenario_in_child(environment(), "build");
  EXPECT_TRUE(result.exited_0()) << result.err;
  EXPECT_EQ(line_after(result.err, "build "), std::to_string(PINNED_GENUINE_BUILD)) << result.err;
}

TEST_P(PinnedShim, AnImpostorNamedAtRunTimeIsRefused) {
  const Environment env = environment({{"SHIMPOOL_PINNED_REAL_LIBRARY", SHIMPOOL_PINNED_IMPOSTOR}});
  const std::string expected =
      std::string("the real library ") + SHIMPOOL_PINNED_IMPOSTOR +
      " does not have the SHA-256 the shim is pinned to (expected " +
      sha256_of(SHIMPOOL_PINNED_GENUINE) + ", found " + sha256_of(SHIMPOOL_PINNED_IMPOSTOR) +
      "), so it was not loaded. Set SHIMPOOL_PINNED_REAL_LIBRARY to the library the shim was "
      "generated for, or regenerate the shim with --pin-sha256 for this one";
  const ChildResult call = shimpool_test::run_scenario_in_child(env, "build");
  EXPECT_TRUE(call.aborted()) << call.err;
  EXPECT_EQ(line_after(call.err, "shimpool[pinned]: "), expected);
  EXPECT_EQ(call.err.find("build "), std::string::npos) << "no call reached the impostor";
  const ChildResult probe = shimpool_test::run_scenario_in_child(env, "probe");
  EXPECT_TRUE(probe.exited_0()) << probe.err;
  EXPECT_EQ(line_after(probe.err, "probe -1: "), expected);
}

TEST_P(PinnedShim, AReplacedFileStopsNewInstancesNotTheShim) {
  const std::string library = copy_of(SHIMPOOL_PINNED_GENUINE, "libpinned.so");
  copy_of(SHIMPOOL_PINNED_IMPOSTOR, "libpinned.so.impostor");
  const ChildResult result = shimpool_test::run_scenario_in_child(
      environment({{"SHIMPOOL_PINNED_REAL_LIBRARY", library}}), "replaced_while_running");
  EXPECT_TRUE(result.exited_0()) << result.err;
  int wrong = -1, live = -1, failures = -1;
  ASSERT_EQ(sscanf(line_after(result.err, "wrong ").c_str(), "%d live %d failures %d", &wrong,
                   &live, &failures),
            3)
      << result.err;
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(live, 1);
  EXPECT_GE(failures, 1) << "the call made while the session held the instance";
}

}  // namespace

int main(int argc, char **argv) {
  return shimpool_test::run_scenario_or_tests(argc, argv, scenarios());
}
