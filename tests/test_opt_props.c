/* opt: properties on random problems (n = 5..200): KKT conditions of the
 * reported solution (stationarity with the reported budget multiplier nu,
 * signs on the bounds), frontier monotone and convex, ERC contributions
 * equal, maximum Sharpe above every frontier point, target risk met,
 * turnover and gross limits respected. */
#include "test_opt_util.h"

static qpm_opt *make(size_t n, uint64_t seed, double *S, double *mu)
{
    ou_random(n, seed, S, mu);
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, n), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S, n), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    return o;
}

/* KKT of min 1/2 w'Pw + c'w, 1'w = 1, lo <= w <= hi: g = Pw + c + nu;
 * g_i = 0 inside, >= 0 at lo, <= 0 at hi.  Tolerance: the gradient entries
 * are O(1); the exact step leaves rounding of a few 1e-16 times the
 * condition of the reduced system, so 1e-11 is a wide margin. */
static void check_kkt(size_t n, const double *S, const double *mu, double pscale, int lin,
                      const double *w, double nu, double hi)
{
    for (size_t i = 0; i < n; i++) {
        double g = nu - (lin ? mu[i] : 0.0);
        for (size_t j = 0; j < n; j++)
            g += pscale * S[i * n + j] * w[j];
        cr_assert(w[i] >= 0.0 && w[i] <= hi, "w[%zu] = %g outside the box", i, w[i]);
        if (w[i] == 0.0)
            cr_assert(g >= -1e-11, "asset %zu at 0: gradient %g < 0", i, g);
        else if (w[i] == hi)
            cr_assert(g <= 1e-11, "asset %zu at upper: gradient %g > 0", i, g);
        else
            cr_assert(fabs(g) <= 1e-11, "asset %zu free: gradient %g", i, g);
    }
}

