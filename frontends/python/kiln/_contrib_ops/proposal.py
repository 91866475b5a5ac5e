"""MXNet 1.9.1's region proposal operators of Faster R-CNN's RPN
(src/operator/contrib/proposal.cc, multi_proposal.cc), on the host with
numpy in float32 (the only dtype MXNet's legacy operators take):

    Proposal(cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n=6000,
             rpn_post_nms_top_n=300, threshold=0.7, rpn_min_size=16,
             scales=(4, 8, 16, 32), ratios=(0.5, 1, 2), feature_stride=16,
             output_score=False, iou_loss=False)
        cls_prob (1, 2 * A, H, W) [background scores, then foreground],
        bbox_pred (1, 4 * A, H, W), im_info (1, 3) [height, width, scale]
        with A = len(scales) * len(ratios) -> output
        (rpn_post_nms_top_n, 5) rows [batch, x1, y1, x2, y2] and, visible
        when output_score, score (rpn_post_nms_top_n, 1).
    MultiProposal(...): the same for a batch of N images: outputs
        (N * rpn_post_nms_top_n, 5) and (N * rpn_post_nms_top_n, 1), image
        b's rows after image b-1's, their first column b.

Per image: anchors of every ratio and scale (MXNet's integer rounding of
a feature_stride square) at each cell, shifted by feature_stride; each
decoded with its deltas (centre/size deltas, or corner offsets with
iou_loss) and clipped to the image; cells past im_info's size and boxes
narrower or shorter than rpn_min_size * im_info[2] get score -1 (the
small ones also widened by rpn_min_size * scale on each axis, as MXNet
does); the rpn_pre_nms_top_n best (<= 0: all) by a stable sort, greedy
NMS at IoU > threshold keeps up to rpn_post_nms_top_n, and the kept rows
repeat cyclically to fill rpn_post_nms_top_n rows.

Arithmetic follows MXNet's float32/double order step by step, so the
discrete choices (sort, clip, NMS) match. Gradients are zeros, as MXNet's
backward writes.
"""
import numpy as _np

from .. import _python_ops
from ..base import MXNetError
from ._checks import host_memory
from ._common import check, float32_only, zero_grads
from ._params import BOOL, FLOAT, FLOATS, INT, Param, Params

_F32 = _np.float32
_F64 = _np.float64


def _params(op_name):
    return Params(op_name, [
        Param("rpn_pre_nms_top_n", INT, 6000),
        Param("rpn_post_nms_top_n", INT, 300),
        Param("threshold", FLOAT, 0.7), Param("rpn_min_size", INT, 16),
        Param("scales", FLOATS, (4.0, 8.0, 16.0, 32.0)),
        Param("ratios", FLOATS, (0.5, 1.0, 2.0)),
        Param("feature_stride", INT, 16),
        Param("output_score", BOOL, False), Param("iou_loss", BOOL, False)])


_INPUTS = ["cls_prob", "bbox_pred", "im_info"]


def _interface(parsed):
    outputs = ["output", "score"] if parsed.output_score else ["output"]
    return list(_INPUTS), [], outputs, {}


def _shape_text(shape, brackets):
    inner = ",".join(str(size) for size in shape)
    return "[%s]" % inner if brackets else "(%s)" % inner


def _assign(shapes, index, expected):
    """MXNet's SHAPE_ASSIGN_CHECK: input `index` is `expected` (filled in
    when unknown), MXNetError otherwise."""
    given = shapes[index]
    if given is not None and tuple(given) != tuple(expected):
        raise MXNetError(
            "Shape inconsistent, Provided = %s, inferred shape=%s"
            % (_shape_text(given, True), _shape_text(expected, False)))
    return tuple(expected)


