/* The experimental positions struct (qpm_book_positions) and
 * qpm_book_add_position_columns: the same book, bit for bit, as the parallel
 * arrays of qpm_book_add_positions; the size rules of a struct that grows;
 * every error with the status and message of the array entry point. */
#ifndef QPM_EXPERIMENTAL
#define QPM_EXPERIMENTAL
#endif
#include "test_book_util.h"

#include <stddef.h>
#include <stdio.h>

static qpm_book_positions columns(const tb_positions *p)
{
    const qpm_book_positions c = {sizeof c, p->instr, p->under, p->expiry, p->type, p->K, p->Q,
                                  p->m,     p->e,     p->sig,   NULL,      NULL,    NULL, NULL};
    return c;
}

/* Every output of a book, into buf (values, Greeks per position, per
 * underlying, per expiry; P&L of some scenarios; a grid). */
static size_t book_outputs(qpm_book *b, double *buf)
{
    size_t n = 0, np, nu, ne;
    cr_assert_eq(qpm_book_n_positions(b, &np), QPM_OK);
    cr_assert_eq(qpm_book_n_underlyings(b, &nu), QPM_OK);
    cr_assert_eq(qpm_book_n_expiries(b, &ne), QPM_OK);
    qpm_status (*fn[3])(qpm_book *, const qpm_book_out *) = {
        qpm_book_position_greeks, qpm_book_underlying_greeks, qpm_book_expiry_greeks};
    size_t rows[3] = {np, nu, ne};
    for (int f = 0; f < 3; f++) {
        qpm_book_out o;
        memset(&o, 0, sizeof o);
        o.size = sizeof o;
        double *v[8];
        for (int k = 0; k < 8; k++)
            v[k] = buf + n + (size_t)k * rows[f];
        o.value_usd = v[0], o.value_coin = v[1], o.delta_coin = v[2], o.delta_usd = v[3];
        o.gamma = v[4], o.vega = v[5], o.theta = v[6], o.delta_exchange = v[7];
        cr_assert_eq(fn[f](b, &o), QPM_OK, "%s", qpm_last_error());
        n += 8 * rows[f];
    }
    double x[2 * 40], vs[2 * 40];
    for (int i = 0; i < 2 * 40; i++) {
        x[i] = 0.25 * sin(0.7 * i);
        vs[i] = 0.4 * cos(0.3 * i);
    }
    cr_assert_eq(qpm_book_pnl(b, 40, x, 2, vs, 2, buf + n), QPM_OK);
    n += 40;
    const double xs[3] = {-0.2, 0.0, 0.1}, vv[2] = {-0.3, 0.3};
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 3, xs, 2, vv, buf + n, NULL, NULL),
                 QPM_OK);
    return n + 6;
}

Test(book_positions, same_book_as_the_parallel_arrays)
{
    static double a[4096], c[4096];
    qpm_book *b1, *b2;
    cr_assert_eq(qpm_book_create(&b1, NULL), QPM_OK);
    cr_assert_eq(qpm_book_create(&b2, NULL), QPM_OK);
    tb_load_market(b1);
    tb_load_market(b2);
    tb_positions p;
    tb_read_positions(b1, &p, NULL);
    tb_add(b1, &p);
    qpm_book_positions cols = columns(&p);
    cr_assert_eq(qpm_book_add_position_columns(b2, p.n, &cols), QPM_OK, "%s", qpm_last_error());
    size_t na = book_outputs(b1, a), nc = book_outputs(b2, c);
    cr_assert_eq(na, nc);
    cr_assert(memcmp(a, c, na * sizeof *a) == 0, "the two entry points give different books");
    /* appended in two calls: the same again */
    cr_assert_eq(qpm_book_clear_positions(b2), QPM_OK);
    size_t half = p.n / 2;
    cols.size = sizeof cols;
    cr_assert_eq(qpm_book_add_position_columns(b2, half, &cols), QPM_OK);
    tb_positions rest = p;
    memmove(rest.instr, p.instr + half, (p.n - half) * sizeof *p.instr);
    memmove(rest.under, p.under + half, (p.n - half) * sizeof *p.under);
    memmove(rest.expiry, p.expiry + half, (p.n - half) * sizeof *p.expiry);
    memmove(rest.type, p.type + half, (p.n - half) * sizeof *p.type);
    memmove(rest.K, p.K + half, (p.n - half) * sizeof *p.K);
    memmove(rest.Q, p.Q + half, (p.n - half) * sizeof *p.Q);
    memmove(rest.m, p.m + half, (p.n - half) * sizeof *p.m);
    memmove(rest.e, p.e + half, (p.n - half) * sizeof *p.e);
    memmove(rest.sig, p.sig + half, (p.n - half) * sizeof *p.sig);
    qpm_book_positions rc = columns(&rest);
    cr_assert_eq(qpm_book_add_position_columns(b2, p.n - half, &rc), QPM_OK);
    nc = book_outputs(b2, c);
    cr_assert(memcmp(a, c, na * sizeof *a) == 0, "appending in two calls differs");
    qpm_book_free(b1);
    qpm_book_free(b2);
    cr_assert_eq(qt_leak_check(), 0);
}

