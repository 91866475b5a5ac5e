"""_core.background_compiles(): kernels missed inside the block compile on
background threads while the block goes on (KernelCache::AsyncScope), as a
hybridized block's first call and autograd's backward use it. Each case
runs in a new process with an empty kernel cache, so its kernels are
misses."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap

import kiln as mx

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(mx.__file__)))


def run_fresh(code):
    """Runs `code` in a new process over an empty kernel cache; returns
    the JSON object it prints last."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, KILN_CACHE_DIR=cache,
                   PYTHONPATH=PACKAGE + os.pathsep +
                   os.environ.get("PYTHONPATH", ""))
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


PROGRAM = """
    import json
    import numpy as np
    import kiln as mx
    x = mx.nd.array(np.linspace(-2, 2, 12).reshape(3, 4))
    def program():
        a = mx.nd.exp(x) * 3
        b = mx.nd.tanh(a - 1)
        c = mx.nd.sum(b * b, axis=1)
        d = mx.nd.dot(b, b, transpose_b=True)
        return [a, b, c, d]
"""


def test_results_equal_compiling_in_the_caller():
    got = run_fresh(PROGRAM + """
    with mx._core.background_compiles():
        values = program()
    background = mx._core.kernel_cache_stats()["background_compilations"]
    again = program()
    print(json.dumps({"background": background,
                      "same": all(np.array_equal(v.asnumpy(), w.asnumpy())
                                  for v, w in zip(values, again))}))
    """)
    assert got["background"] >= 4, got
    assert got["same"]


def test_outside_the_block_compiles_in_the_caller():
    got = run_fresh(PROGRAM + """
    program()
    mx.nd.waitall()
    print(json.dumps(mx._core.kernel_cache_stats()))
    """)
    assert got["compilations"] >= 4
    assert got["background_compilations"] == 0


def test_a_hybridized_blocks_first_call_and_backward_compile_in_background():
    got = run_fresh("""
    import json
    import numpy as np
    import kiln as mx
    from kiln import autograd, gluon
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation="tanh"), gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(0).rand(5, 4))
    x.attach_grad()
    with autograd.record():
        y = net(x)  # The first recorded call: op by op.
    forward = mx._core.kernel_cache_stats()["background_compilations"]
    y.backward()
    backward = mx._core.kernel_cache_stats()["background_compilations"]
    first = x.grad.asnumpy()
    with autograd.record():
        y = net(x)  # The second: the captured executor.
    y.backward()
    print(json.dumps({"forward": forward, "backward": backward - forward,
                      "same": bool(np.allclose(first, x.grad.asnumpy(),
                                               rtol=1e-5, atol=1e-6))}))
    """)
    assert got["forward"] > 0, got
    assert got["backward"] > 0, got
    assert got["same"]


def test_the_blocks_own_error_wins_and_the_scope_ends():
    got = run_fresh("""
    import json
    import kiln as mx
    caught = None
    try:
        with mx._core.background_compiles():
            mx.nd.exp(mx.nd.ones((2, 2)))
            raise KeyError("mine")
    except KeyError as error:
        caught = str(error)
    # The scope is gone: new kernels compile in the caller again.
    before = mx._core.kernel_cache_stats()["background_compilations"]
    mx.nd.log(mx.nd.ones((2, 2))).asnumpy()
    after = mx._core.kernel_cache_stats()["background_compilations"]
    scope = mx._core.background_compiles()
    with scope:
        try:
            with scope:
                pass
            entered_twice = None
        except mx.MXNetError as error:
            entered_twice = str(error)
    print(json.dumps({"caught": caught, "after_scope": after - before,
                      "entered_twice": entered_twice}))
    """)
    assert got["caught"] == "'mine'"
    assert got["after_scope"] == 0
    assert "already entered" in got["entered_twice"]
