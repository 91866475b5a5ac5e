"""mx.gluon.data and mx.recordio against MXNet 1.9.1: samplers, dataset
operations, DataLoader batches in every last_batch mode, worker processes
(equal to in-process loading; a dead, hung or raising worker), the vision
datasets (Fashion-MNIST, CIFAR, image folders and records), RecordIO files
both ways, the image transforms, and the errors of each."""
import gc
import os
import pickle
import random
import struct
import tarfile
import textwrap
import time
import multiprocessing
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.gluon.data  # noqa: F401  (attaches mx.gluon.data)
import kiln.recordio  # noqa: F401
from kiln.base import MXNetError
from kiln.gluon.data import (ArrayDataset, DataLoader, Dataset,
                             RecordFileDataset, SimpleDataset)
from kiln.gluon.data.vision import transforms
from mxnet_oracle import requires_oracle, run_kiln, run_mxnet

FASHION = "/usr/share/datasets/fashion-mnist"
needs_fashion = pytest.mark.skipif(
    not os.path.isfile(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz")),
    reason="Debian's dataset-fashion-mnist is not installed")


def assert_equal_outputs(got, want, close=()):
    """Same keys, dtypes, shapes and values (keys in `close` within 1e-5,
    keys ending /err: the same exception class name)."""
    assert sorted(got) == sorted(want), (sorted(set(got) ^ set(want)))
    for key in sorted(want):
        assert got[key].dtype == want[key].dtype or key.endswith("/err"), \
            (key, got[key].dtype, want[key].dtype)
        if key in close:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5,
                                       atol=1e-5, err_msg=key)
        else:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def same_as_mxnet(code, close=(), **arrays):
    want = run_mxnet(code, **arrays)
    assert want, "the snippet recorded nothing"
    assert_equal_outputs(run_kiln(code, mx, **arrays), want, close)


# Samplers, dataset operations and DataLoader batches, shuffle off.
CORE = """
gd = mx.gluon.data
try:
    Interval = gd.IntervalSampler
except AttributeError:
    from mxnet.gluon.contrib.data import IntervalSampler as Interval

def put(name, value):
    outputs[name] = np.asarray(value)

def flat(batches):
    return [i for b in batches for i in list(b) + [-1]]

def err(name, f):
    try:
        f()
        put(name + "/err", "none")
    except Exception as e:
        put(name + "/err", type(e).__name__)

put("seq", list(gd.SequentialSampler(5, 2)))
put("seq/len", len(gd.SequentialSampler(5, 2)))
np.random.seed(0)
put("random/sorted", sorted(gd.RandomSampler(7)))
put("random/len", len(gd.RandomSampler(7)))
for mode in ["keep", "discard", "rollover"]:
    bs = gd.BatchSampler(gd.SequentialSampler(10), 3, mode)
    for epoch in range(3):
        put("batch/%s/len%d" % (mode, epoch), len(bs))
        put("batch/%s/e%d" % (mode, epoch), flat(bs))
put("interval", list(Interval(13, 3)))
put("interval/norollover", list(Interval(13, 3, rollover=False)))
put("interval/len", len(Interval(13, 3, rollover=False)))
X = inputs["X"]
y = inputs["y"]
ds = gd.ArrayDataset(mx.nd.array(X), y)
put("filter", [s[1] for s in ds.filter(lambda s: s[1] % 3 == 0)])
for n in (1, 3, 4):
    for i in range(n):
        part = ds.shard(n, i)
        put("shard%d_%d" % (n, i), [part[k][1] for k in range(len(part))])
put("take", [s[1] for s in ds.take(4)])
put("take/none", len(ds.take(None)))
put("take/big", len(ds.take(100)))
put("sample", [s[1] for s in ds.sample(gd.SequentialSampler(3, 5))])
t = ds.transform(lambda a, b: (a * 2, b + 1))
put("transform", np.stack([t[i][0].asnumpy() for i in range(len(t))]))
put("transform/label", [t[i][1] for i in range(len(t))])
t = ds.transform_first(lambda a: a - 1, lazy=False)
put("transform_first", np.stack([t[i][0].asnumpy() for i in range(len(t))]))
put("transform_first/type", type(t).__name__)
put("simple", [gd.SimpleDataset([4, 5, 6])[i] for i in range(3)])
single = gd.ArrayDataset(mx.nd.array(y))
put("single", [single[i] for i in range(3)])
put("single/type", type(single[0]).__name__)

def loader(name, dl, epochs=2):
    put(name + "/len", len(dl))
    for epoch in range(epochs):
        for k, batch in enumerate(dl):
            parts = batch if isinstance(batch, list) else [batch]
            for j, part in enumerate(parts):
                put("%s/e%d/b%d/%d" % (name, epoch, k, j), part.asnumpy())
            put("%s/e%d/b%d/type" % (name, epoch, k), type(batch).__name__)

for mode in ["keep", "discard", "rollover"]:
    loader("dl/" + mode, gd.DataLoader(ds, batch_size=4, last_batch=mode))
loader("dl/numpy", gd.DataLoader(X.astype(np.float64), batch_size=3))
loader("dl/uint8", gd.DataLoader(gd.SimpleDataset(
    [(X[i].astype(np.uint8), int(y[i]), float(y[i]) / 2) for i in range(5)]),
    batch_size=2))
loader("dl/nd", gd.DataLoader(mx.nd.array(X, dtype="int32"), batch_size=4))
loader("dl/batch_sampler", gd.DataLoader(ds, batch_sampler=gd.BatchSampler(
    gd.SequentialSampler(10, 0), 6, "discard")))
loader("dl/batchify", gd.DataLoader(ds, batch_size=5,
                                    batchify_fn=lambda s: mx.nd.array(
                                        [b for _, b in s])))

err("dl/no_batch_size", lambda: gd.DataLoader(ds))
err("dl/shuffle_and_sampler", lambda: gd.DataLoader(
    ds, batch_size=2, shuffle=True, sampler=gd.SequentialSampler(10)))
err("dl/batch_sampler_and_size", lambda: gd.DataLoader(
    ds, batch_size=2, batch_sampler=gd.BatchSampler(gd.SequentialSampler(10), 2)))
err("dl/batch_sampler_and_last", lambda: gd.DataLoader(
    ds, last_batch="keep", batch_sampler=gd.BatchSampler(gd.SequentialSampler(10), 2)))
err("dl/timeout", lambda: gd.DataLoader(ds, batch_size=2, timeout=0))
err("dl/last_batch", lambda: list(gd.DataLoader(ds, batch_size=3, last_batch="bad")))
err("batch/bad_iter", lambda: list(gd.BatchSampler(gd.SequentialSampler(3), 2, "x")))
err("batch/bad_len", lambda: len(gd.BatchSampler(gd.SequentialSampler(3), 2, "x")))
err("array/lengths", lambda: gd.ArrayDataset(X, y[:3]))
err("array/none", lambda: gd.ArrayDataset())
err("sample/list", lambda: ds.sample([1, 2]))
err("shard/index", lambda: ds.shard(2, 2))
err("shard/negative", lambda: ds.shard(2, -1))
err("interval/big", lambda: Interval(3, 4))
err("dataset/abstract", lambda: gd.Dataset()[0])
"""


