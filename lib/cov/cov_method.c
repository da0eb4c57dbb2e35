/* The covariance estimators, one row each: what they need and how the
 * estimate follows from the stream state. */
#include <string.h>

#include "cov_internal.h"

const char *const qpm__cov_method_names[QPM__COV_NMETHODS] = {
    "QPM_COV_SAMPLE", "QPM_COV_EWMA", "QPM_COV_LEDOIT_WOLF", "QPM_COV_OAS", "QPM_COV_SEMI"};

int qpm__cov_constant_correlation(const qpm_cov *c)
{
    return c->method == QPM_COV_LEDOIT_WOLF && c->target == QPM_COV_TARGET_CONSTANT_CORRELATION;
}

/* ---- rows ------------------------------------------------------------------- */

static qpm_status sample_rows(const qpm_cov *c, size_t rows, qpm_status code)
{
    if (rows <= c->ddof)
        return qpm__fail(code, "%zu rows: QPM_COV_SAMPLE with ddof = %zu needs more", rows,
                         c->ddof);
    return QPM_OK;
}

static qpm_status ewma_rows(const qpm_cov *c, size_t rows, qpm_status code)
{
    if (rows < c->init_rows)
        return qpm__fail(code, "%zu rows: QPM_COV_EWMA needs QPM_COV_EWMA_INIT_ROWS = %zu rows",
                         rows, c->init_rows);
    return QPM_OK;
}

static qpm_status lw_prepare(qpm_cov *c)
{
    return qpm__cov_constant_correlation(c) ? qpm__cov_need_aux(c) : QPM_OK;
}

/* ---- from the stream state ----------------------------------------------------- */

/* The co-moment methods need the co-moments of at least 2 rows. */
static qpm_status need_moments(const qpm_cov *c)
{
    const char *name = qpm__cov_method_names[c->method];
    if (!c->have_mom)
        return qpm__fail(QPM_E_STATE, "no co-moments for %s (the last fit was %s): fit again", name,
                         c->have_ew ? "EWMA" : "batch-only or pairwise");
    if (c->nobs < 2)
        return qpm__fail(QPM_E_STATE, "%zu row: %s needs at least 2", c->nobs, name);
    return QPM_OK;
}

static qpm_status sample_finalise(qpm_cov *c)
{
    qpm_status st = need_moments(c);
    if (st == QPM_OK)
        st = sample_rows(c, c->nobs, QPM_E_STATE);
    if (st != QPM_OK)
        return st;
    size_t n = c->n;
    double f = 1.0 / (double)(c->nobs - c->ddof);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            c->est[i * n + j] = c->mom[i * n + j] * f;
    return QPM_OK;
}

static qpm_status ewma_finalise(qpm_cov *c)
{
    if (!c->have_ew)
        return qpm__fail(QPM_E_STATE,
                         "no EWMA state (the last fit was not EWMA, or lambda or the seed "
                         "length changed since): fit again");
    qpm_status st = ewma_rows(c, c->nobs, QPM_E_STATE);
    if (st != QPM_OK)
        return st;
    memcpy(c->est, c->ew, c->n * c->n * sizeof(double));
    return QPM_OK;
}

static qpm_status lw_finalise(qpm_cov *c)
{
    if (qpm__cov_constant_correlation(c))
        return qpm__fail(QPM_E_STATE, "QPM_COV_LEDOIT_WOLF with the constant-correlation target "
                                      "is computed by qpm_cov_fit only: fit again");
    qpm_status st = need_moments(c);
    return st != QPM_OK ? st : qpm__cov_shrink_lw(c);
}

static qpm_status oas_finalise(qpm_cov *c)
{
    qpm_status st = need_moments(c);
    return st != QPM_OK ? st : qpm__cov_shrink_oas(c);
}

/* ---- the table ------------------------------------------------------------------ */

const qpm__cov_method qpm__cov_methods[QPM__COV_NMETHODS] = {
    [QPM_COV_SAMPLE] = {QPM__COV_PAIRWISE, sample_rows, NULL, qpm__cov_fit_moments,
                        sample_finalise},
    [QPM_COV_EWMA] = {0, ewma_rows, NULL, qpm__cov_fit_ewma, ewma_finalise},
    [QPM_COV_LEDOIT_WOLF] = {QPM__COV_SHRINKS, NULL, lw_prepare, qpm__cov_fit_moments, lw_finalise},
    [QPM_COV_OAS] = {QPM__COV_SHRINKS, NULL, NULL, qpm__cov_fit_moments, oas_finalise},
    [QPM_COV_SEMI] = {QPM__COV_PAIRWISE, NULL, NULL, qpm__cov_fit_semi, NULL},
};
