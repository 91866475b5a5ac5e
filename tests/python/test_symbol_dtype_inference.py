"""Shape inference that sees data types, as MXNet 1.9.1 infers both together.

Ops that check their input types (dequantize wants int8/uint8, softmax's
length wants int32) must get the types that flow through the graph: the
variables' dtype attributes, the types given to infer_type / simple_bind,
the arrays' types in bind and hybridized blocks, and the types earlier ops
give (quantize_v2's int8). Compared live against MXNet 1.9.1 (run_both).
"""
import numpy as np
import pytest

import kiln as mx
import kiln._contrib_ops.quantization  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import compare_outputs, requires_oracle, run_both


def compare(got, expected):
    """compare_outputs for the numbers; the reprs `put` records equal."""
    texts = sorted(key for key, value in expected.items()
                   if value.dtype.kind == "U")
    for key in texts:
        assert str(got.pop(key)) == str(expected.pop(key)), key
    compare_outputs(got, expected)

# Graphs both frameworks build; `put` records any Python value as text.
GRAPHS = """
def put(key, value):
    outputs[key] = np.array(repr(value))

x = mx.sym.var('x')
q = mx.sym.contrib.quantize_v2(x, out_type='int8')
dq = mx.sym.contrib.dequantize(q[0], q[1], q[2])
qf = mx.sym.contrib.quantized_flatten(q[0], q[1], q[2])
chain = mx.sym.contrib.dequantize(qf[0], qf[1], qf[2])
d = mx.sym.var('d')
sm = mx.sym.softmax(d, mx.sym.var('l', dtype='int32'), use_length=True)
i = mx.sym.var('i', dtype='int32')
w = mx.sym.var('w')
take = mx.sym.take(w, i)
emb = mx.sym.Embedding(i, w, input_dim=5, output_dim=3)
hot = mx.sym.one_hot(i, depth=5)
mixed = mx.sym.relu(x) + mx.sym.var('h', dtype='int32')
"""


@requires_oracle
def test_infer_shape_and_type_see_dtypes():
    got, expected = run_both(GRAPHS + """
put("dq", dq.infer_shape(x=(2, 3)))
put("dq_partial", dq.infer_shape_partial(x=(2, 3)))
put("chain", chain.infer_shape(x=(2, 3, 4)))
put("sm", sm.infer_shape(d=(2, 5), l=(2,)))
put("sm_data_only", sm.infer_shape(d=(2, 5)))
put("take", take.infer_shape(w=(5, 3), i=(4,)))
put("emb", emb.infer_shape(i=(4,)))
put("hot", hot.infer_shape(i=(4,)))
put("mixed", mixed.infer_shape(x=(2,), h=(2,)))
put("dq_type", dq.infer_type(x='float32'))
put("q_type", q.infer_type(x='float32'))
put("q_type_int8", q.infer_type(x='int8'))
put("chain_type", chain.infer_type(x='float32'))
put("sm_type", sm.infer_type(d='float16'))
put("hot_type", hot.infer_type())
""", mx)
    compare(got, expected)


@requires_oracle
def test_simple_bind_runs_typed_graphs():
    x = np.linspace(-3, 5, 24).reshape(2, 3, 4).astype(np.float32)
    data = np.linspace(-1, 2, 10).reshape(2, 5).astype(np.float32)
    got, expected = run_both(GRAPHS + """
e = dq.simple_bind(mx.cpu(), x=(2, 3))
e.arg_dict['x'][:] = inputs['x'][0, :2, :3]
outputs['dq'] = e.forward()[0].asnumpy()
put("dq_types", [a.dtype for a in e.arg_arrays + e.outputs])
e = chain.simple_bind(mx.cpu(), x=(2, 3, 4))
e.arg_dict['x'][:] = inputs['x']
outputs['chain'] = e.forward()[0].asnumpy()
e = sm.simple_bind(mx.cpu(), d=(2, 5), l=(2,))
put("sm_types", [a.dtype for a in e.arg_arrays])
e.arg_dict['d'][:] = inputs['data']
e.arg_dict['l'][:] = np.array([2, 5])
outputs['sm'] = e.forward()[0].asnumpy()
e = sm.bind(mx.cpu(), {'d': mx.nd.array(inputs['data']),
                       'l': mx.nd.array([3, 1], dtype='int32')})
outputs['sm_bound'] = e.forward()[0].asnumpy()
e = hot.simple_bind(mx.cpu(), i=(3,))
e.arg_dict['i'][:] = np.array([4, 0, 2])
outputs['hot'] = e.forward()[0].asnumpy()
e = take.simple_bind(mx.cpu(), w=(5, 3), i=(4,))
e.arg_dict['w'][:] = np.arange(15).reshape(5, 3)
e.arg_dict['i'][:] = np.array([4, 0, 2, 2])
outputs['take'] = e.forward()[0].asnumpy()
put("take_types", [a.dtype for a in e.arg_arrays])
""", mx, x=x, data=data)
    compare(got, expected)


