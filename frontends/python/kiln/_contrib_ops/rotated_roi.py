"""MXNet 1.9.1's rotated region-of-interest align
(src/operator/contrib/rroi_align.cc), on the host with numpy in the
inputs' dtype:

    RROIAlign(data, rois, pooled_size, spatial_scale, sampling_ratio=-1)
        data (B, C, H, W) float16/32/64, rois (R, 6) of the same dtype
        [batch, centre x, centre y, width, height, angle in degrees] ->
        (R, C, ph, pw): each bin the mean of bilinear samples on a grid of
        sampling_ratio (else ceil(roi extent / pooled extent)) points per
        axis of the box rotated by the angle around its centre; boxes
        smaller than 1 x 1 (after spatial_scale) grow to 1 x 1.

Forward only: MXNet registers no gradient, so backward through it raises
MXNetError ("non-differentiable") as MXNet's does. A batch index outside
the data raises MXNetError (MXNet reads outside the data). Errors for bad
shapes, dtypes and attributes are worded as MXNet's.
"""
import math as _math

import numpy as _np

from .. import _python_ops
from ..base import MXNetError
from ._checks import data_rois_dtype, in_range, shape_of, with_checks
from ._common import check
from ._params import FLOAT, INT, SHAPE, Param, Params

_PARAMS = Params("_contrib_RROIAlign", [
    Param("pooled_size", SHAPE), Param("spatial_scale", FLOAT),
    Param("sampling_ratio", INT, -1)])


def _infer(parsed, shapes, dtypes):
    data, rois = shapes
    dtype = data_rois_dtype(dtypes)
    out = None
    if data is not None:
        check(len(data) == 4, "dshape.ndim() == 4U (%d vs. 4) : data should "
              "be a 4D tensor" % len(data))
    if rois is not None:
        check(len(rois) == 2, "bshape.ndim() == 2U (%d vs. 2) : bbox should "
              "be a 2D tensor of shape [batch, 6]" % len(rois))
        check(rois[1] == 6, "bshape[1] == 6U (%d vs. 6) : bbox should be a "
              "2D tensor of shape [batch, 6]" % rois[1])
    if data is not None and rois is not None:
        out = (rois[0], data[1]) + tuple(parsed.pooled_size)
    return [(data, dtype), (rois, dtype)], [(out, dtype)]


def _samples(parsed, roi, height, width, t):
    """(flat indices (ph, pw, G, 4), weights (ph, pw, G, 4), G) of one
    roi's bins over its G grid samples, in MXNet's dtype `t` arithmetic."""
    ph_count, pw_count = parsed.pooled_size
    scale = t(_np.float32(parsed.spatial_scale))
    centre_w, centre_h = t(roi[1] * scale), t(roi[2] * scale)
    roi_w = max(t(roi[3] * scale), t(1))
    roi_h = max(t(roi[4] * scale), t(1))
    theta = t(float(roi[5]) * _math.pi / 180.0)
    start_h, start_w = t(-roi_h / 2.0), t(-roi_w / 2.0)
    bin_h, bin_w = t(roi_h / t(ph_count)), t(roi_w / t(pw_count))
    grid_h = parsed.sampling_ratio if parsed.sampling_ratio > 0 else \
        int(_np.ceil(t(roi_h / t(ph_count))))
    grid_w = parsed.sampling_ratio if parsed.sampling_ratio > 0 else \
        int(_np.ceil(t(roi_w / t(pw_count))))
    # libm's correctly rounded cosf/sinf: the double result rounded
    cos, sin = t(_math.cos(theta)), t(_math.sin(theta))
    iy = (_np.arange(grid_h) + 0.5).astype(t)
    ix = (_np.arange(grid_w) + 0.5).astype(t)
    ph = _np.arange(ph_count).astype(t)
    pw = _np.arange(pw_count).astype(t)
    yy = (start_h + ph * bin_h)[:, None] + (iy * bin_h / t(grid_h))[None, :]
    xx = (start_w + pw * bin_w)[:, None] + (ix * bin_w / t(grid_w))[None, :]
    yy = yy[:, None, :, None]             # (ph, 1, gh, 1)
    xx = xx[None, :, None, :]             # (1, pw, 1, gw)
    x = (xx * cos + yy * sin) + centre_w
    y = (yy * cos - xx * sin) + centre_h
    outside = (y < -1.0) | (y > height) | (x < -1.0) | (x > width)
    y, x = _np.maximum(y, t(0)), _np.maximum(x, t(0))
    y_low = _np.minimum(y.astype(_np.int64), height - 1)
    x_low = _np.minimum(x.astype(_np.int64), width - 1)
    y = _np.where(y_low >= height - 1, y_low.astype(t), y)
    x = _np.where(x_low >= width - 1, x_low.astype(t), x)
    y_high = _np.minimum(y_low + 1, height - 1)
    x_high = _np.minimum(x_low + 1, width - 1)
    ly, lx = (y - y_low).astype(t), (x - x_low).astype(t)
    hy, hx = t(1) - ly, t(1) - lx
    indices = _np.stack([y_low * width + x_low, y_low * width + x_high,
                         y_high * width + x_low, y_high * width + x_high],
                        axis=-1)
    weights = _np.stack([hy * hx, hy * lx, ly * hx, ly * lx], axis=-1)
    weights[outside] = 0
    indices[outside] = 0
    shape = (ph_count, pw_count, grid_h * grid_w, 4)
    return indices.reshape(shape), weights.reshape(shape), grid_h * grid_w


def _forward(parsed, arrays, is_train):
    data, rois = arrays
    batch, channels, height, width = data.shape
    t = data.dtype.type
    out = _np.zeros((len(rois), channels) + tuple(parsed.pooled_size),
                    dtype=data.dtype)
    flat = data.reshape(batch, channels, height * width)
    for n, roi in enumerate(rois):
        if not all(_math.isfinite(value) for value in roi):
            out[n] = _np.nan  # MXNet's casts of NaN read garbage there
            continue
        index = int(roi[0])
        if not 0 <= index < batch:
            raise MXNetError("RROIAlign: rois[%d, 0] (the batch index) is "
                             "%d, expected 0 to %d" % (n, index, batch - 1))
        indices, weights, count = _samples(parsed, roi, height, width, t)
        # summed in double: float32 sums differ from MXNet's sequential
        # ones by rounding only
        values = flat[index][:, indices].astype(_np.float64)
        out[n] = (values * weights).sum(axis=(3, 4)) / count
    return [out]


def _backward(parsed, arrays, outputs, out_grads):
    raise MXNetError("Operator _contrib_RROIAlign is non-differentiable "
                     "because it didn't register FGradient attribute.")


_python_ops.register(
    _PARAMS.op_name, inputs=["data", "rois"], outputs=["output"],
    params=_PARAMS.specs,
    parse=with_checks(_PARAMS, shape_of("pooled_size", 2),
                      in_range("spatial_scale", 0.0, 1.0)),
    infer=_infer, forward=_forward, backward=_backward,
    doc="Rotated region-of-interest align (text detection).")

__all__ = []
