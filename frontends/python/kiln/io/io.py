"""Data iterators, as MXNet 1.9.1's mxnet/io/io.py: DataDesc, DataBatch,
the DataIter protocol, NDArrayIter over in-memory arrays, ResizeIter,
PrefetchingIter, and MXDataIter, the wrapper MXNet returns from its C++
iterators (MNISTIter and CSVIter; in kiln they are Python, see native.py).

    it = mx.io.NDArrayIter(np.arange(20).reshape(10, 2), np.arange(10),
                           batch_size=4, last_batch_handle='pad')
    for batch in it:          # DataBatch: data, label, pad
        print(batch.data[0].shape, batch.pad)   # (4, 2) 0, (4, 2) 0, (4, 2) 2
    it.reset()
"""
import threading
from collections import namedtuple

import numpy as np

from ..base import MXNetError, mx_real_t
from ..ndarray import array, concat, tile
from .utils import _getdata_by_idx, _init_data, _slice_along_batch_axis


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name, shape, dtype and layout of one input of a model (MXNet's
    mxnet.io.DataDesc).

    A (name, shape) namedtuple, so it compares and unpacks as one, with
    `dtype` (default numpy.float32) and `layout` (default 'NCHW': N is the
    batch axis, C channels, H and W the image axes; 'NTC' for sequences)
    as attributes.
    """

    def __new__(cls, name, shape, dtype=mx_real_t, layout="NCHW"):
        desc = super(DataDesc, cls).__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self):
        return "DataDesc[%s,%s,%s,%s]" % (self.name, self.shape, self.dtype,
                                          self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The axis of 'N' in `layout` (0 for None, -1 where there is no N:
        the whole array goes to every device)."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes, types):
        """DataDescs from `shapes`, (name, shape) pairs, with the dtypes of
        `types`, (name, dtype) pairs (every name of shapes must be there),
        or the default dtype where `types` is None."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch(object):
    """One batch from a data iterator (MXNet's mxnet.io.DataBatch).

    data: list (or tuple) of NDArrays, each with batch_size examples along
    its layout's batch axis; label: list of NDArrays or None; pad: how many
    examples at the end are filler (to be ignored in prediction); index:
    numpy array of the examples' indices, or None; bucket_key: for
    BucketingModule; provide_data / provide_label: lists of DataDesc for
    data / label. A data or label that is not a list or tuple raises
    AssertionError, as in MXNet.
    """

    def __init__(self, data, label=None, pad=None, index=None,
                 bucket_key=None, provide_data=None, provide_label=None):
        if data is not None:
            assert isinstance(data, (list, tuple)), "Data must be list of NDArrays"
        if label is not None:
            assert isinstance(label, (list, tuple)), "Label must be list of NDArrays"
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [l.shape for l in self.label] if self.label else None
        return "{}: data shapes: {} label shapes: {}".format(
            type(self).__name__, data_shapes, label_shapes)


class DataIter(object):
    """Base class of data iterators (MXNet's mxnet.io.DataIter).

    A Python iterator of DataBatch: `next()` (and `__next__`) returns the
    next batch or raises StopIteration at the end of the data; `reset()`
    goes back to the start. Subclasses implement `iter_next()` (advance,
    returning whether there was a batch) and `getdata()`, `getlabel()`,
    `getindex()`, `getpad()` for the current batch, or `next()` itself.
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Goes back to the beginning of the data."""

    def next(self):
        """The next DataBatch; StopIteration at the end of the data."""
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(),
                         pad=self.getpad(), index=self.getindex())

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Moves to the next batch; returns whether there was one."""

    def getdata(self):
        """The current batch's data, a list of NDArrays."""

    def getlabel(self):
        """The current batch's label, a list of NDArrays."""

    def getindex(self):
        """The current batch's example indices (numpy array), or None."""
        return None

    def getpad(self):
        """How many examples at the end of the current batch are padding."""


