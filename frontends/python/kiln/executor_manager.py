"""Data-parallel executors of the legacy FeedForward model, as MXNet 1.9.1's
mxnet.executor_manager.

    manager = DataParallelExecutorManager(net, [mx.cpu(0), mx.cpu(1)], it,
                                          arg_names, param_names, aux_names)
    manager.set_params(arg_params, aux_params)
    for batch in it:
        manager.load_data_batch(batch)
        manager.forward(is_train=True)
        manager.backward()

The batch is split across the contexts by _split_input_slice (each
context's share of `work_load_list`), one Executor per context shares
the parameters' names; Module's own group is module.executor_group.
"""
import logging

import numpy as np

from . import ndarray as nd
from .base import mx_real_t
from .context import cpu
from .io import DataDesc
from .module.executor_group import _split_input_slice

__all__ = ["DataParallelExecutorGroup", "DataParallelExecutorManager"]


def _first_repeat(names):
    """The first name of `names` seen before, or None."""
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _check_arguments(symbol):
    """ValueError when `symbol` names an argument, or an auxiliary state,
    twice (two layers given the same name), naming it and the list."""
    arg_names = symbol.list_arguments()
    repeated = _first_repeat(arg_names)
    if repeated is not None:
        raise ValueError(
            'Find duplicated argument name "%s", please make the weight '
            'name non-duplicated(using name arguments), arguments are %s'
            % (repeated, arg_names))
    aux_names = symbol.list_auxiliary_states()
    repeated = _first_repeat(aux_names)
    if repeated is not None:
        raise ValueError(
            'Find duplicated auxiliary param name "%s", please make the '
            'weight name non-duplicated(using name arguments), arguments '
            'are %s, auxiliary params are %s'
            % (repeated, arg_names, aux_names))


def _load_general(data, targets):
    """Copies each source array into its target: an NDArray (whole), or a
    list of (slice, NDArray) pairs, one per device, that split axis 0
    (AssertionError when the last slice does not end at the batch size)."""
    for source, target in zip(data, targets):
        if isinstance(target, nd.NDArray):
            source.copyto(target)
            continue
        if target[-1][0].stop != source.shape[0]:
            raise AssertionError("Batch size miss match. Expected %d, got %d"
                                 % (target[-1][0].stop, source.shape[0]))
        for piece, destination in target:
            source[piece].copyto(destination)


def _load_data(batch, targets):
    """Loads batch.data into `targets` (see _load_general)."""
    _load_general(batch.data, targets)


def _load_label(batch, targets):
    """Loads batch.label into `targets` (see _load_general)."""
    _load_general(batch.label, targets)


def _data_array(name, shape, dtype, ctx, shared, logger):
    """The input array `name` on ctx, reusing (a reshaped view of) the one
    in `shared` when it is big enough; a new one is recorded there."""
    if shared is not None and name in shared:
        existing = shared[name]
        if np.prod(existing.shape) >= np.prod(shape):
            if existing.dtype != dtype:
                raise AssertionError(
                    "shared data %s has dtype %s, expected %s"
                    % (name, np.dtype(existing.dtype).name,
                       np.dtype(dtype).name))
            return existing.reshape(shape)
        logger.warning('bucketing: data "%s" has a shape %s, which is larger '
                       'than already allocated shape %s. Need to re-allocate.'
                       ' Consider putting default_bucket_key to be the bucket'
                       ' taking the largest input for better memory sharing.',
                       name, shape, existing.shape)
    array = nd.zeros(shape, ctx, dtype=dtype)
    if shared is not None:
        shared[name] = array
    return array


