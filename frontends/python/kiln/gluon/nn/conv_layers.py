"""Convolution, pooling and padding layers of ``mx.gluon.nn``, as MXNet
1.9.1's ``mxnet/gluon/nn/conv_layers.py``.

``hybrid_forward`` calls ``F.Convolution``, ``F.Deconvolution``,
``F.Pooling`` and ``F.pad`` with MXNet's attributes (kernel, stride,
dilate, pad, num_filter, num_group, no_bias, layout, adj; pooling's
pool_type, global_pool, pooling_convention, count_include_pad), so the
layers run with ``F = mx.nd`` and trace with ``F = mx.sym``. Weight shapes
come from the operator's own shape inference on a symbol whose unknown
extents are 0 (the channel count when ``in_channels`` is 0), as in MXNet;
they are completed at the first call. Argument mistakes (layout, kernel
length) raise AssertionError at construction with MXNet's message.
"""
from .. import block as _block
from ... import symbol as _symbol
from ...base import numeric_types
from .activations import Activation

__all__ = ['Conv1D', 'Conv2D', 'Conv3D',
           'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose',
           'MaxPool1D', 'MaxPool2D', 'MaxPool3D',
           'AvgPool1D', 'AvgPool2D', 'AvgPool3D',
           'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D',
           'GlobalAvgPool1D', 'GlobalAvgPool2D', 'GlobalAvgPool3D',
           'ReflectionPad2D']

_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _infer_weight_shape(op_name, data_shape, kwargs):
    """The argument shapes (data, weight[, bias]) that ``op_name`` infers
    for data of ``data_shape`` (0 = unknown) and attributes ``kwargs``."""
    data = _symbol.var('data', shape=data_shape)
    graph = getattr(_symbol, op_name)(data, **kwargs)
    return graph.infer_shape_partial()[0]


def _tuple(value, rank):
    """``value`` repeated ``rank`` times when it is one number."""
    return (value,) * rank if isinstance(value, numeric_types) else value


def _conv_args(rank, layout, kernel_size, output_padding=None):
    """MXNet's checks of a ``rank``-D convolution's arguments, in its
    order (AssertionError with its messages); returns ``kernel_size`` and
    ``output_padding`` as tuples."""
    layouts = _LAYOUTS[rank] if rank > 1 else ('NCW',)
    assert layout in layouts, "Only supports %s layout for now" % (
        ' and '.join("'%s'" % name for name in layouts))
    kernel_size = _tuple(kernel_size, rank)
    if output_padding is not None:
        output_padding = _tuple(output_padding, rank)
    assert len(kernel_size) == rank, \
        "kernel_size must be a number or a list of %d ints" % rank
    if output_padding is not None:
        assert len(output_padding) == rank, \
            "output_padding must be a number or a list of %d ints" % rank
    return kernel_size, output_padding


def _check_pool_layout(rank, layout):
    """AssertionError (MXNet's message) unless ``layout`` is one of the
    ``rank``-D pooling layouts."""
    assert layout in _LAYOUTS[rank], \
        "Only %s and %s layouts are valid for %dD Pooling" % (
            _LAYOUTS[rank] + (rank,))


def _pool_size(rank, layout, pool_size):
    """MXNet's checks of a ``rank``-D pooling's layout and pool_size
    (AssertionError with its messages); returns pool_size as a tuple."""
    _check_pool_layout(rank, layout)
    pool_size = _tuple(pool_size, rank)
    assert len(pool_size) == rank, \
        "pool_size must be a number or a list of %d ints" % rank
    return pool_size


