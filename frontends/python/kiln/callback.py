"""mx.callback: training callbacks, as MXNet 1.9.1's mxnet/callback.py.

Batch-end callbacks (Speedometer, ProgressBar, log_train_metric,
LogValidationMetricsCallback) are called with a BatchEndParam; epoch-end
callbacks (do_checkpoint, module_checkpoint) with
(epoch, symbol, arg_params, aux_params). Everything is logged through the
root `logging` logger at INFO, with MXNet's format strings, so log parsers
written for MXNet read kiln's lines:

    Epoch[0] Batch [50-100]\tSpeed: 1910.41 samples/sec\taccuracy=0.200000

    mod.fit(train_iter, num_epoch=2,
            batch_end_callback=mx.callback.Speedometer(batch_size, 50),
            epoch_end_callback=mx.callback.do_checkpoint("mymodel"))
"""
import logging
import math
import time
from collections import namedtuple

__all__ = ["BatchEndParam", "Speedometer", "ProgressBar", "do_checkpoint",
           "module_checkpoint", "log_train_metric",
           "LogValidationMetricsCallback"]

# What batch-end callbacks receive: the epoch and batch numbers, the
# training metric (or None) and the caller's locals(). MXNet defines it in
# mxnet/model.py under the type name 'BatchEndParams'; kiln.model re-exports
# this one.
BatchEndParam = namedtuple('BatchEndParams',
                           ['epoch', 'nbatch', 'eval_metric', 'locals'])


def _every(period):
    """MXNet's period for epoch callbacks: an int, at least 1."""
    return int(max(1, period))


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """An epoch-end callback `f(iter_no, sym=None, arg=None, aux=None)` that
    calls mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    after every `period`-th epoch (iter_no counts from 0; period < 1 means
    1)."""
    period = _every(period)

    def _callback(iter_no, sym=None, arg=None, aux=None):  # pylint: disable=unused-argument
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def do_checkpoint(prefix, period=1):
    """An epoch-end callback `f(iter_no, sym, arg, aux)` that saves
    `prefix`-symbol.json and `prefix`-<iter_no + 1, 4 digits>.params with
    mx.model.save_checkpoint after every `period`-th epoch (period < 1
    means 1)."""
    period = _every(period)

    def _callback(iter_no, sym, arg, aux):
        if (iter_no + 1) % period == 0:
            # Imported here: kiln.model imports this module (BatchEndParam).
            from .model import save_checkpoint
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def log_train_metric(period, auto_reset=False):
    """A batch-end callback that logs 'Iter[<epoch>] Batch[<nbatch>]
    Train-<name>=<value>' for each value of param.eval_metric every
    `period` batches (when nbatch % period == 0), then, with `auto_reset`,
    clears the metric's local counters."""
    def _callback(param):
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info('Iter[%d] Batch[%d] Train-%s=%f',
                             param.epoch, param.nbatch, name, value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer(object):
    """A batch-end callback that logs the training speed and metric every
    `frequent` batches.

    The first call (and any call whose nbatch is below the previous one, a
    new epoch) only starts the clock; later calls with nbatch % frequent ==
    0 log `frequent * batch_size` samples over the time since the last log:

        Epoch[E] Batch [B-frequent-B]\\tSpeed: S samples/sec\\tname=value...
            (auto_reset: the window's metric, then reset_local())
        Epoch[E] Batch [0-B]\\tSpeed: S samples/sec\\tname=value...
            (auto_reset=False: the metric since the epoch began)
        Iter[E] Batch [B]\\tSpeed: S samples/sec      (no eval_metric)

    Parameters
    ----------
    batch_size : int
    frequent : int, default 50
    auto_reset : bool, default True
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param):
        count = param.nbatch
        if self.last_count > count:
            self.init = False
        self.last_count = count

        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        try:
            speed = self.frequent * self.batch_size / (time.time() - self.tic)
        except ZeroDivisionError:  # a coarse clock
            speed = float('inf')
        metric = param.eval_metric
        if metric is None:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec",
                         param.epoch, count, speed)
        else:
            name_value = metric.get_name_value()
            values = sum(name_value, ())
            pairs = '\t%s=%f' * len(name_value)
            if self.auto_reset:
                metric.reset_local()
                logging.info('Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec'
                             + pairs, param.epoch, count - self.frequent,
                             count, speed, *values)
            else:
                logging.info('Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec'
                             + pairs, param.epoch, count, speed, *values)
        self.tic = time.time()


class ProgressBar(object):
    """A batch-end callback that logs '[====----] P%' (P rounded up) for
    param.nbatch out of `total` batches, the bar `length` characters long
    (default 80)."""

    def __init__(self, total, length=80):
        self.bar_len = length
        self.total = total

    def __call__(self, param):
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = '=' * filled + '-' * (self.bar_len - filled)
        logging.info('[%s] %s%s\r', bar, percents, '%')


class LogValidationMetricsCallback(object):
    """An epoch-end-of-validation callback that logs
    'Epoch[<epoch>] Validation-<name>=<value>' for each value of
    param.eval_metric (nothing when it is None or falsy)."""

    def __call__(self, param):
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info('Epoch[%d] Validation-%s=%f', param.epoch, name,
                         value)

# MXNet's callback module exposes model.save_checkpoint (imported last:
# model imports this module).
from .model import save_checkpoint  # noqa: E402,F401
