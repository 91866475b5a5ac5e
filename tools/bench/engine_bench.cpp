//===- engine_bench.cpp - the engine's benchmarks -------------------------===//
//
//   engine_bench push [--mxnet PATH/libmxnet.so]
//     Push + run + retire of an empty op, in microseconds per op (median of
//     repeated batches). The baseline is Apache MXNet's ThreadedEngine driven
//     through its C API in the same process, when a libmxnet.so is given.
//
//   engine_parallel
//     Two independent chains of CPU-bound ops on the engine, against running
//     the same ops one after another on one thread.
//
// Each prints one JSON line: {"bench", "kiln", "baseline", "baseline_name",
// "unit", "ratio"} with ratio > 1 meaning kiln is better.
//
//===----------------------------------------------------------------------===//
#include "runtime/Engine.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

void printResult(const char *bench, double kiln, double baseline,
                 const std::string &baselineName, const char *unit,
                 bool lowerIsBetter) {
  if (std::isnan(baseline)) {
    std::printf("{\"bench\": \"%s\", \"kiln\": %.4f, \"baseline\": null, "
                "\"baseline_name\": \"%s\", \"unit\": \"%s\", \"ratio\": "
                "null}\n",
                bench, kiln, baselineName.c_str(), unit);
    return;
  }
  const double ratio = lowerIsBetter ? baseline / kiln : kiln / baseline;
  std::printf("{\"bench\": \"%s\", \"kiln\": %.4f, \"baseline\": %.4f, "
              "\"baseline_name\": \"%s\", \"unit\": \"%s\", \"ratio\": "
              "%.3f}\n",
              bench, kiln, baseline, baselineName.c_str(), unit, ratio);
}

constexpr int kPushBatch = 20000;
constexpr int kPushRepeats = 15;
constexpr int kPushVars = 16;

/// Microseconds per empty op on kiln's global engine.
double kilnPushMicros() {
  kiln::Engine &engine = kiln::Engine::global();
  std::vector<kiln::VarPtr> vars;
  for (int i = 0; i < kPushVars; ++i)
    vars.push_back(kiln::Engine::newVar());
  std::vector<double> samples;
  for (int repeat = 0; repeat < kPushRepeats + 1; ++repeat) {
    auto start = Clock::now();
    for (int i = 0; i < kPushBatch; ++i)
      engine.push([] {}, kiln::Device::cpu(), {}, {vars[i % kPushVars]}, 0,
                  "empty");
    engine.waitAll();
    if (repeat > 0) // The first batch warms up the workers and the heap.
      samples.push_back(secondsSince(start) * 1e6 / kPushBatch);
  }
  return median(samples);
}

/// The part of MXNet's C API the push benchmark needs.
struct MXNetApi {
  using SyncFn = void (*)(void *, void *);
  int (*createArray)(const uint32_t *, uint32_t, int, int, int, int, void **);
  int (*pushSyncND)(SyncFn, void *, void (*)(void *), const void *, void **,
                    int, void **, int, const void *, int, const char *);
  int (*waitAll)();
  int (*freeArray)(void *);
  const char *(*lastError)();

  bool load(const char *path, std::string &why) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      why = dlerror();
      return false;
    }
    auto get = [&](auto &slot, const char *name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
          dlsym(library, name));
      if (!slot)
        why = std::string("missing ") + name;
      return slot != nullptr;
    };
    return get(createArray, "MXNDArrayCreateEx") &&
           get(pushSyncND, "MXEnginePushSyncND") &&
           get(waitAll, "MXNDArrayWaitAll") &&
           get(freeArray, "MXNDArrayFree") && get(lastError, "MXGetLastError");
  }
};

void emptyMXNetOp(void *, void *) {}

/// Microseconds per empty op on MXNet's engine, the same batches as kiln's;
/// NaN when MXNet cannot be loaded.
double mxnetPushMicros(const char *libraryPath) {
  MXNetApi api;
  std::string why;
  if (!api.load(libraryPath, why)) {
    std::fprintf(stderr, "engine_bench: no MXNet baseline: %s\n", why.c_str());
    return NAN;
  }
  // mxnet::Context: {DeviceType dev_type; int32_t dev_id;}, cpu is 1.
  struct {
    int32_t devType = 1;
    int32_t devId = 0;
  } context;
  std::vector<void *> arrays(kPushVars);
  const uint32_t shape[1] = {1};
  for (void *&array : arrays)
    if (api.createArray(shape, 1, 1, 0, /*delay_alloc=*/1, /*float32*/ 0,
                        &array) != 0) {
      std::fprintf(stderr, "engine_bench: MXNet: %s\n", api.lastError());
      return NAN;
    }
  std::vector<double> samples;
  for (int repeat = 0; repeat < kPushRepeats + 1; ++repeat) {
    auto start = Clock::now();
    for (int i = 0; i < kPushBatch; ++i)
      api.pushSyncND(emptyMXNetOp, nullptr, nullptr, &context, nullptr, 0,
                     &arrays[i % kPushVars], 1, nullptr, 0, "empty");
    api.waitAll();
    if (repeat > 0)
      samples.push_back(secondsSince(start) * 1e6 / kPushBatch);
  }
  for (void *array : arrays)
    api.freeArray(array);
  return median(samples);
}

/// About a millisecond of arithmetic that the compiler cannot drop.
void cpuBoundWork(double *sink) {
  double value = *sink;
  for (int i = 0; i < 400000; ++i)
    value = value * 1.0000001 + 1e-9;
  *sink = value;
}

void benchParallel() {
  constexpr int kOpsPerChain = 100;
  constexpr int kRepeats = 5;
  double sinks[2] = {1.0, 2.0};
  std::vector<double> serial, parallel;
  kiln::Engine &engine = kiln::Engine::global();
  kiln::VarPtr chains[2] = {kiln::Engine::newVar(), kiln::Engine::newVar()};
  for (int repeat = 0; repeat < kRepeats + 1; ++repeat) {
    auto start = Clock::now();
    for (int i = 0; i < kOpsPerChain; ++i)
      for (double &sink : sinks)
        cpuBoundWork(&sink);
    if (repeat > 0)
      serial.push_back(secondsSince(start) * 1e3);

    start = Clock::now();
    for (int i = 0; i < kOpsPerChain; ++i)
      for (int chain = 0; chain < 2; ++chain)
        engine.push([&sinks, chain] { cpuBoundWork(&sinks[chain]); },
                    kiln::Device::cpu(), {}, {chains[chain]}, 0, "work");
    engine.waitAll();
    if (repeat > 0)
      parallel.push_back(secondsSince(start) * 1e3);
  }
  printResult("engine_parallel", median(parallel), median(serial),
              "the same ops run serially on one thread", "ms", true);
}

} // namespace

int main(int argc, char **argv) {
  if (argc >= 2 && std::strcmp(argv[1], "push") == 0) {
    const char *mxnet = nullptr;
    for (int i = 2; i + 1 < argc; ++i)
      if (std::strcmp(argv[i], "--mxnet") == 0)
        mxnet = argv[i + 1];
    // kiln first, before MXNet's engine threads exist in the process.
    const double kiln = kilnPushMicros();
    const double baseline = mxnet ? mxnetPushMicros(mxnet) : NAN;
    printResult("engine_push", kiln, baseline,
                "mxnet-1.9.1 ThreadedEnginePerDevice (C API)", "us/op (median)",
                true);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "parallel") == 0) {
    benchParallel();
    return 0;
  }
  std::fprintf(stderr, "usage: engine_bench push [--mxnet LIB] | parallel\n");
  return 2;
}
