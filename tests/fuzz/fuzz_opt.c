/* Fuzz target: the opt family (include/qpm/opt.h).  A handle of 1..8 assets,
 * every setting, covariances of any scale (PSD by construction, or not),
 * expected returns, boxes, current portfolios, groups, linear rows and CVaR
 * scenarios, then every problem kind, frontiers with a progress callback that
 * may cancel, and the solution info.  Beyond the common invariants: after a
 * failed solve the info reads QPM_E_STATE and the outputs are untouched
 * (opt.h "Errors"); a solved portfolio satisfies its budget, box, gross,
 * turnover, group and linear constraints (to a tolerance relative to its
 * scale), and bound flags say exactly which weights sit on a bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#define NA 8
#define TS 40
#define KF 6

typedef struct odata { /* what the handle holds, for the constraint checks */
    size_t n;
    int have_mu;
    double lower[NA], upper[NA], w0[NA];
    size_t ng, group_of[NA];
    double glo[NA], ghi[NA];
    size_t m;
    double a[4 * NA], llo[4], lhi[4];
    int have_cov;
    double cov[NA * NA], mu[NA];
    size_t t;
    double scen[TS * NA];
} odata;

typedef struct state {
    fz_alloc fa;
    qpm_opt *h;
    odata d;
    fz_progress pr;
} state;

static void reset_data(odata *d, size_t n)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    for (size_t i = 0; i < NA; i++) {
        d->lower[i] = 0.0;
        d->upper[i] = (double)INFINITY;
    }
}

/* A covariance of scale `scale`: B B' (PSD) plus a diagonal, or raw. */
static void draw_cov(fz_in *in, double *c, size_t n, size_t ld)
{
    uint8_t mode = fz_u8(in);
    double scale = fz_u8(in) < 200 ? fz_real(in, 1e-6, 1e2) : fz_special(in);
    double b[NA * NA], dg[NA];
    fz_fill(in, b, NA * NA, -1, 1);
    fz_fill(in, dg, NA, 0, 1);
    size_t rank = fz_range(in, 0, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t k = 0; k < rank; k++)
                acc += b[i * NA + k] * b[j * NA + k];
            c[i * ld + j] = scale * (acc + (i == j ? dg[i] : 0.0));
        }
    if (mode >= 240) { /* break it somewhere */
        size_t i = fz_range(in, 0, n - 1), j = fz_range(in, 0, n - 1);
        c[i * ld + j] = fz_special(in);
    }
}

static void trace_vec(const char *what, const double *v, size_t n)
{
    char buf[1024];
    int off = 0;
    for (size_t i = 0; i < n && off < 900; i++)
        off += snprintf(buf + off, sizeof buf - (size_t)off, " %.17g", v[i]);
    fz_trace("%s:%s", what, buf);
}

