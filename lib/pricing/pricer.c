/* The qpm_pricer handle: settings, argument checks, kernel dispatch, threads
 * and the implied-volatility batch. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "core/internal.h"
#include "core/settings.h"
#include "pricing/black.h"
#include "pricing/implied_vol.h"
#include "pricing/model.h"
#include "pricing/pricer_run.h"
#include "qpm/pricing.h"

#define CHUNK 1024u
#define PAR_MIN_DEFAULT 4096u
#define MAX_RT QPM__MAX_RT

struct qpm_pricer {
    qpm_alloc alloc;
    int model; /* its row: qpm__models[model] (model.h) */
    int settle;
    unsigned threads;
    int kernel; /* QPM_PRICER_KERNEL_SCALAR, _AVX2 or _AVX512 */
    qpm__bkernel kfn;
    qpm__bscreen screen;
    qpm__bone one; /* single options (NULL: through kfn) */
    const qpm__ivkernel *ivk; /* the implied-vol row of the kernel */
    size_t par_min;
    qpm__pool *pool;
};

static const qpm__model *model_of(const qpm_pricer *p) { return &qpm__models[p->model]; }

/* ---- kernel selection: rows of the kernel tables (kernels.c) ---------------- */

static int cpu_has_avx2(void) { return qpm__black_kernels(QPM_PRICER_KERNEL_AVX2) != NULL; }

static int cpu_has_avx512(void) { return qpm__black_kernels(QPM_PRICER_KERNEL_AVX512) != NULL; }

static int best_kernel(void) { return qpm__black_kernels(QPM_PRICER_KERNEL_AUTO)->tag.id; }

/* kernel: a row the CPU runs (the callers check) */
static void select_kernel(qpm_pricer *p, int kernel)
{
    const qpm__bkernels *k = qpm__black_kernels(kernel);
    p->kernel = k->tag.id;
    p->kfn = k->price;
    p->screen = k->screen;
    p->one = k->one != NULL ? k->one(model_of(p)->kernel, p->settle == QPM_SETTLE_INVERSE) : NULL;
    p->ivk = qpm__iv_kernel(k->tag.id);
}

/* ---- settings ---------------------------------------------------------------- */

static qpm_status set_threads(void *h, double *value)
{
    qpm_pricer *p = h;
    return qpm__settings_threads(&p->pool, &p->alloc, p->threads, *value);
}

/* "auto" is stored as the kernel it chooses, which is what reads return. */
static qpm_status set_kernel(void *h, double *value)
{
    int k = (int)*value;
    if (k == QPM_PRICER_KERNEL_AUTO)
        k = best_kernel();
    else if (k == QPM_PRICER_KERNEL_AVX2 && !cpu_has_avx2())
        return qpm__fail(QPM_E_UNSUPPORTED, "kernel = 2 (AVX2+FMA): not supported by this CPU");
    else if (k == QPM_PRICER_KERNEL_AVX512 && !cpu_has_avx512())
        return qpm__fail(QPM_E_UNSUPPORTED, "kernel = 3 (AVX-512 F+DQ+VL): not supported by this CPU");
    select_kernel(h, k);
    *value = k;
    return QPM_OK;
}

static const char *const kernel_labels[] = {"QPM_PRICER_KERNEL_AUTO", "QPM_PRICER_KERNEL_SCALAR",
                                            "QPM_PRICER_KERNEL_AVX2", "QPM_PRICER_KERNEL_AVX512"};

#define AT(field) offsetof(qpm_pricer, field)
static const qpm__setting setting_rows[] = {
    {QPM_PRICER_THREADS, "QPM_PRICER_THREADS", QPM__SET_INTEGER, 0, 1, QPM__MAX_THREADS, 1, NULL,
     NULL, QPM__STORE_UNSIGNED, AT(threads), set_threads},
    {QPM_PRICER_KERNEL, "QPM_PRICER_KERNEL", QPM__SET_ENUM, 0, QPM_PRICER_KERNEL_AUTO,
     QPM_PRICER_KERNEL_AVX512, QPM_PRICER_KERNEL_AUTO, NULL, kernel_labels, QPM__STORE_INT,
     AT(kernel), set_kernel},
    {QPM_PRICER_PAR_MIN, "QPM_PRICER_PAR_MIN", QPM__SET_INTEGER, 0, 1, 0x1p53, PAR_MIN_DEFAULT,
     NULL, NULL, QPM__STORE_SIZE, AT(par_min), NULL},
    {QPM_PRICER_CHUNK, "QPM_PRICER_CHUNK", QPM__SET_INTEGER, 1, CHUNK, CHUNK, CHUNK, NULL, NULL,
     QPM__STORE_NONE, 0, NULL},
};
#undef AT
static const qpm__settings settings = QPM__SETTINGS("qpm_pricer_key", setting_rows);

QPM__SETTINGS_API(pricer, qpm_pricer_key, settings, "p")

/* ---- life cycle ------------------------------------------------------------- */

