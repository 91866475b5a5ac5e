//===- DLPack.h - zero-copy exchange with other frameworks ------*- C++ -*-===//
//
// DLPack's C ABI (v0.8 layout: DLTensor inside DLManagedTensor), declared
// here from the published specification, and the conversions between it and
// NDArray. Neither direction copies: an exported tensor keeps the array's
// storage alive until the consumer calls its deleter; an imported one keeps
// the producer's tensor until kiln's last view lets go.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_DLPACK_H
#define KILN_FRONTENDS_CPP_DLPACK_H

#include "frontends/cpp/NDArray.h"

#include <cstdint>

extern "C" {
typedef struct {
  int32_t device_type; // kDLCPU = 1
  int32_t device_id;
} DLDevice;

typedef struct {
  uint8_t code; // kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBfloat 4, kDLBool 6
  uint8_t bits;
  uint16_t lanes;
} DLDataType;

typedef struct {
  void *data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t *shape;
  int64_t *strides; // In elements; null means row-major contiguous.
  uint64_t byte_offset;
} DLTensor;

typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void *manager_ctx;
  void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;
}

namespace kiln {

/// `array` as a DLPack tensor sharing its memory. The caller (or the
/// consumer it hands the tensor to) must call its deleter once. The array is
/// not waited for: callers wait first (for reading or for writing).
DLManagedTensor *toDLPack(const NDArray &array);

/// An NDArray over a DLPack tensor's memory (CPU only); takes ownership:
/// the tensor's deleter runs when the last view of the array is gone.
/// kiln::Error (and the deleter runs) if the tensor cannot be used.
NDArray fromDLPack(DLManagedTensor *tensor);

} // namespace kiln

#endif // KILN_FRONTENDS_CPP_DLPACK_H
