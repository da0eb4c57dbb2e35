/* qpm_dump, family "book": the reference market and positions
 * (book_*_public.csv); market queries; values and Greeks per position, per
 * underlying and per expiry; the P&L of the reference scenarios and of
 * random ones, and the scenario grids with their worst loss, on 1 and 2
 * threads; market updates; settings; and the errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static int32_t instrument_code(const char *s)
{
    static const char *names[] = {"spot",         "linear_future", "inverse_future", "linear_perp",
                                  "inverse_perp", "linear_option", "inverse_option"};
    for (int32_t k = 0; k < 7; k++)
        if (strcmp(s, names[k]) == 0)
            return k;
    dump_die("unknown instrument %s in the reference positions", s);
}

/* "BTC-E2" -> 2 */
static int32_t expiry_id(const char *s)
{
    const char *p = strstr(s, "-E");
    if (p == NULL)
        dump_die("bad expiry id %s in the reference book", s);
    return (int32_t)strtol(p + 2, NULL, 10);
}

static qpm_book *fail(const char *name, qpm_status st, qpm_book *b)
{
    char nm[DUMP_NAME];
    dump_status(dump_name(nm, "%s.reference_book", name), st);
    qpm_book_free(b);
    return NULL;
}

qpm_book *dump_reference_book(const char *name)
{
    qpm_book *b = NULL;
    qpm_status st = qpm_book_create(&b, NULL);
    if (st != QPM_OK)
        return fail(name, st, NULL);
    dump_csv *c = dump_csv_load("book_market_public.csv");
    size_t cu = dump_csv_col(c, "underlying"), ck = dump_csv_col(c, "kind"),
           ce = dump_csv_col(c, "expiry_id"), cT = dump_csv_col(c, "T"),
           cv = dump_csv_col(c, "value");
    double rate = 0.0;
    for (size_t i = 0; i < c->nrows; i++)
        if (strcmp(dump_csv_str(c, i, ck), "rate") == 0)
            rate = dump_csv_num(c, i, cv);
    for (size_t i = 0; i < c->nrows && st == QPM_OK; i++) {
        const char *u = dump_csv_str(c, i, cu), *k = dump_csv_str(c, i, ck);
        double v = dump_csv_num(c, i, cv);
        size_t idx = 0;
        if (strcmp(k, "spot") == 0) {
            st = qpm_book_add_underlying(b, u, v, rate, &idx);
        } else if (strcmp(k, "perp") == 0) {
            if ((st = qpm_book_find_underlying(b, u, &idx)) == QPM_OK)
                st = qpm_book_set_perp(b, idx, v);
        } else if (strcmp(k, "forward") == 0) {
            if ((st = qpm_book_find_underlying(b, u, &idx)) == QPM_OK)
                st = qpm_book_set_forward(b, idx, expiry_id(dump_csv_str(c, i, ce)), v,
                                          dump_csv_num(c, i, cT));
        }
    }
    dump_csv_free(c);
    if (st != QPM_OK)
        return fail(name, st, b);

    c = dump_csv_load("book_positions_public.csv");
    size_t n = c->nrows;
    int32_t *instr = dump_alloc(n * sizeof *instr), *exp_id = dump_alloc(n * sizeof *exp_id),
            *type = dump_alloc(n * sizeof *type);
    size_t *und = dump_alloc(n * sizeof *und);
    double *K = dump_alloc(n * sizeof *K), *Q = dump_alloc(n * sizeof *Q),
           *m = dump_alloc(n * sizeof *m), *e = dump_alloc(n * sizeof *e),
           *sig = dump_alloc(n * sizeof *sig);
    cu = dump_csv_col(c, "underlying");
    size_t ci = dump_csv_col(c, "instrument"), cx = dump_csv_col(c, "expiry_id"),
           ct = dump_csv_col(c, "option_type"), cK = dump_csv_col(c, "strike"),
           cQ = dump_csv_col(c, "quantity"), cm = dump_csv_col(c, "multiplier"),
           cE = dump_csv_col(c, "entry_price"), cs = dump_csv_col(c, "sigma");
    for (size_t i = 0; i < n && st == QPM_OK; i++) {
        st = qpm_book_find_underlying(b, dump_csv_str(c, i, cu), &und[i]);
        instr[i] = instrument_code(dump_csv_str(c, i, ci));
        const char *ex = dump_csv_str(c, i, cx), *ty = dump_csv_str(c, i, ct);
        exp_id[i] = ex[0] ? expiry_id(ex) : -1;
        type[i] = strcmp(ty, "call") == 0 ? QPM_CALL : strcmp(ty, "put") == 0 ? QPM_PUT : 0;
        K[i] = dump_csv_num(c, i, cK);
        Q[i] = dump_csv_num(c, i, cQ);
        m[i] = dump_csv_num(c, i, cm);
        e[i] = dump_csv_num(c, i, cE);
        sig[i] = dump_csv_num(c, i, cs);
    }
    if (st == QPM_OK)
        st = qpm_book_add_positions(b, n, instr, und, exp_id, type, K, Q, m, e, sig);
    dump_csv_free(c);
    free(instr);
    free(exp_id);
    free(type);
    free(und);
    free(K);
    free(Q);
    free(m);
    free(e);
    free(sig);
    return st == QPM_OK ? b : fail(name, st, b);
}

