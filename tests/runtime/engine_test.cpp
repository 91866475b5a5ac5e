// The engine's scheduling, waiting, error and shutdown semantics, one
// behaviour per test. The randomized checks are in engine_stress_test.cpp.
#include "runtime/Engine.h"
#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kiln {
namespace {

using namespace std::chrono_literals;

const Device kCpu = Device::cpu();

/// Spins until `flag` is set or `timeout` passes; true if it was set.
bool waitFor(const std::atomic<bool> &flag, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(Engine, PushReturnsBeforeTheOpRuns) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  std::atomic<bool> release{false}, ran{false};
  engine.push(
      [&] {
        waitFor(release, 10s);
        ran = true;
      },
      kCpu, {}, {var});
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(engine.pendingOps(), 1u);
  release = true;
  engine.waitForVar(var);
  EXPECT_TRUE(ran.load());
}

TEST(Engine, PushWaitsWhenTooManyOpsAreInFlight) {
  // A pusher that never synchronizes is held back (its outputs are
  // allocated at push time), and resumes once half the backlog is done.
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  std::atomic<bool> release{false}, pusherDone{false};
  std::atomic<size_t> mostPending{0};
  std::thread pusher([&] {
    engine.push([&] { waitFor(release, 10s); }, kCpu, {}, {var});
    for (int i = 0; i < 3000; ++i) {
      engine.push([] {}, kCpu, {}, {var});
      mostPending = std::max<size_t>(mostPending, engine.pendingOps());
    }
    pusherDone = true;
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(pusherDone.load()); // Blocked behind the first op.
  EXPECT_LE(engine.pendingOps(), 513u);
  release = true;
  pusher.join();
  engine.waitAll();
  EXPECT_LE(mostPending.load(), 513u);
  EXPECT_EQ(engine.pendingOps(), 0u);
}

TEST(Engine, WaitForVarWaitsOnlyForWrites) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  std::atomic<bool> release{false};
  // A pending read does not hold up a wait to read.
  engine.push([&] { waitFor(release, 10s); }, kCpu, {var}, {});
  EXPECT_NO_THROW(engine.waitForVar(var));
  release = true;
  engine.waitAll();
}

TEST(Engine, OpsOnDisjointVariablesOverlap) {
  Engine engine(Engine::Mode::Threaded, 2);
  std::atomic<bool> firstStarted{false}, secondStarted{false};
  std::atomic<bool> firstSawSecond{false}, secondSawFirst{false};
  engine.push(
      [&] {
        firstStarted = true;
        firstSawSecond = waitFor(secondStarted, 10s);
      },
      kCpu, {}, {Engine::newVar()});
  engine.push(
      [&] {
        secondStarted = true;
        secondSawFirst = waitFor(firstStarted, 10s);
      },
      kCpu, {}, {Engine::newVar()});
  engine.waitAll();
  EXPECT_TRUE(firstSawSecond.load());
  EXPECT_TRUE(secondSawFirst.load());
}

TEST(Engine, ReadersShareAndWritersWait) {
  Engine engine(Engine::Mode::Threaded, 3);
  VarPtr var = Engine::newVar();
  std::atomic<int> activeReaders{0}, maxReaders{0};
  std::atomic<bool> writerSawReaders{false};
  for (int i = 0; i < 2; ++i)
    engine.push(
        [&] {
          int now = ++activeReaders;
          int seen = maxReaders.load();
          while (now > seen && !maxReaders.compare_exchange_weak(seen, now)) {
          }
          auto deadline = std::chrono::steady_clock::now() + 2s;
          while (maxReaders.load() < 2 &&
                 std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
          --activeReaders;
        },
        kCpu, {var}, {});
  engine.push([&] { writerSawReaders = activeReaders.load() != 0; }, kCpu, {},
              {var});
  engine.waitAll();
  EXPECT_EQ(maxReaders.load(), 2) << "two reads of one variable must overlap";
  EXPECT_FALSE(writerSawReaders.load()) << "a write ran during reads";
}

TEST(Engine, HigherPriorityRunsFirstAmongReadyOps) {
  Engine engine(Engine::Mode::Threaded, 1);
  std::atomic<bool> gateOpen{false}, gateRunning{false};
  // The only worker is held by the gate while the others become ready.
  engine.push(
      [&] {
        gateRunning = true;
        waitFor(gateOpen, 10s);
      },
      kCpu, {}, {Engine::newVar()});
  ASSERT_TRUE(waitFor(gateRunning, 10s));
  std::mutex orderMutex;
  std::vector<int> order;
  const int priorities[] = {0, 5, -3, 5, 10, 0, -3, 7};
  for (int i = 0; i < 8; ++i)
    engine.push(
        [&, i] {
          std::lock_guard<std::mutex> lock(orderMutex);
          order.push_back(i);
        },
        kCpu, {}, {Engine::newVar()}, priorities[i]);
  gateOpen = true;
  engine.waitAll();
  // Priority descending; push order among equals.
  EXPECT_EQ(order, (std::vector<int>{4, 7, 1, 3, 0, 5, 2, 6}));
}

TEST(Engine, PriorityNeverOvertakesADependency) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  std::vector<int> order;
  engine.push([&] { order.push_back(0); }, kCpu, {}, {var}, -100);
  engine.push([&] { order.push_back(1); }, kCpu, {}, {var}, 100);
  engine.waitAll();
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
}

TEST(Engine, CopiesRunWhileComputeWorkersAreBusy) {
  Engine engine(Engine::Mode::Threaded, 1);
  std::atomic<bool> computeRelease{false}, computeRunning{false};
  std::atomic<bool> copied{false};
  engine.push(
      [&] {
        computeRunning = true;
        waitFor(computeRelease, 10s);
      },
      kCpu, {}, {Engine::newVar()}, 0, "long compute");
  ASSERT_TRUE(waitFor(computeRunning, 10s));
  engine.push([&] { copied = true; }, kCpu, {}, {Engine::newVar()}, 0, "copy",
              QueueKind::Copy);
  EXPECT_TRUE(waitFor(copied, 10s))
      << "a copy waited behind compute it does not depend on";
  computeRelease = true;
  engine.waitAll();
}

TEST(Engine, CopyWaitsForTheComputeItReads) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr produced = Engine::newVar(), copy = Engine::newVar();
  std::atomic<int> value{0};
  int copiedValue = -1;
  engine.push(
      [&] {
        std::this_thread::sleep_for(20ms);
        value = 42;
      },
      kCpu, {}, {produced});
  engine.push([&] { copiedValue = value; }, kCpu, {produced}, {copy}, 0, "copy",
              QueueKind::Copy);
  engine.waitForVar(copy);
  EXPECT_EQ(copiedValue, 42);
}

TEST(Engine, EachDeviceHasItsOwnWorkers) {
  Engine engine(Engine::Mode::Threaded, 1);
  std::atomic<bool> cpuRelease{false}, cpuRunning{false}, otherRan{false};
  engine.push(
      [&] {
        cpuRunning = true;
        waitFor(cpuRelease, 10s);
      },
      kCpu, {}, {Engine::newVar()});
  ASSERT_TRUE(waitFor(cpuRunning, 10s));
  // gpu(0)'s queue is served by its own stream worker (no CUDA is needed to
  // schedule host functions on it).
  engine.push([&] { otherRan = true; }, Device::gpu(0), {}, {Engine::newVar()});
  EXPECT_TRUE(waitFor(otherRan, 10s));
  cpuRelease = true;
  engine.waitAll();
}

TEST(Engine, CpuIdsShareTheCpuWorkers) {
  // mx.cpu(1) names a context, not more threads: with one CPU worker busy,
  // an op on cpu(1) waits for it.
  Engine engine(Engine::Mode::Threaded, 1);
  std::atomic<bool> release{false}, running{false}, otherRan{false};
  engine.push(
      [&] {
        running = true;
        waitFor(release, 10s);
      },
      kCpu, {}, {Engine::newVar()});
  ASSERT_TRUE(waitFor(running, 10s));
  VarPtr var = Engine::newVar();
  engine.push([&] { otherRan = true; }, Device::cpu(1), {}, {var});
  EXPECT_FALSE(waitFor(otherRan, 200ms));
  release = true;
  // Ordered across ids by the variable, as on one device.
  int value = 0;
  engine.push([&] { value = otherRan ? 2 : 1; }, Device::cpu(2), {var}, {});
  engine.waitAll();
  EXPECT_TRUE(otherRan.load());
  EXPECT_EQ(value, 2);
}

TEST(Engine, ErrorPropagatesToReadersAndIsRethrownAtWait) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr source = Engine::newVar(), derived = Engine::newVar();
  std::atomic<bool> dependentRan{false};
  engine.push([] { throw std::runtime_error("kernel failed"); }, kCpu, {},
              {source});
  engine.push([&] { dependentRan = true; }, kCpu, {source}, {derived});

