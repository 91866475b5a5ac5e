"""mx.contrib.quantization: MXNet 1.9.1's int8 model quantization
(python/mxnet/contrib/quantization.py), on kiln's quantized operators
(kiln/_contrib_ops/quantized_compute.py) and graph passes
(kiln/contrib/_quantize_graph.py).

    qsym, qarg_params, aux_params = quantize_model(
        sym, arg_params, aux_params, ctx=mx.cpu(), calib_mode='naive',
        calib_data=data_iter, quantized_dtype='auto')

quantize_model / quantize_model_mkldnn quantize a symbol (calib_mode
'none', 'naive': the layers' min / max over calib_data, 'entropy': the
KL-optimal thresholds of their histograms); quantize_graph gives the
quantized symbol and a collector to fill with an executor's monitor
callback, calib_graph calibrates with it; quantize_net_v2 / quantize_net
quantize a Gluon HybridBlock into a SymbolBlock.

kiln's partitioning for MXNet's MKLDNN_QUANTIZE backend returns the graph
as it is, so quantize_model_mkldnn and quantize_net* give the quantize
pass's graph (quantized_conv, requantize, ... nodes), not MXNet's fused
_sg_mkldnn_conv nodes. quantize_granularity 'channel-wise' is accepted and
quantizes tensor-wise (MXNet's channel-wise quantization is a property of
its fused oneDNN nodes).
"""
import logging
import os
import shutil
import tempfile
import warnings

import numpy as np

from ..base import py_str
from ..context import Context, cpu
from ..io import DataBatch, DataDesc, DataIter
from .. import ndarray as _nd
from ..ndarray import contrib as _nd_contrib
from ..ndarray import load as nd_load
from ..ndarray import save as nd_save
from ..symbol import Symbol
from ..symbol import load as sym_load
from ..symbol import load_json as _sym_load_json
from . import _quantize_graph

__all__ = ["quantize_model", "quantize_model_mkldnn", "quantize_graph",
           "calib_graph", "quantize_net_v2", "quantize_net",
           "combine_histogram"]


def _quantize_params(qsym, params, th_dict):
    """The arguments of the quantized symbol `qsym` from the fp32 `params`
    ({name: NDArray}): each ``<param>_quantize`` argument is the param
    quantized to int8 over its own min / max (with ``_min`` / ``_max``
    arguments), other params are kept, and ``<layer>_min`` / ``_max``
    arguments take th_dict's ranges."""
    quantized_params = {}
    for name in qsym.list_arguments():
        if name.endswith(("weight_quantize", "bias_quantize")):
            param = params[name[:-len("_quantize")]]
            value, low, high = _nd_contrib.quantize(
                data=param, min_range=_nd.min(param),
                max_range=_nd.max(param), out_type="int8")
            quantized_params[name] = value
            quantized_params[name + "_min"] = low
            quantized_params[name + "_max"] = high
        elif name in params:
            quantized_params[name] = params[name]
        elif name.endswith("_min"):
            layer = name[:-len("_min")]
            if layer in th_dict:
                quantized_params[name] = _nd.array([th_dict[layer][0]])
        elif name.endswith("_max"):
            # MXNet strips four characters here too ('_min' and '_max').
            layer = name[:-len("_max")]
            if layer in th_dict:
                quantized_params[name] = _nd.array([th_dict[layer][1]])
    return quantized_params


def _quantize_symbol(sym, ctx, excluded_symbols=None, excluded_operators=None,
                     offline_params=None, quantized_dtype="int8",
                     quantize_mode="smart", quantize_granularity="tensor-wise"):
    """(quantized Symbol, calibration layer names) of the fp32 symbol
    `sym`, as MXNet's MXQuantizeSymbol (see kiln/contrib/_quantize_graph.py).
    excluded_symbols / excluded_operators: lists of node / operator names
    (AssertionError for other types, as MXNet asserts)."""
    if excluded_symbols is not None:
        assert isinstance(excluded_symbols, list)
    if excluded_operators is not None:
        assert isinstance(excluded_operators, list)
    text, layers = _quantize_graph.quantize_symbol_json(
        sym.tojson(), excluded_symbols or [], excluded_operators or [],
        list(offline_params or []), quantized_dtype, quantize_mode)
    return _sym_load_json(text), layers


