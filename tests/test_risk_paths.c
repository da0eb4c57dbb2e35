/* risk: multi-day Heston paths (experimental qpm_risk_set_heston,
 * qpm_risk_simulate_paths).  With no vol of variance the log return over
 * the horizon is exactly normal with variance v0 T; with Heston dynamics
 * the price stays a martingale and the log return's variance is the
 * expected integrated variance, within Monte Carlo error; the worst
 * end-of-day P&L is never above the horizon's; an option's time decay is
 * in the P&L; the same bits for any thread count; bad input. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/regime.h"
#include "qpm/risk.h"
#include "support/testutil.h"

enum { NS = 20000 };

/* 1 BTC and 20 ETH held spot (value = S: the P&L gives the return) */
static qpm_book *spot_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.0, NULL), QPM_OK);
    const int32_t in[2] = {QPM_INSTR_SPOT, QPM_INSTR_SPOT};
    const size_t un[2] = {0, 1};
    const double Q[2] = {1, 20}, m[2] = {1, 1};
    cr_assert_eq(qpm_book_add_positions(b, 1, in, un, NULL, NULL, NULL, Q, m, NULL, NULL), QPM_OK);
    return b;
}

static qpm_risk *risk(double days, double xi, double threads)
{
    qpm_risk *r;
    const double c[4] = {4e-4, 3e-4, 3e-4, 9e-4};
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 2, c, 2), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SEED, 21), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, days), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, threads), QPM_OK);
    const double v0[2] = {0.36, 0.64}, ka[2] = {3.0, 2.0}, th[2] = {0.5, 0.8};
    const double x[2] = {xi, xi}, rho[2] = {-0.5, -0.3};
    cr_assert_eq(qpm_risk_set_heston(r, 2, v0, ka, xi == 0 ? v0 : th, x, rho), QPM_OK, "%s",
                 qpm_last_error());
    return r;
}

static void moments(const double *pnl, double S, double *mean, double *var)
{
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < NS; i++) {
        double R = log1p(pnl[i] / S);
        s1 += R, s2 += R * R;
    }
    *mean = s1 / NS;
    *var = s2 / NS - *mean * *mean;
}

