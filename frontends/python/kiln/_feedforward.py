"""mx.model.FeedForward: MXNet 1.9.1's deprecated estimator (mxnet/model.py),
on kiln's Module (training) and Executor (predict and score).

    model = mx.model.FeedForward(net, num_epoch=10, learning_rate=0.1)
    model.fit(X, y)                      # numpy arrays or a DataIter
    prob = model.predict(X_test)         # numpy (n, classes)
    acc = model.score(mx.io.NDArrayIter(X_test, y_test, 32))
    model.save("mlp")                    # mlp-symbol.json, mlp-0010.params
    model = mx.model.FeedForward.load("mlp", 10)

As MXNet: constructing warns DeprecationWarning; keyword arguments other
than the named ones go to the optimizer (with rescale_grad 1/batch_size
when `optimizer` is a name); numpy inputs are batched by
min(n, numpy_batch_size), shuffled with 'roll_over' for training, padded
for prediction; predict drops the padded rows and returns one array per
output (the array itself for one output); score returns the metric's
value. Errors: y missing or of another length for numpy X (ValueError), X
of another type (TypeError), eval_data of another form (TypeError,
ValueError), duplicated argument names in the symbol (ValueError).

fit runs MXNet's training loop (_train_multi_device) on a bound mx.mod.Module
(its forward, backward, update and update_metric), so the log lines and
callback arguments are MXNet's (see fit); the parameters start as
MXNet's _init_params makes them (kept arg_params where given, the
initializer elsewhere). With epoch_size each epoch is that many batches,
the data going on across epochs. A symbol generator (sym_gen, for
buckets) is taken for its default_bucket_key only.

Where kiln differs on purpose: evaluation data of another batch size
than training is run (the Module reshapes; MXNet fails with
AssertionError 'Batch size miss match'), and predict after fit uses the
trained parameters (MXNet keeps a predictor bound before fit).
"""
import logging
import time
import warnings

import numpy as np

from . import io
from . import metric
from . import ndarray as nd
from .callback import BatchEndParam, LogValidationMetricsCallback
from .context import Context, cpu
from .initializer import Uniform
from . import optimizer as opt
from .io import DataDesc
from .model import load_checkpoint, save_checkpoint

__all__ = ["FeedForward"]


def _check_arguments(symbol):
    """ValueError where `symbol` has two arguments (or auxiliary states)
    of one name."""
    for names in (symbol.list_arguments(), symbol.list_auxiliary_states()):
        seen = set()
        for name in names:
            if name in seen:
                raise ValueError('Find duplicated argument name "%s", please make '
                                 "the weight name non-duplicated(using name "
                                 "arguments), arguments are %s" % (name, names))
            seen.add(name)


def _load_data(batch, targets):
    for source, target in zip(batch.data, targets):
        source.copyto(target)


def _callbacks(callbacks, *args):
    """Calls a callback, each of a list, or nothing (None) with args."""
    if isinstance(callbacks, list):
        for callback in callbacks:
            callback(*args)
    elif callbacks:
        callbacks(*args)


def _bind(model, data, logger, work_load_list, monitor):
    """A Module of model.symbol bound for training on `data`'s shapes over
    model.ctx, holding model's parameters: what MXNet's
    DataParallelExecutorManager sets up (it logs 'Start training with
    <ctx list>' first)."""
    from .module import Module
    logger.info("Start training with %s", str(model.ctx))
    if work_load_list is None:
        work_load_list = [1] * len(model.ctx)
    assert isinstance(work_load_list, list) and len(work_load_list) == len(model.ctx), \
        "Invalid settings for work load. "
    module = Module(model.symbol, data_names=[d[0] for d in data.provide_data],
                    label_names=[d[0] for d in data.provide_label], logger=logger,
                    context=model.ctx, work_load_list=work_load_list)
    module.bind(data.provide_data, data.provide_label, for_training=True)
    if monitor:
        if model.sym_gen is not None:
            raise NotImplementedError("Monitoring is not implemented for bucketing")
        module.install_monitor(monitor)
    module.init_params(arg_params=model.arg_params, aux_params=model.aux_params,
                       force_init=True)
    return module


