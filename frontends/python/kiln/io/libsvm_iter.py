"""mx.io.LibSVMIter, MXNet 1.9.1's iterator over LibSVM text files
(src/io/iter_libsvm.cc), whose data batches are csr NDArrays.

kiln has no sparse storage yet, so LibSVMIter checks its keywords as
MXNet does (MXNetError for a missing or malformed one, TypeError for
positional arguments) and then raises MXNetError saying that csr batches
are not supported, in mx.nd.sparse's words; never AttributeError.
"""
from ..ndarray.sparse import _unsupported
from .native import NativeIter, PREFETCH_PARAMS, Param, dtype_param, make_creator


class _LibSVMSource(NativeIter):
    """LibSVMIter's keywords; refuses to iterate (csr batches)."""

    NAME = "LibSVMIter"
    DOC = ("Returns the LibSVM iterator which returns data with `csr` storage "
           "type (kiln: not supported, it has no csr storage yet).")
    PARAMS = [
        Param("data_libsvm", "string", doc="The input zero-base indexed LibSVM "
              "data file or a directory path."),
        Param("data_shape", "Shape(tuple)", doc="The shape of one example."),
        Param("label_libsvm", "string", "NULL", "The input LibSVM label file or "
              "a directory path. If NULL, all labels will be read from "
              "``data_libsvm``."),
        Param("label_shape", "Shape(tuple)", (1,), "The shape of one label."),
        Param("num_parts", "int", 1, "partition the data into multiple parts"),
        Param("part_index", "int", 0, "the index of the part will read"),
        Param("batch_size", "int (non-negative)", doc="Batch size.", lower=0),
        Param("round_batch", "boolean", True, "Whether to use round robin to "
              "handle overflow batch or not."),
    ] + PREFETCH_PARAMS + [dtype_param()]

    def __init__(self, kwargs):
        super(_LibSVMSource, self).__init__(kwargs)
        _unsupported("LibSVMIter (its data batches are csr arrays)")


LibSVMIter = make_creator(_LibSVMSource)

__all__ = ["LibSVMIter"]