def combine_histogram(old_hist, arr, new_min, new_max, new_th):
    """The histogram (hist, edges, min, max, threshold) `old_hist` with
    the values of the numpy array `arr` added; a threshold past the old one
    widens the histogram by whole bins on both sides."""
    (hist, edges, old_min, old_max, old_th) = old_hist
    low, high = min(old_min, new_min), max(old_max, new_max)
    if new_th <= old_th:
        added, _ = np.histogram(arr, bins=len(hist), range=(-old_th, old_th))
        return (hist + added, edges, low, high, old_th)
    step = 2 * old_th / len(hist)
    extra = int((new_th - old_th) // step + 1)
    bins = len(hist) + 2 * extra
    threshold = extra * step + old_th
    added, new_edges = np.histogram(arr, bins=bins,
                                    range=(-threshold, threshold))
    added[extra:bins - extra] += hist
    return (added, new_edges, low, high, threshold)


def _host_values(arr):
    """A monitor callback's array as numpy (kiln's monitors pass NDArrays,
    MXNet's ctypes handles)."""
    return arr.asnumpy() if isinstance(arr, _nd.NDArray) else np.asarray(arr)


class _Collector(object):
    """What the collectors share: the layers they take (include_layer)
    and a logger."""

    def __init__(self, include_layer, logger):
        self.include_layer = include_layer
        self.logger = logger

    def _included(self, name):
        """The layer name as str, or None when not included."""
        if not isinstance(name, str):
            name = py_str(name)  # MXNet's monitors pass bytes
        return name if name in self.include_layer else None


class _LayerHistogramCollector(_Collector):
    """Histograms of the layers' outputs ({name: (hist, edges, min, max,
    threshold)} in hist_dict) for entropy calibration; collect is an
    executor monitor callback."""

    def __init__(self, num_bins=8001, include_layer=None, logger=None):
        super(_LayerHistogramCollector, self).__init__(include_layer, logger)
        self.hist_dict = {}
        self.num_bins = num_bins

    def collect(self, name, arr):
        """Adds the output `arr` of layer `name` (when included)."""
        name = self._included(name)
        if name is None:
            return
        values = _host_values(arr)
        if self.logger:
            self.logger.debug("Collecting layer %s histogram of shape %s"
                              % (name, values.shape))
        low, high = np.min(values), np.max(values)
        threshold = max(abs(low), abs(high))
        if name in self.hist_dict:
            self.hist_dict[name] = combine_histogram(
                self.hist_dict[name], values, low, high, threshold)
        else:
            hist, edges = np.histogram(values, bins=self.num_bins,
                                       range=(-threshold, threshold))
            self.hist_dict[name] = (hist, edges, low, high, threshold)


class _LayerOutputMinMaxCollector(_Collector):
    """The layers' output ranges ({name: (min, max)} in min_max_dict) for
    naive calibration; collect is an executor monitor callback."""

    def __init__(self, quantized_dtype, include_layer=None, logger=None):
        super(_LayerOutputMinMaxCollector, self).__init__(include_layer,
                                                          logger)
        self.min_max_dict = {}
        self.quantized_dtype = quantized_dtype

    def collect(self, name, arr):
        """Widens layer `name`'s range (when included) by `arr`."""
        name = self._included(name)
        if name is None:
            return
        array = arr if isinstance(arr, _nd.NDArray) else _nd.array(arr)
        low = _nd.min(array).asscalar()
        high = _nd.max(array).asscalar()
        if name in self.min_max_dict:
            old_low, old_high = self.min_max_dict[name]
            self.min_max_dict[name] = (min(old_low, low), max(old_high, high))
        else:
            self.min_max_dict[name] = (low, high)
        if self.logger:
            self.logger.debug("Collecting layer %s min_range=%f, "
                              "max_range=%f" % (name, low, high))


def _calibrate_quantized_sym(qsym, th_dict):
    """`qsym` with th_dict's ranges ({layer: (min, max)}) set on its
    quantize_v2, requantize and quantized_batch_norm nodes."""
    if not th_dict:
        return qsym
    return _sym_load_json(_quantize_graph.calibrate_symbol_json(
        qsym.tojson(), th_dict))


def _collect_layer_statistics(mod, data, collector, max_num_examples=None,
                              logger=None):
    """Runs the bound Module `mod` over the DataIter `data` (up to
    max_num_examples) with collector.collect as its monitor; the number of
    examples seen. ValueError for data that is not a DataIter."""
    if not isinstance(data, DataIter):
        raise ValueError("Only supports data as a type of DataIter, while "
                         "received type %s" % str(type(data)))
    mod._exec_group.execs[0].set_monitor_callback(collector.collect,
                                                  monitor_all=True)
    batches = examples = 0
    for batch in data:
        mod.forward(data_batch=batch, is_train=False)
        batches += 1
        examples += data.batch_size
        if max_num_examples is not None and examples >= max_num_examples:
            break
    if logger is not None:
        logger.info("Collected statistics from %d batches with batch_size=%d"
                    % (batches, data.batch_size))
    return examples


def _collect_layer_output_min_max(mod, data, quantized_dtype,
                                  include_layer=None, max_num_examples=None,
                                  logger=None):
    """({layer: (min, max)}, examples seen) of the included layers."""
    collector = _LayerOutputMinMaxCollector(
        quantized_dtype=quantized_dtype, include_layer=include_layer,
        logger=logger)
    examples = _collect_layer_statistics(mod, data, collector,
                                         max_num_examples, logger)
    return collector.min_max_dict, examples


def _collect_layer_histogram(mod, data, include_layer=None,
                             max_num_examples=None, logger=None):
    """({layer: histogram tuple}, examples seen) of the included layers."""
    collector = _LayerHistogramCollector(include_layer=include_layer,
                                         logger=logger)
    examples = _collect_layer_statistics(mod, data, collector,
                                         max_num_examples, logger)
    return collector.hist_dict, examples


def _smooth_distribution(p, eps=0.0001):
    """The distribution `p` (numpy) with zeros raised to eps and as much
    taken off the others; ValueError when all are zero."""
    zeros = (p == 0).astype(np.float32)
    nonzeros = (p != 0).astype(np.float32)
    n_zeros = zeros.sum()
    n_nonzeros = p.size - n_zeros
    if not n_nonzeros:
        raise ValueError("The discrete probability distribution is "
                         "malformed. All entries are 0.")
    eps1 = eps * float(n_zeros) / float(n_nonzeros)
    assert eps1 < 1.0, "n_zeros=%d, n_nonzeros=%d, eps1=%f" % (
        n_zeros, n_nonzeros, eps1)
    hist = p.astype(np.float32)
    hist += eps * zeros + (-eps1) * nonzeros
    assert (hist <= 0).sum() == 0
    return hist


def _get_optimal_threshold(hist_data, quantized_dtype,
                           num_quantized_bins=255):
    """(min, max, threshold, divergence) of one layer's histogram tuple,
    by calibrate_entropy; non-negative layers quantized to uint8 ('auto'
    or 'uint8') use twice the bins plus one."""
    hist, edges, low, high, _ = hist_data
    assert len(hist) % 2 == 1
    if low >= 0 and quantized_dtype in ["auto", "uint8"]:
        num_quantized_bins = num_quantized_bins * 2 + 1
    threshold, divergence = _nd_contrib.calibrate_entropy(
        hist=_nd.array(hist, ctx=cpu()), hist_edges=_nd.array(edges,
                                                              ctx=cpu()),
        num_quantized_bins=num_quantized_bins)
    return low, high, threshold.asnumpy(), divergence.asnumpy()


def _get_optimal_thresholds(hist_dict, quantized_dtype,
                            num_quantized_bins=255, logger=None):
    """{layer: (min, max)} of KL-optimal thresholds; empties hist_dict."""
    assert isinstance(hist_dict, dict)
    if logger is not None:
        logger.info("Calculating optimal thresholds for quantization using "
                    "KL divergence with num_quantized_bins=%d"
                    % num_quantized_bins)
    th_dict = {}
    for name in list(hist_dict.keys()):
        low, high, threshold, divergence = _get_optimal_threshold(
            hist_dict[name], quantized_dtype,
            num_quantized_bins=num_quantized_bins)
        if low >= 0 and quantized_dtype in ["auto", "uint8"]:
            th_dict[name] = (0, threshold)
        else:
            th_dict[name] = (-threshold, threshold)
        del hist_dict[name]
        if logger:
            logger.debug("layer=%s, min_val=%f, max_val=%f, th=%f, "
                         "divergence=%f" % (name, low, high, threshold,
                                            divergence))
    return th_dict


def _load_sym(sym, logger=None):
    """A Symbol, or the Symbol in the JSON file `sym` (relative paths from
    this module's folder, as MXNet's); ValueError for other types."""
    if isinstance(sym, str):
        path = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                            sym)
        if logger:
            logger.info("Loading symbol from file %s" % path)
        return sym_load(path)
    if isinstance(sym, Symbol):
        return sym
    raise ValueError("_load_sym only accepts Symbol or path to the symbol "
                     "file, while received type %s" % str(type(sym)))


