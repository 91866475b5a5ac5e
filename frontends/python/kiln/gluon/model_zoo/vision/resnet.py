"""ResNet v1 and v2 (18, 34, 50, 101, 152 layers), as MXNet 1.9.1's
``mxnet.gluon.model_zoo.vision.resnet``.

Input ``(N, 3, H, W)`` float32 (224x224 for the pretrained weights; any
size from 32x32 works, the head averages globally); output ``(N, classes)``
logits. The blocks are built in MXNet's order and name scopes, so the
parameter names (``resnetv10_stage1_conv0_weight`` ...) and the structural
names ``save_parameters`` writes (``features.4.0.body.0.weight`` ...) are
MXNet's and its ``.params`` files load.

References: He et al., "Deep Residual Learning for Image Recognition"
(v1, arXiv:1512.03385) and "Identity Mappings in Deep Residual Networks"
(v2, arXiv:1603.05027).
"""
from ...block import HybridBlock
from ... import nn
from ._common import (default_ctx, default_root, load_pretrained,
                      named_constructor)

__all__ = ['ResNetV1', 'ResNetV2',
           'BasicBlockV1', 'BasicBlockV2',
           'BottleneckV1', 'BottleneckV2',
           'resnet18_v1', 'resnet34_v1', 'resnet50_v1', 'resnet101_v1',
           'resnet152_v1',
           'resnet18_v2', 'resnet34_v2', 'resnet50_v2', 'resnet101_v2',
           'resnet152_v2',
           'get_resnet']


def _conv3x3(channels, stride, in_channels):
    """A 3x3 convolution without bias, padding 1."""
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1,
                     use_bias=False, in_channels=in_channels)


def _projection(channels, stride, in_channels, batch_norm):
    """The 1x1 strided convolution of a residual branch that changes
    shape, followed by BatchNorm in v1 (a HybridSequential then)."""
    conv = nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                     in_channels=in_channels)
    if not batch_norm:
        return conv
    branch = nn.HybridSequential(prefix='')
    branch.add(conv)
    branch.add(nn.BatchNorm())
    return branch


# The layers of v1 and v2 blocks are created in the scope of the enclosing
# block (the stage), not their own, as in MXNet: their names count on in
# the stage (stage1_conv0_, stage1_conv1_ ...), which the files depend on.

