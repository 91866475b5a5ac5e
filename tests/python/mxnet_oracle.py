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


def run_kiln(code, kiln_mx, names=None, **arrays):
    """Runs `code` under kiln (the caller's `kiln_mx`) as run_mxnet runs it
    under MXNet: `inputs` holds `arrays`, `names` are further globals.
    Returns its `outputs` as numpy arrays. The working directory is restored
    afterwards (a snippet may change it)."""
    scope = {"mx": kiln_mx, "np": np, "inputs": dict(arrays), "outputs": {}}
    scope.update(names or {})
    cwd = os.getcwd()
    try:
        exec(compile(textwrap.dedent(code), "<kiln>", "exec"), scope)
    finally:
        os.chdir(cwd)
    return {k: np.asarray(v) for k, v in scope["outputs"].items()}


def run_both(code, kiln_mx, **arrays):
    """Runs `code` under MXNet 1.9.1 and under kiln (the caller's `kiln_mx`)
    with the same `inputs`; returns (kiln's outputs, MXNet's outputs), dicts
    of numpy arrays to compare key by key (compare_outputs)."""
    expected = run_mxnet(code, **arrays)
    return run_kiln(code, kiln_mx, **arrays), expected


def compare_outputs(got, expected, rtol=1e-4, atol=1e-5, tolerances=None):
    """Asserts that kiln's and MXNet's outputs have the same keys and agree:
    float64 arrays within rtol / 100 (atol / 1000), others within rtol and
    atol, or within tolerances[key] = (rtol, atol) where given."""
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        want, have = expected[key], got[key]
        assert have.shape == want.shape, (key, have.shape, want.shape)
        assert have.dtype == want.dtype, (key, have.dtype, want.dtype)
        if key in (tolerances or {}):
            r, a = tolerances[key]
        elif want.dtype == np.float64:
            r, a = rtol / 100, atol / 1000
        else:
            r, a = rtol, atol
        np.testing.assert_allclose(have.astype(np.float64),
                                   want.astype(np.float64), rtol=r, atol=a,
                                   err_msg=key)


def compare_texts_and_values(got, expected, rtol=1e-5, atol=1e-6):
    """Asserts the same keys; string outputs equal, numeric ones of the
    same shape and within rtol/atol (dtypes may differ)."""
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        want, have = np.asarray(expected[key]), np.asarray(got[key])
        if want.dtype.kind in "US":
            assert have.tolist() == want.tolist(), key
        else:
            assert have.shape == want.shape, key
            np.testing.assert_allclose(have.astype(np.float64),
                                       want.astype(np.float64), rtol=rtol,
                                       atol=atol, err_msg=key)


# A snippet helper: outputs["err/<name>"] is "<class>: <message>" of what
# f() raises, or "none".
CATCH_SNIPPET = """
def catch(name, f):
    try:
        f()
        outputs["err/" + name] = np.array("none")
    except Exception as e:
        outputs["err/" + name] = np.array("%s: %s" % (type(e).__name__, e))
"""


# Helpers for snippets that run_both runs under either framework.
SNIPPET_HELPERS = """
def head_like(y):
    return np.cos(np.arange(y.size)).reshape(y.shape).astype(y.dtype)

def record(name, f, arrays, wrt=None, train=True):
    # f's outputs, then the gradients of arrays[i] for i in wrt (all by
    # default) after backward from the first output with head_like's
    # gradient, as outputs["name/outK"] and outputs["name/gradK"].
    xs = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    wrt = list(range(len(xs)) if wrt is None else wrt)
    for i in wrt:
        xs[i].attach_grad()
    with mx.autograd.record(train_mode=train):
        ys = f(*xs)
        ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    if wrt:
        ys[0].backward(mx.nd.array(head_like(ys[0]), dtype=ys[0].dtype))
    for k, y in enumerate(ys):
        outputs["%s/out%d" % (name, k)] = y.asnumpy()
    for k, i in enumerate(wrt):
        outputs["%s/grad%d" % (name, k)] = xs[i].grad.asnumpy()

def raises(name, f):
    # Whether f() (its results read back) raises, as outputs["raises/name"].
    try:
        r = f()
        for v in (r if isinstance(r, (list, tuple)) else [r]):
            v.asnumpy()
        outputs["raises/" + name] = np.array(False)
    except Exception:
        outputs["raises/" + name] = np.array(True)
"""


def assert_raises_at_call(kiln_mx, prelude, expression, error, message):
    """Asserts that `expression`, evaluated under kiln after `prelude`,
    raises `error` matching `message` at the call (nothing read back)."""
    scope = {"mx": kiln_mx, "np": np}
    exec(textwrap.dedent(prelude), scope)
    with pytest.raises(error, match=message):
        eval(expression, scope)


def assert_both_refuse(kiln_mx, prelude, cases):
    """Asserts that each of `cases`, (name, expression) pairs evaluated
    after `prelude` (which sees `mx` and `np`), raises under kiln and under
    MXNet 1.9.1 (its results read back, where MXNet's errors show)."""
    code = SNIPPET_HELPERS + prelude + "".join(
        "\nraises(%r, lambda: %s)" % (name, expression)
        for name, expression in cases)
    got, expected = run_both(code, kiln_mx)
    accepted = [k for k, v in expected.items() if not v]
    assert not accepted, "MXNet 1.9.1 accepts %s" % accepted
    accepted = [k for k, v in got.items() if not v]
    assert not accepted, "kiln accepts %s" % accepted


if __name__ == "__main__":
    print(run_mxnet("outputs['v'] = mx.nd.ones((2,)).asnumpy()"),
          file=sys.stderr)


def bad_input_tests(kiln_mx, prelude, refused_by_both, kiln_only, error):
    """The two bad-input tests every op family's file has, for
    `test_x, test_y = bad_input_tests(...)` at module level:
    test_bad_inputs_raise_at_the_call runs each (name, expression, message)
    case of both lists under kiln (assert_raises_at_call with `error`), and
    test_mxnet_refuses_the_same_inputs checks that MXNet 1.9.1 refuses every
    case of `refused_by_both` too (kiln_only lists what MXNet accepts or
    crashes on)."""
    cases = refused_by_both + kiln_only

    @pytest.mark.parametrize("name,expression,message", cases,
                             ids=[case[0] for case in cases])
    def test_bad_inputs_raise_at_the_call(name, expression, message):
        assert_raises_at_call(kiln_mx, prelude, expression, error, message)

    @requires_oracle
    def test_mxnet_refuses_the_same_inputs():
        assert_both_refuse(kiln_mx, prelude,
                           [case[:2] for case in refused_by_both])

    return test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs


def assert_mxnet_error_classes(prelude, cases):
    """Asserts that MXNet 1.9.1 raises, for each (name, expression, error,
    ...) of `cases` evaluated after `prelude` (which sees `mx` and `np`),
    an exception of the class named error.__name__ (the class kiln's test
    expects); mx.nd.waitall() follows each expression, where MXNet's
    asynchronous errors show."""
    code = prelude + """
import warnings as _warnings
_warnings.simplefilter("ignore")
for _name, _expression in %r:
    try:
        eval(_expression)
        mx.nd.waitall()
        outputs[_name] = np.array("accepted")
    except Exception as _error:
        outputs[_name] = np.array(type(_error).__name__)
""" % [tuple(case[:2]) for case in cases]
    raised = run_mxnet(code)
    wrong = [(case[0], str(raised[case[0]]), case[2].__name__)
             for case in cases if str(raised[case[0]]) != case[2].__name__]
    assert not wrong, "MXNet 1.9.1 raises otherwise (name, MXNet, kiln): %s" \
        % wrong
