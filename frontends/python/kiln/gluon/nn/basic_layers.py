"""Basic layers of ``mx.gluon.nn``, as MXNet 1.9.1's
``mxnet/gluon/nn/basic_layers.py`` (plus ``Identity`` and ``SyncBatchNorm``,
which MXNet keeps in ``mxnet/gluon/contrib/nn/basic_layers.py``).

Every ``hybrid_forward(F, x, <parameters>)`` calls the registry operator
MXNet's layer calls, with the same attributes and ``name='fwd'``, so a
layer runs imperatively with ``F = mx.nd`` and traces with ``F = mx.sym``
into the graph MXNet would build. Parameter names, shapes, defaults,
deferred shapes (0 until the first call) and ``repr`` are MXNet's.
"""
import warnings

import numpy as np

from .. import block as _block
from ... import ndarray as _nd
from ... import symbol as _sym
from .activations import Activation

__all__ = ['Sequential', 'HybridSequential', 'Dense', 'Dropout', 'Embedding',
           'BatchNorm', 'BatchNormReLU', 'InstanceNorm', 'LayerNorm',
           'GroupNorm', 'Flatten', 'Lambda', 'HybridLambda', 'Identity',
           'SyncBatchNorm']


def _children_repr(block):
    """``Name(\\n  (key): child\\n  ...\\n)``, each child's own lines
    indented two more spaces: MXNet's layout of a container's repr."""
    lines = ['  (%s): %s' % (key, repr(child).replace('\n', '\n  '))
             for key, child in block._children.items()]
    return '%s(\n%s\n)' % (type(block).__name__, '\n'.join(lines))


def _kwargs_repr(kwargs):
    """``k1=v1, k2=v2`` with each value's repr, in the dict's order."""
    return ', '.join('%s=%r' % item for item in kwargs.items())


class _Stack(object):
    """What Sequential and HybridSequential share: add, indexing, len and
    the repr listing the children."""

    def add(self, *blocks):
        """Appends ``blocks`` in order; they run one after another."""
        for child in blocks:
            self.register_child(child)

    def __getitem__(self, key):
        """The child at index ``key``, or for a slice a new container of
        the same class (same prefix) holding those children."""
        chosen = list(self._children.values())[key]
        if not isinstance(chosen, list):
            return chosen
        stack = type(self)(prefix=self._prefix)
        with stack.name_scope():
            stack.add(*chosen)
        return stack

    def __len__(self):
        return len(self._children)

    def __repr__(self):
        return _children_repr(self)


class Sequential(_Stack, _block.Block):
    """Runs its children one after another: ``forward(x)`` feeds ``x`` to
    the first and each output to the next."""

    def __init__(self, prefix=None, params=None):
        super(Sequential, self).__init__(prefix=prefix, params=params)

    def forward(self, x):
        for child in self._children.values():
            x = child(x)
        return x

    def hybridize(self, active=True, **kwargs):
        """Hybridizes the HybridBlock children (recursively); warns, as
        MXNet does, when every child is hybrid (HybridSequential would
        compile them as one graph)."""
        children = list(self._children.values())
        if children and all(isinstance(c, _block.HybridBlock)
                            for c in children):
            warnings.warn(
                "All children of this Sequential layer '%s' are "
                "HybridBlocks. Consider using HybridSequential for the best "
                "performance." % self.prefix, stacklevel=2)
        super(Sequential, self).hybridize(active, **kwargs)


class HybridSequential(_Stack, _block.HybridBlock):
    """Sequential of HybridBlocks: hybridized, the whole stack traces into
    one graph."""

    def __init__(self, prefix=None, params=None):
        super(HybridSequential, self).__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        for child in self._children.values():
            x = child(x)
        return x


