"""MXNet 1.9.1's contrib detection operators Proposal, MultiProposal,
RROIAlign and DeformablePSROIPooling (kiln/_contrib_ops/proposal.py,
rotated_roi.py, deformable_psroi.py) against the real MXNet: imperatively
on seeded random and edge inputs, their gradients (zeros for the
proposals, none for RROIAlign, data and trans for DeformablePSROIPooling),
as symbols (infer_shape, simple_bind, MXNet's JSON) and on bad input.

Each comparison runs one snippet under both frameworks (run_both), many
cases per snippet, so the oracle starts a few times only.
"""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from mxnet_oracle import (SNIPPET_HELPERS, assert_both_refuse,
                          bad_input_tests, compare_outputs, requires_oracle,
                          run_both, run_mxnet)


def _rpn_inputs(rng, batch, anchors, height, width, spread=0.3, ties=False):
    """cls_prob (softmax-like pairs), bbox_pred deltas of scale `spread`."""
    scores = rng.rand(batch, 2 * anchors, height, width)
    if ties:  # duplicated scores: the stable sort's order shows
        scores = np.round(scores, 1)
    deltas = rng.randn(batch, 4 * anchors, height, width) * spread
    return scores.astype(np.float32), deltas.astype(np.float32)


PROPOSAL_CODE = SNIPPET_HELPERS + """
def nd(key):
    return mx.nd.array(inputs[key])

def proposal(name, prefix, op=mx.nd.contrib.Proposal, **kwargs):
    got = op(nd(prefix + "cls"), nd(prefix + "bbox"), nd(prefix + "info"),
             output_score=True, **kwargs)
    outputs[name + "/rois"] = got[0].asnumpy()
    outputs[name + "/score"] = got[1].asnumpy()

# the defaults: NMS keeps fewer than 300, the kept rows repeat
proposal("default", "a/")
outputs["default/one_output"] = mx.nd.contrib.Proposal(
    nd("a/cls"), nd("a/bbox"), nd("a/info")).asnumpy()
proposal("small", "a/", rpn_pre_nms_top_n=20, rpn_post_nms_top_n=10,
         threshold=0.5)
proposal("pre_all", "a/", rpn_pre_nms_top_n=-1, rpn_post_nms_top_n=40,
         threshold=0.3)
proposal("post_zero", "a/", rpn_post_nms_top_n=0)
# large deltas: boxes clipped at the image border
proposal("clipped", "big/", rpn_post_nms_top_n=30, threshold=0.9)
# im_info smaller than the map: padded cells get score -1
proposal("padded", "pad/", rpn_post_nms_top_n=25)
# rpn_min_size * im_info[2] filters (and widens) small boxes
proposal("min_size", "a/", rpn_min_size=80, rpn_post_nms_top_n=20)
proposal("min_size_scaled", "scaled/", rpn_min_size=12,
         rpn_post_nms_top_n=20)
# fewer candidates than rpn_post_nms_top_n: cyclic padding
proposal("few", "few/", scales=(8.0,), ratios=(0.5, 1.0, 2.0),
         feature_stride=8, rpn_post_nms_top_n=20, rpn_min_size=2)
proposal("ties", "ties/", scales=(2.0, 4.0), ratios=(1.0,),
         feature_stride=16, rpn_post_nms_top_n=15, threshold=0.6)
proposal("iou_loss", "iou/", iou_loss=True, rpn_post_nms_top_n=20,
         threshold=0.5)
# MultiProposal: three images of their own sizes and scales
for name, kwargs in [("multi", dict(rpn_post_nms_top_n=12)),
                     ("multi_small", dict(rpn_pre_nms_top_n=8,
                                          rpn_post_nms_top_n=10,
                                          threshold=0.4, rpn_min_size=8)),
                     ("multi_iou", dict(iou_loss=True,
                                        rpn_post_nms_top_n=6))]:
    proposal(name, "m/", op=mx.nd.contrib.MultiProposal, scales=(8.0,),
             **kwargs)
outputs["multi/one_output"] = mx.nd.contrib.MultiProposal(
    nd("m/cls"), nd("m/bbox"), nd("m/info"), scales=(8.0,),
    rpn_post_nms_top_n=5).asnumpy()
# no gradient: MXNet's backward writes zeros into every input
for name, op, prefix, stride in [
        ("grad", mx.nd.contrib.Proposal, "few/", 8),
        ("mgrad", mx.nd.contrib.MultiProposal, "m/", 16)]:
    record(name, lambda c, b, i: op(c, b, i, scales=(8.0,),
                                    feature_stride=stride,
                                    rpn_post_nms_top_n=4),
           [inputs[prefix + "cls"][:, :6], inputs[prefix + "bbox"][:, :12],
            inputs[prefix + "info"]])
"""


