/* The regime-switching model's fit by EM (Baum-Welch): deterministic start
 * from a volatility ranking, closed-form M-steps with a variance floor,
 * states ordered by volatility at the end (include/qpm/regime.h). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "regime_internal.h"

/* A state's variances are held at or above this fraction of the asset's
 * variance over the whole series. */
#define VAR_FLOOR 1e-6

typedef struct fit_ctx {
    size_t k, d, T, ldr;
    const double *r;
    const double *floor; /* d: VAR_FLOOR times each asset's variance */
    const double *var;   /* d: each asset's variance over the series */
    double *dev;         /* d scratch */
} fit_ctx;

/* mu_s and Sigma_s weighted by w[t * k + s], floored and factorised. */
static qpm_status mstep_gauss(const fit_ctx *f, const double *w, qpm__regime_par *par)
{
    size_t k = f->k, d = f->d, T = f->T;
    for (size_t s = 0; s < k; s++) {
        double N = 0.0;
        for (size_t t = 0; t < T; t++)
            N += w[t * k + s];
        if (!(N > DBL_EPSILON * (double)T))
            return qpm__fail(QPM_E_NOCONVERGE,
                             "state %zu lost all its weight (%g days): the series shows fewer "
                             "than k = %zu regimes",
                             s, N, k);
        double *mu = par->mu + s * d, *S = par->sigma + s * d * d;
        memset(mu, 0, d * sizeof(double));
        memset(S, 0, d * d * sizeof(double));
        for (size_t t = 0; t < T; t++) {
            double g = w[t * k + s];
            const double *x = f->r + t * f->ldr;
            for (size_t j = 0; j < d; j++)
                mu[j] += g * x[j];
        }
        for (size_t j = 0; j < d; j++)
            mu[j] /= N;
        /* two passes: deviations from the weighted mean, no cancellation */
        for (size_t t = 0; t < T; t++) {
            double g = w[t * k + s];
            if (g == 0.0)
                continue;
            const double *x = f->r + t * f->ldr;
            for (size_t j = 0; j < d; j++)
                f->dev[j] = x[j] - mu[j];
            for (size_t i = 0; i < d; i++) {
                double gi = g * f->dev[i];
                for (size_t j = 0; j <= i; j++)
                    S[i * d + j] += gi * f->dev[j];
            }
        }
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j <= i; j++) {
                S[i * d + j] /= N;
                S[j * d + i] = S[i * d + j];
            }
        for (size_t j = 0; j < d; j++)
            if (S[j * d + j] < f->floor[j])
                S[j * d + j] = f->floor[j];
        /* a singular state covariance (perfectly correlated assets within
         * the state): the floor added to the diagonal until it factorises */
        double ridge = 1.0;
        while (qpm__regime_chol(S, d, par->chol + s * d * d, &par->logdet[s]) < d) {
            for (size_t j = 0; j < d; j++)
                S[j * d + j] += ridge * f->floor[j];
            ridge *= 2.0;
            if (ridge > 0x1p60)
                return qpm__fail(QPM_E_NOCONVERGE,
                                 "the covariance of state %zu cannot be made positive definite", s);
        }
    }
    return QPM_OK;
}