class Dense(_block.HybridBlock):
    """``activation(dot(x, weight.T) + bias)`` (``F.FullyConnected``).

    Parameters ``weight`` ``(units, in_units)`` and, with ``use_bias``,
    ``bias`` ``(units,)``, both of ``dtype``; ``in_units=0`` defers the
    weight's second extent to the first call. With ``flatten`` (default)
    an input ``(N, x1, ..., xk)`` is read as ``(N, x1*...*xk)`` and the
    output is ``(N, units)``; without it the last axis is transformed and
    the output is ``(x1, ..., xk-1, units)``. ``activation`` (a name for
    ``Activation``) is a child block with prefix ``<activation>_``.
    An input whose feature size contradicts the weight raises MXNetError.
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True,
                 dtype='float32', weight_initializer=None,
                 bias_initializer='zeros', in_units=0, **kwargs):
        super(Dense, self).__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get(
                'weight', shape=(units, in_units), init=weight_initializer,
                dtype=dtype, allow_deferred_init=True)
            self.bias = None
            if use_bias:
                self.bias = self.params.get(
                    'bias', shape=(units,), init=bias_initializer,
                    dtype=dtype, allow_deferred_init=True)
            self.act = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')

    def hybrid_forward(self, F, x, weight, bias=None):
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None,
                               num_hidden=self._units, flatten=self._flatten,
                               name='fwd')
        return out if self.act is None else self.act(out)

    def __repr__(self):
        units, in_units = self.weight.shape
        return '%s(%s -> %s, %s)' % (type(self).__name__, in_units or None,
                                     units, self.act or 'linear')


class Dropout(_block.HybridBlock):
    """Zeroes each element with probability ``rate`` in training mode and
    scales the rest by ``1 / (1 - rate)`` (``F.Dropout``); ``axes`` share
    one mask along those axes. ``rate == 0`` is ``F.identity``."""

    def __init__(self, rate, axes=(), **kwargs):
        super(Dropout, self).__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name='fwd',
                             cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return '%s(p = %s, axes=%s)' % (type(self).__name__, self._rate,
                                        self._axes)


class _BatchNorm(_block.HybridBlock):
    """What BatchNorm, BatchNormReLU and SyncBatchNorm share.

    Parameters, each ``(in_channels,)`` (0 until the first call when
    ``in_channels`` is 0): ``gamma`` (grad_req 'null' when not ``scale``),
    ``beta`` ('null' when not ``center``), ``running_mean`` and
    ``running_var`` (always 'null'; the operator updates them in training
    mode with ``momentum``). ``_fuse_relu``: whether relu follows.
    """
    _fuse_relu = False

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True,
                 scale=True, use_global_stats=False,
                 beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros',
                 running_variance_initializer='ones', in_channels=0,
                 **kwargs):
        super(_BatchNorm, self).__init__(**kwargs)
        # The operator's attributes, in MXNet's order (repr shows them).
        self._kwargs = {'axis': axis, 'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale,
                        'use_global_stats': use_global_stats}
        self.fuse_relu = self._fuse_relu
        if in_channels != 0:
            self.in_channels = in_channels
        shape = (in_channels,)
        self.gamma = self.params.get(
            'gamma', grad_req='write' if scale else 'null', shape=shape,
            init=gamma_initializer, allow_deferred_init=True,
            differentiable=scale)
        self.beta = self.params.get(
            'beta', grad_req='write' if center else 'null', shape=shape,
            init=beta_initializer, allow_deferred_init=True,
            differentiable=center)
        self.running_mean = self.params.get(
            'running_mean', grad_req='null', shape=shape,
            init=running_mean_initializer, allow_deferred_init=True,
            differentiable=False)
        self.running_var = self.params.get(
            'running_var', grad_req='null', shape=shape,
            init=running_variance_initializer, allow_deferred_init=True,
            differentiable=False)

    def cast(self, dtype):
        """Casts the block; float16 keeps float32 statistics, as MXNet."""
        if np.dtype(dtype).name == 'float16':
            dtype = 'float32'
        super(_BatchNorm, self).cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        if not self.fuse_relu:
            return F.BatchNorm(x, gamma, beta, running_mean, running_var,
                               name='fwd', **self._kwargs)
        fused = getattr(F.contrib, 'BatchNormWithReLU', None)
        if fused is not None:
            return fused(x, gamma, beta, running_mean, running_var,
                         name='fwd', **self._kwargs)
        # kiln has no fused operator (MXNet's runs on MKL-DNN builds only):
        # the same result as BatchNorm followed by relu.
        return F.relu(F.BatchNorm(x, gamma, beta, running_mean, running_var,
                                  name='fwd', **self._kwargs))

    def __repr__(self):
        in_channels = self.gamma.shape[0]
        return '%s(%s, in_channels=%s)' % (
            type(self).__name__, _kwargs_repr(self._kwargs),
            in_channels or None)


class BatchNorm(_BatchNorm):
    """Batch normalization (Ioffe and Szegedy, 2015) over ``axis`` (the
    channels; 1 for NCHW, 3 for NHWC): in training mode (under
    ``autograd.record()``) each channel is normalized by its batch mean and
    variance and the running statistics are updated,
    ``running = momentum * running + (1 - momentum) * batch``; in
    prediction mode, or with ``use_global_stats``, the running statistics
    are used. ``scale=False`` fixes gamma at 1; ``center=False`` leaves beta
    unlearned. Output: the input's shape and dtype.
    """


class BatchNormReLU(_BatchNorm):
    """BatchNorm followed by relu (MXNet's ``contrib.BatchNormWithReLU``
    where the registry has it; BatchNorm then relu otherwise). Same
    arguments as BatchNorm."""
    _fuse_relu = True


class SyncBatchNorm(BatchNorm):
    """Cross-device BatchNorm (MXNet's ``gluon.contrib.nn.SyncBatchNorm``,
    Zhang et al., 2018) over axis 1. kiln runs on one device, where it is
    BatchNorm: ``contrib.SyncBatchNorm`` where the registry has it, else
    ``BatchNorm`` with the same statistics. ``num_devices`` defaults to 1
    (MXNet counts GPUs and warns that it did); ``repr`` is MXNet's
    (``ndev``, ``key`` = the prefix)."""

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9,
                 epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros',
                 gamma_initializer='ones', running_mean_initializer='zeros',
                 running_variance_initializer='ones', **kwargs):
        super(SyncBatchNorm, self).__init__(
            axis=1, momentum=momentum, epsilon=epsilon, center=center,
            scale=scale, use_global_stats=use_global_stats,
            beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            running_mean_initializer=running_mean_initializer,
            running_variance_initializer=running_variance_initializer,
            in_channels=in_channels, **kwargs)
        if num_devices is None:
            warnings.warn("Caution using SyncBatchNorm: if not using all the "
                          "GPUs, please mannually set num_devices",
                          UserWarning)
            num_devices = 1
        self._kwargs = {'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale,
                        'use_global_stats': use_global_stats,
                        'ndev': num_devices, 'key': self.prefix}

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        synced = getattr(F.contrib, 'SyncBatchNorm', None)
        if synced is not None:
            return synced(x, gamma, beta, running_mean, running_var,
                          name='fwd', **self._kwargs)
        single = dict(self._kwargs, axis=1)
        del single['ndev'], single['key']
        return F.BatchNorm(x, gamma, beta, running_mean, running_var,
                           name='fwd', **single)


class Embedding(_block.HybridBlock):
    """Rows of ``weight`` ``(input_dim, output_dim)`` picked by integer
    indices (``F.Embedding``): input ``(x1, ..., xk)``, output
    ``(x1, ..., xk, output_dim)`` of ``dtype``. ``sparse_grad`` asks MXNet
    for a row_sparse gradient; kiln has dense arrays only, so the gradient
    is dense (with a warning): the same values, but an optimizer then
    updates every row, as MXNet's do with ``lazy_update=False``."""

    def __init__(self, input_dim, output_dim, dtype='float32',
                 weight_initializer=None, sparse_grad=False, **kwargs):
        super(Embedding, self).__init__(**kwargs)
        if sparse_grad:
            warnings.warn(
                "Embedding: sparse_grad=True gives a dense gradient (kiln "
                "has no row_sparse storage): optimizers update every row, "
                "as with lazy_update=False", stacklevel=2)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim,
                        'dtype': dtype, 'sparse_grad': sparse_grad}
        self.weight = self.params.get(
            'weight', shape=(input_dim, output_dim), init=weight_initializer,
            dtype=dtype, allow_deferred_init=True)
        # Where MXNet's grad_stype would be 'row_sparse': Trainer follows
        # MXNet's choices for sparse gradients.
        self.weight._sparse_grad_asked = bool(sparse_grad)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        return '%s(%s -> %s, %s)' % (
            type(self).__name__, self._kwargs['input_dim'],
            self._kwargs['output_dim'], self._kwargs['dtype'])


