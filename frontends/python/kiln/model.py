"""mx.model: checkpoints on disk, as MXNet 1.9.1's mxnet/model.py.

A checkpoint is two files: ``prefix-symbol.json`` (the network, written by
Symbol.save) and ``prefix-%04d.params`` (mx.nd.save of a dict whose keys are
``arg:<name>`` for the arguments and ``aux:<name>`` for the auxiliary
states). Files written here load in Apache MXNet and the other way round.

    mx.model.save_checkpoint("mlp", 3, net, arg_params, aux_params)
    net, arg_params, aux_params = mx.model.load_checkpoint("mlp", 3)

FeedForward, MXNet's deprecated estimator, is in _feedforward.py (on
mx.mod.Module); prefer Module.
"""
import logging

from . import ndarray as _nd
from .callback import BatchEndParam  # MXNet defines it here; one object
from .context import cpu

# FeedForward is a scikit-learn estimator where scikit-learn is installed,
# as MXNet's is.
try:
    from sklearn.base import BaseEstimator as BASE_ESTIMATOR
    SKLEARN_INSTALLED = True
except ImportError:
    BASE_ESTIMATOR = object
    SKLEARN_INSTALLED = False

__all__ = ["BatchEndParam", "FeedForward", "save_checkpoint",
           "load_checkpoint", "load_params"]


def _params_file(prefix, epoch):
    """MXNet's parameter file name: prefix-0003.params for epoch 3."""
    return "%s-%04d.params" % (prefix, epoch)


def _params_dict(arg_params, aux_params):
    """{'arg:name': array, 'aux:name': array} on the CPU, what .params
    files hold."""
    saved = {"arg:" + name: value.as_in_context(cpu())
             for name, value in arg_params.items()}
    saved.update({"aux:" + name: value.as_in_context(cpu())
                  for name, value in aux_params.items()})
    return saved


def _split_params(saved):
    """(arg_params, aux_params) from a loaded .params dict. Keys with
    another prefix are skipped; a key without ':' raises ValueError (as
    MXNet's unpacking does)."""
    arg_params, aux_params = {}, {}
    for key, value in saved.items():
        kind, name = key.split(":", 1)
        if kind == "arg":
            arg_params[name] = value
        elif kind == "aux":
            aux_params[name] = value
    return arg_params, aux_params


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params,
                    remove_amp_cast=True):
    """Writes `prefix`-symbol.json (unless `symbol` is None) and
    `prefix`-<epoch, 4 digits>.params.

    Parameters
    ----------
    prefix : str
    epoch : int
    symbol : Symbol or None
    arg_params, aux_params : dict of str -> NDArray
        Saved as ``arg:<name>`` / ``aux:<name>``, copied to the CPU.
    remove_amp_cast : bool, default True
        Passed to Symbol.save (drops amp_cast/amp_multicast nodes).
    """
    if symbol is not None:
        symbol.save("%s-symbol.json" % prefix, remove_amp_cast=remove_amp_cast)
    param_name = _params_file(prefix, epoch)
    _nd.save(param_name, _params_dict(arg_params, aux_params))
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix, epoch):
    """(arg_params, aux_params), dicts of name -> NDArray, from
    `prefix`-<epoch, 4 digits>.params (an empty file logs a warning and
    gives two empty dicts). MXNetError when the file is missing."""
    param_name = _params_file(prefix, epoch)
    saved = _nd.load(param_name)
    if not saved:
        logging.warning("Params file '%s' is empty", param_name)
        return {}, {}
    return _split_params(saved)


def load_checkpoint(prefix, epoch):
    """(symbol, arg_params, aux_params) from `prefix`-symbol.json and
    `prefix`-<epoch, 4 digits>.params, as save_checkpoint wrote them."""
    from . import symbol as _sym  # the symbolic API imports model's users
    symbol = _sym.load("%s-symbol.json" % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


# last: _feedforward uses the checkpoint functions above
from ._feedforward import FeedForward  # noqa: E402
