"""mx.io.CSVIter: batches of rows of CSV files, as MXNet 1.9.1's C++
CSVIter (src/io/iter_csv.cc, batched by src/io/iter_batchloader.h).

    it = mx.io.CSVIter(data_csv="data.csv", data_shape=(3,),
                       label_csv="label.csv", batch_size=2)
    batch = it.next()   # data (2, 3) float32, label (2,) float32

What MXNet gives, and kiln with it:
  * each row (blank lines skipped) is one example of data_shape (its
    product must be the row's length); data (batch_size,) + data_shape;
    label (batch_size,) where label_shape has one element (default (1,)),
    else (batch_size,) + label_shape; without label_csv the labels are 0.
  * a path that is a directory means every file in it (kiln: in name
    order).
  * dtype: None or float32 (default), int32 or int64 for data and label
    alike; integers are read as C's strtol reads them ('2.7' is 2).
  * index: the rows' numbers (uint64).
  * round_batch=True (default): the last batch is completed from the
    start of the data and its pad counts those rows; the next reset() is
    then ignored, so the next epoch goes on after them (only a full pass
    rewinds). round_batch=False: the last batch's pad counts the rows
    missing, which hold the previous batch's rows (MXNet reuses its
    buffer; kiln does the same, zeros before any batch).
Errors (MXNetError): a path that cannot be read, a row of another length
than data_shape or label_shape says, a value that is no number, fewer
label rows than data rows, a dtype other than the three, a batch_size that
round_batch cannot fill in one wrap. MXNet reports the row errors at the
batch that reaches the row; kiln reads the files at construction and
reports them there. kiln also refuses batch_size=0, which MXNet accepts
and answers with endless empty batches.
"""
import os
import re
import warnings

import numpy as np

from ..base import MXNetError
from .native import NativeIter, Param, PREFETCH_PARAMS, dtype_param, make_creator

_DTYPES = {None: np.float32, "float32": np.float32, "int32": np.int32,
           "int64": np.int64}
_LEADING_INTEGER = re.compile(r"\s*([+-]?\d+)")


def _files(owner, param, path):
    """The files `path` names: itself, or every file of a directory."""
    if os.path.isdir(path):
        return sorted(os.path.join(path, name) for name in os.listdir(path)
                      if os.path.isfile(os.path.join(path, name)))
    if not os.path.isfile(path):
        raise MXNetError('%s: cannot open %s "%s": no such file or directory'
                         % (owner, param, path))
    return [path]


def _strtol(field):
    """The integer C's strtol reads at the start of `field` (0 if none)."""
    match = _LEADING_INTEGER.match(field)
    return int(match.group(1)) if match else 0


def _load_rows(owner, param, path, dtype):
    """The rows of one CSV file as a 2-d array of `dtype` (MXNetError for
    ragged rows or a value that is no number)."""
    def load(dtype):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            return np.loadtxt(path, delimiter=",", dtype=dtype, ndmin=2,
                              comments=None)
    try:
        try:
            return load(np.float32 if dtype == np.float32 else np.int64)
        except ValueError:
            if dtype == np.float32:
                raise
        # integers written as '2.7' or '1e3': what strtol reads of each
        rows = load(str)
        return np.vectorize(_strtol, otypes=[np.int64])(rows)
    except ValueError as error:
        raise MXNetError('%s: %s "%s": %s' % (owner, param, path, error)) from None
    except OSError as error:
        raise MXNetError('%s: cannot open %s "%s": %s'
                         % (owner, param, path, error.strerror or error)) from None


def read_csv(owner, param, path, shape, dtype):
    """Every row of the CSV file(s) at `path` as an array (rows,) + shape
    of `dtype`; MXNetError where a row's length is not shape's size."""
    size = int(np.prod(shape, dtype=np.int64))
    parts = []
    for name in _files(owner, param, path):
        rows = _load_rows(owner, param, name, dtype)
        if rows.size and rows.shape[1] != size:
            raise MXNetError(
                '%s: the rows of %s "%s" have %d values, but shape %s has %d '
                '(the data size in CSV does not match the shape)'
                % (owner, param, name, rows.shape[1], shape, size))
        parts.append(rows.reshape((-1,) + tuple(shape)).astype(dtype, copy=False))
    if not parts:
        return np.zeros((0,) + tuple(shape), dtype)
    return np.concatenate(parts)


