/* QPM_RISK_NORMALS_ZIGGURAT: the lanes of a block, the scalar pass (the
 * reference the AVX-512 build matches bit for bit) and the choice of
 * build.  See risk_internal.h for the order of the draws. */
#include <string.h>

#include "risk_zig.h"

void qpm__zig_par_init(const qpm_risk *r, qpm__zig_par *zp)
{
    zp->sh = sqrt(r->horizon);
    zp->student = r->nu > 0.0 && isfinite(r->nu);
    zp->nu_m2 = r->nu - 2.0;
    zp->vov = r->vol_of_vol > 0.0;
    zp->jumps = r->jump_lambda > 0.0;
    zp->jl = r->jump_lambda * r->horizon;
    int whole = zp->student && r->nu == floor(r->nu) && r->nu <= QPM__ZIG_CHI_MAX;
    zp->chi_k = whole ? (int)(r->nu / 2.0) : 0; /* nu > 2 (qpm_risk_set): k >= 1 */
    zp->chi_odd = whole && fmod(r->nu, 2.0) != 0.0;
    /* nu > 2: shape nu/2 > 1, no boost */
    qpm__gamma_init(&zp->gp, zp->student ? 0.5 * r->nu : 1.0);
}

void qpm__zig_jumps(const qpm__zig_par *zp, qpm__zig_lanes *L, unsigned l, size_t n, double *jc,
                    double *je)
{
    qpm_rng tmp; /* the counts by qpm_rng_poisson, on the lane's stream */
    memset(&tmp, 0, sizeof tmp);
    tmp.g.kind = QPM_RNG_PCG64DXSM;
    tmp.g.state_hi = L->hi[l], tmp.g.state_lo = L->lo[l];
    tmp.g.inc_hi = L->ihi[l], tmp.g.inc_lo = L->ilo[l];
    qpm_rng_poisson(&tmp, n, zp->jl, jc); /* lambda in range: checked by the settings */
    qpm__gen g = qpm__gen_load(&tmp.g);
    for (size_t u = 0; u < n; u++)
        je[u] = jc[u] > 0.0 ? qpm__zig_normal(&g) : 0.0;
    L->hi[l] = QPM__HI(g.s), L->lo[l] = QPM__LO(g.s);
}

void qpm__risk_zig_seed(const qpm_risk *r, qpm__risk_worker *w, uint64_t block, qpm__zig_lanes *L)
{
    qpm__zig_par_init(r, &L->par);
    for (unsigned l = 0; l < 8; l++) {
        qpm_rng_set_stream(w->rng, r->base, QPM__RISK_ZIG_STREAM + 8u * block + l);
        qpm__gen g = qpm__gen_load(&w->rng->g);
        qpm__xo x;
        for (int k = 0; k < 4; k++)
            x.s[k] = qpm__step_dxsm(&g.s, g.inc);
        if ((x.s[0] | x.s[1] | x.s[2] | x.s[3]) == 0)
            x.s[0] = 1; /* xoshiro's one forbidden state (chance 2^-256) */
        qpm__zig_xo_store(L, l, &x);
        L->hi[l] = QPM__HI(g.s);
        L->lo[l] = QPM__LO(g.s);
        L->ihi[l] = QPM__HI(g.inc);
        L->ilo[l] = QPM__LO(g.inc);
    }
}

static void zig_pass_base(qpm__risk_worker *w, qpm__zig_lanes *L, size_t m, size_t n)
{
    enum { P = QPM__RISK_PASS };
    const qpm__zig_par zp = L->par;
    for (size_t s = 0; s < m; s++) {
        unsigned l = (unsigned)(s % 8u);
        qpm__xo x = qpm__zig_xo_load(L, l);
        /* the first points of up to eight normals, then each finished */
        for (size_t u0 = 0; u0 < n; u0 += 8) {
            size_t c = n - u0 < 8 ? n - u0 : 8;
            uint64_t b[8];
            for (size_t k = 0; k < c; k++)
                b[k] = qpm__xo_next(&x);
            for (size_t k = 0; k < c; k++)
                w->pgt[(u0 + k) * P + s] = qpm__zig_finish_xo(&x, b[k]);
        }
        w->pc[s] =
            zp.student ? qpm__risk_t_scale(zp.sh, zp.nu_m2, qpm__zig_chi_xo(&x, &zp)) : zp.sh;
        w->pfv[s] = zp.vov ? qpm__zig_normal_xo(&x) : 0.0;
        qpm__zig_xo_store(L, l, &x);
        if (zp.jumps)
            qpm__zig_jumps(&zp, L, l, n, w->pjc + s * n, w->pje + s * n);
    }
}

void qpm__risk_zig_pass(qpm__risk_worker *w, qpm__zig_lanes *L, size_t m, size_t n)
{
#if defined(__x86_64__) || defined(__i386__)
    if (qpm__cpu_level() == QPM__CPU_AVX512) {
        qpm__risk_zig_pass_avx512(w, L, m, n);
        return;
    }
#endif
    zig_pass_base(w, L, m, n);
}
