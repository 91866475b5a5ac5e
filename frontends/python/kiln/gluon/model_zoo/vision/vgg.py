"""VGG 11, 13, 16 and 19, with and without BatchNorm, as MXNet 1.9.1's
``mxnet.gluon.model_zoo.vision.vgg``.

Input ``(N, 3, H, W)`` float32, H and W at least 32 (five 2x2 poolings;
the first Dense layer's input size is inferred at the first call, 25088
for the pretrained weights' 224x224); output ``(N, classes)``. Parameter names and
shapes are MXNet's, so its ``.params`` files load.

Reference: Simonyan and Zisserman, "Very Deep Convolutional Networks for
Large-Scale Image Recognition" (arXiv:1409.1556).
"""
from ....initializer import Xavier
from ...block import HybridBlock
from ... import nn
from ._common import (default_ctx, default_root, load_pretrained,
                      named_constructor)

__all__ = ['VGG',
           'vgg11', 'vgg13', 'vgg16', 'vgg19',
           'vgg11_bn', 'vgg13_bn', 'vgg16_bn', 'vgg19_bn',
           'get_vgg']


class VGG(HybridBlock):
    """VGG: blocks of 3x3 convolutions (relu, optional BatchNorm) each
    ending in 2x2 max pooling, then two Dense(4096, relu) with dropout
    0.5 and the Dense ``output``.

    layers : list of int, convolutions per block. filters : list of int,
    channels per block (same length; AssertionError otherwise). classes :
    int (default 1000). batch_norm : bool (default False).
    """

    def __init__(self, layers, filters, classes=1000, batch_norm=False,
                 **kwargs):
        super(VGG, self).__init__(**kwargs)
        assert len(layers) == len(filters)
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation='relu',
                                           weight_initializer='normal',
                                           bias_initializer='zeros'))
                self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer='normal',
                                   bias_initializer='zeros')

    def _make_features(self, layers, filters, batch_norm):
        """The convolution blocks, as one HybridSequential."""
        features = nn.HybridSequential(prefix='')
        for count, channels in zip(layers, filters):
            for _ in range(count):
                features.add(nn.Conv2D(
                    channels, kernel_size=3, padding=1,
                    weight_initializer=Xavier(rnd_type='gaussian',
                                              factor_type='out', magnitude=2),
                    bias_initializer='zeros'))
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation('relu'))
            features.add(nn.MaxPool2D(strides=2))
        return features

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# num_layers: (convolutions per block, channels per block)
vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers, pretrained=False, ctx=default_ctx,
            root=default_root, **kwargs):
    """VGG with ``num_layers`` (11, 13, 16, 19; KeyError otherwise, as
    MXNet); kwargs go to VGG (classes, batch_norm). ``pretrained`` loads
    ``<root>/vgg<num_layers>[_bn]-<hash>.params`` (MXNetError naming the
    file when absent)."""
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    suffix = '_bn' if kwargs.get('batch_norm') else ''
    return load_pretrained(net, 'vgg%d%s' % (num_layers, suffix),
                           pretrained, ctx, root)


def _named(num_layers, batch_norm):
    name = 'vgg%d%s' % (num_layers, '_bn' if batch_norm else '')
    doc = 'VGG-%d model%s.' % (num_layers,
                               ' with batch normalization' * batch_norm)
    if batch_norm:
        return named_constructor(__name__, name, get_vgg, doc, num_layers,
                                 batch_norm=True)
    return named_constructor(__name__, name, get_vgg, doc, num_layers)


vgg11 = _named(11, False)
vgg13 = _named(13, False)
vgg16 = _named(16, False)
vgg19 = _named(19, False)
vgg11_bn = _named(11, True)
vgg13_bn = _named(13, True)
vgg16_bn = _named(16, True)
vgg19_bn = _named(19, True)
