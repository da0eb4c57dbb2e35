/* The qpm_book handle: life cycle, settings, the market snapshot and the
 * handle's counts (positions are added in book_positions.c). */
#include <math.h>
#include <string.h>

#include "book/book_internal.h"
#include "core/settings.h"

/* ---- engine: the shared pricer and the scratch of the P&L loop ------------ */

void qpm__book_engine_free(const qpm_alloc *a, qpm__book_engine *eng)
{
    if (eng->w != NULL) {
        for (unsigned t = 0; t < eng->nthreads; t++)
            qpm__afree(a, eng->w[t].mem);
        qpm__free(a, eng->w);
    }
    qpm__afree(a, eng->mem);
    qpm__afree(a, eng->pmem);
    qpm_pricer_free(eng->pricer);
    memset(eng, 0, sizeof *eng);
}

static size_t round8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

/* The shape of a pricer run for nopt options (see qpm__book_engine). */
static void engine_shape(qpm__book_engine *e, size_t nopt)
{
    e->spp = 1;
    e->span = nopt;
    if (nopt == 0) {
        e->cap = 0;
        return;
    }
    if (nopt <= QPM__BOOK_BATCH / 2) {
        e->spp = QPM__BOOK_BATCH / nopt;
        if (e->spp > QPM__BOOK_CHUNK)
            e->spp = QPM__BOOK_CHUNK;
    } else {
        /* equal slices of at most QPM__BOOK_SPAN options */
        size_t slices = (nopt + QPM__BOOK_SPAN - 1) / QPM__BOOK_SPAN;
        e->span = (nopt + slices - 1) / slices;
    }
    e->cap = e->spp * e->span;
}

qpm_status qpm__book_engine_build(const qpm_alloc *a, qpm__book_engine *eng, size_t nopt,
                                  unsigned nthreads)
{
    qpm__book_engine e;
    memset(&e, 0, sizeof e);
    e.nthreads = nthreads;
    engine_shape(&e, nopt);
    size_t c8 = round8(e.cap);
    e.w = qpm__calloc(a, nthreads, sizeof *e.w);
    if (e.w == NULL)
        goto nomem;
    if (qpm_pricer_create(&e.pricer, a, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR) != QPM_OK)
        goto nomem;
    if (nopt > 0) {
        /* the P&L kernels' constants (qpm__pnl_opts): seven arrays, the
         * sticky-moneyness flags and twelve arrays of surface constants */
        e.pmem = qpm__acalloc(a, 20 * round8(nopt), sizeof(double));
        if (e.pmem == NULL)
            goto nomem;
        double *d = e.pmem;
        size_t n8 = round8(nopt);
        e.pc.c = d, d += n8;
        e.pc.s = d, d += n8;
        e.pc.rs = d, d += n8;
        e.pc.Dphi = d, d += n8;
        e.pc.rK = d, d += n8;
        e.pc.B0k = d, d += n8;
        e.pc.th = d, d += n8;
        e.pc.smf = d, d += n8;
        e.pc.sm = d;
        e.pc.nsm = n8;
    }
    if (e.spp > 1) {
        /* K, T, r as doubles, then the int32 types */
        e.mem = qpm__acalloc(a, 3 * c8 + c8 / 2, sizeof(double));
        if (e.mem == NULL)
            goto nomem;
        e.K = e.mem;
        e.T = e.K + c8;
        e.r = e.T + c8;
        e.type = (int32_t *)(void *)(e.r + c8);
    }
    for (unsigned t = 0; t < nthreads && e.cap > 0; t++) {
        qpm__book_worker *w = &e.w[t];
        w->mem = qpm__acalloc(a, 3 * c8, sizeof(double));
        if (w->mem == NULL)
            goto nomem;
        w->F = w->mem;
        w->sig = w->F + c8;
        w->B = w->sig + c8;
    }
    *eng = e;
    return QPM_OK;
nomem:
    qpm__book_engine_free(a, &e);
    return qpm__fail(QPM_E_NOMEM, "out of memory building the book's scenario engine");
}

void qpm__book_opts_free(const qpm_alloc *a, qpm__book_opts *o)
{
    qpm__afree(a, o->mem);
    memset(o, 0, sizeof *o);
}

