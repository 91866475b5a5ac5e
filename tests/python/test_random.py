"""MXNet 1.9.1's dense random operators in kiln: the _random_*, _random_*_like,
_sample_* samplers, _sample_multinomial, _shuffle and the _random_pdf_*
densities, and mx.nd.random's functions over them.

Names, defaults, shapes, dtypes and which bad calls raise follow MXNet 1.9.1
(checked against it); the samplers' distributions are checked by their
moments and probabilities over 2e5 to 1e6 draws (5 standard errors), the
densities against their formulas and their gradients against MXNet's values
and finite differences."""
import math

import numpy as np
import pytest

import kiln as mx
from kiln.test_utils import check_numeric_gradient

nd = mx.nd

DISTRIBUTIONS = ["uniform", "normal", "exponential", "gamma", "poisson",
                 "negative_binomial", "generalized_negative_binomial"]


# --- names and signatures ---------------------------------------------------

@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_every_name_and_alias_exists(name):
    assert callable(getattr(nd._internal, "_random_" + name))
    assert callable(getattr(nd, "random_" + name))
    assert callable(getattr(nd.random, name + "_like"))
    assert callable(getattr(nd._internal, "_sample_" + name))
    assert callable(getattr(nd, "sample_" + name))
    assert callable(getattr(nd.random, name))
    if name not in ("uniform", "normal"):
        assert callable(getattr(nd, "random_pdf_" + name))
        assert callable(getattr(nd._internal, "_random_pdf_" + name))


def test_other_names():
    for name in ["uniform", "normal", "shuffle", "random_randint", "sample_multinomial",
                 "random_pdf_uniform", "random_pdf_normal", "random_pdf_dirichlet"]:
        assert callable(getattr(nd, name)), name
    for name in ["_random_randint", "_sample_multinomial", "_shuffle", "_random_pdf_dirichlet"]:
        assert callable(getattr(nd._internal, name)), name
    for name in ["randn", "randint", "multinomial", "shuffle"]:
        assert callable(getattr(nd.random, name)), name


# Registry attributes and defaults, as MXNet 1.9.1 lists them.
@pytest.mark.parametrize("op, expected", [
    ("_random_uniform", [("low", "0"), ("high", "1"), ("shape", "None"), ("ctx", ""),
                         ("dtype", "None")]),
    ("_random_normal", [("loc", "0"), ("scale", "1"), ("shape", "None"), ("ctx", ""),
                        ("dtype", "None")]),
    ("_random_exponential", [("lam", "1"), ("shape", "None"), ("ctx", ""), ("dtype", "None")]),
    ("_random_gamma", [("alpha", "1"), ("beta", "1"), ("shape", "None"), ("ctx", ""),
                       ("dtype", "None")]),
    ("_random_poisson", [("lam", "1"), ("shape", "None"), ("ctx", ""), ("dtype", "None")]),
    ("_random_negative_binomial", [("k", "1"), ("p", "1"), ("shape", "None"), ("ctx", ""),
                                   ("dtype", "None")]),
    ("_random_generalized_negative_binomial", [("mu", "1"), ("alpha", "1"), ("shape", "None"),
                                               ("ctx", ""), ("dtype", "None")]),
    ("_random_randint", [("low", None), ("high", None), ("shape", "None"), ("ctx", ""),
                         ("dtype", "None")]),
    ("_random_gamma_like", [("alpha", "1"), ("beta", "1")]),
    ("_sample_normal", [("shape", "()"), ("dtype", "None")]),
    ("_sample_multinomial", [("shape", "()"), ("get_prob", "False"), ("dtype", "int32")]),
    ("_random_pdf_gamma", [("is_log", "False")]),
    ("_shuffle", []),
])
def test_registry_attributes(op, expected):
    spec = {name: (inputs, attrs) for name, inputs, attrs, _ in _registry()}[op]
    assert [(name, default) for name, default in spec[1]] == expected


@pytest.mark.parametrize("op, inputs", [
    ("_sample_uniform", ["low", "high"]), ("_sample_normal", ["mu", "sigma"]),
    ("_sample_gamma", ["alpha", "beta"]), ("_sample_exponential", ["lam"]),
    ("_sample_poisson", ["lam"]), ("_sample_negative_binomial", ["k", "p"]),
    ("_sample_generalized_negative_binomial", ["mu", "alpha"]),
    ("_sample_multinomial", ["data"]), ("_shuffle", ["data"]),
    ("_random_pdf_uniform", ["sample", "low", "high"]),
    ("_random_pdf_normal", ["sample", "mu", "sigma"]),
    ("_random_pdf_gamma", ["sample", "alpha", "beta"]),
    ("_random_pdf_exponential", ["sample", "lam"]),
    ("_random_pdf_poisson", ["sample", "lam"]),
    ("_random_pdf_negative_binomial", ["sample", "k", "p"]),
    ("_random_pdf_generalized_negative_binomial", ["sample", "mu", "alpha"]),
    ("_random_pdf_dirichlet", ["sample", "alpha"]),
    ("_random_uniform_like", ["data"]),
])
def test_registry_inputs(op, inputs):
    spec = {name: (ins, attrs) for name, ins, attrs, _ in _registry()}[op]
    assert spec[0] == inputs


