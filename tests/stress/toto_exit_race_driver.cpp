// toto_exit_race_driver.cpp - runs toto_exit_race_host many times and checks
// that every run exited 0 without a signal and left nothing in its TMPDIR.
//
//   toto_exit_race_driver <host> [runs]
//
// Runs (default 300, or SHIMPOOL_EXIT_RACE_RUNS) alternate between exit(0) and
// returning from main, with the moment of exit spread over 0-20 ms after the
// threads start (from before the first instance is loaded to well after).
// Each run gets a fresh private TMPDIR (also the shim's temp directory); after
// the run, any shimpool-* entry left in it is a failure. A run that does not
// end within 20 s (SHIMPOOL_EXIT_RACE_RUN_TIMEOUT_S) is killed and counted as a hang.
// Exit status: 0 when every run passed, 1 otherwise (the first failures are
// printed with the host's stderr).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace {

long env_long(const char *name, long fallback) {
  const char *text = std::getenv(name);
  if (!text || !*text) return fallback;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  return *end == '\0' && value > 0 ? value : fallback;
}

std::vector<std::string> entries(const std::string &directory) {
  std::vector<std::string> names;
  if (DIR *dir = opendir(directory.c_str())) {
    while (dirent *entry = readdir(dir))
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
        names.push_back(entry->d_name);
    closedir(dir);
  }
  return names;
}

// Removes `path` and everything under it (what a failed run left).
void remove_tree(const std::string &path) {
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return;
  if (S_ISDIR(info.st_mode))
    for (const auto &name : entries(path)) remove_tree(path + "/" + name);
  if (S_ISDIR(info.st_mode))
    rmdir(path.c_str());
  else
    unlink(path.c_str());
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

struct Outcome {
  bool ok = false;
  std::string problem;
  std::string err;
};

Outcome run_once(const std::string &host, const std::string &base, int run) {
  std::string temp = base + "/run-XXXXXX";
  if (!mkdtemp(temp.data())) return {false, "mkdtemp failed: " + std::string(strerror(errno)), ""};
  const std::string err_path = base + "/stderr-" + std::to_string(run);

  const char *mode = run % 2 ? "return" : "exit";
  const std::string delay_us = std::to_string((run * 7919L) % 20000);
  std::vector<std::string> env_strings{"TMPDIR=" + temp};
  for (char **e = environ; *e; ++e)
    if (std::strncmp(*e, "TMPDIR=", 7) != 0) env_strings.push_back(*e);
  std::vector<char *> envp;
  for (auto &text : env_strings) envp.push_back(text.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{host, mode, delay_us};
  std::vector<char *> argv;
  for (auto &text : arg_strings) argv.push_back(text.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, host.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return {false, "cannot start " + host + ": " + strerror(spawned), ""};

  const auto limit = std::chrono::seconds(env_long("SHIMPOOL_EXIT_RACE_RUN_TIMEOUT_S", 20));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  bool hung = false;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      hung = true;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  Outcome outcome;
  outcome.err = read_file(err_path);
  unlink(err_path.c_str());
  std::string left;
  for (const auto &name : entries(temp))
    if (name.rfind("shimpool-", 0) == 0) left += " " + name;
  const std::string how = std::string(mode) + " after " + delay_us + " us";
  if (hung)
    outcome.problem = "hung (" + how + "): killed after " + std::to_string(limit.count()) + " s";
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    outcome.problem = describe(status) + " (" + how + ")";
  else if (!left.empty())
    outcome.problem = "left in its TMPDIR:" + left + " (" + how + ")";
  else
    outcome.ok = true;
  remove_tree(temp);
  return outcome;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <toto_exit_race_host> [runs]\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const long runs = argc > 2 ? std::atol(argv[2]) : env_long("SHIMPOOL_EXIT_RACE_RUNS", 300);
  const char *tmp = std::getenv("TMPDIR");
  std::string base = std::string(tmp && *tmp ? tmp : "/tmp") + "/toto-exit-race-XXXXXX";
  if (!mkdtemp(base.data())) {
    std::perror("mkdtemp");
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  long failures = 0;
  for (long run = 0; run < runs; ++run) {
    Outcome outcome = run_once(host, base, static_cast<int>(run));
    if (outcome.ok) continue;
    if (++failures <= 5) {
      std::printf("run %ld: %s\n", run, outcome.problem.c_str());
      if (!outcome.err.empty())
        std::printf("--- its stderr ---\n%s------------------\n", outcome.err.c_str());
    }
  }
  remove_tree(base);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("exit race: %ld of %ld runs failed (%.1f s)\n", failures, runs, seconds);
  return failures == 0 ? 0 : 1;
}
