#include "header_parser.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/Mangle.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Tooling/ArgumentsAdjusters.h>
#include <clang/Tooling/CompilationDatabase.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/DataLayout.h>
#include <llvm/Support/CrashRecoveryContext.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdlib>
#include <map>
#include <regex>
#include <set>

#include "name_regex.h"

namespace shimpool {
namespace {

CallingConvention convention_of(clang::CallingConv cc) {
  switch (cc) {
    case clang::CC_C: return CallingConvention::C;
    case clang::CC_X86StdCall: return CallingConvention::StdCall;
    case clang::CC_X86FastCall: return CallingConvention::FastCall;
    case clang::CC_X86VectorCall: return CallingConvention::VectorCall;
    case clang::CC_X86ThisCall: return CallingConvention::ThisCall;
    case clang::CC_Win64: return CallingConvention::MsAbi;
    case clang::CC_X86_64SysV: return CallingConvention::SysVAbi;
    default: return CallingConvention::Other;
  }
}

std::string print_type(clang::QualType type, const clang::PrintingPolicy &policy,
                       const std::string &placeholder = {}) {
  std::string text;
  llvm::raw_string_ostream out(text);
  type.print(out, policy, placeholder);
  return out.str();
}

// Spells types around declarators as C source, as Clang prints them, with one
// correction. Clang prints a function type's attributes (calling convention,
// noreturn, regparm...) after its parameter list. For a pointed-to function
// type that is after the whole declarator, where GCC and Clang apply them to
// the entity declared: in a definition, to the function being defined. So
// where a type points to such a function type, its attributes are written
// first inside the pointer's parentheses, where they bind to it:
// "int (__attribute__((ms_abi)) *pick(int arg0))(int)".
class TypeSpeller {
 public:
  TypeSpeller(clang::ASTContext &context, const clang::PrintingPolicy &policy)
      : context_(context), policy_(policy) {}

  // `type` declaring `declarator`; an empty declarator gives a type name.
  std::string declare(clang::QualType type, const std::string &declarator) const {
    if (!points_to_attributed_function(type)) return print_type(type, policy_, declarator);
    clang::QualType bare = without_decoration(type);
    if (auto [pointee, sigil] = pointee_of(bare); !pointee.isNull()) {
      std::string inner = pointer_declarator(sigil, bare.getLocalQualifiers(), declarator);
      if (const clang::FunctionType *function = attributed_function(pointee))
        return declare(without_attributes(function), attributes_of(function) + inner);
      if (without_decoration(pointee)->isArrayType()) inner = "(" + inner + ")";
      return declare(pointee, inner);
    }
    if (const auto *function = llvm::dyn_cast<clang::FunctionType>(bare))
      return declare(function->getReturnType(), "(" + declarator + ")(" +
                                                    parameter_list(function) + ")" +
                                                    after_parameter_list(function));
    const auto *array = llvm::cast<clang::ArrayType>(bare);
    return declare(array->getElementType(), array_declarator(array, declarator));
  }

  // A function type's attributes as Clang spells them, as a prefix:
  // "__attribute__((stdcall)) ", or "" when it has none.
  std::string attributes_of(const clang::FunctionType *function) const {
    clang::FunctionProtoType::ExtProtoInfo info;
    info.ExtInfo = function->getExtInfo();
    const std::string printed = printed_after_parameters(info);
    llvm::StringRef attributes = llvm::StringRef(printed).trim();
    return attributes.empty() ? "" : attributes.str() + " ";
  }

  // What follows a function type's parameter list but its attributes (which
  // are written first): exception specification, qualifiers. " noexcept".
  std::string after_parameter_list(const clang::FunctionType *function) const {
    clang::FunctionProtoType::ExtProtoInfo info;
    if (const auto *proto = llvm::dyn_cast<clang::FunctionProtoType>(function))
      info = proto->getExtProtoInfo();
    info.ExtInfo = clang::FunctionType::ExtInfo();
    info.Variadic = false;
    info.ExtParameterInfos = nullptr;
    return printed_after_parameters(info);
  }

 private:
  // Whether Clang's spelling of `type` would misplace a function type's
  // attributes: somewhere in it (through pointers, arrays, results and
  // parameters) is a pointer to a function type with attributes.
  bool points_to_attributed_function(clang::QualType type) const {
    clang::QualType bare = without_decoration(type);
    if (clang::QualType pointee = pointee_of(bare).first; !pointee.isNull())
      return attributed_function(pointee) || points_to_attributed_function(pointee);
    if (const auto *function = llvm::dyn_cast<clang::FunctionType>(bare)) {
      if (points_to_attributed_function(function->getReturnType())) return true;
      const auto *proto = llvm::dyn_cast<clang::FunctionProtoType>(function);
      return proto && llvm::any_of(proto->getParamTypes(), [this](clang::QualType parameter) {
               return points_to_attributed_function(parameter);
             });
    }
    if (llvm::isa<clang::ConstantArrayType, clang::IncompleteArrayType>(bare))
      return points_to_attributed_function(llvm::cast<clang::ArrayType>(bare)->getElementType());
    return false;
  }

