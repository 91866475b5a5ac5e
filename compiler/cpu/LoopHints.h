//===- LoopHints.h - loop metadata for LLVM's vectorizer --------*- C++ -*-===//
//
// Facts about kiln's kernel loops that LLVM cannot derive, written as loop
// metadata before the optimization pipeline runs:
//
// * Interleaving. The vectorizer picks how many vector iterations to
//   interleave from a cost model that assumes small bodies. A fused
//   elementwise kernel can carry a long dependency chain per element (exp,
//   tanh and sigmoid after one another are ~100 dependent vector
//   instructions); one iteration at a time leaves the core waiting on
//   latencies while its units idle.
// * Independent iterations. In an elementwise kernel each output element
//   depends only on the inputs at its own index, but an output may be one of
//   the inputs (an optimizer's in-place update, memory planning's in-place
//   buffers). LLVM's runtime overlap check then fails and the scalar loop
//   runs: adam_update's weight pass took 1.2 ms per 2^20 floats in scalar
//   square roots and divides.
// * The order of reassociated sums. A vectorized float reduction adds in an
//   order set by its vector width and interleave count, which LLVM's cost
//   model picks from the whole loop body and the target's registers: on
//   AVX2, BatchNorm's backward fused with ReLU summed in another order than
//   BatchNorm's own kernel, and their gradients differed in the last bit.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_CPU_LOOPHINTS_H
#define KILN_COMPILER_CPU_LOOPHINTS_H

namespace llvm {
class Module;
} // namespace llvm

namespace kiln {
namespace compiler {

/// Writes loop metadata on each innermost loop of `module` (loops that
/// already carry some are left alone):
/// * where the loop accumulates a float (a float phi in its header, or an
///   operation allowed to reassociate, as kiln's reductions' accumulations
///   are before LLVM keeps them in registers) and
///   `vectorBits` (the target's vector register width; 0: unknown) is
///   given, `llvm.loop.vectorize.width` = vectorBits / the accumulator's
///   bits and `llvm.loop.interleave.count` = kReductionInterleaveCount;
/// * otherwise `llvm.loop.interleave.count` where the body holds at least
///   kInterleaveMinFloatOps floating-point operations;
/// * with `independentIterations` (the module is an elementwise kernel: no
///   iteration reads what another writes, except at its own index),
///   `llvm.loop.parallel_accesses` over every memory access of the loop, so
///   the vectorizer needs no overlap check between inputs and outputs.
void addLoopHints(llvm::Module &module, bool independentIterations,
                  unsigned vectorBits = 0);

/// Floating-point operations (arithmetic, compares, selects of floats and
/// float intrinsics such as fma or floor) from which a loop is interleaved.
/// Short bodies are left to LLVM's own choice.
constexpr unsigned kInterleaveMinFloatOps = 24;

/// Vector accumulators per float reduction: four hide an add's latency on
/// current x86 cores.
constexpr unsigned kReductionInterleaveCount = 4;

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_CPU_LOOPHINTS_H