def _bind_exec(sym, ctx, input_shapes, param_names, need_grad=False,
               base_exec=None, shared_data_arrays=None, input_types=None,
               logger=logging):
    """Binds `sym` on `ctx` for inputs of `input_shapes` ({name: shape}).

    need_grad: False (no gradients), True (every argument but the inputs)
    or a set of names (AssertionError otherwise). Parameters come from
    `base_exec` when given (sharing its arrays and gradients), inputs from
    `shared_data_arrays` ({name: NDArray}, updated) when big enough.
    input_types: {name: dtype}, float32 by default.
    """
    arg_shapes, _, aux_shapes = sym.infer_shape(**input_shapes)
    if arg_shapes is None:
        raise AssertionError("cannot infer the shapes of %s from %s"
                             % (sym.list_arguments(), input_shapes))
    if input_types is None:
        input_types = {name: mx_real_t for name in input_shapes}
    arg_types, _, aux_types = sym.infer_type(**input_types)
    if arg_types is None:
        raise AssertionError("cannot infer the types of %s from %s"
                             % (sym.list_arguments(), input_types))
    arg_names = sym.list_arguments()
    if need_grad is False:
        grads, need_grad = None, set()
    elif need_grad is True:
        grads, need_grad = {}, set(arg_names) - set(input_shapes)
    elif isinstance(need_grad, set):
        grads = {}
    else:
        raise AssertionError("need_grad must be boolean or set.")
    grad_req = {name: "write" if name in need_grad else "null"
                for name in arg_names}
    args = []
    for name, shape, dtype in zip(arg_names, arg_shapes, arg_types):
        if name not in param_names:
            args.append(_data_array(name, shape, dtype, ctx,
                                    shared_data_arrays, logger))
        elif base_exec is None:
            args.append(nd.zeros(shape, ctx, dtype=dtype))
            if name in need_grad:
                grads[name] = nd.zeros(shape, ctx, dtype=dtype)
        else:
            shared = base_exec.arg_dict[name]
            if shared.shape != tuple(shape) or shared.dtype != dtype:
                raise AssertionError(
                    "parameter %s of the shared executor is %s %s, expected "
                    "%s %s" % (name, shared.shape, np.dtype(shared.dtype).name,
                               tuple(shape), np.dtype(dtype).name))
            args.append(shared)
            if name in need_grad:
                grads[name] = base_exec.grad_dict[name]
    if base_exec is None:
        aux = [nd.zeros(shape, ctx, dtype=dtype)
               for shape, dtype in zip(aux_shapes, aux_types)]
    else:
        aux = list(base_exec.aux_arrays)
        for shape, dtype, array in zip(aux_shapes, aux_types, aux):
            if array.shape != tuple(shape) or array.dtype != dtype:
                raise AssertionError("auxiliary state of the shared executor"
                                     " is %s, expected %s"
                                     % (array.shape, tuple(shape)))
    return sym.bind(ctx=ctx, args=args, args_grad=grads, aux_states=aux,
                    grad_req=grad_req, shared_exec=base_exec)


def _desc_name(desc):
    return desc.name if isinstance(desc, DataDesc) else desc[0]


class DataParallelExecutorGroup(object):
    """One training Executor per context, each taking its slice of a batch.

    sym: the Symbol (ValueError on duplicated argument names). arg_names,
    param_names: lists of str, the parameters among the arguments. ctx:
    list of Contexts. slices: list of slice, one per context. train_data:
    anything with provide_data / provide_label (DataDescs or (name, shape)
    pairs). shared_group: a group whose parameters and input memory this
    one shares (bucketing).

    Attributes as MXNet's: train_execs, data_arrays / label_arrays (per
    input, a list of (slice, NDArray) per context), param_arrays,
    grad_arrays, aux_arrays (per parameter, a list per context), slices,
    param_names, data_names, label_names, aux_names.
    """

    def __init__(self, sym, arg_names, param_names, ctx, slices, train_data,
                 shared_group=None):
        _check_arguments(sym)
        if shared_group is None:
            self.shared_data_arrays = [{} for _ in ctx]
        else:
            self.shared_data_arrays = shared_group.shared_data_arrays
        self.data_names = [_desc_name(x) for x in train_data.provide_data]
        self.label_names = [_desc_name(x) for x in train_data.provide_label]
        self.aux_names = sym.list_auxiliary_states()
        self.param_idx = [i for i, name in enumerate(arg_names)
                          if name in param_names]
        self.param_names = [arg_names[i] for i in self.param_idx]
        self.train_execs = []
        for i, context in enumerate(ctx):
            shapes, types = {}, {}
            for desc in train_data.provide_data + train_data.provide_label:
                name = _desc_name(desc)
                shape = desc.shape if isinstance(desc, DataDesc) else desc[1]
                shapes[name] = tuple([slices[i].stop - slices[i].start] +
                                     list(shape[1:]))
                types[name] = (desc.dtype if isinstance(desc, DataDesc)
                               else mx_real_t)
            shared_exec = (None if shared_group is None
                           else shared_group.train_execs[i])
            self.train_execs.append(_bind_exec(
                sym, context, shapes, self.param_names, need_grad=True,
                base_exec=shared_exec,
                shared_data_arrays=self.shared_data_arrays[i],
                input_types=types))
        self.data_arrays = [[(slices[i], e.arg_dict[name])
                             for i, e in enumerate(self.train_execs)]
                            for name in self.data_names]
        self.label_arrays = [[(slices[i], e.arg_dict[name])
                              for i, e in enumerate(self.train_execs)]
                             for name in self.label_names]
        self.param_arrays = [[e.arg_arrays[i] for e in self.train_execs]
                             for i in self.param_idx]
        self.grad_arrays = [[e.grad_arrays[i] for e in self.train_execs]
                            for i in self.param_idx]
        self.aux_arrays = [[e.aux_arrays[i] for e in self.train_execs]
                           for i in range(len(self.aux_names))]
        self.slices = slices

    def load_data_batch(self, data_batch):
        """Copies the batch's data and labels into the executors' inputs."""
        _load_data(data_batch, self.data_arrays)
        _load_label(data_batch, self.label_arrays)

    def forward(self, is_train=False):
        """Runs every executor forward."""
        for executor in self.train_execs:
            executor.forward(is_train=is_train)

    def backward(self):
        """Runs every executor backward."""
        for executor in self.train_execs:
            executor.backward()

    def update_metric(self, metric, labels, pre_sliced=False):
        """Updates `metric` with each executor's outputs against its slice
        of `labels` (or labels[i] when pre_sliced)."""
        for i, (executor, piece) in enumerate(zip(self.train_execs,
                                                  self.slices)):
            sliced = (labels[i] if pre_sliced
                      else [label[piece] for label in labels])
            metric.update(sliced, executor.outputs)


