"""What the model-zoo vision models share: loading pretrained parameters
and the named constructors (``resnet18_v1``, ``vgg16_bn`` ...) each model
family exports."""
from ....context import cpu
from .. import model_store


def load_pretrained(net, name, pretrained, ctx, root):
    """Loads ``<root>/<name>-<hash>.params`` into ``net`` on ``ctx`` when
    ``pretrained`` (see model_store.get_model_file for the errors); returns
    ``net``."""
    if pretrained:
        net.load_parameters(model_store.get_model_file(name, root=root),
                            ctx=ctx)
    return net


def named_constructor(module, name, build, doc, *args, **fixed):
    """A function ``name(**kwargs)`` in ``module`` returning
    ``build(*args, **fixed, **kwargs)``: kwargs are the model's (classes,
    ...) and ``pretrained``, ``ctx``, ``root``."""
    def construct(**kwargs):
        kwargs.update(fixed)
        return build(*args, **kwargs)
    construct.__name__ = construct.__qualname__ = name
    construct.__module__ = module
    construct.__doc__ = doc + """

    Parameters
    ----------
    pretrained : bool, default False
        Whether to load MXNet's pretrained parameters (model_store).
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default '$MXNET_HOME/models'
        Location for keeping the model parameters.
    """
    return construct


default_ctx = cpu()
default_root = model_store._default_root
