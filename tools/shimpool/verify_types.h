// What `shimpool verify` can call: the functions of the API model whose
// parameters and result are scalars or C strings, with their types reduced to
// what the ABI sees (typedefs and enums resolved by Clang), or the reason a
// function is left out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api_model.h"

namespace llvm {
class raw_ostream;
}

namespace shimpool {

enum class ScalarKind { Void, Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64, CString };

struct CallableFunction {
  std::string name;
  ScalarKind result = ScalarKind::Void;
  std::vector<ScalarKind> parameters;
  bool ms_abi = false;  // declared __attribute__((ms_abi)): libffi's Win64 convention
};

struct VerifyCandidate {
  std::string name;
  std::optional<CallableFunction> callable;  // nullopt: left out, for `skip_reason`
  std::string skip_reason;
};

// Parses the model's headers once more, with the same arguments, to resolve
// each exported function's types. Returns one candidate per exported function
// of `model`, in its order; nullopt if the headers do not parse (diagnostics
// printed).
std::optional<std::vector<VerifyCandidate>> classify_for_verify(
    const ApiModel &model, const std::vector<std::string> &clang_args,
    llvm::raw_ostream &diagnostics);

}  // namespace shimpool
