/* garch: GARCH(1,1) (include/qpm/garch.h).  Reference values from
 * tests/data/garch_ref.py (numpy/scipy, an independent implementation of
 * the likelihood and scipy.optimize fits): the log-likelihood, the filter's
 * volatilities and the fitted parameters; recovery of known parameters from
 * a long series simulated with libqpm's generator; the scale equivariance of
 * the likelihood and of the fit; the closed-form forecasts against the
 * recursion of expectations; every bad input with its status and message,
 * outputs untouched; and filtered historical simulation with GARCH on the
 * risk handle against a hand computation. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/garch_ref.h"
#include "qpm/garch.h"
#include "qpm/qpm.h"
#include "support/testutil.h"

#define NRM QPM_GARCH_NORMAL
#define TD  QPM_GARCH_T

static double relerr(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), DBL_MIN);
}

static qpm_garch_result new_result(void)
{
    qpm_garch_result res;
    memset(&res, 0, sizeof res);
    res.size = sizeof res;
    return res;
}

/* ---- against the independent implementation ------------------------------- */

Test(garch, loglik_matches_reference)
{
    const double *series[4] = {garch_ref_a, garch_ref_a, garch_ref_b, garch_ref_b};
    const double *par[4] = {garch_ref_pa, garch_ref_pa, garch_ref_pb, garch_ref_pb};
    qpm_garch_dist dist[4] = {NRM, TD, NRM, TD};
    double worst = 0.0;
    for (int k = 0; k < 4; k++) {
        double ll = 0.0;
        cr_assert_eq(qpm_garch_loglik(GARCH_REF_N, series[k], dist[k], par[k], &ll), QPM_OK, "%s",
                     qpm_last_error());
        double e = relerr(ll, garch_ref_ll[k]);
        cr_assert(e <= 1e-10, "case %d: loglik %.17g, reference %.17g (rel %.3g)", k, ll,
                  garch_ref_ll[k], e);
        worst = fmax(worst, e);
    }
    cr_log_info("loglik: largest relative difference to numpy/scipy %.3g", worst);
}

Test(garch, filter_matches_reference)
{
    enum { N = GARCH_REF_N };
    static double sigma[N + 1], z[N];
    cr_assert_eq(qpm_garch_filter(N, garch_ref_a, NRM, garch_ref_pa, sigma, z), QPM_OK);
    double worst = 0.0;
    for (size_t t = 0; t <= N; t++) {
        double e = relerr(sigma[t], garch_ref_sigma_a[t]);
        cr_assert(e <= 1e-13, "sigma[%zu] = %.17g, reference %.17g", t, sigma[t],
                  garch_ref_sigma_a[t]);
        worst = fmax(worst, e);
    }
    for (size_t t = 0; t < N; t++)
        cr_assert(relerr(z[t], (garch_ref_a[t] - garch_ref_pa[0]) / garch_ref_sigma_a[t]) <=
                          1e-13 ||
                      fabs(z[t]) < 1e-12,
                  "z[%zu]", t);
    cr_log_info("filter: largest relative difference of sigma_t to numpy %.3g", worst);
    /* sigma only, z not wanted; the t filter gives the same volatilities */
    static double s2[N + 1];
    cr_assert_eq(qpm_garch_filter(N, garch_ref_a, TD, garch_ref_pa, s2, NULL), QPM_OK);
    cr_assert_eq(memcmp(s2, sigma, sizeof s2), 0);
}

static void check_fit(const double *r, qpm_garch_dist dist, const double *ref, double ref_ll,
                      const char *name)
{
    qpm_garch_result res = new_result();
    cr_assert_eq(qpm_garch_fit(GARCH_REF_N, r, dist, NULL, &res), QPM_OK, "%s: %s", name,
                 qpm_last_error());
    cr_assert_eq(res.converged, 1);
    int np = dist == TD ? 5 : 4;
    double worst = 0.0;
    for (int j = 0; j < np; j++) {
        /* nu is O(10): compare it relative, the others (O(0.01..1)) absolute */
        double d = j == QPM_GARCH_NU ? relerr(res.params[j], ref[j]) : fabs(res.params[j] - ref[j]);
        cr_assert(d <= 1e-6, "%s: params[%d] = %.12g, scipy %.12g", name, j, res.params[j], ref[j]);
        worst = fmax(worst, d);
        cr_assert(res.se[j] > 0.0 && isfinite(res.se[j]), "%s: se[%d] = %g", name, j, res.se[j]);
        cr_assert(res.robust_se[j] > 0.0 && isfinite(res.robust_se[j]));
    }
    if (dist == NRM)
        cr_assert(isinf(res.params[QPM_GARCH_NU]) && res.se[QPM_GARCH_NU] == 0.0);
    /* at least as likely as scipy's optimum, and by no more than rounding */
    cr_assert(res.loglik >= ref_ll - 1e-9 && res.loglik <= ref_ll + 1e-6, "%s: %.17g vs %.17g",
              name, res.loglik, ref_ll);
    double ll;
    cr_assert_eq(qpm_garch_loglik(GARCH_REF_N, r, dist, res.params, &ll), QPM_OK);
    cr_assert_eq(ll, res.loglik);
    static double sigma[GARCH_REF_N + 1];
    cr_assert_eq(qpm_garch_filter(GARCH_REF_N, r, dist, res.params, sigma, NULL), QPM_OK);
    cr_assert(relerr(res.sigma2_next, sigma[GARCH_REF_N] * sigma[GARCH_REF_N]) <= 1e-14);
    cr_log_info("fit %s: largest parameter difference to scipy %.3g, loglik %+.3g, %zu "
                "iterations, gradient %.3g",
                name, worst, res.loglik - ref_ll, res.iterations, res.grad_norm);
}

