/* Raw SVI slices: the domain, Gatheral's g and the butterfly check, and the
 * SSVI-to-SVI conversion (include/qpm/surface.h). */
#include <math.h>

#include "surface_internal.h"
#include "surface/svi_kern.h"

qpm_status qpm__svi_check(const qpm_svi *p, const char *name)
{
    QPM__CHECK_NULL(p, name);
    const double v[5] = {p->a, p->b, p->rho, p->m, p->sigma};
    static const char *const f[5] = {"a", "b", "rho", "m", "sigma"};
    for (int i = 0; i < 5; i++)
        if (!isfinite(v[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s.%s = %g: must be finite", name, f[i], v[i]);
    if (p->b < 0.0)
        return qpm__fail(QPM_E_INVALID, "%s.b = %g: must be >= 0", name, p->b);
    if (!(fabs(p->rho) < 1.0))
        return qpm__fail(QPM_E_INVALID, "%s.rho = %g: must be in (-1, 1)", name, p->rho);
    if (!(p->sigma > 0.0))
        return qpm__fail(QPM_E_INVALID, "%s.sigma = %g: must be > 0", name, p->sigma);
    double wmin = p->a + p->b * p->sigma * sqrt(1.0 - p->rho * p->rho);
    if (wmin < 0.0)
        return qpm__fail(QPM_E_INVALID,
                         "%s: a + b sigma sqrt(1 - rho^2) = %g: must be >= 0 (w >= 0)", name, wmin);
    double wing = p->b * (1.0 + fabs(p->rho));
    if (wing > 2.0)
        return qpm__fail(QPM_E_INVALID, "%s: b (1 + |rho|) = %g: must be <= 2 (Lee's bound)", name,
                         wing);
    return QPM_OK;
}

double qpm__svi_g(const qpm_svi *p, double k)
{
    double x = k - p->m, s2 = p->sigma * p->sigma;
    double r = sqrt(x * x + s2);
    double w = p->a + p->b * (p->rho * x + r);
    if (!(w > 0.0))
        return -HUGE_VAL;
    double w1 = p->b * (p->rho + x / r);
    double w2 = p->b * s2 / (r * r * r);
    double u = 1.0 - k * w1 / (2.0 * w);
    return u * u - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2;
}

int qpm__svi_butterfly(const qpm_svi *p, double L, size_t points, double *worst_k,
                       double *worst_g)
{
    double kmin = 0.0, h = 2.0 * L / (double)(points - 1);
    /* four points at a time (svi_kern.h) */
    double gmin = qpm__svi_kern_get()->gmin(p, L, h, points, &kmin);
    /* the last point exactly at L (the grid may round next to it) */
    double gl = qpm__svi_g(p, L);
    if (gl < gmin) {
        gmin = gl;
        kmin = L;
    }
    *worst_k = kmin;
    *worst_g = gmin;
    return gmin >= -1e-12;
}

double qpm__svi_check_limit(const qpm_svi *p, double kmax_abs)
{
    double w0 = qpm__svi_w(p, 0.0);
    double L = 3.0 * kmax_abs;
    if (w0 > 0.0 && 6.0 * sqrt(w0) > L)
        L = 6.0 * sqrt(w0);
    return L > 1.0 ? L : 1.0;
}

qpm_status qpm_svi_check(const qpm_svi *p)
{
    return qpm__svi_check(p, "svi");
}

qpm_status qpm_svi_total_variance(const qpm_svi *p, size_t n, const double *k, double *w)
{
    qpm_status st = qpm__svi_check(p, "p");
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(k, "k");
    QPM__CHECK_NULL(w, "w");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    st = qpm__check_finite(k, n, "k");
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        w[i] = qpm__svi_w(p, k[i]);
    return QPM_OK;
}

qpm_status qpm_ssvi_to_svi(const qpm_ssvi *p, double theta, qpm_svi *out)
{
    QPM__CHECK_NULL(p, "p");
    QPM__CHECK_NULL(out, "out");
    if (!isfinite(theta) || !isfinite(p->rho) || !isfinite(p->eta) || !isfinite(p->gamma))
        return qpm__fail(QPM_E_NONFINITE, "theta = %g, p = {rho %g, eta %g, gamma %g}: must be finite",
                         theta, p->rho, p->eta, p->gamma);
    if (!(theta > 0.0))
        return qpm__fail(QPM_E_INVALID, "theta = %g: must be > 0", theta);
    if (!(fabs(p->rho) < 1.0))
        return qpm__fail(QPM_E_INVALID, "p.rho = %g: must be in (-1, 1)", p->rho);
    if (!(p->eta > 0.0))
        return qpm__fail(QPM_E_INVALID, "p.eta = %g: must be > 0", p->eta);
    if (!(p->gamma >= 0.0 && p->gamma <= 1.0))
        return qpm__fail(QPM_E_INVALID, "p.gamma = %g: must be in [0, 1]", p->gamma);
    double phi = p->eta / (pow(theta, p->gamma) * pow(1.0 + theta, 1.0 - p->gamma));
    double r2 = sqrt(1.0 - p->rho * p->rho);
    out->a = 0.5 * theta * (1.0 - p->rho * p->rho);
    out->b = 0.5 * theta * phi;
    out->rho = p->rho;
    out->m = -p->rho / phi;
    out->sigma = r2 / phi;
    return QPM_OK;
}
