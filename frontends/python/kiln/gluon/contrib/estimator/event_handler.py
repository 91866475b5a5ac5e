"""The Estimator's event handlers, as MXNet 1.9.1's
``mxnet/gluon/contrib/estimator/event_handler.py``.

A handler subclasses the mixins of the events it wants: ``TrainBegin``
(``train_begin``), ``EpochBegin``, ``BatchBegin``, ``BatchEnd``,
``EpochEnd``, ``TrainEnd``. Each method gets the estimator and, at batch
end, ``batch``, ``pred``, ``label`` and ``loss`` as keywords; a truthy
return from ``batch_end``/``epoch_end`` stops the epoch/the training. The
estimator calls handlers in ascending ``priority`` (default 0; ties keep
their order): GradientUpdateHandler -2000, MetricHandler and
ValidationHandler -1000, LoggingHandler last (inf).

Checkpoint files are MXNet's: ``<prefix>-epoch<E>batch<B>.params`` and
``.states`` (net parameters, trainer states), ``<prefix>-best.*`` and
``<prefix>-symbol.json``. Where MXNet 1.9.1 has quirks its users see
(``mode='auto'`` always compares with ``greater``; the verbose
"improved from" line prints the new best twice) kiln keeps them, so
logs and stopping points are the same.
"""
import os
import time
import warnings

import numpy as np

from ....metric import CompositeEvalMetric, EvalMetric
from ....metric import Loss as _LossMetric
from .utils import _check_metrics

__all__ = ['TrainBegin', 'TrainEnd', 'EpochBegin', 'EpochEnd', 'BatchBegin',
           'BatchEnd', 'StoppingHandler', 'MetricHandler',
           'ValidationHandler', 'LoggingHandler', 'CheckpointHandler',
           'EarlyStoppingHandler', 'GradientUpdateHandler']


class EventHandler(object):
    """The base of every event mixin."""


def _check_event_handlers(handlers):
    """``handlers`` as a list: one handler gives ``[handler]``, None
    ``[]``; a list is returned itself (the estimator adds its default
    handlers to it, as MXNet). ValueError for anything but EventHandlers."""
    if isinstance(handlers, EventHandler):
        return [handlers]
    handlers = handlers or []
    if not all(isinstance(handler, EventHandler) for handler in handlers):
        raise ValueError("handlers must be an EventHandler or a list of "
                         "EventHandler, got: {}".format(handlers))
    return handlers


class TrainBegin(EventHandler):
    """Called once before the first epoch."""

    def train_begin(self, estimator, *args, **kwargs):
        pass


class TrainEnd(EventHandler):
    """Called once after the last epoch."""

    def train_end(self, estimator, *args, **kwargs):
        pass


class EpochBegin(EventHandler):
    """Called before each epoch (and before each evaluation pass)."""

    def epoch_begin(self, estimator, *args, **kwargs):
        pass


class EpochEnd(EventHandler):
    """Called after each epoch; returning True stops the training."""

    def epoch_end(self, estimator, *args, **kwargs):
        return False


class BatchBegin(EventHandler):
    """Called before each batch with ``batch=``."""

    def batch_begin(self, estimator, *args, **kwargs):
        pass


