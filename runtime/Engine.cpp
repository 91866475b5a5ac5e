//===- Engine.cpp - the asynchronous dependency engine --------------------===//
#include "runtime/Engine.h"

#include "runtime/Error.h"
#include "runtime/Profiler.h"
#include "runtime/ShapeOnly.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace kiln {

struct EngineOp {
  std::function<void()> fn;
  std::vector<VarPtr> reads;
  std::vector<VarPtr> writes;
  std::string name;
  Device device;
  int priority = 0;
  uint64_t sequence = 0;
  size_t heldBytes = 0;       // See Engine::push.
  WorkerPool *pool = nullptr; // Null when the op runs inline.
  // Variables whose turn has not come yet; the op is ready at zero.
  size_t unmetDependencies = 0;
  // Waits and deletions run even when their variables carry an error.
  bool runsDespiteErrors = false;
};

/// The workers of one (device, queue) and the ops ready for them, ordered by
/// priority, then by push order. Guarded by the engine's mutex.
struct WorkerPool {
  Device device;
  QueueKind queue = QueueKind::Compute;
  int size = 1;
  std::vector<EngineOp *> ready; // A heap: see higherFirst.
  std::condition_variable wake;
  int idleWorkers = 0;
  // A worker that ran out of ops polls `readyCount` briefly (50 us) before
  // sleeping: in a stream of short ops that saves the pusher a wake-up system
  // call per op. One spinner per pool at most, so idle pools burn little CPU.
  int spinningWorkers = 0;
  std::atomic<size_t> readyCount{0};
  std::vector<std::thread> threads;

  /// Heap order: the top is the highest priority, earliest pushed op.
  static bool higherFirst(const EngineOp *a, const EngineOp *b) {
    if (a->priority != b->priority)
      return a->priority < b->priority;
    return a->sequence > b->sequence;
  }
};

namespace {

/// Set while the calling thread runs an op: waiting from there would wait on
/// the op itself.
thread_local int opsRunningOnThisThread = 0;
thread_local PushRecorder *threadRecorder = nullptr;

/// Backpressure: a thread outside the engine that pushes while this many ops
/// are in flight waits until half of them are done. Outputs are allocated
/// when an op is pushed, so a Python loop that never synchronizes would
/// otherwise hold every queued step's arrays at once (a small CNN reached
/// 5.6 GB where MXNet, which allocates at run time, stays at 0.6 GB).
constexpr size_t kMaxOpsInFlight = 512;
constexpr size_t kResumeOpsInFlight = kMaxOpsInFlight / 2;
/// The same by memory: 512 eager ops on 4 MB arrays held 2 GB before any
/// ran, paged in one by one (a new-user trial: 2.5 s and 2.2 GB of RSS for a
/// loop MXNet ran in 0.3 GB). Past this many bytes held by queued ops (and
/// more than kFewOpsInFlight of them, so one large op never waits), the
/// pushing thread waits until they hold half as much.
constexpr size_t kMaxBytesInFlight = size_t{256} << 20;
constexpr size_t kResumeBytesInFlight = kMaxBytesInFlight / 2;
constexpr size_t kFewOpsInFlight = 2;

/// The binding's lock a waiting push lets go of (Engine::setHeldLock).
Engine::HeldLock heldLock;

/// Whether an op finishing with `opsInFlight` left may end a wait: at the
/// counts waitAll and the backpressure (by ops or by memory) resume at.
bool wakesWaiters(size_t opsInFlight) {
  return opsInFlight == 0 || opsInFlight == kResumeOpsInFlight ||
         opsInFlight == kFewOpsInFlight;
}

bool naiveFromEnvironment() {
  const char *kiln = std::getenv("KILN_ENGINE");
  if (kiln && std::strcmp(kiln, "naive") == 0)
    return true;
  const char *mxnet = std::getenv("MXNET_ENGINE_TYPE");
  return mxnet && std::strcmp(mxnet, "NaiveEngine") == 0;
}

int cpuWorkersFromEnvironment() {
  for (const char *name :
       {"KILN_CPU_WORKER_NTHREADS", "MXNET_CPU_WORKER_NTHREADS"}) {
    const char *text = std::getenv(name);
    if (!text || !*text)
      continue;
    char *end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (*end == '\0' && value > 0 && value <= 1024)
      return static_cast<int>(value);
    std::fprintf(stderr, "kiln: ignoring %s=%s: expected a positive integer\n",
                 name, text);
  }
  return 0;
}

/// Removes duplicates, and reads that are also writes. Op lists are short:
/// quadratic scans beat sorting, and keep the caller's order.
void normalize(std::vector<VarPtr> &reads, std::vector<VarPtr> &writes) {
  auto contains = [](const std::vector<VarPtr> &vars, size_t end,
                     const VarPtr &var) {
    return std::find(vars.begin(), vars.begin() + end, var) !=
           vars.begin() + end;
  };
  size_t kept = 0;
  for (size_t i = 0; i < writes.size(); ++i)
    if (writes[i] && !contains(writes, kept, writes[i]))
      writes[kept++] = std::move(writes[i]);
  writes.resize(kept);
  kept = 0;
  for (size_t i = 0; i < reads.size(); ++i)
    if (reads[i] && !contains(reads, kept, reads[i]) &&
        !contains(writes, writes.size(), reads[i]))
      reads[kept++] = std::move(reads[i]);
  reads.resize(kept);
}

const char *queueName(QueueKind queue) {
  return queue == QueueKind::Copy ? "copy" : "compute";
}

} // namespace