static void check_solution(const state *s, const double *w, qpm_opt_problem prob)
{
    const odata *d = &s->d;
    size_t n = d->n;
    double info[15];
    trace_vec("weights", w, n);
    for (int k = 0; k < 15; k++)
        if (qpm_opt_info(s->h, (qpm_opt_info_key)k, &info[k]) == QPM_OK)
            fz_trace("  info %d = %.17g", k, info[k]);
    /* a frontier point taken from the LP vertex (EXACT = 0) has no multipliers */
    double exact = 1;
    qpm_opt_info(s->h, QPM_OPT_INFO_EXACT, &exact);
    int lp_point = prob == QPM_OPT_TARGET_RETURN && exact == 0.0;
    for (int k = 0; k < 15; k++) {
        qpm_status sk = FZ(qpm_opt_info(s->h, (qpm_opt_info_key)k, &info[k]));
        if (sk == QPM_E_OVERFLOW && k <= QPM_OPT_INFO_LAMBDA_TURNOVER) {
            info[k] = 0.0; /* opt.h: a value beyond the double range, weights still served */
            continue;
        }
        if (sk != QPM_OK)
            fz_fail("info %d unreadable after a successful solve", k);
        int nan_ok =
            (k == QPM_OPT_INFO_NU &&
             (prob == QPM_OPT_MAX_SHARPE || prob == QPM_OPT_ERC || lp_point)) ||
            ((k == QPM_OPT_INFO_LAMBDA_GROSS || k == QPM_OPT_INFO_LAMBDA_TURNOVER) && lp_point) ||
            (k == QPM_OPT_INFO_EXP_RETURN && !d->have_mu);
        char nm[48];
        snprintf(nm, sizeof nm, "problem %d info key %d", (int)prob, k);
        fz_expect(nan_ok ? FZ_OPT_INFO_NAN : FZ_OPT_INFO, nm, &info[k], 1, 1, nan_ok);
    }
    if (info[QPM_OPT_INFO_PROBLEM] != (double)prob)
        fz_fail("info PROBLEM = %g, solved %d", info[QPM_OPT_INFO_PROBLEM], (int)prob);
    double budget = 0, gross = 0, turnover = 0, sum = 0, grossw = 0, turn = 0, scale = 1;
    qpm_opt_get(s->h, QPM_OPT_BUDGET, &budget);
    qpm_opt_get(s->h, QPM_OPT_GROSS_LIMIT, &gross);
    qpm_opt_get(s->h, QPM_OPT_TURNOVER_LIMIT, &turnover);
    for (size_t i = 0; i < n; i++) {
        sum += w[i];
        grossw += fabs(w[i]);
        turn += fabs(w[i] - d->w0[i]);
        scale = fmax(scale, fabs(d->w0[i]));
    }
    scale = fmax(scale, fmax(grossw, fabs(budget)));
    /* opt.h: constraints hold to max(1e-8, 10 QPM_OPT_TOLERANCE) of their
     * scale; the check allows twice that (its scale is a little wider) */
    double opt_tol = 0;
    qpm_opt_get(s->h, QPM_OPT_TOLERANCE, &opt_tol);
    double tol = fmax(1e-6, 20.0 * opt_tol) * scale;
    if (fabs(sum - budget) > tol)
        fz_fail("problem %d: sum w = %.17g, budget %.17g", (int)prob, sum, budget);
    if (prob == QPM_OPT_ERC) {
        for (size_t i = 0; i < n; i++)
            if (!(w[i] > 0))
                fz_fail("ERC w[%zu] = %.17g: must be > 0", i, w[i]);
        return;
    }
    int flags[NA];
    if (FZ(qpm_opt_bound_flags(s->h, flags)) != QPM_OK)
        fz_fail("bound_flags unreadable after a successful solve");
    for (size_t i = 0; i < n; i++) {
        if (w[i] < d->lower[i] - tol || w[i] > d->upper[i] + tol)
            fz_fail("problem %d: w[%zu] = %.17g outside [%.17g, %.17g]", (int)prob, i, w[i],
                    d->lower[i], d->upper[i]);
        int f = w[i] == d->lower[i]                                  ? -1
                : (w[i] == d->upper[i] && d->lower[i] < d->upper[i]) ? 1
                                                                     : 0;
        if (flags[i] != f)
            fz_fail("bound flag[%zu] = %d, w = %.17g in [%.17g, %.17g]", i, flags[i], w[i],
                    d->lower[i], d->upper[i]);
    }
    if (grossw > gross + tol)
        fz_fail("problem %d: gross %.17g above its limit %.17g", (int)prob, grossw, gross);
    if (turn > turnover + tol)
        fz_fail("problem %d: turnover %.17g above its limit %.17g", (int)prob, turn, turnover);
    for (size_t g = 0; g < d->ng; g++) {
        double gs = 0;
        for (size_t i = 0; i < n; i++)
            if (d->group_of[i] == g)
                gs += w[i];
        if (gs < d->glo[g] - tol || gs > d->ghi[g] + tol)
            fz_fail("problem %d: group %zu sum %.17g outside [%.17g, %.17g]", (int)prob, g, gs,
                    d->glo[g], d->ghi[g]);
    }
    for (size_t r = 0; r < d->m; r++) {
        double v = 0, amax = 0;
        for (size_t i = 0; i < n; i++) {
            v += d->a[r * n + i] * w[i];
            amax = fmax(amax, fabs(d->a[r * n + i]));
        }
        if (v < d->llo[r] - tol * fmax(1, amax) || v > d->lhi[r] + tol * fmax(1, amax))
            fz_fail("problem %d: linear row %zu = %.17g outside [%.17g, %.17g]", (int)prob, r, v,
                    d->llo[r], d->lhi[r]);
    }
    double rc[NA];
    fz_poison(rc, NA);
    qpm_status sr = FZ(qpm_opt_risk_contributions(s->h, rc));
    if (sr == QPM_OK)
        fz_expect(FZ_OPT_INFO, "risk contributions", rc, n, 1, 0);
    else if (sr == QPM_E_OVERFLOW)
        fz_untouched(rc, NA, "risk contributions");
    else
        fz_fail("risk contributions unreadable after a successful solve");
}

