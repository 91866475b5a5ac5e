// The LAPACK wrapper's own logic: row-major matrices handed to column-major
// LAPACK (triangles and sides swapped), MXNet's eigenvector signs, errors
// naming the first failing matrix of a batch (also when the batch runs in
// parallel), singular matrices, float32 and float64.
#include "runtime/Error.h"
#include "runtime/cpu/Lapack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace kiln {
namespace {

using Matrix = std::vector<double>; // row-major, n x m

template <typename T = double>
Tensor tensorOf(const std::vector<double> &values, const Shape &shape) {
  const DType dtype = sizeof(T) == 4 ? DType::Float32 : DType::Float64;
  Tensor t = Tensor::empty(shape, dtype);
  for (size_t i = 0; i < values.size(); ++i)
    static_cast<T *>(t.data())[i] = static_cast<T>(values[i]);
  return t;
}

template <typename T = double> std::vector<double> valuesOf(const Tensor &t) {
  const T *data = static_cast<const T *>(t.data());
  return std::vector<double>(data, data + t.numElements());
}

/// a (n x k) * b (k x m), row-major.
Matrix multiply(const Matrix &a, const Matrix &b, int n, int k, int m) {
  Matrix c(n * m, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j)
      for (int l = 0; l < k; ++l)
        c[i * m + j] += a[i * k + l] * b[l * m + j];
  return c;
}

Matrix transpose(const Matrix &a, int n, int m) {
  Matrix t(n * m);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j)
      t[j * n + i] = a[i * m + j];
  return t;
}

void expectNear(const Matrix &got, const Matrix &want, double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance) << "at " << i;
}

const Matrix kSpd = {4, 2, 0.4, 2, 5, 1, 0.4, 1, 3};

TEST(Lapack, CholeskyFactorsReadOneTriangleAndZeroTheOther) {
  Matrix a = kSpd;
  a[1] = 100; // above the diagonal: not read for lower
  Tensor out = Tensor::empty({3, 3}, DType::Float64);
  lapack::choleskyFactor("potrf", tensorOf(a, {3, 3}), out, true);
  Matrix l = valuesOf(out);
  EXPECT_EQ(l[1], 0.0);
  EXPECT_EQ(l[2], 0.0);
  EXPECT_EQ(l[5], 0.0);
  expectNear(multiply(l, transpose(l, 3, 3), 3, 3, 3), kSpd, 1e-12);

  a = kSpd;
  a[3] = 100; // below: not read for upper
  lapack::choleskyFactor("potrf", tensorOf(a, {3, 3}), out, false);
  Matrix u = valuesOf(out);
  EXPECT_EQ(u[3], 0.0);
  expectNear(multiply(transpose(u, 3, 3), u, 3, 3, 3), kSpd, 1e-12);

  Tensor inverse = Tensor::empty({3, 3}, DType::Float64);
  lapack::choleskyInverse("potri", out, inverse, false);
  Matrix identity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  expectNear(multiply(valuesOf(inverse), kSpd, 3, 3, 3), identity, 1e-12);
}

/// The message of the kiln::Error `fn` throws ("" when none).
template <typename Fn> std::string errorOf(Fn &&fn) {
  try {
    fn();
  } catch (const Error &error) {
    return error.what();
  }
  return "";
}

TEST(Lapack, ErrorsNameTheOpAndTheFirstFailingMatrix) {
  Matrix batch = kSpd;
  batch.insert(batch.end(), {1, 2, 0, 2, 1, 0, 0, 0, 1}); // not positive
  Tensor out = Tensor::empty({2, 3, 3}, DType::Float64);
  EXPECT_NE(errorOf([&] {
              lapack::choleskyFactor("_linalg_potrf",
                                     tensorOf(batch, {2, 3, 3}), out, true);
            })
                .find("_linalg_potrf: the matrix at batch index 1 is not "
                      "positive definite"),
            std::string::npos);
  // A batch large enough to run in parallel still names the first failure.
  const int count = 300, n = 8;
  Matrix many;
  for (int b = 0; b < count; ++b)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        many.push_back(i == j ? ((b == 123 || b == 250) && i == 5 ? -1 : 1)
                              : 0);
  Tensor bigOut = Tensor::empty({count, n, n}, DType::Float64);
  const std::string message = errorOf([&] {
    lapack::choleskyFactor("potrf", tensorOf(many, {count, n, n}), bigOut,
                           true);
  });
  EXPECT_NE(message.find("batch index 123 "), std::string::npos) << message;
}

TEST(Lapack, TriangularSolvesOnEverySideTriangleAndTransposition) {
  const Matrix tri = {2, 9, 9, 1, 3, 9, -1, 0.5, 4}; // lower; 9s unread
  const Matrix b = {1, 2, 3, 4, 5, 6};               // 3 x 2 or 2 x 3
  for (bool lower : {true, false}) {
    // The triangle as a full matrix, the other side zero.
    Matrix t = lower ? tri : transpose(tri, 3, 3);
    Matrix full = t;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        if (lower ? j > i : j < i)
          full[i * 3 + j] = 0;
    for (bool transposed : {false, true}) {
      Matrix op = transposed ? transpose(full, 3, 3) : full;
      for (bool right : {false, true}) {
        const Shape shape = right ? Shape{2, 3} : Shape{3, 2};
        Tensor out = Tensor::empty(shape, DType::Float64);
        lapack::triangularSolve("trsm", tensorOf(t, {3, 3}), tensorOf(b, shape),
                                out, right, lower, transposed, 2.0);
        Matrix x = valuesOf(out);
        Matrix back =
            right ? multiply(x, op, 2, 3, 3) : multiply(op, x, 3, 3, 2);
        Matrix want = b;
        for (double &v : want)
          v *= 2.0;
        expectNear(back, want, 1e-12);
      }
    }
  }
}

