// The shim DLL's .def file, linked for real: `shimpool generate` for a MinGW
// target, the wrapper compiled with MinGW GCC and linked into a DLL with the
// generated .def and a stub of the runtime (runtime_stub.c: the runtime is not
// cross-built here), then the DLL's export table read back with
// `shimpool check-exports --json` and compared with the original DLL's.
// Also: --embed's wrapper compiled for ELF and both PE targets. Tests that
// need MinGW skip when it is not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../shimpool_command.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;
using shimpool_test::ProgramResult;
using shimpool_test::run_program;
using shimpool_test::run_shimpool;

const std::string kWindows = SHIMPOOL_TEST_DIR "/windows";

std::string read(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines after EXPORTS in a .def file, indentation removed.
std::vector<std::string> def_lines(const std::string &def) {
  std::vector<std::string> lines;
  std::istringstream in(def);
  bool in_exports = false;
  for (std::string line; std::getline(in, line);) {
    if (in_exports && !line.empty()) lines.push_back(line.substr(line.find_first_not_of(' ')));
    if (line == "EXPORTS") in_exports = true;
  }
  return lines;
}

// A DLL's exports as check-exports --json reports them: ordinal -> name ("" for NONAME).
std::map<unsigned, std::string> dll_exports(const std::string &dll, const std::string &header,
                                            const std::string &triple) {
  ProgramResult result = run_shimpool({"check-exports", header, "--binary", dll, "--json", "--",
                                       "--target=" + triple});
  const size_t start = result.out.find("\"exports\": [");
  const size_t end = result.out.find("\"data\": [", start);
  EXPECT_NE(start, std::string::npos) << result;
  if (start == std::string::npos) return {};
  const std::string section = result.out.substr(start, end - start);
  std::map<unsigned, std::string> exports;
  const std::regex entry("\"name\": \"([^\"]*)\",\\s*\"ordinal\": ([0-9]+)");
  for (std::sregex_iterator it(section.begin(), section.end(), entry), last; it != last; ++it)
    exports[static_cast<unsigned>(std::stoul((*it)[2]))] = (*it)[1];
  return exports;
}

struct Target {
  std::string triple;
  std::string compiler;  // empty if not installed
};

Target i686() { return {"i686-w64-mingw32", MINGW32_GCC}; }
Target x86_64() { return {"x86_64-w64-mingw32", MINGW64_GCC}; }

// Generates the shim of `header` into `out` (extra generate arguments before --).
ProgramResult generate(const Target &target, const std::string &header, const std::string &name,
                       const fs::path &out, const std::vector<std::string> &extra = {}) {
  std::vector<std::string> args{"generate", header, "--name", name, "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.push_back("--target=" + target.triple);
  return run_shimpool(args);
}

// Compiles the generated wrapper and the runtime stub and links them into
// out/NAME.dll with the generated .def; returns the DLL's path, or "" after
// reporting a failure.
std::string link_shim_dll(const Target &target, const std::string &name, const fs::path &out) {
  const std::vector<std::string> includes{"-I", SHIMPOOL_SOURCE_DIR "/runtime/include", "-I", kWindows,
                                          "-I", out.string()};
  auto compile = [&](const std::string &source, const fs::path &object) {
    std::vector<std::string> args{"-c", "-Wall", "-Werror=implicit-function-declaration"};
    args.insert(args.end(), includes.begin(), includes.end());
    args.insert(args.end(), {source, "-o", object.string()});
    ProgramResult result = run_program(target.compiler, args);
    EXPECT_EQ(result.status, 0) << result;
    return result.status == 0;
  };
  const fs::path wrapper = out / (name + "_shim.o"), stub = out / "runtime_stub.o";
  if (!compile((out / (name + "_shim.c")).string(), wrapper) || !compile(kWindows + "/runtime_stub.c", stub))
    return "";
  const fs::path dll = out / (name + ".dll");
  ProgramResult linked = run_program(target.compiler, {"-shared", "-o", dll.string(), wrapper.string(),
                                                       stub.string(), (out / (name + "_shim.def")).string()});
  EXPECT_EQ(linked.status, 0) << linked;
  return linked.status == 0 ? dll.string() : "";
}

// Whether `name` is one of the shim's own exports (session forms, shim API).
bool shim_only(const std::string &name) {
  return name.rfind("shimpool_", 0) == 0 ||
         (name.size() > 8 && name.compare(name.size() - 8, 8, "_session") == 0);
}

// The shim DLL exports the original's exports with their ordinals, and its own
// ones above the original's highest ordinal.
void expect_same_exports(const std::map<unsigned, std::string> &original,
                         const std::map<unsigned, std::string> &shim) {
  ASSERT_FALSE(original.empty());
  std::map<unsigned, std::string> reproduced;
  for (const auto &[ordinal, name] : shim)
    if (!shim_only(name)) reproduced[ordinal] = name;
    else EXPECT_GT(ordinal, original.rbegin()->first) << name;
  EXPECT_EQ(reproduced, original);
}

class DefFile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (target_.compiler.empty()) GTEST_SKIP() << target_.triple << "-gcc not found";
  }
  explicit DefFile(Target target) : target_(std::move(target)) {}
  Target target_;
  shimpool_test::ScratchDir scratch_{"shimpool-def"};
  const fs::path out_ = scratch_.path() / "out";
};