@requires_oracle
def test_proposal_and_multiproposal_match_mxnet():
    rng = np.random.RandomState(7)
    arrays = {}

    def case(prefix, batch, anchors, height, width, info, **kwargs):
        cls, bbox = _rpn_inputs(rng, batch, anchors, height, width, **kwargs)
        arrays.update({prefix + "cls": cls, prefix + "bbox": bbox,
                       prefix + "info": np.array(info, dtype=np.float32)})

    case("a/", 1, 12, 6, 7, [[96, 112, 1.0]])
    case("big/", 1, 12, 4, 5, [[64, 80, 1.0]], spread=2.0)
    case("pad/", 1, 12, 6, 6, [[50, 70, 1.0]])
    case("scaled/", 1, 12, 5, 5, [[80, 80, 2.5]])
    case("few/", 1, 3, 2, 2, [[16, 16, 1.0]], spread=0.1)
    case("ties/", 1, 2, 5, 4, [[80, 64, 1.0]], ties=True)
    case("iou/", 1, 12, 4, 4, [[64, 64, 1.0]], spread=6.0)
    case("m/", 3, 3, 4, 5, [[64, 80, 1.0], [40, 50, 0.5], [64, 64, 2.0]])
    got, expected = run_both(PROPOSAL_CODE, mx, **arrays)
    compare_outputs(got, expected)
    # the edge cases are what they claim to be
    rois = expected["default/rois"]
    assert len(np.unique(rois, axis=0)) < len(rois)  # cyclic padding
    assert expected["post_zero/rois"].shape == (0, 5)
    assert (expected["clipped/rois"][:, 1:] == 0).any()
    assert (expected["clipped/rois"][:, 3] == 79).any()
    assert (expected["min_size/score"] == -1).any()
    assert expected["multi/rois"].shape == (36, 5)
    assert list(np.unique(expected["multi/rois"][:, 0])) == [0, 1, 2]
    for key in expected:
        if "grad" in key and key.endswith(("grad0", "grad1", "grad2")):
            assert not expected[key].any(), key


RROI_CODE = SNIPPET_HELPERS + """
data, rois = inputs["data"], inputs["rois"]
for name, kwargs in [("a", dict(pooled_size=(3, 2), spatial_scale=0.5)),
                     ("b", dict(pooled_size=(2, 2), spatial_scale=1.0,
                                sampling_ratio=2)),
                     ("c", dict(pooled_size=(4, 3), spatial_scale=0.25,
                                sampling_ratio=1)),
                     ("d", dict(pooled_size=(1, 1), spatial_scale=1.0,
                                sampling_ratio=0))]:
    for dtype in ("float32", "float64"):
        outputs["%s/%s" % (name, dtype)] = mx.nd.contrib.RROIAlign(
            mx.nd.array(data, dtype=dtype), mx.nd.array(rois, dtype=dtype),
            **kwargs).asnumpy()
outputs["positional"] = mx.nd.contrib.RROIAlign(
    mx.nd.array(data), mx.nd.array(rois), (2, 3), 0.5, 3).asnumpy()
"""


