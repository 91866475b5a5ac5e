"""Profiling, with Apache MXNet's ``mx.profiler`` API.

    mx.profiler.set_config(profile_all=True, filename="trace.json",
                           aggregate_stats=True)
    mx.profiler.set_state("run")
    ...                                   # the code to profile
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()                    # Chrome trace: open in Perfetto
    print(mx.profiler.dumps())            # per-operator totals

Every op the engine runs is recorded with its device, worker thread, start and
duration; with ``profile_memory`` the bytes in use per device are recorded as
counters. ``profile_api`` and ``continuous_dump`` are accepted for
compatibility and have no effect yet: kiln has no separate C API layer to time,
and dumps happen when asked.
"""
import numbers as _numbers

from . import _core
from .base import KVStoreHandle, MXNetError

__all__ = ["set_config", "set_state", "dump", "dumps", "pause", "resume",
           "Domain", "Task", "Frame", "Event", "Counter", "Marker",
           "set_kvstore_handle",
           "profiler_set_config", "profiler_set_state", "dump_profile"]

# MXNet's ProfileConfigParam and its defaults.
_DEFAULTS = {
    "profile_all": False,
    "profile_symbolic": True,
    "profile_imperative": True,
    "profile_memory": True,
    "profile_api": True,
    "filename": "profile.json",
    "continuous_dump": False,
    "dump_period": 1.0,
    "aggregate_stats": False,
    "profile_process": "worker",
}
_BOOLEAN_KEYS = {"profile_all", "profile_symbolic", "profile_imperative",
                 "profile_memory", "profile_api", "continuous_dump",
                 "aggregate_stats"}


def _check_process(function, profile_process):
    if profile_process not in ("worker", "server"):
        raise MXNetError("profiler.%s: profile_process expected 'worker' or "
                         "'server', got %r" % (function, profile_process))


def set_config(**kwargs):
    """Sets up the profiler. Keys as in MXNet: ``filename``, ``profile_all``,
    ``profile_symbolic``, ``profile_imperative``, ``profile_memory``,
    ``profile_api``, ``aggregate_stats``, ``continuous_dump``,
    ``dump_period``, ``profile_process``. Unknown keys are an error."""
    config = dict(_DEFAULTS)
    for key, value in kwargs.items():
        if key not in _DEFAULTS:
            raise MXNetError("profiler.set_config: unknown argument %r; "
                             "expected one of %s"
                             % (key, ", ".join(sorted(_DEFAULTS))))
        if key in _BOOLEAN_KEYS and not isinstance(value, (bool, int)):
            raise MXNetError("profiler.set_config: %s expected a bool, got %r"
                             % (key, value))
        config[key] = value
    if not isinstance(config["filename"], str) or not config["filename"]:
        raise MXNetError("profiler.set_config: filename expected a non-empty "
                         "str, got %r" % (config["filename"],))
    _check_process("set_config", config["profile_process"])
    everything = bool(config["profile_all"])
    operators = everything or bool(config["profile_symbolic"]) or bool(
        config["profile_imperative"])
    memory = everything or bool(config["profile_memory"])
    _core.profiler.set_config(config["filename"], operators, memory,
                              bool(config["aggregate_stats"]))


def set_state(state="stop", profile_process="worker"):
    """Starts (``'run'``) or stops (``'stop'``) recording."""
    _check_process("set_state", profile_process)
    if state not in ("run", "stop"):
        raise MXNetError("profiler.set_state: state expected 'run' or 'stop', "
                         "got %r" % (state,))
    _core.profiler.set_running(state == "run")


def state():
    """``'run'`` or ``'stop'``."""
    return "run" if _core.profiler.running() else "stop"


def dump(finished=True, profile_process="worker"):
    """Writes the recorded events to the configured file as Chrome trace JSON.
    ``finished`` drops the events written, so the next dump has only newer
    ones."""
    _check_process("dump", profile_process)
    _core.profiler.dump(bool(finished))


