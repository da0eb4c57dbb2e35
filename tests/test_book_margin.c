/* book: the account view (experimental): collateral with haircuts, equity,
 * the standard margin model (futures and perps on notional, the exchange
 * rule for short options) against hand computations, and the liquidation
 * distance: a closed form for a perp against USD collateral, and for a
 * book with options the equity at the returned move equal to the
 * maintenance margin of the same book revalued there. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/book.h"
#include "support/testutil.h"

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

/* BTC at S (perp mark and forward in proportion) with a long linear perp,
 * a short inverse future, a short call, a long put and a short inverse put;
 * 20000 USD and 1 BTC (haircut 10%) of collateral. */
static qpm_book *account_vol(double S, double usd, double vf);

static qpm_book *account(double S, double usd)
{
    return account_vol(S, usd, 1.0);
}

/* the same with every option vol times vf */
static qpm_book *account_vol(double S, double usd, double vf)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", S, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, S * 1.001), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, S * 1.01, 0.25), QPM_OK);
    int32_t in[5] = {QPM_INSTR_LINEAR_PERP, QPM_INSTR_INVERSE_FUTURE, QPM_INSTR_LINEAR_OPTION,
                     QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION};
    size_t un[5] = {0, 0, 0, 0, 0};
    int32_t ex[5] = {0, 1, 1, 1, 1}, ty[5] = {0, 0, QPM_CALL, QPM_PUT, QPM_PUT};
    double K[5] = {NAN, NAN, 32000, 27000, 28000}, Q[5] = {2, -1000, -1, 0.5, -2};
    double m[5] = {1, 10, 1, 1, 1}, e[5] = {29000, 30500, NAN, NAN, NAN};
    double sg[5] = {NAN, NAN, 0.6 * vf, 0.7 * vf, 0.65 * vf};
    cr_assert_eq(qpm_book_add_positions(b, 5, in, un, ex, ty, K, Q, m, e, sg), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, usd, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 1.0, 0.1), QPM_OK);
    return b;
}

Test(book_margin, defaults)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    const int keys[5] = {QPM_BOOK_MARGIN_LINEAR_IM, QPM_BOOK_MARGIN_LINEAR_MM,
                         QPM_BOOK_MARGIN_OPTION_IM, QPM_BOOK_MARGIN_OPTION_IM_MIN,
                         QPM_BOOK_MARGIN_OPTION_MM};
    const double want[5] = {0.02, 0.01, 0.15, 0.10, 0.075};
    for (int k = 0; k < 5; k++) {
        double v;
        cr_assert_eq(qpm_book_get(b, (qpm_book_key)keys[k], &v), QPM_OK);
        cr_assert_eq(v, want[k]);
        cr_assert_eq(qpm_book_set(b, (qpm_book_key)keys[k], 1.5), QPM_E_RANGE);
    }
    double eq = 7, im = 7, mm = 7;
    cr_assert_eq(qpm_book_margin(b, &eq, &im, &mm, NULL, NULL), QPM_OK);
    cr_assert(eq == 0.0 && im == 0.0 && mm == 0.0);
    qpm_book_free(b);
}