@requires_oracle
def test_rroialign_matches_mxnet():
    rng = np.random.RandomState(3)
    data = rng.rand(2, 3, 10, 12).astype(np.float32)
    rois = np.array([[0, 10, 8, 8, 6, 30], [1, 4, 14, 20, 6, -60],
                     [0, 20, 2, 3, 1, 90], [1, 12, 12, 30, 30, 10],
                     [0, 0, 0, 40, 8, 180],       # mostly outside the map
                     [1, 23, 19, 0.5, 0.2, 45],   # smaller than 1 x 1
                     [0, 11.3, 9.7, 9.1, 13.6, -137.5]], dtype=np.float32)
    got, expected = run_both(RROI_CODE, mx, data=data, rois=rois)
    compare_outputs(got, expected)


def test_rroialign_backward_raises():
    data = mx.nd.ones((1, 1, 4, 4))
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.RROIAlign(data, mx.nd.array([[0, 2, 2, 2, 2, 0]]),
                                      pooled_size=(2, 2), spatial_scale=1.0)
    with pytest.raises(MXNetError, match="_contrib_RROIAlign is non-"
                       "differentiable"):
        out.backward()


@requires_oracle
def test_mxnet_rroialign_backward_raises_too():
    code = """
data = mx.nd.ones((1, 1, 4, 4))
data.attach_grad()
with mx.autograd.record():
    out = mx.nd.contrib.RROIAlign(data, mx.nd.array([[0, 2, 2, 2, 2, 0]]),
                                  pooled_size=(2, 2), spatial_scale=1.0)
try:
    out.backward()
    outputs["raised"] = np.array("")
except mx.base.MXNetError as error:
    outputs["raised"] = np.array(str(error))
"""
    assert "non-differentiable" in str(run_mxnet(code)["raised"])


DPS_CODE = SNIPPET_HELPERS + """
def dps(**kwargs):
    return lambda *xs: mx.nd.contrib.DeformablePSROIPooling(*xs, **kwargs)

d8, d18, d12 = inputs["d8"], inputs["d18"], inputs["d12"]
rois, t2, t3 = inputs["rois"], inputs["t2"], inputs["t3"]
record("trans", dps(spatial_scale=0.5, output_dim=2, group_size=2,
                    pooled_size=3, sample_per_part=2, trans_std=0.2),
       [d8, rois, t2], wrt=[0, 2])
record("no_trans", dps(spatial_scale=0.5, output_dim=2, group_size=3,
                       pooled_size=3, no_trans=True, sample_per_part=3),
       [d18, rois], wrt=[0])
# two classes of trans (output channels 0-1 and 2-3), part_size 2
record("classes", dps(spatial_scale=1.0, output_dim=4, group_size=1,
                      pooled_size=4, part_size=2, sample_per_part=2,
                      trans_std=0.5), [d12, rois, t3], wrt=[0, 2])
# group_size larger than pooled_size, trans_std 0 (trans unused)
record("groups", dps(spatial_scale=0.25, output_dim=1, group_size=3,
                     pooled_size=2, part_size=3, trans_std=0.0),
       [d12, rois, t2[:, :2]], wrt=[0, 2])
record("float64", dps(spatial_scale=0.5, output_dim=2, group_size=2,
                      pooled_size=3, sample_per_part=2, trans_std=0.1),
       [d8.astype("float64"), rois.astype("float64"),
        t2.astype("float64")], wrt=[0, 1, 2])
# positional attributes, in MXNet's order
outputs["positional"] = mx.nd.contrib.DeformablePSROIPooling(
    mx.nd.array(d8), mx.nd.array(rois), mx.nd.array(t2), 0.5, 2, 2, 3, 0, 4,
    0.3).asnumpy()
"""


@requires_oracle
def test_deformable_psroipooling_matches_mxnet_with_gradients():
    rng = np.random.RandomState(5)
    rois = np.array([[0, 1, 2, 12, 10], [1, 0, 0, 17, 17],
                     [1, 5.5, 3.4, 6, 5],        # a small roi
                     [0, 14, 14, 30, 25],        # past the map's corner
                     [1, 2.5, 7.5, 8.5, 3.5]],   # halves, x2 < x1
                    dtype=np.float32)
    arrays = dict(d8=rng.rand(2, 8, 9, 9), d18=rng.rand(2, 18, 9, 9),
                  d12=rng.rand(2, 12, 8, 10), rois=rois,
                  t2=rng.randn(5, 4, 3, 3), t3=rng.randn(5, 4, 2, 2))
    arrays = {key: value.astype(np.float32) for key, value in arrays.items()}
    got, expected = run_both(DPS_CODE, mx, **arrays)
    compare_outputs(got, expected)
    assert expected["trans/grad1"].any() and expected["classes/grad1"].any()
    assert not expected["float64/grad1"].any()  # rois: zeros


