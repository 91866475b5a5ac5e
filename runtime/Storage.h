//===- Storage.h - a block of device memory ---------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_STORAGE_H
#define KILN_RUNTIME_STORAGE_H

#include "runtime/Device.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

namespace kiln {

class PooledAllocator;
class Storage;

/// Sees every storage Tensor::empty allocates on its thread while installed
/// (an executable's capture, which plans their memory afterwards).
class AllocationRecorder {
public:
  virtual ~AllocationRecorder() = default;
  virtual void allocated(const std::shared_ptr<Storage> &storage) = 0;
  /// Whether a new storage of `bytes` should get no memory yet (data()
  /// null) because the recorder gives it memory later.
  virtual bool defersMemory(size_t bytes) const { return false; }
};

/// Installs `recorder` for this thread (null: none); returns the previous.
AllocationRecorder *setAllocationRecorder(AllocationRecorder *recorder);
/// This thread's recorder, or null.
AllocationRecorder *allocationRecorder();

/// Owns one allocation; returns it to its allocator's pool when the last
/// reference (tensor, view or pending engine op) lets go.
class Storage {
public:
  static std::shared_ptr<Storage> allocate(size_t bytes,
                                           Device device = Device::cpu());
  /// Memory owned elsewhere (DLPack, another framework): `release` runs
  /// when the last reference lets go.
  static std::shared_ptr<Storage> wrap(void *data, size_t bytes, Device device,
                                       std::function<void()> release);
  ~Storage();
  /// For make_shared only (one allocation for the storage and its count);
  /// use allocate or wrap.
  struct Key {
    explicit Key() = default;
  };
  Storage(Key, void *data, size_t bytes, Device device,
          PooledAllocator *allocator, std::function<void()> release)
      : Storage(data, bytes, device, allocator, std::move(release)) {}
  Storage(const Storage &) = delete;
  Storage &operator=(const Storage &) = delete;

  /// The elements' address: the storage this one aliases' when it
  /// aliases one (aliasOf).
  void *data() const { return alias_ ? alias_->data() : data_; }

  /// Moves this storage onto memory owned by `owner` (an executable's
  /// arena) at `data`, returning its own allocation to the pool. Tensors and
  /// captured closures read data() when they run, so they follow. The
  /// contents are not copied.
  void rebind(void *data, std::shared_ptr<Storage> owner);
  /// Makes this storage a second name for `target`'s memory, following it
  /// wherever it moves (rebind, exchangeMemory), and returns its own
  /// allocation to the pool: an executable's planned buffer whose only
  /// purpose was to be copied whole into `target` (Executable::planMemory's
  /// copy forwarding) is then written in place. `target` must be no
  /// smaller and not itself an alias. rebind ends the aliasing.
  void aliasOf(std::shared_ptr<Storage> target);
  bool isAlias() const { return alias_ != nullptr; }
  /// Swaps the memory (and who releases it) of this storage and `other`,
  /// which must have the same size and device: hands an executable's output
  /// block to the caller and the caller's fresh block to the executable,
  /// without copying. Not synchronized: the caller orders it after every
  /// use of both (an engine op writing their variables).
  void exchangeMemory(Storage &other);
  /// Whether this storage owns an allocation of its own from a pool (not
  /// memory placed in an arena or wrapped from elsewhere).
  bool ownsPooledMemory() const { return allocator_ != nullptr; }
  /// Makes this pooled storage a lent buffer: it holds memory only while
  /// in use. acquireMemory gives it a pool block (contents undefined) when
  /// it has none; releaseMemory returns the block, leaving data() null. A
  /// hybridized block's gradient buffers are lent per backward, so that
  /// executors of several input signatures share one set of blocks
  /// instead of each keeping its own. Not synchronized: the caller orders
  /// both after every use of the storage (engine ops writing its variable).
  void setLent() { lent_.store(true, std::memory_order_relaxed); }
  bool isLent() const { return lent_.load(std::memory_order_relaxed); }
  void acquireMemory();
  void releaseMemory();
  /// Marks this storage's address as held outside kiln (a DLPack export):
  /// its memory then stays where it is, never exchanged with another's.
  void pinAddress() { addressPinned_.store(true, std::memory_order_relaxed); }
  /// Whether exchangeMemory may move this storage's memory: a pool block of
  /// its own whose address nobody outside kiln holds.
  bool exchangeable() const {
    return allocator_ != nullptr && data_ != nullptr && !alias_ &&
           !addressPinned_.load(std::memory_order_relaxed);
  }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

private:
  Storage(void *data, size_t bytes, Device device, PooledAllocator *allocator,
          std::function<void()> release)
      : data_(data), bytes_(bytes), device_(device), allocator_(allocator),
        release_(std::move(release)) {}

  void *data_;
  size_t bytes_;
  Device device_;
  PooledAllocator *allocator_; // Null for wrapped memory.
  std::function<void()> release_;
  /// The storage whose memory this one names (aliasOf), or null.
  std::shared_ptr<Storage> alias_;
  // Set from the exporting thread, read by engine workers.
  std::atomic<bool> addressPinned_{false};
  std::atomic<bool> lent_{false}; // See setLent; set by the caller's thread.
};

} // namespace kiln

#endif // KILN_RUNTIME_STORAGE_H
