"""``VariationalDropoutCell`` and ``LSTMPCell``, the cells of MXNet
1.9.1's ``mxnet/gluon/contrib/rnn/rnn_cell.py`` (``mx.gluon.contrib.rnn``
there; kiln's ``mx.gluon.rnn`` exports them too)."""
from ..parameter import tensor_types
from .rnn_cell import (ModifierCell, _GatedCell, _format_masked,
                       _format_sequence, _get_begin_state,
                       _refuse_bidirectional)

__all__ = ['VariationalDropoutCell', 'LSTMPCell']


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal and Ghahramani, 2015) on a base cell: one
    dropout mask per sequence, the same at every step, for the inputs
    (drop_inputs), the first state, h (drop_states) and the outputs
    (drop_outputs); 0 turns each off. The masks are drawn at the first
    step and kept until reset() (unroll resets). drop_states is refused
    (AssertionError) for a BidirectionalCell.
    """

    def __init__(self, base_cell, drop_inputs=0., drop_states=0.,
                 drop_outputs=0.):
        if drop_states:
            _refuse_bidirectional(base_cell, "variational state dropout",
                                  "VariationalDropoutCell")
        super(VariationalDropoutCell, self).__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _alias(self):
        return 'vardrop'

    def reset(self):
        super(VariationalDropoutCell, self).reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _initialize_input_masks(self, F, inputs, states):
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = F.Dropout(F.ones_like(states[0]),
                                              p=self.drop_states)
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = F.Dropout(F.ones_like(inputs),
                                              p=self.drop_inputs)

    def _initialize_output_mask(self, F, output):
        if self.drop_outputs and self.drop_outputs_mask is None:
            self.drop_outputs_mask = F.Dropout(F.ones_like(output),
                                               p=self.drop_outputs)

    def hybrid_forward(self, F, inputs, states):
        self._initialize_input_masks(F, inputs, states)
        if self.drop_states:
            states = list(states)
            # Only h, always the first state, is dropped.
            states[0] = states[0] * self.drop_states_mask
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        next_output, next_states = self.base_cell(inputs, states)
        self._initialize_output_mask(F, next_output)
        if self.drop_outputs:
            next_output = next_output * self.drop_outputs_mask
        return next_output, next_states

    def __repr__(self):
        return '%s(p_out = %s, p_state = %s)' % (
            type(self).__name__, self.drop_outputs, self.drop_states)

    def unroll(self, length, inputs, begin_state=None, layout='NTC',
               merge_outputs=None, valid_length=None):
        """RecurrentCell.unroll; without state dropout the input and
        output dropouts apply to the whole sequence at once (a mask shared
        along the time axis)."""
        if self.drop_states:
            return super(VariationalDropoutCell, self).unroll(
                length, inputs, begin_state, layout, merge_outputs,
                valid_length=valid_length)
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs,
                                                       layout, True)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        if self.drop_inputs:
            inputs = F.Dropout(inputs, p=self.drop_inputs, axes=(axis,))
        outputs, states = self.base_cell.unroll(
            length, inputs, states, layout, merge_outputs=True,
            valid_length=valid_length)
        if self.drop_outputs:
            outputs = F.Dropout(outputs, p=self.drop_outputs, axes=(axis,))
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, tensor_types)
        outputs, _ = _format_masked(length, outputs, layout, merge_outputs,
                                    valid_length)
        return outputs, states


class LSTMPCell(_GatedCell):
    """LSTM with a projected recurrent state (Sak et al., 2014): LSTMCell's
    step, then ``r_t = h2r_weight . h_t``, which is both the output and
    the state fed back.

    hidden_size (the cell state's width), projection_size (the output's);
    parameters i2h_weight (4*hidden, input_size), h2h_weight (4*hidden,
    projection_size), h2r_weight (projection_size, hidden), i2h_bias and
    h2h_bias (4*hidden,); prefix ``lstmp<k>_``. Inputs x (batch,
    input_size) and [r (batch, projection_size), c (batch, hidden_size)];
    outputs r' and [r', c'].
    """
    _gates = 4

    def __init__(self, hidden_size, projection_size,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 h2r_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None,
                 params=None):
        super(LSTMPCell, self).__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
            params, projection_size, h2r_weight_initializer)
        self._projection_size = projection_size

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._projection_size),
                 '__layout__': 'NC'},
                {'shape': (batch_size, self._hidden_size),
                 '__layout__': 'NC'}]

    def _alias(self):
        return 'lstmp'

    def __repr__(self):
        return '%s(%s -> %s)' % (type(self).__name__, self._mapping(),
                                 self.h2r_weight.shape[0])

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       h2r_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h, h2h = self._projections(F, inputs, states[0], i2h_weight,
                                     h2h_weight, i2h_bias, h2h_bias, prefix)
        sliced = F.SliceChannel(i2h + h2h, num_outputs=4,
                                name=prefix + 'slice')
        in_gate = F.Activation(sliced[0], act_type='sigmoid',
                               name=prefix + 'i')
        forget_gate = F.Activation(sliced[1], act_type='sigmoid',
                                   name=prefix + 'f')
        in_transform = F.Activation(sliced[2], act_type='tanh',
                                    name=prefix + 'c')
        out_gate = F.Activation(sliced[3], act_type='sigmoid',
                                name=prefix + 'o')
        next_c = F.elemwise_add(forget_gate * states[1],
                                in_gate * in_transform,
                                name=prefix + 'state')
        hidden = F.elemwise_mul(out_gate,
                                F.Activation(next_c, act_type='tanh'),
                                name=prefix + 'hidden')
        next_r = F.FullyConnected(data=hidden, weight=h2r_weight,
                                  num_hidden=self._projection_size,
                                  no_bias=True, name=prefix + 'out')
        return next_r, [next_r, next_c]