Test(garch, fit_matches_scipy_normal)
{
    check_fit(garch_ref_a, NRM, garch_ref_fit_a, garch_ref_fit_ll[0], "normal");
}

Test(garch, fit_matches_scipy_t)
{
    check_fit(garch_ref_b, TD, garch_ref_fit_b, garch_ref_fit_ll[1], "t");
}

/* ---- recovery of known parameters ---------------------------------------------- */

static double *simulate(size_t n, const double *p, qpm_garch_dist dist, uint64_t seed)
{
    double *z = malloc(n * sizeof *z), *r = malloc(n * sizeof *r);
    cr_assert(z && r);
    qpm_rng *rng;
    cr_assert_eq(qpm_rng_create_seed(&rng, NULL, QPM_RNG_PCG64DXSM, seed), QPM_OK);
    if (dist == TD) {
        cr_assert_eq(qpm_rng_student_t(rng, n, p[4], z), QPM_OK);
        for (size_t t = 0; t < n; t++)
            z[t] *= sqrt((p[4] - 2.0) / p[4]);
    } else {
        cr_assert_eq(qpm_rng_normal(rng, n, z), QPM_OK);
    }
    qpm_rng_free(rng);
    double h = p[1] / (1.0 - p[2] - p[3]), e = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (t > 0)
            h = p[1] + p[2] * e * e + p[3] * h;
        e = sqrt(h) * z[t];
        r[t] = p[0] + e;
    }
    free(z);
    return r;
}

static void check_recovery(qpm_garch_dist dist, const double *truth, const char *name)
{
    size_t n = 20000;
    double *r = simulate(n, truth, dist, 42);
    qpm_garch_result res = new_result();
    cr_assert_eq(qpm_garch_fit(n, r, dist, NULL, &res), QPM_OK, "%s", qpm_last_error());
    int np = dist == TD ? 5 : 4;
    double worst = 0.0;
    for (int j = 0; j < np; j++) {
        double zs = (res.params[j] - truth[j]) / res.se[j];
        cr_assert(fabs(zs) <= 4.0, "%s: params[%d] = %.6g (se %.3g), true %.6g", name, j,
                  res.params[j], res.se[j], truth[j]);
        /* the sandwich and the Hessian errors agree for a correct model */
        cr_assert(res.robust_se[j] > 0.6 * res.se[j] && res.robust_se[j] < 1.6 * res.se[j],
                  "%s: se[%d] %.3g, robust %.3g", name, j, res.se[j], res.robust_se[j]);
        worst = fmax(worst, fabs(zs));
    }
    cr_log_info("recovery %s (n = %zu): largest |estimate - true| / se = %.2f; estimates "
                "%.5g %.5g %.5g %.5g %.5g",
                name, n, worst, res.params[0], res.params[1], res.params[2], res.params[3],
                res.params[4]);
    free(r);
}

Test(garch, recovers_known_parameters_normal)
{
    const double truth[5] = {0.0005, 2e-6, 0.09, 0.89, INFINITY};
    check_recovery(NRM, truth, "normal");
}

Test(garch, recovers_known_parameters_t)
{
    const double truth[5] = {-0.0003, 4e-6, 0.12, 0.84, 5.0};
    check_recovery(TD, truth, "t");
}

/* ---- properties ------------------------------------------------------------------ */

/* Returns scaled by c: the likelihood at (c mu, c^2 omega) drops by n ln c
 * (the density of c r), and the fit moves its location and scale alike. */
