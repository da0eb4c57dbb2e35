/* rng streams (white-box: uses the core worker pool): derived streams are
 * distinct and reproducible, and the documented per-chunk pattern gives
 * bit-identical results for any thread count. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "qpm/rng.h"
#include "support/testutil.h"

static const qpm_rng_kind kinds[] = {QPM_RNG_PCG64DXSM, QPM_RNG_PCG64, QPM_RNG_PCG32};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static qpm_rng *make(qpm_rng_kind kind, uint64_t seed)
{
    qpm_rng *r;
    cr_assert_eq(qpm_rng_create_seed(&r, NULL, kind, seed), QPM_OK);
    return r;
}

static void state_of(const qpm_rng *r, uint64_t s[4])
{
    cr_assert_eq(qpm_rng_get_state(r, &s[0], &s[1], &s[2], &s[3]), QPM_OK);
}

Test(rng_streams, same_parent_and_index_reproduce)
{
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *p = make(kinds[g], 42), *q = make(kinds[g], 42);
        qpm_rng *a, *b, *c = make(QPM_RNG_PCG32, 1); /* c changes kind */
        cr_assert_eq(qpm_rng_split(&a, NULL, p, 12345), QPM_OK);
        cr_assert_eq(qpm_rng_split(&b, NULL, q, 12345), QPM_OK);
        cr_assert_eq(qpm_rng_set_stream(c, p, 12345), QPM_OK);
        qpm_rng_kind k;
        cr_assert_eq(qpm_rng_get_kind(c, &k), QPM_OK);
        cr_assert_eq(k, kinds[g], "a stream has its parent's kind");
        double x[256], y[256], z[256];
        cr_assert_eq(qpm_rng_normal(a, 256, x), QPM_OK);
        cr_assert_eq(qpm_rng_normal(b, 256, y), QPM_OK);
        cr_assert_eq(qpm_rng_normal(c, 256, z), QPM_OK);
        cr_assert(memcmp(x, y, sizeof x) == 0 && memcmp(x, z, sizeof x) == 0);
        /* the parent is not touched; a stream depends on the parent's state */
        uint64_t sp[4], sq[4];
        state_of(p, sp);
        state_of(q, sq);
        cr_assert(memcmp(sp, sq, sizeof sp) == 0);
        double w;
        cr_assert_eq(qpm_rng_uniform(q, 1, &w), QPM_OK);
        cr_assert_eq(qpm_rng_set_stream(c, q, 12345), QPM_OK);
        cr_assert_eq(qpm_rng_normal(c, 256, z), QPM_OK);
        cr_assert(memcmp(x, z, sizeof x) != 0, "a drawn parent gives new streams");
        /* dst == parent: replaced by its child */
        qpm_rng *self = make(kinds[g], 42);
        cr_assert_eq(qpm_rng_set_stream(self, self, 12345), QPM_OK);
        cr_assert_eq(qpm_rng_normal(self, 256, z), QPM_OK);
        cr_assert(memcmp(x, z, sizeof x) == 0);
        qpm_rng_free(self);
        qpm_rng_free(a);
        qpm_rng_free(b);
        qpm_rng_free(c);
        qpm_rng_free(p);
        qpm_rng_free(q);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

Test(rng_streams, distinct_streams_differ)
{
    enum { K = 4096 };
    static uint64_t incs[K], first[K];
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *p = make(kinds[g], 7), *c = make(kinds[g], 0);
        for (uint64_t k = 0; k < K; k++) {
            uint64_t idx = k < K / 2 ? k : UINT64_MAX - k; /* small and huge indices */
            cr_assert_eq(qpm_rng_set_stream(c, p, idx), QPM_OK);
            uint64_t s[4];
            state_of(c, s);
            cr_assert_eq(s[3] & 1u, 1u);
            incs[k] = s[3];
            cr_assert_eq(qpm_rng_raw(c, 1, &first[k]), QPM_OK);
        }
        /* distinct increments (bits 1..64) so distinct sequences */
        qsort(incs, K, sizeof incs[0], cmp_u64);
        for (size_t k = 1; k < K; k++)
            cr_assert_neq(incs[k], incs[k - 1], "%s: two streams share an increment",
                          qpm_rng_kind_name(kinds[g]));
        /* first outputs look independent: no duplicates among 4096 64-bit
         * values (for pcg32's 32-bit outputs a few coincidences are expected) */
        qsort(first, K, sizeof first[0], cmp_u64);
        size_t dup = 0;
        for (size_t k = 1; k < K; k++)
            dup += first[k] == first[k - 1];
        cr_assert_leq(dup, kinds[g] == QPM_RNG_PCG32 ? 4u : 0u);
        qpm_rng_free(p);
        qpm_rng_free(c);
    }
    /* different parents give different stream 0 */
    qpm_rng *p1 = make(QPM_RNG_PCG64DXSM, 1), *p2 = make(QPM_RNG_PCG64DXSM, 2);
    qpm_rng *c1, *c2;
    cr_assert_eq(qpm_rng_split(&c1, NULL, p1, 0), QPM_OK);
    cr_assert_eq(qpm_rng_split(&c2, NULL, p2, 0), QPM_OK);
    uint64_t a, b;
    cr_assert_eq(qpm_rng_raw(c1, 1, &a), QPM_OK);
    cr_assert_eq(qpm_rng_raw(c2, 1, &b), QPM_OK);
    cr_assert_neq(a, b);
    qpm_rng_free(c1);
    qpm_rng_free(c2);
    qpm_rng_free(p1);
    qpm_rng_free(p2);
}