# Hybridized blocks compared with the same blocks run eagerly.
BLOCKS = """
class Dequantized(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        q = F.contrib.quantize_v2(x, out_type='int8')
        return F.contrib.dequantize(q[0], q[1], q[2])

class FlatDequantized(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        q = F.contrib.quantize_v2(x, out_type='uint8', min_calib_range=-1.0,
                                  max_calib_range=6.0)
        f = F.contrib.quantized_flatten(q[0], q[1], q[2])
        return F.contrib.dequantize(f[0], f[1], f[2])

class Lengths(mx.gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Lengths, self).__init__(**kwargs)
        self.dense = mx.gluon.nn.Dense(5, flatten=False)

    def hybrid_forward(self, F, x, length):
        return F.softmax(self.dense(x), length, use_length=True)

class Indexed(mx.gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Indexed, self).__init__(**kwargs)
        self.embed = mx.gluon.nn.Embedding(6, 3)

    def hybrid_forward(self, F, table, index):
        return F.concat(F.take(table, index), self.embed(index),
                        F.one_hot(index, depth=3), dim=1)

class Cosine(mx.init.Initializer):
    # The same weights under either framework (deferred ones too).
    def _init_weight(self, name, arr):
        arr[:] = np.cos(np.arange(arr.size)).reshape(arr.shape)

def both(key, block, *args):
    block.initialize(Cosine())
    outputs[key + "_eager"] = block(*args).asnumpy()
    block.hybridize()
    first = block(*args)
    outputs[key + "_hybrid"] = first.asnumpy()
    outputs[key + "_again"] = block(*args).asnumpy()
    outputs[key + "_dtype"] = np.array(str(np.dtype(first.dtype)))

x = mx.nd.array(inputs['x'])
both("dq", Dequantized(), x)
both("flat", FlatDequantized(), x)
length = mx.nd.array([[1, 3, 5], [2, 2, 4]], dtype='int32')
both("sm", Lengths(), x, length)
index = mx.nd.array([4, 0, 2, 5], dtype='int32')
table = mx.nd.array(inputs['table'])
both("indexed", Indexed(), table, index)
"""


@requires_oracle
def test_hybridized_blocks_equal_eager():
    x = np.linspace(-1, 6, 24).reshape(2, 3, 4).astype(np.float32)
    table = np.arange(18).reshape(6, 3).astype(np.float32)
    got, expected = run_both(BLOCKS, mx, x=x, table=table)
    compare(got, expected)
    for key in ("dq", "flat", "sm", "indexed"):
        np.testing.assert_array_equal(got[key + "_hybrid"],
                                      got[key + "_eager"], err_msg=key)
        np.testing.assert_array_equal(got[key + "_again"],
                                      got[key + "_eager"], err_msg=key)


def test_known_types_still_refused():
    """A float32 length is still refused by softmax (as MXNet's
    simple_bind and forward refuse it), naming the operator and the
    types."""
    d = mx.sym.var('d')
    length = mx.sym.var('l', dtype='float32')
    sm = mx.sym.softmax(d, length, use_length=True)
    with pytest.raises(MXNetError, match=r"softmax.*int32.*float32"):
        sm.simple_bind(mx.cpu(), d=(2, 5), l=(2,))
    with pytest.raises(MXNetError, match=r"softmax.*int32.*float32"):
        sm.bind(mx.cpu(), {'d': mx.nd.ones((2, 5)),
                           'l': mx.nd.ones((2,))}).forward()
    # dequantize of a float32 array (no quantize_v2 before it) is refused.
    data = mx.sym.var('q', dtype='float32')
    lo, hi = mx.sym.var('lo'), mx.sym.var('hi')
    with pytest.raises(MXNetError, match=r"dequantize.*uint8 or int8"):
        mx.sym.contrib.dequantize(data, lo, hi).infer_shape(
            q=(2, 3), lo=(1,), hi=(1,))


def test_infer_shape_alone_has_no_dtype_side_effects():
    """Guessed float32 types stay out of infer_type: an untyped variable
    beside an int32 length is not given int32 by shape inference."""
    d = mx.sym.var('d')
    sm = mx.sym.softmax(d, mx.sym.var('l', dtype='int32'), use_length=True)
    assert sm.infer_shape(d=(2, 5))[0] == [(2, 5), (2,)]
    assert sm.infer_type(d='float64') == (
        [np.float64, np.int32], [np.float64], [])
