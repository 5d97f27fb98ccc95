// Variadic functions (forwarded through their va_list twins), selection with
// allow/deny regexes, and compile flags from a compilation database (-p):
// parse_headers called directly, the model and emitted files checked.
#include <gtest/gtest.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "emitter.h"
#include "header_parser.h"
#include "scratch_dir.h"
#include "policies.h"

namespace shimpool {
namespace {

namespace fs = std::filesystem;

class VariadicSelection : public ::testing::Test {
 protected:
  std::string write(const std::string &name, const std::string &text) {
    return scratch_.write(name, text);
  }

  std::optional<ApiModel> parse(ParseRequest request) {
    diagnostics_.clear();
    llvm::raw_string_ostream out(diagnostics_);
    request.name = "test";
    auto model = parse_headers(request, out);
    out.flush();
    return model;
  }

  std::optional<ApiModel> parse(const std::string &header) {
    ParseRequest request;
    request.headers = {header};
    return parse(request);
  }

  shimpool_test::ScratchDir scratch_{"shimpool-variadic"};
  const fs::path &dir_ = scratch_.path();
  std::string diagnostics_;
};

const Function &find(const ApiModel &model, const std::string &name) {
  for (const Function &f : model.functions)
    if (f.name == name) return f;
  throw std::runtime_error("function " + name + " not collected");
}

std::vector<std::string> exported_names(const ApiModel &model) {
  std::vector<std::string> out;
  for (const Function &f : model.functions)
    if (f.exported) out.push_back(f.name);
  return out;
}

std::vector<std::string> table_names(const ApiModel &model) {
  std::vector<std::string> out;
  for (const Function &f : model.functions) out.push_back(f.name);
  return out;
}

TEST(VariadicTwinCandidates, PrefixThenBeforeTheLastWord) {
  EXPECT_EQ(variadic_twin_candidates("printf"), (std::vector<std::string>{"vprintf"}));
  EXPECT_EQ(variadic_twin_candidates("sqlite3_mprintf"),
            (std::vector<std::string>{"vsqlite3_mprintf", "sqlite3_vmprintf"}));
  EXPECT_EQ(variadic_twin_candidates("a_b_log"), (std::vector<std::string>{"va_b_log", "a_b_vlog"}));
  EXPECT_EQ(variadic_twin_candidates("trailing_"), (std::vector<std::string>{"vtrailing_"}));
}

TEST_F(VariadicSelection, TwinFoundByPrefixConvention) {
  auto model = parse(write("p.h",
                           "#include <stdarg.h>\n"
                           "int p_print(const char *fmt, ...);\n"
                           "int vp_print(const char *fmt, va_list ap);\n"));
  ASSERT_TRUE(model) << diagnostics_;
  const Function &f = find(*model, "p_print");
  EXPECT_TRUE(f.variadic);
  EXPECT_EQ(f.signature, "int p_print(const char *arg0, ...)");
  EXPECT_EQ(f.session_signature,
            "int p_print_session(shimpool_session *shimpool_session_handle, const char *arg0, ...)");
  EXPECT_EQ(f.variadic_twin, "vp_print");
  EXPECT_EQ(model->functions[f.variadic_twin_index].name, "vp_print");
  EXPECT_TRUE(find(*model, "vp_print").parameters.back().is_va_list);
  EXPECT_EQ(exported_names(*model), (std::vector<std::string>{"p_print", "vp_print"}));
}

TEST_F(VariadicSelection, TwinFoundByInnerConvention) {
  auto model = parse(write("s.h",
                           "#include <stdarg.h>\n"
                           "typedef struct s_db s_db;\n"
                           "char *s_mprintf(s_db *db, const char *fmt, ...);\n"
                           "char *s_vmprintf(s_db *db, const char *fmt, va_list ap);\n"));
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(find(*model, "s_mprintf").variadic_twin, "s_vmprintf");
}

TEST_F(VariadicSelection, ConventionSkipsANameThatDoesNotFit) {
  // vq_log exists but takes other parameters: q_vlog is the twin.
  auto model = parse(write("q.h",
                           "#include <stdarg.h>\n"
                           "void q_log(int level, const char *fmt, ...);\n"
                           "void vq_log(const char *fmt, va_list ap);\n"
                           "void q_vlog(int level, const char *fmt, va_list ap);\n"));
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(find(*model, "q_log").variadic_twin, "q_vlog");
}

TEST_F(VariadicSelection, ExplicitMappingBeatsTheConventions) {
  ParseRequest request;
  request.headers = {write("m.h",
                           "#include <stdarg.h>\n"
                           "int m_say(int n, ...);\n"
                           "int vm_say(int n, va_list ap);\n"
                           "int m_say_list(int n, va_list ap);\n")};
  request.variadic_twins = {{"m_say", "m_say_list"}};
  auto model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(find(*model, "m_say").variadic_twin, "m_say_list");
}

TEST_F(VariadicSelection, MappingToAMismatchedTwinIsAnError) {
  ParseRequest request;
  std::string header = write("w.h",
                             "#include <stdarg.h>\n"
                             "int w_say(int n, ...);\n"
                             "long w_other(int n, va_list ap);\n"
                             "int w_plain(int n, int m);\n");
  request.headers = {header};
  request.variadic_twins = {{"w_say", "w_other"}};
  EXPECT_FALSE(parse(request));
  EXPECT_NE(diagnostics_.find(header + ":2:5: error: cannot forward variadic function 'w_say' "
                                       "through 'w_other', as mapped: it returns another type"),
            std::string::npos)
      << diagnostics_;
  request.variadic_twins = {{"w_say", "w_plain"}};
  EXPECT_FALSE(parse(request));
  EXPECT_NE(diagnostics_.find("its last parameter is not a va_list"), std::string::npos) << diagnostics_;
  request.variadic_twins = {{"w_say", "w_nowhere"}};
  EXPECT_FALSE(parse(request));
  EXPECT_NE(diagnostics_.find("the headers declare no function 'w_nowhere'"), std::string::npos)
      << diagnostics_;
}

TEST_F(VariadicSelection, MissingTwinNamesTheFunctionAndTheRemedies) {
  std::string header = write("n.h", "int n_ok(int);\nint n_log(int level, const char *fmt, ...);\n");
  EXPECT_FALSE(parse(header));
  EXPECT_NE(diagnostics_.find(
                header +
                ":2:5: error: cannot forward variadic function 'n_log': a variadic call cannot be "
                "passed on, and the headers declare no va_list twin of it (tried 'vn_log', "
                "'n_vlog'); map it to its va_list twin with [variadic] n_log = \"TWIN\" in the "
                "policy file or --variadic n_log=TWIN, or leave it out of the shim with --deny "
                "n_log"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(VariadicSelection, TwinInAnIncludeIsNotTaken) {
  // Only functions of the named headers are candidates: vi_print is another header's.
  write("inc.h", "#include <stdarg.h>\nint vi_print(const char *fmt, va_list ap);\n");
  std::string header = write("i.h", "#include \"inc.h\"\nint i_print(const char *fmt, ...);\n");
  EXPECT_FALSE(parse(header));
  EXPECT_NE(diagnostics_.find("cannot forward variadic function 'i_print'"), std::string::npos)
      << diagnostics_;
}

TEST_F(VariadicSelection, AllowAndDeny) {
  ParseRequest request;
  request.headers = {write("a.h",
                           "int a_open(void);\nint a_close(void);\nint a_debug_dump(void);\n"
                           "int b_other(void);\nint a_log(const char *fmt, ...);\n")};
  request.allow = {"a_.*"};
  request.deny = {".*_debug_.*", "a_log"};  // a denied variadic function is no error
  auto model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(table_names(*model), (std::vector<std::string>{"a_open", "a_close"}));

  request.allow = {"a_open", "b_.*"};
  request.deny = {"a_log"};
  model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(table_names(*model), (std::vector<std::string>{"a_open", "b_other"}));

  request.allow = {};  // no allow: everything not denied
  request.deny = {"a_(open|log)"};
  model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(table_names(*model), (std::vector<std::string>{"a_close", "a_debug_dump", "b_other"}));

  request.deny = {"a_(open"};
  EXPECT_FALSE(parse(request));
  EXPECT_NE(diagnostics_.find("error: --deny 'a_(open' is not a valid regular expression"),
            std::string::npos)
      << diagnostics_;
}

TEST_F(VariadicSelection, DeniedTwinStaysInTheTableButIsNotExported) {
  ParseRequest request;
  request.headers = {write("d.h",
                           "#include <stdarg.h>\n"
                           "int d_vsay(int n, va_list ap);\n"
                           "int d_first(void);\n"
                           "int d_say(int n, ...);\n")};
  request.deny = {"d_vsay"};
  auto model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(table_names(*model), (std::vector<std::string>{"d_vsay", "d_first", "d_say"}));
  EXPECT_EQ(exported_names(*model), (std::vector<std::string>{"d_first", "d_say"}));
  EXPECT_EQ(find(*model, "d_say").variadic_twin_index, 0u);

  ASSERT_TRUE(apply_policies(*model, {}, {{"d_.*", Policy::Sticky, "--policy"}}, llvm::nulls()));
  EXPECT_EQ(find(*model, "d_vsay").policy, Policy::Pooled) << "not exported: no policy";
  EXPECT_EQ(find(*model, "d_say").policy, Policy::Sticky);

  ShimSettings settings;
  settings.real_library = "libd.so";
  auto files = emit_shim(*model, settings);
  const std::string &wrappers = files[0].content, &map = files[1].content, &api = files[2].content;
  EXPECT_NE(wrappers.find("  \"d_vsay\",\n"), std::string::npos) << "resolved from the library";
  EXPECT_EQ(wrappers.find("SHIMPOOL_EXPORT int d_vsay"), std::string::npos) << wrappers;
  EXPECT_EQ(map.find("d_vsay"), std::string::npos) << map;
  EXPECT_NE(map.find("    d_say;\n"), std::string::npos) << map;
  EXPECT_NE(map.find("    d_say_session;\n"), std::string::npos) << map;
  EXPECT_NE(api.find("int d_say_session(shimpool_session *shimpool_session_handle, int arg0, ...);"),
            std::string::npos)
      << api;
  EXPECT_NE(wrappers.find("#include <stdarg.h>\n"), std::string::npos);
  EXPECT_NE(wrappers.find("SHIMPOOL_EXPORT int d_say(int arg0, ...) {\n"
                          "  shimpool_lease shimpool_lease_;\n"
                          "  void *const *shimpool_fns = shimpool_enter_sticky(&shimpool_this, "
                          "&shimpool_lease_);\n"
                          "  va_list shimpool_ap;\n"
                          "  va_start(shimpool_ap, arg0);\n"
                          "  SHIMPOOL_AUTO shimpool_result = ((int (*)(int, va_list))"
                          "shimpool_fns[0])(arg0, shimpool_ap);\n"
                          "  va_end(shimpool_ap);\n"
                          "  shimpool_leave(&shimpool_this, &shimpool_lease_);\n"
                          "  return SHIMPOOL_RETURNED(shimpool_result);\n"
                          "}\n"),
            std::string::npos)
      << wrappers;
  EXPECT_NE(wrappers.find("va_start(shimpool_ap, arg0);"), std::string::npos);
}

TEST_F(VariadicSelection, DirectVariadicWrapper) {
  auto model = parse(write("r.h",
                           "#include <stdarg.h>\n"
                           "void r_log(int n, ...);\n"
                           "void r_vlog(int n, va_list ap);\n"));
  ASSERT_TRUE(model) << diagnostics_;
  ASSERT_TRUE(apply_policies(*model, {}, {{"r_log", Policy::Direct, "--policy"}}, llvm::nulls()));
  auto files = emit_shim(*model, ShimSettings{});
  EXPECT_NE(files[0].content.find("SHIMPOOL_EXPORT void r_log(int arg0, ...) {\n"
                                  "  void *const *shimpool_fns = shimpool_direct(&shimpool_this);\n"
                                  "  va_list shimpool_ap;\n"
                                  "  va_start(shimpool_ap, arg0);\n"
                                  "  ((void (*)(int, va_list))shimpool_fns[1])(arg0, "
                                  "shimpool_ap);\n"
                                  "  va_end(shimpool_ap);\n"
                                  "}\n"),
            std::string::npos)
      << files[0].content;
}

TEST_F(VariadicSelection, VariadicCannotBeBroadcastOrInit) {
  auto model = parse(write("b.h",
                           "#include <stdarg.h>\n"
                           "int b_set(int n, ...);\n"
                           "int vb_set(int n, va_list ap);\n"));
  ASSERT_TRUE(model) << diagnostics_;
  for (Policy policy : {Policy::Broadcast, Policy::Init}) {
    std::string out;
    llvm::raw_string_ostream stream(out);
    ApiModel copy = *model;
    EXPECT_FALSE(apply_policies(copy, {}, {{"b_set", policy, "--policy"}}, stream));
    stream.flush();
    EXPECT_NE(out.find("b.h:2:5: error: variadic function 'b_set' cannot be " +
                       std::string(to_string(policy))),
              std::string::npos)
        << out;
  }
}

// -p: the flags of the database's entry for the header (here a -D that the
// header needs to parse), before those given after --.
TEST_F(VariadicSelection, CompileFlagsFromACompilationDatabase) {
  std::string header = write("src/api.h", "#ifndef API_ON\n#error API_ON undefined\n#endif\n"
                                          "API_EXPORT int api_f(int);\n");
  write("inc/extra.h", "#define EXTRA_OK 1\n");
  std::string build = (dir_ / "build").string();
  write("build/compile_commands.json",
        "[\n"
        " {\"directory\": \"" + build + "\", \"file\": \"../src/other.c\",\n"
        "  \"arguments\": [\"cc\", \"-DAPI_ON\", \"-DAPI_EXPORT=garbage garbage\", \"-c\", "
        "\"../src/other.c\"]},\n"
        " {\"directory\": \"" + build + "\", \"file\": \"../src/api.h\",\n"
        "  \"arguments\": [\"cc\", \"-DAPI_ON\", \"-DAPI_EXPORT=extern\", \"-I../inc\", \"-o\", "
        "\"api.o\", \"-c\", \"../src/api.h\"]}\n"
        "]\n");
  ParseRequest request;
  request.headers = {header};
  EXPECT_FALSE(parse(request)) << "API_ON is only known from the database";

  request.build_directory = build;
  auto model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(table_names(*model), std::vector<std::string>{"api_f"});

  std::string error;
  auto flags = compile_flags_from_database(build, {header}, error);
  ASSERT_TRUE(flags) << error;
  EXPECT_EQ(*flags, (std::vector<std::string>{"-DAPI_ON", "-DAPI_EXPORT=extern",
                                              "-I" + (dir_ / "inc").string()}));

  // Flags after -- come after the database's, so they win.
  request.clang_args = {"-UAPI_ON"};
  EXPECT_FALSE(parse(request));
}

TEST_F(VariadicSelection, CompilationDatabaseFallsBackToItsFirstEntry) {
  std::string header = write("h/api.h", "API_EXPORT int api_g(int);\n");
  std::string build = (dir_ / "b").string();
  write("b/compile_commands.json",
        "[{\"directory\": \"" + build + "\", \"file\": \"x.c\", "
        "\"command\": \"gcc -DAPI_EXPORT=extern -c x.c -o x.o\"}]\n");
  ParseRequest request;
  request.headers = {header};
  request.build_directory = build;
  auto model = parse(request);
  ASSERT_TRUE(model) << diagnostics_;
  EXPECT_EQ(table_names(*model), std::vector<std::string>{"api_g"});

  request.build_directory = (dir_ / "h").string();  // no database there
  EXPECT_FALSE(parse(request));
  EXPECT_NE(diagnostics_.find("shimpool: error: cannot load a compilation database from"),
            std::string::npos)
      << diagnostics_;
}

TEST(PolicyFileSelection, ReadsSelectAndVariadicTables) {
  std::string path = ::testing::TempDir() + "select-" + std::to_string(getpid()) + ".toml";
  std::ofstream(path) << "[select]\nallow = [\"x_.*\"]\ndeny = [\"x_debug\", \"x_log\"]\n"
                         "[variadic]\nx_print = \"x_vprint_list\"\n";
  std::string diagnostics;
  llvm::raw_string_ostream out(diagnostics);
  auto file = read_policy_file(path, out);
  ASSERT_TRUE(file) << diagnostics;
  EXPECT_EQ(file->allow, std::vector<std::string>{"x_.*"});
  EXPECT_EQ(file->deny, (std::vector<std::string>{"x_debug", "x_log"}));
  EXPECT_EQ(file->variadic_twins, (std::map<std::string, std::string>{{"x_print", "x_vprint_list"}}));

  std::ofstream(path) << "[select]\nallow = \"x_.*\"\n[variadic]\nx_print = 3\n";
  file = read_policy_file(path, out);
  out.flush();
  EXPECT_FALSE(file);
  EXPECT_NE(diagnostics.find(":2:1: error: [select] takes allow and deny"), std::string::npos)
      << diagnostics;
  EXPECT_NE(diagnostics.find(":4:11: error: [variadic] x_print must name its va_list twin"),
            std::string::npos)
      << diagnostics;
  std::remove(path.c_str());

  std::map<std::string, std::string> twins;
  std::string error;
  EXPECT_TRUE(parse_variadic_flag("a_log=a_vlog", twins, error));
  EXPECT_EQ(twins.at("a_log"), "a_vlog");
  EXPECT_FALSE(parse_variadic_flag("a_log", twins, error));
  EXPECT_NE(error.find("--variadic 'a_log' must be NAME=TWIN"), std::string::npos) << error;
}

}  // namespace
}  // namespace shimpool