@requires_oracle
def test_samplers_datasets_and_loader_match_mxnet():
    X = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10, dtype=np.int64)
    same_as_mxnet(CORE, X=X, y=y)


def test_random_sampler_and_shuffle_follow_numpy_seed():
    np.random.seed(3)
    first = list(mx.gluon.data.RandomSampler(20))
    np.random.seed(3)
    assert list(mx.gluon.data.RandomSampler(20)) == first
    assert sorted(first) == list(range(20)) and first != list(range(20))
    dataset = np.arange(20, dtype=np.float32)
    np.random.seed(3)
    got = np.concatenate([b.asnumpy() for b in
                          DataLoader(dataset, batch_size=6, shuffle=True)])
    np.testing.assert_array_equal(got, np.array(first, np.float32))


class Squares(Dataset):
    """Module-level, so plain pickle would do too."""

    def __len__(self):
        return 11

    def __getitem__(self, i):
        return (mx.nd.full((2, 3), i, dtype="float32"), np.int32(i * i),
                np.arange(i, i + 2, dtype=np.uint8))


def _batches(loader, epochs=2):
    out = []
    for _ in range(epochs):
        for batch in loader:
            parts = batch if isinstance(batch, list) else [batch]
            out.append([(type(p).__name__, p.dtype, p.asnumpy()
                         if isinstance(p, mx.nd.NDArray) else p) for p in parts])
    return out


