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

// How a call reaches an instance (see docs/runtime.md, "Policies").
enum class Policy { Pooled, Sticky, Broadcast, Init, Direct };

// How a `broadcast` call's argument is kept for replay on later instances.
enum class ArgumentCopy {
  Value,       // copied as is: arithmetic, enums, function pointers, pointer-free structs
  CString,     // const char *: the string is copied
  WideString,  // const wchar_t *: the string is copied
  None,        // points to memory of unknown size: cannot be broadcast
};

struct Parameter {
  // Name used in the generated wrapper: arg0, arg1, ... except in functions whose
  // parameter types name other parameters (variable length arrays), which keep
  // the header's names.
  std::string name;
  std::string declaration;  // the parameter as declared in the wrapper, e.g. "void (*arg1)(int)"
  std::string type;         // its type alone, e.g. "void (*)(int)"
  ArgumentCopy copy = ArgumentCopy::None;
  // The parameter as a struct member holding its value, arrays decayed: "const int *arg0".
  std::string field_declaration;
  bool is_va_list = false;  // its type is va_list (as a parameter: adjusted)
};

struct Function {
  std::string name;
  std::string return_type;  // as spelled, e.g. "const char *"
  bool returns_void = false;
  bool noreturn = false;  // declared noreturn: the wrapper must not seem to return
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
  // The handle-form session entry point: the same function with a session
  // first, plain C convention: "int toto_foo_session(shimpool_session *session, int arg0)".
  std::string session_signature;
  // Its parameters use C-only types (restrict, variable length arrays): C++
  // hosts cannot see its declaration.
  bool c_only_signature = false;
  Policy policy = Policy::Pooled;
  SourcePosition position;  // of its first declaration
  // Declared with "...": the wrapper takes the same variable arguments and
  // passes them on as a va_list to its twin, model.functions[variadic_twin_index],
  // on the leased instance. `signature` and `session_signature` end in ", ...".
  bool variadic = false;
  std::string variadic_twin;  // the twin's name, e.g. "sqlite3_vmprintf"
  size_t variadic_twin_index = 0;
  // The wrapper's linker symbol as a .def file spells it: the object file's
  // symbol without the target's global prefix (the '_' of i686 Windows).
  // "foo" (cdecl, and everything on x86_64 and ELF), "foo@8" (stdcall),
  // "@foo@8" (fastcall), "foo@@16" (vectorcall).
  std::string linker_symbol;
  // Exported by the shim. False for a va_list twin that is only in the function
  // table because a selected variadic function calls it (it was denied).
  bool exported = true;
};

enum class SourceLanguage { C, CPlusPlus };

struct ApiModel {
  std::string name;                  // shim name: "toto"
  std::vector<std::string> headers;  // as named on the command line
  SourceLanguage language = SourceLanguage::C;
  std::vector<Function> functions;   // in declaration order
  std::string target_triple;         // the parse's target: "i686-w64-mingw32"
  bool windows_target = false;       // the shim is a DLL: PE exports, .dll names
};

// The shim's own exported functions: shimpool_NAME_stats, ... (plain cdecl).
std::vector<std::string> shim_api_functions(const std::string &shim_name);

// The handle-form session entry point of `function`: "<name>_session".
std::string session_function_name(const std::string &function_name);

const char *to_string(CallingConvention convention);
const char *to_string(Policy policy);

}  // namespace shimpool
