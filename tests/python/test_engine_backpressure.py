"""The engine's backpressure by memory (runtime/Engine.cpp): eager ops
allocate their outputs when pushed, so a loop that never waits held every
queued op's output at once (a new-user trial: 600 ops on 4 MB arrays, 2.2 GB
of RSS and 2.5 s for a burst MXNet ran in 0.3 GB). Past 256 MiB held by
queued ops the pushing thread now waits for them to drain."""
import numpy as np

import kiln as mx
from kiln import _core

MIB = 1 << 20


def test_a_burst_of_queued_ops_holds_bounded_memory():
    a = mx.nd.array(np.random.default_rng(0).random(1 << 20,
                                                    dtype=np.float32))
    mx.nd.waitall()
    before = _core.profiler.memory_stats()
    results = []
    for _ in range(30):
        x = a
        for _ in range(10):  # 4 MB outputs, 300 ops, 1.2 GB if all held
            x = mx.nd.sigmoid(x) * 1.1 + 0.1
        results.append(x)
    mx.nd.waitall()
    after = _core.profiler.memory_stats()
    # The kept results (120 MB) plus what the queue may hold.
    grown = after["peak_bytes_in_use"] - before["bytes_in_use"]
    assert grown < 700 * MIB, grown / MIB
    want = a.asnumpy()
    for _ in range(10):
        want = 1 / (1 + np.exp(-want)) * np.float32(1.1) + np.float32(0.1)
    np.testing.assert_allclose(results[-1].asnumpy(), want, rtol=1e-5)


def test_one_large_op_never_waits_on_itself():
    # A single op holding more than the limit runs (few ops in flight).
    big = mx.nd.ones((80 * MIB,), dtype="float32")  # 320 MB
    out = big * 2
    assert float(out[-1].asscalar()) == 2.0
