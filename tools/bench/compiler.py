"""The compiler's benchmarks: compiled kernels (timed by kernel_bench, the C++
binary) against numpy on the same data, one JSON line each.

    /usr/bin/python3 tools/bench/compiler.py KERNEL_BENCH NAME...

NAME: transcendental (exp, tanh, log over 2^24 f32), elementwise (add over
2^24 f32, and a plain copy of the same bytes), compile (one-primitive kernel
compile latency).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

N = 1 << 24


def kiln_ms(binary, *args):
    return float(subprocess.check_output([binary, *map(str, args)]).decode())


def numpy_ms(function, repeats=11):
    function()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1e3)
    return sorted(samples)[len(samples) // 2]


def emit(bench, kiln, baseline, baseline_name, unit="ms", lower_is_better=True):
    ratio = baseline / kiln if lower_is_better else kiln / baseline
    print(json.dumps({"bench": bench, "kiln": round(kiln, 4),
                      "baseline": round(baseline, 4),
                      "baseline_name": baseline_name, "unit": unit,
                      "ratio": round(ratio, 3)}), flush=True)


def inputs():
    # The values kernel_bench uses: 0.5 + (i % 1000) * 1e-3.
    index = np.arange(N, dtype=np.int64) % 1000
    x = (0.5 + index * 1e-3).astype(np.float32)
    return x, (x + 1.0).astype(np.float32), np.empty_like(x)


def transcendental(binary):
    x, _, out = inputs()
    for op in ("exp", "tanh", "log"):
        function = getattr(np, op)
        emit("transcendental_" + op, kiln_ms(binary, "unary", op, N),
             numpy_ms(lambda: function(x, out=out)),
             "numpy %s np.%s, float32 2^24" % (np.__version__, op))


def elementwise(binary):
    x, y, out = inputs()
    emit("elementwise_add", kiln_ms(binary, "binary", "add", N),
         numpy_ms(lambda: np.add(x, y, out=out)),
         "numpy %s np.add, float32 2^24" % np.__version__)
    # The bandwidth limit: kiln's add moves 3 arrays, a copy 2.
    add_ms = kiln_ms(binary, "binary", "add", N)
    copy_ms = kiln_ms(binary, "copy", N)
    emit("elementwise_add_bandwidth", 3 * 4 * N / add_ms / 1e6,
         2 * 4 * N / copy_ms / 1e6, "memcpy of 2^24 float32 on all cores",
         unit="GB/s", lower_is_better=False)


def fusion(binary):
    chain = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "fusion_chain.mlir")
    x, _, out = inputs()
    kiln = kiln_ms(binary, "graph", chain, N)
    # The same expression as a numpy user writes it.
    baseline = numpy_ms(lambda: np.maximum(
        ((x * np.float32(0.75) - np.float32(0.25)) * x + np.float32(1.0))
        * np.float32(0.5), np.float32(0.0)) * x + x * x)
    emit("fusion_chain8", kiln, baseline,
         "numpy %s, the same 8-op expression, float32 2^24" % np.__version__)
    # One read and one write of 2^24 floats, like a copy.
    copy_ms = kiln_ms(binary, "copy", N)
    emit("fusion_chain8_bandwidth", 2 * 4 * N / kiln / 1e6,
         2 * 4 * N / copy_ms / 1e6, "memcpy of 2^24 float32 on all cores",
         unit="GB/s", lower_is_better=False)


def reduce(binary):
    n = 4096
    copy_gbs = 2 * 4 * n * n / kiln_ms(binary, "copy", n * n) / 1e6
    for axis, name in ((1, "last"), (0, "first")):
        # A reduction reads its input once: bytes read / time.
        gbs = 4 * n * n / kiln_ms(binary, "reduce", axis, n) / 1e6
        emit("reduce_sum_%s_axis" % name, gbs, copy_gbs,
             "memcpy of the same 4096x4096 float32 on all cores (read+write)",
             unit="GB/s", lower_is_better=False)


def matmul(binary):
    n = 1024
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    out = np.empty_like(a)
    flops = 2.0 * n ** 3
    kiln = flops / kiln_ms(binary, "matmul", n) / 1e6
    baseline = flops / numpy_ms(lambda: np.matmul(a, b, out=out)) / 1e6
    emit("matmul_f32_1024", kiln, baseline,
         "numpy %s np.matmul (its BLAS), float32 1024^3" % np.__version__,
         unit="GFLOP/s", lower_is_better=False)


def compile_latency(binary):
    emit("compile", kiln_ms(binary, "compile"), 50.0,
         "the 50 ms target for a one-primitive kernel")
    emit("compile_memory_hit", kiln_ms(binary, "hit"), 1.0,
         "the 1 us target for an in-memory cache hit", unit="us")
    with tempfile.TemporaryDirectory() as directory:
        environment = dict(os.environ, KILN_CACHE_DIR=directory)
        first = float(subprocess.check_output(
            [binary, "first-call"], env=environment).decode())
        hits = [float(subprocess.check_output(
            [binary, "first-call"], env=environment).decode())
            for _ in range(5)]
    emit("compile_disk_hit", sorted(hits)[2], 5.0,
         "the 5 ms target for a disk cache hit in a new process "
         "(compiling it took %.1f ms)" % first)


BENCHES = {"fusion": fusion, "transcendental": transcendental,
           "elementwise": elementwise,
           "reduce": reduce, "matmul": matmul, "compile": compile_latency}

if __name__ == "__main__":
    binary = sys.argv[1]
    for name in sys.argv[2:] or list(BENCHES):
        BENCHES[name](binary)
