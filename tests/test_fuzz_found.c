/* Regressions of defects found by the fuzz targets (tests/fuzz/), beside
 * their inputs in tests/fuzz/regress/: each test names the target. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "qpm/cov.h"
#include "qpm/opt.h"
#include "qpm/pricing.h"
#include "qpm/risk.h"
#include "qpm/rng.h"
#include "support/testutil.h"

/* fuzz_risk: a skewness of 1e155 made var_cf +Inf with QPM_OK. */
Test(fuzz_found, parametric_overflow_is_an_error)
{
    double mu[2] = {754.0, 1.0}, sg[2] = {42.5, 1.0}, sk[2] = {0.1, 1e155}, ek[2] = {7.3, 0};
    double al[2] = {0.99, 0.73}, vn[2] = {-1, -1}, es[2] = {-1, -1}, cf[2] = {-1, -1};
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ek, al, vn, es, cf), QPM_E_OVERFLOW);
    cr_assert_neq(strstr(qpm_last_error(), "distribution 1: var_cf"), NULL, "%s", qpm_last_error());
    for (int i = 0; i < 2; i++)
        cr_assert(vn[i] == -1 && es[i] == -1 && cf[i] == -1, "outputs written");
    /* without var_cf the other results are served */
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ek, al, vn, es, NULL), QPM_OK);
    cr_assert(isfinite(vn[1]) && isfinite(es[1]));
    /* at sigma = 0 the quantile does not matter: var_cf = mu (not 0 x Inf) */
    sg[1] = 0.0;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ek, al, vn, es, cf), QPM_OK);
    cr_assert_eq(cf[1], mu[1]);
    /* z_cf beyond DBL_MAX but sigma z_cf + mu a double: served */
    sg[1] = 1e-20;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ek, al, NULL, NULL, cf), QPM_OK, "%s",
                 qpm_last_error());
    double z = qpm_norm_inv(0.73);
    double want = -(2 * z * z * z - 5 * z) / 36.0 * 1e155 * (1e155 * 1e-20);
    cr_assert(isfinite(cf[1]) && fabs(cf[1] / want - 1) < 1e-12, "var_cf = %.17g, about %.17g",
              cf[1], want);
    /* ordinary inputs: unchanged formula */
    cr_assert_eq(qpm_risk_parametric(1, mu, sg, sk, ek, al, NULL, NULL, cf), QPM_OK);
    double z0 = qpm_norm_inv(0.99), z2 = z0 * z0, z3 = z2 * z0;
    double zc = z0 + (z2 - 1.0) * 0.1 / 6.0 + (z3 - 3.0 * z0) * 7.3 / 24.0 -
                (2.0 * z3 - 5.0 * z0) * 0.1 * 0.1 / 36.0;
    cr_assert_eq(cf[0], fma(42.5, zc, 754.0));
}

/* fuzz_cov: entries near DBL_MAX put the smallest eigenvalue below
 * -DBL_MAX; qpm_cov_min_eigenvalue returned -inf with QPM_OK. */
Test(fuzz_found, min_eigenvalue_below_minus_dbl_max)
{
    const double M = DBL_MAX;
    double a[9] = {0, -M, -M, -M, 0, -M, -M, -M, 0}, l = 7;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 3, a, 3, &l), QPM_E_OVERFLOW);
    cr_assert_eq(l, 7, "output written");
    cr_assert_neq(strstr(qpm_last_error(), "below -DBL_MAX"), NULL, "%s", qpm_last_error());
    /* the PSD check knows the answer: not PSD, the eigenvalue -inf */
    cr_assert_eq(qpm_cov_check_psd(NULL, 3, a, 3, 0.0, &l), QPM_E_NOTPSD);
    cr_assert(isinf(l) && l < 0);
    /* scaled by 2^-2 the same matrix is served, exactly scaled */
    double b[9];
    for (int i = 0; i < 9; i++)
        b[i] = ldexp(a[i], -2);
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 3, b, 3, &l), QPM_OK);
    cr_assert(isfinite(l) && l < -M / 4, "%g", l);
    /* and opt still calls it not PSD */
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, 3), QPM_OK);
    double c[9] = {M, -M, -M, -M, M, -M, -M, -M, M};
    cr_assert_eq(qpm_opt_set_covariance(o, c, 3), QPM_E_NOTPSD, "%s", qpm_last_error());
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

