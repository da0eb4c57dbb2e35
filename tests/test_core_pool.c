/* Core (white-box): deterministic worker pool, allocator plumbing, checks. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "support/testutil.h"

struct sum_ctx {
    const double *x;
    size_t n, chunk;
    double *partial;
    unsigned *seen_worker;
    unsigned nthreads;
};

static void sum_chunk(void *vctx, size_t c, unsigned worker)
{
    struct sum_ctx *ctx = vctx;
    size_t b = c * ctx->chunk, e = b + ctx->chunk < ctx->n ? b + ctx->chunk : ctx->n;
    double s = 0.0;
    for (size_t i = b; i < e; i++)
        s += ctx->x[i] * ctx->x[i];
    ctx->partial[c] = s;
    cr_assert_lt(worker, ctx->nthreads);
}

static double pooled_sum(unsigned nthreads, const double *x, size_t n)
{
    qpm__pool *pool;
    qpm_alloc a;
    cr_assert_eq(qpm__alloc_init(&a, NULL), QPM_OK);
    cr_assert_eq(qpm__pool_create(&pool, &a, nthreads), QPM_OK);
    cr_assert_eq(qpm__pool_threads(pool), nthreads);
    size_t chunk = 1000, nch = (n + chunk - 1) / chunk;
    double partial[64];
    struct sum_ctx ctx = {x, n, chunk, partial, NULL, nthreads};
    double total = 0;
    for (int rep = 0; rep < 20; rep++) { /* reuse: run many times */
        qpm__pool_run(pool, nch, sum_chunk, &ctx);
        double s = 0.0;
        for (size_t c = 0; c < nch; c++)
            s += partial[c];
        if (rep > 0)
            cr_assert_eq(s, total);
        total = s;
    }
    qpm__pool_free(pool);
    return total;
}

Test(core_pool, bit_identical_for_any_thread_count)
{
    enum { N = 50000 };
    static double x[N];
    for (size_t i = 0; i < N; i++)
        x[i] = sin((double)i * 0.37) * 1e3 + 1.0 / (double)(i + 1);
    double ref = pooled_sum(1, x, N);
    for (unsigned t = 2; t <= 8; t++) {
        double s = pooled_sum(t, x, N);
        cr_assert(memcmp(&s, &ref, sizeof s) == 0, "threads=%u gives %.17g, 1 gives %.17g", t, s,
                  ref);
    }
    qpm__pool_run(NULL, 0, sum_chunk, NULL); /* empty run on no pool is a no-op */
    cr_assert_eq(qpm__pool_threads(NULL), 1u);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(core_pool, thread_count_bounds)
{
    qpm__pool *pool = (qpm__pool *)1;
    qpm_alloc a;
    qpm__alloc_init(&a, NULL);
    cr_assert_eq(qpm__pool_create(&pool, &a, 0), QPM_E_RANGE);
    cr_assert_null(pool);
    cr_assert_neq(strstr(qpm_last_error(), "threads = 0"), NULL);
    cr_assert_eq(qpm__pool_create(&pool, &a, QPM__MAX_THREADS + 1), QPM_E_RANGE);
    qpm__pool_free(NULL);
}

Test(core_pool, oom_every_allocation)
{
    for (long k = 0;; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, k);
        qpm_alloc a;
        cr_assert_eq(qpm__alloc_init(&a, &fa.alloc), QPM_OK);
        qpm__pool *pool;
        qpm_status st = qpm__pool_create(&pool, &a, 3);
        if (st == QPM_OK) {
            qpm__pool_free(pool);
            cr_assert_eq(fa.live, 0);
            cr_assert_geq(k, 1);
            break;
        }
        cr_assert_eq(st, QPM_E_NOMEM, "k=%ld: %s", k, qpm_status_name(st));
        cr_assert_null(pool);
        cr_assert_eq(fa.live, 0, "k=%ld leaks %ld blocks", k, fa.live);
    }
}

Test(core_alloc, validation_and_alignment)
{
    qpm_alloc a, bad = {0};
    cr_assert_eq(qpm__alloc_init(&a, &bad), QPM_E_INVALID);
    cr_assert_neq(strstr(qpm_last_error(), "alloc->size"), NULL);
    bad.size = sizeof bad;
    cr_assert_eq(qpm__alloc_init(&a, &bad), QPM_E_NULL);
    cr_assert_neq(strstr(qpm_last_error(), "alloc_fn"), NULL);
    cr_assert_eq(qpm__alloc_init(&a, NULL), QPM_OK);
    for (size_t n = 1; n < 300; n += 37) {
        double *p = qpm__acalloc(&a, n, sizeof(double));
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % 64, 0u);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(p[i], 0.0);
        qpm__afree(&a, p);
    }
    cr_assert_null(qpm__calloc(&a, SIZE_MAX / 2, 4));
    cr_assert_eq(qpm_last_status(), QPM_E_NOMEM);
    qpm__afree(&a, NULL);
    qpm__free(&a, NULL);
}

