"""mx.nd.linalg: MXNet 1.9.1's 17 dense linear-algebra operators.

Forward values against numpy and against values measured with mxnet==1.9.1
(its pip build, on CPU), gradients against finite differences in float64 and
against gradients measured with mxnet==1.9.1, batching, both float dtypes,
asynchronous LAPACK failures and argument errors.
"""
import numpy as np
import pytest

import kiln as mx
from kiln.test_utils import assert_almost_equal, check_numeric_gradient

L = mx.nd.linalg
RNG = np.random.RandomState(7)

OPS = ["gemm", "gemm2", "potrf", "potri", "trsm", "trmm", "syrk", "gelqf", "syevd",
       "sumlogdiag", "extractdiag", "makediag", "extracttrian", "maketrian",
       "inverse", "det", "slogdet"]


def nd(x, dtype="float64"):
    return mx.nd.array(np.asarray(x), dtype=dtype)


def spd(*shape):
    """Random symmetric positive-definite matrices: spd(..., n) has shape
    (..., n, n)."""
    x = RNG.randn(*shape, shape[-1])
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def lower_factor(*shape):
    """Random lower-triangular matrices with a diagonal away from zero."""
    x = np.tril(RNG.randn(*shape))
    n = shape[-1]
    x[..., range(n), range(n)] = 1.5 + RNG.rand(*shape[:-1])
    return x


# --- the API surface -------------------------------------------------------

def test_every_op_is_in_linalg_and_has_mxnets_top_level_alias():
    for op in OPS:
        assert callable(getattr(L, op)), op
    # mxnet==1.9.1 registers linalg_<op> in mx.nd for every op but syevd.
    for op in OPS:
        assert hasattr(mx.nd, "linalg_" + op) == (op != "syevd"), op
    a = nd([[4.0, 1.0], [1.0, 4.25]], "float32")
    assert_almost_equal(mx.nd.linalg_potrf(a).asnumpy(), L.potrf(a).asnumpy())


# --- forward: values measured with mxnet==1.9.1 (float32) ------------------

