/* The exponential and logarithm family (internal): one set of constants,
 * one 2^(j/256) table (exp2_table.h), scalar members here, vector members
 * (any ISA of the SIMD vocabulary) in vexp_log.h.  The members are not
 * copies: each has its own accuracy, range and cost, and results that
 * differ in the last bits, so a kernel keeps the member it was validated
 * with (changing one changes results).
 *
 *   member              form     method                                 largest error
 *   qpm__exp            scalar   2^(j/32) table, Taylor to r^6          0.6 ulp
 *   qpm__exp_neg_dd     scalar   2^(j/256) table, double-double         1e-30 relative
 *   qv_exp, qv_exp_in,  vector   no table, |r| <= ln2/2, 1 + r + r^2 q  0.9 ulp
 *     qv_exp_neg,                with q of degree 10
 *     qv_expneg_in
 *   qv_expm1_small      vector   the same q, |x| < 1                    2.3 ulp
 *   qv_exp_tab4         vector   2^(j/4) table, Taylor to r^10          0.7 ulp
 *   qv_log              vector   s = f/(2+f), atanh series to s^22      0.8 ulp
 *                                (Estrin's form)
 *   qv_log_atanh        vector   f = (m-1)/(m+1), series to f^23        1.8 ulp
 *
 * Users: the pricing kernels (qv_exp..., qv_log), the implied-volatility
 * solver (qpm__exp, qpm__exp_neg_dd; qv_exp_tab4, qv_log_atanh in its
 * vector kernel).  The errors are the largest seen against long-double
 * references on 2 10^6 random arguments over each member's range
 * (tests/test_num_vmath.c checks them on every run); the vector forms do
 * the same operations in every lane and in the one-lane vocabulary. */
#ifndef QPM_NUM_EXP_LOG_H
#define QPM_NUM_EXP_LOG_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "num/dd.h"
#include "num/exp2_table.h"

/* ---- constants --------------------------------------------------------------
 * Argument reduction of the table-free exponential: x = k ln2 + r with
 * k = round(x log2(e)), ln2 = LN2_HI + LN2_LO.
 *
 * q(r) = (e^r - 1 - r)/r^2, so that e^r = 1 + r (1 + r q) and e^r - 1 =
 * r (1 + r q): the part shared by exp and expm1.  Degree 10 for |r| <=
 * ln2/2: the Chebyshev interpolant of degree 29 of q on that interval
 * (mpmath, 50 digits) truncated to degree 10 and converted to the monomial
 * basis, coefficients rounded once; 1 + r + r^2 q is then within 3.5e-19
 * relative of e^r (2001 points).  QPM__EXPQ_10 is the leading coefficient,
 * QPM__EXPQ_0 the constant term (1/2). */
#define QPM__LOG2E 0x1.71547652b82fep+0
#define QPM__LN2_HI 0x1.62e42fefa39efp-1
#define QPM__LN2_LO 0x1.abc9e3b39803fp-56

#define QPM__EXPQ_10 0x1.1f7f20647c7b9p-29
#define QPM__EXPQ_9 0x1.af4dde4b9be8cp-26
#define QPM__EXPQ_8 0x1.27e4d41d338f2p-22
#define QPM__EXPQ_7 0x1.71de0236eabcbp-19
#define QPM__EXPQ_6 0x1.a01a01a9e8290p-16
#define QPM__EXPQ_5 0x1.a01a01abe6549p-13
#define QPM__EXPQ_4 0x1.6c16c16c15a6cp-10
#define QPM__EXPQ_3 0x1.11111111100dfp-7
#define QPM__EXPQ_2 0x1.5555555555557p-5
#define QPM__EXPQ_1 0x1.5555555555557p-3
#define QPM__EXPQ_0 0x1.0000000000000p-1

/* Table-driven reductions, x = k ln2/N + r: 32/ln2 and ln2/32 = HI + LO,
 * HI with trailing zeros so that k HI is exact for |k| < 2^17 (the N = 4
 * member uses the same constants times 8, exactly). */
#define QPM__INV_LN2_32 46.16624130844683
#define QPM__LN2_32_HI 0.021660849392446835
#define QPM__LN2_32_LO 5.145609244655338e-14
/* 256/ln2 and ln2/256 = C1 + C2 + C3 (Cody-Waite): C1 has 32 significant
 * bits, so k C1 is exact for |k| < 2^21; C2 and C3 carry the rest to
 * ~2^-140. */
#define QPM__INV_LN2_256 369.3299304675746
#define QPM__LN2_256_C1 0.0027076061742263846
#define QPM__LN2_256_C2 (-1.6409824502660487e-13)
#define QPM__LN2_256_C3 (-5.1268353194473654e-30)

/* ---- scalar members --------------------------------------------------------- */

