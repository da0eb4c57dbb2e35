/* cov: positive semi-definiteness.  Higham's nearest correlation matrix
 * (his 2002 paper's worked example, unit diagonal, PSD, distance no larger
 * than the input's distance to any correlation matrix, the weighted norm it
 * minimises, convergence reporting), the smallest eigenvalue and the PSD
 * check, bad arguments and allocation failure. */
#include <float.h>

#include "test_cov_util.h"

static double frob_dist(const double *a, const double *b, size_t n, const double *w)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double d = a[i * n + j] - b[i * n + j];
            double f = w ? sqrt(w[i] * w[j]) : 1.0;
            s += f * f * d * d;
        }
    return sqrt(s);
}

static void assert_correlation(const double *x, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(x[i * n + i], 1.0, "%s: diagonal %zu = %.17g", what, i, x[i * n + i]);
        for (size_t j = 0; j < n; j++)
            cr_assert(x[i * n + j] == x[j * n + i] && fabs(x[i * n + j]) <= 1.0 + 1e-15, "%s",
                      what);
    }
    double l;
    cr_assert_eq(qpm_cov_check_psd(NULL, n, x, n, 1e-13, &l), QPM_OK, "%s: %s", what,
                 qpm_last_error());
}

/* Higham (2002), section 4: A = tridiag(-1, 2, -1) of order 4; the nearest
 * correlation matrix printed there to 4 decimals. */
Test(cov_psd, higham_2002_example)
{
    double a[16] = {2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2};
    double x[16], expect[16] = {1.0000,  -0.8084, 0.1916,  0.1068,  -0.8084, 1.0000,
                                -0.6562, 0.1916,  0.1916,  -0.6562, 1.0000,  -0.8084,
                                0.1068,  0.1916,  -0.8084, 1.0000};
    size_t it = 0;
    int conv = 0;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 4, a, 4, NULL, 1e-12, 10000, x, 4, &it, &conv),
                 QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(conv, 1);
    cr_assert(it > 2 && it < 10000, "iterations %zu", it);
    for (int k = 0; k < 16; k++)
        cr_assert(fabs(x[k] - expect[k]) <= 0.5e-4 + 1e-12, "X[%d] = %.6f, paper %.4f", k, x[k],
                  expect[k]);
    assert_correlation(x, 4, "Higham example");
}

/* A valid correlation matrix R, perturbed into an indefinite A: the nearest
 * correlation matrix X is no farther from A than R (or I) is, and no closer
 * than A's distance to the PSD cone, sqrt(sum of its negative eigenvalues^2),
 * which is at least |lambda_min(A)|. */
