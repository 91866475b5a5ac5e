//===- MatrixOps.cpp - mx.nd.linalg ops made of other ops -----------------===//
//
// The linalg operators that are products or data movement, written as
// compositions, so that autograd differentiates them through their
// primitives (MXNet's gradients follow) and f32 products run on oneDNN:
//
//   gemm, gemm2   alpha * op(A) * op(B) (+ beta * C): dispatch::matmul.
//   syrk          alpha * A * A^T (or A^T * A): one matmul. BLAS's syrk
//                 would halve the flops but needs its own gradient and
//                 lacks oneDNN's batching.
//   trmm          alpha * op(tri(A)) * B: the triangle selected, then a
//                 matmul. BLAS's trmm saves half the flops on the
//                 triangle, not worth a kernel and a gradient of its own.
//   sumlogdiag    sum(log(diag(A))) over the diagonal's view.
//   extractdiag   a strided view (the diag op).
//   extracttrian, makediag, maketrian
//                 one gather (take) each, by positions computed here;
//                 creation gathers from the input with one zero appended,
//                 so entries outside the triangle are exact zeros.
//
// The factorizations are in LapackOps.cpp.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Matrices.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace matrices {

void requireFloat32or64(const std::string &op, const std::string &argument,
                        const NDArray &x) {
  if (x.dtype() != DType::Float32 && x.dtype() != DType::Float64)
    throw Error(formatMessage(op, ": ", argument,
                              " expected dtype float32 or float64, got ",
                              dtypeName(x.dtype())));
}

void requireMatrices(const std::string &op, const std::string &argument,
                     const NDArray &x) {
  requireFloat32or64(op, argument, x);
  if (x.shape().size() < 2)
    throw Error(formatMessage(op, ": ", argument,
                              " expected a batch of matrices (rank >= 2), got "
                              "shape ",
                              shapeToString(x.shape())));
}

void requireSquare(const std::string &op, const std::string &argument,
                   const NDArray &x) {
  requireMatrices(op, argument, x);
  const Shape &s = x.shape();
  if (s[s.size() - 2] != s.back())
    throw Error(formatMessage(op, ": ", argument,
                              " expected square matrices (the last two extents "
                              "equal), got shape ",
                              shapeToString(s)));
}

void requireSameBatch(const std::string &op, const std::string &nameA,
                      const NDArray &a, const std::string &nameB,
                      const NDArray &b) {
  if (a.dtype() != b.dtype())
    throw Error(formatMessage(op, ": ", nameB, " expected dtype ",
                              dtypeName(a.dtype()), " (", nameA, "'s), got ",
                              dtypeName(b.dtype())));
  if (a.shape().size() != b.shape().size() || batchShape(a) != batchShape(b))
    throw Error(formatMessage(
        op, ": ", nameA, " and ", nameB,
        " expected the same rank and batch extents (all but the last two), "
        "got shapes ",
        shapeToString(a.shape()), " and ", shapeToString(b.shape())));
}

std::vector<std::string> namesOf(const std::string &op) {
  return {"_linalg_" + op, "linalg_" + op};
}

Shape batchShape(const NDArray &x) {
  return Shape(x.shape().begin(), x.shape().end() - 2);
}

NDArray transposed(const NDArray &x) { return dispatch::swapLastTwo(x); }

NDArray triangle(const NDArray &x, bool lower, bool strict) {
  const int64_t rows = x.shape()[x.shape().size() - 2], cols = x.shape().back();
  NDArray r = dispatch::iota("triangle", {rows, cols}, 0, DType::Int64);
  NDArray c = dispatch::iota("triangle", {rows, cols}, 1, DType::Int64);
  const char *keep = lower ? (strict ? "gt" : "ge") : (strict ? "lt" : "le");
  NDArray mask = dispatch::elementwise("triangle", keep, {r, c}, DType::Bool);
  return dispatch::elementwise("triangle", "select",
                               {mask, x, dispatch::scalar(0, x.dtype())},
                               x.dtype());
}