class Flatten(_block.HybridBlock):
    """``(N, x1, ..., xk)`` to ``(N, x1*...*xk)`` (``F.flatten``)."""

    def __init__(self, **kwargs):
        super(Flatten, self).__init__(**kwargs)

    def hybrid_forward(self, F, x):
        return F.flatten(x)

    def __repr__(self):
        return type(self).__name__


class _Norm(_block.HybridBlock):
    """What InstanceNorm, LayerNorm and GroupNorm share: ``gamma`` and
    ``beta`` of ``shape`` (grad_req 'null' when not ``scale`` / not
    ``center``) and a repr of the operator's attributes."""

    def __init__(self, kwargs, shape, center, scale, beta_initializer,
                 gamma_initializer, **block_kwargs):
        super(_Norm, self).__init__(**block_kwargs)
        self._kwargs = kwargs
        self._epsilon = kwargs['eps']
        self._center = center
        self._scale = scale
        self.gamma = self.params.get(
            'gamma', grad_req='write' if scale else 'null', shape=shape,
            init=gamma_initializer, allow_deferred_init=True)
        self.beta = self.params.get(
            'beta', grad_req='write' if center else 'null', shape=shape,
            init=beta_initializer, allow_deferred_init=True)

    def __repr__(self):
        return '%s(%s, in_channels=%s)' % (
            type(self).__name__, _kwargs_repr(self._kwargs),
            self.gamma.shape[0])


