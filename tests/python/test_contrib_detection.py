"""MXNet 1.9.1's contrib detection operators (kiln/_contrib_ops on
kiln/_python_ops.py) against the real MXNet: box_iou, box_nms and its
alias, bipartite_matching, box_encode, box_decode, MultiBoxPrior,
MultiBoxTarget, MultiBoxDetection, ROIAlign and PSROIPooling, imperatively
on random and edge inputs, with their gradients, as symbols through Executors and MXNet
JSON both ways, in a hybridized Gluon block, and on bad inputs.

Each comparison runs one snippet under both frameworks (run_both), many
cases per snippet, so the oracle starts a few times only.
"""
import json

import numpy as np
import pytest

import kiln as mx
import kiln.operator  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both, run_mxnet)


def _random_boxes(rng, shape, ids=None):
    """Rows [id, score, xmin, ymin, xmax, ymax] (float32), corner boxes in
    the unit square with duplicated scores among them (ties)."""
    count = int(np.prod(shape))
    xy = rng.uniform(0, 0.7, size=(count, 2))
    wh = rng.uniform(0.05, 0.5, size=(count, 2))
    scores = rng.choice([0.1, 0.3, 0.3, 0.5, 0.7, 0.9, 0.95], size=count)
    scores = scores + rng.choice([0, 0, 0.01], size=count)
    classes = rng.randint(0, ids or 1, size=count) - (1 if ids else 0)
    rows = np.concatenate([classes[:, None], scores[:, None], xy, xy + wh],
                          axis=1)
    return rows.reshape(tuple(shape) + (6,)).astype(np.float32)


BOX_CODE = """
def nd(name, dtype=None):
    a = inputs[name]
    return mx.nd.array(a, dtype=dtype or a.dtype)

boxes, more = nd("boxes"), nd("more")
for fmt in ("corner", "center"):
    outputs["iou/" + fmt] = mx.nd.contrib.box_iou(
        boxes[:, :, 2:], more[0, :, 2:], format=fmt).asnumpy()
outputs["iou/f64"] = mx.nd.contrib.box_iou(
    nd("more", "float64")[:, :, 2:], nd("more", "float64")[0, :3, 2:]
    ).asnumpy()
outputs["iou/degenerate"] = mx.nd.contrib.box_iou(
    nd("odd")[:, 2:], nd("odd")[:, 2:]).asnumpy()
cases = [dict(), dict(overlap_thresh=0.1), dict(overlap_thresh=0.7, topk=3),
         dict(valid_thresh=0.4), dict(id_index=0, overlap_thresh=0.2),
         dict(id_index=0, force_suppress=True, overlap_thresh=0.2),
         dict(id_index=0, background_id=1, overlap_thresh=0.3),
         dict(id_index=0, background_id=-1, overlap_thresh=0.3),
         dict(in_format="center", overlap_thresh=0.3),
         dict(out_format="center", overlap_thresh=0.3),
         dict(in_format="center", out_format="corner", overlap_thresh=0.2),
         dict(topk=0), dict(topk=1), dict(valid_thresh=2.0),
         dict(coord_start=1, score_index=0, id_index=5, overlap_thresh=0.3)]
for k, kwargs in enumerate(cases):
    outputs["nms/%d" % k] = mx.nd.contrib.box_nms(boxes, **kwargs).asnumpy()
    outputs["nms4d/%d" % k] = mx.nd.contrib.box_nms(
        more.reshape((2, 2, -1, 6)), **kwargs).asnumpy()
outputs["nms/alias"] = mx.nd.contrib.box_non_maximum_suppression(
    boxes[0], overlap_thresh=0.25, id_index=0).asnumpy()
outputs["nms/f64"] = mx.nd.contrib.box_nms(
    nd("boxes", "float64"), overlap_thresh=0.25).asnumpy()
outputs["nms/odd"] = mx.nd.contrib.box_nms(nd("odd"), overlap_thresh=0.1,
                                           out_format="center").asnumpy()
scores = nd("scores")
for k, kwargs in enumerate([dict(threshold=0.2), dict(threshold=0.5),
                            dict(threshold=0.6, is_ascend=True),
                            dict(threshold=0.1, topk=2),
                            dict(threshold=0.1, topk=1, is_ascend=True),
                            dict(threshold=2.0)]):
    rows, cols = mx.nd.contrib.bipartite_matching(scores, **kwargs)
    outputs["match/%d/rows" % k] = rows.asnumpy()
    outputs["match/%d/cols" % k] = cols.asnumpy()
rows, cols = mx.nd.contrib.bipartite_matching(nd("ties"), threshold=0.0)
outputs["match/ties/rows"], outputs["match/ties/cols"] = (rows.asnumpy(),
                                                          cols.asnumpy())
anchors = boxes[:, :, 2:]
targets, masks = mx.nd.contrib.box_encode(
    nd("samples"), nd("matches"), anchors,
    more[0, :10].reshape((2, 5, 6))[:, :, 2:],
    mx.nd.array([0.0, 0.1, 0.0, -0.1]), mx.nd.array([0.1, 0.1, 0.2, 0.2]))
outputs["encode/targets"], outputs["encode/masks"] = (targets.asnumpy(),
                                                      masks.asnumpy())
deltas = nd("deltas")
for k, kwargs in enumerate([dict(), dict(format="corner"),
                            dict(std0=0.1, std1=0.2, std2=0.3, std3=0.4),
                            dict(clip=0.5, format="corner"),
                            dict(clip=0.5)]):
    outputs["decode/%d" % k] = mx.nd.contrib.box_decode(
        deltas, anchors[:1], **kwargs).asnumpy()
"""


