/* The account view of a book: collateral, equity and the standard margin
 * model (each kind's margin function in the instrument table), and the
 * liquidation distance of an underlying by full revaluation. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"
#include "pricing/pricer_run.h"

/* Collateral value (after haircuts) with underlying um's spot moved by fx. */
static double collateral(const qpm_book *b, size_t um, double fx)
{
    double v = b->coll_usd;
    for (size_t u = 0; u < b->n_under; u++) {
        const qpm__book_under *x = &b->under[u];
        v += x->coll_eff * (x->S * (u == um ? fx : 1.0));
    }
    return v;
}

/* Initial and maintenance margin of position p (option row j) at the
 * current market. */
static void margin_of(const qpm_book *b, const qpm__book_pos *p, size_t j, double *im, double *mm)
{
    const qpm__instr *k = qpm__pos_kind(p);
    *im = *mm = 0.0;
    if (k->margin == NULL || (k->scen == QPM__SCEN_BLACK76 && !(p->Q < 0.0)))
        return;
    double mark =
        k->scen == QPM__SCEN_BLACK76 ? qpm__book_option_mark(p, b->opts.w[j], b->opts.B[j]) : 0.0;
    k->margin(b, p, 1.0, mark, im, mm);
}

/* Initial and maintenance margin of every position at the current market,
 * per position into pim, pmm (optional).  (The liquidation search and the
 * margin grid find them in moved markets themselves.) */
static void margin_now(const qpm_book *b, double *im, double *mm, double *pim, double *pmm)
{
    double tim = 0.0, tmm = 0.0;
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        double a, c;
        margin_of(b, p, opt, &a, &c);
        opt += (size_t)(qpm__pos_kind(p)->scen == QPM__SCEN_BLACK76);
        if (pim != NULL)
            pim[i] = a;
        if (pmm != NULL)
            pmm[i] = c;
        tim += a;
        tmm += c;
    }
    *im = tim;
    *mm = tmm;
}

/* The positions' total value at the current market. */
static double positions_value(const qpm_book *b)
{
    double v = 0.0;
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        qpm__book_row r;
        qpm__pos_kind(p)->row(b, p, opt, &r);
        opt += (size_t)(qpm__pos_kind(p)->scen == QPM__SCEN_BLACK76);
        v += r.value_usd;
    }
    return v;
}

/* Equity at the current market: collateral plus every position's value. */
static double equity_now(const qpm_book *b)
{
    return collateral(b, SIZE_MAX, 1.0) + positions_value(b);
}

qpm_status qpm_book_margin(qpm_book *b, double *equity, double *initial, double *maintenance,
                           double *position_im, double *position_mm)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    double eq = equity_now(b), im, mm;
    margin_now(b, &im, &mm, NULL, NULL);
    if (!isfinite(eq) || !isfinite(im) || !isfinite(mm))
        return qpm__fail(QPM_E_OVERFLOW,
                         "equity %g, initial margin %g or maintenance margin %g beyond the range "
                         "of double",
                         eq, im, mm);
    if (position_im != NULL || position_mm != NULL)
        margin_now(b, &im, &mm, position_im, position_mm);
    if (equity != NULL)
        *equity = eq;
    if (initial != NULL)
        *initial = im;
    if (maintenance != NULL)
        *maintenance = mm;
    return QPM_OK;
}

