// The file work of the POSIX loader: writing a private copy of a library,
// hashing what was written, and judging whether a temp directory is safe to
// write copies in. Errors are errno values, so callers can tell a full disk
// from a limit.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>

#include "sha256.h"

namespace shimpool::platform::posix {

// The source held fewer bytes than its size said (it shrank while copied).
constexpr int kSourceEnded = -1;

// Writes all of `bytes` to `to`: 0, or an errno value.
int write_all(int to, std::span<const unsigned char> bytes);

// Copies `size` bytes from `from` to `to`, each at its file offset, in the
// kernel where it can (copy_file_range, sendfile), else by read/write.
// Returns 0, an errno value or kSourceEnded.
int copy_contents(int from, int to, off_t size);

// The SHA-256 of everything in the file behind `fd`, read from offset 0.
// Returns 0 or an errno value.
int hash_file(int fd, Sha256::Digest &digest);

// A sentence fragment for an error code of the functions above.
std::string io_error_text(int code);

// Why another user could rename entries of `directory`, and so swap a copy
// between its writing and its loading: the directory or one above it is owned
// by another user, or writable by others without the sticky bit. Empty when
// only root and this process's user can (or when it cannot be examined: then
// making the private directory reports the problem).
std::string temp_directory_risk(const std::string &directory);

}  // namespace shimpool::platform::posix
