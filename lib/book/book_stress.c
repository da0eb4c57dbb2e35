/* Stress scenarios on the account (qpm/stress.h): a market move with a
 * term-scaled vol spike, closing costs, venue failures, a manipulated
 * oracle and a stablecoin depeg, by full revaluation of every position. */
#include "qpm/stress.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"

_Static_assert(sizeof(qpm_stress) == sizeof(size_t) + 8 * 8, "qpm_stress: 8-byte fields");

/* ---- checks ------------------------------------------------------------------------- */

static qpm_status check_range(const char *field, const char *what, size_t k, double v, double lo,
                              int lo_open, double hi, int hi_open)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g (%s %zu): must be finite", field, k, v,
                         what, k);
    int ok = (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    if (!ok)
        return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g (%s %zu): must be in %c%g, %g%c", field, k,
                         v, what, k, lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
    return QPM_OK;
}

/* Every field of *s in range, and every moved price and vol (index and
 * marks) finite and > 0. */
static qpm_status check_stress(const qpm_book *b, const qpm_stress *s)
{
    qpm_status st;
    for (size_t u = 0; u < b->n_under; u++) {
        if (s->spot_moves != NULL &&
            (st = check_range("spot_moves", "underlying", u, s->spot_moves[u], -1.0, 1,
                              (double)INFINITY, 1)) != QPM_OK)
            return st;
        if (s->vol_shifts != NULL &&
            (st = check_range("vol_shifts", "underlying", u, s->vol_shifts[u], -1.0, 1,
                              (double)INFINITY, 1)) != QPM_OK)
            return st;
        if (s->liquidity_cost != NULL &&
            (st = check_range("liquidity_cost", "underlying", u, s->liquidity_cost[u], 0.0, 0, 1.0,
                              0)) != QPM_OK)
            return st;
        if (s->mark_deviation != NULL &&
            (st = check_range("mark_deviation", "underlying", u, s->mark_deviation[u], -1.0, 1,
                              (double)INFINITY, 1)) != QPM_OK)
            return st;
        const qpm__book_under *x = &b->under[u];
        double f = 1.0 + (s->spot_moves ? s->spot_moves[u] : 0.0);
        double g = f * (1.0 + (s->mark_deviation ? s->mark_deviation[u] : 0.0));
        double lo = fmin(x->pmin * f, x->pmin * g), hi = fmax(x->pmax * f, x->pmax * g);
        if (!(lo >= DBL_MIN && hi <= DBL_MAX))
            return qpm__fail(QPM_E_INVALID,
                             "underlying %zu (%s): the shock takes its prices to [%g, %g], out "
                             "of the floating-point range",
                             u, x->name, lo, hi);
    }
    if (b->n_venue > 0 && s->venue_recovery != NULL)
        for (size_t v = 0; v < b->n_venue; v++)
            if ((st = check_range("venue_recovery", "venue", v, s->venue_recovery[v], 0.0, 0, 1.0,
                                  0)) != QPM_OK)
                return st;
    if (!isfinite(s->usd_depeg))
        return qpm__fail(QPM_E_NONFINITE, "usd_depeg = %g: must be finite", s->usd_depeg);
    if (!(s->usd_depeg >= 0.0 && s->usd_depeg < 1.0))
        return qpm__fail(QPM_E_INVALID, "usd_depeg = %.17g: must be in [0, 1)", s->usd_depeg);
    if (!isfinite(s->vol_term_power) || !isfinite(s->vol_term_ref))
        return qpm__fail(QPM_E_NONFINITE, "vol_term_power = %g, vol_term_ref = %g: must be finite",
                         s->vol_term_power, s->vol_term_ref);
    if (!(s->vol_term_power >= 0.0 && s->vol_term_power <= 2.0))
        return qpm__fail(QPM_E_INVALID, "vol_term_power = %.17g: must be in [0, 2]",
                         s->vol_term_power);
    if (s->vol_term_power > 0.0 && !(s->vol_term_ref > 0.0))
        return qpm__fail(QPM_E_INVALID, "vol_term_ref = %.17g: must be > 0 (years)",
                         s->vol_term_ref);
    /* every option's moved vol */
    const qpm__book_market mk = {NULL, s->vol_shifts, s->vol_term_power, s->vol_term_ref, 0};
    const qpm__book_opts *o = &b->opts;
    for (size_t j = 0; s->vol_shifts != NULL && j < o->n; j++) {
        double fv = qpm__book_vol_factor(&mk, o->u[j], o->T[j]), sig = o->sig[j] * fv;
        if (!(fv > 0.0 && sig >= DBL_MIN && sig <= DBL_MAX))
            return qpm__fail(QPM_E_INVALID,
                             "position %zu: the vol shift takes its vol %.17g by the factor %.17g "
                             "(T = %g years): the moved vol must be finite and > 0",
                             o->pos[j], o->sig[j], fv, o->T[j]);
    }
    return QPM_OK;
}