class InstanceNorm(_Norm):
    """Instance normalization (Ulyanov et al., 2016): each (sample,
    channel) is normalized over the remaining axes, then scaled by gamma
    and shifted by beta, each ``(in_channels,)``; ``axis`` is the channel
    axis (the operator works on axis 1; another axis is swapped there and
    back). Note MXNet's default ``scale=False``: gamma is not learned.
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False,
                 beta_initializer='zeros', gamma_initializer='ones',
                 in_channels=0, **kwargs):
        super(InstanceNorm, self).__init__(
            {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale},
            (in_channels,), center, scale, beta_initializer,
            gamma_initializer, **kwargs)
        self._axis = axis

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name='fwd',
                                  eps=self._epsilon)
        swapped = x.swapaxes(1, self._axis)
        return F.InstanceNorm(swapped, gamma, beta, name='fwd',
                              eps=self._epsilon).swapaxes(1, self._axis)


class LayerNorm(_Norm):
    """Layer normalization (Ba et al., 2016) over ``axis`` (the last by
    default), then ``* gamma + beta``, each ``(in_channels,)``."""

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones',
                 in_channels=0, prefix=None, params=None):
        super(LayerNorm, self).__init__(
            {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale},
            (in_channels,), center, scale, beta_initializer,
            gamma_initializer, prefix=prefix, params=params)
        self._axis = axis

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis,
                           eps=self._epsilon)


class GroupNorm(_Norm):
    """Group normalization (Wu and He, 2018): the channels of an
    ``(N, C, ...)`` input are split into ``num_groups`` groups, each
    normalized over its channels and the spatial axes; gamma and beta are
    ``(num_groups,)`` in MXNet 1.9.1 (one per group)."""

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones',
                 prefix=None, params=None):
        super(GroupNorm, self).__init__(
            {'eps': epsilon, 'num_groups': num_groups, 'center': center,
             'scale': scale},
            (num_groups,), center, scale, beta_initializer,
            gamma_initializer, prefix=prefix, params=params)
        self._num_groups = num_groups

    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta,
                           num_groups=self._num_groups, eps=self._epsilon)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, _kwargs_repr(self._kwargs))


class Lambda(_block.Block):
    """A Block whose forward is ``function(*args)``: a callable, or the
    name of an ``mx.nd`` operator ('tanh'). Anything else raises
    ValueError; an unknown name AssertionError (as MXNet)."""

    def __init__(self, function, prefix=None):
        super(Lambda, self).__init__(prefix=prefix)
        if isinstance(function, str):
            assert hasattr(_nd, function), \
                "Function name %s is not found in ndarray." % function
            self._func_impl = getattr(_nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(
                "Unrecognized function in lambda: {} of type {}".format(
                    function, type(function)))

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._func_impl.__name__)


class HybridLambda(_block.HybridBlock):
    """A HybridBlock whose hybrid_forward is ``function(F, x, *args)``, or
    the operator of that name in both ``mx.nd`` and ``mx.sym``. Anything
    else raises ValueError; a name missing from either AssertionError."""

    def __init__(self, function, prefix=None):
        super(HybridLambda, self).__init__(prefix=prefix)
        if isinstance(function, str):
            assert hasattr(_nd, function) and hasattr(_sym, function), \
                "Function name %s is not found in symbol/ndarray." % function
            by_module = {_nd: getattr(_nd, function),
                         _sym: getattr(_sym, function)}
            self._func = lambda F, *args: by_module[F](*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError(
                "Unrecognized function in lambda: {} of type {}".format(
                    function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._func_name)


class Identity(_block.HybridBlock):
    """Returns its input unchanged (MXNet's ``gluon.contrib.nn.Identity``;
    a branch of a residual block)."""

    def __init__(self, prefix=None, params=None):
        super(Identity, self).__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        return x
