/* Values and Greeks of the book: the derived per-option data, per-position
 * closed forms and their sums per underlying and per expiry. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "book/book_internal.h"

static qpm_status check_finite_rows(const qpm_book *b);

qpm_status qpm__book_prepare(qpm_book *b)
{
    if (b->prepared)
        return QPM_OK;
    for (size_t u = 0; u < b->n_under; u++) {
        qpm__book_under *x = &b->under[u];
        x->slope = 0.0;
        x->pmin = x->pmax = x->S;
        if (x->P > 0.0) {
            x->pmin = fmin(x->pmin, x->P);
            x->pmax = fmax(x->pmax, x->P);
        }
        x->smin = x->smax = 0.0;
    }
    for (size_t k = 0; k < b->n_exp; k++) {
        qpm__book_under *x = &b->under[b->exp[k].u];
        x->pmin = fmin(x->pmin, b->exp[k].F);
        x->pmax = fmax(x->pmax, b->exp[k].F);
    }
    qpm__book_opts *o = &b->opts;
    size_t j = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        qpm__book_under *x = &b->under[p->u];
        double qm = p->Q * p->m;
        switch (p->instr) {
        case QPM_INSTR_SPOT:
            x->slope += qm * x->S;
            break;
        case QPM_INSTR_LINEAR_FUTURE:
            x->slope += qm * b->exp[p->ex].F;
            break;
        case QPM_INSTR_LINEAR_PERP:
            x->slope += qm * x->P;
            break;
        case QPM_INSTR_INVERSE_FUTURE:
        case QPM_INSTR_INVERSE_PERP:
            /* V = Q m (S/e - S/F): with S/F fixed only S/e moves */
            x->slope += qm * x->S / p->e;
            break;
        default: {
            const qpm__book_expiry *e = &b->exp[p->ex];
            o->pos[j] = i;
            o->u[j] = p->u;
            o->F[j] = e->F;
            o->K[j] = p->K;
            o->T[j] = e->T;
            o->r[j] = x->r;
            o->sig[j] = p->sig;
            o->type[j] = p->type;
            /* inverse: V = Q m (B/F) S */
            o->w[j] = p->instr == QPM_INSTR_LINEAR_OPTION ? qm : qm * (x->S / e->F);
            if (x->smax == 0.0) {
                x->smin = x->smax = p->sig;
            } else {
                x->smin = fmin(x->smin, p->sig);
                x->smax = fmax(x->smax, p->sig);
            }
            j++;
        }
        }
    }
    if (o->n > 0) {
        qpm_pricer_out out;
        memset(&out, 0, sizeof out);
        out.size = sizeof out;
        out.price = o->B;
        out.delta = o->dB;
        out.gamma = o->gB;
        out.vega = o->vB;
        out.theta = o->tB;
        qpm_status st = qpm_pricer_price(b->eng.w[0].pricer, o->n, o->F, o->K, o->T, o->r, NULL,
                                         o->sig, o->type, &out);
        if (st != QPM_OK) {
            /* the inputs were checked when set: only a value or Greek beyond
             * the double range (QPM_E_OVERFLOW) gets here */
            char msg[256];
            snprintf(msg, sizeof msg, "%s", qpm_last_error());
            return qpm__fail(st, "option positions (element = option row in book order): %s",
                             msg);
        }
        /* the constant inputs of the scenario loop, once per packed scenario */
        const qpm__book_engine *g = &b->eng;
        for (size_t s = 0; s < g->spp; s++) {
            memcpy(g->K + s * o->n, o->K, o->n * sizeof(double));
            memcpy(g->T + s * o->n, o->T, o->n * sizeof(double));
            memcpy(g->r + s * o->n, o->r, o->n * sizeof(double));
            memcpy(g->type + s * o->n, o->type, o->n * sizeof(int32_t));
        }
    }
    qpm_status st = check_finite_rows(b);
    if (st != QPM_OK)
        return st;
    b->prepared = 1;
    return QPM_OK;
}

enum { G_VUSD, G_VCOIN, G_DCOIN, G_DUSD, G_GAMMA, G_VEGA, G_THETA, G_DEX, G_N };

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

/* 1/e - 1/F as (F - e)/(e F) (F - e is exact when they are close); where
 * e F leaves the normal range, as ((F - e)/e)/F, which does not overflow. */
static double inv_diff(double F, double e)
{
    double p = e * F;
    return p >= DBL_MIN && p <= DBL_MAX ? (F - e) / p : ((F - e) / e) / F;
}

