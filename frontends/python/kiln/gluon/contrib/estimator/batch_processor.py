"""``BatchProcessor``: how the Estimator trains and evaluates on one batch,
as MXNet 1.9.1's ``mxnet/gluon/contrib/estimator/batch_processor.py``.
Subclass it and override ``fit_batch``/``evaluate_batch`` to change the
step (several inputs, a custom loss call, ...)."""
from .... import autograd
from ...utils import split_and_load

__all__ = ['BatchProcessor']


def _split_batch(batch, ctx, batch_axis):
    """(data shards, label shards): ``batch[0]`` and ``batch[1]`` each
    split along ``batch_axis`` over the contexts ``ctx``
    (``gluon.utils.split_and_load``)."""
    data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
    label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
    return data, label


class BatchProcessor(object):
    """The Estimator's per-batch step.

    ``fit_batch`` runs ``estimator.net`` and ``estimator.loss`` on each
    shard under ``autograd.record()`` and back-propagates each loss (the
    trainer step is GradientUpdateHandler's, at batch end);
    ``evaluate_batch`` runs ``estimator.val_net`` and ``estimator.val_loss``
    without recording. Both return ``(data, label, pred, loss)``, lists of
    NDArrays with one entry per context of ``estimator.context``.
    """

    def __init__(self):
        pass

    def _get_data_and_label(self, batch, ctx, batch_axis=0):
        return _split_batch(batch, ctx, batch_axis)

    def evaluate_batch(self, estimator, val_batch, batch_axis=0):
        """Predictions and losses of ``estimator.val_net`` on
        ``val_batch`` (a (data, label) pair from the DataLoader), split
        along ``batch_axis`` (default 0) over the estimator's contexts."""
        data, label = self._get_data_and_label(val_batch, estimator.context,
                                               batch_axis)
        pred = [estimator.val_net(shard) for shard in data]
        loss = [estimator.val_loss(out, want) for out, want in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator, train_batch, batch_axis=0):
        """Forward and backward of ``estimator.net`` and ``estimator.loss``
        on ``train_batch`` (a (data, label) pair), split along
        ``batch_axis`` (default 0) over the estimator's contexts; the
        parameters' gradients are written, not applied."""
        data, label = self._get_data_and_label(train_batch, estimator.context,
                                               batch_axis)
        with autograd.record():
            pred = [estimator.net(shard) for shard in data]
            loss = [estimator.loss(out, want) for out, want in zip(pred, label)]
        for value in loss:
            value.backward()
        return data, label, pred, loss
