/* Reference loops for bench_kernels: Black-Scholes price and Greeks as a
 * user writes them in a few minutes with the C library's log, exp and erfc.
 * This file is compiled twice, plain (-O2) and with -O3 -ffast-math plus a
 * vector ISA (gcc then vectorises the loop through glibc's libmvec); KREF
 * names the pair of functions of each build.
 *
 * Inputs: spot S, strike K, expiry T (years), rate r, vol sigma, type +1
 * call / -1 put; no dividend yield.  Outputs as qpm_pricer_out: price,
 * delta, gamma, vega (per 1.00 of vol), theta (-dV/dT per year), rho (per
 * 1.00). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifndef KREF
#error "KREF names this build"
#endif
#define KREF_CAT2(a, b) a##b
#define KREF_CAT(a, b)  KREF_CAT2(a, b)

void KREF_CAT(KREF, _greeks)(size_t n, const double *restrict S, const double *restrict K,
                             const double *restrict T, const double *restrict r,
                             const double *restrict sigma, const int32_t *restrict type,
                             double *restrict price, double *restrict delta, double *restrict gamma,
                             double *restrict vega, double *restrict theta, double *restrict rho);
void KREF_CAT(KREF, _price)(size_t n, const double *restrict S, const double *restrict K,
                            const double *restrict T, const double *restrict r,
                            const double *restrict sigma, const int32_t *restrict type,
                            double *restrict price);

void KREF_CAT(KREF, _greeks)(size_t n, const double *restrict S, const double *restrict K,
                             const double *restrict T, const double *restrict r,
                             const double *restrict sigma, const int32_t *restrict type,
                             double *restrict price, double *restrict delta, double *restrict gamma,
                             double *restrict vega, double *restrict theta, double *restrict rho)
{
    for (size_t i = 0; i < n; i++) {
        double w = (double)type[i];
        double sqt = sqrt(T[i]);
        double sst = sigma[i] * sqt;
        double d1 = (log(S[i] / K[i]) + (r[i] + 0.5 * sigma[i] * sigma[i]) * T[i]) / sst;
        double d2 = d1 - sst;
        double kdf = K[i] * exp(-r[i] * T[i]);
        double pdf = 0.3989422804014327 * exp(-0.5 * d1 * d1);
        double n1 = 0.5 * erfc(-w * d1 * 0.7071067811865476);
        double n2 = 0.5 * erfc(-w * d2 * 0.7071067811865476);
        price[i] = w * (S[i] * n1 - kdf * n2);
        delta[i] = w * n1;
        gamma[i] = pdf / (S[i] * sst);
        vega[i] = S[i] * pdf * sqt;
        theta[i] = -S[i] * pdf * sigma[i] / (2.0 * sqt) - w * r[i] * kdf * n2;
        rho[i] = w * T[i] * kdf * n2;
    }
}

void KREF_CAT(KREF, _price)(size_t n, const double *restrict S, const double *restrict K,
                            const double *restrict T, const double *restrict r,
                            const double *restrict sigma, const int32_t *restrict type,
                            double *restrict price)
{
    for (size_t i = 0; i < n; i++) {
        double w = (double)type[i];
        double sst = sigma[i] * sqrt(T[i]);
        double d1 = (log(S[i] / K[i]) + (r[i] + 0.5 * sigma[i] * sigma[i]) * T[i]) / sst;
        double d2 = d1 - sst;
        double kdf = K[i] * exp(-r[i] * T[i]);
        price[i] = w * (0.5 * S[i] * erfc(-w * d1 * 0.7071067811865476) -
                        0.5 * kdf * erfc(-w * d2 * 0.7071067811865476));
    }
}
