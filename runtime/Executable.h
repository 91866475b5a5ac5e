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
#include "runtime/Storage.h"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kiln {

class RetainedValues;

class Executable {
public:
  /// One captured engine op. `makeFn`, when set, makes the closure at push
  /// time (and `fn` is unused).
  struct Launch {
    std::function<void()> fn;
    std::function<std::function<void()>()> makeFn;
    /// What makeFn made at the last run (run(replay) pushes it again).
    mutable std::function<void()> lastMade;
    Device device;
    std::vector<VarPtr> reads;
    std::vector<VarPtr> writes;
    int priority = 0;
    std::string name;
    QueueKind queue = QueueKind::Compute;
    /// Work eager mode runs on the calling thread when its variables are
    /// idle (tiny kernels, inline matrix products): a run does the same.
    bool mayRunInline = false;
    /// An elementwise kernel whose inputs are all scalars or laid out as
    /// its output: its output may take the bytes of an input of the same
    /// size that no later launch uses (in-place, as MXNet's planner does).
    bool inPlaceSafe = false;
    /// A copy of the whole of `copySource` into the whole of
    /// `copyDestination` (ExecutableCapture::markCopy), which planMemory may
    /// forward: the source's writers then write the destination in place
    /// and the launch does nothing.
    std::shared_ptr<Storage> copySource, copyDestination;
  };

  /// Pushes every launch to the global engine, in capture order. Returns at
  /// once; errors surface at the next wait on what the launches write.
  /// With `replay`, deferred launches push the closures they made at the
  /// previous run (the same random keys) instead of making new ones: the
  /// run repeats the previous one exactly (an Executor's forward run again
  /// for a second backward, whose values the first backward overwrote).
  void run(bool replay = false) const;

  const std::vector<Launch> &launches() const { return launches_; }

  /// The capture this thread is recording into, or null.
  static class ExecutableCapture *current();

  struct MemoryStats {
    /// The one arena the planned buffers share.
    size_t arenaBytes = 0;
    /// The most bytes of planned buffers alive at one launch: the least any
    /// placement of them in one arena can take (arenaBytes minus this is
    /// what fragmentation costs).
    size_t peakLiveBytes = 0;
    /// The planned buffers' sizes added up (what they would take apart).
    size_t plannedBytes = 0;
    size_t plannedBuffers = 0;
    /// Buffers left where they are: those in `keep`, constants made while
    /// capturing, and workspaces no array variable names.
    size_t unplannedBytes = 0;
    size_t unplannedBuffers = 0;
    /// Buffers released, or captured without memory and never given any:
    /// no launch uses them and nothing else holds them (values a fused
    /// kernel kept in registers).
    size_t droppedBytes = 0;
    size_t droppedBuffers = 0;
    /// Copies forwarded (the copied buffer made an alias of the
    /// destination, Storage::aliasOf) and the bytes they no longer copy.
    size_t forwardedCopies = 0;
    size_t forwardedBytes = 0;
  };

  /// Memory planning over `programs`, which run in this order (a forward
  /// program, then its backward): every buffer allocated while capturing
  /// them that a launch writes before anything reads it, and that is not
  /// one of `keep` (outputs the caller reads), is placed in one arena so
  /// that buffers live at different times share bytes, and the output of
  /// an in-place safe launch takes the bytes of an input of its size that
  /// dies there. Launches that first
  /// write a buffer also write the variables of the buffers it shares bytes
  /// with, so the engine orders them (within a run and across runs). Call
  /// before the programs first run. Buffers captured without memory
  /// (ExecutableCapture(planned)) that are not planned get their own.
  /// With `retained`, it is set to the values the last program reads that
  /// its own buffers overwrite (RetainedValues), for running it twice.
  ///
  /// Copy forwarding comes first: a copy launch (Launch::copySource) whose
  /// source is a buffer the programs allocated, that a launch writes before
  /// anything reads it and the copy reads last, and whose destination no
  /// other launch of the programs uses (a variable's gradient buffer, which
  /// autograd's backward fills by copying), is done away with: the source
  /// becomes an alias of the destination, the copy launch an empty one
  /// kept for its ordering, and every launch using the source also uses
  /// the destination's variable, so the engine orders them with whatever
  /// uses the destination outside the programs (an optimizer's update; an
  /// exchange of its memory). The destination's memory then holds the
  /// source's value from its first write on: a caller must not read the
  /// destination while the programs run, as it may not anyway.
  static MemoryStats
  planMemory(const std::vector<std::shared_ptr<Executable>> &programs,
             const std::vector<VarPtr> &keep,
             std::shared_ptr<RetainedValues> *retained = nullptr);

private:
  friend class ExecutableCapture;
  /// A variable's first and last use by launch index across programs.
  struct VarUse;
  using VarUses = std::unordered_map<const Var *, VarUse>;
  /// planMemory's copy forwarding; returns the storages made aliases.
  static std::unordered_set<const Storage *>
  forwardCopies(const std::vector<std::shared_ptr<Executable>> &programs,
                const VarUses &uses, MemoryStats &stats);

