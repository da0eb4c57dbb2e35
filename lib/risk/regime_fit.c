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

/* The start of a jump fit without jumps in the handle: a jump on 5% of the
 * days in every state, of mean 0 and 3 times each asset's standard
 * deviation over the series. */
#define JUMP_P0  0.05
#define JUMP_SD0 3.0

typedef struct fit_ctx {
    size_t k, d, T, ldr;
    const double *r;
    const double *floor; /* d: VAR_FLOOR times each asset's variance */
    const double *var;   /* d: each asset's variance over the series */
    double *dev;         /* d scratch */
} fit_ctx;

/* Floors the variances of Sigma_s (par->sigma, state s) and factorises it. */
static qpm_status floor_and_factor(const fit_ctx *f, size_t s, qpm__regime_par *par)
{
    size_t d = f->d;
    double *S = par->sigma + s * d * d;
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
    return QPM_OK;
}

/* mu_s and Sigma_s weighted by w[t * k + s], floored and factorised. */
static qpm_status mstep_gauss(const fit_ctx *f, const double *w, qpm__regime_par *par)
{
    size_t k = f->k, d = f->d, T = f->T;
    qpm_status st;
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
        if ((st = floor_and_factor(f, s, par)) != QPM_OK)
            return st;
    }
    return QPM_OK;
}

/* Scratch of the M-step with jumps: minv (k x d x d, (Sigma_s + D)^-1 at
 * the E-step's parameters), mu0 (k x d, the E-step's means), muj0 (d), m
 * and e (d each), accm and accd (d each), sig0 (k x d x d, the E-step's
 * covariances), w (d). */
typedef struct jump_scratch {
    double *minv, *mu0, *muj0, *m, *e, *accm, *accd, *sig0, *w;
} jump_scratch;

/* E[J | x, jump day, state s] into js->m from the E-step's parameters:
 * muJ + D (Sigma_s + D)^-1 (x - mu_s - muJ), or the same as
 * (x - mu_s) - Sigma_s (Sigma_s + D)^-1 (x - mu_s - muJ). */
static void jump_mean(const fit_ctx *f, const qpm__regime_par *par, const jump_scratch *js,
                      size_t s, const double *x)
{
    size_t d = f->d;
    const double *Mi = js->minv + s * d * d, *mu = js->mu0 + s * d, *S0 = js->sig0 + s * d * d;
    for (size_t i = 0; i < d; i++)
        js->e[i] = x[i] - mu[i] - js->muj0[i];
    for (size_t i = 0; i < d; i++) {
        double v = 0.0;
        for (size_t j = 0; j < d; j++)
            v += Mi[i * d + j] * js->e[j];
        js->w[i] = v;
    }
    /* Each form rounds at the scale of its larger term: muJ and D M e
     * cancel to a residue of ulp(muJ) when the jump is far larger than the
     * state's returns (the mean of a jump of 0.05 on returns near 1e-149
     * came out 7e-18, and the fit diverged), x - mu and Sigma M e when it
     * is far smaller: take the form with the smaller terms. */
    for (size_t i = 0; i < d; i++) {
        double a = par->dj[i] * par->dj[i] * js->w[i], b = 0.0, xm = x[i] - mu[i];
        for (size_t j = 0; j < d; j++)
            b += S0[i * d + j] * js->w[j];
        js->m[i] = fmax(fabs(js->muj0[i]), fabs(a)) <= fmax(fabs(xm), fabs(b)) ? js->muj0[i] + a
                                                                                : xm - b;
    }
}

/* One M-step of the model with jumps, exact EM for the latent jump sizes:
 * on a jump day in state s, x = mu_s + eps + J with eps ~ N(0, Sigma_s)
 * and J ~ N(muJ, D), so J given x is normal with mean m_t =
 * E[J | x] (jump_mean) and covariance V_s = D - D (Sigma_s + D)^-1 D.
 * With g = gamma_t(s) and c = g w_t(s) (the jump day's weight):
 *     mu_s    = sum_t (g x_t - c m_t) / sum_t g
 *     Sigma_s = sum_t [(g - c) e e' + c (e - m_t)(e - m_t)'] / sum_t g
 *               + (sum_t c / sum_t g) V_s,              e = x_t - mu_s,
 * and, when update_jumps, muJ = sum c m_t / sum c, D_jj = sum c [(m_tj -
 * muJ_j)^2 + V_s,jj] / sum c (over t and s), p_s = sum_t c / sum_t g.
 * Each maximises the expected complete log-likelihood given the E-step's
 * posteriors, so the log-likelihood cannot decrease (floors aside). */
