/* Internal helpers shared by every module: error reporting, allocation,
 * argument checks and the deterministic worker pool.  Not installed. */
#ifndef QPM_CORE_INTERNAL_H
#define QPM_CORE_INTERNAL_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

#if defined(__GNUC__) || defined(__clang__)
#define QPM__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define QPM__LIKELY(x) __builtin_expect(!!(x), 1)
#define QPM__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define QPM__NOINLINE __attribute__((noinline))
#else
#define QPM__NOINLINE
#define QPM__PRINTF(a, b)
#define QPM__LIKELY(x) (x)
#define QPM__UNLIKELY(x) (x)
#endif

/* Before a loop of a constant count up to 16: unroll it whole */
#if defined(__GNUC__) && !defined(__clang__)
#define QPM__UNROLL _Pragma("GCC unroll 16")
#elif defined(__clang__)
#define QPM__UNROLL _Pragma("unroll")
#else
#define QPM__UNROLL
#endif

/* Upper bound on worker threads a handle may use. */
#define QPM__MAX_THREADS 256u

/* Records `status` and a formatted message as this thread's last error and
 * returns `status`, so a failing path reads `return qpm__fail(...)`. */
qpm_status qpm__fail(qpm_status status, const char *fmt, ...) QPM__PRINTF(2, 3);

/* ---- allocation ---------------------------------------------------------- */

/* Copies *src (or the default malloc/free allocator when src is NULL) into
 * *dst after validating it. */
qpm_status qpm__alloc_init(qpm_alloc *dst, const qpm_alloc *src);

/* The start of every handle's _create: validates the caller's allocator
 * `user` (NULL: malloc/free), runs `ready` when given (a capability the
 * handle needs, checked before anything is allocated), then allocates a
 * zero-filled handle of `size` bytes through the allocator, copies the
 * allocator into it (every handle struct starts with its qpm_alloc) and
 * stores the default of every setting of `defaults` (core/settings.h; NULL:
 * none).  NULL with the status in *st (the allocator's QPM_E_INVALID or
 * QPM_E_NULL, ready's status, QPM_E_NOMEM). */
struct qpm__settings;
void *qpm__handle_new(const qpm_alloc *user, size_t size, qpm_status (*ready)(void),
                      const struct qpm__settings *defaults, qpm_status *st);

/* Allocates count * size bytes (overflow-checked), zero-filled.  Returns NULL
 * and records QPM_E_NOMEM on failure. */
void *qpm__calloc(const qpm_alloc *a, size_t count, size_t size);
void qpm__free(const qpm_alloc *a, void *p);

/* 64-byte aligned, zero-filled; free with qpm__afree. */
void *qpm__acalloc(const qpm_alloc *a, size_t count, size_t size);
void qpm__afree(const qpm_alloc *a, void *p);

/* ---- argument checks: each records a message naming the argument and the
 * first offending index, and returns the status to propagate ------------- */

#define QPM__CHECK_NULL(ptr, name)                                                            \
    do {                                                                                      \
        if ((ptr) == NULL)                                                                    \
            return qpm__fail(QPM_E_NULL, "%s is NULL", (name));                               \
    } while (0)

/* The out-pointer of a _create: required, and NULL until the call succeeds. */
#define QPM__CHECK_OUT(out)                                                                   \
    do {                                                                                      \
        QPM__CHECK_NULL(out, "out");                                                          \
        *(out) = NULL;                                                                        \
    } while (0)

/* every x[i] finite */
qpm_status qpm__check_finite(const double *x, size_t n, const char *name);
/* every entry of a rows x cols row-major matrix (leading dimension ld)
 * finite; the message names name[row][col] */
qpm_status qpm__check_finite_matrix(const double *a, size_t rows, size_t cols, size_t ld,
                                    const char *name);
/* every x[i] finite and > 0 */
qpm_status qpm__check_positive(const double *x, size_t n, const char *name);
/* every x[i] finite and >= 0 */
qpm_status qpm__check_nonnegative(const double *x, size_t n, const char *name);
/* The one covariance check: an n x n matrix (row-major, leading dimension
 * ld >= n), in this order: every entry finite (QPM_E_NONFINITE), every
 * variance a_ii >= 0 (else `negative_variance`, the code its caller
 * documents), and symmetric, |a_ij - a_ji| <= 1e-12 max(a_ii, a_jj)
 * (QPM_E_INVALID).  The message names the entry. */
qpm_status qpm__check_covariance_code(const double *a, size_t n, size_t ld, const char *name,
                                      qpm_status negative_variance);
/* The same with QPM_E_INVALID for a negative variance. */
qpm_status qpm__check_covariance(const double *a, size_t n, size_t ld, const char *name);

/* The size rules of a public struct that starts with its size and grows by
 * 8-byte fields (qpm_book_positions, qpm_stress, qpm_model_out, ...): *q
 * (`mine` bytes) gets the caller's fields, zero past the caller's size
 * `caller`.  QPM_E_INVALID for a size that is not a whole number of fields,
 * QPM_E_UNSUPPORTED for a non-zero byte past `mine` (a newer caller asking
 * for what this version does not provide); the messages name the argument
 * `arg`, its `type` and what its `fields` are. */
