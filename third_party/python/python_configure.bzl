"""Finds Debian's /usr/bin/python3 headers, numpy included, for pybind11 extensions.

kiln targets Debian's interpreter on purpose: it is where python3-numpy installs, and
the `python3` first on PATH may be another build without numpy.
"""

_PYTHON = "/usr/bin/python3"

def _python_configure_impl(ctx):
    result = ctx.execute([_PYTHON, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"])
    if result.return_code != 0:
        fail("kiln needs Debian's python3-dev at %s: %s" % (_PYTHON, result.stderr))
    include_dir = result.stdout.strip()
    if not ctx.path(include_dir + "/Python.h").exists:
        fail("Python.h not found in %s: install python3-dev" % include_dir)
    ctx.symlink(include_dir, "include")
    ctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "headers",
    hdrs = glob(["include/**/*.h"]),
    includes = ["include"],
)

exports_files(["interpreter"])
""")
    ctx.symlink(_PYTHON, "interpreter")

python_configure = repository_rule(
    implementation = _python_configure_impl,
    local = True,
)
