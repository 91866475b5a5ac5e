"""Recurrent layers of ``mx.gluon.rnn`` on the fused RNN operator, as
MXNet 1.9.1's ``mxnet/gluon/rnn/rnn_layer.py``: ``RNN``, ``LSTM``,
``GRU``.

A layer runs a whole sequence through ``num_layers`` stacked recurrences
(both directions with ``bidirectional``) in one ``F.RNN`` call, on its
parameters packed in MXNet's order (every weight, layer by layer and
direction by direction, i2h then h2h (then h2r with a projection), then
every bias).

    layer = mx.gluon.rnn.LSTM(100, num_layers=2, bidirectional=True)
    layer.initialize()
    x = mx.nd.random.uniform(shape=(5, 3, 10))         # (T, N, C), 'TNC'
    out = layer(x)                                     # (5, 3, 200)
    out, [h, c] = layer(x, layer.begin_state(3))       # h, c (4, 3, 100)

Parameters ``l<k>_i2h_weight`` (gates*hidden, input width),
``l<k>_h2h_weight`` (gates*hidden, hidden or projection_size),
``l<k>_i2h_bias``, ``l<k>_h2h_bias`` (gates*hidden,), ``l<k>_h2r_weight``
(projection_size, hidden) with a projection, and ``r<k>_...`` for the
backward direction; gates: 1 (RNN), 4 (LSTM), 3 (GRU). ``input_size`` 0
defers layer 0's input width to the first call. ``save_parameters``
writes MXNet's names for them (``_unfused.<k>.i2h_weight``, or
``_unfused.<k>.l_cell.i2h_weight`` when bidirectional), so files move
between kiln and MXNet both ways.

Errors: a layout other than 'TNC'/'NTC' is an AssertionError and an
unknown mode a KeyError, as in MXNet; inputs not of rank 3, a feature size
that contradicts the initialized weights, and begin states of the wrong
number or shape are ValueErrors naming the layer, expected and got (all
of them MXNetErrors too).
"""
import re

from ... import ndarray
from ... import symbol
from ..._core import MXNetValueError
from ...base import MXNetError
from ..block import HybridBlock
from ..parameter import _check, tensor_types
from . import rnn_cell
from .rnn_cell import _make_state

__all__ = ['RNN', 'LSTM', 'GRU']

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}

# A fused parameter's name: direction, layer, group, kind.
_PARAM_NAME = re.compile(r'(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z')


class _MXNetKeyError(MXNetError, KeyError):
    """MXNetError that is also Python's KeyError (MXNet's unknown mode is
    a failed dict lookup)."""


