/* The qpm_risk handle: creation, settings, run buffers. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "risk_internal.h"

/* Whole-number settings stay exact in a double up to 2^53. */
#define SEED_MAX 9007199254740992.0

struct key_info {
    double lo, hi, def;
    int integer;
    int readonly;
    const char *name;
};

static int key_info(qpm_risk_key key, struct key_info *k)
{
    switch (key) {
    case QPM_RISK_SCENARIOS:
        *k = (struct key_info){1, QPM__RISK_MAX_SCENARIOS, 10000, 1, 0, "QPM_RISK_SCENARIOS"};
        return 1;
    case QPM_RISK_SEED:
        *k = (struct key_info){0, SEED_MAX, 0, 1, 0, "QPM_RISK_SEED"};
        return 1;
    case QPM_RISK_HORIZON_DAYS:
        *k = (struct key_info){DBL_MIN, 3650, 1, 0, 0, "QPM_RISK_HORIZON_DAYS"};
        return 1;
    case QPM_RISK_T_DOF:
        *k = (struct key_info){0, (double)INFINITY, 0, 0, 0, "QPM_RISK_T_DOF"};
        return 1;
    case QPM_RISK_JUMP_INTENSITY:
        *k = (struct key_info){0, 100, 0, 0, 0, "QPM_RISK_JUMP_INTENSITY"};
        return 1;
    case QPM_RISK_JUMP_MEAN:
        *k = (struct key_info){-5, 5, 0, 0, 0, "QPM_RISK_JUMP_MEAN"};
        return 1;
    case QPM_RISK_JUMP_STD:
        *k = (struct key_info){0, 5, 0, 0, 0, "QPM_RISK_JUMP_STD"};
        return 1;
    case QPM_RISK_VOL_OF_VOL:
        *k = (struct key_info){0, 5, 0, 0, 0, "QPM_RISK_VOL_OF_VOL"};
        return 1;
    case QPM_RISK_THREADS:
        *k = (struct key_info){1, QPM__MAX_THREADS, 1, 1, 0, "QPM_RISK_THREADS"};
        return 1;
    case QPM_RISK_ALPHA:
        *k = (struct key_info){0x1p-1074, 0x1.fffffffffffffp-1, 0.99, 0, 0, "QPM_RISK_ALPHA"};
        return 1;
    case QPM_RISK_EWMA_LAMBDA:
        *k = (struct key_info){0, 0x1.fffffffffffffp-1, 0, 0, 0, "QPM_RISK_EWMA_LAMBDA"};
        return 1;
    case QPM_RISK_BLOCK:
        *k = (struct key_info){QPM__RISK_BLOCK, QPM__RISK_BLOCK, QPM__RISK_BLOCK, 1, 1,
                               "QPM_RISK_BLOCK"};
        return 1;
    case QPM_RISK_BATCH:
        *k = (struct key_info){QPM__RISK_BATCH, QPM__RISK_BATCH, QPM__RISK_BATCH, 1, 1,
                               "QPM_RISK_BATCH"};
        return 1;
    }
    return 0;
}

qpm_status qpm_risk_bounds(qpm_risk_key key, double *lo, double *hi)
{
    QPM__CHECK_NULL(lo, "lo");
    QPM__CHECK_NULL(hi, "hi");
    struct key_info k;
    if (!key_info(key, &k))
        return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_risk_key", (int)key);
    *lo = k.lo;
    *hi = k.hi;
    return QPM_OK;
}

static void free_workers(qpm_risk *r)
{
    if (r->workers == NULL)
        return;
    for (unsigned w = 0; w < r->n_workers; w++) {
        qpm_rng_free(r->workers[w].rng);
        qpm__free(&r->alloc, r->workers[w].g);
    }
    qpm__free(&r->alloc, r->workers);
    r->workers = NULL;
    r->n_workers = 0;
    r->worker_n = 0;
}

void qpm_risk_free(qpm_risk *r)
{
    if (r == NULL)
        return;
    qpm_alloc a = r->alloc;
    free_workers(r);
    qpm__pool_free(r->pool);
    qpm_rng_free(r->base);
    qpm__free(&a, r->cov);
    qpm__free(&a, r->fac);
    qpm__afree(&a, r->batch_spot);
    qpm__afree(&a, r->batch_vol);
    qpm__afree(&a, r->loss);
    qpm__free(&a, r);
}