def _infer(batched):
    def infer(parsed, shapes, dtypes):
        dtype = float32_only(dtypes)
        cls = shapes[0]
        visible = 2 if parsed.output_score else 1
        if cls is None:
            return ([(shape, dtype) for shape in shapes],
                    [(None, dtype)] * visible)
        check(len(cls) == 4, "cls_prob.ndim() == 4 (%d vs. 4) : cls_prob "
              "should be a 4D tensor (batch, 2 * anchors, height, width)"
              % len(cls))
        bbox = _assign(shapes, 1, (cls[0], cls[1] * 2, cls[2], cls[3]))
        info = _assign(shapes, 2, (cls[0], 3))
        rows = parsed.rpn_post_nms_top_n * (cls[0] if batched else 1)
        check(rows >= 0, "dim_size_is_known(*it): Shape dim size cannot be "
              "a negative value %d" % rows)
        outputs = [((rows, 5), dtype), ((rows, 1), dtype)]
        return ([(cls, dtype), (bbox, dtype), (info, dtype)],
                outputs[:visible])
    return infer


# -- anchors ---------------------------------------------------------------
def _anchors(parsed):
    """(A, 4) float32 base anchors [x1, y1, x2, y2], ratio-major, as
    MXNet's GenerateAnchors rounds them."""
    end = _F32(parsed.feature_stride - 1.0)
    width = height = _F32(end - _F32(0) + _F32(1))
    x_ctr = y_ctr = _F32(_F64(0) + 0.5 * (_F64(width) - 1.0))
    size = _F32(width * height)
    half, one = _F32(0.5), _F32(1)
    anchors = []
    for ratio in parsed.ratios:
        ratio = _F32(ratio)
        for scale in parsed.scales:
            scale = _F32(scale)
            size_ratios = _np.floor(_F32(size / ratio))
            new_w = _F32(_np.floor(_F32(_np.sqrt(size_ratios)) + half) * scale)
            new_h = _F32(_np.floor(_F32(_F32(new_w / scale) * ratio) + half)
                         * scale)
            anchors.append([_F32(x_ctr - half * _F32(new_w - one)),
                            _F32(y_ctr - half * _F32(new_h - one)),
                            _F32(x_ctr + half * _F32(new_w - one)),
                            _F32(y_ctr + half * _F32(new_h - one))])
    return _np.array(anchors, dtype=_F32).reshape(-1, 4)


def _shifted_anchors(parsed, height, width):
    """(H * W * A, 4) float32 anchors, in MXNet's (row, column, anchor)
    order."""
    base = _anchors(parsed)
    stride = parsed.feature_stride
    shift_x = (_np.arange(width) * stride).astype(_F32)
    shift_y = (_np.arange(height) * stride).astype(_F32)
    boxes = _np.empty((height, width, len(base), 4), dtype=_F32)
    boxes[..., 0] = base[:, 0] + shift_x[None, :, None]
    boxes[..., 1] = base[:, 1] + shift_y[:, None, None]
    boxes[..., 2] = base[:, 2] + shift_x[None, :, None]
    boxes[..., 3] = base[:, 3] + shift_y[:, None, None]
    return boxes.reshape(-1, 4)


# -- one image -------------------------------------------------------------
def _clip(value, limit):
    """std::max(std::min(value, limit - 1.0f), 0.0f) in float32, with
    std's NaN rule: the first argument unless the comparison holds (a NaN
    limit leaves the value as it is)."""
    high = _F32(limit - _F32(1))
    value = _np.where(high < value, high, value)
    return _np.where(value < _F32(0), _F32(0), value)


def _c_int(value):
    """static_cast<int> of a float as x86's cvttss2si does it: truncated,
    and INT_MIN for NaN, infinities and values outside int (im_info NaN
    or feature_stride 0 give such values; MXNet carries on with them)."""
    value = float(value)
    if value != value or not -2.0 ** 31 <= value < 2.0 ** 31:
        return -2 ** 31
    return int(value)


