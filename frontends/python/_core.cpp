//===- _core.cpp - the kiln._core Python extension ------------------------===//
//
// Thin pybind11 bindings over frontends/cpp. Python-level behaviour (default
// dtypes, MXNet's function signatures) lives in the kiln package; this module
// only moves data and calls into C++.
//
//===----------------------------------------------------------------------===//
#include "compiler/KernelCache.h"
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/NDArray.h"
#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/Operators.h"
#include "frontends/cpp/PrimitiveGradients.h"
#include "frontends/cpp/Serialization.h"
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"
#include "frontends/python/Bindings.h"
#include "runtime/Error.h"
#include "runtime/cpu/Pooling.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>

namespace py = pybind11;
using namespace kiln;

namespace {

DType dtypeFromNumpy(const py::dtype &dtype) {
  const char kind = dtype.kind();
  const auto size = dtype.itemsize();
  if (kind == 'f' && size == 4)
    return DType::Float32;
  if (kind == 'f' && size == 8)
    return DType::Float64;
  if (kind == 'f' && size == 2)
    return DType::Float16;
  if (kind == 'i' && size == 1)
    return DType::Int8;
  if (kind == 'i' && size == 4)
    return DType::Int32;
  if (kind == 'i' && size == 8)
    return DType::Int64;
  if (kind == 'u' && size == 1)
    return DType::UInt8;
  if (kind == 'b')
    return DType::Bool;
  throw Error(formatMessage(
      "array: unsupported dtype ",
      py::str(static_cast<const py::object &>(dtype)).cast<std::string>(),
      "; expected one of float16, float32, float64, "
      "uint8, int8, int32, int64, bool"));
}

/// The device a Python Context names (its device_typeid and device_id;
/// MXNet's numbering), or nullopt for None. Pinned and shared host memory
/// are plain host memory in kiln: cpu(id).
std::optional<Device> deviceFromPython(const py::object &context) {
  if (context.is_none())
    return std::nullopt;
  const int type = context.attr("device_typeid").cast<int>();
  const int id = context.attr("device_id").cast<int>();
  if (type == static_cast<int>(DeviceType::GPU))
    return Device::gpu(id);
  return Device::cpu(id);
}

NDArray fromNumpy(const py::array &source, const py::object &context) {
  // The caller (kiln.ndarray.array) passes a C-contiguous array.
  if (!(source.flags() & py::array::c_style))
    throw Error("array: expected a C-contiguous numpy array");
  Shape shape(source.shape(), source.shape() + source.ndim());
  return NDArray::fromData(source.data(), shape, dtypeFromNumpy(source.dtype()),
                           deviceFromPython(context).value_or(Device::cpu()));
}

py::array toNumpy(const NDArray &array) {
  py::dtype dtype(dtypeName(array.dtype()));
  py::array result(dtype, array.shape());
  {
    // Waiting may take a while; let other Python threads run.
    py::gil_scoped_release release;
    array.copyTo(result.mutable_data());
  }
  return result;
}

/// Whether `result` is a view of the storage of one of `inputs`.
bool sharesMemoryWithAny(const NDArray &result,
                         const std::vector<NDArray> &inputs) {
  for (const NDArray &input : inputs)
    if (!input.isNone() &&
        input.tensor().storage() == result.tensor().storage())
      return true;
  return false;
}

} // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "kiln's C++ core: NDArray, operators, engine";

  // A push that waits for the engine's backpressure lets go of the GIL:
  // ops in flight may need it (freeing memory a Python object owns, a
  // Python callable's last reference), and a C++ call that pushes many ops
  // (backward) holds it throughout.
  Engine::setHeldLock(
      {[]() -> void * {
         return PyGILState_Check() ? static_cast<void *>(PyEval_SaveThread())
                                   : nullptr;
       },
       [](void *token) {
         PyEval_RestoreThread(static_cast<PyThreadState *>(token));
       }});

  // kiln::Error surfaces as kiln.base.MXNetError (defined here, re-exported
  // there), a RuntimeError as in Apache MXNet.
  static py::exception<Error> mxnetError(m, "MXNetError", PyExc_RuntimeError);
  // Where MXNet raises a builtin (ValueError, IndexError, TypeError), kiln
  // raises a class derived from both it and MXNetError, so code catching
  // either keeps working.
  // Kept for the life of the process (never destroyed after the
  // interpreter is gone).
  static PyObject *valueError, *indexError, *typeError;
  py::object makeType = py::module::import("builtins").attr("type");
  auto derived = [&](const char *name, PyObject *builtin) {
    py::dict namespace_;
    namespace_["__module__"] = "kiln.base";
    namespace_["__doc__"] = std::string("MXNetError that is also Python's ") +
                            name + ", as MXNet raises it.";
    py::object type = makeType(
        name, py::make_tuple(mxnetError, py::handle(builtin)), namespace_);
    m.attr(("MXNet" + std::string(name)).c_str()) = type;
    return type.release().ptr();
  };
  valueError = derived("ValueError", PyExc_ValueError);
  indexError = derived("IndexError", PyExc_IndexError);
  typeError = derived("TypeError", PyExc_TypeError);
  py::register_exception_translator([](std::exception_ptr pending) {
    if (!pending)
      return;
    try {
      std::rethrow_exception(pending);
    } catch (const Error &error) {
      PyObject *type = mxnetError.ptr();
      switch (error.kind()) {
      case Error::Kind::Value:
        type = valueError;
        break;
      case Error::Kind::Index:
        type = indexError;
        break;
      case Error::Kind::Type:
        type = typeError;
        break;
      case Error::Kind::Generic:
        break;
      }
      PyErr_SetString(type, error.what());
    }
  });

  py::class_<NDArray> ndarray(m, "NDArray");
  ndarray
      .def(py::init([](py::object handle, bool /*writable*/) {
             if (!handle.is_none())
               throw Error("NDArray(handle): kiln arrays have no C handles; "
                           "make them with mx.nd.array, mx.nd.empty or "
                           "mx.nd.zeros",
                           Error::Kind::Type);
             return NDArray();
           }),
           py::arg("handle") = py::none(), py::arg("writable") = true,
           "MXNet's NDArray(handle=None, writable=True) with no handle: an "
           "array without contents, which only unpickling fills (MXNet "
           "pickles an array as NDArray(None) and its __setstate__); "
           "anything else on it is an MXNetError. TypeError for a handle.")
      .def(
          "_adopt",
          [](NDArray &self, const NDArray &source) {
            if (!self.isNone())
              throw Error("NDArray: only an array made as NDArray(None) "
                          "takes another's contents");
            self = source;
          },
          "Makes this contentless NDArray(None) the array `source` (its "
          "data and engine variable), for unpickling.")
      .def_property_readonly("_is_none", &NDArray::isNone,
                             "Whether this is a contentless NDArray(None).")
      .def_static("from_numpy", &fromNumpy, py::arg("source"),
                  py::arg("ctx") = py::none(),
                  "A new array holding a copy of a C-contiguous numpy array, "
                  "on the Context ctx (None: cpu(0)).")
      .def_property_readonly(
          "_device",
          [](const NDArray &self) {
            return py::make_tuple(static_cast<int>(self.device().type),
                                  self.device().id);
          },
          "(device_typeid, device_id) of the array's device, MXNet's "
          "numbering.")
      .def_property_readonly("shape",
                             [](const NDArray &self) {
                               py::tuple shape(self.shape().size());
                               for (size_t i = 0; i < self.shape().size(); ++i)
                                 shape[i] = self.shape()[i];
                               return shape;
                             })
      // numpy's scalar type (numpy.float32), not a numpy.dtype, as in
      // MXNet: user code indexes dicts by it and reads dtype.__name__.
      .def_property_readonly(
          "dtype",
          [](const NDArray &self) -> py::object {
            return py::dtype(dtypeName(self.dtype())).attr("type");
          })
      .def_property_readonly("size", &NDArray::size)
      .def_property_readonly(
          "ndim", [](const NDArray &self) { return self.shape().size(); })
      .def("asnumpy", &toNumpy,
           "Waits for pending writes and returns a numpy copy.")
      .def(
          "attach_grad",
          [](const NDArray &self, const std::string &gradReq,
             const py::object &) {
            autograd::attachGrad(
                self, autograd::parseGradReq("attach_grad", gradReq));
          },
          py::arg("grad_req") = "write", py::arg("stype") = py::none(),
          "Gives the array a zero gradient buffer; recorded operations on "
          "it are differentiated into that buffer.")
      .def_property_readonly("grad",
                             [](const NDArray &self) -> py::object {
                               NDArray grad = autograd::gradBuffer(self);
                               return grad.isNone() ? py::object(py::none())
                                                    : py::cast(grad);
                             })
      .def(
          "detach",
          [](const NDArray &self) { return self.withAutogradEntry(nullptr); },
          "The same data, outside the autograd graph.")
      .def_property_readonly(
          "_is_contiguous",
          [](const NDArray &self) { return self.tensor().isContiguous(); },
          "Whether the elements are laid out row-major without gaps (basic "
          "indexing shares memory only then, as MXNet).")
      .def("_same_data",
           [](const NDArray &self, const NDArray &other) {
             return self.var() == other.var() &&
                    self.tensor().data() == other.tensor().data();
           })
      .def("wait_to_read", &NDArray::waitToRead,
           py::call_guard<py::gil_scoped_release>());

  m.def(
      "assign",
      [](const NDArray &destination, const NDArray &source) {
        // x[key] = value: value broadcast to the region, converted to its
        // dtype, written through the view (ordered by the shared variable).
        NDArray value = source;
        if (value.shape() != destination.shape()) {
          dispatch::broadcastShapes("__setitem__",
                                    {value.shape(), destination.shape()});
          value = invokeOp("broadcast_to", {value},
                           {{"shape", ops::shapeAttr(destination.shape())}});
        }
        // A source in the destination's memory (a[1:6] = a[0:5]) may
        // overlap it: copyInto moves it whole, as numpy does.
        dispatch::copyInto(value, destination);
      },
      py::arg("destination"), py::arg("source"));
  m.def(
      "copy_to",
      [](const NDArray &source, const py::object &context) {
        // A copy on another device (recorded for autograd, as MXNet's
        // _copyto); every CPU id is host memory, so a plain copy.
        NDArray target =
            NDArray::empty(source.shape(), source.dtype(),
                           deviceFromPython(context).value_or(Device::cpu()));
        return dispatch::cast(source, source.dtype(), target);
      },
      py::arg("source"), py::arg("ctx"));
  m.def("elemwise_add", &op::elemwiseAdd, py::arg("lhs"), py::arg("rhs"));
  m.def(
      "waitall", [] { Engine::global().waitAll(); },
      py::call_guard<py::gil_scoped_release>(),
      "Blocks until all pushed work is done; rethrows a pending error.");

  // The operator registry: Python generates mx.nd.<op> from list_ops() and
  // calls invoke(name, inputs, attrs, out).
  m.def(
      "invoke",
      [](const std::string &name, const std::vector<NDArray> &inputs,
         const std::map<std::string, std::string> &attrs, py::object out,
         bool shareMemory, const py::object &context) -> py::object {
        // An op without inputs (creation, sampling) makes its result on
        // ctx; one with inputs runs on its first input's device.
        std::optional<DeviceScope> device;
        if (std::optional<Device> named = deviceFromPython(context))
          device.emplace(*named);
        // TypeError for an out= that is no array, as MXNet's Python raises.
        auto badOut = [&name](py::handle value) {
          return Error(formatMessage(name,
                                     ": out expected an NDArray or a "
                                     "list of NDArrays, got ",
                                     std::string(py::str(
                                         value.get_type().attr("__name__")))),
                       Error::Kind::Type);
        };
        const bool outIsList =
            py::isinstance<py::list>(out) || py::isinstance<py::tuple>(out);
        if (!out.is_none() && !outIsList && !py::isinstance<NDArray>(out))
          throw badOut(out);
        if (outIsList)
          for (py::handle item : out)
            if (!py::isinstance<NDArray>(item))
              throw badOut(item);
        const OpSpec *spec = OpRegistry::global().find(name);
        if (spec && (spec->computeOutputs || outIsList ||
                     (spec->splitCalls &&
                      !spec->splitCalls(Attrs(name, spec->attrs, attrs), attrs)
                           .empty()))) {
          // Several outputs (multi_sgd_update, ...), or out= a list: as
          // MXNet, the result is `out` itself when given, else the one
          // output or a list of them.
          std::vector<NDArray> outs;
          if (py::isinstance<NDArray>(out))
            outs.push_back(out.cast<NDArray>());
          else if (!out.is_none())
            outs = out.cast<std::vector<NDArray>>();
          std::vector<NDArray> results =
              invokeOpOutputs(*spec, inputs, attrs, outs);
          if (!out.is_none())
            return out;
          if (results.size() == 1)
            return py::cast(results[0]);
          return py::cast(results);
        }
        NDArray result =
            invokeOp(name, inputs, attrs,
                     out.is_none() ? NDArray() : out.cast<NDArray>());
        // C++ callers keep zero-copy views (transpose, slice, ...); what
        // Python users see follows MXNet, whose operators return arrays of
        // their own: writes into the input must not show in the result, nor
        // the other way round. Only NDArray.reshape and contiguous basic
        // indexing ask to share (shareMemory).
        if (out.is_none() && !shareMemory &&
            sharesMemoryWithAny(result, inputs))
          return py::cast(dispatch::cast(result, result.dtype()));
        return py::cast(result);
      },
      py::arg("name"), py::arg("inputs"), py::arg("attrs"),
      py::arg("out") = py::none(), py::arg("share_memory") = false,
      py::arg("ctx") = py::none(),
      "Runs the registered operator `name`; share_memory=True lets the result "
      "be a view of an input (MXNet's NDArray.reshape and basic slicing); "
      "ctx (a Context) is where an op without inputs makes its result.");
  m.def("kernel_cache_stats", [] {
    compiler::KernelCacheStats stats = compiler::KernelCache::global().stats();
    py::dict info;
    info["hits"] = stats.hits;
    info["misses"] = stats.misses;
    info["disk_hits"] = stats.diskHits;
    info["compilations"] = stats.compilations;
    info["background_compilations"] = stats.backgroundCompilations;
    info["entries"] = stats.entries;
    return info;
  });
  m.def("max_pool_vector_isa", &maxPoolVectorIsa,
        "The vector instructions 2x2, stride-2 max pooling runs on here: "
        "'avx512', 'avx2' or 'scalar' (ONEDNN_MAX_CPU_ISA caps it).");
  m.def("random_seed", &ops::setRandomSeed, py::arg("seed"),
        "Seeds the random operators (mx.random.seed).");
  // mx.nd.save / load in MXNet's format (see frontends/cpp/Serialization.h).
  auto toPython = [](const NamedArrays &contents) {
    py::list arrays;
    for (const NDArray &array : contents.arrays)
      arrays.append(array.isNone() ? py::object(py::none()) : py::cast(array));
    return py::make_tuple(arrays, contents.names);
  };
  m.def(
      "save_ndarrays",
      [](const std::string &path, const std::vector<NDArray> &arrays,
         const std::vector<std::string> &names) {
        py::gil_scoped_release release;
        saveNDArrays(path, {arrays, names});
      },
      py::arg("path"), py::arg("arrays"), py::arg("names"));
  m.def(
      "load_ndarrays",
      [toPython](const std::string &path) {
        return toPython(loadNDArrays(path));
      },
      py::arg("path"));
  m.def(
      "load_ndarrays_from_buffer",
      [toPython](const py::bytes &buffer) {
        return toPython(deserializeNDArrays(std::string(buffer)));
      },
      py::arg("buffer"));
  m.def("differentiable_primitives", &autograd::differentiablePrimitives);
  m.def("recorded_primitives", &autograd::recordedPrimitives);
  m.def("list_ops", [] {
    py::list ops;
    for (const OpSpec *spec : OpRegistry::global().all()) {
      py::list attrs;
      for (const AttrSpec &attr : spec->attrs)
        attrs.append(py::make_tuple(
            attr.name, attr.defaultValue ? py::cast(*attr.defaultValue)
                                         : py::object(py::none())));
      ops.append(py::make_tuple(spec->name, spec->inputs, attrs, spec->doc));
    }
    return ops;
  });

  bindProfiler(m);
  bindAutograd(m);
  bindSymbol(m);
  bindDLPack(m, ndarray);
  bindOperators(ndarray);
}
