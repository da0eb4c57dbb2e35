/* stress (experimental): qpm_book_stress against the book's own functions
 * in the moved market.  A zero shock changes nothing (P&L exactly 0, the
 * margin of qpm_book_margin per venue); a market move is qpm_book_pnl plus
 * the coin collateral; a term-scaled vol spike is a book rebuilt with the
 * moved vols; a failed venue loses (1 - recovery) of its holdings and
 * nothing else moves; a manipulated oracle moves the margin view only (the
 * margin grid at the deviated price) and can liquidate; a depeg and the
 * closing cost by hand; the reports add up; bad input changes nothing. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/stress.h"
#include "support/testutil.h"

enum { NPOS = 6 };
static const int32_t in[NPOS] = {QPM_INSTR_LINEAR_PERP,    QPM_INSTR_INVERSE_FUTURE,
                                 QPM_INSTR_LINEAR_OPTION,  QPM_INSTR_LINEAR_OPTION,
                                 QPM_INSTR_INVERSE_OPTION, QPM_INSTR_LINEAR_OPTION};
static const size_t un[NPOS] = {0, 0, 0, 0, 0, 1};
static const int32_t ex[NPOS] = {0, 1, 1, 2, 1, 1};
static const int32_t ty[NPOS] = {0, 0, QPM_CALL, QPM_PUT, QPM_PUT, QPM_CALL};
static const double K[NPOS] = {NAN, NAN, 32000, 27000, 28000, 2200};
static const double Q[NPOS] = {2, -1000, -1, 0.5, -2, -10};
static const double m[NPOS] = {1, 10, 1, 1, 1, 1}, e[NPOS] = {29000, 30500, NAN, NAN, NAN, NAN};
static const double sg[NPOS] = {NAN, NAN, 0.6, 0.7, 0.65, 0.8};
static const size_t ven[NPOS] = {0, 1, QPM_BOOK_NO_VENUE, 0, 1, 0};

/* BTC at S and ETH at 2000 (expiries: BTC 1 at 0.25 y, BTC 2 at 0.02 y,
 * ETH 1 at 0.1 y), two venues; the six positions with spot vols times vf
 * (BTC options by vb[expiry id] when vb is given), the collateral tagged
 * or not. */
static qpm_book *account(double S, double E, const double *vb, int tagged)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", S, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", E, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, S * 1.001), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, S * 1.01, 0.25), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 2, S * 1.0008, 0.02), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 1, 1, E * 1.003, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_add_venue(b, "cex", NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_venue(b, "dex", NULL), QPM_OK);
    double s[NPOS];
    for (int i = 0; i < NPOS; i++)
        s[i] = vb != NULL && !isnan(sg[i]) ? sg[i] * vb[i] : sg[i];
    qpm_book_positions p = {sizeof p, in, un, ex,   ty,   K,    Q,
                            m,        e,  s,  NULL, NULL, NULL, tagged ? ven : NULL};
    cr_assert_eq(qpm_book_add_position_columns(b, NPOS, &p), QPM_OK, "%s", qpm_last_error());
    size_t v0 = tagged ? 0 : QPM_BOOK_NO_VENUE, v1 = tagged ? 1 : QPM_BOOK_NO_VENUE;
    cr_assert_eq(qpm_book_set_collateral(b, v0, QPM_BOOK_USD, 40000, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, v1, 0, 1.5, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 1, 4.0, 0.2), QPM_OK);
    return b;
}

typedef struct report {
    qpm_stress_out o;
    double pos[NPOS], und[2], vp[3], ve[3], vm[3];
    int32_t liq[3];
} report;

static void init(report *r)
{
    memset(r, 0, sizeof *r);
    r->o.size = sizeof r->o;
    r->o.position_pnl = r->pos;
    r->o.underlying_pnl = r->und;
    r->o.venue_pnl = r->vp;
    r->o.venue_equity = r->ve;
    r->o.venue_maintenance = r->vm;
    r->o.venue_liquidated = r->liq;
}

