"""mx.metric: online evaluation metrics, as MXNet 1.9.1's mxnet/metric.py.

A metric accumulates over mini-batches: `update(labels, preds)` adds a batch
(lists of arrays, one label per prediction, or single arrays), `get()`
returns `(name, value)` (lists of both for CompositeEvalMetric), NaN while
nothing was added. Each metric keeps two sets of counters: the local ones
(`sum_metric`, `num_inst`), which `reset_local()` clears (Speedometer does
after each log line), and the global ones (`global_sum_metric`,
`global_num_inst`), which only `reset()` clears; `get_global()` reads them.

    acc = mx.metric.create('acc')
    acc.update([mx.nd.array([0, 1, 1])],
               [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    acc.get()        # ('accuracy', 0.6666666666666666)

Metrics are registered by lower-cased class name and aliases ('acc',
'top_k_accuracy', 'ce', 'nll_loss', 'pearsonr', 'composite', ...) for
`create`, which also takes a list (CompositeEvalMetric), a function
(CustomMetric), a metric (returned as is), a `get_config()` dict or its
JSON string.

Inputs are kiln NDArrays, as in MXNet; numpy arrays are accepted wherever
an NDArray is (a kiln extension: MXNet fails on them with AttributeError or
an AssertionError of its argmax). Anything else raises TypeError. The
arithmetic is MXNet's, step for step (NDArray ops where MXNet uses them,
numpy on the same dtypes elsewhere), so values agree with MXNet 1.9.1's,
MXNet's quirks included: TopKAccuracy with 1-D predictions leaves the
global sum untouched, CompositeEvalMetric.get_metric returns (not raises)
a ValueError for a bad index, F1/MCC/PearsonCorrelation configs omit
`average`.

Errors follow MXNet: ValueError when the numbers (or shapes) of labels and
predictions differ ("Shape of labels 2 does not match shape of predictions
3"), AssertionError for MXNet's asserts (Perplexity's "shape mismatch",
TopKAccuracy's top_k <= 1 and > 2-D predictions, unregistered names).
"""
import math
from collections import OrderedDict

import numpy

from . import ndarray
from . import registry
from .base import numeric_types, string_types
from .ndarray import NDArray

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy",
           "F1", "MCC", "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy",
           "NegativeLogLikelihood", "PearsonCorrelation", "PCC", "Loss",
           "Torch", "Caffe", "CustomMetric", "np", "create", "register",
           "alias", "check_label_shapes"]


def _as_numpy(array):
    """The values of an NDArray (read back) or a numpy array (as is)."""
    if isinstance(array, NDArray):
        return array.asnumpy()
    if isinstance(array, numpy.ndarray):
        return array
    raise TypeError("metric inputs must be NDArray or numpy.ndarray, got %s"
                    % type(array).__name__)


