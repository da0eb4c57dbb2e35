/* book: AMM liquidity positions (experimental kinds QPM_INSTR_AMM_V2 and
 * QPM_INSTR_AMM_V3).  Their values and Greeks are those of qpm_amm_position
 * at the spot, bit for bit, with theta = fee_rate x value; they sit in the
 * underlying totals and in no expiry total; the scenario P&L revalues them
 * at the moved spot (a zero move gives exactly 0), in the grid too, bit for
 * bit for any thread count; every bad field is refused with its message and
 * the book unchanged; allocation failure at every allocation of the add. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/amm.h"
#include "qpm/book.h"
#include "support/testutil.h"

#define INF ((double)INFINITY)
#define NP  6

/* BTC (S = 30000) with a perp and an expiry, ETH (S = 1800). */
static qpm_book *market(const qpm_alloc *alloc)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, alloc), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 1800, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 30010), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 30300, 0.25), QPM_OK);
    return b;
}

/* Six positions: a v2 share on BTC, v3 ranges on BTC in, below and above
 * the spot, a v3 on ETH, and a BTC call (so the option batch runs too). */
static int32_t IN[NP] = {QPM_INSTR_AMM_V2, QPM_INSTR_AMM_V3, QPM_INSTR_AMM_V3,
                         QPM_INSTR_AMM_V3, QPM_INSTR_AMM_V3, QPM_INSTR_LINEAR_OPTION};
static size_t UN[NP] = {0, 0, 0, 0, 1, 0};
static int32_t EX[NP] = {0, 0, 0, 0, 0, 1};
static int32_t TY[NP] = {0, 0, 0, 0, 0, QPM_CALL};
static double K[NP] = {NAN, NAN, NAN, NAN, NAN, 32000};
static double Q[NP] = {2, 1000, 3, 0.5, 40, -1.5};
static double M[NP] = {500, 1, 100, 1, 1, 1};
static double SG[NP] = {NAN, NAN, NAN, NAN, NAN, 0.6};
static double LO[NP] = {NAN, 25000, 32000, 10000, 1500, NAN};
static double HI[NP] = {NAN, 35000, 40000, 20000, INF, NAN};
static double FEE[NP] = {0.1, 0.25, 0.0, 0.05, 0.3, NAN};

static qpm_book_positions columns(void)
{
    qpm_book_positions p;
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    p.instrument = IN, p.underlying = UN, p.expiry = EX, p.option_type = TY, p.strike = K;
    p.quantity = Q, p.multiplier = M, p.sigma = SG;
    p.price_lower = LO, p.price_upper = HI, p.fee_rate = FEE;
    return p;
}

static qpm_book *book_with_amm(void)
{
    qpm_book *b = market(NULL);
    qpm_book_positions p = columns();
    cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_OK, "%s", qpm_last_error());
    return b;
}

/* value, coin, delta, gamma of AMM position i at price P, by qpm_amm_position */
static void amm_at(size_t i, double P, double *value, double *coin, double *gamma)
{
    double L = Q[i] * M[i];
    double lo = IN[i] == QPM_INSTR_AMM_V2 ? 0.0 : LO[i];
    double hi = IN[i] == QPM_INSTR_AMM_V2 ? INF : HI[i];
    cr_assert_eq(qpm_amm_position(1, &P, &L, &lo, &hi, coin, NULL, value, NULL, gamma), QPM_OK,
                 "%s", qpm_last_error());
}

