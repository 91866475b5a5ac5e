"""Executor (Symbol.bind / simple_bind) against MXNet 1.9.1: forward and
backward of a CNN with BatchNorm and Dropout, gradients and updated
auxiliary states, grad_req write/add/null, head gradients, reshape,
copy_params_from, and the binding errors."""
import numpy as np
import pytest

import kiln as mx
import kiln.symbol  # noqa: F401

from mxnet_oracle import compare_outputs, requires_oracle, run_both

NET = """
data = mx.sym.var('data')
net = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1),
                         name='c1')
net = mx.sym.BatchNorm(net, name='bn1', fix_gamma=False)
net = mx.sym.Activation(net, act_type='relu')
net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type='avg')
net = mx.sym.flatten(net)
net = mx.sym.FullyConnected(net, num_hidden=5, name='fc')
net = mx.sym.SoftmaxOutput(net, name='softmax')
shapes = dict(data=(4, 3, 8, 8), softmax_label=(4,))
arg_shapes, _, aux_shapes = net.infer_shape(**shapes)
rng = np.random.RandomState(7)
params = {n: rng.uniform(-0.5, 0.5, s).astype(np.float32)
          for n, s in zip(net.list_arguments(), arg_shapes)}
params['data'] = inputs['x']
params['softmax_label'] = inputs['label']
aux = {n: rng.uniform(0.5, 1.5, s).astype(np.float32)
       for n, s in zip(net.list_auxiliary_states(), aux_shapes)}
"""


@requires_oracle
@pytest.mark.parametrize("grad_req", ["write", "add", "mixed"])
def test_forward_backward_match_mxnet(grad_req):
    rng = np.random.RandomState(0)
    x = rng.rand(4, 3, 8, 8).astype(np.float32)
    label = np.array([0, 1, 2, 4], np.float32)
    got, want = run_both(NET + """
req = %r
if req == 'mixed':
    req = {n: ('null' if n in ('data', 'softmax_label', 'c1_bias') else
               'write') for n in net.list_arguments()}
args = {n: mx.nd.array(v) for n, v in params.items()}
grads = {n: mx.nd.ones(v.shape) for n, v in params.items()}
auxs = {n: mx.nd.array(v) for n, v in aux.items()}
exe = net.bind(mx.cpu(), args=args, args_grad=grads, grad_req=req,
               aux_states=auxs)
for step in range(2):
    out = exe.forward(is_train=True)
    exe.backward()
    outputs['out%%d' %% step] = out[0].asnumpy()
for name, g in exe.grad_dict.items():
    if g is not None:
        outputs['grad/' + name] = g.asnumpy()
for name, a in exe.aux_dict.items():
    outputs['aux/' + name] = a.asnumpy()
outputs['eval'] = exe.forward(is_train=False)[0].asnumpy()
""" % grad_req, mx, x=x, label=label)
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)


@requires_oracle
def test_backward_after_prediction_matches_mxnet():
    # MXNet's executor differentiates the graph as forward(is_train=False)
    # ran it: BatchNorm on its moving statistics (left as they were),
    # Dropout off. Only a first backward on a fresh executor: MXNet's next
    # ones (a second on one prediction, or one after a training step) mix
    # in the batch statistics of earlier runs, and not even the same way
    # from run to run; kiln's give the prediction's gradients each time.
    x = np.random.RandomState(3).rand(4, 3, 8, 8).astype(np.float32)
    label = np.array([0, 1, 2, 4], np.float32)
    got, want = run_both(NET.replace(
        "net = mx.sym.flatten(net)",
        "net = mx.sym.Dropout(mx.sym.flatten(net), p=0.5)") + """
args = {n: mx.nd.array(v) for n, v in params.items()}
for case in ('write', 'add'):
    grads = {n: mx.nd.ones(v.shape) for n, v in params.items()}
    auxs = {n: mx.nd.array(v) for n, v in aux.items()}
    exe = net.bind(mx.cpu(), args=args, args_grad=grads,
                   grad_req='add' if case == 'add' else 'write',
                   aux_states=auxs)
    exe.forward(is_train=False)
    exe.backward()
    for name in ('c1_weight', 'bn1_gamma', 'bn1_beta', 'fc_weight', 'data'):
        outputs[case + '/grad/' + name] = exe.grad_dict[name].asnumpy()
    for name, a in exe.aux_dict.items():
        outputs[case + '/aux/' + name] = a.asnumpy()
""", mx, x=x, label=label)
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)


