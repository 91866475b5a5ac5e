//===- Matrices.h - batches of matrices for mx.nd.linalg --------*- C++ -*-===//
//
// What the linalg operators (MatrixOps.cpp, LapackOps.cpp) share: MXNet's
// checks on batches of matrices (the last two axes), with errors naming the
// op, the argument, expected and got; and the small compositions their
// gradients are written with, all made of registered ops so that they are
// recorded and differentiable again.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_MATRICES_H
#define KILN_FRONTENDS_CPP_OPS_MATRICES_H

#include "frontends/cpp/OpRegistry.h"

namespace kiln {
namespace ops {
namespace matrices {

/// float32 or float64 (MXNet's linalg supports no other dtype).
void requireFloat32or64(const std::string &op, const std::string &argument,
                        const NDArray &x);
/// A float32/float64 batch of matrices: rank >= 2.
void requireMatrices(const std::string &op, const std::string &argument,
                     const NDArray &x);
/// A batch of square matrices.
void requireSquare(const std::string &op, const std::string &argument,
                   const NDArray &x);
/// `b` has `a`'s dtype, rank and leading (batch) extents.
void requireSameBatch(const std::string &op, const std::string &nameA,
                      const NDArray &a, const std::string &nameB,
                      const NDArray &b);
/// The registry name and MXNet's top-level alias of each linalg op
/// (_linalg_gemm, linalg_gemm); each gets a spec of its own so that errors
/// name the one called.
std::vector<std::string> namesOf(const std::string &op);
/// The leading (batch) extents of a batch of matrices.
Shape batchShape(const NDArray &x);

/// `x` transposed on its last two axes (a view).
NDArray transposed(const NDArray &x);
/// `x` with the entries outside its lower (or upper) triangle set to zero,
/// by selection (no multiplication, so infinities there do not leak in);
/// `strict` drops the diagonal too.
NDArray triangle(const NDArray &x, bool lower, bool strict = false);
/// copyLTU in MXNet's gradients: the symmetric matrix with x's lower
/// triangle (and diagonal) on both sides.
NDArray symmetricFromLower(const NDArray &x);
/// alpha * op(a) * op(b), batched (the _linalg_gemm2 op).
NDArray product(const NDArray &a, const NDArray &b, bool transposeA = false,
                bool transposeB = false, double alpha = 1.0);
/// The triangular solve of the _linalg_trsm op.
NDArray solveTriangular(const NDArray &a, const NDArray &b, bool rightSide,
                        bool lower, bool transpose, double alpha = 1.0);

} // namespace matrices
} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_MATRICES_H
