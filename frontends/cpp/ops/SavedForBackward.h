//===- SavedForBackward.h - what a forward pass keeps for its rule -*- C++
//-*-===//
//
// An op with several outputs runs unrecorded and is recorded whole with an
// outputs gradient rule that sees only its inputs and outputs (OpRegistry.h).
// One whose backward needs more (MXNet's hidden outputs and reserve space:
// RNN's gate activations) keeps it here while training, keyed by its first
// output's engine variable. The autograd node holds that output, so the
// entry is there as long as the graph may be walked; entries of outputs that
// died are dropped as new ones arrive.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_SAVEDFORBACKWARD_H
#define KILN_FRONTENDS_CPP_OPS_SAVEDFORBACKWARD_H

#include "frontends/cpp/NDArray.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kiln {
namespace ops {

template <typename T> class SavedForBackward {
public:
  void save(const NDArray &output, std::shared_ptr<T> value) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= nextPurge_) {
      for (auto it = entries_.begin(); it != entries_.end();)
        it = it->second.output.expired() ? entries_.erase(it) : std::next(it);
      nextPurge_ = std::max<size_t>(16, 2 * entries_.size());
    }
    entries_[output.var().get()] = {output.var(), std::move(value)};
  }

  /// What was saved for `output` (null when nothing was), forgotten here:
  /// a second backward through a retained graph finds nothing and the
  /// caller recomputes it.
  std::shared_ptr<T> take(const NDArray &output) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = entries_.find(output.var().get());
    if (found == entries_.end())
      return nullptr;
    std::shared_ptr<T> value;
    // The same address may belong to a newer variable than the saved one.
    if (found->second.output.lock() == output.var())
      value = std::move(found->second.value);
    entries_.erase(found);
    return value;
  }

private:
  struct Entry {
    std::weak_ptr<Var> output;
    std::shared_ptr<T> value;
  };
  std::mutex mutex_;
  std::unordered_map<const Var *, Entry> entries_;
  size_t nextPurge_ = 16;
};

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_SAVEDFORBACKWARD_H
