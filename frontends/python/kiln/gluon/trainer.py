"""gluon.Trainer: applies an Optimizer to a set of Parameters, as MXNet
1.9.1's mxnet/gluon/trainer.py.

    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": 0.1, "momentum": 0.9})
    with mx.autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(batch_size)      # gradients scaled by 1 / batch_size

The kvstore argument is MXNet's. One context with a kvstore name (or
kvstore=None) needs no store: each context's weights are updated from
their own gradients by that context's Updater. With several contexts, or
a KVStore object (mx.kv.create), the store sums each parameter's
gradients over the contexts and either updates its own copy of the weight
with the sum and copies it to every context (update_on_kvstore, the
default; MXNET_UPDATE_ON_KVSTORE=0 or update_on_kvstore=False turn it off,
and 'local' turns it off for a parameter of more than 16M elements) or
hands the sum back to every context's gradient. A distributed kvstore
('dist_*') raises MXNetError at the first step, where MXNet would connect
to its servers.

save_states/load_states write and read MXNet's pickle of the Updater's
states and optimizer (through kiln.optimizer's Updater), so a states file
moves between kiln and MXNet 1.9.1 both ways.
"""
from .. import optimizer as opt
from ..module.module import _create_kvstore
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]


class _DeviceUpdater(opt.Updater):
    """The Updater of one of the trainer's contexts.

    MXNet's optimizers count updates per device id (Adam's bias correction
    reads the count), taking the id from the weight's context. kiln's
    arrays all report cpu(0), so the id here is the trainer's context's.
    """

    def __init__(self, optimizer, device_id):
        super(_DeviceUpdater, self).__init__(optimizer)
        self.device_id = device_id

    def __call__(self, index, grad, weight):
        optimizer = self.optimizer
        klass = type(optimizer)
        # Shadows the method for this call only (never pickled).
        optimizer._set_current_context = (
            lambda _ignored: klass._set_current_context(optimizer,
                                                        self.device_id))
        try:
            super(_DeviceUpdater, self).__call__(index, grad, weight)
        finally:
            del optimizer._set_current_context


