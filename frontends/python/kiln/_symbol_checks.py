"""mx.test_utils' checks of Symbols and optimizers, as MXNet 1.9.1's:
check_numeric_gradient and numeric_grad on a Symbol's executor,
check_symbolic_forward, check_symbolic_backward, check_speed,
check_consistency, simple_forward, same_symbol_structure,
compare_optimizer and check_gluon_hybridize_consistency.

kiln.test_utils re-exports them; it keeps its Python-function forms of
check_numeric_gradient and numeric_grad and hands Symbols and executors to
the ones here. Locations are lists (in list_arguments() order) or dicts of
numpy arrays; assertion failures are AssertionError from
assert_almost_equal, bad locations ValueError, as in MXNet.
"""
import json
import time
import traceback

import numpy as np


def _utils():
    from . import test_utils
    return test_utils


def _sorted(mapping):
    return dict(sorted(mapping.items()))


def _as_array(value, ctx, dtype):
    """An NDArray of `value` (a numpy array; NDArrays pass through) on ctx,
    of `dtype` ("asnumpy": the numpy array's own)."""
    from . import ndarray as nd
    if not isinstance(value, np.ndarray):
        return value
    return nd.array(value, ctx=ctx,
                    dtype=value.dtype if dtype == "asnumpy" else dtype)


def _check_dtype(dtype, allow_asnumpy=True):
    assert (allow_asnumpy and dtype == "asnumpy") or \
        dtype in (np.float16, np.float32, np.float64), dtype


def _by_name(values, names, message):
    """values (a list or tuple in the order of `names`, or a dict naming
    each of them: ValueError with `message` otherwise) as a dict."""
    if isinstance(values, dict):
        if set(values) != set(names):
            raise ValueError("%s do not match.symbol %s, given keys:%s"
                             % (message, set(names), set(values)))
        return dict(values)
    return dict(zip(names, values))


def _parse_location(sym, location, ctx, dtype=np.float32):
    """The arguments of `sym` by name: location is a list or tuple in
    list_arguments() order, or a dict naming every argument (ValueError
    otherwise); numpy arrays become NDArrays on ctx."""
    assert isinstance(location, (dict, list, tuple))
    _check_dtype(dtype)
    location = _by_name(location, sym.list_arguments(),
                        "Symbol arguments and keys of the given location")
    return _sorted({name: _as_array(value, ctx, dtype)
                    for name, value in location.items()})


def _parse_aux_states(sym, aux_states, ctx, dtype=np.float32):
    """The auxiliary states of `sym` by name (None stays None), from a list
    in list_auxiliary_states() order or a dict naming all of them."""
    _check_dtype(dtype)
    if aux_states is None:
        return None
    aux_states = _by_name(aux_states, sym.list_auxiliary_states(),
                          "Symbol aux_states names and given aux_states")
    from . import ndarray as nd
    return {name: nd.array(value, ctx=ctx, dtype=np.asarray(value).dtype
                           if dtype == "asnumpy" else dtype)
            for name, value in aux_states.items()}


