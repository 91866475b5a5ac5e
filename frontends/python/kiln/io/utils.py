"""Helpers of NDArrayIter, as MXNet 1.9.1's mxnet/io/utils.py has them:
the canonical (name, NDArray) list of an iterator's inputs, reordering it,
slicing along the batch axis.

kiln reads no h5py.Dataset (MXNet takes one where h5py is installed) and has
no CSRNDArray storage, so both of MXNet's special cases are absent.
"""
from collections import OrderedDict

import numpy as np

from ..ndarray import NDArray, array


def _init_data(data, allow_empty, default_name):
    """Canonical form of NDArrayIter's `data` or `label`: a list of
    (name, NDArray) pairs sorted by name.

    `data` is an array (NDArray, numpy.ndarray), a list of them, a dict of
    name -> array, or None (only where `allow_empty`). One array is named
    `default_name`; the i-th of several is named '_%d_<default_name>'.
    Values that are not NDArrays are copied with mx.nd.array (numpy arrays
    become float32, as in MXNet). The caller's dict is not modified.

    Raises AssertionError for None or an empty list where not allowed, and
    TypeError for anything else that is no array, as MXNet does.
    """
    if data is None:
        assert allow_empty, "NDArrayIter: data is required (got None)"
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not allow_empty:
            assert data, "NDArrayIter: data is an empty list"
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict(("_%d_%s" % (i, default_name), d)
                               for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError("Input must be NDArray, numpy.ndarray, h5py.Dataset "
                        "a list of them or dict with them as values")
    converted = {}
    for name, value in data.items():
        if isinstance(value, NDArray):
            converted[name] = value
            continue
        try:
            converted[name] = array(value)
        except Exception:  # whatever array() refuses, MXNet reports so
            raise TypeError("Invalid type '%s' for %s, should be NDArray, "
                            "numpy.ndarray or h5py.Dataset"
                            % (type(value), name)) from None
    return sorted(converted.items())


def _has_instance(data, dtype):
    """Whether any array of `data`, a list of (name, array), is a `dtype`."""
    return any(isinstance(arr, dtype) for _, arr in data)


def _getdata_by_idx(data, idx):
    """`data`, a list of (name, NDArray), with each array's rows (axis 0)
    taken in the order of the integer array `idx`. As in MXNet the copies
    are made with mx.nd.array from numpy, so they are float32."""
    return [(name, array(arr.asnumpy()[idx], arr.context))
            for name, arr in data]


def _slice_along_batch_axis(data, s, batch_axis):
    """data[s] along `batch_axis`, for a slice `s` with a start and stop."""
    return data.slice_axis(axis=batch_axis, begin=s.start, end=s.stop)
