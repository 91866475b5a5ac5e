"""DataParallelExecutorGroup: one Executor per context, each running a slice
of every batch, as MXNet 1.9.1's mxnet/module/executor_group.py.

The batch axis of an input or output is where 'N' is in its layout
(DataDesc.layout, or a symbol output's ``__layout__`` attribute; 0 when
unset, -1 when the layout has no N, in which case every executor gets the
whole array and outputs are taken from the first). Slices follow the
work load list: device k gets round(load_k * batch / total) examples.

The attributes Module reads (and MXNet programs sometimes do) keep MXNet's
names: `execs`, `slices`, `batch_size`, `param_names`, `param_arrays`,
`grad_arrays`, `aux_arrays` (each a list over parameters of lists over
devices), `data_arrays`/`label_arrays` (lists of (slice, array) per
device), `input_grad_arrays`, `state_arrays`, `grad_req`.
"""
import logging
from collections import OrderedDict

import numpy as np

from .. import ndarray as nd
from ..ndarray.ndarray import _NDARRAY_DTYPES
from ..base import MXNetError
from ..context import cpu
from ..io import DataDesc

__all__ = ["DataParallelExecutorGroup"]


def _split_input_slice(batch_size, work_load_list):
    """The slice of the batch each device takes: device k gets
    round(load_k * batch_size / total) examples, the last the remainder.
    ValueError where a device would get none."""
    total = float(sum(work_load_list))
    counts = [int(round(load * batch_size / total)) for load in work_load_list]
    if sum(counts) < batch_size:
        counts[-1] += batch_size - sum(counts)
    slices, end = [], 0
    for count in counts:
        begin = min(end, batch_size)
        end = min(begin + count, batch_size)
        if begin >= end:
            raise ValueError("Too many slices. Some splits are empty.")
        slices.append(slice(begin, end))
    return slices


def _copy_slice(src, dst, piece, axis):
    """Copies `src`'s `piece` along `axis` into `dst` (all of src when the
    piece spans it, or axis < 0)."""
    if axis < 0 or (piece.start == 0 and piece.stop == src.shape[axis]):
        src.copyto(dst)
    elif axis == 0:
        src[piece.start:piece.stop].copyto(dst)
    else:
        nd.slice_axis(src, axis=axis, begin=piece.start,
                      end=piece.stop).copyto(dst)


def _load_general(sources, targets, axes):
    """Copies each source into its per-device targets: `targets[i]` is a
    list of (slice, array) pairs; a source given as a list (a list of
    DataBatch, one per device) is copied array by array."""
    for src, dsts, axis in zip(sources, targets, axes):
        if isinstance(src, (list, tuple)):
            for part, (_, dst) in zip(src, dsts):
                part.copyto(dst)
        else:
            for piece, dst in dsts:
                _copy_slice(src, dst, piece, axis)


def _batch_arrays(batch, field, count):
    """batch.data / batch.label, or for a list of DataBatch (pre-split per
    device) a list per input of the batches' arrays."""
    if isinstance(batch, list):
        return [[getattr(b, field)[i] for b in batch] for i in range(count)]
    return getattr(batch, field)


def _merge_multi_context(per_device, axes):
    """One array per output: the devices' arrays concatenated along the
    batch axis (or the first device's where axis < 0)."""
    merged = []
    for arrays, axis in zip(per_device, axes):
        if axis < 0 or len(arrays) == 1:
            merged.append(arrays[0])
        else:
            home = arrays[0].context
            merged.append(nd.concat(*[a.as_in_context(home) for a in arrays],
                                    dim=axis))
    return merged


def _grad_req_dict(grad_req, arg_names, param_names, fixed_param_names,
                   data_names, inputs_need_grad):
    """grad_req per argument: parameters get `grad_req` ('null' if fixed),
    data 'write' only with inputs_need_grad, the rest 'null'. A list gives
    one per argument, a dict overrides those defaults by name."""
    if isinstance(grad_req, (list, tuple)):
        assert len(grad_req) == len(arg_names)
        return dict(zip(arg_names, grad_req))
    if not isinstance(grad_req, (str, dict)):
        raise ValueError("grad_req must be one of str, list, tuple, or dict.")
    default = grad_req if isinstance(grad_req, str) else "write"
    reqs = {}
    for name in arg_names:
        if name in param_names:
            reqs[name] = "null" if name in fixed_param_names else default
        elif name in data_names:
            reqs[name] = default if inputs_need_grad else "null"
        else:
            reqs[name] = "null"
    if isinstance(grad_req, dict):
        reqs.update(grad_req)
    return reqs


