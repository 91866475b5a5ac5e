// Randomized checks of the engine against a sequential reference: thousands
// of random programs (DAGs of reads and writes over shared variables), some
// ops throwing, with the engine's every observable effect (what each op saw,
// which ops ran, which waits threw what) compared with running the program
// one op at a time in push order. CI also runs this under ASan and TSan.
#include "runtime/Engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

namespace kiln {
namespace {

struct OpSpec {
  std::vector<int> reads, writes;
  bool throws = false;
  int priority = 0;
};

struct Program {
  int numVars;
  std::vector<OpSpec> ops;
};

Program randomProgram(std::mt19937 &random, bool withErrors) {
  Program program;
  program.numVars = 2 + random() % 10;
  program.ops.resize(5 + random() % 60);
  for (OpSpec &op : program.ops) {
    for (int v = 0; v < program.numVars; ++v) {
      int roll = random() % 12;
      if (roll == 0)
        op.writes.push_back(v);
      else if (roll <= 2)
        op.reads.push_back(v);
    }
    // Sometimes the same variable read and written (an in-place op).
    if (!op.writes.empty() && random() % 4 == 0)
      op.reads.push_back(op.writes.front());
    op.throws = withErrors && random() % 25 == 0;
    op.priority = static_cast<int>(random() % 5) - 2;
  }
  return program;
}

/// What running the program sequentially (the model of the engine's
/// semantics) predicts.
struct Reference {
  std::vector<int64_t> seen;   // Per op; only meaningful where ran.
  std::vector<bool> ran;       // Ops that were not skipped.
  std::vector<int> errorOf;    // Per var: id of the op whose error it has.
  std::vector<int64_t> values; // Per var.
};

int64_t mix(int id, const OpSpec &op, const std::vector<int64_t> &values) {
  int64_t sum = id;
  for (int v : op.reads)
    sum = sum * 31 + values[v];
  for (int v : op.writes)
    sum = sum * 17 + values[v];
  return sum;
}

Reference runSequentially(const Program &program) {
  Reference ref;
  ref.seen.assign(program.ops.size(), 0);
  ref.ran.assign(program.ops.size(), false);
  ref.errorOf.assign(program.numVars, -1);
  ref.values.assign(program.numVars, 0);
  for (int id = 0; id < static_cast<int>(program.ops.size()); ++id) {
    const OpSpec &op = program.ops[id];
    int inherited = -1;
    for (const std::vector<int> *vars : {&op.reads, &op.writes})
      for (int v : *vars)
        if (inherited < 0 && ref.errorOf[v] >= 0)
          inherited = ref.errorOf[v];
    int error = inherited;
    if (inherited < 0) {
      ref.ran[id] = true;
      ref.seen[id] = mix(id, op, ref.values);
      if (op.throws)
        error = id;
      else
        for (int v : op.writes)
          ref.values[v] = ref.seen[id] + v;
    }
    for (int v : op.writes)
      ref.errorOf[v] = error;
  }
  return ref;
}

int errorId(const std::exception &error) {
  return std::stoi(std::string(error.what()).substr(std::string("op ").size()));
}

/// Runs `program` on `engine` and checks it against the reference; then checks
/// that the variables are usable again.
void runAndCheck(Engine &engine, const Program &program, int programIndex) {
  SCOPED_TRACE("program " + std::to_string(programIndex));
  const int numOps = static_cast<int>(program.ops.size());
  std::vector<VarPtr> vars;
  for (int v = 0; v < program.numVars; ++v)
    vars.push_back(Engine::newVar());
  std::vector<int64_t> values(program.numVars, 0);
  std::vector<int64_t> seen(numOps, 0);
  std::unique_ptr<std::atomic<bool>[]> ran(new std::atomic<bool>[numOps]);
  for (int id = 0; id < numOps; ++id)
    ran[id] = false;

  for (int id = 0; id < numOps; ++id) {
    const OpSpec &op = program.ops[id];
    std::vector<VarPtr> reads, writes;
    for (int v : op.reads)
      reads.push_back(vars[v]);
    for (int v : op.writes)
      writes.push_back(vars[v]);
    engine.push(
        [&, id] {
          const OpSpec &spec = program.ops[id];
          ran[id] = true;
          seen[id] = mix(id, spec, values);
          if (spec.throws)
            throw std::runtime_error("op " + std::to_string(id));
          for (int v : spec.writes)
            values[v] = seen[id] + v;
        },
        Device::cpu(), reads, writes, op.priority, "op");
  }

  const Reference ref = runSequentially(program);
  // Let every op finish before the first wait: a wait that rethrows an error
  // clears it everywhere, so ops still pending would then run instead of
  // being skipped, and the program would no longer be the one modelled.
  while (engine.pendingOps() != 0)
    std::this_thread::yield();
  // Each variable's wait throws the error the reference gives it, unless an
  // earlier wait already rethrew that error (which clears it everywhere).
  std::set<int> observed;
  for (int v = 0; v < program.numVars; ++v) {
    int expected = ref.errorOf[v];
    if (observed.count(expected))
      expected = -1;
    try {
      engine.waitForVar(vars[v]);
      EXPECT_EQ(expected, -1)
          << "var " << v << " lost the error of op " << expected;
    } catch (const std::runtime_error &error) {
      EXPECT_EQ(errorId(error), expected) << "var " << v;
      observed.insert(errorId(error));
    }
  }
  // waitAll reports one of the errors no wait has seen (those of ops that
  // wrote nothing, say), and then nothing.
  std::set<int> unseen;
  for (int id = 0; id < numOps; ++id)
    if (ref.ran[id] && program.ops[id].throws && !observed.count(id))
      unseen.insert(id);
  try {
    engine.waitAll();
    EXPECT_TRUE(unseen.empty()) << "an error was lost";
  } catch (const std::runtime_error &error) {
    EXPECT_TRUE(unseen.count(errorId(error))) << error.what();
  }
  EXPECT_NO_THROW(engine.waitAll());

  for (int id = 0; id < numOps; ++id) {
    ASSERT_EQ(ran[id].load(), static_cast<bool>(ref.ran[id])) << "op " << id;
    if (ref.ran[id]) {
      ASSERT_EQ(seen[id], ref.seen[id]) << "op " << id << " saw another state";
    }
  }
  for (int v = 0; v < program.numVars; ++v) {
    if (ref.errorOf[v] < 0) {
      EXPECT_EQ(values[v], ref.values[v]) << "var " << v;
    }
  }

  // After the errors are rethrown, every variable can be written again.
  std::atomic<int> rewritten{0};
  for (int v = 0; v < program.numVars; ++v)
    engine.push([&] { ++rewritten; }, Device::cpu(), {}, {vars[v]});
  engine.waitAll();
  EXPECT_EQ(rewritten.load(), program.numVars);
}

class EngineStress : public testing::TestWithParam<int> {};

TEST_P(EngineStress, RandomProgramsMatchSequentialOrder) {
  const int workers = GetParam();
  Engine engine(workers == 0 ? Engine::Mode::Naive : Engine::Mode::Threaded,
                workers);
  std::mt19937 random(1234 + workers);
  for (int i = 0; i < 1000; ++i) {
    Program program = randomProgram(random, /*withErrors=*/false);
    runAndCheck(engine, program, i);
    if (HasFatalFailure())
      return;
  }
}

TEST_P(EngineStress, RandomProgramsWithErrorsMatchTheReference) {
  const int workers = GetParam();
  if (workers == 0)
    GTEST_SKIP() << "naive mode throws at push; covered in engine_test";
  Engine engine(Engine::Mode::Threaded, workers);
  std::mt19937 random(4321 + workers);
  for (int i = 0; i < 1000; ++i) {
    Program program = randomProgram(random, /*withErrors=*/true);
    runAndCheck(engine, program, i);
    if (HasFatalFailure())
      return;
  }
}

// 0 is naive mode.
INSTANTIATE_TEST_SUITE_P(Workers, EngineStress, testing::Values(0, 1, 2, 4));

// Several threads push at once; each thread's ops keep their order.
TEST(EngineConcurrency, ConcurrentPushersKeepPerThreadOrder) {
  Engine engine(Engine::Mode::Threaded, 3);
  constexpr int kThreads = 4, kOpsPerThread = 2000;
  VarPtr shared = Engine::newVar();
  std::atomic<int64_t> sharedReads{0};
  engine.push([] {}, Device::cpu(), {}, {shared});
  std::vector<std::vector<int>> logs(kThreads);
  std::vector<std::thread> pushers;
  for (int t = 0; t < kThreads; ++t)
    pushers.emplace_back([&, t] {
      VarPtr own = Engine::newVar();
      for (int i = 0; i < kOpsPerThread; ++i) {
        engine.push(
            [&, t, i] {
              logs[t].push_back(i);
              ++sharedReads;
            },
            Device::cpu(), {shared}, {own}, i % 3);
        if (i % 500 == 0)
          engine.waitForVar(own);
      }
      engine.waitForVar(own);
    });
  for (std::thread &pusher : pushers)
    pusher.join();
  engine.waitAll();
  EXPECT_EQ(sharedReads.load(), int64_t{kThreads} * kOpsPerThread);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(logs[t].size(), static_cast<size_t>(kOpsPerThread));
    for (int i = 0; i < kOpsPerThread; ++i)
      ASSERT_EQ(logs[t][i], i) << "thread " << t;
  }
}

} // namespace
} // namespace kiln
