//===- FuseElementwise.cpp - one kernel per chain of elementwise ops ------===//
//
// Fuses linalg.generic producers into their consumers (MLIR's elementwise
// fusion on tensors), so a chain of elementwise and broadcast ops, ending in a
// reduction or not, becomes one loop nest that reads each input once. Splat
// constants fold into the body.
//
// A producer with several consumers is fused into each of them only when its
// body is cheap to recompute (plain arithmetic, no math library calls);
// otherwise it stays a kernel of its own and its result is materialized once.
//
// Then sibling reductions merge: two reductions over the same iteration
// domain (they read one tensor through the same permutation map), neither
// using the other's result, become one loop nest with both accumulators, so
// that the inputs they share are read once (BatchNorm's backward sums dy and
// dy * (x - mean) per channel in one pass instead of two).
//
// A function marked `kiln.one_pass` (a flat kernel of several results: every
// array has one length, and an optimizer update writes its states and weight
// in place) must become one loop: its loop nests merge in order, a later one
// reading an earlier one's results as the values computed in the same
// iteration. Then element i of every input is read before element i of any
// output is written, whatever aliases what. The pass fails where that cannot
// be done, so the caller can fall back to separate buffers.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNFUSEELEMENTWISE
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

/// At most this many arith ops may be recomputed per element when a
/// multi-use producer is fused into each consumer.
constexpr int kCheapBodyOps = 8;

/// At most this many ops in a consumer's body after a fusion that
/// duplicates its producer. Each duplicating fusion copies the producer's
/// body once per operand reading it, so a chain of diamonds (every value
/// used twice, as in x * x or in the gradients autodiff writes) would
/// otherwise double the consumer's body at every step: 2^n ops, and a
/// compile that never ends, for n chained squares.
constexpr int kMaxDuplicatedBodyOps = 64;

int bodyOps(linalg::GenericOp op) {
  return static_cast<int>(op.getBody()->getOperations().size()) - 1;
}

bool isCheapToRecompute(linalg::GenericOp producer) {
  int count = 0;
  for (Operation &op : producer.getBody()->without_terminator()) {
    if (isa<math::MathDialect>(op.getDialect()))
      return false;
    if (isa<arith::DivFOp, arith::DivSIOp, arith::RemFOp, arith::RemSIOp>(op))
      return false;
    ++count;
  }
  return count <= kCheapBodyOps;
}

bool shouldFuse(OpOperand *fusedOperand) {
  auto producer = fusedOperand->get().getDefiningOp<linalg::GenericOp>();
  if (!producer)
    return true; // Constants and fills: always.
  Value result = fusedOperand->get();
  if (result.hasOneUse())
    return true;
  if (!isCheapToRecompute(producer))
    return false;
  auto consumer = dyn_cast<linalg::GenericOp>(fusedOperand->getOwner());
  if (!consumer)
    return true;
  int copies = 0;
  for (OpOperand *input : consumer.getDpsInputOperands())
    copies += input->get() == result ? 1 : 0;
  return bodyOps(consumer) + copies * bodyOps(producer) <=
         kMaxDuplicatedBodyOps;
}

bool hasReduction(linalg::GenericOp op) {
  return llvm::any_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
    return t == utils::IteratorType::reduction;
  });
}

/// The ops between `first` and `second` (later in the same block) that use
/// `first`'s results, directly or through each other, in block order; none
/// when `second` uses one of them, or `first` itself unless
/// `secondMayReadFirst`.
std::optional<SmallVector<Operation *>>
dependentsBetween(Operation *first, Operation *second,
                  bool secondMayReadFirst = false) {
  llvm::SmallPtrSet<Operation *, 8> dependent = {first};
  SmallVector<Operation *> between;
  for (Operation *op = first->getNextNode(); op; op = op->getNextNode()) {
    bool uses = false;
    op->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        if (Operation *definer = operand.getDefiningOp())
          uses |= dependent.contains(definer) &&
                  !(op == second && secondMayReadFirst && definer == first);
    });
    if (op == second)
      return uses ? std::nullopt
                  : std::optional<SmallVector<Operation *>>(between);
    if (uses) {
      dependent.insert(op);
      between.push_back(op);
    }
  }
  return std::nullopt;
}

