"""mx.optimizer against Apache MXNet 1.9.1: every registered optimizer with
its main options runs five steps on the same weights and gradients in kiln
and in MXNet, whose weights, states and gradients must agree; the Updater's
states pickle both ways between them; the registry, the multipliers and the
error cases behave as MXNet's."""
import pickle
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.lr_scheduler  # noqa: F401 (attaches mx.lr_scheduler)
import kiln.optimizer  # noqa: F401 (attaches mx.optimizer before __init__ does)
from mxnet_oracle import requires_oracle, run_both, run_mxnet

STEPS = 5
SHAPES = [(3, 4), (5, 2)]
RNG = np.random.default_rng(13)
ARRAYS = {"w%d" % k: RNG.standard_normal(shape).astype(np.float32)
          for k, shape in enumerate(SHAPES)}
ARRAYS.update({"g%d_%d" % (step, k): (RNG.standard_normal(shape) * 2).astype(np.float32)
               for step in range(STEPS) for k, shape in enumerate(SHAPES)})

F32, F16 = "float32", "float16"
SCHED = "SCHED"  # stands for a step scheduler the snippet makes
BN_NAMES = {0: "fc_weight", 1: "fc_bias"}

# (key, optimizer name, kwargs, dtypes of the weights, through an Updater)
CONFIGS = [
    ("sgd", "sgd", {}, [F32, F32], False),
    ("sgd_mom_wd", "SGD", {"momentum": 0.9, "wd": 0.01}, [F32, F32], False),
    ("sgd_clip_rescale", "sgd", {"momentum": 0.8, "clip_gradient": 0.5,
                                 "rescale_grad": 0.5, "learning_rate": 0.05},
     [F32, F32], False),
    ("sgd_mp_mom", "sgd", {"momentum": 0.9, "multi_precision": True, "wd": 0.01},
     [F16, F16], False),
    ("sgd_mp", "sgd", {"multi_precision": True}, [F16, F16], False),
    ("sgd_f16", "sgd", {"momentum": 0.9}, [F16, F16], False),
    ("sgd_updater", "sgd", {"momentum": 0.9, "wd": 0.01,
                            "param_idx2name": BN_NAMES}, [F32, F32], True),
    ("sgd_updater_mixed", "sgd", {"momentum": 0.9, "multi_precision": True},
     [F32, F16], True),
    ("sgd_sched", "sgd", {"momentum": 0.9, "lr_scheduler": SCHED}, [F32, F32], True),
    ("sgd_factor", "sgd", {"momentum": 0.9, "lr_scheduler": "FACTOR"}, [F32, F32], True),
    ("adam_cosine", "adam", {"lr_scheduler": "COSINE"}, [F32, F32], False),
    ("ccsgd", "ccsgd", {"momentum": 0.5}, [F32, F32], False),
    ("signum", "signum", {"wd": 0.01}, [F32, F32], False),
    ("signsgd", "Signum", {"momentum": 0.0, "clip_gradient": 1.0}, [F32, F32], False),
    ("signum_wd_lh", "signum", {"wd_lh": 0.01, "rescale_grad": 0.5}, [F32, F32], True),
    ("ftml", "ftml", {}, [F32, F32], False),
    ("ftml_clip_wd", "ftml", {"clip_gradient": 0.5, "wd": 0.01,
                              "learning_rate": 0.1}, [F32, F32], True),
    ("lars", "lars", {"momentum": 0.9, "wd": 0.01}, [F32, F32], False),
    ("lars_updater", "lars", {"momentum": 0.9, "wd": 0.01, "eta": 0.01,
                              "param_idx2name": BN_NAMES,
                              "lr_scheduler": SCHED}, [F32, F32], True),
    ("lars_mp", "lars", {"momentum": 0.9, "multi_precision": True,
                         "eta": 0.1}, [F16, F16], True),
    ("lbsgd", "lbsgd", {"momentum": 0.9, "wd": 0.01}, [F32, F32], False),
    ("lbsgd_scale", "lbsgd", {"batch_scale": 2, "warmup_epochs": 1,
                              "updates_per_epoch": 4}, [F32, F32], True),
    ("lbsgd_lars", "lbsgd", {"warmup_strategy": "lars", "momentum": 0.5,
                             "wd": 0.01}, [F32, F32], False),
    ("lbsgd_mp", "lbsgd", {"momentum": 0.9, "multi_precision": True},
     [F16, F16], False),
    ("lamb", "lamb", {}, [F32, F32], False),
    ("lamb_bounds", "lamb", {"wd": 0.01, "clip_gradient": 0.5, "lower_bound": 0.1,
                             "upper_bound": 2.0, "bias_correction": False},
     [F32, F32], False),
    ("lamb_updater", "lamb", {"wd": 0.01, "clip_gradient": 0.5,
                              "upper_bound": 2.0}, [F32, F32], True),
    ("lamb_mp", "lamb", {"multi_precision": True, "wd": 0.01}, [F16, F16], False),
    ("lamb_mp_updater", "lamb", {"multi_precision": True}, [F16, F16], True),
    ("dcasgd", "dcasgd", {"wd": 0.01, "clip_gradient": 1.0}, [F32, F32], False),
    ("nag", "nag", {"momentum": 0.9, "wd": 0.01}, [F32, F32], False),
    ("nag_plain", "nag", {"clip_gradient": 0.5}, [F32, F32], True),
    ("nag_mp", "nag", {"momentum": 0.9, "multi_precision": True}, [F16, F16], False),
    ("adam", "adam", {}, [F32, F32], False),
    ("adam_opts", "Adam", {"wd": 0.01, "clip_gradient": 0.5, "rescale_grad": 0.5,
                           "beta1": 0.8, "epsilon": 1e-6}, [F32, F32], True),
    ("adam_sched", "adam", {"lr_scheduler": SCHED}, [F32, F32], False),
    ("adam_mp", "adam", {"multi_precision": True}, [F16, F16], False),
    ("adagrad", "adagrad", {"wd": 0.01}, [F32, F32], False),
    ("adagrad_clip", "AdaGrad", {"clip_gradient": 0.5, "eps": 1e-5}, [F32, F32], True),
    ("rmsprop", "rmsprop", {"wd": 0.01}, [F32, F32], False),
    ("rmsprop_centered", "rmsprop", {"centered": True, "clip_weights": 0.8,
                                     "clip_gradient": 1.0}, [F32, F32], True),
    ("adadelta", "adadelta", {"wd": 0.01, "rescale_grad": 0.5, "clip_gradient": 1.0},
     [F32, F32], False),
    ("ftrl", "ftrl", {}, [F32, F32], False),
    ("ftrl_opts", "Ftrl", {"wd": 0.01, "clip_gradient": 1.0, "lamda1": 0.1,
                           "learning_rate": 0.5, "beta": 0.5}, [F32, F32], True),
    ("adamax", "adamax", {}, [F32, F32], False),
    ("adamax_opts", "adamax", {"wd": 0.01, "clip_gradient": 0.5}, [F32, F32], True),
    ("nadam", "nadam", {}, [F32, F32], False),
    ("nadam_opts", "nadam", {"wd": 0.01, "clip_gradient": 0.5,
                             "learning_rate": 0.01}, [F32, F32], True),
    ("test", "test", {"rescale_grad": 0.5}, [F32, F32], True),
    ("groupadagrad", "groupadagrad", {"learning_rate": 0.1}, [F32, F32], False),
    ("groupadagrad_clip", "GroupAdaGrad", {"clip_gradient": 0.5}, [F32, F32], True),
]

