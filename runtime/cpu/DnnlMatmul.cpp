//===- DnnlMatmul.cpp - f32 matmul on oneDNN for compiled kernels ---------===//
//
// Per call, only what changes is redone: each thread keeps the matmul
// primitives it has run, keyed by the operands' sizes and strides and the
// thread count, with their memory objects (rebound to the call's pointers)
// and one stream. Building a primitive descriptor costs microseconds (oneDNN
// 2.6 caches primitives, not descriptors), as much as a small product itself.
//
// Threads. Debian's oneDNN runs on OpenMP (libgomp), whose teams belong to
// the thread that starts them. One team is fast: its idle threads spin, so
// the next product starts at once. Several (the caller's and each engine
// worker's) are slow and oversubscribe the cores: libgomp then stops
// spinning, and each product waits tens of microseconds to wake its
// threads. So one thread owns the process's OpenMP team: the one that
// dispatches products (the Python thread, where small and medium products
// run inline when their inputs are ready) claims it; products on other
// threads (engine workers, when the inputs were still being computed) run
// with oneDNN single-threaded, in pieces on kiln's thread pool when they are
// large enough to pay for waking a helper. Both draw their threads from the
// runtime's core budget.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/DnnlMatmul.h"

#include "runtime/ThreadPool.h"
#include "runtime/cpu/DnnlSupport.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kiln {
namespace {

/// Ranks beyond oneDNN's limit take the loops.
constexpr int64_t kMaxRank = DNNL_MAX_NDIMS;

/// A strided f32 view of rank up to oneDNN's.
struct View {
  float *data = nullptr;
  int64_t rank = 0;
  int64_t sizes[kMaxRank], strides[kMaxRank];

  /// The descriptor's view, with leading unit dimensions added up to
  /// `rank` (numpy aligns batch dimensions at the right); false when the
  /// rank is beyond oneDNN's.
  bool set(const UnrankedMemRef &memref, int64_t toRank) {
    if (toRank > kMaxRank || memref.rank > toRank)
      return false;
    auto *words = static_cast<int64_t *>(memref.descriptor);
    data = reinterpret_cast<float *>(words[1]) + words[2];
    rank = toRank;
    const int64_t pad = toRank - memref.rank;
    for (int64_t dim = 0; dim < pad; ++dim) {
      sizes[dim] = 1;
      strides[dim] = 0;
    }
    for (int64_t dim = 0; dim < memref.rank; ++dim) {
      sizes[pad + dim] = words[3 + dim];
      strides[pad + dim] = words[3 + memref.rank + dim];
    }
    return true;
  }
  void set(const StridedMatrix &matrix) {
    data = matrix.data;
    rank = 2;
    sizes[0] = matrix.rows;
    sizes[1] = matrix.columns;
    strides[0] = matrix.rowStride;
    strides[1] = matrix.columnStride;
  }
};

/// A product's operands: c = a b (+ bias, a 1 x N row added to every row
/// of c, when it has data).
struct Product {
  View a, b, c, bias;
  bool hasBias() const { return bias.data != nullptr; }
};

/// Any-rank operand of the plain loops.
struct LoopOperand {
  float *data;
  std::vector<int64_t> sizes, strides;

