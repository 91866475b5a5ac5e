//===- NDArray.cpp --------------------------------------------------------===//
#include "frontends/cpp/NDArray.h"

#include "frontends/cpp/Operators.h"
#include "runtime/Error.h"

#include <cstring>

namespace kiln {

NDArray NDArray::empty(const Shape &shape, DType dtype, Device device) {
  NDArray array;
  array.chunk_ = std::make_shared<Chunk>(
      Chunk{Tensor::empty(shape, dtype, device), Engine::newVar()});
  return array;
}

NDArray NDArray::fromData(const void *data, const Shape &shape, DType dtype,
                          Device device) {
  NDArray array = empty(shape, dtype, device);
  const size_t bytes =
      static_cast<size_t>(numElements(shape)) * dtypeSize(dtype);
  if (bytes)
    std::memcpy(array.tensor().data(), data, bytes);
  return array;
}

NDArray NDArray::view(const Tensor &tensor) const {
  if (tensor.storage() != this->tensor().storage())
    throw Error("NDArray.view: the view must share the array's storage");
  NDArray array;
  array.chunk_ = std::make_shared<Chunk>(Chunk{tensor, var()});
  return array;
}

const NDArray::Chunk &NDArray::checked() const {
  if (!chunk_)
    throw Error("NDArray: the array is empty (default-constructed)");
  return *chunk_;
}

void NDArray::waitToRead() const { Engine::global().waitForVar(var()); }

void NDArray::copyTo(void *destination) const {
  waitToRead();
  const Tensor &source = tensor();
  if (!source.isContiguous())
    throw Error("NDArray.copyTo: non-contiguous arrays are not supported yet");
  const size_t bytes =
      static_cast<size_t>(source.numElements()) * dtypeSize(source.dtype());
  if (bytes)
    std::memcpy(destination, source.data(), bytes);
}

NDArray NDArray::operator+(const NDArray &other) const {
  return op::elemwiseAdd(*this, other);
}

} // namespace kiln
