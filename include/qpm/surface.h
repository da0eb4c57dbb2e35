/* libqpm surface: implied-volatility smiles (raw SVI per expiry), whole
 * surfaces (SSVI), their fits to market quotes, static-arbitrage checks and
 * vol / total-variance queries.  Experimental (see common.h, "the
 * experimental tier"): every declaration here is seen only with
 * QPM_EXPERIMENTAL defined.
 *
 * Conventions
 * -----------
 * T is the time to expiry in years (> 0; a slice's at most 1000), F the
 * forward of that expiry
 * (> 0), K a strike (> 0), k = ln(K / F) the log-moneyness, sigma a Black-76
 * implied vol (a decimal: 0.6 = 60 %), w = sigma^2 T the total implied
 * variance.  One vol point is 0.01.
 *
 * Raw SVI (Gatheral 2004), one expiry:
 *     w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))
 * Domain (qpm_svi_check): b >= 0, |rho| < 1, sigma > 0, the minimum
 * a + b sigma sqrt(1 - rho^2) >= 0 (w >= 0 everywhere), Lee's wing bound
 * b (1 + |rho|) <= 2 (the asymptotic slopes of w are b (1 +- rho)).
 *
 * Butterfly check of a slice: Gatheral's
 *     g(k) = (1 - k w'/(2w))^2 - (w'^2/4)(1/w + 1/4) + w''/2
 * (the risk-neutral density is g(k) / sqrt(2 pi w) exp(-d2^2/2), d2 =
 * -k / sqrt(w) - sqrt(w) / 2) must be >= 0.  It is evaluated on
 * QPM_SURFACE_CHECK_POINTS equally spaced k over |k| <= L with
 * L = max(3 max |k_i| over the slice's fitted quotes, 6 sqrt(w(0)), 1);
 * a slice set from parameters has no quotes and uses the other two terms.
 * A slice passes when g >= -1e-12 at every point (w = 0 at a point fails).
 *
 * SSVI (Gatheral-Jacquier 2014), a whole surface:
 *     w(k, theta) = theta / 2 (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2)),
 *     phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma)),
 * theta_t the ATM total variance of expiry t.  Each SSVI slice is the raw
 * SVI slice (qpm_ssvi_to_svi)
 *     a = theta (1 - rho^2) / 2, b = theta phi / 2, rho = rho,
 *     m = -rho / phi, sigma = sqrt(1 - rho^2) / phi.
 *
 * The surface between and beyond its slices (queries)
 * -----------------------------------------------------
 * Slices are kept sorted by T.  The forward at T is interpolated
 * log-linearly in T between the slice forwards (ln F linear in T), and held
 * flat at F_1 before the first slice and F_n after the last.  The total
 * variance at (T, k), k = ln(K / F(T)):
 *   T_i <= T <= T_{i+1}: w = w_i(k) + (T - T_i) / (T_{i+1} - T_i) (w_{i+1}(k) - w_i(k))
 *                        (linear in T at fixed k: free of calendar
 *                        arbitrage when the two slices are);
 *   T < T_1:             w = w_1(k) T / T_1;
 *   T > T_n:             w = w_n(k) T / T_n.
 * In k, each slice uses SVI's own linear asymptotes (no other wing rule).
 * The vol is sqrt(w / T).
 *
 * Errors, shared by every function: QPM_E_NULL (a required pointer),
 * QPM_E_SIZE (a count of 0), QPM_E_NONFINITE (NaN or infinite input, naming
 * the array and index), QPM_E_INVALID (a value outside its domain, naming
 * it and the bound).  A call that fails leaves the surface as it was and
 * writes no output.  A surface may be read (the const functions) by many
 * threads at once; changing calls need exclusive access. */
#ifndef QPM_SURFACE_H
#define QPM_SURFACE_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef QPM_EXPERIMENTAL

/* Points of the butterfly and calendar check grids. */
enum { QPM_SURFACE_CHECK_POINTS = 2001 };

/* Raw SVI parameters of one expiry, total variance units (see above). */
typedef struct qpm_svi {
    double a;
    double b;
    double rho;
    double m;
    double sigma;
} qpm_svi;

/* SSVI parameters of a surface (power-law phi, see above). */
typedef struct qpm_ssvi {
    double rho;   /* |rho| < 1 */
    double eta;   /* > 0 */
    double gamma; /* in [0, 1] */
} qpm_ssvi;

