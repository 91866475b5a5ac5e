//===- LoopInterleave.cpp - interleave hints for latency-bound loops ------===//
#include "compiler/cpu/LoopInterleave.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"

namespace kiln {
namespace compiler {
namespace {

/// Measured on a 2-core Zen 4 with a fused chain of exp, tanh and sigmoid
/// (jit_expr, 2^20 f32, one thread): interleave 1 -> 1.99 ms, 2 -> 1.71 ms,
/// 4 -> 1.41 ms, 8 -> 1.67 ms (spills). Very long bodies spill at 4 already.
constexpr unsigned kInterleaveCount = 4;
constexpr unsigned kLongBodyFloatOps = 240;
constexpr unsigned kLongBodyInterleaveCount = 2;

bool isFloatOperation(const llvm::Instruction &instruction) {
  if (llvm::isa<llvm::FCmpInst>(instruction))
    return true;
  if (!instruction.getType()->isFPOrFPVectorTy())
    return false;
  if (llvm::isa<llvm::BinaryOperator>(instruction) ||
      llvm::isa<llvm::UnaryOperator>(instruction) ||
      llvm::isa<llvm::SelectInst>(instruction) ||
      llvm::isa<llvm::CastInst>(instruction))
    return true;
  return llvm::isa<llvm::IntrinsicInst>(instruction);
}

unsigned countFloatOperations(const llvm::Loop &loop) {
  unsigned count = 0;
  for (const llvm::BasicBlock *block : loop.blocks())
    for (const llvm::Instruction &instruction : *block)
      count += isFloatOperation(instruction);
  return count;
}

void setInterleaveCount(llvm::Loop &loop, unsigned interleaveCount) {
  llvm::LLVMContext &context = loop.getHeader()->getContext();
  llvm::Metadata *count[] = {
      llvm::MDString::get(context, "llvm.loop.interleave.count"),
      llvm::ConstantAsMetadata::get(llvm::ConstantInt::get(
          llvm::Type::getInt32Ty(context), interleaveCount))};
  // A loop ID is distinct and names itself first, as LLVM requires.
  auto placeholder = llvm::MDNode::getTemporary(context, {});
  llvm::Metadata *operands[] = {placeholder.get(),
                                llvm::MDNode::get(context, count)};
  llvm::MDNode *loopID = llvm::MDNode::getDistinct(context, operands);
  loopID->replaceOperandWith(0, loopID);
  loop.setLoopID(loopID);
}

} // namespace

void interleaveLatencyBoundLoops(llvm::Module &module) {
  for (llvm::Function &function : module) {
    if (function.isDeclaration())
      continue;
    llvm::DominatorTree dominators(function);
    llvm::LoopInfo loops(dominators);
    for (llvm::Loop *loop : loops.getLoopsInPreorder()) {
      if (!loop->isInnermost() || loop->getLoopID() || !loop->getLoopLatch())
        continue;
      const unsigned floatOps = countFloatOperations(*loop);
      if (floatOps < kInterleaveMinFloatOps)
        continue;
      setInterleaveCount(*loop, floatOps > kLongBodyFloatOps
                                    ? kLongBodyInterleaveCount
                                    : kInterleaveCount);
    }
  }
}

} // namespace compiler
} // namespace kiln
