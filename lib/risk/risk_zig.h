/* Shared by risk_zig.c and risk_zig_avx512.c: one lane's generators as
 * working copies, the scenario constants of a pass, and the lane's jump
 * draws.  Not a public header. */
#ifndef QPM_RISK_ZIG_H
#define QPM_RISK_ZIG_H

#include <math.h>

#include "num/v4math.h"
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

#define QPM__ZIG_CHI_MAX 16

/* a uniform on (0, 1], ((b >> 11) + 1) 2^-53 for the lane's next output b */
static inline double qpm__zig_unit_xo(qpm__xo *x)
{
    return (double)((qpm__xo_next(x) >> 11) + 1u) * 0x1.0p-53;
}

/* A scenario's chi-square with nu degrees of freedom from its lane (the
 * scalar reference of the AVX-512 build's chi8):
 * - nu an integer up to QPM__ZIG_CHI_MAX: chi = -2 log(U1 ... Uk) (+ z^2
 *   for odd nu), k = floor(nu/2), the product of the k uniforms formed left
 *   to right; -2 log of a product of k uniforms is a chi-square with 2k
 *   degrees of freedom (a sum of k exponentials of mean 2), and z^2 one
 *   with 1.  Exact, and one logarithm whatever k.
 * - any other nu: 2 Gamma(nu/2) by qpm__gamma_zig_xo. */
static inline double qpm__zig_chi_xo(qpm__xo *x, const qpm__zig_par *zp)
{
    if (zp->chi_k == 0)
        return 2.0 * qpm__gamma_zig_xo(x, &zp->gp);
    double p = 1.0; /* 1 U1 = U1 exactly */
    for (int i = 0; i < zp->chi_k; i++)
        p *= qpm__zig_unit_xo(x);
    double chi = -2.0 * v4_log_1(p);
    if (zp->chi_odd) {
        double z = qpm__zig_normal_xo(x);
        chi += z * z;
    }
    return chi;
}

/* the settings a pass needs, into zp */
void qpm__zig_par_init(const struct qpm_risk *r, qpm__zig_par *zp);

/* a scenario's jump counts and jump normals from lane l's pcg stream */
void qpm__zig_jumps(const qpm__zig_par *zp, qpm__zig_lanes *L, unsigned l, size_t n, double *jc,
                    double *je);

#endif
