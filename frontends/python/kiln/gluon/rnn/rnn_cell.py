"""Recurrent cells of ``mx.gluon.rnn``, as MXNet 1.9.1's
``mxnet/gluon/rnn/rnn_cell.py``.

A cell computes one time step: ``output, next_states = cell(x, states)``
with ``x`` of shape ``(batch_size, input_size)`` and ``states`` a list of
arrays whose shapes ``state_info(batch_size)`` gives (``begin_state``
makes them, zeros by default). ``unroll(length, inputs, ...)`` runs the
cell over a sequence, on NDArrays or Symbols alike. Parameter names,
shapes and initializers, the symbol names each step gives (``t0_i2h``
...), ``begin_state`` names and ``repr`` are MXNet's, so parameter files
move both ways and traced graphs look the same.

    cell = mx.gluon.rnn.LSTMCell(100)
    cell.initialize()
    x = mx.nd.random.uniform(shape=(32, 10, 50))       # NTC
    outputs, states = cell.unroll(10, x, merge_outputs=True)
    # outputs (32, 10, 100); states [h (32, 100), c (32, 100)]

The cells that hold parameters (``RNNCell``, ``LSTMCell``, ``GRUCell``)
defer their input size to the first call when ``input_size`` is 0. Bad
input raises what MXNet raises (AssertionError for a wrong layout or a
sequence of another length than ``length``; an operator's MXNetError
naming the cell, expected and got, for a feature size that contradicts
the weights), here as MXNetError subclasses. States of the wrong number
or shape given to those cells are a ValueError naming the cell, expected
and got (MXNet's operators refuse them less clearly).

Hybridized, a cell compiles its step (gluon/_cached_graph.py); unroll
then runs the compiled step once per time step.
"""
from ... import ndarray
from ... import symbol
from ..._core import MXNetValueError
from ...base import _as_list, numeric_types, string_types
from ..block import Block, HybridBlock
from ..nn.activations import LeakyReLU
from ..parameter import _check, tensor_types
from ..utils import _indent

__all__ = ['RecurrentCell', 'HybridRecurrentCell',
           'RNNCell', 'LSTMCell', 'GRUCell',
           'SequentialRNNCell', 'HybridSequentialRNNCell', 'DropoutCell',
           'ModifierCell', 'ZoneoutCell', 'ResidualCell',
           'BidirectionalCell']


def _make_state(func, name, info):
    """``func(name=name, **info)``, the call MXNet makes for each begin
    state (info holds ``shape`` and ``__layout__``)."""
    return func(name=name, **info)


def _cells_state_info(cells, batch_size):
    """The state_info of `cells` one after another."""
    return sum([cell.state_info(batch_size) for cell in cells], [])


def _cells_begin_state(cells, **kwargs):
    """The begin states of `cells` one after another."""
    return sum([cell.begin_state(**kwargs) for cell in cells], [])


def _get_begin_state(cell, F, begin_state, inputs, batch_size):
    """`begin_state`, or the cell's zeros (on the inputs' context) when it
    is None."""
    if begin_state is not None:
        return begin_state
    if F is ndarray:
        first = inputs if isinstance(inputs, tensor_types) else inputs[0]
        with first.context:
            return cell.begin_state(func=F.zeros, batch_size=batch_size)
    return cell.begin_state(func=F.zeros, batch_size=batch_size)


def _check_layout(layout):
    _check(isinstance(layout, string_types) and 'T' in layout and
           'N' in layout,
           "Invalid layout %r; expected a string with a 'T' (time) and an "
           "'N' (batch) axis, such as 'NTC' or 'TNC'" % (layout,))


