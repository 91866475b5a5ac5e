"""The Updater (mxnet.optimizer.Updater): applies an optimizer to weights
by index and keeps their states, as KVStore, Module and Gluon's Trainer
use it.

    updater = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    updater(0, grad, weight)              # or lists of indices/grads/weights
    blob = updater.get_states()           # pickle bytes, MXNet's layout
    updater.set_states(blob)              # also reads MXNet 1.9.1's
"""
from ..base import py_str
from ..ndarray import NDArray
from . import _mxnet_pickle


class Updater(object):
    """Updates weights with `optimizer`, creating each index's state on
    first sight (optimizer.create_state_multi_precision).

    With optimizer.aggregate_num > 0 a call's weights are grouped by dtype
    and handed to update_multi_precision aggregate_num at a time (lists of
    indices, weights, grads, states); otherwise one at a time.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        """Updates `weight` (NDArray, or a list matching a list `index` and
        `grad`) in place from `grad`. Indices may be ints, strs or bytes
        (bytes are decoded, as KVStore's C callbacks give them)."""
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), grad, weight
        else:
            indices, grads, weights = [index], [grad], [weight]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                idx = indices[i] = py_str(idx)
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(
                    idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx],
                                                           weights[i].context)
                self.states_synced[idx] = True
        if not self.aggregate_updates:
            for idx, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(idx, w, g,
                                                      self.states[idx])
            return
        by_dtype = {}
        for entry in zip(indices, weights, grads):
            by_dtype.setdefault(entry[1].dtype, []).append(entry)
        step = self.optimizer.aggregate_num
        for entries in by_dtype.values():
            idxs, ws, gs = zip(*entries)
            for start in range(0, len(idxs), step):
                part = slice(start, start + step)
                self.optimizer.update_multi_precision(
                    idxs[part], ws[part], gs[part],
                    [self.states[idx] for idx in idxs[part]])

    def sync_state_context(self, state, context):
        """`state` (an NDArray, or nested tuples/lists of them) on
        `context`; anything else as it is."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Loads pickle bytes from get_states (kiln's or MXNet's): the
        states, or (states, optimizer), which replaces the optimizer."""
        states = _mxnet_pickle.loads(states)
        if isinstance(states, tuple) and len(states) == 2:
            self.states, self.optimizer = states
        else:
            self.states = states
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """Pickle bytes of the states (dict index -> state), or of
        (states, optimizer) with dump_optimizer, in MXNet's layout."""
        return _mxnet_pickle.dumps((self.states, self.optimizer)
                                   if dump_optimizer else self.states)


def get_updater(optimizer):
    """An Updater of `optimizer` (MXNet's closure for KVStore)."""
    return Updater(optimizer)
