"""Elementwise fusion across a captured graph (frontends/cpp/ElementwiseFusion.h).

An Executor's captured programs fuse chains of elementwise primitives into
one kernel each. Every test runs the same graph fused and with
KILN_FUSION=0 (one launch per primitive, eager mode's kernels) and checks
that the results are bit-identical and that fusion did launch fewer kernels.
"""
import os
from contextlib import contextmanager

import numpy as np
import pytest

import kiln as mx


@contextmanager
def environment(name, value):
    """The environment variable `name` set to `value` (unset for None)
    inside the block, restored (or removed) after it."""
    previous = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def fusion(enabled):
    return environment("KILN_FUSION", "1" if enabled else "0")


def run(symbol, inputs, grad_req="write", head_grads=None, steps=2,
        is_train=True):
    """Binds `symbol`, runs `steps` forward(+backward) passes; returns the
    last outputs, gradients and launch counts."""
    shapes = {name: value.shape for name, value in inputs.items()}
    executor = symbol.simple_bind(mx.cpu(), grad_req=grad_req, **shapes)
    for name, value in inputs.items():
        executor.arg_dict[name][:] = value
    for _ in range(steps):
        outputs = executor.forward(is_train=is_train)
        if is_train and grad_req != "null":
            executor.backward(head_grads)
    outputs = [out.asnumpy() for out in outputs]
    grads = {name: g.asnumpy() for name, g in executor.grad_dict.items()
             if g is not None}
    launches = sum(program[0].num_launches
                   for program in executor._forward_programs.values())
    if executor._backward_program is not None:
        launches += executor._backward_program[0].num_launches
    return outputs, grads, launches, executor


def compare(symbol, inputs, **kwargs):
    with fusion(False):
        out0, grads0, launches0, _ = run(symbol, inputs, **kwargs)
    with fusion(True):
        out1, grads1, launches1, executor = run(symbol, inputs, **kwargs)
    for a, b in zip(out0, out1):
        np.testing.assert_array_equal(a, b)
    assert grads0.keys() == grads1.keys()
    for name in grads0:
        np.testing.assert_array_equal(grads0[name], grads1[name], err_msg=name)
    return launches0, launches1, executor


def rand(*shape):
    return np.random.RandomState(sum(shape)).uniform(
        -2, 2, shape).astype(np.float32)


def test_chain_becomes_one_kernel_forward_and_backward():
    x = mx.sym.var("x")
    y = x
    for _ in range(4):
        y = mx.sym.tanh(mx.sym.exp(y * 0.5) - 1.0 + y)
    unfused, fused, executor = compare(
        y, {"x": rand(64, 128)}, head_grads=mx.nd.ones((64, 128)))
    # Unfused, each op is a kernel; each unary gradient is one too (eager
    # autograd's from the dialect's rule: tanh's was three).
    assert unfused >= 35, unfused
    assert fused <= 4, fused
    stats = executor._memory_stats
    assert stats["dropped_buffers"] > 0


def test_inference_keeps_intermediates_out_of_memory():
    x = mx.sym.var("x")
    y = mx.sym.sigmoid(x * 3.0 + 1.0) * x - mx.sym.square(x)
    unfused, fused, executor = compare(y, {"x": rand(300, 70)},
                                       grad_req="null", is_train=False)
    assert fused == 1 and unfused >= 5
    stats = executor._memory_stats
    # Only the output is written: the four intermediates get no memory.
    assert stats["dropped_buffers"] >= 4


def test_broadcasting_comparisons_select_and_casts():
    x, b = mx.sym.var("x"), mx.sym.var("b")
    h = mx.sym.broadcast_add(x, b)
    mask = h > 0.25
    y = mx.sym.where(mask, h * 2.0, mx.sym.abs(h)) + mx.sym.relu(h)
    y = mx.sym.cast(mx.sym.cast(y, "float64") * 1.5, "float32")
    y = mx.sym.maximum(y, x) / (mx.sym.abs(x) + 1.0)
    compare(y, {"x": rand(17, 33), "b": rand(1, 33)},
            head_grads=mx.nd.ones((17, 33)))


