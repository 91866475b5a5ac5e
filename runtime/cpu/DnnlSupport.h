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

/// A plain (strided) f32 descriptor of `sizes` and `strides` in elements.
dnnl::memory::desc plainDesc(const std::vector<int64_t> &sizes,
                             const std::vector<int64_t> &strides);

/// Per-thread growable scratch buffers; `slot` picks one of a few.
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
class OpenMPLease {
public:
  OpenMPLease();

private:
  CoreLease lease_;
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
