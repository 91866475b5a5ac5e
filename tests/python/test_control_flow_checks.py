"""mx.sym.contrib.foreach / while_loop argument and shape checks
(kiln/symbol/_control_flow.py) against MXNet 1.9.1: a foreach state whose
shape the body changes and max_iterations < 1 raise MXNetError; the
mx.nd.contrib versions accept both, as MXNet's Python loops do."""
import numpy as np
import pytest

import kiln as mx
import kiln.ndarray.contrib  # noqa: F401
from mxnet_oracle import requires_oracle, run_mxnet

S = mx.sym


@pytest.fixture(autouse=True)
def _own_names():
    # a NameManager of its own: the symbols made here do not move the
    # automatic names (_foreach0 ...) other test files compare with MXNet's
    with mx.name.NameManager():
        yield


def _growing_foreach():
    d, s = S.var("d"), S.var("s")
    out, st = S.contrib.foreach(lambda x, st: (x, [S.concat(st[0], x, dim=0)]), d, [s])
    return S.Group([out] + st)


def test_foreach_state_shape_change_is_refused_at_inference():
    with pytest.raises(mx.base.MXNetError,
                       match=r"foreach.*\(\[4\] vs\. \[2\]\).*state 0 with shape \(4,\)"):
        _growing_foreach().infer_shape(d=(3, 2), s=(2,))


def test_foreach_state_shape_change_is_refused_at_forward():
    with pytest.raises(mx.base.MXNetError, match=r"foreach.*\[4\] vs\. \[2\]"):
        ex = _growing_foreach().bind(mx.cpu(), {"d": mx.nd.ones((3, 2)),
                                                "s": mx.nd.zeros(2)})
        [o.asnumpy() for o in ex.forward()]


def test_foreach_keeping_state_shape_still_runs():
    d, s = S.var("d"), S.var("s")
    out, st = S.contrib.foreach(lambda x, st: (x + st[0], [st[0] + x]), d, [s])
    ex = S.Group([out] + st).bind(mx.cpu(), {"d": mx.nd.array(np.arange(6).reshape(3, 2)),
                                             "s": mx.nd.zeros(2)})
    outs = [o.asnumpy() for o in ex.forward()]
    assert outs[1].tolist() == [6, 9]


@pytest.mark.parametrize("bad", [0, -1])
def test_while_loop_max_iterations_below_one_is_refused(bad):
    i, s = S.var("i"), S.var("s")
    with pytest.raises(mx.base.MXNetError,
                       match="value %d for Parameter max_iterations should be "
                             "greater equal to 1" % bad):
        S.contrib.while_loop(lambda i, s: i < 5, lambda i, s: ([s], [i + 1, s + i]),
                             [i, s], max_iterations=bad)


def test_nd_versions_accept_what_mxnet_accepts():
    out, st = mx.nd.contrib.foreach(
        lambda x, st: (x, [mx.nd.concat(st[0], x, dim=0)]), mx.nd.ones((3, 2)),
        [mx.nd.zeros(2)])
    assert out.shape == (3, 2) and st[0].shape == (8,)
    outs, st = mx.nd.contrib.while_loop(lambda i: i < 5, lambda i: ([i], [i + 1]),
                                        [mx.nd.array([0.])], max_iterations=0)
    assert outs == [] and st[0].asnumpy().tolist() == [0]


@requires_oracle
def test_mxnet_agrees():
    got = run_mxnet("""
S = mx.sym
d, s = S.var("d"), S.var("s")
out, st = S.contrib.foreach(lambda x, st: (x, [S.concat(st[0], x, dim=0)]), d, [s])
try:
    S.Group([out] + st).infer_shape(d=(3, 2), s=(2,))
    outputs["foreach"] = np.array("accepted")
except mx.base.MXNetError as error:
    outputs["foreach"] = np.array(" ".join(str(error).splitlines()))
for bad in (0, -1):
    i, s = S.var("i"), S.var("s")
    try:
        S.contrib.while_loop(lambda i, s: i < 5, lambda i, s: ([s], [i + 1, s + i]),
                             [i, s], max_iterations=bad)
        outputs["while%d" % bad] = np.array("accepted")
    except mx.base.MXNetError as error:
        outputs["while%d" % bad] = np.array(" ".join(str(error).splitlines()))
""")
    assert "([4] vs. [2])" in str(got["foreach"])
    for bad in (0, -1):
        assert ("value %d for Parameter max_iterations should be greater equal to 1"
                % bad) in str(got["while%d" % bad])
