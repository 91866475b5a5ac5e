//===- DLPack.cpp ---------------------------------------------------------===//
#include "frontends/cpp/DLPack.h"

#include "runtime/Error.h"

#include <algorithm>
#include <memory>

namespace kiln {
namespace {

constexpr int32_t kDLCPU = 1;

/// What an exported tensor owns: the array (keeping its storage alive) and
/// the shape and strides its DLTensor points at.
struct ExportContext {
  NDArray array;
  Shape shape;
  Shape strides;
  DLManagedTensor managed;
};

DLDataType toDLDataType(DType dtype) {
  const uint8_t bits = static_cast<uint8_t>(dtypeSize(dtype) * 8);
  switch (dtype) {
  case DType::Float32:
  case DType::Float64:
  case DType::Float16:
    return {2, bits, 1};
  case DType::BFloat16:
    return {4, 16, 1};
  case DType::UInt8:
    return {1, 8, 1};
  case DType::Int8:
  case DType::Int32:
  case DType::Int64:
    return {0, bits, 1};
  case DType::Bool:
    return {6, 8, 1};
  }
  return {2, 32, 1};
}

DType fromDLDataType(DLDataType type) {
  if (type.lanes != 1)
    throw Error(formatMessage("from_dlpack: vector types (lanes ", type.lanes,
                              ") are not supported"));
  switch (type.code) {
  case 2:
    if (type.bits == 32)
      return DType::Float32;
    if (type.bits == 64)
      return DType::Float64;
    if (type.bits == 16)
      return DType::Float16;
    break;
  case 4:
    if (type.bits == 16)
      return DType::BFloat16;
    break;
  case 1:
    if (type.bits == 8)
      return DType::UInt8;
    break;
  case 0:
    if (type.bits == 8)
      return DType::Int8;
    if (type.bits == 32)
      return DType::Int32;
    if (type.bits == 64)
      return DType::Int64;
    break;
  case 6:
    if (type.bits == 8)
      return DType::Bool;
    break;
  }
  throw Error(formatMessage("from_dlpack: unsupported dtype (code ",
                            int(type.code), ", ", int(type.bits), " bits)"));
}

} // namespace

DLManagedTensor *toDLPack(const NDArray &array) {
  const Tensor &tensor = array.tensor();
  if (tensor.device().type != DeviceType::CPU)
    throw Error("to_dlpack: only cpu arrays can be exported");
  auto context = std::make_unique<ExportContext>();
  context->array = array;
  context->shape = tensor.shape();
  context->strides = tensor.strides();
  DLTensor &dl = context->managed.dl_tensor;
  dl.data = tensor.data(); // Element 0 of the view.
  dl.device = {kDLCPU, tensor.device().id};
  dl.ndim = static_cast<int32_t>(tensor.shape().size());
  dl.dtype = toDLDataType(tensor.dtype());
  dl.shape = context->shape.data();
  dl.strides = context->strides.data();
  dl.byte_offset = 0;
  context->managed.manager_ctx = context.get();
  context->managed.deleter = [](DLManagedTensor *self) {
    delete static_cast<ExportContext *>(self->manager_ctx);
  };
  return &context.release()->managed;
}

NDArray fromDLPack(DLManagedTensor *managed) {
  if (!managed)
    throw Error("from_dlpack: null tensor");
  // Owned from here on: released with the storage, or now on error.
  auto release = [managed] {
    if (managed->deleter)
      managed->deleter(managed);
  };
  bool storageOwnsIt = false;
  try {
    const DLTensor &dl = managed->dl_tensor;
    if (dl.device.device_type != kDLCPU)
      throw Error(formatMessage("from_dlpack: device type ",
                                dl.device.device_type,
                                " is not supported; kiln imports cpu tensors"));
    if (dl.ndim < 0 || (dl.ndim > 0 && !dl.shape))
      throw Error("from_dlpack: malformed shape");
    const DType dtype = fromDLDataType(dl.dtype);
    Shape shape(dl.shape, dl.shape + dl.ndim);
    Shape strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim)
                               : contiguousStrides(shape);
    // The storage spans the elements the view reaches; negative strides
    // start it below element 0.
    int64_t lowest = 0, highest = 0;
    bool empty = false;
    for (int32_t d = 0; d < dl.ndim; ++d) {
      if (shape[d] < 0)
        throw Error("from_dlpack: negative extent");
      empty |= shape[d] == 0;
      const int64_t reach = (shape[d] - 1) * strides[d];
      (reach < 0 ? lowest : highest) += reach;
    }
    if (empty)
      lowest = highest = 0;
    const size_t element = dtypeSize(dtype);
    char *first = static_cast<char *>(dl.data) + dl.byte_offset;
    auto storage = Storage::wrap(first + lowest * static_cast<int64_t>(element),
                                 (highest - lowest + 1) * element,
                                 Device::cpu(dl.device.device_id), release);
    storageOwnsIt = true;
    return NDArray::fromTensor(Tensor::overStorage(std::move(storage), dtype,
                                                   shape, strides, -lowest));
  } catch (...) {
    if (!storageOwnsIt)
      release();
    throw;
  }
}

} // namespace kiln