def _train(model, module, data, eval_data, eval_metric, logger, monitor, callbacks):
    """MXNet's _train_multi_device on a bound Module: epochs begin_epoch to
    num_epoch of forward, backward, update and metric per batch; an epoch
    ends when `data` runs out (it is then reset, logged) or, with
    epoch_size, after that many batches (the data going on across
    epochs). Parameters are copied back into model.arg_params/aux_params
    (in place) after an epoch when there is an epoch callback, and after
    the last; evaluation runs on the training executors."""
    epoch_size = model.epoch_size
    data.reset()
    for epoch in range(model.begin_epoch, model.num_epoch):
        tic = time.time()
        eval_metric.reset()
        nbatch = 0
        while True:
            ran_out = True
            for data_batch in data:
                if monitor is not None:
                    monitor.tic()
                module.forward(data_batch, is_train=True)
                module.backward()
                module.update()
                if monitor is not None:
                    monitor.toc_print()
                module.update_metric(eval_metric, data_batch.label)
                nbatch += 1
                if callbacks["batch"] is not None:
                    _callbacks(callbacks["batch"], BatchEndParam(
                        epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                        locals=locals()))
                if epoch_size is not None and nbatch >= epoch_size:
                    ran_out = False
                    break
            if ran_out:
                logger.info("Epoch[%d] Resetting Data Iterator", epoch)
                data.reset()
            if epoch_size is None or nbatch >= epoch_size:
                break
        logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)
        if callbacks["epoch"] or epoch + 1 == model.num_epoch:
            _copy_params(module, model.arg_params, model.aux_params)
        _callbacks(callbacks["epoch"], epoch, model.symbol, model.arg_params,
                   model.aux_params)
        if eval_data:
            _evaluate(module, eval_data, eval_metric, epoch, callbacks)


def _copy_params(module, arg_params, aux_params):
    """The module's parameters into the given dicts' arrays (their dtypes)."""
    args, auxs = module.get_params()
    for source, target in ((args, arg_params), (auxs, aux_params)):
        for name, value in source.items():
            value.astype(target[name].dtype).copyto(target[name])


def _evaluate(module, eval_data, eval_metric, epoch, callbacks):
    """One pass over eval_data into eval_metric (reset first), with
    eval_batch_end_callback per batch (nbatch from 0) and
    eval_end_callback (nbatch the number of batches) after."""
    eval_metric.reset()
    eval_data.reset()
    total = 0
    for i, eval_batch in enumerate(eval_data):
        module.forward(eval_batch, is_train=False)
        module.update_metric(eval_metric, eval_batch.label)
        if callbacks["eval_batch"] is not None:
            _callbacks(callbacks["eval_batch"], BatchEndParam(
                epoch=epoch, nbatch=i, eval_metric=eval_metric, locals=locals()))
        total += 1
    if callbacks["eval_end"] is not None:
        _callbacks(callbacks["eval_end"], BatchEndParam(
            epoch=epoch, nbatch=total, eval_metric=eval_metric, locals=locals()))
    eval_data.reset()


