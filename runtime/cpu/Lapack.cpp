//===- Lapack.cpp ---------------------------------------------------------===//
#include "runtime/cpu/Lapack.h"

#include "runtime/Error.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <limits>
#include <mutex>
#include <vector>

// LAPACK's and BLAS's Fortran ABI (LP64: 32-bit integers). Character
// arguments carry hidden lengths at the end, as gfortran passes them.
extern "C" {
void spotrf_(const char *uplo, const int *n, float *a, const int *lda,
             int *info, size_t);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t);
void spotri_(const char *uplo, const int *n, float *a, const int *lda,
             int *info, size_t);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t);
void strsm_(const char *side, const char *uplo, const char *transa,
            const char *diag, const int *m, const int *n, const float *alpha,
            const float *a, const int *lda, float *b, const int *ldb, size_t,
            size_t, size_t, size_t);
void dtrsm_(const char *side, const char *uplo, const char *transa,
            const char *diag, const int *m, const int *n, const double *alpha,
            const double *a, const int *lda, double *b, const int *ldb, size_t,
            size_t, size_t, size_t);
void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau,
             float *work, const int *lwork, int *info);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda,
             const float *tau, float *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a,
             const int *lda, const double *tau, double *work, const int *lwork,
             int *info);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a,
             const int *lda, float *w, float *work, const int *lwork,
             int *iwork, const int *liwork, int *info, size_t, size_t);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
             const int *lda, double *w, double *work, const int *lwork,
             int *iwork, const int *liwork, int *info, size_t, size_t);
void sgetrf_(const int *m, const int *n, float *a, const int *lda, int *ipiv,
             int *info);
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv,
             int *info);
void sgetri_(const int *n, float *a, const int *lda, const int *ipiv,
             float *work, const int *lwork, int *info);
void dgetri_(const int *n, double *a, const int *lda, const int *ipiv,
             double *work, const int *lwork, int *info);
}

