// The Windows loader against real DLLs, under Wine: separate instances from
// byte copies, copies deleted on unload, dependencies found next to the
// original, and the sweep of directories left by processes that died.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "platform.h"

namespace shimpool::platform {
namespace {

namespace fs = std::filesystem;

template <typename F>
F symbol(void *library, const char *name) {
  return reinterpret_cast<F>(find_symbol(library, name));
}

// The per-process directories (shimpool-<pid>-<random>) under `parent`.
std::vector<fs::path> process_directories(const fs::path &parent) {
  std::vector<fs::path> found;
  std::error_code error;
  for (const auto &entry : fs::directory_iterator(parent, error))
    if (entry.is_directory() && entry.path().filename().string().rfind("shimpool-", 0) == 0)
      found.push_back(entry.path());
  return found;
}

std::vector<std::string> file_names(const fs::path &directory) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto &entry : fs::directory_iterator(directory, error))
    names.push_back(entry.path().filename().string());
  return names;
}

std::string this_program() {
  wchar_t path[MAX_PATH];
  DWORD size = GetModuleFileNameW(nullptr, path, MAX_PATH);
  return fs::path(std::wstring(path, size)).string();
}

// Runs this test program as a child with `filter` and `temp` in
// SHIMPOOL_CHILD_TEMP; returns its exit code.
DWORD run_child(const std::string &filter, const fs::path &temp) {
  SetEnvironmentVariableW(L"SHIMPOOL_CHILD_TEMP", temp.wstring().c_str());
  std::wstring command =
      L"\"" + fs::path(this_program()).wstring() + L"\" --gtest_filter=" + fs::path(filter).wstring();
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION process{};
  DWORD code = 0xFFFFFFFF;
  if (CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                     &startup, &process)) {
    WaitForSingleObject(process.hProcess, 60000);
    GetExitCodeProcess(process.hProcess, &code);
    CloseHandle(process.hThread);
    CloseHandle(process.hProcess);
  }
  SetEnvironmentVariableW(L"SHIMPOOL_CHILD_TEMP", nullptr);
  return code;
}

class WindowsLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    // A temp directory of this test's own: the process directory made in it
    // is this test's, and the sweep sees only what the test put there.
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    temp_ = fs::temp_directory_path() /
            ("shimpool-test-" + std::to_string(GetCurrentProcessId()) + "-" + info->name());
    fs::remove_all(temp_);
    fs::create_directories(temp_);
    options_.temp_directory = temp_.string();
  }

  void *load(const std::string &path) {
    LoadError error;
    void *library = load_private_copy(path, options_, error);
    EXPECT_NE(library, nullptr) << error.message;
    return library;
  }

  // This process's directory under temp_ (one once anything was loaded).
  fs::path own_directory() const {
    const std::string own = "shimpool-" + std::to_string(GetCurrentProcessId()) + "-";
    for (const auto &directory : process_directories(temp_))
      if (directory.filename().string().rfind(own, 0) == 0) return directory;
    return {};
  }

  fs::path temp_;
  LoadOptions options_;
};

TEST_F(WindowsLoader, EachInstanceHasItsOwnGlobals) {
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

// The pitfall copies avoid: loading the same file again returns the same module.
TEST_F(WindowsLoader, TheSameFileLoadedTwiceIsOneModule) {
  HMODULE first = LoadLibraryA(SHIMPOOL_COUNTER_FIXTURE);
  HMODULE second = LoadLibraryA(SHIMPOOL_COUNTER_FIXTURE);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first, second);
  FreeLibrary(second);
  FreeLibrary(first);
}

TEST_F(WindowsLoader, CopiesLiveInAPrivateDirectoryAndGoWhenUnloaded) {
  void *library = load(SHIMPOOL_COUNTER_FIXTURE);
  ASSERT_NE(library, nullptr);
  const fs::path directory = own_directory();
  ASSERT_FALSE(directory.empty()) << "no shimpool-<pid>-* directory in " << temp_;
  auto names = file_names(directory);
  EXPECT_EQ(names.size(), 2u) << "the owner lock and one copy";
  EXPECT_NE(std::find(names.begin(), names.end(), "owner.lock"), names.end());
  unload(library);
  names = file_names(directory);
  EXPECT_EQ(names, std::vector<std::string>{"owner.lock"}) << "the copy is deleted once unloaded";
}

TEST_F(WindowsLoader, FindsDependenciesNextToTheOriginal) {
  // dep_fixture.dll is only in origin_fixtures/, not next to this program nor on PATH.
  void *library = load(SHIMPOOL_ORIGIN_FIXTURE);
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(symbol<int (*)(int)>(library, "origin_dep_add")(3), 3);
  unload(library);
}

