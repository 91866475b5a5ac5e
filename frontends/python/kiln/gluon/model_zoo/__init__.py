"""``mx.gluon.model_zoo``: MXNet 1.9.1's predefined vision models.

    from mxnet.gluon.model_zoo import vision
    net = vision.resnet18_v1(classes=10)         # random weights
    net = vision.get_model('resnet50_v2', pretrained=True,
                           root='~/.mxnet/models')  # MXNet's .params file

Laid out as MXNet's ``mxnet.gluon.model_zoo``: ``model_store`` (where the
pretrained parameter files live) and ``vision`` (the model definitions and
``get_model``). Parameter names and shapes equal MXNet's, so MXNet's own
``.params`` files load. kiln never downloads: a missing pretrained file is an
MXNetError saying which file to put where.
"""
from . import model_store
from . import vision