  try {
    engine.waitForVar(derived);
    FAIL() << "expected the error to reach the dependent variable";
  } catch (const std::runtime_error &error) {
    EXPECT_STREQ(error.what(), "kernel failed");
  }
  EXPECT_FALSE(dependentRan.load()) << "an op ran on a failed input";
  // Rethrown once, the error is cleared on every variable it reached.
  EXPECT_NO_THROW(engine.waitForVar(source));
  EXPECT_NO_THROW(engine.waitAll()) << "the error was already rethrown";

  // And the variables are usable again.
  std::atomic<bool> ranAgain{false};
  engine.push([&] { ranAgain = true; }, kCpu, {source}, {derived});
  EXPECT_NO_THROW(engine.waitForVar(derived));
  EXPECT_TRUE(ranAgain.load());
}

TEST(Engine, WritesToAFailedVariableAreSkippedUntilTheErrorIsSeen) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  std::atomic<int> writesRun{0};
  engine.push([] { throw std::runtime_error("first"); }, kCpu, {}, {var});
  // An in-place update, and a plain overwrite: neither may hide the error.
  engine.push([&] { ++writesRun; }, kCpu, {var}, {var});
  engine.push([&] { ++writesRun; }, kCpu, {}, {var});
  EXPECT_THROW(engine.waitForVar(var), std::runtime_error);
  EXPECT_EQ(writesRun.load(), 0);
  engine.push([&] { ++writesRun; }, kCpu, {}, {var});
  EXPECT_NO_THROW(engine.waitForVar(var));
  EXPECT_EQ(writesRun.load(), 1);
}