def test_backward_after_prediction_is_the_predictions_gradient():
    # After a training step, forward(is_train=False) then backward gives
    # what a fresh executor with the same states gives: the prediction's
    # gradients (no dropout, moving statistics), twice in a row alike.
    data = mx.sym.var("data")
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=4,
                                                 name="fc"), name="bn")
    net = mx.sym.MakeLoss(mx.sym.sum(mx.sym.Dropout(net, p=0.5) ** 2))
    rng = np.random.RandomState(0)
    first = net.simple_bind(mx.cpu(), data=(3, 5))
    for name, array in first.arg_dict.items():
        array[:] = rng.uniform(-1, 1, array.shape)
    first.forward(is_train=True)
    first.backward()
    first.forward(is_train=False)
    first.backward()
    once = {n: g.asnumpy() for n, g in first.grad_dict.items()}
    first.backward()
    fresh = net.simple_bind(mx.cpu(), data=(3, 5))
    fresh.copy_params_from(first.arg_dict, first.aux_dict)
    fresh.forward(is_train=False)
    fresh.backward()
    for name, grad in fresh.grad_dict.items():
        np.testing.assert_allclose(once[name], grad.asnumpy(), rtol=1e-6,
                                   err_msg=name)
        np.testing.assert_allclose(first.grad_dict[name].asnumpy(),
                                   grad.asnumpy(), rtol=1e-6, err_msg=name)
    assert any(np.abs(g).sum() > 0 for g in once.values())


def test_backward_before_any_forward_raises():
    net = mx.sym.MakeLoss(mx.sym.sum(mx.sym.FullyConnected(
        mx.sym.var("data"), num_hidden=2, name="fc")))
    exe = net.simple_bind(mx.cpu(), data=(3, 5))
    with pytest.raises(mx.MXNetError, match="call forward"):
        exe.backward()


@requires_oracle
def test_simple_bind_head_gradients_and_outputs():
    x = np.random.RandomState(1).rand(3, 4).astype(np.float32)
    got, want = run_both("""
a = mx.sym.var('a')
b = mx.sym.var('b')
y = mx.sym.Group([mx.sym.tanh(a) * b, mx.sym.sum(a * a, axis=1)])
exe = y.simple_bind(mx.cpu(), a=(3, 4), b=(3, 4))
exe.arg_dict['a'][:] = inputs['x']
exe.arg_dict['b'][:] = 2.0
outs = exe.forward(is_train=True)
exe.backward([mx.nd.ones((3, 4)) * 0.5, mx.nd.array([1.0, 2.0, 3.0])])
outputs['y0'] = outs[0].asnumpy()
outputs['y1'] = exe.output_dict[y.list_outputs()[1]].asnumpy()
outputs['ga'] = exe.grad_dict['a'].asnumpy()
outputs['gb'] = exe.grad_dict['b'].asnumpy()
outputs['names'] = np.array(sorted(exe.arg_dict))
""", mx, x=x)
    assert got.pop("names").tolist() == want.pop("names").tolist()
    compare_outputs(got, want)


def test_reshape_shares_parameters():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    exe = net.simple_bind(mx.cpu(), data=(2, 4))
    exe.arg_dict["fc_weight"][:] = 1.0
    bigger = exe.reshape(allow_up_sizing=True, data=(5, 4))
    assert bigger.arg_dict["data"].shape == (5, 4)
    assert bigger.arg_dict["fc_weight"] is exe.arg_dict["fc_weight"]
    bigger.arg_dict["data"][:] = 1.0
    np.testing.assert_allclose(bigger.forward()[0].asnumpy(),
                               np.full((5, 3), 4.0))
    with pytest.raises(mx.MXNetError, match="allow_up_sizing"):
        exe.reshape(data=(6, 4))


