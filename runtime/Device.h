//===- Device.h - where data lives and kernels run --------------*- C++ -*-===//
#ifndef KILN_RUNTIME_DEVICE_H
#define KILN_RUNTIME_DEVICE_H

#include <string>

namespace kiln {

/// Device kinds. The numbering follows MXNet's Context::DeviceType so that
/// serialized contexts agree with Apache MXNet. Only CPU exists today; CUDA
/// adds a kind and an engine worker per stream, not a new engine.
enum class DeviceType : int { CPU = 1, GPU = 2, CPUPinned = 3 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int id = 0;

  static Device cpu(int id = 0) { return Device{DeviceType::CPU, id}; }

  bool operator==(const Device &other) const {
    return type == other.type && id == other.id;
  }
  bool operator!=(const Device &other) const { return !(*this == other); }

  /// MXNet's spelling: "cpu(0)".
  std::string toString() const;
};

} // namespace kiln

#endif // KILN_RUNTIME_DEVICE_H
