"""How much of Apache MXNet 1.9.1's Python API kiln has, module by module.

    /usr/bin/python3 tools/api_surface.py                  # text, per module
    /usr/bin/python3 tools/api_surface.py --markdown       # table for README
    /usr/bin/python3 tools/api_surface.py --json           # one object per module
    /usr/bin/python3 tools/api_surface.py --missing mxnet.ndarray
    /usr/bin/python3 tools/api_surface.py --kiln-path /tmp/kdev --min-coverage 50
    /usr/bin/python3 tools/api_surface.py --refresh        # re-read MXNet's names

MXNet's names come from the snapshot tools/api_surface/mxnet-1.9.1.json, so the
check runs without MXNet installed. --refresh rewrites the snapshot: it runs the
oracle venv's python (tools/setup/install-mxnet-baseline.sh finds or makes it;
--mxnet-python overrides) on a small script that imports mxnet and prints JSON.

kiln is imported in this process (from --kiln-path DIR, else the installed
package), and each MXNet name counts as present when kiln's module of the same
dotted name (mxnet.X -> kiln.X) has that attribute. A module kiln lacks, or
one whose import fails, counts as all names missing; the report says why.

Which names are MXNet's public API (the snapshot rule, applied by the oracle):
  * names not starting with "_"; in mxnet.ndarray._internal also the
    underscore names of operators from the registry (functions whose
    __module__ is "ndarray", as MXNet's generated operator functions are);
  * minus names the module binds by importing from outside mxnet (ctypes, os,
    numpy as np, functools.reduce, ...): they are other libraries' names;
  * minus, outside the package modules mxnet and mxnet.ndarray, names bound by
    importing from another mxnet module (mxnet.ndarray.ndarray's c_str comes
    from mxnet.base and is counted there); package modules re-export on
    purpose (mx.cpu, mx.nd.NDArray);
  * mxnet.test_utils keeps all of its imports from mxnet and `mx`, `np`: test
    files do `from mxnet.test_utils import *` and use them.
  * mxnet.ndarray.NDArray: the class's attributes not starting with "_".

Sparse-only (csr/row_sparse storage), GPU-only and internal names (the
_backward_* operators MXNet's graph executor inserts for gradients, and the
oneDNN subgraph fusions it makes itself; user code never calls them), the
NumPy-interface modules (mx.np, mx.npx and their kin: MXNet 2's separate
front end) and operators MXNet's own CPU build cannot run are not
counted as missing dense names: SET_APART below classifies them, with the
reason, and the report lists them on their own. Coverage = dense names kiln has / dense names.

Exit status is 0 for any report; with --min-coverage PCT it is 1 when a
module with dense names has coverage below PCT.
"""
import argparse
import fnmatch
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SNAPSHOT = os.path.join(HERE, "api_surface", "mxnet-1.9.1.json")
BASELINE_SCRIPT = os.path.join(HERE, "setup", "install-mxnet-baseline.sh")

# The MXNet modules the check covers, in report order. The last entry is a
# class, not a module: its attributes are NDArray's methods and properties.
MODULES = [
    "mxnet",
    "mxnet.ndarray",
    "mxnet.ndarray.ndarray",
    "mxnet.ndarray.op",
    "mxnet.ndarray._internal",
    "mxnet.ndarray.random",
    "mxnet.ndarray.linalg",
    "mxnet.ndarray.contrib",
    "mxnet.ndarray.image",
    "mxnet.ndarray.utils",
    "mxnet.ndarray.sparse",
    "mxnet.base",
    "mxnet.context",
    "mxnet.runtime",
    "mxnet.name",
    "mxnet.attribute",
    "mxnet.util",
    "mxnet.engine",
    "mxnet.random",
    "mxnet.profiler",
    "mxnet.autograd",
    "mxnet.test_utils",
    "mxnet.ndarray.NDArray",
]
CLASSES = {"mxnet.ndarray.NDArray"}

SPARSE = "sparse-only"
GPU = "GPU-only"
INTERNAL = "internal"
NUMPY = "NumPy-interface"
BROKEN = "broken-in-MXNet"
_NUMPY_REASON = ("MXNet 2's NumPy-compatible front end (mx.np/mx.npx), a "
                 "separate API kiln does not build yet")