TEST(Engine, WaitAllRethrowsAnUnobservedErrorOnceAndClearsVariables) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  engine.push([] { throw std::runtime_error("lost?"); }, kCpu, {}, {var});
  engine.push([] { throw std::runtime_error("no outputs"); }, kCpu, {}, {});
  EXPECT_THROW(engine.waitAll(), std::runtime_error);
  EXPECT_NO_THROW(engine.waitAll());
  EXPECT_NO_THROW(engine.waitForVar(var))
      << "a wait after waitAll rethrew an error waitAll already reported";
}

TEST(Engine, KilnErrorsKeepTheirType) {
  Engine engine(Engine::Mode::Threaded, 1);
  VarPtr var = Engine::newVar();
  engine.push([] { throw Error("add: shape mismatch"); }, kCpu, {}, {var});
  EXPECT_THROW(engine.waitForVar(var), Error);
}

TEST(Engine, WaitingFromInsideAnOpIsAnErrorNotAHang) {
  for (Engine::Mode mode : {Engine::Mode::Threaded, Engine::Mode::Naive}) {
    Engine engine(mode, 1);
    VarPtr var = Engine::newVar(), other = Engine::newVar();
    std::string waitForVarMessage, waitAllMessage;
    engine.push(
        [&] {
          try {
            engine.waitForVar(other);
          } catch (const Error &error) {
            waitForVarMessage = error.what();
          }
          try {
            engine.waitAll();
          } catch (const Error &error) {
            waitAllMessage = error.what();
          }
        },
        kCpu, {}, {var});
    engine.waitAll();
    EXPECT_NE(waitForVarMessage.find("inside an engine op"), std::string::npos)
        << waitForVarMessage;
    EXPECT_NE(waitAllMessage.find("inside an engine op"), std::string::npos)
        << waitAllMessage;
  }
}

TEST(Engine, NaiveModeRunsInlineAndThrowsAtPush) {
  Engine engine(Engine::Mode::Naive);
  bool ran = false;
  VarPtr var = Engine::newVar();
  engine.push([&] { ran = true; }, kCpu, {}, {var});
  EXPECT_TRUE(ran);
  EXPECT_THROW(
      engine.push([] { throw std::runtime_error("inline"); }, kCpu, {}, {var}),
      std::runtime_error);
  // Thrown where it happened, it is not thrown again.
  EXPECT_NO_THROW(engine.waitForVar(var));
  EXPECT_NO_THROW(engine.waitAll());
  bool ranAfter = false;
  engine.push([&] { ranAfter = true; }, kCpu, {var}, {var});
  EXPECT_TRUE(ranAfter);
}

TEST(Engine, OpsPushedFromInsideOpsRun) {
  for (Engine::Mode mode : {Engine::Mode::Threaded, Engine::Mode::Naive}) {
    Engine engine(mode, 2);
    VarPtr var = Engine::newVar(), inner = Engine::newVar();
    std::atomic<int> value{0};
    engine.push(
        [&] {
          value = 1;
          engine.push([&] { value = value * 10; }, kCpu, {}, {inner});
        },
        kCpu, {}, {var});
    engine.waitAll();
    EXPECT_EQ(value.load(), 10);
  }
}

