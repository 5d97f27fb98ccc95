// `shimpool list`: the real binary, spawned, on the toto example header.
// Also defines command_test::run, the spawner check_exports_test.cpp and
// windows/windows_test.cpp share.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace command_test {
// A process run to its end: exit status (-1 if it did not exit normally), output.
// Defined in list_test.cpp, declared identically where used.
struct Result {
  int status = -1;
  std::string out, err;
};
Result run_program(const std::string &program, const std::vector<std::string> &args);
Result run(const std::vector<std::string> &shimpool_args);
}  // namespace command_test

extern char **environ;

namespace command_test {

Result run_program(const std::string &program, const std::vector<std::string> &args) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("cannot spawn " + program);
  }
  Result result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string *sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  return result;
}

Result run(const std::vector<std::string> &args) { return run_program(SHIMPOOL_BINARY, args); }

}  // namespace command_test

namespace {

using command_test::run;

const std::string kToto = SHIMPOOL_SOURCE_DIR "/examples/toto/toto.h";
const std::string kTotoPolicy = SHIMPOOL_SOURCE_DIR "/examples/toto/toto.policy.toml";

TEST(List, PrintsAnAlignedTable) {
  auto result = run({"list", kToto, "--policy-file", kTotoPolicy});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.err, "");
  std::istringstream lines(result.out);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("FUNCTION ", 0), 0u) << header;
  const size_t policy_column = header.find("POLICY");
  ASSERT_NE(policy_column, std::string::npos);
  bool saw_foo = false, saw_set_option = false;
  while (std::getline(lines, line)) {
    if (line.rfind("toto_foo ", 0) == 0) {
      saw_foo = true;
      EXPECT_NE(line.find("int, int"), std::string::npos) << line;
      EXPECT_NE(line.find("cdecl"), std::string::npos) << line;
      EXPECT_EQ(line.substr(policy_column, 6), "pooled") << line;
      EXPECT_NE(line.find("toto.h:21:5"), std::string::npos) << line;
    }
    if (line.rfind("toto_set_option ", 0) == 0) {
      saw_set_option = true;
      EXPECT_EQ(line.substr(policy_column, 9), "broadcast") << line;  // from the policy file
    }
  }
  EXPECT_TRUE(saw_foo && saw_set_option) << result.out;
  EXPECT_NE(result.out.find("15 functions (C)\n"), std::string::npos) << result.out;
}

TEST(List, PolicyFlagsApply) {
  auto result = run({"list", kToto, "--policy", "toto_foo=sticky"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(std::regex_search(result.out, std::regex("\ntoto_foo +int +int, int +cdecl +sticky ")))
      << result.out;
}

TEST(List, PrintsJsonWithAStableKeyOrder) {
  auto result = run({"list", kToto, "--json", "--policy-file", kTotoPolicy});
  ASSERT_EQ(result.status, 0) << result.err;
  const std::string &out = result.out;
  EXPECT_EQ(out.rfind("{\n  \"name\": \"toto\",\n  \"language\": \"c\",\n  \"headers\": [", 0), 0u) << out;
  const std::string foo =
      "    {\n"
      "      \"name\": \"toto_foo\",\n"
      "      \"return_type\": \"int\",\n"
      "      \"parameters\": [\n"
      "        {\n"
      "          \"name\": \"arg0\",\n"
      "          \"type\": \"int\"\n"
      "        },\n"
      "        {\n"
      "          \"name\": \"arg1\",\n"
      "          \"type\": \"int\"\n"
      "        }\n"
      "      ],\n"
      "      \"calling_convention\": \"cdecl\",\n"
      "      \"policy\": \"pooled\",\n"
      "      \"signature\": \"int toto_foo(int arg0, int arg1)\",\n"
      "      \"declared_at\": {\n";
  EXPECT_NE(out.find(foo), std::string::npos) << out;
  EXPECT_NE(out.find("\"name\": \"toto_last_error\""), std::string::npos);
  EXPECT_NE(out.find("\"policy\": \"init\""), std::string::npos);
  // Byte-identical for identical input.
  EXPECT_EQ(run({"list", kToto, "--json", "--policy-file", kTotoPolicy}).out, out);
}

TEST(List, NameDefaultsToTheHeaderStem) {
  auto result = run({"list", kToto, "--json"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("\"name\": \"toto\""), std::string::npos);
}

TEST(List, HeaderErrorsExitOne) {
  const std::string header = ::testing::TempDir() + "/list_broken.h";
  std::ofstream(header) << "int broken(int a\n";
  auto result = run({"list", header});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("list_broken.h:1:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("nothing listed"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(List, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"list"}).status, 2);
  EXPECT_EQ(run({"list", kToto, "--bogus"}).status, 2);
  EXPECT_EQ(run({"list", kToto, "--name", "not-a-name"}).status, 2);
  EXPECT_EQ(run({"list", kToto, "--policy", "nonsense"}).status, 2);
}

}  // namespace