def _as_ndarray(array):
    """An NDArray of `array`'s values and dtype (numpy arrays are copied)."""
    if isinstance(array, NDArray):
        return array
    if isinstance(array, numpy.ndarray):
        return ndarray.array(array, dtype=array.dtype)
    raise TypeError("metric inputs must be NDArray or numpy.ndarray, got %s"
                    % type(array).__name__)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Checks that labels and predictions agree; returns them.

    Compares `len(labels)` with `len(preds)` (or, with `shape=True`, their
    `.shape`) and raises ValueError("Shape of labels X does not match shape
    of predictions Y") when they differ. With `wrap=True`, a single array
    (NDArray or numpy array) is returned wrapped in a list, so callers can
    iterate over (label, pred) pairs.
    """
    if shape:
        label_shape, pred_shape = labels.shape, preds.shape
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError("Shape of labels {} does not match shape of "
                         "predictions {}".format(label_shape, pred_shape))
    if wrap:
        if isinstance(labels, (NDArray, numpy.ndarray)):
            labels = [labels]
        if isinstance(preds, (NDArray, numpy.ndarray)):
            preds = [preds]
    return labels, preds


def _as_pairs(names, values):
    """(name, value) pairs from get()'s result, one value or lists."""
    if not isinstance(names, list):
        names = [names]
    if not isinstance(values, list):
        values = [values]
    return list(zip(names, values))


class EvalMetric(object):
    """Base class of the metrics: counters, config and the get* readers.

    Parameters
    ----------
    name : str
        Name shown by get() (str() of it is kept).
    output_names, label_names : list of str or None
        Which entries of the dicts given to update_dict to use (all, in
        order, by default).
    **kwargs
        Constructor arguments of the subclass, returned by get_config();
        `has_global_stats` (default False) is taken out of them: whether
        get_global() reads separate global counters or equals get().

    Subclasses implement update(labels, preds).
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return "EvalMetric: {}".format(dict(self.get_name_value()))

    def get_config(self):
        """The metric's constructor arguments as a dict, with 'metric' (the
        class name), 'name', 'output_names' and 'label_names', such that
        create(**config) (or create(config)) builds an equal metric."""
        config = self._kwargs.copy()
        config.update({'metric': self.__class__.__name__,
                       'name': self.name,
                       'output_names': self.output_names,
                       'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """update() with the values of name -> array dicts, restricted to
        label_names / output_names (in their order) where those are set;
        a missing name raises KeyError."""
        if self.output_names is None:
            pred = list(pred.values())
        else:
            pred = [pred[name] for name in self.output_names]
        if self.label_names is None:
            label = list(label.values())
        else:
            label = [label[name] for name in self.label_names]
        self.update(label, pred)

    def update(self, labels, preds):
        """Adds a batch: `labels` and `preds`, lists of arrays (or one
        array each)."""
        raise NotImplementedError()

    def reset(self):
        """Clears the local and the global counters."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clears the local counters only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """(name, sum_metric / num_inst) of the local counters; the value
        is NaN when num_inst is 0."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        """As get(), from the global counters (get() itself for a metric
        without global statistics)."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.global_sum_metric / self.global_num_inst)

    def get_name_value(self):
        """get() as a list of (name, value) tuples."""
        return _as_pairs(*self.get())

    def get_global_name_value(self):
        """get_global() as a list of (name, value) tuples."""
        if not self._has_global_stats:
            return self.get_name_value()
        return _as_pairs(*self.get_global())


# pylint: disable=invalid-name
register = registry.get_register_func(EvalMetric, 'metric')
alias = registry.get_alias_func(EvalMetric, 'metric')
_create = registry.get_create_func(EvalMetric, 'metric')
# pylint: enable=invalid-name


def create(metric, *args, **kwargs):
    """Builds a metric from a description.

    `metric` is one of: a registered name ('acc', 'f1', 'rmse', ...; case
    does not matter), built with *args and **kwargs; a callable
    `feval(label, pred)`, wrapped in CustomMetric(feval, *args, **kwargs);
    a list of any of these, giving a CompositeEvalMetric of each built with
    *args and **kwargs; an EvalMetric, returned as is (AssertionError with
    other arguments); a get_config() dict or its JSON string.

        mx.metric.create('acc')
        mx.metric.create('top_k_accuracy', top_k=5)
        mx.metric.create([mx.metric.F1(), 'mse', my_function])
    """
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return _create(metric, *args, **kwargs)


@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; get() concatenates their names and
    values into two lists.

    Parameters
    ----------
    metrics : list or None
        Child metrics, each anything create() takes.
    name : str, default 'composite'
    output_names, label_names : list of str or None
        Filter the dicts update_dict passes on to the children.
    """

    def __init__(self, metrics=None, name='composite', output_names=None,
                 label_names=None):
        super(CompositeEvalMetric, self).__init__(
            name, output_names=output_names, label_names=label_names,
            has_global_stats=True)
        self.metrics = [create(child) for child in (metrics or [])]

    def add(self, metric):
        """Appends a child metric (anything create() takes)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at `index`. An index out of range returns (as
        MXNet 1.9.1 does, rather than raising) a ValueError instance."""
        try:
            return self.metrics[index]
        except IndexError:
            return ValueError("Metric index {} is out of range 0 and {}"
                              .format(index, len(self.metrics)))

    def update_dict(self, labels, preds):  # pylint: disable=arguments-differ
        if self.label_names is not None:
            labels = OrderedDict([item for item in labels.items()
                                  if item[0] in self.label_names])
        if self.output_names is not None:
            preds = OrderedDict([item for item in preds.items()
                                 if item[0] in self.output_names])
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        """Updates every child with the same labels and predictions."""
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        # EvalMetric.__init__ calls reset() before self.metrics exists.
        for metric in getattr(self, 'metrics', []):
            metric.reset()

    def reset_local(self):
        for metric in getattr(self, 'metrics', []):
            metric.reset_local()

    @staticmethod
    def _concatenate(results):
        names, values = [], []
        for name, value in results:
            names.extend([name] if isinstance(name, string_types) else name)
            values.extend([value] if isinstance(value, numeric_types)
                          else value)
        return (names, values)

    def get(self):
        """([names], [values]) of the children's get(), in order."""
        return self._concatenate(metric.get() for metric in self.metrics)

    def get_global(self):
        """([names], [values]) of the children's get_global(), in order."""
        return self._concatenate(metric.get_global()
                                 for metric in self.metrics)

    def get_config(self):
        config = super(CompositeEvalMetric, self).get_config()
        config.update({'metrics': [metric.get_config()
                                   for metric in self.metrics]})
        return config