Test(book_margin, standard_model_by_hand)
{
    double S = 30000;
    qpm_book *b = account(S, 20000);
    double v[5];
    qpm_book_out o = {sizeof o, v, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK);
    double eq, im, mm, pim[5], pmm[5];
    cr_assert_eq(qpm_book_margin(b, &eq, &im, &mm, pim, pmm), QPM_OK, "%s", qpm_last_error());
    double P = S * 1.001;
    double wim[5], wmm[5];
    wim[0] = 0.02 * 2 * P, wmm[0] = 0.01 * 2 * P;
    wim[1] = 0.02 * 10000, wmm[1] = 0.01 * 10000;
    double mark2 = v[2] / -1.0, mark4 = v[4] / -2.0; /* USD value per coin */
    /* the call is 2000 out of the money: max(0.15 - 2000/30000, 0.10) = 0.10 */
    wim[2] = 1 * (0.10 * S + mark2), wmm[2] = 1 * (0.075 * S + mark2);
    wim[3] = wmm[3] = 0.0; /* long */
    /* the put at 28000 is 2000 out of the money too */
    wim[4] = 2 * (0.10 * S + mark4), wmm[4] = 2 * (0.075 * S + mark4);
    double sim = 0, smm = 0, sv = 0;
    for (int i = 0; i < 5; i++) {
        cr_assert(rel(pim[i], wim[i]) <= 1e-14 || (pim[i] == 0 && wim[i] == 0),
                  "IM %d: %.17g vs %.17g", i, pim[i], wim[i]);
        cr_assert(rel(pmm[i], wmm[i]) <= 1e-14 || (pmm[i] == 0 && wmm[i] == 0),
                  "MM %d: %.17g vs %.17g", i, pmm[i], wmm[i]);
        sim += wim[i], smm += wmm[i], sv += v[i];
    }
    cr_assert(rel(im, sim) <= 1e-14 && rel(mm, smm) <= 1e-14);
    cr_assert(rel(eq, 20000 + 0.9 * S + sv) <= 1e-14, "equity %.17g", eq);
    /* with the minimum lowered to 0.05 the call's rate is 0.15 - 2000/S */
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_MARGIN_OPTION_IM_MIN, 0.05), QPM_OK);
    cr_assert_eq(qpm_book_margin(b, NULL, NULL, NULL, pim, NULL), QPM_OK);
    cr_assert(rel(pim[2], (0.15 - 2000.0 / S) * S + mark2) <= 1e-14, "%.17g", pim[2]);
    qpm_book_free(b);
}

/* A long perp (2 coins, entry e) against USD collateral C alone:
 * C + 2 (P (1 + x) - e) = 0.01 x 2 P (1 + x) at x = (2 e - C)/(1.98 P) - 1. */
Test(book_margin, liquidation_closed_form)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.0, NULL), QPM_OK);
    double P = 30030, e = 30000, C = 5000;
    cr_assert_eq(qpm_book_set_perp(b, 0, P), QPM_OK);
    int32_t in = QPM_INSTR_LINEAR_PERP;
    size_t un = 0;
    double Q = 2, m = 1;
    cr_assert_eq(qpm_book_add_positions(b, 1, &in, &un, NULL, NULL, NULL, &Q, &m, &e, NULL),
                 QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, C, 0.0), QPM_OK);
    double down, up;
    cr_assert_eq(qpm_book_liquidation(b, 0, &down, &up), QPM_OK, "%s", qpm_last_error());
    double want = (2 * e - C) / (1.98 * P) - 1;
    cr_assert(fabs(down - want) <= 1e-11, "down %.17g want %.17g", down, want);
    cr_assert(isinf(up) && up > 0, "a long perp is not liquidated by a rise: %g", up);
    /* funding is not equity: a funding horizon changes nothing */
    double d2;
    cr_assert_eq(qpm_book_set_funding(b, 0, 0.01, 0.01), QPM_OK);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, 240), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(b, 0, &d2, NULL), QPM_OK);
    cr_assert_eq(d2, down);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, 0), QPM_OK);
    /* short it: liquidated by a rise, C - 2 (P (1 + x) - e) = 0.02 P (1 + x) */
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    Q = -2;
    cr_assert_eq(qpm_book_add_positions(b, 1, &in, &un, NULL, NULL, NULL, &Q, &m, &e, NULL),
                 QPM_OK);
    cr_assert_eq(qpm_book_liquidation(b, 0, &down, &up), QPM_OK);
    cr_assert(fabs(up - ((C + 2 * e) / (2.02 * P) - 1)) <= 1e-11, "up %.17g", up);
    cr_assert_eq(down, -1.0);
    /* already below maintenance: both 0 */
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 0, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 40000), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(b, 0, &down, &up), QPM_OK);
    cr_assert(down == 0.0 && up == 0.0);
    qpm_book_free(b);
}

/* With options (repriced in the moved market) and coin collateral: the
 * same account revalued at the returned move has equity equal to its
 * maintenance margin. */
