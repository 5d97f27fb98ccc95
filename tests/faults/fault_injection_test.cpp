// Every load-time fault, injected under the real toto shim: each gives its
// documented message (through shimpool_toto_probe, without aborting, and as
// the default abort), leaves no file in the temp directory and no descriptor
// open, and a fault that strikes after the first instance was made does not
// stop the shim: it keeps serving exact results from the instances it has.
//
// Each case runs in a child process (this program re-executed, see
// scenario_child.h): the shim reads its configuration when it loads. Mounts
// (full, read-only and noexec tmpfs) are made in a mount namespace of this
// process's own, so they vanish with it. Cases that need root skip without it.
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "scenario_child.h"
#include "scratch_dir.h"
#include "toto.h"
#include "toto_shimpool.h"

namespace {

using shimpool_faults::entries_in;
using shimpool_faults::open_descriptors;
using shimpool_faults::TmpfsMount;
using shimpool_test::ChildResult;
using Environment = std::vector<std::pair<std::string, std::string>>;

bool g_can_mount = false;
std::string g_cannot_mount;

// ---------------------------------------------------------------------------
// The child side

std::string env_or(const char *name, const char *fallback = "") {
  const char *value = getenv(name);
  return value ? value : fallback;
}

// SHIMPOOL_FAULT_PREPARE, before the shim is first called: "drop-dac" (root
// meets file permissions), "fsize=N" (RLIMIT_FSIZE, SIGXFSZ ignored),
// "namespaces=N" (the host takes N dlmopen namespaces first).
void prepare_child() {
  std::stringstream actions(env_or("SHIMPOOL_FAULT_PREPARE"));
  for (std::string action; std::getline(actions, action, ',');) {
    if (action == "drop-dac") {
      if (!shimpool_faults::drop_file_permission_override()) _exit(4);
    } else if (action.rfind("fsize=", 0) == 0) {
      signal(SIGXFSZ, SIG_IGN);
      const rlim_t limit = std::stoul(action.substr(6));
      rlimit size{limit, limit};
      if (setrlimit(RLIMIT_FSIZE, &size) != 0) _exit(4);
    } else if (action.rfind("namespaces=", 0) == 0) {
      for (int i = std::stoi(action.substr(11)); i > 0; --i)
        if (!dlmopen(LM_ID_NEWLM, SHIMPOOL_COUNTER_FIXTURE, RTLD_NOW | RTLD_LOCAL)) {
          fprintf(stderr, "the host could not take its namespaces: %s\n", dlerror());
          _exit(4);
        }
    }
  }
}

// Two probes, each failing, neither aborting; what they leave open is counted.
void probe_scenario() {
  prepare_child();
  const int before = open_descriptors();
  char message[2048] = "";
  int status = shimpool_toto_probe(message, sizeof message);
  const int after = open_descriptors();
  char again[2048] = "";
  int status_again = shimpool_toto_probe(again, sizeof again);
  fprintf(stderr, "probe %d: %s\nprobe again %d\ndescriptors %+d %+d\n", status, message,
          status_again, after - before, open_descriptors() - before);
}

void call_scenario() {
  prepare_child();
  fprintf(stderr, "toto_foo %d\n", toto_foo(2, 3));
}

shimpool_stats stats() {
  shimpool_stats out{};
  shimpool_toto_stats(&out, sizeof out);
  return out;
}

// One instance made; then (SHIMPOOL_FAULT_BREAK) "remove=PATH" takes the
// library away, or nothing changes (a limit the next creation runs into).
// Eight calls that block in toto_wait_event take every instance there is and
// make the pool try to create more, which fails; once the event is set (by
// this program: no instance is free for toto_signal_event), all eight
// return, and later calls from eight threads give exact results.
void keep_serving_scenario() {
  prepare_child();
  if (toto_foo(1, 1) != 2) _exit(3);
  const std::string breaking = env_or("SHIMPOOL_FAULT_BREAK");
  if (breaking.rfind("remove=", 0) == 0 && unlink(breaking.substr(7).c_str()) != 0) _exit(4);
  const std::string event = env_or("SHIMPOOL_FAULT_EVENT");
  std::atomic<int> wrong{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 8; ++i)
    waiters.emplace_back([&] {
      if (toto_wait_event(event.c_str(), 60000) != 1) ++wrong;
    });
  // Until every instance is busy and a creation has failed (not a timing
  // assertion: the parent's ctest timeout ends a child that never gets there).
  for (shimpool_stats now = stats(); now.creation_failures == 0 || now.idle_instances != 0;
       now = stats())
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  // Not through the shim: every instance is busy.
  close(open(event.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  for (auto &waiter : waiters) waiter.join();
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t)
    callers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        if (toto_foo(t, i) != t + i) ++wrong;
    });
  for (auto &caller : callers) caller.join();
  char message[2048] = "";
  const int probe = shimpool_toto_probe(message, sizeof message);
  const shimpool_stats after = stats();
  fprintf(stderr, "wrong %d live %llu failures %llu probe %d\n", wrong.load(),
          static_cast<unsigned long long>(after.live_instances),
          static_cast<unsigned long long>(after.creation_failures), probe);
}