/* the ranking of the start: score, then day */
typedef struct ranked {
    double score;
    size_t t;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

qpm_status qpm_regime_fit(qpm_regime *m, size_t T, const double *r, size_t ldr, size_t max_iter,
                          double tol, double *loglik, size_t *iterations, int *converged)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(r, "r");
    size_t k = m->k, d = m->d;
    if (ldr < d)
        return qpm__fail(QPM_E_SIZE, "ldr = %zu: must be >= d = %zu", ldr, d);
    if (max_iter == 0)
        return qpm__fail(QPM_E_INVALID, "max_iter = 0: must be >= 1");
    if (!(tol >= 0.0))
        return qpm__fail(QPM_E_INVALID, "tol = %g: must be >= 0", tol);
    if (m->mode == QPM_REGIME_INIT_ERGODIC)
        return qpm__fail(QPM_E_UNSUPPORTED,
                         "the fit needs an estimated or fixed initial distribution (the EM step "
                         "has no closed form for the ergodic one): set "
                         "QPM_REGIME_INIT_ESTIMATED or _FIXED, fit, then switch to _ERGODIC");
    size_t npar = k * (k - 1) + k * d * (d + 3) / 2;
    if (m->mode == QPM_REGIME_INIT_ESTIMATED)
        npar += k - 1;
    if (T <= npar)
        return qpm__fail(QPM_E_SIZE,
                         "T = %zu: a model of %zu states over %zu assets has %zu free "
                         "parameters; the series needs more days than that",
                         T, k, d, npar);
    qpm_status st = qpm__check_finite_matrix(r, T, d, ldr, "r");
    if (st != QPM_OK)
        return st;

    qpm_alloc a = m->alloc;
    qpm__regime_fb fb;
    if ((st = qpm__regime_fb_alloc(&a, &fb, T, k, d)) != QPM_OK)
        return st;
    double *mean = qpm__calloc(&a, 4 * d, sizeof(double));
    double *mu = qpm__calloc(&a, k * d, sizeof(double));
    double *sigma = qpm__calloc(&a, k * d * d, sizeof(double));
    double *chol = qpm__calloc(&a, k * d * d, sizeof(double));
    ranked *rank = qpm__calloc(&a, T, sizeof *rank);
    if (mean == NULL || mu == NULL || sigma == NULL || chol == NULL || rank == NULL) {
        st = QPM_E_NOMEM;
        goto done;
    }
    double *var = mean + d, *floor = mean + 2 * d, *dev = mean + 3 * d;

    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < d; j++)
            mean[j] += r[t * ldr + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)T;
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < d; j++) {
            double e = r[t * ldr + j] - mean[j];
            var[j] += e * e;
        }
    for (size_t j = 0; j < d; j++) {
        var[j] /= (double)T;
        if (!isfinite(var[j])) {
            st = qpm__fail(QPM_E_OVERFLOW,
                           "r column %zu: its variance over the series is beyond the range of "
                           "double (scale the returns)",
                           j);
            goto done;
        }
        /* the mean of a constant column may round off its value: compare
         * the values themselves */
        int constant = 1;
        for (size_t t = 1; t < T && constant; t++)
            constant = r[t * ldr + j] == r[j];
        if (constant || !(var[j] > 0.0)) {
            st = qpm__fail(QPM_E_INVALID,
                           "r column %zu is constant over the series: no regime can be told "
                           "apart in it",
                           j);
            goto done;
        }
        floor[j] = VAR_FLOOR * var[j];
    }
    fit_ctx f = {k, d, T, ldr, r, floor, var, dev};
    qpm__regime_par par;
    memset(&par, 0, sizeof par);
    par.mu = mu;
    par.sigma = sigma;
    par.chol = chol;

    /* start: K groups of equal size by the standardised squared norm */
    for (size_t t = 0; t < T; t++) {
        double sc = 0.0;
        for (size_t j = 0; j < d; j++) {
            double e = r[t * ldr + j] - mean[j];
            sc += e * e / var[j];
        }
        rank[t].score = sc;
        rank[t].t = t;
    }
    qsort(rank, T, sizeof *rank, cmp_ranked);
    memset(fb.gamma, 0, T * k * sizeof(double));
    for (size_t q = 0; q < T; q++)
        fb.gamma[rank[q].t * k + q * k / T] = 1.0;
    if ((st = mstep_gauss(&f, fb.gamma, &par)) != QPM_OK)
        goto done;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            par.P[i * k + j] = i == j ? 0.9 : 0.1 / (double)(k - 1);
    memcpy(par.pi, m->pi_given, k * sizeof(double));

    double ll, ll_new;
    if ((st = qpm__regime_fb_run(&par, k, d, T, r, ldr, 1, &fb, &ll)) != QPM_OK)
        goto done;
    size_t it = 0;
    int conv = 0;
    while (it < max_iter) {
        for (size_t i = 0; i < k; i++) {
            double rs = 0.0;
            for (size_t j = 0; j < k; j++)
                rs += fb.xi[i * k + j];
            /* a state never left before the last day keeps its row */
            if (rs > 0.0)
                for (size_t j = 0; j < k; j++)
                    par.P[i * k + j] = fb.xi[i * k + j] / rs;
        }
        if (m->mode == QPM_REGIME_INIT_ESTIMATED)
            memcpy(par.pi, fb.gamma, k * sizeof(double));
        if ((st = mstep_gauss(&f, fb.gamma, &par)) != QPM_OK)
            goto done;
        if ((st = qpm__regime_fb_run(&par, k, d, T, r, ldr, 1, &fb, &ll_new)) != QPM_OK)
            goto done;
        it++;
        double change = fabs(ll_new - ll);
        ll = ll_new;
        if (change <= tol * (1.0 + fabs(ll))) {
            conv = 1;
            break;
        }
        if ((st = qpm__progress_report(&m->progress, (double)it / (double)max_iter)) != QPM_OK)
            goto done;
    }
    if ((st = qpm__progress_report(&m->progress, 1.0)) != QPM_OK)
        goto done;

    /* states by increasing volatility, each asset scaled by its variance */
    size_t perm[QPM__REGIME_MAX_K];
    double vol[QPM__REGIME_MAX_K];
    for (size_t s = 0; s < k; s++) {
        vol[s] = 0.0;
        for (size_t j = 0; j < d; j++)
            vol[s] += sigma[s * d * d + j * d + j] / var[j];
        perm[s] = s;
    }
    for (size_t s = 1; s < k; s++)
        for (size_t q = s; q > 0 && vol[perm[q]] < vol[perm[q - 1]]; q--) {
            size_t tmp = perm[q];
            perm[q] = perm[q - 1];
            perm[q - 1] = tmp;
        }
    for (size_t s = 0; s < k; s++) {
        size_t o = perm[s];
        for (size_t j = 0; j < k; j++)
            m->par.P[s * k + j] = par.P[o * k + perm[j]];
        m->par.pi[s] = par.pi[o];
        m->par.logdet[s] = par.logdet[o];
        memcpy(m->par.mu + s * d, mu + o * d, d * sizeof(double));
        memcpy(m->par.sigma + s * d * d, sigma + o * d * d, d * d * sizeof(double));
        memcpy(m->par.chol + s * d * d, chol + o * d * d, d * d * sizeof(double));
    }
    if (m->mode == QPM_REGIME_INIT_ESTIMATED)
        memcpy(m->pi_given, m->par.pi, k * sizeof(double));
    m->has_params = 1;
    if (loglik != NULL)
        *loglik = ll;
    if (iterations != NULL)
        *iterations = it;
    if (converged != NULL)
        *converged = conv;
done:
    qpm__regime_fb_free(&a, &fb);
    qpm__free(&a, mean);
    qpm__free(&a, mu);
    qpm__free(&a, sigma);
    qpm__free(&a, chol);
    qpm__free(&a, rank);
    return st;
}
