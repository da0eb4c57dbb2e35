#!/bin/sh
# tests/data/refdata holds byte-identical copies of upstream reference files:
#  1. tests/data/README.md lists exactly the files in the folder;
#  2. when the upstream set sits beside the source tree (../shared/refdata),
#     every copy equals its upstream file byte for byte.  Without it the test
#     reports SKIP (exit 77) once the list agrees.
set -u
src=$1
dir=$src/tests/data/refdata
upstream=$src/../shared/refdata
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n '/^Copied:/,/^Not copied/s/^    \([A-Za-z0-9_.-]*\)$/\1/p' "$src/tests/data/README.md" |
  sort > "$tmp/listed"
(cd "$dir" && ls -A) | sort > "$tmp/present"
[ -s "$tmp/present" ] || { echo "FAIL: $dir is empty"; exit 1; }
if ! cmp -s "$tmp/listed" "$tmp/present"; then
  echo "FAIL: tests/data/README.md and tests/data/refdata disagree (< listed only, > present only):"
  diff "$tmp/listed" "$tmp/present" | grep '^[<>]'
  fail=1
fi

if [ ! -d "$upstream" ]; then
  echo "list ok ($(wc -l < "$tmp/present") files); no upstream set at $upstream: byte comparison skipped"
  [ $fail -eq 0 ] && exit 77
  exit 1
fi
n=0
while read -r f; do
  if [ ! -f "$upstream/$f" ]; then
    echo "FAIL: $f is not in the upstream set $upstream"; fail=1
  elif ! cmp "$dir/$f" "$upstream/$f"; then
    echo "FAIL: tests/data/refdata/$f differs from $upstream/$f"; fail=1
  else
    n=$((n + 1))
  fi
done < "$tmp/present"
[ $fail -eq 0 ] && echo "ok: $n files byte-identical to $upstream"
exit $fail
