//===- DnnlSupport.cpp - what kiln's oneDNN kernels share -----------------===//
#include "runtime/cpu/DnnlSupport.h"

#include "runtime/Allocator.h"

#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>

namespace kiln {
namespace dnnl_support {

dnnl::engine &cpuEngine() {
  static dnnl::engine *engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

bool hasAvx512Kernels() {
  static const bool avx512 = [] {
    const int isa = static_cast<int>(dnnl::get_effective_cpu_isa());
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
  }();
  return avx512;
}

dnnl::memory::desc plainDesc(const std::vector<int64_t> &sizes,
                             const std::vector<int64_t> &strides) {
  dnnl::memory::dims dims(sizes.begin(), sizes.end());
  dnnl::memory::dims steps(strides.begin(), strides.end());
  // oneDNN wants a meaningful stride for unit dimensions too.
  int64_t inner = 1;
  for (size_t dim = dims.size(); dim-- > 0;) {
    if (dims[dim] == 1)
      steps[dim] = inner;
    inner = std::max<int64_t>(inner, steps[dim] * dims[dim]);
  }
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, steps);
}

namespace {
/// One dimension's address arithmetic, most significant part first: its
/// outer part and then each of its inner blocks as (size, stride) pairs,
/// without parts of size 1 and with parts that tile the next merged.
std::vector<std::pair<int64_t, int64_t>>
dimensionParts(const dnnl_memory_desc_t &desc, int dim) {
  const dnnl_blocking_desc_t &blocking = desc.format_desc.blocking;
  std::vector<std::pair<int64_t, int64_t>> parts;
  int64_t blocked = 1;
  for (int i = 0; i < blocking.inner_nblks; ++i)
    if (blocking.inner_idxs[i] == dim)
      blocked *= blocking.inner_blks[i];
  parts.emplace_back(desc.dims[dim] / blocked, blocking.strides[dim]);
  for (int i = 0; i < blocking.inner_nblks; ++i) {
    if (blocking.inner_idxs[i] != dim)
      continue;
    // Inner blocks are laid out densely, the last listed fastest.
    int64_t stride = 1;
    for (int j = i + 1; j < blocking.inner_nblks; ++j)
      stride *= blocking.inner_blks[j];
    parts.emplace_back(blocking.inner_blks[i], stride);
  }
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto &part : parts) {
    if (part.first == 1)
      continue;
    if (!merged.empty() && merged.back().second == part.first * part.second)
      merged.back() = {merged.back().first * part.first, part.second};
    else
      merged.push_back(part);
  }
  return merged;
}
} // namespace

bool sameLayout(const dnnl::memory::desc &a, const dnnl::memory::desc &b) {
  if (a == b)
    return true;
  const dnnl_memory_desc_t &x = a.data, &y = b.data;
  if (x.ndims != y.ndims || x.data_type != y.data_type ||
      x.format_kind != dnnl_blocked || y.format_kind != dnnl_blocked ||
      x.offset0 != y.offset0 || x.extra.flags != 0 || y.extra.flags != 0)
    return false;
  for (int dim = 0; dim < x.ndims; ++dim) {
    // Padded dims hold zeros a plain buffer has no room for.
    if (x.dims[dim] != y.dims[dim] || x.padded_dims[dim] != x.dims[dim] ||
        y.padded_dims[dim] != y.dims[dim] || x.padded_offsets[dim] != 0 ||
        y.padded_offsets[dim] != 0)
      return false;
  }
  for (int dim = 0; dim < x.ndims; ++dim)
    if (x.dims[dim] == 0)
      return true; // No elements, no addresses.
  for (int dim = 0; dim < x.ndims; ++dim)
    if (dimensionParts(x, dim) != dimensionParts(y, dim))
      return false;
  return true;
}

namespace {

/// Set while this thread holds the library-call turn (OpenMPLease's Turn
/// and AllCores): one thread at a time.
thread_local bool holdsLibraryTurn = false;

struct ScratchBuffer {
  void *data = nullptr;
  size_t bytes = 0;
  ~ScratchBuffer() { HostMemory().free(data, bytes); }
};

} // namespace

void *threadScratch(int slot, size_t bytes) {
  thread_local ScratchBuffer buffers[8];
  // Calls under the turn run one at a time, so they share one set: each
  // engine worker kept its own copy of Winograd's scratchpad otherwise
  // (120 MiB each for ResNet-18's 64 channels at 32x32, batch 32), pages a
  // first training step spent most of its extra time zeroing. The turn's
  // mutex orders every use.
  static ScratchBuffer turnBuffers[8];
  ScratchBuffer &buffer = (holdsLibraryTurn ? turnBuffers : buffers)[slot];
  if (buffer.bytes < bytes) {
    // HostMemory's: large buffers on transparent huge pages, which a
    // process's first convolutions fault in 512 times faster (Winograd's
    // scratchpads and the converted activations are megabytes each).
    HostMemory memory;
    memory.free(buffer.data, buffer.bytes);
    const size_t rounded = (bytes + 63) / 64 * 64;
    buffer.data = memory.allocate(rounded, 64);
    if (!buffer.data)
      throw std::bad_alloc();
    buffer.bytes = rounded;
  }
  return buffer.data;
}

void appendKey(std::string &key, const std::vector<int64_t> &values) {
  for (int64_t value : values) {
    key += std::to_string(value);
    key += ',';
  }
  key += ';';
}

namespace {
std::mutex &libraryCallTurn() {
  static auto *turn = new std::mutex();
  return *turn;
}
} // namespace

OpenMPLease::OpenMPLease(Policy policy)
    : turn_(libraryCallTurn(), std::defer_lock) {
  CoreBudget &budget = ThreadPool::globalBudget();
  const int wanted = policy == Policy::OneCore ? 0 : budget.cores() - 1;
  if ((policy == Policy::Turn || policy == Policy::AllCores) &&
      !turn_.try_lock()) {
    // The worker's own core is of no use while it waits.
    budget.give(1);
    turn_.lock();
    budget.takeOne();
  }
  extra_ = budget.tryTake(wanted);
  if ((policy == Policy::Turn || policy == Policy::AllCores) &&
      extra_ < wanted) {
    // Turn: the core of the call before may still be on its way back, and
    // a short wait for it beats a whole call on fewer threads. AllCores:
    // until the other workers' ops end, which takes milliseconds; the bound
    // keeps a caller (possibly the Python thread running a tiny op inline)
    // from stalling behind a long one (it then oversubscribes, below).
    const auto until =
        std::chrono::steady_clock::now() +
        (policy == Policy::Turn ? std::chrono::microseconds(20)
                                : std::chrono::milliseconds(200));
    while (extra_ < wanted && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
      extra_ += budget.tryTake(wanted - extra_);
    }
  }
  // AllCores keeps its thread count whatever it got: a hybridized block's
  // second backward under retain_graph differed from its first in a weight
  // gradient when a busy machine gave one of them fewer threads.
  threads_ = policy == Policy::AllCores ? wanted + 1 : extra_ + 1;
  setOpenMPThreadsForThisThread(threads_);
  holdsLibraryTurn = turn_.owns_lock();
}

OpenMPLease::~OpenMPLease() {
  if (turn_.owns_lock())
    holdsLibraryTurn = false; // Before turn_ unlocks, as a member.
  ThreadPool::globalBudget().give(extra_);
}

void execute(const dnnl::primitive &primitive,
             const std::vector<Argument> &arguments,
             const dnnl::memory::desc &scratchpad) {
  dnnl::engine &engine = cpuEngine();
  dnnl::stream stream(engine);
  std::unordered_map<int, dnnl::memory> args;
  std::vector<std::pair<dnnl::memory, dnnl::memory>> writeBack;
  int slot = 0;
  for (const Argument &argument : arguments) {
    if (sameLayout(argument.user, argument.wanted)) {
      args.emplace(argument.id,
                   dnnl::memory(argument.wanted, engine, argument.data));
      continue;
    }
    dnnl::memory user(argument.user, engine, argument.data);
    dnnl::memory converted(argument.wanted, engine,
                           threadScratch(slot++, argument.wanted.get_size()));
    if (argument.isOutput)
      writeBack.emplace_back(converted, user);
    else
      dnnl::reorder(user, converted).execute(stream, user, converted);
    args.emplace(argument.id, converted);
  }
  if (scratchpad.get_size() > 0)
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 dnnl::memory(scratchpad, engine,
                              threadScratch(7, scratchpad.get_size())));
  primitive.execute(stream, args);
  for (auto &[from, to] : writeBack)
    dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
}

} // namespace dnnl_support
} // namespace kiln
