"""Gluon's losses, as MXNet 1.9.1's mxnet/gluon/loss.py.

    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    with mx.autograd.record():
        loss = loss_fn(net(x), y)          # shape (batch_size,)
    loss.backward()

Every loss is a HybridBlock whose hybrid_forward(F, pred, label, ...) calls
the registry operators MXNet's does (square, mean with exclude=True,
log_softmax, pick, Activation softrelu, CTCLoss, ...), so it runs with
F = mx.nd and, hybridized, with F = mx.sym, and gives MXNet's values and
gradients. A label whose size differs from pred's is refused where MXNet
refuses it: imperatively by NDArray.reshape (ValueError), hybridized by
reshape_like (MXNetError); SoftmaxCrossEntropyLoss's sparse labels by pick.

Inputs (unless a loss says otherwise): pred of any shape; label with as
many elements as pred; sample_weight (optional) broadcastable to the
per-element loss, e.g. (batch_size, 1) to weigh each sample. Output: shape
(batch_size,), the mean over every axis but batch_axis.
"""
import numpy as np

from .. import ndarray
from ..base import numeric_types
from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss",
           "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss",
           "KLDivLoss", "CTCLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss", "TripletLoss",
           "PoissonNLLLoss", "CosineEmbeddingLoss", "SDMLLoss"]


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """loss times sample_weight (broadcast_mul, so any broadcastable shape)
    and then times the scalar weight. AssertionError when weight is no
    number."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        assert isinstance(weight, numeric_types), "weight must be a number"
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """x with y's shape: NDArray.reshape imperatively (ValueError when the
    sizes differ), the reshape_like operator on symbols."""
    if F is ndarray:
        return x.reshape(y.shape)
    return F.reshape_like(x, y)


class Loss(HybridBlock):
    """The base class of the losses.

    Parameters
    ----------
    weight : float or None
        A scalar the loss is multiplied by (None: not multiplied).
    batch_axis : int
        The axis of the mini-batch, the one the output keeps.
    **kwargs : prefix, params, as HybridBlock.
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super(Loss, self).__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return "%s(batch_axis=%s, w=%s)" % (type(self).__name__,
                                            self._batch_axis, self._weight)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """Subclasses compute the loss here."""
        raise NotImplementedError

    def _weighted_mean(self, F, loss, weight, sample_weight):
        """loss weighted (_apply_weighting), then averaged over every axis
        but the batch axis."""
        loss = _apply_weighting(F, loss, weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class L2Loss(Loss):
    """Half the squared error, weight / 2 * (label - pred)^2, averaged over
    the non-batch axes.

    Parameters: weight (float, default 1.0), batch_axis (int, default 0).
    """

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super(L2Loss, self).__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        return self._weighted_mean(F, loss, self._weight / 2, sample_weight)


class L1Loss(Loss):
    """The absolute error |label - pred|, averaged over the non-batch axes.

    Parameters: weight (float or None, default None), batch_axis (default 0).
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super(L1Loss, self).__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        return self._weighted_mean(F, loss, self._weight, sample_weight)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy (alias SigmoidBCELoss).

    Parameters
    ----------
    from_sigmoid : bool, default False
        False: pred is a logit and the loss is the stable
        relu(x) - x*z + softrelu(-|x|) (with pos_weight:
        x - x*z + (1 + (pos_weight - 1) * z) * (softrelu(-|x|) + relu(-x))).
        True: pred is a probability and the loss is
        -(z*log(p + 1e-12)*pos_weight + (1 - z)*log(1 - p + 1e-12)).
    weight : float or None, default None
    batch_axis : int, default 0

    Call as loss(pred, label[, sample_weight[, pos_weight]]); pos_weight
    (positional, as Block.__call__ takes no keywords) weighs the positive
    class, broadcast against pred, e.g. shape (1, num_classes).
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super(SigmoidBinaryCrossEntropyLoss, self).__init__(
            weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None,
                       pos_weight=None):
        label = _reshape_like(F, label, pred)
        if self._from_sigmoid:
            eps = 1e-12
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1. - pred + eps) * (1. - label))
        else:
            # log(1 + exp(-|x|)): the stable log-sum-exp part.
            soft = F.Activation(-F.abs(pred), act_type="softrelu")
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + soft
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (soft + F.relu(-pred))
        return self._weighted_mean(F, loss, self._weight, sample_weight)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax cross-entropy (alias SoftmaxCELoss).

    Parameters
    ----------
    axis : int, default -1
        The class axis of pred.
    sparse_label : bool, default True
        True: label holds class indices, pred's shape without `axis` (pick
        refuses another shape: MXNetError "Shape inconsistent"). False:
        label holds a distribution of pred's size.
    from_logits : bool, default False
        Whether pred already is log-probabilities (else log_softmax first).
    weight : float or None, default None
    batch_axis : int, default 0
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False,
                 weight=None, batch_axis=0, **kwargs):
        super(SoftmaxCrossEntropyLoss, self).__init__(
            weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -(pred * label).sum(axis=self._axis, keepdims=True)
        return self._weighted_mean(F, loss, self._weight, sample_weight)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence, label * (log(label + 1e-12) - pred),
    summed (not averaged) over the non-batch axes.

    Parameters
    ----------
    from_logits : bool, default True
        Whether pred is log-probabilities (else log_softmax along `axis`).
    axis : int, default -1
    weight : float or None, default None
    batch_axis : int, default 0
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0,
                 **kwargs):
        super(KLDivLoss, self).__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class CTCLoss(Loss):
    """Connectionist temporal classification on the CTCLoss operator, with
    the blank as the last class (alphabet_size - 1); labels are padded
    with -1.

    Parameters
    ----------
    layout : 'NTC' or 'TNC', default 'NTC'
        pred's layout (N batch, T time, C alphabet size).
    label_layout : 'NT' or 'TN', default 'NT'
        label's layout; its N is the batch axis.
    weight : float or None, default None

    AssertionError for another layout. Call as
    loss(pred, label[, pred_lengths[, label_lengths[, sample_weight]]]),
    lengths of shape (batch_size,). Output: shape (batch_size,).
    """

    def __init__(self, layout="NTC", label_layout="NT", weight=None, **kwargs):
        assert layout in ["NTC", "TNC"], \
            "Only 'NTC' and 'TNC' layouts for pred are supported. Got: %s" % layout
        assert label_layout in ["NT", "TN"], \
            "Only 'NT' and 'TN' layouts for label are supported. Got: %s" % label_layout
        self._layout = layout
        self._label_layout = label_layout
        super(CTCLoss, self).__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None,
                       label_lengths=None, sample_weight=None):
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None,
                         blank_label="last")
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(Loss):
    """Smoothed L1: e^2 / (2 rho) where e = |label - pred| <= rho, else
    e - rho / 2; averaged over the non-batch axes.

    Parameters: rho (float, default 1), weight (default None), batch_axis
    (default 0).
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super(HuberLoss, self).__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        error = F.abs(label - pred)
        loss = F.where(error > self._rho, error - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(error))
        return self._weighted_mean(F, loss, self._weight, sample_weight)


class HingeLoss(Loss):
    """max(0, margin - pred * label) for labels of -1 and 1, averaged over
    the non-batch axes.

    Parameters: margin (default 1), weight (default None), batch_axis
    (default 0).
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super(HingeLoss, self).__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        return self._weighted_mean(F, loss, self._weight, sample_weight)


class SquaredHingeLoss(Loss):
    """max(0, margin - pred * label)^2 for labels of -1 and 1, averaged
    over the non-batch axes.

    Parameters: margin (default 1), weight (default None), batch_axis
    (default 0).
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super(SquaredHingeLoss, self).__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        return self._weighted_mean(F, loss, self._weight, sample_weight)


class LogisticLoss(Loss):
    """log(1 + exp(-pred * label)), computed stably, averaged over the
    non-batch axes.

    Parameters
    ----------
    weight : float or None, default None
    batch_axis : int, default 0
    label_format : 'signed' (labels -1/1, default) or 'binary' (0/1)
        ValueError for anything else.
    """

    def __init__(self, weight=None, batch_axis=0, label_format="signed",
                 **kwargs):
        super(LogisticLoss, self).__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if label_format not in ["signed", "binary"]:
            # MXNet's message, misspelling included.
            raise ValueError("label_format can only be signed or binary, "
                             "recieved %s." % label_format)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0  # -1/1 to 0/1
        loss = F.relu(pred) - pred * label + \
            F.Activation(-F.abs(pred), act_type="softrelu")
        return self._weighted_mean(F, loss, self._weight, sample_weight)


class TripletLoss(Loss):
    """max(0, sum(|positive - pred|^2) - sum(|negative - pred|^2) + margin)
    over the non-batch axes.

    Parameters: margin (default 1), weight (default None), batch_axis
    (default 0). Call as loss(pred, positive, negative), each of pred's
    size; no sample_weight.
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super(TripletLoss, self).__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood, averaged over every element (output
    shape (1,)).

    Parameters
    ----------
    weight : float or None, default None
    from_logits : bool, default True
        True: exp(pred) - target * pred; False:
        pred - target * log(pred + epsilon).
    batch_axis : int, default 0
    compute_full : bool, default False
        Adds Stirling's term target*log(target) - target +
        0.5*log(2*pi*target) where target > 1 (with in-place operators,
        as MXNet: imperatively it cannot run under autograd.record()).

    Call as loss(pred, target[, sample_weight[, epsilon=1e-08]]).
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0,
                 compute_full=False, **kwargs):
        super(PoissonNLLLoss, self).__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None,
                       epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling = target * F.log(target) - target + \
                0.5 * F.log(2 * target * np.pi)
            # In place, as MXNet: imperatively under autograd.record() this
            # raises MXNetError as it does there; hybridized it records.
            stirling *= target > 1
            loss += stirling
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """1 - cos(input1, input2) where label is 1, max(0, cos - margin) where
    label is -1 (cosine along the last axis, norms floored at 1e-12).

    Parameters: weight (default None), batch_axis (default 0), margin
    (default 0). Call as loss(input1, input2, label[, sample_weight]);
    label has one entry per row. Output: shape (batch_size, 1), as MXNet's.
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super(CosineEmbeddingLoss, self).__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        zero = F.array([0]) if F is ndarray else F.zeros((1, 1))
        dissimilar = F.broadcast_maximum(
            zero, (label == -1) * (cos_sim - self._margin), axis=1)
        loss = _apply_weighting(F, similar + dissimilar, self._weight,
                                sample_weight)
        return loss

    def _cosine_similarity(self, F, x, y, axis=-1):
        """cos(x, y) along `axis`, as a (rows, 1) column."""
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        dot = F.sum(x * y, axis=axis).reshape((-1, 1))
        eps = F.array([1e-12]) if F is ndarray else F.full((1, 1), 1e-12)
        return dot / F.broadcast_maximum(x_norm * y_norm, eps)


class SDMLLoss(Loss):
    """Batch-wise smoothed deep metric learning loss (Bonadiman et al.,
    arXiv:1905.12786): KLDivLoss between the log-softmax of the negative
    squared distances of every pair of rows of x1 and x2 and a smoothed
    identity (1 - smoothing_parameter on the diagonal, the rest spread
    evenly).

    Parameters: smoothing_parameter (default 0.3), weight (default 1.0),
    batch_axis (default 0). Call as loss(x1, x2), both (batch_size, dim),
    row i of x1 paired with row i of x2. As MXNet's, it reads x1.shape, so
    only imperative calls work (hybridized: AttributeError).
    """

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0,
                 **kwargs):
        super(SDMLLoss, self).__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_distances(self, x1, x2):
        """(batch, batch) squared Euclidean distances of x1's rows to x2's."""
        assert x1.shape == x2.shape
        batch_size, dim = x1.shape
        rows = x1.expand_dims(1).broadcast_to([batch_size, batch_size, dim])
        cols = x2.expand_dims(0).broadcast_to([batch_size, batch_size, dim])
        return ((rows - cols) ** 2).sum(axis=2)

    def _compute_labels(self, F, batch_size):
        """The smoothed identity target, (batch_size, batch_size)."""
        gold = F.eye(batch_size)
        spread = self.smoothing_parameter / (batch_size - 1)
        return gold * (1 - self.smoothing_parameter) + (1 - gold) * spread

    def _loss(self, F, x1, x2):
        labels = self._compute_labels(F, x1.shape[0])
        distances = self._compute_distances(x1, x2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        return self.kl_loss(log_probabilities,
                            labels.as_in_context(distances.context))

    def hybrid_forward(self, F, x1, x2):
        return self._loss(F, x1, x2)
