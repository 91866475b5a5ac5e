"""MXNet 1.9.1's ``mxnet/gluon/contrib/rnn/rnn_cell.py``:
``VariationalDropoutCell`` and ``LSTMPCell`` (kiln defines them with the
other cells in ``gluon/rnn/contrib_rnn_cell.py``; the same classes here)
and ``dynamic_unroll``."""
from ....base import _as_list
from ...rnn.contrib_rnn_cell import LSTMPCell, VariationalDropoutCell
from ...rnn.rnn_cell import _format_sequence

__all__ = ['VariationalDropoutCell', 'LSTMPCell']


def dynamic_unroll(cell, inputs, begin_state, drop_inputs=0, drop_outputs=0,
                   layout='TNC', valid_length=None):
    """Runs ``cell`` over the time axis of ``inputs`` with
    ``contrib.foreach`` (one loop, not one node per step).

    inputs : NDArray (length, batch, ...) for layout 'TNC' (the faster
        one) or (batch, length, ...) for 'NTC'.
    begin_state : list of NDArray, the initial states.
    drop_inputs, drop_outputs : float, default 0
        Dropout rates on the inputs and outputs, one mask for every step.
    valid_length : NDArray (batch,) or None
        Each sequence's length; later steps keep the last valid states
        and give zero outputs.

    Returns (outputs in ``layout``, the final states). kiln's foreach runs
    imperatively (``F = mx.nd``); kiln's mx.sym has no foreach yet.
    """
    inputs, axis, F, _ = _format_sequence(0, inputs, layout, True)
    axes = None
    if axis != 0:
        # foreach loops over axis 0: bring time there and back.
        axes = list(range(len(layout)))
        axes[0], axes[axis] = axes[axis], axes[0]
        inputs = F.transpose(inputs, axes=axes)
    states = begin_state
    if drop_inputs:
        inputs = F.Dropout(inputs, p=drop_inputs, axes=(axis,))

    if valid_length is None:
        def step(data, step_states):
            return cell(data, step_states)
    else:
        # The step number rides along as an extra state.
        states = list(_as_list(states)) + [F.zeros((1,))]

        def step(data, step_states):
            previous, number = step_states[:-1], step_states[-1]
            output, new_states = cell(data, previous)
            running = F.broadcast_greater(valid_length, number)
            new_states = [F.where(running, new, old)
                          for new, old in zip(new_states, previous)]
            return output, new_states + [number + 1]

    outputs, states = F.contrib.foreach(step, inputs, states)
    if drop_outputs:
        outputs = F.Dropout(outputs, p=drop_outputs, axes=(axis,))
    if axes is not None:
        outputs = F.transpose(outputs, axes)
    if valid_length is None:
        return outputs, states
    outputs = F.SequenceMask(outputs, sequence_length=valid_length,
                             use_sequence_length=True, axis=axis)
    return outputs, states[:-1]
