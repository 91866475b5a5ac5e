"""Runs code under the real Apache MXNet 1.9.1, the behaviour kiln matches.

The oracle is the venv that tools/setup/install-mxnet-baseline.sh makes
(``~/.cache/kiln/venvs/mxnet-1.9.1``, or the interpreter named by
``KILN_MXNET_PYTHON``). Tests that compare against it are marked
``@requires_oracle`` and skip, saying why, where it is missing.

    from mxnet_oracle import requires_oracle, run_mxnet

    @requires_oracle
    def test_relu():
        x = np.random.randn(3, 4).astype(np.float32)
        got = run_mxnet('''
            a = mx.nd.array(inputs["x"])
            outputs["y"] = mx.nd.relu(a).asnumpy()
        ''', x=x)
        np.testing.assert_allclose(mx.nd.relu(mx.nd.array(x)).asnumpy(),
                                   got["y"], rtol=1e-5)

The snippet sees ``mx``, ``np``, ``inputs`` (the keyword arrays) and fills
``outputs`` with numpy arrays. One process starts per call (MXNet takes about
a second to import), so put many cases into one call where a test can.
"""
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest

ORACLE_PYTHON = os.environ.get(
    "KILN_MXNET_PYTHON",
    os.path.join(os.path.expanduser("~"), ".cache", "kiln", "venvs",
                 "mxnet-1.9.1", "bin", "python"))


def oracle_available():
    """Whether the MXNet 1.9.1 interpreter exists."""
    return os.path.isfile(ORACLE_PYTHON) and os.access(ORACLE_PYTHON, os.X_OK)


requires_oracle = pytest.mark.skipif(
    not oracle_available(),
    reason="the MXNet 1.9.1 oracle venv is missing (%s); run "
    "tools/setup/install-mxnet-baseline.sh to compare against it" %
    ORACLE_PYTHON)

_PRELUDE = """
import sys, numpy as np
import mxnet as mx
_data = np.load(sys.argv[1], allow_pickle=False)
inputs = {k: _data[k] for k in _data.files}
outputs = {}
"""

_EPILOGUE = """
np.savez(sys.argv[2], **{k: np.asarray(v) for k, v in outputs.items()})
"""


def run_mxnet(code, **arrays):
    """Runs `code` under MXNet 1.9.1 and returns its `outputs` dict.

    Raises RuntimeError with MXNet's stderr when the snippet fails (a test
    expecting MXNet to refuse an input catches it).
    """
    if not oracle_available():
        pytest.skip("the MXNet 1.9.1 oracle venv is missing (%s)" %
                    ORACLE_PYTHON)
    with tempfile.TemporaryDirectory() as folder:
        given = os.path.join(folder, "inputs.npz")
        taken = os.path.join(folder, "outputs.npz")
        script = os.path.join(folder, "snippet.py")
        np.savez(given, **arrays)
        with open(script, "w") as handle:
            handle.write(_PRELUDE + textwrap.dedent(code) + _EPILOGUE)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # kiln's tree must not shadow mxnet
        env.setdefault("OMP_NUM_THREADS", "1")
        done = subprocess.run([ORACLE_PYTHON, script, given, taken],
                              capture_output=True, text=True, env=env,
                              timeout=600)
        if done.returncode != 0:
            raise RuntimeError("MXNet 1.9.1 failed:\n" + done.stderr[-4000:])
        with np.load(taken, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}


if __name__ == "__main__":
    print(run_mxnet("outputs['v'] = mx.nd.ones((2,)).asnumpy()"),
          file=sys.stderr)
