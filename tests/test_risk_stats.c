/* risk: properties of the stateless statistics (selection against a full
 * sort, ties, standard errors against their asymptotic values, moments and
 * parametric identities, delta-gamma cumulants against closed forms and
 * simulation), bad input, and allocation failure. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/risk.h"
#include "qpm/rng.h"
#include "support/testutil.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reference: sort, then the README formulas in long double. */
static void ref_var_es(const double *x, size_t n, size_t k, double alpha_n, double *var,
                       long double *es)
{
    double *s = malloc(n * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp);
    *var = s[k - 1];
    long double sum = 0;
    for (size_t i = k; i < n; i++)
        sum += s[i];
    long double w = (long double)k - (long double)alpha_n;
    sum += w * s[k - 1];
    *es = sum / ((long double)n - (long double)alpha_n);
    free(s);
}

Test(risk_stats, selection_matches_sort_with_ties)
{
    qpm_rng *g;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 7), QPM_OK);
    /* from 16384 on, ranks in the upper half split off the tail first */
    size_t sizes[] = {1, 2, 3, 10, 25, 100, 129, 1000, 4097, 16384, 16385, 100003};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = sizes[t];
        double *x = malloc(n * sizeof *x), *u = malloc(n * sizeof *u);
        for (int kind = 0; kind < 6; kind++) {
            cr_assert_eq(qpm_rng_uniform(g, n, u), QPM_OK);
            size_t step = n / 2048 > 0 ? n / 2048 : 1;
            for (size_t i = 0; i < n; i++) {
                if (kind == 0)
                    x[i] = u[i] * 1000.0 - 300.0;          /* distinct */
                else if (kind == 1)
                    x[i] = floor(u[i] * 5.0);              /* many ties */
                else if (kind == 2)
                    x[i] = (double)i;                      /* sorted */
                else if (kind == 3)
                    x[i] = 42.0;                           /* constant */
                else if (kind == 4)
                    x[i] = (double)(n - i);                /* reversed */
                else /* the tail split's subsample all in the tail: its margin misses */
                    x[i] = i % step == 0 ? 1e6 + u[i] : u[i];
            }
            /* levels whose alpha n is whole (0.5, 0.75 on even n) and not */
            double alpha[] = {0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.999, 0.9999, 1e-9};
            size_t m = sizeof alpha / sizeof alpha[0];
            double var[16], es[16];
            cr_assert_eq(qpm_risk_var_es(NULL, n, x, m, alpha, var, es, NULL, NULL), QPM_OK);
            for (size_t j = 0; j < m; j++) {
                /* k = ceil(alpha n) in exact rational arithmetic: alpha has
                 * few decimals, so alpha n is computed exactly via
                 * integers (alpha * 10^4 is whole except for 1e-9) */
                double an;
                size_t k;
                if (alpha[j] < 1e-6) {
                    an = alpha[j] * (double)n;
                    k = 1;
                } else {
                    unsigned long long a4 = (unsigned long long)llround(alpha[j] * 10000.0);
                    unsigned long long num = a4 * n;
                    k = (size_t)((num + 9999) / 10000);
                    an = (double)num / 10000.0;
                }
                double rv;
                long double re;
                ref_var_es(x, n, k, an, &rv, &re);
                cr_assert_eq(var[j], rv, "n %zu kind %d alpha %g: var %g expected %g", n, kind,
                             alpha[j], var[j], rv);
                cr_assert(fabsl(es[j] - re) <= 1e-13L * fabsl(re) + 1e-300L,
                          "n %zu kind %d alpha %g: es %.17g expected %.17Lg", n, kind, alpha[j],
                          es[j], re);
                cr_assert(es[j] >= var[j]);
            }
        }
        free(x);
        free(u);
    }
    qpm_rng_free(g);
}

/* Standard normal losses: the standard errors against their asymptotic
 * values, sqrt(a(1-a)/N)/phi(z) for VaR and
 * sqrt((V_tail + a (ES - VaR)^2) / (N (1 - a))) for ES, where for N(0,1)
 * ES = phi(z)/(1-a) and V_tail = 1 + z ES - ES^2.  With N = 200000 the
 * sparsity estimate has a relative error of about (N h)^-1/2 ~ 5 % and the
 * tail variance ~ 2 %: 20 % and 10 % leave a wide margin. */
