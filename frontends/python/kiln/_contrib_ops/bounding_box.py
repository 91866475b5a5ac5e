"""MXNet 1.9.1's bounding-box operators (src/operator/contrib/bounding_box*),
computed on the host with numpy in the inputs' dtype:

    box_iou(lhs, rhs, format='corner')
        lhs (..., 4), rhs (..., 4) -> (lhs.shape[:-1] + rhs.shape[:-1])
        intersection over union, 0 where boxes do not overlap.
    box_nms / box_non_maximum_suppression(data, overlap_thresh=0.5,
        valid_thresh=0, topk=-1, coord_start=2, score_index=1,
        id_index=-1, background_id=-1, force_suppress=False,
        in_format='corner', out_format='corner')
        data (..., N, W) -> same shape: per batch, the boxes whose score is
        above valid_thresh (and, with id_index, whose id is not
        background_id), sorted by descending score (stable), the first
        topk of them kept unless a kept box of higher score (of the same
        id unless force_suppress) overlaps them by IoU > overlap_thresh;
        the rows after the kept ones are -1. Gradient: each output row's
        gradient goes back to the input row it came from.
    bipartite_matching(data, is_ascend=False, threshold, topk=-1)
        data (..., R, C) scores -> row matches (..., R) and column matches
        (..., C): greedy matching in (stable) score order, stopping at the
        first unmatched pair whose score fails threshold; MXNet's topk
        stops after topk + 1 matches. Zero gradient.
    box_encode(samples, matches, anchors, refs, means, stds)
        -> targets (B, N, 4) and masks (B, N, 4) for the positive samples.
    box_decode(data, anchors, std0..std3=1, clip=-1, format='center')
        deltas (B, N, 4) on anchors (1, N, 4) -> corner boxes (B, N, 4).

Inputs are float16, float32 or float64 (one dtype for all), outputs of
that dtype; other dtypes and malformed shapes raise MXNetError worded as
MXNet's. box_iou, box_encode and box_decode have zero gradients, as in
MXNet.
"""
import numpy as _np

from ..base import MXNetError
from ._common import (batch_shape, check, register, same_float_dtype,
                      zero_grads)
from ._params import BOOL, FLOAT, INT, Param, Params, enum

_FORMAT = enum("corner", "center")


# -- shared geometry --------------------------------------------------------
def _intersect(a1, a2, b1, b2, center):
    """The overlap along one axis of boxes given as (start, end) in corner
    format or (center, width) in center format; 0 where none."""
    if center:
        aw, bw = a2 / 2, b2 / 2
        al, ar, bl, br = a1 - aw, a1 + aw, b1 - bw, b1 + bw
        width = _np.minimum(br, ar) - _np.maximum(bl, al)
    else:
        width = _np.minimum(a2, b2) - _np.maximum(a1, b1)
    return _np.where(width > 0, width, _np.zeros_like(width))


def _area(box, center):
    """Areas of boxes (..., 4); 0 where width or height is negative."""
    if center:
        width, height = box[..., 2], box[..., 3]
    else:
        width, height = box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]
    zero = _np.zeros_like(width)
    return _np.where((width < 0) | (height < 0), zero, width * height)


def _overlap(a, b, center):
    """Intersection areas of boxes a (..., 4) and b (..., 4)."""
    return (_intersect(a[..., 0], a[..., 2], b[..., 0], b[..., 2], center) *
            _intersect(a[..., 1], a[..., 3], b[..., 1], b[..., 3], center))


# -- box_iou ---------------------------------------------------------------
_IOU = Params("_contrib_box_iou", [Param("format", _FORMAT, "corner")])


