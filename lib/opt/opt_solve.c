/* qpm_opt_solve: validation, the problem's row, and the post-processing
 * every solution shares (checked against the constraints, described in the
 * solution info, copied out); the consistency checks and the solution info
 * that the frontier uses too. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

#define NONE QPM__OPT_NONE


/* ---- consistency checks ----------------------------------------------------------- */

static double dist_to_box(double v, double lo, double hi)
{
    return v < lo ? lo - v : (v > hi ? v - hi : 0.0);
}

qpm_status qpm__opt_precheck(const qpm_opt *o)
{
    size_t n = o->n;
    double slo = 0.0, shi = 0.0, gmin = 0.0, tmin = 0.0, s0 = 0.0;
    for (size_t i = 0; i < n; i++) {
        slo += o->lower[i];
        shi += o->upper[i];
        gmin += dist_to_box(0.0, o->lower[i], o->upper[i]);
        tmin += dist_to_box(o->w0[i], o->lower[i], o->upper[i]);
        s0 += o->w0[i];
    }
    double b = o->budget;
    if (b < slo || b > shi)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "budget = %g outside [sum lower, sum upper] = [%g, %g]", b, slo, shi);
    if (o->gross < fabs(b))
        return qpm__fail(QPM_E_INFEASIBLE, "gross limit = %g < |budget| = %g", o->gross,
                         fabs(b));
    if (o->gross < gmin)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "gross limit = %g < %g, the least gross exposure the bounds allow",
                         o->gross, gmin);
    if (o->turnover < tmin)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "turnover limit = %g < %g, the least turnover from w0 the bounds allow",
                         o->turnover, tmin);
    if (o->turnover < fabs(b - s0))
        return qpm__fail(QPM_E_INFEASIBLE,
                         "turnover limit = %g < |budget - sum w0| = %g", o->turnover,
                         fabs(b - s0));
    for (size_t g = 0; g < o->ngroups; g++) {
        double lo = 0.0, hi = 0.0;
        for (size_t i = 0; i < n; i++)
            if (o->group_of[i] == g) {
                lo += o->lower[i];
                hi += o->upper[i];
            }
        if (o->glo[g] > hi || o->ghi[g] < lo)
            return qpm__fail(QPM_E_INFEASIBLE,
                             "group %zu: [lo, hi] = [%g, %g] misses [%g, %g], the range its "
                             "members' bounds allow",
                             g, o->glo[g], o->ghi[g], lo, hi);
    }
    return QPM_OK;
}

qpm_status qpm__opt_need(const qpm_opt *o, int mu)
{
    if (!o->have_S)
        return qpm__fail(QPM_E_STATE, "no covariance: call qpm_opt_set_covariance first");
    if (mu && !o->have_mu)
        return qpm__fail(QPM_E_STATE,
                         "no expected returns: call qpm_opt_set_expected_returns first");
    return QPM_OK;
}

/* w'Sw of the covariance as given (the stored matrix is scaled by 2^s_exp) */
double qpm__opt_quad(const qpm_opt *o, const double *w, double *tmp)
{
    size_t n = o->n;
    qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)n, 1.0, o->S, (int)n, w, 1, 0.0, tmp, 1);
    double v = qpm__ddot((int)n, w, 1, tmp, 1);
    return o->s_exp != 0 ? ldexp(v, -o->s_exp) : v;
}

/* mu'w.  Expected returns near DBL_MAX overflow the plain sum even where
 * mu'w is a double (a return target met by cancelling weights): that case
 * sums mu scaled by a power of two.  +-Inf only when mu'w is beyond the
 * double range. */
double qpm__opt_mu_dot(const qpm_opt *o, const double *w)
{
    size_t n = o->n;
    double r = qpm__ddot((int)n, o->mu, 1, w, 1);
    if (isfinite(r))
        return r;
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(o->mu[i]));
    int e = ilogb(m);
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc += ldexp(o->mu[i], -e) * w[i];
    return ldexp(acc, e);
}

