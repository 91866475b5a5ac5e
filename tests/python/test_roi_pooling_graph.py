"""ROIPooling inside graphs: its output shape, (rois, channels, pooled_h,
pooled_w), does not depend on the ROIs' values, so shape inference,
Executors and hybridized blocks take it (the eager op reads the ROIs to lay
out its bins; shape inference has no values to read)."""
import numpy as np

import kiln as mx
from kiln import gluon

DATA = np.arange(2 * 3 * 6 * 6, dtype=np.float32).reshape(2, 3, 6, 6)
ROIS = np.array([[0, 0, 0, 5, 5], [1, 1, 1, 3, 4], [0, 2, 0, 2, 5]],
                dtype=np.float32)


def test_infer_shape():
    out = mx.sym.ROIPooling(mx.sym.var("d"), mx.sym.var("r"),
                            pooled_size=(2, 3), spatial_scale=1.0)
    assert out.infer_shape(d=(2, 3, 6, 6), r=(3, 5)) == (
        [(2, 3, 6, 6), (3, 5)], [(3, 3, 2, 3)], [])
    assert out.infer_type(d="float32", r="float32")[1] == [np.float32]


def test_executor_and_hybridized_block_equal_the_eager_op():
    expected = mx.nd.ROIPooling(mx.nd.array(DATA), mx.nd.array(ROIS),
                                pooled_size=(2, 2), spatial_scale=0.5)
    out = mx.sym.ROIPooling(mx.sym.var("d"), mx.sym.var("r"),
                            pooled_size=(2, 2), spatial_scale=0.5)
    executor = out.bind(mx.cpu(), {"d": mx.nd.array(DATA),
                                   "r": mx.nd.array(ROIS)})
    np.testing.assert_array_equal(executor.forward()[0].asnumpy(),
                                  expected.asnumpy())

    class Pool(gluon.HybridBlock):
        def hybrid_forward(self, F, data, rois):
            return F.ROIPooling(data, rois, pooled_size=(2, 2),
                                spatial_scale=0.5)

    block = Pool()
    block.hybridize()
    for _ in range(2):
        got = block(mx.nd.array(DATA), mx.nd.array(ROIS))
        np.testing.assert_array_equal(got.asnumpy(), expected.asnumpy())
