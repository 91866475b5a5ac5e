// MXNet's symbol JSON reader (frontends/cpp/SymbolJson.h): files MXNet
// writes, MXNet's upgrades of older ones, and every structural mistake as a
// kiln::Error naming the node, what was expected and what was found. The
// fuzzer (tools/fuzz/run) covers what these do not think of; each input it
// ever crashed on is a case here.
#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/SymbolJson.h"
#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln {
namespace {

/// The error parseSymbolJson gives for `text`, or "" when it reads it. Any
/// other exception fails the test.
std::string errorOf(const std::string &text) {
  try {
    parseSymbolJson(text);
  } catch (const Error &error) {
    return error.what();
  } catch (const std::exception &error) {
    ADD_FAILURE() << "not a kiln::Error: " << error.what() << "\n" << text;
    return "";
  }
  return "";
}

#define EXPECT_ERROR(text, ...)                                                \
  do {                                                                         \
    const std::string message = errorOf(text);                                 \
    EXPECT_FALSE(message.empty()) << "no error for " << (text);                \
    for (const char *part : {__VA_ARGS__})                                     \
      EXPECT_NE(message.find(part), std::string::npos)                         \
          << "'" << part << "' not in: " << message;                           \
  } while (0)

// A graph as MXNet 1.9.1 writes it (mx.sym.FullyConnected, then softmax).
const char *kMlp = R"({
  "nodes": [
    {"op": "null", "name": "data", "inputs": []},
    {"op": "null", "name": "fc_weight", "attrs": {"__lr_mult__": "2"},
     "inputs": []},
    {"op": "null", "name": "fc_bias", "inputs": []},
    {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "3"},
     "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
    {"op": "null", "name": "softmax_label", "inputs": []},
    {"op": "SoftmaxOutput", "name": "softmax", "inputs": [[3, 0, 0], [4, 0, 0]]}
  ],
  "arg_nodes": [0, 1, 2, 4],
  "node_row_ptr": [0, 1, 2, 3, 4, 5, 6],
  "heads": [[5, 0, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
})";

/// `nodes` (the JSON list's items) as a 1.9.1 graph whose head is the last
/// node's output 0.
std::string graph(const std::string &nodes, size_t count,
                  const std::string &argNodes = "[0]",
                  const std::string &version = "10901") {
  return "{\"nodes\": [" + nodes + "], \"arg_nodes\": " + argNodes +
         ", \"heads\": [[" + std::to_string(count - 1) +
         ", 0, 0]], \"attrs\": {\"mxnet_version\": [\"int\", " + version +
         "]}}";
}

const std::string kData = R"({"op": "null", "name": "x", "inputs": []})";

/// x, then relu 'r' of the input entry `entry` (JSON text).
std::string reluOf(const std::string &entry) {
  return graph(
      kData + R"(, {"op": "relu", "name": "r", "inputs": [)" + entry + "]}", 2);
}

TEST(SymbolJson, ReadsMxnetGraph) {
  const GraphJson g = parseSymbolJson(kMlp);
  ASSERT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.nodes[3].op, "FullyConnected");
  EXPECT_EQ(g.nodes[3].name, "fc");
  EXPECT_EQ(g.nodes[3].attrs,
            (std::map<std::string, std::string>{{"num_hidden", "3"}}));
  ASSERT_EQ(g.nodes[3].inputs.size(), 3u);
  EXPECT_EQ(g.nodes[3].inputs[1].node, 1u);
  EXPECT_EQ(g.nodes[1].op, "null");
  EXPECT_EQ(g.nodes[1].attrs.at("__lr_mult__"), "2");
  EXPECT_EQ(g.argNodes, (std::vector<size_t>{0, 1, 2, 4}));
  ASSERT_EQ(g.heads.size(), 1u);
  EXPECT_EQ(g.heads[0].node, 5u);
  EXPECT_EQ(g.mxnetVersion, 10901);
}