Engine::Engine(Options options)
    : mode_(options.mode),
      cpuWorkers_(options.cpuWorkers > 0 ? options.cpuWorkers
                                         : ThreadPool::globalBudget().cores()),
      streamsPerDevice_(std::max(1, options.streamsPerDevice)) {}

Engine::~Engine() { shutdown(); }

Engine &Engine::global() {
  // Leaked on purpose: arrays owned by Python or by static objects may push
  // work during interpreter or static teardown, after a static engine would be
  // destroyed. At exit the workers are stopped and joined, and pushes after
  // that run inline.
  static Engine *engine = [] {
    Options options;
    options.mode = naiveFromEnvironment() ? Mode::Naive : Mode::Threaded;
    options.cpuWorkers = cpuWorkersFromEnvironment();
    auto *created = new Engine(options);
    std::atexit([] { Engine::global().shutdown(); });
    return created;
  }();
  return *engine;
}

WorkerPool &Engine::poolLocked(Device device, QueueKind queue) {
  // Every CPU id is the same host and shares one pool of workers (and the
  // core budget): mx.cpu(1) names a context, not more threads.
  if (device.type == DeviceType::CPU)
    device = Device::cpu();
  for (const std::unique_ptr<WorkerPool> &pool : pools_)
    if (pool->device == device && pool->queue == queue)
      return *pool;
  auto pool = std::make_unique<WorkerPool>();
  pool->device = device;
  pool->queue = queue;
  if (queue == QueueKind::Copy)
    pool->size = 1;
  else if (device.type == DeviceType::CPU)
    pool->size = cpuWorkers_;
  else
    pool->size = streamsPerDevice_;
  pools_.push_back(std::move(pool));
  startWorkersLocked(*pools_.back());
  return *pools_.back();
}

void Engine::startWorkersLocked(WorkerPool &pool) {
  for (int i = 0; i < pool.size; ++i)
    pool.threads.emplace_back([this, &pool, i] { workerLoop(pool, i); });
}

namespace {
thread_local const std::string *opLabel = nullptr;
} // namespace

ScopedOpLabel::ScopedOpLabel(std::string label)
    : label_(std::move(label)), previous_(opLabel) {
  opLabel = &label_;
}

ScopedOpLabel::~ScopedOpLabel() { opLabel = previous_; }

