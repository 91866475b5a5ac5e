//===- TestTensors.cpp - element access for compiler tests ----------------===//
#include "tests/compiler/TestTensors.h"

#include <cmath>
#include <cstring>

namespace kiln {
namespace testing_support {
namespace {

template <typename T> T loadAs(const char *at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

template <typename T> void storeAs(char *at, T value) {
  std::memcpy(at, &value, sizeof value);
}

} // namespace

uint16_t floatToHalf(float value) {
  // Round to nearest even through the hardware-independent bit recipe.
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffffu;
  if (((bits >> 23) & 0xff) == 0xff) // inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (mantissa ? 0x200u : 0));
  if (exponent >= 31)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (exponent <= 0) {
    if (exponent < -10)
      return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    const int shift = 14 - exponent;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1)))
    ++half;
  return static_cast<uint16_t>(sign | half);
}

float halfToFloat(uint16_t half) {
  const uint32_t sign = (half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else { // subnormal
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while (!(mantissa & 0x400u));
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) |
             ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

uint16_t floatToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if (std::isnan(value))
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1); // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

float bfloat16ToFloat(uint16_t value) {
  uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

/// Rounds `value` to what `dtype` can hold (wrapping integers).
double roundTo(DType dtype, double value) {
  switch (dtype) {
  case DType::Float32:
    return static_cast<float>(value);
  case DType::Float64:
    return value;
  case DType::Float16:
    return halfToFloat(floatToHalf(static_cast<float>(value)));
  case DType::BFloat16:
    return bfloat16ToFloat(floatToBFloat16(static_cast<float>(value)));
  case DType::Int8:
    return static_cast<int8_t>(static_cast<int64_t>(value));
  case DType::Int32:
    return static_cast<int32_t>(static_cast<int64_t>(value));
  case DType::Int64:
    return static_cast<double>(static_cast<int64_t>(value));
  case DType::Bool:
    return value != 0 ? 1 : 0;
  case DType::UInt8:
    return static_cast<uint8_t>(static_cast<int64_t>(value));
  }
  return value;
}

double load(const Tensor &tensor, int64_t offset) {
  const char *at = static_cast<const char *>(tensor.data()) +
                   offset * static_cast<int64_t>(dtypeSize(tensor.dtype()));
  switch (tensor.dtype()) {
  case DType::Float32:
    return loadAs<float>(at);
  case DType::Float64:
    return loadAs<double>(at);
  case DType::Float16:
    return halfToFloat(loadAs<uint16_t>(at));
  case DType::BFloat16:
    return bfloat16ToFloat(loadAs<uint16_t>(at));
  case DType::Int8:
    return loadAs<int8_t>(at);
  case DType::UInt8:
    return loadAs<uint8_t>(at);
  case DType::Int32:
    return loadAs<int32_t>(at);
  case DType::Int64:
    return static_cast<double>(loadAs<int64_t>(at));
  case DType::Bool:
    return loadAs<uint8_t>(at) ? 1 : 0;
  }
  return 0;
}

void store(const Tensor &tensor, int64_t offset, double value) {
  char *at = static_cast<char *>(tensor.data()) +
             offset * static_cast<int64_t>(dtypeSize(tensor.dtype()));
  value = roundTo(tensor.dtype(), value);
  switch (tensor.dtype()) {
  case DType::Float32:
    return storeAs(at, static_cast<float>(value));
  case DType::Float64:
    return storeAs(at, value);
  case DType::Float16:
    return storeAs(at, floatToHalf(static_cast<float>(value)));
  case DType::BFloat16:
    return storeAs(at, floatToBFloat16(static_cast<float>(value)));
  case DType::Int8:
    return storeAs(at, static_cast<int8_t>(value));
  case DType::UInt8:
    return storeAs(at, static_cast<uint8_t>(value));
  case DType::Int32:
    return storeAs(at, static_cast<int32_t>(value));
  case DType::Int64:
    return storeAs(at, static_cast<int64_t>(value));
  case DType::Bool:
    return storeAs(at, static_cast<uint8_t>(value != 0));
  }
}

bool isFloat(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Float16 || dtype == DType::BFloat16;
}

int64_t broadcastOffset(const Tensor &tensor, const Shape &outIndex) {
  const int64_t lead = static_cast<int64_t>(outIndex.size()) - tensor.rank();
  int64_t offset = 0;
  for (int64_t d = 0; d < tensor.rank(); ++d)
    if (tensor.shape()[d] != 1)
      offset += outIndex[lead + d] * tensor.strides()[d];
  return offset;
}

bool nextIndex(Shape &index, const Shape &shape) {
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (++index[d] < shape[d])
      return true;
    index[d] = 0;
  }
  return false;
}

} // namespace testing_support
} // namespace kiln
