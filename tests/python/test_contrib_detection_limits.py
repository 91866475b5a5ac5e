"""Limits of the Python contrib detection operators (kiln/_contrib_ops/
proposal.py, rotated_roi.py, deformable_psroi.py, _params.py) against
MXNet 1.9.1: int attributes in MXNet's int32 / uint32 / uint64 ranges,
Proposal's values for feature_stride 0 and NaN / inf im_info (C's float
to int cast), RROIAlign's memory bounded on a large roi (and its values
when the work goes in small chunks), DeformablePSROIPooling's samples in
chunks, and the absurd settings each refuses with MXNetError.
"""
import tracemalloc

import numpy as np
import pytest

import kiln as mx
import kiln._contrib_ops.deformable_psroi as dpsroi
import kiln._contrib_ops.rotated_roi as rroi
from kiln.base import MXNetError
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both)

BAD_PRELUDE = """
cls = mx.nd.ones((1, 24, 4, 4)); bbox = mx.nd.zeros((1, 48, 4, 4))
info = mx.nd.array([[64, 64, 1]])
d = mx.nd.ones((1, 8, 6, 6)); r5 = mx.nd.array([[0, 0, 0, 4, 4]])
t = mx.nd.ones((1, 2, 2, 2)); r6 = mx.nd.array([[0, 4, 4, 4, 4, 30]])
D = dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2)
x = mx.nd.ones((1, 4, 5, 5)); off = mx.nd.zeros((1, 18, 3, 3))
w = mx.nd.ones((2, 4, 3, 3)); m = mx.nd.ones((1, 9, 3, 3))
"""


CALLS = {
    "Proposal": "Proposal(cls, bbox, info, %s)",
    "MultiProposal": "MultiProposal(cls, bbox, info, %s)",
    "RROIAlign": "RROIAlign(d, r6, spatial_scale=1.0, %s)",
    "DeformablePSROIPooling": "DeformablePSROIPooling(d, r5, t, %s, **D)",
    "DeformableConvolution": "DeformableConvolution(x, off, w, "
                             "no_bias=True, kernel=(3, 3), %s)",
    "ModulatedDeformableConvolution": "ModulatedDeformableConvolution(x, "
                                      "off, m, w, no_bias=True, "
                                      "kernel=(3, 3), %s)"}

# (name, op, attributes, the refused one, its text, its kind in MXNet)
PARSE_CASES = [
    ("proposal_post_2e31", "Proposal", "rpn_post_nms_top_n=2**31",
     "rpn_post_nms_top_n", "2147483648", "int"),
    ("multiproposal_post_2e31", "MultiProposal", "rpn_post_nms_top_n=2**31",
     "rpn_post_nms_top_n", "2147483648", "int"),
    ("proposal_pre_below_int", "Proposal", "rpn_pre_nms_top_n=-2**31 - 1",
     "rpn_pre_nms_top_n", "-2147483649", "int"),
    ("proposal_stride_2e40", "Proposal", "feature_stride=2**40",
     "feature_stride", "1099511627776", "int"),
    ("proposal_post_underscore", "Proposal", "rpn_post_nms_top_n='5_0'",
     "rpn_post_nms_top_n", "5_0", "int"),
    ("rroi_sampling_2e31", "RROIAlign",
     "pooled_size=(2, 2), sampling_ratio=2**31", "sampling_ratio",
     "2147483648", "int"),
    ("rroi_pooled_shape_2e63", "RROIAlign", "pooled_size=(2**63, 2)",
     "pooled_size", "(9223372036854775808, 2)", "Shape(tuple)"),
    ("dpsroi_sample_2e31", "DeformablePSROIPooling",
     "sample_per_part=2**31", "sample_per_part", "2147483648", "int"),
    ("dconv_num_filter_2e31", "DeformableConvolution", "num_filter=2**31",
     "num_filter", "2147483648", "int"),
    ("mdconv_num_filter_2e32", "ModulatedDeformableConvolution",
     "num_filter=2**32", "num_filter", "4294967296", "int (non-negative)"),
    ("dconv_workspace_2e64", "DeformableConvolution",
     "num_filter=2, workspace=2**64", "workspace", "18446744073709551616",
     "long (non-negative)"),
]


def _escaped(text):
    return text.replace("(", r"\(").replace(")", r"\)")


