/* cov: estimators against independent long-double references (T < N among
 * them), the constant-correlation target and the semicovariance, ddof and
 * annualisation, EWMA over long histories, the missing-data policies, and
 * the symmetry and positive semi-definiteness of every output.
 *
 * Tolerances: the references are long-double sums (64-bit mantissa), so they
 * are exact to ~1e-18 relative here; the library's double results carry
 * O(sqrt(T) eps) relative rounding.  1e-13 of the largest element leaves a
 * factor > 100 of margin over the ~5e-16 observed, and 1e-12 for shrinkage
 * coefficients (ratios of differences of such sums). */
#include "test_cov_util.h"

#define TOL 1e-13
#define TOL_S 1e-12

static qpm_cov *make(size_t n, int method)
{
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, method), QPM_OK);
    return c;
}

static void fit_get(qpm_cov *c, size_t t, const double *x, size_t n, double *out)
{
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_OK, "%s", qpm_last_error());
    double pol;
    size_t nobs;
    cr_assert_eq(qpm_cov_get(c, QPM_COV_NAN_POLICY, &pol), QPM_OK);
    cr_assert_eq(qpm_cov_nobs(c, &nobs), QPM_OK);
    if (pol == QPM_COV_NAN_ERROR)
        cr_assert_eq(nobs, t);
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK, "%s", qpm_last_error());
}

static void expect_close(const double *got, const double *ref, size_t n, double tol,
                         const char *what)
{
    double frob, e = cu_rel_err(got, ref, n, &frob);
    cr_assert(e <= tol && frob <= tol, "%s: max err %g of the largest element, Frobenius %g",
              what, e, frob);
}

/* Sample, LW, OAS and EWMA on t x n data against the references; with
 * t < n the sample covariance must be singular while LW and OAS are
 * positive definite. */
static void check_all(const double *x, size_t t, size_t n, size_t k0)
{
    double *out = malloc(n * n * sizeof(double)), *ref = calloc(n * n, sizeof(double));
    qpm_cov *c = make(n, QPM_COV_SAMPLE);

    fit_get(c, t, x, n, out);
    cu_ref_cov(x, t, n, (long double)(t - 1), ref);
    expect_close(out, ref, n, TOL, "sample");
    double lmin;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, out, n, &lmin), QPM_OK);
    if (t <= n)
        cr_assert(fabs(lmin) <= 1e-13 * cu_max_abs(out, n, n), "rank-deficient sample: %g", lmin);

    for (int oas = 0; oas <= 1; oas++) {
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, oas ? QPM_COV_OAS : QPM_COV_LEDOIT_WOLF),
                     QPM_OK);
        fit_get(c, t, x, n, out);
        double s, sref = cu_ref_shrunk(x, t, n, oas, ref);
        expect_close(out, ref, n, TOL, oas ? "OAS" : "LW");
        cr_assert_eq(qpm_cov_shrinkage(c, &s), QPM_OK);
        cr_assert(fabs(s - sref) <= TOL_S * sref, "%s shrinkage %.17g ref %.17g",
                  oas ? "OAS" : "LW", s, sref);
        cr_assert(s > 0.0 && s <= 1.0);
        /* (1 - s) S + s mu I has every eigenvalue >= s mu > 0 */
        double mu = 0.0;
        for (size_t i = 0; i < n; i++)
            mu += ref[i * n + i];
        mu /= (double)n;
        cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, out, n, &lmin), QPM_OK);
        if (t <= n)
            cr_assert(lmin >= 0.5 * s * mu, "%s not positive definite: %g (s mu = %g)",
                      oas ? "OAS" : "LW", lmin, s * mu);
        else
            cr_assert(lmin > 0.0);
    }

    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_EWMA_INIT_ROWS, (double)k0), QPM_OK);
    fit_get(c, t, x, n, out);
    cu_ref_ewma(x, t, n, 0.94, k0, ref);
    expect_close(out, ref, n, TOL, "EWMA");

    qpm_cov_free(c);
    free(out);
    free(ref);
}