TEST(Lapack, LqFactorization) {
  const Matrix a = {1, 2, 3, 4, 5, 6};
  Tensor q = Tensor::empty({2, 3}, DType::Float64);
  Tensor l = Tensor::empty({2, 2}, DType::Float64);
  lapack::lqFactor("gelqf", tensorOf(a, {2, 3}), q, l);
  Matrix qv = valuesOf(q), lv = valuesOf(l);
  EXPECT_EQ(lv[1], 0.0);
  expectNear(multiply(lv, qv, 2, 2, 3), a, 1e-12);
  expectNear(multiply(qv, transpose(qv, 2, 3), 2, 3, 2), {1, 0, 0, 1}, 1e-12);
  // LAPACK's signs, as MXNet 1.9.1 returns them.
  EXPECT_NEAR(lv[0], -3.7416573867739413, 1e-12);
  EXPECT_NEAR(qv[0], -0.2672612419124244, 1e-12);
}

TEST(Lapack, SymmetricEigenvectorsAreRowsWithMxnetsSigns) {
  Matrix a = kSpd;
  a[2] = 100; // above the diagonal: not read
  Tensor u = Tensor::empty({3, 3}, DType::Float64);
  Tensor lambda = Tensor::empty({3}, DType::Float64);
  lapack::symmetricEigen("syevd", tensorOf(a, {3, 3}), u, lambda);
  Matrix uv = valuesOf(u), lv = valuesOf(lambda);
  EXPECT_LT(lv[0], lv[1]);
  EXPECT_LT(lv[1], lv[2]);
  Matrix scaled = uv;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      scaled[i * 3 + j] *= lv[i];
  expectNear(multiply(uv, kSpd, 3, 3, 3), scaled, 1e-12);
  for (int i = 0; i < 3; ++i) {
    int largest = 0;
    for (int j = 1; j < 3; ++j)
      if (std::fabs(uv[i * 3 + j]) > std::fabs(uv[i * 3 + largest]))
        largest = j;
    EXPECT_GT(uv[i * 3 + largest], 0.0) << "row " << i;
  }
}

TEST(Lapack, InverseAndDeterminants) {
  const Matrix a = {0, 2, 1, 1, 1, 0, 3, 0, 1}; // needs pivoting; det -5
  Tensor inverse = Tensor::empty({3, 3}, DType::Float64);
  lapack::inverse("inverse", tensorOf(a, {3, 3}), inverse, true);
  expectNear(multiply(a, valuesOf(inverse), 3, 3, 3),
             {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-12);
  Tensor det = Tensor::empty({1}, DType::Float64);
  Tensor sign = Tensor::empty({1}, DType::Float64);
  Tensor logAbs = Tensor::empty({1}, DType::Float64);
  lapack::determinant("det", tensorOf(a, {3, 3}), det, Tensor(), Tensor());
  EXPECT_NEAR(valuesOf(det)[0], -5.0, 1e-12);
  lapack::determinant("slogdet", tensorOf(a, {3, 3}), Tensor(), sign, logAbs);
  EXPECT_EQ(valuesOf(sign)[0], -1.0);
  EXPECT_NEAR(valuesOf(logAbs)[0], std::log(5.0), 1e-12);

  const Matrix singular = {1, 2, 2, 4};
  Tensor out = Tensor::empty({2, 2}, DType::Float64);
  EXPECT_NE(errorOf([&] {
              lapack::inverse("inverse", tensorOf(singular, {2, 2}), out, true);
            }).find("inverse: the matrix at batch index 0 is singular"),
            std::string::npos);
  lapack::inverse("inverse", tensorOf(singular, {2, 2}), out, false);
  expectNear(valuesOf(out), {0, 0, 0, 0}, 0);
  lapack::determinant("slogdet", tensorOf(singular, {2, 2}), Tensor(), sign,
                      logAbs);
  EXPECT_EQ(valuesOf(sign)[0], 0.0);
  EXPECT_TRUE(std::isinf(valuesOf(logAbs)[0]));
}

TEST(Lapack, Float32AndUnsupportedDTypes) {
  Tensor out = Tensor::empty({3, 3}, DType::Float32);
  lapack::choleskyFactor("potrf", tensorOf<float>(kSpd, {3, 3}), out, true);
  Matrix l = valuesOf<float>(out);
  expectNear(multiply(l, transpose(l, 3, 3), 3, 3, 3), kSpd, 1e-5);
  Tensor ints = Tensor::empty({2, 2}, DType::Int32);
  EXPECT_NE(errorOf([&] {
              lapack::inverse("inverse", ints, ints, true);
            }).find("dtype int32 is not supported"),
            std::string::npos);
}

} // namespace
} // namespace kiln
