"""MXNet 1.9.1's ``mxnet/gluon/contrib/data/sampler.py``: IntervalSampler,
which kiln keeps in ``gluon.data.sampler``."""
from ...data.sampler import IntervalSampler

__all__ = ['IntervalSampler']
