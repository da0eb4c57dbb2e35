#!/bin/sh
# What an embedder gets from the generated pkg-config files:
#  1. `pkg-config --cflags qpm` is libqpm's own include folder and nothing
#     else (no BLAS headers), and nothing is required privately;
#  2. `pkg-config --libs --static qpm` names libqpm and its system libraries,
#     and no BLAS or LAPACK;
#  3. a program built with exactly the static flags of the uninstalled .pc
#     and libqpm.a (no -lopenblas, no -llapacke) has no BLAS in its NEEDED
#     list, and runs test_num_lazy.c: no BLAS until a cov handle is created,
#     then the configured BLAS, working.
set -u
cc=$1 src=$2 build=$3 blas=$4 lapacke=$5
fail=0
err() { echo "FAIL: $*"; fail=1; }
pc=$(command -v pkg-config || command -v pkgconf) || { echo "SKIP: no pkg-config"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1-2: the .pc file that `meson install` installs
export PKG_CONFIG_PATH="$build/meson-private"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR 2>/dev/null || true
cflags=$($pc --cflags qpm | sed 's/ *$//') || err "pkg-config --cflags qpm failed"
incdir=$($pc --variable=includedir qpm)
# pkg-config drops -I of the default system folders; both forms are clean
[ "$cflags" = "-I$incdir" ] || [ -z "$cflags" -a "$incdir" = /usr/include ] ||
  err "pkg-config --cflags qpm = '$cflags', expected '-I$incdir' alone"
req=$($pc --print-requires-private qpm)
[ -z "$req" ] || err "Requires.private is '$req', expected nothing"
slibs=$($pc --libs --static qpm | sed 's/ *$//') || err "pkg-config --libs --static qpm failed"
case " $slibs " in *" -lqpm "*) ;; *) err "--libs --static has no -lqpm: '$slibs'" ;; esac
case " $slibs " in *" -lm "*) ;; *) err "--libs --static has no -lm: '$slibs'" ;; esac
case "$slibs $cflags" in *blas*|*lapack*) err "BLAS/LAPACK in the flags: '$cflags $slibs'" ;; esac
echo "cflags: $cflags"
echo "static libs: $slibs"

# 3: static embed with the uninstalled .pc (build-tree paths), libqpm.a
export PKG_CONFIG_PATH="$build/meson-uninstalled"
ucflags=$($pc --cflags qpm-uninstalled) || err "pkg-config --cflags qpm-uninstalled failed"
ulibs=$($pc --libs --static qpm-uninstalled) || err "pkg-config --libs qpm-uninstalled failed"
# -l:libqpm.a picks the archive where -lqpm would pick the shared library
ulibs=$(printf '%s\n' "$ulibs" | sed 's/-lqpm\b/-l:libqpm.a/')
# shellcheck disable=SC2086
if ! $cc -std=c11 -O1 $ucflags "$src/tests/test_num_lazy.c" -o "$tmp/embed" $ulibs; then
  err "test_num_lazy.c does not link against libqpm.a with: $ulibs"
else
  needed=$(readelf -d "$tmp/embed" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  echo "static embed NEEDED: $needed"
  case "$needed" in *blas*|*lapack*|*qpm*) err "the static embed needs '$needed'" ;; esac
  OPENBLAS_NUM_THREADS=2 "$tmp/embed" "$blas" "$lapacke" || err "the static embed fails"
  QPM_BLAS_LIBRARY=libqpm-no-such-blas.so.0 "$tmp/embed" "$blas" "$lapacke" missing ||
    err "the static embed without BLAS fails"
fi
[ $fail -eq 0 ] && echo "ok: pkg-config flags clean; libqpm.a embeds without BLAS link flags"
exit $fail