Test(book_amm, greeks_are_the_closed_forms)
{
    qpm_book *b = book_with_amm();
    double v[NP], vc[NP], dc[NP], du[NP], g[NP], ve[NP], th[NP], dx[NP];
    qpm_book_out o = {sizeof o, v, vc, dc, du, g, ve, th, dx};
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK, "%s", qpm_last_error());
    const double S[2] = {30000, 1800};
    for (size_t i = 0; i < NP - 1; i++) {
        double value, coin, gamma, s = S[UN[i]];
        amm_at(i, s, &value, &coin, &gamma);
        cr_assert_eq(v[i], value, "position %zu value %.17g vs %.17g", i, v[i], value);
        cr_assert_eq(dc[i], coin, "position %zu delta", i);
        cr_assert_eq(g[i], gamma, "position %zu gamma", i);
        cr_assert_eq(vc[i], value / s, "position %zu value_coin", i);
        cr_assert_eq(du[i], s * coin, "position %zu delta_usd", i);
        cr_assert_eq(ve[i], 0.0);
        cr_assert_eq(th[i], FEE[i] * value, "position %zu theta", i);
        cr_assert_eq(dx[i], coin, "position %zu delta_exchange", i);
    }
    /* below its range: all coin, no gamma; above: all USD, no delta */
    cr_assert(g[2] == 0.0 && dc[2] > 0.0);
    cr_assert(g[3] == 0.0 && dc[3] == 0.0 && v[3] > 0.0);
    /* underlying totals include them; the expiry total holds only the call */
    double tv[2], ev[1], tg[2];
    qpm_book_out t = {sizeof t, tv, NULL, NULL, NULL, tg, NULL, NULL, NULL};
    cr_assert_eq(qpm_book_underlying_greeks(b, &t), QPM_OK);
    cr_assert(fabs(tv[0] - (v[0] + v[1] + v[2] + v[3] + v[5])) <= 1e-9 * tv[0]);
    cr_assert_eq(tv[1], v[4]);
    cr_assert(fabs(tg[0] - (g[0] + g[1] + g[2] + g[3] + g[5])) <= 1e-12 * fabs(tg[0]));
    qpm_book_out e = {sizeof e, ev, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(qpm_book_expiry_greeks(b, &e), QPM_OK);
    cr_assert_eq(ev[0], v[5]);
    qpm_book_free(b);
}

/* The P&L of the AMM positions alone (the call removed) is the change of
 * each position's value at the moved spot, summed in book order; a zero
 * move gives exactly 0. */
Test(book_amm, pnl_is_the_revaluation)
{
    qpm_book *b = market(NULL);
    qpm_book_positions p = columns();
    cr_assert_eq(qpm_book_add_position_columns(b, NP - 1, &p), QPM_OK, "%s", qpm_last_error());
    const double moves[][2] = {{0, 0},     {-0.5, 0.1}, {-0.2, -0.3}, {0.05, 0.0},
                               {0.2, 0.5}, {0.4, -0.9}, {-0.9, 3.0},  {1e-12, 0}};
    size_t n = sizeof moves / sizeof moves[0];
    double pnl[8];
    cr_assert_eq(qpm_book_pnl(b, n, &moves[0][0], 2, NULL, 0, pnl), QPM_OK, "%s", qpm_last_error());
    const double S[2] = {30000, 1800};
    for (size_t k = 0; k < n; k++) {
        double want = 0.0, scale = 0.0;
        for (size_t i = 0; i < NP - 1; i++) {
            double v0, v1, c, g;
            amm_at(i, S[UN[i]], &v0, &c, &g);
            amm_at(i, S[UN[i]] * (1.0 + moves[k][UN[i]]), &v1, &c, &g);
            want += v1 - v0;
            scale += fabs(v0);
        }
        if (k == 0)
            cr_assert_eq(pnl[k], 0.0, "zero move: %.17g", pnl[k]);
        cr_assert(fabs(pnl[k] - want) <= 1e-14 * scale, "scenario %zu: %.17g vs %.17g", k, pnl[k],
                  want);
    }
    qpm_book_free(b);
}

/* The grid gives each cell what qpm_book_pnl gives the same move, and the
 * result is bit for bit the same for 1, 2 and 3 threads. */
Test(book_amm, grid_and_threads)
{
    double spot[41], vol[3] = {-0.3, 0.0, 0.5};
    for (int i = 0; i < 41; i++)
        spot[i] = -0.6 + 0.04 * i;
    double ref[123], got[123];
    for (int nt = 1; nt <= 3; nt++) {
        qpm_book *b = book_with_amm();
        cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, nt), QPM_OK);
        double *dst = nt == 1 ? ref : got, worst;
        size_t wi;
        cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 41, spot, 3, vol, dst, &worst, &wi),
                     QPM_OK, "%s", qpm_last_error());
        if (nt > 1)
            cr_assert_eq(memcmp(ref, got, sizeof ref), 0, "%d threads", nt);
        /* cell (i, j) against the P&L of the same move */
        for (int i = 0; i < 41; i += 8)
            for (int j = 0; j < 3; j++) {
                double x[2] = {spot[i], spot[i]}, v[2] = {vol[j], vol[j]}, one;
                cr_assert_eq(qpm_book_pnl(b, 1, x, 2, v, 2, &one), QPM_OK);
                cr_assert_eq(one, dst[i * 3 + j], "cell %d %d", i, j);
            }
        cr_assert_eq(dst[15 * 3 + 1], 0.0, "the zero cell");
        qpm_book_free(b);
    }
}