def _assert_same_batches(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert [(t, d) for t, d, _ in g] == [(t, d) for t, d, _ in w]
        for (_, _, a), (_, _, b) in zip(g, w):
            np.testing.assert_array_equal(a, b)


def test_worker_processes_give_the_in_process_batches():
    scale = 3.0  # a closure: needs cloudpickle's by-value functions
    sets = [Squares(), Squares().transform_first(lambda x: x * scale)]
    for dataset in sets:
        for mode in ["keep", "discard", "rollover"]:
            want = _batches(DataLoader(dataset, batch_size=4, last_batch=mode))
            got = _batches(DataLoader(dataset, batch_size=4, last_batch=mode,
                                      num_workers=2, prefetch=3))
            _assert_same_batches(got, want)
            if mode == "keep":
                got = _batches(DataLoader(dataset, batch_size=4, num_workers=2,
                                          thread_pool=True))
                _assert_same_batches(got, want)
    # A user batchify_fn giving numpy arrays: numpy arrays come back.
    got = _batches(DataLoader(np.arange(12.0).reshape(6, 2), batch_size=4,
                              num_workers=1, batchify_fn=np.stack), 1)
    assert [b[0][0] for b in got] == ["ndarray", "ndarray"]
    np.testing.assert_array_equal(got[1][0][2], [[8, 9], [10, 11]])


def test_worker_loader_left_early_and_iterated_twice():
    loader = DataLoader(np.arange(40, dtype=np.float32), batch_size=4,
                        num_workers=2, prefetch=6)
    for k, batch in enumerate(loader):
        if k == 2:
            break
    it1, it2 = iter(loader), iter(loader)
    first = next(it1)
    np.testing.assert_array_equal(next(it2).asnumpy(), first.asnumpy())
    rest = np.concatenate([b.asnumpy() for b in it1])
    np.testing.assert_array_equal(rest, np.arange(4, 40, dtype=np.float32))
    pool = loader._worker_pool
    assert pool._results  # it2's prefetched batches
    del it2  # dropped unread, with the batches of the loop left early
    gc.collect()
    assert not pool._results
    assert [len(b) for b in loader] == [4] * 10
    assert not pool._results and not pool._forgotten


class Faulty(Dataset):
    """Sample 5 ends its process ('crash'), sleeps a minute ('hang') or
    raises IndexError ('raise')."""

    def __init__(self, fault):
        self._fault = fault

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5 and self._fault == "crash":
            os._exit(3)
        if i == 5 and self._fault == "hang":
            time.sleep(60)
        if i == 5 and self._fault == "raise":
            raise IndexError("sample 5 is out of range")
        return np.float32(i)


def _first_error(loader):
    start = time.monotonic()
    seen = []
    with pytest.raises(Exception) as caught:
        for batch in loader:
            seen.append(batch.asnumpy())
    return caught.value, time.monotonic() - start, seen


def test_dead_worker_raises_at_once_and_the_loader_recovers():
    loader = DataLoader(Faulty("crash"), batch_size=2, num_workers=2, timeout=30)
    error, took, seen = _first_error(loader)
    assert isinstance(error, MXNetError), error
    assert "exited with status 3" in str(error) and "[4, 5]" in str(error)
    assert took < 10 and len(seen) == 2
    error, _, seen = _first_error(loader)  # a new pool, the same crash
    assert "exited with status 3" in str(error) and len(seen) == 2


def test_hung_worker_raises_timeout_error_after_timeout():
    loader = DataLoader(Faulty("hang"), batch_size=2, num_workers=2, timeout=2)
    pool = loader._worker_pool
    for batch in DataLoader(np.zeros(2), batch_size=2, num_workers=1):
        pass  # the workers are up: startup is not part of `timeout`
    error, took, seen = _first_error(loader)
    assert isinstance(error, multiprocessing.TimeoutError)  # as MXNet
    assert isinstance(error, MXNetError)
    assert "timeout=2" in str(error) and "[4, 5]" in str(error)
    assert 1.9 < took < 15, took
    assert pool.broken and all(w.process.poll() is not None
                               for w in pool._workers)


def test_worker_exception_keeps_its_class_and_the_workers():
    loader = DataLoader(Faulty("raise"), batch_size=2, num_workers=2)
    for _ in range(2):
        error, _, seen = _first_error(loader)
        assert isinstance(error, IndexError), error
        assert "sample 5 is out of range" in str(error)
        assert "Traceback" in str(error.__cause__)
        assert len(seen) == 2
    assert loader._worker_pool.broken is None


def test_unpicklable_dataset_is_refused_at_construction():
    import threading
    dataset = SimpleDataset([threading.Lock()])
    with pytest.raises(MXNetError, match="do not pickle.*thread_pool=True"):
        DataLoader(dataset, batch_size=1, num_workers=1)
    loaded = list(DataLoader(dataset, batch_size=1, num_workers=1,
                             thread_pool=True, batchify_fn=lambda s: s))
    assert len(loaded) == 1


def test_pin_memory_and_auto_reload():
    loader = DataLoader(np.arange(6, dtype=np.float32), batch_size=4,
                        pin_memory=True, auto_reload=True)
    batches = [b.asnumpy() for b in loader]
    assert [len(b) for b in batches] == [4, 2]
    assert loader._iter is not None  # the next epoch is prefetched
    assert [len(b) for b in loader] == [4, 2]


# ---------------------------------------------------------------- vision

@needs_fashion
@requires_oracle
def test_fashion_mnist_matches_mxnet():
    code = """
    import os
    from mxnet.gluon.data.vision import datasets as vd
    if hasattr(vd, "download"):  # MXNet: the files are here, skip the download
        vd.download = lambda url, path=None, sha1_hash=None: os.path.join(
            path, os.path.basename(url))
    for train in (False, True):
        d = mx.gluon.data.vision.FashionMNIST(root=%r, train=train)
        key = "train" if train else "test"
        outputs[key + "/len"] = np.array(len(d))
        outputs[key + "/images"] = np.stack([d[i][0].asnumpy() for i in range(5)])
        outputs[key + "/labels"] = np.array([d[i][1] for i in range(5)])
        outputs[key + "/label_type"] = np.array(type(d[0][1]).__name__)
        outputs[key + "/last"] = d[len(d) - 1][0].asnumpy()
    t = mx.gluon.data.vision.FashionMNIST(
        root=%r, train=False, transform=lambda x, y: (x.astype("float32") / 255, y + 1))
    outputs["transform"] = t[3][0].asnumpy()
    outputs["transform/label"] = np.array(t[3][1])
    """ % (FASHION, FASHION)
    same_as_mxnet(code)


@needs_fashion
def test_fashion_mnist_default_root_falls_back_to_debian(tmp_path, monkeypatch):
    from kiln.gluon.data.vision import datasets
    monkeypatch.setattr(datasets.FashionMNIST, "_default_root", str(tmp_path))
    test = datasets.FashionMNIST(root=str(tmp_path), train=False)
    assert len(test) == 10000 and test[0][0].shape == (28, 28, 1)


def test_missing_dataset_files_say_what_to_put_where(tmp_path):
    from kiln.gluon.data.vision import datasets
    with pytest.raises(MXNetError, match="t10k-images-idx3-ubyte.gz, "
                       "t10k-labels-idx1-ubyte.gz in the folder %s" % tmp_path):
        datasets.MNIST(root=str(tmp_path), train=False)
    with pytest.raises(MXNetError, match="data_batch_1.bin.*cifar-10-binary"):
        datasets.CIFAR10(root=str(tmp_path))
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(MXNetError, match="no idx1-ubyte file"):
        datasets.MNIST(root=str(tmp_path), train=False)


def _write_cifar(folder, rng):
    """Small CIFAR-10 and CIFAR-100 binary batches."""
    os.makedirs(folder, exist_ok=True)
    for name in ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]:
        rows = np.concatenate([rng.integers(0, 10, (3, 1)),
                               rng.integers(0, 256, (3, 3072))], axis=1)
        (folder / name).write_bytes(rows.astype(np.uint8).tobytes())
    for name in ["train.bin", "test.bin"]:
        rows = np.concatenate([rng.integers(0, 20, (4, 1)),
                               rng.integers(0, 100, (4, 1)),
                               rng.integers(0, 256, (4, 3072))], axis=1)
        (folder / name).write_bytes(rows.astype(np.uint8).tobytes())


