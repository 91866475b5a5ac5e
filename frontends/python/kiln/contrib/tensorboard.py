"""Metrics into TensorBoard event files, as MXNet 1.9.1's
mxnet.contrib.tensorboard.

    cb = LogMetricsCallback("logs/train")
    mod.fit(train, num_epoch=3, batch_end_callback=[cb])
    # then: tensorboard --logdir=logs/

The event files are written by mxboard's SummaryWriter, as in MXNet, or
tensorboardX's (the same add_scalar call) where mxboard is missing.
"""
import logging

__all__ = ["LogMetricsCallback"]


def _summary_writer_class():
    """mxboard's SummaryWriter, else tensorboardX's, else None."""
    try:
        from mxboard import SummaryWriter
        return SummaryWriter
    except ImportError:
        pass
    try:
        from tensorboardX import SummaryWriter
        return SummaryWriter
    except ImportError:
        return None


class LogMetricsCallback(object):
    """A batch_end / eval_end callback writing each metric value as a
    TensorBoard scalar (step: the epoch).

    logging_dir: str, the event file folder. prefix: str or None, put
    before each metric name as '<prefix>-<name>' (to tell train and eval
    curves apart in one chart).

    Without mxboard or tensorboardX, construction logs MXNet's error
    ('You can install mxboard via `pip install mxboard`.') and does not
    raise, as MXNet's; calling the callback then raises ImportError saying
    no writer is installed (MXNet fails there with AttributeError).
    """

    def __init__(self, logging_dir, prefix=None):
        self.prefix = prefix
        self.logging_dir = logging_dir
        writer = _summary_writer_class()
        if writer is None:
            logging.error("You can install mxboard via `pip install mxboard`.")
        else:
            self.summary_writer = writer(logging_dir)

    def __call__(self, param):
        """Writes param.eval_metric's values (nothing when it is None)."""
        if param.eval_metric is None:
            return
        if not hasattr(self, "summary_writer"):
            raise ImportError(
                "LogMetricsCallback cannot write to %s: no TensorBoard "
                "writer is installed (pip install mxboard, or tensorboardX)"
                % self.logging_dir)
        for name, value in param.eval_metric.get_name_value():
            if self.prefix is not None:
                name = "%s-%s" % (self.prefix, name)
            self.summary_writer.add_scalar(name, value,
                                           global_step=param.epoch)
