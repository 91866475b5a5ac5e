"""BaseModule: the module API and the training loops built on it, as MXNet
1.9.1's mxnet/module/base_module.py.

A module goes through states: created (knows data_names, output_names),
bound (bind: shapes known, executors made), parameters initialized
(init_params / set_params), optimizer installed (init_optimizer). A
subclass implements bind, init_params, init_optimizer, forward, backward,
update, get_outputs, get_input_grads, update_metric, get_params and the
name/shape properties; BaseModule derives from them:

    fit(train_data, eval_data, num_epoch=..., ...)   # train
    score(eval_data, eval_metric)                     # [(name, value)]
    predict(eval_data)                                # outputs, merged
    iter_predict(eval_data)                           # per batch
    save_params(fname) / load_params(fname)           # 'arg:'/'aux:' keys

Calls out of order fail as in MXNet, with a bare AssertionError (forward
before bind or init_params, init_optimizer before init_params, ...).
"""
import logging
import time
import warnings

import numpy as np

from .. import metric
from .. import ndarray
from ..base import _as_list
from ..callback import BatchEndParam
from ..initializer import Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import _params_dict

__all__ = ["BaseModule"]

# Argument-name endings of parameters; the other arguments are offered as
# what a misspelt data/label name may have meant.
_PARAM_SUFFIXES = ("_weight", "_bias", "_gamma", "_beta")


def _check_input_names(symbol, names, typename, throw):
    """Checks that each of `names` is an argument of `symbol`: ValueError
    (throw) or a UserWarning naming the missing one and the symbol's
    non-parameter arguments."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [arg for arg in args if not arg.endswith(_PARAM_SUFFIXES)]
        msg = ("\033[91mYou created Module with Module(..., %s_names=%s) but "
               "input with name '%s' is not found in symbol.list_arguments(). "
               "Did you mean one of:\n\t%s\033[0m"
               % (typename, str(names), name, "\n\t".join(candidates)))
        if throw:
            raise ValueError(msg)
        warnings.warn(msg)


def _check_names_match(data_names, data_shapes, name, throw):
    """Checks that the descriptors' names are `data_names` (in any order):
    ValueError (throw) or a UserWarning."""
    given = [desc[0] for desc in data_shapes]
    if sorted(data_names) == sorted(given):
        return
    msg = ("Data provided by %s_shapes don't match names specified by "
           "%s_names (%s vs. %s)" % (name, name, str(data_shapes),
                                     str(data_names)))
    if throw:
        raise ValueError(msg)
    warnings.warn(msg)


def _parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """(data DataDescs, label DataDescs or None) from DataDescs or
    (name, shape) pairs: data names must match (ValueError), label names
    only warn."""
    def descs(shapes):
        return [x if isinstance(x, DataDesc) else DataDesc(*x) for x in shapes]

    data_shapes = descs(data_shapes)
    _check_names_match(data_names, data_shapes, "data", True)
    if label_shapes is not None:
        label_shapes = descs(label_shapes)
    _check_names_match(label_names, label_shapes or [], "label", False)
    return data_shapes, label_shapes


def _call_each(callbacks, *args):
    """Calls the callback, or each of a list of them, with args."""
    if callbacks is not None:
        for callback in _as_list(callbacks):
            callback(*args)


def _batch_labels(batch):
    """A batch's labels: a list per device for a list of DataBatch."""
    if isinstance(batch, list):
        return [b.label for b in batch]
    return batch.label