class DataParallelExecutorManager(object):
    """Splits each batch over `ctx` (by work_load_list, default even) and
    runs a DataParallelExecutorGroup, one per bucket when `sym_gen` (a
    function of the bucket key) is given.

    symbol, ctx (list of Contexts), train_data (a DataIter, its batch_size
    and provide_data/provide_label read), arg_names, param_names,
    aux_names: lists of str. AssertionError when work_load_list is not a
    list with one entry per context; ValueError when a context would get
    no examples.
    """

    def __init__(self, symbol, ctx, train_data, arg_names, param_names,
                 aux_names, work_load_list=None, logger=None, sym_gen=None):
        logger = logger or logging
        logger.info("Start training with %s", str(ctx))
        if work_load_list is None:
            work_load_list = [1] * len(ctx)
        if not (isinstance(work_load_list, list) and
                len(work_load_list) == len(ctx)):
            raise AssertionError("Invalid settings for work load. ")
        self.slices = _split_input_slice(train_data.batch_size,
                                         work_load_list)
        self.arg_names = arg_names
        self.param_names = param_names
        self.aux_names = aux_names
        self.ctx = ctx
        self.execgrp = DataParallelExecutorGroup(
            symbol, arg_names, param_names, ctx, self.slices, train_data)
        self.symbol = symbol
        self.sym_gen = sym_gen
        self.curr_execgrp = None  # set by load_data_batch
        if sym_gen is not None:
            self.execgrp_bucket = {train_data.default_bucket_key:
                                   self.execgrp}

    def install_monitor(self, monitor):
        """Installs `monitor` on every executor (NotImplementedError with
        buckets)."""
        if self.sym_gen is not None:
            raise NotImplementedError("Monitoring is not implemented for "
                                      "bucketing")
        for executor in self.execgrp.train_execs:
            monitor.install(executor)

    def set_params(self, arg_params, aux_params):
        """Copies the given parameters ({name: NDArray}) into every
        executor."""
        for executor in self.execgrp.train_execs:
            executor.copy_params_from(arg_params, aux_params)

    def copy_to(self, arg_params, aux_params):
        """Writes the average over contexts of each parameter and auxiliary
        state into arg_params / aux_params (in their dtypes)."""
        for names, blocks, target in (
                (self.param_names, self.param_arrays, arg_params),
                (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                mean = sum(w.copyto(cpu()) for w in block) / len(block)
                mean.astype(target[name].dtype).copyto(target[name])

    @property
    def param_arrays(self):
        """Per parameter, its array on each context."""
        return self.execgrp.param_arrays

    @property
    def grad_arrays(self):
        """Per parameter, its gradient on each context."""
        return self.execgrp.grad_arrays

    @property
    def aux_arrays(self):
        """Per auxiliary state, its array on each context."""
        return self.execgrp.aux_arrays

    def load_data_batch(self, data_batch):
        """Loads a batch into the group of its bucket (made on first use,
        sharing the default group's parameters)."""
        if self.sym_gen is None:
            self.curr_execgrp = self.execgrp
        else:
            key = data_batch.bucket_key
            if key not in self.execgrp_bucket:
                self.execgrp_bucket[key] = DataParallelExecutorGroup(
                    self.sym_gen(key), self.arg_names, self.param_names,
                    self.ctx, self.slices, data_batch,
                    shared_group=self.execgrp)
            self.curr_execgrp = self.execgrp_bucket[key]
        self.curr_execgrp.load_data_batch(data_batch)

    def forward(self, is_train=False):
        """Runs the current group forward."""
        self.curr_execgrp.forward(is_train=is_train)

    def backward(self):
        """Runs the current group backward."""
        self.curr_execgrp.backward()

    def update_metric(self, metric, labels, pre_sliced=False):
        """Updates `metric` from the current group's outputs."""
        self.curr_execgrp.update_metric(metric, labels, pre_sliced)