Test(risk_stats, standard_errors_normal_sample)
{
    size_t n = 200000;
    double *x = malloc(n * sizeof *x);
    qpm_rng *g;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 11), QPM_OK);
    cr_assert_eq(qpm_rng_normal(g, n, x), QPM_OK);
    double alpha[] = {0.95, 0.99};
    double var[2], es[2], vse[2], ese[2];
    cr_assert_eq(qpm_risk_var_es(NULL, n, x, 2, alpha, var, es, vse, ese), QPM_OK);
    for (int j = 0; j < 2; j++) {
        double a = alpha[j], z = qpm_norm_inv(a);
        double phi = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
        double true_es = phi / (1.0 - a);
        double vt = 1.0 + z * true_es - true_es * true_es;
        double se_v = sqrt(a * (1.0 - a) / (double)n) / phi;
        double se_e = sqrt((vt + a * (true_es - z) * (true_es - z)) / ((double)n * (1.0 - a)));
        cr_assert(fabs(vse[j] / se_v - 1.0) < 0.2, "alpha %g: var se %g, asymptotic %g", a,
                  vse[j], se_v);
        cr_assert(fabs(ese[j] / se_e - 1.0) < 0.1, "alpha %g: es se %g, asymptotic %g", a,
                  ese[j], se_e);
        /* and the estimates lie within 5 standard errors of the truth */
        cr_assert(fabs(var[j] - z) < 5.0 * se_v);
        cr_assert(fabs(es[j] - true_es) < 5.0 * se_e);
    }
    free(x);
    qpm_rng_free(g);
}