def _registry():
    return mx._core.list_ops()


# --- shapes, dtypes, out ----------------------------------------------------

def _written_into(result, out):
    """The call wrote its result into `out` and returned it, as MXNet."""
    assert result is out
    np.testing.assert_array_equal(result.asnumpy(), out.asnumpy())
    assert out.asnumpy().any()


NUMBER_CALLS = {
    "uniform": (nd.random.uniform, (0, 1)),
    "normal": (nd.random.normal, (0, 1)),
    "exponential": (nd.random.exponential, (2,)),
    "gamma": (nd.random.gamma, (2, 3)),
    "poisson": (nd.random.poisson, (4,)),
    "negative_binomial": (nd.random.negative_binomial, (3, 0.4)),
    "generalized_negative_binomial": (nd.random.generalized_negative_binomial, (3, 0.4)),
}


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_number_parameters_shapes_and_dtypes(name):
    function, params = NUMBER_CALLS[name]
    # As MXNet: one sample without shape or out; float32 by default.
    result = function(*params)
    assert result.shape == (1,) and result.dtype == np.float32
    assert function(*params, shape=4).shape == (4,)
    for dtype in ["float16", "float32", "float64"]:
        result = function(*params, shape=(2, 3), dtype=dtype)
        assert result.shape == (2, 3) and result.dtype == np.dtype(dtype)
    # out: its shape when shape is not given, its dtype when dtype is not.
    out = nd.zeros((3, 2), dtype="float64")
    _written_into(function(*params, out=out), out)
    with pytest.raises(mx.MXNetError, match="out has dtype float64, expected float16"):
        function(*params, shape=(3, 2), dtype="float16", out=out)
    with pytest.raises(mx.MXNetError, match="dtype expected one of 'None', 'float16', "
                                            "'float32', 'float64', got 'int32'"):
        function(*params, shape=(2,), dtype="int32")


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_array_parameters_shapes_and_dtypes(name):
    function, params = NUMBER_CALLS[name]
    arrays = [nd.array(np.full((2, 3), value, dtype=np.float32)) for value in params]
    if name == "exponential":
        arrays = [nd.array(np.full((2, 3), 1.0 / params[0], dtype=np.float32))]
    assert function(*arrays).shape == (2, 3)  # one sample per parameter set
    result = function(*arrays, shape=(4, 5))
    assert result.shape == (2, 3, 4, 5) and result.dtype == np.float32
    # dtype None is float32 whatever the parameters' dtype, as MXNet.
    wide = [array.astype("float64") for array in arrays]
    assert function(*wide, shape=2).dtype == np.float32
    assert function(*wide, shape=2, dtype="float64").dtype == np.float64
    assert function(*[a.astype("float16") for a in arrays], shape=2,
                    dtype="float16").dtype == np.float16
    out = nd.zeros((2, 3, 2))
    _written_into(function(*arrays, shape=2, out=out), out)
    samples = function(*[a.astype("int32") for a in arrays], shape=2) if name != "exponential" \
        else None
    if samples is not None:
        assert samples.shape == (2, 3, 2)


def test_sample_op_parameter_checks():
    low, high = nd.array([1, 2, 3]), nd.array([2, 3, 4])
    with pytest.raises(mx.MXNetError, match=r"_sample_uniform: high expected the shape of low, "
                                            r"\(3,\), got \(2,\)"):
        nd.random.uniform(low, nd.array([1, 2]))
    with pytest.raises(mx.MXNetError, match="_sample_uniform: high expected the dtype of low, "
                                            "float32, got float64"):
        nd.random.uniform(low, high.astype("float64"))
    with pytest.raises(AssertionError):
        nd.random.uniform(low, 1)
    with pytest.raises(AssertionError):
        nd.random.uniform(0, high)
    with pytest.raises(ValueError):
        nd.random.uniform("a", 1)
    with pytest.raises(TypeError):
        nd.random.randint(low, high)
    with pytest.raises(mx.MXNetError, match="_sample_poisson: dtype expected one of"):
        nd.random.poisson(low, dtype="int32")


def test_like_samplers_take_shape_and_dtype_of_data():
    data = nd.zeros((2, 3), dtype="float64")
    for name in DISTRIBUTIONS:
        result = getattr(nd.random, name + "_like")(data)
        assert result.shape == (2, 3) and result.dtype == np.float64
    values = nd.random.uniform_like(data, low=2, high=5).asnumpy()
    assert values.min() >= 2 and values.max() < 5
    assert (nd.random.poisson_like(nd.zeros((100,)), lam=4).asnumpy() % 1 == 0).all()
    with pytest.raises(mx.MXNetError, match="_random_uniform_like: expected a floating-point "
                                            "array, got int32"):
        nd.random.uniform_like(nd.zeros((2,), dtype="int32"))
    with pytest.raises(mx.MXNetError, match="_random_gamma_like: alpha expected > 0, got -1"):
        nd.random.gamma_like(nd.zeros((2,)), alpha=-1)


