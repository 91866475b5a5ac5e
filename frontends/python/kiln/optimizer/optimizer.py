"""MXNet 1.9.1's optimizers (mxnet/optimizer/optimizer.py): the Optimizer base
class with its registry, and every optimizer MXNet registers.

Each optimizer calls kiln's fused update operators (mx.nd.sgd_update,
adam_update, multi_sgd_mom_update, lamb_update_phase1, ...) exactly where
MXNet's calls them, with the same arguments, and writes the remaining ones
(AdaGrad, AdaDelta, Adamax, Nadam, DCASGD, SGLD) in NDArray arithmetic in
MXNet's order, so weights and states match MXNet's step for step.

The classes live in this one module, as in MXNet, because pickles name them
by module: an optimizer MXNet pickled as mxnet.optimizer.optimizer.Adam
(Updater.get_states(dump_optimizer=True), Module's .states files) loads here,
and attribute names follow MXNet's for the same reason.

Weights are dense NDArrays (kiln has no sparse storage, so every `lazy_update`
is the dense update). Weight decay, learning-rate multipliers and update
counts follow MXNet: see Optimizer.
"""
import logging
import math
import os
import warnings

import numpy

from ..ndarray import NDArray, array, cast, clip, maximum, multiply, sqrt, square, zeros
from ..ndarray import abs as NDabs  # noqa: N812 (MXNet exports this name)
from ..ndarray import norm as NDnorm  # noqa: N812
from .. import ndarray as _nd
from ..random import normal
from ..util import is_np_array
from .updater import Updater, get_updater

__all__ = [
    "AdaDelta", "AdaGrad", "Adam", "Adamax", "DCASGD", "FTML", "Ftrl", "LARS",
    "LBSGD", "NAG", "NDabs", "Nadam", "Optimizer", "RMSProp", "SGD", "SGLD",
    "Signum", "LAMB", "Test", "Updater", "ccSGD", "create", "get_updater",
    "register",
]


def _aggregation_size(default):
    """MXNET_OPTIMIZER_AGGREGATION_SIZE: how many weights one fused multi-
    weight update takes (the Updater batches that many)."""
    return int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", str(default)))


def _zeros_like(weight, count, same_dtype=True):
    """`count` zero arrays of weight's shape and context, of its dtype or
    float32 (kiln's arrays are all dense, so MXNet's stype is 'default')."""
    dtype = weight.dtype if same_dtype else None
    return tuple(zeros(weight.shape, weight.context, dtype=dtype)
                 for _ in range(count))


def _is_half(weight):
    return weight.dtype == numpy.float16


def _warn_half(name=""):
    """MXNet's warning for float16 weights without multi_precision; `name`
    is the optimizer MXNet's message names ("SGD ", "NAG ") or none."""
    warnings.warn("Accumulating with float16 in optimizer can lead to poor "
                  "accuracy or slow convergence. Consider using "
                  "multi_precision=True option of the %soptimizer" % name)