class _BatchHolder(DataIter):
    """A DataIter whose iter_next keeps the whole DataBatch in
    self.current_batch, which the getters read."""

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_BatchHolder):
    """`data_iter` cut or stretched to `size` batches per epoch (MXNet's
    mxnet.io.ResizeIter): past the end of `data_iter` it resets it and goes
    on; reset() resets `data_iter` too when `reset_internal` (default True).
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super(ResizeIter, self).__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class _Prefetcher(object):
    """One iterator read ahead by one batch on a thread of its own.

    The thread holds this object, not the PrefetchingIter, so dropping the
    PrefetchingIter stops the threads (MXNet's threads hold the iterator
    itself, which is then never freed). An error raised by the iterator
    is kept and raised to the reader instead of killing the thread."""

    def __init__(self, data_iter):
        self.data_iter = data_iter
        self.batch = None
        self.error = None
        self.running = True
        self.ready = threading.Event()  # batch (or error) is there
        self.taken = threading.Event()  # the reader wants the next one
        self.taken.set()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            self.taken.wait()
            # cleared before reading, so a stop() that comes meanwhile
            # is seen at the next wait
            self.taken.clear()
            if not self.running:
                return
            try:
                self.batch, self.error = self.data_iter.next(), None
            except StopIteration:
                self.batch, self.error = None, None
            except BaseException as error:  # handed to the reader
                self.batch, self.error = None, error
            self.ready.set()

    def stop(self):
        self.running = False
        self.taken.set()
        self.thread.join()


class PrefetchingIter(_BatchHolder):
    """Reads `iters` (a DataIter or a list of them, which must give the
    same number of batches with the same pads) ahead on one thread each
    (MXNet's mxnet.io.PrefetchingIter); each batch joins their data and
    labels in order.

    rename_data / rename_label: None, or one dict per iterator mapping its
    provide_data (provide_label) names to new names.
    An iterator that ends before the others, or gives another pad, raises
    AssertionError "Number of entry mismatches between iterators" as in
    MXNet; an error an iterator raises is raised by next().
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super(PrefetchingIter, self).__init__()
        if not isinstance(iters, list):
            iters = [iters]
        self.n_iter = len(iters)
        assert self.n_iter > 0, "PrefetchingIter: no iterator given"
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch = None
        self._prefetchers = [_Prefetcher(i) for i in iters]

    def __del__(self):
        for prefetcher in getattr(self, "_prefetchers", []):
            prefetcher.stop()

    def _renamed(self, descs_of, renames):
        if renames is None:
            return sum([descs_of(i) for i in self.iters], [])
        return sum([[DataDesc(rename[d.name], d.shape, d.dtype)
                     if isinstance(d, DataDesc) else DataDesc(*d)
                     for d in descs_of(i)]
                    for rename, i in zip(renames, self.iters)], [])

    @property
    def provide_data(self):
        return self._renamed(lambda i: i.provide_data, self.rename_data)

    @property
    def provide_label(self):
        return self._renamed(lambda i: i.provide_label, self.rename_label)

    def _wait(self):
        for prefetcher in self._prefetchers:
            prefetcher.ready.wait()
        for prefetcher in self._prefetchers:
            if prefetcher.error is not None:
                raise prefetcher.error

    def reset(self):
        for prefetcher in self._prefetchers:
            prefetcher.ready.wait()
        for i in self.iters:
            i.reset()
        for prefetcher in self._prefetchers:
            prefetcher.ready.clear()
            prefetcher.taken.set()

    def iter_next(self):
        self._wait()
        batches = [prefetcher.batch for prefetcher in self._prefetchers]
        if batches[0] is None:
            for batch in batches:
                assert batch is None, "Number of entry mismatches between iterators"
            return False
        for batch in batches:
            assert batch is not None and batch.pad == batches[0].pad, \
                "Number of entry mismatches between iterators"
        self.current_batch = DataBatch(
            sum([list(b.data) for b in batches], []),
            sum([list(b.label or []) for b in batches], []),
            batches[0].pad, batches[0].index,
            provide_data=self.provide_data, provide_label=self.provide_label)
        for prefetcher in self._prefetchers:
            prefetcher.ready.clear()
            prefetcher.taken.set()
        return True

    def next(self):
        if not self.iter_next():
            raise StopIteration
        return self.current_batch


_LAST_BATCH_HANDLES = ("pad", "discard", "roll_over")


class NDArrayIter(DataIter):
    """Batches of in-memory arrays (MXNet's mxnet.io.NDArrayIter).

    data: an NDArray or numpy.ndarray, a list of them, or a dict of name ->
    array (required). label: the same, or None (the default). One array is
    named `data_name` ('data') / `label_name` ('softmax_label'); several in
    a list are named '_0_data', '_1_data', ...; a dict's keys are the
    names; the iterator orders its arrays by name. numpy arrays become
    float32 NDArrays, as in MXNet.
    batch_size (default 1): examples per batch, along the batch axis, the
    position of 'N' in `layout` (default 'NCHW').
    shuffle (default False): permute the examples with numpy.random at
    construction and at every reset() (the arrays become float32, as in
    MXNet).
    last_batch_handle, for the examples left when batch_size does not
    divide their number:
      'pad' (default): the last batch is filled up from the start of the
          data (repeated as often as needed); its pad says how many are
          filler.
      'discard': the incomplete batch is dropped.
      'roll_over': the incomplete batch is dropped this epoch, and after
          reset() its examples start the first batch of the next epoch,
          whose pad says how many they are.

    provide_data / provide_label list a DataDesc per array, with batch_size
    at the batch axis. Errors: AssertionError for data None or [], TypeError
    for what is not an array (as MXNet); kiln also raises ValueError for a
    last_batch_handle outside the three or a batch_size below 1, and
    MXNetError for arrays of different lengths along the batch axis, where
    MXNet fails at some later batch or not at all.
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False,
                 last_batch_handle="pad", data_name="data",
                 label_name="softmax_label", layout="NCHW"):
        super(NDArrayIter, self).__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH_HANDLES:
            raise ValueError("NDArrayIter: last_batch_handle must be one of "
                             "'pad', 'discard', 'roll_over', got %r"
                             % (last_batch_handle,))
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError("NDArrayIter: batch_size must be an integer >= 1,"
                             " got %r" % (batch_size,))
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        self.layout = layout
        self._check_lengths()
        self.idx = np.arange(self.data[0][1].shape[self._batch_axis])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = batch_size
        self.cursor = -batch_size
        self.num_data = self.idx.shape[0]
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)
        # roll_over: the incomplete last batch, which starts the next epoch
        self._cache_data = None
        self._cache_label = None

    @property
    def _batch_axis(self):
        return self.layout.find("N")

    def _check_lengths(self):
        axis = self._batch_axis
        first_name, first = self.data[0]
        for name, arr in self.data + self.label:
            if arr.ndim <= axis:
                raise MXNetError(
                    "NDArrayIter: %s has shape %s, which has no batch axis %d "
                    "(layout %r)" % (name, arr.shape, axis, self.layout))
            if arr.shape[axis] != first.shape[axis]:
                raise MXNetError(
                    "NDArrayIter: %s has %d examples along the batch axis, "
                    "%s has %d; every data and label array needs the same "
                    "number" % (name, arr.shape[axis], first_name,
                                first.shape[axis]))

    def _descs(self, arrays):
        axis = self._batch_axis
        return [DataDesc(name, arr.shape[:axis] + (self.batch_size,)
                         + arr.shape[axis + 1:], arr.dtype, layout=self.layout)
                for name, arr in arrays]

    @property
    def provide_data(self):
        """A DataDesc (name, batch shape, dtype, layout) per data array."""
        return self._descs(self.data)

    @property
    def provide_label(self):
        """A DataDesc (name, batch shape, dtype, layout) per label array."""
        return self._descs(self.label)

    def hard_reset(self):
        """Back to the start, dropping any rolled-over examples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self):
        """Back to the start of the data (reshuffled where `shuffle`); with
        roll_over, after an epoch that left an incomplete batch, the next
        epoch's first batch begins with those examples."""
        if self.shuffle:
            self._shuffle_data()
        left_over = self.num_data - self.batch_size < self.cursor < self.num_data
        if self.last_batch_handle == "roll_over" and left_over:
            # cursor - num_data (negative) counts the cached examples
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        """Advances the cursor by batch_size; whether data is left there."""
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        """The next DataBatch. An incomplete last batch (discard,
        roll_over) is kept for roll_over's next epoch and ends the epoch."""
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self._batch_axis] != self.batch_size:
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _getdata(self, data_source, start=None, end=None):
        """Examples [start, end) of every array of `data_source`."""
        assert start is not None or end is not None, \
            "should at least specify start or end"
        start = 0 if start is None else start
        if end is None:
            end = data_source[0][1].shape[self._batch_axis] if data_source else 0
        return [_slice_along_batch_axis(arr, slice(start, end), self._batch_axis)
                for _, arr in data_source]

    def _concat(self, first_data, second_data):
        """Each array of first_data joined to its peer in second_data along
        the batch axis; either alone where the other is empty."""
        if not first_data or not second_data:
            return first_data if first_data else second_data
        assert len(first_data) == len(second_data), \
            "data source should contain the same size"
        return [concat(a, b, dim=self._batch_axis)
                for a, b in zip(first_data, second_data)]

    def _tile(self, data, repeats):
        """Each array repeated `repeats` times along the batch axis."""
        tiled = []
        for datum in data:
            reps = [1] * datum.ndim
            reps[self._batch_axis] = repeats
            tiled.append(tile(datum, reps))
        return tiled

    def _batchify(self, data_source):
        """The current batch of `data_source` (self.data or self.label)."""
        assert self.cursor < self.num_data, "DataIter needs reset."
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            # first batch after a roll over: the cached examples, then the
            # start of the data. getdata takes the data cache, getlabel the
            # label cache.
            assert self._cache_data is not None or self._cache_label is not None, \
                "next epoch should have cached data"
            if self._cache_data is not None:
                cached, self._cache_data = self._cache_data, None
            else:
                cached, self._cache_label = self._cache_label, None
            return self._concat(cached, self._getdata(
                data_source, end=self.cursor + self.batch_size))
        if self.last_batch_handle == "pad" and \
                self.cursor + self.batch_size > self.num_data:
            pad = self.batch_size - self.num_data + self.cursor
            first = self._getdata(data_source, start=self.cursor)
            if pad > self.num_data:  # filler longer than the data: repeat it
                second = self._tile(self._getdata(data_source, end=self.num_data),
                                    pad // self.num_data)
                if pad % self.num_data:
                    second = self._concat(second, self._getdata(
                        data_source, end=pad % self.num_data))
            else:
                second = self._getdata(data_source, end=pad)
            return self._concat(first, second)
        end = min(self.cursor + self.batch_size, self.num_data)
        return self._getdata(data_source, self.cursor, end)

    def getdata(self):
        """The current batch's data arrays."""
        return self._batchify(self.data)

    def getlabel(self):
        """The current batch's label arrays."""
        return self._batchify(self.label)

    def getpad(self):
        """Filler examples at the end of the current batch (pad), or the
        rolled-over examples at the start of an epoch's first batch
        (roll_over); else 0."""
        if self.last_batch_handle == "pad" and \
                self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self):
        """Permutes self.idx with numpy.random and reorders every array."""
        np.random.shuffle(self.idx)
        self.data = _getdata_by_idx(self.data, self.idx)
        self.label = _getdata_by_idx(self.label, self.idx)