const shimpool_test::Scenarios &scenarios() {
  static const shimpool_test::Scenarios all = {
      {"probe", probe_scenario},
      {"call", call_scenario},
      {"keep_serving", keep_serving_scenario},
  };
  return all;
}

// ---------------------------------------------------------------------------
// The parent side

size_t count(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The text after `prefix` up to the end of its line.
std::string line_after(const std::string &text, const std::string &prefix) {
  auto at = text.find(prefix);
  if (at == std::string::npos) return "";
  at += prefix.size();
  return text.substr(at, text.find('\n', at) - at);
}

// The shim's error message in what a child printed (warnings left out).
std::string error_line(const std::string &text) {
  std::istringstream lines(text);
  const std::string prefix = "shimpool[toto]: ";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0 && line.rfind(prefix + "warning: ", 0) != 0)
      return line.substr(prefix.size());
  return "";
}

// The message with what differs from one run to the next replaced: private
// directory names and descriptor numbers.
std::string normalized(const std::string &message) {
  static const std::regex private_directory("shimpool-[A-Za-z0-9]{6}/");
  static const std::regex descriptor("/proc/self/fd/[0-9]+");
  return std::regex_replace(std::regex_replace(message, private_directory, "shimpool-XXXXXX/"),
                            descriptor, "/proc/self/fd/N");
}

std::vector<unsigned char> bytes_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string &path, const std::vector<unsigned char> &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(temp_.c_str(), 0700), 0);
    ASSERT_EQ(mkdir(event_directory_.c_str(), 0700), 0);
  }

  // The environment of a case: the temp directory, the strategy, and more.
  Environment environment(const std::string &strategy, Environment more = {}) const {
    more.push_back({"SHIMPOOL_TOTO_TMPDIR", temp_});
    more.push_back({"SHIMPOOL_TOTO_STRATEGY", strategy});
    more.push_back({"SHIMPOOL_FAULT_EVENT", event_directory_ + "/event"});
    return more;
  }

  // Runs the fault through a probe and through a plain call; returns the
  // message, having checked that both give the same one, the call aborts
  // after printing it once, and the probes leave no descriptor open.
  std::string fault_message(const Environment &env) {
    const ChildResult probe = shimpool_test::run_scenario_in_child(env, "probe");
    EXPECT_TRUE(probe.exited_0()) << probe.err;
    EXPECT_EQ(entries_in(temp_), 0) << "files left in " << temp_;
    const std::string message = normalized(line_after(probe.err, "probe -1: "));
    EXPECT_NE(message, "") << probe.err;
    EXPECT_NE(probe.err.find("probe again -1"), std::string::npos) << probe.err;
    EXPECT_NE(probe.err.find("descriptors +0 +0"), std::string::npos) << probe.err;
    const ChildResult call = shimpool_test::run_scenario_in_child(env, "call");
    EXPECT_TRUE(call.aborted()) << call.err;
    EXPECT_EQ(entries_in(temp_), 0) << "files left in " << temp_;
    EXPECT_EQ(normalized(error_line(call.err)), message) << call.err;
    EXPECT_EQ(count(call.err, "shimpool[toto]: ") - count(call.err, "shimpool[toto]: warning:"), 1u)
        << call.err;
    return message;
  }

  // What the keep-serving scenario saw: wrong results, instances live at the
  // end, failed creations, the probe's status.
  struct Served {
    int wrong = -1, live = -1, failures = -1, probe = -1;
  };
  Served keep_serving(const Environment &env) {
    const ChildResult result = shimpool_test::run_scenario_in_child(env, "keep_serving");
    EXPECT_TRUE(result.exited_0()) << result.err;
    EXPECT_EQ(entries_in(temp_), 0) << "files left in " << temp_;
    Served served;
    const std::string line = line_after(result.err, "wrong ");
    EXPECT_EQ(sscanf(line.c_str(), "%d live %d failures %d probe %d", &served.wrong, &served.live,
                     &served.failures, &served.probe),
              4)
        << result.err;
    EXPECT_EQ(served.wrong, 0) << result.err;
    EXPECT_EQ(served.probe, 0) << "instances are there: the probe succeeds\n" << result.err;
    EXPECT_EQ(count(result.err, "warning: could not load another instance, so calls wait for the"),
              1u)
        << "the first failed creation is reported once\n"
        << result.err;
    return served;
  }

  // A copy of the real toto library the test may break.
  std::string library_copy(const std::string &name) const {
    const std::string path = scratch_.path().string() + "/" + name;
    write_bytes(path, bytes_of(SHIMPOOL_TOTO_REAL));
    return path;
  }

  shimpool_test::ScratchDir scratch_{"shimpool-faults"};
  const std::string temp_ = scratch_.path().string() + "/tmp";
  const std::string event_directory_ = scratch_.path().string() + "/events";
};

