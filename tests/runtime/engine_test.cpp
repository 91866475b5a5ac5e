#include "runtime/Engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

namespace kiln {
namespace {

using namespace std::chrono_literals;

/// Spins until `flag` is set or `timeout` passes; true if it was set.
bool waitFor(const std::atomic<bool> &flag,
             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

// Random programs of reads and writes over shared variables must see exactly
// what running them one after another in push order sees.
void checkRandomProgramsMatchSequentialOrder(Engine::Mode mode) {
  constexpr int kVars = 12, kOps = 3000;
  std::mt19937 random(1234);
  Engine engine(mode, 4);
  std::vector<VarPtr> vars;
  for (int i = 0; i < kVars; ++i)
    vars.push_back(Engine::newVar());

  struct OpSpec {
    std::vector<int> reads, writes;
  };
  std::vector<OpSpec> specs(kOps);
  for (OpSpec &spec : specs) {
    for (int v = 0; v < kVars; ++v) {
      int roll = random() % 10;
      if (roll == 0)
        spec.writes.push_back(v);
      else if (roll <= 2)
        spec.reads.push_back(v);
    }
  }

  // The engine's run: each op reads its inputs' values and writes a value
  // derived from them, recording what it saw.
  std::vector<int64_t> values(kVars, 0);
  std::vector<int64_t> seen(kOps, 0);
  for (int id = 0; id < kOps; ++id) {
    std::vector<VarPtr> reads, writes;
    for (int v : specs[id].reads)
      reads.push_back(vars[v]);
    for (int v : specs[id].writes)
      writes.push_back(vars[v]);
    engine.push(
        [&, id] {
          int64_t sum = id;
          for (int v : specs[id].reads)
            sum = sum * 31 + values[v];
          for (int v : specs[id].writes)
            sum = sum * 17 + values[v];
          seen[id] = sum;
          for (int v : specs[id].writes)
            values[v] = sum + v;
        },
        reads, writes);
  }
  engine.waitAll();

  std::vector<int64_t> expectedValues(kVars, 0);
  for (int id = 0; id < kOps; ++id) {
    int64_t sum = id;
    for (int v : specs[id].reads)
      sum = sum * 31 + expectedValues[v];
    for (int v : specs[id].writes)
      sum = sum * 17 + expectedValues[v];
    ASSERT_EQ(seen[id], sum) << "op " << id << " saw a different state";
    for (int v : specs[id].writes)
      expectedValues[v] = sum + v;
  }
  EXPECT_EQ(values, expectedValues);
}

TEST(Engine, RandomProgramsMatchSequentialOrder) {
  checkRandomProgramsMatchSequentialOrder(Engine::Mode::Threaded);
}

TEST(Engine, NaiveModeMatchesSequentialOrder) {
  checkRandomProgramsMatchSequentialOrder(Engine::Mode::Naive);
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
      {}, {var});
  EXPECT_FALSE(ran.load());
  release = true;
  engine.waitForVar(var);
  EXPECT_TRUE(ran.load());
}

TEST(Engine, NaiveModeRunsInline) {
  Engine engine(Engine::Mode::Naive);
  bool ran = false;
  engine.push([&] { ran = true; }, {}, {Engine::newVar()});
  EXPECT_TRUE(ran);
  EXPECT_EQ(engine.numWorkers(), 0);
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
      {}, {Engine::newVar()});
  engine.push(
      [&] {
        secondStarted = true;
        secondSawFirst = waitFor(firstStarted, 10s);
      },
      {}, {Engine::newVar()});
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
        {var}, {});
  engine.push([&] { writerSawReaders = activeReaders.load() != 0; }, {},
              {var});
  engine.waitAll();
  EXPECT_EQ(maxReaders.load(), 2) << "two reads of one variable must overlap";
  EXPECT_FALSE(writerSawReaders.load()) << "a write ran during reads";
}

TEST(Engine, ErrorPropagatesToReadersAndIsRethrownAtWait) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr source = Engine::newVar(), derived = Engine::newVar();
  std::atomic<bool> dependentRan{false};
  engine.push([] { throw std::runtime_error("kernel failed"); }, {}, {source});
  engine.push([&] { dependentRan = true; }, {source}, {derived});

  try {
    engine.waitForVar(derived);
    FAIL() << "expected the error to reach the dependent variable";
  } catch (const std::runtime_error &error) {
    EXPECT_STREQ(error.what(), "kernel failed");
  }
  EXPECT_FALSE(dependentRan.load()) << "an op ran on a failed input";
  EXPECT_THROW(engine.waitForVar(source), std::runtime_error);

  // Once rethrown, the variable is usable again.
  engine.push([] {}, {}, {source});
  EXPECT_NO_THROW(engine.waitForVar(source));
  EXPECT_NO_THROW(engine.waitAll()) << "the error was already rethrown";
}

TEST(Engine, WaitAllRethrowsAnUnobservedErrorOnce) {
  Engine engine(Engine::Mode::Threaded, 2);
  engine.push([] { throw std::runtime_error("lost?"); }, {},
              {Engine::newVar()});
  EXPECT_THROW(engine.waitAll(), std::runtime_error);
  EXPECT_NO_THROW(engine.waitAll());
}

TEST(Engine, NaiveModeStoresErrorsToo) {
  Engine engine(Engine::Mode::Naive);
  VarPtr var = Engine::newVar();
  EXPECT_NO_THROW(
      engine.push([] { throw std::runtime_error("inline"); }, {}, {var}));
  EXPECT_THROW(engine.waitForVar(var), std::runtime_error);
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
        {}, {var});
    engine.push([] {}, {var}, {});
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
      engine.push([&] { ++done; }, {}, {var});
  }
  EXPECT_EQ(done.load(), 100);
}

TEST(Engine, VariableInReadsAndWritesCountsAsWritten) {
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  int value = 0;
  for (int i = 0; i < 1000; ++i)
    engine.push([&] { ++value; }, {var, var}, {var, var});
  engine.waitForVar(var);
  EXPECT_EQ(value, 1000);
}

} // namespace
} // namespace kiln