TEST(SymbolJson, EntriesOfTwoOrThreeAndOutputsOfSplits) {
  const GraphJson g =
      parseSymbolJson(graph(kData + R"(, {"op": "SliceChannel", "name": "s",
        "attrs": {"num_outputs": "3"}, "inputs": [[0, 0]]},
        {"op": "Concat", "name": "c", "attrs": {"num_args": "2"},
         "inputs": [[1, 2, 0], [1, 1, 1]]})",
                            3));
  EXPECT_EQ(g.nodes[2].inputs[0].output, 2u);
  EXPECT_EQ(g.nodes[2].inputs[1].version, 1u);
  EXPECT_ERROR(graph(kData + R"(, {"op": "split", "name": "s",
        "attrs": {"num_outputs": "3"}, "inputs": [[0, 0, 0]]},
        {"op": "relu", "name": "r", "inputs": [[1, 3, 0]]})",
                     3),
               "node 2 ('r'): input 0 refers to output 3 of node 1 ('s'), "
               "which has 3 outputs");
}

TEST(SymbolJson, NotJsonOrNotAGraph) {
  EXPECT_ERROR("{bad", "load_json: the text is not valid JSON: parse error at "
                       "line 1, column 2");
  EXPECT_ERROR("", "not valid JSON");
  EXPECT_ERROR(std::string(kMlp) + " x", "not valid JSON");
  EXPECT_ERROR("\"\\ud800\"", "not valid JSON");
  EXPECT_ERROR("[]", "expected an object with a 'nodes' list", "got []");
  EXPECT_ERROR("{}", "'nodes' expected a list of nodes, got nothing");
  EXPECT_ERROR(R"({"nodes": {}})", "'nodes' expected a list", "got {}");
  EXPECT_ERROR(std::string(100000, '[') + std::string(100000, ']'),
               "nests deeper than 64 levels");
}

TEST(SymbolJson, NodeFieldsOfTheWrongType) {
  EXPECT_ERROR(graph("3", 1), "node 0 expected an object, got 3");
  EXPECT_ERROR(graph(R"({"op": "null", "name": 3, "inputs": []})", 1),
               "node 0: 'name' expected a string, got 3");
  EXPECT_ERROR(graph(R"({"name": "x", "inputs": []})", 1),
               "node 0 ('x'): 'op' expected a string, got nothing");
  EXPECT_ERROR(graph(R"({"op": "null", "name": "x"})", 1),
               "node 0 ('x'): 'inputs' expected a list", "got nothing");
  EXPECT_ERROR(
      graph(R"({"op": "null", "name": "x", "attrs": [], "inputs": []})", 1),
      "node 0 ('x'): 'attrs' expected an object of strings, got []");
  // MXNet's reader takes strings only: "num_hidden": 2 is its error too.
  EXPECT_ERROR(graph(R"({"op": "null", "name": "x",
                         "attrs": {"lr": 2}, "inputs": []})",
                     1),
               "node 0 ('x'): attribute 'lr' expected a string, got 2");
  EXPECT_ERROR(graph(R"({"op": "null", "name": "x",
                         "param": {"a": true}, "inputs": []})",
                     1),
               "attribute 'a' expected a string, got true");
  EXPECT_ERROR(graph(R"({"op": "null", "name": "x", "inputs": [],
                         "subgraphs": [{}]})",
                     1),
               "node 0 ('x'): subgraphs", "not supported");
}

TEST(SymbolJson, BadEntries) {
  for (const char *entry :
       {"[0]", "[0, 0, 0, 0]", "[-1, 0, 0]", "[0.0, 0, 0]", "[true, 0, 0]",
        "[0, 0, -1]", "[0, 0, 4294967296]", "\"0\"", "{}"})
    EXPECT_ERROR(reluOf(entry),
                 "node 1 ('r'): input 0 expected [node, output] or [node, "
                 "output, version] of non-negative integers, got");
  EXPECT_ERROR(reluOf("[1, 0, 0]"),
               "node 1 ('r'): input 0 refers to node 1, which does not come "
               "before it (expected a node index below 1)");
  EXPECT_ERROR(reluOf("[18446744073709551615, 0, 0]"),
               "refers to node 18446744073709551615, which does not come "
               "before it");
  EXPECT_ERROR(reluOf("[0, 1, 0]"),
               "node 1 ('r'): input 0 refers to output 1 of node 0 ('x'), "
               "which has 1 output");
}

