"""mx.nd.contrib: the registry's _contrib_* operators, named without the
prefix (MXNet's contrib.box_nms is the operator _contrib_box_nms), and
MXNet's contrib helpers that are compositions of existing operators
(isnan, isinf, isfinite).
"""
import math as _math

from .. import _op_gen

__all__ = _op_gen.populate(globals(), "contrib")


def isnan(data):
    """1 where data is NaN, else 0; data's shape and dtype."""
    return data != data


def isinf(data):
    """1 where data is +inf or -inf, else 0; data's shape and dtype."""
    return data.abs() == _math.inf


def isfinite(data):
    """1 where data is neither NaN nor infinite, else 0; data's shape and
    dtype."""
    from .op import broadcast_logical_and
    return broadcast_logical_and(data == data, data.abs() != _math.inf)


__all__ += ["isnan", "isinf", "isfinite"]
