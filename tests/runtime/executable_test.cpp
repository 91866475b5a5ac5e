//===- executable_test.cpp - capture, replay and memory planning ----------===//
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/Executable.h"
#include "runtime/MemoryPlan.h"
#include "runtime/Tensor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>

namespace kiln {
namespace {

TEST(MemoryPlan, BuffersLiveAtDifferentTimesShareBytes) {
  // a: [0,1], b: [1,2], c: [2,3]: a and c may share, b may not.
  ArenaPlan plan = planArena({{100, 0, 1}, {100, 1, 2}, {100, 2, 3}});
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
  EXPECT_EQ(plan.arenaBytes, 256u); // Two buffers, each aligned to 64.
}

TEST(MemoryPlan, OverlappingLifetimesNeverOverlapInMemory) {
  std::vector<BufferLifetime> buffers;
  for (int64_t i = 0; i < 40; ++i)
    buffers.push_back(
        {static_cast<size_t>(1 + (i * 37) % 500), i % 7, i % 7 + (i % 5)});
  ArenaPlan plan = planArena(buffers, 16);
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 16, 0u);
    EXPECT_LE(plan.offsets[i] + buffers[i].bytes, plan.arenaBytes);
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const bool together = buffers[i].first <= buffers[j].last &&
                            buffers[j].first <= buffers[i].last;
      const bool shareBytes =
          plan.offsets[i] < plan.offsets[j] + buffers[j].bytes &&
          plan.offsets[j] < plan.offsets[i] + buffers[i].bytes;
      EXPECT_FALSE(together && shareBytes) << i << " and " << j;
    }
  }
}

TEST(Executable, CapturedPushesRunOnlyWhenRun) {
  std::atomic<int> count{0};
  VarPtr var = Engine::newVar();
  ExecutableCapture capture;
  Engine::global().push([&count] { ++count; }, Device::cpu(), {}, {var});
  EXPECT_THROW(Engine::global().waitForVar(var), Error);
  std::shared_ptr<Executable> executable = capture.finish();
  ASSERT_EQ(executable->launches().size(), 1u);
  EXPECT_EQ(count.load(), 0);
  executable->run();
  executable->run();
  Engine::global().waitForVar(var);
  EXPECT_EQ(count.load(), 2);
}

TEST(Executable, DeferredLaunchesAreMadeAtEachRun) {
  int made = 0;
  std::atomic<int> value{0};
  VarPtr var = Engine::newVar();
  ExecutableCapture capture;
  capture.recordDeferred(
      [&made, &value]() -> std::function<void()> {
        const int next = ++made;
        return [&value, next] { value = next; };
      },
      Device::cpu(), {var}, "deferred");
  std::shared_ptr<Executable> executable = capture.finish();
  executable->run();
  executable->run();
  Engine::global().waitForVar(var);
  EXPECT_EQ(made, 2);
  EXPECT_EQ(value.load(), 2);
}

/// a = 1; b = a + 1; c = b * 2; d = c + 1 over planned buffers a, b, c.
TEST(Executable, PlannedMemoryKeepsResultsAndSharesBytes) {
  constexpr int64_t n = 1024;
  ExecutableCapture capture;
  Tensor a = Tensor::empty({n}, DType::Float32);
  Tensor b = Tensor::empty({n}, DType::Float32);
  Tensor c = Tensor::empty({n}, DType::Float32);
  Tensor d = Tensor::empty({n}, DType::Float32);
  VarPtr va = Engine::newVar(), vb = Engine::newVar(), vc = Engine::newVar(),
         vd = Engine::newVar();
  capture.noteArray(a.storage(), va);
  capture.noteArray(b.storage(), vb);
  capture.noteArray(c.storage(), vc);
  capture.noteArray(d.storage(), vd);
  auto map = [](Tensor in, Tensor out, float add, float scale) {
    return [in, out, add, scale] {
      const auto *x = static_cast<const float *>(in.data());
      auto *y = static_cast<float *>(out.data());
      for (int64_t i = 0; i < n; ++i)
        y[i] = in.data() ? (x[i] + add) * scale : add;
    };
  };
  Engine &engine = Engine::global();
  engine.push(
      [a] {
        auto *x = static_cast<float *>(a.data());
        for (int64_t i = 0; i < n; ++i)
          x[i] = 1;
      },
      Device::cpu(), {}, {va});
  engine.push(map(a, b, 1, 1), Device::cpu(), {va}, {vb});
  engine.push(map(b, c, 0, 2), Device::cpu(), {vb}, {vc});
  engine.push(map(c, d, 1, 1), Device::cpu(), {vc}, {vd});
  std::shared_ptr<Executable> executable = capture.finish();
  Executable::MemoryStats stats = Executable::planMemory({executable}, {vd});
  EXPECT_EQ(stats.plannedBuffers, 3u);
  EXPECT_EQ(stats.unplannedBuffers, 1u); // d is kept.
  EXPECT_EQ(stats.plannedBytes, 3 * n * sizeof(float));
  EXPECT_EQ(stats.arenaBytes, 2 * n * sizeof(float)); // a and c share.
  // At most two of a, b, c are alive at once: the arena is that bound.
  EXPECT_EQ(stats.peakLiveBytes, 2 * n * sizeof(float));
  EXPECT_EQ(a.data(), c.data());
  for (int run = 0; run < 20; ++run)
    executable->run();
  engine.waitForVar(vd);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(static_cast<const float *>(d.data())[i], 5.0f);
}