class Trainer(object):
    """Applies an Optimizer to Parameters; use with autograd.

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        What to optimize; a dict is taken in sorted key order, and a
        parameter's index (the optimizer's and the states file's key) is
        its position. ValueError for anything else (or a list holding a
        non-Parameter).
    optimizer : str or Optimizer
        A name is created with mx.optimizer.create(optimizer,
        param_dict=..., **optimizer_params) (ValueError for an unknown
        name); an Optimizer object is used as it is (AssertionError when
        optimizer_params is also given). Either way its param_dict becomes
        {index: Parameter}, so each Parameter's lr_mult and wd_mult apply.
    optimizer_params : dict, default None
        learning_rate, wd, momentum, lr_scheduler, ...
    kvstore : str, KVStore or None, default 'device'
        See the module docstring. TypeError for anything else.
    compression_params : dict, default None
        MXNet's gradient compression, given to the store's
        set_gradient_compression (a 'device' store takes {'type': '2bit'};
        'local' raises). Ignored without a store, as MXNet does.
    update_on_kvstore : bool, default None
        None: as MXNet chooses (see the module docstring). ValueError when
        True without a store (one context or kvstore=None), where MXNet
        fails with an AttributeError; but with a parameter that asked for a
        sparse gradient (Embedding(sparse_grad=True)) it is ignored without
        a store, as MXNet's Trainer ignores it then.

    All Parameters must be initialized (or deferred) on the same contexts
    (AssertionError naming the one that differs).
    """

    def __init__(self, params, optimizer, optimizer_params=None,
                 kvstore="device", compression_params=None,
                 update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(list(params.keys()))]
        if not isinstance(params, (list, tuple)):
            raise ValueError("First argument must be a list or dict of "
                             "Parameters, got %s." % (type(params)))
        self._params = []
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError("First argument must be a list or dict of "
                                 "Parameters, got list of %s." % (type(param)))
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore,
                                "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._distributed = None
        self._params_to_init = []
        self._reset_kvstore()

    def _check_contexts(self):
        """The contexts every Parameter lives on (the same for all)."""
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            assert contexts is None or contexts == ctx, \
                "All Parameters must be initialized on the same set of " \
                "contexts, but Parameter %s is initialized on %s while " \
                "previous Parameters are initialized on %s." % (
                    param.name, str(ctx), str(contexts))
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer, optimizer_params):
        """Sets self._optimizer (see the class docstring) and one Updater
        per context."""
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            assert not optimizer_params, \
                "optimizer_params must be None if optimizer is an instance " \
                "of Optimizer instead of str"
            self._optimizer = optimizer
            # Not a copy: lr_mult / wd_mult set later still apply.
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict,
                                         **optimizer_params)
        self._updaters = [_DeviceUpdater(self._optimizer, ctx.device_id)
                          for ctx in self._contexts]

    def _reset_kvstore(self):
        """Forgets the store: the next step makes it again (Parameter's
        set_data calls this when weights live on the store)."""
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        """Decides on the store and update_on_kvstore (module docstring)."""
        config = self._kvstore_params
        arg_arrays = {param.name: param.data(self._contexts[0])
                      for param in self._params}
        store, on_store = _create_kvstore(config["kvstore"],
                                          len(self._contexts), arg_arrays)
        self._distributed = "dist" in store.type if store else False
        sparse_grad = any(getattr(param, "_sparse_grad_asked", False)
                          for param in self._params)
        if config["update_on_kvstore"] is not None and (
                store or not sparse_grad):
            # (Without a store, MXNet's sparse-gradient branch ignores the
            # setting and trains locally.)
            if config["update_on_kvstore"] and not store:
                raise ValueError(
                    "update_on_kvstore=True needs a KVStore, and there is "
                    "none with kvstore=%r on %d context(s); set "
                    "update_on_kvstore=False or None"
                    % (config["kvstore"], len(self._contexts)))
            on_store = bool(config["update_on_kvstore"])
        if on_store and not store.is_capable("optimizer"):
            if config["update_on_kvstore"]:
                raise ValueError("Please set update_on_kvstore=False when "
                                 "training with {}".format(type(store)))
            on_store = False
        if store:
            if self._compression_params:
                store.set_gradient_compression(self._compression_params)
            if on_store:
                store.set_optimizer(self._optimizer)
            self._kvstore = store
            self._update_on_kvstore = on_store
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _init_params(self):
        """Puts the Parameters waiting for the store on it (copying the
        first context's weights to the others); deferred ones wait on."""
        assert self._kv_initialized, "Cannot initialize parameters in " \
            "KVStore when KVStore is not initialized."
        waiting = []
        if self._kvstore:
            for param in self._params_to_init:
                if param._deferred_init:
                    waiting.append(param)
                    continue
                arrays = param.list_data()
                self._kvstore.broadcast(self._param2idx[param.name],
                                        arrays[0], arrays)
        self._params_to_init = waiting

    def _ready(self):
        """Makes the store and puts the Parameters on it when needed."""
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    @property
    def learning_rate(self):
        """The optimizer's current learning rate (its scheduler's, if any)."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its "
                              "learning rate can be accessed.")
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        """The Optimizer."""
        if isinstance(self._optimizer, opt.Optimizer):
            return self._optimizer
        raise UserWarning("Optimizer has not been initialized yet")

    def set_learning_rate(self, lr):
        """Sets the optimizer's learning rate (UserWarning, raised, when it
        has an lr_scheduler, as Optimizer.set_learning_rate)."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its "
                              "learning rate is mutated.")
        self._optimizer.set_learning_rate(lr)

    def _check_and_rescale_grad(self, scale):
        # MXNet's batch-size check concerns distributed stores only.
        self._optimizer.rescale_grad = scale

    def step(self, batch_size, ignore_stale_grad=False):
        """One update: allreduce_grads then update, with the gradients
        scaled by 1 / batch_size (times the optimizer's own rescale_grad
        given at construction). Call after backward, outside record().

        UserWarning (raised, as MXNet) naming the Parameter and context
        when a gradient was not written by backward since the last step,
        unless ignore_stale_grad, which skips those Parameters instead.
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._ready()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sums each Parameter's gradients over its contexts (a store is
        in use), for a transformation (clipping, ...) before update().
        AssertionError when weights are updated on the store."""
        self._check_not_on_store("allreduce_grads()")
        self._allreduce_grads()

    def _check_not_on_store(self, what):
        """Makes the store; AssertionError when it updates the weights,
        for the public halves of step()."""
        self._ready()
        assert not (self._kvstore and self._update_on_kvstore), \
            "%s when parameters are updated on kvstore is not supported. " \
            "Try setting `update_on_kvstore` to False when creating " \
            "trainer." % what

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if self._update_on_kvstore:
                self._kvstore.pushpull(i, param.list_grad(),
                                       out=param.list_data())
            else:
                self._kvstore.pushpull(i, param.list_grad())

    def update(self, batch_size, ignore_stale_grad=False):
        """The update half of step() (after allreduce_grads()).
        AssertionError when weights are updated on the store."""
        self._check_not_on_store("update()")
        self._check_and_rescale_grad(self._scale / batch_size)
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad=False):
        on_store = self._kvstore and self._update_on_kvstore
        updates = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if not ignore_stale_grad:
                for data, ctx in zip(param.list_data(), param.list_ctx()):
                    if not data._fresh_grad:
                        raise UserWarning(
                            "Gradient of Parameter `%s` on context %s has not "
                            "been updated by backward since last `step`. This "
                            "could mean a bug in your model that made it only "
                            "use a subset of the Parameters (Blocks) for this "
                            "iteration. If you are intentionally only using a "
                            "subset, call step with ignore_stale_grad=True to "
                            "suppress this warning and skip updating of "
                            "Parameters with stale gradient"
                            % (param.name, str(ctx)))
            if on_store:
                continue  # pushpull has updated it
            for pending, weight, grad in zip(updates, param.list_data(),
                                             param.list_grad()):
                if not ignore_stale_grad or weight._fresh_grad:
                    pending.append((i, grad, weight))
                    weight._fresh_grad = False
        if on_store:
            return
        for updater, pending in zip(self._updaters, updates):
            if pending:
                indices, grads, weights = zip(*pending)
                updater(indices, grads, weights)

    def save_states(self, fname):
        """Writes the optimizer's states and the optimizer (MXNet's pickle;
        Parameters' lr_mult / wd_mult are not saved) to `fname`."""
        assert self._optimizer is not None
        self._ready()
        if self._update_on_kvstore:
            assert not self._params_to_init, "Cannot save trainer states " \
                "when some parameters are not yet initialized in kvstore."
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
        else:
            with open(fname, "wb") as handle:
                handle.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname):
        """Reads states save_states (kiln's or MXNet's) wrote; the loaded
        optimizer replaces the trainer's, with param_dict set to this
        trainer's Parameters."""
        self._ready()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, "rb") as handle:
                states = handle.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = {i: param
                                      for i, param in enumerate(self._params)}
