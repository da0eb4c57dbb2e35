/* The regime-switching model's forward-backward pass: filtered and smoothed
 * probabilities and the log-likelihood, with each state's emission the
 * mixture of its no-jump and jump-day normals when there are jumps
 * (include/qpm/regime.h). */
#include <math.h>
#include <string.h>

#include "regime_internal.h"

/* log(2 pi) */
#define LOG_2PI 1.8378770664093454836

qpm_status qpm__regime_fb_alloc(const qpm_alloc *a, qpm__regime_fb *fb, size_t T, size_t k,
                                size_t d, int jumps)
{
    memset(fb, 0, sizeof *fb);
    fb->b = qpm__calloc(a, T, k * sizeof(double));
    fb->alpha = fb->b ? qpm__calloc(a, T, k * sizeof(double)) : NULL;
    fb->gamma = fb->alpha ? qpm__calloc(a, T, k * sizeof(double)) : NULL;
    fb->c = fb->gamma ? qpm__calloc(a, T, sizeof(double)) : NULL;
    fb->z = fb->c ? qpm__calloc(a, d, sizeof(double)) : NULL;
    fb->beta = fb->z ? qpm__calloc(a, 2 * k, sizeof(double)) : NULL;
    if (fb->beta != NULL && jumps) {
        fb->wj = qpm__calloc(a, T, k * sizeof(double));
        if (fb->wj == NULL)
            fb->beta = (qpm__free(a, fb->beta), NULL);
    }
    if (fb->beta == NULL) {
        qpm__regime_fb_free(a, fb);
        return QPM_E_NOMEM;
    }
    return QPM_OK;
}

void qpm__regime_fb_free(const qpm_alloc *a, qpm__regime_fb *fb)
{
    qpm__free(a, fb->b);
    qpm__free(a, fb->alpha);
    qpm__free(a, fb->gamma);
    qpm__free(a, fb->c);
    qpm__free(a, fb->z);
    qpm__free(a, fb->beta);
    qpm__free(a, fb->wj);
    memset(fb, 0, sizeof *fb);
}

/* log N(x; mu, L L') with z as scratch */
static double log_density(const double *x, const double *mu, const double *L, double logdet,
                          size_t d, double *z)
{
    double q = 0.0;
    for (size_t i = 0; i < d; i++) {
        double s = x[i] - mu[i];
        for (size_t p = 0; p < i; p++)
            s -= L[i * d + p] * z[p];
        z[i] = s / L[i * d + i];
        q += z[i] * z[i];
    }
    return -0.5 * ((double)d * LOG_2PI + logdet + q);
}

/* log N(x; mu + muj, L L'), the density of a jump day */
static double log_density_jump(const double *x, const double *mu, const double *muj,
                               const double *L, double logdet, size_t d, double *z)
{
    double q = 0.0;
    for (size_t i = 0; i < d; i++) {
        double s = x[i] - mu[i] - muj[i];
        for (size_t p = 0; p < i; p++)
            s -= L[i * d + p] * z[p];
        z[i] = s / L[i * d + i];
        q += z[i] * z[i];
    }
    return -0.5 * ((double)d * LOG_2PI + logdet + q);
}

/* The log density of state s's mixture (1 - p) N0 + p N1 from l0 = log N0
 * and l1 = log N1, in logarithms (either density may underflow), and into
 * *w the probability of the jump component given the day. */
static double log_mixture(double p, double l0, double l1, double *w)
{
    double a = log1p(-p) + l0, b = log(p) + l1;
    double hi = a > b ? a : b, lo = a > b ? b : a;
    if (!isfinite(hi)) {
        /* neither component can have produced the day: the state's
         * density is 0 and the jump probability irrelevant, but finite */
        *w = 0.0;
        return -HUGE_VAL;
    }
    double e = exp(lo - hi);
    *w = b >= a ? 1.0 / (1.0 + e) : e / (1.0 + e);
    return hi + log1p(e);
}

