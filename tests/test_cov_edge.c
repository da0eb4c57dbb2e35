/* cov: extreme but finite inputs (bad-input tour and fuzzing reproducers).
 * Symmetric parts of matrices with entries near DBL_MAX, nearest correlation
 * at the iteration limit with large weight ratios, log returns across the
 * whole positive range, returns whose covariance overflows, correlations
 * and shrinkage at variances near the ends of the double range. */
#include <float.h>
#include <stdio.h>

#include "test_cov_util.h"

static double min_eig(const double *a, size_t n)
{
    double l = (double)NAN;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, a, n, &l), QPM_OK, "%s", qpm_last_error());
    return l;
}

static void assert_valid_correlation(const double *x, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(x[i * n + i], 1.0, "%s: diagonal %zu = %.17g", what, i, x[i * n + i]);
        for (size_t j = 0; j < n; j++) {
            cr_assert_eq(x[i * n + j], x[j * n + i], "%s: not symmetric", what);
            cr_assert(fabs(x[i * n + j]) <= 1.0, "%s: entry [%zu][%zu] = %.17g", what, i, j,
                      x[i * n + j]);
        }
    }
    double l = min_eig(x, n);
    cr_assert(l >= -8.0 * (double)n * DBL_EPSILON, "%s: smallest eigenvalue %.17g", what, l);
}

/* (a_ij + a_ji) / 2 overflowed above DBL_MAX / 2: the eigenvalue was NaN and
 * the PSD check let an indefinite matrix pass. */
Test(cov_edge, psd_check_of_entries_near_dbl_max)
{
    double a[4] = {1.0, 1e308, 1e308, 1.0}; /* eigenvalues 1 +- 1e308 */
    double l = 0.0;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 2, a, 2, &l), QPM_OK);
    cr_assert(fabs(l + 1e308) <= 1e293, "smallest eigenvalue %g, expected -1e308", l);
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, a, 2, 0.0, &l), QPM_E_NOTPSD);
    double b[4] = {DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX}; /* PSD, singular */
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, b, 2, 1e-12 * DBL_MAX, &l), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert(isfinite(l));
    /* asymmetric: the symmetric part of (DBL_MAX, -DBL_MAX) is 0 */
    double c[4] = {1.0, DBL_MAX, -DBL_MAX, 1.0};
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, c, 2, 0.0, &l), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(l, 1.0);
}

/* Weights (0.01, 700) and one iteration left entries beyond [-1, 1] and an
 * indefinite matrix (the fuzzer's case; wider inputs gave 2 and 3). */
Test(cov_edge, nearest_correlation_at_the_iteration_limit_is_valid)
{
    double a[4] = {-1.9817067272875954, 1.1823411524213578, -5.9266109559343247,
                   -5.8079322687387158};
    double w[2] = {0.01, 700.0}, x[4];
    size_t it = 0;
    int conv = 7;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 2, a, 2, w, 1e-12, 1, x, 2, &it, &conv),
                 QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(conv, 0);
    cr_assert_eq(it, 1u);
    assert_valid_correlation(x, 2, "fuzzer case");
    /* random 2 x 2 and 4 x 4 inputs, weight ratios up to 1e6, few iterations */
    uint64_t seed = 12345;
    for (int trial = 0; trial < 3000; trial++) {
        size_t n = trial % 2 ? 2 : 4;
        double m[16], ww[4], out[16];
        for (size_t k = 0; k < n * n; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            m[k] = ((double)(seed >> 11) * 0x1p-53 - 0.5) * 20.0;
        }
        for (size_t k = 0; k < n; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            ww[k] = pow(10.0, ((double)(seed >> 11) * 0x1p-53 - 0.5) * 6.0);
        }
        size_t maxit = 1 + (size_t)trial % 3;
        cr_assert_eq(qpm_cov_nearest_correlation(NULL, n, m, n, ww, 1e-12, maxit, out, n, &it,
                                                 &conv),
                     QPM_OK, "trial %d: %s", trial, qpm_last_error());
        char what[32];
        snprintf(what, sizeof what, "trial %d", trial);
        assert_valid_correlation(out, n, what);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* Not converging must be visible: without a `converged` output it is an
 * error, and out stays untouched. */
Test(cov_edge, nearest_correlation_not_converged_without_flag_is_an_error)
{
    double a[16] = {2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2}, x[16];
    for (int k = 0; k < 16; k++)
        x[k] = -7.0;
    size_t it = 99;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 4, a, 4, NULL, 1e-15, 3, x, 4, &it, NULL),
                 QPM_E_NOCONVERGE);
    cr_assert_eq(qpm_last_status(), QPM_E_NOCONVERGE);
    cr_assert(strstr(qpm_last_error(), "maxiter = 3") != NULL, "%s", qpm_last_error());
    for (int k = 0; k < 16; k++)
        cr_assert_eq(x[k], -7.0);
    cr_assert_eq(it, 99u);
    /* converging without the flag is fine */
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 4, a, 4, NULL, 1e-12, 10000, x, 4, NULL, NULL),
                 QPM_OK, "%s", qpm_last_error());
    assert_valid_correlation(x, 4, "converged");
}

