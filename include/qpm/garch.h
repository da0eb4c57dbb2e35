/* libqpm garch: the GARCH(1,1) volatility model, its likelihood, its
 * maximum-likelihood fit, its conditional volatilities and its variance
 * forecasts.  Experimental (see common.h, "the experimental tier"): every
 * declaration here is seen only with QPM_EXPERIMENTAL defined.  The risk
 * handle filters historical simulation with it (QPM_RISK_FILTER, risk.h).
 *
 * The model
 * ---------
 * Returns r_1..r_n (any unit, typically daily log returns):
 *     r_t = mu + e_t,  e_t = sigma_t z_t,
 *     sigma_t^2 = omega + alpha e_{t-1}^2 + beta sigma_{t-1}^2   (t >= 2),
 * z_t independent with mean 0 and variance 1: standard normal
 * (QPM_GARCH_NORMAL) or a Student t with nu > 2 degrees of freedom scaled
 * to unit variance (QPM_GARCH_T), density
 *     Gamma((nu+1)/2) / (Gamma(nu/2) sqrt(pi (nu-2))) (1 + z^2/(nu-2))^(-(nu+1)/2).
 * Constraints: omega > 0, alpha >= 0, beta >= 0, alpha + beta < 1
 * (covariance stationary), nu > 2.
 * Variance initialisation (the backcast): sigma_1^2 = (1/n) sum_t (r_t -
 * mu)^2, the mean square of the residuals at the model's mu (at the fitted
 * mu, essentially the sample variance of the series).
 *
 * Parameters travel as an array of QPM_GARCH_NPARAMS doubles in the order
 * {mu, omega, alpha, beta, nu}; nu is read only for QPM_GARCH_T.
 *
 * Log-likelihood (exact, every constant included), sum over t = 1..n:
 *     normal:  -1/2 [ln(2 pi) + ln sigma_t^2 + e_t^2 / sigma_t^2]
 *     t:       ln Gamma((nu+1)/2) - ln Gamma(nu/2) - 1/2 ln(pi (nu-2))
 *              - 1/2 ln sigma_t^2 - (nu+1)/2 ln(1 + e_t^2 / (sigma_t^2 (nu-2)))
 *
 * Input checks, the same for every function taking a series: QPM_E_NULL
 * (r, outputs), QPM_E_SIZE (n < QPM_GARCH_MIN_N), QPM_E_NONFINITE (naming
 * the index of a NaN or infinite return), QPM_E_INVALID (a constant series:
 * zero variance; parameters outside the constraints, naming the
 * parameter).  Outputs are untouched on failure.  Nothing here allocates;
 * every function is thread-safe (no state). */
#ifndef QPM_GARCH_H
#define QPM_GARCH_H

#include <stddef.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef QPM_EXPERIMENTAL

/* Number of parameters {mu, omega, alpha, beta, nu}, their indices, and
 * the shortest series any function takes. */
enum {
    QPM_GARCH_MU = 0,
    QPM_GARCH_OMEGA = 1,
    QPM_GARCH_ALPHA = 2,
    QPM_GARCH_BETA = 3,
    QPM_GARCH_NU = 4,
    QPM_GARCH_NPARAMS = 5,
    QPM_GARCH_MIN_N = 10
};

/* Distribution of the innovations z_t. */
typedef enum qpm_garch_dist {
    QPM_GARCH_NORMAL = 0, /* standard normal */
    QPM_GARCH_T = 1       /* Student t with nu > 2, scaled to unit variance */
} qpm_garch_dist;

/* Experimental.  The log-likelihood (formula in the header comment) of the
 * n returns r at the parameters params (QPM_GARCH_NPARAMS values) into
 * *loglik.  Errors: as the header comment; QPM_E_INVALID also for an
 * unknown dist; QPM_E_OVERFLOW when a conditional variance or the sum is
 * beyond the range of double. */
QPM_API qpm_status qpm_garch_loglik(size_t n, const double *r, qpm_garch_dist dist,
                                    const double *params, double *loglik);

/* Experimental.  The conditional volatilities at params: sigma[t - 1] =
 * sigma_t for t = 1..n+1 (n + 1 values; sigma[n] is the one-step forecast
 * sqrt(omega + alpha e_n^2 + beta sigma_n^2)), and, when z is not NULL, the
 * standardised residuals z[t - 1] = (r_t - mu) / sigma_t (n values).  nu is
 * checked for QPM_GARCH_T although the volatilities do not depend on it.
 * Errors: as qpm_garch_loglik (QPM_E_NULL for sigma). */
QPM_API qpm_status qpm_garch_filter(size_t n, const double *r, qpm_garch_dist dist,
                                    const double *params, double *sigma, double *z);

