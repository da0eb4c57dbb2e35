#!/bin/sh
# libqpm as a meson subproject of an outside project (tests/consumer), placed
# under subprojects/libqpm as a clone would be:
#  - shared, found through a wrap file's [provide] with version '>=0.2.0', in
#    the parent's default debug build: the program links libqpm.so.MAJOR,
#    libqpm's code is still compiled at -O2 (optimization_floor auto) while the
#    parent's is at -O0;
#  - static (-Ddefault_library=static), found after subproject() without a
#    wrap: the program has no DT_NEEDED entry for libqpm; with
#    -Dlibqpm:optimization_floor=0 libqpm follows the debug buildtype (-O0);
#  - in both, the parent gets no libqpm test, benchmark or example, and
#    libqpm looks up no OpenBLAS (it loads its BLAS at run time);
#  - a version constraint libqpm does not meet fails the configuration.
#   check_subproject.sh SRC PYTHON
set -u
src=$1 py=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
parent=$tmp/consumer
mkdir -p "$parent/subprojects"
cp "$src"/tests/consumer/meson.build "$src"/tests/consumer/meson_options.txt \
   "$src"/tests/consumer/price_one.c "$parent/"
cp "$src/tests/consumer/libqpm.wrap" "$parent/subprojects/"
sh "$src/scripts/copy-tree.sh" "$src" "$parent/subprojects/libqpm" || exit 1
fail=0
err() { echo "FAIL: $*"; fail=1; }

# targets and tests of a build dir, as "subproject<TAB>type<TAB>name" and "name" lines
targets() {
  meson introspect --targets "$1" | "$py" -c 'import json, sys
for t in json.load(sys.stdin):
    print(t.get("subproject") or "-", t["type"], t["name"], sep="\t")'
}
tests_of() {
  meson introspect --tests "$1" | "$py" -c 'import json, sys
for t in json.load(sys.stdin):
    print(t["name"])'
}
# the -O flag of the compile command of the first source matching $2
opt_of() {
  "$py" - "$1/compile_commands.json" "$2" <<'PYEOF'
import json, re, sys
for c in json.load(open(sys.argv[1])):
    if c["file"].endswith(sys.argv[2]):
        print((re.findall(r"(?:^| )(-O[0-3gs]?)(?= |$)", c["command"]) or ["none"])[-1])
        break
PYEOF
}

build() { # name setup-args...
  b=$tmp/$1; shift
  if ! meson setup "$b" "$parent" "$@" > "$b.log" 2>&1; then
    err "meson setup $*:"; tail -n 30 "$b.log"; return 1
  fi
  if ! meson compile -C "$b" >> "$b.log" 2>&1; then
    err "meson compile ($*):"; tail -n 30 "$b.log"; return 1
  fi
  if ! meson test -C "$b" >> "$b.log" 2>&1; then
    err "the consumer's test fails ($*):"; cat "$b/meson-logs/testlog.txt"; return 1
  fi
  "$b/price_one"
}

check_parent() { # builddir kind
  ! grep -qi 'dependency openblas' "$1.log" || err "$2: libqpm looked up OpenBLAS as a subproject"
  t=$(tests_of "$1" | tr '\n' ' ')
  [ "$t" = "price_one " ] || err "$2: the parent has tests '$t', expected only price_one"
  extra=$(targets "$1" | awk -F '\t' '$1 == "libqpm" && $2 != "shared library" && $2 != "static library"')
  [ -z "$extra" ] || err "$2: libqpm added targets to the parent: $extra"
  n=$(targets "$1" | awk -F '\t' '$1 == "libqpm"' | wc -l)
  echo "$2: parent tests: $t; libqpm targets: $n"
}

if build shared -Drecipe=wrap -Dqpm_version='>=0.2.0'; then
  check_parent "$tmp/shared" shared
  readelf -d "$tmp/shared/price_one" | grep -q 'NEEDED.*\[libqpm\.so\.[0-9]*\]' ||
    err "shared: price_one does not link libqpm.so"
  o_lib=$(opt_of "$tmp/shared" lib/pricing/black.c) o_app=$(opt_of "$tmp/shared" price_one.c)
  echo "shared, parent buildtype debug: libqpm compiled with $o_lib, the parent with $o_app"
  [ "$o_lib" = -O2 ] || err "shared: libqpm compiled with $o_lib in a debug parent, expected -O2"
  [ "$o_app" = -O0 ] || err "shared: the parent compiled with $o_app, expected -O0"
fi

if meson setup "$tmp/toonew" "$parent" -Drecipe=wrap -Dqpm_version='>=99.0' > "$tmp/toonew.log" 2>&1; then
  err "dependency('qpm', version: '>=99.0') was satisfied"
elif ! grep -q "Dependency 'qpm'.*not found\|Dependency qpm.*found: NO\|qpm.*version" "$tmp/toonew.log"; then
  err "the version mismatch failed for another reason:"; tail -n 20 "$tmp/toonew.log"
else
  echo "version '>=99.0': refused, as it should be"
fi

# the subproject() recipe needs no wrap file
rm "$parent/subprojects/libqpm.wrap"
if build static -Drecipe=subproject -Ddefault_library=static -Dlibqpm:optimization_floor=0; then
  check_parent "$tmp/static" static
  if readelf -d "$tmp/static/price_one" | grep -q 'NEEDED.*libqpm'; then
    err "static: price_one still needs a shared libqpm:"; readelf -d "$tmp/static/price_one" | grep NEEDED
  else
    echo "static: no libqpm in DT_NEEDED ($(readelf -d "$tmp/static/price_one" | grep -c NEEDED) entries)"
  fi
  o_lib=$(opt_of "$tmp/static" lib/pricing/black.c)
  [ "$o_lib" = -O0 ] || err "static: optimization_floor=0 still compiles libqpm with $o_lib"
fi

[ $fail -eq 0 ] && echo "ok: libqpm as a subproject, shared and static"
exit $fail
