"""mx.io against MXNet 1.9.1: NDArrayIter's batches in every
last_batch_handle mode, DataDesc/DataBatch, ResizeIter, PrefetchingIter,
MNISTIter on idx files written here and on Fashion-MNIST, CSVIter, and the
errors of each."""
import gc
import gzip
import os
import shutil
import struct

import numpy as np
import pytest

import kiln as mx
import kiln.io  # noqa: F401  (attaches mx.io before kiln/__init__ does)
from kiln.base import MXNetError
from mxnet_oracle import requires_oracle, run_kiln, run_mxnet

FASHION = "/usr/share/datasets/fashion-mnist"


def assert_same(got, want):
    """Same keys, and per key the same dtype, shape and values."""
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, ("missing", missing, "extra", extra)
    for key in sorted(want):
        assert got[key].dtype == want[key].dtype, (key, got[key].dtype, want[key].dtype)
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def compare_with_mxnet(code, **arrays):
    """Runs `code` under both frameworks and asserts equal outputs."""
    want = run_mxnet(code, **arrays)
    assert want, "the snippet recorded nothing"
    assert_same(run_kiln(code, mx, **arrays), want)


# Records every batch of `it` for `epochs` epochs (reset in between) as
# outputs["<name>/e<epoch>/b<k>/..."]: arrays, pad, index, and reprs.
RECORD = """
def record(name, it, epochs=1):
    outputs[name + "/provide_data"] = np.array(repr(it.provide_data))
    outputs[name + "/provide_label"] = np.array(repr(it.provide_label))
    outputs[name + "/batch_size"] = np.array(it.batch_size)
    for epoch in range(epochs):
        k = 0
        for batch in it:
            key = "%s/e%d/b%d/" % (name, epoch, k)
            for i, d in enumerate(batch.data):
                outputs[key + "data%d" % i] = d.asnumpy()
            for i, l in enumerate(batch.label or []):
                outputs[key + "label%d" % i] = l.asnumpy()
            outputs[key + "pad"] = np.array(batch.pad)
            outputs[key + "index"] = np.array(
                "None" if batch.index is None else repr(batch.index.tolist()))
            outputs[key + "str"] = np.array(str(batch))
            k += 1
        outputs["%s/e%d/batches" % (name, epoch)] = np.array(k)
        it.reset()
"""


@requires_oracle
def test_ndarrayiter_every_mode_and_input_form_matches_mxnet():
    code = RECORD + """
def forms(n):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2) + 0.5
    y = np.arange(n) % 3
    return {
        "array": (x, y),
        "list": ([x, x * 10], [y, y + 100]),
        "dict": ({"b": x, "a": x * 10}, {"lab": y}),
        "nolabel": (x, None),
        "ndarray": (mx.nd.array(x, dtype="int32"), mx.nd.array(y)),
    }
for handle in ("pad", "discard", "roll_over"):
    for n, bs in ((10, 3), (10, 5), (4, 7), (3, 10)):
        if handle == "roll_over" and bs > n:
            continue  # MXNet's slice of a later epoch runs off the end
        for form, (x, y) in forms(n).items():
            it = mx.io.NDArrayIter(x, y, batch_size=bs, last_batch_handle=handle)
            record("%s/%d/%d/%s" % (handle, n, bs, form), it, epochs=3)
it = mx.io.NDArrayIter({"x": np.ones((7, 2))}, batch_size=3,
                       last_batch_handle="roll_over", data_name="d",
                       label_name="l")
record("names_dict", it, epochs=2)
it = mx.io.NDArrayIter(np.ones((7, 2)), np.zeros(7), batch_size=3,
                       data_name="d", label_name="l")
record("names", it)
for handle in ("pad", "discard", "roll_over"):
    np.random.seed(3)
    it = mx.io.NDArrayIter(np.arange(22).reshape(11, 2), np.arange(11),
                           batch_size=4, shuffle=True, last_batch_handle=handle)
    record("shuffle/" + handle, it, epochs=2)
it = mx.io.NDArrayIter(np.arange(14).reshape(7, 2), batch_size=3,
                       last_batch_handle="roll_over")
list(it)
it.hard_reset()
record("hard_reset", it)
"""
    compare_with_mxnet(code)


