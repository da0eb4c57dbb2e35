/* risk: golden tests against the reference files (refdata README section 9):
 * historical VaR and ES of every sample at every level, sample moments, and
 * the parametric formulas, every row.  Every reference set present is run:
 * the files are found by scanning the reference directory for
 * var_results_<set>.csv, so further sets dropped beside the public one run too.
 *
 * Tolerances.
 * - Historical VaR: exact (an order statistic of the input).
 * - Historical ES: 1e-12 relative (README).  The library adds the tail with a
 *   compensated sum (error ~ 2 eps of the sum of |L|, the tail losses are
 *   mostly of one sign) and divides by (N - k) + (k - alpha N), whose only
 *   error is that of alpha N (~ 1e-16 relative), so ~1e-15 is expected.
 * - Moments: 1e-12 relative.  The mean is a compensated sum (~1 ulp); the
 *   central sums are compensated about the mean, so m2, m3, m4 carry a few
 *   ulp; skew and kurtosis are products/quotients of those (~1e-15).
 * - Parametric: 1e-12 relative (README).  z comes from qpm_norm_inv (within
 *   2 ulp); the Cornish-Fisher polynomial amplifies its error by at most
 *   ~|z dz_cf/dz / z_cf| <= 15 on these rows, and mu + sigma z by
 *   (|mu| + |sigma z|) / |var| <= 3: ~1e-14.
 * - var_results *_moments columns apply the parametric formulas to the
 *   sample moments, so they inherit the moments' error: 1e-12 relative. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/risk.h"
#include "support/testutil.h"

#define TOL_ES 1e-12
#define TOL_MOM 1e-12
#define TOL_PAR 1e-12

static void rel_close(double got, double exp, double tol, const char *what, size_t row)
{
    cr_assert(fabs(got - exp) <= tol * fabs(exp), "%s row %zu: got %.17g expected %.17g (rel %g)",
              what, row, got, exp, fabs(got - exp) / fabs(exp));
}

static double *load_losses(const char *set, const char *sample, size_t *n)
{
    char name[256];
    snprintf(name, sizeof name, "var_losses_%s_%s.csv", set, sample);
    qt_csv *csv = qt_csv_load(name);
    size_t c = qt_csv_col(csv, "loss");
    double *x = malloc(csv->nrows * sizeof *x);
    cr_assert_not_null(x);
    for (size_t r = 0; r < csv->nrows; r++)
        x[r] = qt_csv_num(csv, r, c);
    *n = csv->nrows;
    qt_csv_free(csv);
    return x;
}

static void run_results(const char *set)
{
    char name[256];
    snprintf(name, sizeof name, "var_results_%s.csv", set);
    qt_csv *csv = qt_csv_load(name);
    size_t c_sample = qt_csv_col(csv, "sample"), c_n = qt_csv_col(csv, "N"),
           c_alpha = qt_csv_col(csv, "alpha"), c_var = qt_csv_col(csv, "var_hist"),
           c_es = qt_csv_col(csv, "es_hist"), c_vn = qt_csv_col(csv, "var_normal_moments"),
           c_en = qt_csv_col(csv, "es_normal_moments"), c_cf = qt_csv_col(csv, "var_cf_moments");
    for (size_t r = 0; r < csv->nrows; r++) {
        size_t n;
        double *x = load_losses(set, qt_csv_str(csv, r, c_sample), &n);
        cr_assert_eq((double)n, qt_csv_num(csv, r, c_n), "row %zu: sample size", r);
        double alpha = qt_csv_num(csv, r, c_alpha);
        double first = x[0], last = x[n - 1];
        double var, es, vse, ese;
        cr_assert_eq(qpm_risk_var_es(NULL, n, x, 1, &alpha, &var, &es, &vse, &ese), QPM_OK, "%s",
                     qpm_last_error());
        cr_assert_eq(x[0], first, "input modified");
        cr_assert_eq(x[n - 1], last, "input modified");
        cr_assert_eq(var, qt_csv_num(csv, r, c_var), "%s row %zu: VaR %.17g expected %s", set, r,
                     var, qt_csv_str(csv, r, c_var));
        rel_close(es, qt_csv_num(csv, r, c_es), TOL_ES, "ES", r);
        cr_assert(vse >= 0.0 && ese >= 0.0 && isfinite(vse) && isfinite(ese), "row %zu: se %g %g", r, vse, ese);
        /* parametric on the sample moments */
        double mu, sd, sk, ku;
        cr_assert_eq(qpm_risk_moments(n, x, &mu, &sd, &sk, &ku), QPM_OK);
        double vn, en, vcf;
        cr_assert_eq(qpm_risk_parametric(1, &mu, &sd, &sk, &ku, &alpha, &vn, &en, &vcf), QPM_OK);
        rel_close(vn, qt_csv_num(csv, r, c_vn), TOL_MOM, "var_normal_moments", r);
        rel_close(en, qt_csv_num(csv, r, c_en), TOL_MOM, "es_normal_moments", r);
        rel_close(vcf, qt_csv_num(csv, r, c_cf), TOL_MOM, "var_cf_moments", r);
        free(x);
    }
    qt_csv_free(csv);
}

