"""Convolutional recurrent cells, as MXNet 1.9.1's
``mxnet/gluon/contrib/rnn/conv_rnn_cell.py``: RNN, LSTM (Shi et al.,
2015) and GRU cells whose input-to-hidden and hidden-to-hidden maps are
convolutions, in 1, 2 and 3 spatial dimensions.

    cell = Conv2DLSTMCell(input_shape=(3, 16, 16), hidden_channels=8,
                          i2h_kernel=3, h2h_kernel=3, i2h_pad=1)
    cell.initialize()
    outputs, states = cell.unroll(5, x)     # x: (N, 5, 3, 16, 16), 'NTC'

Parameters (shapes known at construction from ``input_shape``):
``i2h_weight`` (gates*hidden, in_channels, *i2h_kernel), ``h2h_weight``
(gates*hidden, hidden, *h2h_kernel), ``i2h_bias`` and ``h2h_bias``
(gates*hidden,), with gates 1 (RNN), 4 (LSTM: i, f, c, o) or 3 (GRU: r,
z, o); channel-last layouts put the channels last in the weights. The
states are ``(N, hidden_channels, *spatial)`` where the spatial extents
are the input's after the i2h convolution (stride 1); the h2h
convolution pads to keep them ("same"), so its kernel must be odd.
"""
from math import floor

from ....base import numeric_types
from ...rnn.rnn_cell import HybridRecurrentCell

__all__ = ['Conv1DRNNCell', 'Conv2DRNNCell', 'Conv3DRNNCell',
           'Conv1DLSTMCell', 'Conv2DLSTMCell', 'Conv3DLSTMCell',
           'Conv1DGRUCell', 'Conv2DGRUCell', 'Conv3DGRUCell']


def _conv_out_size(extents, kernels, pads, dilations):
    """Each spatial extent after a stride-1 convolution (0 stays 0, an
    unknown extent)."""
    return tuple(int(floor(x + 2 * p - d * (k - 1) - 1)) + 1 if x else 0
                 for x, k, p, d in zip(extents, kernels, pads, dilations))


