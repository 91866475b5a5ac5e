//===- GraphKernelBuilder.cpp - kernels from whole kiln functions ---------===//
#include "compiler/KernelBuilder.h"

#include "compiler/DiagnosticText.h"
#include "runtime/Error.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

namespace kiln {
namespace compiler {

mlir::OwningOpRef<mlir::ModuleOp> parseGraph(mlir::MLIRContext &context,
                                             const std::string &source,
                                             const std::string &what) {
  DiagnosticText diagnostics(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    throw Error(what + ": cannot parse the graph:" + diagnostics.str());
  auto functions = llvm::to_vector(module->getOps<mlir::func::FuncOp>());
  if (functions.size() != 1 || functions.front().isExternal())
    throw Error(formatMessage(what,
                              ": a graph is one function with a body; "
                              "got ",
                              functions.size(), " functions"));
  return module;
}

mlir::OwningOpRef<mlir::ModuleOp>
buildGraphKernelModule(mlir::MLIRContext &context, const std::string &source,
                       const std::string &functionName) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parseGraph(context, source, "compiler");
  auto functions = llvm::to_vector(module->getOps<mlir::func::FuncOp>());
  mlir::func::FuncOp function = functions.front();
  mlir::FunctionType type = function.getFunctionType();
  for (mlir::Type argument : type.getInputs())
    if (!mlir::isa<mlir::RankedTensorType>(argument))
      throw Error("compiler: graph arguments must be ranked tensors");
  for (mlir::Type result : type.getResults())
    if (!mlir::isa<mlir::RankedTensorType>(result))
      throw Error("compiler: graph results must be ranked tensors");
  if (type.getNumResults() == 0)
    throw Error("compiler: a graph kernel must return at least one tensor");

  // Destination-passing style, as the kernel ABI wants: one writable output
  // argument per result, written with materialize_in_destination.
  mlir::OpBuilder builder(&context);
  mlir::Block &entry = function.getBody().front();
  const unsigned numInputs = type.getNumInputs();
  mlir::SmallVector<mlir::Type> argumentTypes(type.getInputs());
  for (mlir::Type result : type.getResults()) {
    argumentTypes.push_back(result);
    entry.addArgument(result, function.getLoc());
  }
  function.setFunctionType(
      builder.getFunctionType(argumentTypes, type.getResults()));
  // Inputs are read-only; outputs are written in place.
  for (unsigned i = 0; i < numInputs; ++i)
    function.setArgAttr(i, "bufferization.writable",
                        builder.getBoolAttr(false));
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    function.setArgAttr(numInputs + i, "bufferization.writable",
                        builder.getBoolAttr(true));
  function.setSymName(functionName);
  function.setPublic();
  function->setAttr("llvm.emit_c_interface", builder.getUnitAttr());

  function.walk([&](mlir::func::ReturnOp ret) {
    builder.setInsertionPoint(ret);
    mlir::SmallVector<mlir::Value> written;
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      mlir::Value destination = entry.getArgument(numInputs + i);
      written.push_back(
          builder
              .create<mlir::bufferization::MaterializeInDestinationOp>(
                  ret.getLoc(), value, destination)
              .getResult());
    }
    ret->setOperands(written);
  });
  DiagnosticText diagnostics(&context);
  if (mlir::failed(mlir::verify(*module)))
    throw Error("compiler: invalid graph:" + diagnostics.str());
  return module;
}

} // namespace compiler
} // namespace kiln
