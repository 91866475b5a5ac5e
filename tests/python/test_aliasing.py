"""Which results share memory with their input, as in MXNet 1.9.1.

MXNet's operators return arrays of their own; only NDArray.reshape (the
method), basic indexing of a contiguous region (x[1], x[1:3], x[1, 2:4]),
astype(copy=False) and detach share. kiln computes views internally without
copying, so each case is checked both ways: a write into the input must not
show in the result, nor a write into the result in the input. The expected
table was measured with the real mxnet==1.9.1.
"""
import numpy as np
import pytest

import kiln as mx

# name -> (how the result is made from a (4, 5) array x, whether it shares)
CASES = {
    "transpose": (lambda x: mx.nd.transpose(x), False),
    "T": (lambda x: x.T, False),
    "transpose_method": (lambda x: x.transpose(), False),
    "flip": (lambda x: mx.nd.flip(x, axis=0), False),
    "reverse": (lambda x: mx.nd.reverse(x, axis=0), False),
    "reshape_op": (lambda x: mx.nd.reshape(x, shape=(5, 4)), False),
    "reshape_op_same_shape": (lambda x: mx.nd.reshape(x, shape=(4, 5)), False),
    "reshape_method": (lambda x: x.reshape((5, 4)), True),
    "reshape_method_codes": (lambda x: x.reshape((-1,)), True),
    "slice": (lambda x: mx.nd.slice(x, begin=(1, 0), end=(3, 5)), False),
    "slice_axis": (lambda x: mx.nd.slice_axis(x, axis=0, begin=1, end=3), False),
    "crop": (lambda x: mx.nd.crop(x, begin=(1, 0), end=(3, 5)), False),
    "expand_dims": (lambda x: mx.nd.expand_dims(x, axis=0), False),
    "expand_dims_method": (lambda x: x.expand_dims(0), False),
    "flatten": (lambda x: mx.nd.flatten(x), False),
    "flatten_method": (lambda x: x.flatten(), False),
    "squeeze": (lambda x: mx.nd.squeeze(x.reshape((1, 4, 5))), False),
    "swapaxes": (lambda x: mx.nd.swapaxes(x, 0, 1), False),
    "broadcast_to_same_shape": (lambda x: mx.nd.broadcast_to(x, shape=(4, 5)), False),
    "reshape_like": (lambda x: mx.nd.reshape_like(x, mx.nd.ones((5, 4))), False),
    "split_one": (lambda x: mx.nd.split(x, num_outputs=1, axis=0), False),
    "copy": (lambda x: x.copy(), False),
    "astype_copy": (lambda x: x.astype("float32"), False),
    "astype_no_copy": (lambda x: x.astype("float32", copy=False), True),
    "detach": (lambda x: x.detach(), True),
    "step_slice": (lambda x: x[::2], False),
    "negative_step_slice": (lambda x: x[::-1], False),
    "column": (lambda x: x[:, 1], False),
    "ellipsis_column": (lambda x: x[..., 1], False),
    "row": (lambda x: x[1], True),
    "negative_row": (lambda x: x[-1], True),
    "rows": (lambda x: x[1:3], True),
    "row_part": (lambda x: x[1, 2:4], True),
    "element": (lambda x: x[1, 2], True),
    "new_axis_row": (lambda x: x[None, 1], True),
    "everything": (lambda x: x[:], True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_write_into_input(name):
    make, shares = CASES[name]
    x = mx.nd.ones((4, 5))
    result = make(x)
    x[:] = 7
    assert bool((result.asnumpy() == 7).any()) == shares


@pytest.mark.parametrize("name", sorted(CASES))
def test_write_into_result(name):
    make, shares = CASES[name]
    x = mx.nd.ones((4, 5))
    result = make(x)
    result[:] = 9
    assert bool((x.asnumpy() == 9).any()) == shares


@pytest.mark.parametrize("name", sorted(CASES))
def test_in_place_arithmetic_on_result(name):
    make, shares = CASES[name]
    x = mx.nd.ones((4, 5))
    result = make(x)
    result += 1
    assert bool((x.asnumpy() == 2).any()) == shares


def test_copies_keep_values_and_shapes():
    x = mx.nd.array(np.arange(20).reshape(4, 5))
    np.testing.assert_array_equal(mx.nd.transpose(x).asnumpy(), np.arange(20).reshape(4, 5).T)
    np.testing.assert_array_equal(x[::2].asnumpy(), np.arange(20).reshape(4, 5)[::2])
    np.testing.assert_array_equal(x[:, 1].asnumpy(), np.arange(20).reshape(4, 5)[:, 1])
    assert x[1].shape == (5,) and x[1, 2].shape == (1,)


def test_views_under_autograd_keep_gradients():
    x = mx.nd.array(np.arange(6).reshape(2, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = (mx.nd.transpose(x) * mx.nd.array([[1], [2], [3]])).sum() + x[1].sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 2, 3], [2, 3, 4]])
