"""Recurrent cells that build symbolic graphs, as MXNet 1.9.1's
mxnet/rnn/rnn_cell.py (the legacy ``mx.rnn`` API; Gluon's cells are
``mx.gluon.rnn``).

    cell = mx.rnn.LSTMCell(num_hidden=8, prefix='lstm_')
    outputs, states = cell.unroll(5, mx.sym.Variable('data'),
                                  layout='NTC', merge_outputs=True)
    outputs.list_arguments()
    # ['data', 'lstm_i2h_weight', 'lstm_i2h_bias', 'lstm_h2h_weight',
    #  'lstm_h2h_bias']

Every name a cell makes is MXNet's: parameters are ``<prefix><name>``
(``lstm_i2h_weight``), step t's nodes ``<prefix>t<t>_<part>``
(``lstm_t0_out``), begin states ``<prefix>begin_state_<k>``, so a
checkpoint MXNet wrote binds to kiln's graph and back. Nodes MXNet leaves
unnamed (``_plus0``, ``concat0``) take the current NameManager's names as
there. Misuse raises AssertionError (or NotImplementedError for a cell
that cannot be stepped), as MXNet does.
"""
import functools
import warnings

from .. import initializer as init
from .. import ndarray
from .. import symbol
from ..base import numeric_types, string_types
from ..initializer import _fused_rnn_pieces

__all__ = ["RNNParams", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell",
           "FusedRNNCell", "SequentialRNNCell", "DropoutCell",
           "ModifierCell", "ZoneoutCell", "ResidualCell",
           "BidirectionalCell", "BaseConvRNNCell", "ConvRNNCell",
           "ConvLSTMCell", "ConvGRUCell"]

_MODIFIED = ("After applying modifier cells (e.g. DropoutCell) the base "
             "cell cannot be called directly. Call the modifier cell "
             "instead.")


def _normalize_sequence(length, inputs, layout, merge, in_layout=None):
    """`inputs` as `merge` asks: a list of `length` per-step symbols
    (merge False), one symbol with time on `layout`'s T axis (merge True),
    or as given (None). Returns (inputs, time axis of `layout`)."""
    assert inputs is not None, \
        "unroll(inputs=None) has been deprecated. " \
        "Please create input variables outside unroll."
    axis = layout.find("T")
    in_axis = axis if in_layout is None else in_layout.find("T")
    if isinstance(inputs, symbol.Symbol):
        if merge is False:
            assert len(inputs.list_outputs()) == 1, \
                "unroll doesn't allow grouped symbol as input. Please " \
                "convert to list with list(inputs) first or let unroll " \
                "handle splitting."
            inputs = list(symbol.split(inputs, axis=in_axis,
                                       num_outputs=length, squeeze_axis=1))
    else:
        assert length is None or len(inputs) == length, \
            "unroll: %s inputs given for length %s" % (len(inputs), length)
        if merge is True:
            inputs = symbol.Concat(*[symbol.expand_dims(step, axis=axis)
                                     for step in inputs], dim=axis)
            in_axis = axis
    if isinstance(inputs, symbol.Symbol) and axis != in_axis:
        inputs = symbol.swapaxes(inputs, dim0=axis, dim1=in_axis)
    return inputs, axis


class RNNParams(object):
    """The parameter variables of cells, shared by whoever holds the same
    container: get(name) returns Variable(prefix + name), made once.

    Parameters
    ----------
    prefix : str, default ''
        Put before every name this container makes.
    """

    def __init__(self, prefix=""):
        self._prefix = prefix
        self._params = {}

    def get(self, name, **kwargs):
        """The variable `prefix + name`, made with symbol.Variable(**kwargs)
        the first time it is asked for (later kwargs are ignored)."""
        name = self._prefix + name
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]


