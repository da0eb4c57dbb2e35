#!/bin/sh
# Copies the source tree SRC to DST as a fresh clone would have it: in a git
# checkout the tracked files plus new files not yet added (ignored ones such
# as build folders left out), otherwise every file outside .git and build*.
# Modification times are kept, so a build of a refreshed copy recompiles
# only what changed.
#   sh scripts/copy-tree.sh SRC DST
set -eu
src=$1 dst=$2
mkdir -p "$dst"
cd "$src"
if [ -e .git ] && git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard
else
  find . \( -path ./.git -o -path './build*' \) -prune -o \( -type f -o -type l \) -print0
fi | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$dst"