TEST(SymbolJson, HeadsAndArgNodes) {
  const std::string one = "{\"nodes\": [" + kData + "], ";
  EXPECT_ERROR(one + R"("arg_nodes": [0], "heads": [[1, 0, 0]]})",
               "head 0 refers to node 1, which does not exist (expected a "
               "node index below 1)");
  EXPECT_ERROR(one + R"("arg_nodes": [0], "heads": []})",
               "'heads' expected a non-empty list", "got []");
  EXPECT_ERROR(one + R"("arg_nodes": [0]})", "'heads' expected", "got nothing");
  EXPECT_ERROR(one + R"("heads": [[0, 0]]})",
               "'arg_nodes' expected a list of node indices, got nothing");
  EXPECT_ERROR(one + R"("arg_nodes": [1], "heads": [[0, 0]]})",
               "arg_nodes[0] expected the index of a node (0 to 1 "
               "exclusive), got 1");
  EXPECT_ERROR("{\"nodes\": [" + kData + R"(, {"op": "relu", "name": "r",
                     "inputs": [[0, 0, 0]]}], "arg_nodes": [0, 1],
                     "heads": [[1, 0]]})",
               "arg_nodes[1] expected a variable, got node 1 ('r'), an "
               "operator relu");
}

TEST(SymbolJson, VersionsAndVariables) {
  EXPECT_ERROR(graph(kData, 1, "[0]", "20000"),
               "the graph was written by MXNet 2.0.0 (mxnet_version 20000); "
               "kiln reads graphs of MXNet 1.x and older");
  EXPECT_ERROR("{\"nodes\": [], \"attrs\": {\"mxnet_version\": 10901}}",
               "attrs.mxnet_version expected [\"int\", version], got 10901");
  EXPECT_ERROR("{\"nodes\": [], \"attrs\": {\"mxnet_version\": [\"str\", 1]}}",
               "attrs.mxnet_version expected");
  EXPECT_ERROR("{\"nodes\": [], \"attrs\": {\"mxnet_version\": [\"int\", "
               "99999999999]}}",
               "attrs.mxnet_version expected");
  EXPECT_ERROR(graph(kData + R"(, {"op": "null", "name": "y",
                     "inputs": [[0, 0, 0]]})",
                     2),
               "node 1 ('y'): a variable (op \"null\") expected no inputs, "
               "got 1");
}

