"""mx.model's checkpoints against MXNet 1.9.1: the files' names and keys,
save/load round trips, a checkpoint kiln writes loading and running in
MXNet and one MXNet writes in kiln, the checkpoint callbacks inside
Module.fit, and the errors of missing or malformed files."""
import logging
import os

import numpy as np
import pytest

import kiln as mx
import kiln.callback  # noqa: F401  (attach the submodules to the package)
import kiln.io  # noqa: F401
import kiln.model  # noqa: F401
import kiln.module  # noqa: F401
import kiln.symbol  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import requires_oracle, run_mxnet

S = kiln.symbol


def _cnn(sym):
    """The same small CNN under kiln's or MXNet's mx.sym (`sym`)."""
    conv = sym.Convolution(sym.var("data"), kernel=(3, 3), num_filter=2,
                           pad=(1, 1), name="conv")
    norm = sym.BatchNorm(conv, fix_gamma=False, name="bn")
    pool = sym.Pooling(sym.Activation(norm, act_type="relu"), kernel=(2, 2),
                       stride=(2, 2), pool_type="max")
    return sym.SoftmaxOutput(sym.FullyConnected(pool, num_hidden=3,
                                                name="fc"), name="softmax")


def _params(net, seed=0):
    """Random arg and aux params (numpy) for `net` on (2, 1, 4, 4) data."""
    rng = np.random.RandomState(seed)
    arg_shapes, _, aux_shapes = net.infer_shape(data=(2, 1, 4, 4))
    args = {name: rng.uniform(-1, 1, shape).astype(np.float32)
            for name, shape in zip(net.list_arguments(), arg_shapes)
            if name not in ("data", "softmax_label")}
    auxs = {name: rng.uniform(0.5, 1.5, shape).astype(np.float32)
            for name, shape in zip(net.list_auxiliary_states(), aux_shapes)}
    return args, auxs


def _nd(arrays):
    return {name: mx.nd.array(value) for name, value in arrays.items()}


def test_save_and_load_checkpoint(tmp_path, caplog):
    net = _cnn(S)
    args, auxs = _params(net)
    prefix = str(tmp_path / "net")
    with caplog.at_level(logging.INFO):
        mx.model.save_checkpoint(prefix, 3, net, _nd(args), _nd(auxs))
    assert 'Saved checkpoint to "%s-0003.params"' % prefix in caplog.text
    assert sorted(os.listdir(tmp_path)) == ["net-0003.params",
                                            "net-symbol.json"]
    saved = mx.nd.load(prefix + "-0003.params")
    assert sorted(saved) == sorted(["arg:" + k for k in args] +
                                   ["aux:" + k for k in auxs])

    symbol, arg_params, aux_params = mx.model.load_checkpoint(prefix, 3)
    assert symbol.list_arguments() == net.list_arguments()
    assert symbol.list_auxiliary_states() == net.list_auxiliary_states()
    assert symbol.tojson() == net.tojson()
    for loaded, given in ((arg_params, args), (aux_params, auxs)):
        assert sorted(loaded) == sorted(given)
        for name, value in given.items():
            np.testing.assert_array_equal(loaded[name].asnumpy(), value)
    assert mx.model.load_params(prefix, 3)[1].keys() == auxs.keys()


def test_checkpoint_without_symbol_and_odd_files(tmp_path, caplog):
    prefix = str(tmp_path / "p")
    mx.model.save_checkpoint(prefix, 12, None, {"w": mx.nd.ones((2,))}, {})
    assert os.listdir(tmp_path) == ["p-0012.params"]
    arg_params, aux_params = mx.model.load_params(prefix, 12)
    assert list(arg_params) == ["w"] and aux_params == {}

    # An empty file warns and gives nothing; keys of another kind are
    # skipped; a key without a kind is a ValueError, as MXNet's unpacking.
    mx.nd.save(prefix + "-0001.params", {})
    with caplog.at_level(logging.WARNING):
        assert mx.model.load_params(prefix, 1) == ({}, {})
    assert "Params file '%s-0001.params' is empty" % prefix in caplog.text
    mx.nd.save(prefix + "-0002.params", {"arg:a": mx.nd.ones((1,)),
                                         "other:b": mx.nd.ones((1,))})
    assert mx.model.load_params(prefix, 2)[0].keys() == {"a"}
    mx.nd.save(prefix + "-0004.params", {"nokind": mx.nd.ones((1,))})
    with pytest.raises(ValueError):
        mx.model.load_params(prefix, 4)
    with pytest.raises(MXNetError):
        mx.model.load_checkpoint(str(tmp_path / "missing"), 0)


def test_batch_end_param_is_the_callbacks():
    assert mx.model.BatchEndParam is mx.callback.BatchEndParam
    assert mx.model.BatchEndParam.__name__ == "BatchEndParams"
    assert mx.model.BatchEndParam._fields == ("epoch", "nbatch",
                                              "eval_metric", "locals")