  /// With leading unit dimensions up to `rank`.
  LoopOperand(const UnrankedMemRef &memref, int64_t rank) {
    auto *words = static_cast<int64_t *>(memref.descriptor);
    data = reinterpret_cast<float *>(words[1]) + words[2];
    sizes.assign(rank - memref.rank, 1);
    strides.assign(rank - memref.rank, 0);
    sizes.insert(sizes.end(), words + 3, words + 3 + memref.rank);
    strides.insert(strides.end(), words + 3 + memref.rank,
                   words + 3 + 2 * memref.rank);
  }
  explicit LoopOperand(const View &view)
      : data(view.data), sizes(view.sizes, view.sizes + view.rank),
        strides(view.strides, view.strides + view.rank) {}
};

/// The plain loops, for what oneDNN declines (it should not, but a failure
/// inside a kernel has nowhere to go but a wrong answer otherwise), ranks
/// beyond oneDNN's and empty sums. `bias` (1 x N) may be null.
void referenceMatmul(const LoopOperand &a, const LoopOperand &b,
                     const LoopOperand &c, const LoopOperand *bias) {
  const int64_t rank = static_cast<int64_t>(c.sizes.size());
  const int64_t m = c.sizes[rank - 2], n = c.sizes[rank - 1];
  const int64_t k = a.sizes[rank - 1];
  std::vector<int64_t> index(rank - 2, 0);
  int64_t batches = 1;
  for (int64_t dim = 0; dim < rank - 2; ++dim)
    batches *= c.sizes[dim];
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t aOffset = 0, bOffset = 0, cOffset = 0;
    for (int64_t dim = 0; dim < rank - 2; ++dim) {
      // Broadcast batch dimensions (extent 1) stay at 0.
      aOffset += (a.sizes[dim] == 1 ? 0 : index[dim]) * a.strides[dim];
      bOffset += (b.sizes[dim] == 1 ? 0 : index[dim]) * b.strides[dim];
      cOffset += index[dim] * c.strides[dim];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float sum = bias ? bias->data[j * bias->strides[1]] : 0.0f;
        for (int64_t p = 0; p < k; ++p)
          sum += a.data[aOffset + i * a.strides[rank - 2] +
                        p * a.strides[rank - 1]] *
                 b.data[bOffset + p * b.strides[rank - 2] +
                        j * b.strides[rank - 1]];
        c.data[cOffset + i * c.strides[rank - 2] + j * c.strides[rank - 1]] =
            sum;
      }
    for (int64_t dim = rank - 3; dim >= 0; --dim) {
      if (++index[dim] < c.sizes[dim])
        break;
      index[dim] = 0;
    }
  }
}

void referenceMatmul(const Product &product) {
  const LoopOperand bias(product.bias);
  referenceMatmul(LoopOperand(product.a), LoopOperand(product.b),
                  LoopOperand(product.c), product.hasBias() ? &bias : nullptr);
}

dnnl::memory::desc describe(const View &view) {
  dnnl::memory::dims sizes(view.sizes, view.sizes + view.rank);
  dnnl::memory::dims strides(view.strides, view.strides + view.rank);
  // oneDNN wants a stride for unit dimensions too; any value will do.
  for (size_t dim = 0; dim < strides.size(); ++dim)
    if (sizes[dim] == 1 && strides[dim] == 0)
      strides[dim] = 1;
  return dnnl::memory::desc(sizes, dnnl::memory::data_type::f32, strides);
}

/// What selects a primitive: the thread count it was built for (oneDNN
/// splits the work by it) and each operand's sizes and strides (the bias's
/// all zero when there is none).
struct Key {
  int64_t words[2 + 6 * kMaxRank + 4];

  Key(int threads, const Product &product) {
    std::memset(words, 0, sizeof(words));
    words[0] = threads;
    words[1] = product.c.rank;
    int64_t *next = words + 2;
    for (const View *view : {&product.a, &product.b, &product.c}) {
      next = std::copy(view->sizes, view->sizes + view->rank, next);
      next = std::copy(view->strides, view->strides + view->rank, next);
    }
    if (product.hasBias()) {
      next = std::copy(product.bias.sizes, product.bias.sizes + 2, next);
      std::copy(product.bias.strides, product.bias.strides + 2, next);
    }
  }
  bool operator==(const Key &other) const {
    return std::memcmp(words, other.words, sizeof(words)) == 0;
  }
};

struct KeyHash {
  size_t operator()(const Key &key) const {
    uint64_t hash = 0x9E3779B97F4A7C15ull;
    for (int64_t word : key.words) {
      hash = (hash ^ static_cast<uint64_t>(word)) * 0xFF51AFD7ED558CCDull;
      hash ^= hash >> 32;
    }
    return hash;
  }
};

/// A primitive ready to run, with memory objects that only need the call's
/// pointers.
struct Prepared {
  dnnl::matmul primitive;
  dnnl::memory a, b, c, bias;
};

/// This thread's primitives and stream. Memory objects are rebound on each
/// call, so they must not be shared between threads.
struct ThreadCache {
  static constexpr size_t kMaxEntries = 256;
  std::unordered_map<Key, std::unique_ptr<Prepared>, KeyHash> entries;
  dnnl::stream stream{dnnl_support::cpuEngine()};

