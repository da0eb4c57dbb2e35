/* Monte Carlo scenario generation: correlated Student-t / Gaussian log
 * returns with Merton jumps and a common vol-of-vol factor, one generator
 * stream per block of scenarios, or eight for the ziggurat normals (so the
 * numbers never depend on threads). */
#include <math.h>
#include <string.h>

#include "risk_internal.h"
#include "rng/rng_internal.h"

struct fill_ctx {
    qpm_risk *r;
    size_t first, count;
    double *spot, *vol;
    size_t ld_spot, ld_vol;
    /* revalued from grids as drawn (qpm__risk_fill_grid): views (NULL
     * before the grids exist), offset, P&L and pending marks of the batch */
    int fused;
    const qpm__grid_view *v;
    double off;
    double *pnl;
    unsigned char *pend;
};

/* The draws of the m <= QPM__RISK_PASS scenarios of a pass from w's
 * generator (the precise and fast normals: one stream per block) into w's
 * pass buffers: normals by underlying in pgt, t scales in pc, the vol
 * factor's normal in pfv, jumps in pjc and pje. */
static void draw_pass(qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n)
{
    double sh = sqrt(r->horizon);
    int student = r->nu > 0.0 && isfinite(r->nu);
    double half_nu = 0.5 * r->nu, nu_m2 = r->nu - 2.0;
    int vov = r->vol_of_vol > 0.0;
    int jumps = r->jump_lambda > 0.0;
    double jl = r->jump_lambda * r->horizon;
    int precise = r->normals != QPM_RISK_NORMALS_FAST;
    qpm_status (*normal)(qpm_rng *, size_t, double *) =
        precise ? qpm_rng_normal : qpm__rng_normal_as241;
    qpm__gamma_par gp;
    qpm__gamma_init(&gp, student ? half_nu : 1.0);
    /* the draws of m scenarios in stream order, as qpm_rng_uniform_open,
     * qpm_rng_gamma and the normal fill would draw them (the n normals
     * as their uniforms, inverted together below: qpm_rng_normal draws
     * the same uniforms, so the same numbers), from one working copy of
     * the generator */
    qpm__gen g = qpm__gen_load(&w->rng->g);
    for (size_t s = 0; s < m; s++) {
        /* by underlying, as the moves read them */
        double *pg = w->pgt + s;
        for (size_t u = 0; u < n; u++)
            pg[u * QPM__RISK_PASS] = qpm__u01_open(&g);
        w->pc[s] = student ? qpm__risk_t_scale(sh, nu_m2, 2.0 * qpm__gamma_draw(&g, &gp)) : sh;
        w->pfv[s] = 0.0;
        if (vov) {
            double uv = qpm__u01_open(&g);
            w->pfv[s] = precise ? qpm__norm_inv(uv) : qpm__norm_inv_as241(uv);
        }
        if (jumps) {
            double *jc = w->pjc + s * n, *je = w->pje + s * n;
            qpm__gen_store(&w->rng->g, &g);
            qpm_rng_poisson(w->rng, n, jl, jc);
            /* jump sizes only where a jump occurs (the common case is none) */
            size_t nj = 0;
            for (size_t u = 0; u < n; u++)
                nj += jc[u] > 0.0;
            if (nj > 0) {
                normal(w->rng, nj, je);
                for (size_t u = n, j = nj; u-- > 0;)
                    je[u] = jc[u] > 0.0 ? je[--j] : 0.0;
            }
            g = qpm__gen_load(&w->rng->g);
        }
    }
    qpm__gen_store(&w->rng->g, &g);
    if (m == QPM__RISK_PASS)
        qpm__norm_inv_block(m * n, w->pgt, precise);
    else
        for (size_t u = 0; u < n; u++)
            qpm__norm_inv_block(m, w->pgt + u * QPM__RISK_PASS, precise);
}

