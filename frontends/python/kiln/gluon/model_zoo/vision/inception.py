"""Inception v3, as MXNet 1.9.1's
``mxnet.gluon.model_zoo.vision.inception``.

Input ``(N, 3, H, W)`` float32, H and W at least 299 (the head's 8x8
average pooling needs the 8x8 map 299x299 inputs give); output
``(N, classes)``. Parameter names
(``inception30_A1_conv0_weight`` ...) and shapes are MXNet's, so its
``.params`` files load.

Reference: Szegedy et al., "Rethinking the Inception Architecture for
Computer Vision" (arXiv:1512.00567).
"""
from ...block import HybridBlock
from ... import nn
from ...contrib.nn import HybridConcurrent
from ._common import default_ctx, default_root, load_pretrained

__all__ = ['Inception3', 'inception_v3']

_SETTING_NAMES = ('channels', 'kernel_size', 'strides', 'padding')


def _make_basic_conv(**kwargs):
    """A bias-free convolution (kwargs: Conv2D's), BatchNorm (epsilon
    0.001), relu."""
    out = nn.HybridSequential(prefix='')
    out.add(nn.Conv2D(use_bias=False, **kwargs),
            nn.BatchNorm(epsilon=0.001), nn.Activation('relu'))
    return out


def _make_branch(use_pool, *conv_settings):
    """A branch: optional 3x3 pooling ('avg': stride 1, padding 1; 'max':
    stride 2), then one basic convolution per (channels, kernel_size,
    strides, padding) setting, None keeping Conv2D's default."""
    out = nn.HybridSequential(prefix='')
    if use_pool == 'avg':
        out.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif use_pool == 'max':
        out.add(nn.MaxPool2D(pool_size=3, strides=2))
    for setting in conv_settings:
        out.add(_make_basic_conv(**{
            key: value for key, value in zip(_SETTING_NAMES, setting)
            if value is not None}))
    return out


def _concurrent(prefix, *branches):
    """A HybridConcurrent ``prefix`` on the channels of ``branches``, each
    a (use_pool, *conv_settings) tuple or a function making a block; the
    branches are made in its name scope."""
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        for branch in branches:
            out.add(branch() if callable(branch) else _make_branch(*branch))
    return out


def _make_A(pool_features, prefix):
    return _concurrent(
        prefix,
        (None, (64, 1, None, None)),
        (None, (48, 1, None, None), (64, 5, None, 2)),
        (None, (64, 1, None, None), (96, 3, None, 1), (96, 3, None, 1)),
        ('avg', (pool_features, 1, None, None)))


def _make_B(prefix):
    return _concurrent(
        prefix,
        (None, (384, 3, 2, None)),
        (None, (64, 1, None, None), (96, 3, None, 1), (96, 3, 2, None)),
        ('max',))


def _make_C(channels_7x7, prefix):
    c = channels_7x7
    return _concurrent(
        prefix,
        (None, (192, 1, None, None)),
        (None, (c, 1, None, None), (c, (1, 7), None, (0, 3)),
         (192, (7, 1), None, (3, 0))),
        (None, (c, 1, None, None), (c, (7, 1), None, (3, 0)),
         (c, (1, 7), None, (0, 3)), (c, (7, 1), None, (3, 0)),
         (192, (1, 7), None, (0, 3))),
        ('avg', (192, 1, None, None)))


def _make_D(prefix):
    return _concurrent(
        prefix,
        (None, (192, 1, None, None), (320, 3, 2, None)),
        (None, (192, 1, None, None), (192, (1, 7), None, (0, 3)),
         (192, (7, 1), None, (3, 0)), (192, 3, 2, None)),
        ('max',))


def _split_3x3(*first):
    """A branch of block E: ``first`` convolutions, then 1x3 and 3x1
    (384 channels) side by side."""
    def make():
        out = nn.HybridSequential(prefix='')
        out.add(_make_branch(None, *first))
        split = HybridConcurrent(axis=1, prefix='')
        out.add(split)
        split.add(_make_branch(None, (384, (1, 3), None, (0, 1))))
        split.add(_make_branch(None, (384, (3, 1), None, (1, 0))))
        return out
    return make


def _make_E(prefix):
    return _concurrent(
        prefix,
        (None, (320, 1, None, None)),
        _split_3x3((384, 1, None, None)),
        _split_3x3((448, 1, None, None), (384, 3, None, 1)),
        ('avg', (192, 1, None, None)))


def make_aux(classes):
    """Inception v3's auxiliary classifier head (unused by Inception3, as
    in MXNet): 5x5/3 average pooling, two basic convolutions, flatten,
    Dense(classes)."""
    out = nn.HybridSequential(prefix='')
    out.add(nn.AvgPool2D(pool_size=5, strides=3),
            _make_basic_conv(channels=128, kernel_size=1),
            _make_basic_conv(channels=768, kernel_size=5),
            nn.Flatten(), nn.Dense(classes))
    return out


class Inception3(HybridBlock):
    """Inception v3: a stem of five basic convolutions and two max
    poolings, blocks A1-A3, B, C1-C4, D, E1-E2 (``A1_`` ... prefixes), 8x8
    average pooling, dropout 0.5, the Dense ``output``. classes : int
    (default 1000)."""

    def __init__(self, classes=1000, **kwargs):
        super(Inception3, self).__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            add = self.features.add
            add(_make_basic_conv(channels=32, kernel_size=3, strides=2))
            add(_make_basic_conv(channels=32, kernel_size=3))
            add(_make_basic_conv(channels=64, kernel_size=3, padding=1))
            add(nn.MaxPool2D(pool_size=3, strides=2))
            add(_make_basic_conv(channels=80, kernel_size=1))
            add(_make_basic_conv(channels=192, kernel_size=3))
            add(nn.MaxPool2D(pool_size=3, strides=2))
            add(_make_A(32, 'A1_'), _make_A(64, 'A2_'), _make_A(64, 'A3_'))
            add(_make_B('B_'))
            add(_make_C(128, 'C1_'), _make_C(160, 'C2_'),
                _make_C(160, 'C3_'), _make_C(192, 'C4_'))
            add(_make_D('D_'))
            add(_make_E('E1_'), _make_E('E2_'))
            add(nn.AvgPool2D(pool_size=8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def inception_v3(pretrained=False, ctx=default_ctx, root=default_root,
                 **kwargs):
    """Inception v3; kwargs go to Inception3 (classes). ``pretrained``
    loads ``<root>/inceptionv3-<hash>.params`` on ``ctx`` (MXNetError
    naming the file when absent; default root ``$MXNET_HOME/models``)."""
    return load_pretrained(Inception3(**kwargs), 'inceptionv3', pretrained,
                           ctx, root)
