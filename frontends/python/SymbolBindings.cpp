//===- SymbolBindings.cpp - the registry as mx.sym sees it ----------------===//
//
// kiln._core.symbol_interface and kiln._core.infer_node: a node's input,
// auxiliary and output names, and one node's shape/type inference
// (frontends/cpp/SymbolInference.h), shapes as tuples (None: unknown) and
// dtypes as numpy names; kiln._core.parse_symbol_json: MXNet's symbol JSON
// read and checked (frontends/cpp/SymbolJson.h).
//
//===----------------------------------------------------------------------===//
#include "compiler/KernelCache.h"
#include "frontends/cpp/ArgumentBinding.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "frontends/cpp/SymbolInference.h"
#include "frontends/cpp/SymbolJson.h"
#include "frontends/python/Bindings.h"
#include "runtime/Error.h"
#include "runtime/Executable.h"

#include <pybind11/stl.h>

namespace py = pybind11;

namespace kiln {
namespace {

/// A dtype name from Python (None: unknown).
std::optional<DType> dtypeOf(const py::object &name) {
  if (name.is_none())
    return std::nullopt;
  const std::string text = py::str(name);
  if (std::optional<DType> dtype = dtypeFromName(text))
    return dtype;
  throw Error(formatMessage("infer_type: unknown dtype '", text, "'"));
}

py::object toPython(const symbolic::ValueInfo &value) {
  return py::make_tuple(
      value.shape ? py::object(py::tuple(py::cast(*value.shape)))
                  : py::object(py::none()),
      value.dtype ? py::cast(dtypeName(*value.dtype)) : py::object(py::none()));
}

} // namespace

void bindSymbol(py::module_ &m) {
  py::class_<Executable, std::shared_ptr<Executable>>(
      m, "Executable",
      "Engine launches captured once (kiln._core.capture) and pushed again "
      "by run().")
      .def("run", &Executable::run, py::arg("replay") = false,
           py::call_guard<py::gil_scoped_release>(),
           "Pushes every captured launch to the engine; returns at once. "
           "With replay, random launches reuse the previous run's keys.")
      .def_property_readonly(
          "num_launches",
          [](const Executable &executable) {
            return executable.launches().size();
          },
          "How many launches a run pushes.")
      .def_property_readonly(
          "launch_names",
          [](const Executable &executable) {
            std::vector<std::string> names;
            for (const Executable::Launch &launch : executable.launches())
              names.push_back(launch.name);
            return names;
          },
          "The launches' names in order (ops, 'fused:exp,mul,...').")
      .def_property_readonly(
          "launches_in_place",
          [](const Executable &executable) {
            std::vector<bool> inPlace;
            for (const Executable::Launch &launch : executable.launches())
              inPlace.push_back(launch.inPlaceSafe);
            return inPlace;
          },
          "For each launch, whether memory planning may give its output "
          "the bytes of an input that dies there.")
      .def(
          "writes",
          [](const Executable &executable, const NDArray &array) {
            for (const Executable::Launch &launch : executable.launches())
              for (const VarPtr &var : launch.writes)
                if (var == array.var())
                  return true;
            return false;
          },
          py::arg("array"),
          "Whether some launch writes the array (its engine variable).");
  py::class_<RetainedValues, std::shared_ptr<RetainedValues>>(
      m, "RetainedValues",
      "Forward values a planned backward overwrites after reading them "
      "(runtime/Executable.h): save() before a backward that runs again "
      "on the same forward, restore() after it.")
      .def_property_readonly("bytes", &RetainedValues::bytes)
      .def("save", &RetainedValues::save)
      .def("restore", &RetainedValues::restore);
  m.def(
      "plan_memory",
      [](const std::vector<std::shared_ptr<Executable>> &programs,
         const std::vector<NDArray> &keep, bool retained) -> py::object {
        std::vector<VarPtr> vars;
        for (const NDArray &array : keep)
          vars.push_back(array.var());
        std::shared_ptr<RetainedValues> values;
        const Executable::MemoryStats stats = Executable::planMemory(
            programs, vars, retained ? &values : nullptr);
        py::dict result;
        result["arena_bytes"] = stats.arenaBytes;
        result["peak_live_bytes"] = stats.peakLiveBytes;
        result["planned_bytes"] = stats.plannedBytes;
        result["planned_buffers"] = stats.plannedBuffers;
        result["unplanned_bytes"] = stats.unplannedBytes;
        result["unplanned_buffers"] = stats.unplannedBuffers;
        result["dropped_bytes"] = stats.droppedBytes;
        result["dropped_buffers"] = stats.droppedBuffers;
        result["forwarded_copies"] = stats.forwardedCopies;
        result["forwarded_bytes"] = stats.forwardedBytes;
        if (!retained)
          return std::move(result);
        return py::make_tuple(result, values);
      },
      py::arg("programs"), py::arg("keep"), py::arg("retained") = false,
      "Plans the memory of captured programs that run in this order "
      "(runtime/Executable.h); `keep` are arrays the caller reads (never "
      "shared). Returns the arena's size and what was planned; with "
      "`retained`, (that, RetainedValues of the last program).");
  m.def("bind_argument", &bindArgument, py::arg("buffer"), py::arg("source"),
        "Lends source's memory to an executable's argument buffer for the "
        "launches pushed next (frontends/cpp/ArgumentBinding.h); False, "
        "nothing pushed, when source cannot stand in for it (shape, dtype, "
        "device, strides). Call release_argument after the run.");
  m.def("release_argument", &releaseArgument, py::arg("buffer"),
        py::arg("source"),
        "Orders source's next uses after the launches pushed so far that "
        "read buffer (after bind_argument).");
  m.def("unbind_argument", &unbindArgument, py::arg("buffer"),
        "Gives an argument buffer memory of its own again before a copy "
        "into it.");
  m.def("lend_buffer", &lendBuffer, py::arg("buffer"),
        "Makes a gradient buffer of an executable hold memory only while a "
        "backward uses it: call before each backward that writes it whole "
        "(frontends/cpp/ArgumentBinding.h). False, nothing pushed, for a "
        "view or memory not from the pool.");
  m.def(
      "take_results",
      [](const std::vector<NDArray> &results,
         const std::vector<NDArray> &arguments) {
        py::list taken;
        for (NDArray &array : takeResults(results, arguments)) {
          if (array.isNone())
            taken.append(py::none());
          else
            taken.append(py::cast(std::move(array)));
        }
        return taken;
      },
      py::arg("results"), py::arg("arguments"),
      "For each result buffer, a new array that takes over its memory "
      "(the buffer gets a fresh block; no copy), or None where it cannot: "
      "copy those. Only when no later program reads the results.");
  // A Python `with` block whose kernel misses compile in the background
  // (KernelCache::AsyncScope), waited for at its end.
  struct BackgroundCompiles {
    std::unique_ptr<compiler::KernelCache::AsyncScope> scope;
  };
  py::class_<BackgroundCompiles>(
      m, "background_compiles",
      "with background_compiles(): ... -- kernels the block's ops miss "
      "compile on background threads (one per core) while it goes on "
      "pushing work; ops that run meanwhile wait for their kernels. The "
      "end of the block waits for the compiles and raises the first "
      "failure (MXNetError), as compiling in the caller would have. For "
      "code that pushes many new kernels in a row (a hybridized block's "
      "first, op-by-op call).")
      .def(py::init<>())
      .def("__enter__",
           [](BackgroundCompiles &self) {
             if (self.scope)
               throw Error("background_compiles: already entered");
             self.scope = std::make_unique<compiler::KernelCache::AsyncScope>();
           })
      .def("__exit__", [](BackgroundCompiles &self, const py::object &type,
                          const py::object &, const py::object &) {
        if (!self.scope)
          return false;
        std::unique_ptr<compiler::KernelCache::AsyncScope> scope =
            std::move(self.scope);
        try {
          py::gil_scoped_release unlocked;
          scope->wait();
        } catch (...) {
          // The block's own exception, when it has one, is the one to see.
          if (type.is_none())
            throw;
        }
        return false;
      });
  m.def(
      "capture",
      [](const py::function &build, bool planned) {
        ExecutableCapture capture(planned);
        // Nothing runs until the capture ends: its kernels compile side by
        // side in the background meanwhile.
        compiler::KernelCache::AsyncScope compileInBackground;
        fusion::ElementwiseFusion fusion(capture);
        py::object result = build();
        fusion.finish();
        {
          // A kernel that fails to compile fails the capture, as it would
          // have compiling in this thread (the Executor then interprets).
          py::gil_scoped_release unlocked;
          compileInBackground.wait();
        }
        return py::make_tuple(capture.finish(), result);
      },
      py::arg("build"), py::arg("planned") = false,
      "(Executable, build's result): calls build() with this thread's engine "
      "pushes recorded instead of run, elementwise chains fused into one "
      "kernel each (frontends/cpp/ElementwiseFusion.h; KILN_FUSION=0: one "
      "launch per primitive). With planned, large buffers get no "
      "memory until plan_memory, which must then follow before any run. "
      "MXNetError when build needs a value on the host (data-dependent "
      "shapes, asnumpy).");
  m.def(
      "symbol_interface",
      [](const std::string &op, const AttrMap &attrs) {
        symbolic::NodeInterface interface = symbolic::nodeInterface(op, attrs);
        return py::make_tuple(interface.inputs, interface.auxInputs,
                              interface.outputs, interface.inputInitializers);
      },
      py::arg("op"), py::arg("attrs"),
      "(input names, auxiliary input names, visible output names, {input "
      "name: __init__ of a variable made for it}) of a node of `op` with "
      "`attrs` (MXNet's string forms).");
  m.def(
      "canonical_op_name",
      [](const std::string &op) {
        return OpRegistry::global().canonicalName(op);
      },
      py::arg("op"),
      "The registered name `op` is an alias of, or `op` itself.");
  m.def(
      "infer_node",
      [](const std::string &op, const AttrMap &attrs, const py::list &shapes,
         const py::list &dtypes, bool training) {
        if (shapes.size() != dtypes.size())
          throw Error("infer_node: shapes and dtypes differ in length");
        std::vector<symbolic::ValueInfo> inputs;
        for (size_t i = 0; i < shapes.size(); ++i) {
          symbolic::ValueInfo value;
          if (!shapes[i].is_none())
            value.shape = shapes[i].cast<Shape>();
          value.dtype = dtypeOf(dtypes[i]);
          inputs.push_back(std::move(value));
        }
        symbolic::NodeInference inferred;
        {
          py::gil_scoped_release unlocked;
          inferred =
              symbolic::inferNode(op, attrs, std::move(inputs), training);
        }
        py::list inputInfo, outputInfo;
        for (const symbolic::ValueInfo &value : inferred.inputs)
          inputInfo.append(toPython(value));
        for (const symbolic::ValueInfo &value : inferred.outputs)
          outputInfo.append(toPython(value));
        return py::make_tuple(inputInfo, outputInfo);
      },
      py::arg("op"), py::arg("attrs"), py::arg("shapes"), py::arg("dtypes"),
      py::arg("training") = false,
      "One node's inference: ([(shape, dtype)] of its inputs, completed "
      "where the op can tell, [(shape, dtype)] of its visible outputs, empty "
      "while some input is unknown). Shapes are tuples with 0 for an unknown "
      "extent, or None.");
  m.def(
      "parse_symbol_json",
      [](const std::string &text) {
        GraphJson graph;
        {
          py::gil_scoped_release unlocked;
          graph = parseSymbolJson(text);
        }
        auto entries = [](const std::vector<JsonEntry> &list) {
          py::list items;
          for (const JsonEntry &entry : list)
            items.append(
                py::make_tuple(entry.node, entry.output, entry.version));
          return items;
        };
        py::list nodes;
        for (const JsonNode &node : graph.nodes)
          nodes.append(py::make_tuple(node.op, node.name, node.attrs,
                                      entries(node.inputs)));
        py::dict result;
        result["nodes"] = nodes;
        result["arg_nodes"] = graph.argNodes;
        result["heads"] = entries(graph.heads);
        result["mxnet_version"] = graph.mxnetVersion;
        return result;
      },
      py::arg("text"),
      "MXNet's symbol JSON read and checked against the registry "
      "(frontends/cpp/SymbolJson.h), with MXNet's upgrades of older files: "
      "{'nodes': [(op ('null' for a variable), name, {attr: value}, "
      "[(node, output, version)])], 'arg_nodes': [index], 'heads': "
      "[(node, output, version)], 'mxnet_version': int or None}. Inputs "
      "refer to earlier nodes. MXNetError naming the node for any mistake.");
}

} // namespace kiln
