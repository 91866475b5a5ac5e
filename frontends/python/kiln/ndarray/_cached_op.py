"""mx.nd.CachedOp, as MXNet 1.9.1's: a Symbol made callable on NDArrays.

    op = mx.nd.CachedOp(sym)          # flags: MXNet's (key, value) pairs
    out = op(x, w, b)                 # arrays in sym.list_inputs() order

It runs on the executors Gluon's hybridized blocks use (kiln's CachedGraph,
kiln/gluon/_cached_graph.py): one compiled program per input signature,
recorded for autograd when called under mx.autograd.record().
"""
from ..base import MXNetError
from .ndarray import NDArray

__all__ = ["CachedOp"]


class CachedOp(object):
    """sym: the Symbol; flags: MXNet's CachedOp flags as (key, value)
    pairs (static_alloc, ...: kiln's executors always plan memory, so they
    are kept but change nothing)."""

    def __init__(self, sym, flags=()):
        from ..gluon._cached_graph import CachedGraph
        self.sym = sym
        self.flags = [(str(key), str(value)) for key, value in flags]
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
