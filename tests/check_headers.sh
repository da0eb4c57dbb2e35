#!/bin/sh
# Every public header compiles alone, warning-free under strict flags, as C11
# (gcc, clang) or as C++11 and C++17 (g++, clang++), with each of its
# constant macros expanded (a macro is only checked where it is used), once
# as the stable tier and once with -DQPM_EXPERIMENTAL (the experimental
# declarations in view).
#   check_headers.sh SRC c|c++ COMPILER
set -u
src=$1 lang=$2 cxx=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if "$cxx" --version 2>/dev/null | grep -qi clang; then kind=clang; else kind=gcc; fi
case $lang in
  c)
    ext=c
    flag_sets="-std=c11"
    flags="-Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror" ;;
  c++)
    ext=cpp
    flag_sets="-std=c++11 -std=c++17"
    flags="-Wall -Wextra -Wpedantic -Wold-style-cast -Wzero-as-null-pointer-constant -Wcast-qual"
    flags="$flags -Wconversion -Wsign-conversion -Wshadow -Werror"
    # g++ only: clang has no -Wuseless-cast
    [ $kind = gcc ] && flags="$flags -Wuseless-cast" ;;
  *) echo "usage: check_headers.sh SRC c|c++ COMPILER"; exit 2 ;;
esac

fail=0 n=0
for h in "$src"/include/qpm/*.h; do
  base=$(basename "$h")
  name=$(printf '%s' "$base" | tr -c 'A-Za-z0-9\n' '_')
  # object-like macros with a value; not include guards (no value), not QPM_API
  sed -n 's/^#[[:space:]]*define[[:space:]]\{1,\}\(QPM_[A-Z0-9_]*\)[[:space:]]\{1,\}[^[:space:]].*/\1/p' "$h" |
    grep -v -x QPM_API | sed 's/.*/    QPM_HT_USE(&);/' > "$tmp/uses"
  sed -e "s/@HEADER@/$base/g" -e "s/@NAME@/$name/g" -e "/@USES@/r $tmp/uses" -e "/@USES@/d" \
    "$src/tests/header_test.c.in" > "$tmp/$name.$ext"
  for std in $flag_sets; do
    for tier in "" -DQPM_EXPERIMENTAL; do
      # shellcheck disable=SC2086
      if ! "$cxx" $std $flags $tier -I"$src/include" -c "$tmp/$name.$ext" -o "$tmp/$name.o"; then
        echo "FAIL: $base as $std ${tier:+$tier }with $(basename "$cxx") (uses: $(grep -c . "$tmp/uses") macros)"
        fail=1
      fi
      n=$((n + 1))
    done
  done
done
[ $fail -eq 0 ] && echo "ok: $n compiles of public headers with $(basename "$cxx") ($kind), $lang, $flag_sets, with and without -DQPM_EXPERIMENTAL: $flags"
exit $fail
