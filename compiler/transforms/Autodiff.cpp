//===- Autodiff.cpp - reverse-mode gradients of kiln functions ------------===//
//
// kiln-autodiff: for a function marked `kiln.differentiate`, a second
// function that returns its results and the gradients of its floating-point
// arguments. The backward ops come from each primitive's
// GradientOpInterface (dialects/kiln/KilnGradients.cpp), so the gradient is
// itself a kiln function: the rest of the pipeline fuses its elementwise
// chains with the forward's and plans its memory like any other kernel.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"
#include "dialects/kiln/KilnOps.h"
#include "dialects/kiln/KilnTraits.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <optional>

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNAUTODIFF
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kDifferentiate = "kiln.differentiate";
constexpr llvm::StringLiteral kGradientOf = "kiln.gradient_of";
constexpr llvm::StringLiteral kGradReq = "kiln.grad_req";
constexpr llvm::StringLiteral kGradientsOnly = "kiln.gradients_only";

/// A ranked tensor of one of kiln's float types: what takes a gradient (an
/// argument) or a cotangent (a result).
bool isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return false;
  Type element = tensor.getElementType();
  return element.isF16() || element.isBF16() || element.isF32() ||
         element.isF64();
}

/// Whether a gradient could flow through a value of `type`: a float scalar
/// or a tensor of floats, ranked or not. Wider than isFloatTensor, so that
/// a gradient leaving tensors (tensor.extract) or their ranks (a cast to
/// an unranked tensor) stops at an error at the op that cannot pass it on,
/// instead of silently becoming zero.
bool carriesGradient(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  return isa<FloatType>(type);
}

constexpr llvm::StringLiteral kDifferentiableTypes =
    "only ranked tensors of f16, bf16, f32 or f64 do";

/// The reverse sweep over one function body: the cotangent of each value
/// the gradient reaches, summed over the value's uses.
class ReverseSweep {
public:
  ReverseSweep(OpBuilder &builder, const DenseSet<Value> &active)
      : builder(builder), active(active) {}

  /// Adds `gradient` to the cotangent of `value` (seen with its type).
  void accumulate(Location loc, Value value, Value gradient) {
    if (!active.contains(value))
      return;
    if (gradient.getType() != value.getType())
      gradient = builder.create<tensor::CastOp>(loc, value.getType(), gradient);
    auto [entry, inserted] = cotangents.try_emplace(value, gradient);
    if (!inserted)
      entry->second = builder.create<kiln::AddOp>(loc, entry->second, gradient);
  }

  Value cotangent(Value value) const { return cotangents.lookup(value); }

  /// Sends the cotangents of `op`'s results to its operands.
  LogicalResult visit(Operation *op) {
    if (llvm::none_of(op->getResults(),
                      [&](Value result) { return cotangents.count(result); }))
      return success();
    // Only operands that depend on an argument take a gradient.
    if (llvm::none_of(op->getOperands(),
                      [&](Value operand) { return active.contains(operand); }))
      return success();
    Location loc = op->getLoc();
    if (auto cast = dyn_cast<tensor::CastOp>(op)) {
      accumulate(loc, cast.getSource(), cotangent(cast.getResult()));
      return success();
    }
    if (op->hasTrait<kiln::OpTrait::NoGradient>())
      return success();
    auto rule = dyn_cast<kiln::GradientOpInterface>(op);
    if (!rule)
      return op->emitOpError()
             << "has no gradient rule: kiln-autodiff cannot differentiate "
                "through it";
    SmallVector<Value> resultGradients;
    for (Value result : op->getResults()) {
      Value gradient = cotangent(result);
      if (!gradient && isFloatTensor(result.getType()))
        gradient = kiln::buildZerosLike(builder, loc, result);
      resultGradients.push_back(gradient);
    }
    SmallVector<Value> operandGradients(op->getNumOperands());
    if (failed(rule.buildGradient(builder, resultGradients, operandGradients)))
      return failure();
    for (auto [operand, gradient] :
         llvm::zip_equal(op->getOperands(), operandGradients))
      if (gradient && isFloatTensor(operand.getType()))
        accumulate(loc, operand, gradient);
    return success();
  }

private:
  OpBuilder &builder;
  const DenseSet<Value> &active;
  DenseMap<Value, Value> cotangents;
};

