/* Values and Greeks of the book: the derived data every evaluation starts
 * from (qpm__book_prepare), each position's closed forms (its instrument's
 * row function), and their sums per underlying and per expiry. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"
#include "pricing/pricer_run.h"

enum { G_VUSD, G_VCOIN, G_DCOIN, G_DUSD, G_GAMMA, G_VEGA, G_THETA, G_DEX, G_N };

static const char *const field_name[G_N] = {"value_usd", "value_coin",    "delta_coin",
                                            "delta_usd", "gamma",         "vega",
                                            "theta",     "delta_exchange"};

/* Value and Greeks of position i (book prepared); opt is its option row. */
static void position_row(const qpm_book *b, size_t i, size_t opt, double g[G_N])
{
    const qpm__book_pos *p = &b->pos[i];
    qpm__book_row r;
    qpm__pos_kind(p)->row(b, p, opt, &r);
    g[G_VUSD] = r.value_usd;
    g[G_VCOIN] = r.value_coin;
    g[G_DCOIN] = r.delta_coin;
    g[G_DUSD] = b->under[p->u].S * r.delta_coin;
    g[G_GAMMA] = r.gamma;
    g[G_VEGA] = r.vega;
    g[G_THETA] = r.theta;
    g[G_DEX] = r.delta_exchange;
}

/* ---- qpm__book_prepare, phase by phase -------------------------------------- */

/* Phase 1, per underlying: zero slope, and the range [pmin, pmax] of every
 * price a scenario moves (spot, perp mark, forwards), which the move checks
 * of the P&L use to keep each moved price finite and > 0. */
static void prepare_ranges(qpm_book *b)
{
    for (size_t u = 0; u < b->n_under; u++) {
        qpm__book_under *x = &b->under[u];
        x->slope = 0.0;
        x->pmin = x->pmax = x->S;
        if (x->P > 0.0) {
            x->pmin = fmin(x->pmin, x->P);
            x->pmax = fmax(x->pmax, x->P);
        }
        x->smin = x->smax = 0.0;
        x->fconst = x->fslope = 0.0;
    }
    for (size_t k = 0; k < b->n_exp; k++) {
        qpm__book_under *x = &b->under[b->exp[k].u];
        x->pmin = fmin(x->pmin, b->exp[k].F);
        x->pmax = fmax(x->pmax, b->exp[k].F);
    }
}

/* Phase 2, per position in book order: a linear kind adds its slope to its
 * underlying's (the scenario loop then needs one product per underlying for
 * all of them), a perpetual its funding over QPM_BOOK_FUNDING_HOURS; an AMM position gets its
 * scenario form (b->amm); an option gets its row of the option arrays (the pricer's inputs at the
 * current market and its USD weight per unit of B) and widens its underlying's vol range [smin,
 * smax] for the vol-shift checks.  After it, o->F..o->type hold exactly the inputs the base prices
 * and every scenario start from. */
static void prepare_positions(qpm_book *b)
{
    qpm__book_opts *o = &b->opts;
    size_t j = 0, a = 0;
    o->n_sm = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        qpm__book_under *x = &b->under[p->u];
        if (qpm__pos_kind(p)->funding != NULL && b->funding_hours > 0.0) {
            double c, sl, ac = qpm__book_accrual(x->fund_cur, x->fund_exp, b->funding_hours);
            qpm__pos_kind(p)->funding(b, p, &c, &sl);
            x->fconst += ac * c;
            x->fslope += ac * sl;
        }
        if (qpm__pos_kind(p)->scen == QPM__SCEN_LINEAR) {
            x->slope += qpm__pos_kind(p)->slope(b, p);
            continue;
        }
        if (qpm__pos_kind(p)->scen == QPM__SCEN_AMM) {
            b->amm[a++] = qpm__instr_amm_prepare(b, p);
            continue;
        }
        const qpm__book_expiry *e = &b->exp[p->ex];
        o->pos[j] = i;
        o->u[j] = p->u;
        o->F[j] = e->F;
        o->K[j] = p->K;
        o->T[j] = e->T;
        o->Th[j] = fmax(e->T - b->decay_days / 365.0, 0.0);
        o->r[j] = x->r;
        o->sm[j] = NULL;
        if (p->sig == QPM_BOOK_SURFACE_VOL) {
            o->sig[j] = qpm__book_surface_vol(x->surf, e->T, p->K, e->F);
            if (x->dyn == QPM_BOOK_STICKY_MONEYNESS)
                o->sm[j] = x->surf, o->n_sm++;
        } else {
            o->sig[j] = p->sig;
        }
        o->type[j] = p->type;
        o->w[j] = qpm__pos_kind(p)->weight(b, p);
        if (x->smax == 0.0) {
            x->smin = x->smax = o->sig[j];
        } else {
            x->smin = fmin(x->smin, o->sig[j]);
            x->smax = fmax(x->smax, o->sig[j]);
        }
        j++;
    }
}

