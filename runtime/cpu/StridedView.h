//===- StridedView.h - compiled kernels' buffers as seen by the runtime -*-===//
//
// Library calls from compiled code (kiln.library_call) pass every buffer as
// an MLIR unranked memref descriptor. StridedView reads one: base pointer
// (with offset), extents and strides in elements.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_STRIDEDVIEW_H
#define KILN_RUNTIME_CPU_STRIDEDVIEW_H

#include "runtime/cpu/DnnlMatmul.h" // UnrankedMemRef

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace kiln {

template <typename T> struct StridedView {
  T *data;
  std::vector<int64_t> sizes, strides;

  StridedView(T *data, std::vector<int64_t> sizes, std::vector<int64_t> strides)
      : data(data), sizes(std::move(sizes)), strides(std::move(strides)) {}
  explicit StridedView(const UnrankedMemRef &memref) {
    auto *words = static_cast<int64_t *>(memref.descriptor);
    data = reinterpret_cast<T *>(words[1]) + words[2];
    sizes.assign(words + 3, words + 3 + memref.rank);
    strides.assign(words + 3 + memref.rank, words + 3 + 2 * memref.rank);
  }
  int64_t rank() const { return static_cast<int64_t>(sizes.size()); }
  int64_t count() const {
    int64_t n = 1;
    for (int64_t size : sizes)
      n *= size;
    return n;
  }
  /// The element at a full index.
  T &at(const int64_t *index) const {
    int64_t offset = 0;
    for (size_t dim = 0; dim < sizes.size(); ++dim)
      offset += index[dim] * strides[dim];
    return data[offset];
  }
};

/// Whether `view` is row-major and without gaps (unit dimensions may have
/// any stride).
template <typename T> bool isDense(const StridedView<T> &view) {
  int64_t expected = 1;
  for (int64_t d = view.rank(); d-- > 0;) {
    if (view.sizes[d] != 1 && view.strides[d] != expected)
      return false;
    expected *= view.sizes[d];
  }
  return true;
}

/// Zeroes every element of `view`, whatever its strides (the direct loops
/// accumulate into a zeroed result).
template <typename T> void fillZero(const StridedView<T> &view) {
  if (isDense(view)) {
    std::memset(view.data, 0, view.count() * sizeof(T));
    return;
  }
  std::vector<int64_t> index(view.rank(), 0);
  for (int64_t i = 0, count = view.count(); i < count; ++i) {
    view.at(index.data()) = T(0);
    for (int64_t d = view.rank(); d-- > 0;) {
      if (++index[d] < view.sizes[d])
        break;
      index[d] = 0;
    }
  }
}

/// A library call's constant parameters (a 1-D i64 buffer).
inline std::vector<int64_t> libraryParams(const UnrankedMemRef &memref) {
  StridedView<int64_t> view(memref);
  std::vector<int64_t> values(view.sizes.empty() ? 0 : view.sizes[0]);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = view.data[i * view.strides[0]];
  return values;
}

} // namespace kiln

#endif // KILN_RUNTIME_CPU_STRIDEDVIEW_H