  // The type without the sugar that only decorates its declarator: parentheses,
  // attributes (their effect is in the type itself) and attribute macros.
  // Typedef names stay: they spell the attributes in their own declaration.
  clang::QualType without_decoration(clang::QualType type) const {
    clang::Qualifiers qualifiers;
    while (true) {
      qualifiers.addQualifiers(type.getLocalQualifiers());
      const clang::Type *node = type.getTypePtr();
      if (const auto *paren = llvm::dyn_cast<clang::ParenType>(node))
        type = paren->getInnerType();
      else if (const auto *macro = llvm::dyn_cast<clang::MacroQualifiedType>(node))
        type = macro->getUnderlyingType();
      else if (const auto *attributed = llvm::dyn_cast<clang::AttributedType>(node))
        type = attributed->getEquivalentType();
      else
        return context_.getQualifiedType(node, qualifiers);
    }
  }

  // The pointee of a pointer, block pointer or reference, and its declarator sigil.
  static std::pair<clang::QualType, const char *> pointee_of(clang::QualType bare) {
    if (const auto *pointer = llvm::dyn_cast<clang::PointerType>(bare))
      return {pointer->getPointeeType(), "*"};
    if (const auto *block = llvm::dyn_cast<clang::BlockPointerType>(bare))
      return {block->getPointeeType(), "^"};
    if (const auto *reference = llvm::dyn_cast<clang::LValueReferenceType>(bare))
      return {reference->getPointeeTypeAsWritten(), "&"};
    if (const auto *reference = llvm::dyn_cast<clang::RValueReferenceType>(bare))
      return {reference->getPointeeTypeAsWritten(), "&&"};
    return {};
  }

  // `pointee` as a function type with attributes, or null.
  const clang::FunctionType *attributed_function(clang::QualType pointee) const {
    const auto *function = llvm::dyn_cast<clang::FunctionType>(without_decoration(pointee));
    return function && !attributes_of(function).empty() ? function : nullptr;
  }

  clang::QualType without_attributes(const clang::FunctionType *function) const {
    return clang::QualType(context_.adjustFunctionType(function, clang::FunctionType::ExtInfo()), 0);
  }

  // "*const p", as Clang spells a pointer's qualifiers.
  std::string pointer_declarator(const char *sigil, clang::Qualifiers qualifiers,
                                 const std::string &declarator) const {
    std::string text = sigil + qualifiers.getAsString(policy_);
    if (!qualifiers.empty() && !declarator.empty()) text += ' ';
    return text + declarator;
  }

  // "int arg0, double (*)(int)": each parameter type spelled like the others.
  std::string parameter_list(const clang::FunctionType *function) const {
    const auto *proto = llvm::dyn_cast<clang::FunctionProtoType>(function);
    if (!proto) return "";
    std::string list;
    for (clang::QualType parameter : proto->getParamTypes())
      list += (list.empty() ? "" : ", ") + declare(parameter, "");
    if (proto->isVariadic()) list += list.empty() ? "..." : ", ...";
    return list.empty() && policy_.UseVoidForZeroParams ? "void" : list;
  }

  // What Clang prints after the (empty) parameter list of a function type
  // with `info`: "int (void) noexcept" gives " noexcept".
  std::string printed_after_parameters(const clang::FunctionProtoType::ExtProtoInfo &info) const {
    std::string text = print_type(context_.getFunctionType(context_.IntTy, {}, info), policy_);
    return text.substr(text.find(')') + 1);
  }

  // "inner[4]": what the array type adds to its element's declarator, as
  // Clang prints it (found by printing the array over int).
  std::string array_declarator(const clang::ArrayType *array, const std::string &inner) const {
    const std::string marker = "shimpool_declarator";
    std::string text = print_type(with_int_element(array), policy_, marker);  // "int marker[4]"
    text.erase(0, llvm::StringRef("int ").size());
    return text.replace(text.find(marker), marker.size(), inner);
  }

  clang::QualType with_int_element(const clang::ArrayType *array) const {
    if (const auto *constant = llvm::dyn_cast<clang::ConstantArrayType>(array))
      return context_.getConstantArrayType(context_.IntTy, constant->getSize(),
                                           constant->getSizeExpr(), constant->getSizeModifier(),
                                           constant->getIndexTypeCVRQualifiers());
    return context_.getIncompleteArrayType(context_.IntTy, array->getSizeModifier(),
                                           array->getIndexTypeCVRQualifiers());
  }

