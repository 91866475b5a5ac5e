"""``Estimator``: a training loop over a Gluon net driven by event
handlers, as MXNet 1.9.1's ``mxnet/gluon/contrib/estimator/estimator.py``.

    est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                    train_metrics=mx.metric.Accuracy(), trainer=trainer)
    est.fit(train_loader, val_data=val_loader, epochs=5)
    est.evaluate(val_loader)

``fit`` adds MXNet's default handlers to those given (a StoppingHandler
always; a GradientUpdateHandler, MetricHandler, ValidationHandler (when
``val_data`` is given) and LoggingHandler unless one of the kind is
given), sorts them by priority and calls each event's handlers in that
order. Logs go to ``est.logger`` (a ``logging.Logger`` named 'Estimator',
level INFO, writing to the ``sys.stdout`` of construction time).
"""
import copy
import logging
import sys
import warnings

from ...data import DataLoader
from ...loss import Loss as _GluonLoss
from ...trainer import Trainer
from ...utils import split_and_load
from ....context import Context, cpu, gpu, num_gpus
from ....metric import Loss as _LossMetric
from .batch_processor import BatchProcessor
from .event_handler import (BatchBegin, BatchEnd, EpochBegin, EpochEnd,
                            GradientUpdateHandler, LoggingHandler,
                            MetricHandler, StoppingHandler, TrainBegin,
                            TrainEnd, ValidationHandler,
                            _check_event_handlers)
from .utils import (_check_handler_metric_ref, _check_metrics,
                    _suggest_metric_for_loss)

__all__ = ['Estimator']

# The event mixins in the order of _categorize_handlers' result.
_EVENTS = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)


def _by_priority(handlers):
    """Sorts ``handlers`` in place by ``priority`` (default 0), stably."""
    handlers.sort(key=lambda handler: getattr(handler, 'priority', 0))
    return handlers