/* log(p1/p0) overflowed for 4.9e-324 -> 1e-6 (and underflowed the other
 * way); the log returns are right over the whole positive range. */
Test(cov_edge, log_returns_over_the_whole_positive_range)
{
    const double p[] = {0x1p-1074, 1e-6, 0x1p-1074, DBL_MAX, DBL_MIN, 1.0, 3.0};
    const size_t t = sizeof p / sizeof p[0];
    double out[sizeof p / sizeof p[0]];
    cr_assert_eq(qpm_cov_returns_from_prices(t, 1, p, 1, QPM_COV_LOG_RETURNS, out, 1), QPM_OK,
                 "%s", qpm_last_error());
    for (size_t r = 0; r + 1 < t; r++) {
        long double want = logl((long double)p[r + 1]) - logl((long double)p[r]);
        cr_assert(isfinite(out[r]), "return %zu = %g", r, out[r]);
        cr_assert(fabsl((long double)out[r] - want) <= 4e-16L * fabsl(want),
                  "return %zu = %.17g, expected %.17Lg", r, out[r], want);
    }
    /* the ordinary path is untouched: 1 -> 3 is log(3) */
    cr_assert_eq(out[t - 2], log(3.0));
    /* a fit on such prices gives a finite covariance */
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 1), QPM_OK);
    double cv = (double)NAN;
    cr_assert_eq(qpm_cov_fit_prices(c, t, p, 1), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_covariance(c, &cv, 1), QPM_OK);
    cr_assert(isfinite(cv) && cv > 0.0, "variance %g", cv);
    qpm_cov_free(c);
}

/* A simple return beyond the double range is refused, out untouched. */
Test(cov_edge, simple_return_overflow_is_refused)
{
    const double p[] = {1.0, 2.0, 0x1p-1074, 1.0};
    double out[3] = {5, 5, 5};
    cr_assert_eq(qpm_cov_returns_from_prices(4, 1, p, 1, QPM_COV_SIMPLE_RETURNS, out, 1),
                 QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "prices[3][0]") != NULL, "%s", qpm_last_error());
    for (int k = 0; k < 3; k++)
        cr_assert_eq(out[k], 5.0);
    /* the same prices as log returns are fine */
    cr_assert_eq(qpm_cov_returns_from_prices(4, 1, p, 1, QPM_COV_LOG_RETURNS, out, 1), QPM_OK);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 1), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_RETURNS, QPM_COV_SIMPLE_RETURNS), QPM_OK);
    cr_assert_eq(qpm_cov_fit_prices(c, 4, p, 1), QPM_E_OVERFLOW);
    qpm_cov_free(c);
}

/* A return of 1e200 gave an Inf covariance and a silently zero correlation:
 * every method refuses it, and the handle is left with no estimate. */
Test(cov_edge, covariance_overflow_is_refused_by_every_method)
{
    enum { T = 40, N = 2 };
    double x[T * N];
    for (int r = 0; r < T; r++) {
        x[r * N] = 0.01 * sin(r + 1.0);
        x[r * N + 1] = 0.02 * cos(3.0 * r);
    }
    x[25 * N + 1] = -1e200; /* a loss, so that the downside moments overflow too */
    const int setups[][3] = {
        {QPM_COV_SAMPLE, 0, QPM_COV_NAN_ERROR},         {QPM_COV_EWMA, 0, QPM_COV_NAN_ERROR},
        {QPM_COV_LEDOIT_WOLF, 0, QPM_COV_NAN_ERROR},    {QPM_COV_LEDOIT_WOLF, 1, QPM_COV_NAN_ERROR},
        {QPM_COV_OAS, 0, QPM_COV_NAN_ERROR},            {QPM_COV_SEMI, 0, QPM_COV_NAN_ERROR},
        {QPM_COV_SAMPLE, 0, QPM_COV_NAN_PAIRWISE},      {QPM_COV_SEMI, 0, QPM_COV_NAN_PAIRWISE},
    };
    for (size_t k = 0; k < sizeof setups / sizeof setups[0]; k++) {
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, N), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, setups[k][0]), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, setups[k][1]), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, setups[k][2]), QPM_OK);
        qpm_status st = qpm_cov_fit(c, T, x, N);
        cr_assert_eq(st, QPM_E_OVERFLOW, "setup %zu: %d (%s)", k, (int)st, qpm_last_error());
        double out[N * N] = {0};
        cr_assert_eq(qpm_cov_covariance(c, out, N), QPM_E_STATE, "setup %zu", k);
        cr_assert_eq(qpm_cov_correlation(c, out, N), QPM_E_STATE, "setup %zu", k);
        qpm_cov_free(c);
    }
    /* pushing such a row is refused and changes nothing */
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, N), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, 20, x, N), QPM_OK);
    double before[N * N], after[N * N];
    cr_assert_eq(qpm_cov_covariance(c, before, N), QPM_OK);
    double big[N] = {-1e200, 0.0};
    cr_assert_eq(qpm_cov_push(c, big), QPM_E_OVERFLOW);
    size_t nobs = 0;
    cr_assert_eq(qpm_cov_nobs(c, &nobs), QPM_OK);
    cr_assert_eq(nobs, 20u);
    cr_assert_eq(qpm_cov_covariance(c, after, N), QPM_OK);
    cr_assert_eq(memcmp(before, after, sizeof before), 0);
    qpm_cov_free(c);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Variances whose product overflows (or underflows) gave correlation 0 (or
 * NaN); volatilities and annualised values at the end of the range. */