def test_reshape_to_smaller_shapes_views_the_arrays():
    # As MXNet 1.9.1's: an argument (and its gradient) that shrinks is a
    # view of the first elements of the original, so the smaller
    # executor starts from its values and its writes show in the bigger
    # one ('add' gradients accumulate across both).
    x = mx.sym.var("x")
    net = mx.sym.sum(x * 2.0)
    big = net.simple_bind(mx.cpu(), grad_req="add", x=(4, 3))
    big.arg_dict["x"][:] = 1.0
    big.grad_dict["x"][:] = 0.0
    big.forward(is_train=True)
    big.backward(mx.nd.ones((1,)))
    small = big.reshape(x=(2, 3))
    np.testing.assert_array_equal(small.arg_dict["x"].asnumpy(),
                                  np.ones((2, 3)))
    small.forward(is_train=True)
    small.backward(mx.nd.ones((1,)))
    small.arg_dict["x"][:] = 5.0
    np.testing.assert_array_equal(small.grad_dict["x"].asnumpy(),
                                  np.full((2, 3), 4.0))
    np.testing.assert_array_equal(
        big.arg_dict["x"].asnumpy(), np.repeat([5.0, 1.0], 6).reshape(4, 3))
    np.testing.assert_array_equal(
        big.grad_dict["x"].asnumpy(), np.repeat([4.0, 2.0], 6).reshape(4, 3))


def test_backward_again_while_monitored():
    # A monitored Executor runs node by node; its backward may run again
    # on one forward too ('add' adds both), and a later unmonitored
    # forward does not reuse the monitored tape.
    data = mx.sym.var("data")
    net = mx.sym.tanh(mx.sym.FullyConnected(data, num_hidden=3, name="fc"))
    results = []
    for monitored in (False, True):
        exe = net.simple_bind(mx.cpu(), data=(4, 5), grad_req="add")
        for array in exe.arg_dict.values():
            array[:] = np.random.RandomState(0).randn(*array.shape)
        for grad in exe.grad_dict.values():
            grad[:] = 0
        if monitored:
            exe.set_monitor_callback(lambda name, array: None)
        exe.forward(is_train=True)
        exe.backward([mx.nd.ones((4, 3))])
        exe.backward([mx.nd.ones((4, 3)) * 2])
        exe.set_monitor_callback(None)
        exe.forward(is_train=True)
        exe.backward([mx.nd.ones((4, 3))])
        results.append(exe.grad_dict["fc_weight"].asnumpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5)


def test_copy_params_from_and_eval():
    x = mx.sym.var("x")
    net = mx.sym.FullyConnected(x, num_hidden=2, no_bias=True, name="f")
    exe = net.simple_bind(mx.cpu(), x=(1, 2), grad_req="null")
    exe.copy_params_from({"f_weight": mx.nd.array([[1.0, 2.0], [3.0, 4.0]])})
    out = exe.forward(x=mx.nd.array([[1.0, 1.0]]))[0]
    np.testing.assert_allclose(out.asnumpy(), [[3.0, 7.0]])
    with pytest.raises(ValueError, match="not in the arguments"):
        exe.copy_params_from({"nope": mx.nd.ones((1,))})
    exe.copy_params_from({"nope": mx.nd.ones((1,))}, allow_extra_params=True)


def test_binding_errors():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    with pytest.raises(ValueError, match="fc_weight"):
        net.bind(mx.cpu(), args={"data": mx.nd.ones((2, 4))})
    with pytest.raises(mx.MXNetError, match="expected 3 arrays"):
        net.bind(mx.cpu(), args=[mx.nd.ones((2, 4))])
    with pytest.raises(mx.MXNetError, match="cannot infer the shapes"):
        net.simple_bind(mx.cpu())
    with pytest.raises(mx.MXNetError, match="grad_req"):
        net.simple_bind(mx.cpu(), data=(2, 4), grad_req="sometimes")
    exe = net.simple_bind(mx.cpu(), data=(2, 4))
    with pytest.raises(mx.MXNetError, match="forward"):
        exe.backward()
    with pytest.raises(TypeError, match="Unknown argument"):
        exe.forward(bogus=mx.nd.ones((1,)))
    with pytest.raises(ValueError, match=r"need: \(2, 4\), received: \(3, 4\)"):
        exe.forward(data=mx.nd.ones((3, 4)))
    with pytest.raises(mx.MXNetError, match="Error in operator fc"):
        bad = net.bind(mx.cpu(), args={"data": mx.nd.ones((2, 4)),
                                       "fc_weight": mx.nd.ones((3, 5)),
                                       "fc_bias": mx.nd.ones((3,))})
        bad.forward()