def _decode(parsed, anchors, deltas, info):
    """(K, 4) float32 boxes from the anchors and their (K, 4) deltas,
    clipped to the image of im_info row `info`."""
    x1, y1, x2, y2 = (anchors[:, k] for k in range(4))
    if parsed.iou_loss:
        boxes = [x1 + deltas[:, 0], y1 + deltas[:, 1],
                 x2 + deltas[:, 2], y2 + deltas[:, 3]]
    else:
        # float width = x2 - x1 + 1.0 (a double sum stored as float) ...
        width = (_F64(x2 - x1) + 1.0).astype(_F32)
        height = (_F64(y2 - y1) + 1.0).astype(_F32)
        ctr_x = (_F64(x1) + 0.5 * (_F64(width) - 1.0)).astype(_F32)
        ctr_y = (_F64(y1) + 0.5 * (_F64(height) - 1.0)).astype(_F32)
        pred_x = deltas[:, 0] * width + ctr_x
        pred_y = deltas[:, 1] * height + ctr_y
        # glibc's expf rounds correctly: the double exp rounded matches it
        pred_w = _np.exp(_F64(deltas[:, 2])).astype(_F32) * width
        pred_h = _np.exp(_F64(deltas[:, 3])).astype(_F32) * height
        half_w = 0.5 * (_F64(pred_w) - 1.0)
        half_h = 0.5 * (_F64(pred_h) - 1.0)
        boxes = [(_F64(pred_x) - half_w).astype(_F32),
                 (_F64(pred_y) - half_h).astype(_F32),
                 (_F64(pred_x) + half_w).astype(_F32),
                 (_F64(pred_y) + half_h).astype(_F32)]
    im_height, im_width = info[0], info[1]
    return _np.stack([_clip(boxes[0], im_width), _clip(boxes[1], im_height),
                      _clip(boxes[2], im_width), _clip(boxes[3], im_height)],
                     axis=1)


def _nms(dets, threshold, limit):
    """Indices of the rows of `dets` (sorted by score) that MXNet's greedy
    NMS keeps, at most `limit`."""
    x1, y1, x2, y2 = (dets[:, k] for k in range(4))
    one = _F32(1)
    area = ((x2 - x1) + one) * ((y2 - y1) + one)
    suppressed = _np.zeros(len(dets), dtype=bool)
    keep = []
    for i in range(len(dets)):
        if len(keep) >= limit:
            break
        if suppressed[i]:
            continue
        keep.append(i)
        rest = _np.arange(i + 1, len(dets))
        rest = rest[~suppressed[rest]]
        w = _np.maximum(_F32(0), (_np.minimum(x2[i], x2[rest]) -
                                  _np.maximum(x1[i], x1[rest])) + one)
        h = _np.maximum(_F32(0), (_np.minimum(y2[i], y2[rest]) -
                                  _np.maximum(y1[i], y1[rest])) + one)
        inter = w * h
        with _np.errstate(divide="ignore", invalid="ignore"):
            overlap = inter / ((area[i] + area[rest]) - inter)
        suppressed[rest[overlap > threshold]] = True
    return keep