qpm_status qpm__book_opts_build(const qpm_alloc *a, qpm__book_opts *o, size_t n)
{
    memset(o, 0, sizeof *o);
    if (n == 0)
        return QPM_OK;
    size_t c8 = round8(n);
    /* 12 double arrays, 2 size_t arrays, 1 pointer array, 1 int32 array */
    size_t words = 12 * c8 + 2 * c8 + c8 + c8 / 2;
    o->mem = qpm__acalloc(a, words, sizeof(double));
    if (o->mem == NULL)
        return QPM_E_NOMEM;
    double *d = o->mem;
    o->F = d, d += c8;
    o->K = d, d += c8;
    o->T = d, d += c8;
    o->Th = d, d += c8;
    o->r = d, d += c8;
    o->sig = d, d += c8;
    o->w = d, d += c8;
    o->B = d, d += c8;
    o->dB = d, d += c8;
    o->gB = d, d += c8;
    o->vB = d, d += c8;
    o->tB = d, d += c8;
    o->pos = (size_t *)(void *)d;
    o->u = o->pos + c8;
    o->sm = (const qpm_surface **)(void *)(o->u + c8);
    o->type = (int32_t *)(void *)(o->sm + c8);
    o->n = n;
    return QPM_OK;
}

/* ---- settings -------------------------------------------------------------- */

/* The engine holds per-thread scratch: rebuilt whole for the new count and
 * swapped in with the pool, so that a failure leaves the old pair. */
static qpm_status set_threads(void *h, double *value)
{
    qpm_book *b = h;
    unsigned nt = (unsigned)*value;
    if (nt == b->eng.nthreads)
        return QPM_OK;
    qpm__book_engine eng;
    qpm_status st = qpm__book_engine_build(&b->alloc, &eng, b->opts.n, nt);
    if (st != QPM_OK)
        return st;
    if ((st = qpm__settings_threads(&b->pool, &b->alloc, b->eng.nthreads, nt)) != QPM_OK) {
        qpm__book_engine_free(&b->alloc, &eng);
        return st;
    }
    qpm__book_engine_free(&b->alloc, &b->eng);
    b->eng = eng;
    b->prepared = 0;
    return QPM_OK;
}

/* The funding horizon enters the P&L's per-underlying terms. */
static qpm_status set_funding_hours(void *h, double *value)
{
    (void)value;
    ((qpm_book *)h)->prepared = 0;
    return QPM_OK;
}

/* (also QPM_BOOK_DECAY_DAYS: the options' scenario expiries change) */

/* The margin model changed: the cached margins are stale. */
static qpm_status set_margin_param(void *h, double *value)
{
    (void)value;
    ((qpm_book *)h)->margin_ready = 0;
    return QPM_OK;
}

