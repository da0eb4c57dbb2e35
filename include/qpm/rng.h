/* libqpm rng: reproducible randomness.
 *
 * A qpm_rng handle holds one PCG generator (O'Neill's permuted congruential
 * generators, exactly as the reference pcg-cpp implementation defines them):
 *
 *   QPM_RNG_PCG64DXSM  128-bit LCG state, DXSM output, 64-bit outputs (default)
 *   QPM_RNG_PCG64      128-bit LCG state, XSL-RR output, 64-bit outputs
 *   QPM_RNG_PCG32      64-bit LCG state, XSH-RR output, 32-bit outputs
 *
 * and fills caller arrays with raw outputs, uniforms, normals (by inversion
 * of the normal CDF), gamma, Student-t and Poisson variates.  A fill of n
 * values allocates nothing; n == 1 is the scalar case.  Results depend only
 * on the generator state, never on the machine's thread count.
 *
 * 128-bit values (seeds, states, increments, jump distances) cross the API as
 * (hi, lo) pairs of uint64_t: value = hi * 2^64 + lo.  For QPM_RNG_PCG32 the
 * arithmetic is modulo 2^64, so a seed or jump distance is reduced modulo 2^64
 * (its hi word is ignored) and states and increments have hi == 0.
 *
 * Seeding (as pcg-cpp's engine(initstate, initseq) and pcg-c's srandom_r):
 *   inc   = (initseq << 1) | 1          mod 2^bits  (the top bit of initseq is lost)
 *   state = (initstate + inc) * M + inc  mod 2^bits
 *
 * Parallel Monte Carlo (bit-identical for any thread count)
 * ---------------------------------------------------------
 * Cut the work into chunks whose boundaries do not depend on the thread count
 * (for example 4096 paths per chunk).  Seed one base handle and never draw
 * from it.  Give each worker thread its own handle (created once, at setup)
 * and, before a worker processes chunk c, call
 *     qpm_rng_set_stream(worker_rng, base, c);
 * then draw chunk c's variates from worker_rng in a fixed order.  Chunk c then
 * always sees the same numbers, whichever thread runs it and however many
 * threads there are.  qpm_rng_set_stream only reads the base handle, so all
 * workers may use the same base at once.  qpm_rng_split() does the same into
 * a new handle.
 *
 * Thread safety: a handle that is drawn from, seeded or advanced is used by
 * one thread at a time; functions taking a const qpm_rng * only read it;
 * distinct handles are independent.  qpm_norm_inv and qpm_norm_inv_bulk are
 * thread-safe (they write only the calling thread's error message).
 *
 * Errors: functions return a qpm_status; on failure qpm_last_error() names the
 * argument and bound, the handle's state and the outputs are untouched, and
 * the handle stays usable.  n == 0 is a valid empty request: it returns QPM_OK,
 * draws nothing and may pass out == NULL (the distribution parameters are
 * still checked).
 */
#ifndef QPM_RNG_H
#define QPM_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque generator handle. */
typedef struct qpm_rng qpm_rng;

/* Generator kinds.  Values are stable and append-only. */
typedef enum qpm_rng_kind {
    QPM_RNG_PCG64DXSM = 0, /* default: pcg-cpp cm_setseq_dxsm_128_64, numpy PCG64DXSM */
    QPM_RNG_PCG64 = 1,     /* pcg-cpp pcg64 (setseq_xsl_rr_128_64), numpy PCG64 */
    QPM_RNG_PCG32 = 2      /* pcg-cpp pcg32 (setseq_xsh_rr_64_32), pcg-c pcg32_random_r */
} qpm_rng_kind;

/* Largest lambda accepted by qpm_rng_poisson (1e15); larger means would give
 * counts that doubles cannot hold to the unit.  Also qpm_rng_poisson_max(). */
#define QPM_RNG_POISSON_MAX 1e15

/* ---- handles -------------------------------------------------------------- */

/* Creates a generator of `kind` seeded with the 128-bit pair
 * (initstate_hi:initstate_lo, initseq_hi:initseq_lo) as described above; every
 * value is valid.  `alloc` may be NULL (malloc/free).  Allocates once.
 * Errors: QPM_E_NULL (out, or a NULL function in *alloc), QPM_E_INVALID
 * (unknown kind, alloc->size too small), QPM_E_NOMEM.  *out is NULL on
 * failure. */
QPM_API qpm_status qpm_rng_create(qpm_rng **out, const qpm_alloc *alloc, qpm_rng_kind kind,
                                  uint64_t initstate_hi, uint64_t initstate_lo, uint64_t initseq_hi,
                                  uint64_t initseq_lo);

/* Convenience form with a 64-bit seed: the same as pcg-cpp's one-argument
 * engine(seed), that is qpm_rng_create with initstate = seed and the default
 * stream (initseq = 0x2c28fa16a64abf96_8a02bdbf7bb3c0a7 for the 128-bit kinds,
 * 0x0a02bdbf7bb3c0a7 for pcg32, i.e. increment 0x5851f42d4c957f2d_14057b7ef767814f
 * resp. 0x14057b7ef767814f).  Errors as qpm_rng_create. */
