"""MXNet 1.9.1's SSD operators (src/operator/contrib/multibox_*), computed
on the host with numpy in float32 (the only dtype MXNet's legacy
operators take):

    MultiBoxPrior(data, sizes=(1,), ratios=(1,), clip=False,
                  steps=(-1, -1), offsets=(0.5, 0.5))
        data (B, C, H, W) -> anchors (1, H * W * (len(sizes) +
        len(ratios) - 1), 4), corner boxes around each cell's center:
        every size at ratios[0], then sizes[0] at every other ratio.
    MultiBoxTarget(anchor, label, cls_pred, overlap_threshold=0.5,
                   ignore_label=-1, negative_mining_ratio=-1,
                   negative_mining_thresh=0.5, minimum_negative_samples=0,
                   variances=(0.1, 0.1, 0.2, 0.2))
        anchors (1, A, 4), labels (B, L, >=5) [id, xmin, ymin, xmax, ymax]
        padded with -1 rows, class predictions (B, classes, A) ->
        loc_target (B, A * 4), loc_mask (B, A * 4), cls_target (B, A):
        each ground truth matched to its best anchor, then anchors above
        overlap_threshold, negatives by mining or all the rest.
    MultiBoxDetection(cls_prob, loc_pred, anchor, clip=True,
                      threshold=0.01, background_id=0, nms_threshold=0.5,
                      force_suppress=False, variances=(0.1, 0.1, 0.2, 0.2),
                      nms_topk=-1)
        -> (B, A, 6) rows [id, score, xmin, ymin, xmax, ymax] sorted by
        score with non-maximum suppression (id -1 where suppressed).

All three have zero gradients, as in MXNet.
"""
import numpy as _np

from ..base import MXNetError
from ._common import check, float32_only, register, zero_grads
from ._params import BOOL, FLOAT, FLOATS, INT, Param, Params

_F32 = _np.float32


# -- MultiBoxPrior ---------------------------------------------------------
_PRIOR = Params("_contrib_MultiBoxPrior", [
    Param("sizes", FLOATS, (1.0,)), Param("ratios", FLOATS, (1.0,)),
    Param("clip", BOOL, False), Param("steps", FLOATS, (-1.0, -1.0)),
    Param("offsets", FLOATS, (0.5, 0.5))])


def _prior_infer(parsed, shapes, dtypes):
    dtype = float32_only(dtypes)
    shape = shapes[0]
    if shape is None:
        return [(None, dtype)], [(None, dtype)]
    check(len(shape) >= 4, "dshape.ndim() >= 4 (%d vs. 4) : Input data "
          "should be 4D: batch-channel-y-x" % len(shape))
    height, width = shape[2], shape[3]
    check(height > 0, "in_height > 0 (%d vs. 0) : Input height should > 0"
          % height)
    check(width > 0, "in_width > 0 (%d vs. 0) : Input width should > 0"
          % width)
    check(len(parsed.steps) == 2, "param_.steps.ndim() == 2 (%d vs. 2) : "
          "Step ndim must be 2: (step_y, step_x)" % len(parsed.steps))
    check(len(parsed.sizes) > 0, "sizes_.size() > 0 (0 vs. 0) : ")
    check(len(parsed.ratios) > 0, "ratios_.size() > 0 (0 vs. 0) : ")
    anchors = height * width * (len(parsed.sizes) + len(parsed.ratios) - 1)
    return [(shape, dtype)], [((1, anchors, 4), dtype)]