Test(risk_stats, moments_properties)
{
    double c[5] = {3, 3, 3, 3, 3};
    double mu, sd, sk, ku;
    cr_assert_eq(qpm_risk_moments(5, c, &mu, &sd, &sk, &ku), QPM_OK);
    cr_assert(mu == 3.0 && sd == 0.0 && isnan(sk) && isnan(ku));
    /* n = 1: mean only */
    cr_assert_eq(qpm_risk_moments(1, c, &mu, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(mu, 3.0);
    cr_assert_eq(qpm_risk_moments(1, c, &mu, &sd, NULL, NULL), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(),
                     "n = 1: the standard deviation (ddof = 1) needs n >= 2");
    /* {1, 2, 3, 10}: mean 4, m2 = 12.5, m3 = 45, m4 = 348.5 (by hand:
     * deviations -3 -2 -1 6) */
    double y[4] = {1, 2, 3, 10};
    double m2, m3, m4;
    cr_assert_eq(qpm_risk_central_moments(4, y, &m2, &m3, &m4), QPM_OK);
    cr_assert(m2 == 12.5 && m3 == 45.0 && m4 == 348.5, "%g %g %g", m2, m3, m4);
    cr_assert_eq(qpm_risk_central_moments(4, y, NULL, NULL, NULL), QPM_OK);
    /* shift invariance of the central moments far from 0 */
    double z[4] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 10};
    cr_assert_eq(qpm_risk_moments(4, z, &mu, &sd, &sk, &ku), QPM_OK);
    cr_assert_eq(mu, 1e9 + 4);
    cr_assert(fabs(sk - 45.0 / pow(12.5, 1.5)) < 1e-14);
    cr_assert(fabs(ku - (348.5 / 156.25 - 3.0)) < 1e-14);
    /* overflow */
    double big[3] = {1e308, 1.5e308, 1e308};
    cr_assert_eq(qpm_risk_moments(3, big, &mu, NULL, NULL, NULL), QPM_E_INVALID);
    double big2[2] = {1e200, -1e200};
    cr_assert_eq(qpm_risk_moments(2, big2, &mu, &sd, NULL, NULL), QPM_E_INVALID);
}

Test(risk_stats, parametric_properties)
{
    double mu[3] = {0.0, 10.0, -2.0}, sg[3] = {1.0, 0.0, 3.0}, al[3] = {0.99, 0.95, 0.5};
    double vn[3], en[3], vc[3];
    cr_assert_eq(qpm_risk_parametric(3, mu, sg, NULL, NULL, al, vn, en, vc), QPM_OK);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(vn[i], vc[i], "no skew or kurtosis: Cornish-Fisher is the normal VaR");
    cr_assert_eq(vn[1], 10.0);
    cr_assert_eq(en[1], 10.0);
    cr_assert_eq(vn[2], -2.0); /* alpha 0.5: the mean */
    cr_assert(fabs(en[2] - (-2.0 + 3.0 * 2.0 / sqrt(2.0 * M_PI))) < 1e-15 * 8);
    /* outputs optional */
    cr_assert_eq(qpm_risk_parametric(3, mu, sg, NULL, NULL, al, NULL, NULL, NULL), QPM_OK);
}

/* One underlying: Q = d x + g x^2 / 2, x ~ N(0, s^2) has mean g s^2/2,
 * variance d^2 s^2 + g^2 s^4 / 2 and third cumulant 3 d^2 g s^4 + g^3 s^6,
 * fourth 12 d^2 g^2 s^6 + 3 g^4 s^8 (from the moment generating function;
 * the loss is -Q). */
Test(risk_stats, delta_gamma_one_underlying_closed_form)
{
    double d = 1500.0, g = -40000.0, cov = 0.0009, h = 2.0;
    double s2 = cov * h;
    double vdn, vdg, mom[4];
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 1, &d, &g, &cov, 1, h, 0.99, &vdn, &vdg, mom), QPM_OK);
    double k1 = g * s2 / 2, k2 = d * d * s2 + g * g * s2 * s2 / 2;
    double k3 = 3 * d * d * g * s2 * s2 + g * g * g * s2 * s2 * s2;
    double k4 = 12 * d * d * g * g * s2 * s2 * s2 + 3 * g * g * g * g * s2 * s2 * s2 * s2;
    cr_assert(fabs(mom[0] - (-k1)) <= 1e-14 * fabs(k1));
    cr_assert(fabs(mom[1] - sqrt(k2)) <= 1e-14 * sqrt(k2));
    cr_assert(fabs(mom[2] - (-k3 / pow(k2, 1.5))) <= 1e-13 * fabs(k3 / pow(k2, 1.5)));
    cr_assert(fabs(mom[3] - k4 / (k2 * k2)) <= 1e-13 * (k4 / (k2 * k2)));
    double z = qpm_norm_inv(0.99);
    cr_assert(fabs(vdn - z * fabs(d) * sqrt(s2)) <= 1e-14 * vdn);
    /* with the moments from above, var_dg is their Cornish-Fisher VaR */
    double cf;
    cr_assert_eq(qpm_risk_parametric(1, &mom[0], &mom[1], &mom[2], &mom[3], (double[]){0.99},
                                     NULL, NULL, &cf), QPM_OK);
    cr_assert(fabs(vdg - cf) <= 1e-13 * fabs(cf));
    /* no gamma: delta-gamma is delta-normal */
    double g0 = 0.0;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 1, &d, &g0, &cov, 1, h, 0.99, &vdn, &vdg, NULL),
                 QPM_OK);
    cr_assert(fabs(vdg - vdn) <= 1e-14 * vdn);
}

/* Three correlated underlyings: the cumulants against the sample moments of
 * 400000 simulated quadratic P&Ls (standard errors of the sample mean, std,
 * skewness and kurtosis are ~0.2 %, 0.2 %, 0.01 and 0.05 of their scale here;
 * the thresholds are 5 of those). */
