#!/bin/sh
# Runs qpm_dump once: it must finish with status 0, write at least one value
# of every family it lists, and write keys that qpm_dump_diff accepts (each
# (case, index) once, every line well formed).  It compares no results.
set -u
dump=$1 diff=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$dump" > "$tmp/out.txt" 2> "$tmp/err.txt"; then
  echo "FAIL: qpm_dump exited with an error:"; cat "$tmp/err.txt"; exit 1
fi
cat "$tmp/err.txt"
fail=0
families=$("$dump" --list) || { echo "FAIL: qpm_dump --list"; exit 1; }
for f in $families; do
  n=$(grep -c "^$f\." "$tmp/out.txt")
  if [ "$n" -eq 0 ]; then
    echo "FAIL: no value of family $f"; fail=1
  else
    echo "ok: $f $n values"
  fi
done
if ! "$diff" --show 5 "$tmp/out.txt" "$tmp/out.txt" > "$tmp/diff.txt"; then
  echo "FAIL: qpm_dump_diff rejects the dump:"; cat "$tmp/diff.txt"; fail=1
fi
exit $fail