class Optimizer(object):
    """The base class of all optimizers (mxnet.optimizer.Optimizer).

    Parameters (all optional)
    -------------------------
    rescale_grad : float, default 1.0
        Gradients are multiplied by it first (often 1 / batch_size).
    param_idx2name : dict int -> str, default None
        Names of the weights by index. Weights whose name ends in neither
        ``_weight`` nor ``_gamma`` get a weight-decay multiplier of 0
        (set_wd_mult). AssertionError when it is no dict.
    wd : float, default 0.0
        Weight decay (L2 penalty).
    clip_gradient : float, default None
        Gradients are clipped to [-clip_gradient, clip_gradient] (after
        rescaling); None or 0 does not clip.
    learning_rate : float, default None
        The learning rate; None takes lr_scheduler's, or 0.01 without one.
        Given with a scheduler, it replaces the scheduler's base_lr.
    lr_scheduler : LRScheduler, default None
        Called with the update count to give the learning rate.
    sym : Symbol, default None
        The network: its variables' ``__lr_mult__`` / ``__wd_mult__``
        attributes (sym.attr_dict(), sym.list_arguments()) seed the
        multipliers. Any object with those two methods works.
    begin_num_update : int, default 0
        The update count to start from.
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights and update that.
    param_dict : dict int -> gluon.Parameter, default None
        Parameters whose lr_mult / wd_mult override the multipliers.

    Attributes read by the Updater and trainers: `aggregate_num` (how many
    weights one update call may take; 0 = one at a time), `num_update`,
    `lr`, `wd`, `lr_mult`, `wd_mult`, `idx2name`.
    """

    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0.,
                 clip_gradient=None, learning_rate=None, lr_scheduler=None,
                 sym=None, begin_num_update=0, multi_precision=False,
                 param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if (lr_scheduler is not None and learning_rate is not None
                and lr_scheduler.base_lr != learning_rate):
            # MXNet prints (not warns) this.
            print(UserWarning("learning rate from ``lr_scheduler`` has been "
                              "overwritten by ``learning_rate`` in optimizer."))
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # Update counts per device id, then per weight index.
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        assert isinstance(param_idx2name, dict), \
            "param_idx2name should be a dict of param indexes to names."
        self.idx2name = param_idx2name.copy()
        self.sym_info = ((sym.attr_dict(), sym.list_arguments())
                         if sym is not None else ())
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = is_np_array()
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry ---------------------------------------------------------

    @staticmethod
    def register(klass):
        """Registers an Optimizer subclass under its lower-cased class name
        (warns when that replaces another); returns the class, so it works
        as a decorator."""
        assert isinstance(klass, type)
        name = klass.__name__.lower()
        known = Optimizer.opt_registry.get(name)
        if known is not None:
            warnings.warn("WARNING: New optimizer %s.%s is overriding existing "
                          "optimizer %s.%s" % (klass.__module__, klass.__name__,
                                               known.__module__, known.__name__))
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An instance of the optimizer registered as `name` (any case), made
        with kwargs. ValueError for a name not registered."""
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise ValueError("Cannot find optimizer %s (registered: %s)"
                             % (name, ", ".join(sorted(Optimizer.opt_registry))))
        return klass(**kwargs)

    # -- learning rate and multipliers --------------------------------------

    @property
    def learning_rate(self):
        """The current learning rate: the scheduler's at num_update, else lr."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Sets lr. UserWarning (raised, as MXNet) when a scheduler is set."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been "
                              "defined. Note that set_learning_rate can mutate "
                              "the value of the learning rate of the optimizer "
                              "only when the LRScheduler of the optimizer is "
                              "undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):  # noqa: ARG002
        """Deprecated in MXNet: raises DeprecationWarning; use set_lr_mult."""
        raise DeprecationWarning

    def _sym_mults(self, key):
        """{argument name: float(attr[key])} for the sym's variables that
        carry `key` (``__lr_mult__`` or ``__wd_mult__``)."""
        if not self.sym_info:
            return {}
        attrs, arg_names = self.sym_info
        return {name: float(attrs[name][key]) for name in arg_names
                if name in attrs and key in attrs[name]}

    def set_lr_mult(self, args_lr_mult):
        """Sets the learning-rate multipliers: the sym's ``__lr_mult__``
        attributes, then `args_lr_mult` (dict of name or index -> float)."""
        self.lr_mult = self._sym_mults("__lr_mult__")
        self.lr_mult.update(args_lr_mult)

    def _no_decay_suffixes(self):
        """Weight names ending in one of these keep weight decay."""
        return ("_weight", "_gamma")

    def set_wd_mult(self, args_wd_mult):
        """Sets the weight-decay multipliers: 0 for each name in
        param_idx2name that ends in neither ``_weight`` nor ``_gamma``
        (biases, beta, moving statistics), then the sym's ``__wd_mult__``
        attributes, then `args_wd_mult` (dict of name or index -> float)."""
        suffixes = self._no_decay_suffixes()
        self.wd_mult = {name: 0.0 for name in self.idx2name.values()
                        if not name.endswith(suffixes)}
        self.wd_mult.update(self._sym_mults("__wd_mult__"))
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        """Counts updates for device `device_id` from now on."""
        counts = self._all_index_update_counts.setdefault(device_id, {})
        self._index_update_count = counts

    def _update_count(self, index):
        """Counts one more update of each index (an int or a list of them);
        num_update becomes the largest count."""
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _multiplied(self, base, indices, table, attr):
        """base times each index's multiplier: the param_dict Parameter's
        `attr`, else table[index], else table[its name], else 1."""
        values = []
        for index in indices:
            value = base
            if index in self.param_dict:
                value *= getattr(self.param_dict[index], attr)
            elif index in table:
                value *= table[index]
            elif index in self.idx2name:
                value *= table.get(self.idx2name[index], 1.0)
            values.append(value)
        return values

    def _get_lrs(self, indices):
        """The learning rate of each index (scheduler or lr, times lr_mult)."""
        return self._multiplied(self.learning_rate, indices, self.lr_mult,
                                "lr_mult")

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        """The weight decay of each index (wd times wd_mult)."""
        return self._multiplied(self.wd, indices, self.wd_mult, "wd_mult")

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # -- states and updates -------------------------------------------------

    def create_state(self, index, weight):
        """The auxiliary state of a weight (momentum, moments, ...); None
        here. Called once per weight."""
        return None

    def create_state_multi_precision(self, index, weight):
        """create_state, with a float32 master copy for float16 weights under
        multi_precision: then (master copy, create_state(master copy))."""
        if self.multi_precision and _is_half(weight):
            master = weight.astype(numpy.float32)
            return (master, self.create_state(index, master))
        if _is_half(weight):
            _warn_half()
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Updates `weight` (NDArray) in place from `grad` and `state`."""
        raise NotImplementedError()

    def update_multi_precision(self, index, weight, grad, state):
        """update, through the float32 master copy for float16 weights under
        multi_precision (the weight then gets the copy cast back)."""
        if self.multi_precision and _is_half(weight):
            master, inner = state
            self.update(index, master, grad.astype(numpy.float32), inner)
            cast(master, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    def _fused_kwargs(self, clip_key="clip_gradient", **extra):
        """The fused update ops' common arguments: rescale_grad, and the
        clip bound when one is set (as MXNet, 0 and None do not clip)."""
        kwargs = {"rescale_grad": self.rescale_grad}
        kwargs.update(extra)
        if self.clip_gradient:
            kwargs[clip_key] = self.clip_gradient
        return kwargs

    def _rescaled_clipped(self, grad):
        """rescale_grad * grad, clipped when clip_gradient is not None."""
        return self._clipped(grad * self.rescale_grad)

    def _decayed_clipped(self, grad, wd, weight):
        """rescale_grad * grad + wd * weight, clipped when clip_gradient is
        not None (Adamax's and Nadam's order)."""
        return self._clipped(grad * self.rescale_grad + wd * weight)

    def _clipped(self, grad):
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        return grad

    def _start(self, index, weight, grad):
        """Counts the update of one weight; its (lr, wd)."""
        _check_arrays([weight], [grad])
        self._update_count(index)
        return self._get_lr(index), self._get_wd(index)

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["param_dict"]  # Parameters are the trainer's to set again
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


def _sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision,
              mom_ops=("sgd_mom_update", "mp_sgd_mom_update"), **extra):
    """One weight's SGD-family update: state is the momentum (or None), or
    under multi_precision (momentum or None, float32 master copy)."""
    if multi_precision:
        mom, master = state
        if mom is not None:
            getattr(_nd, mom_ops[1])(weight, grad, mom, master, out=weight,
                                     lr=lr, wd=wd, **kwargs)
        else:
            _nd.mp_sgd_update(weight, grad, master, out=weight, lr=lr, wd=wd,
                              **kwargs)
    elif state is not None:
        getattr(_nd, mom_ops[0])(weight, grad, state, out=weight, lr=lr, wd=wd,
                                 **extra, **kwargs)
    else:
        _nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **extra,
                       **kwargs)


def _multi_sgd(weights, grads, states, momentum, multi_precision, lrs, wds,
               kwargs, preloaded=False):
    """One fused update of several weights: multi_[mp_]sgd[_mom]_update with
    lrs/wds lists, or the preloaded_ forms with lrs/wds NDArrays."""
    data = []
    for weight, grad, state in zip(weights, grads, states):
        data += [weight, grad]
        if multi_precision:
            data += [state[0], state[1]] if momentum else [state[1]]
        elif momentum:
            data.append(state)
    name = "%smulti_%ssgd_%supdate" % ("preloaded_" if preloaded else "",
                                       "mp_" if multi_precision else "",
                                       "mom_" if momentum else "")
    if preloaded:
        getattr(_nd, name)(*(data + [lrs, wds]), out=weights,
                           num_weights=len(weights), **kwargs)
    else:
        getattr(_nd, name)(*data, out=weights, num_weights=len(weights),
                           lrs=lrs, wds=wds, **kwargs)


def _as_lists(indices, weights, grads, states):
    if isinstance(indices, (tuple, list)):
        return indices, weights, grads, states
    return [indices], [weights], [grads], [states]


def _check_arrays(weights, grads):
    for weight, grad in zip(weights, grads):
        assert isinstance(weight, NDArray)
        assert isinstance(grad, NDArray)


class _UpdateImpl(object):
    """update and update_multi_precision through _update_impl(index,
    weight, grad, state, multi_precision), which takes lists as well: the
    master copy is used for float16 (first) weights under multi_precision."""

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        first = weight[0] if isinstance(index, (tuple, list)) else weight
        self._update_impl(index, weight, grad, state,
                          multi_precision=self.multi_precision and _is_half(first))


class _MasterCopyFirst(_UpdateImpl):
    """create_state_multi_precision for optimizers that put the momentum
    first: (create_state(master copy), master copy)."""

    _warning_name = "SGD "

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and _is_half(weight):
            master = weight.astype(numpy.float32)
            return (self.create_state(index, master), master)
        if _is_half(weight):
            _warn_half(self._warning_name)
        return self.create_state(index, weight)


@register
class SGD(_MasterCopyFirst, Optimizer):
    """SGD with momentum and weight decay (sgd_update, sgd_mom_update and
    their mp_ / multi_ forms)::

        state = momentum * state + lr * (rescale_grad * clip(grad) + wd * weight)
        weight = weight - state

    momentum : float, default 0.0 (0: no state).
    lazy_update : bool, default True (sparse only; kiln's updates are dense).
    multi_precision : float32 master copy of float16 weights; the state is
        then (momentum or None, master copy).
    Given lists of indices/weights/grads/states (the Updater batches
    MXNET_OPTIMIZER_AGGREGATION_SIZE, default 4), one multi_sgd_* op
    updates them all.
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super(SGD, self).__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size(4)

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return _zeros_like(weight, 1)[0]

    def _update_impl(self, indices, weights, grads, states,
                     multi_precision=False):
        indices, weights, grads, states = _as_lists(indices, weights, grads,
                                                    states)
        _check_arrays(weights, grads)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        extra = {"momentum": self.momentum} if self.momentum > 0 else {}
        kwargs = self._fused_kwargs(**extra)
        # Dense weights and grads always aggregate (MXNet's sparse ones don't).
        _multi_sgd(weights, grads, states, self.momentum > 0, multi_precision,
                   lrs, wds, kwargs)


@register
class Signum(Optimizer):
    """signSGD / Signum (signsgd_update, signum_update)::

        state = momentum * state + (1 - momentum) * (rescale_grad * clip(grad) + wd * weight)
        weight = (1 - lr * wd_lh) * weight - lr * sign(state)

    learning_rate : default 0.01. momentum : default 0.9 (0: signSGD, no
    state). wd_lh : decoupled weight decay, default 0.0.
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super(Signum, self).__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return _zeros_like(weight, 1)[0]

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        kwargs = self._fused_kwargs()
        if self.momentum > 0:
            kwargs["momentum"] = self.momentum
        if self.wd_lh:
            kwargs["wd_lh"] = self.wd_lh
        if state is not None:
            _nd.signum_update(weight, grad, state, out=weight, lr=lr, wd=wd,
                              **kwargs)
        else:
            _nd.signsgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)


@register
class FTML(Optimizer):
    """FTML, Follow the Moving Leader (ftml_update); the state is
    (d, v, z), zeros of the weight's dtype.

    beta1 : default 0.6. beta2 : default 0.999. epsilon : default 1e-8.
    """

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super(FTML, self).__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return _zeros_like(weight, 3)

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        kwargs = self._fused_kwargs(
            clip_key="clip_grad", beta1=self.beta1, beta2=self.beta2,
            epsilon=self.epsilon, t=self._index_update_count[index])
        d, v, z = state
        _nd.ftml_update(weight, grad, d, v, z, out=weight, lr=lr, wd=wd,
                        **kwargs)


def _lars_exempt(name):
    """LARS leaves biases and normalization parameters at the plain lr."""
    return name.endswith(("gamma", "beta", "bias"))


@register
class LARS(_MasterCopyFirst, Optimizer):
    """LARS, layer-wise adaptive rate scaling: SGD whose lr is scaled per
    weight by eta * |w| / (|g| + wd * |w| + eps) (when both norms are
    positive), except weights named ...gamma, ...beta or ...bias.

    momentum : default 0.0. lazy_update : default True. eta : default 0.001.
    eps : default 0. momentum_correction : default True, scales the
    momentum by the lr's change between updates (under a scheduler).
    Batches of weights (the Updater's) use multi_sum_sq, multi_lars and the
    preloaded_multi_sgd_* ops; single weights compute the norms directly.
    """

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super(LARS, self).__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size(4)
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        # Remember this lr and the previous one for momentum_correction.
        base = self.learning_rate
        self.last_lr = base if self.cur_lr is None else self.cur_lr
        self.cur_lr = base
        return self._multiplied(base, indices, self.lr_mult, "lr_mult")

    def _no_decay_suffixes(self):
        return ("_weight",)

    create_state = SGD.create_state

    def _l2norm(self, v, rescale=False):
        v = v.astype("float32")
        if rescale:
            v *= self.rescale_grad
        return NDnorm(v).asnumpy()[0]

    def _get_lars(self, i, weight, g, lr, wd):
        """The scaled lr of one weight."""
        name = self.idx2name.get(i, str(i))
        if _lars_exempt(name):
            return lr
        w_norm = self._l2norm(weight)
        g_norm = self._l2norm(g, rescale=True)
        if w_norm > 0.0 and g_norm > 0.0:
            return self.eta * w_norm / (g_norm + wd * w_norm + self.eps) * lr
        return lr

    def _update_impl(self, indices, weights, grads, states,
                     multi_precision=False):
        indices, weights, grads, states = _as_lists(indices, weights, grads,
                                                    states)
        _check_arrays(weights, grads)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        kwargs = self._fused_kwargs()
        if self.momentum > 0:
            corrected = self.momentum_correction and self.last_lr != 0
            kwargs["momentum"] = (self.momentum * (self.cur_lr / self.last_lr)
                                  if corrected else self.momentum)
        # Dense weights and grads always aggregate (MXNet's sparse ones don't).
        names = [self.idx2name.get(i, str(i)) for i in indices]
        scaled = [k for k in range(len(indices)) if not _lars_exempt(names[k])]
        order = scaled + [k for k in range(len(indices)) if _lars_exempt(names[k])]
        context = weights[0].context
        new_lrs = array([lrs[k] for k in order], ctx=context, dtype="float32")
        new_wds = array([wds[k] for k in order], ctx=context, dtype="float32")
        weights = [weights[k] for k in order]
        grads = [grads[k] for k in order]
        states = [states[k] for k in order]
        count = len(scaled)
        if count:
            w_sum_sq = _nd.multi_sum_sq(*weights[:count], num_arrays=count)
            g_sum_sq = _nd.multi_sum_sq(*grads[:count], num_arrays=count)
            _nd.multi_lars(new_lrs[:count], w_sum_sq, g_sum_sq, new_wds[:count],
                           eta=self.eta, eps=self.eps,
                           rescale_grad=self.rescale_grad, out=new_lrs[:count])
        step = self.aggregate_num
        for start in range(0, len(indices), step):
            stop = min(start + step, len(indices))
            _multi_sgd(weights[start:stop], grads[start:stop],
                       states[start:stop], self.momentum > 0, multi_precision,
                       new_lrs[start:stop], new_wds[start:stop], kwargs,
                       preloaded=True)


@register
class LBSGD(Optimizer):
    """Large-batch SGD: gradients summed over `batch_scale` calls, then one
    SGD step with the lr scaled by a warmup schedule or LARS.

    momentum : default 0.0. multi_precision : default False.
    warmup_strategy : 'linear' (default), 'power2', 'sqrt' or 'lars'.
    warmup_epochs : default 5. batch_scale : default 1.
    updates_per_epoch : default 32. begin_epoch : default 0.
    num_epochs : default 60.
    Calls between steps leave the weight as it is (an sgd_update with lr 0).
    """

    def __init__(self, momentum=0.0, multi_precision=False,
                 warmup_strategy="linear", warmup_epochs=5, batch_scale=1,
                 updates_per_epoch=32, begin_epoch=0, num_epochs=60, **kwargs):
        super(LBSGD, self).__init__(**kwargs)
        logging.info("Running Large-Batch SGD Algorithm")
        logging.info("(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, "
                     "updates_per_epoch=%d)", batch_scale, warmup_epochs,
                     warmup_strategy, updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index, weight):
        momentum = None
        if self.multi_precision and _is_half(weight):
            master = array(weight, ctx=weight.context, dtype=numpy.float32)
            if self.momentum != 0.0:
                momentum = zeros(weight.shape, weight.context,
                                 dtype=numpy.float32, stype=weight.stype)
            return (momentum, master)
        if _is_half(weight) and not self.multi_precision:
            _warn_half("SGD ")
        if self.momentum != 0.0:
            momentum = zeros(weight.shape, weight.context, dtype=weight.dtype,
                             stype=weight.stype)
        return momentum

    def _get_lbmult(self, nup):
        """The warmup's lr factor after `nup` accumulated gradients."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        ramp = {"linear": lambda: nup / nwup,
                "power2": lambda: (nup * nup) / (nwup * nwup),
                "sqrt": lambda: math.sqrt(float(nup) / nwup)}
        if self.warmup_strategy not in ramp:
            return 1.0
        return 1.0 + (maxmult - 1) * ramp[self.warmup_strategy]()

    def _get_lars(self, weight, g, wd):
        """LARS's factor sqrt(|w|^2 / (|g|^2 + wd |w|^2)), within [0.01, 100]."""
        weight2 = self._l2norm(weight)
        grad2 = self._l2norm(g)
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100)

    def _l2norm(self, v):
        """The squared L2 norm (as MXNet's, despite the name)."""
        return multiply(v, v).asnumpy().sum()

    def _reset_cum_gradient(self, index):
        self.cumgrads[index]["cum_grad"] = 0

    def _get_cum_gradient(self, index):
        return self.cumgrads.get(index, {})

    def _put_cum_gradient(self, index, cgrad):
        self.cumgrads[index] = cgrad

    def _cumulate_gradient(self, grad, index):
        """Adds grad to the index's sum; counts from init_updates + 1."""
        cgrad = self._get_cum_gradient(index)
        if cgrad and cgrad["num_cums"] > 0:
            cgrad = {"cum_grad": cgrad["cum_grad"] + grad,
                     "num_cums": cgrad["num_cums"] + 1}
        else:
            cgrad = {"cum_grad": grad, "num_cums": self.init_updates + 1}
        self._put_cum_gradient(index, cgrad)
        return cgrad

    def update(self, index, weight, grad, state):
        _check_arrays([weight], [grad])
        # MXNet reads lr and wd before counting this update.
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad["num_cums"] % self.batch_scale != 0:
            _nd.sgd_update(weight, grad, out=weight, lr=0.0, wd=wd)
            return
        grad = cgrad["cum_grad"] / self.batch_scale
        if self.warmup_strategy == "lars":
            lr *= self._get_lars(weight, grad, wd)
        else:
            lr *= self._get_lbmult(cgrad["num_cums"])
        kwargs = self._fused_kwargs()
        if self.momentum > 0:
            kwargs["momentum"] = self.momentum
        _sgd_step(weight, grad, state, lr, wd, kwargs,
                  isinstance(state, (list, tuple)))
        self._reset_cum_gradient(index)


