// Another local user against the copy strategy's temp files. The tests run
// as root and play the attacker in a child that became nobody: at the moment
// a copy exists (the loader's before_load hook), it tries to read it, replace
// it, move the private directory away or plant files; beforehand, it plants
// decoys where the names could be guessed. And temp directories another user
// could rearrange are not used for copies at all.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "fault_support.h"
#include "pinned.h"
#include "platform.h"

namespace shimpool::platform {
namespace {

using shimpool_faults::as_nobody;
using shimpool_faults::entries_in;
using shimpool_faults::kNobody;

int build_of(void *library) {
  auto build = reinterpret_cast<int (*)()>(find_symbol(library, "pinned_build"));
  return build ? build() : -1;
}

std::string parent_of(const std::string &path) { return path.substr(0, path.find_last_of('/')); }

// One attempt: "" when the system refused it, else what was achieved.
std::string attempt(bool succeeded, const std::string &what) {
  return succeeded ? what + " succeeded; " : "";
}

class TempFileAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
    std::string pattern = ::testing::TempDir() + "shimpool-attack-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
    chmod(work_.c_str(), 0755);
    // Where copies go: shared like /tmp (world-writable, sticky).
    shared_ = work_ + "/shared";
    ASSERT_EQ(mkdir(shared_.c_str(), 0700), 0);
    ASSERT_EQ(chmod(shared_.c_str(), 01777), 0);
    options_.temp_directory = shared_;
    options_.strategy = LoadStrategy::Copy;
    options_.deepbind = false;  // nothing here needs it, and sanitizers refuse it
    options_.warn = &TempFileAttack::record;
    options_.warn_context = this;
  }
  void TearDown() override {
    if (work_.empty()) return;
    EXPECT_EQ(system(("rm -rf '" + work_ + "'").c_str()), 0);
  }

  static void record(void *context, LoadWarning kind, const char *message) {
    auto *self = static_cast<TempFileAttack *>(context);
    if (kind == LoadWarning::UnsafeTempDirectory) self->unsafe_warning_ = message;
  }

  // A directory owned by nobody, for the attacker to work from.
  std::string nobody_directory(const std::string &name) {
    const std::string directory = work_ + "/" + name;
    EXPECT_EQ(mkdir(directory.c_str(), 0755), 0);
    EXPECT_EQ(chown(directory.c_str(), kNobody, kNobody), 0);
    return directory;
  }

  std::string work_, shared_, unsafe_warning_;
  LoadOptions options_;
};

// What the attacker tries once the copy is written and about to be loaded.
struct AtTheCopy {
  AtTheCopy(std::string shared_directory, std::string home)
      : shared(std::move(shared_directory)), nobody_home(std::move(home)) {}
  std::string shared, nobody_home;
  std::string achieved;  // what the attacker managed
  std::string copy;      // the path the loader was about to map
  mode_t directory_mode = 0, copy_mode = 0;
};

void attack_the_copy(void *context, const char *staged) {
  auto *at = static_cast<AtTheCopy *>(context);
  at->copy = staged;
  // A memory file is reached, from another process, through this one's /proc entry.
  std::string path = staged;
  if (path.rfind("/proc/self/", 0) == 0) path.replace(6, 4, std::to_string(getpid()));
  const std::string directory = parent_of(path);
  struct stat info {};
  if (stat(directory.c_str(), &info) == 0) at->directory_mode = info.st_mode & 07777;
  if (stat(path.c_str(), &info) == 0) at->copy_mode = info.st_mode & 07777;
  const std::string copy = path, shared = at->shared, home = at->nobody_home;
  at->achieved = as_nobody([&] {
    std::string achieved;
    int fd = open(copy.c_str(), O_RDONLY);
    achieved += attempt(fd >= 0, "reading the copy");
    if (fd >= 0) close(fd);
    fd = open(copy.c_str(), O_WRONLY);
    achieved += attempt(fd >= 0, "opening the copy for writing");
    if (fd >= 0) close(fd);
    DIR *listing = opendir(directory.c_str());
    achieved += attempt(listing != nullptr, "listing the private directory");
    if (listing) closedir(listing);
    fd = open((directory + "/planted.so").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0755);
    achieved += attempt(fd >= 0, "creating a file in the private directory");
    if (fd >= 0) close(fd);
    achieved += attempt(unlink(copy.c_str()) == 0, "deleting the copy");
    achieved += attempt(rename((home + "/evil.so").c_str(), copy.c_str()) == 0,
                        "renaming a file over the copy");
    achieved += attempt(rename(directory.c_str(), (shared + "/moved").c_str()) == 0,
                        "moving the private directory away");
    achieved += attempt(symlink(home.c_str(), (directory + "/link").c_str()) == 0,
                        "planting a symlink in the private directory");
    return achieved;
  });
}

TEST_F(TempFileAttack, AnotherUserCannotReadReplaceOrMoveTheCopy) {
  AtTheCopy at{shared_, nobody_directory("home")};
  ASSERT_EQ(system(("cp '" SHIMPOOL_PINNED_IMPOSTOR "' '" + at.nobody_home + "/evil.so' && chown " +
                    std::to_string(kNobody) + " '" + at.nobody_home + "/evil.so'")
                       .c_str()),
            0);
  options_.before_load = &attack_the_copy;
  options_.before_load_context = &at;
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_PINNED_GENUINE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  EXPECT_EQ(build_of(library), PINNED_GENUINE_BUILD);
  unload(library);
  EXPECT_EQ(parent_of(parent_of(at.copy)), shared_) << at.copy;
  EXPECT_EQ(at.achieved, "") << "as user nobody";
  EXPECT_EQ(at.directory_mode, 0700u);
  EXPECT_EQ(at.copy_mode, 0500u);
  EXPECT_EQ(entries_in(shared_), 0);
}

