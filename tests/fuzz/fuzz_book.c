/* Fuzz target: the book family (include/qpm/book.h).  Underlyings (good,
 * duplicate, empty and over-long names), spots, rates, perp marks, forwards,
 * positions of every instrument with extreme or missing fields, the three
 * Greeks tables, P&L of scenario sets (above the 64-scenario chunk, so that
 * threads share them) and scenario grids, under thread counts drawn from the
 * input.  Beyond the common invariants: failed calls change nothing (book.h:
 * positions are all or nothing, P&L and grid outputs untouched), a zero move
 * gives exactly 0, and the grid's worst loss is -min of its P&L.  One of
 * the three position ops goes through the experimental qpm_book_positions
 * struct, with older (shorter) and newer (longer) struct sizes. */
#define QPM_EXPERIMENTAL /* qpm_book_add_position_columns, venues, the account */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "qpm/stress.h"
#include "qpm/surface.h"

#define NP  12
#define NSC 200
#define NU  4

typedef struct state {
    fz_alloc fa;
    qpm_book *h;
    double out[8][64];
    double mv[NSC * (NU + 1)], vs[NSC * (NU + 1)], pnl[NSC * 8];
} state;

static const char *draw_name(fz_in *in)
{
    static const char *names[] = {
        "BTC",
        "ETH",
        "SOL",
        "XRP",
        "",
        "0123456789012345678901234567890123456789012345678901234567890123",
        "012345678901234567890123456789012345678901234567890123456789012",
        NULL};
    uint8_t m = fz_u8(in);
    return names[m < 240 ? m % 4 : 4 + m % 4];
}

/* Hash of every Greeks table (statuses included); checks the contracts. */
static uint64_t greeks(state *s, uint64_t h, uint8_t mask, int which)
{
    static const char *names[8] = {"value_usd", "value_coin", "delta_coin", "delta_usd",
                                   "gamma",     "vega",       "theta",      "delta_exchange"};
    size_t rows[3] = {0, 0, 0};
    if (s->h == NULL)
        return h;
    qpm_book_n_positions(s->h, &rows[0]);
    qpm_book_n_underlyings(s->h, &rows[1]);
    qpm_book_n_expiries(s->h, &rows[2]);
    for (int t = 0; t < 3; t++) {
        if (which >= 0 && which != t)
            continue;
        if (rows[t] > 64)
            fz_fail("table %d has %zu rows", t, rows[t]);
        qpm_book_out o;
        memset(&o, 0, sizeof o);
        o.size = sizeof o;
        double **f = &o.value_usd;
        for (int j = 0; j < 8; j++) {
            f[j] = (mask >> j) & 1 ? s->out[j] : NULL;
            fz_poison(s->out[j], 64);
        }
        qpm_status st = t == 0   ? FZ(qpm_book_position_greeks(s->h, &o))
                        : t == 1 ? FZ(qpm_book_underlying_greeks(s->h, &o))
                                 : FZ(qpm_book_expiry_greeks(s->h, &o));
        h = fz_hash(h, &st, sizeof st);
        if (st != QPM_OK)
            continue;
        for (int j = 0; j < 8; j++) {
            if (f[j] == NULL)
                continue;
            fz_expect(FZ_BOOK_VALUE, names[j], f[j], rows[t], 1, 0);
            fz_untouched(f[j] + rows[t], 64 - rows[t], "rows past the table");
            h = fz_hash(h, f[j], rows[t] * sizeof(double));
        }
    }
    return h;
}

static uint64_t market_hash(const qpm_book *b, uint64_t h)
{
    size_t nu = 0, ne = 0, np = 0;
    if (b == NULL)
        return h;
    qpm_book_n_underlyings(b, &nu);
    qpm_book_n_expiries(b, &ne);
    qpm_book_n_positions(b, &np);
    h = fz_hash(h, &nu, sizeof nu);
    h = fz_hash(h, &ne, sizeof ne);
    h = fz_hash(h, &np, sizeof np);
    for (size_t k = 0; k < ne; k++) {
        size_t u = 0;
        int32_t id = 0;
        double F = 0, T = 0;
        if (FZ(qpm_book_expiry(b, k, &u, &id, &F, &T)) != QPM_OK)
            fz_fail("expiry %zu of %zu", k, ne);
        h = fz_hash(h, &u, sizeof u);
        h = fz_hash(h, &id, sizeof id);
        h = fz_hash(h, &F, sizeof F);
        h = fz_hash(h, &T, sizeof T);
    }
    for (size_t u = 0; u < nu; u++) {
        const char *nm = NULL;
        if (FZ(qpm_book_underlying_name(b, u, &nm)) != QPM_OK || nm == NULL)
            fz_fail("name of underlying %zu of %zu", u, nu);
        size_t idx = 99;
        if (FZ(qpm_book_find_underlying(b, nm, &idx)) != QPM_OK || idx != u)
            fz_fail("find_underlying(%s) = %zu, expected %zu", nm, idx, u);
        h = fz_hash(h, nm, strlen(nm));
    }
    size_t nv = 0;
    qpm_book_n_venues(b, &nv);
    h = fz_hash(h, &nv, sizeof nv);
    for (size_t v = 0; v < nv; v++) {
        const char *nm = NULL;
        if (FZ(qpm_book_venue_name(b, v, &nm)) != QPM_OK || nm == NULL)
            fz_fail("name of venue %zu of %zu", v, nv);
        size_t idx = 99;
        if (FZ(qpm_book_find_venue(b, nm, &idx)) != QPM_OK || idx != v)
            fz_fail("find_venue(%s) = %zu, expected %zu", nm, idx, v);
        h = fz_hash(h, nm, strlen(nm));
    }
    return h;
}

