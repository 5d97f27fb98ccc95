#include "fault_support.h"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shimpool_faults {

int entries_in(const std::string &directory) {
  DIR *dir = opendir(directory.c_str());
  if (!dir) return -1;
  int count = 0;
  while (dirent *entry = readdir(dir))
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) ++count;
  closedir(dir);
  return count;
}

int open_descriptors() { return entries_in("/proc/self/fd") - 1; }  // less opendir's own

bool enter_private_mount_namespace(std::string &reason) {
  if (geteuid() != 0) {
    reason = "needs root to mount a tmpfs";
    return false;
  }
  if (unshare(CLONE_NEWNS) != 0 ||
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    reason = std::string("cannot make a private mount namespace: ") + std::strerror(errno);
    return false;
  }
  return true;
}

TmpfsMount::TmpfsMount(const std::string &directory, unsigned long flags,
                       const std::string &options)
    : directory_(directory) {
  if (mount("tmpfs", directory.c_str(), "tmpfs", flags, options.c_str()) == 0)
    mounted_ = true;
  else
    reason_ = "cannot mount a tmpfs at " + directory + ": " + std::strerror(errno);
}

TmpfsMount::~TmpfsMount() {
  if (mounted_ && umount(directory_.c_str()) != 0) umount2(directory_.c_str(), MNT_DETACH);
}

bool drop_file_permission_override() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  const unsigned dropped = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
  data[0].effective &= ~dropped;
  return syscall(SYS_capset, &header, data) == 0;
}

std::string as_nobody(const std::function<std::string()> &attack) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "cannot make a pipe";
  pid_t pid = fork();
  if (pid == 0) {
    // Only what another process would have: none of this one's descriptors.
    dup2(pipe_fds[1], 3);
    close_range(4, ~0U, 0);
    pipe_fds[1] = 3;
    std::string result;
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)
      result = std::string("could not become nobody: ") + std::strerror(errno);
    else
      result = attack();
    ssize_t ignored = write(pipe_fds[1], result.data(), result.size());
    (void)ignored;
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string result;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) result.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) result += " (the attacker process crashed)";
  return result;
}

}  // namespace shimpool_faults
