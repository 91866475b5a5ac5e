"""The batchnorm benchmark: one training step of BatchNorm (forward in train
mode, then backward: data, gamma and beta gradients and the moving
statistics' update) on a (32, 64, 56, 56) float32 batch, kiln's
mx.nd.BatchNorm under autograd against PyTorch 2's BatchNorm2d, one JSON
line.

    /usr/bin/python3 tools/bench/batchnorm.py BAZEL_BIN

kiln is the optimized build under BAZEL_BIN (staged as frontend.py does);
PyTorch runs in a child process from its venv (KILN_TORCH_PYTHON, else
~/.cache/kiln/venvs/torch) with every core; without it the baseline is
null.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frontend import emit, per_call_us, stage_kiln, torch_child  # noqa: E402

SHAPE = (32, 64, 56, 56)
STEPS = 10


def inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=np.float32)
    dy = rng.standard_normal(SHAPE, dtype=np.float32)
    return x, dy


def torch_step_ms():
    import torch
    torch.set_num_threads(os.cpu_count())
    x, dy = (torch.from_numpy(a) for a in inputs())
    x.requires_grad_(True)
    layer = torch.nn.BatchNorm2d(SHAPE[1], eps=1e-5, momentum=0.1)
    layer.train()

    def step():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        layer(x).backward(dy)

    return per_call_us(step, STEPS) / 1e3


def kiln_step_ms(mx):
    nd = mx.nd
    x_host, dy_host = inputs()
    x, dy = nd.array(x_host), nd.array(dy_host)
    channels = SHAPE[1]
    gamma, beta = nd.ones((channels,)), nd.zeros((channels,))
    moving_mean, moving_var = nd.zeros((channels,)), nd.ones((channels,))
    for array in (x, gamma, beta):
        array.attach_grad()

    def step():
        with mx.autograd.record():
            y = nd.BatchNorm(x, gamma, beta, moving_mean, moving_var,
                             eps=1e-5, momentum=0.9, fix_gamma=False)
        y.backward(dy)

    return per_call_us(step, STEPS, mx.nd.waitall) / 1e3


def main():
    if sys.argv[1:] == ["--torch"]:
        print(json.dumps({"ms": torch_step_ms()}))
        return
    sys.path.insert(0, stage_kiln(sys.argv[1]))
    import kiln as mx
    kiln_ms = kiln_step_ms(mx)
    torch = torch_child(__file__)
    emit("batchnorm", kiln_ms, torch and torch["ms"], "pytorch", "ms/step")


if __name__ == "__main__":
    main()
