"""mx.test_utils' data helpers, as MXNet 1.9.1's: download (with
retries; urllib, so no third-party HTTP library is needed), download_model,
the MNIST and CIFAR-10 getters, get_zip_data, get_bz2_data,
get_mnist_iterator, get_im2rec_path and DummyIter (one batch, forever).

kiln.test_utils re-exports them. The URLs are MXNet's; the getters write
under ./data as MXNet's do and skip what is already there.
"""
import bz2
import gzip
import logging
import os
import shutil
import struct
import urllib.request
import zipfile

import numpy as np

from .io import DataIter

_MODELS = "http://data.mxnet.io/models/"
_MODEL_FILES = {
    "imagenet1k-inception-bn": "imagenet/inception-bn/Inception-BN",
    "imagenet1k-resnet-18": "imagenet/resnet/18-layers/resnet-18",
    "imagenet1k-resnet-34": "imagenet/resnet/34-layers/resnet-34",
    "imagenet1k-resnet-50": "imagenet/resnet/50-layers/resnet-50",
    "imagenet1k-resnet-101": "imagenet/resnet/101-layers/resnet-101",
    "imagenet1k-resnet-152": "imagenet/resnet/152-layers/resnet-152",
    "imagenet1k-resnext-50": "imagenet/resnext/50-layers/resnext-50",
    "imagenet1k-resnext-101": "imagenet/resnext/101-layers/resnext-101",
    "imagenet1k-resnext-101-64x4d":
        "imagenet/resnext/101-layers/resnext-101-64x4d",
    "imagenet11k-resnet-152": "imagenet-11k/resnet-152/resnet-152",
    "imagenet11k-place365ch-resnet-152":
        "imagenet-11k-place365-ch/resnet-152",
    "imagenet11k-place365ch-resnet-50": "imagenet-11k-place365-ch/resnet-50",
}
# Inception-BN's parameters are its epoch 126; the others' epoch 0.
_DEFAULT_MODELS = {
    name: {"symbol": _MODELS + path + "-symbol.json",
           "params": _MODELS + path + ("-0126.params" if "inception" in name
                                       else "-0000.params")}
    for name, path in _MODEL_FILES.items()}
_MNIST = "http://data.mxnet.io/data/mnist/"


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Downloads `url` to fname (default: the URL's last part), inside
    dirname when given (created if missing); an existing file is kept
    unless overwrite. Tries retries + 1 times, then raises the last
    error; returns the file's name."""
    assert retries >= 0, "Number of retries should be at least 0"
    if fname is None:
        fname = url.split("/")[-1]
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        logging.info("%s exists, skipping download", fname)
        return fname
    while True:
        try:
            with urllib.request.urlopen(url) as response:
                status = getattr(response, "status", 200)
                assert status == 200, "failed to open %s" % url
                with open(fname, "wb") as target:
                    shutil.copyfileobj(response, target)
            break
        except Exception:  # any failure is retried, as MXNet's
            retries -= 1
            if retries <= 0:
                raise
            print("download failed, retrying, {} attempt{} left"
                  .format(retries, "s" if retries > 1 else ""))
    logging.info("downloaded %s into %s successfully", url, fname)
    return fname


def download_model(model_name, dst_dir="./", meta_info=None):
    """Downloads a model's -symbol.json and -0000.params into dst_dir from
    meta_info ({name: {'symbol': url, 'params': url}}, default MXNet's
    ImageNet models); returns (dst_dir/model_name, 0), or (None, 0) for a
    name it does not list."""
    meta_info = dict(_DEFAULT_MODELS if meta_info is None else meta_info)
    if model_name not in meta_info:
        return (None, 0)
    if not os.path.isdir(dst_dir):
        os.mkdir(dst_dir)
    meta = dict(meta_info[model_name])
    assert "symbol" in meta, "missing symbol url"
    prefix = os.path.join(dst_dir, model_name)
    download(meta["symbol"], prefix + "-symbol.json")
    assert "params" in meta, "mssing parameter file url"
    download(meta["params"], prefix + "-0000.params")
    return (prefix, 0)


def _read_mnist(label_url, image_url):
    with gzip.open(download(label_url)) as labels:
        struct.unpack(">II", labels.read(8))
        label = np.frombuffer(labels.read(), dtype=np.int8)
    with gzip.open(download(image_url), "rb") as images:
        _, _, rows, cols = struct.unpack(">IIII", images.read(16))
        image = np.frombuffer(images.read(), dtype=np.uint8)
        image = image.reshape(len(label), 1, rows, cols)
    return label, image.astype(np.float32) / 255


def get_mnist():
    """MNIST as {'train_data', 'train_label', 'test_data', 'test_label'}:
    images (N, 1, 28, 28) float32 in [0, 1], labels int8 (downloaded into
    the current directory)."""
    train_label, train_data = _read_mnist(
        _MNIST + "train-labels-idx1-ubyte.gz",
        _MNIST + "train-images-idx3-ubyte.gz")
    test_label, test_data = _read_mnist(
        _MNIST + "t10k-labels-idx1-ubyte.gz",
        _MNIST + "t10k-images-idx3-ubyte.gz")
    return {"train_data": train_data, "train_label": train_label,
            "test_data": test_data, "test_label": test_label}


def get_mnist_pkl():
    """Downloads data/mnist.pkl.gz unless it is there."""
    os.makedirs("data", exist_ok=True)
    if not os.path.exists("data/mnist.pkl.gz"):
        download("http://deeplearning.net/data/mnist/mnist.pkl.gz",
                 dirname="data")


def _get_zip_into_data(url, expected):
    os.makedirs("data", exist_ok=True)
    if not all(os.path.exists(os.path.join("data", name))
               for name in expected):
        with zipfile.ZipFile(download(url, dirname="data")) as archive:
            archive.extractall("data")


def get_mnist_ubyte():
    """Downloads and extracts MNIST's ubyte files into ./data unless all
    four are there."""
    _get_zip_into_data("http://data.mxnet.io/mxnet/data/mnist.zip",
                       ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])


