"""MXNet 1.9.1's contrib operators that kiln implements in Python, on the
host with numpy, registered with kiln/_python_ops.py (which gives them
mx.nd.contrib / mx.sym.contrib functions, symbol nodes, Executor and
hybridize support, JSON and autograd).

They live in a package of their own, not in kiln/ndarray, because each
registration serves both layers (mx.nd and mx.sym) and the graph
machinery; one module per family of MXNet's sources:

    bounding_box  box_iou, box_nms (box_non_maximum_suppression),
                  bipartite_matching, box_encode, box_decode
    multibox      MultiBoxPrior, MultiBoxTarget, MultiBoxDetection
    roi           ROIAlign, PSROIPooling

Importing the package registers them (kiln/ndarray/contrib.py does).
"""
from . import bounding_box, multibox, roi  # noqa: F401
from . import signal, hawkes, composed, quantization  # noqa: F401
from . import proposal, rotated_roi, deformable_psroi  # noqa: F401
from . import deformable_conv  # noqa: F401

__all__ = []
