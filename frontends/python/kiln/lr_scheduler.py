"""mx.lr_scheduler: the learning rate as a function of the update count.

As MXNet 1.9.1's `mxnet/lr_scheduler.py`. A scheduler is called with
num_update (the most updates any weight has had) and returns the learning
rate; an optimizer given ``lr_scheduler=`` calls it before each update (and
sets its `base_lr` from ``learning_rate``).

    sched = mx.lr_scheduler.FactorScheduler(step=100, factor=0.5, base_lr=0.1,
                                            warmup_steps=10)
    sched(5)      # 0.05: warming up linearly from 0 to 0.1
    sched(250)    # 0.025: halved after updates 100 and 200

Every scheduler warms up first for `warmup_steps` updates: linearly from
`warmup_begin_lr` to `base_lr` (warmup_mode "linear") or held at
`warmup_begin_lr` ("constant"). Factor and MultiFactor keep state (their
decayed base_lr), so calls are expected in increasing num_update; a jump
ahead applies every step passed, as MXNet (resuming from a checkpoint).

Errors are MXNet's: ValueError for a negative warmup, warmup_begin_lr above
base_lr, an unknown warmup mode, a step below 1, a factor above 1, steps not
increasing, max_update below 1; AssertionError for a warmup_steps or
max_update that is not an int, or a MultiFactor step that is not a
non-empty list.
"""
import logging
from math import cos, pi


class LRScheduler(object):
    """Base of the schedulers (subclasses define `__call__`).

    base_lr: float, the learning rate (0.01). warmup_steps: int >= 0
    updates of warmup (0). warmup_begin_lr: float, where warmup starts (0;
    at most base_lr). warmup_mode: "linear" or "constant".
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode="linear"):
        self.base_lr = base_lr
        if not isinstance(warmup_steps, int):
            raise AssertionError("warmup_steps must be an int, got %r"
                                 % (warmup_steps,))
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise ValueError("Base lr has to be higher than warmup_begin_lr")
        if self.warmup_steps < 0:
            raise ValueError("Warmup steps has to be positive or 0")
        if warmup_mode not in ("linear", "constant"):
            raise ValueError("Supports only linear and constant modes of "
                             "warmup")
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """The learning rate at update num_update < warmup_steps
        (AssertionError otherwise)."""
        if not num_update < self.warmup_steps:
            raise AssertionError("get_warmup_lr: num_update %r is past the "
                                 "%d warmup steps"
                                 % (num_update, self.warmup_steps))
        if self.warmup_mode == "linear":
            span = self.warmup_final_lr - self.warmup_begin_lr
            return (self.warmup_begin_lr +
                    span * float(num_update) / float(self.warmup_steps))
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        raise ValueError("Invalid warmup mode %s" % self.warmup_mode)

    def __call__(self, num_update):
        """The learning rate after num_update updates."""
        raise NotImplementedError("must override this")


def _check_factor(factor):
    if factor > 1.0:
        raise ValueError("Factor must be no more than 1 to make lr reduce")


_STEP_BELOW_ONE = "Schedule step must be greater or equal than 1 round"


class FactorScheduler(LRScheduler):
    """base_lr * factor ** floor((num_update - 1) / step) after warmup,
    never below stop_factor_lr (1e-8): the rate drops after updates step,
    2 * step, ... and each drop is logged (logging.info). step >= 1,
    factor <= 1 (1: constant)."""

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"):
        super(FactorScheduler, self).__init__(base_lr, warmup_steps,
                                              warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError(_STEP_BELOW_ONE)
        _check_factor(factor)
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # A loop, not an if: a resumed run may jump several steps at once.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info("Update[%d]: now learning rate arrived at "
                             "%0.5e, will not change in the future",
                             num_update, self.base_lr)
            else:
                logging.info("Update[%d]: Change learning rate to %0.5e",
                             num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """base_lr * factor ** k after warmup, k the number of entries of
    `step` (a strictly increasing list of ints >= 1) below num_update; each
    drop is logged. factor <= 1."""

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode="linear"):
        super(MultiFactorScheduler, self).__init__(
            base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not (isinstance(step, list) and len(step) >= 1):
            raise AssertionError("MultiFactorScheduler: step must be a "
                                 "non-empty list, got %r" % (step,))
        for i, value in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise ValueError("Schedule step must be an increasing "
                                 "integer list")
            if value < 1:
                raise ValueError(_STEP_BELOW_ONE)
        _check_factor(factor)
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while (self.cur_step_ind < len(self.step) and
               num_update > self.step[self.cur_step_ind]):
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info("Update[%d]: Change learning rate to %0.5e",
                         num_update, self.base_lr)
        return self.base_lr


class _AnnealScheduler(LRScheduler):
    """After warmup, final_lr + (base_lr - final_lr) * self._curve(t) with
    t = num_update - warmup_steps, up to max_update (an int >= 1); the rate
    stays where it is after that."""

    def __init__(self, max_update, base_lr, final_lr, warmup_steps,
                 warmup_begin_lr, warmup_mode):
        super(_AnnealScheduler, self).__init__(base_lr, warmup_steps,
                                               warmup_begin_lr, warmup_mode)
        if not isinstance(max_update, int):
            raise AssertionError("max_update must be an int, got %r"
                                 % (max_update,))
        if max_update < 1:
            raise ValueError("maximum number of updates must be strictly "
                             "positive")
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            curve = self._curve(num_update - self.warmup_steps)
            self.base_lr = (self.final_lr +
                            (self.base_lr_orig - self.final_lr) * curve)
        return self.base_lr


class PolyScheduler(_AnnealScheduler):
    """final_lr + (base_lr - final_lr) * (1 - t / (max_update -
    warmup_steps)) ** pwr after warmup, t = num_update - warmup_steps:
    final_lr (0) from max_update on. pwr default 2."""

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"):
        super(PolyScheduler, self).__init__(max_update, base_lr, final_lr,
                                            warmup_steps, warmup_begin_lr,
                                            warmup_mode)
        self.power = pwr

    def _curve(self, t):
        return pow(1 - float(t) / float(self.max_steps), self.power)


class CosineScheduler(_AnnealScheduler):
    """final_lr + (base_lr - final_lr) * (1 + cos(pi * t / (max_update -
    warmup_steps))) / 2 after warmup, t = num_update - warmup_steps:
    final_lr (0) from max_update on."""

    def __init__(self, max_update, base_lr=0.01, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"):
        super(CosineScheduler, self).__init__(max_update, base_lr, final_lr,
                                              warmup_steps, warmup_begin_lr,
                                              warmup_mode)

    def _curve(self, t):
        # (a * b) / 2 == a * (b / 2) exactly: MXNet's rates to the bit.
        return (1 + cos(pi * t / self.max_steps)) / 2


__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler",
           "PolyScheduler", "CosineScheduler"]