NDArray symmetricFromLower(const NDArray &x) {
  return call("broadcast_add",
              {triangle(x, true), transposed(triangle(x, true, true))});
}

NDArray product(const NDArray &a, const NDArray &b, bool transposeA,
                bool transposeB, double alpha) {
  return call("_linalg_gemm2", {a, b},
              {{"transpose_a", transposeA ? "True" : "False"},
               {"transpose_b", transposeB ? "True" : "False"},
               {"alpha", floatAttr(alpha)}});
}

NDArray solveTriangular(const NDArray &a, const NDArray &b, bool rightSide,
                        bool lower, bool transpose, double alpha) {
  return call("_linalg_trsm", {a, b},
              {{"rightside", rightSide ? "True" : "False"},
               {"lower", lower ? "True" : "False"},
               {"transpose", transpose ? "True" : "False"},
               {"alpha", floatAttr(alpha)}});
}

} // namespace matrices

namespace {

using Kind = AttrSpec::Kind;
using namespace matrices;

/// gemm's and gemm2's `axis`: the row axis, any but the last; the product
/// runs with it swapped to the second to last.
int64_t rowAxis(const std::string &op, int64_t axis, int64_t rank) {
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank - 1)
    throw Error(formatMessage(op, ": axis expected a row axis in [", -rank,
                              ", ", rank - 1, ") (not the last), got ", axis));
  return normalized;
}

NDArray swapAxes(const NDArray &x, int64_t axis, int64_t rank) {
  if (axis == rank - 2)
    return x;
  return call(
      "SwapAxis", {x},
      {{"dim1", std::to_string(axis)}, {"dim2", std::to_string(rank - 2)}});
}

/// alpha * op(A) * op(B) along the row `axis`, checked; the result in A's
/// axis order.
NDArray gemmProduct(const std::string &op, const NDArray &a, const NDArray &b,
                    const Attrs &attrs) {
  requireMatrices(op, "A", a);
  requireMatrices(op, "B", b);
  if (a.dtype() != b.dtype())
    throw Error(formatMessage(op, ": B expected dtype ", dtypeName(a.dtype()),
                              " (A's), got ", dtypeName(b.dtype())));
  const int64_t rank = a.shape().size();
  if (static_cast<int64_t>(b.shape().size()) != rank)
    throw Error(formatMessage(
        op, ": A and B expected the same rank, got shapes ",
        shapeToString(a.shape()), " and ", shapeToString(b.shape())));
  const int64_t axis = rowAxis(op, attrs.getInt("axis"), rank);
  NDArray x = swapAxes(a, axis, rank), y = swapAxes(b, axis, rank);
  if (attrs.getBool("transpose_a"))
    x = transposed(x);
  if (attrs.getBool("transpose_b"))
    y = transposed(y);
  if (batchShape(x) != batchShape(y))
    throw Error(formatMessage(
        op,
        ": A and B expected the same extents on all axes but the row axis (",
        axis, ") and the last, got shapes ", shapeToString(a.shape()), " and ",
        shapeToString(b.shape())));
  const int64_t inner = x.shape().back(), innerB = y.shape()[rank - 2];
  if (inner != innerB)
    throw Error(formatMessage(
        op, ": op(A) and op(B) do not align for a product: op(A) has ", inner,
        " columns, op(B) ", innerB, " rows (shapes ", shapeToString(a.shape()),
        " and ", shapeToString(b.shape()),
        ", transpose_a=", attrs.getBool("transpose_a") ? "True" : "False",
        ", transpose_b=", attrs.getBool("transpose_b") ? "True" : "False",
        ")"));
  NDArray result = dispatch::matmul(x, y);
  const double alpha = attrs.getFloat("alpha");
  if (alpha != 1.0)
    result = callScalar("_mul_scalar", result, alpha);
  return swapAxes(result, axis, rank);
}

