//===- LapackOps.cpp - mx.nd.linalg's factorizations on LAPACK ------------===//
//
// potrf, potri, trsm, gelqf, syevd, inverse, det and slogdet run the
// runtime's LAPACK kernels (runtime/cpu/Lapack.h), pushed to the engine with
// the input read and the outputs written, so a call returns at once and a
// LAPACK failure (a matrix not positive definite, a singular one) is raised
// at the next wait on an output, as MXNet does. Pivoting and Householder
// steps have no decomposition into kiln's primitives, so each op gives its
// gradient (MXNet's formulas, arXiv:1710.08717) written with ops: products
// (gemm2), triangular solves (trsm, this file) and selections, so backward
// is itself recorded and differentiable. gelqf, syevd and slogdet have two
// outputs (OpSpec::computeOutputs with outputsGradient).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Matrices.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/cpu/Lapack.h"

#include <algorithm>
#include <functional>

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;
using namespace matrices;

using Kernel = std::function<void(const std::vector<Tensor> &inputs,
                                  const std::vector<Tensor> &outputs)>;

/// Allocates outputs of `shapes` (the inputs' dtype) and pushes `kernel`
/// reading contiguous copies of `inputs` and writing them; returns at once.
std::vector<NDArray> launch(const std::string &op,
                            const std::vector<NDArray> &inputs,
                            const std::vector<Shape> &shapes, Kernel kernel) {
  std::vector<NDArray> dense;
  std::vector<Tensor> in, out;
  std::vector<VarPtr> reads, writes;
  for (const NDArray &input : inputs) {
    dense.push_back(input.tensor().isContiguous()
                        ? input
                        : dispatch::cast(input, input.dtype()));
    in.push_back(dense.back().tensor());
    if (std::find(reads.begin(), reads.end(), dense.back().var()) ==
        reads.end())
      reads.push_back(dense.back().var());
  }
  std::vector<NDArray> outputs;
  for (const Shape &shape : shapes) {
    outputs.push_back(NDArray::empty(shape, inputs[0].dtype()));
    out.push_back(outputs.back().tensor());
    writes.push_back(outputs.back().var());
  }
  Engine::global().push([in, out, kernel] { kernel(in, out); },
                        inputs[0].device(), reads, writes, 0, op);
  return outputs;
}

/// The results of a multi-output op, written into `outs` when given.
std::vector<NDArray> deliver(const std::string &op,
                             const std::vector<NDArray> &results,
                             const std::vector<NDArray> &outs) {
  if (outs.empty())
    return results;
  if (outs.size() != results.size())
    throw Error(formatMessage(op, ": out has ", outs.size(),
                              " arrays, expected ", results.size()));
  for (size_t i = 0; i < outs.size(); ++i) {
    if (outs[i].shape() != results[i].shape())
      throw Error(formatMessage(op, ": out[", i, "] has shape ",
                                shapeToString(outs[i].shape()), ", expected ",
                                shapeToString(results[i].shape())));
    dispatch::cast(results[i], outs[i].dtype(), outs[i]);
  }
  return outs;
}

/// det's and slogdet's output shape: the batch, or (1,) for one matrix.
Shape scalarPerMatrix(const NDArray &a) {
  Shape shape = batchShape(a);
  if (shape.empty())
    shape.push_back(1);
  return shape;
}

/// `g` (one value per matrix) shaped to broadcast against the matrices.
NDArray perMatrix(const NDArray &g, const NDArray &a) {
  Shape shape = batchShape(a);
  shape.push_back(1);
  shape.push_back(1);
  return dispatch::reshape(g, shape);
}

NDArray mul(const NDArray &a, const NDArray &b) {
  return call("broadcast_mul", {a, b});
}
NDArray add(const NDArray &a, const NDArray &b) {
  return call("broadcast_add", {a, b});
}
NDArray sub(const NDArray &a, const NDArray &b) {
  return call("broadcast_sub", {a, b});
}

/// inverse(A), or zeros for an exactly singular A: what det's and slogdet's
/// gradients need (MXNet passes no gradient to a singular matrix).
NDArray inverseOrZeros(const NDArray &a) {
  return call("_inverse_or_zeros", {a});
}

std::vector<NDArray> inverseGradient(const GradientArgs &args) {
  // B = inverse(A): dA = -B^T * dB * B^T.
  const NDArray &b = args.output;
  return {
      product(b, product(args.outputGrad, b, false, true), true, false, -1.0)};
}

