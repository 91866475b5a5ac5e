"""The Python frontend's benchmarks, against Debian's PyTorch (and numpy) in
the same process, one JSON line each.

    /usr/bin/python3 tools/bench/frontend.py BAZEL_BIN NAME...

NAME: dispatch (time per small op: `a + b` on 10 floats, and a 10-op
expression, kiln vs PyTorch and numpy), mlp_step (one training step of the
main job's MLP, batch 256, Adam, kiln vs the same model in PyTorch).
kiln is the optimized build under BAZEL_BIN, staged beside its sources.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stage_kiln(bazel_bin):
    """A directory importing the kiln built under bazel_bin: the sources
    linked beside its _core.so (as the tests' runfiles are)."""
    stage = tempfile.mkdtemp(prefix="kiln-bench-")
    for package in ("kiln", "mxnet"):
        source = os.path.join(TOP, "frontends", "python", package)
        os.mkdir(os.path.join(stage, package))
        for name in os.listdir(source):
            if name.endswith(".py"):
                os.symlink(os.path.join(source, name), os.path.join(stage, package, name))
    os.symlink(os.path.join(bazel_bin, "frontends", "python", "kiln", "_core.so"),
               os.path.join(stage, "kiln", "_core.so"))
    return stage


def emit(bench, kiln, baseline, baseline_name, unit):
    print(json.dumps({"bench": bench, "kiln": round(kiln, 4),
                      "baseline": None if baseline is None else round(baseline, 4),
                      "baseline_name": baseline_name, "unit": unit,
                      "ratio": None if baseline is None else round(baseline / kiln, 3)}),
          flush=True)


def per_call_us(function, calls, sync=lambda: None, repeats=7):
    """Median over repeats of the time per call, in microseconds, each
    repeat ending with sync() (kiln's ops are asynchronous)."""
    function()
    sync()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        sync()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return sorted(samples)[len(samples) // 2]


def expression(a, b, c):
    """Ten elementwise ops."""
    d = (a + b) * c - a
    e = d / (b + 1.0)
    return (e * e + c) - (a * 0.5) + d


def bench_dispatch(mx, torch):
    x = np.random.rand(10).astype(np.float32)
    y = np.random.rand(10).astype(np.float32) + 1
    z = np.random.rand(10).astype(np.float32)
    ka, kb, kc = mx.nd.array(x), mx.nd.array(y), mx.nd.array(z)
    kiln_add = per_call_us(lambda: ka + kb, 20000, mx.nd.waitall)
    kiln_expr = per_call_us(lambda: expression(ka, kb, kc), 2000, mx.nd.waitall)
    numpy_add = per_call_us(lambda: x + y, 20000)
    numpy_expr = per_call_us(lambda: expression(x, y, z), 2000)
    if torch is not None:
        ta, tb, tc = (torch.from_numpy(v.copy()) for v in (x, y, z))
        torch_add = per_call_us(lambda: ta + tb, 20000)
        torch_expr = per_call_us(lambda: expression(ta, tb, tc), 2000)
    else:
        torch_add = torch_expr = None
    emit("dispatch_add", kiln_add, torch_add, "pytorch", "us/op")
    emit("dispatch_expr10", kiln_expr, torch_expr, "pytorch", "us/expr")
    emit("dispatch_add_numpy", kiln_add, numpy_add, "numpy", "us/op")
    emit("dispatch_expr10_numpy", kiln_expr, numpy_expr, "numpy", "us/expr")


def bench_mlp_step(mx, torch, batch=256, steps=60):
    sys.path.insert(0, os.path.join(TOP, "tools", "train"))
    import fashion_mnist_mlp as job
    job.mx = mx
    rng = np.random.default_rng(0)
    images = rng.random((batch, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=batch).astype(np.float32)
    model = job.MLP()
    x, y = mx.nd.array(images), mx.nd.array(labels)

    def kiln_step():
        loss, _ = job.train_step(model, x, y, 1e-3)
        loss.asscalar()

    kiln_ms = per_call_us(kiln_step, steps) / 1e3
    torch_ms = None
    if torch is not None:
        torch.manual_seed(0)
        layers = []
        sizes = (784, 256, 128, 10)
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers.append(torch.nn.Linear(fan_in, fan_out))
        model_t = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1],
                                      torch.nn.ReLU(), layers[2])
        optimizer = torch.optim.Adam(model_t.parameters(), lr=1e-3)
        tx = torch.from_numpy(images)
        ty = torch.from_numpy(labels.astype(np.int64))

        def torch_step():
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model_t(tx), ty)
            loss.backward()
            optimizer.step()
            loss.item()

        torch_ms = per_call_us(torch_step, steps) / 1e3
    emit("mlp_step", kiln_ms, torch_ms, "pytorch", "ms/step")


def main():
    bazel_bin, names = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, stage_kiln(bazel_bin))
    import kiln as mx
    try:
        import torch
        # Every core, as kiln uses (Debian's build may default to fewer).
        torch.set_num_threads(os.cpu_count())
    except ImportError:
        torch = None
        print("frontend.py: PyTorch is unavailable (apt-get install python3-torch); "
              "its baselines are null", file=sys.stderr)
    for name in names:
        {"dispatch": bench_dispatch, "mlp_step": bench_mlp_step}[name](mx, torch)


if __name__ == "__main__":
    main()