def _box_inputs():
    rng = np.random.RandomState(3)
    odd = np.array([[0, 0.9, 0.2, 0.2, 0.2, 0.6],      # zero width
                    [0, 0.8, 0.5, 0.5, 0.3, 0.3],      # negative extents
                    [0, 0.7, -0.2, 0.1, 0.3, 0.4],     # negative xmin
                    [0, 0.6, -0.1, 0.1, 0.3, 0.4],
                    [0, 0.5, 0.1, 0.1, 0.3, 0.4]], dtype=np.float32)
    scores = rng.uniform(0, 1, size=(2, 4, 5)).astype(np.float32)
    ties = np.array([[0.5, 0.5, 0.2], [0.5, 0.5, 0.5]], dtype=np.float32)
    return dict(boxes=_random_boxes(rng, (2, 9), ids=3),
                more=_random_boxes(rng, (1, 12), ids=2), odd=odd,
                scores=scores, ties=ties,
                samples=rng.choice([-1, 0, 1], size=(2, 9)).astype(
                    np.float32),
                matches=rng.randint(0, 5, size=(2, 9)).astype(np.float32),
                deltas=rng.normal(0, 1, size=(2, 9, 4)).astype(np.float32))


@requires_oracle
def test_bounding_box_ops_match_mxnet():
    got, expected = run_both(BOX_CODE, mx, **_box_inputs())
    compare_outputs(got, expected, rtol=1e-5, atol=1e-6)


MULTIBOX_CODE = """
data = mx.nd.zeros((2, 3, 3, 5))
for k, kwargs in enumerate([dict(), dict(sizes=(0.5, 0.25), ratios=(1, 2, 0.5)),
                            dict(sizes=[0.3], ratios=[2, 1], clip=True),
                            dict(sizes=(0.7, 0.2), steps=(0.2, 0.1),
                                 offsets=(0.2, 0.8)),
                            dict(sizes=(0.9,), ratios=(3,), clip=True)]):
    outputs["prior/%d" % k] = mx.nd.contrib.MultiBoxPrior(
        data, **kwargs).asnumpy()
anchor = mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, 3, 3)),
                                     sizes=(0.3, 0.6), ratios=(1, 2))
label = mx.nd.array(inputs["label"])
cls_pred = mx.nd.array(inputs["cls_pred"])
for k, kwargs in enumerate([dict(), dict(overlap_threshold=0.3),
                            dict(overlap_threshold=0),
                            dict(negative_mining_ratio=2),
                            dict(negative_mining_ratio=3,
                                 negative_mining_thresh=0.4,
                                 ignore_label=-2, variances=(1, 1, 1, 1)),
                            dict(negative_mining_ratio=100)]):
    loc, mask, cls = mx.nd.contrib.MultiBoxTarget(anchor, label, cls_pred,
                                                  **kwargs)
    outputs["target/%d/loc" % k] = loc.asnumpy()
    outputs["target/%d/mask" % k] = mask.asnumpy()
    outputs["target/%d/cls" % k] = cls.asnumpy()
cls_prob = mx.nd.softmax(cls_pred, axis=1)
loc_pred = mx.nd.array(inputs["loc_pred"])
for k, kwargs in enumerate([dict(), dict(threshold=0.3),
                            dict(nms_threshold=0.2, force_suppress=True),
                            dict(nms_topk=4, clip=False),
                            dict(nms_threshold=0), dict(threshold=0.9),
                            dict(variances=(0.2, 0.2, 0.1, 0.1),
                                 background_id=1)]):
    outputs["detection/%d" % k] = mx.nd.contrib.MultiBoxDetection(
        cls_prob, loc_pred, anchor, **kwargs).asnumpy()
"""