Test(garch, scale_equivariance)
{
    enum { N = GARCH_REF_N };
    static double rs[N];
    const double c = 0.01;
    for (size_t t = 0; t < N; t++)
        rs[t] = c * garch_ref_b[t];
    double p[5], ps[5];
    memcpy(p, garch_ref_pb, sizeof p);
    memcpy(ps, p, sizeof ps);
    ps[0] *= c;
    ps[1] *= c * c;
    for (int d = 0; d < 2; d++) {
        double ll, lls;
        cr_assert_eq(qpm_garch_loglik(N, garch_ref_b, (qpm_garch_dist)d, p, &ll), QPM_OK);
        cr_assert_eq(qpm_garch_loglik(N, rs, (qpm_garch_dist)d, ps, &lls), QPM_OK);
        cr_assert(relerr(lls, ll - N * log(c)) <= 1e-12, "%.17g vs %.17g", lls, ll - N * log(c));
    }
    qpm_garch_result a = new_result(), b = new_result();
    cr_assert_eq(qpm_garch_fit(N, garch_ref_b, TD, NULL, &a), QPM_OK);
    cr_assert_eq(qpm_garch_fit(N, rs, TD, NULL, &b), QPM_OK);
    cr_assert(fabs(b.params[0] / c - a.params[0]) <= 1e-6);
    cr_assert(relerr(b.params[1] / (c * c), a.params[1]) <= 1e-5);
    for (int j = 2; j < 5; j++)
        cr_assert(relerr(b.params[j], a.params[j]) <= 1e-5, "params[%d] %.12g vs %.12g", j,
                  b.params[j], a.params[j]);
    cr_assert(relerr(b.se[2], a.se[2]) <= 1e-3);
}

Test(garch, fixed_mu)
{
    qpm_garch_result a = new_result(), b = new_result();
    cr_assert_eq(qpm_garch_fit(GARCH_REF_N, garch_ref_a, NRM, NULL, &a), QPM_OK);
    /* fixed at the estimate: the same optimum of the other parameters */
    double mu = a.params[0];
    cr_assert_eq(qpm_garch_fit(GARCH_REF_N, garch_ref_a, NRM, &mu, &b), QPM_OK);
    cr_assert_eq(b.params[0], mu);
    cr_assert_eq(b.se[0], 0.0);
    for (int j = 1; j < 4; j++)
        cr_assert(relerr(b.params[j], a.params[j]) <= 1e-6, "params[%d]", j);
    /* fixed at 0: a lower likelihood than the free fit, but not above it */
    double zero = 0.0;
    cr_assert_eq(qpm_garch_fit(GARCH_REF_N, garch_ref_a, NRM, &zero, &b), QPM_OK);
    cr_assert(b.params[0] == 0.0 && b.loglik < a.loglik);
}

Test(garch, forecast_closed_form)
{
    const double p[5] = {0.0, 0.02, 0.08, 0.9, 0.0};
    enum { H = 300 };
    double var[H], cum[H];
    cr_assert_eq(qpm_garch_forecast(p, 3.0, H, var, cum), QPM_OK);
    /* E[sigma_{k+1}^2] = omega + (alpha + beta) E[sigma_k^2], since E[e_k^2] = E[sigma_k^2] */
    double v = 3.0, c = 0.0;
    for (size_t k = 0; k < H; k++) {
        c += v;
        cr_assert(relerr(var[k], v) <= 1e-13, "var[%zu] = %.17g, recursion %.17g", k, var[k], v);
        cr_assert(relerr(cum[k], c) <= 1e-13);
        v = p[1] + (p[2] + p[3]) * v;
    }
    cr_assert_eq(var[0], 3.0);
    cr_assert(relerr(var[H - 1], 1.0) <= 1e-2); /* toward vbar = 0.02 / 0.02 = 1 */
    double one;
    cr_assert_eq(qpm_garch_forecast(p, 1.0, 1, &one, NULL), QPM_OK);
    cr_assert(relerr(one, 1.0) <= 1e-15);
}

/* ---- found by fuzz_garch (inputs in tests/fuzz/regress/garch) ------------------------ */

/* var[0] = vbar + (sigma2_next - vbar) lost sigma2_next far below vbar
 * (1.86e-9 for 1e-9), and an unconditional variance beyond the double
 * range gave NaN with QPM_OK. */
