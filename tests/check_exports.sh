#!/bin/sh
# ABI hygiene of the built shared library:
#  1. every exported (defined, dynamic) symbol starts with qpm_;
#  2. every exported symbol carries a QPM_ version node;
#  3. the SONAME is libqpm.so.MAJOR;
#  4. the linker map and the QPM_API declarations in the headers list the same
#     functions (a QPM_API function missing from the map would silently not
#     be exported);
#  5. the layer rule: lib/<module> includes only its own layer-or-lower
#     modules, never a module beside or above it (core; num; rng, pricing;
#     cov, book; opt, risk).
set -u
lib=$1 src=$2 soname=$3
fail=0
err() { echo "FAIL: $*"; fail=1; }

syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u)
[ -n "$syms" ] || err "no exported symbols in $lib"
bad=$(printf '%s\n' "$syms" | grep -v '^qpm_' || true)
[ -z "$bad" ] || err "exported symbols without the qpm_ prefix: $bad"

unversioned=$(objdump -T "$lib" | awk '($2 == "g" || $3 == "DF" || $3 == "DO") && $0 !~ /UND/ { if ($(NF-1) !~ /^QPM_/) print $NF }' || true)
[ -z "$unversioned" ] || err "exported symbols without a QPM_ version node: $unversioned"

so=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$so" = "$soname" ] || err "SONAME is '$so', expected '$soname'"

hdr=$(cat "$src"/include/qpm/*.h | tr '\n' ' ' |
      grep -o 'QPM_API[^;{]*(' | grep -o 'qpm_[a-z0-9_]*[[:space:]]*($' | tr -d ' (' | sort -u)
map=$(sed 's,/\*.*\*/,,g' "$src/lib/libqpm.map" | grep -o '^[[:space:]]*qpm_[a-z0-9_]*;' |
      tr -d ' \t;' | sort -u)
tmp=$(mktemp -d)
printf '%s\n' "$hdr" > "$tmp/hdr"
printf '%s\n' "$map" > "$tmp/map"
only_hdr=$(comm -23 "$tmp/hdr" "$tmp/map")
only_map=$(comm -13 "$tmp/hdr" "$tmp/map")
rm -rf "$tmp"
[ -z "$only_hdr" ] || err "QPM_API functions missing from lib/libqpm.map: $only_hdr"
[ -z "$only_map" ] || err "map entries with no QPM_API declaration: $only_map"
missing=$(printf '%s\n' "$hdr" | while read -r f; do
  printf '%s\n' "$syms" | grep -qx "$f" || echo "$f"; done)
[ -z "$missing" ] || err "declared but not exported: $missing"

level() {
  case $1 in
    core) echo 0 ;; num) echo 1 ;; rng|pricing) echo 2 ;; cov|book) echo 3 ;; opt|risk) echo 4 ;;
    *) echo 9 ;;
  esac
}
for dir in "$src"/lib/*/; do
  mod=$(basename "$dir"); lm=$(level "$mod")
  for f in "$dir"*.c "$dir"*.h; do
    [ -f "$f" ] || continue
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z]*\)\/.*/\1/p' "$f"); do
      [ "$inc" = qpm ] && continue
      li=$(level "$inc")
      if [ "$inc" != "$mod" ] && [ "$inc" != core ] && [ "$li" -ge "$lm" ]; then
        err "layer rule: $(basename "$f") in lib/$mod includes $inc/"
      fi
    done
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"qpm\/\([a-z]*\)\.h".*/\1/p' "$f"); do
      li=$(level "$inc")
      if [ "$li" != 9 ] && [ "$inc" != "$mod" ] && [ "$li" -ge "$lm" ]; then
        err "layer rule: $(basename "$f") in lib/$mod includes qpm/$inc.h"
      fi
    done
  done
done

n=$(printf '%s\n' "$syms" | wc -l)
[ $fail -eq 0 ] && echo "ok: $n exported symbols, all qpm_ and versioned; SONAME $so; map matches headers"
exit $fail