qpm_status qpm_book_venue_margin(qpm_book *b, double *equity, double *initial, double *maintenance)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    const size_t nv = b->n_venue + 1, none = b->n_venue;
    double *w = qpm__calloc(&b->alloc, 3 * nv, sizeof *w);
    if (w == NULL)
        return qpm__fail(QPM_E_NOMEM, "venue margin: %zu rows", nv);
    double *eq = w, *im = w + nv, *mm = w + 2 * nv;
    for (size_t k = 0; k < b->n_coll; k++) {
        const qpm__book_coll *c = &b->coll[k];
        double price = c->asset == QPM_BOOK_USD ? 1.0 : b->under[c->asset].S;
        eq[c->venue == QPM_BOOK_NO_VENUE ? none : c->venue] +=
            c->amount * (1.0 - c->haircut) * price;
    }
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__instr *kind = qpm__pos_kind(p);
        size_t v = p->venue == QPM_BOOK_NO_VENUE ? none : p->venue;
        qpm__book_row r;
        double a, c;
        kind->row(b, p, opt, &r);
        margin_of(b, p, opt, &a, &c);
        opt += (size_t)(kind->scen == QPM__SCEN_BLACK76);
        eq[v] += r.value_usd;
        im[v] += a;
        mm[v] += c;
    }
    for (size_t v = 0; v < nv; v++)
        if (!isfinite(eq[v]) || !isfinite(im[v]) || !isfinite(mm[v])) {
            st = qpm__fail(QPM_E_OVERFLOW,
                           "venue %s: equity %g, initial margin %g or maintenance margin %g "
                           "beyond the range of double",
                           v == none ? "(none)" : b->venue[v].name, eq[v], im[v], mm[v]);
            qpm__free(&b->alloc, w);
            return st;
        }
    if (equity != NULL)
        memcpy(equity, eq, nv * sizeof *eq);
    if (initial != NULL)
        memcpy(initial, im, nv * sizeof *im);
    if (maintenance != NULL)
        memcpy(maintenance, mm, nv * sizeof *mm);
    qpm__free(&b->alloc, w);
    return QPM_OK;
}

/* Fills the margin cache: the positions' total value and each
 * underlying's maintenance margin at the prepared market (book prepared). */
static void margin_cache(qpm_book *b)
{
    if (b->margin_ready)
        return;
    for (size_t u = 0; u < b->n_under; u++)
        b->under[u].mm_base = 0.0;
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        double a, c;
        margin_of(b, p, opt, &a, &c);
        opt += (size_t)(qpm__pos_kind(p)->scen == QPM__SCEN_BLACK76);
        b->under[p->u].mm_base += c;
    }
    b->value_sum = positions_value(b);
    b->margin_ready = 1;
}

/* The liquidation search moves one underlying u: only its positions
 * change.  ws holds u's options as the pricer's arrays (gathered once),
 * with their USD weights, and the parts that do not move. */
typedef struct liq_ws {
    size_t u, n;                 /* n options on u */
    double *F, *K, *T, *r, *sig; /* base forwards, then strike, time, rate, vol */
    double *B0, *w, *B, *Fx;     /* base prices, weights, moved prices and forwards */
    double *sigx;                /* moved vols */
    int32_t *type;
    size_t *pos;          /* their positions */
    size_t *oj;           /* their rows of the book's option arrays */
    size_t *lin, nlin;    /* u's futures and perps (positions) */
    size_t *amm, namm;    /* u's AMM positions (rows of b->amm) */
    double eq0, mm_other; /* equity now; maintenance margin of the rest */
} liq_ws;

static void ws_free(const qpm_alloc *a, liq_ws *ws)
{
    qpm__free(a, ws->F);
    qpm__free(a, ws->type);
    qpm__free(a, ws->pos);
    qpm__free(a, ws->lin);
}

static qpm_status ws_init(qpm_book *b, size_t u, liq_ws *ws)
{
    const qpm__book_opts *o = &b->opts;
    memset(ws, 0, sizeof *ws);
    ws->u = u;
    for (size_t j = 0; j < o->n; j++)
        ws->n += o->u[j] == u;
    size_t n = ws->n ? ws->n : 1, nl = 1;
    for (size_t i = 0; i < b->n_pos; i++)
        nl += b->pos[i].u == u;
    ws->F = qpm__calloc(&b->alloc, 10 * n, sizeof(double));
    ws->type = qpm__calloc(&b->alloc, n, sizeof(int32_t));
    ws->pos = qpm__calloc(&b->alloc, 2 * n, sizeof(size_t));
    ws->lin = qpm__calloc(&b->alloc, nl, sizeof(size_t)); /* lin, then amm */
    if (ws->F == NULL || ws->type == NULL || ws->pos == NULL || ws->lin == NULL) {
        ws_free(&b->alloc, ws);
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the liquidation workspace (%zu options)",
                         ws->n);
    }
    ws->K = ws->F + n, ws->T = ws->K + n, ws->r = ws->T + n, ws->sig = ws->r + n;
    ws->B0 = ws->sig + n, ws->w = ws->B0 + n, ws->B = ws->w + n, ws->Fx = ws->B + n;
    ws->sigx = ws->Fx + n, ws->oj = ws->pos + n;
    size_t k = 0;
    for (size_t j = 0; j < o->n; j++)
        if (o->u[j] == u) {
            ws->F[k] = o->F[j], ws->K[k] = o->K[j], ws->T[k] = o->T[j], ws->r[k] = o->r[j];
            ws->sig[k] = o->sig[j], ws->B0[k] = o->B[j], ws->w[k] = o->w[j];
            ws->type[k] = o->type[j], ws->pos[k] = o->pos[j], ws->oj[k] = j;
            k++;
        }
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__instr *kind = qpm__pos_kind(&b->pos[i]);
        if (b->pos[i].u == u && kind->margin != NULL && kind->scen != QPM__SCEN_BLACK76)
            ws->lin[ws->nlin++] = i;
    }
    ws->amm = ws->lin + ws->nlin;
    for (size_t a = 0; a < b->n_amm; a++)
        if (b->amm[a].u == u)
            ws->amm[ws->namm++] = a;
    /* equity now, and the maintenance margin of every position not on u,
     * which no move of u changes */
    margin_cache(b);
    ws->eq0 = collateral(b, SIZE_MAX, 1.0) + b->value_sum;
    double t = 0.0;
    for (size_t v = 0; v < b->n_under; v++)
        if (v != u)
            t += b->under[v].mm_base;
    ws->mm_other = t;
    return QPM_OK;
}