class _CountingMetric(EvalMetric):
    """A metric whose batches each add one amount to the sum and one count
    to the number of instances, locally and globally alike."""

    def _add(self, amount, count):
        self.sum_metric += amount
        self.global_sum_metric += amount
        self.num_inst += count
        self.global_num_inst += count


########################
# CLASSIFICATION METRICS
########################


@register
@alias('acc')
class Accuracy(_CountingMetric):
    """Fraction of predicted class indices equal to the labels.

    Predictions whose shape differs from the label's are class scores:
    their argmax over `axis` is the predicted class; otherwise they are
    class indices already. Both are cast to int32 and compared flattened
    (ValueError if their sizes differ). Counts one instance per label.

    Parameters
    ----------
    axis : int, default 1
        The class axis of the scores.
    name : str, default 'accuracy'
    output_names, label_names : list of str or None
    """

    def __init__(self, axis=1, name='accuracy', output_names=None,
                 label_names=None):
        super(Accuracy, self).__init__(
            name, axis=axis, output_names=output_names,
            label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if pred.shape != label.shape:
                if isinstance(pred, NDArray):
                    pred = ndarray.argmax(pred, axis=self.axis)
                else:
                    pred = numpy.argmax(pred, axis=self.axis)
            pred = _as_numpy(pred).astype('int32').ravel()
            label = _as_numpy(label).astype('int32').ravel()
            check_label_shapes(label, pred)
            self._add((pred == label).sum(), len(pred))


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(_CountingMetric):
    """Fraction of labels found among the `top_k` highest-scored classes.

    Predictions are (batch, classes) scores (or (batch,) for one class).
    The name is `name` + '_<top_k>'.

    Parameters
    ----------
    top_k : int, default 1
        Must be > 1 (AssertionError: use Accuracy).
    name : str, default 'top_k_accuracy'
    output_names, label_names : list of str or None

    Raises AssertionError for predictions of more than 2 dimensions and
    numpy's ValueError when top_k exceeds the number of classes.
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None,
                 label_names=None):
        super(TopKAccuracy, self).__init__(
            name, top_k=top_k, output_names=output_names,
            label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        assert self.top_k > 1, 'Please use Accuracy if top_k is no more than 1'
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            assert len(pred.shape) <= 2, \
                'Predictions should be no more than 2 dims'
            # The k largest land, unordered, in the last k columns; order
            # among them does not matter here (MXNet's choice, kept so that
            # ties resolve identically).
            ranked = numpy.argpartition(
                _as_numpy(pred).astype('float32'), -self.top_k)
            label = _as_numpy(label).astype('int32')
            check_label_shapes(label, ranked)
            label = label.ravel()
            if ranked.ndim == 1:
                # MXNet adds this case to the local sum only.
                self.sum_metric += (ranked == label).sum()
            else:
                num_classes = ranked.shape[1]
                for j in range(min(num_classes, self.top_k)):
                    hits = (ranked[:, num_classes - 1 - j] == label).sum()
                    self.sum_metric += hits
                    self.global_sum_metric += hits
            self.num_inst += ranked.shape[0]
            self.global_num_inst += ranked.shape[0]


def _ratio(numerator, denominator):
    return float(numerator) / denominator if denominator > 0 else 0.


class _BinaryClassificationMetrics(object):
    """True/false positive/negative counts of a binary classifier, local and
    global (the global ones survive local_reset_stats), with the precision,
    recall, F1 and Matthews coefficient derived from them. F1 and MCC hold
    one. Labels are 0/1 (ValueError for more than two distinct values);
    predictions are (batch, 2) scores, class 1 predicted where column 1
    holds the row's maximum."""

    def __init__(self):
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        """Adds the counts of one (label, pred) pair of arrays."""
        pred = _as_numpy(pred)
        label = _as_numpy(label).astype('int32')
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError("%s currently only supports binary "
                             "classification." % self.__class__.__name__)
        pred_true = (pred_label == 1)
        pred_false = 1 - pred_true
        label_true = (label == 1)
        label_false = 1 - label_true
        true_pos = (pred_true * label_true).sum()
        false_pos = (pred_true * label_false).sum()
        false_neg = (pred_false * label_true).sum()
        true_neg = (pred_false * label_false).sum()
        self.true_positives += true_pos
        self.global_true_positives += true_pos
        self.false_positives += false_pos
        self.global_false_positives += false_pos
        self.false_negatives += false_neg
        self.global_false_negatives += false_neg
        self.true_negatives += true_neg
        self.global_true_negatives += true_neg

    _KINDS = ('true_positives', 'false_positives', 'false_negatives',
              'true_negatives')

    def _counts(self, use_global):
        """(tp, fp, fn, tn), the local or the global ones."""
        prefix = 'global_' if use_global else ''
        return tuple(getattr(self, prefix + kind) for kind in self._KINDS)

    def _precision(self, use_global):
        true_pos, false_pos, _, _ = self._counts(use_global)
        return _ratio(true_pos, true_pos + false_pos)

    def _recall(self, use_global):
        true_pos, _, false_neg, _ = self._counts(use_global)
        return _ratio(true_pos, true_pos + false_neg)

    def _fscore(self, use_global):
        precision = self._precision(use_global)
        recall = self._recall(use_global)
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.

    precision = property(lambda self: self._precision(False))
    global_precision = property(lambda self: self._precision(True))
    recall = property(lambda self: self._recall(False))
    global_recall = property(lambda self: self._recall(True))
    fscore = property(lambda self: self._fscore(False))
    global_fscore = property(lambda self: self._fscore(True))
    total_examples = property(lambda self: sum(self._counts(False)))
    global_total_examples = property(lambda self: sum(self._counts(True)))

    def matthewscc(self, use_global=False):
        """The Matthews correlation coefficient of the local (or global)
        counts; 0 without examples. Zero factors of the denominator count
        as 1, as in MXNet."""
        if not sum(self._counts(use_global)):
            return 0.
        true_pos, false_pos, false_neg, true_neg = (
            float(count) for count in self._counts(use_global))
        denominator = 1.
        for term in (true_pos + false_pos, true_pos + false_neg,
                     true_neg + false_pos, true_neg + false_neg):
            if term != 0.:
                denominator *= term
        return ((true_pos * true_neg) - (false_pos * false_neg)) / \
            math.sqrt(denominator)

    def local_reset_stats(self):
        """Clears the local counts."""
        self.false_positives = 0
        self.false_negatives = 0
        self.true_positives = 0
        self.true_negatives = 0

    def reset_stats(self):
        """Clears the local and the global counts."""
        self.local_reset_stats()
        self.global_false_positives = 0
        self.global_false_negatives = 0
        self.global_true_positives = 0
        self.global_true_negatives = 0


class _BinaryCountMetric(EvalMetric):
    """F1 and MCC: a score of the binary counts, averaged per batch
    ('macro': each update adds the batch's score and one instance, then
    clears the counts) or of all counts so far ('micro': score * examples
    over examples)."""

    def __init__(self, name, output_names, label_names, average):
        self._average = average
        self._metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names,
                            label_names=label_names, has_global_stats=True)

    def _score(self, use_global):
        raise NotImplementedError()

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._metrics.update_binary_stats(label, pred)
        if self._average == "macro":
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            self._metrics.reset_stats()
        else:
            self.sum_metric = self._score(False) * self._metrics.total_examples
            self.global_sum_metric = (self._score(True) *
                                      self._metrics.global_total_examples)
            self.num_inst = self._metrics.total_examples
            self.global_num_inst = self._metrics.global_total_examples

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self._metrics.local_reset_stats()