/* What the quotes of a slice are. */
typedef enum qpm_quote_kind {
    QPM_QUOTE_VOL = 0,  /* Black-76 implied vols, decimal */
    QPM_QUOTE_PRICE = 1 /* option prices (forward values, undiscounted) */
} qpm_quote_kind;

/* Fit flags. */
enum {
    /* qpm_surface_fit_slice: the fitted slice must pass the butterfly check
     * (see qpm_surface_fit_slice) */
    QPM_SVI_NO_BUTTERFLY = 1
};

/* Market quotes of one expiry, versioned by its size: set `size` to
 * sizeof(qpm_smile_quotes) (a smaller size is refused).  Either `mid`, or
 * `bid` and `ask` (then mid = (bid + ask) / 2 is fitted), n values each. */
typedef struct qpm_smile_quotes {
    size_t size;
    size_t n;              /* number of quotes, >= 1 (>= 5 to fit a raw SVI slice) */
    const double *strike;  /* strictly increasing, > 0, |ln(K/F)| <= 20 */
    qpm_quote_kind kind;
    const double *mid;     /* vols (in (0, 100]: up to 10,000 %) or prices (whose implied
                              vols must be <= 100 too); NULL when bid and ask are given */
    const double *bid;     /* bid <= ask; for prices a bid at or below the intrinsic
                              value (or 0: no bid) counts as absent */
    const double *ask;
    const int32_t *type;   /* price quotes: QPM_CALL (1) or QPM_PUT (-1) per quote
                              (pricing.h); NULL: all calls.  Not read for vols */
    const double *weight;  /* >= 0, not all 0; NULL: 1 / (vol spread) with bid and ask
                              (the spread floored at 1e-4 = 0.01 vol points), else 1 */
    int settlement;        /* price quotes: QPM_SETTLE_LINEAR (USD) or
                              QPM_SETTLE_INVERSE (coin: the USD value B over F) */
} qpm_smile_quotes;

/* How a slice was made and how well it fits, versioned by its size: set
 * `size` to sizeof(qpm_svi_report) before a call that writes one (a smaller
 * size is refused). */
typedef struct qpm_svi_report {
    size_t size;
    size_t n_quotes;       /* quotes fitted; 0 for a slice set from parameters */
    double rmse_volpts;    /* root mean square of the vol errors (model - mid), vol points
                              (unweighted; 0 without quotes) */
    double max_err_volpts; /* largest |vol error|, vol points */
    size_t iterations;     /* iterations of the outer search (all stages) */
    int converged;         /* 1: the search met its tolerance */
    int no_butterfly;      /* 1: fitted with QPM_SVI_NO_BUTTERFLY */
    int butterfly_ok;      /* 1: the slice passes the butterfly check */
    double worst_k;        /* k of the smallest g on the check grid */
    double worst_g;        /* g there */
    double k_limit;        /* L, the half-width of the check grid */
} qpm_svi_report;

/* Result of qpm_surface_check, versioned by its size (as qpm_svi_report). */
typedef struct qpm_surface_check_report {
    size_t size;
    int butterfly_ok;       /* 1: every slice passes its butterfly check */
    size_t butterfly_slice; /* index of the slice with the smallest g */
    double butterfly_k;     /* its worst k */
    double butterfly_g;     /* and g there */
    int calendar_ok;        /* 1: w_i(k) >= w_{i-1}(k) - 1e-12 for every consecutive pair */
    size_t calendar_slice;  /* violated: the first i with w_i < w_{i-1} somewhere
                               (the pair T[i-1], T[i]); 0 when none */
    double calendar_k;      /* the k of the largest violation of that pair on the grid, or
                               of the first one found in the wings */
    double calendar_dw;     /* w_i(k) - w_{i-1}(k) there (< 0 when violated; without a
                               violation the smallest difference over all pairs, +inf
                               for a single slice) */
    double calendar_cross_k;/* a k where w_i = w_{i-1} next to calendar_k (NaN when the
                               slices do not cross, e.g. one lies below everywhere) */
} qpm_surface_check_report;

/* Report of qpm_surface_fit_ssvi, versioned by its size (as qpm_svi_report). */
typedef struct qpm_ssvi_report {
    size_t size;
    double rmse_volpts;    /* over every quote of every slice */
    double max_err_volpts;
    size_t iterations;
    int converged;
} qpm_ssvi_report;

typedef struct qpm_surface qpm_surface;

/* Experimental.  Checks p against the SVI domain above.  Errors:
 * QPM_E_NULL, QPM_E_NONFINITE (naming the field), QPM_E_INVALID naming the
 * field and the bound ("svi.rho = 1.2: must be in (-1, 1)"). */
