// The Clang front end: headers written to a fresh directory per test, parsed
// with parse_headers, and the API model checked for the exact C spellings the
// wrappers are generated from.
#include <gtest/gtest.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "header_parser.h"
#include "scratch_dir.h"

namespace shimpool {
namespace {

namespace fs = std::filesystem;

class HeaderParser : public ::testing::Test {
 protected:
  std::string write(const std::string &name, const std::string &text) {
    return scratch_.write(name, text);
  }

  std::optional<ApiModel> parse(std::vector<std::string> headers,
                                std::vector<std::string> clang_args = {}) {
    diagnostics_.clear();
    llvm::raw_string_ostream out(diagnostics_);
    auto model = parse_headers({"test", std::move(headers), std::move(clang_args)}, out);
    out.flush();
    return model;
  }

  // Parses `text` as header `name` and expects success.
  ApiModel parse_ok(const std::string &name, const std::string &text,
                    std::vector<std::string> clang_args = {}) {
    auto model = parse({write(name, text)}, std::move(clang_args));
    EXPECT_TRUE(model.has_value()) << diagnostics_;
    return model.value_or(ApiModel{});
  }

  // The wrapper definitions must redeclare the original functions exactly:
  // Clang rejects a definition whose type conflicts with the prior declaration
  // (parameters, result, calling convention), and -Werror=gcc-compat rejects
  // attribute placements GCC would not accept on a definition. Inside each, the
  // pointer type the real function is called through must be its exact type
  // (checked in the body, where parameter names used in types are in scope).
  void expect_signatures_redeclare(const ApiModel &model, const std::string &header,
                                   std::vector<std::string> clang_args = {}) {
    std::string text = "#include \"" + header + "\"\n";
    for (const Function &f : model.functions)
      text += f.signature + " { " + pointer_type_check(model, f) + " __builtin_trap(); }\n";
    clang_args.push_back("-Werror=gcc-compat");
    auto extension = fs::path(header).extension().string();
    auto checked = parse({write("redeclare" + extension, text)}, clang_args);
    EXPECT_TRUE(checked.has_value()) << "the signatures do not match the header:\n"
                                     << text << diagnostics_;
  }

  // In C++ the cast also picks the extern "C" function out of an overload set.
  static std::string pointer_type_check(const ApiModel &model, const Function &f) {
    if (model.language == SourceLanguage::CPlusPlus)
      return "(void)static_cast<" + f.pointer_type + ">(&" + f.name + ");";
    return "_Static_assert(__builtin_types_compatible_p(__typeof__(&" + f.name + "), " +
           f.pointer_type + "), \"pointer_type\");";
  }