_MXNetKeyError.__name__ = _MXNetKeyError.__qualname__ = "KeyError"
_MXNetKeyError.__module__ = "kiln.base"


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share (see the module docstring); `mode` is
    the RNN operator's: 'rnn_relu', 'rnn_tanh', 'lstm' or 'gru'."""

    def __init__(self, hidden_size, num_layers, layout, dropout,
                 bidirectional, input_size, i2h_weight_initializer,
                 h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size,
                 h2r_weight_initializer, lstm_state_clip_min,
                 lstm_state_clip_max, lstm_state_clip_nan, dtype,
                 use_sequence_length=False, **kwargs):
        super(_RNNLayer, self).__init__(**kwargs)
        _check(layout in ('TNC', 'NTC'),
               "Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout)
        if mode not in _GATES:
            raise _MXNetKeyError(
                "%s '%s': unknown mode '%s'; expected one of %s"
                % (type(self).__name__, self.name, mode,
                   ", ".join("'%s'" % key for key in _GATES)))
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states = None
        self._gates = _GATES[mode]

        rows = self._gates * hidden_size
        recurrent = self._projection_size or hidden_size
        width = input_size
        for layer in range(num_layers):
            for direction in 'lr'[:self._dir]:
                prefix = '%s%d_' % (direction, layer)
                self._register_param(prefix + 'i2h_weight', (rows, width),
                                     i2h_weight_initializer, dtype)
                self._register_param(prefix + 'h2h_weight',
                                     (rows, recurrent),
                                     h2h_weight_initializer, dtype)
                self._register_param(prefix + 'i2h_bias', (rows,),
                                     i2h_bias_initializer, dtype)
                self._register_param(prefix + 'h2h_bias', (rows,),
                                     h2h_bias_initializer, dtype)
                if self._projection_size:
                    self._register_param(
                        prefix + 'h2r_weight',
                        (self._projection_size, hidden_size),
                        h2r_weight_initializer, dtype)
            width = recurrent * self._dir

    def _register_param(self, name, shape, init, dtype):
        param = self.params.get(name, shape=shape, init=init,
                                allow_deferred_init=True, dtype=dtype)
        setattr(self, name, param)
        return param

    def __repr__(self):
        text = '%s(%s, %s' % (type(self).__name__, self._mapping(),
                              self._layout)
        if self._num_layers != 1:
            text += ', num_layers=%s' % self._num_layers
        if self._dropout != 0:
            text += ', dropout=%s' % self._dropout
        if self._dir == 2:
            text += ', bidirectional'
        return text + ')'

    def _mapping(self):
        rows, width = self.l0_i2h_weight.shape
        return '%s -> %s' % (width if width else None, rows // self._gates)

    def _collect_params_with_prefix(self, prefix=''):
        """The names save_parameters writes: MXNet's unfused cells'
        (``_unfused.<layer>.[l_cell.|r_cell.]<group>_<kind>``)."""
        if prefix:
            prefix += '.'
        matches = {key: _PARAM_NAME.match(key) for key in self._reg_params}
        bidirectional = any(match.group(1) == 'r'
                            for match in matches.values())
        result = {}
        for key, value in self._reg_params.items():
            direction, layer, group, kind = matches[key].groups()
            cell = '%s_cell.' % direction if bidirectional else ''
            result['%s_unfused.%s.%s%s_%s' % (prefix, layer, cell, group,
                                              kind)] = value
        for name, child in self._children.items():
            result.update(child._collect_params_with_prefix(prefix + name))
        return result

    def state_info(self, batch_size=0):
        """One dict per state: shape (num_layers * directions,
        batch_size, width), '__layout__' 'LNC' and dtype."""
        raise NotImplementedError

    def _state_shape(self, batch_size, width):
        return {'shape': (self._num_layers * self._dir, batch_size, width),
                '__layout__': 'LNC', 'dtype': self._dtype}

    def _unfuse(self):
        """The same network as a HybridSequentialRNNCell of cells sharing
        this layer's parameters (BidirectionalCell per layer when
        bidirectional, DropoutCell between layers). AssertionError with a
        projection or state clipping, which the cells lack."""
        _check(not self._projection_size,
               "_unfuse does not support projection layer yet!")
        _check(not self._lstm_state_clip_min and
               not self._lstm_state_clip_max,
               "_unfuse does not support state clipping yet!")

        def make_cell(**kwargs):
            if self._mode == 'lstm':
                return rnn_cell.LSTMCell(self._hidden_size, **kwargs)
            if self._mode == 'gru':
                return rnn_cell.GRUCell(self._hidden_size, **kwargs)
            return rnn_cell.RNNCell(self._hidden_size,
                                    activation=self._mode[4:], **kwargs)

        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix,
                                                 params=self.params)
        with stack.name_scope():
            width = self._input_size
            for layer in range(self._num_layers):
                kwargs = {
                    'input_size': width,
                    'i2h_weight_initializer': self._i2h_weight_initializer,
                    'h2h_weight_initializer': self._h2h_weight_initializer,
                    'i2h_bias_initializer': self._i2h_bias_initializer,
                    'h2h_bias_initializer': self._h2h_bias_initializer}
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(
                        make_cell(prefix='l%d_' % layer, **kwargs),
                        make_cell(prefix='r%d_' % layer, **kwargs)))
                else:
                    stack.add(make_cell(prefix='l%d_' % layer, **kwargs))
                if self._dropout > 0 and layer != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                width = self._hidden_size * self._dir
        return stack

    def cast(self, dtype):
        super(_RNNLayer, self).cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """The initial states: ``func(name='<prefix>h0_<k>', shape=...,
        dtype=..., **kwargs)`` for each entry of state_info(batch_size)
        (func: mx.nd.zeros by default; mx.sym.zeros, mx.sym.var ... for
        symbols)."""
        states = []
        for index, info in enumerate(self.state_info(batch_size)):
            if info is None:
                info = kwargs
            else:
                info.update(kwargs)
            states.append(_make_state(func, '%sh0_%d' % (self.prefix, index),
                                      info))
        return states

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        """out, or (out, states) when begin `states` are given (an array
        or a list); `sequence_length` (batch,) with use_sequence_length."""
        self.skip_states = states is None
        if states is None:
            if isinstance(inputs, ndarray.NDArray):
                # A batch of 1 for an input of the wrong rank, which the
                # forward refuses (zeros of a 0 extent fail, as MXNet's).
                batch_size = inputs.shape[self._layout.find('N')] \
                    if inputs.ndim == 3 else 1
                states = self.begin_state(batch_size, ctx=inputs.context,
                                          dtype=inputs.dtype)
            else:
                states = self.begin_state(0, func=symbol.zeros)
        if isinstance(states, tensor_types):
            states = [states]
        states = list(states)
        if isinstance(inputs, ndarray.NDArray):
            self._check_inputs(inputs, states)
        if self._use_sequence_length:
            return super(_RNNLayer, self).__call__(inputs, states,
                                                   sequence_length, **kwargs)
        return super(_RNNLayer, self).__call__(inputs, states, **kwargs)

    def _error(self, message):
        return MXNetValueError("%s '%s': %s" % (type(self).__name__,
                                                self.name, message))

    def _check_inputs(self, inputs, states):
        """ValueError (MXNetError) for inputs that are not (T, N, C) in
        this layer's layout, a C contradicting layer 0's weights, or begin
        states not of state_info's number and shapes."""
        if inputs.ndim != 3:
            raise self._error(
                "expected input of rank 3 (layout %s), got shape %s"
                % (self._layout, inputs.shape))
        width = self.l0_i2h_weight.shape[1]
        if width and inputs.shape[2] != width:
            raise self._error(
                "input feature size %d does not match the %d that "
                "l0_i2h_weight %s takes (input shape %s, layout %s)"
                % (inputs.shape[2], width, self.l0_i2h_weight.shape,
                   inputs.shape, self._layout))
        expected = self.state_info(inputs.shape[self._layout.find('N')])
        if len(states) != len(expected):
            raise self._error("expected %d begin states, got %d"
                              % (len(expected), len(states)))
        for state, info in zip(states, expected):
            if isinstance(state, ndarray.NDArray) and \
                    state.shape != info['shape']:
                raise self._error(
                    "Invalid recurrent state shape. Expecting %s, got %s."
                    % (str(info['shape']), str(state.shape)))

    def infer_shape(self, inputs, *args):
        """Sets layer 0's input width from the inputs' last axis (the
        deferred initialization)."""
        if len(inputs.shape) != 3:
            raise self._error(
                "expected input of rank 3 (layout %s), got shape %s"
                % (self._layout, inputs.shape))
        for direction in 'lr'[:self._dir]:
            param = self._reg_params['%s0_i2h_weight' % direction]
            param.shape = (param.shape[0], inputs.shape[2])

    def hybrid_forward(self, F, inputs, states, sequence_length=None,
                       **kwargs):
        out = self._forward_kernel(F, inputs, states, sequence_length,
                                   **kwargs)
        return out[0] if self.skip_states else out

    def _packed_names(self):
        """The parameters in the RNN operator's packing order."""
        groups = ('i2h', 'h2h', 'h2r') if self._projection_size \
            else ('i2h', 'h2h')
        directions = 'lr'[:self._dir]
        weights = ['%s%d_%s_weight' % (d, layer, g)
                   for layer in range(self._num_layers)
                   for d in directions for g in groups]
        biases = ['%s%d_%s_bias' % (d, layer, g)
                  for layer in range(self._num_layers)
                  for d in directions for g in ('i2h', 'h2h')]
        return weights + biases

    def _forward_kernel(self, F, inputs, states, sequence_length, **kwargs):
        """(outputs, states) of F.RNN on the packed parameters."""
        if self._layout == 'NTC':
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        # _rnn_param_concat, as MXNet's: its shape inference tells deferred
        # layer-0 weights from the size the RNN operator needs.
        params = F._internal._rnn_param_concat(
            *[F.reshape(kwargs[name], shape=(-1,))
              for name in self._packed_names()], dim=0)
        # Inputs by name: MXNet's positional call puts a GRU's or RNN's
        # sequence_length in the LSTM-only state_cell slot, which the
        # symbol API refuses (MXNet's too).
        named = {'state': states[0]}
        if self._mode == 'lstm':
            named['state_cell'] = states[1]
        if self._use_sequence_length:
            named['sequence_length'] = sequence_length
        rnn = F.RNN(data=inputs, parameters=params,
                    use_sequence_length=self._use_sequence_length,
                    state_size=self._hidden_size,
                    projection_size=self._projection_size,
                    num_layers=self._num_layers,
                    bidirectional=self._dir == 2, p=self._dropout,
                    state_outputs=True, mode=self._mode,
                    lstm_state_clip_min=self._lstm_state_clip_min,
                    lstm_state_clip_max=self._lstm_state_clip_max,
                    lstm_state_clip_nan=self._lstm_state_clip_nan, **named)
        outputs = rnn[0]
        states = [rnn[1], rnn[2]] if self._mode == 'lstm' else [rnn[1]]
        if self._layout == 'NTC':
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, states