/* ---- the report ----------------------------------------------------------------------- */

/* The caller's output struct with the fields past its size as NULL. */
static qpm_status read_out(const qpm_stress_out *out, qpm_stress_out *q)
{
    if (out->size < sizeof(size_t) + 8 || (out->size - sizeof(size_t)) % 8 != 0)
        return qpm__fail(QPM_E_INVALID, "out->size = %zu: must be sizeof(qpm_stress_out) = %zu",
                         out->size, sizeof *out);
    memset(q, 0, sizeof *q);
    memcpy(q, out, out->size < sizeof *q ? out->size : sizeof *q);
    return QPM_OK;
}

#define FITS(o, field) ((o)->size >= offsetof(qpm_stress_out, field) + sizeof((o)->field))

qpm_status qpm_book_stress(qpm_book *b, const qpm_stress *s, qpm_stress_out *out)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(s, "s");
    QPM__CHECK_NULL(out, "out");
    qpm_stress sh;
    qpm_stress_out o;
    qpm_status st =
        qpm__read_struct(s, s->size, sizeof sh, &sh, "s", "qpm_stress", "stress fields");
    if (st != QPM_OK || (st = read_out(out, &o)) != QPM_OK)
        return st;
    if ((st = qpm__book_prepare(b)) != QPM_OK || (st = check_stress(b, &sh)) != QPM_OK)
        return st;
    const size_t np = b->n_pos, nu = b->n_under, nv = b->n_venue + 1, none = b->n_venue;
    /* workspace: per position the base value, the moved value, its
     * notional, the marks' value and margin; per underlying three factor
     * sets; per venue the P&L, equity and margin */
    size_t cnt = 5 * np + 3 * nu + 3 * nv;
    double *w = qpm__calloc(&b->alloc, cnt ? cnt : 1, sizeof *w);
    if (w == NULL)
        return qpm__fail(QPM_E_NOMEM, "stress workspace: %zu doubles", cnt);
    double *v0 = w, *v1 = v0 + np, *nt = v1 + np, *v2 = nt + np, *m2 = v2 + np;
    double *one = m2 + np, *fx = one + nu, *fm = fx + nu;
    double *vp = fm + nu, *ve = vp + nv, *vm = ve + nv;
    for (size_t u = 0; u < nu; u++) {
        one[u] = 1.0;
        fx[u] = 1.0 + (sh.spot_moves ? sh.spot_moves[u] : 0.0);
        fm[u] = fx[u] * (1.0 + (sh.mark_deviation ? sh.mark_deviation[u] : 0.0));
    }
    const qpm__book_market base = {one, NULL, 0.0, 1.0, 0};
    const qpm__book_market moved = {fx, sh.vol_shifts, sh.vol_term_power, sh.vol_term_ref, 0};
    const qpm__book_market marks = {fm, sh.vol_shifts, sh.vol_term_power, sh.vol_term_ref, 0};
    if ((st = qpm__book_evaluate(b, &base, v0, NULL, NULL)) != QPM_OK ||
        (st = qpm__book_evaluate(b, &moved, v1, NULL, nt)) != QPM_OK ||
        (st = qpm__book_evaluate(b, &marks, v2, m2, NULL)) != QPM_OK) {
        qpm__free(&b->alloc, w);
        return st;
    }
