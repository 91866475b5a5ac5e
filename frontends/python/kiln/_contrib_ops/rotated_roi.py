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
from ._checks import (data_rois_dtype, host_memory, in_range, shape_of,
                      with_checks)
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
    for size in parsed.pooled_size:  # -1, "unknown", is all Shape takes
        check(size >= 0, "dim_size_is_known(*it): Shape dim size cannot "
              "be a negative value %d" % size)
    if data is not None and rois is not None:
        out = (rois[0], data[1]) + tuple(parsed.pooled_size)
    return [(data, dtype), (rois, dtype)], [(out, dtype)]


# Work per step: bins x samples points (and bins x pixels weights) at
# most this many, so memory stays bounded whatever the roi's size, the
# pooled size or sampling_ratio.
_CHUNK = 1 << 20
_INT_MAX = 2 ** 31 - 1


def _geometry(parsed, roi, t):
    """The scalars of one roi, in MXNet's dtype `t` arithmetic: centre,
    start, bin size, sampling grid and the angle's cos and sin."""
    ph_count, pw_count = parsed.pooled_size
    scale = t(_np.float32(parsed.spatial_scale))
    roi_w = max(t(roi[3] * scale), t(1))
    roi_h = max(t(roi[4] * scale), t(1))
    theta = t(float(roi[5]) * _math.pi / 180.0)
    bin_h, bin_w = t(roi_h / t(ph_count)), t(roi_w / t(pw_count))
    grid_h = parsed.sampling_ratio if parsed.sampling_ratio > 0 else \
        int(_np.ceil(bin_h))
    grid_w = parsed.sampling_ratio if parsed.sampling_ratio > 0 else \
        int(_np.ceil(bin_w))
    # libm's correctly rounded cosf/sinf: the double result rounded
    return dict(centre_w=t(roi[1] * scale), centre_h=t(roi[2] * scale),
                start_h=t(-roi_h / 2.0), start_w=t(-roi_w / 2.0),
                bin_h=bin_h, bin_w=bin_w, grid_h=grid_h, grid_w=grid_w,
                cos=t(_math.cos(theta)), sin=t(_math.sin(theta)))


def _samples(g, bins, points, pw_count, height, width, t):
    """(flat pixel indices, weights), both (len(bins), len(points), 4), of
    the bilinear corners of sample `points` (flat over the grid) of the
    flat `bins`, as MXNet's bilinear_interpolate computes them."""
    ph = (bins // pw_count).astype(t)[:, None]
    pw = (bins % pw_count).astype(t)[:, None]
    iy = (points // g["grid_w"] + 0.5).astype(t)[None, :]
    ix = (points % g["grid_w"] + 0.5).astype(t)[None, :]
    yy = (g["start_h"] + ph * g["bin_h"]) + \
        iy * g["bin_h"] / t(g["grid_h"])
    xx = (g["start_w"] + pw * g["bin_w"]) + \
        ix * g["bin_w"] / t(g["grid_w"])
    cos, sin = g["cos"], g["sin"]
    x = (xx * cos + yy * sin) + g["centre_w"]
    y = (yy * cos - xx * sin) + g["centre_h"]
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
    return indices, weights


def _roi(parsed, values, roi, n, height, width, t):
    """(C, ph * pw) float64 pooled values of one roi over `values` (C,
    H * W) float64: per chunk of bins, the bins' bilinear weights summed
    per pixel (bincount) and applied to every channel at once (matmul),
    so memory is bounded by _CHUNK, not channels x samples."""
    g = _geometry(parsed, roi, t)
    count = g["grid_h"] * g["grid_w"]
    if count > _INT_MAX:
        # MXNet's int count overflows: undefined there, refused here
        raise MXNetError(
            "RROIAlign: roi %d samples %d x %d points per bin (sampling_"
            "ratio %d), expected at most %d in all (MXNet's int count)"
            % (n, g["grid_h"], g["grid_w"], parsed.sampling_ratio, _INT_MAX))
    ph_count, pw_count = parsed.pooled_size
    pixels = height * width
    total = ph_count * pw_count
    out = _np.empty((values.shape[0], total), dtype=_np.float64)
    bin_step = max(1, min(total, _CHUNK // max(pixels, 1)))
    point_step = max(1, _CHUNK // bin_step)
    for first in range(0, total, bin_step):
        bins = _np.arange(first, min(first + bin_step, total))
        local = _np.arange(len(bins))[:, None, None] * pixels
        matrix = _np.zeros(len(bins) * pixels, dtype=_np.float64)
        for start in range(0, count, point_step):
            points = _np.arange(start, min(start + point_step, count))
            indices, weights = _samples(g, bins, points, pw_count, height,
                                        width, t)
            # summed in double: float32 sums differ from MXNet's
            # sequential ones by rounding only
            matrix += _np.bincount(
                (indices + local).ravel(),
                weights=weights.astype(_np.float64).ravel(),
                minlength=matrix.size)
        out[:, first:first + len(bins)] = values @ matrix.reshape(
            len(bins), pixels).T
    return out / count


def _forward(parsed, arrays, is_train):
    data, rois = arrays
    batch, channels, height, width = data.shape
    t = data.dtype.type
    ph_count, pw_count = parsed.pooled_size
    out = _np.zeros((len(rois), channels, ph_count, pw_count),
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
        pooled = _roi(parsed, flat[index].astype(_np.float64), roi, n,
                      height, width, t)
        out[n] = pooled.reshape(channels, ph_count, pw_count)
    return [out]


def _backward(parsed, arrays, outputs, out_grads):
    raise MXNetError("Operator _contrib_RROIAlign is non-differentiable "
                     "because it didn't register FGradient attribute.")


_python_ops.register(
    _PARAMS.op_name, inputs=["data", "rois"], outputs=["output"],
    params=_PARAMS.specs,
    parse=with_checks(_PARAMS, shape_of("pooled_size", 2),
                      in_range("spatial_scale", 0.0, 1.0)),
    infer=_infer, forward=host_memory(_forward), backward=_backward,
    doc="Rotated region-of-interest align (text detection).")

__all__ = []
