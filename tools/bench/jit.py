"""@kiln.jit's benchmark (issue #14) against eager kiln and PyTorch 2, JSON
lines.

    /usr/bin/python3 tools/bench/jit.py BAZEL_BIN jit_expr

NAME:
  jit_expr   a function of 20 elementwise ops (add, mul, sub, div with
             numbers and arrays, exp, tanh, sigmoid, maximum) of two
             float32 arrays of 2^20 elements: milliseconds per call after
             warm-up (median of 7 repeats, each ending with waitall), of
             the function compiled by @kiln.jit against the same function
             run eagerly in kiln (jit_expr, baseline "kiln eager"), against
             torch.compile of the same function (jit_expr_torch_compile,
             baseline "torch.compile") and against PyTorch eager
             (jit_expr_torch_eager, baseline "pytorch eager"). Less is
             better: ratio = baseline / kiln.

kiln is the optimized build under BAZEL_BIN, staged as frontend.py does.
PyTorch 2 runs in a child process of its venv (KILN_TORCH_PYTHON, else
~/.cache/kiln/venvs/torch; `jit.py --torch jit_expr`) with every core;
without it the PyTorch baselines are null. The largest difference between
the jit and eager results goes to stderr as a sanity check.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frontend import emit, per_call_us, stage_kiln, torch_child  # noqa: E402

SIZE = 1 << 20
CALLS = 30


def expr20(F, x, y):
    """20 elementwise ops; F is mx.nd or torch (exp, tanh, sigmoid,
    maximum)."""
    a = x * 1.5
    a = a + y
    b = a - 0.25
    c = y * y
    c = c + 1.0
    b = b / c
    d = F.exp(b * -0.5)
    e = d * a
    e = e + 1.0
    f = F.tanh(e - b)
    g = F.maximum(f, d)
    g = g * 3.0
    h = F.sigmoid(g / 4.0)
    h = h - x
    r = h * e
    r = r + d
    return r - 0.5


def inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal(SIZE).astype(np.float32),
            rng.standard_normal(SIZE).astype(np.float32))


def torch_jit_expr(torch):
    """{"compiled": ms, "eager": ms} for torch.compile and PyTorch eager."""
    x, y = (torch.from_numpy(value) for value in inputs())

    def eager(a, b):
        return expr20(torch, a, b)
    compiled = torch.compile(eager)
    compiled(x, y)  # compiles
    return {"compiled": per_call_us(lambda: compiled(x, y), CALLS) / 1e3,
            "eager": per_call_us(lambda: eager(x, y), CALLS) / 1e3}


def bench_jit_expr(mx):
    from kiln.jit import jit
    x, y = (mx.nd.array(value) for value in inputs())

    def eager(a, b):
        return expr20(mx.nd, a, b)
    compiled = jit(eager)
    difference = np.abs(compiled(x, y).asnumpy() - eager(x, y).asnumpy())
    print("jit.py: jit_expr: largest |jit - eager| %.3g" % difference.max(),
          file=sys.stderr, flush=True)
    jit_ms = per_call_us(lambda: compiled(x, y), CALLS, mx.nd.waitall) / 1e3
    eager_ms = per_call_us(lambda: eager(x, y), CALLS, mx.nd.waitall) / 1e3
    torch = torch_child(__file__, "jit_expr")
    emit("jit_expr", jit_ms, eager_ms, "kiln eager", "ms/call")
    emit("jit_expr_torch_compile", jit_ms, torch and torch["compiled"],
         "torch.compile", "ms/call")
    emit("jit_expr_torch_eager", jit_ms, torch and torch["eager"],
         "pytorch eager", "ms/call")


BENCHES = {"jit_expr": bench_jit_expr}
TORCH_BENCHES = {"jit_expr": torch_jit_expr}


def main():
    if sys.argv[1] == "--torch":
        # The child process: PyTorch's side only, with every core.
        import torch
        torch.set_num_threads(os.cpu_count())
        print(json.dumps(TORCH_BENCHES[sys.argv[2]](torch)))
        return
    sys.path.insert(0, stage_kiln(sys.argv[1]))
    import kiln as mx
    for name in sys.argv[2:] or list(BENCHES):
        BENCHES[name](mx)


if __name__ == "__main__":
    main()