Test(cov_estimators, t_less_than_n_public_rows)
{
    size_t t, n;
    double *x = cu_load_matrix("returns_public_t500_n20.csv", &t, &n);
    check_all(x, 15, n, 10); /* T = 15 < N = 20 */
    check_all(x, t, n, 20);
    free(x);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_estimators, t_less_than_n_generated)
{
    size_t t = 40, n = 60; /* the shape of the hidden T < N set */
    double *x = malloc(t * n * sizeof(double));
    cu_gen_returns(t, n, 7, x);
    check_all(x, t, n, 20);
    cu_gen_returns(300, 50, 8, x = realloc(x, 300 * 50 * sizeof(double)));
    check_all(x, 300, 50, 20);
    free(x);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Ledoit-Wolf 2004 target: the public returns checked against a NumPy port of
 * the authors' covCor.m (values below, run once offline), and generated data
 * against the long-double transcription in test_cov_util.h. */
Test(cov_estimators, constant_correlation_target)
{
    size_t t, n;
    double *x = cu_load_matrix("returns_public_t500_n20.csv", &t, &n);
    qpm_cov *c = make(n, QPM_COV_LEDOIT_WOLF);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, QPM_COV_TARGET_CONSTANT_CORRELATION), QPM_OK);
    double *out = malloc(n * n * sizeof(double)), *ref = calloc(n * n, sizeof(double)), s;
    fit_get(c, t, x, n, out);
    cr_assert_eq(qpm_cov_shrinkage(c, &s), QPM_OK);
    cr_assert(fabs(s - 0.5680930065307537) <= 1e-12 * s, "shrinkage %.17g", s);
    cr_assert(fabs(out[0 * n + 1] - 0.0007173430153928689) <= 1e-12 * 0.0007173430153928689);
    cr_assert(fabs(out[3 * n + 3] - 0.0009095122419661944) <= 1e-12 * 0.0009095122419661944);
    double sref = cu_ref_cc(x, t, n, ref);
    expect_close(out, ref, n, TOL, "CC public");
    cr_assert(fabs(s - sref) <= TOL_S * sref);
    cu_assert_symmetric(out, n, "CC");
    cu_assert_psd(out, n, 0.0, "CC");
    qpm_cov_free(c);

    size_t tt[] = {30, 250}, nn[] = {40, 12};
    for (int k = 0; k < 2; k++) {
        double *y = malloc(tt[k] * nn[k] * sizeof(double));
        double *o = malloc(nn[k] * nn[k] * sizeof(double)), *r = malloc(nn[k] * nn[k] * 8);
        cu_gen_returns(tt[k], nn[k], 100 + (uint64_t)k, y);
        c = make(nn[k], QPM_COV_LEDOIT_WOLF);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 1), QPM_OK);
        fit_get(c, tt[k], y, nn[k], o);
        sref = cu_ref_cc(y, tt[k], nn[k], r);
        cr_assert_eq(qpm_cov_shrinkage(c, &s), QPM_OK);
        cr_assert(fabs(s - sref) <= TOL_S * sref, "T=%zu: %.17g vs %.17g", tt[k], s, sref);
        expect_close(o, r, nn[k], TOL, "CC generated");
        cu_assert_psd(o, nn[k], 1e-14, "CC generated");
        /* the target alone keeps the stream co-moments: switching back to the
         * identity target needs no refit */
        cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 0), QPM_OK);
        cr_assert_eq(qpm_cov_covariance(c, o, nn[k]), QPM_OK);
        cu_ref_shrunk(y, tt[k], nn[k], 0, r);
        expect_close(o, r, nn[k], TOL, "identity after CC");
        /* and back: batch-only, so it asks for a fit */
        cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 1), QPM_OK);
        cr_assert_eq(qpm_cov_covariance(c, o, nn[k]), QPM_E_STATE);
        qpm_cov_free(c);
        free(y);
        free(o);
        free(r);
    }
    free(out);
    free(ref);
    free(x);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_estimators, constant_correlation_needs_positive_variances)
{
    double x[] = {1, 0.5, 2, 0.5, 3, 0.5, 4, 0.5};
    qpm_cov *c = make(2, QPM_COV_LEDOIT_WOLF);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 1), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, 4, x, 2), QPM_E_SINGULAR);
    cr_assert_neq(strstr(qpm_last_error(), "asset 1"), NULL, "%s", qpm_last_error());
    double out[4];
    cr_assert_eq(qpm_cov_covariance(c, out, 2), QPM_E_STATE);
    /* one asset: the target equals the sample, shrinkage 0 */
    qpm_cov *c1 = make(1, QPM_COV_LEDOIT_WOLF);
    cr_assert_eq(qpm_cov_set(c1, QPM_COV_TARGET, 1), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c1, 4, x, 2), QPM_OK);
    double s;
    cr_assert_eq(qpm_cov_shrinkage(c1, &s), QPM_OK);
    cr_assert_eq(s, 0.0);
    cr_assert_eq(qpm_cov_covariance(c1, out, 1), QPM_OK);
    cr_assert(fabs(out[0] - 1.25) <= 1e-15);
    qpm_cov_free(c);
    qpm_cov_free(c1);
}