QPM_API qpm_status qpm_svi_check(const qpm_svi *p);

/* Experimental.  w[i] = w(k[i]) of the SVI slice p for n log-moneyness
 * values.  Errors: as qpm_svi_check, QPM_E_SIZE (n = 0), QPM_E_NONFINITE
 * (k). */
QPM_API qpm_status qpm_svi_total_variance(const qpm_svi *p, size_t n, const double *k,
                                          double *w);

/* Experimental.  The raw SVI form of the SSVI slice with ATM total
 * variance theta > 0 (formula above).  Errors: QPM_E_NULL, QPM_E_NONFINITE,
 * QPM_E_INVALID (theta <= 0, rho, eta or gamma outside the domain). */
QPM_API qpm_status qpm_ssvi_to_svi(const qpm_ssvi *p, double theta, qpm_svi *out);

/* Experimental.  Creates an empty surface.  alloc: NULL for malloc/free,
 * else copied.  Errors: QPM_E_NULL (out), QPM_E_INVALID (allocator),
 * QPM_E_NOMEM.  *out is NULL on failure. */
QPM_API qpm_status qpm_surface_create(qpm_surface **out, const qpm_alloc *alloc);

/* Experimental.  Frees s; NULL is a no-op. */
QPM_API void qpm_surface_free(qpm_surface *s);

/* Experimental.  Number of slices (0 for NULL). */
QPM_API size_t qpm_surface_n_slices(const qpm_surface *s);

/* Experimental.  Sets the slice of expiry T (> 0, years) with forward F
 * (> 0) to the SVI parameters p (checked by qpm_svi_check), replacing a
 * slice with the same T; its report then has n_quotes = 0 and the
 * butterfly check.  Errors: see the header comment; QPM_E_NOMEM. */
QPM_API qpm_status qpm_surface_set_slice(qpm_surface *s, double T, double F, const qpm_svi *p);

/* Experimental.  Fits a raw SVI slice of expiry T with forward F to the
 * quotes q and adds it (replacing a slice with the same T).
 * Price quotes are converted to Black-76 vols first (pricing.h's implied
 * vol solver, r = 0), in q->settlement.  The fit minimises
 *     sum_i weight_i^2 ((w(k_i) - w_i) / (2 sqrt(w_i T)))^2,
 * the first-order vol errors of the total variances w_i = vol_i^2 T, over
 * the domain of qpm_svi_check with sigma at most the quotes' k range
 * (k_max - k_min; a wider sigma makes the slice a parabola over the quotes
 * whose wings say nothing of them) and m within two k ranges of the quotes.
 * Method (quasi-explicit, Zeliade 2009): for fixed (m, sigma) the best
 * (a, b sigma, b rho sigma) is a 3-parameter least squares with linear
 * constraints (|rho| < 1, Lee's bound and a >= b sigma (|rho| - 1), a
 * sufficient linear form of w >= 0), solved exactly (active sets); the
 * 2-parameter outer problem in (m, ln sigma) is searched on a 9 x 7 grid,
 * then by Nelder-Mead; Levenberg-Marquardt steps on the five parameters
 * then polish the result inside the full domain.
 * With flags & QPM_SVI_NO_BUTTERFLY and a result that fails the butterfly
 * check, two starting points that pass it are made: the unconstrained fit
 * pushed out of arbitrage by a growing penalty on g < 1e-4 (on a 1001-point
 * grid), and the best SSVI-shaped slice (free of butterfly arbitrage by
 * Gatheral-Jacquier's conditions); from the better one Nelder-Mead on the
 * five parameters (sigma not bounded) refuses every point that fails the
 * check.  The result
 * passes the check (butterfly_ok = 1); when neither start can be made to
 * pass (quotes far from any arbitrage-free smile), the call fails with
 * QPM_E_NOCONVERGE and adds nothing.
 * rep (optional, size set) receives the report; the slice keeps a copy.
 * Errors: see the header comment: q->strike not strictly increasing
 * (QPM_E_INVALID naming the index), bid > ask (QPM_E_INVALID naming the
 * index), n < 5 (QPM_E_SIZE), a vol <= 0, a bad type or settlement, a mid
 * price outside the no-arbitrage bounds, at or below the intrinsic value
 * (QPM_E_ARBITRAGE naming the index and strike), weights all 0; QPM_E_NOMEM;
 * QPM_E_NOCONVERGE (QPM_SVI_NO_BUTTERFLY without a passing slice, or a fit
 * that diverged: a vol error above 10,000 vol points, the largest quote).
 * Nothing is added on failure. */