def _multibox_inputs():
    rng = np.random.RandomState(5)
    label = -np.ones((3, 4, 5), dtype=np.float32)
    for batch, count in enumerate((2, 4, 0)):
        for k in range(count):
            xy = rng.uniform(0, 0.6, size=2)
            label[batch, k] = [rng.randint(0, 3)] + list(xy) + list(
                xy + rng.uniform(0.1, 0.4, size=2))
    return dict(label=label,
                cls_pred=rng.normal(0, 1, size=(3, 4, 27)).astype(np.float32),
                loc_pred=rng.normal(0, 1, size=(3, 108)).astype(np.float32))


@requires_oracle
def test_multibox_ops_match_mxnet():
    got, expected = run_both(MULTIBOX_CODE, mx, **_multibox_inputs())
    compare_outputs(got, expected, rtol=1e-5, atol=1e-6)


GRAD_CODE = SNIPPET_HELPERS + """
boxes, odd = inputs["boxes"], inputs["odd"]
C = mx.nd.contrib
record("nms", lambda x: C.box_nms(x, overlap_thresh=0.3, id_index=0), [boxes])
record("nms_topk", lambda x: C.box_nms(x, topk=4, out_format="center"),
       [boxes])
record("nms_alias", lambda x: C.box_non_maximum_suppression(
    x, valid_thresh=0.5, overlap_thresh=0.2), [odd])
record("nms_none", lambda x: C.box_nms(x, valid_thresh=5), [odd])
record("nms_topk0", lambda x: C.box_nms(x, topk=0), [odd])
record("nms_f64", lambda x: C.box_nms(x, overlap_thresh=0.3),
       [boxes.astype(np.float64)])
record("iou", lambda a, b: C.box_iou(a, b), [odd[:, 2:], boxes[0, :, 2:]])
record("match", lambda x: C.bipartite_matching(x, threshold=0.2),
       [inputs["scores"]])
record("encode", lambda *a: C.box_encode(*a)[0],
       [inputs["samples"], inputs["matches"], boxes[:, :, 2:],
        boxes[:, :5, 2:], np.zeros(4, np.float32), np.ones(4, np.float32)])
record("decode", lambda a, b: C.box_decode(a, b, format="corner"),
       [inputs["deltas"], boxes[:1, :, 2:]])
record("prior", lambda x: C.MultiBoxPrior(x, sizes=(0.5, 0.2)),
       [np.ones((1, 2, 3, 3), np.float32)])
record("detection", lambda a, b, c: C.MultiBoxDetection(a, b, c),
       [np.full((1, 3, 2), 0.5, np.float32), np.zeros((1, 8), np.float32),
        boxes[:1, :2, 2:]])
record("target", lambda a, b, c: C.MultiBoxTarget(a, b, c)[0],
       [boxes[:1, :2, 2:], boxes[:1, :3, 1:], np.ones((1, 3, 2), np.float32)])
"""