Test(risk_stats, delta_gamma_matches_simulation)
{
    double cov[9] = {0.0016, 0.0009, 0.0004, 0.0009, 0.0025, 0.0006, 0.0004, 0.0006, 0.0036};
    double d[3] = {1000, -500, 300}, gm[3] = {20000, 5000, -30000};
    double vdn, vdg, mom[4];
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 3, d, gm, cov, 3, 1.0, 0.99, &vdn, &vdg, mom), QPM_OK);
    /* Cholesky of cov by hand */
    double l[9] = {0};
    for (int j = 0; j < 3; j++) {
        double s = cov[j * 3 + j];
        for (int k = 0; k < j; k++)
            s -= l[j * 3 + k] * l[j * 3 + k];
        l[j * 3 + j] = sqrt(s);
        for (int i = j + 1; i < 3; i++) {
            double t = cov[i * 3 + j];
            for (int k = 0; k < j; k++)
                t -= l[i * 3 + k] * l[j * 3 + k];
            l[i * 3 + j] = t / l[j * 3 + j];
        }
    }
    size_t n = 400000;
    double *loss = malloc(n * sizeof *loss), e[3];
    qpm_rng *g;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 5), QPM_OK);
    for (size_t s = 0; s < n; s++) {
        qpm_rng_normal(g, 3, e);
        double pnl = 0.0;
        for (int i = 0; i < 3; i++) {
            double x = 0.0;
            for (int k = 0; k <= i; k++)
                x += l[i * 3 + k] * e[k];
            pnl += d[i] * x + 0.5 * gm[i] * x * x;
        }
        loss[s] = -pnl;
    }
    double mu, sd, sk, ku;
    cr_assert_eq(qpm_risk_moments(n, loss, &mu, &sd, &sk, &ku), QPM_OK);
    cr_assert(fabs(mu - mom[0]) < 5 * sd / sqrt((double)n), "mean %g vs %g", mu, mom[0]);
    cr_assert(fabs(sd / mom[1] - 1) < 0.01, "std %g vs %g", sd, mom[1]);
    cr_assert(fabs(sk - mom[2]) < 0.05, "skew %g vs %g", sk, mom[2]);
    cr_assert(fabs(ku - mom[3]) < 0.25, "exkurt %g vs %g", ku, mom[3]);
    free(loss);
    qpm_rng_free(g);
}