static qpm_status seed_base(qpm_risk *r, double seed)
{
    /* a fixed stream constant, so that a risk seed differs from the same
     * number given to qpm_rng_create_seed */
    return qpm_rng_seed(r->base, 0, (uint64_t)seed, 0x7269736b, 0x5343454e4152494fu);
}

qpm_status qpm_risk_create(qpm_risk **out, const qpm_alloc *alloc)
{
    QPM__CHECK_NULL(out, "out");
    *out = NULL;
    qpm_alloc a;
    qpm_status st = qpm__alloc_init(&a, alloc);
    if (st != QPM_OK)
        return st;
    if ((st = qpm__linalg_load()) != QPM_OK)
        return st;
    qpm_risk *r = qpm__calloc(&a, 1, sizeof *r);
    if (r == NULL)
        return QPM_E_NOMEM;
    r->alloc = a;
    r->scenarios = 10000;
    r->seed = 0;
    r->horizon = 1.0;
    r->nu = 0.0;
    r->threads = 1;
    r->alpha = 0.99;
    st = qpm_rng_create(&r->base, &r->alloc, QPM_RNG_PCG64DXSM, 0, 0, 0, 0);
    if (st != QPM_OK) {
        qpm_risk_free(r);
        return st;
    }
    seed_base(r, 0.0);
    *out = r;
    return QPM_OK;
}

qpm_status qpm_risk_set(qpm_risk *r, qpm_risk_key key, double value)
{
    QPM__CHECK_NULL(r, "r");
    struct key_info k;
    if (!key_info(key, &k))
        return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_risk_key", (int)key);
    if (k.readonly)
        return qpm__fail(QPM_E_KEY, "key = %s: read-only", k.name);
    if (!(value >= k.lo && value <= k.hi)) {
        if (key == QPM_RISK_ALPHA)
            return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be in (0, 1)", k.name, value);
        if (key == QPM_RISK_EWMA_LAMBDA)
            return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be in [0, 1)", k.name, value);
        if (key == QPM_RISK_HORIZON_DAYS)
            return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be in (0, 3650]", k.name, value);
        return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be in [%.17g, %.17g]", k.name, value,
                         k.lo, k.hi);
    }
    if (k.integer && value != floor(value))
        return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be a whole number", k.name, value);
    switch (key) {
    case QPM_RISK_SCENARIOS:
        r->scenarios = (size_t)value;
        break;
    case QPM_RISK_SEED:
        r->seed = value;
        seed_base(r, value);
        break;
    case QPM_RISK_HORIZON_DAYS:
        r->horizon = value;
        break;
    case QPM_RISK_T_DOF:
        if (value > 0.0 && value <= 2.0)
            return qpm__fail(QPM_E_RANGE,
                             "%s = %.17g: must be 0 or +inf (Gaussian) or > 2 (finite variance)",
                             k.name, value);
        r->nu = value;
        break;
    case QPM_RISK_JUMP_INTENSITY:
        r->jump_lambda = value;
        break;
    case QPM_RISK_JUMP_MEAN:
        r->jump_mean = value;
        break;
    case QPM_RISK_JUMP_STD:
        r->jump_std = value;
        break;
    case QPM_RISK_VOL_OF_VOL:
        r->vol_of_vol = value;
        break;
    case QPM_RISK_THREADS: {
        unsigned nt = (unsigned)value;
        if (nt == r->threads)
            break;
        qpm__pool *pool = NULL;
        if (nt > 1) {
            qpm_status st = qpm__pool_create(&pool, &r->alloc, nt);
            if (st != QPM_OK)
                return st;
        }
        qpm__pool_free(r->pool);
        r->pool = pool;
        r->threads = nt;
        break;
    }
    case QPM_RISK_ALPHA:
        r->alpha = value;
        break;
    case QPM_RISK_EWMA_LAMBDA:
        r->ewma_lambda = value;
        break;
    case QPM_RISK_BLOCK:
    case QPM_RISK_BATCH:
        break;
    }
    return QPM_OK;
}