Test(book_margin, liquidation_confirmed_by_revaluation)
{
    double S = 30000;
    qpm_book *b = account(S, 2000);
    double down, up;
    cr_assert_eq(qpm_book_liquidation(b, 0, &down, &up), QPM_OK, "%s", qpm_last_error());
    cr_assert(down > -1.0 && down < 0.0, "down %g", down);
    cr_assert(isinf(up), "up %g: the account is net long", up);
    const double moves[2] = {down, up};
    for (int k = 0; k < 2; k++) {
        if (!isfinite(moves[k]) || moves[k] <= -1.0)
            continue;
        qpm_book *c = account(S * (1 + moves[k]), 2000);
        double eq, mm;
        cr_assert_eq(qpm_book_margin(c, &eq, NULL, &mm, NULL, NULL), QPM_OK);
        cr_assert(fabs(eq - mm) <= 1e-6 * mm, "move %.17g: equity %.17g, maintenance %.17g",
                  moves[k], eq, mm);
        qpm_book_free(c);
    }
    qpm_book_free(b);
}

Test(book_margin, bad_input)
{
    qpm_book *b = account(30000, 1000);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 1, 1.0, 0.0), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "asset = 1: must be < 1 (the number of underlyings) or QPM_BOOK_USD");
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, -1.0, 0.0), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 1.0, 1.0), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "haircut = 1: must be in [0, 1)");
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, (double)NAN, 0.0),
                 QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_set_collateral(NULL, QPM_BOOK_NO_VENUE, 0, 1.0, 0.0), QPM_E_NULL);
    double d = 7, u = 7;
    cr_assert_eq(qpm_book_liquidation(b, 3, &d, &u), QPM_E_INVALID);
    cr_assert(d == 7 && u == 7);
    cr_assert_eq(qpm_book_margin(NULL, NULL, NULL, NULL, NULL, NULL), QPM_E_NULL);
    qpm_book_free(b);
}

/* The margin grid: each cell is the account revalued in that market (a
 * book built there gives the same equity and margin), its equity change
 * is the grid's P&L plus the coin collateral's, and the zero cell is
 * qpm_book_margin. */
