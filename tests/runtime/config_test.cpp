// The run-time configuration: the descriptor's defaults, overridden by the
// shim's environment variables, with clear errors for bad values.
#include "config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace shimpool {
namespace {

class Config : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char *name : {"SHIMPOOL_CFGTEST_STRATEGY", "SHIMPOOL_CFGTEST_MAX_INSTANCES",
                             "SHIMPOOL_CFGTEST_MIN_INSTANCES", "SHIMPOOL_CFGTEST_REAL_LIBRARY"})
      unsetenv(name);
  }
  shimpool_shim_desc desc_{"cfgtest", "SHIMPOOL_CFGTEST_", "libcfg.real.so", nullptr, 0, 6, 1,
                           0,         0,                   nullptr,          "memfd", nullptr,
                           nullptr,   nullptr};
  std::string error_;
};

TEST_F(Config, DefaultsComeFromTheDescriptor) {
  auto config = load_config(desc_, "/opt/app/", error_);
  ASSERT_TRUE(config) << error_;
  EXPECT_EQ(config->real_library, "/opt/app/libcfg.real.so") << "a file name is taken next to the shim";
  EXPECT_EQ(config->limits.max_instances, 6u);
  EXPECT_EQ(config->limits.min_instances, 1u);
  EXPECT_EQ(config->strategy, platform::LoadStrategy::Memfd);
}

TEST_F(Config, TheEnvironmentWins) {
  setenv("SHIMPOOL_CFGTEST_STRATEGY", "namespace", 1);
  setenv("SHIMPOOL_CFGTEST_MAX_INSTANCES", "3", 1);
  setenv("SHIMPOOL_CFGTEST_REAL_LIBRARY", "/lib/libother.so", 1);
  auto config = load_config(desc_, "/opt/app/", error_);
  ASSERT_TRUE(config) << error_;
  EXPECT_EQ(config->strategy, platform::LoadStrategy::Namespace);
  EXPECT_EQ(config->limits.max_instances, 3u);
  EXPECT_EQ(config->real_library, "/lib/libother.so");
}

TEST_F(Config, AMinimumAboveTheMaximumIsRejected) {
  setenv("SHIMPOOL_CFGTEST_MIN_INSTANCES", "9", 1);
  EXPECT_FALSE(load_config(desc_, "/opt/app/", error_));
  EXPECT_EQ(error_, "SHIMPOOL_CFGTEST_MIN_INSTANCES (9) is above the maximum (6); lower it or raise "
                    "SHIMPOOL_CFGTEST_MAX_INSTANCES");
}

TEST_F(Config, AnUnknownDefaultStrategyIsReported) {
  desc_.strategy = "teleport";
  EXPECT_FALSE(load_config(desc_, "/opt/app/", error_));
  EXPECT_NE(error_.find("'teleport' is not a loader strategy"), std::string::npos) << error_;
}

TEST_F(Config, EmbeddedBytesAreUsedUnlessTheEnvironmentNamesALibrary) {
  static const unsigned char image[] = {0x7f, 'E', 'L', 'F'};
  desc_.embedded_begin = image;
  desc_.embedded_end = image + sizeof image;
  auto config = load_config(desc_, "/opt/app/", error_);
  ASSERT_TRUE(config) << error_;
  EXPECT_EQ(config->embedded.data(), image);
  EXPECT_EQ(config->embedded.size(), sizeof image);
  EXPECT_EQ(config->real_library, "/opt/app/libcfg.real.so") << "names the written copies";

  setenv("SHIMPOOL_CFGTEST_REAL_LIBRARY", "/lib/libpatched.so", 1);
  config = load_config(desc_, "/opt/app/", error_);
  ASSERT_TRUE(config) << error_;
  EXPECT_TRUE(config->embedded.empty()) << "a library named at run time beats the embedded one";
  EXPECT_EQ(config->real_library, "/lib/libpatched.so");
}

TEST_F(Config, ThePinIsKeptLowerCaseEvenWhenTheEnvironmentNamesALibrary) {
  const std::string digest(64, 'A');
  desc_.sha256 = digest.c_str();
  setenv("SHIMPOOL_CFGTEST_REAL_LIBRARY", "/lib/libpatched.so", 1);
  auto config = load_config(desc_, "/opt/app/", error_);
  ASSERT_TRUE(config) << error_;
  EXPECT_EQ(config->sha256, std::string(64, 'a')) << "a library named at run time is still checked";
}

TEST_F(Config, NoPinMeansNoCheck) {
  for (const char *none : {static_cast<const char *>(nullptr), ""}) {
    desc_.sha256 = none;
    auto config = load_config(desc_, "/opt/app/", error_);
    ASSERT_TRUE(config) << error_;
    EXPECT_TRUE(config->sha256.empty());
  }
}

TEST_F(Config, AMalformedPinIsRejected) {
  desc_.sha256 = "12ab";
  EXPECT_FALSE(load_config(desc_, "/opt/app/", error_));
  EXPECT_EQ(error_, "the shim's pinned SHA-256 '12ab' is not 64 hexadecimal digits; regenerate the "
                    "shim with --pin-sha256");
}

}  // namespace
}  // namespace shimpool