@register
class F1(_BinaryCountMetric):
    """F1 score (harmonic mean of precision and recall) of a binary
    classifier; see _BinaryClassificationMetrics for the inputs.

    Parameters
    ----------
    name : str, default 'f1'
    output_names, label_names : list of str or None
    average : 'macro' (default) or 'micro'
        Mean of per-batch scores, or one score over all batches.
    """

    def __init__(self, name='f1', output_names=None, label_names=None,
                 average="macro"):
        super(F1, self).__init__(name, output_names, label_names, average)

    # MXNet names these two `average` and `metrics` on F1.
    average = property(lambda self: self._average)
    metrics = property(lambda self: self._metrics)

    def _score(self, use_global):
        return (self._metrics.global_fscore if use_global
                else self._metrics.fscore)

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        self._metrics.reset_stats()


@register
class MCC(_BinaryCountMetric):
    """Matthews correlation coefficient of a binary classifier (PCC is the
    multi-class one); see _BinaryClassificationMetrics for the inputs.

    Parameters
    ----------
    name : str, default 'mcc'
    output_names, label_names : list of str or None
    average : 'macro' (default) or 'micro'
        Mean of per-batch coefficients, or one over all batches.
    """

    def __init__(self, name='mcc', output_names=None, label_names=None,
                 average="macro"):
        super(MCC, self).__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self._metrics.matthewscc(use_global=use_global)

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self.global_sum_metric = 0.
        self.global_num_inst = 0.
        self._metrics.reset_stats()

    def reset_local(self):
        super(MCC, self).reset_local()
        self.num_inst = 0.


