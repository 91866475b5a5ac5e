"""mx.io.ImageRecordIter and its kin (kiln/io/image_record_iter.py) against
MXNet 1.9.1: deterministic pipelines batch for batch, random ones by shape,
range and distribution, and bad input."""
import os

import numpy as np
import pytest

import kiln as mx
import kiln.recordio  # noqa: F401
import kiln.io.image_record_iter as irec
from mxnet_oracle import requires_oracle, run_kiln, run_mxnet


@pytest.fixture(scope="module")
def recs(tmp_path_factory):
    """Record files in one folder: c.rec/.idx (11 colour PNGs of varied
    sizes, label i % 3, id 100 + i), g.rec (6 grey PNGs), m.rec (5 colour
    PNGs with 2 labels each), c.lst (2 labels per id of c.rec)."""
    folder = tmp_path_factory.mktemp("recs")
    rng = np.random.RandomState(7)
    out = mx.recordio.MXIndexedRecordIO(str(folder / "c.idx"),
                                        str(folder / "c.rec"), "w")
    with open(folder / "c.lst", "w") as lst:
        for i in range(11):
            h, w = rng.randint(18, 40), rng.randint(18, 40)
            img = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
            header = mx.recordio.IRHeader(0, float(i % 3), 100 + i, 0)
            out.write_idx(i, mx.recordio.pack_img(header, img, img_fmt=".png"))
            lst.write("%d\t%d\t%.1f\tim%d.png\n" % (100 + i, i, i / 2.0, i))
    out.close()
    out = mx.recordio.MXRecordIO(str(folder / "g.rec"), "w")
    for i in range(6):
        img = rng.randint(0, 256, (20 + i, 24, 1)).astype(np.uint8)
        out.write(mx.recordio.pack_img(mx.recordio.IRHeader(0, i, i, 0), img,
                                       img_fmt=".png"))
    out.close()
    out = mx.recordio.MXRecordIO(str(folder / "m.rec"), "w")
    for i in range(5):
        img = rng.randint(0, 256, (22, 26, 3)).astype(np.uint8)
        out.write(mx.recordio.pack_img(mx.recordio.IRHeader(0, [i, -i], i, 0),
                                       img, img_fmt=".png"))
    out.close()
    return str(folder)


# Each case: (name, creator, keywords); the snippet records every batch of
# two passes (data, label, pad; index where MXNet fills it).
_CASES = [
    ("plain", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=4)),
    ("norm", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 16, 18), batch_size=5,
                                     resize=20, mean_r=120.5, mean_g=110, mean_b=100, std_r=50,
                                     std_g=60, std_b=70.5, scale=0.75)),
    ("enlarge", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 48, 20), batch_size=4,
                                        inter_method=2)),
    ("auto", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 12, 12), batch_size=4,
                                     resize=14, inter_method=9, pad=2, fill_value=7, mirror=True)),
    ("grey", "ImageRecordIter", dict(path_imgrec="g.rec", data_shape=(1, 16, 16), batch_size=4,
                                     mean_r=3.0, std_r=2.0)),
    ("u8", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=4,
                                   dtype="uint8", mean_r=5)),
    ("i8", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=4,
                                   dtype="int8", mean_r=100.5, mean_g=-3.5, mean_b=200)),
    ("U8", "ImageRecordUInt8Iter", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=3)),
    ("I8", "ImageRecordInt8Iter", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=3,
                                       mean_g=128)),
    ("multi", "ImageRecordIter", dict(path_imgrec="m.rec", data_shape=(3, 16, 16), batch_size=2,
                                      label_width=2)),
    ("lst", "ImageRecordIter", dict(path_imgrec="c.rec", path_imglist="c.lst",
                                    data_shape=(3, 16, 16), batch_size=4, label_width=2)),
    ("part1", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 8, 8), batch_size=2,
                                      num_parts=3, part_index=1)),
    ("part2", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 8, 8), batch_size=2,
                                      num_parts=3, part_index=2)),
    ("ipart", "ImageRecordIter", dict(path_imgrec="c.rec", path_imgidx="c.idx",
                                      data_shape=(3, 8, 8), batch_size=3, num_parts=2,
                                      part_index=1)),
    ("wrap", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 8, 8), batch_size=12)),
    ("noround", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 8, 8), batch_size=4,
                                        round_batch=False)),
    ("v1", "ImageRecordIter_v1", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=4,
                                      round_batch=False, mean_r=10, std_g=3, scale=0.5)),
    ("u8v1", "ImageRecordUInt8Iter_v1", dict(path_imgrec="c.rec", data_shape=(3, 16, 16),
                                             batch_size=4)),
    ("threads", "ImageRecordIter", dict(path_imgrec="c.rec", data_shape=(3, 16, 16), batch_size=6,
                                        preprocess_threads=3)),
]

