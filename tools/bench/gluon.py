"""Gluon benchmarks (issue #14) against MXNet 1.9.1 and PyTorch 2, JSON lines.

    /usr/bin/python3 tools/bench/gluon.py BAZEL_BIN NAME...

NAME:
  gluon_cnn_step        one training step of the main job's CNN
                        (tools/train/fashion_mnist.py: conv 3x3x32 -
                        BatchNorm - relu - max-pool 2, the same with 64
                        channels, Dense 256 relu, Dropout 0.3, Dense 10) on
                        a batch of 128 1x28x28 float32 images: forward,
                        softmax cross-entropy, backward, Trainer.step (Adam,
                        lr 0.001), hybridized with static_alloc=True,
                        static_shape=True; samples/s as below. Baselines:
                        the same Gluon code under MXNet 1.9.1 and the same
                        network by hand in PyTorch 2 eager (Adam).
  resnet18_cifar_step   one training step of the model zoo's
                        resnet18_v1(classes=10) (ImageNet stem: 7x7/2
                        convolution and 3x3/2 max pooling, four stages of
                        two basic blocks, global pooling, Dense) on a batch
                        of 32 32x32 float32 images: forward, softmax
                        cross-entropy, backward, Trainer.step (SGD, lr
                        0.05, momentum 0.9), hybridized with
                        static_alloc=True, static_shape=True; samples/s,
                        the median of 5 runs of 10 steps each ending with
                        waitall. Baselines: the same Gluon code under MXNet
                        1.9.1 (hybridized the same way) and the same network
                        written by hand in PyTorch 2, eager (torchvision is
                        not needed), both with every core. More is better.
  hybridize_first_step  seconds from hybridize() to the end of the first
                        such training step (waitall), the network built
                        and its parameters initialized before (infer_shape
                        then initialize, so no deferred initialization is
                        timed), each in a new process: cold (KILN_CACHE_DIR
                        a fresh directory) and warm (the median of three
                        processes over the cache the cold one filled).
                        Baseline: MXNet 1.9.1's same time in a new process.
                        The kernel cache's compilations and disk hits and
                        a steady step go to stderr. Less is better.

kiln is the optimized build under BAZEL_BIN, staged as frontend.py does,
and runs in child processes (`gluon.py --kiln NAME`); MXNet and PyTorch run
in their venvs' children (`gluon.py --mxnet|--torch NAME`, through
frontend.baseline_child). A missing baseline is null.
"""
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frontend import baseline_child, emit, per_call_us, stage_kiln  # noqa: E402
from symbolic import emit_rate  # noqa: E402

BATCH = 32
INPUT = (BATCH, 3, 32, 32)
CLASSES = 10
STEPS = 10
REPEATS = 5
WARM_RUNS = 3


def note(text):
    print("gluon.py: " + text, file=sys.stderr, flush=True)


CNN_BATCH = 128
CNN_INPUT = (CNN_BATCH, 1, 28, 28)


