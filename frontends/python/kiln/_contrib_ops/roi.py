"""MXNet 1.9.1's region-of-interest pooling operators
(src/operator/contrib/roi_align.cc, psroi_pooling.cc), on the host with
numpy in the inputs' dtype:

    ROIAlign(data, rois, pooled_size, spatial_scale, sample_ratio=-1,
             position_sensitive=False, aligned=False)
        data (B, C, H, W), rois (R, 5) [batch, x1, y1, x2, y2] ->
        (R, C, ph, pw) (C / (ph * pw) channels when position_sensitive):
        each bin the mean of bilinear samples on a grid of sample_ratio
        (else ceil(roi size / pooled size)) points per axis; aligned
        shifts the boxes by half a pixel (Detectron2). Gradient: the
        samples' weights back into data; zero for rois.
    PSROIPooling(data, rois, spatial_scale, output_dim, pooled_size,
                 group_size=0)
        data (B, output_dim * group_size ** 2, H, W), rois (R, 5) ->
        (R, output_dim, pooled_size, pooled_size): position-sensitive
        average pooling over integer bins (R-FCN); group_size 0 means
        pooled_size. Gradient: each bin's mean back into data.

Rois whose batch index is negative (or NaN, for ROIAlign) give zeros (MXNet leaves most
of their output unwritten); one past the batch raises MXNetError (MXNet
reads outside the data). Non-finite coordinates give what MXNet's C++
casts give on x86 (NaN for ROIAlign, zeros for PSROIPooling); output or
sample grids too large for memory raise MXNetError before any work.
"""
import os as _os
import math as _math

import numpy as _np

from ._common import check, register, same_float_dtype
from ..base import MXNetError
from ._params import BOOL, FLOAT, INT, SHAPE, Param, Params


def _rois_check(shape):
    check(len(shape) == 2, "bshape.ndim() == 2 (%d vs. 2) : bbox should be "
          "a 2D tensor of shape [batch, 5]" % len(shape))
    check(shape[1] == 5, "bshape[1] == 5 (%d vs. 5) : bbox should be a 2D "
          "tensor of shape [batch, 5]" % shape[1])


_INT_MIN = -2 ** 31


def _c_int(value):
    """C's (int) cast of a float on x86: INT_MIN when non-finite or out of
    the int32 range."""
    value = float(value)
    if not _math.isfinite(value) or not -2 ** 31 <= value < 2 ** 31:
        return _INT_MIN
    return int(value)


def _wrap32(value):
    """`value` wrapped to int32 like C's overflowing int product."""
    return (value + 2 ** 31) % 2 ** 32 - 2 ** 31


def _memory_check(op, what, count, itemsize):
    """MXNetError unless `count` items of `itemsize` bytes fit in memory."""
    try:
        total = _os.sysconf("SC_PAGE_SIZE") * _os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 2 ** 40
    if count * itemsize > total:
        raise MXNetError("%s: Failed to allocate CPU Memory: %s needs %d "
                         "bytes" % (op, what, count * itemsize))


def _batch_index(op, rois, n, batch, nan_index=-1):
    """Roi n's batch index (negative: below 0; NaN: nan_index, what MXNet's
    build gives: no output for ROIAlign, batch 0 for PSROIPooling),
    MXNetError past the batch."""
    if _math.isnan(rois[n][0]):
        return nan_index
    index = _c_int(rois[n][0])
    if index >= batch:
        raise MXNetError("%s: rois[%d, 0] (the batch index) is %d, expected "
                         "0 to %d" % (op, n, index, batch - 1))
    return index


def _data_check(shape):
    check(len(shape) == 4, "dshape.ndim() == 4 (%d vs. 4) : data should be "
          "a 4D tensor" % len(shape))


# -- ROIAlign ----------------------------------------------------------------
_ALIGN = Params("_contrib_ROIAlign", [
    Param("pooled_size", SHAPE), Param("spatial_scale", FLOAT),
    Param("sample_ratio", INT, -1), Param("position_sensitive", BOOL, False),
    Param("aligned", BOOL, False)])


