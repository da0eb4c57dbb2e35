/* book: handle life cycle, settings and bounds, bad input for every
 * function (status, message naming the argument, handle still usable,
 * outputs untouched), and allocation failure at every allocation of create
 * and of each call that allocates. */
#include "test_book_util.h"

#include <stdio.h>

#define ERR_HAS(s) cr_assert(strstr(qpm_last_error(), (s)) != NULL, "message: %s", qpm_last_error())

Test(book_api, create_and_free)
{
    qpm_book *b = (qpm_book *)1;
    cr_assert_eq(qpm_book_create(NULL, NULL), QPM_E_NULL);
    qpm_alloc bad = {0};
    cr_assert_eq(qpm_book_create(&b, &bad), QPM_E_INVALID);
    cr_assert_null(b);
    qpm_book_free(NULL);
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    size_t n = 7;
    cr_assert_eq(qpm_book_n_underlyings(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    cr_assert_eq(qpm_book_n_expiries(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    cr_assert_eq(qpm_book_n_underlyings(NULL, &n), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_underlyings(b, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_positions(NULL, &n), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_positions(b, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_expiries(NULL, &n), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_expiries(b, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_clear_positions(NULL), QPM_E_NULL);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_api, settings_and_bounds)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    double v, lo, hi;
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 1.0);
    cr_assert_eq(qpm_book_bounds(QPM_BOOK_THREADS, &lo, &hi), QPM_OK);
    cr_assert_eq(lo, 1.0);
    cr_assert_eq(hi, (double)qpm_max_threads());
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 3), QPM_OK);
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 3.0);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 0), QPM_E_RANGE);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 2.5), QPM_E_RANGE);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, NAN), QPM_E_RANGE);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, hi + 1), QPM_E_RANGE);
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 3.0); /* unchanged */
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 1), QPM_OK);
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_CHUNK, &v), QPM_OK);
    cr_assert_eq(qpm_book_bounds(QPM_BOOK_CHUNK, &lo, &hi), QPM_OK);
    cr_assert(lo == v && hi == v && v >= 1.0);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_CHUNK, v), QPM_E_KEY);
    ERR_HAS("read-only");
    cr_assert_eq(qpm_book_set(b, (qpm_book_key)99, 1), QPM_E_KEY);
    cr_assert_eq(qpm_book_get(b, (qpm_book_key)99, &v), QPM_E_KEY);
    cr_assert_eq(qpm_book_bounds((qpm_book_key)99, &lo, &hi), QPM_E_KEY);
    cr_assert_eq(qpm_book_set(NULL, QPM_BOOK_THREADS, 1), QPM_E_NULL);
    cr_assert_eq(qpm_book_get(NULL, QPM_BOOK_THREADS, &v), QPM_E_NULL);
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_THREADS, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_bounds(QPM_BOOK_THREADS, NULL, &hi), QPM_E_NULL);
    cr_assert_eq(qpm_book_bounds(QPM_BOOK_THREADS, &lo, NULL), QPM_E_NULL);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_api, market_bad_input)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    size_t u = 9;
    cr_assert_eq(qpm_book_add_underlying(NULL, "BTC", 1, 0, &u), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_underlying(b, NULL, 1, 0, &u), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_underlying(b, "", 1, 0, &u), QPM_E_INVALID);
    char longname[80];
    memset(longname, 'X', sizeof longname - 1);
    longname[79] = 0;
    cr_assert_eq(qpm_book_add_underlying(b, longname, 1, 0, &u), QPM_E_INVALID);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", -5, 0, &u), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "spot = -5: must be > 0");
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 0, 0, &u), QPM_E_INVALID);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", INFINITY, 0, &u), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 1, NAN, &u), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 1, 6.0, &u), QPM_E_INVALID);
    ERR_HAS("rate = 6");
    cr_assert_eq(u, 9u); /* untouched */
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 1, 0, &u), QPM_E_INVALID);
    ERR_HAS("already underlying 0");
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, -0.01, &u), QPM_OK);
    cr_assert_eq(u, 1u);
    /* find / name */
    cr_assert_eq(qpm_book_find_underlying(b, "SOL", &u), QPM_E_INVALID);
    ERR_HAS("SOL");
    cr_assert_eq(qpm_book_find_underlying(NULL, "BTC", &u), QPM_E_NULL);
    cr_assert_eq(qpm_book_find_underlying(b, NULL, &u), QPM_E_NULL);
    cr_assert_eq(qpm_book_find_underlying(b, "BTC", NULL), QPM_E_NULL);
    const char *name = NULL;
    cr_assert_eq(qpm_book_underlying_name(b, 2, &name), QPM_E_INVALID);
    ERR_HAS("underlying = 2: must be < 2");
    cr_assert_eq(qpm_book_underlying_name(NULL, 0, &name), QPM_E_NULL);
    cr_assert_eq(qpm_book_underlying_name(b, 0, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_underlying_name(b, 1, &name), QPM_OK);
    cr_assert_str_eq(name, "ETH");
    /* setters */
    cr_assert_eq(qpm_book_set_spot(NULL, 0, 1), QPM_E_NULL);
    cr_assert_eq(qpm_book_set_spot(b, 2, 1), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_spot(b, 0, -1), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_spot(b, 0, NAN), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_set_rate(NULL, 0, 0), QPM_E_NULL);
    cr_assert_eq(qpm_book_set_rate(b, 5, 0), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_rate(b, 0, -5.5), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_rate(b, 0, INFINITY), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_set_perp(NULL, 0, 1), QPM_E_NULL);
    cr_assert_eq(qpm_book_set_perp(b, 2, 1), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_perp(b, 0, 0), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "mark = 0: must be > 0");
    cr_assert_eq(qpm_book_set_perp(b, 0, -INFINITY), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_set_forward(NULL, 0, 0, 1, 1), QPM_E_NULL);
    cr_assert_eq(qpm_book_set_forward(b, 2, 0, 1, 1), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_forward(b, 0, -1, 1, 1), QPM_E_INVALID);
    ERR_HAS("expiry = -1");
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, -1, 1), QPM_E_INVALID);
    ERR_HAS("forward = -1");
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, NAN, 1), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 1, 0), QPM_E_INVALID);
    ERR_HAS("T = 0");
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 1, 101), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 1, NAN), QPM_E_NONFINITE);
    size_t n;
    cr_assert_eq(qpm_book_n_expiries(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    cr_assert_eq(qpm_book_set_forward(b, 0, 4, 61000, 0.25), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 4, 61100, 0.24), QPM_OK); /* update */
    cr_assert_eq(qpm_book_n_expiries(b, &n), QPM_OK);
    cr_assert_eq(n, 1u);
    size_t eu = 9;
    int32_t id = 0;
    double F = 0, T = 0;
    cr_assert_eq(qpm_book_expiry(b, 0, &eu, &id, &F, &T), QPM_OK);
    cr_assert(eu == 0 && id == 4 && F == 61100 && T == 0.24);
    cr_assert_eq(qpm_book_expiry(b, 1, &eu, &id, &F, &T), QPM_E_INVALID);
    cr_assert_eq(qpm_book_expiry(NULL, 0, &eu, &id, &F, &T), QPM_E_NULL);
    cr_assert_eq(qpm_book_expiry(b, 0, NULL, NULL, NULL, NULL), QPM_OK);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_api, positions_bad_input)
{
    qpm_book *b = tb_small_book(NULL);
    int32_t in[4] = {QPM_INSTR_SPOT, QPM_INSTR_INVERSE_FUTURE, QPM_INSTR_LINEAR_OPTION,
                     QPM_INSTR_INVERSE_PERP};
    size_t un[4] = {0, 0, 0, 0};
    int32_t ex[4] = {-7, 1, 1, -7};
    int32_t ty[4] = {0, 0, QPM_PUT, 0};
    double K[4] = {NAN, NAN, 55000, NAN}, Q[4] = {1, -100, 3, 50}, m[4] = {1, 10, 0.01, 10};
    double e[4] = {NAN, 59000, NAN, 61000}, s[4] = {NAN, NAN, 0.6, NAN};
#define ADD(n) qpm_book_add_positions(b, (n), in, un, ex, ty, K, Q, m, e, s)
    cr_assert_eq(qpm_book_add_positions(NULL, 4, in, un, ex, ty, K, Q, m, e, s), QPM_E_NULL);
    cr_assert_eq(ADD(0), QPM_E_SIZE);
    cr_assert_eq(qpm_book_add_positions(b, 4, NULL, un, ex, ty, K, Q, m, e, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, NULL, ex, ty, K, Q, m, e, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, K, NULL, m, e, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, K, Q, NULL, e, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, NULL, ty, K, Q, m, e, s), QPM_E_NULL);
    ERR_HAS("position 1: expiry is NULL");
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, NULL, K, Q, m, e, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, NULL, Q, m, e, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, K, Q, m, NULL, s), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, K, Q, m, e, NULL), QPM_E_NULL);
    /* arrays of fields no position needs may be NULL */
    cr_assert_eq(qpm_book_add_positions(b, 1, in, un, NULL, NULL, NULL, Q, m, NULL, NULL),
                 QPM_OK);
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    /* one bad field at a time: status and message, nothing added */
    struct {
        double *arr;
        size_t i;
        double bad;
        qpm_status st;
        const char *msg;
    } cases[] = {
        {K, 2, -5, QPM_E_INVALID, "position 2: strike = -5: must be > 0"},
        {K, 2, NAN, QPM_E_NONFINITE, "position 2: strike = nan: must be finite"},
        {Q, 0, INFINITY, QPM_E_NONFINITE, "position 0: quantity = inf: must be finite"},
        {m, 3, 0, QPM_E_INVALID, "position 3: multiplier = 0: must be > 0"},
        {e, 1, -1, QPM_E_INVALID, "position 1: entry_price = -1: must be > 0"},
        {e, 3, NAN, QPM_E_NONFINITE, "position 3: entry_price = nan: must be finite"},
        {s, 2, 0, QPM_E_INVALID,
         "position 2: sigma = 0: must be > 0 (0 prices off the underlying's surface, and "
         "underlying 0 ('BTC') has none)"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double keep = cases[c].arr[cases[c].i];
        cases[c].arr[cases[c].i] = cases[c].bad;
        cr_assert_eq(ADD(4), cases[c].st, "case %zu", c);
        cr_assert_str_eq(qpm_last_error(), cases[c].msg);
        cases[c].arr[cases[c].i] = keep;
    }
    in[1] = 9;
    cr_assert_eq(ADD(4), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "position 1: instrument = 9: not a qpm_instrument"
                     "; the codes are 0 (spot), 1 (linear future), 2 (inverse future), 3 (linear perp), 4 (inverse perp), 5 (linear option), 6 (inverse option), 7 (AMM v2 share), 8 (AMM v3 range)");
    in[1] = QPM_INSTR_INVERSE_FUTURE;
    un[3] = 1;
    cr_assert_eq(ADD(4), QPM_E_INVALID);
    ERR_HAS("position 3: underlying = 1: must be < 1");
    un[3] = 0;
    ex[2] = 2;
    cr_assert_eq(ADD(4), QPM_E_INVALID);
    ERR_HAS("position 2: expiry = 2: unknown on underlying 0 (BTC)");
    ex[2] = 1;
    ty[2] = 0;
    cr_assert_eq(ADD(4), QPM_E_INVALID);
    ERR_HAS("position 2: option_type = 0");
    ty[2] = QPM_PUT;
    /* a perp needs the mark: a second underlying without one */
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.04, NULL), QPM_OK);
    un[3] = 1;
    cr_assert_eq(ADD(4), QPM_E_STATE);
    ERR_HAS("position 3: underlying 1 (ETH) has no perpetual mark");
    un[3] = 0;
    size_t n = 5;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    /* the handle is still usable */
    cr_assert_eq(ADD(4), QPM_OK);
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 4u);
#undef ADD
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_api, outputs_bad_input)
{
    qpm_book *b = tb_small_book(NULL);
    double v[4] = {7, 7, 7, 7};
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = v;
    cr_assert_eq(qpm_book_position_greeks(NULL, &o), QPM_E_NULL);
    cr_assert_eq(qpm_book_position_greeks(b, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_underlying_greeks(NULL, &o), QPM_E_NULL);
    cr_assert_eq(qpm_book_expiry_greeks(b, NULL), QPM_E_NULL);
    o.size = 3;
    cr_assert_eq(qpm_book_underlying_greeks(b, &o), QPM_E_INVALID);
    ERR_HAS("out->size = 3");
    o.size = sizeof o + 8;
    cr_assert_eq(qpm_book_expiry_greeks(b, &o), QPM_E_INVALID);
    cr_assert_eq(v[0], 7.0);
    /* a shorter struct (older binary): fields past size count as NULL */
    o.size = sizeof(size_t) + sizeof(double *);
    cr_assert_eq(qpm_book_underlying_greeks(b, &o), QPM_OK);
    cr_assert_eq(v[0], 0.0); /* no positions: zero totals */
    cr_assert_eq(v[1], 7.0);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_api, pnl_and_grid_bad_input)
{
    qpm_book *e;
    cr_assert_eq(qpm_book_create(&e, NULL), QPM_OK);
    double x[4] = {0.1, -0.1, 0.2, 0.0}, v[4] = {0, 0, 0, 0}, p[4] = {7, 7, 7, 7};
    cr_assert_eq(qpm_book_pnl(e, 1, x, 1, NULL, 0, p), QPM_E_STATE); /* no underlyings */
    cr_assert_eq(qpm_book_scenario_grid(e, QPM_BOOK_ALL, 1, x, 1, NULL, p, NULL, NULL),
                 QPM_E_STATE);
    qpm_book_free(e);
    qpm_book *b = tb_small_book(NULL);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.04, NULL), QPM_OK);
    int32_t in[2] = {QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION};
    size_t un[2] = {0, 0};
    int32_t ex[2] = {1, 1}, ty[2] = {QPM_CALL, QPM_PUT};
    double K[2] = {60000, 58000}, Q[2] = {1, 2}, m[2] = {1, 1}, s[2] = {0.5, 0.7};
    cr_assert_eq(qpm_book_add_positions(b, 2, in, un, ex, ty, K, Q, m, NULL, s), QPM_OK);
    cr_assert_eq(qpm_book_pnl(NULL, 2, x, 2, v, 2, p), QPM_E_NULL);
    cr_assert_eq(qpm_book_pnl(b, 2, NULL, 2, v, 2, p), QPM_E_NULL);
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_pnl(b, 0, x, 2, v, 2, p), QPM_E_SIZE);
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, v, 2, p), QPM_E_SIZE);
    ERR_HAS("ld_spot = 1: must be >= 2");
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 1, p), QPM_E_SIZE);
    cr_assert_eq(qpm_book_pnl(b, SIZE_MAX, x, 2, v, 2, p), QPM_E_SIZE);
    x[3] = -1.0;
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "scenario 1, underlying 1 (ETH): spot move = -1: must be > -1");
    x[3] = NAN;
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p), QPM_E_NONFINITE);
    x[3] = 1e308; /* moved prices overflow */
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p), QPM_E_INVALID);
    ERR_HAS("floating-point range");
    x[3] = 0.0;
    v[0] = -1.5;
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p), QPM_E_INVALID);
    ERR_HAS("scenario 0, underlying 0 (BTC): vol shift = -1.5: must be > -1");
    v[0] = 0.0;
    for (int k = 0; k < 4; k++)
        cr_assert_eq(p[k], 7.0); /* untouched by every failure */
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p), QPM_OK);
    cr_assert_eq(p[2], 7.0);
    /* grid */
    double xs[2] = {-0.1, 0.1}, vs[2] = {-0.3, 0.3}, g[4] = {7, 7, 7, 7}, wl = 7;
    size_t wi = 7;
    cr_assert_eq(qpm_book_scenario_grid(NULL, 0, 2, xs, 2, vs, g, &wl, &wi), QPM_E_NULL);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, NULL, 2, vs, g, &wl, &wi), QPM_E_NULL);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, xs, 2, vs, NULL, &wl, &wi), QPM_E_NULL);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, xs, 2, NULL, g, &wl, &wi), QPM_E_NULL);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 0, xs, 2, vs, g, &wl, &wi), QPM_E_SIZE);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, xs, 0, vs, g, &wl, &wi), QPM_E_SIZE);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, SIZE_MAX, xs, 2, vs, g, &wl, &wi), QPM_E_SIZE);
    cr_assert_eq(qpm_book_scenario_grid(b, 2, 2, xs, 2, vs, g, &wl, &wi), QPM_E_INVALID);
    ERR_HAS("u = 2");
    xs[1] = -2;
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, xs, 2, vs, g, &wl, &wi), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "shift 1, underlying 0 (BTC): spot move = -2: must be > -1");
    xs[1] = 0.1;
    vs[0] = INFINITY;
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 2, xs, 2, vs, g, &wl, &wi),
                 QPM_E_NONFINITE);
    vs[0] = -0.3;
    cr_assert(g[0] == 7 && wl == 7 && wi == 7);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, xs, 2, vs, g, &wl, &wi), QPM_OK);
    cr_assert(wi < 4 && wl == -g[wi]);
    /* optional worst outputs */
    cr_assert_eq(qpm_book_scenario_grid(b, 1, 2, xs, 1, NULL, g, NULL, NULL), QPM_OK);
    cr_assert(g[0] == 0.0 && g[1] == 0.0); /* ETH holds nothing */
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_api, oom_create)
{
    long k;
    for (k = 0;; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, k);
        qpm_book *b = (qpm_book *)1;
        qpm_status st = qpm_book_create(&b, &fa.alloc);
        if (st == QPM_OK) {
            qpm_book_free(b);
            cr_assert_eq(fa.live, 0);
            break;
        }
        cr_assert_eq(st, QPM_E_NOMEM, "k=%ld: %s", k, qpm_status_name(st));
        cr_assert_null(b);
        cr_assert_eq(fa.live, 0, "k=%ld leaks %ld blocks", k, fa.live);
    }
    cr_assert(k >= 2, "create makes %ld allocations", k);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Every call that allocates, failing at each of its allocations in turn:
 * QPM_E_NOMEM, nothing changed, no leak, and the same call succeeds after. */