Test(risk_paths, no_vol_of_variance_is_lognormal)
{
    qpm_book *b = spot_book();
    qpm_risk *r = risk(10, 0.0, 1);
    static double p[NS], wst[NS];
    double var, es;
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 4, p, wst, &var, &es), QPM_OK, "%s",
                 qpm_last_error());
    double T = 10.0 / 365, m, v;
    moments(p, 60000, &m, &v);
    double want_v = 0.36 * T, se_m = sqrt(want_v / NS), se_v = want_v * sqrt(2.0 / NS);
    cr_assert(fabs(m + 0.5 * want_v) < 4 * se_m, "mean %.6g vs %.6g", m, -0.5 * want_v);
    cr_assert(fabs(v - want_v) < 4 * se_v, "variance %.6g vs %.6g", v, want_v);
    for (size_t i = 0; i < NS; i++)
        cr_assert(wst[i] <= p[i]);
    cr_assert(var > 0 && es >= var);
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_paths, heston_martingale_and_integrated_variance)
{
    qpm_book *b = spot_book();
    qpm_risk *r = risk(30, 1.0, 1);
    static double p[NS];
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 2, p, NULL, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    double T = 30.0 / 365, s = 0, s2 = 0;
    for (size_t i = 0; i < NS; i++) {
        double g = p[i] / 60000; /* S_T / S_0 - 1 */
        s += g, s2 += g * g;
    }
    double mean = s / NS, sd = sqrt(s2 / NS - mean * mean);
    cr_assert(fabs(mean) < 4 * sd / sqrt(NS) + 1e-3, "E[S_T/S_0] - 1 = %.3g", mean);
    /* Var(ln S_T) ~ E[int V] = theta T + (v0 - theta)(1 - e^{-kappa T}) / kappa, up to
     * the correlation terms: within 10 % */
    double m, v;
    moments(p, 60000, &m, &v);
    double iv = 0.5 * T + (0.36 - 0.5) * (1 - exp(-3.0 * T)) / 3.0;
    cr_assert(fabs(v / iv - 1) < 0.1, "variance %.5g vs %.5g", v, iv);
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_paths, time_decay_and_threads)
{
    /* a long call: with next to no move (a variance of 1e-12 per year: spot
     * moves of about 1e-7, 0.003 USD of P&L), the P&L is its decay */
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60000, 30.0 / 365), QPM_OK);
    const int32_t in = QPM_INSTR_LINEAR_OPTION, ex = 0, ty = QPM_CALL;
    const size_t un = 0;
    const double K = 60000, Q = 1, m1 = 1, sg = 0.6;
    cr_assert_eq(qpm_book_add_positions(b, 1, &in, &un, &ex, &ty, &K, &Q, &m1, NULL, &sg), QPM_OK);
    qpm_risk *r;
    const double c = 1e-14;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 1, &c, 1), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, 100), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 5), QPM_OK);
    const double v0 = 1e-12, ka = 1, x0 = 0, rho = 0;
    cr_assert_eq(qpm_risk_set_heston(r, 1, &v0, &ka, &v0, &x0, &rho), QPM_OK);
    double p[100];
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_DECAY_DAYS, 1.5), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    double d;
    cr_assert_eq(qpm_book_get(b, QPM_BOOK_DECAY_DAYS, &d), QPM_OK);
    cr_assert_eq(d, 1.5, "the book's setting is restored");
    /* the call 5 days later at the same forward, its vol times sqrt(V/v0) = 1 */
    qpm_book *later;
    cr_assert_eq(qpm_book_create(&later, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(later, "BTC", 60000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(later, 0, 0, 60000, 25.0 / 365), QPM_OK);
    cr_assert_eq(qpm_book_add_positions(later, 1, &in, &un, &ex, &ty, &K, &Q, &m1, NULL, &sg),
                 QPM_OK);
    double v0b, v1b;
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = &v0b;
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK);
    o.value_usd = &v1b;
    cr_assert_eq(qpm_book_position_greeks(later, &o), QPM_OK);
    for (int i = 0; i < 100; i++)
        cr_assert(fabs(p[i] - (v1b - v0b)) < 0.02, "%.10g vs %.10g", p[i], v1b - v0b);
    qpm_risk_free(r);
    qpm_book_free(later);
    /* thread counts */
    qpm_book *sb = spot_book();
    static double a1[NS], a2[NS];
    for (int t = 1; t <= 2; t++) {
        qpm_risk *rt = risk(3, 0.8, t);
        cr_assert_eq(qpm_risk_simulate_paths(rt, sb, 3, t == 1 ? a1 : a2, NULL, NULL, NULL),
                     QPM_OK);
        qpm_risk_free(rt);
    }
    cr_assert(memcmp(a1, a2, sizeof a1) == 0);
    qpm_book_free(sb);
    qpm_book_free(b);
}

Test(risk_paths, bad_input)
{
    qpm_book *b = spot_book();
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double p[4];
    cr_assert_eq(qpm_risk_simulate_paths(NULL, b, 1, p, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_simulate_paths(r, NULL, 1, p, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_E_STATE);
    const double c[4] = {4e-4, 3e-4, 3e-4, 9e-4};
    cr_assert_eq(qpm_risk_set_covariance(r, 2, c, 2), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_E_STATE);
    cr_assert(strstr(qpm_last_error(), "qpm_risk_set_heston") != NULL, "%s", qpm_last_error());
    const double v0[2] = {0.3, 0.4}, ka[2] = {1, 1}, th[2] = {0.3, 0.4}, xi[2] = {0.5, 0.5};
    double rho[2] = {-0.5, 1.0};
    cr_assert_eq(qpm_risk_set_heston(r, 2, v0, ka, th, xi, rho), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "rho[1] = 1: must be in (-1, 1)");
    rho[1] = NAN;
    cr_assert_eq(qpm_risk_set_heston(r, 2, v0, ka, th, xi, rho), QPM_E_NONFINITE);
    rho[1] = 0.2;
    cr_assert_eq(qpm_risk_set_heston(r, 2, v0, ka, th, NULL, rho), QPM_E_NULL);
    cr_assert_eq(qpm_risk_set_heston(r, 1, v0, ka, th, xi, rho), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_risk_set_heston(r, 2, v0, ka, th, xi, rho), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, 4), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 0, p, NULL, NULL, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 2.5), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "whole number of days") != NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 2), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_heston(r, 0, NULL, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, NULL, NULL, NULL), QPM_E_STATE);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* Regime paths: with one absorbing regime the H-day log return is normal
 * with mean H mu and variance H Sigma; the same seed gives the same bits;
 * bad input. */
