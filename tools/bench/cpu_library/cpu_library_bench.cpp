//===- cpu_library_bench.cpp - GEMM and convolution across CPU libraries --===//
//
// Measures the candidate CPU libraries for kiln's heavy ops side by side:
// oneDNN (whichever version this file is compiled against: Debian's 2.6 or
// PyPI's 3.x), and, for GEMM, any CBLAS (OpenBLAS from Debian, MKL from PyPI)
// when built with -DKILN_BENCH_CBLAS. tools/bench/cpu_library/run builds it
// once per library and prints one JSON line per (library, case). This is a
// measurement for docs/cpu-library.md, not part of kiln's build.
//
//===----------------------------------------------------------------------===//
#include <oneapi/dnnl/dnnl.hpp>

#ifdef KILN_BENCH_CBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Clock = std::chrono::steady_clock;

/// Median seconds of `fn` over repetitions filling about `budget` seconds.
double medianSeconds(const std::function<void()> &fn, double budget = 1.0) {
  fn(); // Warm up: primitive creation, page faults.
  std::vector<double> times;
  const auto start = Clock::now();
  while (times.size() < 5 ||
         (std::chrono::duration<double>(Clock::now() - start).count() <
              budget &&
          times.size() < 2000)) {
    const auto t0 = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void report(const std::string &library, const std::string &name, double flops,
            double seconds) {
  std::printf("{\"library\": \"%s\", \"case\": \"%s\", \"ms\": %.4f, "
              "\"gflops\": %.1f}\n",
              library.c_str(), name.c_str(), seconds * 1e3,
              flops / seconds / 1e9);
  std::fflush(stdout);
}

dnnl::engine &engine() {
  static dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

std::vector<float> filled(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  return v;
}

struct Gemm {
  const char *name;
  int64_t m, k, n;
  bool transposeB; // B stored N x K (a dense layer's weight)
};

std::string gemmName(const Gemm &g) {
  return std::string("gemm_") + g.name + "_" + std::to_string(g.m) + "x" +
         std::to_string(g.k) + "x" + std::to_string(g.n) +
         (g.transposeB ? "_bT" : "");
}

void benchDnnlGemm(const std::string &library, const Gemm &g) {
  std::vector<float> a = filled(g.m * g.k), b = filled(g.k * g.n),
                     c(g.m * g.n);
  memory::desc aDesc({g.m, g.k}, memory::data_type::f32, Tag::ab);
  memory::desc bDesc({g.k, g.n}, memory::data_type::f32,
                     g.transposeB ? Tag::ba : Tag::ab);
  memory::desc cDesc({g.m, g.n}, memory::data_type::f32, Tag::ab);
#if DNNL_VERSION_MAJOR >= 3
  dnnl::matmul::primitive_desc pd(engine(), aDesc, bDesc, cDesc);
#else
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(aDesc, bDesc, cDesc),
                                  engine());
#endif
  dnnl::matmul primitive(pd);
  dnnl::stream stream(engine());
  memory am(aDesc, engine(), a.data()), bm(bDesc, engine(), b.data()),
      cm(cDesc, engine(), c.data());
  const double seconds = medianSeconds([&] {
    primitive.execute(stream, {{DNNL_ARG_SRC, am},
                               {DNNL_ARG_WEIGHTS, bm},
                               {DNNL_ARG_DST, cm}});
    stream.wait();
  });
  report(library, gemmName(g), 2.0 * g.m * g.k * g.n, seconds);
}

#ifdef KILN_BENCH_CBLAS
void benchCblasGemm(const std::string &library, const Gemm &g) {
  std::vector<float> a = filled(g.m * g.k), b = filled(g.k * g.n),
                     c(g.m * g.n);
  const double seconds = medianSeconds([&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans,
                g.transposeB ? CblasTrans : CblasNoTrans, g.m, g.n, g.k, 1.0f,
                a.data(), g.k, b.data(), g.transposeB ? g.k : g.n, 0.0f,
                c.data(), g.n);
  });
  report(library, gemmName(g), 2.0 * g.m * g.k * g.n, seconds);
}
#endif

struct Conv {
  const char *name;
  int64_t batch, in, out, height, width, kernel, pad;
};

/// Forward, backward-data and backward-weights of one convolution with
/// plain NCHW user tensors, as an eager framework sees them: oneDNN picks its
/// formats (format_tag::any) and the reorders to and from them are timed.
void benchDnnlConv(const std::string &library, const Conv &cv) {
  using dt = memory::data_type;
  const int64_t oh = cv.height + 2 * cv.pad - cv.kernel + 1,
                ow = cv.width + 2 * cv.pad - cv.kernel + 1;
  memory::dims src{cv.batch, cv.in, cv.height, cv.width},
      wei{cv.out, cv.in, cv.kernel, cv.kernel}, bias{cv.out},
      dst{cv.batch, cv.out, oh, ow}, strides{1, 1}, pads{cv.pad, cv.pad};
  memory::desc srcAny(src, dt::f32, Tag::any), weiAny(wei, dt::f32, Tag::any),
      dstAny(dst, dt::f32, Tag::any), biasDesc(bias, dt::f32, Tag::a);
  memory::desc srcPlain(src, dt::f32, Tag::nchw),
      weiPlain(wei, dt::f32, Tag::oihw), dstPlain(dst, dt::f32, Tag::nchw);
  auto fwdKind = dnnl::prop_kind::forward_training;
  auto algorithm = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  dnnl::convolution_forward::primitive_desc fwd(
      engine(), fwdKind, algorithm, srcAny, weiAny, biasDesc, dstAny, strides,
      pads, pads);
  dnnl::convolution_backward_data::primitive_desc bwdData(
      engine(), algorithm, srcAny, weiAny, dstAny, strides, pads, pads, fwd);
  dnnl::convolution_backward_weights::primitive_desc bwdWeights(
      engine(), algorithm, srcAny, weiAny, biasDesc, dstAny, strides, pads,
      pads, fwd);
#else
  dnnl::convolution_forward::primitive_desc fwd(
      dnnl::convolution_forward::desc(fwdKind, algorithm, srcAny, weiAny,
                                      biasDesc, dstAny, strides, pads, pads),
      engine());
  dnnl::convolution_backward_data::primitive_desc bwdData(
      dnnl::convolution_backward_data::desc(algorithm, srcAny, weiAny, dstAny,
                                            strides, pads, pads),
      engine(), fwd);
  dnnl::convolution_backward_weights::primitive_desc bwdWeights(
      dnnl::convolution_backward_weights::desc(algorithm, srcAny, weiAny,
                                               biasDesc, dstAny, strides, pads,
                                               pads),
      engine(), fwd);
#endif
  dnnl::stream stream(engine());
  std::vector<float> x = filled(cv.batch * cv.in * cv.height * cv.width),
                     w = filled(cv.out * cv.in * cv.kernel * cv.kernel),
                     b = filled(cv.out), y(cv.batch * cv.out * oh * ow),
                     dy = filled(cv.batch * cv.out * oh * ow), dx(x.size()),
                     dw(w.size()), db(cv.out);
  memory xm(srcPlain, engine(), x.data()), wm(weiPlain, engine(), w.data()),
      bm(biasDesc, engine(), b.data()), ym(dstPlain, engine(), y.data()),
      dym(dstPlain, engine(), dy.data()), dxm(srcPlain, engine(), dx.data()),
      dwm(weiPlain, engine(), dw.data()), dbm(biasDesc, engine(), db.data());
  // Into the primitive's format (a reorder when it differs), run, and back.
  auto to = [&](memory user, const memory::desc &want) {
    if (user.get_desc() == want)
      return user;
    memory converted(want, engine());
    dnnl::reorder(user, converted).execute(stream, user, converted);
    return converted;
  };
  auto back = [&](memory got, memory user) {
    if (got.get_desc() != user.get_desc())
      dnnl::reorder(got, user).execute(stream, got, user);
  };
  auto output = [&](const memory &user, const memory::desc &want) {
    return user.get_desc() == want ? user : memory(want, engine());
  };
  dnnl::convolution_forward fwdPrimitive(fwd);
  dnnl::convolution_backward_data dataPrimitive(bwdData);
  dnnl::convolution_backward_weights weightsPrimitive(bwdWeights);
  const double flops =
      2.0 * cv.batch * cv.out * oh * ow * cv.in * cv.kernel * cv.kernel;
  const std::string base = std::string("conv_") + cv.name;
  report(library, base + "_fwd", flops, medianSeconds([&] {
           memory xs = to(xm, fwd.src_desc()), ws = to(wm, fwd.weights_desc()),
                  ys = output(ym, fwd.dst_desc());
           fwdPrimitive.execute(stream, {{DNNL_ARG_SRC, xs},
                                         {DNNL_ARG_WEIGHTS, ws},
                                         {DNNL_ARG_BIAS, bm},
                                         {DNNL_ARG_DST, ys}});
           back(ys, ym);
           stream.wait();
         }));
  report(library, base + "_fwd_bwd", 3 * flops, medianSeconds([&] {
           memory xs = to(xm, fwd.src_desc()), ws = to(wm, fwd.weights_desc()),
                  ys = output(ym, fwd.dst_desc());
           fwdPrimitive.execute(stream, {{DNNL_ARG_SRC, xs},
                                         {DNNL_ARG_WEIGHTS, ws},
                                         {DNNL_ARG_BIAS, bm},
                                         {DNNL_ARG_DST, ys}});
           back(ys, ym);
           memory dys = to(dym, bwdData.diff_dst_desc()),
                  wsd = to(wm, bwdData.weights_desc()),
                  dxs = output(dxm, bwdData.diff_src_desc());
           dataPrimitive.execute(stream, {{DNNL_ARG_DIFF_DST, dys},
                                          {DNNL_ARG_WEIGHTS, wsd},
                                          {DNNL_ARG_DIFF_SRC, dxs}});
           back(dxs, dxm);
           memory dyw = to(dym, bwdWeights.diff_dst_desc()),
                  xsw = to(xm, bwdWeights.src_desc()),
                  dws = output(dwm, bwdWeights.diff_weights_desc());
           weightsPrimitive.execute(stream, {{DNNL_ARG_DIFF_DST, dyw},
                                             {DNNL_ARG_SRC, xsw},
                                             {DNNL_ARG_DIFF_WEIGHTS, dws},
                                             {DNNL_ARG_DIFF_BIAS, dbm}});
           back(dws, dwm);
           stream.wait();
         }, 3.0));
}

} // namespace

