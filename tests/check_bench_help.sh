#!/bin/sh
# Every bench program given --help prints its usage on stdout and exits 0
# without running; given an unknown argument it prints the usage on stderr
# and exits 2.
set -u
[ $# -gt 0 ] || { echo "FAIL: no bench program given"; exit 1; }
fail=0
for exe in "$@"; do
  name=$(basename "$exe")
  out=$("$exe" --help 2>/dev/null); rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL: $name --help exits $rc"; fail=1
  elif ! printf '%s\n' "$out" | head -n 1 | grep -q "^usage: $name"; then
    echo "FAIL: $name --help does not start with 'usage: $name':"; printf '%s\n' "$out"; fail=1
  fi
  err=$("$exe" --no-such-option 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 2 ]; then
    echo "FAIL: $name --no-such-option exits $rc, expected 2"; fail=1
  elif ! printf '%s\n' "$err" | grep -q "^usage: $name"; then
    echo "FAIL: $name --no-such-option prints no usage on stderr:"; printf '%s\n' "$err"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "ok: $# bench programs answer --help (exit 0) and a bad argument (exit 2)"
exit $fail
