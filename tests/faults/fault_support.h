// What the fault and attack tests share: counting descriptors and entries,
// private mounts, dropping root's file-permission override, acting as
// another user.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace shimpool_faults {

// Entries of `directory` (without . and ..); -1 if it cannot be read.
int entries_in(const std::string &directory);

// Descriptors this process has open (counted through /proc/self/fd).
int open_descriptors();

// Gives this process its own mount namespace with private propagation, so
// the tmpfs mounts of the tests are seen by it and its children only and
// vanish with it. False (with `reason`) when that is not possible (not root).
bool enter_private_mount_namespace(std::string &reason);

// A tmpfs mounted for the life of the object (lazily unmounted if busy).
class TmpfsMount {
 public:
  // Mounts at `directory` (which must exist) with `flags` (MS_*) and `options`
  // ("size=64k"); check mounted() and why_not().
  TmpfsMount(const std::string &directory, unsigned long flags, const std::string &options);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount &) = delete;
  TmpfsMount &operator=(const TmpfsMount &) = delete;
  bool mounted() const { return mounted_; }
  const std::string &why_not() const { return reason_; }

 private:
  std::string directory_;
  bool mounted_ = false;
  std::string reason_;
};

// Clears CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this process's
// effective set, so root meets file permissions like any user. False if the
// capabilities could not be changed.
bool drop_file_permission_override();

// The unprivileged user the attack tests act as.
constexpr uid_t kNobody = 65534;

// Runs `attack` in a child process that has become user nobody (uid and gid
// 65534, no capabilities) and returns what it returned (a description of
// what it managed to do; empty for nothing), or a line saying why it could
// not run.
std::string as_nobody(const std::function<std::string()> &attack);

}  // namespace shimpool_faults