/* All the levels of one sample in one call give the same as one by one. */
static void run_multi(const char *set)
{
    char name[256];
    snprintf(name, sizeof name, "var_results_%s.csv", set);
    qt_csv *csv = qt_csv_load(name);
    size_t c_sample = qt_csv_col(csv, "sample"), c_alpha = qt_csv_col(csv, "alpha"),
           c_var = qt_csv_col(csv, "var_hist"), c_es = qt_csv_col(csv, "es_hist");
    const char *prev = "";
    for (size_t r0 = 0; r0 < csv->nrows; r0++) {
        const char *s = qt_csv_str(csv, r0, c_sample);
        if (strcmp(s, prev) == 0)
            continue;
        prev = s;
        double alpha[64], var[64], es[64];
        size_t rows[64], m = 0;
        for (size_t r = csv->nrows; r-- > 0;) /* reversed order on purpose */
            if (strcmp(qt_csv_str(csv, r, c_sample), s) == 0 && m < 64) {
                rows[m] = r;
                alpha[m++] = qt_csv_num(csv, r, c_alpha);
            }
        size_t n;
        double *x = load_losses(set, s, &n);
        cr_assert_eq(qpm_risk_var_es(NULL, n, x, m, alpha, var, es, NULL, NULL), QPM_OK);
        for (size_t j = 0; j < m; j++) {
            cr_assert_eq(var[j], qt_csv_num(csv, rows[j], c_var));
            rel_close(es[j], qt_csv_num(csv, rows[j], c_es), TOL_ES, "ES (multi)", rows[j]);
        }
        free(x);
    }
    qt_csv_free(csv);
}

static void run_moments(const char *set)
{
    char name[256];
    snprintf(name, sizeof name, "var_moments_%s.csv", set);
    qt_csv *csv = qt_csv_load(name);
    size_t c_sample = qt_csv_col(csv, "sample"), c_mean = qt_csv_col(csv, "mean"),
           c_std = qt_csv_col(csv, "std_ddof1"), c_sk = qt_csv_col(csv, "skew_g1"),
           c_ku = qt_csv_col(csv, "exkurt_g2");
    for (size_t r = 0; r < csv->nrows; r++) {
        size_t n;
        double *x = load_losses(set, qt_csv_str(csv, r, c_sample), &n);
        double mu, sd, sk, ku;
        cr_assert_eq(qpm_risk_moments(n, x, &mu, &sd, &sk, &ku), QPM_OK);
        rel_close(mu, qt_csv_num(csv, r, c_mean), TOL_MOM, "mean", r);
        rel_close(sd, qt_csv_num(csv, r, c_std), TOL_MOM, "std", r);
        rel_close(sk, qt_csv_num(csv, r, c_sk), TOL_MOM, "skew", r);
        rel_close(ku, qt_csv_num(csv, r, c_ku), TOL_MOM, "exkurt", r);
        /* the central moments agree with the standardised ones */
        double m2, m3, m4;
        cr_assert_eq(qpm_risk_central_moments(n, x, &m2, &m3, &m4), QPM_OK);
        double dn = (double)n;
        rel_close(sqrt(m2 * dn / (dn - 1.0)), sd, 1e-15, "m2", r);
        rel_close(m3 / pow(m2, 1.5), sk, 1e-14, "m3", r);
        rel_close(m4 / (m2 * m2) - 3.0, ku, 1e-14, "m4", r);
        free(x);
    }
    qt_csv_free(csv);
}

static void run_param(const char *set)
{
    char name[256];
    snprintf(name, sizeof name, "var_param_%s.csv", set);
    qt_csv *csv = qt_csv_load(name);
    size_t n = csv->nrows;
    double *in = malloc(8 * n * sizeof(double));
    cr_assert_not_null(in);
    double *mu = in, *sg = in + n, *sk = in + 2 * n, *ku = in + 3 * n, *al = in + 4 * n,
           *vn = in + 5 * n, *en = in + 6 * n, *vc = in + 7 * n;
    const char *cols[] = {"mu", "sigma", "skew", "exkurt", "alpha"};
    for (size_t k = 0; k < 5; k++) {
        size_t c = qt_csv_col(csv, cols[k]);
        for (size_t r = 0; r < n; r++)
            in[k * n + r] = qt_csv_num(csv, r, c);
    }
    /* one batch call for every row */
    cr_assert_eq(qpm_risk_parametric(n, mu, sg, sk, ku, al, vn, en, vc), QPM_OK, "%s",
                 qpm_last_error());
    size_t c_vn = qt_csv_col(csv, "var_normal"), c_en = qt_csv_col(csv, "es_normal"),
           c_cf = qt_csv_col(csv, "var_cf");
    for (size_t r = 0; r < n; r++) {
        rel_close(vn[r], qt_csv_num(csv, r, c_vn), TOL_PAR, "var_normal", r);
        rel_close(en[r], qt_csv_num(csv, r, c_en), TOL_PAR, "es_normal", r);
        rel_close(vc[r], qt_csv_num(csv, r, c_cf), TOL_PAR, "var_cf", r);
    }
    free(in);
    qt_csv_free(csv);
}

Test(risk_golden, every_reference_set)
{
    static char sets[64][QT_SET_LEN];
    size_t n = qt_refdata_sets("var_results_", sets, 64);
    int public_seen = 0;
    for (size_t i = 0; i < n; i++) {
        char set[QT_SET_LEN];
        memcpy(set, sets[i], sizeof set);
        run_results(set);
        run_multi(set);
        run_moments(set);
        run_param(set);
        public_seen |= strcmp(set, "public") == 0;
    }
    cr_assert(public_seen, "var_results_public.csv not found");
    cr_assert_eq(qt_leak_check(), 0);
}
