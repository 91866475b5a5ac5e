"""mx.io.ImageDetRecordIter (kiln/io/image_det_record_iter.py) against MXNet
1.9.1: deterministic pipelines batch for batch (labels padded as MXNet pads
them), random augmenters by invariants, and bad input."""
import os

import numpy as np
import pytest

import kiln as mx
import kiln.recordio  # noqa: F401
import kiln.io.image_det_record_iter as det
from mxnet_oracle import requires_oracle, run_kiln, run_mxnet

# [header_width, object_width, (extra header), objects of object_width]
_LABELS = [
    [2, 5, 0, .1, .1, .5, .6],
    [2, 5, 1, .2, .2, .7, .8, 2, .3, .3, .9, .9],
    [3, 6, 9, 1, .0, .0, .5, .5, 7, 4, .6, .6, .4, .9, 8],   # 2nd box empty
    [2, 5, 0, .25, .3, .75, .95],
    [2, 5, 3, .05, .5, .45, .7, 1, .5, .1, .95, .4, 2, .1, .1, .2, .2],
]


@pytest.fixture(scope="module")
def recs(tmp_path_factory):
    """d.rec (5 colour PNGs, detection labels of varied widths, ids 10+i),
    g.rec (the same as grey), d.lst (labels for d.rec's ids)."""
    folder = tmp_path_factory.mktemp("detrecs")
    rng = np.random.RandomState(3)
    colour = mx.recordio.MXRecordIO(str(folder / "d.rec"), "w")
    grey = mx.recordio.MXRecordIO(str(folder / "g.rec"), "w")
    with open(folder / "d.lst", "w") as lst:
        for i, label in enumerate(_LABELS):
            img = rng.randint(0, 256, (20 + 3 * i, 30 - 2 * i, 3)).astype(np.uint8)
            header = mx.recordio.IRHeader(0, np.array(label, np.float32), 10 + i, 0)
            colour.write(mx.recordio.pack_img(header, img, img_fmt=".png"))
            grey.write(mx.recordio.pack_img(header, img[..., :1], img_fmt=".png"))
            lst.write("%d\t%s\tim%d.png\n" % (10 + i, "\t".join(
                "%g" % v for v in [2, 5, i, .1, .2, .3, .4] + [1, .5, .5, .9, .9] * (i % 2)),
                i))
    colour.close()
    grey.close()
    return str(folder)


_CASES = [
    ("plain", dict(path_imgrec="d.rec", data_shape=(3, 16, 16), batch_size=2)),
    ("padded", dict(path_imgrec="d.rec", data_shape=(3, 12, 20), batch_size=3,
                    label_pad_width=30, label_pad_value=-7.5)),
    ("auto", dict(path_imgrec="d.rec", data_shape=(3, 16, 16), batch_size=4,
                  label_pad_width=-1, resize=24, inter_method=9)),
    ("norm", dict(path_imgrec="d.rec", data_shape=(3, 16, 16), batch_size=2,
                  mean_r=120.5, mean_g=-10, mean_b=100, std_r=50, std_b=70.5,
                  scale=0.75)),
    ("negmean", dict(path_imgrec="d.rec", data_shape=(3, 8, 8), batch_size=2,
                     mean_r=-5, std_g=3)),
    ("shrink", dict(path_imgrec="d.rec", data_shape=(3, 26, 24), batch_size=5,
                    resize_mode="shrink", inter_method=2)),
    ("fit", dict(path_imgrec="d.rec", data_shape=(3, 40, 33), batch_size=5,
                 resize_mode="fit", mean_g=3)),
    ("mirror", dict(path_imgrec="d.rec", data_shape=(3, 10, 10), batch_size=2,
                    rand_mirror_prob=1.0)),
    ("grey", dict(path_imgrec="g.rec", data_shape=(1, 16, 16), batch_size=2,
                  mean_r=3.0, std_r=2.0)),
    ("lst", dict(path_imgrec="d.rec", path_imglist="d.lst", data_shape=(3, 8, 8),
                 batch_size=2)),
    ("noround", dict(path_imgrec="d.rec", data_shape=(3, 8, 8), batch_size=3,
                     round_batch=False)),
    ("parts", dict(path_imgrec="d.rec", data_shape=(3, 8, 8), batch_size=1,
                   num_parts=2, part_index=1)),
]

_SNIPPET = """
import os
os.chdir(FOLDER)
for name, kwargs in CASES:
    it = CREATE(verbose=False, **kwargs)
    outputs[name + "/provide"] = np.array(repr((it.provide_data, it.provide_label)))
    for epoch in range(2):
        for k, batch in enumerate(it):
            key = "%s/%d/%d/" % (name, epoch, k)
            outputs[key + "data"] = batch.data[0].asnumpy()
            outputs[key + "label"] = batch.label[0].asnumpy()
            outputs[key + "pad"] = np.array(batch.pad)
            outputs[key + "index"] = np.array(batch.index)
        it.reset()
it = CREATE(path_imgrec="d.rec", data_shape=(3, 8, 8), batch_size=5, mean_img=MEAN,
            std_r=2, verbose=False)
outputs["mean/batch"] = it.next().data[0].asnumpy()
outputs["mean/file"] = mx.nd.load(MEAN)["mean_img"].asnumpy()
"""


