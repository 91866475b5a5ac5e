"""mx.io: data iterators, laid out as MXNet 1.9.1's mxnet.io package.

    io          DataDesc, DataBatch, DataIter, NDArrayIter, ResizeIter,
                PrefetchingIter, MXDataIter
    mnist_iter  MNISTIter (idx-ubyte files)
    csv_iter    CSVIter
    native      what those two share (MXNet's C++ iterators, in Python)
    utils       NDArrayIter's helpers

MXNet's image-record and LibSVM iterators (ImageRecordIter, LibSVMIter,
...) are not part of kiln.
"""
from . import io  # noqa: F401
from .io import (DataBatch, DataDesc, DataIter, MXDataIter, NDArrayIter,
                 PrefetchingIter, ResizeIter)
from .mnist_iter import MNISTIter
from .csv_iter import CSVIter
from . import utils  # noqa: F401
from .utils import _getdata_by_idx, _has_instance, _init_data  # noqa: F401

__all__ = ["CSVIter", "DataBatch", "DataDesc", "DataIter", "MNISTIter",
           "MXDataIter", "NDArrayIter", "PrefetchingIter", "ResizeIter"]