def _one_image(parsed, anchors, scores, deltas, info, height, width):
    """(rpn_post_nms_top_n, 4) boxes and (rpn_post_nms_top_n,) scores of
    one image: scores (A, H, W) foreground, deltas (4 * A, H, W)."""
    count = len(anchors)
    pre = parsed.rpn_pre_nms_top_n if parsed.rpn_pre_nms_top_n > 0 \
        else count
    pre = min(pre, count)
    post = min(parsed.rpn_post_nms_top_n, pre)
    stride = parsed.feature_stride
    with _np.errstate(divide="ignore", invalid="ignore"):
        real_height = _c_int(_F32(info[0] / _F32(stride)))
        real_width = _c_int(_F32(info[1] / _F32(stride)))
    check(height >= real_height, "height >= real_height (%d vs. %d) : %d %d"
          % (height, real_height, height, real_height))
    check(width >= real_width, "width >= real_width (%d vs. %d) : %d %d"
          % (width, real_width, width, real_width))
    num_anchors = scores.shape[0]
    # (H, W, A) order of the anchors, as MXNet enumerates them
    score = scores.transpose(1, 2, 0).reshape(-1).copy()
    deltas = deltas.reshape(num_anchors, 4, height, width).transpose(
        2, 3, 0, 1).reshape(-1, 4)
    boxes = _decode(parsed, anchors, deltas, info)
    rows = _np.repeat(_np.arange(height), width * num_anchors)
    cols = _np.tile(_np.repeat(_np.arange(width), num_anchors), height)
    score[(rows >= real_height) | (cols >= real_width)] = _F32(-1)
    # FilterBox: too small boxes get score -1 and grow by min_size
    min_size = _F32(_F32(parsed.rpn_min_size) * info[2])
    one = _F32(1)
    small = (((boxes[:, 2] - boxes[:, 0]) + one < min_size) |
             ((boxes[:, 3] - boxes[:, 1]) + one < min_size))
    grow = _F32(min_size / _F32(2))
    boxes[small, :2] -= grow
    boxes[small, 2:] += grow
    score[small] = _F32(-1)
    check(count > 0, "dets.shape_[0] > 0 (0 vs. 0) : ")
    order = _np.argsort(-score, kind="stable")[:pre]
    boxes, score = boxes[order], score[order]
    keep = _nms(boxes, _F32(parsed.threshold), post)
    total = parsed.rpn_post_nms_top_n
    # kept rows repeat cyclically (vectorised: total may be large)
    picks = _np.asarray(keep, dtype=_np.int64)[
        _np.arange(total) % len(keep)] if keep else \
        _np.zeros(0, dtype=_np.int64)
    return boxes[picks], score[picks]


def _forward(batched):
    def forward(parsed, arrays, is_train):
        # NaN/inf im_info or feature_stride 0 flow on as in MXNet
        with _np.errstate(all="ignore"):
            return compute(parsed, arrays)

    def compute(parsed, arrays):
        cls, bbox, info = (_np.asarray(array, dtype=_F32)
                           for array in arrays)
        batch, channels, height, width = cls.shape
        if not batched:
            check(batch == 1, "in_data[proposal::kClsProb].shape_[0] == 1 "
                  "(%d vs. 1) : Sorry, multiple images each device is not "
                  "implemented." % batch)
        num_anchors = channels // 2
        check(num_anchors == len(parsed.ratios) * len(parsed.scales),
              "num_anchors == param_.ratios.ndim() * param_.scales.ndim() "
              "(%d vs. %d) : " % (num_anchors,
                                  len(parsed.ratios) * len(parsed.scales)))
        anchors = _shifted_anchors(parsed, height, width)
        outputs, scores = [], []
        for b in range(batch):
            boxes, score = _one_image(
                parsed, anchors, cls[b, num_anchors:2 * num_anchors],
                bbox[b], info[b], height, width)
            rows = _np.empty((len(boxes), 5), dtype=_F32)
            rows[:, 0] = b
            rows[:, 1:] = boxes
            outputs.append(rows)
            scores.append(score.reshape(-1, 1))
        return [_np.concatenate(outputs), _np.concatenate(scores)]
    return forward


for _name, _batched, _doc in (
        ("_contrib_Proposal", False,
         "Region proposals of Faster R-CNN's RPN for one image."),
        ("_contrib_MultiProposal", True,
         "Region proposals of Faster R-CNN's RPN for a batch of images.")):
    _PARAMS = _params(_name)
    _python_ops.register(
        _name, inputs=_INPUTS, outputs=["output", "score"],
        params=_PARAMS.specs, parse=_PARAMS.parse, interface=_interface,
        infer=_infer(_batched), forward=host_memory(_forward(_batched)),
        backward=zero_grads, doc=_doc)

__all__ = []
