"""``mx.gluon.rnn``: recurrent cells and layers, as MXNet 1.9.1's
``mxnet.gluon.rnn`` (the same names). kiln also exports
``VariationalDropoutCell`` and ``LSTMPCell`` here; MXNet keeps those in
``gluon.contrib.rnn`` (``contrib_rnn_cell`` is where that package takes
them from)."""
from .rnn_cell import *  # noqa: F401,F403
from .rnn_layer import *  # noqa: F401,F403
from .contrib_rnn_cell import VariationalDropoutCell, LSTMPCell  # noqa: F401
