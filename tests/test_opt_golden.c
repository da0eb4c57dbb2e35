/* opt: golden tests against optim_*_public_n20.csv (refdata README section
 * 8): every problem, every weight and every summary column.
 *
 * Tolerances.  The references are the exact KKT solutions on the active set
 * (about 45 digits) rounded to double.  The library solves the same reduced
 * KKT system in double (LU, iterative refinement with residuals from the
 * data), whose condition number here is below 1e4, so weights carry a few
 * units of 1e-16 (observed <= 2.3e-16): we require 1e-14 absolute, 10^6 times
 * tighter than the README's 1e-8.  Objectives, returns, variances and
 * volatilities are sums of 20-400 such products: 1e-13 relative (README:
 * 1e-10).  The multipliers nu and lambda_gross come from the same solve:
 * 1e-12 relative.  ERC is Newton on a strictly convex function, iterated to
 * risk contributions equal to 4 eps relative: 1e-14 on weights.  Weights on
 * a bound must be exactly 0 (or 0.15) as in the reference, so the count of
 * zero weights must match exactly. */
#include "test_opt_util.h"

#define TOL_W 1e-14
#define TOL_OBJ 1e-13
#define TOL_MULT 1e-12

static void close_rel(double got, double want, double tol, const char *what, const char *prob)
{
    if (isnan(want)) {
        cr_assert(isnan(got), "%s %s: got %.17g, expected nan", prob, what, got);
        return;
    }
    cr_assert(fabs(got - want) <= tol * fmax(fabs(want), 1e-300), "%s %s: got %.17g want %.17g",
              prob, what, got, want);
}

static void set_problem(qpm_opt *o, size_t k, qpm_opt_problem *pr)
{
    double lo[OU_N], hi[OU_N];
    for (size_t i = 0; i < OU_N; i++) {
        lo[i] = 0.0;
        hi[i] = (double)INFINITY;
    }
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GAMMA, 5.0), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, (double)INFINITY), QPM_OK);
    switch (k) {
    case 0: *pr = QPM_OPT_MIN_VARIANCE; break;
    case 1: *pr = QPM_OPT_MEAN_VARIANCE; break;
    case 2:
        *pr = QPM_OPT_MEAN_VARIANCE;
        for (size_t i = 0; i < OU_N; i++)
            hi[i] = 0.15;
        break;
    case 3:
        *pr = QPM_OPT_MEAN_VARIANCE;
        for (size_t i = 0; i < OU_N; i++)
            lo[i] = -(double)INFINITY;
        cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, 1.5), QPM_OK);
        break;
    case 4: *pr = QPM_OPT_ERC; break;
    default:
        *pr = QPM_OPT_MAX_SHARPE;
        for (size_t i = 0; i < OU_N; i++)
            lo[i] = -(double)INFINITY;
        break;
    }
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
}

