// Integrity pinning in the Windows loader, under Wine: a pinned DLL loads, an
// impostor is refused naming both digests, and the copy cannot be changed,
// replaced or deleted by anyone between its check and its load.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "platform.h"
#include "sha256.h"

namespace shimpool::platform {
namespace {

namespace fs = std::filesystem;

std::string sha256_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in),
                                         std::istreambuf_iterator<char>()};
  Sha256 sha;
  sha.update(bytes);
  return to_hex(sha.finish());
}

class WindowsIntegrity : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    temp_ = fs::temp_directory_path() /
            ("shimpool-pin-" + std::to_string(GetCurrentProcessId()) + "-" + info->name());
    fs::remove_all(temp_);
    fs::create_directories(temp_);
    options_.temp_directory = temp_.string();
    options_.sha256 = sha256_of(SHIMPOOL_COUNTER_FIXTURE);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(temp_, ignored);
  }
  fs::path temp_;
  LoadOptions options_;
};

TEST_F(WindowsIntegrity, ThePinnedLibraryLoads) {
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(find_symbol(library, "counter_add"))(3), 3);
  unload(library);
}

TEST_F(WindowsIntegrity, AnImpostorIsRefusedAndItsCopyDeleted) {
  LoadError error;
  EXPECT_EQ(load_private_copy(SHIMPOOL_ORIGIN_FIXTURE, options_, error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::Integrity);
  EXPECT_EQ(error.message, std::string("the real library ") + SHIMPOOL_ORIGIN_FIXTURE +
                               " does not have the SHA-256 the shim is pinned to (expected " +
                               options_.sha256 + ", found " + sha256_of(SHIMPOOL_ORIGIN_FIXTURE) +
                               "), so it was not loaded");
  for (const auto &directory : fs::directory_iterator(temp_))
    for (const auto &file : fs::directory_iterator(directory.path()))
      EXPECT_EQ(file.path().filename(), "owner.lock") << "the refused copy is deleted";
}

// Between the check and the load, the copy is held open sharing only reads:
// nobody can write it, delete it or rename another file over it.
struct Tampering {
  std::string copy;
  std::string achieved;
};

void tamper(void *context, const char *copy) {
  auto *tampering = static_cast<Tampering *>(context);
  tampering->copy = copy;
  const std::wstring path = fs::path(copy).wstring();
  HANDLE writer = CreateFileW(path.c_str(), GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_EXISTING, 0, nullptr);
  if (writer != INVALID_HANDLE_VALUE) {
    tampering->achieved += "opened it for writing; ";
    CloseHandle(writer);
  }
  if (DeleteFileW(path.c_str())) tampering->achieved += "deleted it; ";
  const std::wstring other = path + L".other";
  std::ofstream(fs::path(other), std::ios::binary) << "impostor";
  if (MoveFileExW(other.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING))
    tampering->achieved += "renamed another file over it; ";
  DeleteFileW(other.c_str());
}

TEST_F(WindowsIntegrity, TheCheckedCopyCannotBeTamperedWithBeforeItLoads) {
  Tampering tampering;
  options_.before_load = &tamper;
  options_.before_load_context = &tampering;
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_FALSE(tampering.copy.empty());
  EXPECT_EQ(tampering.achieved, "");
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(find_symbol(library, "counter_add"))(2), 2);
  unload(library);
}

}  // namespace
}  // namespace shimpool::platform
