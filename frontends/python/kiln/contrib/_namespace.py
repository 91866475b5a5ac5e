"""Fills mx.contrib.ndarray / mx.contrib.symbol from mx.nd.contrib /
mx.sym.contrib."""

# mx.nd.contrib / mx.sym.contrib functions MXNet writes in Python over
# operators; mxnet.contrib.ndarray and .symbol hold operators only.
_PYTHON_LEVEL = frozenset([
    "foreach", "while_loop", "cond", "isnan", "isinf", "isfinite",
    "adamw_update", "mp_adamw_update", "multi_adamw_update",
    "multi_mp_adamw_update", "multi_lamb_update", "multi_mp_lamb_update",
    "rand_zipfian"])


def operator_functions(source, namespace):
    """Copies into `namespace` the public operator functions of module
    `source` (the same objects); returns their names, sorted."""
    names = []
    for name in dir(source):
        value = getattr(source, name)
        if (name.startswith("_") or name in _PYTHON_LEVEL or
                isinstance(value, type) or not callable(value)):
            continue
        namespace[name] = value
        names.append(name)
    return names
