//===- MemoryPlan.h - buffers with disjoint lifetimes share memory -*- C++ -*-//
//
// Places buffers, each live over an interval of an executable's launches,
// at offsets of one arena so that buffers whose lifetimes overlap never
// share bytes: greedy by size (largest first, each at the lowest offset
// that fits beside the already placed buffers it overlaps in time), the
// approach of TensorFlow Lite's and MXNet's static planners. Pure
// arithmetic, tested on its own (tests/runtime:memory_plan_test).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MEMORYPLAN_H
#define KILN_RUNTIME_MEMORYPLAN_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

struct BufferLifetime {
  size_t bytes = 0;
  /// The first and last launch (inclusive) that use the buffer.
  int64_t first = 0, last = 0;
};

struct ArenaPlan {
  /// Each buffer's offset, in the order given.
  std::vector<size_t> offsets;
  /// The arena's size: the end of the highest placed buffer.
  size_t arenaBytes = 0;
};

/// Offsets for `buffers` (each aligned to `alignment`, a power of two).
ArenaPlan planArena(const std::vector<BufferLifetime> &buffers,
                    size_t alignment = 64);

} // namespace kiln

#endif // KILN_RUNTIME_MEMORYPLAN_H