_Static_assert(offsetof(struct qpm_pricer, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_pricer_create(qpm_pricer **out, const qpm_alloc *alloc, qpm_model model,
                             qpm_settlement settle)
{
    QPM__CHECK_OUT(out);
    qpm_status st;
    const qpm__model *m = qpm__model_find(model, settle, &st);
    if (m == NULL)
        return st;
    qpm_pricer *p = qpm__handle_new(alloc, sizeof *p, NULL, &settings, &st);
    if (p == NULL)
        return st;
    p->model = (int)model;
    p->settle = (int)settle;
    select_kernel(p, best_kernel());
    *out = p;
    return QPM_OK;
}

void qpm_pricer_free(qpm_pricer *p)
{
    if (p == NULL)
        return;
    qpm__pool_free(p->pool);
    qpm_alloc a = p->alloc;
    qpm__free(&a, p);
}

/* ---- argument checks ------------------------------------------------------ */

/* Branch-free screens (vectorisable); only a failing batch goes through the
 * element-by-element checks that name the first bad element. */
static int screen_positive(const double *x, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= (x[i] > 0.0) & (x[i] <= DBL_MAX);
    return ok;
}

static int screen_nonnegative(const double *x, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= (x[i] >= 0.0) & (x[i] <= DBL_MAX);
    return ok;
}

static int screen_finite(const double *x, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= (x[i] >= -DBL_MAX) & (x[i] <= DBL_MAX);
    return ok;
}

static int screen_rate_time(const double *rate, const double *T, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= fabs(rate[i] * T[i]) <= MAX_RT;
    return ok;
}

static int screen_type(const int32_t *type, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= (type[i] == QPM_CALL) | (type[i] == QPM_PUT);
    return ok;
}

/* qpm_pricer_out's fields are the outputs in QPM__O_ order */
#define OUT_AT(f, o)                                                                          \
    _Static_assert(offsetof(qpm_pricer_out, f) ==                                            \
                       offsetof(qpm_pricer_out, price) + (o) * sizeof(double *),              \
                   #f " out of order");
OUT_AT(delta, QPM__O_DELTA)
OUT_AT(gamma, QPM__O_GAMMA)
OUT_AT(vega, QPM__O_VEGA)
OUT_AT(theta, QPM__O_THETA)
OUT_AT(rho, QPM__O_RHO)
OUT_AT(vanna, QPM__O_VANNA)
OUT_AT(volga, QPM__O_VOLGA)
OUT_AT(charm, QPM__O_CHARM)
OUT_AT(rho_q, QPM__O_RHO_Q)
OUT_AT(price_usd, QPM__O_PRICE_USD)
OUT_AT(delta_coin, QPM__O_DELTA_COIN)
#undef OUT_AT
_Static_assert(offsetof(qpm_pricer_out, price) == 0 + QPM__O_PRICE + sizeof(size_t),
               "price first after size");

static qpm_status check_out(const qpm_pricer_out *out, double *ptrs[QPM__NOUT])
{
    QPM__CHECK_NULL(out, "out");
    if (QPM__LIKELY(out->size == sizeof(qpm_pricer_out))) {
        /* the common case, read as it is (a single-option call pays for
         * every step here) */
        memcpy(ptrs, &out->price, QPM__NOUT * sizeof(double *));
        return QPM_OK;
    }
    const size_t first = offsetof(qpm_pricer_out, price);
    if (out->size < first + sizeof(double *) || (out->size - first) % sizeof(double *) != 0)
        return qpm__fail(QPM_E_INVALID, "out->size = %zu: must be sizeof(qpm_pricer_out) = %zu",
                         out->size, sizeof(qpm_pricer_out));
    if (out->size > sizeof(qpm_pricer_out)) {
        /* A newer caller: accept only if every field we do not know is 0. */
        const unsigned char *b = (const unsigned char *)out;
        for (size_t i = sizeof(qpm_pricer_out); i < out->size; i++)
            if (b[i] != 0)
                return qpm__fail(QPM_E_UNSUPPORTED,
                                 "out->size = %zu: output fields past byte %zu are not provided "
                                 "by this library version",
                                 out->size, sizeof(qpm_pricer_out));
    }
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    memcpy(&o, out, out->size < sizeof o ? out->size : sizeof o);
    /* an older caller's struct, its missing fields NULL: read in the
     * same layout as the common case */
    memcpy(ptrs, &o.price, QPM__NOUT * sizeof(double *));
    return QPM_OK;
}

static qpm_status check_type(const int32_t *type, size_t n)
{
    QPM__CHECK_NULL(type, "type");
    if (screen_type(type, n))
        return QPM_OK;
    for (size_t i = 0; i < n; i++)
        if (type[i] != QPM_CALL && type[i] != QPM_PUT)
            return qpm__fail(QPM_E_INVALID, "type[%zu] = %d: must be 1 (call) or -1 (put)", i,
                             (int)type[i]);
    return QPM_OK;
}

/* |rate * T| <= 700 keeps every discount factor finite and non-zero. */
static qpm_status check_rate_time(const double *rate, size_t srate, const double *T, size_t sT,
                                  size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        double v = rate[i * srate] * T[i * sT];
        if (!(fabs(v) <= MAX_RT))
            return qpm__fail(QPM_E_INVALID, "%s[%zu] * T[%zu] = %g: |%s T| must be <= 700", name,
                             i * srate, i * sT, v, name);
    }
    return QPM_OK;
}

static const double zero_value = 0.0;

/* Checks the per-element inputs shared by pricing and implied vol. */
static qpm_status check_inputs(const qpm_pricer *p, size_t n, const double *u, const double *k,
                               const double *T, int T_positive, const double *r, const double *q)
{
    qpm_status st;
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    if (model_of(p)->lognormal && u != NULL && k != NULL && T != NULL && screen_positive(u, n) &&
        screen_positive(k, n) &&
        (T_positive ? screen_positive(T, n) : screen_nonnegative(T, n)) &&
        (r == NULL || (screen_finite(r, n) && screen_rate_time(r, T, n))) &&
        (q == NULL || (model_of(p)->carry && screen_finite(q, n) && screen_rate_time(q, T, n))))
        return QPM_OK;
    if (!model_of(p)->lognormal) {
        if ((st = qpm__check_finite(u, n, "underlying")) != QPM_OK)
            return st;
        if ((st = qpm__check_finite(k, n, "strike")) != QPM_OK)
            return st;
    } else {
        if ((st = qpm__check_positive(u, n, "underlying")) != QPM_OK)
            return st;
        if ((st = qpm__check_positive(k, n, "strike")) != QPM_OK)
            return st;
    }
    st = T_positive ? qpm__check_positive(T, n, "T") : qpm__check_nonnegative(T, n, "T");
    if (st != QPM_OK)
        return st;
    if (r != NULL) {
        if ((st = qpm__check_finite(r, n, "r")) != QPM_OK)
            return st;
        if ((st = check_rate_time(r, 1, T, 1, n, "r")) != QPM_OK)
            return st;
    }
    if (q != NULL) {
        if (!model_of(p)->carry)
            return qpm__fail(QPM_E_INVALID, "q: must be NULL for the %s model", model_of(p)->name);
        if ((st = qpm__check_finite(q, n, "q")) != QPM_OK)
            return st;
        if ((st = check_rate_time(q, 1, T, 1, n, "q")) != QPM_OK)
            return st;
    }
    return QPM_OK;
}

/* ---- running a job --------------------------------------------------------- */

struct chunk_ctx {
    const qpm__bjob *job;
    qpm__bkernel kfn;
    size_t n;
    _Atomic size_t bad; /* first element with an output beyond the double range */
};

static void price_chunk(void *vctx, size_t c, unsigned worker)
{
    (void)worker;
    struct chunk_ctx *ctx = vctx;
    size_t b = c * CHUNK, e = b + CHUNK < ctx->n ? b + CHUNK : ctx->n;
    size_t bad = ctx->kfn(ctx->job, b, e);
    if (bad == SIZE_MAX)
        return;
    size_t cur = atomic_load_explicit(&ctx->bad, memory_order_relaxed);
    while (bad < cur && !atomic_compare_exchange_weak_explicit(&ctx->bad, &cur, bad,
                                                               memory_order_relaxed,
                                                               memory_order_relaxed)) {
    }
}

/* The input screen of a job, over the pricer's threads for a large one:
 * each worker screens whole runs of SCREEN_RUN elements, and every run is
 * screened before any output is written (the kernels start after
 * qpm__pool_run returns), so that a bad input still leaves every output
 * untouched.  The screen is one pass over all the inputs at memory speed
 * (about a nanosecond per option at 10^6 options): on the calling thread
 * alone it would take a growing share of a call as threads shorten the
 * pricing. */
enum { SCREEN_RUN = 16 * CHUNK };

struct screen_ctx {
    const qpm__bjob *job;
    qpm__bscreen screen;
    size_t n;
    _Atomic int ok;
};

static void screen_run(void *vctx, size_t c, unsigned worker)
{
    (void)worker;
    struct screen_ctx *ctx = vctx;
    if (!atomic_load_explicit(&ctx->ok, memory_order_relaxed))
        return; /* a run already failed: the checks name the element */
    size_t b = c * SCREEN_RUN, e = b + SCREEN_RUN < ctx->n ? b + SCREEN_RUN : ctx->n;
    qpm__bjob j = *ctx->job;
    j.u += b * j.su, j.k += b * j.sk, j.t += b * j.st, j.r += b * j.sr;
    j.q += b * j.sq, j.sig += b * j.ssig, j.type += b * j.stype;
    if (!ctx->screen(&j, e - b))
        atomic_store_explicit(&ctx->ok, 0, memory_order_relaxed);
}

/* 1 when every input of the job's n elements is valid (p->screen's result) */
static int screen_job(const qpm_pricer *p, const qpm__bjob *job, size_t n)
{
    if (p->pool != NULL && n >= p->par_min && n > SCREEN_RUN) {
        struct screen_ctx ctx = {job, p->screen, n, 1};
        qpm__pool_run(p->pool, (n + SCREEN_RUN - 1) / SCREEN_RUN, screen_run, &ctx);
        return atomic_load_explicit(&ctx.ok, memory_order_relaxed);
    }
    return p->screen(job, n);
}

static const char *const out_name[QPM__NOUT] = {
    "price", "delta", "gamma", "vega", "theta", "rho",
    "vanna", "volga", "charm", "rho_q", "price_usd", "delta_coin"};

/* Kernel job of n options with element strides 0 or 1: the pricer's threads
 * for a large one.  Returns the first element with an output beyond the
 * range of double, or SIZE_MAX. */
static size_t run_kernel(const qpm_pricer *p, const qpm__bjob *job, size_t n, int threads)
{
    if (threads && p->pool != NULL && n >= p->par_min && n > CHUNK) {
        struct chunk_ctx ctx = {job, p->kfn, n, SIZE_MAX};
        qpm__pool_run(p->pool, (n + CHUNK - 1) / CHUNK, price_chunk, &ctx);
        return atomic_load_explicit(&ctx.bad, memory_order_relaxed);
    }
    return p->kfn(job, 0, n);
}

/* Flat runs of a job: the kernels read strides 0 and 1 only, and each call
 * has a cost of its own (the wide kernels' partial last block and their
 * deferred careful lanes), so short groups and strided inputs go to them in
 * runs of TILE options across groups.  An input the kernels can read in
 * place over a run (contiguous, or one value) is passed as it is; another
 * (a per-group value, a stride > 1) is gathered into a stack tile. */
enum { TILE = 512 };

/* Input x over flat elements [f0, f0 + m).  *have counts the elements of
 * buf that hold the input for any run starting on a group boundary: an
 * input that is the same in every group (gs = 0) is gathered once per job,
 * then reused by its later runs. */
#define FLAT_IN(name, T)                                                                       \
    static const T *name(const T *x, size_t s, size_t gs, size_t ne, size_t f0, size_t m,      \
                         T *buf, size_t *ts, size_t *have)                                     \
    {                                                                                          \
        size_t g = f0 / ne, e = f0 % ne;                                                       \
        int same = gs == 0 && e == 0;                                                          \
        *ts = 1;                                                                               \
        if (s <= 1 && (e + m <= ne || (s == 1 && gs == ne) || (s == 0 && gs == 0))) {         \
            *ts = s;                                                                           \
            return x + g * gs + e * s;                                                         \
        }                                                                                      \
        if (same && *have >= m)                                                                \
            return buf;                                                                        \
        for (size_t i = 0; i < m; e = 0, g++) {                                                \
            size_t run = ne - e < m - i ? ne - e : m - i;                                      \
            const T *src = x + g * gs + e * s;                                                 \
            if (s == 0) {                                                                      \
                T v = *src;                                                                    \
                for (size_t k = 0; k < run; k++)                                               \
                    buf[i + k] = v;                                                            \
            } else if (s == 1) {                                                               \
                memcpy(buf + i, src, run * sizeof *src);                                       \
            } else {                                                                           \
                for (size_t k = 0; k < run; k++)                                               \
                    buf[i + k] = src[k * s];                                                   \
            }                                                                                  \
            i += run;                                                                          \
        }                                                                                      \
        *have = same ? m : 0;                                                                  \
        return buf;                                                                            \
    }
FLAT_IN(flat_in, double)
FLAT_IN(flat_type, int32_t)
#undef FLAT_IN

static void job_model(const qpm_pricer *p, qpm__bjob *job)
{
    job->model = model_of(p)->kernel;
    job->inverse = p->settle == QPM_SETTLE_INVERSE;
}

/* Every option of a job whose outputs are contiguous in flat order (one
 * group, or gout = ne), TILE at a time.  Returns the flat index of the
 * first option with an output beyond the range of double, or SIZE_MAX. */
static size_t run_flat(const qpm_pricer *p, const qpm__pjob *pj)
{
    double bu[TILE], bk[TILE], bt[TILE], br[TILE], bq[TILE], bs[TILE];
    int32_t bty[TILE];
    size_t n = pj->ng * pj->ne, ne = pj->ne, bad = SIZE_MAX;
    const double *r = pj->r ? pj->r : &zero_value, *q = pj->q ? pj->q : &zero_value;
    size_t sr = pj->r ? pj->sr : 0, gr = pj->r ? pj->gr : 0;
    size_t sq = pj->q ? pj->sq : 0, gq = pj->q ? pj->gq : 0;
    /* whole groups per run when they fit, so that runs start on group
     * boundaries */
    size_t len = pj->ng > 1 && ne <= TILE ? TILE / ne * ne : TILE;
    size_t have[7] = {0};
    for (size_t f0 = 0; f0 < n; f0 += len) {
        size_t m = n - f0 < len ? n - f0 : len;
        qpm__bjob t;
        job_model(p, &t);
        t.u = flat_in(pj->u, pj->su, pj->gu, ne, f0, m, bu, &t.su, &have[0]);
        t.k = flat_in(pj->k, pj->sk, pj->gk, ne, f0, m, bk, &t.sk, &have[1]);
        t.t = flat_in(pj->t, pj->st, pj->gt, ne, f0, m, bt, &t.st, &have[2]);
        t.r = flat_in(r, sr, gr, ne, f0, m, br, &t.sr, &have[3]);
        t.q = flat_in(q, sq, gq, ne, f0, m, bq, &t.sq, &have[4]);
        t.sig = flat_in(pj->sig, pj->ssig, pj->gsig, ne, f0, m, bs, &t.ssig, &have[5]);
        t.type = flat_type(pj->type, pj->stype, pj->gtype, ne, f0, m, bty, &t.stype, &have[6]);
        for (int o = 0; o < QPM__NOUT; o++)
            t.out[o] = pj->out[o] ? pj->out[o] + f0 : NULL;
        size_t b = p->kfn(&t, 0, m);
        if (b != SIZE_MAX && bad == SIZE_MAX)
            bad = f0 + b;
    }
    return bad;
}

/* Group g of a job as a job of its own (one group). */
static qpm__pjob group_of(const qpm__pjob *pj, size_t g)
{
    qpm__pjob v = *pj;
    v.ng = 1;
    v.u += g * pj->gu, v.k += g * pj->gk, v.t += g * pj->gt, v.sig += g * pj->gsig;
    v.type += g * pj->gtype;
    if (v.r != NULL)
        v.r += g * pj->gr;
    if (v.q != NULL)
        v.q += g * pj->gq;
    for (int o = 0; o < QPM__NOUT; o++)
        if (v.out[o] != NULL)
            v.out[o] += g * pj->gout;
    return v;
}

/* The kernel job of a one-group job (the kernels themselves take element
 * strides of 0 and 1 only). */
static void kernel_job(const qpm_pricer *p, const qpm__pjob *v, qpm__bjob *job)
{
    job_model(p, job);
    job->u = v->u, job->su = v->su;
    job->k = v->k, job->sk = v->sk;
    job->t = v->t, job->st = v->st;
    job->r = v->r ? v->r : &zero_value, job->sr = v->r ? v->sr : 0;
    job->q = v->q ? v->q : &zero_value, job->sq = v->q ? v->sq : 0;
    job->sig = v->sig, job->ssig = v->ssig;
    job->type = v->type, job->stype = v->stype;
    memcpy(job->out, v->out, sizeof job->out);
}

/* QPM_E_OVERFLOW naming option i of group g (and its first wanted output
 * beyond the range of double). */
static qpm_status overflow(const qpm_pricer *p, const qpm__pjob *pj, size_t g, size_t i)
{
    qpm__pjob v = group_of(pj, g);
    qpm__bjob job;
    kernel_job(p, &v, &job);
    double u = job.u[i * job.su], k = job.k[i * job.sk], T = job.t[i * job.st];
    double r = job.r[i * job.sr], q = job.q[i * job.sq], sg = job.sig[i * job.ssig];
    double res[QPM__NOUT];
    unsigned b = qpm__price_one(job.model, job.inverse, u, k, T, r, q, sg,
                                job.type[i * job.stype], res) &
                 qpm__bjob_need(&job);
    int o = 0;
    while (o < QPM__NOUT - 1 && !(b >> o & 1u))
        o++;
    return qpm__fail(QPM_E_OVERFLOW,
                     "element %zu: %s = %g is beyond the range of double (underlying %g, strike "
                     "%g, T %g, r %g, q %g, sigma %g); the outputs are written but not meaningful",
                     g * pj->ne + i, out_name[o], res[o], u, k, T, r, q, sg);
}

qpm_status qpm__pricer_run(const qpm_pricer *p, const qpm__pjob *pj)
{
    int unit = pj->su <= 1 && pj->sk <= 1 && pj->st <= 1 && pj->sr <= 1 && pj->sq <= 1 &&
               pj->ssig <= 1 && pj->stype <= 1;
    int flat_out = pj->ng == 1 || pj->gout == pj->ne;
    size_t bad = SIZE_MAX, bad_g = 0;
    if (unit && (pj->ng == 1 || pj->ne >= TILE)) {
        /* long groups in place, a single one on the pricer's threads */
        for (size_t g = 0; g < pj->ng; g++) {
            qpm__pjob v = group_of(pj, g);
            qpm__bjob job;
            kernel_job(p, &v, &job);
            size_t b = run_kernel(p, &job, pj->ne, pj->ng == 1);
            if (b != SIZE_MAX && bad == SIZE_MAX)
                bad = b, bad_g = g;
        }
    } else if (flat_out) {
        size_t b = run_flat(p, pj);
        if (b != SIZE_MAX)
            bad = b % pj->ne, bad_g = b / pj->ne;
    } else {
        for (size_t g = 0; g < pj->ng; g++) {
            qpm__pjob v = group_of(pj, g);
            size_t b = run_flat(p, &v);
            if (b != SIZE_MAX && bad == SIZE_MAX)
                bad = b, bad_g = g;
        }
    }
    return bad == SIZE_MAX ? QPM_OK : overflow(p, pj, bad_g, bad);
}

static int any_output(const qpm__bjob *job)
{
    for (int o = 0; o < QPM__NOUT; o++)
        if (job->out[o] != NULL)
            return 1;
    return 0;
}

/* A checked facade's job (one group, strides 0 or 1), when it asks for any
 * output: straight to the kernel, as qpm__pricer_run runs such a job (a
 * single option pays for no job conversion); the overflow message is
 * written through the run's description of the job. */
static qpm_status run_job(qpm_pricer *p, const qpm__bjob *job, size_t n)
{
    if (!any_output(job))
        return QPM_OK;
    size_t bad = run_kernel(p, job, n, 1);
    if (bad == SIZE_MAX)
        return QPM_OK;
    qpm__pjob pj = {1, n, job->u, job->k, job->t, job->r, job->q, job->sig, job->type,
                    job->su, job->sk, job->st, job->sr, job->sq, job->ssig, job->stype,
                    0, 0, 0, 0, 0, 0, 0, n, {NULL}};
    memcpy(pj.out, job->out, sizeof pj.out);
    return overflow(p, &pj, 0, bad);
}

/* The start of a checked facade's job: its outputs and n checked, and the
 * fields every facade fills alike set (the pricer's model and settlement,
 * one strike, vol and type per option). */
static qpm_status facade_job(const qpm_pricer *p, qpm__bjob *job, size_t n,
                             const qpm_pricer_out *out, const double *strike,
                             const double *sigma, const int32_t *type)
{
    qpm_status st = check_out(out, job->out);
    if (st != QPM_OK)
        return st;
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    job_model(p, job);
    job->k = strike, job->sk = 1;
    job->sig = sigma, job->ssig = 1;
    job->type = type, job->stype = 1;
    return QPM_OK;
}

/* The last checks of a facade whose job the screen refused (its other
 * inputs are named by then): the vols and the types. */
static qpm_status check_vol_type(const double *sigma, const int32_t *type, size_t n)
{
    qpm_status st = qpm__check_nonnegative(sigma, n, "sigma");
    return st != QPM_OK ? st : check_type(type, n);
}

/* price_single's rare case, out of line (its job would enlarge the common
 * path's frame: 1.5 % of a single option's time) */
static QPM__NOINLINE qpm_status single_by_kernel(qpm_pricer *p, double uv, double kv, double Tv,
                                                 double rv, double qv, double sv, int32_t ty,
                                                 double *const ptrs[QPM__NOUT])
{
    qpm__bjob job = {0, 0, &uv, &kv, &Tv, &rv, &qv, &sv, &ty, 0, 0, 0, 0, 0, 0, 0, {NULL}};
    job_model(p, &job);
    memcpy(job.out, ptrs, sizeof job.out);
    return run_job(p, &job, 1);
}

/* A single option through the kernel's single-option entry.  Returns -1
 * when the call must take the general path, which names what is wrong (an
 * input that fails the screen, qpm__black_screen_values; a NULL input, a q
 * for a model without a carry), else the call's status (check_out's
 * failure included: the general path checks the outputs first too).  An option the entry hands
 * back (a special region, an output out of range) is priced by the kernel
 * from the values read here: the entry may have written the outputs
 * already, and an output may be an input's array. */
static int price_single(qpm_pricer *p, const double *u, const double *k, const double *T,
                        const double *r, const double *q, const double *sig,
                        const int32_t *type, const qpm_pricer_out *out)
{
    double *ptrs[QPM__NOUT];
    qpm_status st = check_out(out, ptrs); /* the general path's first check */
    if (st != QPM_OK)
        return (int)st;
    if (!(u && k && T && sig && type) || (q != NULL && !model_of(p)->carry))
        return -1;
    double uv = *u, kv = *k, Tv = *T, sv = *sig;
    double rv = r ? *r : 0.0, qv = q ? *q : 0.0;
    int32_t ty = *type;
    if (!qpm__black_screen_values(0, uv, kv, Tv, rv, qv, sv, ty))
        return -1;
    unsigned need = qpm__need_of(ptrs);
    if (need == 0 || p->one(need, uv, kv, Tv, rv, qv, sv, ty, ptrs))
        return QPM_OK;
    return (int)single_by_kernel(p, uv, kv, Tv, rv, qv, sv, ty, ptrs);
}

qpm_status qpm_pricer_price(qpm_pricer *p, size_t n, const double *underlying,
                            const double *strike, const double *T, const double *r,
                            const double *q, const double *sigma, const int32_t *type,
                            const qpm_pricer_out *out)
{
    QPM__CHECK_NULL(p, "p");
    if (n == 1 && p->one != NULL) {
        int st1 = price_single(p, underlying, strike, T, r, q, sigma, type, out);
        if (st1 >= 0)
            return (qpm_status)st1;
    }
    /* Every field is set here or by facade_job, with no zeroing first (a
     * single-option call pays for every step); the assertion fails when
     * the job gains a field this code does not set. */
    _Static_assert(sizeof(qpm__bjob) == 2 * sizeof(int) + 7 * sizeof(void *) +
                                            7 * sizeof(size_t) + QPM__NOUT * sizeof(double *),
                   "qpm_pricer_price sets every field of qpm__bjob");
    qpm__bjob job;
    qpm_status st = facade_job(p, &job, n, out, strike, sigma, type);
    if (st != QPM_OK)
        return st;
    job.u = underlying, job.su = 1;
    job.t = T, job.st = 1;
    job.r = r ? r : &zero_value, job.sr = r ? 1 : 0;
    job.q = q ? q : &zero_value, job.sq = q ? 1 : 0;
    int complete = underlying && strike && T && sigma && type && (q == NULL || model_of(p)->carry);
    if (!complete || !screen_job(p, &job, n)) {
        /* Something is wrong: find the first bad element and name it. */
        if ((st = check_inputs(p, n, underlying, strike, T, 0, r, q)) != QPM_OK ||
            (st = check_vol_type(sigma, type, n)) != QPM_OK)
            return st;
    }
    return run_job(p, &job, n);
}

static qpm_status check_scalar(const char *name, double v, int positive, int nonneg)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", name, v);
    if (positive && !(v > 0.0))
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be > 0", name, v);
    if (nonneg && v < 0.0)
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be >= 0", name, v);
    return QPM_OK;
}

qpm_status qpm_pricer_price_chain(qpm_pricer *p, size_t n, double underlying, double T,
                                  double r, double q, const double *strike, const double *sigma,
                                  const int32_t *type, const qpm_pricer_out *out)
{
    QPM__CHECK_NULL(p, "p");
    qpm__bjob job;
    qpm_status st = facade_job(p, &job, n, out, strike, sigma, type);
    if (st != QPM_OK)
        return st;
    int lognormal = model_of(p)->lognormal;
    if ((st = check_scalar("underlying", underlying, lognormal, 0)) != QPM_OK)
        return st;
    if ((st = check_scalar("T", T, 0, 1)) != QPM_OK)
        return st;
    if ((st = check_scalar("r", r, 0, 0)) != QPM_OK)
        return st;
    if ((st = check_scalar("q", q, 0, 0)) != QPM_OK)
        return st;
    if (!(fabs(r * T) <= MAX_RT))
        return qpm__fail(QPM_E_INVALID, "r * T = %g: |r T| must be <= 700", r * T);
    if (!(fabs(q * T) <= MAX_RT))
        return qpm__fail(QPM_E_INVALID, "q * T = %g: |q T| must be <= 700", q * T);
    if (q != 0.0 && !model_of(p)->carry)
        return qpm__fail(QPM_E_INVALID, "q = %g: must be 0 for the %s model", q, model_of(p)->name);
    job.u = &underlying, job.su = 0;
    job.t = &T, job.st = 0;
    job.r = &r, job.sr = 0;
    job.q = &q, job.sq = 0;
    if (!strike || !sigma || !type || !screen_job(p, &job, n)) {
        st = lognormal ? qpm__check_positive(strike, n, "strike")
                       : qpm__check_finite(strike, n, "strike");
        if (st != QPM_OK || (st = check_vol_type(sigma, type, n)) != QPM_OK)
            return st;
    }
    return run_job(p, &job, n);
}

/* ---- implied volatility ------------------------------------------------------ */

struct iv_ctx {
    const qpm_pricer *p;
    size_t n;
    const double *u, *k, *T, *r, *q, *price;
    const int32_t *type;
    double *sigma;
    int32_t *status;
    /* per worker: its first element not solved (the message names the
     * first of all, with the status its solve gave) */
    qpm__iv_first *first;
};

static void iv_note(qpm__iv_first *f, size_t i, qpm_status st)
{
    if (st != QPM_OK && i < f->index) {
        f->index = i;
        f->status = st;
    }
}

/* The Black-76 problem of an element whose forward or USD price left the
 * double range (a BSM forward u e^{(r-q)T} or a coin price times F beyond
 * DBL_MAX, or rounded to 0): Black prices are homogeneous of degree one in
 * (F, K, price), so all three are scaled by 2^-k, k the exponent of F, and
 * the vol is unchanged.  The BSM forward is then exp(ln u + (r-q)T - k ln 2),
 * good to about 1e-13 instead of half an ulp.  A strike that underflows
 * against such a forward leaves a normalised price beyond the double range:
 * QPM_E_NOCONVERGE, as the core reports it. */
static qpm_status iv_scaled(const qpm_pricer *p, double u, double K, double T, double r,
                            double q, int is_call, double price, double *sigma)
{
    double lF = model_of(p)->carry ? log(u) + (r * T - q * T) : log(u);
    int k = (int)floor(lF / 0.69314718055994530942);
    double F = model_of(p)->carry ? exp(lF - (double)k * 0.69314718055994530942) : ldexp(u, -k);
    double Ks = ldexp(K, -k);
    double pusd = p->settle == QPM_SETTLE_INVERSE ? price * F : ldexp(price, -k);
    if (!(pusd <= DBL_MAX)) {
        /* a coin price whose USD value overflows even against the scaled
         * forward: above the coin bounds e^{-rT} (call) and e^{-rT} K / F
         * (put), unless K / F itself is beyond the double range */
        double lb = is_call ? -r * T : log(K) - lF - r * T;
        *sigma = (double)NAN;
        return log(price) >= lb ? QPM_E_ARBITRAGE : QPM_E_NOCONVERGE;
    }
    if (!(Ks > 0.0) || !(pusd > 0.0)) {
        *sigma = (double)NAN;
        return QPM_E_NOCONVERGE;
    }
    qpm_status st = qpm__black_implied_vol_df(pusd, F, Ks, T, r, is_call, sigma);
    if (st != QPM_OK && st != QPM_E_ARBITRAGE && st != QPM_E_NOCONVERGE) {
        *sigma = (double)NAN;
        st = QPM_E_NOCONVERGE; /* not reached: every input is a normal double here */
    }
    return st;
}

/* Whether an element of a BSM or coin-settled job needs iv_scaled: its
 * forward or its positive USD price overflowed, or underflowed to 0. */
static int iv_needs_scaling(const qpm_pricer *p, double F, double price)
{
    double pusd = p->settle == QPM_SETTLE_INVERSE ? price * F : price;
    return !(F > 0.0 && F <= DBL_MAX) || (price > 0.0 && !(pusd > 0.0 && pusd <= DBL_MAX));
}

static qpm_status iv_one(const qpm_pricer *p, double u, double K, double T, double r, double q,
                         int32_t type, double price, double *sigma)
{
    int is_call = type > 0;
    if (model_of(p)->iv == QPM__IV_NORMAL)
        return qpm__bachelier_implied_vol_df(price, u, K, T, r, is_call, sigma);
    if (!(price > 0.0)) {
        /* before the conversion: -DBL_MAX times F would be -inf */
        *sigma = (double)NAN;
        return QPM_E_ARBITRAGE;
    }
    double F = model_of(p)->carry ? u * exp((r - q) * T) : u;
    if (iv_needs_scaling(p, F, price))
        return iv_scaled(p, u, K, T, r, q, is_call, price, sigma);
    double pusd = p->settle == QPM_SETTLE_INVERSE ? price * F : price;
    return qpm__black_implied_vol_df(pusd, F, K, T, r, is_call, sigma);
}

static void iv_range(const struct iv_ctx *c, size_t b, size_t e, qpm__iv_first *f)
{
    const qpm_pricer *p = c->p;
    if (model_of(p)->iv == QPM__IV_NORMAL) {
        for (size_t i = b; i < e; i++) {
            double sg;
            qpm_status st = iv_one(p, c->u[i], c->k[i], c->T[i], c->r ? c->r[i] : 0.0, 0.0,
                                   c->type[i], c->price[i], &sg);
            c->sigma[i] = st == QPM_OK ? sg : (double)NAN;
            if (c->status != NULL)
                c->status[i] = (int32_t)st;
            iv_note(f, i, st);
        }
        return;
    }
    if (!model_of(p)->carry && p->settle == QPM_SETTLE_LINEAR) {
        qpm__iv_first bf;
        qpm__black_implied_vol_batch_k(p->ivk, e - b, c->price + b, c->u + b, c->k + b, c->T + b,
                                       c->r ? c->r + b : NULL, c->type + b, c->sigma + b,
                                       c->status ? c->status + b : NULL, &bf);
        if (bf.index != SIZE_MAX)
            iv_note(f, b + bf.index, bf.status);
        return;
    }
    /* BSM (solved on its forward) and coin prices (converted to USD): the
     * batch solver takes them in stack-sized pieces, so nothing allocates.
     * Elements whose forward or USD price leaves the normal range, or whose
     * price is <= 0, are solved one by one (iv_one) after the batch. */
    enum { SUB = 256 };
    double Fb[SUB], Pb[SUB];
    unsigned char alone[SUB];
    int32_t stb[SUB]; /* the statuses when the caller wants none */
    for (size_t s0 = b; s0 < e; s0 += SUB) {
        size_t m = e - s0 < SUB ? e - s0 : SUB;
        int any = 0;
        for (size_t j = 0; j < m; j++) {
            size_t i = s0 + j;
            double r = c->r ? c->r[i] : 0.0, q = c->q ? c->q[i] : 0.0;
            double F = model_of(p)->carry ? c->u[i] * exp((r - q) * c->T[i]) : c->u[i];
            alone[j] = !(c->price[i] > 0.0) || iv_needs_scaling(p, F, c->price[i]);
            any |= alone[j];
            Fb[j] = alone[j] ? 1.0 : F;
            Pb[j] = alone[j] ? 0.5 : (p->settle == QPM_SETTLE_INVERSE ? c->price[i] * F
                                                                       : c->price[i]);
        }
        int32_t *sp = c->status != NULL ? c->status + s0 : stb;
        qpm__black_implied_vol_batch_k(p->ivk, m, Pb, Fb, c->k + s0, c->T + s0,
                                       c->r ? c->r + s0 : NULL, c->type + s0, c->sigma + s0, sp,
                                       NULL);
        for (size_t j = 0; any && j < m; j++) {
            if (!alone[j])
                continue;
            size_t i = s0 + j;
            sp[j] = (int32_t)iv_one(p, c->u[i], c->k[i], c->T[i], c->r ? c->r[i] : 0.0,
                                    c->q ? c->q[i] : 0.0, c->type[i], c->price[i], &c->sigma[i]);
        }
        for (size_t j = 0; j < m; j++)
            if (sp[j] != QPM_OK) {
                iv_note(f, s0 + j, (qpm_status)sp[j]);
                break;
            }
    }
}

static void iv_chunk(void *vctx, size_t c, unsigned worker)
{
    const struct iv_ctx *ctx = vctx;
    size_t b = c * CHUNK, e = b + CHUNK < ctx->n ? b + CHUNK : ctx->n;
    iv_range(ctx, b, e, &ctx->first[worker]);
}

qpm_status qpm_pricer_implied_vol(qpm_pricer *p, size_t n, const double *underlying,
                                  const double *strike, const double *T, const double *r,
                                  const double *q, const int32_t *type, const double *price,
                                  double *sigma, int32_t *status)
{
    QPM__CHECK_NULL(p, "p");
    qpm_status st = check_inputs(p, n, underlying, strike, T, 1, r, q);
    if (st != QPM_OK)
        return st;
    if ((st = check_type(type, n)) != QPM_OK)
        return st;
    if ((st = qpm__check_finite(price, n, "price")) != QPM_OK)
        return st;
    QPM__CHECK_NULL(sigma, "sigma");
    qpm__iv_first first[QPM__MAX_THREADS];
    struct iv_ctx ctx = {p, n, underlying, strike, T, r, q, price, type, sigma, status, first};
    int par = p->pool != NULL && n >= p->par_min && n > CHUNK;
    unsigned workers = par ? qpm__pool_threads(p->pool) : 1;
    for (unsigned w = 0; w < workers; w++)
        first[w] = (qpm__iv_first){SIZE_MAX, QPM_OK};
    if (workers > 1)
        qpm__pool_run(p->pool, (n + CHUNK - 1) / CHUNK, iv_chunk, &ctx);
    else
        iv_range(&ctx, 0, n, &first[0]);
    qpm__iv_first f = first[0];
    for (unsigned w = 1; w < workers; w++)
        if (first[w].index < f.index)
            f = first[w];
    if (f.index != SIZE_MAX) {
        size_t i = f.index;
        st = f.status;
        if (st == QPM_E_ARBITRAGE)
            return qpm__fail(st, "price[%zu] = %.17g: outside the no-arbitrage bounds of the "
                                 "%s %s (or <= 0); sigma[%zu] = NaN",
                             i, price[i], model_of(p)->name, type[i] > 0 ? "call" : "put", i);
        return qpm__fail(QPM_E_NOCONVERGE,
                         "price[%zu] = %.17g: implied volatility not found (%s: the normalised "
                         "price is beyond the range of double); sigma[%zu] = NaN",
                         i, price[i], qpm_status_name(st), i);
    }
    return QPM_OK;
}