class BaseRNNCell(object):
    """The cell protocol: __call__(inputs, states) steps once,
    unroll(length, inputs) steps `length` times, begin_state() makes the
    first states, state_info describes them; unpack_weights/pack_weights
    convert between the cell's stacked gate weights and per-gate ones.

    Parameters
    ----------
    prefix : str, default ''
        Put before the names of the cell's nodes (and of its parameters
        when `params` is None).
    params : RNNParams or None
        Parameters shared with other cells; a new container with `prefix`
        when None.
    """

    def __init__(self, prefix="", params=None):
        self._own_params = params is None
        self._prefix = prefix
        self._params = RNNParams(prefix) if params is None else params
        self._modified = False
        self.reset()

    def reset(self):
        """Restarts the step and begin-state counters (of child cells too)
        before the cell builds another graph."""
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, "_cells", ()):
            cell.reset()

    def __call__(self, inputs, states):
        """One step: (output symbol, list of new state symbols) from a
        (batch, features) `inputs` and the previous `states`."""
        raise NotImplementedError()

    @property
    def params(self):
        """The cell's RNNParams (asking for it shares it: the cell then no
        longer counts as owning its parameters)."""
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        """A list of {'shape': ..., '__layout__': ...} per state (0 marks
        the batch extent, inferred when bound)."""
        raise NotImplementedError()

    @property
    def state_shape(self):
        """The shapes of state_info."""
        return [info["shape"] for info in self.state_info]

    @property
    def _gate_names(self):
        """The suffixes of the gates stacked in the i2h/h2h weights."""
        return ()

    def begin_state(self, func=symbol.zeros, **kwargs):
        """The first states: func(name='<prefix>begin_state_<k>', **kwargs,
        **state_info[i]) for each state (func: symbol.zeros, symbol.Variable,
        symbol.uniform, ...). AssertionError once a modifier cell wraps
        this cell."""
        assert not self._modified, _MODIFIED
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name="%sbegin_state_%d"
                               % (self._prefix, self._init_counter), **kwargs))
        return states

    def unpack_weights(self, args):
        """A copy of `args` (dict of name -> NDArray) with this cell's
        stacked ``<prefix>i2h_weight``/``_bias`` and ``h2h`` arrays split
        into one per gate (``<prefix>i2h_f_weight``, ...). KeyError when
        one is missing."""
        args = dict(args)
        gates = self._gate_names
        if not gates:
            return args
        h = self._num_hidden
        for group in ("i2h", "h2h"):
            for kind in ("weight", "bias"):
                stacked = args.pop("%s%s_%s" % (self._prefix, group, kind))
                for j, gate in enumerate(gates):
                    args["%s%s%s_%s" % (self._prefix, group, gate, kind)] = \
                        stacked[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args):
        """The inverse of unpack_weights: per-gate arrays stacked (gate
        order of the cell) into ``<prefix>i2h_weight`` etc."""
        args = dict(args)
        gates = self._gate_names
        if not gates:
            return args
        for group in ("i2h", "h2h"):
            for kind in ("weight", "bias"):
                pieces = [args.pop("%s%s%s_%s" % (self._prefix, group, gate,
                                                   kind)) for gate in gates]
                args["%s%s_%s" % (self._prefix, group, kind)] = \
                    ndarray.concatenate(pieces)
        return args

    def unroll(self, length, inputs, begin_state=None, layout="NTC",
               merge_outputs=None):
        """Steps the cell `length` times.

        Parameters
        ----------
        length : int
        inputs : Symbol or list of Symbol
            One symbol of shape (batch, length, ...) for layout 'NTC' or
            (length, batch, ...) for 'TNC', or `length` (batch, ...) ones.
        begin_state : list of Symbol, default begin_state()
        layout : str, default 'NTC'
        merge_outputs : bool or None
            True: one output symbol, time on layout's T axis; False: a list
            of per-step outputs; None: whichever the cell makes.

        Returns
        -------
        (outputs, states)
        """
        self.reset()
        inputs, _ = _normalize_sequence(length, inputs, layout, False)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for step in range(length):
            output, states = self(inputs[step], states)
            outputs.append(output)
        outputs, _ = _normalize_sequence(length, outputs, layout,
                                         merge_outputs)
        return outputs, states

    def _get_activation(self, inputs, activation, **kwargs):
        """`activation` applied: an act_type string through Activation, or
        a callable of (inputs, **kwargs)."""
        if isinstance(activation, string_types):
            return symbol.Activation(inputs, act_type=activation, **kwargs)
        return activation(inputs, **kwargs)

    def _next_step_name(self):
        """Counts a step; its nodes' name prefix, '<prefix>t<step>_'."""
        self._counter += 1
        return "%st%d_" % (self._prefix, self._counter)


class _DenseCell(BaseRNNCell):
    """A cell of FullyConnected i2h/h2h layers: its weight and bias
    variables (i2h_bias: keywords for the i2h bias's Variable, e.g. LSTM's
    init) and _num_states (num_hidden wide) states."""
    _num_states = 1

    def __init__(self, num_hidden, prefix, params, **i2h_bias):
        super(_DenseCell, self).__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self.params.get("i2h_weight")
        self._iB = self.params.get("i2h_bias", **i2h_bias)
        self._hW = self.params.get("h2h_weight")
        self._hB = self.params.get("h2h_bias")

    @property
    def state_info(self):
        return [{"shape": (0, self._num_hidden), "__layout__": "NC"}
                for _ in range(self._num_states)]


