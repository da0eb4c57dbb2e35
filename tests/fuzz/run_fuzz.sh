#!/bin/sh
# Bounded libFuzzer run of one target on a scratch copy of its seed corpus:
#   run_fuzz.sh <fuzz executable> <seed corpus folder> <seconds>
# Fixed -seed, so that a run is reproducible up to timing.  Exits non-zero
# when libFuzzer finds a crash, a sanitizer report, a leak, a timeout or a
# violated invariant; the input is then saved under fuzz-artifacts/<target>/
# in the build folder (copy it into tests/fuzz/regress/<target>/ once fixed).
# Prints one summary line: executions, corpus inputs before and after, and
# coverage (edges and features) at start and end.
set -u
exe=$1; corpus=$2; secs=$3
name=$(basename "$exe")
target=${name#fuzz_}
work=fuzz-work/$target
art=fuzz-artifacts/$target
rm -rf "$work"
mkdir -p "$work/corpus" "$art"
cp "$corpus"/* "$work/corpus/" 2>/dev/null
before=$(ls "$work/corpus" | wc -l)
log=$work/log.txt
ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
OPENBLAS_NUM_THREADS=1 \
  "$exe" -seed=1 -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$art/" "$work/corpus" >"$log" 2>&1
rc=$?
after=$(ls "$work/corpus" | wc -l)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cov0=$(grep -m1 'INITED' "$log" | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')
cov1=$(grep -E '(DONE|pulse|NEW|REDUCE) ' "$log" | tail -1 |
  sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')
echo "fuzz $target: ${execs:-?} executions in ${secs} s, corpus $before -> $after inputs," \
  "coverage ${cov0:-?} -> ${cov1:-?}"
if [ "$rc" -ne 0 ]; then
  echo "fuzz $target FAILED (rc $rc); input saved in $(pwd)/$art:"
  ls "$art"
  tail -n 60 "$log"
  exit 1
fi
exit 0
