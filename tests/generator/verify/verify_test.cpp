// `shimpool verify`: the real binary, spawned, on real shims. The toto shim
// passes; a shim generated from a copy of toto.h with two wrong declarations
// fails, naming exactly those two functions; a library of every scalar kind
// passes, and the functions verify cannot call are reported with the reason.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <regex>
#include <string>
#include <vector>

#include "scratch_dir.h"
#include "shimpool_command.h"

namespace {

using shimpool_test::ProgramResult;
using shimpool_test::run_shimpool;

const std::string kToto = TOTO_HEADER;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// Verifies the toto shim, leaving out toto_wait_event (it blocks on some
// arguments: see TheRealFunctionBlockingStopsTheRunWithoutAFailure).
ProgramResult verify_toto(const std::string &shim, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"verify", kToto,        "--shim", shim,
                                "--real", TOTO_LIBRARY, "--deny", "toto_wait_event"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_shimpool(args);
}

TEST(Verify, TheTotoShimMatchesTheOriginal) {
  auto result = verify_toto(TOTO_SHIM, {"--policy-file", TOTO_POLICY});
  EXPECT_EQ(result.status, 0) << result;
  EXPECT_TRUE(contains(result.out, "(shim 'toto') against " TOTO_LIBRARY ": 14 functions, up to "
                                   "32 calls each\n"))
      << result;
  for (const char *name :
       {"toto_foo", "toto_sum3", "toto_counter_add", "toto_set_option", "toto_get_option",
        "toto_parse_number", "toto_last_error", "toto_is_initialized", "toto_version"})
    EXPECT_TRUE(
        std::regex_search(result.out, std::regex(std::string("\nOK +") + name + " +32 calls\n")))
        << name << "\n"
        << result;
  EXPECT_TRUE(contains(result.out,
                       "SKIPPED   toto_bar             parameter 1 'char *' is a "
                       "writable buffer of unknown size\n"))
      << result;
  EXPECT_TRUE(contains(result.out,
                       "SKIPPED   toto_apply           parameter 1 'toto_callback' is "
                       "a function pointer"))
      << result;
  EXPECT_TRUE(contains(result.out,
                       "SKIPPED   toto_instance_id     the result 'const void *' is a "
                       "pointer"))
      << result;
  EXPECT_TRUE(contains(result.out, "summary: 11 OK, 0 mismatches, 3 skipped\n")) << result;
}

TEST(Verify, AShimWithWrongSignaturesFailsNamingTheFunctions) {
  auto result = verify_toto(TOTO_WRONG_SHIM, {"--policy-file", TOTO_POLICY});
  EXPECT_EQ(result.status, 1) << result;
  // toto_foo(double, double) in the shim: the library reads integer registers
  // the shim never set.
  EXPECT_TRUE(std::regex_search(
      result.out,
      std::regex("\nMISMATCH  toto_foo +call 1 of 32: the results differ\n +toto_foo\\(0, "
                 "2\\)\n +real function: 2\n +shim: +-?[0-9]+\n")))
      << result;
  // ms_abi in the shim: the arguments arrive in other registers.
  EXPECT_TRUE(std::regex_search(
      result.out, std::regex("\nMISMATCH  toto_sum3 +call [0-9]+ of 32: the results differ\n")))
      << result;
  EXPECT_TRUE(std::regex_search(result.out, std::regex("\nOK +toto_counter_add +32 calls\n")))
      << result;
  EXPECT_TRUE(contains(result.out, "summary: 9 OK, 2 mismatches, 3 skipped\n")) << result;
}

TEST(Verify, InitFunctionsComeFromThePolicyFile) {
  // The toto shim runs toto_init on each instance; without the policy file,
  // verify does not, and toto_is_initialized tells them apart.
  auto result = verify_toto(TOTO_SHIM);
  EXPECT_EQ(result.status, 1) << result;
  EXPECT_TRUE(contains(result.out,
                       "MISMATCH  toto_is_initialized  call 1 of 32: the results differ\n"
                       "          toto_is_initialized()\n"
                       "          real function: 0\n"
                       "          shim:          1\n"))
      << result;
  EXPECT_TRUE(contains(result.out,
                       "note: no init function was run on the real library; if the shim "
                       "was generated with a policy file naming some, pass it with "
                       "--policy-file\n"))
      << result;
}

TEST(Verify, TheRealFunctionBlockingStopsTheRunWithoutAFailure) {
  // toto_wait_event waits as long as its second argument says: up to INT_MAX ms.
  auto result = run_shimpool({"verify", kToto, "--shim", TOTO_SHIM, "--real", TOTO_LIBRARY,
                              "--allow", "toto_wait_event", "--timeout-ms", "300"});
  EXPECT_EQ(result.status, 0) << result;
  EXPECT_TRUE(std::regex_search(
      result.out,
      std::regex("\nOK +toto_wait_event +[1-9][0-9]* calls?; stopped at call [0-9]+: the "
                 "real function did not return within 300 ms\n +toto_wait_event\\(\"")))
      << result;
}

TEST(Verify, EveryScalarKindIsPassedAndCompared) {
  auto result = run_shimpool({"verify", SCALARS_HEADER, "--shim", SCALARS_SHIM, "--real",
                              SCALARS_LIBRARY, "--calls", "64"});
  EXPECT_EQ(result.status, 0) << result;
  for (const char *name :
       {"scalars_i8", "scalars_u8", "scalars_i16", "scalars_u16", "scalars_i32", "scalars_u32",
        "scalars_i64", "scalars_u64", "scalars_length", "scalars_f32", "scalars_f64", "scalars_not",
        "scalars_next_color", "scalars_describe", "scalars_first_byte", "scalars_mix",
        "scalars_count"})
    EXPECT_TRUE(
        std::regex_search(result.out, std::regex(std::string("\nOK +") + name + " +64 calls\n")))
        << name << "\n"
        << result;
  EXPECT_TRUE(contains(result.out,
                       "scalars_long_double  the result 'long double' is a 128-bit "
                       "floating type, which verify does not pass or compare"))
      << result;
  EXPECT_TRUE(contains(result.out,
                       "scalars_sum_pair     parameter 1 'struct scalars_pair' is a "
                       "struct or union passed by value"))
      << result;
  EXPECT_TRUE(
      contains(result.out, "scalars_fill         parameter 1 'char *' is a writable buffer"))
      << result;
  EXPECT_TRUE(contains(result.out, "scalars_exit         declared noreturn")) << result;
  EXPECT_TRUE(contains(result.out, "summary: 17 OK, 0 mismatches, 4 skipped\n")) << result;
}

TEST(Verify, TheSameInputsGiveTheSameReport) {
  const std::vector<std::string> args{"verify", SCALARS_HEADER,  "--shim", SCALARS_SHIM,
                                      "--real", SCALARS_LIBRARY, "--json"};
  auto first = run_shimpool(args);
  auto second = run_shimpool(args);
  EXPECT_EQ(first.status, 0) << first;
  EXPECT_EQ(first.out, second.out);
}

TEST(Verify, ReportsAsJson) {
  auto result = verify_toto(TOTO_WRONG_SHIM, {"--policy-file", TOTO_POLICY, "--json"});
  EXPECT_EQ(result.status, 1) << result;
  EXPECT_TRUE(std::regex_search(
      result.out,
      std::regex("\\{\n +\"name\": \"toto_foo\",\n +\"status\": \"mismatch\",\n +\"calls\": "
                 "0,\n +\"detail\": \"call 1 of 32: the results differ\",\n +\"call\": "
                 "\"toto_foo\\(0, 2\\)\",\n +\"real_result\": \"2\",\n +\"shim_result\": ")))
      << result;
  EXPECT_TRUE(std::regex_search(result.out,
                                std::regex("\"name\": \"toto_bar\",\n +\"status\": \"skipped\"")))
      << result;
  EXPECT_TRUE(std::regex_search(result.out,
                                std::regex("\"ok\": 9,\n +\"mismatches\": 2,\n +\"skipped\": 3\n")))
      << result;
}

TEST(Verify, LeavesNoFilesBehind) {
  // toto_signal_event creates the files it is given, relative ones in the
  // working directory: each function runs in a directory of its own, removed after.
  shimpool_test::ScratchDir tmp("shimpool-verify-test");
  const char *saved = getenv("TMPDIR");
  const std::string previous = saved ? saved : "";
  setenv("TMPDIR", tmp.path().c_str(), 1);
  auto result = run_shimpool({"verify", kToto, "--shim", TOTO_SHIM, "--real", TOTO_LIBRARY,
                              "--allow", "toto_signal_event"});
  if (saved)
    setenv("TMPDIR", previous.c_str(), 1);
  else
    unsetenv("TMPDIR");
  EXPECT_EQ(result.status, 0) << result;
  EXPECT_TRUE(contains(result.out, "OK        toto_signal_event  32 calls\n")) << result;
  EXPECT_EQ(tmp.entry_count(), 0);
}

TEST(Verify, TheOriginalIsNoShim) {
  auto result = run_shimpool({"verify", kToto, "--shim", TOTO_LIBRARY, "--real", TOTO_LIBRARY});
  EXPECT_EQ(result.status, 1) << result;
  EXPECT_TRUE(contains(result.err,
                       "--shim " TOTO_LIBRARY " exports no shimpool_<NAME>_probe: it is "
                       "not a shim generated by shimpool"))
      << result;
}

TEST(Verify, AShimThatCannotLoadTheRealLibraryIsReported) {
  auto result =
      run_shimpool({"verify", kToto, "--shim", TOTO_SHIM, "--real", kToto});  // no library
  EXPECT_EQ(result.status, 1) << result;
  EXPECT_TRUE(contains(result.err, "cannot be verified against")) << result;
  EXPECT_TRUE(contains(result.err, "toto.h")) << result;
}

TEST(Verify, TheCommandLineIsChecked) {
  auto missing = run_shimpool({"verify", kToto, "--shim", TOTO_SHIM});
  EXPECT_EQ(missing.status, 2) << missing;
  EXPECT_TRUE(contains(missing.err, "--real is required")) << missing;
  auto no_calls = verify_toto(TOTO_SHIM, {"--calls", "0"});
  EXPECT_EQ(no_calls.status, 2) << no_calls;
  auto bad_name = verify_toto(TOTO_SHIM, {"--name", "not-a-name"});
  EXPECT_EQ(bad_name.status, 2) << bad_name;
  auto windows = verify_toto(TOTO_SHIM, {"--", "--target=x86_64-w64-mingw32"});
  EXPECT_EQ(windows.status, 2) << windows;
  EXPECT_TRUE(contains(windows.err, "the headers must be parsed for this machine")) << windows;
}

}  // namespace