@register
class Perplexity(_CountingMetric):
    """exp of the mean negative log-probability of the labels.

    Predictions hold probabilities along `axis`; labels one class index per
    prediction row (label.size must equal pred.size / pred.shape[-1],
    AssertionError "shape mismatch: <label shape> vs. <pred shape>").
    Probabilities are clipped below at 1e-10. Computed with NDArray ops in
    the predictions' dtype, as MXNet does.

    Parameters
    ----------
    ignore_label : int or None (required)
        Labels equal to it are left out (None: none is).
    axis : int, default -1
    name : str, default 'perplexity'
    output_names, label_names : list of str or None
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity',
                 output_names=None, label_names=None):
        super(Perplexity, self).__init__(
            name, ignore_label=ignore_label, output_names=output_names,
            label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        assert len(labels) == len(preds)
        loss = 0.
        num = 0
        for label, pred in zip(labels, preds):
            label, pred = _as_ndarray(label), _as_ndarray(pred)
            assert label.size == pred.size / pred.shape[-1], \
                "shape mismatch: %s vs. %s" % (label.shape, pred.shape)
            label = label.as_in_context(pred.context).reshape((label.size,))
            pred = ndarray.pick(pred, label.astype(dtype='int32'),
                                axis=self.axis)
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(pred.dtype)
                num -= ndarray.sum(ignore).asscalar()
                pred = pred * (1 - ignore) + ignore
            loss -= ndarray.sum(
                ndarray.log(ndarray.maximum(1e-10, pred))).asscalar()
            num += pred.size
        self._add(loss, num)

    def get(self):
        """(name, exp(sum_metric / num_inst)); NaN when num_inst is 0."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        """As get(), from the global counters."""
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name,
                math.exp(self.global_sum_metric / self.global_num_inst))


####################
# REGRESSION METRICS
####################


class _RegressionMetric(_CountingMetric):
    """MAE, MSE, RMSE: per (label, pred) pair, the error of the values
    (1-D arrays taken as columns, then numpy broadcasting), one instance
    per pair; the value is the mean over pairs."""

    def __init__(self, name, output_names, label_names):
        super(_RegressionMetric, self).__init__(
            name, output_names=output_names, label_names=label_names,
            has_global_stats=True)

    @staticmethod
    def _error(label, pred):
        raise NotImplementedError()

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _as_numpy(label), _as_numpy(pred)
            if label.ndim == 1:
                label = label.reshape(label.shape[0], 1)
            if pred.ndim == 1:
                pred = pred.reshape(pred.shape[0], 1)
            self._add(self._error(label, pred), 1)


@register
class MAE(_RegressionMetric):
    """Mean absolute error, mean(|label - pred|) per batch, averaged over
    batches. name default 'mae'."""

    def __init__(self, name='mae', output_names=None, label_names=None):
        super(MAE, self).__init__(name, output_names, label_names)

    @staticmethod
    def _error(label, pred):
        return numpy.abs(label - pred).mean()


@register
class MSE(_RegressionMetric):
    """Mean squared error, mean((label - pred)**2) per batch, averaged over
    batches. name default 'mse'."""

    def __init__(self, name='mse', output_names=None, label_names=None):
        super(MSE, self).__init__(name, output_names, label_names)

    @staticmethod
    def _error(label, pred):
        return ((label - pred) ** 2.0).mean()


@register
class RMSE(_RegressionMetric):
    """Root mean squared error per batch, averaged over batches. name
    default 'rmse'."""

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super(RMSE, self).__init__(name, output_names, label_names)

    @staticmethod
    def _error(label, pred):
        return numpy.sqrt(((label - pred) ** 2.0).mean())


class _LogLikelihoodMetric(_CountingMetric):
    """CrossEntropy and NegativeLogLikelihood: the mean over samples of
    -log(p[label] + eps), p a (batch, classes) array of probabilities and
    label one class index per sample (AssertionError when the counts
    differ)."""

    def __init__(self, eps, name, output_names, label_names):
        super(_LogLikelihoodMetric, self).__init__(
            name, eps=eps, output_names=output_names,
            label_names=label_names, has_global_stats=True)
        self.eps = eps

    def _check(self, label, pred):
        raise NotImplementedError()

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _as_numpy(label).ravel(), _as_numpy(pred)
            self._check(label, pred)
            count = pred.shape[0]
            prob = pred[numpy.arange(count, dtype=numpy.int64),
                        numpy.int64(label)]
            self._add((-numpy.log(prob + self.eps)).sum(), count)


@register
@alias('ce')
class CrossEntropy(_LogLikelihoodMetric):
    """Cross entropy of class probabilities and labels (see
    _LogLikelihoodMetric). eps default 1e-12, name default
    'cross-entropy'."""

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None,
                 label_names=None):
        super(CrossEntropy, self).__init__(eps, name, output_names,
                                           label_names)

    def _check(self, label, pred):
        assert label.shape[0] == pred.shape[0]


@register
@alias('nll_loss')
class NegativeLogLikelihood(_LogLikelihoodMetric):
    """Negative log-likelihood of the labels under class probabilities (see
    _LogLikelihoodMetric). eps default 1e-12, name default 'nll-loss'."""

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None,
                 label_names=None):
        super(NegativeLogLikelihood, self).__init__(eps, name, output_names,
                                                    label_names)

    def _check(self, label, pred):
        assert label.shape[0] == pred.shape[0], (label.shape[0],
                                                 pred.shape[0])


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels (flattened, float64;
    each pair must have equal shapes, ValueError otherwise).

    Parameters
    ----------
    name : str, default 'pearsonr'
    output_names, label_names : list of str or None
    average : 'macro' (default) or 'micro'
        'macro': mean of each pair's coefficient; 'micro': one coefficient
        over all values so far, from running (Welford) means, variances and
        co-moment.
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None,
                 average='macro'):
        self.average = average
        super(PearsonCorrelation, self).__init__(
            name, output_names=output_names, label_names=label_names,
            has_global_stats=True)
        if self.average == 'micro':
            self.reset_micro()

    def reset_micro(self):
        """Clears the running statistics of 'micro' averaging."""
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self):
        EvalMetric.reset(self)
        if self.average == 'micro':
            self.reset_micro()

    def update_variance(self, new_values, *aggregate):
        """One Welford step: (count, mean, sum of squared deviations) after
        adding `new_values` to `aggregate`, a tuple of the three."""
        count, mean, m_2 = aggregate
        count += len(new_values)
        delta = new_values - mean
        mean += numpy.sum(delta / count)
        m_2 += numpy.sum(delta * (new_values - mean))
        return count, mean, m_2

    def update_cov(self, label, pred):
        """Adds `label`, `pred`'s part of the co-moment (the label mean
        already updated, the prediction mean not yet)."""
        self._conv = self._conv + numpy.sum(
            (label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            label = _as_numpy(label).ravel().astype(numpy.float64)
            pred = _as_numpy(pred).ravel().astype(numpy.float64)
            self.num_inst += 1
            self.global_num_inst += 1
            if self.average == 'macro':
                coefficient = numpy.corrcoef(pred, label)[0, 1]
                self.sum_metric += coefficient
                self.global_sum_metric += coefficient
            else:
                self._label_nums, self._mean_l, self._sse_l = \
                    self.update_variance(label, self._label_nums,
                                         self._mean_l, self._sse_l)
                self.update_cov(label, pred)
                self._pred_nums, self._mean_p, self._sse_p = \
                    self.update_variance(pred, self._pred_nums,
                                         self._mean_p, self._sse_p)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, self.sum_metric / self.num_inst)
        n = self._label_nums
        return (self.name, self._conv / (
            (n - 1) * numpy.sqrt(self._sse_p / (n - 1)) *
            numpy.sqrt(self._sse_l / (n - 1))))


@register
class PCC(EvalMetric):
    """Multi-class Matthews correlation (Pearson's on the K x K confusion
    matrix, which grows with the largest class index seen; NaN while a
    marginal is constant).

    Labels are class indices (cast to int32); predictions are class scores
    (argmax over axis 1) or, when shaped as the labels, class indices.
    Each update() counts one instance; sum_metric is coefficient *
    num_inst, so get() is the coefficient of everything since the last
    reset_local().

    Parameters
    ----------
    name : str, default 'pcc'
    output_names, label_names : list of str or None
    has_global_stats : bool, default True
    """

    def __init__(self, name='pcc', output_names=None, label_names=None,
                 has_global_stats=True):
        self.k = 2
        super(PCC, self).__init__(
            name=name, output_names=output_names, label_names=label_names,
            has_global_stats=has_global_stats)

    def _grow(self, inc):
        widen = ((0, inc), (0, inc))
        self.lcm = numpy.pad(self.lcm, widen, 'constant', constant_values=0)
        self.gcm = numpy.pad(self.gcm, widen, 'constant', constant_values=0)
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float('nan')
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _as_numpy(label).astype('int32', copy=False)
            pred = _as_numpy(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            else:
                pred = pred.astype('int32', copy=False)
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(n + 1 - self.k)
            batch = numpy.zeros((self.k, self.k))
            for i, j in zip(pred, label):  # pairs of rows, as MXNet's loop
                batch[i, j] += 1
            self.lcm += batch
            self.gcm += batch
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))


@register
class Loss(_CountingMetric):
    """The mean of the predictions themselves (a loss output): each
    prediction adds its sum and its size; labels are ignored.

    Parameters
    ----------
    name : str, default 'loss'
    output_names, label_names : list of str or None
    """

    def __init__(self, name='loss', output_names=None, label_names=None):
        super(Loss, self).__init__(
            name, output_names=output_names, label_names=label_names,
            has_global_stats=True)

    def update(self, _, preds):
        if isinstance(preds, (NDArray, numpy.ndarray)):
            preds = [preds]
        for pred in preds:
            pred = _as_ndarray(pred)
            self._add(ndarray.sum(pred).asscalar(), pred.size)


@register
class Torch(Loss):
    """Loss under the name 'torch' (MXNet's metric for Torch criterions)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super(Torch, self).__init__(name, output_names=output_names,
                                    label_names=label_names)