/* fills the solution info from w (and the QP multipliers when b != NULL) */
void qpm__opt_report(qpm_opt *o, const qpm__opt_build *b, qpm_opt_problem problem, const double *w, int exact,
                   size_t iters)
{
    size_t n = o->n;
    double *info = o->info;
    if (w != o->w)
        memcpy(o->w, w, n * sizeof *w);
    double var = qpm__opt_quad(o, o->w, o->wtmp), ret = (double)NAN;
    if (o->have_mu)
        ret = qpm__opt_mu_dot(o, o->w);
    double sum = 0.0, gross = 0.0, turn = 0.0;
    size_t nz = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        double v = o->w[i];
        sum += v;
        gross += fabs(v);
        turn += fabs(v - o->w0[i]);
        nz += v == 0.0;
        o->flags[i] = v == o->lower[i] ? -1 : (v == o->upper[i] ? 1 : 0);
        nb += o->flags[i] != 0;
    }
    double vol = sqrt(fmax(var, 0.0));
    info[QPM_OPT_INFO_EXP_RETURN] = ret;
    info[QPM_OPT_INFO_VARIANCE] = var;
    info[QPM_OPT_INFO_VOLATILITY] = vol;
    info[QPM_OPT_INFO_SUM_W] = sum;
    info[QPM_OPT_INFO_GROSS] = gross;
    info[QPM_OPT_INFO_TURNOVER] = turn;
    info[QPM_OPT_INFO_ITERATIONS] = (double)iters;
    info[QPM_OPT_INFO_N_ZERO] = (double)nz;
    info[QPM_OPT_INFO_N_AT_BOUND] = (double)nb;
    info[QPM_OPT_INFO_EXACT] = exact;
    info[QPM_OPT_INFO_PROBLEM] = (double)problem;
    /* Multipliers in the documented KKT convention: the QP's divided by the
     * factor its objective carries (data scaling); for MAX_SHARPE also by
     * kappa, which gives those of the target-return problem at the
     * solution's return.  ERC ignores the limits (0); a frontier point taken
     * from the LP has no multipliers (NaN, 0 for a limit that is off). */
    double nu = (double)NAN, lg = (double)NAN, lt = (double)NAN;
    if (b != NULL) {
        double k = b->homog ? o->qp.x[b->ik] : 1.0;
        if (!b->homog)
            nu = ldexp(o->qp.y[b->eq_budget], -b->fexp);
        lg = b->row_gross != NONE ? ldexp(o->qp.z[b->row_gross] / k, -b->fexp) : 0.0;
        lt = b->row_turn != NONE ? ldexp(o->qp.z[b->row_turn] / k, -b->fexp) : 0.0;
    } else {
        int limits = (qpm__opt_problems[problem].props & QPM__OPT_CONSTRAINED) != 0;
        if (!limits || !isfinite(o->gross))
            lg = 0.0;
        if (!limits || !isfinite(o->turnover))
            lt = 0.0;
    }
    info[QPM_OPT_INFO_NU] = nu;
    info[QPM_OPT_INFO_LAMBDA_GROSS] = lg;
    info[QPM_OPT_INFO_LAMBDA_TURNOVER] = lt;
    info[QPM_OPT_INFO_OBJECTIVE] = qpm__opt_problems[problem].objective(o, ret, var, vol);
    o->info_lp = b == NULL && problem != QPM_OPT_ERC;
    o->have_sol = 1;
}

/* Verification tolerance, relative to each constraint's scale. */
static double verify_tol(const qpm_opt *o) { return fmax(1e-8, 10.0 * o->tol); }

/* Every returned solution satisfies its constraints to a relative tolerance
 * (the budget, the box, groups, linear rows, gross and turnover limits; a
 * problem that takes no constraints, ERC, the budget and w > 0), or the call
 * fails with QPM_E_NOCONVERGE: scaled or ill-conditioned data must never
 * yield weights that silently break them. */
qpm_status qpm__opt_verify(const qpm_opt *o, const double *w, int unconstrained)
{
    size_t n = o->n;
    double tol = verify_tol(o), g = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]))
            return qpm__fail(QPM_E_NOCONVERGE, "the solution has w[%zu] = %g", i, w[i]);
        g += fabs(w[i]);
        sum += w[i];
    }
    double B = o->budget, scale = fmax(g, fabs(B));
