//===- ArgumentBinding.cpp - zero-copy arguments and results --------------===//
#include "frontends/cpp/ArgumentBinding.h"

#include "runtime/DType.h"
#include "runtime/Engine.h"

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

} // namespace

bool bindArgument(const NDArray &buffer, const NDArray &source) {
  if (buffer.isNone() || source.isNone())
    return false;
  const Tensor &target = buffer.tensor();
  const Tensor &lent = source.tensor();
  if (target.shape() != lent.shape() || target.dtype() != lent.dtype() ||
      !(target.device() == lent.device()) || !lent.isContiguous() ||
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
    Engine::global().push(
        [storage, fresh] {
          if (storage->ownsPooledMemory())
            storage->exchangeMemory(*fresh);
          else
            std::memcpy(fresh->data(), storage->data(), storage->bytes());
        },
        tensor.device(), {}, {buffer.var(), taken[i].var()}, 0, "TakeResult");
  }
  return taken;
}

} // namespace kiln
