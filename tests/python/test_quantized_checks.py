"""Parameter and shape checks of kiln's int8 operators
(kiln/_contrib_ops/quantized_compute.py): each bad input raises an
MXNetError naming the operator, the argument and expected vs got, in
MXNet 1.9.1's wording where it has one (where MXNet crashes instead, the
test says so); calibrate_entropy's even histograms against MXNet.
"""
import numpy as np
import pytest

import kiln as mx
import kiln._contrib_ops.quantization  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import requires_oracle, run_mxnet

nd = mx.nd
c = mx.nd.contrib


def R(value):
    return nd.array([value])


def _data():
    rs = np.random.RandomState(0)
    return nd.array(rs.randint(0, 255, (1, 4, 5, 5)), dtype="uint8")


def _conv(data, weight, bias, **kwargs):
    return c.quantized_conv(data, weight, bias, R(0), R(1), R(-1), R(1),
                            R(-1), R(1), **kwargs)


def _fc(bias, num_hidden):
    return c.quantized_fully_connected(
        nd.ones((2, 4), dtype="int8"), nd.ones((3, 4), dtype="int8"), bias,
        R(-1), R(1), R(-1), R(1), R(-1), R(1), num_hidden=num_hidden)


def _hist(bins=2001):
    h, e = np.histogram(np.random.RandomState(0).randn(10000), bins=bins,
                        range=(-5, 5))
    return h.astype("float32"), e.astype("float32")


POOL_CASES = [
    # (kwargs, message parts); MXNet's own wording first
    (dict(kernel=(2, 2), pad=(3, 3)), ["pad_l[0] < kernel[0] (3 vs. 2)",
                                       "quantized_pooling"]),
    (dict(kernel=(2, 3), pad=(1, 3)), ["pad_l[1] < kernel[1] (3 vs. 3)"]),
    (dict(kernel=(2, 2), pad=(2, 2)), ["pad_l[0] < kernel[0] (2 vs. 2)"]),
    (dict(kernel=(7, 7)), ["quantized_pooling", "kernel size (7) exceeds "
                           "input (5 padded to 5)"]),
    (dict(kernel=(7, 7), pooling_convention="full"),
     ["kernel size (7) exceeds input (5 padded to 5)"]),
    (dict(kernel=(0, 0)), ["value [0,0]for Parameter kernel is invalid, "
                           "the input shape must be nonzero",
                           "_contrib_quantized_pooling"]),
    (dict(kernel=(2, 2), stride=(0, 0)),
     ["value [0,0]for Parameter stride is invalid"]),
    (dict(kernel=(2, 2), stride=(1,)), ["stride", "(2 vs. 1)"]),
    (dict(kernel=(2, 2), pad=(-1, -1)), ["pad expected non-negative",
                                         "[-1, -1]"]),
]


@pytest.mark.parametrize("kwargs,parts", POOL_CASES)
def test_pooling_refuses_bad_windows(kwargs, parts):
    with pytest.raises(MXNetError) as info:
        c.quantized_pooling(_data(), R(0), R(1), **kwargs)
    for part in parts:
        assert part in str(info.value)


def test_pooling_global_ignores_the_window():
    out = c.quantized_pooling(_data(), R(0), R(1), kernel=(2, 2),
                              pad=(3, 3), global_pool=True)[0]
    assert out.shape == (1, 4, 1, 1)
    assert (out.asnumpy() == _data().asnumpy().max(axis=(2, 3),
                                                   keepdims=True)).all()


def test_conv_refuses_bad_parameters():
    data = _data()
    w = nd.ones((2, 4, 3, 3), dtype="int8")
    b = nd.ones((2,), dtype="int8")
    cases = [
        # MXNet: SIGFPE on stride 0, a oneDNN descriptor error on dilate 0
        (dict(stride=(0, 0)), ["value [0,0]for Parameter stride is invalid",
                               "_contrib_quantized_conv"]),
        (dict(dilate=(0, 0)), ["value [0,0]for Parameter dilate"]),
        (dict(stride=(1,)), ["param_.stride.ndim() (2 vs. 1)"]),
        (dict(pad=(-1, -1)), ["pad expected non-negative"]),
    ]
    for kwargs, parts in cases:
        with pytest.raises(MXNetError) as info:
            _conv(data, w, b, kernel=(3, 3), num_filter=2, **kwargs)
        for part in parts:
            assert part in str(info.value), (kwargs, str(info.value))
    with pytest.raises(MXNetError, match=r"value 0 for Parameter num_filter "
                       r"should be greater equal to 1"):
        _conv(data, w, b, kernel=(3, 3), num_filter=0)
    # MXNet: "could not construct a memory descriptor" from oneDNN
    with pytest.raises(MXNetError, match=r"quantized_conv: kernel size \(7\) "
                       r"exceeds input \(5 padded to 5\)"):
        _conv(data, nd.ones((2, 4, 7, 7), dtype="int8"), b, kernel=(7, 7),
              num_filter=2)
    with pytest.raises(MXNetError, match=r"quantized_conv: kernel size \(7\) "
                       r"exceeds input \(5 padded to 5\)"):
        _conv(data, w, b, kernel=(3, 3), dilate=(2, 3), num_filter=2)
    with pytest.raises(MXNetError, match=r"quantized_conv: Shape "
                       r"inconsistent, Provided = \[3\], inferred "
                       r"shape=\(2,\) for bias"):
        _conv(data, w, nd.ones((3,), dtype="int8"), kernel=(3, 3),
              num_filter=2)