#define NG 8
static const char *gnames[NG] = {"value_usd", "value_coin", "delta_coin", "delta_usd",
                                 "gamma",     "vega",       "theta",      "delta_exchange"};

typedef qpm_status (*greeks_fn)(qpm_book *, const qpm_book_out *);

static void greeks(qpm_book *b, const char *name, greeks_fn fn, size_t rows)
{
    char nm[DUMP_NAME];
    double *buf = dump_alloc((NG * rows + 1) * sizeof *buf);
    dump_fill(buf, NG * rows);
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    double **f[NG] = {&o.value_usd, &o.value_coin, &o.delta_coin, &o.delta_usd,
                      &o.gamma,     &o.vega,       &o.theta,      &o.delta_exchange};
    for (size_t k = 0; k < NG; k++)
        *f[k] = buf + k * rows;
    dump_status(name, fn(b, &o));
    for (size_t k = 0; k < NG; k++)
        dump_f64s(dump_name(nm, "%s.%s", name, gnames[k]), rows, buf + k * rows, 1);
    free(buf);
}

static void all_greeks(qpm_book *b, const char *name)
{
    char nm[DUMP_NAME];
    size_t np = 0, nu = 0, ne = 0;
    qpm_book_n_positions(b, &np);
    qpm_book_n_underlyings(b, &nu);
    qpm_book_n_expiries(b, &ne);
    greeks(b, dump_name(nm, "%s.position", name), qpm_book_position_greeks, np);
    greeks(b, dump_name(nm, "%s.underlying", name), qpm_book_underlying_greeks, nu);
    greeks(b, dump_name(nm, "%s.expiry", name), qpm_book_expiry_greeks, ne);
}

static void market(const qpm_book *b)
{
    char nm[DUMP_NAME];
    size_t n = 0;
    dump_status("book.market.n_underlyings", qpm_book_n_underlyings(b, &n));
    dump_u64k("book.market.n_underlyings", "value", n);
    for (size_t u = 0; u <= n; u++) {
        const char *s = "(unset)";
        dump_status(dump_name(nm, "book.market.underlying%zu", u),
                    qpm_book_underlying_name(b, u, &s));
        dump_text(nm, "name", s);
    }
    size_t idx = 99;
    dump_status("book.market.find_eth", qpm_book_find_underlying(b, "ETH", &idx));
    dump_u64k("book.market.find_eth", "index", idx);
    dump_status("book.market.find_xrp", qpm_book_find_underlying(b, "XRP", &idx));
    dump_status("book.market.n_expiries", qpm_book_n_expiries(b, &n));
    dump_u64k("book.market.n_expiries", "value", n);
    for (size_t k = 0; k <= n; k++) {
        size_t u = 99;
        int32_t id = -99;
        double F = dump_sentinel(), T = dump_sentinel();
        dump_status(dump_name(nm, "book.market.expiry%zu", k),
                    qpm_book_expiry(b, k, &u, &id, &F, &T));
        dump_u64k(nm, "underlying", u);
        dump_i64k(nm, "id", id);
        dump_f64k(nm, "forward", F);
        dump_f64k(nm, "T", T);
    }
    dump_status("book.market.n_positions", qpm_book_n_positions(b, &n));
    dump_u64k("book.market.n_positions", "value", n);
}

