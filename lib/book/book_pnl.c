/* Scenario P&L of the book by full revaluation: the Monte Carlo inner loop
 * (qpm_book_pnl) and the spot x vol grid. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "book/book_internal.h"
#include "pricing/pricer_run.h"

/* A set of scenarios: either rows of a matrix of moves (one column per
 * underlying), or the grid spot_shifts x vol_shifts applied to one
 * underlying or to all of them. */
typedef struct scen_set {
    int grid;
    const double *x; /* matrix: n x ldx; grid: n_spot shifts */
    size_t ldx;
    const double *v; /* NULL: no vol move */
    size_t ldv;      /* grid: n_vol */
    size_t gu;       /* grid: the underlying, or QPM_BOOK_ALL */
} scen_set;

/* The moves of one underlying over the scenarios of a chunk: scenario k of
 * the chunk moves it by x[k * s] (s = 0: the same move for all). */
typedef struct column {
    const double *x;
    size_t s;
} column;

static const double no_move = 0.0;

/* Up to this many underlyings, a chunk's columns are found once per
 * underlying rather than once per option. */
#define COLUMNS_MAX 32

/* Scenarios per pnl_range call at most: a multiple of QPM__BOOK_CHUNK */
#define PNL_RUN (2 * QPM__BOOK_CHUNK)

/* Scenarios [s0, s0 + ns) of a set, ns <= PNL_RUN.  A grid's
 * shifts per scenario are looked up once per chunk (its index arithmetic
 * would otherwise run once per option and scenario). */
typedef struct chunk {
    const scen_set *sc;
    size_t s0, ns;
    int cached; /* cx, cv hold every underlying's columns */
    double gx[PNL_RUN], gv[PNL_RUN];
    column cx[COLUMNS_MAX], cv[COLUMNS_MAX];
} chunk;

static int grid_moves(const scen_set *sc, size_t u)
{
    return sc->gu == QPM_BOOK_ALL || sc->gu == u;
}

static column find_spot_column(const chunk *c, size_t u)
{
    const scen_set *sc = c->sc;
    if (!sc->grid)
        return (column){sc->x + c->s0 * sc->ldx + u, sc->ldx};
    return grid_moves(sc, u) ? (column){c->gx, 1} : (column){&no_move, 0};
}

static column find_vol_column(const chunk *c, size_t u)
{
    const scen_set *sc = c->sc;
    if (sc->v == NULL)
        return (column){&no_move, 0};
    if (!sc->grid)
        return (column){sc->v + c->s0 * sc->ldv + u, sc->ldv};
    return grid_moves(sc, u) ? (column){c->gv, 1} : (column){&no_move, 0};
}

static inline column spot_column(const chunk *c, size_t u)
{
    return c->cached ? c->cx[u] : find_spot_column(c, u);
}

static void chunk_init(chunk *c, const scen_set *sc, size_t s0, size_t ns, size_t nu)
{
    c->sc = sc;
    c->s0 = s0;
    c->ns = ns;
    c->cached = 0;
    if (sc->grid)
        for (size_t k = 0; k < ns; k++) {
            c->gx[k] = sc->x[(s0 + k) / sc->ldv];
            c->gv[k] = sc->v != NULL ? sc->v[(s0 + k) % sc->ldv] : 0.0;
        }
    if (nu <= COLUMNS_MAX) {
        for (size_t u = 0; u < nu; u++) {
            c->cx[u] = find_spot_column(c, u);
            c->cv[u] = find_vol_column(c, u);
        }
        c->cached = 1;
    }
}

struct pnl_ctx {
    const qpm_book *b;
    const scen_set *sc;
    size_t n;
    size_t unit; /* scenarios per task: QPM__BOOK_CHUNK or PNL_RUN */
    double *pnl;
};

