"""MXNet 1.9.1's deformable position-sensitive region-of-interest pooling
(src/operator/contrib/deformable_psroi_pooling.cc, Deformable ConvNets),
on the host with numpy in the inputs' dtype:

    DeformablePSROIPooling(data, rois, trans, spatial_scale, output_dim,
                           group_size, pooled_size, part_size=0,
                           sample_per_part=1, trans_std=0.0,
                           no_trans=False)
        data (B, >= output_dim * group_size ** 2, H, W) float16/32/64,
        rois (R, 5) [batch, x1, y1, x2, y2], trans (R, 2 * classes,
        part_size, part_size) (no trans input when no_trans) ->
        (R, output_dim, pooled_size, pooled_size): each bin the mean of
        the sample_per_part ** 2 bilinear samples inside the map of its
        position-sensitive channel, the bin shifted by trans (x, y of the
        part and class of the bin, times trans_std and the roi's size);
        part_size 0 means pooled_size; output channel c belongs to class
        c // (output_dim // classes).

MXNet keeps a second, hidden output (top_count, the samples per bin),
which backward reads; only `output` is visible, as in MXNet. Gradients:
data gets each bin's gradient over its samples through the bilinear
weights; trans gets the weights' derivative times trans_std and the roi's
size; rois get zeros.

Where MXNet reads outside its inputs (a batch index outside the data,
data with too few channels, a trans too small for the parts and classes),
kiln raises MXNetError. Errors for bad shapes, dtypes and attributes are
worded as MXNet's.
"""
import math as _math

import numpy as _np

from .. import _python_ops
from ..base import MXNetError
from ._checks import data_rois_dtype, host_memory, in_range, with_checks
from ._common import check
from ._params import BOOL, FLOAT, INT, Param, Params

# Samples per step at most this many (a roi's samples go in chunks of
# sample rows), so memory stays bounded whatever sample_per_part is.
_CHUNK = 1 << 20
_INT_MAX = 2 ** 31 - 1

_PARAMS = Params("_contrib_DeformablePSROIPooling", [
    Param("spatial_scale", FLOAT), Param("output_dim", INT),
    Param("group_size", INT), Param("pooled_size", INT),
    Param("part_size", INT, 0), Param("sample_per_part", INT, 1),
    Param("trans_std", FLOAT, 0.0), Param("no_trans", BOOL, False)])


def _non_negative(parsed, op_name, attrs):
    for name in ("output_dim", "pooled_size", "part_size",
                 "sample_per_part"):
        value = getattr(parsed, name)
        if value < 0:
            raise MXNetError("Check failed: dim_size >= 0: %s expected a "
                             "non-negative size, got %d" % (name, value))
    if parsed.group_size <= 0:
        raise MXNetError("DeformablePSROIPooling: group_size expected a "
                         "positive size, got %d" % parsed.group_size)
    samples = parsed.sample_per_part ** 2
    if samples > _INT_MAX:
        # MXNet loops over them for hours; kiln refuses
        raise MXNetError("DeformablePSROIPooling: sample_per_part %d gives "
                         "%d samples per bin, expected at most %d"
                         % (parsed.sample_per_part, samples, _INT_MAX))


def _interface(parsed):
    inputs = ["data", "rois"] if parsed.no_trans else \
        ["data", "rois", "trans"]
    return inputs, [], ["output"], {}