static void check_cleared(const state *s, const char *what)
{
    double v;
    int flags[NA];
    double rc[NA];
    if (s->h == NULL)
        return;
    if (FZ(qpm_opt_info(s->h, QPM_OPT_INFO_OBJECTIVE, &v)) != QPM_E_STATE ||
        FZ(qpm_opt_bound_flags(s->h, flags)) != QPM_E_STATE ||
        FZ(qpm_opt_risk_contributions(s->h, rc)) != QPM_E_STATE)
        fz_fail("solution info readable after a failed %s (opt.h: cleared)", what);
}

/* A fresh handle holding everything the fuzzed handle was given. */
static qpm_opt *fresh_clone(const state *s)
{
    const odata *d = &s->d;
    size_t n = d->n;
    qpm_opt *o = NULL;
    if (qpm_opt_create(&o, NULL, n) != QPM_OK)
        fz_fail("cannot create the reference handle");
    /* the box first, under a budget it admits; then every setting */
    double slo = 0, shi = 0;
    for (size_t i = 0; i < n; i++)
        slo += d->lower[i], shi += d->upper[i];
    qpm_opt_set(o, QPM_OPT_BUDGET, slo > -DBL_MAX ? slo : shi < DBL_MAX ? shi : 0.0);
    int ok = qpm_opt_set_bounds(o, d->lower, d->upper) == QPM_OK;
    for (int k = 0; k < 10; k++) {
        double v;
        qpm_opt_get(s->h, (qpm_opt_key)k, &v);
        if (qpm_opt_set(o, (qpm_opt_key)k, v) != QPM_OK)
            fz_fail("setting %d = %.17g refused by a fresh handle", k, v);
    }
    if (d->have_cov)
        ok &= qpm_opt_set_covariance(o, d->cov, n) == QPM_OK;
    if (d->have_mu)
        ok &= qpm_opt_set_expected_returns(o, d->mu) == QPM_OK;
    ok &= qpm_opt_set_current(o, d->w0) == QPM_OK;
    ok &= qpm_opt_set_groups(o, d->ng, d->group_of, d->glo, d->ghi) == QPM_OK;
    ok &= qpm_opt_set_linear(o, d->m, d->a, n, d->llo, d->lhi) == QPM_OK;
    ok &= qpm_opt_set_scenarios(o, d->t, d->scen, n) == QPM_OK;
    if (!ok)
        fz_fail("a fresh handle refused the data the fuzzed handle accepted: %s", qpm_last_error());
    return o;
}

/* After a failed solve: the same problem on the handle and on a fresh copy
 * of its data gives the same status and bits (invariant d). */
static void probe_after_failure(const state *s, qpm_opt_problem prob)
{
    if (s->h == NULL || (unsigned)prob > QPM_OPT_MIN_CVAR)
        return;
    qpm_opt *o = fresh_clone(s);
    double w1[NA], w2[NA];
    fz_poison(w1, NA);
    fz_poison(w2, NA);
    qpm_status a = FZ(qpm_opt_solve(s->h, prob, w1));
    qpm_status b = FZ(qpm_opt_solve(o, prob, w2));
    if (a != b)
        fz_fail("after a failed solve, problem %d gives %s; on a fresh handle %s", (int)prob,
                qpm_status_name(a), qpm_status_name(b));
    if (memcmp(w1, w2, sizeof w1) != 0)
        fz_fail("after a failed solve, problem %d gives other weights than a fresh handle",
                (int)prob);
    qpm_opt_free(o);
}

