// The three loading strategies against real shared libraries: separate
// instances, nothing left on disk or open, $ORIGIN dependencies, the noexec
// fallback, the loader limits and the ELF inspection that warns about them.
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "elf_inspect.h"
#include "platform.h"

namespace shimpool::platform {
namespace {

int entries_in(const std::string &directory) {
  int count = 0;
  if (DIR *dir = opendir(directory.c_str())) {
    while (dirent *entry = readdir(dir))
      if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..") ++count;
    closedir(dir);
  }
  return count;
}

int open_descriptors() { return entries_in("/proc/self/fd"); }

template <typename F>
F symbol(void *library, const char *name) {
  return reinterpret_cast<F>(find_symbol(library, name));
}

// The file name the loader recorded for the object containing `address`.
std::string loaded_name(const void *address) {
  Dl_info info{};
  return dladdr(address, &info) && info.dli_fname ? info.dli_fname : "";
}

std::string copy_of(const std::string &from, const std::string &to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream(to, std::ios::binary) << in.rdbuf();
  chmod(to.c_str(), 0700);
  return to;
}

// Runs `body` in a child process and returns what it printed, so loader state
// the body uses up (namespaces, static TLS) is not the test process's.
std::string in_child(const std::function<std::string()> &body) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    std::string out = body();
    ssize_t ignored = write(pipe_fds[1], out.data(), out.size());
    (void)ignored;
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

class Loading : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "shimpool-strategies-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_ = pattern;
    options_.temp_directory = temp_;
    options_.warn = &Loading::record;
    options_.warn_context = this;
  }
  void TearDown() override { rmdir(temp_.c_str()); }

  static void record(void *context, LoadWarning kind, const char *message) {
    static_cast<Loading *>(context)->warnings_.push_back({kind, message});
  }

  void *load(const char *path) {
    LoadError error;
    void *library = load_private_copy(path, options_, error);
    EXPECT_NE(library, nullptr) << error.message;
    return library;
  }

  std::string warning(LoadWarning kind) const {
    for (const auto &[k, message] : warnings_)
      if (k == kind) return message;
    return "";
  }

  std::string temp_;
  LoadOptions options_;
  std::vector<std::pair<LoadWarning, std::string>> warnings_;
};

class EveryStrategy : public Loading, public ::testing::WithParamInterface<LoadStrategy> {
 protected:
  void SetUp() override {
    Loading::SetUp();
    options_.strategy = GetParam();
  }
};

INSTANTIATE_TEST_SUITE_P(, EveryStrategy,
                         ::testing::Values(LoadStrategy::Copy, LoadStrategy::Memfd,
                                           LoadStrategy::Namespace),
                         [](const auto &info) { return std::string(to_string(info.param)); });

TEST_P(EveryStrategy, EachInstanceHasItsOwnGlobals) {
  void *a = load(SHIMPOOL_COUNTER_FIXTURE);
  void *b = load(SHIMPOOL_COUNTER_FIXTURE);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a, b);
  EXPECT_EQ(symbol<int (*)(int)>(a, "counter_add")(5), 5);
  EXPECT_EQ(symbol<int (*)(int)>(a, "counter_add")(5), 10);
  EXPECT_EQ(symbol<int (*)(int)>(b, "counter_add")(1), 1);
  EXPECT_NE(symbol<void *>(a, "counter_identity"), symbol<void *>(b, "counter_identity"));
  unload(a);
  unload(b);
}

TEST_P(EveryStrategy, LeavesNothingOnDisk) {
  void *library = load(SHIMPOOL_COUNTER_FIXTURE);
  EXPECT_EQ(entries_in(temp_), 0) << "while loaded";
  unload(library);
  EXPECT_EQ(entries_in(temp_), 0) << "after unloading";
}

