/* Venue and protocol defaults in the Monte Carlo: per scenario and venue a
 * uniform from streams of their own (the market scenarios are drawn
 * exactly as without defaults), and the loss of what a defaulted venue
 * holds in that scenario's market. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/book.h"
#include "risk_internal.h"

/* Block b of the scenarios draws its defaults from stream
 * QPM__RISK_DEFAULT_STREAM + b of the base generator, far from the market
 * scenarios' streams 0, 1, ... */
#define QPM__RISK_DEFAULT_STREAM 0x4000000000000000u

qpm_status qpm_risk_set_venue_defaults(qpm_risk *r, size_t n, const double *prob,
                                       const double *recovery)
{
    QPM__CHECK_NULL(r, "r");
    if (n > 0) {
        QPM__CHECK_NULL(prob, "prob");
        QPM__CHECK_NULL(recovery, "recovery");
    }
    for (size_t v = 0; v < n; v++) {
        if (!isfinite(prob[v]) || !isfinite(recovery[v]))
            return qpm__fail(QPM_E_NONFINITE, "venue %zu: prob = %g, recovery = %g: must be finite",
                             v, prob[v], recovery[v]);
        if (!(prob[v] >= 0.0 && prob[v] <= 1.0))
            return qpm__fail(QPM_E_INVALID, "prob[%zu] = %.17g: must be in [0, 1]", v, prob[v]);
        if (!(recovery[v] >= 0.0 && recovery[v] <= 1.0))
            return qpm__fail(QPM_E_INVALID, "recovery[%zu] = %.17g: must be in [0, 1]", v,
                             recovery[v]);
    }
    double *m = NULL;
    if (n > 0) {
        if (n > SIZE_MAX / (5 * sizeof *m))
            return qpm__fail(QPM_E_NOMEM, "n = %zu venues: too many", n);
        if ((m = qpm__calloc(&r->alloc, 4 * n + 1, sizeof *m)) == NULL)
            return qpm__fail(QPM_E_NOMEM, "venue defaults: %zu venues", n);
        memcpy(m, prob, n * sizeof *m);
        memcpy(m + n, recovery, n * sizeof *m);
    }
    qpm__free(&r->alloc, r->vd_prob);
    r->vd_prob = m;
    r->vd_rec = m ? m + n : NULL;
    r->vd_u = m ? m + 2 * n : NULL;
    r->vd_value = m ? m + 3 * n : NULL;
    r->n_vd = n;
    return QPM_OK;
}

qpm_status qpm__risk_check_defaults(const qpm_risk *r, qpm_book *book)
{
    if (r->n_vd == 0)
        return QPM_OK;
    size_t nv = 0;
    qpm_status st = qpm_book_n_venues(book, &nv);
    if (st != QPM_OK)
        return st;
    if (nv != r->n_vd)
        return qpm__fail(QPM_E_SIZE,
                         "the book has %zu venues but the venue defaults give %zu (set them "
                         "again, or with n = 0 to clear them)",
                         nv, r->n_vd);
    return QPM_OK;
}

qpm_status qpm__risk_apply_defaults(qpm_risk *r, qpm_book *book, size_t first, size_t cnt, int vols,
                                    double *pnl)
{
    const size_t nv = r->n_vd, n = r->n;
    qpm_rng *g = r->workers[0].rng; /* free once the batch is filled */
    size_t block = SIZE_MAX;
    for (size_t j = 0; j < cnt; j++) {
        size_t s = first + j;
        if (s / QPM__RISK_BLOCK != block) {
            /* batches start on a block boundary: each block's stream is
             * read from its start */
            block = s / QPM__RISK_BLOCK;
            qpm_rng_set_stream(g, r->base, QPM__RISK_DEFAULT_STREAM + block);
        }
        qpm_rng_uniform(g, nv, r->vd_u);
        int any = 0;
        for (size_t v = 0; v < nv; v++)
            any |= r->vd_u[v] < r->vd_prob[v];
        if (!any)
            continue;
        qpm_status st =
            qpm_book_venue_value(book, 1, r->batch_spot + j * n, n,
                                 vols ? r->batch_vol + j * n : NULL, n, r->vd_value, nv + 1);
        if (st != QPM_OK)
            return st;
        double loss = 0.0;
        for (size_t v = 0; v < nv; v++)
            if (r->vd_u[v] < r->vd_prob[v])
                loss += (1.0 - r->vd_rec[v]) * r->vd_value[v];
        pnl[j] -= loss;
        if (!isfinite(pnl[j]))
            return qpm__fail(QPM_E_OVERFLOW,
                             "scenario %zu: the P&L with venue defaults is beyond the range of "
                             "double",
                             s);
    }
    return QPM_OK;
}
