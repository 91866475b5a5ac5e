"""mx.nd.sparse: MXNet's csr and row_sparse storage. kiln stores every
array densely for now, so each way to make a sparse array (csr_matrix,
row_sparse_array, zeros/empty/array with a sparse stype, cast_storage or
tostype to 'csr'/'row_sparse') raises MXNetError, never AttributeError,
saying so; converting to 'default' works."""
from ..base import MXNetError

_SPARSE_STYPES = ("csr", "row_sparse")


def _unsupported(what):
    raise MXNetError("%s: sparse storage (csr, row_sparse) is not supported "
                     "yet; kiln stores arrays densely (stype 'default')" % what)


def _check_stype(stype, what):
    if stype == "default":
        return
    if stype in _SPARSE_STYPES:
        _unsupported(what)
    raise MXNetError("%s: unknown stype %r; expected 'default', 'csr' or "
                     "'row_sparse'" % (what, stype))


def cast_storage(data, stype, out=None, name=None):
    """data with storage type `stype`: a dense copy for 'default';
    MXNetError for 'csr' or 'row_sparse'."""
    _check_stype(stype, "cast_storage(stype=%r)" % (stype,))
    if out is not None:
        return data.copyto(out)
    return data.copy()


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """MXNetError: kiln has no csr storage yet."""
    _unsupported("csr_matrix")


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """MXNetError: kiln has no row_sparse storage yet."""
    _unsupported("row_sparse_array")


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """Zeros of `stype`: dense for 'default', MXNetError for a sparse one."""
    _check_stype(stype, "zeros(stype=%r)" % (stype,))
    from .ndarray import zeros as dense_zeros
    return dense_zeros(shape, ctx=ctx, dtype=dtype, **kwargs)


def empty(stype, shape, ctx=None, dtype=None):
    """An array of `stype` to be overwritten: dense for 'default',
    MXNetError for a sparse one."""
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


def array(source_array, ctx=None, dtype=None):
    """MXNetError: a sparse array (from a scipy.sparse matrix or a sparse
    NDArray) needs sparse storage."""
    _unsupported("sparse.array")


def retain(data, indices, out=None, name=None):
    """MXNetError: retain works on row_sparse arrays only."""
    _unsupported("retain")


class BaseSparseNDArray(object):
    """MXNet's base of sparse arrays; constructing one raises MXNetError."""

    def __init__(self, *args, **kwargs):
        _unsupported(type(self).__name__)


class CSRNDArray(BaseSparseNDArray):
    """A csr matrix in MXNet; constructing one raises MXNetError."""


class RowSparseNDArray(BaseSparseNDArray):
    """A row_sparse array in MXNet; constructing one raises MXNetError."""


__all__ = ["cast_storage", "csr_matrix", "row_sparse_array", "zeros", "empty",
           "array", "retain", "BaseSparseNDArray", "CSRNDArray",
           "RowSparseNDArray"]