class Estimator(object):
    """Trains and evaluates ``net``.

    Parameters
    ----------
    net : gluon.Block
        The model trained.
    loss : gluon.loss.Loss
        The training objective; ValueError for anything else.
    train_metrics, val_metrics : EvalMetric or list of EvalMetric
        Default: Accuracy (for SoftmaxCrossEntropyLoss) and a
        ``metric.Loss`` named after the loss; the validation metrics
        default to copies of the training ones. Names get the prefix
        'training ' / 'validation ' (handlers tell them apart by it).
    initializer : Initializer, default None
        Initializes ``net`` when some parameter is not (the net's default
        otherwise); warns when the net is already fully initialized.
    trainer : gluon.Trainer, default None
        Default: SGD with learning rate 0.001, with a warning. ValueError
        for anything but a Trainer.
    context : Context or list of Context, default None
        Default cpu() (gpu(0) where GPUs exist). ValueError for other
        types; AssertionError for an unavailable GPU.
    val_net : gluon.Block, default ``net``
        The model evaluated.
    val_loss : gluon.loss.Loss, default ``loss``
    batch_processor : BatchProcessor, default BatchProcessor()
        Any object with callable ``fit_batch`` and ``evaluate_batch``;
        ValueError otherwise.
    """

    logger = None

    def __init__(self, net, loss, train_metrics=None, val_metrics=None,
                 initializer=None, trainer=None, context=None, val_net=None,
                 val_loss=None, batch_processor=None):
        self.net = net
        self.loss = self._check_loss(loss)
        self._train_metrics = _check_metrics(train_metrics)
        self._val_metrics = _check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self.loss if val_loss is None \
            else self._check_loss(val_loss)
        self.val_net = self.net if val_net is None else val_net

        self.logger = logging.Logger(name='Estimator', level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))

        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)

    # -- construction checks ---------------------------------------------
    def _check_loss(self, loss):
        if not isinstance(loss, _GluonLoss):
            raise ValueError("loss must be a Loss, "
                             "refer to gluon.loss.Loss:{}".format(loss))
        return loss

    def _check_context(self, context):
        available_gpus = [gpu(i) for i in range(num_gpus())]
        if not context:
            if len(available_gpus) > 1:
                warnings.warn("You have multiple GPUs, gpu(0) will be used by "
                              "default.To utilize all your GPUs, specify "
                              "context as a list of gpus, e.g. "
                              "context=[mx.gpu(0), mx.gpu(1)] ")
            return [gpu(0)] if available_gpus else [cpu()]
        if isinstance(context, Context):
            context = [context]
        elif not (isinstance(context, list)
                  and all(isinstance(c, Context) for c in context)):
            raise ValueError("context must be a Context or a list of Context, "
                             "for example mx.cpu() or [mx.gpu(0), mx.gpu(1)], "
                             "refer to mxnet.Context:{}".format(context))
        for ctx in context:
            assert ctx in available_gpus or str(ctx).startswith('cpu'), \
                "%s is not available, please make sure your context is in " \
                "one of: mx.cpu(), %s" % (
                    ctx, ", ".join(str(g) for g in available_gpus))
        return context

    def _check_batch_processor(self, batch_processor):
        if batch_processor is None:
            return BatchProcessor()
        if not (callable(getattr(batch_processor, 'fit_batch', None)) and
                callable(getattr(batch_processor, 'evaluate_batch', None))):
            raise ValueError('Customized Batch Processor must contain '
                             'fit_batch() and evaluate_batch() methods')
        return batch_processor

    def _initialize(self, initializer):
        if not self._is_initialized():
            # Parameters already initialized stay as they are.
            if initializer:
                self.net.initialize(init=initializer, ctx=self.context)
            else:
                self.net.initialize(ctx=self.context)
        elif initializer:
            warnings.warn("Network already fully initialized, skipping "
                          "initialization. You don't need to pass initializer "
                          "if you already initialized your net. You can use "
                          "net.initialize(init=your_initializer, "
                          "force_reinit=True)to force re-initialize.")

    def _check_trainer(self, trainer):
        if not trainer:
            warnings.warn("No trainer specified, default SGD optimizer with "
                          "learning rate 0.001 is used.")
            return Trainer(self.net.collect_params(), 'sgd',
                           {'learning_rate': 0.001})
        if not isinstance(trainer, Trainer):
            raise ValueError("Trainer must be a Gluon Trainer instance, refer "
                             "to gluon.Trainer:{}".format(trainer))
        return trainer

    def _is_initialized(self):
        """Whether every parameter of the net is initialized (or waits for
        its shape with a context)."""
        params = self.net.collect_params()
        for name in params:
            try:
                params[name].list_ctx()
            except RuntimeError:
                return False
        return True

    def _get_data_and_label(self, batch, ctx, batch_axis=0):
        data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
        label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
        return data, label

    def _add_default_training_metrics(self):
        if not self._train_metrics:
            suggested = _suggest_metric_for_loss(self.loss)
            if suggested:
                self._train_metrics = [suggested]
            self._train_metrics.append(
                _LossMetric(self.loss.name.rstrip('1234567890')))
        for metric in self._train_metrics:
            metric.name = 'training ' + metric.name

    def _add_validation_metrics(self):
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(metric)
                                 for metric in self._train_metrics]
        for metric in self._val_metrics:
            if 'training' in metric.name:
                metric.name = metric.name.replace('training', 'validation')
            else:
                metric.name = 'validation ' + metric.name

    @property
    def train_metrics(self):
        """The training metrics (list of EvalMetric, names 'training ...')."""
        return self._train_metrics

    @property
    def val_metrics(self):
        """The validation metrics (list, names 'validation ...')."""
        return self._val_metrics

    # -- loops -----------------------------------------------------------
    def evaluate(self, val_data, batch_axis=0, event_handlers=None):
        """One pass of ``val_net`` over ``val_data`` (a gluon DataLoader;
        ValueError otherwise), updating ``val_metrics``: epoch-begin,
        batch-begin/end and epoch-end handlers run around
        ``batch_processor.evaluate_batch``. A MetricHandler and a
        LoggingHandler of the validation metrics are added unless given."""
        if not isinstance(val_data, DataLoader):
            raise ValueError("Estimator only support input as Gluon "
                             "DataLoader. Alternatively, you can transform "
                             "your DataIter or any NDArray into Gluon "
                             "DataLoader. Refer to gluon.data.DataLoader")
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_default_validation_handlers(event_handlers)
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = \
            self._categorize_handlers(handlers)
        for handler in epoch_begin:
            handler.epoch_begin(self)
        for batch in val_data:
            self._run_batch(self.batch_processor.evaluate_batch, batch,
                            batch_axis, batch_begin, batch_end)
        for handler in epoch_end:
            handler.epoch_end(self)

    def fit(self, train_data, val_data=None, epochs=None, event_handlers=None,
            batches=None, batch_axis=0):
        """Trains on ``train_data`` (a gluon DataLoader; ValueError
        otherwise) for ``epochs`` epochs or ``batches`` batches (exactly
        one of them; ValueError otherwise), validating on ``val_data``
        each epoch when given. ``event_handlers`` (an EventHandler or a
        list, which gets the default handlers added) run around each
        ``batch_processor.fit_batch``; training stops when a batch-end or
        epoch-end handler returns True. Sets ``max_epoch``, ``max_batch``
        and ``batch_axis`` on the estimator."""
        if not isinstance(train_data, DataLoader):
            raise ValueError("Estimator only support input as Gluon "
                             "DataLoader. Alternatively, you can transform "
                             "your DataIter or any NDArray into Gluon "
                             "DataLoader. Refer to gluon.data.dataloader")
        if (not epochs) == (not batches):
            raise ValueError(
                "Fit only support exactly one type of iteration, train by "
                "number of epochs or number of batches.Please specify one "
                "and only one of: epochs or batches.")
        self.max_epoch = epochs
        self.max_batch = batches
        self.batch_axis = batch_axis

        handlers = self._prepare_default_handlers(val_data, event_handlers)
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, \
            train_end = self._categorize_handlers(handlers)

        for handler in train_begin:
            handler.train_begin(self)
        stop = False
        while not stop:
            for handler in epoch_begin:
                handler.epoch_begin(self)
            for batch in train_data:
                # Every handler runs before a stop request takes effect.
                if any(self._run_batch(self.batch_processor.fit_batch, batch,
                                       batch_axis, batch_begin, batch_end)):
                    break
            stop = any([handler.epoch_end(self) for handler in epoch_end])
        for handler in train_end:
            handler.train_end(self)

    def _run_batch(self, process, batch, batch_axis, batch_begin,
                   batch_end):
        """The batch-begin handlers, ``process(self, batch, batch_axis)``
        (a BatchProcessor's fit_batch or evaluate_batch), then the
        batch-end handlers given its label, pred and loss; returns what
        the batch-end handlers returned."""
        for handler in batch_begin:
            handler.batch_begin(self, batch=batch)
        _, label, pred, loss = process(self, batch, batch_axis)
        return [handler.batch_end(self, batch=batch, pred=pred, label=label,
                                  loss=loss) for handler in batch_end]

    # -- handlers --------------------------------------------------------
    def _check_mixed_handlers(self, handlers, added, known_metrics):
        """Adds the ``added`` defaults to ``handlers`` (in place); when
        the user gave handlers and defaults were added, every handler's
        metrics must be among ``known_metrics`` (ValueError)."""
        mixing = bool(handlers) and bool(added)
        handlers.extend(added)
        if mixing:
            for handler in handlers:
                _check_handler_metric_ref(handler, set(known_metrics))
        return _by_priority(handlers)

    def _prepare_default_handlers(self, val_data, event_handlers):
        handlers = _check_event_handlers(event_handlers)

        def missing(kind):
            return not any(isinstance(handler, kind) for handler in handlers)

        added = [StoppingHandler(self.max_epoch, self.max_batch)]
        if missing(GradientUpdateHandler):
            added.append(GradientUpdateHandler())
        if missing(MetricHandler):
            added.append(MetricHandler(metrics=self.train_metrics))
        if missing(ValidationHandler) and val_data:
            added.append(ValidationHandler(val_data=val_data,
                                           eval_fn=self.evaluate))
        if missing(LoggingHandler):
            added.append(LoggingHandler(metrics=self.train_metrics))
        return self._check_mixed_handlers(
            handlers, added, self.train_metrics + self.val_metrics)

    def _prepare_default_validation_handlers(self, event_handlers):
        handlers = _check_event_handlers(event_handlers)
        added = []
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.val_metrics))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.val_metrics))
        return self._check_mixed_handlers(handlers, added, self.val_metrics)

    def _categorize_handlers(self, event_handlers):
        """(train_begin, epoch_begin, batch_begin, batch_end, epoch_end,
        train_end): the handlers having each event's mixin, in order."""
        return tuple([handler for handler in event_handlers
                      if isinstance(handler, event)] for event in _EVENTS)
