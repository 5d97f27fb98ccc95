// shimpool generate --pin-sha256 and the policy file's [integrity] table, run
// as a user runs them: the digest given, or the one of the library named,
// lands in the shim's descriptor; a wrong digest or a library that cannot
// be read stops the generation with a message and no output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "run_program.h"
#include "scratch_dir.h"
#include "sha256.h"

namespace {

namespace fs = std::filesystem;
using shimpool_test::ProgramResult;

std::string sha256_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
  shimpool::Sha256 sha;
  sha.update(bytes);
  return shimpool::to_hex(sha.finish());
}

class PinGenerator : public ::testing::Test {
 protected:
  ProgramResult generate(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "generate", SHIMPOOL_PINNED_HEADER, "--name", "pinned", "--out", out_};
    args.insert(args.end(), extra.begin(), extra.end());
    return shimpool_test::run_program(SHIMPOOL_BINARY, args);
  }
  // The descriptor's sha256 line of the generated wrapper, "" without output.
  std::string pin_line() const {
    std::ifstream in(out_ + "/pinned_shim.c");
    for (std::string line; std::getline(in, line);)
      if (line.find("/* sha256") != std::string::npos) return line;
    return "";
  }
  static std::string pinned(const std::string &digest) {
    return "  \"" + digest + "\", /* sha256: instances load only bytes with this digest */";
  }

  shimpool_test::ScratchDir scratch_{"shimpool-pin"};
  const std::string out_ = scratch_.path().string() + "/out";
  const std::string genuine_ = sha256_of(SHIMPOOL_PINNED_GENUINE);
};

TEST_F(PinGenerator, NoPinByDefault) {
  const ProgramResult result = generate({});
  ASSERT_EQ(result.status, 0) << result;
  EXPECT_EQ(pin_line(), "  NULL, /* sha256: not pinned */");
}

TEST_F(PinGenerator, AGivenDigestIsKeptLowerCase) {
  std::string upper = genuine_;
  for (char &c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const ProgramResult result = generate({"--pin-sha256=" + upper});
  ASSERT_EQ(result.status, 0) << result;
  EXPECT_EQ(pin_line(), pinned(genuine_));
}

TEST_F(PinGenerator, AloneItHashesTheRealLibrary) {
  const ProgramResult result =
      generate({"--pin-sha256", "--real-library", SHIMPOOL_PINNED_GENUINE});
  ASSERT_EQ(result.status, 0) << result;
  EXPECT_EQ(pin_line(), pinned(genuine_));
}

TEST_F(PinGenerator, AloneItHashesTheEmbeddedLibrary) {
  const ProgramResult result = generate({"--embed", SHIMPOOL_PINNED_IMPOSTOR, "--pin-sha256"});
  ASSERT_EQ(result.status, 0) << result;
  EXPECT_EQ(pin_line(), pinned(sha256_of(SHIMPOOL_PINNED_IMPOSTOR)));
}

TEST_F(PinGenerator, AnUnreadableLibraryStopsTheGeneration) {
  const ProgramResult result = generate({"--pin-sha256", "--real-library", "libpinned.real.so"});
  EXPECT_EQ(result.status, 2) << result;
  EXPECT_NE(result.err.find("shimpool: error: --pin-sha256 hashes the real library now, but "
                            "'libpinned.real.so' cannot be read: No such file or directory; give "
                            "its path with --real-library (or --embed), or its digest with "
                            "--pin-sha256=HEX"),
            std::string::npos)
      << result;
  EXPECT_FALSE(fs::exists(out_)) << "no partial output";
}

TEST_F(PinGenerator, AMalformedDigestStopsTheGeneration) {
  for (const std::string &bad :
       {std::string("12ab"), std::string(63, 'a') + "g", std::string(65, 'a')}) {
    const ProgramResult result = generate({"--pin-sha256=" + bad});
    EXPECT_EQ(result.status, 2) << result;
    EXPECT_NE(result.err.find("--pin-sha256='" + bad +
                              "' is not a SHA-256 digest (64 hexadecimal "
                              "digits); give the digest of the real library (sha256sum prints it)"),
              std::string::npos)
        << result;
    EXPECT_FALSE(fs::exists(out_));
  }
}

TEST_F(PinGenerator, ThePolicyFileCanPinAndTheFlagWins) {
  const std::string policy =
      scratch_.write("pinned.toml", "[integrity]\nsha256 = \"" + genuine_ + "\"\n");
  ProgramResult result = generate({"--policy-file", policy});
  ASSERT_EQ(result.status, 0) << result;
  EXPECT_EQ(pin_line(), pinned(genuine_));
  const std::string other(64, 'b');
  result = generate({"--policy-file", policy, "--pin-sha256=" + other});
  ASSERT_EQ(result.status, 0) << result;
  EXPECT_EQ(pin_line(), pinned(other));
}

TEST_F(PinGenerator, AMalformedPolicyFileDigestIsAnError) {
  const std::string policy = scratch_.write("bad.toml", "[integrity]\nsha256 = \"abc\"\n");
  const ProgramResult result = generate({"--policy-file", policy});
  EXPECT_EQ(result.status, 1) << result;
  EXPECT_NE(result.err.find(policy + ":2:1: error: [integrity] takes sha256, the real library's "
                                     "SHA-256 as 64 hexadecimal digits (sha256sum prints it)"),
            std::string::npos)
      << result;
  EXPECT_FALSE(fs::exists(out_));
}

}  // namespace
