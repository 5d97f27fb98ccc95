// SHA-256 (FIPS 180-4), for checking that the library a pinned shim loads is
// the one it was generated for. Small and dependency-free: the runtime is
// linked into every shim, on every platform.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace shimpool {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  void update(std::span<const std::uint8_t> bytes);
  // The digest of everything passed to update; the object is spent afterwards.
  Digest finish();

 private:
  void compress(const std::uint8_t *block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

// Lower-case hexadecimal, 64 digits.
std::string to_hex(const Sha256::Digest &digest);

// Whether `text` is 64 hexadecimal digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace shimpool