@requires_oracle
def test_ndarrayiter_step_by_step_matches_mxnet():
    # the DataIter protocol pieces Module and users call directly
    code = """
it = mx.io.NDArrayIter(np.arange(20).reshape(10, 2), np.arange(10),
                       batch_size=4, last_batch_handle="roll_over")
for step in range(7):
    more = it.iter_next()
    outputs["more%d" % step] = np.array(bool(more))
    if more:
        outputs["pad%d" % step] = np.array(it.getpad())
        outputs["index%d" % step] = np.array(repr(it.getindex()))
        outputs["data%d" % step] = it.getdata()[0].asnumpy()
        outputs["label%d" % step] = it.getlabel()[0].asnumpy()
    if step == 3:
        it.reset()
outputs["cursor"] = np.array(it.cursor)
outputs["num_data"] = np.array(it.num_data)
"""
    compare_with_mxnet(code)


@requires_oracle
def test_datadesc_and_databatch_match_mxnet():
    code = """
d = mx.io.DataDesc("x", (2, 3))
e = mx.io.DataDesc("y", (4, 5, 6), "int32", "TNC")
outputs["repr"] = np.array(repr([d, e]))
outputs["eq"] = np.array(d == ("x", (2, 3)))
outputs["fields"] = np.array(repr((d.name, d.shape, d.dtype, d.layout,
                                   e.dtype, e.layout, tuple(e))))
outputs["axes"] = np.array([mx.io.DataDesc.get_batch_axis(l)
                            for l in (None, "NCHW", "TNC", "TC")])
outputs["list"] = np.array(repr(mx.io.DataDesc.get_list(
    [("a", (1, 2)), ("b", (3,))], [("b", np.int64), ("a", np.float16)])))
outputs["list_none"] = np.array(repr(mx.io.DataDesc.get_list([("a", (1,))], None)))
b = mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.ones((2,))], pad=1,
                    index=np.arange(2), bucket_key=5,
                    provide_data=[d], provide_label=[e])
outputs["str"] = np.array(str(b))
outputs["attrs"] = np.array(repr((b.pad, b.index.tolist(), b.bucket_key,
                                  b.provide_data, b.provide_label)))
outputs["str_nolabel"] = np.array(str(mx.io.DataBatch((mx.nd.ones(3),))))
outputs["defaults"] = np.array(repr(vars(mx.io.DataBatch([mx.nd.ones(1)])).keys()))
"""
    compare_with_mxnet(code)


@requires_oracle
def test_resize_and_prefetching_iterators_match_mxnet():
    code = RECORD + """
def base(bs=4, handle="pad"):
    return mx.io.NDArrayIter(np.arange(24).reshape(12, 2) * 1.0,
                             np.arange(12), batch_size=bs,
                             last_batch_handle=handle)
record("resize_long", mx.io.ResizeIter(base(5), 7), epochs=2)
record("resize_short", mx.io.ResizeIter(base(), 2), epochs=2)
record("resize_keep", mx.io.ResizeIter(base(), 2, reset_internal=False), epochs=3)
record("prefetch_one", mx.io.PrefetchingIter(base(5)), epochs=2)
two = mx.io.PrefetchingIter([base(), base()],
                            rename_data=[{"data": "d1"}, {"data": "d2"}],
                            rename_label=[{"softmax_label": "l1"},
                                          {"softmax_label": "l2"}])
record("prefetch_two", two, epochs=2)
one = mx.io.PrefetchingIter(base(5, "discard"))
outputs["prefetch_desc"] = np.array(repr(next(iter(one)).provide_data))
"""
    compare_with_mxnet(code)


def test_prefetching_iter_raises_what_its_iterator_raises():
    class Failing(mx.io.DataIter):
        provide_data = [mx.io.DataDesc("data", (2, 3))]
        provide_label = []

        def next(self):
            raise MXNetError("broken source")

    it = mx.io.PrefetchingIter(Failing())
    with pytest.raises(MXNetError, match="broken source"):
        it.next()


def test_prefetching_iter_threads_end_with_it():
    it = mx.io.PrefetchingIter(mx.io.NDArrayIter(np.ones((4, 2)), batch_size=2))
    next(it)
    threads = [prefetcher.thread for prefetcher in it._prefetchers]
    assert all(thread.is_alive() for thread in threads)
    del it
    gc.collect()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)