Test(cov_psd, perturbed_correlation)
{
    size_t t = 200, n = 25;
    double *ret = malloc(t * n * sizeof(double)), *r = malloc(n * n * sizeof(double));
    double *a = malloc(n * n * sizeof(double)), *x = malloc(n * n * sizeof(double));
    double *id = calloc(n * n, sizeof(double));
    cu_gen_returns(t, n, 99, ret);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, ret, n), QPM_OK);
    cr_assert_eq(qpm_cov_correlation(c, r, n), QPM_OK);
    uint64_t s = 4;
    for (size_t i = 0; i < n; i++) {
        id[i * n + i] = 1.0;
        a[i * n + i] = 1.0;
        for (size_t j = 0; j < i; j++) {
            double v = r[i * n + j] + 0.3 * (cu_unif(&s) - 0.5);
            v = v > 1 ? 1 : (v < -1 ? -1 : v);
            a[i * n + j] = a[j * n + i] = v;
        }
    }
    double la;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, a, n, &la), QPM_OK);
    cr_assert_lt(la, -0.05, "perturbation too small to test: %g", la);
    cr_assert_eq(qpm_cov_check_psd(NULL, n, a, n, 0.0, NULL), QPM_E_NOTPSD);
    cr_assert_neq(strstr(qpm_last_error(), "smallest eigenvalue"), NULL);
    size_t it;
    int conv;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, n, a, n, NULL, 1e-10, 5000, x, n, &it, &conv),
                 QPM_OK);
    cr_assert_eq(conv, 1);
    assert_correlation(x, n, "perturbed");
    double d = frob_dist(a, x, n, NULL);
    cr_assert_leq(d, frob_dist(a, r, n, NULL) + 1e-9);
    cr_assert_leq(d, frob_dist(a, id, n, NULL) + 1e-9);
    cr_assert_geq(d, fabs(la) - 1e-9);

    /* Weighted: the weighted solution is the W-norm minimiser, so it beats
     * the unweighted one in that norm, and vice versa in the plain norm. */
    double *w = malloc(n * sizeof(double)), *xw = malloc(n * n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        w[i] = i < 3 ? 50.0 : 1.0;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, n, a, n, w, 1e-10, 5000, xw, n, &it, &conv),
                 QPM_OK);
    cr_assert_eq(conv, 1);
    assert_correlation(xw, n, "weighted");
    cr_assert_leq(frob_dist(a, xw, n, w), frob_dist(a, x, n, w) + 1e-9);
    cr_assert_leq(frob_dist(a, x, n, NULL), frob_dist(a, xw, n, NULL) + 1e-9);
    cr_assert_leq(frob_dist(a, xw, n, w), frob_dist(a, r, n, w) + 1e-9);
    /* heavily weighted rows move less */
    double move_w = 0.0, move = 0.0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < 3; i++) {
            move_w += fabs(xw[i * n + j] - a[i * n + j]);
            move += fabs(x[i * n + j] - a[i * n + j]);
        }
    cr_assert_lt(move_w, move);
    qpm_cov_free(c);
    free(ret);
    free(r);
    free(a);
    free(x);
    free(id);
    free(w);
    free(xw);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_psd, correlation_input_is_fixed_point)
{
    double r[9] = {1, 0.5, 0.2, 0.5, 1, -0.1, 0.2, -0.1, 1}, x[16];
    size_t it;
    int conv;
    /* ld 4 for the output */
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 3, r, 3, NULL, 1e-14, 100, x, 4, &it, &conv),
                 QPM_OK);
    cr_assert_eq(conv, 1);
    cr_assert_leq(it, 2u);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            cr_assert(fabs(x[i * 4 + j] - r[i * 3 + j]) <= 1e-15);
    /* asymmetric input: its symmetric part is used */
    double asym[4] = {1, 0.9, 0.1, 1}, y[4];
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 2, asym, 2, NULL, 1e-14, 100, y, 2, NULL, NULL),
                 QPM_OK);
    cr_assert(fabs(y[1] - 0.5) <= 1e-15 && y[1] == y[2]);
    /* 1 x 1 */
    double one = 7.0, o = 0.0;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 1, &one, 1, NULL, 1e-8, 5, &o, 1, NULL, NULL),
                 QPM_OK);
    cr_assert_eq(o, 1.0);
}

Test(cov_psd, max_iterations_is_a_result)
{
    double a[16] = {2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2}, x[16];
    size_t it = 0;
    int conv = 1;
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 4, a, 4, NULL, 1e-15, 3, x, 4, &it, &conv),
                 QPM_OK);
    cr_assert_eq(conv, 0);
    cr_assert_eq(it, 3u);
    assert_correlation(x, 4, "after 3 iterations");
}

/* The iteration's rounding is about 2^-52 times A's largest entry: entries
 * up to 1e6 are accepted (the result stays a valid correlation matrix, and
 * x01 -> 1 as a01 grows: 1 - x01 is 5.1e-5 at a01 = 100 and below 1e-9 at
 * 1e6), larger ones are refused with a message naming the entry, up to
 * DBL_MAX, where the iteration once reached NaN and LAPACK never returned. */
