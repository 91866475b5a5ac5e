//===- DLPackBindings.cpp - DLPack capsules for kiln._core ----------------===//
//
// Python's DLPack protocol: a PyCapsule named "dltensor" holding a
// DLManagedTensor; a consumer renames it "used_dltensor" and becomes
// responsible for the deleter, otherwise the capsule's destructor calls it.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/DLPack.h"
#include "frontends/python/Bindings.h"
#include "runtime/Error.h"

namespace py = pybind11;

namespace kiln {
namespace {

constexpr const char *kCapsuleName = "dltensor";
constexpr const char *kUsedCapsuleName = "used_dltensor";

void deleteUnconsumed(PyObject *capsule) {
  if (!PyCapsule_IsValid(capsule, kCapsuleName))
    return; // Consumed: the consumer owns the tensor now.
  auto *managed = static_cast<DLManagedTensor *>(
      PyCapsule_GetPointer(capsule, kCapsuleName));
  if (managed && managed->deleter)
    managed->deleter(managed);
}

py::capsule toCapsule(const NDArray &array) {
  DLManagedTensor *managed = toDLPack(array);
  PyObject *capsule = PyCapsule_New(managed, kCapsuleName, deleteUnconsumed);
  if (!capsule) {
    managed->deleter(managed);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

/// A wrapper whose deleter takes the GIL before calling the producer's:
/// kiln may drop the memory on an engine worker, and Python producers
/// (numpy among them) free Python objects in their deleters.
DLManagedTensor *withGilDeleter(DLManagedTensor *producer) {
  auto *wrapper = new DLManagedTensor{producer->dl_tensor, producer, nullptr};
  wrapper->deleter = [](DLManagedTensor *self) {
    auto *inner = static_cast<DLManagedTensor *>(self->manager_ctx);
    delete self;
    if (!inner->deleter || !Py_IsInitialized())
      return;
    py::gil_scoped_acquire gil;
    inner->deleter(inner);
  };
  return wrapper;
}

/// A capsule of `array` once its pending writes (and, for a writer, its
/// pending reads) are done; waits without the GIL.
py::capsule exportCapsule(const NDArray &array, bool forWrite) {
  {
    py::gil_scoped_release release;
    if (forWrite)
      array.waitToWrite();
    else
      array.waitToRead();
  }
  return toCapsule(array);
}

NDArray fromCapsule(const py::object &object) {
  PyObject *capsule = object.ptr();
  if (!PyCapsule_CheckExact(capsule))
    throw Error("from_dlpack: expected a DLPack capsule or an object with "
                "__dlpack__");
  if (!PyCapsule_IsValid(capsule, kCapsuleName))
    throw Error("from_dlpack: the capsule was already consumed (a DLPack "
                "capsule can be imported once)");
  auto *managed = static_cast<DLManagedTensor *>(
      PyCapsule_GetPointer(capsule, kCapsuleName));
  PyCapsule_SetName(capsule, kUsedCapsuleName);
  return fromDLPack(withGilDeleter(managed));
}

} // namespace

void bindDLPack(py::module_ &m, py::class_<NDArray> &ndarray) {
  ndarray
      .def(
          "to_dlpack_for_read",
          [](const NDArray &self) { return exportCapsule(self, false); },
          "A DLPack capsule sharing this array's memory, after its pending "
          "writes.")
      .def(
          "to_dlpack_for_write",
          [](const NDArray &self) { return exportCapsule(self, true); },
          "A DLPack capsule sharing this array's memory, after all its "
          "pending reads and writes.")
      .def(
          "__dlpack__",
          [](const NDArray &self, const py::object &stream) {
            if (!stream.is_none())
              throw Error("__dlpack__: stream must be None for cpu arrays");
            return exportCapsule(self, false);
          },
          py::arg("stream") = py::none())
      .def("__dlpack_device__", [](const NDArray &self) {
        return py::make_tuple(1, self.device().id);
      });
  m.def(
      "from_dlpack",
      [](const py::object &source) {
        if (py::hasattr(source, "__dlpack__") &&
            !PyCapsule_CheckExact(source.ptr()))
          return fromCapsule(source.attr("__dlpack__")());
        return fromCapsule(source);
      },
      py::arg("source"),
      "An NDArray sharing the memory of a DLPack capsule (or of an object "
      "with __dlpack__, such as a numpy array or torch tensor).");
}

} // namespace kiln
