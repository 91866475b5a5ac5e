"""mx.gluon.rnn (frontends/python/kiln/gluon/rnn/) against the real MXNet
1.9.1, run live through mxnet_oracle.

MXNet builds each layer and cell, gives its parameters random values and
saves them with save_parameters; kiln loads those files into the same
blocks, and both run the same inputs and begin states under
autograd.record() to a scalar loss: outputs, final states and the
gradients of the inputs, states and parameters must agree. kiln's own
files go the other way in the same run. Then, in kiln alone: hybridized
against imperative, state clipping, sequence lengths, _unfuse, begin
states, and bad input (with MXNet refusing the same input).
"""
import os
import textwrap

import numpy as np
import pytest

import kiln as mx
import kiln.gluon.rnn  # noqa: F401  (attaches mx.gluon.rnn)
from kiln.base import MXNetError
from mxnet_oracle import assert_both_refuse, requires_oracle, run_mxnet

rnn = mx.gluon.rnn

# Run under MXNet and under kiln (as `mx`): helpers and the cases.
HARNESS = '''
rnn = mx.gluon.rnn
try:
    contrib = mx.gluon.contrib.rnn       # MXNet's home of LSTMPCell ...
except AttributeError:
    contrib = mx.gluon.rnn               # ... which kiln's rnn exports


def arr(shape, seed, scale=1.0):
    values = np.random.RandomState(seed).uniform(-scale, scale, shape)
    return mx.nd.array(values.astype("float32"))


def flat(value):
    if isinstance(value, (list, tuple)):
        return [item for part in value for item in flat(part)]
    return [value]


def randomize(block):
    # Every parameter to uniform(-0.5, 0.5), seeded by its sorted place.
    for seed, (key, param) in enumerate(sorted(
            block._collect_params_with_prefix().items())):
        param.set_data(arr(param.shape, 100 + seed, 0.5))


def measure(name, block, fn, arrays, train=True, grads=True):
    # fn(*arrays)'s outputs, then after backward from sum(out * cos) the
    # gradients of the arrays and of the block's parameters.
    if grads:
        for a in arrays:
            a.attach_grad()
        with mx.autograd.record(train_mode=train):
            outs = flat(fn(*arrays))
            loss = None
            for o in outs:
                head = np.cos(np.arange(o.size)).reshape(o.shape)
                term = (o * mx.nd.array(head.astype("float32"))).sum()
                loss = term if loss is None else loss + term
        loss.backward()
    else:
        outs = flat(fn(*arrays))
    for k, o in enumerate(outs):
        outputs["%s/out%d" % (name, k)] = o.asnumpy()
    if not grads:
        return
    for k, a in enumerate(arrays):
        outputs["%s/d_input%d" % (name, k)] = a.grad.asnumpy()
    for key, param in sorted(block._collect_params_with_prefix().items()):
        if param.grad_req != "null":
            outputs["%s/d_%s" % (name, key)] = param.grad().asnumpy()


# name, constructor, input shape, whether begin states are given, grads.
LAYERS = [
    ("rnn_relu_tnc", "rnn.RNN(4, prefix='a_')", (3, 2, 5), False, True),
    ("rnn_tanh_bi2_ntc", "rnn.RNN(4, 2, activation='tanh', layout='NTC', "
     "bidirectional=True, prefix='b_')", (2, 3, 5), True, True),
    ("lstm_ntc", "rnn.LSTM(4, layout='NTC', prefix='c_')", (2, 3, 5), True,
     True),
    ("lstm_bi2_tnc", "rnn.LSTM(3, 2, bidirectional=True, prefix='d_')",
     (3, 2, 4), True, True),
    ("gru2_tnc", "rnn.GRU(4, 2, prefix='e_')", (3, 2, 5), False, True),
    ("gru_bi_ntc", "rnn.GRU(3, layout='NTC', bidirectional=True, "
     "input_size=5, prefix='f_')", (2, 4, 5), True, True),
    # MXNet 1.9.1's CPU build runs a projection forward only.
    ("lstm_projection", "rnn.LSTM(5, 2, projection_size=3, prefix='g_')",
     (3, 2, 4), True, False),
    # Dropout between layers is off outside training.
    ("gru_dropout_predict", "rnn.GRU(4, 2, dropout=0.5, prefix='h_')",
     (3, 2, 5), True, False),
]


def run_layer(name, ctor, shape, with_states, grads, net):
    x = arr(shape, 1)
    layout = net._layout
    if with_states:
        info = net.state_info(shape[layout.find("N")])
        states = [arr(item["shape"], 10 + k) for k, item in enumerate(info)]
        measure(name, net, lambda x, *s: net(x, list(s)), [x] + states,
                grads=grads)
    else:
        measure(name, net, lambda x: net(x), [x], grads=grads)


# name, constructor, layout, (N, T, C), begin states given, merge_outputs,
# valid_length, train mode.
CELLS = [
    ("rnn_tanh", "rnn.RNNCell(4, prefix='p_')", "NTC", (2, 3, 5), False,
     True, None, True),
    ("rnn_relu_list", "rnn.RNNCell(4, activation='relu', prefix='q_')",
     "TNC", (2, 3, 5), True, False, None, True),
    ("rnn_softsign", "rnn.RNNCell(3, activation='softsign', prefix='q2_')",
     "NTC", (2, 2, 4), True, True, None, True),
    ("lstm_valid", "rnn.LSTMCell(4, prefix='r_')", "NTC", (2, 3, 5), True,
     True, [2, 3], True),
    ("gru_tnc", "rnn.GRUCell(4, prefix='s_')", "TNC", (2, 3, 5), False,
     True, None, True),
    ("lstmp", "contrib.LSTMPCell(4, 3, prefix='t_')", "NTC", (2, 3, 5), True,
     False, None, True),
    ("hybrid_stack", "STACK(rnn.HybridSequentialRNNCell(prefix='u_'), "
     "[rnn.LSTMCell(4, prefix='u0_'), "
     "rnn.ResidualCell(rnn.GRUCell(4, prefix='u1_')), "
     "rnn.RNNCell(3, activation='relu', prefix='u2_')])", "NTC", (2, 3, 5),
     True, True, None, True),
    ("stack_dropout_predict", "STACK(rnn.SequentialRNNCell(prefix='v_'), "
     "[rnn.GRUCell(4, prefix='v0_'), rnn.DropoutCell(0.5), "
     "rnn.LSTMCell(3, prefix='v1_')])", "TNC", (2, 3, 5), False, False,
     None, False),
    ("bidirectional_valid", "rnn.BidirectionalCell(rnn.LSTMCell(4, "
     "prefix='wl_'), rnn.GRUCell(3, prefix='wr_'))", "NTC", (2, 3, 5), True,
     True, [3, 2], True),
    ("residual_valid", "rnn.ResidualCell(rnn.GRUCell(5, prefix='x_'))",
     "TNC", (2, 3, 5), False, True, [1, 3], True),
    ("zoneout_predict", "rnn.ZoneoutCell(rnn.LSTMCell(4, prefix='y_'), "
     "0.3, 0.4)", "NTC", (2, 3, 5), True, True, None, False),
    ("vardrop_predict", "contrib.VariationalDropoutCell(rnn.GRUCell(4, "
     "prefix='z_'), 0.2, 0.3, 0.4)", "NTC", (2, 3, 5), False, True, None,
     False),
]


def STACK(stack, cells):
    for cell in cells:
        stack.add(cell)
    return stack


def run_cell(name, ctor, layout, nt_c, with_states, merge, valid, train,
             cell):
    n, t, c = nt_c
    x = arr((n, t, c) if layout == "NTC" else (t, n, c), 2)
    states = [arr(item["shape"], 20 + k)
              for k, item in enumerate(cell.state_info(n))] \\
        if with_states else []
    lengths = mx.nd.array(valid) if valid else None

    def fn(x, *s):
        return cell.unroll(t, x, begin_state=list(s) if s else None,
                           layout=layout, merge_outputs=merge,
                           valid_length=lengths)
    measure(name, cell, fn, [x] + states, train=train)


def run_steps(name, cell):
    # Two single steps of a cell, from given states.
    x0, x1 = arr((3, 5), 3), arr((3, 5), 4)
    states = [arr(item["shape"], 30 + k)
              for k, item in enumerate(cell.state_info(3))]

    def fn(x0, x1, *s):
        out0, mid = cell(x0, list(s))
        out1, end = cell(x1, mid)
        return [out0, out1] + list(end)
    measure(name, cell, fn, [x0, x1] + states)


STEPS = [("step_lstm", "rnn.LSTMCell(4, prefix='sa_')"),
         ("step_gru", "rnn.GRUCell(4, input_size=5, prefix='sb_')"),
         ("step_lstmp", "contrib.LSTMPCell(4, 2, prefix='sc_')")]
'''

