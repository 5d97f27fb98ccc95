#include "platform_posix_files.h"

#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace shimpool::platform::posix {
namespace {

// Errors after which the next, slower way of copying may still work.
bool try_another_way(int error) {
  return error == EXDEV || error == EINVAL || error == ENOSYS || error == EOPNOTSUPP ||
         error == EBADF || error == EPERM;
}

}  // namespace

int write_all(int to, std::span<const unsigned char> bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(to, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return ENOSPC;
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return 0;
}

int copy_contents(int from, int to, off_t size) {
  off_t done = 0;
  while (done < size) {
    ssize_t n = copy_file_range(from, nullptr, to, nullptr, static_cast<size_t>(size - done), 0);
    if (n > 0) {
      done += n;
    } else if (n == 0) {
      return kSourceEnded;
    } else if (errno != EINTR) {
      if (!try_another_way(errno)) return errno;
      break;
    }
  }
  // sendfile reads at `done` and writes at `to`'s offset, which copy_file_range advanced.
  while (done < size) {
    ssize_t n = sendfile(to, from, &done, static_cast<size_t>(size - done));
    if (n == 0) return kSourceEnded;
    if (n < 0 && errno != EINTR) {
      if (!try_another_way(errno)) return errno;
      break;
    }
  }
  if (done == size) return 0;
  if (lseek(from, done, SEEK_SET) != done || lseek(to, done, SEEK_SET) != done) return errno;
  unsigned char buffer[1 << 16];
  while (done < size) {
    ssize_t n = read(from, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return kSourceEnded;
    if (int error = write_all(to, std::span(buffer, static_cast<size_t>(n)))) return error;
    done += n;
  }
  return 0;
}

int hash_file(int fd, Sha256::Digest &digest) {
  Sha256 sha;
  unsigned char buffer[1 << 16];
  for (off_t offset = 0;;) {
    ssize_t n = pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    sha.update(std::span(buffer, static_cast<size_t>(n)));
    offset += n;
  }
  digest = sha.finish();
  return 0;
}

std::string io_error_text(int code) {
  if (code == kSourceEnded) return "the library became shorter while it was being copied";
  std::string text = std::strerror(code);
  if (code == EFBIG)
    text +=
        " (this process's file size limit, RLIMIT_FSIZE or ulimit -f, is below the library's size)";
  return text;
}

std::string temp_directory_risk(const std::string &directory) {
  char *resolved = realpath(directory.c_str(), nullptr);
  if (!resolved) return "";
  std::string path = resolved;
  std::free(resolved);
  const uid_t self = geteuid();
  // From the directory itself up to the root: whoever may rename an entry of
  // any of them can put another file where the copy was.
  for (;;) {
    struct stat info {};
    if (lstat(path.c_str(), &info) != 0) return "";
    if (info.st_uid != 0 && info.st_uid != self)
      return path + " belongs to user " + std::to_string(info.st_uid);
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) && !(info.st_mode & S_ISVTX))
      return path + " is writable by other users and has no sticky bit";
    if (path == "/") return "";
    const auto slash = path.find_last_of('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
}

}  // namespace shimpool::platform::posix
