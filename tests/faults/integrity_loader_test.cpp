// Integrity pinning in the loader, every strategy: a pinned library loads; an
// impostor (same functions, other bytes) is refused with a message naming
// both digests; and swapping the file while instances load, even at the
// worst moment, never yields an instance with the impostor's bytes: the
// loader hashes the private copy it made and loads that copy.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "pinned.h"
#include "platform.h"
#include "sha256.h"

namespace shimpool::platform {
namespace {

using shimpool_faults::entries_in;
using shimpool_faults::open_descriptors;

std::vector<unsigned char> bytes_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string sha256_of(const std::string &path) {
  Sha256 sha;
  sha.update(bytes_of(path));
  return to_hex(sha.finish());
}

void copy_file(const std::string &from, const std::string &to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream(to, std::ios::binary | std::ios::trunc) << in.rdbuf();
}

int build_of(void *library) {
  auto build = reinterpret_cast<int (*)()>(find_symbol(library, "pinned_build"));
  return build ? build() : -1;
}

class Integrity : public ::testing::TestWithParam<LoadStrategy> {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "shimpool-integrity-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
    temp_ = work_ + "/tmp";
    ASSERT_EQ(mkdir(temp_.c_str(), 0700), 0);
    library_ = work_ + "/libpinned.so";
    impostor_ = work_ + "/libimpostor.so";
    copy_file(SHIMPOOL_PINNED_GENUINE, library_);
    copy_file(SHIMPOOL_PINNED_IMPOSTOR, impostor_);
    options_.temp_directory = temp_;
    options_.strategy = GetParam();
    options_.deepbind = false;  // nothing here needs it, and sanitizers refuse it
    options_.sha256 = sha256_of(SHIMPOOL_PINNED_GENUINE);
  }
  void TearDown() override {
    EXPECT_EQ(entries_in(temp_), 0) << "copies left in " << temp_;
    std::string command = "rm -rf '" + work_ + "'";
    EXPECT_EQ(system(command.c_str()), 0);
  }

  void *load(const std::string &path, LoadError &error) {
    return load_private_copy(path, options_, error);
  }

  std::string work_, temp_, library_, impostor_;
  LoadOptions options_;
};

INSTANTIATE_TEST_SUITE_P(, Integrity,
                         ::testing::Values(LoadStrategy::Copy, LoadStrategy::Memfd,
                                           LoadStrategy::Namespace),
                         [](const auto &info) { return std::string(to_string(info.param)); });

TEST_P(Integrity, ThePinnedLibraryLoads) {
  LoadError error;
  void *a = load(library_, error);
  ASSERT_NE(a, nullptr) << error.message;
  void *b = load(library_, error);
  ASSERT_NE(b, nullptr) << error.message;
  EXPECT_EQ(build_of(a), PINNED_GENUINE_BUILD);
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(find_symbol(a, "pinned_counter_add"))(5), 5);
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(find_symbol(b, "pinned_counter_add"))(1), 1)
      << "still separate instances";
  unload(a);
  unload(b);
}

