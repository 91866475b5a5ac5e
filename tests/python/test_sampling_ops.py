"""MXNet 1.9.1's spatial sampling operators (frontends/cpp/ops/SamplingOps.cpp):
UpSampling (nearest, bilinear), GridGenerator (affine, warp),
BilinearSampler, SpatialTransformer, ROIPooling, im2col and col2im.

Values and gradients are compared live against MXNet 1.9.1 (the oracle venv,
tests/python/mxnet_oracle.py): each oracle test runs one snippet under both
frameworks. Numeric gradient checks run in float64; bad inputs raise
MXNetError at the call, naming the op, the argument, expected and got, and
MXNet refuses the same inputs.

Where kiln deliberately differs from MXNet 1.9.1 (each checked below):
  * im2col and col2im compute 1-D and 3-D windows too (MXNet 1.9.1 infers
    their shapes and then fails in its kernels; they are checked against
    numpy);
  * GridGenerator also takes float64 (MXNet: float32 only);
  * target_shape needs exactly two entries (MXNet uses the first two of
    more), im2col's data rank must be the kernel's + 2 and pad >= 0 (MXNet
    accepts both and reads what it finds);
  * ROIPooling refuses a batch index outside [0, N) and non-finite ROIs
    (MXNet reads outside the data), and takes zero ROIs (MXNet fails);
  * UpSampling 'bilinear' with num_filter other than data's channels is an
    error at the call (MXNet fails in its kernel, or dies for 0).
"""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both)

nd = mx.nd
RNG = np.random.default_rng(1291)


def loosen(expected, marker, tolerance):
    """Tolerances for every output whose key contains marker."""
    return {key: tolerance for key in expected if marker in key}


# UpSampling.

@requires_oracle
def test_upsampling_nearest_matches_mxnet():
    arrays = dict(x=RNG.standard_normal((2, 3, 3, 3)),
                  y=RNG.standard_normal((2, 2, 1, 1)),
                  z=RNG.standard_normal((2, 1, 3, 3)),
                  w=RNG.standard_normal((2, 2, 6, 6)),
                  s=RNG.standard_normal((2, 3, 2, 2)))
    code = SNIPPET_HELPERS + """
for dtype in ("float32", "float64", "float16"):
    x, y, z, w, s = (inputs[k].astype(dtype) for k in "xyzws")
    for scale in (1, 2, 3):
        record("one/%s/%d" % (dtype, scale),
               lambda a: mx.nd.UpSampling(a, scale=scale,
                                          sample_type="nearest"), [x])
    record("concat/" + dtype,
           lambda *a: mx.nd.UpSampling(*a, scale=2, sample_type="nearest"),
           [x, y, z, w])
    record("sum/" + dtype,
           lambda *a: mx.nd.UpSampling(*a, scale=2, sample_type="nearest",
                                       multi_input_mode="sum"), [x, s])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected,
                    tolerances=loosen(expected, "float16", (1e-3, 1e-2)))


def bilinear_kernel(shape):
    """MXNet's mx.init.Bilinear weights, as a model initializes them."""
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = np.arange(shape[3]) / f - c
    y = np.arange(shape[2]) / f - c
    kernel = np.outer(1 - np.abs(y), 1 - np.abs(x))
    return np.broadcast_to(kernel, shape).copy()


@requires_oracle
def test_upsampling_bilinear_matches_mxnet():
    arrays = {"x": RNG.standard_normal((2, 3, 4, 5)),
              "bilinear": bilinear_kernel((3, 1, 4, 4))}
    for scale in (1, 2, 3, 4):
        kernel = 2 * scale - scale % 2
        arrays["w%d" % scale] = RNG.standard_normal((3, 1, kernel, kernel))
    code = SNIPPET_HELPERS + """
for dtype in ("float32", "float64"):
    x = inputs["x"].astype(dtype)
    for scale in (1, 2, 3, 4):
        record("bilinear/%s/%d" % (dtype, scale),
               lambda a, w: mx.nd.UpSampling(a, w, scale=scale,
                                             sample_type="bilinear",
                                             num_filter=3),
               [x, inputs["w%d" % scale].astype(dtype)])
record("initialized", lambda a, w: mx.nd.UpSampling(
    a, w, scale=2, sample_type="bilinear", num_filter=3),
    [inputs["x"].astype("float32"), inputs["bilinear"].astype("float32")])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


# GridGenerator, BilinearSampler, SpatialTransformer.

@requires_oracle
def test_grid_generator_matches_mxnet():
    arrays = dict(affine=RNG.uniform(-1, 1, (3, 6)),
                  flow=RNG.uniform(-2, 2, (2, 2, 4, 5)),
                  line=RNG.uniform(-2, 2, (1, 2, 1, 3)))
    code = SNIPPET_HELPERS + """
affine = inputs["affine"].astype("float32")
for target in ((3, 4), (5, 2), (1, 1), (1, 4)):
    # An extent of 1 divides by zero: NaN, as MXNet (values only).
    wrt = None if min(target) > 1 else []
    record("affine/%d,%d" % target,
           lambda a: mx.nd.GridGenerator(a, transform_type="affine",
                                         target_shape=target), [affine],
           wrt=wrt)
record("warp", lambda a: mx.nd.GridGenerator(a, transform_type="warp",
                                             target_shape=(7, 7)),
       [inputs["flow"].astype("float32")])
record("warp/line", lambda a: mx.nd.GridGenerator(a, transform_type="warp"),
       [inputs["line"].astype("float32")], wrt=[])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