def dumps(reset=False, format="table", sort_by="total", ascending=False):
    """The aggregate statistics (needs ``aggregate_stats=True``) as a table or
    JSON. ``sort_by``: ``'total'``, ``'avg'``, ``'min'``, ``'max'`` or
    ``'count'``."""
    return _core.profiler.dumps(bool(reset), format, sort_by, bool(ascending))


def pause(profile_process="worker"):
    """Suspends recording without leaving the ``'run'`` state."""
    _check_process("pause", profile_process)
    _core.profiler.pause()


def resume(profile_process="worker"):
    """Resumes recording after :func:`pause`."""
    _check_process("resume", profile_process)
    _core.profiler.resume()


# MXNet's deprecated spellings.
def profiler_set_config(mode="symbolic", filename="profile.json"):
    if mode not in ("symbolic", "all"):
        raise MXNetError("profiler_set_config: mode expected 'symbolic' or "
                         "'all', got %r" % (mode,))
    set_config(profile_all=(mode == "all"), filename=filename)


def profiler_set_state(state="stop"):
    set_state(state)


def dump_profile():
    dump(True)


class Domain:
    """A group of user-defined events; names are prefixed with it."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)


class _Span:
    """A named interval recorded between start() and stop(), or as a
    ``with`` block."""

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name
        self._start = None

    def _full_name(self):
        return "%s::%s" % (self.domain, self.name) if self.domain else self.name

    def start(self):
        self._start = _core.profiler.now_ns()

    def stop(self):
        if self._start is None:
            raise MXNetError("profiler: stop() of %r before start()"
                             % (self._full_name(),))
        _core.profiler.record_event(self._full_name(), self._start,
                                    _core.profiler.now_ns())
        self._start = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class Task(_Span):
    """MXNet's profiler.Task(domain, name)."""


class Frame(_Span):
    """MXNet's profiler.Frame(domain, name)."""


class Event(_Span):
    """MXNet's profiler.Event(name)."""

    def __init__(self, name):
        super().__init__(None, name)


def _qualified(domain, name):
    return "%s::%s" % (domain, name) if domain else name


class Counter:
    """MXNet's profiler.Counter(domain, name, value=None): an integer shown
    as a counter track in the trace; each set_value/increment/decrement
    (also += and -=) records its new value while the profiler runs.

    Raises TypeError for a value that is not an integer."""

    def __init__(self, domain, name, value=None):
        self.domain = domain
        self.name = name
        self._value = 0
        if value is not None:
            self.set_value(value)

    @staticmethod
    def _checked(value, what):
        if isinstance(value, bool) or not isinstance(value, _numbers.Integral):
            raise TypeError("profiler.Counter: %s expected an integer, got %r"
                            % (what, value))
        return int(value)

    def set_value(self, value):
        self._value = self._checked(value, "value")
        _core.profiler.record_counter(_qualified(self.domain, self.name),
                                      self._value)

    def increment(self, delta=1):
        self.set_value(self._value + self._checked(delta, "delta"))

    def decrement(self, delta=1):
        self.set_value(self._value - self._checked(delta, "delta"))

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return _qualified(self.domain, self.name)


class Marker:
    """MXNet's profiler.Marker(domain, name): mark(scope) records an instant
    event in the trace. scope: 'global', 'process' (default) or 'thread'
    ('task' and 'marker', which MXNet also names, mark the thread); any other
    value raises MXNetError."""

    _SCOPES = {"global": "global", "process": "process", "thread": "thread",
               "task": "thread", "marker": "thread"}

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name

    def mark(self, scope="process"):
        _core.profiler.record_marker(_qualified(self.domain, self.name),
                                     self._SCOPES.get(scope, scope))


# MXNet's handle of the kvstore whose servers set_kvstore_handle profiles;
# an empty one (c_void_p(None)) as long as there is none, as in MXNet.
profiler_kvstore_handle = KVStoreHandle()


def set_kvstore_handle(handle):
    """MXNet's hook for profiling a distributed kvstore's servers; kiln has
    no distributed kvstore yet, so it raises MXNetError."""
    raise MXNetError("profiler.set_kvstore_handle: kiln has no distributed "
                     "kvstore yet")