/* Phase 3: the options' base Black-76 prices and Greeks, once, through the
 * pricer's unchecked run (every input was checked when set or added, and
 * the rate bound keeps |r T| <= 700).  Only a value or Greek beyond the
 * double range can fail here.  Then the inputs a small book's scenario
 * runs repeat (qpm__book_engine). */
static qpm_status prepare_base_prices(qpm_book *b)
{
    qpm__book_opts *o = &b->opts;
    if (o->n == 0)
        return QPM_OK;
    qpm__pjob job;
    memset(&job, 0, sizeof job);
    job.ng = 1, job.ne = o->n;
    job.u = o->F, job.k = o->K, job.t = o->T, job.r = o->r, job.sig = o->sig, job.type = o->type;
    job.su = job.sk = job.st = job.sr = job.ssig = job.stype = 1;
    job.gout = o->n;
    job.out[QPM__O_PRICE] = o->B;
    job.out[QPM__O_DELTA] = o->dB;
    job.out[QPM__O_GAMMA] = o->gB;
    job.out[QPM__O_VEGA] = o->vB;
    job.out[QPM__O_THETA] = o->tB;
    qpm_status st = qpm__pricer_run(b->eng.pricer, &job);
    if (st != QPM_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", qpm_last_error());
        return qpm__fail(st, "option positions (element = option row in book order): %s", msg);
    }
    /* a small book's pricer runs take several scenarios of every option:
     * their constant inputs, once per scenario of a run */
    const qpm__book_engine *g = &b->eng;
    for (size_t s = 0; g->spp > 1 && s < g->spp; s++) {
        memcpy(g->K + s * o->n, o->K, o->n * sizeof(double));
        memcpy(g->T + s * o->n, o->Th, o->n * sizeof(double));
        memcpy(g->r + s * o->n, o->r, o->n * sizeof(double));
        memcpy(g->type + s * o->n, o->type, o->n * sizeof(int32_t));
    }
    return QPM_OK;
}

/* Phase 4: every per-position number the evaluations start from must be
 * finite: the options' USD weights and each position's value and Greeks.
 * Products of large quantities, multipliers and prices (or a division by a
 * tiny entry price or spot) can leave the double range even though every
 * input is finite.  (The linear slopes are sums over positions: the P&L
 * checks them.) */
static qpm_status check_finite_rows(const qpm_book *b)
{
    for (size_t j = 0; j < b->opts.n; j++)
        if (!isfinite(b->opts.w[j]))
            return qpm__fail(QPM_E_OVERFLOW,
                             "position %zu: quantity x multiplier x spot / forward is beyond "
                             "the range of double",
                             b->opts.pos[j]);
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        double g[G_N];
        position_row(b, i, opt, g);
        opt += (size_t)(qpm__pos_kind(&b->pos[i])->scen == QPM__SCEN_BLACK76);
        for (int k = 0; k < G_N; k++)
            if (!isfinite(g[k]))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "position %zu: %s = %g: beyond the range of double", i,
                                 field_name[k], g[k]);
    }
    return QPM_OK;
}

