/* Positions: validation against the instrument table and the market,
 * all-or-nothing appends, and clearing. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"

static qpm_status pos_positive(size_t i, const char *field, double v)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "position %zu: %s = %g: must be finite", i, field, v);
    if (!(v > 0.0))
        return qpm__fail(QPM_E_INVALID, "position %zu: %s = %.17g: must be > 0", i, field, v);
    return QPM_OK;
}

#define NEED_ARRAY(arr, name)                                                                      \
    do {                                                                                           \
        if ((arr) == NULL)                                                                         \
            return qpm__fail(QPM_E_NULL, "position %zu: %s is NULL", i, (name));                   \
    } while (0)

/* Validates position i of the caller's arrays (c: size already checked,
 * fields past it NULL); writes the parsed position to *p.
 * The fields every kind needs come first, then those of its table row in
 * the order of the QPM__NEEDS_ bits. */
static qpm_status check_position(const qpm_book *b, size_t i, const qpm_book_positions *c,
                                 qpm__book_pos *p)
{
    memset(p, 0, sizeof *p);
    p->ex = SIZE_MAX;
    p->K = p->e = p->sig = (double)NAN;
    int32_t in = c->instrument[i];
    const qpm__instr *kind = qpm__instr_find(in);
    if (kind == NULL)
        return qpm__instr_unknown(i, in);
    p->instr = in;
    size_t u = c->underlying[i];
    if (u >= b->n_under)
        return qpm__fail(
            QPM_E_INVALID,
            "position %zu: underlying = %zu: must be < %zu (the number of underlyings)", i, u,
            b->n_under);
    p->u = u;
    p->venue = c->venue != NULL ? c->venue[i] : QPM_BOOK_NO_VENUE;
    if (p->venue != QPM_BOOK_NO_VENUE && p->venue >= b->n_venue)
        return qpm__fail(QPM_E_INVALID,
                         "position %zu: venue = %zu: no such venue (the book has %zu; "
                         "QPM_BOOK_NO_VENUE for none)",
                         i, p->venue, b->n_venue);
    qpm_status st;
    if (!isfinite(c->quantity[i]))
        return qpm__fail(QPM_E_NONFINITE, "position %zu: quantity = %g: must be finite", i,
                         c->quantity[i]);
    p->Q = c->quantity[i];
    NEED_ARRAY(c->multiplier, "multiplier");
    if ((st = pos_positive(i, "multiplier", c->multiplier[i])) != QPM_OK)
        return st;
    p->m = c->multiplier[i];
    if (!isfinite(p->Q * p->m))
        return qpm__fail(QPM_E_OVERFLOW,
                         "position %zu: quantity x multiplier = %g x %g: beyond the range of "
                         "double",
                         i, p->Q, p->m);
    if (kind->needs & QPM__NEEDS_EXPIRY) {
        NEED_ARRAY(c->expiry, "expiry");
        p->ex = qpm__book_find_expiry(b, u, c->expiry[i]);
        if (p->ex == SIZE_MAX)
            return qpm__fail(QPM_E_INVALID,
                             "position %zu: expiry = %d: unknown on underlying %zu (%s): set its "
                             "forward first",
                             i, (int)c->expiry[i], u, b->under[u].name);
    }
    if ((kind->needs & QPM__NEEDS_PERP) && !(b->under[u].P > 0.0))
        return qpm__fail(QPM_E_STATE,
                         "position %zu: underlying %zu (%s) has no perpetual mark: set it first", i,
                         u, b->under[u].name);
    if (kind->needs & QPM__NEEDS_ENTRY) {
        NEED_ARRAY(c->entry_price, "entry_price");
        if ((st = pos_positive(i, "entry_price", c->entry_price[i])) != QPM_OK)
            return st;
        p->e = c->entry_price[i];
    }
    if (kind->needs & QPM__NEEDS_OPTION) {
        NEED_ARRAY(c->option_type, "option_type");
        if (c->option_type[i] != QPM_CALL && c->option_type[i] != QPM_PUT)
            return qpm__fail(QPM_E_INVALID, "position %zu: option_type = %d: must be 1 or -1", i,
                             (int)c->option_type[i]);
        p->type = c->option_type[i];
        NEED_ARRAY(c->strike, "strike");
        if ((st = pos_positive(i, "strike", c->strike[i])) != QPM_OK)
            return st;
        p->K = c->strike[i];
        NEED_ARRAY(c->sigma, "sigma");
        if (c->sigma[i] == QPM_BOOK_SURFACE_VOL) {
            if (p->u < b->n_under && b->under[p->u].surf == NULL)
                return qpm__fail(QPM_E_INVALID,
                                 "position %zu: sigma = 0: must be > 0 (0 prices off the "
                                 "underlying's surface, and underlying %zu ('%s') has none)",
                                 i, p->u, b->under[p->u].name);
        } else if ((st = pos_positive(i, "sigma", c->sigma[i])) != QPM_OK) {
            return st;
        }
        p->sig = c->sigma[i];
    }
    if (kind->needs & QPM__NEEDS_LIQ) {
        if (!(p->Q * p->m > 0.0))
            return qpm__fail(QPM_E_INVALID,
                             "position %zu: quantity x multiplier = %.17g: the liquidity of an "
                             "AMM position must be > 0",
                             i, p->Q * p->m);
        NEED_ARRAY(c->fee_rate, "fee_rate");
        double f = c->fee_rate[i];
        if (!isfinite(f))
            return qpm__fail(QPM_E_NONFINITE, "position %zu: fee_rate = %g: must be finite", i, f);
        if (!(f >= 0.0))
            return qpm__fail(QPM_E_INVALID, "position %zu: fee_rate = %.17g: must be >= 0", i, f);
        p->amm.fee = f;
        p->amm.lo = 0.0;
        p->amm.hi = (double)INFINITY;
    }
    if (kind->needs & QPM__NEEDS_RANGE) {
        NEED_ARRAY(c->price_lower, "price_lower");
        NEED_ARRAY(c->price_upper, "price_upper");
        double lo = c->price_lower[i], hi = c->price_upper[i];
        if (!isfinite(lo))
            return qpm__fail(QPM_E_NONFINITE, "position %zu: price_lower = %g: must be finite", i,
                             lo);
        if (!(lo >= 0.0))
            return qpm__fail(QPM_E_INVALID, "position %zu: price_lower = %.17g: must be >= 0", i,
                             lo);
        if (isnan(hi))
            return qpm__fail(QPM_E_NONFINITE,
                             "position %zu: price_upper = nan: must be a number (+inf allowed)", i);
        if (!(hi > lo))
            return qpm__fail(QPM_E_INVALID,
                             "position %zu: price_upper = %.17g: must be > price_lower = %.17g", i,
                             hi, lo);
        p->amm.lo = lo;
        p->amm.hi = hi;
    }
    return QPM_OK;
}