static const qpm__setting setting_rows[] = {
    {QPM_BOOK_THREADS, "QPM_BOOK_THREADS", QPM__SET_INTEGER, 0, 1, QPM__MAX_THREADS, 1, NULL, NULL,
     QPM__STORE_UNSIGNED, offsetof(qpm_book, eng.nthreads), set_threads},
    {QPM_BOOK_CHUNK, "QPM_BOOK_CHUNK", QPM__SET_INTEGER, 1, QPM__BOOK_CHUNK, QPM__BOOK_CHUNK,
     QPM__BOOK_CHUNK, NULL, NULL, QPM__STORE_NONE, 0, NULL},
    {QPM_BOOK_FUNDING_HOURS, "QPM_BOOK_FUNDING_HOURS", QPM__SET_REAL, 0, 0.0, 87600.0, 0.0, NULL,
     NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, funding_hours), set_funding_hours},
    {QPM_BOOK_MARGIN_LINEAR_IM, "QPM_BOOK_MARGIN_LINEAR_IM", QPM__SET_REAL, 0, 0.0, 1.0, 0.02, NULL,
     NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, m_lin_im), set_margin_param},
    {QPM_BOOK_MARGIN_LINEAR_MM, "QPM_BOOK_MARGIN_LINEAR_MM", QPM__SET_REAL, 0, 0.0, 1.0, 0.01, NULL,
     NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, m_lin_mm), set_margin_param},
    {QPM_BOOK_MARGIN_OPTION_IM, "QPM_BOOK_MARGIN_OPTION_IM", QPM__SET_REAL, 0, 0.0, 1.0, 0.15, NULL,
     NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, m_opt_im), set_margin_param},
    {QPM_BOOK_MARGIN_OPTION_IM_MIN, "QPM_BOOK_MARGIN_OPTION_IM_MIN", QPM__SET_REAL, 0, 0.0, 1.0,
     0.10, NULL, NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, m_opt_im_min), set_margin_param},
    {QPM_BOOK_MARGIN_OPTION_MM, "QPM_BOOK_MARGIN_OPTION_MM", QPM__SET_REAL, 0, 0.0, 1.0, 0.075,
     NULL, NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, m_opt_mm), set_margin_param},
    {QPM_BOOK_PM_SPOT_RANGE, "QPM_BOOK_PM_SPOT_RANGE", QPM__SET_REAL, 0, 1e-6, 0.99, 0.15, NULL,
     NULL, QPM__STORE_DOUBLE, offsetof(qpm_book, pm_range), NULL},
    {QPM_BOOK_PM_SPOT_STEPS, "QPM_BOOK_PM_SPOT_STEPS", QPM__SET_INTEGER, 0, 2, 41, 13, NULL, NULL,
     QPM__STORE_UNSIGNED, offsetof(qpm_book, pm_steps), NULL},
    {QPM_BOOK_PM_VOL_DOWN, "QPM_BOOK_PM_VOL_DOWN", QPM__SET_REAL, 0, 0.0, 0.99, 0.25, NULL, NULL,
     QPM__STORE_DOUBLE, offsetof(qpm_book, pm_vol_down), NULL},
    {QPM_BOOK_PM_VOL_UP, "QPM_BOOK_PM_VOL_UP", QPM__SET_REAL, 0, 0.0, 10.0, 0.5, NULL, NULL,
     QPM__STORE_DOUBLE, offsetof(qpm_book, pm_vol_up), NULL},
    {QPM_BOOK_PM_EXTENDED, "QPM_BOOK_PM_EXTENDED", QPM__SET_REAL, 0, 1e-6, 0.99, 0.5, NULL, NULL,
     QPM__STORE_DOUBLE, offsetof(qpm_book, pm_ext), NULL},
    {QPM_BOOK_PM_DAMPENER, "QPM_BOOK_PM_DAMPENER", QPM__SET_REAL, 0, 0.0, 1.0, 0.3, NULL, NULL,
     QPM__STORE_DOUBLE, offsetof(qpm_book, pm_damp), NULL},
    {QPM_BOOK_PM_MM_FACTOR, "QPM_BOOK_PM_MM_FACTOR", QPM__SET_REAL, 0, 0.0, 1.0, 0.8, NULL, NULL,
     QPM__STORE_DOUBLE, offsetof(qpm_book, pm_mm), NULL},
    {QPM_BOOK_DECAY_DAYS, "QPM_BOOK_DECAY_DAYS", QPM__SET_REAL, 0, 0.0, 3650.0, 0.0, NULL, NULL,
     QPM__STORE_DOUBLE, offsetof(qpm_book, decay_days), set_funding_hours},
};
static const qpm__settings settings = QPM__SETTINGS("qpm_book_key", setting_rows);

QPM__SETTINGS_API(book, qpm_book_key, settings, "b")

/* ---- life cycle ------------------------------------------------------------ */

_Static_assert(offsetof(struct qpm_book, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_book_create(qpm_book **out, const qpm_alloc *alloc)
{
    QPM__CHECK_OUT(out);
    qpm_status st;
    qpm_book *b = qpm__handle_new(alloc, sizeof *b, NULL, &settings, &st);
    if (b == NULL)
        return st;
    st = qpm__book_engine_build(&b->alloc, &b->eng, 0, b->eng.nthreads);
    if (st != QPM_OK) {
        qpm__free(&b->alloc, b);
        return st;
    }
    *out = b;
    return QPM_OK;
}

void qpm_book_free(qpm_book *b)
{
    if (b == NULL)
        return;
    qpm_alloc a = b->alloc;
    qpm__pool_free(b->pool);
    qpm__book_engine_free(&a, &b->eng);
    qpm__book_opts_free(&a, &b->opts);
    for (size_t u = 0; u < b->n_under; u++)
        qpm_surface_free(b->under[u].surf);
    qpm__free(&a, b->under);
    qpm__free(&a, b->exp);
    qpm__free(&a, b->pos);
    qpm__free(&a, b->amm);
    qpm__free(&a, b->venue);
    qpm__free(&a, b->coll);
    qpm__free(&a, b);
}

/* ---- market ---------------------------------------------------------------- */

qpm_status qpm__book_grow(const qpm_alloc *a, void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return QPM_OK;
    size_t nc = *cap ? *cap : 4;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / size)
            return qpm__fail(QPM_E_NOMEM, "book storage of %zu elements overflows size_t", need);
        nc *= 2;
    }
    void *p = qpm__calloc(a, nc, size);
    if (p == NULL)
        return QPM_E_NOMEM;
    if (*arr != NULL && *cap > 0)
        memcpy(p, *arr, *cap * size);
    qpm__free(a, *arr);
    *arr = p;
    *cap = nc;
    return QPM_OK;
}