static void fill_block(void *vctx, size_t chunk, unsigned worker)
{
    struct fill_ctx *ctx = vctx;
    qpm_risk *r = ctx->r;
    qpm__risk_worker *w = &r->workers[worker];
    size_t n = r->n;
    size_t off = chunk * QPM__RISK_BLOCK;
    size_t cnt = ctx->count - off < QPM__RISK_BLOCK ? ctx->count - off : QPM__RISK_BLOCK;
    uint64_t block = (uint64_t)((ctx->first + off) / QPM__RISK_BLOCK);
    int zig = r->normals == QPM_RISK_NORMALS_ZIGGURAT;
    qpm__zig_lanes lanes;
    if (zig)
        qpm__risk_zig_seed(r, w, block, &lanes);
    else
        qpm_rng_set_stream(w->rng, r->base, block);
    double x = r->vol_of_vol;
    int vov = x > 0.0;
    double vdrift = -0.5 * x * x * r->horizon, vscale = x * sqrt(r->horizon);
    int jumps = r->jump_lambda > 0.0;
    for (size_t s0 = 0; s0 < cnt; s0 += QPM__RISK_PASS) {
        size_t m = cnt - s0 < QPM__RISK_PASS ? cnt - s0 : QPM__RISK_PASS;
        if (zig)
            qpm__risk_zig_pass(w, &lanes, m, n);
        else
            draw_pass(r, w, m, n);
        double *sp = ctx->spot + (off + s0) * ctx->ld_spot;
        if (ctx->fused) {
            qpm__risk_moves(r, w, m, n, jumps, NULL, 0);
            qpm__risk_grid_pass(ctx->v, ctx->off, w, m, n, ctx->pnl + off + s0,
                                ctx->pend + off + s0, sp, ctx->ld_spot);
            continue;
        }
        qpm__risk_moves(r, w, m, n, jumps, sp, ctx->ld_spot);
        if (ctx->vol != NULL)
            for (size_t s = 0; s < m; s++) {
                double v = vov ? expm1(fma(vscale, w->pfv[s], vdrift)) : 0.0;
                double *vp = ctx->vol + (off + s0 + s) * ctx->ld_vol;
                for (size_t u = 0; u < n; u++)
                    vp[u] = v;
            }
    }
}

/* ctx's blocks over the pool's workers */
static void run_fill(struct fill_ctx *ctx)
{
    size_t nblocks = (ctx->count + QPM__RISK_BLOCK - 1) / QPM__RISK_BLOCK;
    qpm__pool_run(ctx->r->pool, nblocks, fill_block, ctx);
}

void qpm__risk_fill(qpm_risk *r, size_t first, size_t count, double *spot, size_t ld_spot,
                    double *vol, size_t ld_vol)
{
    struct fill_ctx ctx = {r, first, count, spot, vol, ld_spot, ld_vol, 0, NULL, 0.0, NULL, NULL};
    run_fill(&ctx);
}

void qpm__risk_fill_grid(qpm_risk *r, size_t first, size_t count, double *spot, size_t ld_spot,
                         const qpm__grid_view *v, double off, double *pnl, unsigned char *pend)
{
    struct fill_ctx ctx = {r, first, count, spot, NULL, ld_spot, 0, 1, v, off, pnl, pend};
    run_fill(&ctx);
}

qpm_status qpm_risk_scenarios(qpm_risk *r, size_t n, double *spot_moves, size_t ld_spot,
                              double *vol_shifts, size_t ld_vol)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(spot_moves, "spot_moves");
    if (r->n == 0)
        return qpm__fail(QPM_E_STATE, "no covariance: call qpm_risk_set_covariance first");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: need at least 1 scenario");
    if (ld_spot < r->n)
        return qpm__fail(QPM_E_SIZE, "ld_spot = %zu: must be >= n_underlyings = %zu", ld_spot,
                         r->n);
    if (vol_shifts != NULL && ld_vol < r->n)
        return qpm__fail(QPM_E_SIZE, "ld_vol = %zu: must be >= n_underlyings = %zu", ld_vol,
                         r->n);
    qpm_status st = qpm__risk_prepare_workers(r, r->n);
    if (st != QPM_OK)
        return st;
    st = qpm__progress_report(&r->progress, 0.0);
    if (st != QPM_OK)
        return st;
    for (size_t first = 0; first < n; first += QPM__RISK_BATCH) {
        size_t cnt = n - first < QPM__RISK_BATCH ? n - first : QPM__RISK_BATCH;
        qpm__risk_fill(r, first, cnt, spot_moves + first * ld_spot, ld_spot,
                       vol_shifts ? vol_shifts + first * ld_vol : NULL, ld_vol);
        st = qpm__progress_report(&r->progress, (double)(first + cnt) / (double)n);
        if (st != QPM_OK)
            return st;
    }
    return QPM_OK;
}