void registerCholesky(OpRegistry &registry) {
  for (const std::string &name : namesOf("potrf"))
    registry.add(
        {name,
         {"A"},
         {{"lower", Kind::Bool, "True"}},
         "Cholesky factor of each symmetric positive-definite matrix: L with "
         "A = L * L^T (lower; only A's lower triangle is read), or U with A = "
         "U^T * U. A matrix that is not positive definite is an error at the "
         "next wait on the result.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           requireSquare(name, "A", in[0]);
           const bool lower = attrs.getBool("lower");
           return launch(name, {in[0]}, {in[0].shape()},
                         [name, lower](const std::vector<Tensor> &i,
                                       const std::vector<Tensor> &o) {
                           lapack::choleskyFactor(name, i[0], o[0], lower);
                         })[0];
         },
         nullptr,
         [](const GradientArgs &args) -> std::vector<NDArray> {
           // B = potrf(A), lower: dA = 0.5 * B^-T * copyLTU(B^T * dB) *
           // B^-1 (symmetric); the upper case is its transpose.
           const bool lower = args.attrs.getBool("lower");
           NDArray l = lower ? args.output : transposed(args.output);
           NDArray dl = lower ? args.outputGrad : transposed(args.outputGrad);
           NDArray s = symmetricFromLower(product(l, dl, true, false));
           NDArray x = solveTriangular(l, s, false, true, true);
           return {solveTriangular(l, x, true, true, false, 0.5)};
         }});
  for (const std::string &name : namesOf("potri"))
    registry.add(
        {name,
         {"A"},
         {{"lower", Kind::Bool, "True"}},
         "The inverse of L * L^T (of U^T * U without lower) from each "
         "triangular Cholesky factor (only that triangle is read): B^-1 "
         "for A = potrf(B).",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           requireSquare(name, "A", in[0]);
           const bool lower = attrs.getBool("lower");
           return launch(name, {in[0]}, {in[0].shape()},
                         [name, lower](const std::vector<Tensor> &i,
                                       const std::vector<Tensor> &o) {
                           lapack::choleskyInverse(name, i[0], o[0], lower);
                         })[0];
         },
         nullptr,
         [](const GradientArgs &args) -> std::vector<NDArray> {
           // A = potri(B), lower: dB = -tril(A * (dA + dA^T) * B^-T); upper:
           // dB = -triu(B^-T * (dA + dA^T) * A).
           const bool lower = args.attrs.getBool("lower");
           const NDArray &b = args.inputs[0], &a = args.output;
           NDArray g = add(args.outputGrad, transposed(args.outputGrad));
           NDArray y =
               lower ? solveTriangular(b, product(a, g), true, true, true, -1.0)
                     : solveTriangular(b, product(g, a), false, false, true,
                                       -1.0);
           return {triangle(y, lower)};
         }});
}

void registerTriangularSolve(OpRegistry &registry) {
  for (const std::string &name : namesOf("trsm"))
    registry.add(
        {name,
         {"A", "B"},
         {{"transpose", Kind::Bool, "False"},
          {"rightside", Kind::Bool, "False"},
          {"lower", Kind::Bool, "True"},
          {"alpha", Kind::Float, "1"}},
         "Solves op(A) * X = alpha * B (X * op(A) = alpha * B with rightside) "
         "for the triangular A (its lower triangle, or upper without lower), "
         "op transposing with transpose.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           const NDArray &a = in[0], &b = in[1];
           requireSquare(name, "A", a);
           requireMatrices(name, "B", b);
           requireSameBatch(name, "A", a, "B", b);
           const bool right = attrs.getBool("rightside"),
                      lower = attrs.getBool("lower"),
                      transpose = attrs.getBool("transpose");
           const double alpha = attrs.getFloat("alpha");
           const int64_t k = a.shape().back(), rank = b.shape().size();
           const int64_t extent =
               right ? b.shape()[rank - 1] : b.shape()[rank - 2];
           if (extent != k)
             throw Error(formatMessage(
                 name, ": B expected ", k, right ? " columns" : " rows",
                 " to match the triangular A of shape ",
                 shapeToString(a.shape()),
                 right ? " (rightside=True)" : " (rightside=False)",
                 ", got shape ", shapeToString(b.shape())));
           return launch(
               name, {a, b}, {b.shape()},
               [=](const std::vector<Tensor> &i, const std::vector<Tensor> &o) {
                 lapack::triangularSolve(name, i[0], i[1], o[0], right, lower,
                                         transpose, alpha);
               })[0];
         },
         nullptr,
         [](const GradientArgs &args) -> std::vector<NDArray> {
           // C = trsm(A, B): dB = trsm(A, dC) with op transposed; dA = the
           // triangle of -(1/alpha) dB C^T (left) or C^T dB (right), in op's
           // orientation.
           const bool right = args.attrs.getBool("rightside"),
                      lower = args.attrs.getBool("lower"),
                      transpose = args.attrs.getBool("transpose");
           const double alpha = args.attrs.getFloat("alpha");
           const NDArray &a = args.inputs[0], &c = args.output;
           NDArray db = solveTriangular(a, args.outputGrad, right, lower,
                                        !transpose, alpha);
           const double scale = -1.0 / alpha;
           NDArray da = right == transpose
                            ? product(db, c, transpose, !transpose, scale)
                            : product(c, db, !transpose, transpose, scale);
           return {triangle(da, lower), db};
         }});
}

