// Per-function policies and pool defaults: read from a TOML policy file and
// --policy flags, then applied to the API model and checked against it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_model.h"
#include "emitter.h"

namespace llvm {
class raw_ostream;
}

namespace shimpool {

struct PolicyRule {
  std::string pattern;  // a function name, or an ECMAScript regex matching whole names
  Policy policy = Policy::Pooled;
  std::string origin;   // where it was written, for diagnostics: "shim.toml:7:1", "--policy"
};

struct PolicyFile {
  std::vector<PolicyRule> rules;
  ShimSettings pool;          // the [pool] table over the built-in defaults
  std::vector<std::string> pool_keys_set;  // which [pool] keys the file gave
  // [select] allow = [...], deny = [...]: regexes over function names.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  // [variadic] NAME = "TWIN": the va_list twin of variadic function NAME.
  std::map<std::string, std::string> variadic_twins;
};

// Parses a --variadic flag, NAME=TWIN; returns false with `error` set if malformed.
bool parse_variadic_flag(const std::string &text, std::map<std::string, std::string> &twins,
                         std::string &error);

// Reads a policy file; prints Clang-style diagnostics and returns nullopt on error.
std::optional<PolicyFile> read_policy_file(const std::string &path, llvm::raw_ostream &diagnostics);
// The same for a policy file's text; `path` names it in the diagnostics.
std::optional<PolicyFile> read_policy_text(std::string_view text, const std::string &path,
                                           llvm::raw_ostream &diagnostics);

// A command's policy inputs: the policy file (empty when none) and the flags.
struct PolicySources {
  PolicyFile file;
  std::vector<PolicyRule> flags;
};

// Reads both, printing what is wrong to `diagnostics`. On error returns nullopt
// with `usage_error` telling a malformed flag (the command line) from a bad file.
std::optional<PolicySources> read_policy_sources(const std::string &policy_file,
                                                 const std::vector<std::string> &flags,
                                                 llvm::raw_ostream &diagnostics, bool &usage_error);

// Parses a --policy flag, NAME=POLICY; returns nullopt with `error` set if malformed.
std::optional<PolicyRule> parse_policy_flag(const std::string &text, std::string &error);
// All --policy flags, in order; nullopt with `error` set at the first malformed one.
std::optional<std::vector<PolicyRule>> parse_policy_flags(const std::vector<std::string> &texts,
                                                          std::string &error);

std::optional<Policy> parse_policy(const std::string &text);

// Whether `text` names a loader strategy (copy, memfd, namespace).
bool is_strategy(const std::string &text);

// Gives every function its policy: in the file, an exact name beats a regex and
// two regexes that disagree are an error; flags then apply in order, the last
// match winning. Checks each policy fits its function (broadcast arguments must
// be copyable, init functions take none). Prints diagnostics; false on error.
bool apply_policies(ApiModel &model, const std::vector<PolicyRule> &file_rules,
                    const std::vector<PolicyRule> &flag_rules, llvm::raw_ostream &diagnostics);

}  // namespace shimpool
