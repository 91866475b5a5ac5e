"""Bad and non-finite input to the SSD, quantization, ROI, image and jit
paths, compared with MXNet 1.9.1 where it gives a value, and checked for
MXNetError naming the op / argument where it refuses."""
import numpy as np
import pytest

import kiln as mx
import kiln.base  # noqa: F401  (mx.base.MXNetError)
from mxnet_oracle import compare_outputs, requires_oracle, run_both

_MULTIBOX_CODE = """
nan = float('nan'); inf = float('inf')
anc = mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 3, 2, 2)),
                                  sizes=(0.5, 0.25), ratios=(1, 2))
lab = mx.nd.array([[[0, 0.1, 0.1, 0.5, 0.5], [1, 0.5, 0.5, 0.9, 0.9],
                    [-1, -1, -1, -1, -1]]])
cls = mx.nd.array(inputs["cls"])
cases = []
for i, k in [(0, 1), (0, 3), (1, 2)]:
    for v in (nan, inf, -inf):
        l = lab.copy(); l[0, i, k] = v
        cases.append(("lab%d%d%s" % (i, k, v), anc, l, {}))
for j in (0, 5):
    a = anc.copy(); a[0, j, 0] = nan
    cases.append(("anc%d" % j, a, lab, {}))
    cases.append(("ancneg%d" % j, a, lab, {"negative_mining_ratio": 3}))
l = lab.copy(); l[0, 0, 1] = nan
cases.append(("labneg", anc, l, {"negative_mining_ratio": 3}))
for name, a, l, kw in cases:
    r = mx.nd.contrib.MultiBoxTarget(a, l, cls, **kw)
    for n, x in zip(("loc", "mask", "cls"), r):
        outputs[name + "/" + n] = x.asnumpy()
"""


@requires_oracle
def test_multibox_target_skips_nan_overlaps_like_mxnet():
    cls = np.random.RandomState(0).rand(1, 3, 12).astype(np.float32)
    got, want = run_both(_MULTIBOX_CODE, mx, cls=cls)
    compare_outputs(got, want)
    # the valid box keeps its match when the other is NaN
    assert got["lab01nan/cls"].max() == 2


_QUANT_CODE = """
nan = float('nan'); inf = float('inf')
k = 0
for d in ([[1, nan, -2]], [[1, inf, -2]], [[1, -inf, -2]], [[nan, nan]],
          [[1, nan, inf]], [[0.5, nan, 3]]):
    for t in ('int8', 'uint8', 'auto'):
        r = mx.nd.contrib.quantize_v2(mx.nd.array(d), out_type=t)
        for j, x in enumerate(r):
            outputs["v2_%d/%d" % (k, j)] = x.asnumpy()
        k += 1
for t in ('int8', 'uint8'):
    for lo, hi in ((nan, 1), (-1, nan), (nan, nan), (-inf, 1), (0, inf)):
        r = mx.nd.contrib.quantize(mx.nd.array([[1, -0.5, 0.25]]),
                                   mx.nd.array([lo]), mx.nd.array([hi]),
                                   out_type=t)
        for j, x in enumerate(r):
            outputs["q_%d/%d" % (k, j)] = x.asnumpy()
        k += 1
    r = mx.nd.contrib.quantize(mx.nd.array([[1, nan, -0.5, inf, -inf]]),
                               mx.nd.array([-1]), mx.nd.array([1]),
                               out_type=t)
    for j, x in enumerate(r):
        outputs["qd_%d/%d" % (k, j)] = x.asnumpy()
    k += 1
for t in ('int8', 'uint8', 'auto'):
    for lo, hi in ((nan, 1), (-1, nan), (-inf, 1), (-1, 1)):
        r = mx.nd.contrib.requantize(
            mx.nd.array([[1000, -500, 0]], dtype='int32'),
            mx.nd.array([lo]), mx.nd.array([hi]), out_type=t)
        for j, x in enumerate(r):
            outputs["rq_%d/%d" % (k, j)] = x.asnumpy()
        k += 1
"""


@requires_oracle
def test_quantize_non_finite_data_and_ranges_match_mxnet():
    got, want = run_both(_QUANT_CODE, mx)
    compare_outputs(got, want, rtol=0, atol=0)
    # the case: NaN ignored in the range, saturated to 127
    assert got["v2_0/0"].tolist() == [[64, 127, -128]]


@pytest.mark.parametrize("op", ["quantize_v2", "requantize"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_calibration_range_is_rejected(op, value):
    if op == "quantize_v2":
        args = [mx.nd.array([[1.0, 2.0]])]
    else:
        args = [mx.nd.array([[1, 2]], dtype="int32"), mx.nd.array([-1]),
                mx.nd.array([1])]
    with pytest.raises(mx.base.MXNetError,
                       match="Invalid Parameter format for min_calib_range "
                             "expect float or None but value='%s'" % value):
        getattr(mx.nd.contrib, op)(*args, min_calib_range=float(value),
                                   max_calib_range=1)


def test_jit_zero_size_argument_is_a_clear_mxnet_error():
    import kiln.jit  # noqa: F401
    twice = mx.jit(lambda x: x * 2 + 1)
    with pytest.raises(mx.base.MXNetError, match="zero size.*\\(0, 3\\)"):
        twice(mx.nd.array(np.zeros((0, 3))))
    # the same function still compiles for non-empty input
    assert twice(mx.nd.ones((2, 3))).asnumpy().tolist() == [[3.0] * 3] * 2
    empty_slice = mx.jit(lambda x: x[0:0] * 2)
    with pytest.raises(mx.base.MXNetError, match="cannot be inferred"):
        empty_slice(mx.nd.ones((2, 3)))


def test_imdecode_lifts_pillows_decompression_bomb_limit(tmp_path):
    import io
    from PIL import Image
    import kiln.image  # noqa: F401
    side = 14000  # 196M pixels: above Pillow's 179M-pixel bomb error
    buffer = io.BytesIO()
    Image.new("1", (side, 7)).resize((side, side)).save(buffer, "PNG")
    before = Image.MAX_IMAGE_PIXELS
    out = mx.image.imdecode(buffer.getvalue(), flag=0)
    assert out.shape == (side, side, 1)
    assert Image.MAX_IMAGE_PIXELS == before  # Pillow's global is restored
    # real errors stay errors
    with pytest.raises(mx.base.MXNetError):
        mx.image.imdecode(buffer.getvalue()[:200], flag=0)