def test_ranks_and_strided_inputs():
    # A transpose is a strided view: the group runs at full rank.
    x, v = mx.sym.var("x"), mx.sym.var("v")
    t = mx.sym.transpose(x, axes=(1, 0, 2))
    y = mx.sym.broadcast_mul(t, v) + t * t
    y = mx.sym.exp(-y)
    compare(y, {"x": rand(5, 6, 7), "v": rand(7)},
            head_grads=mx.nd.ones((6, 5, 7)))


def test_views_of_fused_values_and_reductions_in_between():
    x = mx.sym.var("x")
    h = mx.sym.exp(x * 0.1) + 1.0
    flat = mx.sym.reshape(h, shape=(-1,))          # a view of a fused value
    s = mx.sym.sum(h, axis=1, keepdims=True)        # a reduction reads it
    y = mx.sym.broadcast_div(h, s) * 3.0
    z = mx.sym.Group([y, mx.sym.reshape(flat * 2.0, shape=(8, 9))])
    compare(z, {"x": rand(8, 9)}, head_grads=[mx.nd.ones((8, 9))] * 2)


def test_grad_req_add_accumulates_through_fused_kernels():
    x = mx.sym.var("x")
    y = mx.sym.sin(x) * mx.sym.cos(x) + x * x
    _, fused, executor = compare(y, {"x": rand(40, 50)}, grad_req="add",
                                 head_grads=mx.nd.ones((40, 50)), steps=3)
    x0 = rand(40, 50)
    expected = 3 * (np.cos(2 * x0) + 2 * x0)
    np.testing.assert_allclose(executor.grad_dict["x"].asnumpy(), expected,
                               rtol=1e-4, atol=1e-4)


def test_network_with_library_ops_matches_unfused():
    data = mx.sym.var("data")
    net = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1),
                             name="conv")
    net = mx.sym.BatchNorm(net, name="bn")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    net = mx.sym.LeakyReLU(net, act_type="elu", slope=0.3)
    net = mx.sym.FullyConnected(mx.sym.flatten(net), num_hidden=5, name="fc")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    rng = np.random.RandomState(0)
    inputs = {
        "data": rng.randn(4, 2, 8, 8).astype(np.float32),
        "conv_weight": rng.randn(4, 2, 3, 3).astype(np.float32) * 0.3,
        "conv_bias": rng.randn(4).astype(np.float32),
        "bn_gamma": rng.rand(4).astype(np.float32) + 0.5,
        "bn_beta": rng.randn(4).astype(np.float32),
        "fc_weight": rng.randn(5, 64).astype(np.float32) * 0.1,
        "fc_bias": rng.randn(5).astype(np.float32),
        "softmax_label": np.array([0, 3, 1, 4], np.float32),
    }
    unfused, fused, _ = compare(net, inputs)
    assert fused < unfused


def test_out_of_place_results_are_read_again_by_later_runs():
    # The executor publishes outputs into the same arrays every run: a kept
    # output stays current.
    x = mx.sym.var("x")
    y = mx.sym.exp(x) * 2.0 - 1.0
    executor = y.simple_bind(mx.cpu(), x=(3, 4), grad_req="null")
    for value in (0.0, 1.0, -1.0):
        executor.arg_dict["x"][:] = value
        out = executor.forward(is_train=False)[0]
        np.testing.assert_allclose(out.asnumpy(),
                                   np.full((3, 4), np.exp(value) * 2 - 1),
                                   rtol=1e-6)


def test_new_batch_size_reuses_the_fused_kernel():
    x = mx.sym.var("x")
    y = mx.sym.tanh(x * 0.7 + 0.2) * x
    first = y.simple_bind(mx.cpu(), x=(16, 32), grad_req="null")
    first.forward(is_train=False)
    from kiln import _core
    compiled = _core.kernel_cache_stats()["compilations"]
    second = y.simple_bind(mx.cpu(), x=(48, 32), grad_req="null")
    second.arg_dict["x"][:] = 1.0
    out = second.forward(is_train=False)[0].asnumpy()
    assert _core.kernel_cache_stats()["compilations"] == compiled
    np.testing.assert_allclose(out, np.tanh(0.9), rtol=1e-6)