class DefFileI686 : public DefFile {
 protected:
  DefFileI686() : DefFile(i686()) {}
};

class DefFileX86_64 : public DefFile {
 protected:
  DefFileX86_64() : DefFile(x86_64()) {}
};

// Without --exports-from the DLL exports exactly the version script's names,
// undecorated: the stdcall wrappers (win_api_count@8 ...) under their C names.
void expect_exports_are_the_version_scripts(const Target &target, const fs::path &out) {
  const std::string header = kWindows + "/win_api.h";
  ProgramResult generated = generate(target, header, "win_api", out);
  ASSERT_EQ(generated.status, 0) << generated;
  const std::string dll = link_shim_dll(target, "win_api", out);
  ASSERT_FALSE(dll.empty());
  std::set<std::string> exported, scripted;
  for (const auto &[ordinal, name] : dll_exports(dll, header, target.triple)) exported.insert(name);
  const std::regex global("\n    ([A-Za-z_0-9]+);");
  const std::string script = read(out / "win_api_shim.map");
  for (std::sregex_iterator it(script.begin(), script.end(), global), last; it != last; ++it)
    scripted.insert((*it)[1]);
  EXPECT_EQ(exported.size(), 5u * 2 + 7) << "each function, its session form, the shim API";
  EXPECT_EQ(exported, scripted);
}

TEST_F(DefFileI686, DefaultExportsAreTheUndecoratedNames) {
  ASSERT_EQ(generate(target_, kWindows + "/win_api.h", "win_api", out_).status, 0);
  const std::string def = read(out_ / "win_api_shim.def");
  const std::vector<std::string> lines = def_lines(def);
  EXPECT_EQ(lines.front(), "win_api_count = win_api_count@8") << def;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "win_api_plain"), lines.end()) << "cdecl: no alias\n" << def;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "win_api_name = win_api_name@0"), lines.end()) << def;
  expect_exports_are_the_version_scripts(target_, out_);
}

TEST_F(DefFileX86_64, DefaultExportsAreTheCNames) { expect_exports_are_the_version_scripts(target_, out_); }

// mixed_dll.def gives names of every form: undecorated, MinGW's decorated
// stdcall, MSVC's "_name@N", fastcall "@name@N", one function under two names,
// explicit ordinals with a gap. The shim reproduces all of them.
TEST_F(DefFileI686, ExportsFromReproducesEveryFormOfName) {
  const std::string header = kWindows + "/mixed_dll.h";
  ProgramResult generated = generate(target_, header, "mixed", out_, {"--exports-from", MIXED_DLL});
  ASSERT_EQ(generated.status, 0) << generated;
  EXPECT_EQ(generated.err, "");
  EXPECT_EQ(def_lines(read(out_ / "mixed_shim.def")),
            (std::vector<std::string>{
                "mixed_add = mixed_add@8 @3", "mixed_add_session @11", "@mixed_fast@8 @4",
                "mixed_fast_session @12", "mixed_both@8 @5", "mixed_both = mixed_both@8 @6",
                "mixed_both_session @13", "mixed_plain @7", "mixed_plain_session @14",
                "_mixed_msvc@4 = mixed_msvc@4 @9", "mixed_msvc_session @15", "mixed_sub@8 @10",
                "mixed_sub_session @16", "shimpool_mixed_stats @17",
                "shimpool_mixed_set_error_handler @18", "shimpool_mixed_probe @19",
                "shimpool_mixed_session_begin @20", "shimpool_mixed_session_end @21",
                "shimpool_mixed_session_open @22", "shimpool_mixed_session_close @23"}));
  const std::string dll = link_shim_dll(target_, "mixed", out_);
  ASSERT_FALSE(dll.empty());
  expect_same_exports(dll_exports(MIXED_DLL, header, target_.triple), dll_exports(dll, header, target_.triple));
}

