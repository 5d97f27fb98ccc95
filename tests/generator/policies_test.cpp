// Policy files and --policy flags: parsing, precedence, and the checks that a
// policy fits its function.
#include "policies.h"

#include <gtest/gtest.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace shimpool {
namespace {

Function function_named(std::string name, std::vector<Parameter> parameters = {}) {
  Function f;
  f.name = std::move(name);
  f.parameters = std::move(parameters);
  f.position = {"api.h", 7, 5};
  return f;
}

Parameter parameter(std::string type, ArgumentCopy copy) {
  Parameter p;
  p.name = "arg0";
  p.type = std::move(type);
  p.copy = copy;
  return p;
}

class PolicyFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string &text) {
    path_ = ::testing::TempDir() + "policy-" + std::to_string(getpid()) + ".toml";
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::optional<PolicyFile> read(const std::string &text) {
    return read_policy_file(write(text), out_);
  }
  std::string diagnostics_;
  llvm::raw_string_ostream out_{diagnostics_};
  std::string path_;
};

TEST_F(PolicyFileTest, ReadsPoolDefaultsAndRules) {
  auto file = read(R"([pool]
max_instances = 5
min_instances = 2
idle_timeout_ms = 1000
acquire_timeout_ms = 50
real_library = "libx.real.so"
strategy = "namespace"

[policies]
x_error = "sticky"
"x_set_.*" = "broadcast"
)");
  ASSERT_TRUE(file) << diagnostics_;
  EXPECT_EQ(file->pool.max_instances, 5u);
  EXPECT_EQ(file->pool.min_instances, 2u);
  EXPECT_EQ(file->pool.idle_timeout_ms, 1000u);
  EXPECT_EQ(file->pool.acquire_timeout_ms, 50u);
  EXPECT_EQ(file->pool.real_library, "libx.real.so");
  EXPECT_EQ(file->pool.strategy, "namespace");
  ASSERT_EQ(file->rules.size(), 2u);
}