def _fc_pair(cell, inputs, state, width, name, i2h="i2h", h2h="h2h"):
    """The FullyConnected i2h(inputs) and h2h(state) of a dense cell, with
    `width` outputs each, named `name` + i2h / h2h."""
    return (symbol.FullyConnected(data=inputs, weight=cell._iW, bias=cell._iB,
                                  num_hidden=width, name=name + i2h),
            symbol.FullyConnected(data=state, weight=cell._hW, bias=cell._hB,
                                  num_hidden=width, name=name + h2h))


def _lstm_update(name, gates, cell_state, transform):
    """LSTM's state update from the 4 sliced gates (i, f, c, o):
    (next_h, next_c); `transform` is the activation of c and of the new
    state (tanh, or a conv cell's activation)."""
    in_gate = symbol.Activation(gates[0], act_type="sigmoid", name=name + "i")
    forget_gate = symbol.Activation(gates[1], act_type="sigmoid",
                                    name=name + "f")
    in_transform = transform(gates[2], name=name + "c")
    out_gate = symbol.Activation(gates[3], act_type="sigmoid", name=name + "o")
    next_c = symbol._internal._plus(forget_gate * cell_state,
                                    in_gate * in_transform,
                                    name=name + "state")
    next_h = symbol._internal._mul(out_gate, transform(next_c),
                                   name=name + "out")
    return next_h, next_c


def _gru_update(name, i2h, h2h, prev_h, transform):
    """GRU's (cuDNN variant) new state from the stacked i2h and h2h of
    gates (r, z, o); `transform` activates the candidate state."""
    i2h_r, i2h_z, i2h = symbol.SliceChannel(i2h, num_outputs=3,
                                            name="%s_i2h_slice" % name)
    h2h_r, h2h_z, h2h = symbol.SliceChannel(h2h, num_outputs=3,
                                            name="%s_h2h_slice" % name)
    reset_gate = symbol.Activation(i2h_r + h2h_r, act_type="sigmoid",
                                   name="%s_r_act" % name)
    update_gate = symbol.Activation(i2h_z + h2h_z, act_type="sigmoid",
                                    name="%s_z_act" % name)
    candidate = transform(i2h + reset_gate * h2h, name="%s_h_act" % name)
    return symbol._internal._plus((1. - update_gate) * candidate,
                                  update_gate * prev_h, name="%sout" % name)


class RNNCell(_DenseCell):
    """An Elman RNN cell: out = activation(W_i x + b_i + W_h h + b_h).

    Parameters
    ----------
    num_hidden : int
    activation : str or callable, default 'tanh'
        An Activation act_type, or a function of (symbol, name=).
    prefix : str, default 'rnn_'
    params : RNNParams or None
    """

    def __init__(self, num_hidden, activation="tanh", prefix="rnn_",
                 params=None):
        super(RNNCell, self).__init__(num_hidden, prefix, params)
        self._activation = activation

    @property
    def _gate_names(self):
        return ("",)

    def __call__(self, inputs, states):
        name = self._next_step_name()
        i2h, h2h = _fc_pair(self, inputs, states[0], self._num_hidden, name)
        output = self._get_activation(i2h + h2h, self._activation,
                                      name="%sout" % name)
        return output, [output]


class LSTMCell(_DenseCell):
    """An LSTM cell (gates i, f, c, o stacked in that order); states are
    [h, c].

    Parameters
    ----------
    num_hidden : int
    prefix : str, default 'lstm_'
    params : RNNParams or None
    forget_bias : float, default 1.0
        The i2h bias's forget-gate part starts here (init.LSTMBias).
    """

    _num_states = 2

    def __init__(self, num_hidden, prefix="lstm_", params=None,
                 forget_bias=1.0):
        # The forget gate's bias starts at forget_bias (Jozefowicz 2015).
        super(LSTMCell, self).__init__(
            num_hidden, prefix, params,
            init=init.LSTMBias(forget_bias=forget_bias))

    @property
    def _gate_names(self):
        return ["_i", "_f", "_c", "_o"]

    def __call__(self, inputs, states):
        name = self._next_step_name()
        i2h, h2h = _fc_pair(self, inputs, states[0], self._num_hidden * 4,
                            name)
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4,
                                    name="%sslice" % name)
        tanh = functools.partial(symbol.Activation, act_type="tanh")
        next_h, next_c = _lstm_update(name, gates, states[1], tanh)
        return next_h, [next_h, next_c]


class GRUCell(_DenseCell):
    """A GRU cell as cuDNN computes it (the reset gate scales h2h's
    candidate part); gates r, z, o stacked in that order.

    Parameters
    ----------
    num_hidden : int
    prefix : str, default 'gru_'
    params : RNNParams or None
    """

    def __init__(self, num_hidden, prefix="gru_", params=None):
        super(GRUCell, self).__init__(num_hidden, prefix, params)

    @property
    def _gate_names(self):
        return ["_r", "_z", "_o"]

    def __call__(self, inputs, states):
        name = self._next_step_name()
        # MXNet names these '<prefix>t0__i2h' (two underscores); kept so
        # checkpoints of the graph's internals match.
        i2h, h2h = _fc_pair(self, inputs, states[0], self._num_hidden * 3,
                            name, "_i2h", "_h2h")
        tanh = functools.partial(symbol.Activation, act_type="tanh")
        next_h = _gru_update(name, i2h, h2h, states[0], tanh)
        return next_h, [next_h]