namespace kiln {
namespace lapack {
namespace {

/// OpenBLAS (what Debian's alternatives load by default) runs each call on
/// a thread per core, unaware of kiln's core budget: with the engine's
/// workers and the thread pool busy, its threads oversubscribe the cores
/// (measured on 2 loaded cores: potrf of a 256 x 256 float32 matrix 0.24 ms
/// on one thread, 8-12 ms on two; syevd of 1000 8 x 8 matrices 3 ms against
/// 110 ms). kiln parallelizes over a batch on its own pool instead, so while
/// its LAPACK kernels run OpenBLAS is asked for one thread, and the count it
/// had is put back when the last of them ends: numpy, when it uses the same
/// library, keeps its threads. Left alone when the user set
/// OPENBLAS_NUM_THREADS, and for other LAPACKs (they lack the symbols).
class OneBlasThread {
public:
  OneBlasThread() {
    State &state = shared();
    if (!state.set)
      return;
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.users++ == 0) {
      state.saved = state.get();
      state.set(1);
    }
  }
  ~OneBlasThread() {
    State &state = shared();
    if (!state.set)
      return;
    std::lock_guard<std::mutex> lock(state.mutex);
    if (--state.users == 0)
      state.set(state.saved);
  }
  OneBlasThread(const OneBlasThread &) = delete;
  OneBlasThread &operator=(const OneBlasThread &) = delete;

private:
  struct State {
    /// OpenBLAS's setter and getter; both null when OPENBLAS_NUM_THREADS
    /// is set or the LAPACK is not OpenBLAS.
    void (*set)(int) = nullptr;
    int (*get)() = nullptr;
    std::mutex mutex;
    int users = 0; // kernels running now
    int saved = 1; // the count to put back
  };
  static State &shared() {
    static State state;
    static std::once_flag lookedUp;
    std::call_once(lookedUp, [] {
      if (std::getenv("OPENBLAS_NUM_THREADS"))
        return;
      // The BLAS kiln links, already loaded: Python loads extensions
      // RTLD_LOCAL, so RTLD_DEFAULT would not see OpenBLAS's symbols.
      void *library = dlopen("libblas.so.3", RTLD_NOW | RTLD_NOLOAD);
      void *scope = library ? library : RTLD_DEFAULT;
      auto set = reinterpret_cast<void (*)(int)>(
          dlsym(scope, "openblas_set_num_threads"));
      auto get =
          reinterpret_cast<int (*)()>(dlsym(scope, "openblas_get_num_threads"));
      if (set && get) {
        state.set = set;
        state.get = get;
      }
    });
    return state;
  }
};

/// The routines of one precision, under one name.
template <typename T> struct Routines;

template <> struct Routines<float> {
  static constexpr char prefix = 's';
  static void potrf(char uplo, int n, float *a, int lda, int &info) {
    spotrf_(&uplo, &n, a, &lda, &info, 1);
  }
  static void potri(char uplo, int n, float *a, int lda, int &info) {
    spotri_(&uplo, &n, a, &lda, &info, 1);
  }
  static void trsm(char side, char uplo, char trans, int m, int n, float alpha,
                   const float *a, int lda, float *b, int ldb) {
    const char diag = 'N';
    strsm_(&side, &uplo, &trans, &diag, &m, &n, &alpha, a, &lda, b, &ldb, 1, 1,
           1, 1);
  }
  static void geqrf(int m, int n, float *a, int lda, float *tau, float *work,
                    int lwork, int &info) {
    sgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
  }
  static void orgqr(int m, int n, int k, float *a, int lda, const float *tau,
                    float *work, int lwork, int &info) {
    sorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
  }
  static void syevd(int n, float *a, int lda, float *w, float *work, int lwork,
                    int *iwork, int liwork, int &info) {
    const char jobz = 'V', uplo = 'U';
    ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info,
            1, 1);
  }
  static void getrf(int n, float *a, int lda, int *ipiv, int &info) {
    sgetrf_(&n, &n, a, &lda, ipiv, &info);
  }
  static void getri(int n, float *a, int lda, const int *ipiv, float *work,
                    int lwork, int &info) {
    sgetri_(&n, a, &lda, ipiv, work, &lwork, &info);
  }
};

template <> struct Routines<double> {
  static constexpr char prefix = 'd';
  static void potrf(char uplo, int n, double *a, int lda, int &info) {
    dpotrf_(&uplo, &n, a, &lda, &info, 1);
  }
  static void potri(char uplo, int n, double *a, int lda, int &info) {
    dpotri_(&uplo, &n, a, &lda, &info, 1);
  }
  static void trsm(char side, char uplo, char trans, int m, int n, double alpha,
                   const double *a, int lda, double *b, int ldb) {
    const char diag = 'N';
    dtrsm_(&side, &uplo, &trans, &diag, &m, &n, &alpha, a, &lda, b, &ldb, 1, 1,
           1, 1);
  }
  static void geqrf(int m, int n, double *a, int lda, double *tau, double *work,
                    int lwork, int &info) {
    dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
  }
  static void orgqr(int m, int n, int k, double *a, int lda, const double *tau,
                    double *work, int lwork, int &info) {
    dorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
  }
  static void syevd(int n, double *a, int lda, double *w, double *work,
                    int lwork, int *iwork, int liwork, int &info) {
    const char jobz = 'V', uplo = 'U';
    dsyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info,
            1, 1);
  }
  static void getrf(int n, double *a, int lda, int *ipiv, int &info) {
    dgetrf_(&n, &n, a, &lda, ipiv, &info);
  }
  static void getri(int n, double *a, int lda, const int *ipiv, double *work,
                    int lwork, int &info) {
    dgetri_(&n, a, &lda, ipiv, work, &lwork, &info);
  }
};

/// A batch of row-major (rows, cols) matrices: the last two axes of a
/// contiguous tensor.
struct Batch {
  int64_t count = 0;
  int rows = 0;
  int cols = 0;
};

