#!/bin/sh
# Proves that the current tree computes exactly what REV computes: every
# result of every public function on fixed inputs, bit for bit.
#
#   scripts/compare-results.sh [--buildtype T] [--show N] [--keep DIR] [--rebuild]
#                              [--only FAMILIES] [REV]
#
# REV defaults to the merge-base of HEAD and main (what a branch started
# from), or to HEAD~1 when HEAD is on main itself (the last commit).
#
# It builds REV's library in a temporary git worktree (its own build
# directory, tests, benchmarks and examples off), builds the current tree's
# library and the dump tool tests/tools/qpm_dump in build-compare/ (both with
# the same buildtype, default debugoptimized, and the same compiler, $CC), runs
# that one dump binary against each library (LD_LIBRARY_PATH; the library
# each run loaded is checked), and compares the two dumps with qpm_dump_diff:
# values compared per family, how many differ, the first differences with
# their distance in ulps.  The current tree is the working tree, uncommitted
# changes included.  REV's library is kept in build-compare/rev/ for the next
# run (--rebuild builds it again).
#
#   --buildtype T   meson buildtype of both builds (default debugoptimized)
#   --show N        differences to list (default 20)
#   --keep DIR      keep the dumps in DIR (rev.txt, current.txt and the
#                   OPENBLAS_NUM_THREADS=2 pass: rev-blas2.txt, current-blas2.txt)
#   --rebuild       build REV's library even if build-compare/rev/ has it
#   --only LIST     only these families (comma-separated: core, rng, pricing,
#                   cov, book, opt, risk), for a quick look while working
#
# Exit status: 0 when every value is identical, 1 when any differs, 2 when
# something could not be built or run.  The dump runs with
# OPENBLAS_NUM_THREADS=1, then cov, opt and risk again with 2: the covariance
# code picks its kernel by the BLAS thread count.
set -eu

usage() {
  sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
}
die() { echo "compare-results: $*" >&2; exit 2; }

buildtype=debugoptimized show=20 keep="" rebuild=0 rev="" only=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --buildtype) [ $# -ge 2 ] || die "--buildtype needs a value"; buildtype=$2; shift 2 ;;
    --buildtype=*) buildtype=${1#*=}; shift ;;
    --show) [ $# -ge 2 ] || die "--show needs a value"; show=$2; shift 2 ;;
    --show=*) show=${1#*=}; shift ;;
    --keep) [ $# -ge 2 ] || die "--keep needs a directory"; keep=$2; shift 2 ;;
    --keep=*) keep=${1#*=}; shift ;;
    --rebuild) rebuild=1; shift ;;
    --only) [ $# -ge 2 ] || die "--only needs a list"; only=$2; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    -*) usage >&2; exit 2 ;;
    *) [ -z "$rev" ] || die "one revision only"; rev=$1; shift ;;
  esac
done

cd "$(dirname "$0")/.."
root=$(pwd)
git rev-parse --git-dir >/dev/null 2>&1 || die "not inside a git checkout"
head=$(git rev-parse HEAD)

if [ -z "$rev" ]; then
  base="" main=""
  for m in main origin/main; do
    if git rev-parse -q --verify "$m^{commit}" >/dev/null; then
      main=$m
      base=$(git merge-base HEAD "$m" 2>/dev/null || true)
      break
    fi
  done
  if [ -n "$base" ] && [ "$base" != "$head" ]; then
    rev=$base; why="merge-base of HEAD and $main"
  else
    rev=HEAD~1; why="HEAD~1: HEAD is on main"
  fi
else
  why="given"
fi
sha=$(git rev-parse -q --verify "$rev^{commit}") || die "unknown revision '$rev'"
short=$(git rev-parse --short "$sha")
dirty=$(git status --porcelain | wc -l | tr -d ' ')
echo "compare-results: REV $short ($why: $(git log -1 --format=%s "$sha" | cut -c1-70))"
echo "compare-results: current tree = HEAD $(git rev-parse --short HEAD)" \
     "+ $dirty uncommitted changes (git status)"

tmp="" out=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  if [ -n "$tmp" ]; then
    git -C "$root" worktree remove --force "$tmp/src" >/dev/null 2>&1 || true
    git -C "$root" worktree prune >/dev/null 2>&1 || true
    rm -rf "$tmp"
  fi
  [ -z "$out" ] || rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# ---- the current tree: library, dump tool and comparator --------------------
cur=$root/build-compare
opts="-Dbuildtype=$buildtype -Dtests=enabled -Dbench=disabled -Dexamples=false -Dpython=disabled"
# Both builds use $CC; meson keeps the compiler a build folder was set up
# with, so a different $CC starts build-compare/ afresh.
ccid=$(printf '%s' "${CC:-cc}" | tr -c 'A-Za-z0-9._-' '_')
if [ -f "$cur/build.ninja" ] && [ "$(cat "$cur/compare-cc" 2>/dev/null)" != "$ccid" ]; then
  echo "compare-results: CC changed: setting up build-compare/ again"
  rm -rf "$cur"
fi
if [ -f "$cur/build.ninja" ]; then
  # shellcheck disable=SC2086
  meson configure "$cur" $opts >/dev/null || die "cannot configure $cur"
else
  # shellcheck disable=SC2086
  meson setup "$cur" $opts >"$root/build-compare.log" 2>&1 ||
    { cat "$root/build-compare.log" >&2; die "meson setup of the current tree failed"; }
  rm -f "$root/build-compare.log"
  printf '%s\n' "$ccid" >"$cur/compare-cc"