/* Experimental.  Variance forecasts from the one-step forecast variance
 * sigma2_next = sigma_{n+1}^2 (> 0; e.g. the square of the last value of
 * qpm_garch_filter): for k = 1..h, var[k - 1] = E[sigma_{n+k}^2] =
 *     vbar + (alpha + beta)^(k-1) (sigma2_next - vbar),
 * vbar = omega / (1 - alpha - beta) the unconditional variance, and, when
 * cum is not NULL, cum[k - 1] = var[0] + ... + var[k - 1], the variance of
 * the k-day sum of returns (of sum_j e_{n+j}).  params as above (mu and nu
 * are not read).  Errors: QPM_E_NULL (params, var), QPM_E_SIZE (h = 0),
 * QPM_E_NONFINITE, QPM_E_INVALID (sigma2_next <= 0, omega, alpha or beta
 * outside the constraints), QPM_E_OVERFLOW (vbar, a forecast or, when cum
 * is asked for, a sum beyond the range of double). */
QPM_API qpm_status qpm_garch_forecast(const double *params, double sigma2_next, size_t h,
                                      double *var, double *cum);

/* The result of qpm_garch_fit, versioned by its size: set `size` to
 * sizeof(qpm_garch_result) before the call (a smaller size is refused;
 * fields this library does not know are left as they are). */
typedef struct qpm_garch_result {
    size_t size;
    double params[QPM_GARCH_NPARAMS];    /* the estimates {mu, omega, alpha, beta, nu}; nu = +inf
                                            for QPM_GARCH_NORMAL, mu the fixed value when fixed */
    double se[QPM_GARCH_NPARAMS];        /* standard errors: the square roots of the diagonal of
                                            the inverse of the numerical Hessian of -loglik at the
                                            estimates; 0 for a fixed mu and for nu (normal); NaN
                                            when that Hessian is not positive definite (an
                                            estimate on the boundary of the constraints) */
    double robust_se[QPM_GARCH_NPARAMS]; /* Bollerslev-Wooldridge sandwich errors, from
                                            H^-1 J H^-1 with J the sum of the outer products
                                            of the per-observation scores; same conventions */
    double loglik;                       /* the log-likelihood at the estimates */
    double sigma2_next;                  /* sigma_{n+1}^2, the one-step forecast variance */
    double grad_norm;                    /* convergence measure: max_k |d(-loglik/n)/dx_k| */
    size_t iterations;                   /* BFGS iterations plus Newton steps taken */
    int converged;                       /* 1: the convergence test held */
} qpm_garch_result;

/* Experimental.  Maximum-likelihood fit of GARCH(1,1) to the n returns r
 * with innovations `dist`; mu is estimated, or held at *mu_fixed when
 * mu_fixed is not NULL.
 * Method: the constraints are mapped to an unconstrained space x (mu = m +
 * s x0, omega = s^2 e^x1, alpha + beta = logistic(x2), alpha / (alpha +
 * beta) = logistic(x3), nu = 2 + 498 logistic(x4), with m and s the sample
 * mean and standard deviation), where BFGS with the analytic gradient and
 * a backtracking line search starts from the best of four standard
 * starting points; Newton steps on the parameters themselves, with the
 * Hessian from central differences of the analytic gradient, then polish
 * an estimate that lies inside the constraints.
 * nu is estimated in (2, 500): for returns with normal tails the t
 * likelihood rises toward nu = infinity, and the estimate stops near 500.
 * Converged: the largest component of the gradient of -loglik / n in x is
 * at most 1e-9, leaving out a logistic coordinate that has saturated
 * (within 1e-8 of an end) while the likelihood still rises toward that
 * end: an estimate on the boundary (alpha = 0, beta = 0, nu = 500) so
 * converges, and its standard errors may then be NaN or very large.
 * Standard errors: see qpm_garch_result.  Deterministic: the same input
 * gives bit-identical results.
 * Errors: as the header comment, plus QPM_E_NULL (out), QPM_E_INVALID
 * (out->size too small, an unknown dist), QPM_E_NONFINITE (*mu_fixed),
 * QPM_E_OVERFLOW (returns whose sample variance is outside about 1e-250 ..
 * 1e300), QPM_E_NOCONVERGE: the convergence test still fails after 500
 * BFGS iterations, e.g. when the likelihood has no maximum inside the
 * constraints (the t likelihood of a few returns can rise without bound
 * toward nu -> 2 and omega -> infinity); *out then holds the last iterate,
 * its likelihood and errors, with converged = 0. */
QPM_API qpm_status qpm_garch_fit(size_t n, const double *r, qpm_garch_dist dist,
                                 const double *mu_fixed, qpm_garch_result *out);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_GARCH_H */
