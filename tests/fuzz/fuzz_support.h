/* Support shared by the libFuzzer targets: decoding input bytes into
 * arguments, the invariants every target checks, the output contract of each
 * public function, a caller allocator that fails on request, and the
 * two-pass replay that checks handles after errors and across thread counts.
 *
 * Each target's LLVMFuzzerTestOneInput runs its input twice:
 *   pass A executes every decoded call and records, per call, its status and
 *          a hash of its outputs;
 *   pass B decodes the same bytes on fresh handles, skips every call that
 *          failed in pass A (unless its header documents a side effect of the
 *          failure, then it is replayed and must fail the same way), and gives
 *          every thread-count setting a different valid value.
 * Every call executed in pass B must return pass A's status and outputs, bit
 * for bit: so a failed call left its handle exactly as a handle that never
 * saw it (invariant d), and threads do not change results (invariant e).
 * On any violated invariant the target prints why and calls abort(), so that
 * libFuzzer keeps the input. */
#ifndef QPM_FUZZ_SUPPORT_H
#define QPM_FUZZ_SUPPORT_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "qpm/qpm.h"

#define FZ_INF ((double)INFINITY)

#if defined(__GNUC__) || defined(__clang__)
#define FZ_NORETURN     __attribute__((noreturn))
#define FZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FZ_NORETURN
#define FZ_PRINTF(a, b)
#endif

/* The entry point every target defines (libFuzzer's, or the replay driver's). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- failure ---------------------------------------------------------------- */

/* Prints "fuzz invariant violated: <message>" and the current call, then aborts. */
FZ_NORETURN void fz_fail(const char *fmt, ...) FZ_PRINTF(1, 2);

/* ---- decoding input bytes ------------------------------------------------------
 * Reads past the end give zeros; fz_more() tells whether bytes remain. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n, pos;
} fz_in;

void fz_init(fz_in *in, const uint8_t *data, size_t size);
int fz_more(const fz_in *in);
uint8_t fz_u8(fz_in *in);
uint16_t fz_u16(fz_in *in);
uint32_t fz_u32(fz_in *in);
uint64_t fz_u64(fz_in *in);
/* A whole number in [lo, hi]. */
size_t fz_range(fz_in *in, size_t lo, size_t hi);
/* A size: usually in [lo, hi], sometimes 0, hi + 1 or a huge value. */
size_t fz_size(fz_in *in, size_t lo, size_t hi);
/* A double: usually in [lo, hi] (log-uniform when lo > 0 and hi / lo > 1e3),
 * sometimes an extreme finite value (DBL_MAX, DBL_MIN, subnormals, 1e+-155,
 * 1e+-300, ...), NaN, +-Inf or any bit pattern. */
double fz_real(fz_in *in, double lo, double hi);
/* Only special and raw values (NaN, Inf, extremes, any bits). */
double fz_special(fz_in *in);
/* A plain value in [lo, hi] from two input bytes (never special). */
double fz_plain(fz_in *in, double lo, double hi);
/* A progress callback (fz_progress_fn, user = the fz_progress) that fails
 * the run when a report leaves [0, 1] or goes back, and asks to cancel
 * after cancel_after reports (never when negative). */
typedef struct fz_progress {
    long cancel_after, calls;
    double last;
} fz_progress;
int fz_progress_fn(void *user, double done);
void fz_progress_reset(fz_progress *p, long cancel_after);
/* A seeded stream for generated data (series, paths) that costs no input
 * bytes: splitmix64, its uniforms in (0, 1) and Box-Muller normals. */
uint64_t fz_sm64(uint64_t *x);
double fz_unif(uint64_t *x);
double fz_gauss(uint64_t *x);
/* Fills x[0..n-1]: a few values drawn by fz_real and tiled with small
 * relative perturbations, so large arrays cost few input bytes. */
void fz_fill(fz_in *in, double *x, size_t n, double lo, double hi);
/* Setting value for a key whose bounds are [lo, hi]: inside, on the bounds,
 * just outside, fractional, NaN or Inf. */