SYMBOL_CODE = """
rng = np.random.RandomState(0)
cls, bbox = inputs["cls"], inputs["bbox"]
p = mx.sym.contrib.Proposal(name="p", output_score=True,
                            rpn_post_nms_top_n=7, scales=(2.0, 4.0))
outputs["p/outputs"] = np.array(p.list_outputs())
outputs["p/arguments"] = np.array(p.list_arguments())
args, outs, _ = p.infer_shape(p_cls_prob=(1, 12, 5, 5))
outputs["p/arg_shapes"] = np.array([list(s) + [0] * (4 - len(s))
                                    for s in args])
outputs["p/out_shapes"] = np.array(outs)
ex = p.simple_bind(mx.cpu(), p_cls_prob=(1, 12, 5, 5), grad_req="null")
got = ex.forward(p_cls_prob=mx.nd.array(cls), p_bbox_pred=mx.nd.array(bbox),
                 p_im_info=mx.nd.array([[80, 72, 1.0]]))
outputs["p/forward0"], outputs["p/forward1"] = [g.asnumpy() for g in got]
m = mx.sym.contrib.MultiProposal(mx.sym.var("c"), mx.sym.var("b"),
                                 mx.sym.var("i"), rpn_post_nms_top_n=4,
                                 scales=(2.0, 4.0))
outputs["m/outputs"] = np.array(m.list_outputs())
outputs["m/out_shapes"] = np.array(m.infer_shape(c=(2, 12, 5, 5))[1])
d = mx.sym.contrib.DeformablePSROIPooling(
    name="d", spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2,
    sample_per_part=2, trans_std=0.1)
outputs["d/arguments"] = np.array(d.list_arguments())
outputs["d/outputs"] = np.array(d.list_outputs())
outputs["d/out_shapes"] = np.array(d.infer_shape(
    d_data=(2, 8, 6, 6), d_rois=(3, 5), d_trans=(3, 4, 2, 2))[1])
dn = mx.sym.contrib.DeformablePSROIPooling(
    mx.sym.var("x"), mx.sym.var("r"), spatial_scale=0.5, output_dim=2,
    group_size=2, pooled_size=2, no_trans=True)
outputs["dn/arguments"] = np.array(dn.list_arguments())
ex = d.simple_bind(mx.cpu(), d_data=(2, 8, 6, 6), d_rois=(3, 5),
                   d_trans=(3, 4, 2, 2))
ex.arg_dict["d_data"][:] = mx.nd.array(inputs["data"])
ex.arg_dict["d_rois"][:] = mx.nd.array(inputs["rois"])
ex.arg_dict["d_trans"][:] = mx.nd.array(inputs["trans"])
outputs["d/forward"] = ex.forward(is_train=True)[0].asnumpy()
ex.backward(mx.nd.array(inputs["head"]))
for key in ("d_data", "d_trans", "d_rois"):
    outputs["d/grad_" + key] = ex.grad_dict[key].asnumpy()
r = mx.sym.contrib.RROIAlign(name="r", pooled_size=(2, 3),
                             spatial_scale=0.5)
outputs["r/arguments"] = np.array(r.list_arguments())
outputs["r/out_shapes"] = np.array(r.infer_shape(r_data=(1, 3, 8, 8),
                                                 r_rois=(4, 6))[1])
outputs["r/out_types"] = np.array([str(np.dtype(t)) for t in r.infer_type(
    r_data="float64", r_rois="float64")[1]])
"""


