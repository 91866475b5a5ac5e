//===- NDArray.cpp --------------------------------------------------------===//
#include "frontends/cpp/NDArray.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "frontends/cpp/Operators.h"
#include "runtime/Error.h"
#include "runtime/Executable.h"
#include "runtime/ShapeOnly.h"

#include <cstring>

namespace kiln {

namespace {
thread_local Device threadDevice = Device::cpu();
thread_local bool threadHasDevice = false;
} // namespace

Device currentDevice() { return threadDevice; }

bool hasDeviceScope() { return threadHasDevice; }

DeviceScope::DeviceScope(Device device)
    : previous_(threadDevice), hadPrevious_(threadHasDevice) {
  threadDevice = device;
  threadHasDevice = true;
}

DeviceScope::~DeviceScope() {
  threadDevice = previous_;
  threadHasDevice = hadPrevious_;
}

NDArray NDArray::empty(const Shape &shape, DType dtype, Device device) {
  NDArray array;
  array.chunk_ = std::make_shared<Chunk>(
      Chunk{Tensor::empty(shape, dtype, device), Engine::newVar()});
  noteCapturedArray(array);
  return array;
}

void NDArray::noteCapturedArray(const NDArray &array) {
  // An executable being captured plans the memory of its arrays.
  if (ExecutableCapture *capture = Executable::current())
    capture->noteArray(array.tensor().storage(), array.var());
}

NDArray NDArray::fromData(const void *data, const Shape &shape, DType dtype,
                          Device device) {
  NDArray array = empty(shape, dtype, device);
  const size_t bytes =
      static_cast<size_t>(numElements(shape)) * dtypeSize(dtype);
  const std::shared_ptr<Storage> &storage = array.tensor().storage();
  if (bytes && !storage->data() && !shapeOnly()) {
    // A capture deferred its memory, but host data goes in now.
    std::shared_ptr<Storage> backing = Storage::allocate(bytes, device);
    storage->rebind(backing->data(), backing);
  }
  // A large array made in shape-only mode has no memory to fill.
  if (bytes && array.tensor().storage()->data())
    std::memcpy(array.tensor().data(), data, bytes);
  return array;
}

NDArray NDArray::fromTensor(const Tensor &tensor) {
  NDArray array;
  array.chunk_ = std::make_shared<Chunk>(Chunk{tensor, Engine::newVar()});
  noteCapturedArray(array);
  return array;
}

NDArray NDArray::view(const Tensor &tensor) const {
  if (tensor.storage() != this->tensor().storage())
    throw Error("NDArray.view: the view must share the array's storage");
  // A fused kernel computes this array only once nothing else aliases it.
  if (fusion::ElementwiseFusion *fusion = fusion::ElementwiseFusion::current())
    fusion->beforeAlias(*this);
  NDArray array;
  array.chunk_ = std::make_shared<Chunk>(Chunk{tensor, var()});
  // Views are a primitive to autograd (reshape, transpose, slice, ...).
  if (autograd::isRecording())
    autograd::recordView(*this, array);
  return array;
}

void NDArray::setAutogradEntry(std::shared_ptr<autograd::Entry> entry) const {
  checked();
  chunk_->autograd = std::move(entry);
}

NDArray NDArray::placeOnly(std::shared_ptr<autograd::Entry> entry) {
  NDArray array;
  array.chunk_ =
      std::make_shared<Chunk>(Chunk{Tensor(), VarPtr(), std::move(entry)});
  return array;
}

NDArray
NDArray::withAutogradEntry(std::shared_ptr<autograd::Entry> entry) const {
  NDArray array;
  array.chunk_ =
      std::make_shared<Chunk>(Chunk{tensor(), var(), std::move(entry)});
  // The same elements under another handle (autograd's tape keeps these).
  if (fusion::ElementwiseFusion *fusion = fusion::ElementwiseFusion::current())
    fusion->noteAlias(*this, array);
  return array;
}

void NDArray::throwEmpty() {
  throw Error("NDArray: the array is empty (default-constructed)");
}

void NDArray::waitToRead() const { Engine::global().waitForVar(var()); }

void NDArray::waitToWrite() const {
  // A no-op writer runs only after every earlier reader and writer.
  Engine::global().push([] {}, device(), {}, {var()}, 0, "WaitToWrite");
  Engine::global().waitForVar(var());
}

void NDArray::copyTo(void *destination) const {
  waitToRead();
  const Tensor &source = tensor();
  const size_t elementSize = dtypeSize(source.dtype());
  if (source.isContiguous()) {
    const size_t bytes =
        static_cast<size_t>(source.numElements()) * elementSize;
    if (bytes)
      std::memcpy(destination, source.data(), bytes);
    return;
  }
  // A view (transpose, slice): gather it row-major, element by element.
  const Shape &shape = source.shape();
  const Shape &strides = source.strides();
  const int64_t count = source.numElements();
  const auto *base = static_cast<const char *>(source.data());
  auto *out = static_cast<char *>(destination);
  Shape index(shape.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      offset += index[d] * strides[d];
    std::memcpy(out + n * elementSize, base + offset * elementSize,
                elementSize);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

NDArray NDArray::operator+(const NDArray &other) const {
  return op::elemwiseAdd(*this, other);
}

} // namespace kiln