static qpm_status check_price(const char *what, double v)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", what, v);
    if (!(v > 0.0))
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be > 0", what, v);
    return QPM_OK;
}

static qpm_status check_rate(double r)
{
    if (!isfinite(r))
        return qpm__fail(QPM_E_NONFINITE, "rate = %g: must be finite", r);
    if (!(fabs(r) <= QPM__BOOK_MAX_RATE))
        return qpm__fail(QPM_E_INVALID, "rate = %.17g: must be in [-%g, %g]", r, QPM__BOOK_MAX_RATE,
                         QPM__BOOK_MAX_RATE);
    return QPM_OK;
}

static qpm_status check_u(const qpm_book *b, size_t u)
{
    if (u >= b->n_under)
        return qpm__fail(QPM_E_INVALID,
                         "underlying = %zu: must be < %zu (the number of underlyings)", u,
                         b->n_under);
    return QPM_OK;
}

_Static_assert(offsetof(qpm__book_under, name) == 0, "a name table's rows start with the name");
_Static_assert(offsetof(qpm__book_venue, name) == 0, "a name table's rows start with the name");

size_t qpm__book_name_row(const void *table, size_t n, size_t stride, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp((const char *)table + k * stride, name) == 0)
            return k;
    return SIZE_MAX;
}

qpm_status qpm__book_name_check(const void *table, size_t n, size_t stride, const char *name,
                                const char *what)
{
    size_t len = strlen(name);
    if (len == 0 || len >= QPM__BOOK_NAME_MAX)
        return qpm__fail(QPM_E_INVALID, "name has %zu bytes: must have 1 to %u", len,
                         QPM__BOOK_NAME_MAX - 1);
    size_t k = qpm__book_name_row(table, n, stride, name);
    if (k != SIZE_MAX)
        return qpm__fail(QPM_E_INVALID, "name = \"%s\": already %s %zu", name, what, k);
    return QPM_OK;
}

qpm_status qpm_book_add_underlying(qpm_book *b, const char *name, double spot, double rate,
                                   size_t *index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    qpm_status st =
        qpm__book_name_check(b->under, b->n_under, sizeof *b->under, name, "underlying");
    if (st != QPM_OK)
        return st;
    size_t len = strlen(name);
    st = check_price("spot", spot);
    if (st != QPM_OK || (st = check_rate(rate)) != QPM_OK)
        return st;
    void *arr = b->under;
    st = qpm__book_grow(&b->alloc, &arr, &b->cap_under, b->n_under + 1, sizeof *b->under);
    if (st != QPM_OK)
        return st;
    b->under = arr;
    qpm__book_under *x = &b->under[b->n_under];
    memset(x, 0, sizeof *x);
    memcpy(x->name, name, len + 1);
    x->S = spot;
    x->r = rate;
    x->P = (double)NAN;
    if (index != NULL)
        *index = b->n_under;
    b->n_under++;
    b->prepared = 0;
    return QPM_OK;
}

/* The handle's counts, for the getters. */
enum { COUNT_UNDER, COUNT_EXP, COUNT_POS };

static qpm_status get_count(const qpm_book *b, size_t *n, int which)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(n, "n");
    *n = which == COUNT_UNDER ? b->n_under : which == COUNT_EXP ? b->n_exp : b->n_pos;
    return QPM_OK;
}

qpm_status qpm_book_n_underlyings(const qpm_book *b, size_t *n)
{
    return get_count(b, n, COUNT_UNDER);
}

qpm_status qpm_book_n_expiries(const qpm_book *b, size_t *n)
{
    return get_count(b, n, COUNT_EXP);
}

qpm_status qpm_book_n_positions(const qpm_book *b, size_t *n)
{
    return get_count(b, n, COUNT_POS);
}

qpm_status qpm_book_find_underlying(const qpm_book *b, const char *name, size_t *index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    QPM__CHECK_NULL(index, "index");
    size_t u = qpm__book_name_row(b->under, b->n_under, sizeof *b->under, name);
    if (u == SIZE_MAX)
        return qpm__fail(QPM_E_INVALID, "name = \"%s\": no such underlying", name);
    *index = u;
    return QPM_OK;
}

