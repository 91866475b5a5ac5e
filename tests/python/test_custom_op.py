"""mx.operator and the Custom operator against MXNet 1.9.1.

MXNet's documented examples (the softmax CustomOp of its "new op" tutorial,
with a label argument and need_top_grad=False; an operator with an
auxiliary state updated while training; one with two arguments and two
outputs; the deprecated NumpyOp and NDArrayOp) run under both frameworks:
imperatively under autograd, as symbols through Executor/simple_bind (also
with grad_req 'add'), through JSON both ways, in Module.fit, and in a
hybridized Gluon block, with outputs, auxiliary states and gradients
compared. Bad input (an unregistered op_type, the wrong number of inputs,
infer_shape answering the wrong counts or contradicting the inputs, errors
raised inside forward or backward) is refused by both, kiln with an
MXNetError naming the operator at the call.
"""
import json

import numpy as np
import pytest

import kiln as mx
import kiln.module  # noqa: F401  (attach the submodules to the package)
import kiln.operator  # noqa: F401
import kiln.symbol  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import (bad_input_tests, compare_outputs, requires_oracle,
                          run_both)

# The operators, registered under both frameworks. REQS collects the
# requests each backward saw (as indices into REQ_NAMES), COUNT the
# forward calls of t_count, KWARGS what t_kwargs's constructor received.
OPS = """
import json
REQ_NAMES = ('null', 'write', 'inplace', 'add')
REQS, COUNT, KWARGS = [], [0], []

class Softmax(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
        y /= y.sum(axis=1).reshape((x.shape[0], 1))
        self.assign(out_data[0], req[0], mx.nd.array(y))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        REQS.append([REQ_NAMES.index(r) for r in req])
        l = in_data[1].asnumpy().ravel().astype(int)
        y = out_data[0].asnumpy()
        y[np.arange(l.shape[0]), l] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))

@mx.operator.register("t_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super(SoftmaxProp, self).__init__(need_top_grad=False)
    def list_arguments(self):
        return ['data', 'label']
    def list_outputs(self):
        return ['output']
    def infer_shape(self, in_shape):
        data_shape = in_shape[0]
        label_shape = (in_shape[0][0],)
        return [data_shape, label_shape], [data_shape], []
    def infer_type(self, in_type):
        return in_type, [in_type[0]], []
    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()

class RunningNorm(mx.operator.CustomOp):
    # (x - moving_mean) * scale; moving_mean follows the batch mean while
    # training. The moving mean is a constant for backward.
    def __init__(self, scale, momentum):
        super(RunningNorm, self).__init__()
        self.scale, self.momentum = scale, momentum
    def forward(self, is_train, req, in_data, out_data, aux):
        x, mean = in_data[0], aux[0]
        if is_train:
            mean[:] = self.momentum * mean + (1 - self.momentum) * x.mean(axis=0)
        self.assign(out_data[0], req[0],
                    mx.nd.broadcast_sub(x, mean.reshape((1, -1))) * self.scale)
    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        REQS.append([REQ_NAMES.index(r) for r in req])
        self.assign(in_grad[0], req[0], out_grad[0] * self.scale)

@mx.operator.register("t_running_norm")
class RunningNormProp(mx.operator.CustomOpProp):
    def __init__(self, scale='1', momentum='0.9'):
        super(RunningNormProp, self).__init__(need_top_grad=True)
        self.scale, self.momentum = float(scale), float(momentum)
    def list_auxiliary_states(self):
        return ['moving_mean']
    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], [in_shape[0][1:]]
    def create_operator(self, ctx, shapes, dtypes):
        return RunningNorm(self.scale, self.momentum)

class SumProd(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        a, b = in_data
        self.assign(out_data[0], req[0], a + b)
        self.assign(out_data[1], req[1], a * b)
    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        REQS.append([REQ_NAMES.index(r) for r in req])
        a, b = in_data
        self.assign(in_grad[0], req[0], out_grad[0] + out_grad[1] * b)
        self.assign(in_grad[1], req[1], out_grad[0] + out_grad[1] * a)

@mx.operator.register("t_sum_prod")
class SumProdProp(mx.operator.CustomOpProp):
    def list_arguments(self):
        return ['a', 'b']
    def list_outputs(self):
        return ['sum', 'prod']
    def create_operator(self, ctx, shapes, dtypes):
        return SumProd()

class Count(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        COUNT[0] += 1
        self.assign(out_data[0], req[0], in_data[0] * COUNT[0])

@mx.operator.register("t_count")
class CountProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return Count()

@mx.operator.register("t_kwargs")
class KwargsProp(mx.operator.CustomOpProp):
    def __init__(self, **kwargs):
        super(KwargsProp, self).__init__()
        KWARGS.append(sorted(kwargs.items()))
    def create_operator(self, ctx, shapes, dtypes):
        return Count()

class Square(mx.operator.NDArrayOp):
    def __init__(self):
        super(Square, self).__init__(True)
    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] ** 2
    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = 2 * in_data[0] * out_grad[0]

class NumpySquare(mx.operator.NumpyOp):
    def __init__(self):
        super(NumpySquare, self).__init__(True)
    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] ** 2
    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = 2 * in_data[0] * out_grad[0]

def strings(key, value):
    outputs['s/' + key] = np.array(json.dumps(value))
"""