static uint64_t info_hash(const state *s, uint64_t h)
{
    double v[15];
    qpm_status st = QPM_OK;
    for (int k = 0; k < 15; k++)
        if ((st = qpm_opt_info(s->h, (qpm_opt_info_key)k, &v[k])) != QPM_OK)
            return fz_hash(h, &st, sizeof st);
    return fz_hash(h, v, sizeof v);
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 16;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 12) : -1;
    qpm_status st = QPM_OK;
    uint64_t hash = FZ_HASH0;
    long i;
    odata *d = &s->d;
    size_t n = d->n;

    switch (op) {
    case 0: { /* (re)create */
        uint8_t m = fz_u8(in);
        size_t na = m < 250 ? 1 + m % NA : m == 250 ? 0 : 100001;
        i = fz_op(p, "opt create");
        if (fz_skip(p, i, 0))
            return;
        qpm_opt *t = (qpm_opt *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_opt_create(&t, &s->fa.alloc, na));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_opt_free(s->h);
            s->h = t;
            reset_data(d, na);
            qpm_opt_set_progress(t, fz_progress_fn, &s->pr);
        }
        break;
    }
    case 1:
    case 2: { /* a setting */
        uint8_t kb = fz_u8(in);
        int key = kb < 240 ? kb % 10 : (int)kb - 245;
        double lo = 0, hi = 0;
        qpm_opt_bounds((qpm_opt_key)key, &lo, &hi);
        if (key == QPM_OPT_MAX_ITER)
            hi = 400;
        if (key == QPM_OPT_GAMMA || key == QPM_OPT_VOL_TARGET)
            lo = 1e-4, hi = 1e3;
        if (key == QPM_OPT_RISK_FREE || key == QPM_OPT_BUDGET || key == QPM_OPT_RETURN_TARGET)
            lo = -2, hi = 3;
        if (key == QPM_OPT_GROSS_LIMIT || key == QPM_OPT_TURNOVER_LIMIT)
            hi = fz_u8(in) < 64 ? (double)INFINITY : 5;
        double v = fz_setting(in, lo, hi);
        i = fz_op(p, "opt set");
        if (fz_skip(p, i, 0))
            return;
        double before = 0, after = 0;
        if (s->h)
            qpm_opt_get(s->h, (qpm_opt_key)key, &before);
        st = FZ(qpm_opt_set(s->h, (qpm_opt_key)key, v));
        fz_trace("set %d = %.17g", key, v);
        if (s->h) {
            qpm_opt_get(s->h, (qpm_opt_key)key, &after);
            if (st != QPM_OK && memcmp(&before, &after, sizeof before) != 0)
                fz_fail("failed opt_set changed key %d", key);
        }
        FZ(qpm_opt_bounds((qpm_opt_key)key, &lo, &hi));
        hash = fz_hash(hash, &after, sizeof after);
        break;
    }
    case 3:
    case 4: { /* covariance */
        size_t ld = n + fz_range(in, 0, 1);
        if (fz_u8(in) == 255)
            ld = n ? n - 1 : 0;
        double c[NA * (NA + 1)];
        memset(c, 0, sizeof c);
        if (n > 0)
            draw_cov(in, c, n, ld ? ld : 1);
        int null_c = fz_u8(in) == 5;
        i = fz_op(p, "opt set_covariance");
        if (fz_skip(p, i, 0))
            return;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_opt_set_covariance(s->h, null_c ? NULL : c, ld));
        fz_disarm(&s->fa);
        for (size_t r = 0; r < n; r++)
            trace_vec("cov row", c + r * ld, n);
        if (st == QPM_OK) {
            d->have_cov = 1;
            for (size_t r = 0; r < n; r++)
                memcpy(d->cov + r * n, c + r * ld, n * sizeof(double));
        }
        break;
    }
    case 5: { /* expected returns, current portfolio */
        double v[NA];
        fz_fill(in, v, NA, -0.5, 0.8);
        int which = fz_u8(in) & 1;
        i = fz_op(p, which ? "opt set_current" : "opt set_expected_returns");
        if (fz_skip(p, i, 0))
            return;
        trace_vec(which ? "current" : "mu", v, n);
        if (which) {
            st = FZ(qpm_opt_set_current(s->h, v));
            if (st == QPM_OK)
                memcpy(d->w0, v, sizeof v);
        } else {
            st = FZ(qpm_opt_set_expected_returns(s->h, v));
            if (st == QPM_OK) {
                d->have_mu = 1;
                memcpy(d->mu, v, sizeof v);
            }
        }
        break;
    }
    case 6: { /* box */
        double lo[NA], hi[NA];
        fz_fill(in, lo, NA, -1, 0.3);
        fz_fill(in, hi, NA, 0.05, 2);
        uint8_t m = fz_u8(in);
        if (m & 1)
            for (size_t k = 0; k < NA; k++)
                lo[k] = 0.0;
        if (m & 2)
            for (size_t k = 0; k < NA; k++)
                hi[k] = (double)INFINITY;
        if (m & 4)
            for (size_t k = 0; k < NA; k++)
                lo[k] = -(double)INFINITY;
        i = fz_op(p, "opt set_bounds");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_opt_set_bounds(s->h, lo, hi));
        trace_vec("lower", lo, n);
        trace_vec("upper", hi, n);
        if (st == QPM_OK) {
            memcpy(d->lower, lo, sizeof lo);
            memcpy(d->upper, hi, sizeof hi);
        }
        break;
    }
    case 7: { /* groups */
        size_t ng = fz_range(in, 0, 3);
        size_t gof[NA];
        double lo[NA], hi[NA];
        for (size_t k = 0; k < NA; k++) {
            uint8_t b = fz_u8(in);
            gof[k] = b < 250 ? (b % 4 == 3 ? QPM_OPT_NO_GROUP : b % 4) : (size_t)b;
        }
        fz_fill(in, lo, NA, -0.5, 0.5);
        fz_fill(in, hi, NA, 0.2, 1.5);
        i = fz_op(p, "opt set_groups");
        if (fz_skip(p, i, 0))
            return;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_opt_set_groups(s->h, ng, gof, lo, hi));
        for (size_t k = 0; k < n; k++)
            fz_trace("  group_of[%zu] = %zu", k, gof[k]);
        trace_vec("  glo", lo, ng);
        trace_vec("  ghi", hi, ng);
        fz_disarm(&s->fa);
        if (st == QPM_OK) {
            d->ng = ng;
            memcpy(d->group_of, gof, sizeof gof);
            memcpy(d->glo, lo, sizeof lo);
            memcpy(d->ghi, hi, sizeof hi);
        }
        break;
    }
    case 8: { /* linear rows */
        size_t m = fz_range(in, 0, 4);
        size_t lda = n + fz_range(in, 0, 1);
        double a[4 * (NA + 1)], lo[4], hi[4];
        fz_fill(in, a, 4 * (NA + 1), -1, 1);
        fz_fill(in, lo, 4, -2, 0.5);
        fz_fill(in, hi, 4, 0.2, 2);
        i = fz_op(p, "opt set_linear");
        if (fz_skip(p, i, 0))
            return;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_opt_set_linear(s->h, m, a, lda, lo, hi));
        fz_trace("linear m %zu lda %zu", m, lda);
        for (size_t r = 0; r < m; r++) {
            trace_vec("  row", a + r * lda, n);
            fz_trace("  in [%.17g, %.17g]", lo[r], hi[r]);
        }
        fz_disarm(&s->fa);
        if (st == QPM_OK) {
            d->m = m;
            for (size_t r = 0; r < m; r++)
                memcpy(d->a + r * n, a + r * lda, n * sizeof(double));
            memcpy(d->llo, lo, sizeof lo);
            memcpy(d->lhi, hi, sizeof hi);
        }
        break;
    }
    case 9: { /* CVaR scenarios */
        size_t t = fz_range(in, 0, TS);
        size_t ld = n + fz_range(in, 0, 1);
        static double r[TS * (NA + 1)];
        fz_fill(in, r, TS * (NA + 1), -0.2, 0.2);
        i = fz_op(p, "opt set_scenarios");
        if (fz_skip(p, i, 0))
            return;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_opt_set_scenarios(s->h, t, r, ld));
        fz_trace("scenarios t %zu ld %zu", t, ld);
        fz_disarm(&s->fa);
        if (st == QPM_OK) {
            d->t = t;
            for (size_t k = 0; k < t; k++)
                memcpy(d->scen + k * n, r + k * ld, n * sizeof(double));
        }
        break;
    }
    case 10:
    case 11:
    case 12:
    case 13: { /* solve */
        uint8_t pb = fz_u8(in);
        qpm_opt_problem prob = (qpm_opt_problem)(pb < 250 ? pb % 7 : (int)pb - 252);
        int null_w = fz_u8(in) == 9;
        qpm_opt_problem probe = (qpm_opt_problem)fz_range(in, 0, 6);
        i = fz_op(p, "opt solve");
        if (fz_skip(p, i, 0))
            return;
        double w[NA];
        fz_poison(w, NA);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_opt_solve(s->h, prob, null_w ? NULL : w));
        fz_disarm(&s->fa);
        fz_trace("solve problem %d: %s", (int)prob, qpm_status_name(st));
        if (st != QPM_OK) {
            fz_untouched(w, NA, "weights");
            if (s->h != NULL && st != QPM_E_NULL)
                check_cleared(s, "solve");
            /* pass B runs it too: it clears the last solution's info */
            fz_mark_replay(p, i);
            if (st != QPM_E_NULL && st != QPM_E_INVALID && st != QPM_E_STATE)
                probe_after_failure(s, probe);
            break;
        }
        fz_expect(FZ_OPT_WEIGHT, "weights", w, n, 1, 0);
        check_solution(s, w, prob);
        hash = fz_hash(hash, w, n * sizeof(double));
        hash = info_hash(s, hash);
        break;
    }
    case 14: { /* frontier */
        size_t k = fz_range(in, 0, KF);
        size_t ldw = n + fz_range(in, 0, 1);
        uint8_t m = fz_u8(in);
        long cancel = m < 200 ? -1 : (long)(m % 4);
        i = fz_op(p, "opt frontier");
        if (fz_skip(p, i, 0))
            return;
        double W[KF * (NA + 1)], R[KF], V[KF];
        fz_poison(W, KF * (NA + 1));
        fz_poison(R, KF);
        fz_poison(V, KF);
        s->pr.cancel_after = cancel;
        s->pr.calls = 0;
        s->pr.last = 0;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(
            qpm_opt_frontier(s->h, k, m & 1 ? NULL : W, ldw, m & 2 ? NULL : R, m & 4 ? NULL : V));
        fz_disarm(&s->fa);
        s->pr.cancel_after = -1;
        if (st == QPM_E_CANCELLED && cancel < 0)
            fz_fail("frontier cancelled without a cancelling callback");
        if (st != QPM_OK) {
            if (s->h != NULL && st != QPM_E_NULL)
                check_cleared(s, "frontier");
            fz_mark_replay(p, i);
            break;
        }
        if (s->pr.calls > 0 && s->pr.last != 1.0)
            fz_fail("frontier's last progress report is %.17g, not 1", s->pr.last);
        for (size_t j = 0; j < k; j++) {
            if (!(m & 1))
                fz_expect(FZ_OPT_WEIGHT, "frontier weights", W + j * ldw, n, 1, 0);
            if (!(m & 2))
                fz_expect(FZ_OPT_FRONTIER, "frontier return", R + j, 1, 1, 0);
            if (!(m & 4))
                fz_expect(FZ_OPT_FRONTIER, "frontier vol", V + j, 1, 1, 0);
        }
        if (!(m & 1)) {
            check_solution(s, W + (k - 1) * ldw, QPM_OPT_TARGET_RETURN);
            for (size_t j = 0; j < k; j++)
                hash = fz_hash(hash, W + j * ldw, n * sizeof(double));
        }
        if (!(m & 2))
            hash = fz_hash(hash, R, k * sizeof(double));
        if (!(m & 4))
            hash = fz_hash(hash, V, k * sizeof(double));
        hash = info_hash(s, hash);
        break;
    }
    default: { /* info getters with odd keys */
        uint8_t kb = fz_u8(in);
        i = fz_op(p, "opt info");
        if (fz_skip(p, i, 0))
            return;
        double v = 0;
        st = FZ(qpm_opt_info(s->h, (qpm_opt_info_key)((int)(kb % 20) - 2), kb & 128 ? NULL : &v));
        hash = fz_hash(hash, &v, sizeof v);
        break;
    }
    }
    fz_end(p, i, st, hash);
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    s->h = NULL;
    s->pr.cancel_after = -1;
    reset_data(&s->d, 0);
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_opt_free(s->h);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
