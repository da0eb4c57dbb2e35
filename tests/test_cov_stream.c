/* cov: streaming.  Pushing rows one at a time equals the batch fit on the
 * same rows (sample with either ddof, Ledoit-Wolf, OAS, EWMA); fit-then-push
 * equals a fit on everything; the EWMA seed phase; the missing-data rules of
 * qpm_cov_push; which state each fit keeps; and that neither fit nor push
 * allocates.
 *
 * Tolerance: the stream uses Welford-type updates and the batch a centred
 * rank-k product; both are backward stable, and over a few hundred rows they
 * agree to ~1e-15 of the largest element.  1e-12 (the golden tolerance) is
 * asserted for the matrices and the shrinkage intensities. */
#include "test_cov_util.h"

#define TOL 1e-12

static void get_cov(qpm_cov *c, size_t n, double *out)
{
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK, "%s", qpm_last_error());
}

static void expect_close(const double *got, const double *ref, size_t n, const char *what)
{
    double frob, e = cu_rel_err(got, ref, n, &frob);
    cr_assert(e <= TOL && frob <= TOL, "%s: max err %g, Frobenius %g", what, e, frob);
}

static void batch(size_t n, int method, size_t ddof, size_t t, const double *x, double *out,
                  double *shrink)
{
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, method), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, (double)ddof), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK, "%s", qpm_last_error());
    get_cov(c, n, out);
    cr_assert_eq(qpm_cov_shrinkage(c, shrink), QPM_OK);
    qpm_cov_free(c);
}

/* Compares every stream-derived method of c (which holds rows 0..t-1) with
 * batch fits of the same rows. */
static void compare_with_batch(qpm_cov *c, size_t n, size_t t, const double *x, int with_ewma)
{
    double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double));
    double sa, sb;
    struct {
        int method;
        size_t ddof;
    } cases[] = {{QPM_COV_SAMPLE, 1}, {QPM_COV_SAMPLE, 0}, {QPM_COV_LEDOIT_WOLF, 1},
                 {QPM_COV_OAS, 1}, {QPM_COV_EWMA, 1}};
    for (int k = 0; k < (with_ewma ? 5 : 4); k++) {
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, cases[k].method), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, (double)cases[k].ddof), QPM_OK);
        get_cov(c, n, a);
        cr_assert_eq(qpm_cov_shrinkage(c, &sa), QPM_OK);
        batch(n, cases[k].method, cases[k].ddof, t, x, b, &sb);
        expect_close(a, b, n, "stream vs batch");
        cr_assert(fabs(sa - sb) <= TOL * fabs(sb), "method %d shrinkage %.17g vs %.17g",
                  cases[k].method, sa, sb);
        cu_assert_symmetric(a, n, "stream");
    }
    double ma[64], mb[64];
    qpm_cov *d;
    cr_assert_eq(qpm_cov_create(&d, NULL, n), QPM_OK);
    cr_assert_eq(qpm_cov_fit(d, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_mean(c, ma), QPM_OK);
    cr_assert_eq(qpm_cov_mean(d, mb), QPM_OK);
    for (size_t j = 0; j < n; j++)
        cr_assert(fabs(ma[j] - mb[j]) <= 1e-15, "mean[%zu]", j);
    size_t na, nb;
    cr_assert_eq(qpm_cov_nobs(c, &na), QPM_OK);
    cr_assert_eq(qpm_cov_nobs(d, &nb), QPM_OK);
    cr_assert_eq(na, nb);
    qpm_cov_free(d);
    free(a);
    free(b);
}