double fz_setting(fz_in *in, double lo, double hi);

/* ---- status and message (invariant b) ---------------------------------------------
 * FZ(call) clears the thread's error, makes the call and checks: a known
 * status code; a non-OK status has a non-empty qpm_last_error() and equals
 * qpm_last_status().  Returns the status. */
qpm_status fz_status(qpm_status st, const char *call);
#define FZ(call) fz_status((qpm_clear_error(), (call)), #call)

/* With FZ_TRACE set in the environment, prints a line of call details
 * (every call's status is printed then too). */
void fz_trace(const char *fmt, ...) FZ_PRINTF(1, 2);

/* The call being checked, printed by fz_fail (set by FZ and fz_where). */
void fz_where(const char *what);

/* ---- output contracts (invariant c) -------------------------------------------------
 * One row per output of a public function: what a QPM_OK call with finite
 * inputs may write, and the header sentence that says so. */
typedef enum fz_rule {
    FZ_FINITE, /* finite, within [lo, hi] */
    FZ_NO_NAN, /* within [lo, hi], +-Inf allowed (a documented infinite limit) */
    FZ_NAN_OK  /* NaN allowed where documented; otherwise within [lo, hi] */
} fz_rule;

#define FZ_CONTRACTS(X)                                                                            \
    /* rng.h */                                                                                    \
    X(RNG_UNIFORM, FZ_FINITE, 0, 0x1.fffffffffffffp-1, "rng.h: uniform in [0, 1)")                 \
    X(RNG_UNIFORM_OPEN, FZ_FINITE, 0x1p-53, 0x1.fffffffffffffp-1, "rng.h: [2^-53, 1 - 2^-53]")     \
    X(RNG_NORMAL, FZ_FINITE, -8.2095361516013874, 8.2095361516013874,                              \
      "rng.h: [-8.20954, 8.20954]")                                                                \
    X(RNG_GAMMA, FZ_FINITE, 0, DBL_MAX, "rng.h: gamma >= 0, below range gives 0")                  \
    X(RNG_STUDENT_T, FZ_NO_NAN, -FZ_INF, FZ_INF,                                                   \
      "rng.h: beyond the double range +-Inf, never NaN")                                           \
    X(RNG_POISSON, FZ_FINITE, 0, 4e15, "rng.h: counts stored exactly")                             \
    X(NORM_INV, FZ_NO_NAN, -FZ_INF, FZ_INF, "rng.h: p = 0 gives -Inf, p = 1 +Inf")                 \
    /* pricing.h "Range": every output finite, or QPM_E_OVERFLOW; only the */                      \
    /* infinite limits (gamma, theta, charm at T = 0, sigma = 0 or a sigma */                      \
    /* sqrt(T) that rounds to 0) may be +-Inf */                                                   \
    X(PRICE, FZ_FINITE, 0, DBL_MAX, "pricing.h: a price, within its no-arbitrage bound")           \
    X(PRICE_DELTA, FZ_FINITE, -DBL_MAX, DBL_MAX, "pricing.h: every output finite")                 \
    X(PRICE_LIMIT, FZ_NO_NAN, -FZ_INF, FZ_INF,                                                     \
      "pricing.h: 'A limit that is infinite (the gamma, theta and charm ...) is +-Inf'")           \
    X(IV_SIGMA, FZ_FINITE, 0, DBL_MAX, "pricing.h: implied vol of a solved element")               \
    /* cov.h */                                                                                    \
    X(COV_MATRIX, FZ_FINITE, -DBL_MAX, DBL_MAX, "cov.h: the estimate")                             \
    X(COV_VARIANCE, FZ_FINITE, 0, DBL_MAX, "cov.h: a variance")                                    \
    X(COV_CORR, FZ_FINITE, -1.0000000000001, 1.0000000000001, "cov.h: a correlation")              \
    X(COV_VOL, FZ_FINITE, 0, DBL_MAX, "cov.h: sqrt(C_ii)")                                         \
    X(COV_MEAN, FZ_FINITE, -DBL_MAX, DBL_MAX, "cov.h: mean of finite returns")                     \
    X(COV_SHRINK, FZ_FINITE, 0, 1, "cov.h: shrinkage intensity in [0, 1]")                         \
    X(COV_RETURNS, FZ_NAN_OK, -DBL_MAX, DBL_MAX, "cov.h: finite, NaN only next to a NaN price")    \
    X(COV_NEAREST, FZ_FINITE, -1.0000000000001, 1.0000000000001,                                   \
      "cov.h: a correlation matrix with unit diagonal")                                            \
    X(COV_EIGEN, FZ_FINITE, -DBL_MAX, DBL_MAX, "cov.h: smallest eigenvalue")                       \
    /* book.h: prices and vols move by finite factors; overflowing values fail */                  \
    X(BOOK_VALUE, FZ_FINITE, -DBL_MAX, DBL_MAX, "book.h: values and Greeks")                       \
    X(BOOK_PNL, FZ_FINITE, -DBL_MAX, DBL_MAX, "book.h: P&L of finite moves")                       \
    X(BOOK_MARGIN, FZ_FINITE, 0, DBL_MAX, "book.h: initial and maintenance margins")               \
    /* opt.h */                                                                                    \
    X(OPT_WEIGHT, FZ_FINITE, -DBL_MAX, DBL_MAX, "opt.h: weights")                                  \
    X(OPT_INFO, FZ_FINITE, -DBL_MAX, DBL_MAX, "opt.h: solution info")                              \
    X(OPT_INFO_NAN, FZ_NAN_OK, -DBL_MAX, DBL_MAX,                                                  \
      "opt.h: nu NaN for MAX_SHARPE and ERC, exp. return NaN without mu")                          \
    X(OPT_FRONTIER, FZ_FINITE, -DBL_MAX, DBL_MAX, "opt.h: frontier returns, vols")                 \
    /* risk.h */                                                                                   \
    X(RISK_VAR, FZ_FINITE, -DBL_MAX, DBL_MAX, "risk.h: VaR and ES of finite losses")               \
    X(RISK_VAR_SE, FZ_NAN_OK, 0, DBL_MAX, "risk.h: sparsity NaN only for N = 1")                   \
    X(RISK_ES_SE, FZ_FINITE, 0, DBL_MAX, "risk.h: ES standard error")                              \
    X(RISK_MOMENT, FZ_FINITE, -DBL_MAX, DBL_MAX, "risk.h: mean, std, central moments")             \
    X(RISK_SHAPE, FZ_NAN_OK, -DBL_MAX, DBL_MAX,                                                    \
      "risk.h: skew and exkurt NaN for a constant sample")                                         \
    X(RISK_PARAM, FZ_FINITE, -DBL_MAX, DBL_MAX, "risk.h: parametric VaR/ES")                       \
    X(RISK_SCEN, FZ_FINITE, -1, DBL_MAX, "risk.h: spot moves exp(ret) - 1, vol shifts")            \
    X(RISK_PNL, FZ_FINITE, -DBL_MAX, DBL_MAX, "risk.h: scenario P&L")                              \
    /* amm.h: amounts and values of positive liquidity, gamma <= 0, losses */                      \
    X(AMM_AMOUNT, FZ_FINITE, 0, DBL_MAX, "amm.h: coins, USD, value, delta >= 0, finite")           \
    X(AMM_GAMMA, FZ_FINITE, -DBL_MAX, 0, "amm.h: gamma = -L/(2 P s) in the range, else 0")         \
    X(AMM_LOSS, FZ_FINITE, -1, 0, "amm.h: impermanent loss <= 0")                                  \
    X(AMM_SWAP, FZ_FINITE, 0, DBL_MAX, "amm.h: amount out, price after, impact")                   \
    X(SURFACE_W, FZ_FINITE, 0, DBL_MAX, "surface.h: total variance and vol >= 0")                  \
    X(SURFACE_FWD, FZ_FINITE, 0x1p-1074, DBL_MAX, "surface.h: forward > 0")

