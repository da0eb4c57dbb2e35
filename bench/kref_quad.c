/* High-precision Black-Scholes values for bench_kernels' accuracy column:
 * the formulas of kref_libm.c evaluated in binary128 (__float128 and
 * libquadmath, 113-bit significand), so that the cancellation in an
 * out-of-the-money price (up to 1e-6 of the spot here, losing 20 bits) still
 * leaves some 90 bits.  Where the compiler has no quadmath, long double
 * (64-bit significand) is used instead, which still leaves the 1e-14 errors
 * being measured some three decimal digits clear.  theta_scale is the sum of
 * the magnitudes of theta's two terms: where they cancel, no double
 * evaluation of them can give theta itself to a few ulp, so the bench
 * measures theta's error against that sum. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef KREF_QUADMATH
#include <quadmath.h>
typedef __float128 hp;
#define HP_LOG  logq
#define HP_EXP  expq
#define HP_ERFC erfcq
#define HP_SQRT sqrtq
#define HP_C(x) (__extension__ x##Q)
#else
typedef long double hp;
#define HP_LOG  logl
#define HP_EXP  expl
#define HP_ERFC erfcl
#define HP_SQRT sqrtl
#define HP_C(x) x##L
#endif

const char *kref_quad_kind(void);
void kref_quad_greeks(size_t n, const double *S, const double *K, const double *T, const double *r,
                      const double *sigma, const int32_t *type, double *price, double *delta,
                      double *gamma, double *vega, double *theta, double *rho, double *theta_scale);

const char *kref_quad_kind(void)
{
#ifdef KREF_QUADMATH
    return "binary128 (libquadmath)";
#else
    return "long double";
#endif
}

void kref_quad_greeks(size_t n, const double *S, const double *K, const double *T, const double *r,
                      const double *sigma, const int32_t *type, double *price, double *delta,
                      double *gamma, double *vega, double *theta, double *rho, double *theta_scale)
{
    const hp rs2 = HP_C(0.707106781186547524400844362104849039),
             inv_sqrt_2pi = HP_C(0.398942280401432677939946059934381868);
    for (size_t i = 0; i < n; i++) {
        /* explicit: clang's long double reports -Wdouble-promotion */
        hp s = (hp)S[i], k = (hp)K[i], t = (hp)T[i], rr = (hp)r[i], v = (hp)sigma[i];
        hp w = (hp)type[i];
        hp sqt = HP_SQRT(t), sst = v * sqt;
        hp d1 = (HP_LOG(s / k) + (rr + v * v / 2) * t) / sst, d2 = d1 - sst;
        hp kdf = k * HP_EXP(-rr * t);
        hp pdf = inv_sqrt_2pi * HP_EXP(-d1 * d1 / 2);
        hp n1 = HP_ERFC(-w * d1 * rs2) / 2, n2 = HP_ERFC(-w * d2 * rs2) / 2;
        price[i] = (double)(w * (s * n1 - kdf * n2));
        delta[i] = (double)(w * n1);
        gamma[i] = (double)(pdf / (s * sst));
        vega[i] = (double)(s * pdf * sqt);
        theta[i] = (double)(-s * pdf * v / (2 * sqt) - w * rr * kdf * n2);
        rho[i] = (double)(w * t * kdf * n2);
        /* theta is a difference of the time-decay and the carry terms */
        theta_scale[i] = (double)(s * pdf * v / (2 * sqt) + rr * kdf * n2);
    }
}