QPM_API qpm_status qpm_surface_fit_slice(qpm_surface *s, double T, double F,
                                         const qpm_smile_quotes *q, unsigned flags,
                                         qpm_svi_report *rep);

/* Experimental.  Fits SSVI to n_expiries expiries at once: T[j] (> 0,
 * strictly increasing), F[j] (> 0) and quotes q[j] (as qpm_surface_fit_slice,
 * >= 5 each).  theta_j is the ATM total variance w(0) of a raw SVI fit of
 * slice j, made non-decreasing (a running maximum over j); then (rho, eta,
 * gamma) minimise the same weighted vol errors over all quotes, by
 * Nelder-Mead from the best of a 5 x 3 x 2 grid of starts, polished by
 * Levenberg-Marquardt, inside |rho| < 1, eta > 0,
 * gamma in [0, 1] and Gatheral-Jacquier's no-arbitrage conditions at every
 * theta_j: theta phi (1 + |rho|) < 4 and theta phi^2 (1 + |rho|) <= 4.
 * Every expiry becomes a slice (its raw SVI form; replacing slices with
 * the same T), with its own report.  params (optional) receives the fit,
 * theta (optional, n_expiries values) the thetas, rep (optional, size set)
 * the report.  Errors: as qpm_surface_fit_slice, QPM_E_INVALID (T not
 * increasing, naming the index); QPM_E_NOMEM.  Nothing changes on failure. */
QPM_API qpm_status qpm_surface_fit_ssvi(qpm_surface *s, size_t n_expiries, const double *T,
                                        const double *F, const qpm_smile_quotes *q,
                                        qpm_ssvi *params, double *theta, qpm_ssvi_report *rep);

/* Experimental.  Slice i (0 <= i < n_slices, sorted by T): its expiry,
 * forward, SVI parameters and report; each output may be NULL.  Errors:
 * QPM_E_NULL (s), QPM_E_INVALID (i out of range, rep->size too small). */
QPM_API qpm_status qpm_surface_slice(const qpm_surface *s, size_t i, double *T, double *F,
                                     qpm_svi *p, qpm_svi_report *rep);

/* Experimental.  Runs the checks: the butterfly check of each slice and
 * the calendar check of each consecutive pair, w_i(k) >= w_{i-1}(k) on the
 * grid |k| <= max of the two slices' L (QPM_SURFACE_CHECK_POINTS points),
 * at the crossings of the two curves found by bisection, and in the wings
 * beyond the grid (the asymptotic slopes).  Errors: QPM_E_NULL,
 * QPM_E_SIZE (no slice), QPM_E_INVALID (rep->size too small). */
QPM_API qpm_status qpm_surface_check(const qpm_surface *s, qpm_surface_check_report *rep);

/* Experimental.  Forward F(T[i]) at n expiries (interpolation above).
 * Errors: QPM_E_SIZE (n = 0 or no slice), QPM_E_INVALID (T <= 0). */
QPM_API qpm_status qpm_surface_forward(const qpm_surface *s, size_t n, const double *T,
                                       double *F);

/* Experimental.  Total variance w[i] at (T[i], K[i]) for n points, K > 0
 * a strike (k = ln(K / F(T))).  Errors: QPM_E_SIZE (n = 0 or no slice),
 * QPM_E_INVALID (T <= 0, K <= 0), QPM_E_OVERFLOW (a point whose value or
 * log-moneyness lies beyond the range of double, e.g. an expiry far past
 * the last slice: found while computing, so the outputs of the points
 * before it are written; the message names it). */
QPM_API qpm_status qpm_surface_total_variance(const qpm_surface *s, size_t n, const double *T,
                                              const double *K, double *w);

/* Experimental.  Implied vol sqrt(w / T) at (T[i], K[i]); as
 * qpm_surface_total_variance. */
QPM_API qpm_status qpm_surface_vol(const qpm_surface *s, size_t n, const double *T,
                                   const double *K, double *vol);

/* Experimental.  Total variance at (T[i], k[i]), k the log-moneyness; as
 * qpm_surface_total_variance. */
QPM_API qpm_status qpm_surface_total_variance_k(const qpm_surface *s, size_t n,
                                                const double *T, const double *k, double *w);

/* Experimental.  Implied vol at (T[i], k[i]); as qpm_surface_total_variance. */
QPM_API qpm_status qpm_surface_vol_k(const qpm_surface *s, size_t n, const double *T,
                                     const double *k, double *vol);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_SURFACE_H */