def _train_steps(net, shapes, steps, seed=5):
    """Outputs, gradients and auxiliary states after `steps` forward/
    backward passes of `net` from seeded parameters."""
    exe = net.simple_bind(mx.cpu(), **shapes)
    rng = np.random.RandomState(seed)
    for name, array in sorted(exe.arg_dict.items()):
        array[:] = rng.uniform(-0.5, 0.5, array.shape)
    results = []
    for _ in range(steps):
        outs = exe.forward(is_train=True)
        exe.backward()
        results.append([o.asnumpy() for o in outs] +
                       [g.asnumpy() for _, g in sorted(exe.grad_dict.items())
                        if g is not None] +
                       [a.asnumpy() for _, a in sorted(exe.aux_dict.items())])
    return exe, results


def _cnn():
    data = mx.sym.var("data")
    net = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), name="c1")
    net = mx.sym.BatchNorm(net, name="bn")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.FullyConnected(mx.sym.flatten(net), num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def test_captured_executable_equals_interpreted(monkeypatch):
    """The executor runs the graph as captured executables; node-by-node
    interpretation (KILN_EXECUTOR=interpret) gives the same numbers."""
    shapes = dict(data=(2, 3, 6, 6), softmax_label=(2,))
    exe, captured = _train_steps(_cnn(), shapes, 3)
    assert exe._static and exe._forward_programs, exe._static_error
    monkeypatch.setenv("KILN_EXECUTOR", "interpret")
    exe, interpreted = _train_steps(_cnn(), shapes, 3)
    assert not exe._static
    for got, want in zip(captured, interpreted):
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_flatten_in_a_graph_copies_nothing(monkeypatch):
    # Inside a graph Flatten is a view of its input, forward, and its
    # gradient a view of the output gradient: no copy kernels (they cost
    # the main job's CNN 2 ms a step).
    data = mx.sym.var("data")
    h = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), name="c1")
    flat = mx.sym.flatten(mx.sym.Activation(h, act_type="relu"))
    net = mx.sym.MakeLoss(mx.sym.sum(
        mx.sym.FullyConnected(flat, num_hidden=3, name="fc")))
    shapes = dict(data=(2, 3, 6, 6))
    exe, captured = _train_steps(net, shapes, 2)
    assert exe._static, exe._static_error
    launches = (list(exe._forward_programs.values())[0][0].launch_names +
                exe._backward_program[0].launch_names)
    assert not [name for name in launches
                if name in ("_backward_cast", "_backward_view")], launches
    monkeypatch.setenv("KILN_EXECUTOR", "interpret")
    _, interpreted = _train_steps(net, shapes, 2)
    for got, want in zip(captured, interpreted):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_views_of_arguments_and_outputs_are_copies():
    # The graph's outputs are arrays of their own, and a node reading a
    # bound argument copies a view of it: writing the argument between
    # forward and backward leaves the gradient MXNet 1.9.1 gives.
    x = mx.sym.var("x")
    net = mx.sym.Group([
        mx.sym.FullyConnected(mx.sym.flatten(x), num_hidden=1, no_bias=True,
                              name="fc"),
        mx.sym.BlockGrad(mx.sym.flatten(x))])
    exe = net.simple_bind(mx.cpu(), x=(2, 2))
    exe.arg_dict["x"][:] = np.array([[1, 2], [3, 4]], np.float32)
    exe.arg_dict["fc_weight"][:] = 1
    outputs = exe.forward(is_train=True)
    flat_before = outputs[1].asnumpy()
    exe.arg_dict["x"][:] = 10
    exe.backward([mx.nd.ones((2, 1)), mx.nd.zeros((2, 2))])
    np.testing.assert_array_equal(exe.grad_dict["fc_weight"].asnumpy(),
                                  [[4, 6]])
    np.testing.assert_array_equal(outputs[1].asnumpy(), flat_before)