/* The USD collateral's P&L is `usd`. */
static void run_usd(qpm_book *b, const qpm_stress *s, report *r, double usd)
{
    init(r);
    cr_assert_eq(qpm_book_stress(b, s, &r->o), QPM_OK, "%s", qpm_last_error());
    /* the reports add up */
    double sv = 0, se = 0, sm = 0;
    for (int v = 0; v < 3; v++) {
        sv += r->vp[v];
        se += r->ve[v];
        sm += r->vm[v];
    }
    double tol = 1e-9 * (1.0 + fabs(r->o.equity));
    cr_assert(fabs(sv - r->o.pnl) <= tol, "venues %.17g vs total %.17g", sv, r->o.pnl);
    cr_assert(fabs(se - r->o.equity) <= tol && fabs(sm - r->o.maintenance) <= tol);
    /* underlyings: positions and coin collateral; the rest is the USD
     * collateral's */
    cr_assert(fabs(r->und[0] + r->und[1] + usd - r->o.pnl) <= tol, "%.17g + %.17g + %g vs %.17g",
              r->und[0], r->und[1], usd, r->o.pnl);
}

static void run(qpm_book *b, const qpm_stress *s, report *r)
{
    run_usd(b, s, r, 0.0);
}

static qpm_stress shock(void)
{
    qpm_stress s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    return s;
}

Test(book_stress, zero_shock_changes_nothing)
{
    qpm_book *b = account(30000, 2000, NULL, 1);
    qpm_stress s = shock();
    report r;
    run(b, &s, &r);
    cr_assert_eq(r.o.pnl, 0.0);
    cr_assert_eq(r.o.liquidity_cost, 0.0);
    for (int i = 0; i < NPOS; i++)
        cr_assert_eq(r.pos[i], 0.0, "position %d", i);
    double ve[3], vm[3], eq, mm;
    cr_assert_eq(qpm_book_venue_margin(b, ve, NULL, vm), QPM_OK);
    cr_assert_eq(qpm_book_margin(b, &eq, NULL, &mm, NULL, NULL), QPM_OK);
    for (int v = 0; v < 3; v++)
        cr_assert(fabs(r.ve[v] - ve[v]) <= 1e-9 && fabs(r.vm[v] - vm[v]) <= 1e-9,
                  "venue %d: %.17g %.17g vs %.17g %.17g", v, r.ve[v], r.vm[v], ve[v], vm[v]);
    cr_assert(fabs(r.o.equity - eq) <= 1e-9 && fabs(r.o.maintenance - mm) <= 1e-9);
    qpm_book_free(b);
}

/* A market move is the book's P&L of the same move plus the coin
 * collateral at its full value. */
Test(book_stress, market_move_is_the_book_pnl)
{
    qpm_book *b = account(30000, 2000, NULL, 1);
    double x[2] = {-0.12, 0.07}, v[2] = {0.4, -0.2};
    qpm_stress s = shock();
    s.spot_moves = x;
    s.vol_shifts = v;
    report r;
    run(b, &s, &r);
    double pnl;
    cr_assert_eq(qpm_book_pnl(b, 1, x, 2, v, 2, &pnl), QPM_OK);
    double coll = 1.5 * 30000 * x[0] + 4.0 * 2000 * x[1];
    cr_assert(fabs(r.o.pnl - (pnl + coll)) <= 1e-9 * fabs(pnl), "%.17g vs %.17g", r.o.pnl,
              pnl + coll);
    double pb;
    double xb[2] = {x[0], 0}, vb[2] = {v[0], 0};
    cr_assert_eq(qpm_book_pnl(b, 1, xb, 2, vb, 2, &pb), QPM_OK);
    cr_assert(fabs(r.und[0] - (pb + 1.5 * 30000 * x[0])) <= 1e-9 * fabs(pb));
    qpm_book_free(b);
}

/* The term weight (ref / T)^power: the same P&L as a book whose options
 * carry the moved vols. */
