/* libqpm common definitions: export macro, status codes, error text, the
 * caller-replaceable allocator, version queries and CPU features.
 *
 * Conventions shared by every module
 * ----------------------------------
 * - Every fallible function returns a qpm_status.  QPM_OK is 0.
 * - On failure qpm_last_error() gives this thread's detailed message (which
 *   argument, which index, which bound).  Outputs are left untouched unless
 *   the function documents otherwise, and handles stay usable.
 * - Handles are opaque, created by qpm_<x>_create(&h, alloc, ...) and freed by
 *   qpm_<x>_free(h), which accepts NULL.  A handle is used by one thread at a
 *   time; distinct handles are independent.  The library has no global
 *   mutable state (the error message is thread-local).
 * - Bulk data is structure-of-arrays: size_t n, one const double * per field,
 *   caller-owned output arrays; optional outputs may be NULL.  Matrices are
 *   row-major with an explicit leading dimension.
 * - The library never prints, aborts or exits.
 */
#ifndef QPM_COMMON_H
#define QPM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/version.h"

#if defined(_WIN32) && defined(QPM_BUILDING_DLL)
#define QPM_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define QPM_API __attribute__((visibility("default")))
#else
#define QPM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes.  The values are stable and never reused.
 *   0          success
 *   1..99      usage errors: the caller passed something invalid
 *   100..199   resource errors
 *   200..299   numerical errors: valid input the computation cannot serve
 *
 * QPM_STATUS_MAP(X) expands X(name, value, text) once per code, in value
 * order: the enum below, qpm_status_name and qpm_status_str (text) are all
 * built from it, and a caller may build its own tables the same way. */
#define QPM_STATUS_MAP(X)                                                                      \
    X(QPM_OK, 0, "success")                                                                    \
    /* a required pointer argument is NULL */                                                  \
    X(QPM_E_NULL, 1, "required pointer argument is NULL")                                      \
    /* an argument is out of its domain (e.g. vol <= 0, unknown enum) */                       \
    X(QPM_E_INVALID, 2, "invalid argument")                                                    \
    /* an input value is NaN or infinite */                                                    \
    X(QPM_E_NONFINITE, 3, "input value is NaN or infinite")                                    \
    /* a count or dimension is invalid (n = 0, ld < ncols, ...) */                             \
    X(QPM_E_SIZE, 4, "invalid count or dimension")                                             \
    /* unknown (or read-only) setting key for this handle */                                   \
    X(QPM_E_KEY, 5, "unknown setting key")                                                     \
    /* a setting value is outside the bounds that _bounds() reports */                         \
    X(QPM_E_RANGE, 6, "setting value out of bounds")                                           \
    /* valid request this handle or build does not provide */                                  \
    X(QPM_E_UNSUPPORTED, 7, "operation not supported")                                         \
    /* the handle is not in a state that allows the call */                                    \
    X(QPM_E_STATE, 8, "handle not in a state that allows the call")                            \
    /* the allocator returned NULL */                                                          \
    X(QPM_E_NOMEM, 100, "out of memory")                                                       \
    /* a worker thread could not be started */                                                 \
    X(QPM_E_THREAD, 101, "could not start a worker thread")                                    \
    /* the caller's progress callback asked to stop */                                         \
    X(QPM_E_CANCELLED, 102, "cancelled by the progress callback")                              \
    /* an iteration did not converge */                                                        \
    X(QPM_E_NOCONVERGE, 200, "iteration did not converge")                                     \
    /* a matrix is singular to working precision */                                            \
    X(QPM_E_SINGULAR, 201, "matrix is singular")                                               \
    /* a matrix is not positive semi-definite */                                               \
    X(QPM_E_NOTPSD, 202, "matrix is not positive semi-definite")                               \
    /* a price lies outside its no-arbitrage bounds */                                         \
    X(QPM_E_ARBITRAGE, 203, "price outside its no-arbitrage bounds")                           \
    /* the constraints of a problem admit no solution */                                       \
    X(QPM_E_INFEASIBLE, 204, "constraints admit no solution")                                  \
    /* a result is beyond the range of double */                                               \
    X(QPM_E_OVERFLOW, 205, "a result is beyond the range of double")

typedef enum qpm_status {
#define QPM_STATUS_ENUM_(name, value, text) name = value,
    QPM_STATUS_MAP(QPM_STATUS_ENUM_)
#undef QPM_STATUS_ENUM_
} qpm_status;

/* Short English description of a status code ("invalid argument").  Never
 * returns NULL: unknown codes give "unknown status".  Thread-safe. */
QPM_API const char *qpm_status_str(qpm_status status);

/* Symbolic name of a status code ("QPM_E_INVALID"); "QPM_E_UNKNOWN" for an
 * unknown code.  Never returns NULL.  Thread-safe. */
QPM_API const char *qpm_status_name(qpm_status status);

