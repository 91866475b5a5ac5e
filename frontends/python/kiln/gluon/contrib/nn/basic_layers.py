"""MXNet 1.9.1's ``mxnet/gluon/contrib/nn/basic_layers.py``: layers that
run their children side by side, pixel shuffling, and the contrib
homes of ``Identity`` and ``SyncBatchNorm`` (kiln defines those two in
``gluon.nn``; they are the same classes here).

Every ``hybrid_forward`` calls the registry operators MXNet's does
(``concat``, ``reshape`` with MXNet's special codes, ``transpose``,
``swapaxes``), so hybridized runs trace into MXNet's graphs.
"""
from ....base import MXNetError
from .... import ndarray as _nd
from ...block import Block
from ...block import HybridBlock
from ...nn import HybridSequential, Identity, Sequential, SyncBatchNorm

__all__ = ['Concurrent', 'HybridConcurrent', 'Identity', 'SparseEmbedding',
           'SyncBatchNorm', 'PixelShuffle1D', 'PixelShuffle2D',
           'PixelShuffle3D']


class Concurrent(Sequential):
    """Feeds its input to every child and concatenates their outputs
    along ``axis`` (default -1): children of outputs ``(N, a)`` and
    ``(N, b)`` give ``(N, a + b)``. Children are added with ``add``, as
    in Sequential; MXNetError from ``concat`` when the other extents
    differ."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super(Concurrent, self).__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        outputs = [child(x) for child in self._children.values()]
        return _nd.concat(*outputs, dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Concurrent of HybridBlocks (``F.concat`` of the children's outputs
    along ``axis``, default -1); hybridized, one graph."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super(HybridConcurrent, self).__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        outputs = [child(x) for child in self._children.values()]
        return F.concat(*outputs, dim=self.axis)


class SparseEmbedding(Block):
    """MXNet's embedding with a row_sparse weight and gradient, for
    distributed training with huge vocabularies.

    kiln has dense storage only, so construction raises MXNetError naming
    the block and pointing at ``gluon.nn.Embedding`` (the same lookup with
    a dense weight and gradient). Arguments as MXNet's: ``input_dim``,
    ``output_dim``, ``dtype='float32'``, ``weight_initializer=None``,
    ``prefix``/``params``.
    """

    def __init__(self, input_dim, output_dim, dtype='float32',
                 weight_initializer=None, **kwargs):
        super(SparseEmbedding, self).__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim,
                        'dtype': dtype, 'sparse_grad': True}
        raise MXNetError(
            "SparseEmbedding '%s' (%s -> %s) needs a row_sparse weight and "
            "gradient, and kiln has dense storage only; use "
            "gluon.nn.Embedding(%s, %s) instead (a dense weight and gradient)"
            % (self.prefix, input_dim, output_dim, input_dim, output_dim))

    def __repr__(self):
        return '%s(%s -> %s, %s)' % (type(self).__name__,
                                     self._kwargs['input_dim'],
                                     self._kwargs['output_dim'],
                                     self._kwargs['dtype'])


def _factors(factor, count):
    """``factor`` as a tuple of ``count`` ints: one int repeated, or a
    sequence of exactly ``count`` (AssertionError 'wrong length n')."""
    try:
        return (int(factor),) * count
    except TypeError:
        factors = tuple(int(each) for each in factor)
        assert len(factors) == count, "wrong length {}".format(len(factors))
        return factors


class PixelShuffle1D(HybridBlock):
    """Moves channel groups into the width: ``(N, f*C, W)`` to
    ``(N, C, W*f)``, output[n, c, w*f + i] = input[n, c*f + i, w].

    factor : int (a 1-tuple is refused by ``int``, as in MXNet).
    MXNetError when the channels are not a multiple of ``f``.
    """

    def __init__(self, factor):
        super(PixelShuffle1D, self).__init__()
        self._factor = int(factor)

    def hybrid_forward(self, F, x):
        f = self._factor
        x = F.reshape(x, (0, -4, -1, f, 0))   # (N, C, f, W)
        x = F.transpose(x, (0, 1, 3, 2))      # (N, C, W, f)
        return F.reshape(x, (0, 0, -3))       # (N, C, W*f)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._factor)


class PixelShuffle2D(HybridBlock):
    """Moves channel groups into height and width: ``(N, f1*f2*C, H, W)``
    to ``(N, C, H*f1, W*f2)`` (Shi et al., 2016, sub-pixel convolution).

    factor : int or 2 ints (AssertionError for another length).
    """

    def __init__(self, factor):
        super(PixelShuffle2D, self).__init__()
        self._factors = _factors(factor, 2)

    def hybrid_forward(self, F, x):
        f1, f2 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2, 0, 0))  # (N, C, f1*f2, H, W)
        x = F.reshape(x, (0, 0, -4, f1, f2, 0, 0))    # (N, C, f1, f2, H, W)
        x = F.transpose(x, (0, 1, 4, 2, 5, 3))        # (N, C, H, f1, W, f2)
        return F.reshape(x, (0, 0, -3, -3))           # (N, C, H*f1, W*f2)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._factors)


class PixelShuffle3D(HybridBlock):
    """Moves channel groups into depth, height and width:
    ``(N, f1*f2*f3*C, D, H, W)`` to ``(N, C, D*f1, H*f2, W*f3)``.

    factor : int or 3 ints (AssertionError for another length). Built
    from swapaxes and reshapes (at most 7 dimensions), as MXNet's.
    """

    def __init__(self, factor):
        super(PixelShuffle3D, self).__init__()
        self._factors = _factors(factor, 3)

    def hybrid_forward(self, F, x):
        f1, f2, f3 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2 * f3, 0, 0, 0))
        x = F.swapaxes(x, 2, 3)                            # (N, C, D, f1f2f3, H, W)
        x = F.reshape(x, (0, 0, 0, -4, f1, f2 * f3, 0, 0))
        x = F.reshape(x, (0, 0, -3, 0, 0, 0))              # (N, C, D*f1, f2f3, H, W)
        x = F.swapaxes(x, 3, 4)                            # (N, C, D*f1, H, f2f3, W)
        x = F.reshape(x, (0, 0, 0, 0, -4, f2, f3, 0))
        x = F.reshape(x, (0, 0, 0, -3, 0, 0))              # (N, C, D*f1, H*f2, f3, W)
        x = F.swapaxes(x, 4, 5)                            # (N, C, D*f1, H*f2, W, f3)
        return F.reshape(x, (0, 0, 0, 0, -3))              # (N, C, D*f1, H*f2, W*f3)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._factors)