void Engine::push(std::function<void()> fn, Device device,
                  const std::vector<VarPtr> &reads,
                  const std::vector<VarPtr> &writes, int priority,
                  std::string name, QueueKind queue, size_t heldBytes) {
  if (shapeOnly())
    return; // Shapes only: the work is never run (see ShapeOnly.h).
  if (opLabel && !opLabel->empty())
    name = *opLabel;
  if (threadRecorder) {
    threadRecorder->record(std::move(fn), device, reads, writes, priority,
                           std::move(name), queue);
    return;
  }
  auto *op = new EngineOp{std::move(fn),   reads,  writes,
                          std::move(name), device, priority};
  op->heldBytes = heldBytes;
  normalize(op->reads, op->writes);
  std::unique_lock<std::mutex> lock(mutex_);
  // Every op in flight depends only on ops pushed before it, so they all
  // finish without this thread's help: waiting here cannot deadlock.
  const bool overloaded =
      opsInFlight_ >= kMaxOpsInFlight ||
      (bytesInFlight_ >= kMaxBytesInFlight && opsInFlight_ > kFewOpsInFlight);
  if (overloaded && mode_ != Mode::Naive && !stopping_ &&
      opsRunningOnThisThread == 0) {
    // Releasing never blocks, so it may happen under the mutex; taking the
    // lock back may, so that happens outside it.
    void *token = heldLock.release ? heldLock.release() : nullptr;
    doneCondition_.wait(lock, [this] {
      return (opsInFlight_ <= kResumeOpsInFlight &&
              bytesInFlight_ <= kResumeBytesInFlight) ||
             opsInFlight_ <= kFewOpsInFlight || stopping_;
    });
    if (token) {
      lock.unlock();
      heldLock.reacquire(token);
      lock.lock();
    }
  }
  ErrorCell error = submitLocked(op, queue, lock);
  if (mode_ != Mode::Naive || !error)
    return;
  // Naive mode is for debugging: the error surfaces at the op that raised it,
  // like a plain function call, and is not left behind on the variables.
  std::exception_ptr exception = takeErrorLocked(error);
  lock.unlock();
  std::rethrow_exception(exception);
}

void Engine::pushOrRunInline(std::function<void()> fn, Device device,
                             const std::vector<VarPtr> &reads,
                             const std::vector<VarPtr> &writes,
                             std::string name) {
  constexpr size_t kMaxInlineVars = 16;
  if (reads.size() <= kMaxInlineVars && writes.size() <= kMaxInlineVars) {
    Var *readVars[kMaxInlineVars], *writeVars[kMaxInlineVars];
    size_t readCount = 0, writeCount = 0;
    for (const VarPtr &var : reads)
      if (var)
        readVars[readCount++] = var.get();
    for (const VarPtr &var : writes)
      if (var)
        writeVars[writeCount++] = var.get();
    if (runInlineIfIdle(fn, device, readVars, readCount, writeVars, writeCount,
                        name.c_str()))
      return;
  }
  push(std::move(fn), device, reads, writes, 0, std::move(name));
}