def _infer(parsed, shapes, dtypes):
    data, rois = shapes[0], shapes[1]
    dtype = data_rois_dtype(dtypes)
    inputs = [(data, dtype), (rois, dtype)]
    if not parsed.no_trans:
        trans = shapes[2]
        if trans is not None:
            check(len(trans) == 4, "tshape.ndim() == 4 (%d vs. 4) : trans "
                  "should be a 4D tensor of shape" % len(trans))
        if dtype is not None and dtypes[2] is not None:
            # MXNet reads trans as data's dtype (TBlob.get_with_shape)
            check(dtypes[2] == dtype, "mshadow::DataType<DType>::kFlag == "
                  "type_flag_: TBlob.get_with_shape: data type do not match "
                  "specified type.Expected: %s v.s. given %s"
                  % (dtype, dtypes[2]))
        inputs.append((trans, dtype))
    if data is not None:
        check(len(data) == 4, "dshape.ndim() == 4 (%d vs. 4) : data should "
              "be a 4D tensor" % len(data))
    out = None
    if rois is not None:
        check(len(rois) == 2, "bshape.ndim() == 2 (%d vs. 2) : bbox should "
              "be a 2D tensor of shape [batch, 5]" % len(rois))
        check(rois[1] == 5, "bshape[1] == 5 (%d vs. 5) : bbox should be a "
              "2D tensor of shape [batch, 5]" % rois[1])
        size = parsed.pooled_size
        out = (rois[0], parsed.output_dim, size, size)
    return inputs, [(out, dtype)]


class _Layout(object):
    """The sizes every roi shares: part size, classes, channels per class,
    checked against the inputs where MXNet would read outside them."""

    def __init__(self, parsed, data, trans):
        self.part = parsed.part_size or parsed.pooled_size
        group = parsed.group_size
        check(data.shape[1] >= parsed.output_dim * group * group,
              "data channels >= output_dim * group_size ** 2 (%d vs. %d) "
              % (data.shape[1], parsed.output_dim * group * group))
        if parsed.no_trans:
            self.classes, self.per_class = 1, parsed.output_dim
            return
        self.classes = trans.shape[1] // 2
        if self.classes == 0 or parsed.output_dim // self.classes == 0:
            raise MXNetError("DeformablePSROIPooling: trans expected 2 "
                             "channels per class for 1 to output_dim (%d) "
                             "classes, got %d channels"
                             % (parsed.output_dim, trans.shape[1]))
        self.per_class = parsed.output_dim // self.classes


def _roi_samples(parsed, layout, roi, n, trans, height, width, t, rows):
    """Everything about one roi's samples in sample `rows` (an array of
    row numbers), arrays over (output channel, ph, pw, sample row, sample
    column): a dict of the sample positions
    (x, y after clamping), validity, input channels, the trans offsets
    read (flat, x then y) and the roi's size."""
    size, group, spp = parsed.pooled_size, parsed.group_size, \
        parsed.sample_per_part
    scale = t(_np.float32(parsed.spatial_scale))
    trans_std = t(_np.float32(parsed.trans_std))

    def c_round(value):  # C's round: halves away from zero
        return t(_math.copysign(_math.floor(abs(value) + 0.5), value))

    start_w = t(float(t(c_round(roi[1]) * scale)) - 0.5)
    start_h = t(float(t(c_round(roi[2]) * scale)) - 0.5)
    end_w = t(float(t(t(float(c_round(roi[3])) + 1.0) * scale)) - 0.5)
    end_h = t(float(t(t(float(c_round(roi[4])) + 1.0) * scale)) - 0.5)
    roi_w = max(t(end_w - start_w), t(0.1))
    roi_h = max(t(end_h - start_h), t(0.1))
    bin_h, bin_w = t(roi_h / t(size)), t(roi_w / t(size))
    sub_h, sub_w = t(bin_h / t(spp)), t(bin_w / t(spp))
    cells = _np.arange(size).astype(t)
    part = _np.floor(cells / t(size) * t(layout.part)).astype(_np.int64)
    cell_group = _np.clip(_np.floor(cells * t(group) / t(size)).astype(
        _np.int64), 0, group - 1)
    ctop = _np.arange(parsed.output_dim)
    # trans offsets, flat as MXNet indexes them: (O, ph, pw)
    class_id = ctop // layout.per_class
    offset_x = (((n * layout.classes + class_id[:, None, None]) * 2) *
                layout.part + part[None, :, None]) * layout.part + \
        part[None, None, :]
    offset_y = offset_x + layout.part * layout.part
    if parsed.no_trans:
        trans_x = trans_y = _np.zeros(offset_x.shape, dtype=t)
    else:
        flat = trans.reshape(-1)
        if offset_y.max(initial=0) >= flat.size:
            raise MXNetError("DeformablePSROIPooling: trans of shape %s "
                             "has no offsets of roi %d for %d classes of "
                             "part_size %d" % (trans.shape, n, layout.classes,
                                               layout.part))
        trans_x = flat[offset_x] * trans_std
        trans_y = flat[offset_y] * trans_std
    wstart = (cells * bin_w + start_w)[None, None, :] + trans_x * roi_w
    hstart = (cells * bin_h + start_h)[None, :, None] + trans_y * roi_h
    steps = _np.arange(spp)
    w = wstart[..., None, None] + (steps * sub_w).astype(t)[None, :]
    h = hstart[..., None, None] + (rows * sub_h).astype(t)[:, None]
    w, h = _np.broadcast_arrays(w, h)
    valid = ~((w < -0.5) | (w > width - 0.5) | (h < -0.5) |
              (h > height - 0.5))
    w = _np.minimum(_np.maximum(w, t(0)), t(width - 1))
    h = _np.minimum(_np.maximum(h, t(0)), t(height - 1))
    channel = (ctop[:, None, None] * group + cell_group[None, :, None]) * \
        group + cell_group[None, None, :]
    return dict(w=w, h=h, valid=valid, channel=channel[..., None, None],
                offset_x=offset_x, offset_y=offset_y, roi_w=roi_w,
                roi_h=roi_h, trans_std=trans_std)


