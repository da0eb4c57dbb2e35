/* Scalar helpers of the implied-volatility core: error-free transformations
 * (double-double), the Mills ratio, the normal CDF and an approximate inverse
 * normal CDF.  Internal; static inline so the
 * solver's hot loop inlines them. */
#ifndef QPM_PRICING_IV_MATH_H
#define QPM_PRICING_IV_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/common.h"

#define QPM__IV_SQRT_2PI 2.5066282746310002       /* sqrt(2 pi) */
#define QPM__IV_INV_SQRT_2PI 0.3989422804014327   /* 1 / sqrt(2 pi) */
#define QPM__IV_SQRT_PI_2 1.2533141373155003      /* sqrt(pi / 2) */
#define QPM__IV_INV_SQRT2 0.7071067811865476      /* 1 / sqrt(2) */
#define QPM__IV_LN_INV_SQRT_2PI (-0.91893853320467274) /* ln(1 / sqrt(2 pi)) */

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

/* ---- Mills ratio -----------------------------------------------------------
 * R(z) = N(-z) / n(z) for z >= 0, to about 2.7 ulp (measured against 40-digit
 * mpmath on 6000 random points).  Rational approximations of degree (6, 6)
 * made for this library (relative least squares on Chebyshev nodes with
 * iterated weights, 60-digit arithmetic): R(z) on [0, 1], [1, 3] and [3, 8],
 * and z R(z) as a function of w = 1/z^2 on [8, inf).  All coefficients are
 * positive, so the evaluation has no cancellation; a table row per interval
 * keeps it free of data-dependent branches. */
static const double qpm__mills_tab[4][13] = {
    {1.2533141373155003, 0.9643122850298589, 0.3928248790796716, 0.08858760953363787,
     0.01123861650074471, 0.0006187537860247438, 8.476820483695028e-08, 1.5672944448207218,
     1.063948945871477, 0.40190542117586053, 0.08950678936648328, 0.011207046403057586,
     0.0006210301864174696},
    {1.2533141344096734, 1.1235574027061994, 0.5062131273998823, 0.1300329918924219,
     0.018944652213469262, 0.0012552544094695524, 5.725176789001794e-09, 1.694353643309839,
     1.2557983526188954, 0.5245178422259117, 0.13135461841548832, 0.018939674838609574,
     0.0012554965003406702},
    {1.253280406204456, 1.376769664767417, 0.7318345450188116, 0.2275532366178473,
     0.041533803312570027, 0.0038750307309619514, 5.0609165835618465e-11, 1.8962585905048992,
     1.5972208892113537, 0.7733133649482956, 0.23143169993582619, 0.041533654417546834,
     0.0038750347454065744},
    {1.0, 66.31663547791392, 1529.7660653768155, 15026.956259747525, 61391.123015845165,
     84013.37092992652, 16961.974617203203, 67.31663547791392, 1594.0827008547294,
     16434.089054168508, 73947.7134996223, 126446.811052577, 53917.51862671646},
};

/* The same table transposed (coefficient-major), for vector gathers. */
static const double qpm__mills_tabT[13][4] = {
    {1.2533141373155003, 1.2533141344096734, 1.253280406204456, 1.0},
    {0.9643122850298589, 1.1235574027061994, 1.376769664767417, 66.31663547791392},
    {0.3928248790796716, 0.5062131273998823, 0.7318345450188116, 1529.7660653768155},
    {0.08858760953363787, 0.1300329918924219, 0.2275532366178473, 15026.956259747525},
    {0.01123861650074471, 0.018944652213469262, 0.041533803312570027, 61391.123015845165},
    {0.0006187537860247438, 0.0012552544094695524, 0.0038750307309619514, 84013.37092992652},
    {8.476820483695028e-08, 5.725176789001794e-09, 5.0609165835618465e-11, 16961.974617203203},
    {1.5672944448207218, 1.694353643309839, 1.8962585905048992, 67.31663547791392},
    {1.063948945871477, 1.2557983526188954, 1.5972208892113537, 1594.0827008547294},
    {0.40190542117586053, 0.5245178422259117, 0.7733133649482956, 16434.089054168508},
    {0.08950678936648328, 0.13135461841548832, 0.23143169993582619, 73947.7134996223},
    {0.011207046403057586, 0.018939674838609574, 0.041533654417546834, 126446.811052577},
    {0.0006210301864174696, 0.0012554965003406702, 0.0038750347454065744, 53917.51862671646},
};


static inline double qpm__mills(double z)
{
    int i = (z >= 1.0) + (z >= 3.0) + (z >= 8.0);
    const double *c = qpm__mills_tab[i];
    double r = 1.0, v = z;
    if (i == 3) {
        r = 1.0 / z;
        v = r * r;
    }
    double v2 = v * v, v4 = v2 * v2;
    double p = (c[0] + c[1] * v) + (c[2] + c[3] * v) * v2 + ((c[4] + c[5] * v) + c[6] * v2) * v4;
    double q = (1.0 + c[7] * v) + (c[8] + c[9] * v) * v2 + ((c[10] + c[11] * v) + c[12] * v2) * v4;
    return r * p / q;
}

/* ---- exponential ---------------------------------------------------------
 * exp(x) inline for the solver's hot path (glibc's exp is an out-of-line call
 * costing several times more): x = (32 m + j) ln2/32 + r, |r| <= ln2/64,
 * exp(x) = 2^m 2^(j/32) exp(r) with 2^(j/32) as a double-double table
 * (40-digit mpmath) and exp(r) - 1 by its Taylor polynomial to r^6 (the next
 * term is below 3.5e-18).  ln2/32 is split so k ln2/32 is exact for |k| <
 * 2^17.  Error below 1 ulp (checked against mpmath on 200000 random points);
 * outside [-708, 709] (and for NaN) it defers to exp(). */
