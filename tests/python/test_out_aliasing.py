"""out= and copies into memory the source lives in: the values are those of
a copy through a new array (memmove semantics), whatever the overlap, and
an op whose out is a view of its input writes it (views share their base's
engine variable, which once made the write look already done)."""
import numpy as np

import kiln as mx


def arange(n):
    return mx.nd.array(np.arange(n, dtype=np.float32))


def test_slice_into_another_part_of_its_input():
    a = arange(6)
    mx.nd.slice(a, begin=(0,), end=(3,), out=a[3:6])
    assert a.asnumpy().tolist() == [0, 1, 2, 0, 1, 2]
    a = arange(6)
    mx.nd.slice_axis(a, axis=0, begin=3, end=6, out=a[0:3])
    assert a.asnumpy().tolist() == [3, 4, 5, 3, 4, 5]


def test_views_written_into_their_own_input():
    a = arange(6)
    mx.nd.reverse(a, axis=0, out=a)
    assert a.asnumpy().tolist() == [5, 4, 3, 2, 1, 0]
    b = mx.nd.array(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    mx.nd.transpose(b[0], out=b[1])
    assert b.asnumpy()[1].tolist() == [[0, 2], [1, 3]]
    d = arange(4)
    mx.nd.flip(d, axis=0, out=d)
    assert d.asnumpy().tolist() == [3, 2, 1, 0]


def test_overlapping_copies_move_like_memmove():
    a = arange(6)
    a[0:5].copyto(a[1:6])
    assert a.asnumpy().tolist() == [0, 0, 1, 2, 3, 4]
    a = arange(6)
    a[1:6].copyto(a[0:5])
    assert a.asnumpy().tolist() == [1, 2, 3, 4, 5, 5]
    a = arange(6)
    a[1:6] = a[0:5]
    assert a.asnumpy().tolist() == [0, 0, 1, 2, 3, 4]


def test_an_op_writing_its_out_directly_still_does():
    a = arange(4)
    out = mx.nd.zeros((4,))
    mx.nd.exp(a, out=out)
    np.testing.assert_allclose(out.asnumpy(), np.exp(np.arange(4)), rtol=1e-6)
    mx.nd.relu(a - 2, out=a)
    assert a.asnumpy().tolist() == [0, 0, 0, 1]


def test_slice_axis_refuses_what_mxnet_refuses():
    # MXNet 1.9.1's GetSliceAxisParams: slice clamps, slice_axis refuses.
    import pytest
    x = mx.nd.ones((5, 2))
    for begin, end, message in ((6, 9, "Invalid end for end=9"),
                                (0, 9, "Invalid end for end=9"),
                                (3, 2, "Invalid begin, end"),
                                (-6, 2, "Invalid begin for begin=-6"),
                                (5, None, "end=None")):
        with pytest.raises(mx.base.MXNetError, match=message):
            mx.nd.slice_axis(x, axis=0, begin=begin, end=end)
    assert mx.nd.slice_axis(x, axis=0, begin=-2, end=-1).shape == (1, 2)
    assert mx.nd.slice_axis(x, axis=0, begin=-1, end=None).shape == (1, 2)
    # split_v2 still gives MXNet's empty parts.
    parts = mx.nd.split_v2(x, (1, 1))
    assert [part.shape for part in parts] == [(1, 2), (0, 2), (4, 2)]