class _ConvCell(HybridRecurrentCell):
    """What every convolutional cell shares: the settings, the parameter
    and state shapes, the two convolutions and the repr. Subclasses give
    ``_gate_names``, ``_alias``, ``state_info`` and ``hybrid_forward``;
    each public class gets its ``__init__`` from ``_cell_init``."""

    def _setup(self, dims, input_shape, hidden_channels, i2h_kernel,
               h2h_kernel, i2h_pad, i2h_dilate, h2h_dilate,
               i2h_weight_initializer, h2h_weight_initializer,
               i2h_bias_initializer, h2h_bias_initializer, conv_layout,
               activation):
        self._hidden_channels = hidden_channels
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        settings = [i2h_kernel, i2h_pad, i2h_dilate, h2h_kernel, h2h_dilate]
        assert all(isinstance(spec, int) or len(spec) == dims
                   for spec in settings), \
            "For {dims}D convolution, the convolution settings can only be " \
            "either int or list/tuple of length {dims}".format(dims=dims)

        def spread(spec):
            return (spec,) * dims if isinstance(spec, numeric_types) \
                else tuple(spec)
        self._i2h_kernel = spread(i2h_kernel)
        self._stride = (1,) * dims
        self._i2h_pad = spread(i2h_pad)
        self._i2h_dilate = spread(i2h_dilate)
        self._h2h_kernel = spread(h2h_kernel)
        assert all(k % 2 == 1 for k in self._h2h_kernel), \
            "Only support odd number, get h2h_kernel= %s" % str(h2h_kernel)
        self._h2h_dilate = spread(h2h_dilate)
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in
                              zip(self._h2h_dilate, self._h2h_kernel))

        self._channel_axis = conv_layout.find('C')
        channels_first = self._channel_axis == 1
        self._in_channels = input_shape[self._channel_axis - 1]
        spatial = input_shape[1:] if channels_first else input_shape[:-1]
        out = _conv_out_size(spatial, self._i2h_kernel, self._i2h_pad,
                             self._i2h_dilate)
        total = hidden_channels * len(self._gate_names)
        if channels_first:
            i2h_shape = (total, self._in_channels) + self._i2h_kernel
            h2h_shape = (total, hidden_channels) + self._h2h_kernel
            self._state_shape = (hidden_channels,) + out
        else:
            i2h_shape = (total,) + self._i2h_kernel + (self._in_channels,)
            h2h_shape = (total,) + self._h2h_kernel + (hidden_channels,)
            self._state_shape = out + (hidden_channels,)

        self.i2h_weight = self.params.get(
            'i2h_weight', shape=i2h_shape, init=i2h_weight_initializer,
            allow_deferred_init=True)
        self.h2h_weight = self.params.get(
            'h2h_weight', shape=h2h_shape, init=h2h_weight_initializer,
            allow_deferred_init=True)
        self.i2h_bias = self.params.get(
            'i2h_bias', shape=(total,), init=i2h_bias_initializer,
            allow_deferred_init=True)
        self.h2h_bias = self.params.get(
            'h2h_bias', shape=(total,), init=h2h_bias_initializer,
            allow_deferred_init=True)

    def __repr__(self):
        shape = self.i2h_weight.shape
        in_channels = shape[1 if self._channel_axis == 1 else -1]
        return '%s(%s -> %s, %s, %s)' % (type(self).__name__,
                                         in_channels or None, shape[0],
                                         self._activation, self._conv_layout)

    def state_info(self, batch_size=0):
        info = {'shape': (batch_size,) + self._state_shape,
                '__layout__': self._conv_layout}
        return [dict(info) for _ in range(self._num_states)]

    def _convolutions(self, F, inputs, h, i2h_weight, h2h_weight, i2h_bias,
                      h2h_bias, prefix):
        """(i2h, h2h): the input's and the hidden state's convolutions,
        each with gates*hidden_channels output channels."""
        filters = self._hidden_channels * len(self._gate_names)
        i2h = F.Convolution(data=inputs, weight=i2h_weight, bias=i2h_bias,
                            num_filter=filters, kernel=self._i2h_kernel,
                            stride=self._stride, pad=self._i2h_pad,
                            dilate=self._i2h_dilate, layout=self._conv_layout,
                            name=prefix + 'i2h')
        h2h = F.Convolution(data=h, weight=h2h_weight, bias=h2h_bias,
                            num_filter=filters, kernel=self._h2h_kernel,
                            dilate=self._h2h_dilate, pad=self._h2h_pad,
                            stride=self._stride, layout=self._conv_layout,
                            name=prefix + 'h2h')
        return i2h, h2h


def _cell_init(dims, layout):
    """The ``__init__`` of a ``dims``-D cell: MXNet's signature, with the
    defaults of that dimension (pads 0, dilations 1, ``layout``)."""
    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel,
                 i2h_pad=(0,) * dims, i2h_dilate=(1,) * dims,
                 h2h_dilate=(1,) * dims, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', conv_layout=layout,
                 activation='tanh', prefix=None, params=None):
        HybridRecurrentCell.__init__(self, prefix=prefix, params=params)
        self._setup(dims, input_shape, hidden_channels, i2h_kernel,
                    h2h_kernel, i2h_pad, i2h_dilate, h2h_dilate,
                    i2h_weight_initializer, h2h_weight_initializer,
                    i2h_bias_initializer, h2h_bias_initializer, conv_layout,
                    activation)
    return __init__


class _ConvRNNCell(_ConvCell):
    """h' = activation(W * x + b_i + R * h + b_h); output h'."""
    _gate_names = ('',)
    _num_states = 1

    def _alias(self):
        return 'conv_rnn'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h, h2h = self._convolutions(F, inputs, states[0], i2h_weight,
                                      h2h_weight, i2h_bias, h2h_bias, prefix)
        output = self._get_activation(F, i2h + h2h, self._activation,
                                      name=prefix + 'out')
        return output, [output]


