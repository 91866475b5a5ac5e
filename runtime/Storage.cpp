//===- Storage.cpp --------------------------------------------------------===//
#include "runtime/Storage.h"

#include "runtime/Allocator.h"
#include "runtime/Error.h"

namespace kiln {

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  if (device.type != DeviceType::CPU)
    throw Error(formatMessage("cannot allocate on ", device.toString(),
                              ": this build of kiln supports cpu only"));
  PooledAllocator &allocator = PooledAllocator::host();
  void *data = allocator.allocate(bytes);
  return std::shared_ptr<Storage>(new Storage(data, bytes, device, allocator));
}

Storage::~Storage() { allocator_.release(data_, bytes_); }

} // namespace kiln
