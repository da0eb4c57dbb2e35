/* Monte Carlo paths of the regime-switching model, jumps included
 * (include/qpm/regime.h). */
#include <math.h>
#include <string.h>

#include "regime_internal.h"

qpm_status qpm_regime_simulate(const qpm_regime *m, qpm_rng *rng, const double *start, size_t n,
                               size_t h, double *returns, size_t ldo, size_t *states)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(rng, "rng");
    size_t k = m->k, d = m->d;
    if (ldo < d)
        return qpm__fail(QPM_E_SIZE, "ldo = %zu: must be >= d = %zu", ldo, d);
    if (n != 0 && h != 0)
        QPM__CHECK_NULL(returns, "returns");
    if (!m->has_params)
        return qpm__fail(QPM_E_STATE,
                         "the model has no parameters yet: fit it or call qpm_regime_set_params");
    if (start != NULL) {
        qpm_status st = qpm__regime_check_dist(start, k, "start");
        if (st != QPM_OK)
            return st;
    } else {
        start = m->par.pi;
    }
    if (n == 0 || h == 0)
        return QPM_OK;
    const double *P = m->par.P, *muj = m->par.muj, *dj = m->par.dj;
    int jumps = m->par.jumps;
    /* A day's return is mu_s + L_s z, plus muJ + deltaJ zJ on a jump day,
     * with |z| <= 8.21 (rng.h).  The Gaussian part cannot overflow (|L z|
     * <= 1e158, below half an ulp of DBL_MAX), but mu_s + muJ can: a
     * model whose jump days' returns may leave the double range is refused
     * before anything is drawn, where it gave +-Inf. */
    for (size_t s = 0; jumps && s < k; s++) {
        if (!(m->par.pj[s] > 0.0))
            continue;
        for (size_t j = 0; j < d; j++) {
            const double *L = m->par.chol + (s * d + j) * d;
            double b = 0.0;
            for (size_t q = 0; q <= j; q++)
                b += fabs(L[q]);
            b = fabs(m->par.mu[s * d + j] + muj[j]) + 8.25 * (b + dj[j]);
            if (!(b <= 0x1.ffffffffffff0p1023))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "state %zu, asset %zu: mu = %g and mu_j = %g: a jump day's "
                                 "return may be beyond the range of double",
                                 s, j, m->par.mu[s * d + j], muj[j]);
        }
    }
    for (size_t p = 0; p < n; p++) {
        double u;
        qpm_rng_uniform(rng, 1, &u);
        size_t s = qpm__regime_draw(start, k, u);
        for (size_t t = 0; t < h; t++) {
            size_t row = p * h + t;
            qpm_rng_uniform(rng, 1, &u);
            s = qpm__regime_draw(P + s * k, k, u);
            double *x = returns + row * ldo;
            qpm_rng_normal(rng, d, x);
            /* x = mu_s + L_s z in place: row j of L z needs z_0..z_j only,
             * so the rows are formed last to first */
            const double *L = m->par.chol + s * d * d, *mu = m->par.mu + s * d;
            for (size_t j = d; j-- > 0;) {
                double v = 0.0;
                for (size_t q = 0; q <= j; q++)
                    v += L[j * d + q] * x[q];
                x[j] = mu[j] + v;
            }
            if (jumps) {
                /* drawn every day, jump or not: the draws of a day do not
                 * depend on the jump probabilities */
                qpm_rng_uniform(rng, 1, &u);
                int jump = u < m->par.pj[s];
                for (size_t j = 0; j < d; j++) {
                    double z;
                    qpm_rng_normal(rng, 1, &z);
                    if (jump)
                        x[j] += muj[j] + dj[j] * z;
                }
            }
            if (states != NULL)
                states[row] = s;
        }
    }
    return QPM_OK;
}