#define QPM__VIOLATED(what, ...) \
    qpm__fail(QPM_E_NOCONVERGE, "the solution breaks " what " beyond the tolerance %g", __VA_ARGS__, tol)
    if (!(fabs(sum - B) <= tol * (fabs(B) + scale)))
        return QPM__VIOLATED("the budget (sum w = %.17g, budget %.17g)", sum, B);
    if (unconstrained) {
        for (size_t i = 0; i < n; i++)
            if (!(w[i] > 0.0))
                return QPM__VIOLATED("w > 0 (w[%zu] = %g)", i, w[i]);
        return QPM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        double lo = o->lower[i], hi = o->upper[i];
        if (!(w[i] >= lo - tol * (fabs(lo) + scale)) || !(w[i] <= hi + tol * (fabs(hi) + scale)))
            return QPM__VIOLATED("the box of w[%zu] (%.17g not in [%g, %g])", i, w[i], lo, hi);
    }
    for (size_t k = 0; k < o->ngroups; k++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            if (o->group_of[i] == k)
                s += w[i];
        double lo = o->glo[k], hi = o->ghi[k];
        if (!(s >= lo - tol * (fabs(lo) + scale)) || !(s <= hi + tol * (fabs(hi) + scale)))
            return QPM__VIOLATED("group %zu (sum %.17g not in [%g, %g])", k, s, lo, hi);
    }
    for (size_t r = 0; r < o->nlin; r++) {
        const double *a = o->lin + r * n;
        double s = 0.0, am = 0.0;
        for (size_t i = 0; i < n; i++) {
            s += a[i] * w[i];
            am = fmax(am, fabs(a[i]));
        }
        double lo = o->llo[r], hi = o->lhi[r], sc = am * scale;
        if (!(s >= lo - tol * (fabs(lo) + sc)) || !(s <= hi + tol * (fabs(hi) + sc)))
            return QPM__VIOLATED("linear row %zu (a'w = %.17g not in [%g, %g])", r, s, lo, hi);
    }
    if (isfinite(o->gross) && !(g <= o->gross + tol * (o->gross + scale)))
        return QPM__VIOLATED("the gross limit (sum |w| = %.17g > %g)", g, o->gross);
    if (isfinite(o->turnover)) {
        double t = 0.0, s0 = 0.0;
        for (size_t i = 0; i < n; i++) {
            t += fabs(w[i] - o->w0[i]);
            s0 += fabs(o->w0[i]);
        }
        if (!(t <= o->turnover + tol * (o->turnover + scale + s0)))
            return QPM__VIOLATED("the turnover limit (sum |w - w0| = %.17g > %g)", t,
                                 o->turnover);
    }
#undef QPM__VIOLATED
    return QPM_OK;
}

/* "QPM_OPT_MIN_VARIANCE (0), ...": the valid problems, for a message. */
static const char *problem_list(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t p = 0; p < QPM__OPT_NPROBLEMS && len < size; p++) {
        int k = snprintf(buf + len, size - len, "%s%s (%zu)", p ? ", " : "",
                         qpm__opt_problems[p].name, p);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return buf;
}

qpm_status qpm_opt_solve(qpm_opt *o, qpm_opt_problem problem, double *w)
{
    /* Phase 1, the call: a handle, an output and a known problem.  Any
     * failure from here on leaves no solution to describe. */
    QPM__CHECK_NULL(o, "o");
    o->have_sol = 0;
    QPM__CHECK_NULL(w, "w");
    if ((unsigned)problem >= QPM__OPT_NPROBLEMS) {
        char valid[256];
        return qpm__fail(QPM_E_INVALID, "problem = %d: must be one of %s", (int)problem,
                         problem_list(valid, sizeof valid));
    }
    const qpm__opt_problem *p = &qpm__opt_problems[problem];

    /* Phase 2, what the problem needs: the covariance, expected returns, a
     * positive budget. */
    qpm_status st = qpm__opt_need(o, (p->props & QPM__OPT_NEEDS_MU) != 0);
    if (st != QPM_OK)
        return st;
    if ((p->props & QPM__OPT_NEEDS_POSITIVE_BUDGET) && !(o->budget > 0.0))
        return qpm__fail(QPM_E_INVALID, "QPM_OPT_BUDGET = %g: %s needs a budget > 0",
                         o->budget, p->what);

    /* Phase 3, the constraints of a problem that takes them are consistent
     * with each other (messages naming them), and its scenarios are set. */
    if ((p->props & QPM__OPT_CONSTRAINED) && (st = qpm__opt_precheck(o)) != QPM_OK)
        return st;
    if ((p->props & QPM__OPT_NEEDS_SCENARIOS) && o->nscen == 0)
        return qpm__fail(QPM_E_STATE, "no scenarios: call qpm_opt_set_scenarios first");

    /* Phase 4, the problem's own solve: the weights into o->w, and the QP
     * they came from in res and o->qp. */
    qpm__opt_result res;
    memset(&res, 0, sizeof res);
    if ((st = p->solve(o, o->w, &res)) != QPM_OK)
        return st;

    /* Phase 5, shared: the weights hold the constraints (else
     * QPM_E_NOCONVERGE), the solution info describes them, and they are
     * copied out. */
    if ((st = qpm__opt_verify(o, o->w, !(p->props & QPM__OPT_CONSTRAINED))) != QPM_OK)
        return st;
    qpm__opt_report(o, res.has_qp ? &res.b : NULL, problem, o->w, res.exact, res.iters);
    memcpy(w, o->w, o->n * sizeof *w);
    return QPM_OK;
}
