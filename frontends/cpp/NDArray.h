//===- NDArray.h - MXNet's NDArray in C++ -----------------------*- C++ -*-===//
//
// An NDArray is a tensor plus the engine variable that orders every operation
// on it. Operations return at once; reading the data (waitToRead, copyTo)
// waits for the pending writes and rethrows their errors.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_NDARRAY_H
#define KILN_FRONTENDS_CPP_NDARRAY_H

#include "runtime/Engine.h"
#include "runtime/Tensor.h"

#include <memory>

namespace kiln {

namespace autograd {
struct Entry;
} // namespace autograd

/// The device new arrays go to when none is named (NDArray::empty's
/// default): the one set by the innermost DeviceScope of this thread, else
/// cpu(0). invokeOp runs an op under its first input's device (MXNet's
/// rule), and a creation op called from Python under its ctx.
Device currentDevice();
/// Whether a DeviceScope is active on this thread.
bool hasDeviceScope();

/// Makes `device` this thread's current device while it lives. Every CPU id
/// is the same host memory; the id only says which context an array reports.
class DeviceScope {
public:
  explicit DeviceScope(Device device);
  ~DeviceScope();
  DeviceScope(const DeviceScope &) = delete;
  DeviceScope &operator=(const DeviceScope &) = delete;

private:
  Device previous_;
  bool hadPrevious_;
};

class NDArray {
public:
  /// An NDArray with no data; most methods throw on it.
  NDArray() = default;

  /// Uninitialized storage from the pool.
  static NDArray empty(const Shape &shape, DType dtype = DType::Float32,
                       Device device = currentDevice());
  /// A new array holding a copy of `numElements(shape)` contiguous elements.
  static NDArray fromData(const void *data, const Shape &shape, DType dtype,
                          Device device = currentDevice());

  /// A new array (with its own engine variable) over an existing tensor,
  /// such as memory wrapped from DLPack.
  static NDArray fromTensor(const Tensor &tensor);
  /// An array with no elements that only carries `entry` (autograd's
  /// reach-only nodes keep their inputs' places, not their values).
  static NDArray placeOnly(std::shared_ptr<autograd::Entry> entry);

  /// Another view of this array's data (reshape, transpose, slice): it
  /// shares the engine variable, so operations on either stay ordered.
  NDArray view(const Tensor &tensor) const;

  bool isNone() const { return !chunk_; }
  const Shape &shape() const { return checked().tensor.shape(); }
  DType dtype() const { return checked().tensor.dtype(); }
  Device device() const { return checked().tensor.device(); }
  int64_t size() const { return checked().tensor.numElements(); }

  const Tensor &tensor() const { return checked().tensor; }
  const VarPtr &var() const { return checked().var; }

  /// Blocks until every pending write is done; rethrows an error raised by
  /// one of them.
  void waitToRead() const;
  /// Blocks until every pending read and write is done (before handing the
  /// memory to a writer outside the engine, as DLPack's for-write export).
  void waitToWrite() const;
  /// Waits, then copies the elements, row-major, to `destination`.
  void copyTo(void *destination) const;

  /// This array's place in the autograd graph (null when it has none):
  /// set by attach_grad and by recorded operations.
  const std::shared_ptr<autograd::Entry> &autogradEntry() const {
    return checked().autograd;
  }
  void setAutogradEntry(std::shared_ptr<autograd::Entry> entry) const;
  /// The same data and engine variable with `entry` as its autograd place
  /// (null: detached, as MXNet's detach()).
  NDArray withAutogradEntry(std::shared_ptr<autograd::Entry> entry) const;

  /// Same-shape elementwise sum (MXNet's elemwise_add).
  NDArray operator+(const NDArray &other) const;
  /// How many NDArray copies share this array (views and detached copies
  /// are arrays of their own): the elementwise fusion of a capture writes
  /// out only the values somebody besides itself still holds.
  long useCount() const { return chunk_.use_count(); }
  /// A handle that does not keep the array alive: expired once every copy
  /// of it is gone.
  std::weak_ptr<const void> weakHandle() const { return chunk_; }

private:
  struct Chunk {
    Tensor tensor;
    VarPtr var;
    std::shared_ptr<autograd::Entry> autograd;
  };
  const Chunk &checked() const {
    if (!chunk_)
      throwEmpty();
    return *chunk_;
  }
  [[noreturn]] static void throwEmpty();
  /// Tells an executable being captured on this thread about a new array.
  static void noteCapturedArray(const NDArray &array);

  std::shared_ptr<Chunk> chunk_;
};

} // namespace kiln

#endif // KILN_FRONTENDS_CPP_NDARRAY_H