#define ROW(v)     ((v) == QPM_BOOK_NO_VENUE ? none : (v))
#define REC(v)     ((v) == QPM_BOOK_NO_VENUE || sh.venue_recovery == NULL ? 1.0 : sh.venue_recovery[v])
#define FAILED(rv) ((rv) < nv - 1 && REC(rv) < 1.0)
    double pnl = 0.0, cost = 0.0, eq = 0.0, mm = 0.0;
    /* positions: P&L at the index, equity and margin at the marks */
    for (size_t i = 0; i < np; i++) {
        const qpm__book_pos *p = &b->pos[i];
        size_t r = ROW(p->venue);
        double rec = REC(p->venue);
        double c = rec < 1.0 || sh.liquidity_cost == NULL ? 0.0 : sh.liquidity_cost[p->u] * nt[i];
        double d = rec * v1[i] - v0[i] - c;
        v0[i] = d; /* the base value is not needed any more: the position's P&L */
        vp[r] += d;
        pnl += d;
        cost += c;
        if (FAILED(r)) {
            ve[r] += rec * v1[i];
        } else {
            ve[r] += v2[i];
            vm[r] += m2[i];
        }
    }
    /* collateral */
    double *up = nt; /* the notionals are used: the P&L per underlying */
    memset(up, 0, nu * sizeof *up);
    for (size_t i = 0; i < np; i++)
        up[b->pos[i].u] += v0[i];
    for (size_t k = 0; k < b->n_coll; k++) {
        const qpm__book_coll *c = &b->coll[k];
        size_t r = ROW(c->venue);
        double rec = REC(c->venue), p0, p1, pm;
        if (c->asset == QPM_BOOK_USD) {
            p0 = 1.0;
            p1 = pm = 1.0 - sh.usd_depeg;
        } else {
            p0 = b->under[c->asset].S;
            p1 = p0 * fx[c->asset];
            pm = p0 * fm[c->asset];
        }
        double d = c->amount * (rec * p1 - p0);
        vp[r] += d;
        pnl += d;
        if (c->asset != QPM_BOOK_USD)
            up[c->asset] += d;
        ve[r] += FAILED(r) ? rec * c->amount * p1 : c->amount * (1.0 - c->haircut) * pm;
    }
    for (size_t r = 0; r < nv; r++) {
        eq += ve[r];
        mm += vm[r];
    }
    int finite = isfinite(pnl) && isfinite(cost) && isfinite(eq) && isfinite(mm);
    for (size_t r = 0; r < nv && finite; r++)
        finite = isfinite(vp[r]) && isfinite(ve[r]) && isfinite(vm[r]);
    for (size_t i = 0; i < np && finite; i++)
        finite = isfinite(v0[i]);
    for (size_t u = 0; u < nu && finite; u++)
        finite = isfinite(up[u]);
    if (!finite) {
        qpm__free(&b->alloc, w);
        return qpm__fail(QPM_E_OVERFLOW,
                         "the stressed account (P&L %g, equity %g, maintenance %g) is beyond the "
                         "range of double",
                         pnl, eq, mm);
    }
    if (o.position_pnl != NULL && np > 0)
        memcpy(o.position_pnl, v0, np * sizeof *v0);
    if (o.underlying_pnl != NULL && nu > 0)
        memcpy(o.underlying_pnl, up, nu * sizeof *up);
    if (o.venue_pnl != NULL)
        memcpy(o.venue_pnl, vp, nv * sizeof *vp);
    if (o.venue_equity != NULL)
        memcpy(o.venue_equity, ve, nv * sizeof *ve);
    if (o.venue_maintenance != NULL)
        memcpy(o.venue_maintenance, vm, nv * sizeof *vm);
    if (o.venue_liquidated != NULL)
        for (size_t r = 0; r < nv; r++)
            o.venue_liquidated[r] = !FAILED(r) && (ve[r] < vm[r] || ve[r] < 0.0);
#undef ROW
#undef REC
#undef FAILED
    if (FITS(out, pnl))
        out->pnl = pnl;
    if (FITS(out, liquidity_cost))
        out->liquidity_cost = cost;
    if (FITS(out, equity))
        out->equity = eq;
    if (FITS(out, maintenance))
        out->maintenance = mm;
    qpm__free(&b->alloc, w);
    return QPM_OK;
}
