/* opt: life cycle, settings and bounds, bad input (status, message, handle
 * still usable), infeasible constraint sets, and allocation failure at every
 * allocation of create, set_covariance, set_groups/set_linear and solve. */
#include "test_opt_util.h"

/* The "no group" value is part of the ABI: it stays the largest size_t. */
_Static_assert(QPM_OPT_NO_GROUP == (size_t)-1, "QPM_OPT_NO_GROUP changed value");

static const qpm_opt_key all_keys[] = {
    QPM_OPT_GAMMA,         QPM_OPT_RISK_FREE,  QPM_OPT_BUDGET,    QPM_OPT_GROSS_LIMIT,
    QPM_OPT_TURNOVER_LIMIT, QPM_OPT_RETURN_TARGET, QPM_OPT_VOL_TARGET, QPM_OPT_TOLERANCE,
    QPM_OPT_MAX_ITER, QPM_OPT_CVAR_ALPHA};

Test(opt_api, create_free_and_state)
{
    qpm_opt *o = (qpm_opt *)1;
    cr_assert_eq(qpm_opt_create(&o, NULL, 0), QPM_E_SIZE);
    cr_assert_null(o);
    cr_assert_str_eq(qpm_last_error(), "n = 0: must be in [1, 100000]");
    cr_assert_eq(qpm_opt_create(NULL, NULL, 3), QPM_E_NULL);
    qpm_alloc bad = {0};
    o = (qpm_opt *)1;
    cr_assert_eq(qpm_opt_create(&o, &bad, 3), QPM_E_INVALID);
    cr_assert_null(o);
    qpm_opt_free(NULL);
    cr_assert_eq(qpm_opt_create(&o, NULL, 3), QPM_OK);
    double w[3] = {7, 7, 7}, v;
    int flags[3];
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_E_STATE);
    cr_assert_eq(w[0], 7.0);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, &v), QPM_E_STATE);
    cr_assert_eq(qpm_opt_bound_flags(o, flags), QPM_E_STATE);
    cr_assert_eq(qpm_opt_risk_contributions(o, w), QPM_E_STATE);
    double id[9] = {1, 0, 0, 0, 2, 0, 0, 0, 4};
    cr_assert_eq(qpm_opt_set_covariance(o, id, 3), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MEAN_VARIANCE, w), QPM_E_STATE);
    cr_assert_str_eq(qpm_last_error(),
                     "no expected returns: call qpm_opt_set_expected_returns first");
    cr_assert_eq(qpm_opt_frontier(o, 3, NULL, 0, NULL, NULL), QPM_E_STATE);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK);
    /* inverse-variance weights 4/7, 2/7, 1/7 */
    cr_assert(fabs(w[0] - 4.0 / 7) < 1e-15 && fabs(w[2] - 1.0 / 7) < 1e-15);
    cr_assert_eq(qpm_opt_info(o, (qpm_opt_info_key)15, &v), QPM_E_KEY);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_info(NULL, QPM_OPT_INFO_NU, &v), QPM_E_NULL);
    cr_assert_eq(qpm_opt_bound_flags(o, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_risk_contributions(o, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_solve(o, (qpm_opt_problem)7, w), QPM_E_INVALID);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_solve(NULL, QPM_OPT_MIN_VARIANCE, w), QPM_E_NULL);
    cr_assert_eq(qpm_opt_set_progress(NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_frontier(NULL, 3, NULL, 0, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_frontier(o, 0, NULL, 0, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_opt_frontier(o, 2, w, 2, NULL, NULL), QPM_E_SIZE);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_api, settings_defaults_and_bounds)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, 2), QPM_OK);
    double expect[] = {1, 0, 1, (double)INFINITY, (double)INFINITY, 0, 0.5, 1e-10, 200, 0.95};
    for (size_t k = 0; k < sizeof all_keys / sizeof all_keys[0]; k++) {
        double v, lo, hi;
        cr_assert_eq(qpm_opt_get(o, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, expect[k], "key %zu default %g", k, v);
        cr_assert_eq(qpm_opt_bounds(all_keys[k], &lo, &hi), QPM_OK);
        cr_assert(lo <= v && v <= hi);
        cr_assert_eq(qpm_opt_set(o, all_keys[k], lo), QPM_OK);
        cr_assert_eq(qpm_opt_get(o, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, lo);
        cr_assert_eq(qpm_opt_set(o, all_keys[k], hi), QPM_OK);
        if (isfinite(lo))
            cr_assert_eq(qpm_opt_set(o, all_keys[k], nextafter(lo, -(double)INFINITY)),
                         QPM_E_RANGE);
        if (isfinite(hi))
            cr_assert_eq(qpm_opt_set(o, all_keys[k], nextafter(hi, (double)INFINITY)),
                         QPM_E_RANGE);
        cr_assert_eq(qpm_opt_set(o, all_keys[k], (double)NAN), QPM_E_RANGE);
        cr_assert_eq(qpm_opt_get(o, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, hi, "a refused value changed key %zu", k);
        cr_assert_eq(qpm_opt_set(o, all_keys[k], expect[k]), QPM_OK);
    }
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GAMMA, 0.0), QPM_E_RANGE);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_MAX_ITER, 2.5), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_OPT_MAX_ITER = 2.5: must be a whole number");
    double v, lo, hi;
    cr_assert_eq(qpm_opt_set(o, (qpm_opt_key)10, 0), QPM_E_KEY);
    cr_assert_eq(qpm_opt_get(o, (qpm_opt_key)10, &v), QPM_E_KEY);
    cr_assert_eq(qpm_opt_bounds((qpm_opt_key)10, &lo, &hi), QPM_E_KEY);
    cr_assert_eq(qpm_opt_bounds(QPM_OPT_GAMMA, NULL, &hi), QPM_E_NULL);
    cr_assert_eq(qpm_opt_get(o, QPM_OPT_GAMMA, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_opt_set(NULL, QPM_OPT_GAMMA, 1), QPM_E_NULL);
    qpm_opt_free(o);
}

Test(opt_api, bad_data)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, 3), QPM_OK);
    double c[9] = {1, 0.1, 0, 0.1, 1, 0, 0, 0, 1};
    cr_assert_eq(qpm_opt_set_covariance(o, NULL, 3), QPM_E_NULL);
    cr_assert_eq(qpm_opt_set_covariance(NULL, c, 3), QPM_E_NULL);
    cr_assert_eq(qpm_opt_set_covariance(o, c, 2), QPM_E_SIZE);
    c[5] = (double)NAN;
    cr_assert_eq(qpm_opt_set_covariance(o, c, 3), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "cov[1][2] = nan: must be finite");
    c[5] = 0.2;
    cr_assert_eq(qpm_opt_set_covariance(o, c, 3), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "cov[2][1] = 0 differs from cov[1][2] = "
                                       "0.20000000000000001: must be symmetric");
    c[5] = 0.0;
    c[1] = c[3] = 2.0; /* eigenvalues 3, -1, 1 */
    cr_assert_eq(qpm_opt_set_covariance(o, c, 3), QPM_E_NOTPSD);
    cr_assert(strstr(qpm_last_error(), "smallest eigenvalue = -1") != NULL, "%s",
              qpm_last_error());
    c[1] = c[3] = 0.1;
    c[4] = -1.0;
    cr_assert_eq(qpm_opt_set_covariance(o, c, 3), QPM_E_NOTPSD);
    c[4] = 1.0;
    cr_assert_eq(qpm_opt_set_covariance(o, c, 3), QPM_OK);
    double mu[3] = {0.1, (double)INFINITY, 0.2};
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_E_NONFINITE);
    cr_assert_eq(qpm_opt_set_expected_returns(o, NULL), QPM_E_NULL);
    mu[1] = 0.3;
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    lo[1] = (double)NAN;
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_E_NONFINITE);
    lo[1] = 0.0;
    cr_assert_eq(qpm_opt_set_bounds(o, NULL, hi), QPM_E_NULL);
    cr_assert_eq(qpm_opt_set_current(o, NULL), QPM_E_NULL);
    double w0[3] = {0, (double)NAN, 0};
    cr_assert_eq(qpm_opt_set_current(o, w0), QPM_E_NONFINITE);
    size_t g[3] = {0, 5, 0};
    double glo = 0, ghi = 1;
    cr_assert_eq(qpm_opt_set_groups(o, 1, g, &glo, &ghi), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "group_of[1] = 5: must be < n_groups = 1 or QPM_OPT_NO_GROUP");
    cr_assert_eq(qpm_opt_set_groups(o, 1, NULL, &glo, &ghi), QPM_E_NULL);
    double a[3] = {1, (double)INFINITY, 0};
    cr_assert_eq(qpm_opt_set_linear(o, 1, a, 3, &glo, &ghi), QPM_E_NONFINITE);
    cr_assert_eq(qpm_opt_set_linear(o, 1, a, 2, &glo, &ghi), QPM_E_SIZE);
    cr_assert_eq(qpm_opt_set_linear(o, 1, NULL, 3, &glo, &ghi), QPM_E_NULL);
    double wq[3];
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_BUDGET, -1.0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_ERC, wq), QPM_E_INVALID);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, wq), QPM_E_INVALID);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_BUDGET, 1.0), QPM_OK);
    /* the handle still works */
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, wq), QPM_OK, "%s", qpm_last_error());
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_api, infeasible_sets_then_usable)
{
    size_t n = 10;
    double S[100], mu[10], w[10], lo[10], hi[10];
    ou_random(n, 3, S, mu);
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    for (size_t i = 0; i < n; i++) {
        lo[i] = 0.0;
        hi[i] = 0.05;
    }
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_E_INFEASIBLE);
    cr_assert_str_eq(qpm_last_error(),
                     "budget = 1 outside [sum lower, sum upper] = [0, 0.5]");
    hi[3] = -0.1;
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_E_INFEASIBLE);
    cr_assert_str_eq(qpm_last_error(), "lower[3] = 0 > upper[3] = -0.1");
    for (size_t i = 0; i < n; i++)
        hi[i] = 0.5;
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_BUDGET, 6.0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_E_INFEASIBLE);
    cr_assert_str_eq(qpm_last_error(),
                     "budget = 6 outside [sum lower, sum upper] = [0, 5]");
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_BUDGET, 1.0), QPM_OK);
    double glo = 0.7, ghi = 0.6;
    size_t g[10];
    for (size_t i = 0; i < n; i++)
        g[i] = i < 5 ? 0 : QPM_OPT_NO_GROUP;
    cr_assert_eq(qpm_opt_set_groups(o, 1, g, &glo, &ghi), QPM_E_INFEASIBLE);
    /* two groups each <= 0.4 covering all assets: only the solver can tell */
    size_t g2[10];
    double lo2[2] = {0, 0}, hi2[2] = {0.4, 0.4};
    for (size_t i = 0; i < n; i++)
        g2[i] = i < 5 ? 0 : 1;
    cr_assert_eq(qpm_opt_set_groups(o, 2, g2, lo2, hi2), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_E_INFEASIBLE);
    cr_assert_eq(qpm_opt_frontier(o, 4, NULL, 0, NULL, NULL), QPM_E_INFEASIBLE);
    double v;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, &v), QPM_E_STATE);
    hi2[0] = hi2[1] = 0.6;
    cr_assert_eq(qpm_opt_set_groups(o, 2, g2, lo2, hi2), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
    /* gross and turnover limits below what the budget needs */
    cr_assert_eq(qpm_opt_set_groups(o, 0, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, 0.9), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_E_INFEASIBLE);
    cr_assert_str_eq(qpm_last_error(), "gross limit = 0.9 < |budget| = 1");
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, (double)INFINITY), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_TURNOVER_LIMIT, 0.5), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_E_INFEASIBLE);
    cr_assert_str_eq(qpm_last_error(), "turnover limit = 0.5 < |budget - sum w0| = 1");
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_TURNOVER_LIMIT, (double)INFINITY), QPM_OK);
    /* target volatility below the minimum */
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_VOL_TARGET, 1e-3), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_TARGET_RISK, w), QPM_E_INFEASIBLE);
    /* maximum Sharpe with every return below the risk-free rate */
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_RISK_FREE, 10.0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_E_INFEASIBLE);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_RISK_FREE, 0.0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_OK, "%s", qpm_last_error());
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