@requires_oracle
def test_symbols_bind_and_infer_as_mxnet():
    rng = np.random.RandomState(11)
    cls, bbox = _rpn_inputs(rng, 1, 6, 5, 5)
    arrays = dict(cls=cls, bbox=bbox,
                  data=rng.rand(2, 8, 6, 6).astype(np.float32),
                  rois=np.array([[0, 0, 0, 8, 8], [1, 2, 3, 11, 6],
                                 [0, 4, 4, 5, 5]], dtype=np.float32),
                  trans=rng.randn(3, 4, 2, 2).astype(np.float32),
                  head=rng.randn(3, 2, 2, 2).astype(np.float32))
    got, expected = run_both(SYMBOL_CODE, mx, **arrays)
    names = [key for key in expected if expected[key].dtype.kind == "U"]
    for key in names:
        assert got.pop(key).tolist() == expected.pop(key).tolist(), key
    compare_outputs(got, expected)


@requires_oracle
def test_mxnet_json_runs_in_kiln():
    code = """
c, b, i = mx.sym.var("c"), mx.sym.var("b"), mx.sym.var("i")
p = mx.sym.contrib.Proposal(c, b, i, name="prop", rpn_post_nms_top_n=6,
                            scales=(2.0, 4.0), output_score=True)
d = mx.sym.contrib.DeformablePSROIPooling(
    mx.sym.var("x"), mx.sym.var("r"), name="dps", spatial_scale=1.0,
    output_dim=1, group_size=2, pooled_size=2, no_trans=True)
outputs["json"] = np.array(mx.sym.Group([p, d]).tojson())
ex = mx.sym.Group([p, d]).simple_bind(
    mx.cpu(), c=inputs["cls"].shape, x=(1, 4, 5, 5), r=(2, 5),
    grad_req="null")
got = ex.forward(c=mx.nd.array(inputs["cls"]), b=mx.nd.array(inputs["bbox"]),
                 i=mx.nd.array([[80, 80, 1.0]]),
                 x=mx.nd.array(inputs["x"]),
                 r=mx.nd.array([[0, 0, 0, 3, 3], [0, 1, 2, 4, 4]]))
for k, g in enumerate(got):
    outputs["out%d" % k] = g.asnumpy()
"""
    rng = np.random.RandomState(2)
    cls, bbox = _rpn_inputs(rng, 1, 6, 5, 5)
    x = rng.rand(1, 4, 5, 5).astype(np.float32)
    expected = run_mxnet(code, cls=cls, bbox=bbox, x=x)
    group = mx.sym.load_json(str(expected["json"]))
    assert group.list_outputs() == ["prop_output", "prop_score",
                                    "dps_output"]
    ex = group.simple_bind(mx.cpu(), c=cls.shape, x=(1, 4, 5, 5), r=(2, 5),
                           grad_req="null")
    got = ex.forward(c=mx.nd.array(cls), b=mx.nd.array(bbox),
                     i=mx.nd.array([[80, 80, 1.0]]), x=mx.nd.array(x),
                     r=mx.nd.array([[0, 0, 0, 3, 3], [0, 1, 2, 4, 4]]))
    for k, array in enumerate(got):
        np.testing.assert_allclose(array.asnumpy(), expected["out%d" % k],
                                   rtol=1e-5, atol=1e-5)


def test_functions_are_named_as_mxnet():
    for name in ("Proposal", "MultiProposal", "RROIAlign",
                 "DeformablePSROIPooling"):
        assert callable(getattr(mx.nd.contrib, name))
        assert callable(getattr(mx.sym.contrib, name))
        # MXNet 1.9.1 has no top-level aliases of these
        assert not hasattr(mx.nd, name) and not hasattr(mx.sym, name)
    assert mx.sym.contrib.MultiProposal().name.startswith("multiproposal")


BAD_PRELUDE = """
import numpy as np
c = mx.nd.array(np.random.RandomState(0).rand(1, 6, 3, 3))
b = mx.nd.zeros((1, 12, 3, 3))
i = mx.nd.array([[48, 48, 1.0]])
P = dict(scales=(8.0,))
d = mx.nd.ones((2, 8, 6, 6))
r5 = mx.nd.array([[0, 0, 0, 3, 3]])
r6 = mx.nd.array([[0, 3, 3, 2, 2, 10]])
t = mx.nd.zeros((1, 4, 2, 2))
D = dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2)
"""