# MXNet: make, randomize, save, run every case; load kiln's files and run
# them too. Also reprs and names.
MXNET_DRIVER = '''
for case in LAYERS:
    name, ctor, shape = case[:3]
    net = eval(ctor)
    net.initialize()
    net(arr(shape, 0))
    randomize(net)
    net.save_parameters(os.path.join(FOLDER, name + ".params"))
    run_layer(*case, net=net)
for case in CELLS:
    name, ctor, layout, nt_c = case[:4]
    cell = eval(ctor)
    cell.initialize()
    x = arr(nt_c if layout == "NTC" else (nt_c[1], nt_c[0], nt_c[2]), 0)
    cell.unroll(nt_c[1], x, layout=layout)
    randomize(cell)
    cell.save_parameters(os.path.join(FOLDER, name + ".params"))
    run_cell(*case, cell=cell)
for name, ctor in STEPS:
    cell = eval(ctor)
    cell.initialize()
    cell(arr((3, 5), 0), cell.begin_state(3))
    randomize(cell)
    cell.save_parameters(os.path.join(FOLDER, name + ".params"))
    run_steps(name, cell)
for case in KILN_SAVED:
    net = eval(case[1])
    net.load_parameters(os.path.join(FOLDER, "kiln_" + case[0] + ".params"))
    if case[0].startswith("layer"):
        run_layer(*case, net=net)
    else:
        run_cell(*case, cell=net)
# kiln's export of a hybridized GRU (the begin state is its second input).
net = mx.gluon.SymbolBlock.imports(
    os.path.join(FOLDER, "kiln_export-symbol.json"), ["data0", "data1"],
    os.path.join(FOLDER, "kiln_export-0000.params"))
outputs["export_gru/out0"] = net(arr((2, 3, 3), 5),
                                 mx.nd.zeros((4, 2, 4))).asnumpy()
'''