Test(book_margin, margin_grid)
{
    double S = 30000;
    qpm_book *b = account(S, 20000);
    double xs[4] = {-0.3, -0.1, 0.0, 0.2}, vs[3] = {-0.2, 0.0, 0.5}, eq[12], mm[12], pnl[12];
    cr_assert_eq(qpm_book_margin_grid(b, QPM_BOOK_ALL, 4, xs, 3, vs, eq, mm), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 4, xs, 3, vs, pnl, NULL, NULL), QPM_OK);
    double e0, m0;
    cr_assert_eq(qpm_book_margin(b, &e0, NULL, &m0, NULL, NULL), QPM_OK);
    cr_assert(rel(eq[2 * 3 + 1], e0) <= 1e-13 && rel(mm[2 * 3 + 1], m0) <= 1e-13, "zero cell");
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            int k = i * 3 + j;
            double want = e0 + pnl[k] + 1.0 * S * xs[i] * 0.9;
            cr_assert(fabs(eq[k] - want) <= 1e-10 * fabs(e0), "cell %d: equity %.17g vs %.17g", k,
                      eq[k], want);
            qpm_book *c = account_vol(S * (1 + xs[i]), 20000, 1 + vs[j]);
            double e1, m1;
            cr_assert_eq(qpm_book_margin(c, &e1, NULL, &m1, NULL, NULL), QPM_OK);
            cr_assert(rel(eq[k], e1) <= 1e-11, "cell %d: equity %.17g vs rebuilt %.17g", k, eq[k],
                      e1);
            cr_assert(rel(mm[k], m1) <= 1e-11, "cell %d: margin %.17g vs rebuilt %.17g", k, mm[k],
                      m1);
            qpm_book_free(c);
        }
    /* errors leave the outputs untouched */
    double keep[2] = {7, 7}, badx = -1.0;
    cr_assert_eq(qpm_book_margin_grid(b, QPM_BOOK_ALL, 1, &badx, 1, NULL, keep, keep + 1),
                 QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "spot shift 0 = -1: must be > -1");
    cr_assert_eq(qpm_book_margin_grid(b, 5, 1, xs, 1, NULL, keep, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_book_margin_grid(b, 0, 1, xs, 2, NULL, keep, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_margin_grid(b, 0, 0, xs, 1, NULL, keep, NULL), QPM_E_SIZE);
    double nan = (double)NAN;
    cr_assert_eq(qpm_book_margin_grid(b, 0, 1, xs, 1, &nan, keep, NULL), QPM_E_NONFINITE);
    cr_assert(keep[0] == 7 && keep[1] == 7);
    qpm_book_free(b);
}

/* Portfolio margin: a long perp's worst loss is its delta times the
 * largest move down, in the matrix or, dampened, in the extended moves;
 * with options, the worst cell of the grid the test computes itself; the
 * account's margin sums its underlyings'. */
Test(book_margin, portfolio_margin)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 2000, 0.0, NULL), QPM_OK);
    double P = 30030;
    cr_assert_eq(qpm_book_set_perp(b, 0, P), QPM_OK);
    int32_t in = QPM_INSTR_LINEAR_PERP;
    size_t un = 0;
    double Q = 2, m = 1, e = 30000;
    cr_assert_eq(qpm_book_add_positions(b, 1, &in, &un, NULL, NULL, NULL, &Q, &m, &e, NULL),
                 QPM_OK);
    double im, mm, per[2];
    cr_assert_eq(qpm_book_portfolio_margin(b, &im, &mm, per), QPM_OK, "%s", qpm_last_error());
    /* matrix: 2 P 0.15; extended: 0.3 x 2 P 0.5: the same */
    cr_assert(rel(im, 0.3 * P) <= 1e-14, "%.17g", im);
    cr_assert(rel(mm, 0.8 * im) <= 1e-15);
    cr_assert(per[0] == im && per[1] == 0.0);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_PM_DAMPENER, 0.5), QPM_OK);
    cr_assert_eq(qpm_book_portfolio_margin(b, &im, NULL, NULL), QPM_OK);
    cr_assert(rel(im, 0.5 * P) <= 1e-14, "extended binds: %.17g", im);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_PM_DAMPENER, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_PM_SPOT_RANGE, 0.2), QPM_OK);
    cr_assert_eq(qpm_book_portfolio_margin(b, &im, NULL, NULL), QPM_OK);
    cr_assert(rel(im, 2 * P * 0.2) <= 1e-14, "range 20%%: %.17g", im);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_PM_SPOT_STEPS, 1), QPM_E_RANGE);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_PM_SPOT_RANGE, 1.0), QPM_E_RANGE);
    qpm_book_free(b);

    /* with options: the worst cell of the matrix, each underlying alone */
    b = account(30000, 20000);
    cr_assert_eq(qpm_book_portfolio_margin(b, &im, &mm, per), QPM_OK);
    double xs[13], vs[3] = {-0.25, 0.0, 0.5}, pnl[39], ext[2] = {-0.5, 0.5}, pe[2];
    for (int i = 0; i < 13; i++)
        xs[i] = -0.15 + 0.3 * i / 12.0;
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 13, xs, 3, vs, pnl, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_scenario_grid(b, 0, 2, ext, 1, NULL, pe, NULL, NULL), QPM_OK);
    double worst = 0.0;
    for (int k = 0; k < 39; k++)
        worst = fmax(worst, -pnl[k]);
    worst = fmax(worst, 0.3 * fmax(-pe[0], -pe[1]));
    cr_assert(worst > 0.0);
    cr_assert(rel(im, worst) <= 1e-14, "%.17g vs %.17g", im, worst);
    cr_assert_eq(per[0], im);
    double keep = 7;
    qpm_book *empty;
    cr_assert_eq(qpm_book_create(&empty, NULL), QPM_OK);
    cr_assert_eq(qpm_book_portfolio_margin(empty, &keep, NULL, NULL), QPM_E_STATE);
    cr_assert_eq(keep, 7.0);
    qpm_book_free(empty);
    qpm_book_free(b);
}

