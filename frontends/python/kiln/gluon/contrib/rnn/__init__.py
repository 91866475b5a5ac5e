"""MXNet 1.9.1's ``mxnet.gluon.contrib.rnn`` (Conv1D/2D/3D RNN, LSTM and
GRU cells, VariationalDropoutCell, LSTMPCell, dynamic_unroll): not built
in kiln; importing it raises ImportError saying so."""
raise ImportError(
    "kiln.gluon.contrib.rnn (Conv1D/2D/3DRNNCell, Conv1D/2D/3DLSTMCell, "
    "Conv1D/2D/3DGRUCell, VariationalDropoutCell, LSTMPCell) is not built "
    "yet: it needs the recurrent cells of gluon.rnn")
