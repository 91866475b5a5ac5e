// The intra-op thread pool and the core budget it shares with the engine.
// The target sets KILN_NUM_THREADS=2, so the global budget is 2 cores on any
// machine.
#include "runtime/Engine.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace kiln {
namespace {

using namespace std::chrono_literals;

TEST(CoreBudget, TakesOnlyWhatIsFree) {
  CoreBudget budget(4);
  EXPECT_EQ(budget.tryTake(3), 3);
  EXPECT_EQ(budget.tryTake(3), 1);
  EXPECT_EQ(budget.tryTake(1), 0);
  budget.give(4);
  budget.takeOne();
  budget.takeOne();
  EXPECT_EQ(budget.freeCores(), 2);
  EXPECT_EQ(budget.tryTake(0), 0);
  EXPECT_EQ(budget.tryTake(-1), 0);
}

TEST(CoreBudget, EngineWorkersCanOverdrawIt) {
  CoreBudget budget(1);
  budget.takeOne();
  budget.takeOne(); // More workers than cores: still counted.
  EXPECT_EQ(budget.freeCores(), -1);
  EXPECT_EQ(budget.tryTake(1), 0);
  budget.give(2);
  EXPECT_EQ(budget.tryTake(1), 1);
}

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  CoreBudget budget(4);
  ThreadPool pool(4, budget);
  for (int64_t size : {0, 1, 7, 1000, 100003}) {
    for (int64_t grain : {1, 16, 5000}) {
      std::vector<std::atomic<int>> hits(size);
      pool.parallelFor(0, size, grain, [&](int64_t begin, int64_t end) {
        ASSERT_LE(begin, end);
        for (int64_t i = begin; i < end; ++i)
          ++hits[i];
      });
      for (int64_t i = 0; i < size; ++i)
        ASSERT_EQ(hits[i].load(), 1) << "index " << i << " of " << size;
    }
  }
  EXPECT_EQ(budget.freeCores(), 4) << "cores leaked";
}

TEST(ThreadPool, OffsetRangesAndEmptyRanges) {
  CoreBudget budget(2);
  ThreadPool pool(2, budget);
  std::atomic<int64_t> sum{0};
  pool.parallelFor(10, 20, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      sum += i;
  });
  EXPECT_EQ(sum.load(), 145);
  bool called = false;
  pool.parallelFor(5, 5, 1, [&](int64_t, int64_t) { called = true; });
  pool.parallelFor(5, 3, 1, [&](int64_t, int64_t) { called = true; });
  EXPECT_FALSE(called);
}

TEST(ThreadPool, UsesFreeCores) {
  CoreBudget budget(4);
  ThreadPool pool(4, budget);
  std::mutex mutex;
  std::condition_variable joined;
  std::set<std::thread::id> threads;
  pool.parallelFor(0, 64, 1, [&](int64_t, int64_t) {
    std::unique_lock<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
    joined.notify_all();
    // Each chunk waits for a second thread to have taken one, so that a
    // helper waking late (sanitizers, a loaded CI machine: 60 ms was not
    // enough) still shows; one that never comes fails after the bound.
    joined.wait_for(lock, 10s, [&] { return threads.size() > 1; });
  });
  EXPECT_GT(threads.size(), 1u);
  EXPECT_LE(threads.size(), 4u);
}

TEST(ThreadPool, RunsOnTheCallerAloneWhenNoCoreIsFree) {
  CoreBudget budget(4);
  ThreadPool pool(4, budget);
  EXPECT_EQ(budget.tryTake(4), 4); // Everything busy elsewhere.
  std::mutex mutex;
  std::set<std::thread::id> threads;
  pool.parallelFor(0, 64, 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
  budget.give(4);
}

TEST(ThreadPool, FirstExceptionIsRethrownAndNoCoreLeaks) {
  CoreBudget budget(3);
  ThreadPool pool(3, budget);
  EXPECT_THROW(pool.parallelFor(0, 1000, 1,
                                [&](int64_t begin, int64_t) {
                                  if (begin >= 500)
                                    throw std::runtime_error("chunk failed");
                                }),
               std::runtime_error);
  EXPECT_EQ(budget.freeCores(), 3);
  // The pool still works afterwards.
  std::atomic<int> count{0};
  pool.parallelFor(0, 100, 1, [&](int64_t begin, int64_t end) {
    count += static_cast<int>(end - begin);
  });
  EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPool, NestedParallelForRunsInline) {
  CoreBudget budget(4);
  ThreadPool pool(4, budget);
  std::atomic<int64_t> total{0};
  pool.parallelFor(0, 8, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      pool.parallelFor(0, 100, 1,
                       [&](int64_t b, int64_t e) { total += e - b; });
  });
  EXPECT_EQ(total.load(), 800);
}