/* equity - maintenance margin with underlying u moved by x: u's options
 * repriced once in the moved market, its linear positions by their slope,
 * its AMM positions by their closed forms, its coin collateral at the
 * moved spot. */
static qpm_status excess(qpm_book *b, liq_ws *ws, double x, double *g)
{
    size_t u = ws->u;
    const qpm__book_under *ux = &b->under[u];
    double fx = 1.0 + x, S = ux->S;
    double eq = ws->eq0 + ux->slope * x + ux->coll_eff * S * x;
    for (size_t k = 0; k < ws->namm; k++) {
        const qpm__book_amm *p = &b->amm[ws->amm[k]];
        eq += qpm__book_amm_value(p, S * fx) - p->v0;
    }
    double mm = ws->mm_other;
    for (size_t k = 0; k < ws->nlin; k++) {
        const qpm__book_pos *p = &b->pos[ws->lin[k]];
        double im, m;
        qpm__pos_kind(p)->margin(b, p, fx, 0.0, &im, &m);
        mm += m;
    }
    if (ws->n > 0) {
        for (size_t k = 0; k < ws->n; k++) {
            ws->Fx[k] = ws->F[k] * fx;
            ws->sigx[k] = qpm__book_moved_vol(&b->opts, ws->oj[k], ws->T[k], ws->Fx[k], 1.0);
        }
        qpm__pjob job;
        memset(&job, 0, sizeof job);
        job.ng = 1;
        job.ne = job.gout = ws->n;
        job.u = ws->Fx, job.k = ws->K, job.t = ws->T, job.r = ws->r, job.sig = ws->sigx;
        job.type = ws->type;
        job.su = job.sk = job.st = job.sr = job.ssig = job.stype = 1;
        job.out[QPM__O_PRICE] = ws->B;
        qpm_status st = qpm__pricer_run(b->eng.pricer, &job);
        if (st != QPM_OK)
            return st;
        for (size_t k = 0; k < ws->n; k++) {
            const qpm__book_pos *p = &b->pos[ws->pos[k]];
            eq += ws->w[k] * (ws->B[k] - ws->B0[k]);
            if (p->Q < 0.0) {
                double im, m, mark = qpm__book_option_mark(p, ws->w[k], ws->B[k]);
                qpm__pos_kind(p)->margin(b, p, fx, mark, &im, &m);
                mm += m;
            }
        }
    }
    *g = eq - mm;
    if (!isfinite(*g))
        return qpm__fail(QPM_E_OVERFLOW,
                         "underlying %zu moved by %g: equity or margin beyond the range of double",
                         u, x);
    return QPM_OK;
}

/* equity - maintenance margin at a move x, for a liquidation search */
typedef qpm_status (*excess_fn)(qpm_book *b, const void *ctx, double x, double *g);