@requires_oracle
def test_gradients_match_mxnet():
    # box_nms sends each output row's gradient back to its input row; the
    # others have zero gradients in MXNet.
    got, expected = run_both(GRAD_CODE, mx, **_box_inputs())
    compare_outputs(got, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(expected["nms/grad0"]).sum() > 0


def test_box_nms_numeric_gradient():
    # Away from ties (distinct scores) and from the edges of the integer
    # class ids (k + 0.5), finite differences see the same selection.
    boxes = _box_inputs()["boxes"].copy()
    rng = np.random.RandomState(0)
    boxes[..., 1] = rng.permutation(18).reshape(2, 9) / 18.0 + 0.02
    boxes[..., 0] += 0.5
    data = mx.sym.var("data")
    net = mx.sym.contrib.box_nms(data, overlap_thresh=0.3, id_index=0)
    mx.test_utils.check_numeric_gradient(net, [boxes.astype(np.float64)],
                                         numeric_eps=1e-4, rtol=1e-3,
                                         atol=1e-4, dtype=np.float64)


def _detection_graph(F):
    """box_nms over a computed input and MultiBoxPrior, grouped."""
    x = F.var("x")
    nms = F.contrib.box_nms(x * 2, overlap_thresh=0.3, id_index=0,
                            topk=6, name="nms")
    prior = F.contrib.MultiBoxPrior(F.var("feat"), sizes=(0.5, 0.25),
                                    ratios=(1, 2), clip=True, name="prior")
    return F.Group([nms, prior])


SYMBOL_CODE = """
with mx.name.NameManager():  # the automatic names start from 0
    x = mx.sym.var("x")
    nms = mx.sym.contrib.box_nms(x * 2, overlap_thresh=0.3, id_index=0,
                                 topk=6, name="nms")
    prior = mx.sym.contrib.MultiBoxPrior(mx.sym.var("feat"),
                                         sizes=(0.5, 0.25), ratios=(1, 2),
                                         clip=True, name="prior")
    group = mx.sym.Group([nms, prior])
outputs["json"] = np.array(group.tojson())
with mx.name.NameManager():
    outputs["auto_names"] = np.array(" ".join([
        mx.sym.contrib.box_nms(x).name,
        mx.sym.contrib.box_non_maximum_suppression(x).name,
        mx.sym.contrib.MultiBoxPrior(x).name,
        mx.sym.contrib.bipartite_matching(x, threshold=0.5).list_outputs()[1],
        mx.sym.contrib.box_encode().list_arguments()[5],
        mx.sym.contrib.MultiBoxTarget().list_outputs()[2]]))
args, outs, _ = group.infer_shape(x=(2, 9, 6), feat=(1, 2, 3, 4))
outputs["shapes"] = np.array(str([tuple(s) for s in args + outs]))
outputs["types"] = np.array([np.dtype(t).name for t in
                             group.infer_type(x=np.float64)[1][:1]])

def run(sym, tag):
    exe = sym.simple_bind(mx.cpu(), x=(2, 9, 6), feat=(1, 2, 3, 4),
                          grad_req={"x": "write", "feat": "null"})
    for step in range(2):
        exe.forward(is_train=True, x=inputs["boxes"] + step,
                    feat=np.zeros((1, 2, 3, 4)))
        exe.backward([mx.nd.array(inputs["head"]), mx.nd.ones((1, 60, 4))])
    outputs[tag + "/nms"] = exe.outputs[0].asnumpy()
    outputs[tag + "/prior"] = exe.outputs[1].asnumpy()
    outputs[tag + "/grad"] = exe.grad_dict["x"].asnumpy()

run(group, "own")
run(mx.sym.load_json(str(inputs["other_json"])), "loaded")
"""


@requires_oracle
def test_symbols_executors_and_json_both_ways():
    with mx.name.NameManager():
        kiln_json = _detection_graph(mx.sym).tojson()
    boxes = _box_inputs()["boxes"] - 0.5
    head = np.cos(np.arange(108)).reshape(2, 9, 6).astype(np.float32)
    expected = run_mxnet(SYMBOL_CODE, boxes=boxes, head=head,
                         other_json=np.array(kiln_json))
    mxnet_json = str(expected.pop("json"))

    def nodes(text):
        return [(n["op"], n["name"], n.get("attrs", {}), n["inputs"])
                for n in json.loads(text)["nodes"]]
    assert nodes(kiln_json) == nodes(mxnet_json)
    scope = {"mx": mx, "np": np, "outputs": {},
             "inputs": dict(boxes=boxes, head=head,
                            other_json=np.array(mxnet_json))}
    exec(SYMBOL_CODE, scope)
    got = scope["outputs"]
    got.pop("json")
    for key in ("auto_names", "shapes", "types"):
        assert got.pop(key).tolist() == expected.pop(key).tolist(), key
    compare_outputs({k: np.asarray(v) for k, v in got.items()}, expected,
                    rtol=1e-5, atol=1e-6)
    loaded = mx.sym.load_json(mxnet_json)
    assert loaded.tojson() == kiln_json


GLUON_CODE = """
class Detector(mx.gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Detector, self).__init__(**kwargs)
        with self.name_scope():
            self.dense = mx.gluon.nn.Dense(6, flatten=False)

    def hybrid_forward(self, F, x):
        rows = F.contrib.box_nms(F.abs(self.dense(x)), overlap_thresh=0.4,
                                 coord_start=2, score_index=1)
        return rows * 2

net = Detector()
net.initialize(mx.init.Constant(0.05))
x = mx.nd.array(inputs["boxes"])
for hybrid in (False, True):
    if hybrid:
        net.hybridize()
    for step in range(2):
        with mx.autograd.record():
            y = net(x + step)
        y.backward(mx.nd.array(inputs["head"]))
        tag = "%s/%d" % ("hybrid" if hybrid else "plain", step)
        outputs[tag + "/out"] = y.asnumpy()
        outputs[tag + "/grad"] = net.dense.weight.grad().asnumpy()
"""


@requires_oracle
def test_hybridized_gluon_block_with_box_nms_matches_mxnet():
    boxes = _box_inputs()["boxes"]
    head = np.cos(np.arange(108)).reshape(2, 9, 6).astype(np.float32)
    got, expected = run_both(GLUON_CODE, mx, boxes=boxes, head=head)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["hybrid/1/out"], got["plain/1/out"],
                               rtol=1e-5)