@requires_oracle
def test_cifar_matches_mxnet(tmp_path):
    _write_cifar(tmp_path, np.random.default_rng(0))
    code = """
    from mxnet.gluon.data.vision import datasets as vd
    if hasattr(vd, "check_sha1"):  # MXNet: accept the files written here
        vd.check_sha1 = lambda path, sha1: True
    V = mx.gluon.data.vision
    for name, d in [("c10/train", V.CIFAR10(root=%r)),
                    ("c10/test", V.CIFAR10(root=%r, train=False)),
                    ("c100/coarse", V.CIFAR100(root=%r)),
                    ("c100/fine", V.CIFAR100(root=%r, fine_label=True, train=False))]:
        outputs[name + "/len"] = np.array(len(d))
        outputs[name + "/images"] = np.stack([d[i][0].asnumpy() for i in range(len(d))])
        outputs[name + "/labels"] = np.array([d[i][1] for i in range(len(d))])
    """ % ((str(tmp_path),) * 4)
    same_as_mxnet(code)


def test_cifar_reads_the_distributed_archive(tmp_path):
    _write_cifar(tmp_path / "src" / "cifar-10-batches-bin",
                 np.random.default_rng(1))
    with tarfile.open(tmp_path / "cifar-10-binary.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-bin", "cifar-10-batches-bin")
    test = mx.gluon.data.vision.CIFAR10(root=str(tmp_path), train=False)
    raw = (tmp_path / "src" / "cifar-10-batches-bin" / "test_batch.bin").read_bytes()
    rows = np.frombuffer(raw, np.uint8).reshape(3, 3073)
    assert len(test) == 3 and test[1][1] == rows[1, 0]
    np.testing.assert_array_equal(test[1][0].asnumpy(),
                                  rows[1, 1:].reshape(3, 32, 32).transpose(1, 2, 0))


# ---------------------------------------------------------------- recordio

MAGIC = struct.pack("<I", 0xced7230a)
RECORDS = [b"abc", b"", b"abcd", MAGIC, b"12345678" + MAGIC + b"xy" + MAGIC,
           MAGIC + MAGIC, b"a" + MAGIC + b"bcd", bytes(range(256)) * 5]