def test_operators_never_write_through_a_view_into_an_argument():
    # BatchNorm writes 1 into gamma under fix_gamma: a gamma that is a
    # reshape of a bound argument must not carry that write into the
    # argument (MXNet 1.9.1 leaves it as bound).
    data, g = mx.sym.var("data"), mx.sym.var("g")
    net = mx.sym.BatchNorm(data, mx.sym.reshape(g, shape=(3,)),
                           mx.sym.var("beta"), fix_gamma=True, name="bn")
    exe = net.simple_bind(mx.cpu(), data=(2, 3, 4), g=(1, 3), beta=(3,))
    exe.arg_dict["g"][:] = np.array([[5, 6, 7]], np.float32)
    exe.forward(is_train=True)
    np.testing.assert_array_equal(exe.arg_dict["g"].asnumpy(), [[5, 6, 7]])


def test_captured_dropout_draws_anew_each_run():
    data = mx.sym.var("data")
    net = mx.sym.Dropout(data, p=0.5)
    exe = net.simple_bind(mx.cpu(), data=(64, 64), grad_req="null")
    exe.arg_dict["data"][:] = 1.0
    mx.random.seed(11)
    first = exe.forward(is_train=True)[0].asnumpy()
    second = exe.forward(is_train=True)[0].asnumpy()
    assert not np.array_equal(first, second)
    assert 0.3 < (first == 0).mean() < 0.7
    mx.random.seed(11)
    np.testing.assert_array_equal(exe.forward(is_train=True)[0].asnumpy(),
                                  first)
    # Not training: the identity, a program of its own.
    np.testing.assert_array_equal(exe.forward(is_train=False)[0].asnumpy(),
                                  np.ones((64, 64)))


def test_data_dependent_graph_falls_back_to_interpreting():
    data, index = mx.sym.var("data"), mx.sym.var("index")
    net = mx.sym.contrib.boolean_mask(data, index)
    exe = net.bind(mx.cpu(), args={"data": mx.nd.array([[1.0], [2.0], [3.0]]),
                                   "index": mx.nd.array([1.0, 0.0, 1.0])},
                   grad_req="null")
    np.testing.assert_array_equal(exe.forward()[0].asnumpy(), [[1.0], [3.0]])
    assert not exe._static and "host" in exe._static_error


def test_captured_backward_with_and_without_head_gradients(monkeypatch):
    """One captured backward serves every given head gradient; CTCLoss's
    backward reruns its kernel on the swapaxes copy of the label, which
    must still hold it (a planned buffer)."""
    def run():
        p, l = mx.sym.var("p"), mx.sym.var("l")
        net = mx.sym.CTCLoss(p, mx.sym.swapaxes(l, 0, 1), blank_label="last")
        rng = np.random.RandomState(0)
        exe = net.bind(mx.cpu(), args={
            "p": mx.nd.array(rng.rand(6, 2, 5)),
            "l": mx.nd.array([[0, 2], [1, 3], [-1, 1]])},
            args_grad={"p": mx.nd.zeros((6, 2, 5))})
        grads = []
        for head in [[mx.nd.ones((2,))], [mx.nd.array([1.0, 2.0])],
                     [mx.nd.ones((2,))], [mx.nd.array([0.5, -1.0])]]:
            exe.forward(is_train=True)
            exe.backward(head)
            grads.append(exe.grad_dict["p"].asnumpy())
        return exe, grads
    exe, captured = run()
    assert exe._static, exe._static_error
    monkeypatch.setenv("KILN_EXECUTOR", "interpret")
    _, interpreted = run()
    for got, want in zip(captured, interpreted):
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("mode", ["captured", "interpret"])
def test_outputs_that_take_no_gradient_are_left_out(monkeypatch, mode):
    if mode == "interpret":
        monkeypatch.setenv("KILN_EXECUTOR", "interpret")
    x = mx.sym.var("x")
    net = mx.sym.Group([mx.sym.sum(x * x), mx.sym.argmax(x, axis=1),
                        mx.sym.BlockGrad(x * 3)])
    exe = net.simple_bind(mx.cpu(), x=(2, 3))
    exe.arg_dict["x"][:] = np.arange(6).reshape(2, 3)
    for _ in range(2):
        outs = exe.forward(is_train=True)
        exe.backward([mx.nd.ones((1,)), None, None])
    np.testing.assert_allclose(outs[1].asnumpy(), [2, 2])
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(),
                               2 * np.arange(6).reshape(2, 3))