/* The move nearest 0 along scale x grid[k] (grid: n growing positive
 * fractions) at which the excess f falls to 0 or below, from g0 > 0 at 0:
 * the first grid point that gets there brackets it with the point before,
 * then the Illinois variant of regula falsi (superlinear, a halving of the
 * stalled side's value) until the bracket is within 1e-12 in x or the
 * excess within tol; `none` when no grid point gets there. */
static qpm_status crossing(qpm_book *b, excess_fn f, const void *ctx, const double *grid, size_t n,
                           double scale, double g0, double tol, double none, double *out)
{
    double a = 0.0, ga = g0, g;
    qpm_status st;
    for (size_t k = 0; k < n; k++) {
        double x = scale * grid[k];
        if ((st = f(b, ctx, x, &g)) != QPM_OK)
            return st;
        if (g <= 0.0) {
            double c = x, gc = g; /* ga > 0 at a, gc <= 0 at c */
            int side = 0;
            for (int it = 0; it < 200 && fabs(c - a) > 1e-12 && fabs(gc) > tol; it++) {
                double m = c - gc * (c - a) / (gc - ga);
                if (!(m > fmin(a, c) && m < fmax(a, c)))
                    m = 0.5 * (a + c);
                double gm;
                if ((st = f(b, ctx, m, &gm)) != QPM_OK)
                    return st;
                if (gm <= 0.0) {
                    c = m, gc = gm;
                    if (side == -1)
                        ga *= 0.5;
                    side = -1;
                } else {
                    a = m, ga = gm;
                    if (side == 1)
                        gc *= 0.5;
                    side = 1;
                }
            }
            *out = c;
            return QPM_OK;
        }
        a = x, ga = g;
    }
    *out = none;
    return QPM_OK;
}

/* The bracketing grids of both directions: the moves down (times -1) and
 * up of qpm_book_liquidation, as fractions. */
static const double grid_down[] = {0.01, 0.05, 0.15, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999};
static const double grid_up[] = {0.01, 0.05, 0.15, 0.3, 0.5, 1.0, 2.0, 4.0, 10, 30, 99};
#define N_GRID(g) (sizeof(g) / sizeof((g)[0]))

static qpm_status one_excess(qpm_book *b, const void *ctx, double x, double *g)
{
    return excess(b, (liq_ws *)(uintptr_t)ctx, x, g);
}

qpm_status qpm_book_liquidation(qpm_book *b, size_t u, double *down, double *up)
{
    QPM__CHECK_NULL(b, "b");
    if (u >= b->n_under)
        return qpm__fail(QPM_E_INVALID, "u = %zu: must be < %zu (the number of underlyings)", u,
                         b->n_under);
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    liq_ws ws;
    if ((st = ws_init(b, u, &ws)) != QPM_OK)
        return st;
    double g0, d = 0.0, v = 0.0;
    st = excess(b, &ws, 0.0, &g0);
    if (st == QPM_OK && g0 > 0.0) {
        /* within 1e-13 of the account's scale, equity plus margin */
        double tol = 1e-13 * (fabs(ws.eq0) + fabs(ws.mm_other) + fabs(g0));
        st = crossing(b, one_excess, &ws, grid_down, N_GRID(grid_down), -1.0, g0, tol, -1.0, &d);
        if (st == QPM_OK)
            st = crossing(b, one_excess, &ws, grid_up, N_GRID(grid_up), 1.0, g0, tol,
                          (double)INFINITY, &v);
    }
    ws_free(&b->alloc, &ws);
    if (st != QPM_OK)
        return st;
    if (down != NULL)
        *down = d;
    if (up != NULL)
        *up = v;
    return QPM_OK;
}

/* ---- the account over a risk matrix ------------------------------------------------ */

/* Equity and maintenance margin with every underlying u's prices moved by
 * the factor fxs[u], or (fxs NULL) those gu selects (gu, or every one for
 * QPM_BOOK_ALL) moved by fx and their option vols by fv: a full
 * revaluation, options repriced through worker 0's scratch. */