def _split(got, expected):
    """Compares the string outputs ('s/...') of both, returns the rest."""
    for key in [key for key in expected if key.startswith("s/")]:
        assert json.loads(got.pop(key).item()) == \
            json.loads(expected.pop(key).item()), key
    return got, expected


def _inputs(seed=0):
    rng = np.random.RandomState(seed)
    return dict(
        x=rng.randn(5, 4).astype(np.float32),
        label=np.array([0, 3, 1, 2, 3], dtype=np.float32),
        a=rng.randn(2, 3).astype(np.float32),
        b=rng.randn(2, 3).astype(np.float32),
        h=rng.randn(2, 3).astype(np.float32),
        w=(rng.randn(4, 3) * 0.5).astype(np.float32),
        bias=(rng.randn(4) * 0.1).astype(np.float32),
        X=rng.randn(20, 3).astype(np.float32),
        Y=rng.randint(0, 4, size=20).astype(np.float32))


IMPERATIVE = OPS + """
x, lab = mx.nd.array(inputs['x']), mx.nd.array(inputs['label'])
x.attach_grad()
with mx.autograd.record():
    y = mx.nd.Custom(x, lab, op_type='t_softmax')
y.backward()
outputs['softmax/out'] = y.asnumpy()
outputs['softmax/grad'] = x.grad.asnumpy()
mx.nd.waitall()
strings('softmax/reqs', REQS); del REQS[:]

# out=: the result written into the given array.
o = mx.nd.zeros((5, 4))
r = mx.nd.Custom(x, lab, op_type='t_softmax', out=o)
outputs['softmax/out='] = o.asnumpy()
outputs['softmax/out=is'] = np.array(r is o)

# An auxiliary state, updated while training only.
m = mx.nd.zeros((4,))
head = mx.nd.array(np.cos(np.arange(20)).reshape(5, 4))
with mx.autograd.record():
    y = mx.nd.Custom(x, m, op_type='t_running_norm', scale=2, momentum=0.5)
y.backward(head)
outputs['norm/out'] = y.asnumpy()
outputs['norm/grad'] = x.grad.asnumpy()
outputs['norm/mean'] = m.asnumpy()
y = mx.nd.Custom(x * 3, m, op_type='t_running_norm', scale=2, momentum=0.5)
outputs['norm/predict'] = y.asnumpy()
outputs['norm/mean_after_predict'] = m.asnumpy()
mx.nd.waitall()
strings('norm/reqs', REQS); del REQS[:]

# Two outputs: both used, then one (the other's gradient is zeros).
a, b = mx.nd.array(inputs['a']), mx.nd.array(inputs['b'])
a.attach_grad(); b.attach_grad()
with mx.autograd.record():
    s, p = mx.nd.Custom(a, b, op_type='t_sum_prod')
    z = (s * p).sum()
z.backward()
outputs['sumprod/s'], outputs['sumprod/p'] = s.asnumpy(), p.asnumpy()
outputs['sumprod/ga'], outputs['sumprod/gb'] = a.grad.asnumpy(), b.grad.asnumpy()
with mx.autograd.record():
    s, p = mx.nd.Custom(a, b, op_type='t_sum_prod')
p.backward(mx.nd.array(inputs['h']))
outputs['sumprod/ga_p'] = a.grad.asnumpy()
outputs['sumprod/gb_p'] = b.grad.asnumpy()
# b takes no gradient: its request is 'null'.
b2 = mx.nd.array(inputs['b'])
with mx.autograd.record():
    s, p = mx.nd.Custom(a, b2, op_type='t_sum_prod')
    z = s + p
z.backward()
outputs['sumprod/ga_null'] = a.grad.asnumpy()
mx.nd.waitall()
strings('sumprod/reqs', REQS); del REQS[:]

# Keyword arguments reach the prop's constructor as strings.
mx.nd.Custom(x, op_type='t_kwargs', foo=2, bar=(1, 2), baz=True, s='str',
             f=1.5, n=None, name='ignored').wait_to_read()
strings('kwargs', KWARGS)
# The output's type follows the input's.
outputs['kwargs/f64'] = mx.nd.Custom(mx.nd.array(inputs['a'], dtype='float64'),
                                     op_type='t_count').asnumpy()
"""


