// `shimpool list`: the real binary, spawned, on the toto example header.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "shimpool_command.h"

namespace {

using shimpool_test::run_shimpool;
const auto &run = run_shimpool;

const std::string kToto = SHIMPOOL_SOURCE_DIR "/examples/toto/toto.h";
const std::string kTotoPolicy = SHIMPOOL_SOURCE_DIR "/examples/toto/toto.policy.toml";

TEST(List, PrintsAnAlignedTable) {
  auto result = run({"list", kToto, "--policy-file", kTotoPolicy});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.err, "");
  std::istringstream lines(result.out);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("FUNCTION ", 0), 0u) << header;
  const size_t policy_column = header.find("POLICY");
  ASSERT_NE(policy_column, std::string::npos);
  bool saw_foo = false, saw_set_option = false;
  while (std::getline(lines, line)) {
    if (line.rfind("toto_foo ", 0) == 0) {
      saw_foo = true;
      EXPECT_NE(line.find("int, int"), std::string::npos) << line;
      EXPECT_NE(line.find("cdecl"), std::string::npos) << line;
      EXPECT_EQ(line.substr(policy_column, 6), "pooled") << line;
      EXPECT_NE(line.find("toto.h:21:5"), std::string::npos) << line;
    }
    if (line.rfind("toto_set_option ", 0) == 0) {
      saw_set_option = true;
      EXPECT_EQ(line.substr(policy_column, 9), "broadcast") << line;  // from the policy file
    }
  }
  EXPECT_TRUE(saw_foo && saw_set_option) << result.out;
  EXPECT_NE(result.out.find("15 functions (C)\n"), std::string::npos) << result.out;
}

TEST(List, PolicyFlagsApply) {
  auto result = run({"list", kToto, "--policy", "toto_foo=sticky"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(std::regex_search(result.out, std::regex("\ntoto_foo +int +int, int +cdecl +sticky ")))
      << result.out;
}

TEST(List, PrintsJsonWithAStableKeyOrder) {
  auto result = run({"list", kToto, "--json", "--policy-file", kTotoPolicy});
  ASSERT_EQ(result.status, 0) << result.err;
  const std::string &out = result.out;
  EXPECT_EQ(out.rfind("{\n  \"name\": \"toto\",\n  \"language\": \"c\",\n  \"headers\": [", 0), 0u) << out;
  const std::string foo =
      "    {\n"
      "      \"name\": \"toto_foo\",\n"
      "      \"return_type\": \"int\",\n"
      "      \"parameters\": [\n"
      "        {\n"
      "          \"name\": \"arg0\",\n"
      "          \"type\": \"int\"\n"
      "        },\n"
      "        {\n"
      "          \"name\": \"arg1\",\n"
      "          \"type\": \"int\"\n"
      "        }\n"
      "      ],\n"
      "      \"calling_convention\": \"cdecl\",\n"
      "      \"policy\": \"pooled\",\n"
      "      \"signature\": \"int toto_foo(int arg0, int arg1)\",\n"
      "      \"declared_at\": {\n";
  EXPECT_NE(out.find(foo), std::string::npos) << out;
  EXPECT_NE(out.find("\"name\": \"toto_last_error\""), std::string::npos);
  EXPECT_NE(out.find("\"policy\": \"init\""), std::string::npos);
  // Byte-identical for identical input.
  EXPECT_EQ(run({"list", kToto, "--json", "--policy-file", kTotoPolicy}).out, out);
}

TEST(List, NameDefaultsToTheHeaderStem) {
  auto result = run({"list", kToto, "--json"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("\"name\": \"toto\""), std::string::npos);
}

TEST(List, HeaderErrorsExitOne) {
  const std::string header = ::testing::TempDir() + "/list_broken.h";
  std::ofstream(header) << "int broken(int a\n";
  auto result = run({"list", header});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("list_broken.h:1:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("nothing listed"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(List, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"list"}).status, 2);
  EXPECT_EQ(run({"list", kToto, "--bogus"}).status, 2);
  EXPECT_EQ(run({"list", kToto, "--name", "not-a-name"}).status, 2);
  EXPECT_EQ(run({"list", kToto, "--policy", "nonsense"}).status, 2);
}

}  // namespace
