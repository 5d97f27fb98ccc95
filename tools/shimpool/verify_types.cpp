#include "verify_types.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>

#include <map>
#include <set>

#include "header_parser.h"

namespace shimpool {
namespace {

// The declaration whose prototype describes the function (see header_parser.cpp).
const clang::FunctionDecl *described(const clang::FunctionDecl *decl) {
  for (const clang::FunctionDecl *redeclaration : decl->getMostRecentDecl()->redecls())
    if (redeclaration->hasWrittenPrototype()) return redeclaration;
  return decl->getMostRecentDecl();
}

class Classifier {
 public:
  explicit Classifier(clang::ASTContext &context) : context_(context) {}

  // The kind of a value of `type`, or nullopt with `why` set.
  std::optional<ScalarKind> kind_of(clang::QualType type, bool is_result, std::string &why) const {
    const clang::QualType canonical = type.getCanonicalType();
    const std::string spelled = "'" + type.getAsString() + "'";
    if (canonical->isVoidType()) return ScalarKind::Void;
    if (canonical->isBooleanType()) return ScalarKind::Bool;
    if (const auto *enumeration = canonical->getAs<clang::EnumType>()) {
      if (!enumeration->getDecl()->isComplete()) {
        why = spelled + " is an incomplete enum";
        return std::nullopt;
      }
      return kind_of(enumeration->getDecl()->getIntegerType(), is_result, why);
    }
    if (canonical->isIntegerType()) {
      const uint64_t bits = context_.getTypeSize(canonical);
      const bool is_signed = canonical->isSignedIntegerType();
      switch (bits) {
        case 8:
          return is_signed ? ScalarKind::I8 : ScalarKind::U8;
        case 16:
          return is_signed ? ScalarKind::I16 : ScalarKind::U16;
        case 32:
          return is_signed ? ScalarKind::I32 : ScalarKind::U32;
        case 64:
          return is_signed ? ScalarKind::I64 : ScalarKind::U64;
        default:
          why = spelled + " is a " + std::to_string(bits) + "-bit integer";
          return std::nullopt;
      }
    }
    if (canonical->isRealFloatingType()) {
      const uint64_t bits = context_.getTypeSize(canonical);
      if (canonical->isSpecificBuiltinType(clang::BuiltinType::Float)) return ScalarKind::F32;
      if (canonical->isSpecificBuiltinType(clang::BuiltinType::Double)) return ScalarKind::F64;
      why = spelled + " is a " + std::to_string(bits) +
            "-bit floating type, which verify does not pass or compare";
      return std::nullopt;
    }
    if (const auto *pointer = canonical->getAs<clang::PointerType>()) {
      const clang::QualType pointee = pointer->getPointeeType();
      if (pointee->isFunctionType()) {
        why = spelled + " is a function pointer: verify has no function to pass";
        return std::nullopt;
      }
      if (pointee->isCharType()) {
        // A result is only read; a parameter that is not const may be written to.
        if (is_result || pointee.isConstQualified()) return ScalarKind::CString;
        why = spelled + " is a writable buffer of unknown size";
        return std::nullopt;
      }
      why = is_result ? spelled +
                            " is a pointer: instances hand out different addresses, so "
                            "results cannot be compared"
                      : spelled + " points to memory of a size and type verify cannot make up";
      return std::nullopt;
    }
    if (canonical->isRecordType()) {
      why = spelled + " is a struct or union passed by value";
      return std::nullopt;
    }
    why = spelled + " is not a scalar or a C string";
    return std::nullopt;
  }

  VerifyCandidate classify(const Function &function, const clang::FunctionDecl *decl) const {
    VerifyCandidate candidate{function.name, std::nullopt, {}};
    auto skip = [&](std::string reason) {
      candidate.skip_reason = std::move(reason);
      return candidate;
    };
    if (function.variadic) return skip("variadic: the shim passes its arguments on as a va_list");
    if (function.noreturn) return skip("declared noreturn: calling it would end the test process");
    if (!decl) return skip("its declaration was not found at file scope");
    const clang::FunctionDecl *prototype = described(decl);
    if (!prototype->hasWrittenPrototype() && !context_.getLangOpts().CPlusPlus)
      return skip("declared without a prototype: its parameters are unknown");
    CallableFunction callable;
    callable.name = function.name;
    switch (function.calling_convention) {
      case CallingConvention::C:
      case CallingConvention::SysVAbi:
        break;
      case CallingConvention::MsAbi:
        callable.ms_abi = true;
        break;
      default:
        return skip(std::string("calling convention ") + to_string(function.calling_convention) +
                    " is not this machine's");
    }
    std::string why;
    auto result = kind_of(prototype->getReturnType(), true, why);
    if (!result) return skip("the result " + why);
    callable.result = *result;
    for (unsigned i = 0; i < prototype->getNumParams(); ++i) {
      auto kind = kind_of(prototype->getParamDecl(i)->getType(), false, why);
      if (!kind || *kind == ScalarKind::Void)
        return skip("parameter " + std::to_string(i + 1) + " " + (kind ? "is void" : why));
      callable.parameters.push_back(*kind);
    }
    candidate.callable = std::move(callable);
    return candidate;
  }

