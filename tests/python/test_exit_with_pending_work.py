"""A script may end while operations it pushed are still running (its last
line a convolution, an optimizer step): the interpreter must exit cleanly.
kiln used to crash (SIGSEGV) or spin there, 2 runs in 3: the engine waited
for the work during C++ static teardown, after oneDNN's own statics were
gone."""
import os
import subprocess
import sys

SCRIPT = """
import kiln as mx
y = mx.nd.Convolution(mx.nd.ones((32, 64, 28, 28)), mx.nd.ones((64, 64, 3, 3)),
                      no_bias=True, kernel=(3, 3), num_filter=64)
z = mx.nd.dot(mx.nd.ones((256, 256)), mx.nd.ones((256, 256)))
"""


def test_exit_while_a_convolution_runs_is_clean():
    env = dict(os.environ)
    for attempt in range(4):
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (attempt, done.returncode, done.stderr)
        assert "kiln:" not in done.stderr, done.stderr
