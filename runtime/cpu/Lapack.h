//===- Lapack.h - dense factorizations on LAPACK ----------------*- C++ -*-===//
//
// The factorizations behind mx.nd.linalg (potrf, potri, trsm, gelqf, syevd,
// inverse, det, slogdet) run on the system's LAPACK and BLAS through their
// Fortran ABI, one matrix of a batch at a time: a well-tested library beats
// hand-written pivoting and Householder code, and Debian's alternatives pick
// the implementation at load time (OpenBLAS when installed, else the
// reference). Every tensor is a contiguous batch of row-major matrices (the
// last two axes) of float32 or float64; LAPACK is column-major, so each
// routine is called on the transposed view (a row-major lower triangle is a
// column-major upper one). Failures (a matrix that is not positive definite,
// a singular matrix) throw kiln::Error naming `op` and the batch index, so
// the engine stores them on the outputs and the next wait raises them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_LAPACK_H
#define KILN_RUNTIME_CPU_LAPACK_H

#include "runtime/Tensor.h"

#include <string>

namespace kiln {
namespace lapack {

/// Cholesky factors of the symmetric positive-definite matrices `a` (only
/// the lower triangle is read when `lower`, else the upper) into `out`, the
/// other triangle zeroed: a = out * out^T (lower) or out^T * out.
void choleskyFactor(const std::string &op, const Tensor &a, const Tensor &out,
                    bool lower);

/// The inverses of factor * factor^T (lower) or factor^T * factor, from the
/// triangular Cholesky factors `factor` (only that triangle is read), into
/// `out`, full and symmetric.
void choleskyInverse(const std::string &op, const Tensor &factor,
                     const Tensor &out, bool lower);

/// Solves op(a) * out = alpha * b (or out * op(a) = alpha * b when
/// `rightSide`) for the triangular `a` (its lower or upper triangle), op
/// transposing when `transpose`. A zero on a's diagonal gives infinities, as
/// BLAS does.
void triangularSolve(const std::string &op, const Tensor &a, const Tensor &b,
                     const Tensor &out, bool rightSide, bool lower,
                     bool transpose, double alpha);

/// LQ factorization of the (m, n) matrices `a`, m <= n: a = l * q with `l`
/// (m, m) lower triangular and `q` (m, n) of orthonormal rows (LAPACK's
/// signs: geqrf and orgqr on the transpose).
void lqFactor(const std::string &op, const Tensor &a, const Tensor &q,
              const Tensor &l);

/// Eigenvectors (the rows of `u`) and ascending eigenvalues (`lambda`, one
/// axis fewer) of the symmetric matrices `a` (only the lower triangle is
/// read): u * a = diag(lambda) * u. Each row's sign makes its entry of
/// largest magnitude (the first of ties) positive.
void symmetricEigen(const std::string &op, const Tensor &a, const Tensor &u,
                    const Tensor &lambda);

/// The inverses of the square matrices `a` (LU with partial pivoting). A
/// singular matrix is an error, or, without `singularIsError`, gives zeros.
void inverse(const std::string &op, const Tensor &a, const Tensor &out,
             bool singularIsError);

/// From the LU factorization of the square matrices `a` (one axis fewer per
/// output): the determinants into `det`, or their signs (-1, 0 or 1) into
/// `sign` and the logarithms of their magnitudes into `logAbsDet`. Outputs
/// not wanted are empty Tensors.
void determinant(const std::string &op, const Tensor &a, const Tensor &det,
                 const Tensor &sign, const Tensor &logAbsDet);

} // namespace lapack
} // namespace kiln

#endif // KILN_RUNTIME_CPU_LAPACK_H