Test(cov_stream, push_equals_batch)
{
    size_t shapes[][2] = {{300, 25}, {18, 30}, {2000, 6}};
    for (int s = 0; s < 3; s++) {
        size_t t = shapes[s][0], n = shapes[s][1];
        double *x = malloc(t * n * sizeof(double));
        cu_gen_returns(t, n, 40 + (uint64_t)s, x);
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
        cr_assert_eq(qpm_cov_reset(c), QPM_OK);
        for (size_t r = 0; r < t; r++)
            cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
        /* with 18 rows the EWMA seed (20 rows) is not complete */
        compare_with_batch(c, n, t, x, t >= 20);
        qpm_cov_free(c);
        free(x);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_stream, fit_then_push_equals_fit_of_all)
{
    size_t t = 330, t0 = 200, n = 16;
    double *x = malloc(t * n * sizeof(double));
    cu_gen_returns(t, n, 77, x);
    for (int m = 0; m <= QPM_COV_OAS; m++) {
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, m), QPM_OK);
        cr_assert_eq(qpm_cov_fit(c, t0, x, n), QPM_OK);
        for (size_t r = t0; r < t; r++)
            cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
        double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double)), sa, sb;
        get_cov(c, n, a);
        cr_assert_eq(qpm_cov_shrinkage(c, &sa), QPM_OK);
        batch(n, m, 1, t, x, b, &sb);
        expect_close(a, b, n, "fit then push");
        cr_assert(fabs(sa - sb) <= TOL * fabs(sb));
        if (m != QPM_COV_EWMA)
            compare_with_batch(c, n, t, x, 0);
        qpm_cov_free(c);
        free(a);
        free(b);
    }
    free(x);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_stream, ewma_seed_phase)
{
    size_t n = 4, k0 = 6;
    double x[10 * 4], a[16], b[16];
    cu_gen_returns(10, n, 5, x);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_EWMA_INIT_ROWS, (double)k0), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE); /* nothing yet */
    for (size_t r = 0; r < k0; r++) {
        cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
        cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
    }
    /* exactly the seed: the ddof = 1 sample covariance of the first k0 rows */
    get_cov(c, n, a);
    cu_ref_cov(x, k0, n, (long double)(k0 - 1), b);
    expect_close(a, b, n, "seed");
    for (size_t r = k0; r < 10; r++)
        cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
    get_cov(c, n, a);
    cu_ref_ewma(x, 10, n, 0.94, k0, b);
    expect_close(a, b, n, "after seed");
    /* a sample fit shorter than the seed leaves the EWMA open to grow */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, 4, x, n), QPM_OK);
    for (size_t r = 4; r < 10; r++)
        cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    get_cov(c, n, a);
    expect_close(a, b, n, "seed grown from a short fit");
    /* a fit of exactly k0 rows seeds it at once */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, k0, x, n), QPM_OK);
    for (size_t r = k0; r < 10; r++)
        cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    get_cov(c, n, a);
    expect_close(a, b, n, "seed from a fit of k0 rows");
    qpm_cov_free(c);
}

Test(cov_stream, missing_values_in_push)
{
    size_t n = 3;
    double good[] = {0.01, -0.02, 0.03}, nan_row[] = {0.01, (double)NAN, 0.0};
    double inf_row[] = {(double)INFINITY, 0.0, 0.0}, a[9], b[9];
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    for (int k = 0; k < 3; k++) {
        good[k % 3] += 0.01;
        cr_assert_eq(qpm_cov_push(c, good), QPM_OK);
    }
    get_cov(c, n, a);
    size_t no;
    cr_assert_eq(qpm_cov_push(c, nan_row), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(),
                     "row[1] = nan: missing values are refused under QPM_COV_NAN_ERROR");
    cr_assert_eq(qpm_cov_push(c, inf_row), QPM_E_NONFINITE);
    cr_assert_neq(strstr(qpm_last_error(), "row[0] = inf"), NULL);
    cr_assert_eq(qpm_cov_push(c, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_push(NULL, good), QPM_E_NULL);
    cr_assert_eq(qpm_cov_nobs(c, &no), QPM_OK);
    cr_assert_eq(no, 3u);
    get_cov(c, n, b);
    cr_assert(memcmp(a, b, sizeof a) == 0, "a refused row changed the state");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, nan_row), QPM_OK); /* skipped */
    cr_assert_eq(qpm_cov_push(c, inf_row), QPM_E_NONFINITE);
    cr_assert_eq(qpm_cov_nobs(c, &no), QPM_OK);
    cr_assert_eq(no, 3u);
    get_cov(c, n, b);
    cr_assert(memcmp(a, b, sizeof a) == 0);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, nan_row), QPM_E_UNSUPPORTED);
    cr_assert_eq(qpm_cov_push(c, good), QPM_OK); /* complete rows still stream */
    qpm_cov_free(c);
}