REFUSED_BY_BOTH = [
    (name, "mx.nd.contrib." + CALLS[op] % attributes,
     _escaped("Invalid Parameter format for %s expect %s but value='%s', "
              "in operator _contrib_%s(" % (param, kind, text, op)))
    for name, op, attributes, param, text, kind in PARSE_CASES] + [
    ("rroi_pooled_2e20", "mx.nd.contrib.RROIAlign(d, r6, "
     "pooled_size=(2**20, 2**20), spatial_scale=1.0)",
     "Failed to allocate CPU Memory"),
    ("rroi_pooled_minus1", "mx.nd.contrib.RROIAlign(d, r6, "
     "pooled_size=(-1, 2), spatial_scale=1.0)",
     "Shape dim size cannot be a negative value -1"),
    ("rroi_pooled_minus2", "mx.nd.contrib.RROIAlign(d, r6, "
     "pooled_size=(2, -2), spatial_scale=1.0)",
     r"dim_size >= -1 \(-2 vs. -1\) : shape dim size must be >= -1, while "
     "received -2"),
]

# MXNet takes these and then runs for hours (or its int count overflows);
# kiln refuses them, naming the attribute and the limit
KILN_ONLY = [
    ("rroi_sampling_1e5", "mx.nd.contrib.RROIAlign(d, r6, pooled_size=(2, "
     "2), spatial_scale=1.0, sampling_ratio=100000)",
     r"RROIAlign: roi 0 samples 100000 x 100000 points per bin \(sampling_"
     r"ratio 100000\), expected at most 2147483647"),
    ("rroi_roi_1e7", "mx.nd.contrib.RROIAlign(d, mx.nd.array([[0, 4, 4, "
     "1e7, 1e7, 30]]), pooled_size=(2, 2), spatial_scale=1.0)",
     "RROIAlign: roi 0 samples 5000000 x 5000000 points per bin"),
    ("dpsroi_sample_1e5", "mx.nd.contrib.DeformablePSROIPooling(d, r5, t, "
     "sample_per_part=100000, **D)",
     "DeformablePSROIPooling: sample_per_part 100000 gives 10000000000 "
     "samples per bin, expected at most 2147483647"),
]

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, BAD_PRELUDE, REFUSED_BY_BOTH, KILN_ONLY, MXNetError)


def test_int_params_take_what_mxnet_takes():
    """The edges of each range, and text C++'s stream parse takes."""
    cls, bbox = mx.nd.ones((1, 24, 4, 4)), mx.nd.zeros((1, 48, 4, 4))
    info = mx.nd.array([[64, 64, 1]])
    for text, rows in ((" 5 ", 5), ("+5", 5), ("010", 10)):
        out = mx.nd.contrib.Proposal(cls, bbox, info,
                                     rpn_post_nms_top_n=text)
        assert out.shape == (rows, 5)
    out = mx.nd.contrib.Proposal(cls, bbox, info, rpn_pre_nms_top_n=-2 ** 31,
                                 rpn_post_nms_top_n=3)
    assert out.shape == (3, 5)
    x, off = mx.nd.ones((1, 4, 5, 5)), mx.nd.zeros((1, 18, 3, 3))
    w = mx.nd.ones((2, 4, 3, 3))
    for workspace in (2 ** 31, 2 ** 63):  # a uint64 field
        out = mx.nd.contrib.DeformableConvolution(
            x, off, w, no_bias=True, kernel=(3, 3), num_filter=2,
            workspace=workspace)
        assert out.shape == (1, 2, 3, 3)


PROPOSAL_CODE = SNIPPET_HELPERS + """
cls = mx.nd.array(inputs["cls"]); bbox = mx.nd.array(inputs["bbox"])
cases = {"stride0": ([[64, 64, 1]], 0), "stride0_big": ([[1e9, 1e9, 1]], 0),
         "h_nan": ([[np.nan, 64, 1]], 16), "w_nan": ([[64, np.nan, 1]], 16),
         "h_inf": ([[np.inf, 64, 1]], 16),
         "scale_nan": ([[64, 64, np.nan]], 16)}
for name, (info, stride) in sorted(cases.items()):
    for op in ("Proposal", "MultiProposal"):
        out = getattr(mx.nd.contrib, op)(
            cls, bbox, mx.nd.array(info), feature_stride=stride,
            rpn_post_nms_top_n=4, output_score=True)
        outputs[op + "/" + name + "/rois"] = out[0].asnumpy()
        outputs[op + "/" + name + "/score"] = out[1].asnumpy()
"""