def test_randint():
    mx.random.seed(4)
    values = nd.random.randint(-3, 7, shape=(100000,))
    assert values.dtype == np.int32
    counts = np.bincount(values.asnumpy() + 3, minlength=10)
    assert counts.size == 10
    np.testing.assert_allclose(counts / 1e5, 0.1, atol=5 * math.sqrt(0.09 / 1e5))
    assert nd.random.randint(0, 5).shape == (1,)
    wide = nd.random.randint(-2**40, 2**40, shape=(1000,), dtype="int64").asnumpy()
    assert wide.dtype == np.int64 and wide.min() >= -2**40 and wide.max() < 2**40
    assert np.abs(wide).max() > 2**38
    out = nd.zeros((3,), dtype="int64")
    _written_into(nd.random.randint(0, 2, out=out), out)
    with pytest.raises(mx.MXNetError, match="_random_randint: low expected < high, got low=3, "
                                            "high=3"):
        nd.random.randint(3, 3, shape=(2,))
    with pytest.raises(mx.MXNetError, match="dtype expected one of 'None', 'int32', 'int64', "
                                            "got 'float32'"):
        nd.random.randint(0, 3, shape=(2,), dtype="float32")


# --- distributions ----------------------------------------------------------

def _moments(samples, mean, variance, fourth=None):
    """Sample mean and variance within 5 standard errors."""
    x = samples.asnumpy().astype(np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) < 5 * math.sqrt(variance / n) + 1e-12, (x.mean(), mean)
    if fourth is None:
        fourth = 3 * variance ** 2  # normal-like; callers give the real one
    variance_error = math.sqrt(max(fourth - variance ** 2, 0) / n)
    assert abs(x.var() - variance) < 5 * variance_error + 1e-12, (x.var(), variance)


def _pmf_check(samples, log_pmf, upto):
    """Frequencies of 0..upto-1 within 5 binomial standard errors of the
    probabilities exp(log_pmf(k))."""
    x = samples.asnumpy().astype(np.int64).ravel()
    assert (x >= 0).all()
    counts = np.bincount(x, minlength=upto)[:upto] / x.size
    for k in range(upto):
        p = math.exp(log_pmf(k))
        assert abs(counts[k] - p) < 5 * math.sqrt(p * (1 - p) / x.size) + 2e-6, (k, counts[k], p)


def _poisson_log_pmf(lam):
    return lambda k: k * math.log(lam) - lam - math.lgamma(k + 1)


def _nb_log_pmf(k, p):
    return lambda x: (math.lgamma(x + k) - math.lgamma(x + 1) - math.lgamma(k)
                      + k * math.log(p) + x * math.log1p(-p))


N = 400000


@pytest.mark.parametrize("alpha, beta", [(0.3, 1.0), (1.0, 2.0), (2.5, 0.5), (50.0, 1.0)])
def test_gamma_moments_and_cdf(alpha, beta):
    mx.random.seed(12)
    samples = nd.random.gamma(alpha, beta, shape=(N,), dtype="float64")
    mean, variance = alpha * beta, alpha * beta ** 2
    fourth = 3 * alpha * (alpha + 2) * beta ** 4  # central fourth moment
    _moments(samples, mean, variance, fourth)
    x = samples.asnumpy()
    assert (x > 0).all()
    # The CDF at a few quantiles, by integrating the density numerically.
    grid = np.linspace(0, mean + 12 * math.sqrt(variance), 400001)[1:]
    log_density = ((alpha - 1) * np.log(grid) - grid / beta - math.lgamma(alpha)
                   - alpha * math.log(beta))
    density = np.exp(log_density)
    cdf = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    # The first step of the grid, where the density may be infinite.
    cdf += (grid[0] ** alpha / alpha) * math.exp(-math.lgamma(alpha) - alpha * math.log(beta))
    for q in [0.1, 0.5, 0.9]:
        point = grid[np.searchsorted(cdf, q)]
        expected = np.interp(point, grid, cdf)
        observed = (x <= point).mean()
        assert abs(observed - expected) < 5 * math.sqrt(q * (1 - q) / N) + 2e-3, (q, observed)


@pytest.mark.parametrize("lam", [0.0, 0.5, 4.0, 9.9, 10.0, 37.0, 1000.0, 1e6])
def test_poisson_moments_and_probabilities(lam):
    mx.random.seed(13)
    samples = nd.random.poisson(lam, shape=(N,), dtype="float64")
    x = samples.asnumpy()
    assert (x == np.floor(x)).all() and (x >= 0).all()
    if lam == 0:
        assert (x == 0).all()
        return
    _moments(samples, lam, lam, lam * (1 + 3 * lam))
    if lam < 100:
        _pmf_check(samples, _poisson_log_pmf(lam), int(lam + 4 * math.sqrt(lam) + 3))