  clang::ASTContext &context_;
  const clang::PrintingPolicy &policy_;
};

// The declaration to describe a function from: the most recent one whose
// prototype is written out, which all later ones inherit. (A declaration
// without parameters in C before C23 says nothing about them.) Without any,
// the most recent declaration.
const clang::FunctionDecl *declaration_to_describe(const clang::FunctionDecl *decl) {
  for (const clang::FunctionDecl *redeclaration : decl->getMostRecentDecl()->redecls())
    if (redeclaration->hasWrittenPrototype()) return redeclaration;
  return decl->getMostRecentDecl();
}

// Whether a parameter type names other parameters: a variable length array
// such as "int m[n][n]". Such functions keep the header's parameter names.
bool parameter_types_name_parameters(const clang::FunctionDecl *decl) {
  return llvm::any_of(decl->parameters(), [](const clang::ParmVarDecl *param) {
    return param->getOriginalType()->isVariablyModifiedType();
  });
}

// A parameter's type as written where it is an array, so that the wrapper
// redeclares it in the same form (GCC's -Warray-parameter and -Wvla-parameter
// compare them); the adjusted pointer otherwise, and for a "[*]" bound, which
// only a prototype may have.
clang::QualType declared_type(const clang::ParmVarDecl *param, clang::ASTContext &context) {
  clang::QualType original = param->getOriginalType();
  if (!original->isArrayType()) return param->getType();
  const auto *variable = context.getAsVariableArrayType(original);
  if (variable && variable->getSizeModifier() == clang::ArraySizeModifier::Star)
    return param->getType();
  return original;
}

class FunctionCollector : public clang::RecursiveASTVisitor<FunctionCollector> {
 public:
  FunctionCollector(clang::ASTContext &context, std::set<llvm::sys::fs::UniqueID> headers,
                    std::vector<Function> &out)
      : context_(context),
        sources_(context.getSourceManager()),
        headers_(std::move(headers)),
        out_(out),
        policy_(context.getPrintingPolicy()),
        speller_(context, policy_),
        symbol_names_(context),
        global_prefix_(llvm::DataLayout(context.getTargetInfo().getDataLayoutString())
                           .getGlobalPrefix()) {
    policy_.PolishForDeclaration = true;
    policy_.SuppressUnwrittenScope = true;
  }

  bool VisitFunctionDecl(clang::FunctionDecl *decl) {
    if (!is_exported_api(decl)) return true;
    if (!seen_.insert(decl->getNameAsString()).second) return true;  // a redeclaration
    candidates_.push_back({decl, declaration_to_describe(decl)});
    return true;
  }

  // After the traversal: selects the functions to wrap, finds the va_list twins
  // of the variadic ones and describes them all into `out`, in declaration
  // order. Errors go to Clang's diagnostics.
  void finish(const ParseRequest &request) {
    std::vector<std::regex> allow, deny;
    if (!compile_patterns(request.allow, "--allow", allow) ||
        !compile_patterns(request.deny, "--deny", deny))
      return;
    auto matches_any = [](const std::vector<std::regex> &patterns, const std::string &name) {
      return std::any_of(patterns.begin(), patterns.end(),
                         [&](const std::regex &re) { return std::regex_match(name, re); });
    };
    std::map<std::string, size_t> by_name;
    for (size_t i = 0; i < candidates_.size(); ++i)
      by_name[candidates_[i].first->getNameAsString()] = i;
    std::vector<bool> selected(candidates_.size()), needed(candidates_.size());
    std::vector<std::string> twin_of(candidates_.size());
    for (size_t i = 0; i < candidates_.size(); ++i) {
      const std::string name = candidates_[i].first->getNameAsString();
      selected[i] = (allow.empty() || matches_any(allow, name)) && !matches_any(deny, name);
    }
    for (const auto &[name, twin] : request.variadic_twins) {
      auto found = by_name.find(name);
      if (found == by_name.end() || !candidates_[found->second].second->isVariadic())
        diagnostics_note_unused_mapping(name, twin);
    }
    for (size_t i = 0; i < candidates_.size(); ++i) {
      const auto [decl, described] = candidates_[i];
      if (!selected[i]) continue;
      if (described->isVariadic()) {
        if (auto twin = find_twin(decl, described, request, by_name)) {
          twin_of[i] = candidates_[*twin].first->getNameAsString();
          needed[*twin] = true;
        }
        continue;
      }
      if (!described->hasPrototype()) {
        report(clang::DiagnosticsEngine::Warning, decl,
               "'" + decl->getNameAsString() +
                   "' is declared without a prototype; the shim forwards it as taking no "
                   "arguments");
      }
    }
    std::map<std::string, size_t> index_of;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (!selected[i] && !needed[i]) continue;
      Function function = describe(candidates_[i].second, position_of(candidates_[i].first));
      function.exported = selected[i];
      function.variadic_twin = twin_of[i];
      index_of[function.name] = out_.size();
      out_.push_back(std::move(function));
    }
    for (Function &function : out_)
      if (function.variadic && !function.variadic_twin.empty())
        function.variadic_twin_index = index_of.at(function.variadic_twin);
  }

  bool VisitVarDecl(clang::VarDecl *decl) {
    if (!is_data_export(decl)) return true;
    if (!seen_data_.insert(decl->getCanonicalDecl()).second) return true;  // a redeclaration
    report(clang::DiagnosticsEngine::Warning, decl,
           "data export '" + decl->getQualifiedNameAsString() +
               "' cannot be pooled; hosts using it will fail to link or load with the shim: "
               "it is not exported by the shim");
    return true;
  }

