// The shimpool command line, run as a user runs it: the real binary spawned
// with posix_spawn, its stdout, stderr and exit status captured.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "run_program.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;

using shimpool_test::ProgramResult;
using Result = ProgramResult;

// Runs shimpool with `args`.
Result run(const std::vector<std::string> &args) {
  return shimpool_test::run_program(SHIMPOOL_BINARY, args);
}

class Cli : public ::testing::Test {
 protected:
  std::string write(const std::string &name, const std::string &text) {
    return scratch_.write(name, text);
  }

  std::string good_header() {
    return write("toto.h", "typedef int (*toto_cb)(int);\nint toto_foo(int a, int b);\n"
                           "void toto_bar(char *text);\nint toto_apply(toto_cb fn, int v);\n");
  }

  shimpool_test::ScratchDir scratch_{"shimpool-cli"};
  const fs::path &dir_ = scratch_.path();
};

// File name -> content, for every entry of a directory.
std::map<std::string, std::string> read_directory(const fs::path &dir) {
  std::map<std::string, std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto &entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    files[entry.path().filename().string()] = content.str();
  }
  return files;
}

std::set<std::string> keys(const std::map<std::string, std::string> &files) {
  std::set<std::string> out;
  for (const auto &[name, content] : files) out.insert(name);
  return out;
}

const std::set<std::string> kTotoOutputs{"toto_shim.c", "toto_shim.def", "toto_shim.map",
                                          "toto_shimpool.h"};

TEST_F(Cli, HelpListsGenerate) {
  Result r = run({"--help"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("generate"), std::string::npos) << r;
}

TEST_F(Cli, GenerateHelpListsItsOptions) {
  Result r = run({"generate", "--help"});
  EXPECT_EQ(r.status, 0) << r;
  for (const char *option : {"--name", "--out", "--real-library", "--max-instances"})
    EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r;
}

TEST_F(Cli, Version) {
  Result r = run({"--version"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("shimpool [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << r;
}

TEST_F(Cli, NoSubcommandIsAUsageError) {
  Result r = run({});
  EXPECT_EQ(r.status, 2) << r;
}

TEST_F(Cli, MissingNameIsAUsageError) {
  Result r = run({"generate", good_header(), "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("--name"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(Cli, InvalidNamesAreUsageErrors) {
  for (const char *name : {"2bad", "a-b"}) {
    Result r = run({"generate", good_header(), "--name", name, "--out", (dir_ / "out").string()});
    EXPECT_EQ(r.status, 2) << name << "\n" << r;
    EXPECT_NE(r.err.find(name), std::string::npos) << "names the bad value\n" << r;
    EXPECT_FALSE(fs::exists(dir_ / "out"));
  }
}

TEST_F(Cli, MaxInstancesOutOfRangeIsAUsageError) {
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(),
                  "--max-instances", "0"});
  EXPECT_EQ(r.status, 2) << r;
}

TEST_F(Cli, SuccessWritesExactlyTheFourFiles) {
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(),
                  "--real-library", "/opt/vendor/libtoto.so.1", "--max-instances", "5"});
  ASSERT_EQ(r.status, 0) << r;
  auto files = read_directory(dir_ / "out");
  EXPECT_EQ(keys(files), kTotoOutputs);
  const std::string &source = files["toto_shim.c"];
  EXPECT_NE(source.find("\"/opt/vendor/libtoto.so.1\""), std::string::npos) << source;
  EXPECT_NE(source.find("int toto_apply(toto_cb arg0, int arg1) {"), std::string::npos) << source;
  EXPECT_NE(files["toto_shim.map"].find("toto_apply;"), std::string::npos);
}

TEST_F(Cli, DefaultRealLibraryName) {
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string()});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(read_directory(dir_ / "out")["toto_shim.c"].find("\"libtoto.real.so\""),
            std::string::npos);
}