@requires_oracle
def test_imperative_forward_autograd_and_aux_match_mxnet():
    got, expected = _split(*run_both(IMPERATIVE, mx, **_inputs()))
    compare_outputs(got, expected)


SYMBOLIC = OPS + """
data = mx.sym.var('data')
fc = mx.sym.FullyConnected(data, num_hidden=4, name='fc')
net = mx.sym.Custom(fc, op_type='t_softmax', name='softmax')
strings('softmax/lists', [net.list_arguments(), net.list_outputs(),
                          net.list_auxiliary_states(), net.attr_dict()])
strings('softmax/shapes', net.infer_shape(data=(5, 3)))
for req in ('write', 'add'):
    exe = net.simple_bind(mx.cpu(), data=(5, 3), grad_req=req)
    exe.arg_dict['fc_weight'][:] = inputs['w']
    exe.arg_dict['fc_bias'][:] = inputs['bias']
    for step in range(2):
        exe.forward(is_train=True, data=mx.nd.array(inputs['X'][5 * step:5 * step + 5]),
                    softmax_label=mx.nd.array(inputs['Y'][:5]))
        exe.backward()
        outputs['exe/%s/out%d' % (req, step)] = exe.outputs[0].asnumpy()
        for name in ('data', 'fc_weight', 'fc_bias'):
            outputs['exe/%s/%s%d' % (req, name, step)] = exe.grad_dict[name].asnumpy()
    mx.nd.waitall()
    if req == 'write':
        # kiln's requests under grad_req 'add' are 'write' (into zeros that
        # the executor adds): compared for 'write' only.
        strings('exe/reqs', REQS)
    del REQS[:]

# An auxiliary state through an executor.
norm = mx.sym.Custom(data, op_type='t_running_norm', scale=3, momentum=0.5, name='rn')
strings('norm/lists', [norm.list_arguments(), norm.list_auxiliary_states(),
                       norm.infer_shape(data=(5, 4))])
exe = norm.simple_bind(mx.cpu(), data=(5, 4))
exe.forward(is_train=True, data=mx.nd.array(inputs['x']))
exe.backward(mx.nd.array(np.cos(np.arange(20)).reshape(5, 4)))
outputs['norm/out'] = exe.outputs[0].asnumpy()
outputs['norm/grad'] = exe.grad_dict['data'].asnumpy()
outputs['norm/mean'] = exe.aux_dict['rn_moving_mean'].asnumpy()
exe.forward(is_train=False, data=mx.nd.array(inputs['x']))
outputs['norm/predict'] = exe.outputs[0].asnumpy()
outputs['norm/mean_after_predict'] = exe.aux_dict['rn_moving_mean'].asnumpy()

# Two outputs, head gradients for both, and a group naming output 1.
sp = mx.sym.Custom(mx.sym.var('a'), mx.sym.var('b'), op_type='t_sum_prod', name='sp')
group = mx.sym.Group([sp[1], mx.sym.relu(sp[1], name='r'), sp[0]])
strings('sumprod/lists', [sp.list_outputs(), group.list_outputs(),
                          group.infer_shape(a=(2, 3), b=(2, 3))])
exe = group.simple_bind(mx.cpu(), a=(2, 3), b=(2, 3))
exe.forward(is_train=True, a=mx.nd.array(inputs['a']), b=mx.nd.array(inputs['b']))
exe.backward([mx.nd.array(inputs['h']), mx.nd.ones((2, 3)), mx.nd.array(inputs['a'])])
for k, out in enumerate(exe.outputs):
    outputs['sumprod/out%d' % k] = out.asnumpy()
outputs['sumprod/ga'] = exe.grad_dict['a'].asnumpy()
outputs['sumprod/gb'] = exe.grad_dict['b'].asnumpy()

# JSON: written, read back, run.
loaded = mx.sym.load_json(group.tojson())
strings('json/lists', [loaded.list_arguments(), loaded.list_outputs(),
                       loaded.attr_dict()])
node = [n for n in json.loads(group.tojson())['nodes'] if n['op'] == 'Custom'][0]
strings('json/node', node)
outputs['json/sumprod'] = loaded.eval(a=mx.nd.array(inputs['a']),
                                      b=mx.nd.array(inputs['b']))[1].asnumpy()
outputs['json/text'] = np.array(mx.sym.Group([net, norm]).tojson())
outputs['json/group'] = np.array(group.tojson())

# The operator's Python runs at every forward.
exe = mx.sym.Custom(data, op_type='t_count').simple_bind(mx.cpu(), data=(2, 3))
for step in range(3):
    exe.forward(data=mx.nd.array(inputs['a']))
outputs['count/out'] = exe.outputs[0].asnumpy()
outputs['count/n'] = np.array(COUNT[0])

# MXNet 1.x's deprecated NDArrayOp and NumpyOp.
for key, op in (('ndarrayop', Square()), ('numpyop', NumpySquare())):
    sym = op(mx.sym.var('x'), name='sq')
    strings(key + '/lists', [sym.list_arguments(), sym.list_outputs()])
    exe = sym.simple_bind(mx.cpu(), x=(2, 3))
    exe.forward(is_train=True, x=mx.nd.array(inputs['a']))
    exe.backward(mx.nd.array(inputs['h']))
    outputs[key + '/out'] = exe.outputs[0].asnumpy()
    outputs[key + '/grad'] = exe.grad_dict['x'].asnumpy()
"""