def _prior_forward(parsed, arrays, is_train):
    height, width = arrays[0].shape[2], arrays[0].shape[3]
    sizes = [_F32(size) for size in parsed.sizes]
    ratios = [_F32(ratio) for ratio in parsed.ratios]
    offsets = [_F32(offset) for offset in parsed.offsets]
    check(len(parsed.offsets) == 2, "offsets_.size() == 2 (%d vs. 2) "
          % len(parsed.offsets))
    for offset in offsets:
        check(0 <= offset <= 1, "offsets_[0] >= 0.f && offsets_[0] <= 1.f "
              "(%s)" % offset)
    step_y, step_x = (_F32(step) for step in parsed.steps)
    check(step_y * step_x >= 0, "steps_[0] * steps_[1] >= 0 : Must specify "
          "both step_y and step_x")
    if step_y <= 0 or step_x <= 0:
        step_y, step_x = _F32(1) / _F32(height), _F32(1) / _F32(width)
    # (w, h) half extents of each anchor of a cell, in MXNet's float order.
    shapes = []
    first = _np.sqrt(ratios[0])
    for size in sizes:
        shapes.append((size * _F32(height) / _F32(width) * first / _F32(2),
                       size / first / _F32(2)))
    for ratio in ratios[1:]:
        root = _np.sqrt(ratio)
        shapes.append((sizes[0] * _F32(height) / _F32(width) * root /
                       _F32(2), sizes[0] / root / _F32(2)))
    half = _np.array(shapes, dtype=_F32)                      # (K, 2)
    center_y = (_np.arange(height, dtype=_F32) + offsets[0]) * step_y
    center_x = (_np.arange(width, dtype=_F32) + offsets[1]) * step_x
    cy = _np.broadcast_to(center_y[:, None, None], (height, width, 1))
    cx = _np.broadcast_to(center_x[None, :, None], (height, width, 1))
    out = _np.stack([cx - half[:, 0], cy - half[:, 1], cx + half[:, 0],
                     cy + half[:, 1]], axis=-1).astype(_F32)
    if parsed.clip:
        out = _np.clip(out, _F32(0), _F32(1))
    return [out.reshape(1, -1, 4)]


register(_PRIOR, _prior_infer, _prior_forward, zero_grads, ["data"],
         ["output"], doc="Generates anchor boxes over a feature map.")


# -- MultiBoxTarget --------------------------------------------------------
_TARGET = Params("_contrib_MultiBoxTarget", [
    Param("overlap_threshold", FLOAT, 0.5), Param("ignore_label", FLOAT, -1.0),
    Param("negative_mining_ratio", FLOAT, -1.0),
    Param("negative_mining_thresh", FLOAT, 0.5),
    Param("minimum_negative_samples", INT, 0),
    Param("variances", FLOATS, (0.1, 0.1, 0.2, 0.2))])


def _target_infer(parsed, shapes, dtypes):
    dtype = float32_only(dtypes)
    anchor, label, pred = shapes
    outputs = [(None, dtype)] * 3
    if anchor is not None:
        check(len(anchor) == 3, "ashape.ndim() == 3 (%d vs. 3) : Anchor "
              "should be batch shared N*4 tensor" % len(anchor))
        check(anchor[0] == 1, "ashape[0] == 1 (%d vs. 1) : Anchors are "
              "shared across batches, first dimension should be 1"
              % anchor[0])
        check(anchor[2] == 4, "ashape[2] == 4 (%d vs. 4) : Box dimension "
              "should be 4: [xmin, ymin, xmax, ymax]" % anchor[2])
    if label is not None:
        check(len(label) == 3, "lshape.ndim() == 3 (%d vs. 3) : Label should "
              "be [batch, num_labels, label_width] tensor" % len(label))
        check(label[2] >= 5, "lshape[2] >= 5 (%d vs. 5) : Label width should "
              "be greater than or equal to 5" % label[2])
    if pred is not None:
        check(len(pred) == 3, "pshape.ndim() == 3 (%d vs. 3) : Prediction: "
              "[batch, num_classes, num_anchors]" % len(pred))
        if anchor is not None:
            check(pred[2] == anchor[1], "pshape[2] == ashape[1] (%d vs. %d) "
                  ": Number of anchors mismatch" % (pred[2], anchor[1]))
    if anchor is not None and label is not None:
        outputs = [((label[0], anchor[1] * 4), dtype),
                   ((label[0], anchor[1] * 4), dtype),
                   ((label[0], anchor[1]), dtype)]
    return [(anchor, dtype), (label, dtype), (pred, dtype)], outputs


