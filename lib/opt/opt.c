/* qpm_opt handle: life cycle, settings, problem data and solution info. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/settings.h"
#include "num/linalg.h"
#include "opt_internal.h"
#include "qpm/cov.h"

#define QPM__OPT_MAX_N 100000u

/* ---- settings ---------------------------------------------------------------- */

#define REAL(key, lo, hi, def, field)                                                            \
    {key, #key, QPM__SET_REAL, 0, lo, hi, def, NULL, NULL, QPM__STORE_DOUBLE,                   \
     offsetof(qpm_opt, field), NULL}
static const qpm__setting setting_rows[] = {
    REAL(QPM_OPT_GAMMA, DBL_MIN, DBL_MAX, 1.0, gamma),
    REAL(QPM_OPT_RISK_FREE, -DBL_MAX, DBL_MAX, 0.0, rf),
    REAL(QPM_OPT_BUDGET, -DBL_MAX, DBL_MAX, 1.0, budget),
    REAL(QPM_OPT_GROSS_LIMIT, 0.0, (double)INFINITY, (double)INFINITY, gross),
    REAL(QPM_OPT_TURNOVER_LIMIT, 0.0, (double)INFINITY, (double)INFINITY, turnover),
    REAL(QPM_OPT_RETURN_TARGET, -DBL_MAX, DBL_MAX, 0.0, target_ret),
    REAL(QPM_OPT_VOL_TARGET, DBL_MIN, DBL_MAX, 0.5, target_vol),
    REAL(QPM_OPT_TOLERANCE, 1e-14, 1e-4, 1e-10, tol),
    {QPM_OPT_MAX_ITER, "QPM_OPT_MAX_ITER", QPM__SET_INTEGER, 0, 1.0, 1e6, 200, NULL, NULL,
     QPM__STORE_SIZE, offsetof(qpm_opt, maxiter), NULL},
    REAL(QPM_OPT_CVAR_ALPHA, 0x1p-53, 1.0 - 0x1p-53, 0.95, alpha),
};
#undef REAL
static const qpm__settings settings = QPM__SETTINGS("qpm_opt_key", setting_rows);

QPM__SETTINGS_API(opt, qpm_opt_key, settings, "o")

/* ---- life cycle ------------------------------------------------------------------ */

