/* A small fixed pool of worker threads for deterministic parallel loops.
 * Chunks are claimed dynamically, but a chunk's result depends only on its
 * index, so the split across threads never changes the numbers.
 *
 * Waking a thread blocked in a condition variable takes tens of
 * microseconds on a busy or virtualised machine, as long as a whole batch of
 * ~10^4 options; so both sides spin briefly on an atomic before they block,
 * which keeps back-to-back runs (the common case) free of that latency. */
#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

struct worker_arg {
    struct qpm__pool *pool;
    unsigned id;
};

struct qpm__pool {
    qpm_alloc alloc;
    unsigned nthreads; /* including the caller */
    unsigned started;  /* worker threads actually running */
    pthread_t *threads;
    struct worker_arg *args;
    pthread_mutex_t mu;
    pthread_cond_t cv_start;
    pthread_cond_t cv_done;
    atomic_ulong generation;
    atomic_int shutdown;
    atomic_uint active;
    qpm__task_fn fn;
    void *ctx;
    size_t nchunks;
    atomic_size_t next;
};

/* Spin iterations before blocking (each is a pause instruction, ~10-40 ns). */
#define QPM__SPIN 4000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void drain(struct qpm__pool *p, unsigned id)
{
    for (;;) {
        size_t c = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (c >= p->nchunks)
            break;
        p->fn(p->ctx, c, id);
    }
}

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    struct qpm__pool *p = wa->pool;
    unsigned long seen = 0;
    for (;;) {
        for (int i = 0; i < QPM__SPIN; i++) {
            if (atomic_load_explicit(&p->generation, memory_order_acquire) != seen ||
                atomic_load_explicit(&p->shutdown, memory_order_relaxed))
                break;
            cpu_relax();
        }
        pthread_mutex_lock(&p->mu);
        while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
               !atomic_load_explicit(&p->shutdown, memory_order_relaxed))
            pthread_cond_wait(&p->cv_start, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (atomic_load_explicit(&p->shutdown, memory_order_relaxed))
            return NULL;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);

        drain(p, wa->id);

        if (atomic_fetch_sub_explicit(&p->active, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void stop_workers(struct qpm__pool *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->shutdown, 1, memory_order_relaxed);
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    p->started = 0;
}

qpm_status qpm__pool_create(qpm__pool **out, const qpm_alloc *a, unsigned nthreads)
{
    *out = NULL;
    if (nthreads < 1 || nthreads > QPM__MAX_THREADS)
        return qpm__fail(QPM_E_RANGE, "threads = %u: must be in [1, %u]", nthreads,
                         QPM__MAX_THREADS);
    struct qpm__pool *p = qpm__calloc(a, 1, sizeof *p);
    if (p == NULL)
        return QPM_E_NOMEM;
    p->alloc = *a;
    p->nthreads = nthreads;
    if (nthreads > 1) {
        p->threads = qpm__calloc(a, nthreads - 1, sizeof *p->threads);
        p->args = qpm__calloc(a, nthreads - 1, sizeof *p->args);
        if (p->threads == NULL || p->args == NULL) {
            qpm__free(a, p->threads);
            qpm__free(a, p->args);
            qpm__free(a, p);
            return QPM_E_NOMEM;
        }
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_start, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    atomic_init(&p->next, 0);
    atomic_init(&p->generation, 0);
    atomic_init(&p->shutdown, 0);
    atomic_init(&p->active, 0);
    for (unsigned i = 0; i + 1 < nthreads; i++) {
        p->args[i].pool = p;
        p->args[i].id = i + 1;
        if (pthread_create(&p->threads[i], NULL, worker_main, &p->args[i]) != 0) {
            qpm__pool_free(p);
            return qpm__fail(QPM_E_THREAD, "could not start worker thread %u of %u", i + 1,
                             nthreads - 1);
        }
        p->started++;
    }
    *out = p;
    return QPM_OK;
}

void qpm__pool_free(qpm__pool *p)
{
    if (p == NULL)
        return;
    stop_workers(p);
    pthread_cond_destroy(&p->cv_done);
    pthread_cond_destroy(&p->cv_start);
    pthread_mutex_destroy(&p->mu);
    qpm_alloc a = p->alloc;
    qpm__free(&a, p->threads);
    qpm__free(&a, p->args);
    qpm__free(&a, p);
}

unsigned qpm__pool_threads(const qpm__pool *p) { return p ? p->nthreads : 1u; }

void qpm__pool_run(qpm__pool *p, size_t nchunks, qpm__task_fn fn, void *ctx)
{
    if (p == NULL || p->started == 0 || nchunks <= 1) {
        for (size_t c = 0; c < nchunks; c++)
            fn(ctx, c, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->nchunks = nchunks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->active, p->started, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    /* The release publishes the job fields to spinning and sleeping workers. */
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);

    drain(p, 0);

    for (int i = 0; i < QPM__SPIN; i++) {
        if (atomic_load_explicit(&p->active, memory_order_acquire) == 0)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->active, memory_order_acquire) != 0)
        pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
