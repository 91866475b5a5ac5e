//===- Tensor.cpp ---------------------------------------------------------===//
#include "runtime/Tensor.h"

#include "runtime/Error.h"
#include "runtime/ShapeOnly.h"

namespace kiln {

std::string shapeToString(const Shape &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    text += ",";
  return text + ")";
}

Shape contiguousStrides(const Shape &shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

int64_t numElements(const Shape &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

int64_t checkedExtentProduct(const std::string &what, int64_t a, int64_t b) {
  int64_t product;
  if (__builtin_mul_overflow(a, b, &product))
    throw Error(formatMessage(what, ": ", a, " x ", b,
                              " elements overflow a 64-bit count"));
  return product;
}

int64_t checkedNumElements(const std::string &what, const Shape &shape,
                           DType dtype) {
  int64_t count = 1;
  for (int64_t extent : shape)
    if (extent < 0)
      throw Error(formatMessage(what, ": invalid shape ", shapeToString(shape),
                                ": extents must be >= 0"));
  for (int64_t extent : shape)
    if (__builtin_mul_overflow(count, extent, &count))
      throw Error(
          formatMessage(what, ": shape ", shapeToString(shape),
                        " has more elements than a 64-bit count holds"));
  int64_t bytes;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(dtypeSize(dtype)),
                             &bytes))
    throw Error(formatMessage(what, ": shape ", shapeToString(shape), " of ",
                              dtypeName(dtype), " needs ", count,
                              " elements, more bytes than memory can address"));
  return count;
}

Tensor Tensor::empty(const Shape &shape, DType dtype, Device device) {
  checkedNumElements("array", shape, dtype);
  Tensor tensor;
  const size_t bytes =
      static_cast<size_t>(kiln::numElements(shape)) * dtypeSize(dtype);
  AllocationRecorder *recorder = allocationRecorder();
  // Shape-only evaluation: a large tensor is never read or written, so it
  // gets no memory (its data() is null plus the offset); a capture that
  // plans memory gives it memory itself.
  const bool unbacked = (shapeOnly() && bytes > kShapeOnlyBackedBytes) ||
                        (recorder && recorder->defersMemory(bytes));
  tensor.storage_ = unbacked ? Storage::wrap(nullptr, bytes, device, nullptr)
                             : Storage::allocate(bytes, device);
  if (recorder)
    recorder->allocated(tensor.storage_);
  tensor.shape_ = shape;
  tensor.strides_ = contiguousStrides(shape);
  tensor.dtype_ = dtype;
  return tensor;
}

bool Tensor::isContiguous() const {
  // Row-major without gaps; the stride of an extent-1 axis is never used,
  // so x[1, 2:4] of a (4, 5) array, strides (5, 1), is contiguous.
  for (int64_t extent : shape_)
    if (extent == 0)
      return true; // no elements, no gaps
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] != 1 && strides_[i] != expected)
      return false;
    expected *= shape_[i];
  }
  return true;
}

void *Tensor::data() const {
  return static_cast<char *>(storage_->data()) +
         offset_ * static_cast<int64_t>(dtypeSize(dtype_));
}

Tensor Tensor::reshaped(const Shape &shape) const {
  if (checkedNumElements("reshape", shape, dtype_) != numElements())
    throw Error(formatMessage("reshape: cannot view shape ",
                              shapeToString(shape_), " as ",
                              shapeToString(shape)));
  if (!isContiguous())
    throw Error("reshape: the view is not contiguous");
  Tensor view = *this;
  view.shape_ = shape;
  view.strides_ = contiguousStrides(shape);
  return view;
}

Tensor Tensor::strided(const Shape &shape, const Shape &strides,
                       int64_t offset) const {
  if (shape.size() != strides.size())
    throw Error(formatMessage("view: shape ", shapeToString(shape),
                              " and strides ", shapeToString(strides),
                              " differ in rank"));
  const int64_t capacity =
      static_cast<int64_t>(storage_->bytes() / dtypeSize(dtype_));
  int64_t lowest = offset, highest = offset;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0)
      throw Error(formatMessage("view: invalid shape ", shapeToString(shape)));
    if (shape[i] == 0)
      return Tensor::withLayout(*this, shape, strides, offset);
    int64_t reach;
    if (__builtin_mul_overflow(shape[i] - 1, strides[i], &reach) ||
        __builtin_add_overflow(reach < 0 ? lowest : highest, reach,
                               reach < 0 ? &lowest : &highest))
      throw Error(formatMessage("view: shape ", shapeToString(shape),
                                " with strides ", shapeToString(strides),
                                " overflows a 64-bit element offset"));
  }
  if (lowest < 0 || highest >= capacity)
    throw Error(formatMessage(
        "view: shape ", shapeToString(shape), " with strides ",
        shapeToString(strides), " and offset ", offset, " reaches elements [",
        lowest, ", ", highest, "] outside the storage's ", capacity));
  return Tensor::withLayout(*this, shape, strides, offset);
}

Tensor Tensor::overStorage(std::shared_ptr<Storage> storage, DType dtype,
                           const Shape &shape, const Shape &strides,
                           int64_t offset) {
  Tensor base;
  base.storage_ = std::move(storage);
  base.dtype_ = dtype;
  return base.strided(shape, strides, offset);
}

Tensor Tensor::withLayout(const Tensor &base, const Shape &shape,
                          const Shape &strides, int64_t offset) {
  Tensor view = base;
  view.shape_ = shape;
  view.strides_ = strides;
  view.offset_ = offset;
  return view;
}

} // namespace kiln