/* Values for benchmark 0.001 from NumPy (np.fmin(X - 0.001, 0), D'D / T). */
Test(cov_estimators, semicovariance)
{
    size_t t, n;
    double *x = cu_load_matrix("returns_public_t500_n20.csv", &t, &n);
    qpm_cov *c = make(n, QPM_COV_SEMI);
    double *out = malloc(n * n * sizeof(double)), *ref = calloc(n * n, sizeof(double)), s;
    cr_assert_eq(qpm_cov_set(c, QPM_COV_BENCHMARK, 0.001), QPM_OK);
    fit_get(c, t, x, n, out);
    cr_assert(fabs(out[1] - 0.0006366410227625322) <= 1e-13 * 0.0006366410227625322);
    cr_assert(fabs(out[3 * n + 3] - 0.0005484406996978567) <= 1e-13 * 0.0005484406996978567);
    cu_ref_semi(x, t, n, 0.001, ref);
    expect_close(out, ref, n, TOL, "semi");
    cu_assert_symmetric(out, n, "semi");
    cu_assert_psd(out, n, 1e-14, "semi");
    cr_assert_eq(qpm_cov_shrinkage(c, &s), QPM_OK);
    cr_assert_eq(s, 0.0);
    /* a new benchmark needs a new fit */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_BENCHMARK, -1.0), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_E_STATE);
    fit_get(c, t, x, n, out); /* no return is below -100 %: all zero */
    cr_assert_eq(cu_max_abs(out, n, n), 0.0);
    cr_assert_eq(qpm_cov_correlation(c, out, n), QPM_E_SINGULAR);
    /* semicovariance with the benchmark above every return is the raw second moment */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_BENCHMARK, 10.0), QPM_OK);
    fit_get(c, t, x, n, out);
    cu_ref_semi(x, t, n, 10.0, ref);
    expect_close(out, ref, n, TOL, "semi high benchmark");
    qpm_cov_free(c);
    free(out);
    free(ref);
    free(x);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_estimators, ddof_and_annualisation)
{
    size_t t = 120, n = 8;
    double x[120 * 8], a[64], b[64], va[8], vb[8], ma[8], mb[8], ca[64], cb[64];
    cu_gen_returns(t, n, 3, x);
    qpm_cov *c = make(n, QPM_COV_SAMPLE);
    fit_get(c, t, x, n, a);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 0), QPM_OK);
    cr_assert_eq(qpm_cov_covariance(c, b, n), QPM_OK); /* re-derived, no refit */
    for (size_t k = 0; k < n * n; k++)
        cr_assert(fabs(b[k] * (double)t - a[k] * (double)(t - 1)) <= 1e-15 * fabs(a[k]) * (double)t);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_DDOF, 1), QPM_OK);
    cr_assert_eq(qpm_cov_volatility(c, va), QPM_OK);
    cr_assert_eq(qpm_cov_mean(c, ma), QPM_OK);
    cr_assert_eq(qpm_cov_correlation(c, ca, n), QPM_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(va[i], sqrt(a[i * n + i]));

    double p;
    cr_assert_eq(qpm_cov_get(c, QPM_COV_PERIODS_PER_YEAR, &p), QPM_OK);
    cr_assert_eq(p, 365.0); /* crypto trades every day */
    cr_assert_eq(qpm_cov_set(c, QPM_COV_ANNUALISE, 1), QPM_OK);
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(qpm_cov_covariance(c, b, n), QPM_OK);
        cr_assert_eq(qpm_cov_volatility(c, vb), QPM_OK);
        cr_assert_eq(qpm_cov_mean(c, mb), QPM_OK);
        cr_assert_eq(qpm_cov_correlation(c, cb, n), QPM_OK);
        for (size_t i = 0; i < n; i++) {
            cr_assert(fabs(vb[i] - va[i] * sqrt(p)) <= 1e-15 * vb[i]);
            cr_assert(fabs(mb[i] - ma[i] * p) <= 1e-15 * fabs(mb[i]));
            for (size_t j = 0; j < n; j++) {
                cr_assert(fabs(b[i * n + j] - a[i * n + j] * p) <= 1e-15 * fabs(b[i * n + j]));
                cr_assert_eq(cb[i * n + j], ca[i * n + j]);
            }
        }
        p = 252.0;
        cr_assert_eq(qpm_cov_set(c, QPM_COV_PERIODS_PER_YEAR, p), QPM_OK);
    }
    qpm_cov_free(c);
}

