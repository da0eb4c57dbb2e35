#!/bin/sh
# One version everywhere: VERSION (meson's project version), the three
# defines of include/qpm/version.h, the version meson configured with and
# the built shared library's file name.  (tests/test_core_status.c checks
# that qpm_version_string() and qpm_version_number() match the header.)
set -u
src=$1 meson_version=$2 lib=$3
fail=0
file_version=$(tr -d ' \t\r\n' < "$src/VERSION")
def() { sed -n "s/^#define QPM_VERSION_$1[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*$/\1/p" "$src/include/qpm/version.h"; }
header_version="$(def MAJOR).$(def MINOR).$(def PATCH)"
echo "VERSION $file_version, version.h $header_version, meson $meson_version, $(basename "$lib")"
case $file_version in
  *[!0-9.]*|.*|*.|*..*|"") echo "FAIL: VERSION '$file_version' is not MAJOR.MINOR.PATCH"; fail=1 ;;
esac
[ "$file_version" = "$header_version" ] ||
  { echo "FAIL: VERSION says $file_version, include/qpm/version.h says $header_version"; fail=1; }
[ "$file_version" = "$meson_version" ] ||
  { echo "FAIL: meson was configured with $meson_version (reconfigure)"; fail=1; }
case $(basename "$lib") in
  "libqpm.so.$file_version") ;;
  *) echo "FAIL: the shared library is $(basename "$lib"), expected libqpm.so.$file_version"; fail=1 ;;
esac
[ $fail -eq 0 ] && echo "ok: version $file_version everywhere"
exit $fail