class EveryStrategy : public Faults, public ::testing::WithParamInterface<const char *> {};

INSTANTIATE_TEST_SUITE_P(, EveryStrategy, ::testing::Values("copy", "memfd", "namespace"),
                         [](const auto &info) { return std::string(info.param); });

const std::string kLibraryAdvice = "Set SHIMPOOL_TOTO_REAL_LIBRARY to the original library's path";
const std::string kLoaderAdvice =
    "Set SHIMPOOL_TOTO_REAL_LIBRARY to the original library built for this platform, and check "
    "that its dependencies can be found";
const std::string kTempAdvice =
    "Set SHIMPOOL_TOTO_TMPDIR to a writable directory on a filesystem that allows executables";
const std::string kLimitAdvice =
    "Lower SHIMPOOL_TOTO_MAX_INSTANCES, or choose another strategy with SHIMPOOL_TOTO_STRATEGY";

TEST_P(EveryStrategy, MissingLibrary) {
  const std::string missing = scratch_.path().string() + "/libtoto.missing.so";
  EXPECT_EQ(
      fault_message(environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", missing}})),
      "cannot open the real library " + missing + ": No such file or directory. " + kLibraryAdvice);
}

TEST_P(EveryStrategy, UnreadableLibrary) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root to drop CAP_DAC_OVERRIDE (as a user, chmod 000 does it)";
  const std::string library = library_copy("libtoto.unreadable.so");
  ASSERT_EQ(chmod(library.c_str(), 0), 0);
  EXPECT_EQ(fault_message(environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", library},
                                                   {"SHIMPOOL_FAULT_PREPARE", "drop-dac"}})),
            "cannot open the real library " + library + ": Permission denied. " + kLibraryAdvice);
}

