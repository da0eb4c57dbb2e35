/* rng distributions: uniforms (resolution, open interval, exact bit
 * mapping), normals, Student-t, gamma and Poisson variates against their exact
 * distributions.
 *
 * Every statistical check uses a fixed seed, so the tests are deterministic;
 * the thresholds are set so that a correct generator would fail them with
 * probability at most about 1e-6 (the false-alarm rate if the seed were
 * random):
 *  - Kolmogorov-Smirnov: the Dvoretzky-Kiefer-Wolfowitz-Massart inequality
 *    P(sup |F_n - F| > e) <= 2 exp(-2 n e^2) holds for every n, so
 *    e = sqrt(ln(2 / 1e-6) / (2 n)) bounds the false-alarm rate by 1e-6
 *    (n = 1e6: 0.00269; n = 2e5: 0.00602).
 *  - Moments: 6 standard errors (normal tail 2e-9) from the exact moments of
 *    the distribution (standard errors given beside each check).
 *  - Chi-square: the 1 - 1e-6 quantile of chi2(df) by Wilson-Hilferty, bins
 *    with at least 20 expected counts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/rng.h"
#include "support/testutil.h"

static const qpm_rng_kind kinds[] = {QPM_RNG_PCG64DXSM, QPM_RNG_PCG64, QPM_RNG_PCG32};
#define NKINDS (sizeof kinds / sizeof kinds[0])
#define BIG    1000000
#define MID    200000

static qpm_rng *make(qpm_rng_kind kind, uint64_t seed)
{
    qpm_rng *r;
    cr_assert_eq(qpm_rng_create(&r, NULL, kind, 0, seed, 0, 0x2026u), QPM_OK);
    return r;
}

static double *buf(size_t n)
{
    double *x = malloc(n * sizeof *x);
    cr_assert_not_null(x);
    return x;
}

/* ---- statistics ----------------------------------------------------------- */

typedef struct moments {
    double mean, var, skew, exkurt;
} moments;

static moments moments_of(const double *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n, m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m, d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    m2 /= (double)n;
    m3 /= (double)n;
    m4 /= (double)n;
    moments r = {m, m2 * (double)n / (double)(n - 1), m3 / pow(m2, 1.5), m4 / (m2 * m2) - 3.0};
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sup |F_n - F| over the sample (sorted in place). */
static double ks_stat(double *x, size_t n, double (*cdf)(double, const void *), const void *ctx)
{
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = cdf(x[i], ctx);
        d = fmax(d, fmax(f - (double)i / (double)n, (double)(i + 1) / (double)n - f));
    }
    return d;
}

static double dkw(size_t n)
{
    return sqrt(log(2.0 / 1e-6) / (2.0 * (double)n));
}

static void check_ks(double *x, size_t n, double (*cdf)(double, const void *), const void *ctx,
                     const char *what)
{
    double d = ks_stat(x, n, cdf, ctx), crit = dkw(n);
    cr_assert_lt(d, crit, "%s: KS D = %.5f >= %.5f (n = %zu)", what, d, crit, n);
    cr_log_info("%s: KS D = %.5f (critical %.5f)", what, d, crit);
}

/* 1 - 1e-6 quantile of chi-square(df), Wilson-Hilferty. */
static double chi2_crit(double df)
{
    const double z = 4.753424308822899; /* upper 1e-6 standard normal quantile */
    double h = 2.0 / (9.0 * df);
    double c = 1.0 - h + z * sqrt(h);
    return df * c * c * c;
}

/* ---- reference CDFs --------------------------------------------------------- */

static double normal_cdf(double x, const void *ctx)
{
    (void)ctx;
    return 0.5 * erfc(-x * M_SQRT1_2);
}

static double uniform_cdf(double x, const void *ctx)
{
    (void)ctx;
    return x;
}

/* Student-t CDF for even nu: F = 1/2 + sin(th)/2 * sum_{k < nu/2} c_k cos^2k(th),
 * th = atan(t / sqrt(nu)), c_0 = 1, c_k = c_{k-1} (2k - 1) / (2k). */