/// Forward: s = 1. Backward: t = s + 1; u = t * 2 (taking s's bytes, dead
/// by then); d = u + 1.
struct ForwardBackward {
  static constexpr int64_t n = 1024;
  VarPtr vs = Engine::newVar(), vt = Engine::newVar(), vu = Engine::newVar(),
         vd = Engine::newVar();
  Tensor s, t, u, d;
  std::shared_ptr<Executable> forward, backward;

  ForwardBackward() {
    auto fill = [](Tensor out, float value) {
      return [out, value] {
        auto *y = static_cast<float *>(out.data());
        for (int64_t i = 0; i < n; ++i)
          y[i] = value;
      };
    };
    auto map = [](Tensor in, Tensor out, float add, float scale) {
      return [in, out, add, scale] {
        const auto *x = static_cast<const float *>(in.data());
        auto *y = static_cast<float *>(out.data());
        for (int64_t i = 0; i < n; ++i)
          y[i] = (x[i] + add) * scale;
      };
    };
    Engine &engine = Engine::global();
    {
      ExecutableCapture capture;
      s = Tensor::empty({n}, DType::Float32);
      capture.noteArray(s.storage(), vs);
      engine.push(fill(s, 1), Device::cpu(), {}, {vs});
      forward = capture.finish();
    }
    ExecutableCapture capture;
    t = Tensor::empty({n}, DType::Float32);
    u = Tensor::empty({n}, DType::Float32);
    d = Tensor::empty({n}, DType::Float32);
    capture.noteArray(t.storage(), vt);
    capture.noteArray(u.storage(), vu);
    capture.noteArray(d.storage(), vd);
    engine.push(map(s, t, 1, 1), Device::cpu(), {vs}, {vt});
    engine.push(map(t, u, 0, 2), Device::cpu(), {vt}, {vu});
    engine.push(map(u, d, 1, 1), Device::cpu(), {vu}, {vd});
    backward = capture.finish();
  }
  void expectD(float want) {
    Engine::global().waitForVar(vd);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(static_cast<const float *>(d.data())[i], want) << i;
  }
};

/// A second backward on the same forward reads s overwritten by u unless
/// RetainedValues brackets the first.
TEST(Executable, RetainedValuesKeepForwardValuesForASecondBackward) {
  ForwardBackward p;
  std::shared_ptr<RetainedValues> retained;
  Executable::planMemory({p.forward, p.backward}, {p.vd}, &retained);
  ASSERT_EQ(p.s.data(), p.u.data()) << "the plan no longer reuses s's bytes";
  ASSERT_TRUE(retained);
  EXPECT_EQ(retained->bytes(), ForwardBackward::n * sizeof(float));
  for (int step = 0; step < 3; ++step) {
    p.forward->run();
    retained->save();
    p.backward->run();
    retained->restore();
    p.expectD(5);
    p.backward->run(); // The last backward on this forward: no restore.
    p.expectD(5);
  }
  // Without them, the second backward reads u's bytes as s.
  p.forward->run();
  p.backward->run();
  p.expectD(5);
  p.backward->run();
  p.expectD(11);
}

