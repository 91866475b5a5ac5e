"""The ``mxnet`` name for kiln, so MXNet programs run unchanged.

``import mxnet`` gives the kiln package itself, and ``import mxnet.X`` gives
``kiln.X`` (the same module object, so classes and state are shared).
"""
import importlib
import importlib.abc
import importlib.util
import sys

import kiln as _kiln


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``mxnet.<name>`` to the already-importable ``kiln.<name>``."""

    _PREFIX = "mxnet."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self._PREFIX):
            return None
        target_name = "kiln." + fullname[len(self._PREFIX):]
        if importlib.util.find_spec(target_name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("kiln." + spec.name[len(self._PREFIX):])

    def exec_module(self, module):
        pass  # Already executed as kiln.<name>.


if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())

sys.modules[__name__] = _kiln
