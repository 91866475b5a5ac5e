"""``mx.gluon.model_zoo.vision``: MXNet 1.9.1's predefined image
classification models, by constructor or by name::

    from mxnet.gluon.model_zoo import vision
    net = vision.resnet18_v1(classes=10)          # random weights
    net = vision.get_model('mobilenet0.25', pretrained=True)

AlexNet, DenseNet (121/161/169/201), Inception v3, ResNet v1 and v2
(18/34/50/101/152), SqueezeNet 1.0/1.1, VGG 11/13/16/19 with and without
BatchNorm, MobileNet v1 and v2 (width 1.0/0.75/0.5/0.25). Every
constructor takes ``pretrained`` (default False), ``ctx`` (default cpu())
and ``root`` (default ``$MXNET_HOME/models``) and passes other keywords
(``classes`` ...) to the model class. Pretrained models expect RGB images
``(N, 3, H, W)`` scaled to [0, 1] and normalized with mean (0.485, 0.456,
0.406) and std (0.229, 0.224, 0.225), H and W 224 (299 for Inception v3).
"""
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403

# get_model's names, each a constructor above.
_models = {
    'resnet18_v1': resnet18_v1, 'resnet34_v1': resnet34_v1,
    'resnet50_v1': resnet50_v1, 'resnet101_v1': resnet101_v1,
    'resnet152_v1': resnet152_v1,
    'resnet18_v2': resnet18_v2, 'resnet34_v2': resnet34_v2,
    'resnet50_v2': resnet50_v2, 'resnet101_v2': resnet101_v2,
    'resnet152_v2': resnet152_v2,
    'vgg11': vgg11, 'vgg13': vgg13, 'vgg16': vgg16, 'vgg19': vgg19,
    'vgg11_bn': vgg11_bn, 'vgg13_bn': vgg13_bn, 'vgg16_bn': vgg16_bn,
    'vgg19_bn': vgg19_bn,
    'alexnet': alexnet,
    'densenet121': densenet121, 'densenet161': densenet161,
    'densenet169': densenet169, 'densenet201': densenet201,
    'squeezenet1.0': squeezenet1_0, 'squeezenet1.1': squeezenet1_1,
    'inceptionv3': inception_v3,
    'mobilenet1.0': mobilenet1_0, 'mobilenet0.75': mobilenet0_75,
    'mobilenet0.5': mobilenet0_5, 'mobilenet0.25': mobilenet0_25,
    'mobilenetv2_1.0': mobilenet_v2_1_0,
    'mobilenetv2_0.75': mobilenet_v2_0_75,
    'mobilenetv2_0.5': mobilenet_v2_0_5,
    'mobilenetv2_0.25': mobilenet_v2_0_25,
}


def get_model(name, **kwargs):
    """The model called ``name`` (case-insensitive: 'resnet18_v1',
    'mobilenetv2_0.25', 'squeezenet1.1', 'inceptionv3' ...), built with
    ``kwargs`` (pretrained, ctx, root, classes ...). ValueError listing
    the available names (MXNet's message) for an unknown one."""
    name = name.lower()
    if name not in _models:
        raise ValueError(
            'Model %s is not supported. Available options are\n\t%s' % (
                name, '\n\t'.join(sorted(_models))))
    return _models[name](**kwargs)
