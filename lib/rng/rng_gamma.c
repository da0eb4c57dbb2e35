/* Gamma and Student-t variates.
 *
 * Gamma(a), a >= 1: Marsaglia & Tsang, "A simple method for generating gamma
 * variables" (ACM TOMS 26, 2000): d = a - 1/3, c = 1/sqrt(9d); propose
 * v = (1 + c x)^3 from a normal x, accept with the squeeze
 * u < 1 - 0.0331 x^4 or else log u < x^2/2 + d (1 - v + log v).  For large d
 * the last term is a cancellation of O(1) quantities multiplied by d, so for
 * |c x| < 0.05 it is evaluated from its series, which is accurate relative to
 * its own size.  The proposal normal comes from plain AS241 (a few ulp): the
 * rejection step is exact for any correct normal source, and the last bits of
 * the proposal do not change the distribution.
 *
 * a < 1: Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia & Tsang, section 6),
 * kept in logarithms so that tiny shapes give log-values far below the double
 * range instead of 0 * Inf.
 *
 * Student-t(nu) = Z / sqrt(G / nu), Z normal by inversion (drawn first), G a
 * chi-square(nu) = 2 Gamma(nu / 2). */
#include <math.h>

#include "rng/norm_as241.h"
#include "rng/rng_internal.h"

void qpm__gamma_init(qpm__gamma_par *gp, double shape)
{
    gp->shape = shape;
    gp->boost = shape < 1.0;
    double b = gp->boost ? shape + 1.0 : shape;
    gp->d = b - 1.0 / 3.0;
    gp->c = 1.0 / sqrt(9.0 * gp->d);
    gp->inv_shape = 1.0 / shape;
}

/* 1 - v + log v for v = (1 + w)^3, w > -1. */
static inline double mt_log_term(double w, double v)
{
    if (fabs(w) < 0.05) {
        double t;
        QPM__MT_SERIES(double, w, t); /* its series (rng_internal.h) */
        return t;
    }
    return 1.0 - v + log(v);
}

static double marsaglia_tsang(qpm__gen *w, double d, double c)
{
    for (;;) {
        double x, cx;
        do {
            x = qpm__as241(qpm__u01_open(w));
            cx = c * x;
        } while (cx <= -1.0);
        double v = (1.0 + cx) * (1.0 + cx) * (1.0 + cx);
        double u = qpm__u01_open(w);
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2)
            return d * v;
        if (log(u) < 0.5 * x2 + d * mt_log_term(cx, v))
            return d * v;
    }
}

double qpm__gamma_log(qpm__gen *w, const qpm__gamma_par *gp)
{
    double g = marsaglia_tsang(w, gp->d, gp->c);
    if (!gp->boost)
        return log(g);
    return log(g) + log(qpm__u01_open(w)) * gp->inv_shape;
}

double qpm__gamma_draw(qpm__gen *w, const qpm__gamma_par *gp)
{
    double g = marsaglia_tsang(w, gp->d, gp->c);
    if (!gp->boost)
        return g;
    return exp(log(g) + log(qpm__u01_open(w)) * gp->inv_shape);
}

static qpm_status check_param(double x, const char *name)
{
    if (!isfinite(x))
        return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", name, x);
    if (!(x > 0.0))
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be > 0", name, x);
    return QPM_OK;
}

/* The start shared by the gamma and Student-t fills: the checks of rng, the
 * parameter x (finite, > 0) and out, and the sampler constants of `shape`. */
static qpm_status begin_fill(const qpm_rng *rng, size_t n, double x, const char *name,
                             const double *out, double shape, qpm__gamma_par *gp)
{
    QPM__CHECK_NULL(rng, "rng");
    qpm_status st = check_param(x, name);
    if (st != QPM_OK)
        return st;
    if (n != 0)
        QPM__CHECK_NULL(out, "out");
    qpm__gamma_init(gp, shape);
    return QPM_OK;
}

qpm_status qpm_rng_gamma(qpm_rng *rng, size_t n, double shape, double *out)
{
    qpm__gamma_par gp;
    qpm_status st = begin_fill(rng, n, shape, "shape", out, shape, &gp);
    if (st != QPM_OK)
        return st;
    qpm__gen w = qpm__gen_load(&rng->g);
    for (size_t i = 0; i < n; i++)
        out[i] = qpm__gamma_draw(&w, &gp);
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}

qpm_status qpm_rng_student_t(qpm_rng *rng, size_t n, double nu, double *out)
{
    qpm__gamma_par gp;
    qpm_status st = begin_fill(rng, n, nu, "nu", out, 0.5 * nu, &gp);
    if (st != QPM_OK)
        return st;
    double half_nu = 0.5 * nu;
    double log_half_nu = log(nu) - M_LN2; /* no underflow of nu / 2 */
    qpm__gen w = qpm__gen_load(&rng->g);
    /* in passes: each value's uniform for Z, then its gamma draws, in stream
     * order; then the pass's uniforms inverted together (the bits of
     * qpm_norm_inv) */
    enum { PASS = 256 };
    double z[PASS], g[PASS];
    for (size_t i0 = 0; i0 < n; i0 += PASS) {
        size_t m = n - i0 < PASS ? n - i0 : PASS;
        for (size_t i = 0; i < m; i++) {
            z[i] = qpm__u01_open(&w);
            g[i] = gp.boost ? qpm__gamma_log(&w, &gp) : qpm__gamma_draw(&w, &gp);
        }
        qpm__norm_inv_block(m, z, 1);
        for (size_t i = 0; i < m; i++) {
            if (!gp.boost)
                out[i0 + i] = z[i] * sqrt(half_nu / g[i]);
            else
                out[i0 + i] = z[i] == 0.0 ? z[i] : z[i] * exp(0.5 * (log_half_nu - g[i]));
        }
    }
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}
