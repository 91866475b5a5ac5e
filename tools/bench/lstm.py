"""The lstm benchmark: forward and backward of a 2-layer LSTM (sequence 35,
batch 32, input 256, hidden 256, float32; gradients of the data and every
weight), kiln's fused mx.nd.RNN under autograd against PyTorch 2's
torch.nn.LSTM, one JSON line in ms per step.

    /usr/bin/python3 tools/bench/lstm.py BAZEL_BIN

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

SEQ, BATCH, INPUT, HIDDEN, LAYERS = 35, 32, 256, 256, 2
STEPS = 10


def inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SEQ, BATCH, INPUT), dtype=np.float32)
    dy = rng.standard_normal((SEQ, BATCH, HIDDEN), dtype=np.float32)
    return x, dy


def parameter_count():
    """MXNet's packed LSTM parameters: i2h and h2h weights, two biases."""
    return sum(4 * HIDDEN * ((INPUT if layer == 0 else HIDDEN) + HIDDEN + 2)
               for layer in range(LAYERS))


def torch_step_ms():
    import torch
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    x, dy = (torch.from_numpy(a) for a in inputs())
    x.requires_grad_(True)
    lstm = torch.nn.LSTM(INPUT, HIDDEN, LAYERS)
    zeros = torch.zeros(LAYERS, BATCH, HIDDEN)

    def step():
        x.grad = None
        lstm.zero_grad(set_to_none=True)
        out, _ = lstm(x, (zeros, zeros))
        out.backward(dy)

    return per_call_us(step, STEPS) / 1e3


def kiln_step_ms(mx):
    nd = mx.nd
    x_host, dy_host = inputs()
    rng = np.random.default_rng(1)
    bound = 1 / np.sqrt(HIDDEN)  # PyTorch's initialization range
    params = nd.array(rng.uniform(-bound, bound, parameter_count())
                      .astype(np.float32))
    x, dy = nd.array(x_host), nd.array(dy_host)
    zeros = nd.zeros((LAYERS, BATCH, HIDDEN))
    for array in (x, params):
        array.attach_grad()

    def step():
        with mx.autograd.record():
            out = nd.RNN(x, params, zeros, zeros, state_size=HIDDEN,
                         num_layers=LAYERS, mode="lstm")
        out.backward(dy)

    def sync():
        params.grad.wait_to_read()
        x.grad.wait_to_read()

    return per_call_us(step, STEPS, sync) / 1e3


def main():
    if sys.argv[1] == "--torch":
        print(json.dumps({"ms": torch_step_ms()}))
        return
    sys.path.insert(0, stage_kiln(sys.argv[1]))
    import kiln as mx
    kiln_ms = kiln_step_ms(mx)
    torch = torch_child(__file__)
    emit("lstm", kiln_ms, torch and torch["ms"], "pytorch", "ms/step")


if __name__ == "__main__":
    main()