TEST_P(Integrity, AnImpostorIsRefusedNamingBothDigests) {
  LoadError warm;
  unload(load(library_, warm));  // the loader's own first-use descriptors
  const int descriptors = open_descriptors();
  LoadError error;
  EXPECT_EQ(load(impostor_, error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::Integrity);
  EXPECT_EQ(error.message, "the real library " + impostor_ +
                               " does not have the SHA-256 the shim is pinned to (expected " +
                               options_.sha256 + ", found " + sha256_of(impostor_) +
                               "), so it was not loaded");
  EXPECT_EQ(open_descriptors(), descriptors);
}

TEST_P(Integrity, EmbeddedBytesAreCheckedToo) {
  const std::vector<unsigned char> genuine = bytes_of(SHIMPOOL_PINNED_GENUINE);
  const std::vector<unsigned char> impostor = bytes_of(SHIMPOOL_PINNED_IMPOSTOR);
  LoadError error;
  options_.image = genuine;
  void *library = load(work_ + "/libembedded.so", error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(build_of(library), PINNED_GENUINE_BUILD);
  unload(library);
  options_.image = impostor;
  EXPECT_EQ(load(work_ + "/libembedded.so", error), nullptr);
  EXPECT_EQ(error.cause, LoadFailure::Integrity);
  EXPECT_NE(error.message.find("the library embedded in the shim as " + work_ + "/libembedded.so"),
            std::string::npos)
      << error.message;
}

// A pinned library is loaded from its checked copy, also with namespace:
// the dependencies its RUNPATH $ORIGIN names must still be found.
TEST_P(Integrity, APinnedCopyFindsDependenciesNextToTheOriginal) {
  options_.sha256 = sha256_of(SHIMPOOL_ORIGIN_FIXTURE);
  LoadError error;
  void *library = load(SHIMPOOL_ORIGIN_FIXTURE, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(find_symbol(library, "origin_dep_add"))(3), 3);
  unload(library);
}

// The worst moment: the copy is made and checked, and the file at the path
// is replaced by the impostor just before the loader maps. What is mapped
// must still be what was checked.
struct SwapAtLoad {
  std::string impostor, target;
  int swaps = 0;
};

void swap_in_the_impostor(void *context, const char *) {
  auto *swap = static_cast<SwapAtLoad *>(context);
  std::string spare = swap->impostor + ".spare";
  copy_file(swap->impostor, spare);
  if (rename(spare.c_str(), swap->target.c_str()) == 0) ++swap->swaps;
}

TEST_P(Integrity, ASwapJustBeforeTheLoadIsNotLoaded) {
  SwapAtLoad swap{impostor_, library_};
  options_.before_load = &swap_in_the_impostor;
  options_.before_load_context = &swap;
  LoadError error;
  void *library = load(library_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(swap.swaps, 1);
  EXPECT_EQ(sha256_of(library_), sha256_of(impostor_)) << "the file is the impostor now";
  EXPECT_EQ(build_of(library), PINNED_GENUINE_BUILD) << "yet the checked bytes were loaded";
  unload(library);
  options_.before_load = nullptr;
  EXPECT_EQ(load(library_, error), nullptr) << "the next load sees the impostor";
  EXPECT_EQ(error.cause, LoadFailure::Integrity);
}

// What the pin prevents: without it, the namespace strategy maps the file at
// the path when it loads, so the same swap gets the impostor loaded.
TEST(IntegrityWitness, UnpinnedNamespaceLoadsWhatIsThereAtLoadTime) {
  std::string pattern = ::testing::TempDir() + "shimpool-witness-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string library = pattern + "/libpinned.so", impostor = pattern + "/libimpostor.so";
  copy_file(SHIMPOOL_PINNED_GENUINE, library);
  copy_file(SHIMPOOL_PINNED_IMPOSTOR, impostor);
  SwapAtLoad swap{impostor, library};
  LoadOptions options;
  options.temp_directory = pattern;
  options.strategy = LoadStrategy::Namespace;
  options.before_load = &swap_in_the_impostor;
  options.before_load_context = &swap;
  LoadError error;
  void *loaded = load_private_copy(library, options, error);
  ASSERT_NE(loaded, nullptr) << error.message;
  EXPECT_EQ(build_of(loaded), PINNED_IMPOSTOR_BUILD);
  unload(loaded);
  EXPECT_EQ(system(("rm -rf '" + pattern + "'").c_str()), 0);
}

// A thread swaps the genuine library and the impostor at the path as fast as
// it can (rename, and rewrites in place) while two threads load and unload:
// every load either gives the genuine build or is refused.
TEST_P(Integrity, SwapsDuringLoadsNeverLoadTheImpostor) {
  const std::string genuine_spare = work_ + "/genuine.spare",
                    impostor_spare = work_ + "/impostor.spare";
  const std::vector<unsigned char> impostor_bytes = bytes_of(impostor_);
  std::atomic<bool> done{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    for (int round = 0; !done.load(); ++round) {
      if (round % 4 == 3) {  // rewritten in place: a load may see a mix of both
        int fd = open(library_.c_str(), O_WRONLY | O_TRUNC);
        if (fd >= 0) {
          ssize_t ignored = write(fd, impostor_bytes.data(), impostor_bytes.size());
          (void)ignored;
          close(fd);
        }
      } else {
        const bool genuine = round % 2 == 0;
        const std::string &source = genuine ? SHIMPOOL_PINNED_GENUINE : impostor_;
        const std::string &spare = genuine ? genuine_spare : impostor_spare;
        copy_file(source, spare);
        rename(spare.c_str(), library_.c_str());
      }
      swaps.fetch_add(1);
    }
  });
  std::atomic<int> genuine{0}, refused{0}, other_failures{0}, impostors{0};
  std::mutex mutex;
  std::string other_failure;
  // Until both outcomes were seen a few times (bounded by a count, not a clock).
  auto loads = [&] {
    for (int i = 0; i < 5000 && (genuine.load() < 10 || refused.load() < 10); ++i) {
      LoadError error;
      void *library = load(library_, error);
      if (!library) {
        // A rewrite in place can also shorten the file under the copy.
        if (error.cause == LoadFailure::Integrity ||
            error.message.find("became shorter while it was being copied") != std::string::npos) {
          ++refused;
        } else {
          ++other_failures;
          std::lock_guard lock(mutex);
          other_failure = error.message;
        }
        continue;
      }
      (build_of(library) == PINNED_GENUINE_BUILD ? genuine : impostors)++;
      unload(library);
    }
  };
  std::thread first(loads), second(loads);
  first.join();
  second.join();
  done = true;
  swapper.join();
  EXPECT_EQ(impostors.load(), 0);
  EXPECT_EQ(other_failures.load(), 0) << other_failure;
  EXPECT_GE(genuine.load(), 10);
  EXPECT_GE(refused.load(), 10);
  std::cout << "[ swaps    ] " << swaps << " swaps; " << genuine << " genuine loads, " << refused
            << " refused, 0 impostors\n";
}

}  // namespace
}  // namespace shimpool::platform
