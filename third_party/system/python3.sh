#!/bin/sh
# Debian's interpreter, where python3-numpy and python3-pytest install.
exec /usr/bin/python3 "$@"
