//===- MemoryPlan.cpp -----------------------------------------------------===//
#include "runtime/MemoryPlan.h"

#include <algorithm>
#include <numeric>

namespace kiln {

ArenaPlan planArena(const std::vector<BufferLifetime> &buffers,
                    size_t alignment) {
  auto aligned = [alignment](size_t bytes) {
    return (bytes + alignment - 1) & ~(alignment - 1);
  };
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first (then earliest), so big buffers take the low offsets and
  // small ones fill the gaps between them.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes)
      return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first < buffers[b].first;
  });
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> placed;
  for (size_t index : order) {
    const BufferLifetime &buffer = buffers[index];
    const size_t size = aligned(std::max<size_t>(buffer.bytes, 1));
    // The placed buffers live at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> taken;
    for (size_t other : placed) {
      const BufferLifetime &o = buffers[other];
      if (o.first <= buffer.last && buffer.first <= o.last)
        taken.push_back(
            {plan.offsets[other],
             plan.offsets[other] + aligned(std::max<size_t>(o.bytes, 1))});
    }
    std::sort(taken.begin(), taken.end());
    size_t offset = 0;
    for (const auto &[begin, end] : taken) {
      if (offset + size <= begin)
        break;
      offset = std::max(offset, end);
    }
    plan.offsets[index] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + size);
    placed.push_back(index);
  }
  return plan;
}

} // namespace kiln
