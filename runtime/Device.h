//===- Device.h - where data lives and kernels run --------------*- C++ -*-===//
#ifndef KILN_RUNTIME_DEVICE_H
#define KILN_RUNTIME_DEVICE_H

#include <string>

namespace kiln {

/// Device kinds. The numbering follows MXNet's Context::DeviceType so that
/// serialized contexts agree with Apache MXNet. Only CPU has a backend today;
/// CUDA registers device memory (PooledAllocator::registerBackend) and gets an
/// engine worker per stream, not a new engine.
enum class DeviceType : int { CPU = 1, GPU = 2, CPUPinned = 3 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int id = 0;

  static Device cpu(int id = 0) { return Device{DeviceType::CPU, id}; }
  static Device gpu(int id = 0) { return Device{DeviceType::GPU, id}; }
  /// Page-locked host memory for fast transfers to and from a GPU.
  static Device cpuPinned(int id = 0) {
    return Device{DeviceType::CPUPinned, id};
  }

  bool operator==(const Device &other) const {
    return type == other.type && id == other.id;
  }
  bool operator!=(const Device &other) const { return !(*this == other); }

  /// MXNet's spelling: "cpu(0)".
  std::string toString() const;
};

} // namespace kiln

#endif // KILN_RUNTIME_DEVICE_H