  Prepared &get(const Key &key, const Product &product) {
    auto found = entries.find(key);
    if (found != entries.end())
      return *found->second;
    // A program that keeps meeting new shapes starts over rather than
    // growing without bound.
    if (entries.size() >= kMaxEntries)
      entries.clear();
    dnnl::memory::desc aDesc = describe(product.a), bDesc = describe(product.b),
                       cDesc = describe(product.c);
    auto prepared = std::make_unique<Prepared>();
    if (product.hasBias()) {
      dnnl::memory::desc biasDesc = describe(product.bias);
      prepared->primitive = dnnl::matmul(dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(aDesc, bDesc, biasDesc, cDesc),
          dnnl_support::cpuEngine()));
      prepared->bias =
          dnnl::memory(biasDesc, dnnl_support::cpuEngine(), DNNL_MEMORY_NONE);
    } else {
      prepared->primitive = dnnl::matmul(dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(aDesc, bDesc, cDesc), dnnl_support::cpuEngine()));
    }
    prepared->a =
        dnnl::memory(aDesc, dnnl_support::cpuEngine(), DNNL_MEMORY_NONE);
    prepared->b =
        dnnl::memory(bDesc, dnnl_support::cpuEngine(), DNNL_MEMORY_NONE);
    prepared->c =
        dnnl::memory(cDesc, dnnl_support::cpuEngine(), DNNL_MEMORY_NONE);
    return *entries.emplace(key, std::move(prepared)).first->second;
  }
};

ThreadCache &threadCache() {
  thread_local ThreadCache cache;
  return cache;
}

void check(dnnl_status_t status, const char *what) {
  if (status != dnnl_success)
    throw dnnl::error(status, what);
}

/// The product by oneDNN on the calling thread and `threads` - 1 OpenMP
/// threads of its team.
void runOnThisThread(const Product &product, int threads = 1) {
  setOpenMPThreadsForThisThread(threads);
  ThreadCache &cache = threadCache();
  Prepared &prepared = cache.get(Key(threads, product), product);
  prepared.a.set_data_handle(product.a.data);
  prepared.b.set_data_handle(product.b.data);
  prepared.c.set_data_handle(product.c.data);
  dnnl_exec_arg_t arguments[] = {{DNNL_ARG_SRC, prepared.a.get()},
                                 {DNNL_ARG_WEIGHTS, prepared.b.get()},
                                 {DNNL_ARG_DST, prepared.c.get()},
                                 {DNNL_ARG_BIAS, nullptr}};
  int count = 3;
  if (product.hasBias()) {
    prepared.bias.set_data_handle(product.bias.data);
    arguments[count++].memory = prepared.bias.get();
  }
  check(dnnl_primitive_execute(prepared.primitive.get(), cache.stream.get(),
                               count, arguments),
        "matmul execution");
  // CPU streams run in order and return when done; waiting is cheap.
  check(dnnl_stream_wait(cache.stream.get()), "stream wait");
}

/// The thread that owns the OpenMP team (none until one claims it).
std::atomic<std::thread::id> openMPOwner{std::thread::id()};

/// This thread's claim on the team; a thread gives the team up when it ends
/// (a Python thread), so that another can claim it.
struct Claim {
  bool owns = false;
  ~Claim() {
    if (owns)
      openMPOwner.store(std::thread::id());
  }
};

Claim &claimOfThisThread() {
  thread_local Claim claim;
  return claim;
}

/// `view` narrowed to [begin, end) along dimension `dim`.
View narrowed(View view, int64_t dim, int64_t begin, int64_t end) {
  view.data += begin * view.strides[dim];
  view.sizes[dim] = end - begin;
  return view;
}

/// Pieces for the thread pool get at least this many multiply-adds: waking a
/// sleeping helper takes tens of microseconds on a virtual machine, and each
/// piece packs its part of the operands again.
constexpr int64_t kMinMacsPerPiece = int64_t{1} << 21;
/// Products below this many multiply-adds run on the owner of the OpenMP
/// team alone: a team of two makes each one wait for the second thread, and
/// on a loaded machine that thread may not be scheduled for milliseconds (an
/// unrolled LSTM's 8x64x16 products took 7 us to 20 ms each; one thread: 6
/// us). From 2^18 the product pays for the wake-up: a classifier's thin
/// products (256x128x10, 128x500x10) ran 25-30% faster on two threads than
/// on one (2-core Zen 3), where 2^20 had kept them on one.
constexpr int64_t kMinMacsForTeam = int64_t{1} << 18;
/// Piece boundaries fall on multiples of this many rows or columns (oneDNN's
/// register blocks).
constexpr int64_t kPieceAlignment = 16;