def _corner_iou(anchors, boxes):
    """(A, L) IoU of corner boxes in float32, 0 where the union is 0."""
    a = anchors[:, None, :]
    b = boxes[None, :, :]
    zero = _F32(0)
    inter = (_np.maximum(zero, _np.minimum(a[..., 2], b[..., 2]) -
                         _np.maximum(a[..., 0], b[..., 0])) *
             _np.maximum(zero, _np.minimum(a[..., 3], b[..., 3]) -
                         _np.maximum(a[..., 1], b[..., 1])))
    union = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) +
             (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter)
    with _np.errstate(divide="ignore", invalid="ignore"):
        return _np.where(union == 0, zero, inter / union)


def _loc_targets(anchor, box, variances):
    """MXNet's AssignLocTargets in float32."""
    aw, ah = anchor[2] - anchor[0], anchor[3] - anchor[1]
    ax, ay = (anchor[0] + anchor[2]) * _F32(0.5), \
        (anchor[1] + anchor[3]) * _F32(0.5)
    gw, gh = box[2] - box[0], box[3] - box[1]
    gx, gy = (box[0] + box[2]) * _F32(0.5), (box[1] + box[3]) * _F32(0.5)
    vx, vy, vw, vh = (_F32(value) for value in variances)
    with _np.errstate(divide="ignore", invalid="ignore"):
        return [(gx - ax) / aw / vx, (gy - ay) / ah / vy,
                _np.log(gw / aw) / vw, _np.log(gh / ah) / vh]


def _target_forward(parsed, arrays, is_train):
    anchors, labels, preds = arrays
    count = anchors.shape[1]
    anchors = anchors.reshape(count, 4)
    batches, num_labels = labels.shape[0], labels.shape[1]
    check(len(parsed.variances) == 4, "variances.ndim() == 4 (%d vs. 4) "
          % len(parsed.variances))
    loc_target = _np.zeros((batches, count, 4), dtype=_F32)
    loc_mask = _np.zeros((batches, count, 4), dtype=_F32)
    cls_target = _np.full((batches, count), _F32(parsed.ignore_label),
                          dtype=_F32)
    for batch in range(batches):
        label = labels[batch]
        valid = 0
        while valid < num_labels and label[valid, 0] != -1:
            valid += 1
        if valid < num_labels:
            for k in range(1, 5):
                check(label[valid, k] == -1, "static_cast<float>(*(p_label "
                      "+ i * label_width + %d)) == -1.0f (%s vs. -1) "
                      % (k, label[valid, k]))
        if valid == 0:
            continue
        overlaps = _corner_iou(anchors, label[:, 1:5])[:, :valid]
        # A NaN overlap (NaN box or anchor) never compares greater in
        # MXNet's loops, so it can never be picked: -1 is below every IoU
        # and equals the loops' starting best.
        overlaps = _np.where(_np.isnan(overlaps), _F32(-1), overlaps)
        flags = _np.full(count, -1, dtype=_np.int8)   # 1 +, 0 -, -1 ignore
        best_iou = _np.full(count, -1.0, dtype=_F32)
        best_gt = _np.full(count, -1, dtype=_np.int64)
        gt_done = _np.zeros(valid, dtype=bool)
        positives = 0
        while not gt_done.all():
            # The best (anchor, ground truth) pair left, first in anchor
            # then ground-truth order on ties; overlaps must pass 1e-6.
            masked = _np.where(flags[:, None] == 1, -_np.inf,
                               _np.where(gt_done[None, :], -_np.inf,
                                         overlaps))
            flat = int(_np.argmax(masked))
            anchor, gt = divmod(flat, valid)
            if not masked[anchor, gt] > _F32(1e-6):
                break
            best_iou[anchor], best_gt[anchor] = masked[anchor, gt], gt
            positives += 1
            gt_done[gt] = True
            flags[anchor] = 1
        if parsed.overlap_threshold > 0:
            for anchor in range(count):
                if flags[anchor] == 1:
                    continue
                gt = int(_np.argmax(overlaps[anchor]))
                best_iou[anchor] = overlaps[anchor, gt]
                best_gt[anchor] = gt
                if overlaps[anchor, gt] > _F32(parsed.overlap_threshold):
                    positives += 1
                    gt_done[gt] = True
                    flags[anchor] = 1
        if parsed.negative_mining_ratio > 0:
            _mine_negatives(parsed, preds[batch], overlaps, flags, best_iou,
                            positives)
        else:
            flags[flags != 1] = 0
        for anchor in range(count):
            if flags[anchor] == 1:
                box = label[best_gt[anchor]]
                cls_target[batch, anchor] = box[0] + _F32(1)
                loc_mask[batch, anchor] = 1
                loc_target[batch, anchor] = _loc_targets(
                    anchors[anchor], box[1:5], parsed.variances)
            elif flags[anchor] == 0:
                cls_target[batch, anchor] = 0
    return [loc_target.reshape(batches, -1), loc_mask.reshape(batches, -1),
            cls_target]


