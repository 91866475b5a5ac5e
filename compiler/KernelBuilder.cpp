//===- KernelBuilder.cpp - kiln IR for one kernel signature ---------------===//
#include "compiler/KernelBuilder.h"

#include "dialects/kiln/KilnOps.h"
#include "runtime/Error.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <functional>
#include <map>

namespace kiln {
namespace compiler {
namespace {

using PrimitiveBuilder = std::function<mlir::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange inputs)>;

struct PrimitiveInfo {
  size_t numInputs;
  size_t numOutputs;
  PrimitiveBuilder build;
};

/// The primitives a single-primitive kernel can be built from.
const std::map<std::string, PrimitiveInfo> &primitiveTable() {
  static const std::map<std::string, PrimitiveInfo> table = {
      {"add",
       {2, 1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs) {
          return mlir::SmallVector<mlir::Value>{
              builder.create<mlir::kiln::AddOp>(loc, inputs[0], inputs[1])
                  .getResult()};
        }}},
  };
  return table;
}

mlir::RankedTensorType dynamicTensorType(mlir::MLIRContext &context,
                                         const ArgumentType &argument) {
  mlir::SmallVector<int64_t> shape(argument.rank, mlir::ShapedType::kDynamic);
  return mlir::RankedTensorType::get(shape,
                                     elementTypeFor(context, argument.dtype));
}

} // namespace

mlir::Type elementTypeFor(mlir::MLIRContext &context, DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return mlir::Float32Type::get(&context);
  case DType::Float64:
    return mlir::Float64Type::get(&context);
  case DType::Float16:
    return mlir::Float16Type::get(&context);
  case DType::BFloat16:
    return mlir::BFloat16Type::get(&context);
  case DType::Int8:
    return mlir::IntegerType::get(&context, 8);
  case DType::Int32:
    return mlir::IntegerType::get(&context, 32);
  case DType::Int64:
    return mlir::IntegerType::get(&context, 64);
  case DType::Bool:
    return mlir::IntegerType::get(&context, 1);
  case DType::UInt8:
    break;
  }
  throw Error(formatMessage("the compiler does not support dtype ",
                            dtypeName(dtype), " yet"));
}

mlir::OwningOpRef<mlir::ModuleOp>
buildKernelModule(mlir::MLIRContext &context, const KernelSignature &signature,
                  const std::string &functionName) {
  auto found = primitiveTable().find(signature.primitive);
  if (found == primitiveTable().end())
    throw Error(formatMessage("compiler: no kernel builder for primitive '",
                              signature.primitive, "'"));
  const PrimitiveInfo &info = found->second;
  if (signature.inputs.size() != info.numInputs ||
      signature.outputs.size() != info.numOutputs)
    throw Error(formatMessage("compiler: primitive '", signature.primitive,
                              "' takes ", info.numInputs, " inputs and ",
                              info.numOutputs, " outputs, got ",
                              signature.key()));

  mlir::OpBuilder builder(&context);
  mlir::Location loc = mlir::NameLoc::get(builder.getStringAttr(signature.key()));
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);

  mlir::SmallVector<mlir::Type> argumentTypes;
  for (const ArgumentType &input : signature.inputs)
    argumentTypes.push_back(dynamicTensorType(context, input));
  mlir::SmallVector<mlir::Type> outputTypes;
  for (const ArgumentType &output : signature.outputs)
    outputTypes.push_back(dynamicTensorType(context, output));
  argumentTypes.append(outputTypes.begin(), outputTypes.end());

  builder.setInsertionPointToEnd(module->getBody());
  auto function = builder.create<mlir::func::FuncOp>(
      loc, functionName, builder.getFunctionType(argumentTypes, outputTypes));
  // The C interface wrapper takes each memref as a descriptor pointer: the
  // runtime's kernel ABI.
  function->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  const size_t numInputs = signature.inputs.size();
  for (size_t i = 0; i < outputTypes.size(); ++i)
    function.setArgAttr(numInputs + i, "bufferization.writable",
                        builder.getBoolAttr(true));

  mlir::Block *entry = function.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  mlir::ValueRange arguments = entry->getArguments();
  mlir::SmallVector<mlir::Value> results =
      info.build(builder, loc, arguments.take_front(numInputs));

  mlir::SmallVector<mlir::Value> written;
  for (size_t i = 0; i < results.size(); ++i) {
    mlir::Value destination = arguments[numInputs + i];
    if (results[i].getType() != destination.getType())
      results[i] = builder.create<mlir::tensor::CastOp>(
          loc, destination.getType(), results[i]);
    written.push_back(
        builder
            .create<mlir::bufferization::MaterializeInDestinationOp>(
                loc, results[i], destination)
            .getResult());
  }
  builder.create<mlir::func::ReturnOp>(loc, written);

  if (mlir::failed(mlir::verify(*module)))
    throw Error(formatMessage("compiler: kernel for ", signature.key(),
                              " failed to verify"));
  return module;
}

} // namespace compiler
} // namespace kiln
