#!/usr/bin/env bash
# Installs Apache MXNet 1.9.1, the behaviour oracle and the speed to beat, in a
# virtual environment of its own (it needs numpy<1.24, which must not leak into
# Debian's python3). Idempotent; prints the venv's path on stdout. Needs PyPI.
#
#   KILN_MXNET_VENV  where the venv lives (default ~/.cache/kiln/venvs/mxnet-1.9.1)
set -euo pipefail

venv="${KILN_MXNET_VENV:-$HOME/.cache/kiln/venvs/mxnet-1.9.1}"
if [[ -x "$venv/bin/python" ]] &&
  "$venv/bin/python" -c 'import mxnet, sys; sys.exit(mxnet.__version__ != "1.9.1")' 2>/dev/null; then
  echo "$venv"
  exit 0
fi
echo "kiln setup: installing mxnet==1.9.1 into $venv" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
/usr/bin/python3 -m venv "$venv" >&2
"$venv/bin/pip" install -q --disable-pip-version-check "mxnet==1.9.1" "numpy<1.24" >&2
echo "$venv"