def _iou_infer(parsed, shapes, dtypes):
    dtype = same_float_dtype(dtypes)
    lhs, rhs = shapes
    out = None
    for name, shape in (("lhs", lhs), ("rhs", rhs)):
        if shape is None:
            continue
        check(len(shape) >= 2, "lshape.ndim() >= 2 (%d vs. 2) : %s must "
              "have dim >= 2 %d provided" % (len(shape), name, len(shape))
              if name == "lhs" else "rshape.ndim() >= 2 (%d vs. 2) : rhs "
              "must have dim >= 2 %d provided" % (len(shape), len(shape)))
        check(shape[-1] == 4, "%sdim == 4 (%d vs. 4) : last dimension of %s "
              "must be 4 %d provided" % (name[0], shape[-1], name, shape[-1]))
    if lhs is not None and rhs is not None:
        out = tuple(lhs[:-1]) + tuple(rhs[:-1])
    return [(lhs, dtype), (rhs, dtype)], [(out, dtype)]


def _iou_forward(parsed, arrays, is_train):
    lhs, rhs = arrays
    center = parsed.format == "center"
    left = lhs.reshape(-1, 1, 4)
    right = rhs.reshape(1, -1, 4)
    inter = _overlap(left, right, center)
    union = _area(left, center) + _area(right, center) - inter
    with _np.errstate(divide="ignore", invalid="ignore"):
        iou = _np.where(inter > 0, inter / union, _np.zeros_like(inter))
    return [iou.astype(lhs.dtype).reshape(lhs.shape[:-1] + rhs.shape[:-1])]


register(_IOU, _iou_infer, _iou_forward, zero_grads, ["lhs", "rhs"],
         ["output"], doc="Pairwise IoU of two sets of boxes.")


# -- box_nms ---------------------------------------------------------------
_NMS = Params("_contrib_box_nms", [
    Param("overlap_thresh", FLOAT, 0.5), Param("valid_thresh", FLOAT, 0.0),
    Param("topk", INT, -1), Param("coord_start", INT, 2),
    Param("score_index", INT, 1), Param("id_index", INT, -1),
    Param("background_id", INT, -1), Param("force_suppress", BOOL, False),
    Param("in_format", _FORMAT, "corner"),
    Param("out_format", _FORMAT, "corner")])


def _nms_infer(parsed, shapes, dtypes):
    dtype = same_float_dtype(dtypes)
    shape = shapes[0]
    if shape is None:
        return [(None, dtype)], [(None, dtype)]
    ndim = len(shape)
    check(ndim >= 2, "indim >= 2: input must have dim >= 2 the last two "
          "dimensions are num_box and box_width %s provided" % list(shape))
    width = shape[-1]
    expected = 6 if parsed.id_index > 0 else 5
    check(width >= expected, "width_elem >= expected (%d vs. %d) : the last "
          "dimension must have at least 5 elements namely (score, "
          "coordinates x 4) %d provided, %d expected."
          % (width, expected, width, expected))
    start, end, score = (parsed.coord_start, parsed.coord_start + 3,
                         parsed.score_index)
    check(0 <= score < width, "score_index >= 0 && score_index < "
          "width_elem: score_index: %d out of range: (0, %d)"
          % (score, width))
    check(score < start or score > end, "score_index < coord_start || "
          "score_index > coord_end: score_index: %d conflict with "
          "coordinates: (%d, %d)." % (score, start, end))
    check(start >= 0 and end < width, "coord_start >= 0 && coord_end < "
          "width_elem: coordinates: (%d, %d) out of range:: (0, %d)"
          % (start, end, width))
    if parsed.id_index >= 0:
        index = parsed.id_index
        check(index < width, "id_index >= 0 && id_index < width_elem: "
              "id_index: %d out of range: (0, %d)" % (index, width))
        check(index < start or index > end, "id_index < coord_start || "
              "id_index > coord_end: id_index: %d conflict with "
              "coordinates: (%d, %d)." % (index, start, end))
        check(index != score, "id_index != score_index: id_index: %d "
              "conflict with score_index: %d" % (index, score))
    return [(shape, dtype)], [(shape, dtype)]