/* Detailed message of the last failure on the calling thread, for example
 * "strike[17] = -5: must be > 0".  Empty string if no call on this thread has
 * failed since the last qpm_clear_error().  The pointer stays valid until the
 * next libqpm call on this thread.  Never returns NULL. */
QPM_API const char *qpm_last_error(void);

/* Status of the last failure on the calling thread (QPM_OK if none). */
QPM_API qpm_status qpm_last_status(void);

/* Forget the calling thread's last error. */
QPM_API void qpm_clear_error(void);

/* Caller-replaceable allocator.  Every handle allocates only through the
 * allocator given to its _create function (NULL selects malloc/free) and
 * keeps a copy of this struct.  `size` must be sizeof(qpm_alloc), so that the
 * struct can grow.  alloc_fn must return memory aligned for any standard type
 * (or NULL); the library aligns its SIMD buffers itself.  free_fn receives
 * only pointers returned by alloc_fn (never NULL).  Both get `ctx`. */
typedef struct qpm_alloc {
    size_t size;
    void *(*alloc_fn)(void *ctx, size_t nbytes);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} qpm_alloc;

/* Progress callback for long computations (Monte Carlo runs, frontiers).
 * Handles that do long work accept one through their _set_progress function.
 * It is called on the thread that made the library call, never from a worker
 * thread, with `done` rising from 0 to 1 (the last call has done == 1 unless
 * the run stops early).  Returning non-zero cancels the computation: the call
 * then returns QPM_E_CANCELLED, its outputs are unspecified and the handle
 * stays usable.  Calls come at most a few hundred times per run, so the
 * callback may be slow (a progress bar in Python, say). */
typedef int (*qpm_progress_fn)(void *user, double done);

/* Runtime library version: MAJOR * 10000 + MINOR * 100 + PATCH. */
QPM_API unsigned qpm_version_number(void);

/* Runtime library version as "MAJOR.MINOR.PATCH". Never NULL. */
QPM_API const char *qpm_version_string(void);

/* CPU features detected at run time (bit mask of qpm_cpu_feature).  Handles
 * choose their kernels once, at creation, from this mask. */
enum qpm_cpu_feature {
    QPM_CPU_AVX2 = 1u << 0,
    QPM_CPU_FMA = 1u << 1,
    QPM_CPU_AVX512F = 1u << 2,
    QPM_CPU_AVX512DQ = 1u << 3,
    QPM_CPU_AVX512VL = 1u << 4 /* AVX-512 on 128- and 256-bit registers */
};
QPM_API unsigned qpm_cpu_features(void);

/* Number of worker threads the handles may use at most (compile-time limit,
 * as a function for bindings). */
QPM_API unsigned qpm_max_threads(void);

/* ---- the experimental tier ------------------------------------------------
 * Declarations inside `#ifdef QPM_EXPERIMENTAL` blocks, here and in every
 * module header, are the experimental tier: new capabilities that have not
 * settled yet.  A program sees them only when it defines QPM_EXPERIMENTAL
 * (one macro for every module) before it includes any libqpm header, for
 * example with `cc -DQPM_EXPERIMENTAL`.  The library exports them in its
 * version node QPM_EXPERIMENTAL; they carry no ABI promise and may change
 * or go in any minor release (the ABI check guards the stable tier only).
 * A function that has settled moves to the stable tier under the same name,
 * in the node of the release that settles it (CONTRIBUTING.md, "The
 * experimental tier").  Everything outside these blocks is stable. */
#ifdef QPM_EXPERIMENTAL

/* Type of a setting's value (qpm_setting_info.type). */
typedef enum qpm_setting_type {
    QPM_SETTING_INTEGER = 0, /* a whole number in [lo, hi] */
    QPM_SETTING_REAL = 1,    /* a double in [lo, hi] */
    QPM_SETTING_ENUM = 2,    /* one of the whole numbers lo..hi, named by `labels` */
    QPM_SETTING_BOOL = 3     /* 0 or 1 */
} qpm_setting_type;

/* One setting key of a handle, as the qpm_<handle>_describe functions report
 * it (experimental).  Set `size` to sizeof(qpm_setting_info) before the
 * call.  The strings are static: never freed, valid for the life of the
 * process. */
typedef struct qpm_setting_info {
    size_t size;
    const char *name;          /* the key's name in the header: "QPM_COV_LAMBDA" */
    qpm_setting_type type;
    int read_only;             /* 1: _set refuses it (QPM_E_KEY); lo = hi = its value */
    double lo, hi;             /* the inclusive bounds that _bounds reports */
    double def;                /* the value a new handle starts with */
    const char *const *labels; /* QPM_SETTING_ENUM: hi - lo + 1 names of the values
                                  lo..hi ("QPM_COV_SAMPLE", ...); otherwise NULL */
} qpm_setting_info;

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_COMMON_H */