static double t_cdf_even(double t, const void *ctx)
{
    int nu = *(const int *)ctx;
    double th = atan(t / sqrt((double)nu)), c2 = cos(th) * cos(th);
    double term = 1.0, sum = 1.0;
    for (int k = 1; k < nu / 2; k++) {
        term *= c2 * (2.0 * k - 1.0) / (2.0 * k);
        sum += term;
    }
    return 0.5 + 0.5 * sin(th) * sum;
}

static double cauchy_cdf(double t, const void *ctx)
{
    (void)ctx;
    return 0.5 + atan(t) / M_PI;
}

/* Regularised incomplete beta I_x(a, b) by the continued fraction (modified
 * Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it converges
 * faster.  Checked below against closed forms. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    d = 1.0 / (fabs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m < 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15)
            break;
    }
    return h;
}

static double ibeta(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

static double t_cdf(double t, const void *ctx)
{
    double nu = *(const double *)ctx;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    double tail = 0.5 * ibeta(0.5 * nu, 0.5, nu / (nu + t * t));
    return t < 0 ? tail : 1.0 - tail;
}

/* Regularised lower incomplete gamma P(a, x): series below a + 1, continued
 * fraction for Q above. */
static double gamma_p(double a, double x)
{
    if (x <= 0.0)
        return 0.0;
    double lpre = -x + a * log(x) - lgamma(a);
    if (x < a + 1.0) {
        double ap = a, del = 1.0 / a, sum = del;
        for (int k = 0; k < 100000; k++) {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-16)
                break;
        }
        return sum * exp(lpre);
    }
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 100000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = b + an / c;
        c = fabs(c) < tiny ? tiny : c;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16)
            break;
    }
    return 1.0 - exp(lpre) * h;
}

static double gamma_cdf(double x, const void *ctx)
{
    return gamma_p(*(const double *)ctx, x);
}

Test(rng_dist, reference_cdfs_agree_with_closed_forms)
{
    /* the test's own incomplete beta / gamma against closed forms */
    int four = 4, two = 2;
    double nu4 = 4.0, nu1 = 1.0, nu2 = 2.0;
    for (double t = -60.0; t <= 60.0; t += 0.37) {
        cr_assert_lt(fabs(t_cdf(t, &nu4) - t_cdf_even(t, &four)), 1e-12, "t = %g", t);
        cr_assert_lt(fabs(t_cdf(t, &nu1) - cauchy_cdf(t, NULL)), 1e-12, "t = %g", t);
        cr_assert_lt(fabs(t_cdf(t, &nu2) - (0.5 + t / (2.0 * sqrt(2.0 + t * t)))), 1e-12);
        cr_assert_lt(fabs(t_cdf_even(t, &two) - (0.5 + t / (2.0 * sqrt(2.0 + t * t)))), 1e-14);
    }
    for (double x = 1e-6; x < 60.0; x *= 1.21) {
        cr_assert_lt(fabs(gamma_p(1.0, x) - (-expm1(-x))), 1e-13, "x = %g", x);
        cr_assert_lt(fabs(gamma_p(0.5, x) - erf(sqrt(x))), 1e-13, "x = %g", x);
        cr_assert_lt(fabs(gamma_p(2.0, x) - (1.0 - exp(-x) * (1.0 + x))), 1e-13, "x = %g", x);
    }
}

/* ---- uniforms ------------------------------------------------------------- */