def test_disabled_by_environment():
    x = mx.sym.var("x")
    y = mx.sym.exp(x) + 1.0
    with fusion(False):
        _, _, launches, _ = run(y, {"x": rand(4, 4)}, grad_req="null",
                                is_train=False)
    assert launches == 2


def test_activations_join_the_elementwise_ops_around_them():
    # A residual block's add and relu are one kernel, forward and backward.
    data = mx.sym.var("data")
    h = mx.sym.Convolution(data, num_filter=3, kernel=(3, 3), pad=(1, 1),
                           no_bias=True, name="conv")
    h = mx.sym.Activation(mx.sym.BatchNorm(h, name="bn"), act_type="relu")
    out = mx.sym.Activation(h + data, act_type="sigmoid")
    out = mx.sym.Activation(out * 2.0, act_type="tanh")
    net = mx.sym.MakeLoss(mx.sym.sum(out * out))
    rng = np.random.RandomState(1)
    inputs = {"data": rng.randn(2, 3, 6, 6).astype(np.float32),
              "conv_weight": rng.randn(3, 3, 3, 3).astype(np.float32) * 0.3}
    unfused, fused, executor = compare(net, inputs)
    forward = list(executor._forward_programs.values())[0][0].launch_names
    # The relu after BatchNorm runs inside it (BatchNormWithReLU).
    assert any(name.startswith("fused:add,sigmoid,mul")
               for name in forward), forward
    assert not any("relu" in name for name in forward), forward
    assert fused < unfused
    in_place = list(executor._forward_programs.values())[0][0] \
        .launches_in_place
    assert len(in_place) == len(forward)


def batchnorm_relu_fusion(enabled):
    return environment("KILN_FUSE_BN_RELU", "1" if enabled else "0")


@pytest.mark.parametrize("layout", ["channels", "rows"])
def test_batchnorm_then_relu_runs_as_one_operator(layout):
    # The executor runs BatchNorm -> relu as _contrib_BatchNormWithReLU:
    # the same outputs, gradients and moving statistics as the two
    # operators, bit for bit, with no relu kernels of their own. "channels":
    # runs of 36 elements per channel (BatchNormOps.cpp's channel blocks);
    # "rows": BatchNorm of a Dense output (row blocks).
    data = mx.sym.var("data")
    if layout == "channels":
        h = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1),
                               no_bias=True, name="conv")
        shape = (3, 2, 6, 6)
    else:
        h = mx.sym.FullyConnected(data, num_hidden=5, name="fc0")
        shape = (6, 7)
    h = mx.sym.BatchNorm(h, fix_gamma=False, name="bn")
    h = mx.sym.Activation(h, act_type="relu")
    net = mx.sym.MakeLoss(mx.sym.sum(mx.sym.FullyConnected(
        mx.sym.flatten(h), num_hidden=3, name="fc") ** 2))
    rng = np.random.RandomState(3)
    arg_shapes, _, _ = net.infer_shape(data=shape)
    values = {name: rng.uniform(-1, 1, arg_shape).astype(np.float32)
              for name, arg_shape in zip(net.list_arguments(), arg_shapes)}
    results = []
    for enabled in (False, True):
        with batchnorm_relu_fusion(enabled):
            executor = net.simple_bind(mx.cpu(), data=shape)
            for name, array in executor.arg_dict.items():
                array[:] = values[name]
            for _ in range(2):
                outputs = executor.forward(is_train=True)
                executor.backward([mx.nd.ones(out.shape) for out in outputs])
            names = list(executor._forward_programs.values())[0][0] \
                .launch_names + executor._backward_program[0].launch_names
            results.append((
                [o.asnumpy() for o in outputs],
                {k: g.asnumpy() for k, g in executor.grad_dict.items()
                 if g is not None},
                {k: a.asnumpy() for k, a in executor.aux_dict.items()},
                names))
    (out0, grads0, aux0, names0), (out1, grads1, aux1, names1) = results
    for a, b in zip(out0, out1):
        np.testing.assert_array_equal(a, b)
    for name in grads0:
        np.testing.assert_array_equal(grads0[name], grads1[name], err_msg=name)
    for name in aux0:
        np.testing.assert_array_equal(aux0[name], aux1[name], err_msg=name)
    assert any("relu" in name or "gt,select" in name for name in names0), \
        names0
    assert not any("relu" in name or "gt,select" in name
                   for name in names1), names1


