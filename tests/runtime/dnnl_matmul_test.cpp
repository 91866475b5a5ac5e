// kiln_dnnl_matmul_f32, the entry compiled kernels call for f32 products, and
// dnnlMatmulBias, the dense layer's product with its bias:
// strided (transposed) operands, batch broadcasting, empty extents, ranks
// beyond oneDNN's, and its per-thread cache of primitives: the same shapes
// with other pointers or strides, many shapes (past the cache's bound), and
// several threads at once, each result against plain loops.
#include "runtime/cpu/DnnlMatmul.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace kiln {
namespace {

/// A ranked memref descriptor of any rank, as compiled code passes it.
struct Operand {
  std::vector<float> storage;
  std::vector<int64_t> words; // allocated, aligned, offset, sizes, strides
  UnrankedMemRef memref;

  /// A row-major buffer of `sizes`, seen through `strides` (row-major when
  /// empty), filled from `random`.
  Operand(const std::vector<int64_t> &sizes, std::vector<int64_t> strides,
          std::mt19937 &random) {
    const size_t rank = sizes.size();
    if (strides.empty()) {
      strides.assign(rank, 1);
      for (size_t dim = rank; dim-- > 1;)
        strides[dim - 1] = strides[dim] * sizes[dim];
    }
    int64_t extent = 1;
    for (size_t dim = 0; dim < rank; ++dim)
      if (sizes[dim] > 0)
        extent += (sizes[dim] - 1) * strides[dim];
    std::uniform_real_distribution<float> uniform(-1, 1);
    storage.resize(extent);
    for (float &value : storage)
      value = uniform(random);
    auto pointer =
        static_cast<int64_t>(reinterpret_cast<intptr_t>(storage.data()));
    words = {pointer, pointer, 0};
    words.insert(words.end(), sizes.begin(), sizes.end());
    words.insert(words.end(), strides.begin(), strides.end());
    memref = {static_cast<int64_t>(rank), words.data()};
  }
  int64_t rank() const { return memref.rank; }
  int64_t size(int64_t dim) const { return words[3 + dim]; }
  int64_t stride(int64_t dim) const { return words[3 + rank() + dim]; }
  float &at(const std::vector<int64_t> &index) {
    int64_t offset = 0;
    for (int64_t dim = 0; dim < rank(); ++dim)
      offset += index[dim] * stride(dim);
    return storage[offset];
  }
};

/// c = a @ b by loops (batch dimensions broadcast, aligned at the right),
/// compared with what the entry wrote into c.
void expectProduct(Operand &a, Operand &b, Operand &c) {
  const int64_t rank = c.rank();
  const int64_t m = c.size(rank - 2), n = c.size(rank - 1),
                k = a.size(a.rank() - 1);
  int64_t batches = 1;
  for (int64_t dim = 0; dim < rank - 2; ++dim)
    batches *= c.size(dim);
  for (int64_t batch = 0; batch < batches; ++batch) {
    std::vector<int64_t> index(rank, 0);
    for (int64_t dim = rank - 3, rest = batch; dim >= 0; --dim) {
      index[dim] = rest % c.size(dim);
      rest /= c.size(dim);
    }
    auto operandIndex = [&](const Operand &x, int64_t i, int64_t j) {
      std::vector<int64_t> at(x.rank());
      for (int64_t dim = 0; dim < x.rank() - 2; ++dim) {
        const int64_t cDim = dim + rank - x.rank();
        at[dim] = x.size(dim) == 1 ? 0 : index[cDim];
      }
      at[x.rank() - 2] = i;
      at[x.rank() - 1] = j;
      return at;
    };
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum +=
              double(a.at(operandIndex(a, i, p))) * b.at(operandIndex(b, p, j));
        ASSERT_NEAR(c.at(operandIndex(c, i, j)), sum, 1e-4 * (1 + k))
            << "batch " << batch << " at (" << i << ", " << j << ")";
      }
  }
}

void run(Operand &a, Operand &b, Operand &c) {
  kiln_dnnl_matmul_f32(&a.memref, &b.memref, &c.memref);
}

/// Products of small shapes, b (and a) transposed views.
void plainAndTransposed() {
  std::mt19937 random(1);
  for (auto [m, k, n] : {std::array<int64_t, 3>{256, 128, 10},
                         {33, 70, 20},
                         {1, 5, 1},
                         {7, 1, 3}}) {
    Operand a({m, k}, {}, random), c({m, n}, {}, random);
    // b as the transposed view of an (n, k) weight, as dot(x, w.T) runs.
    Operand bt({k, n}, {1, k}, random), b({k, n}, {}, random);
    run(a, bt, c);
    expectProduct(a, bt, c);
    run(a, b, c);
    expectProduct(a, b, c);
    // a transposed too.
    Operand at({m, k}, {1, m}, random);
    run(at, bt, c);
    expectProduct(at, bt, c);
  }
}

TEST(DnnlMatmul, PlainAndTransposedOperands) {
  // Before this thread claims the OpenMP team, and after.
  for (bool owner : {false, true}) {
    if (owner)
      claimOpenMPTeam();
    SCOPED_TRACE(owner ? "team owner" : "no owner");
    plainAndTransposed();
  }
}