Test(opt_props, kkt_on_random_problems)
{
    static const size_t sizes[] = {5, 12, 40, 100, 200};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = sizes[t];
        double *S = malloc(n * n * sizeof *S), *mu = malloc(n * sizeof *mu),
               *w = malloc(n * sizeof *w), *lo = calloc(n, sizeof *lo),
               *hi = malloc(n * sizeof *hi);
        qpm_opt *o = make(n, 100 + t, S, mu);
        double nu, sum, ex;
        cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, &nu), QPM_OK);
        check_kkt(n, S, mu, 2.0, 0, w, nu, (double)INFINITY);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_SUM_W, &sum), QPM_OK);
        cr_assert(fabs(sum - 1.0) <= 1e-14 * (double)n);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_EXACT, &ex), QPM_OK);
        cr_assert_eq(ex, 1.0);
        /* mean-variance with a box: the cap 3/n keeps several assets at it */
        double cap = 3.0 / (double)n;
        for (size_t i = 0; i < n; i++)
            hi[i] = cap;
        cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
        cr_assert_eq(qpm_opt_set(o, QPM_OPT_GAMMA, 3.0), QPM_OK);
        cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MEAN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, &nu), QPM_OK);
        check_kkt(n, S, mu, 3.0, 1, w, nu, cap);
        qpm_opt_free(o);
        free(S);
        free(mu);
        free(w);
        free(lo);
        free(hi);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_props, frontier_monotone_convex_and_sharpe_above_it)
{
    size_t n = 30, k = 25;
    double S[30 * 30], mu[30], W[25 * 30], r[25], v[25], w[30];
    qpm_opt *o = make(n, 7, S, mu);
    cr_assert_eq(qpm_opt_frontier(o, k, W, n, r, v), QPM_OK, "%s", qpm_last_error());
    for (size_t j = 1; j < k; j++) {
        cr_assert_gt(r[j], r[j - 1]);
        cr_assert_gt(v[j], v[j - 1], "vol not increasing at %zu", j);
    }
    /* variance convex in the target return (equal spacing) */
    for (size_t j = 1; j + 1 < k; j++) {
        double d2 = v[j + 1] * v[j + 1] - 2.0 * v[j] * v[j] + v[j - 1] * v[j - 1];
        cr_assert_geq(d2, -1e-13, "variance not convex at %zu: %g", j, d2);
    }
    /* first point = minimum variance, last = the largest return (long-only: best asset) */
    double mx = mu[0];
    for (size_t i = 1; i < n; i++)
        mx = fmax(mx, mu[i]);
    cr_assert(fabs(r[k - 1] - mx) <= 1e-13);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs(w[i] - W[i]) <= 1e-13);
    /* maximum Sharpe ratio beats every frontier point */
    double sh;
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, &sh), QPM_OK);
    for (size_t j = 0; j < k; j++)
        cr_assert_geq(sh, r[j] / v[j] - 1e-12, "point %zu has Sharpe %g > %g", j, r[j] / v[j], sh);
    /* target risk between two frontier points meets the target */
    double target = 0.5 * (v[5] + v[6]), vol, ret;
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_VOL_TARGET, target), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_TARGET_RISK, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VOLATILITY, &vol), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_EXP_RETURN, &ret), QPM_OK);
    cr_assert(fabs(vol - target) <= 1e-12 * target, "vol %.17g target %.17g", vol, target);
    cr_assert(ret > r[5] && ret < r[6]);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_props, erc_contributions_equal)
{
    size_t n = 60;
    double *S = malloc(n * n * sizeof *S), mu[60], w[60], rc[60], var;
    qpm_opt *o = make(n, 11, S, mu);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_BUDGET, 2.0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_ERC, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_risk_contributions(o, rc), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &var), QPM_OK);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_gt(w[i], 0.0);
        sum += w[i];
        /* Newton stops at 4 eps relative residual: 1e-13 is a safe bound */
        cr_assert(fabs(rc[i] - var / (double)n) <= 1e-13 * var, "rc[%zu]", i);
    }
    cr_assert(fabs(sum - 2.0) <= 1e-14);
    qpm_opt_free(o);
    free(S);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_props, turnover_gross_groups_respected)
{
    size_t n = 25;
    double S[25 * 25], mu[25], w[25], w0[25], lo[25], hi[25];
    qpm_opt *o = make(n, 5, S, mu);
    for (size_t i = 0; i < n; i++) {
        w0[i] = 1.0 / (double)n;
        lo[i] = -0.3;
        hi[i] = 0.4;
    }
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
    cr_assert_eq(qpm_opt_set_current(o, w0), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_TURNOVER_LIMIT, 0.5), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, 1.3), QPM_OK);
    size_t grp[25];
    for (size_t i = 0; i < n; i++)
        grp[i] = i < 5 ? 0 : (i < 10 ? 1 : QPM_OPT_NO_GROUP);
    double glo[2] = {0.1, -(double)INFINITY}, ghi[2] = {0.2, 0.15};
    cr_assert_eq(qpm_opt_set_groups(o, 2, grp, glo, ghi), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GAMMA, 2.0), QPM_OK);
    double turn, gross, lt, lg, g0 = 0.0, g1 = 0.0;
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MEAN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_TURNOVER, &turn), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_GROSS, &gross), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_TURNOVER, &lt), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_GROSS, &lg), QPM_OK);
    cr_assert_leq(turn, 0.5 + 1e-14);
    cr_assert_leq(gross, 1.3 + 1e-14);
    cr_assert(lt >= 0.0 && lg >= 0.0);
    cr_assert(lt > 0.0, "turnover should bind here (multiplier %g)", lt);
    for (size_t i = 0; i < n; i++) {
        g0 += i < 5 ? w[i] : 0.0;
        g1 += i >= 5 && i < 10 ? w[i] : 0.0;
    }
    cr_assert(g0 >= 0.1 - 1e-14 && g0 <= 0.2 + 1e-14 && g1 <= 0.15 + 1e-14);
    /* the same with maximum Sharpe (homogenised limits) */
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_TURNOVER, &turn), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_GROSS, &gross), QPM_OK);
    cr_assert_leq(turn, 0.5 + 1e-12);
    cr_assert_leq(gross, 1.3 + 1e-12);
    /* linear rows: a long-short spread pinned by an equality */
    double a[25] = {0};
    a[0] = 1.0;
    a[1] = -1.0;
    double l0 = 0.05, h0 = 0.05;
    cr_assert_eq(qpm_opt_set_linear(o, 1, a, n, &l0, &h0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
    cr_assert(fabs(w[0] - w[1] - 0.05) <= 1e-14);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Random problems with every kind of constraint, degenerate ones included
 * (limits implied by the budget and other active rows, slack limits whose
 * auxiliary variables are then free): the exact step must verify the KKT
 * conditions (QPM_OPT_INFO_EXACT = 1) and the weights must satisfy every
 * constraint, bounds exactly, sums to 1e-13. */
Test(opt_props, exact_step_on_random_constrained_problems)
{
    double S[30 * 30], mu[30], w[30], lo[30], hi[30], w0[30];
    for (uint64_t trial = 0; trial < 48; trial++) {
        size_t n = 4 + (size_t)(trial * 7 % 27);
        qpm_opt *o = make(n, 1000 + trial, S, mu);
        int cfg = (int)(trial % 6);
        for (size_t i = 0; i < n; i++) {
            lo[i] = cfg == 2 || cfg == 3 ? -(double)INFINITY : (cfg == 4 ? -0.2 : 0.0);
            hi[i] = cfg == 1 ? fmax(2.0 / (double)n, 0.3) : (cfg == 4 ? 0.5 : (double)INFINITY);
            w0[i] = 1.0 / (double)n;
        }
        cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
        if (cfg == 2)
            cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, 1.6), QPM_OK);
        if (cfg == 5) {
            cr_assert_eq(qpm_opt_set_current(o, w0), QPM_OK);
            cr_assert_eq(qpm_opt_set(o, QPM_OPT_TURNOVER_LIMIT, 0.4), QPM_OK);
        }
        qpm_opt_problem probs[3] = {QPM_OPT_MIN_VARIANCE, QPM_OPT_MEAN_VARIANCE,
                                    QPM_OPT_MAX_SHARPE};
        for (int p = 0; p < 3; p++) {
            qpm_status st = qpm_opt_solve(o, probs[p], w);
            if (st == QPM_E_INFEASIBLE && probs[p] == QPM_OPT_MAX_SHARPE)
                continue; /* not attained with unbounded shorts */
            cr_assert_eq(st, QPM_OK, "trial %d cfg %d problem %d: %s", (int)trial, cfg, p,
                         qpm_last_error());
            double ex, sum = 0.0, gross = 0.0, turn = 0.0;
            cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_EXACT, &ex), QPM_OK);
            cr_assert_eq(ex, 1.0, "trial %d cfg %d problem %d: not exact", (int)trial, cfg, p);
            for (size_t i = 0; i < n; i++) {
                cr_assert(w[i] >= lo[i] && w[i] <= hi[i], "trial %d w[%zu] = %.17g", (int)trial,
                          i, w[i]);
                sum += w[i];
                gross += fabs(w[i]);
                turn += fabs(w[i] - w0[i]);
            }
            cr_assert(fabs(sum - 1.0) <= 1e-13);
            if (cfg == 2)
                cr_assert_leq(gross, 1.6 + 1e-13);
            if (cfg == 5)
                cr_assert_leq(turn, 0.4 + 1e-13);
        }
        qpm_opt_free(o);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* Shorts allowed without a limit: the feasible set is unbounded, the
 * frontier runs up to the largest expected return and the target-risk
 * search brackets its root by expansion. */