def _load_params(params, logger=None):
    """(arg_params, aux_params) of a .params file path or a pair of
    dicts; ValueError for anything else."""
    if isinstance(params, str):
        path = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                            params)
        if logger:
            logger.info("Loading params from file %s" % path)
        arg_params, aux_params = {}, {}
        for key, value in nd_load(path).items():
            kind, name = key.split(":", 1)
            if kind == "arg":
                arg_params[name] = value
            if kind == "aux":
                aux_params[name] = value
        return arg_params, aux_params
    if isinstance(params, (tuple, list)) and len(params) == 2:
        return params[0], params[1]
    raise ValueError("Unsupported params provided. Must be either a path to "
                     "the param file or a pair of dictionaries representing "
                     "arg_params and aux_params")


class _DataIterWrapper(DataIter):
    """A DataIter over any iterable of batches (a Gluon DataLoader): data
    named data, data0, ... after the first batch's arrays."""

    def __init__(self, calib_data):  # pylint: disable=super-init-not-called
        self._data = calib_data
        try:
            calib_iter = iter(calib_data)
        except TypeError as error:
            raise TypeError("calib_data is not a valid iterator. {}".format(
                str(error)))
        example = next(calib_iter)
        example = list(example) if isinstance(example, (list, tuple)) \
            else [example]
        assert example
        if len(example[0].shape) > 4:
            # 5-D / 6-D data folds its second axis into the batch.
            example[0] = example[0].reshape((-1,) + example[0].shape[2:])
        self.provide_data = [DataDesc(name="data", shape=example[0].shape)]
        self.provide_data += [DataDesc(name="data{}".format(i),
                                       shape=x.shape)
                              for i, x in enumerate(example[1:])]
        if len(example) >= 3:
            self.provide_data = [DataDesc(name="data{}".format(i),
                                          shape=x.shape)
                                 for i, x in enumerate(example)]
        self.batch_size = example[0].shape[0]
        self.reset()

    def reset(self):
        self._iter = iter(self._data)

    def next(self):
        batch = next(self._iter)
        if len(batch[0].shape) > 4:
            batch[0] = batch[0].reshape((-1,) + batch[0].shape[2:])
        return DataBatch(data=batch)