# Names set apart from the dense count: (module glob, name regex matched in
# full, category, reason). The first matching row wins. The cuDNN/NCCL/TensorRT
# rows match nothing in the pip (CPU) build's snapshot; they are here so a
# snapshot from a CUDA build classifies its extra operators too.
SET_APART = [
    ("mxnet.ndarray.sparse", r".*", SPARSE,
     "mx.nd.sparse is the csr/row_sparse storage API"),
    ("*", r"(gen_)?sparse", SPARSE, "the sparse submodule"),
    ("*", r"cast_storage|tostype", SPARSE,
     "converts between dense and csr/row_sparse storage"),
    ("*", r"\w*(csr|row_sparse|CSR|RowSparse)\w*", SPARSE,
     "works on csr/row_sparse arrays"),
    ("*", r"(create|rand)_sparse_\w*|NotSupportedForSparseNDArray", SPARSE,
     "makes sparse arrays, or reports sparse misuse"),
    ("*", r"(_backward_)?(SparseEmbedding|sparse_\w+)", SPARSE,
     "an op with row_sparse input or gradient (SparseEmbedding, retain)"),
    ("*", r"_?(backward_)?square_sum", SPARSE,
     "registered for row_sparse input only"),
    ("mxnet.ndarray.contrib", r"getnnz|edge_id|dgl_\w+", SPARSE,
     "takes a csr matrix (a graph's adjacency, or nnz of csr)"),
    ("mxnet.ndarray._internal", r"_contrib_(getnnz|edge_id|dgl_\w+)", SPARSE,
     "takes a csr matrix (a graph's adjacency, or nnz of csr)"),
    ("*", r"gpu_memory_info|get_gpu_memory|get_cuda_compute_capability", GPU,
     "asks a CUDA device; fails without one (num_gpus, gpu() answer on CPU)"),
    ("mxnet", r"rtc", GPU, "mx.rtc compiles CUDA kernels at run time"),
    ("mxnet.base", r"RtcHandle|CudaModuleHandle|CudaKernelHandle", GPU,
     "handles of mx.rtc's CUDA modules and kernels"),
    ("*", r"\w*(cudnn|CuDNN|cuDNN)\w*", GPU, "cuDNN-only operator"),
    ("*", r"\w*(nccl|NCCL)\w*", GPU, "NCCL-only (multi-GPU) operator"),
    ("*", r"\w*(tensorrt|TensorRT|_trt_)\w*", GPU, "TensorRT-only operator"),
    ("mxnet", r"np|npx|numpy|numpy_extension|numpy_dispatch_protocol|"
     r"numpy_op_fallback|numpy_op_signature|np_symbol", NUMPY, _NUMPY_REASON),
    ("mxnet.ndarray", r"np|npx|numpy|numpy_extension", NUMPY, _NUMPY_REASON),
    ("mxnet.ndarray.contrib", r"quantized_rnn", BROKEN,
     "fails in MXNet 1.9.1's CPU (pip) build too: 'could not create a "
     "primitive descriptor for a reorder primitive'"),
    ("mxnet.ndarray._internal", r"_backward_\w+", INTERNAL,
     "a gradient operator MXNet's executor inserts; kiln's gradients come "
     "from its primitives' rules"),
    ("mxnet.ndarray._internal", r"_sg_mkldnn_\w+", INTERNAL,
     "a oneDNN subgraph fusion MXNet's graph passes create"),
]
_SET_APART_COMPILED = [(glob, re.compile(pattern), category, reason)
                       for glob, pattern, category, reason in SET_APART]


def classify(module, name):
    """(category, reason) for a name set apart, None for a dense name."""
    for glob, pattern, category, reason in _SET_APART_COMPILED:
        if fnmatch.fnmatchcase(module, glob) and pattern.fullmatch(name):
            return category, reason
    return None


# Runs in the oracle venv's python: argv[1] is the JSON list of MODULES and
# CLASSES; prints {module: sorted names} by the rule in this file's docstring.
_ORACLE_SCRIPT = r'''
import ast, importlib, inspect, json, sys
import mxnet

modules, classes = json.loads(sys.argv[1])
KEEP = {"mxnet.test_utils": {"mx", "np"}}
# Modules whose imports from other mxnet modules are API: the two packages
# (mx.cpu, mx.nd.NDArray) and test_utils (star-imported by test files).
KEEP_MXNET_IMPORTS = {"mxnet", "mxnet.ndarray", "mxnet.test_utils"}


def import_bindings(module):
    """Names bound at module level by imports: (from outside mxnet, from mxnet)."""
    foreign, internal = set(), set()
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return foreign, internal

    def visit(statements):
        for statement in statements:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    top = alias.name.split(".")[0]
                    bound = alias.asname or top
                    (internal if top == "mxnet" else foreign).add(bound)
            elif isinstance(statement, ast.ImportFrom):
                ours = statement.level > 0 or \
                    (statement.module or "").split(".")[0] == "mxnet"
                for alias in statement.names:
                    if alias.name != "*":
                        (internal if ours else foreign).add(alias.asname or alias.name)
            elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef,
                                            ast.ClassDef)):
                # if/try/with blocks at module level bind module names too.
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(statement, field, None) or [])

    visit(tree.body)
    return foreign, internal


def is_registered_op(value):
    return inspect.isfunction(value) and value.__module__ == "ndarray"


out = {"mxnet_version": mxnet.__version__, "modules": {}}
for name in modules:
    if name in classes:
        owner, _, attribute = name.rpartition(".")
        cls = getattr(importlib.import_module(owner), attribute)
        out["modules"][name] = sorted(n for n in dir(cls) if not n.startswith("_"))
        continue
    module = importlib.import_module(name)
    foreign, internal = import_bindings(module)
    keep = KEEP.get(name, set())
    names = []
    for n in dir(module):
        if n.startswith("_"):
            if not (name == "mxnet.ndarray._internal" and not n.startswith("__")
                    and is_registered_op(getattr(module, n))):
                continue
        elif n in keep:
            pass
        elif n in foreign:
            continue
        elif n in internal and name not in KEEP_MXNET_IMPORTS:
            continue
        names.append(n)
    out["modules"][name] = sorted(names)
json.dump(out, sys.stdout)
'''


