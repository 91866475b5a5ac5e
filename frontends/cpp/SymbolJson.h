//===- SymbolJson.h - MXNet's -symbol.json, read and checked ----*- C++ -*-===//
//
// The one reader of MXNet's symbol JSON (Symbol.tojson, -symbol.json files):
// the Python package, the ahead-of-time compiler and the runtime all read
// graphs through parseSymbolJson. It gives the graph as MXNet 1.9.1 would
// load it: attributes merged from the 1.x `attrs` and the 0.x `param` and
// `attr` keys, and MXNet's upgrades of older files applied (hidden keys
// such as lr_mult become __lr_mult__, 0.8 files get their missing auxiliary
// variables, 0.9.3 files their variables' __init__, 0.9.4 argmax/argmin
// lose axis=-1). Every structural mistake is a kiln::Error naming the node
// (index and name), what was expected and what was found; no input makes
// it crash or throw anything else.
//
// Free of MLIR and of the operator registry: what an op's node looks like
// comes from an OpLookup, so the reader builds (and is fuzzed,
// tools/fuzz/run) on its own. parseSymbolJson(text) without a lookup asks
// kiln's registry (symbolic::nodeInterface); it is in //frontends/cpp:ndarray.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_SYMBOLJSON_H
#define KILN_FRONTENDS_CPP_SYMBOLJSON_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// MXNet's NodeEntry: output `output` of node `node` (an index into
/// GraphJson::nodes), and the entry's version (MXNet writes 1 for an input
/// that is an auxiliary state the op updates, else 0).
struct JsonEntry {
  size_t node = 0;
  size_t output = 0;
  uint32_t version = 0;
};

/// One node: a variable (op "null", no inputs, one output) or an operator.
/// Inputs always refer to earlier nodes.
struct JsonNode {
  std::string op;
  std::string name;
  /// Every attribute, user ones (__shape__, __lr_mult__) included, in
  /// MXNet's string forms.
  std::map<std::string, std::string> attrs;
  std::vector<JsonEntry> inputs;
};

struct GraphJson {
  /// In dependency order (each after its inputs).
  std::vector<JsonNode> nodes;
  /// The variable nodes the file lists, ascending, plus any the 0.8 upgrade
  /// made.
  std::vector<size_t> argNodes;
  /// The graph's outputs; never empty.
  std::vector<JsonEntry> heads;
  /// attrs.mxnet_version as written (10901 for 1.9.1); absent in files of
  /// MXNet before 0.9, which are upgraded as MXNet upgrades them (as 0.8.0).
  std::optional<int64_t> mxnetVersion;
};

/// What a node of an operator has under given parameters: its input names
/// (auxiliary states among them, in place), its number of visible outputs,
/// and the __init__ of variables at given inputs (MXNet's
/// FSetInputVarAttrOnCompose, applied to files older than 0.9.4).
struct OpInterface {
  std::vector<std::string> inputs;
  size_t numOutputs = 1;
  std::map<std::string, std::string> inputInitializers;
};

/// The interface of a node of `op` with `params` (its attributes without
/// user ones, those named __key__); nullopt when there is no operator `op`.
/// Throws kiln::Error when `params` do not suit the op.
using OpLookup = std::function<std::optional<OpInterface>(
    const std::string &op, const std::map<std::string, std::string> &params)>;

/// Reads and checks `text`, asking `lookup` about each operator node.
/// kiln::Error ("load_json: node 3 ('fc1'): ...") for anything that is not
/// an MXNet 1.x (or older) symbol graph whose operators `lookup` knows.
GraphJson parseSymbolJson(const std::string &text, const OpLookup &lookup);

/// The same with kiln's operator registry (frontends/cpp/SymbolJsonOps.cpp).
GraphJson parseSymbolJson(const std::string &text);

} // namespace kiln

#endif // KILN_FRONTENDS_CPP_SYMBOLJSON_H