static const double qpm__exp2_tab[32][2] = {
    {1.0, 0.0},
    {1.0218971486541166, 5.109225028973444e-17},
    {1.0442737824274138, 8.551889705537965e-17},
    {1.0671404006768237, -7.899853966841582e-17},
    {1.0905077326652577, -3.046782079812471e-17},
    {1.1143867425958924, 1.0410278456845571e-16},
    {1.1387886347566916, 8.912812676025408e-17},
    {1.1637248587775775, 3.8292048369240935e-17},
    {1.189207115002721, 3.982015231465646e-17},
    {1.215247359980469, -7.712630692681488e-17},
    {1.241857812073484, 4.658027591836937e-17},
    {1.2690509571917332, 2.667932131342186e-18},
    {1.2968395546510096, 2.5382502794888315e-17},
    {1.3252366431597413, -2.8587312100388614e-17},
    {1.3542555469368927, 7.70094837980299e-17},
    {1.383909881963832, -6.770511658794786e-17},
    {1.4142135623730951, -9.667293313452913e-17},
    {1.4451808069770467, -3.0237581349939873e-17},
    {1.4768261459394993, -3.483994556892796e-17},
    {1.5091644275934228, -1.016455327754295e-16},
    {1.5422108254079407, 7.949834809697621e-17},
    {1.5759808451078865, -1.0136916471278304e-17},
    {1.6104903319492543, 2.4707192569797888e-17},
    {1.645755478153965, -1.0125679913674773e-16},
    {1.681792830507429, 8.199010020581497e-17},
    {1.718619298122478, -1.851380418263111e-17},
    {1.7562521603732995, 2.960140695448873e-17},
    {1.7947090750031072, 1.8227458427912087e-17},
    {1.8340080864093424, 3.283107224245627e-17},
    {1.8741676341103, -6.122763413004143e-17},
    {1.9152065613971474, -1.0619946056195963e-16},
    {1.9571441241754002, 8.960767791036668e-17},
};

static inline double qpm__exp(double x)
{
    if (!(x > -708.0 && x < 709.0))
        return exp(x);
    const double shift = 0x1.8p52;
    double z = x * 46.16624130844683 + shift; /* 32/ln2 */
    uint64_t zb;
    memcpy(&zb, &z, sizeof zb);
    double kd = z - shift;
    double r = (x - kd * 0.021660849392446835) - kd * 5.145609244655338e-14;
    int32_t k = (int32_t)(uint32_t)(zb & 0xffffffffu);
    int32_t j = k & 31, m = (k - j) / 32;
    double p = r + r * r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r / 720.0))));
    double t = qpm__exp2_tab[j][0];
    double res = t + (t * p + qpm__exp2_tab[j][1]);
    uint64_t sb = (uint64_t)(m + 1023) << 52;
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    return res * scale;
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
    return QPM__IV_INV_SQRT_2PI * qpm__exp(-0.5 * y * y);
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
    int k = (int)((Ahi - 300.0) * 1.4426950408889634);
    double p1, p2, yh, yl;
    qpm__two_prod((double)k, 0.6931471805599453, &p1, &p2);
    qpm__two_sum(p1, -Ahi, &yh, &yl); /* k ln2 - Ahi, about -300 */
    yl += p2 + (double)k * 2.3190468138462996e-17 - Alo;
    *n = k;
    return exp(yh) * (1.0 + yl);
}

/* The same for a lower-tail probability given by its logarithm ln p <= ln 1/2
 * (p itself may underflow). */
static inline double qpm__ninv_approx_ln(double lnp)
{
    if (lnp > -2.5902671654458267) /* p > 0.075: central part */
        return qpm__ninv_approx(exp(lnp));
    double r = sqrt(-lnp);
    double num, den;
    if (r <= 5.0) {
        num = ((((-0.24891523188206577 * r - 3.887620234154944) * r - 12.970212372174577) * r
                - 4.696873521424784) * r + 11.438676825746313) * r + 3.18450578620063;
        den = (((0.17598346343904048 * r + 2.7515033130868156) * r + 9.609064672152018) * r
               + 7.740359997627973) * r + 1.0;
    } else {
        num = (((((-0.003320514451116696 * r - 0.1296950168299762) * r - 0.7663632233897391) * r
                 - 0.17471836024938409) * r - 0.47374741364186373) * r - 1.4854892435987723) * r
              + 2.0318241727400017;
        den = ((((0.0023479269535917613 * r + 0.09171909665314412) * r + 0.5489671914379908) * r
                + 0.3057383757655657) * r + 0.9103726848322962) * r + 1.0;
    }
    return num / den;
}

/* e^{-r T} as an unevaluated sum *hi + *lo with relative error below 1e-30
 * (defined in implied_vol.c). */
void qpm__iv_discount_dd(double r, double T, double *hi, double *lo);

/* price / e^{-rT} as *ph + *pl (relative error ~1e-30); QPM_E_INVALID when
 * the discount factor leaves the normal double range.  Needs qpm/common.h. */
qpm_status qpm__iv_undiscount(double price, double r, double T, double *ph, double *pl);

#endif /* QPM_PRICING_IV_MATH_H */