/// run(replay) pushes the closures deferred launches made at the previous
/// run (the same random keys) rather than making new ones.
TEST(Executable, ReplayRepeatsTheDeferredLaunchesOfThePreviousRun) {
  int made = 0;
  auto value = std::make_shared<std::atomic<int>>(0);
  VarPtr var = Engine::newVar();
  ExecutableCapture capture;
  capture.recordDeferred(
      [&made, value]() -> std::function<void()> {
        const int next = ++made;
        return [value, next] { *value = next; };
      },
      Device::cpu(), {var}, "deferred");
  std::shared_ptr<Executable> executable = capture.finish();
  executable->run(/*replay=*/true); // Nothing made yet: makes one.
  executable->run(/*replay=*/true);
  Engine::global().waitForVar(var);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(value->load(), 1);
  executable->run();
  executable->run(/*replay=*/true);
  Engine::global().waitForVar(var);
  EXPECT_EQ(made, 2);
  EXPECT_EQ(value->load(), 2);
}

} // namespace
} // namespace kiln

namespace kiln {
namespace {

/// b = a + 1 in place: an in-place safe launch whose input dies there gives
/// its output the input's bytes; without the mark they stay apart.
TEST(Executable, InPlaceSafeLaunchesReuseTheirDyingInput) {
  for (bool inPlace : {true, false}) {
    constexpr int64_t n = 4096;
    ExecutableCapture capture;
    Tensor a = Tensor::empty({n}, DType::Float32);
    Tensor b = Tensor::empty({n}, DType::Float32);
    Tensor c = Tensor::empty({n}, DType::Float32);
    VarPtr va = Engine::newVar(), vb = Engine::newVar(), vc = Engine::newVar();
    capture.noteArray(a.storage(), va);
    capture.noteArray(b.storage(), vb);
    capture.noteArray(c.storage(), vc);
    Engine &engine = Engine::global();
    engine.push(
        [a] {
          for (int64_t i = 0; i < n; ++i)
            static_cast<float *>(a.data())[i] = static_cast<float>(i);
        },
        Device::cpu(), {}, {va});
    if (inPlace)
      capture.markInPlaceSafe();
    engine.push(
        [a, b] {
          for (int64_t i = 0; i < n; ++i)
            static_cast<float *>(b.data())[i] =
                static_cast<const float *>(a.data())[i] + 1;
        },
        Device::cpu(), {va}, {vb});
    engine.push(
        [b, c] {
          for (int64_t i = 0; i < n; ++i)
            static_cast<float *>(c.data())[i] =
                2 * static_cast<const float *>(b.data())[i];
        },
        Device::cpu(), {vb}, {vc});
    std::shared_ptr<Executable> executable = capture.finish();
    Executable::MemoryStats stats = Executable::planMemory({executable}, {vc});
    EXPECT_EQ(stats.arenaBytes, (inPlace ? 1 : 2) * n * sizeof(float));
    EXPECT_EQ(a.data() == b.data(), inPlace);
    for (int run = 0; run < 10; ++run)
      executable->run();
    engine.waitForVar(vc);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(static_cast<const float *>(c.data())[i], 2.0f * (i + 1));
  }
}

} // namespace
} // namespace kiln

namespace kiln {
namespace {

/// A chain of 2000 launches over reused buffers: each first writer waits
/// on a few earlier holders of its bytes, not on all of them (which made
/// long graphs quadratic to run), and the chain still computes right.
TEST(Executable, LongChainsKeepFewOrderingVariablesPerLaunch) {
  constexpr int64_t n = 64 * 1024 / sizeof(float) + 16; // Over 64 KiB.
  constexpr int steps = 2000;
  ExecutableCapture capture(/*planned=*/true);
  std::vector<Tensor> buffers;
  std::vector<VarPtr> vars;
  Engine &engine = Engine::global();
  for (int s = 0; s <= steps; ++s) {
    buffers.push_back(Tensor::empty({n}, DType::Float32));
    vars.push_back(Engine::newVar());
    capture.noteArray(buffers.back().storage(), vars.back());
    if (s == 0) {
      engine.push(
          [t = buffers[0]] {
            for (int64_t i = 0; i < n; ++i)
              static_cast<float *>(t.data())[i] = 0;
          },
          Device::cpu(), {}, {vars[0]});
      continue;
    }
    engine.push(
        [in = buffers[s - 1], out = buffers[s]] {
          for (int64_t i = 0; i < n; ++i)
            static_cast<float *>(out.data())[i] =
                static_cast<const float *>(in.data())[i] + 1;
        },
        Device::cpu(), {vars[s - 1]}, {vars[s]});
  }
  std::shared_ptr<Executable> executable = capture.finish();
  Executable::MemoryStats stats =
      Executable::planMemory({executable}, {vars.back()});
  EXPECT_EQ(stats.arenaBytes, 2 * ((n * sizeof(float) + 63) / 64 * 64));
  for (const Executable::Launch &launch : executable->launches())
    EXPECT_LE(launch.writes.size(), 5u);
  for (int run = 0; run < 3; ++run)
    executable->run();
  engine.waitForVar(vars.back());
  EXPECT_EQ(static_cast<const float *>(buffers.back().data())[n - 1],
            static_cast<float>(steps));
}

} // namespace
} // namespace kiln

