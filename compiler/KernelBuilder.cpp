//===- KernelBuilder.cpp - kiln IR for one kernel signature ---------------===//
#include "compiler/KernelBuilder.h"

#include "compiler/DiagnosticText.h"
#include "dialects/kiln/KilnOps.h"
#include "runtime/Error.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <functional>
#include <map>

namespace kiln {
namespace compiler {
namespace {

/// Builds a primitive's op from the kernel's input arguments; `output` is
/// the destination argument (its type, and its extents for generators).
using PrimitiveBuilder = std::function<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange inputs,
    mlir::Value output, const KernelSignature &signature)>;

/// PrimitiveInfo::numInputs of primitives taking one or more inputs.
constexpr size_t kVariadic = static_cast<size_t>(-1);

/// The attribute `name` of `signature`, which must be there.
const std::vector<int64_t> &attribute(const KernelSignature &signature,
                                      const std::string &name) {
  auto found = signature.attributes.find(name);
  if (found == signature.attributes.end())
    throw Error(formatMessage("compiler: ", signature.key(),
                              ": missing attribute '", name, "'"));
  return found->second;
}

/// A boolean attribute: absent is false; else one 0 or 1.
bool flagAttribute(const KernelSignature &signature, const std::string &name) {
  auto found = signature.attributes.find(name);
  if (found == signature.attributes.end())
    return false;
  if (found->second.size() != 1 || found->second[0] < 0 || found->second[0] > 1)
    throw Error(formatMessage("compiler: ", signature.key(), ": attribute '",
                              name, "' must be 0 or 1"));
  return found->second[0] == 1;
}

struct PrimitiveInfo {
  size_t numInputs;
  PrimitiveBuilder build;
  /// Trailing inputs that may be left out (a convolution's bias).
  size_t optionalInputs = 0;
};

/// Thrown when an op's result type cannot be inferred from the signature's
/// types; the diagnostics explain why.
struct InferenceFailed {};

/// Creates an op whose result type is inferred (InferTypeOpInterface). ODS's
/// inferring builders abort the process when inference fails; this creates
/// the op with a placeholder type, infers, and throws instead.
template <typename OpTy, typename... Args>
mlir::Value createInferred(mlir::OpBuilder &builder, mlir::Location loc,
                           Args &&...args) {
  auto placeholder = mlir::UnrankedTensorType::get(builder.getF32Type());
  OpTy op = builder.create<OpTy>(loc, placeholder, std::forward<Args>(args)...);
  mlir::SmallVector<mlir::Type, 1> types;
  auto inference = llvm::cast<mlir::InferTypeOpInterface>(op.getOperation());
  if (mlir::failed(inference.inferReturnTypes(
          builder.getContext(), loc, op->getOperands(), op->getAttrDictionary(),
          op->getPropertiesStorage(), op->getRegions(), types))) {
    op->erase();
    throw InferenceFailed{};
  }
  op->getResult(0).setType(types.front());
  return op->getResult(0);
}

template <typename OpTy> PrimitiveInfo reduction() {
  return {1,
          [](mlir::OpBuilder &builder, mlir::Location loc,
             mlir::ValueRange inputs, mlir::Value,
             const KernelSignature &signature) -> mlir::Value {
            return createInferred<OpTy>(
                builder, loc, inputs[0],
                builder.getDenseI64ArrayAttr(attribute(signature, "axes")),
                builder.getBoolAttr(flagAttribute(signature, "keepdims")));
          }};
}

template <typename OpTy> PrimitiveInfo argReduction() {
  return {1,
          [](mlir::OpBuilder &builder, mlir::Location loc,
             mlir::ValueRange inputs, mlir::Value,
             const KernelSignature &signature) -> mlir::Value {
            const std::vector<int64_t> &axis = attribute(signature, "axis");
            if (axis.size() != 1)
              throw Error(formatMessage("compiler: ", signature.key(),
                                        ": attribute 'axis' takes one value"));
            return createInferred<OpTy>(
                builder, loc, inputs[0], builder.getI64IntegerAttr(axis[0]),
                builder.getBoolAttr(flagAttribute(signature, "keepdims")));
          }};
}

/// A float attribute of `signature` with one value, which must be there.
double floatAttribute(const KernelSignature &signature,
                      const std::string &name) {
  auto found = signature.floatAttributes.find(name);
  if (found == signature.floatAttributes.end() || found->second.size() != 1)
    throw Error(formatMessage("compiler: ", signature.key(),
                              ": needs one value for float attribute '", name,
                              "'"));
  return found->second[0];
}

/// The integer attribute `name` with exactly one value.
int64_t scalarAttribute(const KernelSignature &signature,
                        const std::string &name) {
  const std::vector<int64_t> &values = attribute(signature, name);
  if (values.size() != 1)
    throw Error(formatMessage("compiler: ", signature.key(), ": attribute '",
                              name, "' takes one value"));
  return values[0];
}

/// The extents of `output`'s dynamic dimensions, read from the destination
/// argument: generators take their shape from where they write.
mlir::SmallVector<mlir::Value> dynamicExtentsOf(mlir::OpBuilder &builder,
                                                mlir::Location loc,
                                                mlir::Value output) {
  auto type = mlir::cast<mlir::RankedTensorType>(output.getType());
  mlir::SmallVector<mlir::Value> extents;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim))
      extents.push_back(builder.create<mlir::tensor::DimOp>(loc, output, dim));
  return extents;
}

