"""mx.base's ctypes types and helpers (kiln/_ctypes_api.py) against MXNet
1.9.1 live: the same values from c_str, c_array, c_str_array,
c_array_buf, ctypes2buffer and ctypes2numpy_shared, the same c2pyerror
translations, and check_call raising for a nonzero status.
"""
import ctypes

import numpy as np
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_both

SNIPPET = """
import array, ctypes
from mxnet import base
outputs["c_str"] = np.array(base.c_str("héllo").value.decode("utf-8"))
outputs["c_array"] = np.array(list(base.c_array(base.mx_float, [1, 2.5, 3])))
outputs["c_array_uint"] = np.array(list(base.c_array(base.mx_uint, (4, 5))))
outputs["c_str_array"] = np.array([s.decode() for s in
                                   base.c_str_array(["a", "bc"])])
buf = array.array("i", [7, 8, 9])
view = base.c_array_buf(ctypes.c_int, buf)
view[1] = 80
outputs["c_array_buf"] = np.array(list(buf))
raw = ctypes.create_string_buffer(b"abcdef")
outputs["ctypes2buffer"] = np.frombuffer(bytes(base.ctypes2buffer(
    ctypes.cast(raw, ctypes.POINTER(ctypes.c_char)), 4)), dtype=np.uint8)
floats = (base.mx_float * 6)(*range(6))
shared = base.ctypes2numpy_shared(ctypes.cast(floats, base.mx_float_p), (2, 3))
floats[4] = 40
outputs["ctypes2numpy_shared"] = shared.copy()
messages = ["ValueError: bad value\\nStack trace:\\n  File a.cc, line 1\\n"
            "  File b.cc, line 2\\nmore text\\n",
            "no colon here", "Check failed: x == y: nope",
            "mxnet.error.InternalError: deep\\n", "a b: c"]
for i, message in enumerate(messages):
    text, kind = base.c2pyerror(message)
    outputs["c2pyerror/%d" % i] = np.array([text, str(kind)])
outputs["handles"] = np.array([base.NDArrayHandle is ctypes.c_void_p,
                               base.SymbolHandle is ctypes.c_void_p,
                               base.mx_uint is ctypes.c_uint,
                               base.mx_int64 is ctypes.c_int64])
outputs["callback_fields"] = np.array(
    [name for name, _ in base.MXCallbackList._fields_])
base.check_call(0)
try:  # MXNet, with no C API error recorded, fails inside c2pyerror
    base.check_call(-1)
    outputs["check_call_raises"] = np.array(False)
except Exception:
    outputs["check_call_raises"] = np.array(True)
"""


@requires_oracle
def test_ctypes_helpers_match_mxnet():
    got, expected = run_both(SNIPPET.replace("from mxnet import base",
                                             "base = mx.base"), mx)
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name],
                                      err_msg=name)


def test_type_checks_of_the_converters():
    with pytest.raises(TypeError, match="char pointer"):
        mx.base.ctypes2buffer(ctypes.c_void_p(0), 1)
    with pytest.raises(RuntimeError, match="float pointer"):
        mx.base.ctypes2numpy_shared(ctypes.c_void_p(0), (1,))
    with pytest.raises(mx.base.MXNetError, match="no C library"):
        mx.base.check_call(1)
