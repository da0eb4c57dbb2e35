/* Ziggurat normals (rng_internal.h): the draws the accepted-at-once test
 * leaves, and the Marsaglia-Tsang gamma on ziggurat proposals: the scalar
 * reference of the Monte Carlo's QPM_RISK_NORMALS_ZIGGURAT, whose AVX-512
 * build (lib/risk/risk_zig_avx512.c) runs the same steps in lanes (the
 * exp and log of num/v4math.h, whose lanes have the same bits) and comes
 * here, one lane at a time, for the tail beyond r only. */
#include <math.h>

#include "num/v4math.h"
#include "rng/rng_internal.h"

/* exp of one value with the lanes' operations (num/vlanes.h) */
static double lane_exp(double t)
{
    v4d e = v4_exp((v4d){t, t, t, t});
    return e[0];
}

/* 1 - v + log v for v = (1 + w)^3, w > -1 */
static double log_term(double w, double v)
{
    if (fabs(w) < 0.05) {
        double t;
        QPM__MT_SERIES(double, w, t);
        return t;
    }
    return 1.0 - v + v4_log_1(v);
}

/* The finish of a draw for each generator: pcg64dxsm (qpm__gen: the
 * jumps' normals), and the xoshiro256++ lanes (qpm__xo) of the Monte
 * Carlo's hot draws. */
#define ZG_T       qpm__gen
#define ZG_STEP(w) qpm__step_dxsm(&(w)->s, (w)->inc)
#define ZG(name)   name
#include "rng/zig_body.h"

#define ZG_T       qpm__xo
#define ZG_STEP(w) qpm__xo_next(w)
#define ZG(name)   name##_xo
#include "rng/zig_body.h"

/* The chi-square's gamma, on the xoshiro256++ lanes. */
/* the tests of a proposal: 1 with *g set when accepted */
static int mt_tests(qpm__xo *w, double d, double x, double cx, double v, uint64_t k, double *g)
{
    while (k == 0)
        k = qpm__xo_next(w) >> 11;
    double u = (double)k * 0x1.0p-53;
    double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || v4_log_1(u) < 0.5 * x2 + d * log_term(cx, v)) {
        *g = d * v;
        return 1;
    }
    return 0;
}

double qpm__gamma_zig_xo(qpm__xo *w, const qpm__gamma_par *gp)
{
    for (;;) {
        double x = qpm__zig_normal_xo(w);
        double cx = gp->c * x;
        if (cx <= -1.0)
            continue;
        double v = (1.0 + cx) * (1.0 + cx) * (1.0 + cx);
        double g;
        if (mt_tests(w, gp->d, x, cx, v, qpm__xo_next(w) >> 11, &g))
            return g;
    }
}

double qpm__gamma_zig_after_xo(qpm__xo *w, const qpm__gamma_par *gp, double x, double cx, double v,
                               uint64_t k)
{
    double g;
    if (mt_tests(w, gp->d, x, cx, v, k, &g))
        return g;
    return qpm__gamma_zig_xo(w, gp);
}