class MXDataIter(DataIter):
    """The iterator MNISTIter and CSVIter return (MXNet's
    mxnet.io.MXDataIter, there the wrapper of a C++ iterator).

    handle: a kiln.io.native.NativeIter, the batch source. The first batch
    is read at construction (so an iterator with no full batch raises
    StopIteration there, as in MXNet) and gives provide_data and
    provide_label, one DataDesc each named `data_name` ('data') and
    `label_name` ('softmax_label'), and batch_size.
    """

    def __init__(self, handle, data_name="data", label_name="softmax_label", **_):
        super(MXDataIter, self).__init__()
        self.handle = handle
        self._debug_skip_load = False
        self._debug_at_begin = True
        self.first_batch = None
        self.first_batch = self.next()
        data = self.first_batch.data[0]
        label = self.first_batch.label[0]
        self.provide_data = [DataDesc(data_name, data.shape, data.dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, label.dtype)]
        self.batch_size = data.shape[0]

    def debug_skip_load(self):
        """From now on next() gives the current batch again, without
        reading (to time a network without its input)."""
        self._debug_skip_load = True

    def reset(self):
        self._debug_at_begin = True
        self.first_batch = None
        self.handle.before_first()

    def _current(self):
        return DataBatch(data=[self.getdata()], label=[self.getlabel()],
                         pad=self.getpad(), index=self.getindex())

    def next(self):
        if self._debug_skip_load and not self._debug_at_begin:
            return self._current()
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            return batch
        self._debug_at_begin = False
        if not self.handle.next():
            raise StopIteration
        return self._current()

    def iter_next(self):
        if self.first_batch is not None:
            return True
        return self.handle.next()

    def getdata(self):
        return array(self.handle.data, dtype=self.handle.data.dtype)

    def getlabel(self):
        return array(self.handle.label, dtype=self.handle.label.dtype)

    def getindex(self):
        index = self.handle.index
        return None if index is None or not index.size else index.copy()

    def getpad(self):
        return int(self.handle.pad)
