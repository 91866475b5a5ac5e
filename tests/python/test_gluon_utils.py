"""mx.gluon.utils against MXNet 1.9.1: split_data, split_and_load,
clip_global_norm (values, return types, the non-finite warning), and the
offline behaviour of download (local paths and file:// URLs copied, an
existing file with the right hash kept, a clear MXNetError without a
network), check_sha1 and HookHandle."""
import collections
import hashlib
import os

import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401  (attaches mx.gluon before __init__ does)
from kiln.gluon import utils
from mxnet_oracle import compare_outputs, requires_oracle, run_both

_SNIPPET = r'''
utils = mx.gluon.utils
x = mx.nd.array(np.arange(14, dtype=np.float32).reshape(7, 2))
for k, piece in enumerate(utils.split_data(x, 3, even_split=False)):
    outputs["uneven/%d" % k] = piece.asnumpy()
for k, piece in enumerate(utils.split_data(x[:6], 3)):
    outputs["even/%d" % k] = piece.asnumpy()
wide = mx.nd.array(np.arange(14, dtype=np.float32).reshape(2, 7))
for k, piece in enumerate(utils.split_data(wide, 3, batch_axis=1,
                                           even_split=False)):
    outputs["axis1/%d" % k] = piece.asnumpy()
try:
    utils.split_data(x, 2)
except ValueError as e:
    outputs["uneven_error"] = np.array(str(e))
for k, piece in enumerate(utils.split_and_load(
        np.arange(8, dtype=np.float32).reshape(4, 2), [mx.cpu(0), mx.cpu(1)])):
    outputs["loaded/%d" % k] = piece.asnumpy()
outputs["loaded_one"] = utils.split_and_load(x, [mx.cpu()])[0].asnumpy()
arrays = [mx.nd.ones((2, 2)) * 3, mx.nd.array([4, -4, 4])]
outputs["norm"] = np.array(utils.clip_global_norm(arrays, 1.0))
outputs["clipped0"] = arrays[0].asnumpy()
outputs["clipped1"] = arrays[1].asnumpy()
small = [mx.nd.ones((2, 2)) * 0.1]
norm = utils.clip_global_norm(small, 1.0, check_isfinite=False)
outputs["norm_nd"] = norm.asnumpy()
outputs["unclipped"] = small[0].asnumpy()
outputs["brief"] = np.array([utils._brief_print_list(range(10)),
                             utils._brief_print_list(["a", "b"])])
'''


@requires_oracle
def test_utils_behave_as_mxnet():
    got, want = run_both(_SNIPPET, mx)
    texts = [{key: str(value.tolist()) for key, value in outputs.items()
              if value.dtype.kind in "US"} for outputs in (got, want)]
    assert texts[0] == texts[1]  # reprs, messages, error classes
    compare_outputs(*[{key: value for key, value in outputs.items()
                       if key not in texts[0]} for outputs in (got, want)])


def test_split_data_shares_memory_on_axis_zero():
    x = mx.nd.zeros((4, 2))
    first, _ = utils.split_data(x, 2)
    first[:] = 1
    np.testing.assert_array_equal(x.asnumpy()[:2], 1)


def test_clip_global_norm_warns_on_nan():
    arrays = [mx.nd.array([np.nan, 1.0])]
    with pytest.warns(UserWarning, match="nan or inf is detected"):
        utils.clip_global_norm(arrays, 1.0)


def test_download_local_sources_and_existing_files(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"kiln gluon")
    digest = hashlib.sha1(b"kiln gluon").hexdigest()
    assert utils.check_sha1(str(source), digest)
    assert not utils.check_sha1(str(source), "0" * 40)
    target = tmp_path / "out" / "copy.bin"
    assert utils.download(str(source), path=str(target),
                          sha1_hash=digest) == str(target)
    assert target.read_bytes() == b"kiln gluon"
    folder = tmp_path / "folder"
    folder.mkdir()
    got = utils.download("file://" + str(source), path=str(folder))
    assert got == os.path.join(str(folder), "source.bin")
    # An existing file with the right hash is kept: no network needed.
    kept = utils.download("http://127.0.0.1:9/source.bin", path=str(target),
                          sha1_hash=digest)
    assert kept == str(target)
    with pytest.raises(UserWarning, match="content hash does not match"):
        utils.download(str(source), path=str(tmp_path / "bad.bin"),
                       sha1_hash="0" * 40)


def test_download_without_network_says_where_to_put_the_file(tmp_path):
    target = tmp_path / "model.params"
    with pytest.raises(mx.base.MXNetError,
                       match="download: cannot fetch http://127.0.0.1:9/"
                       "model.params .*put the file at .*model.params"):
        utils.download("http://127.0.0.1:9/model.params", path=str(target),
                       retries=0)
    assert not target.exists()
    assert not [name for name in os.listdir(str(tmp_path))]
    with pytest.raises(AssertionError, match="Number of retries"):
        utils.download("http://127.0.0.1:9/x", path=str(target), retries=-1)


def test_hook_handle_detaches_once():
    hooks = collections.OrderedDict()
    handle = utils.HookHandle()
    handle.attach(hooks, print)
    with pytest.raises(AssertionError, match="cannot be attached twice"):
        handle.attach(hooks, print)
    with handle:
        assert list(hooks.values()) == [print]
    assert not hooks
    handle.detach()  # a second detach does nothing


def test_shape_is_known():
    assert utils.shape_is_known((2, 3))
    assert not utils.shape_is_known((2, 0))
    assert not utils.shape_is_known(None)
    assert not utils.shape_is_known(())
    with pytest.raises(AssertionError, match="cannot be less than 0"):
        utils.shape_is_known((2, -3))
