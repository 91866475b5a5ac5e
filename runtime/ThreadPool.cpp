//===- ThreadPool.cpp - the process-wide pool for intra-op parallelism ----===//
#include "runtime/ThreadPool.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace kiln {
namespace {

/// True on a thread that is running chunks of a parallelFor: a nested
/// parallelFor runs serially instead of waiting on helpers that may all be
/// busy with the outer one.
thread_local bool insideParallelFor = false;

/// Parses a positive thread count; 0 when `text` is absent or not one.
int parseThreadCount(const char *name) {
  const char *text = std::getenv(name);
  if (!text || !*text)
    return 0;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  // OMP_NUM_THREADS may be a list per nesting level ("4,2"): the first counts.
  if (end == text || (*end != '\0' && *end != ',') || value <= 0 ||
      value > 4096) {
    std::fprintf(stderr, "kiln: ignoring %s=%s: expected a positive integer\n",
                 name, text);
    return 0;
  }
  return static_cast<int>(value);
}

} // namespace

int CoreBudget::tryTake(int wanted) {
  if (wanted <= 0)
    return 0;
  int available = free_.load(std::memory_order_relaxed);
  while (true) {
    int taken = std::min(wanted, available);
    if (taken <= 0)
      return 0;
    if (free_.compare_exchange_weak(available, available - taken,
                                    std::memory_order_relaxed))
      return taken;
  }
}

struct ThreadPool::Job {
  const std::function<void(int64_t, int64_t)> *body;
  int64_t end;
  int64_t chunk;
  std::atomic<int64_t> next;
  int helpersWanted;     // Guarded by the pool's mutex.
  int activeHelpers = 0; // Guarded by the pool's mutex.
  std::mutex errorMutex;
  std::exception_ptr error;
};

ThreadPool::ThreadPool(int numThreads, CoreBudget &budget)
    : numThreads_(std::max(1, numThreads)), budget_(budget) {
  for (int i = 1; i < numThreads_; ++i)
    helpers_.emplace_back([this] { helperLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread &helper : helpers_)
    helper.join();
}

int ThreadPool::threadsFromEnvironment() {
  if (int threads = parseThreadCount("KILN_NUM_THREADS"))
    return threads;
  if (int threads = parseThreadCount("OMP_NUM_THREADS"))
    return threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CoreBudget &ThreadPool::globalBudget() {
  // Leaked, like the pool: engine workers and kernels may use it until the
  // process ends.
  static CoreBudget *budget = new CoreBudget(threadsFromEnvironment());
  return *budget;
}

ThreadPool &ThreadPool::global() {
  static ThreadPool *pool =
      new ThreadPool(globalBudget().cores(), globalBudget());
  return *pool;
}

void ThreadPool::runChunks(Job &job) {
  bool wasInside = insideParallelFor;
  insideParallelFor = true;
  while (true) {
    int64_t first = job.next.fetch_add(job.chunk, std::memory_order_relaxed);
    if (first >= job.end)
      break;
    try {
      (*job.body)(first, std::min(job.end, first + job.chunk));
    } catch (...) {
      std::lock_guard<std::mutex> lock(job.errorMutex);
      if (!job.error)
        job.error = std::current_exception();
      job.next.store(job.end, std::memory_order_relaxed); // Stop the rest.
    }
  }
  insideParallelFor = wasInside;
}

void ThreadPool::parallelFor(
    int64_t begin, int64_t end, int64_t grain,
    const std::function<void(int64_t, int64_t)> &body) {
  if (end <= begin)
    return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t items = end - begin;
  const int64_t maxChunks = (items + grain - 1) / grain;
  const int wantedExtra =
      static_cast<int>(std::min<int64_t>(maxChunks, numThreads_)) - 1;
  if (wantedExtra <= 0 || insideParallelFor) {
    body(begin, end);
    return;
  }
  CoreLease lease(budget_, wantedExtra);
  if (lease.extra() == 0) {
    body(begin, end);
    return;
  }
  // Eight chunks per thread (never under the grain): a helper that wakes
  // late, or a core the VM's neighbours slow down, finds less left to do
  // rather than a fixed share. Two chunks left a compute-bound fused kernel
  // (jit_expr, 2^20 f32 on 2 cores) waiting on its last one: 0.90-0.94 ->
  // 0.87-0.90 ms, fastest of 15 repeats, four interleaved runs.
  const int64_t pieces = 8 * int64_t{lease.threads()};
  Job job;
  job.body = &body;
  job.end = end;
  job.chunk = std::max(grain, (items + pieces - 1) / pieces);
  job.next.store(begin, std::memory_order_relaxed);
  job.helpersWanted = lease.extra();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(&job);
  }
  for (int i = 0; i < lease.extra(); ++i)
    wake_.notify_one();
  runChunks(job);
  {
    // Helpers that have not picked the job up yet must not: the chunks are
    // all claimed. Those already on it finish their last chunk.
    std::unique_lock<std::mutex> lock(mutex_);
    jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), &job), jobs_.end());
    done_.wait(lock, [&] { return job.activeHelpers == 0; });
  }
  if (job.error)
    std::rethrow_exception(job.error);
}

void ThreadPool::helperLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_)
      return;
    Job *job = jobs_.back();
    ++job->activeHelpers;
    if (--job->helpersWanted == 0)
      jobs_.pop_back();
    lock.unlock();
    runChunks(*job);
    lock.lock();
    if (--job->activeHelpers == 0)
      done_.notify_all();
  }
}

bool setOpenMPThreadsForThisThread(int threads) {
  // Looked up rather than linked: the runtime does not depend on OpenMP, and
  // only a process that loaded oneDNN (and so libgomp) has parallel regions
  // to size. Remembered once found: dlsym searches every loaded library
  // (hundreds in a Python process), which costs more than a small matmul.
  using SetThreads = void (*)(int);
  static std::atomic<SetThreads> found{nullptr};
  SetThreads setThreads = found.load(std::memory_order_acquire);
  if (!setThreads) {
    setThreads = reinterpret_cast<SetThreads>(
        dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    if (!setThreads)
      return false;
    found.store(setThreads, std::memory_order_release);
  }
  setThreads(std::max(1, threads));
  return true;
}

} // namespace kiln