/* Scenarios [k0, k0 + nk) of the chunk x options [j0, j0 + m) in one
 * pricer run: the moved forwards and vols, scenario after scenario, into
 * the worker's scratch; the strikes, times, rates and types from K.. (in
 * the same layout: the option arrays themselves for one scenario, the
 * engine's repeated ones for several); then each scenario's P&L sum gets
 * w (B - B0) of the options in book order. */
static void price_run(const qpm_book *b, const chunk *c, size_t k0, size_t nk, size_t j0, size_t m,
                      const double *K, const double *T, const double *r, const int32_t *type,
                      qpm__book_worker *w, double *acc)
{
    const qpm__book_opts *o = &b->opts;
    for (size_t k = 0; k < nk; k++) {
        double *F = w->F + k * m, *sig = w->sig + k * m;
        if (c->cached) {
            /* this scenario's factors once per underlying */
            double fx[COLUMNS_MAX], fv[COLUMNS_MAX];
            for (size_t u = 0; u < b->n_under; u++) {
                fx[u] = 1.0 + c->cx[u].x[(k0 + k) * c->cx[u].s];
                fv[u] = 1.0 + c->cv[u].x[(k0 + k) * c->cv[u].s];
            }
            if (o->n_sm == 0) {
                for (size_t jj = 0; jj < m; jj++) {
                    F[jj] = o->F[j0 + jj] * fx[o->u[j0 + jj]];
                    sig[jj] = o->sig[j0 + jj] * fv[o->u[j0 + jj]];
                }
            } else {
                for (size_t jj = 0; jj < m; jj++) {
                    F[jj] = o->F[j0 + jj] * fx[o->u[j0 + jj]];
                    sig[jj] =
                        qpm__book_moved_vol(o, j0 + jj, o->Th[j0 + jj], F[jj], fv[o->u[j0 + jj]]);
                }
            }
        } else {
            for (size_t jj = 0; jj < m; jj++) {
                size_t j = j0 + jj;
                column cx = find_spot_column(c, o->u[j]), cv = find_vol_column(c, o->u[j]);
                F[jj] = o->F[j] * (1.0 + cx.x[(k0 + k) * cx.s]);
                sig[jj] = qpm__book_moved_vol(o, j, o->Th[j], F[jj], 1.0 + cv.x[(k0 + k) * cv.s]);
            }
        }
    }
    qpm__pjob job;
    memset(&job, 0, sizeof job);
    job.ng = 1;
    job.ne = job.gout = nk * m;
    job.u = w->F, job.k = K, job.t = T, job.r = r, job.sig = w->sig, job.type = type;
    job.su = job.sk = job.st = job.sr = job.ssig = job.stype = 1;
    job.out[QPM__O_PRICE] = w->B;
    qpm_status st = qpm__pricer_run(b->eng.pricer, &job);
    /* not reached: the moves were checked, and a price stays below its moved
     * forward or strike */
    if (st != QPM_OK && w->status == QPM_OK)
        w->status = st;
    for (size_t k = 0; k < nk; k++) {
        const double *B = w->B + k * m;
        double a = acc[k0 + k];
        for (size_t jj = 0; jj < m; jj++)
            a += o->w[j0 + jj] * (B[jj] - o->B[j0 + jj]);
        acc[k0 + k] = a;
    }
}

/* ---- the vector P&L kernels -------------------------------------------------- */

const qpm__pnl_kernel *qpm__pnl_kernel_for(const qpm__pnl_kernel *widest, size_t ns)
{
#if defined(__x86_64__) || defined(__i386__)
    if (widest == NULL)
        return NULL;
    if (ns <= 1)
        return &qpm__pnl_kernel_lane;
    if (ns <= 4)
        return &qpm__pnl_kernel_avx2;
#endif
    (void)ns;
    return widest;
}

const qpm__pnl_kernel *qpm__pnl_kernel_pick(void)
{
#if defined(__x86_64__) || defined(__i386__)
    int level = qpm__cpu_level();
    if (level == QPM__CPU_AVX512)
        return &qpm__pnl_kernel_avx512;
    if (level == QPM__CPU_AVX2)
        return &qpm__pnl_kernel_avx2;
#endif
    return NULL;
}

