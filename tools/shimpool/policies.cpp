#include "policies.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>
#include <llvm/Support/raw_ostream.h>

#include <regex>

namespace shimpool {
namespace {

constexpr const char *kPolicyNames = "pooled, sticky, broadcast, init or direct";

std::string at(const std::string &path, const toml::source_region &where) {
  return path + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
}

std::string at(const SourcePosition &position) {
  return position.file + ":" + std::to_string(position.line) + ":" +
         std::to_string(position.column);
}

struct CompiledRule {
  const PolicyRule *rule;
  std::optional<std::regex> regex;  // none: the pattern is a plain name
  bool used = false;
};

bool is_plain_name(const std::string &pattern) {
  return !pattern.empty() && std::all_of(pattern.begin(), pattern.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
}

bool compile(const std::vector<PolicyRule> &rules, std::vector<CompiledRule> &out,
             llvm::raw_ostream &diagnostics) {
  bool ok = true;
  for (const PolicyRule &rule : rules) {
    CompiledRule compiled{&rule, std::nullopt};
    if (!is_plain_name(rule.pattern)) {
      try {
        compiled.regex.emplace(rule.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error &e) {
        diagnostics << rule.origin << ": error: '" << rule.pattern
                    << "' is not a valid regular expression: " << e.what() << "\n";
        ok = false;
        continue;
      }
    }
    out.push_back(std::move(compiled));
  }
  return ok;
}

bool matches(const CompiledRule &rule, const std::string &name) {
  return rule.regex ? std::regex_match(name, *rule.regex) : rule.rule->pattern == name;
}

// The file's say for one function: an exact name first, else the regexes, which must agree.
std::optional<Policy> from_file(std::vector<CompiledRule> &rules, const Function &function,
                                bool &ok, llvm::raw_ostream &diagnostics) {
  for (CompiledRule &rule : rules)
    if (!rule.regex && matches(rule, function.name)) {
      rule.used = true;
      return rule.rule->policy;
    }
  CompiledRule *chosen = nullptr;
  for (CompiledRule &rule : rules) {
    if (!rule.regex || !matches(rule, function.name)) continue;
    rule.used = true;
    if (chosen && chosen->rule->policy != rule.rule->policy) {
      diagnostics << at(function.position) << ": error: policies for '" << function.name
                  << "' disagree: '" << chosen->rule->pattern << "' (" << chosen->rule->origin
                  << ") says " << to_string(chosen->rule->policy) << ", '" << rule.rule->pattern
                  << "' (" << rule.rule->origin << ") says " << to_string(rule.rule->policy)
                  << "; name the function exactly to settle it\n";
      ok = false;
    }
    if (!chosen) chosen = &rule;
  }
  return chosen ? std::optional(chosen->rule->policy) : std::nullopt;
}

bool check_fits(const Function &function, llvm::raw_ostream &diagnostics) {
  if (function.variadic && (function.policy == Policy::Init || function.policy == Policy::Broadcast)) {
    diagnostics << at(function.position) << ": error: variadic function '" << function.name
                << "' cannot be " << to_string(function.policy)
                << ": its variable arguments cannot be kept for other instances; make it pooled, "
                   "sticky or direct\n";
    return false;
  }
  if (function.policy == Policy::Init && !function.parameters.empty()) {
    diagnostics << at(function.position) << ": error: '" << function.name
                << "' cannot be an init function: it takes arguments, and init functions are "
                   "called on every new instance with none; choose another policy for it\n";
    return false;
  }
  if (function.policy != Policy::Broadcast) return true;
  for (size_t i = 0; i < function.parameters.size(); ++i) {
    const Parameter &parameter = function.parameters[i];
    if (parameter.copy != ArgumentCopy::None) continue;
    diagnostics << at(function.position) << ": error: cannot broadcast '" << function.name
                << "': parameter " << i + 1 << " ('" << parameter.type
                << "') points to memory of unknown size, so the call cannot be replayed on "
                   "instances created later; only values, C strings and wide strings can be. "
                   "Choose another policy for it\n";
    return false;
  }
  return true;
}

template <typename T>
bool read_pool_number(const toml::node &node, const std::string &path, const std::string &key,
                      T low, T high, T &out, llvm::raw_ostream &diagnostics) {
  auto value = node.value<int64_t>();
  if (!value || *value < static_cast<int64_t>(low) || *value > static_cast<int64_t>(high)) {
    diagnostics << at(path, node.source()) << ": error: [pool] " << key
                << " must be a whole number from " << low << " to " << high << "\n";
    return false;
  }
  out = static_cast<T>(*value);
  return true;
}

bool read_pool(const toml::table &pool, const std::string &path, PolicyFile &file,
               llvm::raw_ostream &diagnostics) {
  bool ok = true;
  constexpr unsigned kDay = 24u * 3600u * 1000u;
  for (auto &&[key, node] : pool) {
    const std::string name(key.str());
    ShimSettings &s = file.pool;
    if (name == "max_instances")
      ok &= read_pool_number(node, path, name, 1u, 4096u, s.max_instances, diagnostics);
    else if (name == "min_instances")
      ok &= read_pool_number(node, path, name, 0u, 4096u, s.min_instances, diagnostics);
    else if (name == "idle_timeout_ms")
      ok &= read_pool_number(node, path, name, 0u, kDay, s.idle_timeout_ms, diagnostics);
    else if (name == "acquire_timeout_ms")
      ok &= read_pool_number(node, path, name, 0u, kDay, s.acquire_timeout_ms, diagnostics);
    else if (name == "real_library" && node.is_string())
      s.real_library = *node.value<std::string>();
    else if (name == "strategy" && node.is_string() && is_strategy(*node.value<std::string>()))
      s.strategy = *node.value<std::string>();
    else {
      diagnostics << at(path, key.source()) << ": error: unknown [pool] key '" << name
                  << "' or value of the wrong type; expected max_instances, min_instances, "
                     "idle_timeout_ms, acquire_timeout_ms (whole numbers), real_library (a "
                     "string) or strategy (\"copy\", \"memfd\" or \"namespace\")\n";
      ok = false;
      continue;
    }
    file.pool_keys_set.push_back(name);
  }
  return ok;
}

bool read_rules(const toml::table &policies, const std::string &path, PolicyFile &file,
                llvm::raw_ostream &diagnostics) {
  bool ok = true;
  for (auto &&[key, node] : policies) {
    auto text = node.value<std::string>();
    auto policy = text ? parse_policy(*text) : std::nullopt;
    if (!policy) {
      diagnostics << at(path, node.source()) << ": error: the policy of '" << key.str()
                  << "' must be one of " << kPolicyNames << "\n";
      ok = false;
      continue;
    }
    file.rules.push_back({std::string(key.str()), *policy, at(path, key.source())});
  }
  return ok;
}

bool is_name(const std::string &text) {
  return !text.empty() && !std::isdigit(static_cast<unsigned char>(text[0])) &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

bool read_select(const toml::table &select, const std::string &path, PolicyFile &file,
                 llvm::raw_ostream &diagnostics) {
  bool ok = true;
  for (auto &&[key, node] : select) {
    std::vector<std::string> *out = key.str() == "allow"  ? &file.allow
                                    : key.str() == "deny" ? &file.deny
                                                          : nullptr;
    const toml::array *array = node.as_array();
    bool strings = array && array->is_homogeneous(toml::node_type::string);
    if (!out || !array || (!strings && !array->empty())) {
      diagnostics << at(path, key.source())
                  << ": error: [select] takes allow and deny, each a list of regexes (strings)\n";
      ok = false;
      continue;
    }
    for (const toml::node &element : *array) out->push_back(*element.value<std::string>());
  }
  return ok;
}

bool read_variadic(const toml::table &variadic, const std::string &path, PolicyFile &file,
                   llvm::raw_ostream &diagnostics) {
  bool ok = true;
  for (auto &&[key, node] : variadic) {
    auto twin = node.value<std::string>();
    if (!twin || !is_name(*twin)) {
      diagnostics << at(path, node.source()) << ": error: [variadic] " << key.str()
                  << " must name its va_list twin, a function: " << key.str() << " = \"v"
                  << key.str() << "\"\n";
      ok = false;
      continue;
    }
    file.variadic_twins[std::string(key.str())] = *twin;
  }
  return ok;
}

}  // namespace

bool parse_variadic_flag(const std::string &text, std::map<std::string, std::string> &twins,
                         std::string &error) {
  auto equals = text.find('=');
  if (equals == std::string::npos || !is_name(text.substr(0, equals)) ||
      !is_name(text.substr(equals + 1))) {
    error = "--variadic '" + text + "' must be NAME=TWIN: a variadic function and its va_list twin";
    return false;
  }
  twins[text.substr(0, equals)] = text.substr(equals + 1);
  return true;
}

bool is_strategy(const std::string &text) {
  return text == "copy" || text == "memfd" || text == "namespace";
}

std::optional<Policy> parse_policy(const std::string &text) {
  for (Policy policy :
       {Policy::Pooled, Policy::Sticky, Policy::Broadcast, Policy::Init, Policy::Direct})
    if (text == to_string(policy)) return policy;
  return std::nullopt;
}

std::optional<PolicyRule> parse_policy_flag(const std::string &text, std::string &error) {
  auto equals = text.rfind('=');
  auto policy = equals == std::string::npos ? std::nullopt : parse_policy(text.substr(equals + 1));
  if (equals == 0 || !policy) {
    error = "--policy '" + text + "' must be NAME=POLICY (NAME may be a regex), POLICY one of " +
            kPolicyNames;
    return std::nullopt;
  }
  return PolicyRule{text.substr(0, equals), *policy, "--policy " + text};
}

std::optional<std::vector<PolicyRule>> parse_policy_flags(const std::vector<std::string> &texts,
                                                          std::string &error) {
  std::vector<PolicyRule> rules;
  for (const std::string &text : texts) {
    auto rule = parse_policy_flag(text, error);
    if (!rule) return std::nullopt;
    rules.push_back(std::move(*rule));
  }
  return rules;
}

std::optional<PolicySources> read_policy_sources(const std::string &policy_file,
                                                 const std::vector<std::string> &flags,
                                                 llvm::raw_ostream &diagnostics, bool &usage_error) {
  PolicySources sources;
  std::string error;
  auto rules = parse_policy_flags(flags, error);
  usage_error = !rules;
  if (!rules) {
    diagnostics << "shimpool: error: " << error << "\n";
    return std::nullopt;
  }
  sources.flags = std::move(*rules);
  if (!policy_file.empty()) {
    auto file = read_policy_file(policy_file, diagnostics);
    if (!file) return std::nullopt;
    sources.file = std::move(*file);
  }
  return sources;
}

std::optional<PolicyFile> read_policy_file(const std::string &path, llvm::raw_ostream &diagnostics) {
  toml::table document;
  try {
    document = toml::parse_file(path);
  } catch (const toml::parse_error &e) {
    diagnostics << at(path, e.source()) << ": error: " << e.description() << "\n";
    return std::nullopt;
  }
  PolicyFile file;
  bool ok = true;
  for (auto &&[key, node] : document) {
    const auto *table = node.as_table();
    if (key.str() == "pool" && table)
      ok &= read_pool(*table, path, file, diagnostics);
    else if (key.str() == "policies" && table)
      ok &= read_rules(*table, path, file, diagnostics);
    else if (key.str() == "select" && table)
      ok &= read_select(*table, path, file, diagnostics);
    else if (key.str() == "variadic" && table)
      ok &= read_variadic(*table, path, file, diagnostics);
    else {
      diagnostics << at(path, key.source()) << ": error: unknown table '" << key.str()
                  << "'; a policy file has [pool], [policies], [select] and [variadic]\n";
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return file;
}

bool apply_policies(ApiModel &model, const std::vector<PolicyRule> &file_rules,
                    const std::vector<PolicyRule> &flag_rules, llvm::raw_ostream &diagnostics) {
  std::vector<CompiledRule> file, flags;
  bool ok = compile(file_rules, file, diagnostics) & compile(flag_rules, flags, diagnostics);
  if (!ok) return false;
  for (Function &function : model.functions) {
    if (!function.exported) continue;  // a va_list twin only in the function table
    if (auto policy = from_file(file, function, ok, diagnostics)) function.policy = *policy;
    for (CompiledRule &rule : flags)
      if (matches(rule, function.name)) {
        rule.used = true;
        function.policy = rule.rule->policy;
      }
    ok &= check_fits(function, diagnostics);
  }
  for (const auto *rules : {&file, &flags})
    for (const CompiledRule &rule : *rules)
      if (!rule.used)
        diagnostics << rule.rule->origin << ": warning: policy rule '" << rule.rule->pattern
                    << "' matches no function of the headers\n";
  return ok;
}

}  // namespace shimpool
