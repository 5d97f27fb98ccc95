// The emitters on hand-built API models: which files, what the version script
// exports, how settings are rendered, and that output is reproducible.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "emitter.h"

namespace shimpool {
namespace {

Function make_function(std::string name, std::string return_type,
                       std::vector<Parameter> parameters, std::string signature,
                       std::string pointer_type) {
  Function f;
  f.name = std::move(name);
  f.return_type = std::move(return_type);
  f.returns_void = f.return_type == "void";
  f.parameters = std::move(parameters);
  f.signature = std::move(signature);
  f.pointer_type = std::move(pointer_type);
  f.session_signature = f.return_type + " " + f.name + "_session(shimpool_session *shimpool_session_handle)";
  f.position = {"/vendor/include/toto.h", 12, 5};
  return f;
}

Parameter parameter(std::string name, std::string type, ArgumentCopy copy) {
  Parameter p;
  p.name = name;
  p.type = type;
  p.declaration = type + " " + name;
  p.field_declaration = p.declaration;
  p.copy = copy;
  return p;
}

ApiModel toto_model(SourceLanguage language = SourceLanguage::C) {
  ApiModel model;
  model.name = "toto";
  model.headers = {"/vendor/include/toto.h"};
  model.language = language;
  model.functions = {
      make_function("toto_foo", "int",
                    {parameter("arg0", "int", ArgumentCopy::Value),
                     parameter("arg1", "int", ArgumentCopy::Value)},
                    "int toto_foo(int arg0, int arg1)", "int (*)(int, int)"),
      make_function("toto_bar", "void", {parameter("arg0", "char *", ArgumentCopy::None)},
                    "void toto_bar(char *arg0)", "void (*)(char *)"),
      make_function("toto_pick", "int (*)(int)", {parameter("arg0", "int", ArgumentCopy::Value)},
                    "int (*toto_pick(int arg0))(int)", "int (*(*)(int))(int)"),
  };
  return model;
}

const OutputFile &file_named(const std::vector<OutputFile> &files, const std::string &name) {
  auto it = std::find_if(files.begin(), files.end(),
                         [&](const OutputFile &f) { return f.name == name; });
  if (it == files.end()) throw std::runtime_error("no output file " + name);
  return *it;
}

std::set<std::string> file_names(const std::vector<OutputFile> &files) {
  std::set<std::string> names;
  for (const auto &f : files) names.insert(f.name);
  return names;
}

std::string trim(const std::string &s) {
  auto begin = s.find_first_not_of(" \t");
  auto end = s.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

// The symbols in the global: section and the patterns in the local: section.
struct VersionScript {
  std::vector<std::string> global, local;
};

VersionScript parse_version_script(const std::string &text) {
  VersionScript script;
  std::vector<std::string> *section = nullptr;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (line == "global:") section = &script.global;
    else if (line == "local:") section = &script.local;
    else if (line == "};") section = nullptr;
    else if (section && !line.empty()) section->push_back(line);
  }
  return script;
}

// The text of one wrapper: from its signature to the closing brace at column 0.
std::string wrapper_body(const std::string &source, const std::string &signature) {
  auto start = source.find(signature + " {");
  if (start == std::string::npos) return {};
  auto end = source.find("\n}", start);
  return source.substr(start, end - start);
}

TEST(Emitter, CFileNames) {
  auto files = emit_shim(toto_model(), {"libtoto.real.so", 8});
  EXPECT_EQ(file_names(files),
            (std::set<std::string>{"toto_shim.c", "toto_shim.def", "toto_shim.map", "toto_shimpool.h"}));
}

TEST(Emitter, CppFileNames) {
  auto files = emit_shim(toto_model(SourceLanguage::CPlusPlus), {"libtoto.real.so", 8});
  EXPECT_EQ(file_names(files),
            (std::set<std::string>{"toto_shim.cpp", "toto_shim.def", "toto_shim.map", "toto_shimpool.h"}));
}

TEST(Emitter, VersionScriptExportsExactlyTheApiItsSessionFormsAndTheShimApi) {
  ApiModel model = toto_model();
  model.functions[2].policy = Policy::Direct;  // direct functions have no session form
  auto files = emit_shim(model, {"libtoto.real.so", 8});
  VersionScript script = parse_version_script(file_named(files, "toto_shim.map").content);
  EXPECT_EQ(script.global,
            (std::vector<std::string>{
                "toto_foo;", "toto_foo_session;", "toto_bar;", "toto_bar_session;", "toto_pick;",
                "shimpool_toto_stats;", "shimpool_toto_set_error_handler;", "shimpool_toto_probe;",
                "shimpool_toto_session_begin;", "shimpool_toto_session_end;",
                "shimpool_toto_session_open;", "shimpool_toto_session_close;"}));
  EXPECT_EQ(script.local, std::vector<std::string>{"*;"});
}

TEST(Emitter, EachPolicyEntersTheRuntimeItsWay) {
  ApiModel model = toto_model();
  model.functions[0].policy = Policy::Sticky;
  model.functions[2].policy = Policy::Direct;
  const std::string source = emit_shim(model, {"libtoto.real.so", 8})[0].content;
  std::string sticky = wrapper_body(source, "int toto_foo(int arg0, int arg1)");
  EXPECT_NE(sticky.find("shimpool_enter_sticky(&shimpool_this, &shimpool_lease_)"), std::string::npos) << sticky;
  std::string pooled = wrapper_body(source, "void toto_bar(char *arg0)");
  EXPECT_NE(pooled.find("shimpool_enter(&shimpool_this, &shimpool_lease_)"), std::string::npos) << pooled;
  std::string direct = wrapper_body(source, "int (*toto_pick(int arg0))(int)");
  EXPECT_NE(direct.find("shimpool_direct(&shimpool_this)"), std::string::npos) << direct;
  EXPECT_EQ(direct.find("shimpool_lease"), std::string::npos) << "direct calls take no lease";
  std::string session = wrapper_body(source, "int toto_foo_session(shimpool_session *shimpool_session_handle)");
  EXPECT_NE(session.find("shimpool_session_enter(&shimpool_this, shimpool_session_handle, &shimpool_lease_)"),
            std::string::npos) << source;
}

TEST(Emitter, BroadcastRecordsDeepCopiesAndReplays) {
  ApiModel model;
  model.name = "au3";
  model.headers = {"au3.h"};
  model.functions = {make_function(
      "AU3_SetOption", "int",
      {parameter("arg0", "const char *", ArgumentCopy::CString),
       parameter("arg1", "const wchar_t *", ArgumentCopy::WideString),
       parameter("arg2", "int", ArgumentCopy::Value)},
      "int AU3_SetOption(const char *arg0, const wchar_t *arg1, int arg2)",
      "int (*)(const char *, const wchar_t *, int)")};
  model.functions[0].policy = Policy::Broadcast;
  const std::string source = emit_shim(model, {"libau3.real.so", 8})[0].content;
  EXPECT_NE(source.find("struct shimpool_args_AU3_SetOption {"), std::string::npos) << source;
  EXPECT_NE(source.find("{0, shimpool_keep_string(&shimpool_this, arg0), "
                        "shimpool_keep_wstring(&shimpool_this, arg1), arg2}"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("shimpool_record_broadcast(&shimpool_this, &shimpool_lease_, "
                        "shimpool_replay_AU3_SetOption,"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("shimpool_fns[0])(shimpool_args_->arg0, shimpool_args_->arg1, "
                        "shimpool_args_->arg2)"),
            std::string::npos)
      << "the replay calls the real function with the kept arguments\n" << source;
}

TEST(Emitter, InitFunctionsRunFromTheDescriptorsHook) {
  ApiModel model = toto_model();
  model.functions.push_back(make_function("toto_init", "void", {}, "void toto_init(void)",
                                          "void (*)(void)"));
  model.functions.back().policy = Policy::Init;
  const std::string source = emit_shim(model, {"libtoto.real.so", 8})[0].content;
  EXPECT_NE(source.find("static void shimpool_init_instance(void *const *shimpool_fns) {\n"
                        "  (void)((void (*)(void))shimpool_fns[3])();\n}"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("  shimpool_init_instance,\n  \"copy\", /* strategy */\n"), std::string::npos) << source;
  const std::string without = emit_shim(toto_model(), {"libtoto.real.so", 8})[0].content;
  EXPECT_NE(without.find("  NULL,\n  \"copy\", /* strategy */\n"), std::string::npos) << "no init hook without init functions";
}

TEST(Emitter, WrappersUseSignaturesAndSlotsInOrder) {
  auto files = emit_shim(toto_model(), {"libtoto.real.so", 8});
  const std::string &source = file_named(files, "toto_shim.c").content;
  EXPECT_NE(source.find("#include \"toto.h\""), std::string::npos) << "includes the header by base name";
  EXPECT_NE(source.find("#include \"toto_shimpool.h\""), std::string::npos);

  std::string foo = wrapper_body(source, "int toto_foo(int arg0, int arg1)");
  ASSERT_FALSE(foo.empty()) << source;
  EXPECT_NE(foo.find("((int (*)(int, int))shimpool_fns[0])(arg0, arg1)"), std::string::npos)
      << "a cast to the exact pointer type\n" << foo;
  EXPECT_NE(foo.find("return SHIMPOOL_RETURNED(shimpool_result);"), std::string::npos) << foo;

  std::string bar = wrapper_body(source, "void toto_bar(char *arg0)");
  ASSERT_FALSE(bar.empty()) << source;
  EXPECT_NE(bar.find("shimpool_fns[1])(arg0)"), std::string::npos) << bar;
  EXPECT_EQ(bar.find("shimpool_result"), std::string::npos) << "a void function returns nothing";

  std::string pick = wrapper_body(source, "int (*toto_pick(int arg0))(int)");
  EXPECT_NE(pick.find("((int (*(*)(int))(int))shimpool_fns[2])(arg0)"), std::string::npos)
      << source;

  // The runtime resolves slots from the name table, so it must be in the same order.
  auto foo_name = source.find("\"toto_foo\",");
  auto bar_name = source.find("\"toto_bar\",");
  auto pick_name = source.find("\"toto_pick\",");
  ASSERT_NE(pick_name, std::string::npos);
  EXPECT_LT(foo_name, bar_name);
  EXPECT_LT(bar_name, pick_name);
}

TEST(Emitter, DescriptorCarriesPrefixLibraryAndLimits) {
  auto files = emit_shim(toto_model(), {"/opt/vendor/libtoto.so.3", 17, 2, 500, 250, "namespace"});
  const std::string &source = file_named(files, "toto_shim.c").content;
  EXPECT_NE(source.find("\"SHIMPOOL_TOTO_\""), std::string::npos);
  EXPECT_NE(source.find("\"/opt/vendor/libtoto.so.3\""), std::string::npos);
  EXPECT_NE(source.find("  3,\n  17, /* max_instances */\n  2, /* min_instances */\n"
                        "  500, /* idle_timeout_ms */\n  250, /* acquire_timeout_ms */\n  NULL,\n"
                        "  \"namespace\", /* strategy */\n"),
            std::string::npos)
      << "function count, then the pool's limits:\n"
      << source;
}

TEST(Emitter, RealLibraryIsEscapedAsACStringLiteral) {
  auto files = emit_shim(toto_model(), {R"(C:\libs\"quoted"\toto.dll)", 8});
  const std::string &source = file_named(files, "toto_shim.c").content;
  EXPECT_NE(source.find(R"("C:\\libs\\\"quoted\"\\toto.dll")"), std::string::npos) << source;
}

TEST(Emitter, RealLibraryControlCharactersAreEscaped) {
  auto files = emit_shim(toto_model(), {"/tmp/odd\nname.so", 8});
  const std::string &source = file_named(files, "toto_shim.c").content;
  EXPECT_NE(source.find(R"("/tmp/odd\nname.so")"), std::string::npos) << source;
}

// Other bytes outside printable ASCII as three-digit octal escapes, which a
// following digit cannot extend, and no trigraph left to form.
TEST(Emitter, RealLibraryIsEscapedByteForByte) {
  auto files = emit_shim(toto_model(), {"/opt/caf\xc3\xa9/\x01" "1\ttab\r\x7f?" "?=.so", 8});
  const std::string &source = file_named(files, "toto_shim.c").content;
  EXPECT_NE(source.find(R"("/opt/caf\303\251/\0011\ttab\r\177?\?=.so")"), std::string::npos)
      << source;
}

TEST(Emitter, ApiHeaderDeclaresTheStatsFunction) {
  auto files = emit_shim(toto_model(), {"libtoto.real.so", 8});
  const std::string &header = file_named(files, "toto_shimpool.h").content;
  EXPECT_NE(header.find("int shimpool_toto_stats(shimpool_stats *out, size_t out_size);"),
            std::string::npos);
  EXPECT_NE(header.find("#ifndef TOTO_SHIMPOOL_H"), std::string::npos);
  EXPECT_NE(header.find("typedef struct shimpool_stats"), std::string::npos)
      << "the stats struct is inlined so hosts need no runtime headers";
}

TEST(Emitter, RenderingIsByteIdentical) {
  auto first = emit_shim(toto_model(), {"libtoto.real.so", 8});
  auto second = emit_shim(toto_model(), {"libtoto.real.so", 8});
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].name, second[i].name);
    EXPECT_EQ(first[i].content, second[i].content) << first[i].name;
  }
  // ...and the comparison can tell a difference.
  auto other = emit_shim(toto_model(), {"libtoto.real.so", 9});
  EXPECT_NE(file_named(first, "toto_shim.c").content, file_named(other, "toto_shim.c").content);
}

// The lines after EXPORTS, indentation removed.
std::vector<std::string> def_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  bool in_exports = false;
  for (std::string line; std::getline(in, line);) {
    if (in_exports && !line.empty()) lines.push_back(trim(line));
    if (line == "EXPORTS") in_exports = true;
  }
  return lines;
}

// Without decorations (x86_64, cdecl) the .def lists exactly what the version
// script exports, each under its C name, in the same order.
TEST(Emitter, DefFileExportsWhatTheVersionScriptExports) {
  ApiModel model = toto_model();
  for (Function &function : model.functions) function.linker_symbol = function.name;
  model.functions[2].policy = Policy::Direct;
  auto files = emit_shim(model, {"toto.real.dll", 8});
  const std::string &def = file_named(files, "toto_shim.def").content;
  EXPECT_EQ(def.rfind("; toto_shim.def: generated by shimpool ", 0), 0u) << def;
  EXPECT_NE(def.find(" from toto.h. Do not edit.\n"), std::string::npos) << def;
  std::vector<std::string> exported;
  for (std::string symbol : parse_version_script(file_named(files, "toto_shim.map").content).global)
    exported.push_back(symbol.substr(0, symbol.size() - 1));  // the ';'
  EXPECT_EQ(def_lines(def), exported) << def;
}

// On i686, stdcall and fastcall symbols are decorated: the .def exports them
// under the C name, aliased to the symbol. Session forms and the shim's own
// functions are plain cdecl.
TEST(Emitter, DefFileAliasesDecoratedSymbols) {
  ApiModel model = toto_model();
  model.functions[0].linker_symbol = "toto_foo@8";   // stdcall
  model.functions[1].linker_symbol = "@toto_bar@4";  // fastcall
  model.functions[2].linker_symbol = "toto_pick";    // cdecl
  auto files = emit_shim(model, {"toto.real.dll", 8});
  EXPECT_EQ(def_lines(file_named(files, "toto_shim.def").content),
            (std::vector<std::string>{
                "toto_foo = toto_foo@8", "toto_foo_session", "toto_bar = @toto_bar@4",
                "toto_bar_session", "toto_pick", "toto_pick_session", "shimpool_toto_stats",
                "shimpool_toto_set_error_handler", "shimpool_toto_probe",
                "shimpool_toto_session_begin", "shimpool_toto_session_end",
                "shimpool_toto_session_open", "shimpool_toto_session_close"}));
}

TEST(Emitter, DefFileWritesTheExportsItIsGiven) {
  ApiModel model = toto_model();
  std::vector<DefExport> exports = {{"toto_foo@8", "toto_foo@8", 3},
                                    {"toto_foo", "toto_foo@8", 4},
                                    {"shimpool_toto_stats", "shimpool_toto_stats", std::nullopt}};
  auto files = emit_shim(model, {"toto.real.dll", 8}, exports);
  EXPECT_EQ(def_lines(file_named(files, "toto_shim.def").content),
            (std::vector<std::string>{"toto_foo@8 @3", "toto_foo = toto_foo@8 @4", "shimpool_toto_stats"}));
}

TEST(Emitter, WithoutEmbeddingTheDescriptorHasNoBytes) {
  const std::string source = emit_shim(toto_model(), {"libtoto.real.so", 8})[0].content;
  EXPECT_NE(source.find("  \"copy\", /* strategy */\n  NULL, /* embedded_begin: nothing embedded */\n"
                        "  NULL, /* embedded_end */\n  NULL, /* sha256: not pinned */\n};"),
            std::string::npos)
      << source;
  EXPECT_EQ(source.find("__asm__"), std::string::npos) << source;
  EXPECT_EQ(source.find("--embed"), std::string::npos) << source;
}

TEST(Emitter, EmbeddingIncludesTheLibraryBetweenTwoLabels) {
  ShimSettings settings{"libtoto.so.3", 8};
  settings.embedded_library = "/opt/vendor/libtoto.so.3";
  const std::string source = emit_shim(toto_model(), settings)[0].content;
  EXPECT_NE(source.find(" * Generated with --embed: "), std::string::npos) << source;
  EXPECT_NE(source.find("    \"  .incbin \\\"/opt/vendor/libtoto.so.3\\\"\\n\"\n"), std::string::npos)
      << source;
  // Read-only section per object format; C symbols carry the target's label prefix.
  EXPECT_NE(source.find("#if defined(_WIN32)\n    \"  .section .rdata,\\\"dr\\\"\\n\"\n#else\n"
                        "    \"  .pushsection .rodata\\n\"\n"
                        "    \"  .hidden \" SHIMPOOL_EMBED_LABEL(shimpool_embedded_begin_toto) \"\\n\"\n"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("#define SHIMPOOL_EMBED_LABEL(name) SHIMPOOL_EMBED_STRING(__USER_LABEL_PREFIX__) #name"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("    SHIMPOOL_EMBED_LABEL(shimpool_embedded_begin_toto) \":\\n\"\n"
                        "    \"  .incbin"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("extern const unsigned char shimpool_embedded_begin_toto[], "
                        "shimpool_embedded_end_toto[];"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("  \"copy\", /* strategy */\n  shimpool_embedded_begin_toto, /* embedded_begin */\n"
                        "  shimpool_embedded_end_toto, /* embedded_end */\n"
                        "  NULL, /* sha256: not pinned */\n};"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("  \"libtoto.so.3\",\n"), std::string::npos) << "real_library stays the name";
  // The block comes before the file's own definitions (PE has no section stack).
  EXPECT_LT(source.find("__asm__("), source.find("shimpool_function_names[] = {")) << source;
}

// The path is a GNU assembler string inside a C string literal: escaped for both.
TEST(Emitter, EmbeddedPathIsEscapedForTheAssemblerAndC) {
  ShimSettings settings{"toto.dll", 8};
  settings.embedded_library = "C:\\libs\\\"q\"\\toto\n.dll";
  const std::string source = emit_shim(toto_model(), settings)[0].content;
  // assembler: C:\\libs\\\"q\"\\toto\012.dll; then each \ and " escaped for C.
  EXPECT_NE(source.find(R"(.incbin \"C:\\\\libs\\\\\\\"q\\\"\\\\toto\\012.dll\"\n")"), std::string::npos)
      << source;
}

TEST(Emitter, EmbeddingIsByteIdentical) {
  ShimSettings settings{"libtoto.so.3", 8};
  settings.embedded_library = "/opt/vendor/libtoto.so.3";
  auto first = emit_shim(toto_model(), settings);
  auto second = emit_shim(toto_model(), settings);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].content, second[i].content) << first[i].name;
}

TEST(Emitter, EnvironmentPrefix) {
  EXPECT_EQ(environment_prefix("toto"), "SHIMPOOL_TOTO_");
  EXPECT_EQ(environment_prefix("My_lib2"), "SHIMPOOL_MY_LIB2_");
}

TEST(Emitter, ValidShimNames) {
  for (const char *name : {"toto", "_toto", "a1", "My_Lib_2", "x"})
    EXPECT_TRUE(is_valid_shim_name(name)) << name;
  for (const char *name : {"", "2bad", "a-b", "a b", "a.b", "toto/x", "caf\xc3\xa9", "a;"})
    EXPECT_FALSE(is_valid_shim_name(name)) << name;
}

}  // namespace
}  // namespace shimpool
