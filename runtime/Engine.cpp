//===- Engine.cpp - the asynchronous dependency engine --------------------===//
#include "runtime/Engine.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace kiln {

struct EngineOp {
  std::function<void()> fn;
  std::vector<VarPtr> reads;
  std::vector<VarPtr> writes;
  std::string name;
  // Variables whose turn has not come yet; the op is ready at zero.
  size_t unmetDependencies = 0;
};

namespace {

bool naiveFromEnvironment() {
  const char *kiln = std::getenv("KILN_ENGINE");
  if (kiln && std::strcmp(kiln, "naive") == 0)
    return true;
  const char *mxnet = std::getenv("MXNET_ENGINE_TYPE");
  return mxnet && std::strcmp(mxnet, "NaiveEngine") == 0;
}

/// Removes duplicates, and reads that are also writes.
void normalize(std::vector<VarPtr> &reads, std::vector<VarPtr> &writes) {
  auto dedupe = [](std::vector<VarPtr> &vars) {
    std::sort(vars.begin(), vars.end());
    vars.erase(std::unique(vars.begin(), vars.end()), vars.end());
  };
  dedupe(writes);
  dedupe(reads);
  reads.erase(std::remove_if(reads.begin(), reads.end(),
                             [&](const VarPtr &var) {
                               return std::binary_search(writes.begin(),
                                                         writes.end(), var);
                             }),
              reads.end());
}

} // namespace

Engine::Engine(Mode mode, int numWorkers) : mode_(mode) {
  if (mode_ == Mode::Naive)
    return;
  if (numWorkers <= 0)
    numWorkers = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < numWorkers; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

Engine::~Engine() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    doneCondition_.wait(lock, [this] { return opsInFlight_ == 0; });
    stopping_ = true;
  }
  readyCondition_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

Engine &Engine::global() {
  // Leaked on purpose: arrays owned by Python or by static objects may push
  // work during interpreter or static teardown, after a static engine would be
  // destroyed. The workers end with the process.
  static Engine *engine =
      new Engine(naiveFromEnvironment() ? Mode::Naive : Mode::Threaded);
  return *engine;
}

void Engine::push(std::function<void()> fn, const std::vector<VarPtr> &reads,
                  const std::vector<VarPtr> &writes, std::string name) {
  auto *op = new EngineOp{std::move(fn), reads, writes, std::move(name)};
  normalize(op->reads, op->writes);
  std::unique_lock<std::mutex> lock(mutex_);
  ++opsInFlight_;
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
  if (mode_ != Mode::Naive)
    return;
  // Naive mode: everything runs here, in order. Ops pushed from inside an op
  // (none today) would run when their turn comes in this loop.
  while (!ready_.empty()) {
    EngineOp *next = ready_.front();
    ready_.pop_front();
    lock.unlock();
    execute(next);
    lock.lock();
    completeLocked(next);
    lock.unlock();
    delete next;
    lock.lock();
  }
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
  ready_.push_back(op);
  if (mode_ == Mode::Threaded)
    readyCondition_.notify_one();
}

void Engine::execute(EngineOp *op) {
  // Inputs that carry an error poison the outputs: the op is skipped rather
  // than run on garbage. Reading var->error_ is safe without the lock: it is
  // only written by the variable's writer, and this op holds read access.
  std::exception_ptr error;
  for (const VarPtr &var : op->reads)
    if (var->error_) {
      error = var->error_;
      break;
    }
  if (!error) {
    try {
      op->fn();
    } catch (...) {
      error = std::current_exception();
    }
  }
  // This op holds write access to its outputs.
  for (const VarPtr &var : op->writes)
    var->error_ = error;
  if (error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!unobservedError_)
      unobservedError_ = error;
  }
}

void Engine::completeLocked(EngineOp *op) {
  for (const VarPtr &var : op->reads) {
    --var->activeReaders_;
    grantLocked(*var);
  }
  for (const VarPtr &var : op->writes) {
    var->activeWriter_ = false;
    grantLocked(*var);
  }
  --opsInFlight_;
  doneCondition_.notify_all();
}

void Engine::workerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    readyCondition_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
    if (ready_.empty())
      return; // Stopping, and nothing left to run.
    EngineOp *op = ready_.front();
    ready_.pop_front();
    lock.unlock();
    execute(op);
    lock.lock();
    completeLocked(op);
    lock.unlock();
    delete op; // Drops the op's references to its variables.
    lock.lock();
  }
}

void Engine::waitForVar(const VarPtr &var) {
  // Pushed as a write, the waiter runs after everything pushed before it on
  // `var`, and holds the variable alone: it may take the stored error, and on
  // retiring it leaves the variable clean, so it can be written again.
  struct WaitState {
    std::mutex mutex;
    std::condition_variable signal;
    bool done = false;
    std::exception_ptr error;
  };
  auto state = std::make_shared<WaitState>();
  Var *raw = var.get();
  push(
      [this, state, raw] {
        std::exception_ptr error = raw->error_;
        if (error) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (unobservedError_ == error)
            unobservedError_ = nullptr;
        }
        std::lock_guard<std::mutex> lock(state->mutex);
        state->error = error;
        state->done = true;
        state->signal.notify_all();
      },
      {}, {var}, "WaitForVar");
  std::unique_lock<std::mutex> lock(state->mutex);
  state->signal.wait(lock, [&] { return state->done; });
  if (state->error)
    std::rethrow_exception(state->error);
}

void Engine::waitAll() {
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    doneCondition_.wait(lock, [this] { return opsInFlight_ == 0; });
    error = unobservedError_;
    unobservedError_ = nullptr;
  }
  if (error)
    std::rethrow_exception(error);
}

} // namespace kiln
