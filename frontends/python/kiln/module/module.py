"""Module: a Symbol with its executors, parameters and optimizer, as MXNet
1.9.1's mxnet/module/module.py.

    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
        mx.sym.var("data"), num_hidden=10, name="fc"), name="softmax")
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.fit(train_iter, eval_data=val_iter, num_epoch=5,
            optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    mod.save_checkpoint("mlp", 5, save_optimizer_states=True)
    mod = mx.mod.Module.load("mlp", 5, load_optimizer_states=True)

Several contexts split each batch among as many executors
(DataParallelExecutorGroup). The kvstore argument is MXNet's: with one
context a kvstore name (or None) means no store, and each device's weights
are updated from its own gradients; with several contexts, or a KVStore
object (mx.kv.create), the store sums the gradients over the devices and
either applies the update itself and copies the weights back
(update_on_kvstore, the default) or hands the sum back to each device's
update. A distributed kvstore ('dist_*') raises MXNetError (mx.kv.create).
"""
import logging
import os
import warnings

import numpy as np

from .. import context as ctx
from .. import kvstore as kvs
from .. import ndarray as nd
from .. import optimizer as opt
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import load_checkpoint
from .base_module import BaseModule, _check_input_names, _parse_data_desc
from .executor_group import DataParallelExecutorGroup

__all__ = ["Module"]

# MXNet's local KVStore stops updating on the store above this many
# elements in one parameter; the devices then update their own copies from
# the summed gradient.
_BIG_PARAM = 1024 * 1024 * 16


def _create_kvstore(kvstore, num_device, arg_params):
    """(store, update_on_kvstore) for MXNet's `kvstore` argument, as
    MXNet's model._create_kvstore: a KVStoreBase is used as it is; a name
    makes a store (mx.kv.create) unless there is one device and the name
    is not distributed; None means none. update_on_kvstore follows
    MXNET_UPDATE_ON_KVSTORE (default 1), is off for 'local' when a
    parameter has more than 16M elements, and needs a store able to run
    the optimizer. TypeError for any other kvstore; MXNetError from
    mx.kv.create for a distributed one."""
    on_store = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
    if kvstore is None:
        store = None
    elif isinstance(kvstore, kvs.KVStoreBase):
        store = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            store = None
        else:
            store = kvs.create(kvstore)
            if kvstore == "local" and arg_params and max(
                    int(np.prod(p.shape))
                    for p in arg_params.values()) > _BIG_PARAM:
                on_store = False
    else:
        raise TypeError("kvstore must be KVStore, str or None")
    if store is None:
        return None, False
    return store, on_store and store.is_capable(kvs.KVStoreBase.OPTIMIZER)