MEASURED = [
    # (op, inputs, attributes, outputs)
    ("gemm", [np.ones((2, 2)), np.ones((3, 2)), np.ones((2, 3))],
     dict(transpose_b=True, alpha=2.0, beta=10.0), [np.full((2, 3), 14.0)]),
    ("gemm", [np.ones((2, 3, 4)), np.ones((4, 3, 5)), np.ones((2, 3, 5))],
     dict(axis=0), [np.full((2, 3, 5), 5.0)]),
    ("gemm2", [np.ones((2, 3, 4)), np.ones((4, 3, 5))], dict(axis=-3),
     [np.full((2, 3, 5), 4.0)]),
    ("gemm2", [np.ones((3, 2, 4)), np.ones((3, 4, 5))], dict(axis=1),
     [np.full((3, 2, 5), 4.0)]),
    ("potrf", [[[4.0, 1.0], [1.0, 4.25]]], {}, [[[2.0, 0.0], [0.5, 2.0]]]),
    ("potrf", [[[4.0, 1.0], [1.0, 4.25]]], dict(lower=False),
     [[[2.0, 0.5], [0.0, 2.0]]]),
    # Only the lower triangle is read.
    ("potrf", [[[4.0, 100.0], [1.0, 4.25]]], {}, [[[2.0, 0.0], [0.5, 2.0]]]),
    ("potri", [[[2.0, 0.0], [0.5, 2.0]]], {},
     [[[0.265625, -0.0625], [-0.0625, 0.25]]]),
    ("potri", [[[2.0, 7.0], [0.5, 2.0]]], {},
     [[[0.265625, -0.0625], [-0.0625, 0.25]]]),
    ("potri", [[[2.0, 0.5], [0.0, 2.0]]], dict(lower=False),
     [[[0.265625, -0.0625], [-0.0625, 0.25]]]),
    ("trsm", [[[1.0, 7.0], [1.0, 1.0]], [[2.0, 2.0, 2.0], [4.0, 4.0, 4.0]]],
     dict(alpha=0.5), [np.ones((2, 3))]),
    ("trsm", [[[1.0, 7.0], [3.0, 2.0]], [[1.0, 2.0], [1.0, 3.0], [4.0, 5.0]]],
     dict(rightside=True, lower=False),
     [[[1.0, -2.5], [1.0, -2.0], [4.0, -11.5]]]),
    ("trsm", [[[0.0, 0.0], [1.0, 1.0]], [[2.0, 2.0, 2.0], [4.0, 4.0, 4.0]]], {},
     [[[np.inf] * 3, [-np.inf] * 3]]),
    ("trmm", [[[1.0, 7.0], [1.0, 1.0]], np.ones((2, 3))], dict(alpha=2.0),
     [[[2.0, 2.0, 2.0], [4.0, 4.0, 4.0]]]),
    ("trmm", [[[1.0, 7.0], [3.0, 1.0]], [[1.0, 2.0, 1.0], [1.0, 1.0, 3.0]]],
     dict(lower=False), [[[8.0, 9.0, 22.0], [1.0, 1.0, 3.0]]]),
    ("trmm", [[[1.0, 7.0], [3.0, 2.0]], [[1.0, 2.0], [1.0, 3.0], [4.0, 5.0]]],
     dict(rightside=True, transpose=True),
     [[[1.0, 7.0], [1.0, 9.0], [4.0, 22.0]]]),
    ("syrk", [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], dict(transpose=True, alpha=2),
     [[[34.0, 44.0, 54.0], [44.0, 58.0, 72.0], [54.0, 72.0, 90.0]]]),
    ("syrk", [np.ones((2, 2, 3))], {}, [np.full((2, 2, 2), 3.0)]),
    ("gelqf", [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], {},
     [[[-0.26726115, -0.53452247, -0.80178368], [0.87287164, 0.21821794, -0.43643579]],
      [[-3.7416575, 0.0], [-8.5523586, 1.9639605]]]),
    ("gelqf", [np.zeros((2, 3))], {},
     [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.zeros((2, 2))]),
    ("syevd", [[[1.0, 2.0], [2.0, 4.0]]], {},
     [[[0.89442718, -0.44721359], [0.44721359, 0.89442718]], [0.0, 5.0]]),
    # Only the lower triangle is read.
    ("syevd", [[[1.0, 5.0], [2.0, 4.0]]], {},
     [[[0.89442718, -0.44721359], [0.44721359, 0.89442718]], [0.0, 5.0]]),
    ("syevd", [[[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [2.0, 5.0]]]], {},
     [[[[0.89442718, -0.44721359], [0.44721359, 0.89442718]],
       [[0.9238795, -0.3826834], [0.3826834, 0.9238795]]],
      [[0.0, 5.0], [0.17157286, 5.8284273]]]),
    ("syevd", [[[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]], {},
     [[[0.78867507, -0.57735038, 0.21132495], [0.57735026, 0.5773502, -0.57735026],
       [0.21132487, 0.57735032, 0.78867513]], [1.267949, 3.0, 4.7320509]]),
    ("sumlogdiag", [[[1.0, 1.0], [1.0, 7.0]]], {}, [[1.9459101]]),
    ("sumlogdiag", [[[[1.0, 1.0], [1.0, 7.0]], [[3.0, 0.0], [0.0, 17.0]]]], {},
     [[1.9459101, 3.9318256]]),
    ("sumlogdiag", [[[-1.0, 1.0], [1.0, 7.0]]], {}, [[np.nan]]),
    ("extractdiag", [[[1.0, 2.0], [3.0, 4.0]]], dict(offset=1), [[2.0]]),
    ("extractdiag", [[[1.0, 2.0], [3.0, 4.0]]], dict(offset=-1), [[3.0]]),
    ("makediag", [[1.0, 2.0]], dict(offset=-1),
     [[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]]),
    ("makediag", [[[1.0, 2.0], [3.0, 4.0]]], dict(offset=1),
     [[[[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]],
       [[0.0, 3.0, 0.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0]]]]),
    ("extracttrian", [np.arange(1.0, 17.0).reshape(4, 4)], {},
     [[1.0, 5.0, 6.0, 9.0, 10.0, 11.0, 13.0, 14.0, 15.0, 16.0]]),
    # An upper triangle comes column by column.
    ("extracttrian", [np.arange(1.0, 17.0).reshape(4, 4)], dict(lower=False),
     [[1.0, 2.0, 6.0, 3.0, 7.0, 11.0, 4.0, 8.0, 12.0, 16.0]]),
    ("extracttrian", [np.arange(1.0, 17.0).reshape(4, 4)], dict(offset=1),
     [[2.0, 3.0, 7.0, 4.0, 8.0, 12.0]]),
    ("extracttrian", [np.arange(1.0, 17.0).reshape(4, 4)], dict(offset=2),
     [[3.0, 4.0, 8.0]]),
    ("extracttrian", [np.arange(1.0, 17.0).reshape(4, 4)],
     dict(offset=-1, lower=False), [[5.0, 9.0, 10.0, 13.0, 14.0, 15.0]]),
    ("maketrian", [np.arange(1.0, 11.0)], dict(lower=False),
     [[[1.0, 2.0, 4.0, 7.0], [0.0, 3.0, 5.0, 8.0], [0.0, 0.0, 6.0, 9.0],
       [0.0, 0.0, 0.0, 10.0]]]),
    ("maketrian", [np.arange(1.0, 7.0)], dict(offset=1),
     [[[0.0, 1.0, 2.0, 4.0], [0.0, 0.0, 3.0, 5.0], [0.0, 0.0, 0.0, 6.0],
       [0.0, 0.0, 0.0, 0.0]]]),
    ("maketrian", [np.arange(1.0, 7.0)], dict(offset=-1, lower=False),
     [[[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0],
       [4.0, 5.0, 6.0, 0.0]]]),
    ("maketrian", [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], {},
     [[[[1.0, 0.0], [2.0, 3.0]], [[4.0, 0.0], [5.0, 6.0]]]]),
    ("inverse", [[[[1.0, 4.0], [2.0, 3.0]], [[1.0, 3.0], [2.0, 4.0]]]], {},
     [[[[-0.6, 0.8], [0.4, -0.2]], [[-2.0, 1.5], [1.0, -0.5]]]]),
    ("det", [[[1.0, 4.0], [2.0, 3.0]]], {}, [[-5.0]]),
    ("det", [[[[1.0, 4.0], [2.0, 3.0]], [[2.0, 3.0], [1.0, 4.0]]]], {},
     [[-5.0, 5.0]]),
    ("det", [[[1.0, 2.0], [2.0, 4.0]]], {}, [[-0.0]]),
    ("det", [np.ones((2, 3, 2, 2))], {}, [np.zeros((2, 3))]),
    ("det", [[[3.0]]], {}, [[3.0]]),
    ("slogdet", [[[[2.0, 3.0], [1.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]],
                  [[1.0, 2.0], [4.0, 3.0]]]], {},
     [[1.0, -0.0, -1.0], [1.6094379, -np.inf, 1.6094379]]),
    ("slogdet", [[[2.0, 3.0], [1.0, 4.0]]], {}, [[1.0], [1.6094379]]),
]


@pytest.mark.parametrize("op,inputs,attrs,expected", MEASURED,
                         ids=["%s-%d" % (case[0], i) for i, case in enumerate(MEASURED)])
def test_forward_matches_mxnet_1_9_1(op, inputs, attrs, expected):
    result = getattr(L, op)(*[nd(x, "float32") for x in inputs], **attrs)
    results = result if isinstance(result, list) else [result]
    assert len(results) == len(expected)
    for got, want in zip(results, expected):
        want = np.asarray(want, dtype=np.float32)
        assert got.dtype == np.float32
        assert got.shape == want.shape
        np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-6, atol=2e-6)
        # -0.0 where MXNet gives it (det and sign of a singular matrix).
        assert np.array_equal(np.signbit(got.asnumpy()[want == 0]),
                              np.signbit(want[want == 0]))