UPDATE_SNIPPET = """
class Scheduler(object):
    # Halves the lr every two updates (duck-typed LRScheduler).
    def __init__(self, base_lr=0.1):
        self.base_lr = base_lr
    def __call__(self, num_update):
        return self.base_lr * 0.5 ** (num_update // 2)

SCHEDULERS = {
    "SCHED": lambda: Scheduler(),
    "FACTOR": lambda: mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.1),
    "COSINE": lambda: mx.lr_scheduler.CosineScheduler(
        max_update=8, base_lr=0.01, warmup_steps=2, warmup_begin_lr=0.001),
}

def flat(state):
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [a for s in state for a in flat(s)]
    return [state]

for key, name, kwargs, dtypes, through_updater in CONFIGS:
    kwargs = dict(kwargs)
    if kwargs.get("lr_scheduler") in SCHEDULERS:
        kwargs["lr_scheduler"] = SCHEDULERS[kwargs["lr_scheduler"]]()
    opt = mx.optimizer.create(name, **kwargs)
    weights = [mx.nd.array(inputs["w%d" % k], dtype=d) for k, d in enumerate(dtypes)]
    indices = list(range(len(weights)))
    updater = mx.optimizer.get_updater(opt)
    states = {}
    for step in range(STEPS):
        grads = [mx.nd.array(inputs["g%d_%d" % (step, k)], dtype=d)
                 for k, d in enumerate(dtypes)]
        if through_updater:
            updater(indices, grads, weights)
            states = updater.states
        else:
            for k in indices:
                if k not in states:
                    states[k] = opt.create_state_multi_precision(k, weights[k])
                opt.update_multi_precision(k, weights[k], grads[k], states[k])
    for k in indices:
        outputs["%s/w%d" % (key, k)] = weights[k].asnumpy()
        outputs["%s/g%d" % (key, k)] = grads[k].asnumpy()
        for j, s in enumerate(flat(states[k])):
            outputs["%s/s%d_%d" % (key, k, j)] = s.asnumpy()
    outputs["%s/num_update" % key] = np.array(opt.num_update)
"""