/* Runs the phases after any change of market, positions or threads (the
 * `prepared` flag); a failure leaves the book unprepared, so the next call
 * reports it again. */
qpm_status qpm__book_prepare(qpm_book *b)
{
    if (b->prepared)
        return QPM_OK;
    prepare_ranges(b);
    prepare_positions(b);
    qpm_status st = prepare_base_prices(b);
    if (st == QPM_OK)
        st = check_finite_rows(b);
    if (st != QPM_OK)
        return st;
    b->prepared = 1;
    b->prep_count++;
    b->margin_ready = 0;
    return QPM_OK;
}

/* ---- outputs ------------------------------------------------------------------ */

static qpm_status check_out(const qpm_book_out *out, double *ptrs[G_N])
{
    QPM__CHECK_NULL(out, "out");
    if (out->size < sizeof(size_t) || out->size > sizeof *out ||
        (out->size - sizeof(size_t)) % sizeof(double *) != 0)
        return qpm__fail(QPM_E_INVALID, "out->size = %zu: must be sizeof(qpm_book_out) = %zu",
                         out->size, sizeof *out);
    double *all[G_N] = {out->value_usd, out->value_coin, out->delta_coin, out->delta_usd,
                        out->gamma,     out->vega,       out->theta,      out->delta_exchange};
    size_t have = (out->size - sizeof(size_t)) / sizeof(double *);
    for (size_t k = 0; k < G_N; k++)
        ptrs[k] = k < have ? all[k] : NULL;
    return QPM_OK;
}

/* Row of position i in the totals (rows 1: per underlying, 2: per expiry),
 * or SIZE_MAX when it has none (a non-option in the expiry totals). */
static size_t total_row(const qpm_book *b, size_t i, int rows)
{
    if (rows == 1)
        return b->pos[i].u;
    return qpm__pos_kind(&b->pos[i])->option ? b->pos[i].ex : SIZE_MAX;
}

/* QPM_E_OVERFLOW when a requested total leaves the double range, found
 * before any output is written: if the sum of |value| over every position
 * is finite, so is every total; otherwise each row is summed. */
static qpm_status check_totals(const qpm_book *b, int rows, double *const ptrs[G_N])
{
    double abs_sum[G_N] = {0};
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        double g[G_N];
        position_row(b, i, opt, g);
        opt += (size_t)(qpm__pos_kind(&b->pos[i])->scen == QPM__SCEN_BLACK76);
        if (total_row(b, i, rows) != SIZE_MAX)
            for (int k = 0; k < G_N; k++)
                abs_sum[k] += fabs(g[k]);
    }
    size_t nrows = rows == 1 ? b->n_under : b->n_exp;
    for (int k = 0; k < G_N; k++) {
        if (ptrs[k] == NULL || isfinite(abs_sum[k]))
            continue;
        for (size_t r = 0; r < nrows; r++) {
            double sum = 0.0;
            opt = 0;
            for (size_t i = 0; i < b->n_pos; i++) {
                double g[G_N];
                position_row(b, i, opt, g);
                opt += (size_t)(qpm__pos_kind(&b->pos[i])->scen == QPM__SCEN_BLACK76);
                if (total_row(b, i, rows) == r)
                    sum += g[k];
            }
            if (!isfinite(sum))
                return qpm__fail(QPM_E_OVERFLOW, "%s %zu: total %s beyond the range of double",
                                 rows == 1 ? "underlying" : "expiry row", r, field_name[k]);
        }
    }
    return QPM_OK;
}