def test_ndarrayiter_batches_along_the_layout_batch_axis():
    # MXNet counts examples along axis 0 whatever the layout and fails on
    # 'TNC'; kiln counts and slices along N
    x = np.arange(2 * 5 * 3).reshape(2, 5, 3).astype(np.float32)
    it = mx.io.NDArrayIter(x, batch_size=2, layout="TNC")
    assert [d.shape for d in it.provide_data] == [(2, 2, 3)]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 1]
    np.testing.assert_array_equal(batches[2].data[0].asnumpy(),
                                  np.concatenate([x[:, 4:5], x[:, 0:1]], axis=1))


# ----------------------------------------------------------------- MNIST

def write_idx(folder, name, array, magic, compress=False):
    """Writes `array` (uint8) as an idx-ubyte file; returns its path."""
    path = os.path.join(str(folder), name)
    payload = struct.pack(">I", magic) + struct.pack(">%dI" % array.ndim, *array.shape)
    payload += np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as handle:
        handle.write(payload)
    return path


@pytest.fixture
def small_mnist(tmp_path):
    rng = np.random.RandomState(7)
    images = rng.randint(0, 256, size=(23, 5, 4)).astype(np.uint8)
    labels = rng.randint(0, 10, size=23).astype(np.uint8)
    return (write_idx(tmp_path, "img-idx3-ubyte", images, 2051),
            write_idx(tmp_path, "lab-idx1-ubyte", labels, 2049),
            images, labels, tmp_path)


MNIST_CASES = """
cases = {
    "plain": dict(batch_size=5, shuffle=False),
    "flat": dict(batch_size=4, shuffle=False, flat=True),
    "shuffle0": dict(batch_size=6),
    "shuffle7": dict(batch_size=3, shuffle=True, seed=7, flat=1),
    "part1of3": dict(batch_size=2, shuffle=False, num_parts=3, part_index=1),
    "part2of3": dict(batch_size=2, shuffle=True, seed=2, num_parts=3, part_index=2),
    "exact": dict(batch_size=23, shuffle="False"),
    "names": dict(batch_size=11, shuffle=False, data_name="x", label_name="y"),
}
for name, kw in cases.items():
    it = mx.io.MNISTIter(image=IMAGE, label=LABEL, silent=True, **kw)
    record(name, it, epochs=2)
"""


@requires_oracle
def test_mnistiter_matches_mxnet_on_small_idx_files(small_mnist):
    image, label = small_mnist[:2]
    code = RECORD + "IMAGE, LABEL = %r, %r\n" % (image, label) + MNIST_CASES
    compare_with_mxnet(code)


def test_mnistiter_reads_gzip_and_plain_files_alike(small_mnist):
    image, label, images, labels, folder = small_mnist
    gz_image = write_idx(folder, "img.gz", images, 2051, compress=True)
    gz_label = write_idx(folder, "lab.gz", labels, 2049, compress=True)
    plain = mx.io.MNISTIter(image=image, label=label, batch_size=23,
                            shuffle=False, silent=True).next()
    packed = mx.io.MNISTIter(image=gz_image, label=gz_label, batch_size=23,
                             shuffle=False, silent=True).next()
    np.testing.assert_array_equal(plain.data[0].asnumpy(), packed.data[0].asnumpy())
    np.testing.assert_array_equal(plain.data[0].asnumpy()[:, 0],
                                  images.astype(np.float32) / 256)
    np.testing.assert_array_equal(packed.label[0].asnumpy(), labels.astype(np.float32))


def test_mnistiter_reports_what_it_loaded_unless_silent(small_mnist, capfd):
    image, label = small_mnist[:2]
    mx.io.MNISTIter(image=image, label=label, batch_size=5, shuffle=False)
    assert "MNISTIter: load 23 images, shuffle=0, shape=[5,1,5,4]" in capfd.readouterr().err
    mx.io.MNISTIter(image=image, label=label, batch_size=5, flat=True, silent=True)
    assert capfd.readouterr().err == ""