def oracle_python():
    """The MXNet 1.9.1 venv's python, made by the baseline script if missing."""
    venv = subprocess.run(["bash", BASELINE_SCRIPT], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    return os.path.join(venv, "bin", "python")


def refresh_snapshot(python, path=SNAPSHOT):
    """Reads MXNet's names with the oracle's python and writes the snapshot."""
    # An empty cwd, so that no kiln tree shadows the real mxnet package.
    result = subprocess.run(
        [python, "-c", _ORACLE_SCRIPT, json.dumps([MODULES, sorted(CLASSES)])],
        check=True, stdout=subprocess.PIPE, text=True, cwd="/",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    snapshot = json.loads(result.stdout)
    snapshot["generated_by"] = "tools/api_surface.py --refresh"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(snapshot, f, indent=1, sort_keys=True)
        f.write("\n")
    return snapshot


def load_snapshot(path=SNAPSHOT):
    with open(path) as f:
        return json.load(f)


def resolve(dotted):
    """The object at a dotted path (modules or attributes), or (None, why)."""
    parts = dotted.split(".")
    try:
        current = importlib.import_module(parts[0])
    except Exception as error:  # a half-built tree must report, not crash
        return None, "import %s failed: %s: %s" % (parts[0], type(error).__name__, error)
    for i, part in enumerate(parts[1:], start=1):
        prefix = ".".join(parts[:i + 1])
        if hasattr(current, part):
            current = getattr(current, part)
            continue
        try:
            current = importlib.import_module(prefix)
        except ModuleNotFoundError:
            return None, "kiln has no %s" % prefix
        except Exception as error:
            return None, "import %s failed: %s: %s" % (prefix, type(error).__name__, error)
    return current, None


def kiln_name(mxnet_name, root="kiln"):
    return root + mxnet_name[len("mxnet"):]


def measure(modules, root="kiln"):
    """One report dict per MXNet module: which dense names kiln has and lacks."""
    reports = []
    for module, names in modules.items():
        target = kiln_name(module, root)
        obj, error = resolve(target)
        dense, set_apart = [], []
        for name in names:
            kind = classify(module, name)
            if kind is None:
                dense.append(name)
            else:
                set_apart.append({"name": name, "category": kind[0], "reason": kind[1],
                                  "present": obj is not None and hasattr(obj, name)})
        missing = [n for n in dense if obj is None or not hasattr(obj, n)]
        present = len(dense) - len(missing)
        reports.append({
            "module": module,
            "kiln_module": target,
            "found": obj is not None,
            "error": error,
            "present": present,
            "total": len(dense),
            "coverage": round(100.0 * present / len(dense), 1) if dense else None,
            "missing": missing,
            "set_apart": set_apart,
        })
    return reports


def _set_apart_summary(report):
    counts = {}
    for entry in report["set_apart"]:
        counts[entry["category"]] = counts.get(entry["category"], 0) + 1
    return ", ".join("%d %s" % (n, c) for c, n in sorted(counts.items())) or "-"


def _coverage_text(report):
    return "n/a" if report["coverage"] is None else "%.1f%%" % report["coverage"]


def find_module(spelling, modules):
    """The module a user means: mxnet.ndarray.linalg, ndarray.linalg, nd.linalg
    or linalg (a suffix must be unique; `random` is mxnet.random)."""
    spelling = re.sub(r"^(mxnet\.)?nd(?=\.|$)", r"\1ndarray", spelling)
    for candidate in (spelling, "mxnet." + spelling):
        if candidate in modules:
            return candidate
    matches = [m for m in modules if m.endswith("." + spelling)]
    return matches[0] if len(matches) == 1 else None


def print_text(reports, out):
    for report in reports:
        print("%s  (%s)  %d/%d  %s  set apart: %s" % (
            report["module"], report["kiln_module"], report["present"],
            report["total"], _coverage_text(report), _set_apart_summary(report)),
            file=out)
        if report["error"]:
            print("  not found: " + report["error"], file=out)
        if report["missing"]:
            print(textwrap.fill(" ".join(report["missing"]), width=100,
                                initial_indent="  missing: ",
                                subsequent_indent="    ", break_on_hyphens=False),
                  file=out)
        reasons = {}
        for entry in report["set_apart"]:
            reasons.setdefault((entry["category"], entry["reason"]), []).append(
                entry["name"] + ("*" if entry["present"] else ""))
        for (category, reason), names in sorted(reasons.items()):
            print(textwrap.fill(" ".join(names), width=100,
                                initial_indent="  %s (%s): " % (category, reason),
                                subsequent_indent="    ", break_on_hyphens=False),
                  file=out)
    if any(e["present"] for r in reports for e in r["set_apart"]):
        print("(* kiln has this set-apart name)", file=out)


def print_markdown(reports, out):
    print("| module | kiln has | MXNet has | coverage | set apart (sparse, GPU, internal, "
          "NumPy-interface, broken in MXNet) |",
          file=out)
    print("|---|---:|---:|---:|---|", file=out)
    for report in reports:
        print("| `%s` | %d | %d | %s | %s |" % (
            report["module"], report["present"], report["total"],
            _coverage_text(report), _set_apart_summary(report)), file=out)


def print_json(reports, out):
    for report in reports:
        print(json.dumps(report, sort_keys=True), file=out)


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(
        description="Compare kiln's Python API with MXNet 1.9.1's.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--markdown", action="store_true",
                      help="one table row per module")
    mode.add_argument("--json", action="store_true",
                      help="one JSON object per module, one per line")
    mode.add_argument("--missing", metavar="MODULE",
                      help="the missing dense names of MODULE (mxnet.X or X), one a line")
    parser.add_argument("--kiln-path", metavar="DIR",
                        help="import kiln from DIR (default: the installed package)")
    parser.add_argument("--min-coverage", type=float, metavar="PCT",
                        help="exit 1 when a module's coverage is below PCT")
    parser.add_argument("--refresh", action="store_true",
                        help="rewrite the snapshot from MXNet 1.9.1 first")
    parser.add_argument("--mxnet-python", metavar="PYTHON",
                        help="python with mxnet 1.9.1 for --refresh "
                             "(default: the baseline venv's)")
    parser.add_argument("--snapshot", default=SNAPSHOT, metavar="FILE",
                        help="MXNet names to check against (default: %(default)s)")
    args = parser.parse_args(argv)

    if args.refresh:
        snapshot = refresh_snapshot(args.mxnet_python or oracle_python(), args.snapshot)
    else:
        snapshot = load_snapshot(args.snapshot)
    # Report in MODULES order (the snapshot file is key-sorted).
    order = {name: i for i, name in enumerate(MODULES)}
    modules = dict(sorted(snapshot["modules"].items(),
                          key=lambda item: (order.get(item[0], len(order)), item[0])))

    if args.missing is not None:
        wanted = find_module(args.missing, modules)
        if wanted is None:
            parser.error("no single module is %s; known: %s" % (args.missing, " ".join(modules)))
        modules = {wanted: modules[wanted]}

    if args.kiln_path:
        sys.path.insert(0, os.path.abspath(args.kiln_path))
    reports = measure(modules)

    if args.missing is not None:
        for name in reports[0]["missing"]:
            print(name, file=out)
    elif args.markdown:
        print_markdown(reports, out)
    elif args.json:
        print_json(reports, out)
    else:
        kiln, error = resolve("kiln")
        print("MXNet %s snapshot vs kiln at %s" % (
            snapshot.get("mxnet_version", "?"),
            getattr(kiln, "__file__", None) or error), file=out)
        print_text(reports, out)

    if args.min_coverage is not None:
        low = [r for r in reports
               if r["coverage"] is not None and r["coverage"] < args.min_coverage]
        for report in low:
            print("below %g%%: %s (%s)" % (args.min_coverage, report["module"],
                                          _coverage_text(report)), file=sys.stderr)
        return 1 if low else 0
    return 0


if __name__ == "__main__":
    # `... | head` closes the pipe early; end quietly as other CLI tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
