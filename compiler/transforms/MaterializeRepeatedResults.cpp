//===- MaterializeRepeatedResults.cpp - one write per value, then copies --===//
//
// A value a graph kernel returns twice is written twice into output
// arguments. Read from the value for both writes, one-shot bufferization may
// place the value in the first output and then find the second write
// reading it after that (in-place) write: a read-after-write conflict it
// reports as unavoidable, depending on the order it visits aliases in (so
// on addresses). Reading the first write's result instead states the order
// outright: the second write is a copy of the first output.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNMATERIALIZEREPEATEDRESULTS
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

struct KilnMaterializeRepeatedResultsPass
    : public mlir::kiln::impl::KilnMaterializeRepeatedResultsBase<
          KilnMaterializeRepeatedResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](Block *block) {
      // Each value's first write in this block (its tensor result).
      llvm::DenseMap<Value, Value> firstWrite;
      for (Operation &op : *block) {
        auto write = dyn_cast<bufferization::MaterializeInDestinationOp>(op);
        if (!write || !write.getResult())
          continue;
        Value source = write.getSource();
        auto [first, isFirst] =
            firstWrite.try_emplace(source, write.getResult());
        if (!isFirst && first->second.getType() == source.getType())
          write.getSourceMutable().assign(first->second);
      }
    });
  }
};

} // namespace