/* Which state each fit keeps, and what the getters then say. */
Test(cov_stream, state_rules)
{
    size_t t = 60, n = 5;
    double x[60 * 5], a[25];
    cu_gen_returns(t, n, 9, x);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    double s;
    cr_assert_eq(qpm_cov_shrinkage(c, &s), QPM_E_STATE);
    cr_assert_eq(qpm_cov_mean(c, a), QPM_E_STATE);
    cr_assert_eq(qpm_cov_volatility(c, a), QPM_E_STATE);
    cr_assert_eq(qpm_cov_correlation(c, a, n), QPM_E_STATE);
    cr_assert_neq(strstr(qpm_last_error(), "no estimate"), NULL);
    /* one row is not enough for anything */
    cr_assert_eq(qpm_cov_push(c, x), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    /* ddof above the row count */
    cr_assert_eq(qpm_cov_push(c, x + n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 2), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 1), QPM_OK);
    get_cov(c, n, a);

    /* a semicovariance fit keeps no stream state */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SEMI), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, x), QPM_E_STATE);
    cr_assert_neq(strstr(qpm_last_error(), "qpm_cov_reset"), NULL);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    cr_assert_eq(qpm_cov_reset(c), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, x), QPM_OK);
    cr_assert_eq(qpm_cov_reset(NULL), QPM_E_NULL);

    /* an EWMA fit keeps the EWMA state only */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_push(c, x), QPM_OK);
    get_cov(c, n, a);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_OAS), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    cr_assert_neq(strstr(qpm_last_error(), "EWMA"), NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    get_cov(c, n, a);
    /* a new lambda voids it */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, 0.97), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    get_cov(c, n, a);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_EWMA_INIT_ROWS, 30), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    /* a sample fit longer than the seed keeps no EWMA state */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_E_STATE);
    qpm_cov_free(c);
}

/* After create (and the first fit of a kind that needs more workspace)
 * nothing allocates: not fit, not push, not the getters. */
Test(cov_stream, no_allocation_after_setup)
{
    size_t t = 700, n = 12;
    double *x = malloc(t * n * sizeof(double)), a[144], v[12], s;
    cu_gen_returns(t, n, 13, x);
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, &fa.alloc, n), QPM_OK);
    long after_create = fa.calls;
    for (int rep = 0; rep < 2; rep++)
        for (int m = 0; m <= QPM_COV_SEMI; m++) {
            cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, m), QPM_OK);
            cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
            cr_assert_eq(qpm_cov_covariance(c, a, n), QPM_OK);
            cr_assert_eq(qpm_cov_correlation(c, a, n), QPM_OK);
            cr_assert_eq(qpm_cov_volatility(c, v), QPM_OK);
            cr_assert_eq(qpm_cov_shrinkage(c, &s), QPM_OK);
            cr_assert_eq(qpm_cov_reset(c), QPM_OK);
            for (size_t r = 0; r < 40; r++)
                cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
        }
    cr_assert_eq(fa.calls, after_create);
    /* the constant-correlation target allocates its workspace once */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 1), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    long after_aux = fa.calls;
    cr_assert_gt(after_aux, after_create);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(fa.calls, after_aux);
    qpm_cov_free(c);
    cr_assert_eq(fa.live, 0);
    free(x);
}
