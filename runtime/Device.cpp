//===- Device.cpp ---------------------------------------------------------===//
#include "runtime/Device.h"

namespace kiln {

std::string Device::toString() const {
  const char *kind = type == DeviceType::CPU   ? "cpu"
                     : type == DeviceType::GPU ? "gpu"
                                               : "cpu_pinned";
  return std::string(kind) + "(" + std::to_string(id) + ")";
}

} // namespace kiln