/* everything observable */
static uint64_t observe(state *s)
{
    uint64_t h = market_hash(s->h, FZ_HASH0);
    return greeks(s, h, 0xff, -1);
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 14;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 8) : -1;
    qpm_status st = QPM_OK;
    uint64_t hash = FZ_HASH0;
    long i;
    size_t nu = 0;
    if (s->h)
        qpm_book_n_underlyings(s->h, &nu);

    switch (op) {
    case 0: { /* (re)create */
        i = fz_op(p, "book create");
        if (fz_skip(p, i, 0))
            return;
        qpm_book *t = (qpm_book *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_book_create(&t, &s->fa.alloc));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_book_free(s->h);
            s->h = t;
        }
        break;
    }
    case 1: { /* threads and settings */
        uint8_t kb = fz_u8(in);
        int key = kb < 240 ? kb % 15 : (int)kb - 245;
        double v = fz_setting(in, 1, 4);
        if (fz_u8(in) == 255)
            v = 257;
        i = fz_op(p, "book set");
        if (fz_skip(p, i, 0))
            return;
        if (key == QPM_BOOK_THREADS)
            v = fz_threads(p, v);
        double before = 0, after = 0, lo, hi;
        if (s->h)
            qpm_book_get(s->h, QPM_BOOK_THREADS, &before);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_book_set(s->h, (qpm_book_key)key, v));
        fz_disarm(&s->fa);
        if (s->h) {
            qpm_book_get(s->h, QPM_BOOK_THREADS, &after);
            if (st != QPM_OK && after != before)
                fz_fail("failed book_set changed the thread count");
        }
        double g;
        FZ(qpm_book_get(s->h, (qpm_book_key)key, &g));
        FZ(qpm_book_bounds((qpm_book_key)key, &lo, &hi));
        break;
    }
    case 2: { /* add an underlying, or a venue (the same names) */
        const char *name = draw_name(in);
        double spot = fz_real(in, 1e-2, 1e6), rate = fz_real(in, -0.2, 0.3);
        uint8_t flags = fz_u8(in);
        int want_index = flags & 1, venue = flags >= 176;
        i = fz_op(p, venue ? "book add_venue" : "book add_underlying");
        if (fz_skip(p, i, 0))
            return;
        size_t have = nu;
        if (venue && s->h)
            qpm_book_n_venues(s->h, &have);
        if (have >= NU && name != NULL && name[0] != '\0' && strlen(name) < 64) {
            st = QPM_OK; /* keep the tables small: count as a no-op */
            break;
        }
        uint64_t before = observe(s);
        size_t idx = 77;
        fz_arm_op(p, i, &s->fa, arm);
        st = venue ? FZ(qpm_book_add_venue(s->h, name, want_index ? &idx : NULL))
                   : FZ(qpm_book_add_underlying(s->h, name, spot, rate, want_index ? &idx : NULL));
        fz_disarm(&s->fa);
        if (st != QPM_OK && observe(s) != before)
            fz_fail("failed add_underlying or add_venue changed the book");
        if (st == QPM_OK && want_index && idx != have)
            fz_fail("add index %zu, expected %zu", idx, have);
        hash = observe(s);
        break;
    }
    case 3: { /* market data of an underlying */
        uint8_t what = fz_u8(in) % 7;
        size_t u = fz_u8(in) < 250 ? fz_range(in, 0, NU) : SIZE_MAX;
        double v = what == 1   ? fz_real(in, -6, 6)
                   : what == 4 ? fz_real(in, -0.01, 0.01)
                               : fz_real(in, 1e-2, 1e6);
        int32_t ex = (int32_t)fz_range(in, 0, 6) - 1;
        double T = fz_real(in, 1e-3, 120);
        uint8_t vb = fz_u8(in); /* the collateral's venue: mostly real, at times none or unknown */
        size_t venue = vb < 160 ? vb % 3u : vb < 250 ? QPM_BOOK_NO_VENUE : (size_t)vb;
        /* the slices of a surface (what == 6): a, b, rho, m, sigma, T, F */
        double sl[3][7];
        int ns = what == 6 ? (int)(vb % 4u) : 0;
        for (int k = 0; k < ns; k++) {
            const double lo7[7] = {-0.05, 0, -1, -1, 1e-3, 1e-3, 1e-2};
            const double hi7[7] = {0.5, 1.2, 1, 1, 1, 10, 1e6};
            for (int c = 0; c < 7; c++)
                sl[k][c] = fz_real(in, lo7[c], hi7[c]);
        }
        i = fz_op(p, "book market");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = observe(s);
        fz_arm_op(p, i, &s->fa, arm);
        if (what == 0)
            st = FZ(qpm_book_set_spot(s->h, u, v));
        else if (what == 1)
            st = FZ(qpm_book_set_rate(s->h, u, v));
        else if (what == 2)
            st = FZ(qpm_book_set_perp(s->h, u, v));
        else if (what == 3)
            st = FZ(qpm_book_set_forward(s->h, u, ex, v, T));
        else if (what == 4)
            st = FZ(qpm_book_set_funding(s->h, u, v, T > 100 ? T : v * T));
        else if (what == 5) /* collateral in a coin, or USD for u = NU */
            st = FZ(qpm_book_set_collateral(s->h, venue, u == NU ? QPM_BOOK_USD : u, v,
                                            T > 100 ? T : T / 120));
        else { /* a vol surface (experimental): 0 to 3 SVI slices, or none */
            qpm_surface *sf = NULL;
            if (qpm_surface_create(&sf, NULL) != QPM_OK)
                fz_fail("surface_create");
            for (int k = 0; k < ns; k++) {
                const qpm_svi q = {sl[k][0], sl[k][1], sl[k][2], sl[k][3], sl[k][4]};
                (void)qpm_surface_set_slice(sf, sl[k][5], sl[k][6], &q);
            }
            qpm_book_vol_dynamics dyn = (qpm_book_vol_dynamics)(ex < 0 ? 2 : ex % 2);
            st = FZ(qpm_book_set_surface(s->h, u, T > 110 ? NULL : sf, dyn));
            qpm_surface_free(sf);
        }
        fz_disarm(&s->fa);
        if (st != QPM_OK && observe(s) != before)
            fz_fail("failed market setter %d changed the book", what);
        hash = observe(s);
        break;
    }
    case 4:
    case 5:
    case 6: { /* add positions */
        size_t n = fz_u8(in) < 250 ? fz_range(in, 1, 6) : 0;
        int32_t instr[8], ex[8], ty[8];
        size_t und[8], ven[8];
        double K[8], Q[8], m[8], e[8], sg[8];
        uint8_t im = fz_u8(in);
        for (size_t k = 0; k < 8; k++) {
            uint8_t b = fz_u8(in);
            instr[k] = im < 240 ? b % 9 : (int32_t)(b % 11) - 1;
            und[k] = fz_range(in, 0, NU - 1);
            ex[k] = (int32_t)fz_range(in, 0, 6) - 1;
            ty[k] = fz_u8(in) < 250 ? ((b >> 3) & 1 ? QPM_CALL : QPM_PUT) : 0;
            uint8_t vb = fz_u8(in);
            ven[k] = vb < 160 ? vb % 3u : vb < 250 ? QPM_BOOK_NO_VENUE : (size_t)vb;
        }
        fz_fill(in, K, 8, 1e-2, 1e6);
        fz_fill(in, Q, 8, -1e3, 1e3);
        fz_fill(in, m, 8, 1e-3, 100);
        fz_fill(in, e, 8, 1e-2, 1e6);
        fz_fill(in, sg, 8, 1e-2, 3);
        /* AMM fields: ranges (upper below lower at times) and fee rates */
        double lo[8], hi[8], fee[8];
        fz_fill(in, lo, 8, 0, 1e5);
        fz_fill(in, hi, 8, 1e-2, 1e6);
        fz_fill(in, fee, 8, 0, 0.5);
        uint8_t nulls = fz_u8(in);
        if (nulls == 14) /* options off the underlying's surface (experimental) */
            for (size_t k = 0; k < 8; k++)
                sg[k] = QPM_BOOK_SURFACE_VOL;
        int columns = op == 6; /* through the struct entry point */
        i = fz_op(p, columns ? "book add_position_columns" : "book add_positions");
        if (fz_skip(p, i, 0))
            return;
        size_t np = 0;
        if (s->h)
            qpm_book_n_positions(s->h, &np);
        if (np + n > 40) {
            st = FZ(qpm_book_clear_positions(s->h));
            hash = observe(s);
            break;
        }
        uint64_t before = observe(s);
        fz_arm_op(p, i, &s->fa, arm);
        if (!columns) {
            st = FZ(qpm_book_add_positions(
                s->h, n, nulls == 1 ? NULL : instr, nulls == 2 ? NULL : und, nulls == 3 ? NULL : ex,
                nulls == 4 ? NULL : ty, nulls == 5 ? NULL : K, nulls == 6 ? NULL : Q,
                nulls == 7 ? NULL : m, nulls == 8 ? NULL : e, nulls == 9 ? NULL : sg));
        } else {
            /* a caller from a later version: one field this one lacks */
            struct {
                qpm_book_positions p;
                const double *later;
            } w;
            memset(&w, 0, sizeof w);
            w.p = (qpm_book_positions){sizeof w.p,
                                       nulls == 1 ? NULL : instr,
                                       nulls == 2 ? NULL : und,
                                       nulls == 3 ? NULL : ex,
                                       nulls == 4 ? NULL : ty,
                                       nulls == 5 ? NULL : K,
                                       nulls == 6 ? NULL : Q,
                                       nulls == 7 ? NULL : m,
                                       nulls == 8 ? NULL : e,
                                       nulls == 9 ? NULL : sg,
                                       nulls == 10 ? NULL : lo,
                                       nulls == 11 ? NULL : hi,
                                       nulls == 12 ? NULL : fee,
                                       nulls == 13 || nulls >= 128 ? NULL : ven};
            const size_t first = offsetof(qpm_book_positions, instrument);
            if (nulls >= 240 && nulls <= 248) /* older: 1 to 9 fields */
                w.p.size = first + (size_t)(nulls - 239) * sizeof(void *);
            else if (nulls == 249 || nulls == 250) /* newer */
                w.p.size = sizeof w;
            else if (nulls == 251)
                w.p.size = first + 3; /* not a whole field */
            if (nulls == 250)
                w.later = K;
            st = FZ(qpm_book_add_position_columns(s->h, n, nulls == 252 ? NULL : &w.p));
            if (s->h && nulls == 250 && st != QPM_E_UNSUPPORTED)
                fz_fail("an unknown field set was not refused (%d)", (int)st);
            if (s->h && nulls == 251 && st != QPM_E_INVALID)
                fz_fail("p->size = %zu was not refused (%d)", w.p.size, (int)st);
        }
        fz_disarm(&s->fa);
        if (st != QPM_OK && observe(s) != before)
            fz_fail("failed add_positions changed the book");
        for (size_t k = 0; k < n; k++)
            fz_trace("pos %zu: instr %d u %zu ex %d type %d K %.17g Q %.17g m %.17g e %.17g "
                     "sigma %.17g lo %.17g hi %.17g fee %.17g",
                     k, instr[k], und[k], ex[k], ty[k], K[k], Q[k], m[k], e[k], sg[k], lo[k], hi[k],
                     fee[k]);
        hash = observe(s);
        break;
    }
    case 7: { /* clear positions */
        i = fz_op(p, "book clear_positions");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_book_clear_positions(s->h));
        hash = observe(s);
        break;
    }
    case 8: { /* one Greeks table, some outputs, odd out->size */
        uint8_t mask = fz_u8(in), which = fz_u8(in) % 3, sz = fz_u8(in);
        i = fz_op(p, "book greeks");
        if (fz_skip(p, i, 0))
            return;
        if (sz >= 250) {
            qpm_book_out o;
            memset(&o, 0, sizeof o);
            o.size = sz == 250 ? 0 : sz == 251 ? 1 : sizeof o + 8;
            o.value_usd = s->out[0];
            st = FZ(qpm_book_position_greeks(s->h, sz == 252 ? NULL : &o));
            break;
        }
        hash = greeks(s, hash, mask, which);
        break;
    }
    case 9:
    case 10:
    case 11: { /* P&L of scenarios */
        size_t n = fz_u8(in) < 200 ? fz_range(in, 1, 20) : fz_range(in, 0, NSC);
        size_t lds = nu + fz_range(in, 0, 1), ldv = nu + fz_range(in, 0, 1);
        if (fz_u8(in) == 255)
            lds = nu ? nu - 1 : 0;
        fz_fill(in, s->mv, NSC * (NU + 1), -0.5, 0.5);
        fz_fill(in, s->vs, NSC * (NU + 1), -0.5, 0.5);
        int zero = fz_u8(in) % 8 == 0;
        int novol = fz_u8(in) & 1;
        int nullp = fz_u8(in) == 3;
        i = fz_op(p, "book pnl");
        if (fz_skip(p, i, 0))
            return;
        if (zero) {
            memset(s->mv, 0, sizeof s->mv);
            memset(s->vs, 0, sizeof s->vs);
        }
        uint64_t before = observe(s);
        fz_poison(s->pnl, NSC * 8);
        st =
            FZ(qpm_book_pnl(s->h, n, s->mv, lds, novol ? NULL : s->vs, ldv, nullp ? NULL : s->pnl));
        if (observe(s) != before)
            fz_fail("book_pnl changed the book");
        if (st != QPM_OK) {
            if (st != QPM_E_OVERFLOW) /* book.h: then pnl_usd is written */
                fz_untouched(s->pnl, NSC * 8, "pnl_usd");
            break;
        }
        for (size_t k = 0; k < n; k++) {
            if (fz_bad(FZ_BOOK_PNL, &s->pnl[k], 1, 1, 0) >= 0) {
                char buf[256];
                int off = snprintf(buf, sizeof buf, "moves");
                for (size_t u = 0; u < nu && off < 200; u++)
                    off += snprintf(buf + off, sizeof buf - (size_t)off, " %.17g/%.17g",
                                    s->mv[k * lds + u], novol ? 0.0 : s->vs[k * ldv + u]);
                fz_contract_fail(FZ_BOOK_PNL, "pnl_usd", (long)k, s->pnl[k], buf);
            }
            if (zero && s->pnl[k] != 0.0)
                fz_fail("pnl_usd[%zu] = %.17g for a zero move (book.h: exactly 0)", k, s->pnl[k]);
        }
        fz_untouched(s->pnl + n, NSC * 8 - n, "pnl_usd past n");
        hash = fz_hash(hash, s->pnl, n * sizeof(double));
        break;
    }
    case 12: { /* scenario grid */
        size_t u = fz_u8(in) < 128 ? QPM_BOOK_ALL : fz_range(in, 0, NU);
        size_t ns = fz_range(in, 0, 20), nv = fz_range(in, 0, 10);
        fz_fill(in, s->mv, 32, -0.6, 0.6);
        fz_fill(in, s->vs, 32, -0.6, 0.6);
        int novol = fz_u8(in) % 4 == 0;
        uint8_t opt = fz_u8(in);
        i = fz_op(p, "book scenario_grid");
        if (fz_skip(p, i, 0))
            return;
        if (novol)
            nv = 1;
        double wl = 12345;
        size_t wi = 12345;
        uint64_t before = observe(s);
        fz_poison(s->pnl, NSC * 8);
        st = FZ(qpm_book_scenario_grid(s->h, u, ns, s->mv, nv, novol ? NULL : s->vs, s->pnl,
                                       opt & 1 ? NULL : &wl, opt & 2 ? NULL : &wi));
        if (observe(s) != before)
            fz_fail("scenario_grid changed the book");
        if (st != QPM_OK) {
            if (st != QPM_E_OVERFLOW) /* book.h: then pnl_usd is written */
                fz_untouched(s->pnl, NSC * 8, "grid pnl_usd");
            if (wl != 12345 || wi != 12345)
                fz_fail("failed scenario_grid wrote the worst loss");
            break;
        }
        size_t cells = ns * nv, first = 0;
        fz_expect(FZ_BOOK_PNL, "grid pnl_usd", s->pnl, cells, 1, 0);
        for (size_t k = 1; k < cells; k++)
            if (s->pnl[k] < s->pnl[first])
                first = k;
        if (!(opt & 1) && wl != -s->pnl[first])
            fz_fail("worst_loss = %.17g, -min(pnl) = %.17g", wl, -s->pnl[first]);
        if (!(opt & 2) && wi != first)
            fz_fail("worst_index = %zu, first minimum at %zu", wi, first);
        hash = fz_hash(hash, s->pnl, cells * sizeof(double));
        break;
    }
    default: { /* lookups with bad arguments, funding, the carry formulas */
        const char *name = draw_name(in);
        size_t k = fz_range(in, 0, 10);
        /* every draw before fz_skip: pass B must decode what pass A did */
        double hours = fz_real(in, 0, 1000);
        double prem = fz_real(in, -0.01, 0.01), damp = fz_real(in, 0, 0.001);
        double cap = fz_real(in, 0, 0.03), days = fz_real(in, 0, 400);
        double cost = fz_real(in, 0, 0.01), spot = fz_real(in, 1e-2, 1e6);
        double fut[4], tt[4];
        fz_fill(in, fut, 4, 1e-2, 1e6);
        fz_fill(in, tt, 4, 1e-3, 10);
        uint8_t liq = fz_u8(in);
        double gx[3], gv[2];
        fz_fill(in, gx, 3, -0.5, 0.5);
        fz_fill(in, gv, 2, -0.5, 1.0);
        size_t gu = fz_u8(in) < 128 ? QPM_BOOK_ALL : fz_range(in, 0, NU);
        double betas[NU];
        fz_fill(in, betas, NU, -2, 3);
        /* a stress: which parts (mask), their values, at times out of range */
        uint8_t smask = fz_u8(in);
        double sx[NU], sv[NU], lc[NU], md[NU], rec[NU];
        fz_fill(in, sx, NU, -0.99, 2);
        fz_fill(in, sv, NU, -0.9, 3);
        fz_fill(in, lc, NU, 0, 1.2);
        fz_fill(in, md, NU, -0.9, 1);
        fz_fill(in, rec, NU, 0, 1.1);
        double spw = fz_real(in, 0, 2.5), sref = fz_real(in, 0, 1), sdp = fz_real(in, 0, 1.05);
        i = fz_op(p, "book lookups");
        if (fz_skip(p, i, 0))
            return;
        size_t idx;
        const char *nm;
        double F;
        st = FZ(qpm_book_find_underlying(s->h, name, &idx));
        FZ(qpm_book_underlying_name(s->h, k, &nm));
        FZ(qpm_book_expiry(s->h, k, NULL, NULL, &F, NULL));
        FZ(qpm_book_n_positions(s->h, NULL));
        hash = fz_hash(hash, &st, sizeof st);
        /* funding over a horizon: finite amounts, the totals their sums */
        double fp[48], fu[NU + 1];
        fz_poison(fp, 48);
        fz_poison(fu, NU + 1);
        size_t np = 0;
        if (s->h)
            qpm_book_n_positions(s->h, &np);
        if (np <= 48) {
            qpm_status fs = FZ(qpm_book_funding(s->h, hours, fp, fu));
            if (fs != QPM_OK) {
                fz_untouched(fp, 48, "funding per position");
                fz_untouched(fu, NU + 1, "funding per underlying");
            } else {
                fz_expect(FZ_BOOK_VALUE, "funding per position", fp, np, 1, 0);
                fz_expect(FZ_BOOK_VALUE, "funding per underlying", fu, nu, 1, 0);
                hash = fz_hash(hash, fp, np * sizeof(double));
            }
        }
        /* the funding and basis formulas (carry.h) */
        double rate = 7, cs = 7, cc = 7;
        if (FZ(qpm_funding_rate(prem, 0.0001, damp, cap, &rate)) == QPM_OK) {
            if (!(fabs(rate) <= cap))
                fz_fail("funding rate %.17g beyond the cap %.17g", rate, cap);
        } else if (rate != 7) {
            fz_fail("failed funding_rate wrote its output");
        }
        if (FZ(qpm_funding_carry(prem, days, cost, &cs, &cc)) == QPM_OK) {
            if (!isfinite(cs) || !(cc >= -1.0) || !isfinite(cc))
                fz_fail("funding carry %.17g, %.17g", cs, cc);
        } else if (cs != 7 || cc != 7) {
            fz_fail("failed funding_carry wrote its outputs");
        }
        double bs[4], bc[4], bk[4];
        fz_poison(bs, 4);
        fz_poison(bc, 4);
        fz_poison(bk, 4);
        if (FZ(qpm_basis(4, spot, fut, tt, cost, bs, bc, bk)) == QPM_OK) {
            fz_expect(FZ_BOOK_VALUE, "simple basis", bs, 4, 1, 0);
            fz_expect(FZ_BOOK_VALUE, "continuous basis", bc, 4, 1, 0);
            fz_expect(FZ_BOOK_VALUE, "carry", bk, 4, 1, 0);
        } else {
            fz_untouched(bs, 4, "basis");
            fz_untouched(bc, 4, "basis");
            fz_untouched(bk, 4, "carry");
        }
        /* the standard margin, a liquidation distance (read-only) */
        double me[3], pim[48], pmm[48];
        fz_poison(me, 3);
        int margin_ok =
            np <= 48 && FZ(qpm_book_margin(s->h, &me[0], &me[1], &me[2], pim, pmm)) == QPM_OK;
        if (margin_ok) {
            fz_expect(FZ_BOOK_VALUE, "equity", me, 1, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "initial and maintenance margin", me + 1, 2, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "initial margin per position", pim, np, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "maintenance margin per position", pmm, np, 1, 0);
            hash = fz_hash(hash, me, sizeof me);
        } else {
            fz_untouched(me, 3, "margin");
        }
        /* per venue: rows past the venues untouched, the margins add up to
         * the totals (sums of the same non-negative terms in another order) */
        double ve[NU + 2], vi[NU + 2], vm[NU + 2];
        size_t nven = 0;
        qpm_book_n_venues(s->h, &nven);
        fz_poison(ve, NU + 2);
        fz_poison(vi, NU + 2);
        fz_poison(vm, NU + 2);
        if (FZ(qpm_book_venue_margin(s->h, ve, vi, vm)) == QPM_OK) {
            fz_expect(FZ_BOOK_VALUE, "equity per venue", ve, nven + 1, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "initial margin per venue", vi, nven + 1, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "maintenance margin per venue", vm, nven + 1, 1, 0);
            fz_untouched(ve + nven + 1, NU + 1 - nven, "rows past the venues");
            double ti = 0.0;
            for (size_t v = 0; v <= nven; v++)
                ti += vi[v];
            if (margin_ok && !(fabs(ti - me[1]) <= 4e-16 * (double)(np + 2) * me[1]))
                fz_fail("initial margin over the venues %.17g, total %.17g", ti, me[1]);
            hash = fz_hash(hash, vi, (nven + 1) * sizeof(double));
        } else {
            fz_untouched(ve, NU + 2, "equity per venue");
        }
        double ge[6], gm[6];
        fz_poison(ge, 6);
        fz_poison(gm, 6);
        qpm_status gs = FZ(qpm_book_margin_grid(s->h, gu, 3, gx, 2, gv, ge, gm));
        if (gs == QPM_OK) {
            fz_expect(FZ_BOOK_VALUE, "equity over the grid", ge, 6, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "maintenance margin over the grid", gm, 6, 1, 0);
            hash = fz_hash(hash, ge, sizeof ge);
        } else if (gs != QPM_E_OVERFLOW) {
            fz_untouched(ge, 6, "margin grid equity");
            fz_untouched(gm, 6, "margin grid maintenance");
        }
        double pmi = 7, pmt = 7, pper[NU + 1];
        fz_poison(pper, NU + 1);
        if (liq % 4 == 1) {
            if (FZ(qpm_book_portfolio_margin(s->h, &pmi, &pmt, pper)) == QPM_OK) {
                fz_expect(FZ_BOOK_MARGIN, "portfolio margin", &pmi, 1, 1, 0);
                fz_expect(FZ_BOOK_MARGIN, "portfolio maintenance margin", &pmt, 1, 1, 0);
                fz_expect(FZ_BOOK_MARGIN, "portfolio margin per underlying", pper, nu, 1, 0);
                hash = fz_hash(hash, &pmi, sizeof pmi);
            } else {
                fz_untouched(pper, NU + 1, "portfolio margin per underlying");
                if (pmi != 7 || pmt != 7)
                    fz_fail("failed portfolio_margin wrote its outputs");
            }
        }
        double lev[4];
        fz_poison(lev, 4);
        if (FZ(qpm_book_leverage(s->h, &lev[0], &lev[1], &lev[2], &lev[3])) == QPM_OK) {
            fz_expect(FZ_BOOK_VALUE, "leverage", lev, 4, 1, 0);
            if (!(lev[0] >= 0.0 && lev[2] >= 0.0))
                fz_fail("gross leverage %.17g, notional %.17g", lev[0], lev[2]);
            hash = fz_hash(hash, lev, sizeof lev);
        } else {
            fz_untouched(lev, 4, "leverage");
        }
        if (liq % 4 == 2) {
            double jd = 7, ju = 7;
            if (FZ(qpm_book_liquidation_joint(s->h, betas, &jd, &ju)) == QPM_OK) {
                /* down to -1/max beta (99 at most): below -1 when the betas are < 1 */
                if (!(jd >= -99.0 && jd <= 0.0) || !(ju >= 0.0))
                    fz_fail("joint liquidation moves %.17g, %.17g", jd, ju);
                hash = fz_hash(hash, &jd, sizeof jd);
            } else if (jd != 7 || ju != 7) {
                fz_fail("failed liquidation_joint wrote its outputs");
            }
        }
        if (liq < 32) {
            double dn = 7, upm = 7;
            if (FZ(qpm_book_liquidation(s->h, (size_t)(liq % (NU + 1)), &dn, &upm)) == QPM_OK) {
                if (!(dn >= -1.0 && dn <= 0.0) || !(upm >= 0.0))
                    fz_fail("liquidation distances %.17g, %.17g", dn, upm);
                if ((dn == 0.0) != (upm == 0.0))
                    fz_fail("liquidated in one direction only: %.17g, %.17g", dn, upm);
                hash = fz_hash(hash, &dn, sizeof dn);
                hash = fz_hash(hash, &upm, sizeof upm);
            } else if (dn != 7 || upm != 7) {
                fz_fail("failed liquidation wrote its outputs");
            }
        }
        /* a stress (experimental, stress.h): finite reports that add up, a
         * zero shock's P&L exactly 0, outputs untouched on failure */
        qpm_stress sh;
        memset(&sh, 0, sizeof sh);
        sh.size = sizeof sh;
        sh.spot_moves = smask & 1 ? sx : NULL;
        sh.vol_shifts = smask & 2 ? sv : NULL;
        sh.liquidity_cost = smask & 4 ? lc : NULL;
        sh.mark_deviation = smask & 8 ? md : NULL;
        sh.venue_recovery = smask & 16 ? rec : NULL;
        sh.vol_term_power = smask & 32 ? spw : 0.0;
        sh.vol_term_ref = sref;
        sh.usd_depeg = smask & 64 ? sdp : 0.0;
        double spp[48], sup[NU + 1], svp[NU + 2], sve[NU + 2], svm[NU + 2];
        int32_t sl[NU + 2];
        qpm_stress_out so;
        memset(&so, 0, sizeof so);
        so.size = sizeof so;
        so.pnl = 7;
        so.position_pnl = np <= 48 ? spp : NULL;
        so.underlying_pnl = sup;
        so.venue_pnl = svp;
        so.venue_equity = sve;
        so.venue_maintenance = svm;
        so.venue_liquidated = sl;
        fz_poison(spp, 48);
        fz_poison(sup, NU + 1);
        fz_poison(svp, NU + 2);
        nven = 0;
        if (s->h)
            qpm_book_n_venues(s->h, &nven);
        for (size_t v = 0; v < NU + 2; v++)
            sl[v] = 9;
        qpm_status ss = FZ(qpm_book_stress(s->h, &sh, &so));
        if (ss == QPM_OK) {
            fz_expect(FZ_BOOK_PNL, "stress pnl", &so.pnl, 1, 1, 0);
            fz_expect(FZ_BOOK_PNL, "stress pnl per venue", svp, nven + 1, 1, 0);
            fz_expect(FZ_BOOK_VALUE, "stress equity per venue", sve, nven + 1, 1, 0);
            fz_expect(FZ_BOOK_MARGIN, "stress maintenance per venue", svm, nven + 1, 1, 0);
            fz_untouched(svp + nven + 1, NU + 1 - nven, "stress rows past the venues");
            if (np <= 48)
                fz_expect(FZ_BOOK_PNL, "stress pnl per position", spp, np, 1, 0);
            for (size_t v = 0; v <= nven; v++)
                if (sl[v] != 0 && sl[v] != 1)
                    fz_fail("venue %zu liquidated flag %d", v, (int)sl[v]);
            /* no move, vol shift, cost, failure or depeg: the P&L is 0 */
            if ((smask & 0x57) == 0 && so.pnl != 0.0)
                fz_fail("a shock without a move has P&L %.17g", so.pnl);
            if (!(so.liquidity_cost >= 0.0))
                fz_fail("liquidity cost %.17g", so.liquidity_cost);
            hash = fz_hash(hash, &so.pnl, sizeof so.pnl);
            /* the limits, with the VaR and ES of the stress as measures */
            qpm_limits lim = {sizeof lim,
                              {lc[0] * 1e4, lc[1] * 1e4, md[0] + 0.5, md[1] + 0.5, md[2] + 0.9}};
            qpm_limit_report lr;
            memset(&lr, 0, sizeof lr);
            lr.size = sizeof lr;
            lr.n_breached = 77;
            qpm_status ls = FZ(qpm_book_limits(s->h, fabs(so.pnl), fabs(so.pnl) * 1.2, &lim, &lr));
            if (ls == QPM_OK) {
                for (int j = 0; j < QPM_LIMIT_COUNT; j++)
                    if (!(isnan(lr.scale[j]) || (lr.scale[j] >= 0.0 && lr.scale[j] <= 1.0)) ||
                        (lr.breached[j] != 0 && lr.breached[j] != 1))
                        fz_fail("limit %d: scale %.17g, breached %d", j, lr.scale[j],
                                (int)lr.breached[j]);
                if (!(lr.n_breached >= 0 && lr.n_breached <= QPM_LIMIT_COUNT))
                    fz_fail("%d limits breached", (int)lr.n_breached);
                hash = fz_hash(hash, &lr.n_breached, sizeof lr.n_breached);
            } else if (lr.n_breached != 77) {
                fz_fail("failed limits wrote the report");
            }
        } else {
            if (so.pnl != 7)
                fz_fail("failed stress wrote its total");
            fz_untouched(svp, NU + 2, "stress per venue");
            fz_untouched(sup, NU + 1, "stress per underlying");
        }
        break;
    }
    }
    fz_end(p, i, st, hash);
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    s->h = NULL;
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_book_free(s->h);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