class FusedRNNCell(BaseRNNCell):
    """Every layer and step of an RNN in one RNN operator, its weights in
    one ``<prefix>parameters`` vector (the RNN op's layout: per layer and
    direction the i2h then h2h weights of each gate, then all biases).

    Parameters
    ----------
    num_hidden : int
    num_layers : int, default 1
    mode : str, default 'lstm'
        'rnn_relu', 'rnn_tanh', 'lstm' or 'gru'.
    bidirectional : bool, default False
        Outputs are then 2 * num_hidden wide.
    dropout : float, default 0.
        Between layers, in training.
    get_next_state : bool, default False
        Whether unroll returns the final states (else []).
    forget_bias : float, default 1.0
    prefix : str, default '<mode>_'
    params : RNNParams or None

    unpack_weights names the pieces ``<prefix>l0_i2h_f_weight``,
    ``<prefix>r1_h2h_o_bias`` ('l'/'r' direction, layer, group, gate), as
    unfuse()'s cells name theirs before their own unpacking.
    """

    def __init__(self, num_hidden, num_layers=1, mode="lstm",
                 bidirectional=False, dropout=0., get_next_state=False,
                 forget_bias=1.0, prefix=None, params=None):
        if prefix is None:
            prefix = "%s_" % mode
        super(FusedRNNCell, self).__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._dropout = dropout
        self._get_next_state = get_next_state
        self._directions = ["l", "r"] if bidirectional else ["l"]
        initializer = init.FusedRNN(None, num_hidden, num_layers, mode,
                                    bidirectional, forget_bias)
        self._parameter = self.params.get("parameters", init=initializer)

    @property
    def state_info(self):
        shape = ((self._bidirectional + 1) * self._num_layers, 0,
                 self._num_hidden)
        count = 2 if self._mode == "lstm" else 1
        return [{"shape": shape, "__layout__": "LNC"} for _ in range(count)]

    @property
    def _gate_names(self):
        return {"rnn_relu": [""], "rnn_tanh": [""],
                "lstm": ["_i", "_f", "_c", "_o"],
                "gru": ["_r", "_z", "_o"]}[self._mode]

    @property
    def _num_gates(self):
        return len(self._gate_names)

    def _pieces(self, size):
        """(full name, offset, shape) of each piece of a `size`-long
        parameter vector; AssertionError when no input size fits."""
        return [(self._prefix + name, offset, shape) for name, offset, shape
                in _fused_rnn_pieces(size, self._num_hidden,
                                     self._num_layers, self._mode,
                                     self._bidirectional)]

    def unpack_weights(self, args):
        """A copy of `args` with ``<prefix>parameters`` replaced by its
        pieces (copies), named as the class docstring says."""
        args = dict(args)
        packed = args.pop(self._parameter.name)
        for name, offset, shape in self._pieces(packed.size):
            size = 1
            for extent in shape:
                size *= extent
            args[name] = packed[offset:offset + size].reshape(shape).copy()
        return args

    def pack_weights(self, args):
        """The inverse of unpack_weights: the pieces (the input size read
        from ``<prefix>l0_i2h<gate>_weight``) flattened in the RNN op's
        order into ``<prefix>parameters``. KeyError for a missing piece."""
        args = dict(args)
        first = args["%sl0_i2h%s_weight" % (self._prefix,
                                            self._gate_names[0])]
        b, m, h = self._bidirectional + 1, self._num_gates, self._num_hidden
        size = ((first.shape[1] + h + 2) * h * m * b
                + (self._num_layers - 1) * m * h * (h + b * h + 2) * b)
        flat = [args.pop(name).reshape((-1,))
                for name, _, _ in self._pieces(size)]
        args[self._parameter.name] = ndarray.concatenate(flat)
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError("FusedRNNCell cannot be stepped. "
                                  "Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout="NTC",
               merge_outputs=None):
        self.reset()
        inputs, axis = _normalize_sequence(length, inputs, layout, True)
        if axis == 1:
            warnings.warn("NTC layout detected. Consider using "
                          "TNC for FusedRNNCell for faster speed")
            inputs = symbol.swapaxes(inputs, dim1=0, dim2=1)
        else:
            assert axis == 0, "Unsupported layout %s" % layout
        if begin_state is None:
            begin_state = self.begin_state()
        states = {"state": begin_state[0]}
        if self._mode == "lstm":
            states["state_cell"] = begin_state[1]
        rnn = symbol.RNN(data=inputs, parameters=self._parameter,
                         state_size=self._num_hidden,
                         num_layers=self._num_layers,
                         bidirectional=self._bidirectional, p=self._dropout,
                         state_outputs=self._get_next_state,
                         mode=self._mode, name=self._prefix + "rnn",
                         **states)
        if self._get_next_state:
            outputs = rnn[0]
            states = [rnn[k] for k in range(1, len(states) + 1)]
            for state in states:
                state._set_attr(__layout__="LNC")
        else:
            outputs, states = rnn, []
        if axis == 1:
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        outputs, _ = _normalize_sequence(length, outputs, layout,
                                         merge_outputs)
        return outputs, states

    def unfuse(self):
        """The same network as a SequentialRNNCell of per-layer RNNCell /
        LSTMCell / GRUCell (in BidirectionalCell pairs when bidirectional,
        DropoutCell between layers when dropout > 0), named so that
        unpack_weights' pieces are their unpacked weights."""
        def make(prefix):
            if self._mode in ("rnn_relu", "rnn_tanh"):
                return RNNCell(self._num_hidden, activation=self._mode[4:],
                               prefix=prefix)
            if self._mode == "lstm":
                return LSTMCell(self._num_hidden, prefix=prefix)
            return GRUCell(self._num_hidden, prefix=prefix)

        stack = SequentialRNNCell()
        for layer in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(
                    make("%sl%d_" % (self._prefix, layer)),
                    make("%sr%d_" % (self._prefix, layer)),
                    output_prefix="%sbi_l%d_" % (self._prefix, layer)))
            else:
                stack.add(make("%sl%d_" % (self._prefix, layer)))
            if self._dropout > 0 and layer != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix="%s_dropout%d_"
                                      % (self._prefix, layer)))
        return stack