def snippet():
    return "CONFIGS = %r\nSTEPS = %d\n%s" % (CONFIGS, STEPS, UPDATE_SNIPPET)


@pytest.fixture(scope="module")
def updates():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float16 without multi_precision
        return run_both(snippet(), mx, **ARRAYS)


def assert_close(have, want, key):
    assert have.shape == want.shape, (key, have.shape, want.shape)
    assert have.dtype == want.dtype, (key, have.dtype, want.dtype)
    rtol, atol = (2e-3, 2e-3) if want.dtype == np.float16 else (1e-5, 1e-6)
    np.testing.assert_allclose(have.astype(np.float64), want.astype(np.float64),
                               rtol=rtol, atol=atol, err_msg=key)


@requires_oracle
@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_update_steps_match_mxnet(updates, config):
    """Weights, every state array, the gradients (AdaDelta scales its grad
    in place) and num_update after five steps."""
    got, expected = updates
    prefix = config[0] + "/"
    keys = sorted(k for k in expected if k.startswith(prefix))
    assert keys and keys == sorted(k for k in got if k.startswith(prefix))
    for key in keys:
        assert_close(got[key], expected[key], key)
    # The optimizer moved the weights.
    for k in range(len(SHAPES)):
        assert not np.allclose(got[prefix + "w%d" % k], ARRAYS["w%d" % k], atol=1e-4)


def test_every_mxnet_optimizer_is_registered_and_tested():
    # contrib.svrg_optimization registers two private ones ('_svrgoptimizer',
    # '_assignmentoptimizer') when another test has imported it, as MXNet.
    names = sorted(name for name in mx.optimizer.Optimizer.opt_registry
                   if not name.startswith("_"))
    assert names == ["adadelta", "adagrad", "adam", "adamax", "ccsgd", "dcasgd",
                     "ftml", "ftrl", "groupadagrad", "lamb", "lars", "lbsgd",
                     "nadam", "nag", "rmsprop", "sgd", "sgld", "signum", "test"]
    tested = {c[1].lower() for c in CONFIGS}
    assert set(names) - tested == {"sgld"}  # random: test_sgld_noise
    assert mx.optimizer.contrib.GroupAdaGrad is \
        mx.optimizer.Optimizer.opt_registry["groupadagrad"]
    for name in mx.optimizer.__all__:
        assert hasattr(mx.optimizer, name), name
    assert mx.optimizer.optimizer.Updater is mx.optimizer.Updater
    assert mx.optimizer.NDabs is mx.nd.abs


