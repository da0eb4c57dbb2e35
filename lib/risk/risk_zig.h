/* Shared by risk_zig.c and risk_zig_avx512.c: one lane's generators as
 * working copies, the scenario constants of a pass, and the lane's jump
 * draws.  Not a public header. */
#ifndef QPM_RISK_ZIG_H
#define QPM_RISK_ZIG_H

#include <math.h>

#include "risk_internal.h"
#include "rng/rng_internal.h"

static inline qpm__xo qpm__zig_xo_load(const qpm__zig_lanes *L, unsigned l)
{
    qpm__xo x = {{L->x0[l], L->x1[l], L->x2[l], L->x3[l]}};
    return x;
}

static inline void qpm__zig_xo_store(qpm__zig_lanes *L, unsigned l, const qpm__xo *x)
{
    L->x0[l] = x->s[0], L->x1[l] = x->s[1], L->x2[l] = x->s[2], L->x3[l] = x->s[3];
}

/* what a pass needs of the settings */
typedef struct qpm__zig_par {
    double sh;    /* sqrt(horizon) */
    double nu_m2; /* nu - 2 */
    int student, vov, jumps;
    double jl; /* jump intensity over the horizon */
    qpm__gamma_par gp;
} qpm__zig_par;

void qpm__zig_par_init(const struct qpm_risk *r, qpm__zig_par *zp);

/* a scenario's jump counts and jump normals from lane l's pcg stream */
void qpm__zig_jumps(const qpm__zig_par *zp, qpm__zig_lanes *L, unsigned l, size_t n, double *jc,
                    double *je);

#endif
