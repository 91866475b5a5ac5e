"""mx.gluon.data: datasets, samplers and the DataLoader, laid out as MXNet
1.9.1's mxnet/gluon/data package.

    dataset     Dataset, SimpleDataset, ArrayDataset, RecordFileDataset
    sampler     Sampler, SequentialSampler, RandomSampler, FilterSampler,
                BatchSampler, IntervalSampler (MXNet 1.9.1 has it in
                gluon.contrib.data)
    dataloader  DataLoader (worker processes: _workers, _transport)
    vision      MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolderDataset,
                ImageRecordDataset, and vision.transforms
"""
from .dataset import *  # noqa: F401,F403
from .sampler import *  # noqa: F401,F403
from .dataloader import *  # noqa: F401,F403
from . import dataset, sampler, dataloader  # noqa: F401
from . import vision  # noqa: F401