@requires_oracle
def test_recordio_files_are_mxnet_files_both_ways(tmp_path):
    ours, theirs = str(tmp_path / "kiln"), str(tmp_path / "mxnet")
    writer = mx.recordio.MXIndexedRecordIO(ours + ".idx", ours + ".rec", "w")
    positions = []
    for i, record in enumerate(RECORDS):
        writer.write_idx(i, record)
        positions.append(writer.tell())
    writer.close()
    code = """
    R = mx.recordio
    records = [bytes(r) for r in inputs["records"]]
    w = R.MXIndexedRecordIO(%r + ".idx", %r + ".rec", "w")
    pos = []
    for i, r in enumerate(records):
        w.write_idx(i, r[:int(inputs["lengths"][i])])
        pos.append(w.tell())
    w.close()
    outputs["pos"] = np.array(pos)
    r = R.MXIndexedRecordIO(%r + ".idx", %r + ".rec", "r")
    got = [r.read_idx(k) for k in reversed(r.keys)][::-1]
    outputs["read_kiln_file"] = np.array([g == records[i][:int(inputs["lengths"][i])]
                                          for i, g in enumerate(got)])
    seq = R.MXRecordIO(%r + ".rec", "r")
    outputs["sequential"] = np.array([seq.read() is not None for _ in range(len(records) + 1)])
    h = R.IRHeader(0, [1.5, 2, 3], 7, 1)
    outputs["pack/array"] = np.frombuffer(R.pack(h, b"xyz"), np.uint8)
    outputs["pack/number"] = np.frombuffer(R.pack(R.IRHeader(5, 2.5, 9, 0), b"q"), np.uint8)
    """ % (theirs, theirs, ours, ours, ours)
    width = max(len(r) for r in RECORDS)
    padded = np.array([np.frombuffer(r.ljust(width, b"\0"), np.uint8)
                       for r in RECORDS])
    want = run_mxnet(code, records=padded,
                     lengths=np.array([len(r) for r in RECORDS]))
    assert want["read_kiln_file"].all()
    assert want["sequential"].tolist() == [True] * len(RECORDS) + [False]
    assert positions == want["pos"].tolist()
    for suffix in (".rec", ".idx"):
        assert open(ours + suffix, "rb").read() == open(theirs + suffix, "rb").read()
    reader = mx.recordio.MXIndexedRecordIO(theirs + ".idx", theirs + ".rec", "r")
    assert [reader.read_idx(k) for k in reader.keys] == RECORDS
    assert reader.read() is None
    reader.reset()
    assert reader.read() == RECORDS[0]
    again = pickle.loads(pickle.dumps(reader))
    assert again.read_idx(4) == RECORDS[4]
    R = mx.recordio
    packed = R.pack(R.IRHeader(0, [1.5, 2, 3], 7, 1), b"xyz")
    assert packed == want["pack/array"].tobytes()
    assert R.pack(R.IRHeader(5, 2.5, 9, 0), b"q") == want["pack/number"].tobytes()
    header, payload = R.unpack(packed)
    assert (header.flag, header.id, header.id2, payload) == (3, 7, 1, b"xyz")
    np.testing.assert_array_equal(header.label, np.float32([1.5, 2, 3]))


def test_recordio_errors(tmp_path):
    R = mx.recordio
    with pytest.raises(MXNetError, match="cannot open.*missing.rec"):
        R.MXRecordIO(str(tmp_path / "missing.rec"), "r")
    with pytest.raises(ValueError, match="Invalid flag x"):
        R.MXRecordIO(str(tmp_path / "a.rec"), "x")
    writer = R.MXRecordIO(str(tmp_path / "a.rec"), "w")
    with pytest.raises(TypeError):
        writer.write("a str")
    with pytest.raises(AssertionError):
        writer.read()
    writer.close()
    (tmp_path / "bad.rec").write_bytes(bytes(range(8)))
    with pytest.raises(MXNetError, match="Invalid RecordIO File"):
        R.MXRecordIO(str(tmp_path / "bad.rec"), "r").read()
    (tmp_path / "cut.rec").write_bytes(MAGIC + b"\x10\0\0\0ab")
    with pytest.raises(MXNetError, match="Invalid RecordIO File.*upper_align=16"):
        R.MXRecordIO(str(tmp_path / "cut.rec"), "r").read()


def _image(rng, h, w, c=3):
    return rng.integers(0, 256, (h, w, c)).astype(np.uint8)


