"""Devices, with MXNet's names: mx.cpu(), mx.context.Context."""


class Context:
    """A device: ``Context('cpu', 0)``. kiln runs on the CPU today."""

    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3}

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devstr2type:
            from .base import MXNetError
            raise MXNetError(
                "Context: unknown device_type %r; expected one of %s"
                % (device_type, sorted(self.devstr2type)))
        self.device_type = device_type
        self.device_id = int(device_id)

    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __repr__(self):
        return "%s(%d)" % (self.device_type, self.device_id)

    __str__ = __repr__


def cpu(device_id=0):
    """The CPU context (MXNet's ``mx.cpu()``)."""
    return Context("cpu", device_id)


def current_context():
    """The default context: the CPU."""
    return cpu()