class BasicBlockV1(HybridBlock):
    """ResNet v1's two-convolution residual block (18 and 34 layers):
    ``relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))``.

    channels : int, output channels. stride : int, of the first
    convolution. downsample : bool (default False), project the shortcut
    with a 1x1 convolution and BatchNorm (needed when the shape changes).
    in_channels : int (default 0, inferred at the first call).
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0,
                 **kwargs):
        super(BasicBlockV1, self).__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(_conv3x3(channels, stride, in_channels),
                      nn.BatchNorm(), nn.Activation('relu'),
                      _conv3x3(channels, 1, channels), nn.BatchNorm())
        self.downsample = (_projection(channels, stride, in_channels, True)
                           if downsample else None)

    def hybrid_forward(self, F, x):
        shortcut = self.downsample(x) if self.downsample else x
        return F.Activation(shortcut + self.body(x), act_type='relu')


class BottleneckV1(HybridBlock):
    """ResNet v1's bottleneck block (50, 101, 152 layers): 1x1 (strided)
    to ``channels // 4``, 3x3, 1x1 to ``channels``, each with BatchNorm,
    added to the shortcut, then relu. Arguments as BasicBlockV1."""

    def __init__(self, channels, stride, downsample=False, in_channels=0,
                 **kwargs):
        super(BottleneckV1, self).__init__(**kwargs)
        narrow = channels // 4
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.Conv2D(narrow, kernel_size=1, strides=stride),
                      nn.BatchNorm(), nn.Activation('relu'),
                      _conv3x3(narrow, 1, narrow),
                      nn.BatchNorm(), nn.Activation('relu'),
                      nn.Conv2D(channels, kernel_size=1, strides=1),
                      nn.BatchNorm())
        self.downsample = (_projection(channels, stride, in_channels, True)
                           if downsample else None)

    def hybrid_forward(self, F, x):
        shortcut = self.downsample(x) if self.downsample else x
        return F.Activation(self.body(x) + shortcut, act_type='relu')


class _PreActivation(HybridBlock):
    """What the v2 (pre-activation) blocks share: ``bn_k`` then relu before
    each convolution ``conv_k``, the shortcut projected (1x1, no
    BatchNorm) from the first activation when ``downsample``."""

    def _add_downsample(self, downsample, channels, stride, in_channels):
        self.downsample = (_projection(channels, stride, in_channels, False)
                           if downsample else None)

    def hybrid_forward(self, F, x):
        shortcut = x
        convs = [getattr(self, 'conv%d' % k) for k in (1, 2, 3)
                 if hasattr(self, 'conv%d' % k)]
        for k, conv in enumerate(convs, 1):
            x = F.Activation(getattr(self, 'bn%d' % k)(x), act_type='relu')
            if k == 1 and self.downsample:
                shortcut = self.downsample(x)
            x = conv(x)
        return x + shortcut


class BasicBlockV2(_PreActivation):
    """ResNet v2's two-convolution residual block (18 and 34 layers):
    bn, relu, conv3x3 (strided), bn, relu, conv3x3, plus the shortcut.
    Arguments as BasicBlockV1."""

    def __init__(self, channels, stride, downsample=False, in_channels=0,
                 **kwargs):
        super(BasicBlockV2, self).__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self._add_downsample(downsample, channels, stride, in_channels)


class BottleneckV2(_PreActivation):
    """ResNet v2's bottleneck block (50, 101, 152 layers): pre-activated
    1x1 to ``channels // 4``, 3x3 (strided), 1x1 to ``channels``, plus the
    shortcut. Arguments as BasicBlockV1."""

    def __init__(self, channels, stride, downsample=False, in_channels=0,
                 **kwargs):
        super(BottleneckV2, self).__init__(**kwargs)
        narrow = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(narrow, kernel_size=1, strides=1,
                               use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(narrow, stride, narrow)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1,
                               use_bias=False)
        self._add_downsample(downsample, channels, stride, in_channels)


class _ResNet(HybridBlock):
    """What ResNetV1 and ResNetV2 share: ``features`` (stem, stages
    ``stage1_`` ..., global pooling) then the Dense ``output``; v2
    (``pre_activation``) adds a parameter-free BatchNorm on the input and
    BatchNorm, relu before the pooling."""

    def __init__(self, block, layers, channels, classes, thumbnail,
                 pre_activation, **kwargs):
        super(_ResNet, self).__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if pre_activation:
                self.features.add(nn.BatchNorm(scale=False, center=False))
            self._stem(channels[0], thumbnail)
            for i, count in enumerate(layers):
                self.features.add(self._make_layer(
                    block, count, channels[i + 1], 1 if i == 0 else 2, i + 1,
                    in_channels=channels[i]))
            if pre_activation:
                self.features.add(nn.BatchNorm(), nn.Activation('relu'))
            self.features.add(nn.GlobalAvgPool2D())
            if pre_activation:
                self.features.add(nn.Flatten())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def _stem(self, channels, thumbnail):
        """A 3x3 convolution for small inputs (``thumbnail``), else
        ImageNet's 7x7/2 convolution, BatchNorm, relu and 3x3/2 max
        pooling."""
        if thumbnail:
            self.features.add(_conv3x3(channels, 1, 0))
            return
        self.features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False),
                          nn.BatchNorm(), nn.Activation('relu'),
                          nn.MaxPool2D(3, 2, 1))

    def _make_layer(self, block, layers, channels, stride, stage_index,
                    in_channels=0):
        """Stage ``stage_index``: ``layers`` blocks, the first strided and
        projecting when the channel count changes."""
        stage = nn.HybridSequential(prefix='stage%d_' % stage_index)
        with stage.name_scope():
            stage.add(block(channels, stride, channels != in_channels,
                            in_channels=in_channels, prefix=''))
            for _ in range(layers - 1):
                stage.add(block(channels, 1, False, in_channels=channels,
                                prefix=''))
        return stage

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV1(_ResNet):
    """ResNet v1: post-activation residual blocks.

    block : BasicBlockV1 or BottleneckV1. layers : list of int, blocks per
    stage. channels : list of int, the stem's channels then each stage's
    (one longer than layers; AssertionError otherwise). classes : int
    (default 1000). thumbnail : bool (default False), a 3x3 stem for small
    images such as CIFAR's 32x32.
    """

    def __init__(self, block, layers, channels, classes=1000,
                 thumbnail=False, **kwargs):
        super(ResNetV1, self).__init__(block, layers, channels, classes,
                                       thumbnail, False, **kwargs)


class ResNetV2(_ResNet):
    """ResNet v2: pre-activation residual blocks, a parameter-free
    BatchNorm on the input, BatchNorm and relu before the pooling.
    Arguments as ResNetV1 (block: BasicBlockV2 or BottleneckV2)."""

    def __init__(self, block, layers, channels, classes=1000,
                 thumbnail=False, **kwargs):
        super(ResNetV2, self).__init__(block, layers, channels, classes,
                                       thumbnail, True, **kwargs)


# num_layers: (block kind, blocks per stage, stem and stage channels)
resnet_spec = {18: ('basic_block', [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ('basic_block', [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ('bottle_neck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ('bottle_neck', [3, 4, 23, 3],
                     [64, 256, 512, 1024, 2048]),
               152: ('bottle_neck', [3, 8, 36, 3],
                     [64, 256, 512, 1024, 2048])}

resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [
    {'basic_block': BasicBlockV1, 'bottle_neck': BottleneckV1},
    {'basic_block': BasicBlockV2, 'bottle_neck': BottleneckV2}]


def get_resnet(version, num_layers, pretrained=False, ctx=default_ctx,
               root=default_root, **kwargs):
    """ResNet ``version`` (1 or 2) with ``num_layers`` (18, 34, 50, 101,
    152); kwargs go to ResNetV1/V2 (classes, thumbnail, prefix).
    ``pretrained`` loads ``<root>/resnet<num_layers>_v<version>-<hash>.params``
    on ``ctx`` (MXNetError naming the file when absent). AssertionError
    with MXNet's message for another depth or version."""
    assert num_layers in resnet_spec, \
        "Invalid number of layers: %d. Options are %s" % (
            num_layers, str(resnet_spec.keys()))
    kind, layers, channels = resnet_spec[num_layers]
    assert 1 <= version <= 2, \
        "Invalid resnet version: %d. Options are 1 and 2." % version
    net = resnet_net_versions[version - 1](
        resnet_block_versions[version - 1][kind], layers, channels, **kwargs)
    return load_pretrained(net, 'resnet%d_v%d' % (num_layers, version),
                           pretrained, ctx, root)


def _named(version, num_layers):
    return named_constructor(
        __name__, 'resnet%d_v%d' % (num_layers, version), get_resnet,
        'ResNet-%d V%d model (get_resnet(%d, %d, **kwargs)).'
        % (num_layers, version, version, num_layers), version, num_layers)


resnet18_v1 = _named(1, 18)
resnet34_v1 = _named(1, 34)
resnet50_v1 = _named(1, 50)
resnet101_v1 = _named(1, 101)
resnet152_v1 = _named(1, 152)
resnet18_v2 = _named(2, 18)
resnet34_v2 = _named(2, 34)
resnet50_v2 = _named(2, 50)
resnet101_v2 = _named(2, 101)
resnet152_v2 = _named(2, 152)