fi
meson compile -C "$cur" qpm_dump qpm_dump_diff >"$cur/compare-build.log" 2>&1 ||
  { tail -n 40 "$cur/compare-build.log" >&2; die "building the current tree failed"; }
dump=$cur/tests/qpm_dump
diffexe=$cur/tests/qpm_dump_diff
soname=$(readelf -d "$dump" | sed -n 's/.*NEEDED.*\[\(libqpm\.so[^]]*\)\].*/\1/p')
[ -n "$soname" ] || die "qpm_dump does not link libqpm"
[ -e "$cur/$soname" ] || die "the current build has no $soname"
t_cur=$(now)

# ---- REV: a temporary worktree and build, the library kept -----------------
revlib=$cur/rev/$sha-$buildtype-$ccid
if [ "$rebuild" -eq 1 ] || [ ! -e "$revlib/$soname" ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/qpm-compare.XXXXXX")
  git worktree add --detach --quiet "$tmp/src" "$sha" || die "git worktree add failed"
  # Options that REV's tree does not know are left out (older trees lack some).
  revopts="-Dbuildtype=$buildtype"
  for f in meson_options.txt meson.options; do
    [ -f "$tmp/src/$f" ] || continue
    for o in tests bench python; do
      grep -q "option('$o'" "$tmp/src/$f" && revopts="$revopts -D$o=disabled"
    done
    grep -q "option('examples'" "$tmp/src/$f" && revopts="$revopts -Dexamples=false"
  done
  echo "compare-results: building REV's library (meson setup $revopts)"
  # shellcheck disable=SC2086
  if ! meson setup "$tmp/build" "$tmp/src" $revopts >"$tmp/build.log" 2>&1 ||
     ! meson compile -C "$tmp/build" >>"$tmp/build.log" 2>&1; then
    tail -n 40 "$tmp/build.log" >&2
    die "building REV $short failed"
  fi
  [ -e "$tmp/build/$soname" ] ||
    die "REV $short builds no $soname (another SONAME: the dump tool cannot load it)"
  # into place only when complete, so an interrupted run leaves no half copy
  rm -rf "$revlib" "$revlib.part"
  mkdir -p "$revlib.part"
  for f in "$tmp/build"/libqpm.so*; do
    [ -d "$f" ] || cp -P "$f" "$revlib.part/"
  done
  mv "$revlib.part" "$revlib"
else
  echo "compare-results: reusing REV's library from $revlib (--rebuild to build it again)"
fi
t_rev=$(now)

# ---- dump both and compare --------------------------------------------------
# Pass 1: everything, BLAS on one thread.  Pass 2: the families that call the
# BLAS (cov, opt, risk) with OPENBLAS_NUM_THREADS=2, where the covariance
# fits take the dsyrk path instead of libqpm's own kernel.
out=$(mktemp -d "${TMPDIR:-/tmp}/qpm-dumps.XXXXXX")
run_dump() { # libdir name blas-threads families
  set -- "$1" "$2" "$3" "${4:+--only $4}"
  # shellcheck disable=SC2086
  OPENBLAS_NUM_THREADS=$3 LD_LIBRARY_PATH="$1${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$dump" $4 >"$out/$2.txt" 2>"$out/$2.log" ||
    { cat "$out/$2.log" >&2; die "qpm_dump failed against the $2 library"; }
  want=$(readlink -f "$1/$soname")
  got=$(sed -n 's/^# library [^ ]* //p' "$out/$2.txt" | head -n 1)
  [ "$got" = "$want" ] || die "the $2 run loaded '$got' instead of '$want'"
  echo "compare-results: $2: $(tail -n 1 "$out/$2.log" | sed 's/^qpm_dump: //')"
}
compare() { # name label
  echo
  echo "==== $2"
  rc=0
  "$diffexe" --show "$show" --labels "REV $short" "current tree" "$out/rev$1.txt" \
    "$out/current$1.txt" || rc=$?
  [ "$rc" -le 1 ] || die "qpm_dump_diff failed (status $rc)"
  [ "$rc" -eq 0 ] || status=1
}
blas2=""
for f in cov opt risk; do
  case ",${only:-cov,opt,risk}," in *",$f,"*) blas2="$blas2${blas2:+,}$f" ;; esac
done

t0=$(now)
run_dump "$revlib" rev 1 "$only"
run_dump "$cur" current 1 "$only"
if [ -n "$blas2" ]; then
  run_dump "$revlib" rev-blas2 2 "$blas2"
  run_dump "$cur" current-blas2 2 "$blas2"
fi
t1=$(now)
status=0
compare "" "every family, OPENBLAS_NUM_THREADS=1"
[ -z "$blas2" ] || compare "-blas2" "$blas2 again with OPENBLAS_NUM_THREADS=2 (the BLAS paths)"
t2=$(now)
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$out"/*.txt "$keep/"
  echo "compare-results: dumps kept in $keep"
fi
echo
echo "compare-results: time: current build $(secs "$t_start" "$t_cur") s," \
     "REV build $(secs "$t_cur" "$t_rev") s, dumps $(secs "$t0" "$t1") s," \
     "compare $(secs "$t1" "$t2") s"
if [ "$status" -eq 0 ]; then
  echo "compare-results: IDENTICAL to REV $short"
else
  echo "compare-results: results DIFFER from REV $short"
fi
exit $status
