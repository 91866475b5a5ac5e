"""mx.sym.load_json on the C++ reader (kiln._core.parse_symbol_json):
files of older MXNet versions upgraded as MXNet 1.9.1 upgrades them, and
malformed files rejected wherever MXNet rejects them, with messages naming
the node. tests/frontends/symbol_json_test.cpp checks each message."""
import json

import numpy as np
import pytest

import kiln as mx
import kiln.symbol

from mxnet_oracle import requires_oracle, run_mxnet

# Files as older MXNet versions wrote them, each exercising an upgrade of
# MXNet's src/nnvm/legacy_json_util.cc.
LEGACY = {
    # 0.8 (no mxnet_version): param/attr keys, two-element entries, hidden
    # keys by plain name, BatchNorm's auxiliary states left out, argmax's
    # axis=-1.
    "v0_8": {
        "nodes": [
            {"op": "null", "param": {}, "name": "data", "inputs": [],
             "backward_source_id": -1, "attr": {"ctx_group": "stage1"}},
            {"op": "null", "param": {}, "name": "conv_weight", "inputs": [],
             "backward_source_id": -1},
            {"op": "Convolution", "param": {
                "kernel": "(3, 3)", "num_filter": "4", "pad": "(1, 1)",
                "no_bias": "True"}, "name": "conv",
             "inputs": [[0, 0], [1, 0]], "backward_source_id": -1,
             "attr": {"weight_lr_mult": "2", "lr_mult": "1"}},
            {"op": "BatchNorm", "param": {"eps": "0.001",
                                          "fix_gamma": "False"},
             "name": "bn", "inputs": [[2, 0]], "backward_source_id": -1},
            {"op": "argmax", "param": {"axis": "-1"}, "name": "am",
             "inputs": [[3, 0]], "backward_source_id": -1},
        ],
        "arg_nodes": [0, 1],
        "heads": [[3, 0], [4, 0]],
    },
    # 0.9.3: variables take the op's initializers (BatchNorm's aux states).
    "v0_9_3": {
        "nodes": [{"op": "null", "name": n, "inputs": []}
                  for n in ("x", "g", "b", "m", "v")] + [
            {"op": "BatchNorm", "name": "bn", "param": {"eps": "0.001"},
             "inputs": [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]]}],
        "arg_nodes": [0, 1, 2, 3, 4],
        "heads": [[5, 0]],
        "attrs": {"mxnet_version": ["int", 903]},
    },
    # 1.6: hidden keys still upgraded (anything before 1.9.1 is).
    "v1_6": {
        "nodes": [
            {"op": "null", "name": "x", "inputs": [],
             "attrs": {"lr_mult": "2", "x_wd_mult": "3"}},
            {"op": "null", "name": "w", "inputs": []},
            {"op": "FullyConnected", "name": "f",
             "attrs": {"num_hidden": "2", "no_bias": "True",
                       "weight_lr_mult": "3", "mirror_stage": "1"},
             "inputs": [[0, 0, 0], [1, 0, 0]]}],
        "arg_nodes": [0, 1],
        "heads": [[2, 0, 0]],
        "attrs": {"mxnet_version": ["int", 10600]},
    },
    # 1.9.1 with a repeated key and both attrs and attr: the later wins.
    "v1_9_1": {
        "nodes": [
            {"op": "null", "name": "x", "inputs": [],
             "attrs": {"a": "1", "b": "2"}, "attr": {"a": "3"},
             "param": {"c": "4", "a": "5"}},
            {"op": "relu", "name": "r", "inputs": [[0, 0]]}],
        "arg_nodes": [0],
        "heads": [[1, 0]],
        "attrs": {"mxnet_version": ["int", 10901]},
    },
}


def _summary(symbol):
    graph = json.loads(symbol.tojson())
    return {
        "nodes": [[n["op"], n["name"], n.get("attrs", {}),
                   [entry[:2] for entry in n["inputs"]]]
                  for n in graph["nodes"]],
        "arguments": symbol.list_arguments(),
        "aux": symbol.list_auxiliary_states(),
        "outputs": symbol.list_outputs(),
    }


@requires_oracle
def test_older_files_upgrade_as_in_mxnet():
    texts = {key: json.dumps(graph) for key, graph in LEGACY.items()}
    want = run_mxnet("""
import json
graph_summaries = {}
for key, text in json.loads(str(inputs['texts'])).items():
    s = mx.sym.load_json(text)
    graph = json.loads(s.tojson())
    graph_summaries[key] = {
        'nodes': [[n['op'], n['name'], n.get('attrs', {}),
                   [e[:2] for e in n['inputs']]] for n in graph['nodes']],
        'arguments': s.list_arguments(),
        'aux': s.list_auxiliary_states(),
        'outputs': s.list_outputs()}
outputs['summaries'] = np.array(json.dumps(graph_summaries))
""", texts=np.array(json.dumps(texts)))
    summaries = json.loads(str(want["summaries"]))
    for key, text in texts.items():
        assert _summary(mx.sym.load_json(text)) == summaries[key], key


