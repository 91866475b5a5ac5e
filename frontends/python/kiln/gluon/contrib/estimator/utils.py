"""Metric checks the Estimator and its event handlers share, as MXNet
1.9.1's ``mxnet/gluon/contrib/estimator/utils.py``."""
from ...loss import SoftmaxCrossEntropyLoss
from ....metric import Accuracy, CompositeEvalMetric, EvalMetric


def _check_metrics(metrics):
    """``metrics`` as a list of EvalMetric: None gives ``[]``, one metric
    ``[metric]``, a CompositeEvalMetric its leaves (recursively), a list is
    kept (the same object). ValueError when anything else is given."""
    if isinstance(metrics, CompositeEvalMetric):
        leaves = []
        for child in metrics.metrics:
            leaves.extend(_check_metrics(child))
        return leaves
    if isinstance(metrics, EvalMetric):
        return [metrics]
    metrics = metrics or []
    if not all(isinstance(metric, EvalMetric) for metric in metrics):
        raise ValueError("metrics must be a Metric or a list of Metric, "
                         "refer to mxnet.metric.EvalMetric: {}".format(metrics))
    return metrics


def _check_metric_known(handler, metric, known_metrics):
    """ValueError when ``metric`` is none of ``known_metrics`` (the
    estimator's training and validation metrics)."""
    if metric not in known_metrics:
        raise ValueError(
            'Event handler {} refers to a metric instance {} outside of '
            'the known training and validation metrics. Please use the '
            'metrics from estimator.train_metrics and estimator.val_metrics '
            'instead.'.format(type(handler).__name__, metric))


def _check_handler_metric_ref(handler, known_metrics):
    """Checks every truthy attribute of ``handler`` whose name contains
    'metric' (a metric or a list of them) against ``known_metrics``.

    MXNet 1.9.1 means to check 'monitor' attributes as well but its test
    (``['metric' or 'monitor']``) keeps only 'metric'; kiln checks what
    MXNet checks, so a CheckpointHandler or EarlyStoppingHandler monitoring
    an outside metric is accepted as there."""
    for attribute in dir(handler):
        if 'metric' not in attribute:
            continue
        reference = getattr(handler, attribute)
        if not reference:
            continue
        for metric in reference if isinstance(reference, list) else [reference]:
            _check_metric_known(handler, metric, known_metrics)


def _suggest_metric_for_loss(loss):
    """Accuracy() for a SoftmaxCrossEntropyLoss, else None."""
    if isinstance(loss, SoftmaxCrossEntropyLoss):
        return Accuracy()
    return None