Batch batchOf(const std::string &op, const Tensor &t, const char *what) {
  if (!t.isContiguous())
    throw Error(formatMessage(op, ": ", what, " must be contiguous"));
  if (t.rank() < 2)
    throw Error(formatMessage(op, ": ", what,
                              " expected a batch of matrices (rank >= 2), got "
                              "shape ",
                              shapeToString(t.shape())));
  const int64_t rows = t.shape()[t.rank() - 2], cols = t.shape().back();
  if (rows > std::numeric_limits<int>::max() ||
      cols > std::numeric_limits<int>::max() ||
      rows * cols > std::numeric_limits<int>::max())
    throw Error(formatMessage(op, ": matrices of shape (", rows, ", ", cols,
                              ") are too large for LAPACK's 32-bit indices"));
  Batch batch;
  batch.rows = static_cast<int>(rows);
  batch.cols = static_cast<int>(cols);
  batch.count = 1;
  for (int64_t d = 0; d + 2 < t.rank(); ++d)
    batch.count *= t.shape()[d];
  return batch;
}

template <typename T> T *elements(const Tensor &t) {
  return static_cast<T *>(t.data());
}

/// Runs body(index) for every matrix of a batch of `count`, on the thread
/// pool when there is enough work (about n^3 flops per matrix), and throws
/// the error of the lowest failing index, so errors do not depend on the
/// scheduling.
void forEachMatrix(int64_t count, int64_t n,
                   const std::function<void(int64_t)> &body) {
  if (count <= 1 || count * n * n * n < (1 << 16)) {
    for (int64_t i = 0; i < count; ++i)
      body(i);
    return;
  }
  std::atomic<int64_t> firstFailure{count};
  std::vector<std::string> messages(count);
  const int64_t grain =
      std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, n * n * n));
  ThreadPool::global().parallelFor(
      0, count, grain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end && i < firstFailure.load(); ++i) {
          try {
            body(i);
          } catch (const Error &error) {
            messages[i] = error.what();
            int64_t seen = firstFailure.load();
            while (i < seen && !firstFailure.compare_exchange_weak(seen, i)) {
            }
            return;
          }
        }
      });
  if (firstFailure.load() < count)
    throw Error(messages[firstFailure.load()]);
}

/// Zeros the row-major strict upper (`upper`) or lower triangle of the
/// n x n matrix at `m`.
template <typename T> void zeroTriangle(T *m, int n, bool upper) {
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (upper ? j > i : j < i)
        m[i * n + j] = T(0);
}

/// Copies the row-major lower (`fromLower`) or upper triangle of the n x n
/// matrix at `m` onto the other side, making it symmetric.
template <typename T> void mirrorTriangle(T *m, int n, bool fromLower) {
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < i; ++j) {
      if (fromLower)
        m[j * n + i] = m[i * n + j];
      else
        m[i * n + j] = m[j * n + i];
    }
}

std::string routine(char prefix, const char *name) {
  return std::string(1, prefix) + name;
}

template <typename T>
void choleskyFactorTyped(const std::string &op, const Tensor &a,
                         const Tensor &out, bool lower) {
  const Batch batch = batchOf(op, a, "A");
  const int n = batch.rows;
  const int64_t size = int64_t(n) * n;
  const T *in = elements<T>(a);
  T *result = elements<T>(out);
  forEachMatrix(batch.count, n, [&](int64_t i) {
    T *m = result + i * size;
    std::memcpy(m, in + i * size, size * sizeof(T));
    int info = 0;
    // The row-major lower triangle is the column-major upper one.
    Routines<T>::potrf(lower ? 'U' : 'L', n, m, std::max(1, n), info);
    if (info > 0)
      throw Error(formatMessage(
          op, ": the matrix at batch index ", i, " is not positive definite (",
          routine(Routines<T>::prefix, "potrf"),
          " found the leading minor of order ", info,
          " not positive); potrf reads the ", lower ? "lower" : "upper",
          " triangle of a symmetric positive-definite matrix"));
    zeroTriangle(m, n, lower);
  });
}

