//===- Storage.cpp --------------------------------------------------------===//
#include "runtime/Storage.h"

#include "runtime/Allocator.h"
#include "runtime/Error.h"

namespace kiln {

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  PooledAllocator &allocator = PooledAllocator::forDevice(device);
  void *data = allocator.allocate(bytes);
  return std::make_shared<Storage>(Key(), data, bytes, device, &allocator,
                                   nullptr);
}

std::shared_ptr<Storage> Storage::wrap(void *data, size_t bytes, Device device,
                                       std::function<void()> release) {
  return std::shared_ptr<Storage>(
      new Storage(data, bytes, device, nullptr, std::move(release)));
}

namespace {
thread_local AllocationRecorder *threadAllocationRecorder = nullptr;
} // namespace

AllocationRecorder *setAllocationRecorder(AllocationRecorder *recorder) {
  AllocationRecorder *previous = threadAllocationRecorder;
  threadAllocationRecorder = recorder;
  return previous;
}

AllocationRecorder *allocationRecorder() { return threadAllocationRecorder; }

void Storage::rebind(void *data, std::shared_ptr<Storage> owner) {
  if (allocator_)
    allocator_->release(data_, bytes_);
  else if (release_)
    release_();
  allocator_ = nullptr;
  alias_.reset();
  data_ = data;
  // The owner (the arena) lives as long as any storage placed in it.
  release_ = [owner = std::move(owner)] {};
}

void Storage::aliasOf(std::shared_ptr<Storage> target) {
  if (!target || target->alias_ || target.get() == this ||
      target->bytes_ < bytes_ || !(target->device_ == device_))
    throw Error("Storage::aliasOf: the target is missing, an alias itself, "
                "smaller, or on another device");
  if (allocator_)
    allocator_->release(data_, bytes_);
  else if (release_)
    release_();
  allocator_ = nullptr;
  release_ = nullptr;
  data_ = nullptr;
  alias_ = std::move(target);
}

void Storage::exchangeMemory(Storage &other) {
  if (other.bytes_ != bytes_ || !(other.device_ == device_))
    throw Error("Storage::exchangeMemory: the storages differ in size or "
                "device");
  if (alias_ || other.alias_)
    throw Error("Storage::exchangeMemory: an alias has no memory of its own "
                "to exchange");
  std::swap(data_, other.data_);
  std::swap(allocator_, other.allocator_);
  std::swap(release_, other.release_);
}

void Storage::acquireMemory() {
  if (data_ || !allocator_)
    return;
  data_ = allocator_->allocate(bytes_);
}

void Storage::releaseMemory() {
  if (!allocator_ || alias_)
    throw Error("Storage::releaseMemory: the storage has no pool memory of "
                "its own");
  allocator_->release(data_, bytes_);
  data_ = nullptr;
}

Storage::~Storage() {
  if (allocator_)
    allocator_->release(data_, bytes_);
  else if (release_)
    release_();
}

} // namespace kiln
