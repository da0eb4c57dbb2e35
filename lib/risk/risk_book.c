/* Runs that revalue a book: the driver every scenario engine shares, and
 * the Monte Carlo and (filtered) historical simulation engines. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qpm/book.h"
#include "risk_internal.h"

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

/* ---- the revaluation driver ------------------------------------------------ */

qpm_status qpm__risk_revalue(qpm_risk *r, qpm_book *book, size_t n, size_t total,
                             const qpm__risk_engine *e, double *pnl_out, double *var, double *es,
                             double *var_se, double *es_se)
{
    qpm_status st = qpm__risk_prepare_workers(r, n);
    if (st == QPM_OK)
        st = qpm__risk_prepare_batch(r, n, total);
    if (st == QPM_OK)
        st = qpm__progress_report(&r->progress, 0.0);
    if (st != QPM_OK)
        return st;
    double *vol = e->vols ? r->batch_vol : NULL;
    qpm__risk_grid *G = NULL;
    r->grid_err = (double)NAN;
    if (r->reval == QPM_RISK_REVALUE_GRID && (st = qpm__risk_grid_new(&r->alloc, n, &G)) != QPM_OK)
        return st;
    /* the Monte Carlo revalues from the grids as it draws (not with vol
     * moves or venue defaults, which need every scenario's moves) */
    int fused = G != NULL && e->fill_grid != NULL && vol == NULL && r->n_vd == 0;
    for (size_t first = 0, cnt; first < total; first += cnt) {
        cnt = total - first < QPM__RISK_BATCH ? total - first : QPM__RISK_BATCH;
        if (fused) {
            /* revalued as drawn, the scenarios beyond the grids after the
             * batch; a first batch of one block, all of it after (no grid
             * yet), builds the grids */
            if (first == 0 && cnt > QPM__RISK_BLOCK)
                cnt = QPM__RISK_BLOCK;
            double off = 0.0;
            const qpm__grid_view *views = qpm__risk_grid_views(G, n, &off);
            e->fill_grid(r, e->state, n, first, cnt, views, off, r->loss + first, r->batch_pend);
            st = qpm__risk_grid_pnl(G, &r->alloc, book, n, cnt, r->batch_spot, NULL, r->grid_tol,
                                    r->batch_pend, 1, r->loss + first);
        } else if (G != NULL) {
            e->fill(r, e->state, n, first, cnt);
            st = qpm__risk_grid_pnl(G, &r->alloc, book, n, cnt, r->batch_spot, vol, r->grid_tol,
                                    NULL, 0, r->loss + first);
        } else {
            e->fill(r, e->state, n, first, cnt);
            st = qpm_book_pnl(book, cnt, r->batch_spot, n, vol, n, r->loss + first);
        }
        if (st == QPM_OK && r->n_vd > 0)
            st = qpm__risk_apply_defaults(r, book, first, cnt, vol != NULL, r->loss + first);
        if (st == QPM_OK)
            st = qpm__progress_report(&r->progress, (double)(first + cnt) / (double)total);
        if (st != QPM_OK) {
            qpm__risk_grid_free(&r->alloc, G);
            return st;
        }
    }
    if (G != NULL) {
        r->grid_err = qpm__risk_grid_bound(G);
        qpm__risk_grid_free(&r->alloc, G);
    }
    return finish(r, total, pnl_out, var, es, var_se, es_se);
}

/* ---- Monte Carlo ----------------------------------------------------------- */

static void mc_fill(qpm_risk *r, void *state, size_t n, size_t first, size_t cnt)
{
    (void)state;
    qpm__risk_fill(r, first, cnt, r->batch_spot, n, r->vol_of_vol > 0.0 ? r->batch_vol : NULL,
                   n);
}

static void mc_fill_grid(qpm_risk *r, void *state, size_t n, size_t first, size_t cnt,
                         const qpm__grid_view *v, double off, double *pnl, unsigned char *pend)
{
    (void)state;
    qpm__risk_fill_grid(r, first, cnt, r->batch_spot, n, v, off, pnl, pend);
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
    if ((st = qpm__risk_check_defaults(r, book)) != QPM_OK)
        return st;
    qpm__risk_engine e = {mc_fill, NULL, r->vol_of_vol > 0.0, mc_fill_grid};
    return qpm__risk_revalue(r, book, r->n, r->scenarios, &e, pnl_out, var, es, var_se, es_se);
}

/* ---- historical and filtered historical simulation -------------------------- */

/* Row s of the returns is scenario s; filtered, each return is rescaled by
 * the ratio of the last EWMA volatility to the one of its day, s2 carrying
 * the EWMA variances from row to row (batches come in order). */
typedef struct hist {
    const double *returns;
    size_t ld;
    double lambda, sh;
    double *s2, *s2_end; /* n each, filtered only */
    double *garch;       /* GARCH filter: 6 per underlying (see garch_fit_all), else NULL */
} hist;

/* The GARCH filter's state of underlying u: g[0..3] = mu, omega, alpha,
 * beta, g[4] = the conditional variance of the current row, g[5] = the
 * one-step forecast variance after the last row. */
enum { G_MU, G_OMEGA, G_ALPHA, G_BETA, G_H, G_HEND, G_N };

static double garch_step(double *g, double x)
{
    double e = x - g[G_MU];
    double f = sqrt(g[G_HEND] / g[G_H]);
    g[G_H] = g[G_OMEGA] + g[G_ALPHA] * e * e + g[G_BETA] * g[G_H];
    return g[G_MU] + e * f;
}

