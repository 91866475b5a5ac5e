//===- DnnlMatmul.cpp - f32 matmul on oneDNN for compiled kernels ---------===//
#include "runtime/cpu/DnnlMatmul.h"

#include "runtime/ThreadPool.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <vector>

namespace kiln {
namespace {

/// A view of one ranked descriptor.
struct View {
  float *data;
  std::vector<int64_t> sizes, strides;

  /// The descriptor's view, with leading unit dimensions added up to
  /// `rank` (numpy aligns batch dimensions at the right).
  View(const UnrankedMemRef &memref, int64_t rank) {
    auto *words = static_cast<int64_t *>(memref.descriptor);
    data = reinterpret_cast<float *>(words[1]) + words[2];
    sizes.assign(rank - memref.rank, 1);
    strides.assign(rank - memref.rank, 0);
    sizes.insert(sizes.end(), words + 3, words + 3 + memref.rank);
    strides.insert(strides.end(), words + 3 + memref.rank,
                   words + 3 + 2 * memref.rank);
  }
  int64_t rank() const { return static_cast<int64_t>(sizes.size()); }
};

/// The plain loops, for what oneDNN declines (it should not, but a failure
/// inside a kernel has nowhere to go but a wrong answer otherwise).
void referenceMatmul(const View &a, const View &b, const View &c) {
  const int64_t rank = c.rank(), m = c.sizes[rank - 2], n = c.sizes[rank - 1];
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
        float sum = 0;
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

dnnl::memory::desc describe(const View &view) {
  dnnl::memory::dims sizes(view.sizes.begin(), view.sizes.end());
  dnnl::memory::dims strides(view.strides.begin(), view.strides.end());
  // oneDNN wants a stride for unit dimensions too; any value will do.
  for (size_t dim = 0; dim < strides.size(); ++dim)
    if (sizes[dim] == 1 && strides[dim] == 0)
      strides[dim] = 1;
  return dnnl::memory::desc(sizes, dnnl::memory::data_type::f32, strides);
}

dnnl::engine &cpuEngine() {
  static dnnl::engine *engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

} // namespace

extern "C" void kiln_dnnl_matmul_f32(UnrankedMemRef *aMemRef,
                                     UnrankedMemRef *bMemRef,
                                     UnrankedMemRef *cMemRef) {
  const int64_t rank = cMemRef->rank;
  const View a(*aMemRef, rank), b(*bMemRef, rank), c(*cMemRef, rank);
  int64_t outputs = 1;
  for (int64_t size : c.sizes)
    outputs *= size;
  if (outputs == 0)
    return;
  if (a.sizes[rank - 1] == 0) {
    referenceMatmul(a, b, c); // Empty sums: zeros.
    return;
  }
  // oneDNN's OpenMP threads come out of the same core budget as the engine's
  // workers and kiln's own thread pool.
  CoreLease lease(ThreadPool::globalBudget(),
                  ThreadPool::globalBudget().cores() - 1);
  setOpenMPThreadsForThisThread(lease.threads());
  try {
    if (rank > DNNL_MAX_NDIMS)
      throw dnnl::error(dnnl_unimplemented, "rank beyond oneDNN's limit");
    dnnl::memory::desc aDesc = describe(a), bDesc = describe(b),
                       cDesc = describe(c);
    // oneDNN keeps its own cache of primitives keyed by these descriptors.
    dnnl::matmul::primitive_desc primitive(
        dnnl::matmul::desc(aDesc, bDesc, cDesc), cpuEngine());
    dnnl::stream stream(cpuEngine());
    dnnl::memory aMemory(aDesc, cpuEngine(), a.data);
    dnnl::memory bMemory(bDesc, cpuEngine(), b.data);
    dnnl::memory cMemory(cDesc, cpuEngine(), c.data);
    dnnl::matmul(primitive).execute(stream, {{DNNL_ARG_SRC, aMemory},
                                             {DNNL_ARG_WEIGHTS, bMemory},
                                             {DNNL_ARG_DST, cMemory}});
    stream.wait();
  } catch (const dnnl::error &) {
    referenceMatmul(a, b, c);
  }
}

} // namespace kiln