Test(rng_dist, uniforms_have_53_bits_and_the_documented_mapping)
{
    for (size_t g = 0; g < NKINDS; g++) {
        const char *name = qpm_rng_kind_name(kinds[g]);
        qpm_rng *a = make(kinds[g], 1), *b = make(kinds[g], 1);
        double *u = buf(BIG);
        cr_assert_eq(qpm_rng_uniform(a, BIG, u), QPM_OK);
        size_t odd = 0;
        for (size_t i = 0; i < BIG; i++) {
            cr_assert(u[i] >= 0.0 && u[i] < 1.0, "%s: u = %.17g", name, u[i]);
            double k = u[i] * 0x1.0p53;
            cr_assert_eq(k, floor(k), "%s: not a multiple of 2^-53", name);
            odd += fmod(k, 2.0) == 1.0;
        }
        /* the lowest of the 53 bits is random: binomial(1e6, 1/2), sd 500 */
        cr_assert(odd > 497000 && odd < 503000, "%s: %zu odd of 1e6", name, odd);
        /* the exact bit mapping documented in rng.h, from the raw outputs */
        uint64_t raw[64];
        double v[32];
        cr_assert_eq(qpm_rng_uniform(b, 0, NULL), QPM_OK);
        cr_assert_eq(qpm_rng_raw(b, kinds[g] == QPM_RNG_PCG32 ? 64 : 32, raw), QPM_OK);
        for (size_t i = 0; i < 32; i++) {
            uint64_t k = kinds[g] == QPM_RNG_PCG32
                             ? ((raw[2 * i] >> 5) << 26) | (raw[2 * i + 1] >> 6)
                             : raw[i] >> 11;
            v[i] = (double)k * 0x1.0p-53;
            cr_assert(v[i] == u[i], "%s: uniform[%zu] does not follow the raw outputs", name, i);
        }
        moments m = moments_of(u, BIG);
        /* mean 1/2 (se 2.9e-4), variance 1/12 (se 7.5e-5) */
        cr_assert_lt(fabs(m.mean - 0.5), 6 * 2.887e-4, "%s: mean %.6f", name, m.mean);
        cr_assert_lt(fabs(m.var - 1.0 / 12.0), 6 * 7.454e-5, "%s: var %.6f", name, m.var);
        check_ks(u, BIG, uniform_cdf, NULL, name);
        free(u);
        qpm_rng_free(a);
        qpm_rng_free(b);
    }
}

/* Puts each generator in a state whose next 53 bits are all 0. */
static qpm_rng *zero_bits_state(qpm_rng_kind kind)
{
    qpm_rng *r = make(kind, 5);
    switch (kind) {
    case QPM_RNG_PCG64DXSM: /* output of the old state: hi = 0 gives 0 */
        cr_assert_eq(qpm_rng_set_state(r, 0, 12345, 0, 1), QPM_OK);
        break;
    case QPM_RNG_PCG64: /* output of the new state: 0 gives 0; step back one to reach it */
        cr_assert_eq(qpm_rng_set_state(r, 0, 0, 0x55u, 0x12345u), QPM_OK);
        cr_assert_eq(qpm_rng_advance(r, UINT64_MAX, UINT64_MAX), QPM_OK);
        break;
    default: /* state 0, inc 1: the outputs of states 0 and 1 are both 0 */
        cr_assert_eq(qpm_rng_set_state(r, 0, 0, 0, 1), QPM_OK);
        break;
    }
    return r;
}

Test(rng_dist, open_uniforms_never_return_0_or_1)
{
    for (size_t g = 0; g < NKINDS; g++) {
        const char *name = qpm_rng_kind_name(kinds[g]);
        /* the rare zero draw: uniform gives exactly 0, uniform_open skips it */
        qpm_rng *a = zero_bits_state(kinds[g]), *b = zero_bits_state(kinds[g]);
        qpm_rng *c = zero_bits_state(kinds[g]);
        double u0, uo, un[2];
        cr_assert_eq(qpm_rng_uniform(a, 1, &u0), QPM_OK);
        cr_assert(u0 == 0.0, "%s: crafted state gives %.17g", name, u0);
        cr_assert_eq(qpm_rng_uniform_open(b, 1, &uo), QPM_OK);
        cr_assert_eq(qpm_rng_uniform(c, 2, un), QPM_OK);
        cr_assert(uo == un[1] && uo > 0.0, "%s: open variant must redraw", name);
        qpm_rng_free(a);
        a = zero_bits_state(kinds[g]);
        double z;
        cr_assert_eq(qpm_rng_normal(a, 1, &z), QPM_OK);
        cr_assert(isfinite(z) && z == qpm_norm_inv(un[1]), "%s: normal of the zero draw", name);
        qpm_rng_free(a);
        qpm_rng_free(b);
        qpm_rng_free(c);

        /* 1e6 draws: all strictly inside, extremes within [2^-53, 1 - 2^-53] */
        qpm_rng *r = make(kinds[g], 2);
        double *u = buf(BIG);
        cr_assert_eq(qpm_rng_uniform_open(r, BIG, u), QPM_OK);
        for (size_t i = 0; i < BIG; i++) {
            if (!(u[i] >= 0x1.0p-53 && u[i] <= 1.0 - 0x1.0p-53))
                cr_assert_fail("%s: open uniform %.17g at %zu", name, u[i], i);
            double k = u[i] * 0x1.0p53;
            cr_assert_eq(k, floor(k));
        }
        check_ks(u, BIG, uniform_cdf, NULL, name);
        free(u);
        qpm_rng_free(r);
    }
}