def test_arrays_given_as_out_are_always_written():
    # MakeLoss's head gradient is copied into a buffer autograd made (and
    # holds under another handle) before the fused group took it: the
    # group must write it, or every gradient is zero.
    data, w = mx.sym.var("data"), mx.sym.var("w")
    net = mx.sym.MakeLoss(mx.sym.sum(data * w * 2.0))
    x0, w0 = rand(4, 5), rand(5, 4).T.copy()
    compare(net, {"data": x0, "w": w0})
    _, grads, _, _ = run(net, {"data": x0, "w": w0})
    np.testing.assert_allclose(grads["data"], 2 * w0, rtol=1e-6)
    np.testing.assert_allclose(grads["w"], 2 * x0, rtol=1e-6)


def test_dump_ir_writes_programs_and_each_kernels_passes(tmp_path):
    with environment("KILN_DUMP_IR", str(tmp_path)):
        x = mx.sym.var("x")
        # A constant no other test uses: its kernel is compiled here.
        y = mx.sym.tanh(x * 0.123456) + 7.654321
        executor = y.simple_bind(mx.cpu(), x=(3, 5), grad_req="null")
        executor.forward(is_train=False)[0].wait_to_read()
    program = (tmp_path / "executable-0.txt").read_text()
    assert "fused:mul,tanh,add" in program and '"op": "tanh"' in program
    kernels = [path.read_text() for path in tmp_path.glob("*fused_elementwise*")]
    assert any("7.654321" in text and "IR Dump After" in text and
               "llvm.func" in text for text in kernels), kernels


def test_backward_mirror_recomputes_activations_instead_of_keeping_them():
    # MXNET_BACKWARD_DO_MIRROR=1: values only the tape keeps (each layer's
    # activation intermediates) are recomputed when the backward reaches
    # them, so they no longer all live from the forward to the backward.
    x = mx.sym.var("x")
    h = x
    for layer in range(4):
        h = mx.sym.FullyConnected(h, num_hidden=128, no_bias=True,
                                  name="fc%d" % layer)
        h = mx.sym.sigmoid(h) * mx.sym.tanh(h * 0.5) + mx.sym.relu(h) * 0.1
    net = mx.sym.MakeLoss(mx.sym.sum(h * h))
    rng = np.random.RandomState(3)
    inputs = {"x": rng.randn(256, 64).astype(np.float32) * 0.5}
    for layer in range(4):
        inputs["fc%d_weight" % layer] = rng.randn(
            128, 64 if layer == 0 else 128).astype(np.float32) * 0.1
    _, _, _, kept = run(net, inputs)
    with environment("MXNET_BACKWARD_DO_MIRROR", "1"):
        _, _, mirrored = compare(net, inputs)
    backward = mirrored._backward_program[0].launch_names
    assert sum(name.startswith("recompute:") for name in backward) == 4
    assert (mirrored._memory_stats["arena_bytes"] <
            0.8 * kept._memory_stats["arena_bytes"])
    _, grads_kept, _, _ = run(net, inputs)
    for name, grad in grads_kept.items():
        np.testing.assert_array_equal(
            grad, mirrored.grad_dict[name].asnumpy(), err_msg=name)


