"""The generated mx.nd operator functions (kiln/_op_gen.py): the common call
(every input an NDArray given by position, only the op's attributes as
keywords) takes a shortcut to _core.invoke. These check that every call form
of ops with optional trailing inputs (FullyConnected's bias, RNN's
state_cell, SequenceMask's sequence_length) gives what the general path
gives: the same values, and the same errors for a missing or extra input.
"""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError

nd = mx.nd


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [nd.array(rng.standard_normal(s).astype(np.float32))
            for s in shapes]


def test_fully_connected_bias_positional_equals_keyword():
    x, w, b = _arrays((4, 6), (3, 6), (3,))
    expected = x.asnumpy() @ w.asnumpy().T + b.asnumpy()
    positional = nd.FullyConnected(x, w, b, num_hidden=3)
    keyword = nd.FullyConnected(x, w, bias=b, num_hidden=3)
    np.testing.assert_allclose(positional.asnumpy(), expected, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_array_equal(positional.asnumpy(), keyword.asnumpy())


def test_fully_connected_without_bias_by_position():
    x, w = _arrays((4, 6), (3, 6))
    y = nd.FullyConnected(x, w, num_hidden=3, no_bias=True)
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy() @ w.asnumpy().T,
                               rtol=1e-5, atol=1e-5)


def test_fully_connected_missing_bias_is_the_ops_error():
    x, w = _arrays((4, 6), (3, 6))
    with pytest.raises(MXNetError, match="expected 3 inputs"):
        nd.FullyConnected(x, w, num_hidden=3)


def test_fully_connected_bias_given_with_no_bias_is_refused():
    x, w, b = _arrays((4, 6), (3, 6), (3,))
    with pytest.raises(MXNetError, match="no_bias=True expected 2 inputs"):
        nd.FullyConnected(x, w, b, num_hidden=3, no_bias=True)


def test_fully_connected_one_input_is_refused():
    x, = _arrays((4, 6))
    with pytest.raises(MXNetError, match="missing input 'weight'"):
        nd.FullyConnected(x, num_hidden=3)


def test_convolution_bias_positional_equals_keyword():
    x, w, b = _arrays((2, 3, 5, 5), (4, 3, 3, 3), (4,))
    positional = nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4)
    keyword = nd.Convolution(data=x, weight=w, bias=b, kernel=(3, 3),
                             num_filter=4)
    np.testing.assert_array_equal(positional.asnumpy(), keyword.asnumpy())


def test_sequence_mask_length_by_position():
    x, = _arrays((3, 2, 4))
    length = nd.array([1, 3])
    positional = nd.SequenceMask(x, length, use_sequence_length=True,
                                 value=-1.0)
    keyword = nd.SequenceMask(x, sequence_length=length,
                              use_sequence_length=True, value=-1.0)
    expected = x.asnumpy().copy()
    expected[1:, 0] = -1.0
    np.testing.assert_array_equal(positional.asnumpy(), expected)
    np.testing.assert_array_equal(keyword.asnumpy(), expected)


def test_rnn_lstm_state_cell_by_position():
    seq, batch, inputs, hidden = 3, 2, 4, 5
    count = 4 * hidden * (inputs + hidden + 2)
    x, params, h0, c0 = _arrays((seq, batch, inputs), (count,),
                                (1, batch, hidden), (1, batch, hidden))
    positional = nd.RNN(x, params, h0, c0, state_size=hidden, num_layers=1,
                        mode="lstm")
    keyword = nd.RNN(data=x, parameters=params, state=h0, state_cell=c0,
                     state_size=hidden, num_layers=1, mode="lstm")
    np.testing.assert_array_equal(positional.asnumpy(), keyword.asnumpy())


def test_too_many_positional_inputs_are_attributes_as_in_mxnet():
    # Past the inputs, positional values are attributes in order (MXNet's
    # generated signature): softmax(x, length, axis).
    x, = _arrays((2, 5))
    y = nd.softmax(x, None, 0)
    e = np.exp(x.asnumpy() - x.asnumpy().max(axis=0))
    np.testing.assert_allclose(y.asnumpy(), e / e.sum(axis=0), rtol=1e-5)


def test_shortcut_records_for_autograd():
    x, w, b = _arrays((4, 6), (3, 6), (3,))
    for array in (x, w, b):
        array.attach_grad()
    with mx.autograd.record():
        y = nd.FullyConnected(x, w, b, num_hidden=3)
    y.backward(nd.ones((4, 3)))
    np.testing.assert_allclose(b.grad.asnumpy(), np.full(3, 4.0))
    np.testing.assert_allclose(w.grad.asnumpy(),
                               np.ones((3, 4)) @ x.asnumpy(), rtol=1e-5)


@pytest.mark.parametrize("op", ["SequenceMask", "SequenceLast",
                                "SequenceReverse"])
def test_sequence_length_without_its_flag_is_refused(op):
    # It was silently ignored eagerly (nothing masked); MXNet counts the
    # inputs by use_sequence_length and refuses the extra one.
    x, = _arrays((3, 2, 4))
    length = nd.array([1, 3])
    with pytest.raises(MXNetError, match="expects 1 inputs, but got 2"):
        getattr(nd, op)(x, length)
    with pytest.raises(MXNetError, match="expects 1 inputs, but got 2"):
        getattr(nd, op)(x, sequence_length=length)
    getattr(nd, op)(x, length, use_sequence_length=True)


def test_a_required_input_given_as_none_is_mxnets_count_error():
    # MXNet's generated functions leave None out and the operator counts
    # too few inputs (MXNetError); kiln asserted the type instead.
    x, w, b = _arrays((4, 6), (3, 6), (3,))
    with pytest.raises(MXNetError, match="Operator FullyConnected expects 3 "
                                         "inputs, but got 2 instead"):
        nd.FullyConnected(None, w, b, num_hidden=3)
    with pytest.raises(MXNetError, match="Operator dot expects 2 inputs, but "
                                         "got 1 instead"):
        nd.dot(x, None)
    with pytest.raises(MXNetError, match="expects 3 inputs, but got 2"):
        nd.LayerNorm(x, nd.ones((6,)), None)
    # Counted by the attributes, as MXNet: with the bias unless no_bias.
    with pytest.raises(MXNetError, match="expects 3 inputs, but got 1"):
        nd.FullyConnected(x, None, num_hidden=3)
    with pytest.raises(MXNetError, match="expects 2 inputs, but got 1"):
        nd.FullyConnected(x, None, num_hidden=3, no_bias=True)


def test_an_input_given_by_position_and_keyword_is_a_type_error():
    x, w, b = _arrays((4, 6), (3, 6), (3,))
    with pytest.raises(TypeError, match="got multiple values for argument "
                                        "'data'"):
        nd.FullyConnected(x, w, b, data=x, num_hidden=3)