typedef enum fz_contract_id {
#define FZ_ENUM(id, rule, lo, hi, why) FZ_##id,
    FZ_CONTRACTS(FZ_ENUM)
#undef FZ_ENUM
        FZ_N_CONTRACTS
} fz_contract_id;

/* Checks x[i * stride] for i < n against the contract `id`; `what` names the
 * output in the failure message.  `nan_ok` (FZ_NAN_OK rows only) says
 * whether this call is one of the documented NaN cases. */
void fz_expect(fz_contract_id id, const char *what, const double *x, size_t n, size_t stride,
               int nan_ok);
/* The index of the first value that breaks the contract, or -1, for callers
 * that print the inputs behind it; fz_contract_fail then reports it. */
long fz_bad(fz_contract_id id, const double *x, size_t n, size_t stride, int nan_ok);
FZ_NORETURN void fz_contract_fail(fz_contract_id id, const char *what, long i, double v,
                                  const char *inputs);

/* Outputs untouched on failure: fz_poison fills them with a marker value,
 * fz_untouched checks that they still hold it. */
void fz_poison(double *x, size_t n);
void fz_untouched(const double *x, size_t n, const char *what);

/* ---- allocator that fails on request -----------------------------------------------
 * fz_arm(k) makes the k-th allocation (0-based) of the next library call
 * fail; fz_disarm() after each call.  Also counts live blocks. */
