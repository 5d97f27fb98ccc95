// Fuzzes the policy-file reader `shimpool generate --policy-file` uses: any
// bytes as a policy file. A file that reads then goes where the generator sends
// it: its rules are applied to the API model of a small header, and its
// selection and variadic mapping (regexes and names) go to the header front end
// with that header. It must never crash, hang or throw; a file it refuses must
// come back with an error diagnostic. SHIMPOOL_FUZZ_SHOW=1 prints the
// diagnostics.
#include <llvm/Support/raw_ostream.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "api_model.h"
#include "header_parser.h"
#include "policies.h"

namespace {

using namespace shimpool;

constexpr const char *kHeaderPath = "/shimpool-fuzz/api.h";

// One function for each check a policy makes: arguments a broadcast can or
// cannot copy, an init function with and without arguments, variadic ones
// with their va_list twins.
constexpr const char *kHeader = R"(#include <stdarg.h>
#include <stddef.h>
int api_init(void);
int api_setup(int level);
void api_set_option(const char *name, int value);
void api_set_wide(const wchar_t *name);
void api_set_buffer(void *buffer, size_t size);
int api_last_error(void);
const char *api_version(void);
int api_log(const char *format, ...);
int api_vlog(const char *format, va_list arguments);
int api_printf(int level, const char *format, ...);
int api_vprintf(int level, const char *format, va_list arguments);
)";

ParseRequest header_request() {
  ParseRequest request{"fuzz", {kHeaderPath}, {"-nostdlibinc"}};
  request.in_memory_files[kHeaderPath] = kHeader;
  return request;
}

// With SHIMPOOL_FUZZ_SHOW set, prints an input's diagnostics when it is done.
struct ShowDiagnostics {
  const std::string &text;
  ~ShowDiagnostics() {
    if (std::getenv("SHIMPOOL_FUZZ_SHOW")) std::fprintf(stderr, "%s", text.c_str());
  }
};

[[noreturn]] void fail(const char *what, const std::string &detail) {
  std::fprintf(stderr, "policy_file_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

const ApiModel &header_model() {
  static const ApiModel model = [] {
    std::string diagnostics;
    llvm::raw_string_ostream out(diagnostics);
    std::optional<ApiModel> parsed = parse_headers(header_request(), out);
    out.flush();
    if (!parsed) fail("the fixed header does not parse", diagnostics);
    return *parsed;
  }();
  return model;
}

// Whether `diagnostics` has an error after `from`: every refusal must.
bool has_error(const std::string &diagnostics, size_t from = 0) {
  return diagnostics.find("error: ", from) != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  header_model();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string diagnostics;
  ShowDiagnostics show{diagnostics};
  llvm::raw_string_ostream out(diagnostics);
  std::optional<PolicyFile> file = read_policy_text(text, "fuzz.toml", out);
  out.flush();
  if (!file) {
    if (!has_error(diagnostics)) fail("the policy file was refused without an error", diagnostics);
    return 0;
  }

  size_t before = diagnostics.size();
  ApiModel model = header_model();
  if (!apply_policies(model, file->rules, {}, out)) {
    out.flush();
    if (!has_error(diagnostics, before)) fail("policies were refused without an error", diagnostics);
  }

  // Clang runs only for files that select or map functions.
  if (file->allow.empty() && file->deny.empty() && file->variadic_twins.empty()) return 0;
  ParseRequest request = header_request();
  request.allow = file->allow;
  request.deny = file->deny;
  request.variadic_twins = file->variadic_twins;
  before = diagnostics.size();
  if (!parse_headers(request, out)) {
    out.flush();
    if (!has_error(diagnostics, before)) fail("the selection was refused without an error", diagnostics);
  }
  return 0;
}