def _as_data_iter(calib_data):
    """(DataIter, its provide_data) of a DataIter or another iterable."""
    if isinstance(calib_data, DataIter):
        return calib_data, calib_data.provide_data
    calib_data = _DataIterWrapper(calib_data)
    return calib_data, calib_data.provide_data


def _check_names(excluded, what):
    if excluded is None:
        return []
    if not isinstance(excluded, list):
        raise ValueError("%s must be a list of strings representing the "
                         "names of the %s that will not be quantized, while "
                         "received type %s" % (
                             what, "symbols" if what == "excluded_sym_names"
                             else "operators", str(type(excluded))))
    return excluded


def _check_dtype_granularity(quantized_dtype, quantize_granularity):
    if quantized_dtype not in ("int8", "uint8", "auto"):
        raise ValueError("unknown quantized_dtype %s received, expected "
                         "`int8`, `uint8` or `auto`" % quantized_dtype)
    if quantize_granularity not in ("tensor-wise", "channel-wise"):
        raise ValueError("unkonwn quantize_granularity %s received, expected "
                         "`tensor-wise` or `channel-wise`."
                         % quantize_granularity)


def _quantize_logged(message, logger, sym, ctx, excluded_sym_names,
                     excluded_op_names, arg_params, quantized_dtype,
                     quantize_mode, quantize_granularity):
    """quantize_model's and quantize_graph's quantize pass over `sym`
    (arg_params quantized offline), after checking the dtype and
    granularity; (quantized symbol, calibration layers)."""
    if logger:
        os.environ["MXNET_QUANTIZATION_VERBOSE"] = "1"
        logger.info(message)
    _check_dtype_granularity(quantized_dtype, quantize_granularity)
    return _quantize_symbol(
        sym, ctx, excluded_symbols=excluded_sym_names,
        excluded_operators=excluded_op_names,
        offline_params=list(arg_params.keys()),
        quantized_dtype=quantized_dtype, quantize_mode=quantize_mode,
        quantize_granularity=quantize_granularity)