class _CellGroup(object):
    """What a cell made of self._cells has by its parts: the states of all
    (in order), their begin states, their weights' (un)packing."""

    @property
    def state_info(self):
        return [info for cell in self._cells for info in cell.state_info]

    def begin_state(self, **kwargs):
        assert not self._modified, _MODIFIED
        return [state for cell in self._cells
                for state in cell.begin_state(**kwargs)]

    def unpack_weights(self, args):
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args):
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args


def _split_states(cells, states):
    """`states` cut into each of `cells`' share (by len(state_info))."""
    shares, start = [], 0
    for cell in cells:
        count = len(cell.state_info)
        shares.append(states[start:start + count])
        start += count
    return shares


class SequentialRNNCell(_CellGroup, BaseRNNCell):
    """Cells stacked: each takes the previous one's outputs; states are
    the cells' states concatenated.

    Parameters
    ----------
    params : RNNParams or None
        When given, every added cell must own its parameters
        (AssertionError otherwise) and shares this container's.
    """

    def __init__(self, params=None):
        super(SequentialRNNCell, self).__init__(prefix="", params=params)
        self._override_cell_params = params is not None
        self._cells = []

    def add(self, cell):
        """Appends `cell` to the stack."""
        self._cells.append(cell)
        if self._override_cell_params:
            assert cell._own_params, \
                "Either specify params for SequentialRNNCell " \
                "or child cells, not both."
            cell.params._params.update(self.params._params)
        self.params._params.update(cell.params._params)

    def __call__(self, inputs, states):
        self._counter += 1
        next_states = []
        for cell, share in zip(self._cells, _split_states(self._cells,
                                                          states)):
            assert not isinstance(cell, BidirectionalCell)
            inputs, share = cell(inputs, share)
            next_states.extend(share)
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout="NTC",
               merge_outputs=None):
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        last = len(self._cells) - 1
        next_states = []
        for i, (cell, share) in enumerate(zip(
                self._cells, _split_states(self._cells, begin_state))):
            inputs, share = cell.unroll(
                length, inputs=inputs, begin_state=share, layout=layout,
                merge_outputs=merge_outputs if i == last else None)
            next_states.extend(share)
        return inputs, next_states


class DropoutCell(BaseRNNCell):
    """Dropout of the inputs (no states, no parameters).

    Parameters
    ----------
    dropout : number
        The fraction dropped in training; AssertionError when not a number.
    prefix : str, default 'dropout_'
    params : RNNParams or None
    """

    def __init__(self, dropout, prefix="dropout_", params=None):
        super(DropoutCell, self).__init__(prefix, params)
        assert isinstance(dropout, numeric_types), \
            "dropout probability must be a number"
        self.dropout = dropout

    @property
    def state_info(self):
        return []

    def __call__(self, inputs, states):
        if self.dropout > 0:
            inputs = symbol.Dropout(data=inputs, p=self.dropout)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout="NTC",
               merge_outputs=None):
        self.reset()
        inputs, _ = _normalize_sequence(length, inputs, layout,
                                        merge_outputs)
        if isinstance(inputs, symbol.Symbol):
            return self(inputs, [])
        return super(DropoutCell, self).unroll(
            length, inputs, begin_state=begin_state, layout=layout,
            merge_outputs=merge_outputs)


