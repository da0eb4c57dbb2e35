#!/bin/sh
# Installs the Debian packages libqpm needs to build, test and bench, when any
# is missing.  Sourced or run by scripts/test and scripts/demo.
QPM_PACKAGES="build-essential pkgconf meson ninja-build libopenblas-dev liblapacke-dev \
libcriterion-dev python3 python3-pytest python3-numpy python3-scipy python3-sklearn \
python3-pandas python3-venv python3-mesonpy python3-mypy python3-mpmath \
abigail-tools binutils clang-14 cmake \
libquantlib0-dev"

qpm_missing=""
for p in $QPM_PACKAGES; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
    qpm_missing="$qpm_missing $p"
done
if [ -n "$qpm_missing" ]; then
  echo "installing:$qpm_missing"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $qpm_missing
fi
