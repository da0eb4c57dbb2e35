/* Every position revalued in one moved market (the stress engine, the
 * per-position P&L behind risk contributions): the same formulas as the
 * scenario loop of book_pnl.c, position by position. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"
#include "pricing/pricer_run.h"

double qpm__book_vol_factor(const qpm__book_market *mk, size_t u, double T)
{
    if (mk->vs == NULL || mk->vs[u] == 0.0)
        return 1.0;
    return 1.0 + mk->vs[u] * (mk->pw > 0.0 ? pow(mk->ref / T, mk->pw) : 1.0);
}

qpm_status qpm__book_evaluate(qpm_book *b, const qpm__book_market *mk, double *val, double *mm,
                              double *notional)
{
    size_t opt = 0, amm = 0;
    for (size_t i = 0; i < b->n_pos; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__instr *kind = qpm__pos_kind(p);
        double f = mk->fx[p->u], S = b->under[p->u].S * f, qm = fabs(p->Q * p->m);
        if (kind->scen == QPM__SCEN_BLACK76) {
            opt++;
            continue; /* below, in pricer runs */
        }
        if (kind->scen == QPM__SCEN_AMM) {
            val[i] = qpm__book_amm_value(&b->amm[amm++], S);
            if (notional != NULL)
                notional[i] = fabs(val[i]);
        } else {
            qpm__book_row r;
            kind->row(b, p, opt, &r);
            val[i] = r.value_usd + kind->slope(b, p) * (f - 1.0);
            if (notional != NULL)
                notional[i] = kind->ref == QPM__REF_SPOT ? qm * S
                              : kind->inverse            ? qm
                                                         : qm * qpm__instr_ref_price(b, p) * f;
        }
        if (mm != NULL) {
            double a = 0.0, c = 0.0;
            if (kind->margin != NULL)
                kind->margin(b, p, f, 0.0, &a, &c);
            mm[i] = c;
        }
    }
    const qpm__book_opts *o = &b->opts;
    qpm__book_worker *w = &b->eng.w[0];
    size_t run = b->eng.cap;
    for (size_t j0 = 0; j0 < o->n; j0 += run) {
        size_t n = o->n - j0 < run ? o->n - j0 : run;
        for (size_t j = 0; j < n; j++) {
            size_t u = o->u[j0 + j];
            w->F[j] = o->F[j0 + j] * mk->fx[u];
            w->sig[j] = qpm__book_moved_vol(o, j0 + j, (mk->decay ? o->Th : o->T)[j0 + j], w->F[j],
                                            qpm__book_vol_factor(mk, u, o->T[j0 + j]));
        }
        qpm__pjob job;
        memset(&job, 0, sizeof job);
        job.ng = 1;
        job.ne = job.gout = n;
        job.u = w->F, job.k = o->K + j0, job.t = (mk->decay ? o->Th : o->T) + j0, job.r = o->r + j0;
        job.sig = w->sig, job.type = o->type + j0;
        job.su = job.sk = job.st = job.sr = job.ssig = job.stype = 1;
        job.out[QPM__O_PRICE] = w->B;
        qpm_status st = qpm__pricer_run(b->eng.pricer, &job);
        if (st != QPM_OK)
            return st;
        for (size_t j = 0; j < n; j++) {
            size_t i = o->pos[j0 + j];
            const qpm__book_pos *p = &b->pos[i];
            double f = mk->fx[p->u];
            val[i] = o->w[j0 + j] * w->B[j];
            if (notional != NULL)
                notional[i] = fabs(p->Q * p->m) * b->under[p->u].S * f;
            if (mm != NULL) {
                double a = 0.0, c = 0.0;
                if (p->Q < 0.0)
                    qpm__pos_kind(p)->margin(
                        b, p, f, qpm__book_option_mark(p, o->w[j0 + j], w->B[j]), &a, &c);
                mm[i] = c;
            }
        }
    }
    return QPM_OK;
}

/* The values of every position in scenario s of the caller's moves, into
 * val; fx and vs (n_under each) receive the scenario's factors and vol
 * shifts (vs unread when there are none). */
static qpm_status scenario_values(qpm_book *b, size_t s, const double *spot_moves, size_t ld_spot,
                                  const double *vol_shifts, size_t ld_vol, double *fx, double *vs,
                                  double *val)
{
    for (size_t u = 0; u < b->n_under; u++) {
        fx[u] = 1.0 + spot_moves[s * ld_spot + u];
        vs[u] = vol_shifts != NULL ? vol_shifts[s * ld_vol + u] : 0.0;
    }
    const qpm__book_market mk = {fx, vol_shifts != NULL ? vs : NULL, 0.0, 1.0, 1};
    return qpm__book_evaluate(b, &mk, val, NULL, NULL);
}