def test_backward_marks_gradients_fresh():
    x = mx.nd.ones((2,))
    x.attach_grad()
    assert not x._fresh_grad
    with mx.autograd.record():
        y = x * 2
    y.backward()
    assert x._fresh_grad
    x._fresh_grad = False
    assert not x._fresh_grad
    assert not mx.nd.ones((1,))._fresh_grad


def test_outputs_are_the_same_arrays_across_forwards():
    """As MXNet's: an output array kept from bind on is written by every
    forward, in training and in predict mode."""
    x = mx.sym.var("x")
    exe = (x * 2).simple_bind(mx.cpu(), x=(2,))
    kept = exe.outputs[0]
    exe.forward(x=mx.nd.array([1.0, 2.0]))
    np.testing.assert_allclose(kept.asnumpy(), [2.0, 4.0])
    exe.forward(is_train=True, x=mx.nd.array([3.0, 4.0]))
    exe.backward(mx.nd.ones((2,)))
    np.testing.assert_allclose(kept.asnumpy(), [6.0, 8.0])
    exe.forward(x=mx.nd.array([5.0, 6.0]))
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), [10.0, 12.0])
    assert exe.outputs[0] is kept
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), [2.0, 2.0])


def test_monitor_callback_sees_every_operator_output():
    x = mx.sym.var("x")
    net = mx.sym.relu(mx.sym.FullyConnected(x, num_hidden=2, name="fc"),
                      name="r")
    exe = net.simple_bind(mx.cpu(), x=(1, 3))
    seen = []
    exe.set_monitor_callback(lambda name, array: seen.append(
        (name, array.shape)))
    exe.forward()
    assert seen == [("fc_output", (1, 2)), ("r_output", (1, 2))]
    seen.clear()
    exe.set_monitor_callback(lambda name, array: seen.append(name),
                             monitor_all=True)
    exe.forward()
    # MXNet 1.9.1's names: a variable input also under its own name, and
    # relu (registered without input names) input0.
    assert seen == ["x", "fc_data", "fc_weight", "fc_weight", "fc_bias",
                    "fc_bias", "fc_output", "r_input0", "r_output"]
    exe.set_monitor_callback(None)
    seen.clear()
    exe.forward()
    assert seen == [] and exe._static


def test_debug_str_ends_with_the_planned_memory():
    # MXNet's executor debug_str ends with "Total N MB allocated"; kiln's
    # plans at the first forward, so the line appears from then on.
    x = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(x, num_hidden=512, name="fc"),
                          act_type="relu")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=10,
                                                     name="fc2"),
                               name="softmax")
    executor = net.simple_bind(mx.cpu(), data=(1024, 256))
    assert "MB allocated" not in executor.debug_str()
    executor.forward(is_train=True)
    executor.backward()
    text = executor.debug_str()
    assert text.startswith(net.debug_str().rstrip("\n"))
    stats = executor._memory_stats
    total = stats["arena_bytes"] + stats["unplanned_bytes"]
    assert total >> 20 >= 2  # At least the 1024 x 512 hidden layer, twice.
    assert text.endswith("Total %d MB allocated\n" % (total >> 20))


