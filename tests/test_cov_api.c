/* cov: handle life cycle, settings and their bounds, bad input (status and
 * message, handle still usable, outputs untouched), returns from prices, and
 * allocation failure at every allocation of create and of the fits that
 * allocate on first use. */
#include "test_cov_util.h"

static const qpm_cov_key all_keys[] = {
    QPM_COV_METHOD,    QPM_COV_DDOF,      QPM_COV_LAMBDA,           QPM_COV_EWMA_INIT_ROWS,
    QPM_COV_TARGET,    QPM_COV_NAN_POLICY, QPM_COV_BENCHMARK,       QPM_COV_PERIODS_PER_YEAR,
    QPM_COV_ANNUALISE, QPM_COV_RETURNS};

Test(cov_api, create_and_free)
{
    qpm_cov *c = (qpm_cov *)1;
    cr_assert_eq(qpm_cov_create(&c, NULL, 0), QPM_E_SIZE);
    cr_assert_null(c);
    cr_assert_str_eq(qpm_last_error(), "n_assets = 0: must be >= 1");
    cr_assert_eq(qpm_cov_create(NULL, NULL, 3), QPM_E_NULL);
    c = (qpm_cov *)1;
    cr_assert_eq(qpm_cov_create(&c, NULL, (size_t)1 << 40), QPM_E_SIZE);
    cr_assert_null(c);
    qpm_alloc bad = {0};
    c = (qpm_cov *)1;
    cr_assert_eq(qpm_cov_create(&c, &bad, 3), QPM_E_INVALID);
    cr_assert_null(c);
    qpm_cov_free(NULL);
    cr_assert_eq(qpm_cov_create(&c, NULL, 3), QPM_OK);
    size_t n = 7;
    cr_assert_eq(qpm_cov_nobs(c, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    cr_assert_eq(qpm_cov_nobs(c, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_nobs(NULL, &n), QPM_E_NULL);
    qpm_cov_free(c);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_api, settings_defaults_and_bounds)
{
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 2), QPM_OK);
    double expect[] = {QPM_COV_SAMPLE, 1, 0.94, 20, QPM_COV_TARGET_IDENTITY, QPM_COV_NAN_ERROR,
                       0.0, 365.0, 0, QPM_COV_LOG_RETURNS};
    for (size_t k = 0; k < sizeof all_keys / sizeof all_keys[0]; k++) {
        double v, lo, hi;
        cr_assert_eq(qpm_cov_get(c, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, expect[k], "key %d default %g", (int)all_keys[k], v);
        cr_assert_eq(qpm_cov_bounds(all_keys[k], &lo, &hi), QPM_OK);
        cr_assert(lo <= v && v <= hi);
        /* both ends are accepted and read back */
        cr_assert_eq(qpm_cov_set(c, all_keys[k], lo), QPM_OK, "key %d lo %g: %s",
                     (int)all_keys[k], lo, qpm_last_error());
        cr_assert_eq(qpm_cov_get(c, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, lo);
        cr_assert_eq(qpm_cov_set(c, all_keys[k], hi), QPM_OK);
        cr_assert_eq(qpm_cov_get(c, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, hi);
        /* just outside, and NaN */
        cr_assert_eq(qpm_cov_set(c, all_keys[k], nextafter(lo, -(double)INFINITY)), QPM_E_RANGE);
        cr_assert_eq(qpm_cov_set(c, all_keys[k], nextafter(hi, (double)INFINITY)), QPM_E_RANGE);
        cr_assert_eq(qpm_cov_set(c, all_keys[k], (double)NAN), QPM_E_RANGE);
        cr_assert_eq(qpm_cov_get(c, all_keys[k], &v), QPM_OK);
        cr_assert_eq(v, hi, "a refused value changed key %d", (int)all_keys[k]);
        cr_assert_eq(qpm_cov_set(c, all_keys[k], expect[k]), QPM_OK);
    }
    double lo, hi, v;
    cr_assert_eq(qpm_cov_bounds(QPM_COV_LAMBDA, &lo, &hi), QPM_OK);
    cr_assert(lo > 0.0 && hi < 1.0);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, 0.0), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_COV_LAMBDA = 0: must be in (0, 1)");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, 1.0), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_COV_LAMBDA = 1: must be in (0, 1)");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, -0.5), QPM_E_RANGE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 1.5), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_COV_DDOF = 1.5: must be a whole number");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, 5), QPM_E_RANGE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_EWMA_INIT_ROWS, 1), QPM_E_RANGE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_PERIODS_PER_YEAR, 0.0), QPM_E_RANGE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_BENCHMARK, (double)INFINITY), QPM_E_RANGE);
    /* unknown keys */
    cr_assert_eq(qpm_cov_set(c, (qpm_cov_key)11, 0), QPM_E_KEY);
    cr_assert_str_eq(qpm_last_error(), "key = 11: not a qpm_cov_key");
    cr_assert_eq(qpm_cov_get(c, (qpm_cov_key)-1, &v), QPM_E_KEY);
    cr_assert_eq(qpm_cov_bounds((qpm_cov_key)99, &lo, &hi), QPM_E_KEY);
    /* NULLs */
    cr_assert_eq(qpm_cov_set(NULL, QPM_COV_DDOF, 0), QPM_E_NULL);
    cr_assert_eq(qpm_cov_get(NULL, QPM_COV_DDOF, &v), QPM_E_NULL);
    cr_assert_eq(qpm_cov_get(c, QPM_COV_DDOF, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_bounds(QPM_COV_DDOF, NULL, &hi), QPM_E_NULL);
    cr_assert_eq(qpm_cov_bounds(QPM_COV_DDOF, &lo, NULL), QPM_E_NULL);
    /* the appended enum values are stable */
    cr_assert_eq(QPM_COV_RETURNS, 9);
    cr_assert_eq(QPM_COV_SEMI, 4);
    cr_assert_eq(QPM_COV_NAN_PAIRWISE, 2);
    qpm_cov_free(c);
}

/* Bad input to fit: each gives its status and a message naming the argument,
 * and leaves the previous estimate in place. */
Test(cov_api, bad_fit_input_keeps_estimate)
{
    size_t t = 30, n = 4;
    double x[30 * 4], before[16], after[16], out[16];
    cu_gen_returns(t, n, 1, x);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, before, n), QPM_OK);

    cr_assert_eq(qpm_cov_fit(c, 1, x, n), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "t = 1 rows: need at least 2");
    cr_assert_eq(qpm_cov_fit(c, 0, x, n), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_fit(c, t, x, 3), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "ld = 3: must be >= n_assets = 4");
    cr_assert_eq(qpm_cov_fit(c, t, NULL, n), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "returns is NULL");
    cr_assert_eq(qpm_cov_fit(NULL, t, x, n), QPM_E_NULL);
    x[17 * n + 2] = (double)INFINITY;
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "returns[17][2] = inf: must be finite (or NaN if missing)");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_E_NONFINITE); /* Inf is never "missing" */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_ERROR), QPM_OK);
    x[17 * n + 2] = (double)NAN;
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(),
                     "returns[17][2] = nan: missing values are refused under QPM_COV_NAN_ERROR");
    /* finite values whose sum overflows cannot give a finite covariance */
    double big[3] = {1e308, 1.5e308, 1e308};
    qpm_cov *e;
    cr_assert_eq(qpm_cov_create(&e, NULL, 1), QPM_OK);
    cr_assert_eq(qpm_cov_fit(e, 3, big, 1), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "returns of asset 0 are too large: their sum overflows");
    cr_assert_eq(qpm_cov_set(e, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    cr_assert_eq(qpm_cov_fit(e, 3, big, 1), QPM_E_INVALID);
    qpm_cov_free(e);
    /* after dropping, too few rows */
    double y[3 * 2] = {1, (double)NAN, 2, 3, (double)NAN, 4};
    qpm_cov *d;
    cr_assert_eq(qpm_cov_create(&d, NULL, 2), QPM_OK);
    cr_assert_eq(qpm_cov_set(d, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    cr_assert_eq(qpm_cov_fit(d, 3, y, 2), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "1 of t = 3 rows are free of NaN: need at least 2");
    qpm_cov_free(d);
    /* too few rows for the method */
    x[17 * n + 2] = 0.01;
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 30), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "30 rows: QPM_COV_SAMPLE with ddof = 30 needs more");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 1), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, 19, x, n), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(),
                     "19 rows: QPM_COV_EWMA needs QPM_COV_EWMA_INIT_ROWS = 20 rows");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);

    /* the estimate of the last good fit survived all of that */
    cr_assert_eq(qpm_cov_covariance(c, after, n), QPM_OK);
    cr_assert(memcmp(before, after, sizeof before) == 0);

    /* getter arguments; outputs untouched on error */
    for (int k = 0; k < 16; k++)
        out[k] = -9.0;
    cr_assert_eq(qpm_cov_covariance(c, out, 3), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_correlation(c, out, 2), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_covariance(c, NULL, 4), QPM_E_NULL);
    cr_assert_eq(qpm_cov_covariance(NULL, out, 4), QPM_E_NULL);
    cr_assert_eq(qpm_cov_correlation(NULL, out, 4), QPM_E_NULL);
    cr_assert_eq(qpm_cov_volatility(c, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_volatility(NULL, out), QPM_E_NULL);
    cr_assert_eq(qpm_cov_mean(c, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_mean(NULL, out), QPM_E_NULL);
    cr_assert_eq(qpm_cov_shrinkage(c, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_shrinkage(NULL, out), QPM_E_NULL);
    for (int k = 0; k < 16; k++)
        cr_assert_eq(out[k], -9.0);
    /* a wider leading dimension leaves the padding alone */
    double wide[4 * 6];
    for (int k = 0; k < 24; k++)
        wide[k] = -9.0;
    cr_assert_eq(qpm_cov_covariance(c, wide, 6), QPM_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(wide[i * 6 + 4], -9.0);
        cr_assert_eq(wide[i * 6 + 5], -9.0);
        for (size_t j = 0; j < n; j++)
            cr_assert_eq(wide[i * 6 + j], before[i * n + j]);
    }
    qpm_cov_free(c);
}

/* A wider input leading dimension reads only the first n columns. */
Test(cov_api, leading_dimension)
{
    size_t t = 50, n = 3, ld = 5;
    double x[50 * 3], xw[50 * 5], a[9], b[9];
    cu_gen_returns(t, n, 2, x);
    for (size_t r = 0; r < t; r++)
        for (size_t j = 0; j < ld; j++)
            xw[r * ld + j] = j < n ? x[r * n + j] : (double)(double)NAN;
    for (int m = 0; m <= QPM_COV_SEMI; m++) {
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, m), QPM_OK);
        cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
        cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_OK);
        cr_assert_eq(qpm_cov_fit(c, t, xw, ld), QPM_OK);
        cr_assert_eq(qpm_cov_covariance(c, b, n), QPM_OK);
        cr_assert(memcmp(a, b, sizeof a) == 0);
        qpm_cov_free(c);
    }
}