static qpm_status account_at(qpm_book *b, const double *fxs, size_t gu, double fx, double fv,
                             double *eq, double *mm)
{
#define MOVES(u) (gu == QPM_BOOK_ALL || gu == (u))
#define FX(u)    (fxs != NULL ? fxs[u] : MOVES(u) ? fx : 1.0)
    double e = b->coll_usd, m = 0.0;
    for (size_t u = 0; u < b->n_under; u++) {
        const qpm__book_under *x = &b->under[u];
        e += x->coll_eff * (x->S * FX(u));
    }
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__instr *kind = qpm__pos_kind(p);
        double f = FX(p->u);
        if (kind->scen == QPM__SCEN_BLACK76) {
            opt++;
            continue;
        }
        if (kind->scen == QPM__SCEN_LINEAR) {
            qpm__book_row r;
            kind->row(b, p, opt, &r);
            e += r.value_usd + kind->slope(b, p) * (f - 1.0);
        }
        if (kind->margin != NULL) {
            double a, c;
            kind->margin(b, p, f, 0.0, &a, &c);
            m += c;
        }
    }
    for (size_t a = 0; a < b->n_amm; a++)
        e += qpm__book_amm_value(&b->amm[a], b->under[b->amm[a].u].S * FX(b->amm[a].u));
    const qpm__book_opts *o = &b->opts;
    qpm__book_worker *w = &b->eng.w[0];
    size_t run = b->eng.cap;
    for (size_t j0 = 0; j0 < o->n; j0 += run) {
        size_t n = o->n - j0 < run ? o->n - j0 : run;
        for (size_t j = 0; j < n; j++) {
            size_t u = o->u[j0 + j];
            w->F[j] = o->F[j0 + j] * FX(u);
            w->sig[j] = qpm__book_moved_vol(o, j0 + j, o->T[j0 + j], w->F[j],
                                            fxs == NULL && MOVES(u) ? fv : 1.0);
        }
        qpm__pjob job;
        memset(&job, 0, sizeof job);
        job.ng = 1;
        job.ne = job.gout = n;
        job.u = w->F, job.k = o->K + j0, job.t = o->T + j0, job.r = o->r + j0;
        job.sig = w->sig, job.type = o->type + j0;
        job.su = job.sk = job.st = job.sr = job.ssig = job.stype = 1;
        job.out[QPM__O_PRICE] = w->B;
        qpm_status st = qpm__pricer_run(b->eng.pricer, &job);
        if (st != QPM_OK)
            return st;
        for (size_t j = 0; j < n; j++) {
            const qpm__book_pos *p = &b->pos[o->pos[j0 + j]];
            e += o->w[j0 + j] * w->B[j];
            if (p->Q < 0.0) {
                double a, c, mark = qpm__book_option_mark(p, o->w[j0 + j], w->B[j]);
                qpm__pos_kind(p)->margin(b, p, FX(p->u), mark, &a, &c);
                m += c;
            }
        }
    }
#undef FX
#undef MOVES
    *eq = e;
    *mm = m;
    return QPM_OK;
}

/* A shift is acceptable when finite, > -1, and every moved price (vol) of
 * the underlyings it moves stays finite and > 0. */
static qpm_status check_shift(const qpm_book *b, size_t gu, double s, int vol, size_t k)
{
    const char *what = vol ? "vol shift" : "spot shift";
    if (!isfinite(s))
        return qpm__fail(QPM_E_NONFINITE, "%s %zu = %g: must be finite", what, k, s);
    if (!(s > -1.0))
        return qpm__fail(QPM_E_INVALID, "%s %zu = %.17g: must be > -1", what, k, s);
    for (size_t u = 0; u < b->n_under; u++) {
        if (gu != QPM_BOOK_ALL && gu != u)
            continue;
        const qpm__book_under *x = &b->under[u];
        double lo = vol ? x->smin : x->pmin, hi = vol ? x->smax : x->pmax;
        if (!isfinite(hi * (1.0 + s)) || (lo > 0.0 && !(lo * (1.0 + s) > 0.0)))
            return qpm__fail(QPM_E_INVALID,
                             "%s %zu = %.17g: a moved %s of underlying %zu (%s) leaves the "
                             "floating-point range",
                             what, k, s, vol ? "vol" : "price", u, x->name);
    }
    return QPM_OK;
}

