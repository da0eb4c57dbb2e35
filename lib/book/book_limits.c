/* Limits on the account (qpm/stress.h): every quantity as a function of a
 * uniform scale k of the positions, each limit a set of linear
 * constraints in k, solved exactly. */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"
#include "qpm/stress.h"

/* The feasible k of constraints a k <= c over [0, 1], as the interval
 * [*lo, *hi] (empty: *lo > *hi). */
static void constrain(double a, double c, double *lo, double *hi)
{
    if (a > 0.0)
        *hi = fmin(*hi, c / a);
    else if (a < 0.0)
        *lo = fmax(*lo, c / a);
    else if (c < 0.0)
        *lo = 2.0, *hi = -1.0; /* 0 <= c fails for every k */
}

/* The largest k in [0, 1] in the interval, or NaN when it is empty. */
static double largest(double lo, double hi)
{
    lo = fmax(lo, 0.0);
    hi = fmin(hi, 1.0);
    return lo <= hi ? hi : (double)NAN;
}

/* A report from a newer caller may be longer: this version writes its
 * own fields.  (This is the struct's first version: no shorter one.) */
static qpm_status read_report(const qpm_limit_report *out, qpm_limit_report *q)
{
    if (out->size < sizeof *q)
        return qpm__fail(QPM_E_INVALID, "out->size = %zu: must be sizeof(qpm_limit_report) = %zu",
                         out->size, sizeof *q);
    memset(q, 0, sizeof *q);
    q->size = out->size;
    return QPM_OK;
}

qpm_status qpm_book_limits(qpm_book *b, double var, double es, const qpm_limits *lim,
                           qpm_limit_report *out)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(lim, "lim");
    QPM__CHECK_NULL(out, "out");
    static const char *names[QPM_LIMIT_COUNT] = {"VaR", "ES", "gross leverage", "net leverage",
                                                 "margin ratio"};
    qpm_limits L;
    qpm_limit_report R;
    qpm_status st =
        qpm__read_struct(lim, lim->size, sizeof L, &L, "lim", "qpm_limits", "limit fields");
    if (st != QPM_OK || (st = read_report(out, &R)) != QPM_OK)
        return st;
    for (int j = 0; j < QPM_LIMIT_COUNT; j++) {
        if (!isfinite(L.limit[j]))
            return qpm__fail(QPM_E_NONFINITE, "lim->limit[%d] (%s) = %g: must be finite", j,
                             names[j], L.limit[j]);
        if (!(L.limit[j] >= 0.0))
            return qpm__fail(QPM_E_INVALID, "lim->limit[%d] (%s) = %.17g: must be >= 0 (0: none)",
                             j, names[j], L.limit[j]);
    }
    const double measure[2] = {var, es};
    for (int j = 0; j < 2; j++)
        if (L.limit[j] > 0.0 && !(measure[j] >= 0.0 && measure[j] <= DBL_MAX))
            return qpm__fail(QPM_E_INVALID,
                             "%s = %g: a %s limit needs the measured %s, finite and >= 0",
                             j ? "es" : "var", measure[j], names[j], names[j]);
    if ((st = qpm__book_prepare(b)) != QPM_OK)
        return st;
    /* the account as a function of k: equity C + k V, notional k N, net
     * delta k D + Dc, maintenance k M */
    const size_t np = b->n_pos;
    double *w = qpm__calloc(&b->alloc, 3 * (np ? np : 1) + b->n_under, sizeof *w);
    if (w == NULL)
        return qpm__fail(QPM_E_NOMEM, "limits workspace: %zu positions", np);
    double *val = w, *mm = w + np, *nt = mm + np, *one = nt + np;
    for (size_t u = 0; u < b->n_under; u++)
        one[u] = 1.0;
    const qpm__book_market base = {one, NULL, 0.0, 1.0, 0};
    st = qpm__book_evaluate(b, &base, val, mm, nt);
    double V = 0.0, N = 0.0, D = 0.0, M = 0.0, C = b->coll_usd, Dc = 0.0;
    size_t opt = 0;
    for (size_t i = 0; i < np && st == QPM_OK; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__instr *kind = qpm__pos_kind(p);
        qpm__book_row r;
        kind->row(b, p, opt, &r);
        opt += (size_t)(kind->scen == QPM__SCEN_BLACK76);
        V += val[i];
        M += mm[i];
        N += nt[i];
        D += b->under[p->u].S * r.delta_coin;
    }
    for (size_t u = 0; u < b->n_under; u++) {
        C += b->under[u].coll_eff * b->under[u].S;
        Dc += b->under[u].coll_full * b->under[u].S;
    }
    qpm__free(&b->alloc, w);
    if (st != QPM_OK)
        return st;
    if (!isfinite(V) || !isfinite(N) || !isfinite(D) || !isfinite(M) || !isfinite(C) ||
        !isfinite(Dc) || !isfinite(C + V))
        return qpm__fail(QPM_E_OVERFLOW, "the account's value, notional, delta or margin is "
                                         "beyond the range of double");
    double E = C + V;
    R.value[QPM_LIMIT_VAR] = var;
    R.value[QPM_LIMIT_ES] = es;
    R.value[QPM_LIMIT_GROSS] = E > 0.0 ? N / E : (double)NAN;
    R.value[QPM_LIMIT_NET] = E > 0.0 ? fabs(D + Dc) / E : (double)NAN;
    R.value[QPM_LIMIT_MARGIN] = E > 0.0 ? M / E : (double)NAN;
    double all_lo = 0.0, all_hi = 1.0;
    for (int j = 0; j < QPM_LIMIT_COUNT; j++) {
        double lim_j = L.limit[j], lo = 0.0, hi = 1.0;
        R.scale[j] = 1.0;
        if (lim_j == 0.0)
            continue;
        if (j <= QPM_LIMIT_ES) {
            /* k x measure <= limit */
            constrain(measure[j], lim_j, &lo, &hi);
        } else {
            /* equity stays positive: -V k < C, taken as -V k <= C (1 - 2^-52) */
            constrain(-V, C - fabs(C) * 0x1p-52, &lo, &hi);
            if (j == QPM_LIMIT_GROSS) {
                constrain(N - lim_j * V, lim_j * C, &lo, &hi);
            } else if (j == QPM_LIMIT_NET) {
                constrain(D - lim_j * V, lim_j * C - Dc, &lo, &hi);
                constrain(-D - lim_j * V, lim_j * C + Dc, &lo, &hi);
            } else {
                constrain(M - lim_j * V, lim_j * C, &lo, &hi);
            }
        }
        int bad = !(R.value[j] <= lim_j);
        R.breached[j] = bad;
        R.n_breached += bad;
        R.scale[j] = bad ? largest(lo, hi) : 1.0;
        all_lo = fmax(all_lo, lo);
        all_hi = fmin(all_hi, hi);
    }
    R.scale_all = R.n_breached ? largest(all_lo, all_hi) : 1.0;
    *out = R;
    return QPM_OK;
}
