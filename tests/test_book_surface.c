/* book: options priced off an underlying's vol surface (experimental).
 * Values and Greeks equal those of the same options at the surface's vols
 * written out; scenarios under sticky strike keep the vols, under sticky
 * moneyness they equal a book set up in the moved market; the book keeps
 * its own copy of the surface; bad input is refused and the book stays
 * usable; out of memory leaves the book as it was. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/surface.h"
#include "support/testutil.h"

/* a BTC smile with a put skew, two expiries (the second's slice forward
 * differs from the book's forward on purpose: the book reads the surface at
 * its own forwards) */
static const double T1 = 0.1, T2 = 0.5, F1 = 30100, F2 = 30600;
static qpm_surface *smile(double level)
{
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_svi a = {0.04 * T1 * level / 0.04, 0.05, -0.4, 0.02, 0.15};
    qpm_svi c = {0.3 * T2 * level, 0.08, -0.35, 0.03, 0.2};
    a.a = 0.3 * T1 * level;
    cr_assert_eq(qpm_surface_set_slice(s, T1, F1, &a), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_surface_set_slice(s, T2, F2 * 1.001, &c), QPM_OK, "%s", qpm_last_error());
    return s;
}

enum { NOPT = 6 };
static const double K[NOPT] = {24000, 28000, 30000, 32000, 36000, 30500};
static const int32_t TY[NOPT] = {QPM_PUT, QPM_PUT, QPM_CALL, QPM_CALL, QPM_CALL, QPM_PUT};
static const int32_t EX[NOPT] = {1, 1, 1, 2, 2, 2};
static const double QN[NOPT] = {-3, 2, 1.5, -1, 4, -2};

static qpm_book *market(double spot_factor)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000 * spot_factor, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, F1 * spot_factor, T1), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 2, F2 * spot_factor, T2), QPM_OK);
    return b;
}

/* adds the options with vols sig (NULL: off the surface), half of them
 * coin-settled */
static qpm_status add(qpm_book *b, const double *sig)
{
    int32_t in[NOPT];
    size_t un[NOPT];
    double m[NOPT], s0[NOPT];
    for (int i = 0; i < NOPT; i++) {
        in[i] = i % 2 ? QPM_INSTR_INVERSE_OPTION : QPM_INSTR_LINEAR_OPTION;
        un[i] = 0, m[i] = 1.0, s0[i] = sig ? sig[i] : QPM_BOOK_SURFACE_VOL;
    }
    return qpm_book_add_positions(b, NOPT, in, un, EX, TY, K, QN, m, NULL, s0);
}

/* the surface's vols at the book's forwards times f */
static void surface_vols(const qpm_surface *s, double f, double *sig)
{
    double T[NOPT], k[NOPT];
    for (int i = 0; i < NOPT; i++) {
        T[i] = EX[i] == 1 ? T1 : T2;
        k[i] = log(K[i] / ((EX[i] == 1 ? F1 : F2) * f));
    }
    cr_assert_eq(qpm_surface_vol_k(s, NOPT, T, k, sig), QPM_OK, "%s", qpm_last_error());
}

static void greeks(qpm_book *b, double g[4][NOPT])
{
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = g[0], o.delta_coin = g[1], o.gamma = g[2], o.vega = g[3];
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK, "%s", qpm_last_error());
}

static void close_to(double a, double b, double rel, const char *what, int i)
{
    cr_assert(fabs(a - b) <= rel * (fabs(b) + 1e-300), "%s %d: %.17g vs %.17g", what, i, a, b);
}

