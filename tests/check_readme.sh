#!/bin/sh
# Every ```c block of README.md compiles (C11, warnings as errors) against the
# public headers, links against the built library and runs successfully.
set -u
cc=$1 src=$2 libdir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v dir="$tmp" '/^```c$/ {n++; f = dir "/snippet" n ".c"; on = 1; next}
                   /^```$/ {on = 0; next}
                   on {print > f}' "$src/README.md"
set -- "$tmp"/snippet*.c
[ -f "$1" ] || { echo "FAIL: no C block in README.md"; exit 1; }
fail=0
for f in "$@"; do
  if ! $cc -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$src/include" "$f" -o "${f%.c}" \
       -L"$libdir" -lqpm -lm -Wl,-rpath,"$libdir"; then
    echo "FAIL: $(basename "$f") does not build"; fail=1; continue
  fi
  if ! out=$("${f%.c}"); then
    echo "FAIL: $(basename "$f") exits with an error"; fail=1
  fi
  printf '%s:\n%s\n' "$(basename "$f")" "$out"
done
[ $fail -eq 0 ] && echo "ok: $# README C examples build and run"
exit $fail
