"""Argument checks of mx.nd._internal._slice_assign (and its scalar/crop
kin), _split_v2 and mx.nd.split_v2 (kiln/ndarray/_internal_extra.py,
kiln/ndarray/ndarray.py) against MXNet 1.9.1."""
import numpy as np
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

I = mx.nd._internal


def _a():
    return mx.nd.array(np.arange(12).reshape(3, 4))


_STEP0 = [
    ("slice_assign", lambda a: I._slice_assign(a, mx.nd.ones((2, 2)), begin=(0, 0),
                                               end=(2, 2), step=(0, 1)), 0),
    ("crop_assign", lambda a: I._crop_assign(a, mx.nd.ones((2, 2)), begin=(0, 0),
                                             end=(2, 2), step=(0, 1)), 0),
    ("slice_assign_scalar", lambda a: I._slice_assign_scalar(
        a, scalar=1, begin=(0, 0), end=(2, 2), step=(1, 0)), 1),
]


@pytest.mark.parametrize("name,call,axis", _STEP0, ids=[c[0] for c in _STEP0])
def test_zero_step_raises(name, call, axis):
    with pytest.raises(mx.base.MXNetError,
                       match=r"slice op step\[%d\] cannot be 0" % axis):
        call(_a())


@pytest.mark.parametrize("sections", [2 ** 31, 2 ** 40, -2 ** 31 - 1])
def test_split_v2_sections_beyond_int32_raise(sections):
    with pytest.raises(mx.base.MXNetError,
                       match="Invalid Parameter format for sections expect int "
                             "but value='%d'" % sections):
        I._split_v2(_a(), indices=(0,), sections=sections, axis=1)


def test_nd_split_v2_bad_sections():
    with pytest.raises(mx.base.MXNetError, match="split_v2.*got -1"):
        mx.nd.split_v2(_a(), -1, axis=1)
    with pytest.raises(ZeroDivisionError):
        mx.nd.split_v2(_a(), 0, axis=1)
    with pytest.raises(ValueError, match="equal parts"):
        mx.nd.split_v2(_a(), 3, axis=1)


@requires_oracle
def test_mxnet_agrees():
    got = run_mxnet("""
I = mx.nd._internal
a = mx.nd.array(np.arange(12).reshape(3, 4))
cases = {
    "sa": lambda: I._slice_assign(a, mx.nd.ones((2, 2)), begin=(0, 0), end=(2, 2), step=(0, 1)),
    "ca": lambda: I._crop_assign(a, mx.nd.ones((2, 2)), begin=(0, 0), end=(2, 2), step=(0, 1)),
    "sas": lambda: I._slice_assign_scalar(a, scalar=1, begin=(0, 0), end=(2, 2), step=(1, 0)),
    "big": lambda: I._split_v2(a, indices=(0,), sections=2 ** 40, axis=1),
    "big31": lambda: I._split_v2(a, indices=(0,), sections=2 ** 31, axis=1),
    "neg": lambda: mx.nd.split_v2(a, -1, axis=1),
    "zero": lambda: mx.nd.split_v2(a, 0, axis=1),
    "three": lambda: mx.nd.split_v2(a, 3, axis=1),
}
for key, call in cases.items():
    try:
        [x.asnumpy() for x in call()] if True else None
        outputs[key] = np.array("accepted")
    except Exception as error:
        outputs[key] = np.array(type(error).__name__ + ": "
                                + " ".join(str(error).splitlines()))
""")
    got = {k: str(v) for k, v in got.items()}
    assert "slice op step[0] cannot be 0" in got["sa"]
    assert "slice op step[0] cannot be 0" in got["ca"]
    assert "slice op step[1] cannot be 0" in got["sas"]
    assert "Invalid Parameter format for sections expect int but value='%d'" % 2 ** 40 \
        in got["big"]
    assert "value='%d'" % 2 ** 31 in got["big31"]
    assert got["neg"].startswith("MXNetError")
    assert got["zero"].startswith("ZeroDivisionError")
    assert got["three"].startswith("ValueError")