def _nms_forward(parsed, arrays, is_train):
    """[output, record]: record (hidden) holds, per output row, the flat
    index of the input row it copies, -1 for none (MXNet's temp)."""
    data = arrays[0]
    dtype = data.dtype
    batches, (count, width) = batch_shape(data.shape, 2)
    rows = data.reshape(batches, count, width)
    topk = count if parsed.topk < 0 else min(count, parsed.topk)
    if topk < 1:
        return [data.copy(), _np.arange(batches * count, dtype=dtype)]
    start = parsed.coord_start
    center = parsed.in_format == "center"
    scores = rows[:, :, parsed.score_index]
    valid = scores > _np.asarray(parsed.valid_thresh, dtype=_np.float32
                                 ).astype(dtype)
    if parsed.id_index >= 0:
        valid &= rows[:, :, parsed.id_index] != _np.asarray(
            parsed.background_id).astype(dtype)
    out = _np.full((batches, count, width), -1, dtype=dtype)
    record = _np.full((batches, count), -1, dtype=dtype)
    threshold = float(_np.float32(parsed.overlap_thresh))
    for batch in range(batches):
        candidates = _np.flatnonzero(valid[batch])
        order = _np.argsort(-scores[batch][candidates].astype(_np.float64),
                            kind="stable")
        candidates = candidates[order][:topk]
        boxes = rows[batch][candidates][:, start:start + 4]
        areas = _area(boxes, center)
        ids = (rows[batch][candidates][:, parsed.id_index].astype(
            _np.float64).astype(_np.int64) if parsed.id_index >= 0 else None)
        kept = _np.ones(len(candidates), dtype=bool)
        for ref in range(len(candidates)):
            if not kept[ref]:
                continue
            rest = _np.arange(ref + 1, len(candidates))
            rest = rest[kept[rest]]
            if ids is not None and not parsed.force_suppress:
                rest = rest[ids[rest] == ids[ref]]
            if not len(rest):
                continue
            inter = _overlap(boxes[ref], boxes[rest], center)
            with _np.errstate(divide="ignore", invalid="ignore"):
                iou = inter / (areas[ref] + areas[rest] - inter)
            kept[rest[iou.astype(_np.float64) > threshold]] = False
        chosen = candidates[kept]
        out[batch, :len(chosen)] = rows[batch][chosen]
        record[batch, :len(chosen)] = chosen + batch * count
    if parsed.in_format != parsed.out_format:
        coords = out[:, :, start:start + 4]
        # MXNet converts the rows whose first coordinate is not negative.
        convert = coords[:, :, 0] >= 0
        a, b, c, d = (coords[:, :, k].copy() for k in range(4))
        if parsed.out_format == "center":
            converted = ((a + c) / 2, (b + d) / 2, c - a, d - b)
        else:
            converted = (a - c / 2, b - d / 2, a + c / 2, b + d / 2)
        for k, value in enumerate(converted):
            coords[:, :, k] = _np.where(convert, value, coords[:, :, k])
    return [out.reshape(data.shape), record.reshape(-1)]


def _nms_backward(parsed, arrays, outputs, out_grads):
    data = arrays[0]
    width = data.shape[-1]
    record = outputs[1].astype(_np.int64)
    grad = _np.zeros((record.size, width), dtype=data.dtype)
    rows = record >= 0
    grad[record[rows]] = out_grads[0].reshape(-1, width)[rows]
    return [grad.reshape(data.shape)]


register(_NMS, _nms_infer, _nms_forward, _nms_backward, ["data"],
         ["output0"], aliases=["_contrib_box_non_maximum_suppression"],
         doc="Non-maximum suppression of boxes with scores.")


# -- bipartite_matching ----------------------------------------------------
_MATCHING = Params("_contrib_bipartite_matching", [
    Param("is_ascend", BOOL, False), Param("threshold", FLOAT),
    Param("topk", INT, -1)])


def _matching_infer(parsed, shapes, dtypes):
    dtype = same_float_dtype(dtypes)
    shape = shapes[0]
    if shape is None:
        return [(None, dtype)], [(None, dtype), (None, dtype)]
    check(len(shape) >= 2, "dshape.ndim() >= 2 (%d vs. 2) : score matrix "
          "must have dim >= 2 %d provided" % (len(shape), len(shape)))
    rows = tuple(shape[:-1])
    cols = tuple(shape[:-2]) + (shape[-1],)
    return [(shape, dtype)], [(rows, dtype), (cols, dtype)]


