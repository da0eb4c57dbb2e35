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

/* 53 random bits of one output, as a double in (0, 1) (0 redrawn) */
static double open53(qpm__gen *w)
{
    uint64_t k;
    do
        k = qpm__step_dxsm(&w->s, w->inc) >> 11;
    while (k == 0);
    return (double)k * 0x1.0p-53;
}

double qpm__zig_finish(qpm__gen *w, uint64_t b)
{
    for (;;) {
        unsigned i = (unsigned)(b & (QPM__ZIG_N - 1u));
        uint64_t j = b >> 11;
        int neg = (int)((b >> QPM__ZIG_BITS) & 1u);
        double x = (double)j * qpm__zig_kw[i].w;
        if (j < qpm__zig_kw[i].k)
            return neg ? -x : x;
        if (i == 0) {
            /* the tail beyond r: x = r + e1 / r with e1, e2 exponential,
             * accepted when 2 e2 > (e1 / r)^2 */
            const double r = qpm__zig_r;
            for (;;) {
                double xt = -log(open53(w)) / r;
                double yt = -log(open53(w));
                if (yt + yt > xt * xt)
                    return neg ? -(r + xt) : r + xt;
            }
        }
        /* the wedge of layer i: a height uniform between the layer's
         * bottom f(x[i]) and top f(x[i+1]), below the density or not */
        double u = (double)(qpm__step_dxsm(&w->s, w->inc) >> 11) * 0x1.0p-53;
        double y = qpm__zig_f[i] + u * (qpm__zig_f[i + 1] - qpm__zig_f[i]);
        if (y < lane_exp(-0.5 * x * x))
            return neg ? -x : x;
        b = qpm__step_dxsm(&w->s, w->inc);
    }
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

/* the tests of a proposal: 1 with *g set when accepted */
static int mt_tests(qpm__gen *w, double d, double x, double cx, double v, uint64_t k, double *g)
{
    while (k == 0)
        k = qpm__step_dxsm(&w->s, w->inc) >> 11;
    double u = (double)k * 0x1.0p-53;
    double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || v4_log_1(u) < 0.5 * x2 + d * log_term(cx, v)) {
        *g = d * v;
        return 1;
    }
    return 0;
}

double qpm__gamma_zig(qpm__gen *w, const qpm__gamma_par *gp)
{
    for (;;) {
        double x = qpm__zig_normal(w);
        double cx = gp->c * x;
        if (cx <= -1.0)
            continue;
        double v = (1.0 + cx) * (1.0 + cx) * (1.0 + cx);
        double g;
        if (mt_tests(w, gp->d, x, cx, v, qpm__step_dxsm(&w->s, w->inc) >> 11, &g))
            return g;
    }
}

double qpm__gamma_zig_after(qpm__gen *w, const qpm__gamma_par *gp, double x, double cx, double v,
                            uint64_t k)
{
    double g;
    if (mt_tests(w, gp->d, x, cx, v, k, &g))
        return g;
    return qpm__gamma_zig(w, gp);
}
