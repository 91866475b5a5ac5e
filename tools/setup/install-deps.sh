#!/usr/bin/env bash
# Installs the Debian packages kiln needs (tools/setup/debian-packages.txt, or
# the list given as the first argument).
# Idempotent: when everything is present it only checks, in well under a
# second; otherwise it runs `apt-get update` once and installs what is missing.
# Runs apt-get as root, through sudo when not root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="${1:-$here/debian-packages.txt}"
mapfile -t packages < <(grep -vE '^\s*(#|$)' "$list")

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ ! -r /etc/debian_version ]]; then
  echo "kiln setup: this script installs Debian packages; on other systems install: ${missing[*]}" >&2
  exit 1
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "kiln setup: missing packages (${missing[*]}); run as root or install sudo" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "kiln setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