Test(opt_props, unbounded_frontier_and_target_risk)
{
    size_t n = 12, k = 9;
    double S[12 * 12], mu[12], lo[12], hi[12], r[9], v[9], w[12];
    qpm_opt *o = make(n, 21, S, mu);
    for (size_t i = 0; i < n; i++) {
        lo[i] = -(double)INFINITY;
        hi[i] = (double)INFINITY;
    }
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
    cr_assert_eq(qpm_opt_frontier(o, k, NULL, 0, r, v), QPM_OK, "%s", qpm_last_error());
    double mx = mu[0];
    for (size_t i = 1; i < n; i++)
        mx = fmax(mx, mu[i]);
    cr_assert(fabs(r[k - 1] - mx) <= 1e-13);
    for (size_t j = 1; j < k; j++)
        cr_assert(r[j] > r[j - 1] && v[j] > v[j - 1]);
    /* unconstrained frontier: variance exactly quadratic in the return */
    for (size_t j = 1; j + 1 < k; j++) {
        double d2 = v[j + 1] * v[j + 1] - 2.0 * v[j] * v[j] + v[j - 1] * v[j - 1];
        double d2b = v[2] * v[2] - 2.0 * v[1] * v[1] + v[0] * v[0];
        cr_assert(fabs(d2 - d2b) <= 1e-12 * fabs(d2b), "second difference %zu", j);
    }
    double target = 2.0 * v[k - 1], vol;
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_VOL_TARGET, target), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_TARGET_RISK, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VOLATILITY, &vol), QPM_OK);
    cr_assert(fabs(vol - target) <= 1e-12 * target, "vol %.17g target %.17g", vol, target);
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* empirical CVaR at alpha with (1 - alpha) T = k whole: mean of the k
 * largest losses */
