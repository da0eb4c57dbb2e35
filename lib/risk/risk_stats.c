/* Stateless statistics: historical VaR/ES with standard errors, sample
 * moments, parametric and delta-gamma VaR. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "risk_internal.h"

#define INV_SQRT_2PI 0.398942280401432677939946059934

/* k = ceil(alpha n) for the decimal alpha the double stands for, and the
 * weight k - alpha n of L(k).  The double alpha differs from its decimal by
 * at most half an ulp, so alpha n lies within about 2^-52 alpha n of the
 * decimal product: a product that close to a whole number m (< n) is m. */
static size_t rank_of(double alpha, size_t n, double *weight)
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

void qpm__risk_var_es_inplace(double *x, size_t n, double alpha, double *var, double *es,
                              double *var_se, double *es_se)
{
    double w;
    size_t k = rank_of(alpha, n, &w);
    qpm__risk_select(x, n, k - 1);
    double v = x[k - 1];
    /* tail: x[k..n-1] are the ranks k+1..n */
    qpm__ksum s = {0, 0};
    for (size_t i = k; i < n; i++)
        qpm__ksum_add(&s, x[i]);
    double wv = w * v;
    qpm__ksum_add(&s, wv);
    double den = (double)(n - k) + w;
    double e = qpm__ksum_value(&s) / den;
    if (e < v) /* rounding only: ES >= VaR */
        e = v;
    double se_es = (double)NAN;
    if (es_se != NULL) {
        qpm__ksum t = {0, 0};
        for (size_t i = k; i < n; i++) {
            double d = x[i] - e;
            qpm__ksum_add(&t, d * d);
        }
        double d = v - e;
        qpm__ksum_add(&t, w * d * d);
        double vt = qpm__ksum_value(&t) / den;
        se_es = sqrt((vt + alpha * (e - v) * (e - v)) / den);
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
        if (khi > klo) {
            double qhi = order_stat(x, n, khi);
            double qlo = order_stat(x, n, klo);
            double sparsity = (qhi - qlo) / ((double)(khi - klo) / dn);
            se_var = sparsity * sqrt(alpha * (1.0 - alpha) / dn);
        }
    }
    if (var)
        *var = v;
    if (es)
        *es = e;
    if (var_se)
        *var_se = se_var;
    if (es_se)
        *es_se = se_es;
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
    st = check_alpha(n_alpha, alpha, "alpha");
    if (st != QPM_OK)
        return st;
    qpm_alloc a;
    st = qpm__alloc_init(&a, alloc);
    if (st != QPM_OK)
        return st;
    double *x = qpm__calloc(&a, n, sizeof *x);
    if (x == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu losses of scratch", n);
    memcpy(x, losses, n * sizeof *x);
    for (size_t j = 0; j < n_alpha; j++) {
        double v, e, vs, es2;
        qpm__risk_var_es_inplace(x, n, alpha[j], &v, &e, var_se ? &vs : NULL,
                                 es_se ? &es2 : NULL);
        if (var)
            var[j] = v;
        if (es)
            es[j] = e;
        if (var_se)
            var_se[j] = vs;
        if (es_se)
            es_se[j] = es2;
    }
    qpm__free(&a, x);
    return QPM_OK;
}

/* Sums of (x - c)^p, p = 1..4, about the compensated mean c. */
static qpm_status central(size_t n, const double *x, double *mean, double m[5])
{
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
    qpm__ksum s1 = {0, 0}, s2 = {0, 0}, s3 = {0, 0}, s4 = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - c, d2 = d * d;
        qpm__ksum_add(&s1, d);
        qpm__ksum_add(&s2, d2);
        qpm__ksum_add(&s3, d2 * d);
        qpm__ksum_add(&s4, d2 * d2);
    }
    /* shift from c to the exact sample mean c + e */
    double e = qpm__ksum_value(&s1) / dn;
    double a2 = qpm__ksum_value(&s2) / dn, a3 = qpm__ksum_value(&s3) / dn,
           a4 = qpm__ksum_value(&s4) / dn;
    m[2] = a2 - e * e;
    m[3] = a3 - 3.0 * e * a2 + 2.0 * e * e * e;
    m[4] = a4 - 4.0 * e * a3 + 6.0 * e * e * a2 - 3.0 * e * e * e * e;
    if (!isfinite(m[4]) || !isfinite(m[3]) || !isfinite(m[2]))
        return qpm__fail(QPM_E_INVALID, "x: values too large, their moments overflow");
    if (m[2] < 0.0)
        m[2] = 0.0;
    *mean = c + e;
    return QPM_OK;
}

qpm_status qpm_risk_moments(size_t n, const double *x, double *mean, double *std, double *skew,
                            double *exkurt)
{
    double c, m[5];
    qpm_status st = central(n, x, &c, m);
    if (st != QPM_OK)
        return st;
    if (std != NULL && n < 2)
        return qpm__fail(QPM_E_SIZE, "n = 1: the standard deviation (ddof = 1) needs n >= 2");
    if (mean)
        *mean = c;
    if (std)
        *std = sqrt(m[2] * ((double)n / (double)(n - 1)));
    if (skew)
        *skew = m[2] > 0.0 ? m[3] / (m[2] * sqrt(m[2])) : (double)NAN;
    if (exkurt)
        *exkurt = m[2] > 0.0 ? m[4] / (m[2] * m[2]) - 3.0 : (double)NAN;
    return QPM_OK;
}

qpm_status qpm_risk_central_moments(size_t n, const double *x, double *m2, double *m3,
                                    double *m4)
{
    double c, m[5];
    qpm_status st = central(n, x, &c, m);
    if (st != QPM_OK)
        return st;
    if (m2)
        *m2 = m[2];
    if (m3)
        *m3 = m[3];
    if (m4)
        *m4 = m[4];
    return QPM_OK;
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
    for (size_t i = 0; i < n; i++) {
        double z = qpm_norm_inv(alpha[i]);
        if (var_normal)
            var_normal[i] = fma(sigma[i], z, mu[i]);
        if (es_normal)
            es_normal[i] = fma(sigma[i], npdf(z) / (1.0 - alpha[i]), mu[i]);
        if (var_cf) {
            double zc = cornish_fisher(z, skew ? skew[i] : 0.0, exkurt ? exkurt[i] : 0.0);
            var_cf[i] = fma(sigma[i], zc, mu[i]);
        }
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
    st = check_alpha(1, &alpha, "alpha");
    if (st != QPM_OK)
        return st;
    qpm_alloc a;
    st = qpm__alloc_init(&a, alloc);
    if (st != QPM_OK)
        return st;
    double *c = qpm__calloc(&a, 3 * n * n + 2 * n, sizeof *c);
    if (c == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the delta-gamma scratch for n = %zu", n);
    double *m = c + n * n, *m2 = m + n * n, *v = m2 + n * n, *w = v + n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            /* symmetric part, scaled to the horizon */
            c[i * n + j] = horizon_days * 0.5 * (cov[i * ld + j] + cov[j * ld + i]);
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
    if (var_dn)
        *var_dn = z * sqrt(dcd);
    if (var_dg)
        *var_dg = fma(sd, cornish_fisher(z, sk, ku), k1);
    if (dg_moments) {
        dg_moments[0] = k1;
        dg_moments[1] = sd;
        dg_moments[2] = sk;
        dg_moments[3] = ku;
    }
    return QPM_OK;
}
