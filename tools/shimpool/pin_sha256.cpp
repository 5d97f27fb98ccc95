#include "pin_sha256.h"

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SHA256.h>

#include <algorithm>
#include <cctype>

namespace shimpool {

bool is_sha256_digest(const std::string &text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::optional<std::string> pinned_sha256(const std::string &given, const std::string &library,
                                         std::string &error) {
  if (!given.empty()) {
    if (!is_sha256_digest(given)) {
      error = "--pin-sha256='" + given +
              "' is not a SHA-256 digest (64 hexadecimal digits); give the digest of the real "
              "library (sha256sum prints it), or --pin-sha256 alone to hash the library now";
      return std::nullopt;
    }
    std::string digest = given;
    for (char &c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return digest;
  }
  auto buffer = llvm::MemoryBuffer::getFile(library, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "--pin-sha256 hashes the real library now, but '" + library +
            "' cannot be read: " + buffer.getError().message() +
            "; give its path with --real-library (or --embed), or its digest with "
            "--pin-sha256=HEX";
    return std::nullopt;
  }
  const llvm::StringRef bytes = (*buffer)->getBuffer();
  const auto digest = llvm::SHA256::hash(
      llvm::ArrayRef(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  std::string text;
  for (uint8_t byte : digest) {
    text += "0123456789abcdef"[byte >> 4];
    text += "0123456789abcdef"[byte & 15];
  }
  return text;
}

}  // namespace shimpool