TEST(DnnlMatmul, SameShapesOtherBuffersAndStrides) {
  // The cached primitive must follow each call's pointers and strides.
  std::mt19937 random(2);
  for (int round = 0; round < 3; ++round) {
    Operand a({16, 24}, {}, random), b({24, 8}, {}, random),
        c({16, 8}, {}, random);
    run(a, b, c);
    expectProduct(a, b, c);
    Operand wide({16, 24}, {48, 2}, random), cWide({16, 8}, {9, 1}, random);
    run(wide, b, cWide);
    expectProduct(wide, b, cWide);
  }
}

TEST(DnnlMatmul, BatchesBroadcast) {
  std::mt19937 random(3);
  Operand a({2, 1, 5, 6}, {}, random), b({3, 6, 4}, {}, random),
      c({2, 3, 5, 4}, {}, random);
  run(a, b, c);
  expectProduct(a, b, c);
}

TEST(DnnlMatmul, EmptyExtents) {
  std::mt19937 random(4);
  Operand a({3, 0}, {}, random), b({0, 2}, {}, random), c({3, 2}, {}, random);
  run(a, b, c); // An empty sum: zeros.
  for (float value : c.storage)
    EXPECT_EQ(value, 0.0f);
  Operand rows({0, 4}, {}, random), w({4, 2}, {}, random),
      none({0, 2}, {}, random);
  run(rows, w, none); // Nothing to write.
}

TEST(DnnlMatmul, RanksBeyondOneDnnTakeTheLoops) {
  std::mt19937 random(5);
  std::vector<int64_t> batch(12, 1);
  batch[0] = 2;
  std::vector<int64_t> aSizes = batch, bSizes = batch, cSizes = batch;
  aSizes.insert(aSizes.end(), {3, 4});
  bSizes.insert(bSizes.end(), {4, 2});
  cSizes.insert(cSizes.end(), {3, 2});
  Operand a(aSizes, {}, random), b(bSizes, {}, random), c(cSizes, {}, random);
  run(a, b, c);
  expectProduct(a, b, c);
}

TEST(DnnlMatmul, ManyShapesPastTheCacheBound) {
  std::mt19937 random(6);
  for (int64_t m = 1; m <= 300; ++m) {
    Operand a({m, 3}, {}, random), b({3, 2}, {}, random), c({m, 2}, {}, random);
    run(a, b, c);
    if (m % 50 == 0)
      expectProduct(a, b, c);
  }
}

TEST(DnnlMatmul, LargeProductsOffTheTeamOwnerRunInPieces) {
  // This thread owns the OpenMP team; another thread's large products run
  // in pieces on the pool, split by rows (M >= N) or by columns, transposed
  // operands and ragged piece edges included.
  claimOpenMPTeam();
  std::thread other([] {
    std::mt19937 random(8);
    for (auto [m, k, n] :
         {std::array<int64_t, 3>{264, 200, 120}, {40, 300, 1000}}) {
      Operand a({m, k}, {}, random), bt({k, n}, {1, k}, random),
          c({m, n}, {}, random);
      run(a, bt, c);
      expectProduct(a, bt, c);
    }
  });
  other.join();
}

TEST(DnnlMatmul, ThreadsKeepCachesOfTheirOwn) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      std::mt19937 random(10 + t);
      for (int round = 0; round < 20; ++round) {
        Operand a({32, 40}, {}, random), b({40, 16}, {1, 40}, random),
            c({32, 16}, {}, random);
        run(a, b, c);
        expectProduct(a, b, c);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
}

/// c = a b + bias by dnnlMatmulBias on 2-D operands, checked by loops.
void expectBiasProduct(Operand &a, Operand &b, std::vector<float> &bias,
                       Operand &c) {
  auto matrix = [](Operand &x) {
    return StridedMatrix{x.storage.data(), x.size(0), x.size(1), x.stride(0),
                         x.stride(1)};
  };
  dnnlMatmulBias(matrix(a), matrix(b), bias.data(), matrix(c));
  const int64_t k = a.size(1);
  for (int64_t i = 0; i < c.size(0); ++i)
    for (int64_t j = 0; j < c.size(1); ++j) {
      double sum = bias[j];
      for (int64_t p = 0; p < k; ++p)
        sum += double(a.at({i, p})) * b.at({p, j});
      ASSERT_NEAR(c.at({i, j}), sum, 1e-4 * (1 + k))
          << "at (" << i << ", " << j << ")";
    }
}

TEST(DnnlMatmul, BiasAddedToEveryRow) {
  std::mt19937 random(9);
  for (auto [m, k, n] :
       {std::array<int64_t, 3>{4, 6, 5}, {256, 128, 10}, {3, 0, 2}}) {
    Operand a({m, k}, {}, random), bt({k, n}, {1, k}, random),
        c({m, n}, {}, random);
    std::vector<float> bias(n);
    for (size_t i = 0; i < bias.size(); ++i)
      bias[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
    expectBiasProduct(a, bt, bias, c);
  }
}

TEST(DnnlMatmul, BiasFollowsColumnPieces) {
  // Off the team's owner, a wide product is cut by columns, and each piece
  // takes its part of the bias.
  claimOpenMPTeam();
  std::thread other([] {
    std::mt19937 random(11);
    Operand a({40, 300}, {}, random), bt({300, 1000}, {1, 300}, random),
        c({40, 1000}, {}, random);
    std::vector<float> bias(1000);
    for (size_t i = 0; i < bias.size(); ++i)
      bias[i] = static_cast<float>(i) / 100;
    expectBiasProduct(a, bt, bias, c);
  });
  other.join();
}

} // namespace
} // namespace kiln
