"""mx.nd.image: the registry's _image_* operators, named without the
prefix (MXNet's image.to_tensor is the operator _image_to_tensor):
MXNet 1.9.1's fifteen image operators, defined in
frontends/cpp/ops/ImageOps.cpp (to_tensor, normalize, crop, resize, the
flips and random flips, the random colour ops, random_color_jitter,
adjust_lighting, random_lighting).
"""
from .. import _op_gen

__all__ = _op_gen.populate(globals(), "image")
