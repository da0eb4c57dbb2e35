/* The qpm_book handle: life cycle, settings, market snapshot and positions. */
#include <math.h>
#include <string.h>

#include "book/book_internal.h"
#include "core/settings.h"

/* ---- engine: per-thread pricers and scratch ------------------------------- */

void qpm__book_engine_free(const qpm_alloc *a, qpm__book_engine *eng)
{
    if (eng->w != NULL) {
        for (unsigned t = 0; t < eng->nthreads; t++) {
            qpm_pricer_free(eng->w[t].pricer);
            qpm__afree(a, eng->w[t].mem);
        }
        qpm__free(a, eng->w);
    }
    qpm__afree(a, eng->mem);
    memset(eng, 0, sizeof *eng);
}

static size_t round8(size_t n) { return (n + 7u) & ~(size_t)7u; }

qpm_status qpm__book_engine_build(const qpm_alloc *a, qpm__book_engine *eng, size_t nopt,
                                  unsigned nthreads)
{
    qpm__book_engine e;
    memset(&e, 0, sizeof e);
    e.nthreads = nthreads;
    e.spp = nopt == 0 ? 1 : (nopt >= QPM__BOOK_BATCH ? 1 : QPM__BOOK_BATCH / nopt);
    if (e.spp > QPM__BOOK_CHUNK)
        e.spp = QPM__BOOK_CHUNK;
    e.cap = e.spp * nopt;
    size_t c8 = round8(e.cap);
    e.w = qpm__calloc(a, nthreads, sizeof *e.w);
    if (e.w == NULL)
        goto nomem;
    if (e.cap > 0) {
        /* K, T, r as doubles, then the int32 types */
        e.mem = qpm__acalloc(a, 3 * c8 + c8 / 2, sizeof(double));
        if (e.mem == NULL)
            goto nomem;
        e.K = e.mem;
        e.T = e.K + c8;
        e.r = e.T + c8;
        e.type = (int32_t *)(void *)(e.r + c8);
    }
    for (unsigned t = 0; t < nthreads; t++) {
        qpm__book_worker *w = &e.w[t];
        if (qpm_pricer_create(&w->pricer, a, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR) != QPM_OK)
            goto nomem;
        if (e.cap > 0) {
            w->mem = qpm__acalloc(a, 3 * c8, sizeof(double));
            if (w->mem == NULL)
                goto nomem;
            w->F = w->mem;
            w->sig = w->F + c8;
            w->B = w->sig + c8;
        }
    }
    *eng = e;
    return QPM_OK;
nomem:
    qpm__book_engine_free(a, &e);
    return qpm__fail(QPM_E_NOMEM, "out of memory building the book's scenario engine");
}

static void opts_free(const qpm_alloc *a, qpm__book_opts *o)
{
    qpm__afree(a, o->mem);
    memset(o, 0, sizeof *o);
}