def conv_bn_relu_net():
    """Two convolution-BatchNorm-relu layers (the executor runs each
    BatchNorm and relu as one _contrib_BatchNormWithReLU), then a third
    convolution and BatchNorm added to the second layer's output."""
    h = mx.sym.var("data")
    for layer in range(2):
        h = mx.sym.Convolution(h, kernel=(3, 3), pad=(1, 1), num_filter=8,
                               no_bias=True, name="conv%d" % layer)
        h = mx.sym.BatchNorm(h, fix_gamma=False, name="bn%d" % layer)
        h = mx.sym.Activation(h, act_type="relu", name="relu%d" % layer)
    branch = mx.sym.BatchNorm(
        mx.sym.Convolution(h, kernel=(3, 3), pad=(1, 1), num_filter=8,
                           no_bias=True, name="conv2"),
        fix_gamma=False, name="bn2")
    h = mx.sym.relu(h + branch)
    return mx.sym.SoftmaxOutput(
        mx.sym.FullyConnected(mx.sym.flatten(h), num_hidden=5, name="fc"),
        name="softmax")


def conv_bn_relu_inputs(batch=16):
    rng = np.random.RandomState(5)
    inputs = {"data": rng.randn(batch, 4, 16, 16).astype(np.float32),
              "softmax_label": rng.randint(0, 5, batch).astype(np.float32),
              "fc_weight": rng.randn(5, 8 * 16 * 16).astype(np.float32) * 0.01}
    for layer in range(3):
        inputs["conv%d_weight" % layer] = rng.randn(
            8, 4 if layer == 0 else 8, 3, 3).astype(np.float32) * 0.2
        inputs["bn%d_gamma" % layer] = rng.uniform(
            0.5, 1.5, 8).astype(np.float32)
        inputs["bn%d_beta" % layer] = rng.uniform(
            -0.5, 0.5, 8).astype(np.float32)
    return inputs


def run_steps(symbol, inputs, mirror, grad_req="write", outputs_too=False,
              recompute=None, head_grads=None):
    """Two training steps of `symbol` with MXNET_BACKWARD_DO_MIRROR=mirror:
    the executor and every array it ends with, as numpy. With mirror "0",
    BatchNormWithReLU outputs are still recomputed (kiln's default) unless
    `recompute` is "0" (KILN_BACKWARD_RECOMPUTE); "keep" is mirror "0" with
    recompute "0": every value kept from the forward."""
    if mirror == "keep":
        mirror, recompute = "0", "0"
    with environment("MXNET_BACKWARD_DO_MIRROR", mirror), \
            environment("KILN_BACKWARD_RECOMPUTE", recompute or "1"):
        outputs, grads, _, executor = run(symbol, inputs, grad_req=grad_req,
                                          head_grads=head_grads)
    arrays = {"aux:" + name: value.asnumpy()
              for name, value in executor.aux_dict.items()}
    arrays.update(("grad:" + name, grad) for name, grad in grads.items())
    arrays.update(("out%d" % i, out) for i, out in enumerate(outputs))
    return executor, arrays


@pytest.mark.parametrize("grad_req", ["write", "add"])
def test_backward_mirror_recomputes_batchnorm_relu_outputs(grad_req):
    # MXNET_BACKWARD_DO_MIRROR=1: the backward reads each BatchNormWithReLU
    # output from a recomputation (the same normalization kernel over the
    # saved statistics), so the forward's copy dies at its last forward
    # reader. The results are the same bits.
    net, inputs = conv_bn_relu_net(), conv_bn_relu_inputs()
    kept, expected = run_steps(net, inputs, "keep", grad_req)
    mirrored, got = run_steps(net, inputs, "1", grad_req)
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name],
                                      err_msg=name)
    recomputed = [name for name in mirrored._backward_program[0].launch_names
                  if name == "recompute:_contrib_BatchNormWithReLU"]
    assert len(recomputed) == 2
    assert not any(name.startswith("recompute:") for name in
                   kept._backward_program[0].launch_names)
    # About one layer's output (16 x 8 x 16 x 16 floats) fewer bytes at
    # the peak: both lived from the forward into the backward, and now one
    # recomputation lives at a time.
    layer_bytes = 16 * 8 * 16 * 16 * 4
    assert (mirrored._memory_stats["arena_bytes"] <=
            kept._memory_stats["arena_bytes"] - 0.9 * layer_bytes)