int main(int argc, char **argv) {
  const std::string library = argc > 1 ? argv[1] : "unnamed";
  const std::string only = argc > 2 ? argv[2] : "all";
  const std::vector<Gemm> gemms = {
      {"mlp", 256, 784, 256, true},  {"mlp", 256, 256, 128, true},
      {"mlp", 256, 128, 10, true},   {"lenet", 128, 800, 500, true},
      {"lenet", 128, 500, 10, true}, {"resnet_fc", 32, 512, 1000, true},
      {"square", 1024, 1024, 1024, false}};
  const std::vector<Conv> convs = {{"resnet_64x56x56_b32", 32, 64, 64, 56, 56,
                                    3, 1},
                                   {"lenet1_b128", 128, 1, 20, 28, 28, 5, 0},
                                   {"lenet2_b128", 128, 20, 50, 12, 12, 5, 0}};
  if (only == "all" || only == "gemm") {
    for (const Gemm &g : gemms) {
#ifdef KILN_BENCH_CBLAS
      benchCblasGemm(library, g);
#else
      benchDnnlGemm(library, g);
#endif
    }
  }
#ifndef KILN_BENCH_CBLAS
  if (only == "all" || only == "conv")
    for (const Conv &cv : convs)
      benchDnnlConv(library, cv);
#endif
  return 0;
}