QPM_API qpm_status qpm_rng_create_seed(qpm_rng **out, const qpm_alloc *alloc, qpm_rng_kind kind,
                                       uint64_t seed);

/* Frees the handle (NULL is a no-op). */
QPM_API void qpm_rng_free(qpm_rng *rng);

/* Re-seeds an existing handle in place (same kind), as qpm_rng_create would.
 * Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_seed(qpm_rng *rng, uint64_t initstate_hi, uint64_t initstate_lo,
                                uint64_t initseq_hi, uint64_t initseq_lo);

/* The handle's generator kind.  Errors: QPM_E_NULL (rng or kind). */
QPM_API qpm_status qpm_rng_get_kind(const qpm_rng *rng, qpm_rng_kind *kind);

/* Lower-case name of a kind ("pcg64dxsm", "pcg64", "pcg32"); "unknown" for
 * any other value.  Never NULL. */
QPM_API const char *qpm_rng_kind_name(qpm_rng_kind kind);

/* ---- state: save/restore, jump ahead, streams ------------------------------ */

/* Reads the full generator state: the LCG state and the (odd) increment.
 * Restoring them with qpm_rng_set_state on a handle of the same kind makes it
 * produce exactly the same sequence (the generators keep no other state).
 * Any of the four outputs may be NULL.  Errors: QPM_E_NULL (rng). */
QPM_API qpm_status qpm_rng_get_state(const qpm_rng *rng, uint64_t *state_hi, uint64_t *state_lo,
                                     uint64_t *inc_hi, uint64_t *inc_lo);

/* Sets the LCG state and increment directly (no seeding arithmetic).
 * Errors: QPM_E_NULL (rng); QPM_E_INVALID if the increment is even, or, for
 * pcg32, if state_hi or inc_hi is not 0.  The handle is unchanged on error. */
QPM_API qpm_status qpm_rng_set_state(qpm_rng *rng, uint64_t state_hi, uint64_t state_lo,
                                     uint64_t inc_hi, uint64_t inc_lo);

/* Jumps ahead by delta = delta_hi * 2^64 + delta_lo steps (one step = one
 * generator output) in O(log delta) operations, modulo the period 2^bits:
 * delta = 2^128 - 1 (pcg32: 2^64 - 1) steps back by one.  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_advance(qpm_rng *rng, uint64_t delta_hi, uint64_t delta_lo);

/* Makes `dst` generator number k of the family derived from `parent`'s
 * current state: dst gets parent's kind and a new (initstate, initseq) that
 * is a fixed 64-bit mixing hash (splitmix64 finaliser) of parent's state,
 * increment and k, seeded as above.  Distinct k give distinct increments
 * (pcg32: with probability 1 - 2^-63 per pair), so distinct sequences, each
 * statistically like an independently seeded generator, as numpy's
 * SeedSequence.spawn does; the same (parent state, k) always gives the same
 * stream.  (Jumping ahead by k * 2^64 instead would give streams whose low 64
 * state bits coincide, a known source of correlation for PCG.)  parent
 * is not modified; dst keeps its own allocator; dst may be parent (it is then
 * replaced by its child).  Allocates nothing: use it per chunk of work.
 * Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_set_stream(qpm_rng *dst, const qpm_rng *parent, uint64_t k);

/* Creates a new handle that is stream k of `parent` (as qpm_rng_set_stream).
 * Errors: as qpm_rng_create, and QPM_E_NULL for a NULL parent; *out is NULL
 * on failure. */
QPM_API qpm_status qpm_rng_split(qpm_rng **out, const qpm_alloc *alloc, const qpm_rng *parent,
                                 uint64_t k);

/* ---- outputs (each fills out[0..n-1]; n == 0 allowed, see above) ---------- */