class FeedForward(object):
    """A model of a symbol and its parameters, trained by fit (see the
    module's docstring). symbol: a Symbol, or a function of a bucket key
    giving one. ctx: a Context or a list (default [cpu()]); prediction uses
    the first. num_epoch: the epoch fit stops before. initializer: for the
    parameters not in arg_params. allow_extra_params: drop arg_params and
    aux_params the symbol does not have (else they stay and are ignored).
    begin_epoch: the first epoch's number."""

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None,
                 optimizer="sgd", initializer=Uniform(0.01), numpy_batch_size=128,
                 arg_params=None, aux_params=None, allow_extra_params=False,
                 begin_epoch=0, **kwargs):
        warnings.warn("\033[91mmxnet.model.FeedForward has been deprecated. "
                      "Please use mxnet.mod.Module instead.\033[0m",
                      DeprecationWarning, stacklevel=2)
        from .symbol import Symbol
        if isinstance(symbol, Symbol):
            self.symbol, self.sym_gen = symbol, None
        else:
            assert callable(symbol)
            self.symbol, self.sym_gen = None, symbol
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        self.argument_checked = False
        if self.sym_gen is None:
            self._check_arguments()
        if ctx is None:
            ctx = [cpu()]
        elif isinstance(ctx, Context):
            ctx = [ctx]
        self.ctx = ctx
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.kwargs = kwargs.copy()
        self.optimizer = optimizer
        self.initializer = initializer
        self.numpy_batch_size = numpy_batch_size
        self._pred_exec = None
        self.begin_epoch = begin_epoch

    def _check_arguments(self):
        """Checks the symbol's names once; drops extra params if allowed."""
        if self.argument_checked:
            return
        assert self.symbol is not None
        self.argument_checked = True
        _check_arguments(self.symbol)
        if self.allow_extra_params:
            if self.arg_params:
                names = set(self.symbol.list_arguments())
                self.arg_params = {k: v for k, v in self.arg_params.items()
                                   if k in names}
            if self.aux_params:
                names = set(self.symbol.list_auxiliary_states())
                self.aux_params = {k: v for k, v in self.aux_params.items()
                                   if k in names}

    @staticmethod
    def _is_data_arg(name):
        return name.endswith("data") or name.endswith("label")

    def _init_params(self, inputs, overwrite=False):
        """Makes arg_params/aux_params for every parameter of the symbol
        given the input descriptions: kept values where given (unless
        overwrite), the initializer elsewhere. Returns (arg_names,
        param_names, aux_names)."""
        inputs = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in inputs]
        shapes = {x.name: x.shape for x in inputs}
        arg_shapes, _, aux_shapes = self.symbol.infer_shape(**shapes)
        assert arg_shapes is not None
        arg_types, _, aux_types = self.symbol.infer_type(
            **{x.name: x.dtype for x in inputs})
        assert arg_types is not None
        arg_names = self.symbol.list_arguments()
        param_names = [k for k in arg_names if k not in shapes]
        aux_names = self.symbol.list_auxiliary_states()

        def fill(names, shapes_, types, given):
            out = {}
            for name, shape, dtype in zip(names, shapes_, types):
                if name not in param_names and names is arg_names:
                    continue
                out[name] = nd.zeros(shape, dtype=dtype)
                if given and name in given and not overwrite:
                    out[name][:] = given[name]
                else:
                    self.initializer(name, out[name])
            return out
        self.arg_params = fill(arg_names, arg_shapes, arg_types, self.arg_params)
        self.aux_params = fill(aux_names, aux_shapes, aux_types, self.aux_params)
        return arg_names, list(param_names), aux_names

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_pred_exec"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _init_predictor(self, input_shapes, type_dict=None):
        """Binds (or keeps) the executor for predict and score."""
        shapes = {name: value.shape for name, value in self.arg_params.items()}
        shapes.update(dict(input_shapes))
        if self._pred_exec is not None:
            arg_shapes, _, _ = self.symbol.infer_shape(**shapes)
            assert arg_shapes is not None, "Incomplete input shapes"
            if arg_shapes == [x.shape for x in self._pred_exec.arg_arrays]:
                return
        executor = self.symbol.simple_bind(self.ctx[0], grad_req="null",
                                           type_dict=type_dict, **shapes)
        executor.copy_params_from(self.arg_params, self.aux_params)
        _check_arguments(self.symbol)
        self._pred_exec = executor

    def _init_iter(self, X, y, is_train):
        """A DataIter over X (and y): X itself if one, else NDArrayIter."""
        if isinstance(X, (np.ndarray, nd.NDArray)):
            if y is None:
                if is_train:
                    raise ValueError("y must be specified when X is numpy.ndarray")
                y = np.zeros(X.shape[0])
            if not isinstance(y, (np.ndarray, nd.NDArray)):
                raise TypeError("y must be ndarray when X is numpy.ndarray")
            if X.shape[0] != y.shape[0]:
                raise ValueError("The numbers of data points and labels not equal")
            if y.ndim == 2 and y.shape[1] == 1:
                y = y.flatten()
            if y.ndim != 1:
                raise ValueError("Label must be 1D or 2D (with 2nd dimension being 1)")
            size = min(X.shape[0], self.numpy_batch_size)
            if is_train:
                return io.NDArrayIter(X, y, size, shuffle=True,
                                      last_batch_handle="roll_over")
            return io.NDArrayIter(X, y, size, shuffle=False)
        if not isinstance(X, io.DataIter):
            raise TypeError("X must be DataIter, NDArray or numpy.ndarray")
        return X

    def _init_eval_iter(self, eval_data):
        """eval_data as a DataIter: None, a DataIter, or an (X, y) pair."""
        if eval_data is None:
            return None
        if isinstance(eval_data, (tuple, list)) and len(eval_data) == 2:
            if eval_data[0] is None:
                raise ValueError("Eval data is NONE")
            if eval_data[1] is None and isinstance(eval_data[0], io.DataIter):
                return eval_data[0]
            data, label = [np.array(v) if isinstance(v, list) else v
                           for v in eval_data]
            return self._init_iter(data, label, is_train=True)
        if not isinstance(eval_data, io.DataIter):
            raise TypeError("Eval data must be DataIter, or NDArray/numpy.ndarray"
                            "/list pair (i.e. tuple/list of length 2)")
        return eval_data

    def _prepare(self, X, reset):
        X = self._init_iter(X, None, is_train=False)
        if reset:
            X.reset()
        types = {k: v.dtype for k, v in self.arg_params.items()}
        for desc in X.provide_data:
            types[desc[0]] = getattr(desc, "dtype", np.float32)
        self._init_predictor(X.provide_data, types)
        targets = [self._pred_exec.arg_dict[desc[0]] for desc in X.provide_data]
        return X, targets

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """The outputs for X (numpy or a DataIter), padded rows dropped: a
        numpy array (one output) or a list; with return_data, (outputs,
        data, label) likewise. num_batch: stop after that many batches."""
        X, targets = self._prepare(X, reset)
        outputs = [[] for _ in self._pred_exec.outputs]
        datas = [[] for _ in X.provide_data]
        labels = [[] for _ in X.provide_label]
        for i, batch in enumerate(X):
            _load_data(batch, targets)
            self._pred_exec.forward(is_train=False)
            real = X.batch_size - batch.pad
            for kept, out in zip(outputs, self._pred_exec.outputs):
                kept.append(out[0:real].asnumpy())
            if return_data:
                for kept, value in zip(datas, batch.data):
                    kept.append(value[0:real].asnumpy())
                for kept, value in zip(labels, batch.label):
                    kept.append(value[0:real].asnumpy())
            if num_batch is not None and i + 1 == num_batch:
                break

        def joined(lists):
            arrays = [np.concatenate(x) for x in lists]
            return arrays[0] if len(arrays) == 1 else arrays
        if return_data:
            return joined(outputs), joined(datas), joined(labels)
        return joined(outputs)

    def score(self, X, eval_metric="acc", num_batch=None, batch_end_callback=None,
              reset=True):
        """eval_metric's value (a name or an EvalMetric) over X."""
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        X, targets = self._prepare(X, reset)
        for i, batch in enumerate(X):
            if num_batch is not None and i == num_batch:
                break
            _load_data(batch, targets)
            self._pred_exec.forward(is_train=False)
            eval_metric.update(batch.label, self._pred_exec.outputs)
            if batch_end_callback is not None:
                _callbacks(batch_end_callback, BatchEndParam(
                    epoch=0, nbatch=i, eval_metric=eval_metric, locals=locals()))
        return eval_metric.get()[1]

    def fit(self, X, y=None, eval_data=None, eval_metric="acc",
            epoch_end_callback=None, batch_end_callback=None, kvstore="local",
            logger=None, work_load_list=None, monitor=None,
            eval_end_callback=LogValidationMetricsCallback(),
            eval_batch_end_callback=None):
        """Trains from begin_epoch to num_epoch on X (and y), as MXNet's
        FeedForward.fit; arg_params and aux_params are updated in place.

        X, y: numpy/NDArray (y required) or a DataIter. eval_data: a
        DataIter or an (X, y) pair, evaluated after each epoch on the
        training executors. eval_metric: a name or an EvalMetric.
        Callbacks are a callable, a list, or None: batch_end_callback and
        eval_batch_end_callback get a BatchEndParam (nbatch counts 1, 2,
        ... in training, 0, 1, ... in evaluation), epoch_end_callback
        (epoch, symbol, arg_params, aux_params), eval_end_callback a
        BatchEndParam with nbatch the number of evaluation batches.
        kvstore: a name, KVStore or None (one device and a local name
        mean none). logger: default the `logging` module. work_load_list:
        a list with one share per context (AssertionError otherwise).
        monitor: a Monitor installed on the executors, tic before each
        forward and toc_print after each update.

        Logs, as MXNet: 'Start training with [cpu(0)]', per epoch
        'Epoch[e] Resetting Data Iterator' when the data runs out,
        'Epoch[e] Time cost=%.3f', then eval_end_callback's lines (the
        default logs 'Epoch[e] Validation-<name>=<value>'). No training
        metric line (MXNet's FeedForward logs none).
        """
        data = self._init_iter(X, y, is_train=True)
        eval_data = self._init_eval_iter(eval_data)
        if self.sym_gen:
            self.symbol = self.sym_gen(data.default_bucket_key)
            self._check_arguments()
        # As MXNet, the optimizer's arguments keep the symbol and the
        # index-to-name map (model.kwargs shows them after fit).
        self.kwargs["sym"] = self.symbol
        _, param_names, _ = self._init_params(data.provide_data + data.provide_label)
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        from .module.module import _create_kvstore  # module imports model
        store, on_store = _create_kvstore(kvstore, len(self.ctx), self.arg_params)
        if on_store:
            idx2name = dict(enumerate(param_names))
        else:
            idx2name = {i * len(self.ctx) + k: name
                        for i, name in enumerate(param_names)
                        for k in range(len(self.ctx))}
        self.kwargs["param_idx2name"] = idx2name
        if isinstance(self.optimizer, str):
            batch_size = data.batch_size
            if store and "dist" in store.type and "_async" not in store.type:
                batch_size *= store.num_workers
            optimizer = opt.create(self.optimizer, rescale_grad=1.0 / batch_size,
                                   **self.kwargs)
        else:
            optimizer = self.optimizer
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        module = _bind(self, data, logger or logging, work_load_list, monitor)
        with warnings.catch_warnings():
            # MXNet's FeedForward takes an Optimizer's rescale_grad as given.
            warnings.filterwarnings("ignore", "Optimizer created manually")
            module.init_optimizer(kvstore=store, optimizer=optimizer)
        _train(self, module, data, eval_data, eval_metric, logger or logging,
               monitor, callbacks=dict(
                   batch=batch_end_callback, epoch=epoch_end_callback,
                   eval_batch=eval_batch_end_callback, eval_end=eval_end_callback))
        # kiln drops the predictor so predict sees the trained parameters
        # (MXNet keeps a bound one, with the values it had before fit).
        self._pred_exec = None

    def save(self, prefix, epoch=None, remove_amp_cast=True):
        """Writes prefix-symbol.json and prefix-<epoch>.params (epoch
        defaults to num_epoch)."""
        if epoch is None:
            epoch = self.num_epoch
        assert epoch is not None
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params,
                        self.aux_params, remove_amp_cast=remove_amp_cast)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """A FeedForward from a checkpoint, begin_epoch set to `epoch`."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params,
                           aux_params=aux_params, begin_epoch=epoch, **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None,
               optimizer="sgd", initializer=Uniform(0.01), eval_data=None,
               eval_metric="acc", epoch_end_callback=None,
               batch_end_callback=None, kvstore="local", logger=None,
               work_load_list=None, eval_end_callback=LogValidationMetricsCallback(),
               eval_batch_end_callback=None, **kwargs):
        """A FeedForward made with the given settings and fit on X, y."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch,
                            epoch_size=epoch_size, optimizer=optimizer,
                            initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric,
                  epoch_end_callback=epoch_end_callback,
                  batch_end_callback=batch_end_callback, kvstore=kvstore,
                  logger=logger, work_load_list=work_load_list,
                  eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model