typedef struct fz_alloc {
    qpm_alloc alloc;
    long calls, fail_at, live;
} fz_alloc;

void fz_alloc_init(fz_alloc *fa);
void fz_arm(fz_alloc *fa, long k);
void fz_disarm(fz_alloc *fa);

/* ---- two-pass replay (invariants d, e) ------------------------------------------------ */
#define FZ_MAX_OPS 160

typedef struct fz_pass {
    int b;      /* 0: pass A, 1: pass B */
    size_t ops; /* calls started in this pass */
    const char *name[FZ_MAX_OPS];
    qpm_status st[FZ_MAX_OPS];
    uint64_t hash[FZ_MAX_OPS];
    unsigned char replay[FZ_MAX_OPS];
} fz_pass;

void fz_pass_begin(fz_pass *p, int b);
/* A target's run over one input: its calls on handles of its state, then
 * every handle freed and fz_check_freed. */
typedef void (*fz_run_fn)(fz_pass *p, void *state, const uint8_t *data, size_t size);
/* The body of LLVMFuzzerTestOneInput: pass A, then pass B, of `run` on the
 * same input, with one state (zeroed before each pass). */
void fz_two_passes(fz_run_fn run, void *state, size_t state_size, const uint8_t *data, size_t size);
/* fz_fail unless every block the state's allocator gave out was freed. */
void fz_check_freed(const fz_alloc *fa);
/* Starts call number i (returned); -1 when the input has too many calls. */
long fz_op(fz_pass *p, const char *name);
/* Pass B: whether call i is skipped (it failed in pass A).  `replay_failed`:
 * the header documents a side effect of the failure, so it runs again. */
int fz_skip(const fz_pass *p, long i, int replay_failed);
/* Pass A: call i failed with a documented side effect (seen by the target),
 * so pass B runs it again. */
void fz_mark_replay(fz_pass *p, long i);
/* Records (pass A) or compares (pass B) call i's status and output hash. */
void fz_end(fz_pass *p, long i, qpm_status st, uint64_t hash);
/* Arms fa for call i with failure point k (< 0: none) in pass A, and in
 * pass B only when call i failed in pass A and runs again: a call that
 * succeeded in pass A despite a failed allocation must give the same bits
 * without it (allocation counts may differ with the thread count). */
void fz_arm_op(const fz_pass *p, long i, fz_alloc *fa, long k);
/* FNV-1a of bytes, chained. */
uint64_t fz_hash(uint64_t h, const void *data, size_t n);
#define FZ_HASH0 0xcbf29ce484222325u
/* A thread-count value for pass b: valid whole counts 1..8 map to another
 * valid count in pass B; any other value is kept. */
double fz_threads(const fz_pass *p, double v);

#endif