Test(cov_api, correlation_of_constant_asset)
{
    double x[] = {0.01, 0.5, -0.02, 0.5, 0.03, 0.5}, out[4] = {0, 0, 0, 0};
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 2), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, 3, x, 2), QPM_OK);
    cr_assert_eq(qpm_cov_correlation(c, out, 2), QPM_E_SINGULAR);
    cr_assert_str_eq(qpm_last_error(), "variance of asset 1 = 0: correlation undefined");
    for (int k = 0; k < 4; k++)
        cr_assert_eq(out[k], 0.0);
    qpm_cov_free(c);
}

Test(cov_api, returns_from_prices)
{
    double p[4 * 2] = {100, 2000, 101, 1990, 99.5, 2100, 400, 2100}, r[3 * 2], q[3 * 3];
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, QPM_COV_LOG_RETURNS, r, 2), QPM_OK);
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < 2; j++) {
            /* log1p of the exactly rounded quotient of an exact difference: ~1.5 ulp */
            double e = (double)logl((long double)p[(t + 1) * 2 + j] / (long double)p[t * 2 + j]);
            cr_assert(fabs(r[t * 2 + j] - e) <= 4e-16 * fabs(e), "log r[%d][%d]", t, j);
        }
    cr_assert_eq(r[2 * 2 + 1], 0.0);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, QPM_COV_SIMPLE_RETURNS, q, 3), QPM_OK);
    cr_assert(fabs(q[0] - 0.01) <= 1e-17);
    cr_assert_eq(q[1], -0.005);
    cr_assert(fabs(q[2 * 3] - 3.0201005025125629) <= 1e-15);
    /* in place */
    double pp[8];
    memcpy(pp, p, sizeof pp);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, pp, 2, QPM_COV_LOG_RETURNS, pp, 2), QPM_OK);
    cr_assert(memcmp(pp, r, sizeof r) == 0);
    /* a missing price gives missing returns on both sides */
    double m[3 * 2] = {100, 10, (double)NAN, 11, 102, 12}, mr[4];
    cr_assert_eq(qpm_cov_returns_from_prices(3, 2, m, 2, QPM_COV_SIMPLE_RETURNS, mr, 2), QPM_OK);
    cr_assert(isnan(mr[0]) && isnan(mr[2]));
    cr_assert(fabs(mr[1] - 0.1) <= 1e-16 && fabs(mr[3] - 1.0 / 11.0) <= 1e-16);
    /* errors, out untouched */
    double o[6] = {-1, -1, -1, -1, -1, -1};
    p[5] = 0.0;
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, QPM_COV_LOG_RETURNS, o, 2), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "prices[2][1] = 0: must be > 0");
    p[5] = -(double)INFINITY;
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, QPM_COV_LOG_RETURNS, o, 2),
                 QPM_E_NONFINITE);
    p[5] = 2100;
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, (qpm_cov_returns_kind)2, o, 2),
                 QPM_E_INVALID);
    cr_assert_eq(qpm_cov_returns_from_prices(1, 2, p, 2, QPM_COV_LOG_RETURNS, o, 2), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 0, p, 2, QPM_COV_LOG_RETURNS, o, 2), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 1, QPM_COV_LOG_RETURNS, o, 2), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, QPM_COV_LOG_RETURNS, o, 1), QPM_E_SIZE);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, NULL, 2, QPM_COV_LOG_RETURNS, o, 2), QPM_E_NULL);
    cr_assert_eq(qpm_cov_returns_from_prices(4, 2, p, 2, QPM_COV_LOG_RETURNS, NULL, 2), QPM_E_NULL);
    for (int k = 0; k < 6; k++)
        cr_assert_eq(o[k], -1.0);
}