/// The row-major positions, in an n x n matrix, of the entries of
/// extracttrian's triangle, in its order. MXNet's order: the lower triangle
/// row by row; an upper one (offset > 0, or offset 0 without `lower`) as the
/// lower triangle of the transpose, so column by column.
std::vector<int64_t> trianglePositions(int64_t n, int64_t offset, bool lower) {
  const bool upper = offset > 0 || (offset == 0 && !lower);
  const int64_t shift = std::abs(offset);
  std::vector<int64_t> positions;
  for (int64_t i = shift; i < n; ++i) // the row of the lower triangle
    for (int64_t j = 0; j <= i - shift; ++j)
      positions.push_back(upper ? j * n + i : i * n + j);
  return positions;
}

NDArray int64Vector(const std::vector<int64_t> &values) {
  return NDArray::fromData(values.data(), {static_cast<int64_t>(values.size())},
                           DType::Int64);
}

/// x's last axis gathered at `positions`, then shaped batch + `tail`.
NDArray gatherLast(const NDArray &x, const std::vector<int64_t> &positions,
                   const Shape &tail) {
  const int64_t rank = x.shape().size();
  NDArray gathered = call("take", {x, int64Vector(positions)},
                          {{"axis", std::to_string(rank - 1)}});
  Shape shape(x.shape().begin(), x.shape().end() - 1);
  shape.insert(shape.end(), tail.begin(), tail.end());
  return dispatch::reshape(gathered, shape);
}

/// `a` with one zero appended on its last axis (the entry that creation
/// gathers outside the diagonal or triangle).
NDArray withZero(const NDArray &a) {
  Shape zeroShape = a.shape();
  zeroShape.back() = 1;
  return call("Concat", {a, zerosOf(zeroShape, a.dtype())},
              {{"dim", std::to_string(a.shape().size() - 1)}});
}

/// makediag's and maketrian's matrices' side, n + |offset|: bounded so that
/// their position table (side^2 entries, built on the host) stays small,
/// and a wild offset is an error rather than an overflow.
int64_t madeSide(const std::string &op, int64_t n, int64_t offset) {
  constexpr int64_t kMaxSide = int64_t{1} << 13; // 8192^2 table entries
  if (offset < -kMaxSide || offset > kMaxSide ||
      n + std::abs(offset) > kMaxSide)
    throw Error(formatMessage(
        op, ": offset ", offset, " with ", n, " values makes matrices of side ",
        n, " + |", offset, "|; expected a side of at most ", kMaxSide));
  return n + std::abs(offset);
}

/// extractdiag's and extracttrian's check: a diagonal `offset` leaves
/// n - |offset| > 0 rows.
void requireOffset(const std::string &op, int64_t offset, int64_t n) {
  if (n - std::abs(offset) <= 0)
    throw Error(formatMessage(
        op, ": offset ", offset, " names no diagonal of matrices of extent ", n,
        "; expected ", -(n - 1), " <= offset <= ", n - 1));
}

void requireVectors(const std::string &op, const NDArray &a) {
  requireFloat32or64(op, "A", a);
  if (a.shape().empty())
    throw Error(formatMessage(op,
                              ": A expected a batch of vectors (rank >= 1), "
                              "got a scalar"));
}

const char *boolAttr(bool value) { return value ? "True" : "False"; }