  bool shouldVisitTemplateInstantiations() const { return false; }

 private:
  bool compile_patterns(const std::vector<std::string> &patterns, const char *flag,
                        std::vector<std::regex> &out) const {
    for (const std::string &pattern : patterns) {
      std::string error;
      std::optional<std::regex> regex = compile_name_regex(pattern, error);
      if (!regex) {
        auto &diagnostics = context_.getDiagnostics();
        diagnostics.Report(diagnostics.getCustomDiagID(clang::DiagnosticsEngine::Error, "%0"))
            << (std::string(flag) + " '" + pattern + "' is not a valid regular expression: " +
                error);
        return false;
      }
      out.push_back(std::move(*regex));
    }
    return true;
  }

  void diagnostics_note_unused_mapping(const std::string &name, const std::string &twin) const {
    auto &diagnostics = context_.getDiagnostics();
    diagnostics.Report(diagnostics.getCustomDiagID(clang::DiagnosticsEngine::Warning, "%0"))
        << ("variadic mapping '" + name + "' -> '" + twin + "': the headers declare no variadic "
            "function '" + name + "'");
  }

  // Why `twin` cannot stand in for variadic `decl`, or "" if it can: it must
  // return the same type with the same calling convention and take the same
  // leading parameters, then a va_list, and nothing else.
  std::string twin_mismatch(const clang::FunctionDecl *variadic, const clang::FunctionDecl *twin) const {
    const unsigned named = variadic->getNumParams();
    const auto *twin_type = twin->getType()->getAs<clang::FunctionType>();
    const auto *type = variadic->getType()->getAs<clang::FunctionType>();
    if (twin->isVariadic()) return "it is variadic itself";
    if (!context_.hasSameType(twin->getReturnType(), variadic->getReturnType()))
      return "it returns another type";
    if (twin_type->getCallConv() != type->getCallConv()) return "its calling convention differs";
    if (twin->getNumParams() != named + 1)
      return "it must take " + std::to_string(named + 1) + " parameters, not " +
             std::to_string(twin->getNumParams());
    for (unsigned i = 0; i < named; ++i)
      if (!context_.hasSameUnqualifiedType(twin->getParamDecl(i)->getType(),
                                           variadic->getParamDecl(i)->getType()))
        return "its parameter " + std::to_string(i + 1) + " has another type";
    if (!is_va_list(twin->getParamDecl(named)->getType())) return "its last parameter is not a va_list";
    return "";
  }

  bool is_va_list(clang::QualType type) const {
    clang::QualType va_list = context_.getAdjustedParameterType(context_.getBuiltinVaListType());
    return context_.hasSameUnqualifiedType(type, va_list);
  }

  std::optional<size_t> find_twin(const clang::FunctionDecl *decl, const clang::FunctionDecl *described,
                                  const ParseRequest &request,
                                  const std::map<std::string, size_t> &by_name) const {
    const std::string name = decl->getNameAsString();
    const std::string how =
        "; map it to its va_list twin with [variadic] " + name + " = \"TWIN\" in the policy file "
        "or --variadic " + name + "=TWIN, or leave it out of the shim with --deny " + name;
    if (described->getNumParams() == 0) {
      report(clang::DiagnosticsEngine::Error, decl,
             "cannot forward variadic function '" + name +
                 "': it has no named parameter to start its variable arguments after; leave it "
                 "out of the shim with --deny " + name);
      return std::nullopt;
    }
    if (auto mapped = request.variadic_twins.find(name); mapped != request.variadic_twins.end()) {
      auto found = by_name.find(mapped->second);
      std::string why = found == by_name.end()
                            ? "the headers declare no function '" + mapped->second + "'"
                            : twin_mismatch(described, candidates_[found->second].second);
      if (why.empty()) return found->second;
      report(clang::DiagnosticsEngine::Error, decl,
             "cannot forward variadic function '" + name + "' through '" + mapped->second +
                 "', as mapped: " + why + how);
      return std::nullopt;
    }
    std::string tried;
    for (const std::string &candidate : variadic_twin_candidates(name)) {
      tried += (tried.empty() ? "'" : ", '") + candidate + "'";
      auto found = by_name.find(candidate);
      if (found != by_name.end() && twin_mismatch(described, candidates_[found->second].second).empty())
        return found->second;
    }
    report(clang::DiagnosticsEngine::Error, decl,
           "cannot forward variadic function '" + name +
               "': a variadic call cannot be passed on, and the headers declare no va_list twin "
               "of it (tried " + tried + ")" + how);
    return std::nullopt;
  }