// A Windows target's shim is a DLL: its real library is NAME.real.dll.
TEST_F(Cli, DefaultRealLibraryNameOnWindowsTargets) {
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(),
                  "--", "--target=x86_64-w64-mingw32"});
  ASSERT_EQ(r.status, 0) << r;
  auto files = read_directory(dir_ / "out");
  EXPECT_NE(files["toto_shim.c"].find("\"toto.real.dll\""), std::string::npos) << files["toto_shim.c"];
  EXPECT_NE(files["toto_shim.def"].find("\nEXPORTS\n  toto_foo\n  toto_foo_session\n"), std::string::npos)
      << files["toto_shim.def"];
}

// --embed links the real library's bytes in: the assembler reads them from
// the absolute path, and the runtime names its copies after the file.
TEST_F(Cli, EmbedIncludesTheLibraryByAbsolutePath) {
  const std::string library = write("vendor/libtoto.so.3", "not really a library");
  const fs::path relative = fs::relative(library, dir_);
  Result r = shimpool_test::run_program("/bin/sh", {"-c", "cd \"$0\" && exec \"$@\"", dir_.string(),
                                                    SHIMPOOL_BINARY, "generate", good_header(), "--name",
                                                    "toto", "--out", "out", "--embed", relative.string()});
  ASSERT_EQ(r.status, 0) << r;
  const std::string source = read_directory(dir_ / "out")["toto_shim.c"];
  EXPECT_NE(source.find("  .incbin \\\"" + fs::canonical(library).string() + "\\\"\\n\""), std::string::npos)
      << source;
  EXPECT_NE(source.find("  \"libtoto.so.3\",\n"), std::string::npos) << "real_library: the file's name\n"
                                                                   << source;
  EXPECT_NE(source.find("  shimpool_embedded_begin_toto, /* embedded_begin */\n"), std::string::npos) << source;
}

TEST_F(Cli, EmbedKeepsAGivenRealLibraryName) {
  const std::string library = write("libtoto.so.3", "bytes");
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(),
                  "--embed", library, "--real-library", "libtoto-copy.so"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(read_directory(dir_ / "out")["toto_shim.c"].find("  \"libtoto-copy.so\",\n"), std::string::npos);
}