qpm_status qpm_book_position_pnl(qpm_book *b, size_t n, const double *spot_moves, size_t ld_spot,
                                 const double *vol_shifts, size_t ld_vol, double *pnl,
                                 size_t ld_pnl)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(spot_moves, "spot_moves");
    QPM__CHECK_NULL(pnl, "pnl");
    qpm_status st = qpm__book_check_scenarios(b, n, spot_moves, ld_spot, vol_shifts, ld_vol);
    if (st != QPM_OK)
        return st;
    const size_t np = b->n_pos, nu = b->n_under;
    if (ld_pnl < np)
        return qpm__fail(QPM_E_SIZE, "ld_pnl = %zu: must be >= %zu (the number of positions)",
                         ld_pnl, np);
    if (np == 0)
        return QPM_OK;
    if (ld_pnl > SIZE_MAX / n)
        return qpm__fail(QPM_E_SIZE, "n = %zu scenarios with ld_pnl = %zu: overflows size_t", n,
                         ld_pnl);
    /* the base values, one scenario's values, its factors, and each
     * position's funding over the horizon, fc + fs x (as the scenario loop
     * of book_pnl.c has it per underlying) */
    double *w = qpm__calloc(&b->alloc, 4 * np + 2 * nu, sizeof *w);
    if (w == NULL)
        return qpm__fail(QPM_E_NOMEM, "position P&L workspace: %zu positions", np);
    double *v0 = w, *v1 = w + np, *fc = v1 + np, *fs = fc + np, *fx = fs + np, *vs = fx + nu;
    for (size_t i = 0; i < np; i++) {
        const qpm__book_pos *p = &b->pos[i];
        const qpm__book_under *x = &b->under[p->u];
        if (qpm__pos_kind(p)->funding != NULL && b->funding_hours > 0.0) {
            double c, sl, ac = qpm__book_accrual(x->fund_cur, x->fund_exp, b->funding_hours);
            qpm__pos_kind(p)->funding(b, p, &c, &sl);
            fc[i] = ac * c;
            fs[i] = ac * sl;
        }
    }
    for (size_t u = 0; u < nu; u++)
        fx[u] = 1.0;
    const qpm__book_market base = {fx, NULL, 0.0, 1.0, 0};
    st = qpm__book_evaluate(b, &base, v0, NULL, NULL);
    size_t bad = SIZE_MAX;
    for (size_t s = 0; s < n && st == QPM_OK; s++) {
        if ((st = scenario_values(b, s, spot_moves, ld_spot, vol_shifts, ld_vol, fx, vs, v1)) !=
            QPM_OK)
            break;
        double *row = pnl + s * ld_pnl;
        for (size_t i = 0; i < np; i++) {
            double d = v1[i] - v0[i] + fc[i] + fs[i] * (fx[b->pos[i].u] - 1.0);
            row[i] = d;
            if (!isfinite(d) && bad == SIZE_MAX)
                bad = s;
        }
    }
    qpm__free(&b->alloc, w);
    if (st != QPM_OK)
        return qpm__fail(st, "a scenario could not be priced");
    if (bad != SIZE_MAX)
        return qpm__fail(QPM_E_OVERFLOW,
                         "scenario %zu: a position's P&L is beyond the range of double (pnl is "
                         "written but not meaningful)",
                         bad);
    return QPM_OK;
}

qpm_status qpm_book_venue_value(qpm_book *b, size_t n, const double *spot_moves, size_t ld_spot,
                                const double *vol_shifts, size_t ld_vol, double *value,
                                size_t ld_value)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(spot_moves, "spot_moves");
    QPM__CHECK_NULL(value, "value");
    qpm_status st = qpm__book_check_scenarios(b, n, spot_moves, ld_spot, vol_shifts, ld_vol);
    if (st != QPM_OK)
        return st;
    const size_t np = b->n_pos, nu = b->n_under, nv = b->n_venue + 1;
    if (ld_value < nv)
        return qpm__fail(QPM_E_SIZE, "ld_value = %zu: must be >= %zu (the number of venues + 1)",
                         ld_value, nv);
    if (ld_value > SIZE_MAX / n)
        return qpm__fail(QPM_E_SIZE, "n = %zu scenarios with ld_value = %zu: overflows size_t", n,
                         ld_value);
    double *w = qpm__calloc(&b->alloc, (np ? np : 1) + 2 * nu, sizeof *w);
    if (w == NULL)
        return qpm__fail(QPM_E_NOMEM, "venue value workspace: %zu positions", np);
    double *val = w, *fx = w + (np ? np : 1), *vs = fx + nu;
    size_t bad = SIZE_MAX;
    for (size_t s = 0; s < n && st == QPM_OK; s++) {
        if ((st = scenario_values(b, s, spot_moves, ld_spot, vol_shifts, ld_vol, fx, vs, val)) !=
            QPM_OK)
            break;
        double *row = value + s * ld_value;
        for (size_t v = 0; v < nv; v++)
            row[v] = 0.0;
        for (size_t i = 0; i < np; i++) {
            size_t v = b->pos[i].venue == QPM_BOOK_NO_VENUE ? nv - 1 : b->pos[i].venue;
            row[v] += val[i];
        }
        for (size_t k = 0; k < b->n_coll; k++) {
            const qpm__book_coll *c = &b->coll[k];
            size_t v = c->venue == QPM_BOOK_NO_VENUE ? nv - 1 : c->venue;
            row[v] +=
                c->amount * (c->asset == QPM_BOOK_USD ? 1.0 : b->under[c->asset].S * fx[c->asset]);
        }
        for (size_t v = 0; v < nv; v++)
            if (!isfinite(row[v]) && bad == SIZE_MAX)
                bad = s;
    }
    qpm__free(&b->alloc, w);
    if (st != QPM_OK)
        return qpm__fail(st, "a scenario could not be priced");
    if (bad != SIZE_MAX)
        return qpm__fail(QPM_E_OVERFLOW,
                         "scenario %zu: a venue's value is beyond the range of double (value is "
                         "written but not meaningful)",
                         bad);
    return QPM_OK;
}