def test_grid_generator_float64_is_the_float32_formula():
    affine = RNG.uniform(-1, 1, (2, 6))
    flow = RNG.uniform(-2, 2, (2, 2, 3, 4))
    for transform, data, kwargs in (("affine", affine, {"target_shape": (3, 5)}),
                                    ("warp", flow, {})):
        wide = nd.GridGenerator(nd.array(data, dtype="float64"),
                                transform_type=transform, **kwargs)
        narrow = nd.GridGenerator(nd.array(data, dtype="float32"),
                                  transform_type=transform, **kwargs)
        assert wide.dtype == np.float64
        np.testing.assert_allclose(wide.asnumpy(), narrow.asnumpy(),
                                   rtol=1e-6, atol=1e-6)


@requires_oracle
def test_bilinear_sampler_matches_mxnet():
    arrays = dict(data=RNG.standard_normal((2, 3, 5, 6)),
                  # Some points outside [-1, 1]: their outside neighbours
                  # count as 0.
                  grid=RNG.uniform(-1.4, 1.4, (2, 2, 4, 7)),
                  flow=RNG.uniform(-2, 2, (2, 2, 5, 6)),
                  one=RNG.standard_normal((1, 2, 1, 1)))
    code = SNIPPET_HELPERS + """
for dtype in ("float32", "float64"):
    data, grid = inputs["data"].astype(dtype), inputs["grid"].astype(dtype)
    record("random/" + dtype, lambda d, g: mx.nd.BilinearSampler(d, g),
           [data, grid])
data, grid = inputs["data"].astype("float16"), inputs["grid"].astype("float16")
record("random/float16", lambda d, g: mx.nd.BilinearSampler(d, g),
       [data, grid], wrt=[])
# Whole-pixel positions (zero flow) and a shift by a flow; a 1x1 image.
data = inputs["data"].astype("float32")
for name, flow in (("identity", np.zeros((2, 2, 5, 6), "float32")),
                   ("flow", inputs["flow"].astype("float32"))):
    grid = mx.nd.GridGenerator(mx.nd.array(flow), transform_type="warp")
    record(name, lambda d: mx.nd.BilinearSampler(d, grid, cudnn_off=True),
           [data])
record("pixel", lambda d, g: mx.nd.BilinearSampler(d, g),
       [inputs["one"][:, :1].astype("float32"),
        np.array([[[[-1, 0.5, 1, 2]], [[0, 0, -0.5, 0]]]], "float32")])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected,
                    tolerances=loosen(expected, "float16", (1e-2, 1e-2)))


def affine_clear_of_pixels(batch, target, image):
    """Affine matrices near the identity (scaled by 0.6 to 1.4, so that
    some points fall outside) whose sampling points all lie at least 0.02
    from whole pixel coordinates: there the gradient of the grid jumps, and
    an ulp decides which side a framework takes."""
    height, width = target
    ys, xs = np.meshgrid(np.linspace(-1, 1, height), np.linspace(-1, 1, width),
                         indexing="ij")
    points = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    extents = np.array([[image[1] - 1], [image[0] - 1]]) / 2
    while True:
        loc = (np.eye(2, 3) * RNG.uniform(0.6, 1.4, (batch, 1, 1)) +
               RNG.uniform(-0.3, 0.3, (batch, 2, 3)))
        real = (loc @ points + 1) * extents
        if np.all(np.abs(real - np.round(real)) > 0.02):
            return loc.reshape(batch, 6)


@requires_oracle
def test_spatial_transformer_matches_mxnet():
    loc = affine_clear_of_pixels(2, (4, 7), (5, 6))
    arrays = dict(data=RNG.standard_normal((2, 3, 5, 6)), loc=loc)
    code = SNIPPET_HELPERS + """
for dtype in ("float32", "float64"):
    record("st/" + dtype,
           lambda d, l: mx.nd.SpatialTransformer(
               d, l, target_shape=(4, 7), transform_type="affine",
               sampler_type="bilinear"),
           [inputs["data"].astype(dtype), inputs["loc"].astype(dtype)])
    record("pair/" + dtype,
           lambda d, l: mx.nd.BilinearSampler(d, mx.nd.GridGenerator(
               l, transform_type="affine", target_shape=(4, 7))),
           [inputs["data"].astype("float32"), inputs["loc"].astype("float32")])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


# ROIPooling.

ROIS = np.array([
    [0, 0, 0, 8, 7],        # the whole first image
    [1, 2.4, 1.6, 6.5, 5.5],  # rounding: 6.5 goes up, as C's round
    [1, 5, 4, 2, 1],        # malformed: 1 x 1 at its start
    [0, -3, -2, 2, 1],      # partly outside
    [0, 10, 9, 20, 20],     # wholly outside: empty bins, 0
    [1, 0, 0, 1, 1],        # smaller than the bins: repeated pixels
    [0.7, 3, 2, 7, 7],      # batch index truncated
])