# (text, what kiln's message says). MXNet 1.9.1 rejects each too.
_X = '{"op": "null", "name": "x", "inputs": []}'
REJECTED_BY_BOTH = [
    ("{bad", "the text is not valid JSON: parse error at line 1, column 2"),
    ('{"nodes": [%s], "heads": [[0, 0]]}' % _X, "'arg_nodes' expected"),
    ('{"nodes": [%s], "arg_nodes": [0]}' % _X, "'heads' expected"),
    ('{"nodes": [{"op": "null", "name": "x"}], "arg_nodes": [0], '
     '"heads": [[0, 0]]}', r"node 0 \('x'\): 'inputs' expected"),
    ('{"nodes": [{"op": "null", "inputs": []}], "arg_nodes": [0], '
     '"heads": [[0, 0]]}', "node 0: 'name' expected a string"),
    ('{"nodes": [%s, {"op": "FullyConnected", "name": "f", "attrs": '
     '{"num_hidden": 2}, "inputs": [[0, 0, 0]]}], "arg_nodes": [0], '
     '"heads": [[1, 0]]}' % _X,
     r"node 1 \('f'\): attribute 'num_hidden' expected a string, got 2"),
    ('{"nodes": [%s, {"op": "relu", "name": "r", "inputs": [[-1, 0, 0]]}],'
     ' "arg_nodes": [0], "heads": [[1, 0]]}' % _X,
     r"node 1 \('r'\): input 0 expected \[node, output\]"),
    ('{"nodes": [%s, {"op": "relu", "name": "r", "inputs": [[0.0, 0, 0]]}],'
     ' "arg_nodes": [0], "heads": [[1, 0]]}' % _X,
     r"node 1 \('r'\): input 0 expected .* non-negative integers, got "
     r"\[0.0,0,0\]"),
    ('{"nodes": [%s], "arg_nodes": [0], "heads": [[1, 0, 0]]}' % _X,
     "head 0 refers to node 1, which does not exist"),
    ('{"nodes": [%s, {"op": "relu", "name": "r", "inputs": [[0, 0, 0]]}], '
     '"arg_nodes": [1], "heads": [[1, 0]]}' % _X,
     r"arg_nodes\[0\] expected a variable, got node 1 \('r'\)"),
    ('{"nodes": [%s], "arg_nodes": [3], "heads": [[0, 0]]}' % _X,
     r"arg_nodes\[0\] expected the index of a node"),
    ('{"nodes": [{"op": "Foo", "name": "f", "inputs": []}], '
     '"arg_nodes": [], "heads": [[0, 0]]}',
     r"node 0 \('f'\): operator 'Foo' is not one kiln has"),
    ('{"nodes": [%s], "arg_nodes": [0], "heads": [[0, 0]], "attrs": '
     '{"mxnet_version": ["int", "10901"]}}' % _X,
     r'attrs.mxnet_version expected \["int", version\]'),
]


@requires_oracle
def test_mxnet_rejects_what_kiln_rejects():
    texts = [text for text, _ in REJECTED_BY_BOTH]
    got = run_mxnet("""
import json
failed = []
for text in json.loads(str(inputs['texts'])):
    try:
        mx.sym.load_json(text)
        failed.append(False)
    except mx.MXNetError:
        failed.append(True)
outputs['failed'] = np.array(failed)
""", texts=np.array(json.dumps(texts)))
    assert [text for text, failed in zip(texts, got["failed"].tolist())
            if not failed] == []


@pytest.mark.parametrize("text, message", REJECTED_BY_BOTH)
def test_malformed_files_name_the_node(text, message):
    with pytest.raises(mx.MXNetError, match="load_json: " + message):
        mx.sym.load_json(text)


def test_kiln_is_stricter_than_mxnet_where_graphs_are_broken():
    """MXNet 1.9.1 loads these and fails later (or never notices); kiln
    says what is wrong at load."""
    cases = [
        ('{"nodes": [%s, {"op": "relu", "name": "r", "inputs": [[2, 0, 0]]}, '
         '%s], "arg_nodes": [0, 2], "heads": [[1, 0]]}' % (_X, _X),
         "does not come before it"),
        ('{"nodes": [%s, {"op": "null", "name": "y", "inputs": [[0, 0, 0]]}],'
         ' "arg_nodes": [0, 1], "heads": [[1, 0]]}' % _X,
         r'node 1 \(\'y\'\): a variable \(op "null"\) expected no inputs'),
        ('{"nodes": [%s], "arg_nodes": [0], "heads": [[0, 0]], "attrs": '
         '{"mxnet_version": ["int", 20000]}}' % _X, "MXNet 2.0.0"),
        ('{"nodes": [%s, {"op": "relu", "name": "r", "inputs": [[0, 3, 0]]}],'
         ' "arg_nodes": [0], "heads": [[1, 0]]}' % _X,
         r"refers to output 3 of node 0 \('x'\), which has 1 output"),
        # MXNet's relu has no parameters to reject it with.
        ('{"nodes": [%s, {"op": "relu", "name": "r", "attrs": {"foo_lr_mult":'
         ' "1"}, "inputs": [[0, 0]]}], "arg_nodes": [0], "heads": [[1, 0]]}'
         % _X, r"node 1 \('r'\): relu: unknown argument 'foo_lr_mult'"),
    ]
    for text, message in cases:
        with pytest.raises(mx.MXNetError, match=message):
            mx.sym.load_json(text)


def test_parsed_structure():
    graph = mx._core.parse_symbol_json(json.dumps(LEGACY["v0_8"]))
    assert graph["mxnet_version"] is None
    assert [node[1] for node in graph["nodes"]] == [
        "data", "conv_weight", "conv", "bn_gamma", "bn_beta",
        "bn_moving_mean", "bn_moving_var", "bn", "am"]
    assert graph["nodes"][7][3] == [(2, 0, 0), (3, 0, 0), (4, 0, 0),
                                    (5, 0, 0), (6, 0, 0)]
    assert graph["arg_nodes"] == [0, 1, 3, 4, 5, 6]
    assert graph["heads"] == [(7, 0, 0), (8, 0, 0)]
    with pytest.raises(TypeError):
        mx.sym.load_json(b"{}")
