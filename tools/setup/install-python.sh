#!/usr/bin/env bash
# Installs the built Python packages (kiln, and the mxnet alias) where
# Debian's /usr/bin/python3 finds them from any directory: the system
# site-packages (/usr/local/lib/python3.X/dist-packages) as root, the user's
# site-packages otherwise. Expects //frontends/python:python_package built.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$top"
python=/usr/bin/python3
bin="$(bazel info bazel-bin 2>/dev/null)"
core="$bin/frontends/python/kiln/_core.so"
[[ -f "$core" ]] || { echo "kiln install: $core is missing; build //frontends/python:python_package first" >&2; exit 1; }

if [[ -n "${KILN_PYTHON_SITE:-}" ]]; then
  site="$KILN_PYTHON_SITE"
elif [[ "$(id -u)" -eq 0 ]]; then
  site="$("$python" -c 'import sys; print("/usr/local/lib/python%d.%d/dist-packages" % sys.version_info[:2])')"
else
  site="$("$python" -m site --user-site)"
fi
mkdir -p "$site"

# A temporary copy, then a rename: an interpreter importing kiln meanwhile
# sees the old package or the new one, never half of each.
install_package() {
  local name="$1" source="$2"
  local staging="$site/.$name.kiln-staging"
  rm -rf "$staging"
  mkdir -p "$staging"
  cp -R "$source"/. "$staging"/
  find "$staging" -name '__pycache__' -prune -exec rm -rf {} +
  rm -rf "$site/$name.kiln-old"
  [[ -e "$site/$name" ]] && mv "$site/$name" "$site/$name.kiln-old"
  mv "$staging" "$site/$name"
  rm -rf "$site/$name.kiln-old"
}

staging_kiln="$(mktemp -d)"
trap 'rm -rf "$staging_kiln"' EXIT
cp -R frontends/python/kiln/. "$staging_kiln"/
install -m 0755 "$core" "$staging_kiln/_core.so"
install_package kiln "$staging_kiln"

# Never overwrite a real Apache MXNet install with the alias.
if [[ -e "$site/mxnet" && ! -e "$site/mxnet/.kiln-alias" ]]; then
  echo "kiln install: $site/mxnet is another MXNet; left alone (use 'import kiln as mx')" >&2
else
  staging_alias="$(mktemp -d)"
  cp -R frontends/python/mxnet/. "$staging_alias"/
  touch "$staging_alias/.kiln-alias"
  install_package mxnet "$staging_alias"
  rm -rf "$staging_alias"
fi
echo "kiln install: kiln and mxnet installed in $site"
