"""lit configuration for kiln's FileCheck tests (run by tests/lit:lit_tests)."""
import os

import lit.formats

config.name = "kiln"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir"]
config.excludes = ["lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
# Output/ directories go to the test's scratch space, not the source tree.
config.test_exec_root = os.environ.get("TEST_TMPDIR", "/tmp/kiln-lit")

kiln_opt = lit_config.params.get("kiln_opt")
if not kiln_opt:
    lit_config.fatal("pass --param kiln_opt=PATH/TO/kiln-opt")
llvm_bin = lit_config.params.get("llvm_bin", "/usr/lib/llvm-19/bin")

config.substitutions.append(("kiln-opt", os.path.abspath(kiln_opt)))
config.environment["PATH"] = os.pathsep.join([llvm_bin, config.environment.get("PATH", "/usr/bin:/bin")])