Test(opt_golden, every_problem_every_column)
{
    static ou_ref r;
    ou_load(&r);
    static const char *names[6] = {"minvar", "mv", "mv_box", "mv_longshort", "erc", "tangency"};
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, OU_N), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, r.cov, OU_N), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, r.mu), QPM_OK);
    qt_csv *s = r.summary;
    cr_assert_eq(s->nrows, 6u);
    size_t checked = 0;
    for (size_t row = 0; row < s->nrows; row++) {
        const char *name = qt_csv_str(s, row, qt_csv_col(s, "problem"));
        size_t k = 6;
        for (size_t q = 0; q < 6; q++)
            if (strcmp(name, names[q]) == 0)
                k = q;
        cr_assert_lt(k, 6u, "unknown problem %s", name);
        qpm_opt_problem pr;
        set_problem(o, k, &pr);
        double w[OU_N];
        cr_assert_eq(qpm_opt_solve(o, pr, w), QPM_OK, "%s: %s", name, qpm_last_error());
        for (size_t i = 0; i < OU_N; i++) {
            cr_assert(fabs(w[i] - r.w[k][i]) <= TOL_W, "%s w[%zu] = %.17g, expected %.17g", name,
                      i, w[i], r.w[k][i]);
            /* exact bound values, as the reference */
            if (r.w[k][i] == 0.0 || r.w[k][i] == 0.15)
                cr_assert_eq(w[i], r.w[k][i], "%s w[%zu] not exactly on its bound", name, i);
        }
        double v;
        static const struct {
            const char *col;
            qpm_opt_info_key key;
            double tol;
        } cols[] = {
            {"objective", QPM_OPT_INFO_OBJECTIVE, TOL_OBJ},
            {"exp_return", QPM_OPT_INFO_EXP_RETURN, TOL_OBJ},
            {"variance", QPM_OPT_INFO_VARIANCE, TOL_OBJ},
            {"volatility", QPM_OPT_INFO_VOLATILITY, TOL_OBJ},
            {"sum_w", QPM_OPT_INFO_SUM_W, TOL_OBJ},
            {"gross", QPM_OPT_INFO_GROSS, TOL_OBJ},
            {"nu", QPM_OPT_INFO_NU, TOL_MULT},
        };
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            cr_assert_eq(qpm_opt_info(o, cols[c].key, &v), QPM_OK);
            close_rel(v, qt_csv_num(s, row, qt_csv_col(s, cols[c].col)), cols[c].tol, cols[c].col,
                      name);
        }
        double lg = qt_csv_num(s, row, qt_csv_col(s, "lambda_gross"));
        if (!isnan(lg)) {
            cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_GROSS, &v), QPM_OK);
            close_rel(v, lg, TOL_MULT, "lambda_gross", name);
        }
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_N_ZERO, &v), QPM_OK);
        cr_assert_eq(v, qt_csv_num(s, row, qt_csv_col(s, "n_zero_weights")), "%s n_zero %g", name,
                     v);
        if (pr != QPM_OPT_ERC) {
            cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_EXACT, &v), QPM_OK);
            cr_assert_eq(v, 1.0, "%s: exact step not verified", name);
        }
        checked++;
    }
    cr_assert_eq(checked, 6u);
    qt_csv_free(r.summary);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

/* bound flags and risk contributions on the reference problems */
Test(opt_golden, bound_flags_and_risk_contributions)
{
    static ou_ref r;
    ou_load(&r);
    qt_csv_free(r.summary);
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, OU_N), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, r.cov, OU_N), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, r.mu), QPM_OK);
    qpm_opt_problem pr;
    set_problem(o, 2, &pr);
    double w[OU_N], rc[OU_N];
    int flags[OU_N];
    cr_assert_eq(qpm_opt_solve(o, pr, w), QPM_OK);
    cr_assert_eq(qpm_opt_bound_flags(o, flags), QPM_OK);
    for (size_t i = 0; i < OU_N; i++) {
        int want = r.w[2][i] == 0.0 ? -1 : (r.w[2][i] == 0.15 ? 1 : 0);
        cr_assert_eq(flags[i], want, "flag %zu", i);
    }
    double nb;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_N_AT_BOUND, &nb), QPM_OK);
    cr_assert_eq(nb, 17.0); /* 12 zeros and 5 at 0.15 */
    set_problem(o, 4, &pr);
    cr_assert_eq(qpm_opt_solve(o, pr, w), QPM_OK);
    cr_assert_eq(qpm_opt_risk_contributions(o, rc), QPM_OK);
    double var, sum = 0.0;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &var), QPM_OK);
    for (size_t i = 0; i < OU_N; i++) {
        /* equal contributions var/n to a few ulps of the products */
        cr_assert(fabs(rc[i] - var / OU_N) <= 1e-14 * var, "rc[%zu] = %.17g vs %.17g", i, rc[i],
                  var / OU_N);
        sum += rc[i];
    }
    cr_assert(fabs(sum - var) <= 1e-14 * var);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}
