"""Activation layers of ``mx.gluon.nn``, as MXNet 1.9.1's
``mxnet/gluon/nn/activations.py``.

Each layer's ``hybrid_forward(F, x, ...)`` calls the same registry operator
with the same attributes as MXNet's layer (``Activation`` and
``LeakyReLU`` with its ``act_type``), so it runs with ``F = mx.nd`` and
traces with ``F = mx.sym`` into the graph MXNet would export. Every layer
maps an input of any shape and float dtype to an output of that shape and
dtype.
"""
from .. import block as _block
from ... import initializer

__all__ = ['Activation', 'LeakyReLU', 'PReLU', 'ELU', 'SELU', 'Swish', 'GELU']


class Activation(_block.HybridBlock):
    """``F.Activation(x, act_type=activation)``: 'relu', 'sigmoid', 'tanh',
    'softrelu' or 'softsign' (the operator refuses other names at the
    first call, as MXNet's does).

    The block's name prefix is the activation's name (``relu0_``), as in
    MXNet; ``repr`` is ``Activation(relu)``.
    """

    def __init__(self, activation, **kwargs):
        # Set before Block.__init__, which asks _alias() for the prefix.
        self._act_type = activation
        super(Activation, self).__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name='fwd')

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._act_type)


class LeakyReLU(_block.HybridBlock):
    """``x`` where ``x >= 0``, ``alpha * x`` elsewhere (``F.LeakyReLU`` with
    act_type 'leaky'). ``alpha`` must be >= 0: AssertionError otherwise,
    as in MXNet."""

    def __init__(self, alpha, **kwargs):
        assert alpha >= 0, \
            "Slope coefficient for LeakyReLU must be no less than 0."
        super(LeakyReLU, self).__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='leaky', slope=self._alpha,
                           name='fwd')

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._alpha)


class PReLU(_block.HybridBlock):
    """LeakyReLU with a learned slope: parameter ``alpha`` of shape
    ``(in_channels,)`` (1, one slope for all, or the input's axis-1 size),
    initialized by ``alpha_initializer`` (Constant(0.25) by default)."""

    def __init__(self, alpha_initializer=initializer.Constant(0.25),
                 in_channels=1, **kwargs):
        super(PReLU, self).__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(in_channels,),
                                         init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type='prelu', name='fwd')


class ELU(_block.HybridBlock):
    """Exponential linear unit, ``alpha * (exp(x) - 1)`` for ``x < 0``
    (Clevert et al., 2016; ``F.LeakyReLU`` with act_type 'elu')."""

    def __init__(self, alpha=1.0, **kwargs):
        super(ELU, self).__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        # MXNet's ELU passes no name='fwd'; kept so graphs name alike.
        return F.LeakyReLU(x, act_type='elu', slope=self._alpha)


class SELU(_block.HybridBlock):
    """Scaled exponential linear unit (Klambauer et al., 2017;
    ``F.LeakyReLU`` with act_type 'selu')."""

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='selu', name='fwd')


class GELU(_block.HybridBlock):
    """Gaussian error linear unit, ``x * Phi(x)`` with the erf form
    (Hendrycks et al., 2016; ``F.LeakyReLU`` with act_type 'gelu')."""

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='gelu', name='fwd')


class Swish(_block.HybridBlock):
    """``x * sigmoid(beta * x)`` (Ramachandran et al., 2017)."""

    def __init__(self, beta=1.0, **kwargs):
        super(Swish, self).__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name='fwd')