@requires_oracle
def test_deterministic_pipelines_match_mxnet(recs):
    code = "CASES = %r\nFOLDER = %r\n" % (_CASES, recs) + _SNIPPET
    want = run_mxnet("CREATE = mx.io.ImageDetRecordIter\nMEAN = %r\n"
                     % os.path.join(recs, "mx_mean.nd") + code)
    got = run_kiln(code, mx, {"CREATE": det.ImageDetRecordIter,
                              "MEAN": os.path.join(recs, "kiln_mean.nd")})
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        have, expected = got[key], want[key]
        if key.endswith("/provide"):
            assert str(have) == str(expected), key
            continue
        assert have.shape == expected.shape and have.dtype == expected.dtype, \
            (key, have.shape, expected.shape, have.dtype, expected.dtype)
        np.testing.assert_allclose(have, expected, rtol=1e-6, atol=1e-6, err_msg=key)


def test_random_augmenters_keep_boxes_valid(recs):
    """Pad, crop, colour and mirror at probability 1: boxes stay inside the
    image and ordered, the label row keeps its layout, the data its shape."""
    it = det.ImageDetRecordIter(
        path_imgrec=os.path.join(recs, "d.rec"), data_shape=(3, 20, 20),
        batch_size=5, rand_crop_prob=1, min_crop_scales=0.3, max_crop_scales=0.9,
        min_crop_aspect_ratios=0.5, max_crop_aspect_ratios=2, rand_pad_prob=1,
        max_pad_scale=2.0, rand_mirror_prob=0.5, max_random_hue=20,
        random_hue_prob=1, max_random_contrast=0.3, random_contrast_prob=1,
        label_pad_width=20, verbose=False)
    changed = 0
    for _ in range(3):
        it.reset()
        batch = it.next()
        assert batch.data[0].shape == (5, 3, 20, 20)
        label = batch.label[0].asnumpy()
        assert label.shape == (5, 24)
        for row in label:
            n = int(row[3])
            values = row[4:4 + n]
            assert np.all(row[4 + n:] == -1)
            header, width = int(values[0]), int(values[1])
            boxes = values[header:].reshape(-1, width)
            assert len(boxes) >= 1
            assert np.all((boxes[:, 1:5] >= 0) & (boxes[:, 1:5] <= 1))
            assert np.all(boxes[:, 3] > boxes[:, 1]) and np.all(boxes[:, 4] > boxes[:, 2])
            changed += not np.allclose(boxes[0, 1:5], np.array(_LABELS[0][3:7]))
    assert changed > 0


_BAD = [
    ("pad_small", dict(label_pad_width=5), "label_pad_width: 5 smaller than estimated width: 17"),
    ("width", dict(label_width=7), "rec file provide 12-dimensional label but label_width is set to 7"),
    ("interp", dict(inter_method=5), "invalid inter_method"),
    ("ndim", dict(data_shape=(3, 16)), "data_shape has wrong dimensions, expected dimension=3"),
    ("mode", dict(resize_mode="bad"), "valid values are: {'fit', 'force', 'shrink'}"),
    ("tuple", dict(min_crop_scales=(0.1, 0.2)), "param->ndim() == 1 (2 vs. 1)"),
    ("scales", dict(max_crop_scales=(0.0,)), "max_crop_scales[i] > param_.min_crop_scales[i] (0 vs. 0)"),
    ("missing", dict(path_imgrec="nope.rec"), "nope.rec error: No such file or directory"),
]


@pytest.mark.parametrize("name,kwargs,message", _BAD, ids=[b[0] for b in _BAD])
def test_bad_input_raises(recs, name, kwargs, message):
    args = dict(path_imgrec=os.path.join(recs, "d.rec"), data_shape=(3, 16, 16),
                batch_size=2, verbose=False)
    args.update(kwargs)
    if name == "missing":
        args["path_imgrec"] = os.path.join(recs, "nope.rec")
    with pytest.raises(mx.base.MXNetError, match="ImageDetRecordIter") as info:
        det.ImageDetRecordIter(**args)
    assert message in str(info.value)


@requires_oracle
def test_mxnet_refuses_the_same_input(recs):
    code = """
import os
os.chdir(FOLDER)
for name, kwargs, message in BAD:
    args = dict(path_imgrec="d.rec", data_shape=(3, 16, 16), batch_size=2, verbose=False)
    args.update(kwargs)
    try:
        mx.io.ImageDetRecordIter(**args)
        outputs[name] = np.array("no error")
    except mx.base.MXNetError as err:
        outputs[name] = np.array(message in str(err))
"""
    out = run_mxnet("FOLDER = %r\nBAD = %r\n" % (recs, _BAD) + code)
    assert {k: str(v) for k, v in out.items()} == {b[0]: "True" for b in _BAD}


def test_non_float_dtype_and_positional_args_are_refused(recs):
    path = os.path.join(recs, "d.rec")
    with pytest.raises(mx.base.MXNetError, match="dtype uint8"):
        det.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 8, 8), batch_size=1,
                               dtype="uint8")
    with pytest.raises(TypeError, match="ImageDetRecordIter can only accept keyword"):
        det.ImageDetRecordIter(1, path_imgrec=path, data_shape=(3, 8, 8), batch_size=1)
