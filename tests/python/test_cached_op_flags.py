"""mx.nd.CachedOp's flags (kiln/ndarray/_cached_op.py): checked as MXNet
1.9.1's CachedOpConfig parses them."""
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

_GOOD = [[("static_alloc", "true")], [("static_alloc", "1")], [("static_alloc", True)],
         [("static_alloc", "True"), ("static_shape", "0")], [("data_indices", "[0]")],
         [("param_indices", "[]")], [("data_indices", "(0,)")], [("inline_limit", "3")],
         [("forward_bulk_size", "5")], [("is_dynamic", "false")], []]
_BAD = [([("static_aloc", "true")], "Cannot find argument 'static_aloc'"),
        ([("foo", "1")], "Cannot find argument 'foo'"),
        ([("static_alloc", "maybe")],
         "Invalid Parameter format for static_alloc expect boolean but value='maybe'"),
        ([("inline_limit", "x")],
         r"Invalid Parameter format for inline_limit expect int \(non-negative\) "
         "but value='x'"),
        ([("data_indices", "x")],
         "Invalid Parameter format for data_indices expect tuple of"),
        ([("backward_bulk_size", "2.5")],
         "Invalid Parameter format for backward_bulk_size expect int")]


def _net():
    x = mx.sym.var("x")
    return x * 2


@pytest.mark.parametrize("flags", _GOOD, ids=[str(f) for f in _GOOD])
def test_valid_flags_run(flags):
    out = mx.nd.CachedOp(_net(), flags=flags)(mx.nd.ones(2))
    assert out.asnumpy().tolist() == [2, 2]


@pytest.mark.parametrize("flags,message", _BAD, ids=[str(c[0]) for c in _BAD])
def test_bad_flags_raise(flags, message):
    with pytest.raises(mx.base.MXNetError, match=message):
        mx.nd.CachedOp(_net(), flags=flags)


def test_unknown_flag_lists_the_possible_arguments():
    with pytest.raises(mx.base.MXNetError) as info:
        mx.nd.CachedOp(_net(), flags=[("static_aloc", "true")])
    assert "static_alloc : boolean, optional, default=0" in str(info.value)


def test_flags_not_pairs_raise_value_error():
    with pytest.raises(ValueError):
        mx.nd.CachedOp(_net(), flags={"static_alloc": "true"})


@requires_oracle
def test_mxnet_agrees():
    got = run_mxnet("""
x = mx.sym.var("x")
for i, flags in enumerate(%r):
    try:
        mx.nd.CachedOp(x * 2, flags=flags)(mx.nd.ones(2)).asnumpy()
        outputs["c%%d" %% i] = np.array("accepted")
    except mx.base.MXNetError as error:
        outputs["c%%d" %% i] = np.array(" ".join(str(error).splitlines()))
""" % ([f for f in _GOOD] + [f for f, _ in _BAD],))
    for i in range(len(_GOOD)):
        assert str(got["c%d" % i]) == "accepted", _GOOD[i]
    for j, (flags, message) in enumerate(_BAD):
        text = str(got["c%d" % (len(_GOOD) + j)])
        assert text != "accepted", flags
        assert message.replace("\\", "").split(" but")[0] in text, (flags, text)
