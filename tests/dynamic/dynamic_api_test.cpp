// The dynamic API itself: every type crossing libffi, signatures, options,
// errors (each a message saying what, where and what to do, never an abort),
// statistics, strategies, prewarm and eviction, and closing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <thread>

#include "dynamic_test_support.h"
#include "scratch_dir.h"

namespace {

using namespace std::chrono_literals;
using namespace dynamic_test;
using ::testing::HasSubstr;

// The error a failing open reports (empty if it succeeded, which fails the test).
std::string open_error(const std::string &library, const shimpool_pool_options *opts) {
  char error[1024] = {};
  shimpool_pool *pool = shimpool_pool_open(library.c_str(), opts, error, sizeof error);
  if (pool) {
    ADD_FAILURE() << "shimpool_pool_open(" << library << ") succeeded";
    shimpool_pool_close(pool, nullptr, 0);
    return "";
  }
  EXPECT_NE(error[0], '\0') << "a failure leaves a message";
  return error;
}

std::string describe_error(TestPool &pool, const char *name, const char *signature,
                           const char *policy = nullptr) {
  char error[1024] = {};
  if (shimpool_pool_function(pool.get(), name, signature, policy, error, sizeof error)) {
    ADD_FAILURE() << name << " '" << signature << "' was accepted";
    return "";
  }
  return error;
}

// ---- Every type, both ways ----------------------------------------------------

class Types : public ::testing::Test {
 protected:
  TestPool pool{TYPES_LIBRARY, options(2)};

  shimpool_value call1(const char *name, const char *signature, shimpool_value argument) {
    return pool.call(pool.function(name, signature), {argument});
  }
};

TEST_F(Types, NarrowIntegersKeepTheirSignAndWrap) {
  shimpool_value v{};
  v.i8 = -128;
  EXPECT_EQ(call1("types_negate_i8", "i8(i8)", v).i8, -128);
  v.i8 = 5;
  EXPECT_EQ(call1("types_negate_i8", "i8(i8)", v).i8, -5);
  v.u8 = 255;
  EXPECT_EQ(call1("types_increment_u8", "u8(u8)", v).u8, 0);
  v.i16 = -300;
  EXPECT_EQ(call1("types_negate_i16", "i16(i16)", v).i16, 300);
  v.u16 = 65535;
  EXPECT_EQ(call1("types_increment_u16", "u16(u16)", v).u16, 0);
  v.i32 = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(call1("types_negate_i32", "int(int)", v).i32, std::numeric_limits<int32_t>::min());
  v.u32 = 41;
  EXPECT_EQ(call1("types_increment_u32", "uint(uint)", v).u32, 42u);
  v.i64 = -(int64_t(1) << 40);
  EXPECT_EQ(call1("types_negate_i64", "i64(i64)", v).i64, int64_t(1) << 40);
  v.u64 = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(call1("types_increment_u64", "u64(u64)", v).u64, 0u);
  v.l = -7;
  EXPECT_EQ(call1("types_negate_long", "long(long)", v).l, 7);
  v.ul = 9;
  EXPECT_EQ(call1("types_increment_ulong", "ulong(ulong)", v).ul, 10u);
}

TEST_F(Types, OnlyTheMemberOfTheParameterTypeIsRead) {
  shimpool_value v{};
  v.u64 = 0x123456789abcde00u;
  v.i8 = -1;  // the other bytes stay non-zero
  EXPECT_EQ(call1("types_sign_of_i8", "i32(i8)", v).i32, -1);
}

TEST_F(Types, ANarrowResultLeavesTheRestOfTheValueZero) {
  shimpool_value v{};
  v.i8 = 1;
  shimpool_value result = call1("types_negate_i8", "i8(i8)", v);
  EXPECT_EQ(result.u64, 0xffu) << "-1 as one byte, then zeros";
}

TEST_F(Types, FloatsAndBooleans) {
  shimpool_value v{};
  v.f32 = 3.0f;
  EXPECT_EQ(call1("types_half_f32", "f32(f32)", v).f32, 1.5f);
  v.f64 = -5.0;
  EXPECT_EQ(call1("types_half_f64", "double(double)", v).f64, -2.5);
  v.f64 = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(call1("types_half_f64", "f64(f64)", v).f64));
  v.u8 = 1;
  EXPECT_EQ(call1("types_not", "bool(bool)", v).u8, 0);
  v.u8 = 0;
  EXPECT_EQ(call1("types_not", "bool(bool)", v).u8, 1);
}

