"""SequentialModule: modules chained one after another, as MXNet 1.9.1's
mxnet/module/sequential_module.py.

    features = mx.mod.Module(feature_net, label_names=None)
    classifier = mx.mod.Module(classifier_net, data_names=["fc1_output"])
    seq = mx.mod.SequentialModule()
    seq.add(features).add(classifier, take_labels=True)
    seq.fit(train_iter, num_epoch=2)

Each module's outputs are the next one's data (bound to the previous
module's output shapes, under the previous output names unless the module
is added with auto_wiring=True, which renames them to its own data_names).
Backward runs in reverse, each module's input gradients becoming the head
gradients of the one before (so every module after the first is bound with
inputs_need_grad when training). Modules added with take_labels=True get
the batch's labels, and only they feed update_metric.
"""
import copy
import logging

from ..initializer import Uniform
from .base_module import BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """A chain of modules (see the module docstring).

    Parameters
    ----------
    logger : default logging

    The keys `add` takes are META_TAKE_LABELS ('take_labels') and
    META_AUTO_WIRING ('auto_wiring').
    """

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger=logging):
        super(SequentialModule, self).__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Appends `module` (a BaseModule) to the chain and returns self
        (for seq.add(a).add(b)).

        kwargs : take_labels (bool) -- the module gets the batch's labels
            (any module in the chain may); auto_wiring (bool) -- the
            previous outputs are renamed to the module's data_names.
            AssertionError for another key ('Unknown meta "<key>", a
            typo?').

        The chain goes back to unbound, uninitialized.
        """
        for key in kwargs:
            assert key in self._meta_keys, 'Unknown meta "%s", a typo?' % key
        self._modules.append(module)
        self._metas.append(kwargs)
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    def _takes_labels(self, index):
        """Whether module `index` was added with take_labels=True."""
        return bool(self._metas[index].get(self.META_TAKE_LABELS, False))

    # -- names and shapes -----------------------------------------------------

    @property
    def data_names(self):
        """The first module's data names ([] for an empty chain)."""
        if self._modules:
            return self._modules[0].data_names
        return []

    @property
    def output_names(self):
        """The last module's output names ([] for an empty chain)."""
        if self._modules:
            return self._modules[-1].output_names
        return []

    @property
    def data_shapes(self):
        """The first module's data shapes (AssertionError before bind)."""
        assert self.binded
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        """The label shapes given to bind, or None when no module takes
        labels (AssertionError before bind)."""
        assert self.binded
        return self._label_shapes

    @property
    def output_shapes(self):
        """The last module's output shapes (AssertionError before bind)."""
        assert self.binded
        return self._modules[-1].output_shapes

    # -- parameters -----------------------------------------------------------

    def get_params(self):
        """(arg_params, aux_params): every module's, merged into two dicts.
        AssertionError unless bound with parameters initialized."""
        assert self.binded and self.params_initialized
        arg_params, aux_params = {}, {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return arg_params, aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None,
                    aux_params=None, allow_missing=False, force_init=False,
                    allow_extra=False):
        """init_params of every module with the same arguments (each takes
        its own names from arg_params/aux_params). AssertionError before
        bind, or when two modules have a parameter of the same name
        ('Duplicated parameter names: ...'); already initialized: nothing,
        unless force_init."""
        if self.params_initialized and not force_init:
            return
        assert self.binded, "call bind before initializing the parameters"
        for module in self._modules:
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params,
                               allow_missing=allow_missing,
                               force_init=force_init, allow_extra=allow_extra)
        owners = ({}, {})  # name -> layer, for arguments and aux states
        for layer, module in enumerate(self._modules):
            for known, names in zip(owners, module.get_params()):
                for name in names:
                    assert name not in known, (
                        "Duplicated parameter names: name \"%s\" in layer %d "
                        "(%s) is already used in layer %d (%s)."
                        % (name, layer, type(module), known[name],
                           type(self._modules[known[name]])))
                    known[name] = layer
        self.params_initialized = True

    # -- setup ----------------------------------------------------------------

    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req="write"):
        """Binds each module in turn: the first to `data_shapes`, each next
        one to its predecessor's output_shapes; `label_shapes` go to the
        modules that take labels. AssertionError for an empty chain, a
        shared_module (not supported), inputs_need_grad without
        for_training, or an auto-wired module whose data_names count
        differs from the previous outputs'."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if inputs_need_grad:
            assert for_training is True
        assert shared_module is None, "Shared module is not supported"
        assert len(self._modules) > 0, \
            "Attempting to bind an empty SequentialModule"
        self.binded = True
        # MXNet leaves these two unset (so its get_input_grads always
        # fails); kiln records them.
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._label_shapes = label_shapes

        shapes = data_shapes
        any_takes_labels = False
        for layer, module in enumerate(self._modules):
            takes_labels = self._takes_labels(layer)
            any_takes_labels = any_takes_labels or takes_labels
            if self._metas[layer].get(self.META_AUTO_WIRING, False):
                names = module.data_names
                assert len(names) == len(shapes)
                shapes = [(name, desc[1]) for name, desc in zip(names, shapes)]
            module.bind(data_shapes=shapes,
                        label_shapes=label_shapes if takes_labels else None,
                        for_training=for_training,
                        inputs_need_grad=bool(inputs_need_grad or
                                              (for_training and layer > 0)),
                        force_rebind=force_rebind, shared_module=None,
                        grad_req=grad_req)
            shapes = module.output_shapes
        if not any_takes_labels:
            self._label_shapes = None

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),),
                       force_init=False):
        """init_optimizer of every module with these arguments (an
        Optimizer object is shared by all). AssertionError before bind and
        init_params."""
        assert self.binded and self.params_initialized
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params,
                                  force_init=force_init)
        self.optimizer_initialized = True

    # -- computation ----------------------------------------------------------

    def forward(self, data_batch, is_train=None):
        """Runs each module forward, the outputs of one as the data of the
        next (a shallow copy of data_batch carries them, with its
        provide_data renamed to the outputs' names and shapes)."""
        assert self.binded and self.params_initialized
        data_batch = copy.copy(data_batch)
        last = len(self._modules) - 1
        for layer, module in enumerate(self._modules):
            module.forward(data_batch, is_train=is_train)
            if layer == last:
                break
            data_batch.data = module.get_outputs()
            if hasattr(data_batch, "provide_data"):
                names = [desc[0] for desc in module.output_shapes]
                assert len(names) == len(data_batch.data)
                data_batch.provide_data = [
                    (name, array.shape)
                    for name, array in zip(names, data_batch.data)]

    def backward(self, out_grads=None):
        """Backward from the last module to the first, each module's input
        gradients as the head gradients of the one before."""
        assert self.binded and self.params_initialized
        for layer in range(len(self._modules) - 1, -1, -1):
            module = self._modules[layer]
            module.backward(out_grads=out_grads)
            if layer > 0:
                out_grads = module.get_input_grads()

    def update(self):
        """update() of every module. AssertionError before
        init_optimizer."""
        assert (self.binded and self.params_initialized
                and self.optimizer_initialized)
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        """The last module's outputs."""
        assert self.binded and self.params_initialized
        return self._modules[-1].get_outputs(
            merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The first module's data gradients (bound with
        inputs_need_grad)."""
        assert (self.binded and self.params_initialized
                and self.inputs_need_grad)
        return self._modules[0].get_input_grads(
            merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """update_metric of the modules that take labels."""
        assert self.binded and self.params_initialized
        for layer, module in enumerate(self._modules):
            if self._takes_labels(layer):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """install_monitor of every module (AssertionError before bind)."""
        assert self.binded
        for module in self._modules:
            module.install_monitor(mon)
