#!/bin/sh
# qpm_dump_diff on small made-up dumps: identical files pass; one ulp, a
# signed zero, an integer, a text or a missing line fail with status 1 and
# are named; duplicate keys and malformed lines are input errors (status 2).
set -u
diff=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
printf '%s\n' '# run' 'f.a 0 0x1p+0' 'f.a 1 0x1.8p+1' 'g.b status 0' \
  'g.b message x = 1: must be > 2' 'h.c 0 -0x0p+0' > "$tmp/a"
# expect STATUS PATTERN FILE: runs A against FILE
expect() {
  "$diff" "$tmp/a" "$tmp/$3" > "$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -ne "$1" ] || ! grep -q -- "$2" "$tmp/out"; then
    echo "FAIL: against $3: status $rc (want $1), pattern '$2':"; cat "$tmp/out"; fail=1
  else
    echo "ok: $3"
  fi
}
cp "$tmp/a" "$tmp/same"
expect 0 "IDENTICAL: all 5 values" same
sed 's/^f.a 1 .*/f.a 1 0x1.8000000000001p+1/' "$tmp/a" > "$tmp/ulp"
expect 1 "f.a 1: 0x1.8p+1 | 0x1.8000000000001p+1  (1 ulp" ulp
sed 's/^h.c 0 .*/h.c 0 0x0p+0/' "$tmp/a" > "$tmp/zero"
expect 1 "signed zero" zero
sed 's/^g.b status 0/g.b status 3/' "$tmp/a" > "$tmp/int"
expect 1 "integer, +3" int
sed 's/must be > 2/must be >= 2/' "$tmp/a" > "$tmp/text"
expect 1 "(text)" text
grep -v '^f.a 0 ' "$tmp/a" > "$tmp/missing"
expect 1 "only in A: f.a 0" missing
sed 's/^f.a 1 /f.a 0 /' "$tmp/a" > "$tmp/dup"
expect 2 "duplicate key" dup
printf 'f.a 0 0x1p+0\nbroken\n' > "$tmp/bad"
expect 2 "is not" bad
exit $fail