TEST_F(Cli, EmbedOfAMissingFileOrADirectoryWritesNothing) {
  const std::string missing = (dir_ / "nowhere.so").string();
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(), "--embed",
                  missing});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_EQ(r.err, "shimpool: error: --embed '" + missing + "': no such file; give the path of the real "
                   "library to link into the shim\n");
  r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(), "--embed",
           dir_.string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(Cli, ExportsFromAnElfLibraryIsRefused) {
  const std::string not_a_dll = write("libtoto.so", "\x7f" "ELF garbage");
  Result r = run({"generate", good_header(), "--name", "toto", "--out", (dir_ / "out").string(),
                  "--exports-from", not_a_dll, "--", "--target=x86_64-w64-mingw32"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("shimpool: error: --exports-from: cannot read '" + not_a_dll + "'"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(Cli, OutputIsByteIdenticalAcrossRuns) {
  std::string header = good_header();
  std::vector<std::string> args{"generate", header, "--name", "toto", "--out"};
  auto run_into = [&](const fs::path &out) {
    auto a = args;
    a.push_back(out.string());
    Result r = run(a);
    EXPECT_EQ(r.status, 0) << r;
    return read_directory(out);
  };
  auto first = run_into(dir_ / "out");
  auto again = run_into(dir_ / "out");  // over its own output
  auto elsewhere = run_into(dir_ / "other");
  EXPECT_EQ(keys(first), kTotoOutputs);
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, elsewhere);
}

TEST_F(Cli, MalformedHeaderWritesNothing) {
  std::string header = write("header.h", "int fine(int);\nint broken(int x\n");
  Result r = run({"generate", header, "--name", "toto", "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("header\\.h:2:[0-9]+: error: "))) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out")) << "no output directory either";
}

TEST_F(Cli, MalformedHeaderLeavesAnExistingDirectoryAlone) {
  // A previous good run, then a failing one into the same directory: the
  // earlier outputs stay as they were and nothing is added.
  std::string out = (dir_ / "out").string();
  ASSERT_EQ(run({"generate", good_header(), "--name", "toto", "--out", out}).status, 0);
  auto before = read_directory(out);
  std::string header = write("header.h", "int fine(int);\nint broken(int x\n");
  Result r = run({"generate", header, "--name", "toto", "--out", out});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_EQ(read_directory(out), before);

  fs::create_directory(dir_ / "empty");
  r = run({"generate", header, "--name", "toto", "--out", (dir_ / "empty").string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(read_directory(dir_ / "empty").empty());
}

TEST_F(Cli, VariadicFunctionIsNamed) {
  std::string header = write("va.h", "int va_ok(int);\nint va_log(const char *fmt, ...);\n");
  Result r = run({"generate", header, "--name", "va", "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("va\\.h:2:5: error: .*'va_log'"))) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

// Warnings (data exports here) are printed in Clang's format, and the shim is
// generated all the same.
TEST_F(Cli, DataExportIsAWarning) {
  std::string header = write("data.h", "int data_get(void);\nextern int data_level;\n");
  Result r = run({"generate", header, "--name", "data", "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("data\\.h:2:12: warning: data export 'data_level' cannot be pooled;.*"
                        "it is not exported by the shim")))
      << r;
  auto files = read_directory(dir_ / "out");
  EXPECT_EQ(keys(files), (std::set<std::string>{"data_shim.c", "data_shim.def", "data_shim.map", "data_shimpool.h"}));
  EXPECT_EQ(files["data_shim.map"].find("data_level"), std::string::npos);
}

TEST_F(Cli, NonexistentHeaderIsNamed) {
  std::string missing = (dir_ / "missing_header.h").string();
  Result r = run({"generate", missing, "--name", "toto", "--out", (dir_ / "out").string()});
  EXPECT_NE(r.status, 0) << r;
  EXPECT_NE(r.err.find("missing_header.h"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(Cli, HeaderWithoutFunctionsIsAnInputError) {
  write("dep.h", "int dep_only(int);\n");
  std::string header = write("types.h", "#include \"dep.h\"\nstruct s { int x; };\ntypedef int t;\n");
  Result r = run({"generate", header, "--name", "types", "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("no function"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(Cli, ArgumentsAfterDoubleDashGoToClang) {
  std::string header = write("api.h", "API int api_f(int);\n");
  std::string out = (dir_ / "out").string();
  Result without = run({"generate", header, "--name", "api", "--out", out});
  EXPECT_EQ(without.status, 1) << without;
  Result with = run({"generate", header, "--name", "api", "--out", out, "--", "-DAPI=extern"});
  EXPECT_EQ(with.status, 0) << with;
  EXPECT_EQ(keys(read_directory(out)),
            (std::set<std::string>{"api_shim.c", "api_shim.def", "api_shim.map", "api_shimpool.h"}));
}

TEST_F(Cli, CppHeaderGivesACppWrapper) {
  std::string header = write("api.hpp", "extern \"C\" int cpp_f(int a, int b = 1);\nint cpp_g(int);\n");
  Result r = run({"generate", header, "--name", "cpp", "--out", (dir_ / "out").string()});
  ASSERT_EQ(r.status, 0) << r;
  auto files = read_directory(dir_ / "out");
  EXPECT_EQ(keys(files), (std::set<std::string>{"cpp_shim.cpp", "cpp_shim.def", "cpp_shim.map", "cpp_shimpool.h"}));
  EXPECT_EQ(files["cpp_shim.map"].find("cpp_g"), std::string::npos);
}

}  // namespace

namespace {

// Variadic functions and selection from the command line: --variadic maps a
// twin, --deny leaves a function out, --allow keeps only some, and the refusal
// names the function and the ways out.
TEST_F(Cli, VariadicTwinsAndSelectionFlags) {
  std::string header = write("vs.h",
                             "#include <stdarg.h>\n"
                             "int vs_open(void);\n"
                             "int vs_debug(void);\n"
                             "int vs_log(const char *fmt, ...);\n"
                             "int vs_log_list(const char *fmt, va_list ap);\n"
                             "int vs_trace(int level, ...);\n");
  Result r = run({"generate", header, "--name", "vs", "--out", (dir_ / "a").string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("vs\\.h:4:5: error: cannot forward variadic "
                                                  "function 'vs_log'.*--variadic vs_log=TWIN.*"
                                                  "--deny vs_log")))
      << r;
  EXPECT_FALSE(fs::exists(dir_ / "a"));

  r = run({"generate", header, "--name", "vs", "--out", (dir_ / "b").string(), "--variadic",
           "vs_log=vs_log_list", "--deny", "vs_trace", "--deny", ".*_debug"});
  ASSERT_EQ(r.status, 0) << r;
  auto files = read_directory(dir_ / "b");
  EXPECT_NE(files["vs_shim.map"].find("    vs_log;\n"), std::string::npos);
  EXPECT_NE(files["vs_shim.map"].find("    vs_log_list;\n"), std::string::npos);
  EXPECT_EQ(files["vs_shim.map"].find("vs_trace"), std::string::npos);
  EXPECT_EQ(files["vs_shim.map"].find("vs_debug"), std::string::npos);
  EXPECT_NE(files["vs_shim.c"].find("int vs_log(const char *arg0, ...) {"), std::string::npos);

  r = run({"generate", header, "--name", "vs", "--out", (dir_ / "c").string(), "--allow",
           "vs_open|vs_log", "--variadic", "vs_log=vs_log_list"});
  ASSERT_EQ(r.status, 0) << r;
  files = read_directory(dir_ / "c");
  EXPECT_EQ(files["vs_shim.map"].find("vs_log_list"), std::string::npos)
      << "the twin is resolved, not exported";
  EXPECT_NE(files["vs_shim.c"].find("  \"vs_log_list\",\n"), std::string::npos);

  r = run({"generate", header, "--name", "vs", "--out", (dir_ / "d").string(), "--variadic",
           "vs_log"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("--variadic 'vs_log' must be NAME=TWIN"), std::string::npos) << r;

  r = run({"generate", header, "--name", "vs", "--out", (dir_ / "e").string(), "--deny", "vs_.*"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("--allow and --deny select"), std::string::npos) << r;
}

// The policy file's [select] and [variadic] tables, and -p with a compile_commands.json.
TEST_F(Cli, PolicyFileSelectionAndCompilationDatabase) {
  std::string header = write("pd.h",
                             "#include <stdarg.h>\n"
                             "PD_API int pd_open(void);\n"
                             "PD_API int pd_say(int n, ...);\n"
                             "PD_API int pd_say_va(int n, va_list ap);\n"
                             "PD_API int pd_internal(void);\n");
  std::string policy = write("pd.toml",
                             "[select]\ndeny = [\"pd_internal\"]\n"
                             "[variadic]\npd_say = \"pd_say_va\"\n");
  fs::create_directory(dir_ / "build");
  std::ofstream(dir_ / "build" / "compile_commands.json")
      << "[{\"directory\": \"" << (dir_ / "build").string()
      << "\", \"file\": \"pd.c\", \"command\": \"cc -DPD_API=extern -c pd.c\"}]\n";
  Result r = run({"generate", header, "--name", "pd", "--out", (dir_ / "x").string(),
                  "--policy-file", policy});
  EXPECT_EQ(r.status, 1) << "PD_API is only defined in the compilation database";
  r = run({"generate", header, "--name", "pd", "--out", (dir_ / "y").string(), "--policy-file",
           policy, "-p", (dir_ / "build").string()});
  ASSERT_EQ(r.status, 0) << r;
  auto files = read_directory(dir_ / "y");
  EXPECT_NE(files["pd_shim.map"].find("    pd_say;\n"), std::string::npos);
  EXPECT_EQ(files["pd_shim.map"].find("pd_internal"), std::string::npos);
  EXPECT_NE(files["pd_shim.c"].find("va_start(shimpool_ap, arg0);"), std::string::npos);
}

}  // namespace
