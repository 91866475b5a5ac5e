//===- Tensor.h - a typed, strided view of Storage --------------*- C++ -*-===//
#ifndef KILN_RUNTIME_TENSOR_H
#define KILN_RUNTIME_TENSOR_H

#include "runtime/DType.h"
#include "runtime/Storage.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

using Shape = std::vector<int64_t>;

/// "(2, 3)": numpy's spelling, used in every error message about shapes.
std::string shapeToString(const Shape &shape);

/// Row-major strides, in elements, for `shape`.
Shape contiguousStrides(const Shape &shape);

/// The product of the extents, unchecked: for shapes of tensors that exist,
/// which checkedNumElements validated when they were made.
int64_t numElements(const Shape &shape);

/// The element count of `shape`, which comes from a user (op attributes, a
/// loaded file, DLPack): kiln::Error naming `what` when an extent is
/// negative or the count, or its size in bytes for `dtype`, overflows.
int64_t checkedNumElements(const std::string &what, const Shape &shape,
                           DType dtype);

/// a * b for extents (both >= 0); kiln::Error naming `what` on overflow.
int64_t checkedExtentProduct(const std::string &what, int64_t a, int64_t b);

/// A view: storage plus shape, strides and offset, all in elements. Copying a
/// Tensor copies the view, never the data.
class Tensor {
public:
  Tensor() = default;

  /// A new, uninitialized, contiguous tensor from the device's pool.
  static Tensor empty(const Shape &shape, DType dtype,
                      Device device = Device::cpu());

  /// A view of `dtype` elements of existing `storage`; throws kiln::Error
  /// if it reaches outside the storage.
  static Tensor overStorage(std::shared_ptr<Storage> storage, DType dtype,
                            const Shape &shape, const Shape &strides,
                            int64_t offset);

  const Shape &shape() const { return shape_; }
  const Shape &strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numElements() const { return kiln::numElements(shape_); }
  bool isContiguous() const;

  const std::shared_ptr<Storage> &storage() const { return storage_; }
  /// Address of element 0 of the view.
  void *data() const;

  /// The same data seen with another shape; needs a contiguous view.
  Tensor reshaped(const Shape &shape) const;

  /// Another view of the same storage (transpose, slice, broadcast with
  /// stride 0). Throws kiln::Error if the view reaches outside the storage.
  Tensor strided(const Shape &shape, const Shape &strides,
                 int64_t offset) const;

private:
  /// `base`'s storage and dtype with the given layout, unchecked.
  static Tensor withLayout(const Tensor &base, const Shape &shape,
                           const Shape &strides, int64_t offset);

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
};

} // namespace kiln

#endif // KILN_RUNTIME_TENSOR_H
