"""BucketingModule: one Module per bucket key, all sharing one set of
parameters, as MXNet 1.9.1's mxnet/module/bucketing_module.py.

Inputs of varying length (sentences) are grouped into buckets; each bucket
key gets its own symbol from `sym_gen` (an RNN unrolled to that length),
bound as a Module whose executors use the default bucket's parameter
arrays (Executor simple_bind with shared_exec), so an update made while
one bucket runs is what every other bucket reads, with nothing copied at a
switch. A bucket's Module, its executors and their compiled executables
are kept for the next batch of that key.

    def sym_gen(seq_len):
        ...                       # unroll an mx.rnn cell seq_len steps
        return symbol, ("data",), ("softmax_label",)

    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=it.default_bucket_key)
    mod.fit(it, num_epoch=2)      # it: mx.rnn.BucketSentenceIter
    mod.save_checkpoint("lm", 2)  # lm-0002.params, lm-<key>-symbol.json, lm.buckets
    mod = mx.mod.BucketingModule.load("lm", 2, sym_gen=sym_gen,
                                      default_bucket_key=...)

Every batch names its bucket (DataBatch.bucket_key) and its shapes
(provide_data/provide_label); a key seen first is bound then. The default
bucket should be the one with the largest inputs (MXNet's advice; kiln
reuses an input array across buckets only where its shape matches).
"""
import logging

import numpy as np

from .. import context as ctx
from .. import ndarray as nd
from .. import symbol as sym
from ..initializer import Uniform
from ..model import load_params
from ..name import NameManager
from .base_module import BaseModule, _check_input_names
from .module import Module

__all__ = ["BucketingModule"]


