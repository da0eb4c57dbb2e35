/* The qpm_risk handle: creation, settings, run buffers. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/settings.h"
#include "num/linalg.h"
#include "risk_internal.h"

/* ---- settings ---------------------------------------------------------------- */

static qpm_status seed_base(qpm_risk *r, double seed)
{
    /* a fixed stream constant, so that a risk seed differs from the same
     * number given to qpm_rng_create_seed */
    return qpm_rng_seed(r->base, 0, (uint64_t)seed, 0x7269736b, 0x5343454e4152494fu);
}

static qpm_status set_seed(void *h, double *value)
{
    qpm_risk *r = h;
    seed_base(r, *value);
    return QPM_OK;
}

static qpm_status set_t_dof(void *h, double *value)
{
    (void)h;
    if (*value > 0.0 && *value <= 2.0)
        return qpm__fail(QPM_E_RANGE,
                         "QPM_RISK_T_DOF = %.17g: must be 0 or +inf (Gaussian) or > 2 (finite "
                         "variance)",
                         *value);
    return QPM_OK;
}

static qpm_status set_threads(void *h, double *value)
{
    qpm_risk *r = h;
    return qpm__settings_threads(&r->pool, &r->alloc, r->threads, *value);
}

static const char *const filter_labels[] = {"QPM_RISK_FILTER_EWMA", "QPM_RISK_FILTER_GARCH",
                                            "QPM_RISK_FILTER_GARCH_T"};
static const char *const reval_labels[] = {"QPM_RISK_REVALUE_EXACT", "QPM_RISK_REVALUE_GRID"};
static const char *const normals_labels[] = {"QPM_RISK_NORMALS_PRECISE", "QPM_RISK_NORMALS_FAST",
                                             "QPM_RISK_NORMALS_ZIGGURAT"};

#define AT(field) offsetof(qpm_risk, field)
#define REAL(key, lo, hi, def, range, field)                                                       \
    {                                                                                              \
        key, #key, QPM__SET_REAL, 0, lo, hi, def, range, NULL, QPM__STORE_DOUBLE, AT(field), NULL  \
    }
#define CONSTANT(key, v)                                                                           \
    {                                                                                              \
        key, #key, QPM__SET_INTEGER, 1, v, v, v, NULL, NULL, QPM__STORE_NONE, 0, NULL              \
    }
static const qpm__setting setting_rows[] = {
    {QPM_RISK_SCENARIOS, "QPM_RISK_SCENARIOS", QPM__SET_INTEGER, 0, 1, QPM__RISK_MAX_SCENARIOS,
     10000, NULL, NULL, QPM__STORE_SIZE, AT(scenarios), NULL},
    /* whole numbers stay exact in a double up to 2^53 */
    {QPM_RISK_SEED, "QPM_RISK_SEED", QPM__SET_INTEGER, 0, 0, 0x1p53, 0, NULL, NULL,
     QPM__STORE_DOUBLE, AT(seed), set_seed},
    REAL(QPM_RISK_HORIZON_DAYS, DBL_MIN, 3650, 1, "(0, 3650]", horizon),
    {QPM_RISK_T_DOF, "QPM_RISK_T_DOF", QPM__SET_REAL, 0, 0, (double)INFINITY, 0, NULL, NULL,
     QPM__STORE_DOUBLE, AT(nu), set_t_dof},
    REAL(QPM_RISK_JUMP_INTENSITY, 0, 100, 0, NULL, jump_lambda),
    REAL(QPM_RISK_JUMP_MEAN, -5, 5, 0, NULL, jump_mean),
    REAL(QPM_RISK_JUMP_STD, 0, 5, 0, NULL, jump_std),
    REAL(QPM_RISK_VOL_OF_VOL, 0, 5, 0, NULL, vol_of_vol),
    {QPM_RISK_THREADS, "QPM_RISK_THREADS", QPM__SET_INTEGER, 0, 1, QPM__MAX_THREADS, 1, NULL, NULL,
     QPM__STORE_UNSIGNED, AT(threads), set_threads},
    REAL(QPM_RISK_ALPHA, 0x1p-1074, 0x1.fffffffffffffp-1, 0.99, "(0, 1)", alpha),
    REAL(QPM_RISK_EWMA_LAMBDA, 0, 0x1.fffffffffffffp-1, 0, "[0, 1)", ewma_lambda),
    CONSTANT(QPM_RISK_BLOCK, QPM__RISK_BLOCK),
    CONSTANT(QPM_RISK_BATCH, QPM__RISK_BATCH),
    {QPM_RISK_FILTER, "QPM_RISK_FILTER", QPM__SET_ENUM, 0, QPM_RISK_FILTER_EWMA,
     QPM_RISK_FILTER_GARCH_T, QPM_RISK_FILTER_EWMA, NULL, filter_labels, QPM__STORE_INT, AT(filter),
     NULL},
    {QPM_RISK_REVALUATION, "QPM_RISK_REVALUATION", QPM__SET_ENUM, 0, QPM_RISK_REVALUE_EXACT,
     QPM_RISK_REVALUE_GRID, QPM_RISK_REVALUE_EXACT, NULL, reval_labels, QPM__STORE_INT, AT(reval),
     NULL},
    REAL(QPM_RISK_GRID_TOL, 1e-12, 1e-2, 1e-7, NULL, grid_tol),
    {QPM_RISK_NORMALS, "QPM_RISK_NORMALS", QPM__SET_ENUM, 0, QPM_RISK_NORMALS_PRECISE,
     QPM_RISK_NORMALS_ZIGGURAT, QPM_RISK_NORMALS_PRECISE, NULL, normals_labels, QPM__STORE_INT,
     AT(normals), NULL},
};
#undef AT
#undef REAL
#undef CONSTANT
static const qpm__settings settings = QPM__SETTINGS("qpm_risk_key", setting_rows);