def _format_sequence(length, inputs, layout, merge, in_layout=None):
    """(inputs, time axis, F, batch size): `inputs` (one array/Symbol in
    `in_layout`, default `layout`, or a list of per-step ones) as a list of
    `length` steps when `merge` is False, as one array/Symbol in `layout`
    when True, as they come when None. Batch size is 0 for Symbols."""
    _check(inputs is not None,
           "unroll(inputs=None) has been deprecated. Please create input "
           "variables outside unroll.")
    _check_layout(layout)
    axis = layout.find('T')
    batch_axis = layout.find('N')
    in_axis = in_layout.find('T') if in_layout is not None else axis
    batch_size = 0
    if isinstance(inputs, symbol.Symbol):
        F = symbol
        if merge is False:
            _check(len(inputs.list_outputs()) == 1,
                   "unroll doesn't allow grouped symbol as input. Please "
                   "convert to list with list(inputs) first or let unroll "
                   "handle splitting.")
            inputs = list(symbol.split(inputs, axis=in_axis,
                                       num_outputs=length, squeeze_axis=1))
    elif isinstance(inputs, ndarray.NDArray):
        F = ndarray
        _check(inputs.ndim > max(batch_axis, in_axis),
               "unroll: inputs of shape %s have no axis for layout '%s'"
               % (inputs.shape, layout))
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            steps = inputs.shape[in_axis]
            _check(length is None or length == steps,
                   "unroll: expected inputs with %s steps along axis %d "
                   "(layout '%s'), got shape %s"
                   % (length, in_axis, in_layout or layout, inputs.shape))
            inputs = _as_list(ndarray.split(inputs, axis=in_axis,
                                            num_outputs=steps,
                                            squeeze_axis=1))
    else:
        _check(length is None or len(inputs) == length,
               "unroll: expected a list of %s steps, got %d"
               % (length, len(inputs)))
        if isinstance(inputs[0], symbol.Symbol):
            F = symbol
        else:
            F = ndarray
            batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if isinstance(inputs, tensor_types) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _mask_sequence_variable_length(F, data, length, valid_length, time_axis,
                                   merge):
    """`data` (one array or a list of steps) with the steps past each
    sequence's valid_length zeroed; a list of steps again unless merge."""
    _check(valid_length is not None, "valid_length is required")
    if not isinstance(data, tensor_types):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(data, sequence_length=valid_length,
                             use_sequence_length=True, axis=time_axis)
    if not merge:
        outputs = _as_list(F.split(outputs, num_outputs=length,
                                   axis=time_axis, squeeze_axis=True))
    return outputs


def _format_masked(length, sequence, layout, merge, valid_length):
    """(sequence, F): `sequence` as _format_sequence gives it for `merge`,
    the steps past each valid_length zeroed when that is given."""
    sequence, axis, F, _ = _format_sequence(length, sequence, layout, merge)
    if valid_length is not None:
        sequence = _mask_sequence_variable_length(
            F, sequence, length, valid_length, axis, merge)
    return sequence, F


def _reverse_sequences(sequences, unroll_step, valid_length=None):
    """The list of steps reversed in time; with valid_length, each
    sequence's valid steps only (the padding stays in place)."""
    F = symbol if isinstance(sequences[0], symbol.Symbol) else ndarray
    if valid_length is None:
        return list(reversed(sequences))
    reversed_sequences = F.SequenceReverse(
        F.stack(*sequences, axis=0), sequence_length=valid_length,
        use_sequence_length=True)
    if unroll_step > 1 or F is symbol:
        return F.split(reversed_sequences, axis=0, num_outputs=unroll_step,
                       squeeze_axis=True)
    return [reversed_sequences[0]]