/* the 153 reference rows, one scenario each (moves n x 2, ld 3) */
static void reference_pnl(qpm_book *b)
{
    char nm[DUMP_NAME];
    dump_csv *c = dump_csv_load("book_scenarios_public.csv");
    size_t cu = dump_csv_col(c, "underlying"), cx = dump_csv_col(c, "spot_shift"),
           cv = dump_csv_col(c, "vol_shift");
    size_t n = c->nrows, ld = 3, ubtc = 0, ueth = 1;
    qpm_book_find_underlying(b, "BTC", &ubtc);
    qpm_book_find_underlying(b, "ETH", &ueth);
    double *x = dump_alloc(n * ld * sizeof *x), *v = dump_alloc(n * ld * sizeof *v),
           *pnl = dump_alloc(n * sizeof *pnl);
    for (size_t i = 0; i < n; i++) {
        const char *u = dump_csv_str(c, i, cu);
        int all = strcmp(u, "ALL") == 0;
        for (size_t k = 0; k < 2; k++) {
            size_t col = k == 0 ? ubtc : ueth;
            int on = all || strcmp(u, k == 0 ? "BTC" : "ETH") == 0;
            x[i * ld + col] = on ? dump_csv_num(c, i, cx) : 0.0;
            v[i * ld + col] = on ? dump_csv_num(c, i, cv) : 0.0;
        }
        x[i * ld + 2] = v[i * ld + 2] = (double)NAN; /* padding, never read */
    }
    for (int th = 1; th <= 2; th++) {
        qpm_book_set(b, QPM_BOOK_THREADS, th);
        dump_fill(pnl, n);
        dump_status(dump_name(nm, "book.pnl_ref_t%d", th), qpm_book_pnl(b, n, x, ld, v, ld, pnl));
        dump_f64s(nm, n, pnl, 1);
        dump_fill(pnl, n);
        dump_status(dump_name(nm, "book.pnl_ref_spot_only_t%d", th),
                    qpm_book_pnl(b, n, x, ld, NULL, 0, pnl));
        dump_f64s(nm, n, pnl, 1);
    }
    qpm_book_set(b, QPM_BOOK_THREADS, 1);
    dump_csv_free(c);
    free(x);
    free(v);
    free(pnl);
}

static void random_pnl(qpm_book *b)
{
    char nm[DUMP_NAME];
    enum { N = 1000, LD = 2 };
    double *x = dump_alloc(N * LD * sizeof *x), *v = dump_alloc(N * LD * sizeof *v),
           *pnl = dump_alloc(N * sizeof *pnl);
    dump_rand rg = {0x626f6f6b706e6cull};
    for (size_t i = 0; i < N * LD; i++) {
        x[i] = i % 97 == 0 ? 0.0 : dump_rand_range(&rg, -0.6, 1.5);
        v[i] = i % 89 == 0 ? 0.0 : dump_rand_range(&rg, -0.9, 2.0);
    }
    for (int th = 1; th <= 2; th++) {
        qpm_book_set(b, QPM_BOOK_THREADS, th);
        dump_fill(pnl, N);
        dump_status(dump_name(nm, "book.pnl_random_t%d", th),
                    qpm_book_pnl(b, N, x, LD, v, LD, pnl));
        dump_f64s(nm, N, pnl, 1);
    }
    qpm_book_set(b, QPM_BOOK_THREADS, 1);
    free(x);
    free(v);
    free(pnl);
}

static void grids(qpm_book *b)
{
    char nm[DUMP_NAME];
    double xs[17], vs[3] = {-0.3, 0.0, 0.3}, pnl[17 * 3];
    for (int k = -8; k <= 8; k++)
        xs[k + 8] = k / 50.0;
    static const size_t us[3] = {0, 1, QPM_BOOK_ALL};
    static const char *ut[3] = {"u0", "u1", "all"};
    for (int th = 1; th <= 2; th++) {
        qpm_book_set(b, QPM_BOOK_THREADS, th);
        for (int g = 0; g < 3; g++) {
            double wl = dump_sentinel();
            size_t wi = 999;
            dump_fill(pnl, 51);
            dump_status(dump_name(nm, "book.grid_%s_t%d", ut[g], th),
                        qpm_book_scenario_grid(b, us[g], 17, xs, 3, vs, pnl, &wl, &wi));
            dump_f64k(nm, "worst_loss", wl);
            dump_u64k(nm, "worst_index", wi);
            dump_f64s(dump_name(nm, "book.grid_%s_t%d.pnl", ut[g], th), 51, pnl, 1);
        }
        double wl = dump_sentinel();
        size_t wi = 999;
        dump_fill(pnl, 17);
        dump_status(dump_name(nm, "book.grid_spot_only_t%d", th),
                    qpm_book_scenario_grid(b, QPM_BOOK_ALL, 17, xs, 1, NULL, pnl, &wl, &wi));
        dump_f64k(nm, "worst_loss", wl);
        dump_u64k(nm, "worst_index", wi);
        dump_f64s(dump_name(nm, "book.grid_spot_only_t%d.pnl", th), 17, pnl, 1);
    }
    qpm_book_set(b, QPM_BOOK_THREADS, 1);
}