/* Allocates option arrays for n options (contents filled by prepare). */
static qpm_status opts_build(const qpm_alloc *a, qpm__book_opts *o, size_t n)
{
    memset(o, 0, sizeof *o);
    if (n == 0)
        return QPM_OK;
    size_t c8 = round8(n);
    /* 11 double arrays, 2 size_t arrays, 1 int32 array */
    size_t words = 11 * c8 + 2 * c8 + c8 / 2;
    o->mem = qpm__acalloc(a, words, sizeof(double));
    if (o->mem == NULL)
        return QPM_E_NOMEM;
    double *d = o->mem;
    o->F = d, d += c8;
    o->K = d, d += c8;
    o->T = d, d += c8;
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
    o->type = (int32_t *)(void *)(o->u + c8);
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

static const qpm__setting setting_rows[] = {
    {QPM_BOOK_THREADS, "QPM_BOOK_THREADS", QPM__SET_INTEGER, 0, 1, QPM__MAX_THREADS, 1, NULL,
     NULL, QPM__STORE_UNSIGNED, offsetof(qpm_book, eng.nthreads), set_threads},
    {QPM_BOOK_CHUNK, "QPM_BOOK_CHUNK", QPM__SET_INTEGER, 1, QPM__BOOK_CHUNK, QPM__BOOK_CHUNK,
     QPM__BOOK_CHUNK, NULL, NULL, QPM__STORE_NONE, 0, NULL},
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
    opts_free(&a, &b->opts);
    qpm__free(&a, b->under);
    qpm__free(&a, b->exp);
    qpm__free(&a, b->pos);
    qpm__free(&a, b);
}

/* ---- market ---------------------------------------------------------------- */

/* Grows an array of `size`-byte elements to hold at least `need`. */
static qpm_status grow(const qpm_alloc *a, void **arr, size_t *cap, size_t need, size_t size)
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
        return qpm__fail(QPM_E_INVALID, "rate = %.17g: must be in [-%g, %g]", r,
                         QPM__BOOK_MAX_RATE, QPM__BOOK_MAX_RATE);
    return QPM_OK;
}

static qpm_status check_u(const qpm_book *b, size_t u)
{
    if (u >= b->n_under)
        return qpm__fail(QPM_E_INVALID, "underlying = %zu: must be < %zu (the number of underlyings)",
                         u, b->n_under);
    return QPM_OK;
}

qpm_status qpm_book_add_underlying(qpm_book *b, const char *name, double spot, double rate,
                                   size_t *index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    size_t len = strlen(name);
    if (len == 0 || len >= QPM__BOOK_NAME_MAX)
        return qpm__fail(QPM_E_INVALID, "name has %zu bytes: must have 1 to %u", len,
                         QPM__BOOK_NAME_MAX - 1);
    for (size_t u = 0; u < b->n_under; u++)
        if (strcmp(b->under[u].name, name) == 0)
            return qpm__fail(QPM_E_INVALID, "name = \"%s\": already underlying %zu", name, u);
    qpm_status st = check_price("spot", spot);
    if (st != QPM_OK || (st = check_rate(rate)) != QPM_OK)
        return st;
    void *arr = b->under;
    if ((st = grow(&b->alloc, &arr, &b->cap_under, b->n_under + 1, sizeof *b->under)) != QPM_OK)
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

qpm_status qpm_book_n_underlyings(const qpm_book *b, size_t *n)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(n, "n");
    *n = b->n_under;
    return QPM_OK;
}

qpm_status qpm_book_find_underlying(const qpm_book *b, const char *name, size_t *index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    QPM__CHECK_NULL(index, "index");
    for (size_t u = 0; u < b->n_under; u++)
        if (strcmp(b->under[u].name, name) == 0) {
            *index = u;
            return QPM_OK;
        }
    return qpm__fail(QPM_E_INVALID, "name = \"%s\": no such underlying", name);
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

qpm_status qpm_book_set_spot(qpm_book *b, size_t u, double spot)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = check_u(b, u);
    if (st != QPM_OK || (st = check_price("spot", spot)) != QPM_OK)
        return st;
    b->under[u].S = spot;
    b->prepared = 0;
    return QPM_OK;
}

qpm_status qpm_book_set_rate(qpm_book *b, size_t u, double rate)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = check_u(b, u);
    if (st != QPM_OK || (st = check_rate(rate)) != QPM_OK)
        return st;
    b->under[u].r = rate;
    b->prepared = 0;
    return QPM_OK;
}

qpm_status qpm_book_set_perp(qpm_book *b, size_t u, double mark)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = check_u(b, u);
    if (st != QPM_OK || (st = check_price("mark", mark)) != QPM_OK)
        return st;
    b->under[u].P = mark;
    b->prepared = 0;
    return QPM_OK;
}

