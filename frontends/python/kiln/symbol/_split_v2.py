"""MXNet's ``_split_v2`` graph node, behind mx.sym.split_v2.

MXNet 1.9.1's symbolic split_v2 builds one ``_split_v2`` node with the
attributes ``indices`` (the part starts, 0 first: "[0, 1, 3]", or "[]"),
``sections`` (near-equal parts as numpy's array_split when > 0; then
indices is unused), ``axis`` (default 0, negative counts from the end) and
``squeeze_axis`` (drops the axis; each part must then have extent 1).
kiln's C++ registry lacks it, so it is a Python operator
(kiln/_python_ops.py): nodes read from and written to MXNet JSON, shape
and dtype inference, and forward/backward on the host with numpy (the
gradient is the output gradients joined along the axis).

    x = mx.sym.var("x")
    parts = mx.sym.split_v2(x, 3, axis=1)      # (3, 4) -> (3,2), (3,1), (3,1)
    mx.sym._internal._split_v2(x, indices=(0, 1, 3), axis=-1)

The mx.nd functions stay kiln/ndarray's (mx.nd.split_v2 and
kiln/ndarray/_internal_extra.py's mx.nd._internal._split_v2): the
operator registers no functions; this module defines mx.sym's.
Errors are MXNet's: MXNetError for a missing indices, a bad axis, parts
out of order or past the axis, and squeeze_axis on a part wider than 1.
"""
import ast as _ast

import numpy as _np

from .. import _python_ops
from ..base import MXNetError
from ._gen import make_symbol_operator

__all__ = ["split_bounds"]

OP_NAME = "_split_v2"
# [(attribute, default)] in MXNet's order; indices is required.
_PARAMS = [("indices", None), ("axis", "0"), ("squeeze_axis", "False"),
           ("sections", "0")]


def _int_tuple(name, text):
    try:
        value = _ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = None
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, (list, tuple)) and all(
            isinstance(item, int) and not isinstance(item, bool)
            for item in value):
        return tuple(value)
    raise MXNetError("Invalid Parameter format for %s expect Shape(tuple) but "
                     "value='%s', in operator %s" % (name, text, OP_NAME))


def _int(name, text):
    try:
        return int(text)
    except ValueError:
        raise MXNetError("Invalid Parameter format for %s expect int but "
                         "value='%s', in operator %s" % (name, text, OP_NAME))


def _parse(attrs):
    """{'indices', 'axis', 'squeeze_axis', 'sections'} from MXNet's
    attribute strings; MXNetError for a missing indices or a bad value."""
    unknown = sorted(set(attrs) - {name for name, _ in _PARAMS})
    if unknown:
        raise MXNetError("Cannot find argument '%s', Possible Arguments: "
                         "indices, axis, squeeze_axis, sections, in operator "
                         "%s" % (unknown[0], OP_NAME))
    if "indices" not in attrs:
        raise MXNetError("Required parameter indices of Shape(tuple) is not "
                         "presented, in operator %s" % OP_NAME)
    squeeze = attrs.get("squeeze_axis", "False")
    if squeeze not in ("True", "False", "true", "false", "1", "0"):
        raise MXNetError("Invalid Parameter format for squeeze_axis expect "
                         "boolean but value='%s', in operator %s"
                         % (squeeze, OP_NAME))
    return {"indices": _int_tuple("indices", attrs["indices"]),
            "axis": _int("axis", attrs.get("axis", "0")),
            "squeeze_axis": squeeze in ("True", "true", "1"),
            "sections": _int("sections", attrs.get("sections", "0"))}


def _count(parsed):
    return parsed["sections"] if parsed["sections"] > 0 \
        else len(parsed["indices"])


def _interface(parsed):
    count = _count(parsed)
    outputs = ["output"] if count == 1 else \
        ["output%d" % index for index in range(count)]
    return ["data"], [], outputs, {}