bool Engine::runInlineIfIdle(const std::function<void()> &fn, Device device,
                             Var *const *reads, size_t readCount,
                             Var *const *writes, size_t writeCount,
                             const char *name) {
  if (shapeOnly())
    return true; // Handled: shape-only work is never run.
  if (opLabel && !opLabel->empty())
    name = opLabel->c_str();
  if (threadRecorder) {
    threadRecorder->inlineDeclined();
    return false; // Recorded work goes through push.
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (mode_ != Mode::Threaded || stopped_)
    return false;
  for (size_t i = 0; i < readCount; ++i) {
    const Var &var = *reads[i];
    if (!var.queue_.empty() || var.activeWriter_ || var.error_)
      return false;
  }
  for (size_t i = 0; i < writeCount; ++i) {
    const Var &var = *writes[i];
    if (!var.queue_.empty() || var.activeWriter_ || var.activeReaders_ ||
        var.error_)
      return false;
  }
  // Hold the variables as a running op does, so later pushes order after it.
  ++nextSequence_;
  ++opsInFlight_;
  for (size_t i = 0; i < readCount; ++i)
    ++reads[i]->activeReaders_;
  for (size_t i = 0; i < writeCount; ++i)
    writes[i]->activeWriter_ = true;
  lock.unlock();
  // Traces show inline ops on the thread that pushed them; name it once.
  thread_local bool named = false;
  if (!named && Profiler::global().recordingOps()) {
    Profiler::global().setThreadName(device.toString() +
                                     " inline (calling thread)");
    named = true;
  }
  ErrorCell error = run(fn, name, device);
  lock.lock();
  if (error)
    unobservedErrors_.push_back(error);
  for (size_t i = 0; i < readCount; ++i) {
    --reads[i]->activeReaders_;
    grantLocked(*reads[i]);
  }
  for (size_t i = 0; i < writeCount; ++i) {
    writes[i]->error_ = error;
    writes[i]->activeWriter_ = false;
    grantLocked(*writes[i]);
  }
  if (wakesWaiters(--opsInFlight_))
    doneCondition_.notify_all();
  return true;
}

void Engine::deleteVariable(std::function<void()> onDelete, Device device,
                            const VarPtr &var) {
  auto *op =
      new EngineOp{std::move(onDelete), {}, {var}, "DeleteVariable", device};
  op->runsDespiteErrors = true;
  std::unique_lock<std::mutex> lock(mutex_);
  submitLocked(op, QueueKind::Compute, lock);
}

ErrorCell Engine::submitLocked(EngineOp *op, QueueKind queue,
                               std::unique_lock<std::mutex> &lock) {
  const bool runInline = mode_ == Mode::Naive || stopped_;
  if (!runInline)
    op->pool = &poolLocked(op->device, queue);
  op->sequence = nextSequence_++;
  ++opsInFlight_;
  bytesInFlight_ += op->heldBytes;
  // One dependency per variable, plus one held until every variable has been
  // queued, so the op cannot start half-registered.
  op->unmetDependencies = op->reads.size() + op->writes.size() + 1;
  for (const VarPtr &var : op->reads) {
    var->queue_.push_back({op, false});
    grantLocked(*var);
  }
  for (const VarPtr &var : op->writes) {
    var->queue_.push_back({op, true});
    grantLocked(*var);
  }
  markDependencyMetLocked(op);
  return runInline ? runReadyInline(lock) : nullptr;
}

void Engine::grantLocked(Var &var) {
  while (!var.queue_.empty()) {
    Var::Pending &front = var.queue_.front();
    if (front.isWrite) {
      if (var.activeReaders_ > 0 || var.activeWriter_)
        return;
      var.activeWriter_ = true;
      EngineOp *op = front.op;
      var.queue_.pop_front();
      markDependencyMetLocked(op);
      return; // A writer has the variable to itself.
    }
    if (var.activeWriter_)
      return;
    ++var.activeReaders_;
    EngineOp *op = front.op;
    var.queue_.pop_front();
    markDependencyMetLocked(op);
  }
}

void Engine::markDependencyMetLocked(EngineOp *op) {
  if (--op->unmetDependencies != 0)
    return;
  WorkerPool *pool = op->pool;
  if (!pool) {
    inlineReady_.push_back(op);
    return;
  }
  pool->ready.push_back(op);
  std::push_heap(pool->ready.begin(), pool->ready.end(),
                 WorkerPool::higherFirst);
  pool->readyCount.store(pool->ready.size(), std::memory_order_release);
  // Waking a sleeping worker is a system call; a busy or spinning one finds
  // the op when it looks for more.
  if (pool->idleWorkers > 0 && pool->spinningWorkers == 0)
    pool->wake.notify_one();
}

ErrorCell Engine::inheritedErrorLocked(const EngineOp &op) const {
  if (op.runsDespiteErrors)
    return nullptr;
  for (const std::vector<VarPtr> *vars : {&op.reads, &op.writes})
    for (const VarPtr &var : *vars)
      if (var->error_ && *var->error_)
        return var->error_;
  return nullptr;
}

ErrorCell Engine::execute(EngineOp &op, ErrorCell inherited) {
  // An op whose inputs (or outputs) carry an error is skipped rather than run
  // on garbage, and passes the error on.
  if (inherited)
    return inherited;
  return run(op.fn, op.name.empty() ? "unnamed" : op.name.c_str(), op.device);
}

ErrorCell Engine::run(const std::function<void()> &fn, const char *name,
                      Device device) {
  Profiler &profiler = Profiler::global();
  const bool profiled = profiler.recordingOps();
  const int64_t start = profiled ? Profiler::nowNs() : 0;
  ErrorCell error;
  ++opsRunningOnThisThread;
  try {
    fn();
  } catch (...) {
    error = std::make_shared<std::exception_ptr>(std::current_exception());
  }
  --opsRunningOnThisThread;
  if (profiled)
    profiler.recordOp(*name ? name : "unnamed", device, start,
                      Profiler::nowNs());
  return error;
}

void Engine::completeLocked(EngineOp *op, const ErrorCell &error) {
  for (const VarPtr &var : op->reads) {
    --var->activeReaders_;
    grantLocked(*var);
  }
  for (const VarPtr &var : op->writes) {
    var->error_ = error;
    var->activeWriter_ = false;
    grantLocked(*var);
  }
  const bool bytesDrained =
      op->heldBytes && bytesInFlight_ > kResumeBytesInFlight &&
      bytesInFlight_ - op->heldBytes <= kResumeBytesInFlight;
  bytesInFlight_ -= op->heldBytes;
  if (wakesWaiters(--opsInFlight_) || bytesDrained)
    doneCondition_.notify_all();
}

ErrorCell Engine::runReadyInline(std::unique_lock<std::mutex> &lock) {
  ErrorCell firstNewError;
  while (!inlineReady_.empty()) {
    EngineOp *op = inlineReady_.front();
    inlineReady_.pop_front();
    ErrorCell inherited = inheritedErrorLocked(*op);
    lock.unlock();
    ErrorCell error = execute(*op, inherited);
    lock.lock();
    if (error && error != inherited) {
      unobservedErrors_.push_back(error);
      if (!firstNewError)
        firstNewError = error;
    }
    completeLocked(op, error);
    lock.unlock();
    delete op; // Outside the lock: captured resources may push on release.
    lock.lock();
  }
  return firstNewError;
}

void Engine::workerLoop(WorkerPool &pool, int index) {
  Profiler::global().setThreadName(pool.device.toString() + " " +
                                   queueName(pool.queue) + " worker " +
                                   std::to_string(index));
  // CPU compute workers hold a core of the shared budget while they run an
  // op, so intra-op parallelism only uses the cores left over.
  CoreBudget *budget =
      pool.device.type == DeviceType::CPU && pool.queue == QueueKind::Compute
          ? &ThreadPool::globalBudget()
          : nullptr;
  std::unique_lock<std::mutex> lock(mutex_);
  // The last op run, completed but not yet freed: freeing it outside the lock
  // (its captures may push when released) while the next op is already taken
  // saves a lock round trip per op.
  EngineOp *retired = nullptr;
  while (true) {
    if (pool.ready.empty() && retired) {
      // Free it before sleeping: it may hold memory someone is waiting for.
      lock.unlock();
      delete retired;
      retired = nullptr;
      lock.lock();
      continue;
    }
    if (pool.ready.empty() && !stopping_ && pool.spinningWorkers == 0) {
      ++pool.spinningWorkers;
      lock.unlock();
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (pool.readyCount.load(std::memory_order_acquire) == 0 &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
      lock.lock();
      --pool.spinningWorkers;
    }
    while (pool.ready.empty() && !stopping_) {
      ++pool.idleWorkers;
      pool.wake.wait(lock);
      --pool.idleWorkers;
    }
    if (pool.ready.empty())
      return; // Stopping, and nothing left to run.
    std::pop_heap(pool.ready.begin(), pool.ready.end(),
                  WorkerPool::higherFirst);
    EngineOp *op = pool.ready.back();
    pool.ready.pop_back();
    pool.readyCount.store(pool.ready.size(), std::memory_order_release);
    ErrorCell inherited = inheritedErrorLocked(*op);
    lock.unlock();
    delete retired;
    retired = nullptr;
    if (budget)
      budget->takeOne();
    ErrorCell error = execute(*op, inherited);
    if (budget)
      budget->give(1);
    lock.lock();
    if (error && error != inherited)
      unobservedErrors_.push_back(error);
    completeLocked(op, error);
    retired = op;
  }
}

void Engine::setHeldLock(HeldLock lock) { heldLock = lock; }

PushRecorder *Engine::setRecorder(PushRecorder *recorder) {
  PushRecorder *previous = threadRecorder;
  threadRecorder = recorder;
  return previous;
}

void Engine::waitForVar(const VarPtr &var) {
  if (shapeOnly())
    throw Error("shape inference: the result's shape depends on the values "
                "of an input, which are not known when only shapes are known");
  if (threadRecorder)
    throw Error("capturing an executable: a value was needed on the host "
                "(an op whose result depends on data values), which does not "
                "exist until the captured work runs");
  if (opsRunningOnThisThread > 0)
    throw Error("waitForVar: called from inside an engine op, which would "
                "wait for itself; wait outside the op instead");
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool writePending =
        var->activeWriter_ ||
        std::any_of(
            var->queue_.begin(), var->queue_.end(),
            [](const Var::Pending &pending) { return pending.isWrite; });
    if (!writePending) {
      std::exception_ptr error = takeErrorLocked(var->error_);
      lock.unlock();
      if (error)
        std::rethrow_exception(error);
      return;
    }
  }
  // Pushed as a read, the waiter runs after every write pushed before it on
  // `var`; it runs even when `var` carries an error, to collect it.
  struct WaitState {
    std::mutex mutex;
    std::condition_variable signal;
    bool done = false;
    std::exception_ptr error;
  };
  auto state = std::make_shared<WaitState>();
  auto *op = new EngineOp{[this, state, raw = var.get()] {
                            std::exception_ptr taken;
                            {
                              std::lock_guard<std::mutex> lock(mutex_);
                              taken = takeErrorLocked(raw->error_);
                            }
                            std::lock_guard<std::mutex> lock(state->mutex);
                            state->error = taken;
                            state->done = true;
                            state->signal.notify_all();
                          },
                          {var},
                          {},
                          "WaitForVar",
                          Device::cpu(),
                          INT_MAX};
  op->runsDespiteErrors = true;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    submitLocked(op, QueueKind::Compute, lock);
  }
  std::unique_lock<std::mutex> lock(state->mutex);
  state->signal.wait(lock, [&] { return state->done; });
  if (state->error)
    std::rethrow_exception(state->error);
}