  bool is_exported_api(const clang::FunctionDecl *decl) const {
    if (decl->isImplicit() || decl->getBuiltinID() != 0) return false;
    if (llvm::isa<clang::CXXMethodDecl>(decl) || decl->isTemplated()) return false;
    if (decl->getStorageClass() == clang::SC_Static || decl->isInlineSpecified()) return false;
    if (!decl->getDeclName().isIdentifier()) return false;  // operators, conversions
    if (!decl->isExternC()) return false;                   // C++ linkage: mangled names
    return is_in_named_header(decl->getLocation());
  }

  // A variable the library would export: at file or namespace scope with
  // external linkage, and not one the host compiles in itself (inline).
  bool is_data_export(const clang::VarDecl *decl) const {
    if (!decl->isFileVarDecl() || decl->isStaticDataMember() || decl->isTemplated()) return false;
    if (llvm::isa<clang::VarTemplateSpecializationDecl>(decl) || decl->isInline()) return false;
    if (!decl->hasExternalFormalLinkage()) return false;
    return is_in_named_header(decl->getLocation());
  }

  bool is_in_named_header(clang::SourceLocation location) const {
    clang::SourceLocation spelled = sources_.getExpansionLoc(location);
    auto entry = sources_.getFileEntryRefForID(sources_.getFileID(spelled));
    return entry && headers_.count(entry->getUniqueID()) > 0;
  }

  SourcePosition position_of(const clang::Decl *decl) const {
    clang::PresumedLoc where = sources_.getPresumedLoc(sources_.getExpansionLoc(decl->getLocation()));
    if (!where.isValid()) return {};
    return {where.getFilename(), where.getLine(), where.getColumn()};
  }

  Function describe(const clang::FunctionDecl *decl, SourcePosition position) const {
    Function function;
    function.name = decl->getNameAsString();
    const auto *type = decl->getType()->getAs<clang::FunctionType>();
    function.calling_convention = convention_of(type->getCallConv());

    function.parameters = describe_parameters(decl);
    std::string parameter_list;
    for (const Parameter &parameter : function.parameters)
      parameter_list += (parameter_list.empty() ? "" : ", ") + parameter.declaration;
    if (parameter_list.empty() && !context_.getLangOpts().CPlusPlus) parameter_list = "void";
    function.variadic = decl->isVariadic();
    if (function.variadic) parameter_list = function.parameters.empty() ? "..." : parameter_list + ", ...";

    clang::QualType result = decl->getReturnType();
    function.returns_void = result->isVoidType();
    function.noreturn = decl->isNoReturn();
    function.return_type = speller_.declare(result, "");
    function.signature =
        speller_.attributes_of(type) +
        speller_.declare(result, function.name + "(" + parameter_list + ")" +
                                     speller_.after_parameter_list(type));
    function.pointer_type = speller_.declare(context_.getPointerType(callable_type(decl)), "");
    function.session_signature = speller_.declare(
        result, function.name + "_session(shimpool_session *shimpool_session_handle" +
                    (parameter_list.empty() || parameter_list == "void" ? "" : ", ") +
                    (parameter_list == "void" ? "" : parameter_list) + ")");
    function.c_only_signature = std::any_of(
        decl->param_begin(), decl->param_end(), [](const clang::ParmVarDecl *param) {
          clang::QualType type = param->getOriginalType();
          return type.isRestrictQualified() || type->isVariablyModifiedType() ||
                 (type->isPointerType() && type->getPointeeType().isRestrictQualified());
        });
    function.linker_symbol = def_spelling(decl, function.calling_convention);
    function.position = std::move(position);
    return function;
  }

  // The symbol Clang gives the function (and so its wrapper, which redeclares
  // it) in the object file, as a .def file spells it: without the target's
  // global prefix, which GNU ld and MSVC add back. Vectorcall names and
  // fastcall ones ("@foo@8") never get the prefix.
  std::string def_spelling(const clang::FunctionDecl *decl, CallingConvention convention) const {
    std::string symbol = symbol_names_.getName(decl);
    if (global_prefix_ != '\0' && !symbol.empty() && symbol.front() == global_prefix_ &&
        convention != CallingConvention::VectorCall)
      symbol.erase(0, 1);
    return symbol;
  }

  // The function's type as a cast target. The sugar written on the declaration
  // goes (a calling convention that has no effect on the target would be
  // printed where a cast cannot take it; one that does is in the type itself),
  // and parameters keep their declared types where decaying them would spell a
  // compiler-internal type (va_list as "struct __va_list_tag *").
  clang::QualType callable_type(const clang::FunctionDecl *decl) const {
    const auto *function = decl->getType()->getAs<clang::FunctionType>();
    const auto *proto = llvm::dyn_cast<clang::FunctionProtoType>(function);
    if (!proto)
      return clang::QualType(context_.adjustFunctionType(function, function->getExtInfo().withNoReturn(false)), 0);
    llvm::SmallVector<clang::QualType, 8> parameters;
    for (clang::QualType parameter : proto->getParamTypes()) {
      const auto *decayed = parameter->getAs<clang::DecayedType>();
      const bool keep_declared = decayed && decayed->getOriginalType()->getAs<clang::TypedefType>() &&
                                 !decayed->getOriginalType()->isVariablyModifiedType();
      parameters.push_back(keep_declared ? decayed->getOriginalType() : parameter);
    }
    // noreturn is a property of the function, not of a pointer type (GCC warns):
    // the wrapper marks the unreachable point itself.
    clang::FunctionProtoType::ExtProtoInfo info = proto->getExtProtoInfo();
    info.ExtInfo = info.ExtInfo.withNoReturn(false);
    return context_.getFunctionType(proto->getReturnType(), parameters, info);
  }