_SNIPPET = """
import os
os.chdir(FOLDER)
for name, creator, kwargs in CASES:
    it = getattr(IO, creator)(verbose=False, **kwargs)
    outputs[name + "/provide"] = np.array(repr((it.provide_data, it.provide_label)))
    for epoch in range(2):
        for k, batch in enumerate(it):
            key = "%s/%d/%d/" % (name, epoch, k)
            # MXNet leaves the rows past the data unset (and pad 0)
            valid = 3 if name == "noround" and k == 2 else None
            outputs[key + "data"] = batch.data[0].asnumpy()[:valid]
            outputs[key + "label"] = batch.label[0].asnumpy()[:valid]
            outputs[key + "pad"] = np.array(batch.pad)
            if "v1" in name:
                outputs[key + "index"] = np.array(batch.index)
        it.reset()
it = IO.ImageRecordIter(path_imgrec="c.rec", data_shape=(3, 8, 8), batch_size=3,
                        mean_img=MEAN, verbose=False)
outputs["mean/batch"] = it.next().data[0].asnumpy()
outputs["mean/file"] = mx.nd.load(MEAN)["mean_img"].asnumpy()
"""


@requires_oracle
def test_deterministic_pipelines_match_mxnet(recs):
    code = "CASES = %r\nFOLDER = %r\n" % (_CASES, recs) + _SNIPPET
    want = run_mxnet("IO = mx.io\nMEAN = %r\n" % os.path.join(recs, "mx_mean.nd") + code)
    got = run_kiln(code, mx, {"IO": irec,
                              "MEAN": os.path.join(recs, "kiln_mean.nd")})
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        have, expected = got[key], want[key]
        if key.endswith("/provide"):
            assert str(have) == str(expected), key
            continue
        assert have.shape == expected.shape and have.dtype == expected.dtype, \
            (key, have.shape, expected.shape, have.dtype, expected.dtype)
        np.testing.assert_array_equal(have, expected, err_msg=key)


def test_shuffle_permutes_each_pass(recs):
    it = irec.ImageRecordIter(path_imgrec=os.path.join(recs, "c.rec"),
                              path_imglist=os.path.join(recs, "c.lst"), label_width=2,
                              data_shape=(3, 8, 8), batch_size=11, shuffle=True, seed=3)
    passes = []
    for _ in range(3):
        passes.append(it.next().label[0].asnumpy()[:, 0].tolist())
        it.reset()
    for ids in passes:
        assert sorted(ids) == list(range(11))
    assert len({tuple(p) for p in passes}) > 1
    assert passes[0] != list(range(11))


def test_random_augmenters_shapes_ranges_and_distribution(recs):
    path = os.path.join(recs, "c.rec")
    base = irec.ImageRecordIter(path_imgrec=path, data_shape=(3, 16, 16), batch_size=11,
                                dtype="uint8").next().data[0].asnumpy()
    it = irec.ImageRecordIter(path_imgrec=path, data_shape=(3, 16, 16), batch_size=11,
                              rand_mirror=True, dtype="uint8", seed_aug=5)
    flips = 0
    for _ in range(6):
        data = it.next().data[0].asnumpy()
        it.reset()
        same, flip = [(d == b).all() for d, b in zip(data, base)], \
            [(d == b[:, :, ::-1]).all() for d, b in zip(data, base)]
        assert all(s or f for s, f in zip(same, flip))
        flips += sum(f and not s for s, f in zip(same, flip))
    assert 15 <= flips <= 51     # 66 coin flips of p = 0.5
    for kwargs in [dict(rand_crop=True), dict(max_rotate_angle=30, max_shear_ratio=0.2),
                   dict(max_random_scale=1.3, min_random_scale=0.8, max_aspect_ratio=0.3),
                   dict(random_resized_crop=True, min_random_area=0.3, max_aspect_ratio=0.4),
                   dict(max_crop_size=18, min_crop_size=10, rand_crop=True),
                   dict(brightness=0.3, contrast=0.3, saturation=0.3, pca_noise=0.1),
                   dict(random_h=20, random_s=20, random_l=20, rotate=15),
                   dict(max_random_contrast=0.3, max_random_illumination=20)]:
        it = irec.ImageRecordIter(path_imgrec=path, data_shape=(3, 16, 16), batch_size=11,
                                  preprocess_threads=2, **kwargs)
        data = it.next().data[0].asnumpy()
        assert data.shape == (11, 3, 16, 16) and data.dtype == np.float32
        if "max_random_illumination" in kwargs:
            assert data.min() >= -20 * 1.3 - 1 and data.max() <= 255 * 1.3 + 21
        else:
            assert data.min() >= 0 and data.max() <= 255, kwargs
        assert not (data == base.astype(np.float32)).all(), kwargs