namespace kiln {
namespace {

/// A buffer no launch touches and only the executable holds (a value a
/// fused kernel kept in registers) gets no memory; one still held does.
TEST(Executable, UnusedUnheldBuffersAreDropped) {
  constexpr int64_t n = 1 << 16; // 256 KiB: captured without memory.
  ExecutableCapture capture(/*planned=*/true);
  VarPtr dropped = Engine::newVar(), held = Engine::newVar();
  {
    Tensor unused = Tensor::empty({n}, DType::Float32);
    capture.noteArray(unused.storage(), dropped);
    EXPECT_EQ(unused.data(), nullptr);
  }
  Tensor kept = Tensor::empty({n}, DType::Float32);
  capture.noteArray(kept.storage(), held);
  std::shared_ptr<Executable> executable = capture.finish();
  Executable::MemoryStats stats = Executable::planMemory({executable}, {});
  EXPECT_EQ(stats.droppedBuffers, 1u);
  EXPECT_EQ(stats.droppedBytes, n * sizeof(float));
  EXPECT_EQ(stats.unplannedBuffers, 1u);
  EXPECT_NE(kept.data(), nullptr); // Somebody holds it: it gets memory.
}

/// The launch hook runs before each launch is recorded, may record
/// launches of its own, and the in-place and inline flags stay with the
/// launch they were set for.
TEST(Executable, LaunchHookRunsFirstAndFlagsStayWithTheirLaunch) {
  VarPtr a = Engine::newVar(), b = Engine::newVar(), c = Engine::newVar();
  ExecutableCapture capture;
  int hooked = 0;
  capture.setBeforeLaunch(
      [&](const std::vector<VarPtr> &reads, const std::vector<VarPtr> &) {
        if (++hooked == 1 && !reads.empty() && reads[0] == a)
          Engine::global().push([] {}, Device::cpu(), {}, {c}, 0, "from hook");
      });
  capture.markInPlaceSafe();
  Engine::global().push([] {}, Device::cpu(), {a}, {b}, 0, "outer");
  capture.recordDeferred([] { return std::function<void()>([] {}); },
                         Device::cpu(), {c}, "deferred");
  capture.setBeforeLaunch(nullptr);
  std::shared_ptr<Executable> executable = capture.finish();
  ASSERT_EQ(executable->launches().size(), 3u);
  EXPECT_EQ(hooked, 3); // outer, the hook's own push, deferred.
  EXPECT_EQ(executable->launches()[0].name, "from hook");
  EXPECT_FALSE(executable->launches()[0].inPlaceSafe);
  EXPECT_EQ(executable->launches()[1].name, "outer");
  EXPECT_TRUE(executable->launches()[1].inPlaceSafe);
  EXPECT_EQ(executable->launches()[2].name, "deferred");
}

/// What copy forwarding tests capture: s = value (a counter read at each
/// run), then a marked copy of s into d, an array made before the capture
/// (a variable's gradient buffer); `extra` pushes more launches after it.
struct CopyProgram {
  static constexpr int64_t n = 4096;
  Tensor s, d = Tensor::empty({n}, DType::Float32);
  VarPtr vs = Engine::newVar(), vd = Engine::newVar();
  std::shared_ptr<Executable> executable;
  std::shared_ptr<std::atomic<int>> value =
      std::make_shared<std::atomic<int>>(1);