TEST_F(Types, StringsAndPointersPassByAddress) {
  const char *text = "twelve chars";
  EXPECT_EQ(call1("types_length", "size(str)", str(text)).size, 12u);
  EXPECT_EQ(call1("types_echo", "str(str)", str(text)).str, text);
  int local = 0;
  EXPECT_EQ(call1("types_echo_pointer", "ptr(ptr)", ptr(&local)).ptr, &local);
  shimpool_value wide{};
  wide.wstr = L"wide";
  EXPECT_EQ(call1("types_wide_length", "size(wstr)", wide).size, 4u);
  EXPECT_STREQ(pool.call(pool.function("types_greeting", "str()")).str, "hello from dynamic_types");
}

TEST_F(Types, FourteenMixedParametersArriveInOrder) {
  shimpool_function *mix = pool.function(
      "types_mix", " f64 ( i8, u16, i32, i64, f32, f64, str, u8, i32, f64, f32, i64, i32, f64 ) ");
  ASSERT_TRUE(mix);
  shimpool_value args[14] = {};
  args[0].i8 = -1;
  args[1].u16 = 2;
  args[2].i32 = 3;
  args[3].i64 = 4;
  args[4].f32 = 5;
  args[5].f64 = 6;
  args[6].str = "seven..";
  args[7].u8 = 8;
  args[8].i32 = 9;
  args[9].f64 = 10;
  args[10].f32 = 11;
  args[11].i64 = 12;
  args[12].i32 = 13;
  args[13].f64 = 14;
  double expected = 0;
  for (int i = 0; i < 14; ++i) expected += (i == 0 ? -1 : i + 1) * (i + 1.0);
  shimpool_value result{};
  char error[256] = {};
  ASSERT_EQ(shimpool_pool_call(pool.get(), mix, &result, args, error, sizeof error), 0) << error;
  EXPECT_EQ(result.f64, expected);
}

TEST_F(Types, VoidFunctionsAndAbsentResults) {
  shimpool_function *store = pool.function("types_store", "void(i32)");
  shimpool_function *load = pool.function("types_load", "i32(void)");
  shimpool_session *session = pool.open_session();
  ASSERT_TRUE(session);
  shimpool_value v = i32(77);
  char error[256] = {};
  EXPECT_EQ(
      shimpool_pool_session_call(pool.get(), session, store, nullptr, &v, error, sizeof error), 0)
      << error;
  EXPECT_EQ(pool.call_on(session, load).i32, 77);
  shimpool_pool_session_close(pool.get(), session);
}

// ---- Signatures and policies ------------------------------------------------------

TEST_F(Types, MalformedSignaturesSayWhatAndWhere) {
  EXPECT_THAT(
      describe_error(pool, "types_load", "i33()"),
      AllOf(HasSubstr("types_load: signature 'i33()'"), HasSubstr("unknown result type 'i33'"),
            HasSubstr("position 1"), HasSubstr("i8 u8 i16")));
  EXPECT_THAT(describe_error(pool, "types_store", "void(i32"),
              AllOf(HasSubstr("expected ',' or ')', found the end"), HasSubstr("position 9")));
  EXPECT_THAT(describe_error(pool, "types_store", "void(int32_t)"),
              HasSubstr("unknown parameter type 'int32_t'"));
  EXPECT_THAT(describe_error(pool, "types_store", "void(void,i32)"),
              HasSubstr("'void' stands alone"));
  EXPECT_THAT(describe_error(pool, "types_store", "void(i32) x"), HasSubstr("unexpected 'x'"));
  EXPECT_THAT(describe_error(pool, "types_store", ""), HasSubstr("expected the result type"));
  EXPECT_THAT(describe_error(pool, "types_store", nullptr), HasSubstr("expected the result type"));
}

