"""Experimental contributions, as MXNet 1.9.1's mxnet.contrib:

* ndarray / nd, symbol / sym: the contrib operators (mx.nd.contrib's and
  mx.sym.contrib's functions);
* autograd: the first autograd API (train_section, grad_and_loss, ...);
* io: DataLoaderIter, a DataIter over a Gluon DataLoader;
* tensorboard: LogMetricsCallback;
* text: Vocabulary and token embeddings;
* onnx: ONNX import/export entry points (needing the onnx package);
* quantization / quant: int8 graph quantization and calibration.

As in MXNet, svrg_optimization is imported by name only
(``import mxnet.contrib.svrg_optimization``).
"""
from . import symbol
from . import ndarray

from . import symbol as sym
from . import ndarray as nd

from . import autograd
from . import tensorboard

from . import text
from . import onnx
from . import io
from . import quantization
from . import quantization as quant