TEST(SymbolJson, OperatorsAgainstTheRegistry) {
  EXPECT_ERROR(graph(R"({"op": "Foo", "name": "f", "inputs": []})", 1, "[]"),
               "node 0 ('f'): operator 'Foo' is not one kiln has");
  EXPECT_ERROR(graph(kData + R"(, {"op": "FullyConnected", "name": "fc",
                     "attrs": {"num_hidden": "2"}, "inputs": [[0, 0, 0]]})",
                     2),
               "node 1 ('fc'): operator FullyConnected expects 3 inputs "
               "(data, weight, bias), got 1");
  // The attributes decide the inputs: no_bias drops one.
  EXPECT_EQ(errorOf(graph(kData + R"(, {"op": "FullyConnected", "name": "fc",
                     "attrs": {"num_hidden": "2", "no_bias": "True"},
                     "inputs": [[0, 0, 0], [0, 0, 0]]})",
                          2)),
            "");
  EXPECT_ERROR(graph(kData + R"(, {"op": "FullyConnected", "name": "fc",
                     "inputs": [[0, 0, 0], [0, 0, 0], [0, 0, 0]]})",
                     2),
               "node 1 ('fc'): ", "num_hidden");
  EXPECT_ERROR(graph(kData + R"(, {"op": "Concat", "name": "c",
                     "attrs": {"num_args": "3"}, "inputs": [[0, 0, 0]]})",
                     2),
               "node 1 ('c'): operator Concat expects 3 inputs", "got 1");
  // Counts that would make the registry list billions of names.
  EXPECT_ERROR(graph(kData + R"(, {"op": "Concat", "name": "c",
                     "attrs": {"num_args": "4000000000"}, "inputs": []})",
                     2),
               "node 1 ('c'): Concat: num_args expected at most 65536, got "
               "4000000000");
  EXPECT_ERROR(graph(kData + R"(, {"op": "SliceChannel", "name": "s",
                     "attrs": {"num_outputs": "99999999999999999999"},
                     "inputs": [[0, 0, 0]]})",
                     2),
               "num_outputs expected at most 65536");
  std::string many = kData;
  for (int i = 0; i < 70; ++i)
    many += R"(, {"op": "SliceChannel", "name": "s",
               "attrs": {"num_outputs": "65536"}, "inputs": [[0, 0, 0]]})";
  EXPECT_ERROR(graph(many, 71), "more than 4194304 inputs and outputs");
}

TEST(SymbolJson, AttributesMergedAsMxnetMergesThem) {
  auto attrsOf = [](const std::string &node) {
    return parseSymbolJson(graph(node, 1)).nodes[0].attrs;
  };
  using Map = std::map<std::string, std::string>;
  // The later of attrs and attr replaces the other; param fills in.
  EXPECT_EQ(attrsOf(R"({"op": "null", "name": "x", "inputs": [],
                        "attrs": {"a": "2", "b": "3"}, "attr": {"a": "1"}})"),
            (Map{{"a", "1"}}));
  EXPECT_EQ(attrsOf(R"({"op": "null", "name": "x", "inputs": [],
                        "attr": {"a": "1"}, "attrs": {"a": "2", "b": "3"}})"),
            (Map{{"a", "2"}, {"b", "3"}}));
  EXPECT_EQ(attrsOf(R"({"op": "null", "name": "x", "inputs": [],
                        "param": {"a": "1", "c": "5"}, "attrs": {"a": "2"}})"),
            (Map{{"a", "2"}, {"c", "5"}}));
  EXPECT_EQ(attrsOf(R"({"op": "null", "name": "x", "inputs": [],
                        "attrs": {"a": "1", "a": "5"}})"),
            (Map{{"a", "5"}}));
  // A 1.9.1 file keeps lr_mult as written.
  EXPECT_EQ(attrsOf(R"({"op": "null", "name": "x", "inputs": [],
                        "attrs": {"lr_mult": "2"}})"),
            (Map{{"lr_mult", "2"}}));
}

// MXNet 1.9.1's upgrades (src/nnvm/legacy_json_util.cc), the results
// checked against it (tests/python/test_symbol_json.py compares live).
TEST(SymbolJson, UpgradesHiddenKeysOfOlderFiles) {
  const GraphJson g = parseSymbolJson(graph(
      R"({"op": "null", "name": "x", "inputs": [],
          "attrs": {"ctx_group": "g", "x_lr_mult": "4", "lr_mult_foo": "1",
                    "profiler_scope": "s"}},
         {"op": "null", "name": "w", "inputs": []},
         {"op": "null", "name": "b", "inputs": []},
         {"op": "FullyConnected", "name": "f",
          "attrs": {"num_hidden": "2", "weight_lr_mult": "3", "wd_mult": "0"},
          "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]})",
      4, "[0, 1, 2]", "10600"));
  using Map = std::map<std::string, std::string>;
  EXPECT_EQ(g.nodes[0].attrs, (Map{{"__ctx_group__", "g"},
                                   {"x_lr_mult", "4"},
                                   {"lr_mult_foo", "1"},
                                   {"profiler_scope", "s"}}));
  EXPECT_EQ(g.nodes[1].attrs, (Map{{"__lr_mult__", "3"}}));
  EXPECT_EQ(g.nodes[3].attrs, (Map{{"num_hidden", "2"}, {"__wd_mult__", "0"}}));
  // A suffix naming no input stays, and the op rejects it as MXNet does.
  EXPECT_ERROR(graph(kData + R"(, {"op": "relu", "name": "r",
                     "attrs": {"foo_lr_mult": "7"}, "inputs": [[0, 0, 0]]})",
                     2, "[0]", "10600"),
               "node 1 ('r'): ", "foo_lr_mult");
}

