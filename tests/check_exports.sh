#!/bin/sh
# ABI hygiene of the built shared library:
#  1. every exported (defined, dynamic) symbol starts with qpm_;
#  2. every exported symbol carries a QPM_ version node;
#  3. the SONAME is libqpm.so.MAJOR;
#  4. the linker map and the QPM_API declarations in the headers list the same
#     functions, tier by tier (a QPM_API function missing from the map would
#     silently not be exported): the map's QPM_EXPERIMENTAL node holds exactly
#     the functions declared inside `#ifdef QPM_EXPERIMENTAL` blocks, the
#     other nodes exactly those declared outside, and the library exports
#     each at its tier's version;
#  5. the layer rule: lib/<module> includes only its own layer-or-lower
#     modules, never a module beside or above it (core; num; rng, pricing;
#     cov, surface; book; opt, risk).
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

# QPM_API functions of the headers, each line "tier name" (tier: stable or
# experimental, from the #if nesting around the declaration)
hdr_all=$(for h in "$src"/include/qpm/*.h; do
  sed 's,/\*.*\*/,,g' "$h" | awk '
    /^[ \t]*#[ \t]*if/ {
      depth++
      if (!xdepth && $0 ~ /^[ \t]*#[ \t]*if(def[ \t]+|[ \t]+defined[ \t]*[(]?[ \t]*)QPM_EXPERIMENTAL/)
        xdepth = depth
      next
    }
    /^[ \t]*#[ \t]*endif/ { if (xdepth == depth) xdepth = 0; depth--; next }
    /^[ \t]*#/ { next }
    /QPM_API/ { decl = ""; tier = xdepth ? "experimental" : "stable" }
    tier != "" {
      decl = decl " " $0
      if (decl ~ /[;{]/) {
        if (match(decl, /qpm_[a-z0-9_]*[ \t]*[(]/)) {
          name = substr(decl, RSTART, RLENGTH); sub(/[ \t]*[(]$/, "", name); print tier, name
        }
        tier = ""
      }
    }'
done | sort -u)
hdr_stable=$(printf '%s\n' "$hdr_all" | awk '$1 == "stable" {print $2}' | sort -u)
hdr_exp=$(printf '%s\n' "$hdr_all" | awk '$1 == "experimental" {print $2}' | sort -u)
hdr=$(printf '%s\n' "$hdr_all" | awk '{print $2}' | sort -u)

# the map's symbols, each line "node name"
map_all=$(sed 's,/\*.*\*/,,g' "$src/lib/libqpm.map" | awk '
    /^[ \t]*[A-Za-z0-9_.]+[ \t]*\{/ { node = $1; sub(/\{.*/, "", node); next }
    /^[ \t]*qpm_[a-z0-9_]*;/ { s = $1; sub(/;.*/, "", s); print node, s }')
map=$(printf '%s\n' "$map_all" | awk '{print $2}' | sort -u)
map_exp=$(printf '%s\n' "$map_all" | awk '$1 == "QPM_EXPERIMENTAL" {print $2}' | sort -u)
map_stable=$(printf '%s\n' "$map_all" | awk '$1 != "QPM_EXPERIMENTAL" {print $2}' | sort -u)

tmp=$(mktemp -d)
both() { # LIST-A LIST-B: "only in A|only in B"
  printf '%s\n' "$1" | sed '/^$/d' > "$tmp/a"; printf '%s\n' "$2" | sed '/^$/d' > "$tmp/b"
  comm -23 "$tmp/a" "$tmp/b" | tr '\n' ' '; printf '|'; comm -13 "$tmp/a" "$tmp/b" | tr '\n' ' '
}
r=$(both "$hdr" "$map")
only_hdr=${r%%|*} only_map=${r#*|}
[ -z "${only_hdr% }" ] || err "QPM_API functions missing from lib/libqpm.map: $only_hdr"
[ -z "${only_map% }" ] || err "map entries with no QPM_API declaration: $only_map"
r=$(both "$hdr_exp" "$map_exp")
a=${r%%|*} b=${r#*|}
[ -z "${a% }" ] || err "declared in an #ifdef QPM_EXPERIMENTAL block but not in the map's QPM_EXPERIMENTAL node: $a"
[ -z "${b% }" ] || err "in the map's QPM_EXPERIMENTAL node but declared outside an #ifdef QPM_EXPERIMENTAL block: $b"
r=$(both "$hdr_stable" "$map_stable")
a=${r%%|*}
[ -z "${a% }" ] || err "stable declarations (outside #ifdef QPM_EXPERIMENTAL) exported in no stable node: $a"
rm -rf "$tmp"
missing=$(printf '%s\n' "$hdr" | while read -r f; do
  printf '%s\n' "$syms" | grep -qx "$f" || echo "$f"; done)
[ -z "$missing" ] || err "declared but not exported: $missing"
# each symbol at its tier's version in the built library
wrong=$(objdump -T "$lib" | awk -v xs="$(printf '%s\n' "$map_exp" | tr '\n' ' ')" '
    BEGIN { n = split(xs, e, " "); for (i = 1; i <= n; i++) isexp[e[i]] = 1 }
    $NF ~ /^qpm_/ && $0 !~ /UND/ {
      v = $(NF-1); gsub(/[()]/, "", v)
      if ((v == "QPM_EXPERIMENTAL") != ($NF in isexp)) print $NF "@" v }')
[ -z "$wrong" ] || err "exported at the wrong tier's version: $wrong"

level() {
  case $1 in
    core) echo 0 ;; num) echo 1 ;; rng|pricing) echo 2 ;; cov|surface) echo 3 ;; book) echo 4 ;;
    opt|risk) echo 5 ;;
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
ne=$(printf '%s\n' "$map_exp" | sed '/^$/d' | wc -l)
[ $fail -eq 0 ] && echo "ok: $n exported symbols ($ne experimental), all qpm_ and versioned; SONAME $so; map matches headers in both tiers"
exit $fail