def _matching_forward(parsed, arrays, is_train):
    data = arrays[0]
    batches, (count_r, count_c) = batch_shape(data.shape, 2)
    scores = data.reshape(batches, count_r * count_c)
    row_marker = _np.full((batches, count_r), -1, dtype=data.dtype)
    col_marker = _np.full((batches, count_c), -1, dtype=data.dtype)
    threshold = float(_np.float32(parsed.threshold))
    for batch in range(batches):
        values = scores[batch].astype(_np.float64)
        order = _np.argsort(values if parsed.is_ascend else -values,
                            kind="stable")
        matched = 0
        for index in order:
            r, c = divmod(int(index), count_c)
            if row_marker[batch, r] != -1 or col_marker[batch, c] != -1:
                continue
            score = values[index]
            if not (score < threshold if parsed.is_ascend
                    else score > threshold):
                break  # the scores after this one are worse
            row_marker[batch, r] = c
            col_marker[batch, c] = r
            matched += 1
            if 0 < parsed.topk < matched:
                break
    return [row_marker.reshape(data.shape[:-1]),
            col_marker.reshape(data.shape[:-2] + data.shape[-1:])]


register(_MATCHING, _matching_infer, _matching_forward, zero_grads,
         ["data"], ["output0", "output1"],
         doc="Greedy bipartite matching of a score matrix.")


# -- box_encode / box_decode -----------------------------------------------
_ENCODE = Params("_contrib_box_encode", [])


def _encode_infer(parsed, shapes, dtypes):
    dtype = same_float_dtype(dtypes)
    samples, matches, anchors, refs, means, stds = shapes
    if samples is not None:
        check(len(samples) == 2, "sshape.ndim() == 2 (%d vs. 2) : samples "
              "shape must have dim == 2, %d provided"
              % (len(samples), len(samples)))
    if matches is not None:
        check(len(matches) >= 2, "mshape.ndim() >= 2 (%d vs. 2) : matches "
              "shape must have dim == 2, %d provided"
              % (len(matches), len(matches)))
    for name, shape in (("anchors", anchors), ("refs", refs)):
        if shape is None:
            continue
        check(len(shape) >= 3, "%sshape.ndim() >= 3 (%d vs. 3) : %s shape "
              "must have dim == 3, %d provided" % (name[0], len(shape), name,
                                                   len(shape)))
        check(shape[-1] == 4, "ldim == 4 (%d vs. 4) : last dimension of "
              "anchors must be 4, %d provided" % (shape[-1], shape[-1]))
    for name, shape in (("means", means), ("stds", stds)):
        if shape is not None and tuple(shape) != (4,):
            raise MXNetError(
                "Shape inconsistent, Provided = %s, inferred shape=[4]"
                % list(shape))
    return ([(samples, dtype), (matches, dtype), (anchors, dtype),
             (refs, dtype), ((4,), dtype), ((4,), dtype)],
            [(anchors, dtype), (anchors, dtype)])


def _encode_forward(parsed, arrays, is_train):
    samples, matches, anchors, refs, means, stds = arrays
    dtype = anchors.dtype
    batches, count = anchors.shape[0], anchors.shape[1]
    anchors = anchors.reshape(batches, count, 4)
    check(refs.shape[0] == batches, "this->shape_.Size() == "
          "static_cast<size_t>(shape.Size()) (%d vs. %d) : new and old shape "
          "do not match total elements" % (refs.size,
                                           batches * refs.shape[1] * 4))
    refs = refs.reshape(batches, -1, 4)
    index = _np.clip(matches.reshape(batches, count).astype(_np.int64), 0,
                     refs.shape[1] - 1)
    ref = _np.take_along_axis(refs, index[:, :, None], axis=1)
    half = dtype.type(0.5)
    ref_w, ref_h = ref[..., 2] - ref[..., 0], ref[..., 3] - ref[..., 1]
    ref_x, ref_y = ref[..., 0] + ref_w * half, ref[..., 1] + ref_h * half
    a_w = anchors[..., 2] - anchors[..., 0]
    a_h = anchors[..., 3] - anchors[..., 1]
    a_x, a_y = anchors[..., 0] + a_w * half, anchors[..., 1] + a_h * half
    valid = samples.reshape(batches, count) > 0.5
    with _np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        targets = _np.stack([((ref_x - a_x) / a_w - means[0]) / stds[0],
                             ((ref_y - a_y) / a_h - means[1]) / stds[1],
                             (_np.log(ref_w / a_w) - means[2]) / stds[2],
                             (_np.log(ref_h / a_h) - means[3]) / stds[3]],
                            axis=-1)
    masks = _np.repeat(valid[..., None], 4, axis=-1).astype(dtype)
    targets = _np.where(masks > 0.5, targets, _np.zeros_like(targets))
    return [targets.astype(dtype), masks]


