#!/bin/sh
# Nothing a test, benchmark, example or the demo needs lives outside the
# repository: no tracked file refers to the sibling folder of upstream
# reference data, except tests/data/README.md and the byte-comparison test
# (tests/check_refdata_copy.sh), which exist to talk about it.
# Outside a git checkout (a copy of the tree) every file outside .git and the
# build folders counts.
set -u
src=$1
cd "$src" || exit 1
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if [ -e .git ] && git ls-files >"$list" 2>/dev/null; then
  how="tracked files"
else
  find . \( -path ./.git -o -path './build*' \) -prune -o -type f -print | sed 's,^\./,,' >"$list"
  how="files (no git checkout)"
fi
# the sibling folder as a relative path (dot-dot, slash, shared), or a path
# joined from a quoted 'shared' component (meson's / operator, pathlib)
# one grep over every file (a process per file took tens of seconds on a
# loaded machine with the fuzz corpora); -s: a listed file may be gone
hits=$(grep -v -x -e tests/data/README.md -e tests/check_refdata_copy.sh "$list" |
  tr '\n' '\0' |
  xargs -0 grep -s -I -n -E -e '\.\.[/]shared' -e "[\"']shared[\"'][[:space:]]*/" /dev/null)
if [ -n "$hits" ]; then
  echo "FAIL: these lines refer to a folder outside the repository (use tests/data/refdata):"
  printf '%s\n' "$hits"
  exit 1
fi
echo "ok: $(wc -l < "$list") $how, none refers to a folder outside the repository"