template <typename T>
void choleskyInverseTyped(const std::string &op, const Tensor &factor,
                          const Tensor &out, bool lower) {
  const Batch batch = batchOf(op, factor, "A");
  const int n = batch.rows;
  const int64_t size = int64_t(n) * n;
  const T *in = elements<T>(factor);
  T *result = elements<T>(out);
  forEachMatrix(batch.count, n, [&](int64_t i) {
    T *m = result + i * size;
    std::memcpy(m, in + i * size, size * sizeof(T));
    int info = 0;
    Routines<T>::potri(lower ? 'U' : 'L', n, m, std::max(1, n), info);
    if (info > 0)
      throw Error(formatMessage(
          op, ": the Cholesky factor at batch index ", i, " is singular (",
          routine(Routines<T>::prefix, "potri"), ": diagonal entry ", info,
          " is zero); potri expects a factor from potrf"));
    mirrorTriangle(m, n, lower);
  });
}

template <typename T>
void triangularSolveTyped(const std::string &op, const Tensor &a,
                          const Tensor &b, const Tensor &out, bool rightSide,
                          bool lower, bool transpose, double alpha) {
  const Batch batchA = batchOf(op, a, "A");
  const Batch batchB = batchOf(op, b, "B");
  const int k = batchA.rows, rows = batchB.rows, cols = batchB.cols;
  const int64_t sizeA = int64_t(k) * k, sizeB = int64_t(rows) * cols;
  const T *inA = elements<T>(a);
  const T *inB = elements<T>(b);
  T *result = elements<T>(out);
  forEachMatrix(batchB.count, std::max(rows, cols), [&](int64_t i) {
    T *m = result + i * sizeB;
    std::memcpy(m, inB + i * sizeB, sizeB * sizeof(T));
    if (sizeB == 0)
      return;
    // Column-major, everything is transposed: a left solve becomes a right
    // one, a lower triangle an upper one; op(A) keeps its transposition.
    Routines<T>::trsm(rightSide ? 'L' : 'R', lower ? 'U' : 'L',
                      transpose ? 'T' : 'N', cols, rows, static_cast<T>(alpha),
                      inA + i * sizeA, std::max(1, k), m, std::max(1, cols));
  });
}

template <typename T>
void lqFactorTyped(const std::string &op, const Tensor &a, const Tensor &q,
                   const Tensor &l) {
  const Batch batch = batchOf(op, a, "A");
  const int m = batch.rows, n = batch.cols;
  const int64_t sizeA = int64_t(m) * n, sizeL = int64_t(m) * m;
  const T *in = elements<T>(a);
  T *outQ = elements<T>(q);
  T *outL = elements<T>(l);
  if (batch.count == 0 || sizeA == 0)
    return;
  // Column-major, A is its transpose (n, m): A^T = Q^T L^T is a QR
  // factorization, so geqrf and orgqr give Q and L with LAPACK's signs.
  const int ld = std::max(1, n);
  int lwork = -1, info = 0;
  T query[2] = {T(0), T(0)};
  Routines<T>::geqrf(n, m, nullptr, ld, nullptr, &query[0], -1, info);
  Routines<T>::orgqr(n, m, m, nullptr, ld, nullptr, &query[1], -1, info);
  lwork =
      std::max({1, static_cast<int>(query[0]), static_cast<int>(query[1]), m});
  forEachMatrix(batch.count, std::max(m, n), [&](int64_t i) {
    std::vector<T> tau(std::max(1, m)), work(lwork);
    T *mq = outQ + i * sizeA;
    T *ml = outL + i * sizeL;
    std::memcpy(mq, in + i * sizeA, sizeA * sizeof(T));
    int status = 0;
    Routines<T>::geqrf(n, m, mq, ld, tau.data(), work.data(), lwork, status);
    // R (column-major upper, m x m) is L's transpose.
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < m; ++c)
        ml[r * m + c] = c <= r ? mq[r * n + c] : T(0);
    Routines<T>::orgqr(n, m, m, mq, ld, tau.data(), work.data(), lwork, status);
    if (status != 0)
      throw Error(formatMessage(op, ": ", routine(Routines<T>::prefix, "orgqr"),
                                " failed at batch index ", i, " (info ", status,
                                ")"));
  });
}