Test(book_stress, term_scaled_vol_spike)
{
    const double v = 0.5, ref = 30.0 / 365, pw = 0.5;
    const double T[NPOS] = {1, 1, 0.25, 0.02, 0.25, 0.1};
    double f[NPOS];
    for (int i = 0; i < NPOS; i++)
        f[i] = 1.0 + v * pow(ref / T[i], pw);
    qpm_book *b = account(30000, 2000, NULL, 0);
    qpm_book *c = account(30000, 2000, f, 0);
    double vs[2] = {v, v};
    qpm_stress s = shock();
    s.vol_shifts = vs;
    s.vol_term_power = pw;
    s.vol_term_ref = ref;
    report r;
    run(b, &s, &r);
    double e0, e1;
    cr_assert_eq(qpm_book_margin(b, &e0, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_margin(c, &e1, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert(fabs(r.o.pnl - (e1 - e0)) <= 1e-9 * fabs(e1 - e0), "%.17g vs %.17g", r.o.pnl,
              e1 - e0);
    cr_assert(r.pos[3] > 0 && r.pos[2] < 0, "the short-dated long put gains most");
    qpm_book_free(c);
    qpm_book_free(b);
}

/* A failed venue loses (1 - recovery) of its holdings; the others do not
 * move; its row holds the recovered equity and no margin. */
Test(book_stress, venue_failure)
{
    qpm_book *b = account(30000, 2000, NULL, 1);
    const double rec[2] = {1.0, 0.25};
    qpm_stress s = shock();
    s.venue_recovery = rec;
    report r;
    run(b, &s, &r);
    /* the dex's economic value: its positions and 1.5 BTC at full value */
    double val[NPOS];
    qpm_book_out o = {sizeof o, val, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK);
    double dex = val[1] + val[4] + 1.5 * 30000;
    cr_assert(fabs(r.vp[1] + 0.75 * dex) <= 1e-9 * fabs(dex), "%.17g vs %.17g", r.vp[1],
              -0.75 * dex);
    cr_assert(r.vp[0] == 0.0 && r.vp[2] == 0.0, "other venues unmoved");
    cr_assert(fabs(r.pos[1] + 0.75 * val[1]) <= 1e-9 * fabs(val[1]));
    cr_assert_eq(r.pos[0], 0.0);
    cr_assert(fabs(r.ve[1] - 0.25 * dex) <= 1e-9 * fabs(dex) && r.vm[1] == 0.0 && r.liq[1] == 0);
    cr_assert(fabs(r.o.pnl + 0.75 * dex) <= 1e-9 * fabs(dex));
    qpm_book_free(b);
}

/* The oracle: the P&L stays at the index; the venues' equity and margin
 * are the account at the deviated price (the margin grid there), and a
 * large enough deviation liquidates a venue. */
Test(book_stress, oracle_manipulation)
{
    qpm_book *b = account(30000, 2000, NULL, 0);
    double x[2] = {-0.05, 0}, d[2] = {-0.2, 0};
    qpm_stress s = shock();
    s.spot_moves = x;
    report plain, r;
    run(b, &s, &plain);
    s.mark_deviation = d;
    run(b, &s, &r);
    cr_assert_eq(r.o.pnl, plain.o.pnl, "the P&L does not see the oracle");
    double g = (1 + x[0]) * (1 + d[0]) - 1, eq, mm;
    cr_assert_eq(qpm_book_margin_grid(b, 0, 1, &g, 1, NULL, &eq, &mm), QPM_OK);
    cr_assert(fabs(r.ve[2] - eq) <= 1e-9 * fabs(eq) && fabs(r.vm[2] - mm) <= 1e-9 * mm,
              "%.17g %.17g vs %.17g %.17g", r.ve[2], r.vm[2], eq, mm);
    cr_assert_eq(plain.liq[2], 0);
    /* deeper: the account's equity falls below maintenance at the marks */
    double deep[2] = {-0.6, 0};
    s.mark_deviation = deep;
    run(b, &s, &r);
    cr_assert(r.ve[2] < r.vm[2] && r.liq[2] == 1, "%.17g vs %.17g", r.ve[2], r.vm[2]);
    cr_assert_eq(r.o.pnl, plain.o.pnl);
    qpm_book_free(b);
}

Test(book_stress, depeg_and_closing_cost)
{
    qpm_book *b = account(30000, 2000, NULL, 1);
    qpm_stress s = shock();
    s.usd_depeg = 0.05;
    report r;
    run_usd(b, &s, &r, -2000.0);
    cr_assert(fabs(r.o.pnl + 2000.0) <= 1e-9, "40000 USD at 0.95: %.17g", r.o.pnl);
    cr_assert(fabs(r.vp[0] + 2000.0) <= 1e-9);
    cr_assert(r.und[0] == 0.0 && r.und[1] == 0.0);
    /* closing cost: 1% of BTC and 2% of ETH gross notional */
    double c[2] = {0.01, 0.02};
    s = shock();
    s.liquidity_cost = c;
    run(b, &s, &r);
    double want =
        0.01 * (2 * 30000 * 1.001 + 10000 + 30000 + 0.5 * 30000 + 2 * 30000) + 0.02 * (10 * 2000);
    cr_assert(fabs(r.o.liquidity_cost - want) <= 1e-9 * want, "%.17g vs %.17g", r.o.liquidity_cost,
              want);
    cr_assert(fabs(r.o.pnl + want) <= 1e-9 * want);
    cr_assert(fabs(r.pos[5] + 0.02 * 20000) <= 1e-9);
    /* a failed venue's positions are not closed */
    const double rec[2] = {0.0, 1.0};
    s.venue_recovery = rec;
    run_usd(b, &s, &r, -40000.0); /* the cex held the USD */
    double cex = 0.01 * (2 * 30000 * 1.001 + 0.5 * 30000) + 0.02 * 20000;
    cr_assert(fabs(r.o.liquidity_cost - (want - cex)) <= 1e-9 * want);
    qpm_book_free(b);
}

Test(book_stress, bad_input_changes_nothing)
{
    qpm_book *b = account(30000, 2000, NULL, 1);
    qpm_stress s = shock();
    report r;
    init(&r);
    r.pos[0] = 7;
    r.o.pnl = 7;
    cr_assert_eq(qpm_book_stress(NULL, &s, &r.o), QPM_E_NULL);
    cr_assert_eq(qpm_book_stress(b, NULL, &r.o), QPM_E_NULL);
    cr_assert_eq(qpm_book_stress(b, &s, NULL), QPM_E_NULL);
    double x[2] = {-1.0, 0}, v[2] = {-0.9, 0}, one[2] = {1.5, 0}, nan2[2] = {NAN, 0};
    s.spot_moves = x;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "spot_moves[0] = -1 (underlying 0): must be in (-1, inf)");
    s.spot_moves = nan2;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_NONFINITE);
    s = shock();
    s.venue_recovery = one;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "venue_recovery[0] = 1.5 (venue 0): must be in [0, 1]");
    s = shock();
    s.liquidity_cost = one;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    s = shock();
    s.usd_depeg = 1.0;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    s = shock();
    s.vol_term_power = 3;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    s.vol_term_power = 0.5;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID, "ref 0 with a power");
    cr_assert_str_eq(qpm_last_error(), "vol_term_ref = 0: must be > 0 (years)");
    /* -90% at 30 days is beyond -100% for the 7-day option */
    s.vol_term_ref = 30.0 / 365;
    s.vol_shifts = v;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "position 3: the vol shift") != NULL, "%s",
              qpm_last_error());
    /* a mark deviation that leaves the floating-point range */
    double big[2] = {0, 1e305};
    s = shock();
    s.mark_deviation = big;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    /* sizes */
    s = shock();
    s.size = 12;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    struct {
        qpm_stress s;
        double later;
    } w;
    memset(&w, 0, sizeof w);
    w.s.size = sizeof w;
    w.later = 1;
    cr_assert_eq(qpm_book_stress(b, &w.s, &r.o), QPM_E_UNSUPPORTED);
    w.later = 0;
    s = shock();
    r.o.size = 3;
    cr_assert_eq(qpm_book_stress(b, &s, &r.o), QPM_E_INVALID);
    r.o.size = sizeof r.o;
    cr_assert(r.pos[0] == 7 && r.o.pnl == 7, "outputs untouched");
    /* a newer, zero tail and an older, shorter report are fine */
    cr_assert_eq(qpm_book_stress(b, &w.s, &r.o), QPM_OK);
    struct {
        size_t size;
        double pnl;
    } shortout = {sizeof shortout, 7};
    double x2[2] = {0.1, 0};
    s.spot_moves = x2;
    cr_assert_eq(qpm_book_stress(b, &s, (qpm_stress_out *)(void *)&shortout), QPM_OK);
    cr_assert(shortout.pnl != 7 && shortout.pnl > 0, "%.17g", shortout.pnl);
    qpm_book_free(b);
}