def test_sgld_noise():
    """SGLD: w += -lr/2 * (g + wd w) + N(0, sqrt(lr)), reproducible by seed."""
    def run(seed):
        mx.random.seed(seed)
        opt = mx.optimizer.SGLD(learning_rate=0.01, wd=0.1)
        w = mx.nd.ones((20000,))
        opt.update(0, w, mx.nd.ones((20000,)) * 2, opt.create_state(0, w))
        return w.asnumpy()
    first = run(3)
    noise = first - (1 - 0.005 * (2 + 0.1))
    assert abs(noise.mean()) < 3e-3
    assert abs(noise.std() - 0.1) < 5e-3
    np.testing.assert_array_equal(run(3), first)
    assert not np.array_equal(run(4), first)


def test_create_is_case_insensitive_and_unknown_names_fail():
    assert type(mx.optimizer.create("SGD")) is mx.optimizer.SGD
    assert type(mx.optimizer.create("rmsProp", centered=True)) is mx.optimizer.RMSProp
    assert type(mx.optimizer.Optimizer.create_optimizer("ADAM")) is mx.optimizer.Adam
    with pytest.raises(ValueError, match="Cannot find optimizer Sgdx"):
        mx.optimizer.create("Sgdx")


def test_register_adds_and_warns_on_override():
    registry = mx.optimizer.Optimizer.opt_registry
    saved = dict(registry)
    try:
        @mx.optimizer.register
        class MyOpt(mx.optimizer.Optimizer):
            pass
        assert type(mx.optimizer.create("myopt", learning_rate=0.5)) is MyOpt
        assert mx.optimizer.create("MYOPT").lr == 0.01
        with pytest.warns(UserWarning, match="MyOpt is overriding existing"):
            mx.optimizer.Optimizer.register(type("MyOpt", (mx.optimizer.Optimizer,), {}))
    finally:
        registry.clear()
        registry.update(saved)


class DuckSymbol(object):
    """What the optimizer reads of a Symbol (mx.sym is not needed)."""

    def __init__(self, attrs, arguments):
        self.attrs, self.arguments = attrs, arguments

    def attr_dict(self):
        return self.attrs

    def list_arguments(self):
        return self.arguments


class Param(object):
    lr_mult, wd_mult = 3.0, 0.25