qpm_status qpm__read_struct(const void *p, size_t caller, size_t mine, void *q, const char *arg,
                            const char *type, const char *fields);

/* ---- overflow-safe arithmetic ----------------------------------------------
 * Each gives the plain formula's result bit for bit wherever that formula
 * stays in range, and the right value where it would overflow or underflow. */

/* (a + b) / 2: 0.5 * (a + b) would overflow for |a + b| > DBL_MAX. */
static inline double qpm__mean2(double a, double b)
{
    double s = a + b;
    return isfinite(s) ? 0.5 * s : 0.5 * a + 0.5 * b;
}

/* sqrt(a b) for a, b >= 0: the product may overflow or lose its digits in
 * the subnormal range, sqrt(a) sqrt(b) does not. */
static inline double qpm__sqrt_prod(double a, double b)
{
    double p = a * b;
    return (p >= DBL_MIN && p <= DBL_MAX) || a == 0.0 || b == 0.0 ? sqrt(p) : sqrt(a) * sqrt(b);
}

/* ---- CPU -----------------------------------------------------------------
 * qpm__cpu_detect: this CPU's qpm_cpu_feature bits, detected on the first
 * call and cached (thread-safe; what qpm_cpu_features reports).
 * qpm__cpu_flags: the detected bits restricted by the mask of
 * qpm__cpu_set_mask: what handles choose their kernels from, at creation
 * and when a kernel setting changes.
 * qpm__cpu_set_mask: hides features from kernel selection in this process
 * (default ~0u: none hidden), so that white-box tests run every kernel path
 * on one machine; handles keep the kernels they already chose. */
unsigned qpm__cpu_detect(void);
unsigned qpm__cpu_flags(void);
void qpm__cpu_set_mask(unsigned mask);

/* The widest of the usual three builds of a kernel that qpm__cpu_flags
 * allows: QPM__CPU_AVX512 (AVX-512 F and DQ, with AVX2 and FMA),
 * QPM__CPU_AVX2 (AVX2 and FMA) or QPM__CPU_BASE (also every CPU other than
 * x86). */
enum { QPM__CPU_BASE = 0, QPM__CPU_AVX2 = 1, QPM__CPU_AVX512 = 2 };
int qpm__cpu_level(void);

/* Kernel tables: an array of rows, narrowest first, each starting with its
 * tag (the row's id and the qpm_cpu_feature bits it needs).
 * qpm__kernel_pick returns the row of `rows` (n rows of `size` bytes) whose
 * id is `id`, or for id == auto_id the last row the CPU runs; NULL when the
 * CPU (qpm__cpu_flags) lacks a feature the row needs or no row has the id. */
typedef struct qpm__kernel_tag {
    int id;
    unsigned needs;
} qpm__kernel_tag;
const void *qpm__kernel_pick(const void *rows, size_t n, size_t size, int id, int auto_id);

/* ---- deterministic worker pool -------------------------------------------
 * Work is cut by the caller into chunks whose boundaries do not depend on the
 * thread count; each chunk writes only its own outputs (or its own partial
 * result, combined afterwards in chunk order), so results are bit-identical
 * for any number of threads.  The calling thread takes part in the work.  The
 * threads are created once, by qpm__pool_create; qpm__pool_run allocates
 * nothing. */
typedef struct qpm__pool qpm__pool;
typedef void (*qpm__task_fn)(void *ctx, size_t chunk, unsigned worker);

/* nthreads >= 1 is the total number of threads including the caller; with
 * nthreads == 1 no thread is started. */
qpm_status qpm__pool_create(qpm__pool **out, const qpm_alloc *a, unsigned nthreads);
void qpm__pool_free(qpm__pool *pool);
unsigned qpm__pool_threads(const qpm__pool *pool); /* 1 for a NULL pool */

/* Runs fn(ctx, c, worker) for every chunk c in [0, nchunks).  worker is in
 * [0, qpm__pool_threads(pool)).  A NULL pool runs everything on the caller. */
void qpm__pool_run(qpm__pool *pool, size_t nchunks, qpm__task_fn fn, void *ctx);

/* ---- progress reporting ----------------------------------------------------
 * A handle that does long work keeps one of these (set by its public
 * _set_progress function) and reports between pool batches, on the calling
 * thread.  qpm__progress_report returns QPM_OK, or QPM_E_CANCELLED with the
 * error text set when the callback asks to stop.  A NULL fn reports nothing. */
typedef struct qpm__progress {
    qpm_progress_fn fn;
    void *user;
} qpm__progress;

qpm_status qpm__progress_report(const qpm__progress *p, double done);

/* What a handle's public _set_progress does once the handle is checked. */
qpm_status qpm__progress_set(qpm__progress *p, qpm_progress_fn fn, void *user);

#endif /* QPM_CORE_INTERNAL_H */
