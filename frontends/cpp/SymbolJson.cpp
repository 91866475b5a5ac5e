//===- SymbolJson.cpp - MXNet's symbol JSON reader ------------------------===//
//
// The JSON itself is parsed by nlohmann/json (Debian's nlohmann-json3-dev),
// not by a parser of kiln's own: JSON's corner cases (escapes, surrogate
// pairs, UTF-8 validation, numbers out of range, trailing bytes) are where
// hand-written parsers go wrong, and nlohmann/json is header-only, widely
// used and fuzzed continuously upstream (OSS-Fuzz). Its parser and its
// destructor are iterative, but copies and dumps recurse, so the parse
// callback bounds nesting; the text's size is bounded too.
//
// What this file adds is MXNet's format: the node layout, the checks, and
// MXNet 1.9.1's upgrades of older files (src/nnvm/legacy_json_util.cc),
// applied to the nodes in file order (inputs always come first).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/SymbolJson.h"

#include "runtime/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace kiln {
namespace {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

/// Symbol files of the largest published models are a few MB.
constexpr size_t kMaxTextBytes = size_t(256) << 20;
/// MXNet's layout nests 5 deep (graph, nodes, node, inputs, entry).
constexpr int kMaxDepth = 64;
/// The version 1.9.1 writes, and the first versions with each layout change.
constexpr int64_t kVersion1_9_1 = 10901;
constexpr int64_t kVersion0_8_0 = 800;
constexpr int64_t kVersion0_9_0 = 900;
constexpr int64_t kVersion0_9_4 = 904;
constexpr int64_t kVersion0_9_5 = 905;
constexpr int64_t kVersion2_0_0 = 20000;
/// Attributes MXNet keeps as __key__ (its kHiddenKeys in 1.9.1).
const char *const kHiddenKeys[] = {"ctx_group", "lr_mult", "wd_mult",
                                   "force_mirroring", "mirror_stage"};

[[noreturn]] void fail(const std::string &message) {
  throw Error("load_json: " + message);
}

std::string clipped(const std::string &text, size_t limit = 80) {
  return text.size() <= limit ? text : text.substr(0, limit) + "...";
}

/// A short rendering of a JSON value for messages.
std::string describe(const Json &value) {
  return clipped(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string nodeLabel(size_t index, const std::string &name) {
  return formatMessage("node ", index, " ('", clipped(name), "')");
}

/// MXNet's user attributes (__shape__, __lr_mult__), which are not an
/// operator's parameters.
bool isUserAttr(const std::string &key) {
  return key.size() > 4 && key.compare(0, 2, "__") == 0 &&
         key.compare(key.size() - 2, 2, "__") == 0;
}

StringMap paramsOf(const StringMap &attrs) {
  StringMap params;
  for (const auto &[key, value] : attrs)
    if (!isUserAttr(key))
      params.emplace(key, value);
  return params;
}

/// A non-negative integer (not a bool, not a float), or nullopt.
std::optional<uint64_t> nonNegative(const Json &value) {
  if (value.is_number_unsigned())
    return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

/// nlohmann/json keeps an object's keys sorted, but MXNet's reader lets the
/// later of a node's "attrs" and "attr" replace the earlier, so the parse
/// callback notes, per object of the top-level "nodes" list, whether "attr"
/// came last. It also bounds nesting.
class ParseObserver {
public:
  bool operator()(int depth, Json::parse_event_t event, const Json &parsed) {
    switch (event) {
    case Json::parse_event_t::object_start:
    case Json::parse_event_t::array_start:
      if (depth >= kMaxDepth)
        fail(formatMessage("the text nests deeper than ", kMaxDepth,
                           " levels; MXNet's graphs nest 5"));
      if (event == Json::parse_event_t::object_start && depth == 2 && inNodes_)
        attrLast_.push_back(false);
      break;
    case Json::parse_event_t::key:
      if (depth == 1) {
        // A repeated "nodes" replaces the earlier one, as MXNet reads it.
        inNodes_ = parsed == "nodes";
        if (inNodes_)
          attrLast_.clear();
      } else if (depth == 3 && inNodes_ && !attrLast_.empty()) {
        if (parsed == "attr")
          attrLast_.back() = true;
        else if (parsed == "attrs")
          attrLast_.back() = false;
      }
      break;
    default:
      break;
    }
    return true;
  }

  bool attrLast(size_t node) const {
    return node < attrLast_.size() && attrLast_[node];
  }

private:
  bool inNodes_ = false;
  std::vector<bool> attrLast_;
};

Json parseText(const std::string &text, ParseObserver &observer) {
  if (text.size() > kMaxTextBytes)
    fail(formatMessage("the text is ", text.size(),
                       " bytes; kiln reads symbol files of at most ",
                       kMaxTextBytes, " bytes"));
  try {
    return Json::parse(
        text, [&observer](int depth, Json::parse_event_t event, Json &parsed) {
          return observer(depth, event, parsed);
        });
  } catch (const Json::exception &error) {
    // "[json.exception.parse_error.101] parse error at line 1, ..."
    std::string message = error.what();
    const size_t tag = message.find("] ");
    if (message.compare(0, 16, "[json.exception.") == 0 &&
        tag != std::string::npos)
      message = message.substr(tag + 2);
    fail("the text is not valid JSON: " + message);
  }
}

class Reader {
public:
  Reader(const OpLookup &lookup) : lookup_(lookup) {}

  GraphJson read(const std::string &text) {
    ParseObserver observer;
    const Json root = parseText(text, observer);
    if (!root.is_object())
      fail("expected an object with a 'nodes' list, an 'arg_nodes' list "
           "and a 'heads' list, got " +
           describe(root));
    readVersion(root);
    const Json *nodes = member(root, "nodes");
    if (!nodes || !nodes->is_array())
      fail("'nodes' expected a list of nodes, got " +
           (nodes ? describe(*nodes) : std::string("nothing")));
    outIndex_.reserve(nodes->size());
    for (size_t index = 0; index < nodes->size(); ++index)
      readNode(index, (*nodes)[index], observer.attrLast(index));
    readHeads(root);
    readArgNodes(root);
    return std::move(graph_);
  }

private:
  static const Json *member(const Json &object, const char *key) {
    auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
  }

  int64_t version() const {
    return graph_.mxnetVersion.value_or(kVersion0_8_0);
  }

  void readVersion(const Json &root) {
    const Json *attrs = member(root, "attrs");
    if (!attrs)
      return;
    if (!attrs->is_object())
      fail("'attrs' expected an object, got " + describe(*attrs));
    const Json *version = member(*attrs, "mxnet_version");
    if (!version)
      return;
    // MXNet reads the version into an int.
    std::optional<int64_t> number;
    if (version->is_array() && version->size() == 2 && (*version)[0] == "int") {
      const Json &value = (*version)[1];
      if (value.is_number_unsigned())
        number = static_cast<int64_t>(
            std::min<uint64_t>(value.get<uint64_t>(), uint64_t(1) << 32));
      else if (value.is_number_integer())
        number = value.get<int64_t>();
    }
    if (!number || *number < std::numeric_limits<int32_t>::min() ||
        *number > std::numeric_limits<int32_t>::max())
      fail("attrs.mxnet_version expected [\"int\", version], got " +
           describe(*version));
    const int64_t given = *number;
    if (given >= kVersion2_0_0)
      fail(formatMessage("the graph was written by MXNet ", given / 10000, ".",
                         given / 100 % 100, ".", given % 100,
                         " (mxnet_version ", given,
                         "); kiln reads graphs of MXNet 1.x and older"));
    graph_.mxnetVersion = number;
  }

  /// An entry [node, output] or [node, output, version] as written.
  struct RawEntry {
    uint64_t node, output, version;
  };
  static RawEntry readEntry(const Json &item, const std::string &where) {
    std::optional<uint64_t> parts[3] = {std::nullopt, std::nullopt, 0};
    bool ok = item.is_array() && (item.size() == 2 || item.size() == 3);
    for (size_t i = 0; ok && i < item.size(); ++i)
      ok = (parts[i] = nonNegative(item[i])).has_value();
    if (ok && *parts[2] > std::numeric_limits<uint32_t>::max())
      ok = false;
    if (!ok)
      fail(where +
           " expected [node, output] or [node, output, version] of "
           "non-negative integers, got " +
           describe(item));
    return {*parts[0], *parts[1], *parts[2]};
  }

  /// Entry `raw` of the file, which must name an output of one of the
  /// file's first `before` nodes, as an entry of graph_. `beyond` says
  /// what a later node is ("does not come before it" for inputs).
  JsonEntry resolve(const RawEntry &raw, size_t before, const char *beyond,
                    const std::string &where) const {
    if (raw.node >= before)
      fail(formatMessage(where, " refers to node ", raw.node, ", which ",
                         beyond, " (expected a node index below ", before,
                         ")"));
    const size_t node = outIndex_[raw.node];
    const size_t outputs = numOutputs_[node];
    if (raw.output >= outputs)
      fail(formatMessage(where, " refers to output ", raw.output, " of ",
                         nodeLabel(raw.node, graph_.nodes[node].name),
                         ", which has ", outputs,
                         outputs == 1 ? " output" : " outputs"));
    return {node, static_cast<size_t>(raw.output),
            static_cast<uint32_t>(raw.version)};
  }

  /// An object of strings under `key` of a node.
  static StringMap readStringMap(const Json &values, const std::string &label,
                                 const char *key) {
    if (!values.is_object())
      fail(formatMessage(label, ": '", key,
                         "' expected an object of strings, got ",
                         describe(values)));
    StringMap result;
    for (const auto &item : values.items()) {
      if (!item.value().is_string())
        fail(formatMessage(label, ": attribute '", clipped(item.key()),
                           "' expected a string, got ",
                           describe(item.value())));
      result.emplace(item.key(), item.value().get<std::string>());
    }
    return result;
  }

  /// The node's attributes as MXNet 1.9.1's reader merges them: the later
  /// of "attrs" (1.x) and "attr" (0.x user attributes) in the text, then
  /// "param" (0.x operator parameters) where neither set the key.
  static StringMap readAttrs(const Json &entry, const std::string &label,
                             bool attrLast) {
    StringMap attrs;
    for (const char *key :
         {attrLast ? "attrs" : "attr", attrLast ? "attr" : "attrs"})
      if (const Json *values = member(entry, key))
        attrs = readStringMap(*values, label, key);
    if (const Json *param = member(entry, "param"))
      for (auto &[key, value] : readStringMap(*param, label, "param"))
        attrs.emplace(key, value);
    return attrs;
  }

  std::string readString(const Json &entry, const char *key,
                         const std::string &label) const {
    const Json *value = member(entry, key);
    if (!value || !value->is_string())
      fail(formatMessage(label, ": '", key, "' expected a string, got ",
                         value ? describe(*value) : std::string("nothing")));
    return value->get<std::string>();
  }

  OpInterface lookup(size_t index, const JsonNode &node,
                     const StringMap &attrs) const {
    std::optional<OpInterface> interface;
    try {
      interface = lookup_(node.op, paramsOf(attrs));
    } catch (const Error &error) {
      throw Error("load_json: " + nodeLabel(index, node.name) + ": " +
                      error.what(),
                  error.kind());
    }
    if (!interface)
      fail(formatMessage(nodeLabel(index, node.name), ": operator '",
                         clipped(node.op), "' is not one kiln has"));
    return std::move(*interface);
  }

  /// MXNet's UpgradeJSON_FixParsing, for files before 1.9.1: a hidden key
  /// (lr_mult) becomes __lr_mult__; on an operator, `<input>_lr_mult`
  /// moves to that input's variable as __lr_mult__. Returns the keys taken
  /// out, to be put back by restoreHidden once the op's inputs are known.
  static StringMap takeHidden(StringMap &attrs) {
    StringMap hidden;
    for (auto it = attrs.begin(); it != attrs.end();) {
      bool matches = false;
      for (const std::string key : kHiddenKeys) {
        const size_t pos = it->first.rfind(key);
        matches |= pos == 0 || (pos != std::string::npos &&
                                pos == it->first.size() - key.size());
      }
      if (matches) {
        hidden.insert(*it);
        it = attrs.erase(it);
      } else {
        ++it;
      }
    }
    return hidden;
  }

  /// Returns whether a key stayed on the node under its own name.
  bool restoreHidden(const StringMap &hidden, JsonNode &node,
                     const std::vector<std::string> &inputNames) {
    bool kept = false;
    for (const auto &[name, value] : hidden) {
      bool placed = false;
      for (const std::string key : kHiddenKeys) {
        const size_t pos = name.rfind(key);
        if (pos == 0 && name.size() == key.size()) {
          node.attrs["__" + key + "__"] = value;
          placed = true;
          break;
        }
        if (pos != std::string::npos && pos > 1 &&
            pos == name.size() - key.size()) {
          if (node.op == "null")
            break;
          const std::string input = name.substr(0, pos - 1);
          auto found = std::find(inputNames.begin(), inputNames.end(), input);
          const size_t at = found - inputNames.begin();
          if (found != inputNames.end() && at < node.inputs.size()) {
            JsonNode &variable = graph_.nodes[node.inputs[at].node];
            if (variable.op == "null") {
              variable.attrs["__" + key + "__"] = value;
              placed = true;
            }
          }
          break;
        }
      }
      if (!placed) {
        node.attrs[name] = value;
        kept = true;
      }
    }
    return kept;
  }

  void readNode(size_t index, const Json &entry, bool attrLast) {
    if (!entry.is_object())
      fail(formatMessage("node ", index, " expected an object, got ",
                         describe(entry)));
    const std::string unnamed = formatMessage("node ", index);
    JsonNode node;
    node.name = readString(entry, "name", unnamed);
    const std::string label = nodeLabel(index, node.name);
    node.op = readString(entry, "op", label);
    node.attrs = readAttrs(entry, label, attrLast);
    if (const Json *subgraphs = member(entry, "subgraphs"))
      if (!subgraphs->is_array() || !subgraphs->empty())
        fail(label + ": subgraphs (MXNet's control-flow operators) are not "
                     "supported");
    const Json *inputs = member(entry, "inputs");
    if (!inputs || !inputs->is_array())
      fail(label +
           ": 'inputs' expected a list of [node, output, version], "
           "got " +
           (inputs ? describe(*inputs) : std::string("nothing")));
    for (size_t i = 0; i < inputs->size(); ++i) {
      const std::string where = formatMessage(label, ": input ", i);
      node.inputs.push_back(resolve(readEntry((*inputs)[i], where), index,
                                    "does not come before it", where));
    }

    if (node.op == "null") {
      if (!node.inputs.empty())
        fail(formatMessage(label,
                           ": a variable (op \"null\") expected no "
                           "inputs, got ",
                           node.inputs.size()));
      if (version() < kVersion1_9_1)
        restoreHidden(takeHidden(node.attrs), node, {});
      append(std::move(node), 1);
      return;
    }
    addOperator(index, label, std::move(node));
  }

  /// Upgrades an operator node as MXNet would, checks its inputs against
  /// the lookup's interface and appends it.
  void addOperator(size_t index, const std::string &label, JsonNode node) {
    // UpgradeJSON_000904_000905: argmax/argmin's axis=-1 meant "flatten".
    if (version() < kVersion0_9_5 &&
        (node.op == "argmax" || node.op == "argmin")) {
      auto axis = node.attrs.find("axis");
      if (axis != node.attrs.end() && axis->second == "-1")
        node.attrs.erase(axis);
    }
    const StringMap hidden =
        version() < kVersion1_9_1 ? takeHidden(node.attrs) : StringMap();
    OpInterface interface = lookup(index, node, node.attrs);
    if (!hidden.empty() && restoreHidden(hidden, node, interface.inputs))
      interface = lookup(index, node, node.attrs);

    // UpgradeJSON_000800_000900: files before 0.9 left auxiliary states
    // out; MXNet adds variables <node>_<input> with the node's attributes.
    if (version() < kVersion0_9_0)
      for (size_t i = node.inputs.size(); i < interface.inputs.size(); ++i) {
        JsonNode variable;
        variable.op = "null";
        variable.name = node.name.empty()
                            ? interface.inputs[i]
                            : node.name + "_" + interface.inputs[i];
        variable.attrs = node.attrs;
        graph_.argNodes.push_back(graph_.nodes.size());
        node.inputs.push_back({graph_.nodes.size(), 0, 0});
        graph_.nodes.push_back(std::move(variable));
        numOutputs_.push_back(1);
      }
    // UpgradeJSON_000903_000904: variables take the op's initializers.
    if (version() < kVersion0_9_4)
      for (size_t i = 0; i < node.inputs.size() && i < interface.inputs.size();
           ++i) {
        auto init = interface.inputInitializers.find(interface.inputs[i]);
        JsonNode &input = graph_.nodes[node.inputs[i].node];
        if (init != interface.inputInitializers.end() && input.op == "null")
          input.attrs.emplace("__init__", init->second);
      }

    if (node.inputs.size() != interface.inputs.size()) {
      std::string names;
      for (const std::string &name : interface.inputs)
        names += (names.empty() ? "" : ", ") + name;
      fail(formatMessage(label, ": operator ", clipped(node.op), " expects ",
                         interface.inputs.size(), " inputs (", clipped(names),
                         "), got ", node.inputs.size()));
    }
    append(std::move(node), interface.numOutputs);
  }

  void append(JsonNode node, size_t outputs) {
    outIndex_.push_back(graph_.nodes.size());
    numOutputs_.push_back(outputs);
    graph_.nodes.push_back(std::move(node));
  }

  void readHeads(const Json &root) {
    const Json *heads = member(root, "heads");
    if (!heads || !heads->is_array() || heads->empty())
      fail("'heads' expected a non-empty list of [node, output, version], "
           "got " +
           (heads ? describe(*heads) : std::string("nothing")));
    for (size_t i = 0; i < heads->size(); ++i) {
      const std::string where = formatMessage("head ", i);
      graph_.heads.push_back(resolve(readEntry((*heads)[i], where),
                                     outIndex_.size(), "does not exist",
                                     where));
    }
  }

  void readArgNodes(const Json &root) {
    const Json *argNodes = member(root, "arg_nodes");
    if (!argNodes || !argNodes->is_array())
      fail("'arg_nodes' expected a list of node indices, got " +
           (argNodes ? describe(*argNodes) : std::string("nothing")));
    for (size_t i = 0; i < argNodes->size(); ++i) {
      const std::optional<uint64_t> index = nonNegative((*argNodes)[i]);
      if (!index || *index >= outIndex_.size())
        fail(formatMessage("arg_nodes[", i,
                           "] expected the index of a node "
                           "(0 to ",
                           outIndex_.size(), " exclusive), got ",
                           describe((*argNodes)[i])));
      const size_t node = outIndex_[*index];
      if (graph_.nodes[node].op != "null")
        fail(formatMessage("arg_nodes[", i, "] expected a variable, got ",
                           nodeLabel(*index, graph_.nodes[node].name),
                           ", an operator ", clipped(graph_.nodes[node].op)));
      graph_.argNodes.push_back(node);
    }
    std::sort(graph_.argNodes.begin(), graph_.argNodes.end());
    graph_.argNodes.erase(
        std::unique(graph_.argNodes.begin(), graph_.argNodes.end()),
        graph_.argNodes.end());
  }

  const OpLookup &lookup_;
  GraphJson graph_;
  /// The file's node i is graph_.nodes[outIndex_[i]] (the 0.8 upgrade
  /// inserts variables).
  std::vector<size_t> outIndex_;
  /// Visible outputs of each node of graph_.
  std::vector<size_t> numOutputs_;
};

} // namespace

GraphJson parseSymbolJson(const std::string &text, const OpLookup &lookup) {
  return Reader(lookup).read(text);
}

} // namespace kiln