def _corners(s):
    """(x0, x1, y0, y1, dist_x, dist_y) of the samples: MXNet's bilinear
    corners (floor and ceil of each coordinate)."""
    x0, x1 = _np.floor(s["w"]).astype(_np.int64), \
        _np.ceil(s["w"]).astype(_np.int64)
    y0, y1 = _np.floor(s["h"]).astype(_np.int64), \
        _np.ceil(s["h"]).astype(_np.int64)
    return x0, x1, y0, y1, s["w"] - x0, s["h"] - y0


def _rois(parsed, data, rois, trans):
    """(roi, batch index, samples) of every roi, in chunks of sample rows
    (a roi's chunks one after another)."""
    layout = _Layout(parsed, data, trans)
    batch, _, height, width = data.shape
    t = data.dtype.type
    for n, roi in enumerate(rois):
        if not all(_math.isfinite(value) for value in roi):
            raise MXNetError("DeformablePSROIPooling: rois[%d] is not "
                             "finite (%s)" % (n, roi))
        index = int(roi[0])
        if not 0 <= index < batch:
            raise MXNetError("DeformablePSROIPooling: rois[%d, 0] (the batch "
                             "index) is %d, expected 0 to %d"
                             % (n, index, batch - 1))
        spp = parsed.sample_per_part
        per_row = max(1, parsed.output_dim * parsed.pooled_size ** 2 * spp)
        step = max(1, _CHUNK // per_row)
        for first in range(0, spp, step):
            rows = _np.arange(first, min(first + step, spp))
            yield n, index, _roi_samples(parsed, layout, roi, n, trans,
                                         height, width, t, rows)


def _forward(parsed, arrays, is_train):
    data, rois = arrays[0], arrays[1]
    trans = None if parsed.no_trans else arrays[2]
    size = parsed.pooled_size
    shape = (len(rois), parsed.output_dim, size, size)
    out = _np.zeros(shape, dtype=data.dtype)
    counts = _np.zeros(shape, dtype=_np.int64)  # exact over the chunks
    totals = _np.zeros(shape, dtype=_np.float64)
    width = data.shape[3]
    one = data.dtype.type(1)
    for n, index, s in _rois(parsed, data, rois, trans):
        x0, x1, y0, y1, dx, dy = _corners(s)
        flat = data[index].reshape(-1)
        base = s["channel"] * (data.shape[2] * width)

        def at(y, x):  # one flat gather: faster than (channel, pixel)
            return flat[base + y * width + x]
        value = ((one - dx) * (one - dy) * at(y0, x0) +
                 (one - dx) * dy * at(y1, x0) +
                 dx * (one - dy) * at(y0, x1) + dx * dy * at(y1, x1))
        value = _np.where(s["valid"], value, 0).astype(_np.float64)
        counts[n] += s["valid"].sum(axis=(3, 4))
        totals[n] += value.sum(axis=(3, 4))
    with _np.errstate(invalid="ignore", divide="ignore"):
        out[...] = _np.where(counts > 0, totals / _np.maximum(counts, 1), 0)
    return [out, counts.astype(data.dtype)]


class _Sums(object):
    """Scatter-adds into a flat float64 array of `size` values, by
    bincount over batches of (index, value) pairs (np.add.at is slow)."""

    def __init__(self, size, limit=1 << 22):
        self.total = _np.zeros(size, dtype=_np.float64)
        self.limit = limit
        self.indices, self.values, self.count = [], [], 0

    def add(self, indices, values):
        self.indices.append(indices.ravel())
        self.values.append(_np.asarray(values, dtype=_np.float64).ravel())
        self.count += indices.size
        if self.count >= self.limit:
            self.flush()

    def flush(self):
        if self.indices:
            self.total += _np.bincount(
                _np.concatenate(self.indices),
                weights=_np.concatenate(self.values),
                minlength=self.total.size)
        self.indices, self.values, self.count = [], [], 0
        return self.total


def _backward(parsed, arrays, outputs, out_grads):
    data, rois = arrays[0], arrays[1]
    trans = None if parsed.no_trans else arrays[2]
    t = data.dtype.type
    counts = outputs[1]
    _, channels, height, width = data.shape
    grad = _Sums(data.size)
    grad_trans = None if trans is None else _Sums(trans.size)
    one = t(1)
    for n, index, s in _rois(parsed, data, rois, trans):
        x0, x1, y0, y1, dx, dy = _corners(s)
        live = s["valid"]  # a bin with a valid sample has a count
        channel = _np.broadcast_to(s["channel"], x0.shape)[live]
        x0, x1, y0, y1, dx, dy = (part[live] for part in
                                  (x0, x1, y0, y1, dx, dy))
        with _np.errstate(invalid="ignore", divide="ignore"):
            diff = _np.where(counts[n] > 0, out_grads[0][n] / counts[n],
                             0).astype(t)
        diff = _np.broadcast_to(diff[..., None, None], live.shape)[live]
        base = (index * channels + channel) * (height * width)
        for weight, y, x in (((one - dx) * (one - dy), y0, x0),
                             ((one - dx) * dy, y1, x0),
                             (dx * (one - dy), y0, x1), (dx * dy, y1, x1)):
            grad.add(base + y * width + x, weight * diff)
        if trans is None:
            continue
        source = data.reshape(-1)
        u00 = source[base + y0 * width + x0]
        u01 = source[base + y1 * width + x0]
        u10 = source[base + y0 * width + x1]
        u11 = source[base + y1 * width + x1]
        diff_x = (u11 * dy + u10 * (one - dy) - u01 * dy - u00 * (one - dy)) \
            * (s["trans_std"] * diff * s["roi_w"])
        diff_y = (u11 * dx + u01 * (one - dx) - u10 * dx - u00 * (one - dx)) \
            * (s["trans_std"] * diff * s["roi_h"])
        grad_trans.add(_np.broadcast_to(s["offset_x"][..., None, None],
                                        live.shape)[live], diff_x)
        grad_trans.add(_np.broadcast_to(s["offset_y"][..., None, None],
                                        live.shape)[live], diff_y)
    grads = [grad.flush().reshape(data.shape).astype(data.dtype),
             _np.zeros_like(rois)]
    if trans is not None:
        grads.append(grad_trans.flush().reshape(trans.shape).astype(
            trans.dtype))
    return grads


_python_ops.register(
    _PARAMS.op_name, inputs=["data", "rois", "trans?"], outputs=["output"],
    params=_PARAMS.specs,
    parse=with_checks(_PARAMS, in_range("spatial_scale", 0.0, 1.0),
                      in_range("trans_std", 0.0, 1.0), _non_negative),
    interface=_interface, infer=_infer, forward=host_memory(_forward),
    backward=host_memory(_backward),
    doc="Deformable position-sensitive region-of-interest pooling "
        "(Deformable ConvNets).")

__all__ = []