/* The kernel's constants for this run's options (qpm__pnl_opts), in order,
 * on the calling thread. */
static void pnl_kernel_setup(qpm_book *b, const qpm__pnl_kernel *k)
{
    const qpm__book_opts *o = &b->opts;
    qpm__pnl_opts *p = &b->eng.pc;
    for (size_t j = 0; j < o->n; j++) {
        double s = o->sig[j] * sqrt(o->Th[j]);
        double D = exp(-o->r[j] * o->Th[j]);
        p->c[j] = log(o->F[j] / o->K[j]);
        p->s[j] = s;
        p->rs[j] = 1.0 / s;
        p->Dphi[j] = o->type[j] > 0 ? D : -D;
        p->rK[j] = 1.0 / o->K[j];
        /* on a sticky-moneyness surface (not expired at the scenarios'
         * time, as qpm__book_moved_vol): its total variance's constants;
         * otherwise harmless ones, unused */
        double cw[12] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1};
        int sm = o->sm != NULL && o->sm[j] != NULL && o->Th[j] > 0.0;
        if (sm)
            qpm__surface_w_form(o->sm[j], o->Th[j], cw);
        p->smf[j] = !sm ? 0.0 : cw[10] == 0.0 ? 1.0 : 2.0; /* the slices it reads */
        for (int q = 0; q < 12; q++)
            p->sm[(size_t)q * p->nsm + j] = cw[q];
    }
    p->F0 = o->F, p->K = o->K, p->w = o->w;
    k->base(p, o->n);
    for (size_t j = 0; j < o->n; j++)
        p->th[j] = o->Th[j] == o->T[j] ? 0.0 : p->B0k[j] - o->B[j];
}

/* Every option's P&L term in the scenarios of chunk c, added to acc in
 * book order, each run of options on one underlying in one kernel call.
 * An underlying's columns (its moves, their logs, its vol factors) are
 * formed once per chunk in one of PNL_SLOTS slots (u mod PNL_SLOTS), again
 * only when a book interleaves more underlyings than that. */
#define PNL_SLOTS 4
typedef struct pnl_slot {
    size_t u; /* SIZE_MAX: empty */
    double fx[PNL_RUN], fv[PNL_RUN], L[PNL_RUN], rv[PNL_RUN];
} pnl_slot;

/* A chunk of one scenario: every underlying's column once (one lane), then
 * the options across the lanes of the widest kernel. */
static void pnl_kernel_one(const qpm_book *b, const chunk *c, double *acc)
{
    double fx[COLUMNS_MAX], fv[COLUMNS_MAX], L[COLUMNS_MAX], rv[COLUMNS_MAX];
    size_t nu = b->n_under;
    int vol = c->sc->v != NULL;
    for (size_t u = 0; u < nu; u++) {
        column cx = spot_column(c, u);
        fx[u] = 1.0 + cx.x[0];
        if (vol) {
            column cv = c->cached ? c->cv[u] : find_vol_column(c, u);
            fv[u] = 1.0 + cv.x[0];
        }
    }
    const qpm__pnl_kernel *one = qpm__pnl_kernel_for(b->eng.pk, 1);
    one->cols(nu, fx, vol ? fv : NULL, L, rv);
    b->eng.pk->across(&b->eng.pc, b->opts.u, b->opts.n, L, fx, vol ? fv : NULL, rv, acc);
}

