/* Poisson variates.
 *
 * lambda < 10: inversion by sequential search from 0 with one uniform.
 * lambda >= 10: PTRS, the transformed rejection with squeeze of W. Hormann,
 * "The transformed rejection method for generating Poisson random variables"
 * (Insurance: Mathematics and Economics 12, 1993).  Its final test compares
 * log(V alpha / (a / us^2 + b)) with log p(k) = k log(lambda) - lambda -
 * log k!.  That difference of terms of size lambda log(lambda) would lose all
 * precision for large lambda, so log p(k) is computed as Loader's
 *     -stirlerr(k) - bd0(k, lambda) - log(2 pi k) / 2,
 * stirlerr(k) = log k! - (k + 1/2) log k + k - log(2 pi) / 2 and
 * bd0(k, lambda) = k log(k / lambda) + lambda - k (a series where k ~ lambda),
 * each accurate relative to its own size.  Counts are kept as doubles (exact
 * below 2^53; lambda <= 1e15 keeps them far below). */
#include <math.h>

#include "rng/rng_internal.h"

#define LN_SQRT_2PI  0.9189385332046728
#define SMALL_LAMBDA 10.0

/* stirlerr(k) for k = 1..15 (40-digit evaluation of the definition, rounded). */
static const double stirl_tab[16] = {
    0.0,
    0x1.4c071bcda0a5bp-4,
    0x1.52a9b923ea649p-5,
    0x1.c579a268d80b3p-6,
    0x1.54a2662fd78a9p-6,
    0x1.10b4e513fcbedp-6,
    0x1.c6b167bebdf36p-7,
    0x1.85d4d612e4a86p-7,
    0x1.552805e7b3076p-7,
    0x1.2f4871b12ab64p-7,
    0x1.10f9d4c0743a7p-7,
    0x1.f0593088014f8p-8,
    0x1.c7018733aa9c6p-8,
    0x1.a40514700f36cp-8,
    0x1.86076c002d4a7p-8,
    0x1.6c08f6f194a10p-8,
};

/* k >= 1 integral. */
static double stirlerr(double k)
{
    if (k <= 15.0)
        return stirl_tab[(int)k];
    /* Stirling series 1/(12k) - 1/(360k^3) + 1/(1260k^5) - 1/(1680k^7) + 1/(1188k^9):
     * the next term, 691/(360360 k^11), is below 1e-16 of the sum for k > 15 */
    double kk = 1.0 / (k * k);
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - kk / 1188) * kk) * kk) * kk) / k;
}

/* k log(k / m) + m - k, k > 0, m > 0 */
static double bd0(double k, double m)
{
    double diff = k - m, sum = k + m;
    if (fabs(diff) < 0.1 * sum) {
        /* with v = (k - m)/(k + m): k log(k/m) + m - k = (k - m) v + 2k sum_{j>=1} v^(2j+1)/(2j+1)
         */
        double v = diff / sum, v2 = v * v;
        double s = diff * v, ej = 2.0 * k * v;
        for (int j = 1; j < 100; j++) {
            ej *= v2;
            double s1 = s + ej / (2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    return k * log(k / m) + m - k;
}

static double log_pmf(double k, double lambda)
{
    if (k == 0.0)
        return -lambda;
    return -stirlerr(k) - bd0(k, lambda) - 0.5 * log(k) - LN_SQRT_2PI;
}

typedef struct ptrs_par {
    double lambda, b, a, inv_alpha, vr, log_inv_alpha;
} ptrs_par;

static void ptrs_init(ptrs_par *pp, double lambda)
{
    double slam = sqrt(lambda);
    pp->lambda = lambda;
    pp->b = 0.931 + 2.53 * slam;
    pp->a = -0.059 + 0.02483 * pp->b;
    pp->inv_alpha = 1.1239 + 1.1328 / (pp->b - 3.4);
    pp->vr = 0.9277 - 3.6224 / (pp->b - 2.0);
    pp->log_inv_alpha = log(pp->inv_alpha);
}

static double ptrs(qpm__gen *w, const ptrs_par *pp)
{
    for (;;) {
        double u = qpm__u01_open(w) - 0.5; /* |u| < 1/2, so us > 0 */
        double v = qpm__u01_open(w);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * pp->a / us + pp->b) * u + pp->lambda + 0.43);
        if (us >= 0.07 && v <= pp->vr)
            return k;
        if (k < 0.0 || (us < 0.013 && v > us))
            continue;
        double lhs = log(v) + pp->log_inv_alpha - log(pp->a / (us * us) + pp->b);
        if (lhs <= log_pmf(k, pp->lambda))
            return k;
    }
}

/* Sequential search from 0: k is the first index with u <= F(k), where
 * p_0 = e^-lambda, p_k = p_{k-1} lambda / k and F(k) = F(k-1) + p_k in double;
 * the search also ends at the first k with p_k == 0 (u above the computed
 * CDF's limit, probability < 1e-15).  The terms are the same for every draw of
 * a fill, so they are kept in a table that grows as draws need it; beyond
 * the table (k >= 128, probability below 1e-90 for lambda < 10) the search
 * continues without storing.  The result is the same as searching afresh. */
#define INV_CAP 128

typedef struct inv_table {
    double lambda;
    double p[INV_CAP], cdf[INV_CAP];
    int built;
} inv_table;

static void inv_init(inv_table *t, double lambda)
{
    t->lambda = lambda;
    t->p[0] = t->cdf[0] = exp(-lambda);
    t->built = 1;
}

static double invert_small(qpm__gen *w, inv_table *t)
{
    double u = qpm__u01(w);
    int k = 0;
    for (;;) {
        if (k == t->built) {
            if (k == INV_CAP)
                break;
            t->p[k] = t->p[k - 1] * (t->lambda / k);
            t->cdf[k] = t->cdf[k - 1] + t->p[k];
            t->built++;
        }
        if (u <= t->cdf[k] || t->p[k] == 0.0)
            return k;
        k++;
    }
    double kk = INV_CAP - 1, p = t->p[INV_CAP - 1], cdf = t->cdf[INV_CAP - 1];
    while (u > cdf && p > 0.0) {
        kk += 1.0;
        p *= t->lambda / kk;
        cdf += p;
    }
    return kk;
}

qpm_status qpm_rng_poisson(qpm_rng *rng, size_t n, double lambda, double *out)
{
    QPM__CHECK_NULL(rng, "rng");
    if (!isfinite(lambda))
        return qpm__fail(QPM_E_NONFINITE, "lambda = %g: must be finite", lambda);
    if (!(lambda >= 0.0) || lambda > QPM_RNG_POISSON_MAX)
        return qpm__fail(QPM_E_INVALID, "lambda = %.17g: must be in [0, %g]", lambda,
                         QPM_RNG_POISSON_MAX);
    if (n != 0)
        QPM__CHECK_NULL(out, "out");
    if (lambda == 0.0) {
        for (size_t i = 0; i < n; i++)
            out[i] = 0.0;
        return QPM_OK;
    }
    qpm__gen w = qpm__gen_load(&rng->g);
    if (lambda < SMALL_LAMBDA) {
        inv_table t;
        inv_init(&t, lambda);
        for (size_t i = 0; i < n; i++)
            out[i] = invert_small(&w, &t);
    } else {
        ptrs_par pp;
        ptrs_init(&pp, lambda);
        for (size_t i = 0; i < n; i++)
            out[i] = ptrs(&w, &pp);
    }
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}