MULT_SNIPPET = """
if hasattr(mx, "__kiln_version__"):
    sym = DuckSymbol({"fc_weight": {"__lr_mult__": "2.0"},
                      "fc_bias": {"__wd_mult__": "0.5", "__lr_mult__": "4"},
                      "other": {"__wd_mult__": "3"}},
                     ["data", "fc_weight", "fc_bias"])
else:
    sym = mx.sym.FullyConnected(
        mx.sym.var("data"), weight=mx.sym.var("fc_weight", lr_mult=2.0),
        bias=mx.sym.var("fc_bias", wd_mult=0.5, lr_mult=4), num_hidden=3, name="fc")
names = {0: "fc_weight", 1: "fc_bias", 2: "bn_gamma", 3: "bn_beta", 4: "data",
         5: "bn_moving_mean", 6: "conv_weight"}
for label, kwargs in [("sym", {"sym": sym}), ("names", {"param_idx2name": names}),
                      ("both", {"sym": sym, "param_idx2name": names}),
                      ("none", {})]:
    for name in ["sgd", "lars"]:
        opt = mx.optimizer.create(name, learning_rate=0.1, wd=0.01, **kwargs)
        opt.set_lr_mult(dict(opt.lr_mult, conv_weight=5.0))
        opt.set_wd_mult({6: 0.0, "bn_beta": 7.0})
        outputs["%s/%s/lr_mult" % (label, name)] = np.array(sorted(
            (str(k), v) for k, v in opt.lr_mult.items()), dtype=str).reshape(-1, 2)
        outputs["%s/%s/wd_mult" % (label, name)] = np.array(sorted(
            (str(k), v) for k, v in opt.wd_mult.items()), dtype=str).reshape(-1, 2)
        outputs["%s/%s/lrs" % (label, name)] = np.array(opt._get_lrs(list(range(8))))
        outputs["%s/%s/wds" % (label, name)] = np.array(opt._get_wds(list(range(8))))
opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.01, param_dict={1: Param()},
                       param_idx2name=names)
outputs["param_dict"] = np.array([opt._get_lr(1), opt._get_wd(1), opt._get_wd(0),
                                  opt._get_wd(3)])
opt = mx.optimizer.SGD(lr_scheduler=Scheduler(0.2))
outputs["sched/lr"] = np.array([opt.learning_rate, opt.lr is None])
opt._update_count([0, 1])
opt._update_count(0)
opt._update_count(0)
outputs["sched/after"] = np.array([opt.learning_rate, opt.num_update,
                                   opt._index_update_count[0]])
opt = mx.optimizer.Adam(learning_rate=0.3, lr_scheduler=Scheduler(0.2))
outputs["sched/overwritten"] = np.array([opt.lr_scheduler.base_lr, opt.learning_rate])
opt = mx.optimizer.Ftrl()
outputs["ftrl_lr"] = np.array(opt.learning_rate)
opt = mx.optimizer.SGD(begin_num_update=10)
opt._update_count(3)
outputs["begin"] = np.array([opt.num_update, opt._index_update_count[3]])
opt.set_learning_rate(0.7)
outputs["set_lr"] = np.array(opt.learning_rate)
outputs["aggregate_num"] = np.array([mx.optimizer.create(n).aggregate_num
                                     for n in ["sgd", "lars", "lamb", "adam", "nag"]])

def error(label, f):
    try:
        f()
        outputs["error/" + label] = np.array("none")
    except BaseException as e:  # UserWarning, DeprecationWarning are raised
        outputs["error/" + label] = np.array(type(e).__name__)

error("unknown", lambda: mx.optimizer.create("nope"))
error("idx2name", lambda: mx.optimizer.SGD(param_idx2name=[1]))
error("set_lr_sched", lambda: mx.optimizer.SGD(lr_scheduler=Scheduler()).set_learning_rate(1))
error("set_lr_scale", lambda: mx.optimizer.SGD().set_lr_scale({}))
error("lr_property", lambda: setattr(mx.optimizer.SGD(), "learning_rate", 1.0))
error("base_update", lambda: mx.optimizer.Optimizer().update(
    0, mx.nd.ones((2,)), mx.nd.ones((2,)), None))
error("group_1d", lambda: mx.optimizer.contrib.GroupAdaGrad().create_state(
    0, mx.nd.ones((2,))))
w = mx.nd.ones((2, 2))
opt = mx.optimizer.contrib.GroupAdaGrad(wd=0.1)
error("group_wd", lambda: opt.update(0, w, w, opt.create_state(0, w)))
opt = mx.optimizer.DCASGD(momentum=0.9)
error("dcasgd_momentum", lambda: opt.update(0, w, w, opt.create_state(0, w)))
w1 = mx.nd.ones((1,))
error("dcasgd_momentum_1", lambda: opt.update(0, w1, w1, opt.create_state(0, w1)))
"""


@pytest.fixture(scope="module")
def settings():
    code = ("class Scheduler(object):\n"
            "    def __init__(self, base_lr=0.1):\n"
            "        self.base_lr = base_lr\n"
            "    def __call__(self, num_update):\n"
            "        return self.base_lr * 0.5 ** (num_update // 2)\n"
            "class Param(object):\n    lr_mult, wd_mult = 3.0, 0.25\n"
            + MULT_SNIPPET)
    expected = run_mxnet(code)
    scope = {"mx": mx, "np": np, "inputs": {}, "outputs": {},
             "DuckSymbol": DuckSymbol}
    exec(compile(code, "<settings>", "exec"), scope)
    return scope["outputs"], expected