Test(risk_stats, bad_input)
{
    double x[4] = {1, 2, 3, 4}, a = 0.9, v = -1, e = -1;
    cr_assert_eq(qpm_risk_var_es(NULL, 4, NULL, 1, &a, &v, &e, NULL, NULL), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "losses is NULL");
    cr_assert_eq(qpm_risk_var_es(NULL, 4, x, 1, NULL, &v, &e, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_var_es(NULL, 0, x, 1, &a, &v, &e, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_risk_var_es(NULL, 4, x, 0, &a, &v, &e, NULL, NULL), QPM_E_SIZE);
    x[2] = (double)NAN;
    cr_assert_eq(qpm_risk_var_es(NULL, 4, x, 1, &a, &v, &e, NULL, NULL), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "losses[2] = nan: must be finite");
    x[2] = 3;
    double bad[3] = {0.5, 1.0, 0.2};
    cr_assert_eq(qpm_risk_var_es(NULL, 4, x, 3, bad, &v, &e, NULL, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "alpha[1] = 1: must be in (0, 1)");
    bad[1] = (double)NAN;
    cr_assert_eq(qpm_risk_var_es(NULL, 4, x, 3, bad, &v, &e, NULL, NULL), QPM_E_NONFINITE);
    bad[1] = 0.0;
    cr_assert_eq(qpm_risk_var_es(NULL, 4, x, 3, bad, &v, &e, NULL, NULL), QPM_E_INVALID);
    cr_assert(v == -1 && e == -1, "outputs untouched on failure");
    qpm_alloc badalloc = {0};
    cr_assert_eq(qpm_risk_var_es(&badalloc, 4, x, 1, &a, &v, &e, NULL, NULL), QPM_E_INVALID);

    cr_assert_eq(qpm_risk_moments(4, NULL, &v, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "x is NULL");
    cr_assert_eq(qpm_risk_moments(0, x, &v, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_risk_central_moments(0, x, &v, NULL, NULL), QPM_E_SIZE);
    x[3] = (double)INFINITY;
    cr_assert_eq(qpm_risk_moments(4, x, &v, NULL, NULL, NULL), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "x[3] = inf: must be finite");
    cr_assert_eq(qpm_risk_central_moments(4, x, &v, NULL, NULL), QPM_E_NONFINITE);
    x[3] = 4;

    double mu[2] = {0, 0}, sg[2] = {1, 1}, sk[2] = {0, 0}, ku[2] = {0, 0}, al[2] = {0.9, 0.99};
    double o[2] = {-7, -7};
    cr_assert_eq(qpm_risk_parametric(2, NULL, sg, sk, ku, al, o, o, o), QPM_E_NULL);
    cr_assert_eq(qpm_risk_parametric(2, mu, NULL, sk, ku, al, o, o, o), QPM_E_NULL);
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ku, NULL, o, o, o), QPM_E_NULL);
    cr_assert_eq(qpm_risk_parametric(0, mu, sg, sk, ku, al, o, o, o), QPM_E_SIZE);
    sg[1] = -1;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ku, al, o, o, o), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "sigma[1] = -1: must be >= 0");
    sg[1] = 1;
    mu[0] = (double)NAN;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ku, al, o, o, o), QPM_E_NONFINITE);
    mu[0] = 0;
    sk[1] = (double)INFINITY;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ku, al, o, o, o), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "skew[1] = inf: must be finite");
    sk[1] = 0;
    ku[0] = (double)NAN;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ku, al, o, o, o), QPM_E_NONFINITE);
    ku[0] = 0;
    al[1] = 1.5;
    cr_assert_eq(qpm_risk_parametric(2, mu, sg, sk, ku, al, o, o, o), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "alpha[1] = 1.5: must be in (0, 1)");
    cr_assert(o[0] == -7 && o[1] == -7);

    double d[2] = {1, 2}, gm[2] = {0, 0}, c[4] = {1, 0.5, 0.5, 1}, r1, r2;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, NULL, gm, c, 2, 1, 0.99, &r1, &r2, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, NULL, c, 2, 1, 0.99, &r1, &r2, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, NULL, 2, 1, 0.99, &r1, &r2, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 0, d, gm, c, 2, 1, 0.99, &r1, &r2, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 1, 1, 0.99, &r1, &r2, NULL), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "ld = 1: must be >= n = 2");
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, 0, 0.99, &r1, &r2, NULL),
                 QPM_E_INVALID);
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, (double)NAN, 0.99, &r1, &r2, NULL),
                 QPM_E_NONFINITE);
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, 1, 1.0, &r1, &r2, NULL),
                 QPM_E_INVALID);
    c[1] = 0.6;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, 1, 0.99, &r1, &r2, NULL),
                 QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "cov[1][0] = 0.5 differs from cov[0][1] = 0.59999999999999998: must be "
                     "symmetric");
    c[1] = 0.5;
    c[3] = -1;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, 1, 0.99, &r1, &r2, NULL),
                 QPM_E_INVALID);
    c[3] = (double)NAN;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, 1, 0.99, &r1, &r2, NULL),
                 QPM_E_NONFINITE);
    c[3] = 1;
    d[1] = (double)INFINITY;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 2, d, gm, c, 2, 1, 0.99, &r1, &r2, NULL),
                 QPM_E_NONFINITE);
}

/* Every allocation of the functions that take an allocator fails in turn:
 * QPM_E_NOMEM, nothing leaks, outputs untouched; then success. */
Test(risk_stats, oom)
{
    double x[6] = {5, 1, 4, 2, 3, 6}, a = 0.5, v = -1, e = -1;
    for (long k = 0;; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, k);
        qpm_status st = qpm_risk_var_es(&fa.alloc, 6, x, 1, &a, &v, &e, NULL, NULL);
        cr_assert_eq(fa.live, 0);
        if (st == QPM_OK)
            break;
        cr_assert_eq(st, QPM_E_NOMEM);
        cr_assert(v == -1 && e == -1);
        cr_assert_lt(k, 10);
    }
    cr_assert(v == 3 && e == 5, "%g %g", v, e);
    double d[2] = {1, 2}, gm[2] = {1, 1}, c[4] = {1, 0.5, 0.5, 1}, r1 = -1;
    for (long k = 0;; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, k);
        qpm_status st = qpm_risk_delta_gamma(&fa.alloc, 2, d, gm, c, 2, 1, 0.99, &r1, NULL, NULL);
        cr_assert_eq(fa.live, 0);
        if (st == QPM_OK)
            break;
        cr_assert_eq(st, QPM_E_NOMEM);
        cr_assert_eq(r1, -1);
        cr_assert_lt(k, 10);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