template <typename T>
void symmetricEigenTyped(const std::string &op, const Tensor &a,
                         const Tensor &u, const Tensor &lambda) {
  const Batch batch = batchOf(op, a, "A");
  const int n = batch.rows;
  const int64_t size = int64_t(n) * n;
  const T *in = elements<T>(a);
  T *outU = elements<T>(u);
  T *outLambda = elements<T>(lambda);
  if (batch.count == 0 || n == 0)
    return;
  int lwork = -1, liwork = -1, info = 0;
  T workQuery = T(0);
  int iworkQuery = 0;
  Routines<T>::syevd(n, nullptr, std::max(1, n), nullptr, &workQuery, -1,
                     &iworkQuery, -1, info);
  lwork = std::max(1, static_cast<int>(workQuery));
  liwork = std::max(1, iworkQuery);
  forEachMatrix(batch.count, n, [&](int64_t i) {
    T *m = outU + i * size;
    std::memcpy(m, in + i * size, size * sizeof(T));
    std::vector<T> work(lwork);
    std::vector<int> iwork(liwork);
    int status = 0;
    // Symmetric, A is its own transpose; the row-major lower triangle is the
    // column-major upper one. Column-major eigenvectors are row-major rows.
    Routines<T>::syevd(n, m, n, outLambda + i * n, work.data(), lwork,
                       iwork.data(), liwork, status);
    if (status != 0)
      throw Error(
          formatMessage(op, ": ", routine(Routines<T>::prefix, "syevd"),
                        " did not converge for the matrix at batch index ", i,
                        " (info ", status, ")"));
    for (int r = 0; r < n; ++r) {
      T *row = m + int64_t(r) * n;
      int largest = 0;
      for (int c = 1; c < n; ++c)
        if (std::fabs(row[c]) > std::fabs(row[largest]))
          largest = c;
      if (row[largest] < T(0))
        for (int c = 0; c < n; ++c)
          row[c] = -row[c];
    }
  });
}

template <typename T>
void inverseTyped(const std::string &op, const Tensor &a, const Tensor &out,
                  bool singularIsError) {
  const Batch batch = batchOf(op, a, "A");
  const int n = batch.rows;
  const int64_t size = int64_t(n) * n;
  const T *in = elements<T>(a);
  T *result = elements<T>(out);
  if (batch.count == 0 || n == 0)
    return;
  int info = 0;
  T query = T(0);
  Routines<T>::getri(n, nullptr, std::max(1, n), nullptr, &query, -1, info);
  const int lwork = std::max({1, n, static_cast<int>(query)});
  forEachMatrix(batch.count, n, [&](int64_t i) {
    T *m = result + i * size;
    std::memcpy(m, in + i * size, size * sizeof(T));
    // inverse(A^T) = inverse(A)^T: the column-major view needs no change.
    std::vector<int> pivots(n);
    int status = 0;
    Routines<T>::getrf(n, m, n, pivots.data(), status);
    if (status > 0) {
      if (singularIsError)
        throw Error(formatMessage(op, ": the matrix at batch index ", i,
                                  " is singular (",
                                  routine(Routines<T>::prefix, "getrf"), ": U(",
                                  status, ", ", status, ") is exactly zero)"));
      std::fill(m, m + size, T(0));
      return;
    }
    std::vector<T> work(lwork);
    Routines<T>::getri(n, m, n, pivots.data(), work.data(), lwork, status);
  });
}

