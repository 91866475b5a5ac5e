#!/usr/bin/env python3
"""Which exception class each user mistake raises, in MXNet 1.9.1 and in kiln.

The cases are the table CASES in tests/python/test_exception_parity.py (read
with ast, so this script imports neither framework itself). Each case runs in
a child interpreter per framework; a case whose last statement is an
expression has its value materialized (`.asnumpy()` on every NDArray in it),
as a user would see an asynchronous op's error there. A child that dies (an
abort in MXNet's engine, a segfault) is recorded as "crash" for the case it
was running and restarted on the next one.

    tools/compat/exception_parity.py            # mismatches only
    tools/compat/exception_parity.py --all      # every case ("~~": a listed deviation)
    tools/compat/exception_parity.py --table    # (id, MXNet's class) pairs

--mxnet-python and --kiln-python choose the interpreters (the defaults: the
MXNet 1.9.1 venv and Debian's /usr/bin/python3); --kiln-path is put first on
the kiln child's PYTHONPATH (a tree with kiln/_core.so in it).
"""
import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TABLE = os.path.join(ROOT, "tests", "python", "test_exception_parity.py")


def load_table(path=TABLE):
    """PRELUDE, CASES and DEVIATIONS from the test file, without importing
    it."""
    tree = ast.parse(open(path).read(), path)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", None)
            if name in ("PRELUDE", "CASES", "DEVIATIONS"):
                found[name] = ast.literal_eval(node.value)
    return found["PRELUDE"], found["CASES"], found.get("DEVIATIONS", {})


# The child: runs cases by index from argv, one JSON line per case; prints
# "start <i>" before each so the parent knows which one a crash hit.
CHILD = r'''
import ast, atexit, json, shutil, sys, tempfile, warnings
warnings.simplefilter("ignore")
tmp = tempfile.mkdtemp(prefix="exception-parity-")
atexit.register(shutil.rmtree, tmp, True)
import numpy as np
module, prelude, cases = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
mx = __import__(module)
from importlib import import_module
MXNetError = import_module(module + ".base").MXNetError
ORDER = [IndexError, KeyError, ValueError, TypeError, AttributeError,
         NotImplementedError, ZeroDivisionError, OverflowError,
         FileNotFoundError, OSError, AssertionError, RuntimeError, Exception]

def materialize(value):
    if isinstance(value, mx.nd.NDArray):
        value.asnumpy()
    elif isinstance(value, (list, tuple)):
        for item in value:
            materialize(item)
    elif isinstance(value, dict):
        for item in value.values():
            materialize(item)

def classify(error):
    mxnet = isinstance(error, MXNetError)
    for builtin in ORDER:
        if isinstance(error, builtin):
            if builtin is RuntimeError and mxnet:
                return "MXNetError"
            return builtin.__name__
    return type(error).__name__

for index, code in cases:
    print("start %d" % index, flush=True)
    scope = {"mx": mx, "np": np, "tmp": tmp}
    try:
        exec(prelude, scope)
        tree = ast.parse(code)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<case>", "exec"), scope)
        if last is not None:
            materialize(eval(compile(ast.Expression(last.value), "<case>", "eval"), scope))
        mx.nd.waitall()
        result = {"class": None}
    except BaseException as error:
        lines = [l.strip() for l in str(error).strip().splitlines() if l.strip()]
        said = [l for l in lines if "Error:" in l or "Check failed" in l]
        result = {"class": classify(error), "mxnet": isinstance(error, MXNetError),
                  "message": (said or lines or [""])[-1 if said else 0][:200]}
        try:
            mx.nd.waitall()
        except BaseException:
            pass
    print("result %d %s" % (index, json.dumps(result)), flush=True)
'''