# kiln's own files, loaded by MXNet.
KILN_SAVED = [
    ("layer_lstm", "rnn.LSTM(4, 2, bidirectional=True, layout='NTC', "
     "prefix='ka_')", (2, 3, 5), True, True),
    ("cell_stack", "STACK(rnn.HybridSequentialRNNCell(prefix='kb_'), "
     "[rnn.GRUCell(4, prefix='kb0_'), rnn.LSTMCell(3, prefix='kb1_')])",
     "TNC", (2, 3, 5), True, True, None, True),
]


def _kiln_scope(folder):
    scope = {"mx": mx, "np": np, "os": os, "outputs": {}, "FOLDER": folder,
             "KILN_SAVED": KILN_SAVED}
    exec(compile(HARNESS, "<gluon_rnn_harness>", "exec"), scope)
    return scope


def _save_kiln_files(scope, folder):
    for case in KILN_SAVED:
        net = eval(case[1], scope)
        net.initialize()
        if case[0].startswith("layer"):
            net(scope["arr"](case[2], 0))
        else:
            layout, (n, t, c) = case[2], case[3]
            net.unroll(t, scope["arr"]((t, n, c) if layout == "TNC" else
                                       (n, t, c), 0), layout=layout)
        scope["randomize"](net)
        net.save_parameters(os.path.join(folder, "kiln_%s.params" % case[0]))
    net = rnn.GRU(4, 2, bidirectional=True, layout="NTC", input_size=3,
                  prefix="ke_")
    net.initialize()
    scope["randomize"](net)
    net.hybridize()
    x = scope["arr"]((2, 3, 3), 5)
    scope["outputs"]["export_gru/out0"] = net(x).asnumpy()
    net.export(os.path.join(folder, "kiln_export"))


def _compare(got, expected, names):
    assert sorted(got) == sorted(expected), \
        sorted(set(got) ^ set(expected))
    for key in sorted(expected):
        if not any(key.startswith(name + "/") for name in names):
            continue
        want, have = expected[key], got[key]
        assert have.shape == want.shape, (key, have.shape, want.shape)
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=2e-5,
                                   err_msg=key)


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory):
    """(kiln's outputs, MXNet's) over every case, in one MXNet run."""
    folder = str(tmp_path_factory.mktemp("gluon_rnn"))
    scope = _kiln_scope(folder)
    _save_kiln_files(scope, folder)
    expected = run_mxnet("import os\nFOLDER = %r\nKILN_SAVED = %r\n"
                         % (folder, KILN_SAVED) + HARNESS + MXNET_DRIVER)
    for case in scope["LAYERS"]:
        net = eval(case[1], scope)
        net.load_parameters(os.path.join(folder, case[0] + ".params"))
        scope["run_layer"](*case, net=net)
    for case in scope["CELLS"]:
        cell = eval(case[1], scope)
        cell.load_parameters(os.path.join(folder, case[0] + ".params"))
        scope["run_cell"](*case, cell=cell)
    for name, ctor in scope["STEPS"]:
        cell = eval(ctor, scope)
        cell.load_parameters(os.path.join(folder, name + ".params"))
        scope["run_steps"](name, cell)
    for case in KILN_SAVED:
        net = eval(case[1], scope)
        net.load_parameters(os.path.join(folder, "kiln_%s.params" % case[0]))
        if case[0].startswith("layer"):
            scope["run_layer"](*case, net=net)
        else:
            scope["run_cell"](*case, cell=net)
    return scope["outputs"], expected