void registerProducts(OpRegistry &registry) {
  for (const std::string &name : namesOf("gemm"))
    registry.add(
        {name,
         {"A", "B", "C"},
         {{"transpose_a", Kind::Bool, "False"},
          {"transpose_b", Kind::Bool, "False"},
          {"alpha", Kind::Float, "1"},
          {"beta", Kind::Float, "1"},
          {"axis", Kind::Int, "-2"}},
         "alpha * op(A) * op(B) + beta * C for each matrix of a batch (op "
         "transposes with transpose_a / transpose_b; axis is the row axis). "
         "C has the result's shape. float32 and float64.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           NDArray product = gemmProduct(name, in[0], in[1], attrs);
           const NDArray &c = in[2];
           requireFloat32or64(name, "C", c);
           if (c.dtype() != in[0].dtype())
             throw Error(formatMessage(name, ": C expected dtype ",
                                       dtypeName(in[0].dtype()), " (A's), got ",
                                       dtypeName(c.dtype())));
           if (c.shape() != product.shape())
             throw Error(formatMessage(
                 name, ": C expected shape ", shapeToString(product.shape()),
                 " (the product's), got ", shapeToString(c.shape())));
           const double beta = attrs.getFloat("beta");
           NDArray scaled =
               beta == 1.0 ? c : callScalar("_mul_scalar", c, beta);
           return call("broadcast_add", {product, scaled});
         }});
  for (const std::string &name : namesOf("gemm2"))
    registry.add({name,
                  {"A", "B"},
                  {{"transpose_a", Kind::Bool, "False"},
                   {"transpose_b", Kind::Bool, "False"},
                   {"alpha", Kind::Float, "1"},
                   {"axis", Kind::Int, "-2"}},
                  "alpha * op(A) * op(B) for each matrix of a batch (op "
                  "transposes with transpose_a / transpose_b; axis is the row "
                  "axis). float32 and float64.",
                  [name](const std::vector<NDArray> &in, const Attrs &attrs,
                         const NDArray &) {
                    return gemmProduct(name, in[0], in[1], attrs);
                  }});
  for (const std::string &name : namesOf("syrk"))
    registry.add(
        {name,
         {"A"},
         {{"transpose", Kind::Bool, "False"}, {"alpha", Kind::Float, "1"}},
         "alpha * A * A^T (A^T * A with transpose) for each matrix "
         "of a batch.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           const NDArray &a = in[0];
           requireMatrices(name, "A", a);
           NDArray result = attrs.getBool("transpose")
                                ? dispatch::matmul(transposed(a), a)
                                : dispatch::matmul(a, transposed(a));
           const double alpha = attrs.getFloat("alpha");
           return alpha == 1.0 ? result
                               : callScalar("_mul_scalar", result, alpha);
         }});
  for (const std::string &name : namesOf("trmm"))
    registry.add(
        {name,
         {"A", "B"},
         {{"transpose", Kind::Bool, "False"},
          {"rightside", Kind::Bool, "False"},
          {"lower", Kind::Bool, "True"},
          {"alpha", Kind::Float, "1"}},
         "alpha * op(A) * B (B * op(A) with rightside) for the triangular A "
         "(its lower triangle, or upper without lower; the other is not "
         "read), op transposing with transpose.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           const NDArray &a = in[0], &b = in[1];
           requireSquare(name, "A", a);
           requireMatrices(name, "B", b);
           requireSameBatch(name, "A", a, "B", b);
           const bool right = attrs.getBool("rightside");
           const int64_t k = a.shape().back();
           const int64_t rank = b.shape().size();
           const int64_t extent =
               right ? b.shape()[rank - 1] : b.shape()[rank - 2];
           if (extent != k)
             throw Error(formatMessage(
                 name, ": B expected ", k, right ? " columns" : " rows",
                 " to match the triangular A of shape ",
                 shapeToString(a.shape()), " (rightside=", boolAttr(right),
                 "), got shape ", shapeToString(b.shape())));
           NDArray tri = triangle(a, attrs.getBool("lower"));
           if (attrs.getBool("transpose"))
             tri = transposed(tri);
           NDArray result =
               right ? dispatch::matmul(b, tri) : dispatch::matmul(tri, b);
           const double alpha = attrs.getFloat("alpha");
           return alpha == 1.0 ? result
                               : callScalar("_mul_scalar", result, alpha);
         }});
}

