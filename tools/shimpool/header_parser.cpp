#include "header_parser.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>

#include <set>

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

// The attribute spelling placed before the name in the wrapper's definition
// (a definition may not carry attributes after its declarator).
const char *attribute_for(CallingConvention convention) {
  switch (convention) {
    case CallingConvention::StdCall: return "__attribute__((stdcall)) ";
    case CallingConvention::FastCall: return "__attribute__((fastcall)) ";
    case CallingConvention::VectorCall: return "__attribute__((vectorcall)) ";
    case CallingConvention::ThisCall: return "__attribute__((thiscall)) ";
    case CallingConvention::MsAbi: return "__attribute__((ms_abi)) ";
    case CallingConvention::SysVAbi: return "__attribute__((sysv_abi)) ";
    default: return "";
  }
}

std::string print_type(clang::QualType type, const clang::PrintingPolicy &policy,
                       const std::string &placeholder = {}) {
  std::string text;
  llvm::raw_string_ostream out(text);
  type.print(out, policy, placeholder);
  return out.str();
}

class FunctionCollector : public clang::RecursiveASTVisitor<FunctionCollector> {
 public:
  FunctionCollector(clang::ASTContext &context, std::set<llvm::sys::fs::UniqueID> headers,
                    std::vector<Function> &out)
      : context_(context),
        sources_(context.getSourceManager()),
        headers_(std::move(headers)),
        out_(out),
        policy_(context.getPrintingPolicy()) {
    policy_.PolishForDeclaration = true;
    policy_.SuppressUnwrittenScope = true;
  }

  bool VisitFunctionDecl(clang::FunctionDecl *decl) {
    if (!is_exported_api(decl)) return true;
    if (!seen_.insert(decl->getNameAsString()).second) return true;  // a redeclaration
    if (decl->isVariadic()) {
      report(decl, "cannot forward variadic function '%0': a variadic call cannot be passed on; "
                   "exclude it from the shim");
      return true;
    }
    out_.push_back(describe(decl));
    return true;
  }

  bool shouldVisitTemplateInstantiations() const { return false; }

 private:
  bool is_exported_api(const clang::FunctionDecl *decl) const {
    if (decl->isImplicit() || decl->getBuiltinID() != 0) return false;
    if (llvm::isa<clang::CXXMethodDecl>(decl) || decl->isTemplated()) return false;
    if (decl->getStorageClass() == clang::SC_Static || decl->isInlineSpecified()) return false;
    if (!decl->getDeclName().isIdentifier()) return false;  // operators, conversions
    if (!decl->isExternC()) return false;                   // C++ linkage: mangled names
    return is_in_named_header(decl->getLocation());
  }

  bool is_in_named_header(clang::SourceLocation location) const {
    clang::SourceLocation spelled = sources_.getExpansionLoc(location);
    auto entry = sources_.getFileEntryRefForID(sources_.getFileID(spelled));
    return entry && headers_.count(entry->getUniqueID()) > 0;
  }

  Function describe(const clang::FunctionDecl *decl) const {
    Function function;
    function.name = decl->getNameAsString();
    const auto *type = decl->getType()->getAs<clang::FunctionType>();
    function.calling_convention = convention_of(type->getCallConv());

    std::string parameter_list;
    for (unsigned i = 0; i < decl->getNumParams(); ++i) {
      const clang::ParmVarDecl *param = decl->getParamDecl(i);
      Parameter parameter;
      parameter.name = "arg" + std::to_string(i);
      parameter.type = print_type(param->getType(), policy_);
      parameter.declaration = print_type(param->getType(), policy_, parameter.name);
      if (i) parameter_list += ", ";
      parameter_list += parameter.declaration;
      function.parameters.push_back(std::move(parameter));
    }
    if (decl->getNumParams() == 0 && !context_.getLangOpts().CPlusPlus) parameter_list = "void";

    clang::QualType result = decl->getReturnType();
    function.returns_void = result->isVoidType();
    function.return_type = print_type(result, policy_);
    function.signature =
        print_type(result, policy_,
                   attribute_for(function.calling_convention) + function.name + "(" +
                       parameter_list + ")");

    clang::PresumedLoc where = sources_.getPresumedLoc(sources_.getExpansionLoc(decl->getLocation()));
    if (where.isValid()) {
      function.position = {where.getFilename(), where.getLine(), where.getColumn()};
    }
    return function;
  }

