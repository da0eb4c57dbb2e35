/* Internal declarations of the regime-switching model (include/qpm/regime.h). */
#ifndef QPM_REGIME_INTERNAL_H
#define QPM_REGIME_INTERNAL_H

#include <stddef.h>

#include "core/internal.h"
#include "qpm/regime.h"

#define QPM__REGIME_MAX_K 3
#define QPM__REGIME_MAX_D 1000

/* One set of parameters, as the handle holds it and as the fit evolves it;
 * the arrays are the handle's (or the fit's scratch): mu k x d, sigma and
 * chol k x d x d (chol: the lower Cholesky factor of sigma, row-major).
 * Jumps: pj (k), muj and dj (d: mean and standard deviation of each
 * asset's jump), cholj k x d x d (the factor of sigma_k + diag(dj^2), valid
 * only while `jumps`, which is set when some pj > 0). */
typedef struct qpm__regime_par {
    double P[QPM__REGIME_MAX_K * QPM__REGIME_MAX_K];
    double pi[QPM__REGIME_MAX_K]; /* the initial distribution in use */
    double logdet[QPM__REGIME_MAX_K];
    double *mu, *sigma, *chol;
    int jumps;
    double pj[QPM__REGIME_MAX_K];
    double logdetj[QPM__REGIME_MAX_K];
    double *muj, *dj, *cholj;
} qpm__regime_par;

struct qpm_regime {
    qpm_alloc alloc; /* first: qpm__handle_new */
    size_t k, d;
    int has_params;
    qpm_regime_init mode;
    int fit_jumps; /* qpm_regime_set_fit_jumps */
    double pi_given[QPM__REGIME_MAX_K]; /* the estimated or fixed pi */
    qpm__regime_par par;
    qpm__progress progress;
};

/* Scratch of one forward-backward pass over T days: b (T x k, each day's
 * densities relative to its largest), alpha (T x k, filtered), gamma (T x k,
 * smoothed), c (T, the scale of each day), z (d), beta (2 k); wj (T x k,
 * the probability of a jump on day t given state k and the day's returns)
 * only when allocated with `jumps`, else NULL. */
typedef struct qpm__regime_fb {
    double *b, *alpha, *gamma, *c, *z, *beta, *wj;
    double xi[QPM__REGIME_MAX_K * QPM__REGIME_MAX_K]; /* sum over t >= 2 of xi_t */
} qpm__regime_fb;

/* Allocates the scratch for T days (QPM_E_NOMEM) / frees it. */
qpm_status qpm__regime_fb_alloc(const qpm_alloc *a, qpm__regime_fb *fb, size_t T, size_t k,
                                size_t d, int jumps);
void qpm__regime_fb_free(const qpm_alloc *a, qpm__regime_fb *fb);

/* The forward-backward pass at `par` over r (T x d, ldr): fb->alpha, and
 * when `smooth` fb->gamma and fb->xi; fb->wj when par->jumps and fb->wj is
 * not NULL; *loglik.  QPM_E_OVERFLOW when a day has probability 0 (the
 * message names the day). */
qpm_status qpm__regime_fb_run(const qpm__regime_par *par, size_t k, size_t d, size_t T,
                              const double *r, size_t ldr, int smooth, qpm__regime_fb *fb,
                              double *loglik);

/* As qpm__regime_chol for a + diag(dj[0]^2, ..., dj[d-1]^2): a state's
 * covariance on a jump day. */
size_t qpm__regime_chol_jump(const double *a, const double *dj, size_t d, double *l,
                             double *logdet);

/* 1 when some of the k jump probabilities pj is > 0. */
int qpm__regime_any_jump(const double *pj, size_t k);

/* Lower Cholesky factor of the d x d matrix a into l (both row-major, d x
 * d); the index of the first pivot that is not > 0 (or not finite), or d
 * when a is positive definite, with *logdet = log det a. */
size_t qpm__regime_chol(const double *a, size_t d, double *l, double *logdet);

/* The stationary distribution of the row-stochastic k x k matrix P into pi
 * (the Cesaro limit from the uniform distribution when P has several). */
void qpm__regime_stationary(const double *P, size_t k, double *pi);

/* The index of a draw u in [0, 1) from the distribution p (k entries). */
size_t qpm__regime_draw(const double *p, size_t k, double u);

/* Checks that p[0..k-1] is a distribution (finite, >= 0, summing to 1
 * within QPM_REGIME_PROB_TOL); `name` names it in the message. */
qpm_status qpm__regime_check_dist(const double *p, size_t k, const char *name);

#endif /* QPM_REGIME_INTERNAL_H */
