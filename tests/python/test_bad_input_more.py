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


def test_jit_zero_size_argument_runs_eagerly():
    import kiln.jit  # noqa: F401
    twice = mx.jit(lambda x: x * 2 + 1)
    # No graph holds a 0 extent: the call runs eagerly, as a hybridized
    # block runs such a batch op by op.
    assert twice(mx.nd.array(np.zeros((0, 3)))).shape == (0, 3)
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


_ROI_CODE = """
nan = float('nan'); inf = float('inf')
D = mx.nd.array(np.arange(2 * 4 * 6 * 6).reshape(2, 4, 6, 6) / 10.)
R = mx.nd.array([[0, 0, 0, 3, 3], [1, 1, 1, 5, 5]])
for k, (col, value) in enumerate(((1, nan), (3, inf), (0, -1), (0, nan),
                                  (2, 1e30))):
    r = R.copy(); r[0, col] = value
    # A negative or NaN batch index: MXNet's ROIAlign leaves that output
    # unwritten (whatever its memory held), so it has no value to match.
    if col != 0:
        outputs["align%d" % k] = mx.nd.contrib.ROIAlign(
            D, r, pooled_size=(2, 2), spatial_scale=1.0).asnumpy()
    if value != -1:  # likewise PSROIPooling's, for a negative index
        outputs["psroi%d" % k] = mx.nd.contrib.PSROIPooling(
            D, r, spatial_scale=1.0, output_dim=1, pooled_size=2).asnumpy()
"""


@requires_oracle
def test_roi_ops_non_finite_rois_match_mxnet():
    got, want = run_both(_ROI_CODE, mx)
    compare_outputs(got, want)
    assert np.isnan(got["align0"][0]).all()  # NaN roi -> NaN, not an error


def test_roi_ops_bad_batch_index_and_sizes_are_mxnet_errors():
    data = mx.nd.ones((2, 4, 6, 6))
    rois = mx.nd.array([[7, 0, 0, 3, 3]])
    good = mx.nd.array([[0, 0, 0, 3, 3]])
    align, psroi = mx.nd.contrib.ROIAlign, mx.nd.contrib.PSROIPooling
    for op, kw in ((align, dict(pooled_size=(2, 2))),
                   (psroi, dict(output_dim=1, pooled_size=2))):
        with pytest.raises(mx.base.MXNetError,
                           match=r"rois\[0, 0\] \(the batch index\) is 7, "
                                 r"expected 0 to 1"):
            op(data, rois, spatial_scale=1.0, **kw).asnumpy()
    with pytest.raises(mx.base.MXNetError, match="negative value -1"):
        align(data, good, pooled_size=(-1, 2), spatial_scale=1.0)
    with pytest.raises(mx.base.MXNetError, match="received -2"):
        psroi(data, good, spatial_scale=1.0, output_dim=1, pooled_size=-2)
    # huge sizes are refused before allocating or looping
    with pytest.raises(mx.base.MXNetError, match="Failed to allocate"):
        align(data, good, pooled_size=(100000, 100000),
              spatial_scale=1.0).asnumpy()
    with pytest.raises(mx.base.MXNetError, match="sample grid"):
        align(data, good, pooled_size=(2, 2), spatial_scale=1.0,
              sample_ratio=100000).asnumpy()
    with pytest.raises(mx.base.MXNetError, match="Failed to allocate"):
        psroi(data, good, spatial_scale=1.0, output_dim=1,
              pooled_size=100000).asnumpy()


def test_multibox_empty_sizes_and_batched_anchors_are_mxnet_errors():
    with pytest.raises(mx.base.MXNetError, match=r"sizes_.size\(\) > 0"):
        mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), sizes=())
    with pytest.raises(mx.base.MXNetError, match=r"ratios_.size\(\) > 0"):
        mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), ratios=())
    anchor = mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 3, 2, 2)),
                                         sizes=(0.5, 0.25), ratios=(1, 2))
    with pytest.raises(mx.base.MXNetError, match=r"\(2, 12, 4\)"):
        mx.nd.contrib.MultiBoxDetection(
            mx.nd.ones((2, 3, 12)) / 3, mx.nd.zeros((2, 48)),
            mx.nd.concat(anchor, anchor, dim=0)).asnumpy()


def test_image_int_parameters_and_count_sketch_out_dim_are_checked():
    import io
    from PIL import Image
    import kiln.image  # noqa: F401
    img = mx.nd.array(np.arange(8 * 6 * 3).reshape(8, 6, 3), dtype="uint8")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buffer, "PNG")
    for flag in ("a", 0.5):
        with pytest.raises(mx.base.MXNetError, match="flag expect int"):
            mx.image.imdecode(buffer.getvalue(), flag=flag)
    with pytest.raises(mx.base.MXNetError, match="top expect int.*'1.5'"):
        mx.image.copyMakeBorder(img, 1.5, 1, 1, 1)
    for w in (3.7, 2 ** 31, 2 ** 32):
        with pytest.raises(mx.base.MXNetError, match="w expect int"):
            mx.image.imresize(img, w, 5)
    assert mx.image.imresize(img, 3, 5).shape == (5, 3, 3)
    with pytest.raises(mx.base.MXNetError, match="out_dim expect int"):
        mx.nd.contrib.count_sketch(mx.nd.ones((1, 4)),
                                   mx.nd.array([[0, 1, 2, 3]]),
                                   mx.nd.ones((1, 4)), out_dim=2 ** 40)