// stdcall_dll.dll is linked without a .def: MinGW exports "name@N", ordinals from 1.
TEST_F(DefFileI686, ExportsFromKeepsMinGWsDecoratedNames) {
  const std::string header = kWindows + "/stdcall_dll.h";
  ProgramResult generated = generate(target_, header, "stdcall", out_, {"--exports-from", STDCALL_DLL});
  ASSERT_EQ(generated.status, 0) << generated;
  const std::vector<std::string> lines = def_lines(read(out_ / "stdcall_shim.def"));
  EXPECT_NE(std::find(lines.begin(), lines.end(), "win_stdcall_add@8 @1"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "win_stdcall_tick@0 @2"), lines.end());
  const std::string dll = link_shim_dll(target_, "stdcall", out_);
  ASSERT_FALSE(dll.empty());
  expect_same_exports(dll_exports(STDCALL_DLL, header, target_.triple), dll_exports(dll, header, target_.triple));
}

// exports_dll.dll has a NONAME export (ordinal 9) no header function can be
// matched to: warned about, and left unused; the rest is reproduced.
TEST_F(DefFileX86_64, ExportsFromLeavesANonameOrdinalUnused) {
  const std::string header = kWindows + "/exports_dll.h";
  ProgramResult generated = generate(target_, header, "exports", out_, {"--exports-from", EXPORTS_DLL});
  ASSERT_EQ(generated.status, 0) << generated;
  EXPECT_NE(generated.err.find(": warning: ordinal 9 is exported by ordinal only (NONAME)"), std::string::npos)
      << generated;
  EXPECT_EQ(def_lines(read(out_ / "exports_shim.def")),
            (std::vector<std::string>{"win_add @5", "win_add_session @12", "win_sub @7", "win_sub_session @13",
                                      "win_tick @11", "win_tick_session @14", "shimpool_exports_stats @15",
                                      "shimpool_exports_set_error_handler @16", "shimpool_exports_probe @17",
                                      "shimpool_exports_session_begin @18", "shimpool_exports_session_end @19",
                                      "shimpool_exports_session_open @20", "shimpool_exports_session_close @21"}));
  const std::string dll = link_shim_dll(target_, "exports", out_);
  ASSERT_FALSE(dll.empty());
  std::map<unsigned, std::string> original = dll_exports(EXPORTS_DLL, header, target_.triple);
  ASSERT_EQ(original.erase(9), 1u) << "the fixture's NONAME export";
  std::map<unsigned, std::string> shim = dll_exports(dll, header, target_.triple);
  EXPECT_EQ(shim.count(9), 0u);
  expect_same_exports(original, shim);
}

