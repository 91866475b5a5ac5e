"""What MNISTIter and CSVIter share: MXNet's C++ iterators, written in
Python for kiln.

MXNet 1.9.1 builds these iterators in C++ (src/io/) and reaches them
through ctypes; kiln writes them in Python with numpy. That suffices: the
files are parsed once, with numpy's C loops (np.frombuffer, np.loadtxt),
and a batch is one slice of an array already in memory, so an epoch costs
a few copies, far below the work of training on it.

A NativeIter is the batch source MXDataIter wraps (MXNet's C++ IIterator):
before_first() rewinds, next() makes the next batch current and says
whether there was one, and data, label (numpy arrays), pad and index
(numpy uint64 or None) describe it. make_creator turns a NativeIter class
into MXNet's keyword-only creator function (mx.io.MNISTIter(...)), which
parses its keywords as MXNet's dmlc::Parameter does (values are read from
their str(), unknown keywords are ignored) and raises MXNetError with
dmlc's message, prefixed by the iterator's name, for a bad one.
"""
import numpy as np

from ..base import MXNetError, build_param_doc
from .io import MXDataIter


class Param(object):
    """One keyword of a native iterator: its name, its dmlc type as MXNet's
    docstrings and messages spell it ('string', 'boolean', 'Shape(tuple)',
    'int', 'int (non-negative)', 'long (non-negative)'; or `choices`, the
    allowed values of an enum), default (absent = required), least value
    (ints) and help line."""

    _REQUIRED = object()

    def __init__(self, name, kind, default=_REQUIRED, doc="", lower=None,
                 choices=None):
        self.name = name
        self.kind = kind
        self.default = default
        self.doc = doc
        self.lower = lower
        self.choices = choices

    @property
    def required(self):
        return self.default is Param._REQUIRED

    def type_doc(self):
        """The type line of MXNet's generated docstring."""
        kind = _choices_doc(self.choices) + "," if self.choices else self.kind + ", "
        if self.required:
            return kind + "required"
        default = self.default
        if isinstance(default, tuple):
            default = "[%s]" % ",".join(map(str, default))
        elif isinstance(default, bool):
            default = int(default)
        elif default is None or isinstance(default, str) or self.kind == "int":
            default = "'%s'" % default
        return "%soptional, default=%s" % (kind, default)

    def parse(self, owner, value):
        """`value` as this parameter's Python value; MXNetError naming
        `owner` (the iterator) and the parameter where it is malformed."""
        text = str(value).strip()

        def malformed():
            return MXNetError("%s: Invalid Parameter format for %s expect %s "
                              "but value='%s'" % (owner, self.name, self.kind,
                                                  value))
        if self.choices:
            choice = None if text == "None" else text
            if choice not in self.choices:
                raise MXNetError("%s: Invalid Input: '%s', valid values are: "
                                 "%s (Parameter %s)"
                                 % (owner, value, _choices_doc(self.choices),
                                    self.name))
            return choice
        if self.kind == "string":
            return str(value)
        if self.kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise malformed()
        if self.kind == "Shape(tuple)":
            return _parse_shape(value, malformed)
        try:
            number = int(text)
        except ValueError:
            raise malformed() from None
        if self.lower is not None and number < self.lower:
            raise MXNetError("%s: value %d for Parameter %s should be "
                             "greater equal to %d"
                             % (owner, number, self.name, self.lower))
        return number


def _choices_doc(choices):
    return "{%s}" % ", ".join("None" if c is None else "'%s'" % c
                              for c in choices)


def _parse_shape(value, malformed):
    """A shape from a tuple/list of ints, an int, or text such as '(3, 2)',
    '[3,2]' or '3' (as dmlc's TShape reads it)."""
    if isinstance(value, (tuple, list)):
        items = list(value)
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        items = [value]
    else:
        text = str(value).strip()
        if text[:1] in "([" and text[-1:] in ")]":
            text = text[1:-1]
        items = [item for item in text.split(",") if item.strip()]
    try:
        shape = tuple(int(str(item).strip()) for item in items)
    except ValueError:
        raise malformed() from None
    if any(extent < 0 for extent in shape):
        raise malformed()
    return shape


class NativeIter(object):
    """Base of the batch sources MXDataIter wraps. Subclasses set NAME,
    DOC and PARAMS (a list of Param) and implement before_first() and
    next(); __init__ parses the keywords into self.param (a dict)."""

    NAME = None
    DOC = ""
    PARAMS = []

    def __init__(self, kwargs):
        self.param = {}
        for param in self.PARAMS:
            if param.name in kwargs:
                self.param[param.name] = param.parse(self.NAME, kwargs[param.name])
            elif param.required:
                raise MXNetError("%s: Required parameter %s of %s is not "
                                 "presented" % (self.NAME, param.name, param.kind))
            else:
                self.param[param.name] = param.default
        self.data = None
        self.label = None
        self.pad = 0
        self.index = None

    def before_first(self):
        """Rewinds to the first batch."""
        raise NotImplementedError

    def next(self):
        """Makes the next batch current; False where there is none."""
        raise NotImplementedError


# The keywords of MXNet's PrefetcherIter, which wraps every C++ iterator.
# kiln reads batches in the caller's thread and keeps them on the CPU, so
# prefetch_buffer and ctx are accepted and have no effect.
PREFETCH_PARAMS = [
    Param("prefetch_buffer", "long (non-negative)", 4,
          "Maximum number of batches to prefetch.", lower=0),
    Param("ctx", "enum", "gpu", "Context data loader optimized for.",
          choices=("cpu", "gpu")),
]

_DTYPES = (None, "bfloat16", "float16", "float32", "float64", "int32",
           "int64", "int8", "uint8")


def dtype_param():
    """The `dtype` keyword of MXNet's PrefetcherIter."""
    return Param("dtype", "enum", None,
                 "Output data type. ``None`` means no change.",
                 choices=_DTYPES)


def make_creator(native_class):
    """MXNet's creator function for `native_class`: keyword arguments only
    (TypeError otherwise, after the keywords are checked, as in MXNet);
    returns an MXDataIter over a new native_class(kwargs), which passes
    data_name and label_name on to MXDataIter."""
    name = native_class.NAME

    def creator(*args, **kwargs):
        handle = native_class(kwargs)
        if args:
            raise TypeError("%s can only accept keyword arguments" % name)
        return MXDataIter(handle, **kwargs)

    params = [p for p in native_class.PARAMS
              if not p.name.startswith("_")]
    creator.__name__ = creator.__qualname__ = name
    creator.__doc__ = "%s\n\n%s\nReturns\n-------\nMXDataIter\n    The result iterator." % (
        native_class.DOC, build_param_doc([p.name for p in params],
                                          [p.type_doc() for p in params],
                                          [p.doc for p in params]))
    return creator