static void pnl_kernel_range(const qpm_book *b, const chunk *c, double *acc)
{
    const qpm__book_opts *o = &b->opts;
    if (c->ns == 1 && b->n_under <= COLUMNS_MAX) {
        pnl_kernel_one(b, c, acc);
        return;
    }
    const qpm__pnl_kernel *pk = qpm__pnl_kernel_for(b->eng.pk, c->ns);
    pnl_slot slot[PNL_SLOTS];
    size_t nk = (c->ns + pk->lanes - 1) / pk->lanes * pk->lanes;
    int vol = c->sc->v != NULL;
    for (int i = 0; i < PNL_SLOTS; i++) {
        slot[i].u = SIZE_MAX;
        for (size_t k = c->ns; k < nk; k++)
            slot[i].fx[k] = slot[i].fv[k] = 1.0;
    }
    for (size_t j0 = 0; j0 < o->n;) {
        size_t u = o->u[j0], j1 = j0 + 1;
        while (j1 < o->n && o->u[j1] == u)
            j1++;
        pnl_slot *t = &slot[u % PNL_SLOTS];
        if (t->u != u) {
            column cx = spot_column(c, u);
            for (size_t k = 0; k < c->ns; k++)
                t->fx[k] = 1.0 + cx.x[k * cx.s];
            if (vol) {
                column cv = c->cached ? c->cv[u] : find_vol_column(c, u);
                for (size_t k = 0; k < c->ns; k++)
                    t->fv[k] = 1.0 + cv.x[k * cv.s];
            }
            pk->cols(nk, t->fx, vol ? t->fv : NULL, t->L, t->rv);
            t->u = u;
        }
        qpm__pnl_run R = {&b->eng.pc, nk, t->fx, t->L, vol ? t->fv : NULL, vol ? t->rv : NULL};
        pk->opts(&R, j0, j1, acc);
        j0 = j1;
    }
}

/* Scenarios [s0, s1) (one chunk) on worker w.  Each scenario's P&L is the
 * sum over the underlyings of slope x move, then over the AMM positions in
 * book order of L v(moved S) - v0, then over the options in book order of
 * w (B - B0), whatever the chunking and the runs. */
static void pnl_range(const qpm_book *b, const scen_set *sc, size_t s0, size_t s1,
                      qpm__book_worker *w, double *pnl)
{
    const qpm__book_engine *g = &b->eng;
    const qpm__book_opts *o = &b->opts;
    chunk c;
    chunk_init(&c, sc, s0, s1 - s0, b->n_under);
    double acc[PNL_RUN];
    for (size_t k = 0; k < PNL_RUN; k++)
        acc[k] = 0.0;
    for (size_t u = 0; u < b->n_under; u++) {
        column cx = spot_column(&c, u);
        double slope = b->under[u].slope;
        /* no linear positions: every term 0 x = +-0, which leaves acc as it
         * is (the moves are finite, acc starts at +0) */
        if (slope != 0.0)
            for (size_t k = 0; k < c.ns; k++)
                acc[k] += slope * cx.x[k * cx.s];
        if (b->funding_hours > 0.0) {
            /* the perps' funding over the horizon in the moved market */
            double fc = b->under[u].fconst, fs = b->under[u].fslope;
            for (size_t k = 0; k < c.ns; k++)
                acc[k] += fc + fs * cx.x[k * cx.s];
        }
    }
    /* the AMM positions: the vector kernel where there is one (the same
     * bits as this loop) */
    const qpm__pnl_kernel *ak = qpm__pnl_kernel_for(g->ak, c.ns);
    for (size_t a = 0; a < b->n_amm; a++) {
        const qpm__book_amm *p = &b->amm[a];
        column cx = spot_column(&c, p->u);
        double S = b->under[p->u].S;
        if (ak != NULL) {
            double fx[PNL_RUN];
            size_t nk = (c.ns + ak->lanes - 1) / ak->lanes * ak->lanes;
            for (size_t k = 0; k < nk; k++)
                fx[k] = k < c.ns ? 1.0 + cx.x[k * cx.s] : 1.0;
            ak->amm(p, S, fx, nk, acc);
            continue;
        }
        for (size_t k = 0; k < c.ns; k++)
            acc[k] += qpm__book_amm_value(p, S * (1.0 + cx.x[k * cx.s])) - p->v0;
    }
    size_t no = o->n;
    if (no > 0 && g->pk != NULL) {
        pnl_kernel_range(b, &c, acc);
    } else if (no > 0 && g->spp > 1) {
        for (size_t k0 = 0; k0 < c.ns; k0 += g->spp) {
            size_t nk = c.ns - k0 < g->spp ? c.ns - k0 : g->spp;
            price_run(b, &c, k0, nk, 0, no, g->K, g->T, g->r, g->type, w, acc);
        }
    } else if (no > 0) {
        for (size_t k = 0; k < c.ns; k++)
            for (size_t j0 = 0; j0 < no; j0 += g->span) {
                size_t m = no - j0 < g->span ? no - j0 : g->span;
                price_run(b, &c, k, 1, j0, m, o->K + j0, o->Th + j0, o->r + j0, o->type + j0, w,
                          acc);
            }
    }
    memcpy(pnl + s0, acc, c.ns * sizeof *acc);
}