@requires_oracle
def test_layers_match_mxnet(oracle_run):
    """RNN/LSTM/GRU, uni- and bidirectional, 1-2 layers, both layouts,
    with and without begin states: outputs, final states and gradients of
    inputs, states and parameters, from MXNet's saved parameters."""
    got, expected = oracle_run
    _compare(got, expected, [case[0] for case in
                             _kiln_scope("")["LAYERS"]])


@requires_oracle
def test_cells_match_mxnet(oracle_run):
    """Every cell's unroll (merged or not, begin states given or not,
    valid_length) and single steps, with gradients."""
    got, expected = oracle_run
    scope = _kiln_scope("")
    _compare(got, expected, [case[0] for case in scope["CELLS"]] +
             [name for name, _ in scope["STEPS"]])


@requires_oracle
def test_kiln_parameter_files_load_in_mxnet(oracle_run):
    """kiln's save_parameters files, and a hybridized layer's export(),
    give MXNet the same results."""
    got, expected = oracle_run
    _compare(got, expected, [case[0] for case in KILN_SAVED] +
             ["export_gru"])


@requires_oracle
def test_names_reprs_and_state_info_match_mxnet():
    code = '''
import mxnet.gluon.rnn as rnn
from mxnet.gluon.contrib.rnn import LSTMPCell, VariationalDropoutCell
''' + NAMES_CODE
    expected = run_mxnet(code)
    scope = {"mx": mx, "np": np, "outputs": {}}
    exec(compile("rnn = mx.gluon.rnn\nLSTMPCell = rnn.LSTMPCell\n"
                 "VariationalDropoutCell = rnn.VariationalDropoutCell\n" +
                 NAMES_CODE, "<names>", "exec"), scope)
    got = scope["outputs"]
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert str(got[key]) == str(expected[key]), key


NAMES_CODE = '''
def record(key, value):
    outputs[key] = np.array(str(value))

blocks = {
    "lstm": rnn.LSTM(4, 2, bidirectional=True, input_size=3, prefix="l_"),
    "gru": rnn.GRU(4, 2, dropout=0.5, layout="NTC", prefix="g_"),
    "rnn": rnn.RNN(5, activation="tanh", prefix="r_"),
    "lstmp_layer": rnn.LSTM(5, projection_size=2, prefix="p_"),
    "rnncell": rnn.RNNCell(4, prefix="rc_"),
    "lstmcell": rnn.LSTMCell(4, input_size=3, prefix="lc_"),
    "grucell": rnn.GRUCell(4, prefix="gc_"),
    "lstmpcell": LSTMPCell(4, 2, prefix="pc_"),
    "vardrop": VariationalDropoutCell(rnn.GRUCell(3, prefix="vd_"), 0.1,
                                      0.2, 0.3),
    "zoneout": rnn.ZoneoutCell(rnn.RNNCell(3, prefix="zo_"), 0.1, 0.2),
    "residual": rnn.ResidualCell(rnn.GRUCell(3, prefix="re_")),
    "dropout": rnn.DropoutCell(0.5, axes=(1,), prefix="do_"),
    "bi": rnn.BidirectionalCell(rnn.LSTMCell(3, prefix="bl_"),
                                rnn.GRUCell(3, prefix="br_")),
}
stack = rnn.SequentialRNNCell(prefix="s_")
with stack.name_scope():
    stack.add(rnn.LSTMCell(4))
    stack.add(rnn.DropoutCell(0.5))
    stack.add(rnn.GRUCell(4))
blocks["stack"] = stack
for key, block in sorted(blocks.items()):
    record(key + "/repr", repr(block))
    record(key + "/params", sorted(block.collect_params().keys()))
    record(key + "/shapes", [block.collect_params()[k].shape for k in
                             sorted(block.collect_params().keys())])
    record(key + "/inits", [block.collect_params()[k].init for k in
                            sorted(block.collect_params().keys())])
    if key not in ("dropout",):
        info = block.state_info(7)
        record(key + "/state_info", info)
for key in ("lstm", "gru", "lstmp_layer"):
    states = blocks[key].begin_state(3, func=mx.sym.var)
    record(key + "/begin_state", [(s.name, s.attr("__layout__"))
                                  for s in states])
    record(key + "/begin_nd", [s.shape for s in
                               blocks[key].begin_state(3)])
for key in ("lstmcell", "stack", "bi", "zoneout"):
    states = blocks[key].begin_state(batch_size=2, func=mx.sym.var)
    record(key + "/begin_state", [s.name for s in states])
    blocks[key].reset()
    states = blocks[key].begin_state(batch_size=2, func=mx.nd.ones)
    record(key + "/begin_nd", [(s.shape, float(s.sum().asscalar()))
                               for s in states])
'''


# -- kiln alone --------------------------------------------------------------

