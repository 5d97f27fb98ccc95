#include "verify_inputs.h"

#include <fmt/core.h>

#include <cmath>
#include <limits>

namespace shimpool {
namespace {

// splitmix64: a small, well-mixed generator, identical on every platform.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

uint64_t hash_name(const std::string &name) {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : name) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

unsigned bits_of(ScalarKind kind) {
  switch (kind) {
    case ScalarKind::I8:
    case ScalarKind::U8:
      return 8;
    case ScalarKind::I16:
    case ScalarKind::U16:
      return 16;
    case ScalarKind::I32:
    case ScalarKind::U32:
      return 32;
    default:
      return 64;
  }
}

bool is_signed(ScalarKind kind) {
  return kind == ScalarKind::I8 || kind == ScalarKind::I16 || kind == ScalarKind::I32 ||
         kind == ScalarKind::I64;
}

constexpr int kRandomValues = 8;

std::vector<ArgumentValue> signed_values(ScalarKind kind, Random &random) {
  const unsigned bits = bits_of(kind);
  const int64_t max =
      bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t(1) << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  std::vector<int64_t> numbers;
  for (int64_t n : {int64_t(0), int64_t(1), int64_t(-1), int64_t(2), int64_t(100), int64_t(-100),
                    int64_t(42), int64_t(7), int64_t(-7), int64_t(1000)})
    if (n >= min && n <= max) numbers.push_back(n);
  for (int64_t n : {max, min, max - 1, min + 1}) numbers.push_back(n);
  for (int i = 0; i < kRandomValues; ++i) {
    const uint64_t r = random.next();
    numbers.push_back(bits == 64 ? static_cast<int64_t>(r)
                                 : static_cast<int64_t>(r % (uint64_t(1) << bits)) + min);
  }
  std::vector<ArgumentValue> values;
  for (int64_t n : numbers) values.push_back({kind, static_cast<uint64_t>(n), 0, {}});
  return values;
}

std::vector<ArgumentValue> unsigned_values(ScalarKind kind, Random &random) {
  const unsigned bits = bits_of(kind);
  const uint64_t max =
      bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t(1) << bits) - 1;
  std::vector<uint64_t> numbers;
  for (uint64_t n : {0ull, 1ull, 2ull, 100ull, 42ull, 7ull, 255ull, 1000ull, 65535ull})
    if (n <= max) numbers.push_back(n);
  numbers.push_back(max);
  numbers.push_back(max - 1);
  for (int i = 0; i < kRandomValues; ++i) numbers.push_back(random.next() & max);
  std::vector<ArgumentValue> values;
  for (uint64_t n : numbers) values.push_back({kind, n, 0, {}});
  return values;
}

std::vector<ArgumentValue> real_values(ScalarKind kind, Random &random) {
  const bool single = kind == ScalarKind::F32;
  const double max =
      single ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  const double tiny =
      single ? std::numeric_limits<float>::denorm_min() : std::numeric_limits<double>::denorm_min();
  std::vector<double> numbers{0.0,
                              1.0,
                              -1.0,
                              0.5,
                              -2.25,
                              100.0,
                              3.14159,
                              -0.0,
                              1e-3,
                              1e10,
                              max,
                              -max,
                              tiny,
                              std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::quiet_NaN()};
  for (int i = 0; i < kRandomValues; ++i)
    numbers.push_back((static_cast<double>(random.next() % 2000001) - 1000000.0) / 64.0);
  std::vector<ArgumentValue> values;
  for (double n : numbers)
    values.push_back({kind, 0, single ? static_cast<double>(static_cast<float>(n)) : n, {}});
  return values;
}

std::vector<ArgumentValue> string_values(Random &random) {
  std::vector<std::string> texts{"",
                                 "a",
                                 "0",
                                 "42",
                                 "-7",
                                 "12x",
                                 "Hello, World!",
                                 "shimpool",
                                 " spaced out ",
                                 "line\nbreak",
                                 "tab\there",
                                 "h\xc3\xa9llo w\xc3\xb6rld",
                                 "/",
                                 "."};
  std::string long_text;
  while (long_text.size() < 300) long_text += "abcdefghijklmnopqrstuvwxyz0123456789";
  texts.push_back(long_text);
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  for (int i = 0; i < kRandomValues; ++i) {
    std::string text(1 + random.next() % 40, ' ');
    for (char &c : text) c = kAlphabet[random.next() % (sizeof kAlphabet - 1)];
    texts.push_back(text);
  }
  std::vector<ArgumentValue> values;
  for (std::string &text : texts) values.push_back({ScalarKind::CString, 0, 0, std::move(text)});
  return values;
}

std::vector<ArgumentValue> values_for(ScalarKind kind, Random &random) {
  switch (kind) {
    case ScalarKind::Bool:
      return {{kind, 0, 0, {}}, {kind, 1, 0, {}}};
    case ScalarKind::F32:
    case ScalarKind::F64:
      return real_values(kind, random);
    case ScalarKind::CString:
      return string_values(random);
    default:
      return is_signed(kind) ? signed_values(kind, random) : unsigned_values(kind, random);
  }
}

std::string format_value(const ArgumentValue &value) {
  switch (value.kind) {
    case ScalarKind::CString:
      return quoted(value.text);
    case ScalarKind::F32:
      return fmt::format("{:.9g}", value.real);
    case ScalarKind::F64:
      return fmt::format("{:.17g}", value.real);
    default:
      return is_signed(value.kind) ? std::to_string(static_cast<int64_t>(value.bits))
                                   : std::to_string(value.bits);
  }
}

}  // namespace

std::vector<CallArguments> make_calls(const CallableFunction &function, unsigned count,
                                      uint64_t seed) {
  std::vector<std::vector<ArgumentValue>> pools;
  for (size_t j = 0; j < function.parameters.size(); ++j) {
    Random random(hash_name(function.name) ^ (seed * 0x9e3779b97f4a7c15ull) ^ (j + 1));
    pools.push_back(values_for(function.parameters[j], random));
  }
  // Call i takes value i + 3j of parameter j's list: every value of every
  // parameter comes up, each time beside different values of the others.
  std::vector<CallArguments> calls(count);
  for (unsigned i = 0; i < count; ++i)
    for (size_t j = 0; j < pools.size(); ++j)
      calls[i].push_back(pools[j][(i + 3 * j) % pools[j].size()]);
  return calls;
}

std::string describe_call(const std::string &name, const CallArguments &arguments) {
  std::string text = name + "(";
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (i) text += ", ";
    text += format_value(arguments[i]);
  }
  return text + ")";
}

std::string quoted(const std::string &text, size_t limit) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f)
          out += fmt::format("\\x{:02x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  out += "\"";
  if (text.size() > limit) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

}  // namespace shimpool