static void pnl_chunk(void *vctx, size_t c, unsigned worker)
{
    const struct pnl_ctx *ctx = vctx;
    size_t s0 = c * ctx->unit;
    size_t s1 = s0 + ctx->unit < ctx->n ? s0 + ctx->unit : ctx->n;
    pnl_range(ctx->b, ctx->sc, s0, s1, &ctx->b->eng.w[worker], ctx->pnl);
}

static qpm_status run(qpm_book *b, const scen_set *sc, size_t n, double *pnl)
{
    for (size_t u = 0; u < b->n_under; u++) {
        if (!isfinite(b->under[u].slope))
            return qpm__fail(QPM_E_OVERFLOW,
                             "underlying %zu (%s): the P&L of its linear positions per unit "
                             "move is beyond the range of double",
                             u, b->under[u].name);
        if (!isfinite(b->under[u].fconst) || !isfinite(b->under[u].fslope))
            return qpm__fail(QPM_E_OVERFLOW,
                             "underlying %zu (%s): the funding of its perpetuals over the "
                             "horizon is beyond the range of double",
                             u, b->under[u].name);
    }
    qpm__book_engine *g = &b->eng;
    for (unsigned t = 0; t < g->nthreads; t++)
        g->w[t].status = QPM_OK;
    g->ak = qpm__pnl_kernel_pick();
    g->pk = b->opts.n > 0 ? g->ak : NULL;
    if (g->pk != NULL && g->pc_count != b->prep_count) {
        pnl_kernel_setup(b, g->pk);
        g->pc_count = b->prep_count;
    }
    /* Threads share chunks of QPM__BOOK_CHUNK scenarios; a long run (at
     * least eight of the longer tasks per thread) or a run on the caller
     * alone is cut into PNL_RUN scenarios, which spreads each option's
     * set-up in the kernel over more scenarios.  Every scenario gets the
     * same bits either way. */
    size_t unit =
        b->pool == NULL || n >= (size_t)8 * PNL_RUN * g->nthreads ? PNL_RUN : QPM__BOOK_CHUNK;
    struct pnl_ctx ctx = {b, sc, n, unit, pnl};
    size_t nchunks = (n + unit - 1) / unit;
    qpm__pool_run(b->pool, nchunks, pnl_chunk, &ctx); /* on the caller alone without a pool */
    for (unsigned t = 0; t < g->nthreads; t++)
        if (g->w[t].status != QPM_OK)
            return qpm__fail(g->w[t].status, "a scenario could not be priced");
    /* the base values are finite (qpm__book_prepare); a scenario's terms
     * and their sum may still leave the double range */
    for (size_t s = 0; s < n; s++)
        if (!isfinite(pnl[s]))
            return qpm__fail(QPM_E_OVERFLOW,
                             "scenario %zu: the P&L is beyond the range of double (pnl_usd is "
                             "written but not meaningful)",
                             s);
    return QPM_OK;
}

