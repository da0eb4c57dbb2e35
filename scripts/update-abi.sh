#!/bin/sh
# Regenerates the ABI baseline abi/libqpm.abi from a debug-info build.
# Run it only for an intended, recorded change: new functions (compatible) or,
# together with a QPM_VERSION_MAJOR bump, an incompatible one.  See README.md.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
lib=$(ls "$build"/libqpm.so.*.*.* | head -n 1)
# abidw writes a symbols-only corpus without DWARF, which would hide every
# signature change from abidiff: refuse such a build.
readelf -S "$lib" | grep -q debug_info || { echo "$lib has no debug info; use buildtype debug or debugoptimized" >&2; exit 1; }
abidw --no-corpus-path --no-comp-dir-path --no-show-locs --headers-dir include/qpm \
      --drop-private-types --out-file abi/libqpm.abi "$lib"
echo "wrote abi/libqpm.abi from $lib"