class RecurrentCell(Block):
    """Base class of recurrent cells (MXNet's ``RecurrentCell``).

    prefix, params: as Block's (``params`` shares another cell's weights).
    Subclasses define ``state_info`` and ``forward(inputs, states)`` (one
    step, returning ``(output, next_states)``).
    """

    def __init__(self, prefix=None, params=None):
        super(RecurrentCell, self).__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Resets the step counters (names of the next steps start at t0)
        here and in the children; unroll calls it."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size=0):
        """A list with one dict per state: ``shape`` (batch size first)
        and ``__layout__`` ('NC')."""
        raise NotImplementedError()

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """The initial states: ``func(name=..., shape=..., **kwargs)`` for
        each entry of state_info(batch_size); func is mx.nd.zeros by
        default, or e.g. mx.nd.ones, mx.sym.zeros, mx.sym.var (to feed the
        states as inputs). Names are ``<prefix>begin_state_<k>``.
        AssertionError after a modifier cell wrapped this one."""
        _check(not self._modified,
               "After applying modifier cells (e.g. ZoneoutCell) the base "
               "cell cannot be called directly. Call the modifier cell "
               "instead.")
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            if info is None:
                info = kwargs
            else:
                info.update(kwargs)
            states.append(_make_state(
                func, '%sbegin_state_%d' % (self._prefix,
                                            self._init_counter), info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC',
               merge_outputs=None, valid_length=None):
        """Runs the cell over `length` steps.

        inputs: one NDArray/Symbol of shape (batch, length, ...) for
        layout 'NTC' or (length, batch, ...) for 'TNC', or a list of
        `length` arrays (batch, ...). begin_state: the states to start
        from (begin_state()'s zeros when None). merge_outputs: True gives
        one array in `layout`, False a list of steps, None whichever is at
        hand. valid_length: (batch,) lengths of the sequences; the states
        returned are each sequence's last valid ones and outputs past it
        are zeros. Returns (outputs, states).
        """
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs,
                                                       layout, False)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        outputs, all_states = [], []
        for step in range(length):
            output, states = self(inputs[step], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [F.SequenceLast(F.stack(*per_step, axis=0),
                                     sequence_length=valid_length,
                                     use_sequence_length=True, axis=0)
                      for per_step in zip(*all_states)]
            outputs = _mask_sequence_variable_length(
                F, outputs, length, valid_length, axis, True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout,
                                            merge_outputs)
        return outputs, states

    def _get_activation(self, F, inputs, activation, **kwargs):
        """`activation` applied: a name ('tanh', 'relu', 'sigmoid',
        'softsign' as their operators, others through Activation), a
        LeakyReLU block, or any callable."""
        func = {'tanh': F.tanh, 'relu': F.relu, 'sigmoid': F.sigmoid,
                'softsign': F.softsign}.get(activation) \
            if isinstance(activation, string_types) else None
        if func is not None:
            return func(inputs, **kwargs)
        if isinstance(activation, string_types):
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type='leaky',
                               slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs, states):
        """One step: (output, next_states)."""
        self._counter += 1
        return super(RecurrentCell, self).forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A RecurrentCell computed by ``hybrid_forward(F, inputs, states,
    **params)``: hybridize() compiles its step."""

    def __init__(self, prefix=None, params=None):
        super(HybridRecurrentCell, self).__init__(prefix=prefix,
                                                  params=params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


class _GatedCell(HybridRecurrentCell):
    """What RNNCell, LSTMCell, GRUCell (and LSTMPCell) share: the
    parameters ``i2h_weight`` (gates*hidden_size, input_size),
    ``h2h_weight`` (gates*hidden_size, projection_size or hidden_size),
    with a projection ``h2r_weight`` (projection_size, hidden_size),
    ``i2h_bias`` and ``h2h_bias`` (gates*hidden_size,); input_size 0
    defers to the first call. One state (batch_size, hidden_size) unless
    a subclass says otherwise."""
    _gates = 1
    _states = 1

    def __init__(self, hidden_size, i2h_weight_initializer,
                 h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, input_size, prefix, params,
                 projection_size=None, h2r_weight_initializer=None):
        super(_GatedCell, self).__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        width = self._gates * hidden_size
        self.i2h_weight = self.params.get(
            'i2h_weight', shape=(width, input_size),
            init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get(
            'h2h_weight', shape=(width, projection_size or hidden_size),
            init=h2h_weight_initializer, allow_deferred_init=True)
        if projection_size:
            # LSTMPCell's, in MXNet's order (between the weights and
            # the biases).
            self.h2r_weight = self.params.get(
                'h2r_weight', shape=(projection_size, hidden_size),
                init=h2r_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get(
            'i2h_bias', shape=(width,), init=i2h_bias_initializer,
            allow_deferred_init=True)
        self.h2h_bias = self.params.get(
            'h2h_bias', shape=(width,), init=h2h_bias_initializer,
            allow_deferred_init=True)

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._hidden_size),
                 '__layout__': 'NC'} for _ in range(self._states)]

    def forward(self, inputs, states):
        """One step; on NDArrays, states of the wrong number or shape are
        a ValueError (MXNetError) naming the cell, expected and got."""
        if isinstance(inputs, ndarray.NDArray):
            self._check_states(inputs, states)
        return super(_GatedCell, self).forward(inputs, states)

    def _check_states(self, inputs, states):
        expected = self.state_info(inputs.shape[0] if inputs.ndim else 0)
        where = "%s '%s'" % (type(self).__name__, self.name)
        if not isinstance(states, (list, tuple)) or \
                len(states) != len(expected):
            raise MXNetValueError(
                "%s: expected a list of %d states, got %s"
                % (where, len(expected), len(states)
                   if isinstance(states, (list, tuple)) else type(states)))
        for state, info in zip(states, expected):
            if isinstance(state, ndarray.NDArray) and \
                    state.shape != info['shape']:
                raise MXNetValueError(
                    "%s: Invalid recurrent state shape. Expecting %s, got "
                    "%s." % (where, info['shape'], state.shape))

    def _mapping(self):
        """'in -> out' of repr (None for a deferred input size)."""
        out_size, in_size = self.i2h_weight.shape
        return '%s -> %s' % (in_size if in_size else None, out_size)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._mapping())

    def _projections(self, F, inputs, state, i2h_weight, h2h_weight,
                     i2h_bias, h2h_bias, prefix):
        """The step's two FullyConnected: (i2h of inputs, h2h of
        state)."""
        width = self._gates * self._hidden_size
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias,
                               num_hidden=width, name=prefix + 'i2h')
        h2h = F.FullyConnected(data=state, weight=h2h_weight, bias=h2h_bias,
                               num_hidden=width, name=prefix + 'h2h')
        return i2h, h2h


class RNNCell(_GatedCell):
    """Elman cell: ``h_t = activation(W_i x_t + b_i + W_h h_{t-1} +
    b_h)``.

    hidden_size: the output width; activation: 'tanh' (default), another
    name, a LeakyReLU block or a callable; the initializers of i2h/h2h
    weights (default: the one given to initialize) and biases ('zeros');
    input_size: 0 (deferred) or the input width; prefix: default
    ``rnn<k>_``. Inputs x (batch, input_size) and [h (batch,
    hidden_size)]; outputs h' and [h'].
    """

    def __init__(self, hidden_size, activation='tanh',
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 input_size=0, prefix=None, params=None):
        super(RNNCell, self).__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
            params)
        self._activation = activation

    def _alias(self):
        return 'rnn'

    def __repr__(self):
        return '%s(%s, %s)' % (type(self).__name__, self._mapping(),
                               self._activation)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h, h2h = self._projections(F, inputs, states[0], i2h_weight,
                                     h2h_weight, i2h_bias, h2h_bias, prefix)
        output = self._get_activation(
            F, F.elemwise_add(i2h, h2h, name=prefix + 'plus0'),
            self._activation, name=prefix + 'out')
        return output, [output]


class LSTMCell(_GatedCell):
    """Long short-term memory cell (gates in order input, forget, cell,
    output):

        i, f, o = recurrent_activation(...), g = activation(...)
        c_t = f * c_{t-1} + i * g;  h_t = o * activation(c_t)

    Parameters as RNNCell's with 4*hidden_size rows; activation 'tanh'
    and recurrent_activation 'sigmoid' by default; prefix ``lstm<k>_``.
    Inputs x (batch, input_size) and [h, c] (batch, hidden_size) each;
    outputs h' and [h', c'].
    """
    _gates = 4
    _states = 2

    def __init__(self, hidden_size, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None,
                 params=None, activation='tanh',
                 recurrent_activation='sigmoid'):
        super(LSTMCell, self).__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
            params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self):
        return 'lstm'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h, h2h = self._projections(F, inputs, states[0], i2h_weight,
                                     h2h_weight, i2h_bias, h2h_bias, prefix)
        gates = F.elemwise_add(i2h, h2h, name=prefix + 'plus0')
        sliced = F.SliceChannel(gates, num_outputs=4, name=prefix + 'slice')
        recurrent = self._recurrent_activation
        in_gate = self._get_activation(F, sliced[0], recurrent,
                                       name=prefix + 'i')
        forget_gate = self._get_activation(F, sliced[1], recurrent,
                                           name=prefix + 'f')
        in_transform = self._get_activation(F, sliced[2], self._activation,
                                            name=prefix + 'c')
        out_gate = self._get_activation(F, sliced[3], recurrent,
                                        name=prefix + 'o')
        next_c = F.elemwise_add(
            F.elemwise_mul(forget_gate, states[1], name=prefix + 'mul0'),
            F.elemwise_mul(in_gate, in_transform, name=prefix + 'mul1'),
            name=prefix + 'state')
        next_h = F.elemwise_mul(
            out_gate, F.Activation(next_c, act_type=self._activation,
                                   name=prefix + 'activation0'),
            name=prefix + 'out')
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    """Gated recurrent unit, cuDNN's variant (the reset gate applies after
    the h2h product; gates in order reset, update, new):

        r, z = sigmoid(...);  n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    Parameters as RNNCell's with 3*hidden_size rows; prefix ``gru<k>_``.
    Inputs x (batch, input_size) and [h (batch, hidden_size)]; outputs h'
    and [h'].
    """
    _gates = 3

    def __init__(self, hidden_size, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None,
                 params=None):
        super(GRUCell, self).__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer,
            i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
            params)

    def _alias(self):
        return 'gru'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        prev_h = states[0]
        i2h, h2h = self._projections(F, inputs, prev_h, i2h_weight,
                                     h2h_weight, i2h_bias, h2h_bias, prefix)
        i2h_r, i2h_z, i2h = F.SliceChannel(i2h, num_outputs=3,
                                           name=prefix + 'i2h_slice')
        h2h_r, h2h_z, h2h = F.SliceChannel(h2h, num_outputs=3,
                                           name=prefix + 'h2h_slice')
        reset_gate = F.Activation(
            F.elemwise_add(i2h_r, h2h_r, name=prefix + 'plus0'),
            act_type='sigmoid', name=prefix + 'r_act')
        update_gate = F.Activation(
            F.elemwise_add(i2h_z, h2h_z, name=prefix + 'plus1'),
            act_type='sigmoid', name=prefix + 'z_act')
        candidate = F.Activation(
            F.elemwise_add(i2h, F.elemwise_mul(reset_gate, h2h,
                                               name=prefix + 'mul0'),
                           name=prefix + 'plus2'),
            act_type='tanh', name=prefix + 'h_act')
        ones = F.ones_like(update_gate, name=prefix + 'ones_like0')
        next_h = F.elemwise_add(
            F.elemwise_mul(F.elemwise_sub(ones, update_gate,
                                          name=prefix + 'minus0'),
                           candidate, name=prefix + 'mul1'),
            F.elemwise_mul(update_gate, prev_h, name=prefix + 'mul20'),
            name=prefix + 'out')
        return next_h, [next_h]


class _CellStack(object):
    """What SequentialRNNCell and HybridSequentialRNNCell share: the
    children run one after another each step, each taking its own slice
    of the states; unroll unrolls each child over the whole sequence in
    turn."""

    def __repr__(self):
        return '%s(\n%s\n)' % (type(self).__name__, '\n'.join(
            '(%s): %s' % (key, _indent(repr(cell), 2))
            for key, cell in self._children.items()))

    def add(self, cell):
        """Appends `cell` to the stack."""
        self.register_child(cell)

    def state_info(self, batch_size=0):
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs):
        """The children's begin states, one after another (keywords as
        RecurrentCell.begin_state)."""
        _check(not self._modified,
               "After applying modifier cells (e.g. ZoneoutCell) the base "
               "cell cannot be called directly. Call the modifier cell "
               "instead.")
        return _cells_begin_state(self._children.values(), **kwargs)

    def __call__(self, inputs, states):
        self._counter += 1
        cells = list(self._children.values())
        _check(not any(isinstance(cell, BidirectionalCell)
                       for cell in cells),
               "%s '%s' holds a BidirectionalCell, which cannot be stepped; "
               "use unroll" % (type(self).__name__, self.name))
        next_states, position = [], 0
        for cell in cells:
            count = len(cell.state_info())
            inputs, state = cell(inputs, states[position:position + count])
            position += count
            next_states.extend(state)
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC',
               merge_outputs=None, valid_length=None):
        """RecurrentCell.unroll, each child over the whole sequence."""
        self.reset()
        inputs, _, F, batch_size = _format_sequence(length, inputs, layout,
                                                    None)
        begin_state = _get_begin_state(self, F, begin_state, inputs,
                                       batch_size)
        cells = list(self._children.values())
        next_states, position = [], 0
        for index, cell in enumerate(cells):
            count = len(cell.state_info())
            inputs, states = cell.unroll(
                length, inputs=inputs,
                begin_state=begin_state[position:position + count],
                layout=layout,
                merge_outputs=merge_outputs if index == len(cells) - 1
                else None,
                valid_length=valid_length)
            position += count
            next_states.extend(states)
        return inputs, next_states

    def __getitem__(self, i):
        return self._children[str(i)]

    def __len__(self):
        return len(self._children)


class SequentialRNNCell(_CellStack, RecurrentCell):
    """A stack of cells (any RecurrentCell): ``add(cell)``; each step runs
    them in order, the states being the children's, concatenated."""

    def __init__(self, prefix=None, params=None):
        super(SequentialRNNCell, self).__init__(prefix=prefix, params=params)

    def hybrid_forward(self, *args, **kwargs):
        raise NotImplementedError


