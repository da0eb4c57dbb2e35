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

/* The samplers for each generator: pcg64dxsm (qpm__gen), and the
 * xoshiro256++ lanes (qpm__xo) of the Monte Carlo's hot draws. */
#define ZG_T       qpm__gen
#define ZG_STEP(w) qpm__step_dxsm(&(w)->s, (w)->inc)
#define ZG(name)   name
#define ZG_NORMAL  qpm__zig_normal
#include "rng/zig_body.h"

#define ZG_T       qpm__xo
#define ZG_STEP(w) qpm__xo_next(w)
#define ZG(name)   name##_xo
#define ZG_NORMAL  qpm__zig_normal_xo
#include "rng/zig_body.h"
