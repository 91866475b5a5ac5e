#!/bin/sh
# Runs the Python tests against the package built in this test's runfiles,
# with Debian's interpreter (where python3-numpy and python3-pytest install).
set -eu
tree="${TEST_SRCDIR}/${TEST_WORKSPACE}/frontends/python"
export PYTHONPATH="${tree}${PYTHONPATH:+:${PYTHONPATH}}"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"