def batch(shape=INPUT):
    """The same images and labels in every framework."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal(shape, dtype=np.float32)
    labels = rng.integers(0, CLASSES, shape[0])
    return images, labels


# --- The Gluon code, the same under kiln and MXNet --------------------------

def gluon_setup(mx):
    """The model zoo's ResNet-18 v1, initialized (shapes inferred first, so
    nothing is left to deferred initialization), its loss, Trainer and
    batch; not hybridized yet."""
    vision = importlib.import_module(mx.__name__ + ".gluon.model_zoo.vision")
    mx.random.seed(0)
    images, labels = batch()
    x = mx.nd.array(images)
    y = mx.nd.array(labels.astype(np.float32))
    net = vision.resnet18_v1(classes=CLASSES)
    net.infer_shape(x)
    net.initialize(mx.init.Xavier())
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": 0.05, "momentum": 0.9})
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()

    def step():
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(BATCH)

    mx.nd.waitall()
    return net, step


def main_job_cnn(mx):
    """tools/train/fashion_mnist.py's cnn(), written out here so that the
    benchmark does not import the main job."""
    nn = mx.gluon.nn
    net = nn.HybridSequential(prefix="cnn_")
    with net.name_scope():
        for channels in (32, 64):
            net.add(nn.Conv2D(channels, 3, padding=1, use_bias=False),
                    nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2))
        net.add(nn.Flatten(), nn.Dense(256, activation="relu"),
                nn.Dropout(0.3), nn.Dense(10))
    return net


def gluon_cnn_step_rate(mx):
    """Samples/s of the main job's hybridized training step."""
    mx.random.seed(0)
    images, labels = batch(CNN_INPUT)
    x = mx.nd.array(images)
    y = mx.nd.array(labels.astype(np.float32))
    net = main_job_cnn(mx)
    net.initialize(mx.init.Xavier())
    net(x)  # deferred initialization, outside the timing
    trainer = mx.gluon.Trainer(net.collect_params(), "adam",
                               {"learning_rate": 0.001})
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    hybridize(net)

    def step():
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(CNN_BATCH)

    us = per_call_us(step, STEPS, sync=mx.nd.waitall, repeats=REPEATS)
    return {"samples_per_s": CNN_BATCH / (us / 1e6)}


def hybridize(net):
    net.hybridize(static_alloc=True, static_shape=True)


def gluon_step_rate(mx):
    """Samples/s of the hybridized training step."""
    net, step = gluon_setup(mx)
    hybridize(net)
    us = per_call_us(step, STEPS, sync=mx.nd.waitall, repeats=REPEATS)
    return {"samples_per_s": BATCH / (us / 1e6)}


def gluon_first_step(mx):
    """Seconds from hybridize() to the end of the first step, and the
    fastest of two further steps."""
    net, step = gluon_setup(mx)
    start = time.perf_counter()
    hybridize(net)
    step()
    mx.nd.waitall()
    figures = {"first_step_s": time.perf_counter() - start}
    steps = []
    for _ in range(2):
        start = time.perf_counter()
        step()
        mx.nd.waitall()
        steps.append(time.perf_counter() - start)
    figures["steady_step_s"] = min(steps)
    stats = getattr(getattr(mx, "_core", None), "kernel_cache_stats", None)
    if stats is not None:
        figures["kernel_cache"] = stats()
    return figures


# --- PyTorch 2, eager: the same network by hand -----------------------------

