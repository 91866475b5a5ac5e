#!/bin/sh
# Runs a test script with Debian's interpreter, where python3-numpy and
# python3-pytest install (the python3 first on PATH may be another build).
exec /usr/bin/python3 "$@"