def _random(shape, seed):
    return mx.nd.array(np.random.RandomState(seed).uniform(
        -1, 1, shape).astype(np.float32))


def _grads(block, fn, arrays):
    """(outputs, input gradients, parameter gradients) of fn(*arrays)
    after backward from the sum of every output times cos."""
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        outs = fn(*arrays)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        flat = []
        for o in outs:
            flat.extend(o if isinstance(o, (list, tuple)) else [o])
        loss = sum((o * mx.nd.array(np.cos(np.arange(o.size)).reshape(
            o.shape).astype(np.float32))).sum() for o in flat)
    loss.backward()
    params = block.collect_params()
    return ([o.asnumpy() for o in flat], [a.grad.asnumpy() for a in arrays],
            {k: p.grad().asnumpy() for k, p in sorted(params.items())})


def _assert_same(first, second, rtol=1e-5, atol=1e-6):
    for (a, b) in zip(first[0] + first[1], second[0] + second[1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert sorted(first[2]) == sorted(second[2])
    for key in first[2]:
        np.testing.assert_allclose(first[2][key], second[2][key], rtol=rtol,
                                   atol=atol, err_msg=key)


@pytest.mark.parametrize("ctor,shape,states", [
    (lambda: rnn.LSTM(4, 2, bidirectional=True, layout="NTC"), (2, 3, 5),
     True),
    (lambda: rnn.GRU(4, input_size=5), (3, 2, 5), False),
    (lambda: rnn.RNN(4, 2, activation="tanh", layout="NTC"), (2, 3, 5),
     True),
], ids=["lstm_bi2_ntc", "gru_tnc", "rnn_tanh2_ntc"])
def test_hybridized_layer_equals_imperative(ctor, shape, states):
    net = ctor()
    net.initialize(mx.init.Uniform(0.5))
    x = _random(shape, 1)
    batch = shape[net._layout.find("N")]
    begin = [_random(info["shape"], 5 + k)
             for k, info in enumerate(net.state_info(batch))] \
        if states else []

    def fn(x, *s):
        return net(x, list(s)) if s else net(x)
    imperative = _grads(net, fn, [x] + begin)
    net.hybridize()
    for _ in range(2):  # the first recorded call, then the executor's
        _assert_same(imperative, _grads(net, fn, [x] + begin))
    assert net._cached_op is not None


def test_hybridized_cell_stack_unroll_equals_imperative():
    stack = rnn.HybridSequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(4))
        stack.add(rnn.ResidualCell(rnn.GRUCell(4)))
        stack.add(rnn.RNNCell(3))
    stack.initialize(mx.init.Uniform(0.5))
    x = _random((2, 3, 5), 2)
    begin = [_random(info["shape"], 7 + k)
             for k, info in enumerate(stack.state_info(2))]

    def fn(x, *s):
        return stack.unroll(3, x, begin_state=list(s), layout="NTC",
                            merge_outputs=True)
    imperative = _grads(stack, fn, [x] + begin)
    stack.hybridize()
    for _ in range(2):
        _assert_same(imperative, _grads(stack, fn, [x] + begin))
    assert stack[0]._cached_op is not None


class _LayerInBlock(mx.gluon.HybridBlock):
    """An LSTM traced into its parent's graph, begin states as inputs."""

    def __init__(self, **kwargs):
        super(_LayerInBlock, self).__init__(**kwargs)
        with self.name_scope():
            self.lstm = rnn.LSTM(4, layout="NTC", input_size=5)
            self.dense = mx.gluon.nn.Dense(2, flatten=False)

    def hybrid_forward(self, F, x, h, c):
        out, states = self.lstm(x, [h, c])
        return self.dense(out), states[1]


def test_layer_traced_in_a_hybridized_block_equals_imperative():
    net = _LayerInBlock()
    net.initialize(mx.init.Uniform(0.5))
    arrays = [_random((3, 2, 5), 1), _random((1, 3, 4), 2),
              _random((1, 3, 4), 3)]
    imperative = _grads(net, net, arrays)
    net.hybridize()
    for _ in range(2):
        _assert_same(imperative, _grads(net, net, arrays))


class _UnrollInBlock(mx.gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(_UnrollInBlock, self).__init__(**kwargs)
        with self.name_scope():
            self.cell = rnn.GRUCell(4, input_size=5)

    def hybrid_forward(self, F, x):
        return self.cell.unroll(2, x, layout="NTC", merge_outputs=True)[0]


def test_unroll_traced_without_begin_states():
    # The begin states are mx.sym.zeros(shape=(0, 4)): the executor runs
    # them with the batch size inference gives.
    net = _UnrollInBlock()
    net.initialize()
    x = _random((3, 2, 5), 1)
    expected = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5)


# Deferred fused layers in a hybridized parent: the first call infers
# their layer-0 weights backward from the packed size the RNN operator
# needs (through _rnn_param_concat and the reshapes), as MXNet's does;
# then the same weights give the same outputs and gradients.
DEFERRED_IN_PARENT = HARNESS + """
net = mx.gluon.nn.HybridSequential(prefix="net_")
with net.name_scope():
    net.add(rnn.LSTM(4, layout="NTC", bidirectional=True, prefix="a_"))
    net.add(rnn.GRU(3, 2, layout="NTC", prefix="b_"))
    net.add(rnn.RNN(2, input_size=3, prefix="c_"))
net.initialize()
net.hybridize()
x = arr((3, 2, 5), 1)
outputs["first_shape"] = np.array(net(x).shape)
# By name: MXNet's _collect_params_with_prefix also lists _unfused cells.
params = sorted(net.collect_params().items())
for seed, (name, param) in enumerate(params):
    outputs["shape/" + name] = np.array(param.shape)
    param.set_data(arr(param.shape, 100 + seed, 0.5))
x.attach_grad()
with mx.autograd.record():
    out = net(x)
    head = np.cos(np.arange(out.size)).reshape(out.shape)
    loss = (out * mx.nd.array(head.astype("float32"))).sum()
loss.backward()
outputs["out"] = out.asnumpy()
outputs["d_x"] = x.grad.asnumpy()
for name, param in params:
    outputs["d/" + name] = param.grad().asnumpy()
"""


@requires_oracle
def test_deferred_layers_in_a_hybridized_block_match_mxnet():
    expected = run_mxnet(DEFERRED_IN_PARENT)
    scope = {"mx": mx, "np": np, "outputs": {}}
    exec(textwrap.dedent(DEFERRED_IN_PARENT), scope)
    got = scope["outputs"]
    assert sorted(got) == sorted(expected)
    assert expected["shape/net_a_l0_i2h_weight"].tolist() == [16, 5]
    for key in sorted(expected):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-4,
                                   atol=1e-5, err_msg=key)