static void updates(qpm_book *b)
{
    dump_status("book.update.spot", qpm_book_set_spot(b, 0, 61000.25));
    dump_status("book.update.rate", qpm_book_set_rate(b, 1, 0.05));
    dump_status("book.update.perp", qpm_book_set_perp(b, 0, 60100.5));
    dump_status("book.update.forward", qpm_book_set_forward(b, 0, 2, 61800.0, 0.26));
    dump_status("book.update.new_expiry", qpm_book_set_forward(b, 1, 9, 3500.0, 1.5));
    all_greeks(b, "book.updated");
    dump_status("book.update.clear", qpm_book_clear_positions(b));
    size_t n = 99;
    qpm_book_n_positions(b, &n);
    dump_u64k("book.update.clear", "n_positions", n);
    all_greeks(b, "book.cleared");
    double x[2] = {0.1, -0.1}, pnl[1] = {dump_sentinel()};
    dump_status("book.cleared.pnl", qpm_book_pnl(b, 1, x, 2, NULL, 0, pnl));
    dump_f64s("book.cleared.pnl", 1, pnl, 1);
}

static void settings(void)
{
    char nm[DUMP_NAME];
    for (int key = -1; key <= 2; key++) {
        double lo = dump_sentinel(), hi = dump_sentinel();
        dump_status(dump_name(nm, "book.bounds.%d", key),
                    qpm_book_bounds((qpm_book_key)key, &lo, &hi));
        dump_f64k(nm, "lo", lo);
        dump_f64k(nm, "hi", hi);
    }
    qpm_book *b = NULL;
    if (qpm_book_create(&b, NULL) != QPM_OK)
        return;
    for (int key = -1; key <= 2; key++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "book.get.%d", key), qpm_book_get(b, (qpm_book_key)key, &v));
        dump_f64k(nm, "value", v);
    }
    static const struct {
        int key;
        double v;
    } sets[] = {{0, 0}, {0, 1.5}, {0, 1e6}, {0, (double)NAN}, {1, 64}, {7, 1}, {0, 2}, {0, 1}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "book.set.%zu", k),
                    qpm_book_set(b, (qpm_book_key)sets[k].key, sets[k].v));
        qpm_book_get(b, QPM_BOOK_THREADS, &v);
        dump_f64k(nm, "threads", v);
    }
    qpm_book_free(b);
}

