// Load failures through the real shim: each gives one clear message naming the
// path and the variable to set, aborts instead of returning a wrong result, and
// leaves no private copies behind. Each case runs in a child process started
// afresh (this program re-executed), since the shim reads its configuration
// when it loads.
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "scenario_child.h"
#include "scratch_dir.h"
#include "toto.h"
#include "toto_shimpool.h"

namespace {

using shimpool_test::ChildResult;

// What a child does, by name (see scenario_child.h).
const shimpool_test::Scenarios &scenarios();

const auto &run_in_child = shimpool_test::run_scenario_in_child;

size_t count(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class LoadErrors : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(scratch_.entry_count(), 0) << "a failed load left files in " << temp_;
  }
  shimpool_test::ScratchDir scratch_{"shimpool-e2e"};
  const std::string temp_ = scratch_.path().string();
};

void call_from_threads(int count) {
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) threads.emplace_back([i] { (void)toto_foo(i, 1); });
  for (auto &t : threads) t.join();
}

TEST_F(LoadErrors, MissingRealLibraryNamesPathAndVariable) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_REAL_LIBRARY", "/nonexistent/libtoto.so"},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "one_call");
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("shimpool[toto]: cannot open the real library /nonexistent/libtoto.so"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("Set SHIMPOOL_TOTO_REAL_LIBRARY"), std::string::npos) << result.err;
}

TEST_F(LoadErrors, CorruptLibraryFromManyThreadsGivesOneMessageAndNoFiles) {
  std::string bogus = temp_ + ".not-a-library.so";
  FILE *file = fopen(bogus.c_str(), "w");
  ASSERT_NE(file, nullptr);
  fputs("not an ELF file\n", file);
  fclose(file);
  auto result = run_in_child(
      {{"SHIMPOOL_TOTO_REAL_LIBRARY", bogus}, {"SHIMPOOL_TOTO_TMPDIR", temp_}},
      "eight_threads");
  unlink(bogus.c_str());
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_EQ(count(result.err, "shimpool[toto]:"), 1u) << result.err;
  EXPECT_NE(result.err.find("the loader refused the copy of " + bogus), std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, LibraryWithoutTheFunctionsIsRefused) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_REAL_LIBRARY", SHIMPOOL_COUNTER_FIXTURE},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "one_call");
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("has no function 'toto_foo' that the header declares"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, UnusableTempDirectoryNamesItsVariable) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_TMPDIR", temp_ + "/missing"}},
                             "one_call");
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("cannot create a private directory in " + temp_ + "/missing"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("Set SHIMPOOL_TOTO_TMPDIR"), std::string::npos) << result.err;
}

TEST_F(LoadErrors, InvalidMaximumIsRejected) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_MAX_INSTANCES", "0"}}, "one_call");
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("SHIMPOOL_TOTO_MAX_INSTANCES='0' is not a whole number from 1 to"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, UnknownStrategyIsRejected) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_STRATEGY", "teleport"}}, "one_call");
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("SHIMPOOL_TOTO_STRATEGY='teleport' is not a loader strategy; set it to "
                            "copy, memfd or namespace"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, ACustomHandlerReplacesTheDefault) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_REAL_LIBRARY", "/nonexistent/libtoto.so"},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "custom_handler");
  EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 42) << result.err;
  EXPECT_NE(result.err.find("custom handler (toto, my context): cannot open the real library "
                            "/nonexistent/libtoto.so"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("shimpool[toto]:"), std::string::npos) << "the default stays silent";
}

TEST_F(LoadErrors, ProbeReportsWithoutAborting) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_REAL_LIBRARY", "/nonexistent/libtoto.so"},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "probe");
  EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0) << result.err;
  EXPECT_NE(result.err.find("probe -1: cannot open the real library /nonexistent/libtoto.so"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, AcquireTimeoutSaysWhatToRaise) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_MAX_INSTANCES", "1"},
                              {"SHIMPOOL_TOTO_ACQUIRE_TIMEOUT_MS", "200"},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "timeout");
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("shimpool[toto]: no instance became free within 200 ms (1 loaded, all busy)"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, ValidConfigurationWorksInTheSameHarness) {
  // The harness itself is sound: the same child with a good setup exits cleanly.
  auto result = run_in_child({{"SHIMPOOL_TOTO_TMPDIR", temp_}}, "exact_call");
  EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0) << result.err;
}

const shimpool_test::Scenarios &scenarios() {
  static const shimpool_test::Scenarios all = {
      {"one_call", [] { (void)toto_foo(1, 2); }},
      {"eight_threads", [] { call_from_threads(8); }},
      {"exact_call", [] { if (toto_foo(2, 3) != 5) _exit(3); }},
      {"custom_handler",
       [] {
         shimpool_toto_set_error_handler(
             [](const char *shim, const char *message, void *context) {
               fprintf(stderr, "custom handler (%s, %s): %s\n", shim,
                       static_cast<const char *>(context), message);
               _exit(42);
             },
             const_cast<char *>("my context"));
         (void)toto_foo(1, 2);
       }},
      {"timeout",
       [] {
         std::thread holder([] { toto_wait_event("/nonexistent/shimpool-never", 3000); });
         std::this_thread::sleep_for(std::chrono::milliseconds(100));
         (void)toto_foo(1, 2);  // the only instance is busy for 3 s
         holder.join();
       }},
      {"probe",
       [] {
         char message[512];
         int status = shimpool_toto_probe(message, sizeof message);
         fprintf(stderr, "probe %d: %s\n", status, message);
       }},
  };
  return all;
}

}  // namespace

int main(int argc, char **argv) {
  return shimpool_test::run_scenario_or_tests(argc, argv, scenarios());
}