def _align_infer(parsed, shapes, dtypes):
    dtype = same_float_dtype(dtypes)
    data, rois = shapes
    out = None
    check(len(parsed.pooled_size) == 2 and 0 not in parsed.pooled_size,
          "pooled_size expects 2 non-zero extents, got %s"
          % (parsed.pooled_size,))
    for size in parsed.pooled_size:
        check(size > 0, "dim_size_is_known(*it): Shape dim size cannot be "
              "a negative value %d" % size)
    check(0 <= parsed.spatial_scale <= 1, "value %s for Parameter "
          "spatial_scale exceed bound [0,1]" % parsed.spatial_scale)
    if data is not None:
        _data_check(data)
    if rois is not None:
        _rois_check(rois)
    if data is not None and rois is not None:
        ph, pw = parsed.pooled_size
        channels = data[1]
        if parsed.position_sensitive:
            check(channels % (ph * pw) == 0, "dshape[1] %% (param.pooled_size"
                  "[0]*param.pooled_size[1]) == 0 (%d vs. 0) : Input channels "
                  "should be divided by pooled_size[0]*pooled_size[1]when "
                  "position_sensitive is true." % (channels % (ph * pw)))
            channels //= ph * pw
        out = (rois[0], channels, ph, pw)
    return [(data, dtype), (rois, dtype)], [(out, dtype)]


def _align_samples(parsed, roi, height, width, dtype):
    """[(ph, pw, flat indices (S, 4), weights (S, 4))] of one roi's bins:
    the bilinear corners of each sample and their weights over the
    sample count (zeros for samples outside the map)."""
    t = dtype.type
    ph_count, pw_count = parsed.pooled_size
    offset = t(0.5) if parsed.aligned else t(0)
    scale = t(_np.float32(parsed.spatial_scale))
    start_w, start_h = roi[1] * scale - offset, roi[2] * scale - offset
    end_w, end_h = roi[3] * scale - offset, roi[4] * scale - offset
    roi_w, roi_h = t(end_w - start_w), t(end_h - start_h)
    if parsed.aligned:
        check(roi_w > 0, "roi_width > 0. (%s vs. 0) " % roi_w)
        check(roi_h > 0, "roi_height > 0. (%s vs. 0) " % roi_h)
    else:
        roi_w, roi_h = max(roi_w, t(1)), max(roi_h, t(1))
    bin_h, bin_w = t(roi_h / t(ph_count)), t(roi_w / t(pw_count))
    grid_h = parsed.sample_ratio if parsed.sample_ratio > 0 else \
        _c_int(_np.ceil(roi_h / t(ph_count)))
    grid_w = parsed.sample_ratio if parsed.sample_ratio > 0 else \
        _c_int(_np.ceil(roi_w / t(pw_count)))
    finite = all(_math.isfinite(v) for v in (start_w, start_h, end_w, end_h))
    if grid_h <= 0 or grid_w <= 0 or not finite:
        # no samples: MXNet divides a zero sum by the wrapped int count
        # (NaN when it wraps to 0); NaN corners read garbage there
        count = _wrap32(grid_h * grid_w) if finite else 0
        value = t(0) / t(count) if count else t("nan")
        return [(ph, pw, None, value) for ph in range(ph_count)
                for pw in range(pw_count)]
    # MXNet's pre-computed sample table: 4 ints and 4 values per sample
    _memory_check("ROIAlign", "the sample grid of %d x %d per bin"
                  % (grid_h, grid_w), grid_h * grid_w * ph_count * pw_count,
                  4 * 8 + 4 * dtype.itemsize)
    count = t(grid_h * grid_w)
    bins = []
    for ph in range(ph_count):
        for pw in range(pw_count):
            indices, weights = [], []
            for iy in range(grid_h):
                yy = t(start_h + t(ph) * bin_h) + \
                    t(t(iy + 0.5) * bin_h / t(grid_h))
                for ix in range(grid_w):
                    xx = t(start_w + t(pw) * bin_w) + \
                        t(t(ix + 0.5) * bin_w / t(grid_w))
                    index, weight = _bilinear(yy, xx, height, width, t)
                    indices.append(index)
                    weights.append([w / count for w in weight])
            bins.append((ph, pw, _np.array(indices, dtype=_np.int64),
                         _np.array(weights, dtype=dtype)))
    return bins