def torch_resnet18(torch):
    """ResNet-18 v1 as the model zoo's: conv-BN pairs without conv bias,
    projection shortcuts (1x1 conv + BN) where the shape changes."""
    nn = torch.nn

    def conv_bn(cin, cout, kernel, stride):
        return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
                nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]

    class Basic(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(*conv_bn(cin, cout, 3, stride),
                                      nn.ReLU(), *conv_bn(cout, cout, 3, 1))
            self.shortcut = (nn.Sequential(*conv_bn(cin, cout, 1, stride))
                             if cin != cout else nn.Identity())

        def forward(self, x):
            return torch.relu(self.body(x) + self.shortcut(x))

    layers = conv_bn(3, 64, 7, 2) + [nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for stage, cout in enumerate((64, 128, 256, 512)):
        layers += [Basic(cin, cout, 1 if stage == 0 else 2),
                   Basic(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, CLASSES)]
    return nn.Sequential(*layers)


def torch_cnn(torch):
    """main_job_cnn in PyTorch."""
    nn = torch.nn
    layers = []
    cin = 1
    for channels in (32, 64):
        layers += [nn.Conv2d(cin, channels, 3, padding=1, bias=False),
                   nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1),
                   nn.ReLU(), nn.MaxPool2d(2)]
        cin = channels
    layers += [nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(),
               nn.Dropout(0.3), nn.Linear(256, CLASSES)]
    return nn.Sequential(*layers)


def torch_step_rate(name):
    import torch
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    cnn = name == "gluon_cnn_step"
    images, labels = batch(CNN_INPUT if cnn else INPUT)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    net = (torch_cnn(torch) if cnn else torch_resnet18(torch)).train()
    optimizer = (torch.optim.Adam(net.parameters(), lr=0.001) if cnn else
                 torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        optimizer.step()

    us = per_call_us(step, STEPS, repeats=REPEATS)
    return {"samples_per_s": x.shape[0] / (us / 1e6)}


CHILDREN = {"gluon_cnn_step": gluon_cnn_step_rate,
            "resnet18_cifar_step": gluon_step_rate,
            "hybridize_first_step": gluon_first_step}


def child(framework, name):
    if framework == "--torch":
        figures = torch_step_rate(name)
    else:
        if framework == "--mxnet":
            import mxnet as mx
        else:
            import kiln as mx
            importlib.import_module("kiln.gluon.model_zoo.vision")
        figures = CHILDREN[name](mx)
    print(json.dumps(figures))


# --- The parent --------------------------------------------------------------

def kiln_child(stage, name, cache_dir=None):
    """What `gluon.py --kiln NAME` prints, run on the staged kiln in a new
    process (KILN_CACHE_DIR=cache_dir if given)."""
    env = dict(os.environ, PYTHONPATH=stage)
    if cache_dir is not None:
        env["KILN_CACHE_DIR"] = cache_dir
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--kiln",
                           name], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit("gluon.py: the kiln child (%s) failed:\n%s"
                         % (name, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_step_rate(name):
    """A step-rate benchmark against MXNet hybridized and PyTorch eager."""
    return lambda stage, work: step_rate(stage, name)


def step_rate(stage, name):
    kiln = kiln_child(stage, name)
    for which, label in (("mxnet", "MXNet 1.9.1 hybridized"),
                         ("torch", "PyTorch 2 eager")):
        figures = baseline_child(__file__, which, name)
        emit_rate(name, kiln["samples_per_s"],
                  figures and figures["samples_per_s"], label, "samples/s")


def describe(label, figures):
    cache = figures.get("kernel_cache")
    note("hybridize_first_step: %s: first step %.3f s, steady step %.3f s%s"
         % (label, figures["first_step_s"], figures["steady_step_s"],
            "" if cache is None else
            ", kernels compiled %d, loaded from disk %d"
            % (cache["compilations"], cache["disk_hits"])))


def bench_hybridize_first_step(stage, work):
    name = "hybridize_first_step"
    cache_dir = os.path.join(work, "cache")
    os.mkdir(cache_dir)
    cold = kiln_child(stage, name, cache_dir)
    warm = sorted((kiln_child(stage, name, cache_dir)
                   for _ in range(WARM_RUNS)),
                  key=lambda figures: figures["first_step_s"])
    mxnet = baseline_child(__file__, "mxnet", name)
    describe("kiln cold", cold)
    for figures in warm:
        describe("kiln warm", figures)
    if mxnet:
        describe("MXNet 1.9.1", mxnet)
    baseline = mxnet and mxnet["first_step_s"]
    label = "MXNet 1.9.1 hybridize + first step"
    emit(name + "_cold", cold["first_step_s"], baseline, label, "s")
    emit(name + "_warm", warm[len(warm) // 2]["first_step_s"], baseline,
         label, "s")


BENCHES = {"gluon_cnn_step": bench_step_rate("gluon_cnn_step"),
           "resnet18_cifar_step": bench_step_rate("resnet18_cifar_step"),
           "hybridize_first_step": bench_hybridize_first_step}


def main():
    if sys.argv[1] in ("--mxnet", "--torch", "--kiln"):
        child(*sys.argv[1:3])
        return
    stage = stage_kiln(sys.argv[1])
    for name in sys.argv[2:] or list(BENCHES):
        with tempfile.TemporaryDirectory(prefix="kiln-bench-gluon-") as work:
            BENCHES[name](stage, work)


if __name__ == "__main__":
    main()