@register
class LAMB(_UpdateImpl, Optimizer):
    """LAMB (lamb_update_phase1/2, mp_ forms; batches through
    contrib.multi_lamb_update / multi_mp_lamb_update); the state is
    (mean, var) of the weight's dtype.

    learning_rate : default 0.001. beta1 : 0.9. beta2 : 0.999.
    epsilon : 1e-6. lower_bound, upper_bound : bounds of the trust ratio,
    default None. bias_correction : default True.
    aggregate_num : MXNET_OPTIMIZER_AGGREGATION_SIZE within [1, 45],
    default 45.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999,
                 epsilon=1e-6, lower_bound=None, upper_bound=None,
                 bias_correction=True, **kwargs):
        super(LAMB, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, _aggregation_size(45)))

    def create_state(self, index, weight):
        return _zeros_like(weight, 2)

    def _bounds(self):
        bounds = {}
        if self.lower_bound:
            bounds["lower_bound"] = self.lower_bound
        if self.upper_bound:
            bounds["upper_bound"] = self.upper_bound
        return bounds

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        kwargs = {"beta1": self.beta1, "beta2": self.beta2,
                  "epsilon": self.epsilon,
                  "bias_correction": self.bias_correction,
                  "rescale_grad": self.rescale_grad}
        batched = isinstance(index, (tuple, list))
        if self.aggregate_num <= 1 or not batched:
            if batched:
                assert len(index) == self.aggregate_num
                index, weight, grad, state = index[0], weight[0], grad[0], state[0]
            self._update_one(index, weight, grad, state, multi_precision, kwargs)
            return
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        kwargs.update(self._bounds())
        steps, lrs, wds = [], [], []
        _check_arrays(weight, grad)
        for i in index:
            self._update_count(i)
            steps.append(self._index_update_count[i])
            lrs.append(self._get_lr(i))
            wds.append(self._get_wd(i))
        for start in range(0, len(weight), self.aggregate_num):
            part = slice(start, min(start + self.aggregate_num, len(weight)))
            common = dict(out=weight[part], step_count=steps[part],
                          lrs=lrs[part], wds=wds[part], **kwargs)
            if multi_precision:
                masters = [s[0] for s in state[part]]
                mean = [s[1][0] for s in state[part]]
                var = [s[1][1] for s in state[part]]
                _nd.contrib.multi_mp_lamb_update(weight[part], grad[part],
                                                 mean, var, masters, **common)
            else:
                mean = [s[0] for s in state[part]]
                var = [s[1] for s in state[part]]
                _nd.contrib.multi_lamb_update(weight[part], grad[part], mean,
                                              var, **common)

    def _update_one(self, index, weight, grad, state, multi_precision, kwargs):
        lr, wd = self._start(index, weight, grad)
        kwargs["t"] = self._index_update_count[index]
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        if multi_precision:
            master, (mean, var) = state
            g = _nd.mp_lamb_update_phase1(weight, grad, mean, var, master,
                                          wd=wd, **kwargs)
            _nd.mp_lamb_update_phase2(weight, g, master.norm(), g.norm(),
                                      master, lr=lr, out=weight,
                                      **self._bounds())
        else:
            mean, var = state
            g = _nd.lamb_update_phase1(weight, grad, mean, var, wd=wd, **kwargs)
            _nd.lamb_update_phase2(weight, g, weight.norm(), g.norm(), lr=lr,
                                   out=weight, **self._bounds())


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD; the state is (momentum or None,
    the previous weight)::

        step = -lr * (g + wd * w + lamda * g * g * (w - w_prev))
        w_prev = w; w += step

    momentum : default 0.0. lamda : default 0.04. As in MXNet 1.9.1, a
    nonzero momentum fails (its state is tested for truth: ValueError for
    more than one element, AssertionError for one zero).
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super(DCASGD, self).__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = None
        if self.momentum != 0.0:
            mom = _zeros_like(weight, 1)[0]
        return (mom, weight.copy())

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        grad = self._rescaled_clipped(grad)
        mom, previous = state
        step = -lr * (grad + wd * weight
                      + self.lamda * grad * grad * (weight - previous))
        if mom:
            mom[:] *= self.momentum
            mom[:] += step
        else:
            assert self.momentum == 0.0
            mom = step
        previous[:] = weight
        weight[:] += mom


@register
class NAG(_MasterCopyFirst, Optimizer):
    """Nesterov accelerated gradient (nag_mom_update, mp_nag_mom_update;
    sgd_update without momentum)::

        state = momentum * state + grad + wd * weight
        weight = weight - lr * (grad + momentum * state)

    momentum : default 0.0. multi_precision as SGD's.
    """

    _warning_name = "NAG "

    def __init__(self, momentum=0.0, **kwargs):
        super(NAG, self).__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return _zeros_like(weight, 1)[0]

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        lr, wd = self._start(index, weight, grad)
        kwargs = self._fused_kwargs()
        if self.momentum > 0:
            kwargs["momentum"] = self.momentum
        _sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision,
                  mom_ops=("nag_mom_update", "mp_nag_mom_update"))

    def update_multi_precision(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state,
                          multi_precision=(self.multi_precision
                                           and _is_half(weight)
                                           and isinstance(state, (tuple, list))))


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: no state;
    w += -lr/2 * (g + wd * w) + normal(0, sqrt(lr)) (mx.random's
    generator, so mx.random.seed reproduces it)."""

    def create_state(self, index, weight):
        return None

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        grad = self._rescaled_clipped(grad)
        weight[:] += -lr / 2 * (grad + wd * weight)
        weight[:] += normal(0, math.sqrt(lr), shape=weight.shape,
                            dtype=weight.dtype, ctx=weight.context)


