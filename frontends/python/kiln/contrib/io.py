"""A DataIter over a Gluon DataLoader, as MXNet 1.9.1's mxnet.contrib.io, so
Module.fit can train from Gluon datasets.

    loader = mx.gluon.data.DataLoader(dataset, batch_size=32)
    it = DataLoaderIter(loader)          # provide_data: [DataDesc data]
    mod.fit(it, num_epoch=2)
"""
from .. import ndarray as nd
from ..io import DataDesc, DataIter

__all__ = ["DataLoaderIter"]


class DataLoaderIter(DataIter):
    """Iterates `loader` (a gluon.data.DataLoader yielding (data, label)
    pairs) as DataBatches.

    data_name: str (default 'data'), label_name: str (default
    'softmax_label'). dtype: the dtype both are cast to (default
    'float32'). batch_size is the first batch's; a shorter last batch is
    padded to it (getpad() says by how many rows; the padding is
    uninitialised memory and the padded batch float32, as in MXNet). Reading the first batch happens at
    construction: an empty loader raises StopIteration.
    """

    def __init__(self, loader, data_name="data", label_name="softmax_label",
                 dtype="float32"):
        super(DataLoaderIter, self).__init__()
        self._loader = loader
        data, label = next(iter(loader))
        self.batch_size = data.shape[0]
        self.dtype = dtype
        self.provide_data = [DataDesc(data_name, data.shape, dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, dtype)]
        self._current_batch = None
        self.reset()

    def reset(self):
        self._iter = iter(self._loader)

    def iter_next(self):
        self._current_batch = next(self._iter, None)
        return self._current_batch is not None

    def _padded(self, value):
        """`value` cast to dtype; a short batch padded along axis 0 to
        batch_size."""
        value = value.astype(self.dtype)
        if not self.getpad():
            return value
        # float32 whatever dtype is, as MXNet's (its nd.empty default).
        full = nd.empty((self.batch_size,) + tuple(value.shape[1:]))
        full[:value.shape[0]] = value
        return full

    def getdata(self):
        return [self._padded(self._current_batch[0])]

    def getlabel(self):
        return [self._padded(self._current_batch[1])]

    def getpad(self):
        return self.batch_size - self._current_batch[0].shape[0]

    def getindex(self):
        return None
