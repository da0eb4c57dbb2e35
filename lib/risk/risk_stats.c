/* Stateless statistics: historical VaR/ES with standard errors, sample
 * moments, parametric and delta-gamma VaR. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "risk_internal.h"

#define INV_SQRT_2PI 0.398942280401432677939946059934

/* k = ceil(alpha n) for the decimal alpha the double stands for, and the
 * weight k - alpha n of L(k).  The double alpha differs from its decimal by
 * at most half an ulp, so alpha n lies within about 2^-52 alpha n of the
 * decimal product: a product that close to a whole number m (< n) is m. */
size_t qpm__risk_rank_of(double alpha, size_t n, double *weight)
{
    double dn = (double)n;
    double an = alpha * dn;
    double m = nearbyint(an);
    if (fabs(an - m) <= 4.0 * DBL_EPSILON * an && m >= 1.0 && m < dn) {
        *weight = 0.0;
        return (size_t)m;
    }
    double k = ceil(an);
    if (k < 1.0)
        k = 1.0;
    if (k > dn)
        k = dn;
    *weight = fma(-alpha, dn, k);
    return (size_t)k;
}

static double order_stat(double *x, size_t n, size_t rank)
{
    qpm__risk_select(x, n, rank - 1);
    return x[rank - 1];
}

/* The estimators on the sample scaled by the power of two g (g = 1: the
 * sample itself).  VaR is an order statistic and never scaled; the sums
 * behind ES and the standard errors are taken of g x, then divided by g. */
static void var_es_scaled(double *x, size_t n, double alpha, double g, double *var, double *es,
                          double *var_se, double *es_se)
{
    double w;
    size_t k = qpm__risk_rank_of(alpha, n, &w);
    qpm__risk_select(x, n, k - 1);
    double v = x[k - 1], vg = v * g;
    /* tail: x[k..n-1] are the ranks k+1..n */
    qpm__ksum s = {0, 0};
    for (size_t i = k; i < n; i++)
        qpm__ksum_add(&s, x[i] * g);
    double wv = w * vg;
    qpm__ksum_add(&s, wv);
    double den = (double)(n - k) + w;
    double e = qpm__ksum_value(&s) / den;
    if (e < vg) /* rounding only: ES >= VaR */
        e = vg;
    double se_es = (double)NAN;
    if (es_se != NULL) {
        qpm__ksum t = {0, 0};
        for (size_t i = k; i < n; i++) {
            double d = x[i] * g - e;
            qpm__ksum_add(&t, d * d);
        }
        double d = vg - e;
        qpm__ksum_add(&t, w * d * d);
        double vt = qpm__ksum_value(&t) / den;
        se_es = sqrt((vt + alpha * (e - vg) * (e - vg)) / den) / g;
    }
    double se_var = (double)NAN;
    if (var_se != NULL) {
        double z = qpm_norm_inv(alpha);
        double z975 = 1.959963984540054;
        double phi = INV_SQRT_2PI * exp(-0.5 * z * z);
        double h = pow((double)n, -1.0 / 3.0) * pow(z975, 2.0 / 3.0) *
                   cbrt(1.5 * phi * phi / (2.0 * z * z + 1.0));
        double dn = (double)n;
        double ahi = alpha + h, alo = alpha - h;
        size_t khi = ahi >= 1.0 ? n : (size_t)ceil(ahi * dn);
        size_t klo = alo * dn <= 1.0 ? 1 : (size_t)ceil(alo * dn);
        if (khi > n)
            khi = n;
        if (klo < 1)
            klo = 1;
        /* Both levels may round to one rank (small n, or a bandwidth
         * clipped at an end): the quotient then takes the nearest two
         * distinct ranks, so that every n >= 2 gets a standard error. */
        if (khi <= klo && n >= 2) {
            if (khi < n)
                khi = klo + 1;
            else
                klo = khi - 1;
        }
        if (khi > klo) {
            double qhi = order_stat(x, n, khi);
            double qlo = order_stat(x, n, klo);
            double sparsity = (qhi * g - qlo * g) / ((double)(khi - klo) / dn);
            se_var = sparsity * sqrt(alpha * (1.0 - alpha) / dn) / g;
        }
    }
    if (var)
        *var = v;
    if (es)
        *es = e / g;
    if (var_se)
        *var_se = se_var;
    if (es_se)
        *es_se = se_es;
}

static int bad_output(const double *p, int nan_ok)
{
    return p != NULL && !isfinite(*p) && !(nan_ok && isnan(*p));
}

