"""Convolutional benchmarks against PyTorch 2 and MXNet 1.9.1, JSON lines.

    /usr/bin/python3 tools/bench/convnet.py BAZEL_BIN NAME...

NAME:
  conv2d      forward + backward (data, weight and bias gradients) of a 3x3,
              64->64-channel convolution with padding 1 on a (32, 64, 56, 56)
              float32 batch: mx.nd.Convolution under autograd.
  lenet_step  one training step of LeNet-5 (conv 5x5x20, relu, max-pool 2,
              conv 5x5x50, relu, max-pool 2, dense 500, relu, dense 10,
              softmax cross-entropy; SGD with momentum 0.9), batch 128 of
              28x28 images, written with mx.nd + autograd.

kiln (the optimized build under BAZEL_BIN, staged as frontend.py does) runs
in this process; the same mx.nd code runs under MXNet 1.9.1 (its venv from
tools/setup/install-mxnet-baseline.sh, KILN_MXNET_PYTHON) and the same
model in PyTorch 2 (KILN_TORCH_PYTHON, with every core), each in a child
process (`convnet.py --mxnet|--torch NAME`, through
frontend.baseline_child). Each baseline prints its own line; a missing one
is null.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frontend import baseline_child, emit, per_call_us, stage_kiln  # noqa: E402

CONV_SHAPE = (32, 64, 56, 56)
LENET_BATCH = 128


def conv2d_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(CONV_SHAPE, dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    b = rng.standard_normal((64,), dtype=np.float32)
    dy = rng.standard_normal(CONV_SHAPE, dtype=np.float32)
    return x, w, b, dy


def lenet_inputs():
    rng = np.random.default_rng(0)
    images = rng.random((LENET_BATCH, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, LENET_BATCH).astype(np.float32)
    shapes = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (500, 800), (500,),
              (10, 500), (10,)]
    params = [(rng.standard_normal(s, dtype=np.float32) * 0.05) for s in shapes]
    return images, labels, params


# --- MXNet's API (kiln and MXNet 1.9.1 run the same code) -----------------

def mx_conv2d_ms(mx, steps=5):
    nd = mx.nd
    x, w, b, dy = (nd.array(a) for a in conv2d_inputs())
    for array in (x, w, b):
        array.attach_grad()

    def step():
        with mx.autograd.record():
            y = nd.Convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=64)
        y.backward(dy)
        w.grad.wait_to_read()
        x.grad.wait_to_read()
        b.grad.wait_to_read()

    return per_call_us(step, steps, repeats=5) / 1e3


def mx_lenet_ms(mx, steps=20):
    nd = mx.nd
    images, labels, params = lenet_inputs()
    x, y = nd.array(images), nd.array(labels)
    params = [nd.array(p) for p in params]
    moments = [nd.zeros(p.shape) for p in params]
    for p in params:
        p.attach_grad()
    w1, b1, w2, b2, w3, b3, w4, b4 = params

    def step():
        with mx.autograd.record():
            h = nd.Convolution(x, w1, b1, kernel=(5, 5), num_filter=20)
            h = nd.Pooling(nd.relu(h), kernel=(2, 2), stride=(2, 2),
                           pool_type="max")
            h = nd.Convolution(h, w2, b2, kernel=(5, 5), num_filter=50)
            h = nd.Pooling(nd.relu(h), kernel=(2, 2), stride=(2, 2),
                           pool_type="max")
            h = nd.relu(nd.FullyConnected(h, w3, b3, num_hidden=500))
            logits = nd.FullyConnected(h, w4, b4, num_hidden=10)
            loss = -nd.pick(nd.log_softmax(logits), y).mean()
        loss.backward()
        for p, m in zip(params, moments):
            nd.sgd_mom_update(p, p.grad, m, out=p, lr=0.05, momentum=0.9)
        loss.asnumpy()

    return per_call_us(step, steps, repeats=5) / 1e3


# --- PyTorch 2 -------------------------------------------------------------

def torch_conv2d_ms(steps=5):
    import torch
    torch.set_num_threads(os.cpu_count())
    x, w, b, dy = (torch.from_numpy(a) for a in conv2d_inputs())
    for t in (x, w, b):
        t.requires_grad_(True)

    def step():
        x.grad = w.grad = b.grad = None
        torch.nn.functional.conv2d(x, w, b, padding=1).backward(dy)

    return per_call_us(step, steps, repeats=5) / 1e3


def torch_lenet_ms(steps=20):
    import torch
    torch.set_num_threads(os.cpu_count())
    images, labels, params = lenet_inputs()
    x = torch.from_numpy(images)
    y = torch.from_numpy(labels.astype(np.int64))
    params = [torch.from_numpy(p).requires_grad_(True) for p in params]
    optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    F = torch.nn.functional

    def step():
        optimizer.zero_grad(set_to_none=True)
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h = F.relu(F.linear(h.flatten(1), w3, b3))
        loss = F.cross_entropy(F.linear(h, w4, b4), y)
        loss.backward()
        optimizer.step()
        loss.item()

    return per_call_us(step, steps, repeats=5) / 1e3


BENCHES = {"conv2d": (mx_conv2d_ms, torch_conv2d_ms),
           "lenet_step": (mx_lenet_ms, torch_lenet_ms)}


def main():
    if sys.argv[1] in ("--mxnet", "--torch"):
        mx_bench, torch_bench = BENCHES[sys.argv[2]]
        if sys.argv[1] == "--mxnet":
            import mxnet as mx
            ms = mx_bench(mx)
        else:
            ms = torch_bench()
        print(json.dumps({"ms": ms}))
        return
    sys.path.insert(0, stage_kiln(sys.argv[1]))
    import kiln as mx
    for name in sys.argv[2:]:
        mx_bench, _ = BENCHES[name]
        kiln_ms = mx_bench(mx)
        for which, label in (("torch", "PyTorch 2"), ("mxnet", "MXNet 1.9.1")):
            figures = baseline_child(__file__, which, name)
            emit(name, kiln_ms, figures and figures["ms"], label, "ms")


if __name__ == "__main__":
    main()
