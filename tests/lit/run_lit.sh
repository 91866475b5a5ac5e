#!/bin/sh
# Runs the FileCheck tests with LLVM's lit (from llvm-19-tools).
# $1: path to kiln-opt. Further arguments go to lit.
set -eu
kiln_opt="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
here="$(cd "$(dirname "$0")" && pwd)"
exec /usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -v \
  --param kiln_opt="$kiln_opt" "$@" "$here"
