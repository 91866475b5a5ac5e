//===- kernel_bench.cpp - timings of compiled kernels ---------------------===//
//
//   kernel_bench unary OP N     median ms of OP over N contiguous f32
//   kernel_bench binary OP N    median ms of OP over two N-element f32 arrays
//   kernel_bench copy N         median ms of copying N f32 (memcpy, all cores)
//   kernel_bench reduce AXIS N  median ms of summing an NxN f32 over AXIS
//   kernel_bench matmul N       median ms of an NxN by NxN f32 product
//   kernel_bench graph FILE N   median ms of the one-input elementwise graph
//                               in FILE over N f32
//   kernel_bench compile        median ms to compile a one-primitive kernel
//   kernel_bench first-call     ms of this process's first kernel request
//                               (a disk cache hit when the cache is warm)
//   kernel_bench hit            median us of a request served from memory
//
// unary/binary use the streaming variant for outputs of 8 MB or more, as
// mx.nd does (KILN_BENCH_NO_STREAMING=1: never; KILN_BENCH_FORCE_STREAMING=1:
// always); KILN_BENCH_SERIAL=1 runs on one thread.
//
// Prints one number (milliseconds) per invocation; tools/bench/compiler.py
// turns the numbers into JSON lines next to numpy's.
//
//===----------------------------------------------------------------------===//
#include "compiler/KernelCache.h"
#include "runtime/KernelAbi.h"
#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double medianMs(int repeats, const std::function<void()> &body) {
  body(); // warm up: page faults, caches
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i) {
    auto start = Clock::now();
    body();
    samples.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start)
            .count());
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

kiln::Tensor filled(int64_t n, float value) {
  kiln::Tensor tensor = kiln::Tensor::empty({n}, kiln::DType::Float32);
  float *data = static_cast<float *>(tensor.data());
  for (int64_t i = 0; i < n; ++i)
    data[i] = value + static_cast<float>(i % 1000) * 1e-3f;
  return tensor;
}

int usage() {
  std::fprintf(stderr, "usage: kernel_bench unary OP N | binary OP N | copy N "
                       "| compile\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  using namespace kiln;
  if (argc < 2)
    return usage();
  const std::string mode = argv[1];
  compiler::KernelCache &cache = compiler::KernelCache::global();
  if ((mode == "unary" || mode == "binary") && argc == 4) {
    const std::string op = argv[2];
    const int64_t n = std::atoll(argv[3]);
    const bool binary = mode == "binary";
    std::vector<Tensor> arguments = {filled(n, 0.5f)};
    compiler::KernelSignature signature{
        op, {{DType::Float32, 1}}, {{DType::Float32, 1}}};
    if (binary) {
      arguments.push_back(filled(n, 1.5f));
      signature.inputs.push_back({DType::Float32, 1});
    }
    arguments.push_back(Tensor::empty({n}, DType::Float32));
    // As mx.nd dispatches: large contiguous outputs take the streaming
    // variant (non-temporal stores); KILN_BENCH_NO_STREAMING measures the
    // general kernel.
    const bool streaming = (n * 4 >= kStreamingOutputBytes ||
                            std::getenv("KILN_BENCH_FORCE_STREAMING")) &&
                           std::getenv("KILN_BENCH_NO_STREAMING") == nullptr;
    if (streaming)
      signature.attributes["streaming"] = {1};
    KernelEntryFn kernel = cache.get(signature);
    const bool serial = std::getenv("KILN_BENCH_SERIAL") != nullptr;
    std::printf("%.4f\n", medianMs(11, [&] {
                  if (serial)
                    invokeKernel(kernel, arguments);
                  else if (streaming)
                    invokeFlatKernel(kernel, arguments);
                  else
                    invokeElementwiseKernel(kernel, arguments);
                }));
    return 0;
  }
  if (mode == "copy" && argc == 3) {
    const int64_t n = std::atoll(argv[2]);
    Tensor from = filled(n, 1.0f), to = Tensor::empty({n}, DType::Float32);
    // On every core, like the kernels: the machine's bandwidth limit.
    auto *source = static_cast<const char *>(from.data());
    auto *target = static_cast<char *>(to.data());
    std::printf("%.4f\n", medianMs(11, [&] {
                  ThreadPool::global().parallelFor(
                      0, n * 4, 1 << 20, [&](int64_t begin, int64_t end) {
                        std::memcpy(target + begin, source + begin,
                                    end - begin);
                      });
                }));
    return 0;
  }
  if (mode == "compile" && argc == 2) {
    // A fresh, memory-only cache each time: every get() compiles.
    int rank = 1;
    std::printf("%.4f\n", medianMs(21, [&] {
                  compiler::KernelCache fresh("");
                  fresh.get({"add",
                             {{DType::Float32, rank}, {DType::Float32, rank}},
                             {{DType::Float32, rank}}});
                }));
    return 0;
  }
  if (mode == "reduce" && argc == 4) {
    // Sum over one axis of a square f32 matrix.
    const int64_t axis = std::atoll(argv[2]), n = std::atoll(argv[3]);
    Tensor in = filled(n * n, 0.5f).reshaped({n, n});
    Tensor out = Tensor::empty({n}, DType::Float32);
    compiler::KernelSignature signature{
        "reduce_sum", {{DType::Float32, 2}}, {{DType::Float32, 1}}};
    signature.attributes["axes"] = {axis};
    KernelEntryFn kernel = cache.get(signature);
    std::printf("%.4f\n", medianMs(11, [&] {
                  invokeReductionKernel(kernel, in, out, {axis}, false, true);
                }));
    return 0;
  }
  if (mode == "graph" && argc == 4) {
    // An elementwise graph (MLIR text in a file) over N f32.
    std::ifstream file(argv[2]);
    std::stringstream source;
    source << file.rdbuf();
    const int64_t n = std::atoll(argv[3]);
    std::vector<Tensor> arguments = {filled(n, 0.5f),
                                     Tensor::empty({n}, DType::Float32)};
    KernelEntryFn kernel = cache.getGraph(source.str());
    std::printf("%.4f\n", medianMs(11, [&] {
                  invokeElementwiseKernel(kernel, arguments);
                }));
    return 0;
  }
  if (mode == "matmul" && argc == 3) {
    const int64_t n = std::atoll(argv[2]);
    Tensor a = filled(n * n, 0.5f).reshaped({n, n});
    Tensor b = filled(n * n, 0.25f).reshaped({n, n});
    Tensor c = Tensor::empty({n, n}, DType::Float32);
    KernelEntryFn kernel =
        cache.get({"matmul",
                   {{DType::Float32, 2}, {DType::Float32, 2}},
                   {{DType::Float32, 2}}});
    std::printf("%.4f\n", medianMs(11, [&] {
                  invokeKernel(kernel, {a, b, c});
                }));
    return 0;
  }
  if (mode == "first-call" && argc == 2) {
    auto start = Clock::now();
    cache.get({"tanh", {{DType::Float32, 2}}, {{DType::Float32, 2}}});
    std::printf("%.4f\n",
                std::chrono::duration<double, std::milli>(Clock::now() - start)
                    .count());
    return 0;
  }
  if (mode == "hit" && argc == 2) {
    compiler::KernelSignature signature{
        "add",
        {{DType::Float32, 2}, {DType::Float32, 2}},
        {{DType::Float32, 2}}};
    cache.get(signature);
    constexpr int kCalls = 100000;
    const double ms = medianMs(11, [&] {
      for (int i = 0; i < kCalls; ++i)
        cache.get(signature);
    });
    std::printf("%.4f\n", ms * 1000.0 / kCalls);
    return 0;
  }
  return usage();
}