@requires_oracle
def test_multipliers_schedules_and_errors_match_mxnet(settings, capsys):
    """lr_mult/wd_mult from a sym's __lr_mult__/__wd_mult__, from
    param_idx2name (no decay but for *_weight and *_gamma; LARS: *_weight
    only), by index, through param_dict; schedulers; the error classes."""
    got, expected = settings
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        want, have = expected[key], np.asarray(got[key])
        if want.dtype.kind == "U":
            np.testing.assert_array_equal(have, want, err_msg=key)
        else:
            np.testing.assert_allclose(have, want, rtol=1e-12, err_msg=key)
    assert got["error/unknown"] == "ValueError"
    assert got["error/dcasgd_momentum"] == "ValueError"


def test_overwritten_scheduler_lr_is_printed(capsys):
    class Scheduler(object):
        base_lr = 0.2
    mx.optimizer.SGD(learning_rate=0.3, lr_scheduler=Scheduler())
    assert "overwritten by ``learning_rate``" in capsys.readouterr().out


def test_float16_without_multi_precision_warns():
    with pytest.warns(UserWarning, match="multi_precision=True option of the SGD"):
        mx.optimizer.SGD().create_state_multi_precision(0, mx.nd.ones((2,), dtype="float16"))
    with pytest.warns(UserWarning, match="option of the optimizer"):
        mx.optimizer.Adam().create_state_multi_precision(0, mx.nd.ones((2,), dtype="float16"))


def run_updater(updater, first, count, dtype=F32):
    """`count` steps from step `first` over both weights, in place."""
    for step in range(first, first + count):
        grads = [mx.nd.array(ARRAYS["g%d_%d" % (step, k)], dtype=dtype)
                 for k in range(len(SHAPES))]
        updater(list(range(len(SHAPES))), grads, WEIGHTS[dtype])


WEIGHTS = {}


@pytest.mark.parametrize("name,kwargs", [
    ("sgd", {"momentum": 0.9}), ("adam", {"wd": 0.01}), ("lbsgd", {"batch_scale": 2}),
    ("rmsprop", {"centered": True})])
def test_states_round_trip_within_kiln(name, kwargs):
    """get_states/set_states (with and without the optimizer) resume
    exactly where an uninterrupted run goes."""
    WEIGHTS[F32] = [mx.nd.array(ARRAYS["w%d" % k]) for k in range(len(SHAPES))]
    straight = mx.optimizer.get_updater(mx.optimizer.create(name, **kwargs))
    run_updater(straight, 0, STEPS)
    want = [w.asnumpy() for w in WEIGHTS[F32]]
    for dump_optimizer in (False, True):
        WEIGHTS[F32] = [mx.nd.array(ARRAYS["w%d" % k]) for k in range(len(SHAPES))]
        first = mx.optimizer.get_updater(mx.optimizer.create(name, **kwargs))
        run_updater(first, 0, 2)
        blob = first.get_states(dump_optimizer=dump_optimizer)
        resumed = mx.optimizer.get_updater(mx.optimizer.create(name, **kwargs))
        if not dump_optimizer:  # the counts live in the optimizer
            resumed.optimizer = pickle.loads(pickle.dumps(first.optimizer))
        resumed.set_states(blob)
        assert resumed.optimizer is not first.optimizer
        assert resumed.optimizer.num_update == 2
        assert set(resumed.states_synced.values()) == {False}
        run_updater(resumed, 2, STEPS - 2)
        assert set(resumed.states_synced.values()) == {True}
        for have, expect in zip(WEIGHTS[F32], want):
            np.testing.assert_array_equal(have.asnumpy(), expect)


def test_optimizer_pickle_drops_param_dict():
    opt = mx.optimizer.SGD(param_dict={0: Param()}, momentum=0.5)
    again = pickle.loads(pickle.dumps(opt))
    assert again.param_dict == {} and again.momentum == 0.5
    assert opt.param_dict  # the original keeps it