/* fuzz_opt: solution info beyond the double range was returned as +-Inf
 * (or NaN) with QPM_OK: the Sharpe ratio of a portfolio of zero variance,
 * the budget multiplier of a covariance near DBL_MAX.  The weights are
 * served; the value itself is QPM_E_OVERFLOW. */
Test(fuzz_found, opt_info_beyond_the_double_range)
{
    qpm_opt *o;
    double w[2], v = 7;
    cr_assert_eq(qpm_opt_create(&o, NULL, 2), QPM_OK);
    double zero[4] = {0, 0, 0, 0}, mu[2] = {0.1, 0.2};
    cr_assert_eq(qpm_opt_set_covariance(o, zero, 2), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_OK, "%s", qpm_last_error());
    cr_assert(isfinite(w[0]) && isfinite(w[1]));
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, &v), QPM_E_OVERFLOW);
    cr_assert_eq(v, 7, "value written");
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &v), QPM_OK);
    cr_assert_eq(v, 0.0);
    double big[4] = {1.5e308, 1e308, 1e308, 1.5e308};
    cr_assert_eq(qpm_opt_set_covariance(o, big, 2), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK);
    v = 7;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, &v), QPM_E_OVERFLOW);
    cr_assert_eq(v, 7);
    cr_assert_neq(strstr(qpm_last_error(), "beyond the range of double"), NULL);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &v), QPM_OK);
    cr_assert(isfinite(v));
    qpm_opt_free(o);
    cr_assert_eq(qt_leak_check(), 0);
}

/* fuzz_pricing: a price whose undiscounted (or USD) value overflows lies
 * above every no-arbitrage bound; implied vol gave the element the
 * undocumented status QPM_E_INVALID (linear) or QPM_E_NOCONVERGE (coin)
 * instead of QPM_E_ARBITRAGE. */
Test(fuzz_found, implied_vol_of_a_price_beyond_every_bound)
{
    double U = 336535.86733980419, K = 18.318828138480914, T = 0.16345227728009051;
    double r = 0.00016784924086366004, price = DBL_MAX, s = 0;
    for (int model = 0; model < 2; model++)
        for (int settle = 0; settle < 2; settle++)
            for (int kernel = 1; kernel <= 3; kernel++)
                for (int32_t type = -1; type <= 1; type += 2) {
                    qpm_pricer *p;
                    cr_assert_eq(
                        qpm_pricer_create(&p, NULL, (qpm_model)model, (qpm_settlement)settle),
                        QPM_OK);
                    if (qpm_pricer_set(p, QPM_PRICER_KERNEL, kernel) != QPM_OK) {
                        qpm_pricer_free(p);
                        continue;
                    }
                    int32_t st = 0;
                    cr_assert_eq(
                        qpm_pricer_implied_vol(p, 1, &U, &K, &T, &r, NULL, &type, &price, &s, &st),
                        QPM_E_ARBITRAGE, "model %d settle %d kernel %d type %d: %s", model, settle,
                        kernel, (int)type, qpm_last_error());
                    cr_assert_eq(st, QPM_E_ARBITRAGE);
                    cr_assert(isnan(s));
                    qpm_pricer_free(p);
                }
}

/* fuzz_cov: two pushed rows whose asset 1 moves by 8e-159 gave a subnormal
 * variance (3e-317) and a correlation of 1.0000000007603671 with QPM_OK.
 * Two rows make every pair perfectly correlated: each entry is now +-1. */
Test(fuzz_found, correlation_of_a_subnormal_variance)
{
    double r0[4] = {0.22396429388876177, 1e-155, 0.18726024261844815, 0.27109636072327764};
    double r1[4] = {0.22397414831769286, 1.000805e-155, 0.1873662319157702, 0.27118500923323413};
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 4), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, r0), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, r1), QPM_OK);
    double cov[16], out[16];
    cr_assert_eq(qpm_cov_covariance(c, cov, 4), QPM_OK);
    cr_assert(cov[5] > 0.0 && cov[5] < DBL_MIN, "variance %g", cov[5]);
    cr_assert_eq(qpm_cov_correlation(c, out, 4), QPM_OK, "%s", qpm_last_error());
    for (int i = 0; i < 16; i++)
        cr_assert(fabs(out[i]) <= 1.0 && fabs(out[i]) > 1.0 - 1e-8, "entry %d = %.17g", i,
                  out[i]);
    cr_assert_eq(out[1 * 4 + 0], 1.0, "%.17g", out[4]);
    qpm_cov_free(c);
}