TEST_F(Types, AnUnknownFunctionNamesTheLibraryAndTheName) {
  EXPECT_THAT(describe_error(pool, "types_nope", "i32()"),
              AllOf(HasSubstr("the library " TYPES_LIBRARY " has no function 'types_nope'"),
                    HasSubstr("check the name")));
  EXPECT_THAT(describe_error(pool, nullptr, "i32()"), HasSubstr("no function name given"));
}

TEST_F(Types, PoliciesAreChecked) {
  EXPECT_THAT(describe_error(pool, "types_load", "i32()", "every"),
              HasSubstr("policy 'every' is not one of pooled, sticky, broadcast, direct"));
  EXPECT_THAT(describe_error(pool, "types_load", "i32()", "init"),
              HasSubstr("name it in options.init_functions"));
  EXPECT_THAT(describe_error(pool, "types_echo_pointer", "ptr(ptr)", "broadcast"),
              AllOf(HasSubstr("parameter 1 is 'ptr'"), HasSubstr("or as pooled")));
  EXPECT_NE(pool.function("types_store", "void(i32)", "broadcast"), nullptr);
}

// ---- Calls that cannot be made ----------------------------------------------------------

TEST_F(Types, BadCallArgumentsAreRefused) {
  shimpool_function *store = pool.function("types_store", "void(i32)");
  char error[512] = {};
  EXPECT_EQ(shimpool_pool_call(nullptr, store, nullptr, nullptr, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("no pool given"));
  EXPECT_EQ(shimpool_pool_call(pool.get(), nullptr, nullptr, nullptr, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("no function given"));
  EXPECT_EQ(shimpool_pool_call(pool.get(), store, nullptr, nullptr, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("types_store: no arguments given for its 1 parameter(s)"));

  TestPool other(TYPES_LIBRARY, options(1));
  shimpool_value v = i32(1);
  EXPECT_EQ(shimpool_pool_call(other.get(), store, nullptr, &v, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("'types_store' was described on another pool"));
  shimpool_session *foreign = other.open_session();
  EXPECT_EQ(
      shimpool_pool_session_call(pool.get(), foreign, store, nullptr, &v, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("the session was opened on another pool"));
  shimpool_pool_session_close(pool.get(), foreign);  // not this pool's: left alone
  EXPECT_EQ(other.stats().sessions_open, 1u);
  shimpool_pool_session_close(other.get(), foreign);
  EXPECT_EQ(other.stats().sessions_open, 0u);
}

TEST_F(Types, ErrorsAreTruncatedToTheBuffer) {
  char error[8];
  std::memset(error, 'x', sizeof error);
  EXPECT_EQ(shimpool_pool_function(pool.get(), "types_nope", "i32()", nullptr, error, sizeof error),
            nullptr);
  EXPECT_EQ(std::strlen(error), 7u);
  EXPECT_EQ(shimpool_pool_function(pool.get(), "types_nope", "i32()", nullptr, nullptr, 0), nullptr)
      << "no buffer: the failure is still reported by the result";
}

TEST(Acquire, ACallThatWaitsTooLongFailsWithTheReason) {
  shimpool_pool_options opts = options(1);
  opts.acquire_timeout_ms = 50;
  TestPool pool(TYPES_LIBRARY, opts);
  ASSERT_TRUE(pool.ok());
  shimpool_function *load = pool.function("types_load", "i32()");
  shimpool_session *session = pool.open_session();  // holds the only instance
  ASSERT_TRUE(session);
  char error[512] = {};
  std::thread other([&] {  // another thread: this one's session is not its lease
    EXPECT_EQ(shimpool_pool_call(pool.get(), load, nullptr, nullptr, error, sizeof error), -1);
  });
  other.join();
  EXPECT_THAT(error, HasSubstr("no instance became free within 50 ms"));
  EXPECT_EQ(pool.stats().acquire_timeouts, 1u);
  shimpool_pool_session_close(pool.get(), session);
}

// ---- Opening ----------------------------------------------------------------------

TEST(Open, AMissingLibraryNamesThePathAndWhatToDo) {
  EXPECT_THAT(open_error("/nonexistent/libmissing.so", nullptr),
              AllOf(HasSubstr("/nonexistent/libmissing.so"), HasSubstr("No such file"),
                    HasSubstr("Pass shimpool_pool_open the path of the library file"),
                    HasSubstr("SHIMPOOL_MISSING_REAL_LIBRARY")));
  EXPECT_THAT(open_error("", nullptr), HasSubstr("no library path given"));
}

TEST(Open, AFileThatIsNoLibraryIsRefused) {
  shimpool_test::ScratchDir dir("shimpool-dynamic");
  const std::string text = dir.write("libtext.so", "not a library\n");
  shimpool_pool_options opts = options();
  EXPECT_THAT(
      open_error(text, &opts),
      AllOf(HasSubstr("libtext.so"), HasSubstr("Open the library built for this platform")));
  EXPECT_EQ(dir.entry_count(), 1) << "no copy left behind";
}

TEST(Open, OptionsAreChecked) {
  shimpool_pool_options opts = options();
  opts.size = 0;
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts),
              HasSubstr("set it to sizeof(shimpool_pool_options)"));
  opts = options(4);
  opts.min_instances = 5;
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts),
              HasSubstr("options.min_instances (5) is above the maximum (4)"));
  opts = options(5000);
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts),
              HasSubstr("options.max_instances (5000) is above 4096"));
  opts = options();
  opts.strategy = "teleport";
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts), HasSubstr("options.strategy 'teleport'"));
  opts = options();
  opts.name = "2fast";
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts),
              HasSubstr("options.name '2fast' is not a C identifier"));
  opts = options();
  opts.init_functions = "types_store,,types_load";
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts), HasSubstr("has an empty name"));
  opts.init_functions = "types_nope";
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts),
              AllOf(HasSubstr("has no function 'types_nope' that options.init_functions names"),
                    HasSubstr(TYPES_LIBRARY)));
}

