#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>

#include "run_program.h"
#include "scenario_child.h"
#include "scratch_dir.h"

extern char **environ;

namespace shimpool_test {

namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string &prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create " + pattern);
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string ScratchDir::write(const std::string &name, const std::string &text) const {
  fs::path file = path_ / name;
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
  return file.string();
}

int ScratchDir::entry_count() const {
  int count = 0;
  for ([[maybe_unused]] const auto &entry : fs::directory_iterator(path_)) ++count;
  return count;
}

namespace {

// Reads both pipes together so neither fills up and blocks the child.
void drain(int out_fd, int err_fd, ProgramResult &result) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string *sinks[2] = {&result.out, &result.err};
  for (int open_count = 2; open_count > 0;) {
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
}

}  // namespace

ProgramResult run_program(const std::string &program, const std::vector<std::string> &args) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
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
  ProgramResult result;
  drain(out_pipe[0], err_pipe[0], result);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  return result;
}

std::ostream &operator<<(std::ostream &os, const ProgramResult &result) {
  return os << "exit " << result.status << "\n--- stdout\n"
            << result.out << "--- stderr\n"
            << result.err;
}

bool ChildResult::aborted() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }

bool ChildResult::exited_0() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

ChildResult run_scenario_in_child(const std::vector<std::pair<std::string, std::string>> &env,
                                  const std::string &scenario) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    for (auto &[name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    setenv("SHIMPOOL_TEST_SCENARIO", scenario.c_str(), 1);
    execl("/proc/self/exe", "scenario", static_cast<char *>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  ChildResult result;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    result.err.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  waitpid(pid, &result.status, 0);
  return result;
}

int run_scenario_or_tests(int argc, char **argv, const Scenarios &scenarios) {
  if (const char *scenario = getenv("SHIMPOOL_TEST_SCENARIO")) {
    scenarios.at(scenario)();
    return 0;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

}  // namespace shimpool_test