static void errors(void)
{
    char nm[DUMP_NAME];
    qpm_book *b = NULL;
    if (qpm_book_create(&b, NULL) != QPM_OK)
        return;
    double x[4] = {0.1, 0.1, 0.1, 0.1}, pnl[2];
    dump_status("book.err.pnl_no_underlyings", qpm_book_pnl(b, 1, x, 1, NULL, 0, pnl));
    dump_status("book.err.add_ok", qpm_book_add_underlying(b, "BTC", 60000.0, 0.04, NULL));
    dump_status("book.err.add_duplicate", qpm_book_add_underlying(b, "BTC", 60000.0, 0.04, NULL));
    dump_status("book.err.add_empty", qpm_book_add_underlying(b, "", 1.0, 0.0, NULL));
    dump_status(
        "book.err.add_long",
        qpm_book_add_underlying(
            b, "0123456789012345678901234567890123456789012345678901234567890123", 1.0, 0.0, NULL));
    dump_status("book.err.add_spot0", qpm_book_add_underlying(b, "ETH", 0.0, 0.0, NULL));
    dump_status("book.err.add_spot_nan", qpm_book_add_underlying(b, "ETH", (double)NAN, 0.0, NULL));
    dump_status("book.err.add_rate", qpm_book_add_underlying(b, "ETH", 3000.0, 6.0, NULL));
    dump_status("book.err.add_null_name", qpm_book_add_underlying(b, NULL, 3000.0, 0.0, NULL));
    dump_status("book.err.forward_T0", qpm_book_set_forward(b, 0, 1, 61000.0, 0.0));
    dump_status("book.err.forward_T101", qpm_book_set_forward(b, 0, 1, 61000.0, 101.0));
    dump_status("book.err.forward_id", qpm_book_set_forward(b, 0, -1, 61000.0, 0.1));
    dump_status("book.err.forward_u", qpm_book_set_forward(b, 3, 1, 61000.0, 0.1));
    dump_status("book.err.forward_F", qpm_book_set_forward(b, 0, 1, -5.0, 0.1));
    dump_status("book.err.spot_u", qpm_book_set_spot(b, 1, 1.0));
    dump_status("book.err.rate_inf", qpm_book_set_rate(b, 0, (double)INFINITY));
    dump_status("book.err.perp0", qpm_book_set_perp(b, 0, 0.0));
    dump_status("book.err.forward_ok", qpm_book_set_forward(b, 0, 1, 61000.0, 0.1));
    dump_status("book.err.name_u", qpm_book_underlying_name(b, 5, NULL));
    dump_status("book.err.expiry_k", qpm_book_expiry(b, 4, NULL, NULL, NULL, NULL));

    enum { N = 6 };
    for (int c = 0; c < 12; c++) {
        int32_t instr[N] = {0, 1, 2, 5, 6, 6}, ex[N] = {-1, 1, 1, 1, 1, 1},
                ty[N] = {0, 0, 0, QPM_CALL, QPM_PUT, QPM_CALL};
        size_t und[N] = {0, 0, 0, 0, 0, 0};
        double K[N] = {0, 0, 0, 60000, 58000, 65000}, Q[N] = {1, -2, 100, 3, -4, 5},
               m[N] = {1, 1, 10, 0.01, 1, 1}, e[N] = {0, 59000, 60500, 0, 0, 0},
               s[N] = {0, 0, 0, 0.5, 0.6, 0.7};
        size_t n = N;
        const double *ep = e, *sp = s;
        switch (c) {
        case 0:
            K[3] = -5.0;
            break;
        case 1:
            instr[2] = 9;
            break;
        case 2: /* a perp without a mark */
            instr[1] = 3;
            break;
        case 3: /* no such expiry */
            ex[4] = 7;
            break;
        case 4:
            Q[5] = (double)NAN;
            break;
        case 5:
            m[0] = 0.0;
            break;
        case 6:
            n = 0;
            break;
        case 7:
            sp = NULL;
            break;
        case 8:
            ty[3] = 2;
            break;
        case 9:
            und[2] = 4;
            break;
        case 10:
            e[1] = (double)INFINITY;
            break;
        case 11:
            ep = NULL;
            break;
        default:
            break;
        }
        dump_status(dump_name(nm, "book.err.positions%d", c),
                    qpm_book_add_positions(b, n, instr, und, ex, ty, K, Q, m, ep, sp));
        size_t np = 99;
        qpm_book_n_positions(b, &np);
        dump_u64k(nm, "n_positions", np);
    }
    double v[2] = {0.1, 0.2};
    x[0] = -1.0;
    dump_status("book.err.pnl_move_minus1", qpm_book_pnl(b, 2, x, 1, v, 1, pnl));
    x[0] = 0.1;
    x[1] = (double)NAN;
    dump_status("book.err.pnl_move_nan", qpm_book_pnl(b, 2, x, 1, v, 1, pnl));
    x[1] = 0.1;
    v[1] = -2.0;
    dump_status("book.err.pnl_vol_shift", qpm_book_pnl(b, 2, x, 1, v, 1, pnl));
    dump_status("book.err.pnl_ld", qpm_book_pnl(b, 2, x, 0, NULL, 0, pnl));
    dump_status("book.err.pnl_n0", qpm_book_pnl(b, 0, x, 1, NULL, 0, pnl));
    dump_status("book.err.pnl_null", qpm_book_pnl(b, 1, NULL, 1, NULL, 0, pnl));
    x[0] = 1e308;
    dump_status("book.err.pnl_overflow", qpm_book_pnl(b, 1, x, 1, NULL, 0, pnl));
    double xs[2] = {0.1, -1.0}, g[4];
    dump_status("book.err.grid_u", qpm_book_scenario_grid(b, 5, 2, xs, 1, NULL, g, NULL, NULL));
    dump_status("book.err.grid_shift", qpm_book_scenario_grid(b, 0, 2, xs, 1, NULL, g, NULL, NULL));
    dump_status("book.err.grid_n0", qpm_book_scenario_grid(b, 0, 0, xs, 1, NULL, g, NULL, NULL));
    dump_status("book.err.greeks_size", qpm_book_position_greeks(b, &(qpm_book_out){.size = 3}));
    dump_status("book.err.greeks_null", qpm_book_underlying_greeks(b, NULL));
    qpm_book_free(b);
}

void dump_book(void)
{
    qpm_book *b = dump_reference_book("book");
    if (b == NULL)
        return;
    market(b);
    all_greeks(b, "book.ref");
    reference_pnl(b);
    random_pnl(b);
    grids(b);
    updates(b);
    qpm_book_free(b);
    settings();
    errors();
}