def _write_image_records(prefix, images, fmt=".png"):
    R = mx.recordio
    writer = R.MXIndexedRecordIO(prefix + ".idx", prefix + ".rec", "w")
    for i, image in enumerate(images):
        label = float(i) if i % 2 else [i, i + 0.5]
        # pack_img takes OpenCV's BGR order
        writer.write_idx(i, R.pack_img(R.IRHeader(0, label, i, 0),
                                       image[:, :, ::-1],
                                       quality=3 if fmt == ".png" else 90,
                                       img_fmt=fmt))
    writer.close()


@requires_oracle
def test_image_records_and_folders_match_mxnet(tmp_path):
    rng = np.random.default_rng(5)
    images = [_image(rng, 5 + i, 7 + 2 * i) for i in range(4)]
    prefix = str(tmp_path / "images")
    _write_image_records(prefix, images)
    _write_image_records(prefix + "_jpg", images, ".jpg")
    for i, image in enumerate(images):
        folder = tmp_path / "folder" / ("b" if i % 2 else "a")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ("%d.png" % i)).write_bytes(
            mx.recordio.unpack(mx.recordio.pack_img(
                (0, 0, 0, 0), image[:, :, ::-1], img_fmt=".png"))[1])
    (tmp_path / "folder" / "a" / "notes.txt").write_text("skipped")
    code = """
    import warnings
    warnings.simplefilter("ignore")
    V = mx.gluon.data.vision
    for flag, kind in [(1, ""), (0, ""), (1, "_jpg"), (0, "_jpg")]:
        d = V.ImageRecordDataset(PREFIX + kind + ".rec", flag=flag)
        outputs["rec/len"] = np.array(len(d))
        for i in range(len(d)):
            image, label = d[i]
            outputs["rec%d%s/%d" % (flag, kind, i)] = image.asnumpy()
            outputs["rec%d%s/%d/label" % (flag, kind, i)] = np.asarray(label)
    f = V.ImageFolderDataset(FOLDER)
    outputs["folder/synsets"] = np.array(f.synsets)
    outputs["folder/items"] = np.array([(os.path.basename(p), l) for p, l in f.items])
    for i in range(len(f)):
        outputs["folder/%d" % i] = f[i][0].asnumpy()
        outputs["folder/%d/label" % i] = np.array(f[i][1])
    g = V.ImageFolderDataset(FOLDER, flag=0, transform=lambda x, y: (x.astype("float32"), y))
    outputs["folder/grey"] = g[2][0].asnumpy()
    r = mx.gluon.data.RecordFileDataset(PREFIX + ".rec")
    outputs["raw/len"] = np.array(len(r))
    outputs["raw/1"] = np.frombuffer(r[1], np.uint8)
    """
    code = "import os\nPREFIX = %r\nFOLDER = %r\n" % (
        prefix, str(tmp_path / "folder")) + textwrap.dedent(code)
    got, want = run_kiln(code, mx), run_mxnet(code)
    assert_equal_outputs(got, want)  # grey (flag 0) and JPEG images too
    for i, image in enumerate(images):
        np.testing.assert_array_equal(got["rec1/%d" % i], image)


def test_pack_img_and_unpack_img_round_trip(tmp_path):
    R = mx.recordio
    rng = np.random.default_rng(2)
    bgr = _image(rng, 9, 6)
    header, back = R.unpack_img(R.pack_img(R.IRHeader(0, 1.0, 3, 0), bgr,
                                           img_fmt=".png"))
    np.testing.assert_array_equal(back, bgr)  # BGR in, BGR out, lossless
    assert header.id == 3
    _, grey = R.unpack_img(R.pack_img((0, 1.0, 0, 0), bgr[:, :, 0],
                                      img_fmt=".png"), 0)
    np.testing.assert_array_equal(grey, bgr[:, :, 0])
    smooth = np.tile(np.linspace(0, 255, 32, dtype=np.uint8)[:, None, None],
                     (1, 32, 3))
    _, jpeg = R.unpack_img(R.pack_img((0, 1.0, 0, 0), smooth, quality=95))
    assert jpeg.shape == (32, 32, 3) and np.abs(
        jpeg.astype(int) - smooth).max() < 8
    with pytest.raises(MXNetError, match="unsupported image format"):
        R.pack_img((0, 1.0, 0, 0), bgr, img_fmt=".gif")
    with pytest.raises(MXNetError, match="cannot decode"):
        R.unpack_img(R.pack((0, 1.0, 0, 0), b"not an image"))


def test_record_datasets_in_worker_processes(tmp_path):
    rng = np.random.default_rng(4)
    prefix = str(tmp_path / "w")
    _write_image_records(prefix, [_image(rng, 4, 4) for _ in range(6)])
    dataset = mx.gluon.data.vision.ImageRecordDataset(
        prefix + ".rec", transform=lambda x, y: (x.astype("float32"), y))
    batchify = lambda samples: mx.nd.stack(*[s[0] for s in samples])  # noqa: E731
    want = _batches(DataLoader(dataset, batch_size=4, batchify_fn=batchify), 1)
    got = _batches(DataLoader(dataset, batch_size=4, batchify_fn=batchify,
                              num_workers=2), 1)
    _assert_same_batches(got, want)
    raw = RecordFileDataset(prefix + ".rec")
    got = list(DataLoader(raw, batch_size=3, num_workers=1,
                          batchify_fn=lambda s: s))
    assert got == [[raw[0], raw[1], raw[2]], [raw[3], raw[4], raw[5]]]