Test(book_surface, values_and_greeks_are_those_at_the_surface_vols)
{
    qpm_surface *s = smile(1.0);
    double sig[NOPT];
    surface_vols(s, 1.0, sig);
    for (int i = 1; i < NOPT; i++)
        cr_assert(sig[i] != sig[0], "the smile is not flat");
    qpm_book *a = market(1.0), *b = market(1.0);
    cr_assert_eq(qpm_book_set_surface(a, 0, s, QPM_BOOK_STICKY_STRIKE), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(add(a, NULL), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(add(b, sig), QPM_OK);
    double ga[4][NOPT], gb[4][NOPT];
    greeks(a, ga);
    greeks(b, gb);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < NOPT; i++)
            close_to(ga[k][i], gb[k][i], 1e-13, "greek", k * 10 + i);
    /* the book holds a copy: the caller's surface may change or go */
    qpm_svi flat = {0.5 * T1, 0.0, 0.0, 0.0, 0.1};
    cr_assert_eq(qpm_surface_set_slice(s, T1, F1, &flat), QPM_OK);
    qpm_surface_free(s);
    cr_assert_eq(qpm_book_set_spot(a, 0, 30000), QPM_OK); /* prepared again */
    greeks(a, ga);
    for (int i = 0; i < NOPT; i++)
        close_to(ga[0][i], gb[0][i], 1e-13, "value after the caller's change", i);
    /* a new surface reprices */
    qpm_surface *s2 = smile(1.5);
    double sig2[NOPT];
    surface_vols(s2, 1.0, sig2);
    cr_assert_eq(qpm_book_set_surface(a, 0, s2, QPM_BOOK_STICKY_STRIKE), QPM_OK);
    qpm_book *c = market(1.0);
    cr_assert_eq(add(c, sig2), QPM_OK);
    double gc[4][NOPT];
    greeks(a, ga);
    greeks(c, gc);
    for (int i = 0; i < NOPT; i++)
        close_to(ga[0][i], gc[0][i], 1e-13, "value off the new surface", i);
    qpm_surface_free(s2);
    qpm_book_free(a), qpm_book_free(b), qpm_book_free(c);
}

/* total P&L of one scenario moving the spot by x and the vols by v */
static double pnl1(qpm_book *b, double x, double v)
{
    double p = NAN;
    cr_assert_eq(qpm_book_pnl(b, 1, &x, 1, &v, 1, &p), QPM_OK, "%s", qpm_last_error());
    return p;
}

static double total(qpm_book *b)
{
    double g[4][NOPT], t = 0;
    greeks(b, g);
    for (int i = 0; i < NOPT; i++)
        t += g[0][i];
    return t;
}

Test(book_surface, scenario_dynamics)
{
    qpm_surface *s = smile(1.0);
    double sig[NOPT];
    surface_vols(s, 1.0, sig);
    qpm_book *st = market(1.0), *mo = market(1.0), *flat = market(1.0);
    cr_assert_eq(qpm_book_set_surface(st, 0, s, QPM_BOOK_STICKY_STRIKE), QPM_OK);
    cr_assert_eq(qpm_book_set_surface(mo, 0, s, QPM_BOOK_STICKY_MONEYNESS), QPM_OK);
    cr_assert_eq(add(st, NULL), QPM_OK);
    cr_assert_eq(add(mo, NULL), QPM_OK);
    cr_assert_eq(add(flat, sig), QPM_OK);
    const double xs[3] = {-0.2, 0.07, 0.25}, vs[2] = {0.0, 0.3};
    for (int a = 0; a < 3; a++)
        for (int c = 0; c < 2; c++) {
            double x = xs[a], v = vs[c];
            /* sticky strike: the options keep their vols, scaled */
            close_to(pnl1(st, x, v), pnl1(flat, x, v), 1e-12, "sticky strike", a * 2 + c);
            /* sticky moneyness: the book set up in the moved market, its
             * vols read at the moved forwards, scaled */
            double mv[NOPT];
            surface_vols(s, 1.0 + x, mv);
            for (int i = 0; i < NOPT; i++)
                mv[i] *= 1.0 + v;
            qpm_book *moved = market(1.0 + x);
            cr_assert_eq(add(moved, mv), QPM_OK);
            double want = total(moved) - total(flat);
            close_to(pnl1(mo, x, v), want, 1e-11, "sticky moneyness", a * 2 + c);
            cr_assert(fabs(pnl1(mo, x, v) - pnl1(st, x, v)) > 1e-6 * fabs(want),
                      "the dynamics differ");
            qpm_book_free(moved);
        }
    /* the liquidation search and the scenario grid see the same vols */
    double gm[2], gf[2], grid_st[3], grid_fl[3];
    cr_assert_eq(qpm_book_scenario_grid(st, 0, 3, xs, 1, NULL, grid_st, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_scenario_grid(flat, 0, 3, xs, 1, NULL, grid_fl, NULL, NULL), QPM_OK);
    for (int a = 0; a < 3; a++)
        close_to(grid_st[a], grid_fl[a], 1e-12, "grid", a);
    cr_assert_eq(qpm_book_scenario_grid(mo, 0, 3, xs, 1, NULL, grid_st, NULL, NULL), QPM_OK);
    for (int a = 0; a < 3; a++)
        close_to(grid_st[a], pnl1(mo, xs[a], 0.0), 1e-12, "grid, sticky moneyness", a);
    cr_assert_eq(qpm_book_set_collateral(mo, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 20000, 0), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(mo, 0, &gm[0], &gm[1]), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_set_collateral(flat, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 20000, 0), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(flat, 0, &gf[0], &gf[1]), QPM_OK);
    cr_assert(isfinite(gm[0]) || isfinite(gm[1]) || (isinf(gf[0]) && isinf(gf[1])),
              "a distance found");
    qpm_surface_free(s);
    qpm_book_free(st), qpm_book_free(mo), qpm_book_free(flat);
}

Test(book_surface, bad_input_leaves_the_book_usable)
{
    qpm_book *b = market(1.0);
    /* sigma 0 without a surface */
    cr_assert_eq(add(b, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "position 0: sigma = 0: must be > 0 (0 prices off the "
                                       "underlying's surface, and underlying 0 ('BTC') has none)");
    size_t n = 9;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 0);
    qpm_surface *s = smile(1.0), *empty;
    cr_assert_eq(qpm_surface_create(&empty, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_surface(NULL, 0, s, QPM_BOOK_STICKY_STRIKE), QPM_E_NULL);
    cr_assert_eq(qpm_book_set_surface(b, 1, s, QPM_BOOK_STICKY_STRIKE), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_surface(b, 0, s, (qpm_book_vol_dynamics)2), QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "dyn = 2") != NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_set_surface(b, 0, empty, QPM_BOOK_STICKY_STRIKE), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_surface(b, 0, NULL, QPM_BOOK_STICKY_STRIKE), QPM_OK);
    /* attached and used: it cannot be removed */
    cr_assert_eq(qpm_book_set_surface(b, 0, s, QPM_BOOK_STICKY_STRIKE), QPM_OK);
    cr_assert_eq(add(b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_surface(b, 0, NULL, QPM_BOOK_STICKY_STRIKE), QPM_E_STATE);
    cr_assert(strstr(qpm_last_error(), "position 0 prices off the surface") != NULL, "%s",
              qpm_last_error());
    double sig[NOPT];
    surface_vols(s, 1.0, sig);
    qpm_book *c = market(1.0);
    cr_assert_eq(add(c, sig), QPM_OK);
    cr_assert_eq(total(b), total(c));
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    cr_assert_eq(qpm_book_set_surface(b, 0, NULL, QPM_BOOK_STICKY_STRIKE), QPM_OK);
    qpm_surface_free(s), qpm_surface_free(empty);
    qpm_book_free(b), qpm_book_free(c);
}

Test(book_surface, out_of_memory_leaves_the_book_as_it_was)
{
    qpm_surface *s = smile(1.0), *s2 = smile(1.3);
    int failed = 0;
    for (long k = 0; k < 6; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, -1);
        qpm_book *b;
        cr_assert_eq(qpm_book_create(&b, &fa.alloc), QPM_OK);
        cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.03, NULL), QPM_OK);
        cr_assert_eq(qpm_book_set_forward(b, 0, 1, F1, T1), QPM_OK);
        cr_assert_eq(qpm_book_set_forward(b, 0, 2, F2, T2), QPM_OK);
        cr_assert_eq(qpm_book_set_surface(b, 0, s, QPM_BOOK_STICKY_STRIKE), QPM_OK);
        cr_assert_eq(add(b, NULL), QPM_OK);
        double before = total(b);
        qt_failalloc_only(&fa, k);
        qpm_status st = qpm_book_set_surface(b, 0, s2, QPM_BOOK_STICKY_MONEYNESS);
        qt_failalloc_only(&fa, -1);
        if (st != QPM_OK) {
            cr_assert_eq(st, QPM_E_NOMEM);
            cr_assert_eq(total(b), before, "the old surface still prices");
            failed++;
        } else {
            cr_assert(total(b) != before);
        }
        qpm_book_free(b);
        cr_assert_eq(fa.live, 0, "no leak");
    }
    cr_assert(failed >= 1, "the copy allocates");
    qpm_surface_free(s), qpm_surface_free(s2);
}