def test_poisson_with_parameter_arrays_mixes_both_branches():
    mx.random.seed(14)
    lam = nd.array([0.7, 9.5, 10.5, 250.0])
    samples = nd.random.poisson(lam, shape=(200000,), dtype="float64")
    assert samples.shape == (4, 200000)
    for row, value in zip(samples, lam.asnumpy()):
        _moments(row, value, value, value * (1 + 3 * value))
    _pmf_check(samples[1], _poisson_log_pmf(9.5), 25)
    _pmf_check(samples[2], _poisson_log_pmf(10.5), 25)


@pytest.mark.parametrize("k, p", [(1, 0.5), (5, 0.3), (20, 0.9)])
def test_negative_binomial(k, p):
    mx.random.seed(15)
    samples = nd.random.negative_binomial(k, p, shape=(N,))
    mean, variance = k * (1 - p) / p, k * (1 - p) / p ** 2
    _moments(samples, mean, variance, variance * (3 * variance + 6 / k * variance + 1 / p))
    _pmf_check(samples, _nb_log_pmf(k, p), 12)


@pytest.mark.parametrize("mu, alpha", [(2.0, 0.5), (10.0, 0.1), (3.0, 0.0)])
def test_generalized_negative_binomial(mu, alpha):
    mx.random.seed(16)
    samples = nd.random.generalized_negative_binomial(mu, alpha, shape=(N,))
    variance = mu + alpha * mu * mu
    _moments(samples, mu, variance, 20 * variance ** 2)
    if alpha == 0:
        _pmf_check(samples, _poisson_log_pmf(mu), 10)
    else:
        _pmf_check(samples, _nb_log_pmf(1 / alpha, 1 / (1 + alpha * mu)), 12)


def test_negative_binomial_edge_parameters_as_mxnet():
    # k = 0 and p = 1: no failures.
    assert (nd.random.negative_binomial(0, 0.5, shape=(100,)).asnumpy() == 0).all()
    assert (nd.random.negative_binomial(2, 1, shape=(100,)).asnumpy() == 0).all()


def test_exponential_uniform_normal():
    mx.random.seed(17)
    x = nd.random.exponential(2.0, shape=(N,), dtype="float64")
    _moments(x, 2.0, 4.0, 9 * 16.0)
    assert x.asnumpy().min() > 0
    u = nd.random.uniform(-1, 3, shape=(N,), dtype="float64")
    _moments(u, 1.0, 16 / 12, 16 ** 2 / 80)
    g = nd.random.normal(1, 2, shape=(N,), dtype="float64")
    _moments(g, 1.0, 4.0)
    assert (nd.random.uniform(2, 2, shape=(3,)).asnumpy() == 2).all()  # low == high, as MXNet


def test_sample_ops_follow_each_parameter_set():
    mx.random.seed(18)
    count = 100000
    uniform = nd.random.uniform(nd.array([0, 10]), nd.array([1, 30]), shape=count)
    _moments(uniform[0], 0.5, 1 / 12, 1 / 80)
    _moments(uniform[1], 20, 400 / 12, 400 ** 2 / 80)
    normal = nd.random.normal(nd.array([[0, 5]]), nd.array([[1, 3]]), shape=count)
    assert normal.shape == (1, 2, count)
    _moments(normal[0, 1], 5, 9)
    gamma = nd.random.gamma(nd.array([0.5, 4]), nd.array([2, 0.25]), shape=count)
    _moments(gamma[0], 1.0, 2.0, 3 * 0.5 * 2.5 * 16)
    _moments(gamma[1], 1.0, 0.25, 3 * 4 * 6 * 0.25 ** 4)
    exponential = nd.random.exponential(nd.array([0.5, 4.0]), shape=count)
    _moments(exponential[1], 4.0, 16.0, 9 * 256.0)
    nb = nd.random.negative_binomial(nd.array([2.0]), nd.array([0.4]), shape=count)
    _pmf_check(nb[0], _nb_log_pmf(2, 0.4), 10)
    gnb = nd.random.generalized_negative_binomial(nd.array([4.0, 4.0]), nd.array([0.0, 0.25]),
                                                  shape=count)
    _pmf_check(gnb[0], _poisson_log_pmf(4.0), 10)
    _pmf_check(gnb[1], _nb_log_pmf(4, 0.5), 10)


def test_sample_ops_take_zero_gradients_as_mxnet():
    mu, sigma = nd.array([1.0, 2.0]), nd.array([1.0, 1.0])
    mu.attach_grad()
    sigma.attach_grad()
    with mx.autograd.record():
        y = nd.random.normal(mu, sigma, shape=3)
    y.backward()
    assert (mu.grad.asnumpy() == 0).all() and (sigma.grad.asnumpy() == 0).all()


# --- seeds ------------------------------------------------------------------

SEEDED_CALLS = [
    lambda: nd.random.uniform(shape=(50,)),
    lambda: nd.random.normal(shape=(50,)),
    lambda: nd.random.gamma(0.5, 2, shape=(50,)),
    lambda: nd.random.poisson(30, shape=(50,)),
    lambda: nd.random.poisson(nd.array([2.0, 40.0]), shape=(25,)),
    lambda: nd.random.exponential(shape=(50,)),
    lambda: nd.random.negative_binomial(3, 0.5, shape=(50,)),
    lambda: nd.random.generalized_negative_binomial(3, 0.5, shape=(50,)),
    lambda: nd.random.randint(0, 100, shape=(50,)),
    lambda: nd.random.multinomial(nd.array([0.2, 0.3, 0.5]), shape=50),
    lambda: nd.random.shuffle(nd.arange(50)),
]


