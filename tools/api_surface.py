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
  * a name a module gets by `from .x import *` is judged as in mxnet.x: out
    where x imported it (mx.image's json, mx.rnn's warnings and DataDesc
    come from image.py's and rnn/io.py's imports), in where x defines it;
    in a package, a class or function defined inside the package counts
    whichever star import brings it (detection.py re-imports Augmenter);
  * a module counts only as a package's own submodule (mx.sym.op,
    mx.gluon.nn, mx.image.det); another module a file imports (model.py's
    `nd`, rnn_cell.py's `symbol`) is counted under its own dotted name;
  * minus, outside package modules (mxnet, mxnet.symbol, mxnet.gluon, ...),
    names bound by importing from another mxnet module, unless the module
    lists them in __all__ (mxnet.ndarray.op's CachedOp): they are its
    plumbing, counted where defined (mxnet.ndarray.ndarray's c_str comes
    from mxnet.base; mx.callback.save_checkpoint is mx.model's). Packages
    re-export on purpose (mx.cpu, mx.nd.NDArray, mx.gluon.Block);
  * minus ctypes types outside mxnet.base, which names MXNet's C handles:
    c_void_p aliases, POINTER and CFUNCTYPE types are C plumbing (operator.py's
    c_int_p); a Structure a module defines (mx.runtime.Feature) is its own;
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
    "mxnet.symbol",
    "mxnet.symbol.op",
    "mxnet.symbol.random",
    "mxnet.symbol.linalg",
    "mxnet.symbol.contrib",
    "mxnet.symbol.image",
    "mxnet.executor",
    "mxnet.module",
    "mxnet.model",
    "mxnet.io",
    "mxnet.recordio",
    "mxnet.image",
    "mxnet.initializer",
    "mxnet.optimizer",
    "mxnet.lr_scheduler",
    "mxnet.metric",
    "mxnet.kvstore",
    "mxnet.callback",
    "mxnet.monitor",
    "mxnet.visualization",
    "mxnet.operator",
    "mxnet.rnn",
    "mxnet.contrib",
    "mxnet.gluon",
    "mxnet.gluon.nn",
    "mxnet.gluon.rnn",
    "mxnet.gluon.loss",
    "mxnet.gluon.utils",
    "mxnet.gluon.data",
    "mxnet.gluon.data.vision",
    "mxnet.gluon.data.vision.transforms",
    "mxnet.gluon.model_zoo.vision",
    "mxnet.gluon.contrib.nn",
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
    ("mxnet.*.contrib", r"getnnz|edge_id|dgl_\w+", SPARSE,
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
    ("mxnet.symbol", r"np|npx|numpy|numpy_extension", NUMPY, _NUMPY_REASON),
    ("mxnet.*.contrib", r"quantized_rnn", BROKEN,
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
_ORACLE_SCRIPT = r"""
import ast, importlib, inspect, json, sys, types
import mxnet

modules, classes = json.loads(sys.argv[1])
KEEP = {"mxnet.test_utils": {"mx", "np"}}
# test_utils's imports from other mxnet modules are API: test files
# star-import it (packages' are too, see counts).
KEEP_MXNET_IMPORTS = {"mxnet.test_utils"}
FOREIGN, MXNET = "foreign", "mxnet"
_BINDINGS = {}


def target_of(module, statement):
    # The dotted module an ImportFrom reads (relative imports resolved).
    if statement.level == 0:
        return statement.module or ""
    package = module.__name__ if hasattr(module, "__path__") \
        else module.__name__.rpartition(".")[0]
    parts = package.split(".")
    base = ".".join(parts[:len(parts) - statement.level + 1])
    return base + ("." + statement.module if statement.module else "")


def origin_of(dotted):
    return MXNET if dotted.split(".")[0] == "mxnet" else FOREIGN


def bindings(module):
    # {name: origin} of the names `module` binds at module level by importing:
    # FOREIGN, MXNET, or for a name a star import from mxnet module S brings
    # and S itself imported, (S, S's origin): it is judged as in S.
    if module.__name__ in _BINDINGS:
        return _BINDINGS[module.__name__]
    found = _BINDINGS[module.__name__] = {}
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return found

    def visit(statements):
        for statement in statements:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    top = alias.name.split(".")[0]
                    found[alias.asname or top] = origin_of(alias.name)
            elif isinstance(statement, ast.ImportFrom):
                source = target_of(module, statement)
                for alias in statement.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = origin_of(source)
                        continue
                    if origin_of(source) == FOREIGN:
                        continue
                    try:
                        star = importlib.import_module(source)
                    except ImportError:
                        continue
                    names = getattr(star, "__all__", None) or \
                        [n for n in dir(star) if not n.startswith("_")]
                    inner = bindings(star)
                    for n in names:
                        if n in inner:
                            found[n] = inner[n] if isinstance(inner[n], tuple) \
                                else (star, inner[n])
                        else:
                            found.pop(n, None)
            elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef,
                                            ast.ClassDef)):
                # if/try/with blocks at module level bind module names too.
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(statement, field, None) or [])

    visit(tree.body)
    return found


def is_registered_op(value):
    return inspect.isfunction(value) and value.__module__ == "ndarray"


def is_ctypes_plumbing(name, value):
    # c_void_p aliases, POINTER and CFUNCTYPE types outside mxnet.base (which
    # names MXNet's C handles); a Structure a module defines
    # (mx.runtime.Feature) is its own.
    return name != "mxnet.base" and isinstance(value, type) \
        and type(value).__module__ == "_ctypes" and value.__module__ != name


def counts(name, module, n, value):
    # Whether module's public name n is MXNet API (the tool's docstring).
    if n in KEEP.get(name, ()):
        return True
    origin = bindings(module).get(n)
    if isinstance(origin, tuple):
        source, origin = origin
        if origin == FOREIGN:
            return False
        # mx.image's Augmenter reaches it through detection's star import too.
        if hasattr(module, "__path__") and \
                getattr(value, "__module__", "").startswith(name + "."):
            return True
        return counts(source.__name__, source, n, value)
    if origin == FOREIGN:
        return False
    if isinstance(value, types.ModuleType):
        return value.__name__.startswith(name + ".")
    if origin == MXNET and not hasattr(module, "__path__") \
            and n not in getattr(module, "__all__", ()):
        return name in KEEP_MXNET_IMPORTS
    return not is_ctypes_plumbing(name, value)


out = {"mxnet_version": mxnet.__version__, "modules": {}}
for name in modules:
    if name in classes:
        owner, _, attribute = name.rpartition(".")
        cls = getattr(importlib.import_module(owner), attribute)
        out["modules"][name] = sorted(n for n in dir(cls) if not n.startswith("_"))
        continue
    module = importlib.import_module(name)
    names = []
    for n in dir(module):
        if n.startswith("_"):
            if name == "mxnet.ndarray._internal" and not n.startswith("__") \
                    and is_registered_op(getattr(module, n)):
                names.append(n)
            continue
        if counts(name, module, n, getattr(module, n)):
            names.append(n)
    out["modules"][name] = sorted(names)
json.dump(out, sys.stdout)
"""


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
    (sym.linalg for mxnet.symbol.linalg) or a unique suffix (`random` is
    mxnet.random; `linalg` is ambiguous)."""
    spelling = re.sub(r"^(mxnet\.)?nd(?=\.|$)", r"\1ndarray", spelling)
    spelling = re.sub(r"^(mxnet\.)?sym(?=\.|$)", r"\1symbol", spelling)
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
