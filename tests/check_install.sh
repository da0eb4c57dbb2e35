#!/bin/sh
# The installed C library serves its users: `meson install` into a staging
# folder (DESTDIR), then tests/consumer/price_one.c is built and run
#  - with `cc price_one.c $(pkg-config --cflags --libs qpm)`, as README.md
#    says (the staged .pc file read through PKG_CONFIG_SYSROOT_DIR), and
#  - as a CMake project: find_package(qpm 0.2 REQUIRED), target qpm::qpm;
#    find_package(qpm 1.0) must refuse this version.
#   check_install.sh BUILD SRC PYTHON CC
set -u
build=$1 src=$2 py=$3 cc=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
fail=0
err() { echo "FAIL: $*"; fail=1; }

if ! meson install -C "$build" --no-rebuild --destdir "$stage" > "$tmp/install.log" 2>&1; then
  echo "FAIL: meson install:"; tail -n 30 "$tmp/install.log"; exit 1
fi
opts=$(meson introspect --buildoptions "$build" | "$py" -c 'import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["libdir"], o["includedir"])')
set -- $opts
prefix=$1 libdir=$2 includedir=$3
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $includedir in /*) ;; *) includedir=$prefix/$includedir ;; esac
root=$stage$prefix
lib=$stage$libdir
version=$(tr -d ' \t\r\n' < "$src/VERSION")
major=${version%%.*}

for f in "$lib/libqpm.so.$version" "$lib/libqpm.so.$major" "$lib/libqpm.so" "$lib/libqpm.a" \
         "$lib/pkgconfig/qpm.pc" "$lib/cmake/qpm/qpmConfig.cmake" \
         "$lib/cmake/qpm/qpmConfigVersion.cmake"; do
  [ -e "$f" ] || err "not installed: ${f#"$stage"}"
done
for h in "$src"/include/qpm/*.h; do
  [ -f "$stage$includedir/qpm/$(basename "$h")" ] || err "header not installed: qpm/$(basename "$h")"
done

# pkg-config, exactly the README's command line
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
unset PKG_CONFIG_LIBDIR
flags=$(pkg-config --cflags --libs qpm) || err "pkg-config --cflags --libs qpm fails"
pcver=$(pkg-config --modversion qpm)
[ "$pcver" = "$version" ] || err "qpm.pc says version $pcver, expected $version"
# shellcheck disable=SC2086
if "$cc" -std=c11 -Wall -Wextra -Werror "$src/tests/consumer/price_one.c" $flags -lm -o "$tmp/price_pc"; then
  LD_LIBRARY_PATH="$lib" "$tmp/price_pc" || err "the pkg-config build does not run"
else
  err "cc price_one.c \$(pkg-config --cflags --libs qpm) fails (flags: $flags)"
fi

# CMake
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
if command -v cmake > /dev/null; then
  if cmake -S "$src/tests/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$root" \
       -DCMAKE_C_COMPILER="$cc" > "$tmp/cmake.log" 2>&1 &&
     cmake --build "$tmp/cmake" >> "$tmp/cmake.log" 2>&1; then
    "$tmp/cmake/price_one" || err "the CMake build does not run"
    grep -q "^qpm_DIR:PATH=$lib/cmake/qpm$" "$tmp/cmake/CMakeCache.txt" ||
      err "CMake found another qpm: $(grep '^qpm_DIR' "$tmp/cmake/CMakeCache.txt")"
  else
    err "the CMake consumer (find_package(qpm 0.2 REQUIRED)) does not build:"; tail -n 30 "$tmp/cmake.log"
  fi
  if cmake -S "$src/tests/consumer" -B "$tmp/cmake-v1" -DCMAKE_PREFIX_PATH="$root" \
       -DCMAKE_C_COMPILER="$cc" -DQPM_WANT=1.0 > "$tmp/cmake-v1.log" 2>&1; then
    err "find_package(qpm 1.0) accepted version $version"
  elif ! grep -q "not.*compatible\|version: $version" "$tmp/cmake-v1.log"; then
    err "find_package(qpm 1.0) failed for another reason:"; tail -n 20 "$tmp/cmake-v1.log"
  fi
else
  err "cmake not found (scripts/deps.sh installs it)"
fi

[ $fail -eq 0 ] && echo "ok: installed into a staging folder; pkg-config and CMake (qpm::qpm) consumers build and run"
exit $fail
