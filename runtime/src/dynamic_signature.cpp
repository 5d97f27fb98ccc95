#include "dynamic_signature.h"

#include <cctype>
#include <climits>
#include <cstring>

namespace shimpool::dynamic {
namespace {

struct TypeName {
  const char *name;
  ValueType type;
};

// Short names first: they are what the error message lists.
constexpr TypeName kTypeNames[] = {
    {"void", ValueType::Void},       {"bool", ValueType::Bool},   {"i8", ValueType::I8},
    {"u8", ValueType::U8},           {"i16", ValueType::I16},     {"u16", ValueType::U16},
    {"i32", ValueType::I32},         {"u32", ValueType::U32},     {"i64", ValueType::I64},
    {"u64", ValueType::U64},         {"f32", ValueType::F32},     {"f64", ValueType::F64},
    {"int", ValueType::I32},         {"uint", ValueType::U32},    {"long", ValueType::Long},
    {"ulong", ValueType::ULong},     {"size", ValueType::Size},   {"float", ValueType::F32},
    {"double", ValueType::F64},      {"ptr", ValueType::Pointer}, {"str", ValueType::String},
    {"wstr", ValueType::WideString},
};

std::string type_list() {
  std::string list;
  for (const TypeName &entry : kTypeNames) {
    if (!list.empty()) list += ' ';
    list += entry.name;
  }
  return list;
}

std::optional<ValueType> type_named(std::string_view name) {
  for (const TypeName &entry : kTypeNames)
    if (name == entry.name) return entry.type;
  return std::nullopt;
}

// A tiny cursor over the signature text, skipping blanks between tokens.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}
  void skip_blanks() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool take(char c) {
    skip_blanks();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view word() {
    skip_blanks();
    const size_t start = pos_;
    word_start_ = start;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool at_end() {
    skip_blanks();
    return pos_ == text_.size();
  }
  size_t position() const { return pos_; }              // 0-based
  size_t word_position() const { return word_start_; }  // of the last word, 0-based
  std::string rest() const {
    return pos_ < text_.size() ? "'" + std::string(text_.substr(pos_)) + "'" : "the end";
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t word_start_ = 0;
};

ffi_type *ffi_type_of(ValueType type) {
  switch (type) {
    case ValueType::Void:
      return &ffi_type_void;
    case ValueType::Bool:
      return &ffi_type_uint8;  // C's _Bool: one byte, 0 or 1
    case ValueType::I8:
      return &ffi_type_sint8;
    case ValueType::U8:
      return &ffi_type_uint8;
    case ValueType::I16:
      return &ffi_type_sint16;
    case ValueType::U16:
      return &ffi_type_uint16;
    case ValueType::I32:
      return &ffi_type_sint32;
    case ValueType::U32:
      return &ffi_type_uint32;
    case ValueType::I64:
      return &ffi_type_sint64;
    case ValueType::U64:
      return &ffi_type_uint64;
    case ValueType::Long:
      return sizeof(long) == 8 ? &ffi_type_sint64 : &ffi_type_sint32;
    case ValueType::ULong:
      return sizeof(long) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
    case ValueType::Size:
      return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
    case ValueType::F32:
      return &ffi_type_float;
    case ValueType::F64:
      return &ffi_type_double;
    case ValueType::Pointer:
    case ValueType::String:
    case ValueType::WideString:
      return &ffi_type_pointer;
  }
  return &ffi_type_void;
}

}  // namespace

const char *to_string(ValueType type) {
  for (const TypeName &entry : kTypeNames)
    if (entry.type == type) return entry.name;
  return "?";
}

bool is_replayable(ValueType type) { return type != ValueType::Pointer; }

std::optional<Signature> parse_signature(std::string_view text, std::string &error) {
  Scanner scanner(text);
  // Positions count from 1: where the unknown word starts, or where the
  // unexpected text does.
  auto fail_at = [&](size_t position, const std::string &what) {
    error = "signature '" + std::string(text) + "': " + what + " at position " +
            std::to_string(position + 1) +
            "; write it as RET(ARG,...), e.g. "
            "\"i32(i32,str)\", with types from: " +
            type_list();
    return std::nullopt;
  };
  auto fail = [&](const std::string &what) {
    scanner.skip_blanks();
    return fail_at(scanner.position(), what);
  };
  Signature signature;
  std::string_view result = scanner.word();
  if (result.empty()) return fail("expected the result type, found " + scanner.rest());
  auto result_type = type_named(result);
  if (!result_type)
    return fail_at(scanner.word_position(), "unknown result type '" + std::string(result) + "'");
  signature.result = *result_type;
  if (!scanner.take('('))
    return fail("expected '(' after the result type, found " + scanner.rest());
  if (!scanner.take(')')) {
    for (;;) {
      std::string_view name = scanner.word();
      if (name.empty()) return fail("expected a parameter type, found " + scanner.rest());
      auto type = type_named(name);
      if (!type)
        return fail_at(scanner.word_position(),
                       "unknown parameter type '" + std::string(name) + "'");
      if (*type == ValueType::Void) {
        // "(void)" means no parameters, as in C; void is no parameter's type.
        if (!signature.parameters.empty() || !scanner.take(')'))
          return fail_at(scanner.word_position(),
                         "'void' stands alone, as in \"i32(void)\"; it is no parameter's type");
        break;
      }
      signature.parameters.push_back(*type);
      if (scanner.take(')')) break;
      if (!scanner.take(',')) return fail("expected ',' or ')', found " + scanner.rest());
    }
  }
  if (!scanner.at_end()) return fail("unexpected " + scanner.rest() + " after ')'");
  if (signature.parameters.size() > kMaxParameters)
    return fail("more than " + std::to_string(kMaxParameters) + " parameters");
  return signature;
}

bool CallInterface::prepare(const Signature &signature, std::string &error) {
  signature_ = signature;
  parameter_types_.clear();
  for (ValueType type : signature_.parameters) parameter_types_.push_back(ffi_type_of(type));
  const ffi_status status =
      ffi_prep_cif(&cif_, FFI_DEFAULT_ABI, static_cast<unsigned>(parameter_types_.size()),
                   ffi_type_of(signature_.result), parameter_types_.data());
  if (status != FFI_OK) {
    error = "libffi cannot prepare a call of this signature (status " +
            std::to_string(static_cast<int>(status)) + ")";
    return false;
  }
  return true;
}

void CallInterface::call(void *target, const shimpool_value *args, shimpool_value *result) const {
  // Every member of a union starts at its address: libffi reads the bytes of
  // the parameter's type there, which is the member of that type.
  void *argument_pointers[kMaxParameters];
  for (size_t i = 0; i < signature_.parameters.size(); ++i)
    argument_pointers[i] = const_cast<shimpool_value *>(&args[i]);
  // libffi widens results smaller than a register to ffi_arg.
  union {
    ffi_arg u;
    ffi_sarg s;
    uint64_t u64;
    float f32;
    double f64;
    void *ptr;
  } raw{};
  ffi_call(const_cast<ffi_cif *>(&cif_), reinterpret_cast<void (*)()>(target), &raw,
           argument_pointers);
  if (!result) return;
  shimpool_value out;
  std::memset(&out, 0, sizeof out);
  switch (signature_.result) {
    case ValueType::Void:
      break;
    case ValueType::Bool:
      out.u8 = static_cast<uint8_t>(raw.u) != 0;
      break;
    case ValueType::I8:
      out.i8 = static_cast<int8_t>(raw.s);
      break;
    case ValueType::U8:
      out.u8 = static_cast<uint8_t>(raw.u);
      break;
    case ValueType::I16:
      out.i16 = static_cast<int16_t>(raw.s);
      break;
    case ValueType::U16:
      out.u16 = static_cast<uint16_t>(raw.u);
      break;
    case ValueType::I32:
      out.i32 = static_cast<int32_t>(raw.s);
      break;
    case ValueType::U32:
      out.u32 = static_cast<uint32_t>(raw.u);
      break;
    case ValueType::I64:
    case ValueType::U64:
      out.u64 = raw.u64;
      break;
    case ValueType::Long:
      out.l = sizeof(long) == 8 ? static_cast<long>(raw.u64) : static_cast<long>(raw.s);
      break;
    case ValueType::ULong:
      out.ul = sizeof(long) == 8 ? static_cast<unsigned long>(raw.u64)
                                 : static_cast<unsigned long>(raw.u);
      break;
    case ValueType::Size:
      out.size = sizeof(size_t) == 8 ? static_cast<size_t>(raw.u64) : static_cast<size_t>(raw.u);
      break;
    case ValueType::F32:
      out.f32 = raw.f32;
      break;
    case ValueType::F64:
      out.f64 = raw.f64;
      break;
    case ValueType::Pointer:
    case ValueType::String:
    case ValueType::WideString:
      out.ptr = raw.ptr;
      break;
  }
  *result = out;
}

}  // namespace shimpool::dynamic
