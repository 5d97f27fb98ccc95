// Function signatures of the dynamic API, written as "RET(ARG,ARG,...)", and
// their libffi call interfaces.
#pragma once

#include <ffi.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shimpool/dynamic.h"

namespace shimpool::dynamic {

enum class ValueType {
  Void,
  Bool,
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  Long,
  ULong,
  Size,
  F32,
  F64,
  Pointer,
  String,
  WideString,
};

struct Signature {
  ValueType result = ValueType::Void;
  std::vector<ValueType> parameters;
};

// More would not fit the fixed argument array a call builds on its stack.
inline constexpr size_t kMaxParameters = 64;

// Parses "i32(i32,str)". Returns nullopt with `error` saying what is wrong
// where (the offending text and its position) and listing the valid types.
std::optional<Signature> parse_signature(std::string_view text, std::string &error);

// "i32", "str", ... as written in signatures.
const char *to_string(ValueType type);

// Whether a value of this type can be kept and replayed later (broadcast):
// values and strings, which are copied; not pointers to memory of unknown size.
bool is_replayable(ValueType type);

// A prepared libffi call interface. Its arrays live in the object, which is
// therefore neither copied nor moved.
class CallInterface {
 public:
  CallInterface() = default;
  CallInterface(const CallInterface &) = delete;
  CallInterface &operator=(const CallInterface &) = delete;

  // Prepares the interface once; false with `error` set if libffi refuses.
  bool prepare(const Signature &signature, std::string &error);

  // Calls `target` with `args` (one value per parameter, the member of each
  // parameter's type read) and stores the result, narrowed to its type, in
  // `result` (may be null).
  void call(void *target, const shimpool_value *args, shimpool_value *result) const;

  const Signature &signature() const { return signature_; }

 private:
  Signature signature_;
  std::vector<ffi_type *> parameter_types_;
  ffi_cif cif_{};
};

}  // namespace shimpool::dynamic
