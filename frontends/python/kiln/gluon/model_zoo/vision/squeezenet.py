"""SqueezeNet 1.0 and 1.1, as MXNet 1.9.1's
``mxnet.gluon.model_zoo.vision.squeezenet``.

Input ``(N, 3, H, W)`` float32, H and W at least 213 for 1.0, 209 for 1.1
(the head's 13x13 average pooling needs a 13x13 map; the pretrained weights
expect 224x224); output ``(N, classes)``.
Parameter names and shapes are MXNet's, so its ``.params`` files load.

Reference: Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x
fewer parameters and <0.5MB model size" (arXiv:1602.07360); 1.1 from the
authors' repository (2.4x less computation).
"""
from ...block import HybridBlock
from ... import nn
from ...contrib.nn import HybridConcurrent
from ._common import (default_ctx, default_root,
                      load_pretrained, named_constructor)

__all__ = ['SqueezeNet', 'squeezenet1_0', 'squeezenet1_1']


def _make_fire_conv(channels, kernel_size, padding=0):
    """A convolution with bias, then relu."""
    out = nn.HybridSequential(prefix='')
    out.add(nn.Conv2D(channels, kernel_size, padding=padding),
            nn.Activation('relu'))
    return out


def _make_fire(squeeze_channels, expand1x1_channels, expand3x3_channels):
    """A fire module: 1x1 squeeze, then 1x1 and 3x3 expansions side by
    side, concatenated on the channels."""
    out = nn.HybridSequential(prefix='')
    out.add(_make_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix='')
    paths.add(_make_fire_conv(expand1x1_channels, 1))
    paths.add(_make_fire_conv(expand3x3_channels, 3, 1))
    out.add(paths)
    return out


def _pool():
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


# The features after the stem: a fire module's (squeeze, expand, expand)
# channels, or None for a 3x3/2 max pooling.
_FIRES = {'1.0': [(16, 64, 64), (16, 64, 64), (32, 128, 128), None,
                  (32, 128, 128), (48, 192, 192), (48, 192, 192),
                  (64, 256, 256), None, (64, 256, 256)],
          '1.1': [(16, 64, 64), (16, 64, 64), None, (32, 128, 128),
                  (32, 128, 128), None, (48, 192, 192), (48, 192, 192),
                  (64, 256, 256), (64, 256, 256)]}


class SqueezeNet(HybridBlock):
    """SqueezeNet: a stem convolution (1.0: 96 7x7/2; 1.1: 64 3x3/2),
    relu and 3x3/2 max pooling, fire modules with max poolings, dropout
    0.5, then ``output``: a 1x1 convolution to ``classes``, relu, 13x13
    average pooling, flatten.

    version : '1.0' or '1.1' (AssertionError otherwise, MXNet's message).
    classes : int (default 1000).
    """

    def __init__(self, version, classes=1000, **kwargs):
        super(SqueezeNet, self).__init__(**kwargs)
        assert version in ['1.0', '1.1'], (
            "Unsupported SqueezeNet version {version}:"
            "1.0 or 1.1 expected".format(version=version))
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if version == '1.0':
                self.features.add(nn.Conv2D(96, kernel_size=7, strides=2))
            else:
                self.features.add(nn.Conv2D(64, kernel_size=3, strides=2))
            self.features.add(nn.Activation('relu'), _pool())
            for fire in _FIRES[version]:
                self.features.add(_pool() if fire is None
                                  else _make_fire(*fire))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, kernel_size=1),
                            nn.Activation('relu'), nn.AvgPool2D(13),
                            nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=default_ctx,
                   root=default_root, **kwargs):
    """SqueezeNet ``version`` ('1.0' or '1.1'); kwargs go to SqueezeNet.
    ``pretrained`` loads ``<root>/squeezenet<version>-<hash>.params``
    (MXNetError naming the file when absent)."""
    net = SqueezeNet(version, **kwargs)
    return load_pretrained(net, 'squeezenet%s' % version, pretrained, ctx,
                           root)


squeezenet1_0 = named_constructor(__name__, 'squeezenet1_0', get_squeezenet,
                                  'SqueezeNet 1.0 model.', '1.0')
squeezenet1_1 = named_constructor(__name__, 'squeezenet1_1', get_squeezenet,
                                  'SqueezeNet 1.1 model.', '1.1')