/* Long histories take the truncated path (rows older than the 2^-60 weight
 * bound are skipped); the result must still match the full recursion. */
Test(cov_estimators, ewma_long_history)
{
    size_t t = 3000, n = 12;
    double *x = malloc(t * n * sizeof(double)), out[144], ref[144];
    cu_gen_returns(t, n, 11, x);
    /* a volatile early regime: large old rows must not break the bound */
    for (size_t k = 0; k < 300 * n; k++)
        x[k] *= 1e3;
    double lambdas[] = {0.94, 0.5, 0.999, 1e-3, 0.97};
    for (int k = 0; k < 5; k++) {
        qpm_cov *c = make(n, QPM_COV_EWMA);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, lambdas[k]), QPM_OK);
        fit_get(c, t, x, n, out);
        cu_ref_ewma(x, t, n, lambdas[k], 20, ref);
        expect_close(out, ref, n, TOL, "EWMA long");
        cu_assert_psd(out, n, 1e-14, "EWMA long");
        /* the same data through the stream recursion */
        cr_assert_eq(qpm_cov_reset(c), QPM_OK);
        for (size_t r = 0; r < t; r++)
            cr_assert_eq(qpm_cov_push(c, x + r * n), QPM_OK);
        cr_assert_eq(qpm_cov_covariance(c, out, n), QPM_OK);
        expect_close(out, ref, n, TOL, "EWMA long stream");
        qpm_cov_free(c);
    }
    /* dropped rows among the newest ones (which bound the result from
     * below) and the oldest: the same as fitting the complete rows */
    double *y = malloc(t * n * sizeof(double)), b[144];
    size_t kept = 0;
    for (size_t r = 0; r < t; r++) {
        if (r % 5 == 1 && (r > t - 100 || r < 50))
            x[r * n + 3] = (double)NAN;
        else
            memcpy(y + kept++ * n, x + r * n, n * sizeof(double));
    }
    qpm_cov *c = make(n, QPM_COV_EWMA), *d = make(n, QPM_COV_EWMA);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    fit_get(c, t, x, n, out);
    fit_get(d, kept, y, n, b);
    cr_assert(memcmp(out, b, sizeof b) == 0);
    cu_ref_ewma(y, kept, n, 0.94, 20, ref);
    expect_close(out, ref, n, TOL, "EWMA long, dropped rows");
    qpm_cov_free(c);
    qpm_cov_free(d);
    free(y);
    free(x);
}

/* Every method's covariance is exactly symmetric and PSD; the correlation is
 * symmetric with unit diagonal, |r| <= 1 and PSD; the volatilities are the
 * square roots of the diagonal. */