class ModifierCell(BaseRNNCell):
    """A cell wrapping `base_cell` to change what it computes; the base
    cell is then used only through the modifier (its begin_state raises
    AssertionError)."""

    def __init__(self, base_cell):
        super(ModifierCell, self).__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self):
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self):
        return self.base_cell.state_info

    def begin_state(self, init_sym=symbol.zeros, **kwargs):
        assert not self._modified, _MODIFIED
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args):
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args):
        return self.base_cell.pack_weights(args)

    def __call__(self, inputs, states):
        raise NotImplementedError


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016): in training, each output / state
    unit keeps its previous value with probability zoneout_outputs /
    zoneout_states. AssertionError for a FusedRNNCell or
    BidirectionalCell base (they cannot be stepped).

    Parameters
    ----------
    base_cell : BaseRNNCell
    zoneout_outputs : float, default 0.
    zoneout_states : float, default 0.
    """

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        assert not isinstance(base_cell, FusedRNNCell), \
            "FusedRNNCell doesn't support zoneout. Please unfuse first."
        assert not isinstance(base_cell, BidirectionalCell), \
            "BidirectionalCell doesn't support zoneout since it doesn't " \
            "support step. Please add ZoneoutCell to the cells underneath " \
            "instead."
        assert not isinstance(base_cell, SequentialRNNCell) or \
            not getattr(base_cell, "_bidirectional", False), \
            "Bidirectional SequentialRNNCell doesn't support zoneout. " \
            "Please add ZoneoutCell to the cells underneath instead."
        super(ZoneoutCell, self).__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self.prev_output = None

    def reset(self):
        super(ZoneoutCell, self).reset()
        self.prev_output = None

    def __call__(self, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, new, old):
            # Dropout of ones: 0 where the unit is zoned out, in training.
            mask = symbol.Dropout(symbol.ones_like(new), p=p)
            return symbol.where(mask, new, old)

        prev_output = self.prev_output
        if prev_output is None:
            prev_output = symbol.zeros((0, 0))
        output = next_output
        if self.zoneout_outputs != 0.:
            output = keep_new(self.zoneout_outputs, next_output, prev_output)
        if self.zoneout_states != 0.:
            next_states = [keep_new(self.zoneout_states, new, old)
                           for new, old in zip(next_states, states)]
        self.prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """The base cell's output plus its input (Wu et al. 2016), named
    ``<output name>_plus_residual``."""

    def __init__(self, base_cell):
        super(ResidualCell, self).__init__(base_cell)

    def __call__(self, inputs, states):
        output, states = self.base_cell(inputs, states)
        output = symbol.elemwise_add(output, inputs, name="%s_plus_residual"
                                     % output.name)
        return output, states

    def unroll(self, length, inputs, begin_state=None, layout="NTC",
               merge_outputs=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length, inputs=inputs, begin_state=begin_state,
                layout=layout, merge_outputs=merge_outputs)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, symbol.Symbol)
        inputs, _ = _normalize_sequence(length, inputs, layout,
                                        merge_outputs)
        if merge_outputs:
            return symbol.elemwise_add(outputs, inputs, name="%s_plus_residual"
                                       % outputs.name), states
        return [symbol.elemwise_add(out, step, name="%s_plus_residual"
                                    % out.name)
                for out, step in zip(outputs, inputs)], states


class BidirectionalCell(_CellGroup, BaseRNNCell):
    """`l_cell` run forward and `r_cell` backward over the sequence, their
    outputs concatenated on the feature axis (``<output_prefix>t<i>`` per
    step, ``<output_prefix>out`` merged). States: [l_states, r_states]
    (nested, as MXNet returns them). Cannot be stepped.

    Parameters
    ----------
    l_cell, r_cell : BaseRNNCell
    params : RNNParams or None
        When given, both cells must own their parameters.
    output_prefix : str, default 'bi_'
    """

    def __init__(self, l_cell, r_cell, params=None, output_prefix="bi_"):
        super(BidirectionalCell, self).__init__("", params=params)
        self._output_prefix = output_prefix
        self._override_cell_params = params is not None
        if self._override_cell_params:
            assert l_cell._own_params and r_cell._own_params, \
                "Either specify params for BidirectionalCell " \
                "or child cells, not both."
            l_cell.params._params.update(self.params._params)
            r_cell.params._params.update(self.params._params)
        self.params._params.update(l_cell.params._params)
        self.params._params.update(r_cell.params._params)
        self._cells = [l_cell, r_cell]

    def __call__(self, inputs, states):
        raise NotImplementedError("Bidirectional cannot be stepped. "
                                  "Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout="NTC",
               merge_outputs=None):
        self.reset()
        inputs, axis = _normalize_sequence(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        l_cell, r_cell = self._cells
        l_begin, r_begin = _split_states(self._cells, begin_state)
        l_outputs, l_states = l_cell.unroll(
            length, inputs=inputs, begin_state=l_begin, layout=layout,
            merge_outputs=merge_outputs)
        r_outputs, r_states = r_cell.unroll(
            length, inputs=list(reversed(inputs)), begin_state=r_begin,
            layout=layout, merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = (isinstance(l_outputs, symbol.Symbol) and
                             isinstance(r_outputs, symbol.Symbol))
            if not merge_outputs:
                l_outputs = self._steps(l_outputs, axis, length)
                r_outputs = self._steps(r_outputs, axis, length)
        if merge_outputs:
            return symbol.Concat(l_outputs, symbol.reverse(r_outputs,
                                                           axis=axis),
                                 dim=2, name="%sout" % self._output_prefix), \
                [l_states, r_states]
        outputs = [symbol.Concat(l_out, r_out, dim=1,
                                 name="%st%d" % (self._output_prefix, i))
                   for i, (l_out, r_out) in enumerate(
                       zip(l_outputs, reversed(r_outputs)))]
        return outputs, [l_states, r_states]

    @staticmethod
    def _steps(outputs, axis, length):
        """A merged output split into per-step symbols (a list as given)."""
        if isinstance(outputs, symbol.Symbol):
            return list(symbol.SliceChannel(outputs, axis=axis,
                                            num_outputs=length,
                                            squeeze_axis=1))
        return outputs


class BaseConvRNNCell(BaseRNNCell):
    """The base of convolutional cells: i2h is a Convolution of the input
    (i2h_kernel, stride, pad, dilate), h2h a Convolution of the state
    (h2h_kernel, odd sizes only, padded to keep the state's shape), each
    with num_hidden * gates filters in `conv_layout`. The state shape is
    the i2h output's for one step's `input_shape` (batch left as 0).
    AssertionError for an even h2h kernel."""

    def __init__(self, input_shape, num_hidden, h2h_kernel, h2h_dilate,
                 i2h_kernel, i2h_stride, i2h_pad, i2h_dilate,
                 i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, activation,
                 prefix="", params=None, conv_layout="NCHW"):
        super(BaseConvRNNCell, self).__init__(prefix=prefix, params=params)
        assert h2h_kernel[0] % 2 == 1 and h2h_kernel[1] % 2 == 1, \
            "Only support odd number, get h2h_kernel= %s" % str(h2h_kernel)
        self._h2h_kernel = h2h_kernel
        self._h2h_pad = (h2h_dilate[0] * (h2h_kernel[0] - 1) // 2,
                         h2h_dilate[1] * (h2h_kernel[1] - 1) // 2)
        self._h2h_dilate = h2h_dilate
        self._i2h_kernel = i2h_kernel
        self._i2h_stride = i2h_stride
        self._i2h_pad = i2h_pad
        self._i2h_dilate = i2h_dilate
        self._num_hidden = num_hidden
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation

        probe = symbol.Convolution(data=symbol.Variable("data"),
                                   num_filter=num_hidden, kernel=i2h_kernel,
                                   stride=i2h_stride, pad=i2h_pad,
                                   dilate=i2h_dilate, layout=conv_layout)
        shape = probe.infer_shape(data=input_shape)[1][0]
        self._state_shape = (0,) + tuple(shape[1:])

        self._iW = self.params.get("i2h_weight", init=i2h_weight_initializer)
        self._hW = self.params.get("h2h_weight", init=h2h_weight_initializer)
        self._iB = self.params.get("i2h_bias", init=i2h_bias_initializer)
        self._hB = self.params.get("h2h_bias", init=h2h_bias_initializer)

    @property
    def _num_gates(self):
        return len(self._gate_names)

    _num_states = 2  # ConvLSTMCell's h and c; the others override it

    @property
    def state_info(self):
        return [{"shape": self._state_shape, "__layout__": self._conv_layout}
                for _ in range(self._num_states)]

    def _conv_forward(self, inputs, states, name):
        """(i2h, h2h) Convolutions of `inputs` and states[0]."""
        width = self._num_hidden * self._num_gates
        i2h = symbol.Convolution(name="%si2h" % name, data=inputs,
                                 num_filter=width, kernel=self._i2h_kernel,
                                 stride=self._i2h_stride, pad=self._i2h_pad,
                                 dilate=self._i2h_dilate, weight=self._iW,
                                 bias=self._iB, layout=self._conv_layout)
        h2h = symbol.Convolution(name="%sh2h" % name, data=states[0],
                                 num_filter=width, kernel=self._h2h_kernel,
                                 dilate=self._h2h_dilate, pad=self._h2h_pad,
                                 stride=(1, 1), weight=self._hW,
                                 bias=self._hB, layout=self._conv_layout)
        return i2h, h2h

    def _activate(self, data, **kwargs):
        return self._get_activation(data, self._activation, **kwargs)

    def __call__(self, inputs, states):
        raise NotImplementedError("BaseConvRNNCell is abstract class for "
                                  "convolutional RNN")


_LEAKY = functools.partial(symbol.LeakyReLU, act_type="leaky", slope=0.2)


def _conv_cell_init(cls):
    """Gives a conv cell class MXNet's __init__ signature (every base
    argument with its default; `prefix` defaults to cls._default_prefix)."""
    def __init__(self, input_shape, num_hidden, h2h_kernel=(3, 3),
                 h2h_dilate=(1, 1), i2h_kernel=(3, 3), i2h_stride=(1, 1),
                 i2h_pad=(1, 1), i2h_dilate=(1, 1),
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros",
                 activation=_LEAKY, prefix=cls._default_prefix, params=None,
                 conv_layout="NCHW"):
        BaseConvRNNCell.__init__(
            self, input_shape=input_shape, num_hidden=num_hidden,
            h2h_kernel=h2h_kernel, h2h_dilate=h2h_dilate,
            i2h_kernel=i2h_kernel, i2h_stride=i2h_stride, i2h_pad=i2h_pad,
            i2h_dilate=i2h_dilate,
            i2h_weight_initializer=i2h_weight_initializer,
            h2h_weight_initializer=h2h_weight_initializer,
            i2h_bias_initializer=i2h_bias_initializer,
            h2h_bias_initializer=h2h_bias_initializer, activation=activation,
            prefix=prefix, params=params, conv_layout=conv_layout)
    cls.__init__ = __init__
    return cls


_CONV_PARAMETERS = """

    Parameters
    ----------
    input_shape : tuple of int
        One step's input shape, batch included (in conv_layout).
    num_hidden : int
        Channels of the state.
    h2h_kernel, h2h_dilate : tuple of int, default (3, 3), (1, 1)
    i2h_kernel, i2h_stride, i2h_pad, i2h_dilate : tuple of int
        Defaults (3, 3), (1, 1), (1, 1), (1, 1).
    i2h_weight_initializer, h2h_weight_initializer : Initializer or None
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer
        Default 'zeros'.
    activation : str or callable
        Default LeakyReLU(act_type='leaky', slope=0.2).
    prefix : str, default '%s'
    params : RNNParams or None
    conv_layout : str, default 'NCHW'
