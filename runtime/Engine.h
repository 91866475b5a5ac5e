//===- Engine.h - the asynchronous dependency engine ------------*- C++ -*-===//
//
// MXNet's execution model: every array (or other mutable resource) has a
// variable; push() hands the engine a function with the variables it reads and
// writes and returns at once. The engine runs the function once every earlier
// write to what it reads, and every earlier read and write of what it writes,
// is done. Functions on disjoint variables run concurrently on worker threads.
//
// An exception thrown by a function is stored on the variables it writes;
// functions that read those variables are skipped and inherit the error, and
// the error is rethrown at the next wait on any of them (or waitAll).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ENGINE_H
#define KILN_RUNTIME_ENGINE_H

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln {

class Engine;
struct EngineOp;

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
  // All guarded by the engine's mutex.
  std::deque<Pending> queue_;
  int activeReaders_ = 0;
  bool activeWriter_ = false;
  std::exception_ptr error_;
};

using VarPtr = std::shared_ptr<Var>;

class Engine {
public:
  enum class Mode {
    Threaded, // Ops run on worker threads as their dependencies allow.
    Naive,    // Ops run inline inside push(), for debugging.
  };

  /// `numWorkers` 0 means one per hardware thread.
  explicit Engine(Mode mode = Mode::Threaded, int numWorkers = 0);
  /// Waits for all pushed work, then stops the workers.
  ~Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  /// The process-wide engine. KILN_ENGINE=naive or
  /// MXNET_ENGINE_TYPE=NaiveEngine selects the naive mode.
  static Engine &global();

  static VarPtr newVar() { return std::make_shared<Var>(); }

  /// Schedules `fn`. A variable listed in both `reads` and `writes` counts as
  /// written; duplicates are ignored. Returns before `fn` runs.
  void push(std::function<void()> fn, const std::vector<VarPtr> &reads,
            const std::vector<VarPtr> &writes, std::string name = "");

  /// Blocks until every op pushed so far that writes `var` is done, then
  /// rethrows (and clears) an error stored on `var`.
  void waitForVar(const VarPtr &var);

  /// Blocks until every op pushed so far is done, then rethrows the first
  /// error raised since the last waitAll, if it was not already rethrown.
  void waitAll();

  Mode mode() const { return mode_; }
  int numWorkers() const { return static_cast<int>(workers_.size()); }

private:
  void workerLoop();
  /// Grants queued ops on `var` that may now run; those with no remaining
  /// dependency are appended to the ready queue. Caller holds mutex_.
  void grantLocked(Var &var);
  void markDependencyMetLocked(EngineOp *op);
  void execute(EngineOp *op);
  void completeLocked(EngineOp *op);

  const Mode mode_;
  std::mutex mutex_;
  std::condition_variable readyCondition_;   // Workers wait for ready ops.
  std::condition_variable doneCondition_;    // Waiters wait for completions.
  std::deque<EngineOp *> ready_;
  std::vector<std::thread> workers_;
  size_t opsInFlight_ = 0;
  bool stopping_ = false;
  std::exception_ptr unobservedError_;
};

} // namespace kiln

#endif // KILN_RUNTIME_ENGINE_H
