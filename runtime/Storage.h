//===- Storage.h - a block of device memory ---------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_STORAGE_H
#define KILN_RUNTIME_STORAGE_H

#include "runtime/Device.h"

#include <cstddef>
#include <functional>
#include <memory>

namespace kiln {

class PooledAllocator;

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

  void *data() const { return data_; }
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
};

} // namespace kiln

#endif // KILN_RUNTIME_STORAGE_H
