"""Checks the detection operators (proposal.py, rotated_roi.py,
deformable_psroi.py) share, worded as MXNet 1.9.1's: the parameter checks
of dmlc fields that kiln's Params (_params.py) leaves out (``set_range``
bounds, ``set_expect_ndim`` / ``enforce_nonzero`` shapes), raised at
parse time, the dtype rule of their data and rois inputs, and MXNet's
error when their host arrays cannot be allocated."""
from ..base import MXNetError
from ._common import _FLAGS, check

__all__ = ["with_checks", "in_range", "shape_of", "data_rois_dtype",
           "host_memory"]


def data_rois_dtype(dtypes):
    """The dtype of data (dtypes[0]), None while unknown: MXNetError when
    rois (dtypes[1]) differs or it is not float16/32/64."""
    dtype = dtypes[0]
    if dtype is not None and dtypes[1] is not None:
        check(dtype == dtypes[1], "dtype == (*in_type)[1] (%d vs. %d) : "
              % (_FLAGS.get(dtype, -1), _FLAGS.get(dtypes[1], -1)))
    if dtype is not None and dtype not in ("float16", "float32", "float64"):
        raise MXNetError("This operation only support floating point types, "
                         "not %s" % dtype)
    return dtype


def _where(op_name, attrs):
    return "in operator %s(name=\"\"%s)" % (op_name, "".join(
        ", %s=\"%s\"" % item for item in sorted(attrs.items())))


def in_range(name, low, high):
    """A check: parsed.<name> within [low, high] ("value 2 for Parameter
    spatial_scale exceed bound [0,1]")."""
    def check(parsed, op_name, attrs):
        value = getattr(parsed, name)
        if not low <= value <= high:
            raise MXNetError("value %g for Parameter %s exceed bound [%g,%g], "
                             "%s" % (value, name, low, high,
                                     _where(op_name, attrs)))
    return check


def shape_of(name, ndim):
    """A check: parsed.<name> has `ndim` non-zero extents."""
    def check(parsed, op_name, attrs):
        value = getattr(parsed, name)
        text = "[%s]" % ",".join(str(size) for size in value)
        if len(value) != ndim:
            raise MXNetError("value %sfor Parameter %s has wrong dimensions, "
                             "expected dimension=%d, %s"
                             % (text, name, ndim, _where(op_name, attrs)))
        if 0 in value:
            raise MXNetError("value %sfor Parameter %s is invalid, the input "
                             "shape must be nonzero in all dimensions, %s"
                             % (text, name, _where(op_name, attrs)))
    return check


def with_checks(params, *checks):
    """params.parse followed by `checks` (functions of parsed, the
    operator's name and the attributes) on the result."""
    def parse(attrs):
        parsed = params.parse(attrs)
        for each in checks:
            each(parsed, params.op_name, attrs)
        return parsed
    return parse


def host_memory(forward):
    """`forward` raising MXNet's MXNetError "Failed to allocate CPU
    Memory" where numpy cannot allocate its arrays (an output of pooled
    size (2**20, 2**20), say) instead of numpy's MemoryError."""
    def run(*args):
        try:
            return forward(*args)
        except MemoryError:
            raise MXNetError("Failed to allocate CPU Memory")
    return run