def get_cifar10():
    """Downloads and extracts CIFAR-10's .rec/.lst files into ./data/cifar
    unless they are there."""
    _get_zip_into_data("http://data.mxnet.io/mxnet/data/cifar10.zip",
                       ["cifar/train.rec", "cifar/test.rec",
                        "cifar/train.lst", "cifar/test.lst"])


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """(training, validation) MNISTIter over ./data's ubyte files
    (downloaded if missing); flat unless input_shape has 3 axes."""
    from .io import MNISTIter
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    common = dict(input_shape=input_shape, batch_size=batch_size, flat=flat,
                  num_parts=num_parts, part_index=part_index)
    train = MNISTIter(image="data/train-images-idx3-ubyte",
                      label="data/train-labels-idx1-ubyte", shuffle=True,
                      **common)
    validation = MNISTIter(image="data/t10k-images-idx3-ubyte",
                           label="data/t10k-labels-idx1-ubyte", **common)
    return train, validation


def get_zip_data(data_dir, url, data_origin_name):
    """Downloads `url` into data_dir and extracts it there, unless
    data_dir/data_origin_name exists."""
    archive_name = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(archive_name):
        download(url, dirname=data_dir, overwrite=False)
        with zipfile.ZipFile(archive_name) as archive:
            archive.extractall(path=data_dir)


def get_bz2_data(data_dir, data_name, url, data_origin_name):
    """Downloads `url` as data_dir/data_origin_name, decompresses it to
    data_dir/data_name and removes the archive, unless data_name exists."""
    data_name = os.path.join(data_dir, data_name)
    archive_name = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(data_name):
        download(url, fname=archive_name, dirname=data_dir, overwrite=False)
        with bz2.BZ2File(archive_name, "rb") as source, \
                open(data_name, "wb") as target:
            shutil.copyfileobj(source, target)
        os.remove(archive_name)


def get_im2rec_path(home_env="MXNET_HOME"):
    """The path of im2rec.py: under $home_env (else the package's folder)
    as tools/im2rec.py, or as ../../tools/im2rec.py (a source build);
    IOError when neither exists (kiln ships no im2rec tool)."""
    if home_env in os.environ:
        base = os.environ[home_env]
    else:
        base = os.path.dirname(os.path.abspath(__file__))
    for path in (os.path.join(base, "tools", "im2rec.py"),
                 os.path.join(base, "..", "..", "tools", "im2rec.py")):
        if os.path.isfile(path):
            return path
    raise IOError("Could not find path to tools/im2rec.py")


class DummyIter(DataIter):
    """An iterator that gives the first batch of `real_iter` forever (for
    timing): provide_data, provide_label and batch_size are real_iter's."""

    def __init__(self, real_iter):
        super(DummyIter, self).__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def next(self):
        """The first batch of the real iterator; never StopIteration."""
        return self.the_batch
