//===- SymbolInference.h - an op's shapes without running it ----*- C++ -*-===//
//
// The symbolic API's view of the operator registry: a node's input and
// output names under its attributes, and shape/type inference of one node.
// Output shapes come from evaluating the op itself in shape-only mode
// (runtime/ShapeOnly.h), so they are exactly what eager execution gives;
// parameter shapes come from the op's SymbolTraits::inferInputShapes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_SYMBOLINFERENCE_H
#define KILN_FRONTENDS_CPP_SYMBOLINFERENCE_H

#include "frontends/cpp/OpRegistry.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
namespace symbolic {

/// A node's interface under `attrs`: input names (auxiliary states among
/// them, in place), which of those are auxiliary, and visible output names.
/// "*data" ops list `num_args` inputs named arg0, arg1, ...
struct NodeInterface {
  std::vector<std::string> inputs;
  std::vector<std::string> auxInputs;
  std::vector<std::string> outputs;
  /// SymbolTraits::inputInitializers.
  std::map<std::string, std::string> inputInitializers;
};
/// The most inputs (num_args) or numbered outputs (num_outputs) one node
/// may list: a bound, so a wild attribute is an error, not all of memory.
constexpr int64_t kMaxNodeArity = int64_t{1} << 16;

/// kiln::Error for an unknown op or bad attributes.
NodeInterface nodeInterface(const std::string &op, const AttrMap &attrs);

/// What is known of a value: its shape (nullopt: unknown; an extent of 0:
/// unknown, as MXNet 1.x writes it) and dtype (nullopt: unknown).
struct ValueInfo {
  std::optional<Shape> shape;
  std::optional<DType> dtype;
};

struct NodeInference {
  std::vector<ValueInfo> inputs;
  /// Empty when some input is not fully known yet.
  std::vector<ValueInfo> outputs;
};

/// One node's inference: fills the inputs' shapes the traits can tell,
/// gives unknown input dtypes the first known input's, and, once every
/// input is fully known, evaluates the op in shape-only mode (as in
/// training when `training`) for its outputs. kiln::Error, naming the op,
/// when the op rejects the shapes.
NodeInference inferNode(const std::string &op, const AttrMap &attrs,
                        std::vector<ValueInfo> inputs, bool training);

/// Whether every extent of `shape` is known (no 0, as MXNet 1.x).
bool isKnown(const std::optional<Shape> &shape);

/// For SymbolTraits::inferInputShapes: input `index` (called `name` in
/// errors) has shape `expected` (0: unknown extent). An unknown shape takes
/// it, a partly known one takes its known extents; a known extent that
/// differs is a kiln::Error "name expected shape ..., got ...".
void setInputShape(std::vector<std::optional<Shape>> &shapes, size_t index,
                   const Shape &expected, const char *name);

} // namespace symbolic
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_SYMBOLINFERENCE_H
