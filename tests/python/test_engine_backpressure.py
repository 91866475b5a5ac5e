"""The engine's backpressure by memory (runtime/Engine.cpp): eager ops
allocate their outputs when pushed, so a loop that never waits held every
queued op's output at once (a new-user trial: 600 ops on 4 MB arrays, 2.2 GB
of RSS and 2.5 s for a burst MXNet ran in 0.3 GB). Past 256 MiB held by
queued ops (more than 2 of them) the pushing thread now waits for them to
drain."""
import numpy as np

import kiln as mx

MIB = 1 << 20


_BURST = r"""
import numpy as np
import kiln as mx
from kiln import _core
a = mx.nd.array(np.random.default_rng(0).random(1 << 20, dtype=np.float32))
mx.nd.waitall()
before = _core.profiler.memory_stats()["bytes_in_use"]
results = []
for _ in range(30):
    x = a
    for _ in range(10):  # 4 MB outputs, 300 ops, 1.2 GB if all held
        x = mx.nd.sigmoid(x) * 1.1 + 0.1
    results.append(x)
mx.nd.waitall()
want = a.asnumpy()
for _ in range(10):
    want = 1 / (1 + np.exp(-want)) * np.float32(1.1) + np.float32(0.1)
np.testing.assert_allclose(results[-1].asnumpy(), want, rtol=1e-5)
print(_core.profiler.memory_stats()["peak_bytes_in_use"] - before)
"""


def run_child(script):
    """stdout of `script` in a new process (the pool's peak never resets)."""
    import os
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", script],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_burst_of_queued_ops_holds_bounded_memory():
    # The kept results (120 MB) plus what the queue may hold.
    grown = int(run_child(_BURST)[-1])
    assert grown < 700 * MIB, grown / MIB


def test_one_large_op_never_waits_on_itself():
    # A single op holding more than the limit runs (few ops in flight).
    big = mx.nd.ones((80 * MIB,), dtype="float32")  # 320 MB
    out = big * 2
    assert float(out[-1].asscalar()) == 2.0


_GIL_SCENARIO = r"""
import numpy as np
import kiln as mx
x0 = mx.nd.ones((1 << 23,))  # 32 MiB
x0.attach_grad()
with mx.autograd.record():
    h = x0
    for _ in range(14):
        h = h * 1.01
    loss = h.sum()
mx.nd.waitall()
keep = []
for _ in range(2):
    a = np.random.rand(1024, 1024).astype(np.float32)
    x = mx.nd.from_dlpack(a)
    del a
    keep.append(mx.nd.dot(x, x))
    del x  # numpy's memory is freed (with the GIL) by the worker that ran dot
loss.backward()  # one C++ call pushing many 32 MiB ops, holding the GIL
mx.nd.waitall()
print(float(x0.grad[0].asscalar()))
"""


def test_a_push_waiting_for_backpressure_lets_go_of_the_gil():
    # A break-it trial's deadlock: backward() held the GIL while it waited
    # for the queue to drain, and the workers waited for the GIL to free
    # numpy-owned memory imported through DLPack.
    np.testing.assert_allclose(float(run_child(_GIL_SCENARIO)[-1]),
                               1.01 ** 14, rtol=1e-5)


_HUGE_CHAIN = r"""
import kiln as mx
from kiln import _core
big = mx.nd.zeros((32 << 20,))  # 128 MiB
mx.nd.waitall()
before = _core.profiler.memory_stats()["bytes_in_use"]
for _ in range(6):
    big = big + 1
mx.nd.waitall()
print(_core.profiler.memory_stats()["peak_bytes_in_use"] - before,
      float(big[0].asscalar()))
"""


def test_a_chain_of_huge_ops_holds_few_at_once():
    # Six 128 MiB adds pushed without waiting: with more than two in flight
    # the pusher waits, so at most three ops hold their input and output
    # (four arrays) besides the first (a break-it trial: six 512 MiB adds
    # held all six, 3.7 GB). In a new process: the pool's peak never resets.
    grown, value = run_child(_HUGE_CHAIN)
    assert int(grown) < 5.5 * 128 * MIB, int(grown) / MIB  # Old: 6 and more.
    assert float(value) == 6.0
