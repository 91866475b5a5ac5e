#!/usr/bin/env bash
# Installs the current PyTorch 2 from PyPI, the framework kiln's benchmarks
# compare against (Debian's python3-torch is 1.13, years older), in a virtual
# environment of its own in kiln's cache. About 5 GB (PyPI's wheel brings the
# CUDA libraries); benchmarks only, never CI. Idempotent; prints the venv's
# path on stdout. Needs PyPI.
#
#   KILN_TORCH_VENV  where the venv lives (default ~/.cache/kiln/venvs/torch)
set -euo pipefail

venv="${KILN_TORCH_VENV:-$HOME/.cache/kiln/venvs/torch}"
if [[ -x "$venv/bin/python" ]] &&
  "$venv/bin/python" -c 'import torch, numpy, sys; sys.exit(int(torch.__version__.split(".")[0]) < 2)' 2>/dev/null; then
  echo "$venv"
  exit 0
fi
echo "kiln setup: installing PyTorch 2 into $venv (about 5 GB)" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
/usr/bin/python3 -m venv "$venv" >&2
"$venv/bin/pip" install -q --disable-pip-version-check torch numpy >&2
echo "$venv"
