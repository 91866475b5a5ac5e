//===- Executable.h - captured launches, replayed on the engine -*- C++ -*-===//
//
// An Executable is an ordered list of launches (engine ops with their read
// and write variables) captured once and pushed again on every run: the
// form ARCHITECTURE.md gives compiled graphs. A graph is captured by running
// its operators once under an ExecutableCapture: every op checks its inputs,
// allocates its outputs and pushes its kernels as in eager mode, but the
// pushes are recorded instead of run. A run then costs one push per launch,
// with no attribute parsing, shape checks, allocation or Python, and the
// engine still overlaps independent launches.
//
// The buffers the launches use are those allocated while capturing; the
// captured closures hold them, so they live as long as the Executable.
// Launches whose work must differ from run to run (a random op's key) are
// captured as deferred launches: their closure is made when the run pushes
// them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_EXECUTABLE_H
#define KILN_RUNTIME_EXECUTABLE_H

#include "runtime/Engine.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

class Executable {
public:
  /// One captured engine op. `makeFn`, when set, makes the closure at push
  /// time (and `fn` is unused).
  struct Launch {
    std::function<void()> fn;
    std::function<std::function<void()>()> makeFn;
    Device device;
    std::vector<VarPtr> reads;
    std::vector<VarPtr> writes;
    int priority = 0;
    std::string name;
    QueueKind queue = QueueKind::Compute;
    /// Work eager mode runs on the calling thread when its variables are
    /// idle (tiny kernels, inline matrix products): a run does the same.
    bool mayRunInline = false;
  };

  /// Pushes every launch to the global engine, in capture order. Returns at
  /// once; errors surface at the next wait on what the launches write.
  void run() const;

  const std::vector<Launch> &launches() const { return launches_; }

  /// The capture this thread is recording into, or null.
  static class ExecutableCapture *current();

private:
  friend class ExecutableCapture;
  std::vector<Launch> launches_;
};

/// Records what this thread pushes into an Executable while it lives.
/// Captures nest: an inner one takes the pushes until it ends.
class ExecutableCapture : public PushRecorder {
public:
  ExecutableCapture();
  ~ExecutableCapture() override;
  ExecutableCapture(const ExecutableCapture &) = delete;
  ExecutableCapture &operator=(const ExecutableCapture &) = delete;

  void record(std::function<void()> fn, Device device,
              const std::vector<VarPtr> &reads,
              const std::vector<VarPtr> &writes, int priority, std::string name,
              QueueKind queue) override;

  /// Records a launch whose closure `makeFn` makes when a run pushes it
  /// (on the thread calling run, in launch order): for work that must
  /// differ between runs, such as drawing a random key.
  void recordDeferred(std::function<std::function<void()>()> makeFn,
                      Device device, const std::vector<VarPtr> &writes,
                      std::string name);

  /// Ends the capture (uninstalls it) and hands over what it recorded.
  std::shared_ptr<Executable> finish();

private:
  std::shared_ptr<Executable> executable_;
  PushRecorder *previous_ = nullptr;
  bool installed_ = false;
  bool inlineDeclined_ = false;
};

} // namespace kiln

#endif // KILN_RUNTIME_EXECUTABLE_H
