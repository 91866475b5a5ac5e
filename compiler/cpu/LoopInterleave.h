//===- LoopInterleave.h - interleave hints for latency-bound loops -*- C++ -*-//
//
// LLVM's loop vectorizer picks how many vector iterations to interleave from
// a cost model that assumes small loop bodies. A fused elementwise kernel can
// carry a long dependency chain per element (exp, tanh and sigmoid after one
// another are ~100 dependent vector instructions); one iteration at a time
// then leaves the core waiting on latencies while its units idle.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_CPU_LOOPINTERLEAVE_H
#define KILN_COMPILER_CPU_LOOPINTERLEAVE_H

namespace llvm {
class Module;
} // namespace llvm

namespace kiln {
namespace compiler {

/// Marks each innermost loop of `module` whose body holds at least
/// kInterleaveMinFloatOps floating-point operations with
/// `llvm.loop.interleave.count`, so the vectorizer keeps several independent
/// vector iterations in flight. Runs before the optimization pipeline; loops
/// that already carry loop metadata are left alone.
void interleaveLatencyBoundLoops(llvm::Module &module);

/// Floating-point operations (arithmetic, compares, selects of floats and
/// float intrinsics such as fma or floor) from which a loop is marked.
/// Short bodies are left to LLVM's own choice.
constexpr unsigned kInterleaveMinFloatOps = 24;

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_CPU_LOOPINTERLEAVE_H