/* Every coin moving together: two long perps with betas 1 and 2 against
 * USD: equity - maintenance is linear in the move, A + B x; one underlying
 * with beta 1 is qpm_book_liquidation; zero betas move nothing.  Then the
 * leverage of the same account. */
Test(book_margin, joint_liquidation_and_leverage)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 2000, 0.0, NULL), QPM_OK);
    double P1 = 30030, P2 = 2002, e1 = 30000, e2 = 2000, C = 10000;
    cr_assert_eq(qpm_book_set_perp(b, 0, P1), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 1, P2), QPM_OK);
    int32_t in[2] = {QPM_INSTR_LINEAR_PERP, QPM_INSTR_LINEAR_PERP};
    size_t un[2] = {0, 1};
    double Q[2] = {2, 30}, m[2] = {1, 1}, e[2] = {e1, e2};
    cr_assert_eq(qpm_book_add_positions(b, 2, in, un, NULL, NULL, NULL, Q, m, e, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, C, 0.0), QPM_OK);
    double betas[2] = {1.0, 2.0}, down, up;
    cr_assert_eq(qpm_book_liquidation_joint(b, betas, &down, &up), QPM_OK, "%s", qpm_last_error());
    double A = C + 2 * (P1 - e1) + 30 * (P2 - e2) - 0.01 * (2 * P1 + 30 * P2);
    double B = 2 * P1 + 60 * P2 - 0.01 * (2 * P1 + 60 * P2);
    cr_assert(fabs(down - (-A / B)) <= 1e-11, "down %.17g want %.17g", down, -A / B);
    cr_assert(isinf(up) && up > 0);
    /* zero betas: nothing moves, nothing is liquidated */
    double zero[2] = {0, 0};
    cr_assert_eq(qpm_book_liquidation_joint(b, zero, &down, &up), QPM_OK);
    cr_assert(down == -1.0 && isinf(up));
    /* one underlying moving alone is qpm_book_liquidation */
    double only[2] = {1, 0}, d1;
    cr_assert_eq(qpm_book_liquidation_joint(b, only, &down, NULL), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(b, 0, &d1, NULL), QPM_OK);
    cr_assert(fabs(down - d1) <= 1e-11, "%.17g vs %.17g", down, d1);
    /* leverage: notional 2 P1 + 30 P2, delta the same (linear perps) */
    double gross, net, gn, nd;
    cr_assert_eq(qpm_book_leverage(b, &gross, &net, &gn, &nd), QPM_OK, "%s", qpm_last_error());
    double eq = C + 2 * (P1 - e1) + 30 * (P2 - e2);
    cr_assert(rel(gn, 2 * P1 + 30 * P2) <= 1e-15 && rel(gross, gn / eq) <= 1e-15);
    cr_assert(rel(nd, 2 * P1 + 30 * P2) <= 1e-15 && rel(net, nd / eq) <= 1e-15);
    /* coin collateral adds to the net exposure, not to the notional */
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 1.0, 0.2), QPM_OK);
    cr_assert_eq(qpm_book_leverage(b, NULL, NULL, &gn, &nd), QPM_OK);
    cr_assert(rel(nd, 2 * P1 + 30 * P2 + 30000) <= 1e-15);
    cr_assert(rel(gn, 2 * P1 + 30 * P2) <= 1e-15);
    /* errors */
    double nanb[2] = {1, NAN}, keep = 7;
    cr_assert_eq(qpm_book_liquidation_joint(b, nanb, &keep, NULL), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_liquidation_joint(b, NULL, &keep, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 0.0, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 0.0, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 20000), QPM_OK);
    cr_assert_eq(qpm_book_leverage(b, &keep, NULL, NULL, NULL), QPM_E_STATE);
    cr_assert_eq(keep, 7.0);
    qpm_book_free(b);
}