/* ---- normals ------------------------------------------------------------- */

Test(rng_dist, normals_are_inversions_of_open_uniforms)
{
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *a = make(kinds[g], 3), *b = make(kinds[g], 3);
        double z[500], u[500];
        cr_assert_eq(qpm_rng_normal(a, 1, z), QPM_OK); /* n = 1: the scalar case */
        cr_assert_eq(qpm_rng_normal(a, 499, z + 1), QPM_OK);
        cr_assert_eq(qpm_rng_uniform_open(b, 500, u), QPM_OK);
        for (int i = 0; i < 500; i++) {
            double w = qpm_norm_inv(u[i]);
            cr_assert(memcmp(&w, &z[i], sizeof w) == 0, "%s: normal[%d]",
                      qpm_rng_kind_name(kinds[g]), i);
        }
        qpm_rng_free(a);
        qpm_rng_free(b);
    }
}

Test(rng_dist, normal_moments_and_ks)
{
    for (size_t g = 0; g < NKINDS; g++) {
        const char *name = qpm_rng_kind_name(kinds[g]);
        qpm_rng *r = make(kinds[g], 4);
        double *z = buf(BIG);
        cr_assert_eq(qpm_rng_normal(r, BIG, z), QPM_OK);
        for (size_t i = 0; i < BIG; i++)
            cr_assert(fabs(z[i]) < 8.20954, "%s: |z| = %.17g", name, z[i]);
        moments m = moments_of(z, BIG);
        /* se: mean 1e-3, variance sqrt(2/n) = 1.414e-3, skewness sqrt(6/n) =
         * 2.449e-3, excess kurtosis sqrt(24/n) = 4.899e-3 */
        cr_assert_lt(fabs(m.mean), 6 * 1e-3, "%s: mean %.5f", name, m.mean);
        cr_assert_lt(fabs(m.var - 1.0), 6 * 1.414e-3, "%s: var %.5f", name, m.var);
        cr_assert_lt(fabs(m.skew), 6 * 2.449e-3, "%s: skew %.5f", name, m.skew);
        cr_assert_lt(fabs(m.exkurt), 6 * 4.899e-3, "%s: kurt %.5f", name, m.exkurt);
        check_ks(z, BIG, normal_cdf, NULL, name);
        free(z);
        qpm_rng_free(r);
    }
}

/* ---- Student-t ------------------------------------------------------------ */

/* the documented construction, value by value on a second generator: a
 * normal by inversion, then 2 Gamma(nu / 2), T = Z sqrt((nu / 2) / G) */
Test(rng_dist, student_t_is_its_documented_construction)
{
    const double nus[] = {4.0, 5.5, 30.0};
    for (size_t j = 0; j < 3; j++) {
        qpm_rng *a = make(QPM_RNG_PCG64DXSM, 21), *b = make(QPM_RNG_PCG64DXSM, 21);
        enum { NS = 600 }; /* several passes */
        double t[NS];
        cr_assert_eq(qpm_rng_student_t(a, NS, nus[j], t), QPM_OK);
        for (int i = 0; i < NS; i++) {
            double z, g;
            cr_assert_eq(qpm_rng_normal(b, 1, &z), QPM_OK);
            cr_assert_eq(qpm_rng_gamma(b, 1, 0.5 * nus[j], &g), QPM_OK);
            double x = z * sqrt(0.5 * nus[j] / g);
            cr_assert(memcmp(&x, &t[i], sizeof x) == 0, "nu = %g, value %d: %.17g against %.17g",
                      nus[j], i, t[i], x);
        }
        qpm_rng_free(a);
        qpm_rng_free(b);
    }
}