static qpm_status mstep_jumps(const fit_ctx *f, const qpm__regime_fb *fb, qpm__regime_par *par,
                              int update_jumps, const jump_scratch *js)
{
    size_t k = f->k, d = f->d, T = f->T;
    const double *gam = fb->gamma, *wj = fb->wj;
    qpm_status st;
    /* the E-step's parameters: (Sigma_s + D)^-1 column by column from the
     * factor, the means */
    for (size_t s = 0; s < k; s++) {
        const double *L = par->cholj + s * d * d;
        double *Mi = js->minv + s * d * d;
        for (size_t c = 0; c < d; c++) {
            for (size_t i = 0; i < d; i++) {
                double v = i == c ? 1.0 : 0.0;
                for (size_t p = 0; p < i; p++)
                    v -= L[i * d + p] * js->e[p];
                js->e[i] = v / L[i * d + i];
            }
            for (size_t i = d; i-- > 0;) {
                double v = js->e[i];
                for (size_t p = i + 1; p < d; p++)
                    v -= L[p * d + i] * Mi[p * d + c];
                Mi[i * d + c] = v / L[i * d + i];
            }
        }
    }
    memcpy(js->mu0, par->mu, k * d * sizeof(double));
    memcpy(js->muj0, par->muj, d * sizeof(double));
    memcpy(js->sig0, par->sigma, k * d * d * sizeof(double));
    memset(js->accm, 0, d * sizeof(double));
    memset(js->accd, 0, d * sizeof(double));
    double N[QPM__REGIME_MAX_K], C[QPM__REGIME_MAX_K], Ctot = 0.0;
    for (size_t s = 0; s < k; s++) {
        N[s] = C[s] = 0.0;
        memset(par->mu + s * d, 0, d * sizeof(double));
        memset(par->sigma + s * d * d, 0, d * d * sizeof(double));
    }
    for (size_t t = 0; t < T; t++) {
        const double *x = f->r + t * f->ldr;
        for (size_t s = 0; s < k; s++) {
            double g = gam[t * k + s], c = g * wj[t * k + s];
            double *mu = par->mu + s * d;
            N[s] += g;
            for (size_t j = 0; j < d; j++)
                mu[j] += g * x[j];
            if (c > 0.0) {
                jump_mean(f, par, js, s, x);
                for (size_t j = 0; j < d; j++) {
                    mu[j] -= c * js->m[j];
                    js->accm[j] += c * js->m[j];
                }
                C[s] += c;
            }
        }
    }
    for (size_t s = 0; s < k; s++) {
        if (!(N[s] > DBL_EPSILON * (double)T))
            return qpm__fail(QPM_E_NOCONVERGE,
                             "state %zu lost all its weight (%g days): the series shows fewer "
                             "than k = %zu regimes",
                             s, N[s], k);
        for (size_t j = 0; j < d; j++)
            par->mu[s * d + j] /= N[s];
        Ctot += C[s];
    }
    double *muj = par->muj;
    if (update_jumps && Ctot > 0.0)
        for (size_t j = 0; j < d; j++)
            muj[j] = js->accm[j] / Ctot;
    for (size_t t = 0; t < T; t++) {
        const double *x = f->r + t * f->ldr;
        for (size_t s = 0; s < k; s++) {
            double g = gam[t * k + s];
            if (g == 0.0)
                continue;
            double c = g * wj[t * k + s], *S = par->sigma + s * d * d;
            const double *mu = par->mu + s * d;
            for (size_t j = 0; j < d; j++)
                f->dev[j] = x[j] - mu[j];
            for (size_t i = 0; i < d; i++) {
                double gi = (g - c) * f->dev[i];
                for (size_t j = 0; j <= i; j++)
                    S[i * d + j] += gi * f->dev[j];
            }
            if (c > 0.0) {
                jump_mean(f, par, js, s, x);
                for (size_t j = 0; j < d; j++) {
                    double q = js->m[j] - muj[j];
                    js->accd[j] += c * q * q;
                    f->dev[j] -= js->m[j];
                }
                for (size_t i = 0; i < d; i++) {
                    double ci = c * f->dev[i];
                    for (size_t j = 0; j <= i; j++)
                        S[i * d + j] += ci * f->dev[j];
                }
            }
        }
    }
    /* V_s = D - D (Sigma_s + D)^-1 D at the E-step's Sigma_s and D, formed
     * as D (Sigma_s + D)^-1 Sigma_s (the same, as (Sigma_s + D)^-1 D = I -
     * (Sigma_s + D)^-1 Sigma_s): the difference lost all of V_s to
     * rounding for a jump variance far above the state's (a Sigma_s of
     * 2e255 fitted to returns of variance 0.006 with delta_j = 1e150), and
     * the product of two variances in D M D underflowed for returns near
     * 1e-150.  V_s is symmetric: its lower triangle is formed. */
    for (size_t s = 0; s < k; s++) {
        double *S = par->sigma + s * d * d;
        const double *Mi = js->minv + s * d * d, *S0 = js->sig0 + s * d * d;
        double cs = C[s] / N[s];
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j <= i; j++) {
                double di = par->dj[i] * par->dj[i], ms = 0.0;
                for (size_t q = 0; q < d; q++)
                    ms += Mi[i * d + q] * S0[q * d + j];
                double v = di * ms;
                if (i == j && update_jumps)
                    js->accd[i] += C[s] * v;
                S[i * d + j] = S[i * d + j] / N[s] + cs * v;
                S[j * d + i] = S[i * d + j];
            }
    }
    for (size_t s = 0; s < k; s++)
        if ((st = floor_and_factor(f, s, par)) != QPM_OK)
            return st;
    if (update_jumps) {
        if (Ctot > 0.0)
            for (size_t j = 0; j < d; j++) {
                double v = js->accd[j] / Ctot;
                par->dj[j] = sqrt(v > f->floor[j] ? v : f->floor[j]);
            }
        for (size_t s = 0; s < k; s++) {
            double p = C[s] / N[s];
            /* the model needs p < 1: a state of jump days only is its
             * mixture's limit */
            par->pj[s] = p < 1.0 ? p : nextafter(1.0, 0.0);
        }
        par->jumps = qpm__regime_any_jump(par->pj, k);
    }
    if (par->jumps)
        for (size_t s = 0; s < k; s++)
            if (qpm__regime_chol_jump(par->sigma + s * d * d, par->dj, d, par->cholj + s * d * d,
                                      &par->logdetj[s]) < d)
                return qpm__fail(QPM_E_NOCONVERGE,
                                 "the jump-day covariance of state %zu is not positive definite",
                                 s);
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
    /* jumps fitted, or held at the handle's (then only the E-step and the
     * means' and covariances' M-step change) */
    int fitj = m->fit_jumps, jumps = fitj || m->par.jumps;
    if (fitj)
        npar += k + 2 * d;
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
    if ((st = qpm__regime_fb_alloc(&a, &fb, T, k, d, jumps)) != QPM_OK)
        return st;
    double *mean = qpm__calloc(&a, 4 * d, sizeof(double));
    double *mu = qpm__calloc(&a, k * d, sizeof(double));
    double *sigma = qpm__calloc(&a, k * d * d, sizeof(double));
    double *chol = qpm__calloc(&a, k * d * d, sizeof(double));
    ranked *rank = qpm__calloc(&a, T, sizeof *rank);
    double *ordbuf = NULL; /* the states reordered, for the final log-likelihood */
    /* with jumps: cholj, the M-step's scratch (jump_scratch), muj, dj */
    double *jbuf = jumps ? qpm__calloc(&a, 3 * k * d * d + k * d + 8 * d, sizeof(double)) : NULL;
    if (mean == NULL || mu == NULL || sigma == NULL || chol == NULL || rank == NULL ||
        (jumps && jbuf == NULL)) {
        st = QPM_E_NOMEM;
        goto done;
    }
    jump_scratch js = {0};
    if (jumps) {
        js.minv = jbuf + k * d * d;
        js.mu0 = js.minv + k * d * d;
        js.muj0 = js.mu0 + k * d;
        js.m = js.muj0 + d;
        js.e = js.m + d;
        js.accm = js.e + d;
        js.accd = js.accm + d;
        js.sig0 = js.accd + 3 * d; /* after muj and dj (par, below) */
        js.w = js.sig0 + k * d * d;
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
    if (jumps) {
        par.cholj = jbuf;
        par.muj = js.accd + d;
        par.dj = par.muj + d;
    }

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
    if (jumps) {
        if (m->par.jumps) {
            /* the handle's jumps: held, or the fit's start */
            memcpy(par.pj, m->par.pj, k * sizeof(double));
            memcpy(par.muj, m->par.muj, d * sizeof(double));
            memcpy(par.dj, m->par.dj, d * sizeof(double));
        } else {
            for (size_t s = 0; s < k; s++)
                par.pj[s] = JUMP_P0;
            for (size_t j = 0; j < d; j++) {
                par.muj[j] = 0.0;
                par.dj[j] = JUMP_SD0 * sqrt(var[j]);
            }
        }
        par.jumps = 1;
        for (size_t s = 0; s < k; s++)
            if (qpm__regime_chol_jump(sigma + s * d * d, par.dj, d, par.cholj + s * d * d,
                                      &par.logdetj[s]) < d) {
                st = qpm__fail(QPM_E_NOCONVERGE,
                               "the jump-day covariance of state %zu is not positive definite",
                               s);
                goto done;
            }
    }

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
        if (par.jumps)
            st = mstep_jumps(&f, &fb, &par, fitj, &js);
        else
            st = mstep_gauss(&f, fb.gamma, &par);
        if (st != QPM_OK)
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
        /* with jumps, the state's whole variance: Sigma_s + p_s D + p_s (1
         * - p_s) muJ muJ' */
        if (par.jumps)
            for (size_t j = 0; j < d; j++) {
                double pj = par.pj[s], mj = par.muj[j], dj = par.dj[j];
                vol[s] += pj * (dj * dj + (1.0 - pj) * mj * mj) / var[j];
            }
        perm[s] = s;
    }
    for (size_t s = 1; s < k; s++)
        for (size_t q = s; q > 0 && vol[perm[q]] < vol[perm[q - 1]]; q--) {
            size_t tmp = perm[q];
            perm[q] = perm[q - 1];
            perm[q - 1] = tmp;
        }
    /* The reported log-likelihood is the filter's at the fitted parameters
     * (regime.h): the forward pass sums over the states in their order, so
     * once the order changed it is run again on the reordered states, whose
     * rounding then matches qpm_regime_filter's bit for bit. */
    int moved = 0;
    for (size_t s = 0; s < k; s++)
        moved |= perm[s] != s;
    if (moved) {
        qpm__regime_par ord = par;
        ordbuf = qpm__calloc(&a, k * d + (jumps ? 2 : 1) * k * d * d, sizeof(double));
        if (ordbuf == NULL) {
            st = QPM_E_NOMEM;
            goto done;
        }
        ord.mu = ordbuf;
        ord.chol = ord.mu + k * d;
        ord.cholj = jumps ? ord.chol + k * d * d : NULL;
        for (size_t s = 0; s < k; s++) {
            size_t o = perm[s];
            for (size_t j = 0; j < k; j++)
                ord.P[s * k + j] = par.P[o * k + perm[j]];
            ord.pi[s] = par.pi[o];
            ord.logdet[s] = par.logdet[o];
            memcpy(ord.mu + s * d, mu + o * d, d * sizeof(double));
            memcpy(ord.chol + s * d * d, chol + o * d * d, d * d * sizeof(double));
            if (jumps) {
                ord.pj[s] = par.pj[o];
                ord.logdetj[s] = par.logdetj[o];
                memcpy(ord.cholj + s * d * d, par.cholj + o * d * d, d * d * sizeof(double));
            }
        }
        if ((st = qpm__regime_fb_run(&ord, k, d, T, r, ldr, 0, &fb, &ll)) != QPM_OK)
            goto done;
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
        if (jumps) {
            m->par.pj[s] = par.pj[o];
            m->par.logdetj[s] = par.logdetj[o];
            memcpy(m->par.cholj + s * d * d, par.cholj + o * d * d, d * d * sizeof(double));
        }
    }
    if (jumps) {
        memcpy(m->par.muj, par.muj, d * sizeof(double));
        memcpy(m->par.dj, par.dj, d * sizeof(double));
        m->par.jumps = par.jumps;
    }
    /* the handle's pi is the one in use: the estimate, or the fixed pi,
     * which follows its states when they were reordered above (kept in
     * the old order, a later set_params or set_initial went back to it:
     * another initial distribution than qpm_regime_params reported) */
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
    qpm__free(&a, jbuf);
    qpm__free(&a, ordbuf);
    return st;
}