static size_t n_positions(const qpm_book *b)
{
    size_t n = 99;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    return n;
}

Test(book_positions, size_rules)
{
    qpm_book *b = tb_small_book(NULL);
    int32_t in[2] = {QPM_INSTR_SPOT, QPM_INSTR_LINEAR_PERP};
    size_t un[2] = {0, 0};
    double Q[2] = {1.5, -2}, m[2] = {1, 1}, e[2] = {NAN, 59000};
    /* a struct large enough for two more fields than this library knows */
    struct {
        qpm_book_positions p;
        const double *future1, *future2;
    } big;
    memset(&big, 0, sizeof big);
    qpm_book_positions *p = &big.p;
    p->instrument = in, p->underlying = un, p->quantity = Q, p->multiplier = m;
    p->entry_price = e;
    size_t first = offsetof(qpm_book_positions, instrument);

    /* this version's size */
    p->size = sizeof *p;
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(n_positions(b), 2);

    /* an older caller whose struct ends before sigma: the missing field is
     * NULL, which these instruments do not need */
    p->size = offsetof(qpm_book_positions, sigma);
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(n_positions(b), 4);

    /* ... ending before entry_price: the perp needs it */
    p->size = offsetof(qpm_book_positions, entry_price);
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "position 1: entry_price is NULL");
    /* ... but a spot position alone is fine */
    cr_assert_eq(qpm_book_add_position_columns(b, 1, p), QPM_OK);
    cr_assert_eq(n_positions(b), 5);

    /* ... ending after instrument: the underlying is missing */
    p->size = first + sizeof(void *);
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "underlying is NULL");

    /* not a whole number of fields, or not even one */
    const size_t bad[] = {0, first, first + 1, first + sizeof(void *) + 3, sizeof *p - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p->size = bad[i];
        cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_E_INVALID, "size %zu", bad[i]);
        char want[128];
        snprintf(want, sizeof want, "p->size = %zu: must be sizeof(qpm_book_positions) = %zu",
                 bad[i], sizeof *p);
        cr_assert_str_eq(qpm_last_error(), want);
    }

    /* a newer caller: unknown fields NULL are accepted ... */
    p->size = sizeof big;
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(n_positions(b), 7);
    /* ... a field this version cannot serve is refused, nothing added */
    big.future2 = Q;
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_E_UNSUPPORTED);
    char want[160];
    snprintf(want, sizeof want,
             "p->size = %zu: position fields past byte %zu are not provided by this library "
             "version",
             sizeof big, sizeof *p);
    cr_assert_str_eq(qpm_last_error(), want);
    cr_assert_eq(n_positions(b), 7);
    /* the handle is still usable */
    big.future2 = NULL;
    cr_assert_eq(qpm_book_add_position_columns(b, 2, p), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(n_positions(b), 9);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Each bad input: its status and message (those of the array entry
 * point too), nothing added, and the handle still usable. */
Test(book_positions, every_error_with_its_message)
{
    static const struct {
        qpm_status st;
        const char *msg;
    } want[] = {
        {QPM_E_INVALID, "position 2: instrument = 9: not a qpm_instrument"
                        "; the codes are 0 (spot), 1 (linear future), 2 (inverse future), 3 "
                        "(linear perp), 4 (inverse perp), 5 (linear option), 6 (inverse option), 7 "
                        "(AMM v2 share), 8 (AMM v3 range)"},
        {QPM_E_INVALID, "position 0: instrument = -1: not a qpm_instrument"
                        "; the codes are 0 (spot), 1 (linear future), 2 (inverse future), 3 "
                        "(linear perp), 4 (inverse perp), 5 (linear option), 6 (inverse option), 7 "
                        "(AMM v2 share), 8 (AMM v3 range)"},
        {QPM_E_INVALID, "position 3: underlying = 5: must be < 2 (the number of underlyings)"},
        {QPM_E_INVALID, "position 1: expiry = 7: unknown on underlying 0 (BTC): set its forward "
                        "first"},
        {QPM_E_STATE, "position 2: underlying 1 (ETH) has no perpetual mark: set it first"},
        {QPM_E_NONFINITE, "position 4: quantity = inf: must be finite"},
        {QPM_E_INVALID, "position 0: multiplier = 0: must be > 0"},
        {QPM_E_INVALID, "position 1: entry_price = -3: must be > 0"},
        {QPM_E_INVALID, "position 3: option_type = 0: must be 1 or -1"},
        {QPM_E_NONFINITE, "position 4: strike = nan: must be finite"},
        {QPM_E_INVALID, "position 3: sigma = -0.10000000000000001: must be > 0"},
        {QPM_E_SIZE, "n = 0: must be >= 1"},
        {QPM_E_NULL, "instrument is NULL"},
        {QPM_E_NULL, "underlying is NULL"},
        {QPM_E_NULL, "quantity is NULL"},
        {QPM_E_NULL, "position 3: sigma is NULL"},
        {QPM_E_NULL, "position 0: multiplier is NULL"},
        {QPM_E_NULL, "position 1: expiry is NULL"},
        {QPM_E_NULL, "position 1: entry_price is NULL"},
        {QPM_E_NULL, "position 3: option_type is NULL"},
        {QPM_E_NULL, "position 3: strike is NULL"},
        {QPM_E_OVERFLOW, "position 2: quantity x multiplier = 1e+300 x 1e+10: beyond the range "
                         "of double"},
    };
    qpm_book *b = tb_small_book(NULL);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.04, NULL), QPM_OK);
    enum { N = 5 };
    for (int c = 0; c < (int)(sizeof want / sizeof want[0]); c++) {
        int32_t in[N] = {QPM_INSTR_SPOT, QPM_INSTR_LINEAR_FUTURE, QPM_INSTR_INVERSE_PERP,
                         QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION};
        size_t un[N] = {0, 0, 0, 0, 0};
        int32_t ex[N] = {-1, 1, -1, 1, 1}, ty[N] = {0, 0, 0, QPM_CALL, QPM_PUT};
        double K[N] = {NAN, NAN, NAN, 60000, 62000}, Q[N] = {1, -2, 100, 3, -4};
        double m[N] = {1, 1, 10, 0.01, 1}, e[N] = {NAN, 59000, 60500, NAN, NAN};
        double s[N] = {NAN, NAN, NAN, 0.5, 0.6};
        size_t n = N;
        qpm_book_positions p = {sizeof p, in, un, ex, ty, K, Q, m, e, s, NULL, NULL, NULL, NULL};
        switch (c) {
        case 0:
            in[2] = 9;
            break;
        case 1:
            in[0] = -1;
            break;
        case 2:
            un[3] = 5;
            break;
        case 3:
            ex[1] = 7;
            break;
        case 4:
            un[2] = 1;
            break; /* ETH has no perp mark */
        case 5:
            Q[4] = INFINITY;
            break;
        case 6:
            m[0] = 0;
            break;
        case 7:
            e[1] = -3;
            break;
        case 8:
            ty[3] = 0;
            break;
        case 9:
            K[4] = NAN;
            break;
        case 10:
            s[3] = -0.1;
            break;
        case 11:
            n = 0;
            break;
        case 12:
            p.instrument = NULL;
            break;
        case 13:
            p.underlying = NULL;
            break;
        case 14:
            p.quantity = NULL;
            break;
        case 15:
            p.sigma = NULL;
            break;
        case 16:
            p.multiplier = NULL;
            break;
        case 17:
            p.expiry = NULL;
            break;
        case 18:
            p.entry_price = NULL;
            break;
        case 19:
            p.option_type = NULL;
            break;
        case 20:
            p.strike = NULL;
            break;
        case 21:
            Q[2] = 1e300, m[2] = 1e10;
            break;
        default:
            break;
        }
        cr_assert_eq(qpm_book_add_position_columns(b, n, &p), want[c].st, "case %d", c);
        cr_assert_str_eq(qpm_last_error(), want[c].msg, "case %d", c);
        cr_assert_eq(n_positions(b), 0, "case %d", c);
        /* the array entry point: the same status and message */
        cr_assert_eq(qpm_book_add_positions(b, n, p.instrument, p.underlying, p.expiry,
                                            p.option_type, p.strike, p.quantity, p.multiplier,
                                            p.entry_price, p.sigma),
                     want[c].st, "case %d", c);
        cr_assert_str_eq(qpm_last_error(), want[c].msg, "case %d", c);
        cr_assert_eq(n_positions(b), 0, "case %d", c);
        /* the handle is still usable: the first position alone is good */
        if (c != 1 && c != 6 && c < 11) {
            cr_assert_eq(qpm_book_add_position_columns(b, 1, &p), QPM_OK, "case %d: %s", c,
                         qpm_last_error());
            cr_assert_eq(n_positions(b), 1, "case %d", c);
            cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
        }
    }
    qpm_book_positions p;
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    cr_assert_eq(qpm_book_add_position_columns(NULL, 1, &p), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "b is NULL");
    cr_assert_eq(qpm_book_add_position_columns(b, 1, NULL), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "p is NULL");
    /* the handle is still usable */
    int32_t in = QPM_INSTR_SPOT;
    size_t un = 0;
    double Q = 2, m = 1;
    p.instrument = &in, p.underlying = &un, p.quantity = &Q, p.multiplier = &m;
    cr_assert_eq(qpm_book_add_position_columns(b, 1, &p), QPM_OK);
    cr_assert_eq(n_positions(b), 1);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}
