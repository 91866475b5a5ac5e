//===- OperatorBindings.cpp - NDArray's arithmetic operators in C++ -------===//
//
// a + b, a * 2, a -= b, ...: the hottest calls in user code, bound straight
// to the registry ops (looked up once) so that they skip the generated
// Python wrappers: MXNet's semantics (array op array broadcasts, array op
// number uses the _*_scalar op, in-place forms write into the left operand
// and return it).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/ops/Calls.h"
#include "frontends/python/Bindings.h"
#include "runtime/Error.h"

#include <optional>
#include <string>

namespace py = pybind11;

namespace kiln {
namespace {

struct BinaryOperator {
  const char *dunder;           // "add": __add__, __radd__, __iadd__
  const char *arrayOp;          // with an NDArray
  const char *scalarOp;         // with a number on the right
  const char *reversedScalarOp; // with a number on the left
};

const BinaryOperator kOperators[] = {
    {"add", "broadcast_add", "_plus_scalar", "_plus_scalar"},
    {"sub", "broadcast_sub", "_minus_scalar", "_rminus_scalar"},
    {"mul", "broadcast_mul", "_mul_scalar", "_mul_scalar"},
    {"truediv", "broadcast_div", "_div_scalar", "_rdiv_scalar"},
    {"div", "broadcast_div", "_div_scalar", "_rdiv_scalar"},
    {"mod", "broadcast_mod", "_mod_scalar", "_rmod_scalar"},
    {"pow", "broadcast_power", "_power_scalar", "_rpower_scalar"},
};

const OpSpec &lookup(const char *name) {
  const OpSpec *spec = OpRegistry::global().find(name);
  if (!spec)
    throw Error(formatMessage("unknown operator '", name, "'"));
  return *spec;
}

/// A Python int, float, bool or numpy scalar as a double; false otherwise.
bool asNumber(py::handle value, double &number) {
  PyObject *object = value.ptr();
  if (PyFloat_Check(object)) {
    number = PyFloat_AS_DOUBLE(object);
    return true;
  }
  if (PyLong_Check(object)) {
    number = PyLong_AsDouble(object);
    return !(number == -1.0 && PyErr_Occurred());
  }
  // numpy scalars (np.float32(2), np.int64(3)) are numbers too.
  static PyObject *numpyGeneric = [] {
    py::object numpy = py::module_::import("numpy");
    return py::object(numpy.attr("generic")).release().ptr();
  }();
  if (PyObject_IsInstance(object, numpyGeneric) == 1) {
    number = py::float_(py::reinterpret_borrow<py::object>(value));
    return true;
  }
  return false;
}

/// The NDArray inside a Python object of kiln's NDArray type, or null: a
/// type check and a pointer read, cheaper than pybind11's general casts.
const NDArray *asNDArray(py::handle object) {
  static PyTypeObject *type =
      reinterpret_cast<PyTypeObject *>(py::type::of<NDArray>().ptr());
  if (!PyObject_TypeCheck(object.ptr(), type))
    return nullptr;
  auto *instance = reinterpret_cast<py::detail::instance *>(object.ptr());
  void *value = instance->simple_layout
                    ? instance->simple_value_holder[0]
                    : instance->get_value_and_holder().value_ptr();
  return static_cast<const NDArray *>(value);
}

/// self (op) other: with an array, arrayOp (broadcasting); with a number,
/// scalarOp. Written into `out` when given. Nothing for other operands.
std::optional<NDArray> apply(const OpSpec &arrayOp, const OpSpec &scalarOp,
                             const NDArray &self, py::handle other,
                             const NDArray &out) {
  double number;
  if (const NDArray *array = asNDArray(other))
    return invokeOp(arrayOp, {self, *array}, {}, out);
  if (asNumber(other, number))
    return invokeOp(scalarOp, {self}, {{"scalar", ops::floatAttr(number)}},
                    out);
  return std::nullopt;
}

py::object notImplemented() {
  return py::reinterpret_borrow<py::object>(Py_NotImplemented);
}

/// While kiln.jit traces a function on this thread, the callable that takes
/// operators on arrays read from outside the function (globals, closures)
/// into its graph (kiln/_op_gen.py's set_trace_hook), else null. A raw
/// owned reference: a thread_local py::object could be released after the
/// interpreter is gone.
thread_local PyObject *traceHook = nullptr;

/// hook(opName, inputs, attrs, None): the traced result, or a null object
/// when no trace takes the operator (then it runs eagerly).
py::object traced(const OpSpec &op, py::list inputs, py::dict attrs) {
  py::object result = py::reinterpret_borrow<py::object>(traceHook)(
      op.name, inputs, attrs, py::none());
  return result.is(notImplemented()) ? py::object() : result;
}

/// self (op) other for the trace hook: with an array, arrayOp; with a
/// number, scalarOp's (or reversedOp's, for number (op) self) "scalar".
py::object tracedBinary(const OpSpec &arrayOp, const OpSpec &scalarOp,
                        py::handle self, py::handle other) {
  if (asNDArray(other)) {
    py::list inputs;
    inputs.append(self);
    inputs.append(other);
    return traced(arrayOp, inputs, py::dict());
  }
  double number;
  if (!asNumber(other, number))
    return py::object();
  py::list inputs;
  inputs.append(self);
  py::dict attrs;
  attrs["scalar"] = number;
  return traced(scalarOp, inputs, attrs);
}

} // namespace

void bindOperators(py::class_<NDArray> &ndarray) {
  // kiln/_op_gen.py's set_trace_hook: the operators' trace hook of this
  // thread (None: none); returns the previous one.
  ndarray.def_static("_set_trace_hook", [](py::object hook) -> py::object {
    PyObject *previous = traceHook;
    traceHook = hook.is_none() ? nullptr : hook.release().ptr();
    return previous ? py::reinterpret_steal<py::object>(previous)
                    : py::object(py::none());
  });
  for (const BinaryOperator &op : kOperators) {
    const OpSpec *arrayOp = &lookup(op.arrayOp);
    const OpSpec *scalarOp = &lookup(op.scalarOp);
    const OpSpec *reversedOp = &lookup(op.reversedScalarOp);
    const std::string name = op.dunder;
    ndarray.def(
        ("__" + name + "__").c_str(),
        [arrayOp, scalarOp](py::handle selfObject,
                            py::handle other) -> py::object {
          const NDArray *self = asNDArray(selfObject);
          if (self && traceHook)
            if (py::object result =
                    tracedBinary(*arrayOp, *scalarOp, selfObject, other))
              return result;
          std::optional<NDArray> result;
          if (self)
            result = apply(*arrayOp, *scalarOp, *self, other, NDArray());
          return result ? py::cast(std::move(*result)) : notImplemented();
        },
        py::is_operator());
    ndarray.def(
        ("__r" + name + "__").c_str(),
        [reversedOp](py::handle selfObject, py::handle other) -> py::object {
          const NDArray *self = asNDArray(selfObject);
          if (self && traceHook && !asNDArray(other))
            if (py::object result =
                    tracedBinary(*reversedOp, *reversedOp, selfObject, other))
              return result;
          double number;
          if (self && asNumber(other, number))
            return py::cast(invokeOp(*reversedOp, {*self},
                                     {{"scalar", ops::floatAttr(number)}}));
          return notImplemented();
        },
        py::is_operator());
    ndarray.def(
        ("__i" + name + "__").c_str(),
        [arrayOp, scalarOp](py::object selfObject,
                            py::handle other) -> py::object {
          // Not traced: a write into an array runs when the function is
          // traced, as out= does (kiln/_op_gen.py's traced_invoke). A
          // traced value cannot be written into it: jit's error, rather
          // than Python rebinding the name to the traced sum.
          const NDArray *self = asNDArray(selfObject);
          double number;
          if (self && traceHook && !asNDArray(other) &&
              !asNumber(other, number))
            py::module_::import("kiln._op_gen")
                .attr("refuse_traced_write")(selfObject, other);
          if (!self || !apply(*arrayOp, *scalarOp, *self, other, *self))
            return notImplemented();
          return selfObject; // The same object, as MXNet's in-place operators.
        },
        py::is_operator());
  }
}

} // namespace kiln