/* Value and Greeks of position i (book prepared); opt is its option row. */
static void position_row(const qpm_book *b, size_t i, size_t opt, double g[G_N])
{
    const qpm__book_pos *p = &b->pos[i];
    const qpm__book_under *x = &b->under[p->u];
    double S = x->S, qm = p->Q * p->m;
    double v = 0.0, dc = 0.0, gam = 0.0, vega = 0.0, th = 0.0, dex = 0.0;
    switch (p->instr) {
    case QPM_INSTR_SPOT:
        v = qm * S;
        dc = qm;
        dex = qm;
        break;
    case QPM_INSTR_LINEAR_FUTURE:
    case QPM_INSTR_LINEAR_PERP: {
        double F = p->instr == QPM_INSTR_LINEAR_PERP ? x->P : b->exp[p->ex].F;
        v = qm * (F - p->e);
        dc = qm * F / S;
        dex = qm;
        break;
    }
    case QPM_INSTR_INVERSE_FUTURE:
    case QPM_INSTR_INVERSE_PERP: {
        double F = p->instr == QPM_INSTR_INVERSE_PERP ? x->P : b->exp[p->ex].F;
        v = qm * inv_diff(F, p->e) * S;
        dc = qm / p->e;
        dex = qm / F;
        break;
    }
    default: {
        const qpm__book_opts *o = &b->opts;
        double F = o->F[opt], c = F / S;
        if (p->instr == QPM_INSTR_LINEAR_OPTION) {
            v = qm * o->B[opt];
            dc = qm * o->dB[opt] * c;
            gam = qm * o->gB[opt] * c * c;
            vega = qm * o->vB[opt];
            th = qm * o->tB[opt];
            dex = qm * o->dB[opt];
        } else {
            double Bf = o->B[opt] / F;
            v = qm * Bf * S;
            dc = qm * o->dB[opt];
            gam = qm * o->gB[opt] * c;
            vega = qm * o->vB[opt] / c;
            th = qm * o->tB[opt] / c;
            dex = qm * (o->dB[opt] - Bf);
        }
    }
    }
    g[G_VUSD] = v;
    /* coin values as the table defines them: Q m for spot, Q m (1/e - 1/F)
     * for inverse futures, Q m B/F for inverse options, else value / S */
    if (p->instr == QPM_INSTR_SPOT)
        g[G_VCOIN] = qm;
    else if (p->instr == QPM_INSTR_INVERSE_FUTURE || p->instr == QPM_INSTR_INVERSE_PERP) {
        double F = p->instr == QPM_INSTR_INVERSE_PERP ? x->P : b->exp[p->ex].F;
        g[G_VCOIN] = qm * inv_diff(F, p->e);
    } else if (p->instr == QPM_INSTR_INVERSE_OPTION)
        g[G_VCOIN] = qm * (b->opts.B[opt] / b->opts.F[opt]);
    else
        g[G_VCOIN] = v / S;
    g[G_DCOIN] = dc;
    g[G_DUSD] = S * dc;
    g[G_GAMMA] = gam;
    g[G_VEGA] = vega;
    g[G_THETA] = th;
    g[G_DEX] = dex;
}

static int is_option(int32_t instr)
{
    return instr == QPM_INSTR_LINEAR_OPTION || instr == QPM_INSTR_INVERSE_OPTION;
}

static const char *const field_name[G_N] = {"value_usd", "value_coin",  "delta_coin",
                                            "delta_usd", "gamma",       "vega",
                                            "theta",     "delta_exchange"};

/* Every per-position number the evaluations start from must be finite: the
 * options' USD weights and each position's value and Greeks.  Products of
 * large quantities, multipliers and prices (or a division by a tiny entry
 * price or spot) can leave the double range even though every input is
 * finite.  (The linear slopes are sums over positions: the P&L checks them.) */
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
        opt += (size_t)is_option(b->pos[i].instr);
        for (int k = 0; k < G_N; k++)
            if (!isfinite(g[k]))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "position %zu: %s = %g: beyond the range of double", i,
                                 field_name[k], g[k]);
    }
    return QPM_OK;
}

/* Row of position i in the totals (rows 1: per underlying, 2: per expiry),
 * or SIZE_MAX when it has none (a non-option in the expiry totals). */
static size_t total_row(const qpm_book *b, size_t i, int rows)
{
    if (rows == 1)
        return b->pos[i].u;
    return is_option(b->pos[i].instr) ? b->pos[i].ex : SIZE_MAX;
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
        opt += (size_t)is_option(b->pos[i].instr);
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
                opt += (size_t)is_option(b->pos[i].instr);
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
        int isopt = is_option(b->pos[i].instr);
        double g[G_N];
        position_row(b, i, opt, g);
        opt += (size_t)isopt;
        size_t r;
        if (rows == 0)
            r = i;
        else if (rows == 1)
            r = b->pos[i].u;
        else if (isopt)
            r = b->pos[i].ex;
        else
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