Test(risk_paths, regime_paths)
{
    qpm_book *b = spot_book();
    qpm_regime *m;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    const double P[4] = {1, 0, 0.5, 0.5}, mu[4] = {1e-3, 5e-4, -2e-3, -1e-3};
    const double sg[8] = {4e-4, 1e-4, 1e-4, 9e-4, 16e-4, 4e-4, 4e-4, 36e-4};
    cr_assert_eq(qpm_regime_set_params(m, P, mu, sg), QPM_OK, "%s", qpm_last_error());
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 7), QPM_OK);
    const double start[2] = {1, 0};
    static double p[NS], p2[NS], wst[NS];
    double var, es;
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m, start, p, wst, &var, &es), QPM_OK, "%s",
                 qpm_last_error());
    double mean, v;
    moments(p, 60000, &mean, &v);
    double se = sqrt(7 * 4e-4 / NS);
    cr_assert(fabs(mean - 7e-3) < 4 * se, "mean %.6g", mean);
    cr_assert(fabs(v / (7 * 4e-4) - 1) < 4 * sqrt(2.0 / NS), "variance %.6g", v);
    for (size_t i = 0; i < NS; i++)
        cr_assert(wst[i] <= p[i]);
    cr_assert(es >= var);
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m, start, p2, NULL, NULL, NULL), QPM_OK);
    cr_assert(memcmp(p, p2, sizeof p) == 0);
    /* errors */
    const double bad[2] = {0.7, 0.7};
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m, bad, p, NULL, NULL, NULL), QPM_E_INVALID);
    cr_assert_eq(qpm_risk_simulate_regime(r, b, NULL, start, p, NULL, NULL, NULL), QPM_E_NULL);
    qpm_regime *m3;
    cr_assert_eq(qpm_regime_create(&m3, NULL, 2, 3), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m3, start, p, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 0.5), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m, start, p, NULL, NULL, NULL), QPM_E_INVALID);
    qpm_regime_free(m3);
    qpm_regime_free(m);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* Cancelled after the first batch of 65536 paths: neither output is
 * written (the worst P&L used to be copied out batch by batch). */
static int cancel_after_first_batch(void *user, double done)
{
    (void)user;
    return done > 0.0 && done < 1.0;
}

Test(risk_paths, a_failed_run_leaves_the_outputs_untouched)
{
    enum { N2 = 2 * 65536 };
    qpm_book *b = spot_book();
    qpm_risk *r = risk(1, 0.5, 1);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, N2), QPM_OK);
    cr_assert_eq(qpm_risk_set_progress(r, cancel_after_first_batch, NULL), QPM_OK);
    static double p[N2], w[N2];
    for (size_t i = 0; i < N2; i++)
        p[i] = w[i] = -7.0;
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, w, NULL, NULL), QPM_E_CANCELLED);
    for (size_t i = 0; i < N2; i++)
        cr_assert(p[i] == -7.0 && w[i] == -7.0, "path %zu written", i);
    qpm_regime *m;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    const double P[4] = {1, 0, 0.5, 0.5}, mu[4] = {1e-3, 5e-4, -2e-3, -1e-3};
    const double sg[8] = {4e-4, 1e-4, 1e-4, 9e-4, 16e-4, 4e-4, 4e-4, 36e-4};
    cr_assert_eq(qpm_regime_set_params(m, P, mu, sg), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m, NULL, p, w, NULL, NULL), QPM_E_CANCELLED);
    for (size_t i = 0; i < N2; i++)
        cr_assert(p[i] == -7.0 && w[i] == -7.0, "regime path %zu written", i);
    /* the handle stays usable: without the callback both runs succeed */
    cr_assert_eq(qpm_risk_set_progress(r, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_simulate_paths(r, b, 1, p, w, NULL, NULL), QPM_OK);
    for (size_t i = 0; i < N2; i++)
        cr_assert(w[i] <= p[i] && isfinite(w[i]), "path %zu", i);
    qpm_regime_free(m);
    qpm_risk_free(r);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}