TEST(Open, AnOlderCallersSmallerOptionsStructIsRead) {
  shimpool_pool_options opts = options(3);
  opts.name = "older_caller";
  opts.size = offsetof(shimpool_pool_options, min_instances);  // knows name and max only
  opts.min_instances = 99;                                     // beyond its size: ignored
  if (kSanitized) setenv("SHIMPOOL_OLDER_CALLER_STRATEGY", "namespace", 1);  // not in its struct
  TestPool pool(TYPES_LIBRARY, opts);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool.stats().max_instances, 3u);
}

TEST(Open, TheEnvironmentOverridesTheOptionsUnderThePoolsName) {
  setenv("SHIMPOOL_DYNAMIC_ENV_TEST_MAX_INSTANCES", "3", 1);
  shimpool_pool_options opts = options(8);
  opts.name = "dynamic_env_test";
  {
    TestPool pool(TYPES_LIBRARY, opts);
    EXPECT_EQ(pool.stats().max_instances, 3u);
  }
  setenv("SHIMPOOL_DYNAMIC_ENV_TEST_MAX_INSTANCES", "lots", 1);
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts),
              HasSubstr("SHIMPOOL_DYNAMIC_ENV_TEST_MAX_INSTANCES='lots' is not a whole number"));
  unsetenv("SHIMPOOL_DYNAMIC_ENV_TEST_MAX_INSTANCES");
}

TEST(Open, SanitizerBuildsAreToldWhichStrategyWorks) {
  if (!kSanitized) GTEST_SKIP() << "only a sanitizer runtime refuses copies";
  shimpool_pool_options opts = options();
  opts.strategy = "copy";
  EXPECT_THAT(open_error(TYPES_LIBRARY, &opts), HasSubstr("Set options.strategy to \"namespace\""));
}

// ---- Strategies, prewarm, eviction ---------------------------------------------

class Strategies : public ::testing::TestWithParam<const char *> {};

TEST_P(Strategies, EachInstanceHasItsOwnGlobals) {
  if (kSanitized && std::string(GetParam()) != "namespace")
    GTEST_SKIP() << "sanitizer runtimes abort on the RTLD_DEEPBIND this strategy needs";
  shimpool_pool_options opts = options(4);
  opts.strategy = GetParam();
  TestPool pool(TYPES_LIBRARY, opts);
  ASSERT_TRUE(pool.ok());
  shimpool_function *store = pool.function("types_store", "void(i32)");
  shimpool_function *load = pool.function("types_load", "i32()");
  Sessions sessions(pool, 4);
  for (int i = 0; i < 4; ++i) pool.call_on(sessions.all[i], store, {i32(100 + i)});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pool.call_on(sessions.all[i], load).i32, 100 + i);
}

