#!/bin/sh
# Cross-builds libqpm for aarch64 (gcc, warnings as errors; no tests or
# benchmarks, whose Criterion and OpenBLAS are not installed for that
# target) in build-aarch64/, then checks under qemu-user that
#  1. the scalar pricing kernel, which on aarch64 is the vector formulation
#     in portable C (lib/pricing/black_c.c), gives the bits it gives on this
#     x86 machine (where, with AVX2 and FMA, it is the same code built with
#     -mfma): every output of 2,000 options of each model and settlement,
#     special regions included, printed in hexadecimal and compared;
#  2. the option-chain example prints the same table.
# Needs an x86-64 machine with AVX2 and FMA; installs gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and qemu-user when they are missing (apt-get).
set -eu
cd "$(dirname "$0")/.."
need=""
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
command -v qemu-aarch64 >/dev/null 2>&1 || need="$need qemu-user"
if [ -n "$need" ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $need
fi
if ! grep -q ' fma ' /proc/cpuinfo || ! grep -q ' avx2 ' /proc/cpuinfo; then
  echo "check-aarch64: this CPU lacks AVX2 or FMA (its scalar kernel is black.c's)"
  exit 1
fi

dir=build-aarch64
mkdir -p "$dir"
cat > "$dir/cross.ini" <<'EOF'
[binaries]
c = 'aarch64-linux-gnu-gcc'
cpp = 'aarch64-linux-gnu-g++'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
exe_wrapper = ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu']

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'aarch64'
endian = 'little'
EOF
if [ ! -f "$dir/build/build.ninja" ]; then
  meson setup "$dir/build" --cross-file "$dir/cross.ini" -Dtests=disabled -Dbench=disabled \
    -Dpython=disabled -Dquantlib=disabled -Dwerror=true
fi
meson compile -C "$dir/build"
[ -f build/build.ninja ] || meson setup build
meson compile -C build qpm:shared_library examples/option_chain

# 1. the scalar kernel's bits, through the public API
cat > "$dir/scalar_bits.c" <<'EOF'
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "qpm/qpm.h"
enum { N = 2000 };
static uint64_t st = 0x616172636836ull;
static double unif(double lo, double hi)
{
    st = st * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (double)(st >> 11) * 0x1p-53;
}
int main(void)
{
    static double u[N], k[N], T[N], r[N], q[N], s[N], o[12][N];
    static int32_t ty[N];
    const qpm_model models[2] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76};
    for (int mi = 0; mi < 2; mi++)
        for (int se = 0; se < 2; se++) {
            for (int i = 0; i < N; i++) {
                u[i] = exp(unif(log(1.0), log(2e5)));
                k[i] = u[i] * exp(unif(-2.0, 2.0));
                T[i] = exp(unif(log(1.0 / 8760), log(5.0)));
                r[i] = unif(-0.05, 0.15);
                q[i] = i % 3 ? unif(-0.05, 0.1) : 0.0;
                s[i] = exp(unif(log(0.01), log(3.0)));
                ty[i] = unif(0.0, 1.0) < 0.5 ? QPM_CALL : QPM_PUT;
                switch (i % 11) { /* special regions */
                case 1: T[i] = 0.0; break;
                case 3: s[i] = 0.0; break;
                case 5: k[i] = u[i]; break;
                case 7: k[i] = u[i] * 6.0, s[i] = 0.05, T[i] = 0.02; break;
                case 9: s[i] = 1e-9, T[i] = 1e-6; break;
                default: break;
                }
            }
            qpm_pricer *p;
            if (qpm_pricer_create(&p, NULL, models[mi], (qpm_settlement)se) != QPM_OK ||
                qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_SCALAR) != QPM_OK)
                return 1;
            qpm_pricer_out out = {sizeof out, o[0], o[1], o[2], o[3], o[4], o[5],
                                  o[6], o[7], o[8], o[9], o[10], o[11]};
            for (int i0 = 0, n = 1; i0 < N; i0 += n, n = n % 7 + 1) {
                int m = i0 + n <= N ? n : N - i0;
                for (int f = 0; f < 12; f++)
                    (&out.price)[f] = o[f] + i0;
                qpm_status sc = qpm_pricer_price(p, (size_t)m, u + i0, k + i0, T + i0, r + i0,
                                                 mi == 0 ? q + i0 : NULL, s + i0, ty + i0, &out);
                if (sc != QPM_OK) {
                    fprintf(stderr, "%s\n", qpm_last_error());
                    return 1;
                }
            }
            for (int i = 0; i < N; i++)
                for (int f = 0; f < 12; f++)
                    printf("%d %d %d %d %a\n", mi, se, i, f, o[f][i]);
            qpm_pricer_free(p);
        }
    return 0;
}
EOF
cc -O2 -std=c11 -DQPM_EXPERIMENTAL -Iinclude "$dir/scalar_bits.c" -o "$dir/scalar_bits_native" \
  -Lbuild -lqpm -Wl,-rpath,"$PWD/build" -lm
aarch64-linux-gnu-gcc -O2 -std=c11 -DQPM_EXPERIMENTAL -Iinclude "$dir/scalar_bits.c" \
  -o "$dir/scalar_bits_aarch64" -L"$dir/build" -lqpm -Wl,-rpath,"$PWD/$dir/build" -lm
"$dir/scalar_bits_native" > "$dir/scalar_native.txt"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$dir/scalar_bits_aarch64" > "$dir/scalar_aarch64.txt"
if ! cmp -s "$dir/scalar_native.txt" "$dir/scalar_aarch64.txt"; then
  echo "FAIL: the scalar kernel's bits differ on aarch64:"
  diff "$dir/scalar_native.txt" "$dir/scalar_aarch64.txt" | head -n 20
  exit 1
fi
echo "ok: the scalar kernel gives the same bits on aarch64 ($(wc -l < "$dir/scalar_native.txt") values)"

# 2. the option-chain example
build/examples/option_chain > "$dir/chain_native.txt"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$dir/build/examples/option_chain" > "$dir/chain_aarch64.txt"
if ! cmp -s "$dir/chain_native.txt" "$dir/chain_aarch64.txt"; then
  echo "FAIL: the option-chain example prints differently on aarch64:"
  diff "$dir/chain_native.txt" "$dir/chain_aarch64.txt" | head -n 20
  exit 1
fi
echo "ok: the option-chain example prints the same table on aarch64"