@register
class Caffe(Loss):
    """Loss under the name 'caffe' (MXNet's metric for Caffe criterions)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super(Caffe, self).__init__(name, output_names=output_names,
                                    label_names=label_names)


@register
class CustomMetric(_CountingMetric):
    """A metric of a function `feval(label, pred)` of numpy arrays, called
    per (label, pred) pair; it returns the pair's value (one instance) or a
    (sum_metric, num_inst) tuple.

    Parameters
    ----------
    feval : callable
    name : str or None
        Default: feval.__name__, as 'custom(<name>)' when it has a '<'
        (lambdas).
    allow_extra_outputs : bool, default False
        Skip the check that labels and predictions are as many (extra
        outputs, such as RNN states, are then left out by zip).
    output_names, label_names : list of str or None

    get_config() raises NotImplementedError: a function is not
    serializable.
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False,
                 output_names=None, label_names=None):
        if name is None:
            name = feval.__name__
            if '<' in name:
                name = 'custom(%s)' % name
        super(CustomMetric, self).__init__(
            name, feval=feval, allow_extra_outputs=allow_extra_outputs,
            output_names=output_names, label_names=label_names,
            has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            value = self._feval(_as_numpy(label), _as_numpy(pred))
            if isinstance(value, tuple):
                amount, count = value
                self._add(amount, count)
            else:
                self._add(value, 1)

    def get_config(self):
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False):  # pylint: disable=invalid-name
    """CustomMetric of `numpy_feval(label, pred)`, a function of numpy
    arrays returning the batch's value; the metric is named after the
    function unless `name` is given.

        mae = mx.metric.np(lambda label, pred: np.abs(label - pred).mean())
    """
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
