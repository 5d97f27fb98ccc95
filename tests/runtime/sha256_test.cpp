// The runtime's SHA-256 against the FIPS 180-4 examples and the NIST
// long-message vector, fed whole and in every split.
#include "sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shimpool {
namespace {

std::string sha256_of(std::string_view text) {
  Sha256 sha;
  sha.update(std::span(reinterpret_cast<const std::uint8_t *>(text.data()), text.size()));
  return to_hex(sha.finish());
}

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(sha256_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionAs) {
  EXPECT_EQ(sha256_of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Padding edge cases: 55, 56, 63 and 64 bytes (one or two final blocks).
TEST(Sha256, LengthsAroundTheBlockBoundary) {
  EXPECT_EQ(sha256_of(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_of(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_of(std::string(63, 'a')),
            "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
  EXPECT_EQ(sha256_of(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

// Bytes fed in pieces give the digest of the whole, wherever they are cut.
TEST(Sha256, SplitsDoNotMatter) {
  std::vector<std::uint8_t> bytes(300);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
  Sha256 whole;
  whole.update(bytes);
  const auto expected = whole.finish();
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    for (size_t second = cut; second <= bytes.size(); second += 37) {
      Sha256 pieces;
      pieces.update(std::span(bytes).subspan(0, cut));
      pieces.update(std::span(bytes).subspan(cut, second - cut));
      pieces.update(std::span(bytes).subspan(second));
      ASSERT_EQ(pieces.finish(), expected) << "cut at " << cut << " and " << second;
    }
  }
}

TEST(Sha256, RecognisesDigests) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'f')));
  EXPECT_TRUE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'f')));
  EXPECT_FALSE(is_sha256_hex(std::string(65, 'f')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'f') + "g"));
  EXPECT_FALSE(is_sha256_hex(""));
}

}  // namespace
}  // namespace shimpool
