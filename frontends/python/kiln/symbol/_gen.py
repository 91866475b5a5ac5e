"""mx.sym.<op> from kiln's operator registry, as _op_gen makes mx.nd.<op>.

Each function takes input symbols (positionally, or by input name), the
operator's attributes (Python values, sent as MXNet strings), `name` (else
automatic from the op name under mx.name's manager) and `attr` (user
attributes, merged with mx.AttrScope's). Inputs left out become variables
named <name>_<input> (fullyconnected0_weight), as in MXNet. As MXNet's,
__dunder__ keywords (__layout__) and MXNet's hidden keys by their plain
names (lr_mult, ctx_group: stored as __lr_mult__, __ctx_group__) become
attributes of the node; other keywords of an operator without parameters
are ignored, and so is `ctx` of the init operators (_zeros, _ones, _full,
_arange), which MXNet records but kiln's JSON reader would refuse.
"""
from .. import _core
from .._op_gen import CONTEXT_OPS, _dtype_names, module_of
from . import symbol as _symbol


def make_symbol_operator(op_name, input_names, attr_specs, doc, func_name,
                         module, hint=None):
    """The mx.sym function for the registry operator `op_name`; hint: the
    automatic node names' stem (default: op_name lowercased; populate
    passes func_name lowercased, as MXNet's register.py does)."""
    variadic = len(input_names) == 1 and input_names[0].startswith("*")
    names = [input_name.rstrip("?") for input_name in input_names]
    attr_names = [attr for attr, _ in attr_specs]
    # Attributes without a default (slice_axis's end), which None is a
    # value of: MXNet records them as "None".
    required = {attr for attr, default in attr_specs if default is None}

    def operator(*args, **kwargs):
        name = kwargs.pop("name", None)
        attr = kwargs.pop("attr", None)
        kwargs.pop("out", None)
        positional, named, params = {}, {}, {}
        if variadic:
            symbols = list(args)
            given = kwargs.pop(names[0][1:], None)
            if given is not None:
                symbols.extend(given if isinstance(given, (list, tuple))
                               else [given])
            for index, value in enumerate(symbols):
                if not isinstance(value, _symbol.Symbol):
                    raise TypeError("%s: positional arguments must be "
                                    "Symbols, got %s for input %d"
                                    % (op_name, type(value).__name__, index))
                positional[index] = value
            kwargs.setdefault("num_args", len(symbols))
        else:
            # Positional values are the inputs, then the attributes in
            # order, as MXNet's generated signatures (reshape(x, (2, 2))).
            # By the registry's input names, so an optional input left as
            # None shifts nothing (CTCLoss(data, label, None, lengths)).
            for index, value in enumerate(args[:len(names)]):
                if value is None:
                    continue
                if not isinstance(value, _symbol.Symbol):
                    raise TypeError("%s: input '%s' expected a Symbol, got "
                                    "%s" % (op_name, names[index],
                                            type(value).__name__))
                if names[index] in kwargs:
                    raise TypeError("%s() got multiple values for argument "
                                    "'%s'" % (op_name, names[index]))
                kwargs[names[index]] = value
            extra = args[len(names):]
            if len(extra) > len(attr_names):
                raise TypeError("%s() takes at most %d positional arguments "
                                "(%d given)" % (op_name, len(names) +
                                                len(attr_names), len(args)))
            for attr_name, value in zip(attr_names, extra):
                if attr_name in kwargs:
                    raise TypeError("%s() got multiple values for argument "
                                    "'%s'" % (op_name, attr_name))
                kwargs[attr_name] = value
        for key, value in list(kwargs.items()):
            if isinstance(value, _symbol.Symbol):
                named[key] = value
            elif value is not None or key in required:
                params[key] = value
        if op_name in CONTEXT_OPS:
            # MXNet records ctx on its init ops' nodes; kiln's take none
            # (and its JSON reader would refuse one), so it is left out.
            params.pop("ctx", None)
        if not attr_names and not variadic:
            # Operators without parameters take any key. MXNet records them
            # all; kiln keeps the __dunder__ ones (and hidden keys), which
            # its JSON reader takes, and leaves the others out.
            params = {key: value for key, value in params.items()
                      if _symbol._is_user_attr(_symbol._node_key(key))}
        _dtype_names(params)
        strings = {key: _symbol._attr_string(value)
                   for key, value in params.items()}
        return _symbol._compose_node(op_name, positional, named, strings,
                                     name, attr, hint or op_name.lower())

    operator.__name__ = operator.__qualname__ = func_name
    operator.__doc__ = "%s(%s)\n\n%s\n\nReturns a Symbol. Attributes: %s" % (
        func_name, ", ".join(names + attr_names + ["name", "attr"]), doc,
        ", ".join(attr_names) or "none")
    operator.__module__ = module
    return operator


def populate(namespace, submodule):
    """Defines in `namespace` every registry operator module_of puts in
    `submodule`; returns their names."""
    names = []
    for name, input_names, attr_specs, doc in _core.list_ops():
        where, func_name = module_of(name)
        if where != submodule:
            continue
        # MXNet names nodes after the function, not the registered op
        # (contrib.AdaptiveAvgPooling2D: adaptiveavgpooling2d0).
        namespace[func_name] = make_symbol_operator(
            name, input_names, attr_specs, doc, func_name,
            namespace.get("__name__"), hint=func_name.lower())
        names.append(func_name)
    return names


__all__ = ["make_symbol_operator", "populate"]
