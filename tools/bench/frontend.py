"""The Python frontend's benchmarks against PyTorch 2 and numpy, one JSON
line each.

    /usr/bin/python3 tools/bench/frontend.py BAZEL_BIN NAME...

NAME: dispatch (time per small op: `a + b` on 10 floats, and a 10-op
expression, kiln vs PyTorch and numpy), mlp_step (one training step of the
main job's MLP, batch 256, Adam, kiln vs the same model in PyTorch).
kiln is the optimized build under BAZEL_BIN, staged beside its sources, run
with Debian's python3 and numpy. PyTorch is the current PyTorch 2 from PyPI
in its own venv (tools/setup/install-torch-baseline.sh; KILN_TORCH_PYTHON
names its interpreter), run in a child process right after kiln's figures
(`frontend.py --torch NAME` there), with every core; without it the
PyTorch baselines are null.
"""
import json
import os
import subprocess
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
            # Modules and subpackages (kiln.ndarray is a package).
            path = os.path.join(source, name)
            if name.endswith(".py") or (os.path.isdir(path) and name != "__pycache__"):
                os.symlink(path, os.path.join(stage, package, name))
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
    repeat ending with sync() (kiln's ops are asynchronous), after one
    untimed repeat of warm-up: the first calls of each framework compile
    or create kernels (kiln's oneDNN plans are made per thread count, so
    a convolution's first few calls on a 2-core VM made LeNet's first
    repeats 15-60% slower than its steady state)."""
    for _ in range(calls):
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


def dispatch_inputs():
    rng = np.random.default_rng(0)
    return (rng.random(10, dtype=np.float32), rng.random(10, dtype=np.float32) + 1,
            rng.random(10, dtype=np.float32))


def torch_dispatch(torch):
    ta, tb, tc = (torch.from_numpy(v.copy()) for v in dispatch_inputs())
    return {"add": per_call_us(lambda: ta + tb, 20000),
            "expr": per_call_us(lambda: expression(ta, tb, tc), 2000)}


def mlp_inputs(batch=256):
    rng = np.random.default_rng(0)
    images = rng.random((batch, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=batch).astype(np.float32)
    return images, labels


def torch_mlp_step(torch, steps=60):
    images, labels = mlp_inputs()
    torch.manual_seed(0)
    layers = []
    sizes = (784, 256, 128, 10)
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers.append(torch.nn.Linear(fan_in, fan_out))
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1],
                                torch.nn.ReLU(), layers[2])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    tx = torch.from_numpy(images)
    ty = torch.from_numpy(labels.astype(np.int64))

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(tx), ty)
        loss.backward()
        optimizer.step()
        loss.item()

    return {"ms": per_call_us(step, steps) / 1e3}


TORCH_BENCHES = {"dispatch": torch_dispatch, "mlp_step": torch_mlp_step}


# The baselines run in venvs of their own: the environment variable naming
# the interpreter, the default venv, a label and the script that installs it.
BASELINES = {
    "torch": ("KILN_TORCH_PYTHON", "~/.cache/kiln/venvs/torch", "PyTorch 2",
              "install-torch-baseline.sh"),
    "mxnet": ("KILN_MXNET_PYTHON", "~/.cache/kiln/venvs/mxnet-1.9.1",
              "MXNet 1.9.1", "install-mxnet-baseline.sh"),
}


def baseline_child(script, baseline, *args):
    """The JSON object that `script --BASELINE ARGS...` prints last, run by
    that baseline's venv (torch: KILN_TORCH_PYTHON, else
    ~/.cache/kiln/venvs/torch; mxnet: KILN_MXNET_PYTHON, else
    ~/.cache/kiln/venvs/mxnet-1.9.1) in a child process, so that its numpy
    and libraries stay out of kiln's; None, said on stderr, when the venv is
    missing or the run fails."""
    variable, venv, label, installer = BASELINES[baseline]
    python = os.environ.get(variable) or os.path.join(
        os.path.expanduser(venv), "bin", "python")
    name = os.path.basename(script)
    if not os.path.exists(python):
        print("%s: %s is unavailable (tools/setup/%s installs it); its "
              "baselines are null" % (name, label, installer), file=sys.stderr)
        return None
    env = dict(os.environ)
    if baseline == "mxnet":
        env.pop("PYTHONPATH", None)  # kiln's mxnet alias must not shadow it
    done = subprocess.run([python, os.path.abspath(script), "--" + baseline] +
                          list(args), capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print("%s: the %s baseline failed:\n%s" % (name, label, done.stderr),
              file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_child(script, *args):
    """baseline_child for PyTorch 2: `script --torch ARGS...`."""
    return baseline_child(script, "torch", *args)


def torch_figures(name):
    """The PyTorch side of benchmark `name` (`frontend.py --torch NAME`);
    None when that venv is missing."""
    return torch_child(__file__, name)


def bench_dispatch(mx):
    x, y, z = dispatch_inputs()
    ka, kb, kc = mx.nd.array(x), mx.nd.array(y), mx.nd.array(z)
    kiln_add = per_call_us(lambda: ka + kb, 20000, mx.nd.waitall)
    kiln_expr = per_call_us(lambda: expression(ka, kb, kc), 2000, mx.nd.waitall)
    numpy_add = per_call_us(lambda: x + y, 20000)
    numpy_expr = per_call_us(lambda: expression(x, y, z), 2000)
    torch = torch_figures("dispatch")
    torch_add = torch and torch["add"]
    torch_expr = torch and torch["expr"]
    emit("dispatch_add", kiln_add, torch_add, "pytorch", "us/op")
    emit("dispatch_expr10", kiln_expr, torch_expr, "pytorch", "us/expr")
    emit("dispatch_add_numpy", kiln_add, numpy_add, "numpy", "us/op")
    emit("dispatch_expr10_numpy", kiln_expr, numpy_expr, "numpy", "us/expr")


def bench_mlp_step(mx, steps=60):
    sys.path.insert(0, os.path.join(TOP, "tools", "train"))
    import fashion_mnist_mlp as job
    job.mx = mx
    images, labels = mlp_inputs()
    model = job.MLP()
    x, y = mx.nd.array(images), mx.nd.array(labels)

    def kiln_step():
        loss, _ = job.train_step(model, x, y, 1e-3)
        loss.asscalar()

    kiln_ms = per_call_us(kiln_step, steps) / 1e3
    torch = torch_figures("mlp_step")
    torch_ms = torch and torch["ms"]
    emit("mlp_step", kiln_ms, torch_ms, "pytorch", "ms/step")


def main():
    if sys.argv[1] == "--torch":
        # The child process: PyTorch's side only, with every core.
        import torch
        torch.set_num_threads(os.cpu_count())
        print(json.dumps(TORCH_BENCHES[sys.argv[2]](torch)))
        return
    bazel_bin, names = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, stage_kiln(bazel_bin))
    import kiln as mx
    for name in names:
        {"dispatch": bench_dispatch, "mlp_step": bench_mlp_step}[name](mx)


if __name__ == "__main__":
    main()