def test_gradient_copies_are_forwarded_and_stay_right(monkeypatch):
    # A captured backward computes each weight's gradient into its arena
    # and stored it in the gradient array by a copy; memory planning now
    # has the gradient's kernel write the gradient array itself
    # (Executable::planMemory's copy forwarding). The gradients must equal
    # the interpreted executor's over several steps, while the caller
    # reads and changes the gradient arrays between them.
    data = mx.sym.var("data")
    conv = mx.sym.Convolution(data, num_filter=16, kernel=(3, 3), pad=(1, 1),
                              name="conv")
    fc = mx.sym.FullyConnected(mx.sym.relu(conv), num_hidden=8, name="fc")
    net = mx.sym.MakeLoss(mx.sym.sum(mx.sym.square(fc)))
    rng = np.random.default_rng(3)
    shapes, _, _ = net.infer_shape(data=(4, 3, 8, 8))
    values = {name: rng.standard_normal(shape).astype(np.float32)
              for name, shape in zip(net.list_arguments(), shapes)}

    def steps(executor):
        for name, value in values.items():
            executor.arg_dict[name][:] = value
        seen = []
        for step in range(3):
            executor.arg_dict["data"][:] = values["data"] * (step + 1)
            executor.forward(is_train=True)
            executor.backward()
            seen.append({name: executor.grad_dict[name].asnumpy()
                         for name in values if name != "data"})
            for grad in executor.grad_dict.values():
                grad[:] = -1.0  # Overwritten by the next backward.
        return seen

    captured = net.simple_bind(mx.cpu(), data=(4, 3, 8, 8))
    got = steps(captured)
    assert captured._static
    # conv_weight and fc_weight at least: library kernels' outputs.
    assert captured._memory_stats["forwarded_copies"] >= 2
    monkeypatch.setenv("KILN_EXECUTOR", "interpret")
    interpreted = net.simple_bind(mx.cpu(), data=(4, 3, 8, 8))
    want = steps(interpreted)
    assert not interpreted._static
    for step, (g, w) in enumerate(zip(got, want)):
        for name in w:
            np.testing.assert_allclose(g[name], w[name], rtol=1e-5,
                                       atol=1e-4, err_msg=(step, name))


@pytest.mark.parametrize("grad_req", ["write", "add"])
@pytest.mark.parametrize("tail", ["tanh3", "square", "relu_bn", "dropout"])
def test_backward_again_on_one_forward(monkeypatch, grad_req, tail):
    # MXNet's Executor.backward may run again on the same forward (other
    # head gradients; 'add' adds again). The captured backward's plan lets
    # it overwrite forward values it has read, so a second backward read
    # garbage; now the forward runs again first, with the same random
    # draws. Gradients and BatchNorm's moving statistics (which each
    # backward updates) equal the interpreted executor's on every backward.
    data = mx.sym.var("x")
    fc = mx.sym.FullyConnected(data, num_hidden=8, name="fc")
    if tail == "tanh3":
        net = mx.sym.tanh(fc) * 3.0
    elif tail == "square":
        net = fc * fc
    elif tail == "relu_bn":
        net = mx.sym.FullyConnected(mx.sym.relu(mx.sym.BatchNorm(
            fc, fix_gamma=False, name="bn")), num_hidden=4, name="out")
    else:
        net = mx.sym.tanh(mx.sym.Dropout(mx.sym.tanh(fc), p=0.5)) * 2.0
    rng = np.random.default_rng(7)
    shapes = dict(zip(net.list_arguments(),
                      net.infer_shape(x=(6, 5))[0]))
    values = {name: rng.standard_normal(shape).astype(np.float32)
              for name, shape in shapes.items()}
    out_shape = net.infer_shape(x=(6, 5))[1][0]
    heads = [rng.standard_normal(out_shape).astype(np.float32) * (k + 1)
             for k in range(3)]

    def backwards(executor):
        for name, value in values.items():
            executor.arg_dict[name][:] = value
        mx.random.seed(3)
        seen = []
        # A prediction between two training steps captures a program of
        # its own; the training program's plan must still be known.
        for is_train in (True, False, True):
            executor.forward(is_train=is_train)
            if not is_train:
                executor.arg_dict["x"][:] = values["x"] * 0.5
                continue
            for head in heads:
                executor.backward(mx.nd.array(head))
                seen.append({name: executor.grad_dict[name].asnumpy()
                             for name in values})
        seen.append({"aux/" + name: array.asnumpy()
                     for name, array in executor.aux_dict.items()})
        return seen

    captured = net.simple_bind(mx.cpu(), grad_req=grad_req, x=(6, 5))
    got = backwards(captured)
    assert captured._static
    monkeypatch.setenv("KILN_EXECUTOR", "interpret")
    want = backwards(net.simple_bind(mx.cpu(), grad_req=grad_req, x=(6, 5)))
    for k, (g, w) in enumerate(zip(got, want)):
        for name in w:
            np.testing.assert_allclose(g[name], w[name], rtol=1e-4,
                                       atol=1e-4, err_msg=(k, name))


