/* Allocation failure at every k (only the k-th allocation fails) in the core
 * worker pool and the rng handles: QPM_E_NOMEM, nothing leaked, and a retry
 * gives the clean run's bits.  See oom_driver.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/internal.h"
#include "oom_driver.h"

/* ---- the worker pool (white-box) ------------------------------------------------ */

typedef struct pool_ctx {
    qpm_alloc a;
    qpm__pool *pool;
    unsigned threads;
    double out[64];
} pool_ctx;

static void pool_setup(void *v, qt_failalloc *fa)
{
    pool_ctx *c = v;
    c->a = fa->alloc;
    c->pool = (qpm__pool *)1;
}

static qpm_status pool_call(void *v, qt_failalloc *fa)
{
    (void)fa;
    pool_ctx *c = v;
    qpm_status st = qpm__pool_create(&c->pool, &c->a, c->threads);
    if (st != QPM_OK)
        cr_assert_null(c->pool);
    return st;
}

static void square_chunk(void *v, size_t chunk, unsigned worker)
{
    (void)worker;
    double *out = v;
    out[chunk] = (double)chunk * (double)chunk + 0.5;
}

static uint64_t pool_observe(void *v)
{
    pool_ctx *c = v;
    memset(c->out, 0, sizeof c->out);
    qpm__pool_run(c->pool, 64, square_chunk, c->out);
    uint64_t h = oom_hash(OOM_HASH0, c->out, sizeof c->out);
    unsigned t = qpm__pool_threads(c->pool);
    return oom_hash(h, &t, sizeof t);
}

static void pool_teardown(void *v)
{
    pool_ctx *c = v;
    if (c->pool != (qpm__pool *)1)
        qpm__pool_free(c->pool);
    c->pool = NULL;
}

Test(core_oom, pool_create)
{
    for (unsigned t = 1; t <= 4; t += 3) {
        pool_ctx c = {.threads = t};
        oom_path p = {.name = t == 1 ? "pool_create(1 thread)" : "pool_create(4 threads)",
                      .setup = pool_setup,
                      .call = pool_call,
                      .observe = pool_observe,
                      .teardown = pool_teardown,
                      .create = 1};
        oom_counts n = oom_run_path(&p, &c);
        cr_assert_eq(n.points, t == 1 ? 1 : 3, "%ld", n.points);
        cr_assert_eq(n.optional, 0);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* ---- rng ---------------------------------------------------------------------------- */

typedef struct rng_ctx {
    qt_failalloc *fa;
    qpm_rng *parent, *r;
    int how; /* 0 create, 1 create_seed, 2 split */
} rng_ctx;

static void rng_setup(void *v, qt_failalloc *fa)
{
    rng_ctx *c = v;
    c->fa = fa;
    cr_assert_eq(qpm_rng_create_seed(&c->parent, &fa->alloc, QPM_RNG_PCG64, 42), QPM_OK);
    c->r = (qpm_rng *)1;
}

static qpm_status rng_call(void *v, qt_failalloc *fa)
{
    rng_ctx *c = v;
    qpm_status st;
    if (c->how == 0)
        st = qpm_rng_create(&c->r, &fa->alloc, QPM_RNG_PCG32, 1, 2, 3, 4);
    else if (c->how == 1)
        st = qpm_rng_create_seed(&c->r, &fa->alloc, QPM_RNG_PCG64DXSM, 7);
    else
        st = qpm_rng_split(&c->r, &fa->alloc, c->parent, 5);
    if (st != QPM_OK)
        cr_assert_null(c->r);
    return st;
}

static uint64_t rng_observe(void *v)
{
    rng_ctx *c = v;
    uint64_t raw[16];
    double n[16];
    cr_assert_eq(qpm_rng_raw(c->r, 16, raw), QPM_OK);
    cr_assert_eq(qpm_rng_normal(c->r, 16, n), QPM_OK);
    return oom_hash(oom_hash(OOM_HASH0, raw, sizeof raw), n, sizeof n);
}

static void rng_teardown(void *v)
{
    rng_ctx *c = v;
    qpm_rng_free(c->parent);
    if (c->r != (qpm_rng *)1)
        qpm_rng_free(c->r);
    c->parent = c->r = NULL;
}

Test(core_oom, rng_create_seed_split)
{
    static const char *names[3] = {"rng_create", "rng_create_seed", "rng_split"};
    for (int how = 0; how < 3; how++) {
        rng_ctx c = {.how = how};
        oom_path p = {.name = names[how],
                      .setup = rng_setup,
                      .call = rng_call,
                      .observe = rng_observe,
                      .teardown = rng_teardown,
                      .create = 1};
        oom_counts n = oom_run_path(&p, &c);
        cr_assert_eq(n.points, 1, "%s makes %ld allocations", names[how], n.points);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
