"""``mx.gluon.contrib.data``: ``IntervalSampler`` (kiln's
``gluon.data.IntervalSampler``, the same class). MXNet's ``text``
(WikiText2/103) needs ``mx.contrib.text``, which kiln lacks;
``contrib.data.text`` raises ImportError saying so."""
from .sampler import *  # noqa: F401,F403
from . import sampler

__all__ = sampler.__all__