qpm_status qpm_book_underlying_name(const qpm_book *b, size_t u, const char **name)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    qpm_status st = check_u(b, u);
    if (st != QPM_OK)
        return st;
    *name = b->under[u].name;
    return QPM_OK;
}

/* The market fields of an underlying that the setters change. */
enum { SET_SPOT, SET_RATE, SET_PERP };

static qpm_status set_market(qpm_book *b, size_t u, int field, double v)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = check_u(b, u);
    if (st == QPM_OK)
        st =
            field == SET_RATE ? check_rate(v) : check_price(field == SET_SPOT ? "spot" : "mark", v);
    if (st != QPM_OK)
        return st;
    qpm__book_under *x = &b->under[u];
    *(field == SET_SPOT ? &x->S : field == SET_RATE ? &x->r : &x->P) = v;
    b->prepared = 0;
    return QPM_OK;
}

qpm_status qpm_book_set_spot(qpm_book *b, size_t u, double spot)
{
    return set_market(b, u, SET_SPOT, spot);
}

qpm_status qpm_book_set_rate(qpm_book *b, size_t u, double rate)
{
    return set_market(b, u, SET_RATE, rate);
}

qpm_status qpm_book_set_perp(qpm_book *b, size_t u, double mark)
{
    return set_market(b, u, SET_PERP, mark);
}

qpm_status qpm_book_set_funding(qpm_book *b, size_t u, double current, double expected)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = check_u(b, u);
    if (st != QPM_OK)
        return st;
    const double rate[2] = {current, expected};
    const char *name[2] = {"current", "expected"};
    for (int k = 0; k < 2; k++) {
        if (!isfinite(rate[k]))
            return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", name[k], rate[k]);
        if (!(fabs(rate[k]) <= 1.0))
            return qpm__fail(QPM_E_INVALID,
                             "%s = %.17g: a funding rate per 8 hours must be within [-1, 1]",
                             name[k], rate[k]);
    }
    b->under[u].fund_cur = current;
    b->under[u].fund_exp = expected;
    b->prepared = 0;
    return QPM_OK;
}

size_t qpm__book_find_expiry(const qpm_book *b, size_t u, int32_t id)
{
    for (size_t k = 0; k < b->n_exp; k++)
        if (b->exp[k].u == u && b->exp[k].id == id)
            return k;
    return SIZE_MAX;
}

qpm_status qpm_book_set_forward(qpm_book *b, size_t u, int32_t expiry, double forward, double T)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = check_u(b, u);
    if (st != QPM_OK)
        return st;
    if (expiry < 0)
        return qpm__fail(QPM_E_INVALID, "expiry = %d: must be >= 0", (int)expiry);
    if ((st = check_price("forward", forward)) != QPM_OK)
        return st;
    if (!isfinite(T))
        return qpm__fail(QPM_E_NONFINITE, "T = %g: must be finite", T);
    if (!(T > 0.0 && T <= QPM__BOOK_MAX_T))
        return qpm__fail(QPM_E_INVALID, "T = %.17g: must be in (0, %g]", T, QPM__BOOK_MAX_T);
    size_t k = qpm__book_find_expiry(b, u, expiry);
    if (k == SIZE_MAX) {
        void *arr = b->exp;
        st = qpm__book_grow(&b->alloc, &arr, &b->cap_exp, b->n_exp + 1, sizeof *b->exp);
        if (st != QPM_OK)
            return st;
        b->exp = arr;
        k = b->n_exp++;
        b->exp[k].u = u;
        b->exp[k].id = expiry;
    }
    b->exp[k].F = forward;
    b->exp[k].T = T;
    b->prepared = 0;
    return QPM_OK;
}

qpm_status qpm_book_expiry(const qpm_book *b, size_t k, size_t *underlying, int32_t *expiry,
                           double *forward, double *T)
{
    QPM__CHECK_NULL(b, "b");
    if (k >= b->n_exp)
        return qpm__fail(QPM_E_INVALID, "k = %zu: must be < %zu (the number of expiries)", k,
                         b->n_exp);
    const qpm__book_expiry *e = &b->exp[k];
    if (underlying != NULL)
        *underlying = e->u;
    if (expiry != NULL)
        *expiry = e->id;
    if (forward != NULL)
        *forward = e->F;
    if (T != NULL)
        *T = e->T;
    return QPM_OK;
}
