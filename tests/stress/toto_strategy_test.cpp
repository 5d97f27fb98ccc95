// toto_strategy_test.cpp - loader strategies where they meet their limits.
//
// SanitizerBuild: sanitizer runtimes (ASan, TSan, ...) abort the process when
// a library is dlopen'ed with RTLD_DEEPBIND, which the copy and memfd
// strategies use. The runtime must see the sanitizer and fail the load with a
// clear message instead, and the namespace strategy must work. Skips in builds
// without a sanitizer.
//
// Each case runs in a forked child, as the shim reads its configuration once
// per process.
#include <dirent.h>
#include <stdio.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "scenario_child.h"
#include "scratch_dir.h"
#include "toto.h"

namespace {

const char *sanitizer_in_process() {
  if (dlsym(RTLD_DEFAULT, "__asan_init")) return "AddressSanitizer";
  if (dlsym(RTLD_DEFAULT, "__tsan_init")) return "ThreadSanitizer";
  return nullptr;
}

using shimpool_test::ChildResult;

// What a child does, by name (see scenario_child.h).
const shimpool_test::Scenarios &scenarios();

const auto &run_in_child = shimpool_test::run_scenario_in_child;

class SanitizerBuild : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override {
    sanitizer_ = sanitizer_in_process();
    if (!sanitizer_) GTEST_SKIP() << "not a sanitizer build";
    scratch_ = std::make_unique<shimpool_test::ScratchDir>("toto-sanitizer");
    temp_ = scratch_->path().string();
  }
  void TearDown() override {
    if (scratch_) {
      EXPECT_EQ(scratch_->entry_count(), 0) << "a load left files in " << temp_;
    }
  }
  const char *sanitizer_ = nullptr;
  std::unique_ptr<shimpool_test::ScratchDir> scratch_;
  std::string temp_;
};

using DeepBindStrategy = SanitizerBuild;

TEST_P(DeepBindStrategy, IsRefusedWithAMessageInsteadOfACrash) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_STRATEGY", GetParam()}, {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "call");
  EXPECT_TRUE(result.aborted()) << "expected the shim's abort, got status " << result.status
                                << ":\n" << result.err;
  EXPECT_NE(result.err.find("shimpool[toto]: " + std::string(sanitizer_) +
                            " is loaded: RTLD_DEEPBIND copies would crash it"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("Set SHIMPOOL_TOTO_STRATEGY=namespace"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("You are trying to dlopen"), std::string::npos)
      << "the sanitizer itself refused the load: the runtime did not stop first\n" << result.err;
}

INSTANTIATE_TEST_SUITE_P(, DeepBindStrategy, ::testing::Values("copy", "memfd"),
                         [](const auto &info) { return std::string(info.param); });

TEST_F(SanitizerBuild, NamespaceStrategyWorks) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_STRATEGY", "namespace"},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             "call_and_check");
  EXPECT_TRUE(result.exited_0()) << "status " << result.status << ":\n" << result.err;
}

// A namespace has its own C library, whose per-thread ctype tables glibc sets
// up only on the loading thread: without the runtime's per-thread set-up,
// toupper in toto_bar dereferences null on any other thread.
TEST(Namespace, AnInstanceWorksOnThreadsOtherThanTheOneThatLoadedIt) {
  auto result = run_in_child(
      {{"SHIMPOOL_TOTO_STRATEGY", "namespace"}, {"SHIMPOOL_TOTO_MAX_INSTANCES", "1"}},
      "toupper_on_another_thread");
  EXPECT_TRUE(result.exited_0()) << "status " << result.status << ":\n" << result.err;
}

const shimpool_test::Scenarios &scenarios() {
  static const shimpool_test::Scenarios all{
      {"call", [] { (void)toto_foo(1, 2); }},
      {"call_and_check",
       [] {
         if (toto_foo(2, 3) != 5 || toto_sum3(1, 2, 3) != 6) _exit(3);
       }},
      {"toupper_on_another_thread",
       [] {
         char text[] = "abc";
         toto_bar(text);                               // loads the instance on this thread
         std::thread([&] { toto_bar(text); }).join();  // and uses it on another one
         if (std::strcmp(text, "ABC") != 0) _exit(3);
       }},
  };
  return all;
}

}  // namespace

int main(int argc, char **argv) {
  return shimpool_test::run_scenario_or_tests(argc, argv, scenarios());
}