  shimpool_test::ScratchDir scratch_{"shimpool-parser"};
  const fs::path &dir_ = scratch_.path();
  std::string diagnostics_;
};

const Function &find(const ApiModel &model, const std::string &name) {
  for (const Function &f : model.functions)
    if (f.name == name) return f;
  throw std::runtime_error("function " + name + " not collected");
}

std::vector<std::string> names(const ApiModel &model) {
  std::vector<std::string> out;
  for (const Function &f : model.functions) out.push_back(f.name);
  return out;
}

TEST_F(HeaderParser, TypedefChainKeepsTheOutermostName) {
  ApiModel model = parse_ok("t.h",
                            "typedef unsigned long handle_t;\n"
                            "typedef handle_t obj_t;\n"
                            "void obj_use(obj_t o);\n"
                            "obj_t obj_make(void);\n");
  const Function &use = find(model, "obj_use");
  ASSERT_EQ(use.parameters.size(), 1u);
  EXPECT_EQ(use.parameters[0].name, "arg0");
  EXPECT_EQ(use.parameters[0].type, "obj_t");
  EXPECT_EQ(use.parameters[0].declaration, "obj_t arg0");
  EXPECT_EQ(use.signature, "void obj_use(obj_t arg0)");
  EXPECT_TRUE(use.returns_void);
  EXPECT_EQ(find(model, "obj_make").return_type, "obj_t");
  EXPECT_EQ(find(model, "obj_make").signature, "obj_t obj_make(void)");
  expect_signatures_redeclare(model, "t.h");
}

TEST_F(HeaderParser, PointersKeepTheirQualifiers) {
  ApiModel model = parse_ok("q.h",
                            "const char *q_name(const char *s, char *const t,\n"
                            "                   const volatile int *p, const int **pp);\n");
  const Function &f = find(model, "q_name");
  EXPECT_EQ(f.return_type, "const char *");
  ASSERT_EQ(f.parameters.size(), 4u);
  EXPECT_EQ(f.parameters[0].type, "const char *");
  EXPECT_EQ(f.parameters[1].type, "char *const");
  EXPECT_EQ(f.parameters[2].type, "const volatile int *");
  EXPECT_EQ(f.parameters[3].type, "const int **");
  EXPECT_EQ(f.signature,
            "const char *q_name(const char *arg0, char *const arg1, const volatile int *arg2, "
            "const int **arg3)");
  expect_signatures_redeclare(model, "q.h");
}

TEST_F(HeaderParser, FunctionPointerParameters) {
  ApiModel model = parse_ok("fp.h",
                            "typedef int (*binop)(int, int);\n"
                            "int fp_apply(int (*fn)(int, void *), void *ctx);\n"
                            "int fp_fold(binop op, int init);\n");
  const Function &apply = find(model, "fp_apply");
  EXPECT_EQ(apply.parameters[0].declaration, "int (*arg0)(int, void *)");
  EXPECT_EQ(apply.parameters[0].type, "int (*)(int, void *)");
  EXPECT_EQ(apply.signature, "int fp_apply(int (*arg0)(int, void *), void *arg1)");
  EXPECT_EQ(find(model, "fp_fold").parameters[0].declaration, "binop arg0");
  expect_signatures_redeclare(model, "fp.h");
}

TEST_F(HeaderParser, StructsAndUnionsByValue) {
  ApiModel model = parse_ok("su.h",
                            "struct pt { int x, y; };\n"
                            "union bits { double d; unsigned long long u; };\n"
                            "typedef struct { int a; } anon_t;\n"
                            "struct pt su_mid(struct pt a, union bits b);\n"
                            "union bits su_flip(union bits b);\n"
                            "anon_t su_anon(anon_t x);\n");
  const Function &mid = find(model, "su_mid");
  EXPECT_EQ(mid.return_type, "struct pt");
  EXPECT_FALSE(mid.returns_void);
  EXPECT_EQ(mid.parameters[0].type, "struct pt");
  EXPECT_EQ(mid.parameters[1].type, "union bits");
  EXPECT_EQ(find(model, "su_flip").signature, "union bits su_flip(union bits arg0)");
  EXPECT_EQ(find(model, "su_anon").signature, "anon_t su_anon(anon_t arg0)");
  expect_signatures_redeclare(model, "su.h");
}

TEST_F(HeaderParser, EnumParameters) {
  ApiModel model = parse_ok("e.h",
                            "enum color { RED, GREEN };\n"
                            "typedef enum { SMALL, LARGE } size_kind;\n"
                            "enum color e_next(enum color c, size_kind k);\n");
  EXPECT_EQ(find(model, "e_next").signature, "enum color e_next(enum color arg0, size_kind arg1)");
  expect_signatures_redeclare(model, "e.h");
}

// Arrays keep the form they are written in (the same ABI as the adjusted
// pointer): GCC's -Warray-parameter warns about a redeclaration as a pointer.
TEST_F(HeaderParser, ArrayParameters) {
  ApiModel model = parse_ok("a.h",
                            "typedef double vec3[3];\n"
                            "int a_sum(const int v[4], int m[3][3], int n, char s[], vec3 w,\n"
                            "          int (*p)[2], int q[static 5]);\n");
  const Function &f = find(model, "a_sum");
  ASSERT_EQ(f.parameters.size(), 7u);
  EXPECT_EQ(f.parameters[0].declaration, "const int arg0[4]");
  EXPECT_EQ(f.parameters[0].type, "const int[4]");
  EXPECT_EQ(f.parameters[1].declaration, "int arg1[3][3]");
  EXPECT_EQ(f.parameters[3].declaration, "char arg3[]");
  EXPECT_EQ(f.parameters[4].declaration, "vec3 arg4");
  EXPECT_EQ(f.parameters[5].declaration, "int (*arg5)[2]");
  EXPECT_EQ(f.parameters[6].declaration, "int arg6[static 5]");
  EXPECT_EQ(f.pointer_type, "int (*)(const int *, int (*)[3], int, char *, vec3, int (*)[2], int *)");
  expect_signatures_redeclare(model, "a.h");
}

// Variable length arrays name other parameters, so their functions keep the
// header's parameter names, and the arrays their form (GCC's -Wvla-parameter).
// A "[*]" bound, which only a prototype may have, is adjusted to a pointer.
TEST_F(HeaderParser, VariableLengthArrayParameters) {
  ApiModel model = parse_ok("vla.h",
                            "int vla_sum(int n, const int v[n]);\n"
                            "int vla_trace(int rows, int cols, double m[rows][cols], int);\n"
                            "int vla_star(int n, int v[*]);\n");
  const Function &sum = find(model, "vla_sum");
  EXPECT_EQ(sum.signature, "int vla_sum(int n, const int v[n])");
  const Function &trace = find(model, "vla_trace");
  EXPECT_EQ(trace.signature, "int vla_trace(int rows, int cols, double m[rows][cols], int arg3)");
  ASSERT_EQ(trace.parameters.size(), 4u);
  EXPECT_EQ(trace.parameters[2].name, "m");
  EXPECT_EQ(trace.parameters[3].name, "arg3") << "unnamed: nothing can refer to it";
  EXPECT_EQ(find(model, "vla_star").signature, "int vla_star(int n, int *v)");
  expect_signatures_redeclare(model, "vla.h");
}

TEST_F(HeaderParser, FunctionReturningAFunctionPointer) {
  ApiModel model = parse_ok("r.h",
                            "int (*r_pick(int which))(int, int);\n"
                            "void (*r_signal(int sig, void (*fn)(int)))(int);\n");
  const Function &pick = find(model, "r_pick");
  EXPECT_EQ(pick.return_type, "int (*)(int, int)");
  EXPECT_EQ(pick.signature, "int (*r_pick(int arg0))(int, int)");
  EXPECT_EQ(find(model, "r_signal").signature, "void (*r_signal(int arg0, void (*arg1)(int)))(int)");
  expect_signatures_redeclare(model, "r.h");
}

TEST_F(HeaderParser, VoidParameterListInC) {
  ApiModel model = parse_ok("v.h", "void v_reset(void);\n");
  const Function &f = find(model, "v_reset");
  EXPECT_TRUE(f.parameters.empty());
  EXPECT_TRUE(f.returns_void);
  EXPECT_EQ(f.return_type, "void");
  EXPECT_EQ(f.signature, "void v_reset(void)");
  EXPECT_EQ(model.language, SourceLanguage::C);
}

TEST_F(HeaderParser, FunctionsOfIncludedHeadersAreNotCollected) {
  write("dep.h", "int dep_function(int);\n");
  ApiModel model = parse_ok("own.h",
                            "#include \"dep.h\"\n"
                            "#include <stddef.h>\n"
                            "int own_function(size_t n);\n");
  EXPECT_EQ(names(model), std::vector<std::string>{"own_function"});
}

TEST_F(HeaderParser, StaticAndInlineFunctionsAreSkipped) {
  ApiModel model = parse_ok("s.h",
                            "static inline int s_helper(int x) { return x + 1; }\n"
                            "static int s_private(int);\n"
                            "int s_public(int);\n");
  EXPECT_EQ(names(model), std::vector<std::string>{"s_public"});
}

TEST_F(HeaderParser, RedeclarationsAreCollectedOnce) {
  ApiModel model = parse_ok("rd.h",
                            "int rd_twice(int);\n"
                            "int rd_other(void);\n"
                            "int rd_twice(int value);\n"
                            "extern int rd_twice(int);\n");
  EXPECT_EQ(names(model), (std::vector<std::string>{"rd_twice", "rd_other"}));
  EXPECT_EQ(find(model, "rd_twice").position.line, 1u) << "the first declaration";
}

// The declaration described is the one with the prototype, wherever it is
// in the chain; the position stays that of the first.
TEST_F(HeaderParser, PrototypeOfALaterRedeclarationIsUsed) {
  ApiModel model = parse_ok("late.h",
                            "int rd_late();\n"
                            "int rd_late(int value);\n"
                            "int rd_early(int value, const char *name);\n"
                            "int rd_early();\n");
  EXPECT_EQ(find(model, "rd_late").signature, "int rd_late(int arg0)");
  EXPECT_EQ(find(model, "rd_late").position.line, 1u);
  EXPECT_EQ(find(model, "rd_early").signature, "int rd_early(int arg0, const char *arg1)");
  EXPECT_EQ(diagnostics_.find("is declared without a prototype"), std::string::npos)
      << diagnostics_;
  expect_signatures_redeclare(model, "late.h");
}

// A function never declared with a prototype (C before C23) says nothing about
// its parameters. The shim still wraps it, as taking no arguments (what a call
// through the header passes is unknown), and warns, naming it.
TEST_F(HeaderParser, FunctionWithoutPrototypeIsForwardedWithoutArgumentsAndWarned) {
  std::string header = write("nop.h", "int np_other(void);\nint nop();\nint nop();\n");
  auto model = parse({header}, {"-std=c17"});
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(find(*model, "nop").signature, "int nop(void)");
  EXPECT_TRUE(find(*model, "nop").parameters.empty());
  EXPECT_NE(diagnostics_.find(header + ":2:5: warning: 'nop' is declared without a prototype; "
                                       "the shim forwards it as taking no arguments"),
            std::string::npos)
      << diagnostics_;
  EXPECT_EQ(diagnostics_.find("'np_other'"), std::string::npos) << diagnostics_;
  expect_signatures_redeclare(*model, header, {"-std=c17"});

  // In C23 an empty list is a prototype: no parameters, nothing to warn about.
  auto c23 = parse({header}, {"-std=c23"});
  ASSERT_TRUE(c23) << diagnostics_;
  EXPECT_EQ(find(*c23, "nop").signature, "int nop(void)");
  EXPECT_EQ(diagnostics_.find("is declared without a prototype"), std::string::npos)
      << diagnostics_;
}

TEST_F(HeaderParser, DeclarationOrderIsPreserved) {
  ApiModel model = parse_ok("o.h",
                            "int zeta(void);\n"
                            "int alpha(void);\n"
                            "struct s { int m; };\n"
                            "int mu(void);\n");
  EXPECT_EQ(names(model), (std::vector<std::string>{"zeta", "alpha", "mu"}));
}

TEST_F(HeaderParser, SeveralHeadersInTheOrderNamed) {
  std::string second = write("second.h", "int from_second(int);\n");
  std::string first = write("first.h", "int from_first(int);\nint from_first_too(int);\n");
  auto model = parse({first, second});
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(names(*model),
            (std::vector<std::string>{"from_first", "from_first_too", "from_second"}));
  EXPECT_EQ(model->headers, (std::vector<std::string>{first, second}));
}

TEST_F(HeaderParser, SourcePositions) {
  std::string first = write("pos1.h", "\n\nint p_one(int);\n  int p_two(int);\n");
  std::string second = write("pos2.h", "/* comment */\nvoid\np_three(void);\n");
  auto model = parse({first, second});
  ASSERT_TRUE(model) << diagnostics_;
  const Function &one = find(*model, "p_one");
  EXPECT_EQ(fs::path(one.position.file), fs::path(first));
  EXPECT_EQ(one.position.line, 3u);
  EXPECT_EQ(one.position.column, 5u);
  EXPECT_EQ(find(*model, "p_two").position.line, 4u);
  EXPECT_EQ(find(*model, "p_two").position.column, 7u);
  const Function &three = find(*model, "p_three");
  EXPECT_EQ(fs::path(three.position.file), fs::path(second));
  EXPECT_EQ(three.position.line, 3u) << "the line of the name";
}

TEST_F(HeaderParser, CppHeaderWithExternCAndDefaultArguments) {
  ApiModel model = parse_ok("api.hpp",
                            "struct pair_t { int a; double b; };\n"
                            "extern \"C\" {\n"
                            "int cpp_scale(int value, int factor = 2);\n"
                            "pair_t cpp_pair(int a, double b = 0.5);\n"
                            "const char *cpp_greet(bool formal = false);\n"
                            "void cpp_reset();\n"
                            "}\n"
                            "extern \"C\" int cpp_single(int);\n"
                            "int cpp_mangled(int);\n"
                            "inline int cpp_twice(int v) { return cpp_scale(v); }\n"
                            "inline double cpp_twice(double v) { return v * 2; }\n"
                            "namespace ns { int hidden(int); }\n"
                            "struct widget { int method(int); };\n"
                            "template <typename T> T cpp_id(T t) { return t; }\n");
  EXPECT_EQ(model.language, SourceLanguage::CPlusPlus);
  EXPECT_EQ(names(model), (std::vector<std::string>{"cpp_scale", "cpp_pair", "cpp_greet",
                                                    "cpp_reset", "cpp_single"}));
  EXPECT_EQ(find(model, "cpp_scale").signature, "int cpp_scale(int arg0, int arg1)");
  EXPECT_EQ(find(model, "cpp_pair").signature, "pair_t cpp_pair(int arg0, double arg1)");
  EXPECT_EQ(find(model, "cpp_greet").signature, "const char *cpp_greet(bool arg0)");
  EXPECT_EQ(find(model, "cpp_reset").signature, "void cpp_reset()");
  expect_signatures_redeclare(model, "api.hpp");
}

// The wrapper calls through a cast to the exact pointer type, which in C++
// also picks the extern "C" function out of an overload set sharing its name
// (a decltype(&name) would be ambiguous).
TEST_F(HeaderParser, CppPointerTypeWithOverloadsAndReferences) {
  ApiModel model = parse_ok("ov.hpp",
                            "extern \"C\" int ov_scale(int value, int factor = 2);\n"
                            "double ov_scale(double value);\n"
                            "extern \"C\" int &ov_counter();\n"
                            "extern \"C\" int &&ov_moved();\n"
                            "extern \"C\" void ov_safe(int) noexcept;\n");
  EXPECT_EQ(names(model), (std::vector<std::string>{"ov_scale", "ov_counter", "ov_moved", "ov_safe"}));
  EXPECT_EQ(find(model, "ov_scale").pointer_type, "int (*)(int, int)");
  EXPECT_EQ(find(model, "ov_counter").signature, "int &ov_counter()");
  EXPECT_EQ(find(model, "ov_counter").pointer_type, "int &(*)()");
  EXPECT_EQ(find(model, "ov_moved").return_type, "int &&");
  EXPECT_EQ(find(model, "ov_safe").signature, "void ov_safe(int arg0) noexcept");
  EXPECT_EQ(find(model, "ov_safe").pointer_type, "void (*)(int) noexcept");
  expect_signatures_redeclare(model, "ov.hpp");
}

// Variables cannot be pooled (each instance has its own), and the shim exports
// functions only: each one the named headers declare is named in a warning,
// once, and the functions are still wrapped.
TEST_F(HeaderParser, DataExportsAreWarnedAboutAndSkipped) {
  write("data_dep.h", "extern int dep_counter;\n");
  std::string header = write("data.h",
                             "#include \"data_dep.h\"\n"
                             "extern int g;\n"
                             "extern const char *const data_names[];\n"
                             "extern int g;\n"
                             "static int data_private;\n"
                             "int data_get(void);\n");
  auto model = parse({header});
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(names(*model), std::vector<std::string>{"data_get"});
  EXPECT_NE(diagnostics_.find(header + ":2:12: warning: data export 'g' cannot be pooled; hosts "
                                       "using it will fail to link or load with the shim: it is "
                                       "not exported by the shim"),
            std::string::npos)
      << diagnostics_;
  EXPECT_NE(diagnostics_.find(header + ":3:26: warning: data export 'data_names'"),
            std::string::npos)
      << diagnostics_;
  EXPECT_EQ(diagnostics_.find(header + ":4:"), std::string::npos) << "once\n" << diagnostics_;
  EXPECT_EQ(diagnostics_.find("dep_counter"), std::string::npos) << diagnostics_;
  EXPECT_EQ(diagnostics_.find("data_private"), std::string::npos) << diagnostics_;
}

TEST_F(HeaderParser, CppDataExportsAreWarnedAbout) {
  std::string header = write("data.hpp",
                             "extern \"C\" int c_data;\n"
                             "namespace ns { extern int ns_data; }\n"
                             "const int internal_constant = 4;\n"
                             "inline int inline_data = 1;\n"
                             "struct holder { static int member; };\n"
                             "template <typename T> T var_template;\n"
                             "extern \"C\" int data_fn(void);\n");
  auto model = parse({header}, {"-std=c++17"});
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_NE(diagnostics_.find("warning: data export 'c_data'"), std::string::npos) << diagnostics_;
  EXPECT_NE(diagnostics_.find("warning: data export 'ns::ns_data'"), std::string::npos)
      << diagnostics_;
  for (const char *name : {"internal_constant", "inline_data", "member", "var_template"})
    EXPECT_EQ(diagnostics_.find(name), std::string::npos) << name << "\n" << diagnostics_;
}

TEST_F(HeaderParser, LanguageFromClangArguments) {
  auto model = parse({write("plain.h", "extern \"C\" int x_c(bool);\n")}, {"-x", "c++"});
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(model->language, SourceLanguage::CPlusPlus);
  EXPECT_EQ(names(*model), std::vector<std::string>{"x_c"});
}

TEST_F(HeaderParser, StdCallOnI686) {
  const std::vector<std::string> i686{"--target=i686-linux-gnu"};
  ApiModel model = parse_ok("cc.h",
                            "int __attribute__((stdcall)) cc_std(int a, int b);\n"
                            "int __attribute__((fastcall)) cc_fast(int a);\n"
                            "int cc_plain(int a);\n",
                            i686);
  const Function &std_call = find(model, "cc_std");
  EXPECT_EQ(std_call.calling_convention, CallingConvention::StdCall);
  EXPECT_NE(std_call.signature.find("__attribute__((stdcall))"), std::string::npos)
      << std_call.signature;
  EXPECT_EQ(find(model, "cc_fast").calling_convention, CallingConvention::FastCall);
  EXPECT_EQ(find(model, "cc_plain").calling_convention, CallingConvention::C);
  EXPECT_EQ(find(model, "cc_plain").signature, "int cc_plain(int arg0)");
  expect_signatures_redeclare(model, "cc.h", i686);
}

// The wrapper's linker symbol, as a .def file spells it: Clang's decorations
// for the target, without its global prefix ('_' on i686 Windows).
const char *const kConventionsHeader =
    "int __attribute__((stdcall)) ls_std(int a, double b);\n"
    "int __attribute__((fastcall)) ls_fast(int a, int b);\n"
    "int __attribute__((vectorcall)) ls_vector(int a, double b);\n"
    "int ls_plain(int a);\n"
    "int _ls_underscored(int a);\n"
    "int __attribute__((stdcall)) ls_none(void);\n";

TEST_F(HeaderParser, LinkerSymbolsOnI686Windows) {
  ApiModel model = parse_ok("ls.h", kConventionsHeader, {"--target=i686-w64-mingw32"});
  EXPECT_EQ(find(model, "ls_std").linker_symbol, "ls_std@12");
  EXPECT_EQ(find(model, "ls_fast").linker_symbol, "@ls_fast@8");
  EXPECT_EQ(find(model, "ls_vector").linker_symbol, "ls_vector@@12");
  EXPECT_EQ(find(model, "ls_plain").linker_symbol, "ls_plain");
  EXPECT_EQ(find(model, "_ls_underscored").linker_symbol, "_ls_underscored")
      << "only the global prefix goes, not the name's own underscore";
  EXPECT_EQ(find(model, "ls_none").linker_symbol, "ls_none@0");
  EXPECT_EQ(model.target_triple, "i686-w64-windows-gnu");
  EXPECT_TRUE(model.windows_target);
}

TEST_F(HeaderParser, LinkerSymbolsOnX86_64Windows) {
  ApiModel model = parse_ok("ls.h", kConventionsHeader, {"--target=x86_64-w64-mingw32"});
  // stdcall and fastcall mean nothing on x86_64; vectorcall does.
  EXPECT_EQ(find(model, "ls_std").linker_symbol, "ls_std");
  EXPECT_EQ(find(model, "ls_fast").linker_symbol, "ls_fast");
  EXPECT_EQ(find(model, "ls_vector").linker_symbol, "ls_vector@@16");
  EXPECT_EQ(find(model, "ls_plain").linker_symbol, "ls_plain");
  EXPECT_TRUE(model.windows_target);
}

TEST_F(HeaderParser, LinkerSymbolsOnElfAreTheNames) {
  ApiModel model = parse_ok("ls.h",
                            "int __attribute__((stdcall)) ls_std(int a);\nint ls_plain(int a);\n",
                            {"--target=i686-linux-gnu"});
  EXPECT_EQ(find(model, "ls_std").linker_symbol, "ls_std");
  EXPECT_EQ(find(model, "ls_plain").linker_symbol, "ls_plain");
  EXPECT_EQ(model.target_triple, "i686-unknown-linux-gnu");
  EXPECT_FALSE(model.windows_target);
}

TEST_F(HeaderParser, MsAbiOnX86_64) {
  const std::vector<std::string> x86_64{"--target=x86_64-linux-gnu"};
  ApiModel model = parse_ok("ms.h",
                            "long __attribute__((ms_abi)) ms_mix(int a, double b);\n"
                            "int ms_call(int (__attribute__((ms_abi)) *cb)(int), int v);\n",
                            x86_64);
  const Function &mix = find(model, "ms_mix");
  EXPECT_EQ(mix.calling_convention, CallingConvention::MsAbi);
  EXPECT_EQ(mix.signature, "__attribute__((ms_abi)) long ms_mix(int arg0, double arg1)");
  EXPECT_EQ(mix.pointer_type, "long (__attribute__((ms_abi)) *)(int, double)");
  const Function &call = find(model, "ms_call");
  EXPECT_EQ(call.calling_convention, CallingConvention::C);
  EXPECT_EQ(call.parameters[0].declaration, "int (__attribute__((ms_abi)) *arg0)(int)");
  expect_signatures_redeclare(model, "ms.h", x86_64);
}

// The convention of a returned function pointer stays inside the declarator,
// bound to the pointed-to type; after the declarator it would apply to the
// function defined (and GCC refuses attributes there on a definition).
TEST_F(HeaderParser, ReturnedPointerToMsAbiFunction) {
  const std::vector<std::string> x86_64{"--target=x86_64-linux-gnu"};
  ApiModel model = parse_ok("msr.h",
                            "#define MSABI __attribute__((ms_abi))\n"
                            "typedef int MSABI ms_fn(int);\n"
                            "int (__attribute__((ms_abi)) *ms_pick(int))(int);\n"
                            "long MSABI (MSABI *ms_both(void))(double);\n"
                            "int (MSABI *(MSABI *ms_deep(void))(void))(int);\n"
                            "int (MSABI *(*ms_table(void))[4])(int);\n"
                            "ms_fn *ms_named(void);\n"
                            "void ms_take(int (MSABI *(*get)(void))(int), int (MSABI *fns[2])(int));\n",
                            x86_64);
  const Function &pick = find(model, "ms_pick");
  EXPECT_EQ(pick.calling_convention, CallingConvention::C);
  EXPECT_EQ(pick.signature, "int (__attribute__((ms_abi)) *ms_pick(int arg0))(int)");
  EXPECT_EQ(pick.return_type, "int (__attribute__((ms_abi)) *)(int)");
  EXPECT_EQ(pick.pointer_type, "int (__attribute__((ms_abi)) *(*)(int))(int)");
  const Function &both = find(model, "ms_both");
  EXPECT_EQ(both.calling_convention, CallingConvention::MsAbi);
  EXPECT_EQ(both.signature,
            "__attribute__((ms_abi)) long (__attribute__((ms_abi)) *ms_both(void))(double)");
  EXPECT_EQ(both.pointer_type,
            "long (__attribute__((ms_abi)) *(__attribute__((ms_abi)) *)(void))(double)");
  EXPECT_EQ(find(model, "ms_deep").signature,
            "int (__attribute__((ms_abi)) *(__attribute__((ms_abi)) *ms_deep(void))(void))(int)");
  EXPECT_EQ(find(model, "ms_table").signature,
            "int (__attribute__((ms_abi)) *(*ms_table(void))[4])(int)");
  EXPECT_EQ(find(model, "ms_named").signature, "ms_fn *ms_named(void)") << "the typedef says it";
  const Function &take = find(model, "ms_take");
  EXPECT_EQ(take.parameters[0].declaration,
            "int (__attribute__((ms_abi)) *(*arg0)(void))(int)");
  EXPECT_EQ(take.parameters[1].declaration, "int (__attribute__((ms_abi)) *arg1[2])(int)");
  expect_signatures_redeclare(model, "msr.h", x86_64);
}

TEST_F(HeaderParser, StdCallFunctionReturningAFastCallPointerOnI686) {
  const std::vector<std::string> i686{"--target=i686-linux-gnu"};
  ApiModel model = parse_ok("ccr.h",
                            "#define WINAPI __attribute__((stdcall))\n"
                            "#define FASTCALL __attribute__((fastcall))\n"
                            "int WINAPI (FASTCALL *cc_select(int))(int, int);\n"
                            "void __attribute__((noreturn, regparm(2))) cc_fail(int a, int b);\n",
                            i686);
  const Function &select = find(model, "cc_select");
  EXPECT_EQ(select.calling_convention, CallingConvention::StdCall);
  EXPECT_EQ(select.signature,
            "__attribute__((stdcall)) int (__attribute__((fastcall)) *cc_select(int arg0))(int, int)");
  EXPECT_EQ(select.pointer_type,
            "int (__attribute__((fastcall)) *(__attribute__((stdcall)) *)(int))(int, int)");
  EXPECT_EQ(find(model, "cc_fail").signature,
            "__attribute__((noreturn)) __attribute__((regparm (2))) void cc_fail(int arg0, int arg1)");
  expect_signatures_redeclare(model, "ccr.h", i686);
}

TEST_F(HeaderParser, VariadicFunctionIsRefused) {
  std::string header = write("va.h", "int va_ok(int);\nint va_printf(const char *fmt, ...);\n");
  EXPECT_FALSE(parse({header}).has_value());
  EXPECT_NE(diagnostics_.find(header + ":2:5: error: cannot forward variadic function 'va_printf'"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(HeaderParser, MalformedHeaderGivesAClangDiagnostic) {
  std::string header = write("bad.h", "int good(int);\nint bad(int x\n");
  EXPECT_FALSE(parse({header}).has_value());
  EXPECT_TRUE(std::regex_search(diagnostics_, std::regex(header + ":2:[0-9]+: error: ")))
      << diagnostics_;
}

TEST_F(HeaderParser, MissingHeaderIsNamed) {
  std::string missing = (dir_ / "nowhere.h").string();
  EXPECT_FALSE(parse({missing}).has_value());
  EXPECT_NE(diagnostics_.find("nowhere.h"), std::string::npos) << diagnostics_;
  EXPECT_NE(diagnostics_.find("error"), std::string::npos) << diagnostics_;
}

TEST_F(HeaderParser, ClangArgumentsArePassedOn) {
  std::string header = write("api.h", "API_EXPORT int api_f(int);\n");
  EXPECT_FALSE(parse({header}).has_value()) << "API_EXPORT is unknown without -D";
  auto model = parse({header}, {"-DAPI_EXPORT=extern"});
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(names(*model), std::vector<std::string>{"api_f"});
}

}  // namespace
}  // namespace shimpool