/// Where `first` and `second` (later in the same block) can become one loop
/// nest, the ops between them that must move after `second`
/// (dependentsBetween); none where they cannot. They can when both are
/// reductions over the same loops, iterating one tensor through the same
/// permutation (so their loop ranges are equal), and `second` does not
/// depend on `first`.
std::optional<SmallVector<Operation *>>
siblingReductions(linalg::GenericOp first, linalg::GenericOp second) {
  if (first->getBlock() != second->getBlock() || !hasReduction(first) ||
      !hasReduction(second) || !first.hasPureTensorSemantics() ||
      !second.hasPureTensorSemantics() ||
      first.getIteratorTypesArray() != second.getIteratorTypesArray())
    return std::nullopt;
  bool sameDomain = false;
  for (OpOperand *a : first.getDpsInputOperands())
    for (OpOperand *b : second.getDpsInputOperands()) {
      AffineMap map = first.getMatchingIndexingMap(a);
      if (a->get() == b->get() && map.isPermutation() &&
          map == second.getMatchingIndexingMap(b))
        sameDomain = true;
    }
  if (!sameDomain)
    return std::nullopt;
  return dependentsBetween(first, second);
}

/// Whether `second` reads `first`'s results, if at all, only as inputs
/// through the indexing map `first` writes them with: element by element,
/// so that one loop can hand each value over within an iteration.
bool readsElementwise(linalg::GenericOp first, linalg::GenericOp second) {
  for (OpOperand &operand : second->getOpOperands()) {
    auto result = dyn_cast<OpResult>(operand.get());
    if (!result || result.getOwner() != first.getOperation())
      continue;
    if (!second.isDpsInput(&operand) ||
        second.getMatchingIndexingMap(&operand) !=
            first.getIndexingMapMatchingResult(result))
      return false;
  }
  return true;
}

/// `first` and `second` as one linalg.generic at `second`'s place: inputs
/// (those `second` shares with `first` once) and outputs concatenated, both
/// bodies in one block, both yields; an input of `second` that is a result
/// of `first` (readsElementwise) becomes the value `first`'s body yields.
/// `dependents` (dependentsBetween's), which use `first`'s results before
/// `second` (a reshape of a sum), move after it, in order, to follow the
/// merged op.
void mergeSiblings(linalg::GenericOp first, linalg::GenericOp second,
                   ArrayRef<Operation *> dependents) {
  Operation *after = second;
  for (Operation *op : dependents) {
    op->moveAfter(after);
    after = op;
  }
  OpBuilder builder(second);
  Block *firstBody = first.getBody(), *secondBody = second.getBody();
  SmallVector<Value> inputs, outputs;
  SmallVector<AffineMap> inputMaps, outputMaps;
  SmallVector<Type> argumentTypes;
  // Block argument positions (inputs first, then outputs) of each op's
  // arguments in the merged block; kFromFirst + k for `second`'s arguments
  // that are `first`'s result k.
  constexpr unsigned kFromFirst = 1u << 30;
  SmallVector<unsigned> firstPositions, secondPositions;
  auto addInput = [&](linalg::GenericOp op, OpOperand *operand,
                      SmallVector<unsigned> &positions) {
    if (auto result = dyn_cast<OpResult>(operand->get());
        result && result.getOwner() == first.getOperation()) {
      positions.push_back(kFromFirst + result.getResultNumber());
      return;
    }
    AffineMap map = op.getMatchingIndexingMap(operand);
    for (unsigned i = 0; i < inputs.size(); ++i)
      if (inputs[i] == operand->get() && inputMaps[i] == map) {
        positions.push_back(i);
        return;
      }
    positions.push_back(inputs.size());
    inputs.push_back(operand->get());
    inputMaps.push_back(map);
    argumentTypes.push_back(
        op.getBody()->getArgument(operand->getOperandNumber()).getType());
  };
  for (OpOperand *operand : first.getDpsInputOperands())
    addInput(first, operand, firstPositions);
  for (OpOperand *operand : second.getDpsInputOperands())
    addInput(second, operand, secondPositions);
  for (auto [op, positions] : {std::make_pair(first, &firstPositions),
                               std::make_pair(second, &secondPositions)})
    for (OpOperand &operand : op.getDpsInitsMutable()) {
      positions->push_back(inputs.size() + outputs.size());
      outputs.push_back(operand.get());
      outputMaps.push_back(op.getMatchingIndexingMap(&operand));
    }
  SmallVector<AffineMap> maps(inputMaps);
  llvm::append_range(maps, outputMaps);
  SmallVector<Type> results(first->getResultTypes());
  llvm::append_range(results, second->getResultTypes());
  auto merged = builder.create<linalg::GenericOp>(
      second.getLoc(), results, inputs, outputs, maps,
      first.getIteratorTypesArray());
  Block *block = builder.createBlock(&merged.getRegion());
  for (Type type : argumentTypes)
    block->addArgument(type, second.getLoc());
  for (Value output : outputs)
    block->addArgument(cast<ShapedType>(output.getType()).getElementType(),
                       second.getLoc());
  IRMapping mapping;
  SmallVector<Value> yielded;
  for (auto [body, positions] :
       {std::make_pair(firstBody, &firstPositions),
        std::make_pair(secondBody, &secondPositions)}) {
    for (unsigned i = 0; i < body->getNumArguments(); ++i) {
      const unsigned position = (*positions)[i];
      mapping.map(body->getArgument(i), position >= kFromFirst
                                            ? yielded[position - kFromFirst]
                                            : block->getArgument(position));
    }
    for (Operation &inner : body->without_terminator())
      builder.clone(inner, mapping);
    for (Value value : body->getTerminator()->getOperands())
      yielded.push_back(mapping.lookupOrDefault(value));
  }
  builder.create<linalg::YieldOp>(second.getLoc(), yielded);
  const unsigned firstResults = first->getNumResults();
  first->replaceAllUsesWith(merged->getResults().take_front(firstResults));
  second->replaceAllUsesWith(merged->getResults().drop_front(firstResults));
  first->erase();
  second->erase();
}