"""


@_conv_cell_init
class ConvRNNCell(BaseConvRNNCell):
    """A convolutional Elman cell: out = activation(i2h + h2h)."""
    _default_prefix = "ConvRNN_"
    __doc__ += _CONV_PARAMETERS % _default_prefix

    @property
    def _gate_names(self):
        return ("",)

    _num_states = 1

    def __call__(self, inputs, states):
        name = self._next_step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        output = self._activate(i2h + h2h, name="%sout" % name)
        return output, [output]


@_conv_cell_init
class ConvLSTMCell(BaseConvRNNCell):
    """A convolutional LSTM cell (Xingjian et al., NIPS 2015): gates i, f,
    c, o; `activation` in place of tanh; states [h, c]."""
    _default_prefix = "ConvLSTM_"
    __doc__ += _CONV_PARAMETERS % _default_prefix

    @property
    def _gate_names(self):
        return ["_i", "_f", "_c", "_o"]

    def __call__(self, inputs, states):
        name = self._next_step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4,
                                    axis=self._conv_layout.find("C"),
                                    name="%sslice" % name)
        next_h, next_c = _lstm_update(name, gates, states[1], self._activate)
        return next_h, [next_h, next_c]


@_conv_cell_init
class ConvGRUCell(BaseConvRNNCell):
    """A convolutional GRU cell: gates r, z, o; `activation` for the
    candidate state."""
    _default_prefix = "ConvGRU_"
    __doc__ += _CONV_PARAMETERS % _default_prefix

    @property
    def _gate_names(self):
        return ["_r", "_z", "_o"]

    _num_states = 1

    def __call__(self, inputs, states):
        name = self._next_step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        next_h = _gru_update(name, i2h, h2h, states[0], self._activate)
        return next_h, [next_h]
