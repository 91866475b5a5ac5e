//===- Engine.h - the asynchronous dependency engine ------------*- C++ -*-===//
//
// MXNet's execution model: every array (or other mutable resource) has a
// variable; push() hands the engine a function with the variables it reads and
// writes and returns at once. The engine runs the function once every earlier
// write to what it reads, and every earlier read and write of what it writes,
// is done. Functions on disjoint variables run concurrently: each device has
// its own workers (every CPU id shares the CPU's: one host), and copies have a
// queue of their own so that they overlap with compute. Among ready functions,
// higher priority runs first.
//
// Errors: an exception thrown by a function is stored on the variables it
// writes. Later functions that read or write those variables are skipped and
// pass the same error on. It is rethrown by the next waitForVar on any variable
// holding it, or by waitAll; once rethrown it is cleared everywhere, and the
// variables can be used again.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ENGINE_H
#define KILN_RUNTIME_ENGINE_H

#include "runtime/Device.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kiln {

class Engine;
struct EngineOp;
struct WorkerPool;

/// An error shared by every variable it has reached: clearing it once (when it
/// is rethrown) clears it on all of them.
using ErrorCell = std::shared_ptr<std::exception_ptr>;

/// The engine's handle on one array or resource. Held by shared_ptr: an op in
/// flight keeps its variables alive, so dropping the last user reference while
/// work is pending defers the deletion until that work is done.
class Var {
public:
  Var() = default;
  Var(const Var &) = delete;
  Var &operator=(const Var &) = delete;

private:
  friend class Engine;
  struct Pending {
    EngineOp *op;
    bool isWrite;
  };
  /// A FIFO that allocates nothing until used: most variables never queue
  /// anything (their ops run inline or find them idle), and arrays are made
  /// per operation, so an empty std::deque's allocations would show.
  class PendingQueue {
  public:
    bool empty() const { return head_ == items_.size(); }
    Pending &front() { return items_[head_]; }
    void push_back(const Pending &pending) { items_.push_back(pending); }
    void pop_front() {
      if (++head_ == items_.size()) {
        items_.clear();
        head_ = 0;
      } else if (head_ >= 64 && 2 * head_ >= items_.size()) {
        // A queue that never drains: drop the consumed prefix.
        items_.erase(items_.begin(),
                     items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    }
    std::vector<Pending>::const_iterator begin() const {
      return items_.begin() + static_cast<std::ptrdiff_t>(head_);
    }
    std::vector<Pending>::const_iterator end() const { return items_.end(); }

  private:
    std::vector<Pending> items_;
    size_t head_ = 0;
  };
  // All guarded by the engine's mutex.
  PendingQueue queue_;
  int activeReaders_ = 0;
  bool activeWriter_ = false;
  ErrorCell error_;
};

using VarPtr = std::shared_ptr<Var>;

/// Which of a device's queues an op goes to.
enum class QueueKind {
  Compute, // Kernels: as many workers as the device runs concurrently.
  Copy,    // Transfers between devices: one worker per device, so a copy
           // never waits behind compute it does not depend on.
};

/// Receives the work a thread pushes, instead of the workers, while it is
/// installed on that thread (Engine::setRecorder): how an Executable
/// captures its launches (runtime/Executable.h).
class PushRecorder {
public:
  virtual ~PushRecorder() = default;
  virtual void record(std::function<void()> fn, Device device,
                      const std::vector<VarPtr> &reads,
                      const std::vector<VarPtr> &writes, int priority,
                      std::string name, QueueKind queue) = 0;
  /// Called when runInlineIfIdle declines while recording: the push that
  /// follows is work the caller would have run inline when idle.
  virtual void inlineDeclined() {}
};

/// While alive, the ops this thread pushes (Engine::push, runInlineIfIdle)
/// are named `label` rather than by their pusher, for the profiler only:
/// autograd names the kernels of a node's gradient "_backward_<node>", as
/// MXNet's profiler shows "_backward_Convolution". Scopes nest; an empty
/// label lets pushes keep their own names (fused kernels).
class ScopedOpLabel {
public:
  explicit ScopedOpLabel(std::string label);
  ~ScopedOpLabel();
  ScopedOpLabel(const ScopedOpLabel &) = delete;
  ScopedOpLabel &operator=(const ScopedOpLabel &) = delete;

private:
  std::string label_;
  const std::string *previous_;
};

class Engine {
public:
  enum class Mode {
    Threaded, // Ops run on worker threads as their dependencies allow.
    Naive,    // Ops run inline inside push(), and their errors throw there.
  };

  struct Options {
    Mode mode = Mode::Threaded;
    /// Compute workers of the CPU (all its ids); 0 means the thread budget's
    /// size (KILN_CPU_WORKER_NTHREADS / MXNET_CPU_WORKER_NTHREADS override it).
    int cpuWorkers = 0;
    /// Compute workers per non-CPU device: one per stream.
    int streamsPerDevice = 1;
  };

  explicit Engine(Options options);
  explicit Engine(Mode mode = Mode::Threaded, int cpuWorkers = 0)
      : Engine(Options{mode, cpuWorkers, 1}) {}
  /// Waits for all pushed work, then stops the workers.
  ~Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  /// The process-wide engine. KILN_ENGINE=naive or
  /// MXNET_ENGINE_TYPE=NaiveEngine selects the naive mode. At process exit it
  /// finishes pending work and stops its workers; ops pushed after that run
  /// inline.
  static Engine &global();

  static VarPtr newVar() { return std::make_shared<Var>(); }

  /// Installs `recorder` for this thread (null: none) and returns the one it
  /// replaces. While one is installed, push (and pushOrRunInline) hand the
  /// work to it, runInlineIfIdle runs nothing, and waiting on a variable is
  /// an error: the values do not exist until the recorded work runs.
  static PushRecorder *setRecorder(PushRecorder *recorder);