@pytest.mark.parametrize("recompute", [None, "1", "0"])
def test_batchnorm_relu_outputs_are_recomputed_by_default(recompute):
    # Without MXNET_BACKWARD_DO_MIRROR, BatchNormWithReLU outputs are still
    # recomputed in backward (one normalization kernel each) unless
    # KILN_BACKWARD_RECOMPUTE=0; fused elementwise values are not (only the
    # mirror recomputes those). The bits are the same either way.
    net, inputs = conv_bn_relu_net(), conv_bn_relu_inputs()
    kept, expected = run_steps(net, inputs, "keep")
    with environment("KILN_BACKWARD_RECOMPUTE", recompute), \
            environment("MXNET_BACKWARD_DO_MIRROR", None):
        outputs, grads, _, executor = run(net, inputs)
    names = executor._backward_program[0].launch_names
    expected_count = 0 if recompute == "0" else 2
    assert names.count("recompute:_contrib_BatchNormWithReLU") == \
        expected_count, names
    assert not any(name.startswith("recompute:") and "BatchNorm" not in name
                   for name in names), names
    for name, grad in grads.items():
        np.testing.assert_array_equal(grad, expected["grad:" + name],
                                      err_msg=name)
    layer_bytes = 16 * 8 * 16 * 16 * 4
    if expected_count:
        assert (executor._memory_stats["arena_bytes"] <=
                kept._memory_stats["arena_bytes"] - 0.9 * layer_bytes)
    else:
        assert (executor._memory_stats["arena_bytes"] ==
                kept._memory_stats["arena_bytes"])


@pytest.mark.parametrize("pool_type, recomputed", [
    ("max", 0), ("avg", 1), (None, 1)])
def test_max_pooled_batchnorm_relu_outputs_are_kept(pool_type, recomputed):
    # Max pooling's backward reads its input and costs about one pass over
    # it, as the recomputation would: a BatchNorm+relu output it pools is
    # kept from the forward. Average pooling's backward does not read it;
    # a convolution's dwarfs the recomputation. The bits never change.
    data = mx.sym.var("data")
    h = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=8,
                           no_bias=True, name="conv0")
    h = mx.sym.Activation(mx.sym.BatchNorm(h, fix_gamma=False, name="bn0"),
                          act_type="relu")
    if pool_type:
        h = mx.sym.Pooling(h, kernel=(2, 2), stride=(2, 2),
                           pool_type=pool_type)
    h = mx.sym.Convolution(h, kernel=(3, 3), pad=(1, 1), num_filter=4,
                           no_bias=True, name="conv1")
    net = mx.sym.MakeLoss(mx.sym.sum(h * h))
    rng = np.random.RandomState(4)
    inputs = {"data": rng.randn(4, 3, 16, 16).astype(np.float32),
              "conv0_weight": rng.randn(8, 3, 3, 3).astype(np.float32) * 0.3,
              "conv1_weight": rng.randn(4, 8, 3, 3).astype(np.float32) * 0.3}
    kept, expected = run_steps(net, inputs, "keep")
    default, got = run_steps(net, inputs, "0")
    assert default._backward_program[0].launch_names.count(
        "recompute:_contrib_BatchNormWithReLU") == recomputed
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name],
                                      err_msg=name)