/// Merges sibling reductions under `root` until none are left.
void mergeSiblingReductions(Operation *root) {
  bool merged = true;
  while (merged) {
    merged = false;
    SmallVector<linalg::GenericOp> generics;
    root->walk([&](linalg::GenericOp op) { generics.push_back(op); });
    // The walk visits the ops of a block in order.
    for (size_t i = 0; i < generics.size() && !merged; ++i)
      for (size_t j = i + 1; j < generics.size() && !merged; ++j)
        if (std::optional<SmallVector<Operation *>> dependents =
                siblingReductions(generics[i], generics[j])) {
          mergeSiblings(generics[i], generics[j], *dependents);
          merged = true;
        }
  }
}

/// Merges the loop nests of `function` (marked kiln.one_pass) into one, in
/// order (see the file comment); an error where two cannot merge. Generics
/// without loops (scalar arithmetic) stay.
LogicalResult mergeIntoOnePass(func::FuncOp function) {
  while (true) {
    SmallVector<linalg::GenericOp> loops;
    function.walk([&](linalg::GenericOp op) {
      if (op.getNumLoops() > 0)
        loops.push_back(op);
    });
    if (loops.size() <= 1)
      return success();
    bool merged = false;
    for (size_t i = 0; i + 1 < loops.size() && !merged; ++i) {
      linalg::GenericOp first = loops[i], second = loops[i + 1];
      if (first->getBlock() != second->getBlock() ||
          !first.hasPureTensorSemantics() || !second.hasPureTensorSemantics() ||
          hasReduction(first) || hasReduction(second) ||
          first.getNumLoops() != second.getNumLoops() ||
          !readsElementwise(first, second))
        continue;
      if (std::optional<SmallVector<Operation *>> dependents =
              dependentsBetween(first, second, /*secondMayReadFirst=*/true)) {
        mergeSiblings(first, second, *dependents);
        merged = true;
      }
    }
    if (!merged)
      return function.emitError() << "kiln.one_pass: " << loops.size()
                                  << " loop nests cannot merge into one";
  }
}

struct KilnFuseElementwisePass
    : public mlir::kiln::impl::KilnFuseElementwiseBase<
          KilnFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // First one operand per distinct input (x * x reads x once), so that
    // fusing a producer into it copies the producer's body once.
    {
      RewritePatternSet deduplicate(context);
      linalg::populateEraseUnusedOperandsAndResultsPatterns(deduplicate);
      if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                              std::move(deduplicate))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    // Fused producers whose results nobody uses any more disappear.
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    mergeSiblingReductions(getOperation());
    bool onePass = false;
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (!function->hasAttr("kiln.one_pass"))
        continue;
      if (failed(mergeIntoOnePass(function)))
        return signalPassFailure();
      onePass = true;
    }
    if (!onePass)
      return;
    // Results only the merged-in consumers read are dead now.
    RewritePatternSet cleanup(context);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(cleanup);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(cleanup))))
      signalPassFailure();
  }
};

} // namespace