Test(rng_dist, student_t_even_nu_ks)
{
    const int nus[] = {4, 10};
    for (size_t j = 0; j < 2; j++) {
        qpm_rng *r = make(QPM_RNG_PCG64DXSM, 10 + j);
        double *t = buf(BIG);
        cr_assert_eq(qpm_rng_student_t(r, BIG, (double)nus[j], t), QPM_OK);
        if (nus[j] == 10) {
            moments m = moments_of(t, BIG);
            /* nu = 10: variance 1.25, mu4 = 6.25, mu6 = 78.125, mu8 = 2734.375;
             * se: mean sqrt(1.25/n) = 1.118e-3, variance sqrt((mu4 - 1.25^2)/n) =
             * 2.165e-3, skewness sqrt(mu6/1.25^3/n) = 6.32e-3, excess kurtosis
             * (exact value 1) ~ sqrt((mu8 - mu4^2)/1.25^4/n) = 0.033: allow 0.25 */
            cr_assert_lt(fabs(m.mean), 6 * 1.118e-3, "mean %.5f", m.mean);
            cr_assert_lt(fabs(m.var - 1.25), 6 * 2.165e-3, "var %.5f", m.var);
            cr_assert_lt(fabs(m.skew), 6 * 6.32e-3, "skew %.5f", m.skew);
            cr_assert_lt(fabs(m.exkurt - 1.0), 0.25, "kurt %.5f", m.exkurt);
        }
        check_ks(t, BIG, t_cdf_even, &nus[j], nus[j] == 4 ? "t(4)" : "t(10)");
        free(t);
        qpm_rng_free(r);
    }
}

Test(rng_dist, student_t_real_nu_ks)
{
    /* 0.5 and 1 use the shape < 1 gamma path; 2.5 and 30 the direct one */
    const double nus[] = {0.5, 1.0, 2.5, 30.0};
    for (size_t j = 0; j < 4; j++) {
        qpm_rng *r = make(kinds[j % NKINDS], 20 + j);
        double *t = buf(MID);
        cr_assert_eq(qpm_rng_student_t(r, MID, nus[j], t), QPM_OK);
        size_t neg = 0;
        for (size_t i = 0; i < MID; i++) {
            cr_assert(!isnan(t[i]));
            neg += t[i] < 0;
        }
        /* symmetric: binomial(2e5, 1/2), sd 224 */
        cr_assert(neg > 100000 - 1344 && neg < 100000 + 1344, "nu %g: %zu negative", nus[j], neg);
        char what[32];
        snprintf(what, sizeof what, "t(%g)", nus[j]);
        check_ks(t, MID, t_cdf, &nus[j], what);
        free(t);
        qpm_rng_free(r);
    }
}

Test(rng_dist, student_t_extreme_nu)
{
    qpm_rng *r = make(QPM_RNG_PCG64DXSM, 30);
    double t[2000];
    /* tiny nu: heavy tails reach beyond the double range (+-Inf), never NaN */
    cr_assert_eq(qpm_rng_student_t(r, 2000, 1e-3, t), QPM_OK);
    size_t inf = 0;
    for (int i = 0; i < 2000; i++) {
        cr_assert(!isnan(t[i]));
        inf += isinf(t[i]) != 0;
    }
    cr_assert_gt(inf, 0u, "P(|t| > DBL_MAX) is about 0.5 for nu = 1e-3");
    cr_assert_eq(qpm_rng_student_t(r, 2000, 5e-324, t), QPM_OK);
    for (int i = 0; i < 2000; i++)
        cr_assert(!isnan(t[i]));
    /* huge nu: the normal limit */
    double *x = buf(MID);
    cr_assert_eq(qpm_rng_student_t(r, MID, 1e12, x), QPM_OK);
    moments m = moments_of(x, MID);
    cr_assert_lt(fabs(m.mean), 6 * 2.236e-3);
    cr_assert_lt(fabs(m.var - 1.0), 6 * 3.162e-3);
    free(x);
    qpm_rng_free(r);
}

/* ---- gamma ---------------------------------------------------------------- */