void registerDataMovement(OpRegistry &registry) {
  for (const std::string &name : namesOf("sumlogdiag"))
    registry.add(
        {name,
         {"A"},
         {},
         "The sum of the natural logarithms of the diagonal of each square "
         "matrix; shape (1,) for one matrix.",
         [name](const std::vector<NDArray> &in, const Attrs &,
                const NDArray &) {
           const NDArray &a = in[0];
           requireSquare(name, "A", a);
           NDArray diagonal = call(
               "diag", {a}, {{"k", "0"}, {"axis1", "-2"}, {"axis2", "-1"}});
           const int64_t rank = diagonal.shape().size();
           NDArray sum = call("sum", {call("log", {diagonal})},
                              {{"axis", std::to_string(rank - 1)}});
           return a.shape().size() == 2 ? dispatch::reshape(sum, {1}) : sum;
         }});
  for (const std::string &name : namesOf("extractdiag"))
    registry.add({name,
                  {"A"},
                  {{"offset", Kind::Int, "0"}},
                  "Diagonal `offset` (above the main one when positive) of "
                  "each square matrix.",
                  [name](const std::vector<NDArray> &in, const Attrs &attrs,
                         const NDArray &) {
                    const NDArray &a = in[0];
                    requireSquare(name, "A", a);
                    const int64_t offset = attrs.getInt("offset");
                    requireOffset(name, offset, a.shape().back());
                    return call("diag", {a},
                                {{"k", std::to_string(offset)},
                                 {"axis1", "-2"},
                                 {"axis2", "-1"}});
                  }});
  for (const std::string &name : namesOf("makediag"))
    registry.add(
        {name,
         {"A"},
         {{"offset", Kind::Int, "0"}},
         "Square matrices with A's last axis on diagonal `offset`, zeros "
         "elsewhere (one axis more).",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           const NDArray &a = in[0];
           requireVectors(name, a);
           const int64_t n = a.shape().back(), offset = attrs.getInt("offset");
           const int64_t size = madeSide(name, n, offset);
           std::vector<int64_t> positions(size * size, n);
           for (int64_t i = 0; i < n; ++i)
             positions[(i + std::max<int64_t>(-offset, 0)) * size + i +
                       std::max<int64_t>(offset, 0)] = i;
           return gatherLast(withZero(a), positions, {size, size});
         }});
  for (const std::string &name : namesOf("extracttrian"))
    registry.add(
        {name,
         {"A"},
         {{"offset", Kind::Int, "0"}, {"lower", Kind::Bool, "True"}},
         "The triangle of each square matrix below diagonal `offset` < 0, "
         "above `offset` > 0, or on and below (above without lower) the main "
         "one, as a vector: a lower triangle row by row, an upper one column "
         "by column.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           const NDArray &a = in[0];
           requireSquare(name, "A", a);
           const int64_t n = a.shape().back(), offset = attrs.getInt("offset");
           requireOffset(name, offset, n);
           Shape flat = batchShape(a);
           flat.push_back(n * n);
           std::vector<int64_t> positions =
               trianglePositions(n, offset, attrs.getBool("lower"));
           const int64_t count = positions.size();
           return gatherLast(dispatch::reshape(a, flat), positions, {count});
         }});
  for (const std::string &name : namesOf("maketrian"))
    registry.add(
        {name,
         {"A"},
         {{"offset", Kind::Int, "0"}, {"lower", Kind::Bool, "True"}},
         "The inverse of extracttrian: square matrices with A's last axis as "
         "the triangle given by offset and lower, zeros elsewhere.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &) {
           const NDArray &a = in[0];
           requireVectors(name, a);
           const int64_t count = a.shape().back(),
                         offset = attrs.getInt("offset");
           // count = m (m + 1) / 2 for the triangle's extent m.
           const int64_t m = static_cast<int64_t>(
               std::floor((std::sqrt(8.0 * count + 1) - 1) / 2 + 0.5));
           if (m * (m + 1) / 2 != count || m == 0)
             throw Error(formatMessage(
                 name,
                 ": A's last extent expected a triangular number m (m + "
                 "1) / 2 with m >= 1 (1, 3, 6, 10, ...), got ",
                 count, " (shape ", shapeToString(a.shape()), ")"));
           const int64_t size = madeSide(name, m, offset);
           std::vector<int64_t> positions(size * size, count);
           std::vector<int64_t> triangle =
               trianglePositions(size, offset, attrs.getBool("lower"));
           for (int64_t i = 0; i < count; ++i)
             positions[triangle[i]] = i;
           return gatherLast(withZero(a), positions, {size, size});
         }});
}

} // namespace

void registerMatrixOps(OpRegistry &registry) {
  registerProducts(registry);
  registerDataMovement(registry);
}

} // namespace ops
} // namespace kiln