def test_fully_connected_refuses_bad_parameters():
    for hidden in (0, -3):
        with pytest.raises(MXNetError, match=r"value %d for Parameter "
                           r"num_hidden should be greater equal to 1, in "
                           r"operator _contrib_quantized_fully_connected"
                           % hidden):
            _fc(nd.ones((3,), dtype="int8"), hidden)
    with pytest.raises(MXNetError, match=r"quantized_fully_connected: Shape "
                       r"inconsistent, Provided = \[4\], inferred "
                       r"shape=\(3,\) for bias"):
        _fc(nd.ones((4,), dtype="int8"), 3)


def test_batch_norm_axis_must_name_a_dimension():
    data = nd.array(np.arange(24).reshape(2, 3, 2, 2), dtype="int8")
    stats = [nd.ones((3,)), nd.zeros((3,)), nd.zeros((3,)), nd.ones((3,))]
    for axis in (7, 4, -5):
        with pytest.raises(MXNetError, match=r"Channel axis out of range: "
                           r"%d \(quantized_batch_norm" % axis):
            c.quantized_batch_norm(data, *stats, R(-1), R(1), axis=axis,
                                   min_calib_range=-2, max_calib_range=2)
    with pytest.raises(MXNetError, match=r"Channel axis out of range: 1 "
                       r"\(quantized_batch_norm: axis for data of shape "
                       r"\(3,\)\)"):
        c.quantized_batch_norm(nd.ones((3,), dtype="int8"), *stats, R(-1),
                               R(1), min_calib_range=-2, max_calib_range=2)
    # axis -3 is axis 1, as in MXNet
    same = [c.quantized_batch_norm(data, *stats, R(-1), R(1), axis=axis,
                                   min_calib_range=-2,
                                   max_calib_range=2)[0].asnumpy()
            for axis in (1, -3)]
    assert (same[0] == same[1]).all()


def test_calibrate_entropy_checks_its_bins():
    h, e = _hist()
    H, E = nd.array(h), nd.array(e)
    # MXNet: SIGFPE (0), std::bad_alloc (-3, 5001), a segfault (2002)
    for bins in (0, -3):
        with pytest.raises(MXNetError, match=r"value %d for Parameter "
                           r"num_quantized_bins should be greater equal to "
                           r"1" % bins):
            c.calibrate_entropy(H, E, num_quantized_bins=bins)
    for bins in (5001, 2002):
        with pytest.raises(MXNetError, match=r"calibrate_entropy: "
                           r"num_quantized_bins expected between 1 and 2001 "
                           r"for a histogram of 2001 bins, got %d" % bins):
            c.calibrate_entropy(H, E, num_quantized_bins=bins)
    with pytest.raises(MXNetError, match=r"between 1 and 1999 for a "
                       r"histogram of 2000 bins, got 2000"):
        c.calibrate_entropy(H[:2000], E[:2001], num_quantized_bins=2000)
    # MXNet aborts the process on "Check failed: p[i] > 0 && q[i] > 0"
    negative = h.copy()
    negative[3] = -2
    with pytest.raises(MXNetError, match=r"p\[i\] > 0 && q\[i\] > 0 : "
                       r"calibrate_entropy: hist expected non-negative "
                       r"counts, got -2 at bin 3"):
        c.calibrate_entropy(nd.array(negative), E)


@requires_oracle
def test_calibrate_entropy_takes_even_histograms_as_mxnet():
    h, e = _hist()
    code = """
c = mx.nd.contrib
H = mx.nd.array(inputs["h"]); E = mx.nd.array(inputs["e"])
for k, (hh, ee, q) in enumerate([(H[:2000], E[:2001], 255),
        (H[:2000], E[:2001], 1999), (H[2:1002], E[2:1003], 101),
        (H, E, 2001), (mx.nd.array([1., 2, 3, 4]),
        mx.nd.array([0., 1, 2, 3, 4]), 1)]):
    t, d = c.calibrate_entropy(hh, ee, num_quantized_bins=q)
    outputs["t%d" % k] = t.asnumpy(); outputs["d%d" % k] = d.asnumpy()
"""
    want = run_mxnet(code, h=h, e=e)
    H, E = nd.array(h), nd.array(e)
    cases = [(H[:2000], E[:2001], 255), (H[:2000], E[:2001], 1999),
             (H[2:1002], E[2:1003], 101), (H, E, 2001),
             (nd.array([1., 2, 3, 4]), nd.array([0., 1, 2, 3, 4]), 1)]
    for k, (hh, ee, q) in enumerate(cases):
        t, d = c.calibrate_entropy(hh, ee, num_quantized_bins=q)
        np.testing.assert_allclose(t.asnumpy(), want["t%d" % k], rtol=1e-6)
        np.testing.assert_allclose(d.asnumpy(), want["d%d" % k], rtol=5e-4,
                                   atol=1e-7)