/* rows: 0 = per position, 1 = per underlying, 2 = per expiry (options) */
static qpm_status greeks(qpm_book *b, const qpm_book_out *out, int rows)
{
    QPM__CHECK_NULL(b, "b");
    double *ptrs[G_N];
    qpm_status st = check_out(out, ptrs);
    if (st != QPM_OK || (st = qpm__book_prepare(b)) != QPM_OK)
        return st;
    if (rows != 0 && (st = check_totals(b, rows, ptrs)) != QPM_OK)
        return st;
    size_t nrows = rows == 0 ? b->n_pos : rows == 1 ? b->n_under : b->n_exp;
    if (rows != 0)
        for (size_t k = 0; k < G_N; k++)
            if (ptrs[k] != NULL)
                for (size_t r = 0; r < nrows; r++)
                    ptrs[k][r] = 0.0;
    size_t opt = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        double g[G_N];
        position_row(b, i, opt, g);
        opt += (size_t)(qpm__pos_kind(&b->pos[i])->scen == QPM__SCEN_BLACK76);
        size_t r = rows == 0 ? i : total_row(b, i, rows);
        if (r == SIZE_MAX)
            continue;
        for (size_t k = 0; k < G_N; k++)
            if (ptrs[k] != NULL) {
                if (rows == 0)
                    ptrs[k][r] = g[k];
                else
                    ptrs[k][r] += g[k];
            }
    }
    return QPM_OK;
}

qpm_status qpm_book_position_greeks(qpm_book *b, const qpm_book_out *out)
{
    return greeks(b, out, 0);
}

qpm_status qpm_book_underlying_greeks(qpm_book *b, const qpm_book_out *out)
{
    return greeks(b, out, 1);
}

qpm_status qpm_book_expiry_greeks(qpm_book *b, const qpm_book_out *out)
{
    return greeks(b, out, 2);
}

/* ---- funding -------------------------------------------------------------------- */

qpm_status qpm_book_funding(qpm_book *b, double hours, double *position_usd, double *underlying_usd)
{
    QPM__CHECK_NULL(b, "b");
    if (!isfinite(hours))
        return qpm__fail(QPM_E_NONFINITE, "hours = %g: must be finite", hours);
    if (!(hours >= 0.0))
        return qpm__fail(QPM_E_INVALID, "hours = %.17g: must be >= 0", hours);
    /* two passes: every amount and total checked finite, then written */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && underlying_usd != NULL)
            for (size_t u = 0; u < b->n_under; u++)
                underlying_usd[u] = 0.0;
        double sum_abs = 0.0;
        for (size_t i = 0; i < b->n_pos; i++) {
            const qpm__book_pos *p = &b->pos[i];
            const qpm__book_under *x = &b->under[p->u];
            double f = 0.0, c, sl;
            if (qpm__pos_kind(p)->funding != NULL) {
                qpm__pos_kind(p)->funding(b, p, &c, &sl);
                f = qpm__book_accrual(x->fund_cur, x->fund_exp, hours) * c;
            }
            if (pass == 0) {
                if (!isfinite(f))
                    return qpm__fail(QPM_E_OVERFLOW,
                                     "position %zu: funding beyond the range of double", i);
                sum_abs += fabs(f);
                continue;
            }
            if (position_usd != NULL)
                position_usd[i] = f;
            if (underlying_usd != NULL)
                underlying_usd[p->u] += f;
        }
        if (pass == 0 && !isfinite(sum_abs) && underlying_usd != NULL) {
            /* the totals may still be finite: sum them to see */
            for (size_t u = 0; u < b->n_under; u++) {
                double t = 0.0;
                for (size_t i = 0; i < b->n_pos; i++) {
                    const qpm__book_pos *p = &b->pos[i];
                    double c, sl;
                    if (p->u != u || qpm__pos_kind(p)->funding == NULL)
                        continue;
                    qpm__pos_kind(p)->funding(b, p, &c, &sl);
                    t += qpm__book_accrual(b->under[u].fund_cur, b->under[u].fund_exp, hours) * c;
                }
                if (!isfinite(t))
                    return qpm__fail(QPM_E_OVERFLOW,
                                     "underlying %zu: total funding beyond the range of double", u);
            }
        }
    }
    return QPM_OK;
}
