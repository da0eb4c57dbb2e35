/* book: reproducers of the bad-input tour, fuzzing and UBSan.  Books without
 * options, products of quantities, multipliers and prices beyond the double
 * range, totals and scenario P&L that overflow. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "qpm/book.h"
#include "support/testutil.h"

static qpm_book *one_underlying(double spot)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", spot, 0.01, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, spot * 1.01, 0.25), QPM_OK);
    return b;
}

static qpm_status add_one(qpm_book *b, int32_t ins, double q, double m, double e)
{
    size_t und = 0;
    int32_t ex = 0, ty = QPM_CALL;
    double k = 100.0, sg = 0.5;
    return qpm_book_add_positions(b, 1, &ins, &und, &ex, &ty, &k, &q, &m, &e, &sg);
}

/* UBSan: the P&L loop added 0 to the NULL option-price buffer of a book
 * without options (fails under the sanitized build before the fix). */
Test(book_edge, pnl_of_a_book_without_options)
{
    qpm_book *b = one_underlying(100.0);
    cr_assert_eq(add_one(b, QPM_INSTR_SPOT, 2.0, 1.0, (double)NAN), QPM_OK);
    cr_assert_eq(add_one(b, QPM_INSTR_LINEAR_FUTURE, -1.0, 1.0, 95.0), QPM_OK);
    double x[3] = {0.0, 0.1, -0.2}, pnl[3];
    cr_assert_eq(qpm_book_pnl(b, 3, x, 1, NULL, 1, pnl), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(pnl[0], 0.0);
    double slope = 2.0 * 100.0 - 1.0 * 101.0;
    cr_assert(fabs(pnl[1] - 0.1 * slope) <= 1e-12 && fabs(pnl[2] + 0.2 * slope) <= 1e-12);
    double grid[2], worst;
    size_t wi;
    double sh[2] = {0.05, -0.05};
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 2, sh, 1, NULL, grid, &worst, &wi), QPM_OK);
    cr_assert_eq(wi, 1u);
    qpm_book_free(b);
}

/* quantity x multiplier beyond DBL_MAX. */
Test(book_edge, quantity_times_multiplier_overflow)
{
    qpm_book *b = one_underlying(100.0);
    cr_assert_eq(add_one(b, QPM_INSTR_SPOT, 1e200, 1e200, (double)NAN), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "position 0") != NULL, "%s", qpm_last_error());
    size_t n = 9;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    qpm_book_free(b);
}

/* An inverse future entered at DBL_MIN: Q m S / e overflows, so the book's
 * values, Greeks and P&L were Inf or NaN with QPM_OK. */
Test(book_edge, values_beyond_the_double_range_are_refused)
{
    qpm_book *b = one_underlying(60000.0);
    cr_assert_eq(add_one(b, QPM_INSTR_INVERSE_FUTURE, 1.0, 100.0, DBL_MIN), QPM_OK);
    double v[1] = {-1.0};
    qpm_book_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    out.value_usd = v;
    cr_assert_eq(qpm_book_position_greeks(b, &out), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "underlying 0") != NULL ||
                  strstr(qpm_last_error(), "position 0") != NULL,
              "%s", qpm_last_error());
    cr_assert_eq(v[0], -1.0);
    cr_assert_eq(qpm_book_underlying_greeks(b, &out), QPM_E_OVERFLOW);
    double x[2] = {0.0, 0.01}, pnl[2] = {5.0, 5.0};
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, NULL, 1, pnl), QPM_E_OVERFLOW);
    cr_assert(pnl[0] == 5.0 && pnl[1] == 5.0);
    /* clearing the position makes the book usable again */
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    cr_assert_eq(add_one(b, QPM_INSTR_INVERSE_FUTURE, 1.0, 100.0, 59000.0), QPM_OK);
    cr_assert_eq(qpm_book_position_greeks(b, &out), QPM_OK, "%s", qpm_last_error());
    cr_assert(isfinite(v[0]));
    /* a spot that makes a coin value (value / S) overflow: set later,
     * caught then */
    cr_assert_eq(add_one(b, QPM_INSTR_LINEAR_FUTURE, 1.0, 100.0, 59000.0), QPM_OK);
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, NULL, 1, pnl), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_set_spot(b, 0, 1e-305), QPM_OK);
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, NULL, 1, pnl), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "position 1") != NULL, "%s", qpm_last_error());
    qpm_book_free(b);
}