_Static_assert(offsetof(struct qpm_opt, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_opt_create(qpm_opt **out, const qpm_alloc *alloc, size_t n)
{
    QPM__CHECK_OUT(out);
    if (n == 0 || n > QPM__OPT_MAX_N)
        return qpm__fail(QPM_E_SIZE, "n = %zu: must be in [1, %u]", n, QPM__OPT_MAX_N);
    qpm_status st;
    qpm_opt *o = qpm__handle_new(alloc, sizeof *o, qpm__linalg_load, &settings, &st);
    if (o == NULL)
        return st;
    const qpm_alloc *al = &o->alloc;
    o->n = n;
    if ((o->S = qpm__calloc(al, n * n, sizeof(double))) == NULL ||
        (o->mu = qpm__calloc(al, 6 * n, sizeof(double))) == NULL ||
        (o->flags = qpm__calloc(al, n, sizeof(int))) == NULL ||
        (o->brow = qpm__calloc(al, 2 * n, sizeof(size_t))) == NULL) {
        qpm_opt_free(o);
        return QPM_E_NOMEM;
    }
    o->lower = o->mu + n;
    o->upper = o->mu + 2 * n;
    o->w0 = o->mu + 3 * n;
    o->w = o->mu + 4 * n;
    o->wtmp = o->mu + 5 * n;
    for (size_t i = 0; i < n; i++)
        o->upper[i] = (double)INFINITY;
    *out = o;
    return QPM_OK;
}

void qpm_opt_free(qpm_opt *o)
{
    if (o == NULL)
        return;
    qpm_alloc al = o->alloc;
    qpm__qp_release(&o->qp, &al);
    void *blocks[] = {o->S,   o->mu,  o->flags, o->brow, o->group_of, o->glo,
                      o->lin, o->llo, o->scen,  o->erc_work, o};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        qpm__free(&al, blocks[i]);
}

/* ---- data ---------------------------------------------------------------------- */

qpm_status qpm_opt_set_covariance(qpm_opt *o, const double *cov, size_t ld)
{
    QPM__CHECK_NULL(o, "o");
    QPM__CHECK_NULL(cov, "cov");
    size_t n = o->n;
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n = %zu", ld, n);
    /* a negative variance is QPM_E_NOTPSD here, as opt.h documents */
    qpm_status st = qpm__check_covariance_code(cov, n, ld, "cov", QPM_E_NOTPSD);
    if (st != QPM_OK)
        return st;
    double trace = 0.0;
    for (size_t i = 0; i < n; i++)
        trace += cov[i * ld + i];
    double lmin = 0.0;
    st = qpm_cov_min_eigenvalue(&o->alloc, n, cov, ld, &lmin);
    if (st == QPM_E_OVERFLOW) /* an eigenvalue below -DBL_MAX */
        return qpm__fail(QPM_E_NOTPSD, "cov: smallest eigenvalue below -DBL_MAX: not positive "
                                       "semi-definite");
    if (st != QPM_OK)
        return st;
    /* the trace may overflow: scaled by 2^-k it does not, and for the sign
     * test the scale is immaterial */
    double dmax = 0.0;
    for (size_t i = 0; i < n; i++)
        dmax = fmax(dmax, cov[i * ld + i]);
    int k = dmax > 0.0 ? ilogb(dmax) : 0;
    double tr_s = 0.0;
    for (size_t i = 0; i < n; i++)
        tr_s += ldexp(cov[i * ld + i], -k);
    double bound = isfinite(trace) ? -1e-12 * trace : ldexp(-1e-12 * tr_s, k);
    if (!(lmin >= bound))
        return qpm__fail(QPM_E_NOTPSD,
                         "cov: smallest eigenvalue = %.17g < -1e-12 trace = %.17g: not positive "
                         "semi-definite",
                         lmin, bound);
    int e = dmax > 0.0 && !(dmax >= 0x1p-20 && dmax <= 0x1p20) ? -ilogb(dmax) : 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = i == j ? cov[i * ld + i] : qpm__mean2(cov[i * ld + j], cov[j * ld + i]);
            o->S[i * n + j] = e != 0 ? ldexp(v, e) : v;
        }
    o->s_exp = e;
    o->have_S = 1;
    return QPM_OK;
}

/* A vector argument: n finite values, copied into dst. */
static qpm_status copy_finite(const qpm_opt *o, double *dst, const double *v, const char *name)
{
    qpm_status st = qpm__check_finite(v, o->n, name);
    if (st == QPM_OK)
        memcpy(dst, v, o->n * sizeof *v);
    return st;
}

qpm_status qpm_opt_set_expected_returns(qpm_opt *o, const double *mu)
{
    QPM__CHECK_NULL(o, "o");
    qpm_status st = copy_finite(o, o->mu, mu, "mu");
    if (st == QPM_OK)
        o->have_mu = 1;
    return st;
}

/* lo[i] <= hi[i] for each of m pairs, neither NaN, lo < +inf, hi > -inf;
 * an inverted pair is QPM_E_INFEASIBLE, named as `what` + its index
 * ("group 2: ") when what is not empty. */
static qpm_status check_intervals(size_t m, const double *lo, const double *hi,
                                  const char *lo_name, const char *hi_name, const char *what)
{
    for (size_t r = 0; r < m; r++) {
        if (isnan(lo[r]) || lo[r] == (double)INFINITY)
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be a number < +inf", lo_name, r,
                             lo[r]);
        if (isnan(hi[r]) || hi[r] == -(double)INFINITY)
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be a number > -inf", hi_name, r,
                             hi[r]);
        if (lo[r] > hi[r]) {
            if (*what == '\0')
                return qpm__fail(QPM_E_INFEASIBLE, "%s[%zu] = %g > %s[%zu] = %g", lo_name, r,
                                 lo[r], hi_name, r, hi[r]);
            return qpm__fail(QPM_E_INFEASIBLE, "%s%zu: %s[%zu] = %g > %s[%zu] = %g", what, r,
                             lo_name, r, lo[r], hi_name, r, hi[r]);
        }
    }
    return QPM_OK;
}