TEST(ThreadPool, ConcurrentCallersShareThePool) {
  CoreBudget budget(4);
  ThreadPool pool(4, budget);
  std::vector<std::thread> callers;
  std::atomic<int64_t> total{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round)
        pool.parallelFor(0, 1000, 10,
                         [&](int64_t b, int64_t e) { total += e - b; });
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(total.load(), 4 * 50 * 1000);
  EXPECT_EQ(budget.freeCores(), 4);
}

TEST(ThreadPool, SizeComesFromTheEnvironment) {
  // The test target sets KILN_NUM_THREADS=2.
  EXPECT_EQ(ThreadPool::threadsFromEnvironment(), 2);
  EXPECT_EQ(ThreadPool::global().numThreads(), 2);
  EXPECT_EQ(ThreadPool::globalBudget().cores(), 2);

  const std::string saved = std::getenv("KILN_NUM_THREADS");
  setenv("KILN_NUM_THREADS", "", 1);
  setenv("OMP_NUM_THREADS", "3,1", 1);
  EXPECT_EQ(ThreadPool::threadsFromEnvironment(), 3);
  setenv("KILN_NUM_THREADS", "five", 1); // Ignored with a warning.
  EXPECT_EQ(ThreadPool::threadsFromEnvironment(), 3);
  unsetenv("OMP_NUM_THREADS");
  EXPECT_GE(ThreadPool::threadsFromEnvironment(), 1);
  setenv("KILN_NUM_THREADS", saved.c_str(), 1);
}

TEST(ThreadPool, OpenMPIsConfiguredWhenLoaded) {
  // The runtime links oneDNN, which brings libgomp; without it the call is a
  // no-op that says so.
  using GetThreads = int (*)();
  auto getThreads =
      reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  const bool loaded = getThreads != nullptr;
  EXPECT_EQ(setOpenMPThreadsForThisThread(3), loaded);
  if (loaded) {
    EXPECT_EQ(getThreads(), 3);
    setOpenMPThreadsForThisThread(0); // Clamped to 1.
    EXPECT_EQ(getThreads(), 1);
  }
}

// Two engine workers busy on a 2-core budget leave no core for intra-op
// threads: each op's parallelFor runs on its worker alone.
TEST(ThreadPool, EngineWorkersAndKernelsDoNotOversubscribe) {
  Engine engine(Engine::Mode::Threaded, 2);
  ASSERT_EQ(ThreadPool::globalBudget().cores(), 2);
  std::atomic<int> arrived{0}, finished{0};
  std::atomic<int> minFreeSeen{100};
  std::mutex mutex;
  std::vector<std::set<std::thread::id>> threadsPerOp(2);
  for (int op = 0; op < 2; ++op)
    engine.push(
        [&, op] {
          ++arrived;
          auto deadline = std::chrono::steady_clock::now() + 10s;
          while (arrived.load() < 2 &&
                 std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
          int free = ThreadPool::globalBudget().freeCores();
          int seen = minFreeSeen.load();
          while (free < seen &&
                 !minFreeSeen.compare_exchange_weak(seen, free)) {
          }
          ThreadPool::global().parallelFor(0, 64, 1, [&](int64_t, int64_t) {
            std::lock_guard<std::mutex> lock(mutex);
            threadsPerOp[op].insert(std::this_thread::get_id());
          });
          // Stay running until the other op's kernel is done too.
          ++finished;
          while (finished.load() < 2 &&
                 std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
        },
        Device::cpu(), {}, {Engine::newVar()});
  engine.waitAll();
  EXPECT_EQ(minFreeSeen.load(), 0);
  EXPECT_EQ(threadsPerOp[0].size(), 1u);
  EXPECT_EQ(threadsPerOp[1].size(), 1u);
  EXPECT_EQ(ThreadPool::globalBudget().freeCores(), 2);
}

} // namespace
} // namespace kiln