@requires_oracle
@pytest.mark.filterwarnings("ignore:Data provided by label_shapes")
def test_checkpoints_cross_frameworks(tmp_path):
    net = _cnn(S)
    args, auxs = _params(net, seed=1)
    x = np.random.RandomState(2).randn(2, 1, 4, 4).astype(np.float32)
    kiln_prefix = str(tmp_path / "kiln")
    mx_prefix = str(tmp_path / "mx")
    mx.model.save_checkpoint(kiln_prefix, 1, net, _nd(args), _nd(auxs))
    arrays = {"x": x}
    arrays.update({"arg/" + k: v for k, v in args.items()})
    arrays.update({"aux/" + k: v for k, v in auxs.items()})
    got = run_mxnet("""
def run(symbol, arg_params, aux_params):
    mod = mx.mod.Module(symbol)
    mod.bind([("data", (2, 1, 4, 4))], for_training=False)
    mod.set_params(arg_params, aux_params)
    return mod.predict(inputs["x"]).asnumpy()

symbol, arg_params, aux_params = mx.model.load_checkpoint(%r, 1)
outputs["arguments"] = np.array(",".join(symbol.list_arguments()))
outputs["auxiliary"] = np.array(",".join(symbol.list_auxiliary_states()))
for name, value in list(arg_params.items()) + list(aux_params.items()):
    outputs["loaded/" + name] = value.asnumpy()
outputs["kiln_file"] = run(symbol, arg_params, aux_params)

# MXNet's own checkpoint of the same network and values, for kiln.
own = lambda kind: {k.split("/", 1)[1]: mx.nd.array(v)
                    for k, v in inputs.items() if k.startswith(kind)}
mx.model.save_checkpoint(%r, 2, symbol, own("arg/"), own("aux/"))
outputs["mx_file"] = run(symbol, own("arg/"), own("aux/"))
try:
    mx.model.load_checkpoint(%r, 0)
except Exception as error:
    outputs["missing"] = np.array(type(error).__name__)
""" % (kiln_prefix, mx_prefix, str(tmp_path / "missing")), **arrays)
    assert str(got["arguments"]) == ",".join(net.list_arguments())
    assert str(got["auxiliary"]) == ",".join(net.list_auxiliary_states())
    for name, value in list(args.items()) + list(auxs.items()):
        np.testing.assert_array_equal(got["loaded/" + name], value)
    assert str(got["missing"]) == "MXNetError"

    # MXNet's files in kiln: the same symbol, values and predictions.
    symbol, arg_params, aux_params = mx.model.load_checkpoint(mx_prefix, 2)
    assert symbol.list_arguments() == net.list_arguments()
    for name, value in list(args.items()) + list(auxs.items()):
        loaded = arg_params.get(name, aux_params.get(name))
        np.testing.assert_array_equal(loaded.asnumpy(), value)
    for prefix, epoch, key in ((mx_prefix, 2, "mx_file"),
                               (kiln_prefix, 1, "kiln_file")):
        mod = mx.module.Module.load(prefix, epoch)
        mod.bind([("data", (2, 1, 4, 4))], for_training=False)
        np.testing.assert_allclose(mod.predict(x).asnumpy(), got[key],
                                   rtol=1e-5, atol=1e-6)


def test_checkpoint_callbacks_in_fit(tmp_path):
    rng = np.random.RandomState(3)
    train = mx.io.NDArrayIter(rng.randn(8, 1, 4, 4).astype(np.float32),
                              rng.randint(0, 3, 8).astype(np.float32),
                              batch_size=4)
    mod = mx.module.Module(_cnn(S))
    every = str(tmp_path / "every")
    states = str(tmp_path / "states")
    mod.fit(train, num_epoch=4,
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9},
            epoch_end_callback=[
                mx.callback.do_checkpoint(every, period=2),
                mx.callback.module_checkpoint(mod, states, period=4,
                                              save_optimizer_states=True)])
    assert sorted(os.listdir(tmp_path)) == [
        "every-0002.params", "every-0004.params", "every-symbol.json",
        "states-0004.params", "states-0004.states", "states-symbol.json"]
    arg_params = mod.get_params()[0]
    _, saved, _ = mx.model.load_checkpoint(every, 4)
    for name, value in arg_params.items():
        np.testing.assert_array_equal(saved[name].asnumpy(), value.asnumpy())

    # The optimizer states come back with Module.load.
    again = mx.module.Module.load(states, 4, load_optimizer_states=True)
    again.bind(train.provide_data, train.provide_label)
    again.init_optimizer(optimizer_params={"learning_rate": 0.1,
                                           "momentum": 0.9})
    mine = mod._updater.states
    theirs = again._updater.states
    assert sorted(mine) == sorted(theirs) == [0, 1, 2, 3, 4, 5]
    for index in mine:
        np.testing.assert_array_equal(mine[index].asnumpy(),
                                      theirs[index].asnumpy())