@pytest.mark.parametrize("call", SEEDED_CALLS)
def test_a_seed_reproduces_every_sampler(call):
    mx.random.seed(99)
    first, second = call().asnumpy(), call().asnumpy()
    mx.random.seed(99)
    np.testing.assert_array_equal(call().asnumpy(), first)
    np.testing.assert_array_equal(call().asnumpy(), second)
    assert not np.array_equal(first, second)


_THREAD_SCRIPT = """
import hashlib, kiln as mx
nd = mx.nd
mx.random.seed(5)
arrays = [nd.random.gamma(0.7, shape=(100000,)), nd.random.poisson(30, shape=(100000,)),
          nd.random.negative_binomial(3, 0.4, shape=(100000,)),
          nd.random.normal(nd.array([0.0, 1.0]), nd.array([1.0, 2.0]), shape=(50000,))]
print(hashlib.sha256(b"".join(a.asnumpy().tobytes() for a in arrays)).hexdigest())
"""


def test_samples_do_not_depend_on_the_threads():
    # Large arrays run in parallel slices; each element's numbers come from
    # its position, so one thread and four give the same arrays.
    import os
    import subprocess
    import sys
    digests = []
    for threads in ["1", "4"]:
        env = dict(os.environ, KILN_NUM_THREADS=threads, KILN_CPU_WORKER_NTHREADS=threads,
                   PYTHONPATH=os.pathsep.join(filter(None, [
                       os.path.dirname(os.path.dirname(mx.__file__)),
                       os.environ.get("PYTHONPATH")])))
        digests.append(subprocess.run([sys.executable, "-c", _THREAD_SCRIPT], env=env,
                                      check=True, capture_output=True, text=True).stdout)
    assert digests[0] == digests[1] and len(digests[0]) > 60


def test_mx_random_has_mxnets_samplers():
    for name in ["uniform", "normal", "randn", "poisson", "exponential", "gamma",
                 "negative_binomial", "generalized_negative_binomial", "multinomial",
                 "shuffle", "randint", "seed"]:
        assert getattr(mx.random, name) is not None, name
    assert mx.random.gamma is nd.random.gamma


# --- multinomial and shuffle -----------------------------------------------

def test_multinomial_shapes_dtypes_and_frequencies():
    mx.random.seed(20)
    probabilities = nd.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    assert nd.random.multinomial(probabilities).shape == (2,)
    assert nd.random.multinomial(probabilities[0]).shape == (1,)
    samples = nd.random.multinomial(probabilities, shape=(100000,))
    assert samples.shape == (2, 100000) and samples.dtype == np.int32
    for row, expected in zip(samples.asnumpy(), probabilities.asnumpy()):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / row.size, expected,
                                   atol=0.005)
    drawn, log_prob = nd.random.multinomial(probabilities, shape=(2, 3), get_prob=True)
    assert drawn.shape == (2, 2, 3) and log_prob.shape == (2, 2, 3)
    np.testing.assert_allclose(
        log_prob.asnumpy(),
        np.log(np.take_along_axis(probabilities.asnumpy()[:, None, None, :],
                                  drawn.asnumpy()[..., None], axis=-1)[..., 0]), rtol=1e-6)
    for dtype in ["uint8", "float16", "float64"]:
        assert nd.random.multinomial(probabilities, dtype=dtype).dtype == np.dtype(dtype)
    drawn, log_prob = nd.random.multinomial(probabilities.astype("float64"), get_prob=True)
    assert log_prob.dtype == np.float64
    # Rows summing to less than the draw give the last category, as MXNet.
    assert (nd.random.multinomial(nd.array([0.0, 0.0]), shape=20).asnumpy() == 1).all()
    out = nd.zeros((2, 3), dtype="int32")
    _written_into(nd.random.multinomial(probabilities, shape=3, out=out), out)
    with pytest.raises(mx.MXNetError, match="dtype expected one of 'None', 'float16', "
                                            "'float32', 'float64', 'int32', 'uint8', got 'int64'"):
        nd.random.multinomial(probabilities, dtype="int64")
    with pytest.raises(mx.MXNetError, match="_sample_multinomial: data expected a "
                                            "floating-point array, got int32"):
        nd.random.multinomial(probabilities.astype("int32"))
    with pytest.raises(mx.MXNetError, match="rank 1 or more"):
        nd.random.multinomial(nd.array(np.array(1.0)).reshape(()))