  std::vector<Parameter> describe_parameters(const clang::FunctionDecl *decl) const {
    const bool keep_names = parameter_types_name_parameters(decl);
    std::vector<Parameter> parameters;
    for (unsigned i = 0; i < decl->getNumParams(); ++i) {
      const clang::ParmVarDecl *param = decl->getParamDecl(i);
      std::string name = keep_names && !param->getName().empty() ? param->getNameAsString()
                                                                  : "arg" + std::to_string(i);
      parameters.push_back(describe(param, std::move(name)));
    }
    return parameters;
  }

  Parameter describe(const clang::ParmVarDecl *param, std::string name) const {
    clang::QualType type = declared_type(param, context_);
    Parameter parameter;
    parameter.declaration = speller_.declare(type, name);
    parameter.type = speller_.declare(type, "");
    parameter.copy = copy_kind(param->getType());
    parameter.is_va_list = is_va_list(param->getType());
    parameter.field_declaration = speller_.declare(param->getType(), name);
    parameter.name = std::move(name);
    return parameter;
  }

  // How a broadcast call could keep this argument for replay (`type` decayed).
  ArgumentCopy copy_kind(clang::QualType type) const {
    if (type->isArithmeticType() || type->isEnumeralType() || type->isFunctionPointerType() ||
        type->isNullPtrType())
      return ArgumentCopy::Value;
    if (const auto *record = type->getAsRecordDecl())
      return holds_no_pointer(record) ? ArgumentCopy::Value : ArgumentCopy::None;
    if (!type->isPointerType()) return ArgumentCopy::None;
    clang::QualType pointee = type->getPointeeType();
    if (!pointee.isConstQualified()) return ArgumentCopy::None;  // may be written to
    if (pointee->isSpecificBuiltinType(clang::BuiltinType::Char_S) ||
        pointee->isSpecificBuiltinType(clang::BuiltinType::Char_U))
      return ArgumentCopy::CString;
    if (pointee->isWideCharType() || names_wchar_t(pointee)) return ArgumentCopy::WideString;
    return ArgumentCopy::None;
  }

  // In C, wchar_t is a typedef: recognise it by name through the typedef chain.
  static bool names_wchar_t(clang::QualType type) {
    while (const auto *typedef_type = type->getAs<clang::TypedefType>()) {
      if (typedef_type->getDecl()->getName() == "wchar_t") return true;
      type = typedef_type->getDecl()->getUnderlyingType();
    }
    return false;
  }

  // Remembered per struct: one nesting others by value several times over
  // would otherwise be walked once per path, exponentially many.
  bool holds_no_pointer(const clang::RecordDecl *record) const {
    const clang::RecordDecl *definition = record->getDefinition();
    if (!definition) return false;
    if (auto known = pointer_free_.find(definition); known != pointer_free_.end())
      return known->second;
    bool result = true;
    for (const clang::FieldDecl *field : definition->fields()) {
      clang::QualType type = field->getType().getCanonicalType();
      while (const auto *array = type->getAsArrayTypeUnsafe()) type = array->getElementType();
      if (type->isPointerType() || type->isReferenceType() || type->isMemberPointerType()) {
        result = false;
        break;
      }
      if (const auto *inner = type->getAsRecordDecl(); inner && !holds_no_pointer(inner)) {
        result = false;
        break;
      }
    }
    pointer_free_[definition] = result;
    return result;
  }

  void report(clang::DiagnosticsEngine::Level level, const clang::Decl *decl,
              const std::string &message) const {
    auto &diagnostics = context_.getDiagnostics();
    diagnostics.Report(decl->getLocation(), diagnostics.getCustomDiagID(level, "%0")) << message;
  }

