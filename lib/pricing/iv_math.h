/* Scalar helpers of the implied-volatility core: error-free transformations
 * (double-double), the scaled complementary error function, the normal CDF
 * and an approximate inverse normal CDF.  Internal; static inline so the
 * solver's hot loop inlines them. */
#ifndef QPM_PRICING_IV_MATH_H
#define QPM_PRICING_IV_MATH_H

#include <math.h>

#include "qpm/common.h"

#define QPM__IV_SQRT_2PI 2.5066282746310002       /* sqrt(2 pi) */
#define QPM__IV_INV_SQRT_2PI 0.3989422804014327   /* 1 / sqrt(2 pi) */
#define QPM__IV_SQRT_PI_2 1.2533141373155003      /* sqrt(pi / 2) */
#define QPM__IV_INV_SQRT2 0.7071067811865476      /* 1 / sqrt(2) */
#define QPM__IV_INV_SQRT_PI 0.5641895835477563    /* 1 / sqrt(pi) */

/* ---- error-free transformations --------------------------------------- */

/* a + b = *s + *e exactly (Knuth). */
static inline void qpm__two_sum(double a, double b, double *s, double *e)
{
    double sum = a + b;
    double bb = sum - a;
    *e = (a - (sum - bb)) + (b - bb);
    *s = sum;
}

/* a * b = *p + *e exactly (needs a correctly rounded fma). */
static inline void qpm__two_prod(double a, double b, double *p, double *e)
{
    double prod = a * b;
    *e = fma(a, b, -prod);
    *p = prod;
}

/* ---- scaled complementary error function ---------------------------------
 * erfcx(u) = exp(u^2) erfc(u) for u >= 0, a few ulp relative.  Below 26 the
 * product uses the exact square u^2 = p + e (exp(p + e) = exp(p)(1 + e) to
 * within e^2 <= 1e-26); above, erfc underflows and the asymptotic series
 * erfcx(u) = 1/(u sqrt(pi)) sum_n (-1)^n (2n-1)!! / (2u^2)^n is used, whose
 * ninth term is below 2e-19 for u >= 26. */
static inline double qpm__erfcx(double u)
{
    if (u < 26.0) {
        double p = u * u;
        double e = fma(u, u, -p);
        return exp(p) * erfc(u) * (1.0 + e);
    }
    double z = 0.5 / (u * u);
    double s = 1.0 - 15.0 * z;
    s = 1.0 - 13.0 * z * s;
    s = 1.0 - 11.0 * z * s;
    s = 1.0 - 9.0 * z * s;
    s = 1.0 - 7.0 * z * s;
    s = 1.0 - 5.0 * z * s;
    s = 1.0 - 3.0 * z * s;
    s = 1.0 - z * s;
    return QPM__IV_INV_SQRT_PI / u * s;
}

/* Standard normal CDF through erfc, so the lower tail keeps full relative
 * accuracy: N(y) = erfc(-y / sqrt 2) / 2. */
static inline double qpm__ncdf(double y)
{
    return 0.5 * erfc(-y * QPM__IV_INV_SQRT2);
}

/* Standard normal density. */
static inline double qpm__npdf(double y)
{
    return QPM__IV_INV_SQRT_2PI * exp(-0.5 * y * y);
}

/* Mills ratio R(a) = N(-a) / n(a) for a >= 0. */
static inline double qpm__mills(double a)
{
    return QPM__IV_SQRT_PI_2 * qpm__erfcx(a * QPM__IV_INV_SQRT2);
}

/* ---- approximate inverse normal CDF ----------------------------------------
 * For 0 < p < 1; relative error below 4e-10 over [1e-317, 1 - 1e-16]: enough
 * for an initial guess that Householder steps then polish.  Rational
 * least-squares fits (relative error, weights iterated) made for this
 * library against 40-digit mpmath quantiles: central part in q = p - 1/2 for
 * |q| <= 0.425, tails in r = sqrt(-ln p) on [1.609, 5] and [5, 27]. */
static inline double qpm__ninv_approx(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double v = q * q;
        double num = (((10.974119967848548 * v - 58.617181208725384) * v + 60.500592122956014) * v
                      - 21.583486467042036) * v + 2.506628275261149;
        double den = (((15.177998042596561 * v - 40.84871287822871) * v + 31.946909855116026) * v
                      - 9.657762727708363) * v + 1.0;
        return q * num / den;
    }
    double pt = q < 0.0 ? p : 1.0 - p;
    double r = sqrt(-log(pt));
    double y;
    if (r <= 5.0) {
        double num = ((((-0.24891523188206577 * r - 3.887620234154944) * r - 12.970212372174577) * r
                       - 4.696873521424784) * r + 11.438676825746313) * r + 3.18450578620063;
        double den = (((0.17598346343904048 * r + 2.7515033130868156) * r + 9.609064672152018) * r
                      + 7.740359997627973) * r + 1.0;
        y = num / den;
    } else {
        double num = (((((-0.003320514451116696 * r - 0.1296950168299762) * r - 0.7663632233897391) * r
                        - 0.17471836024938409) * r - 0.47374741364186373) * r - 1.4854892435987723) * r
                     + 2.0318241727400017;
        double den = ((((0.0023479269535917613 * r + 0.09171909665314412) * r + 0.5489671914379908) * r
                       + 0.3057383757655657) * r + 0.9103726848322962) * r + 1.0;
        y = num / den;
    }
    return q < 0.0 ? y : -y;
}

/* exp(-(Ahi + Alo)) * 2^(*n), with *n >= 0 chosen so the result stays a
 * normal double when exp(-Ahi) alone would be subnormal or 0 (Ahi up to
 * ~1700); the caller scales back with ldexp(., -*n) after its last product,
 * so a subnormal final result is rounded once.  |Alo| <= 1e-12. */
static inline double qpm__exp_neg_scaled(double Ahi, double Alo, int *n)
{
    if (Ahi < 700.0) {
        *n = 0;
        return exp(-Ahi) * (1.0 - Alo);
    }
    int k = (int)((Ahi - 300.0) * 1.4426950408889634);
    double p1, p2, yh, yl;
    qpm__two_prod((double)k, 0.6931471805599453, &p1, &p2);
    qpm__two_sum(p1, -Ahi, &yh, &yl); /* k ln2 - Ahi, about -300 */
    yl += p2 + (double)k * 2.3190468138462996e-17 - Alo;
    *n = k;
    return exp(yh) * (1.0 + yl);
}

/* e^{-r T} as an unevaluated sum *hi + *lo with relative error below 1e-30
 * (defined in implied_vol.c). */
void qpm__iv_discount_dd(double r, double T, double *hi, double *lo);

/* price / e^{-rT} as *ph + *pl (relative error ~1e-30); QPM_E_INVALID when
 * the discount factor leaves the normal double range.  Needs qpm/common.h. */
qpm_status qpm__iv_undiscount(double price, double r, double T, double *ph, double *pl);

#endif /* QPM_PRICING_IV_MATH_H */
