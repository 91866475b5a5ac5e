//===- Bindings.h - the parts of the kiln._core module ----------*- C++ -*-===//
#ifndef KILN_FRONTENDS_PYTHON_BINDINGS_H
#define KILN_FRONTENDS_PYTHON_BINDINGS_H

#include "frontends/cpp/NDArray.h"

#include <pybind11/pybind11.h>

namespace kiln {

/// kiln._core.profiler: the runtime profiler and runtime facts.
void bindProfiler(pybind11::module_ &parent);

/// kiln._core.autograd_*: recording flags, variables, backward, grad and
/// custom functions.
void bindAutograd(pybind11::module_ &m);

/// NDArray.to_dlpack_for_read/_write, __dlpack__, and kiln._core.from_dlpack.
void bindDLPack(pybind11::module_ &m, pybind11::class_<NDArray> &ndarray);

/// kiln._core.symbol_interface and infer_node, for mx.sym.
void bindSymbol(pybind11::module_ &m);

/// NDArray's arithmetic operators (+, -, *, /, %, ** and their reflected
/// and in-place forms), bound straight to the registry ops.
void bindOperators(pybind11::class_<NDArray> &ndarray);

} // namespace kiln

#endif // KILN_FRONTENDS_PYTHON_BINDINGS_H