  clang::ASTContext &context_;
  clang::SourceManager &sources_;
  std::set<llvm::sys::fs::UniqueID> headers_;
  std::vector<Function> &out_;
  clang::PrintingPolicy policy_;
  TypeSpeller speller_;
  mutable clang::ASTNameGenerator symbol_names_;
  mutable std::map<const clang::RecordDecl *, bool> pointer_free_;  // see holds_no_pointer
  char global_prefix_;  // '_' on i686 Windows and Darwin, none on ELF and x86_64 Windows
  std::set<std::string> seen_;
  std::set<const clang::VarDecl *> seen_data_;
  // Every function the named headers declare: the first declaration, and the one to describe.
  std::vector<std::pair<const clang::FunctionDecl *, const clang::FunctionDecl *>> candidates_;
};

// Set while shimpool's own code reads the AST: a crash then is not Clang's.
thread_local bool collecting = false;

class CollectAction : public clang::ASTFrontendAction {
 public:
  CollectAction(std::set<llvm::sys::fs::UniqueID> headers, const ParseRequest &request,
                ApiModel &model)
      : headers_(std::move(headers)), request_(request), model_(model) {}

  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &compiler,
                                                        llvm::StringRef) override {
    model_.language = compiler.getLangOpts().CPlusPlus ? SourceLanguage::CPlusPlus
                                                       : SourceLanguage::C;
    const llvm::Triple &triple = compiler.getTarget().getTriple();
    model_.target_triple = triple.str();
    model_.windows_target = triple.isOSWindows();
    return std::make_unique<Consumer>(headers_, request_, model_);
  }

 private:
  struct Consumer : clang::ASTConsumer {
    Consumer(const std::set<llvm::sys::fs::UniqueID> &headers, const ParseRequest &request,
             ApiModel &model)
        : headers(headers), request(request), model(model) {}
    void HandleTranslationUnit(clang::ASTContext &context) override {
      if (context.getDiagnostics().hasErrorOccurred()) return;  // the AST may be incomplete
      collecting = true;
      FunctionCollector collector(context, headers, model.functions);
      collector.TraverseDecl(context.getTranslationUnitDecl());
      collector.finish(request);
      collecting = false;
    }
    const std::set<llvm::sys::fs::UniqueID> &headers;
    const ParseRequest &request;
    ApiModel &model;
  };

  std::set<llvm::sys::fs::UniqueID> headers_;
  const ParseRequest &request_;
  ApiModel &model_;
};

// C++ when the caller says so with -x, or when the header's extension says so.
bool is_cplusplus(const std::vector<std::string> &args, const std::string &header) {
  for (size_t i = 0; i < args.size(); ++i) {
    llvm::StringRef arg = args[i];
    if (arg == "-x" && i + 1 < args.size()) return llvm::StringRef(args[i + 1]).starts_with("c++");
    if (arg.consume_front("-x")) return arg.starts_with("c++");
  }
  llvm::StringRef extension = llvm::sys::path::extension(header);
  return extension == ".hpp" || extension == ".hh" || extension == ".hxx" || extension == ".H";
}

// The files the parse reads: the real ones, under the request's in-memory files.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> file_system_for(const ParseRequest &request) {
  llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> real = llvm::vfs::getRealFileSystem();
  if (request.in_memory_files.empty()) return real;
  auto memory = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  for (const auto &[path, text] : request.in_memory_files)
    memory->addFile(path, 0, llvm::MemoryBuffer::getMemBufferCopy(text, path));
  auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(real);
  overlay->pushOverlay(memory);
  return overlay;
}

}  // namespace

std::string clang_resource_directory() { return SHIMPOOL_CLANG_RESOURCE_DIR; }

std::vector<std::string> variadic_twin_candidates(const std::string &name) {
  std::vector<std::string> names{"v" + name};
  auto underscore = name.rfind('_');
  if (underscore != std::string::npos && underscore + 1 < name.size())
    names.push_back(name.substr(0, underscore + 1) + "v" + name.substr(underscore + 1));
  return names;
}

std::optional<std::vector<std::string>> compile_flags_from_database(
    const std::string &directory, const std::vector<std::string> &headers, std::string &error) {
  std::string load_error;
  auto database = clang::tooling::CompilationDatabase::loadFromDirectory(directory, load_error);
  if (!database) {
    error = "cannot load a compilation database from '" + directory + "': " + load_error;
    return std::nullopt;
  }
  std::vector<clang::tooling::CompileCommand> commands = database->getAllCompileCommands();
  if (commands.empty()) {
    error = "the compilation database in '" + directory + "' has no entry";
    return std::nullopt;
  }
  auto absolute = [](const std::string &base, const std::string &file) {
    llvm::SmallString<256> path(file);
    if (!llvm::sys::path::is_absolute(path)) {
      path = base;
      llvm::sys::path::append(path, file);
    }
    llvm::sys::path::remove_dots(path, true);
    return std::string(path.str());
  };
  std::set<std::string> wanted;
  for (const std::string &header : headers) {
    llvm::SmallString<256> path(header);
    llvm::sys::fs::make_absolute(path);
    llvm::sys::path::remove_dots(path, true);
    wanted.insert(std::string(path.str()));
  }
  const clang::tooling::CompileCommand *chosen = &commands.front();
  for (const auto &command : commands)
    if (wanted.count(absolute(command.Directory, command.Filename))) {
      chosen = &command;
      break;
    }
  // Keep the flags: drop the compiler, the input, -c and the outputs; make
  // relative include directories absolute against the entry's directory.
  std::vector<std::string> line = clang::tooling::getClangStripOutputAdjuster()(
      chosen->CommandLine, chosen->Filename);
  line = clang::tooling::getClangStripDependencyFileAdjuster()(line, chosen->Filename);
  std::vector<std::string> flags;
  const std::string input = absolute(chosen->Directory, chosen->Filename);
  for (size_t i = 1; i < line.size(); ++i) {
    llvm::StringRef arg = line[i];
    if (arg == "-c" || arg == "--" || arg == chosen->Filename ||
        (!arg.starts_with("-") && absolute(chosen->Directory, line[i]) == input))
      continue;
    for (llvm::StringRef prefix : {"-I", "-isystem", "-iquote", "-include"}) {
      if (arg == prefix && i + 1 < line.size()) {
        flags.push_back(line[i]);
        flags.push_back(absolute(chosen->Directory, line[++i]));
        arg = "";
        break;
      }
      if (arg.size() > prefix.size() && arg.starts_with(prefix) && prefix == "-I") {
        flags.push_back("-I" + absolute(chosen->Directory, arg.drop_front(2).str()));
        arg = "";
        break;
      }
    }
    if (!arg.empty()) flags.push_back(line[i]);
  }
  return flags;
}