 private:
  clang::ASTContext &context_;
};

class CollectDeclarations : public clang::RecursiveASTVisitor<CollectDeclarations> {
 public:
  explicit CollectDeclarations(const std::set<std::string> &wanted) : wanted_(wanted) {}
  bool VisitFunctionDecl(clang::FunctionDecl *decl) {
    if (!decl->getDeclName().isIdentifier() || !decl->isExternC()) return true;
    const std::string name = decl->getName().str();
    if (wanted_.count(name)) found.emplace(name, decl);  // keeps the first; redecls follow it
    return true;
  }
  std::map<std::string, const clang::FunctionDecl *> found;

 private:
  const std::set<std::string> &wanted_;
};

class ClassifyAction : public clang::ASTFrontendAction {
 public:
  ClassifyAction(const ApiModel &model, std::vector<VerifyCandidate> &out)
      : model_(model), out_(out) {}

  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &,
                                                        llvm::StringRef) override {
    return std::make_unique<Consumer>(model_, out_);
  }

 private:
  struct Consumer : clang::ASTConsumer {
    Consumer(const ApiModel &model, std::vector<VerifyCandidate> &out) : model(model), out(out) {}
    void HandleTranslationUnit(clang::ASTContext &context) override {
      if (context.getDiagnostics().hasErrorOccurred()) return;
      std::set<std::string> wanted;
      for (const Function &function : model.functions)
        if (function.exported) wanted.insert(function.name);
      CollectDeclarations collector(wanted);
      collector.TraverseDecl(context.getTranslationUnitDecl());
      Classifier classifier(context);
      for (const Function &function : model.functions) {
        if (!function.exported) continue;
        auto found = collector.found.find(function.name);
        out.push_back(classifier.classify(
            function, found == collector.found.end() ? nullptr : found->second));
      }
    }
    const ApiModel &model;
    std::vector<VerifyCandidate> &out;
  };

  const ApiModel &model_;
  std::vector<VerifyCandidate> &out_;
};

}  // namespace

std::optional<std::vector<VerifyCandidate>> classify_for_verify(
    const ApiModel &model, const std::vector<std::string> &clang_args,
    llvm::raw_ostream &diagnostics) {
  // The translation unit parse_headers builds: every header but the last
  // -include'd, the last as the main file, in the model's language.
  std::vector<std::string> command{"clang", "-fsyntax-only", "-resource-dir",
                                   clang_resource_directory()};
  command.insert(command.end(), clang_args.begin(), clang_args.end());
  std::vector<std::string> headers;
  for (const std::string &header : model.headers) {
    llvm::SmallString<256> path(header);
    llvm::sys::fs::make_absolute(path);
    headers.emplace_back(path.str());
  }
  for (size_t i = 0; i + 1 < headers.size(); ++i) {
    command.push_back("-include");
    command.push_back(headers[i]);
  }
  command.push_back("-x");
  command.push_back(model.language == SourceLanguage::CPlusPlus ? "c++-header" : "c-header");
  command.push_back(headers.back());

  auto diagnostic_options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
  diagnostic_options->ShowColors = false;
  clang::TextDiagnosticPrinter printer(diagnostics, diagnostic_options.get());
  llvm::IntrusiveRefCntPtr<clang::FileManager> files(
      new clang::FileManager(clang::FileSystemOptions()));
  std::vector<VerifyCandidate> candidates;
  clang::tooling::ToolInvocation invocation(
      command, std::make_unique<ClassifyAction>(model, candidates), files.get());
  invocation.setDiagnosticConsumer(&printer);
  invocation.setDiagnosticOptions(diagnostic_options.get());
  const bool parsed = invocation.run();
  diagnostics.flush();
  if (!parsed || printer.getNumErrors() > 0) return std::nullopt;
  return candidates;
}

}  // namespace shimpool