def test_deferred_layer_in_a_hybridized_block():
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(rnn.LSTM(4, layout="NTC", input_size=5))
        net.add(rnn.GRU(3, layout="NTC"))
    net.initialize()
    net.hybridize()
    assert net(_random((3, 2, 5), 1)).shape == (3, 2, 3)
    assert net[1].l0_i2h_weight.shape == (9, 4)


def test_packed_parameters_refuse_too_many_unknown_weights():
    # _rnn_param_concat infers one or two unknown inputs, as MXNet's.
    parts = [mx.sym.reshape(mx.sym.var("w%d" % i), shape=(-1,))
             for i in range(3)]
    packed = mx.sym._internal._rnn_param_concat(*parts, dim=0, name="pc")
    both = mx.sym._internal._rnn_param_concat(parts[0], parts[1], dim=0)
    assert mx.sym.Group([both, mx.sym.var("w2")]).infer_shape_partial(
        w0=(2, 0), w1=(3, 0), w2=(4,))[0] == [(2, 0), (3, 0), (4,)]
    shapes = (both + mx.sym.var("o")).infer_shape(
        w0=(2, 0), w1=(2, 0), o=(12,))[0]
    assert shapes == [(2, 3), (2, 3), (12,)]
    with pytest.raises(MXNetError, match=r"pc: cannot infer 3 unknown "
                       r"inputs .*expected 1 or 2 unknown"):
        (packed + mx.sym.var("o")).infer_shape(o=(12,))
    with pytest.raises(MXNetError, match=r"pc: .* the output has 12 "
                       r"elements along dim 0 and the known inputs 20"):
        (packed + mx.sym.var("o")).infer_shape(w0=(0, 2), w1=(10,),
                                               w2=(10,), o=(12,))


def test_unfused_cells_equal_the_fused_layer():
    for ctor in (lambda: rnn.LSTM(4, 2, bidirectional=True, input_size=5),
                 lambda: rnn.GRU(3, input_size=5),
                 lambda: rnn.RNN(3, 2, activation="tanh", input_size=5)):
        net = ctor()
        net.initialize(mx.init.Uniform(0.5))
        x = _random((3, 2, 5), 4)
        stack = net._unfuse()
        assert set(stack.collect_params().values()) == \
            set(net.collect_params().values())
        out, _ = stack.unroll(3, x, layout="TNC", merge_outputs=True)
        np.testing.assert_allclose(out.asnumpy(), net(x).asnumpy(),
                                   rtol=1e-5, atol=1e-6)


