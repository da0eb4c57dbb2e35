#!/bin/sh
# The exports check knows the tiers: on copies of the headers and map where
# an experimental function's declaration has left its #ifdef
# QPM_EXPERIMENTAL block, or its map entry has moved to a stable node,
# check_exports.sh fails and names the function.  The function is the first
# of the map's QPM_EXPERIMENTAL node (skipped while that node is empty).
#   check_exports_tier.sh CHECK_EXPORTS LIB SRC SONAME
set -u
check=$1 lib=$2 src=$3 soname=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

f=$(sed -n '/^QPM_EXPERIMENTAL[[:space:]]*{/,/}/p' "$src/lib/libqpm.map" | sed 's,/\*.*\*/,,' |
    sed -n 's/^[[:space:]]*\(qpm_[a-z0-9_]*\);.*/\1/p' | head -n 1)
[ -n "$f" ] || { echo "no experimental function: nothing to check"; exit 77; }
hdr=$(grep -l "QPM_API[^;]*\b$f[[:space:]]*(" "$src"/include/qpm/*.h | head -n 1)
[ -n "$hdr" ] || { echo "FAIL: no header declares $f"; exit 1; }

copy() {
  rm -rf "$tmp/src"; mkdir -p "$tmp/src/include" "$tmp/src/lib"
  cp -r "$src/include/qpm" "$tmp/src/include/"; cp "$src/lib/libqpm.map" "$tmp/src/lib/"
}
expect() { # label pattern
  if sh "$check" "$lib" "$tmp/src" "$soname" > "$tmp/out" 2>&1; then
    echo "FAIL: $1: check_exports.sh passed"; fail=1
  elif grep -q "$2" "$tmp/out"; then
    echo "ok: $1: $(grep "$2" "$tmp/out" | head -n 1)"
  else
    echo "FAIL: $1: $f not named as expected"; cat "$tmp/out"; fail=1
  fi
}

copy
sh "$check" "$lib" "$tmp/src" "$soname" > "$tmp/out" 2>&1 ||
  { cat "$tmp/out"; echo "FAIL: the unchanged copy fails"; exit 1; }

# 1. the declaration out of its block: the nearest #ifdef QPM_EXPERIMENTAL
#    above it becomes #if 1
line=$(grep -n "QPM_API[^;]*\b$f[[:space:]]*(" "$hdr" | head -n 1 | cut -d: -f1)
open=$(head -n "$line" "$hdr" | grep -n '^#ifdef QPM_EXPERIMENTAL' | tail -n 1 | cut -d: -f1)
[ -n "$open" ] || { echo "FAIL: $f is not inside an #ifdef QPM_EXPERIMENTAL block"; exit 1; }
sed "${open}s/.*/#if 1/" "$hdr" > "$tmp/src/include/qpm/$(basename "$hdr")"
expect "declaration of $f outside the block" \
  "in the map's QPM_EXPERIMENTAL node but declared outside an #ifdef QPM_EXPERIMENTAL block: .*$f"

# 2. the map entry in the first stable node
copy
sed -e "/^[[:space:]]*$f;/d" -e "0,/^[[:space:]]*global:/s//  global:\n    $f;/" \
  "$src/lib/libqpm.map" > "$tmp/src/lib/libqpm.map"
expect "map entry of $f in a stable node" \
  "declared in an #ifdef QPM_EXPERIMENTAL block but not in the map's QPM_EXPERIMENTAL node: .*$f"
exit $fail