class DataParallelExecutorGroup(object):
    """Executors of `symbol` on `contexts`, splitting each batch by
    `workload`.

    Parameters
    ----------
    symbol : Symbol
    contexts : list of Context
    workload : list of numbers, one per context
    data_shapes, label_shapes : list of DataDesc or (name, shape)
        label_shapes may be None (no labels fed).
    param_names : list of str
        The arguments that are parameters (updated by the optimizer).
    for_training : bool
        False binds with grad_req 'null' everywhere.
    inputs_need_grad : bool
        Whether the data get gradients (get_input_grads).
    shared_group : DataParallelExecutorGroup or None
        Another group whose executors share their parameters with these.
    fixed_param_names : list of str
        Parameters bound with grad_req 'null'.
    grad_req : str, list or dict
        'write', 'add' or 'null', for all, per argument or by name.
    state_names : list of str
        Inputs kept between batches (set with set_states).
    group2ctxs : None
        MXNet's model parallelism across contexts; kiln refuses it
        (MXNetError).
    """

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes,
                 param_names, for_training, inputs_need_grad,
                 shared_group=None, logger=logging, fixed_param_names=None,
                 grad_req="write", state_names=None, group2ctxs=None):
        if group2ctxs is not None:
            raise MXNetError("Module(group2ctxs=...): kiln does not place "
                             "parts of a symbol on different contexts "
                             "(model parallelism); got group2ctxs=%r"
                             % (group2ctxs,))
        self.param_names = param_names
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.symbol = symbol
        self.contexts = contexts
        self.workload = workload
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self._total_exec_bytes = 0
        self.fixed_param_names = list(fixed_param_names or [])
        self.state_names = list(state_names or [])

        data_shapes = [_as_desc(x) for x in data_shapes]
        if label_shapes is not None:
            label_shapes = [_as_desc(x) for x in label_shapes]
        self.grad_req = _grad_req_dict(
            grad_req if for_training else "null", self.arg_names,
            param_names, self.fixed_param_names,
            [x.name for x in data_shapes], inputs_need_grad)

        self.batch_size = None
        self.slices = None
        self.execs = []
        self._default_execs = None
        self.data_arrays = None
        self.label_arrays = None
        self.param_arrays = None
        self.state_arrays = None
        self.grad_arrays = None
        self.aux_arrays = None
        self.input_grad_arrays = None
        self.data_shapes = None
        self.label_shapes = None
        self.data_names = None
        self.label_names = None
        self.data_layouts = None
        self.label_layouts = None
        self.shared_data_arrays = (
            shared_group.shared_data_arrays if shared_group is not None
            else [{} for _ in contexts])
        self.output_names = symbol.list_outputs()
        self.num_outputs = len(self.output_names)
        self.output_layouts = [
            DataDesc.get_batch_axis(symbol[i].attr("__layout__"))
            for i in range(self.num_outputs)]
        self.bind_exec(data_shapes, label_shapes, shared_group)

    # -- binding -------------------------------------------------------------

    def decide_slices(self, data_shapes):
        """Sets batch_size and slices from `data_shapes` (DataDescs) and
        returns their batch axes. AssertionError where two inputs disagree
        on the batch size."""
        assert len(data_shapes) > 0
        axes = [DataDesc.get_batch_axis(x.layout) for x in data_shapes]
        for (name, shape), axis in zip(data_shapes, axes):
            if axis == -1:
                continue
            size = shape[axis]
            if self.batch_size is None:
                self.batch_size = size
                self.slices = _split_input_slice(size, self.workload)
            else:
                assert size == self.batch_size, (
                    "all data must have the same batch size: batch_size = "
                    "%d, but %s has shape %s" % (self.batch_size, name, shape))
        return axes

    def _sliced_shape(self, shapes, i, axes):
        """`shapes` (DataDescs) as device i sees them: its slice's length
        on each batch axis."""
        sliced = []
        for desc, axis in zip(shapes, axes):
            shape = list(desc.shape)
            if axis >= 0:
                shape[axis] = self.slices[i].stop - self.slices[i].start
            sliced.append(DataDesc(desc.name, tuple(shape), desc.dtype,
                                   desc.layout))
        return sliced

    def bind_exec(self, data_shapes, label_shapes, shared_group=None,
                  reshape=False):
        """Binds one executor per context (or, with `reshape`, reshapes the
        first-bound ones to the new shapes)."""
        assert reshape or not self.execs
        self.batch_size = None
        self.data_layouts = self.decide_slices(data_shapes)
        if label_shapes is not None:
            self.label_layouts = self.decide_slices(label_shapes)
        for i in range(len(self.contexts)):
            shapes = self._sliced_shape(data_shapes, i, self.data_layouts)
            if label_shapes is not None:
                shapes += self._sliced_shape(label_shapes, i,
                                             self.label_layouts)
            if reshape:
                self.execs[i] = self._default_execs[i].reshape(
                    allow_up_sizing=True, **dict(shapes))
            else:
                self.execs.append(self._bind_ith_exec(
                    i, shapes, len(data_shapes), shared_group))
        self.data_shapes = data_shapes
        self.label_shapes = label_shapes
        self.data_names = [x.name for x in data_shapes]
        if label_shapes is not None:
            self.label_names = [x.name for x in label_shapes]
        self._collect_arrays()

    def _bind_ith_exec(self, i, descs, num_data, shared_group):
        """simple_bind of the symbol on context i for the input DataDescs
        `descs` (the first num_data are data, whose dtype a variable's
        ``__dtype__`` attribute overrides)."""
        shapes = {d.name: d.shape for d in descs}
        types = {d.name: d.dtype for d in descs}
        attrs = self.symbol.attr_dict()
        for desc in descs[:num_data]:
            dtype = attrs.get(desc.name, {}).get("__dtype__", "-1")
            if dtype != "-1":
                # MXNet's type codes are the positions in this tuple.
                types[desc.name] = np.dtype(_NDARRAY_DTYPES[int(dtype)]).type
        # As MXNet's: the parameters are shared_group's arrays (simple_bind
        # checks their shapes), the data and label arrays come from the
        # buffers of this device that all groups of one shared chain use.
        kwargs = dict(shared_arg_names=self.param_names,
                      shared_buffer=self.shared_data_arrays[i])
        if shared_group is not None:
            kwargs["shared_exec"] = shared_group.execs[i]
        return self.symbol.simple_bind(ctx=self.contexts[i],
                                       grad_req=self.grad_req,
                                       type_dict=types, **dict(kwargs,
                                                               **shapes))

    def _collect_arrays(self):
        """The per-device array lists, from the executors."""
        def per_device(getter):
            return [getter(e) for e in self.execs]

        def pieces(name, i_slices):
            return [(i_slices[k], e.arg_dict[name])
                    for k, e in enumerate(self.execs)]

        if self.slices:
            data_slices = self.slices
        else:  # no input has a batch axis: device k takes element k
            data_slices = [slice(k, k + 1) for k in range(len(self.execs))]
        self.data_arrays = [pieces(name, data_slices)
                            for name, _ in self.data_shapes]
        self.state_arrays = [per_device(lambda e, n=name: e.arg_dict[n])
                             for name in self.state_names]
        if self.label_shapes is not None:
            self.label_arrays = [pieces(name, self.slices)
                                 for name, _ in self.label_shapes]
        else:
            self.label_arrays = None
        param_idx = [i for i, name in enumerate(self.arg_names)
                     if name in self.param_names]
        self.param_arrays = [per_device(lambda e, i=i: e.arg_arrays[i])
                             for i in param_idx]
        if self.for_training:
            self.grad_arrays = [per_device(lambda e, i=i: e.grad_arrays[i])
                                for i in param_idx]
        else:
            self.grad_arrays = None
        if self.inputs_need_grad:
            self.input_grad_arrays = [
                per_device(lambda e, i=self.arg_names.index(name):
                           e.grad_arrays[i])
                for name, _ in self.data_shapes if name in self.arg_names]
        else:
            self.input_grad_arrays = None
        self.aux_arrays = [per_device(lambda e, i=i: e.aux_arrays[i])
                           for i in range(len(self.aux_names))]

    def reshape(self, data_shapes, label_shapes):
        """Reshapes the executors for new input shapes (a new batch size);
        nothing when they are unchanged."""
        if (data_shapes == self.data_shapes
                and label_shapes == self.label_shapes):
            return
        if self._default_execs is None:
            self._default_execs = list(self.execs)
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    # -- parameters -----------------------------------------------------------

    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copies the parameters into every executor
        (Executor.copy_params_from)."""
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params,
                                 allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Writes the devices' mean of each parameter and auxiliary state
        into the CPU arrays of `arg_params` / `aux_params` (in place, in
        their dtypes)."""
        for names, blocks, target in ((self.param_names, self.param_arrays,
                                       arg_params),
                                      (self.aux_names, self.aux_arrays,
                                       aux_params)):
            for name, block in zip(names, blocks):
                if len(block) == 1:
                    mean = block[0].copyto(cpu())
                else:
                    mean = sum(w.copyto(cpu()) for w in block) / len(block)
                mean.astype(target[name].dtype).copyto(target[name])

    # -- computation ----------------------------------------------------------

    def forward(self, data_batch, is_train=None):
        """Loads the batch's data (and labels, when bound with labels and
        the batch has them) into the executors, split by device, and runs
        forward (is_train None means for_training)."""
        _load_general(_batch_arrays(data_batch, "data", len(self.data_arrays)),
                      self.data_arrays, self.data_layouts)
        if is_train is None:
            is_train = self.for_training
        first = data_batch[0] if isinstance(data_batch, list) else data_batch
        if self.label_arrays is not None and first.label:
            _load_general(_batch_arrays(data_batch, "label",
                                        len(self.label_arrays)),
                          self.label_arrays, self.label_layouts)
        for exe in self.execs:
            exe.forward(is_train=is_train)

    def backward(self, out_grads=None):
        """Backward on every device, each with its slice of `out_grads`
        (the head gradients, needed for outputs that are not losses).
        AssertionError when bound with for_training=False."""
        assert self.for_training, \
            "re-bind with for_training=True to run backward"
        out_grads = [] if out_grads is None else out_grads
        if isinstance(out_grads, nd.NDArray):
            out_grads = [out_grads]
        for k, (exe, piece) in enumerate(zip(self.execs, self.slices)):
            heads = []
            for grad, axis in zip(out_grads, self.output_layouts):
                if axis >= 0 and len(self.execs) > 1:
                    grad = nd.slice_axis(grad, axis=axis, begin=piece.start,
                                         end=piece.stop)
                heads.append(grad.as_in_context(self.contexts[k]))
            exe.backward(out_grads=heads or None)

    def get_output_shapes(self):
        """[(output name, shape)]: the first device's output shapes with
        the batch size on each output's batch axis (its __layout__'s N,
        axis 0 without one), as MXNet's: so an output with no batch axis
        (a summed loss of shape (1,)) reports (batch_size,). Valid before
        the first forward."""
        arrays = self.execs[0].arg_dict
        names = [d.name for d in self.data_shapes]
        names += [d.name for d in self.label_shapes or []]
        _, out_shapes, _ = self.symbol.infer_shape(
            **{name: arrays[name].shape for name in names})
        result = []
        for name, shape, axis in zip(self.output_names, out_shapes,
                                     self.output_layouts):
            shape = list(shape)
            if 0 <= axis < len(shape):
                shape[axis] = self.batch_size
            result.append((name, tuple(shape)))
        return result

    def get_outputs(self, merge_multi_context=True, begin=0, end=None):
        """Outputs begin..end (all by default) of the last forward: one
        array each (merge_multi_context) or a list per device."""
        end = self.num_outputs if end is None else end
        outputs = [[exe.outputs[i] for exe in self.execs]
                   for i in range(begin, end)]
        if merge_multi_context:
            return _merge_multi_context(outputs,
                                        self.output_layouts[begin:end])
        return outputs

    def get_states(self, merge_multi_context=True):
        """The state arrays, per state a list per device (merging is not
        supported, as in MXNet: AssertionError)."""
        assert not merge_multi_context, \
            "merge_multi_context=True is not supported for get_states yet."
        return self.state_arrays

    def set_states(self, states=None, value=None):
        """Sets the states from `states` (per state, a list per device) or
        fills them all with the scalar `value`; exactly one of the two."""
        if states is not None:
            assert value is None, \
                "Only one of states & value can be specified."
            _load_general(states, self.state_arrays, (0,) * len(states))
            return
        assert value is not None, \
            "At least one of states & value must be specified."
        for arrays in self.state_arrays:
            for array in arrays:
                array[:] = value

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (bound with
        inputs_need_grad)."""
        assert self.inputs_need_grad
        if merge_multi_context:
            return _merge_multi_context(self.input_grad_arrays,
                                        self.data_layouts)
        return self.input_grad_arrays

    def update_metric(self, eval_metric, labels, pre_sliced):
        """eval_metric.update_dict with each device's outputs and its slice
        of `labels` (already per device when pre_sliced)."""
        label_names = self.label_names or []
        for k, (exe, piece) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                mine = labels[k]
            else:
                mine = []
                for label, axis in zip(labels, self.label_layouts or []):
                    if axis == 0:
                        mine.append(label[piece])
                    elif axis > 0:
                        mine.append(nd.slice_axis(label, axis=axis,
                                                  begin=piece.start,
                                                  end=piece.stop))
                    else:
                        mine.append(label)
            eval_metric.update_dict(OrderedDict(zip(label_names, mine)),
                                    OrderedDict(zip(self.output_names,
                                                    exe.outputs)))

    def install_monitor(self, mon):
        """mon.install(executor) for every executor."""
        for exe in self.execs:
            mon.install(exe)


def _as_desc(shape):
    """A DataDesc from a DataDesc or a (name, shape[, dtype, layout])."""
    return shape if isinstance(shape, DataDesc) else DataDesc(*shape)
