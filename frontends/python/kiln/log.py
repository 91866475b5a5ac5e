"""Logging helpers, as MXNet 1.9.1's mxnet.log.

    logger = mx.log.get_logger("train", level=mx.log.INFO)
    logger.info("epoch %d", 3)   # I0505 00:29:47 3525 train.py:<module>:1] epoch 3

The level constants are the logging module's. A named logger gets one
handler (a stream, or a file when `filename` is given) the first time it
is asked for; the root logger (name None) is returned untouched.
"""
import logging
import warnings

CRITICAL = logging.CRITICAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG
NOTSET = logging.NOTSET

# One letter per level at the start of each line, as glog and MXNet write.
_LABELS = {CRITICAL: "C", ERROR: "E", WARNING: "W", INFO: "I", DEBUG: "D"}


class _Formatter(logging.Formatter):
    """Colours a record by level (red from WARNING, green from INFO, blue
    below) and prefixes `<letter><mmdd hh:mm:ss> <pid> <path>:<func>:<line>]`."""

    def __init__(self):
        super(_Formatter, self).__init__(datefmt="%m%d %H:%M:%S")

    @staticmethod
    def _get_color(level):
        if level >= logging.WARNING:
            return "\x1b[31m"
        if level >= logging.INFO:
            return "\x1b[32m"
        return "\x1b[34m"

    @staticmethod
    def _get_label(level):
        return _LABELS.get(level, "U")

    def format(self, record):
        # The format depends on the record's level, so it is set per record.
        self._style._fmt = (
            self._get_color(record.levelno) + self._get_label(record.levelno) +
            "%(asctime)s %(process)d %(pathname)s:%(funcName)s:%(lineno)d]"
            "\x1b[0m %(message)s")
        return super(_Formatter, self).format(record)


def getLogger(name=None, filename=None, filemode=None, level=WARNING):
    """Deprecated spelling of get_logger (DeprecationWarning, as MXNet's)."""
    warnings.warn("getLogger is deprecated, Use get_logger instead.",
                  DeprecationWarning, stacklevel=2)
    return get_logger(name, filename, filemode, level)


def get_logger(name=None, filename=None, filemode=None, level=WARNING):
    """The logging.Logger `name`, set up once with MXNet's format.

    name: str or None (the root logger, returned as it is). filename: send
    the output to this file (opened with `filemode`, default 'a') instead
    of stderr. level: the logger's level (default WARNING), applied on the
    first call for a name only, as MXNet does.
    """
    logger = logging.getLogger(name)
    if name is not None and not getattr(logger, "_init_done", None):
        logger._init_done = True
        if filename:
            handler = logging.FileHandler(filename, filemode or "a")
        else:
            handler = logging.StreamHandler()
            # Colour codes stay out of log files.
            handler.setFormatter(_Formatter())
        logger.addHandler(handler)
        logger.setLevel(level)
    return logger
