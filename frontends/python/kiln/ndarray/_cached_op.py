"""mx.nd.CachedOp, as MXNet 1.9.1's: a Symbol made callable on NDArrays.

    op = mx.nd.CachedOp(sym)          # flags: MXNet's (key, value) pairs
    out = op(x, w, b)                 # arrays in sym.list_inputs() order

It runs on the executors Gluon's hybridized blocks use (kiln's CachedGraph,
kiln/gluon/_cached_graph.py): one compiled program per input signature,
recorded for autograd when called under mx.autograd.record().
"""
import re

from ..base import MXNetError
from .ndarray import NDArray

__all__ = ["CachedOp"]

_BOOL = "boolean"
_INT = "int (non-negative)"
_TUPLE = "tuple of <int (non-negative)>"
# MXNet 1.9.1's CachedOpConfig: each flag's type, default and meaning
_FLAGS = [
    ("static_alloc", _BOOL, "0", "Statically allocate memory to improve speed. "
     "Memory usage may increase."),
    ("static_shape", _BOOL, "0", "Optimize for invariant input shapes between "
     "iterations. Must also set static_alloc to True. Change of input shapes "
     "is still allowed but slower."),
    ("inline_limit", _INT, "2", "Maximum number of operators that can be "
     "inlined."),
    ("forward_bulk_size", _INT, "15", "Segment size of bulk execution during "
     "forward pass."),
    ("backward_bulk_size", _INT, "15", "Segment size of bulk execution during "
     "backward pass."),
    ("data_indices", _TUPLE, "[]", "Position of argument variables."),
    ("param_indices", _TUPLE, "[]", "Position of parameters."),
    ("is_dynamic", _BOOL, "0", "Whether the graph contains dynamic shape "
     "operators."),
]
_KINDS = {name: kind for name, kind, _, _ in _FLAGS}
_INT_RE = re.compile(r"^\s*[-+]?\d+\s*$")
_TUPLE_RE = re.compile(r"^\s*[\[(]?\s*([-+]?\d+L?\s*(,\s*[-+]?\d+L?\s*)*,?)?"
                       r"\s*[\])]?\s*$")


def _check_flag(key, value):
    """MXNetError, in MXNet's parameter parser's words, for a flag that
    CachedOpConfig does not have or a value of the wrong type."""
    if key not in _KINDS:
        listing = "\n".join("%s : %s, optional, default=%s\n    %s"
                            % flag for flag in _FLAGS)
        raise MXNetError("Cannot find argument '%s', Possible Arguments:\n"
                         "----------------\n%s\n, in operator CachedOp"
                         % (key, listing))
    kind = _KINDS[key]
    ok = {_BOOL: lambda v: v.strip().lower() in ("true", "false", "1", "0"),
          _INT: lambda v: bool(_INT_RE.match(v)),
          _TUPLE: lambda v: bool(_TUPLE_RE.match(v))}[kind](value)
    if not ok:
        raise MXNetError("Invalid Parameter format for %s expect %s but "
                         "value='%s', in operator CachedOp" % (key, kind, value))


class CachedOp(object):
    """sym: the Symbol; flags: MXNet's CachedOp flags as (key, value)
    pairs (static_alloc, ...: kiln's executors always plan memory, so they
    are kept but change nothing). MXNetError for a flag MXNet's
    CachedOpConfig lacks ("Cannot find argument") or a value of the wrong
    type ("expect boolean" ...); ValueError for items that are not pairs."""

    def __init__(self, sym, flags=()):
        from ..gluon._cached_graph import CachedGraph
        self.sym = sym
        self.flags = [(str(key), str(value)) for key, value in flags]
        for key, value in self.flags:
            _check_flag(key, value)
        self._inputs = sym.list_inputs()
        self._graph = CachedGraph(sym, self._inputs)
        self.is_np_sym = False

    def __call__(self, *args, **kwargs):
        """The outputs for `args` (NDArrays, one per sym.list_inputs()): an
        NDArray for one output, else a list; with out= (an NDArray or a
        list of them) written there and out returned. TypeError for other
        keywords, MXNetError for a wrong number of inputs."""
        out = kwargs.pop("out", None)
        kwargs.pop("default_ctx", None)
        if kwargs:
            raise TypeError("CachedOp.__call__ got unexpected keyword "
                            "argument(s): " + ", ".join(kwargs.keys()))
        if len(args) != len(self._inputs):
            raise MXNetError("CachedOp: expected %d inputs (%s), got %d"
                             % (len(self._inputs), ", ".join(self._inputs),
                                len(args)))
        for name, array in zip(self._inputs, args):
            if not isinstance(array, NDArray):
                raise TypeError("CachedOp: input '%s' expected an NDArray, "
                                "got %s" % (name, type(array).__name__))
        results = list(self._graph(list(args), [None] * len(args)))
        if out is not None:
            targets = [out] if isinstance(out, NDArray) else list(out)
            if len(targets) != len(results):
                raise MXNetError("CachedOp: out expected %d arrays, got %d"
                                 % (len(results), len(targets)))
            for target, result in zip(targets, results):
                result.copyto(target)
            return out
        return results[0] if len(results) == 1 else results