TEST_P(EveryStrategy, LeavesNoDescriptorOpenAfterUnload) {
  void *warm = load(SHIMPOOL_COUNTER_FIXTURE);  // first-use allocations of the loader itself
  unload(warm);
  const int before = open_descriptors();
  void *library = load(SHIMPOOL_COUNTER_FIXTURE);
  const int while_loaded = open_descriptors();
  unload(library);
  EXPECT_EQ(open_descriptors(), before);
  // The documented cost: a memfd instance holds one descriptor while it lives.
  EXPECT_EQ(while_loaded - before, GetParam() == LoadStrategy::Memfd ? 1 : 0);
}

TEST_P(EveryStrategy, InternalCallsStayInsideTheInstance) {
  void *library = load(SHIMPOOL_INTERPOSE_FIXTURE);
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(symbol<int (*)()>(library, "ip_outer")(), 1) << "bound to the test program's ip_inner";
  unload(library);
}

TEST_P(EveryStrategy, FindsDependenciesNextToTheOriginal) {
  void *library = load(SHIMPOOL_ORIGIN_FIXTURE);
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(symbol<int (*)(int)>(library, "origin_dep_add")(3), 3);
  EXPECT_EQ(entries_in(temp_), 0);
  unload(library);
}

std::vector<unsigned char> bytes_of(const char *path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// generate --embed: instances written from bytes the shim carries, the path
// naming a file that need not exist (and whose directory holds dependencies).
TEST_P(EveryStrategy, EmbeddedBytesMakeSeparateInstances) {
  const std::vector<unsigned char> image = bytes_of(SHIMPOOL_COUNTER_FIXTURE);
  ASSERT_FALSE(image.empty());
  options_.image = image;
  const std::string named = temp_ + "/libcounter.real.so";  // never created
  LoadError error;
  void *a = load_private_copy(named, options_, error);
  ASSERT_NE(a, nullptr) << error.message;
  void *b = load_private_copy(named, options_, error);
  ASSERT_NE(b, nullptr) << error.message;
  EXPECT_EQ(symbol<int (*)(int)>(a, "counter_add")(5), 5);
  EXPECT_EQ(symbol<int (*)(int)>(b, "counter_add")(2), 2);
  EXPECT_NE(symbol<void *>(a, "counter_identity"), symbol<void *>(b, "counter_identity"));
  EXPECT_EQ(entries_in(temp_), 0) << "nothing written stays on disk";
  unload(a);
  unload(b);
}

TEST_P(EveryStrategy, EmbeddedBytesThatAreNoLibraryAreRefused) {
  const unsigned char junk[] = "not a shared library at all";
  options_.image = std::span<const unsigned char>(junk, sizeof junk);
  LoadError error;
  EXPECT_EQ(load_private_copy(temp_ + "/libjunk.so", options_, error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::Loader) << error.message;
  EXPECT_NE(error.message.find("libjunk.so"), std::string::npos) << error.message;
  EXPECT_EQ(entries_in(temp_), 0);
}

// The problem the preloading solves: a plain copy elsewhere does not find the
// dependency its RUNPATH $ORIGIN pointed at.
TEST_F(Loading, PlainCopyMissesDependenciesNextToTheOriginal) {
  const std::string copy = copy_of(SHIMPOOL_ORIGIN_FIXTURE, temp_ + "/liborigin_fixture.so");
  void *library = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
  const std::string reason = library ? "loaded" : dlerror();
  unlink(copy.c_str());
  if (library) dlclose(library);
  EXPECT_NE(reason.find("libdep_fixture.so: cannot open shared object file"), std::string::npos)
      << reason;
}

// Copies share a dependency (same soname in one namespace); each namespace
// loads its own.
TEST_P(EveryStrategy, DependenciesAreSharedExceptInNamespaces) {
  void *a = load(SHIMPOOL_ORIGIN_FIXTURE);
  void *b = load(SHIMPOOL_ORIGIN_FIXTURE);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(symbol<int (*)(int)>(a, "origin_add")(1), 1);
  EXPECT_EQ(symbol<int (*)(int)>(b, "origin_add")(1), 1) << "the libraries themselves are separate";
  EXPECT_EQ(symbol<int (*)(int)>(a, "origin_dep_add")(1), 1);
  EXPECT_EQ(symbol<int (*)(int)>(b, "origin_dep_add")(1),
            GetParam() == LoadStrategy::Namespace ? 1 : 2);
  unload(a);
  unload(b);
}

// Loads and unloads in a pattern that reuses descriptor numbers and, for
// memfd, /proc/self/fd paths: every live instance must still be its own.
TEST_P(EveryStrategy, LiveInstancesAreAlwaysDistinct) {
  std::vector<void *> live;
  for (int round = 0; round < 4; ++round) {
    live.push_back(load(SHIMPOOL_COUNTER_FIXTURE));
    live.push_back(load(SHIMPOOL_COUNTER_FIXTURE));
    unload(live[live.size() - 2]);
    live.erase(live.end() - 2);
  }
  std::set<void *> handles, counters;
  for (void *library : live) {
    ASSERT_NE(library, nullptr);
    handles.insert(library);
    counters.insert(symbol<void *>(library, "counter_identity"));
    EXPECT_EQ(symbol<int (*)(int)>(library, "counter_add")(1), 1);
  }
  EXPECT_EQ(handles.size(), live.size());
  EXPECT_EQ(counters.size(), live.size());
  for (void *library : live) unload(library);
}

// Pools create and evict instances from several threads at once.
TEST_P(EveryStrategy, ConcurrentLoadsStayDistinct) {
  std::atomic<int> failures{0};
  auto work = [&] {
    for (int round = 0; round < 10; ++round) {
      LoadError error;
      void *a = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
      void *b = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
      if (!a || !b || a == b || symbol<int (*)(int)>(a, "counter_add")(1) != 1 ||
          symbol<int (*)(int)>(b, "counter_add")(1) != 1)
        ++failures;
      unload(a);
      unload(b);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(work);
  for (auto &thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(entries_in(temp_), 0);
}

TEST_P(EveryStrategy, MissingLibraryNamesThePath) {
  LoadError error;
  EXPECT_EQ(load_private_copy("/nonexistent/libnothing.so", options_, error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::RealLibrary);
  EXPECT_NE(error.message.find("/nonexistent/libnothing.so"), std::string::npos) << error.message;
}

TEST_P(EveryStrategy, PlainCLibraryGivesNoWarnings) {
  unload(load(SHIMPOOL_COUNTER_FIXTURE));
  EXPECT_TRUE(warnings_.empty()) << warnings_.front().second;
}

TEST_P(EveryStrategy, InitialExecTlsIsReported) {
  void *library = load(SHIMPOOL_STATIC_TLS_FIXTURE);
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(symbol<int (*)(int)>(library, "tls_add")(2), 2);
  EXPECT_NE(warning(LoadWarning::StaticTls).find("glibc.rtld.optional_static_tls"),
            std::string::npos);
  unload(library);
}

// Loads the 4 KiB initial-exec TLS fixture until the reserve runs out (in a
// child: the space is not given back).
TEST_P(EveryStrategy, StaticTlsExhaustionNamesTheTunable) {
  std::string out = in_child([this] {
    LoadError error;
    for (int i = 0; i < 32; ++i)
      if (!load_private_copy(SHIMPOOL_STATIC_TLS_BIG_FIXTURE, options_, error))
        return std::to_string(static_cast<int>(error.cause)) + " " + error.message;
    return std::string("never failed");
  });
  EXPECT_EQ(out.substr(0, 2), std::to_string(static_cast<int>(LoadFailure::LoaderLimit)) + " ")
      << out;
  EXPECT_NE(out.find("static TLS"), std::string::npos) << out;
  EXPECT_NE(out.find("GLIBC_TUNABLES=glibc.rtld.optional_static_tls="), std::string::npos) << out;
}

// An instance that cannot be unloaded stays mapped under its old path (and,
// for memfd, its old descriptor): later loads must not get it back.
TEST_P(EveryStrategy, NodeleteInstancesAreNeverHandedOutAgain) {
  void *first = load(SHIMPOOL_NODELETE_FIXTURE);
  ASSERT_NE(first, nullptr);
  void *first_counter = symbol<void *>(first, "counter_identity");
  EXPECT_EQ(symbol<int (*)(int)>(first, "counter_add")(7), 7);
  unload(first);
  EXPECT_FALSE(loaded_name(first_counter).empty()) << "still mapped";
  void *second = load(SHIMPOOL_NODELETE_FIXTURE);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(symbol<void *>(second, "counter_identity"), first_counter);
  EXPECT_EQ(symbol<int (*)(int)>(second, "counter_add")(1), 1) << "a fresh instance";
  EXPECT_NE(warning(LoadWarning::NeverUnloaded).find("NODELETE"), std::string::npos);
  unload(second);
}

TEST(LoadStrategy, NamesRoundTrip) {
  for (auto strategy : {LoadStrategy::Copy, LoadStrategy::Memfd, LoadStrategy::Namespace})
    EXPECT_EQ(parse_load_strategy(to_string(strategy)), strategy);
  EXPECT_EQ(parse_load_strategy("Namespace"), LoadStrategy::Namespace);
  EXPECT_EQ(parse_load_strategy("dlmopen"), std::nullopt);
  EXPECT_EQ(parse_load_strategy(""), std::nullopt);
}

// --- STB_GNU_UNIQUE -------------------------------------------------------

// The pitfall, pinned: byte copies are separate instances, yet the loader binds
// every copy's unique symbols to one definition, so that state is shared.
TEST_F(Loading, CopiesShareUniqueState) {
  void *a = load(SHIMPOOL_UNIQUE_FIXTURE);
  void *b = load(SHIMPOOL_UNIQUE_FIXTURE);
  ASSERT_TRUE(a && b);
  EXPECT_NE(symbol<void *>(a, "unique_next"), symbol<void *>(b, "unique_next"));
  EXPECT_EQ(symbol<int (*)()>(a, "unique_next")(), 1);
  EXPECT_EQ(symbol<int (*)()>(b, "unique_next")(), 2)
      << "if this is 1, copies isolate unique symbols now";
  EXPECT_EQ(symbol<int (*)()>(a, "template_next")(), 1);
  EXPECT_EQ(symbol<int (*)()>(b, "template_next")(), 2);
  EXPECT_NE(warning(LoadWarning::UniqueSymbols).find("namespace strategy isolates"),
            std::string::npos);
  unload(a);
  unload(b);
}

TEST_F(Loading, NamespacesIsolateUniqueState) {
  options_.strategy = LoadStrategy::Namespace;
  void *a = load(SHIMPOOL_UNIQUE_FIXTURE);
  void *b = load(SHIMPOOL_UNIQUE_FIXTURE);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(symbol<int (*)()>(a, "unique_next")(), 1);
  EXPECT_EQ(symbol<int (*)()>(b, "unique_next")(), 1);
  EXPECT_EQ(symbol<int (*)()>(a, "template_next")(), 1);
  EXPECT_EQ(symbol<int (*)()>(b, "template_next")(), 1);
  EXPECT_NE(warning(LoadWarning::UniqueSymbols).find("keeps one of the 15 namespaces"),
            std::string::npos);
  unload(a);
  unload(b);
}

// --- memfd paths ----------------------------------------------------------

// The glibc behaviour the memfd strategy works around: a second file dlopen'd
// as /proc/self/fd/N, with N reused, comes back as the first library.
TEST(GlibcPitfall, ReusedMemfdPathReturnsTheLoadedLibrary) {
  auto load_memfd = [](int &fd) {
    fd = memfd_create("pitfall", MFD_CLOEXEC);
    int source = open(SHIMPOOL_COUNTER_FIXTURE, O_RDONLY | O_CLOEXEC);
    struct stat info {};
    fstat(source, &info);
    off_t offset = 0;
    sendfile(fd, source, &offset, info.st_size);
    close(source);
    return dlopen(("/proc/self/fd/" + std::to_string(fd)).c_str(), RTLD_NOW | RTLD_LOCAL);
  };
  int first_fd = -1, second_fd = -1;
  void *first = load_memfd(first_fd);
  ASSERT_NE(first, nullptr) << dlerror();
  close(first_fd);  // the library stays loaded, its path string free for reuse
  void *second = load_memfd(second_fd);
  ASSERT_EQ(second_fd, first_fd) << "the test needs the descriptor number reused";
  EXPECT_EQ(second, first) << "if this differs, glibc no longer matches by path string";
  close(second_fd);
  dlclose(second);
  dlclose(first);
}

TEST_F(Loading, MemfdInstancesStayDistinctWhenDescriptorsAreReused) {
  options_.strategy = LoadStrategy::Memfd;
  void *first = load(SHIMPOOL_COUNTER_FIXTURE);
  const std::string first_name = loaded_name(symbol<void *>(first, "counter_add"));
  unload(first);
  void *second = load(SHIMPOOL_COUNTER_FIXTURE);
  void *third = load(SHIMPOOL_COUNTER_FIXTURE);
  ASSERT_TRUE(second && third);
  EXPECT_EQ(loaded_name(symbol<void *>(second, "counter_add")), first_name)
      << "the scenario needs the unloaded instance's /proc/self/fd path reused";
  EXPECT_NE(second, third);
  EXPECT_EQ(symbol<int (*)(int)>(second, "counter_add")(1), 1)
      << "a fresh instance, not the old one";
  EXPECT_EQ(symbol<int (*)(int)>(third, "counter_add")(1), 1);
  unload(second);
  unload(third);
}

// glibc pins the first object to define a unique symbol (NODELETE; later
// copies bind to it): after unload that instance stays mapped, so its path
// must stay taken: its descriptor is kept, and later instances differ.
TEST_F(Loading, MemfdKeepsAPinnedInstancesPathTaken) {
  options_.strategy = LoadStrategy::Memfd;
  void *first = load(SHIMPOOL_PINNED_UNIQUE_FIXTURE);
  ASSERT_NE(first, nullptr);
  void *first_function = symbol<void *>(first, "unique_next");
  const std::string first_name = loaded_name(first_function);
  const int before = open_descriptors();
  unload(first);
  ASSERT_EQ(loaded_name(first_function), first_name)
      << "still mapped after unload, unless something else defined these symbols first";
  EXPECT_EQ(open_descriptors(), before) << "its descriptor is kept";
  void *second = load(SHIMPOOL_PINNED_UNIQUE_FIXTURE);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_NE(symbol<void *>(second, "unique_next"), first_function);
  EXPECT_NE(loaded_name(symbol<void *>(second, "unique_next")), first_name);
  EXPECT_EQ(symbol<int (*)()>(second, "unique_next")(), 1) << "nothing called the first one";
  EXPECT_EQ(symbol<int (*)()>(second, "unique_next")(), 2);
  unload(second);
  EXPECT_EQ(open_descriptors(), before) << "a later instance is unloaded, with its descriptor";
}

// --- temp directory and loader limits --------------------------------------

// The premise of the fallback, and the fallback itself. Needs root to mount.
TEST_F(Loading, NoexecTempDirectoryFallsBackToMemfd) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a noexec tmpfs";
  const std::string mount_point = temp_ + "/noexec";
  ASSERT_EQ(mkdir(mount_point.c_str(), 0700), 0);
  if (mount("tmpfs", mount_point.c_str(), "tmpfs", MS_NOEXEC | MS_NOSUID, "size=1m,mode=0700") !=
      0) {
    rmdir(mount_point.c_str());
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  // In a child: after this failure glibc 2.36 leaves part of the file mapped,
  // which would keep the mount busy.
  const std::string plain = copy_of(SHIMPOOL_COUNTER_FIXTURE, mount_point + "/libplain.so");
  const std::string refused = in_child([&] {
    return std::string(dlopen(plain.c_str(), RTLD_NOW | RTLD_LOCAL) ? "loaded" : dlerror());
  });
  EXPECT_NE(refused.find("failed to map segment"), std::string::npos) << refused;
  unlink(plain.c_str());

  options_.temp_directory = mount_point;
  void *library = load(SHIMPOOL_COUNTER_FIXTURE);
  const std::string fallback = warning(LoadWarning::NoexecFallback);
  const int left = entries_in(mount_point);
  if (library) {
    EXPECT_EQ(loaded_name(symbol<void *>(library, "counter_add")).rfind("/proc/self/fd/", 0), 0u);
    unload(library);
  }
  // A lazy unmount if anything still holds it, so no mount is ever left behind.
  if (umount(mount_point.c_str()) != 0) umount2(mount_point.c_str(), MNT_DETACH);
  rmdir(mount_point.c_str());
  EXPECT_NE(fallback.find(mount_point + " is on a filesystem mounted noexec"), std::string::npos)
      << fallback;
  EXPECT_EQ(left, 0);
}

TEST_F(Loading, NamespaceLimitNamesTheTunable) {
  options_.strategy = LoadStrategy::Namespace;
  std::string out = in_child([this] {
    LoadError error;
    for (int i = 0; i < 20; ++i)
      if (!load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error))
        return std::to_string(i) + " " + std::to_string(static_cast<int>(error.cause)) + " " +
               error.message;
    return std::string("never failed");
  });
  int loaded = std::atoi(out.c_str());
  EXPECT_GT(loaded, 0) << out;
  EXPECT_LE(loaded, 15) << out;
  EXPECT_NE(out.find(" " + std::to_string(static_cast<int>(LoadFailure::LoaderLimit)) + " "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("no more namespaces"), std::string::npos) << out;
  EXPECT_NE(out.find("16 link-map namespaces"), std::string::npos) << out;
  EXPECT_NE(out.find("GLIBC_TUNABLES=glibc.rtld.nns=16"), std::string::npos) << out;
}

// Namespaces are given back when their instance is unloaded (unless unique
// symbols pin them): a pool evicting and recreating instances keeps working.
TEST_F(Loading, UnloadedNamespacesAreReused) {
  options_.strategy = LoadStrategy::Namespace;
  std::string out = in_child([this] {
    LoadError error;
    for (int i = 0; i < 40; ++i) {
      void *library = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
      if (!library) return "failed at " + std::to_string(i) + ": " + error.message;
      unload(library);
    }
    return std::string("ok");
  });
  EXPECT_EQ(out, "ok");
}

// --- ELF inspection --------------------------------------------------------

std::vector<std::byte> file_bytes(const char *path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

bool contains(const std::vector<std::string> &list, const std::string &item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(ElfInspect, FindsUniqueSymbols) {
  std::string error;
  auto info = elf::inspect_file(SHIMPOOL_UNIQUE_FIXTURE, error);
  ASSERT_TRUE(info) << error;
  EXPECT_TRUE(info->has_symbol_table);
  EXPECT_TRUE(contains(info->unique_symbols, "_ZZ14unique_countervE7counter"));
  EXPECT_TRUE(contains(info->unique_symbols, "_ZN8RegistryIiE5countE"));
  EXPECT_FALSE(info->static_tls);
}

TEST(ElfInspect, FindsInitialExecTls) {
  std::string error;
  auto info = elf::inspect_file(SHIMPOOL_STATIC_TLS_FIXTURE, error);
  ASSERT_TRUE(info) << error;
  EXPECT_TRUE(info->static_tls);
  EXPECT_GE(info->tls_size, sizeof(int));
  EXPECT_TRUE(info->unique_symbols.empty());
}

TEST(ElfInspect, PlainCLibraryHasNeither) {
  std::string error;
  auto info = elf::inspect_file(SHIMPOOL_COUNTER_FIXTURE, error);
  ASSERT_TRUE(info) << error;
  EXPECT_TRUE(info->has_symbol_table);
  EXPECT_TRUE(info->unique_symbols.empty());
  EXPECT_FALSE(info->static_tls);
  EXPECT_EQ(info->tls_size, 0u);
}

TEST(ElfInspect, FindsNodelete) {
  std::string error;
  auto nodelete = elf::inspect_file(SHIMPOOL_NODELETE_FIXTURE, error);
  ASSERT_TRUE(nodelete) << error;
  EXPECT_TRUE(nodelete->nodelete);
  EXPECT_FALSE(elf::inspect_file(SHIMPOOL_COUNTER_FIXTURE, error)->nodelete);
}

TEST(ElfInspect, ReadsNeededSonameAndRunpath) {
  std::string error;
  auto info = elf::inspect_file(SHIMPOOL_ORIGIN_FIXTURE, error);
  ASSERT_TRUE(info) << error;
  EXPECT_EQ(info->soname, "liborigin_fixture.so");
  EXPECT_TRUE(contains(info->needed, "libdep_fixture.so"));
  EXPECT_TRUE(contains(info->runpath, "$ORIGIN"));
  std::string directory = SHIMPOOL_ORIGIN_FIXTURE;
  directory.erase(directory.find_last_of('/'));
  EXPECT_TRUE(contains(elf::origin_directories(*info, directory), directory));
}

TEST(ElfInspect, OriginDirectoriesExpandOnlyTheToken) {
  elf::ElfInfo info;
  info.runpath = {"$ORIGIN", "${ORIGIN}/../lib", "/usr/lib", "$ORIGINAL/x", "$ORIGIN/a:b"};
  EXPECT_EQ(elf::origin_directories(info, "/opt/app"),
            (std::vector<std::string>{"/opt/app", "/opt/app/../lib", "/opt/app/a:b"}));
}

TEST(ElfInspect, RefusesWhatIsNotASharedLibrary) {
  std::string error;
  EXPECT_FALSE(elf::inspect_file("/nonexistent/libnothing.so", error));
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  const char text[] = "this is not an ELF file";
  EXPECT_FALSE(elf::inspect(std::as_bytes(std::span(text)), error));
  EXPECT_EQ(error, "not an ELF file");
}

// ld.so would map segments past the end of a cut file and die of SIGBUS:
// every cut before the end of the last loadable segment is recognised, none
// after it, and what is not ELF is left to the loader.
TEST(ElfInspect, RecognisesTruncatedLibraries) {
  const auto bytes = file_bytes(SHIMPOOL_COUNTER_FIXTURE);
  EXPECT_EQ(elf::truncation(bytes), "");
  size_t whole_from = bytes.size();  // the shortest cut that still holds every segment
  while (whole_from > sizeof(Elf64_Ehdr) &&
         elf::truncation(std::span(bytes).first(whole_from - 1)).empty())
    --whole_from;
  EXPECT_GT(whole_from, 4096u) << "the loadable segments end past the first page";
  for (size_t size = sizeof(Elf64_Ehdr); size < whole_from; ++size)
    ASSERT_NE(elf::truncation(std::span(bytes).first(size)), "") << size;
  EXPECT_EQ(elf::truncation(std::span(bytes).first(2048)),
            "it holds 2048 bytes, but its program headers say " + std::to_string(whole_from) +
                " (the file is truncated or damaged)");
  const char text[] = "this is not an ELF file, however long it is";
  EXPECT_EQ(elf::truncation(std::as_bytes(std::span(text))), "");
}

// A damaged file must give an answer, never a crash: every truncation, and
// every single byte overwritten.
TEST(ElfInspect, SurvivesTruncatedAndDamagedFiles) {
  auto bytes = file_bytes(SHIMPOOL_ORIGIN_FIXTURE);
  ASSERT_GT(bytes.size(), 4096u);
  std::string error;
  for (size_t size = 0; size < bytes.size(); ++size) {
    elf::inspect(std::span(bytes).first(size), error);
    elf::truncation(std::span(bytes).first(size));
  }
  for (auto &byte : bytes) {
    const std::byte original = byte;
    byte = std::byte{0xff};
    elf::inspect(bytes, error);
    elf::truncation(bytes);
    byte = original;
  }
  EXPECT_TRUE(elf::inspect(bytes, error)) << error;
}

}  // namespace
}  // namespace shimpool::platform
