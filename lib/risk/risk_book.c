/* Runs that revalue a book: Monte Carlo and (filtered) historical
 * simulation, batch by batch, then VaR/ES of the P&L. */
#include <math.h>
#include <string.h>

#include "qpm/book.h"
#include "risk_internal.h"

#define RET_MIN (-36.0)
#define RET_MAX 700.0

static qpm_status book_dims(qpm_book *book, size_t *n)
{
    QPM__CHECK_NULL(book, "book");
    qpm_status st = qpm_book_n_underlyings(book, n);
    if (st != QPM_OK)
        return st;
    if (*n == 0)
        return qpm__fail(QPM_E_STATE, "the book has no underlyings");
    return QPM_OK;
}

/* P&L of scenarios already in r->loss[0..count-1] -> outputs.  pnl_out is
 * written first; on QPM_E_OVERFLOW the other outputs stay untouched. */
static qpm_status finish(qpm_risk *r, size_t count, double *pnl_out, double *var, double *es,
                         double *var_se, double *es_se)
{
    double *l = r->loss;
    if (pnl_out != NULL)
        memcpy(pnl_out, l, count * sizeof *l);
    for (size_t s = 0; s < count; s++)
        l[s] = -l[s];
    double v, e, vs, ss;
    qpm_status st = qpm__risk_var_es_inplace(l, count, r->alpha, &v, &e, var_se ? &vs : NULL,
                                             es_se ? &ss : NULL);
    if (st != QPM_OK)
        return st;
    if (var)
        *var = v;
    if (es)
        *es = e;
    if (var_se)
        *var_se = vs;
    if (es_se)
        *es_se = ss;
    return QPM_OK;
}

qpm_status qpm_risk_simulate(qpm_risk *r, qpm_book *book, double *pnl_out, double *var,
                             double *es, double *var_se, double *es_se)
{
    QPM__CHECK_NULL(r, "r");
    size_t nb;
    qpm_status st = book_dims(book, &nb);
    if (st != QPM_OK)
        return st;
    if (r->n == 0)
        return qpm__fail(QPM_E_STATE, "no covariance: call qpm_risk_set_covariance first");
    if (nb != r->n)
        return qpm__fail(QPM_E_SIZE,
                         "the book has %zu underlyings but the covariance is %zu x %zu", nb,
                         r->n, r->n);
    size_t n = r->n, total = r->scenarios;
    st = qpm__risk_prepare_workers(r, n);
    if (st == QPM_OK)
        st = qpm__risk_prepare_batch(r, n, total);
    if (st != QPM_OK)
        return st;
    st = qpm__progress_report(&r->progress, 0.0);
    if (st != QPM_OK)
        return st;
    double *vol = r->vol_of_vol > 0.0 ? r->batch_vol : NULL;
    for (size_t first = 0; first < total; first += QPM__RISK_BATCH) {
        size_t cnt = total - first < QPM__RISK_BATCH ? total - first : QPM__RISK_BATCH;
        qpm__risk_fill(r, first, cnt, r->batch_spot, n, vol, n);
        st = qpm_book_pnl(book, cnt, r->batch_spot, n, vol, n, r->loss + first);
        if (st != QPM_OK)
            return st;
        st = qpm__progress_report(&r->progress, (double)(first + cnt) / (double)total);
        if (st != QPM_OK)
            return st;
    }
    return finish(r, total, pnl_out, var, es, var_se, es_se);
}

qpm_status qpm_risk_historical(qpm_risk *r, qpm_book *book, size_t t, const double *returns,
                               size_t ld, double *pnl_out, double *var, double *es,
                               double *var_se, double *es_se)
{
    QPM__CHECK_NULL(r, "r");
    size_t n;
    qpm_status st = book_dims(book, &n);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(returns, "returns");
    if (t == 0)
        return qpm__fail(QPM_E_SIZE, "t = 0: need at least 1 row of returns");
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n_underlyings = %zu", ld, n);
    for (size_t i = 0; i < t; i++)
        for (size_t u = 0; u < n; u++)
            if (!isfinite(returns[i * ld + u]))
                return qpm__fail(QPM_E_NONFINITE, "returns[%zu][%zu] = %g: must be finite", i, u,
                                 returns[i * ld + u]);
    st = qpm__risk_prepare_workers(r, n);
    if (st == QPM_OK)
        st = qpm__risk_prepare_batch(r, n, t);
    if (st != QPM_OK)
        return st;
    double lambda = r->ewma_lambda;
    int fhs = lambda > 0.0;
    double *s2 = r->workers[0].g, *s2_end = r->workers[0].jc;
    if (fhs) {
        /* seed: mean square of every return (zero-mean convention) */
        for (size_t u = 0; u < n; u++) {
            double m = 0.0;
            for (size_t i = 0; i < t; i++)
                m += returns[i * ld + u] * returns[i * ld + u];
            if (!isfinite(m))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "returns of underlying %zu: their squares overflow, so the "
                                 "EWMA variances of filtered historical simulation are beyond "
                                 "the range of double",
                                 u);
            s2_end[u] = m / (double)t;
        }
        memcpy(s2, s2_end, n * sizeof *s2);
        for (size_t i = 0; i < t; i++)
            for (size_t u = 0; u < n; u++)
                s2_end[u] = lambda * s2_end[u] +
                            (1.0 - lambda) * returns[i * ld + u] * returns[i * ld + u];
    }
    st = qpm__progress_report(&r->progress, 0.0);
    if (st != QPM_OK)
        return st;
    double sh = sqrt(r->horizon);
    for (size_t first = 0; first < t; first += QPM__RISK_BATCH) {
        size_t cnt = t - first < QPM__RISK_BATCH ? t - first : QPM__RISK_BATCH;
        for (size_t s = 0; s < cnt; s++) {
            const double *row = returns + (first + s) * ld;
            double *sp = r->batch_spot + s * n;
            for (size_t u = 0; u < n; u++) {
                double x = row[u];
                if (fhs) {
                    double f = s2[u] > 0.0 ? sqrt(s2_end[u] / s2[u]) : 1.0;
                    s2[u] = lambda * s2[u] + (1.0 - lambda) * x * x;
                    x *= f;
                }
                double ret = sh * x;
                if (ret < RET_MIN)
                    ret = RET_MIN;
                if (ret > RET_MAX)
                    ret = RET_MAX;
                sp[u] = expm1(ret);
            }
        }
        st = qpm_book_pnl(book, cnt, r->batch_spot, n, NULL, n, r->loss + first);
        if (st != QPM_OK)
            return st;
        st = qpm__progress_report(&r->progress, (double)(first + cnt) / (double)t);
        if (st != QPM_OK)
            return st;
    }
    return finish(r, t, pnl_out, var, es, var_se, es_se);
}