class CSVSource(NativeIter):
    """The batch source of CSVIter (see the module's docstring)."""

    NAME = "CSVIter"
    DOC = ("Returns the CSV file iterator: each row of data_csv (a file or a "
           "directory of files) is one example of shape data_shape, each "
           "row of label_csv its label (0 without label_csv).\n\nWith "
           "round_batch (the default) the last batch is completed from the "
           "start of the data and the reset() after it is ignored, so the "
           "next pass goes on from there; with round_batch=False every pass "
           "starts at the first row.")
    PARAMS = [
        Param("data_csv", "string", doc="The input CSV file or a directory path."),
        Param("data_shape", "Shape(tuple)", doc="The shape of one example."),
        Param("label_csv", "string", "NULL",
              "The input CSV file or a directory path. If NULL, all labels "
              "will be returned as 0."),
        Param("label_shape", "Shape(tuple)", (1,), "The shape of one label."),
        Param("batch_size", "int (non-negative)", doc="Batch size.", lower=1),
        Param("round_batch", "boolean", True,
              "Whether to use round robin to handle overflow batch or not."),
    ] + PREFETCH_PARAMS + [dtype_param()]

    def __init__(self, kwargs):
        super(CSVSource, self).__init__(kwargs)
        p = self.param
        if p["dtype"] not in _DTYPES:
            raise MXNetError("CSVIter: %s is not supported for CSVIter: dtype "
                             "must be float32, int32 or int64" % p["dtype"])
        dtype = _DTYPES[p["dtype"]]
        self._data = read_csv(self.NAME, "data_csv", p["data_csv"],
                              p["data_shape"], dtype)
        rows = len(self._data)
        label_shape = p["label_shape"]
        if p["label_csv"] == "NULL":
            self._label = np.zeros((rows,) + label_shape, dtype)
        else:
            self._label = read_csv(self.NAME, "label_csv", p["label_csv"],
                                   label_shape, dtype)
            if len(self._label) < rows:
                raise MXNetError('CSVIter: label_csv "%s" has %d rows, fewer '
                                 'than the %d of data_csv "%s"'
                                 % (p["label_csv"], len(self._label), rows,
                                    p["data_csv"]))
            self._label = self._label[:rows]
        if int(np.prod(label_shape, dtype=np.int64)) == 1:
            self._label = self._label.reshape(rows)
        bs = p["batch_size"]
        # one buffer per output, reused batch after batch as MXNet's
        # BatchLoader does: round_batch=False leaves stale rows in it
        self.data = np.zeros((bs,) + self._data.shape[1:], dtype)
        self.label = np.zeros((bs,) + self._label.shape[1:], dtype)
        self.index = np.zeros(bs, np.uint64)
        self._pos = 0        # the next row to read
        self._overflow = 0   # rows the last batch took from the start

    def _copy(self, top, first, count):
        """Rows [first, first + count) into buffer rows [top, top + count)."""
        rows = slice(first, first + count)
        self.data[top:top + count] = self._data[rows]
        self.label[top:top + count] = self._label[rows]
        self.index[top:top + count] = np.arange(first, first + count)

    def before_first(self):
        if not self.param["round_batch"] or self._overflow == 0:
            self._pos = 0
        else:  # the wrapped rows were this epoch's start: go on after them
            self._overflow = 0

    def next(self):
        self.pad = 0
        if self._overflow:
            return False
        bs, rows = self.param["batch_size"], len(self._data)
        top = min(bs, rows - self._pos)
        if top <= 0:
            return False
        self._copy(0, self._pos, top)
        self._pos += top
        if top == bs:
            return True
        missing = bs - top
        if not self.param["round_batch"]:
            self.pad = missing
            return True
        if missing > rows:
            raise MXNetError("CSVIter: batch_size %d needs %d rows from the "
                             "start of data_csv to complete the last batch, "
                             "which has only %d (number of input must be "
                             "bigger than batch size)" % (bs, missing, rows))
        self._copy(top, 0, missing)
        self._pos = self._overflow = self.pad = missing
        return True


CSVIter = make_creator(CSVSource)