qpm_status qpm_opt_set_bounds(qpm_opt *o, const double *lower, const double *upper)
{
    QPM__CHECK_NULL(o, "o");
    QPM__CHECK_NULL(lower, "lower");
    QPM__CHECK_NULL(upper, "upper");
    qpm_status st = check_intervals(o->n, lower, upper, "lower", "upper", "");
    if (st != QPM_OK)
        return st;
    double slo = 0.0, shi = 0.0;
    for (size_t i = 0; i < o->n; i++) {
        slo += lower[i];
        shi += upper[i];
    }
    if (o->budget < slo || o->budget > shi)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "budget = %g outside [sum lower, sum upper] = [%g, %g]", o->budget, slo,
                         shi);
    memcpy(o->lower, lower, o->n * sizeof *lower);
    memcpy(o->upper, upper, o->n * sizeof *upper);
    return QPM_OK;
}

qpm_status qpm_opt_set_current(qpm_opt *o, const double *w0)
{
    QPM__CHECK_NULL(o, "o");
    return copy_finite(o, o->w0, w0, "w0");
}

qpm_status qpm_opt_set_groups(qpm_opt *o, size_t n_groups, const size_t *group_of,
                              const double *lo, const double *hi)
{
    QPM__CHECK_NULL(o, "o");
    if (n_groups == 0) {
        o->ngroups = 0;
        return QPM_OK;
    }
    QPM__CHECK_NULL(group_of, "group_of");
    QPM__CHECK_NULL(lo, "lo");
    QPM__CHECK_NULL(hi, "hi");
    if (n_groups > o->n)
        return qpm__fail(QPM_E_SIZE, "n_groups = %zu: must be <= n = %zu", n_groups, o->n);
    for (size_t i = 0; i < o->n; i++)
        if (group_of[i] != QPM_OPT_NO_GROUP && group_of[i] >= n_groups)
            return qpm__fail(QPM_E_INVALID,
                             "group_of[%zu] = %zu: must be < n_groups = %zu or QPM_OPT_NO_GROUP",
                             i, group_of[i], n_groups);
    qpm_status st = check_intervals(n_groups, lo, hi, "lo", "hi", "group ");
    if (st != QPM_OK)
        return st;
    if (o->group_of == NULL) {
        size_t *g = qpm__calloc(&o->alloc, o->n, sizeof *g);
        double *b = qpm__calloc(&o->alloc, 2 * o->n, sizeof *b);
        if (g == NULL || b == NULL) {
            qpm__free(&o->alloc, g);
            qpm__free(&o->alloc, b);
            return QPM_E_NOMEM;
        }
        o->group_of = g;
        o->glo = b;
        o->ghi = b + o->n;
    }
    memcpy(o->group_of, group_of, o->n * sizeof *group_of);
    memcpy(o->glo, lo, n_groups * sizeof *lo);
    memcpy(o->ghi, hi, n_groups * sizeof *hi);
    o->ngroups = n_groups;
    return QPM_OK;
}

qpm_status qpm_opt_set_linear(qpm_opt *o, size_t m, const double *a, size_t lda,
                              const double *lo, const double *hi)
{
    QPM__CHECK_NULL(o, "o");
    if (m == 0) {
        o->nlin = 0;
        return QPM_OK;
    }
    QPM__CHECK_NULL(a, "a");
    QPM__CHECK_NULL(lo, "lo");
    QPM__CHECK_NULL(hi, "hi");
    size_t n = o->n;
    if (m > QPM__OPT_MAX_N)
        return qpm__fail(QPM_E_SIZE, "m = %zu: must be <= %u", m, QPM__OPT_MAX_N);
    if (lda < n)
        return qpm__fail(QPM_E_SIZE, "lda = %zu: must be >= n = %zu", lda, n);
    qpm_status st = qpm__check_finite_matrix(a, m, n, lda, "a");
    if (st != QPM_OK)
        return st;
    st = check_intervals(m, lo, hi, "lo", "hi", "linear row ");
    if (st != QPM_OK)
        return st;
    if (m > o->cap_lin) {
        double *na = qpm__calloc(&o->alloc, m * n, sizeof *na);
        double *nb = qpm__calloc(&o->alloc, 2 * m, sizeof *nb);
        if (na == NULL || nb == NULL) {
            qpm__free(&o->alloc, na);
            qpm__free(&o->alloc, nb);
            return QPM_E_NOMEM;
        }
        qpm__free(&o->alloc, o->lin);
        qpm__free(&o->alloc, o->llo);
        o->lin = na;
        o->llo = nb;
        o->lhi = nb + m;
        o->cap_lin = m;
    }
    for (size_t r = 0; r < m; r++)
        memcpy(o->lin + r * n, a + r * lda, n * sizeof *a);
    memcpy(o->llo, lo, m * sizeof *lo);
    memcpy(o->lhi, hi, m * sizeof *hi);
    o->nlin = m;
    return QPM_OK;
}