@requires_oracle
def test_roi_pooling_matches_mxnet():
    data = RNG.standard_normal((2, 3, 8, 9))
    # Ties: zeros (after a ReLU); the first maximum takes the gradient.
    relu = np.maximum(data, 0)
    relu[0, 0, :4, :4] = 0
    lowest = np.full((1, 1, 3, 3), -np.inf)
    code = SNIPPET_HELPERS + """
for dtype in ("float32", "float64"):
    rois = inputs["rois"].astype(dtype)
    for source in ("data", "relu"):
        for pooled, scale in (((2, 2), 1.0), ((3, 2), 0.5), ((1, 1), 1.0),
                              ((4, 5), 0.7)):
            record("%s/%s/%s/%s" % (dtype, source, pooled, scale),
                   lambda d, r: mx.nd.ROIPooling(d, r, pooled_size=pooled,
                                                 spatial_scale=scale),
                   [inputs[source].astype(dtype), rois])
    # Values no higher than -FLT_MAX give it, with no gradient.
    record("lowest/" + dtype,
           lambda d, r: mx.nd.ROIPooling(d, r, pooled_size=(2, 2),
                                         spatial_scale=1.0),
           [inputs["lowest"].astype(dtype), np.array([[0, 0, 0, 2, 2]], dtype)])
record("float16", lambda d, r: mx.nd.ROIPooling(
    d, r, pooled_size=(3, 3), spatial_scale=0.5),
    [inputs["data"].astype("float16"), inputs["rois"].astype("float16")],
    wrt=[])
"""
    got, expected = run_both(code, mx, data=data, relu=relu, lowest=lowest,
                             rois=ROIS)
    compare_outputs(got, expected,
                    tolerances=loosen(expected, "float16", (1e-3, 1e-3)))


def test_roi_pooling_takes_zero_rois_and_refuses_unknown_images():
    data = nd.array(RNG.standard_normal((2, 3, 4, 4)))
    out = nd.ROIPooling(data, nd.empty((0, 5)), pooled_size=(2, 3),
                        spatial_scale=1.0)
    assert out.shape == (0, 3, 2, 3)
    for index in (2, -1):
        with pytest.raises(MXNetError, match=r"ROIPooling: rois\[0, 0\] \(the "
                           r"batch index\) is .*, expected 0 to 1"):
            nd.ROIPooling(data, nd.array([[index, 0, 0, 1, 1]]),
                          pooled_size=(2, 2), spatial_scale=1.0)
    with pytest.raises(MXNetError, match=r"ROIPooling: rois\[1\] holds a "
                       "non-finite value"):
        nd.ROIPooling(data, nd.array([[0, 0, 0, 1, 1], [0, 0, np.nan, 1, 1]]),
                      pooled_size=(2, 2), spatial_scale=1.0)


def test_roi_pooling_many_rois_in_chunks():
    # Enough candidates to take them in several chunks.
    data = RNG.standard_normal((2, 64, 16, 16))
    rois = np.concatenate([RNG.integers(0, 2, (200, 1)),
                           RNG.integers(0, 16, (200, 4))], axis=1)
    x = nd.array(data)
    x.attach_grad()
    with mx.autograd.record():
        out = nd.ROIPooling(x, nd.array(rois), pooled_size=(2, 2),
                            spatial_scale=1.0)
    out.backward(nd.ones_like(out))
    expected = np.zeros(out.shape)
    for r, (b, x1, y1, x2, y2) in enumerate(rois.astype(int)):
        h, w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
        for i in range(2):
            for j in range(2):
                top = min(max(int(np.floor(i * h / 2)) + y1, 0), 16)
                bottom = min(max(int(np.ceil((i + 1) * h / 2)) + y1, 0), 16)
                left = min(max(int(np.floor(j * w / 2)) + x1, 0), 16)
                right = min(max(int(np.ceil((j + 1) * w / 2)) + x1, 0), 16)
                block = data[b, :, top:bottom, left:right]
                expected[r, :, i, j] = (block.reshape(64, -1).max(axis=1)
                                        if block.size else 0)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)
    assert x.grad.asnumpy().sum() == pytest.approx(out.size)


# im2col and col2im.

SLIDING = [
    ("1d", (2, 3, 9), dict(kernel=(3,), stride=(2,), pad=(1,), dilate=(2,))),
    ("2d", (2, 2, 5, 6), dict(kernel=(2, 3), stride=(1, 2), pad=(1, 0))),
    ("2d_dilate", (1, 3, 7, 7), dict(kernel=(3, 3), dilate=(2, 1),
                                    stride=(2, 2), pad=(2, 1))),
    ("3d", (1, 2, 4, 5, 4), dict(kernel=(2, 2, 3), stride=(2, 1, 1),
                                 pad=(0, 1, 1))),
]


@requires_oracle
def test_im2col_col2im_match_mxnet():
    # MXNet 1.9.1 computes im2col/col2im in 2-D only (1-D and 3-D fail in
    # its kernels; see test_im2col_col2im_in_1d_and_3d).
    cases = [case for case in SLIDING if case[0].startswith("2d")]
    arrays = {name: RNG.standard_normal(shape) for name, shape, _ in cases}
    code = SNIPPET_HELPERS + """
for name, kwargs in %r:
    size = inputs[name].shape[2:]
    for dtype in ("float32", "float64"):
        x = inputs[name].astype(dtype)
        record("im2col/%%s/%%s" %% (name, dtype),
               lambda a: mx.nd.im2col(a, **kwargs), [x])
        cols = mx.nd.im2col(mx.nd.array(x, dtype=dtype), **kwargs).asnumpy()
        record("col2im/%%s/%%s" %% (name, dtype),
               lambda c: mx.nd.col2im(c, output_size=size, **kwargs), [cols])
    record("im2col/%%s/float16" %% name, lambda a: mx.nd.im2col(a, **kwargs),
           [inputs[name].astype("float16")], wrt=[])
# An output_size the blocks do not reach to the end.
record("col2im/short", lambda c: mx.nd.col2im(
    c, output_size=(5, 6), kernel=(2, 2), stride=(2, 2)),
    [np.cos(np.arange(24.0)).reshape(1, 4, 6).astype("float32")])
""" % ([(name, kwargs) for name, _, kwargs in cases],)
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected,
                    tolerances=loosen(expected, "float16", (1e-3, 1e-3)))


