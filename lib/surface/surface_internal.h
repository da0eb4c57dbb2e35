/* Internals of the surface module (include/qpm/surface.h), and the fast
 * entry points the book prices options through.  Not installed. */
#ifndef QPM_SURFACE_INTERNAL_H
#define QPM_SURFACE_INTERNAL_H

#include <stddef.h>

#include "core/internal.h"
#include "qpm/surface.h"

/* One expiry.  s2 = sigma^2 is kept for the evaluation. */
typedef struct qpm__slice {
    double T, F, lnF;
    qpm_svi p;
    double s2;
    qpm_svi_report rep;
} qpm__slice;

struct qpm_surface {
    qpm_alloc alloc; /* first: qpm__handle_new */
    size_t n, cap;
    qpm__slice *sl;  /* n slices sorted by strictly increasing T */
};

/* ---- for the book ---------------------------------------------------------
 * Inputs pre-validated by the caller: s has at least one slice, T > 0 and
 * finite, k finite.  No check, no allocation, no error recorded; safe from
 * many threads on one const surface. */

/* Total variance at (T, k), k = ln(K / F(T)): the interpolation and
 * extrapolation rules of surface.h.  A binary search over the slice
 * expiries and one square root per slice used (at most two). */
double qpm__surface_total_variance(const qpm_surface *s, double T, double k);

/* qpm__surface_total_variance at T as one formula in k, for vector code:
 *   w(k) = (w_a(k) + beta (w_b(k) - w_a(k))) gamma,
 *   w_i(k) = a_i + b_i (rho_i x_i + sqrt(x_i x_i + s2_i)), x_i = k - m_i,
 * evaluated in this order it gives qpm__surface_total_variance's bits (one
 * slice: beta = 0, b = a; at a slice's expiry gamma = 1).  c = {a_a, b_a,
 * rho_a, m_a, s2_a, a_b, b_b, rho_b, m_b, s2_b, beta, gamma}. */
void qpm__surface_w_form(const qpm_surface *s, double T, double c[12]);

/* Forward F(T): ln F linear in T between slices, flat beyond them. */
double qpm__surface_forward(const qpm_surface *s, double T);

/* A deep copy of s through alloc (NULL: malloc/free) into *out.  Errors:
 * QPM_E_NULL, QPM_E_INVALID (allocator), QPM_E_NOMEM; *out NULL on
 * failure. */
qpm_status qpm__surface_copy(const qpm_surface *s, const qpm_alloc *alloc, qpm_surface **out);

/* ---- within the module ------------------------------------------------------ */

static inline double qpm__svi_w(const qpm_svi *p, double k)
{
    double x = k - p->m;
    return p->a + p->b * (p->rho * x + sqrt(x * x + p->sigma * p->sigma));
}

/* Gatheral's g(k) (surface.h); -inf where w <= 0. */
double qpm__svi_g(const qpm_svi *p, double k);

/* Domain check with the message prefix `name` ("svi", "p"). */
qpm_status qpm__svi_check(const qpm_svi *p, const char *name);

/* The butterfly check on QPM_SURFACE_CHECK_POINTS points over [-L, L]:
 * returns 1 when g >= -1e-12 everywhere; the smallest g and its k. */
int qpm__svi_butterfly(const qpm_svi *p, double L, size_t points, double *worst_k,
                       double *worst_g);

/* L of the butterfly check: max(3 kmax_abs, 6 sqrt(w(0)), 1). */
double qpm__svi_check_limit(const qpm_svi *p, double kmax_abs);

/* Quote domain: |ln(K/F)| and implied vols (decimal) at most these. */
#define QPM__SMILE_KMAX   20.0
#define QPM__SMILE_VOLMAX 100.0
/* A fit whose largest vol error (vol points) exceeds this, the largest
 * vol a quote may have, has diverged: it is refused (QPM_E_NOCONVERGE). */
#define QPM__FIT_MAXERR_VOLPTS (100.0 * QPM__SMILE_VOLMAX)
/* Slice expiries: at most this many years. */
#define QPM__SURFACE_TMAX 1000.0

/* The quotes of one slice in fit form. */
typedef struct qpm__smile {
    size_t n;
    double T;
    double *k;   /* ln(K / F) */
    double *vol; /* mid vols */
    double *w;   /* vol^2 T */
    double *W;   /* residual weights: weight / (2 vol T) */
    double *W2;  /* W^2 */
    double *W2w; /* W^2 w */
    /* weighted moments: sum W^2 {1, k, k^2, w, w k, w^2} */
    double S0, S1, S2, Sw, Swk, Sww;
    double kmax_abs;
} qpm__smile;

/* Validates q (messages name `name`, e.g. "q" or "q[2]") and converts it;
 * allocates sm's arrays (one block, free with qpm__smile_free). */
qpm_status qpm__smile_prepare(const qpm_alloc *a, double T, double F, const qpm_smile_quotes *q,
                              const char *name, qpm__smile *sm);
void qpm__smile_free(const qpm_alloc *a, qpm__smile *sm);

/* Vol error statistics of p against sm (vol points). */
void qpm__smile_errors(const qpm__smile *sm, const qpm_svi *p, double *rmse, double *maxerr);

/* Fits a raw SVI slice to sm (surface.h, qpm_surface_fit_slice); fills the
 * fit fields of rep (n_quotes .. k_limit).  No allocation.  With
 * QPM__SVI_FIT_BARE in flags only the parameters, iterations and converged
 * are set (no error statistics, no butterfly check). */
#define QPM__SVI_FIT_BARE (1u << 16)
void qpm__svi_fit(const qpm__smile *sm, unsigned flags, qpm_svi *p, qpm_svi_report *rep);

/* Nelder-Mead minimisation of f over n <= 5 parameters from x (in/out),
 * initial steps step[j]; f may return +inf (outside the feasible set) but
 * not at x.  Stops when the simplex diameter (max-norm) is below xtol, or
 * below 1e4 xtol with the spread of f below ftol |f_best|, or after
 * max_iter iterations.  Returns the iterations; *converged set. */
typedef double (*qpm__nm_fn)(void *ctx, const double *x);
size_t qpm__nelder_mead(qpm__nm_fn f, void *ctx, size_t n, double *x, const double *step,
                        double xtol, double ftol, size_t max_iter, double *fbest,
                        int *converged);

/* Adds or replaces (same T) a slice, keeping the order; allocation before
 * any change.  QPM_E_NOMEM. */
qpm_status qpm__surface_put(qpm_surface *s, const qpm__slice *slice);
/* Room for `extra` more slices (so that a multi-slice update cannot fail
 * half-way). */
qpm_status qpm__surface_reserve(qpm_surface *s, size_t extra);

#endif /* QPM_SURFACE_INTERNAL_H */