qpm_status qpm_opt_set_scenarios(qpm_opt *o, size_t t, const double *returns, size_t ld)
{
    QPM__CHECK_NULL(o, "o");
    if (t == 0) {
        o->nscen = 0;
        return QPM_OK;
    }
    QPM__CHECK_NULL(returns, "returns");
    size_t n = o->n;
    if (t > QPM__OPT_MAX_N)
        return qpm__fail(QPM_E_SIZE, "t = %zu: must be <= %u", t, QPM__OPT_MAX_N);
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n = %zu", ld, n);
    qpm_status st = qpm__check_finite_matrix(returns, t, n, ld, "returns");
    if (st != QPM_OK)
        return st;
    if (t > o->cap_scen) {
        double *b = qpm__calloc(&o->alloc, t * n, sizeof *b);
        if (b == NULL)
            return QPM_E_NOMEM;
        qpm__free(&o->alloc, o->scen);
        o->scen = b;
        o->cap_scen = t;
    }
    for (size_t r = 0; r < t; r++)
        memcpy(o->scen + r * n, returns + r * ld, n * sizeof *returns);
    o->nscen = t;
    return QPM_OK;
}

qpm_status qpm_opt_set_progress(qpm_opt *o, qpm_progress_fn fn, void *user)
{
    QPM__CHECK_NULL(o, "o");
    return qpm__progress_set(&o->progress, fn, user);
}

/* ---- solution info ------------------------------------------------------------- */

qpm_status qpm_opt_info(const qpm_opt *o, qpm_opt_info_key key, double *value)
{
    QPM__CHECK_NULL(o, "o");
    QPM__CHECK_NULL(value, "value");
    if ((unsigned)key >= sizeof o->info / sizeof o->info[0])
        return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_opt_info_key", (int)key);
    if (!o->have_sol)
        return qpm__fail(QPM_E_STATE, "no solution: solve first");
    double v = o->info[key];
    if (!isfinite(v)) {
        /* the documented NaNs: no multiplier, no expected returns */
        int p = (int)o->info[QPM_OPT_INFO_PROBLEM];
        int none = (key == QPM_OPT_INFO_NU &&
                    (p == QPM_OPT_MAX_SHARPE || p == QPM_OPT_ERC || o->info_lp)) ||
                   ((key == QPM_OPT_INFO_LAMBDA_GROSS || key == QPM_OPT_INFO_LAMBDA_TURNOVER) &&
                    o->info_lp) ||
                   (key == QPM_OPT_INFO_EXP_RETURN && !o->have_mu);
        if (!(isnan(v) && none))
            return qpm__fail(QPM_E_OVERFLOW,
                             "info key %d = %g: beyond the range of double (the solution's "
                             "weights are served)",
                             (int)key, v);
    }
    *value = v;
    return QPM_OK;
}

qpm_status qpm_opt_bound_flags(const qpm_opt *o, int *flags)
{
    QPM__CHECK_NULL(o, "o");
    QPM__CHECK_NULL(flags, "flags");
    if (!o->have_sol)
        return qpm__fail(QPM_E_STATE, "no solution: solve first");
    memcpy(flags, o->flags, o->n * sizeof *flags);
    return QPM_OK;
}

qpm_status qpm_opt_risk_contributions(const qpm_opt *o, double *rc)
{
    QPM__CHECK_NULL(o, "o");
    QPM__CHECK_NULL(rc, "rc");
    if (!o->have_sol)
        return qpm__fail(QPM_E_STATE, "no solution: solve first");
    size_t n = o->n;
    /* checked before any is written: a contribution beyond the double range
     * (a covariance near DBL_MAX) fails the call */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            double acc = 0.0;
            for (size_t j = 0; j < n; j++)
                acc += o->S[i * n + j] * o->w[j];
            double v = o->s_exp != 0 ? ldexp(o->w[i] * acc, -o->s_exp) : o->w[i] * acc;
            if (pass == 1)
                rc[i] = v;
            else if (!isfinite(v))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "risk contribution %zu = %g: beyond the range of double", i, v);
        }
    return QPM_OK;
}