/* exp(x) inline, for hot scalar loops (libm's exp is an out-of-line call
 * costing several times more): x = (32 m + j) ln2/32 + r, |r| <= ln2/64,
 * exp(x) = 2^m 2^(j/32) exp(r) with 2^(j/32) in double-double and exp(r) - 1
 * by its Taylor polynomial to r^6 (the next term is below 3.5e-18).  Error
 * below 1 ulp (checked against mpmath on 200000 random points); outside
 * [-708, 709] (and for NaN) it defers to exp(). */
static inline double qpm__exp(double x)
{
    if (!(x > -708.0 && x < 709.0))
        return exp(x);
    const double shift = 0x1.8p52;
    double z = x * QPM__INV_LN2_32 + shift;
    uint64_t zb;
    memcpy(&zb, &z, sizeof zb);
    double kd = z - shift;
    double r = (x - kd * QPM__LN2_32_HI) - kd * QPM__LN2_32_LO;
    int32_t k = (int32_t)(uint32_t)(zb & 0xffffffffu);
    int32_t j = k & 31, m = (k - j) / 32;
    double p = r + r * r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r / 720.0))));
    double t = qpm__exp2_256[8 * j][0];
    double res = t + (t * p + qpm__exp2_256[8 * j][1]);
    uint64_t sb = (uint64_t)(m + 1023) << 52;
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    return res * scale;
}

/* e^{-r T} as an unevaluated sum *hi + *lo, relative error below 1e-30:
 * e^{-rT} = 2^m 2^{j/256} e^y with k = 256 m + j the nearest integer to
 * -rT 256/ln2 and |y| <= ln2/512; the table gives 2^{j/256} to 2^-106, and
 * expm1(y) is a degree-9 Taylor polynomial whose terms of degree <= 4 are
 * evaluated in double-double (their size needs it) and the rest in double.
 * The product -rT itself is carried exactly (fma remainder).  -rT beyond
 * +-1400 (or NaN): 0, +inf (or NaN) in *hi, 0 in *lo. */
static inline void qpm__exp_neg_dd(double r, double T, double *hi, double *lo)
{
    /* 1/k! as double-double for k = 3, 4 (1/2 is exact) */
    const qpm__dd inv3 = {0.16666666666666666, 9.25185853854297e-18};
    const qpm__dd inv4 = {0.041666666666666664, 2.3129646346357427e-18};
    double a = -r * T;
    double al = fma(-r, T, -a); /* -rT = a + al exactly */
    if (a == 0.0) {
        *hi = 1.0;
        *lo = 0.0;
        return;
    }
    if (!(fabs(a) < 1400.0)) { /* far outside the double range (or NaN) */
        *hi = a < 0.0 ? 0.0 : a > 0.0 ? (double)INFINITY : a;
        *lo = 0.0;
        return;
    }
    double kd = nearbyint(a * QPM__INV_LN2_256);
    long k = (long)kd;
    int j = (int)(k & 255); /* two's complement: j in [0, 255] */
    int m = (int)((k - j) / 256);
    double s = a - kd * QPM__LN2_256_C1; /* both steps exact */
    double p2, e2;
    qpm__two_prod(kd, QPM__LN2_256_C2, &p2, &e2);
    double h, l;
    qpm__two_sum(s, -p2, &h, &l);
    l += al - e2 - kd * QPM__LN2_256_C3;
    qpm__dd y = qpm__dd_norm(h, l);
    double yh = y.hi;
    double q = 1.0 / 120 +
               yh * (1.0 / 720 + yh * (1.0 / 5040 + yh * (1.0 / 40320 + yh * (1.0 / 362880))));
    qpm__dd p = qpm__dd_add(inv4, qpm__dd_mul(y, (qpm__dd){q, 0.0}));
    p = qpm__dd_add(inv3, qpm__dd_mul(y, p));
    p = qpm__dd_add((qpm__dd){0.5, 0.0}, qpm__dd_mul(y, p));
    qpm__dd e = qpm__dd_add(y, qpm__dd_mul(y, qpm__dd_mul(y, p))); /* expm1(y) */
    qpm__dd t = {qpm__exp2_256[j][0], qpm__exp2_256[j][1]};
    qpm__dd res = qpm__dd_add(t, qpm__dd_mul(t, e));
    if (m > -1000) { /* 2^m is a normal double: scale by a multiplication */
        double sc;
        uint64_t bits = (uint64_t)(m + 1023) << 52;
        memcpy(&sc, &bits, sizeof sc);
        *hi = res.hi * sc;
        *lo = res.lo * sc;
    } else {
        *hi = ldexp(res.hi, m);
        *lo = ldexp(res.lo, m);
    }
}

#endif /* QPM_NUM_EXP_LOG_H */