/* Appends n positions: every one is checked, then everything they need is
 * allocated, and only then is the book changed. */
static qpm_status add(qpm_book *b, size_t n, const qpm_book_positions *c)
{
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    QPM__CHECK_NULL(c->instrument, "instrument");
    QPM__CHECK_NULL(c->underlying, "underlying");
    QPM__CHECK_NULL(c->quantity, "quantity");
    size_t nopt = b->opts.n, namm = b->n_amm;
    for (size_t i = 0; i < n; i++) {
        qpm__book_pos p;
        qpm_status st = check_position(b, i, c, &p);
        if (st != QPM_OK)
            return st;
        nopt += qpm__pos_kind(&p)->scen == QPM__SCEN_BLACK76;
        namm += qpm__pos_kind(&p)->scen == QPM__SCEN_AMM;
    }
    if (b->n_pos > SIZE_MAX / 2 - n)
        return qpm__fail(QPM_E_NOMEM, "n = %zu: too many positions", n);
    qpm__book_opts opts;
    qpm__book_engine eng;
    int new_opts = nopt != b->opts.n;
    qpm_status st;
    /* room for the AMM positions' scenario forms (a larger capacity left
     * behind by a later failure changes nothing the book shows) */
    void *amm = b->amm;
    if ((st = qpm__book_grow(&b->alloc, &amm, &b->cap_amm, namm, sizeof *b->amm)) != QPM_OK)
        return st;
    b->amm = amm;
    if (new_opts) {
        if ((st = qpm__book_opts_build(&b->alloc, &opts, nopt)) != QPM_OK)
            return st;
        if ((st = qpm__book_engine_build(&b->alloc, &eng, nopt, b->eng.nthreads)) != QPM_OK) {
            qpm__book_opts_free(&b->alloc, &opts);
            return st;
        }
    }
    void *arr = b->pos;
    if ((st = qpm__book_grow(&b->alloc, &arr, &b->cap_pos, b->n_pos + n, sizeof *b->pos)) !=
        QPM_OK) {
        if (new_opts) {
            qpm__book_opts_free(&b->alloc, &opts);
            qpm__book_engine_free(&b->alloc, &eng);
        }
        return st;
    }
    b->pos = arr;
    for (size_t i = 0; i < n; i++)
        (void)check_position(b, i, c, &b->pos[b->n_pos + i]);
    b->n_pos += n;
    b->n_amm = namm;
    if (new_opts) {
        qpm__book_opts_free(&b->alloc, &b->opts);
        qpm__book_engine_free(&b->alloc, &b->eng);
        b->opts = opts;
        b->eng = eng;
    }
    b->prepared = 0;
    return QPM_OK;
}

_Static_assert(sizeof(qpm_book_positions) == sizeof(size_t) + 13 * sizeof(void *),
               "qpm_book_positions: a size, then pointer-sized fields, no padding");

qpm_status qpm_book_add_position_columns(qpm_book *b, size_t n, const qpm_book_positions *p)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(p, "p");
    qpm_book_positions q;
    qpm_status st =
        qpm__read_struct(p, p->size, sizeof q, &q, "p", "qpm_book_positions", "position fields");
    return st != QPM_OK ? st : add(b, n, &q);
}

/* The stable entry point: the same columns, from separate arguments. */
qpm_status qpm_book_add_positions(qpm_book *b, size_t n, const int32_t *instrument,
                                  const size_t *underlying, const int32_t *expiry,
                                  const int32_t *option_type, const double *strike,
                                  const double *quantity, const double *multiplier,
                                  const double *entry_price, const double *sigma)
{
    QPM__CHECK_NULL(b, "b");
    const qpm_book_positions p = {sizeof p, instrument, underlying, expiry,      option_type,
                                  strike,   quantity,   multiplier, entry_price, sigma,
                                  NULL,     NULL,       NULL,       NULL};
    return add(b, n, &p);
}

qpm_status qpm_book_clear_positions(qpm_book *b)
{
    QPM__CHECK_NULL(b, "b");
    b->n_pos = 0;
    /* keep the option storage: only its count goes */
    b->opts.n = 0;
    b->n_amm = 0;
    b->prepared = 0;
    return QPM_OK;
}