Test(rng_dist, gamma_ks_and_moments)
{
    const double shapes[] = {0.1, 0.5, 1.0, 2.5, 30.0};
    for (size_t j = 0; j < 5; j++) {
        double a = shapes[j];
        qpm_rng *r = make(kinds[j % NKINDS], 40 + j);
        double *x = buf(MID);
        cr_assert_eq(qpm_rng_gamma(r, MID, a, x), QPM_OK);
        for (size_t i = 0; i < MID; i++)
            cr_assert(x[i] >= 0.0 && isfinite(x[i]), "shape %g: %g", a, x[i]);
        moments m = moments_of(x, MID);
        /* mean a (se sqrt(a/n)); variance a (se sqrt((3a^2 + 6a - a^2)/n)) */
        cr_assert_lt(fabs(m.mean - a), 6 * sqrt(a / MID), "shape %g: mean %.6f", a, m.mean);
        cr_assert_lt(fabs(m.var - a), 6 * sqrt((2 * a * a + 6 * a) / MID), "shape %g: var %.6f", a,
                     m.var);
        char what[32];
        snprintf(what, sizeof what, "gamma(%g)", a);
        check_ks(x, MID, gamma_cdf, &a, what);
        free(x);
        qpm_rng_free(r);
    }
    /* huge shape: mean a, sd sqrt(a); the acceptance term stays accurate */
    qpm_rng *r = make(QPM_RNG_PCG64, 50);
    double *x = buf(MID);
    const double big[] = {1e8, 1e14};
    for (int j = 0; j < 2; j++) {
        double a = big[j];
        cr_assert_eq(qpm_rng_gamma(r, MID, a, x), QPM_OK);
        for (size_t i = 0; i < MID; i++)
            x[i] = (x[i] - a) / sqrt(a); /* standardised: close to N(0, 1) */
        moments m = moments_of(x, MID);
        cr_assert_lt(fabs(m.mean), 6 * 2.236e-3, "shape %g: mean %.5f", a, m.mean);
        cr_assert_lt(fabs(m.var - 1.0), 6 * 3.162e-3, "shape %g: var %.5f", a, m.var);
        check_ks(x, MID, normal_cdf, NULL, "standardised gamma, huge shape");
    }
    /* tiny shape: values may underflow to 0, never negative or NaN */
    cr_assert_eq(qpm_rng_gamma(r, 1000, 1e-3, x), QPM_OK);
    for (int i = 0; i < 1000; i++)
        cr_assert(x[i] >= 0.0 && isfinite(x[i]));
    free(x);
    qpm_rng_free(r);
}

/* ---- Poisson --------------------------------------------------------------- */

static double pois_pmf(double k, double lambda)
{
    return exp(k * log(lambda) - lambda - lgamma(k + 1.0));
}

/* Chi-square goodness of fit with bins [.., k0], k0 + 1, ..., [k1, ..) chosen
 * so every bin expects at least 20 counts, plus mean and variance checks. */