PRELUDE = """
x = mx.nd.array(np.random.RandomState(0).rand(1, 4, 6))
anchors = mx.nd.zeros((1, 3, 4))
"""

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, [
        ("nms_1d", "mx.nd.contrib.box_nms(mx.nd.ones((5,)))",
         "input must have dim >= 2"),
        ("nms_width", "mx.nd.contrib.box_nms(mx.nd.ones((3, 4)))",
         "at least 5 elements .* 4 provided"),
        ("nms_score", "mx.nd.contrib.box_nms(x, score_index=3)",
         "score_index: 3 conflict with coordinates: \\(2, 5\\)"),
        ("nms_id", "mx.nd.contrib.box_nms(x, id_index=1)",
         "id_index: 1 conflict with score_index: 1"),
        ("nms_int", "mx.nd.contrib.box_nms(mx.nd.ones((2, 6), "
         "dtype='int32'))", "only support floating point types, not int32"),
        ("nms_enum", "mx.nd.contrib.box_nms(x, in_format='middle')",
         "Invalid Input: 'middle', valid values are: \\{'center', "
         "'corner'\\}"),
        ("nms_unknown", "mx.nd.contrib.box_nms(x, threshold=0.5)",
         "Cannot find argument 'threshold'"),
        ("nms_topk", "mx.nd.contrib.box_nms(x, topk=1.5)",
         "Invalid Parameter format for topk expect int but value='1.5'"),
        ("iou_last", "mx.nd.contrib.box_iou(mx.nd.ones((2, 3)), "
         "mx.nd.ones((2, 4)))", "last dimension of lhs must be 4 3 provided"),
        ("iou_1d", "mx.nd.contrib.box_iou(mx.nd.ones((4,)), "
         "mx.nd.ones((2, 4)))", "lhs must have dim >= 2"),
        ("iou_dtypes", "mx.nd.contrib.box_iou(mx.nd.ones((2, 4), "
         "dtype='float64'), mx.nd.ones((2, 4)))",
         "expected float64, got float32"),
        ("match_threshold", "mx.nd.contrib.bipartite_matching(x)",
         "Required parameter threshold of float is not presented"),
        ("match_1d", "mx.nd.contrib.bipartite_matching(mx.nd.ones((3,)), "
         "threshold=0.1)", "score matrix must have dim >= 2"),
        ("decode_2d", "mx.nd.contrib.box_decode(mx.nd.ones((3, 4)), "
         "anchors)", "data shape must have dim == 3, 2 provided"),
        ("decode_anchors", "mx.nd.contrib.box_decode(mx.nd.ones((2, 5, 4)), "
         "anchors)", "new and old shape do not match total elements"),
        ("encode_samples", "mx.nd.contrib.box_encode(mx.nd.ones((1, 3, 1)), "
         "mx.nd.zeros((1, 3)), anchors, anchors, mx.nd.zeros((4,)), "
         "mx.nd.ones((4,)))", "samples shape must have dim == 2"),
        ("prior_f64", "mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2), "
         "dtype='float64'))", "Unsupported data type 1"),
        ("prior_3d", "mx.nd.contrib.MultiBoxPrior(mx.nd.ones((3, 2, 2)))",
         "Input data should be 4D"),
        ("prior_steps", "mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 1, 2, "
         "2)), steps=(1, 2, 3))", "Step ndim must be 2"),
        ("detection_loc", "mx.nd.contrib.MultiBoxDetection(mx.nd.ones((2, "
         "3, 3)), mx.nd.ones((2, 8)), anchors)",
         "# anchors mismatch with # loc"),
        ("target_label", "mx.nd.contrib.MultiBoxTarget(anchors, "
         "mx.nd.ones((1, 2, 4)), mx.nd.ones((1, 2, 3)))",
         "Label width should be greater than or equal to 5"),
        ("target_padding", "mx.nd.contrib.MultiBoxTarget(anchors, "
         "mx.nd.array([[[-1, 0.1, 0.1, 0.2, 0.2]]]), mx.nd.ones((1, 2, 3)))",
         "-1.0f"),
        ("align_rois", "mx.nd.contrib.ROIAlign(mx.nd.ones((1, 2, 4, 4)), "
         "mx.nd.ones((2, 4)), pooled_size=(2, 2), spatial_scale=1.0)",
         "bbox should be a 2D tensor of shape \\[batch, 5\\]"),
        ("align_data", "mx.nd.contrib.ROIAlign(mx.nd.ones((2, 4, 4)), "
         "mx.nd.ones((2, 5)), pooled_size=(2, 2), spatial_scale=1.0)",
         "data should be a 4D tensor"),
        ("align_scale", "mx.nd.contrib.ROIAlign(mx.nd.ones((1, 2, 4, 4)), "
         "mx.nd.ones((2, 5)), pooled_size=(2, 2))",
         "Required parameter spatial_scale"),
        ("psroi_rois", "mx.nd.contrib.PSROIPooling(mx.nd.ones((1, 8, 4, 4)), "
         "mx.nd.ones((2, 3)), spatial_scale=1.0, output_dim=2, "
         "pooled_size=2)", "bbox should be a 2D tensor"),
    ], [], MXNetError)