static double cvar_of(const double *R, size_t T, size_t n, const double *w, size_t k,
                      double *loss)
{
    for (size_t t = 0; t < T; t++) {
        double acc = 0.0;
        for (size_t i = 0; i < n; i++)
            acc += R[t * n + i] * w[i];
        loss[t] = -acc;
    }
    qsort(loss, T, sizeof *loss, cmp_desc);
    double s = 0.0;
    for (size_t j = 0; j < k; j++)
        s += loss[j];
    return s / (double)k;
}

/* Minimum CVaR (Rockafellar-Uryasev LP): the objective equals the empirical
 * CVaR of the weights (mean of the 10 worst of 200 losses at alpha = 0.95)
 * to rounding, and no random long-only portfolio does better. */
Test(opt_props, min_cvar_lp)
{
    size_t n = 8, T = 200, k = 10;
    double S[64], mu[8], w[8], v[8], loss[200], *R = malloc(T * n * sizeof *R);
    qpm_opt *o = make(n, 31, S, mu);
    uint64_t s = 77;
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < n; i++)
            R[t * n + i] = 0.01 * mu[i] + 0.05 * ou_gauss(&s) * (1.0 + 0.1 * (double)i);
    double x;
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_CVAR, w), QPM_E_STATE);
    cr_assert_eq(qpm_opt_set_scenarios(o, T, R, 7), QPM_E_SIZE);
    cr_assert_eq(qpm_opt_set_scenarios(o, T, NULL, n), QPM_E_NULL);
    cr_assert_eq(qpm_opt_set_scenarios(o, T, R, n), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_CVAR_ALPHA, 0.95), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_CVAR, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, &x), QPM_OK);
    double c = cvar_of(R, T, n, w, k, loss);
    cr_assert(fabs(x - c) <= 1e-13 * (1.0 + fabs(c)), "LP %.17g vs empirical %.17g", x, c);
    for (int trial = 0; trial < 200; trial++) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            v[i] = ou_unif(&s) * (trial % 3 == 0 ? 1.0 : ou_unif(&s));
            sum += v[i];
        }
        for (size_t i = 0; i < n; i++)
            v[i] /= sum;
        cr_assert_geq(cvar_of(R, T, n, v, k, loss), c - 1e-13);
    }
    cr_assert_eq(qpm_opt_set_scenarios(o, 0, NULL, 0), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_CVAR, w), QPM_E_STATE);
    qpm_opt_free(o);
    free(R);
    cr_assert_eq(qt_leak_check(), 0);
}
