"""The gemm benchmark: dense products at the MLP's, LeNet's and ResNet-18's
classifier shapes, kiln against the faster of numpy (Debian's, on OpenBLAS)
and PyTorch 2, one JSON line per shape and op.

    /usr/bin/python3 tools/bench/gemm.py BAZEL_BIN

Each shape (M x K data, N x K weight) runs as `dot`: mx.nd.dot(x, w,
transpose_b=True) against numpy's x @ w.T and torch's x @ w.T, and as
`fc`: mx.nd.FullyConnected(x, w, b, num_hidden=N) against numpy's
x @ w.T + b and torch.nn.functional.linear(x, w, b). The figure is the time
per call in microseconds: the best over short batches of calls (each batch
ending when its results are ready), which keeps other processes' bursts
on a shared machine out of it. kiln runs in this process (the optimized
build under BAZEL_BIN, staged as frontend.py does); numpy and PyTorch each
run in a child process (PyTorch from its venv through frontend.py's
torch_child, with every core; numpy from /usr/bin/python3, OpenBLAS with
its default threads), so no library's idle threads spin beside another's.
The three alternate for a few rounds and each keeps its best figures. A
missing PyTorch leaves numpy as the baseline.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frontend import emit, stage_kiln, torch_child  # noqa: E402

# (M, K, N): data M x K, weight N x K.
SHAPES = [(256, 784, 256), (256, 256, 128), (256, 128, 10),  # MLP
          (128, 800, 500), (128, 500, 10),                    # LeNet
          (32, 512, 1000)]                                    # ResNet-18
ROUNDS = 5
SECONDS_PER_CASE = 0.25
BATCH = 10


def best_us(function, sync):
    """The best time per call over batches of BATCH calls run for about
    SECONDS_PER_CASE, each batch ending with sync()."""
    function()
    sync()
    best = float("inf")
    deadline = time.perf_counter() + SECONDS_PER_CASE
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(BATCH):
            function()
        sync()
        best = min(best, (time.perf_counter() - start) / BATCH * 1e6)
    return best


def operands(m, k, n):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((m, k), dtype=np.float32),
            rng.standard_normal((n, k), dtype=np.float32),
            rng.standard_normal(n, dtype=np.float32))


def key(op, shape):
    return "%s_%dx%dx%d" % ((op,) + shape)


def kiln_figures(mx):
    figures = {}
    for shape in SHAPES:
        x, w, b = (mx.nd.array(a) for a in operands(*shape))
        n = shape[2]
        figures[key("dot", shape)] = best_us(
            lambda: mx.nd.dot(x, w, transpose_b=True), mx.nd.waitall)
        figures[key("fc", shape)] = best_us(
            lambda: mx.nd.FullyConnected(x, w, b, num_hidden=n), mx.nd.waitall)
    return figures


def numpy_figures():
    figures = {}
    for shape in SHAPES:
        x, w, b = operands(*shape)
        figures[key("dot", shape)] = best_us(lambda: x @ w.T, lambda: None)
        figures[key("fc", shape)] = best_us(lambda: x @ w.T + b, lambda: None)
    return figures


def torch_figures():
    import torch
    torch.set_num_threads(os.cpu_count())
    figures = {}
    with torch.no_grad():
        for shape in SHAPES:
            x, w, b = (torch.from_numpy(a) for a in operands(*shape))
            figures[key("dot", shape)] = best_us(lambda: x @ w.T, lambda: None)
            figures[key("fc", shape)] = best_us(
                lambda: torch.nn.functional.linear(x, w, b), lambda: None)
    return figures


def numpy_child():
    """numpy's figures from a child process of Debian's python3 (`gemm.py
    --numpy`): OpenBLAS's idle threads spin there, not beside kiln's."""
    done = subprocess.run(["/usr/bin/python3", os.path.abspath(__file__),
                           "--numpy"], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(rounds):
    """Per case, the best figure over rounds (None rounds left out)."""
    rounds = [r for r in rounds if r]
    if not rounds:
        return None
    return {case: min(r[case] for r in rounds) for case in rounds[0]}


def main():
    if sys.argv[1] in ("--numpy", "--torch"):
        figures = numpy_figures() if sys.argv[1] == "--numpy" else \
            torch_figures()
        print(json.dumps(figures))
        return
    sys.path.insert(0, stage_kiln(sys.argv[1]))
    import kiln as mx
    kiln_rounds, numpy_rounds, torch_rounds = [], [], []
    for round_ in range(ROUNDS):
        kiln_rounds.append(kiln_figures(mx))
        numpy_rounds.append(numpy_child())
        # Without PyTorch (said once, on stderr) numpy is the baseline.
        if round_ == 0 or torch_rounds[0] is not None:
            torch_rounds.append(torch_child(__file__))
    kiln, numpy_, torch = (best_of(r) for r in
                           (kiln_rounds, numpy_rounds, torch_rounds))
    for case in kiln:
        baselines = [(figures[case], name) for figures, name in
                     ((numpy_, "numpy"), (torch, "pytorch")) if figures]
        baseline, name = min(baselines) if baselines else (None, "numpy")
        emit("gemm_" + case, kiln[case], baseline, name, "us/op")


if __name__ == "__main__":
    main()