class _ConvLSTMCell(_ConvCell):
    """Gates i, f, o = sigmoid, c~ = activation of the channel slices of
    W * x + R * h (+ biases); c' = f c + i c~, h' = o activation(c');
    output h', states [h', c']."""
    _gate_names = ('_i', '_f', '_c', '_o')
    _num_states = 2

    def _alias(self):
        return 'conv_lstm'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h, h2h = self._convolutions(F, inputs, states[0], i2h_weight,
                                      h2h_weight, i2h_bias, h2h_bias, prefix)
        gates = F.SliceChannel(i2h + h2h, num_outputs=4,
                               axis=self._channel_axis, name=prefix + 'slice')
        in_gate = F.Activation(gates[0], act_type='sigmoid', name=prefix + 'i')
        forget_gate = F.Activation(gates[1], act_type='sigmoid',
                                   name=prefix + 'f')
        in_transform = self._get_activation(F, gates[2], self._activation,
                                            name=prefix + 'c')
        out_gate = F.Activation(gates[3], act_type='sigmoid', name=prefix + 'o')
        next_c = F.elemwise_add(forget_gate * states[1],
                                in_gate * in_transform, name=prefix + 'state')
        next_h = F.elemwise_mul(out_gate, self._get_activation(
            F, next_c, self._activation), name=prefix + 'out')
        return next_h, [next_h, next_c]


class _ConvGRUCell(_ConvCell):
    """r, z = sigmoid of the i2h + h2h slices; n = activation(i2h_n +
    r (h2h_n)); h' = (1 - z) n + z h; output h'."""
    _gate_names = ('_r', '_z', '_o')
    _num_states = 1

    def _alias(self):
        return 'conv_gru'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight,
                       i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h, h2h = self._convolutions(F, inputs, states[0], i2h_weight,
                                      h2h_weight, i2h_bias, h2h_bias, prefix)
        i2h_r, i2h_z, i2h = F.SliceChannel(i2h, num_outputs=3,
                                           axis=self._channel_axis,
                                           name=prefix + 'i2h_slice')
        h2h_r, h2h_z, h2h = F.SliceChannel(h2h, num_outputs=3,
                                           axis=self._channel_axis,
                                           name=prefix + 'h2h_slice')
        reset_gate = F.Activation(i2h_r + h2h_r, act_type='sigmoid',
                                  name=prefix + 'r_act')
        update_gate = F.Activation(i2h_z + h2h_z, act_type='sigmoid',
                                   name=prefix + 'z_act')
        candidate = self._get_activation(F, i2h + reset_gate * h2h,
                                         self._activation,
                                         name=prefix + 'h_act')
        next_h = F.elemwise_add((1. - update_gate) * candidate,
                                update_gate * states[0], name=prefix + 'out')
        return next_h, [next_h]


class Conv1DRNNCell(_ConvRNNCell):
    """1-D convolutional RNN cell, layout 'NCW' (default) or 'NWC';
    ``input_shape`` is one step's sample shape, e.g. (C, W)."""
    __init__ = _cell_init(1, 'NCW')


class Conv2DRNNCell(_ConvRNNCell):
    """2-D convolutional RNN cell, layout 'NCHW' (default) or 'NHWC';
    ``input_shape`` e.g. (C, H, W)."""
    __init__ = _cell_init(2, 'NCHW')


class Conv3DRNNCell(_ConvRNNCell):
    """3-D convolutional RNN cell, layout 'NCDHW' (default) or 'NDHWC';
    ``input_shape`` e.g. (C, D, H, W)."""
    __init__ = _cell_init(3, 'NCDHW')


class Conv1DLSTMCell(_ConvLSTMCell):
    """1-D convolutional LSTM cell (Shi et al., NIPS 2015), 'NCW'."""
    __init__ = _cell_init(1, 'NCW')


class Conv2DLSTMCell(_ConvLSTMCell):
    """2-D convolutional LSTM cell (Shi et al., NIPS 2015), 'NCHW'."""
    __init__ = _cell_init(2, 'NCHW')


class Conv3DLSTMCell(_ConvLSTMCell):
    """3-D convolutional LSTM cell (Shi et al., NIPS 2015), 'NCDHW'."""
    __init__ = _cell_init(3, 'NCDHW')


class Conv1DGRUCell(_ConvGRUCell):
    """1-D convolutional GRU cell, 'NCW'."""
    __init__ = _cell_init(1, 'NCW')


class Conv2DGRUCell(_ConvGRUCell):
    """2-D convolutional GRU cell, 'NCHW'."""
    __init__ = _cell_init(2, 'NCHW')


class Conv3DGRUCell(_ConvGRUCell):
    """3-D convolutional GRU cell, 'NCDHW'."""
    __init__ = _cell_init(3, 'NCDHW')
