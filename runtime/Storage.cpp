//===- Storage.cpp --------------------------------------------------------===//
#include "runtime/Storage.h"

#include "runtime/Allocator.h"
#include "runtime/Error.h"

namespace kiln {

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  PooledAllocator &allocator = PooledAllocator::forDevice(device);
  void *data = allocator.allocate(bytes);
  return std::shared_ptr<Storage>(new Storage(data, bytes, device, allocator));
}

Storage::~Storage() { allocator_.release(data_, bytes_); }

} // namespace kiln