qpm_status qpm__regime_fb_run(const qpm__regime_par *par, size_t k, size_t d, size_t T,
                              const double *r, size_t ldr, int smooth, qpm__regime_fb *fb,
                              double *loglik)
{
    const double *P = par->P;
    double ll = 0.0;
    for (size_t t = 0; t < T; t++) {
        double lb[QPM__REGIME_MAX_K], mx = -HUGE_VAL;
        for (size_t s = 0; s < k; s++) {
            lb[s] = log_density(r + t * ldr, par->mu + s * d, par->chol + s * d * d, par->logdet[s],
                                d, fb->z);
            if (par->jumps) {
                double w = 0.0;
                if (par->pj[s] > 0.0) {
                    double l1 = log_density_jump(r + t * ldr, par->mu + s * d, par->muj,
                                                 par->cholj + s * d * d, par->logdetj[s], d, fb->z);
                    lb[s] = log_mixture(par->pj[s], lb[s], l1, &w);
                }
                if (fb->wj != NULL)
                    fb->wj[t * k + s] = w;
            }
            if (lb[s] > mx)
                mx = lb[s];
        }
        if (!isfinite(mx))
            return qpm__fail(QPM_E_OVERFLOW,
                             "r row %zu: the density of day %zu is 0 in every state (returns "
                             "beyond the range of double in the model's units)",
                             t, t);
        double *b = fb->b + t * k, *a = fb->alpha + t * k, c = 0.0;
        /* densities relative to the day's largest: no underflow however
         * far the day lies from every state */
        for (size_t s = 0; s < k; s++)
            b[s] = exp(lb[s] - mx);
        for (size_t j = 0; j < k; j++) {
            double pred;
            if (t == 0) {
                pred = par->pi[j];
            } else {
                pred = 0.0;
                for (size_t i = 0; i < k; i++)
                    pred += fb->alpha[(t - 1) * k + i] * P[i * k + j];
            }
            a[j] = pred * b[j];
            c += a[j];
        }
        if (!(c > 0.0) || !isfinite(c))
            return qpm__fail(QPM_E_OVERFLOW,
                             "r row %zu: day %zu has probability 0 under every state the chain "
                             "can be in (the log-likelihood is -inf)",
                             t, t);
        for (size_t j = 0; j < k; j++)
            a[j] /= c;
        fb->c[t] = c;
        ll += log(c) + mx;
    }
    if (!isfinite(ll))
        return qpm__fail(QPM_E_OVERFLOW, "the log-likelihood is beyond the range of double");
    if (smooth) {
        /* backward pass; beta is rescaled to a largest entry of 1 each day
         * (only its ratios matter) and xi_t, gamma_{t-1} normalised to sum
         * 1, so that nothing overflows or underflows */
        double *beta = fb->beta, *prev = fb->beta + k;
        memset(fb->xi, 0, sizeof fb->xi);
        for (size_t s = 0; s < k; s++) {
            beta[s] = 1.0;
            fb->gamma[(T - 1) * k + s] = fb->alpha[(T - 1) * k + s];
        }
        for (size_t t = T - 1; t >= 1; t--) {
            const double *b = fb->b + t * k, *a = fb->alpha + (t - 1) * k;
            double v[QPM__REGIME_MAX_K], x[QPM__REGIME_MAX_K * QPM__REGIME_MAX_K];
            double xs = 0.0, bmax = 0.0;
            for (size_t j = 0; j < k; j++)
                v[j] = b[j] * beta[j];
            for (size_t i = 0; i < k; i++) {
                double bi = 0.0;
                for (size_t j = 0; j < k; j++) {
                    bi += P[i * k + j] * v[j];
                    x[i * k + j] = a[i] * P[i * k + j] * v[j];
                    xs += x[i * k + j];
                }
                prev[i] = bi;
                if (bi > bmax)
                    bmax = bi;
            }
            if (!(xs > 0.0) || !isfinite(xs) || !(bmax > 0.0))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "r row %zu: the smoothed probabilities underflow (day %zu is "
                                 "all but impossible under the model)",
                                 t, t);
            double *g = fb->gamma + (t - 1) * k;
            for (size_t i = 0; i < k; i++) {
                double gi = 0.0;
                for (size_t j = 0; j < k; j++) {
                    double xij = x[i * k + j] / xs;
                    fb->xi[i * k + j] += xij;
                    gi += xij;
                }
                /* a sum of quotients that add up to 1 can round one ulp
                 * past it: a probability stays <= 1 */
                g[i] = gi < 1.0 ? gi : 1.0;
                beta[i] = prev[i] / bmax;
            }
        }
    }
    *loglik = ll;
    return QPM_OK;
}

qpm_status qpm_regime_filter(const qpm_regime *m, size_t T, const double *r, size_t ldr,
                             double *filtered, double *smoothed, double *loglik)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(r, "r");
    size_t k = m->k, d = m->d;
    if (T == 0)
        return qpm__fail(QPM_E_SIZE, "T = 0: the series needs at least one day");
    if (ldr < d)
        return qpm__fail(QPM_E_SIZE, "ldr = %zu: must be >= d = %zu", ldr, d);
    qpm_status st = qpm__check_finite_matrix(r, T, d, ldr, "r");
    if (st != QPM_OK)
        return st;
    if (!m->has_params)
        return qpm__fail(QPM_E_STATE,
                         "the model has no parameters yet: fit it or call qpm_regime_set_params");
    qpm__regime_fb fb;
    qpm_alloc a = m->alloc;
    if ((st = qpm__regime_fb_alloc(&a, &fb, T, k, d, 0)) != QPM_OK)
        return st;
    double ll;
    st = qpm__regime_fb_run(&m->par, k, d, T, r, ldr, smoothed != NULL, &fb, &ll);
    if (st == QPM_OK) {
        if (filtered != NULL)
            memcpy(filtered, fb.alpha, T * k * sizeof(double));
        if (smoothed != NULL)
            memcpy(smoothed, fb.gamma, T * k * sizeof(double));
        if (loglik != NULL)
            *loglik = ll;
    }
    qpm__regime_fb_free(&a, &fb);
    return st;
}
