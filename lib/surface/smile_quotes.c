/* Market quotes of one expiry: validation, conversion of prices to
 * Black-76 vols (the pricing module's implied-vol solver) and the fit
 * weights (include/qpm/surface.h, qpm_smile_quotes). */
#include <math.h>
#include <string.h>

#include "qpm/pricing.h"
#include "surface_internal.h"

static qpm_status check_values(const double *x, size_t n, const char *name, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s.%s[%zu] = %g: must be finite", name, field, i,
                             x[i]);
    return QPM_OK;
}

/* implied vols of n prices; st[i] != QPM_OK where none exists */
static qpm_status implied(qpm_pricer *pr, size_t n, const double *F, const double *K,
                          const double *T, const int32_t *type, const double *price, double *vol,
                          int32_t *st)
{
    qpm_status s = qpm_pricer_implied_vol(pr, n, F, K, T, NULL, NULL, type, price, vol, st);
    /* per-element failures are in st; only input errors abort */
    if (s == QPM_E_ARBITRAGE || s == QPM_E_NOCONVERGE)
        s = QPM_OK;
    if (s == QPM_OK)
        qpm_clear_error();
    return s;
}

qpm_status qpm__smile_prepare(const qpm_alloc *a, double T, double F, const qpm_smile_quotes *q,
                              const char *name, qpm__smile *sm)
{
    memset(sm, 0, sizeof *sm);
    QPM__CHECK_NULL(q, name);
    if (q->size < sizeof(qpm_smile_quotes))
        return qpm__fail(QPM_E_INVALID, "%s->size = %zu: must be sizeof(qpm_smile_quotes) = %zu",
                         name, q->size, sizeof(qpm_smile_quotes));
    size_t n = q->n;
    if (n < 5)
        return qpm__fail(QPM_E_SIZE, "%s.n = %zu: a raw SVI fit needs >= 5 quotes", name, n);
    if (q->strike == NULL)
        return qpm__fail(QPM_E_NULL, "%s.strike is NULL", name);
    if (q->kind != QPM_QUOTE_VOL && q->kind != QPM_QUOTE_PRICE)
        return qpm__fail(QPM_E_INVALID, "%s.kind = %d: must be QPM_QUOTE_VOL (0) or "
                         "QPM_QUOTE_PRICE (1)", name, (int)q->kind);
    int two = q->mid == NULL;
    if (two && (q->bid == NULL || q->ask == NULL))
        return qpm__fail(QPM_E_NULL, "%s.mid is NULL and %s.%s is NULL: give mid, or bid and ask",
                         name, name, q->bid == NULL ? "bid" : "ask");
    qpm_status st = check_values(q->strike, n, name, "strike");
    if (st == QPM_OK && !two)
        st = check_values(q->mid, n, name, "mid");
    if (st == QPM_OK && two)
        st = check_values(q->bid, n, name, "bid");
    if (st == QPM_OK && two)
        st = check_values(q->ask, n, name, "ask");
    if (st == QPM_OK && q->weight != NULL)
        st = check_values(q->weight, n, name, "weight");
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        if (!(q->strike[i] > 0.0))
            return qpm__fail(QPM_E_INVALID, "%s.strike[%zu] = %g: must be > 0", name, i,
                             q->strike[i]);
        if (!(fabs(log(q->strike[i] / F)) <= QPM__SMILE_KMAX))
            return qpm__fail(QPM_E_INVALID,
                             "%s.strike[%zu] = %g: |ln(K/F)| must be <= %g (F = %g)", name, i,
                             q->strike[i], QPM__SMILE_KMAX, F);
        if (i > 0 && !(q->strike[i] > q->strike[i - 1]))
            return qpm__fail(QPM_E_INVALID,
                             "%s.strike[%zu] = %g: strikes must be strictly increasing "
                             "(strike[%zu] = %g)", name, i, q->strike[i], i - 1, q->strike[i - 1]);
        if (two && q->bid[i] > q->ask[i])
            return qpm__fail(QPM_E_INVALID, "%s.bid[%zu] = %g > ask[%zu] = %g (strike %g): "
                             "crossed quote", name, i, q->bid[i], i, q->ask[i], q->strike[i]);
    }
    if (q->weight != NULL) {
        int any = 0;
        for (size_t i = 0; i < n; i++) {
            if (q->weight[i] < 0.0)
                return qpm__fail(QPM_E_INVALID, "%s.weight[%zu] = %g: must be >= 0", name, i,
                                 q->weight[i]);
            any |= q->weight[i] > 0.0;
        }
        if (!any)
            return qpm__fail(QPM_E_INVALID, "%s.weight: all 0, at least one must be > 0", name);
    }
    if (q->kind == QPM_QUOTE_VOL) {
        for (size_t i = 0; i < n; i++) {
            double v = two ? q->bid[i] : q->mid[i];
            if (!(v > 0.0))
                return qpm__fail(QPM_E_INVALID, "%s.%s[%zu] = %g (strike %g): a vol must be > 0",
                                 name, two ? "bid" : "mid", i, v, q->strike[i]);
            double va = two ? q->ask[i] : v;
            if (!(va <= QPM__SMILE_VOLMAX))
                return qpm__fail(QPM_E_INVALID,
                                 "%s.%s[%zu] = %g (strike %g): a vol must be <= %g (%g%%)", name,
                                 two ? "ask" : "mid", i, va, q->strike[i], QPM__SMILE_VOLMAX,
                                 100.0 * QPM__SMILE_VOLMAX);
        }
    } else {
        if (q->settlement != QPM_SETTLE_LINEAR && q->settlement != QPM_SETTLE_INVERSE)
            return qpm__fail(QPM_E_INVALID, "%s.settlement = %d: must be QPM_SETTLE_LINEAR (0) or "
                             "QPM_SETTLE_INVERSE (1)", name, q->settlement);
        if (q->type != NULL)
            for (size_t i = 0; i < n; i++)
                if (q->type[i] != QPM_CALL && q->type[i] != QPM_PUT)
                    return qpm__fail(QPM_E_INVALID, "%s.type[%zu] = %d: must be QPM_CALL (1) or "
                                     "QPM_PUT (-1)", name, i, (int)q->type[i]);
    }

    /* k, vol, w, W, then scratch for prices: F, T, mid, vol bid, vol ask, type, status */
    double *blk = qpm__calloc(a, 9 * n + n, sizeof(double));
    if (blk == NULL)
        return QPM_E_NOMEM;
    sm->n = n;
    sm->T = T;
    sm->k = blk;
    sm->vol = blk + n;
    sm->w = blk + 2 * n;
    sm->W = blk + 3 * n;
    double *spread = blk + 4 * n;
    for (size_t i = 0; i < n; i++)
        sm->k[i] = log(q->strike[i] / F);
    if (q->kind == QPM_QUOTE_VOL) {
        for (size_t i = 0; i < n; i++) {
            sm->vol[i] = two ? 0.5 * (q->bid[i] + q->ask[i]) : q->mid[i];
            spread[i] = two ? q->ask[i] - q->bid[i] : 0.0;
        }
    } else {
        double *Fa = blk + 5 * n, *Ta = blk + 6 * n, *price = blk + 7 * n, *vb = blk + 8 * n;
        int32_t *stv = (int32_t *)(void *)(blk + 9 * n);
        const int32_t *ty = NULL;
        for (size_t i = 0; i < n; i++) {
            Fa[i] = F;
            Ta[i] = T;
            price[i] = two ? 0.5 * (q->bid[i] + q->ask[i]) : q->mid[i];
        }
        qpm_alloc al = *a;
        qpm_pricer *pr = NULL;
        st = qpm_pricer_create(&pr, &al, QPM_MODEL_BLACK76, (qpm_settlement)q->settlement);
        if (st != QPM_OK) {
            qpm__free(a, blk);
            memset(sm, 0, sizeof *sm);
            return st;
        }
        /* the type array: the caller's, or calls (stored in the status
         * scratch's second half is not possible: n int32 each) */
        int32_t *calls = NULL;
        if (q->type == NULL) {
            calls = qpm__calloc(a, n, sizeof(int32_t));
            if (calls == NULL) {
                qpm_pricer_free(pr);
                qpm__free(a, blk);
                memset(sm, 0, sizeof *sm);
                return QPM_E_NOMEM;
            }
            for (size_t i = 0; i < n; i++)
                calls[i] = QPM_CALL;
        }
        ty = q->type != NULL ? q->type : calls;
        st = implied(pr, n, Fa, q->strike, Ta, ty, price, sm->vol, stv);
        for (size_t i = 0; st == QPM_OK && i < n; i++)
            if (stv[i] == QPM_OK && !(sm->vol[i] <= QPM__SMILE_VOLMAX))
                st = qpm__fail(QPM_E_INVALID,
                               "%s.%s[%zu] = %g (strike %g): its implied vol %g is above %g "
                               "(%g%%)",
                               name, two ? "bid/ask mid" : "mid", i, price[i], q->strike[i],
                               sm->vol[i], QPM__SMILE_VOLMAX, 100.0 * QPM__SMILE_VOLMAX);
            else if (stv[i] != QPM_OK)
                st = qpm__fail(QPM_E_ARBITRAGE,
                               "%s.%s[%zu] = %g (strike %g, %s): outside the no-arbitrage bounds "
                               "(at or below the intrinsic value, or above the upper bound)",
                               name, two ? "bid/ask mid" : "mid", i, price[i], q->strike[i],
                               ty[i] == QPM_CALL ? "call" : "put");
        if (st == QPM_OK && two) {
            /* spread in vol: from the bid and ask vols where both exist, else
             * twice the distance of the one that exists to the mid */
            st = implied(pr, n, Fa, q->strike, Ta, ty, q->bid, vb, stv);
            int32_t *stb = stv;
            for (size_t i = 0; st == QPM_OK && i < n; i++)
                spread[i] = stb[i] == QPM_OK ? vb[i] : (double)NAN;
            if (st == QPM_OK)
                st = implied(pr, n, Fa, q->strike, Ta, ty, q->ask, vb, stv);
            for (size_t i = 0; st == QPM_OK && i < n; i++) {
                double va = stv[i] == QPM_OK ? vb[i] : (double)NAN, vbid = spread[i];
                if (!isnan(va) && !isnan(vbid))
                    spread[i] = va - vbid;
                else if (!isnan(va))
                    spread[i] = 2.0 * (va - sm->vol[i]);
                else if (!isnan(vbid))
                    spread[i] = 2.0 * (sm->vol[i] - vbid);
                else
                    spread[i] = 0.0;
            }
        }
        qpm__free(a, calls);
        qpm_pricer_free(pr);
        if (st != QPM_OK) {
            qpm__free(a, blk);
            memset(sm, 0, sizeof *sm);
            return st;
        }
    }
    double kmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wt = q->weight != NULL ? q->weight[i] : two ? 1.0 / fmax(spread[i], 1e-4) : 1.0;
        sm->w[i] = sm->vol[i] * sm->vol[i] * T;
        sm->W[i] = wt / (2.0 * sm->vol[i] * T);
        kmax = fmax(kmax, fabs(sm->k[i]));
    }
    sm->kmax_abs = kmax;
    /* the scratch of the price conversion is free again */
    sm->W2 = blk + 5 * n;
    sm->W2w = blk + 6 * n;
    for (size_t i = 0; i < n; i++) {
        double W2 = sm->W[i] * sm->W[i], k = sm->k[i], w = sm->w[i];
        sm->W2[i] = W2;
        sm->W2w[i] = W2 * w;
        sm->S0 += W2;
        sm->S1 += W2 * k;
        sm->S2 += W2 * k * k;
        sm->Sw += W2 * w;
        sm->Swk += W2 * w * k;
        sm->Sww += W2 * w * w;
    }
    return QPM_OK;
}

void qpm__smile_free(const qpm_alloc *a, qpm__smile *sm)
{
    qpm__free(a, sm->k);
    memset(sm, 0, sizeof *sm);
}

void qpm__smile_errors(const qpm__smile *sm, const qpm_svi *p, double *rmse, double *maxerr)
{
    double s = 0.0, mx = 0.0;
    for (size_t i = 0; i < sm->n; i++) {
        double w = qpm__svi_w(p, sm->k[i]);
        double e = sqrt(fmax(w, 0.0) / sm->T) - sm->vol[i];
        s += e * e;
        mx = fmax(mx, fabs(e));
    }
    *rmse = 100.0 * sqrt(s / (double)sm->n);
    *maxerr = 100.0 * mx;
}