def _visible_layers(sym, layers):
    """The calibration `layers` that MXNet's run of the fp32 `sym` shows
    its monitor: with MXNET_SUBGRAPH_BACKEND unset or MKLDNN (its default),
    the outputs its MKLDNN backend fuses away (every Convolution and
    FullyConnected output, and what it fuses after them) get no range, so
    their requantize nodes requantize at run time; with another backend
    ('NONE'), all of them."""
    backend = os.environ.get("MXNET_SUBGRAPH_BACKEND")
    if backend is not None and backend != "MKLDNN":
        return layers
    hidden = _quantize_graph.mkldnn_hidden_layers(sym.tojson())
    return [layer for layer in layers if layer not in hidden]


def quantize_model(sym, arg_params, aux_params, data_names=("data",),
                   label_names=("softmax_label",), ctx=cpu(),
                   excluded_sym_names=None, excluded_op_names=None,
                   calib_mode="entropy", calib_data=None,
                   num_calib_examples=None, quantized_dtype="int8",
                   quantize_mode="smart", quantize_granularity="tensor-wise",
                   logger=None):
    """(quantized symbol, quantized arg_params, aux_params) of the fp32
    model (sym, arg_params, aux_params), as MXNet 1.9.1's.

    calib_mode: 'none' (requantize at run time from each output's range),
    'naive' (the layers' min / max over calib_data, a DataIter) or
    'entropy' (KL-optimal thresholds of their histograms).
    quantized_dtype: 'int8', 'uint8' or 'auto'; quantize_mode: 'full' or
    'smart' (see kiln/contrib/_quantize_graph.py). ValueError for excluded
    names that are not lists, an unknown dtype, granularity or calib_mode,
    or calib_data missing or not a DataIter."""
    excluded_sym_names = _check_names(excluded_sym_names,
                                      "excluded_sym_names")
    excluded_op_names = _check_names(excluded_op_names, "excluded_op_names")
    qsym, calib_layer = _quantize_logged(
        "Quantizing symbol", logger, sym, ctx, excluded_sym_names,
        excluded_op_names, arg_params, quantized_dtype, quantize_mode,
        quantize_granularity)
    th_dict = {}
    if calib_mode is not None and calib_mode != "none":
        if not isinstance(ctx, Context):
            raise ValueError("currently only supports single ctx, while "
                             "received %s" % str(ctx))
        if calib_data is None:
            raise ValueError("calib_data must be provided when calib_mode=%s"
                             % calib_mode)
        if not isinstance(calib_data, DataIter):
            raise ValueError("calib_data must be of DataIter type when "
                             "calib_mode=%s, while received type %s"
                             % (calib_mode, str(type(calib_data))))
        from ..module import Module
        mod = Module(symbol=sym, data_names=data_names,
                     label_names=label_names, context=ctx)
        if len(calib_data.provide_label) > 0:
            mod.bind(for_training=False, data_shapes=calib_data.provide_data,
                     label_shapes=calib_data.provide_label)
        else:
            mod.bind(for_training=False, data_shapes=calib_data.provide_data)
        mod.set_params(arg_params, aux_params)
        calib_layer = _visible_layers(sym, calib_layer)
        if calib_mode == "entropy":
            hist_dict, examples = _collect_layer_histogram(
                mod, calib_data, include_layer=calib_layer,
                max_num_examples=num_calib_examples, logger=logger)
            if logger:
                logger.info("Collected layer outputs from FP32 model using "
                            "%d examples" % examples)
                logger.info("Calculating optimal thresholds for "
                            "quantization")
            th_dict = _get_optimal_thresholds(hist_dict, quantized_dtype,
                                              logger=logger)
        elif calib_mode == "naive":
            th_dict, examples = _collect_layer_output_min_max(
                mod, calib_data, quantized_dtype, include_layer=calib_layer,
                max_num_examples=num_calib_examples, logger=logger)
            if logger:
                logger.info("Collected layer output min/max values from "
                            "FP32 model using %d examples" % examples)
        else:
            raise ValueError("unknown calibration mode %s received, "
                             "expected `none`, `naive`, or `entropy`"
                             % calib_mode)
        qsym = _calibrate_quantized_sym(qsym, th_dict)
    if logger:
        logger.info("Quantizing parameters")
    qarg_params = _quantize_params(qsym, arg_params, th_dict)
    return qsym, qarg_params, aux_params