TEST_F(DefFileX86_64, ExportsFromWithAFunctionTheDllLacksWritesNothing) {
  const std::string header = scratch_.write("more.h", "int win_add(int a, int b);\nint win_mul(int a, int b);\n");
  ProgramResult generated = generate(target_, header, "more", out_, {"--exports-from", EXPORTS_DLL});
  EXPECT_EQ(generated.status, 1) << generated;
  EXPECT_NE(generated.err.find(header + ":2:5: error: 'win_mul' is declared here but " EXPORTS_DLL
                               " does not export it (under that name or a decorated one); leave it "
                               "out of the shim with --deny win_mul, or pass the DLL these headers "
                               "belong to with --exports-from\n"),
            std::string::npos)
      << generated;
  EXPECT_NE(generated.err.find("shimpool: error: no shim generated; fix the errors above"), std::string::npos);
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(DefFileX86_64, ExportsFromADllOfAnotherArchitectureIsRefused) {
  if (std::string(MIXED_DLL).empty()) GTEST_SKIP() << "i686-w64-mingw32-gcc not found";
  ProgramResult generated =
      generate(target_, kWindows + "/mixed_dll.h", "mixed", out_, {"--exports-from", MIXED_DLL});
  EXPECT_EQ(generated.status, 1) << generated;
  EXPECT_NE(generated.err.find("is COFF-i386 but the headers were parsed for x86_64-w64-windows-gnu; give "
                               "Clang the DLL's target after --, e.g. -- --target=i686-w64-mingw32"),
            std::string::npos)
      << generated;
  EXPECT_FALSE(fs::exists(out_));
}

// --embed: the wrapper compiles for ELF and both PE targets, and its object
// defines the two labels, the file's size apart, under the target's C names
// (an undefined one would mean the assembler labels miss the '_' prefix).
struct EmbedTarget {
  std::string triple;  // "" for the host
  std::string compiler, nm;
};

void PrintTo(const EmbedTarget &target, std::ostream *out) {
  *out << (target.triple.empty() ? "host" : target.triple);
}

// "/usr/bin/i686-w64-mingw32-gcc" -> "/usr/bin/i686-w64-mingw32-nm".
std::string nm_beside(const std::string &compiler) {
  return compiler.empty() ? "" : compiler.substr(0, compiler.size() - 3) + "nm";
}

class Embed : public ::testing::TestWithParam<EmbedTarget> {};

TEST_P(Embed, WrapperCompilesAndDefinesTheLabelsAroundTheBytes) {
  const EmbedTarget target = GetParam();
  if (target.compiler.empty()) GTEST_SKIP() << target.triple << "-gcc not found";
  shimpool_test::ScratchDir scratch("shimpool-embed");
  const std::string header = scratch.write("emb.h", "int emb_add(int a, int b);\n");
  const std::string library = scratch.write("libemb \"odd\".so", std::string(1000, 'x') + "end");
  const fs::path out = scratch.path() / "out";
  std::vector<std::string> args{"generate", header, "--name", "emb", "--out", out.string(), "--embed", library};
  if (!target.triple.empty()) args.insert(args.end(), {"--", "--target=" + target.triple});
  ProgramResult generated = run_shimpool(args);
  ASSERT_EQ(generated.status, 0) << generated;
  const fs::path object = out / "emb_shim.o";
  ProgramResult compiled = run_program(
      target.compiler, {"-c", "-O2", "-fPIC", "-Wall", "-Werror", "-I", SHIMPOOL_SOURCE_DIR "/runtime/include", "-I",
                        scratch.path().string(), "-I", out.string(), (out / "emb_shim.c").string(), "-o",
                        object.string()});
  ASSERT_EQ(compiled.status, 0) << compiled;
  ProgramResult symbols = run_program(target.nm, {object.string()});
  ASSERT_EQ(symbols.status, 0) << symbols;
  const std::regex label("([0-9a-f]+) R _?shimpool_embedded_(begin|end)_emb\n");
  std::map<std::string, unsigned long> address;
  for (std::sregex_iterator it(symbols.out.begin(), symbols.out.end(), label), last; it != last; ++it)
    address[(*it)[2]] = std::stoul((*it)[1], nullptr, 16);
  ASSERT_EQ(address.size(), 2u) << symbols.out;
  EXPECT_EQ(address["end"] - address["begin"], 1003u) << symbols.out;
  EXPECT_EQ(symbols.out.find(" U _shimpool_embedded"), std::string::npos) << symbols.out;
  EXPECT_EQ(symbols.out.find(" U shimpool_embedded"), std::string::npos) << symbols.out;
  if (target.triple.rfind("i686", 0) == 0) {
    EXPECT_NE(symbols.out.find(" R _shimpool_embedded_begin_emb\n"), std::string::npos) << symbols.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, Embed,
                         ::testing::Values(EmbedTarget{"", HOST_C_COMPILER, HOST_NM},
                                           EmbedTarget{"x86_64-w64-mingw32", MINGW64_GCC, nm_beside(MINGW64_GCC)},
                                           EmbedTarget{"i686-w64-mingw32", MINGW32_GCC, nm_beside(MINGW32_GCC)}),
                         [](const auto &info) {
                           return info.param.triple.empty() ? std::string("host")
                                                            : info.param.triple.substr(0, info.param.triple.find('-'));
                         });

}  // namespace
