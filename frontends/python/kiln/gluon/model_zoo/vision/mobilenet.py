"""MobileNet v1 and v2 (width multipliers 1.0, 0.75, 0.5, 0.25), as MXNet
1.9.1's ``mxnet.gluon.model_zoo.vision.mobilenet``.

Input ``(N, 3, H, W)`` float32 (224x224 for the pretrained weights; the
head pools globally, so 32x32 and up work); output ``(N, classes)``.
Parameter names, shapes and the structural names of ``save_parameters``
are MXNet's, so its ``.params`` files load.

References: Howard et al., "MobileNets" (arXiv:1704.04861); Sandler et al.,
"MobileNetV2: Inverted Residuals and Linear Bottlenecks"
(arXiv:1801.04381).
"""
from ...block import HybridBlock
from ... import nn
from ._common import (default_ctx, default_root, load_pretrained,
                      named_constructor)

__all__ = ['MobileNet', 'MobileNetV2', 'mobilenet1_0', 'mobilenet_v2_1_0',
           'mobilenet0_75', 'mobilenet_v2_0_75', 'mobilenet0_5',
           'mobilenet_v2_0_5', 'mobilenet0_25', 'mobilenet_v2_0_25',
           'get_mobilenet', 'get_mobilenet_v2']


class RELU6(HybridBlock):
    """``min(max(x, 0), 6)``, MobileNetV2's activation (``F.clip``)."""

    def __init__(self, **kwargs):
        super(RELU6, self).__init__(**kwargs)

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name="relu6")


def _add_conv(out, channels=1, kernel=1, stride=1, pad=0, num_group=1,
              active=True, relu6=False):
    """Appends to ``out`` a bias-free convolution, BatchNorm and (when
    ``active``) relu or relu6."""
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group,
                      use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation('relu'))


def _add_conv_dw(out, dw_channels, channels, stride, relu6=False):
    """Appends a depthwise-separable convolution: 3x3 depthwise on
    ``dw_channels`` (strided), then 1x1 to ``channels``."""
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1,
              num_group=dw_channels, relu6=relu6)
    _add_conv(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """MobileNetV2's inverted residual: 1x1 expansion to ``in_channels *
    t``, 3x3 depthwise (``stride``), 1x1 linear projection to ``channels``;
    adds the input when ``stride`` is 1 and the channel count is kept."""

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super(LinearBottleneck, self).__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        wide = in_channels * t
        with self.name_scope():
            self.out = nn.HybridSequential()
            _add_conv(self.out, wide, relu6=True)
            _add_conv(self.out, wide, kernel=3, stride=stride, pad=1,
                      num_group=wide, relu6=True)
            _add_conv(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


def _scaled(multiplier, widths):
    return [int(width * multiplier) for width in widths]


class MobileNet(HybridBlock):
    """MobileNet v1: a 3x3/2 convolution then 13 depthwise-separable
    convolutions, global average pooling, Dense ``output``.

    multiplier : float (default 1.0), scales every channel count (int of
    the product; at least 0.25). classes : int (default 1000).
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super(MobileNet, self).__init__(**kwargs)
        depthwise = _scaled(multiplier, [32, 64] + [128] * 2 + [256] * 2
                            + [512] * 6 + [1024])
        pointwise = _scaled(multiplier, [64] + [128] * 2 + [256] * 2
                            + [512] * 6 + [1024] * 2)
        strides = [1, 2] * 3 + [1] * 5 + [2, 1]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                _add_conv(self.features, channels=int(32 * multiplier),
                          kernel=3, pad=1, stride=2)
                for dw, pw, stride in zip(depthwise, pointwise, strides):
                    _add_conv_dw(self.features, dw_channels=dw, channels=pw,
                                 stride=stride)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNet v2: a 3x3/2 convolution, 17 LinearBottlenecks, a 1x1
    convolution to 1280 channels (more for multipliers above 1), global
    pooling and a 1x1 convolution ``output_pred_`` to ``classes``.
    Arguments as MobileNet."""

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super(MobileNetV2, self).__init__(**kwargs)
        inputs = _scaled(multiplier, [32] + [16] + [24] * 2 + [32] * 3
                         + [64] * 4 + [96] * 3 + [160] * 3)
        outputs = _scaled(multiplier, [16] + [24] * 2 + [32] * 3 + [64] * 4
                          + [96] * 3 + [160] * 3 + [320])
        expansions = [1] + [6] * 16
        strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='features_')
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3,
                          stride=2, pad=1, relu6=True)
                for given, made, t, stride in zip(inputs, outputs,
                                                  expansions, strides):
                    self.features.add(LinearBottleneck(
                        in_channels=given, channels=made, t=t,
                        stride=stride))
                last = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix='output_')
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False,
                                          prefix='pred_'),
                                nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _version_suffix(multiplier):
    """'1.0', '0.75', '0.5', '0.25': the multiplier in the file names."""
    suffix = '{0:.2f}'.format(multiplier)
    return suffix[:-1] if suffix in ('1.00', '0.50') else suffix


def get_mobilenet(multiplier, pretrained=False, ctx=default_ctx,
                  root=default_root, **kwargs):
    """MobileNet v1 of width ``multiplier``; kwargs go to MobileNet.
    ``pretrained`` loads ``<root>/mobilenet<multiplier>-<hash>.params``
    (ValueError for a multiplier without published weights, MXNetError
    naming the file when it is absent)."""
    net = MobileNet(multiplier, **kwargs)
    return load_pretrained(net, 'mobilenet%s' % _version_suffix(multiplier),
                           pretrained, ctx, root)


def get_mobilenet_v2(multiplier, pretrained=False, ctx=default_ctx,
                     root=default_root, **kwargs):
    """MobileNet v2 of width ``multiplier``; as get_mobilenet, the file
    being ``mobilenetv2_<multiplier>-<hash>.params``."""
    net = MobileNetV2(multiplier, **kwargs)
    return load_pretrained(
        net, 'mobilenetv2_%s' % _version_suffix(multiplier), pretrained, ctx,
        root)


def _named(name, build, multiplier, version):
    return named_constructor(
        __name__, name, build, 'MobileNet%s with width multiplier %s.'
        % (version, multiplier), multiplier)


mobilenet1_0 = _named('mobilenet1_0', get_mobilenet, 1.0, '')
mobilenet0_75 = _named('mobilenet0_75', get_mobilenet, 0.75, '')
mobilenet0_5 = _named('mobilenet0_5', get_mobilenet, 0.5, '')
mobilenet0_25 = _named('mobilenet0_25', get_mobilenet, 0.25, '')
mobilenet_v2_1_0 = _named('mobilenet_v2_1_0', get_mobilenet_v2, 1.0, 'V2')
mobilenet_v2_0_75 = _named('mobilenet_v2_0_75', get_mobilenet_v2, 0.75, 'V2')
mobilenet_v2_0_5 = _named('mobilenet_v2_0_5', get_mobilenet_v2, 0.5, 'V2')
mobilenet_v2_0_25 = _named('mobilenet_v2_0_25', get_mobilenet_v2, 0.25,
                           'V2')