def quantize_model_mkldnn(sym, arg_params, aux_params, data_names=("data",),
                          label_names=("softmax_label",), ctx=cpu(),
                          excluded_sym_names=None, excluded_op_names=None,
                          calib_mode="entropy", calib_data=None,
                          num_calib_examples=None, quantized_dtype="int8",
                          quantize_mode="smart",
                          quantize_granularity="tensor-wise", logger=None):
    """quantize_model for MXNet's oneDNN backend (the same arguments);
    ValueError for a ctx that is not one CPU context. kiln's MKLDNN
    partitioning keeps the graph as it is (see the module docstring)."""
    if not isinstance(ctx, Context):
        raise ValueError("currently only supports single ctx, while received "
                         "%s" % str(ctx))
    if ctx.device_type != "cpu":
        raise ValueError("quantize_model_mkldnn only support Intel cpu "
                         "platform with MKL-DNN Backend")
    sym = sym.get_backend_symbol("MKLDNN_QUANTIZE")
    qsym, qarg_params, aux_params = quantize_model(
        sym=sym, arg_params=arg_params, aux_params=aux_params,
        data_names=data_names, label_names=label_names, ctx=ctx,
        excluded_sym_names=excluded_sym_names,
        excluded_op_names=excluded_op_names, calib_mode=calib_mode,
        calib_data=calib_data, num_calib_examples=num_calib_examples,
        quantized_dtype=quantized_dtype, quantize_mode=quantize_mode,
        quantize_granularity=quantize_granularity, logger=logger)
    return qsym.get_backend_symbol("MKLDNN_QUANTIZE"), qarg_params, \
        aux_params


