"""mx.gluon.utils: data-parallel helpers and small tools of Gluon.

As MXNet 1.9.1's `mxnet/gluon/utils.py`:

    parts = gluon.utils.split_data(batch, 2)            # two NDArrays
    on_devices = gluon.utils.split_and_load(batch, [mx.cpu(0), mx.cpu(1)])
    norm = gluon.utils.clip_global_norm(grads, 1.0)     # rescales in place
    gluon.utils.check_sha1("file.params", "0123...")    # True / False
    gluon.utils.download(url, path="data/")             # the file's path

`download` fetches with Python's urllib (MXNet uses `requests`); a URL
that is a local path (or file://) is copied, and an existing file with the
right hash is kept, so code that "downloads" data it already has runs
offline. Without a network it raises MXNetError saying where to put the
file. The private helpers (_indent, _brief_print_list, HookHandle,
shape_is_known) are those the other Gluon modules use, as in MXNet.
"""
import collections
import hashlib
import os
import shutil
import uuid
import warnings
import weakref

import numpy as np

from .. import ndarray
from ..base import MXNetError
from ..util import is_np_shape

__all__ = ["split_data", "split_and_load", "clip_global_norm",
           "check_sha1", "download", "replace_file"]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Splits NDArray `data` into `num_slice` pieces along `batch_axis`.

    Returns a list of NDArrays (one even when num_slice is 1). With
    even_split (default), ValueError when `num_slice` does not divide the
    axis; otherwise the first pieces take one row more, as MXNet's.
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            "data with shape %s cannot be evenly split into %d slices along "
            "axis %d. Use a batch size that's multiple of %d or set "
            "even_split=False to allow uneven partitioning of data."
            % (str(data.shape), num_slice, batch_axis, num_slice))
    each, extra = divmod(size, num_slice)
    bounds = np.cumsum([0] + [each + 1] * extra +
                       [each] * (num_slice - extra)).tolist()
    if batch_axis == 0:
        # Basic indexing: pieces share memory with `data`, as MXNet's.
        return [data[bounds[i]:bounds[i + 1]] for i in range(num_slice)]
    return [ndarray.slice_axis(data, axis=batch_axis, begin=bounds[i],
                               end=bounds[i + 1]) for i in range(num_slice)]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Splits `data` (an NDArray, or anything mx.nd.array takes) into
    len(ctx_list) pieces along `batch_axis` and puts piece i on
    ctx_list[i]; a list of NDArrays."""
    if not isinstance(data, ndarray.NDArray):
        data = ndarray.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    pieces = split_data(data, len(ctx_list), batch_axis, even_split)
    return [piece.as_in_context(ctx) for piece, ctx in zip(pieces, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scales the NDArrays `arrays` in place so that the 2-norm of all of
    them together is at most `max_norm`. Returns that norm before scaling:
    a float, or (check_isfinite=False, without waiting for it) an NDArray
    of shape (1,). With check_isfinite a UserWarning says when it is nan
    or inf."""
    if len(arrays) == 0:
        raise AssertionError("clip_global_norm: expected at least one array")
    ctx = arrays[0].context

    def squared_norm(array):
        flat = array.reshape((-1,))
        return ndarray.dot(flat, flat).as_in_context(ctx)
    total = ndarray.sqrt(ndarray.add_n(*[squared_norm(a) for a in arrays]))
    if check_isfinite and not np.isfinite(total.asscalar()):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results "
                                  "will be undefined."), stacklevel=2)
    scale = max_norm / (total + 1e-8)
    scale = ndarray.min(ndarray.concat(scale, ndarray.ones(1, ctx=ctx),
                                       dim=0))
    for array in arrays:
        array *= scale.as_in_context(array.context)
    return total.asscalar() if check_isfinite else total