static void hist_fill(qpm_risk *r, void *state, size_t n, size_t first, size_t cnt)
{
    hist *h = state;
    int fhs = h->lambda > 0.0;
    for (size_t s = 0; s < cnt; s++) {
        const double *row = h->returns + (first + s) * h->ld;
        double *sp = r->batch_spot + s * n;
        for (size_t u = 0; u < n; u++) {
            double x = row[u];
            if (h->garch) {
                x = garch_step(h->garch + u * G_N, x);
            } else if (fhs) {
                double f = h->s2[u] > 0.0 ? sqrt(h->s2_end[u] / h->s2[u]) : 1.0;
                h->s2[u] = h->lambda * h->s2[u] + (1.0 - h->lambda) * x * x;
                x *= f;
            }
            sp[u] = qpm__risk_move(h->sh * x);
        }
    }
}

/* The EWMA variances of filtered historical simulation: seeded with the
 * mean square of every return (zero-mean convention), s2 at the first row
 * and s2_end after the last. */
static qpm_status hist_seed(hist *h, size_t n, size_t t)
{
    const double *x = h->returns;
    for (size_t u = 0; u < n; u++) {
        double m = 0.0;
        for (size_t i = 0; i < t; i++)
            m += x[i * h->ld + u] * x[i * h->ld + u];
        if (!isfinite(m))
            return qpm__fail(QPM_E_OVERFLOW,
                             "returns of underlying %zu: their squares overflow, so the "
                             "EWMA variances of filtered historical simulation are beyond "
                             "the range of double",
                             u);
        h->s2_end[u] = m / (double)t;
    }
    memcpy(h->s2, h->s2_end, n * sizeof *h->s2);
    for (size_t i = 0; i < t; i++)
        for (size_t u = 0; u < n; u++)
            h->s2_end[u] = h->lambda * h->s2_end[u] +
                           (1.0 - h->lambda) * x[i * h->ld + u] * x[i * h->ld + u];
    return QPM_OK;
}

/* Fits GARCH(1,1) to every column (dist per QPM_RISK_FILTER) into g. */
static qpm_status garch_fit_all(const qpm_risk *r, double *g, const double *returns, size_t ld,
                                size_t n, size_t t)
{
    qpm_garch_dist dist = r->filter == QPM_RISK_FILTER_GARCH_T ? QPM_GARCH_T : QPM_GARCH_NORMAL;
    for (size_t u = 0; u < n; u++) {
        const double *col = returns + u;
        qpm_garch_result res;
        memset(&res, 0, sizeof res);
        res.size = sizeof res;
        qpm_status st = qpm__garch_check_series(col, t, ld);
        if (st == QPM_OK)
            st = qpm__garch_fit(col, t, ld, dist, NULL, &res);
        if (st != QPM_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", qpm_last_error());
            return qpm__fail(st, "GARCH filter, returns of underlying %zu: %s", u, msg);
        }
        double *gu = g + u * G_N;
        gu[G_MU] = res.params[QPM_GARCH_MU];
        gu[G_OMEGA] = res.params[QPM_GARCH_OMEGA];
        gu[G_ALPHA] = res.params[QPM_GARCH_ALPHA];
        gu[G_BETA] = res.params[QPM_GARCH_BETA];
        gu[G_HEND] = res.sigma2_next;
        /* the backcast, as the fit defines sigma_1^2 */
        qpm__ksum m = {0, 0};
        for (size_t i = 0; i < t; i++) {
            double e = col[i * ld] - gu[G_MU];
            qpm__ksum_add(&m, e * e);
        }
        gu[G_H] = qpm__ksum_value(&m) / (double)t;
    }
    return QPM_OK;
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
    /* the filter's variances live in the first worker's scratch */
    st = qpm__risk_prepare_workers(r, n);
    if (st == QPM_OK)
        st = qpm__risk_prepare_batch(r, n, t);
    if (st != QPM_OK)
        return st;
    if ((st = qpm__risk_check_defaults(r, book)) != QPM_OK)
        return st;
    hist h = {.returns = returns, .ld = ld, .lambda = r->ewma_lambda, .sh = sqrt(r->horizon)};
    h.s2 = r->workers[0].g;
    h.s2_end = r->workers[0].jc;
    if (r->filter != QPM_RISK_FILTER_EWMA) {
        if (t < QPM_GARCH_MIN_N)
            return qpm__fail(QPM_E_SIZE,
                             "t = %zu: the GARCH filter needs at least %d rows of returns", t,
                             QPM_GARCH_MIN_N);
        h.garch = qpm__calloc(&r->alloc, (size_t)G_N * n, sizeof(double));
        if (h.garch == NULL)
            return qpm__fail(QPM_E_NOMEM, "cannot allocate the GARCH filter of %zu underlyings", n);
        st = garch_fit_all(r, h.garch, returns, ld, n, t);
        if (st == QPM_OK) {
            qpm__risk_engine e = {hist_fill, &h, 0, NULL};
            st = qpm__risk_revalue(r, book, n, t, &e, pnl_out, var, es, var_se, es_se);
        }
        qpm__free(&r->alloc, h.garch);
        return st;
    }
    if (h.lambda > 0.0 && (st = hist_seed(&h, n, t)) != QPM_OK)
        return st;
    qpm__risk_engine e = {hist_fill, &h, 0, NULL};
    return qpm__risk_revalue(r, book, n, t, &e, pnl_out, var, es, var_se, es_se);
}

qpm_status qpm_risk_grid_error(const qpm_risk *r, double *bound)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(bound, "bound");
    if (isnan(r->grid_err))
        return qpm__fail(QPM_E_STATE, "no grid run: the last qpm_risk_simulate or "
                                      "qpm_risk_historical run (if any) was exact "
                                      "(QPM_RISK_REVALUATION)");
    *bound = r->grid_err;
    return QPM_OK;
}