  /// A lock the pushing thread may hold that ops in flight can need: a
  /// language binding's interpreter lock (Python's GIL, which the deleters
  /// of memory a Python object owns take on whichever worker frees it). A
  /// push that waits for backpressure calls `release` first (it returns a
  /// token, null when the thread held nothing) and `reacquire(token)` after,
  /// outside the engine's mutex; otherwise the wait could deadlock. Set once
  /// by the binding; null: nothing to release.
  struct HeldLock {
    void *(*release)() = nullptr;
    void (*reacquire)(void *token) = nullptr;
  };
  static void setHeldLock(HeldLock lock);

  /// Schedules `fn` on `device`'s `queue`. A variable listed in both `reads`
  /// and `writes` counts as written; duplicates are ignored. Returns before
  /// `fn` runs (in naive mode, after it ran; its exception is thrown here).
  /// `heldBytes`: memory allocated for the op when it was pushed (its new
  /// outputs), held until it runs. A thread outside the engine that pushes
  /// while too many ops, or ops holding too much memory, are in flight
  /// waits for them to drain (see Engine.cpp).
  void push(std::function<void()> fn, Device device,
            const std::vector<VarPtr> &reads, const std::vector<VarPtr> &writes,
            int priority = 0, std::string name = "",
            QueueKind queue = QueueKind::Compute, size_t heldBytes = 0);

  /// Like push, but when no op is queued on or running with any of the
  /// variables and none holds an error, runs `fn` at once on the calling
  /// thread: for tiny kernels, where handing over to a worker costs more than
  /// the work. Ordering and error semantics are push's (an error is stored on
  /// the written variables, not thrown here).
  void pushOrRunInline(std::function<void()> fn, Device device,
                       const std::vector<VarPtr> &reads,
                       const std::vector<VarPtr> &writes,
                       std::string name = "");

  /// The inline half of pushOrRunInline, for callers that build an owning
  /// closure only when needed: runs `fn` now and returns true when the
  /// variables are idle (as above); otherwise does nothing and returns false.
  /// The caller keeps the variables alive during the call.
  bool runInlineIfIdle(const std::function<void()> &fn, Device device,
                       Var *const *reads, size_t readCount, Var *const *writes,
                       size_t writeCount, const char *name);

  /// Runs `onDelete` once every op pushed so far on `var` is done: the point
  /// where the resource behind `var` may be freed (MXNet's DeleteVariable).
  void deleteVariable(std::function<void()> onDelete, Device device,
                      const VarPtr &var);

  /// Blocks until every op pushed so far that writes `var` is done, then
  /// rethrows an error stored on `var` and clears it. Must not be called from
  /// inside an op (that would wait on itself): that throws kiln::Error.
  void waitForVar(const VarPtr &var);

  /// Blocks until every op pushed so far is done, then rethrows the first
  /// error raised since the last waitAll that was not rethrown yet, and clears
  /// all of them. Throws kiln::Error when called from inside an op.
  void waitAll();

  /// Finishes all pending work and stops the workers; later pushes run inline.
  /// Errors nobody observed are reported on stderr. Idempotent.
  void shutdown();

  Mode mode() const { return mode_; }
  /// Compute workers of the CPU (shared by all its ids).
  int cpuWorkers() const { return cpuWorkers_; }
  /// Ops pushed and not yet retired.
  size_t pendingOps() const;

private:
  /// Queues `op` on its variables and its pool; in naive mode and after
  /// shutdown, runs it (and whatever it unblocks) inline and returns the first
  /// new error. Holds `lock`.
  ErrorCell submitLocked(EngineOp *op, QueueKind queue,
                         std::unique_lock<std::mutex> &lock);
  WorkerPool &poolLocked(Device device, QueueKind queue);
  void startWorkersLocked(WorkerPool &pool);
  void workerLoop(WorkerPool &pool, int index);
  /// Grants queued ops on `var` that may now run. Caller holds mutex_.
  void grantLocked(Var &var);
  void markDependencyMetLocked(EngineOp *op);
  /// The error `op` must inherit instead of running, if any. Holds mutex_.
  ErrorCell inheritedErrorLocked(const EngineOp &op) const;
  /// Takes the exception out of `cell` (clearing it on every variable that
  /// holds it) and forgets it as unobserved. Holds mutex_.
  std::exception_ptr takeErrorLocked(const ErrorCell &cell);
  /// Runs `op` (unless `inherited`) and returns the error it ends with.
  ErrorCell execute(EngineOp &op, ErrorCell inherited);
  /// Runs `fn` as an op named `name` (profiled when the profiler records).
  static ErrorCell run(const std::function<void()> &fn, const char *name,
                       Device device);
  void completeLocked(EngineOp *op, const ErrorCell &error);
  /// Runs ready ops on the calling thread until none are left (naive mode,
  /// and after shutdown). Returns the first new error. Holds `lock`.
  ErrorCell runReadyInline(std::unique_lock<std::mutex> &lock);

  Mode mode_;
  const int cpuWorkers_;
  const int streamsPerDevice_;
  mutable std::mutex mutex_;
  std::condition_variable doneCondition_; // Waiters wait for completions.
  std::vector<std::unique_ptr<WorkerPool>> pools_;
  std::deque<EngineOp *> inlineReady_; // Ready ops once workers are gone.
  size_t opsInFlight_ = 0;
  size_t bytesInFlight_ = 0; // The heldBytes of the ops in flight.
  uint64_t nextSequence_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  std::vector<ErrorCell> unobservedErrors_;
};

} // namespace kiln

#endif // KILN_RUNTIME_ENGINE_H