Test(rng_streams, neighbouring_streams_are_uncorrelated)
{
    /* sample correlation of 1e5 normal pairs from streams k and k + 1:
     * se 1/sqrt(n) = 3.16e-3, threshold 6 se */
    enum { N = 100000 };
    static double x[N], y[N];
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *p = make(kinds[g], 3), *a = make(kinds[g], 0), *b = make(kinds[g], 0);
        for (uint64_t k = 0; k < 3; k++) {
            cr_assert_eq(qpm_rng_set_stream(a, p, k), QPM_OK);
            cr_assert_eq(qpm_rng_set_stream(b, p, k + 1), QPM_OK);
            cr_assert_eq(qpm_rng_normal(a, N, x), QPM_OK);
            cr_assert_eq(qpm_rng_normal(b, N, y), QPM_OK);
            double sxy = 0, sxx = 0, syy = 0;
            for (size_t i = 0; i < N; i++) {
                sxy += x[i] * y[i];
                sxx += x[i] * x[i];
                syy += y[i] * y[i];
            }
            double rho = sxy / sqrt(sxx * syy);
            cr_assert_lt(fabs(rho), 6 * 3.163e-3, "%s streams %llu/%llu: rho = %.5f",
                         qpm_rng_kind_name(kinds[g]), (unsigned long long)k,
                         (unsigned long long)k + 1, rho);
        }
        qpm_rng_free(p);
        qpm_rng_free(a);
        qpm_rng_free(b);
    }
}

/* ---- the documented parallel pattern ---------------------------------------- */

#define CHUNK  1000
#define NCHUNK 37

struct mc_ctx {
    const qpm_rng *base;
    qpm_rng *worker[8];
    double *out;
};

static void mc_chunk(void *vctx, size_t c, unsigned w)
{
    struct mc_ctx *ctx = vctx;
    qpm_rng *r = ctx->worker[w];
    double *o = ctx->out + c * 3 * CHUNK;
    /* a chunk draws a fixed mix of variates from its own stream */
    if (qpm_rng_set_stream(r, ctx->base, c) != QPM_OK || qpm_rng_normal(r, CHUNK, o) != QPM_OK ||
        qpm_rng_student_t(r, CHUNK, 4.0, o + CHUNK) != QPM_OK ||
        qpm_rng_poisson(r, CHUNK, 25.0, o + 2 * CHUNK) != QPM_OK)
        o[0] = (double)NAN;
}

static void run_mc(unsigned nthreads, qpm_rng_kind kind, double *out)
{
    qpm_alloc a;
    cr_assert_eq(qpm__alloc_init(&a, NULL), QPM_OK);
    qpm__pool *pool;
    cr_assert_eq(qpm__pool_create(&pool, &a, nthreads), QPM_OK);
    struct mc_ctx ctx;
    qpm_rng *base;
    cr_assert_eq(qpm_rng_create(&base, NULL, kind, 1, 2, 3, 4), QPM_OK);
    ctx.base = base;
    ctx.out = out;
    for (unsigned w = 0; w < nthreads; w++)
        cr_assert_eq(qpm_rng_create_seed(&ctx.worker[w], NULL, kind, w), QPM_OK);
    qpm__pool_run(pool, NCHUNK, mc_chunk, &ctx);
    for (unsigned w = 0; w < nthreads; w++)
        qpm_rng_free(ctx.worker[w]);
    qpm_rng_free(base);
    qpm__pool_free(pool);
}

Test(rng_streams, chunked_generation_is_identical_for_any_thread_count)
{
    size_t n = (size_t)NCHUNK * 3 * CHUNK;
    double *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    cr_assert(ref && got);
    for (size_t g = 0; g < NKINDS; g++) {
        run_mc(1, kinds[g], ref);
        for (size_t i = 0; i < n; i++)
            cr_assert(!isnan(ref[i]));
        for (unsigned t = 2; t <= 8; t += 3) {
            memset(got, 0, n * sizeof *got);
            run_mc(t, kinds[g], got);
            cr_assert(memcmp(ref, got, n * sizeof *ref) == 0, "%s: %u threads differ from 1",
                      qpm_rng_kind_name(kinds[g]), t);
        }
    }
    free(ref);
    free(got);
    cr_assert_eq(qt_leak_check(), 0);
}