std::exception_ptr Engine::takeErrorLocked(const ErrorCell &cell) {
  if (!cell || !*cell)
    return nullptr;
  std::exception_ptr exception = *cell;
  *cell = nullptr; // Cleared on every variable it reached.
  unobservedErrors_.erase(
      std::remove(unobservedErrors_.begin(), unobservedErrors_.end(), cell),
      unobservedErrors_.end());
  return exception;
}

void Engine::waitAll() {
  if (threadRecorder)
    throw Error("capturing an executable: waitall waits for values that do "
                "not exist until the captured work runs");
  if (opsRunningOnThisThread > 0)
    throw Error("waitAll: called from inside an engine op, which would wait "
                "for itself; wait outside the op instead");
  std::exception_ptr first;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    doneCondition_.wait(lock, [this] { return opsInFlight_ == 0; });
    for (const ErrorCell &cell : unobservedErrors_) {
      if (*cell && !first)
        first = *cell;
      // Cleared on every variable it reached: a wait after waitAll does not
      // throw the same error again.
      *cell = nullptr;
    }
    unobservedErrors_.clear();
  }
  if (first)
    std::rethrow_exception(first);
}

void Engine::shutdown() {
  std::vector<std::thread> threads;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopped_)
      return;
    if (opsRunningOnThisThread == 0)
      doneCondition_.wait(lock, [this] { return opsInFlight_ == 0; });
    stopped_ = true;
    stopping_ = true;
    size_t unobserved = 0;
    std::string firstMessage;
    for (const ErrorCell &cell : unobservedErrors_) {
      if (!*cell)
        continue;
      if (unobserved++ == 0) {
        try {
          std::rethrow_exception(*cell);
        } catch (const std::exception &error) {
          firstMessage = error.what();
        } catch (...) {
          firstMessage = "(not a std::exception)";
        }
      }
    }
    if (unobserved > 0)
      std::fprintf(stderr,
                   "kiln: %zu engine error(s) were never waited for; the "
                   "first: %s\n",
                   unobserved, firstMessage.c_str());
    for (const std::unique_ptr<WorkerPool> &pool : pools_) {
      pool->wake.notify_all();
      for (std::thread &thread : pool->threads)
        threads.push_back(std::move(thread));
      pool->threads.clear();
    }
  }
  for (std::thread &thread : threads) {
    // exit() called from inside an op: that worker cannot join itself.
    if (thread.get_id() == std::this_thread::get_id())
      thread.detach();
    else
      thread.join();
  }
}

size_t Engine::pendingOps() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return opsInFlight_;
}

} // namespace kiln
