"""Vision datasets, as MXNet 1.9.1's mxnet/gluon/data/vision/datasets.py,
read from local files.

    train = FashionMNIST(root='/usr/share/datasets/fashion-mnist', train=True)
    image, label = train[0]     # NDArray (28, 28, 1) uint8, numpy.int32

MXNet downloads missing files into `root`; kiln never downloads: it reads
the files under `root` (the names MXNet uses) and, when they are missing,
raises MXNetError naming each file and the folder to put it in.
FashionMNIST with its default root also looks in
/usr/share/datasets/fashion-mnist, where Debian's dataset-fashion-mnist
package puts it. MNIST-format files may be gzip-compressed (as
distributed) or not. CIFAR10 and CIFAR100 read the binary batches
(data_batch_1.bin ... test_batch.bin; train.bin, test.bin) from `root`, its
cifar-10-batches-bin / cifar-100-binary folder, or the distributed archive
(cifar-10-binary.tar.gz / cifar-100-binary.tar.gz) in `root`, which is
unpacked there.

Images of ImageFolderDataset and ImageRecordDataset are decoded by Pillow
(kiln._image_codec) as MXNet's mx.image.imdecode decodes them (OpenCV):
(H, W, 3) RGB for flag 1, (H, W, 1) grey for flag 0, uint8 NDArrays.
"""
import os
import tarfile
import warnings

import numpy as np

from .. import dataset
from .... import _image_codec, base, nd, recordio
from ....base import MXNetError
from ....io.mnist_iter import read_idx

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100",
           "ImageRecordDataset", "ImageFolderDataset"]

_DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def imdecode(buf, flag=1):
    """The uint8 NDArray (H, W, 3) RGB (flag 1) or (H, W, 1) grey (flag 0)
    of the encoded image `buf`, as MXNet's mx.image.imdecode."""
    image = _image_codec.decode(buf, 1 if flag else 0)
    if image.ndim == 2:
        image = image[:, :, None]
    return nd.array(image, dtype=np.uint8)


def imread(filename, flag=1):
    """imdecode of the file `filename`."""
    with open(filename, "rb") as handle:
        return imdecode(handle.read(), flag)


def _missing(owner, root, names, extra=""):
    return MXNetError(
        "%s: the data set files are missing; kiln does not download them. "
        "Put %s in the folder %s (root=...)%s"
        % (owner, ", ".join(names), root, extra))