Test(cov_estimators, every_output_symmetric_and_psd)
{
    size_t shapes[][2] = {{200, 30}, {20, 30}, {700, 5}};
    for (int sh = 0; sh < 3; sh++) {
        size_t t = shapes[sh][0], n = shapes[sh][1];
        double *x = malloc(t * n * sizeof(double)), *a = malloc(n * n * sizeof(double));
        double *r = malloc(n * n * sizeof(double)), *v = malloc(n * sizeof(double));
        cu_gen_returns(t, n, 50 + (uint64_t)sh, x);
        for (int m = 0; m <= QPM_COV_SEMI + 1; m++) {
            qpm_cov *c = make(n, m <= QPM_COV_SEMI ? m : QPM_COV_LEDOIT_WOLF);
            if (m > QPM_COV_SEMI)
                cr_assert_eq(qpm_cov_set(c, QPM_COV_TARGET, 1), QPM_OK);
            fit_get(c, t, x, n, a);
            cu_assert_symmetric(a, n, "covariance");
            /* singular estimates (sample with T <= N) are PSD to rounding */
            cu_assert_psd(a, n, 1e-14, "covariance");
            cr_assert_eq(qpm_cov_correlation(c, r, n), QPM_OK);
            cu_assert_symmetric(r, n, "correlation");
            cu_assert_psd(r, n, 1e-14, "correlation");
            cr_assert_eq(qpm_cov_volatility(c, v), QPM_OK);
            for (size_t i = 0; i < n; i++) {
                cr_assert_eq(r[i * n + i], 1.0);
                cr_assert_eq(v[i], sqrt(a[i * n + i]));
                for (size_t j = 0; j < n; j++)
                    cr_assert(fabs(r[i * n + j]) <= 1.0 + 1e-15);
            }
            qpm_cov_free(c);
        }
        free(x);
        free(a);
        free(r);
        free(v);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* Dropping rows with a NaN gives bit for bit the fit on the complete rows. */
Test(cov_estimators, drop_rows_equals_complete_rows)
{
    size_t t = 600, n = 10, kept = 0;
    double *x = malloc(t * n * sizeof(double)), *y = malloc(t * n * sizeof(double));
    double a[100], b[100], ma[10], mb[10];
    cu_gen_returns(t, n, 21, x);
    for (size_t r = 0; r < t; r++) {
        if (r % 7 == 3 || (r > 100 && r < 130))
            x[r * n + (r % n)] = (double)NAN;
        else
            memcpy(y + kept++ * n, x + r * n, n * sizeof(double));
    }
    for (int m = 0; m <= QPM_COV_SEMI; m++) {
        qpm_cov *c = make(n, m), *d = make(n, m);
        cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_E_NONFINITE); /* default policy */
        cr_assert_neq(strstr(qpm_last_error(), "returns[3][3] = nan"), NULL, "%s",
                      qpm_last_error());
        cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
        fit_get(c, t, x, n, a);
        fit_get(d, kept, y, n, b);
        cr_assert(memcmp(a, b, sizeof a) == 0, "method %d differs", m);
        size_t no;
        cr_assert_eq(qpm_cov_nobs(c, &no), QPM_OK);
        cr_assert_eq(no, kept);
        cr_assert_eq(qpm_cov_mean(c, ma), QPM_OK);
        cr_assert_eq(qpm_cov_mean(d, mb), QPM_OK);
        cr_assert(memcmp(ma, mb, sizeof ma) == 0);
        qpm_cov_free(c);
        qpm_cov_free(d);
    }
    free(x);
    free(y);
}

/* Staggered listings: asset j has no returns before row 9 j. */
Test(cov_estimators, pairwise_complete_staggered)
{
    size_t t = 400, n = 9;
    double *x = malloc(t * n * sizeof(double)), a[81], ref[81], m[9];
    cu_gen_returns(t, n, 31, x);
    for (size_t j = 0; j < n; j++)
        for (size_t r = 0; r < 9 * j; r++)
            x[r * n + j] = (double)NAN;
    qpm_cov *c = make(n, QPM_COV_SAMPLE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE), QPM_OK);
    fit_get(c, t, x, n, a);
    cu_ref_pairwise(x, t, n, 1, ref);
    double lref;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, ref, n, &lref), QPM_OK);
    cr_assert_gt(lref, 0.0); /* this pattern stays PD: no repair */
    expect_close(a, ref, n, TOL, "pairwise");
    cr_assert_eq(qpm_cov_mean(c, m), QPM_OK);
    for (size_t j = 0; j < n; j++) {
        long double s = 0, sa = 0;
        for (size_t r = 9 * j; r < t; r++) {
            s += (long double)x[r * n + j];
            sa += fabsl((long double)x[r * n + j]);
        }
        /* a corrected two-pass mean is good to a few eps of the mean |x| */
        double e = (double)(s / (long double)(t - 9 * j));
        double scale = (double)(sa / (long double)(t - 9 * j));
        cr_assert(fabs(m[j] - e) <= 4e-16 * scale, "mean[%zu] %.17g vs %.17g", j, m[j], e);
    }
    /* complete data: pairwise equals the plain estimate */
    cu_gen_returns(t, n, 32, x);
    double b[81];
    fit_get(c, t, x, n, a);
    qpm_cov *d = make(n, QPM_COV_SAMPLE);
    fit_get(d, t, x, n, b);
    expect_close(a, b, n, 1e-14, "pairwise on complete data");
    /* semicovariance, pairwise: divided by each pair's count */
    for (size_t j = 0; j < n; j++)
        for (size_t r = 0; r < 9 * j; r++)
            x[r * n + j] = (double)NAN;
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SEMI), QPM_OK);
    fit_get(c, t, x, n, a);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            size_t r0 = 9 * (i > j ? i : j);
            long double s = 0;
            for (size_t r = r0; r < t; r++)
                s += (long double)fmin(x[r * n + i], 0.0) * (long double)fmin(x[r * n + j], 0.0);
            ref[i * n + j] = (double)(s / (long double)(t - r0));
        }
    expect_close(a, ref, n, TOL, "pairwise semi");
    /* other methods refuse the pairwise policy; streaming too */
    cr_assert_eq(qpm_cov_push(c, x), QPM_E_UNSUPPORTED);
    cr_assert_eq(qpm_cov_push(c, x + (t - 1) * n), QPM_E_STATE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, t, x, n), QPM_E_UNSUPPORTED);
    cr_assert_neq(strstr(qpm_last_error(), "PAIRWISE"), NULL);
    qpm_cov_free(c);
    qpm_cov_free(d);
    free(x);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Overlaps chosen so that the pairwise correlations are about (+1, +1, -1):
 * no PSD matrix has them.  The repaired output P+ must be the Frobenius
 * projection of the pairwise matrix P onto the PSD cone, which Moreau's
 * decomposition P = P+ + P- characterises: P+ >= 0, P- = P - P+ <= 0 and
 * <P+, P-> = 0. */