qpm_status qpm__risk_var_es_inplace(double *x, size_t n, double alpha, double *var, double *es,
                                    double *var_se, double *es_se)
{
    double v, e, vs, ss;
    double *pvs = var_se ? &vs : NULL, *pss = es_se ? &ss : NULL;
    var_es_scaled(x, n, alpha, 1.0, &v, &e, pvs, pss);
    /* var_se is NaN for n = 1 (documented); anything else not finite means
     * that a sum of the losses overflowed */
    if (!isfinite(e) || bad_output(pvs, n == 1) || bad_output(pss, 0)) {
        double m = 0.0;
        for (size_t i = 0; i < n; i++)
            m = fmax(m, fabs(x[i]));
        double g = ldexp(1.0, -(ilogb(m) + 1)); /* |g x| < 1 */
        var_es_scaled(x, n, alpha, g, &v, &e, pvs, pss);
        if (!isfinite(e) || bad_output(pvs, n == 1) || bad_output(pss, 0))
            return qpm__fail(QPM_E_OVERFLOW,
                             "alpha = %.17g: the standard error of %s is beyond the range of "
                             "double (losses up to %g)",
                             alpha, bad_output(pvs, n == 1) ? "VaR" : "ES", m);
    }
    if (var)
        *var = v;
    if (es)
        *es = e;
    if (var_se)
        *var_se = vs;
    if (es_se)
        *es_se = ss;
    return QPM_OK;
}

static qpm_status check_alpha(size_t n, const double *alpha, const char *name)
{
    for (size_t j = 0; j < n; j++) {
        if (isnan(alpha[j]))
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = nan: must be in (0, 1)", name, j);
        if (!(alpha[j] > 0.0 && alpha[j] < 1.0))
            return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: must be in (0, 1)", name, j,
                             alpha[j]);
    }
    return QPM_OK;
}

/* The levels, then the caller's allocator (NULL: malloc/free) into *a: what
 * the allocating statistics check before any work. */
static qpm_status check_levels_alloc(size_t n, const double *alpha, const qpm_alloc *alloc,
                                     qpm_alloc *a)
{
    qpm_status st = check_alpha(n, alpha, "alpha");
    return st != QPM_OK ? st : qpm__alloc_init(a, alloc);
}

qpm_status qpm_risk_var_es(const qpm_alloc *alloc, size_t n, const double *losses, size_t n_alpha,
                           const double *alpha, double *var, double *es, double *var_se,
                           double *es_se)
{
    QPM__CHECK_NULL(losses, "losses");
    QPM__CHECK_NULL(alpha, "alpha");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: need at least 1 loss");
    if (n_alpha == 0)
        return qpm__fail(QPM_E_SIZE, "n_alpha = 0: need at least 1 level");
    qpm_status st = qpm__check_finite(losses, n, "losses");
    if (st != QPM_OK)
        return st;
    qpm_alloc a;
    if ((st = check_levels_alloc(n_alpha, alpha, alloc, &a)) != QPM_OK)
        return st;
    /* the sample, then the results of every level: outputs stay untouched
     * when a level fails */
    if (n_alpha > (SIZE_MAX / sizeof(double) - n) / 4)
        return qpm__fail(QPM_E_NOMEM, "n_alpha = %zu: the scratch size overflows", n_alpha);
    double *x = qpm__calloc(&a, n + 4 * n_alpha, sizeof *x);
    if (x == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu losses of scratch", n);
    double *res = x + n;
    memcpy(x, losses, n * sizeof *x);
    for (size_t j = 0; j < n_alpha && st == QPM_OK; j++)
        st = qpm__risk_var_es_inplace(x, n, alpha[j], &res[4 * j], &res[4 * j + 1],
                                      var_se ? &res[4 * j + 2] : NULL,
                                      es_se ? &res[4 * j + 3] : NULL);
    for (size_t j = 0; j < n_alpha && st == QPM_OK; j++) {
        if (var)
            var[j] = res[4 * j];
        if (es)
            es[j] = res[4 * j + 1];
        if (var_se)
            var_se[j] = res[4 * j + 2];
        if (es_se)
            es_se[j] = res[4 * j + 3];
    }
    qpm__free(&a, x);
    return st;
}

/* Biased central moments of the deviations scaled by the power of two g:
 * ms[k] = sum (g (x - c) - g e)^k / n about the exact mean c + e. */
static void central_scaled(size_t n, const double *x, double c, double g, double *e_out,
                           double ms[5])
{
    qpm__ksum s1 = {0, 0}, s2 = {0, 0}, s3 = {0, 0}, s4 = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double d = (x[i] - c) * g, d2 = d * d;
        qpm__ksum_add(&s1, d);
        qpm__ksum_add(&s2, d2);
        qpm__ksum_add(&s3, d2 * d);
        qpm__ksum_add(&s4, d2 * d2);
    }
    double dn = (double)n;
    /* shift from c to the exact sample mean c + e */
    double e = qpm__ksum_value(&s1) / dn;
    double a2 = qpm__ksum_value(&s2) / dn, a3 = qpm__ksum_value(&s3) / dn,
           a4 = qpm__ksum_value(&s4) / dn;
    ms[2] = a2 - e * e;
    ms[3] = a3 - 3.0 * e * a2 + 2.0 * e * e * e;
    ms[4] = a4 - 4.0 * e * a3 + 6.0 * e * e * a2 - 3.0 * e * e * e * e;
    *e_out = e / g;
}