# --- forward against numpy, batched, both dtypes ---------------------------

DTYPES = [("float32", 1e-4), ("float64", 1e-10)]


def T(x):
    return np.swapaxes(x, -1, -2)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_gemm_and_gemm2_against_numpy(dtype, tol):
    a, b, c = RNG.randn(2, 3, 4, 5), RNG.randn(2, 3, 6, 5), RNG.randn(2, 3, 4, 6)
    got = L.gemm(nd(a, dtype), nd(b, dtype), nd(c, dtype), transpose_b=True,
                 alpha=1.5, beta=-0.5)
    assert got.dtype == np.dtype(dtype)
    assert_almost_equal(got.asnumpy(), 1.5 * a @ T(b) - 0.5 * c, rtol=tol, atol=tol)
    got = L.gemm2(nd(T(a), dtype), nd(b, dtype), transpose_a=True, transpose_b=True)
    assert_almost_equal(got.asnumpy(), a @ T(b), rtol=tol, atol=tol)
    # axis: the row axis; the product runs with it swapped to -2.
    a5, b5 = RNG.randn(2, 4, 3, 5), RNG.randn(2, 5, 3, 6)
    got = L.gemm2(nd(a5, dtype), nd(b5, dtype), axis=1, alpha=2.0)
    want = np.swapaxes(2.0 * np.swapaxes(a5, 1, 2) @ np.swapaxes(b5, 1, 2), 1, 2)
    assert got.shape == (2, 4, 3, 6)
    assert_almost_equal(got.asnumpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_syrk_and_trmm_against_numpy(dtype, tol):
    a = RNG.randn(3, 4, 5)
    assert_almost_equal(L.syrk(nd(a, dtype), alpha=0.5).asnumpy(), 0.5 * a @ T(a),
                        rtol=tol, atol=tol)
    assert_almost_equal(L.syrk(nd(a, dtype), transpose=True).asnumpy(), T(a) @ a,
                        rtol=tol, atol=tol)
    tri, b = RNG.randn(3, 4, 4), RNG.randn(3, 4, 4)
    for lower in (True, False):
        t = np.tril(tri) if lower else np.triu(tri)
        for transpose in (False, True):
            op = T(t) if transpose else t
            for right in (False, True):
                got = L.trmm(nd(tri, dtype), nd(b, dtype), lower=lower,
                             transpose=transpose, rightside=right, alpha=-2.0)
                want = -2.0 * (b @ op if right else op @ b)
                assert_almost_equal(got.asnumpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_trsm_against_numpy(dtype, tol):
    tri = lower_factor(2, 3, 3)
    tri = tri + T(RNG.randn(2, 3, 3))  # the other triangle is never read
    b = RNG.randn(2, 3, 3)
    for lower in (True, False):
        t = np.tril(tri) if lower else np.triu(tri)
        for transpose in (False, True):
            op = T(t) if transpose else t
            for right in (False, True):
                got = L.trsm(nd(tri, dtype), nd(b, dtype), lower=lower,
                             transpose=transpose, rightside=right, alpha=0.5)
                want = (0.5 * b @ np.linalg.inv(op) if right
                        else np.linalg.solve(op, 0.5 * b))
                assert_almost_equal(got.asnumpy(), want, rtol=10 * tol, atol=10 * tol)
    # Non-square B, both sides.
    b = RNG.randn(2, 3, 5)
    got = L.trsm(nd(tri, dtype), nd(b, dtype))
    assert_almost_equal(got.asnumpy(), np.linalg.solve(np.tril(tri), b),
                        rtol=10 * tol, atol=10 * tol)
    got = L.trsm(nd(tri, dtype), nd(T(b), dtype), rightside=True)
    assert_almost_equal(got.asnumpy(), T(b) @ np.linalg.inv(np.tril(tri)),
                        rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_cholesky_against_numpy(dtype, tol):
    a = spd(2, 3, 4)
    factor = L.potrf(nd(a, dtype))
    assert factor.dtype == np.dtype(dtype)
    assert_almost_equal(factor.asnumpy(), np.linalg.cholesky(a), rtol=tol, atol=tol)
    upper = L.potrf(nd(a, dtype), lower=False)
    assert_almost_equal(upper.asnumpy(), T(np.linalg.cholesky(a)), rtol=tol, atol=tol)
    assert_almost_equal(L.potri(factor).asnumpy(), np.linalg.inv(a), rtol=10 * tol,
                        atol=10 * tol)
    assert_almost_equal(L.potri(upper, lower=False).asnumpy(), np.linalg.inv(a),
                        rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_gelqf_and_syevd_reconstruct(dtype, tol):
    a = RNG.randn(2, 3, 3, 5)
    q, l = L.gelqf(nd(a, dtype))
    q, l = q.asnumpy(), l.asnumpy()
    assert q.shape == (2, 3, 3, 5) and l.shape == (2, 3, 3, 3)
    assert_almost_equal(l @ q, a, rtol=10 * tol, atol=10 * tol)
    assert_almost_equal(q @ T(q), np.broadcast_to(np.eye(3), (2, 3, 3, 3)),
                        rtol=10 * tol, atol=10 * tol)
    assert np.all(np.triu(l, 1) == 0)
    s = spd(4, 5)
    u, lam = L.syevd(nd(s, dtype))
    u, lam = u.asnumpy(), lam.asnumpy()
    assert u.shape == (4, 5, 5) and lam.shape == (4, 5)
    assert_almost_equal(lam, np.linalg.eigvalsh(s), rtol=10 * tol, atol=10 * tol)
    assert_almost_equal(u @ s, lam[..., None] * u, rtol=100 * tol, atol=100 * tol)
    # MXNet's signs: each row's entry of largest magnitude is positive.
    largest = np.take_along_axis(u, np.abs(u).argmax(-1)[..., None], -1)
    assert np.all(largest > 0)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_inverse_det_slogdet_against_numpy(dtype, tol):
    a = RNG.randn(3, 2, 4, 4)
    assert_almost_equal(L.inverse(nd(a, dtype)).asnumpy(), np.linalg.inv(a),
                        rtol=100 * tol, atol=100 * tol)
    det = L.det(nd(a, dtype))
    assert det.shape == (3, 2) and det.dtype == np.dtype(dtype)
    assert_almost_equal(det.asnumpy(), np.linalg.det(a), rtol=10 * tol, atol=10 * tol)
    sign, logabsdet = L.slogdet(nd(a, dtype))
    want_sign, want_log = np.linalg.slogdet(a)
    assert_almost_equal(sign.asnumpy(), want_sign)
    assert_almost_equal(logabsdet.asnumpy(), want_log, rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_diagonals_and_triangles_against_numpy(dtype, tol):
    a = RNG.randn(2, 3, 4, 4)
    for offset in (-2, 0, 1, 3):
        got = L.extractdiag(nd(a, dtype), offset=offset)
        want = np.diagonal(a, offset, -2, -1)
        assert_almost_equal(got.asnumpy(), want, rtol=tol, atol=tol)
        made = L.makediag(got, offset=offset).asnumpy()
        assert made.shape == (2, 3, 4, 4)
        assert_almost_equal(made, np.triu(np.tril(a, offset), offset), rtol=tol, atol=tol)
    for offset, lower in [(0, True), (0, False), (1, True), (-2, False)]:
        packed = L.extracttrian(nd(a, dtype), offset=offset, lower=lower)
        keep = (np.triu(a, offset) if offset > 0 or (offset == 0 and not lower)
                else np.tril(a, offset))
        assert packed.shape == (2, 3, np.count_nonzero(keep[0, 0] != 0))
        back = L.maketrian(packed, offset=offset, lower=lower)
        assert_almost_equal(back.asnumpy(), keep, rtol=tol, atol=tol)
    got = L.sumlogdiag(nd(spd(2, 3, 3), dtype))
    assert got.shape == (2, 3)
    # Entries outside a triangle are exact zeros, even next to infinities.
    inf = L.maketrian(nd([np.inf, 1.0, np.inf], dtype)).asnumpy()
    assert inf[0, 1] == 0 and np.isinf(inf[1, 1])


def test_empty_batches():
    for op in ("potrf", "potri", "inverse"):
        assert getattr(L, op)(mx.nd.empty((0, 3, 3))).shape == (0, 3, 3)
    assert L.det(mx.nd.empty((0, 2, 2))).shape == (0,)
    u, lam = L.syevd(mx.nd.empty((0, 2, 2)))
    assert u.shape == (0, 2, 2) and lam.shape == (0, 2)


def test_out_arguments():
    a = nd(spd(2, 3), "float32")
    out = mx.nd.zeros((2, 3, 3))
    L.potrf(a, out=out)
    assert_almost_equal(out.asnumpy(), L.potrf(a).asnumpy())
    u, lam = mx.nd.zeros((2, 3, 3)), mx.nd.zeros((2, 3))
    result = L.syevd(a, out=[u, lam])
    assert result[0] is u and result[1] is lam
    assert_almost_equal(lam.asnumpy(), np.linalg.eigvalsh(a.asnumpy()), rtol=1e-4,
                        atol=1e-4)


# --- gradients --------------------------------------------------------------

def check(function, inputs, **kwargs):
    # Contiguous copies: kiln.test_utils.numeric_grad perturbs a transposed
    # numpy view through a copy and sees no change.
    check_numeric_gradient(function,
                           [np.ascontiguousarray(x, dtype=np.float64) for x in inputs],
                           numeric_eps=1e-6, rtol=1e-4, atol=1e-6, dtype=np.float64,
                           **kwargs)


def flat(*arrays):
    return mx.nd.concat(*[a.reshape(-1) for a in arrays], dim=0)


def sym(x):
    return (x + mx.nd.swapaxes(x, -1, -2)) * 0.5


def test_gradients_of_the_products():
    a, b, c = RNG.randn(2, 3, 4), RNG.randn(2, 5, 4), RNG.randn(2, 3, 5)
    check(lambda a, b, c: L.gemm(a, b, c, transpose_b=True, alpha=1.5, beta=-2.0),
          [a, b, c])
    check(lambda a, b: L.gemm2(a, b, transpose_a=True, alpha=0.5), [T(a), T(b)])
    check(lambda a, b: L.gemm2(a, b, axis=0), [RNG.randn(3, 2, 4), RNG.randn(4, 2, 5)])
    check(lambda a: L.syrk(a, alpha=2.0), [a])
    check(lambda a: L.syrk(a, transpose=True), [a])
    tri, b = RNG.randn(2, 3, 3), RNG.randn(2, 3, 4)
    for lower in (True, False):
        for transpose in (False, True):
            check(lambda t, b: L.trmm(t, b, lower=lower, transpose=transpose,
                                      alpha=-0.5), [tri, b])
            check(lambda t, b: L.trmm(t, b, lower=lower, transpose=transpose,
                                      rightside=True), [tri, T(b)])


def test_gradients_of_trsm():
    tri, b = lower_factor(2, 3, 3), RNG.randn(2, 3, 4)
    for lower in (True, False):
        t = tri if lower else T(tri)
        for transpose in (False, True):
            check(lambda t, b: L.trsm(t, b, lower=lower, transpose=transpose,
                                      alpha=2.0), [t, b])
            check(lambda t, b: L.trsm(t, b, lower=lower, transpose=transpose,
                                      rightside=True, alpha=-1.0), [t, T(b)])


def test_gradients_of_the_factorizations():
    x = RNG.randn(2, 3, 3)
    shift = 3 * np.eye(3)
    # potrf and syevd read one triangle of a symmetric matrix: check through
    # a symmetric argument.
    check(lambda x: L.potrf(sym(x) + nd(shift)), [x])
    check(lambda x: L.potrf(sym(x) + nd(shift), lower=False), [x])
    check(lambda f: L.potri(f), [lower_factor(2, 3, 3)])
    check(lambda f: L.potri(f, lower=False), [T(lower_factor(2, 3, 3))])
    check(lambda a: flat(*L.gelqf(a)), [RNG.randn(2, 3, 5)])
    distinct = np.diag([1.0, 2.0, 4.0]) + 0.1 * RNG.randn(2, 3, 3)
    check(lambda x: flat(*L.syevd(sym(x))), [distinct])
    check(lambda a: L.inverse(a), [RNG.randn(2, 3, 3) + shift])
    check(lambda a: L.det(a), [RNG.randn(2, 3, 3)])
    check(lambda a: L.slogdet(a)[1], [RNG.randn(2, 3, 3)])


def test_gradients_of_the_data_movement():
    a = RNG.randn(2, 4, 4)
    check(lambda a: L.sumlogdiag(a), [spd(2, 3)])
    check(lambda a: L.extractdiag(a, offset=1), [a])
    check(lambda v: L.makediag(v, offset=-2), [RNG.randn(2, 3)])
    check(lambda a: L.extracttrian(a, lower=False), [a])
    check(lambda a: L.extracttrian(a, offset=-1), [a])
    check(lambda v: L.maketrian(v, offset=1, lower=False), [RNG.randn(2, 6)])


def weighted_grad(function, *inputs):
    """Gradients of sum(out * w), w = 1/size, 2/size, ... (out flattened and
    concatenated for several outputs), the way they were measured with
    mxnet==1.9.1."""
    arrays = [nd(x) for x in inputs]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        out = function(*arrays)
        if isinstance(out, list):
            out = flat(*out)
        weights = nd(np.arange(1, out.size + 1).reshape(out.shape) / out.size)
        total = (out * weights).sum()
    total.backward()
    return [a.grad.asnumpy() for a in arrays]


A2 = [[4.0, 1.0], [1.0, 3.0]]
T2 = [[2.0, 0.0], [0.5, 1.5]]
B23 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
MEASURED_GRADIENTS = [
    ("potrf", lambda a: L.potrf(a), [A2],
     [[[0.034469, 0.112122], [0.112122, 0.301511]]]),
    ("potri", lambda a: L.potri(a), [T2], [[[0.0, 0.0], [-0.25, -0.416667]]]),
    ("trsm", lambda a, b: L.trsm(a, b, alpha=2.0), [T2, B23],
     [[[-0.277778, 0.0], [-3.555556, -10.222222]],
      [[-0.055556, 0.055556, 0.166667], [0.888889, 1.111111, 1.333333]]]),
    ("trsm", lambda a, b: L.trsm(a, b, rightside=True, transpose=True, lower=False),
     [np.transpose(T2), np.transpose(B23)],
     [[[-0.236111, -2.722222], [0.0, -3.833333]],
      [[0.083333, 0.194444], [0.25, 0.361111], [0.416667, 0.527778]]]),
    ("trmm", lambda a, b: L.trmm(a, b, alpha=2.0), [T2, B23],
     [[[4.666667, 0.0], [10.666667, 25.666667]],
      [[1.333333, 2.166667, 3.0], [2.0, 2.5, 3.0]]]),
    ("gemm", lambda a, b, c: L.gemm(a, b, c, transpose_b=True, alpha=2.0, beta=0.5),
     [B23, B23, A2],
     [[[4.5, 6.0, 7.5], [9.5, 13.0, 16.5]], [[6.5, 8.5, 10.5], [9.0, 12.0, 15.0]],
      [[0.125, 0.25], [0.375, 0.5]]]),
    ("syrk", lambda a: L.syrk(a, alpha=0.5), [B23],
     [[[2.75, 3.625, 4.5], [4.625, 6.25, 7.875]]]),
    ("gelqf", lambda a: L.gelqf(a), [B23],
     [[[-2.794077, -1.025914, 0.742249], [0.632336, -0.262852, -1.158041]]]),
    ("syevd", lambda a: L.syevd(a), [A2], [[[0.956491, 0.073257], [0.073257, 0.876842]]]),
    ("inverse", lambda a: L.inverse(a), [A2],
     [[[0.004132, -0.016529], [-0.039256, -0.092975]]]),
    ("det", lambda a: L.det(a), [A2], [[[3.0, -1.0], [-1.0, 4.0]]]),
    # MXNet passes no gradient to a singular matrix.
    ("det", lambda a: L.det(a), [SINGULAR], [np.zeros((2, 2))]),
    ("slogdet", lambda a: L.slogdet(a)[1], [[[1.0, 2.0], [3.0, 4.0]]],
     [[[-2.0, 1.5], [1.0, -0.5]]]),
    ("slogdet", lambda a: L.slogdet(a)[1], [SINGULAR], [np.zeros((2, 2))]),
    ("sumlogdiag", lambda a: L.sumlogdiag(a), [A2], [[[0.25, 0.0], [0.0, 0.333333]]]),
    ("extracttrian", lambda a: L.extracttrian(a, offset=1),
     [np.arange(9.0).reshape(3, 3)],
     [[[0.0, 0.333333, 0.666667], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]),
    ("maketrian", lambda a: L.maketrian(a, lower=False), [np.arange(6.0)],
     [[0.111111, 0.222222, 0.555556, 0.333333, 0.666667, 1.0]]),
    ("makediag", lambda a: L.makediag(a, offset=-1), [np.arange(2.0)],
     [[0.444444, 0.888889]]),
    ("extractdiag", lambda a: L.extractdiag(a, offset=1),
     [np.arange(9.0).reshape(3, 3)],
     [[[0.0, 0.5, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]),
]


@pytest.mark.parametrize("name,function,inputs,expected", MEASURED_GRADIENTS,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(MEASURED_GRADIENTS)])
def test_gradients_match_mxnet_1_9_1(name, function, inputs, expected):
    grads = weighted_grad(function, *inputs)
    assert len(grads) == len(expected)
    for got, want in zip(grads, expected):
        assert_almost_equal(got, np.asarray(want), rtol=1e-5, atol=2e-6)


def test_second_order_gradient_of_det():
    # d/dA of <grad det(A), W>: the gradient rules are made of recorded ops.
    a0, w0 = RNG.randn(3, 3), RNG.randn(3, 3)

    def grad_det(a_np):
        a = nd(a_np)
        a.attach_grad()
        with mx.autograd.record():
            (g,) = mx.autograd.grad(L.det(a), [a], create_graph=True)
            total = (g * nd(w0)).sum()
        total.backward()
        return g.asnumpy(), a.grad.asnumpy()

    _, second = grad_det(a0)
    eps, numeric = 1e-6, np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            step = np.zeros((3, 3))
            step[i, j] = eps
            up, _ = grad_det(a0 + step)
            down, _ = grad_det(a0 - step)
            numeric[i, j] = np.sum((up - down) * w0) / (2 * eps)
    assert_almost_equal(second, numeric, rtol=1e-5, atol=1e-6)


# --- errors -----------------------------------------------------------------

def test_lapack_failures_are_raised_at_the_next_wait():
    # The call returns; the failure is stored on the result (as MXNet's
    # engine does) and raised when it is read.
    bad = L.potrf(nd([[[4.0, 1.0], [1.0, 4.0]], [[1.0, 2.0], [2.0, 1.0]]]))
    with pytest.raises(mx.MXNetError, match=r"_linalg_potrf: the matrix at batch "
                                            r"index 1 is not positive definite"):
        bad.asnumpy()
    singular = L.inverse(nd(SINGULAR))
    with pytest.raises(mx.MXNetError, match=r"_linalg_inverse: the matrix at batch "
                                            r"index 0 is singular"):
        singular.wait_to_read()
    with pytest.raises(mx.MXNetError, match=r"_linalg_potri: the Cholesky factor"):
        L.potri(nd([[0.0, 0.0], [0.5, 2.0]])).asnumpy()
    with pytest.raises(mx.MXNetError, match="not positive definite"):
        L.sumlogdiag(L.potrf(nd(SINGULAR))).asnumpy()
    # Nothing else is disturbed.
    assert_almost_equal(L.det(nd(A2)).asnumpy(), [11.0])
    mx.nd.waitall()


def test_the_first_failing_matrix_of_a_large_batch_is_named():
    a = np.broadcast_to(np.eye(8), (64, 8, 8)).copy()
    a[37, 3, 3] = -1.0
    a[50, 0, 0] = -1.0
    with pytest.raises(mx.MXNetError, match="batch index 37 "):
        L.potrf(nd(a)).asnumpy()


ERRORS = [
    (lambda: L.potrf(mx.nd.ones((2, 3))),
     r"_linalg_potrf: A expected square matrices .* got shape \(2, 3\)"),
    (lambda: L.potrf(mx.nd.ones((2,))),
     r"_linalg_potrf: A expected a batch of matrices \(rank >= 2\), got shape \(2,\)"),
    (lambda: L.inverse(mx.nd.ones((2, 2), dtype="int32")),
     r"_linalg_inverse: A expected dtype float32 or float64, got int32"),
    (lambda: L.det(mx.nd.ones((2, 2), dtype="float16")),
     r"_linalg_det: A expected dtype float32 or float64, got float16"),
    (lambda: L.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((4, 5))),
     r"_linalg_gemm2: op\(A\) and op\(B\) do not align .* 3 columns, op\(B\) 4 rows"),
    (lambda: L.gemm2(mx.nd.ones((2, 2, 3)), mx.nd.ones((3, 3, 5))),
     r"_linalg_gemm2: A and B expected the same extents .* \(2, 2, 3\) and \(3, 3, 5\)"),
    (lambda: L.gemm2(mx.nd.ones((2, 2, 3)), mx.nd.ones((3, 5))),
     r"_linalg_gemm2: A and B expected the same rank"),
    (lambda: L.gemm2(mx.nd.ones((2, 3), dtype="float64"), mx.nd.ones((3, 5))),
     r"_linalg_gemm2: B expected dtype float64 \(A's\), got float32"),
    (lambda: L.gemm2(mx.nd.ones((2, 3, 4)), mx.nd.ones((4, 3, 5)), axis=-1),
     r"_linalg_gemm2: axis expected a row axis in \[-3, 2\) \(not the last\), got -1"),
    (lambda: L.gemm(mx.nd.ones((2, 3)), mx.nd.ones((3, 5)), mx.nd.ones((1, 5))),
     r"_linalg_gemm: C expected shape \(2, 5\) \(the product's\), got \(1, 5\)"),
    (lambda: mx.nd.linalg_gemm(mx.nd.ones((2, 3)), mx.nd.ones((3, 5)), mx.nd.ones((2, 4))),
     r"^linalg_gemm: C expected shape"),
    (lambda: L.trsm(mx.nd.ones((2, 2)), mx.nd.ones((3, 2))),
     r"_linalg_trsm: B expected 2 rows to match the triangular A of shape \(2, 2\)"),
    (lambda: L.trmm(mx.nd.ones((2, 2)), mx.nd.ones((2, 3)), rightside=True),
     r"_linalg_trmm: B expected 2 columns"),
    (lambda: L.trmm(mx.nd.ones((2, 3)), mx.nd.ones((3, 3))),
     r"_linalg_trmm: A expected square matrices"),
    (lambda: L.trsm(mx.nd.ones((2, 2, 2)), mx.nd.ones((3, 2, 2))),
     r"_linalg_trsm: A and B expected the same rank and batch extents"),
    (lambda: L.gelqf(mx.nd.ones((3, 2))),
     r"_linalg_gelqf: A expected matrices with no more rows than columns, got shape"),
    (lambda: L.syevd(mx.nd.ones((2, 3))), r"_linalg_syevd: A expected square matrices"),
    (lambda: L.slogdet(mx.nd.ones((2, 3))), r"_linalg_slogdet: A expected square"),
    (lambda: L.extractdiag(mx.nd.ones((2, 2)), offset=2),
     r"_linalg_extractdiag: offset 2 names no diagonal of matrices of extent 2"),
    (lambda: L.extracttrian(mx.nd.ones((3, 3)), offset=-3),
     r"_linalg_extracttrian: offset -3 names no diagonal"),
    (lambda: L.makediag(mx.nd.array(5)),
     r"_linalg_makediag: A expected a batch of vectors \(rank >= 1\), got a scalar"),
    (lambda: L.maketrian(mx.nd.ones((4,))),
     r"_linalg_maketrian: A's last extent expected a triangular number .* got 4"),
    (lambda: L.potrf(mx.nd.ones((2, 2)), lower="maybe"),
     r"_linalg_potrf: argument 'lower' expected a boolean, got 'maybe'"),
    (lambda: L.gemm2(mx.nd.ones((2, 2)), mx.nd.ones((2, 2)), beta=1.0),
     r"_linalg_gemm2: unknown argument 'beta'"),
]


@pytest.mark.parametrize("call,message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_arguments_raise_at_the_call(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_lapack_kernels_leave_openblas_threads_as_they_were():
    # kiln's LAPACK kernels run OpenBLAS on one thread (kiln splits batches
    # itself) and give the count back: numpy's products keep their threads.
    import ctypes
    try:
        blas = ctypes.CDLL("libblas.so.3")  # what kiln links (and numpy)
        get_threads = blas.openblas_get_num_threads
        set_threads = blas.openblas_set_num_threads
    except (OSError, AttributeError):
        pytest.skip("the process's BLAS is not OpenBLAS")
    set_threads(2)
    a = mx.nd.array(np.eye(3) * 2 + 1, dtype="float64")
    mx.nd.linalg.potrf(a).asnumpy()
    mx.nd.linalg.inverse(a).asnumpy()
    assert get_threads() == 2
    # ... and during a kernel it was one: a kernel that records the count it
    # sees is not available from Python, so check the restore is not a
    # no-op by changing the count again.
    set_threads(1)
    mx.nd.linalg.potrf(a).asnumpy()
    assert get_threads() == 1