template <typename OpTy>
PrimitiveInfo randomGenerator(const char *first, const char *second) {
  // One input: the seed, a rank-0 int64 tensor read at run time.
  return {1,
          [first, second](mlir::OpBuilder &builder, mlir::Location loc,
                          mlir::ValueRange inputs, mlir::Value output,
                          const KernelSignature &signature) -> mlir::Value {
            return builder.create<OpTy>(
                loc, output.getType(), inputs[0],
                dynamicExtentsOf(builder, loc, output),
                builder.getF64FloatAttr(floatAttribute(signature, first)),
                builder.getF64FloatAttr(floatAttribute(signature, second)));
          }};
}

/// Builds the elementwise primitive `name` (any op with
/// ElementwiseOpInterface) over `inputs`: no table entry needed. Its result
/// type is inferred (InferTypeOpInterface), the operands' type (unary ops),
/// or, for cast, the operand's shape with the output's element type.
mlir::Value buildElementwise(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::RegisteredOperationName name,
                             mlir::ValueRange inputs, mlir::Value output) {
  auto input = mlir::cast<mlir::RankedTensorType>(inputs[0].getType());
  mlir::Type resultType = input;
  if (name.getStringRef() == mlir::kiln::CastOp::getOperationName())
    resultType = input.clone(
        mlir::cast<mlir::RankedTensorType>(output.getType()).getElementType());
  mlir::OperationState state(loc, name);
  state.addOperands(inputs);
  state.addTypes(resultType);
  mlir::Operation *op = builder.create(state);
  if (auto inference = llvm::dyn_cast<mlir::InferTypeOpInterface>(op)) {
    mlir::SmallVector<mlir::Type, 1> types;
    if (mlir::failed(inference.inferReturnTypes(
            builder.getContext(), loc, op->getOperands(),
            op->getAttrDictionary(), op->getPropertiesStorage(),
            op->getRegions(), types))) {
      op->erase();
      throw InferenceFailed{};
    }
    op->getResult(0).setType(types.front());
  }
  return op->getResult(0);
}

/// A convolution primitive's attributes from its signature: "strides",
/// "padding_low", "padding_high", "dilations" (one entry per spatial
/// dimension) and "groups".
struct ConvolutionAttributes {
  mlir::DenseI64ArrayAttr strides, low, high, dilations;
  mlir::IntegerAttr groups;
  ConvolutionAttributes(mlir::OpBuilder &builder,
                        const KernelSignature &signature)
      : strides(builder.getDenseI64ArrayAttr(attribute(signature, "strides"))),
        low(builder.getDenseI64ArrayAttr(attribute(signature, "padding_low"))),
        high(
            builder.getDenseI64ArrayAttr(attribute(signature, "padding_high"))),
        dilations(
            builder.getDenseI64ArrayAttr(attribute(signature, "dilations"))),
        groups(
            builder.getI64IntegerAttr(scalarAttribute(signature, "groups"))) {}
};