def _mine_negatives(parsed, pred, overlaps, flags, best_iou, positives):
    """Marks as negative (0) the anchors whose background probability is
    lowest among those below negative_mining_thresh, num_positive * ratio
    of them at most (MXNet's hard negative mining)."""
    count = flags.shape[0]
    check(parsed.negative_mining_thresh > 0, "negative_mining_thresh > 0 "
          "(%s vs. 0) " % parsed.negative_mining_thresh)
    negatives = int(positives * _F32(parsed.negative_mining_ratio))
    negatives = min(negatives, count - positives)
    if negatives <= 0:
        return
    candidates = []
    for anchor in range(count):
        if flags[anchor] == 1:
            continue
        if best_iou[anchor] < 0:
            best_iou[anchor] = overlaps[anchor].max()
        if best_iou[anchor] < _F32(parsed.negative_mining_thresh) and \
                flags[anchor] == -1:
            logits = pred[:, anchor]
            top = logits.max()
            total = _F32(0)
            for value in logits:
                total = _F32(total + _np.exp(value - top))
            prob = _np.exp(logits[0] - top) / total
            candidates.append((-prob, anchor))
    if len(candidates) < negatives:
        raise MXNetError("Check failed: temp.size() >= num_negative (%d vs. "
                         "%d) " % (len(candidates), negatives))
    # stable: by -prob descending, i.e. by background probability ascending
    candidates.sort(key=lambda item: -item[0])
    for _, anchor in candidates[:negatives]:
        flags[anchor] = 0


register(_TARGET, _target_infer, _target_forward, zero_grads,
         ["anchor", "label", "cls_pred"],
         ["loc_target", "loc_mask", "cls_target"],
         doc="Computes SSD training targets for anchors.")


# -- MultiBoxDetection -----------------------------------------------------
_DETECTION = Params("_contrib_MultiBoxDetection", [
    Param("clip", BOOL, True), Param("threshold", FLOAT, 0.01),
    Param("background_id", INT, 0), Param("nms_threshold", FLOAT, 0.5),
    Param("force_suppress", BOOL, False),
    Param("variances", FLOATS, (0.1, 0.1, 0.2, 0.2)),
    Param("nms_topk", INT, -1)])


def _detection_infer(parsed, shapes, dtypes):
    dtype = float32_only(dtypes)
    cls, loc, anchor = shapes
    for shape, ndim in ((cls, 3), (loc, 2), (anchor, 3)):
        if shape is not None:
            check(len(shape) == ndim, "%s.ndim() == %dU (%d vs. %d) : "
                  "Provided: %s" % ({3: "cshape", 2: "lshape"}[ndim]
                                    if shape is not anchor else "ashape",
                                    ndim, len(shape), ndim, list(shape)))
    out = None
    if cls is not None and anchor is not None:
        check(cls[2] == anchor[1], "cshape[2] == ashape[1] (%d vs. %d) : "
              "Number of anchors mismatch" % (cls[2], anchor[1]))
        if loc is not None:
            check(cls[2] * 4 == loc[1], "cshape[2] * 4 == lshape[1] (%d vs. "
                  "%d) : # anchors mismatch with # loc" % (cls[2] * 4,
                                                          loc[1]))
        check(anchor[2] == 4, "ashape[2] == 4U (%d vs. 4) " % anchor[2])
        check(anchor[0] == 1, "ashape[0] == 1 (%d vs. 1) : anchors are "
              "shared by the batch, got anchor shape %s with cls_prob shape "
              "%s" % (anchor[0], tuple(anchor), tuple(cls)))
        out = (cls[0], anchor[1], 6)
    return [(cls, dtype), (loc, dtype), (anchor, dtype)], [(out, dtype)]


