#!/bin/sh
# Proves that the abidiff test guards the stable tier and only that: with
# the abidiff arguments of that test (after --), a baseline of fixture
# variant 0 compares clean against variant 1 (experimental signature
# changed) and variant 3 (experimental function gone), and fails against
# variant 2 (stable signature changed); without the suppression file,
# variant 1 fails too, so the suppression is what lets it through.
#   check_abi_tier.sh ABIDW ABIDIFF FIXTURE_DIR LIB0 LIB1 LIB2 LIB3 -- ABIDIFF_ARGS...
set -u
abidw=$1 abidiff=$2 dir=$3 lib0=$4 lib1=$5 lib2=$6 lib3=$7
shift 7
[ "${1:-}" = "--" ] && shift
fail=0
err() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for lib in "$lib0" "$lib1" "$lib2" "$lib3"; do
  readelf -S "$lib" | grep -q debug_info || { echo "FAIL: $lib has no debug info"; exit 1; }
done
# the baseline as scripts/update-abi.sh writes one
"$abidw" --no-corpus-path --no-comp-dir-path --no-show-locs --headers-dir "$dir" \
  --drop-private-types --out-file "$tmp/base.abi" "$lib0" || { echo "FAIL: abidw"; exit 1; }
grep -q "qpm_fixture_experimental" "$tmp/base.abi" || err "the baseline lacks the experimental function"

run() { # expected-rc-class label lib args...
  want=$1 label=$2 lib=$3; shift 3
  "$abidiff" "$@" --hd2 "$dir" "$tmp/base.abi" "$lib" > "$tmp/out" 2>&1
  rc=$?
  if [ "$want" = clean ] && [ $rc -ne 0 ]; then
    err "$label: abidiff rc $rc, expected 0"; cat "$tmp/out"
  elif [ "$want" = change ] && [ $rc -eq 0 ]; then
    err "$label: abidiff rc 0, expected an ABI change"
  else
    echo "ok: $label (abidiff rc $rc)"
  fi
}
run clean "experimental signature changed" "$lib1" "$@"
run clean "experimental function removed" "$lib3" "$@"
run change "stable signature changed" "$lib2" "$@"
run clean "no change" "$lib0" "$@"
# the same arguments less the suppression file
plain=""
skip=0
for a in "$@"; do
  if [ $skip -eq 1 ]; then skip=0; continue; fi
  case $a in --suppressions|--suppr) skip=1 ;; *) plain="$plain $a" ;; esac
done
# shellcheck disable=SC2086
run change "experimental signature changed, no suppression file" "$lib1" $plain
exit $fail