def numeric_grad(executor, location, aux_states=None, eps=1e-4,
                 use_forward_train=True, dtype=np.float32):
    """Central differences of sum(executor.outputs[0]) for each float
    argument in `location` (a dict of numpy arrays, perturbed and restored
    in place), with `aux_states` (a dict of numpy arrays) reset before each
    forward: a dict of gradients of `dtype`."""
    from . import ndarray as nd
    assert dtype in (np.float16, np.float32, np.float64)
    grads = {name: np.zeros(value.shape, dtype=dtype)
             for name, value in location.items()}
    for name, value in location.items():
        executor.arg_dict[name][:] = nd.array(value, dtype=dtype)
    for name in location:
        location[name] = np.asarray(location[name], order="C")

    def run():
        if aux_states is not None:
            for key, state in aux_states.items():
                executor.aux_dict[key][:] = nd.array(state, dtype=dtype)
        executor.forward(is_train=use_forward_train)
        return executor.outputs[0].asnumpy()
    for name, value in location.items():
        if value.dtype.kind != "f":
            continue
        original = value.copy()
        flat = value.reshape(-1)
        for i in range(flat.size):
            flat[i] += eps / 2.0
            executor.arg_dict[name][:] = nd.array(value, dtype=dtype)
            plus = run()
            flat[i] -= eps
            executor.arg_dict[name][:] = nd.array(value, dtype=dtype)
            minus = run()
            grads[name].reshape(-1)[i] = (plus - minus).sum() / eps
            flat[i] = original.reshape(-1)[i]
        executor.arg_dict[name][:] = nd.array(original, dtype=dtype)
    return grads


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None,
                           rtol=None, atol=None, grad_nodes=None,
                           use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """MXNet's check of a Symbol's gradient: backward of
    make_loss(sym * random projection) against central differences, for
    the arguments in grad_nodes (all by default; a dict gives each its
    grad_req: 'write' compares the gradient, 'add' what backward added to
    a random start, 'null' that the start is untouched)."""
    from . import ndarray as nd
    from . import symbol as sym_module
    utils = _utils()
    assert dtype in (np.float16, np.float32, np.float64)
    ctx = ctx or utils.default_context()
    location = _parse_location(sym, location, ctx, dtype)
    location_npy = {name: value.asnumpy() for name, value in location.items()}
    aux_states = _parse_aux_states(sym, aux_states, ctx, dtype)
    aux_npy = None if aux_states is None else {
        name: value.asnumpy() for name, value in aux_states.items()}
    if grad_nodes is None:
        grad_nodes = sym.list_arguments()
        grad_req = {name: "write" for name in grad_nodes}
    elif isinstance(grad_nodes, (list, tuple)):
        grad_nodes = list(grad_nodes)
        grad_req = {name: "write" for name in grad_nodes}
    elif isinstance(grad_nodes, dict):
        grad_req = dict(grad_nodes)
        grad_nodes = list(grad_nodes)
    else:
        raise ValueError("grad_nodes expected None, a list or a dict, got %r"
                         % (grad_nodes,))
    _, out_shapes, _ = sym.infer_shape(
        **{name: value.shape for name, value in location.items()})
    projection = sym_module.Variable("__random_proj")
    out = sym_module.make_loss(sym * projection)
    # Not too small: precision would be lost in the differences.
    location = dict(location)
    location["__random_proj"] = nd.array(
        np.random.rand(*out_shapes[0]) + 0.1, ctx=ctx, dtype=dtype)
    start_npy = {name: np.random.normal(0, 0.01, size=location[name].shape)
                 for name in grad_nodes}
    start_npy["__random_proj"] = np.random.normal(0, 0.01, size=out_shapes[0])
    args_grad = {name: nd.array(value, ctx=ctx, dtype=dtype)
                 for name, value in start_npy.items()}
    executor = out.bind(ctx, grad_req=grad_req, args=location,
                        args_grad=args_grad, aux_states=aux_states)
    if len(executor.arg_arrays) != len(location):
        raise ValueError("Executor arg_arrays and and location len do not "
                         "match.Got %d inputs and %d locations"
                         % (len(executor.arg_arrays), len(location)))
    assert len(executor.outputs) == 1
    executor.forward(is_train=True)
    eps = utils.get_tolerance(executor.outputs[0], numeric_eps,
                              utils.default_numeric_eps())
    if dtype in (np.float32, np.float16):
        # Finite differences with a small step need more precision.
        assert eps >= 1e-5
    executor.backward()
    symbolic = executor.grad_dict
    numeric = numeric_grad(executor, location_npy, aux_npy, eps=eps,
                           use_forward_train=use_forward_train, dtype=dtype)
    for name in grad_nodes:
        names = ("NUMERICAL_%s" % name, "BACKWARD_%s" % name)
        request = grad_req[name]
        if request == "write":
            utils.assert_almost_equal(numeric[name], symbolic[name], rtol,
                                      atol, names)
        elif request == "add":
            utils.assert_almost_equal(numeric[name],
                                      symbolic[name].asnumpy() -
                                      start_npy[name], rtol, atol, names)
        elif request == "null":
            utils.assert_almost_equal(start_npy[name], symbolic[name], rtol,
                                      atol, names)
        else:
            raise ValueError("Invalid grad_req %s for argument %s"
                             % (request, name))


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None,
                           aux_states=None, ctx=None, equal_nan=False,
                           dtype=np.float32):
    """Asserts that sym's forward (is_train=False) at `location` gives
    `expected` (a list in list_outputs() order, or a dict by output name);
    returns the executor's outputs."""
    from . import ndarray as nd
    utils = _utils()
    _check_dtype(dtype)
    ctx = ctx or utils.default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux_states = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, dict):
        expected = [expected[name] for name in sym.list_outputs()]
    args_grad = {name: nd.zeros(value.shape, ctx=ctx, dtype=value.dtype
                                if dtype == "asnumpy" else dtype)
                 for name, value in location.items()}
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad,
                        aux_states=aux_states)
    executor.forward(is_train=False)
    for name, want, output in zip(sym.list_outputs(), expected,
                                  executor.outputs):
        utils.assert_almost_equal(want, output, rtol, atol,
                                  ("EXPECTED_%s" % name, "FORWARD_%s" % name),
                                  equal_nan=equal_nan)
    return executor.outputs