/* Biased central moments m[2..4] and the mean.  Deviations below 2^-200
 * would lose their fourth (even second) powers to underflow: the moments are
 * then taken of the deviations scaled by 2^-k, and ms[] keeps those scaled
 * moments, from which the scale-free skewness and kurtosis come (ms = m and
 * k = 0 when no scaling is needed). */
typedef struct moments {
    double mean, m[5], ms[5];
    int k;
} moments;

static qpm_status central(size_t n, const double *x, moments *mo)
{
    double *m = mo->m, *ms = mo->ms;
    mo->k = 0;
    QPM__CHECK_NULL(x, "x");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: need at least 1 value");
    qpm_status st = qpm__check_finite(x, n, "x");
    if (st != QPM_OK)
        return st;
    qpm__ksum s = {0, 0};
    for (size_t i = 0; i < n; i++)
        qpm__ksum_add(&s, x[i]);
    double dn = (double)n;
    double c = qpm__ksum_value(&s) / dn;
    if (!isfinite(c))
        return qpm__fail(QPM_E_INVALID, "x: values too large, their sum overflows");
    double e;
    central_scaled(n, x, c, 1.0, &e, m);
    if (!isfinite(m[4]) || !isfinite(m[3]) || !isfinite(m[2]))
        return qpm__fail(QPM_E_INVALID, "x: values too large, their moments overflow");
    memcpy(ms, m, 5 * sizeof *m);
    if (m[2] < 0x1p-400) {
        double dmax = 0.0;
        for (size_t i = 0; i < n; i++)
            dmax = fmax(dmax, fabs(x[i] - c));
        if (dmax > 0.0) {
            /* 2^-k stays a double for subnormal deviations too */
            int k = ilogb(dmax) < -1000 ? -1000 : ilogb(dmax);
            central_scaled(n, x, c, ldexp(1.0, -k), &e, ms);
            mo->k = k;
            m[2] = ldexp(ms[2], 2 * k);
            m[3] = ldexp(ms[3], 3 * k);
            m[4] = ldexp(ms[4], 4 * k);
        }
    }
    if (m[2] < 0.0)
        m[2] = 0.0;
    if (ms[2] < 0.0)
        ms[2] = 0.0;
    mo->mean = c + e;
    return QPM_OK;
}

qpm_status qpm_risk_moments(size_t n, const double *x, double *mean, double *std, double *skew,
                            double *exkurt)
{
    moments mo;
    qpm_status st = central(n, x, &mo);
    if (st != QPM_OK)
        return st;
    if (std != NULL && n < 2)
        return qpm__fail(QPM_E_SIZE, "n = 1: the standard deviation (ddof = 1) needs n >= 2");
    const double *ms = mo.ms;
    if (mean)
        *mean = mo.mean;
    if (std)
        *std = mo.k == 0 ? sqrt(mo.m[2] * ((double)n / (double)(n - 1)))
                         : ldexp(sqrt(ms[2] * ((double)n / (double)(n - 1))), mo.k);
    if (skew)
        *skew = ms[2] > 0.0 ? ms[3] / (ms[2] * sqrt(ms[2])) : (double)NAN;
    if (exkurt)
        *exkurt = ms[2] > 0.0 ? ms[4] / (ms[2] * ms[2]) - 3.0 : (double)NAN;
    return QPM_OK;
}

qpm_status qpm_risk_central_moments(size_t n, const double *x, double *m2, double *m3,
                                    double *m4)
{
    moments mo;
    qpm_status st = central(n, x, &mo);
    double *out[3] = {m2, m3, m4};
    for (int j = 0; st == QPM_OK && j < 3; j++)
        if (out[j] != NULL)
            *out[j] = mo.m[j + 2];
    return st;
}