@requires_oracle
@pytest.mark.filterwarnings("ignore:(Python|NDArray|Numpy)Op has been deprecated")
def test_symbols_executors_json_and_legacy_ops_match_mxnet():
    got, expected = run_both(SYMBOLIC, mx, **_inputs())
    mxnet_json = str(expected.pop("json/text"))
    kiln_json = str(got.pop("json/text"))
    mxnet_group = str(expected.pop("json/group"))
    got.pop("json/group")
    compare_outputs(*_split(got, expected))
    # MXNet's JSON of a group naming the Custom node's second output.
    group = mx.sym.load_json(mxnet_group)
    assert group.list_outputs() == ["sp_prod", "r_output", "sp_sum"]
    inputs = _inputs()
    values = group.eval(a=mx.nd.array(inputs["a"]), b=mx.nd.array(inputs["b"]))
    for k, value in enumerate(values):
        np.testing.assert_allclose(value.asnumpy(),
                                   expected["sumprod/out%d" % k], rtol=1e-6)
    # Each reads the other's JSON into the same graph.
    for text in (mxnet_json, kiln_json):
        loaded = mx.sym.load_json(text)
        assert loaded.list_arguments() == ["data", "fc_weight", "fc_bias",
                                           "softmax_label"]
        assert loaded.list_outputs() == ["softmax_output", "rn_output"]
        assert loaded.list_auxiliary_states() == ["rn_moving_mean"]
        assert loaded.attr_dict()["rn"] == {
            "momentum": "0.5", "op_type": "t_running_norm", "scale": "3"}


MODULE = OPS + """
data = mx.sym.var('data')
fc = mx.sym.FullyConnected(data, num_hidden=4, name='fc')
net = mx.sym.Custom(fc, op_type='t_softmax', name='softmax')
mod = mx.mod.Module(net, data_names=['data'], label_names=['softmax_label'])
train = mx.io.NDArrayIter(inputs['X'], inputs['Y'], batch_size=5)
mod.fit(train, num_epoch=2, optimizer='sgd',
        optimizer_params={'learning_rate': 0.5},
        arg_params={'fc_weight': mx.nd.array(inputs['w']),
                    'fc_bias': mx.nd.array(inputs['bias'])})
arg_params, _ = mod.get_params()
outputs['fit/weight'] = arg_params['fc_weight'].asnumpy()
outputs['fit/bias'] = arg_params['fc_bias'].asnumpy()
outputs['fit/predict'] = mod.predict(
    mx.io.NDArrayIter(inputs['X'], batch_size=5)).asnumpy()
"""