Test(cov_psd, entries_beyond_1e6_are_refused)
{
    const double big[5] = {1e6 * (1 + 1e-15), 1e10, 1e100, 1e308, DBL_MAX};
    double w[4] = {4.47, 0.18, 5.86, 1.46};
    for (int k = -2; k < 5; k++) {
        double m = k == -2 ? 100.0 : k == -1 ? 1e6 : big[k];
        double a[16] = {1,     m,     -1.15, -0.85, m,     0.4,   -1.08, 1.35,
                        -1.15, -1.08, -0.17, -1.13, -0.85, 1.35,  -1.13, -1.15};
        for (int weighted = 0; weighted < 2; weighted++) {
            double x[16];
            for (int i = 0; i < 16; i++)
                x[i] = -7.0;
            size_t it = 0;
            int conv = -1;
            qpm_status st = qpm_cov_nearest_correlation(NULL, 4, a, 4, weighted ? w : NULL, 1e-10,
                                                        300, x, 4, &it, &conv);
            if (k < 0) {
                cr_assert_eq(st, QPM_OK, "a01 = %g: %s", m, qpm_last_error());
                assert_correlation(x, 4, "a01 at the bound");
                if (!weighted)
                    cr_assert(1.0 - x[1] < (k == -2 ? 6e-5 : 1e-9), "a01 = %g: x01 = %.17g", m,
                              x[1]);
                continue;
            }
            cr_assert_eq(st, QPM_E_INVALID, "a01 = %g: %d", m, (int)st);
            cr_assert_neq(strstr(qpm_last_error(), "(a[1][0] + a[0][1]) / 2 = "), NULL, "%s",
                          qpm_last_error());
            cr_assert_neq(strstr(qpm_last_error(), "must be within +-1e+06"), NULL, "%s",
                          qpm_last_error());
            for (int i = 0; i < 16; i++)
                cr_assert_eq(x[i], -7.0, "out touched on error");
            cr_assert_eq(conv, -1);
        }
    }
    /* The diagonal counts too: it enters the first projection. */
    double d[4] = {-2e6, 0.5, 0.5, 1}, x[4];
    cr_assert_eq(qpm_cov_nearest_correlation(NULL, 2, d, 2, NULL, 1e-10, 100, x, 2, NULL, NULL),
                 QPM_E_INVALID);
    cr_assert_neq(strstr(qpm_last_error(), "(a[0][0] + a[0][0]) / 2 = -2e+06"), NULL, "%s",
                  qpm_last_error());
}

Test(cov_psd, min_eigenvalue_and_check)
{
    double d[9] = {3, 0, 0, 0, -2, 0, 0, 0, 5}, l;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 3, d, 3, &l), QPM_OK);
    cr_assert(fabs(l + 2.0) <= 1e-15);
    double b[6] = {1, 2, 99, 2, 1, 99}; /* ld 3 */
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 2, b, 3, &l), QPM_OK);
    cr_assert(fabs(l + 1.0) <= 1e-15);
    double asym[4] = {1, 4, 0, 1}; /* symmetric part [[1,2],[2,1]] */
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 2, asym, 2, &l), QPM_OK);
    cr_assert(fabs(l + 1.0) <= 1e-15);
    double p[4] = {2, 1, 1, 2};
    l = 0;
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, p, 2, 0.0, &l), QPM_OK);
    cr_assert(fabs(l - 1.0) <= 1e-15);
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, b, 3, 0.5, &l), QPM_E_NOTPSD);
    cr_assert(fabs(l + 1.0) <= 1e-15);
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, b, 3, 1.5, NULL), QPM_OK);
    double sing[4] = {1, 1, 1, 1};
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, sing, 2, 1e-15, NULL), QPM_OK);
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, p, 2, -1.0, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_cov_check_psd(NULL, 2, p, 2, (double)NAN, NULL), QPM_E_INVALID);
}

