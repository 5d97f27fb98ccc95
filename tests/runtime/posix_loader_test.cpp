// The POSIX loader against real shared libraries: separate globals per copy,
// nothing left on disk, internal calls kept inside the copy, clear errors.
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "platform.h"

// The shim's role: an exported function with the same name as one inside the
// library. The copy must not call this one.
extern "C" __attribute__((visibility("default"))) int ip_inner(void) { return 2; }

namespace shimpool::platform {
namespace {

class PosixLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "shimpool-loader-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_ = pattern;
    options_.temp_directory = temp_;
  }
  void TearDown() override { rmdir(temp_.c_str()); }

  int entries_in_temp() const {
    int count = 0;
    if (DIR *dir = opendir(temp_.c_str())) {
      while (dirent *entry = readdir(dir))
        if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..") ++count;
      closedir(dir);
    }
    return count;
  }

  template <typename F>
  F symbol(void *library, const char *name) {
    return reinterpret_cast<F>(find_symbol(library, name));
  }

  std::string temp_;
  LoadOptions options_;
};

TEST_F(PosixLoader, EachCopyHasItsOwnGlobals) {
  LoadError error;
  void *a = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
  ASSERT_NE(a, nullptr) << error.message;
  void *b = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
  ASSERT_NE(b, nullptr) << error.message;
  EXPECT_NE(a, b);

  auto add_a = symbol<int (*)(int)>(a, "counter_add");
  auto add_b = symbol<int (*)(int)>(b, "counter_add");
  ASSERT_TRUE(add_a && add_b);
  EXPECT_EQ(add_a(5), 5);
  EXPECT_EQ(add_a(5), 10);
  EXPECT_EQ(add_b(1), 1) << "the second copy must not see the first one's counter";
  EXPECT_NE(symbol<void *>(a, "counter_identity"), symbol<void *>(b, "counter_identity"));
  unload(a);
  unload(b);
}

TEST_F(PosixLoader, LeavesNoFilesBehind) {
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(entries_in_temp(), 0) << "the copy and its directory are removed right after loading";
  unload(library);
}

TEST_F(PosixLoader, DeepBindKeepsInternalCallsInsideTheCopy) {
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_INTERPOSE_FIXTURE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(symbol<int (*)()>(library, "ip_outer")(), 1);
  unload(library);
}

TEST_F(PosixLoader, WithoutDeepBindTheProgramsSymbolWins) {
  // The failure mode the loader avoids: shows the test above can fail.
  options_.deepbind = false;
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_INTERPOSE_FIXTURE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(symbol<int (*)()>(library, "ip_outer")(), 2);
  unload(library);
}

TEST_F(PosixLoader, MissingLibraryNamesThePath) {
  LoadError error;
  EXPECT_EQ(load_private_copy("/nonexistent/libnothing.so", options_, error), nullptr);
  EXPECT_NE(error.message.find("/nonexistent/libnothing.so"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("No such file"), std::string::npos) << error.message;
  EXPECT_EQ(error.cause, LoadFailure::RealLibrary);
  EXPECT_EQ(entries_in_temp(), 0);
}

TEST_F(PosixLoader, CorruptLibraryIsRefusedAndCleanedUp) {
  std::string bogus = temp_ + "/../shimpool-not-a-library.so";
  FILE *file = fopen(bogus.c_str(), "w");
  ASSERT_NE(file, nullptr);
  fputs("this is not an ELF file\n", file);
  fclose(file);
  LoadError error;
  EXPECT_EQ(load_private_copy(bogus, options_, error), nullptr);
  unlink(bogus.c_str());
  EXPECT_EQ(error.cause, LoadFailure::Loader);
  EXPECT_NE(error.message.find("the loader refused the copy of " + bogus), std::string::npos) << error.message;
  EXPECT_EQ(entries_in_temp(), 0);
}

TEST_F(PosixLoader, UnwritableTempDirectoryIsReported) {
  options_.temp_directory = "/nonexistent-shimpool-temp";
  LoadError error;
  EXPECT_EQ(load_private_copy(SHIMPOOL_COUNTER_FIXTURE, options_, error), nullptr);
  EXPECT_NE(error.message.find("cannot create a private directory in /nonexistent-shimpool-temp"),
            std::string::npos)
      << error.message;
  EXPECT_EQ(error.cause, LoadFailure::TempDirectory);
}

}  // namespace
}  // namespace shimpool::platform