@requires_oracle
@pytest.mark.skipif(not os.path.isdir(FASHION),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_mnistiter_matches_mxnet_on_fashion_mnist(tmp_path):
    # MXNet reads only plain idx files: give it unpacked copies; kiln
    # reads the packaged .gz files directly
    plain = {}
    for kind in ("images-idx3", "labels-idx1"):
        plain[kind] = str(tmp_path / ("t10k-%s-ubyte" % kind))
        with gzip.open(os.path.join(FASHION, "t10k-%s-ubyte.gz" % kind)) as source, \
                open(plain[kind], "wb") as target:
            shutil.copyfileobj(source, target)
    code = """
it = mx.io.MNISTIter(image=IMAGE, label=LABEL, batch_size=100, silent=True,
                     shuffle=SHUFFLE)
for k in range(3):
    batch = it.next()
    outputs["data%d" % k] = batch.data[0].asnumpy()
    outputs["label%d" % k] = batch.label[0].asnumpy()
outputs["desc"] = np.array(repr(it.provide_data + it.provide_label))
"""
    for shuffle in (False, True):
        setup = "IMAGE, LABEL, SHUFFLE = %r, %r, %r\n" % (
            plain["images-idx3"], plain["labels-idx1"], shuffle)
        want = run_mxnet(setup + code)
        packed = "IMAGE, LABEL, SHUFFLE = %r, %r, %r\n" % (
            os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"),
            os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"), shuffle)
        assert_same(run_kiln(packed + code, mx), want)
        assert_same(run_kiln(setup + code, mx), want)


# ------------------------------------------------------------------- CSV

@pytest.fixture
def csv_files(tmp_path):
    files = {
        "d.csv": "1,2,3\n2,3,4\n3,4,5\n4,5,6\n",
        "ws.csv": "1.5,2e1,-3\n\n 2 , 3,4\n3,4,5\n4,5,6",
        "l.csv": "1\n2\n3\n4\n5\n",
        "l2.csv": "1,2\n2,3\n3,4\n4,5\n",
        "i.csv": "1.7,2,-3.2\n4,5,6\n",
        "dir/a.csv": "1,2,3\n2,3,4\n",
        "dir/b.csv": "7,8,9\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return tmp_path


CSV_CASES = """
cases = {
    "b2": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=2),
    "b3": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=3),
    "b3_noround": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=3,
                       round_batch=False),
    "b5": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=5),
    "label": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=3,
                  label_csv=D + "l.csv"),
    "label2": dict(data_csv=D + "d.csv", data_shape=[3], batch_size=3,
                   label_csv=D + "l2.csv", label_shape=(2,)),
    "label11": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=2,
                    label_csv=D + "l.csv", label_shape=(1, 1)),
    "shape31": dict(data_csv=D + "d.csv", data_shape=(3, 1), batch_size=3),
    "spaces": dict(data_csv=D + "ws.csv", data_shape="(3,)", batch_size="2"),
    "int32": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=3,
                  dtype="int32", label_csv=D + "l.csv"),
    "int64": dict(data_csv=D + "i.csv", data_shape=(3,), batch_size=1,
                  dtype="int64"),
    "float32": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=4,
                    dtype="float32", round_batch=0),
    "dir": dict(data_csv=D + "dir", data_shape=(3,), batch_size=2),
    "names": dict(data_csv=D + "d.csv", data_shape=(3,), batch_size=2,
                  data_name="x", label_name="y", prefetch_buffer=1),
}
for name, kw in cases.items():
    record(name, mx.io.CSVIter(**kw), epochs=3)
"""


@requires_oracle
def test_csviter_matches_mxnet(csv_files):
    compare_with_mxnet(RECORD + "D = %r\n" % (str(csv_files) + os.sep) + CSV_CASES)


def test_csviter_round_batch_false_pads_with_the_previous_rows(csv_files):
    # MXNet's BatchLoader reuses one buffer: the missing rows of the last
    # batch are those of the batch before, as its docstring shows
    it = mx.io.CSVIter(data_csv=str(csv_files / "d.csv"), data_shape=(3,),
                       batch_size=3, round_batch=False)
    first, last = list(it)
    assert last.pad == 2
    np.testing.assert_array_equal(last.data[0].asnumpy(),
                                  [[4, 5, 6], [2, 3, 4], [3, 4, 5]])


# ---------------------------------------------------------------- errors

# (name, expression, kiln's error, message), with I, L (small MNIST
# files), D (CSV folder) and N (a path that does not exist) defined.
REFUSED_BY_BOTH = [
    ("mnist_no_image", "mx.io.MNISTIter(image=N, label=L, silent=True)",
     MXNetError, r'MNISTIter: cannot open image file ".*nope"'),
    ("mnist_no_label", "mx.io.MNISTIter(image=I, label=N, silent=True)",
     MXNetError, r'MNISTIter: cannot open label file ".*nope"'),
    ("mnist_num_parts", "mx.io.MNISTIter(image=I, label=L, silent=True, num_parts=0)",
     MXNetError, "part_index must be in \\[0, num_parts\\)"),
    ("mnist_part_index", "mx.io.MNISTIter(image=I, label=L, silent=True, part_index=1)",
     MXNetError, "got part_index 1 with num_parts 1"),
    ("mnist_batch_size", "mx.io.MNISTIter(image=I, label=L, silent=True, batch_size=0)",
     MXNetError, "value 0 for Parameter batch_size should be greater equal to 1"),
    ("mnist_shuffle", "mx.io.MNISTIter(image=I, label=L, silent=True, shuffle='maybe')",
     MXNetError, "Invalid Parameter format for shuffle expect boolean but value='maybe'"),
    ("mnist_dtype", "mx.io.MNISTIter(image=I, label=L, silent=True, batch_size=5, dtype='float64')",
     MXNetError, "dtype float64 is not supported"),
    ("mnist_too_big_batch", "mx.io.MNISTIter(image=I, label=L, silent=True, batch_size=24)",
     StopIteration, ""),
    ("mnist_positional", "mx.io.MNISTIter(5, image=I, label=L, silent=True)",
     TypeError, "MNISTIter can only accept keyword arguments"),
    ("csv_no_data", "mx.io.CSVIter(data_csv=N, data_shape=(3,), batch_size=2)",
     MXNetError, r'CSVIter: cannot open data_csv ".*nope"'),
    ("csv_no_label", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), "
     "batch_size=2, label_csv=N)",
     MXNetError, r'CSVIter: cannot open label_csv ".*nope"'),
    ("csv_row_length", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(2,), batch_size=2)",
     MXNetError, r"have 3 values, but shape \(2,\) has 2"),
    ("csv_label_length", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), "
     "batch_size=2, label_csv=D + 'l2.csv')",
     MXNetError, r"have 2 values, but shape \(1,\) has 1"),
    ("csv_ragged", "list(mx.io.CSVIter(data_csv=D + 'ragged.csv', data_shape=(3,), batch_size=1))",
     MXNetError, "ragged.csv"),
    ("csv_few_labels", "list(mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), "
     "batch_size=2, label_csv=D + 'l3.csv'))",
     MXNetError, "has 3 rows, fewer than the 4 of data_csv"),
    ("csv_dtype", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), batch_size=2, "
     "dtype='float64')", MXNetError, "float64 is not supported for CSVIter"),
    ("csv_dtype_name", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), batch_size=2, "
     "dtype='foo')", MXNetError, "Invalid Input: 'foo', valid values are"),
    ("csv_no_shape", "mx.io.CSVIter(data_csv=D + 'd.csv', batch_size=2)",
     MXNetError, "Required parameter data_shape of Shape\\(tuple\\) is not presented"),
    ("csv_bad_shape", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape='(3,a)', batch_size=2)",
     MXNetError, "Invalid Parameter format for data_shape expect Shape\\(tuple\\)"),
    ("csv_bad_batch", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), batch_size=2.0)",
     MXNetError, "Invalid Parameter format for batch_size expect int \\(non-negative\\)"),
    ("csv_wrap_twice", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), batch_size=9)",
     MXNetError, "number of input must be bigger than batch size"),
    ("csv_positional", "mx.io.CSVIter(D + 'd.csv', data_shape=(3,), batch_size=2)",
     MXNetError, "Required parameter data_csv of string is not presented"),
    ("nd_short_label", "list(mx.io.NDArrayIter(np.zeros((10, 2)), np.zeros(7), batch_size=3))",
     MXNetError, "softmax_label has 7 examples along the batch axis, data has 10"),
    ("nd_short_data", "list(mx.io.NDArrayIter([np.zeros((10, 2)), np.zeros(5)], batch_size=3))",
     MXNetError, "_1_data has 5 examples along the batch axis, _0_data has 10"),
    ("nd_none", "mx.io.NDArrayIter(None, batch_size=3)",
     AssertionError, "data is required"),
    ("nd_empty", "mx.io.NDArrayIter([], batch_size=3)",
     AssertionError, "data is an empty list"),
    ("nd_string", "mx.io.NDArrayIter('abc', batch_size=3)",
     TypeError, "Input must be NDArray, numpy.ndarray, h5py.Dataset"),
    ("nd_bad_value", "mx.io.NDArrayIter({'a': 'abc'}, batch_size=3)",
     TypeError, "Invalid type '<class 'str'>' for a"),
    ("nd_bad_label", "mx.io.NDArrayIter(np.zeros(3), 5, batch_size=3)",
     TypeError, "Input must be NDArray"),
]

