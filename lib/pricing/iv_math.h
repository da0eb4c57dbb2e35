/* Scalar helpers of the implied-volatility core: the normal CDF and density
 * and an approximate inverse normal CDF, on the shared numerics of lib/num
 * (double-double, the exponential family, the rational Mills ratio).
 * Internal; static inline so the solver's hot loop inlines them. */
#ifndef QPM_PRICING_IV_MATH_H
#define QPM_PRICING_IV_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "num/dd.h"
#include "num/exp_log.h"
#include "num/mills.h"
#include "num/normal.h"
#include "qpm/common.h"

/* the solver's names for the constants of num/normal.h */
#define QPM__IV_SQRT_2PI QPM__SQRT2PI
#define QPM__IV_INV_SQRT_2PI QPM__RSQRT2PI
#define QPM__IV_SQRT_PI_2 QPM__SQRT_PI_2
#define QPM__IV_INV_SQRT2 QPM__RSQRT2_HI
#define QPM__IV_LN_INV_SQRT_2PI (-QPM__LN_SQRT2PI)

/* Standard normal CDF through erfc, so the lower tail keeps full relative
 * accuracy: N(y) = erfc(-y / sqrt 2) / 2. */
static inline double qpm__ncdf(double y)
{
    return 0.5 * erfc(-y * QPM__IV_INV_SQRT2);
}

/* Standard normal density. */
static inline double qpm__npdf(double y)
{
    return QPM__IV_INV_SQRT_2PI * qpm__exp(-0.5 * y * y);
}

/* ---- approximate inverse normal CDF ----------------------------------------
 * For 0 < p < 1; relative error below 4e-10 over [1e-317, 1 - 1e-16]: enough
 * for an initial guess that Householder steps then polish.  Rational
 * least-squares fits (relative error, weights iterated) made for this
 * library against 40-digit mpmath quantiles: central part in q = p - 1/2 for
 * |q| <= 0.425, tails in r = sqrt(-ln p) on [1.609, 5] and [5, 27].
 * Coefficients highest degree first, for the scalar form here and the vector
 * form of the AVX2 kernel (which evaluates them with FMA). */
static const double qpm__ninv_cnum[5] = {10.974119967848548, -58.617181208725384,
                                         60.500592122956014, -21.583486467042036,
                                         2.506628275261149};
static const double qpm__ninv_cden[5] = {15.177998042596561, -40.84871287822871,
                                         31.946909855116026, -9.657762727708363, 1.0};
static const double qpm__ninv_t1num[6] = {-0.24891523188206577, -3.887620234154944,
                                          -12.970212372174577, -4.696873521424784,
                                          11.438676825746313,  3.18450578620063};
static const double qpm__ninv_t1den[5] = {0.17598346343904048, 2.7515033130868156,
                                          9.609064672152018, 7.740359997627973, 1.0};
static const double qpm__ninv_t2num[7] = {-0.003320514451116696, -0.1296950168299762,
                                          -0.7663632233897391,  -0.17471836024938409,
                                          -0.47374741364186373, -1.4854892435987723,
                                          2.0318241727400017};
static const double qpm__ninv_t2den[6] = {0.0023479269535917613, 0.09171909665314412,
                                          0.5489671914379908,    0.3057383757655657,
                                          0.9103726848322962,    1.0};

/* c[0] x^(n-1) + ... + c[n-1], Horner's rule */
static inline double qpm__horner(const double *c, int n, double x)
{
    double y = c[0];
    for (int k = 1; k < n; k++)
        y = y * x + c[k];
    return y;
}

/* The (negative) quantile of a lower-tail probability with r = sqrt(-ln p),
 * r > 1.6 */
static inline double qpm__ninv_tail(double r)
{
    if (r <= 5.0)
        return qpm__horner(qpm__ninv_t1num, 6, r) / qpm__horner(qpm__ninv_t1den, 5, r);
    return qpm__horner(qpm__ninv_t2num, 7, r) / qpm__horner(qpm__ninv_t2den, 6, r);
}

static inline double qpm__ninv_approx(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double v = q * q;
        return q * qpm__horner(qpm__ninv_cnum, 5, v) / qpm__horner(qpm__ninv_cden, 5, v);
    }
    double pt = q < 0.0 ? p : 1.0 - p;
    double y = qpm__ninv_tail(sqrt(-log(pt)));
    return q < 0.0 ? y : -y;
}

/* exp(-(Ahi + Alo)) * 2^(*n), with *n >= 0 chosen so the result stays a
 * normal double when exp(-Ahi) alone would be subnormal or 0 (Ahi up to
 * 2400); the caller scales back with ldexp(., -*n) after its last product, so
 * a subnormal final result is rounded once.  |Alo| <= 1e-12. */
static inline double qpm__exp_neg_scaled(double Ahi, double Alo, int *n)
{
    if (Ahi < 700.0) {
        *n = 0;
        return exp(-Ahi) * (1.0 - Alo);
    }
    if (!(Ahi <= 2400.0)) { /* exp(-Ahi) is below 2^-3400: 0 for any caller */
        *n = 0;
        return Ahi > 0.0 ? 0.0 : Ahi;
    }
    int k = (int)((Ahi - 300.0) * QPM__LOG2E);
    double p1, p2, yh, yl;
    qpm__two_prod((double)k, QPM__LN2_HI, &p1, &p2);
    qpm__two_sum(p1, -Ahi, &yh, &yl); /* k ln2 - Ahi, about -300 */
    yl += p2 + (double)k * QPM__LN2_LO - Alo;
    *n = k;
    return exp(yh) * (1.0 + yl);
}

/* The same for a lower-tail probability given by its logarithm ln p <= ln 1/2
 * (p itself may underflow). */
static inline double qpm__ninv_approx_ln(double lnp)
{
    if (lnp > -2.5902671654458267) /* p > 0.075: central part */
        return qpm__ninv_approx(exp(lnp));
    return qpm__ninv_tail(sqrt(-lnp));
}

/* e^{-r T} as an unevaluated sum *hi + *lo with relative error below 1e-30
 * (defined in implied_vol.c). */
void qpm__iv_discount_dd(double r, double T, double *hi, double *lo);

/* price / e^{-rT} as *ph + *pl (relative error ~1e-30); QPM_E_INVALID when
 * the discount factor leaves the normal double range.  Needs qpm/common.h. */
qpm_status qpm__iv_undiscount(double price, double r, double T, double *ph, double *pl);

#endif /* QPM_PRICING_IV_MATH_H */
