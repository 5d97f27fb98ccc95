// `shimpool check-exports`: the real binary, spawned, on real libraries: the
// toto example, ELF fixtures built here (one function fewer and one extra;
// symbol versions) and PE DLLs built with MinGW (ordinals, NONAME, stdcall).
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "shimpool_command.h"

namespace {

using shimpool_test::run_shimpool;
const auto &run = run_shimpool;

const std::string kCorpus = SHIMPOOL_TEST_DIR "/corpus/";
const std::string kWindows = SHIMPOOL_TEST_DIR "/windows/";

TEST(CheckExports, TotoAgrees) {
  if (std::string(TOTO_LIBRARY).empty()) GTEST_SKIP() << "the examples are not built";
  auto result = run({"check-exports", SHIMPOOL_SOURCE_DIR "/examples/toto/toto.h", "--binary", TOTO_LIBRARY});
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("(elf64-x86-64, 15 exports) against 15 declared functions"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("ok: the headers and the binary agree\n"), std::string::npos) << result.out;
}

TEST(CheckExports, ReportsMissingAndUndeclaredFunctions) {
  auto result = run({"check-exports", kCorpus + "exports_mismatch.h", "--binary", EXPORTS_MISMATCH_LIBRARY});
  EXPECT_EQ(result.status, 1) << result.out << result.err;
  EXPECT_NE(result.out.find(kCorpus + "exports_mismatch.h:9:5: error: 'exports_missing' is declared "
                                      "here but " EXPORTS_MISMATCH_LIBRARY " does not export it\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(EXPORTS_MISMATCH_LIBRARY ": error: 'exports_extra' is exported but no "
                                                     "header declares it\n"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.find("exports_add"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(EXPORTS_MISMATCH_LIBRARY ": warning: 'exports_counter' is exported data: a shim "
                                                     "cannot pool it"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("mismatch: 1 declared but not exported, 1 exported but not declared\n"),
            std::string::npos);
}

TEST(CheckExports, ReportsMismatchesAsJson) {
  auto result = run({"check-exports", kCorpus + "exports_mismatch.h", "--binary", EXPORTS_MISMATCH_LIBRARY,
                     "--json"});
  EXPECT_EQ(result.status, 1) << result.err;
  EXPECT_NE(result.out.find("\"agree\": false"), std::string::npos) << result.out;
  EXPECT_TRUE(std::regex_search(
      result.out, std::regex("\"missing\": \\[\n +\\{\n +\"name\": \"exports_missing\",\n +\"declared_at\": "
                             "\\{\n +\"file\": \"[^\"]*exports_mismatch.h\",\n +\"line\": 9,\n +\"column\": 5")))
      << result.out;
  EXPECT_TRUE(std::regex_search(result.out,
                                std::regex("\"undeclared\": \\[\n +\\{\n +\"name\": \"exports_extra\"\n")))
      << result.out;
  EXPECT_TRUE(std::regex_search(result.out,
                                std::regex("\"data\": \\[\n +\\{\n +\"name\": \"exports_counter\"\n")))
      << result.out;
}

TEST(CheckExports, ReportsSymbolVersions) {
  auto result = run({"check-exports", kCorpus + "versioned.h", "--binary", VERSIONED_LIBRARY});
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("  versioned_add@VERS_1.0  (hidden, non-default version)\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("  versioned_add@@VERS_2.0  (default version)\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  versioned_scale@@VERS_1.0  (default version)\n"), std::string::npos)
      << result.out;

  auto json = run({"check-exports", kCorpus + "versioned.h", "--binary", VERSIONED_LIBRARY, "--json"});
  EXPECT_EQ(json.status, 0);
  EXPECT_TRUE(std::regex_search(json.out, std::regex("\"name\": \"versioned_add\",\n +\"version\": "
                                                     "\"VERS_1.0\",\n +\"default_version\": false")))
      << json.out;
}

TEST(CheckExports, ReportsPeOrdinalsAndNonameExports) {
  if (std::string(EXPORTS_DLL).empty()) GTEST_SKIP() << "x86_64-w64-mingw32-gcc not found";
  auto result = run({"check-exports", kWindows + "exports_dll.h", "--binary", EXPORTS_DLL, "--",
                     "--target=x86_64-w64-mingw32"});
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("(COFF-x86-64, 4 exports) against 3 declared functions"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ordinals (a shim DLL must keep them, e.g. in its .def file):\n"
                            "      5  win_add\n"
                            "      7  win_sub\n"
                            "      9  (NONAME: exported by ordinal only)\n"
                            "     11  win_tick -> KERNEL32.GetTickCount  (forwarder)\n"),
            std::string::npos)
      << result.out;

  auto json = run({"check-exports", kWindows + "exports_dll.h", "--binary", EXPORTS_DLL, "--json", "--",
                   "--target=x86_64-w64-mingw32"});
  EXPECT_EQ(json.status, 0);
  EXPECT_NE(json.out.find("\"dll_name\": \"exports_dll.dll\""), std::string::npos) << json.out;
  EXPECT_TRUE(std::regex_search(json.out, std::regex("\"name\": \"win_add\",\n +\"ordinal\": 5\n"))) << json.out;
  EXPECT_TRUE(std::regex_search(json.out, std::regex("\"name\": \"\",\n +\"ordinal\": 9,\n +\"noname\": true")))
      << json.out;
  EXPECT_TRUE(std::regex_search(
      json.out, std::regex("\"name\": \"win_tick\",\n +\"ordinal\": 11,\n +\"forwarder\": \"KERNEL32.GetTickCount\"")))
      << json.out;
}

TEST(CheckExports, MatchesDecoratedStdcallNamesOnI686) {
  if (std::string(STDCALL_DLL).empty()) GTEST_SKIP() << "i686-w64-mingw32-gcc not found";
  auto result = run({"check-exports", kWindows + "stdcall_dll.h", "--binary", STDCALL_DLL, "--",
                     "--target=i686-w64-mingw32"});
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("  win_stdcall_add@8\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  win_stdcall_tick@0\n"), std::string::npos) << result.out;
}

TEST(CheckExports, ErrorsAndUsage) {
  EXPECT_EQ(run({"check-exports", kCorpus + "versioned.h"}).status, 2);  // no --binary
  EXPECT_EQ(run({"check-exports", kCorpus + "versioned.h", "--binary", "/no/such/lib.so"}).status, 2);
  auto not_a_library = run({"check-exports", kCorpus + "versioned.h", "--binary", kCorpus + "versioned.c"});
  EXPECT_EQ(not_a_library.status, 1);
  EXPECT_NE(not_a_library.err.find("shimpool: error: cannot read"), std::string::npos) << not_a_library.err;
  EXPECT_EQ(not_a_library.out, "");
}

}  // namespace