Test(core_check, names_first_bad_element)
{
    double x[] = {1.0, 2.0, -5.0, NAN};
    cr_assert_eq(qpm__check_positive(x, 2, "strike"), QPM_OK);
    cr_assert_eq(qpm__check_positive(x, 4, "strike"), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "strike[2] = -5: must be > 0");
    cr_assert_eq(qpm__check_nonnegative(x, 3, "w"), QPM_E_INVALID);
    cr_assert_eq(qpm__check_finite(x, 4, "v"), QPM_E_NONFINITE);
    cr_assert_neq(strstr(qpm_last_error(), "v[3]"), NULL);
    cr_assert_eq(qpm__check_finite(NULL, 4, "v"), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "v is NULL");
}

/* ---- progress reporting ---------------------------------------------------- */
struct prog_rec {
    double seen[8];
    int n, stop_at;
};

static int record_progress(void *user, double done)
{
    struct prog_rec *r = user;
    if (r->n < 8)
        r->seen[r->n] = done;
    r->n++;
    return r->n == r->stop_at;
}

Test(core_pool, progress_reports_clamps_and_cancels)
{
    struct prog_rec r = {.n = 0, .stop_at = 3};
    qpm__progress p = {record_progress, &r};
    cr_assert_eq(qpm__progress_report(NULL, 0.5), QPM_OK);
    qpm__progress none = {NULL, NULL};
    cr_assert_eq(qpm__progress_report(&none, 0.5), QPM_OK);
    cr_assert_eq(qpm__progress_report(&p, -1.0), QPM_OK);
    cr_assert_eq(qpm__progress_report(&p, 2.0), QPM_OK);
    cr_assert_eq(r.seen[0], 0.0);
    cr_assert_eq(r.seen[1], 1.0);
    qpm_clear_error();
    cr_assert_eq(qpm__progress_report(&p, 0.25), QPM_E_CANCELLED);
    cr_assert_eq(qpm_last_status(), QPM_E_CANCELLED);
    cr_assert(strstr(qpm_last_error(), "25.0%") != NULL, "%s", qpm_last_error());
}

Test(core_pool, covariance_check_names_the_entry)
{
    double a[3 * 4] = {4, 1, 0, 9, /**/ 1, 9, 2, 9, /**/ 0, 2, 1, 9}; /* ld = 4 */
    cr_assert_eq(qpm__check_covariance(a, 3, 4, "cov"), QPM_OK);
    cr_assert_eq(qpm__check_covariance(NULL, 3, 4, "cov"), QPM_E_NULL);
    a[9] = 2.5; /* [2][1] no longer equals [1][2] */
    cr_assert_eq(qpm__check_covariance(a, 3, 4, "cov"), QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "cov[2][1]") != NULL, "%s", qpm_last_error());
    a[9] = 2.0;
    a[5] = -1.0; /* a negative variance */
    cr_assert_eq(qpm__check_covariance(a, 3, 4, "cov"), QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "variance") != NULL, "%s", qpm_last_error());
    a[5] = 9.0;
    a[2] = (double)NAN;
    cr_assert_eq(qpm__check_covariance(a, 3, 4, "cov"), QPM_E_NONFINITE);
    cr_assert(strstr(qpm_last_error(), "cov[0][2]") != NULL, "%s", qpm_last_error());
}

Test(core_pool, one_covariance_check_for_opt_and_risk)
{
    /* a negative variance: QPM_E_NOTPSD where opt.h documents it, else
     * QPM_E_INVALID (risk.h) */
    double a[4] = {-1, 0, 0, 1};
    cr_assert_eq(qpm__check_covariance_code(a, 2, 2, "cov", QPM_E_NOTPSD), QPM_E_NOTPSD);
    cr_assert_str_eq(qpm_last_error(), "cov[0][0] = -1: a variance must be >= 0");
    cr_assert_eq(qpm__check_covariance(a, 2, 2, "cov"), QPM_E_INVALID);
    /* symmetric to 1e-12 of the larger variance of the pair, even when the
     * other variance is 0 */
    double b[4] = {0, 1e-13, 0, 1};
    cr_assert_eq(qpm__check_covariance(b, 2, 2, "cov"), QPM_OK);
    b[1] = 2e-12;
    cr_assert_eq(qpm__check_covariance(b, 2, 2, "cov"), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "cov[1][0] = 0 differs from cov[0][1] = 2e-12: must be "
                     "symmetric");
    /* the checks come in order: finite, variances, symmetry */
    double c[4] = {-1, 5, 0, (double)INFINITY};
    cr_assert_eq(qpm__check_covariance(c, 2, 2, "cov"), QPM_E_NONFINITE);
    c[3] = 1;
    cr_assert_eq(qpm__check_covariance_code(c, 2, 2, "cov", QPM_E_NOTPSD), QPM_E_NOTPSD);
    c[0] = 1;
    cr_assert_eq(qpm__check_covariance_code(c, 2, 2, "cov", QPM_E_NOTPSD), QPM_E_INVALID);
}