def measure(python, module, prelude, cases, env=None):
    """{case index: result} for `cases` [(index, code)] in `python`."""
    results = {}
    pending = list(cases)
    while pending:
        proc = subprocess.run(
            [python, "-c", CHILD, module, json.dumps(prelude), json.dumps(pending)],
            capture_output=True, text=True, env=env, timeout=1800)
        running = None
        for line in proc.stdout.splitlines():
            if line.startswith("start "):
                running = int(line.split()[1])
            elif line.startswith("result "):
                _, index, payload = line.split(" ", 2)
                results[int(index)] = json.loads(payload)
                running = None
        if running is None:
            # Finished, or died between cases: mark what is left as crashed.
            for index, _ in pending:
                results.setdefault(index, {"class": "crash", "message": proc.stderr[-200:]})
            break
        tail = proc.stderr.strip().splitlines()
        results[running] = {"class": "crash", "message": tail[-1][:160] if tail else ""}
        pending = [(i, c) for i, c in pending if i not in results]
    return results


def compatible(kiln, mxnet):
    """kiln's result stands in for MXNet's: the same class (a builtin MXNet
    raises may also be MXNetError in kiln, which classify() names by the
    builtin); a crash in MXNet wants MXNetError."""
    if mxnet == "crash":
        return kiln == "MXNetError"
    return kiln == mxnet


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mxnet-python",
                        default="/root/.cache/kiln/venvs/mxnet-1.9.1/bin/python")
    parser.add_argument("--kiln-python", default="/usr/bin/python3")
    parser.add_argument("--kiln-path",
                        help="a tree with kiln/ and kiln/_core.so (default: this checkout's "
                             "frontends/python with bazel-bin's _core.so, copied to a temporary "
                             "directory)")
    parser.add_argument("--all", action="store_true", help="print every case")
    parser.add_argument("--table", action="store_true",
                        help="print MXNet's class for each case, as the table's column")
    parser.add_argument("--only", help="run the cases whose id contains this")
    args = parser.parse_args()

    prelude, table, deviations = load_table()
    cases = [(i, case[1]) for i, case in enumerate(table)
             if not args.only or args.only in case[0]]
    mxnet = measure(args.mxnet_python, "mxnet", prelude, cases)
    if args.table:
        for index, _ in cases:
            print("%-28s %s" % (table[index][0], mxnet[index]["class"]))
        return 0
    kiln_path = args.kiln_path
    if kiln_path is None:
        kiln_path = tempfile.mkdtemp(prefix="kiln-parity-")
        for package in ("kiln", "mxnet"):
            shutil.copytree(os.path.join(ROOT, "frontends", "python", package),
                            os.path.join(kiln_path, package))
        shutil.copy(os.path.join(ROOT, "bazel-bin", "frontends", "python", "kiln", "_core.so"),
                    os.path.join(kiln_path, "kiln"))
    env = dict(os.environ)
    env["PYTHONPATH"] = kiln_path + os.pathsep + env.get("PYTHONPATH", "")
    kiln = measure(args.kiln_python, "kiln", prelude, cases, env)
    mismatches = 0
    deviating = 0
    for index, _ in cases:
        name, _, recorded = table[index]
        m, k = mxnet[index], kiln[index]
        ok = compatible(k["class"], m["class"])
        deviation = deviations.get(name)
        # A listed deviation is fine while kiln does what the list says.
        accepted = ok or (deviation is not None and k["class"] == deviation[0])
        deviating += (not ok) and accepted
        mismatches += not accepted
        drift = recorded != m["class"]
        if args.all or not accepted or drift:
            print("%s %-32s mxnet=%-15s kiln=%-15s table=%s%s" % (
                "  " if ok else "~~" if accepted else "!!", name, m["class"],
                k["class"], recorded, "  (table differs from mxnet)" if drift else ""))
            if not accepted:
                print("     mxnet: %s\n     kiln:  %s" % (m.get("message", ""),
                                                         k.get("message", "")))
    print("%d cases, %d mismatches, %d listed deviations" % (len(cases), mismatches,
                                                            deviating))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