/* Collinear assets: the rounded C_ij / sqrt(C_ii C_jj) may exceed 1 by an
 * ulp; a correlation stays in [-1, 1] (as numpy's corrcoef). */
Test(fuzz_found, correlation_of_collinear_assets_within_one)
{
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 2), QPM_OK);
    double x[2 * 64], out[4];
    int beyond = 0;
    for (int s = 1; s < 400; s++) {
        double k = 0.1 * s + 0.01 / s;
        for (int t = 0; t < 64; t++) {
            x[2 * t] = sin(0.37 * t + s) * 1e-2;
            x[2 * t + 1] = (s % 2 ? k : -k) * x[2 * t];
        }
        cr_assert_eq(qpm_cov_fit(c, 64, x, 2), QPM_OK);
        cr_assert_eq(qpm_cov_correlation(c, out, 2), QPM_OK);
        cr_assert(fabs(out[1]) <= 1.0 && out[1] == out[2], "s %d: %.17g", s, out[1]);
        beyond += fabs(out[1]) == 1.0;
    }
    cr_assert_gt(beyond, 0); /* the clamp was exercised */
    qpm_cov_free(c);
}

/* fuzz_cov: a fit_prices that failed its size check kept the returns
 * buffer it had grown, so the same call on another handle failed with
 * QPM_E_NOMEM (memory short) where this one gave QPM_E_SIZE.  A failed fit
 * now leaves the handle's memory as it was: the call allocates again. */
Test(fuzz_found, failed_fit_prices_leaves_no_buffer)
{
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, &fa.alloc, 2), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    /* three price rows, the middle one NaN: both returns dropped */
    double p[6] = {100.0, 50.0, (double)NAN, 51.0, 101.0, 52.0};
    long live = fa.live;
    cr_assert_eq(qpm_cov_fit_prices(c, 3, p, 2), QPM_E_SIZE);
    cr_assert_eq(fa.live, live, "the failed fit kept %ld blocks", fa.live - live);
    /* the next allocation fails: the same call reports the memory first,
     * as on a handle that never saw the first call */
    qt_failalloc_only(&fa, 0);
    cr_assert_eq(qpm_cov_fit_prices(c, 3, p, 2), QPM_E_NOMEM);
    qt_failalloc_only(&fa, -1);
    /* a fit that succeeds keeps its buffer and reuses it */
    double q[8] = {100.0, 50.0, 101.0, 51.0, 100.5, 52.0, 102.0, 51.5};
    cr_assert_eq(qpm_cov_fit_prices(c, 4, q, 2), QPM_OK, "%s", qpm_last_error());
    long calls = fa.calls;
    cr_assert_eq(qpm_cov_fit_prices(c, 4, q, 2), QPM_OK);
    cr_assert_eq(fa.calls, calls, "a second fit of the same size allocated");
    qpm_cov_free(c);
    cr_assert_eq(fa.live, 0);
}

/* fuzz_opt: a one-point frontier cancelled by its progress callback kept
 * its solution readable (opt.h: a failed call clears it). */
static int cancel_now(void *user, double done)
{
    (void)user;
    (void)done;
    return 1;
}

Test(fuzz_found, cancelled_one_point_frontier_clears_the_solution)
{
    double S[4] = {0.04, 0.01, 0.01, 0.09}, mu[2] = {0.05, 0.08}, r;
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, 2), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S, 2), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    cr_assert_eq(qpm_opt_set_progress(o, cancel_now, NULL), QPM_OK);
    cr_assert_eq(qpm_opt_frontier(o, 1, NULL, 0, &r, NULL), QPM_E_CANCELLED);
    double v;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, &v), QPM_E_STATE);
    cr_assert_eq(qpm_opt_set_progress(o, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_opt_frontier(o, 1, NULL, 0, &r, NULL), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, &v), QPM_OK);
    qpm_opt_free(o);
}
