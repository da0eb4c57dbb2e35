/* Internal interface of the semi-analytic model pricers (models.h): the
 * characteristic function of Heston / Bates and its Fourier (Lewis)
 * integral over a strike chain, and the Merton Poisson series.  Not
 * installed. */
#ifndef QPM_PRICING_SV_MODEL_H
#define QPM_PRICING_SV_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

/* One expiry of a Heston or Bates model (lambda = 0: no jumps); the
 * parameters are checked by the caller. */
typedef struct qpm__sv {
    double v0, kappa, theta, sigma, rho; /* Heston (models.h) */
    double lambda, mu_j, delta_j;        /* lognormal jumps; lambda = 0: none */
    double T;
} qpm__sv;

/* Outputs of one chain, each NULL when not wanted; n entries each.
 * vega = dV/dv0, dtheta = dV/dtheta, theta = dV/dt (calendar time, S and
 * the model fixed: -dV/dT; needs price and delta), grad[k] = dV/dp for p =
 * kappa, sigma, rho, lambda, mu_j, delta_j (the jump ones also at lambda =
 * 0, where mu_j and delta_j are still read). */
enum { QPM__SV_KAPPA, QPM__SV_SIGMA, QPM__SV_RHO, QPM__SV_LAMBDA, QPM__SV_MU, QPM__SV_DELTA, QPM__SV_NGRAD };
typedef struct qpm__sv_out {
    double *price, *delta, *gamma, *vega;
    double *dtheta, *theta;
    double *grad[QPM__SV_NGRAD];
    /* the number of 32-node panels of the grid into *panels (optional);
     * max_panels > 0: more panels than that return QPM_E_NOCONVERGE
     * without a message and without computing (the calibration's guard
     * against trial points that cost many times the current one) */
    size_t *panels;
    size_t max_panels;
    /* the widest |ln(F/K)| the grid must serve besides this chain's (0:
     * none): a chain priced in blocks passes its whole range, so that every
     * block has the grid, and the bits, of the chain priced at once */
    double kmax;
} qpm__sv_out;

/* Prices the n strikes K of one expiry of model m on the spot S with rate r
 * and yield q: price (type[i] = QPM_CALL or QPM_PUT), dV/dS, d2V/dS2 and
 * dV/dv0.  One set of characteristic-function evaluations serves every
 * strike.  Returns QPM_OK, or QPM_E_NOCONVERGE when the characteristic
 * function does not decay within the integration range the library
 * accepts (a total variance too small for the Fourier method) or the grid
 * would need more than SV_MAX_PANELS panels (message set unless
 * max_panels > 0); the outputs are then untouched. */
qpm_status qpm__sv_chain(const qpm__sv *m, double S, double r, double q, size_t n, const double *K,
                         const int32_t *type, const qpm__sv_out *out);

/* ln phi(x - i/2) and d ln phi / d v0 at x - i/2, phi the characteristic
 * function of ln(S_T / F) (white-box tests). */
/* The same with every derivative: der[0..8] = d ln phi / d (v0, theta, T,
 * kappa, sigma, rho, lambda, mu_j, delta_j) (white-box tests). */
void qpm__sv_log_cf_der(const qpm__sv *m, double x, double *re, double *im, double der_re[9],
                        double der_im[9]);
void qpm__sv_log_cf(const qpm__sv *m, double x, double *re, double *im, double *dv0_re,
                    double *dv0_im);

/* The Merton (1976) price of one option by its Poisson series of Black
 * prices (models.h), with dV/dS, d2V/dS2, dV/dsigma, dV/d(sigma^2) and the
 * theta -dV/dT (each optional). */
void qpm__merton_one(double S, double K, double T, double r, double q, double sigma, double lambda,
                     double mu_j, double delta_j, int32_t type, double *price, double *delta,
                     double *gamma, double *vega, double *var_vega, double *theta);

#endif /* QPM_PRICING_SV_MODEL_H */