Test(garch, forecast_far_below_the_unconditional_variance)
{
    const double p[5] = {0.0, 1.0, 0.09, 0.9, 0.0}; /* vbar = 100 */
    enum { H = 400 };
    double var[H], cum[H];
    cr_assert_eq(qpm_garch_forecast(p, 1e-9, H, var, cum), QPM_OK);
    cr_assert_eq(var[0], 1e-9);
    cr_assert_eq(cum[0], 1e-9);
    double v = 1e-9, c = 0.0;
    for (size_t k = 0; k < H; k++) {
        c += v;
        cr_assert(var[k] >= 1e-9 && var[k] <= 100.0, "var[%zu] = %.17g", k, var[k]);
        cr_assert(relerr(var[k], v) <= 1e-12, "var[%zu] = %.17g, recursion %.17g", k, var[k], v);
        cr_assert(relerr(cum[k], c) <= 1e-12);
        v = p[1] + (p[2] + p[3]) * v;
    }
    /* beyond the range: vbar, a variance, a sum; outputs untouched */
    const double big[5] = {0.0, 1e307, 0.5, 0.495, 0.0};   /* vbar = 2e309 */
    const double wide[5] = {0.0, 1e307, 0.5, 0.4, 0.0};    /* vbar = 1e308 */
    for (size_t k = 0; k < 8; k++)
        var[k] = cum[k] = -1.0;
    cr_assert_eq(qpm_garch_forecast(big, 1.0, 8, var, cum), QPM_E_OVERFLOW);
    cr_assert_neq(strstr(qpm_last_error(), "unconditional variance"), NULL, "%s",
                  qpm_last_error());
    cr_assert_eq(qpm_garch_forecast(wide, 1.0, 8, var, cum), QPM_E_OVERFLOW);
    cr_assert_neq(strstr(qpm_last_error(), "summed over the days"), NULL, "%s",
                  qpm_last_error());
    for (size_t k = 0; k < 8; k++)
        cr_assert(var[k] == -1.0 && cum[k] == -1.0, "output %zu written", k);
    /* without the sums the variances are served */
    cr_assert_eq(qpm_garch_forecast(wide, 1.0, 8, var, NULL), QPM_OK);
    cr_assert(isfinite(var[7]) && var[7] <= 1e308);
}

/* The t density's constant ln Gamma((nu+1)/2) - ln Gamma(nu/2) lost its
 * digits for a large nu (-346 instead of -0.92 per return at nu = 1e300):
 * the t log-likelihood now tends to the normal one. */
Test(garch, t_likelihood_tends_to_the_normal_one)
{
    double r[200];
    uint64_t x = 5;
    for (size_t t = 0; t < 200; t++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        r[t] = 0.02 * ((double)(x >> 11) * 0x1p-53 - 0.5);
    }
    double p[5] = {0.0, 5e-6, 0.08, 0.9, 0.0}, ln, prev = HUGE_VAL;
    cr_assert_eq(qpm_garch_loglik(200, r, NRM, p, &ln), QPM_OK);
    const double nus[] = {1e3, 1e5, 1e8, 1e12, 1e16, 1e100, 1e300};
    for (size_t i = 0; i < sizeof nus / sizeof nus[0]; i++) {
        double lt;
        p[4] = nus[i];
        cr_assert_eq(qpm_garch_loglik(200, r, TD, p, &lt), QPM_OK);
        double gap = fabs(lt - ln);
        /* the t's excess over the normal is O(n / nu) */
        cr_assert_leq(gap, 200.0 * 10.0 / nus[i] + 1e-12 * fabs(ln), "nu = %g: t %.17g, normal %.17g",
                      nus[i], lt, ln);
        cr_assert_leq(gap, prev, "nu = %g", nus[i]);
        prev = gap;
    }
}

/* Fits pushed to the constraints' edge gave estimates outside them:
 * alpha + beta = 1 after rounding (with mu held away from the series'
 * mean, persistence goes to 1), omega = 0 where exp() underflowed (one
 * return near 1e148 among returns near 1e-152); qpm_garch_loglik and
 * qpm_garch_forecast then refused them. */
Test(garch, fitted_estimates_stay_inside_the_constraints)
{
    double r[67];
    size_t edge = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        uint64_t x = seed;
        for (size_t t = 0; t < 67; t++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            r[t] = -0.0062 + 0.001 * ((double)(x >> 11) * 0x1p-53 - 0.5);
        }
        const double mu = -0.01;
        qpm_garch_result res = new_result();
        qpm_status st = qpm_garch_fit(67, r, NRM, &mu, &res);
        cr_assert(st == QPM_OK || st == QPM_E_NOCONVERGE, "%s", qpm_last_error());
        const double *th = res.params;
        cr_assert(th[1] > 0.0 && th[2] >= 0.0 && th[3] >= 0.0 && th[2] + th[3] < 1.0,
                  "seed %d: omega %g alpha %.17g beta %.17g", (int)seed, th[1], th[2], th[3]);
        edge += th[2] + th[3] >= 1.0 - 0x1p-52;
        double ll;
        cr_assert_eq(qpm_garch_loglik(67, r, NRM, th, &ll), QPM_OK, "%s", qpm_last_error());
        cr_assert_eq(ll, res.loglik);
        cr_assert_eq(qpm_garch_forecast(th, res.sigma2_next, 5, r, NULL), QPM_OK);
    }
    cr_assert_gt(edge, 0, "no fit reached alpha + beta = 1: the test misses its case");
    const double tiny[10] = {-0x1.684b02ba1584p+494,  -0x1.6174c8ac9bc41p-503,
                             -0x1.4724e2bee84b3p-506, 0x1.1bc377b2ee706p-507,
                             -0x1.2f87d700e67dfp-504, 0x1.ba55d0fd94ac8p-505,
                             0.0,                     0x1.47942d7c037afp-506,
                             0x1.4c91f8a177bc2p-503,  -0x1.26ab7216385f4p-504};
    const double mu = -0.01;
    qpm_garch_result res = new_result();
    qpm_status st = qpm_garch_fit(10, tiny, NRM, &mu, &res);
    cr_assert(st == QPM_OK || st == QPM_E_NOCONVERGE, "%s", qpm_last_error());
    cr_assert_gt(res.params[1], 0.0, "omega = %g", res.params[1]);
    double ll;
    cr_assert_eq(qpm_garch_loglik(10, tiny, NRM, res.params, &ll), QPM_OK, "%s",
                 qpm_last_error());
}