class MNIST(dataset._DownloadedDataset):
    """MNIST handwritten digits: (image, label) samples, images (28, 28, 1)
    uint8 NDArrays, labels numpy int32; transform(data, label) when given.

    Reads train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (train)
    or t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from `root`
    (also uncompressed, without .gz). MXNetError when they are missing or
    not idx files of matching lengths."""

    _default_root = os.path.join(base.data_dir(), "datasets", "mnist")
    _fallback_roots = ()

    def __init__(self, root=os.path.join(base.data_dir(), "datasets", "mnist"),
                 train=True, transform=None):
        self._train = train
        self._train_data = "train-images-idx3-ubyte.gz"
        self._train_label = "train-labels-idx1-ubyte.gz"
        self._test_data = "t10k-images-idx3-ubyte.gz"
        self._test_label = "t10k-labels-idx1-ubyte.gz"
        super(MNIST, self).__init__(root, transform)

    def _find(self, names):
        """The paths of `names` (or their uncompressed forms) in the first
        folder that holds them all."""
        roots = [self._root]
        if os.path.abspath(self._root) == os.path.abspath(
                os.path.expanduser(self._default_root)):
            roots += list(self._fallback_roots)
        for root in roots:
            paths = []
            for name in names:
                for candidate in (name, name[:-3]):
                    path = os.path.join(root, candidate)
                    if os.path.isfile(path):
                        paths.append(path)
                        break
            if len(paths) == len(names):
                return paths
        raise _missing(type(self).__name__, self._root, names)

    def _get_data(self):
        if self._train:
            names = [self._train_data, self._train_label]
        else:
            names = [self._test_data, self._test_label]
        owner = type(self).__name__
        data_file, label_file = self._find(names)
        label = read_idx(owner, "label", label_file, 2049).astype(np.int32)
        data = read_idx(owner, "image", data_file, 2051)
        if len(data) != len(label):
            raise MXNetError('%s: "%s" holds %d images and "%s" %d labels'
                             % (owner, data_file, len(data), label_file,
                                len(label)))
        data = data.reshape(len(label), data.shape[1], data.shape[2], 1)
        self._data = nd.array(data, dtype=data.dtype)
        self._label = label


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, in MNIST's format and file names (see
    MNIST); with the default root, Debian's copy in
    /usr/share/datasets/fashion-mnist serves too."""

    _default_root = os.path.join(base.data_dir(), "datasets", "fashion-mnist")
    _fallback_roots = (_DEBIAN_FASHION_MNIST,)

    def __init__(self, root=os.path.join(base.data_dir(), "datasets",
                                         "fashion-mnist"),
                 train=True, transform=None):
        super(FashionMNIST, self).__init__(root, train, transform)


class CIFAR10(dataset._DownloadedDataset):
    """CIFAR-10: (image, label) samples, images (32, 32, 3) uint8 NDArrays,
    labels numpy int32. Reads data_batch_1.bin ... data_batch_5.bin (train)
    or test_batch.bin (see the module's docstring for where)."""

    def __init__(self, root=os.path.join(base.data_dir(), "datasets", "cifar10"),
                 train=True, transform=None):
        self._train = train
        self._archive_file = "cifar-10-binary.tar.gz"
        self._archive_folder = "cifar-10-batches-bin"
        self._train_data = ["data_batch_%d.bin" % i for i in range(1, 6)]
        self._test_data = ["test_batch.bin"]
        super(CIFAR10, self).__init__(root, transform)

    # Bytes of label before each image's 3072, and which one is the label.
    _label_bytes = 1

    def _label_column(self):
        return 0

    def _read_batch(self, filename):
        row = 3072 + self._label_bytes
        with open(filename, "rb") as handle:
            raw = np.frombuffer(handle.read(), dtype=np.uint8)
        if raw.size % row:
            raise MXNetError('%s: "%s" is no %s binary batch (its size, %d '
                             'bytes, is no multiple of %d)'
                             % (type(self).__name__, filename,
                                type(self).__name__, raw.size, row))
        raw = raw.reshape(-1, row)
        return (raw[:, self._label_bytes:].reshape(-1, 3, 32, 32)
                .transpose(0, 2, 3, 1),
                raw[:, self._label_column()].astype(np.int32))

    def _folder(self, names):
        """The folder holding `names`, unpacking the archive if needed."""
        candidates = [self._root, os.path.join(self._root, self._archive_folder)]
        for folder in candidates:
            if all(os.path.isfile(os.path.join(folder, n)) for n in names):
                return folder
        archive = os.path.join(self._root, self._archive_file)
        if os.path.isfile(archive):
            with tarfile.open(archive) as tar:
                tar.extractall(self._root)
            for folder in candidates:
                if all(os.path.isfile(os.path.join(folder, n)) for n in names):
                    return folder
        raise _missing(type(self).__name__, self._root, names,
                       " (or the archive %s)" % self._archive_file)

    def _get_data(self):
        names = self._train_data if self._train else self._test_data
        folder = self._folder(names)
        data, label = zip(*(self._read_batch(os.path.join(folder, name))
                            for name in names))
        data = np.concatenate(data)
        self._data = nd.array(data, dtype=data.dtype)
        self._label = np.concatenate(label)


class CIFAR100(CIFAR10):
    """CIFAR-100: as CIFAR10, from train.bin / test.bin; labels the 20
    coarse classes, or the 100 fine ones with fine_label=True."""

    def __init__(self, root=os.path.join(base.data_dir(), "datasets", "cifar100"),
                 fine_label=False, train=True, transform=None):
        self._train = train
        self._archive_file = "cifar-100-binary.tar.gz"
        self._archive_folder = "cifar-100-binary"
        self._train_data = ["train.bin"]
        self._test_data = ["test.bin"]
        self._fine_label = fine_label
        dataset._DownloadedDataset.__init__(self, root, transform)

    _label_bytes = 2

    def _label_column(self):
        return int(bool(self._fine_label))


class ImageRecordDataset(dataset.RecordFileDataset):
    """The images of a RecordIO file (records of mx.recordio.pack_img):
    (image, label) samples, the image decoded as imdecode(flag), the label
    the header's (a float, or a float32 array)."""

    def __init__(self, filename, flag=1, transform=None):
        super(ImageRecordDataset, self).__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        record = super(ImageRecordDataset, self).__getitem__(idx)
        header, img = recordio.unpack(record)
        if self._transform is not None:
            return self._transform(imdecode(img, self._flag), header.label)
        return imdecode(img, self._flag), header.label


class ImageFolderDataset(dataset.Dataset):
    """Images in class folders, root/<class>/<image>: (image, label)
    samples, label the index of the class in `synsets` (folders sorted by
    name); `items` lists (path, label). Files other than .jpg, .jpeg and
    .png, and anything in root that is no folder, are skipped with a
    warning."""

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png"]
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn("Ignoring %s, which is not a directory." % path,
                              stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn("Ignoring %s of type %s. Only support %s" % (
                        filename, ext, ", ".join(self._exts)))
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        img = imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)