/// The backward convolutions: their result type (the input's or the
/// filter's shape, which strides leave ambiguous) is the output argument's.
template <typename OpTy> PrimitiveInfo convolutionBackward() {
  return {
      2,
      [](mlir::OpBuilder &builder, mlir::Location loc, mlir::ValueRange inputs,
         mlir::Value output, const KernelSignature &signature) -> mlir::Value {
        ConvolutionAttributes a(builder, signature);
        return builder.create<OpTy>(loc, output.getType(), inputs[0], inputs[1],
                                    dynamicExtentsOf(builder, loc, output),
                                    a.strides, a.low, a.high, a.dilations,
                                    a.groups);
      }};
}

/// A pooling primitive's attributes: "kind" (0 max, 1 avg), "window",
/// "strides", "padding_low", "padding_high", "count_include_pad" (0/1).
struct PoolAttributes {
  mlir::kiln::PoolKindAttr kind;
  mlir::DenseI64ArrayAttr window, strides, low, high;
  mlir::BoolAttr countIncludePad;
  PoolAttributes(mlir::OpBuilder &builder, const KernelSignature &signature)
      : kind(mlir::kiln::PoolKindAttr::get(
            builder.getContext(), scalarAttribute(signature, "kind") == 0
                                      ? mlir::kiln::PoolKind::max
                                      : mlir::kiln::PoolKind::avg)),
        window(builder.getDenseI64ArrayAttr(attribute(signature, "window"))),
        strides(builder.getDenseI64ArrayAttr(attribute(signature, "strides"))),
        low(builder.getDenseI64ArrayAttr(attribute(signature, "padding_low"))),
        high(
            builder.getDenseI64ArrayAttr(attribute(signature, "padding_high"))),
        countIncludePad(builder.getBoolAttr(
            flagAttribute(signature, "count_include_pad"))) {}
};