Test(cov_api, fit_prices_equals_fit_of_returns)
{
    size_t t = 400, n = 6;
    double *p = malloc(t * n * sizeof(double)), *r = malloc(t * n * sizeof(double));
    double a[36], b[36];
    cu_gen_returns(t, n, 17, r);
    for (size_t j = 0; j < n; j++)
        p[j] = 100.0 * (double)(j + 1);
    for (size_t s = 1; s < t; s++)
        for (size_t j = 0; j < n; j++)
            p[s * n + j] = p[(s - 1) * n + j] * exp(r[s * n + j]);
    for (int kind = 0; kind <= 1; kind++) {
        qpm_cov *c, *d;
        cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
        cr_assert_eq(qpm_cov_create(&d, NULL, n), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_RETURNS, kind), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF), QPM_OK);
        cr_assert_eq(qpm_cov_set(d, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF), QPM_OK);
        for (size_t len = 100; len <= t; len += 300) { /* the buffer grows once */
            cr_assert_eq(qpm_cov_fit_prices(c, len, p, n), QPM_OK, "%s", qpm_last_error());
            cr_assert_eq(qpm_cov_returns_from_prices(len, n, p, n, kind, r, n), QPM_OK);
            cr_assert_eq(qpm_cov_fit(d, len - 1, r, n), QPM_OK);
            cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_OK);
            cr_assert_eq(qpm_cov_covariance(d, b, n), QPM_OK);
            cr_assert(memcmp(a, b, sizeof a) == 0);
            size_t no;
            cr_assert_eq(qpm_cov_nobs(c, &no), QPM_OK);
            cr_assert_eq(no, len - 1);
        }
        /* missing prices: refused by default, dropped on request */
        double keep = p[50 * n + 3];
        p[50 * n + 3] = (double)NAN;
        cr_assert_eq(qpm_cov_fit_prices(c, t, p, n), QPM_E_NONFINITE);
        cr_assert_str_eq(qpm_last_error(),
                         "prices[50][3] = nan: missing values are refused under "
                         "QPM_COV_NAN_ERROR");
        cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
        cr_assert_eq(qpm_cov_fit_prices(c, t, p, n), QPM_OK);
        size_t no;
        cr_assert_eq(qpm_cov_nobs(c, &no), QPM_OK);
        cr_assert_eq(no, t - 3);
        p[50 * n + 3] = -1.0;
        cr_assert_eq(qpm_cov_fit_prices(c, t, p, n), QPM_E_INVALID);
        p[50 * n + 3] = keep;
        cr_assert_eq(qpm_cov_fit_prices(c, 2, p, n), QPM_E_SIZE);
        cr_assert_eq(qpm_cov_fit_prices(c, t, p, n - 1), QPM_E_SIZE);
        cr_assert_eq(qpm_cov_fit_prices(c, t, NULL, n), QPM_E_NULL);
        cr_assert_eq(qpm_cov_fit_prices(NULL, t, p, n), QPM_E_NULL);
        qpm_cov_free(c);
        qpm_cov_free(d);
    }
    free(p);
    free(r);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Fails the k-th allocation for every k: create, then the first fits that
 * allocate (constant-correlation target, pairwise policy, prices). */