INSTANTIATE_TEST_SUITE_P(Dynamic, Strategies, ::testing::Values("copy", "memfd", "namespace"));

// Polls until `done` holds or 5 s pass: background work has no completion signal.
bool eventually(TestPool &pool, const std::function<bool(const shimpool_stats &)> &done) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms))
    if (done(pool.stats())) return true;
  return done(pool.stats());
}

TEST(Upkeep, TheMinimumIsPrewarmedAndIdleInstancesAreEvicted) {
  shimpool_pool_options opts = options(4);
  opts.min_instances = 2;
  opts.idle_timeout_ms = 50;
  TestPool pool(TYPES_LIBRARY, opts);
  ASSERT_TRUE(pool.ok());
  EXPECT_TRUE(eventually(pool, [](const shimpool_stats &s) { return s.live_instances == 2; }));
  EXPECT_EQ(pool.stats().calls, 0u) << "opening and prewarming made no call";
  {
    Sessions all(pool, 4);
    EXPECT_EQ(pool.stats().live_instances, 4u);
  }
  if (kSanitized) return;  // namespaces are never evicted
  EXPECT_TRUE(eventually(pool, [](const shimpool_stats &s) { return s.live_instances == 2; }));
  EXPECT_GE(pool.stats().evictions, 2u);
  shimpool_function *load = pool.function("types_load", "i32()");
  pool.call(load);
  EXPECT_EQ(pool.stats().creation_failures, 0u);
}

TEST(Upkeep, DescribingAfterEveryInstanceWasEvictedLoadsOne) {
  if (kSanitized) GTEST_SKIP() << "namespaces are never evicted";
  shimpool_pool_options opts = options(2);
  opts.idle_timeout_ms = 20;
  TestPool pool(TYPES_LIBRARY, opts);
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(eventually(pool, [](const shimpool_stats &s) { return s.live_instances == 0; }));
  EXPECT_NE(pool.function("types_load", "i32()"), nullptr);
  EXPECT_EQ(pool.stats().calls, 0u) << "looking a function up is not a call";
}

// ---- Closing ---------------------------------------------------------------------

TEST(Close, IsRefusedWhileSessionsAreOpen) {
  shimpool_pool_options opts = options(2);
  char error[512] = {};
  shimpool_pool *pool = shimpool_pool_open(TYPES_LIBRARY, &opts, error, sizeof error);
  ASSERT_TRUE(pool) << error;
  shimpool_session *session = shimpool_pool_session_open(pool, error, sizeof error);
  ASSERT_TRUE(session) << error;
  EXPECT_EQ(shimpool_pool_close(pool, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("1 session(s) still open"));
  shimpool_pool_session_close(pool, session);

  ASSERT_EQ(shimpool_pool_session_begin(pool, error, sizeof error), 0) << error;
  EXPECT_EQ(shimpool_pool_close(pool, error, sizeof error), -1);
  EXPECT_THAT(error, HasSubstr("1 thread-bound session(s) still open"));
  EXPECT_EQ(shimpool_pool_session_end(pool), 0);

  EXPECT_EQ(shimpool_pool_close(pool, error, sizeof error), 0) << error;
  EXPECT_EQ(shimpool_pool_close(nullptr, error, sizeof error), 0);
}

TEST(Close, StatisticsNeedAPoolAndABuffer) {
  TestPool pool(TYPES_LIBRARY, options(1));
  shimpool_stats stats{};
  EXPECT_EQ(shimpool_pool_stats(nullptr, &stats, sizeof stats), -1);
  EXPECT_EQ(shimpool_pool_stats(pool.get(), nullptr, sizeof stats), -1);
  uint64_t first_three[3] = {};
  EXPECT_EQ(shimpool_pool_stats(pool.get(), reinterpret_cast<shimpool_stats *>(first_three),
                                sizeof first_three),
            0);
  EXPECT_EQ(first_three[2], 1u) << "max_instances, third field";
}

}  // namespace