/// The primitives other than the elementwise ones that a single-primitive
/// kernel can be built from, by the name kernel signatures use (the op's
/// mnemonic), with how their attributes come from the signature.
const std::map<std::string, PrimitiveInfo> &primitiveTable() {
  using namespace mlir::kiln;
  static const std::map<std::string, PrimitiveInfo> table = {
      {"reduce_sum", reduction<ReduceSumOp>()},
      {"reduce_prod", reduction<ReduceProdOp>()},
      {"reduce_mean", reduction<ReduceMeanOp>()},
      {"reduce_max", reduction<ReduceMaxOp>()},
      {"reduce_min", reduction<ReduceMinOp>()},
      {"argmax", argReduction<ArgmaxOp>()},
      {"argmin", argReduction<ArgminOp>()},
      {"matmul",
       {2,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &) -> mlir::Value {
          return createInferred<MatmulOp>(builder, loc, inputs[0], inputs[1]);
        }}},
      {"convolution",
       {2,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          ConvolutionAttributes a(builder, signature);
          mlir::Value bias = inputs.size() > 2 ? inputs[2] : mlir::Value();
          return createInferred<ConvolutionOp>(
              builder, loc, inputs[0], inputs[1], bias, a.strides, a.low,
              a.high, a.dilations, a.groups);
        },
        /*optionalInputs=*/1}},
      {"convolution_backward_data",
       convolutionBackward<ConvolutionBackwardDataOp>()},
      {"convolution_backward_filter",
       convolutionBackward<ConvolutionBackwardFilterOp>()},
      {"pool",
       {1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          PoolAttributes a(builder, signature);
          return createInferred<PoolOp>(builder, loc, inputs[0], a.kind,
                                        a.window, a.strides, a.low, a.high,
                                        a.countIncludePad);
        }}},
      {"pool_backward",
       {2,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          PoolAttributes a(builder, signature);
          return createInferred<PoolBackwardOp>(
              builder, loc, inputs[0], inputs[1], a.kind, a.window, a.strides,
              a.low, a.high, a.countIncludePad);
        }}},
      {"transpose",
       {1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          return createInferred<TransposeOp>(
              builder, loc, inputs[0],
              builder.getDenseI64ArrayAttr(
                  attribute(signature, "permutation")));
        }}},
      {"broadcast_to",
       {1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value output,
           const KernelSignature &) -> mlir::Value {
          return builder.create<BroadcastToOp>(
              loc, output.getType(), inputs[0],
              dynamicExtentsOf(builder, loc, output));
        }}},
      {"iota",
       {0,
        [](mlir::OpBuilder &builder, mlir::Location loc, mlir::ValueRange,
           mlir::Value output,
           const KernelSignature &signature) -> mlir::Value {
          return builder.create<IotaOp>(
              loc, output.getType(), dynamicExtentsOf(builder, loc, output),
              builder.getI64IntegerAttr(
                  scalarAttribute(signature, "dimension")));
        }}},
      {"slice",
       {1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          return createInferred<SliceOp>(
              builder, loc, inputs[0],
              builder.getDenseI64ArrayAttr(attribute(signature, "begin")),
              builder.getDenseI64ArrayAttr(attribute(signature, "end")),
              builder.getDenseI64ArrayAttr(attribute(signature, "step")));
        }}},
      {"concat",
       {kVariadic,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          return createInferred<ConcatOp>(
              builder, loc, inputs,
              builder.getI64IntegerAttr(scalarAttribute(signature, "axis")));
        }}},
      {"take",
       {2,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          // mode: 0 clips out-of-range indices, 1 wraps them.
          const bool wrap = signature.attributes.count("mode") &&
                            scalarAttribute(signature, "mode") == 1;
          return createInferred<TakeOp>(
              builder, loc, inputs[0], inputs[1],
              builder.getI64IntegerAttr(scalarAttribute(signature, "axis")),
              mlir::kiln::IndexModeAttr::get(
                  builder.getContext(), wrap ? mlir::kiln::IndexMode::wrap
                                             : mlir::kiln::IndexMode::clip));
        }}},
      {"reshape",
       {1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value output,
           const KernelSignature &) -> mlir::Value {
          return builder.create<ReshapeOp>(
              loc, output.getType(), inputs[0],
              dynamicExtentsOf(builder, loc, output));
        }}},
      {"pad",
       {1,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          return createInferred<PadOp>(
              builder, loc, inputs[0],
              builder.getDenseI64ArrayAttr(attribute(signature, "low")),
              builder.getDenseI64ArrayAttr(attribute(signature, "high")),
              builder.getF64FloatAttr(signature.floatAttributes.count("value")
                                          ? floatAttribute(signature, "value")
                                          : 0.0));
        }}},
      {"scatter_add",
       {3,
        [](mlir::OpBuilder &builder, mlir::Location loc,
           mlir::ValueRange inputs, mlir::Value,
           const KernelSignature &signature) -> mlir::Value {
          const bool wrap = signature.attributes.count("mode") &&
                            scalarAttribute(signature, "mode") == 1;
          return createInferred<ScatterAddOp>(
              builder, loc, inputs[0], inputs[1], inputs[2],
              builder.getI64IntegerAttr(scalarAttribute(signature, "axis")),
              mlir::kiln::IndexModeAttr::get(
                  builder.getContext(), wrap ? mlir::kiln::IndexMode::wrap
                                             : mlir::kiln::IndexMode::clip));
        }}},
      {"random_uniform", randomGenerator<RandomUniformOp>("low", "high")},
      {"random_normal", randomGenerator<RandomNormalOp>("mean", "stddev")},
  };
  return table;
}

/// Every extent dynamic except the unit (broadcast) dimensions.
mlir::RankedTensorType argumentTensorType(mlir::MLIRContext &context,
                                          const ArgumentType &argument) {
  mlir::SmallVector<int64_t> shape;
  for (int64_t dim = 0; dim < argument.rank; ++dim)
    shape.push_back(argument.isUnitDim(dim) ? 1 : mlir::ShapedType::kDynamic);
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
    return mlir::IntegerType::get(&context, 8, mlir::IntegerType::Unsigned);
  }
  throw Error(formatMessage("the compiler does not support dtype ",
                            dtypeName(dtype), " yet"));
}

/// The kiln op `primitive` when it is elementwise (ElementwiseOpInterface),
/// which builds from its ODS definition alone; nullopt otherwise.
static std::optional<mlir::RegisteredOperationName>
elementwisePrimitive(mlir::MLIRContext &context, const std::string &primitive) {
  auto op =
      mlir::RegisteredOperationName::lookup("kiln." + primitive, &context);
  if (op && op->hasInterface<mlir::kiln::ElementwiseOpInterface>())
    return op;
  return std::nullopt;
}