class BatchEnd(EventHandler):
    """Called after each batch with ``batch``, ``pred``, ``label``,
    ``loss``; returning True ends the epoch."""

    def batch_end(self, estimator, *args, **kwargs):
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops after ``max_epoch`` epochs or ``max_batch`` batches (both
    default None; train_begin takes the estimator's ``max_epoch`` and
    ``max_batch``, which ``fit`` sets from ``epochs``/``batches``). The
    estimator adds one to every ``fit``."""

    def __init__(self, max_epoch=None, max_batch=None):
        self.max_epoch = max_epoch
        self.max_batch = max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.max_epoch = estimator.max_epoch
        self.max_batch = estimator.max_batch
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.current_batch == self.max_batch:
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.current_epoch == self.max_epoch:
            self.stop_training = True
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Resets ``metrics`` (an EvalMetric or a list of them) at epoch begin
    and updates them at batch end: ``metric.Loss`` instances with the
    batch's losses, the others with (label, pred). ``priority`` default
    -1000, so metrics are current before other handlers read them."""

    def __init__(self, metrics, priority=-1000):
        self.metrics = _check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator, *args, **kwargs):
        pred, label, loss = kwargs['pred'], kwargs['label'], kwargs['loss']
        for metric in self.metrics:
            if isinstance(metric, _LossMetric):
                metric.update(0, loss)
            else:
                metric.update(label, pred)


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Runs ``eval_fn(val_data=, batch_axis=, event_handlers=)`` (by
    default the estimator's ``evaluate``) every ``epoch_period`` epochs
    (default 1; None or 0: never) and every ``batch_period`` batches
    (default None: never). ``priority`` default -1000; ``event_handlers``
    are passed on to ``eval_fn``."""

    def __init__(self, val_data, eval_fn, epoch_period=1, batch_period=None,
                 priority=-1000, event_handlers=None):
        self.val_data = val_data
        self.eval_fn = eval_fn
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.priority = priority
        self.event_handlers = event_handlers

    def _evaluate(self, estimator):
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis,
                     event_handlers=self.event_handlers)

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._evaluate(estimator)

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._evaluate(estimator)


def _metrics_text(metrics):
    """``name: value, name: value`` of each metric's get(), 4 decimals."""
    return ', '.join('%s: %.4f' % tuple(metric.get()) for metric in metrics)


def _with_metrics(message, metrics):
    """``message`` followed by the metrics' values, as MXNet's log lines
    (no trailing separator)."""
    return (message + _metrics_text(metrics)).rstrip(', ')


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin,
                     BatchEnd):
    """Logs the training to ``estimator.logger`` in MXNet's format.

    ``log_interval``: 'epoch' (default) logs at each epoch's begin and end;
    an int k also logs every k-th batch (``[Epoch e][Batch b][Samples n]
    time/interval: ...``). ValueError for anything else. ``metrics`` (an
    EvalMetric or list) are the values logged; a handler whose metrics'
    names contain 'training' logs ``[Epoch e] Begin`` lines, else
    ``Validation Begin``. ``priority`` default inf (last).
    """

    def __init__(self, log_interval='epoch', metrics=None,
                 priority=float('inf')):
        super(LoggingHandler, self).__init__()
        if not isinstance(log_interval, int) and log_interval != 'epoch':
            raise ValueError("log_interval must be either an integer or "
                             "string 'epoch'")
        self.metrics = _check_metrics(metrics)
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.priority = priority
        self.log_interval = log_interval
        self.log_interval_time = 0

    def train_begin(self, estimator, *args, **kwargs):
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info("Training begin: using optimizer %s "
                              "with current learning rate %.4f ",
                              type(trainer.optimizer).__name__,
                              trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.current_epoch = 0
        self.batch_index = 0
        self.processed_samples = 0
        self.log_interval_time = 0

    def train_end(self, estimator, *args, **kwargs):
        elapsed = time.time() - self.train_start
        estimator.logger.info(_with_metrics(
            'Train finished using total %ds with %d epochs. '
            % (elapsed, self.current_epoch), self.metrics))

    def batch_begin(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            self.log_interval_time += time.time() - self.batch_start
            self.processed_samples += kwargs['batch'][0].shape[0]
            if self.batch_index % self.log_interval == 0:
                message = '[Epoch %d][Batch %d][Samples %s] ' % (
                    self.current_epoch, self.batch_index,
                    self.processed_samples)
                message += 'time/interval: %.3fs ' % self.log_interval_time
                self.log_interval_time = 0
                estimator.logger.info(_with_metrics(message, self.metrics))
        self.batch_index += 1

    def epoch_begin(self, estimator, *args, **kwargs):
        self.epoch_start = time.time()
        if any('training' in metric.name for metric in self.metrics):
            estimator.logger.info("[Epoch %d] Begin, current learning rate: "
                                  "%.4f", self.current_epoch,
                                  estimator.trainer.learning_rate)
        else:
            estimator.logger.info("Validation Begin")

    def epoch_end(self, estimator, *args, **kwargs):
        elapsed = time.time() - self.epoch_start
        estimator.logger.info(_with_metrics(
            '[Epoch %d] Finished in %.3fs, ' % (self.current_epoch, elapsed),
            self.metrics))
        self.current_epoch += 1
        self.batch_index = 0


def _improvement_op(mode, monitor, owner):
    """np.less ('min') or np.greater ('max', and 'auto', with MXNet's
    warning) to compare a new monitored value with the best so far. An
    unknown mode warns (RuntimeWarning, naming ``owner``) and falls back
    to 'auto'. MXNet 1.9.1 means 'auto' to choose by the metric's name but
    its test is always true, so 'auto' is 'max' there and here."""
    if mode not in ('auto', 'min', 'max'):
        warnings.warn('%s mode %s is unknown, fallback to auto mode. '
                      'CheckpointHandler will usemax mode for f1 and accuracy '
                      'metric comparison and use min mode other wise'
                      % (owner, mode), RuntimeWarning)
        mode = 'auto'
    if mode == 'min':
        return np.less
    if mode == 'auto':
        warnings.warn("`greater` operator will be used to determine if {} has "
                      "improved. Please specify `mode='min'` to use the "
                      "`less` operator. Specify `mode='max' to disable this "
                      "warning.`".format(monitor.get()[0]))
    return np.greater


def _worst(op):
    """The starting best value for comparisons with ``op``."""
    return np.inf if op is np.less else -np.inf


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Saves the net's parameters and the trainer's states.

    Parameters
    ----------
    model_dir : str
        Folder of the checkpoint files (created if missing).
    model_prefix : str, default 'model'
        Files are ``<model_prefix>-epoch<E>batch<B>.params``/``.states``,
        ``<model_prefix>-best.params``/``.states`` and, after the first
        batch of a hybridized net, ``<model_prefix>-symbol.json``.
    monitor : EvalMetric, default None
        The metric deciding the best model (needed by ``save_best``).
    verbose : int, default 0
        1 logs every save.
    save_best : bool, default False
        Also keep the parameters with the best monitored value;
        ValueError when ``monitor`` is no EvalMetric.
    mode : {'auto', 'min', 'max'}, default 'auto'
        How a value improves (see ``_improvement_op``).
    epoch_period : int, default 1; batch_period : int, default None
        Save every so many epochs / batches (None or 0: never).
    max_checkpoints : int, default 5
        Older epoch/batch checkpoints of this run are deleted beyond this
        many (the best one is not counted).
    resume_from_checkpoint : bool, default False
        At train begin, load the latest checkpoint in ``model_dir`` and
        train only the remaining epochs or batches. AssertionError when the
        periods do not match how ``fit`` counts (epochs needs only
        ``epoch_period``, batches only ``batch_period``); ValueError when
        the checkpoint already reached the end.
    """

    def __init__(self, model_dir, model_prefix='model', monitor=None,
                 verbose=0, save_best=False, mode='auto', epoch_period=1,
                 batch_period=None, max_checkpoints=5,
                 resume_from_checkpoint=False):
        self.monitor = monitor
        self.verbose = verbose
        if not os.path.exists(model_dir):
            os.makedirs(model_dir)
        self.model_dir = model_dir
        self.model_prefix = model_prefix
        self.save_best = save_best
        if self.save_best and not isinstance(self.monitor, EvalMetric):
            raise ValueError("To save best model only, please provide one of "
                             "the metric objects from estimator.train_metrics "
                             "and estimator.val_metrics as monitor.")
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = resume_from_checkpoint
        self.saved_checkpoints = []
        if self.save_best:
            self.monitor_op = _improvement_op(mode, monitor, 'ModelCheckpoint')
            self.best = _worst(self.monitor_op)

    def train_begin(self, estimator, *args, **kwargs):
        self.current_epoch = 0
        self.current_batch = 0
        if self.save_best:
            self.best = _worst(self.monitor_op)
        if self.resume_from_checkpoint:
            wrong_period = (
                "To use resume from checkpoint, you must only specify the "
                "same type of period you used for training.For example, if "
                "you are training based on number of epochs,you must save "
                "only based on epochs, and set batch_period to None.")
            if estimator.max_batch:
                assert self.batch_period, wrong_period
                assert not self.epoch_period, wrong_period
            if estimator.max_epoch:
                assert self.epoch_period, wrong_period
                assert not self.batch_period, wrong_period
            self._resume_from_checkpoint(estimator)

    def batch_end(self, estimator, *args, **kwargs):
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator, *args, **kwargs):
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    def _checkpoint_numbers(self, estimator):
        """(epoch, batch) numbers of the checkpoint saved now: this run's
        counters, continued from the resumed checkpoint's."""
        if not self.resume_from_checkpoint:
            return self.current_epoch, self.current_batch
        epoch = self.current_epoch + self.trained_epoch + 1
        batch = self.current_batch + self.trained_batch
        if not estimator.max_epoch:
            # Saved at batch end, before current_batch counts this batch.
            batch += 1
        return epoch, batch

    def _save_checkpoint(self, estimator):
        prefix = "%s-epoch%dbatch%d" % ((self.model_prefix,)
                                        + self._checkpoint_numbers(estimator))
        self._save_params_and_trainer(estimator, prefix)
        if self.verbose > 0:
            estimator.logger.info('[Epoch %d] CheckpointHandler: trained total '
                                  '%d batches, saving model at %s with '
                                  'prefix: %s', self.current_epoch,
                                  self.current_batch + 1, self.model_dir,
                                  prefix)
        if self.save_best:
            self._save_if_best(estimator)

    def _save_if_best(self, estimator):
        name, value = self.monitor.get()
        if np.isnan(value):
            warnings.warn(RuntimeWarning(
                'Skipping save best because %s is not updated, make sure you '
                'pass one of the metric objects estimator.train_metrics and '
                'estimator.val_metrics as monitor', name))
            return
        if self.monitor_op(value, self.best):
            prefix = self.model_prefix + '-best'
            self._save_params_and_trainer(estimator, prefix)
            self.best = value
            if self.verbose > 0:
                # MXNet logs after updating best: "from" shows the new value.
                estimator.logger.info('[Epoch %d] CheckpointHandler: %s '
                                      'improved from %0.5f to %0.5f, updating '
                                      'best model at %s with prefix: %s',
                                      self.current_epoch, name, self.best,
                                      value, self.model_dir, prefix)
        elif self.verbose > 0:
            # MXNet prints the batch counter as the epoch here.
            estimator.logger.info('[Epoch %d] CheckpointHandler: %s did not '
                                  'improve from %0.5f, skipping updating best '
                                  'model', self.current_batch, name, self.best)

    def _save_symbol(self, estimator):
        symbol_file = os.path.join(self.model_dir,
                                   self.model_prefix + '-symbol.json')
        graph = getattr(estimator.net, '_cached_graph', None)
        if graph:
            graph[1].save(symbol_file)
        else:
            estimator.logger.info(
                "Model architecture(symbol file) is not saved, please use "
                "HybridBlock to construct your model, and call "
                "net.hybridize() before passing to Estimator in order to "
                "save model architecture as %s.", symbol_file)

    def _save_params_and_trainer(self, estimator, file_prefix):
        base = os.path.join(self.model_dir, file_prefix)
        estimator.net.save_parameters(base + '.params')
        estimator.trainer.save_states(base + '.states')
        if 'best' not in file_prefix:
            self.saved_checkpoints.append(file_prefix)
        if len(self.saved_checkpoints) > self.max_checkpoints:
            # As MXNet: every file starting with the oldest prefix goes.
            oldest = self.saved_checkpoints.pop(0)
            for fname in os.listdir(self.model_dir):
                if fname.startswith(oldest):
                    os.remove(os.path.join(self.model_dir, fname))

    def _resume_from_checkpoint(self, estimator):
        prefix = self.model_prefix + '-epoch'
        self.trained_epoch = self._find_max_iteration(
            dir=self.model_dir, prefix=prefix, start='epoch', end='batch',
            saved_checkpoints=self.saved_checkpoints)
        self.trained_batch = self._find_max_iteration(
            dir=self.model_dir, prefix=prefix + str(self.trained_epoch),
            start='batch', end='.params')
        if self.trained_epoch == -1:
            message = ("CheckpointHandler: No checkpoint found, training from "
                       "scratch for ")
            if estimator.max_batch:
                message += "%d batches" % estimator.max_batch
            else:
                message += "%d epochs" % estimator.max_epoch
            estimator.logger.info(message)
            return
        message = ("CheckpointHandler: Checkpoint resumed from epoch %d batch "
                   "%d, continue to train for "
                   % (self.trained_epoch, self.trained_batch))
        if estimator.max_epoch:
            if self.trained_epoch >= estimator.max_epoch - 1:
                raise ValueError(
                    "Found checkpoint with maximum number of epoch %d reached, "
                    "please specify resume_from_checkpoint=False (default "
                    "value) if you wan to train from scratch."
                    % estimator.max_epoch)
            estimator.max_epoch -= self.trained_epoch + 1
            message += "%d epochs " % estimator.max_epoch
        if estimator.max_batch:
            if self.trained_batch >= estimator.max_batch - 1:
                raise ValueError(
                    "Found checkpoint with maximum number of batch %d reached, "
                    "please specifyresume_from_checkpoint=False (default "
                    "value) if you wan to train from scratch."
                    % self.trained_batch)
            estimator.max_batch -= self.trained_batch + 1
            message += "%d batches " % estimator.max_batch
        base = os.path.join(self.model_dir, "%s-epoch%dbatch%d" % (
            self.model_prefix, self.trained_epoch, self.trained_batch))
        for suffix in ('.params', '.states'):
            assert os.path.exists(base + suffix), \
                "Failed to load checkpoint, %s does not exist" % (base + suffix)
        estimator.net.load_parameters(base + '.params', ctx=estimator.context)
        estimator.trainer.load_states(base + '.states')
        estimator.logger.warning(message)

    def _find_max_iteration(self, dir, prefix, start, end,  # pylint: disable=redefined-builtin
                            saved_checkpoints=None):
        """The largest number between ``start`` and ``end`` in the names of
        ``dir``'s .params files starting with ``prefix``; -1 when none.
        ValueError when such a name holds no number there. A non-empty
        ``saved_checkpoints`` list gets the prefixes found (MXNet passes
        an empty one, so resumed runs never delete older files)."""
        max_iter = -1
        for fname in os.listdir(dir):
            if not (fname.startswith(prefix) and '.params' in fname):
                continue
            if saved_checkpoints:
                saved_checkpoints.append(fname[:fname.find('.params')])
            try:
                number = int(fname[fname.find(start) + len(start):
                                   fname.find(end)])
            except ValueError:
                raise ValueError(
                    "Error parsing checkpoint file, please check your "
                    "checkpoints have the format: {model_name}-epoch"
                    "{epoch_number}batch{batch_number}.params, there should "
                    "also be a .states file for each .params file ")
            max_iter = max(max_iter, number)
        return max_iter


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops the training when ``monitor`` stops improving.

    Parameters
    ----------
    monitor : EvalMetric
        A metric of the estimator (not a CompositeEvalMetric); ValueError
        otherwise.
    min_delta : float, default 0
        The least change that counts as an improvement.
    patience : int, default 0
        Epochs without improvement before stopping.
    mode : {'auto', 'min', 'max'}, default 'auto'
        How a value improves (see ``_improvement_op``).
    baseline : float, default None
        The value to improve on (default: the worst possible).
    """

    def __init__(self, monitor, min_delta=0, patience=0, mode='auto',
                 baseline=None):
        super(EarlyStoppingHandler, self).__init__()
        if not isinstance(monitor, EvalMetric):
            raise ValueError(
                "Please provide one of the metric objects from "
                "estimator.train_metrics and estimator.val_metrics as "
                "monitor.")
        if isinstance(monitor, CompositeEvalMetric):
            raise ValueError("CompositeEvalMetric is not supported for "
                             "EarlyStoppingHandler, please specify a simple "
                             "metric instead.")
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.monitor_op = _improvement_op(mode, monitor, 'EarlyStopping')
        # Subtracted from each value: improvements must beat min_delta.
        self.min_delta = min_delta if self.monitor_op is np.greater \
            else -min_delta

    def train_begin(self, estimator, *args, **kwargs):
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.best = self.baseline if self.baseline is not None \
            else _worst(self.monitor_op)

    def epoch_end(self, estimator, *args, **kwargs):
        name, value = self.monitor.get()
        if np.isnan(value):
            warnings.warn(RuntimeWarning(
                '%s is not updated, make sure you pass one of the metric '
                'objects fromestimator.train_metrics and '
                'estimator.val_metrics as monitor.', name))
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = self.current_epoch
                self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator, *args, **kwargs):
        if self.stopped_epoch > 0:
            estimator.logger.info('[Epoch %d] EarlyStoppingHanlder: early '
                                  'stopping due to %s not improving',
                                  self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """Applies the gradients at batch end: ``trainer.step(n)`` with n the
    samples of the batch's losses (the sum of their first extents).
    ``priority`` default -2000: before every other handler."""

    def __init__(self, priority=-2000):
        self.priority = priority

    def batch_end(self, estimator, *args, **kwargs):
        loss = kwargs['loss']
        losses = loss if isinstance(loss, list) else [loss]
        estimator.trainer.step(sum(value.shape[0] for value in losses))
