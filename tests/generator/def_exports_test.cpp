// The exports of a shim DLL's .def, reproducing an original DLL's export table
// (--exports-from): hand-built models and export tables, no linker involved
// (windows/windows_test.cpp links real DLLs with MinGW).
#include <gtest/gtest.h>
#include <llvm/Support/raw_ostream.h>

#include "def_exports.h"

namespace shimpool {
namespace {

Function function(const std::string &name, const std::string &symbol, unsigned line) {
  Function f;
  f.name = name;
  f.linker_symbol = symbol;
  f.position = {"/vendor/api.h", line, 5};
  return f;
}

ApiModel i686_model() {
  ApiModel model;
  model.name = "api";
  model.target_triple = "i686-w64-windows-gnu";
  model.windows_target = true;
  model.functions = {function("api_add", "api_add@8", 3), function("api_fast", "@api_fast@8", 4),
                     function("api_plain", "api_plain", 5)};
  return model;
}

BinaryExports pe(std::vector<std::pair<std::string, uint32_t>> exports, bool x86_32 = true) {
  BinaryExports binary;
  binary.format = BinaryFormat::Pe;
  binary.format_name = x86_32 ? "COFF-i386" : "COFF-x86-64";
  binary.x86_32 = x86_32;
  for (auto &[name, ordinal] : exports) {
    BinaryExport item;
    item.name = name;
    item.ordinal = ordinal;
    binary.exports.push_back(item);
  }
  return binary;
}

std::vector<std::string> lines(const std::vector<DefExport> &exports) {
  std::vector<std::string> out;
  for (const DefExport &entry : exports) out.push_back(entry.line());
  return out;
}

struct Planned {
  std::optional<std::vector<DefExport>> exports;
  std::string diagnostics;
};

Planned plan(const ApiModel &model, const BinaryExports &original) {
  Planned planned;
  llvm::raw_string_ostream out(planned.diagnostics);
  planned.exports = def_exports_like(model, original, "api.dll", out);
  out.flush();
  return planned;
}

TEST(DefExports, LineSpellings) {
  EXPECT_EQ((DefExport{"foo", "foo", std::nullopt}).line(), "foo");
  EXPECT_EQ((DefExport{"foo", "foo@8", std::nullopt}).line(), "foo = foo@8");
  EXPECT_EQ((DefExport{"foo@8", "foo@8", 4}).line(), "foo@8 @4");
  EXPECT_EQ((DefExport{"_foo@8", "foo@8", 12}).line(), "_foo@8 = foo@8 @12");
}

TEST(DefExports, DefaultsAreTheCNamesAliasedToDecoratedSymbols) {
  ApiModel model = i686_model();
  model.functions[2].policy = Policy::Direct;  // no session form
  EXPECT_EQ(lines(default_def_exports(model)),
            (std::vector<std::string>{"api_add = api_add@8", "api_add_session", "api_fast = @api_fast@8",
                                      "api_fast_session", "api_plain", "shimpool_api_stats",
                                      "shimpool_api_set_error_handler", "shimpool_api_probe",
                                      "shimpool_api_session_begin", "shimpool_api_session_end",
                                      "shimpool_api_session_open", "shimpool_api_session_close"}));
}

// Every decorated form is recognised and kept as the original spells it, at
// its ordinal; a name exported twice (as --add-stdcall-alias does) twice. The
// shim's own exports are numbered above the original's highest ordinal.
TEST(DefExports, KeepTheOriginalsNamesAndOrdinals) {
  ApiModel model = i686_model();
  model.functions.push_back(function("api_msvc", "api_msvc@4", 6));
  Planned planned = plan(model, pe({{"api_add@8", 2},
                                    {"api_add", 3},
                                    {"@api_fast@8", 5},
                                    {"api_plain", 9},
                                    {"_api_msvc@4", 7}}));
  ASSERT_TRUE(planned.exports) << planned.diagnostics;
  EXPECT_EQ(planned.diagnostics, "");
  EXPECT_EQ(lines(*planned.exports),
            (std::vector<std::string>{
                "api_add@8 @2", "api_add = api_add@8 @3", "api_add_session @10",
                "@api_fast@8 @5", "api_fast_session @11",
                "api_plain @9", "api_plain_session @12",
                "_api_msvc@4 = api_msvc@4 @7", "api_msvc_session @13",
                "shimpool_api_stats @14", "shimpool_api_set_error_handler @15", "shimpool_api_probe @16",
                "shimpool_api_session_begin @17", "shimpool_api_session_end @18",
                "shimpool_api_session_open @19", "shimpool_api_session_close @20"}));
}

// An exact name or symbol beats an undecorated form: with "_api_x" (cdecl)
// and "api_x" (stdcall) declared, "_api_x@4" is api_x's symbol as MSVC spells it.
TEST(DefExports, AnExactNameOrSymbolBeatsAnUndecoratedForm) {
  ApiModel model;
  model.name = "api";
  model.windows_target = true;
  model.functions = {function("_api_x", "_api_x", 1), function("api_x", "api_x@4", 2)};
  Planned planned = plan(model, pe({{"_api_x", 1}, {"_api_x@4", 2}}));
  ASSERT_TRUE(planned.exports) << planned.diagnostics;
  EXPECT_EQ(lines(*planned.exports)[0], "_api_x @1");
  EXPECT_EQ(lines(*planned.exports)[2], "_api_x@4 = api_x@4 @2");
}

TEST(DefExports, AFunctionTheDllDoesNotExportIsAnErrorNamingIt) {
  Planned planned = plan(i686_model(), pe({{"api_add@8", 1}, {"api_plain", 2}}));
  EXPECT_FALSE(planned.exports);
  EXPECT_EQ(planned.diagnostics,
            "/vendor/api.h:4:5: error: 'api_fast' is declared here but api.dll does not export it "
            "(under that name or a decorated one); leave it out of the shim with --deny api_fast, "
            "or pass the DLL these headers belong to with --exports-from\n");
}

// Exports no wrapped function stands for cannot be reproduced: warned about,
// and their ordinals stay unused (the shim's own exports go above them all).
TEST(DefExports, ExportsTheShimCannotReproduceAreWarnedAbout) {
  ApiModel model = i686_model();
  model.functions.resize(1);
  BinaryExports original = pe({{"api_add@8", 1}, {"api_other", 2}, {"", 30}});
  Planned planned = plan(model, original);
  ASSERT_TRUE(planned.exports) << planned.diagnostics;
  EXPECT_NE(planned.diagnostics.find("api.dll: warning: 'api_other' (ordinal 2) is exported, but no "
                                     "function the shim wraps has that name"),
            std::string::npos)
      << planned.diagnostics;
  EXPECT_NE(planned.diagnostics.find("api.dll: warning: ordinal 30 is exported by ordinal only "
                                     "(NONAME), so no header function can be matched to it; the "
                                     "shim leaves ordinal 30 unused"),
            std::string::npos)
      << planned.diagnostics;
  EXPECT_EQ(lines(*planned.exports)[1], "api_add_session @31");
}

TEST(DefExports, TargetMustMatchTheDll) {
  ApiModel model = i686_model();
  EXPECT_EQ(target_mismatch(model, pe({}, true), "api.dll"), "");
  EXPECT_EQ(target_mismatch(model, pe({}, false), "api.dll"),
            "api.dll is COFF-x86-64 but the headers were parsed for i686-w64-windows-gnu; give "
            "Clang the DLL's target after --, e.g. -- --target=x86_64-w64-mingw32");
  model.windows_target = false;
  model.target_triple = "i686-pc-linux-gnu";
  EXPECT_NE(target_mismatch(model, pe({}, true), "api.dll").find("not a Windows target"), std::string::npos);
  BinaryExports elf;
  elf.format_name = "elf64-x86-64";
  EXPECT_NE(target_mismatch(model, elf, "libapi.so").find("libapi.so is not a PE DLL"), std::string::npos);
}

}  // namespace
}  // namespace shimpool
