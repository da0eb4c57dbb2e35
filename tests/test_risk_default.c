/* risk: venue defaults in the Monte Carlo (experimental), and the book's
 * qpm_book_venue_value they use.  With no probability the run is the run
 * without defaults bit for bit; with probability 1 every scenario loses
 * (1 - recovery) of the venue's holdings in that scenario (checked against
 * the scenarios, the book's P&L and qpm_book_venue_value); with p the share
 * of scenarios hit is p within binomial error; the same bits for 1 and 2
 * threads; bad input. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/risk.h"
#include "support/testutil.h"

enum { NS = 9000 };

/* BTC and ETH; venues "cex" (a perp, a short call, USD) and "pool" (spot
 * ETH, ETH collateral); an untagged long put. */
static qpm_book *account(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 60020), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60400, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_add_venue(b, "cex", NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_venue(b, "pool", NULL), QPM_OK);
    int32_t in[4] = {QPM_INSTR_LINEAR_PERP, QPM_INSTR_LINEAR_OPTION, QPM_INSTR_SPOT,
                     QPM_INSTR_LINEAR_OPTION};
    size_t un[4] = {0, 0, 1, 0}, ven[4] = {0, 0, 1, QPM_BOOK_NO_VENUE};
    int32_t ex[4] = {0, 0, 0, 0}, ty[4] = {0, QPM_CALL, 0, QPM_PUT};
    double K[4] = {NAN, 65000, NAN, 55000}, Q[4] = {1, -2, 30, 1}, m[4] = {1, 1, 1, 1};
    double e[4] = {59000, NAN, NAN, NAN}, sg[4] = {NAN, 0.6, NAN, 0.7};
    qpm_book_positions p = {sizeof p, in, un, ex, ty, K, Q, m, e, sg, NULL, NULL, NULL, ven};
    cr_assert_eq(qpm_book_add_position_columns(b, 4, &p), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_set_collateral(b, 0, QPM_BOOK_USD, 50000, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, 1, 1, 10, 0.0), QPM_OK);
    return b;
}

static qpm_risk *risk(double threads)
{
    qpm_risk *r;
    const double c[4] = {4e-4, 3e-4, 3e-4, 9e-4};
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 2, c, 2), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SEED, 5), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, threads), QPM_OK);
    return r;
}

Test(risk_default, venue_value_at_no_move)
{
    qpm_book *b = account();
    double x[2] = {0, 0}, v[3], ve[3];
    cr_assert_eq(qpm_book_venue_value(b, 1, x, 2, NULL, 0, v, 3), QPM_OK);
    cr_assert_eq(qpm_book_venue_margin(b, ve, NULL, NULL), QPM_OK); /* no haircuts here */
    for (int k = 0; k < 3; k++)
        cr_assert(fabs(v[k] - ve[k]) <= 1e-9 * fabs(ve[k]) + 1e-9, "%d: %.17g vs %.17g", k, v[k],
                  ve[k]);
    cr_assert_eq(qpm_book_venue_value(b, 1, x, 2, NULL, 0, v, 2), QPM_E_SIZE);
    qpm_book_free(b);
}

Test(risk_default, no_probability_is_the_plain_run)
{
    qpm_book *b = account();
    qpm_risk *r = risk(1);
    static double p0[NS], p1[NS];
    double v0, v1;
    cr_assert_eq(qpm_risk_simulate(r, b, p0, &v0, NULL, NULL, NULL), QPM_OK);
    const double prob[2] = {0, 0}, rec[2] = {0.5, 0.5};
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, prob, rec), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, b, p1, &v1, NULL, NULL, NULL), QPM_OK);
    cr_assert(memcmp(p0, p1, sizeof p0) == 0 && v0 == v1);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* Probability 1: each scenario loses 0.6 of the pool's holdings there. */
Test(risk_default, certain_default_loses_the_holdings)
{
    qpm_book *b = account();
    qpm_risk *r = risk(1);
    static double base[NS], hit[NS], x[NS * 2], vs[NS * 2], val[NS * 3];
    cr_assert_eq(qpm_risk_simulate(r, b, base, NULL, NULL, NULL, NULL), QPM_OK);
    const double prob[2] = {0, 1}, rec[2] = {1, 0.4};
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, prob, rec), QPM_OK);
    double var, es, var0, es0;
    cr_assert_eq(qpm_risk_simulate(r, b, hit, &var, &es, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_scenarios(r, NS, x, 2, vs, 2), QPM_OK);
    cr_assert_eq(qpm_book_venue_value(b, NS, x, 2, NULL, 0, val, 3), QPM_OK);
    for (int s = 0; s < NS; s++)
        cr_assert(fabs(hit[s] - (base[s] - 0.6 * val[s * 3 + 1])) <= 1e-9 * val[s * 3 + 1],
                  "scenario %d: %.17g vs %.17g", s, hit[s], base[s] - 0.6 * val[s * 3 + 1]);
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 0, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &var0, &es0, NULL, NULL), QPM_OK);
    cr_assert(var > var0 + 0.5 * 0.6 * 10 * 3000, "VaR %.17g vs %.17g", var, var0);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* Probability p: the share of scenarios hit is p within 4 binomial
 * standard errors; the same bits for 1 and 2 threads. */
Test(risk_default, share_hit_and_threads)
{
    qpm_book *b = account();
    static double base[NS], hit[2][NS];
    const double prob[2] = {0.05, 0}, rec[2] = {0.0, 1.0};
    for (int t = 0; t < 2; t++) {
        qpm_risk *r = risk(t + 1);
        if (t == 0)
            cr_assert_eq(qpm_risk_simulate(r, b, base, NULL, NULL, NULL, NULL), QPM_OK);
        cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, prob, rec), QPM_OK);
        cr_assert_eq(qpm_risk_simulate(r, b, hit[t], NULL, NULL, NULL, NULL), QPM_OK);
        qpm_risk_free(r);
    }
    cr_assert(memcmp(hit[0], hit[1], sizeof hit[0]) == 0, "the same bits for 1 and 2 threads");
    int n = 0;
    for (int s = 0; s < NS; s++)
        n += hit[0][s] != base[s];
    double p = (double)n / NS, se = sqrt(0.05 * 0.95 / NS);
    cr_assert(fabs(p - 0.05) <= 4 * se, "share hit %.4f", p);
    qpm_book_free(b);
}

Test(risk_default, bad_input)
{
    qpm_book *b = account();
    qpm_risk *r = risk(1);
    const double bad[2] = {0.1, 1.5}, ok[2] = {0.1, 0.5}, nan2[2] = {NAN, 0};
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, bad, ok), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "prob[1] = 1.5: must be in [0, 1]");
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, ok, bad), QPM_E_INVALID);
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, nan2, ok), QPM_E_NONFINITE);
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, NULL, ok), QPM_E_NULL);
    cr_assert_eq(qpm_risk_set_venue_defaults(NULL, 0, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 1, ok, ok), QPM_OK);
    double var = 7;
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &var, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert(var == 7);
    cr_assert_eq(qpm_risk_set_venue_defaults(r, 2, ok, ok), QPM_OK);
    cr_assert_eq(qpm_risk_contributions(r, b, &var, NULL, NULL, NULL), QPM_E_UNSUPPORTED);
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &var, NULL, NULL, NULL), QPM_OK);
    qpm_risk_free(r);
    qpm_book_free(b);
}
