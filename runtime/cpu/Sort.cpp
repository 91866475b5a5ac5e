//===- Sort.cpp -----------------------------------------------------------===//
#include "runtime/cpu/Sort.h"

#include "runtime/Error.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

namespace kiln {
namespace {

template <typename T>
void sortTyped(const Tensor &input, int64_t k, bool ascending,
               const Tensor &values, const Tensor &indices) {
  const int64_t n = input.shape().empty() ? 1 : input.shape().back();
  const int64_t rows = n ? input.numElements() / n : 0;
  const T *in = static_cast<const T *>(input.data());
  T *outValues = values.storage() ? static_cast<T *>(values.data()) : nullptr;
  int64_t *outIndices =
      indices.storage() ? static_cast<int64_t *>(indices.data()) : nullptr;
  auto sortRange = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> order(n);
    for (int64_t row = begin; row < end; ++row) {
      const T *line = in + row * n;
      std::iota(order.begin(), order.end(), 0);
      auto before = [&](int64_t a, int64_t b) {
        return ascending ? line[a] < line[b] : line[b] < line[a];
      };
      if (k < n)
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int64_t a, int64_t b) {
                            // Ties by position, as a stable sort would.
                            return before(a, b) || (!before(b, a) && a < b);
                          });
      else
        std::stable_sort(order.begin(), order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        if (outValues)
          outValues[row * k + j] = line[order[j]];
        if (outIndices)
          outIndices[row * k + j] = order[j];
      }
    }
  };
  const int64_t work = rows * std::max<int64_t>(n, 1);
  if (work < 1 << 15)
    sortRange(0, rows);
  else
    ThreadPool::global().parallelFor(
        0, rows, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(n, 1)),
        sortRange);
}

} // namespace

void sortRows(const Tensor &input, int64_t k, bool ascending,
              const Tensor &values, const Tensor &indices) {
  if (!input.isContiguous())
    throw Error("sort: the input must be contiguous");
  switch (input.dtype()) {
  case DType::Float32:
    return sortTyped<float>(input, k, ascending, values, indices);
  case DType::Float64:
    return sortTyped<double>(input, k, ascending, values, indices);
  case DType::Int32:
    return sortTyped<int32_t>(input, k, ascending, values, indices);
  case DType::Int64:
    return sortTyped<int64_t>(input, k, ascending, values, indices);
  case DType::Int8:
    return sortTyped<int8_t>(input, k, ascending, values, indices);
  case DType::UInt8:
  case DType::Bool:
    return sortTyped<uint8_t>(input, k, ascending, values, indices);
  default:
    throw Error(formatMessage("sort: dtype ", dtypeName(input.dtype()),
                              " is not supported"));
  }
}

} // namespace kiln