CROSS_SNIPPET = """
WEIGHTS = {}
def run_updater(updater, first, count, dtype):
    for step in range(first, first + count):
        grads = [mx.nd.array(inputs["g%d_%d" % (step, k)], dtype=dtype) for k in range(2)]
        updater([0, 1], grads, WEIGHTS[dtype])
for key, name, kwargs, dtype in CASES:
    if kwargs.get("lr_scheduler") == "FACTOR":
        kwargs = dict(kwargs, lr_scheduler=mx.lr_scheduler.FactorScheduler(
            step=2, factor=0.5, base_lr=0.1))
    WEIGHTS[dtype] = [mx.nd.array(inputs["w%d" % k], dtype=dtype) for k in range(2)]
    updater = mx.optimizer.get_updater(mx.optimizer.create(name, **kwargs))
    if "blob/" + key in inputs:
        for k in range(2):
            WEIGHTS[dtype][k][:] = inputs["at2/%s/w%d" % (key, k)]
        updater.set_states(inputs["blob/" + key].tobytes())
    else:
        run_updater(updater, 0, 2, dtype)
        outputs["blob/" + key] = np.frombuffer(
            updater.get_states(dump_optimizer=True), dtype=np.uint8)
        for k in range(2):
            outputs["at2/%s/w%d" % (key, k)] = WEIGHTS[dtype][k].asnumpy()
    run_updater(updater, 2, STEPS - 2, dtype)
    for k in range(2):
        outputs["end/%s/w%d" % (key, k)] = WEIGHTS[dtype][k].asnumpy()
    outputs["end/%s/num_update" % key] = np.array(updater.optimizer.num_update)
    outputs["end/%s/type" % key] = np.array(type(updater.optimizer).__name__)
    outputs["end/%s/lr" % key] = np.array(updater.optimizer.learning_rate)
"""

CROSS_CASES = [("sgd", "sgd", {"momentum": 0.9, "wd": 0.01}, F32),
               ("sgd_mp", "sgd", {"momentum": 0.9, "multi_precision": True}, F16),
               ("adam", "adam", {"clip_gradient": 0.5}, F32),
               ("lars", "lars", {"momentum": 0.9}, F32),
               ("nadam", "nadam", {}, F32),
               ("sgd_factor", "sgd", {"momentum": 0.9, "lr_scheduler": "FACTOR"}, F32)]


def cross_code():
    return "CASES = %r\nSTEPS = %d\n%s" % (CROSS_CASES, STEPS, CROSS_SNIPPET)


def run_kiln(code, **arrays):
    scope = {"mx": mx, "np": np, "inputs": dict(arrays), "outputs": {}}
    exec(compile(code, "<kiln>", "exec"), scope)
    return scope["outputs"]


def assert_same_ends(got, expected):
    ends = sorted(k for k in expected if k.startswith("end/"))
    assert ends and ends == sorted(k for k in got if k.startswith("end/"))
    for key in ends:
        if expected[key].dtype.kind == "U":
            assert str(got[key]) == str(expected[key]), key
        else:
            assert_close(np.asarray(got[key]), expected[key], key)


@requires_oracle
def test_states_written_by_mxnet_load_in_kiln():
    """MXNet 1.9.1's get_states(dump_optimizer=True) pickles (its NDArrays,
    its optimizer classes) load in kiln's set_states and resume the run."""
    written = run_mxnet(cross_code(), **ARRAYS)
    resumed = run_kiln(cross_code(), **ARRAYS, **{
        k: v for k, v in written.items() if not k.startswith("end/")})
    assert_same_ends(resumed, written)


@requires_oracle
def test_states_written_by_kiln_load_in_mxnet():
    """kiln's get_states pickles name MXNet's classes, so MXNet 1.9.1's
    set_states loads them and resumes the run."""
    written = run_kiln(cross_code(), **ARRAYS)
    arrays = dict(ARRAYS)
    arrays.update({k: np.asarray(v) for k, v in written.items()
                   if not k.startswith("end/")})
    resumed = run_mxnet(cross_code(), **arrays)
    assert_same_ends(written, resumed)