Test(cov_estimators, pairwise_repair_is_nearest_psd)
{
    size_t t = 300, n = 3;
    double x[900], a[9], p[9], diff[9];
    uint64_t s = 5;
    for (size_t r = 0; r < t; r++) {
        double z = cu_norm(&s) * 0.02, e = cu_norm(&s) * 0.002;
        double *row = x + r * n;
        if (r < 100) { /* 0 and 1 move together, 2 missing */
            row[0] = z;
            row[1] = z + e;
            row[2] = (double)NAN;
        } else if (r < 200) { /* 1 and 2 together */
            row[0] = (double)NAN;
            row[1] = z;
            row[2] = z + e;
        } else { /* 0 and 2 opposite */
            row[0] = z;
            row[1] = (double)NAN;
            row[2] = -z + e;
        }
    }
    qpm_cov *c = make(n, QPM_COV_SAMPLE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE), QPM_OK);
    fit_get(c, t, x, n, a);
    cu_ref_pairwise(x, t, n, 1, p);
    double lp;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, p, n, &lp), QPM_OK);
    cr_assert_lt(lp, -1e-5); /* clearly indefinite */
    cu_assert_symmetric(a, n, "repaired");
    double la, scale = cu_max_abs(p, n, n), inner = 0.0;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, a, n, &la), QPM_OK);
    cr_assert_geq(la, -1e-15 * scale);
    for (size_t k = 0; k < 9; k++) {
        diff[k] = a[k] - p[k];
        inner += a[k] * diff[k];
    }
    double ld;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, diff, n, &ld), QPM_OK);
    cr_assert_geq(ld, -1e-14 * scale, "P+ - P must be PSD: %g", ld);
    cr_assert(fabs(inner) <= 1e-14 * scale * scale, "<P+, P+ - P> = %g", inner);
    qpm_cov_free(c);
}

Test(cov_estimators, pairwise_needs_common_rows)
{
    double x[] = {1, (double)NAN, 2, (double)NAN, (double)NAN, 3, (double)NAN, 4, 5, (double)NAN};
    qpm_cov *c = make(2, QPM_COV_SAMPLE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE), QPM_OK);
    cr_assert_eq(qpm_cov_fit(c, 5, x, 2), QPM_E_SIZE);
    cr_assert_neq(strstr(qpm_last_error(), "assets 1 and 0 share 0 rows"), NULL, "%s",
                  qpm_last_error());
    double out[4];
    cr_assert_eq(qpm_cov_covariance(c, out, 2), QPM_E_STATE);
    double y[] = {1, (double)NAN, 2, (double)NAN, 3, (double)NAN};
    cr_assert_eq(qpm_cov_fit(c, 3, y, 2), QPM_E_SIZE);
    cr_assert_neq(strstr(qpm_last_error(), "asset 1 has 0 present"), NULL, "%s", qpm_last_error());
    qpm_cov_free(c);
}