@register
class ccSGD(SGD):  # noqa: N801 (MXNet's name)
    """Deprecated in MXNet: the same as SGD."""


@register
class Adam(Optimizer):
    """Adam (adam_update); the state is (mean, var) of the weight's dtype.
    Bias correction goes into the lr: lr * sqrt(1 - beta2^t) / (1 - beta1^t).

    learning_rate : default 0.001. beta1 : 0.9. beta2 : 0.999.
    epsilon : 1e-8. lazy_update : default True (sparse only).
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, lazy_update=True, **kwargs):
        super(Adam, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return _zeros_like(weight, 2)

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        kwargs = self._fused_kwargs(beta1=self.beta1, beta2=self.beta2,
                                    epsilon=self.epsilon)
        mean, var = state
        _nd.adam_update(weight, grad, mean, var, out=weight,
                        lazy_update=self.lazy_update, lr=lr, wd=wd, **kwargs)


@register
class AdaGrad(Optimizer):
    """AdaGrad; the state is the float32 history of squared gradients::

        g = clip(rescale_grad * grad); history += g^2
        weight += -lr * (g / sqrt(history + eps) + wd * weight)

    eps : default 1e-7.
    """

    def __init__(self, eps=1e-7, **kwargs):
        super(AdaGrad, self).__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight, 1, same_dtype=False)[0]

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        grad = self._rescaled_clipped(grad)
        state[:] += square(grad)
        div = grad / sqrt(state + self.float_stable_eps)
        weight[:] += (div + weight * wd) * -lr


@register
class RMSProp(Optimizer):
    """RMSProp: Tieleman & Hinton's (rmsprop_update; state (n,)) or, with
    centered=True, Graves's (rmspropalex_update; state (n, g, delta)), all
    float32.

    learning_rate : default 0.001. gamma1 : 0.9. gamma2 : 0.9 (centered
    only). epsilon : 1e-8. centered : False. clip_weights : None.
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9,
                 epsilon=1e-8, centered=False, clip_weights=None, **kwargs):
        super(RMSProp, self).__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        return _zeros_like(weight, 3 if self.centered else 1, same_dtype=False)

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        kwargs = self._fused_kwargs(gamma1=self.gamma1, epsilon=self.epsilon)
        if self.centered:
            kwargs["gamma2"] = self.gamma2
        if self.clip_weights:
            kwargs["clip_weights"] = self.clip_weights
        if self.centered:
            _nd.rmspropalex_update(weight, grad, *state, out=weight, lr=lr,
                                   wd=wd, **kwargs)
        else:
            _nd.rmsprop_update(weight, grad, state[0], out=weight, lr=lr,
                               wd=wd, **kwargs)