/* phi(z) with z^2 carried exactly (hi + lo). */
static double npdf(double z)
{
    double hi = z * z;
    double lo = fma(z, z, -hi);
    return INV_SQRT_2PI * exp(-0.5 * hi) * (1.0 - 0.5 * lo);
}

static double cornish_fisher(double z, double s, double k)
{
    double z2 = z * z, z3 = z2 * z;
    return z + (z2 - 1.0) * s / 6.0 + (z3 - 3.0 * z) * k / 24.0 -
           (2.0 * z3 - 5.0 * z) * s * s / 36.0;
}

/* The parametric results of distribution i.  The Cornish-Fisher quantile
 * squares the skewness, so it overflows from |skew| ~ 1e154 (and 0 x Inf
 * is NaN at sigma = 0) while sigma z_cf + mu may still be a double: then it
 * is taken again in long double (a 15-bit exponent on x86).  A result
 * beyond the double range is QPM_E_OVERFLOW. */
static qpm_status parametric_one(size_t i, double mu, double sigma, double s, double k,
                                 double alpha, int want_vn, int want_es, int want_cf,
                                 double res[3])
{
    double z = qpm_norm_inv(alpha);
    res[0] = fma(sigma, z, mu);
    res[1] = fma(sigma, npdf(z) / (1.0 - alpha), mu);
    res[2] = fma(sigma, cornish_fisher(z, s, k), mu);
    if (want_cf && !isfinite(res[2])) {
        long double zl = (long double)z, sl = (long double)s, kl = (long double)k;
        long double zc = zl + (zl * zl - 1) * sl / 6 + (zl * zl * zl - 3 * zl) * kl / 24 -
                         (2 * zl * zl * zl - 5 * zl) * sl * sl / 36;
        res[2] = sigma == 0.0 ? mu : (double)((long double)sigma * zc + (long double)mu);
    }
    static const char *const names[3] = {"var_normal", "es_normal", "var_cf"};
    const int want[3] = {want_vn, want_es, want_cf};
    for (int j = 0; j < 3; j++)
        if (want[j] && !isfinite(res[j]))
            return qpm__fail(QPM_E_OVERFLOW,
                             "distribution %zu: %s beyond the range of double (mu = %g, sigma "
                             "= %g, skew = %g, exkurt = %g, alpha = %.17g)",
                             i, names[j], mu, sigma, s, k, alpha);
    return QPM_OK;
}

qpm_status qpm_risk_parametric(size_t n, const double *mu, const double *sigma,
                               const double *skew, const double *exkurt, const double *alpha,
                               double *var_normal, double *es_normal, double *var_cf)
{
    QPM__CHECK_NULL(mu, "mu");
    QPM__CHECK_NULL(sigma, "sigma");
    QPM__CHECK_NULL(alpha, "alpha");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: need at least 1 distribution");
    qpm_status st = qpm__check_finite(mu, n, "mu");
    if (st == QPM_OK)
        st = qpm__check_nonnegative(sigma, n, "sigma");
    if (st == QPM_OK && skew)
        st = qpm__check_finite(skew, n, "skew");
    if (st == QPM_OK && exkurt)
        st = qpm__check_finite(exkurt, n, "exkurt");
    if (st == QPM_OK)
        st = check_alpha(n, alpha, "alpha");
    if (st != QPM_OK)
        return st;
    /* Every wanted result is checked before any is written. */
    double res[3];
    for (size_t i = 0; i < n; i++)
        if ((st = parametric_one(i, mu[i], sigma[i], skew ? skew[i] : 0.0,
                                 exkurt ? exkurt[i] : 0.0, alpha[i], var_normal != NULL,
                                 es_normal != NULL, var_cf != NULL, res)) != QPM_OK)
            return st;
    for (size_t i = 0; i < n; i++) {
        parametric_one(i, mu[i], sigma[i], skew ? skew[i] : 0.0, exkurt ? exkurt[i] : 0.0,
                       alpha[i], var_normal != NULL, es_normal != NULL, var_cf != NULL, res);
        if (var_normal)
            var_normal[i] = res[0];
        if (es_normal)
            es_normal[i] = res[1];
        if (var_cf)
            var_cf[i] = res[2];
    }
    return QPM_OK;
}

