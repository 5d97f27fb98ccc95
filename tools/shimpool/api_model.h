// The API model: the one data structure between the Clang front end and the
// emitters. It holds what the ABI needs, already spelled as C source text that
// compiles wherever the vendor header compiles.
#pragma once

#include <string>
#include <vector>

namespace shimpool {

struct SourcePosition {
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
};

enum class CallingConvention { C, StdCall, FastCall, VectorCall, ThisCall, MsAbi, SysVAbi, Other };

struct Parameter {
  // Name used in the generated wrapper: arg0, arg1, ... except in functions whose
  // parameter types name other parameters (variable length arrays), which keep
  // the header's names.
  std::string name;
  std::string declaration;  // the parameter as declared in the wrapper, e.g. "void (*arg1)(int)"
  std::string type;         // its type alone, e.g. "void (*)(int)"
};

struct Function {
  std::string name;
  std::string return_type;  // as spelled, e.g. "const char *"
  bool returns_void = false;
  std::vector<Parameter> parameters;
  CallingConvention calling_convention = CallingConvention::C;
  // The full declarator of the wrapper's definition, name and parameters included:
  // "int toto_foo(int arg0, int arg1)". The function's own attributes (calling
  // convention...) come first, where they bind to the function whatever its
  // return type: "__attribute__((stdcall)) int (*pick(int arg0))(int)".
  std::string signature;
  // A pointer to the function's exact type, calling convention included, to
  // call the real function through: "int (__attribute__((stdcall)) *)(int, int)".
  std::string pointer_type;
  SourcePosition position;  // of its first declaration
};

enum class SourceLanguage { C, CPlusPlus };

struct ApiModel {
  std::string name;                  // shim name: "toto"
  std::vector<std::string> headers;  // as named on the command line
  SourceLanguage language = SourceLanguage::C;
  std::vector<Function> functions;   // in declaration order
};

const char *to_string(CallingConvention convention);

}  // namespace shimpool