/// The product on kiln's thread pool: pieces along M (rows of a and c) or N
/// (columns of b, c and the bias), whichever divides the larger operand,
/// oneDNN single-threaded in each. The pool never waits for a helper that
/// has not started: a busy machine runs the pieces on the caller instead of
/// stalling. `reproducible`: the pieces are cut by the shape alone, even
/// when no core is free (oneDNN's sums may round differently for another
/// cut), so the bits never depend on timing.
void runInPieces(const Product &product, int64_t macs,
                 bool reproducible = false) {
  ThreadPool &pool = ThreadPool::global();
  const View &c = product.c;
  const int64_t rank = c.rank;
  const int64_t dim =
      c.sizes[rank - 1] > c.sizes[rank - 2] ? rank - 1 : rank - 2;
  const int64_t extent = c.sizes[dim];
  const int64_t pieces =
      std::min<int64_t>({int64_t{pool.numThreads()}, macs / kMinMacsPerPiece,
                         extent / kPieceAlignment});
  if (pieces <= 1 ||
      (!reproducible && ThreadPool::globalBudget().freeCores() <= 0)) {
    runOnThisThread(product);
    return;
  }
  const int64_t blocks = (extent + kPieceAlignment - 1) / kPieceAlignment;
  pool.parallelFor(0, pieces, 1, [&](int64_t first, int64_t last) {
    for (int64_t piece = first; piece < last; ++piece) {
      const int64_t begin =
          std::min(extent, blocks * piece / pieces * kPieceAlignment);
      const int64_t end =
          std::min(extent, blocks * (piece + 1) / pieces * kPieceAlignment);
      if (begin == end)
        continue;
      Product part = product;
      part.c = narrowed(c, dim, begin, end);
      if (dim == rank - 2) {
        part.a = narrowed(product.a, dim, begin, end);
      } else {
        part.b = narrowed(product.b, dim, begin, end);
        if (product.hasBias())
          part.bias = narrowed(product.bias, 1, begin, end);
      }
      runOnThisThread(part);
    }
  });
}

/// The product on oneDNN with the threads above; the loops when oneDNN
/// declines it. `reproducible`: always in pieces cut by the shape alone
/// (runInPieces), whichever thread calls and however many cores are free.
void run(const Product &product, bool reproducible = false) {
  const View &c = product.c;
  int64_t outputs = 1;
  for (int64_t dim = 0; dim < c.rank; ++dim)
    outputs *= c.sizes[dim];
  const int64_t k = product.a.sizes[c.rank - 1];
  if (outputs == 0)
    return;
  try {
    if (k == 0)
      throw dnnl::error(dnnl_unimplemented, "empty sums");
    if (reproducible) {
      runInPieces(product, outputs * k, /*reproducible=*/true);
    } else if (claimOfThisThread().owns) {
      if (outputs * k < kMinMacsForTeam) {
        runOnThisThread(product);
        return;
      }
      CoreLease lease(ThreadPool::globalBudget(),
                      ThreadPool::globalBudget().cores() - 1);
      runOnThisThread(product, lease.threads());
    } else {
      runInPieces(product, outputs * k);
    }
  } catch (const dnnl::error &) {
    referenceMatmul(product);
  }
}

} // namespace

extern "C" void kiln_dnnl_matmul_f32(UnrankedMemRef *aMemRef,
                                     UnrankedMemRef *bMemRef,
                                     UnrankedMemRef *cMemRef) {
  const int64_t rank = cMemRef->rank;
  Product product;
  if (!product.a.set(*aMemRef, rank) || !product.b.set(*bMemRef, rank) ||
      !product.c.set(*cMemRef, rank)) {
    // Beyond oneDNN's ranks.
    referenceMatmul(LoopOperand(*aMemRef, rank), LoopOperand(*bMemRef, rank),
                    LoopOperand(*cMemRef, rank), nullptr);
    return;
  }
  run(product);
}

void claimOpenMPTeam() {
  Claim &claim = claimOfThisThread();
  if (claim.owns)
    return;
  std::thread::id none;
  claim.owns =
      openMPOwner.compare_exchange_strong(none, std::this_thread::get_id());
}

void dnnlMatmulReproducible(const StridedMatrix &a, const StridedMatrix &b,
                            const StridedMatrix &c) {
  Product product;
  product.a.set(a);
  product.b.set(b);
  product.c.set(c);
  run(product, /*reproducible=*/true);
}

void dnnlMatmulBias(const StridedMatrix &a, const StridedMatrix &b,
                    const float *bias, const StridedMatrix &c) {
  Product product;
  product.a.set(a);
  product.b.set(b);
  product.c.set(c);
  // oneDNN 2.6 reads the bias as contiguous whatever its descriptor says.
  product.bias.set(
      StridedMatrix{const_cast<float *>(bias), 1, c.columns, c.columns, 1});
  run(product);
}

} // namespace kiln