def _indent(text, spaces):
    """`text` with every line but the first indented by `spaces`."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 of the file's bytes is `sha1_hash` (hex digits)."""
    digest = hashlib.sha1()
    with open(filename, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Moves `src` onto `dst` atomically (one file system); OSError, with
    `src` removed, when that fails."""
    try:
        os.replace(src, dst)
    except OSError:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError("Moving downloaded temp file - %s, to %s failed. "
                      "Please retry the download." % (src, dst))


def _local_source(url):
    """The local file a URL names (a path or file://...), else None."""
    if url.startswith("file://"):
        return url[len("file://"):]
    if "://" not in url and os.path.exists(os.path.expanduser(url)):
        return os.path.expanduser(url)
    return None


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5,
             verify_ssl=True):
    """Fetches `url` into `path` (a file, or a folder to put the URL's last
    component in; default: that name in the current folder) and returns
    the file's path.

    A file already there is kept unless `overwrite` or its SHA-1 differs
    from `sha1_hash`. `url` may be a local path or a file:// URL (copied).
    Over the network it is tried `retries` + 1 times; MXNetError names the
    URL and the file to create by hand when it cannot be fetched (no
    network), UserWarning when the fetched file's hash is not `sha1_hash`.
    """
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise AssertionError("Can't construct file-name from this URL. "
                                 "Please set the `path` option manually.")
    else:
        path = os.path.expanduser(path)
        fname = (os.path.join(path, url.split("/")[-1])
                 if os.path.isdir(path) else path)
    if retries < 0:
        raise AssertionError("Number of retries should be at least 0, "
                             "currently it's %d" % retries)
    if not verify_ssl:
        warnings.warn("Unverified HTTPS request is being made "
                      "(verify_ssl=False). Adding certificate verification "
                      "is strongly advised.")
    if not (overwrite or not os.path.exists(fname) or
            (sha1_hash and not check_sha1(fname, sha1_hash))):
        return fname
    folder = os.path.dirname(os.path.abspath(fname))
    os.makedirs(folder, exist_ok=True)
    temporary = "%s.%s" % (fname, uuid.uuid4())
    source = _local_source(url)
    if source is not None:
        shutil.copyfile(source, temporary)
    else:
        _fetch(url, temporary, fname, retries, verify_ssl)
    replace_file(temporary, fname)
    if sha1_hash and not check_sha1(fname, sha1_hash):
        raise UserWarning("File %s is downloaded but the content hash does "
                          "not match. The repo may be outdated or download "
                          "may be incomplete. If the \"repo_url\" is "
                          "overridden, consider switching to the default "
                          "repo." % fname)
    return fname


def _fetch(url, target, fname, retries, verify_ssl):
    """Writes the body of `url` to `target`, trying retries + 1 times."""
    import ssl
    import urllib.request
    context = None if verify_ssl else ssl._create_unverified_context()
    error = None
    for _ in range(retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=30,
                                        context=context) as response, \
                    open(target, "wb") as handle:
                shutil.copyfileobj(response, handle)
            return
        except Exception as caught:  # network errors come in many classes
            error = caught
    if os.path.exists(target):
        os.remove(target)
    raise MXNetError("download: cannot fetch %s (%s: %s). Without a network, "
                     "put the file at %s yourself (or pass its local path "
                     "as the url)" % (url, type(error).__name__, error,
                                      os.path.abspath(fname)))


def _get_repo_url():
    """The base URL of Gluon's data and model repository ($MXNET_GLUON_REPO
    or MXNet's default), ending in '/'."""
    url = os.environ.get("MXNET_GLUON_REPO",
                         "https://apache-mxnet.s3-accelerate.dualstack."
                         "amazonaws.com/")
    return url if url.endswith("/") else url + "/"


def _get_repo_file_url(namespace, filename):
    """The repository URL of `filename` under `namespace`."""
    return "%s%s/%s" % (_get_repo_url(), namespace, filename)


def _brief_print_list(items, limit=7):
    """"'a', 'b', ..., 'z'": at most `limit` quoted items."""
    items = list(items)
    if len(items) > limit:
        return (_brief_print_list(items[:limit // 2], limit) + ", ..., " +
                _brief_print_list(items[-limit // 2:], limit))
    return ", ".join("'%s'" % str(item) for item in items)


class HookHandle(object):
    """The handle register_forward_hook returns: detach() removes the hook
    (also on leaving a `with` block)."""

    def __init__(self):
        self._hooks_dict_ref = None
        self._id = None

    def attach(self, hooks_dict, hook):
        if self._hooks_dict_ref:
            raise AssertionError("The same handle cannot be attached twice.")
        self._id = id(hook)
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self):
        hooks = self._hooks_dict_ref() if self._hooks_dict_ref else None
        if hooks is not None:
            hooks.pop(self._id, None)

    def __getstate__(self):
        return (self._hooks_dict_ref(), self._id)

    def __setstate__(self, state):
        hooks = state[0] if state[0] is not None else \
            collections.OrderedDict()
        self._hooks_dict_ref = weakref.ref(hooks)
        self._id = state[1]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.detach()


def shape_is_known(shape):
    """Whether every extent of `shape` is known (not 0; -1 in numpy shape
    mode); None is unknown. AssertionError for a negative extent."""
    if shape is None:
        return False
    unknown = -1 if is_np_shape() else 0
    if len(shape) == 0:
        return unknown == -1
    for extent in shape:
        if extent == unknown:
            return False
        if extent <= unknown:
            raise AssertionError("shape dimension size cannot be less than "
                                 "%d, while received %d" % (unknown, extent))
    return True