def test_multinomial_log_probability_gradient_as_mxnet():
    probabilities = nd.array([[0.2, 0.8]])
    probabilities.attach_grad()
    mx.random.seed(1)
    with mx.autograd.record():
        drawn, log_prob = nd.random.multinomial(probabilities, shape=4, get_prob=True)
    log_prob.backward()
    counts = np.bincount(drawn.asnumpy().ravel(), minlength=2)
    np.testing.assert_allclose(probabilities.grad.asnumpy()[0], counts / np.array([0.2, 0.8]),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64", "uint8", "float16"])
def test_shuffle_permutes_the_first_axis(dtype):
    mx.random.seed(21)
    data = nd.array(np.arange(40).reshape(20, 2), dtype=dtype)
    shuffled = nd.random.shuffle(data)
    assert shuffled.dtype == np.dtype(dtype) and shuffled.shape == (20, 2)
    values = shuffled.asnumpy().astype(np.int64)
    assert not np.array_equal(values, data.asnumpy())
    np.testing.assert_array_equal(np.sort(values[:, 0]), np.arange(0, 40, 2))
    np.testing.assert_array_equal(values[:, 1] - values[:, 0], np.ones(20))
    assert nd.shuffle(data).shape == (20, 2)


def test_shuffle_is_uniform_over_permutations():
    mx.random.seed(22)
    firsts = np.array([nd.random.shuffle(nd.arange(4)).asnumpy()[0] for _ in range(2000)])
    np.testing.assert_allclose(np.bincount(firsts.astype(int), minlength=4) / 2000, 0.25,
                               atol=5 * math.sqrt(0.25 * 0.75 / 2000))
    with pytest.raises(mx.MXNetError, match="_shuffle: data expected rank 1 or more"):
        nd.random.shuffle(nd.array(np.array(3.0)).reshape(()))


# --- errors -----------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: nd.random.uniform(2, 1, shape=(2,)),
     "_random_uniform: low expected <= high, got low=2, high=1"),
    (lambda: nd.random.normal(0, -1, shape=(2,)), "_random_normal: scale expected > 0, got -1"),
    (lambda: nd.random.normal(0, 0, shape=(2,)), "_random_normal: scale expected > 0, got 0"),
    (lambda: nd.random.exponential(-1, shape=(2,)),
     "_random_exponential: lam expected > 0, got -1"),
    (lambda: nd.random.gamma(-1, 1, shape=(2,)), "_random_gamma: alpha expected > 0, got -1"),
    (lambda: nd.random.gamma(1, 0, shape=(2,)), "_random_gamma: beta expected > 0, got 0"),
    (lambda: nd.random.poisson(-1, shape=(2,)), "_random_poisson: lam expected >= 0, got -1"),
    (lambda: nd.random.negative_binomial(-1, 0.5, shape=(2,)),
     "_random_negative_binomial: k expected >= 0, got -1"),
    (lambda: nd.random.generalized_negative_binomial(-1, 0.5, shape=(2,)),
     "_random_generalized_negative_binomial: mu expected >= 0, got -1"),
    (lambda: nd.random.generalized_negative_binomial(1, -0.5, shape=(2,)),
     "_random_generalized_negative_binomial: alpha expected >= 0, got -0.5"),
    (lambda: nd.random.negative_binomial(2.5, 0.5, shape=(2,)),
     "_random_negative_binomial: argument 'k' expected an integer, got '2.5'"),
    (lambda: nd.random.uniform(shape=(2, -1)), r"_random_uniform: shape \(2, -1\) has a negative"),
    (lambda: nd._internal._random_uniform(), "_random_uniform: shape expected a non-empty tuple"),
    (lambda: nd.random.gamma(2, 2, shape=(2,), dtype="int32"),
     "_random_gamma: dtype expected one of 'None', 'float16', 'float32', 'float64'"),
    (lambda: nd.random.normal(0, 1, shape=(2,), out=nd.zeros((3,))),
     r"_random_normal: out has shape \(3,\), expected \(2,\)"),
])
def test_bad_calls_raise_mxnet_errors(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_exponential_scale_zero_is_a_python_error_as_mxnet():
    with pytest.raises(ZeroDivisionError):
        nd.random.exponential(0, shape=(2,))


# --- densities --------------------------------------------------------------

def _log_pdf(name, x, *p):
    lg = np.vectorize(math.lgamma)
    if name == "uniform":
        return np.broadcast_to(-np.log(p[1] - p[0]), x.shape)
    if name == "normal":
        return -0.5 * ((x - p[0]) / p[1]) ** 2 - np.log(p[1]) - 0.5 * math.log(2 * math.pi)
    if name == "gamma":
        return p[0] * np.log(p[1]) + (p[0] - 1) * np.log(x) - p[1] * x - lg(p[0])
    if name == "exponential":
        return np.log(p[0]) - p[0] * x
    if name == "poisson":
        return x * np.log(p[0]) - p[0] - lg(x + 1)
    if name == "negative_binomial":
        return (lg(x + p[0]) - lg(x + 1) - lg(p[0]) + p[0] * np.log(p[1])
                + x * np.log1p(-p[1]))
    if name == "generalized_negative_binomial":
        k, q = 1 / p[1], 1 / (1 + p[1] * p[0])
        return lg(x + k) - lg(x + 1) - lg(k) + k * np.log(q) + x * np.log1p(-q)
    raise ValueError(name)


PDF_CASES = {
    "uniform": ([[0.5, 1.5, 3.0], [2.5, 3.0, 9.0]], [[0.0, 2.0], [2.0, 4.0]]),
    "normal": ([[0.5, 1.5, -2.0], [0.0, 1.0, 4.0]], [[0.2, -1.0], [2.0, 0.5]]),
    "gamma": ([[0.5, 1.5, 3.0], [0.1, 2.0, 7.0]], [[2.5, 0.7], [2.0, 1.3]]),
    "exponential": ([[0.5, 1.5, 3.0], [0.1, 2.0, 7.0]], [[2.5, 0.4]]),
    "poisson": ([[0.0, 1.0, 3.0], [2.0, 5.0, 11.0]], [[2.5, 6.0]]),
    "negative_binomial": ([[0.0, 1.0, 3.0], [2.0, 5.0, 11.0]], [[2.5, 4.0], [0.3, 0.6]]),
    "generalized_negative_binomial": ([[0.0, 1.0, 3.0], [2.0, 5.0, 11.0]],
                                      [[2.5, 4.0], [0.3, 0.6]]),
}


@pytest.mark.parametrize("name", sorted(PDF_CASES))
@pytest.mark.parametrize("is_log", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_densities_match_their_formulas(name, is_log, dtype):
    sample, params = PDF_CASES[name]
    x = np.array(sample)
    p = [np.array(values) for values in params]
    expected = _log_pdf(name, x, *[values[:, None] for values in p])
    if not is_log:
        expected = np.exp(expected)
    op = getattr(nd, "random_pdf_" + name)
    result = op(nd.array(x, dtype=dtype), *[nd.array(values, dtype=dtype) for values in p],
                is_log=is_log)
    assert result.shape == x.shape and result.dtype == np.dtype(dtype)
    np.testing.assert_allclose(result.asnumpy(), expected, rtol=1e-5 if dtype == "float32"
                               else 1e-10, atol=1e-7)


def test_densities_with_sample_axes_and_out():
    sample = nd.array(np.linspace(0.1, 2, 24).reshape(2, 3, 4))
    lam = nd.array([1.0, 2.0])
    result = nd.random_pdf_exponential(sample, lam)
    expected = np.array([1.0, 2.0])[:, None, None] * np.exp(
        -np.array([1.0, 2.0])[:, None, None] * sample.asnumpy())
    np.testing.assert_allclose(result.asnumpy(), expected, rtol=1e-6)
    out = nd.zeros((2, 3, 4))
    _written_into(nd.random_pdf_exponential(sample, lam, is_log=True, out=out), out)
    np.testing.assert_allclose(out.asnumpy(), np.log(expected), rtol=1e-5)


def test_dirichlet_density():
    sample = np.array([[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]])
    alpha = np.array([[1.5, 2.0, 3.0]])
    lg = np.vectorize(math.lgamma)
    expected = (((alpha[:, None, :] - 1) * np.log(sample)).sum(-1)
                + lg(alpha.sum(-1))[:, None] - lg(alpha).sum(-1)[:, None])
    result = nd.random_pdf_dirichlet(nd.array(sample, dtype="float64"),
                                     nd.array(alpha, dtype="float64"), is_log=True)
    assert result.shape == (1, 2)
    np.testing.assert_allclose(result.asnumpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(nd.random_pdf_dirichlet(nd.array(sample), nd.array(alpha))
                               .asnumpy(), np.exp(expected), rtol=1e-5)


# Gradients as MXNet 1.9.1 gives them (sum of the output, float64).
MXNET_GRADIENTS = [
    ("uniform", [[0.5, 1.5, 3.0]], [[0.0], [2.0]], False, [[0, 0, 0], [0.75], [-0.75]]),
    ("uniform", [[0.5, 1.5, 3.0]], [[0.0], [2.0]], True, [[0, 0, 0], [1.5], [-1.5]]),
    ("normal", [[0.5, 1.5]], [[0.2], [2.0]], False,
     [[-0.014793, -0.052483], [0.067276], [-0.14303]]),
    ("normal", [[0.5, 1.5]], [[0.2], [2.0]], True, [[-0.075, -0.325], [0.4], [-0.7775]]),
    ("gamma", [[0.5, 1.5]], [[2.5], [2.0]], False,
     [[0.553477, -0.389217], [-0.235263], [0.317803]]),
    ("gamma", [[0.5, 1.5]], [[2.5], [2.0]], True, [[1.0, -1.0], [-0.307701], [0.5]]),
    ("exponential", [[0.5, 1.5]], [[2.5]], False, [[-1.790655, -0.146986], [-0.1363]]),
    ("exponential", [[0.5, 1.5]], [[2.5]], True, [[-2.5, -2.5], [-1.2]]),
    ("poisson", [[0, 1, 3]], [[2.5]], False, [[0, 0, 0], [-0.16246]]),
    ("poisson", [[0, 1, 3]], [[2.5]], True, [[0, 0, 0], [-1.4]]),
    ("negative_binomial", [[0, 1, 3]], [[2.5], [0.3]], False,
     [[0, 0, 0], [-0.161554], [1.455564]]),
    ("negative_binomial", [[0, 1, 3]], [[2.5], [0.3]], True,
     [[0, 0, 0], [-2.303982], [19.285714]]),
    ("generalized_negative_binomial", [[0, 1, 3]], [[2.5], [0.3]], False,
     [[0, 0, 0], [-0.146431], [0.104701]]),
    ("generalized_negative_binomial", [[0, 1, 3]], [[2.5], [0.3]], True,
     [[0, 0, 0], [-0.8], [0.67309]]),
    ("dirichlet", [[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]], [[[1.5, 2.0, 3.0]]], False,
     [[[[13.619488, 18.159318, 21.791181], [16.435938, 32.871876, 8.217969]]],
      [[-0.994607, -2.15999, 3.090907]]]),
    ("dirichlet", [[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]], [[[1.5, 2.0, 3.0]]], True,
     [[[[2.5, 3.333333, 4.0], [5.0, 10.0, 2.5]]], [[-0.39918, -0.766304, 0.823963]]]),
]


@pytest.mark.parametrize("name, sample, params, is_log, expected", MXNET_GRADIENTS)
def test_density_gradients_match_mxnet(name, sample, params, is_log, expected):
    arrays = [nd.array(sample, dtype="float64")] + [nd.array(p, dtype="float64")
                                                    for p in params]
    for array in arrays:
        array.attach_grad()
    with mx.autograd.record():
        y = getattr(nd, "random_pdf_" + name)(*arrays, is_log=is_log)
    y.backward()
    for array, want in zip(arrays, expected):
        np.testing.assert_allclose(array.grad.asnumpy(),
                                   np.array(want, dtype=np.float64).reshape(array.shape),
                                   rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["normal", "gamma", "exponential", "uniform"])
@pytest.mark.parametrize("is_log", [False, True])
def test_continuous_density_gradients_numerically(name, is_log):
    sample, params = PDF_CASES[name]
    op = getattr(nd, "random_pdf_" + name)
    check_numeric_gradient(lambda *a: op(*a, is_log=is_log),
                           [np.array(sample)] + [np.array(p) for p in params],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)


@pytest.mark.parametrize("name", ["poisson", "negative_binomial",
                                  "generalized_negative_binomial"])
def test_discrete_density_gradients_numerically_in_the_parameters(name):
    sample, params = PDF_CASES[name]
    op = getattr(nd, "random_pdf_" + name)
    check_numeric_gradient(lambda *a: op(*a, is_log=True),
                           [np.array(sample)] + [np.array(p) for p in params],
                           grad_nodes=list(range(1, 1 + len(params))),
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)


def test_dirichlet_gradient_numerically():
    check_numeric_gradient(lambda x, a: nd.random_pdf_dirichlet(x, a, is_log=True),
                           [np.array([[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]]),
                            np.array([[1.5, 2.0, 3.0]])],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)


@pytest.mark.parametrize("call, message", [
    (lambda: nd.random_pdf_uniform(nd.ones((2, 2)), nd.zeros((2,)), nd.ones((3,))),
     r"_random_pdf_uniform: high expected the shape of low, \(2,\), got \(3,\)"),
    (lambda: nd.random_pdf_uniform(nd.ones((2, 2)), nd.zeros((1, 2)), nd.ones((1, 2))),
     r"_random_pdf_uniform: sample's shape expected to start with low's shape \(1, 2\), "
     r"got \(2, 2\)"),
    (lambda: nd.random_pdf_normal(nd.ones((2, 2), dtype="float64"), nd.zeros((2,)),
                                  nd.ones((2,))),
     "_random_pdf_normal: mu expected the sample's dtype, float64, got float32"),
    (lambda: nd.random_pdf_poisson(nd.ones((2,), dtype="int32"), nd.ones((2,), dtype="int32")),
     "_random_pdf_poisson: expected a floating-point array, got int32"),
    (lambda: nd.random_pdf_dirichlet(nd.ones((1, 2)), nd.ones((1, 3))),
     r"_random_pdf_dirichlet: sample's shape expected alpha's leading axes"),
])
def test_bad_density_calls(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_new_uniform_and_normal_parameters_compile_nothing():
    # The parameters are run-time scalars: after the first draw of each
    # distribution, other (low, high) and (loc, scale) pairs reuse kernels.
    mx.nd.random.uniform(-1, 1, shape=(4, 3)).asnumpy()
    mx.nd.random.normal(0, 2, shape=(4, 3)).asnumpy()
    before = mx._core.kernel_cache_stats()["misses"]
    for k in range(1, 6):
        u = mx.nd.random.uniform(-k, 2 * k, shape=(4, 3)).asnumpy()
        n = mx.nd.random.normal(k, 0.5 * k, shape=(4, 3)).asnumpy()
        assert (u >= -k).all() and (u < 2 * k).all()
        assert np.isfinite(n).all()
    assert mx._core.kernel_cache_stats()["misses"] == before
