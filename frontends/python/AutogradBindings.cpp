//===- AutogradBindings.cpp - kiln._core's autograd functions -------------===//
#include "frontends/cpp/Autograd.h"
#include "frontends/python/Bindings.h"
#include "runtime/Error.h"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace kiln {
namespace {

std::vector<NDArray> orNone(const std::vector<std::optional<NDArray>> &arrays) {
  std::vector<NDArray> result;
  for (const auto &array : arrays)
    result.push_back(array ? *array : NDArray());
  return result;
}

/// A Python callable kept by a graph node: released under the GIL, and
/// leaked if the interpreter is already gone.
std::shared_ptr<py::object> keepCallable(py::object callable) {
  return std::shared_ptr<py::object>(new py::object(std::move(callable)),
                                     [](py::object *held) {
                                       if (!Py_IsInitialized())
                                         return;
                                       py::gil_scoped_acquire gil;
                                       delete held;
                                     });
}

} // namespace

void bindAutograd(py::module_ &m) {
  m.def("autograd_is_recording", &autograd::isRecording);
  m.def("autograd_is_training", &autograd::isTraining);
  m.def("autograd_set_recording", &autograd::setRecording, py::arg("recording"),
        "Sets recording; returns the previous state.");
  m.def("autograd_set_training", &autograd::setTraining, py::arg("training"),
        "Sets training mode; returns the previous state.");
  m.def(
      "autograd_mark_variables",
      [](const std::vector<NDArray> &variables,
         const std::vector<NDArray> &grads,
         const std::vector<std::string> &requests) {
        std::vector<autograd::GradReq> parsed;
        for (const std::string &request : requests)
          parsed.push_back(autograd::parseGradReq("mark_variables", request));
        autograd::markVariables(variables, grads, parsed);
      },
      py::arg("variables"), py::arg("gradients"), py::arg("grad_reqs"));
  m.def("autograd_fresh_grad", &autograd::freshGrad, py::arg("array"),
        "MXNet's _fresh_grad: backward wrote the variable's gradient since "
        "the flag was cleared.");
  m.def("autograd_set_fresh_grad", &autograd::setFreshGrad, py::arg("array"),
        py::arg("fresh"));
  m.def("autograd_is_retaining_graph", &autograd::isRetainingGraph,
        "Whether the backward pass running on this thread keeps its graph "
        "(retain_graph=True); False outside backward.");
  m.def("autograd_takes_gradient", &autograd::takesGradient, py::arg("array"),
        "Whether the array is a variable or computed from one while "
        "recording.");
  m.def(
      "autograd_backward",
      [](const std::vector<NDArray> &heads,
         const std::vector<std::optional<NDArray>> &headGrads, bool retainGraph,
         bool trainMode) {
        autograd::backward(heads, orNone(headGrads), retainGraph, trainMode);
      },
      py::arg("heads"), py::arg("head_grads"), py::arg("retain_graph"),
      py::arg("train_mode"));
  m.def(
      "autograd_grad",
      [](const std::vector<NDArray> &heads, const std::vector<NDArray> &vars,
         const std::vector<std::optional<NDArray>> &headGrads, bool retainGraph,
         bool createGraph, bool trainMode) {
        return autograd::grad(heads, vars, orNone(headGrads), retainGraph,
                              createGraph, trainMode);
      },
      py::arg("heads"), py::arg("variables"), py::arg("head_grads"),
      py::arg("retain_graph"), py::arg("create_graph"), py::arg("train_mode"));
  m.def(
      "autograd_record_function",
      [](const std::string &name, const std::vector<NDArray> &inputs,
         const std::vector<NDArray> &outputs, py::object backward,
         bool donateGradients) {
        std::shared_ptr<py::object> callable = keepCallable(backward);
        autograd::recordFunction(
            name, inputs, outputs,
            [callable, name](const std::vector<NDArray> &,
                             const std::vector<NDArray> &,
                             const std::vector<NDArray> &outputGrads) {
              py::gil_scoped_acquire gil;
              py::object result = (*callable)(outputGrads);
              std::vector<NDArray> grads;
              for (py::handle item : result) {
                if (item.is_none())
                  grads.push_back(NDArray());
                else if (py::isinstance<NDArray>(item))
                  grads.push_back(item.cast<NDArray>());
                else
                  throw Error(formatMessage(
                      name, ".backward: expected NDArrays (or None), got ",
                      std::string(py::str(item.get_type()))));
              }
              return grads;
            },
            donateGradients);
      },
      py::arg("name"), py::arg("inputs"), py::arg("outputs"),
      py::arg("backward"), py::arg("donate_gradients") = false);
}

} // namespace kiln
