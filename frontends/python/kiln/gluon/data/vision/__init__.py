"""mx.gluon.data.vision: the vision datasets (datasets) and image
transforms (transforms), as MXNet 1.9.1's mxnet/gluon/data/vision."""
from .datasets import *  # noqa: F401,F403
from . import datasets  # noqa: F401
from . import transforms  # noqa: F401
