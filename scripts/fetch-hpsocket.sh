#!/usr/bin/env bash
# Fetches the original HP-Socket 5.2.1 Linux library (C "4C" API) for the interop test and the
# benchmark. It ships in the PyPI package `hpsocket` 0.9.3 as HPSocket/libhpsocket4c_amd64_64.so.
#
#   scripts/fetch-hpsocket.sh          # prints the path of libhpsocket4c_amd64_64.so
#
# Idempotent: does nothing when the library is already extracted.
# Also creates the link libhpsocket4c.so (the library's SONAME) next to it. Destination:
# $HPSOCKET_ORIG_DIR, default <repo>/target/hpsocket-orig. Needs python3 with pip and
# access to PyPI. Diagnostics go to stderr; stdout is only the path.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${HPSOCKET_ORIG_DIR:-$ROOT/target/hpsocket-orig}"
VERSION="0.9.3"
WHEEL="HPSocket-$VERSION-py2.py3-none-any.whl"
LIB="$DIR/x/HPSocket/libhpsocket4c_amd64_64.so"

if [ ! -s "$LIB" ]; then
    mkdir -p "$DIR"
    if [ ! -s "$DIR/$WHEEL" ]; then
        echo "fetch-hpsocket: downloading hpsocket==$VERSION from PyPI into $DIR" >&2
        python3 -m pip download --quiet --no-deps --disable-pip-version-check \
            "hpsocket==$VERSION" -d "$DIR" >&2
    fi
    if [ ! -s "$DIR/$WHEEL" ]; then
        echo "fetch-hpsocket: $DIR/$WHEEL is missing after pip download" >&2
        exit 1
    fi
    # Extract into a temporary folder first so an interrupted run leaves no half-written tree.
    rm -rf "$DIR/x.tmp"
    python3 -m zipfile -e "$DIR/$WHEEL" "$DIR/x.tmp" >&2
    rm -rf "$DIR/x"
    mv "$DIR/x.tmp" "$DIR/x"
    if [ ! -s "$LIB" ]; then
        echo "fetch-hpsocket: the wheel has no HPSocket/libhpsocket4c_amd64_64.so" >&2
        exit 1
    fi
fi
# The library's SONAME is libhpsocket4c.so: programs linked against it look for that name at run
# time, so a link of that name sits next to it (found through the program's rpath).
if [ "$(readlink "$DIR/x/HPSocket/libhpsocket4c.so" 2>/dev/null)" != "libhpsocket4c_amd64_64.so" ]; then
    ln -sfn libhpsocket4c_amd64_64.so "$DIR/x/HPSocket/libhpsocket4c.so"
fi
echo "$LIB"