/* Raw generator outputs, one generator step per value: 64-bit outputs for the
 * 128-bit kinds; for pcg32 the 32-bit output in the low half (high half 0).
 * Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_raw(qpm_rng *rng, size_t n, uint64_t *out);

/* Uniform doubles in [0, 1) with 53 random bits: k * 2^-53 with k uniform on
 * [0, 2^53).  k is the top 53 bits of one 64-bit output; for pcg32 it is
 * (a >> 5) * 2^26 + (b >> 6) for two consecutive 32-bit outputs a, b.
 * Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_uniform(qpm_rng *rng, size_t n, double *out);

/* Uniform doubles in the open interval (0, 1): as qpm_rng_uniform, but k = 0
 * is rejected and k drawn again, so values are k * 2^-53 with k uniform on
 * [1, 2^53 - 1], in [2^-53, 1 - 2^-53], never 0 or 1.  The set of values is
 * symmetric: u and 1 - u are equally likely.  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_uniform_open(qpm_rng *rng, size_t n, double *out);

/* Standard normal variates by inversion (four or, with AVX-512, eight
 * values at a time, the bits of the one-value form): out[i] =
 * qpm_norm_inv(u_i) where u_i is exactly the value qpm_rng_uniform_open
 * would have returned, so a quasi-random source driving qpm_norm_inv
 * reproduces the same mapping.  The values lie in [-8.20954, 8.20954]
 * (the quantiles of 2^-53 and 1 - 2^-53), and their distribution is
 * exactly symmetric.  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_rng_normal(qpm_rng *rng, size_t n, double *out);

/* Gamma(shape, scale 1) variates, shape > 0 finite: Marsaglia-Tsang (2000)
 * squeeze-rejection for shape >= 1 on normals by inversion; for shape < 1,
 * Gamma(shape + 1) * U^(1/shape) evaluated in logarithms (results below the
 * double range return 0).  Uses a variable number of draws per value.  A
 * chi-square variate with nu degrees of freedom is 2 * Gamma(nu / 2).
 * Errors: QPM_E_NULL, QPM_E_NONFINITE (shape NaN/Inf), QPM_E_INVALID (shape <= 0). */
QPM_API qpm_status qpm_rng_gamma(qpm_rng *rng, size_t n, double shape, double *out);

/* Student-t variates with nu > 0 (real, finite) degrees of freedom:
 * T = Z / sqrt(G / nu) where Z is a normal by inversion (one uniform, drawn
 * first) and G = 2 * Gamma(nu / 2) a chi-square variate drawn as by
 * qpm_rng_gamma.  For very small nu, values beyond the double range are
 * returned as +-Inf (never NaN).  Errors: QPM_E_NULL, QPM_E_NONFINITE,
 * QPM_E_INVALID (nu <= 0). */
QPM_API qpm_status qpm_rng_student_t(qpm_rng *rng, size_t n, double nu, double *out);

/* Poisson(lambda) counts, stored exactly as doubles, 0 <= lambda <=
 * QPM_RNG_POISSON_MAX: lambda == 0 gives zeros (and draws nothing); lambda <
 * 10 uses inversion by sequential search (one uniform per value); lambda >= 10
 * uses Hormann's PTRS transformed rejection (two uniforms per attempt, about
 * 1.1 attempts per value), with the acceptance test evaluated through the
 * Stirling-series and deviance form of the log-probability, which stays
 * accurate for large lambda.  Errors: QPM_E_NULL, QPM_E_NONFINITE,
 * QPM_E_INVALID (lambda < 0 or > QPM_RNG_POISSON_MAX). */
QPM_API qpm_status qpm_rng_poisson(qpm_rng *rng, size_t n, double lambda, double *out);

/* QPM_RNG_POISSON_MAX as a function, for bindings. */
QPM_API double qpm_rng_poisson_max(void);

/* ---- inverse normal CDF (stateless) ------------------------------------------ */

/* Quantile of the standard normal distribution: the z with Phi(z) = p.
 * Wichura's AS241 rational approximation followed by one Newton correction
 * whose residual Phi(z) - p is formed from a table of Phi and its density in
 * double-double (so that the correction is exact to far below an ulp), and
 * exact symmetry qpm_norm_inv(1 - p) == -qpm_norm_inv(p) whenever 1 - p is
 * exact.  Accuracy: within 0.5 ulp and a few thousandths of the exact
 * quantile (correctly rounded but in near-ties) for |z| < 8.5, which covers
 * p in [1e-17, 1 - 2^-53] (measured: at most 0.500002 ulp on 120000 points);
 * within 2 ulp for p in [1e-305, 1e-17), where the correction is taken
 * against erfc; within 4 ulp for smaller (subnormal) p, where no correction
 * is applied.  p == 0 gives -Inf and p == 1 gives +Inf; p outside [0, 1] or
 * NaN gives NaN and records QPM_E_INVALID / QPM_E_NONFINITE as the thread's
 * last error.  Thread-safe.  The results do not depend on the platform's
 * libm for p >= 1e-17. */
QPM_API double qpm_norm_inv(double p);

/* Bulk qpm_norm_inv: out[i] = qpm_norm_inv(p[i]) for i < n (the same bits,
 * computed four or eight values at a time, about five times as fast).  All
 * p[i] are checked first: if any is NaN (QPM_E_NONFINITE) or outside [0, 1]
 * (QPM_E_INVALID), the call fails naming the first such index and out is
 * untouched.  out may be the same array as p.  n == 0 is allowed (p and out
 * may then be NULL).  Errors: QPM_E_NULL, QPM_E_NONFINITE, QPM_E_INVALID. */
QPM_API qpm_status qpm_norm_inv_bulk(size_t n, const double *p, double *out);

#ifdef __cplusplus
}
#endif

#endif /* QPM_RNG_H */