static int cancel_at_half(void *user, double done)
{
    int *calls = user;
    (*calls)++;
    return done >= 0.5;
}

Test(opt_api, frontier_progress_and_cancel)
{
    size_t n = 8;
    double S[64], mu[8], W[10 * 8], r[10];
    ou_random(n, 9, S, mu);
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    int calls = 0;
    cr_assert_eq(qpm_opt_set_progress(o, cancel_at_half, &calls), QPM_OK);
    cr_assert_eq(qpm_opt_frontier(o, 10, W, n, r, NULL), QPM_E_CANCELLED);
    cr_assert_eq(calls, 5); /* after points 0..4 (done = 0.1 .. 0.5) */
    cr_assert_eq(qpm_opt_set_progress(o, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_opt_frontier(o, 10, W, n, r, NULL), QPM_OK);
    cr_assert_eq(qpm_opt_frontier(o, 1, NULL, 0, r, NULL), QPM_OK);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

/* every allocation of create, set_covariance (eigenvalue workspace),
 * set_groups, set_linear, set_scenarios and of the solves (workspace on
 * first use) */
Test(opt_api, oom_every_allocation)
{
    size_t n = 6;
    double S[36], mu[6], w[6], a[6] = {1, 1, 0, 0, 0, 0}, llo = 0.1, lhi = 0.9;
    size_t g[6] = {0, 0, 1, 1, QPM_OPT_NO_GROUP, QPM_OPT_NO_GROUP};
    double glo[2] = {0, 0}, ghi[2] = {0.7, 0.7};
    ou_random(n, 4, S, mu);
    int done = 0;
    for (long k = 0; k < 200 && !done; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, k);
        qpm_opt *o = (qpm_opt *)1;
        qpm_status st = qpm_opt_create(&o, &fa.alloc, n);
        if (st != QPM_OK) {
            cr_assert_eq(st, QPM_E_NOMEM);
            cr_assert_null(o);
            cr_assert_eq(fa.live, 0);
            continue;
        }
        int failed = 0;
        qpm_status steps[9];
        double R[20 * 6];
        for (size_t q = 0; q < 20 * 6; q++)
            R[q] = 0.01 * (double)((q * 37) % 11) - 0.05;
        steps[0] = qpm_opt_set_covariance(o, S, n);
        steps[1] = steps[0] ? steps[0] : qpm_opt_set_expected_returns(o, mu);
        steps[2] = steps[1] ? steps[1] : qpm_opt_set_groups(o, 2, g, glo, ghi);
        steps[3] = steps[2] ? steps[2] : qpm_opt_set_linear(o, 1, a, n, &llo, &lhi);
        steps[4] = steps[3] ? steps[3] : qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w);
        steps[5] = steps[4] ? steps[4] : qpm_opt_solve(o, QPM_OPT_ERC, w);
        steps[6] = steps[5] ? steps[5] : qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w);
        steps[7] = steps[6] ? steps[6] : qpm_opt_set_scenarios(o, 20, R, n);
        steps[8] = steps[7] ? steps[7] : qpm_opt_solve(o, QPM_OPT_MIN_CVAR, w);
        for (int s = 0; s < 9; s++)
            if (steps[s] != QPM_OK) {
                cr_assert_eq(steps[s], QPM_E_NOMEM, "step %d: %s", s, qpm_status_name(steps[s]));
                failed = 1;
                break;
            }
        if (!failed) {
            /* a solve of a shape seen before allocates nothing */
            cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK);
            done = 1;
        }
        qpm_opt_free(o);
        cr_assert_eq(fa.live, 0, "k = %ld: %ld blocks leaked", k, fa.live);
    }
    cr_assert(done, "never succeeded within 200 allocations");
    cr_assert_eq(qt_leak_check(), 0);
}

/* The iteration limit is not a proof of infeasibility: a feasible problem
 * stopped by QPM_OPT_MAX_ITER reports QPM_E_NOCONVERGE, and the handle
 * solves it with the default limit afterwards. */
Test(opt_api, iteration_limit_is_noconverge)
{
    size_t n = 8;
    double S[64], mu[8], w[8];
    ou_random(n, 5, S, mu);
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    double def;
    cr_assert_eq(qpm_opt_get(o, QPM_OPT_MAX_ITER, &def), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_MAX_ITER, 1), QPM_OK);
    for (int p = QPM_OPT_MIN_VARIANCE; p <= QPM_OPT_MEAN_VARIANCE; p++) {
        cr_assert_eq(qpm_opt_solve(o, (qpm_opt_problem)p, w), QPM_E_NOCONVERGE, "problem %d: %s",
                     p, qpm_last_error());
        cr_assert_neq(qpm_last_error()[0], '\0');
    }
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_MAX_ITER, def), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}