static size_t find_expiry(const qpm_book *b, size_t u, int32_t id)
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
    size_t k = find_expiry(b, u, expiry);
    if (k == SIZE_MAX) {
        void *arr = b->exp;
        if ((st = grow(&b->alloc, &arr, &b->cap_exp, b->n_exp + 1, sizeof *b->exp)) != QPM_OK)
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

qpm_status qpm_book_n_expiries(const qpm_book *b, size_t *n)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(n, "n");
    *n = b->n_exp;
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

/* ---- positions ------------------------------------------------------------- */

static int is_option(int32_t instr)
{
    return instr == QPM_INSTR_LINEAR_OPTION || instr == QPM_INSTR_INVERSE_OPTION;
}
static int is_future(int32_t instr)
{
    return instr == QPM_INSTR_LINEAR_FUTURE || instr == QPM_INSTR_INVERSE_FUTURE;
}
static int is_perp(int32_t instr)
{
    return instr == QPM_INSTR_LINEAR_PERP || instr == QPM_INSTR_INVERSE_PERP;
}

static qpm_status pos_positive(size_t i, const char *field, double v)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "position %zu: %s = %g: must be finite", i, field, v);
    if (!(v > 0.0))
        return qpm__fail(QPM_E_INVALID, "position %zu: %s = %.17g: must be > 0", i, field, v);
    return QPM_OK;
}

#define NEED_ARRAY(arr, name)                                                                  \
    do {                                                                                       \
        if ((arr) == NULL)                                                                     \
            return qpm__fail(QPM_E_NULL, "position %zu: %s is NULL", i, (name));              \
    } while (0)

/* Validates position i of the arrays; writes the parsed position to *p. */
static qpm_status check_position(const qpm_book *b, size_t i, const int32_t *instrument,
                                 const size_t *underlying, const int32_t *expiry,
                                 const int32_t *option_type, const double *strike,
                                 const double *quantity, const double *multiplier,
                                 const double *entry_price, const double *sigma,
                                 qpm__book_pos *p)
{
    memset(p, 0, sizeof *p);
    p->ex = SIZE_MAX;
    p->K = p->e = p->sig = (double)NAN;
    int32_t in = instrument[i];
    if (in < QPM_INSTR_SPOT || in > QPM_INSTR_INVERSE_OPTION)
        return qpm__fail(QPM_E_INVALID, "position %zu: instrument = %d: not a qpm_instrument", i,
                         (int)in);
    p->instr = in;
    size_t u = underlying[i];
    if (u >= b->n_under)
        return qpm__fail(QPM_E_INVALID,
                         "position %zu: underlying = %zu: must be < %zu (the number of underlyings)",
                         i, u, b->n_under);
    p->u = u;
    qpm_status st;
    if (!isfinite(quantity[i]))
        return qpm__fail(QPM_E_NONFINITE, "position %zu: quantity = %g: must be finite", i,
                         quantity[i]);
    p->Q = quantity[i];
    NEED_ARRAY(multiplier, "multiplier");
    if ((st = pos_positive(i, "multiplier", multiplier[i])) != QPM_OK)
        return st;
    p->m = multiplier[i];
    if (!isfinite(p->Q * p->m))
        return qpm__fail(QPM_E_OVERFLOW,
                         "position %zu: quantity x multiplier = %g x %g: beyond the range of "
                         "double",
                         i, p->Q, p->m);
    if (is_future(in) || is_option(in)) {
        NEED_ARRAY(expiry, "expiry");
        p->ex = find_expiry(b, u, expiry[i]);
        if (p->ex == SIZE_MAX)
            return qpm__fail(QPM_E_INVALID,
                             "position %zu: expiry = %d: unknown on underlying %zu (%s): set its "
                             "forward first",
                             i, (int)expiry[i], u, b->under[u].name);
    }
    if (is_perp(in) && !(b->under[u].P > 0.0))
        return qpm__fail(QPM_E_STATE,
                         "position %zu: underlying %zu (%s) has no perpetual mark: set it first",
                         i, u, b->under[u].name);
    if (is_future(in) || is_perp(in)) {
        NEED_ARRAY(entry_price, "entry_price");
        if ((st = pos_positive(i, "entry_price", entry_price[i])) != QPM_OK)
            return st;
        p->e = entry_price[i];
    }
    if (is_option(in)) {
        NEED_ARRAY(option_type, "option_type");
        if (option_type[i] != QPM_CALL && option_type[i] != QPM_PUT)
            return qpm__fail(QPM_E_INVALID, "position %zu: option_type = %d: must be 1 or -1", i,
                             (int)option_type[i]);
        p->type = option_type[i];
        NEED_ARRAY(strike, "strike");
        if ((st = pos_positive(i, "strike", strike[i])) != QPM_OK)
            return st;
        p->K = strike[i];
        NEED_ARRAY(sigma, "sigma");
        if ((st = pos_positive(i, "sigma", sigma[i])) != QPM_OK)
            return st;
        p->sig = sigma[i];
    }
    return QPM_OK;
}