def _head_gradients(out_grads, ctx, dtype):
    if isinstance(out_grads, (list, tuple)):
        return [_as_array(value, ctx, dtype) for value in out_grads]
    if isinstance(out_grads, dict):
        return {name: _as_array(value, ctx, dtype)
                for name, value in out_grads.items()}
    assert out_grads is None
    return None


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None,
                            atol=None, aux_states=None, grad_req="write",
                            ctx=None, grad_stypes=None, equal_nan=False,
                            dtype=np.float32):
    """Asserts that sym's backward from `out_grads` (a list by output, a
    dict, or None for loss heads) writes `expected` (a list in
    list_arguments() order, or a dict) into the gradients, under grad_req
    (a string, list or dict of 'write', 'add' or 'null'; the gradient
    buffers start from random values, which 'add' must add to and 'null'
    must keep); returns the gradient arrays by name."""
    from . import ndarray as nd
    utils = _utils()
    _check_dtype(dtype)
    ctx = ctx or utils.default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux_states = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(sym.list_arguments(), expected))
    # Dirty the buffers deterministically (in name order).
    start_npy = {name: np.random.normal(size=np.shape(value))
                 for name, value in sorted(expected.items())}
    args_grad = {}
    for name, value in start_npy.items():
        stype = (grad_stypes or {}).get(name)
        if stype not in (None, "default"):
            utils.create_sparse_array(value.shape, stype)  # raises
        args_grad[name] = nd.array(
            value, ctx=ctx, dtype=np.asarray(expected[name]).dtype
            if dtype == "asnumpy" else dtype)
    if isinstance(grad_req, str):
        grad_req = {name: grad_req for name in sym.list_arguments()}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(sym.list_arguments(), grad_req))
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad,
                        aux_states=aux_states, grad_req=grad_req)
    executor.forward(is_train=True)
    executor.backward(_head_gradients(out_grads, ctx, dtype))
    for name in expected:
        names = ("EXPECTED_%s" % name, "BACKWARD_%s" % name)
        request = grad_req[name]
        if request == "write":
            utils.assert_almost_equal(expected[name], args_grad[name], rtol,
                                      atol, names, equal_nan=equal_nan)
        elif request == "add":
            utils.assert_almost_equal(expected[name],
                                      args_grad[name].asnumpy() -
                                      start_npy[name], rtol, atol, names,
                                      equal_nan=equal_nan)
        elif request == "null":
            utils.assert_almost_equal(start_npy[name], args_grad[name], rtol,
                                      atol, names, equal_nan=equal_nan)
        else:
            raise ValueError("Invalid grad_req %s for argument %s"
                             % (request, name))
    return args_grad


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None,
                typ="whole", **kwargs):
    """Seconds per forward+backward ("whole") or forward ("forward") of
    sym's executor over N runs after one warm-up; inputs from `location`
    (a dict of numpy arrays) or random normal values of the shapes in
    kwargs. ValueError for another typ."""
    from . import ndarray as nd
    ctx = ctx or _utils().default_context()
    grad_req = grad_req or "write"
    if location is None:
        executor = sym.simple_bind(grad_req=grad_req, ctx=ctx, **kwargs)
        location = {name: np.random.normal(size=array.shape, scale=1.0)
                    for name, array in executor.arg_dict.items()}
    else:
        assert isinstance(location, dict), \
            'Expect dict, get "location"=%s' % str(location)
        executor = sym.simple_bind(grad_req=grad_req, ctx=ctx, **{
            name: value.shape for name, value in location.items()})
    for name, value in location.items():
        executor.arg_dict[name][:] = value.astype(
            executor.arg_dict[name].dtype)
    if typ == "whole":
        def step():
            executor.forward(is_train=True)
            executor.backward(out_grads=executor.outputs)
    elif typ == "forward":
        def step():
            executor.forward(is_train=False)
    else:
        raise ValueError('typ can only be "whole" or "forward".')
    step()
    nd.waitall()
    start = time.time()
    for _ in range(N):
        step()
    nd.waitall()
    return (time.time() - start) / N