def sliding_blocks(shape, kernel, stride=None, dilate=None, pad=None):
    """numpy's im2col bookkeeping: (padding, block extents, and for each row
    c * prod(kernel) + j the channel and the strided slices it reads)."""
    spatial = len(kernel)
    stride = stride or (1,) * spatial
    dilate = dilate or (1,) * spatial
    pad = pad or (0,) * spatial
    extents = [(shape[2 + d] + 2 * pad[d] - dilate[d] * (kernel[d] - 1) - 1)
               // stride[d] + 1 for d in range(spatial)]
    rows = []
    for c in range(shape[1]):
        for k in np.ndindex(*kernel):
            rows.append((c, tuple(
                slice(k[d] * dilate[d],
                      k[d] * dilate[d] + stride[d] * (extents[d] - 1) + 1,
                      stride[d]) for d in range(spatial))))
    return [(0, 0), (0, 0)] + [(p, p) for p in pad], extents, rows


def im2col_reference(x, **kwargs):
    padding, _, rows = sliding_blocks(x.shape, **kwargs)
    padded = np.pad(x, padding)
    return np.stack([padded[(slice(None), c) + where].reshape(len(x), -1)
                     for c, where in rows], axis=1)


def col2im_reference(cols, size, **kwargs):
    shape = (len(cols), cols.shape[1] // int(np.prod(kwargs["kernel"])))
    padding, extents, rows = sliding_blocks(shape + tuple(size), **kwargs)
    padded = np.zeros(shape + tuple(s + sum(p) for s, p in
                                    zip(size, padding[2:])))
    for row, (c, where) in enumerate(rows):
        padded[(slice(None), c) + where] += cols[:, row].reshape(
            (len(cols),) + tuple(extents))
    crop = tuple(slice(p[0], p[0] + s) for p, s in zip(padding[2:], size))
    return padded[(slice(None), slice(None)) + crop]


@pytest.mark.parametrize("name,shape,kwargs", SLIDING,
                         ids=[case[0] for case in SLIDING])
def test_im2col_col2im_in_1d_and_3d(name, shape, kwargs):
    # Against numpy (MXNet 1.9.1 fails to compute 1-D and 3-D ones).
    x = RNG.standard_normal(shape)
    cols = nd.im2col(nd.array(x, dtype="float64"), **kwargs).asnumpy()
    np.testing.assert_array_equal(cols, im2col_reference(x, **kwargs))
    y = RNG.standard_normal(cols.shape)
    image = nd.col2im(nd.array(y, dtype="float64"), output_size=shape[2:],
                      **kwargs).asnumpy()
    np.testing.assert_allclose(image, col2im_reference(y, shape[2:], **kwargs),
                               rtol=1e-12, atol=1e-12)


# Numeric gradients (float64, finite differences).

def numeric(op, arrays, grad_nodes=None, **kwargs):
    check_numeric_gradient(lambda *a: op(*a, **kwargs),
                           [np.asarray(a, dtype=np.float64) for a in arrays],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8,
                           grad_nodes=grad_nodes, dtype=np.float64)


def test_upsampling_numeric_gradient():
    x = RNG.standard_normal((1, 2, 2, 3))
    numeric(nd.UpSampling, [x, RNG.standard_normal((1, 1, 4, 6))],
            scale=2, sample_type="nearest")
    numeric(nd.UpSampling, [x, RNG.standard_normal((1, 2, 4, 6))], scale=2,
            sample_type="nearest", multi_input_mode="sum")
    numeric(nd.UpSampling, [x, RNG.standard_normal((2, 1, 5, 5))], scale=3,
            sample_type="bilinear", num_filter=2)


def test_grid_generator_numeric_gradient():
    numeric(nd.GridGenerator, [RNG.standard_normal((2, 6))],
            transform_type="affine", target_shape=(3, 4))
    numeric(nd.GridGenerator, [RNG.standard_normal((1, 2, 3, 4))],
            transform_type="warp")


def test_bilinear_sampler_numeric_gradient():
    grid = RNG.uniform(-1.3, 1.3, (2, 2, 3, 4))
    numeric(nd.BilinearSampler, [RNG.standard_normal((2, 2, 4, 5)), grid])


def test_spatial_transformer_numeric_gradient():
    loc = affine_clear_of_pixels(1, (3, 3), (4, 5))
    numeric(nd.SpatialTransformer, [RNG.standard_normal((1, 2, 4, 5)), loc],
            target_shape=(3, 3), transform_type="affine",
            sampler_type="bilinear")


def test_roi_pooling_numeric_gradient():
    # Distinct values, so that each bin's maximum is clear of the step.
    data = RNG.permutation(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) / 10.0
    numeric(nd.ROIPooling, [data, ROIS[:4] * 0.8], grad_nodes=[0],
            pooled_size=(2, 3), spatial_scale=1.0)


def test_im2col_col2im_numeric_gradient():
    kwargs = dict(kernel=(2, 3), stride=(2, 1), pad=(1, 1), dilate=(1, 2))
    numeric(nd.im2col, [RNG.standard_normal((1, 2, 5, 6))], **kwargs)
    cols = nd.im2col(nd.ones((1, 2, 5, 6)), **kwargs)
    numeric(nd.col2im, [RNG.standard_normal(cols.shape)], output_size=(5, 6),
            **kwargs)


def test_im2col_and_col2im_are_each_others_gradient():
    kwargs = dict(kernel=(3, 2), stride=(1, 2), pad=(1, 0))
    x = nd.array(RNG.standard_normal((2, 3, 5, 6)))
    x.attach_grad()
    with mx.autograd.record():
        cols = nd.im2col(x, **kwargs)
    head = nd.array(RNG.standard_normal(cols.shape))
    cols.backward(head)
    np.testing.assert_allclose(
        x.grad.asnumpy(),
        nd.col2im(head, output_size=(5, 6), **kwargs).asnumpy(), rtol=1e-5,
        atol=1e-6)


# Bad inputs: MXNetError at the call, naming the op, the argument, expected
# and got; MXNet 1.9.1 refuses each of them too.

PRELUDE = """
nd = mx.nd
x = nd.ones((1, 2, 3, 3))
w = nd.ones((2, 1, 4, 4))
affine = nd.ones((2, 6))
flow = nd.ones((2, 2, 3, 3))
data = nd.ones((2, 3, 4, 5))
grid = nd.zeros((2, 2, 3, 3))
rois = nd.array([[0, 0, 0, 2, 2]])
image = nd.ones((1, 2, 5, 6))
cols = nd.ones((1, 8, 20))

def up(*arrays, **kwargs):
    kwargs.setdefault("scale", 2)
    kwargs.setdefault("sample_type", "nearest")
    return nd.UpSampling(*(arrays or (x,)), **kwargs)

def bilinear(*arrays, **kwargs):
    kwargs.setdefault("num_filter", 2)
    return up(*(arrays or (x, w)), sample_type="bilinear", **kwargs)

def st(d=data, l=affine, **kwargs):
    kwargs.setdefault("target_shape", (3, 4))
    kwargs.setdefault("transform_type", "affine")
    kwargs.setdefault("sampler_type", "bilinear")
    return nd.SpatialTransformer(d, l, **kwargs)

def roi(d=data, r=rois, **kwargs):
    kwargs.setdefault("pooled_size", (2, 2))
    kwargs.setdefault("spatial_scale", 1.0)
    return nd.ROIPooling(d, r, **kwargs)
"""
BAD = [
    # UpSampling
    ("up_scale_zero", "up(scale=0)",
     "UpSampling: scale expected an integer >= 1, got 0"),
    ("up_scale_negative", "up(scale=-1)",
     "UpSampling: scale expected an integer >= 1, got -1"),
    ("up_scale_tuple", "up(scale=(2, 2))",
     "UpSampling: argument 'scale' expected an integer, got '\\(2, 2\\)'"),
    ("up_no_scale", 'nd.UpSampling(x, sample_type="nearest")',
     "UpSampling: missing required argument 'scale'"),
    ("up_no_type", "nd.UpSampling(x, scale=2)",
     "UpSampling: missing required argument 'sample_type'"),
    ("up_bad_type", 'up(sample_type="cubic")',
     "UpSampling: sample_type expected 'nearest' or 'bilinear', got 'cubic'"),
    ("up_bad_mode", 'up(multi_input_mode="max")',
     "UpSampling: multi_input_mode expected 'concat' or 'sum', got 'max'"),
    ("up_rank3", "up(nd.ones((2, 3, 4)))",
     r"UpSampling: data expected a 4-D array .*got shape \(2, 3, 4\)"),
    ("up_rank5", "up(nd.ones((1, 1, 2, 2, 2)))",
     r"UpSampling: data expected a 4-D array .*got shape \(1, 1, 2, 2, 2\)"),
    ("up_int", 'up(x.astype("int32"))',
     "UpSampling: data expected float16, float32 or float64, got int32"),
    ("up_input_dtype", 'up(x, nd.ones((1, 2, 3, 3), dtype="float64"))',
     r"UpSampling: input 1 expected dtype float32 \(data's\), got float64"),
    ("up_input_batch", "up(x, nd.ones((2, 2, 3, 3)))",
     r"UpSampling: input 1 has batch 2, expected 1"),
    ("up_input_not_dividing", "up(x, nd.ones((1, 2, 4, 4)))",
     r"UpSampling: input 1 has height and width \(4, 4\), expected an "
     r"integer fraction of the output's \(6, 6\)"),
    ("up_input_larger", "up(x, nd.ones((1, 2, 12, 12)))",
     r"UpSampling: input 1 has height and width \(12, 12\)"),
    ("up_input_aspect", "up(nd.ones((1, 1, 3, 4)), nd.ones((1, 1, 3, 2)))",
     r"UpSampling: input 1 has height and width \(3, 2\), expected an "
     r"integer fraction of the output's \(6, 8\) with one scale for both"),
    ("up_sum_channels", 'up(x, nd.ones((1, 3, 6, 6)), '
     'multi_input_mode="sum")',
     r"UpSampling: input 1 has 3 channels, expected 2"),
    ("bilinear_no_weight", "bilinear(x)",
     r"UpSampling: sample_type 'bilinear' expects 2 inputs \(data, weight\), "
     "got 1"),
    ("bilinear_three", "bilinear(x, w, w)",
     r"UpSampling: sample_type 'bilinear' expects 2 inputs \(data, weight\), "
     "got 3"),
    ("bilinear_weight_shape", "bilinear(x, nd.ones((2, 1, 3, 3)))",
     r"UpSampling: weight expected shape \(2, 1, 4, 4\) .*got \(2, 1, 3, "
     r"3\)"),
    ("bilinear_weight_dtype", 'bilinear(x, w.astype("float64"))',
     r"UpSampling: weight expected dtype float32 \(data's\), got float64"),
    ("bilinear_num_filter", "bilinear(num_filter=4)",
     r"UpSampling: num_filter expected 2 \(data's channels.*got 4"),
    ("bilinear_half", 'bilinear(x.astype("float16"), w.astype("float16"))',
     "UpSampling: data expected dtype float32 or float64, got float16"),
    # GridGenerator
    ("grid_no_type", "nd.GridGenerator(affine, target_shape=(3, 4))",
     "GridGenerator: missing required argument 'transform_type'"),
    ("grid_bad_type", 'nd.GridGenerator(affine, transform_type="perspective", '
     'target_shape=(3, 4))',
     "GridGenerator: transform_type expected 'affine' or 'warp', got "
     "'perspective'"),
    ("grid_no_target", 'nd.GridGenerator(affine, transform_type="affine")',
     r"GridGenerator: target_shape expected \(height, width\), both >= 1, "
     r"got \(0, 0\)"),
    ("grid_target_zero", 'nd.GridGenerator(affine, transform_type="affine", '
     'target_shape=(0, 3))',
     r"GridGenerator: target_shape expected .*got \(0, 3\)"),
    ("grid_target_one", 'nd.GridGenerator(affine, transform_type="affine", '
     'target_shape=(3,))',
     r"GridGenerator: target_shape expected .*got \(3,\)"),
    ("grid_affine_5", 'nd.GridGenerator(nd.ones((2, 5)), '
     'transform_type="affine", target_shape=(3, 4))',
     r"GridGenerator: data expected shape \(batch, 6\) .*got \(2, 5\)"),
    ("grid_affine_rank", 'nd.GridGenerator(nd.ones((2, 2, 3)), '
     'transform_type="affine", target_shape=(3, 4))',
     r"GridGenerator: data expected a 2-D array .*got shape \(2, 2, 3\)"),
    ("grid_warp_channels", 'nd.GridGenerator(nd.ones((1, 3, 3, 3)), '
     'transform_type="warp")',
     r"GridGenerator: data expected shape \(batch, 2, height, width\) .*got "
     r"\(1, 3, 3, 3\)"),
    ("grid_warp_rank", 'nd.GridGenerator(nd.ones((2, 3, 3)), '
     'transform_type="warp")',
     r"GridGenerator: data expected a 4-D array .*got shape \(2, 3, 3\)"),
    ("grid_half", 'nd.GridGenerator(affine.astype("float16"), '
     'transform_type="affine", target_shape=(3, 4))',
     "GridGenerator: data expected dtype float32 or float64, got float16"),
    ("grid_int", 'nd.GridGenerator(affine.astype("int32"), '
     'transform_type="affine", target_shape=(3, 4))',
     "GridGenerator: data expected dtype float32 or float64, got int32"),
    # BilinearSampler
    ("bs_data_rank", "nd.BilinearSampler(nd.ones((2, 3, 4)), grid)",
     r"BilinearSampler: data expected a 4-D array .*got shape \(2, 3, 4\)"),
    ("bs_grid_rank", "nd.BilinearSampler(data, nd.ones((2, 2, 3)))",
     r"BilinearSampler: grid expected a 4-D array .*got shape \(2, 2, 3\)"),
    ("bs_grid_channels", "nd.BilinearSampler(data, nd.ones((2, 3, 3, 3)))",
     r"BilinearSampler: grid expected shape \(2, 2, height, width\) .*got "
     r"\(2, 3, 3, 3\)"),
    ("bs_grid_batch", "nd.BilinearSampler(data, nd.ones((1, 2, 3, 3)))",
     r"BilinearSampler: grid expected shape \(2, 2, height, width\) .*got "
     r"\(1, 2, 3, 3\)"),
    ("bs_dtype", 'nd.BilinearSampler(data, grid.astype("float64"))',
     r"BilinearSampler: grid expected dtype float32 \(data's\), got float64"),
    ("bs_int", 'nd.BilinearSampler(data.astype("int32"), '
     'grid.astype("int32"))',
     "BilinearSampler: data expected float16, float32 or float64, got int32"),
    ("bs_empty_data", "nd.BilinearSampler(nd.empty((2, 3, 0, 5)), grid)",
     r"BilinearSampler: data expected a non-empty height and width, got "
     r"shape \(2, 3, 0, 5\)"),
    ("bs_empty_grid", "nd.BilinearSampler(data, nd.empty((2, 2, 0, 3)))",
     r"BilinearSampler: grid expected a non-empty height and width"),
    # SpatialTransformer
    ("st_no_target", "st(target_shape=(0, 0))",
     r"SpatialTransformer: target_shape expected \(height, width\)"),
    ("st_no_sampler", 'nd.SpatialTransformer(data, affine, target_shape=(3, '
     '4), transform_type="affine")',
     "SpatialTransformer: missing required argument 'sampler_type'"),
    ("st_bad_transform", 'st(transform_type="warp")',
     "SpatialTransformer: transform_type expected 'affine', got 'warp'"),
    ("st_bad_sampler", 'st(sampler_type="nearest")',
     "SpatialTransformer: sampler_type expected 'bilinear', got 'nearest'"),
    ("st_loc_5", "st(l=nd.ones((2, 5)))",
     r"SpatialTransformer: loc expected shape \(2, 6\) .*got \(2, 5\)"),
    ("st_loc_rank", "st(l=nd.ones((2, 2, 3)))",
     r"SpatialTransformer: loc expected shape \(2, 6\) .*got \(2, 2, 3\)"),
    ("st_data_rank", "st(d=nd.ones((2, 3, 4)))",
     r"SpatialTransformer: data expected a 4-D array"),
    # ROIPooling
    ("roi_no_scale", "nd.ROIPooling(data, rois, pooled_size=(2, 2))",
     "ROIPooling: missing required argument 'spatial_scale'"),
    ("roi_no_pooled", "nd.ROIPooling(data, rois, spatial_scale=1.0)",
     "ROIPooling: missing required argument 'pooled_size'"),
    ("roi_pooled_one", "roi(pooled_size=(2,))",
     r"ROIPooling: pooled_size expected \(height, width\), both >= 1, got "
     r"\(2,\)"),
    ("roi_pooled_three", "roi(pooled_size=(2, 2, 2))",
     r"ROIPooling: pooled_size expected .*got \(2, 2, 2\)"),
    ("roi_pooled_zero", "roi(pooled_size=(0, 2))",
     r"ROIPooling: pooled_size expected .*got \(0, 2\)"),
    ("roi_scale_big", "roi(spatial_scale=2.0)",
     r"ROIPooling: spatial_scale expected a value in \[0, 1\], got 2"),
    ("roi_scale_negative", "roi(spatial_scale=-1.0)",
     r"ROIPooling: spatial_scale expected a value in \[0, 1\], got -1"),
    ("roi_rois_4", "roi(r=nd.ones((1, 4)))",
     r"ROIPooling: rois expected shape \(rois, 5\) .*got \(1, 4\)"),
    ("roi_rois_rank", "roi(r=nd.ones((5,)))",
     r"ROIPooling: rois expected a 2-D array .*got shape \(5,\)"),
    ("roi_data_rank", "roi(d=nd.ones((3, 4, 5)))",
     r"ROIPooling: data expected a 4-D array .*got shape \(3, 4, 5\)"),
    ("roi_dtype", 'roi(r=rois.astype("float64"))',
     r"ROIPooling: rois expected dtype float32 \(data's\), got float64"),
    ("roi_int", 'roi(d=data.astype("int32"), r=rois.astype("int32"))',
     "ROIPooling: data expected float16, float32 or float64, got int32"),
    # im2col / col2im
    ("im2col_no_kernel", "nd.im2col(image)",
     "im2col: missing required argument 'kernel'"),
    ("im2col_kernel_4d", "nd.im2col(nd.ones((1, 1, 3, 3, 3, 3)), "
     "kernel=(2, 2, 2, 2))",
     r"im2col: kernel expected 1 to 3 entries, got \(2, 2, 2, 2\)"),
    ("im2col_kernel_zero", "nd.im2col(image, kernel=(0, 2))",
     r"im2col: kernel entries must be >= 1, got \(0, 2\)"),
    ("im2col_stride_length", "nd.im2col(image, kernel=(2, 2), stride=(1,))",
     r"im2col: stride expected 2 entries \(as kernel \(2, 2\)\), got \(1,\)"),
    ("im2col_pad_length", "nd.im2col(image, kernel=(2, 2), pad=(1,))",
     r"im2col: pad expected 2 entries .*got \(1,\)"),
    ("im2col_dilate_length", "nd.im2col(image, kernel=(2, 2), "
     "dilate=(1, 1, 1))",
     r"im2col: dilate expected 2 entries .*got \(1, 1, 1\)"),
    ("im2col_stride_zero", "nd.im2col(image, kernel=(2, 2), stride=(0, 1))",
     r"im2col: stride entries must be >= 1, got \(0, 1\)"),
    ("im2col_too_big", "nd.im2col(image, kernel=(7, 2))",
     r"im2col: kernel \(7, 2\) \(dilated extent 7\) is larger than the padded "
     r"input extent 5 of spatial dimension 0"),
    ("im2col_int", 'nd.im2col(image.astype("int32"), kernel=(2, 2))',
     "im2col: data expected float16, float32 or float64, got int32"),
    ("col2im_int", 'nd.col2im(cols.astype("int32"), output_size=(5, 6), '
     'kernel=(2, 2))',
     "col2im: data expected float16, float32 or float64, got int32"),
    ("im2col_data_rank", "nd.im2col(nd.ones((2, 3, 7)), kernel=(2, 2))",
     r"im2col: data expected 4 dimensions .*got shape \(2, 3, 7\)"),
    ("col2im_no_size", "nd.col2im(cols, kernel=(2, 2))",
     "col2im: missing required argument 'output_size'"),
    ("col2im_size_length", "nd.col2im(cols, output_size=(5,), "
     "kernel=(2, 2))",
     r"col2im: output_size expected 2 entries \(as kernel \(2, 2\)\), got "
     r"\(5,\)"),
    ("col2im_blocks", "nd.col2im(nd.ones((1, 8, 19)), output_size=(5, 6), "
     "kernel=(2, 2))",
     r"col2im: data has 19 blocks \(its last extent\), expected 20"),
    ("col2im_channels", "nd.col2im(nd.ones((1, 10, 20)), output_size=(5, 6), "
     "kernel=(2, 2))",
     r"col2im: data's second extent is 10, expected a positive multiple of "
     r"the kernel size 4"),
    ("col2im_rank", "nd.col2im(nd.ones((8, 20)), output_size=(5, 6), "
     "kernel=(2, 2))",
     r"col2im: data expected a 3-D array .*got shape \(8, 20\)"),
    ("col2im_small", "nd.col2im(nd.ones((1, 8, 1)), output_size=(1, 1), "
     "kernel=(2, 2))",
     r"col2im: kernel \(2, 2\) \(dilated extent 2\) is larger than the "
     r"padded output extent 1"),
]
KILN_ONLY = [
    # MXNet 1.9.1's process dies (a division by zero) on num_filter=0.
    ("bilinear_num_filter_zero", "bilinear(num_filter=0)",
     r"UpSampling: num_filter expected 2 .*got 0"),
    # MXNet accepts these and reads what it finds.
    ("grid_target_three", 'nd.GridGenerator(affine, transform_type="affine", '
     'target_shape=(2, 3, 4))',
     r"GridGenerator: target_shape expected .*got \(2, 3, 4\)"),
    ("st_loc_batch", "st(l=nd.ones((1, 6)))",
     r"SpatialTransformer: loc expected shape \(2, 6\) .*got \(1, 6\)"),
    ("im2col_kernel_rank", "nd.im2col(image, kernel=(3,))",
     r"im2col: data expected 3 dimensions .*got shape \(1, 2, 5, 6\)"),
    ("im2col_pad_negative", "nd.im2col(image, kernel=(2, 2), pad=(-1, 0))",
     r"im2col: pad entries must be >= 0, got \(-1, 0\)"),
    ("roi_batch_index", "roi(r=nd.array([[2, 0, 0, 1, 1]]))",
     r"ROIPooling: rois\[0, 0\] \(the batch index\) is 2, expected 0 to 1"),
    # Sizes past 64 bits or the host tables' bound (MXNet's 32-bit shapes
    # wrap them): errors naming the argument, never a crash, a bare
    # ValueError/MemoryError or an internal op's name.
    ("roi_pooled_wraps", "roi(pooled_size=(2**32, 2**32))",
     r"ROIPooling: pooled_size expected at most 268435456 bins .*got "
     r"\(4294967296, 4294967296\) for 1 rois"),
    ("roi_pooled_huge", "roi(pooled_size=(10**9, 10**9))",
     r"ROIPooling: pooled_size expected at most .*got \(1000000000, "),
    ("roi_pooled_large", "roi(pooled_size=(10**5, 10**5))",
     r"ROIPooling: pooled_size expected at most .*got \(100000, 100000\)"),
    ("grid_target_wraps", 'nd.GridGenerator(affine, transform_type="affine", '
     'target_shape=(2**32, 2**32))',
     r"GridGenerator: target_shape expected at most 89478485 points "
     r"\(height \* width\), got \(4294967296, 4294967296\)"),
    ("grid_target_large", 'nd.GridGenerator(affine, transform_type="affine", '
     'target_shape=(10**5, 10**5))',
     r"GridGenerator: target_shape expected at most .*got \(100000, 100000\)"),
    ("st_target_large", "st(target_shape=(10**9, 10**9))",
     r"SpatialTransformer: target_shape expected at most .*got "
     r"\(1000000000, 1000000000\)"),
    ("im2col_kernel_wraps", "nd.im2col(nd.ones((1, 1, 2, 2)), "
     "kernel=(2**16, 2**16), pad=(2**15, 2**15))",
     r"im2col: kernel \(65536, 65536\) over \(3, 3\) blocks expected at "
     r"most 268435456 \(kernel position, block\) pairs, got 4294967296 \* 9"),
    ("col2im_kernel_wraps", "nd.col2im(nd.ones((1, 4, 4)), output_size=(1, 1), "
     "kernel=(2**32, 2**32), pad=(2**31, 2**31))",
     r"col2im: kernel \(4294967296, 4294967296\) over \(2, 2\) blocks "
     r"expected at most 268435456 .*got more than 2\^63"),
    ("im2col_pad_overflows", "nd.im2col(image, kernel=(2, 2), "
     "pad=(2**62, 0))",
     r"im2col: pad \(4611686018427387904, 0\) around the input extents "
     r"\(5, 6\) is more than a 64-bit extent holds"),
    ("col2im_dilate_overflows", "nd.col2im(cols, output_size=(5, 6), "
     "kernel=(3, 2), dilate=(2**62, 1))",
     r"col2im: kernel \(3, 2\) dilated by \(4611686018427387904, 1\) spans "
     r"more than a 64-bit extent holds"),
    ("up_scale_overflows", "up(scale=2**62)",
     r"UpSampling: scale 4611686018427387904 upsamples data of shape "
     r"\(1, 2, 3, 3\) past a 64-bit element count"),
    ("bilinear_scale_overflows", "bilinear(nd.empty((0, 2, 1, 1)), w, "
     "scale=2**62 + 1)",
     r"UpSampling: scale expected at most 4611686018427387903 for "
     r"sample_type 'bilinear'"),
    ("bilinear_no_channels", "bilinear(nd.empty((1, 0, 2, 2)), "
     "nd.empty((0, 1, 4, 4)), num_filter=0)",
     r"UpSampling: sample_type 'bilinear' expected data with at least one "
     r"channel, got shape \(1, 0, 2, 2\)"),
]


test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, BAD, KILN_ONLY, MXNetError)


def test_im2col_with_a_large_kernel_is_a_gather():
    """im2col/col2im gather and scatter by a (kernel position, block) index
    table, not a convolution with C * K one-hot filters of K values each:
    kernel (48, 48) over 32 channels (K = 2304; the filters would be 170M
    values) is a single block, computed at once."""
    x = RNG.standard_normal((1, 32, 48, 48))
    cols = nd.im2col(nd.array(x), kernel=(48, 48))
    assert cols.shape == (1, 32 * 48 * 48, 1)
    np.testing.assert_array_equal(cols.asnumpy().ravel(),
                                  x.astype(np.float32).ravel())
    image = nd.col2im(cols, output_size=(48, 48), kernel=(48, 48))
    np.testing.assert_array_equal(image.asnumpy(), x.astype(np.float32))