std::optional<ApiModel> parse_headers(const ParseRequest &request, llvm::raw_ostream &diagnostics) {
  ApiModel model;
  model.name = request.name;
  model.headers = request.headers;

  auto diagnostic_options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
  diagnostic_options->ShowColors = false;
  clang::TextDiagnosticPrinter printer(diagnostics, diagnostic_options.get());

  llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> file_system = file_system_for(request);
  std::set<llvm::sys::fs::UniqueID> header_ids;
  std::vector<std::string> absolute_headers;
  bool missing = false;
  for (const std::string &header : request.headers) {
    llvm::SmallString<256> path(header);
    file_system->makeAbsolute(path);
    llvm::ErrorOr<llvm::vfs::Status> status = file_system->status(path);
    if (!status) {
      diagnostics << "shimpool: error: cannot read header '" << header
                  << "': no such file; check the path\n";
      missing = true;
      continue;
    }
    header_ids.insert(status->getUniqueID());
    absolute_headers.emplace_back(path.str());
  }
  if (missing || absolute_headers.empty()) {
    if (!missing) diagnostics << "shimpool: error: no header to parse\n";
    return std::nullopt;
  }

  std::vector<std::string> clang_args;
  if (!request.build_directory.empty()) {
    std::string error;
    auto flags = compile_flags_from_database(request.build_directory, request.headers, error);
    if (!flags) {
      diagnostics << "shimpool: error: " << error << "\n";
      return std::nullopt;
    }
    clang_args = std::move(*flags);
  }
  clang_args.insert(clang_args.end(), request.clang_args.begin(), request.clang_args.end());

  // The last header is the main file and the others are -include'd before it,
  // so every header is parsed in one translation unit, in the order given.
  const bool cplusplus = is_cplusplus(clang_args, absolute_headers.back());
  // "#pragma clang __debug crash" (and overflow_stack, llvm_fatal_error...) in
  // a header would crash the generator: Clang's release builds keep them.
  std::vector<std::string> command{"clang", "-fsyntax-only", "-resource-dir",
                                   clang_resource_directory(), "-Xclang",
                                   "-disable-pragma-debug-crash"};
  command.insert(command.end(), clang_args.begin(), clang_args.end());
  for (size_t i = 0; i + 1 < absolute_headers.size(); ++i) {
    command.push_back("-include");
    command.push_back(absolute_headers[i]);
  }
  command.push_back("-x");
  command.push_back(cplusplus ? "c++-header" : "c-header");
  command.push_back(absolute_headers.back());

  llvm::IntrusiveRefCntPtr<clang::FileManager> files(
      new clang::FileManager(clang::FileSystemOptions(), file_system));
  clang::tooling::ToolInvocation invocation(
      command, std::make_unique<CollectAction>(header_ids, request, model), files.get());
  invocation.setDiagnosticConsumer(&printer);
  invocation.setDiagnosticOptions(diagnostic_options.get());
  // Clang 19 crashes on some invalid declarations ("void f(x(y) ...);" in C):
  // such a crash is recovered from and reported as an error. One in
  // shimpool's own code is not: it aborts, as it would without recovery.
  bool parsed = false;
  collecting = false;
  llvm::CrashRecoveryContext::Enable();
  const bool survived = llvm::CrashRecoveryContext().RunSafely([&] { parsed = invocation.run(); });
  llvm::CrashRecoveryContext::Disable();
  diagnostics.flush();
  if (!survived && collecting) {
    llvm::errs() << "shimpool: internal error: crashed reading the parsed headers\n";
    std::abort();
  }
  if (!survived) {
    diagnostics << "shimpool: error: Clang crashed parsing the headers (a bug in Clang "
                << LLVM_VERSION_MAJOR << "); fix the errors above, if any, or simplify the "
                << "declaration it stopped at\n";
    return std::nullopt;
  }
  if (!parsed || printer.getNumErrors() > 0) return std::nullopt;
  return model;
}

}  // namespace shimpool