REFUSED_BY_BOTH = [
    ("proposal_bbox_shape",
     "mx.nd.contrib.Proposal(c, b[:, :8], i, **P)",
     r"Shape inconsistent, Provided = \[1,8,3,3\], inferred "
     r"shape=\(1,12,3,3\)"),
    ("proposal_im_info_shape",
     "mx.nd.contrib.Proposal(c, b, i[:, :2], **P)",
     r"Shape inconsistent, Provided = \[1,2\], inferred shape=\(1,3\)"),
    ("proposal_cls_rank", "mx.nd.contrib.Proposal(c[0], b, i, **P)",
     "cls_prob should be a 4D tensor"),
    ("proposal_batch",
     "mx.nd.contrib.Proposal(mx.nd.concat(c, c, dim=0), "
     "mx.nd.concat(b, b, dim=0), mx.nd.concat(i, i, dim=0), **P)",
     "multiple images each device is not implemented"),
    ("proposal_anchor_count", "mx.nd.contrib.Proposal(c, b, i)",
     r"num_anchors == param_.ratios.ndim\(\) \* param_.scales.ndim\(\) "
     r"\(3 vs. 12\)"),
    ("proposal_image_past_map",
     "mx.nd.contrib.Proposal(c, b, mx.nd.array([[64, 48, 1.0]]), **P)",
     r"height >= real_height \(3 vs. 4\)"),
    ("proposal_float64",
     "mx.nd.contrib.Proposal(c.astype('float64'), b.astype('float64'), "
     "i.astype('float64'), **P)", "Unsupported data type 1"),
    ("proposal_negative_post",
     "mx.nd.contrib.Proposal(c, b, i, rpn_post_nms_top_n=-1, **P)",
     "Shape dim size cannot be a negative value -1"),
    ("proposal_bad_threshold",
     "mx.nd.contrib.Proposal(c, b, i, threshold='a', **P)",
     "Invalid Parameter format for threshold expect float"),
    ("proposal_unknown_attribute",
     "mx.nd.contrib.Proposal(c, b, i, foo=1, **P)",
     "Cannot find argument 'foo'"),
    ("multiproposal_im_info_batch",
     "mx.nd.contrib.MultiProposal(c, b, mx.nd.concat(i, i, dim=0), **P)",
     r"Shape inconsistent, Provided = \[2,3\], inferred shape=\(1,3\)"),
    ("rroi_rois_columns",
     "mx.nd.contrib.RROIAlign(d, r5, pooled_size=(2, 2), "
     "spatial_scale=1.0)", r"bshape\[1\] == 6U \(5 vs. 6\)"),
    ("rroi_data_rank",
     "mx.nd.contrib.RROIAlign(d[0], r6, pooled_size=(2, 2), "
     "spatial_scale=1.0)", r"dshape.ndim\(\) == 4U \(3 vs. 4\)"),
    ("rroi_mixed_dtypes",
     "mx.nd.contrib.RROIAlign(d, r6.astype('float64'), pooled_size=(2, 2), "
     "spatial_scale=1.0)", r"dtype == \(\*in_type\)\[1\] \(0 vs. 1\)"),
    ("rroi_int32",
     "mx.nd.contrib.RROIAlign(d.astype('int32'), r6.astype('int32'), "
     "pooled_size=(2, 2), spatial_scale=1.0)",
     "only support floating point types, not int32"),
    ("rroi_pooled_size_rank",
     "mx.nd.contrib.RROIAlign(d, r6, pooled_size=(2, 2, 2), "
     "spatial_scale=1.0)", "has wrong dimensions, expected dimension=2"),
    ("rroi_pooled_size_zero",
     "mx.nd.contrib.RROIAlign(d, r6, pooled_size=(0, 2), "
     "spatial_scale=1.0)", "must be nonzero in all dimensions"),
    ("rroi_spatial_scale",
     "mx.nd.contrib.RROIAlign(d, r6, pooled_size=(2, 2), "
     "spatial_scale=2.0)",
     r"value 2 for Parameter spatial_scale exceed bound \[0,1\]"),
    ("rroi_missing_pooled_size",
     "mx.nd.contrib.RROIAlign(d, r6, spatial_scale=1.0)",
     "Required parameter pooled_size of Shape"),
    ("dps_trans_given_with_no_trans",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t, no_trans=True, **D)",
     r"expects 2 inputs \(data, rois\), got 3"),
    ("dps_trans_missing",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, **D)",
     r"expects 3 inputs \(data, rois, trans\), got 2"),
    ("dps_trans_rank",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t[0], **D)",
     r"tshape.ndim\(\) == 4 \(3 vs. 4\)"),
    ("dps_rois_columns",
     "mx.nd.contrib.DeformablePSROIPooling(d, r6, t, **D)",
     r"bshape\[1\] == 5 \(6 vs. 5\)"),
    ("dps_data_rank",
     "mx.nd.contrib.DeformablePSROIPooling(d[0], r5, t, **D)",
     r"dshape.ndim\(\) == 4 \(3 vs. 4\)"),
    ("dps_trans_std",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t, trans_std=2.0, **D)",
     r"value 2 for Parameter trans_std exceed bound \[0,1\]"),
    ("dps_mixed_dtypes",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5.astype('float64'), t, **D)",
     r"dtype == \(\*in_type\)\[1\] \(0 vs. 1\)"),
    ("dps_trans_dtype",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t.astype('float64'), **D)",
     "data type do not match specified type"),
    ("dps_int32",
     "mx.nd.contrib.DeformablePSROIPooling(d.astype('int32'), "
     "r5.astype('int32'), t.astype('int32'), **D)",
     "only support floating point types, not int32"),
    ("dps_missing_output_dim",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t, spatial_scale=1.0, "
     "group_size=2, pooled_size=2)",
     "Required parameter output_dim of int is not presented"),
]