def quantize_graph(sym, arg_params, aux_params, ctx=cpu(),
                   excluded_sym_names=None, excluded_op_names=None,
                   calib_mode="entropy", quantized_dtype="int8",
                   quantize_mode="full", quantize_granularity="tensor-wise",
                   LayerOutputCollector=None, logger=None):
    """(quantized symbol, quantized arg_params, aux_params, collector):
    the uncalibrated quantized model and, for calib_mode 'entropy' /
    'naive' / 'customize' (LayerOutputCollector given), a collector whose
    collect method an executor's set_monitor_callback fills (then
    calib_graph). ValueError as quantize_model, and for a ctx that is not
    one Context."""
    excluded_sym_names = _check_names(excluded_sym_names,
                                      "excluded_sym_names")
    if not isinstance(ctx, Context):
        raise ValueError("currently only supports single ctx, while received "
                         "%s" % str(ctx))
    qsym, calib_layer = _quantize_logged(
        "Quantizing graph", logger, sym, ctx, excluded_sym_names,
        excluded_op_names, arg_params, quantized_dtype, quantize_mode,
        quantize_granularity)
    collector = None
    if calib_mode is not None and calib_mode != "none":
        if calib_mode == "entropy":
            collector = _LayerHistogramCollector(include_layer=calib_layer,
                                                 logger=logger)
        elif calib_mode == "naive":
            collector = _LayerOutputMinMaxCollector(
                quantized_dtype=quantized_dtype, include_layer=calib_layer,
                logger=logger)
        elif calib_mode == "customize" and LayerOutputCollector is not None:
            collector = LayerOutputCollector
        else:
            raise ValueError("unknown calibration mode %s received, expected "
                             "`none`, `naive`, `entropy` or `customize`"
                             % calib_mode)
        if logger:
            logger.info("Collector created, please use set_monitor_callback "
                        "to collect calibration information.")
    if logger:
        logger.info("Quantizing parameters")
    qarg_params = _quantize_params(qsym, arg_params, {})
    return qsym, qarg_params, aux_params, collector


def calib_graph(qsym, arg_params, aux_params, collector, calib_mode="entropy",
                quantized_dtype="int8", logger=logging):
    """(calibrated symbol, quantized arg_params, aux_params) of quantize_graph's
    symbol and its filled collector. ValueError for calib_mode 'none' (or
    None) or an unknown one."""
    if calib_mode is None or calib_mode == "none":
        raise ValueError("please set calibration mode to naive or entropy.")
    if calib_mode == "entropy":
        if logger:
            logger.info("Calculating optimal thresholds for quantization")
        th_dict = _get_optimal_thresholds(collector.hist_dict,
                                          quantized_dtype, logger=logger)
    elif calib_mode in ("naive", "customize"):
        th_dict = collector.min_max_dict
    else:
        raise ValueError("unknown calibration mode %s received, expected "
                         "`none`, `naive`, `entropy` or `customize`"
                         % calib_mode)
    qsym = _calibrate_quantized_sym(qsym, th_dict)
    if logger:
        logger.info("Quantizing parameters")
    return qsym, _quantize_params(qsym, arg_params, th_dict), aux_params


