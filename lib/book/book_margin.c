/* The account view of a book: collateral, equity and the standard margin
 * model (each kind's margin function in the instrument table), and the
 * liquidation distance of an underlying by full revaluation. */
#include <math.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"
#include "pricing/pricer_run.h"

/* Collateral value (after haircuts) with underlying um's spot moved by fx. */
static double collateral(const qpm_book *b, size_t um, double fx)
{
    double v = b->coll_usd * (1.0 - b->coll_usd_h);
    for (size_t u = 0; u < b->n_under; u++) {
        const qpm__book_under *x = &b->under[u];
        v += x->coll * (x->S * (u == um ? fx : 1.0)) * (1.0 - x->coll_h);
    }
    return v;
}

/* Initial and maintenance margin of every position with underlying um's
 * prices moved by fx (um = SIZE_MAX or fx = 1: the current market); the
 * options are repriced in the moved market through worker 0's scratch in
 * runs of the engine's capacity.  Per position into pim, pmm (optional). */
static qpm_status margin_at(qpm_book *b, size_t um, double fx, double *im, double *mm, double *pim,
                            double *pmm)
{
    double tim = 0.0, tmm = 0.0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__instr *k = qpm__pos_kind(p);
        double a = 0.0, c = 0.0;
        if (k->margin != NULL && k->scen != QPM__SCEN_BLACK76)
            k->margin(b, p, p->u == um ? fx : 1.0, 0.0, &a, &c);
        if (pim != NULL)
            pim[i] = a;
        if (pmm != NULL)
            pmm[i] = c;
        tim += a;
        tmm += c;
    }
    const qpm__book_opts *o = &b->opts;
    qpm__book_worker *w = &b->eng.w[0];
    int moved = um != SIZE_MAX && fx != 1.0;
    size_t run = b->eng.cap;
    for (size_t j0 = 0; j0 < o->n; j0 += run) {
        size_t m = o->n - j0 < run ? o->n - j0 : run;
        const double *B = o->B + j0;
        if (moved) {
            for (size_t j = 0; j < m; j++) {
                w->F[j] = o->F[j0 + j] * (o->u[j0 + j] == um ? fx : 1.0);
                w->sig[j] = o->sig[j0 + j];
            }
            qpm__pjob job;
            memset(&job, 0, sizeof job);
            job.ng = 1;
            job.ne = job.gout = m;
            job.u = w->F, job.k = o->K + j0, job.t = o->T + j0, job.r = o->r + j0;
            job.sig = w->sig, job.type = o->type + j0;
            job.su = job.sk = job.st = job.sr = job.ssig = job.stype = 1;
            job.out[QPM__O_PRICE] = w->B;
            qpm_status st = qpm__pricer_run(b->eng.pricer, &job);
            if (st != QPM_OK)
                return st;
            B = w->B;
        }
        for (size_t j = 0; j < m; j++) {
            size_t i = o->pos[j0 + j];
            const qpm__book_pos *p = &b->pos[i];
            double a = 0.0, c = 0.0;
            if (p->Q < 0.0) {
                /* the position's USD value per coin: w B / (Q m) */
                double mark = o->w[j0 + j] / (p->Q * p->m) * B[j];
                qpm__pos_kind(p)->margin(b, p, p->u == um ? fx : 1.0, mark, &a, &c);
            }
            if (pim != NULL)
                pim[i] = a;
            if (pmm != NULL)
                pmm[i] = c;
            tim += a;
            tmm += c;
        }
    }
    *im = tim;
    *mm = tmm;
    return QPM_OK;
}