TEST_F(WindowsLoader, ConcurrentLoadsStayDistinct) {
  std::vector<void *> libraries(8, nullptr);
  std::vector<std::string> errors(8);
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < libraries.size(); ++i)
      threads.emplace_back([&, i] {
        LoadError error;
        libraries[i] = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
        errors[i] = error.message;
      });
  }
  std::set<void *> identities;
  for (size_t i = 0; i < libraries.size(); ++i) {
    ASSERT_NE(libraries[i], nullptr) << errors[i];
    identities.insert(symbol<void *>(libraries[i], "counter_identity"));
  }
  EXPECT_EQ(identities.size(), libraries.size());
  for (void *library : libraries) unload(library);
  EXPECT_EQ(file_names(own_directory()).size(), 1u) << "only the owner lock is left";
}

TEST_F(WindowsLoader, EmbeddedBytesMakeSeparateInstances) {
  std::ifstream in(SHIMPOOL_COUNTER_FIXTURE, std::ios::binary);
  const std::vector<unsigned char> image{std::istreambuf_iterator<char>(in),
                                         std::istreambuf_iterator<char>()};
  ASSERT_FALSE(image.empty());
  options_.image = image;
  const std::string named = (temp_ / "counter.real.dll").string();  // never created
  void *a = load(named);
  void *b = load(named);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(symbol<int (*)(int)>(a, "counter_add")(4), 4);
  EXPECT_EQ(symbol<int (*)(int)>(b, "counter_add")(1), 1);
  unload(a);
  unload(b);
  EXPECT_FALSE(fs::exists(named));
}

TEST_F(WindowsLoader, MissingLibraryNamesThePath) {
  LoadError error;
  const std::string missing = (temp_ / "missing.dll").string();
  EXPECT_EQ(load_private_copy(missing, options_, error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::RealLibrary);
  EXPECT_NE(error.message.find(missing), std::string::npos) << error.message;
}

TEST_F(WindowsLoader, WhatIsNotADllIsRefusedAndItsCopyDeleted) {
  const fs::path junk = temp_ / "junk.dll";
  std::ofstream(junk, std::ios::binary) << "not a DLL at all";
  LoadError error;
  EXPECT_EQ(load_private_copy(junk.string(), options_, error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::Loader) << error.message;
  EXPECT_NE(error.message.find("junk.dll"), std::string::npos) << error.message;
  EXPECT_EQ(file_names(own_directory()), std::vector<std::string>{"owner.lock"});
}

TEST_F(WindowsLoader, LinuxStrategiesAreNotAvailable) {
  EXPECT_TRUE(is_available(LoadStrategy::Copy));
  for (LoadStrategy strategy : {LoadStrategy::Memfd, LoadStrategy::Namespace}) {
    EXPECT_FALSE(is_available(strategy));
    options_.strategy = strategy;
    LoadError error;
    EXPECT_EQ(load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error), nullptr);
    EXPECT_EQ(error.cause, LoadFailure::Strategy) << error.message;
  }
}

// ---- Directories of processes that are gone ------------------------------------

// Runs only as a child of the tests below: loads an instance into
// SHIMPOOL_CHILD_TEMP and dies on the spot, as a killed process would.
TEST(WindowsLoaderChild, LoadThenDie) {
  const auto temp = environment("SHIMPOOL_CHILD_TEMP");
  if (!temp) GTEST_SKIP() << "runs as a child of the stale-directory tests";
  LoadOptions options;
  options.temp_directory = *temp;
  LoadError error;
  if (!load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options, error)) ExitProcess(2);
  TerminateProcess(GetCurrentProcess(), 42);
}

TEST_F(WindowsLoader, DirectoriesOfDeadProcessesAreSweptAtTheNextStart) {
  ASSERT_EQ(run_child("WindowsLoaderChild.LoadThenDie", temp_), 42u);
  auto left = process_directories(temp_);
  ASSERT_EQ(left.size(), 1u) << "the killed child left its directory and copy";
  EXPECT_EQ(file_names(left.front()).size(), 2u);

  void *library = load(SHIMPOOL_COUNTER_FIXTURE);  // this process's first load in temp_
  ASSERT_NE(library, nullptr);
  auto now = process_directories(temp_);
  ASSERT_EQ(now.size(), 1u) << "only this process's own directory remains";
  EXPECT_EQ(now.front(), own_directory());
  EXPECT_FALSE(fs::exists(left.front()));
  unload(library);
}

TEST_F(WindowsLoader, ALiveProcesssDirectoryIsNotSwept) {
  void *library = load(SHIMPOOL_COUNTER_FIXTURE);
  ASSERT_NE(library, nullptr);
  const fs::path mine = own_directory();
  // The child sweeps temp_ when it starts loading, while this process lives.
  ASSERT_EQ(run_child("WindowsLoaderChild.LoadThenDie", temp_), 42u);
  EXPECT_TRUE(fs::exists(mine));
  EXPECT_EQ(file_names(mine).size(), 2u) << "the owner lock and the live copy";
  EXPECT_EQ(symbol<int (*)(int)>(library, "counter_add")(2), 2) << "still loaded and working";
  unload(library);
}

}  // namespace
}  // namespace shimpool::platform
