/* Euler contributions of each position to the Monte Carlo VaR and ES: the
 * run of qpm_risk_simulate, then the tail scenarios drawn again and
 * revalued position by position. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "risk_internal.h"

/* scenarios revalued per qpm_book_position_pnl call */
#define GATHER 64u

typedef struct ranked {
    double loss;
    size_t s;
} ranked;

static int by_loss(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->loss != y->loss)
        return x->loss < y->loss ? -1 : 1;
    return x->s < y->s ? -1 : x->s > y->s;
}

/* The window half-width of the VaR contributions: ceil(sqrt(N (1 - alpha))). */
static size_t window_of(size_t n, double alpha)
{
    double m = ceil(sqrt((double)n * (1.0 - alpha)));
    return m < 1.0 ? 1 : (size_t)m;
}

/* Revalues the gathered scenarios position by position and adds their
 * weighted losses to the sums. */
static qpm_status flush(qpm_book *book, size_t g, size_t n, const double *gs, const double *gv,
                        const double *wes, const double *wvar, double *p, size_t np, qpm__ksum *ces,
                        qpm__ksum *cvar)
{
    if (g == 0)
        return QPM_OK;
    qpm_status st = qpm_book_position_pnl(book, g, gs, n, gv, n, p, np);
    if (st != QPM_OK)
        return st;
    for (size_t k = 0; k < g; k++)
        for (size_t i = 0; i < np; i++) {
            double l = -p[k * np + i];
            if (wes[k] != 0.0)
                qpm__ksum_add(&ces[i], wes[k] * l);
            if (wvar[k] != 0.0)
                qpm__ksum_add(&cvar[i], wvar[k] * l);
        }
    return QPM_OK;
}

qpm_status qpm_risk_contributions(qpm_risk *r, qpm_book *book, double *var, double *es,
                                  double *var_contrib, double *es_contrib)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(book, "book");
    size_t np = 0;
    qpm_status st = qpm_book_n_positions(book, &np);
    if (st != QPM_OK)
        return st;
    for (size_t v = 0; v < r->n_vd; v++)
        if (r->vd_prob[v] > 0.0)
            return qpm__fail(QPM_E_UNSUPPORTED,
                             "venue defaults are set (venue %zu: probability %g): their losses "
                             "belong to no position; clear them for contributions",
                             v, r->vd_prob[v]);
    const size_t N = r->scenarios;
    /* pass 1: the run of qpm_risk_simulate, its P&L kept */
    double *pnl = qpm__calloc(&r->alloc, N, sizeof *pnl);
    ranked *rk = qpm__calloc(&r->alloc, N, sizeof *rk);
    double *wes = qpm__calloc(&r->alloc, 2 * N, sizeof *wes);
    size_t nu = r->n ? r->n : 1;
    double *gbuf =
        qpm__calloc(&r->alloc, 2 * GATHER * nu + 2 * GATHER + GATHER * (np ? np : 1), sizeof *gbuf);
    qpm__ksum *sums = qpm__calloc(&r->alloc, 2 * (np ? np : 1), sizeof *sums);
    if (pnl == NULL || rk == NULL || wes == NULL || gbuf == NULL || sums == NULL) {
        st = qpm__fail(QPM_E_NOMEM, "contributions: scratch for %zu scenarios", N);
        goto done;
    }
    double v, e;
    if ((st = qpm_risk_simulate(r, book, pnl, &v, &e, NULL, NULL)) != QPM_OK)
        goto done;
    /* the ranks of the losses, ties by scenario index */
    for (size_t s = 0; s < N; s++) {
        rk[s].loss = -pnl[s];
        rk[s].s = s;
    }
    qsort(rk, N, sizeof *rk, by_loss);
    double w;
    size_t k = qpm__risk_rank_of(r->alpha, N, &w);
    double *wvar = wes + N;
    for (size_t j = k; j < N; j++)
        wes[rk[j].s] = 1.0;
    wes[rk[k - 1].s] = w;
    size_t m = window_of(N, r->alpha), lo = k > m ? k - m : 1, hi = k + m < N ? k + m : N;
    for (size_t j = lo; j <= hi; j++)
        wvar[rk[j - 1].s] = 1.0;
    double den = (double)(N - k) + w;
    /* pass 2: the same scenarios again; those with a weight revalued */
    qpm__ksum *ces = sums, *cvar = sums + np;
    double *gs = gbuf, *gv = gs + GATHER * nu, *gw = gv + GATHER * nu, *gwv = gw + GATHER;
    double *p = gwv + GATHER;
    int vols = r->vol_of_vol > 0.0;
    size_t n = r->n, g = 0;
    for (size_t first = 0; first < N && st == QPM_OK; first += QPM__RISK_BATCH) {
        size_t cnt = N - first < QPM__RISK_BATCH ? N - first : QPM__RISK_BATCH;
        qpm__risk_fill(r, first, cnt, r->batch_spot, n, vols ? r->batch_vol : NULL, n);
        for (size_t j = 0; j < cnt && st == QPM_OK; j++) {
            size_t s = first + j;
            if (wes[s] == 0.0 && wvar[s] == 0.0)
                continue;
            memcpy(gs + g * n, r->batch_spot + j * n, n * sizeof *gs);
            if (vols)
                memcpy(gv + g * n, r->batch_vol + j * n, n * sizeof *gv);
            gw[g] = wes[s];
            gwv[g] = wvar[s];
            if (++g == GATHER) {
                st = flush(book, g, n, gs, vols ? gv : NULL, gw, gwv, p, np, ces, cvar);
                g = 0;
            }
        }
        if (st == QPM_OK)
            st = flush(book, g, n, gs, vols ? gv : NULL, gw, gwv, p, np, ces, cvar);
        g = 0;
    }
    if (st != QPM_OK)
        goto done;
    /* ES: the weights of the ES formula, so the contributions add up to it;
     * VaR: the window mean, scaled to add up to VaR */
    qpm__ksum tv = {0, 0};
    for (size_t i = 0; i < np; i++)
        qpm__ksum_add(&tv, qpm__ksum_value(&cvar[i]));
    double sv = qpm__ksum_value(&tv), scale = sv != 0.0 ? v / sv : 1.0 / (double)(hi - lo + 1);
    for (size_t i = 0; i < np; i++) {
        double ce = qpm__ksum_value(&ces[i]) / den, cv = qpm__ksum_value(&cvar[i]) * scale;
        if (!isfinite(ce) || !isfinite(cv)) {
            st = qpm__fail(QPM_E_OVERFLOW,
                           "position %zu: its contribution is beyond the range of double", i);
            goto done;
        }
    }
    if (var != NULL)
        *var = v;
    if (es != NULL)
        *es = e;
    for (size_t i = 0; i < np; i++) {
        if (es_contrib != NULL)
            es_contrib[i] = qpm__ksum_value(&ces[i]) / den;
        if (var_contrib != NULL)
            var_contrib[i] = qpm__ksum_value(&cvar[i]) * scale;
    }
done:
    qpm__free(&r->alloc, pnl);
    qpm__free(&r->alloc, rk);
    qpm__free(&r->alloc, wes);
    qpm__free(&r->alloc, gbuf);
    qpm__free(&r->alloc, sums);
    return st;
}
