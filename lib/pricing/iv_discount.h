/* e^{-rT} in double-double, shared by the generic and the AVX2+FMA
 * translation units (the latter inlines fma instead of calling libm).
 * Internal; include after iv_math.h. */
#ifndef QPM_PRICING_IV_DISCOUNT_H
#define QPM_PRICING_IV_DISCOUNT_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/common.h"
#include "pricing/iv_math.h"

/* 2^(j/256), j = 0..255, as double-double (implied_vol.c). */
extern const double qpm__exp2_256[256][2];

/* double-double arithmetic in (hi, lo) pairs, |lo| <= ulp(hi)/2. */
typedef struct qpm__dd {
    double hi, lo;
} qpm__dd;

static inline qpm__dd qpm__dd_norm(double a, double b)
{
    qpm__dd r;
    qpm__two_sum(a, b, &r.hi, &r.lo);
    return r;
}

static inline qpm__dd qpm__dd_mul(qpm__dd a, qpm__dd b)
{
    double p, e;
    qpm__two_prod(a.hi, b.hi, &p, &e);
    e += a.hi * b.lo + a.lo * b.hi;
    return qpm__dd_norm(p, e);
}

static inline qpm__dd qpm__dd_add(qpm__dd a, qpm__dd b)
{
    double s, e;
    qpm__two_sum(a.hi, b.hi, &s, &e);
    e += a.lo + b.lo;
    return qpm__dd_norm(s, e);
}

/* ln 2 / 256 = C1 + C2 + C3 (Cody-Waite): C1 has 32 significant bits, so
 * k C1 is exact for |k| < 2^21; C2 and C3 carry the rest to ~2^-140. */
#define L256_C1 0.0027076061742263846
#define L256_C2 (-1.6409824502660487e-13)
#define L256_C3 (-5.1268353194473654e-30)
#define INV_L256 369.3299304675746
/* 1/k! as double-double for k = 3, 4 (1/2 is exact) */
#define INVF3_HI 0.16666666666666666
#define INVF3_LO 9.25185853854297e-18
#define INVF4_HI 0.041666666666666664
#define INVF4_LO 2.3129646346357427e-18

/* e^{-rT} = 2^m 2^{j/256} e^y with k = 256 m + j the nearest integer to
 * -rT 256/ln2 and |y| <= ln2/512: the table gives 2^{j/256} to 2^-106, and
 * expm1(y) is a degree-9 Taylor polynomial whose terms of degree <= 4 are
 * evaluated in double-double (their size needs it) and the rest in double.
 * The product -rT itself is carried exactly (fma remainder). */
static inline void qpm__iv_discount_dd_body(double r, double T, double *hi, double *lo)
{
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
    double kd = nearbyint(a * INV_L256);
    long k = (long)kd;
    int j = (int)(k & 255); /* two's complement: j in [0, 255] */
    int m = (int)((k - j) / 256);
    double s = a - kd * L256_C1; /* both steps exact */
    double p2, e2;
    qpm__two_prod(kd, L256_C2, &p2, &e2);
    double h, l;
    qpm__two_sum(s, -p2, &h, &l);
    l += al - e2 - kd * L256_C3;
    qpm__dd y = qpm__dd_norm(h, l);
    double yh = y.hi;
    double q = 1.0 / 120 +
               yh * (1.0 / 720 + yh * (1.0 / 5040 + yh * (1.0 / 40320 + yh * (1.0 / 362880))));
    qpm__dd p = qpm__dd_add((qpm__dd){INVF4_HI, INVF4_LO}, qpm__dd_mul(y, (qpm__dd){q, 0.0}));
    p = qpm__dd_add((qpm__dd){INVF3_HI, INVF3_LO}, qpm__dd_mul(y, p));
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

/* price / e^{-rT} as *ph + *pl; see qpm__iv_undiscount. */
static inline qpm_status qpm__iv_undiscount_body(double price, double r, double T, double *ph, double *pl)
{
    double dh, dl;
    qpm__iv_discount_dd_body(r, T, &dh, &dl);
    if (!(dh > DBL_MIN) || !isfinite(dh))
        return QPM_E_INVALID;
    double q1 = price / dh;
    double rem = fma(-q1, dh, price) - q1 * dl;
    double q2 = rem / dh;
    qpm__two_sum(q1, q2, ph, pl);
    /* an undiscounted price beyond DBL_MAX lies above both bounds, F and K */
    if (!isfinite(*ph))
        return QPM_E_ARBITRAGE;
    return QPM_OK;
}

/* qpm__iv_undiscount compiled with FMA instructions inline (iv_avx2.c); call
 * only where the CPU has AVX2 and FMA. */
qpm_status qpm__iv_undiscount_fma(double price, double r, double T, double *ph, double *pl);

#endif /* QPM_PRICING_IV_DISCOUNT_H */
