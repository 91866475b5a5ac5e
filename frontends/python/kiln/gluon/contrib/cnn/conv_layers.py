"""MXNet 1.9.1's ``mxnet/gluon/contrib/cnn/conv_layers.py``: deformable
convolution layers that learn their own sampling offsets.

    DeformableConvolution(channels, kernel_size=(1, 1), strides=(1, 1),
        padding=(0, 0), dilation=(1, 1), groups=1, num_deformable_group=1,
        layout='NCHW', use_bias=True, in_channels=0, activation=None,
        weight_initializer=None, bias_initializer='zeros',
        offset_weight_initializer='zeros',
        offset_bias_initializer='zeros', offset_use_bias=True,
        op_name='DeformableConvolution', adj=None, prefix=None,
        params=None)
    ModulatedDeformableConvolution(...)  # the same arguments

Each layer owns an ordinary ``Convolution`` (parameters ``offset_weight``
and ``offset_bias``) that computes the offsets (2 * kh * kw per
deformable group; the modulated layer also kh * kw mask channels per
group, passed through ``sigmoid(.) * 2``) from the input, and feeds them
with ``deformable_conv_weight`` / ``deformable_conv_bias`` to
``F.contrib.DeformableConvolution`` / ``ModulatedDeformableConvolution``
(kiln/_contrib_ops/deformable_conv.py). Input (N, in_channels, H, W) ->
(N, channels, Ho, Wo). The offset convolution starts at zero (MXNet's
default initializers), so a fresh layer samples the regular grid.

Only NCHW runs: the layout assertion admits 'NHWC' as MXNet's does, but
the operators, like MXNet's, refuse it (MXNetError).
"""
from .... import symbol
from ....base import numeric_types
from ...block import HybridBlock
from ...nn import Activation

__all__ = ['DeformableConvolution', 'ModulatedDeformableConvolution']


class _Deformable(HybridBlock):
    """What both layers share: the parameters and the forward pass.
    ``AssertionError`` for a layout other than 'NCHW' / 'NHWC'."""

    _mask_channels = 0  # mask channels per kernel tap and group

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1),
                 padding=(0, 0), dilation=(1, 1), groups=1,
                 num_deformable_group=1, layout='NCHW', use_bias=True,
                 in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer='zeros',
                 offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True,
                 op_name='DeformableConvolution', adj=None, prefix=None,
                 params=None):
        super(_Deformable, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            assert layout in ('NCHW', 'NHWC'), \
                "Only supports 'NCHW' and 'NHWC' layout for now"
            if isinstance(kernel_size, numeric_types):
                kernel_size = (kernel_size,) * 2
            rank = len(kernel_size)
            if isinstance(strides, numeric_types):
                strides = (strides,) * rank
            if isinstance(padding, numeric_types):
                padding = (padding,) * rank
            if isinstance(dilation, numeric_types):
                dilation = (dilation,) * rank
            self._op_name = op_name
            taps = kernel_size[0] * kernel_size[1]
            # The offsets (and masks) come first in the offset conv's output.
            self.offset_split_index = num_deformable_group * 2 * taps
            offset_channels = num_deformable_group * \
                (2 + self._mask_channels) * taps
            self._kwargs_offset = {
                'kernel': kernel_size, 'stride': strides, 'dilate': dilation,
                'pad': padding, 'num_filter': offset_channels,
                'num_group': groups, 'no_bias': not offset_use_bias,
                'layout': layout}
            self._kwargs_deformable_conv = {
                'kernel': kernel_size, 'stride': strides, 'dilate': dilation,
                'pad': padding, 'num_filter': channels, 'num_group': groups,
                'num_deformable_group': num_deformable_group,
                'no_bias': not use_bias, 'layout': layout}
            if adj:
                self._kwargs_offset['adj'] = adj
                self._kwargs_deformable_conv['adj'] = adj

            # MXNet's v2 layer registers its parameters in the other order
            # (collect_params lists them so).
            if self._mask_channels:
                self._main_params(channels, kernel_size, use_bias,
                                  weight_initializer, bias_initializer)
            self._offset_params(in_channels, layout, rank, offset_use_bias,
                                offset_weight_initializer,
                                offset_bias_initializer)
            if not self._mask_channels:
                self._main_params(channels, kernel_size, use_bias,
                                  weight_initializer, bias_initializer)
            self.act = Activation(activation, prefix=activation + '_') \
                if activation else None

    def _offset_params(self, in_channels, layout, rank, offset_use_bias,
                       offset_weight_initializer, offset_bias_initializer):
        """offset_weight, offset_bias: shapes as far as in_channels tells
        them (0 where deferred to the first forward)."""
        dshape = [0] * (rank + 2)
        dshape[layout.find('N')] = 1
        dshape[layout.find('C')] = in_channels
        offset = symbol.Convolution(symbol.var('data', shape=dshape),
                                    **self._kwargs_offset)
        offset_shapes = offset.infer_shape_partial()[0]
        self.offset_weight = self.params.get(
            'offset_weight', shape=offset_shapes[1],
            init=offset_weight_initializer, allow_deferred_init=True)
        if offset_use_bias:
            self.offset_bias = self.params.get(
                'offset_bias', shape=offset_shapes[2],
                init=offset_bias_initializer, allow_deferred_init=True)
        else:
            self.offset_bias = None

    def _main_params(self, channels, kernel_size, use_bias,
                     weight_initializer, bias_initializer):
        """deformable_conv_weight (channels, 0, kh, kw), _bias."""
        rank = len(kernel_size)
        weight_shape = [0] * (rank + 2)
        weight_shape[0] = channels
        weight_shape[2] = kernel_size[0]
        weight_shape[3] = kernel_size[1]
        self.deformable_conv_weight = self.params.get(
            'deformable_conv_weight', shape=weight_shape,
            init=weight_initializer, allow_deferred_init=True)
        if use_bias:
            self.deformable_conv_bias = self.params.get(
                'deformable_conv_bias', shape=(channels,),
                init=bias_initializer, allow_deferred_init=True)
        else:
            self.deformable_conv_bias = None

    def _offsets(self, F, x, offset_weight, offset_bias):
        """(the operator's inputs after data: offset[, mask])."""
        if offset_bias is None:
            offset = F.Convolution(x, offset_weight, cudnn_off=True,
                                   **self._kwargs_offset)
        else:
            offset = F.Convolution(x, offset_weight, offset_bias,
                                   cudnn_off=True, **self._kwargs_offset)
        return [offset]

    def _operator(self, F):
        raise NotImplementedError

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight,
                       offset_bias=None, deformable_conv_bias=None):
        inputs = [x] + self._offsets(F, x, offset_weight, offset_bias) + \
            [deformable_conv_weight]
        if deformable_conv_bias is not None:
            inputs.append(deformable_conv_bias)
        out = self._operator(F)(*inputs, name='fwd',
                                **self._kwargs_deformable_conv)
        if self.act:
            out = self.act(out)
        return out