class HybridSequentialRNNCell(_CellStack, HybridRecurrentCell):
    """SequentialRNNCell of hybrid cells (hybridize() compiles each
    child's step)."""

    def __init__(self, prefix=None, params=None):
        super(HybridSequentialRNNCell, self).__init__(prefix=prefix,
                                                      params=params)

    def hybrid_forward(self, F, inputs, states):
        return self.__call__(inputs, states)


class DropoutCell(HybridRecurrentCell):
    """Dropout of the input (rate, a number; axes share one mask) in
    training mode; the states pass through. No states of its own."""

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super(DropoutCell, self).__init__(prefix, params)
        _check(isinstance(rate, numeric_types), "rate must be a number")
        self._rate = rate
        self._axes = axes

    def __repr__(self):
        return '%s(rate=%s, axes=%s)' % (type(self).__name__, self._rate,
                                         self._axes)

    def state_info(self, batch_size=0):
        return []

    def _alias(self):
        return 'dropout'

    def hybrid_forward(self, F, inputs, states):
        if self._rate > 0:
            inputs = F.Dropout(data=inputs, p=self._rate, axes=self._axes,
                               name='t%d_fwd' % self._counter)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC',
               merge_outputs=None, valid_length=None):
        """Dropout of the whole sequence at once when it comes as one
        array; step by step otherwise (valid_length is not used)."""
        self.reset()
        inputs, _, F, _ = _format_sequence(length, inputs, layout,
                                           merge_outputs)
        if isinstance(inputs, tensor_types):
            return self.hybrid_forward(F, inputs, begin_state or [])
        return super(DropoutCell, self).unroll(
            length, inputs, begin_state=begin_state, layout=layout,
            merge_outputs=merge_outputs, valid_length=None)