Test(book_amm, bad_fields_refused)
{
    qpm_book *b = market(NULL);
    struct {
        int field;
        double bad;
        qpm_status st;
        const char *msg;
    } cases[] = {
        {0, -1, QPM_E_INVALID,
         "position 1: quantity x multiplier = -1: the liquidity of an AMM position must be > 0"},
        {0, 0, QPM_E_INVALID,
         "position 1: quantity x multiplier = 0: the liquidity of an AMM position must be > 0"},
        {1, -0.1, QPM_E_INVALID, "position 1: fee_rate = -0.10000000000000001: must be >= 0"},
        {1, NAN, QPM_E_NONFINITE, "position 1: fee_rate = nan: must be finite"},
        {2, -5, QPM_E_INVALID, "position 1: price_lower = -5: must be >= 0"},
        {2, INF, QPM_E_NONFINITE, "position 1: price_lower = inf: must be finite"},
        {3, 25000, QPM_E_INVALID, "position 1: price_upper = 25000: must be > price_lower = 25000"},
        {3, 1000, QPM_E_INVALID, "position 1: price_upper = 1000: must be > price_lower = 25000"},
        {3, NAN, QPM_E_NONFINITE, "position 1: price_upper = nan: must be a number (+inf allowed)"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double *arr = cases[c].field == 0   ? Q
                      : cases[c].field == 1 ? FEE
                      : cases[c].field == 2 ? LO
                                            : HI;
        double keep = arr[1];
        arr[1] = cases[c].bad;
        qpm_book_positions p = columns();
        cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), cases[c].st, "case %zu", c);
        cr_assert_str_eq(qpm_last_error(), cases[c].msg, "case %zu", c);
        arr[1] = keep;
        size_t n = 99;
        cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
        cr_assert_eq(n, 0u, "case %zu: the book changed", c);
    }
    /* missing arrays */
    qpm_book_positions p = columns();
    p.fee_rate = NULL;
    cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "position 0: fee_rate is NULL");
    p = columns();
    p.price_upper = NULL;
    cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "position 1: price_upper is NULL");
    /* the stable entry point has no AMM fields */
    cr_assert_eq(qpm_book_add_positions(b, NP, IN, UN, EX, TY, K, Q, M, NULL, SG), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "position 0: fee_rate is NULL");
    /* an older caller's struct, without the AMM fields, cannot add them */
    p = columns();
    p.size = offsetof(qpm_book_positions, price_lower);
    cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "position 0: fee_rate is NULL");
    /* still usable: the good positions go in, clear and add again */
    p = columns();
    cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    cr_assert_eq(qpm_book_add_position_columns(b, 2, &p), QPM_OK);
    double pnl, x[2] = {0.1, 0.1};
    cr_assert_eq(qpm_book_pnl(b, 1, x, 2, NULL, 0, &pnl), QPM_OK);
    double v0, v1, c, g, w = 0.0;
    for (size_t i = 0; i < 2; i++) {
        amm_at(i, 30000, &v0, &c, &g);
        amm_at(i, 33000, &v1, &c, &g);
        w += v1 - v0;
    }
    cr_assert(fabs(pnl - w) <= 1e-9 * fabs(w), "%.17g vs %.17g", pnl, w);
    qpm_book_free(b);
}

/* Every allocation of adding AMM positions fails in turn: QPM_E_NOMEM, the
 * book unchanged and usable, nothing leaked. */
Test(book_amm, allocation_failure_at_every_step)
{
    for (long k = 0;; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, -1);
        qpm_book *b = market(&fa.alloc);
        qpm_book_positions p = columns();
        qt_failalloc_only(&fa, k);
        qpm_status st = qpm_book_add_position_columns(b, NP, &p);
        qt_failalloc_only(&fa, -1);
        size_t n = 99;
        cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
        if (st == QPM_OK) {
            cr_assert_eq(n, (size_t)NP);
            qpm_book_free(b);
            cr_assert_eq(fa.live, 0);
            cr_assert(k >= 2, "the add allocates: positions, AMM forms, options");
            break;
        }
        cr_assert_eq(st, QPM_E_NOMEM, "k = %ld: %d", k, (int)st);
        cr_assert_eq(n, 0u, "k = %ld", k);
        /* usable: the same add succeeds now */
        cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_OK, "k = %ld", k);
        double v[NP];
        qpm_book_out o = {sizeof o, v, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
        cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK);
        qpm_book_free(b);
        cr_assert_eq(fa.live, 0, "k = %ld: leak", k);
    }
}
