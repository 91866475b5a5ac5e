//===- DnnlSupport.h - what kiln's oneDNN kernels share ---------*- C++ -*-===//
//
// The CPU engine, plain memory descriptors of strided buffers, per-thread
// scratch memory for reorders and primitive scratchpads, and a bounded cache
// of prepared primitives keyed by shapes, strides and parameters (creating a
// primitive descriptor costs tens of microseconds; a small convolution runs
// in about a millisecond).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_DNNLSUPPORT_H
#define KILN_RUNTIME_CPU_DNNLSUPPORT_H

#include "runtime/ThreadPool.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln {
namespace dnnl_support {

dnnl::engine &cpuEngine();

/// Whether oneDNN runs its AVX-512 kernels here (avx512_core or later, as
/// ONEDNN_MAX_CPU_ISA allows): their blocks hold 16 channels, the AVX2
/// kernels' 8, and how they split work over threads differs with them.
bool hasAvx512Kernels();

/// A plain (strided) f32 descriptor of `sizes` and `strides` in elements.
dnnl::memory::desc plainDesc(const std::vector<int64_t> &sizes,
                             const std::vector<int64_t> &strides);

/// Whether `a` and `b` put every element at the same address: the same
/// dims and type, and per dimension the same sizes and strides once blocks
/// of one element are dropped and blocks that tile their outer part are
/// merged. A blocked activation whose spatial extent is 1 (nChw16c at 1x1)
/// is then its plain NCHW buffer, and needs no reorder.
bool sameLayout(const dnnl::memory::desc &a, const dnnl::memory::desc &b);

/// Per-thread growable scratch buffers; `slot` picks one of a few. A thread
/// holding the library-call turn (an OpenMPLease of policy Turn or
/// AllCores) gets the turn's own set instead, shared by whoever holds it
/// next: use the memory only inside the lease.
void *threadScratch(int slot, size_t bytes);

/// Appends `values` to a cache key.
void appendKey(std::string &key, const std::vector<int64_t> &values);

/// Bounded cache of prepared primitives of type Plan, keyed by strings.
template <typename Plan> class PlanCache {
public:
  std::shared_ptr<Plan>
  get(const std::string &key,
      const std::function<std::shared_ptr<Plan>()> &create) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = plans_.find(key);
      if (found != plans_.end())
        return found->second;
    }
    std::shared_ptr<Plan> plan = create();
    std::lock_guard<std::mutex> lock(mutex_);
    if (plans_.size() >= kCapacity)
      plans_.clear(); // Rare: a workload with that many distinct shapes.
    plans_.emplace(key, plan);
    return plan;
  }

private:
  static constexpr size_t kCapacity = 512;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Plan>> plans_;
};

/// oneDNN's OpenMP threads for the current call, leased from the runtime's
/// core budget like every other parallel kernel.
///
/// oneDNN 2.x sizes a primitive's parallel decomposition by
/// omp_get_max_threads() when the primitive is created and keeps it: take
/// the lease before creating one, and key cached primitives by threads(), or
/// a primitive made under a one-thread lease runs on one thread for good.
class OpenMPLease {
public:
  enum class Policy {
    /// The cores free now: for primitives whose results do not depend on
    /// their thread count (each output written by one thread).
    FreeCores,
    /// One such call at a time: two started together (a convolution's
    /// backward data and weights, which the engine sees as independent)
    /// would each get one core for their whole run, and the core of the
    /// shorter would sit idle until the longer ends. For primitives that
    /// scale with cores (Convolution.cpp's scalesWithCores).
    Turn,
    /// Its turn and every core, waited for: a primitive that splits a
    /// reduction over its threads (backward weights sums over the batch
    /// per thread) gives the same bits on every run only with the same
    /// thread count. Where the cores do not come free in time, it runs on
    /// that many threads anyway, sharing cores with other work for once,
    /// rather than on fewer threads and with other bits.
    AllCores,
    /// The worker's own core only, for the same reason as AllCores, where
    /// the primitive gains nothing from more.
    OneCore,
  };

  explicit OpenMPLease(Policy policy = Policy::FreeCores);
  ~OpenMPLease();
  OpenMPLease(const OpenMPLease &) = delete;
  OpenMPLease &operator=(const OpenMPLease &) = delete;

  int threads() const { return threads_; }

private:
  std::unique_lock<std::mutex> turn_;
  int extra_ = 0;   // Cores taken from the budget (given back at the end).
  int threads_ = 1; // OpenMP threads: extra_ + 1, or every core (AllCores).
};

/// Runs `primitive` on user buffers: arguments whose user layout differs
/// from the primitive's are reordered into scratch first (inputs) or after
/// (outputs). `scratchpadBytes` is the primitive's user-mode scratchpad.
struct Argument {
  int id;
  dnnl::memory::desc user, wanted;
  void *data;
  bool isOutput;
};
void execute(const dnnl::primitive &primitive,
             const std::vector<Argument> &arguments,
             const dnnl::memory::desc &scratchpad);

} // namespace dnnl_support
} // namespace kiln

#endif // KILN_RUNTIME_CPU_DNNLSUPPORT_H
