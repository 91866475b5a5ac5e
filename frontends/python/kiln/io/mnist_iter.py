"""mx.io.MNISTIter: MNIST-format (idx-ubyte) images and labels, as MXNet
1.9.1's C++ MNISTIter (src/io/iter_mnist.cc) gives them.

    it = mx.io.MNISTIter(image="t10k-images-idx3-ubyte",
                         label="t10k-labels-idx1-ubyte", batch_size=100,
                         shuffle=False)
    batch = it.next()   # data (100, 1, 28, 28) float32 in [0, 1), label (100,)

What MXNet gives, and kiln with it:
  * data: float32 pixel / 256 (not 255), (batch_size, 1, rows, cols), or
    (batch_size, rows * cols) with flat=True; label: float32 (batch_size,);
    pad 0; index: batch_size zeros (uint64).
  * only full batches: the examples after the last one are never read.
  * shuffle (default True) permutes once, at construction, by seed
    (default 0): every epoch has the same order, the order MXNet's
    std::shuffle with std::mt19937(seed) makes.
  * num_parts / part_index read examples [int(n / num_parts * part_index),
    int(n / num_parts * (part_index + 1))).
  * a batch_size above the number of examples raises StopIteration at
    construction (MXDataIter reads the first batch there).
  * unless silent, one line on stderr says what was loaded.
Beyond MXNet: gzip-compressed files (.gz, as distributed) are read as well
(MXNet reads their compressed bytes as pixels); a file that is no idx file
of the right kind, or image and label files of different lengths, raise
MXNetError; dtype other than float32 raises MXNetError up front (MXNet
fails at the first batch).
"""
import gzip
import struct
import sys
import time

import numpy as np

from ..base import MXNetError
from .native import NativeIter, Param, PREFETCH_PARAMS, dtype_param, make_creator

_IMAGE_MAGIC = 2051  # idx3-ubyte: unsigned bytes, 3 dimensions
_LABEL_MAGIC = 2049  # idx1-ubyte