def test_backward_mirror_when_the_relu_output_is_also_a_graph_output():
    # The executor keeps the first layer's output for the caller: the
    # backward reads it rather than a recomputation (which would only add
    # memory); the second layer's is still recomputed.
    net = conv_bn_relu_net()
    relu0 = net.get_internals()["relu0_output"]
    group = mx.sym.Group([net, relu0, mx.sym.BlockGrad(relu0), relu0 * 1.0])
    inputs = conv_bn_relu_inputs(batch=4)
    # relu0 and relu0 * 1 are not losses: they take head gradients.
    heads = [None, mx.nd.ones((4, 8, 16, 16)), None,
             mx.nd.ones((4, 8, 16, 16))]
    kept, expected = run_steps(group, inputs, "keep", head_grads=heads)
    mirrored, got = run_steps(group, inputs, "1", head_grads=heads)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name],
                                      err_msg=name)
    assert mirrored._backward_program[0].launch_names.count(
        "recompute:_contrib_BatchNormWithReLU") == 1
    # A recomputation of the kept output would add up to a layer's output
    # (4 x 8 x 16 x 16 floats) beside it.
    assert (mirrored._memory_stats["arena_bytes"] <
            kept._memory_stats["arena_bytes"] + 4 * 8 * 16 * 16 * 4 // 2)


@pytest.mark.parametrize("view", [
    lambda r: mx.sym.transpose(r, axes=(0, 1, 3, 2)),
    lambda r: mx.sym.flip(r, axis=3),
    lambda r: mx.sym.slice_axis(r, axis=1, begin=2, end=6),
    lambda r: mx.sym.reshape(r, shape=(4, 4, 256, 2))],
    ids=["transpose", "flip", "slice_axis", "reshape"])
def test_backward_mirror_reads_views_of_the_recomputation(view):
    # Views of a BatchNormWithReLU output share its variable: the backward
    # must read the same view of the recomputation, not the whole of it.
    data = mx.sym.var("data")
    h = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=8,
                           no_bias=True, name="conv0")
    h = mx.sym.Activation(mx.sym.BatchNorm(h, fix_gamma=False, name="bn0"),
                          act_type="relu")
    v = view(h)
    net = mx.sym.MakeLoss(
        mx.sym.sum(mx.sym.Convolution(v, kernel=(3, 3), pad=(1, 1),
                                      num_filter=3, no_bias=True,
                                      name="conv1")) + mx.sym.sum(v * v))
    rng = np.random.RandomState(1)
    inputs = {"data": rng.randn(4, 4, 16, 16).astype(np.float32),
              "conv0_weight": rng.randn(8, 4, 3, 3).astype(np.float32) * 0.2}
    kept, expected = run_steps(net, inputs, "keep")
    mirrored, got = run_steps(net, inputs, "1")
    assert mirrored._static
    assert mirrored._backward_program[0].launch_names.count(
        "recompute:_contrib_BatchNormWithReLU") == 1
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name],
                                      err_msg=name)


def test_backward_mirror_in_a_hybridized_gluon_block():
    def train(mirror):
        mx.random.seed(11)
        net = mx.gluon.nn.HybridSequential()
        with net.name_scope():
            for _ in range(2):
                net.add(mx.gluon.nn.Conv2D(6, 3, padding=1, use_bias=False),
                        mx.gluon.nn.BatchNorm(),
                        mx.gluon.nn.Activation("relu"))
            net.add(mx.gluon.nn.Dense(3))
        net.initialize(mx.init.Xavier())
        net.hybridize()
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                                   {"learning_rate": 0.1, "momentum": 0.9})
        loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
        rng = np.random.RandomState(2)
        with environment("MXNET_BACKWARD_DO_MIRROR", mirror), \
                environment("KILN_BACKWARD_RECOMPUTE", mirror):
            for _ in range(3):
                x = mx.nd.array(rng.randn(8, 3, 12, 12))
                y = mx.nd.array(rng.randint(0, 3, 8))
                with mx.autograd.record():
                    value = loss(net(x), y)
                value.backward()
                trainer.step(8)
        executors = [slot.executor for slots in
                     net._cached_op._slots.values() for slot in slots]
        recomputed = sum(
            name == "recompute:_contrib_BatchNormWithReLU"
            for executor in executors
            for name in executor._backward_program[0].launch_names)
        # Weights and running statistics, in the blocks' order (each net
        # has its own name prefix).
        return recomputed, [p.data().asnumpy()
                            for p in net.collect_params().values()]

    (none, expected), (two, got) = train("0"), train("1")
    assert (none, two) == (0, 2)
    assert len(expected) == len(got) == 12
    for i, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_array_equal(a, b, err_msg="parameter %d" % i)