qpm_status qpm_book_margin_grid(qpm_book *b, size_t u, size_t n_spot, const double *spot_shifts,
                                size_t n_vol, const double *vol_shifts, double *equity,
                                double *maintenance)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(spot_shifts, "spot_shifts");
    if (n_spot == 0 || n_vol == 0)
        return qpm__fail(QPM_E_SIZE, "%s = 0: must be >= 1", n_spot == 0 ? "n_spot" : "n_vol");
    if (vol_shifts == NULL && n_vol != 1)
        return qpm__fail(QPM_E_NULL, "vol_shifts is NULL with n_vol = %zu: must be 1", n_vol);
    if (n_vol > SIZE_MAX / n_spot)
        return qpm__fail(QPM_E_SIZE, "n_spot x n_vol = %zu x %zu: overflows size_t", n_spot, n_vol);
    if (b->n_under == 0)
        return qpm__fail(QPM_E_STATE, "the book has no underlyings");
    if (u != QPM_BOOK_ALL && u >= b->n_under)
        return qpm__fail(QPM_E_INVALID,
                         "u = %zu: must be < %zu (the number of underlyings) or QPM_BOOK_ALL", u,
                         b->n_under);
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n_spot; i++)
        if ((st = check_shift(b, u, spot_shifts[i], 0, i)) != QPM_OK)
            return st;
    for (size_t j = 0; vol_shifts != NULL && j < n_vol; j++)
        if ((st = check_shift(b, u, vol_shifts[j], 1, j)) != QPM_OK)
            return st;
    size_t bad = SIZE_MAX;
    for (size_t i = 0; i < n_spot; i++)
        for (size_t j = 0; j < n_vol; j++) {
            double e, m, v = vol_shifts != NULL ? vol_shifts[j] : 0.0;
            if ((st = account_at(b, NULL, u, 1.0 + spot_shifts[i], 1.0 + v, &e, &m)) != QPM_OK)
                return st;
            if ((!isfinite(e) || !isfinite(m)) && bad == SIZE_MAX)
                bad = i * n_vol + j;
            if (equity != NULL)
                equity[i * n_vol + j] = e;
            if (maintenance != NULL)
                maintenance[i * n_vol + j] = m;
        }
    if (bad != SIZE_MAX)
        return qpm__fail(QPM_E_OVERFLOW,
                         "cell %zu: equity or margin beyond the range of double (the outputs "
                         "are written but not meaningful)",
                         bad);
    return QPM_OK;
}

/* ---- the portfolio-margin model ---------------------------------------------------- */

qpm_status qpm_book_portfolio_margin(qpm_book *b, double *initial, double *maintenance,
                                     double *per_underlying)
{
    QPM__CHECK_NULL(b, "b");
    if (b->n_under == 0)
        return qpm__fail(QPM_E_STATE, "the book has no underlyings");
    size_t ns = b->pm_steps;
    double xs[41], vs[3] = {-b->pm_vol_down, 0.0, b->pm_vol_up}, pnl[41 * 3];
    for (size_t i = 0; i < ns; i++)
        xs[i] = -b->pm_range + 2.0 * b->pm_range * (double)i / (double)(ns - 1);
    double ext[2] = {-b->pm_ext, b->pm_ext}, pe[2];
    /* two passes: every underlying's margin found finite, then written */
    double total = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t u = 0; u < b->n_under; u++) {
            qpm_status st = qpm_book_scenario_grid(b, u, ns, xs, 3, vs, pnl, NULL, NULL);
            if (st == QPM_OK)
                st = qpm_book_scenario_grid(b, u, 2, ext, 1, NULL, pe, NULL, NULL);
            if (st != QPM_OK)
                return st;
            double worst = 0.0;
            for (size_t k = 0; k < ns * 3; k++)
                worst = fmax(worst, -pnl[k]);
            worst = fmax(worst, b->pm_damp * fmax(-pe[0], -pe[1]));
            if (pass == 0)
                total += worst;
            else if (per_underlying != NULL)
                per_underlying[u] = worst;
        }
        if (pass == 0 && !isfinite(total))
            return qpm__fail(QPM_E_OVERFLOW, "the portfolio margin is beyond the range of double");
    }
    if (initial != NULL)
        *initial = total;
    if (maintenance != NULL)
        *maintenance = b->pm_mm * total;
    return QPM_OK;
}

/* ---- every coin moving together ------------------------------------------------------ */

typedef struct joint {
    const double *betas;
    double *fxs;
} joint;