/* Finite positions whose total overflows; the per-position rows are fine. */
Test(book_edge, totals_beyond_the_double_range_are_refused)
{
    qpm_book *b = one_underlying(1e10);
    cr_assert_eq(add_one(b, QPM_INSTR_SPOT, 1e298, 1.0, (double)NAN), QPM_OK);
    cr_assert_eq(add_one(b, QPM_INSTR_SPOT, 1e298, 1.0, (double)NAN), QPM_OK);
    double v[2] = {-1.0, -1.0}, d[2] = {-1.0, -1.0};
    qpm_book_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    out.value_usd = v;
    cr_assert_eq(qpm_book_position_greeks(b, &out), QPM_OK, "%s", qpm_last_error());
    cr_assert(v[0] == 1e308 && v[1] == 1e308);
    v[0] = -1.0;
    cr_assert_eq(qpm_book_underlying_greeks(b, &out), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "value_usd") != NULL, "%s", qpm_last_error());
    cr_assert_eq(v[0], -1.0);
    /* the coin delta total (2e298) is fine on its own */
    out.value_usd = NULL;
    out.delta_coin = d;
    cr_assert_eq(qpm_book_underlying_greeks(b, &out), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(d[0], 2e298);
    /* their P&L per unit move (2e308) overflows */
    double x[2] = {0.0, 1e-10}, pnl[2];
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, NULL, 1, pnl), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "underlying 0") != NULL, "%s", qpm_last_error());
    qpm_book_free(b);
    /* a scenario P&L beyond DBL_MAX: value 1e300 moved by x = 1e10 */
    b = one_underlying(1e10);
    cr_assert_eq(add_one(b, QPM_INSTR_SPOT, 1e290, 1.0, (double)NAN), QPM_OK);
    x[1] = 1e10;
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, NULL, 1, pnl), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "scenario 1") != NULL, "%s", qpm_last_error());
    x[1] = 1.0;
    cr_assert_eq(qpm_book_pnl(b, 2, x, 1, NULL, 1, pnl), QPM_OK);
    cr_assert_eq(pnl[1], 1e300);
    qpm_book_free(b);
}

/* An option whose Black-76 gamma is beyond the double range (forward and
 * strike 1e-300, sigma sqrt(T) = 1e-10): the position's Greeks were Inf
 * with QPM_OK. */
Test(book_edge, option_greeks_beyond_the_double_range)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "DUST", 1e-300, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 1e-300, 1e-10), QPM_OK);
    int32_t ins = QPM_INSTR_LINEAR_OPTION, ex = 0, ty = QPM_CALL;
    size_t und = 0;
    double k = 1e-300, q = 1.0, m = 1.0, sg = 1e-5;
    cr_assert_eq(qpm_book_add_positions(b, 1, &ins, &und, &ex, &ty, &k, &q, &m, NULL, &sg),
                 QPM_OK);
    double g = -1.0;
    qpm_book_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    out.gamma = &g;
    cr_assert_eq(qpm_book_position_greeks(b, &out), QPM_E_OVERFLOW);
    cr_assert(strstr(qpm_last_error(), "gamma") != NULL, "%s", qpm_last_error());
    cr_assert_eq(g, -1.0);
    qpm_book_free(b);
}

/* An inverse future at prices near 1e200: e F overflowed, so (F - e)/(e F)
 * and the position's value came out 0 (finite, silently wrong). */
Test(book_edge, inverse_future_at_huge_prices)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BIG", 2e200, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 2e200, 0.5), QPM_OK);
    cr_assert_eq(add_one(b, QPM_INSTR_INVERSE_FUTURE, 3.0, 10.0, 1e200), QPM_OK);
    double vc = 0.0, vu = 0.0;
    qpm_book_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    out.value_coin = &vc;
    out.value_usd = &vu;
    cr_assert_eq(qpm_book_position_greeks(b, &out), QPM_OK, "%s", qpm_last_error());
    /* Q m (1/e - 1/F) = 30 x 5e-201 coin, times S = 2e200 USD */
    cr_assert(fabs(vc - 1.5e-199) <= 1e-14 * 1.5e-199, "value_coin %g", vc);
    cr_assert(fabs(vu - 30.0) <= 1e-13, "value_usd %.17g", vu);
    qpm_book_free(b);
}
