#!/bin/sh
# The reference-folder rule of tests/data/README.md, run on a golden suite:
# the user's QPM_REFDATA (non-empty) wins over meson's QPM_REFDATA_DEFAULT,
# which wins over the copies in the source tree, and a folder without the
# files fails with a message naming the path it tried.
set -u
exe=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty" "$tmp/copy"
cp "$src"/tests/data/refdata/* "$tmp/copy/"
fail=0

# expect: pass, or the folder the failure message must name
check() { # expect what env-assignments...
  expect=$1 what=$2; shift 2
  if out=$(env -u QPM_REFDATA -u QPM_REFDATA_DEFAULT "$@" "$exe" 2>&1); then got=pass; else got=fail; fi
  if [ "$expect" = pass ]; then
    [ $got = pass ] && { echo "ok: $what"; return; }
    echo "FAIL: $what: the suite failed:"; printf '%s\n' "$out" | tail -n 20; fail=1
  elif [ $got = pass ]; then
    echo "FAIL: $what: the suite passed, it should not find its files in $expect"; fail=1
  elif printf '%s\n' "$out" | grep -q "cannot open reference file $expect/.*(set QPM_REFDATA"; then
    echo "ok: $what"
  else
    echo "FAIL: $what: no 'cannot open reference file $expect/... (set QPM_REFDATA ...)' message:"
    printf '%s\n' "$out" | tail -n 20; fail=1
  fi
}

check pass "QPM_REFDATA wins over QPM_REFDATA_DEFAULT" \
  QPM_REFDATA="$tmp/copy" QPM_REFDATA_DEFAULT="$tmp/empty"
check "$tmp/empty" "an empty QPM_REFDATA folder fails, naming the path" \
  QPM_REFDATA="$tmp/empty" QPM_REFDATA_DEFAULT="$tmp/copy"
check pass "an empty QPM_REFDATA value counts as unset" \
  QPM_REFDATA= QPM_REFDATA_DEFAULT="$tmp/copy"
check "$tmp/empty" "QPM_REFDATA_DEFAULT is used when QPM_REFDATA is unset" \
  QPM_REFDATA_DEFAULT="$tmp/empty"
check pass "neither set: the copies in the source tree"
exit $fail