qpm_status qpm_risk_delta_gamma(const qpm_alloc *alloc, size_t n, const double *delta_usd,
                                const double *gamma_usd, const double *cov, size_t ld,
                                double horizon_days, double alpha, double *var_dn,
                                double *var_dg, double *dg_moments)
{
    QPM__CHECK_NULL(delta_usd, "delta_usd");
    QPM__CHECK_NULL(gamma_usd, "gamma_usd");
    QPM__CHECK_NULL(cov, "cov");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: need at least 1 underlying");
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n = %zu", ld, n);
    if (n > QPM__RISK_MAX_N)
        return qpm__fail(QPM_E_SIZE, "n = %zu: must be <= %u", n, QPM__RISK_MAX_N);
    qpm_status st = qpm__check_finite(delta_usd, n, "delta_usd");
    if (st == QPM_OK)
        st = qpm__check_finite(gamma_usd, n, "gamma_usd");
    if (st != QPM_OK)
        return st;
    st = qpm__check_covariance(cov, n, ld, "cov");
    if (st != QPM_OK)
        return st;
    if (isnan(horizon_days) || isinf(horizon_days))
        return qpm__fail(QPM_E_NONFINITE, "horizon_days = %g: must be finite", horizon_days);
    if (!(horizon_days > 0.0))
        return qpm__fail(QPM_E_INVALID, "horizon_days = %.17g: must be > 0", horizon_days);
    qpm_alloc a;
    if ((st = check_levels_alloc(1, &alpha, alloc, &a)) != QPM_OK)
        return st;
    /* the PSD check factors cov with LAPACK, loaded at first need */
    if ((st = qpm__linalg_load()) != QPM_OK)
        return st;
    double *c = qpm__calloc(&a, 4 * n * n + 2 * n, sizeof *c);
    if (c == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the delta-gamma scratch for n = %zu", n);
    double *m = c + n * n, *m2 = m + n * n, *v = m2 + n * n, *w = v + n, *f = w + n;
    /* the check of qpm_risk_set_covariance: same statuses, same messages */
    int tri;
    st = qpm__risk_factor(&a, n, cov, ld, c, f, &tri);
    if (st != QPM_OK) {
        qpm__free(&a, c);
        return st;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            /* symmetric part, scaled to the horizon */
            c[i * n + j] = horizon_days * c[i * n + j];
            m[i * n + j] = 0.0;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            m[i * n + j] = gamma_usd[i] * c[i * n + j]; /* M = G C */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < n; l++)
                s += m[i * n + l] * m[l * n + j];
            m2[i * n + j] = s;
        }
    double dcd = 0.0, dcgcd = 0.0, dcgcgcd = 0.0;
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++)
            s += c[i * n + j] * delta_usd[j];
        v[i] = s; /* C d */
        dcd += delta_usd[i] * s;
        dcgcd += gamma_usd[i] * s * s;
        w[i] = gamma_usd[i] * s; /* G C d */
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++)
            s += c[i * n + j] * w[j];
        dcgcgcd += w[i] * s;
    }
    double t1 = 0.0, t2 = 0.0, t3 = 0.0, t4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        t1 += m[i * n + i];
        for (size_t j = 0; j < n; j++) {
            t2 += m[i * n + j] * m[j * n + i];
            t3 += m2[i * n + j] * m[j * n + i];
            t4 += m2[i * n + j] * m2[j * n + i];
        }
    }
    qpm__free(&a, c);
    if (dcd < 0.0)
        dcd = 0.0;
    /* cumulants of the loss -P&L */
    double k1 = -0.5 * t1;
    double k2 = dcd + 0.5 * t2;
    double k3 = -(3.0 * dcgcd + t3);
    double k4 = 12.0 * dcgcgcd + 3.0 * t4;
    double z = qpm_norm_inv(alpha);
    double sd = sqrt(k2 > 0.0 ? k2 : 0.0);
    double sk = k2 > 0.0 ? k3 / (k2 * sd) : 0.0;
    double ku = k2 > 0.0 ? k4 / (k2 * k2) : 0.0;
    double vdn = z * sqrt(dcd), vdg = fma(sd, cornish_fisher(z, sk, ku), k1);
    if (!isfinite(vdn) || !isfinite(vdg) || !isfinite(k1) || !isfinite(sd) || !isfinite(sk) ||
        !isfinite(ku))
        return qpm__fail(QPM_E_OVERFLOW,
                         "the cumulants of the delta-gamma P&L are beyond the range of double "
                         "(delta-normal VaR %g, delta-gamma VaR %g)",
                         vdn, vdg);
    if (var_dn)
        *var_dn = vdn;
    if (var_dg)
        *var_dg = vdg;
    if (dg_moments) {
        dg_moments[0] = k1;
        dg_moments[1] = sd;
        dg_moments[2] = sk;
        dg_moments[3] = ku;
    }
    return QPM_OK;
}
