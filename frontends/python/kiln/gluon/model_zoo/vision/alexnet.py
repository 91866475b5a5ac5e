"""AlexNet, as MXNet 1.9.1's ``mxnet.gluon.model_zoo.vision.alexnet``.

Input ``(N, 3, H, W)`` float32, H and W at least 63 (the first Dense
layer's input size is inferred at the first call; the pretrained weights
expect 224x224); output ``(N, classes)``. Parameter names and shapes
are MXNet's, so its ``.params`` files load.

Reference: Krizhevsky, "One weird trick for parallelizing convolutional
neural networks" (arXiv:1404.5997).
"""
from ...block import HybridBlock
from ... import nn
from ._common import default_ctx, default_root, load_pretrained

__all__ = ['AlexNet', 'alexnet']


class AlexNet(HybridBlock):
    """AlexNet: five relu convolutions (11x11/4, 5x5, three 3x3) with
    three 3x3/2 max poolings, two Dense(4096, relu) with dropout 0.5, the
    Dense ``output``. classes : int (default 1000)."""

    def __init__(self, classes=1000, **kwargs):
        super(AlexNet, self).__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                add = self.features.add
                add(nn.Conv2D(64, kernel_size=11, strides=4, padding=2,
                              activation='relu'))
                add(nn.MaxPool2D(pool_size=3, strides=2))
                add(nn.Conv2D(192, kernel_size=5, padding=2,
                              activation='relu'))
                add(nn.MaxPool2D(pool_size=3, strides=2))
                for channels in (384, 256, 256):
                    add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                  activation='relu'))
                add(nn.MaxPool2D(pool_size=3, strides=2))
                add(nn.Flatten())
                for _ in range(2):
                    add(nn.Dense(4096, activation='relu'))
                    add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def alexnet(pretrained=False, ctx=default_ctx, root=default_root, **kwargs):
    """AlexNet; kwargs go to AlexNet (classes). ``pretrained`` loads
    ``<root>/alexnet-<hash>.params`` on ``ctx`` (MXNetError naming the
    file when absent; default root ``$MXNET_HOME/models``)."""
    return load_pretrained(AlexNet(**kwargs), 'alexnet', pretrained, ctx,
                           root)
