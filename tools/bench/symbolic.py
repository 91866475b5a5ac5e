"""The symbolic API's benchmarks (issue #13) against MXNet 1.9.1, JSON lines.

    /usr/bin/python3 tools/bench/symbolic.py BAZEL_BIN NAME...

NAME:
  module_lenet_fit  mx.mod.Module.fit training MXNet's classic LeNet-5
                    (conv 5x5x20, tanh, max-pool 2, conv 5x5x50, tanh,
                    max-pool 2, fc 500, tanh, fc 10, SoftmaxOutput) for one
                    epoch of Fashion-MNIST (60000 images, 468 batches of
                    128, mx.io.MNISTIter, SGD lr 0.05 momentum 0.9, Xavier):
                    samples/s in the steady state, timed by a
                    batch_end_callback from the end of batch 20 to the end
                    of the epoch (so the first batches' kernel compilation
                    is left out). Test accuracy after the epoch goes to
                    stderr as a sanity check.
  graph_compile     ResNet-18 for CIFAR-size input (32x32, batch 32,
                    float32) forward + backward: seconds of simple_bind
                    plus the first forward(is_train=True) + backward() +
                    waitall (the parameters' initialization in between is
                    not counted), each in a new process: cold (an empty
                    kernel cache: KILN_CACHE_DIR a fresh directory) and
                    warm (the median of three processes over the disk
                    cache the cold one filled). The baseline is MXNet
                    1.9.1's bind + first step in a new process (it has no
                    kernel cache). graph_compile_*_overhead lines take
                    the fastest of two further steps off each figure (the
                    step's own run time, which no compiler removes; a
                    noisy difference, which also holds the first run's
                    own costs: first touch of new memory, oneDNN's
                    primitives made at their first call).
                    graph_compile_*_prepare lines are the compile time
                    proper: simple_bind plus the first forward and
                    backward calls until they return, with the step's
                    work pushed but not yet run (kiln: the capture,
                    kernels compiled or loaded from disk, memory
                    planning). The breakdown (bind, first step and its
                    calls, steady step, kernels compiled or loaded) goes
                    to stderr.
  graph_memory      the same ResNet-18 step's memory beyond the bound
                    arrays (arguments, their gradients, auxiliary states),
                    in a new process: kiln's planned arena plus the buffers
                    left outside it (the executor's _memory_stats; the
                    pooled allocator's peak over the step, which rounds the
                    arena to a power of two, goes to stderr); against (a) the sum
                    of all intermediate tensors: every operator's outputs
                    and, for backward, a gradient of each but the loss
                    head's, as if nothing were freed or reused; and (b)
                    MXNet 1.9.1's planned executor memory, the "Total N MB
                    allocated" line of exe.debug_str() after simple_bind
                    (its storage pool for intermediates, whole MiB;
                    oneDNN's reordered weights and TempSpace workspaces
                    are outside it). Both run with MXNET_BACKWARD_DO_MIRROR=0;
                    kiln's default plan recomputes BatchNormWithReLU outputs
                    in backward (one normalization kernel each) rather than
                    keeping them from the forward.
                    Peak-RSS growth over the step of both goes to stderr.
                    Lower is better: ratio = baseline / kiln.
  graph_memory_no_recompute
                    the same with KILN_BACKWARD_RECOMPUTE=0 in kiln (every
                    activation kept, as MXNet's default plan does), against
                    MXNet's default. Part of graph_memory.
  graph_memory_mirror
                    the same with MXNET_BACKWARD_DO_MIRROR=1 in both (kiln
                    then recomputes fused elementwise values and
                    BatchNormWithReLU outputs in backward instead of
                    keeping them), against MXNet 1.9.1 with the same
                    setting and against its default one. Part of
                    graph_memory (run by that name).

Every kiln figure comes from a child process running the optimized build
under BAZEL_BIN (staged as frontend.py does; `symbolic.py --kiln CHILD
DIR`), and every MXNet figure from the same code under MXNet 1.9.1 in a
child process of its venv (`symbolic.py --mxnet CHILD DIR`, through
frontend.baseline_child); a missing baseline is null. CHILD is
module_lenet_fit (DIR: the uncompressed Fashion-MNIST files) or graph (the
ResNet-18 step; DIR unused). The same functions build the symbols and run
the steps in both.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frontend import baseline_child, emit, stage_kiln  # noqa: E402

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
LENET_BATCH = 128
WARMUP_BATCHES = 20
RESNET_BATCH = 32
RESNET_INPUT = (RESNET_BATCH, 3, 32, 32)
WARM_RUNS = 3
STEADY_STEPS = 2


def emit_rate(bench, kiln, baseline, baseline_name, unit):
    """One JSON line for a figure where more is better (ratio = kiln /
    baseline); frontend.emit is for times, where less is."""
    print(json.dumps({"bench": bench, "kiln": round(kiln, 4),
                      "baseline": None if baseline is None else round(baseline, 4),
                      "baseline_name": baseline_name, "unit": unit,
                      "ratio": None if baseline is None else round(kiln / baseline, 3)}),
          flush=True)


def note(text):
    print("symbolic.py: " + text, file=sys.stderr, flush=True)


# --- The models, written once with MXNet's API ------------------------------

def lenet_symbol(mx):
    """MXNet's classic LeNet-5 (example/image-classification/symbols/
    lenet.py) for (N, 1, 28, 28) input and 10 classes."""
    sym = mx.sym
    h = sym.Variable("data")
    for filters in (20, 50):
        h = sym.Convolution(h, kernel=(5, 5), num_filter=filters)
        h = sym.Activation(h, act_type="tanh")
        h = sym.Pooling(h, pool_type="max", kernel=(2, 2), stride=(2, 2))
    h = sym.Activation(sym.FullyConnected(sym.flatten(h), num_hidden=500),
                       act_type="tanh")
    h = sym.FullyConnected(h, num_hidden=10)
    return sym.SoftmaxOutput(h, name="softmax")


def conv_bn(mx, x, name, filters, stride, kernel=3, relu=True):
    x = mx.sym.Convolution(x, name=name + "_conv", kernel=(kernel, kernel),
                           stride=(stride, stride),
                           pad=(kernel // 2, kernel // 2),
                           num_filter=filters, no_bias=True)
    x = mx.sym.BatchNorm(x, name=name + "_bn", fix_gamma=False, eps=1e-5,
                         momentum=0.9)
    return mx.sym.Activation(x, act_type="relu", name=name + "_relu") if relu else x


def resnet18_symbol(mx):
    """ResNet-18 for 32x32 input (CIFAR): a 3x3 conv-BN-relu stem, four
    stages of two basic blocks (64, 128, 256, 512 channels; stages 2-4
    start with stride 2 and a 1x1 conv-BN projection shortcut), global
    average pooling, FullyConnected(10), SoftmaxOutput."""
    x = conv_bn(mx, mx.sym.Variable("data"), "stem", 64, 1)
    for stage, filters in enumerate((64, 128, 256, 512)):
        for unit in range(2):
            name = "stage%d_unit%d" % (stage + 1, unit + 1)
            downsample = stage > 0 and unit == 0
            stride = 2 if downsample else 1
            h = conv_bn(mx, x, name + "_a", filters, stride)
            h = conv_bn(mx, h, name + "_b", filters, 1, relu=False)
            shortcut = (conv_bn(mx, x, name + "_proj", filters, stride,
                                kernel=1, relu=False) if downsample else x)
            x = mx.sym.Activation(h + shortcut, act_type="relu",
                                  name=name + "_out")
    x = mx.sym.Pooling(x, global_pool=True, pool_type="avg", kernel=(1, 1),
                       name="pool")
    x = mx.sym.FullyConnected(mx.sym.flatten(x), num_hidden=10, name="fc")
    return mx.sym.SoftmaxOutput(x, name="softmax")


# --- What each child process measures ---------------------------------------

def lenet_fit(mx, data_dir):
    """Module.fit for one epoch; samples/s after WARMUP_BATCHES batches,
    whole-epoch seconds and test accuracy."""
    mx.random.seed(0)
    np.random.seed(0)

    def mnist(prefix, shuffle):
        return mx.io.MNISTIter(
            image=os.path.join(data_dir, prefix + "-images-idx3-ubyte"),
            label=os.path.join(data_dir, prefix + "-labels-idx1-ubyte"),
            batch_size=LENET_BATCH, shuffle=shuffle, silent=True)

    train, test = mnist("train", True), mnist("t10k", False)
    module = mx.mod.Module(lenet_symbol(mx), context=mx.cpu())
    ends = []
    start = time.perf_counter()
    module.fit(train, num_epoch=1, optimizer="sgd",
               optimizer_params={"learning_rate": 0.05, "momentum": 0.9},
               initializer=mx.init.Xavier(),
               batch_end_callback=lambda _: ends.append(time.perf_counter()))
    epoch_s = time.perf_counter() - start
    steady = len(ends) - 1 - WARMUP_BATCHES
    return {"samples_per_s": LENET_BATCH * steady / (ends[-1] - ends[WARMUP_BATCHES]),
            "batches": len(ends), "epoch_s": epoch_s,
            "test_accuracy": dict(module.score(test, "acc"))["accuracy"]}


def initialize(mx, executor):
    """Deterministic data, labels, weights and statistics, the same in
    either framework."""
    rng = np.random.default_rng(0)
    for name, array in executor.arg_dict.items():
        if name == "data":
            array[:] = rng.standard_normal(array.shape).astype(np.float32)
        elif name == "softmax_label":
            array[:] = rng.integers(0, 10, array.shape).astype(np.float32)
        elif name.endswith("gamma"):
            array[:] = 1.0
        elif name.endswith("weight"):
            array[:] = (rng.standard_normal(array.shape) * 0.05).astype(np.float32)
    for name, array in executor.aux_dict.items():
        array[:] = 1.0 if name.endswith("var") else 0.0
    mx.nd.waitall()


def train_step(mx, executor):
    executor.forward(is_train=True)
    executor.backward()
    mx.nd.waitall()


def intermediate_bytes(mx, symbol):
    """Bytes of every operator output of `symbol` at RESNET_INPUT plus, for
    backward, a gradient of each but the loss head's: the memory with no
    freeing and no reuse, bound arrays excluded."""
    internals = symbol.get_internals()
    _, shapes, _ = internals.infer_shape(data=RESNET_INPUT)
    variables = set(symbol.list_inputs())
    forward = sum(4 * int(np.prod(shape)) for name, shape in
                  zip(internals.list_outputs(), shapes)
                  if name not in variables)
    head = 4 * int(np.prod(symbol.infer_shape(data=RESNET_INPUT)[1][0]))
    return 2 * forward - head


def peak_rss_bytes():
    """VmHWM of this process (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def resnet_step(mx, kiln):
    """Bind + first step of ResNet-18 in this (new) process: seconds, the
    fastest of STEADY_STEPS further steps' seconds, and the memory
    figures."""
    symbol = resnet18_symbol(mx)
    figures = {"intermediate_bytes": intermediate_bytes(mx, symbol)}
    start = time.perf_counter()
    executor = symbol.simple_bind(mx.cpu(), grad_req="write",
                                  data=RESNET_INPUT,
                                  softmax_label=(RESNET_BATCH,))
    figures["bind_s"] = time.perf_counter() - start
    initialize(mx, executor)
    rss_before = peak_rss_bytes()
    if kiln:
        before = mx._core.profiler.memory_stats()
    start = time.perf_counter()
    executor.forward(is_train=True)
    executor.backward()
    # Both calls return once the step's work is pushed to the engine: what
    # came before is preparing the graph (kiln: capture, kernels compiled
    # or loaded, memory planning), not running it.
    figures["first_step_calls_s"] = time.perf_counter() - start
    mx.nd.waitall()
    figures["first_step_s"] = time.perf_counter() - start
    figures["rss_growth_bytes"] = peak_rss_bytes() - rss_before
    if kiln:
        after = mx._core.profiler.memory_stats()
        figures["peak_bytes"] = after["peak_bytes_in_use"] - before["bytes_in_use"]
        # The peak never resets: one reached before the step hides the step's.
        figures["peak_is_the_steps"] = (after["peak_bytes_in_use"] >
                                        before["peak_bytes_in_use"])
        figures["pool_bytes"] = after["bytes_in_use"] + after["bytes_pooled"]
        figures["kernel_cache"] = mx._core.kernel_cache_stats()
        # What the executor's memory planner says, once it has one.
        plan = getattr(executor, "_memory_stats", None)
        figures["memory_plan"] = None if plan is None else str(plan)
        # The planned arena plus what stayed outside it (outputs, constants,
        # workspaces): the executable's memory beyond the bound arrays.
        figures["planned_memory_bytes"] = None if plan is None else (
            plan["arena_bytes"] + plan["unplanned_bytes"])
    else:
        totals = [line.split() for line in executor.debug_str().splitlines()
                  if line.startswith("Total") and line.endswith("MB allocated")]
        figures["planned_bytes"] = int(totals[0][1]) << 20 if totals else None
    steps = []
    for _ in range(STEADY_STEPS):
        start = time.perf_counter()
        train_step(mx, executor)
        steps.append(time.perf_counter() - start)
    figures["steady_step_s"] = min(steps)
    return figures


CHILD_BENCHES = {"module_lenet_fit": lambda mx, kiln, data_dir: lenet_fit(mx, data_dir),
                 "graph": lambda mx, kiln, data_dir: resnet_step(mx, kiln)}


def child(framework, name, data_dir):
    if framework == "--mxnet":
        import mxnet as mx
    else:
        import kiln as mx
    print(json.dumps(CHILD_BENCHES[name](mx, framework == "--kiln", data_dir)))


# --- The parent: runs the children and prints the lines ---------------------

def kiln_child(stage, name, data_dir, cache_dir=None):
    """The JSON object `symbolic.py --kiln NAME DATA_DIR` prints, run on
    the staged kiln in a new process (KILN_CACHE_DIR=cache_dir if given)."""
    env = dict(os.environ, PYTHONPATH=stage)
    if cache_dir is not None:
        env["KILN_CACHE_DIR"] = cache_dir
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--kiln",
                           name, data_dir], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        raise SystemExit("symbolic.py: the kiln child (%s) failed:\n%s"
                         % (name, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_module_lenet_fit(stage, work):
    data_dir = os.path.join(work, "fashion-mnist")
    os.mkdir(data_dir)
    for name in MNIST_FILES:  # MXNet's MNISTIter reads uncompressed files
        with gzip.open(os.path.join(FASHION_MNIST, name + ".gz")) as packed, \
                open(os.path.join(data_dir, name), "wb") as plain:
            shutil.copyfileobj(packed, plain)
    kiln = kiln_child(stage, "module_lenet_fit", data_dir)
    mxnet = baseline_child(__file__, "mxnet", "module_lenet_fit", data_dir)
    for label, figures in (("kiln", kiln), ("MXNet 1.9.1", mxnet)):
        if figures:
            note("module_lenet_fit: %s: %d batches, epoch %.1f s, test "
                 "accuracy %.4f" % (label, figures["batches"],
                                    figures["epoch_s"], figures["test_accuracy"]))
    emit_rate("module_lenet_fit", kiln["samples_per_s"],
              mxnet and mxnet["samples_per_s"], "MXNet 1.9.1", "samples/s")


def describe_step(label, figures):
    cache = figures.get("kernel_cache")
    note("graph_compile: %s: bind %.3f s, first step %.3f s (its forward "
         "and backward calls %.3f s), steady step %.3f s%s"
         % (label, figures["bind_s"], figures["first_step_s"],
            figures["first_step_calls_s"], figures["steady_step_s"],
                       "" if cache is None else
                       ", kernels compiled %d, loaded from disk %d"
                       % (cache["compilations"], cache["disk_hits"])))


def prepare_s(figures):
    """bind + the first forward and backward calls up to their return,
    before the step's work has run: the host time spent making the graph
    runnable (kiln: the capture, kernels compiled or loaded from the disk
    cache, memory planning; MXNet: its bind-time passes and pushes). The
    first run's own extra costs (first touch of new memory, oneDNN's
    primitives made at their first call) are not in it."""
    if figures is None:
        return None
    return figures["bind_s"] + figures["first_step_calls_s"]


def first_step_s(figures, overhead):
    """bind + first step; with `overhead`, less a steady step's time (what
    preparing the graph costs beyond running it once; noisy, a difference
    of two timings)."""
    if figures is None:
        return None
    total = figures["bind_s"] + figures["first_step_s"]
    return total - figures["steady_step_s"] if overhead else total


def bench_graph_compile(stage, work):
    cache_dir = os.path.join(work, "kernel-cache")
    os.mkdir(cache_dir)
    cold = kiln_child(stage, "graph", work, cache_dir)
    warm = sorted((kiln_child(stage, "graph", work, cache_dir)
                   for _ in range(WARM_RUNS)),
                  key=lambda figures: first_step_s(figures, False))
    mxnet = baseline_child(__file__, "mxnet", "graph", work)
    describe_step("kiln cold", cold)
    for figures in warm:
        describe_step("kiln warm", figures)
    if mxnet:
        describe_step("MXNet 1.9.1", mxnet)
    note("graph_compile: goals (for the whole-graph compiler): cold <= 2 s, "
         "from the disk cache <= 0.05 s")
    median = warm[len(warm) // 2]
    warm_prepare = sorted(prepare_s(figures) for figures in warm)
    baseline = prepare_s(mxnet)
    emit("graph_compile_cold_prepare", prepare_s(cold), baseline,
         "MXNet 1.9.1 bind + first step's calls", "s")
    emit("graph_compile_warm_prepare", warm_prepare[len(warm_prepare) // 2],
         baseline, "MXNet 1.9.1 bind + first step's calls", "s")
    for overhead, suffix, label in (
            (False, "", "MXNet 1.9.1 bind + first step"),
            (True, "_overhead", "MXNet 1.9.1 bind + first step - steady step")):
        baseline = first_step_s(mxnet, overhead)
        emit("graph_compile_cold" + suffix, first_step_s(cold, overhead),
             baseline, label, "s")
        emit("graph_compile_warm" + suffix, first_step_s(median, overhead),
             baseline, label, "s")


def memory_children(stage, work, mirror, recompute="1", with_mxnet=True):
    """The graph children of kiln and MXNet with MXNET_BACKWARD_DO_MIRROR
    set to `mirror` ("0" or "1") in both and KILN_BACKWARD_RECOMPUTE to
    `recompute` in kiln's; MXNet's is None without `with_mxnet`."""
    settings = {"MXNET_BACKWARD_DO_MIRROR": mirror,
                "KILN_BACKWARD_RECOMPUTE": recompute}
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        cache_dir = os.path.join(work, "kernel-cache-memory")
        os.makedirs(cache_dir, exist_ok=True)
        return (kiln_child(stage, "graph", work, cache_dir),
                baseline_child(__file__, "mxnet", "graph", work)
                if with_mxnet else None)
    finally:
        for name, value in previous.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def bench_graph_memory(stage, work):
    mib = float(1 << 20)
    mxnet_default = None
    # kiln's default plan recomputes BatchNormWithReLU outputs in backward;
    # graph_memory_no_recompute keeps every activation (as MXNet's default).
    for mirror, recompute, bench in (
            ("0", "1", "graph_memory"),
            ("0", "0", "graph_memory_no_recompute"),
            ("1", "1", "graph_memory_mirror")):
        kiln, mxnet = memory_children(stage, work, mirror, recompute,
                                      with_mxnet=recompute == "1")
        label = ("%s (MXNET_BACKWARD_DO_MIRROR=%s, KILN_BACKWARD_RECOMPUTE=%s)"
                 % (bench, mirror, recompute))
        if not kiln["peak_is_the_steps"]:
            note("%s: kiln's peak was reached before the step; the figure "
                 "is an upper bound" % label)
        note("%s: kiln: pool (in use + pooled) %.1f MiB after the step, "
             "peak-RSS growth over the step %.1f MiB"
             % (label, kiln["pool_bytes"] / mib,
                kiln["rss_growth_bytes"] / mib))
        if kiln.get("memory_plan") is not None:
            note("%s: kiln's executor plan: %s" % (label, kiln["memory_plan"]))
        if mxnet:
            note("%s: MXNet 1.9.1: peak-RSS growth over the step %.1f MiB"
                 % (label, mxnet["rss_growth_bytes"] / mib))
            if mxnet["intermediate_bytes"] != kiln["intermediate_bytes"]:
                note("%s: MXNet's shapes give %d intermediate bytes, kiln's %d"
                     % (label, mxnet["intermediate_bytes"],
                        kiln["intermediate_bytes"]))
        # kiln's figure: the executable's planned arena and what stayed
        # outside it; the pool's peak (which rounds the arena up to a power
        # of two) goes to stderr.
        note("%s: kiln: the pool's peak over the bound arrays %.1f MiB"
             % (label, kiln["peak_bytes"] / mib))
        figure = kiln.get("planned_memory_bytes") or kiln["peak_bytes"]
        planned = mxnet and mxnet["planned_bytes"]
        planned = None if planned is None else planned / mib
        if bench == "graph_memory":
            mxnet_default = planned
            emit(bench, figure / mib, kiln["intermediate_bytes"] / mib,
                 "sum of all intermediate tensors, forward and backward",
                 "MiB")
            emit(bench, figure / mib, planned,
                 "MXNet 1.9.1 executor (debug_str 'Total MB allocated')",
                 "MiB")
        elif bench == "graph_memory_no_recompute":
            emit(bench, figure / mib, mxnet_default,
                 "MXNet 1.9.1 executor, default settings", "MiB")
        else:
            emit(bench, figure / mib, planned,
                 "MXNet 1.9.1 executor, MXNET_BACKWARD_DO_MIRROR=1", "MiB")
            emit(bench, figure / mib, mxnet_default,
                 "MXNet 1.9.1 executor, default settings", "MiB")


BENCHES = {"module_lenet_fit": bench_module_lenet_fit,
           "graph_compile": bench_graph_compile,
           "graph_memory": bench_graph_memory}


def main():
    if sys.argv[1] in ("--mxnet", "--kiln"):
        child(*sys.argv[1:4])
        return
    stage = stage_kiln(sys.argv[1])
    for name in sys.argv[2:] or list(BENCHES):
        work = tempfile.mkdtemp(prefix="kiln-bench-symbolic-")
        try:
            BENCHES[name](stage, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
