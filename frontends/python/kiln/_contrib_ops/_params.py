"""Attributes of the Python-implemented contrib operators, parsed as
MXNet 1.9.1's dmlc parameters parse them.

    PARAMS = Params("_contrib_box_iou", [Param("format", enum("corner",
                                               "center"), "corner")])
    register(..., params=PARAMS.specs, parse=PARAMS.parse)

``parse(attrs)`` takes the attributes as MXNet strings and returns a
``Parsed`` (attribute access: parsed.format) with every declared value,
defaults filled in. Errors are MXNetErrors worded as MXNet's:
"Cannot find argument 'x', Possible Arguments: ...", "Invalid Parameter
format for topk expect int but value='1.5', in operator ...", "Invalid
Input: 'foo', valid values are: {...}", "Required parameter threshold of
float is not presented, in operator ...".
"""
import ast as _ast
import re as _re

from ..base import MXNetError

__all__ = ["Params", "Param", "FLOAT", "INT", "UINT", "ULONG", "BOOL",
           "FLOATS", "SHAPE", "enum", "REQUIRED"]

REQUIRED = object()


def _float(text):
    return float(text)


_DIGITS = _re.compile(r"\s*[+-]?[0-9]+\s*\Z")


def _bounded_int(low, high):
    """A parser of C++ `istream >> value` into an integer type of range
    [low, high]: decimal digits only ("1.5", "0x10", "5_0" refused) and
    ValueError outside the range, as the stream's failbit makes dmlc
    refuse the value."""
    def parse(text):
        if not _DIGITS.match(text):
            raise ValueError(text)
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value
    return parse


_int = _bounded_int(-2 ** 31, 2 ** 31 - 1)          # dmlc int (int32)
_dim = _bounded_int(-2 ** 63, 2 ** 63 - 1)          # a Shape's int64 dim
# unsigned types: the stream takes "-n" as well (wrapping it), so only
# the magnitude is bounded; kiln keeps the value as written
_uint32 = _bounded_int(-(2 ** 32 - 1), 2 ** 32 - 1)
_uint64 = _bounded_int(-(2 ** 64 - 1), 2 ** 64 - 1)


def _bool(text):
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(text)


def _tuple_of(convert):
    def parse(text):
        text = text.strip()
        if text.startswith(("(", "[")):
            value = _ast.literal_eval(text)
            values = list(value) if isinstance(value, (tuple, list)) \
                else [value]
        else:
            values = [text]
        return tuple(convert(str(item)) for item in values)
    return parse


def _shape(text):
    """A Shape: int64 dims, -1 (unknown) the only negative one taken;
    MXNetError worded as TShape's check for one below -1."""
    dims = _tuple_of(_dim)(text)
    for dim in dims:
        if dim < -1:
            raise MXNetError("Check failed: dim_size >= -1 (%d vs. -1) : "
                             "shape dim size must be >= -1, while received "
                             "%d" % (dim, dim))
    return dims


class _Kind(object):
    """A parameter type: its name in MXNet's messages and its parser."""

    def __init__(self, name, parse, choices=None):
        self.name = name
        self.parse = parse
        self.choices = choices


FLOAT = _Kind("float", _float)
INT = _Kind("int", _int)
# "int (non-negative)" is dmlc's uint32_t field, "long (non-negative)"
# its uint64_t one (workspace)
UINT = _Kind("int (non-negative)", _uint32)
ULONG = _Kind("long (non-negative)", _uint64)
BOOL = _Kind("boolean", _bool)
FLOATS = _Kind("tuple of <float>", _tuple_of(_float))
SHAPE = _Kind("Shape(tuple)", _shape)


def enum(*choices):
    """A string parameter taking one of `choices`."""
    return _Kind("enum", str, choices)


class Param(object):
    """One attribute: name, kind, default (REQUIRED when none) and the
    default's text in the functions' signatures."""

    def __init__(self, name, kind, default=REQUIRED):
        self.name = name
        self.kind = kind
        self.default = default

    def spec(self):
        return (self.name, None if self.default is REQUIRED
                else repr(self.default))


class Parsed(object):
    """Parsed attributes: one attribute per parameter."""

    def __init__(self, values):
        self.__dict__.update(values)

    def __repr__(self):
        return "Parsed(%s)" % ", ".join("%s=%r" % item for item in
                                        sorted(self.__dict__.items()))


class Params(object):
    """The parameters of operator `op_name`, in MXNet's order."""

    def __init__(self, op_name, params):
        self.op_name = op_name
        self.params = list(params)
        self.by_name = {param.name: param for param in self.params}

    @property
    def specs(self):
        """[(name, default text or None)] for _python_ops.register."""
        return [param.spec() for param in self.params]

    def _where(self, attrs):
        return "in operator %s(name=\"\"%s)" % (self.op_name, "".join(
            ", %s=\"%s\"" % item for item in sorted(attrs.items())))

    def parse(self, attrs):
        """A Parsed of `attrs` ({name: MXNet string}); MXNetError as
        MXNet's parameter parser words it."""
        values = {}
        for key, text in attrs.items():
            param = self.by_name.get(key)
            if param is None:
                raise MXNetError(
                    "Cannot find argument '%s', Possible Arguments:\n"
                    "----------------\n%s, %s" % (
                        key, "\n".join(p.name for p in self.params),
                        self._where(attrs)))
            kind = param.kind
            if kind.choices is not None:
                if text not in kind.choices:
                    raise MXNetError(
                        "Invalid Input: '%s', valid values are: {%s}, %s"
                        % (text, ", ".join("'%s'" % choice for choice in
                                           sorted(kind.choices)),
                           self._where(attrs)))
                values[key] = text
                continue
            try:
                values[key] = kind.parse(text)
            except (ValueError, SyntaxError, TypeError):
                raise MXNetError(
                    "Invalid Parameter format for %s expect %s but "
                    "value='%s', %s" % (key, kind.name, text,
                                        self._where(attrs)))
        for param in self.params:
            if param.name in values:
                continue
            if param.default is REQUIRED:
                raise MXNetError(
                    "Required parameter %s of %s is not presented, %s"
                    % (param.name, param.kind.name, self._where(attrs)))
            values[param.name] = param.default
        return Parsed(values)