qpm_status qpm_risk_get(const qpm_risk *r, qpm_risk_key key, double *value)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(value, "value");
    switch (key) {
    case QPM_RISK_SCENARIOS:
        *value = (double)r->scenarios;
        return QPM_OK;
    case QPM_RISK_SEED:
        *value = r->seed;
        return QPM_OK;
    case QPM_RISK_HORIZON_DAYS:
        *value = r->horizon;
        return QPM_OK;
    case QPM_RISK_T_DOF:
        *value = r->nu;
        return QPM_OK;
    case QPM_RISK_JUMP_INTENSITY:
        *value = r->jump_lambda;
        return QPM_OK;
    case QPM_RISK_JUMP_MEAN:
        *value = r->jump_mean;
        return QPM_OK;
    case QPM_RISK_JUMP_STD:
        *value = r->jump_std;
        return QPM_OK;
    case QPM_RISK_VOL_OF_VOL:
        *value = r->vol_of_vol;
        return QPM_OK;
    case QPM_RISK_THREADS:
        *value = (double)r->threads;
        return QPM_OK;
    case QPM_RISK_ALPHA:
        *value = r->alpha;
        return QPM_OK;
    case QPM_RISK_EWMA_LAMBDA:
        *value = r->ewma_lambda;
        return QPM_OK;
    case QPM_RISK_BLOCK:
        *value = QPM__RISK_BLOCK;
        return QPM_OK;
    case QPM_RISK_BATCH:
        *value = QPM__RISK_BATCH;
        return QPM_OK;
    }
    return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_risk_key", (int)key);
}

qpm_status qpm_risk_n_underlyings(const qpm_risk *r, size_t *n)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(n, "n");
    *n = r->n;
    return QPM_OK;
}

qpm_status qpm_risk_set_progress(qpm_risk *r, qpm_progress_fn fn, void *user)
{
    QPM__CHECK_NULL(r, "r");
    r->progress.fn = fn;
    r->progress.user = user;
    return QPM_OK;
}

qpm_status qpm__risk_prepare_workers(qpm_risk *r, size_t n)
{
    unsigned nw = r->threads;
    if (r->workers != NULL && r->n_workers == nw && r->worker_n == n)
        return QPM_OK;
    free_workers(r);
    qpm__risk_worker *w = qpm__calloc(&r->alloc, nw, sizeof *w);
    if (w == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate %u scenario workers", nw);
    r->workers = w;
    r->n_workers = nw;
    for (unsigned i = 0; i < nw; i++) {
        qpm_status st = qpm_rng_split(&w[i].rng, &r->alloc, r->base, 0);
        if (st == QPM_OK) {
            w[i].g = qpm__calloc(&r->alloc, 3 * n, sizeof(double));
            if (w[i].g == NULL)
                st = QPM_E_NOMEM;
        }
        if (st != QPM_OK) {
            free_workers(r);
            return qpm__fail(QPM_E_NOMEM, "cannot allocate the scenario workers");
        }
        w[i].jc = w[i].g + n;
        w[i].je = w[i].g + 2 * n;
    }
    r->worker_n = n;
    return QPM_OK;
}

qpm_status qpm__risk_prepare_batch(qpm_risk *r, size_t n, size_t losses)
{
    if (r->batch_spot == NULL || r->batch_n != n) {
        qpm__afree(&r->alloc, r->batch_spot);
        qpm__afree(&r->alloc, r->batch_vol);
        r->batch_spot = qpm__acalloc(&r->alloc, (size_t)QPM__RISK_BATCH * n, sizeof(double));
        r->batch_vol = r->batch_spot
                           ? qpm__acalloc(&r->alloc, (size_t)QPM__RISK_BATCH * n, sizeof(double))
                           : NULL;
        if (r->batch_vol == NULL) {
            qpm__afree(&r->alloc, r->batch_spot);
            r->batch_spot = NULL;
            r->batch_n = 0;
            return qpm__fail(QPM_E_NOMEM, "cannot allocate the scenario batch buffers");
        }
        r->batch_n = n;
    }
    if (r->loss_cap < losses) {
        double *l = qpm__acalloc(&r->alloc, losses, sizeof(double));
        if (l == NULL)
            return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu scenario losses", losses);
        qpm__afree(&r->alloc, r->loss);
        r->loss = l;
        r->loss_cap = losses;
    }
    return QPM_OK;
}
