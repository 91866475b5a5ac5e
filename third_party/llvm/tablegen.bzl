"""Runs Debian's mlir-tblgen over a dialect's ODS files."""

def mlir_tablegen(name, td_file, td_srcs, outs):
    """Generates one .inc file per (flag, output) pair in `outs`.

    Args:
      name: prefix for the generated genrules; a filegroup of all outputs gets this name.
      td_file: the top-level .td file.
      td_srcs: every .td file it includes from this package.
      outs: dict of output file name -> list of mlir-tblgen flags.
    """
    rules = []
    for out, flags in outs.items():
        rule = name + "_" + out.replace(".", "_").replace("/", "_")
        native.genrule(
            name = rule,
            srcs = [td_file] + td_srcs + ["@llvm//:mlir_td_files"],
            outs = [out],
            tools = ["@llvm//:bin/mlir-tblgen"],
            cmd = ("$(location @llvm//:bin/mlir-tblgen) " + " ".join(flags) +
                   " -I external/llvm/include -I . $(location " + td_file + ") -o $@"),
        )
        rules.append(":" + rule)
    native.filegroup(name = name, srcs = rules)
