/* cov: golden tests against the reference files (section 7 of the refdata
 * README): sample, correlation, Ledoit-Wolf with its shrinkage, OAS, EWMA and
 * the means, every entry.  Every data set present is checked: the files are
 * found by scanning the reference directory for returns_<set>_t<T>_n<N>.csv,
 * so further sets (e.g. T < N) dropped beside the public one run too.
 *
 * Tolerances.  The references are exact (50 digits) roundings of the true
 * values for the stored doubles.  The library centres the data with the
 * column means before the rank-k update, so each entry is a sum of T
 * products of centred values computed with O(T eps) relative error in the
 * worst case and ~sqrt(T) eps in practice; relative to the largest element
 * that is far below 1e-12, the README's recommended bound, which we apply
 * both element-wise (relative to the largest element) and in the Frobenius
 * norm.  The shrinkage coefficients are ratios of such sums (1e-10 relative
 * recommended; we require 1e-11).  The means are corrected two-pass sums:
 * 1e-13 of the largest |mean| (the error of a length-T sum of values up to
 * ~60 times the mean). */
#include <stdio.h>

#include "test_cov_util.h"

#define TOL_MAT 1e-12
#define TOL_SHRINK 1e-11
#define TOL_MEAN 1e-13

struct scalars {
    double lw, oas, mu, lambda;
    size_t init_rows, n_obs, n_assets;
    double mean[1024];
};

static void load_scalars(const char *set, struct scalars *s)
{
    char name[256];
    snprintf(name, sizeof name, "cov_scalars_%s.csv", set);
    qt_csv *csv = qt_csv_load(name);
    for (size_t r = 0; r < csv->nrows; r++) {
        const char *k = qt_csv_str(csv, r, 0);
        double v = qt_csv_num(csv, r, 1);
        if (strcmp(k, "lw_shrinkage") == 0)
            s->lw = v;
        else if (strcmp(k, "oas_shrinkage") == 0)
            s->oas = v;
        else if (strcmp(k, "shrink_target_mu") == 0)
            s->mu = v;
        else if (strcmp(k, "ewma_lambda") == 0)
            s->lambda = v;
        else if (strcmp(k, "ewma_init_rows") == 0)
            s->init_rows = (size_t)v;
        else if (strcmp(k, "n_obs") == 0)
            s->n_obs = (size_t)v;
        else if (strcmp(k, "n_assets") == 0)
            s->n_assets = (size_t)v;
        else if (strncmp(k, "mean_a", 6) == 0) {
            size_t j = (size_t)atoi(k + 6);
            cr_assert_lt(j, 1024u);
            s->mean[j] = v;
        }
    }
    qt_csv_free(csv);
}

static void check_matrix(const char *set, const char *kind, const double *got, size_t n)
{
    char name[256];
    snprintf(name, sizeof name, "cov_%s_%s.csv", kind, set);
    size_t r, c;
    double *exp = cu_load_matrix(name, &r, &c);
    cr_assert(r == n && c == n, "%s is %zux%zu, expected %zux%zu", name, r, c, n, n);
    double mx = cu_max_abs(exp, n, n), d2 = 0.0, e2 = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double g = got[i * n + j], e = exp[i * n + j];
            cr_assert(fabs(g - e) <= TOL_MAT * mx, "%s (%zu,%zu): got %.17g expected %.17g", name,
                      i, j, g, e);
            d2 += (g - e) * (g - e);
            e2 += e * e;
        }
    cr_assert(sqrt(d2 / e2) <= TOL_MAT, "%s: Frobenius relative error %g", name, sqrt(d2 / e2));
    free(exp);
}

static void check_shrink(double got, double exp, const char *what)
{
    cr_assert(fabs(got - exp) <= TOL_SHRINK * fabs(exp), "%s shrinkage %.17g expected %.17g",
              what, got, exp);
}

static void run_set(const char *set)
{
    char name[256];
    snprintf(name, sizeof name, "returns_%s.csv", set);
    size_t t, n;
    double *x = cu_load_matrix(name, &t, &n);
    struct scalars s;
    memset(&s, 0, sizeof s);
    load_scalars(set, &s);
    cr_assert_eq(s.n_obs, t);
    cr_assert_eq(s.n_assets, n);

    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    double *out = malloc(n * n * sizeof(double)), *v = malloc(n * sizeof(double));

    /* sample (ddof = 1, the default) and its correlation */
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
    check_matrix(set, "sample", out, n);
    double tr = 0.0;
    for (size_t i = 0; i < n; i++)
        tr += out[i * n + i];
    double mu = tr * (double)(t - 1) / (double)t / (double)n;
    cr_assert(fabs(mu - s.mu) <= TOL_MAT * s.mu, "mu %.17g expected %.17g", mu, s.mu);
    cr_assert_eq(qpm_cov_correlation(c, out, n), QPM_OK);
    check_matrix(set, "corr", out, n);
    cr_assert_eq(qpm_cov_mean(c, v), QPM_OK);
    double mmax = 0.0;
    for (size_t j = 0; j < n; j++)
        mmax = fmax(mmax, fabs(s.mean[j]));
    for (size_t j = 0; j < n; j++)
        cr_assert(fabs(v[j] - s.mean[j]) <= TOL_MEAN * mmax, "mean[%zu] %.17g expected %.17g",
                  j, v[j], s.mean[j]);

    /* Ledoit-Wolf toward mu I */
    double sh;
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
    check_matrix(set, "lw", out, n);
    cr_assert_eq(qpm_cov_shrinkage(c, &sh), QPM_OK);
    check_shrink(sh, s.lw, "LW");

    /* OAS */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_OAS), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
    check_matrix(set, "oas", out, n);
    cr_assert_eq(qpm_cov_shrinkage(c, &sh), QPM_OK);
    check_shrink(sh, s.oas, "OAS");

    /* EWMA with the file's lambda and seed length */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, s.lambda), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_EWMA_INIT_ROWS, (double)s.init_rows), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
    check_matrix(set, "ewma", out, n);

    free(out);
    free(v);
    free(x);
    qpm_cov_free(c);
}

Test(cov_golden, every_reference_set)
{
    static char sets[64][QT_SET_LEN];
    size_t n = qt_refdata_sets("returns_", sets, 64);
    int public_seen = 0;
    for (size_t i = 0; i < n; i++) {
        char set[QT_SET_LEN];
        memcpy(set, sets[i], sizeof set);
        run_set(set);
        public_seen |= strcmp(set, "public_t500_n20") == 0;
    }
    cr_assert(public_seen, "returns_public_t500_n20.csv not found");
    cr_assert_geq(n, 1);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The public set with the default settings (lambda 0.94, 20 seed rows, ddof 1)
 * spelled out, so that a change of default is caught. */
Test(cov_golden, defaults_match_reference_conventions)
{
    size_t t, n;
    double *x = cu_load_matrix("returns_public_t500_n20.csv", &t, &n);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    double *out = malloc(n * n * sizeof(double));
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
    check_matrix("public_t500_n20", "ewma", out, n);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
    check_matrix("public_t500_n20", "sample", out, n);
    free(out);
    free(x);
    qpm_cov_free(c);
    cr_assert_eq(qt_leak_check(), 0);
}
