"""mx.nd.image: the registry's _image_* operators, named without the
prefix (MXNet's image.to_tensor is the operator _image_to_tensor).

kiln's registry has none yet, so the module is empty until they land.
"""
from .. import _op_gen

__all__ = _op_gen.populate(globals(), "image")