# ---------------------------------------------------------------- transforms

TRANSFORMS = """
import random
T = mx.gluon.data.vision.transforms
img = mx.nd.array(inputs["img"], dtype="uint8")
batch = mx.nd.array(inputs["batch"], dtype="uint8")
small = mx.nd.array(inputs["small"], dtype="uint8")
cases = {
    "to_tensor": (T.ToTensor(), img),
    "to_tensor/batch": (T.ToTensor(), batch),
    "normalize": (T.Normalize((0.1, 0.2, 0.3), (0.5, 0.25, 2.0)),
                  T.ToTensor()(img)),
    "normalize/scalar": (T.Normalize(0.5, 0.25), T.ToTensor()(batch)),
    "cast": (T.Cast(), img),
    "cast/float16": (T.Cast("float16"), img),
    "resize": (T.Resize((7, 5)), img),
    "resize/int": (T.Resize(6), img),
    "resize/keep": (T.Resize(6, keep_ratio=True), img),
    "resize/nearest": (T.Resize((9, 13), interpolation=0), img),
    "resize/batch": (T.Resize((4, 3)), batch),
    "center_crop": (T.CenterCrop(5), img),
    "center_crop/wh": (T.CenterCrop((6, 4)), img),
    "center_crop/up": (T.CenterCrop((20, 30)), small),
    "crop_resize": (T.CropResize(1, 2, 5, 4), img),
    "crop_resize/size": (T.CropResize(1, 2, 5, 4, size=(3, 3), interpolation=1), img),
    "compose": (T.Compose([T.Resize(10), T.CenterCrop(8), T.ToTensor(),
                           T.Normalize(0.5, 0.2)]), img),
    "compose/float": (T.Compose([T.Cast(), T.ToTensor()]), img),
    "rotate": (T.Rotate(30), T.ToTensor()(img)),
    "rotate/zoom_in": (T.Rotate(-45, zoom_in=True), T.ToTensor()(img)),
    "rotate/zoom_out": (T.Rotate(60, zoom_out=True), T.ToTensor()(batch)),
}
for name, (t, x) in cases.items():
    out = t(x)
    outputs[name] = out.asnumpy()
# Crop parameters drawn from Python's random, rotations from numpy's:
# the same seeds give the same results in both.
random.seed(11)
crop = T.RandomResizedCrop((6, 5))
for i in range(4):
    outputs["random_resized_crop/%d" % i] = crop(img).asnumpy()
random.seed(2)
outputs["random_resized_crop/fallback"] = T.RandomResizedCrop(
    4, scale=(3.0, 4.0))(img).asnumpy()
np.random.seed(5)
outputs["random_rotation"] = T.RandomRotation((-40, 40))(T.ToTensor()(img)).asnumpy()
random.seed(1)
outputs["random_apply"] = np.stack([
    T.RandomApply(T.Cast("float64"), p=0.5)(img).asnumpy().astype(np.float64)
    for _ in range(6)])
outputs["random_apply/dtypes"] = np.array([
    str(T.RandomApply(T.Cast("float64"), p=0.5)(img).dtype) for _ in range(6)])

def err(name, f):
    try:
        f().asnumpy()
        outputs[name + "/err"] = np.array("none")
    except Exception as e:
        outputs[name + "/err"] = np.array(type(e).__name__)

err("rotate/uint8", lambda: T.Rotate(10)(img))
err("rotate/zoom_both", lambda: T.Rotate(10, zoom_in=True, zoom_out=True)(T.ToTensor()(img)))
err("random_rotation/limits", lambda: T.RandomRotation((5, 1)))
err("random_rotation/proba", lambda: T.RandomRotation((1, 5), rotate_with_proba=2))
err("crop_resize/no_interp", lambda: T.CropResize(0, 0, 2, 2, size=(1, 1))(img))
err("normalize/channels", lambda: T.Normalize((1, 2), (1, 1))(T.ToTensor()(img)))
"""

_CLOSE = {"normalize", "normalize/scalar", "to_tensor", "to_tensor/batch",
          "compose", "compose/float", "rotate", "rotate/zoom_in",
          "rotate/zoom_out", "random_rotation"}