Test(book_api, oom_every_allocating_call)
{
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, &fa.alloc), QPM_OK);
    tb_positions p;
    int failures = 0;
    for (int step = 0; step < 6; step++) {
        long k;
        for (k = 0;; k++) {
            long live = fa.live;
            fa.fail_at = fa.calls + k;
            qpm_status st;
            size_t n0 = 0, n1 = 0;
            switch (step) {
            case 0:
                cr_assert_eq(qpm_book_n_underlyings(b, &n0), QPM_OK);
                st = qpm_book_add_underlying(b, "BTC", 60682.5, 0.045, NULL);
                cr_assert_eq(qpm_book_n_underlyings(b, &n1), QPM_OK);
                break;
            case 1:
                st = qpm_book_add_underlying(b, "ETH", 3344.99, 0.045, NULL);
                if (st == QPM_OK) {
                    cr_assert_eq(qpm_book_set_perp(b, 0, 60636.75), QPM_OK);
                    cr_assert_eq(qpm_book_set_perp(b, 1, 3345.64), QPM_OK);
                }
                break;
            case 2: {
                /* the reference expiries, re-set until all are in */
                fa.fail_at = -1;
                qpm_book *tmp;
                cr_assert_eq(qpm_book_create(&tmp, NULL), QPM_OK);
                tb_load_market(tmp);
                size_t ne;
                cr_assert_eq(qpm_book_n_expiries(tmp, &ne), QPM_OK);
                fa.fail_at = fa.calls + k;
                st = QPM_OK;
                for (size_t r = 0; r < ne && st == QPM_OK; r++) {
                    size_t u;
                    int32_t id;
                    double F, T;
                    cr_assert_eq(qpm_book_expiry(tmp, r, &u, &id, &F, &T), QPM_OK);
                    st = qpm_book_set_forward(b, u, id, F, T);
                }
                qpm_book_free(tmp);
                break;
            }
            case 3:
                fa.fail_at = -1;
                tb_read_positions(b, &p, NULL);
                fa.fail_at = fa.calls + k;
                cr_assert_eq(qpm_book_n_positions(b, &n0), QPM_OK);
                st = qpm_book_add_positions(b, 20, p.instr, p.under, p.expiry, p.type, p.K, p.Q,
                                            p.m, p.e, p.sig);
                cr_assert_eq(qpm_book_n_positions(b, &n1), QPM_OK);
                break;
            case 4:
                st = qpm_book_add_positions(b, p.n - 20, p.instr + 20, p.under + 20,
                                            p.expiry + 20, p.type + 20, p.K + 20, p.Q + 20,
                                            p.m + 20, p.e + 20, p.sig + 20);
                break;
            default: {
                double t;
                st = qpm_book_set(b, QPM_BOOK_THREADS, 3);
                cr_assert_eq(qpm_book_get(b, QPM_BOOK_THREADS, &t), QPM_OK);
                cr_assert_eq(t, st == QPM_OK ? 3.0 : 1.0);
                break;
            }
            }
            if (st == QPM_OK)
                break;
            failures++;
            cr_assert_eq(st, QPM_E_NOMEM, "step %d k=%ld: %s", step, k, qpm_status_name(st));
            cr_assert_eq(n0, n1, "step %d k=%ld: changed on failure", step, k);
            if (step != 2)
                cr_assert_eq(fa.live, live, "step %d k=%ld: leak", step, k);
            fa.fail_at = -1;
        }
    }
    fa.fail_at = -1;
    cr_assert(failures >= 6);
    /* the book built under failures gives the reference results */
    qpm_book *ref = tb_reference_book();
    double x[4] = {0.05, -0.1, -0.03, 0.02}, v[4] = {0.2, -0.1, 0.0, 0.3}, p1[2], p2[2];
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p1), QPM_OK);
    cr_assert_eq(qpm_book_pnl(ref, 2, x, 2, v, 2, p2), QPM_OK);
    cr_assert_eq(memcmp(p1, p2, sizeof p1), 0);
    /* evaluation allocates nothing */
    fa.fail_at = fa.calls;
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p1), QPM_OK);
    double tot[2];
    qpm_book_out o = {sizeof o, tot, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(qpm_book_underlying_greeks(b, &o), QPM_OK);
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    fa.fail_at = -1;
    qpm_book_free(ref);
    qpm_book_free(b);
    cr_assert_eq(fa.live, 0);
    cr_assert_eq(qt_leak_check(), 0);
}
