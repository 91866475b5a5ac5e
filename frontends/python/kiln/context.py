"""Devices, with MXNet's names: mx.cpu(), mx.gpu(), mx.context.Context.

kiln computes on the CPU. GPU contexts can be named (mx.gpu(0) compares,
hashes and prints as in MXNet) but making or moving an array there raises
MXNetError; num_gpus() is 0.
"""
import threading as _threading
import warnings as _warnings

from .base import MXNetError, _MXClassPropertyMetaClass, classproperty, with_metaclass


class Context(with_metaclass(_MXClassPropertyMetaClass, object)):
    """A device: ``Context('cpu', 0)``, or a copy of another Context.

    device_type is 'cpu', 'gpu', 'cpu_pinned' or 'cpu_shared' (else
    KeyError, as MXNet). ``with ctx:`` makes it the current context of the thread
    for the block (what creation functions use when ctx is None).
    """

    _default_ctx = _threading.local()
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            if device_type not in Context.devstr2type:
                # KeyError, as MXNet's lookup in devstr2type raises.
                raise KeyError(
                    "Context: unknown device_type %r; expected one of %s"
                    % (device_type, sorted(Context.devstr2type)))
            self.device_typeid = Context.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old_ctx = None

    @property
    def device_type(self):
        """'cpu', 'gpu', 'cpu_pinned' or 'cpu_shared'."""
        return Context.devtype2str[self.device_typeid]

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __str__(self):
        return "%s(%d)" % (self.device_type, self.device_id)

    __repr__ = __str__

    def __enter__(self):
        self._old_ctx = current_context()
        Context._default_ctx.value = self
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        Context._default_ctx.value = self._old_ctx

    @classproperty
    def default_ctx(cls):
        """The thread's current context (deprecated in MXNet in favour of
        current_context(); assignable)."""
        _warnings.warn("Context.default_ctx is deprecated; use "
                       "mx.context.current_context()", DeprecationWarning)
        return current_context()

    @default_ctx.setter
    def default_ctx(cls, value):
        _warnings.warn("Context.default_ctx is deprecated; use `with ctx:` "
                       "or test_utils.set_default_context", DeprecationWarning)
        cls._default_ctx.value = value

    def empty_cache(self):
        """Returns cached memory to the system in MXNet (GPU pools); kiln's
        CPU pool keeps its blocks, so this does nothing."""


def cpu(device_id=0):
    """The CPU context (MXNet's ``mx.cpu()``); every id is the same host."""
    return Context("cpu", device_id)


def cpu_pinned(device_id=0):
    """Page-locked host memory in MXNet; plain host memory in kiln."""
    return Context("cpu_pinned", device_id)


def cpu_shared(device_id=0):
    """Shared host memory (what MXNet's data loaders pass between
    processes); plain host memory in kiln."""
    return Context("cpu_shared", device_id)


def gpu(device_id=0):
    """A GPU context. It can be named and compared; arrays on it raise
    MXNetError, since kiln has no GPU back end yet."""
    return Context("gpu", device_id)


def num_gpus():
    """How many GPUs kiln can use: 0."""
    return 0


def gpu_memory_info(device_id=0):
    """(free, total) bytes of a GPU in MXNet; MXNetError in kiln, which has
    no GPU back end."""
    raise MXNetError("gpu_memory_info: no GPU is available to kiln "
                     "(num_gpus() is 0)")


def current_context():
    """The thread's current context: cpu(0) unless a ``with ctx:`` block
    (or test_utils.set_default_context) says otherwise."""
    if not hasattr(Context._default_ctx, "value"):
        Context._default_ctx.value = Context("cpu", 0)
    return Context._default_ctx.value


__all__ = ["Context", "cpu", "cpu_pinned", "cpu_shared", "gpu", "num_gpus",
           "gpu_memory_info", "current_context"]