qpm_status qpm_book_add_positions(qpm_book *b, size_t n, const int32_t *instrument,
                                  const size_t *underlying, const int32_t *expiry,
                                  const int32_t *option_type, const double *strike,
                                  const double *quantity, const double *multiplier,
                                  const double *entry_price, const double *sigma)
{
    QPM__CHECK_NULL(b, "b");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    QPM__CHECK_NULL(instrument, "instrument");
    QPM__CHECK_NULL(underlying, "underlying");
    QPM__CHECK_NULL(quantity, "quantity");
    size_t nopt = b->opts.n;
    for (size_t i = 0; i < n; i++) {
        qpm__book_pos p;
        qpm_status st = check_position(b, i, instrument, underlying, expiry, option_type, strike,
                                       quantity, multiplier, entry_price, sigma, &p);
        if (st != QPM_OK)
            return st;
        nopt += is_option(p.instr);
    }
    if (b->n_pos > SIZE_MAX / 2 - n)
        return qpm__fail(QPM_E_NOMEM, "n = %zu: too many positions", n);
    /* Allocate everything first; commit only when all succeeded. */
    qpm__book_opts opts;
    qpm__book_engine eng;
    int new_opts = nopt != b->opts.n;
    qpm_status st;
    if (new_opts) {
        if ((st = opts_build(&b->alloc, &opts, nopt)) != QPM_OK)
            return st;
        if ((st = qpm__book_engine_build(&b->alloc, &eng, nopt, b->eng.nthreads)) != QPM_OK) {
            opts_free(&b->alloc, &opts);
            return st;
        }
    }
    void *arr = b->pos;
    if ((st = grow(&b->alloc, &arr, &b->cap_pos, b->n_pos + n, sizeof *b->pos)) != QPM_OK) {
        if (new_opts) {
            opts_free(&b->alloc, &opts);
            qpm__book_engine_free(&b->alloc, &eng);
        }
        return st;
    }
    b->pos = arr;
    for (size_t i = 0; i < n; i++)
        (void)check_position(b, i, instrument, underlying, expiry, option_type, strike, quantity,
                             multiplier, entry_price, sigma, &b->pos[b->n_pos + i]);
    b->n_pos += n;
    if (new_opts) {
        opts_free(&b->alloc, &b->opts);
        qpm__book_engine_free(&b->alloc, &b->eng);
        b->opts = opts;
        b->eng = eng;
    }
    b->prepared = 0;
    return QPM_OK;
}

qpm_status qpm_book_clear_positions(qpm_book *b)
{
    QPM__CHECK_NULL(b, "b");
    b->n_pos = 0;
    /* keep the option storage: only its count goes */
    b->opts.n = 0;
    b->prepared = 0;
    return QPM_OK;
}

qpm_status qpm_book_n_positions(const qpm_book *b, size_t *n)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(n, "n");
    *n = b->n_pos;
    return QPM_OK;
}
