/* A small fixed pool of worker threads for deterministic parallel loops.
 * Chunks are claimed dynamically, but a chunk's result depends only on its
 * index, so the split across threads never changes the numbers. */
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
    unsigned long generation;
    int shutdown;
    unsigned active;
    qpm__task_fn fn;
    void *ctx;
    size_t nchunks;
    atomic_size_t next;
};

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
        pthread_mutex_lock(&p->mu);
        while (p->generation == seen && !p->shutdown)
            pthread_cond_wait(&p->cv_start, &p->mu);
        if (p->shutdown) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);

        drain(p, wa->id);

        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void stop_workers(struct qpm__pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
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
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->nchunks = nchunks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->active = p->started;
    p->generation++;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);

    drain(p, 0);

    pthread_mutex_lock(&p->mu);
    while (p->active != 0)
        pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