class _Conv(_block.HybridBlock):
    """What the convolutions share: parameters ``weight`` (shape from the
    operator: ``(channels, in_channels / groups, *kernel)`` for a
    convolution, ``(in_channels, channels / groups, *kernel)`` for a
    transposed one, the channel axis last for channel-last layouts) and,
    with ``use_bias``, ``bias`` ``(channels,)``; an optional activation
    child with prefix ``<activation>_``."""

    def __init__(self, channels, kernel_size, strides, padding, dilation,
                 groups, layout, in_channels=0, activation=None,
                 use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', op_name='Convolution', adj=None,
                 prefix=None, params=None):
        super(_Conv, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            rank = len(kernel_size)
            self._op_name = op_name
            self._kwargs = {
                'kernel': kernel_size, 'stride': _tuple(strides, rank),
                'dilate': _tuple(dilation, rank),
                'pad': _tuple(padding, rank), 'num_filter': channels,
                'num_group': groups, 'no_bias': not use_bias,
                'layout': layout}
            if adj is not None:
                self._kwargs['adj'] = adj
            data_shape = [0] * (rank + 2)
            data_shape[layout.find('N')] = 1
            data_shape[layout.find('C')] = in_channels
            shapes = _infer_weight_shape(op_name, data_shape, self._kwargs)
            self.weight = self.params.get(
                'weight', shape=shapes[1], init=weight_initializer,
                allow_deferred_init=True)
            self.bias = None
            if use_bias:
                self.bias = self.params.get(
                    'bias', shape=shapes[2], init=bias_initializer,
                    allow_deferred_init=True)
            self.act = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        inputs = (x, weight) if bias is None else (x, weight, bias)
        out = op(*inputs, name='fwd', **self._kwargs)
        return out if self.act is None else self.act(out)

    def _alias(self):
        return 'conv'

    def __repr__(self):
        kw = self._kwargs
        rank = len(kw['kernel'])
        weight = self.weight.shape
        text = '%s(%s -> %s, kernel_size=%s, stride=%s' % (
            type(self).__name__, weight[1] or None, weight[0], kw['kernel'],
            kw['stride'])
        if kw['pad'] != (0,) * rank:
            text += ', padding=%s' % (kw['pad'],)
        if kw['dilate'] != (1,) * rank:
            text += ', dilation=%s' % (kw['dilate'],)
        # MXNet 1.9.1 never shows output_padding (it looks for an attribute
        # the transposed layers do not set), so neither does kiln.
        if kw['num_group'] != 1:
            text += ', groups=%s' % (kw['num_group'],)
        if self.bias is None:
            text += ', bias=False'
        if self.act:
            text += ', %s' % (self.act,)
        return text + ')'




class Conv1D(_Conv):
    """1-D convolution of ``(N, C, W)`` input (layout 'NCW' only) into
    ``(N, channels, W_out)``, ``W_out = floor((W + 2*padding -
    dilation*(kernel_size-1) - 1) / strides) + 1``. ``kernel_size``,
    ``strides``, ``padding``, ``dilation``: an int or a 1-tuple; ``groups``
    splits the channels into independent convolutions."""

    def __init__(self, channels, kernel_size, strides=1, padding=0,
                 dilation=1, groups=1, layout='NCW', activation=None,
                 use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        kernel_size, _ = _conv_args(1, layout, kernel_size)
        super(Conv1D, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout,
            in_channels, activation, use_bias, weight_initializer,
            bias_initializer, kwargs.pop('op_name', 'Convolution'), **kwargs)


class Conv2D(_Conv):
    """2-D convolution of ``(N, C, H, W)`` input ('NCHW', or 'NHWC' with
    the channels last) into ``(N, channels, H_out, W_out)``, each extent as
    Conv1D's formula per axis. ``kernel_size``, ``strides``, ``padding``,
    ``dilation``: an int or a 2-tuple."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, layout='NCHW', activation=None,
                 use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        kernel_size, _ = _conv_args(2, layout, kernel_size)
        super(Conv2D, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout,
            in_channels, activation, use_bias, weight_initializer,
            bias_initializer, kwargs.pop('op_name', 'Convolution'), **kwargs)


class Conv3D(_Conv):
    """3-D convolution of ``(N, C, D, H, W)`` input ('NCDHW' or 'NDHWC')
    into ``(N, channels, D_out, H_out, W_out)``. ``kernel_size``,
    ``strides``, ``padding``, ``dilation``: an int or a 3-tuple."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1),
                 padding=(0, 0, 0), dilation=(1, 1, 1), groups=1,
                 layout='NCDHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros',
                 in_channels=0, **kwargs):
        kernel_size, _ = _conv_args(3, layout, kernel_size)
        super(Conv3D, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout,
            in_channels, activation, use_bias, weight_initializer,
            bias_initializer, kwargs.pop('op_name', 'Convolution'), **kwargs)


class Conv1DTranspose(_Conv):
    """Transposed 1-D convolution (``F.Deconvolution``, the gradient of
    Conv1D with respect to its input): ``(N, C, W)`` to
    ``(N, channels, W_out)``, ``W_out = (W-1)*strides - 2*padding +
    dilation*(kernel_size-1) + 1 + output_padding``. Layout 'NCW' only."""

    def __init__(self, channels, kernel_size, strides=1, padding=0,
                 output_padding=0, dilation=1, groups=1, layout='NCW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        kernel_size, output_padding = _conv_args(1, layout, kernel_size,
                                                 output_padding)
        super(Conv1DTranspose, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout,
            in_channels, activation, use_bias, weight_initializer,
            bias_initializer, op_name=kwargs.pop('op_name', 'Deconvolution'),
            adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (``F.Deconvolution``), 'NCHW' or 'NHWC';
    each output extent as Conv1DTranspose's formula per axis."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1,
                 layout='NCHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros',
                 in_channels=0, **kwargs):
        kernel_size, output_padding = _conv_args(2, layout, kernel_size,
                                                 output_padding)
        super(Conv2DTranspose, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout,
            in_channels, activation, use_bias, weight_initializer,
            bias_initializer, op_name=kwargs.pop('op_name', 'Deconvolution'),
            adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv3DTranspose(_Conv):
    """Transposed 3-D convolution (``F.Deconvolution``), 'NCDHW' or
    'NDHWC'."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1),
                 padding=(0, 0, 0), output_padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout='NCDHW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        kernel_size, output_padding = _conv_args(3, layout, kernel_size,
                                                 output_padding)
        super(Conv3DTranspose, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout,
            in_channels, activation, use_bias, weight_initializer,
            bias_initializer, op_name=kwargs.pop('op_name', 'Deconvolution'),
            adj=output_padding, **kwargs)
        self.outpad = output_padding


class _Pooling(_block.HybridBlock):
    """What the pooling layers share: ``F.Pooling`` with kernel
    ``pool_size``, stride ``strides`` (``pool_size`` when None), ``pad``,
    ``pooling_convention`` 'full' (ceil) with ``ceil_mode`` else 'valid',
    and ``count_include_pad`` for the average pools."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool,
                 pool_type, layout, count_include_pad=None, **kwargs):
        super(_Pooling, self).__init__(**kwargs)
        rank = len(pool_size)
        self._kwargs = {
            'kernel': pool_size,
            'stride': pool_size if strides is None else _tuple(strides, rank),
            'pad': _tuple(padding, rank), 'global_pool': global_pool,
            'pool_type': pool_type, 'layout': layout,
            'pooling_convention': 'full' if ceil_mode else 'valid'}
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return ('%s(size=%s, stride=%s, padding=%s, ceil_mode=%s, '
                'global_pool=%s, pool_type=%s, layout=%s)') % (
                    type(self).__name__, kw['kernel'], kw['stride'],
                    kw['pad'], kw['pooling_convention'] == 'full',
                    kw['global_pool'], kw['pool_type'], kw['layout'])


class MaxPool1D(_Pooling):
    """Max over windows of ``pool_size`` along W of ``(N, C, W)`` ('NCW' or
    'NWC'): ``W_out = floor((W + 2*padding - pool_size) / strides) + 1``
    (ceil with ``ceil_mode``); ``strides`` defaults to ``pool_size``."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW',
                 ceil_mode=False, **kwargs):
        super(MaxPool1D, self).__init__(
            _pool_size(1, layout, pool_size), strides, padding, ceil_mode,
            False, 'max', layout, **kwargs)


class MaxPool2D(_Pooling):
    """2-D max pooling ('NCHW' or 'NHWC'); extents as MaxPool1D's per
    axis."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0,
                 layout='NCHW', ceil_mode=False, **kwargs):
        super(MaxPool2D, self).__init__(
            _pool_size(2, layout, pool_size), strides, padding, ceil_mode,
            False, 'max', layout, **kwargs)