Test(cov_api, oom_every_allocation)
{
    size_t t = 40, n = 5;
    double x[40 * 5], p[40 * 5], a[25];
    cu_gen_returns(t, n, 23, x);
    for (size_t k = 0; k < t * n; k++)
        p[k] = 100.0 + (double)k;
    for (int path = 0; path < 4; path++) {
        long k;
        for (k = 0;; k++) {
            qt_failalloc fa;
            qt_failalloc_init(&fa, k);
            qpm_cov *c = (qpm_cov *)1;
            qpm_status st = qpm_cov_create(&c, &fa.alloc, n);
            if (st != QPM_OK) {
                cr_assert_eq(st, QPM_E_NOMEM, "create k=%ld: %s", k, qpm_status_name(st));
                cr_assert_null(c);
                cr_assert_eq(fa.live, 0, "create k=%ld leaks %ld blocks", k, fa.live);
                continue;
            }
            if (path == 1) {
                cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF), QPM_OK);
                cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 1), QPM_OK);
                st = qpm_cov_fit(c, t, x, n);
            } else if (path == 2) {
                cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE), QPM_OK);
                st = qpm_cov_fit(c, t, x, n);
            } else if (path == 3) {
                st = qpm_cov_fit_prices(c, t, p, n);
            } else {
                st = qpm_cov_fit(c, t, x, n);
            }
            if (st != QPM_OK) {
                cr_assert_eq(st, QPM_E_NOMEM, "path %d k=%ld: %s", path, k, qpm_status_name(st));
                /* the handle stays usable: a plain fit needs no allocation */
                cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
                cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_ERROR), QPM_OK);
                cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
                cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_OK);
                qpm_cov_free(c);
                cr_assert_eq(fa.live, 0, "path %d k=%ld leaks %ld blocks", path, k, fa.live);
                continue;
            }
            cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_OK);
            qpm_cov_free(c);
            cr_assert_eq(fa.live, 0);
            break;
        }
        cr_assert_geq(k, 5, "path %d succeeded after only %ld allocations", path, k);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