/// MXNet's grad_req of an argument: its gradient written, added to the
/// one passed in, or not computed.
enum class GradReq { Write, Add, Null };

/// Each argument's grad_req: from `kiln.grad_req` (one string per
/// argument), else write for floating-point arguments and null for the
/// others. Fails on a malformed attribute or a gradient asked of an
/// integer argument.
FailureOr<SmallVector<GradReq>> gradientRequests(func::FuncOp function) {
  FunctionType type = function.getFunctionType();
  SmallVector<GradReq> requests;
  auto given = function->getAttrOfType<ArrayAttr>(kGradReq);
  if (!given) {
    if (Attribute other = function->getAttr(kGradReq))
      return function.emitError("kiln-autodiff: ")
             << kGradReq << " must be an array of strings, got " << other;
    for (Type argument : type.getInputs())
      requests.push_back(isFloatTensor(argument) ? GradReq::Write
                                                 : GradReq::Null);
    return requests;
  }
  if (given.size() != type.getNumInputs())
    return function.emitError("kiln-autodiff: ")
           << kGradReq << " has " << given.size() << " entries for "
           << type.getNumInputs() << " arguments";
  for (auto [i, entry] : llvm::enumerate(given)) {
    auto name = dyn_cast<StringAttr>(entry);
    std::optional<GradReq> request;
    if (name && name.getValue() == "write")
      request = GradReq::Write;
    else if (name && name.getValue() == "add")
      request = GradReq::Add;
    else if (name && name.getValue() == "null")
      request = GradReq::Null;
    if (!request)
      return function.emitError("kiln-autodiff: ")
             << kGradReq << " of argument " << i
             << ": expected \"write\", \"add\" or \"null\", got " << entry;
    if (*request != GradReq::Null && !isFloatTensor(type.getInput(i)))
      return function.emitError("kiln-autodiff: ")
             << kGradReq << " of argument " << i << " is " << name << ", but "
             << type.getInput(i)
             << " takes no gradient: " << kDifferentiableTypes;
    requests.push_back(*request);
  }
  return requests;
}

/// The float values of `body` that depend on an argument whose gradient is
/// requested: the only ones whose gradient anything needs. Ops marked
/// Kiln_NoGradient give constants.
DenseSet<Value> activeValues(Block &body, ArrayRef<GradReq> requests) {
  DenseSet<Value> active;
  for (auto [argument, request] : llvm::zip(body.getArguments(), requests))
    if (request != GradReq::Null)
      active.insert(argument);
  for (Operation &op : body) {
    if (op.hasTrait<kiln::OpTrait::NoGradient>() ||
        llvm::none_of(op.getOperands(),
                      [&](Value operand) { return active.contains(operand); }))
      continue;
    for (Value result : op.getResults())
      if (carriesGradient(result.getType()))
        active.insert(result);
  }
  return active;
}