class MaxPool3D(_Pooling):
    """3-D max pooling ('NCDHW' or 'NDHWC')."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0,
                 ceil_mode=False, layout='NCDHW', **kwargs):
        super(MaxPool3D, self).__init__(
            _pool_size(3, layout, pool_size), strides, padding, ceil_mode,
            False, 'max', layout, **kwargs)


class AvgPool1D(_Pooling):
    """Average over windows along W ('NCW' or 'NWC'); with
    ``count_include_pad=False`` padded elements are left out of each
    window's count. Extents as MaxPool1D's."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW',
                 ceil_mode=False, count_include_pad=True, **kwargs):
        super(AvgPool1D, self).__init__(
            _pool_size(1, layout, pool_size), strides, padding, ceil_mode,
            False, 'avg', layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """2-D average pooling ('NCHW' or 'NHWC')."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0,
                 ceil_mode=False, layout='NCHW', count_include_pad=True,
                 **kwargs):
        super(AvgPool2D, self).__init__(
            _pool_size(2, layout, pool_size), strides, padding, ceil_mode,
            False, 'avg', layout, count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """3-D average pooling ('NCDHW' or 'NDHWC')."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0,
                 ceil_mode=False, layout='NCDHW', count_include_pad=True,
                 **kwargs):
        super(AvgPool3D, self).__init__(
            _pool_size(3, layout, pool_size), strides, padding, ceil_mode,
            False, 'avg', layout, count_include_pad, **kwargs)