# MXNet accepts these: a misspelt mode acts as 'discard', batch_size 0
# gives empty batches without end, a longer label is cut short
KILN_ONLY = [
    ("nd_last_batch_handle", "mx.io.NDArrayIter(np.zeros(3), batch_size=2, "
     "last_batch_handle='rollover')",
     ValueError, "last_batch_handle must be one of 'pad', 'discard', 'roll_over', "
     "got 'rollover'"),
    ("nd_batch_size", "mx.io.NDArrayIter(np.zeros(3), batch_size=0)",
     ValueError, "batch_size must be an integer >= 1, got 0"),
    ("nd_long_label", "mx.io.NDArrayIter(np.zeros((3, 2)), np.zeros(5), batch_size=3)",
     MXNetError, "softmax_label has 5 examples along the batch axis, data has 3"),
    ("csv_batch_size", "mx.io.CSVIter(data_csv=D + 'd.csv', data_shape=(3,), batch_size=0)",
     MXNetError, "value 0 for Parameter batch_size should be greater equal to 1"),
    ("mnist_not_idx", "mx.io.MNISTIter(image=D + 'd.csv', label=L, silent=True)",
     MXNetError, r'image file ".*d.csv" is no idx3-ubyte file'),
    ("mnist_label_count", "mx.io.MNISTIter(image=I, label=L5, silent=True)",
     MXNetError, "has 23 images .* has 5 labels"),
    ("csv_not_a_number", "mx.io.CSVIter(data_csv=D + 'nan.csv', data_shape=(3,), batch_size=1)",
     MXNetError, r'CSVIter: data_csv ".*nan.csv": .*x'),
]


