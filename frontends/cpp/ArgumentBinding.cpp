//===- ArgumentBinding.cpp - zero-copy arguments and results --------------===//
#include "frontends/cpp/ArgumentBinding.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/DType.h"
#include "runtime/Engine.h"
#include "runtime/Executable.h"

#include <cstring>
#include <unordered_set>

namespace kiln {
namespace {

/// Whether `tensor` is contiguous from the first byte of its storage to
/// the last: a buffer whose memory can be swapped or lent whole.
bool coversItsStorage(const Tensor &tensor) {
  return tensor.isContiguous() && tensor.offset() == 0 &&
         static_cast<size_t>(tensor.numElements()) *
                 dtypeSize(tensor.dtype()) ==
             tensor.storage()->bytes();
}

/// Whether `a` and `b` hold the same elements' worth: shape, dtype, device.
bool sameGeometry(const Tensor &a, const Tensor &b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         a.device() == b.device();
}

/// Gives `to` the elements of `from` (storages of one size): their memory
/// exchanged where both may move (Storage::exchangeable), else copied. The
/// body of an engine op ordered after every use of both.
void moveElements(Storage &to, Storage &from) {
  if (to.exchangeable() && from.exchangeable())
    to.exchangeMemory(from);
  else
    std::memcpy(to.data(), from.data(), to.bytes());
}

} // namespace

bool bindArgument(const NDArray &buffer, const NDArray &source) {
  if (buffer.isNone() || source.isNone())
    return false;
  const Tensor &target = buffer.tensor();
  const Tensor &lent = source.tensor();
  if (!sameGeometry(target, lent) || !lent.isContiguous() ||
      !coversItsStorage(target) || target.storage() == lent.storage())
    return false;
  std::shared_ptr<Storage> storage = target.storage();
  std::shared_ptr<Storage> owner = lent.storage();
  const size_t offsetBytes =
      static_cast<size_t>(lent.offset()) * dtypeSize(lent.dtype());
  Engine::global().push(
      [storage, owner, offsetBytes] {
        storage->rebind(static_cast<char *>(owner->data()) + offsetBytes,
                        owner);
      },
      target.device(), {source.var()}, {buffer.var()}, 0, "BindArgument");
  return true;
}

void releaseArgument(const NDArray &buffer, const NDArray &source) {
  // Writing both waits for the launches that read buffer; the caller's
  // next use of source waits for this op.
  Engine::global().push([] {}, buffer.device(), {},
                        {buffer.var(), source.var()}, 0, "ReleaseArgument");
}

void unbindArgument(const NDArray &buffer) {
  std::shared_ptr<Storage> storage = buffer.tensor().storage();
  Engine::global().push(
      [storage] {
        if (storage->ownsPooledMemory())
          return;
        std::shared_ptr<Storage> own =
            Storage::allocate(storage->bytes(), storage->device());
        storage->rebind(own->data(), own);
      },
      buffer.device(), {}, {buffer.var()}, 0, "UnbindArgument");
}

std::vector<NDArray> takeResults(const std::vector<NDArray> &results,
                                 const std::vector<NDArray> &arguments) {
  // Storages that more than one array here uses stay put.
  std::unordered_set<const Storage *> seen, shared;
  auto note = [&](const NDArray &array) {
    if (array.isNone())
      return;
    const Storage *storage = array.tensor().storage().get();
    if (!seen.insert(storage).second)
      shared.insert(storage);
  };
  for (const NDArray &result : results)
    note(result);
  for (const NDArray &argument : arguments)
    note(argument);

  std::vector<NDArray> taken(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const NDArray &buffer = results[i];
    if (buffer.isNone())
      continue;
    const Tensor &tensor = buffer.tensor();
    std::shared_ptr<Storage> storage = tensor.storage();
    if (shared.count(storage.get()) || !coversItsStorage(tensor) ||
        tensor.device().type != DeviceType::CPU)
      continue;
    std::shared_ptr<Storage> fresh =
        Storage::allocate(storage->bytes(), storage->device());
    taken[i] = NDArray::fromTensor(Tensor::overStorage(
        fresh, tensor.dtype(), tensor.shape(), tensor.strides(), 0));
    // After the launches that write the buffer: `fresh` takes their
    // result, the buffer the unwritten block. Arena memory belongs to the
    // executable's plan: that result is copied out instead.
    Engine::global().push([storage, fresh] { moveElements(*fresh, *storage); },
                          tensor.device(), {}, {buffer.var(), taken[i].var()},
                          0, "TakeResult");
  }
  return taken;
}

bool lendBuffer(const NDArray &buffer) {
  if (buffer.isNone())
    return false;
  const Tensor &tensor = buffer.tensor();
  std::shared_ptr<Storage> storage = tensor.storage();
  if (!coversItsStorage(tensor) || tensor.device().type != DeviceType::CPU ||
      !storage->ownsPooledMemory() || storage->isAlias())
    return false;
  storage->setLent();
  Engine::global().push([storage] { storage->acquireMemory(); },
                        tensor.device(), {}, {buffer.var()}, 0, "LendBuffer");
  return true;
}

bool adoptMemory(const NDArray &target, const NDArray &donor) {
  if (target.isNone() || donor.isNone())
    return false;
  const Tensor &to = target.tensor();
  const Tensor &from = donor.tensor();
  if (!sameGeometry(to, from) || to.device().type != DeviceType::CPU ||
      !coversItsStorage(to) || !coversItsStorage(from) ||
      to.storage() == from.storage())
    return false;
  std::shared_ptr<Storage> destination = to.storage();
  std::shared_ptr<Storage> source = from.storage();
  Engine::global().push(
      [destination, source] {
        moveElements(*destination, *source);
        if (source->isLent())
          source->releaseMemory();
      },
      to.device(), {}, {target.var(), donor.var()}, 0, "AdoptGradient");
  return true;
}

void copyIntoBuffer(const NDArray &buffer, const NDArray &value) {
  ExecutableCapture *capture = Executable::current();
  const Tensor &to = buffer.tensor();
  const Tensor &from = value.tensor();
  const bool whole = capture && sameGeometry(to, from) &&
                     coversItsStorage(to) && coversItsStorage(from) &&
                     to.storage() != from.storage();
  if (whole)
    capture->markCopy(from.storage(), value.var(), to.storage(), buffer.var());
  dispatch::cast(value, buffer.dtype(), buffer);
  // The copy may have joined a fused kernel instead of being a launch.
  if (whole)
    capture->clearCopy();
}

} // namespace kiln