  std::vector<Launch> launches_;
  /// Storages allocated while capturing, with the variables of the arrays
  /// made over them (ExecutableCapture::noteArray).
  std::vector<std::shared_ptr<Storage>> allocations_;
  std::vector<std::vector<VarPtr>> allocationVars_;
};

/// The values of earlier programs (a forward) that the last program of a
/// plan (its backward) reads, and whose bytes that program's own buffers
/// take once it has read them for the last time: the plan is made for the
/// backward running once per forward. Running it again on the same forward
/// (autograd's retain_graph=True, then a second backward) would read them
/// overwritten, so such a run is bracketed by save(), which copies them
/// aside, and restore(), which copies them back once the run's launches are
/// done with their bytes. Both are engine ops ordered through the buffers'
/// variables; the copy's memory is taken on the first save and kept.
class RetainedValues {
public:
  bool empty() const { return values_.empty(); }
  /// The bytes a save copies.
  size_t bytes() const;
  /// Pushes the copy aside: after the launches pushed so far that write
  /// the values, before later ones that overwrite them.
  void save();
  /// Pushes the copy back: after the launches pushed so far that use the
  /// values' bytes, before later ones that use them. After a save.
  void restore();

private:
  friend class Executable;
  std::vector<std::shared_ptr<Storage>> values_;
  std::vector<VarPtr> valueVars_;
  /// The variables of the last program's buffers sharing the values' bytes.
  std::vector<VarPtr> overwriterVars_;
  std::shared_ptr<Storage> copy_;
  VarPtr copyVar_;
};

/// Records what this thread pushes into an Executable while it lives.
/// Captures nest: an inner one takes the pushes until it ends.
class ExecutableCapture : public PushRecorder, public AllocationRecorder {
public:
  /// With `planned`, buffers over 64 KiB get no memory while capturing:
  /// Executable::planMemory, which must follow, gives it to them (so a
  /// capture never holds every intermediate at once).
  explicit ExecutableCapture(bool planned = false);
  ~ExecutableCapture() override;
  ExecutableCapture(const ExecutableCapture &) = delete;
  ExecutableCapture &operator=(const ExecutableCapture &) = delete;

  void record(std::function<void()> fn, Device device,
              const std::vector<VarPtr> &reads,
              const std::vector<VarPtr> &writes, int priority, std::string name,
              QueueKind queue) override;
  void inlineDeclined() override { inlineDeclined_ = true; }
  /// The next recorded launch is in-place safe (Launch::inPlaceSafe).
  void markInPlaceSafe() { inPlaceSafe_ = true; }
  /// The next launch recorded that reads exactly `sourceVar` and writes
  /// exactly `destinationVar` copies the whole of `source` into the whole
  /// of `destination`, which have one size (Launch::copySource). The
  /// caller vouches for what the launch does; clearCopy forgets the mark
  /// if no such launch came (the copy was fused into another kernel).
  void markCopy(std::shared_ptr<Storage> source, VarPtr sourceVar,
                std::shared_ptr<Storage> destination, VarPtr destinationVar);
  void clearCopy() { copyMark_ = {}; }
  void allocated(const std::shared_ptr<Storage> &storage) override;
  bool defersMemory(size_t bytes) const override {
    return planned_ && bytes > (64u << 10);
  }
  /// Tells the capture that an array with variable `var` was made over
  /// `storage` (memory planning follows the buffer through its variables).
  void noteArray(const std::shared_ptr<Storage> &storage, const VarPtr &var);

  /// Records a launch whose closure `makeFn` makes when a run pushes it
  /// (on the thread calling run, in launch order): for work that must
  /// differ between runs, such as drawing a random key.
  void recordDeferred(std::function<std::function<void()>()> makeFn,
                      Device device, const std::vector<VarPtr> &writes,
                      std::string name);

  /// Called with a launch's reads and writes before it is recorded (by
  /// record and recordDeferred): the elementwise fusion of a capture
  /// pushes its pending group first when the launch touches it. Null
  /// removes it.
  using LaunchHook = std::function<void(const std::vector<VarPtr> &reads,
                                        const std::vector<VarPtr> &writes)>;
  void setBeforeLaunch(LaunchHook hook) { beforeLaunch_ = std::move(hook); }
  /// Ends the capture (uninstalls it) and hands over what it recorded.
  std::shared_ptr<Executable> finish();

private:
  std::shared_ptr<Executable> executable_;
  PushRecorder *previous_ = nullptr;
  AllocationRecorder *previousAllocations_ = nullptr;
  bool installed_ = false;
  bool inlineDeclined_ = false;
  bool inPlaceSafe_ = false;
  bool planned_ = false;
  struct CopyMark {
    std::shared_ptr<Storage> source, destination;
    VarPtr sourceVar, destinationVar;
  } copyMark_;
  LaunchHook beforeLaunch_;
};

} // namespace kiln

#endif // KILN_RUNTIME_EXECUTABLE_H
