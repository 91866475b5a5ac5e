"""mx.io: data iterators, laid out as MXNet 1.9.1's mxnet.io package.

    io          DataDesc, DataBatch, DataIter, NDArrayIter, ResizeIter,
                PrefetchingIter, MXDataIter
    mnist_iter  MNISTIter (idx-ubyte files)
    csv_iter    CSVIter
    image_record_iter
                ImageRecordIter, ImageRecordUInt8Iter, ImageRecordInt8Iter
                and their _v1 forms (RecordIO image files)
    image_det_record_iter
                ImageDetRecordIter (detection records)
    libsvm_iter LibSVMIter: refuses, its batches being sparse (csr)
    native      what they share (MXNet's C++ iterators, in Python)
    utils       NDArrayIter's helpers
"""
from . import io  # noqa: F401
from .io import (DataBatch, DataDesc, DataIter, MXDataIter, NDArrayIter,
                 PrefetchingIter, ResizeIter)
from .mnist_iter import MNISTIter
from .csv_iter import CSVIter
from .image_record_iter import (ImageRecordInt8Iter, ImageRecordIter,
                                ImageRecordIter_v1, ImageRecordUInt8Iter,
                                ImageRecordUInt8Iter_v1)
from .image_det_record_iter import ImageDetRecordIter
from .libsvm_iter import LibSVMIter
from . import utils  # noqa: F401
from .utils import _getdata_by_idx, _has_instance, _init_data  # noqa: F401

__all__ = ["CSVIter", "DataBatch", "DataDesc", "DataIter", "MNISTIter",
           "MXDataIter", "NDArrayIter", "PrefetchingIter", "ResizeIter",
           "ImageRecordIter", "ImageRecordUInt8Iter", "ImageRecordInt8Iter",
           "ImageRecordIter_v1", "ImageRecordUInt8Iter_v1",
           "ImageDetRecordIter", "LibSVMIter"]
