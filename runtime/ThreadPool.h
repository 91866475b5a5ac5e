//===- ThreadPool.h - the process-wide pool for intra-op parallelism -*- C++
//-*-===//
//
// One pool of threads splits the work of a single op (a large elementwise
// kernel, a matmul) across cores. The cores are a budget shared with the
// engine: an engine worker running an op holds one core, and a kernel that
// wants more only gets the cores nobody else is using. So two engine workers
// each running a parallel kernel on a 2-core machine run two threads, not four.
//
// Code that calls into oneDNN (whose Debian build threads with OpenMP) leases
// cores the same way and hands the count to OpenMP with
// setOpenMPThreadsForThisThread(), so oneDNN stays inside the same budget.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_THREADPOOL_H
#define KILN_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

/// Counts the cores not in use. Engine workers take one unconditionally while
/// they run an op (the count may go below zero when there are more workers
/// than cores); kernels take extra cores only when some are free.
class CoreBudget {
public:
  explicit CoreBudget(int cores) : free_(cores), cores_(cores) {}

  /// Takes up to `wanted` free cores and returns how many it got.
  int tryTake(int wanted);
  /// Takes one core whether or not it is free (an engine worker starting an
  /// op: it is running anyway).
  void takeOne() { free_.fetch_sub(1, std::memory_order_relaxed); }
  void give(int count) { free_.fetch_add(count, std::memory_order_relaxed); }

  int cores() const { return cores_; }
  int freeCores() const { return free_.load(std::memory_order_relaxed); }

private:
  std::atomic<int> free_;
  const int cores_;
};

/// Extra cores held for the duration of a scope, on top of the caller's own.
class CoreLease {
public:
  CoreLease(CoreBudget &budget, int wantedExtra)
      : budget_(budget), extra_(budget.tryTake(wantedExtra)) {}
  ~CoreLease() { budget_.give(extra_); }
  CoreLease(const CoreLease &) = delete;
  CoreLease &operator=(const CoreLease &) = delete;

  int extra() const { return extra_; }
  /// Threads the holder may run: its own plus the extra cores.
  int threads() const { return extra_ + 1; }

private:
  CoreBudget &budget_;
  const int extra_;
};

class ThreadPool {
public:
  /// A pool of `numThreads` - 1 helper threads (the caller is the last one),
  /// drawing on `budget`.
  ThreadPool(int numThreads, CoreBudget &budget);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// The process-wide pool, sized by KILN_NUM_THREADS, else OMP_NUM_THREADS,
  /// else the number of hardware threads.
  static ThreadPool &global();
  /// The budget behind global(): the engine's CPU workers draw on it too.
  static CoreBudget &globalBudget();
  /// The thread count global() uses, from the environment.
  static int threadsFromEnvironment();

  int numThreads() const { return numThreads_; }
  CoreBudget &budget() { return budget_; }

  /// Runs body(chunkBegin, chunkEnd) over [begin, end) in chunks of at least
  /// `grain` items, on the calling thread plus as many helpers as there are
  /// free cores. Returns when every chunk is done; rethrows the first
  /// exception a chunk threw. Safe to call from any thread, including from
  /// inside a body (the nested call runs on its caller alone).
  void parallelFor(int64_t begin, int64_t end, int64_t grain,
                   const std::function<void(int64_t, int64_t)> &body);

private:
  struct Job;
  void helperLoop();
  static void runChunks(Job &job);

  const int numThreads_;
  CoreBudget &budget_;
  std::mutex mutex_;
  std::condition_variable wake_; // Helpers wait for jobs.
  std::condition_variable done_; // Job owners wait for their helpers.
  std::vector<Job *> jobs_;      // Jobs that still want helpers.
  std::vector<std::thread> helpers_;
  bool stopping_ = false;
};

/// Sets OpenMP's thread count for parallel regions this thread starts, if an
/// OpenMP runtime is loaded in the process (oneDNN brings libgomp); a no-op
/// otherwise. Returns whether an OpenMP runtime was found.
bool setOpenMPThreadsForThisThread(int threads);

} // namespace kiln

#endif // KILN_RUNTIME_THREADPOOL_H