# MXNet reads outside its inputs here (garbage or a crash), kiln refuses.
KILN_ONLY = [
    ("rroi_batch_index",
     "mx.nd.contrib.RROIAlign(d, mx.nd.array([[2, 3, 3, 2, 2, 0]]), "
     "pooled_size=(2, 2), spatial_scale=1.0)",
     r"rois\[0, 0\] \(the batch index\) is 2, expected 0 to 1"),
    ("dps_batch_index",
     "mx.nd.contrib.DeformablePSROIPooling(d, mx.nd.array([[-1, 0, 0, 3, "
     "3]]), t, **D)", r"rois\[0, 0\] \(the batch index\) is -1"),
    ("dps_too_few_channels",
     "mx.nd.contrib.DeformablePSROIPooling(d[:, :6], r5, t, **D)",
     r"data channels >= output_dim \* group_size \*\* 2 \(6 vs. 8\)"),
    ("dps_trans_too_small",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t[:, :, :1], **D)",
     "trans of shape"),
    ("dps_trans_one_channel",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t[:, :1], **D)",
     "trans expected 2 channels per class"),
    ("dps_group_size_zero",
     "mx.nd.contrib.DeformablePSROIPooling(d, r5, t, spatial_scale=1.0, "
     "output_dim=2, group_size=0, pooled_size=2)",
     "group_size expected a positive size, got 0"),
]

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, BAD_PRELUDE, REFUSED_BY_BOTH, KILN_ONLY, MXNetError)


def test_symbol_inference_refuses_bad_shapes():
    p = mx.sym.contrib.Proposal(name="p", scales=(8.0,))
    with pytest.raises(MXNetError, match="Shape inconsistent"):
        p.infer_shape(p_cls_prob=(1, 6, 3, 3), p_bbox_pred=(1, 6, 3, 3))
    r = mx.sym.contrib.RROIAlign(name="r", pooled_size=(2, 2),
                                 spatial_scale=1.0)
    with pytest.raises(MXNetError, match="bbox should be a 2D tensor"):
        r.infer_shape(r_data=(1, 3, 8, 8), r_rois=(4, 5))