QPM__SETTINGS_API(risk, qpm_risk_key, settings, "r")

/* ---- life cycle ---------------------------------------------------------------- */

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
    qpm__afree(&a, r->batch_pend);
    qpm__afree(&a, r->loss);
    qpm__free(&a, r->vd_prob);
    qpm__free(&a, r->heston);
    qpm__free(&a, r);
}

_Static_assert(offsetof(struct qpm_risk, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_risk_create(qpm_risk **out, const qpm_alloc *alloc)
{
    QPM__CHECK_OUT(out);
    qpm_status st;
    qpm_risk *r = qpm__handle_new(alloc, sizeof *r, qpm__linalg_load, &settings, &st);
    if (r == NULL)
        return st;
    st = qpm_rng_create(&r->base, &r->alloc, QPM_RNG_PCG64DXSM, 0, 0, 0, 0);
    if (st != QPM_OK) {
        qpm_risk_free(r);
        return st;
    }
    seed_base(r, r->seed);
    r->grid_err = (double)NAN;
    *out = r;
    return QPM_OK;
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
    return qpm__progress_set(&r->progress, fn, user);
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
            w[i].g = qpm__calloc(&r->alloc, 3 * n + QPM__RISK_PASS * (4 * n + 2), sizeof(double));
            if (w[i].g == NULL)
                st = QPM_E_NOMEM;
        }
        if (st != QPM_OK) {
            free_workers(r);
            return qpm__fail(QPM_E_NOMEM, "cannot allocate the scenario workers");
        }
        w[i].jc = w[i].g + n;
        w[i].je = w[i].g + 2 * n;
        w[i].pjc = w[i].g + 3 * n;
        w[i].pje = w[i].pjc + QPM__RISK_PASS * n;
        w[i].pc = w[i].pje + QPM__RISK_PASS * n;
        w[i].pfv = w[i].pc + QPM__RISK_PASS;
        w[i].pgt = w[i].pfv + QPM__RISK_PASS;
        w[i].pmv = w[i].pgt + QPM__RISK_PASS * n;
    }
    r->worker_n = n;
    return QPM_OK;
}

qpm_status qpm__risk_prepare_batch(qpm_risk *r, size_t n, size_t losses)
{
    if (r->batch_spot == NULL || r->batch_n != n) {
        qpm__afree(&r->alloc, r->batch_spot);
        qpm__afree(&r->alloc, r->batch_vol);
        qpm__afree(&r->alloc, r->batch_pend);
        r->batch_spot = qpm__acalloc(&r->alloc, (size_t)QPM__RISK_BATCH * n, sizeof(double));
        r->batch_vol = r->batch_spot
                           ? qpm__acalloc(&r->alloc, (size_t)QPM__RISK_BATCH * n, sizeof(double))
                           : NULL;
        r->batch_pend = r->batch_vol ? qpm__acalloc(&r->alloc, QPM__RISK_BATCH, 1) : NULL;
        if (r->batch_pend == NULL) {
            qpm__afree(&r->alloc, r->batch_spot);
            qpm__afree(&r->alloc, r->batch_vol);
            r->batch_spot = NULL;
            r->batch_vol = NULL;
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