/// Builds `@<name>_grad` for `forward` next to it.
LogicalResult buildGradientFunction(func::FuncOp forward) {
  if (forward.isExternal())
    return forward.emitError("kiln-autodiff: '")
           << forward.getSymName() << "' has no body to differentiate";
  if (!forward.getBody().hasOneBlock())
    return forward.emitError("kiln-autodiff: '")
           << forward.getSymName() << "' has several blocks; only straight-"
           << "line kiln functions can be differentiated";
  for (Operation &op : forward.getBody().front())
    if (op.getNumRegions() != 0)
      return op.emitOpError("has regions; kiln-autodiff differentiates only "
                            "straight-line kiln functions");

  std::string gradientName = (forward.getSymName() + "_grad").str();
  auto module = forward->getParentOfType<ModuleOp>();
  if (module.lookupSymbol(gradientName))
    return forward.emitError("kiln-autodiff: '")
           << gradientName << "' already exists";

  FunctionType forwardType = forward.getFunctionType();
  FailureOr<SmallVector<GradReq>> requests = gradientRequests(forward);
  if (failed(requests))
    return failure();
  SmallVector<Type> inputs(forwardType.getInputs());
  SmallVector<unsigned> floatResults;
  for (auto [i, type] : llvm::enumerate(forwardType.getResults())) {
    if (isFloatTensor(type)) {
      floatResults.push_back(i);
      inputs.push_back(type);
    } else if (carriesGradient(type)) {
      return forward.emitError("kiln-autodiff: result ")
             << i << " of '" << forward.getSymName() << "' is a " << type
             << ", which takes no cotangent: " << kDifferentiableTypes;
    }
  }
  // The forward's results first, unless only gradients are asked for.
  const bool gradientsOnly = forward->hasAttr(kGradientsOnly);
  SmallVector<Type> outputs;
  if (!gradientsOnly)
    llvm::append_range(outputs, forwardType.getResults());
  SmallVector<int64_t> differentiated;
  for (auto [i, type] : llvm::enumerate(forwardType.getInputs())) {
    if ((*requests)[i] == GradReq::Null)
      continue;
    differentiated.push_back(static_cast<int64_t>(i));
    outputs.push_back(type);
    // The gradient so far, which the new one is added to.
    if ((*requests)[i] == GradReq::Add)
      inputs.push_back(type);
  }

  OpBuilder builder(forward);
  builder.setInsertionPointAfter(forward);
  Location loc = forward.getLoc();
  auto gradient = builder.create<func::FuncOp>(
      loc, gradientName, builder.getFunctionType(inputs, outputs));
  gradient->setAttr(kGradientOf, builder.getDenseI64ArrayAttr(differentiated));
  Block *body = gradient.addEntryBlock();
  builder.setInsertionPointToStart(body);

  // The forward, cloned.
  Block &forwardBody = forward.getBody().front();
  IRMapping mapping;
  for (auto [from, to] :
       llvm::zip(forwardBody.getArguments(), body->getArguments()))
    mapping.map(from, to);
  SmallVector<Operation *> forwardOps;
  auto forwardReturn = cast<func::ReturnOp>(forwardBody.getTerminator());
  for (Operation &op : forwardBody.without_terminator())
    forwardOps.push_back(builder.clone(op, mapping));
  SmallVector<Value> results;
  for (Value result : forwardReturn.getOperands())
    results.push_back(mapping.lookup(result));

  // The reverse sweep, seeded with the cotangent arguments. Arguments
  // with grad_req null are constants to it.
  DenseSet<Value> active = activeValues(*body, *requests);
  ReverseSweep sweep(builder, active);
  const unsigned numArguments = forwardType.getNumInputs();
  for (auto [k, resultIndex] : llvm::enumerate(floatResults))
    sweep.accumulate(loc, results[resultIndex],
                     body->getArgument(numArguments + k));
  for (Operation *op : llvm::reverse(forwardOps))
    if (failed(sweep.visit(op)))
      return failure();

  SmallVector<Value> returned;
  if (!gradientsOnly)
    llvm::append_range(returned, results);
  unsigned nextAccumulated = numArguments + floatResults.size();
  for (int64_t index : differentiated) {
    BlockArgument argument = body->getArgument(index);
    Value argumentGradient = sweep.cotangent(argument);
    if ((*requests)[index] == GradReq::Add) {
      Value previous = body->getArgument(nextAccumulated++);
      argumentGradient =
          argumentGradient
              ? builder.create<kiln::AddOp>(loc, previous, argumentGradient)
              : previous;
    }
    if (!argumentGradient)
      argumentGradient = kiln::buildZerosLike(builder, loc, argument);
    returned.push_back(argumentGradient);
  }
  builder.create<func::ReturnOp>(loc, returned);

  // Rules build the gradient of every operand; drop those nothing uses
  // (gradients of constants, of values no argument reaches).
  SmallVector<Operation *> ops;
  for (Operation &op : body->without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
  return success();
}

struct KilnAutodiffPass
    : public kiln::impl::KilnAutodiffBase<KilnAutodiffPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> marked;
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      Attribute mark = function->getAttr(kDifferentiate);
      if (!mark)
        continue;
      auto flag = dyn_cast<BoolAttr>(mark);
      if (!flag && !isa<UnitAttr>(mark)) {
        function.emitError("kiln-autodiff: ")
            << kDifferentiate << " must be a unit or bool attribute, got "
            << mark;
        return signalPassFailure();
      }
      if (!flag || flag.getValue())
        marked.push_back(function);
      else
        function->removeAttr(kDifferentiate);
    }
    for (func::FuncOp function : marked) {
      if (failed(buildGradientFunction(function)))
        return signalPassFailure();
      // Done: running the pass again adds nothing.
      function->removeAttr(kDifferentiate);
      function->removeAttr(kGradReq);
      function->removeAttr(kGradientsOnly);
    }
  }
};

} // namespace