def read_idx(owner, param, path, magic):
    """The uint8 array of the idx-ubyte file at `path` (plain or
    gzip-compressed), whose magic number must be `magic`; MXNetError
    naming `owner`, `param` and the path otherwise."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise MXNetError('%s: cannot open %s file "%s": %s'
                         % (owner, param, path, error.strerror or error)) from None
    if raw[:2] == b"\x1f\x8b":  # gzip's signature, whatever the file's name
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise MXNetError('%s: %s file "%s" is a damaged gzip file: %s'
                             % (owner, param, path, error)) from None
    ndim = magic & 0xFF
    header = 4 * (1 + ndim)
    if len(raw) < header or struct.unpack(">I", raw[:4])[0] != magic:
        raise MXNetError('%s: %s file "%s" is no idx%d-ubyte file (expected '
                         'magic number %d at its start)'
                         % (owner, param, path, ndim, magic))
    dims = struct.unpack(">%dI" % ndim, raw[4:header])
    size = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header < size:
        raise MXNetError('%s: %s file "%s" is truncated: its header says %s, '
                         '%d bytes, and %d follow it'
                         % (owner, param, path, dims, size, len(raw) - header))
    return np.frombuffer(raw, np.uint8, size, header).reshape(dims)


def mt19937_shuffle(n, seed):
    """The permutation of 0..n-1 that MXNet 1.9.1's std::shuffle with
    std::mt19937(seed) makes (the libstdc++ of its Linux wheel): for i = 1
    .. n-1, swap i with j uniform in [0, i], j drawn by rejection from the
    32-bit outputs (r < past) then division (r // scaling). numpy's
    RandomState(seed) is the same Mersenne Twister, identically seeded."""
    rng = np.random.RandomState(seed & 0xFFFFFFFF)
    draws, at = [], 0
    perm = list(range(n))
    for i in range(1, n):
        bound = i + 1
        scaling = 0xFFFFFFFF // bound
        past = bound * scaling
        while True:
            if at == len(draws):
                draws, at = rng.randint(0, 2 ** 32, size=max(n, 1024),
                                        dtype=np.uint32).tolist(), 0
            r = draws[at]
            at += 1
            if r < past:
                break
        j = r // scaling
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


class MNISTSource(NativeIter):
    """The batch source of MNISTIter (see the module's docstring)."""

    NAME = "MNISTIter"
    DOC = ("Iterating on the MNIST dataset.\n\nOne can download the dataset "
           "from http://yann.lecun.com/exdb/mnist/")
    PARAMS = [
        Param("image", "string", "./train-images-idx3-ubyte",
              "Dataset Param: Mnist image path."),
        Param("label", "string", "./train-labels-idx1-ubyte",
              "Dataset Param: Mnist label path."),
        Param("batch_size", "int", 128, "Batch Param: Batch Size.", lower=1),
        Param("shuffle", "boolean", True,
              "Augmentation Param: Whether to shuffle data."),
        Param("flat", "boolean", False,
              "Augmentation Param: Whether to flat the data into 1D."),
        Param("seed", "int", 0, "Augmentation Param: Random Seed."),
        Param("silent", "boolean", False,
              "Auxiliary Param: Whether to print out data info."),
        Param("num_parts", "int", 1, "partition the data into multiple parts"),
        Param("part_index", "int", 0, "the index of the part will read"),
    ] + PREFETCH_PARAMS + [dtype_param()]

    def __init__(self, kwargs):
        super(MNISTSource, self).__init__(kwargs)
        p = self.param
        if p["dtype"] not in (None, "float32"):
            raise MXNetError("MNISTIter: dtype %s is not supported: the images "
                             "are float32" % p["dtype"])
        if p["part_index"] < 0 or p["num_parts"] <= 0 \
                or p["part_index"] >= p["num_parts"]:
            raise MXNetError("MNISTIter: part_index must be in [0, num_parts), "
                             "got part_index %d with num_parts %d"
                             % (p["part_index"], p["num_parts"]))
        images = self._part(read_idx(self.NAME, "image", p["image"], _IMAGE_MAGIC))
        labels = self._part(read_idx(self.NAME, "label", p["label"], _LABEL_MAGIC))
        if len(images) != len(labels):
            raise MXNetError('MNISTIter: image file "%s" has %d images (of this '
                             'part) but label file "%s" has %d labels'
                             % (p["image"], len(images), p["label"], len(labels)))
        if p["shuffle"]:
            order = mt19937_shuffle(len(images), p["seed"])
            images, labels = images[order], labels[order]
        self._images = images  # uint8; a batch is scaled when it is read
        self._labels = labels
        bs = p["batch_size"]
        rows, cols = images.shape[1:]
        self._shape = (bs, rows * cols) if p["flat"] else (bs, 1, rows, cols)
        self._loc = 0
        if not p["silent"]:
            shape = ("(%d,%d)" % self._shape if p["flat"] else
                     "[%s]" % ",".join(map(str, self._shape)))
            sys.stderr.write("[%s] MNISTIter: load %d images, shuffle=%d, "
                             "shape=%s\n" % (time.strftime("%H:%M:%S"), len(images),
                                             p["shuffle"], shape))

    def _part(self, array):
        """The examples of this part (num_parts, part_index), as MXNet
        splits them: in double precision, truncated."""
        count, parts, index = len(array), self.param["num_parts"], self.param["part_index"]
        return array[int(count / parts * index):int(count / parts * (index + 1))]

    def before_first(self):
        self._loc = 0

    def next(self):
        bs = self.param["batch_size"]
        if self._loc + bs > len(self._images):
            return False
        window = slice(self._loc, self._loc + bs)
        self.data = (self._images[window].astype(np.float32)
                     * np.float32(1.0 / 256)).reshape(self._shape)
        self.label = self._labels[window].astype(np.float32)
        self.index = np.zeros(bs, dtype=np.uint64)
        self.pad = 0
        self._loc += bs
        return True


MNISTIter = make_creator(MNISTSource)