class _GlobalPooling(_Pooling):
    """Pooling of every spatial extent to 1: ``_rank``-D, ``_pool_type``
    ('max' or 'avg'); ``layout`` defaults to the channel-first one
    ('NCW', 'NCHW' or 'NCDHW'), else the channel-last one."""
    _rank = _pool_type = None

    def __init__(self, layout=None, **kwargs):
        rank = self._rank
        if layout is None:
            layout = _LAYOUTS[rank][0]
        _check_pool_layout(rank, layout)
        super(_GlobalPooling, self).__init__(
            (1,) * rank, None, 0, True, True, self._pool_type, layout,
            **kwargs)


class GlobalMaxPool1D(_GlobalPooling):
    """Max over all of W: ``(N, C, W)`` to ``(N, C, 1)`` ('NCW' or 'NWC')."""
    _rank, _pool_type = 1, 'max'


class GlobalMaxPool2D(_GlobalPooling):
    """Max over H and W: to ``(N, C, 1, 1)`` ('NCHW' or 'NHWC')."""
    _rank, _pool_type = 2, 'max'


class GlobalMaxPool3D(_GlobalPooling):
    """Max over D, H and W: to ``(N, C, 1, 1, 1)`` ('NCDHW' or 'NDHWC')."""
    _rank, _pool_type = 3, 'max'


class GlobalAvgPool1D(_GlobalPooling):
    """Mean over all of W: ``(N, C, W)`` to ``(N, C, 1)``."""
    _rank, _pool_type = 1, 'avg'


class GlobalAvgPool2D(_GlobalPooling):
    """Mean over H and W: to ``(N, C, 1, 1)``."""
    _rank, _pool_type = 2, 'avg'


class GlobalAvgPool3D(_GlobalPooling):
    """Mean over D, H and W: to ``(N, C, 1, 1, 1)``."""
    _rank, _pool_type = 3, 'avg'


class ReflectionPad2D(_block.HybridBlock):
    """Pads the last two axes of ``(N, C, H, W)`` input by reflecting it at
    the edges (``F.pad`` mode 'reflect'): ``padding`` an int (that many on
    each side of H and W) or MXNet's 8-tuple ``pad_width``; output
    ``(N, C, H + 2*padding, W + 2*padding)``."""

    def __init__(self, padding=0, **kwargs):
        super(ReflectionPad2D, self).__init__(**kwargs)
        if isinstance(padding, numeric_types):
            padding = (0, 0, 0, 0) + (padding,) * 4
        assert len(padding) == 8
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)
