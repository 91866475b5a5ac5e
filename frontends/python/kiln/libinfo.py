"""Where kiln's native library and headers are, as MXNet 1.9.1's
mxnet.libinfo says where libmxnet.so is.

kiln's native code is one extension module, kiln/_core.so; it plays the
part of libmxnet.so, so find_lib_path() returns it. kiln ships no C
headers and no TVM op configuration, so find_include_path and
find_conf_path raise RuntimeError listing the places looked at, as MXNet
does when its files are missing.
"""
import logging
import os
import platform

__version__ = "1.9.1"

_HERE = os.path.dirname(os.path.abspath(os.path.expanduser(__file__)))


def _from_env(variable, exists):
    """The absolute path in $variable when `exists` holds for it, else None
    (with MXNet's warning for a relative or missing one)."""
    value = os.environ.get(variable)
    if not value:
        return None
    if not exists(value):
        logging.warning("%s '%s' doesn't exist", variable, value)
    elif not os.path.isabs(value):
        logging.warning("%s should be an absolute path, instead of: %s",
                        variable, value)
    else:
        return value
    return None


def _library_names(prefix):
    """File names a library `prefix` may have on this platform."""
    if os.name == "nt":
        return [prefix + ".dll"]
    if platform.system() == "Darwin":
        return [prefix + ".dylib", prefix + ".so"]
    return [prefix + ".so"]


def find_lib_path(prefix="libmxnet"):
    """The native library files: a list of paths (str).

    $MXNET_LIBRARY_PATH wins when it names an existing file by an absolute
    path. prefix 'libmxnet' (the default) means kiln's own library,
    kiln/_core.so; any other prefix is looked for as <prefix>.so in the
    kiln package folder and the folders of $LD_LIBRARY_PATH. RuntimeError
    listing the candidates when none exists, as MXNet raises.
    """
    from_env = _from_env("MXNET_LIBRARY_PATH", os.path.isfile)
    if from_env:
        return [from_env]
    if prefix == "libmxnet":
        from . import _core
        return [os.path.abspath(_core.__file__)]
    folders = [_HERE]
    if os.name == "posix" and os.environ.get("LD_LIBRARY_PATH"):
        folders = [p.strip() for p in
                   os.environ["LD_LIBRARY_PATH"].split(":")] + folders
    candidates = [os.path.join(folder, name) for folder in folders
                  for name in _library_names(prefix)]
    found = [p for p in candidates if os.path.isfile(p)]
    if not found:
        raise RuntimeError("Cannot find the MXNet library.\nList of "
                           "candidates:\n" + "\n".join(candidates))
    return found


def find_include_path():
    """The folder of the C headers (str): $MXNET_INCLUDE_PATH, else the
    package's include/ folder. RuntimeError naming both places when there
    is none (kiln installs no headers)."""
    from_env = _from_env("MXNET_INCLUDE_PATH", os.path.isdir)
    if from_env:
        return from_env
    packaged = os.path.join(_HERE, "include/")
    if os.path.isdir(packaged):
        return packaged
    source = os.path.join(_HERE, "../../include/")
    if os.path.isdir(source):
        return source
    raise RuntimeError("Cannot find the MXNet include path in either " +
                       packaged + " or " + source + "\n")


def find_conf_path(prefix="tvmop"):
    """The TVM op configuration files (list of str): $MXNET_CONF_PATH, else
    <prefix>.conf beside the library. RuntimeError listing the candidates
    when none exists (kiln has no TVM ops, so by default there is none)."""
    from_env = _from_env("MXNET_CONF_PATH", os.path.isfile)
    if from_env:
        return from_env
    candidates = [os.path.join(_HERE, folder, prefix + ".conf")
                  for folder in ("../../lib/", "../../build/")]
    found = [p for p in candidates if os.path.isfile(p)]
    if not found:
        raise RuntimeError("Cannot find the TVM op config.\nList of "
                           "candidates:\n" + "\n".join(candidates))
    return found
