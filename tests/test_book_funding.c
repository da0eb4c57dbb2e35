/* carry.h and the book's funding: the exchange funding formula (dampener,
 * cap), the annualised carry of receiving funding, the basis of futures
 * (simple, continuous, net cash-and-carry), each against its closed form
 * and with every bad input; the book's funding per position and per
 * underlying over a horizon (current rate for 8 hours, expected after),
 * and the funding horizon of the scenario P&L (QPM_BOOK_FUNDING_HOURS),
 * which moves with a linear perp's mark and not with an inverse perp's. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/carry.h"
#include "support/testutil.h"

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

Test(carry, funding_rate_formula)
{
    const double c[][5] = {
        /* premium, interest, dampener, cap, rate */
        {0.0003, 0.0001, 0.0005, 0.0075, 0.0001},  /* within the dampener: the interest */
        {0.002, 0.0001, 0.0005, 0.0075, 0.0015},   /* premium less the dampener */
        {0.02, 0.0001, 0.0005, 0.0075, 0.0075},    /* capped */
        {-0.001, 0.0001, 0.0005, 0.0075, -0.0005}, /* negative: premium plus the dampener */
        {-0.05, 0.0001, 0.0005, 0.0075, -0.0075},  /* capped below */
        {0.0004, 0.0001, 0.0, 0.0075, 0.0004},     /* no dampener: the premium */
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        double r = 99;
        cr_assert_eq(qpm_funding_rate(c[k][0], c[k][1], c[k][2], c[k][3], &r), QPM_OK);
        /* exact where a branch returns an input (the interest, the cap) */
        if (k == 0 || k == 2 || k == 4)
            cr_assert_eq(r, c[k][4], "case %zu: %.17g want %.17g", k, r, c[k][4]);
        cr_assert(fabs(r - c[k][4]) <= 1e-18, "case %zu: %.17g want %.17g", k, r, c[k][4]);
    }
    double r = 99;
    cr_assert_eq(qpm_funding_rate(0.001, 0.0001, -1e-4, 0.0075, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "dampener = -0.0001: must be >= 0");
    cr_assert_eq(qpm_funding_rate(0.001, 0.0001, 5e-4, 0, &r), QPM_E_INVALID);
    cr_assert_eq(qpm_funding_rate((double)NAN, 0.0001, 5e-4, 0.01, &r), QPM_E_NONFINITE);
    cr_assert_eq(qpm_funding_rate(2.0, 0.0001, 5e-4, 0.01, &r), QPM_E_INVALID);
    cr_assert_eq(qpm_funding_rate(0.001, 0.0001, 5e-4, 0.01, NULL), QPM_E_NULL);
    cr_assert_eq(r, 99.0);
}