def _refuse_bidirectional(base_cell, feature, modifier):
    """AssertionError, MXNet's, for a modifier that must step a
    BidirectionalCell (which cannot be stepped)."""
    _check(not isinstance(base_cell, BidirectionalCell),
           "BidirectionalCell doesn't support %s. Please add %s to the cells "
           "underneath instead." % (feature, modifier))


class ModifierCell(HybridRecurrentCell):
    """Base of cells that wrap a base cell and change it (Zoneout,
    residual connections). The base cell is marked modified: calling its
    begin_state directly is then an AssertionError. Parameters are the
    base cell's; prefix is the base cell's + the modifier's alias."""

    def __init__(self, base_cell):
        _check(not base_cell._modified,
               "Cell %s is already modified. One cell cannot be modified "
               "twice" % base_cell.name)
        base_cell._modified = True
        super(ModifierCell, self).__init__(
            prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self):
        return self.base_cell.params

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, func=symbol.zeros, **kwargs):
        """The base cell's begin states (func: mx.sym.zeros by default, as
        MXNet)."""
        _check(not self._modified,
               "After applying modifier cells (e.g. DropoutCell) the base "
               "cell cannot be called directly. Call the modifier cell "
               "instead.")
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def hybrid_forward(self, F, inputs, states):
        raise NotImplementedError

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self.base_cell)


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al., 2016) on a base cell: in training mode
    each output (zoneout_outputs) and state (zoneout_states) element keeps
    its previous value with that probability. Not for BidirectionalCell
    (AssertionError). MXNet also refuses a SequentialRNNCell (by an
    AttributeError, looking for a flag it lacks); kiln steps it."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        _refuse_bidirectional(base_cell, "zoneout since it doesn't "
                              "support step", "ZoneoutCell")
        super(ZoneoutCell, self).__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def __repr__(self):
        return '%s(p_out=%s, p_state=%s, %s)' % (
            type(self).__name__, self.zoneout_outputs, self.zoneout_states,
            self.base_cell)

    def _alias(self):
        return 'zoneout'

    def reset(self):
        super(ZoneoutCell, self).reset()
        self._prev_output = None

    def hybrid_forward(self, F, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)

        def keep_mask(p, like):
            # Dropout of ones: 0 where the old value stays, 1/(1-p) else.
            return F.Dropout(F.ones_like(like), p=p)
        prev_output = self._prev_output
        if prev_output is None:
            prev_output = F.zeros_like(next_output)
        output = next_output
        if self.zoneout_outputs != 0.:
            output = F.where(keep_mask(self.zoneout_outputs, next_output),
                             next_output, prev_output)
        if self.zoneout_states != 0.:
            next_states = [F.where(keep_mask(self.zoneout_states, new),
                                   new, old)
                           for new, old in zip(next_states, states)]
        self._prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """The base cell's output plus its input (Wu et al., 2016); the
    input width must equal the output's."""

    def __init__(self, base_cell):
        super(ResidualCell, self).__init__(base_cell)

    def hybrid_forward(self, F, inputs, states):
        output, states = self.base_cell(inputs, states)
        output = F.elemwise_add(output, inputs,
                                name='t%d_fwd' % self._counter)
        return output, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC',
               merge_outputs=None, valid_length=None):
        """The base cell unrolled, plus the inputs (zeros past
        valid_length)."""
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length, inputs=inputs, begin_state=begin_state,
                layout=layout, merge_outputs=merge_outputs,
                valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, tensor_types)
        inputs, F = _format_masked(length, inputs, layout, merge_outputs,
                                   valid_length)
        if merge_outputs:
            return F.elemwise_add(outputs, inputs), states
        return [F.elemwise_add(i, j) for i, j in zip(outputs, inputs)], \
            states


