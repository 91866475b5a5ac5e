//===- KernelAbi.cpp ------------------------------------------------------===//
#include "runtime/KernelAbi.h"

namespace kiln {

MemRefDescriptor::MemRefDescriptor(const Tensor &tensor) {
  const int64_t rank = tensor.rank();
  words_.reserve(3 + 2 * rank);
  const auto base = reinterpret_cast<int64_t>(tensor.storage()->data());
  words_.push_back(base); // allocated
  words_.push_back(base); // aligned
  words_.push_back(tensor.offset());
  words_.insert(words_.end(), tensor.shape().begin(), tensor.shape().end());
  words_.insert(words_.end(), tensor.strides().begin(), tensor.strides().end());
}

void invokeKernel(KernelEntryFn entry, const std::vector<Tensor> &arguments) {
  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(arguments.size());
  std::vector<void *> pointers;
  pointers.reserve(arguments.size());
  for (const Tensor &argument : arguments) {
    descriptors.emplace_back(argument);
    pointers.push_back(descriptors.back().get());
  }
  entry(pointers.data());
}

} // namespace kiln