def check_consistency(sym, ctx_list, scale=1.0, grad_req="write",
                      arg_params=None, aux_params=None, rtol=None, atol=None,
                      raise_on_err=True, ground_truth=None, equal_nan=False,
                      use_uniform=False, rand_type=np.float64):
    """Asserts that sym (or one Symbol per entry) gives the same outputs,
    and gradients unless grad_req is 'null', under each entry of ctx_list
    (simple_bind's keyword arguments: ctx, input shapes, type_dict),
    against the most precise one or `ground_truth`; inputs are random
    (normal of std `scale`, or uniform) unless arg_params gives them.
    Returns the ground truth by output and argument name."""
    from . import ndarray as nd
    from .symbol import Symbol
    utils = _utils()
    assert len(ctx_list) > 1
    symbols = [sym] * len(ctx_list) if isinstance(sym, Symbol) else sym
    assert len(symbols) == len(ctx_list)
    output_names = symbols[0].list_outputs()
    arg_names = symbols[0].list_arguments()
    executors = []
    for symbol, ctx in zip(symbols, ctx_list):
        assert symbol.list_arguments() == arg_names
        assert symbol.list_outputs() == output_names
        executors.append(symbol.simple_bind(grad_req=grad_req, **ctx))
    arg_params = {} if arg_params is None else arg_params
    aux_params = {} if aux_params is None else aux_params
    for name, array in sorted(executors[0].arg_dict.items()):
        if name not in arg_params:
            if use_uniform:
                arg_params[name] = np.random.uniform(
                    low=-0.92 * scale, high=0.92 * scale,
                    size=array.shape).astype(rand_type)
            else:
                arg_params[name] = np.random.normal(
                    size=array.shape, scale=scale).astype(rand_type)
    for name in executors[0].aux_dict:
        aux_params.setdefault(name, 0)
    for executor in executors:
        for name, array in executor.arg_dict.items():
            array[:] = arg_params[name]
        for name, array in executor.aux_dict.items():
            array[:] = aux_params[name]
        if grad_req == "add":
            for array in executor.grad_arrays:
                array[:] = 0

    def least_precise(first, second):
        return first if second is None or \
            np.dtype(first).itemsize < np.dtype(second).itemsize else second
    dtypes = [np.dtype(executor.outputs[0].dtype) for executor in executors]
    truth_index = int(np.argmax(dtypes))
    truth = ground_truth
    if truth is None:
        truth = executors[truth_index].output_dict.copy()
        if grad_req != "null":
            truth.update(executors[truth_index].grad_dict)

    def compare(array, want, rtol_, atol_, what):
        try:
            utils.assert_almost_equal(array, want, rtol=rtol_, atol=atol_,
                                      equal_nan=equal_nan)
        except AssertionError as error:
            print(what)
            traceback.print_exc()
            if raise_on_err:
                raise error
            print(str(error))
    for executor in executors:
        executor.forward(is_train=False)
    for i, executor in enumerate(executors):
        if i != truth_index:
            for name, array in zip(output_names, executor.outputs):
                compare(array, truth[name], rtol, atol,
                        "Predict Err: ctx %d vs ctx %d at %s"
                        % (i, truth_index, name))
    if grad_req == "null":
        return truth
    for executor in executors:
        executor.forward(is_train=True)
    # The first executor's outputs, in the least precise dtype of each,
    # are every executor's head gradients.
    head_dtypes = [output.dtype for output in executors[0].outputs]
    for executor in executors:
        head_dtypes = [least_precise(output.dtype, dt) for output, dt
                       in zip(executor.outputs, head_dtypes)]
    heads = [output.astype(dt).asnumpy() for output, dt
             in zip(executors[0].outputs, head_dtypes)]
    for executor in executors:
        executor.backward([nd.array(head, ctx=output.context,
                                    dtype=output.dtype)
                           for head, output in zip(heads, executor.outputs)])
    for i, executor in enumerate(executors):
        if i == truth_index:
            continue
        for name, array in zip(output_names + arg_names,
                               executor.outputs + executor.grad_arrays):
            want = truth[name]
            if want is None:
                assert array is None
                continue
            rtol_, atol_ = rtol, atol
            array_dtype = least_precise(array.dtype, dtypes[i])
            want_dtype = least_precise(want.dtype, dtypes[truth_index])
            if array_dtype != array.dtype or want_dtype != want.dtype:
                rtol_, atol_ = utils.get_tols(array.astype(array_dtype),
                                              want.astype(want_dtype),
                                              rtol, atol)
            compare(array, want, rtol_, atol_,
                    "Train Err: ctx %d vs ctx %d at %s"
                    % (i, truth_index, name))
    return truth


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """sym's outputs (numpy arrays; one array for one output) for the
    numpy arrays named in `inputs`."""
    from . import ndarray as nd
    ctx = ctx or _utils().default_context()
    inputs = {name: nd.array(value) for name, value in inputs.items()}
    executor = sym.bind(ctx, args=inputs)
    executor.forward(is_train=is_train)
    outputs = [output.asnumpy() for output in executor.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def same_symbol_structure(sym1, sym2):
    """Whether the two graphs run the same operator at each node position
    (in their JSON, as far as the shorter one goes)."""
    nodes1 = json.loads(sym1.tojson())["nodes"]
    nodes2 = json.loads(sym2.tojson())["nodes"]
    return all(first["op"] == second["op"]
               for first, second in zip(nodes1, nodes2))


def compare_optimizer(opt1, opt2, shape, dtype, w_stype="default",
                      g_stype="default", rtol=1e-4, atol=1e-5,
                      compare_states=True, ntensors=1):
    """Asserts that two optimizers take the same step (weights and states)
    from the same random weight and gradient; with a list of shapes, opt2
    updates them all in one call and opt1 one by one. Sparse storage types
    raise MXNetError (kiln has none)."""
    import copy
    from . import random as mx_random
    utils = _utils()
    ctx = utils.default_context()
    if not isinstance(shape, list):
        assert ntensors == 1
        for stype in (w_stype, g_stype):
            if stype != "default":
                utils.rand_ndarray(shape, stype, dtype=dtype)  # raises
        w2 = mx_random.uniform(shape=shape, ctx=ctx, dtype=dtype)
        w1 = w2.copyto(ctx)
        g2 = mx_random.uniform(shape=shape, ctx=ctx, dtype=dtype)
        g1 = g2.copyto(ctx)
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            utils.compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            utils.compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        utils.assert_almost_equal(w1, w2, rtol=rtol, atol=atol)
        return
    w1 = tuple(mx_random.uniform(shape=s, ctx=ctx, dtype=dtype)
               for s in shape)
    g1 = tuple(mx_random.uniform(shape=s, ctx=ctx, dtype=dtype)
               for s in shape)
    w2, g2 = copy.deepcopy(w1), copy.deepcopy(g1)
    state2 = [opt2.create_state_multi_precision(0, w2[i])
              for i in range(ntensors)]
    opt2.update_multi_precision(list(range(ntensors)), w2, g2, state2)
    for i in range(ntensors):
        state1 = opt1.create_state_multi_precision(i, w1[i])
        opt1.update_multi_precision(i, w1[i], g1[i], state1)
        if compare_states:
            utils.compare_ndarray_tuple(state1, state2[i], rtol, atol)
        utils.compare_ndarray_tuple(w1[i], w2[i], rtol, atol)


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None,
                                      test_grad=True, rtol=1e-4, atol=1e-4):
    """Asserts that the HybridBlock net_builder(prefix='net_') gives the
    same outputs (and input gradients, with test_grad) imperatively and
    hybridized, with the parameters of its first build, and numpy_func's
    result if given. The network must not draw random numbers. (MXNet
    1.9.1's runs under use_np on mx.np arrays; kiln has no mx.np, so this
    one takes legacy NDArrays.)"""
    from . import autograd
    from . import initializer
    utils = _utils()

    class _FromNumpy(initializer.Initializer):
        def __init__(self, values):
            super(_FromNumpy, self).__init__()
            self._values = values

        def _init_weight(self, name, arr):
            arr[()] = self._values[name]
    saved_out, saved_grads, init = None, None, None
    for hybridize in (False, True):
        for use_autograd in ((False, True) if test_grad else (False,)):
            net = net_builder(prefix="net_")
            if init is None:
                net.initialize()
            else:
                net.initialize(init)
            if hybridize:
                net.hybridize()
            inputs = [data.copy() for data in data_l]
            if use_autograd:
                for data in inputs:
                    data.attach_grad()
                with autograd.record():
                    out = net(*inputs)
                out.backward(out)
            else:
                out = net(*inputs)
            if init is None:
                init = _FromNumpy({name: param.data().asnumpy() for name, param
                                   in net.collect_params().items()})
            if saved_out is None:
                saved_out = out.asnumpy()
            else:
                utils.assert_almost_equal(out.asnumpy(), saved_out,
                                          rtol=rtol, atol=atol)
            if use_autograd:
                grads = [data.grad.asnumpy() for data in inputs]
                if saved_grads is None:
                    saved_grads = grads
                else:
                    for grad, saved in zip(grads, saved_grads):
                        utils.assert_almost_equal(grad, saved, rtol=rtol,
                                                  atol=atol)
    if numpy_func is not None:
        expected = numpy_func(*[data.asnumpy() for data in data_l])
        utils.assert_almost_equal(saved_out, expected, rtol=rtol, atol=atol)