@register
class AdaDelta(Optimizer):
    """AdaDelta; the state is (accumulated g^2, accumulated delta^2), float32::

        g = clip(rescale_grad * grad)
        acc_g = rho * acc_g + (1 - rho) * g^2
        delta = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta^2
        weight -= delta + wd * weight

    rho : default 0.9. epsilon : default 1e-5. As MXNet 1.9.1 does, it
    scales the caller's grad array in place by rescale_grad.
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super(AdaDelta, self).__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return _zeros_like(weight, 2, same_dtype=False)

    def update(self, index, weight, grad, state):
        _check_arrays([weight], [grad])
        wd = self._get_wd(index)
        self._update_count(index)
        grad *= self.rescale_grad
        grad = self._clipped(grad)
        acc_g, acc_delta = state
        acc_g[:] *= self.rho
        acc_g[:] += (1. - self.rho) * grad * grad
        delta = sqrt(acc_delta + self.epsilon) / sqrt(acc_g + self.epsilon) * grad
        acc_delta[:] *= self.rho
        acc_delta[:] += (1. - self.rho) * delta * delta
        weight[:] -= delta + wd * weight


@register
class Ftrl(Optimizer):
    """FTRL-Proximal (ftrl_update); the state is (z, n), float32.

    lamda1 : L1 strength, default 0.01. learning_rate : default 0.1 (set
    after the base class, as MXNet: it replaces a scheduler's lr too).
    beta : default 1.
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super(Ftrl, self).__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return _zeros_like(weight, 2, same_dtype=False)

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        kwargs = self._fused_kwargs(lamda1=self.lamda1, beta=self.beta)
        z, n = state
        _nd.ftrl_update(weight, grad, z, n, out=weight, lr=lr, wd=wd, **kwargs)


@register
class Adamax(Optimizer):
    """AdaMax, Adam under the infinity norm; the state is (m, u) of the
    weight's dtype::

        g = clip(rescale_grad * grad + wd * weight)
        m = beta1 * m + (1 - beta1) * g; u = max(beta2 * u, |g|)
        weight -= lr / (1 - beta1^t) * m / u

    learning_rate : default 0.002. beta1 : 0.9. beta2 : 0.999.
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super(Adamax, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return _zeros_like(weight, 2)

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        lr /= 1. - self.beta1 ** self._index_update_count[index]
        grad = self._decayed_clipped(grad, wd, weight)
        m, u = state
        m[:] *= self.beta1
        m[:] += (1. - self.beta1) * grad
        u[:] = maximum(self.beta2 * u, NDabs(grad))
        weight[:] -= lr * m / u


@register
class Nadam(Optimizer):
    """Nadam, Adam with Nesterov momentum and a warming momentum schedule;
    the state is (m, v) of the weight's dtype; the schedule's product
    (m_schedule) is one for all weights, as in MXNet.

    learning_rate : default 0.001. beta1 : 0.9. beta2 : 0.999.
    epsilon : 1e-8. schedule_decay : 0.004.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, schedule_decay=0.004, **kwargs):
        super(Nadam, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return _zeros_like(weight, 2)

    def _momentum(self, t):
        return self.beta1 * (1. - 0.5 * pow(0.96, t * self.schedule_decay))

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        grad = self._decayed_clipped(grad, wd, weight)
        momentum_t, momentum_next = self._momentum(t), self._momentum(t + 1)
        self.m_schedule = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_next
        m, v = state
        m[:] *= self.beta1
        m[:] += (1. - self.beta1) * grad
        v[:] *= self.beta2
        v[:] += (1. - self.beta2) * grad * grad
        grad_prime = grad / (1. - self.m_schedule)
        m_prime = m / (1. - m_schedule_next)
        v_prime = v / (1. - pow(self.beta2, t))
        m_bar = (1. - momentum_t) * grad_prime + momentum_next * m_prime
        weight[:] -= lr * m_bar / (sqrt(v_prime) + self.epsilon)


@register
class Test(Optimizer):
    """MXNet's test optimizer: weight += rescale_grad * grad, and the state
    (float32 zeros at first) becomes a copy of the weight."""

    def create_state(self, index, weight):
        return _zeros_like(weight, 1, same_dtype=False)[0]

    def update(self, index, weight, grad, state):
        weight[:] += grad * self.rescale_grad
        state[:] = weight

