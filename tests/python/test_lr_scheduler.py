"""mx.lr_scheduler against Apache MXNet 1.9.1: the learning rate of every
scheduler and warmup mode over 200 updates (in order, and jumping ahead as
a resumed run does), the logging of the decays, and the errors for bad
arguments (same class, same message as MXNet's, or one naming the value
where MXNet's assertion has no message)."""
import logging
import textwrap

import numpy as np
import pytest

import kiln as mx
import kiln.lr_scheduler  # noqa: F401  (attaches mx.lr_scheduler)

from mxnet_oracle import requires_oracle, run_both, run_mxnet

LR = mx.lr_scheduler

# (name, constructor expression): every scheduler with and without warmup.
SCHEDULERS = [
    ("factor", "S.FactorScheduler(step=15, factor=0.7, base_lr=0.2)"),
    ("factor_stop", "S.FactorScheduler(7, 0.5, stop_factor_lr=1e-3, "
                    "base_lr=0.1)"),
    ("factor_one", "S.FactorScheduler(3)"),
    ("factor_warm_linear", "S.FactorScheduler(20, 0.9, base_lr=0.5, "
                           "warmup_steps=30, warmup_begin_lr=0.05)"),
    ("factor_warm_constant", "S.FactorScheduler(20, 0.9, base_lr=0.5, "
                             "warmup_steps=30, warmup_begin_lr=0.05, "
                             "warmup_mode='constant')"),
    ("multi", "S.MultiFactorScheduler([10, 50, 51, 120], factor=0.3, "
              "base_lr=1.0)"),
    ("multi_warm_linear", "S.MultiFactorScheduler([40, 90], 0.5, "
                          "base_lr=0.3, warmup_steps=25)"),
    ("multi_warm_constant", "S.MultiFactorScheduler([40, 90], 0.5, "
                            "base_lr=0.3, warmup_steps=25, "
                            "warmup_begin_lr=0.01, "
                            "warmup_mode='constant')"),
    ("poly", "S.PolyScheduler(max_update=150, base_lr=0.4, pwr=2)"),
    ("poly_final", "S.PolyScheduler(120, base_lr=0.4, pwr=3, "
                   "final_lr=0.01)"),
    ("poly_half", "S.PolyScheduler(180, base_lr=0.4, pwr=0.5, "
                  "warmup_steps=20, warmup_begin_lr=0.1)"),
    ("poly_warm_constant", "S.PolyScheduler(100, base_lr=0.4, "
                           "warmup_steps=20, warmup_begin_lr=0.1, "
                           "warmup_mode='constant')"),
    ("cosine", "S.CosineScheduler(max_update=160, base_lr=0.25)"),
    ("cosine_final", "S.CosineScheduler(140, base_lr=0.25, final_lr=0.02)"),
    ("cosine_warm_linear", "S.CosineScheduler(150, base_lr=0.25, "
                           "final_lr=0.001, warmup_steps=40, "
                           "warmup_begin_lr=0.003)"),
    ("cosine_warm_constant", "S.CosineScheduler(150, base_lr=0.25, "
                             "warmup_steps=40, warmup_begin_lr=0.003, "
                             "warmup_mode='constant')"),
]

SEQUENCES = """
S = mx.lr_scheduler
cases = %r
jumps = [0, 1, 2, 5, 5, 33, 34, 80, 79, 81, 200, 250, 260]
for name, make in cases:
    sched = eval(make)
    outputs[name] = np.array([sched(i) for i in range(201)], np.float64)
    sched = eval(make)
    outputs[name + "/jumps"] = np.array([sched(i) for i in jumps], np.float64)
    outputs[name + "/final_base_lr"] = np.array(sched.base_lr, np.float64)
    warm = eval(make)
    if warm.warmup_steps:
        outputs[name + "/warmup"] = np.array(
            [warm.get_warmup_lr(i) for i in range(warm.warmup_steps)])
""" % (SCHEDULERS,)