/* A move x (or vol shift v) of underlying u is acceptable when finite,
 * > -1, and it keeps every moved price (vol) finite and > 0. */
static qpm_status check_move(const qpm__book_under *x, double m, int vol, size_t s, size_t u,
                             int grid)
{
    const char *what = vol ? "vol shift" : "spot move";
    const char *sname = grid ? "shift" : "scenario";
    if (!isfinite(m))
        return qpm__fail(QPM_E_NONFINITE, "%s %zu, underlying %zu (%s): %s = %g: must be finite",
                         sname, s, u, x->name, what, m);
    if (!(m > -1.0))
        return qpm__fail(QPM_E_INVALID, "%s %zu, underlying %zu (%s): %s = %.17g: must be > -1",
                         sname, s, u, x->name, what, m);
    double f = 1.0 + m;
    double lo = vol ? x->smin : x->pmin, hi = vol ? x->smax : x->pmax;
    if (!isfinite(hi * f) || (lo > 0.0 && !(lo * f > 0.0)))
        return qpm__fail(QPM_E_INVALID,
                         "%s %zu, underlying %zu (%s): %s = %.17g: a moved %s leaves the "
                         "floating-point range",
                         sname, s, u, x->name, what, m, vol ? "vol" : "price");
    return QPM_OK;
}

/* check_move's verdict on a move v for bounds lo, hi, without a branch */
static int move_passes(double v, double lo, double hi)
{
    double f = 1.0 + v;
    return (v > -1.0) & (fabs(hi * f) <= DBL_MAX) & ((lo <= 0.0) | (lo * f > 0.0));
}

/* A double's place in the order of the doubles (-0 and +0 share 0), and
 * back */
static int64_t dkey(double v)
{
    int64_t i;
    memcpy(&i, &v, sizeof i);
    return i < 0 ? -(i & INT64_MAX) : i;
}

static double dval(int64_t k)
{
    int64_t i = k < 0 ? (-k) | INT64_MIN : k;
    double v;
    memcpy(&v, &i, sizeof v);
    return v;
}

/* The last double of [a, b] on a's side of the change of move_passes,
 * which differs at a and b (the doubles between them bisected by their
 * order) */
static double move_edge(double a, double b, double lo, double hi)
{
    int pa = move_passes(a, lo, hi);
    int64_t ka = dkey(a), kb = dkey(b); /* the same sign: no overflow */
    while (kb - ka > 1) {
        int64_t km = ka + (kb - ka) / 2;
        if (move_passes(dval(km), lo, hi) == pa)
            ka = km;
        else
            kb = km;
    }
    return dval(ka);
}

/* mlo, mhi of every underlying for this preparation.  1 + v rounds
 * monotonically, hi, lo >= 0 here, so the moves that pass check_move are
 * the doubles of an interval: no move below -1, then the lo test's
 * underflow limit, then the hi test's overflow limit.  Its ends are found
 * by bisection (64 steps each) and checked; bounds that fail the check (or
 * a book whose move 0 fails) pass nothing, and moves_ok then leaves every
 * verdict to check_move. */
static void move_bounds(qpm_book *b)
{
    for (size_t u = 0; u < b->n_under; u++) {
        qpm__book_under *x = &b->under[u];
        for (int k = 0; k < 2; k++) {
            double lo = k ? x->smin : x->pmin, hi = k ? x->smax : x->pmax;
            double vlo = HUGE_VAL, vhi = -HUGE_VAL;
            if (lo >= 0.0 && hi >= 0.0 && move_passes(0.0, lo, hi) &&
                !move_passes(HUGE_VAL, lo, hi)) {
                double a = move_edge(-1.0, 0.0, lo, hi), c = move_edge(0.0, HUGE_VAL, lo, hi);
                if (!move_passes(a, lo, hi) && move_passes(nextafter(a, 0.0), lo, hi) &&
                    move_passes(c, lo, hi) && !move_passes(nextafter(c, HUGE_VAL), lo, hi))
                    vlo = a, vhi = c;
            }
            x->mlo[k] = vlo;
            x->mhi[k] = vhi;
        }
    }
    b->eng.mb_count = b->prep_count;
}

