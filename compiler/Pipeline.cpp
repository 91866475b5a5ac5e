//===- Pipeline.cpp - kiln's lowering pipelines ---------------------------===//
#include "compiler/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir {
namespace kiln {

void buildLowerToLLVMPipeline(OpPassManager &pm, bool identityLayouts) {
  // Value semantics: kiln -> linalg on tensors.
  pm.addPass(createConvertKilnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKilnFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // Rank-0 operands (an optimizer's learning rate, a scalar argument) read
  // once before the loop instead of at every element: loaded inside, they
  // may alias the loop's stores, so LLVM neither hoists them nor vectorizes
  // (adam_update over 2^20 floats: scalar divides and square roots).
  pm.addPass(createKilnHoistScalarOperands());
  // After the canonicalizer, which may fold two results into one value.
  pm.addPass(createKilnMaterializeRepeatedResults());

  // Buffers. Outputs are written in place: empty-tensor elimination makes each
  // result's tensor.empty init the destination argument itself. Arguments get
  // fully dynamic strided layouts so views (transposes, slices) need no copy.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      identityLayouts ? bufferization::LayoutMapOption::IdentityLayoutMap
                      : bufferization::LayoutMapOption::FullyDynamicLayoutMap);
  // Copies as linalg.copy, which becomes loops like everything else, rather
  // than memref.copy, which would call into MLIR's runtime library.
  bufferization.memCpyFn = [](OpBuilder &builder, Location loc, Value from,
                              Value to) {
    builder.create<linalg::CopyOp>(loc, from, to);
    return success();
  };
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  pm.addPass(createCanonicalizerPass());
  // One size computation per extent (memref.dim of an argument), so that
  // buffers of one shape are recognized as such; then intermediates whose
  // lives do not overlap share memory.
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createKilnPlanMemory());
  // Intermediate buffers of graph kernels (reductions, library calls) are
  // freed where their last use is; without this every call leaked them.
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKilnMatmulToDnnl());
  pm.addPass(createKilnLibraryCallToFunc());

  // Loops; math as vectorizable polynomials (f32) or libm calls (f64); then
  // LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createKilnLowerMath());
  // ceildivsi and friends (slice bounds) have no direct LLVM lowering. bf16
  // conversions become integer code: LLVM rounds f32 to bf16 with an
  // instruction only on AVX-512 BF16 and otherwise calls __truncsfbf2, which
  // GCC 12's libgcc lacks (the JIT then fails to link the kernel).
  arith::ArithExpandOpsPassOptions expandOptions;
  expandOptions.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expandOptions));
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // aligned_alloc rather than malloc plus pointer arithmetic: LLVM knows
  // what an allocation function returns aliases nothing else, so a kernel's
  // temporary buffers (the accumulators of merged reductions) can live in
  // registers; an aligned pointer made by inttoptr could alias anything.
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void registerKilnPassesAndPipelines() {
  registerKilnPasses();
  PassPipelineRegistration<>(
      "kiln-lower-to-llvm",
      "Lower kiln kernel functions to the LLVM dialect (kiln -> linalg -> "
      "buffers -> loops -> LLVM)",
      [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm); });
}

} // namespace kiln
} // namespace mlir