def _bilinear(y, x, height, width, t):
    """(4 flat indices, 4 weights) of MXNet's bilinear sample at (y, x)."""
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return [0, 0, 0, 0], [t(0)] * 4
    y, x = max(y, t(0)), max(x, t(0))
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_high = y_low = height - 1
        y = t(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_high = x_low = width - 1
        x = t(x_low)
    else:
        x_high = x_low + 1
    ly, lx = t(y - y_low), t(x - x_low)
    hy, hx = t(1) - ly, t(1) - lx
    return ([y_low * width + x_low, y_low * width + x_high,
             y_high * width + x_low, y_high * width + x_high],
            [hy * hx, hy * lx, ly * hx, ly * lx])


def _align_channels(parsed, channels, ph, pw):
    """The input channels of output channels 0..channels-1 at bin (ph, pw)."""
    if not parsed.position_sensitive:
        return _np.arange(channels)
    ph_count, pw_count = parsed.pooled_size
    return _np.arange(channels) * ph_count * pw_count + ph * pw_count + pw


def _align_bins(parsed, data, rois, channels):
    """(roi, data's batch, bin row, bin column, input channels of the
    `channels` output channels, sample indices, sample weights) of every
    bin of every roi with a batch index that is not negative."""
    height, width = data.shape[2], data.shape[3]
    for n, roi in enumerate(rois):
        index = _batch_index("ROIAlign", rois, n, data.shape[0])
        if index < 0:
            continue
        for ph, pw, indices, weights in _align_samples(
                parsed, roi, height, width, data.dtype):
            yield (n, index, ph, pw,
                   _align_channels(parsed, channels, ph, pw), indices,
                   weights)


def _align_forward(parsed, arrays, is_train):
    data, rois = arrays
    batch, _, height, width = data.shape
    out_shape = _align_infer(parsed, [data.shape, rois.shape],
                             [data.dtype.name, rois.dtype.name])[1][0][0]
    _memory_check("ROIAlign", "the output %s" % (out_shape,),
                  int(_np.prod(out_shape, dtype=object)), data.dtype.itemsize)
    out = _np.zeros(out_shape, dtype=data.dtype)
    flat = data.reshape(batch, data.shape[1], height * width)
    for n, index, ph, pw, rows, indices, weights in _align_bins(
            parsed, data, rois, out_shape[1]):
        if indices is None:
            out[n, :, ph, pw] = weights
            continue
        out[n, :, ph, pw] = (flat[index][rows][:, indices] * weights).sum(
            axis=(1, 2))
    return [out]


def _align_backward(parsed, arrays, outputs, out_grads):
    data, rois = arrays
    batch, channels, height, width = data.shape
    grad = _np.zeros((batch, channels, height * width), dtype=data.dtype)
    head = out_grads[0]
    for n, index, ph, pw, rows, indices, weights in _align_bins(
            parsed, data, rois, head.shape[1]):
        if indices is None:  # no samples: no gradient
            continue
        values = head[n, :, ph, pw][:, None, None] * weights
        for k in range(4):  # samples outside the map have zero weights
            _np.add.at(grad[index], (rows[:, None], indices[None, :, k]),
                       values[:, :, k])
    return [grad.reshape(data.shape), _np.zeros_like(rois)]


register(_ALIGN, _align_infer, _align_forward, _align_backward,
         ["data", "rois"], ["output"],
         doc="Bilinear region-of-interest pooling (Mask R-CNN).")


# -- PSROIPooling ------------------------------------------------------------
_PSROI = Params("_contrib_PSROIPooling", [
    Param("spatial_scale", FLOAT), Param("output_dim", INT),
    Param("pooled_size", INT), Param("group_size", INT, 0)])


def _psroi_infer(parsed, shapes, dtypes):
    data, rois = shapes
    if dtypes[0] is not None and dtypes[1] is not None:
        check(dtypes[0] == dtypes[1], "dtype == (*in_type)[1] (%s vs. %s) "
              % (dtypes[0], dtypes[1]))
    dtype = dtypes[0] or dtypes[1]
    out = None
    for name in ("pooled_size", "output_dim"):
        check(getattr(parsed, name) >= -1, "dim_size >= -1 (%d vs. -1) : "
              "shape dim size must be >= -1, while received %d"
              % (getattr(parsed, name), getattr(parsed, name)))
    if data is not None:
        _data_check(data)
    if rois is not None:
        _rois_check(rois)
        out = (rois[0], parsed.output_dim, parsed.pooled_size,
               parsed.pooled_size)
    return [(data, dtype), (rois, dtype)], [(out, dtype)]


def _c_round(value):
    """C's round: halves away from zero (numpy rounds them to even)."""
    return _np.sign(value) * _np.floor(_np.abs(value) + 0.5)


def _psroi_bins(parsed, roi, height, width, dtype):
    """[(ph, pw, channel offset, (h0, h1, w0, w1))] of one roi's bins."""
    t = dtype.type
    size = parsed.pooled_size
    group = parsed.group_size or size
    scale = t(_np.float32(parsed.spatial_scale))
    start_w = t(t(_c_round(roi[1])) * scale)
    start_h = t(t(_c_round(roi[2])) * scale)
    end_w = t(t(_c_round(roi[3]) + 1.0) * scale)
    end_h = t(t(_c_round(roi[4]) + 1.0) * scale)
    roi_w = max(t(end_w - start_w), t(0.1))
    roi_h = max(t(end_h - start_h), t(0.1))
    bin_h, bin_w = t(roi_h / t(size)), t(roi_w / t(size))
    bins = []
    for ph in range(size):
        for pw in range(size):
            h0 = _c_int(_np.floor(t(t(ph) * bin_h + start_h)))
            w0 = _c_int(_np.floor(t(t(pw) * bin_w + start_w)))
            h1 = _c_int(_np.ceil(t(t(ph + 1) * bin_h + start_h)))
            w1 = _c_int(_np.ceil(t(t(pw + 1) * bin_w + start_w)))
            h0, h1 = min(max(h0, 0), height), min(max(h1, 0), height)
            w0, w1 = min(max(w0, 0), width), min(max(w1, 0), width)
            gw = min(max(int(_math.floor(t(pw) * group / size)), 0),
                     group - 1)
            gh = min(max(int(_math.floor(t(ph) * group / size)), 0),
                     group - 1)
            bins.append((ph, pw, gh * group + gw, (h0, h1, w0, w1)))
    return bins


def _psroi_windows(parsed, data, rois):
    """(roi, bin row, bin column, (data's batch, channels, rows, columns)
    index, bin area) of every non-empty bin of every roi."""
    group = parsed.group_size or parsed.pooled_size
    check(data.shape[1] >= parsed.output_dim * group * group,
          "data channels >= output_dim * group_size ** 2 (%d vs. %d) "
          % (data.shape[1], parsed.output_dim * group * group))
    tops = _np.arange(parsed.output_dim) * group * group
    for n, roi in enumerate(rois):
        index = _batch_index("PSROIPooling", rois, n, data.shape[0], 0)
        if index < 0:
            continue
        with _np.errstate(invalid="ignore", over="ignore"):  # inf rois
            bins = _psroi_bins(parsed, roi, data.shape[2], data.shape[3],
                               data.dtype)
        for ph, pw, offset, (h0, h1, w0, w1) in bins:
            if h1 > h0 and w1 > w0:
                yield (n, ph, pw,
                       (index, tops + offset, slice(h0, h1), slice(w0, w1)),
                       data.dtype.type((h1 - h0) * (w1 - w0)))


def _psroi_forward(parsed, arrays, is_train):
    data, rois = arrays
    size = parsed.pooled_size
    shape = (len(rois), parsed.output_dim, size, size)
    _memory_check("PSROIPooling", "the output %s" % (shape,),
                  int(_np.prod(shape, dtype=object)), data.dtype.itemsize)
    out = _np.zeros(shape, dtype=data.dtype)
    for n, ph, pw, window, area in _psroi_windows(parsed, data, rois):
        out[n, :, ph, pw] = data[window].sum(axis=(1, 2)) / area
    return [out]


def _psroi_backward(parsed, arrays, outputs, out_grads):
    data, rois = arrays
    grad = _np.zeros_like(data)
    for n, ph, pw, window, area in _psroi_windows(parsed, data, rois):
        grad[window] += (out_grads[0][n, :, ph, pw] / area)[:, None, None]
    return [grad, _np.zeros_like(rois)]


register(_PSROI, _psroi_infer, _psroi_forward, _psroi_backward,
         ["data", "rois"], ["output"],
         doc="Position-sensitive region-of-interest pooling (R-FCN).")

__all__ = []
