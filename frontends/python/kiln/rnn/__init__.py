"""mx.rnn: MXNet 1.9.1's legacy symbolic recurrent networks (mxnet.rnn),
not Gluon's (mx.gluon.rnn, a different package).

    rnn_cell  cells that unroll into mx.sym graphs (LSTMCell, FusedRNNCell,
              BidirectionalCell, ConvLSTMCell, ...)
    rnn       checkpoints with the cells' weights unpacked per gate
    io        encode_sentences and BucketSentenceIter for bucketing
"""
from . import rnn_cell
from .rnn_cell import *  # noqa: F401,F403
from . import rnn
from .rnn import *  # noqa: F401,F403
from . import io
from .io import *  # noqa: F401,F403

__all__ = rnn_cell.__all__ + rnn.__all__ + io.__all__ + [
    "rnn_cell", "rnn", "io"]

# mx.rnn.save_checkpoint / load_checkpoint, as MXNet's rnn package has them.
from ..model import save_checkpoint, load_checkpoint  # noqa: E402,F401