Test(carry, funding_carry)
{
    double s, c;
    cr_assert_eq(qpm_funding_carry(0.0001, 30, 0.0, &s, &c), QPM_OK);
    double R = pow(1.0001, 90.0) - 1.0;
    cr_assert(rel(s, R * 365.0 / 30.0) <= 1e-12, "%.17g", s);
    cr_assert(rel(c, pow(1.0 + R, 365.0 / 30.0) - 1.0) <= 1e-12, "%.17g", c);
    /* a round-trip cost of 0.2% over 30 days */
    cr_assert_eq(qpm_funding_carry(0.0001, 30, 0.002, &s, NULL), QPM_OK);
    cr_assert(rel(s, (R - 0.002) * 365.0 / 30.0) <= 1e-12);
    /* tiny rates keep their digits: 3 days r to first order */
    cr_assert_eq(qpm_funding_carry(1e-12, 1, 0.0, &s, NULL), QPM_OK);
    cr_assert(rel(s, 3e-12 * 365.0) <= 1e-9, "%.17g", s);
    /* negative funding, a loss beyond everything */
    cr_assert_eq(qpm_funding_carry(-0.5, 10, 0.5, &s, &c), QPM_OK);
    cr_assert_eq(c, -1.0);
    double keep = 7;
    cr_assert_eq(qpm_funding_carry(1.0, 30, 0, &keep, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "rate = 1: must be within (-1, 1) (per 8 hours)");
    cr_assert_eq(qpm_funding_carry(0.0001, 0, 0, &keep, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_funding_carry(0.0001, 30, 1.0, &keep, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "cost = 1: must be in [0, 1)");
    cr_assert_eq(qpm_funding_carry(0.0001, (double)INFINITY, 0, &keep, NULL), QPM_E_NONFINITE);
    cr_assert_eq(qpm_funding_carry(0.9, 1e6, 0, &keep, NULL), QPM_E_OVERFLOW);
    cr_assert_eq(keep, 7.0);
}

Test(carry, basis)
{
    double S = 30000, F[3] = {30100, 30500, 32000}, T[3] = {7 / 365.0, 30 / 365.0, 0.5};
    double s[3], c[3], k[3];
    cr_assert_eq(qpm_basis(3, S, F, T, 0.001, s, c, k), QPM_OK);
    for (int i = 0; i < 3; i++) {
        /* (F - S)/S is exact-ish; F/S - 1 would lose digits to cancellation */
        cr_assert(rel(s[i], (F[i] - S) / S / T[i]) <= 1e-15, "simple %d", i);
        cr_assert(rel(c[i], log(F[i] / S) / T[i]) <= 1e-14, "continuous %d", i);
        cr_assert(rel(k[i], ((F[i] - S) / S - 0.001) / T[i]) <= 1e-14, "carry %d", i);
        cr_assert(c[i] < s[i], "continuous below simple for F > S");
    }
    /* a future at the spot has zero basis, exactly */
    double at = S, z[1];
    cr_assert_eq(qpm_basis(1, S, &at, &T[0], 0, z, NULL, NULL), QPM_OK);
    cr_assert_eq(z[0], 0.0);
    /* bad input leaves every output untouched */
    double out[3] = {7, 7, 7}, badF[3] = {30100, -1, 32000}, badT[3] = {0.1, 0.1, 0};
    cr_assert_eq(qpm_basis(3, S, badF, T, 0, out, NULL, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "future[1] = -1: must be > 0");
    cr_assert_eq(qpm_basis(3, S, F, badT, 0, out, NULL, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "T[2] = 0: must be > 0");
    cr_assert_eq(qpm_basis(3, 0, F, T, 0, out, NULL, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_basis(3, S, F, T, -0.1, out, NULL, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_basis(0, S, F, T, 0, out, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_basis(3, S, NULL, T, 0, out, NULL, NULL), QPM_E_NULL);
    double tiny[1] = {1e-309}, twice[1] = {2 * S};
    cr_assert_eq(qpm_basis(1, S, twice, tiny, 0, out, NULL, NULL), QPM_E_OVERFLOW);
    cr_assert(out[0] == 7 && out[1] == 7 && out[2] == 7);
}

/* BTC (S 30000, perp mark 30030) with a linear perp (long 2 coins), an
 * inverse perp (short 10000 USD) and a call; ETH with a linear perp. */
static qpm_book *funded_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 1800, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 30030), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 1, 1801), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 30300, 0.25), QPM_OK);
    int32_t in[4] = {QPM_INSTR_LINEAR_PERP, QPM_INSTR_INVERSE_PERP, QPM_INSTR_LINEAR_OPTION,
                     QPM_INSTR_LINEAR_PERP};
    size_t un[4] = {0, 0, 0, 1};
    int32_t ex[4] = {0, 0, 1, 0}, ty[4] = {0, 0, QPM_CALL, 0};
    double K[4] = {NAN, NAN, 32000, NAN}, Q[4] = {2, -1000, 1, -5}, m[4] = {1, 10, 1, 1};
    double e[4] = {29000, 31000, NAN, 1750}, sg[4] = {NAN, NAN, 0.6, NAN};
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, K, Q, m, e, sg), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_set_funding(b, 0, 0.0001, 0.0003), QPM_OK);
    cr_assert_eq(qpm_book_set_funding(b, 1, -0.0002, -0.0002), QPM_OK);
    return b;
}

Test(book_funding, per_position_and_underlying)
{
    qpm_book *b = funded_book();
    double pos[4], und[2];
    /* one day: 8 hours at the current rate, 16 at the expected one */
    cr_assert_eq(qpm_book_funding(b, 24, pos, und), QPM_OK, "%s", qpm_last_error());
    double a0 = (0.0001 * 8 + 0.0003 * 16) / 8, a1 = -0.0002 * 3;
    cr_assert(rel(pos[0], -2 * 30030 * a0) <= 1e-15, "%.17g", pos[0]);
    cr_assert(rel(pos[1], 10000 * (30000.0 / 30030.0) * a0) <= 1e-15, "%.17g", pos[1]);
    cr_assert_eq(pos[2], 0.0);
    cr_assert(rel(pos[3], 5 * 1801 * a1) <= 1e-15, "%.17g", pos[3]);
    cr_assert_eq(und[0], pos[0] + pos[1]);
    cr_assert_eq(und[1], pos[3]);
    /* within the first 8 hours only the current rate counts */
    cr_assert_eq(qpm_book_funding(b, 4, pos, NULL), QPM_OK);
    cr_assert(rel(pos[0], -2 * 30030 * 0.0001 * 0.5) <= 1e-15);
    cr_assert_eq(qpm_book_funding(b, 0, pos, und), QPM_OK);
    cr_assert(pos[0] == 0.0 && und[0] == 0.0);
    /* errors */
    double keep[4] = {7, 7, 7, 7};
    cr_assert_eq(qpm_book_funding(b, -1, keep, NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "hours = -1: must be >= 0");
    cr_assert_eq(qpm_book_funding(b, (double)NAN, keep, NULL), QPM_E_NONFINITE);
    cr_assert_eq(qpm_book_funding(NULL, 1, keep, NULL), QPM_E_NULL);
    cr_assert(keep[0] == 7 && keep[3] == 7);
    cr_assert_eq(qpm_book_set_funding(b, 2, 0, 0), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_funding(b, 0, 1.5, 0), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "current = 1.5: a funding rate per 8 hours must be within [-1, 1]");
    cr_assert_eq(qpm_book_set_funding(b, 0, 0, (double)NAN), QPM_E_NONFINITE);
    /* the failed calls changed nothing */
    cr_assert_eq(qpm_book_funding(b, 24, pos, NULL), QPM_OK);
    cr_assert(rel(pos[0], -2 * 30030 * a0) <= 1e-15);
    qpm_book_free(b);
}

/* With a funding horizon the P&L of a move x adds the funding over it in
 * the moved market: a linear perp's notional moves with its mark, an
 * inverse perp's USD value of its coin payments does not. */
Test(book_funding, pnl_horizon)
{
    qpm_book *b = funded_book();
    double lo, hi, v;
    cr_assert_eq(qpm_book_bounds(QPM_BOOK_FUNDING_HOURS, &lo, &hi), QPM_OK);
    cr_assert(lo == 0.0 && hi == 87600.0);
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_FUNDING_HOURS, &v), QPM_OK);
    cr_assert_eq(v, 0.0);
    double x[3][2] = {{0, 0}, {0.1, -0.2}, {-0.3, 0.05}}, p0[3], p1[3];
    cr_assert_eq(qpm_book_pnl(b, 3, &x[0][0], 2, NULL, 0, p0), QPM_OK);
    cr_assert_eq(p0[0], 0.0);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, 24), QPM_OK);
    cr_assert_eq(qpm_book_pnl(b, 3, &x[0][0], 2, NULL, 0, p1), QPM_OK);
    double pos[4];
    cr_assert_eq(qpm_book_funding(b, 24, pos, NULL), QPM_OK);
    for (int k = 0; k < 3; k++) {
        double want = pos[0] * (1 + x[k][0]) + pos[1] + pos[3] * (1 + x[k][1]);
        cr_assert(fabs((p1[k] - p0[k]) - want) <= 1e-9 * (fabs(want) + 1),
                  "scenario %d: %.17g vs %.17g", k, p1[k] - p0[k], want);
    }
    /* the grid sees it too, and the setting off gives the old bits */
    double g[1], sh = 0.0;
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 1, &sh, 1, NULL, g, NULL, NULL), QPM_OK);
    cr_assert_eq(g[0], p1[0]);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, -1), QPM_E_RANGE);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, 0), QPM_OK);
    double p2[3];
    cr_assert_eq(qpm_book_pnl(b, 3, &x[0][0], 2, NULL, 0, p2), QPM_OK);
    cr_assert_eq(memcmp(p0, p2, sizeof p0), 0);
    qpm_book_free(b);
}