Test(cov_psd, bad_arguments)
{
    double a[4] = {1, 0.5, 0.5, 1}, out[4] = {-7, -7, -7, -7}, w[2] = {1, 1}, l;
    size_t it = 99;
    qpm_status st;
#define NC(...) qpm_cov_nearest_correlation(__VA_ARGS__)
    cr_assert_eq(NC(NULL, 2, NULL, 2, NULL, 1e-8, 10, out, 2, &it, NULL), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "a is NULL");
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, 1e-8, 10, NULL, 2, &it, NULL), QPM_E_NULL);
    cr_assert_eq(NC(NULL, 0, a, 2, NULL, 1e-8, 10, out, 2, &it, NULL), QPM_E_SIZE);
    cr_assert_eq(NC(NULL, 2, a, 1, NULL, 1e-8, 10, out, 2, &it, NULL), QPM_E_SIZE);
    cr_assert_neq(strstr(qpm_last_error(), "lda = 1"), NULL, "%s", qpm_last_error());
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, 1e-8, 10, out, 1, &it, NULL), QPM_E_SIZE);
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, 0.0, 10, out, 2, &it, NULL), QPM_E_INVALID);
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, 1.0, 10, out, 2, &it, NULL), QPM_E_INVALID);
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, (double)NAN, 10, out, 2, &it, NULL), QPM_E_INVALID);
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, 1e-8, 0, out, 2, &it, NULL), QPM_E_INVALID);
    w[1] = 0.0;
    cr_assert_eq(NC(NULL, 2, a, 2, w, 1e-8, 10, out, 2, &it, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "weights[1] = 0: must be finite and > 0");
    w[1] = (double)INFINITY;
    cr_assert_eq(NC(NULL, 2, a, 2, w, 1e-8, 10, out, 2, &it, NULL), QPM_E_INVALID);
    a[2] = (double)NAN;
    cr_assert_eq(NC(NULL, 2, a, 2, NULL, 1e-8, 10, out, 2, &it, NULL), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "a[1][0] = nan: must be finite");
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 2, a, 2, &l), QPM_E_NONFINITE);
    a[2] = 0.5;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 2, a, 2, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 2, NULL, 2, &l), QPM_E_NULL);
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, 0, a, 2, &l), QPM_E_SIZE);
    qpm_alloc bad = {0};
    st = qpm_cov_min_eigenvalue(&bad, 2, a, 2, &l);
    cr_assert_eq(st, QPM_E_INVALID);
    cr_assert_eq(NC(&bad, 2, a, 2, NULL, 1e-8, 10, out, 2, &it, NULL), QPM_E_INVALID);
#undef NC
    for (int k = 0; k < 4; k++)
        cr_assert_eq(out[k], -7.0, "out touched on error");
    cr_assert_eq(it, 99u);
}

Test(cov_psd, oom_every_allocation)
{
    double a[16] = {2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2}, x[16], w[4] = {1, 2, 3, 4};
    for (int fn = 0; fn < 3; fn++) {
        for (long k = 0;; k++) {
            qt_failalloc fa;
            qt_failalloc_init(&fa, k);
            double l;
            qpm_status st;
            if (fn == 0)
                st = qpm_cov_min_eigenvalue(&fa.alloc, 4, a, 4, &l);
            else if (fn == 1)
                st = qpm_cov_check_psd(&fa.alloc, 4, a, 4, 0.0, &l);
            else
                st = qpm_cov_nearest_correlation(&fa.alloc, 4, a, 4, w, 1e-10, 1000, x, 4, NULL,
                                                 NULL);
            cr_assert_eq(fa.live, 0, "fn %d k=%ld leaks %ld blocks", fn, k, fa.live);
            if (st == QPM_OK) {
                cr_assert_geq(k, 3);
                break;
            }
            cr_assert_eq(st, QPM_E_NOMEM, "fn %d k=%ld: %s", fn, k, qpm_status_name(st));
        }
    }
    cr_assert_eq(qt_leak_check(), 0);
}
