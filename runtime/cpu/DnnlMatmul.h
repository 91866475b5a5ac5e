//===- DnnlMatmul.h - f32 matmul on oneDNN for compiled kernels -*- C++ -*-===//
//
// Compiled kernels hand their f32 matrix products to oneDNN through this C
// entry point (kiln-matmul-to-dnnl emits the call; the JIT resolves it). It
// takes MLIR unranked memref descriptors, handles any strides (transposed or
// sliced operands need no copy), numpy batch broadcasting, and empty
// extents, and sizes oneDNN's threads from the runtime's core budget. The
// dense layer's product with its bias has an entry of its own.
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

/// Makes the calling thread the one whose products run on oneDNN's OpenMP
/// team, unless another thread already is; products on other threads run
/// on kiln's thread pool (see DnnlMatmul.cpp). Frontends call it from the
/// thread that dispatches products, which runs them inline when it can.
void claimOpenMPTeam();

/// A strided f32 matrix; strides in elements.
struct StridedMatrix {
  float *data;
  int64_t rows, columns;
  int64_t rowStride, columnStride;
};

/// c = a b + bias, `bias` (contiguous, c's columns) added to every row of
/// c: a dense layer's forward as one oneDNN primitive, for frontend ops that
/// call the runtime directly. Threads and fallback as kiln_dnnl_matmul_f32's.
void dnnlMatmulBias(const StridedMatrix &a, const StridedMatrix &b,
                    const float *bias, const StridedMatrix &c);

/// c = a b, with the work split over kiln's thread pool by the shapes
/// alone: the same operands give the same bits on every run, however busy
/// the cores are (dnnlMatmulBias's split, and so its rounding, follows the
/// cores free when it runs). For products inside kernels whose results
/// must not depend on timing, such as a convolution's in a training step.
void dnnlMatmulReproducible(const StridedMatrix &a, const StridedMatrix &b,
                            const StridedMatrix &c);

} // namespace kiln

#endif // KILN_RUNTIME_CPU_DNNLMATMUL_H
