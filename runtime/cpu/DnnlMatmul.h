//===- DnnlMatmul.h - f32 matmul on oneDNN for compiled kernels -*- C++ -*-===//
//
// Compiled kernels hand their f32 matrix products to oneDNN through this C
// entry point (kiln-matmul-to-dnnl emits the call; the JIT resolves it). It
// takes MLIR unranked memref descriptors, handles any strides (transposed or
// sliced operands need no copy), numpy batch broadcasting, and empty
// extents, and sizes oneDNN's OpenMP threads from the runtime's core budget.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_DNNLMATMUL_H
#define KILN_RUNTIME_CPU_DNNLMATMUL_H

#include <cstdint>

namespace kiln {

/// MLIR's unranked memref descriptor: the rank and a pointer to the ranked
/// descriptor {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

extern "C" {
/// c = a @ b over the last two dimensions; batch dimensions broadcast (a and
/// b may have fewer of them than c).
void kiln_dnnl_matmul_f32(UnrankedMemRef *a, UnrankedMemRef *b,
                          UnrankedMemRef *c);
}

/// The name compiled code calls it by (MLIR's C-interface convention).
inline constexpr const char kDnnlMatmulSymbol[] =
    "_mlir_ciface_kiln_dnnl_matmul_f32";

} // namespace kiln

#endif // KILN_RUNTIME_CPU_DNNLMATMUL_H
