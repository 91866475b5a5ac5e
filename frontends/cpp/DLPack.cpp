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

/// kiln's dtypes and their DLPack codes (kDLInt 0, kDLUInt 1, kDLFloat 2,
/// kDLBfloat 4, kDLBool 6) and widths: one table for both directions.
struct DLPackType {
  DType dtype;
  uint8_t code, bits;
};
constexpr DLPackType kDLPackTypes[] = {
    {DType::Float32, 2, 32},  {DType::Float64, 2, 64}, {DType::Float16, 2, 16},
    {DType::BFloat16, 4, 16}, {DType::UInt8, 1, 8},    {DType::Int8, 0, 8},
    {DType::Int32, 0, 32},    {DType::Int64, 0, 64},   {DType::Bool, 6, 8}};

DLDataType toDLDataType(DType dtype) {
  for (const DLPackType &type : kDLPackTypes)
    if (type.dtype == dtype)
      return {type.code, type.bits, 1};
  throw Error(formatMessage("to_dlpack: dtype ", dtypeName(dtype),
                            " has no DLPack code"));
}

DType fromDLDataType(DLDataType type) {
  if (type.lanes != 1)
    throw Error(formatMessage("from_dlpack: vector types (lanes ", type.lanes,
                              ") are not supported"));
  for (const DLPackType &known : kDLPackTypes)
    if (known.code == type.code && known.bits == type.bits)
      return known.dtype;
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
  // The consumer keeps this address: the memory must not move to another
  // storage (ArgumentBinding's exchanges) while it may read it.
  tensor.storage()->pinAddress();
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
      int64_t reach;
      if (__builtin_mul_overflow(shape[d] - 1, strides[d], &reach) ||
          __builtin_add_overflow(reach < 0 ? lowest : highest, reach,
                                 reach < 0 ? &lowest : &highest))
        throw Error("from_dlpack: shape and strides overflow a 64-bit offset");
    }
    if (empty)
      lowest = highest = 0;
    checkedNumElements("from_dlpack", shape, dtype);
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