/* 1 when every move of scenarios [s0, s1) passes check_move: each within
 * its underlying's interval (move_bounds), two comparisons and no branch
 * per move (a Monte Carlo checks millions of them), the moves read row by
 * row. */
static int moves_ok(const qpm_book *b, size_t s0, size_t s1, const double *x, size_t ld, int vol)
{
    enum { UB = 64 }; /* underlyings per pass */
    int ok = 1;
    for (size_t u0 = 0; u0 < b->n_under; u0 += UB) {
        size_t m = b->n_under - u0 < UB ? b->n_under - u0 : UB;
        double lo[UB], hi[UB];
        for (size_t k = 0; k < m; k++) {
            lo[k] = b->under[u0 + k].mlo[vol];
            hi[k] = b->under[u0 + k].mhi[vol];
        }
        for (size_t s = s0; s < s1; s++) {
            const double *row = x + s * ld + u0;
            for (size_t k = 0; k < m; k++)
                ok &= (row[k] > lo[k]) & (row[k] <= hi[k]);
        }
    }
    return ok;
}

/* The check of every move, in chunks over the book's threads (the verdict
 * does not depend on the split). */
enum { MOVES_CHUNK = 4096 };
struct moves_ctx {
    const qpm_book *b;
    size_t n;
    const double *spot, *vol;
    size_t ld_spot, ld_vol;
    atomic_int bad;
};

static void moves_chunk(void *vctx, size_t c, unsigned worker)
{
    (void)worker;
    struct moves_ctx *ctx = vctx;
    size_t s0 = c * MOVES_CHUNK, s1 = s0 + MOVES_CHUNK < ctx->n ? s0 + MOVES_CHUNK : ctx->n;
    if (!moves_ok(ctx->b, s0, s1, ctx->spot, ctx->ld_spot, 0) ||
        (ctx->vol != NULL && !moves_ok(ctx->b, s0, s1, ctx->vol, ctx->ld_vol, 1)))
        atomic_store_explicit(&ctx->bad, 1, memory_order_relaxed);
}

static int all_moves_ok(qpm_book *b, size_t n, const double *spot, size_t ld_spot,
                        const double *vol, size_t ld_vol)
{
    struct moves_ctx ctx = {b, n, spot, vol, ld_spot, ld_vol, 0};
    size_t nchunks = (n + MOVES_CHUNK - 1) / MOVES_CHUNK;
    qpm__pool_run(b->pool, nchunks, moves_chunk, &ctx); /* on the caller alone without a pool */
    return !atomic_load_explicit(&ctx.bad, memory_order_relaxed);
}

qpm_status qpm__book_check_scenarios(qpm_book *b, size_t n, const double *spot_moves,
                                     size_t ld_spot, const double *vol_shifts, size_t ld_vol)
{
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    size_t nu = b->n_under;
    if (nu == 0)
        return qpm__fail(QPM_E_STATE, "the book has no underlyings");
    if (ld_spot < nu)
        return qpm__fail(QPM_E_SIZE, "ld_spot = %zu: must be >= %zu (the number of underlyings)",
                         ld_spot, nu);
    if (vol_shifts != NULL && ld_vol < nu)
        return qpm__fail(QPM_E_SIZE, "ld_vol = %zu: must be >= %zu (the number of underlyings)",
                         ld_vol, nu);
    if (ld_spot > SIZE_MAX / n || (vol_shifts != NULL && ld_vol > SIZE_MAX / n))
        return qpm__fail(QPM_E_SIZE,
                         "n = %zu scenarios with ld_spot = %zu, ld_vol = %zu: "
                         "overflows size_t",
                         n, ld_spot, ld_vol);
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    if (b->eng.mb_count != b->prep_count)
        move_bounds(b);
    if (all_moves_ok(b, n, spot_moves, ld_spot, vol_shifts, ld_vol))
        return QPM_OK;
    /* a move is out of range: find the first and name it */
    for (size_t s = 0; s < n; s++)
        for (size_t u = 0; u < nu; u++) {
            if ((st = check_move(&b->under[u], spot_moves[s * ld_spot + u], 0, s, u, 0)) != QPM_OK)
                return st;
            if (vol_shifts != NULL &&
                (st = check_move(&b->under[u], vol_shifts[s * ld_vol + u], 1, s, u, 0)) != QPM_OK)
                return st;
        }
    return QPM_OK;
}