@requires_oracle
def test_proposal_feature_stride_0_and_nan_im_info_match_mxnet():
    rng = np.random.RandomState(0)
    cls = rng.rand(1, 24, 4, 4).astype(np.float32)
    bbox = (rng.rand(1, 48, 4, 4) - 0.5).astype(np.float32)
    got, expected = run_both(PROPOSAL_CODE, mx, cls=cls, bbox=bbox)
    compare_outputs(got, expected)


RROI_CODE = SNIPPET_HELPERS + """
data = mx.nd.array(inputs["data"]); rois = mx.nd.array(inputs["rois"])
for ratio in (-1, 3):
    for pooled in ((2, 2), (3, 5)):
        outputs["%d/%s" % (ratio, pooled)] = mx.nd.contrib.RROIAlign(
            data, rois, pooled_size=pooled, spatial_scale=0.5,
            sampling_ratio=ratio).asnumpy()
"""

BIG_ROI_CODE = """
outputs["big"] = mx.nd.contrib.RROIAlign(
    mx.nd.array(inputs["big"]), mx.nd.array([[0, 4, 4, 3000, 3000, 30]]),
    pooled_size=(2, 2), spatial_scale=1.0).asnumpy()
"""


@requires_oracle
def test_rroialign_in_small_chunks_matches_mxnet(monkeypatch):
    """Chunks of a few bins and points (bins and samples split across
    steps) give MXNet's values; so does a 3000 x 3000 roi in the usual
    chunks."""
    rng = np.random.RandomState(1)
    big = rng.rand(1, 2, 8, 8).astype(np.float32)
    got, expected = run_both(BIG_ROI_CODE, mx, big=big)
    compare_outputs(got, expected)
    monkeypatch.setattr(rroi, "_CHUNK", 7)
    data = rng.rand(2, 3, 9, 11).astype(np.float32)
    rois = np.array([[0, 5, 4, 7, 5, 30], [1, 3, 6, 12, 9, -75],
                     [1, 10, 10, 3, 2, 200]], dtype=np.float32)
    got, expected = run_both(RROI_CODE, mx, data=data, rois=rois)
    compare_outputs(got, expected)


def test_rroialign_large_roi_memory_is_bounded():
    """64 channels x a 3000 x 3000 roi: MXNet's 2.25M samples per bin;
    gathered all at once they needed tens of GB, bounded they need
    little beyond the chunk."""
    data = mx.nd.ones((1, 64, 8, 8))
    rois = mx.nd.array([[0, 4, 4, 3000, 3000, 30]])
    tracemalloc.start()
    try:
        out = mx.nd.contrib.RROIAlign(data, rois, pooled_size=(2, 2),
                                      spatial_scale=1.0).asnumpy()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (1, 64, 2, 2)
    assert peak < 512 << 20, "peak %d bytes" % peak
    # mostly outside the 8 x 8 map: a sample's share inside it is small
    assert np.all((out >= 0) & (out < 0.01))


DPSROI_CODE = SNIPPET_HELPERS + """
D = dict(spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2,
         part_size=2, sample_per_part=13, trans_std=0.1)
record("dps", lambda *xs: mx.nd.contrib.DeformablePSROIPooling(*xs, **D),
       [inputs["data"], inputs["rois"], inputs["trans"]], wrt=[0, 2])
"""


@requires_oracle
def test_deformable_psroipooling_in_row_chunks_matches_mxnet(monkeypatch):
    """sample_per_part 13 in chunks of one sample row: MXNet's output and
    gradients."""
    monkeypatch.setattr(dpsroi, "_CHUNK", 1)
    rng = np.random.RandomState(2)
    data = rng.rand(1, 8, 10, 10).astype(np.float32)
    rois = np.array([[0, 1, 2, 15, 12], [0, 0, 0, 6, 6]], dtype=np.float32)
    trans = (rng.rand(2, 2, 2, 2) - 0.5).astype(np.float32)
    got, expected = run_both(DPSROI_CODE, mx, data=data, rois=rois,
                             trans=trans)
    compare_outputs(got, expected)
