"""Checkpoints of models built from legacy RNN cells, as MXNet 1.9.1's
mxnet/rnn/rnn.py: parameters are saved unpacked (one array per gate, so a
FusedRNNCell's checkpoint loads into its unfused cells and back) and
packed again on loading.

    mx.rnn.save_rnn_checkpoint(cell, 'lm', 3, net, arg_params, aux_params)
    net, arg_params, aux_params = mx.rnn.load_rnn_checkpoint(cell, 'lm', 3)
"""
import warnings

from ..model import load_checkpoint, save_checkpoint
from .rnn_cell import BaseRNNCell

__all__ = ["rnn_unroll", "save_rnn_checkpoint", "load_rnn_checkpoint",
           "do_rnn_checkpoint"]


def _as_list(cells):
    return [cells] if isinstance(cells, BaseRNNCell) else cells


def rnn_unroll(cell, length, inputs=None, begin_state=None, input_prefix="",
               layout="NTC"):
    """Deprecated (warns): cell.unroll(length, inputs, begin_state,
    layout=layout); `input_prefix` is ignored."""
    warnings.warn("rnn_unroll is deprecated. Please call cell.unroll "
                  "directly.")
    return cell.unroll(length=length, inputs=inputs, begin_state=begin_state,
                       layout=layout)


def save_rnn_checkpoint(cells, prefix, epoch, symbol, arg_params,
                        aux_params):
    """mx.model.save_checkpoint (``prefix-symbol.json``,
    ``prefix-<epoch:04d>.params``) after each cell of `cells` (a cell or a
    list) unpacks its weights in `arg_params` (not changed itself)."""
    for cell in _as_list(cells):
        arg_params = cell.unpack_weights(arg_params)
    save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def load_rnn_checkpoint(cells, prefix, epoch):
    """(symbol, arg_params, aux_params) of mx.model.load_checkpoint, with
    the weights of each cell of `cells` packed again."""
    symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
    for cell in _as_list(cells):
        arg_params = cell.pack_weights(arg_params)
    return symbol, arg_params, aux_params


def do_rnn_checkpoint(cells, prefix, period=1):
    """An epoch-end callback for Module.fit, (epoch, symbol, arg_params,
    aux_params) -> None, that saves an RNN checkpoint for epoch + 1 every
    `period` epochs (period below 1 counts as 1)."""
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            save_rnn_checkpoint(cells, prefix, iter_no + 1, sym, arg, aux)
    return _callback