qpm_status qpm_book_pnl(qpm_book *b, size_t n, const double *spot_moves, size_t ld_spot,
                        const double *vol_shifts, size_t ld_vol, double *pnl_usd)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(spot_moves, "spot_moves");
    QPM__CHECK_NULL(pnl_usd, "pnl_usd");
    qpm_status st = qpm__book_check_scenarios(b, n, spot_moves, ld_spot, vol_shifts, ld_vol);
    if (st != QPM_OK)
        return st;
    scen_set sc = {0, spot_moves, ld_spot, vol_shifts, ld_vol, 0};
    return run(b, &sc, n, pnl_usd);
}

qpm_status qpm_book_scenario_grid(qpm_book *b, size_t u, size_t n_spot, const double *spot_shifts,
                                  size_t n_vol, const double *vol_shifts, double *pnl_usd,
                                  double *worst_loss, size_t *worst_index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(spot_shifts, "spot_shifts");
    QPM__CHECK_NULL(pnl_usd, "pnl_usd");
    if (n_spot == 0 || n_vol == 0)
        return qpm__fail(QPM_E_SIZE, "%s = 0: must be >= 1", n_spot == 0 ? "n_spot" : "n_vol");
    if (vol_shifts == NULL && n_vol != 1)
        return qpm__fail(QPM_E_NULL, "vol_shifts is NULL with n_vol = %zu: must be 1", n_vol);
    if (n_vol > SIZE_MAX / n_spot)
        return qpm__fail(QPM_E_SIZE, "n_spot x n_vol = %zu x %zu: overflows size_t", n_spot, n_vol);
    if (u != QPM_BOOK_ALL && u >= b->n_under)
        return qpm__fail(QPM_E_INVALID,
                         "u = %zu: must be < %zu (the number of underlyings) or QPM_BOOK_ALL", u,
                         b->n_under);
    if (b->n_under == 0)
        return qpm__fail(QPM_E_STATE, "the book has no underlyings");
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    size_t u0 = u == QPM_BOOK_ALL ? 0 : u, u1 = u == QPM_BOOK_ALL ? b->n_under : u + 1;
    for (size_t k = u0; k < u1; k++) {
        for (size_t i = 0; i < n_spot; i++)
            if ((st = check_move(&b->under[k], spot_shifts[i], 0, i, k, 1)) != QPM_OK)
                return st;
        for (size_t j = 0; vol_shifts != NULL && j < n_vol; j++)
            if ((st = check_move(&b->under[k], vol_shifts[j], 1, j, k, 1)) != QPM_OK)
                return st;
    }
    scen_set sc = {1, spot_shifts, 0, vol_shifts, n_vol, u};
    size_t n = n_spot * n_vol;
    if ((st = run(b, &sc, n, pnl_usd)) != QPM_OK)
        return st;
    size_t wi = 0;
    for (size_t s = 1; s < n; s++)
        if (pnl_usd[s] < pnl_usd[wi])
            wi = s;
    if (worst_loss != NULL)
        *worst_loss = -pnl_usd[wi];
    if (worst_index != NULL)
        *worst_index = wi;
    return QPM_OK;
}