class DeformableConvolution(_Deformable):
    """2-D deformable convolution v1 (Dai et al., 2017); see the module
    docstring for the arguments."""

    def _operator(self, F):
        return F.contrib.DeformableConvolution

    def _alias(self):
        return 'deformable_conv'

    def __repr__(self):
        kwargs = self._kwargs_deformable_conv
        rank = len(kwargs['kernel'])
        text = '{name}({mapping}, kernel_size={kernel}, stride={stride}'
        if kwargs['pad'] != (0,) * rank:
            text += ', padding={pad}'
        if kwargs['dilate'] != (1,) * rank:
            text += ', dilation={dilate}'
        if kwargs['num_group'] != 1:
            text += ', groups={num_group}'
        if self.deformable_conv_bias is None:
            text += ', bias=False'
        if self.act:
            text += ', {}'.format(self.act)
        text += ')'
        shape = self.deformable_conv_weight.shape
        return text.format(name=self.__class__.__name__,
                           mapping='{0} -> {1}'.format(
                               shape[1] if shape[1] else None, shape[0]),
                           **kwargs)


class ModulatedDeformableConvolution(_Deformable):
    """2-D modulated deformable convolution v2 (Zhu et al., 2018): the
    offset convolution also gives one mask channel per tap and group,
    ``sigmoid(.) * 2`` (1 for a fresh layer). Arguments as
    DeformableConvolution's (op_name defaults to
    'ModulatedDeformableConvolution'); repr: HybridBlock's, as MXNet's."""

    _mask_channels = 1

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1),
                 padding=(0, 0), dilation=(1, 1), groups=1,
                 num_deformable_group=1, layout='NCHW', use_bias=True,
                 in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer='zeros',
                 offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True,
                 op_name='ModulatedDeformableConvolution', adj=None,
                 prefix=None, params=None):
        super(ModulatedDeformableConvolution, self).__init__(
            channels, kernel_size, strides, padding, dilation, groups,
            num_deformable_group, layout, use_bias, in_channels, activation,
            weight_initializer, bias_initializer, offset_weight_initializer,
            offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
            params)

    def _offsets(self, F, x, offset_weight, offset_bias):
        offset = super(ModulatedDeformableConvolution, self)._offsets(
            F, x, offset_weight, offset_bias)[0]
        offset_t = F.slice_axis(offset, axis=1, begin=0,
                                end=self.offset_split_index)
        # end=None (MXNet's) is refused by kiln's symbolic slice_axis;
        # the explicit end selects the same mask channels.
        mask = F.slice_axis(offset, axis=1, begin=self.offset_split_index,
                            end=self._kwargs_offset['num_filter'])
        return [offset_t, F.sigmoid(mask) * 2]

    def _operator(self, F):
        return F.contrib.ModulatedDeformableConvolution

    def _alias(self):
        return 'modulated_deformable_conv'