  static std::function<void()> copy(Tensor from, Tensor to) {
    return
        [from, to] { std::memcpy(to.data(), from.data(), n * sizeof(float)); };
  }
  float at(const Tensor &t, int64_t i) const {
    return static_cast<const float *>(t.data())[i];
  }
  enum class Mark { Right, None, OtherVariables };
  explicit CopyProgram(const std::function<void(CopyProgram &)> &extra = {},
                       Mark mark = Mark::Right) {
    Engine &engine = Engine::global();
    ExecutableCapture capture;
    s = Tensor::empty({n}, DType::Float32);
    capture.noteArray(s.storage(), vs);
    engine.push(
        [s = s, value = value] {
          auto *x = static_cast<float *>(s.data());
          for (int64_t i = 0; i < n; ++i)
            x[i] = static_cast<float>(value->load());
        },
        Device::cpu(), {}, {vs}, 0, "fill");
    if (mark == Mark::Right)
      capture.markCopy(s.storage(), vs, d.storage(), vd);
    if (mark == Mark::OtherVariables)
      capture.markCopy(s.storage(), Engine::newVar(), d.storage(), vd);
    engine.push(copy(s, d), Device::cpu(), {vs}, {vd}, 0, "copy");
    // A mark that no launch matched (the copy was fused) is forgotten.
    capture.clearCopy();
    if (extra)
      extra(*this);
    executable = capture.finish();
  }
};

/// The copy of a planned buffer into a buffer nothing else in the program
/// uses becomes its source writing the destination itself, which stays
/// right when the destination's memory is exchanged between runs (as an
/// adopted gradient's is).
TEST(Executable, WholeCopiesIntoOutsideBuffersAreForwarded) {
  CopyProgram program;
  Executable::MemoryStats stats =
      Executable::planMemory({program.executable}, {});
  EXPECT_EQ(stats.forwardedCopies, 1u);
  EXPECT_EQ(stats.forwardedBytes, CopyProgram::n * sizeof(float));
  EXPECT_EQ(stats.plannedBuffers, 0u);
  EXPECT_EQ(program.s.data(), program.d.data());
  Engine &engine = Engine::global();
  Tensor taken = Tensor::empty({CopyProgram::n}, DType::Float32);
  VarPtr vtaken = Engine::newVar();
  for (int run = 1; run <= 3; ++run) {
    *program.value = run;
    program.executable->run();
    // Hand the result over, as AdoptGradient does: ordered after the run
    // through d's variable alone.
    engine.push([d = program.d.storage(),
                 t = taken.storage()] { d->exchangeMemory(*t); },
                Device::cpu(), {}, {program.vd, vtaken}, 0, "adopt");
    engine.waitForVar(vtaken);
    for (int64_t i = 0; i < CopyProgram::n; i += 511)
      ASSERT_EQ(program.at(taken, i), static_cast<float>(run)) << run;
    EXPECT_EQ(program.s.data(), program.d.data());
  }
}

/// Anything else using the source after the copy or the destination at
/// all, or an unmarked copy, keeps the copy (and the values right).
TEST(Executable, CopiesWhoseBuffersHaveOtherUsesAreNotForwarded) {
  Engine &engine = Engine::global();
  Tensor after = Tensor::empty({CopyProgram::n}, DType::Float32);
  VarPtr vafter = Engine::newVar();
  std::vector<std::pair<std::string, CopyProgram>> programs;
  programs.emplace_back("the source is read after the copy",
                        CopyProgram([&](CopyProgram &p) {
                          engine.push(CopyProgram::copy(p.s, after),
                                      Device::cpu(), {p.vs}, {vafter});
                        }));
  programs.emplace_back("the destination is read in the program",
                        CopyProgram([&](CopyProgram &p) {
                          engine.push(CopyProgram::copy(p.d, after),
                                      Device::cpu(), {p.vd}, {vafter});
                        }));
  programs.emplace_back("the copy is not marked",
                        CopyProgram({}, CopyProgram::Mark::None));
  programs.emplace_back("the mark names other variables",
                        CopyProgram({}, CopyProgram::Mark::OtherVariables));
  for (auto &[why, program] : programs) {
    const bool marked = program.executable->launches()[1].copySource != nullptr;
    EXPECT_EQ(marked, why.find("mark") == std::string::npos) << why;
    Executable::MemoryStats stats =
        Executable::planMemory({program.executable}, {});
    EXPECT_EQ(stats.forwardedCopies, 0u) << why;
    EXPECT_NE(program.s.data(), program.d.data()) << why;
    *program.value = 7;
    program.executable->run();
    engine.waitForVar(program.vd);
    EXPECT_EQ(program.at(program.d, 5), 7.0f) << why;
  }
}

} // namespace
} // namespace kiln