register(_ENCODE, _encode_infer, _encode_forward, zero_grads,
         ["samples", "matches", "anchors", "refs", "means", "stds"],
         ["output0", "output1"],
         doc="Encodes matched reference boxes as anchor offsets.")

_DECODE = Params("_contrib_box_decode", [
    Param("std0", FLOAT, 1.0), Param("std1", FLOAT, 1.0),
    Param("std2", FLOAT, 1.0), Param("std3", FLOAT, 1.0),
    Param("clip", FLOAT, -1.0), Param("format", _FORMAT, "center")])


def _decode_infer(parsed, shapes, dtypes):
    dtype = same_float_dtype(dtypes)
    data, anchors = shapes
    if data is not None:
        check(len(data) == 3, "dshape.ndim() == 3 (%d vs. 3) : data shape "
              "must have dim == 3, %d provided" % (len(data), len(data)))
        check(data[-1] == 4, "ldim == 4 (%d vs. 4) : last dimension of data "
              "must be 4, %d provided" % (data[-1], data[-1]))
    if anchors is not None:
        check(len(anchors) >= 3, "ashape.ndim() >= 3 (%d vs. 3) : anchors "
              "shape must have dim == 3, %d provided"
              % (len(anchors), len(anchors)))
        check(anchors[-1] == 4, "ldim == 4 (%d vs. 4) : last dimension of "
              "anchors must be 4, %d provided" % (anchors[-1], anchors[-1]))
    return [(data, dtype), (anchors, dtype)], [(data, dtype)]


def _decode_forward(parsed, arrays, is_train):
    data, anchors = arrays
    dtype = data.dtype.type
    count = data.shape[1]
    check(anchors.size == count * 4, "this->shape_.Size() == "
          "static_cast<size_t>(shape.Size()) (%d vs. %d) : new and old shape "
          "do not match total elements" % (anchors.size, count * 4))
    anchors = anchors.reshape(1, count, 4)
    a_x, a_y, a_w, a_h = (anchors[..., k] for k in range(4))
    if parsed.format == "corner":
        a_w, a_h = a_w - a_x, a_h - a_y
        a_x, a_y = a_x + a_w * dtype(0.5), a_y + a_h * dtype(0.5)
    stds = [dtype(_np.float32(getattr(parsed, "std%d" % k)))
            for k in range(4)]
    o_x = data[..., 0] * stds[0] * a_w + a_x
    o_y = data[..., 1] * stds[1] * a_h + a_y
    d_w, d_h = data[..., 2] * stds[2], data[..., 3] * stds[3]
    if parsed.clip > 0:
        clip = dtype(_np.float32(parsed.clip))
        d_w = _np.where(d_w < clip, d_w, clip)
        d_h = _np.where(d_h < clip, d_h, clip)
    with _np.errstate(over="ignore"):
        o_w = _np.exp(d_w) * a_w * dtype(0.5)
        o_h = _np.exp(d_h) * a_h * dtype(0.5)
    return [_np.stack([o_x - o_w, o_y - o_h, o_x + o_w, o_y + o_h],
                      axis=-1).astype(dtype)]


register(_DECODE, _decode_infer, _decode_forward, zero_grads,
         ["data", "anchors"], ["output"],
         doc="Decodes anchor offsets into corner boxes.")

__all__ = []