static void check_poisson(qpm_rng_kind kind, double lambda, uint64_t seed)
{
    const size_t n = MID;
    qpm_rng *r = make(kind, seed);
    double *x = buf(n);
    cr_assert_eq(qpm_rng_poisson(r, n, lambda, x), QPM_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert(x[i] >= 0.0 && x[i] == floor(x[i]), "lambda %g: %.17g", lambda, x[i]);
    moments m = moments_of(x, n);
    /* mean lambda, se sqrt(lambda/n); variance lambda, se sqrt((lambda + 2 lambda^2)/n) */
    cr_assert_lt(fabs(m.mean - lambda), 6 * sqrt(lambda / (double)n), "lambda %g: mean %.6f",
                 lambda, m.mean);
    cr_assert_lt(fabs(m.var - lambda), 6 * sqrt((lambda + 2 * lambda * lambda) / (double)n),
                 "lambda %g: var %.6f", lambda, m.var);

    double mode = floor(lambda), k0 = mode, k1 = mode;
    while (k0 > 0 && pois_pmf(k0 - 1, lambda) * (double)n >= 20.0)
        k0 -= 1;
    while (pois_pmf(k1 + 1, lambda) * (double)n >= 20.0)
        k1 += 1;
    size_t nb = (size_t)(k1 - k0) + 1;
    cr_assert_geq(nb, 3u, "lambda %g too small for the chi-square check", lambda);
    double *obs = calloc(nb, sizeof *obs), *expc = calloc(nb, sizeof *expc);
    cr_assert(obs && expc);
    for (size_t i = 0; i < n; i++) {
        double k = fmin(fmax(x[i], k0), k1);
        obs[(size_t)(k - k0)] += 1.0;
    }
    double inner = 0.0;
    for (size_t b = 1; b + 1 < nb; b++) {
        expc[b] = pois_pmf(k0 + (double)b, lambda);
        inner += expc[b];
    }
    double low = 0.0; /* P(K <= k0), summed downwards until negligible */
    for (double k = k0; k >= 0; k -= 1) {
        double p = pois_pmf(k, lambda);
        low += p;
        if (p < 1e-18 * low)
            break;
    }
    expc[0] = low;
    expc[nb - 1] = 1.0 - low - inner;
    double chi2 = 0.0;
    for (size_t b = 0; b < nb; b++) {
        double e = expc[b] * (double)n;
        cr_assert_geq(e, 19.0, "bin %zu expects %.1f", b, e);
        chi2 += (obs[b] - e) * (obs[b] - e) / e;
    }
    double df = (double)nb - 1.0, crit = chi2_crit(df);
    cr_assert_lt(chi2, crit, "%s lambda %g: chi2 = %.1f >= %.1f (df %g)", qpm_rng_kind_name(kind),
                 lambda, chi2, crit, df);
    cr_log_info("poisson(%g): chi2 = %.1f, df %g, critical %.1f", lambda, chi2, df, crit);
    free(obs);
    free(expc);
    free(x);
    qpm_rng_free(r);
}

Test(rng_dist, poisson_small_lambda_inversion)
{
    check_poisson(QPM_RNG_PCG64DXSM, 0.5, 60);
    check_poisson(QPM_RNG_PCG32, 3.0, 61);
    check_poisson(QPM_RNG_PCG64, 9.99, 62);
    /* tiny lambda: P(K > 0) = 1e-9; more than 2 non-zero counts in 2e5 has
     * probability about 1.3e-12 */
    qpm_rng *r = make(QPM_RNG_PCG64DXSM, 63);
    double *x = buf(MID);
    cr_assert_eq(qpm_rng_poisson(r, MID, 1e-9, x), QPM_OK);
    size_t nz = 0;
    for (size_t i = 0; i < MID; i++)
        nz += x[i] != 0.0;
    cr_assert_leq(nz, 2u);
    free(x);
    qpm_rng_free(r);
}

Test(rng_dist, poisson_large_lambda_ptrs)
{
    check_poisson(QPM_RNG_PCG64DXSM, 10.0, 70);
    check_poisson(QPM_RNG_PCG64, 47.3, 71);
    check_poisson(QPM_RNG_PCG32, 1000.0, 72);
    check_poisson(QPM_RNG_PCG64DXSM, 1e6, 73);
}

Test(rng_dist, poisson_huge_lambda)
{
    /* stable log-probability: mean and variance stay right up to the maximum */
    const double lambdas[] = {1e10, QPM_RNG_POISSON_MAX};
    qpm_rng *r = make(QPM_RNG_PCG64DXSM, 80);
    double *x = buf(MID);
    for (int j = 0; j < 2; j++) {
        double l = lambdas[j];
        cr_assert_eq(qpm_rng_poisson(r, MID, l, x), QPM_OK);
        for (size_t i = 0; i < MID; i++) {
            cr_assert(x[i] == floor(x[i]));
            x[i] = (x[i] - l) / sqrt(l);
        }
        moments m = moments_of(x, MID);
        cr_assert_lt(fabs(m.mean), 6 * 2.236e-3, "lambda %g: mean %.5f", l, m.mean);
        cr_assert_lt(fabs(m.var - 1.0), 6 * 3.162e-3, "lambda %g: var %.5f", l, m.var);
        check_ks(x, MID, normal_cdf, NULL, "standardised Poisson, huge lambda");
    }
    free(x);
    qpm_rng_free(r);
}