bool hasKernelBuilder(mlir::MLIRContext &context,
                      const std::string &primitive) {
  return primitiveTable().count(primitive) ||
         elementwisePrimitive(context, primitive).has_value();
}

mlir::OwningOpRef<mlir::ModuleOp>
buildKernelModule(mlir::MLIRContext &context, const KernelSignature &signature,
                  const std::string &functionName) {
  std::optional<mlir::RegisteredOperationName> elementwiseOp =
      elementwisePrimitive(context, signature.primitive);
  PrimitiveInfo info{kVariadic, nullptr};
  if (elementwiseOp) {
    info.build = [&](mlir::OpBuilder &builder, mlir::Location loc,
                     mlir::ValueRange inputs, mlir::Value output,
                     const KernelSignature &) {
      return buildElementwise(builder, loc, *elementwiseOp, inputs, output);
    };
  } else {
    auto found = primitiveTable().find(signature.primitive);
    if (found == primitiveTable().end())
      throw Error(formatMessage("compiler: no kernel builder for primitive '",
                                signature.primitive, "'"));
    info = found->second;
  }
  const size_t given = signature.inputs.size();
  const bool arityMatches =
      info.numInputs == kVariadic
          ? given != 0
          : given >= info.numInputs &&
                given <= info.numInputs + info.optionalInputs;
  if (!arityMatches || signature.outputs.size() != 1)
    throw Error(formatMessage(
        "compiler: primitive '", signature.primitive, "' takes ",
        info.numInputs == kVariadic ? std::string("one or more")
        : info.optionalInputs
            ? formatMessage(info.numInputs, " to ",
                            info.numInputs + info.optionalInputs)
            : std::to_string(info.numInputs),
        " inputs and 1 output, got ", signature.key()));
  for (const std::vector<ArgumentType> *arguments :
       {&signature.inputs, &signature.outputs})
    for (const ArgumentType &argument : *arguments)
      if (argument.rank < 0 || argument.rank > kMaxKernelRank)
        throw Error(formatMessage("compiler: ", signature.key(),
                                  ": ranks must be 0 to ", kMaxKernelRank));

  // Verifier failures (a primitive given element types it does not take)
  // become the error's message instead of going to stderr.
  DiagnosticText diagnostics(&context);

  mlir::OpBuilder builder(&context);
  mlir::Location loc =
      mlir::NameLoc::get(builder.getStringAttr(signature.key()));
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);

  mlir::SmallVector<mlir::Type> argumentTypes;
  for (const ArgumentType &input : signature.inputs)
    argumentTypes.push_back(argumentTensorType(context, input));
  mlir::SmallVector<mlir::Type> outputTypes;
  for (const ArgumentType &output : signature.outputs)
    outputTypes.push_back(argumentTensorType(context, output));
  argumentTypes.append(outputTypes.begin(), outputTypes.end());

  builder.setInsertionPointToEnd(module->getBody());
  auto function = builder.create<mlir::func::FuncOp>(
      loc, functionName, builder.getFunctionType(argumentTypes, outputTypes));
  // The C interface wrapper takes each memref as a descriptor pointer: the
  // runtime's kernel ABI.
  function->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  const size_t numInputs = signature.inputs.size();
  // Inputs are read-only: bufferization must never write into them (a
  // scatter_add would otherwise update its dest argument in place).
  for (size_t i = 0; i < numInputs; ++i)
    function.setArgAttr(i, "bufferization.writable",
                        builder.getBoolAttr(false));
  for (size_t i = 0; i < outputTypes.size(); ++i)
    function.setArgAttr(numInputs + i, "bufferization.writable",
                        builder.getBoolAttr(true));

  mlir::Block *entry = function.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  mlir::ValueRange arguments = entry->getArguments();
  mlir::Value result;
  try {
    result = info.build(builder, loc, arguments.take_front(numInputs),
                        arguments[numInputs], signature);
  } catch (const InferenceFailed &) {
    throw Error(formatMessage("compiler: invalid kernel ", signature.key(), ":",
                              diagnostics.str()));
  }
  mlir::SmallVector<mlir::Value> results{result};

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
    throw Error(formatMessage("compiler: invalid kernel ", signature.key(), ":",
                              diagnostics.str()));
  return module;
}

} // namespace compiler
} // namespace kiln