@pytest.fixture
def error_prelude(small_mnist, csv_files):
    image, label, _, labels, folder = small_mnist
    label5 = write_idx(folder, "lab5-idx1-ubyte", labels[:5], 2049)
    (csv_files / "ragged.csv").write_text("1,2,3\n4,5\n")
    (csv_files / "l3.csv").write_text("1\n2\n3\n")
    (csv_files / "nan.csv").write_text("1,x,3\n")
    return "I, L, L5, D, N = %r, %r, %r, %r, %r\n" % (
        image, label, label5, str(csv_files) + os.sep, str(folder / "nope"))


@pytest.mark.parametrize("name,expression,error,message", REFUSED_BY_BOTH + KILN_ONLY,
                         ids=[c[0] for c in REFUSED_BY_BOTH + KILN_ONLY])
def test_bad_inputs_raise(error_prelude, name, expression, error, message):
    scope = {"mx": mx, "np": np}
    exec(error_prelude, scope)
    with pytest.raises(error, match=message):
        eval(expression, scope)


@requires_oracle
def test_mxnet_raises_the_same_error_classes(error_prelude):
    code = error_prelude + "cases = %r\n" % [(c[0], c[1]) for c in REFUSED_BY_BOTH] + """
for name, expression in cases:
    try:
        eval(expression)
        outputs[name] = np.array("accepted")
    except BaseException as error:
        outputs[name] = np.array(type(error).__name__)
"""
    got = run_mxnet(code)
    want = {c[0]: c[2].__name__ for c in REFUSED_BY_BOTH}
    assert {k: str(v) for k, v in got.items()} == want
