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
 *   200..299   numerical errors: valid input the computation cannot serve */
typedef enum qpm_status {
    QPM_OK = 0,

    QPM_E_NULL = 1,        /* a required pointer argument is NULL */
    QPM_E_INVALID = 2,     /* an argument is out of its domain (e.g. vol <= 0, unknown enum) */
    QPM_E_NONFINITE = 3,   /* an input value is NaN or infinite */
    QPM_E_SIZE = 4,        /* a count or dimension is invalid (n = 0, ld < ncols, ...) */
    QPM_E_KEY = 5,         /* unknown setting key for this handle */
    QPM_E_RANGE = 6,       /* a setting value is outside the bounds that _bounds() reports */
    QPM_E_UNSUPPORTED = 7, /* valid request this handle or build does not provide */
    QPM_E_STATE = 8,       /* the handle is not in a state that allows the call */

    QPM_E_NOMEM = 100,     /* the allocator returned NULL */
    QPM_E_THREAD = 101,    /* a worker thread could not be started */
    QPM_E_CANCELLED = 102, /* the caller's progress callback asked to stop */

    QPM_E_NOCONVERGE = 200, /* an iteration did not converge */
    QPM_E_SINGULAR = 201,   /* a matrix is singular to working precision */
    QPM_E_NOTPSD = 202,     /* a matrix is not positive semi-definite */
    QPM_E_ARBITRAGE = 203,  /* a price lies outside its no-arbitrage bounds */
    QPM_E_INFEASIBLE = 204, /* the constraints of a problem admit no solution */
    QPM_E_OVERFLOW = 205    /* a result is beyond the range of double */
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
    QPM_CPU_AVX512DQ = 1u << 3
};
QPM_API unsigned qpm_cpu_features(void);

/* Number of worker threads the handles may use at most (compile-time limit,
 * as a function for bindings). */
QPM_API unsigned qpm_max_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* QPM_COMMON_H */