TEST_F(PolicyFileTest, UnknownPolicyIsAnErrorAtItsPosition) {
  auto file = read("[policies]\nx_error = \"stick\"\n");
  EXPECT_FALSE(file);
  EXPECT_NE(diagnostics_.find(path_ + ":2:11: error: the policy of 'x_error' must be one of"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(PolicyFileTest, UnknownKeysAndTablesAreErrors) {
  EXPECT_FALSE(read("[pool]\nmax_instance = 3\n"));
  EXPECT_NE(diagnostics_.find(":2:1: error: unknown [pool] key 'max_instance'"), std::string::npos)
      << diagnostics_;
  EXPECT_FALSE(read("[polices]\n"));
  EXPECT_NE(diagnostics_.find("error: unknown table 'polices'"), std::string::npos) << diagnostics_;
}

TEST_F(PolicyFileTest, UnknownStrategyIsAnError) {
  EXPECT_FALSE(read("[pool]\nstrategy = \"teleport\"\n"));
  EXPECT_NE(diagnostics_.find(":2:1: error: unknown [pool] key 'strategy' or value of the wrong type"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(PolicyFileTest, OutOfRangeNumberIsAnError) {
  EXPECT_FALSE(read("[pool]\nmax_instances = 0\n"));
  EXPECT_NE(diagnostics_.find("max_instances must be a whole number from 1 to 4096"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(PolicyFileTest, SyntaxErrorsHaveAPosition) {
  EXPECT_FALSE(read("[pool\n"));
  EXPECT_NE(diagnostics_.find(path_ + ":1:"), std::string::npos) << diagnostics_;
  EXPECT_NE(diagnostics_.find(": error: "), std::string::npos) << diagnostics_;
}

TEST(PolicyFlag, ParsesNameAndPolicy) {
  std::string error;
  auto rule = parse_policy_flag("AU3_.*=sticky", error);
  ASSERT_TRUE(rule) << error;
  EXPECT_EQ(rule->pattern, "AU3_.*");
  EXPECT_EQ(rule->policy, Policy::Sticky);
  EXPECT_FALSE(parse_policy_flag("AU3_error", error));
  EXPECT_FALSE(parse_policy_flag("AU3_error=often", error));
  EXPECT_NE(error.find("must be NAME=POLICY"), std::string::npos) << error;
}

class ApplyPolicies : public ::testing::Test {
 protected:
  bool apply(const std::vector<PolicyRule> &file, const std::vector<PolicyRule> &flags = {}) {
    return apply_policies(model_, file, flags, out_);
  }
  Policy policy_of(const std::string &name) const {
    for (const Function &f : model_.functions)
      if (f.name == name) return f.policy;
    throw std::runtime_error("no function " + name);
  }
  ApiModel model_;
  std::string diagnostics_;
  llvm::raw_string_ostream out_{diagnostics_};
};

TEST_F(ApplyPolicies, UnnamedFunctionsStayPooledAndExactNamesBeatRegexes) {
  model_.functions = {function_named("x_error"), function_named("x_errstr"), function_named("x_go")};
  ASSERT_TRUE(apply({{"x_err.*", Policy::Direct, "f:1:1"}, {"x_error", Policy::Sticky, "f:2:1"}}))
      << diagnostics_;
  EXPECT_EQ(policy_of("x_error"), Policy::Sticky);
  EXPECT_EQ(policy_of("x_errstr"), Policy::Direct);
  EXPECT_EQ(policy_of("x_go"), Policy::Pooled);
}

TEST_F(ApplyPolicies, DisagreeingRegexesAreAnError) {
  model_.functions = {function_named("x_error")};
  EXPECT_FALSE(apply({{"x_.*", Policy::Direct, "f:1:1"}, {".*_error", Policy::Sticky, "f:2:1"}}));
  EXPECT_NE(diagnostics_.find("api.h:7:5: error: policies for 'x_error' disagree"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(ApplyPolicies, FlagsBeatTheFileAndTheLastFlagWins) {
  model_.functions = {function_named("x_error")};
  ASSERT_TRUE(apply({{"x_error", Policy::Sticky, "f:1:1"}},
                    {{"x_.*", Policy::Direct, "--policy"}, {"x_error", Policy::Pooled, "--policy"}}));
  EXPECT_EQ(policy_of("x_error"), Policy::Pooled);
}

TEST_F(ApplyPolicies, UnusedRulesAreWarnedAbout) {
  model_.functions = {function_named("x_go")};
  ASSERT_TRUE(apply({{"x_missing", Policy::Sticky, "f:3:1"}}));
  EXPECT_NE(diagnostics_.find("f:3:1: warning: policy rule 'x_missing' matches no function"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(ApplyPolicies, BroadcastNeedsCopyableArguments) {
  model_.functions = {function_named("x_set", {parameter("const char *", ArgumentCopy::CString)}),
                      function_named("x_hook", {parameter("void *", ArgumentCopy::None)})};
  EXPECT_TRUE(apply({}, {{"x_set", Policy::Broadcast, "--policy"}}));
  EXPECT_FALSE(apply({}, {{"x_hook", Policy::Broadcast, "--policy"}}));
  EXPECT_NE(diagnostics_.find("api.h:7:5: error: cannot broadcast 'x_hook': parameter 1 ('void *') "
                              "points to memory of unknown size"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(ApplyPolicies, InitFunctionsTakeNoArguments) {
  model_.functions = {function_named("x_init", {parameter("int", ArgumentCopy::Value)})};
  EXPECT_FALSE(apply({}, {{"x_init", Policy::Init, "--policy"}}));
  EXPECT_NE(diagnostics_.find("'x_init' cannot be an init function: it takes arguments"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(ApplyPolicies, InvalidRegexIsAnError) {
  model_.functions = {function_named("x_go")};
  EXPECT_FALSE(apply({}, {{"x_(", Policy::Direct, "--policy x_(=direct"}}));
  EXPECT_NE(diagnostics_.find("--policy x_(=direct: error: 'x_(' is not a valid regular expression"),
            std::string::npos)
      << diagnostics_;
}

}  // namespace
}  // namespace shimpool