def _transform(anchors, deltas, clip, variances):
    """(A, 4) corner boxes from anchors and predicted offsets (float32)."""
    vx, vy, vw, vh = (_F32(value) for value in variances)
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax = (anchors[:, 0] + anchors[:, 2]) / _F32(2)
    ay = (anchors[:, 1] + anchors[:, 3]) / _F32(2)
    ox = deltas[:, 0] * vx * aw + ax
    oy = deltas[:, 1] * vy * ah + ay
    with _np.errstate(over="ignore"):
        ow = _np.exp(deltas[:, 2] * vw) * aw / _F32(2)
        oh = _np.exp(deltas[:, 3] * vh) * ah / _F32(2)
    boxes = _np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
    if clip:
        boxes = _np.maximum(_F32(0), _np.minimum(_F32(1), boxes))
    return boxes.astype(_F32)


def _detection_iou(a, b):
    w = max(_F32(0), min(a[2], b[2]) - max(a[0], b[0]))
    h = max(_F32(0), min(a[3], b[3]) - max(a[1], b[1]))
    inter = _F32(w * h)
    union = _F32(_F32((a[2] - a[0]) * (a[3] - a[1])) +
                 _F32((b[2] - b[0]) * (b[3] - b[1])) - inter)
    return _F32(0) if union <= 0 else _F32(inter / union)


def _detection_forward(parsed, arrays, is_train):
    cls_prob, loc_pred, anchors = arrays
    batches, classes, count = cls_prob.shape
    anchors = anchors.reshape(count, 4)
    check(len(parsed.variances) == 4, "variances.ndim() == 4 (%d vs. 4) : "
          "Variance size must be 4" % len(parsed.variances))
    out = _np.full((batches, count, 6), -1, dtype=_F32)
    threshold = _F32(parsed.threshold)
    nms_threshold = _F32(parsed.nms_threshold)
    for batch in range(batches):
        probs = cls_prob[batch]
        if classes > 1:
            ids = _np.argmax(probs[1:], axis=0) + 1      # first of the best
            scores = probs[1:].max(axis=0)
            ids = _np.where(scores > _F32(-1), ids, 0)
        else:
            ids, scores = _np.zeros(count, _np.int64), \
                _np.full(count, -1, _F32)
        ids = _np.where((ids > 0) & (scores < threshold), 0, ids)
        boxes = _transform(anchors, loc_pred[batch].reshape(count, 4),
                           parsed.clip, parsed.variances)
        rows = _np.concatenate([(ids - 1).astype(_F32)[:, None],
                                scores.astype(_F32)[:, None], boxes], axis=1)
        rows = rows[rows[:, 0] >= 0]
        valid = len(rows)
        result = out[batch]
        result[:valid] = rows
        if valid < 1 or nms_threshold <= 0 or nms_threshold > 1:
            continue
        order = _np.argsort(-rows[:, 1].astype(_np.float64), kind="stable")
        keep = valid
        if 0 < parsed.nms_topk < keep:
            keep = parsed.nms_topk
            result[keep:valid, 0] = -1
        result[:keep] = rows[order[:keep]]
        for i in range(keep):
            if result[i, 0] < 0:
                continue
            for j in range(i + 1, keep):
                if result[j, 0] < 0:
                    continue
                if parsed.force_suppress or result[i, 0] == result[j, 0]:
                    if _detection_iou(result[i, 2:], result[j, 2:]) >= \
                            nms_threshold:
                        result[j, 0] = -1
    return [out]


register(_DETECTION, _detection_infer, _detection_forward, zero_grads,
         ["cls_prob", "loc_pred", "anchor"], ["output"],
         doc="Turns SSD predictions into detections with NMS.")

__all__ = []
