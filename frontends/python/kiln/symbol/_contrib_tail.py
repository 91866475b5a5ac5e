"""mx.sym.contrib functions that are not registry operators of their own:
the AdamW wrappers, group_adagrad_update, rand_zipfian, and the csr-only
operators (getnnz, edge_id, the dgl_* graph operators, SparseEmbedding).

* adamw_update, mp_adamw_update: MXNet's wrap _adamw_update and
  _mp_adamw_update, making a number rescale_grad a full((1,)) node. In
  MXNet 1.9.1 composing them always fails ('Not enough argument to call
  operator _adamw_update', as for every optimizer update symbol); kiln's
  compose, and an executor's forward gives the new weight and updates
  mean and var (and weight32) in place, as mx.nd.contrib's calls do.
* group_adagrad_update: a Python operator (kiln/_python_ops.py) whose call
  is mx.nd.contrib.group_adagrad_update: the output is the new weight and
  the history input is updated in place. MXNet 1.9.1 cannot compose it
  either (and runs it only for row_sparse gradients).
* rand_zipfian: the three symbols MXNet's composes (sampled classes int64,
  expected counts of the true and of the sampled classes float64).
* getnnz, edge_id, dgl_*, SparseEmbedding: MXNetError, sparse storage
  being unsupported (kiln/symbol/sparse.py).
"""
import math as _math

from .. import _python_ops
from .._contrib_ops._params import FLOAT, REQUIRED, Param, Params
from ..base import MXNetError
from ..ndarray import contrib as _nd_contrib
from . import _internal, random as _random, symbol as _symbol
from ._gen import make_symbol_operator
from .sparse import unsupported_function

_SPARSE_ONLY = ["getnnz", "edge_id", "dgl_adjacency",
                "dgl_csr_neighbor_non_uniform_sample",
                "dgl_csr_neighbor_uniform_sample", "dgl_graph_compact",
                "dgl_subgraph", "SparseEmbedding"]

__all__ = ["adamw_update", "mp_adamw_update", "group_adagrad_update",
           "rand_zipfian"] + _SPARSE_ONLY

for _name in _SPARSE_ONLY:
    globals()[_name] = unsupported_function("mx.sym.contrib." + _name,
                                            __name__)


def _rescale_symbol(rescale_grad):
    if isinstance(rescale_grad, _symbol.Symbol):
        return rescale_grad
    return _symbol.full(shape=(1,), val=rescale_grad)


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None,
                 name=None, **kwargs):
    """AdamW's update as a node (_adamw_update): its output is the new
    weight; mean and var are updated in place when an executor runs it.
    rescale_grad: a Symbol of shape (1,) or a number."""
    return _internal._adamw_update(
        weight, grad, mean, var, _rescale_symbol(rescale_grad), lr=lr,
        eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta,
                    beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0,
                    clip_gradient=-1, out=None, name=None, **kwargs):
    """adamw_update with a float32 master copy weight32
    (_mp_adamw_update), which is updated in place too."""
    return _internal._mp_adamw_update(
        weight, grad, mean, var, weight32, _rescale_symbol(rescale_grad),
        lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, name=name, **kwargs)


# -- group_adagrad_update: a Python operator ------------------------------
_GROUP_ADAGRAD = "_contrib_group_adagrad_update"
_GROUP_ADAGRAD_PARAMS = Params(_GROUP_ADAGRAD, [
    Param("lr", FLOAT, REQUIRED), Param("rescale_grad", FLOAT, 1.0),
    Param("clip_gradient", FLOAT, -1.0), Param("epsilon", FLOAT, 1e-5)])


def _group_adagrad_infer(parsed, shapes, dtypes):
    weight, grad, history = shapes
    if weight is not None and grad is not None and weight != grad:
        raise MXNetError("group_adagrad_update: grad has shape %s, expected "
                         "weight's shape %s" % (grad, weight))
    if weight is not None and history is not None and \
            (not history or history[0] != weight[0]):
        raise MXNetError("group_adagrad_update: history has shape %s, "
                         "expected %d rows as weight (%s)"
                         % (history, weight[0], weight))
    shape = weight or grad
    dtype = next((d for d in dtypes if d is not None), None)
    return ([(shape, dtype), (shape, dtype), (history, dtype)],
            [(shape, dtype)])


def _group_adagrad_call(parsed, inputs, out, ctx):
    weight, grad, history = inputs
    return [_nd_contrib.group_adagrad_update(weight, grad, history, out=out,
                                             **vars(parsed))]


if _python_ops.lookup(_GROUP_ADAGRAD) is None:
    _python_ops.register(
        _GROUP_ADAGRAD, infer=_group_adagrad_infer, call=_group_adagrad_call,
        inputs=["weight", "grad", "history"], params=_GROUP_ADAGRAD_PARAMS.specs,
        parse=_GROUP_ADAGRAD_PARAMS.parse, functions=False,
        doc="Group AdaGrad's update (one learning rate per row of weight), "
            "as mx.nd.contrib.group_adagrad_update: the output is the new "
            "weight; history is updated in place.")

group_adagrad_update = make_symbol_operator(
    _GROUP_ADAGRAD, ["weight", "grad", "history"],
    _GROUP_ADAGRAD_PARAMS.specs,
    _python_ops.lookup(_GROUP_ADAGRAD).doc, "group_adagrad_update", __name__,
    hint="group_adagrad_update")


def rand_zipfian(true_classes, num_sampled, range_max):
    """num_sampled classes in [0, range_max) drawn with replacement from
    the approximately log-uniform (Zipfian) distribution
    P(k) = (log(k + 2) - log(k + 1)) / log(range_max + 1), as symbols:
    (sampled classes, int64 (num_sampled,); expected count of each true
    class, float64, true_classes' shape; expected count of each sample,
    float64 (num_sampled,)). AssertionError when true_classes is no
    Symbol, as MXNet's."""
    assert isinstance(true_classes, _symbol.Symbol), \
        "unexpected type %s" % type(true_classes)
    log_range = _math.log(range_max + 1)
    rand = _random.uniform(0, log_range, shape=(num_sampled,),
                           dtype="float64")
    sampled_classes = (rand.exp() - 1).astype("int64") % range_max

    def expected_count(classes):
        classes = classes.astype("float64")
        return ((classes + 2.0) / (classes + 1.0)).log() / log_range \
            * num_sampled

    return (sampled_classes, expected_count(true_classes),
            expected_count(sampled_classes))