void registerFactorizations(OpRegistry &registry) {
  for (const std::string &name : namesOf("gelqf")) {
    OpSpec spec{name,
                {"A"},
                {},
                "LQ factorization of each (m, n) matrix, m <= n, of full rank: "
                "returns Q (m, n) with orthonormal rows and L (m, m) lower "
                "triangular, A = L * Q.",
                nullptr};
    spec.computeOutputs = [name](const std::vector<NDArray> &in, const Attrs &,
                                 const std::vector<NDArray> &outs) {
      const NDArray &a = in[0];
      requireMatrices(name, "A", a);
      const int64_t rank = a.shape().size();
      const int64_t m = a.shape()[rank - 2], n = a.shape()[rank - 1];
      if (m > n)
        throw Error(formatMessage(name,
                                  ": A expected matrices with no more rows "
                                  "than columns, got shape ",
                                  shapeToString(a.shape())));
      Shape lShape = a.shape();
      lShape.back() = m;
      return deliver(name,
                     launch(name, {a}, {a.shape(), lShape},
                            [name](const std::vector<Tensor> &i,
                                   const std::vector<Tensor> &o) {
                              lapack::lqFactor(name, i[0], o[0], o[1]);
                            }),
                     outs);
    };
    spec.outputsGradient =
        [](const OutputsGradientArgs &args) -> std::vector<NDArray> {
      // (Q, L) = gelqf(A): dA = L^-T * (dQ + copyLTU(M) * Q) with
      // M = L^T * dL - dQ * Q^T.
      const NDArray &q = args.outputs[0], &l = args.outputs[1];
      const NDArray &dq = args.outputGrads[0], &dl = args.outputGrads[1];
      NDArray m = sub(product(l, dl, true, false), product(dq, q, false, true));
      NDArray x = add(dq, product(symmetricFromLower(m), q));
      return {solveTriangular(l, x, false, true, true)};
    };
    registry.add(std::move(spec));
  }
  // MXNet registers no linalg_syevd alias.
  {
    const std::string name = "_linalg_syevd";
    OpSpec spec{name,
                {"A"},
                {},
                "Eigendecomposition of each symmetric matrix (only the lower "
                "triangle is read): returns U, whose rows are the "
                "eigenvectors, and lambda, the eigenvalues in ascending "
                "order, with U * A = diag(lambda) * U.",
                nullptr};
    spec.computeOutputs = [name](const std::vector<NDArray> &in, const Attrs &,
                                 const std::vector<NDArray> &outs) {
      const NDArray &a = in[0];
      requireSquare(name, "A", a);
      Shape lambdaShape(a.shape().begin(), a.shape().end() - 1);
      return deliver(name,
                     launch(name, {a}, {a.shape(), lambdaShape},
                            [name](const std::vector<Tensor> &i,
                                   const std::vector<Tensor> &o) {
                              lapack::symmetricEigen(name, i[0], o[0], o[1]);
                            }),
                     outs);
    };
    spec.outputsGradient =
        [](const OutputsGradientArgs &args) -> std::vector<NDArray> {
      // (U, lambda) = syevd(A): dA = U^T * Y * U, with X = dU * U^T and Y
      // symmetric: Y_ij = (X_ij - X_ji) / (2 max(lambda_i - lambda_j, eps))
      // below the diagonal, dlambda on it (defined for distinct
      // eigenvalues; eps keeps the division finite).
      const NDArray &u = args.outputs[0], &lambda = args.outputs[1];
      const NDArray &du = args.outputGrads[0], &dlambda = args.outputGrads[1];
      const double eps = u.dtype() == DType::Float32 ? 1e-30 : 1e-100;
      NDArray x = product(du, u, false, true);
      Shape column = lambda.shape(), row = lambda.shape();
      column.push_back(1);
      row.insert(row.end() - 1, 1);
      NDArray gaps = sub(dispatch::reshape(lambda, column),
                         dispatch::reshape(lambda, row));
      NDArray denominator = callScalar(
          "_mul_scalar", callScalar("_maximum_scalar", gaps, eps), 2);
      NDArray z =
          triangle(call("broadcast_div", {sub(x, transposed(x)), denominator}),
                   true, true);
      NDArray y =
          add(add(z, transposed(z)), call("_linalg_makediag", {dlambda}));
      return {product(u, product(y, u), true, false)};
    };
    registry.add(std::move(spec));
  }
}