TEST_P(EveryStrategy, ADirectoryIsNotALibrary) {
  const std::string directory = event_directory_;
  EXPECT_EQ(fault_message(environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", directory}})),
            "the real library " + directory + " is not a regular file. " + kLibraryAdvice);
}

// Damaged and foreign files: the loader's reason, the path and the advice.
// A truncated library is refused before the loader sees it: ld.so maps
// segments past the end of the file and dies of SIGBUS touching them.
TEST_P(EveryStrategy, CorruptLibrariesAreRefused) {
  const std::vector<unsigned char> real = bytes_of(SHIMPOOL_TOTO_REAL);
  ASSERT_GT(real.size(), 4096u);
  const std::string text(200, 'x');
  std::vector<unsigned char> other_class = real;
  other_class[4] = 1;  // EI_CLASS: ELFCLASS32
  struct Case {
    std::string name;
    std::vector<unsigned char> bytes;
    std::string reason;
  } cases[] = {
      {"text", {text.begin(), text.end()}, "invalid ELF header"},  // longer than a header
      {"empty", {}, "file too short"},
      {"truncated",
       {real.begin(), real.begin() + 2048},
       "cannot be loaded: it holds 2048 bytes, but its program headers say "},
      {"other-class", other_class, "wrong ELF class: ELFCLASS32"},
      {"executable", bytes_of("/usr/bin/true"),
       "cannot dynamically load position-independent executable"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = scratch_.path().string() + "/libtoto." + c.name + ".so";
    write_bytes(path, c.bytes);
    const std::string message =
        fault_message(environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", path}}));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(c.reason), std::string::npos) << message;
    EXPECT_NE(message.find(". " + kLoaderAdvice), std::string::npos) << message;
  }
}

TEST_P(EveryStrategy, LibraryWithoutTheFunctions) {
  EXPECT_EQ(fault_message(environment(GetParam(),
                                      {{"SHIMPOOL_TOTO_REAL_LIBRARY", SHIMPOOL_COUNTER_FIXTURE}})),
            std::string("the real library ") + SHIMPOOL_COUNTER_FIXTURE +
                " has no function 'toto_foo' that the header declares. Set "
                "SHIMPOOL_TOTO_REAL_LIBRARY to the library this header belongs to, or regenerate "
                "the shim without it");
}

// toto with 4 KiB of initial-exec TLS: not even one instance fits.
TEST_P(EveryStrategy, StaticTlsExhausted) {
  const std::string message = fault_message(
      environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", SHIMPOOL_TOTO_TLS4096}}));
  EXPECT_NE(message.find("cannot allocate memory in static TLS block. Every instance of a library "
                         "with initial-exec TLS (4096 bytes here) takes space from glibc's static "
                         "TLS reserve, which is used up: start the program with "
                         "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=<bytes>"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(". " + kLimitAdvice), std::string::npos) << message;
}

// ---- Later creations fail: the shim keeps serving -------------------------

TEST_P(EveryStrategy, KeepsServingWhenTheLibraryIsRemoved) {
  const std::string library = library_copy("libtoto.removed.so");
  const Served served =
      keep_serving(environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", library},
                                            {"SHIMPOOL_FAULT_BREAK", "remove=" + library}}));
  EXPECT_EQ(served.live, 1);
  // One blocked call tried to create an instance and failed; the others waited
  // instead of paying for the same failure (the pool backs off).
  EXPECT_GE(served.failures, 1);
  EXPECT_LT(served.failures, 7) << "every blocked call tried to load again";
}

// toto with 512 bytes of initial-exec TLS: a few instances fit, then no more.
TEST_P(EveryStrategy, KeepsServingWhenStaticTlsRunsOut) {
  const Served served =
      keep_serving(environment(GetParam(), {{"SHIMPOOL_TOTO_REAL_LIBRARY", SHIMPOOL_TOTO_TLS512}}));
  EXPECT_GE(served.live, 1);
  EXPECT_LT(served.live, 8);
  EXPECT_GE(served.failures, 1);
}

// ---- The namespace limit ---------------------------------------------------

// The host has taken every namespace glibc has (15 besides its own).
TEST_F(Faults, NamespaceLimitFirstInstance) {
  const std::string message =
      fault_message(environment("namespace", {{"SHIMPOOL_FAULT_PREPARE", "namespaces=15"}}));
  EXPECT_NE(message.find("no more namespaces available for dlmopen()"), std::string::npos)
      << message;
  EXPECT_NE(message.find("glibc has 16 link-map namespaces including the program's own"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(". " + kLimitAdvice), std::string::npos) << message;
}

// The host leaves two namespaces: two instances, then creations fail.
TEST_F(Faults, NamespaceLimitKeepsServing) {
  const Served served =
      keep_serving(environment("namespace", {{"SHIMPOOL_FAULT_PREPARE", "namespaces=13"}}));
  EXPECT_EQ(served.live, 2);
  EXPECT_GE(served.failures, 1);
}

// ---- The temp directory (copy strategy) ------------------------------------

TEST_F(Faults, TempDirectoryMissing) {
  Environment env = environment("copy");
  const std::string missing = temp_ + "/missing";
  env.push_back({"SHIMPOOL_TOTO_TMPDIR", missing});
  EXPECT_EQ(fault_message(env), "cannot create a private directory in " + missing +
                                    ": No such file or directory. " + kTempAdvice);
}

TEST_F(Faults, TempDirectoryNotWritable) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root to drop CAP_DAC_OVERRIDE (as a user, chmod 500 does it)";
  ASSERT_EQ(chmod(temp_.c_str(), 0500), 0);
  const std::string message =
      fault_message(environment("copy", {{"SHIMPOOL_FAULT_PREPARE", "drop-dac"}}));
  chmod(temp_.c_str(), 0700);
  EXPECT_EQ(message, "cannot create a private directory in " + temp_ + ": Permission denied. " +
                         kTempAdvice);
}

TEST_F(Faults, TempDirectoryReadOnly) {
  if (!g_can_mount) GTEST_SKIP() << g_cannot_mount;
  TmpfsMount mount(temp_, MS_RDONLY | MS_NOSUID, "size=1m,mode=0700");
  ASSERT_TRUE(mount.mounted()) << mount.why_not();
  EXPECT_EQ(fault_message(environment("copy")), "cannot create a private directory in " + temp_ +
                                                    ": Read-only file system. " + kTempAdvice);
}

// A tmpfs smaller than the library: the copy runs out of space.
TEST_F(Faults, TempDirectoryFull) {
  if (!g_can_mount) GTEST_SKIP() << g_cannot_mount;
  TmpfsMount mount(temp_, MS_NOSUID, "size=8k,mode=0700");
  ASSERT_TRUE(mount.mounted()) << mount.why_not();
  const std::string message = fault_message(environment("copy"));
  EXPECT_EQ(message, "cannot copy " SHIMPOOL_TOTO_REAL " to " + temp_ +
                         "/shimpool-XXXXXX/libtoto.real.so: No space left on device. " +
                         kTempAdvice);
}

TEST_F(Faults, FileSizeLimit) {
  const std::string message =
      fault_message(environment("copy", {{"SHIMPOOL_FAULT_PREPARE", "fsize=4096"}}));
  EXPECT_EQ(message, "cannot copy " SHIMPOOL_TOTO_REAL " to " + temp_ +
                         "/shimpool-XXXXXX/libtoto.real.so: File too large (this process's file "
                         "size limit, RLIMIT_FSIZE or ulimit -f, is below the library's size). " +
                         kTempAdvice);
}

TEST_F(Faults, FileSizeLimitInMemory) {
  EXPECT_EQ(fault_message(environment("memfd", {{"SHIMPOOL_FAULT_PREPARE", "fsize=4096"}})),
            "cannot copy " SHIMPOOL_TOTO_REAL
            " into memory: File too large (this process's file size limit, RLIMIT_FSIZE or "
            "ulimit -f, is below the library's size). " +
                kLimitAdvice);
}

// noexec: not a failure. Instances come from memory, a warning says so once.
TEST_F(Faults, NoexecTempDirectoryFallsBackToMemory) {
  if (!g_can_mount) GTEST_SKIP() << g_cannot_mount;
  TmpfsMount mount(temp_, MS_NOEXEC | MS_NOSUID, "size=1m,mode=0700");
  ASSERT_TRUE(mount.mounted()) << mount.why_not();
  const ChildResult result = shimpool_test::run_scenario_in_child(environment("copy"), "call");
  EXPECT_TRUE(result.exited_0()) << result.err;
  EXPECT_EQ(entries_in(temp_), 0);
  EXPECT_NE(result.err.find("toto_foo 5"), std::string::npos) << result.err;
  EXPECT_EQ(count(result.err, "shimpool[toto]: warning: " + temp_ +
                                  " is on a filesystem mounted noexec, where a copy cannot be "
                                  "loaded, so instances are loaded from memory instead"),
            1u)
      << result.err;
}

// Room for two copies (each stays allocated while its instance is mapped).
TEST_F(Faults, KeepsServingWhenTheTempDirectoryFills) {
  if (!g_can_mount) GTEST_SKIP() << g_cannot_mount;
  const size_t library = bytes_of(SHIMPOOL_TOTO_REAL).size();
  const size_t pages = (library * 5 / 2 + 4095) / 4096;
  TmpfsMount mount(temp_, MS_NOSUID, "size=" + std::to_string(pages * 4) + "k,mode=0700");
  ASSERT_TRUE(mount.mounted()) << mount.why_not();
  const Served served = keep_serving(environment("copy"));
  EXPECT_EQ(served.live, 2);
  EXPECT_GE(served.failures, 1);
}

}  // namespace

int main(int argc, char **argv) {
  if (!getenv("SHIMPOOL_TEST_SCENARIO"))
    g_can_mount = shimpool_faults::enter_private_mount_namespace(g_cannot_mount);
  return shimpool_test::run_scenario_or_tests(argc, argv, scenarios());
}
