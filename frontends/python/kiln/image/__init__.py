"""mx.image (also mx.img): image decoding, augmentation and the image data
iterators, laid out as MXNet 1.9.1's mxnet/image package:

    image      imread, imdecode, imresize, crops, the Augmenter classes,
               CreateAugmenter, ImageIter (all re-exported here)
    detection  (also det) the Det*Aug augmenters, CreateDetAugmenter,
               ImageDetIter (re-exported here)

Not to be confused with mx.nd.image (kiln/ndarray/image.py), the registry's
_image_* operators (to_tensor, normalize, resize, ...).
"""
from . import image
from .image import *  # noqa: F401,F403
from .image import _get_interp_method  # noqa: F401

from . import detection
from . import detection as det
from .detection import *  # noqa: F401,F403