GLUON = OPS + """
class Net(mx.gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Net, self).__init__(**kwargs)
        with self.name_scope():
            self.dense = mx.gluon.nn.Dense(4, in_units=3)

    def hybrid_forward(self, F, x, label):
        return F.Custom(self.dense(x), label, op_type='t_softmax')

for hybrid in (False, True):
    net = Net()
    net.initialize()
    net.dense.weight.set_data(mx.nd.array(inputs['w']))
    net.dense.bias.set_data(mx.nd.array(inputs['bias']))
    if hybrid:
        net.hybridize()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    for step in range(4):
        x = mx.nd.array(inputs['X'][5 * step:5 * step + 5])
        with mx.autograd.record():
            y = net(x, mx.nd.array(inputs['Y'][5 * step:5 * step + 5]))
        y.backward()
        outputs['gluon%d/out%d' % (hybrid, step)] = y.asnumpy()
        outputs['gluon%d/grad%d' % (hybrid, step)] = net.dense.weight.grad().asnumpy()
        trainer.step(5)
    outputs['gluon%d/weight' % hybrid] = net.dense.weight.data().asnumpy()
"""


@requires_oracle
def test_module_fit_and_hybridized_gluon_match_mxnet():
    got, expected = run_both(MODULE + GLUON, mx, **_inputs())
    compare_outputs(got, expected)
    for key in [key for key in got if key.startswith("gluon1/")]:
        np.testing.assert_allclose(got[key], got["gluon0/" + key[7:]],
                                   rtol=1e-6, atol=1e-7, err_msg=key)