def split_bounds(shape, axis, indices, sections, squeeze_axis):
    """(axis in [0, rank), [(start, stop)] of each part) of an array of
    `shape` split as MXNet's _split_v2: `sections` > 0 gives numpy
    array_split's sizes, else the parts start at `indices` (the first
    must cover the axis from 0). MXNetError as MXNet's checks."""
    rank = len(shape)
    if not -rank <= axis < rank:
        raise MXNetError("%s: axis %d is out of range for an array of rank %d"
                         % (OP_NAME, axis, rank))
    axis %= rank
    extent = shape[axis]
    if sections > 0:
        size, extra = divmod(extent, sections)
        starts = [part * size + min(part, extra) for part in range(sections)]
    else:
        starts = list(indices)
    ends = starts[1:] + [extent]
    for part, (start, stop) in enumerate(zip(starts, ends)):
        if start > stop:
            raise MXNetError("%s: start %d is not less than end %d for "
                             "subarray %d" % (OP_NAME, start, stop, part))
        if stop > extent:
            raise MXNetError("%s: end %d is no less than the size of the "
                             "axis %d" % (OP_NAME, stop, extent))
    if starts and starts[0] != 0:
        covered = list(shape)
        covered[axis] = extent - starts[0]
        raise MXNetError("%s: Shape inconsistent, Provided = %s, inferred "
                         "shape=%s" % (OP_NAME, list(shape), covered))
    if squeeze_axis:
        for start, stop in zip(starts, ends):
            if stop - start != 1:
                raise MXNetError("%s: expected axis size of 1 but got %d"
                                 % (OP_NAME, stop - start))
    return axis, list(zip(starts, ends))


def _part_shapes(parsed, shape):
    axis, bounds = split_bounds(shape, parsed["axis"], parsed["indices"],
                                parsed["sections"], parsed["squeeze_axis"])
    shapes = []
    for start, stop in bounds:
        part = list(shape)
        if parsed["squeeze_axis"]:
            del part[axis]
        else:
            part[axis] = stop - start
        shapes.append(tuple(part))
    return shapes


def _infer(parsed, shapes, dtypes):
    shape, dtype = shapes[0], dtypes[0]
    count = _count(parsed)
    if shape is None:
        outputs = [None] * count
    else:
        outputs = _part_shapes(parsed, tuple(shape))
    return [(shape, dtype)], [(part, dtype) for part in outputs]


def _forward(parsed, arrays, is_train):
    data = arrays[0]
    axis, bounds = split_bounds(data.shape, parsed["axis"], parsed["indices"],
                                parsed["sections"], parsed["squeeze_axis"])
    parts = []
    for start, stop in bounds:
        part = _np.take(data, _np.arange(start, stop), axis=axis)
        parts.append(_np.squeeze(part, axis=axis) if parsed["squeeze_axis"]
                     else part)
    return parts


def _backward(parsed, arrays, outputs, out_grads):
    data = arrays[0]
    axis, bounds = split_bounds(data.shape, parsed["axis"], parsed["indices"],
                                parsed["sections"], parsed["squeeze_axis"])
    grad = _np.zeros(data.shape, dtype=data.dtype)
    for (start, stop), part in zip(bounds, out_grads):
        region = [slice(None)] * data.ndim
        region[axis] = slice(start, stop)
        if parsed["squeeze_axis"]:
            part = _np.expand_dims(part, axis)
        grad[tuple(region)] = part
    return [grad]


_DOC = ("Splits an array along an axis into parts (MXNet's _split_v2, the "
        "node of mx.sym.split_v2).\n\nindices: the part starts, 0 first "
        "(required); sections > 0: near-equal parts instead (numpy's "
        "array_split); axis: default 0; squeeze_axis: drop the axis (parts "
        "of extent 1).")

if _python_ops.lookup(OP_NAME) is None:
    _python_ops.register(OP_NAME, infer=_infer, forward=_forward,
                         backward=_backward, inputs=["data"], params=_PARAMS,
                         parse=_parse, interface=_interface, functions=False,
                         doc=_DOC)

# mx.sym._internal._split_v2 (kiln/symbol/_internal.py re-exports it).
_split_v2 = make_symbol_operator(OP_NAME, ["data"], _PARAMS, _DOC, OP_NAME,
                                 "kiln.symbol._internal", hint=OP_NAME)