Test(cov_edge, correlation_of_huge_and_tiny_variances)
{
    enum { T = 30 };
    const double scales[] = {1e150, 0x1p-520, 1.0};
    for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
        double x[T * 2];
        for (int r = 0; r < T; r++) {
            x[r * 2] = scales[k] * sin(r + 0.5);
            x[r * 2 + 1] = -2.0 * x[r * 2];
        }
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, 2), QPM_OK);
        cr_assert_eq(qpm_cov_fit(c, T, x, 2), QPM_OK, "scale %g: %s", scales[k],
                     qpm_last_error());
        double r[4], v[2];
        cr_assert_eq(qpm_cov_correlation(c, r, 2), QPM_OK);
        cr_assert(fabs(r[1] + 1.0) <= 1e-14, "scale %g: correlation %.17g", scales[k], r[1]);
        cr_assert_eq(qpm_cov_volatility(c, v), QPM_OK);
        cr_assert(isfinite(v[0]) && v[0] > 0.0 && fabs(v[1] / v[0] - 2.0) <= 1e-14,
                  "scale %g: vols %g %g", scales[k], v[0], v[1]);
        qpm_cov_free(c);
    }
    /* annualising a variance of 1e300 overflows: refused, out untouched */
    double x[T];
    for (int r = 0; r < T; r++)
        x[r] = 1e150 * sin(r + 0.5);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 1), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, T, x, 1), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_ANNUALISE, 1), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_PERIODS_PER_YEAR, 1e12), QPM_OK);
    double out = -1.0, vol = -1.0;
    cr_assert_eq(qpm_cov_covariance(c, &out, 1), QPM_E_OVERFLOW);
    cr_assert_eq(out, -1.0);
    cr_assert_eq(qpm_cov_volatility(c, &vol), QPM_OK); /* sqrt(1e300 x 1e12) is a double */
    cr_assert(isfinite(vol) && vol > 1e155, "vol %g", vol);
    qpm_cov_free(c);
}

/* The shrinkage intensities are scale-free: the same, bit for bit, for the
 * returns scaled by 2^200 and 2^-200; at 2^300 and 2^-300 their fourth
 * moments leave the double range, and the fit says so instead of returning
 * an intensity computed from infinities or underflowed zeros. */
Test(cov_edge, shrinkage_is_scale_free_at_the_ends_of_the_range)
{
    enum { T = 50, N = 3 };
    double x[T * N], y[T * N];
    for (int r = 0; r < T; r++)
        for (int j = 0; j < N; j++)
            x[r * N + j] = 0.01 * sin(1.0 + r) * (1.0 + 0.3 * j) + 0.01 * cos(0.7 * r * r + j);
    const int methods[] = {QPM_COV_LEDOIT_WOLF, QPM_COV_OAS};
    const double f[] = {0x1p200, 0x1p-200};
    for (int m = 0; m < 2; m++) {
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, N), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, methods[m]), QPM_OK);
        cr_assert_eq(qpm_cov_fit(c, T, x, N), QPM_OK);
        double s0, s1, c0[N * N], c1[N * N];
        cr_assert_eq(qpm_cov_shrinkage(c, &s0), QPM_OK);
        cr_assert_eq(qpm_cov_covariance(c, c0, N), QPM_OK);
        cr_assert(s0 > 0.0 && s0 < 1.0, "shrinkage %g", s0);
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < T * N; i++)
                y[i] = x[i] * f[k];
            cr_assert_eq(qpm_cov_fit(c, T, y, N), QPM_OK, "%s", qpm_last_error());
            cr_assert_eq(qpm_cov_shrinkage(c, &s1), QPM_OK);
            cr_assert_eq(s1, s0, "method %d scale %a: shrinkage %.17g vs %.17g", methods[m], f[k],
                         s1, s0);
            cr_assert_eq(qpm_cov_covariance(c, c1, N), QPM_OK);
            for (int i = 0; i < N * N; i++)
                cr_assert(fabs(c1[i] / (f[k] * f[k]) - c0[i]) <= 1e-15 * fabs(c0[0]),
                          "entry %d", i);
        }
        const double g[] = {0x1p300, 0x1p-300};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < T * N; i++)
                y[i] = x[i] * g[k];
            cr_assert_eq(qpm_cov_fit(c, T, y, N), QPM_E_OVERFLOW, "method %d scale %a",
                         methods[m], g[k]);
            cr_assert_eq(qpm_cov_shrinkage(c, &s1), QPM_E_STATE);
        }
        qpm_cov_free(c);
    }
}
