// Integrity pinning at generation time: the SHA-256 a shim's real library
// must have when the shim loads it (--pin-sha256, [integrity] sha256).
#pragma once

#include <optional>
#include <string>

namespace shimpool {

// Whether `text` is a SHA-256 digest: 64 hexadecimal digits, either case.
bool is_sha256_digest(const std::string &text);

// The digest to pin, lower-case: `given` when it is one, else (given empty)
// the digest of the file `library`, read now. nullopt with `error` saying what
// to do when neither works.
std::optional<std::string> pinned_sha256(const std::string &given, const std::string &library,
                                         std::string &error);

}  // namespace shimpool