/* Equity at the current market: collateral plus every position's value. */
static double equity_now(const qpm_book *b)
{
    double v = collateral(b, SIZE_MAX, 1.0);
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

qpm_status qpm_book_margin(qpm_book *b, double *equity, double *initial, double *maintenance,
                           double *position_im, double *position_mm)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = qpm__book_prepare(b);
    if (st != QPM_OK)
        return st;
    double eq = equity_now(b), im, mm;
    if ((st = margin_at(b, SIZE_MAX, 1.0, &im, &mm, NULL, NULL)) != QPM_OK)
        return st;
    if (!isfinite(eq) || !isfinite(im) || !isfinite(mm))
        return qpm__fail(QPM_E_OVERFLOW,
                         "equity %g, initial margin %g or maintenance margin %g beyond the range "
                         "of double",
                         eq, im, mm);
    if (position_im != NULL || position_mm != NULL)
        (void)margin_at(b, SIZE_MAX, 1.0, &im, &mm, position_im, position_mm);
    if (equity != NULL)
        *equity = eq;
    if (initial != NULL)
        *initial = im;
    if (maintenance != NULL)
        *maintenance = mm;
    return QPM_OK;
}

/* equity - maintenance margin with underlying u moved by x */
static qpm_status excess(qpm_book *b, size_t u, double eq0, double x, double *g)
{
    double pnl, im, mm;
    qpm_status st = qpm_book_scenario_grid(b, u, 1, &x, 1, NULL, &pnl, NULL, NULL);
    if (st != QPM_OK)
        return st;
    if ((st = margin_at(b, u, 1.0 + x, &im, &mm, NULL, NULL)) != QPM_OK)
        return st;
    double coll = b->under[u].coll * b->under[u].S * x * (1.0 - b->under[u].coll_h);
    *g = eq0 + pnl + coll - mm;
    if (!isfinite(*g))
        return qpm__fail(QPM_E_OVERFLOW,
                         "underlying %zu moved by %g: equity or margin beyond the range of double",
                         u, x);
    return QPM_OK;
}

/* The move nearest 0 in the direction of `grid` (n moves, growing in size)
 * at which the excess falls to 0 or below: the first grid point that gets
 * there, then bisection between it and the point before; `none` when no
 * grid point does. */
static qpm_status search(qpm_book *b, size_t u, double eq0, const double *grid, size_t n,
                         double none, double *out)
{
    double prev = 0.0, g;
    for (size_t k = 0; k < n; k++) {
        qpm_status st = excess(b, u, eq0, grid[k], &g);
        if (st != QPM_OK)
            return st;
        if (g <= 0.0) {
            double lo = prev, hi = grid[k]; /* excess > 0 at lo, <= 0 at hi */
            while (fabs(hi - lo) > 1e-12) {
                double mid = 0.5 * (lo + hi);
                if ((st = excess(b, u, eq0, mid, &g)) != QPM_OK)
                    return st;
                if (g <= 0.0)
                    hi = mid;
                else
                    lo = mid;
            }
            *out = hi;
            return QPM_OK;
        }
        prev = grid[k];
    }
    *out = none;
    return QPM_OK;
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
    double eq0 = equity_now(b), g0;
    if ((st = excess(b, u, eq0, 0.0, &g0)) != QPM_OK)
        return st;
    double d = 0.0, v = 0.0;
    if (g0 > 0.0) {
        static const double dn[] = {-1e-4, -3e-4, -1e-3, -3e-3, -0.01, -0.02,  -0.05,
                                    -0.1,  -0.15, -0.2,  -0.3,  -0.4,  -0.5,   -0.6,
                                    -0.7,  -0.8,  -0.9,  -0.95, -0.99, -0.999, -0.999999};
        static const double upg[] = {1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1,
                                     0.15, 0.2,  0.3,  0.4,  0.5,  0.7,  1.0,  1.5,
                                     2.0,  3.0,  5.0,  10,   20,   50,   99};
        if ((st = search(b, u, eq0, dn, sizeof dn / sizeof dn[0], -1.0, &d)) != QPM_OK ||
            (st = search(b, u, eq0, upg, sizeof upg / sizeof upg[0], (double)INFINITY, &v)) !=
                QPM_OK)
            return st;
    }
    if (down != NULL)
        *down = d;
    if (up != NULL)
        *up = v;
    return QPM_OK;
}