@pytest.mark.parametrize("kwargs, error, words", [
    ({"data": [[1.0, 2.0, 3.0]] * 2}, ValueError, "only accept keyword"),
    ({"data": 1.0}, ValueError, "only accept keyword"),
    ({"foo": np.ones((2, 3), np.float32)}, TypeError, "Unknown argument foo"),
    ({"data": mx.nd.ones((5, 3))}, ValueError, "Shape not match! Argument data"),
    ({"data": np.ones((3, 2), np.float32)}, ValueError, "need: (2, 3)"),
], ids=["list", "number", "unknown", "ndarray-shape", "numpy-shape"])
def test_forward_keyword_errors_are_mxnets(kwargs, error, words):
    # MXNet 1.9.1's Executor.forward raises ValueError for a value that is
    # not an array or has another shape and TypeError for an unknown name;
    # code catching those must catch kiln's too (which are MXNetErrors as
    # well). The executor stays usable.
    executor = mx.sym.relu(mx.sym.var("data")).simple_bind(
        mx.cpu(), data=(2, 3))
    with pytest.raises(error, match=words.replace("(", r"\(").replace(
            ")", r"\)")) as raised:
        executor.forward(**kwargs)
    assert isinstance(raised.value, mx.base.MXNetError)
    out = executor.forward(data=-np.arange(6, dtype=np.float32).reshape(2, 3)
                           + 2)[0]
    np.testing.assert_array_equal(out.asnumpy(),
                                  [[2, 1, 0], [0, 0, 0]])


def test_backward_without_head_gradients_needs_loss_outputs():
    # MXNet: "Because the last operator is not Loss function, head_gradient
    # is required when calling backward"; kiln silently used ones (the
    # gradient of the output's sum).
    x = mx.sym.var("x")
    for net in (mx.sym.FullyConnected(x, num_hidden=3, name="fc"),
                mx.sym.relu(x), mx.sym.sum(x), mx.sym.Group([x]),
                mx.sym.Group([mx.sym.MakeLoss(mx.sym.sum(x)), x * 2])):
        exe = net.simple_bind(mx.cpu(), x=(2, 4))
        exe.forward(is_train=True)
        for heads in (None, []):
            with pytest.raises(mx.MXNetError, match="head_gradient is "
                                                    "required"):
                exe.backward(heads)
    # Losses, and outputs no gradient flows from, need none.
    for net, expected in ((mx.sym.MakeLoss(mx.sym.sum(x)), 8.0),
                          (mx.sym.SoftmaxOutput(x, name="so"), 0.0),
                          (mx.sym.BlockGrad(x), 0.0),
                          (mx.sym.Group([mx.sym.MakeLoss(mx.sym.sum(x)),
                                         mx.sym.argmax(x, axis=1)]), 8.0)):
        exe = net.simple_bind(mx.cpu(), x=(2, 4))
        exe.arg_dict["x"][:] = 1.0
        exe.forward(is_train=True)
        exe.backward()
        assert exe.grad_dict["x"].asnumpy().sum() == pytest.approx(expected)


def test_bind_checks_the_arrays_shapes_against_the_graph():
    # MXNet's bind fails on a weight of the wrong shape ("Shape
    # inconsistent"); kiln bound it and failed only at forward.
    x = mx.sym.var("x")
    net = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    with pytest.raises(mx.MXNetError, match=r"operator fc: FullyConnected: "
                                            r"weight expected shape \(3, 5\)"):
        net.bind(mx.cpu(), {"x": mx.nd.ones((2, 5)),
                            "fc_weight": mx.nd.ones((3, 4)),
                            "fc_bias": mx.nd.ones((3,))})
    exe = net.bind(mx.cpu(), {"x": mx.nd.ones((2, 5)),
                              "fc_weight": mx.nd.ones((3, 5)),
                              "fc_bias": mx.nd.ones((3,))})
    assert exe.forward()[0].asnumpy().tolist() == [[6.0] * 3] * 2
