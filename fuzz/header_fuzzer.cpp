// Fuzzes the generator's header front end and its emitters: any bytes as a
// header, parsed in memory into the API model, given policies and rendered into
// the shim's files in memory, as `shimpool generate` does, without writing any
// file. It must never crash, hang or throw; a header it refuses must come back
// with an error diagnostic.
//
// A first line "//! OPTION..." picks how the header is parsed (see kOptions):
// "//! c++ i686-windows" parses it as C++ for 32-bit Windows. Without it: C,
// for the build machine. SHIMPOOL_FUZZ_SHOW=1 prints the diagnostics.
#include <llvm/Support/raw_ostream.h>
#include <sanitizer/lsan_interface.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api_model.h"
#include "emitter.h"
#include "header_parser.h"
#include "policies.h"

namespace {

using namespace shimpool;

constexpr const char *kHeaderPath = "/shimpool-fuzz/fuzz.h";

struct Option {
  std::string_view word;
  std::vector<std::string> clang_args;
};

const std::vector<Option> kOptions = {
    {"c++", {"-x", "c++"}},
    {"c89", {"-std=c89"}},
    {"c23", {"-std=c23"}},
    {"blocks", {"-fblocks"}},
    {"ms", {"-fms-extensions"}},
    {"i686-windows", {"--target=i686-w64-mingw32"}},
    {"x86_64-windows", {"--target=x86_64-w64-mingw32"}},
    {"i686-linux", {"--target=i686-linux-gnu"}},
    {"aarch64-linux", {"--target=aarch64-linux-gnu"}},
};

// Bounds Clang's work per input. The system's include directories are left
// out (Clang's own stddef.h, stdarg.h... stay): a mutated "#include <windows.h>"
// would otherwise parse the whole Windows API on every run.
std::vector<std::string> clang_args_for(std::string_view header) {
  std::vector<std::string> args{"-nostdlibinc", "-ferror-limit=10"};
  if (!header.starts_with("//!")) return args;
  std::string_view line = header.substr(3, header.find('\n') - 3);
  for (const Option &option : kOptions) {
    for (size_t at = line.find(option.word); at != std::string_view::npos;
         at = line.find(option.word, at + 1)) {
      const bool starts = at == 0 || line[at - 1] == ' ';
      const size_t end = at + option.word.size();
      if (starts && (end == line.size() || line[end] == ' ')) {
        args.insert(args.end(), option.clang_args.begin(), option.clang_args.end());
        break;
      }
    }
  }
  return args;
}

// Policies chosen by name, so that mutated names reach every policy and its
// checks: a broadcast function with a pointer argument, an init one with
// arguments, a variadic one given either, are refused with a diagnostic.
std::vector<PolicyRule> policy_rules() {
  return {{".*_set.*", Policy::Broadcast, "fuzz:1:1"},
          {".*_init", Policy::Init, "fuzz:2:1"},
          {".*_err.*", Policy::Sticky, "fuzz:3:1"},
          {".*_version", Policy::Direct, "fuzz:4:1"}};
}

// With SHIMPOOL_FUZZ_SHOW set, prints an input's diagnostics when it is done.
struct ShowDiagnostics {
  const std::string &text;
  ~ShowDiagnostics() {
    if (std::getenv("SHIMPOOL_FUZZ_SHOW")) std::fprintf(stderr, "%s", text.c_str());
  }
};

[[noreturn]] void fail(const char *what, const std::string &detail) {
  std::fprintf(stderr, "header_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void check_model(const ApiModel &model) {
  for (const Function &function : model.functions) {
    if (function.name.empty() || function.signature.find(function.name) == std::string::npos)
      fail("a function's signature does not name it", function.signature);
    if (function.variadic && function.exported &&
        (function.variadic_twin_index >= model.functions.size() ||
         model.functions[function.variadic_twin_index].name != function.variadic_twin))
      fail("a variadic function's twin is not in the model", function.name);
  }
}

void check_outputs(const std::vector<OutputFile> &files) {
  std::set<std::string> names;
  for (const OutputFile &file : files) {
    if (file.name.empty() || file.content.empty()) fail("an empty output file", file.name);
    if (!names.insert(file.name).second) fail("two output files share a name", file.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string header(reinterpret_cast<const char *>(data), size);
  ParseRequest request{"fuzz", {kHeaderPath}, clang_args_for(header)};
  request.in_memory_files[kHeaderPath] = header;

  std::string diagnostics;
  ShowDiagnostics show{diagnostics};
  llvm::raw_string_ostream out(diagnostics);
  // Not checked for leaks: the Clang crashes parse_headers recovers from
  // leave the abandoned parse behind (what runs after it is checked).
  __lsan_disable();
  std::optional<ApiModel> model = parse_headers(request, out);
  __lsan_enable();
  out.flush();
  if (!model) {
    if (diagnostics.find("error: ") == std::string::npos)
      fail("the header was refused without an error", diagnostics);
    return 0;
  }
  check_model(*model);
  const size_t before = diagnostics.size();
  if (!apply_policies(*model, policy_rules(), {}, out)) {
    out.flush();
    if (diagnostics.find("error: ", before) == std::string::npos)
      fail("policies were refused without an error", diagnostics);
    return 0;
  }
  ShimSettings settings;
  settings.real_library = "libfuzz.real.so";
  std::vector<OutputFile> files = emit_shim(*model, settings);
  check_outputs(files);
  return 0;
}