BAD = OPS + """
x, v = mx.nd.ones((2, 3)), mx.sym.var('x')

@mx.operator.register("t_two")
class TwoProp(mx.operator.CustomOpProp):
    def list_arguments(self):
        return ['a', 'b']

@mx.operator.register("t_badshape")
class BadShapeProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], []

@mx.operator.register("t_wrongin")
class WrongInProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return [[7]], [[7]], []

class Raising(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        if self.where == 'forward':
            raise ValueError('boom in forward')
        self.assign(out_data[0], req[0], in_data[0])
    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        raise ValueError('boom in backward')

@mx.operator.register("t_badfwd")
class BadForwardProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        op = Raising(); op.where = 'forward'; return op

@mx.operator.register("t_badbwd")
class BadBackwardProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        op = Raising(); op.where = 'backward'; return op

def bad_backward():
    y = mx.nd.ones((2, 3))
    y.attach_grad()
    with mx.autograd.record():
        z = mx.nd.Custom(y, op_type='t_badbwd')
    z.backward()
    return y.grad

@mx.operator.register("t_csr")
class CsrProp(mx.operator.CustomOpProp):
    def infer_storage_type(self, in_stype):
        return in_stype, ['csr'], []
    def create_operator(self, ctx, shapes, dtypes):
        return Count()

# A graph whose Custom node has one input for t_two's two, and one whose
# head names output 2 of t_sum_prod's two.
GOOD = json.loads(mx.sym.Custom(mx.sym.var('a'), mx.sym.var('b'),
                                op_type='t_sum_prod').tojson())
ONE_INPUT = json.loads(json.dumps(GOOD))
ONE_INPUT['nodes'][2]['attrs']['op_type'] = 't_two'
ONE_INPUT['nodes'][2]['inputs'] = [[0, 0, 0]]
ONE_INPUT['heads'] = [[2, 0, 0]]
ONE_INPUT = json.dumps(ONE_INPUT)
OUTPUT_2 = json.dumps(dict(GOOD, heads=[[2, 2, 0]]))
SELF_INPUT = json.loads(json.dumps(GOOD))
SELF_INPUT['nodes'][2]['inputs'] = [[2, 0, 0], [1, 0, 0]]
SELF_INPUT = json.dumps(SELF_INPUT)
"""

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, BAD, [
        ("unregistered_nd", "mx.nd.Custom(x, op_type='t_missing')",
         "Cannot find custom operator t_missing"),
        ("unregistered_sym", "mx.sym.Custom(v, op_type='t_missing')",
         "Cannot find custom operator t_missing"),
        ("op_type_missing_nd", "mx.nd.Custom(x)",
         "Required argument `op_type` is missing"),
        ("op_type_missing_sym", "mx.sym.Custom(v)",
         "Required argument `op_type` is missing"),
        ("too_few_inputs_nd", "mx.nd.Custom(x, op_type='t_two')",
         "'t_two' expects 2 inputs \\(a, b\\), got 1"),
        ("too_many_inputs_nd", "mx.nd.Custom(x, x, x, op_type='t_two')",
         "'t_two' expects 2 inputs \\(a, b\\), got 3"),
        ("too_many_inputs_sym", "mx.sym.Custom(v, v, v, op_type='t_two')",
         "Custom: expected at most 2 input symbols, got 3"),
        ("infer_shape_counts_nd", "mx.nd.Custom(x, op_type='t_badshape')",
         "'t_badshape': InferShape Error: expecting 1 entries in returned "
         "output shapes, got 2"),
        ("infer_shape_counts_sym",
         "mx.sym.Custom(v, op_type='t_badshape').infer_shape(x=(2, 3))",
         "expecting 1 entries in returned output shapes, got 2"),
        ("infer_shape_contradicts_nd", "mx.nd.Custom(x, op_type='t_wrongin')",
         "Shape inconsistent for input 'data', Provided = \\[2, 3\\], "
         "inferred shape=\\[7\\]"),
        ("forward_raises_nd", "mx.nd.Custom(x, op_type='t_badfwd')",
         "custom operator 't_badfwd' \\(forward\\): ValueError: boom in "
         "forward"),
        ("forward_raises_executor",
         "mx.sym.Custom(v, op_type='t_badfwd', name='bad').bind(mx.cpu(), "
         "{'x': x}).forward()",
         "Error in operator bad: .*'t_badfwd' \\(forward\\): ValueError: "
         "boom in forward"),
        ("backward_raises", "bad_backward()",
         "'t_badbwd' \\(backward\\): ValueError: boom in backward"),
    ], [
        # MXNet runs these; kiln refuses them.
        ("sparse_storage", "mx.nd.Custom(x, op_type='t_csr')",
         "'t_csr': infer_storage_type gave .*csr.*dense"),
        ("json_custom_inputs", "mx.sym.load_json(ONE_INPUT)",
         "node 2 \\('custom\\d+'\\): operator Custom \\('t_two'\\) expects 2 "
         "inputs \\(a, b\\), got 1"),
        ("json_custom_output", "mx.sym.load_json(OUTPUT_2)",
         "head 0: entry \\[2, 2\\] names output 2 of a Custom node with 2"),
        ("json_custom_self_input", "mx.sym.load_json(SELF_INPUT)",
         "node 2 \\('custom\\d+'\\): 'inputs' expected a list of \\[node, "
         "output, version\\] naming earlier nodes"),
    ], MXNetError)


def test_assign_honours_each_request():
    op = mx.operator.CustomOp()
    dst = mx.nd.array([1.0, 2.0])
    src = mx.nd.array([10.0, 20.0])
    op.assign(dst, "null", src)
    assert dst.asnumpy().tolist() == [1.0, 2.0]
    op.assign(dst, "add", src)
    assert dst.asnumpy().tolist() == [11.0, 22.0]
    op.assign(dst, "write", src)
    assert dst.asnumpy().tolist() == [10.0, 20.0]
    op.assign(dst, "inplace", src * 2)
    assert dst.asnumpy().tolist() == [20.0, 40.0]


def test_registry_and_prop_defaults():
    @mx.operator.register("t_default")
    class DefaultProp(mx.operator.CustomOpProp):
        pass
    assert mx.operator.register("t_default2")(DefaultProp) is DefaultProp
    prop = DefaultProp()
    assert prop.list_arguments() == ["data"]
    assert prop.list_outputs() == ["output"]
    assert prop.list_auxiliary_states() == []
    assert prop.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert prop.infer_type([np.float64]) == ([np.float64], [np.float64], [])
    assert prop.infer_storage_type(["default"]) == (
        ["default"], ["default"], [])
    assert prop.declare_backward_dependency([0], [1], [2]) == [0, 1, 2]
    assert mx.operator.CustomOpProp(need_top_grad=False) \
        .declare_backward_dependency([0], [1], [2]) == [1, 2]
    names = mx.operator.get_all_registered_operators()
    assert "Custom" in names and "FullyConnected" in names
    assert "t_default" not in names
    # The default operator does nothing: its output stays zeros.
    out = mx.nd.Custom(mx.nd.ones((2, 2)), op_type="t_default")
    assert out.asnumpy().tolist() == [[0, 0], [0, 0]]
    assert mx.nd.Custom is mx.nd.op.Custom and mx.sym.Custom is \
        mx.sym.op.Custom