@requires_oracle
def test_learning_rates_match_mxnet():
    got, want = run_both(SEQUENCES, mx)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        # The same float operations in the same order: equal to the bit.
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_schedules_follow_their_formulas():
    """The documented shapes, without the oracle: warmup, step decays, the
    polynomial and cosine curves reaching final_lr and staying there."""
    s = LR.FactorScheduler(10, 0.5, base_lr=1.0, warmup_steps=4,
                           warmup_begin_lr=0.2)
    assert [s(i) for i in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert [s(i) for i in (4, 10, 11, 20, 21, 31)] == [1.0, 1.0, 0.5, 0.5,
                                                       0.25, 0.125]
    s = LR.MultiFactorScheduler([3, 6], 0.1, base_lr=1.0)
    assert [s(i) for i in range(8)] == pytest.approx(
        [1, 1, 1, 1, .1, .1, .1, .01])
    s = LR.PolyScheduler(10, base_lr=1.0, pwr=2, final_lr=0.5)
    assert s(5) == pytest.approx(0.5 + 0.5 * 0.25)
    assert s(10) == 0.5 and s(30) == 0.5
    s = LR.CosineScheduler(10, base_lr=1.0, warmup_steps=2,
                           warmup_mode="constant", warmup_begin_lr=0.1)
    assert s(0) == s(1) == 0.1
    assert s(2) == 1.0 and s(6) == pytest.approx(0.5) and s(10) == 0.0
    assert s(11) == 0.0


def test_decays_are_logged(caplog):
    s = LR.FactorScheduler(2, 0.5, stop_factor_lr=0.03, base_lr=0.1)
    with caplog.at_level(logging.INFO):
        [s(i) for i in range(8)]
    assert [r.getMessage() for r in caplog.records] == [
        "Update[3]: Change learning rate to 5.00000e-02",
        "Update[5]: now learning rate arrived at 3.00000e-02, will not "
        "change in the future",
        "Update[7]: now learning rate arrived at 3.00000e-02, will not "
        "change in the future"]
    caplog.clear()
    s = LR.MultiFactorScheduler([1, 2], 0.5, base_lr=1.0)
    with caplog.at_level(logging.INFO):
        s(5)
    assert [r.getMessage() for r in caplog.records] == [
        "Update[5]: Change learning rate to 5.00000e-01",
        "Update[5]: Change learning rate to 2.50000e-01"]


def test_attributes_are_mxnets():
    """Optimizers read and set these (base_lr above all)."""
    s = LR.PolyScheduler(10, base_lr=0.5, warmup_steps=3)
    assert (s.base_lr, s.base_lr_orig, s.power, s.max_update, s.max_steps,
            s.final_lr, s.warmup_final_lr, s.warmup_mode) == (
        0.5, 0.5, 2, 10, 7, 0, 0.5, "linear")
    s = LR.MultiFactorScheduler([3, 9])
    assert (s.step, s.cur_step_ind, s.count, s.factor) == ([3, 9], 0, 0, 1)
    s = LR.FactorScheduler(4)
    assert (s.step, s.factor, s.stop_factor_lr, s.count) == (4, 1, 1e-8, 0)
    assert issubclass(LR.CosineScheduler, LR.LRScheduler)


# (name, expression, error class, message regex). MXNet's asserts carry no
# message; kiln's name the value.
BAD_ARGUMENTS = [
    ("base_call", "S.LRScheduler()(3)", NotImplementedError,
     "must override this"),
    ("warmup_float", "S.LRScheduler(warmup_steps=2.0)", AssertionError,
     "warmup_steps must be an int, got 2.0"),
    ("warmup_negative", "S.LRScheduler(warmup_steps=-1)", ValueError,
     "Warmup steps has to be positive or 0"),
    ("warmup_begin_above", "S.FactorScheduler(2, base_lr=0.1, "
     "warmup_begin_lr=0.2)", ValueError,
     "Base lr has to be higher than warmup_begin_lr"),
    ("warmup_mode", "S.CosineScheduler(5, warmup_mode='cos')", ValueError,
     "Supports only linear and constant modes of warmup"),
    ("warmup_past", "S.LRScheduler(warmup_steps=3).get_warmup_lr(3)",
     AssertionError, "num_update 3 is past the 3 warmup steps"),
    ("factor_step", "S.FactorScheduler(0)", ValueError,
     "Schedule step must be greater or equal than 1 round"),
    ("factor_above_one", "S.FactorScheduler(2, factor=1.5)", ValueError,
     "Factor must be no more than 1 to make lr reduce"),
    ("multi_tuple", "S.MultiFactorScheduler((1, 2))", AssertionError,
     r"step must be a non-empty list, got \(1, 2\)"),
    ("multi_empty", "S.MultiFactorScheduler([])", AssertionError,
     r"step must be a non-empty list, got \[\]"),
    ("multi_not_increasing", "S.MultiFactorScheduler([3, 3])", ValueError,
     "Schedule step must be an increasing integer list"),
    ("multi_below_one", "S.MultiFactorScheduler([0, 3])", ValueError,
     "Schedule step must be greater or equal than 1 round"),
    ("multi_factor", "S.MultiFactorScheduler([1, 3], factor=2)",
     ValueError, "Factor must be no more than 1 to make lr reduce"),
    ("poly_float", "S.PolyScheduler(10.0)", AssertionError,
     "max_update must be an int, got 10.0"),
    ("poly_zero", "S.PolyScheduler(0)", ValueError,
     "maximum number of updates must be strictly positive"),
    ("cosine_zero", "S.CosineScheduler(0)", ValueError,
     "maximum number of updates must be strictly positive"),
    ("cosine_float", "S.CosineScheduler(3.5)", AssertionError,
     "max_update must be an int, got 3.5"),
]


@pytest.mark.parametrize("name,expression,error,message", BAD_ARGUMENTS,
                         ids=[case[0] for case in BAD_ARGUMENTS])
def test_bad_arguments_raise(name, expression, error, message):
    with pytest.raises(error, match=message):
        eval(expression, {"S": LR})


@requires_oracle
def test_mxnet_raises_the_same_errors():
    code = textwrap.dedent("""
        S = mx.lr_scheduler
        for name, expression in %r:
            try:
                eval(expression)
                outputs[name] = np.array(["accepted", ""])
            except Exception as error:
                outputs[name] = np.array([type(error).__name__, str(error)])
    """) % ([case[:2] for case in BAD_ARGUMENTS],)
    want = run_mxnet(code)
    for name, _, error, message in BAD_ARGUMENTS:
        kind, text = want[name]
        assert kind == error.__name__, (name, kind, text)
        if text:  # MXNet's message, where it has one, is kiln's
            assert text == message, (name, text)
