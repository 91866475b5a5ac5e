//===- LoopHints.cpp - loop metadata for LLVM's vectorizer ----------------===//
#include "compiler/cpu/LoopHints.h"

#include <algorithm>

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Operator.h"

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

/// The type of the loop's floating-point accumulator, or null where the loop
/// accumulates no float: a float phi in its header, or (before LLVM keeps
/// it in a register, as kiln's lowered reductions are) an accumulation the
/// compiler allowed to reassociate, which only reductions are.
llvm::Type *floatAccumulator(const llvm::Loop &loop) {
  for (const llvm::PHINode &phi : loop.getHeader()->phis())
    if (phi.getType()->isFloatingPointTy())
      return phi.getType();
  for (const llvm::BasicBlock *block : loop.blocks())
    for (const llvm::Instruction &instruction : *block)
      if (llvm::isa<llvm::FPMathOperator>(instruction) &&
          instruction.getType()->isFloatingPointTy() &&
          instruction.hasAllowReassoc())
        return instruction.getType();
  return nullptr;
}

llvm::MDNode *intHint(llvm::LLVMContext &context, const char *name,
                      unsigned value) {
  return llvm::MDNode::get(
      context, {llvm::MDString::get(context, name),
                llvm::ConstantAsMetadata::get(llvm::ConstantInt::get(
                    llvm::Type::getInt32Ty(context), value))});
}

unsigned countFloatOperations(const llvm::Loop &loop) {
  unsigned count = 0;
  for (const llvm::BasicBlock *block : loop.blocks())
    for (const llvm::Instruction &instruction : *block)
      count += isFloatOperation(instruction);
  return count;
}

/// Puts every memory access of `loop` in a new access group; returns it.
llvm::MDNode *groupMemoryAccesses(llvm::Loop &loop) {
  llvm::LLVMContext &context = loop.getHeader()->getContext();
  llvm::MDNode *group = llvm::MDNode::getDistinct(context, {});
  for (llvm::BasicBlock *block : loop.blocks())
    for (llvm::Instruction &instruction : *block)
      if (instruction.mayReadOrWriteMemory())
        instruction.setMetadata(llvm::LLVMContext::MD_access_group, group);
  return group;
}

} // namespace

void addLoopHints(llvm::Module &module, bool independentIterations,
                  unsigned vectorBits) {
  for (llvm::Function &function : module) {
    if (function.isDeclaration())
      continue;
    llvm::DominatorTree dominators(function);
    llvm::LoopInfo loops(dominators);
    for (llvm::Loop *loop : loops.getLoopsInPreorder()) {
      if (!loop->isInnermost() || loop->getLoopID() || !loop->getLoopLatch())
        continue;
      llvm::LLVMContext &context = loop->getHeader()->getContext();
      llvm::SmallVector<llvm::Metadata *> hints;
      const unsigned floatOps = countFloatOperations(*loop);
      llvm::Type *accumulator = floatAccumulator(*loop);
      if (accumulator && vectorBits) {
        // A reassociated sum adds in the order lanes x interleave fix: the
        // same for every loop that accumulates this type, whatever else its
        // body does (fused or not), so fusion changes no bits.
        const unsigned bits = accumulator->getPrimitiveSizeInBits();
        hints.push_back(intHint(context, "llvm.loop.vectorize.width",
                                std::max(1u, vectorBits / bits)));
        hints.push_back(intHint(context, "llvm.loop.interleave.count",
                                kReductionInterleaveCount));
      } else if (floatOps >= kInterleaveMinFloatOps) {
        const unsigned count = floatOps > kLongBodyFloatOps
                                   ? kLongBodyInterleaveCount
                                   : kInterleaveCount;
        hints.push_back(intHint(context, "llvm.loop.interleave.count", count));
      }
      if (independentIterations)
        hints.push_back(llvm::MDNode::get(
            context,
            {llvm::MDString::get(context, "llvm.loop.parallel_accesses"),
             groupMemoryAccesses(*loop)}));
      if (hints.empty())
        continue;
      // A loop ID is distinct and names itself first, as LLVM requires.
      auto placeholder = llvm::MDNode::getTemporary(context, {});
      hints.insert(hints.begin(), placeholder.get());
      llvm::MDNode *loopID = llvm::MDNode::getDistinct(context, hints);
      loopID->replaceOperandWith(0, loopID);
      loop->setLoopID(loopID);
    }
  }
}

} // namespace compiler
} // namespace kiln