void registerInverseAndDeterminants(OpRegistry &registry) {
  for (const std::string &name : namesOf("inverse"))
    registry.add({name,
                  {"A"},
                  {},
                  "The inverse of each square matrix (LU with partial "
                  "pivoting); a singular matrix is an error at the next wait "
                  "on the result.",
                  [name](const std::vector<NDArray> &in, const Attrs &,
                         const NDArray &) {
                    requireSquare(name, "A", in[0]);
                    return launch(name, {in[0]}, {in[0].shape()},
                                  [name](const std::vector<Tensor> &i,
                                         const std::vector<Tensor> &o) {
                                    lapack::inverse(name, i[0], o[0], true);
                                  })[0];
                  },
                  nullptr,
                  inverseGradient});
  registry.add(
      {"_inverse_or_zeros",
       {"A"},
       {},
       "inverse, with zeros for exactly singular matrices (det's "
       "and slogdet's gradients).",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         requireSquare("_inverse_or_zeros", "A", in[0]);
         return launch(
             "_inverse_or_zeros", {in[0]}, {in[0].shape()},
             [](const std::vector<Tensor> &i, const std::vector<Tensor> &o) {
               lapack::inverse("_inverse_or_zeros", i[0], o[0], false);
             })[0];
       },
       nullptr,
       inverseGradient});
  for (const std::string &name : namesOf("det"))
    registry.add(
        {name,
         {"A"},
         {},
         "The determinant of each square matrix (LU with partial pivoting); "
         "shape (1,) for one matrix.",
         [name](const std::vector<NDArray> &in, const Attrs &,
                const NDArray &) {
           requireSquare(name, "A", in[0]);
           return launch(name, {in[0]}, {scalarPerMatrix(in[0])},
                         [name](const std::vector<Tensor> &i,
                                const std::vector<Tensor> &o) {
                           lapack::determinant(name, i[0], o[0], Tensor(),
                                               Tensor());
                         })[0];
         },
         nullptr,
         [](const GradientArgs &args) -> std::vector<NDArray> {
           // Jacobi: d det / dA = det * A^-T (zero for a singular A).
           const NDArray &a = args.inputs[0];
           NDArray scale = perMatrix(mul(args.outputGrad, args.output), a);
           return {mul(scale, transposed(inverseOrZeros(a)))};
         }});
  for (const std::string &name : namesOf("slogdet")) {
    OpSpec spec{name,
                {"A"},
                {},
                "The sign (-1, 0 or 1) and the natural logarithm of the "
                "magnitude of each square matrix's determinant; shape (1,) "
                "for one matrix.",
                nullptr};
    spec.computeOutputs = [name](const std::vector<NDArray> &in, const Attrs &,
                                 const std::vector<NDArray> &outs) {
      requireSquare(name, "A", in[0]);
      const Shape shape = scalarPerMatrix(in[0]);
      return deliver(name,
                     launch(name, {in[0]}, {shape, shape},
                            [name](const std::vector<Tensor> &i,
                                   const std::vector<Tensor> &o) {
                              lapack::determinant(name, i[0], Tensor(), o[0],
                                                  o[1]);
                            }),
                     outs);
    };
    spec.outputsGradient =
        [](const OutputsGradientArgs &args) -> std::vector<NDArray> {
      // d logabsdet / dA = A^-T; the sign takes no gradient.
      const NDArray &a = args.inputs[0];
      return {mul(perMatrix(args.outputGrads[1], a),
                  transposed(inverseOrZeros(a)))};
    };
    registry.add(std::move(spec));
  }
}

} // namespace

void registerLapackOps(OpRegistry &registry) {
  registerCholesky(registry);
  registerTriangularSolve(registry);
  registerFactorizations(registry);
  registerInverseAndDeterminants(registry);
}

} // namespace ops
} // namespace kiln