def test_executor_interprets_a_graph_with_a_custom_node():
    # The Custom node's Python cannot be captured into an executable: the
    # executor must fall back to running the graph node by node, and still
    # compute the graph around it.
    counts = []

    class Twice(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            counts.append(is_train)
            self.assign(out_data[0], req[0], in_data[0] * 2)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0] * 2)

    @mx.operator.register("t_twice")
    class TwiceProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Twice()

    data = mx.sym.var("data")
    net = mx.sym.sum(mx.sym.Custom(mx.sym.exp(data), op_type="t_twice") + 1)
    exe = net.simple_bind(mx.cpu(), data=(3,))
    values = np.array([0.0, 1.0, 2.0], dtype=np.float32)
    for step in range(3):
        exe.forward(is_train=True, data=mx.nd.array(values + step))
        exe.backward(mx.nd.ones((1,)))
        np.testing.assert_allclose(exe.outputs[0].asnumpy(),
                                   [np.sum(np.exp(values + step) * 2 + 1)],
                                   rtol=1e-5)
        np.testing.assert_allclose(exe.grad_dict["data"].asnumpy(),
                                   np.exp(values + step) * 2, rtol=1e-5)
    assert counts == [1, 1, 1]
    exe.forward(is_train=False, data=mx.nd.array(values))
    assert counts[-1] == 0


def test_json_round_trip_keeps_custom_nodes():
    _register_json_ops()
    data = mx.sym.var("data")
    sym = mx.sym.Custom(data, mx.sym.var("m"), op_type="t_running_norm_json",
                        scale=2, name="rn", attr={"__ctx_group__": "dev1"})
    text = sym.tojson()
    node = [n for n in json.loads(text)["nodes"] if n["name"] == "rn"][0]
    assert node["op"] == "Custom"
    assert node["attrs"] == {"__ctx_group__": "dev1", "op_type":
                             "t_running_norm_json", "scale": "2"}
    assert node["inputs"] == [[0, 0, 0], [1, 0, 1]]
    loaded = mx.sym.load_json(text)
    assert loaded.tojson() == text
    assert loaded.list_auxiliary_states() == ["m"]
    assert loaded.infer_shape(data=(4, 3)) == ([(4, 3)], [(4, 3)], [(3,)])
    exe = loaded.bind(mx.cpu(), {"data": mx.nd.ones((4, 3))},
                      aux_states={"m": mx.nd.ones((3,))})
    out = exe.forward()[0]
    assert out.asnumpy().tolist() == [[0, 0, 0]] * 4


def _register_json_ops():
    class Norm(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], mx.nd.broadcast_sub(
                in_data[0], aux[0].reshape((1, -1))) * self.scale)

    @mx.operator.register("t_running_norm_json")
    class NormProp(mx.operator.CustomOpProp):
        def __init__(self, scale):
            super(NormProp, self).__init__()
            self.scale = float(scale)

        def list_auxiliary_states(self):
            return ["moving_mean"]

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0]], [in_shape[0][1:]]

        def create_operator(self, ctx, shapes, dtypes):
            op = Norm()
            op.scale = self.scale
            return op


def test_partial_inference_leaves_unknown_inputs_unknown():
    @mx.operator.register("t_needs_data")
    class NeedsDataProp(mx.operator.CustomOpProp):
        def list_arguments(self):
            return ["data", "label"]

        def infer_shape(self, in_shape):
            return [in_shape[0], in_shape[0][:1]], [in_shape[0]], []

    net = mx.sym.Custom(mx.sym.var("data"), op_type="t_needs_data",
                        name="c")
    args, outs, aux = net.infer_shape_partial()
    assert args == [(), ()] and outs == [()]
    assert net.infer_shape(data=(6, 2)) == ([(6, 2), (6,)], [(6, 2)], [])
    with pytest.raises(MXNetError, match="'t_needs_data': Shape "
                       "inconsistent for input 'label', Provided = \\[5\\]"):
        net.infer_shape(data=(6, 2), c_label=(5,))