// The attack the check below prevents is real: in a directory another user
// owns, that user can move any entry away, even root's private 0700 one.
TEST_F(TempFileAttack, TheOwnerOfADirectoryCanMoveRootsEntries) {
  const std::string theirs = nobody_directory("theirs");
  const std::string victim = theirs + "/shimpool-victim";
  ASSERT_EQ(mkdir(victim.c_str(), 0700), 0);
  EXPECT_EQ(as_nobody([&] {
              return attempt(rename(victim.c_str(), (theirs + "/moved").c_str()) == 0, "moving");
            }),
            "moving succeeded; ");
}

// Temp directories another user could rearrange are not used for copies:
// the instance is made in memory, with a warning saying why.
TEST_F(TempFileAttack, DirectoriesAnotherUserControlsAreNotUsed) {
  const std::string owned_by_nobody = nobody_directory("nobodys");
  const std::string world_writable = work_ + "/open";
  ASSERT_EQ(mkdir(world_writable.c_str(), 0777), 0);
  ASSERT_EQ(chmod(world_writable.c_str(), 0777), 0);
  const std::string below_nobody = owned_by_nobody + "/tmp";  // root's, inside nobody's
  ASSERT_EQ(mkdir(below_nobody.c_str(), 0700), 0);
  struct Case {
    std::string directory, reason;
  } cases[] = {
      {owned_by_nobody, owned_by_nobody + " belongs to user " + std::to_string(kNobody)},
      {world_writable, world_writable + " is writable by other users and has no sticky bit"},
      {below_nobody, owned_by_nobody + " belongs to user " + std::to_string(kNobody)},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.directory);
    unsafe_warning_.clear();
    options_.temp_directory = c.directory;
    AtTheCopy at{c.directory, owned_by_nobody};
    options_.before_load = &attack_the_copy;
    options_.before_load_context = &at;
    LoadError error;
    void *library = load_private_copy(SHIMPOOL_PINNED_GENUINE, options_, error);
    ASSERT_NE(library, nullptr) << error.message;
    EXPECT_EQ(at.copy.rfind("/proc/self/fd/", 0), 0u) << at.copy;
    EXPECT_EQ(build_of(library), PINNED_GENUINE_BUILD);
    unload(library);
    EXPECT_NE(unsafe_warning_.find("(" + c.reason + ")"), std::string::npos) << unsafe_warning_;
    EXPECT_NE(unsafe_warning_.find("loaded from memory instead"), std::string::npos);
    EXPECT_EQ(entries_in(c.directory), c.directory == owned_by_nobody ? 1 : 0) << "only tmp/";
  }
}

// /tmp itself (root's, world-writable, sticky) is fine: no warning.
TEST_F(TempFileAttack, AStickyWorldWritableDirectoryIsUsed) {
  AtTheCopy at{shared_, nobody_directory("home")};
  options_.before_load = &attack_the_copy;
  options_.before_load_context = &at;
  LoadError error;
  void *library = load_private_copy(SHIMPOOL_PINNED_GENUINE, options_, error);
  ASSERT_NE(library, nullptr) << error.message;
  unload(library);
  EXPECT_EQ(at.copy.rfind(shared_ + "/shimpool-", 0), 0u) << at.copy;
  EXPECT_EQ(unsafe_warning_, "");
}

// Names cannot be guessed: every private directory (seen through inotify)
// has a fresh random name, and decoys nobody planted beforehand, directories
// and symlinks to nobody's own directory under names like the loader's, are
// neither used nor followed.
TEST_F(TempFileAttack, NamesAreUnpredictableAndDecoysAreIgnored) {
  const std::string home = nobody_directory("home");
  EXPECT_EQ(as_nobody([&] {
              std::string failed;
              for (int i = 0; i < 100; ++i) {
                const std::string name = shared_ + "/shimpool-decoy" + std::to_string(i);
                if (mkdir(name.c_str(), 0777) != 0) failed += "mkdir ";
                const std::string link = shared_ + "/shimpool-" + std::to_string(100000 + i);
                if (symlink(home.c_str(), link.c_str()) != 0) failed += "symlink ";
              }
              return failed;
            }),
            "");
  const int inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ASSERT_GE(inotify, 0);
  ASSERT_GE(inotify_add_watch(inotify, shared_.c_str(), IN_CREATE), 0);
  for (int i = 0; i < 50; ++i) {
    LoadError error;
    void *library = load_private_copy(SHIMPOOL_PINNED_GENUINE, options_, error);
    ASSERT_NE(library, nullptr) << error.message;
    EXPECT_EQ(build_of(library), PINNED_GENUINE_BUILD);
    unload(library);
  }
  std::vector<std::string> names;
  alignas(inotify_event) char buffer[64 * 1024];
  for (ssize_t n; (n = read(inotify, buffer, sizeof buffer)) > 0;)
    for (char *at = buffer; at < buffer + n;) {
      auto *event = reinterpret_cast<inotify_event *>(at);
      if (event->len) names.emplace_back(event->name);
      at += sizeof(inotify_event) + event->len;
    }
  close(inotify);
  ASSERT_EQ(names.size(), 50u);
  const std::regex random_name("shimpool-[A-Za-z0-9]{6}");
  for (const auto &name : names) EXPECT_TRUE(std::regex_match(name, random_name)) << name;
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(entries_in(home), 0) << "nothing was written through a planted symlink";
  EXPECT_EQ(entries_in(shared_), 200) << "only the decoys remain";
}

}  // namespace
}  // namespace shimpool::platform