TEST(Engine, DeleteVariableRunsAfterPendingWorkEvenOnError) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  std::atomic<bool> release{false};
  std::vector<int> order;
  engine.push(
      [&] {
        waitFor(release, 10s);
        order.push_back(1);
        throw std::runtime_error("failed before delete");
      },
      kCpu, {}, {var});
  engine.deleteVariable([&] { order.push_back(2); }, kCpu, var);
  var.reset(); // The caller lets go at once; the engine keeps it alive.
  release = true;
  EXPECT_THROW(engine.waitAll(), std::runtime_error)
      << "deleting the variable must not swallow its error";
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Engine, DroppedVariableLivesUntilItsOpsFinish) {
  Engine engine(Engine::Mode::Threaded, 2);
  std::atomic<bool> release{false}, ran{false};
  {
    VarPtr var = Engine::newVar();
    engine.push(
        [&] {
          waitFor(release, 10s);
          ran = true;
        },
        kCpu, {}, {var});
    engine.push([] {}, kCpu, {var}, {});
  } // The last user reference goes here, with both ops pending.
  release = true;
  engine.waitAll();
  EXPECT_TRUE(ran.load());
}

TEST(Engine, DestructorFinishesPendingWork) {
  std::atomic<int> done{0};
  {
    Engine engine(Engine::Mode::Threaded, 2);
    VarPtr var = Engine::newVar();
    for (int i = 0; i < 100; ++i)
      engine.push([&] { ++done; }, kCpu, {}, {var});
  }
  EXPECT_EQ(done.load(), 100);
}

TEST(Engine, PushAfterShutdownRunsInline) {
  Engine engine(Engine::Mode::Threaded, 2);
  engine.shutdown();
  bool ran = false;
  VarPtr var = Engine::newVar();
  engine.push([&] { ran = true; }, kCpu, {}, {var});
  EXPECT_TRUE(ran);
  engine.push([] { throw std::runtime_error("late"); }, kCpu, {}, {var});
  EXPECT_THROW(engine.waitForVar(var), std::runtime_error);
}

TEST(Engine, VariableInReadsAndWritesCountsAsWritten) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  int value = 0;
  for (int i = 0; i < 1000; ++i)
    engine.push([&] { ++value; }, kCpu, {var, var}, {var, var});
  engine.waitForVar(var);
  EXPECT_EQ(value, 1000);
}

TEST(Engine, NullVariablesAreIgnored) {
  Engine engine(Engine::Mode::Threaded, 1);
  bool ran = false;
  engine.push([&] { ran = true; }, kCpu, {nullptr}, {nullptr});
  engine.waitAll();
  EXPECT_TRUE(ran);
}

TEST(Engine, PushOrRunInlineRunsAtOnceOnIdleVariables) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr input = Engine::newVar(), output = Engine::newVar();
  std::thread::id ranOn;
  engine.pushOrRunInline([&] { ranOn = std::this_thread::get_id(); }, kCpu,
                         {input}, {output});
  EXPECT_EQ(ranOn, std::this_thread::get_id());
}

TEST(Engine, PushOrRunInlineQueuesBehindPendingWork) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar(), other = Engine::newVar();
  std::atomic<bool> release{false};
  std::vector<int> order;
  engine.push(
      [&] {
        waitFor(release, 10s);
        order.push_back(1);
      },
      kCpu, {}, {var});
  bool ranInline = false;
  engine.pushOrRunInline(
      [&] {
        ranInline = true;
        order.push_back(2);
      },
      kCpu, {var}, {other});
  EXPECT_FALSE(ranInline); // It reads a variable still being written.
  release = true;
  engine.waitForVar(other);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Engine, PushOrRunInlineStoresErrorsForTheNextWait) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar(), reader = Engine::newVar();
  engine.pushOrRunInline([] { throw std::runtime_error("inline failure"); },
                         kCpu, {}, {var});
  // A reader of the failed variable inherits the error instead of running.
  bool ran = false;
  engine.pushOrRunInline([&] { ran = true; }, kCpu, {var}, {reader});
  EXPECT_THROW(engine.waitForVar(reader), std::runtime_error);
  EXPECT_FALSE(ran);
  // Rethrown once: the shared error is cleared on the writer's variable too.
  EXPECT_NO_THROW(engine.waitForVar(var));
  EXPECT_NO_THROW(engine.waitAll());
}

// The process-wide engine finishes pending work when the process exits, even
// when nobody waited for it.
TEST(EngineDeathTest, ExitWithPendingWorkFinishesIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Engine &engine = Engine::global();
        VarPtr var = Engine::newVar();
        for (int i = 0; i < 20; ++i)
          engine.push([] { std::this_thread::sleep_for(2ms); }, kCpu, {},
                      {var});
        engine.push([] { std::fprintf(stderr, "last op ran\n"); }, kCpu, {},
                    {var});
        std::exit(0);
      },
      testing::ExitedWithCode(0), "last op ran");
}

TEST(EngineDeathTest, ExitReportsErrorsNobodyWaitedFor) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Engine::global().push([] { throw std::runtime_error("never seen"); },
                              kCpu, {}, {Engine::newVar()});
        std::exit(0);
      },
      testing::ExitedWithCode(0), "never waited for.*never seen");
}

} // namespace
} // namespace kiln
