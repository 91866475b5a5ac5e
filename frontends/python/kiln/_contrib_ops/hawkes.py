"""MXNet 1.9.1's hawkesll (src/operator/contrib/hawkes_ll-inl.h): the log
likelihood of marked self-exciting (Hawkes) processes, on the host with
numpy in the inputs' dtype.

    hawkesll(lda, alpha, beta, state, lags, marks, valid_length, max_time)
        lda (N, K) background intensities, alpha (K,) branching ratios,
        beta (K,) decays, state (N, K) the memory s_k(0), lags (N, T)
        interarrival times, marks (N, T) int32 process ids, valid_length
        (N,) points per sample, max_time (N,) observation lengths ->
        [loglike (N,), out_state (N, K)]: the log likelihood of each
        sample on (0, max_time] and the memory s_k(max_time).

For each sample the points run in order; mark c at time t (d = t minus c's
previous point time, 0 at first) adds log(mu_c + alpha_c beta_c s_c e^(-beta_c
d)) - (mu_c d + alpha_c s_c (1 - e^(-beta_c d))) and sets s_c = 1 + s_c e^(-beta_c
d); the remaining compensator up to max_time is subtracted at the end.

Gradients as MXNet's: lda, alpha and beta from the log likelihood's output
gradient alone (out_state's gradient is ignored); zero for state; lags,
marks, valid_length and max_time take none. Errors: ranks and extents
that disagree, marks not int32, dtypes other than the first input's.
"""
import numpy as _np

from ..base import MXNetError
from ._common import check, register
from ._params import Params

_HAWKES = Params("_contrib_hawkesll", [])
_INPUTS = ["lda", "alpha", "beta", "state", "lags", "marks", "valid_length",
           "max_time"]
_RANKS = [2, 1, 1, 2, 2, 2, 1, 1]


def _infer(parsed, shapes, dtypes):
    dtype = dtypes[0]
    for name, given in zip(_INPUTS[1:], dtypes[1:]):
        expected = "int32" if name == "marks" else dtype
        if given is not None and expected is not None and given != expected:
            raise MXNetError("hawkesll: %s expected dtype %s, got %s"
                             % (name, expected, given))
    for name, rank, shape in zip(_INPUTS, _RANKS, shapes):
        if shape is not None:
            check(len(shape) == rank, "in_attrs->at(hawkesll::k%s).ndim() "
                  "== %d (%d vs. %d) : %s expected rank %d, got shape %s"
                  % (name, rank, len(shape), rank, name, rank, tuple(shape)))
    known = all(shape is not None for shape in shapes)
    n = k = None
    if known:
        lda, alpha, beta, state, lags, marks, valid, max_time = shapes
        n, t = lags
        k = lda[1]
        for name, got, want in (("lda", lda[0], n), ("alpha", alpha[0], k),
                                ("beta", beta[0], k), ("state", state, (n, k)),
                                ("marks", marks, (n, t)),
                                ("valid_length", valid[0], n),
                                ("max_time", max_time[0], n)):
            check(got == want, "hawkesll: %s expected %s, got %s"
                  % (name, want, got))
    marks_dtype = "int32"
    return ([(shape, marks_dtype if name == "marks" else dtype)
             for name, shape in zip(_INPUTS, shapes)],
            [((n,) if known else None, dtype),
             ((n, k) if known else None, dtype)])


def _steps(lda, alpha, beta, state, lags, marks, valid):
    """[(rows, c, d, ed, intensity, state before)] of each step j over the
    samples with a j-th point, updating `state` and returning the last
    point time of each (sample, mark) with it."""
    n, t_len = lags.shape
    last = _np.zeros(state.shape, dtype=state.dtype)
    time = _np.zeros(n, dtype=state.dtype)
    steps = []
    for j in range(t_len):
        rows = _np.nonzero(j < valid)[0]
        if not len(rows):
            continue
        c = marks[rows, j].astype(_np.int64)
        time[rows] = time[rows] + lags[rows, j]
        d = time[rows] - last[rows, c]
        ed = _np.exp(-beta[c] * d)
        before = state[rows, c].copy()
        intensity = lda[rows, c] + alpha[c] * beta[c] * before * ed
        steps.append((rows, c, d, ed, intensity, before))
        state[rows, c] = 1 + before * ed
        last[rows, c] = time[rows]
    return steps, last


def _check_marks(lda, marks, valid):
    k = lda.shape[1]
    active = _np.arange(marks.shape[1])[None, :] < valid[:, None]
    bad = active & ((marks < 0) | (marks >= k))
    if bad.any():
        raise MXNetError("hawkesll: marks expected process ids in [0, %d), "
                         "got %d" % (k, marks[bad][0]))
    check(not (valid > marks.shape[1]).any(), "hawkesll: valid_length "
          "expected at most %d points (lags' length), got %s"
          % (marks.shape[1], valid.max()))


def _forward(parsed, arrays, is_train):
    lda, alpha, beta, state, lags, marks, valid, max_time = arrays
    _check_marks(lda, marks, valid)
    state = state.copy()
    steps, last = _steps(lda, alpha, beta, state, lags, marks, valid)
    loglike = _np.zeros(lda.shape[0], dtype=lda.dtype)
    for rows, c, d, ed, intensity, before in steps:
        loglike[rows] += (_np.log(intensity) -
                          (lda[rows, c] * d + alpha[c] * before * (1 - ed)))
    # The compensator of every mark from its last point to max_time.
    d = max_time[:, None] - last
    ed = _np.exp(-beta[None, :] * d)
    loglike -= (lda * d + alpha[None, :] * state * (1 - ed)).sum(axis=1)
    return [loglike.astype(lda.dtype), (ed * state).astype(lda.dtype)]


def _backward(parsed, arrays, outputs, out_grads):
    lda, alpha, beta, state, lags, marks, valid, max_time = arrays
    state = state.copy()
    dstate = _np.zeros_like(state)  # d state / d beta, per (sample, mark)
    g_lda = _np.zeros_like(lda)
    g_alpha = _np.zeros_like(lda)
    g_beta = _np.zeros_like(lda)
    steps, last = _steps(lda, alpha, beta, state.copy(), lags, marks, valid)
    for rows, c, d, ed, intensity, before in steps:
        ds = dstate[rows, c]
        a, b = alpha[c], beta[c]
        g_lda[rows, c] += 1 / intensity - d
        g_alpha[rows, c] += b * before * ed / intensity - before * (1 - ed)
        g_beta[rows, c] += (a * ed * (before * (1 - b * d) + b * ds) /
                            intensity - a * (ds * (1 - ed) + before * d * ed))
        dstate[rows, c] = ed * (-d * before + ds)
        state[rows, c] = 1 + before * ed
    d = max_time[:, None] - last
    ed = _np.exp(-beta[None, :] * d)
    g_lda -= d
    g_alpha -= state * (1 - ed)
    g_beta -= alpha[None, :] * (dstate * (1 - ed) + state * d * ed)
    scale = out_grads[0][:, None]
    dtype = lda.dtype
    return [(g_lda * scale).astype(dtype),
            (g_alpha * scale).sum(axis=0).astype(dtype),
            (g_beta * scale).sum(axis=0).astype(dtype),
            _np.zeros_like(arrays[3]), None, None, None, None]


register(_HAWKES, _infer, _forward, _backward, _INPUTS,
         ["output", "out_state"],
         doc="Log likelihood of marked Hawkes processes.")

__all__ = []