class BucketingModule(BaseModule):
    """A module that runs the symbol of each batch's bucket key.

    Parameters
    ----------
    sym_gen : callable
        sym_gen(bucket_key) -> (symbol, data_names, label_names). It is
        called under a fresh NameManager, so automatic names
        (fullyconnected0_weight) are the same in every bucket.
    default_bucket_key : any hashable, required
        The bucket bound by bind(), whose parameter arrays all buckets use
        (AssertionError when None).
    logger : default logging
    context : Context or list of Context, default mx.cpu()
    work_load_list, fixed_param_names, state_names, group2ctxs,
    compression_params
        As Module's, for every bucket.

    The names given to sym_gen's default symbol are checked as Module
    checks them (ValueError for data, state or fixed parameter names the
    symbol lacks; a UserWarning for label names).
    """

    def __init__(self, sym_gen, default_bucket_key=None, logger=logging,
                 context=ctx.cpu(), work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None,
                 compression_params=None):
        super(BucketingModule, self).__init__(logger=logger)
        assert default_bucket_key is not None
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen

        symbol, data_names, label_names = self._call_sym_gen(
            default_bucket_key)
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = (list(fixed_param_names)
                             if fixed_param_names is not None else [])
        _check_input_names(symbol, list(data_names or []), "data", True)
        _check_input_names(symbol, list(label_names or []), "label", False)
        _check_input_names(symbol, state_names, "state", True)
        _check_input_names(symbol, fixed_param_names, "fixed_param", True)

        self._compression_params = compression_params
        self._fixed_param_names = fixed_param_names
        self._state_names = state_names
        self._context = context
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs

        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None

    def _reset_bind(self):
        """Forgets every bucket's module."""
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    def _call_sym_gen(self, bucket_key):
        """sym_gen(bucket_key) under a fresh NameManager."""
        with NameManager():
            return self._sym_gen(bucket_key)

    def _new_module(self, symbol, data_names, label_names):
        """A Module of `symbol` with this module's settings."""
        return Module(symbol, data_names, label_names, logger=self.logger,
                      context=self._context,
                      work_load_list=self._work_load_list,
                      fixed_param_names=self._fixed_param_names,
                      state_names=self._state_names,
                      group2ctxs=self._group2ctxs,
                      compression_params=self._compression_params)

    # -- names and shapes -----------------------------------------------------

    @property
    def data_names(self):
        """The current bucket's data names (the default bucket's before
        bind)."""
        if self.binded:
            return self._curr_module.data_names
        return self._call_sym_gen(self._default_bucket_key)[1]

    @property
    def output_names(self):
        """The current bucket's output names (the default bucket's before
        bind)."""
        if self.binded:
            return self._curr_module.output_names
        return self._call_sym_gen(self._default_bucket_key)[0].list_outputs()

    @property
    def data_shapes(self):
        """The current bucket's data DataDescs (AssertionError before
        bind)."""
        assert self.binded
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        """The current bucket's label DataDescs, or None (AssertionError
        before bind)."""
        assert self.binded
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        """[(output name, shape)] of the current bucket (AssertionError
        before bind)."""
        assert self.binded
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        """The current bucket's symbol (AssertionError before bind)."""
        assert self.binded
        return self._curr_module.symbol

    # -- parameters -----------------------------------------------------------

    def get_params(self):
        """(arg_params, aux_params), the shared parameters as CPU arrays
        (refreshed after updates). AssertionError before init_params."""
        assert self.params_initialized
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def set_params(self, arg_params, aux_params, allow_missing=False,
                   force_init=True, allow_extra=False):
        """Sets the shared parameters from dicts of name -> NDArray (see
        Module.set_params): RuntimeError('<name> is not presented') for a
        missing one unless allow_missing; ValueError for a name the symbol
        lacks unless allow_extra."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params,
                             aux_params=aux_params, allow_missing=False,
                             force_init=force_init, allow_extra=allow_extra)
            return
        # The given arrays go straight to the executors (Module warns and
        # does nothing when initialized and not force_init).
        module = self._curr_module
        module.set_params(arg_params, aux_params, allow_missing=True,
                          force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = self._params_dirty or module._params_dirty
        self.params_initialized = module.params_initialized

    def init_params(self, initializer=Uniform(0.01), arg_params=None,
                    aux_params=None, allow_missing=False, force_init=False,
                    allow_extra=False):
        """Initializes the shared parameters through the current bucket's
        Module.init_params (already initialized: nothing, silently, unless
        force_init). AssertionError before bind."""
        if self.params_initialized and not force_init:
            return
        assert self.binded, "call bind before initializing the parameters"
        self._curr_module.init_params(
            initializer=initializer, arg_params=arg_params,
            aux_params=aux_params, allow_missing=allow_missing,
            force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        """The current bucket's state arrays (Module.get_states)."""
        assert self.binded and self.params_initialized
        return self._curr_module.get_states(
            merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        """Sets the current bucket's states (Module.set_states)."""
        assert self.binded and self.params_initialized
        self._curr_module.set_states(states, value)

    # -- setup ----------------------------------------------------------------

    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req="write"):
        """Binds the default bucket for these shapes (its data and labels);
        the others are bound as batches of their keys arrive
        (switch_bucket). Initialized parameters survive a force_rebind.
        AssertionError for a shared_module (not supported, as in MXNet)."""
        if self.params_initialized:
            arg_params, aux_params = self.get_params()
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        assert shared_module is None, \
            "shared_module for BucketingModule is not supported"
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.binded = True
        self._grad_req = grad_req

        key = self._default_bucket_key
        module = self._buckets.get(key)
        if module is None:
            symbol, data_names, label_names = self._call_sym_gen(key)
            module = self._new_module(symbol, data_names, label_names)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None,
                    grad_req=self._grad_req)
        self._curr_module = module
        self._curr_bucket_key = key
        self._buckets[key] = module
        if self.params_initialized:
            self.set_params(arg_params, aux_params)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Makes `bucket_key` the current bucket, binding its Module first
        when new (sym_gen(bucket_key) for the given shapes, parameters
        shared with the default bucket). Whatever sym_gen raises for a key
        it does not know propagates; RuntimeError when a shared parameter's
        shape differs from the default bucket's; AssertionError before
        bind."""
        assert self.binded, "call bind before switching bucket"
        module = self._buckets.get(bucket_key)
        if module is None:
            symbol, data_names, label_names = self._call_sym_gen(bucket_key)
            module = self._new_module(symbol, data_names, label_names)
        if not module.binded:
            default = self._buckets[self._default_bucket_key]
            module.bind(data_shapes, label_shapes,
                        self._curr_module.for_training,
                        self._curr_module.inputs_need_grad,
                        force_rebind=False, shared_module=default,
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            self._buckets[bucket_key] = module
        self._curr_module = module
        self._curr_bucket_key = bucket_key

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),),
                       force_init=False):
        """Installs the optimizer on the current bucket; every other bucket
        borrows it (one Updater, so optimizer states are per parameter, not
        per bucket). AssertionError before bind and init_params."""
        assert self.binded and self.params_initialized
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        self._curr_module.init_optimizer(kvstore, optimizer, optimizer_params,
                                         force_init=force_init)
        for module in self._buckets.values():
            if module is not self._curr_module:
                module.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    # -- computation ----------------------------------------------------------

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Binds the bucket of `data_batch` if it is new and prepares it,
        then switches back to the current bucket."""
        assert self.binded and self.params_initialized
        original = self._curr_bucket_key
        self.switch_bucket(data_batch.bucket_key, data_batch.provide_data,
                           data_batch.provide_label)
        self._curr_module.prepare(data_batch,
                                  sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original, None, None)

    def forward(self, data_batch, is_train=None):
        """Switches to data_batch.bucket_key (see switch_bucket) and runs
        that bucket's Module forward."""
        assert self.binded and self.params_initialized
        self.switch_bucket(data_batch.bucket_key, data_batch.provide_data,
                           data_batch.provide_label)
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        """The current bucket's backward."""
        assert self.binded and self.params_initialized
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        """Updates the shared parameters from the current bucket's
        gradients. AssertionError before init_optimizer."""
        assert (self.binded and self.params_initialized
                and self.optimizer_initialized)
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        """The current bucket's outputs of the last forward."""
        assert self.binded and self.params_initialized
        return self._curr_module.get_outputs(
            merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The current bucket's data gradients (bound with
        inputs_need_grad)."""
        assert (self.binded and self.params_initialized
                and self.inputs_need_grad)
        return self._curr_module.get_input_grads(
            merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Adds the current bucket's outputs against `labels` to
        eval_metric."""
        assert self.binded and self.params_initialized
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Installs `mon` on every bucket's executors, and on those of
        buckets bound later. AssertionError before bind."""
        assert self.binded
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # -- checkpoints ----------------------------------------------------------

    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """Writes `prefix`-<epoch, 4 digits>.params (the shared
        parameters), `prefix`-<key>-symbol.json per bucket and
        `prefix`.buckets (the keys, an int32 NDArray: keys must be
        integers). AssertionError for a module with no bucket."""
        assert len(self._buckets) > 0, "Empty BucketingModule cannot be saved"
        self.save_params("%s-%04d.params" % (prefix, epoch))
        for bucket_key, module in self._buckets.items():
            # The bucket's own symbol: its parameter names are those the
            # .params file holds.
            module.symbol.save("%s-%s-symbol.json" % (prefix, bucket_key),
                               remove_amp_cast=remove_amp_cast)
        nd.save("%s.buckets" % prefix,
                nd.array(list(self._buckets.keys()), dtype=np.int32))

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule from the files save_checkpoint wrote: each
        saved bucket's Module of its `prefix`-<key>-symbol.json (data and
        label names from sym_gen), the parameters of
        `prefix`-<epoch>.params set (copied into the executors at bind).
        kwargs go to BucketingModule() and each Module(). AssertionError
        without sym_gen or default_bucket_key."""
        assert sym_gen is not None, \
            "sym_gen is required for loading BucketingModule"
        assert default_bucket_key is not None, \
            "default_bucket_key is required for loading BucketingModule"
        keys = nd.load("%s.buckets" % prefix)[0].asnumpy().astype(np.int32)
        loaded = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        for bucket_key in keys:  # np.int32 keys, as MXNet's
            _, data_names, label_names = sym_gen(bucket_key)
            symbol = sym.load("%s-%s-symbol.json" % (prefix, bucket_key))
            loaded._buckets[bucket_key] = Module(symbol, data_names,
                                                 label_names, **kwargs)
            if bucket_key == default_bucket_key:
                loaded._curr_module = loaded._buckets[bucket_key]
        arg_params, aux_params = load_params(prefix, epoch)
        loaded._set_loaded_params(arg_params, aux_params)
        return loaded

    @staticmethod
    def load_dict(sym_dict=None, sym_gen=None, default_bucket_key=None,
                  arg_params=None, aux_params=None, **kwargs):
        """A BucketingModule of the symbols `sym_dict` (bucket key ->
        Symbol; data and label names from sym_gen(default_bucket_key)),
        with arg_params/aux_params set. AssertionError when sym_dict,
        arg_params, aux_params or default_bucket_key is None."""
        assert sym_dict is not None, \
            "sym_dict needs to be provided for BucketingModule.load_dict"
        assert arg_params is not None, \
            "arg_params need to be provided for BucketingModule.load_dict"
        assert aux_params is not None, \
            "aux_params need to be provided for BucketingModule.load_dict"
        assert default_bucket_key is not None, \
            "default_bucket_key needs to be provided for " \
            "BucketingModule.load_dict"
        loaded = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        _, data_names, label_names = sym_gen(default_bucket_key)
        for bucket_key, symbol in sym_dict.items():
            loaded._buckets[bucket_key] = Module(symbol, data_names,
                                                 label_names, **kwargs)
            if bucket_key == default_bucket_key:
                loaded._curr_module = loaded._buckets[bucket_key]
        loaded._set_loaded_params(arg_params, aux_params)
        return loaded

    def _set_loaded_params(self, arg_params, aux_params):
        """Gives the default bucket's (unbound) Module these parameters;
        bind copies them into the executors. AssertionError when the
        default bucket is not among the loaded ones."""
        assert self._curr_module is not None, (
            "default_bucket_key %r is not among the loaded buckets %s"
            % (self._default_bucket_key, list(self._buckets)))
        self._curr_module._arg_params = arg_params
        self._curr_module._aux_params = aux_params
        self._curr_module.params_initialized = True
        self.params_initialized = True