  void report(const clang::FunctionDecl *decl, const char *message) const {
    auto &diagnostics = context_.getDiagnostics();
    unsigned id = diagnostics.getCustomDiagID(clang::DiagnosticsEngine::Error, "%0");
    std::string text = message;
    auto at = text.find("%0");
    if (at != std::string::npos) text.replace(at, 2, decl->getNameAsString());
    diagnostics.Report(decl->getLocation(), id) << text;
  }

  clang::ASTContext &context_;
  clang::SourceManager &sources_;
  std::set<llvm::sys::fs::UniqueID> headers_;
  std::vector<Function> &out_;
  clang::PrintingPolicy policy_;
  std::set<std::string> seen_;
};

class CollectAction : public clang::ASTFrontendAction {
 public:
  CollectAction(std::set<llvm::sys::fs::UniqueID> headers, ApiModel &model)
      : headers_(std::move(headers)), model_(model) {}

  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &compiler,
                                                        llvm::StringRef) override {
    model_.language = compiler.getLangOpts().CPlusPlus ? SourceLanguage::CPlusPlus
                                                       : SourceLanguage::C;
    return std::make_unique<Consumer>(headers_, model_);
  }

 private:
  struct Consumer : clang::ASTConsumer {
    Consumer(const std::set<llvm::sys::fs::UniqueID> &headers, ApiModel &model)
        : headers(headers), model(model) {}
    void HandleTranslationUnit(clang::ASTContext &context) override {
      if (context.getDiagnostics().hasErrorOccurred()) return;  // the AST may be incomplete
      FunctionCollector collector(context, headers, model.functions);
      collector.TraverseDecl(context.getTranslationUnitDecl());
    }
    const std::set<llvm::sys::fs::UniqueID> &headers;
    ApiModel &model;
  };

  std::set<llvm::sys::fs::UniqueID> headers_;
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

}  // namespace

std::string clang_resource_directory() { return SHIMPOOL_CLANG_RESOURCE_DIR; }

std::optional<ApiModel> parse_headers(const ParseRequest &request, llvm::raw_ostream &diagnostics) {
  ApiModel model;
  model.name = request.name;
  model.headers = request.headers;

  auto diagnostic_options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
  diagnostic_options->ShowColors = false;
  clang::TextDiagnosticPrinter printer(diagnostics, diagnostic_options.get());

  std::set<llvm::sys::fs::UniqueID> header_ids;
  std::vector<std::string> absolute_headers;
  bool missing = false;
  for (const std::string &header : request.headers) {
    llvm::SmallString<256> path(header);
    llvm::sys::fs::make_absolute(path);
    llvm::sys::fs::UniqueID id;
    if (llvm::sys::fs::getUniqueID(path, id)) {
      diagnostics << "shimpool: error: cannot read header '" << header
                  << "': no such file; check the path\n";
      missing = true;
      continue;
    }
    header_ids.insert(id);
    absolute_headers.emplace_back(path.str());
  }
  if (missing) return std::nullopt;

  // The last header is the main file and the others are -include'd before it,
  // so every header is parsed in one translation unit, in the order given.
  const bool cplusplus = is_cplusplus(request.clang_args, absolute_headers.back());
  std::vector<std::string> command{"clang", "-fsyntax-only", "-resource-dir",
                                   clang_resource_directory()};
  command.insert(command.end(), request.clang_args.begin(), request.clang_args.end());
  for (size_t i = 0; i + 1 < absolute_headers.size(); ++i) {
    command.push_back("-include");
    command.push_back(absolute_headers[i]);
  }
  command.push_back("-x");
  command.push_back(cplusplus ? "c++-header" : "c-header");
  command.push_back(absolute_headers.back());

  llvm::IntrusiveRefCntPtr<clang::FileManager> files(
      new clang::FileManager(clang::FileSystemOptions()));
  clang::tooling::ToolInvocation invocation(
      command, std::make_unique<CollectAction>(header_ids, model), files.get());
  invocation.setDiagnosticConsumer(&printer);
  invocation.setDiagnosticOptions(diagnostic_options.get());
  const bool parsed = invocation.run();
  diagnostics.flush();
  if (!parsed || printer.getNumErrors() > 0) return std::nullopt;
  return model;
}

}  // namespace shimpool