def test_threads_and_seed_aug_give_the_same_batches(recs):
    def batch(threads):
        return irec.ImageRecordIter(
            path_imgrec=os.path.join(recs, "c.rec"), data_shape=(3, 16, 16), batch_size=11,
            rand_crop=True, rand_mirror=True, seed_aug=9,
            preprocess_threads=threads).next().data[0].asnumpy()
    np.testing.assert_array_equal(batch(1), batch(4))


_BAD = [
    ("missing", "dict(path_imgrec='missing.rec', data_shape=(3, 8, 8), batch_size=2)",
     "missing.rec"),
    ("shape2", "dict(path_imgrec='c.rec', data_shape=(8, 8), batch_size=2)",
     "data_shape has wrong dimensions, expected dimension=3"),
    ("shape0", "dict(path_imgrec='c.rec', data_shape=(3, 0, 8), batch_size=2)",
     "must be nonzero"),
    ("channels", "dict(path_imgrec='c.rec', data_shape=(2, 8, 8), batch_size=2)",
     "Invalid output shape"),
    ("norec", "dict(data_shape=(3, 8, 8), batch_size=2)", "must specify image_rec"),
    ("nobatch", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8))",
     "Required parameter batch_size"),
    ("width", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=2, label_width=2)",
     "label_width must be 1"),
    ("width0", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=2, label_width=0)",
     "label_width should be greater equal to 1"),
    ("toobig", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=23)",
     "number of input images must be bigger than the batch size"),
    ("dtype", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=2, dtype='float64')",
     "unknown dtype"),
    ("interp", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=2, resize=9, "
     "inter_method=7)", "invalid inter_method"),
    ("float", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=2, scale='x')",
     "Invalid Parameter format for scale expect float"),
    ("nolist", "dict(path_imgrec='c.rec', data_shape=(3, 8, 8), batch_size=2, "
     "path_imglist='none.lst')", "none.lst"),
    ("alpha", "dict(path_imgrec='c.rec', data_shape=(4, 8, 8), batch_size=2)",
     "Expected 4 channels, got 3"),
]


@pytest.mark.parametrize("name,kwargs,message", _BAD, ids=[c[0] for c in _BAD])
def test_bad_input_raises(recs, name, kwargs, message):
    cwd = os.getcwd()
    os.chdir(recs)
    try:
        with pytest.raises(mx.base.MXNetError, match=message):
            irec.ImageRecordIter(**eval(kwargs))
    finally:
        os.chdir(cwd)


def test_batch_size_zero_is_refused(recs):
    # MXNet 1.9.1 hangs on batch_size=0; kiln refuses it
    with pytest.raises(mx.base.MXNetError, match="batch_size must be at least 1"):
        irec.ImageRecordIter(path_imgrec=os.path.join(recs, "c.rec"),
                             data_shape=(3, 8, 8), batch_size=0)


@requires_oracle
def test_mxnet_refuses_the_same_input(recs):
    got = run_mxnet("""
import os
os.chdir(%r)
for name, kwargs in %r:
    try:
        it = mx.io.ImageRecordIter(verbose=False, **eval(kwargs))
        [b.data[0].asnumpy() for b in it]
        outputs[name] = np.array("accepted")
    except Exception as error:
        outputs[name] = np.array(type(error).__name__)
""" % (recs, [c[:2] for c in _BAD]))
    assert {k: str(v) for k, v in got.items()} == {c[0]: "MXNetError" for c in _BAD}
