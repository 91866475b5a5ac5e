"""DenseNet-BC 121, 161, 169 and 201, as MXNet 1.9.1's
``mxnet.gluon.model_zoo.vision.densenet``.

Input ``(N, 3, H, W)`` float32, H and W at least 221 (the head's 7x7
average pooling needs a 7x7 map; the pretrained weights expect 224x224);
output ``(N, classes)``. Parameter names and shapes are MXNet's, so its
``.params`` files load.

Reference: Huang et al., "Densely Connected Convolutional Networks"
(arXiv:1608.06993).
"""
from ...block import HybridBlock
from ... import nn
from ...contrib.nn import HybridConcurrent, Identity
from ._common import (default_ctx, default_root,
                      load_pretrained, named_constructor)

__all__ = ['DenseNet', 'densenet121', 'densenet161', 'densenet169',
           'densenet201']


def _make_dense_block(num_layers, bn_size, growth_rate, dropout,
                      stage_index):
    """Stage ``stage_index``: ``num_layers`` dense layers."""
    stage = nn.HybridSequential(prefix='stage%d_' % stage_index)
    with stage.name_scope():
        for _ in range(num_layers):
            stage.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return stage


def _make_dense_layer(growth_rate, bn_size, dropout):
    """The input concatenated with ``growth_rate`` new channels: BN, relu,
    1x1 conv to ``bn_size * growth_rate``, BN, relu, 3x3 conv (dropout
    after when ``dropout``)."""
    new_features = nn.HybridSequential(prefix='')
    new_features.add(nn.BatchNorm(), nn.Activation('relu'),
                     nn.Conv2D(bn_size * growth_rate, kernel_size=1,
                               use_bias=False),
                     nn.BatchNorm(), nn.Activation('relu'),
                     nn.Conv2D(growth_rate, kernel_size=3, padding=1,
                               use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    joined = HybridConcurrent(axis=1, prefix='')
    joined.add(Identity(), new_features)
    return joined


def _make_transition(num_output_features):
    """BN, relu, 1x1 conv to ``num_output_features``, 2x2/2 average
    pooling."""
    out = nn.HybridSequential(prefix='')
    out.add(nn.BatchNorm(), nn.Activation('relu'),
            nn.Conv2D(num_output_features, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """DenseNet-BC: a 7x7/2 stem and 3x3/2 max pooling, dense stages
    separated by halving transitions, BN, relu, 7x7 average pooling, the
    Dense ``output``.

    num_init_features : int, the stem's channels. growth_rate : int (k).
    block_config : list of int, dense layers per stage. bn_size : int
    (default 4), bottleneck width factor. dropout : float (default 0).
    classes : int (default 1000).
    """

    def __init__(self, num_init_features, growth_rate, block_config,
                 bn_size=4, dropout=0, classes=1000, **kwargs):
        super(DenseNet, self).__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(
                nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                          padding=3, use_bias=False),
                nn.BatchNorm(), nn.Activation('relu'),
                nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            width = num_init_features
            last = len(block_config) - 1
            for i, num_layers in enumerate(block_config):
                self.features.add(_make_dense_block(
                    num_layers, bn_size, growth_rate, dropout, i + 1))
                width += num_layers * growth_rate
                if i != last:
                    width //= 2
                    self.features.add(_make_transition(width))
            self.features.add(nn.BatchNorm(), nn.Activation('relu'),
                              nn.AvgPool2D(pool_size=7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# num_layers: (stem channels, growth rate, dense layers per stage)
densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=default_ctx,
                 root=default_root, **kwargs):
    """DenseNet with ``num_layers`` (121, 161, 169, 201; KeyError
    otherwise, as MXNet); kwargs go to DenseNet. ``pretrained`` loads
    ``<root>/densenet<num_layers>-<hash>.params`` (MXNetError naming the
    file when absent)."""
    init, growth, config = densenet_spec[num_layers]
    net = DenseNet(init, growth, config, **kwargs)
    return load_pretrained(net, 'densenet%d' % num_layers, pretrained, ctx,
                           root)


def _named(num_layers):
    return named_constructor(
        __name__, 'densenet%d' % num_layers, get_densenet,
        'DenseNet-BC %d-layer model.' % num_layers, num_layers)


densenet121 = _named(121)
densenet161 = _named(161)
densenet169 = _named(169)
densenet201 = _named(201)