def quantize_net_v2(network, quantized_dtype="auto", quantize_mode="full",
                    quantize_granularity="tensor-wise", exclude_layers=None,
                    exclude_layers_match=None, exclude_operators=None,
                    calib_data=None, data_shapes=None, calib_mode="none",
                    num_calib_examples=None, ctx=cpu(),
                    LayerOutputCollector=None, logger=None):
    """A quantized Gluon SymbolBlock of the fp32 HybridBlock `network`:
    exported, quantized by quantize_graph (exclude_layers by name,
    exclude_layers_match by substring, exclude_operators by operator),
    calibrated over calib_data (a DataIter or an iterable of batches) for
    calib_mode 'naive' / 'entropy' / 'customize'. data_shapes: DataDescs
    of the inputs (from calib_data when not given). ValueError without
    data shapes, or without calib_data for a calibration."""
    from .. import ndarray as nd
    from ..gluon import SymbolBlock
    from ..model import load_checkpoint
    from ..module import Module
    from ..symbol import var
    if logger:
        logger.info("Export HybridBlock")
    network.hybridize()
    if calib_data is not None:
        if isinstance(calib_data, DataIter):
            shapes = calib_data.provide_data
        else:
            calib_data, shapes = _as_data_iter(calib_data)
        if not data_shapes:
            data_shapes = shapes
    if not data_shapes:
        raise ValueError("data_shapes required")
    inputs = [nd.zeros(shape.shape) for shape in data_shapes]
    while True:
        try:
            network(*inputs)
        except TypeError:
            # The network takes fewer inputs than the iterator gives.
            del inputs[-1]
            del calib_data.provide_data[-1]
            continue
        break
    folder = tempfile.mkdtemp()
    try:
        prefix = os.path.join(folder, "tmp")
        network.export(prefix, epoch=0)
        symnet, args, auxs = load_checkpoint(prefix, 0)
    finally:
        shutil.rmtree(folder)
    exclude_layers = list(exclude_layers or [])
    for pattern in exclude_layers_match or []:
        for layer in list(symnet.get_internals()):
            if layer.name.find(pattern) != -1:
                exclude_layers.append(layer.name)
    if logger:
        logger.info("These layers have been excluded %s" % exclude_layers)
    if ctx == cpu():
        symnet = symnet.get_backend_symbol("MKLDNN_QUANTIZE")
    qsym, qarg_params, aux_params, collector = quantize_graph(
        sym=symnet, arg_params=args, aux_params=auxs, ctx=ctx,
        excluded_sym_names=exclude_layers,
        excluded_op_names=list(exclude_operators or []),
        calib_mode=calib_mode, quantized_dtype=quantized_dtype,
        quantize_mode=quantize_mode,
        quantize_granularity=quantize_granularity,
        LayerOutputCollector=LayerOutputCollector, logger=logger)
    if calib_mode is not None and calib_mode != "none":
        if not isinstance(ctx, Context):
            raise ValueError("currently only supports single ctx, while "
                             "received %s" % str(ctx))
        if calib_data is None:
            raise ValueError("calib_data must be provided when calib_mode=%s"
                             % calib_mode)
        if calib_mode not in ("naive", "entropy", "customize"):
            raise ValueError("please set calibration mode to naive or "
                             "entropy.")
        data_names = [pair[0] for pair in calib_data.provide_data]
        mod = Module(symbol=symnet, context=ctx, data_names=data_names,
                     label_names=None)
        mod.bind(for_training=False, data_shapes=data_shapes)
        mod.set_params(args, auxs, allow_missing=False, force_init=True)
        examples = _collect_layer_statistics(mod, calib_data, collector,
                                             num_calib_examples, logger)
        if logger:
            logger.info("Collected layer output values from FP32 model "
                        "using %d examples" % examples)
        qsym, qarg_params, aux_params = calib_graph(
            qsym=qsym, arg_params=args, aux_params=auxs, collector=collector,
            calib_mode=calib_mode, quantized_dtype=quantized_dtype,
            logger=logger)
    else:
        data_names = [pair[0] for pair in data_shapes]
    if ctx == cpu():
        qsym = qsym.get_backend_symbol("MKLDNN_QUANTIZE")
    net = SymbolBlock(qsym, [var(name) for name in data_names])
    folder = tempfile.mkdtemp()
    try:
        path = os.path.join(folder, "tmpnet-quantized-0000.params")
        saved = {("arg:%s" % k): v.as_in_context(cpu())
                 for k, v in qarg_params.items()}
        saved.update({("aux:%s" % k): v.as_in_context(cpu())
                      for k, v in aux_params.items()})
        nd_save(path, saved)
        net.collect_params().load(path, cast_dtype=True,
                                  dtype_source="saved")
        net.collect_params().reset_ctx(ctx)
    finally:
        shutil.rmtree(folder)
    return net


def quantize_net(network, quantized_dtype="auto", quantize_mode="full",
                 exclude_layers=None, exclude_layers_match=None,
                 exclude_operators=None, calib_data=None, data_shapes=None,
                 calib_mode="none", num_calib_examples=None, ctx=cpu(),
                 logger=None):
    """quantize_net_v2 with tensor-wise granularity and no custom
    collector; warns that MXNet deprecates it."""
    warnings.warn("WARNING: This will be deprecated after MXNet 2.0, please "
                  "use quantize_net_v2.")
    return quantize_net_v2(
        network=network, quantized_dtype=quantized_dtype,
        quantize_mode=quantize_mode, quantize_granularity="tensor-wise",
        exclude_layers=exclude_layers,
        exclude_layers_match=exclude_layers_match,
        exclude_operators=exclude_operators, calib_data=calib_data,
        data_shapes=data_shapes, calib_mode=calib_mode,
        num_calib_examples=num_calib_examples, ctx=ctx,
        LayerOutputCollector=None, logger=logger)