class BidirectionalCell(HybridRecurrentCell):
    """Runs l_cell forward and r_cell backward in time over a sequence
    and concatenates their outputs along the features (output width: the
    sum of theirs); states are l_cell's then r_cell's. unroll only:
    stepping it is a NotImplementedError."""

    def __init__(self, l_cell, r_cell, output_prefix='bi_'):
        super(BidirectionalCell, self).__init__(prefix='', params=None)
        self.register_child(l_cell, 'l_cell')
        self.register_child(r_cell, 'r_cell')
        self._output_prefix = output_prefix

    def __call__(self, inputs, states):
        raise NotImplementedError("Bidirectional cannot be stepped. Please "
                                  "use unroll")

    def __repr__(self):
        return '%s(forward=%s, backward=%s)' % (
            type(self).__name__, self._children['l_cell'],
            self._children['r_cell'])

    def state_info(self, batch_size=0):
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs):
        _check(not self._modified,
               "After applying modifier cells (e.g. DropoutCell) the base "
               "cell cannot be called directly. Call the modifier cell "
               "instead.")
        return _cells_begin_state(self._children.values(), **kwargs)

    def unroll(self, length, inputs, begin_state=None, layout='NTC',
               merge_outputs=None, valid_length=None):
        """RecurrentCell.unroll over both directions (with valid_length,
        r_cell reads each sequence's valid steps backward)."""
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs,
                                                       layout, False)
        reversed_inputs = list(_reverse_sequences(inputs, length,
                                                  valid_length))
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        l_cell, r_cell = self._children.values()
        split = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(
            length, inputs=inputs, begin_state=states[:split], layout=layout,
            merge_outputs=merge_outputs, valid_length=valid_length)
        r_outputs, r_states = r_cell.unroll(
            length, inputs=reversed_inputs, begin_state=states[split:],
            layout=layout, merge_outputs=False, valid_length=valid_length)
        reversed_r_outputs = _reverse_sequences(r_outputs, length,
                                                valid_length)
        if merge_outputs is None:
            merge_outputs = isinstance(l_outputs, tensor_types)
            l_outputs, _, _, _ = _format_sequence(None, l_outputs, layout,
                                                  merge_outputs)
            reversed_r_outputs, _, _, _ = _format_sequence(
                None, reversed_r_outputs, layout, merge_outputs)
        if merge_outputs:
            reversed_r_outputs = F.stack(*reversed_r_outputs, axis=axis)
            outputs = F.concat(l_outputs, reversed_r_outputs, dim=2,
                               name='%sout' % self._output_prefix)
        else:
            outputs = [F.concat(l_o, r_o, dim=1,
                                name='%st%d' % (self._output_prefix, i))
                       for i, (l_o, r_o) in enumerate(
                           zip(l_outputs, reversed_r_outputs))]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(
                F, outputs, length, valid_length, axis, merge_outputs)
        return outputs, l_states + r_states
