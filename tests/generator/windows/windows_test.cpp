// Headers that include windows.h: `shimpool generate` with a MinGW target
// triple (x86_64 and i686), then the generated wrapper compiled with MinGW GCC
// against the runtime headers. (The runtime itself is not ported to Windows
// yet: only the wrapper's compilation is tested.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../shimpool_command.h"

namespace {

namespace fs = std::filesystem;
using shimpool_test::run_shimpool;
const auto &run = run_shimpool;
using shimpool_test::run_program;

const std::string kWindows = SHIMPOOL_TEST_DIR "/windows";

std::string read(const fs::path &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Target {
  const char *triple;
  const char *compiler;  // empty if not found
};

void PrintTo(const Target &target, std::ostream *out) { *out << target.triple; }

class WindowsHeaders : public ::testing::TestWithParam<Target> {};

// Generates a shim for `header` and compiles its wrapper; returns the wrapper's text.
std::string generate_and_compile(const Target &target, const std::string &header, const std::string &name) {
  const fs::path out = fs::path(::testing::TempDir()) / (std::string("windows_") + target.triple + "_" + name);
  fs::remove_all(out);
  auto generated = run({"generate", kWindows + "/" + header, "--name", name, "--out", out.string(), "--",
                        std::string("--target=") + target.triple});
  EXPECT_EQ(generated.status, 0) << generated.err;
  EXPECT_EQ(generated.err, "");  // windows.h found, no warning
  const fs::path wrapper = out / (name + "_shim.c");
  EXPECT_TRUE(fs::exists(wrapper));
  auto compiled = run_program(target.compiler, {"-c", "-Wall", "-Werror=implicit-function-declaration",
                                                "-I", SHIMPOOL_SOURCE_DIR "/runtime/include", "-I", kWindows,
                                                "-I", out.string(), wrapper.string(), "-o",
                                                (out / (name + "_shim.o")).string()});
  EXPECT_EQ(compiled.status, 0) << compiled.err;
  return read(wrapper);
}

TEST_P(WindowsHeaders, WinapiFunctionsGenerateCompilableWrappers) {
  const Target target = GetParam();
  if (std::string(target.compiler).empty()) GTEST_SKIP() << target.triple << "-gcc not found";
  const std::string wrapper = generate_and_compile(target, "win_api.h", "win_api");
  EXPECT_NE(wrapper.find("#include \"win_api.h\""), std::string::npos);
  for (const char *function : {"win_api_count", "win_api_set_flag", "win_api_name", "win_api_plain", "win_api_each"})
    EXPECT_NE(wrapper.find(std::string("\"") + function + "\""), std::string::npos) << function;
  if (std::string(target.triple).rfind("i686", 0) == 0) {
    // WINAPI is __stdcall on i686: the wrapper must keep it, and call through it.
    EXPECT_NE(wrapper.find("__attribute__((stdcall)) DWORD win_api_count(HANDLE arg0, LPCSTR arg1)"),
              std::string::npos)
        << wrapper;
    EXPECT_NE(wrapper.find("(DWORD (__attribute__((stdcall)) *)(HANDLE, LPCSTR))"), std::string::npos) << wrapper;
  }
}

TEST_P(WindowsHeaders, ListShowsTheTargetsCallingConventions) {
  const Target target = GetParam();
  if (std::string(target.compiler).empty()) GTEST_SKIP() << target.triple << "-gcc not found";
  auto result = run({"list", kWindows + "/win_api.h", "--json", "--", std::string("--target=") + target.triple});
  ASSERT_EQ(result.status, 0) << result.err;
  // WINAPI is __stdcall on i686 and means nothing on x86_64.
  const bool i686 = std::string(target.triple).rfind("i686", 0) == 0;
  const std::string expected = std::string("\"calling_convention\": \"") + (i686 ? "stdcall" : "cdecl") + "\"";
  const size_t count = result.out.find("\"name\": \"win_api_count\"");
  ASSERT_NE(count, std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("\"calling_convention\"", count), result.out.find(expected, count)) << result.out;
  EXPECT_NE(result.out.find("\"return_type\": \"DWORD\""), std::string::npos) << result.out;
}

// Explicit calling conventions that are no-ops for the target (__cdecl; on
// x86_64 also __fastcall) are spelled after the pointer type, where GCC
// rejects them: "(int (*)(int) __attribute__((cdecl)))". A generator bug,
// reported; enable once fixed.
TEST_P(WindowsHeaders, ExplicitNoOpCallingConventionsCompile) {
  const Target target = GetParam();
  if (std::string(target.compiler).empty()) GTEST_SKIP() << target.triple << "-gcc not found";
  generate_and_compile(target, "win_api_explicit_cc.h", "win_cc");
}

INSTANTIATE_TEST_SUITE_P(MinGW, WindowsHeaders,
                         ::testing::Values(Target{"x86_64-w64-mingw32", MINGW64_GCC},
                                           Target{"i686-w64-mingw32", MINGW32_GCC}),
                         [](const auto &info) {
                           return std::string(info.param.triple).substr(0, std::string(info.param.triple).find('-'));
                         });

}  // namespace
