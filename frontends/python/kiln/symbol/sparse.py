"""mx.sym.sparse: MXNet 1.9.1's Symbol functions of the csr/row_sparse
operators. kiln stores every array densely for now, so each of them raises
MXNetError saying so, never AttributeError (as kiln/ndarray/sparse.py does
for mx.nd.sparse), except cast_storage to 'default', which MXNet computes
as a copy (dense data stays dense): a copy node named cast_storage<N>."""
from .. import _core
from ..base import MXNetError
from ..ndarray.sparse import _check_stype
from ._gen import make_symbol_operator

# MXNet 1.9.1's dir(mx.sym.sparse), less cast_storage (defined below).
_SPARSE_FUNCTIONS = [
    "ElementWiseSum", "Embedding", "FullyConnected", "LinearRegressionOutput",
    "LogisticRegressionOutput", "MAERegressionOutput", "abs",
    "adagrad_update", "adam_update", "add_n", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctanh", "broadcast_add", "broadcast_div",
    "broadcast_minus", "broadcast_mul", "broadcast_plus", "broadcast_sub",
    "cbrt", "ceil", "clip", "concat", "cos", "cosh", "degrees", "dot",
    "elemwise_add", "elemwise_div", "elemwise_mul", "elemwise_sub", "exp",
    "expm1", "fix", "floor", "ftrl_update", "gamma", "gammaln", "log",
    "log10", "log1p", "log2", "make_loss", "mean", "negative", "norm",
    "radians", "relu", "retain", "rint", "round", "rsqrt", "sgd_mom_update",
    "sgd_update", "sigmoid", "sign", "sin", "sinh", "slice", "sqrt",
    "square", "stop_gradient", "sum", "tan", "tanh", "trunc", "where",
    "zeros_like"]


def unsupported_function(qualified, module):
    """A function that raises MXNetError: `qualified` (mx.sym.sparse.dot)
    needs csr/row_sparse storage, which kiln lacks."""
    short = qualified.rpartition(".")[2]

    def unsupported(*args, **kwargs):
        raise MXNetError("%s: sparse storage (csr, row_sparse) is not "
                         "supported yet; kiln stores arrays densely (stype "
                         "'default'): use the dense operator" % qualified)

    unsupported.__name__ = unsupported.__qualname__ = short
    unsupported.__module__ = module
    unsupported.__doc__ = ("MXNet's %s works on csr/row_sparse arrays; kiln "
                           "has no sparse storage, so it raises MXNetError."
                           % qualified)
    return unsupported


for _name in _SPARSE_FUNCTIONS:
    globals()[_name] = unsupported_function("mx.sym.sparse." + _name,
                                            __name__)

_COPY = [entry for entry in _core.list_ops() if entry[0] == "_copy"][0]
_copy = make_symbol_operator(_COPY[0], _COPY[1], _COPY[2], _COPY[3],
                             "cast_storage", __name__, hint="cast_storage")


def cast_storage(data=None, stype=None, name=None, attr=None, out=None,
                 **kwargs):
    """data with storage type `stype`: for 'default' a copy of data (a
    node named cast_storage<N> unless `name`), as MXNet's is for dense
    data. MXNetError for 'csr' and 'row_sparse' (no sparse storage in
    kiln) and for any other stype, naming the valid ones as MXNet does."""
    if stype not in ("default", "csr", "row_sparse"):
        raise MXNetError("Invalid Input: %r, valid values are: {'csr', "
                         "'default', 'row_sparse'}, in operator "
                         "cast_storage(stype=%r)" % (stype, stype))
    _check_stype(stype, "mx.sym.cast_storage(stype=%r)" % (stype,))
    return _copy(data, name=name, attr=attr, **kwargs)


__all__ = _SPARSE_FUNCTIONS + ["cast_storage"]