class RNN(_RNNLayer):
    """Multi-layer Elman RNN: ``h_t = activation(W_i x_t + b_i + W_h
    h_{t-1} + b_h)`` with activation 'relu' (default) or 'tanh' (anything
    else is a KeyError naming the mode).

    hidden_size; num_layers (1); activation; layout 'TNC' (default) or
    'NTC'; dropout (0) on each layer's outputs but the last's, while
    training; bidirectional (False); the initializers of the weights
    (default: initialize's) and biases ('zeros'); input_size (0:
    deferred); dtype ('float32'); prefix, params.

    Input (T, N, C) ('TNC'); begin state (num_layers * directions, N,
    hidden_size). Output (T, N, directions * hidden_size), and the final
    state when a begin state was given.
    """

    def __init__(self, hidden_size, num_layers=1, activation='relu',
                 layout='TNC', dropout=0, bidirectional=False,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 input_size=0, dtype='float32', **kwargs):
        super(RNN, self).__init__(
            hidden_size, num_layers, layout, dropout, bidirectional,
            input_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, 'rnn_' + activation,
            None, None, None, None, False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [self._state_shape(batch_size, self._hidden_size)]


class LSTM(_RNNLayer):
    """Multi-layer LSTM (gates in order input, forget, cell, output).

    Arguments as RNN's (no activation), plus projection_size (None: none;
    else each layer's h is projected to that width by h2r_weight, the
    h state and the outputs have that width), h2r_weight_initializer,
    state_clip_min/state_clip_max (both or neither: the cell state is
    clipped to [min, max] each step) and state_clip_nan (NaN cells become
    min/max too).

    Input (T, N, C) ('TNC'); begin states [h (L*D, N, projection_size or
    hidden_size), c (L*D, N, hidden_size)]. Output (T, N, D * (projection
    or hidden)), and [h, c] when begin states were given.
    """

    def __init__(self, hidden_size, num_layers=1, layout='TNC',
                 dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 projection_size=None, h2r_weight_initializer=None,
                 state_clip_min=None, state_clip_max=None,
                 state_clip_nan=False, dtype='float32', **kwargs):
        super(LSTM, self).__init__(
            hidden_size, num_layers, layout, dropout, bidirectional,
            input_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, 'lstm',
            projection_size, h2r_weight_initializer, state_clip_min,
            state_clip_max, state_clip_nan, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [self._state_shape(batch_size,
                                  self._projection_size or
                                  self._hidden_size),
                self._state_shape(batch_size, self._hidden_size)]


class GRU(_RNNLayer):
    """Multi-layer GRU, cuDNN's variant (the reset gate applies after the
    h2h product; gates in order reset, update, new). Arguments, input,
    begin state and output as RNN's (no activation)."""

    def __init__(self, hidden_size, num_layers=1, layout='TNC',
                 dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 dtype='float32', **kwargs):
        super(GRU, self).__init__(
            hidden_size, num_layers, layout, dropout, bidirectional,
            input_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, 'gru', None, None,
            None, None, False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [self._state_shape(batch_size, self._hidden_size)]