def test_symbol_inference_refuses_bad_shapes():
    net = mx.sym.contrib.box_nms(mx.sym.var("data"), score_index=4)
    with pytest.raises(MXNetError, match="score_index: 4 conflict"):
        net.infer_shape(data=(2, 5, 6))
    assert net.infer_shape_partial()[1] == [()]


ROI_CODE = SNIPPET_HELPERS + """
data, rois = inputs["data"], inputs["rois"]
C = mx.nd.contrib
for k, kwargs in enumerate([dict(pooled_size=(2, 2), spatial_scale=1.0),
                            dict(pooled_size=(3, 2), spatial_scale=0.5,
                                 sample_ratio=2),
                            dict(pooled_size=(2, 3), spatial_scale=0.25,
                                 aligned=True),
                            dict(pooled_size=(2, 2), spatial_scale=1.0,
                                 position_sensitive=True, sample_ratio=1)]):
    record("align%d" % k, lambda x, r: C.ROIAlign(x, r, **kwargs),
           [data, rois], wrt=[0])
record("align64", lambda x, r: C.ROIAlign(x, r, (2, 2), 0.5),
       [data.astype(np.float64), rois.astype(np.float64)], wrt=[0])
for k, kwargs in enumerate([dict(spatial_scale=1.0, output_dim=2,
                                 pooled_size=2),
                            dict(spatial_scale=0.5, output_dim=1,
                                 pooled_size=3, group_size=2),
                            dict(spatial_scale=0.25, output_dim=1,
                                 pooled_size=2)]):
    record("psroi%d" % k, lambda x, r: C.PSROIPooling(x, r, **kwargs),
           [data, rois], wrt=[0])
"""


@requires_oracle
def test_roi_pooling_ops_and_gradients_match_mxnet():
    rng = np.random.RandomState(7)
    rois = np.array([[0, 0.5, 0.7, 5.2, 4.1], [1, 2.0, 1.0, 3.0, 7.5],
                     [0, -1.5, 3.0, 9.0, 9.0], [1, 6.2, 6.1, 6.4, 6.3],
                     [1, 0.0, 0.0, 7.0, 7.0]], dtype=np.float32)
    got, expected = run_both(ROI_CODE, mx,
                             data=rng.normal(size=(2, 8, 7, 8)).astype(
                                 np.float32), rois=rois)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-5)
