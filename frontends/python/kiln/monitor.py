"""mx.mon / mx.monitor: statistics of a symbolic graph's arrays while it
trains, for debugging, as MXNet 1.9.1's mxnet/monitor.py.

    mon = mx.mon.Monitor(100, pattern='.*weight|.*output')
    mod.fit(train, num_epoch=1, monitor=mon)    # or mon.install(executor)
    # every 100 batches, per array: logging.info('Batch: ... name stat')

A Monitor installed on Executors (mon.install(exe), or Module's
install_monitor) receives every operator output the executor computes
(and, with monitor_all, every operator input) through
Executor.set_monitor_callback; tic() before a batch's forward starts
collecting on every `interval`-th batch, and toc() after it adds the
executors' arguments and auxiliary states and returns
[(batch, name, text)], text being each statistic's value followed by a
tab (a (1,)-shaped statistic as its scalar, any other as its numpy array).
"""
import logging
import re
from math import sqrt

from . import ndarray
from .base import py_str
from .ndarray import NDArray

__all__ = ["Monitor"]


def _norm_stat(array):
    """MXNet's default statistic: the 2-norm over sqrt(size), a (1,)
    NDArray (computed asynchronously)."""
    return ndarray.norm(array) / sqrt(array.size)


class Monitor(object):
    """Collects `stat_func` of the arrays whose names match `pattern`.

    Parameters
    ----------
    interval : int
        Collect on every interval-th batch (the first one included).
    stat_func : function NDArray -> NDArray or list of NDArray, optional
        The statistic; default norm(x) / sqrt(x.size).
    pattern : str, default '.*'
        A regular expression a name must match (re.match, from its
        start): e.g. '.*weight|.*output'.
    sort : bool, default False
        Sort toc()'s results by name.
    monitor_all : bool, default False
        Also collect the operators' inputs, not only their outputs.
    """

    def __init__(self, interval, stat_func=None, pattern=".*", sort=False,
                 monitor_all=False):
        self.stat_func = _norm_stat if stat_func is None else stat_func
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

        def stat_helper(name, array):
            """The executor's callback: queues the statistic of `array`
            while collecting, if `name` (str or bytes) matches."""
            name = py_str(name) if isinstance(name, bytes) else name
            if self.activated and self.re_prog.match(name):
                self.queue.append((self.step, name, self.stat_func(array)))
        self.stat_helper = stat_helper

    def install(self, exe):
        """Sets this monitor as `exe`'s monitor callback (an Executor, from
        Symbol.bind or simple_bind); several executors may share it."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def _wait_for_arrays(self):
        for exe in self.exes:
            for array in list(exe.arg_arrays) + list(exe.aux_arrays):
                array.wait_to_read()

    def tic(self):
        """Call before a batch's forward: starts collecting when the batch
        count is a multiple of `interval`, then counts the batch."""
        if self.step % self.interval == 0:
            self._wait_for_arrays()
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """Call after the batch: stops collecting and returns
        [(batch, name, text)] for the collected outputs, then each
        executor's matching arguments and auxiliary states ([] when this
        batch was not collected). AssertionError when stat_func returns
        neither an NDArray nor a list of them."""
        if not self.activated:
            return []
        self._wait_for_arrays()
        for exe in self.exes:
            symbol = exe._symbol
            named = (list(zip(symbol.list_arguments(), exe.arg_arrays)) +
                     list(zip(symbol.list_auxiliary_states(),
                              exe.aux_arrays)))
            for name, array in named:
                if self.re_prog.match(name):
                    self.queue.append((self.step, name,
                                       self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda entry: entry[1])
        results = []
        for step, name, stats in self.queue:
            if isinstance(stats, NDArray):
                stats = [stats]
            assert isinstance(stats, list), (
                "Monitor: stat_func must return an NDArray or a list of "
                "NDArray, got %s" % type(stats).__name__)
            text = ""
            for stat in stats:
                assert isinstance(stat, NDArray), (
                    "Monitor: stat_func must return an NDArray or a list of "
                    "NDArray, got a list holding %s" % type(stat).__name__)
                value = stat.asscalar() if stat.shape == (1,) else \
                    stat.asnumpy()
                text += str(value) + "\t"
            results.append((step, name, text))
        self.queue = []
        return results

    def toc_print(self):
        """toc(), each result logged with logging.info as
        'Batch: <batch> <name> <text>'."""
        for step, name, text in self.toc():
            logging.info("Batch: {:7d} {:30s} {:s}".format(step, name, text))