/* equity - maintenance margin at the market move x */
static qpm_status joint_excess(qpm_book *b, const joint *jt, double x, double *g)
{
    for (size_t u = 0; u < b->n_under; u++)
        jt->fxs[u] = 1.0 + jt->betas[u] * x;
    double e, m;
    qpm_status st = account_at(b, jt->fxs, QPM_BOOK_ALL, 1.0, 1.0, &e, &m);
    if (st != QPM_OK)
        return st;
    *g = e - m;
    if (!isfinite(*g))
        return qpm__fail(QPM_E_OVERFLOW,
                         "market move %g: equity or margin beyond the range of double", x);
    return QPM_OK;
}

static qpm_status joint_excess_fn(qpm_book *b, const void *ctx, double x, double *g)
{
    return joint_excess(b, (const joint *)ctx, x, g);
}

qpm_status qpm_book_liquidation_joint(qpm_book *b, const double *betas, double *down, double *up)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(betas, "betas");
    if (b->n_under == 0)
        return qpm__fail(QPM_E_STATE, "the book has no underlyings");
    double bmax = 0.0, bmin = 0.0;
    for (size_t u = 0; u < b->n_under; u++) {
        if (!isfinite(betas[u]))
            return qpm__fail(QPM_E_NONFINITE, "betas[%zu] = %g: must be finite", u, betas[u]);
        bmax = fmax(bmax, betas[u]);
        bmin = fmin(bmin, betas[u]);
    }
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    joint jt = {betas, qpm__calloc(&b->alloc, b->n_under, sizeof(double))};
    if (jt.fxs == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu moved factors", b->n_under);
    /* the moves that keep every factor 1 + beta x > 0, and 99 at most */
    double dlim = bmax > 0.0 ? fmin(1.0 / bmax, 99.0) : 99.0;
    double ulim = bmin < 0.0 ? fmin(-1.0 / bmin, 99.0) : 99.0;
    double g0, d = 0.0, v = 0.0;
    st = joint_excess(b, &jt, 0.0, &g0);
    if (st == QPM_OK && g0 > 0.0) {
        /* the grids scaled into the moves that keep every factor > 0 */
        double tol = 1e-13 * (fabs(g0) + 1.0);
        st = crossing(b, joint_excess_fn, &jt, grid_down, N_GRID(grid_down), -dlim, g0, tol, -1.0,
                      &d);
        if (st == QPM_OK)
            st = crossing(b, joint_excess_fn, &jt, grid_up, N_GRID(grid_up), ulim / 99.0 * 0.999999,
                          g0, tol, (double)INFINITY, &v);
    }
    qpm__free(&b->alloc, jt.fxs);
    if (st != QPM_OK)
        return st;
    if (down != NULL)
        *down = d;
    if (up != NULL)
        *up = v;
    return QPM_OK;
}

/* ---- leverage ------------------------------------------------------------------------ */

qpm_status qpm_book_leverage(qpm_book *b, double *gross, double *net, double *gross_notional,
                             double *net_delta_usd)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    double eq = equity_now(b), notional = 0.0, delta = 0.0;
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__instr *kind = qpm__pos_kind(p);
        double S = b->under[p->u].S, qm = fabs(p->Q * p->m);
        qpm__book_row r;
        kind->row(b, p, opt, &r);
        opt += (size_t)(kind->scen == QPM__SCEN_BLACK76);
        if (kind->scen == QPM__SCEN_AMM)
            notional += fabs(r.value_usd);
        else if (kind->scen == QPM__SCEN_BLACK76 || kind->ref == QPM__REF_SPOT)
            notional += qm * S;
        else if (kind->inverse)
            notional += qm;
        else
            notional += qm * qpm__instr_ref_price(b, p);
        delta += S * r.delta_coin;
    }
    for (size_t u = 0; u < b->n_under; u++)
        delta += b->under[u].coll_full * b->under[u].S;
    if (!isfinite(eq) || !isfinite(notional) || !isfinite(delta))
        return qpm__fail(QPM_E_OVERFLOW, "equity, notional or delta beyond the range of double");
    if (!(eq > 0.0))
        return qpm__fail(QPM_E_STATE, "equity = %.17g USD: not positive, leverage is undefined",
                         eq);
    if (gross != NULL)
        *gross = notional / eq;
    if (net != NULL)
        *net = delta / eq;
    if (gross_notional != NULL)
        *gross_notional = notional;
    if (net_delta_usd != NULL)
        *net_delta_usd = delta;
    return QPM_OK;
}
