// Load failures through the real shim: each gives one clear message naming the
// path and the variable to set, aborts instead of returning a wrong result, and
// leaves no private copies behind. Each case runs in a forked child, since the
// shim's configuration is read once per process.
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "toto.h"

namespace {

struct ChildResult {
  int status = 0;
  std::string err;
  bool aborted() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }
};

ChildResult run_in_child(const std::vector<std::pair<std::string, std::string>> &env,
                         const std::function<void()> &body) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    for (auto &[name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    body();
    _exit(0);
  }
  close(pipe_fds[1]);
  ChildResult result;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) result.err.append(buffer, n);
  close(pipe_fds[0]);
  waitpid(pid, &result.status, 0);
  return result;
}

size_t count(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class LoadErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "shimpool-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_ = pattern;
  }
  void TearDown() override {
    EXPECT_EQ(entries(temp_), 0) << "a failed load left files in " << temp_;
    rmdir(temp_.c_str());
  }
  static int entries(const std::string &dir) {
    int n = 0;
    if (DIR *d = opendir(dir.c_str())) {
      while (dirent *e = readdir(d)) n += e->d_name[0] != '.';
      closedir(d);
    }
    return n;
  }
  std::string temp_;
};

void call_from_threads(int count) {
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) threads.emplace_back([i] { (void)toto_foo(i, 1); });
  for (auto &t : threads) t.join();
}

TEST_F(LoadErrors, MissingRealLibraryNamesPathAndVariable) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_REAL_LIBRARY", "/nonexistent/libtoto.so"},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             [] { (void)toto_foo(1, 2); });
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
      [] { call_from_threads(8); });
  unlink(bogus.c_str());
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_EQ(count(result.err, "shimpool[toto]:"), 1u) << result.err;
  EXPECT_NE(result.err.find("the loader refused the copy of " + bogus), std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, LibraryWithoutTheFunctionsIsRefused) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_REAL_LIBRARY", SHIMPOOL_COUNTER_FIXTURE},
                              {"SHIMPOOL_TOTO_TMPDIR", temp_}},
                             [] { (void)toto_foo(1, 2); });
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("has no function 'toto_foo' that the header declares"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, UnusableTempDirectoryNamesItsVariable) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_TMPDIR", temp_ + "/missing"}},
                             [] { (void)toto_foo(1, 2); });
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("cannot create a private directory in " + temp_ + "/missing"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("Set SHIMPOOL_TOTO_TMPDIR"), std::string::npos) << result.err;
}

TEST_F(LoadErrors, InvalidMaximumIsRejected) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_MAX_INSTANCES", "0"}}, [] { (void)toto_foo(1, 2); });
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("SHIMPOOL_TOTO_MAX_INSTANCES='0' is not a whole number from 1 to"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, UnknownStrategyIsRejected) {
  auto result = run_in_child({{"SHIMPOOL_TOTO_STRATEGY", "teleport"}}, [] { (void)toto_foo(1, 2); });
  EXPECT_TRUE(result.aborted()) << result.err;
  EXPECT_NE(result.err.find("SHIMPOOL_TOTO_STRATEGY='teleport' is not a loader strategy; set it to "
                            "copy, memfd or namespace"),
            std::string::npos)
      << result.err;
}

TEST_F(LoadErrors, ValidConfigurationWorksInTheSameHarness) {
  // The harness itself is sound: the same child with a good setup exits cleanly.
  auto result = run_in_child({{"SHIMPOOL_TOTO_TMPDIR", temp_}}, [] {
    if (toto_foo(2, 3) != 5) _exit(3);
  });
  EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0) << result.err;
}

}  // namespace