/* ---- bad input ---------------------------------------------------------------------- */

#define EXPECT(call, status, msg)                                                                  \
    do {                                                                                           \
        cr_assert_eq((call), (status), "%s", qpm_last_error());                                    \
        cr_assert_str_eq(qpm_last_error(), (msg));                                                 \
    } while (0)

/* The message of a fit that did not converge: its start, and its end
 * after the gradient (whose digits depend on the compiler). */
static void expect_noconverge(const char *start)
{
    const char *m = qpm_last_error(), *end = ") is above the tolerance 1e-09 after 500 iterations";
    cr_assert_eq(strncmp(m, start, strlen(start)), 0, "%s", m);
    cr_assert(strlen(m) > strlen(end) && strcmp(m + strlen(m) - strlen(end), end) == 0, "%s", m);
}

Test(garch, bad_input)
{
    double r[20];
    for (int t = 0; t < 20; t++)
        r[t] = 0.01 * sin(1.0 + 3.0 * t);
    const double ok[5] = {0.0, 1e-5, 0.1, 0.8, 6.0};
    const double sentinel = -12345.0;
    double ll = sentinel, sig[21], z[20], var[3];
    for (int i = 0; i < 21; i++)
        sig[i] = sentinel;
    for (int i = 0; i < 20; i++)
        z[i] = sentinel;
    qpm_garch_result res = new_result();
    res.loglik = sentinel;

    EXPECT(qpm_garch_loglik(20, NULL, NRM, ok, &ll), QPM_E_NULL, "r is NULL");
    EXPECT(qpm_garch_loglik(20, r, NRM, NULL, &ll), QPM_E_NULL, "params is NULL");
    EXPECT(qpm_garch_loglik(20, r, NRM, ok, NULL), QPM_E_NULL, "loglik is NULL");
    EXPECT(qpm_garch_filter(20, r, NRM, ok, NULL, z), QPM_E_NULL, "sigma is NULL");
    EXPECT(qpm_garch_fit(20, r, NRM, NULL, NULL), QPM_E_NULL, "out is NULL");
    EXPECT(qpm_garch_forecast(NULL, 1.0, 3, var, NULL), QPM_E_NULL, "params is NULL");
    EXPECT(qpm_garch_forecast(ok, 1.0, 3, NULL, NULL), QPM_E_NULL, "var is NULL");
    EXPECT(qpm_garch_loglik(9, r, NRM, ok, &ll), QPM_E_SIZE,
           "n = 9: GARCH(1,1) needs at least 10 returns");
    EXPECT(qpm_garch_fit(0, r, TD, NULL, &res), QPM_E_SIZE,
           "n = 0: GARCH(1,1) needs at least 10 returns");
    EXPECT(qpm_garch_forecast(ok, 1.0, 0, var, NULL), QPM_E_SIZE, "h = 0: need at least 1 day");
    EXPECT(qpm_garch_loglik(20, r, (qpm_garch_dist)2, ok, &ll), QPM_E_INVALID,
           "dist = 2: must be QPM_GARCH_NORMAL (0) or QPM_GARCH_T (1)");
    double c[12];
    for (int t = 0; t < 12; t++)
        c[t] = 0.5;
    EXPECT(qpm_garch_fit(12, c, NRM, NULL, &res), QPM_E_INVALID,
           "r is constant (every return = 0.5): zero variance, no GARCH model");
    EXPECT(qpm_garch_filter(12, c, NRM, ok, sig, z), QPM_E_INVALID,
           "r is constant (every return = 0.5): zero variance, no GARCH model");
    double rn[20];
    memcpy(rn, r, sizeof rn);
    rn[13] = NAN;
    EXPECT(qpm_garch_fit(20, rn, NRM, NULL, &res), QPM_E_NONFINITE, "r[13] = nan: must be finite");
    rn[13] = -INFINITY;
    EXPECT(qpm_garch_loglik(20, rn, TD, ok, &ll), QPM_E_NONFINITE, "r[13] = -inf: must be finite");

    /* parameters outside the constraints */
    struct {
        int j;
        double v;
        qpm_status st;
        const char *msg;
    } bad[] = {
        {1, 0.0, QPM_E_INVALID, "omega = 0: must be > 0"},
        {1, -1e-6, QPM_E_INVALID, "omega = -1e-06: must be > 0"},
        {2, -0.01, QPM_E_INVALID, "alpha = -0.01: must be >= 0"},
        {3, -0.5, QPM_E_INVALID, "beta = -0.5: must be >= 0"},
        {3, 0.9, QPM_E_INVALID,
         "alpha + beta = 0.10000000000000001 + 0.90000000000000002: must be < 1 (covariance "
         "stationary)"},
        {4, 2.0, QPM_E_INVALID, "nu = 2: must be > 2 (finite variance)"},
        {4, INFINITY, QPM_E_NONFINITE, "params[4] (nu) = inf: must be finite"},
        {0, NAN, QPM_E_NONFINITE, "params[0] (mu) = nan: must be finite"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        double p[5];
        memcpy(p, ok, sizeof p);
        p[bad[k].j] = bad[k].v;
        EXPECT(qpm_garch_loglik(20, r, TD, p, &ll), bad[k].st, bad[k].msg);
        EXPECT(qpm_garch_filter(20, r, TD, p, sig, z), bad[k].st, bad[k].msg);
    }
    /* nu is not read for the normal model, nor mu and nu by the forecast */
    double p[5];
    memcpy(p, ok, sizeof p);
    p[4] = NAN;
    cr_assert_eq(qpm_garch_loglik(20, r, NRM, p, &ll), QPM_OK);
    p[0] = NAN;
    cr_assert_eq(qpm_garch_forecast(p, 1.0, 3, var, NULL), QPM_OK);
    ll = sentinel;
    EXPECT(qpm_garch_forecast(ok, 0.0, 3, var, NULL), QPM_E_INVALID,
           "sigma2_next = 0: must be > 0");
    EXPECT(qpm_garch_forecast(ok, NAN, 3, var, NULL), QPM_E_NONFINITE,
           "sigma2_next = nan: must be finite");
    memcpy(p, ok, sizeof p);
    p[2] = 0.3;
    EXPECT(qpm_garch_forecast(p, 1.0, 3, var, NULL), QPM_E_INVALID,
           "alpha + beta = 0.29999999999999999 + 0.80000000000000004: must be < 1 (covariance "
           "stationary)");

    /* the result struct's size and a fixed mu */
    qpm_garch_result small = new_result();
    small.size = sizeof small - 1;
    char msg[128];
    snprintf(msg, sizeof msg, "out->size = %zu: must be >= sizeof(qpm_garch_result) = %zu",
             sizeof small - 1, sizeof small);
    EXPECT(qpm_garch_fit(20, r, NRM, NULL, &small), QPM_E_INVALID, msg);
    double mu = NAN;
    EXPECT(qpm_garch_fit(20, r, NRM, &mu, &res), QPM_E_NONFINITE,
           "*mu_fixed = nan: must be finite");

    /* returns too large for double */
    double big[20];
    for (int t = 0; t < 20; t++)
        big[t] = 1e200 * r[t];
    EXPECT(qpm_garch_loglik(20, big, NRM, ok, &ll), QPM_E_OVERFLOW,
           "a conditional variance or the log-likelihood is beyond the range of double (returns "
           "too large for these parameters)");
    cr_assert_eq(qpm_garch_fit(20, big, NRM, NULL, &res), QPM_E_OVERFLOW);

    /* outputs untouched by every failure above */
    cr_assert_eq(ll, sentinel);
    cr_assert_eq(res.loglik, sentinel);
    for (int i = 0; i < 21; i++)
        cr_assert_eq(sig[i], sentinel);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(z[i], sentinel);
}

/* No maximum inside the constraints: the first 40 returns of series B
 * under t innovations, whose likelihood grows as nu -> 2 and omega -> inf
 * (the t_2 limit).  QPM_E_NOCONVERGE with the last iterate, inside the
 * constraints, flagged. */
Test(garch, no_interior_maximum_does_not_converge)
{
    qpm_garch_result res = new_result();
    cr_assert_eq(qpm_garch_fit(40, garch_ref_b, TD, NULL, &res), QPM_E_NOCONVERGE);
    expect_noconverge("GARCH fit: the gradient (");
    cr_assert_eq(res.converged, 0);
    cr_assert(res.params[4] > 2.0 && res.params[4] < 2.01, "nu %g", res.params[4]);
    double ll;
    cr_assert_eq(qpm_garch_loglik(40, garch_ref_b, TD, res.params, &ll), QPM_OK);
    cr_assert_eq(ll, res.loglik);
    /* the normal model has its maximum inside */
    cr_assert_eq(qpm_garch_fit(40, garch_ref_b, NRM, NULL, &res), QPM_OK);
    cr_assert_eq(res.converged, 1);
}

/* A short series still fits (n = 10, the minimum), or reports that it
 * did not converge with its last iterate: never garbage. */
Test(garch, short_series_outcome)
{
    double r[10] = {0.01, -0.02, 0.015, -0.001, 0.03, -0.025, 0.004, 0.0, -0.012, 0.02};
    qpm_garch_result res = new_result();
    qpm_status st = qpm_garch_fit(10, r, NRM, NULL, &res);
    cr_assert(st == QPM_OK || st == QPM_E_NOCONVERGE, "%s", qpm_last_error());
    cr_assert_eq(res.converged, st == QPM_OK);
    cr_assert(res.params[1] > 0 && res.params[2] >= 0 && res.params[3] >= 0 &&
              res.params[2] + res.params[3] < 1);
    double ll;
    cr_assert_eq(qpm_garch_loglik(10, r, NRM, res.params, &ll), QPM_OK);
    cr_assert_eq(ll, res.loglik);
}

/* ---- filtered historical simulation with GARCH ------------------------------------ */

/* BTC and ETH: 2 BTC spot and -30 ETH spot, so the P&L of a scenario is
 * 2 S_BTC m_BTC - 30 S_ETH m_ETH with the moves m_u. */
static qpm_book *small_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000.0, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000.0, 0.0, NULL), QPM_OK);
    int32_t ins[2] = {QPM_INSTR_SPOT, QPM_INSTR_SPOT};
    size_t und[2] = {0, 1};
    double q[2] = {2.0, -30.0}, m[2] = {1.0, 1.0};
    cr_assert_eq(qpm_book_add_positions(b, 2, ins, und, NULL, NULL, NULL, q, m, NULL, NULL), QPM_OK,
                 "%s", qpm_last_error());
    return b;
}