def test_state_clipping_bounds_the_cell_state():
    kwargs = dict(input_size=5, i2h_weight_initializer=mx.init.Uniform(2),
                  h2h_weight_initializer=mx.init.Uniform(2))
    mx.random.seed(3)
    free = rnn.LSTM(4, **kwargs)
    free.initialize()
    clipped = rnn.LSTM(4, state_clip_min=-0.2, state_clip_max=0.2,
                       params=free.collect_params(), **kwargs)
    x = _random((4, 2, 5), 5) * 3
    begin = free.begin_state(2)
    _, (_, c_free) = free(x, begin)
    out, (_, c_clip) = clipped(x, begin)
    assert np.abs(c_free.asnumpy()).max() > 0.2
    assert np.abs(c_clip.asnumpy()).max() <= 0.2 + 1e-6
    clipped.hybridize()
    _, (_, again) = clipped(x, begin)
    np.testing.assert_allclose(again.asnumpy(), c_clip.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True])
def test_sequence_length_equals_each_sequence_alone(hybridize):
    net = rnn.GRU(4, layout="NTC", bidirectional=True, input_size=5,
                  use_sequence_length=True)
    net.initialize(mx.init.Uniform(0.5))
    if hybridize:
        net.hybridize()
    x = _random((2, 4, 5), 6)
    lengths = [2, 4]
    begin = net.begin_state(2)
    out, (h,) = net(x, begin, mx.nd.array(lengths))
    alone = rnn.GRU(4, layout="NTC", bidirectional=True, input_size=5,
                    params=net.collect_params())
    for b, length in enumerate(lengths):
        out_b, (h_b,) = alone(x[b:b + 1, :length], alone.begin_state(1))
        np.testing.assert_allclose(out.asnumpy()[b, :length],
                                   out_b.asnumpy()[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h.asnumpy()[:, b], h_b.asnumpy()[:, 0],
                                   rtol=1e-5, atol=1e-6)


def test_dropout_between_layers_only_while_training():
    net = rnn.LSTM(8, 3, dropout=0.5, input_size=5)
    net.initialize(mx.init.Uniform(0.5))
    x = _random((3, 2, 5), 7)
    predicted = net(x).asnumpy()
    np.testing.assert_allclose(net(x).asnumpy(), predicted)
    with mx.autograd.record():
        trained = net(x).asnumpy()
    assert not np.allclose(trained, predicted)


def test_parameters_names_shapes_and_deferred_inference():
    net = rnn.LSTM(4, 2, bidirectional=True, projection_size=3)
    assert net.l0_i2h_weight.shape == (16, 0)
    assert net.l1_i2h_weight.shape == (16, 6)
    assert net.r1_h2r_weight.shape == (3, 4)
    net.initialize()
    out, states = net(_random((2, 3, 7), 1), net.begin_state(3))
    assert net.l0_i2h_weight.shape == net.r0_i2h_weight.shape == (16, 7)
    assert out.shape == (2, 3, 6)
    assert [s.shape for s in states] == [(4, 3, 3), (4, 3, 4)]
    assert repr(net) == "LSTM(7 -> 4, TNC, num_layers=2, bidirectional)"


def test_cell_begin_state_and_reset():
    cell = rnn.LSTMCell(4, prefix="c_")
    names = [s.name for s in cell.begin_state(func=mx.sym.var)]
    assert names == ["c_begin_state_0", "c_begin_state_1"]
    assert [s.name for s in cell.begin_state(func=mx.sym.var)] == \
        ["c_begin_state_2", "c_begin_state_3"]
    cell.reset()
    assert cell.begin_state(func=mx.sym.var)[0].name == "c_begin_state_0"
    ones = cell.begin_state(batch_size=2, func=mx.nd.ones)
    assert [s.shape for s in ones] == [(2, 4), (2, 4)]
    assert ones[0].asnumpy().sum() == 8


def test_unroll_accepts_lists_and_symbols():
    cell = rnn.GRUCell(4, input_size=5)
    cell.initialize()
    x = _random((2, 3, 5), 8)
    merged, states = cell.unroll(3, x, layout="NTC", merge_outputs=True)
    steps = [x[:, t] for t in range(3)]
    listed, again = cell.unroll(3, steps, merge_outputs=False)
    assert len(listed) == 3
    for t in range(3):
        np.testing.assert_allclose(listed[t].asnumpy(),
                                   merged.asnumpy()[:, t], rtol=1e-6)
    np.testing.assert_allclose(again[0].asnumpy(), states[0].asnumpy())
    outputs, sym_states = cell.unroll(3, mx.sym.var("data"), layout="TNC",
                                      merge_outputs=True)
    assert outputs.infer_shape(data=(3, 2, 5))[1] == [(3, 2, 4)]
    assert len(sym_states) == 1


# -- bad input ---------------------------------------------------------------

_PRELUDE = '''
lstm = mx.gluon.rnn.LSTM(4, input_size=3, prefix="lstm_")
lstm.initialize()
deferred = mx.gluon.rnn.GRU(4, prefix="gru_")
deferred.initialize()
cell = mx.gluon.rnn.LSTMCell(4, input_size=3, prefix="cell_")
cell.initialize()
x = mx.nd.ones((2, 1, 3))
'''

_REFUSED_BY_BOTH = [
    ("rank", "lstm(mx.nd.ones((2, 3)))",
     r"LSTM 'lstm': expected input of rank 3 \(layout TNC\), got shape "
     r"\(2, 3\)"),
    ("feature_size", "lstm(mx.nd.ones((2, 1, 5)))",
     r"LSTM 'lstm': input feature size 5 does not match the 3 that "
     r"l0_i2h_weight \(16, 3\) takes"),
    ("state_shape", "lstm(x, [mx.nd.zeros((1, 2, 4)), mx.nd.zeros((1, 1, 4))])",
     r"LSTM 'lstm': Invalid recurrent state shape. Expecting \(1, 1, 4\), "
     r"got \(1, 2, 4\)"),
    ("state_count", "lstm(x, [mx.nd.zeros((1, 1, 4))])",
     r"LSTM 'lstm': expected 2 begin states, got 1"),
    ("deferred_rank", "deferred(mx.nd.ones((2, 3)))",
     r"GRU 'gru': expected input of rank 3 \(layout TNC\), got shape"),
    ("layout", "mx.gluon.rnn.LSTM(4, layout='CNT')",
     r"Invalid layout CNT; must be one of \['TNC' or 'NTC'\]"),
    ("mode", "mx.gluon.rnn.RNN(4, activation='sigmoid')",
     r"unknown mode 'rnn_sigmoid'; expected one of 'rnn_relu', 'rnn_tanh', "
     r"'lstm', 'gru'"),
    ("cell_feature_size", "cell(mx.nd.ones((2, 5)), cell.begin_state(2))",
     r"LSTMCell 'cell': .*FullyConnected: weight expected shape \(16, 5\).*"
     r"got \(16, 3\)"),
    ("cell_state_shape",
     "cell(mx.nd.ones((2, 3)), [mx.nd.zeros((3, 4)), mx.nd.zeros((2, 4))])",
     r"LSTMCell 'cell': Invalid recurrent state shape. Expecting \(2, 4\), "
     r"got \(3, 4\)"),
    ("unroll_length", "cell.unroll(3, mx.nd.ones((2, 2, 3)), layout='NTC')",
     r"unroll: expected inputs with 3 steps along axis 1 \(layout 'NTC'\), "
     r"got shape \(2, 2, 3\)"),
    ("unroll_layout", "cell.unroll(2, mx.nd.ones((2, 2, 3)), layout='XYZ')",
     r"Invalid layout 'XYZ'"),
    ("bidirectional_step", "mx.gluon.rnn.BidirectionalCell("
     "mx.gluon.rnn.GRUCell(2), mx.gluon.rnn.GRUCell(2))(x[0], [])",
     r"Bidirectional cannot be stepped"),
    ("modified_twice", "mx.gluon.rnn.ResidualCell(mx.gluon.rnn.ZoneoutCell("
     "mx.gluon.rnn.GRUCell(2, prefix='twice_')).base_cell)",
     r"Cell twice is already modified"),
]

_CLASSES = {"layout": AssertionError, "mode": KeyError,
            "unroll_length": AssertionError, "unroll_layout": AssertionError,
            "modified_twice": AssertionError,
            "bidirectional_step": NotImplementedError}


@pytest.mark.parametrize("name,expression,message", _REFUSED_BY_BOTH,
                         ids=[case[0] for case in _REFUSED_BY_BOTH])
@pytest.mark.parametrize("hybridize", [False, True])
def test_bad_input_raises_naming_the_block(name, expression, message,
                                           hybridize):
    scope = {"mx": mx, "np": np}
    exec(textwrap.dedent(_PRELUDE), scope)
    if hybridize:
        scope["lstm"].hybridize()
        scope["deferred"].hybridize()
        scope["cell"].hybridize()
    error = _CLASSES.get(name, ValueError)
    if name.startswith("cell_feature"):
        error = MXNetError
    with pytest.raises(error, match=message) as caught:
        eval(expression, scope)
    if error is not NotImplementedError:
        assert isinstance(caught.value, MXNetError)
    # The blocks stay usable.
    assert scope["lstm"](scope["x"]).shape == (2, 1, 4)
    assert scope["cell"](mx.nd.ones((2, 3)),
                         scope["cell"].begin_state(2))[0].shape == (2, 4)


@requires_oracle
def test_mxnet_refuses_the_same_inputs():
    assert_both_refuse(mx, _PRELUDE, [case[:2] for case in _REFUSED_BY_BOTH])