@requires_oracle
def test_transforms_match_mxnet():
    rng = np.random.default_rng(9)
    arrays = dict(img=_image(rng, 11, 14), batch=rng.integers(
        0, 256, (2, 8, 9, 3)).astype(np.uint8), small=_image(rng, 5, 7))
    # Resizes (OpenCV's, in fixed point on uint8) match exactly.
    assert_equal_outputs(run_kiln(TRANSFORMS, mx, **arrays),
                         run_mxnet(TRANSFORMS, **arrays), close=_CLOSE)


def _flipped(out, x, axis):
    return (np.array_equal(out, x), np.array_equal(out, np.flip(x, axis)))


def test_random_transforms_by_property():
    rng = np.random.default_rng(3)
    x = _image(rng, 6, 8)
    img = mx.nd.array(x, dtype="uint8")
    T = transforms
    mx.random.seed(42)
    seen = set()
    for _ in range(24):
        same, flipped = _flipped(T.RandomFlipLeftRight()(img).asnumpy(), x, 1)
        assert same or flipped
        seen.add(flipped)
        same, flipped = _flipped(T.RandomFlipTopBottom()(img).asnumpy(), x, 0)
        assert same or flipped
    assert seen == {True, False}
    tensor = img.astype("float32") / 255  # (H, W, C), as the operators take
    ratios = []
    for _ in range(12):
        out = T.RandomBrightness(0.3)(tensor).asnumpy()
        ratio = out.sum() / tensor.asnumpy().sum()
        np.testing.assert_allclose(out, tensor.asnumpy() * ratio, rtol=1e-4)
        ratios.append(ratio)
    assert 0.7 - 1e-4 <= min(ratios) < max(ratios) <= 1.3 + 1e-4
    for t in [T.RandomContrast(0.5), T.RandomSaturation(0.5), T.RandomHue(0.3),
              T.RandomColorJitter(0.2, 0.2, 0.2, 0.1), T.RandomLighting(0.1)]:
        mx.random.seed(7)
        first = t(tensor).asnumpy()
        mx.random.seed(7)
        np.testing.assert_array_equal(t(tensor).asnumpy(), first)
        assert first.shape == (6, 8, 3) and first.dtype == np.float32
        outs = [t(tensor).asnumpy() for _ in range(3)]
        assert any(not np.array_equal(o, first) for o in outs), t
    random.seed(0)
    for _ in range(5):
        out = T.RandomResizedCrop((5, 4))(img)
        assert out.shape == (4, 5, 3) and out.dtype == np.uint8
    whole = T.RandomResizedCrop((8, 6), scale=(1, 1), ratio=(4 / 3, 4 / 3))(img)
    np.testing.assert_array_equal(whole.asnumpy(), x)


def test_transforms_in_a_worker_process():
    rng = np.random.default_rng(8)
    images = [mx.nd.array(_image(rng, 10, 12), dtype="uint8") for _ in range(5)]
    compose = transforms.Compose([transforms.Resize((6, 4)), transforms.ToTensor(),
                                  transforms.Normalize(0.5, 0.5)])
    dataset = ArrayDataset(SimpleDataset(images), np.arange(5)).transform_first(compose)
    want = _batches(DataLoader(dataset, batch_size=2), 1)  # compiles compose
    got = _batches(DataLoader(dataset, batch_size=2, num_workers=1), 1)
    _assert_same_batches(got, want)


def test_compose_keeps_random_transforms_imperative_without_warning():
    # Compose hybridizes its runs of HybridBlocks, as MXNet's does. The
    # random transforms draw their numbers on the host, which a compiled
    # graph cannot: they stay imperative blocks of their own, with no
    # warning (MXNet prints none; a hybridized run fell back with one,
    # once per DataLoader worker, that named shapes depending on values),
    # and give what the transforms give one by one under the same seed.
    img = mx.nd.array(_image(np.random.default_rng(1), 6, 8), dtype="uint8")
    steps = [transforms.RandomFlipLeftRight(), transforms.RandomBrightness(0.5),
             transforms.RandomContrast(0.3), transforms.RandomSaturation(0.3),
             transforms.RandomHue(0.1),
             transforms.RandomColorJitter(0.1, 0.1, 0.1, 0.1),
             transforms.RandomLighting(0.1), transforms.ToTensor()]
    compose = transforms.Compose(steps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mx.random.seed(11)
        got = [compose(img).asnumpy() for _ in range(3)]
    kinds = [type(block).__name__ for block in compose._children.values()]
    assert kinds == [type(step).__name__ for step in steps[:-1]] + [
        "ToTensor"], kinds
    mx.random.seed(11)
    want = []
    for _ in range(3):
        x = img
        for step in steps:
            x = step(x)
        want.append(x.asnumpy())
    for have, expected in zip(got, want):
        assert have.shape == (3, 6, 8)
        np.testing.assert_allclose(have, expected, rtol=1e-6, atol=1e-6)
    assert len({array.tobytes() for array in got}) == 3  # random per call