class BaseModule(object):
    """The base class of modules (see the module docstring).

    Parameters
    ----------
    logger : logging.Logger or the logging module, default logging
        Where fit reports each epoch's metrics and time.

    State attributes, as MXNet's: `binded`, `for_training`,
    `inputs_need_grad`, `params_initialized`, `optimizer_initialized`.
    """

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    # -- high level -----------------------------------------------------------

    def forward_backward(self, data_batch):
        """forward(data_batch, is_train=True), then backward()."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def _eval_batches(self, eval_data, num_batch, reset, sparse_row_id_fn):
        """(nbatch, batch) for up to num_batch batches of eval_data (reset
        first), each run forward with is_train=False."""
        if reset:
            eval_data.reset()
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                return
            self.prepare(batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(batch, is_train=False)
            yield nbatch, batch

    def score(self, eval_data, eval_metric, num_batch=None,
              batch_end_callback=None, score_end_callback=None, reset=True,
              epoch=0, sparse_row_id_fn=None):
        """Runs `eval_data` (a DataIter; `num_batch` batches, all by
        default) forward and returns eval_metric.get_name_value(), a list
        of (name, value).

        eval_metric is an EvalMetric or what metric.create takes ('acc',
        ['mse', 'acc'], ...); it is reset first. batch_end_callback gets a
        BatchEndParam(epoch, nbatch, eval_metric, locals) after each batch,
        score_end_callback one with the batch count at the end.
        AssertionError unless bound with parameters initialized.
        """
        assert self.binded and self.params_initialized
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        eval_metric.reset()
        done = 0
        for nbatch, eval_batch in self._eval_batches(
                eval_data, num_batch, reset, sparse_row_id_fn):
            self.update_metric(eval_metric, _batch_labels(eval_batch),
                               pre_sliced=isinstance(eval_batch, list))
            _call_each(batch_end_callback,
                       BatchEndParam(epoch=epoch, nbatch=nbatch,
                                     eval_metric=eval_metric,
                                     locals=locals()))
            done += 1
        if score_end_callback:
            _call_each(score_end_callback,
                       BatchEndParam(epoch=epoch, nbatch=done,
                                     eval_metric=eval_metric,
                                     locals=locals()))
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data, num_batch=None, reset=True,
                     sparse_row_id_fn=None):
        """Yields (outputs, nbatch, batch) per batch of `eval_data`, the
        outputs without the batch's padding (views, not copies)."""
        assert self.binded and self.params_initialized
        for nbatch, batch in self._eval_batches(eval_data, num_batch, reset,
                                                sparse_row_id_fn):
            outputs = [out[0:out.shape[0] - batch.pad]
                       for out in self.get_outputs()]
            yield outputs, nbatch, batch

    def predict(self, eval_data, num_batch=None, merge_batches=True,
                reset=True, always_output_list=False, sparse_row_id_fn=None):
        """Runs `eval_data` forward and collects the outputs.

        eval_data : DataIter, or an NDArray / numpy array (one batch: the
            first output of forward on it is returned).
        merge_batches : bool, default True
            Concatenate each output over the batches (padding dropped):
            [out1, out2, ...], or just out1 for a single output unless
            always_output_list. False gives [[out1, out2, ...] per batch].

        An empty iterator gives []. ValueError for other eval_data;
        AssertionError unless bound with parameters initialized, or when
        batches differ in their number of outputs.
        """
        assert self.binded and self.params_initialized
        if isinstance(eval_data, (ndarray.NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = ndarray.array(eval_data)
            self.forward(DataBatch([eval_data]))
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ValueError("eval_data must be of type NDArray or DataIter")
        per_batch = []
        for _, batch in self._eval_batches(eval_data, num_batch, reset,
                                           sparse_row_id_fn):
            per_batch.append([out[0:out.shape[0] - batch.pad].copy()
                              for out in self.get_outputs()])
        if not per_batch or not merge_batches:
            return per_batch
        count = len(per_batch[0])
        for outputs in per_batch:
            assert len(outputs) == count, (
                "Cannot merge batches, as num of outputs is not the same in "
                "mini-batches. Maybe bucketing is used?")
        merged = [ndarray.concatenate([outputs[i] for outputs in per_batch])
                  for i in range(count)]
        if count == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data, eval_data=None, eval_metric="acc",
            epoch_end_callback=None, batch_end_callback=None, kvstore="local",
            optimizer="sgd", optimizer_params=(("learning_rate", 0.01),),
            eval_end_callback=None, eval_batch_end_callback=None,
            initializer=Uniform(0.01), arg_params=None, aux_params=None,
            allow_missing=False, force_rebind=False, force_init=False,
            begin_epoch=0, num_epoch=None, validation_metric=None,
            monitor=None, sparse_row_id_fn=None):
        """Trains the module on `train_data` for epochs begin_epoch ..
        num_epoch - 1.

        Binds to train_data.provide_data/provide_label (for_training),
        initializes the parameters (arg_params/aux_params first, then
        `initializer` where allow_missing; an already initialized module
        keeps its values unless force_init) and the optimizer (`optimizer`,
        a name or an Optimizer, with `optimizer_params`; `kvstore` as
        init_optimizer takes it). Each batch runs forward_backward, update
        and update_metric(eval_metric); batch_end_callback gets a
        BatchEndParam after each batch. After each epoch the training
        metric and time are logged ('Epoch[3] Train-accuracy=0.95'),
        epoch_end_callback gets (epoch, symbol, arg_params, aux_params),
        and eval_data, when given, is scored with validation_metric
        (default eval_metric) and logged as 'Epoch[3] Validation-...'.

        AssertionError when num_epoch is None.
        """
        assert num_epoch is not None, "please specify number of epochs"
        self.bind(data_shapes=train_data.provide_data,
                  label_shapes=train_data.provide_label, for_training=True,
                  force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            started = time.time()
            self._fit_epoch(train_data, epoch, eval_metric, batch_end_callback,
                            monitor, sparse_row_id_fn)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch,
                             time.time() - started)
            # Reading the parameters back and setting them again brings
            # every device's auxiliary states to their mean.
            arg_params, aux_params = self.get_params()
            self.set_params(arg_params, aux_params)
            _call_each(epoch_end_callback, epoch, self.symbol, arg_params,
                       aux_params)
            if eval_data is not None:
                results = self.score(
                    eval_data, validation_metric,
                    score_end_callback=eval_end_callback,
                    batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, value in results:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch,
                                     name, value)
            train_data.reset()

    def _fit_epoch(self, train_data, epoch, eval_metric, batch_end_callback,
                   monitor, sparse_row_id_fn):
        """One epoch of fit: every batch trained and measured, the next one
        fetched (and prepared) before the callbacks of the current run, as
        MXNet does; logs the epoch's training metric. The local names are
        MXNet's: callbacks read them from BatchEndParam.locals."""
        eval_metric.reset()
        data_iter = iter(train_data)
        next_data_batch = next(data_iter)
        nbatch = 0
        end_of_batch = False
        while not end_of_batch:
            data_batch = next_data_batch
            if monitor is not None:
                monitor.tic()
            self.forward_backward(data_batch)
            self.update()
            self.update_metric(eval_metric, _batch_labels(data_batch),
                               pre_sliced=isinstance(data_batch, list))
            try:
                next_data_batch = next(data_iter)
                self.prepare(next_data_batch,
                             sparse_row_id_fn=sparse_row_id_fn)
            except StopIteration:
                end_of_batch = True
            if monitor is not None:
                monitor.toc_print()
            if end_of_batch:
                eval_name_vals = eval_metric.get_global_name_value()
            _call_each(batch_end_callback,
                       BatchEndParam(epoch=epoch, nbatch=nbatch,
                                     eval_metric=eval_metric,
                                     locals=locals()))
            nbatch += 1
        for name, value in eval_name_vals:
            self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)

    # -- names and shapes (subclasses) ----------------------------------------

    @property
    def data_names(self):
        """The names of the data inputs."""
        raise NotImplementedError()

    @property
    def output_names(self):
        """The names of the outputs."""
        raise NotImplementedError()

    @property
    def data_shapes(self):
        """The data inputs as DataDescs (after bind)."""
        raise NotImplementedError()

    @property
    def label_shapes(self):
        """The label inputs as DataDescs, or None without labels."""
        raise NotImplementedError()

    @property
    def output_shapes(self):
        """[(output name, shape)] (after bind)."""
        raise NotImplementedError()

    # -- parameters -----------------------------------------------------------

    def get_params(self):
        """(arg_params, aux_params): dicts of name -> NDArray on the CPU."""
        raise NotImplementedError()

    def init_params(self, initializer=Uniform(0.01), arg_params=None,
                    aux_params=None, allow_missing=False, force_init=False,
                    allow_extra=False):
        """Initializes the parameters and auxiliary states (see
        Module.init_params)."""
        raise NotImplementedError()

    def set_params(self, arg_params, aux_params, allow_missing=False,
                   force_init=True, allow_extra=False):
        """Sets the parameters and auxiliary states from dicts of name ->
        NDArray: init_params with no initializer, so a parameter missing
        from the dicts raises (unless allow_missing) and, by default, the
        values replace initialized ones."""
        self.init_params(initializer=None, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init, allow_extra=allow_extra)

    def save_params(self, fname):
        """Writes get_params() to `fname` with mx.nd.save, under MXNet's
        'arg:<name>' and 'aux:<name>' keys."""
        arg_params, aux_params = self.get_params()
        ndarray.save(fname, _params_dict(arg_params, aux_params))

    def load_params(self, fname):
        """set_params from a file save_params (or MXNet) wrote. ValueError
        ('Invalid param file <fname>') for a key that is not 'arg:' or
        'aux:'."""
        arg_params, aux_params = {}, {}
        for key, value in ndarray.load(fname).items():
            kind, name = key.split(":", 1)
            if kind == "arg":
                arg_params[name] = value
            elif kind == "aux":
                aux_params[name] = value
            else:
                raise ValueError("Invalid param file " + fname)
        self.set_params(arg_params, aux_params)

    def get_states(self, merge_multi_context=True):
        """State arrays; a module without states has none ([]).
        AssertionError with merge_multi_context (the default), as MXNet."""
        assert self.binded and self.params_initialized
        assert not merge_multi_context
        return []

    def set_states(self, states=None, value=None):
        """Sets state arrays; a module without states takes neither."""
        assert self.binded and self.params_initialized
        assert not states and not value

    def install_monitor(self, mon):
        """Installs a Monitor on the executors (NotImplementedError here)."""
        raise NotImplementedError()

    # -- computation (subclasses) ---------------------------------------------

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Gets ready for `data_batch` (bucket switch, reshape); nothing
        here (sparse_row_id_fn only warns: kiln has no KVStore)."""
        del data_batch
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning(
                "sparse_row_id_fn is not invoked for BaseModule."))

    def forward(self, data_batch, is_train=None):
        """Forward computation on a DataBatch (is_train None means the
        module's for_training)."""
        raise NotImplementedError()

    def backward(self, out_grads=None):
        """Backward computation (out_grads for outputs that are not
        losses)."""
        raise NotImplementedError()

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward."""
        raise NotImplementedError()

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs of the last backward."""
        raise NotImplementedError()

    def update(self):
        """Updates the parameters from the last backward's gradients."""
        raise NotImplementedError()

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Adds the last forward's outputs against `labels` to eval_metric."""
        raise NotImplementedError()

    # -- setup (subclasses) ---------------------------------------------------

    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req="write"):
        """Makes the executors for these input shapes."""
        raise NotImplementedError()

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),),
                       force_init=False):
        """Installs the optimizer."""
        raise NotImplementedError()

    @property
    def symbol(self):
        """The module's symbol."""
        return self._symbol