template <typename T>
void determinantTyped(const std::string &op, const Tensor &a, const Tensor &det,
                      const Tensor &sign, const Tensor &logAbsDet) {
  const Batch batch = batchOf(op, a, "A");
  const int n = batch.rows;
  const int64_t size = int64_t(n) * n;
  const T *in = elements<T>(a);
  T *outDet = det.storage() ? elements<T>(det) : nullptr;
  T *outSign = sign.storage() ? elements<T>(sign) : nullptr;
  T *outLog = logAbsDet.storage() ? elements<T>(logAbsDet) : nullptr;
  forEachMatrix(batch.count, n, [&](int64_t i) {
    // det(A^T) = det(A): the column-major view needs no change.
    std::vector<T> lu(in + i * size, in + (i + 1) * size);
    std::vector<int> pivots(std::max(1, n));
    int status = 0;
    if (n > 0)
      Routines<T>::getrf(n, lu.data(), n, pivots.data(), status);
    // An exactly singular matrix (status > 0) has a zero on U's diagonal,
    // which the product and the sum of logarithms carry through.
    bool negative = false;
    T product = T(1), logSum = T(0), signs = T(1);
    for (int j = 0; j < n; ++j) {
      negative ^= pivots[j] != j + 1;
      const T d = lu[int64_t(j) * n + j];
      product *= d;
      signs *= T((T(0) < d) - (d < T(0)));
      logSum += std::log(std::fabs(d));
    }
    if (outDet)
      outDet[i] = negative ? -product : product;
    if (outSign)
      outSign[i] = negative ? -signs : signs;
    if (outLog)
      outLog[i] = logSum;
  });
}

template <typename Fn>
void byDType(const std::string &op, DType dtype, Fn &&fn) {
  OneBlasThread oneThread;
  if (dtype == DType::Float32)
    fn(float());
  else if (dtype == DType::Float64)
    fn(double());
  else
    throw Error(formatMessage(op, ": dtype ", dtypeName(dtype),
                              " is not supported; expected float32 or "
                              "float64"));
}

} // namespace

void choleskyFactor(const std::string &op, const Tensor &a, const Tensor &out,
                    bool lower) {
  byDType(op, a.dtype(), [&](auto type) {
    choleskyFactorTyped<decltype(type)>(op, a, out, lower);
  });
}

void choleskyInverse(const std::string &op, const Tensor &factor,
                     const Tensor &out, bool lower) {
  byDType(op, factor.dtype(), [&](auto type) {
    choleskyInverseTyped<decltype(type)>(op, factor, out, lower);
  });
}

void triangularSolve(const std::string &op, const Tensor &a, const Tensor &b,
                     const Tensor &out, bool rightSide, bool lower,
                     bool transpose, double alpha) {
  byDType(op, a.dtype(), [&](auto type) {
    triangularSolveTyped<decltype(type)>(op, a, b, out, rightSide, lower,
                                         transpose, alpha);
  });
}

void lqFactor(const std::string &op, const Tensor &a, const Tensor &q,
              const Tensor &l) {
  byDType(op, a.dtype(),
          [&](auto type) { lqFactorTyped<decltype(type)>(op, a, q, l); });
}

void symmetricEigen(const std::string &op, const Tensor &a, const Tensor &u,
                    const Tensor &lambda) {
  byDType(op, a.dtype(), [&](auto type) {
    symmetricEigenTyped<decltype(type)>(op, a, u, lambda);
  });
}

void inverse(const std::string &op, const Tensor &a, const Tensor &out,
             bool singularIsError) {
  byDType(op, a.dtype(), [&](auto type) {
    inverseTyped<decltype(type)>(op, a, out, singularIsError);
  });
}

void determinant(const std::string &op, const Tensor &a, const Tensor &det,
                 const Tensor &sign, const Tensor &logAbsDet) {
  byDType(op, a.dtype(), [&](auto type) {
    determinantTyped<decltype(type)>(op, a, det, sign, logAbsDet);
  });
}

} // namespace lapack
} // namespace kiln