/* Returns of two underlyings (row-major, ld 3, a padding column): series A
 * and B of the reference, scaled to daily crypto magnitudes. */
static double *two_columns(size_t t, size_t ld)
{
    double *ret = malloc(t * ld * sizeof *ret);
    cr_assert(ret);
    for (size_t i = 0; i < t; i++) {
        ret[i * ld] = 0.02 * garch_ref_a[i];
        ret[i * ld + 1] = 0.03 * garch_ref_b[i];
        for (size_t k = 2; k < ld; k++)
            ret[i * ld + k] = NAN; /* padding, never read */
    }
    return ret;
}

Test(garch, risk_historical_garch_filter_by_hand)
{
    enum { T = 400, LD = 3 };
    qpm_book *b = small_book();
    double *ret = two_columns(T, LD);
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    const double h = 3.0;
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, h), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_EWMA_LAMBDA, 0.94), QPM_OK); /* not used by GARCH */
    static double p1[T], p2[T], mv[T * 2], col[T], sig[T + 1], z[T], ewma[T];
    double var_e;
    cr_assert_eq(qpm_risk_historical(r, b, T, ret, LD, ewma, &var_e, NULL, NULL, NULL), QPM_OK);
    for (int f = QPM_RISK_FILTER_GARCH; f <= QPM_RISK_FILTER_GARCH_T; f++) {
        qpm_garch_dist dist = f == QPM_RISK_FILTER_GARCH ? NRM : TD;
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_FILTER, f), QPM_OK);
        double var, es, vse, ese;
        cr_assert_eq(qpm_risk_historical(r, b, T, ret, LD, p1, &var, &es, &vse, &ese), QPM_OK, "%s",
                     qpm_last_error());
        /* by hand: fit each column, filter, rescale to the forecast volatility */
        for (int u = 0; u < 2; u++) {
            for (size_t i = 0; i < T; i++)
                col[i] = ret[i * LD + u];
            qpm_garch_result res = new_result();
            cr_assert_eq(qpm_garch_fit(T, col, dist, NULL, &res), QPM_OK);
            cr_assert_eq(qpm_garch_filter(T, col, dist, res.params, sig, z), QPM_OK);
            double mu = res.params[0];
            for (size_t i = 0; i < T; i++)
                mv[i * 2 + u] = expm1(sqrt(h) * (mu + sig[T] * z[i]));
        }
        cr_assert_eq(qpm_book_pnl(b, T, mv, 2, NULL, 0, p2), QPM_OK);
        double worst = 0.0;
        for (size_t i = 0; i < T; i++) {
            double e = fabs(p1[i] - p2[i]) / (fabs(p2[i]) + 1e-9);
            cr_assert(fabs(p1[i] - p2[i]) <= 1e-11 * (fabs(p2[i]) + 60000.0),
                      "row %zu: %.17g %.17g", i, p1[i], p2[i]);
            worst = fmax(worst, e);
        }
        double a = 0.99, v2, e2, loss[T];
        for (size_t i = 0; i < T; i++)
            loss[i] = -p2[i];
        cr_assert_eq(qpm_risk_var_es(NULL, T, loss, 1, &a, &v2, &e2, NULL, NULL), QPM_OK);
        cr_assert(relerr(var, v2) <= 1e-11 && relerr(es, e2) <= 1e-11);
        /* a different filter than the EWMA one */
        cr_assert(memcmp(p1, ewma, sizeof p1) != 0);
        cr_log_info("GARCH-filtered HS (%s): P&L against the hand computation, largest "
                    "relative difference %.3g; VaR %.2f",
                    dist == NRM ? "normal" : "t", worst, var);
    }
    /* back to EWMA: the EWMA run again, bit for bit */
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_FILTER, QPM_RISK_FILTER_EWMA), QPM_OK);
    cr_assert_eq(qpm_risk_historical(r, b, T, ret, LD, p1, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(memcmp(p1, ewma, sizeof p1), 0);
    qpm_risk_free(r);
    qpm_book_free(b);
    free(ret);
}

Test(garch, risk_historical_garch_bad_input)
{
    enum { T = 40, LD = 3 };
    qpm_book *b = small_book();
    double *ret = two_columns(T, LD);
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_FILTER, 3), QPM_E_RANGE);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_FILTER, QPM_RISK_FILTER_GARCH_T), QPM_OK);
    double var = -1.0, pnl[T];
    for (size_t i = 0; i < T; i++)
        pnl[i] = -1.0;
    EXPECT(qpm_risk_historical(r, b, 9, ret, LD, pnl, &var, NULL, NULL, NULL), QPM_E_SIZE,
           "t = 9: the GARCH filter needs at least 10 rows of returns");
    for (size_t i = 0; i < T; i++)
        ret[i * LD + 1] = 0.001;
    EXPECT(qpm_risk_historical(r, b, T, ret, LD, pnl, &var, NULL, NULL, NULL), QPM_E_INVALID,
           "GARCH filter, returns of underlying 1: r is constant (every return = 0.001): zero "
           "variance, no GARCH model");
    cr_assert_eq(var, -1.0);
    for (size_t i = 0; i < T; i++)
        cr_assert_eq(pnl[i], -1.0);
    /* the handle is unchanged and still runs */
    double v;
    cr_assert_eq(qpm_risk_get(r, QPM_RISK_FILTER, &v), QPM_OK);
    cr_assert_eq(v, QPM_RISK_FILTER_GARCH_T);
    free(ret);
    ret = two_columns(T, LD);
    /* the t likelihood of these 40 returns of underlying 1 has no maximum
     * inside the constraints (nu -> 2; see the test below) */
    cr_assert_eq(qpm_risk_historical(r, b, T, ret, LD, pnl, &var, NULL, NULL, NULL),
                 QPM_E_NOCONVERGE);
    expect_noconverge("GARCH filter, returns of underlying 1: GARCH fit: the gradient (");
    cr_assert_eq(var, -1.0);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_FILTER, QPM_RISK_FILTER_GARCH), QPM_OK);
    cr_assert_eq(qpm_risk_historical(r, b, T, ret, LD, pnl, &var, NULL, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert(var > 0.0);
    qpm_risk_free(r);
    qpm_book_free(b);
    free(ret);
}

/* Every allocation of a GARCH-filtered run failing in turn: QPM_E_NOMEM,
 * no leak, and the handle runs again afterwards. */
Test(garch, risk_historical_garch_oom)
{
    enum { T = 60, LD = 2 };
    qpm_book *b = small_book();
    double *ret = two_columns(T, LD);
    int failed = 0;
    for (long k = 0; k < 64; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, -1);
        qpm_risk *r;
        cr_assert_eq(qpm_risk_create(&r, &fa.alloc), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_FILTER, QPM_RISK_FILTER_GARCH), QPM_OK);
        qt_failalloc_only(&fa, k);
        double var;
        qpm_status st = qpm_risk_historical(r, b, T, ret, LD, NULL, &var, NULL, NULL, NULL);
        qt_failalloc_only(&fa, -1);
        if (st == QPM_OK) {
            qpm_risk_free(r);
            cr_assert_eq(fa.live, 0);
            break;
        }
        cr_assert_eq(st, QPM_E_NOMEM, "k = %ld: %s", k, qpm_last_error());
        failed++;
        cr_assert_eq(qpm_risk_historical(r, b, T, ret, LD, NULL, &var, NULL, NULL, NULL), QPM_OK);
        qpm_risk_free(r);
        cr_assert_eq(fa.live, 0, "k = %ld: %ld blocks leaked", k, fa.live);
    }
    cr_assert_geq(failed, 2);
    qpm_book_free(b);
    free(ret);
    cr_assert_eq(qt_leak_check(), 0);
}
