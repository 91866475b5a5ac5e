//===- Autodiff.cpp - gradientSource: kiln-autodiff on MLIR text ----------===//
#include "compiler/Autodiff.h"

#include "compiler/DiagnosticText.h"
#include "compiler/KernelBuilder.h"
#include "compiler/Passes.h"
#include "compiler/Registration.h"
#include "runtime/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/raw_ostream.h"

namespace kiln {
namespace compiler {

std::string gradientSource(const std::string &source,
                           const std::vector<std::string> &gradReq,
                           bool gradientsOnly) {
  mlir::DialectRegistry registry;
  mlir::kiln::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parseGraph(context, source, "autodiff");
  // Diagnostics of the pass, for the error.
  DiagnosticText diagnostics(&context);
  auto functions = llvm::to_vector(module->getOps<mlir::func::FuncOp>());
  mlir::func::FuncOp forward = functions.front();
  forward->setAttr("kiln.differentiate", mlir::UnitAttr::get(&context));
  if (gradientsOnly)
    forward->setAttr("kiln.gradients_only", mlir::UnitAttr::get(&context));
  if (!gradReq.empty()) {
    mlir::Builder builder(&context);
    llvm::SmallVector<llvm::StringRef> requests(gradReq.begin(), gradReq.end());
    forward->setAttr("kiln.grad_req", builder.getStrArrayAttr(requests));
  }

  mlir::PassManager pm(&context);
  pm.addPass(mlir::kiln::createKilnAutodiff());
  if (mlir::failed(pm.run(*module)))
    throw Error(formatMessage("autodiff: cannot differentiate '",
                              forward.getSymName().str(),
                              "':", diagnostics.str()));

  auto gradient = module->lookupSymbol<mlir::func::FuncOp>(
      (forward.getSymName() + "_grad").str());
  std::string text;
  llvm::raw_string_ostream os(text);
  gradient->print(os);
  os.flush();
  return text;
}

} // namespace compiler
} // namespace kiln
