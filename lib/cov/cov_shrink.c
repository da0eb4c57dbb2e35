/* Shrinkage estimators on the biased (ddof = 0) covariance S = M2 / T:
 * Ledoit-Wolf toward mu I (scikit-learn's LedoitWolf), OAS (scikit-learn
 * 1.2.1), and Ledoit-Wolf (2004) toward the constant-correlation matrix. */
#include <float.h>
#include <math.h>

#include "cov_internal.h"

/* |S - mu I|_F^2 summed without forming |S|_F^2 - p mu^2, which cancels
 * when S is close to a multiple of the identity. */
static double dist2_identity(const double *mom, size_t n, double inv_t, double mu)
{
    double off = 0.0, diag = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double v = mom[i * n + j] * inv_t;
            off += v * v;
        }
        double d = mom[i * n + i] * inv_t - mu;
        diag += d * d;
    }
    return 2.0 * off + diag;
}

static double trace_mean(const double *mom, size_t n, double inv_t)
{
    double tr = 0.0;
    for (size_t i = 0; i < n; i++)
        tr += mom[i * n + i] * inv_t;
    return tr / (double)n;
}

static void shrink_to_identity(qpm_cov *c, double s, double mu)
{
    size_t n = c->n;
    double inv_t = 1.0 / (double)c->nobs;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            c->est[i * n + j] = (1.0 - s) * (c->mom[i * n + j] * inv_t);
        c->est[i * n + i] = (1.0 - s) * (c->mom[i * n + i] * inv_t) + s * mu;
    }
    c->shrink = s;
}

/* The shrinkage intensities are built from squared variances and fourth
 * moments, which leave the double range (overflow, or underflow that loses
 * their digits) once a variance passes 2^500 or falls below 2^-500: such
 * returns are refused rather than given a meaningless intensity. */
static qpm_status check_scale(const qpm_cov *c, double inv_t, int need_a4, const char *method)
{
    size_t n = c->n;
    double vmax = 0.0;
    for (size_t i = 0; i < n; i++)
        vmax = fmax(vmax, c->mom[i * n + i] * inv_t);
    if (!(vmax <= 0x1p500) || (vmax > 0.0 && vmax < 0x1p-500) || (need_a4 && !isfinite(c->a4)))
        return qpm__fail(QPM_E_OVERFLOW,
                         "%s: largest variance %g outside [2^-500, 2^500]: the fourth moments "
                         "of the shrinkage intensity are beyond the range of double",
                         method, vmax);
    return QPM_OK;
}

qpm_status qpm__cov_shrink_lw(qpm_cov *c)
{
    size_t p = c->n;
    double t = (double)c->nobs, inv_t = 1.0 / t;
    qpm_status st = check_scale(c, inv_t, 1, "QPM_COV_LEDOIT_WOLF");
    if (st != QPM_OK)
        return st;
    double mu = trace_mean(c->mom, p, inv_t);
    double fro = 0.0;
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < i; j++) {
            double v = c->mom[i * p + j] * inv_t;
            fro += 2.0 * v * v;
        }
        double v = c->mom[i * p + i] * inv_t;
        fro += v * v;
    }
    /* b~ = [ (1/T) sum_t |d_t|^4 - |S|_F^2 ] / (p T),  d = |S - mu I|_F^2 / p */
    double bt = (c->a4 * inv_t - fro) / ((double)p * t);
    double d = dist2_identity(c->mom, p, inv_t, mu) / (double)p;
    double b = bt < d ? bt : d;
    double s = b > 0.0 ? b / d : 0.0;
    shrink_to_identity(c, s, mu);
    return QPM_OK;
}

qpm_status qpm__cov_shrink_oas(qpm_cov *c)
{
    size_t p = c->n;
    double t = (double)c->nobs, inv_t = 1.0 / t, pd = (double)p;
    qpm_status st = check_scale(c, inv_t, 0, "QPM_COV_OAS");
    if (st != QPM_OK)
        return st;
    double mu = trace_mean(c->mom, p, inv_t);
    double d2 = dist2_identity(c->mom, p, inv_t, mu);
    /* alpha = |S|_F^2 / p^2;  alpha - mu^2 / p = |S - mu I|_F^2 / p^2 exactly */
    double alpha = (d2 + pd * mu * mu) / (pd * pd);
    double num = alpha + mu * mu;
    double den = (t + 1.0) * (d2 / (pd * pd));
    double s = den == 0.0 ? 1.0 : (num / den < 1.0 ? num / den : 1.0);
    if (p == 1)
        s = 0.0; /* scikit-learn's convention; the estimate is the same */
    shrink_to_identity(c, s, mu);
    return QPM_OK;
}

qpm_status qpm__cov_shrink_cc(qpm_cov *c, const double *pm, const double *th)
{
    size_t p = c->n;
    double t = (double)c->nobs, inv_t = 1.0 / t;
    const double *m = c->mom;
    double *sd = c->tmp3;
    qpm_status st = check_scale(c, inv_t, 0, "QPM_COV_LEDOIT_WOLF (constant correlation)");
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < p; i++) {
        double v = m[i * p + i] * inv_t;
        if (!(v > 0.0))
            return qpm__fail(QPM_E_SINGULAR,
                             "variance of asset %zu = %g: the constant-correlation target needs "
                             "every variance > 0",
                             i, v);
        sd[i] = sqrt(v);
    }
    double s = 0.0, rbar = 0.0;
    if (p > 1) {
        double rsum = 0.0;
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < i; j++)
                rsum += m[i * p + j] * inv_t / (sd[i] * sd[j]);
        rbar = 2.0 * rsum / ((double)p * (double)(p - 1));
        /* pi = sum_ij AsyVar(sqrt(T) s_ij); rho = its part explained by the
         * target; gamma = misspecification |S - F|_F^2 (Ledoit-Wolf 2004). */
        double phi = 0.0, phi_diag = 0.0, rho_off = 0.0, gamma = 0.0;
        for (size_t i = 0; i < p; i++) {
            for (size_t j = 0; j < i; j++) {
                double sij = m[i * p + j] * inv_t;
                phi += 2.0 * (pm[i * p + j] * inv_t - sij * sij);
                double sii = m[i * p + i] * inv_t, sjj = m[j * p + j] * inv_t;
                double th_ij = th[i * p + j] * inv_t - sii * sij;
                double th_ji = th[j * p + i] * inv_t - sjj * sij;
                rho_off += sd[j] / sd[i] * th_ij + sd[i] / sd[j] * th_ji;
                double g = sij - rbar * sd[i] * sd[j];
                gamma += 2.0 * g * g;
            }
            double sii = m[i * p + i] * inv_t;
            phi_diag += pm[i * p + i] * inv_t - sii * sii;
        }
        phi += phi_diag;
        double rho = phi_diag + rbar * rho_off;
        if (!isfinite(phi) || !isfinite(rho) || !isfinite(gamma))
            return qpm__fail(QPM_E_OVERFLOW,
                             "QPM_COV_LEDOIT_WOLF (constant correlation): the fourth moments of "
                             "the shrinkage intensity are beyond the range of double");
        if (gamma > 0.0) {
            double kappa = (phi - rho) / gamma;
            s = kappa / t;
            s = s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
        }
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < i; j++)
            c->est[i * p + j] =
                s * (rbar * sd[i] * sd[j]) + (1.0 - s) * (m[i * p + j] * inv_t);
        c->est[i * p + i] = m[i * p + i] * inv_t;
    }
    c->shrink = s;
    return QPM_OK;
}
