//===- TestTensors.h - element access for compiler tests --------*- C++ -*-===//
//
// Reading and writing tensor elements of any dtype as double, and rounding a
// double the way a dtype stores it: what tests need to compare kernels with
// references computed in double precision.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TESTS_COMPILER_TESTTENSORS_H
#define KILN_TESTS_COMPILER_TESTTENSORS_H

#include "runtime/Tensor.h"

#include <cstdint>

namespace kiln {
namespace testing_support {

uint16_t floatToHalf(float value);
float halfToFloat(uint16_t half);
uint16_t floatToBFloat16(float value);
float bfloat16ToFloat(uint16_t value);

/// Rounds `value` to what `dtype` can hold (wrapping integers).
double roundTo(DType dtype, double value);
/// The element at `offset` (in elements, from the view's start).
double load(const Tensor &tensor, int64_t offset);
/// Stores roundTo(dtype, value) at `offset`.
void store(const Tensor &tensor, int64_t offset, double value);
bool isFloat(DType dtype);

/// The offset of `outIndex` (an index into a broadcast result) in `tensor`:
/// aligned at the right, unit dimensions broadcast.
int64_t broadcastOffset(const Tensor &tensor, const Shape &outIndex);
/// Advances a row-major multi-index; false after the last one.
bool nextIndex(Shape &index, const Shape &shape);

} // namespace testing_support
} // namespace kiln

#endif // KILN_TESTS_COMPILER_TESTTENSORS_H