TEST(SymbolJson, UpgradesFilesOfMxnet08) {
  // No mxnet_version: 0.8, two-element entries, param/attr, aux states left
  // out, argmax's axis=-1.
  const GraphJson g = parseSymbolJson(R"({
    "nodes": [
      {"op": "null", "param": {}, "name": "data", "inputs": [],
       "backward_source_id": -1},
      {"op": "BatchNorm", "param": {"eps": "0.001"}, "attr": {"lr_mult": "2"},
       "name": "bn", "inputs": [[0, 0]], "backward_source_id": -1},
      {"op": "argmax", "param": {"axis": "-1"}, "name": "am",
       "inputs": [[1, 0]]}
    ],
    "arg_nodes": [0],
    "heads": [[1, 0], [2, 0]]
  })");
  EXPECT_FALSE(g.mxnetVersion.has_value());
  std::vector<std::string> names;
  for (const JsonNode &node : g.nodes)
    names.push_back(node.name);
  EXPECT_EQ(names, (std::vector<std::string>{"data", "bn_gamma", "bn_beta",
                                             "bn_moving_mean", "bn_moving_var",
                                             "bn", "am"}));
  using Map = std::map<std::string, std::string>;
  EXPECT_EQ(g.nodes[1].attrs, (Map{{"eps", "0.001"}, {"__lr_mult__", "2"}}));
  EXPECT_EQ(g.nodes[3].attrs, (Map{{"eps", "0.001"},
                                   {"__lr_mult__", "2"},
                                   {"__init__", "[\"zero\", {}]"}}));
  EXPECT_EQ(g.nodes[4].attrs.at("__init__"), "[\"one\", {}]");
  EXPECT_EQ(g.nodes[5].inputs.size(), 5u);
  EXPECT_EQ(g.nodes[5].inputs[4].node, 4u);
  EXPECT_EQ(g.nodes[6].attrs, Map{});
  EXPECT_EQ(g.nodes[6].inputs[0].node, 5u);
  EXPECT_EQ(g.argNodes, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(g.heads[1].node, 6u);
}

// Every registry op, with no attributes and with odd values for each of
// its attributes: the reader gives a graph or a kiln::Error, nothing else.
TEST(SymbolJson, EveryRegistryOpFailsCleanly) {
  const char *values[] = {"",      "-1",  "0",
                          "1e400", "(",   "None",
                          "(1,",   "abc", "99999999999999999999"};
  size_t cases = 0;
  for (const OpSpec *spec : OpRegistry::global().all()) {
    std::vector<std::string> attrSets = {"{}"};
    for (const AttrSpec &attr : spec->attrs)
      for (const char *value : values)
        attrSets.push_back("{\"" + attr.name + "\": \"" + value + "\"}");
    for (const std::string &attrs : attrSets) {
      errorOf(graph(kData + R"(, {"op": ")" + spec->name +
                        R"(", "name": "n", "attrs": )" + attrs +
                        R"(, "inputs": [[0, 0, 0]]})",
                    2));
      ++cases;
    }
  }
  EXPECT_GT(cases, 1000u);
}

} // namespace
} // namespace kiln