class Module(BaseModule):
    """A module that runs `symbol`.

    Parameters
    ----------
    symbol : Symbol
    data_names : list of str, default ('data',)
        The symbol's arguments fed from DataBatch.data (ValueError when one
        is not an argument).
    label_names : list of str, default ('softmax_label',)
        The arguments fed from DataBatch.label (a missing one only warns).
    logger : default logging
    context : Context or list of Context, default mx.cpu()
        One executor per context, each taking a slice of the batch.
    work_load_list : list of numbers, default None (equal)
        The share of the batch of each context.
    fixed_param_names : list of str
        Parameters that get no gradient and are not updated.
    state_names : list of str
        Arguments that are neither data, labels nor parameters, kept
        between batches and set with set_states.
    group2ctxs, compression_params
        MXNet's model parallelism and gradient compression: kiln refuses
        group2ctxs (MXNetError); compression_params go to the KVStore's
        set_gradient_compression at init_optimizer, when there is a store.

    The parameters are the arguments that are not data, labels or states.
    """

    def __init__(self, symbol, data_names=("data",),
                 label_names=("softmax_label",), logger=logging,
                 context=ctx.cpu(), work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None,
                 compression_params=None):
        super(Module, self).__init__(logger=logger)
        if isinstance(context, ctx.Context):
            context = [context]
        self._context = context
        if work_load_list is None:
            work_load_list = [1] * len(context)
        assert len(work_load_list) == len(context)
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs
        self._symbol = symbol

        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = (list(fixed_param_names)
                             if fixed_param_names is not None else [])
        _check_input_names(symbol, data_names, "data", True)
        _check_input_names(symbol, label_names, "label", False)
        _check_input_names(symbol, state_names, "state", True)
        _check_input_names(symbol, fixed_param_names, "fixed_param", True)

        inputs = set(data_names + label_names + state_names)
        self._param_names = [name for name in symbol.list_arguments()
                             if name not in inputs]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()

        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._compression_params = compression_params
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # -- checkpoints ----------------------------------------------------------

    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module of the checkpoint `prefix`-symbol.json and
        `prefix`-<epoch>.params, its parameters set (they are copied into
        the executors at bind). With load_optimizer_states, init_optimizer
        then reads `prefix`-<epoch>.states. kwargs go to Module()."""
        symbol, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=symbol, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = "%s-%04d.states" % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False,
                        remove_amp_cast=True):
        """Writes `prefix`-symbol.json, `prefix`-<epoch, 4 digits>.params
        and, with save_optimizer_states, `prefix`-<epoch>.states (the
        Updater's pickled states, MXNet's layout)."""
        self._symbol.save("%s-symbol.json" % prefix,
                          remove_amp_cast=remove_amp_cast)
        param_name = "%s-%04d.params" % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = "%s-%04d.states" % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # -- names and shapes -----------------------------------------------------

    def _reset_bind(self):
        """Forgets the executors."""
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    @property
    def data_names(self):
        """The data input names."""
        return self._data_names

    @property
    def label_names(self):
        """The label input names."""
        return self._label_names

    @property
    def output_names(self):
        """The symbol's output names."""
        return self._output_names

    @property
    def data_shapes(self):
        """The bound data DataDescs (AssertionError before bind)."""
        assert self.binded
        return self._data_shapes

    @property
    def label_shapes(self):
        """The bound label DataDescs, or None when bound without labels
        (AssertionError before bind)."""
        assert self.binded
        return self._label_shapes

    @property
    def output_shapes(self):
        """[(output name, shape)] for the whole batch (AssertionError
        before bind)."""
        assert self.binded
        return self._exec_group.get_output_shapes()

    # -- parameters -----------------------------------------------------------

    def get_params(self):
        """(arg_params, aux_params): the module's CPU copies, refreshed
        from the devices after updates (the same dicts and arrays each
        call, written in place). AssertionError before init_params."""
        assert self.params_initialized
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None,
                    aux_params=None, allow_missing=False, force_init=False,
                    allow_extra=False):
        """Gives every parameter and auxiliary state its first value and
        copies them into the executors.

        Parameters
        ----------
        initializer : Initializer, default Uniform(0.01)
            Called (with an InitDesc carrying the symbol's attributes) for
            each array not taken from arg_params/aux_params.
        arg_params, aux_params : dict of str -> NDArray, optional
            Values to copy; with them, a name missing there raises
            RuntimeError('<name> is not presented') unless allow_missing.
        force_init : bool
            Initialize again when already initialized (otherwise a
            UserWarning and nothing done).
        allow_extra : bool
            Accept names the symbol does not have (else ValueError from
            the executor).

        AssertionError before bind.
        """
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init="
                          "False. init_params call ignored.", stacklevel=2)
            return
        assert self.binded, "call bind before initializing the parameters"

        def fill(desc, array, given):
            if given is None:
                initializer(desc, array)
            elif desc in given:
                if given[desc] is not array:
                    given[desc].copyto(array)
            elif not allow_missing:
                raise RuntimeError("%s is not presented" % desc)
            elif initializer is not None:
                initializer(desc, array)

        attrs = self._symbol.attr_dict()
        for mine, given in ((self._arg_params, arg_params),
                            (self._aux_params, aux_params)):
            for name, array in sorted(mine.items()):
                fill(InitDesc(name, attrs.get(name, None)), array, given)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params,
                                    allow_extra=allow_extra)

    def set_params(self, arg_params, aux_params, allow_missing=False,
                   force_init=True, allow_extra=False):
        """Sets the parameters from dicts of name -> NDArray. Without
        allow_missing it is init_params(initializer=None, ...): every
        parameter must be there (RuntimeError). With allow_missing the
        given arrays go straight to the executors (the rest keep their
        values)."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params,
                             aux_params=aux_params, allow_missing=False,
                             force_init=force_init, allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init="
                          "False. set_params call ignored.", stacklevel=2)
            return
        self._exec_group.set_params(arg_params, aux_params,
                                    allow_extra=allow_extra)
        # The module's own copies no longer match the executors.
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self):
        """Copies the devices' parameters (their mean) into the module's
        CPU arrays."""
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # -- setup ----------------------------------------------------------------

    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req="write"):
        """Makes the executors for these input shapes.

        Parameters
        ----------
        data_shapes : list of DataDesc or (name, shape)
            Typically data_iter.provide_data; the names must be data_names
            (ValueError).
        label_shapes : list of DataDesc or (name, shape), optional
            Typically data_iter.provide_label; names other than label_names
            warn. Without them labels are not fed (the symbol must infer
            their shapes, else MXNetError from simple_bind).
        for_training : bool, default True
            False binds without gradients (inputs_need_grad must be False).
        inputs_need_grad : bool
            Compute gradients of the data (get_input_grads).
        force_rebind : bool
            Bind again when already bound (else a warning and nothing done).
        shared_module : Module, optional
            A bound, initialized module whose parameters these executors
            share.
        grad_req : str, list or dict, default 'write'

        Already initialized parameters are copied into the new executors;
        otherwise the module's parameter arrays are made (zeros) for
        init_params. AssertionError where the inputs' batch sizes differ.
        """
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        if not for_training:
            assert not inputs_need_grad
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)

        shared_group = None
        if shared_module is not None:
            assert (isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized)
            shared_group = shared_module._exec_group
            assert len(shared_group.execs) >= len(self._context)

        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list,
            self._data_shapes, self._label_shapes, self._param_names,
            for_training, inputs_need_grad, shared_group, logger=self.logger,
            fixed_param_names=self._fixed_param_names, grad_req=grad_req,
            group2ctxs=self._group2ctxs, state_names=self._state_names)
        self._total_exec_bytes = self._exec_group._total_exec_bytes
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # Bound again (or loaded): the executors get the known values.
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            assert self._arg_params is None and self._aux_params is None
            self._arg_params = {
                name: nd.zeros(block[0].shape, dtype=block[0].dtype)
                for name, block in zip(self._param_names,
                                       self._exec_group.param_arrays)}
            self._aux_params = {
                name: nd.zeros(block[0].shape, dtype=block[0].dtype)
                for name, block in zip(self._aux_names,
                                       self._exec_group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Re-binds the executors for new input shapes (a new batch size),
        keeping the parameters. AssertionError before bind."""
        assert self.binded
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),),
                       force_init=False):
        """Installs the optimizer and its Updater.

        Parameters
        ----------
        kvstore : str, KVStore or None, default 'local'
            See the module docstring.
        optimizer : str or Optimizer, default 'sgd'
            A name is created with mx.optimizer.create(name, sym=symbol,
            param_idx2name=..., rescale_grad=1/batch_size,
            **optimizer_params) (an explicit rescale_grad wins). An
            Optimizer object is used as it is (a UserWarning when its
            rescale_grad is not 1/batch_size; its idx2name is filled when
            empty).
        optimizer_params : dict or pairs, default (('learning_rate', 0.01),)
        force_init : bool
            Install again when already installed (else a warning).

        The optimizer's indices are the parameters' positions (times the
        number of devices plus the device, when each device updates its
        own copy). AssertionError before bind and init_params.
        """
        assert self.binded and self.params_initialized
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()

        num_device = len(self._context)
        kvstore, on_store = _create_kvstore(kvstore, num_device,
                                            self._arg_params)
        batch_size = self._exec_group.batch_size
        if kvstore and "dist" in kvstore.type and "_sync" in kvstore.type:
            batch_size *= kvstore.num_workers
        rescale_grad = 1.0 / batch_size
        param_names = self._exec_group.param_names
        if on_store:
            idx2name = dict(enumerate(param_names))
        else:
            idx2name = {i * num_device + k: name
                        for k in range(num_device)
                        for i, name in enumerate(param_names)}
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            optimizer_params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self.symbol,
                                   param_idx2name=idx2name,
                                   **optimizer_params)
        else:
            assert isinstance(optimizer, opt.Optimizer)
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn(
                    "Optimizer created manually outside Module but "
                    "rescale_grad is not normalized to "
                    "1.0/batch_size/num_workers (%s vs. %s). Is this "
                    "intended?" % (optimizer.rescale_grad, rescale_grad),
                    stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()

        self._optimizer = optimizer
        self._kvstore = kvstore
        self._update_on_kvstore = on_store
        self._updater = None
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if on_store:
                kvstore.set_optimizer(self._optimizer)
            # The store starts from the module's parameters (and, updating
            # them itself, copies them to every device).
            for name, arrays in zip(self._param_names,
                                    self._exec_group.param_arrays):
                if on_store:
                    kvstore.broadcast(name, self._arg_params[name],
                                      out=arrays)
                else:
                    kvstore.init(name, self._arg_params[name])
        if not on_store:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Uses `shared_module`'s optimizer and Updater (its states too)."""
        assert shared_module.optimizer_initialized
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    # -- computation ----------------------------------------------------------

    def forward(self, data_batch, is_train=None):
        """Runs the executors forward on `data_batch` (a DataBatch, or a
        list of them, one per device). A batch whose data shapes differ
        from the bound ones reshapes the module first (its provide_data /
        provide_label, else the bound descriptors with the new shapes).
        is_train None means for_training. AssertionError unless bound with
        parameters initialized."""
        assert self.binded and self.params_initialized
        bound = tuple(desc.shape for desc in self._data_shapes)
        if isinstance(data_batch, list):
            assert data_batch is not None, "Encountered empty data batch"
            new = []
            for i in range(len(data_batch[0].data)):
                shape = data_batch[0].data[i].shape
                for batch in data_batch:
                    assert shape == batch.data[i].shape, (
                        "All data batches in a list need to have the same "
                        "shape")
                new.append((len(data_batch) * shape[0],) + shape[1:])
            new = tuple(new)
        else:
            new = tuple(array.shape for array in data_batch.data)
        if bound != new:
            self.reshape(*self._batch_descs(data_batch, new))
        self._exec_group.forward(data_batch, is_train)

    def _batch_descs(self, data_batch, new_shapes):
        """(data descs, label descs) for a batch of new shapes."""
        if getattr(data_batch, "provide_data", None):
            data = data_batch.provide_data
        else:
            data = [DataDesc(d.name, shape, d.dtype, d.layout)
                    for d, shape in zip(self._data_shapes, new_shapes)]
        if getattr(data_batch, "provide_label", None):
            label = data_batch.provide_label
        elif getattr(data_batch, "label", None) and self._label_shapes:
            label = [DataDesc(d.name, array.shape, d.dtype, d.layout)
                     for d, array in zip(self._label_shapes, data_batch.label)]
        else:
            label = None
        return data, label

    def backward(self, out_grads=None):
        """Runs the executors backward (out_grads: head gradients for
        outputs that are not losses). AssertionError unless bound for
        training with parameters initialized."""
        assert self.binded and self.params_initialized
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Updates the parameters with the optimizer from the gradients of
        the last backward (see the module docstring for several devices).
        AssertionError before init_optimizer."""
        assert (self.binded and self.params_initialized
                and self.optimizer_initialized)
        self._params_dirty = True
        group = self._exec_group
        pairs = [(i, weights, grads) for i, (weights, grads) in
                 enumerate(zip(group.param_arrays, group.grad_arrays))
                 if grads[0] is not None]
        if not pairs:
            return
        num_device = len(self._context)
        names = group.param_names
        if self._update_on_kvstore:
            # The store sums, updates its weights and copies them back.
            for i, weights, grads in pairs:
                self._kvstore.pushpull(names[i], grads, out=weights,
                                       priority=-i)
            return
        if self._kvstore:
            for i, _, grads in pairs:
                self._kvstore.pushpull(names[i], grads, priority=-i)
        for k in range(num_device):
            indices, weights, grads = zip(*[(i * num_device + k, w[k], g[k])
                                            for i, w, g in pairs])
            self._updater(list(indices), list(grads), list(weights))

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward: one NDArray each, or with
        merge_multi_context=False a list per device."""
        assert self.binded and self.params_initialized
        return self._exec_group.get_outputs(
            merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The data gradients of the last backward (bind with
        inputs_need_grad=True, else AssertionError)."""
        assert (self.binded and self.params_initialized
                and self.inputs_need_grad)
        return self._exec_group.get_input_grads(
            merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        """The state arrays, a list per device for each state."""
        assert self.binded and self.params_initialized
        return self._exec_group.get_states(
            merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        """Sets the states from arrays or one scalar value."""
        assert self.binded and self.params_initialized
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Adds the last forward's outputs against `labels` (a list of
        NDArray; per device when pre_sliced) to eval_metric."""
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    # -- optimizer states -----------------------------------------------------

    def save_optimizer_states(self, fname):
        """Writes the Updater's states (the KVStore's when it updates) to
        `fname` (MXNet's pickle layout). AssertionError before
        init_optimizer."""
        assert self.optimizer_initialized
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
            return
        with open(fname, "wb") as handle:
            handle.write(self._updater.get_states())

    def load_optimizer_states(self, fname):
        """Reads states save_optimizer_states (or MXNet) wrote into the
        Updater (the KVStore's when it updates). AssertionError before
        init_optimizer."""
        assert self.optimizer_initialized
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            return
        with open(fname, "rb") as handle:
            self._updater.set_states(handle.read())

    def install_monitor(self, mon):
        """mon.install(executor) for each executor (AssertionError before
        bind)."""
        assert self.binded
        self._exec_group.install_monitor(mon)

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Nothing to prepare without a KVStore (a sparse_row_id_fn only
        warns, as MXNet does when parameters are not on a KVStore).
        AssertionError before bind."""
        del data_batch
        assert self.binded
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning("Parameters are not updated in the "
                                      "KVStore. No need to call "
                                      "sparse_row_id_fn."))
