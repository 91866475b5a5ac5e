"""runtime/ must never depend on LLVM or MLIR (ARCHITECTURE.md): deployed
artifacts load it without them.

Checks three things:
  * the transitive deps of //runtime:runtime (a genquery) name no LLVM/MLIR
    target or library;
  * //runtime:runtime covers every library in runtime/BUILD.bazel, so the
    first check sees the whole runtime;
  * no runtime source includes an llvm/ or mlir/ header.
"""
import re
import sys

FORBIDDEN_TARGET = re.compile(r"@llvm//|llvm|mlir", re.IGNORECASE)
FORBIDDEN_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](llvm|llvm-c|mlir|mlir-c)/', re.MULTILINE)


def main(deps_file, build_file, *sources):
    failures = []
    deps = [line.strip() for line in open(deps_file) if line.strip()]
    if not any(dep.startswith("//runtime:") for dep in deps):
        failures.append("the dependency query found no runtime target at all")
    for dep in deps:
        if FORBIDDEN_TARGET.search(dep):
            failures.append("runtime depends on %s" % dep)

    build = open(build_file).read()
    libraries = re.findall(r'cc_library\(\s*name\s*=\s*"([^"]+)"', build)
    for library in libraries:
        if "//runtime:%s" % library not in deps:
            failures.append("//runtime:%s is missing from //runtime:runtime, so the "
                            "layering check cannot see it" % library)

    for source in sources:
        text = open(source).read()
        for match in FORBIDDEN_INCLUDE.finditer(text):
            failures.append("%s includes a %s/ header" % (source, match.group(1)))

    for failure in failures[:20]:
        print("FAIL:", failure)
    if len(failures) > 20:
        print("FAIL: ... and %d more" % (len(failures) - 20))
    print("checked %d dependencies, %d libraries, %d sources" % (len(deps), len(libraries), len(sources)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
