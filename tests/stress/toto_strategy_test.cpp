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
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "toto.h"

namespace {

const char *sanitizer_in_process() {
  if (dlsym(RTLD_DEFAULT, "__asan_init")) return "AddressSanitizer";
  if (dlsym(RTLD_DEFAULT, "__tsan_init")) return "ThreadSanitizer";
  return nullptr;
}

struct ChildResult {
  int status = 0;
  std::string err;
  bool aborted() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }
  bool exited_0() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// What a child does, by name: the program re-executes itself with
// SHIMPOOL_TEST_SCENARIO set (the shim reads its configuration when it is
// loaded, so the child needs a fresh process), and main() runs the scenario.
const std::map<std::string, std::function<void()>> &scenarios();

ChildResult run_in_child(const std::vector<std::pair<std::string, std::string>> &env,
                         const std::string &scenario) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    for (auto &[name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    setenv("SHIMPOOL_TEST_SCENARIO", scenario.c_str(), 1);
    execl("/proc/self/exe", "toto_strategy_test", static_cast<char *>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  ChildResult result;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) result.err.append(buffer, n);
  close(pipe_fds[0]);
  waitpid(pid, &result.status, 0);
  return result;
}

class SanitizerBuild : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override {
    sanitizer_ = sanitizer_in_process();
    if (!sanitizer_) GTEST_SKIP() << "not a sanitizer build";
    std::string pattern = ::testing::TempDir() + "toto-sanitizer-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_ = pattern;
  }
  void TearDown() override {
    if (temp_.empty()) return;
    int left = 0;
    if (DIR *dir = opendir(temp_.c_str())) {
      while (dirent *entry = readdir(dir)) left += entry->d_name[0] != '.';
      closedir(dir);
    }
    EXPECT_EQ(left, 0) << "a load left files in " << temp_;
    rmdir(temp_.c_str());
  }
  const char *sanitizer_ = nullptr;
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

const std::map<std::string, std::function<void()>> &scenarios() {
  static const std::map<std::string, std::function<void()>> all{
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
  if (const char *scenario = std::getenv("SHIMPOOL_TEST_SCENARIO")) {
    scenarios().at(scenario)();
    return 0;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
