/* risk: reproducers of the bad-input tour and fuzzing.  VaR standard errors
 * of small and constant samples, moments of tiny samples, the PSD check
 * shared by delta-gamma and the Monte Carlo covariance, covariances and
 * losses near DBL_MAX, and runs whose numbers leave the double range. */
#include <criterion/criterion.h>
#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/risk.h"
#include "support/testutil.h"

/* Siddiqui's quotient with both bandwidth levels on one rank gave var_se =
 * NaN for 20 losses at 99 % and 4 losses at 95 %, and for constant samples
 * (documented: 0). */
Test(risk_edge, var_se_when_both_levels_round_to_one_rank)
{
    double l[20];
    for (int i = 0; i < 20; i++)
        l[i] = (double)((i * 7) % 20) + 0.5; /* 0.5 .. 19.5, shuffled */
    double a = 0.99, var, es, vse, ese;
    cr_assert_eq(qpm_risk_var_es(NULL, 20, l, 1, &a, &var, &es, &vse, &ese), QPM_OK);
    cr_assert_eq(var, 19.5);
    /* ranks 19 and 20: sparsity (19.5 - 18.5) / (1/20) */
    double want = 20.0 * sqrt(0.99 * 0.01 / 20.0);
    cr_assert(fabs(vse - want) <= 1e-15 * want, "var_se %.17g, expected %.17g", vse, want);
    cr_assert(isfinite(ese));
    double four[4] = {3.0, 1.0, 4.0, 2.0};
    a = 0.95;
    cr_assert_eq(qpm_risk_var_es(NULL, 4, four, 1, &a, &var, &es, &vse, &ese), QPM_OK);
    cr_assert(isfinite(vse) && vse > 0.0, "var_se %g", vse);
    /* constant samples: 0, as documented, at every level */
    double c[20];
    for (int i = 0; i < 20; i++)
        c[i] = -3.25;
    const double levels[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++)
        for (size_t n = 2; n <= 20; n++) {
            cr_assert_eq(qpm_risk_var_es(NULL, n, c, 1, &levels[k], &var, &es, &vse, &ese),
                         QPM_OK);
            cr_assert_eq(vse, 0.0, "n %zu alpha %g: var_se %g", n, levels[k], vse);
            cr_assert(ese <= 1e-14, "n %zu alpha %g: es_se %g (rounding)", n, levels[k], ese);
        }
    /* n = 1 stays NaN (documented) */
    cr_assert_eq(qpm_risk_var_es(NULL, 1, c, 1, &levels[0], &var, &es, &vse, &ese), QPM_OK);
    cr_assert(isnan(vse));
}

static qpm_book *spot_book(double spot, double q)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", spot, 0.0, NULL), QPM_OK);
    int32_t ins = QPM_INSTR_SPOT;
    size_t und = 0;
    double m = 1.0;
    cr_assert_eq(qpm_book_add_positions(b, 1, &ins, &und, NULL, NULL, NULL, &q, &m, NULL, NULL),
                 QPM_OK, "%s", qpm_last_error());
    return b;
}

/* The same NaN reached the Monte Carlo and historical runs. */
Test(risk_edge, runs_with_few_scenarios_have_standard_errors)
{
    qpm_book *b = spot_book(50000.0, 2.0);
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double s2 = 0.0009;
    cr_assert_eq(qpm_risk_set_covariance(r, 1, &s2, 1), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, 20), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_ALPHA, 0.99), QPM_OK);
    double var, es, vse, ese;
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &var, &es, &vse, &ese), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert(isfinite(vse) && vse > 0.0, "simulate var_se %g", vse);
    double ret[20];
    for (int i = 0; i < 20; i++)
        ret[i] = 0.01 * sin(3.0 * i + 1.0);
    cr_assert_eq(qpm_risk_historical(r, b, 20, ret, 1, NULL, &var, &es, &vse, &ese), QPM_OK);
    cr_assert(isfinite(vse) && vse > 0.0, "historical var_se %g", vse);
    /* no move at all: a constant P&L of 0 gives standard errors 0 */
    double zero[20] = {0};
    cr_assert_eq(qpm_risk_historical(r, b, 20, zero, 1, NULL, &var, &es, &vse, &ese), QPM_OK);
    cr_assert(var == 0.0 && vse == 0.0 && ese == 0.0, "var %g var_se %g es_se %g", var, vse,
              ese);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* {0, 1e-100}: m2 m2^(1/2) underflowed to 0 and skew and kurtosis came out
 * NaN; the moments of a tiny sample are those of its scaled copy. */
Test(risk_edge, moments_of_tiny_samples)
{
    double two[2] = {0.0, 1e-100}, mean, sd, sk, ku;
    cr_assert_eq(qpm_risk_moments(2, two, &mean, &sd, &sk, &ku), QPM_OK);
    cr_assert_eq(sk, 0.0);
    cr_assert(fabs(ku + 2.0) <= 1e-15, "exkurt %.17g", ku);
    cr_assert(fabs(sd - 1e-100 / sqrt(2.0)) <= 1e-15 * sd, "std %g", sd);
    const double base[5] = {0.0, 1.0, 3.0, 3.5, 10.0};
    double sk0, ku0, sd0;
    cr_assert_eq(qpm_risk_moments(5, base, &mean, &sd0, &sk0, &ku0), QPM_OK);
    const double scales[] = {1e-100, 1e-160, 0x1p-1000, 1e-310};
    for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
        double x[5];
        for (int i = 0; i < 5; i++)
            x[i] = base[i] * scales[k] + 7.0 * scales[k];
        cr_assert_eq(qpm_risk_moments(5, x, &mean, &sd, &sk, &ku), QPM_OK);
        double tol = scales[k] < DBL_MIN ? 1e-3 : 1e-13; /* subnormal inputs carry few digits */
        cr_assert(fabs(sk - sk0) <= tol * fabs(sk0), "scale %g: skew %.17g vs %.17g", scales[k],
                  sk, sk0);
        cr_assert(fabs(ku - ku0) <= tol * fabs(ku0), "scale %g: exkurt %.17g vs %.17g",
                  scales[k], ku, ku0);
        cr_assert(fabs(sd / scales[k] - sd0) <= tol * sd0, "scale %g: std %g", scales[k], sd);
    }
    /* a constant sample still gives NaN (documented) */
    double c[3] = {1e-200, 1e-200, 1e-200};
    cr_assert_eq(qpm_risk_moments(3, c, &mean, &sd, &sk, &ku), QPM_OK);
    cr_assert(isnan(sk) && isnan(ku) && sd == 0.0);
}

/* delta_gamma accepted an indefinite covariance that set_covariance refuses
 * (delta-normal VaR 0): one check, the same status and message. */
Test(risk_edge, delta_gamma_checks_psd_like_set_covariance)
{
    const double bad[3][4] = {{1.0, 2.0, 2.0, 1.0},
                              {1.0, 1e308, 1e308, 1.0},
                              {1e200, 2e200, 2e200, 1e200}};
    double d[2] = {1.0, -1.0}, g[2] = {0.5, 0.25};
    for (int k = 0; k < 3; k++) {
        qpm_risk *r;
        cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
        qpm_status s1 = qpm_risk_set_covariance(r, 2, bad[k], 2);
        char m1[512];
        snprintf(m1, sizeof m1, "%s", qpm_last_error());
        double vdn = -1.0, vdg = -1.0;
        qpm_status s2 = qpm_risk_delta_gamma(NULL, 2, d, g, bad[k], 2, 1.0, 0.99, &vdn, &vdg,
                                             NULL);
        cr_assert_eq(s1, QPM_E_NOTPSD, "case %d: set_covariance %d", k, (int)s1);
        cr_assert_eq(s2, QPM_E_NOTPSD, "case %d: delta_gamma %d", k, (int)s2);
        cr_assert_str_eq(qpm_last_error(), m1);
        cr_assert(vdn == -1.0 && vdg == -1.0);
        qpm_risk_free(r);
    }
    /* PSD and singular near DBL_MAX: accepted by both, finite scenarios */
    const double big[4] = {1e300, 1e300, 1e300, 1e300};
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 2, big, 2), QPM_OK, "%s", qpm_last_error());
    double mv[2 * 8];
    cr_assert_eq(qpm_risk_scenarios(r, 8, mv, 2, NULL, 2), QPM_OK);
    for (int i = 0; i < 16; i++)
        cr_assert(isfinite(mv[i]) && mv[i] > -1.0);
    qpm_risk_free(r);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The sums behind ES overflowed for losses near DBL_MAX (ES = Inf with
 * QPM_OK); results beyond the range are refused. */
Test(risk_edge, var_es_of_losses_near_dbl_max)
{
    double l[10];
    for (int i = 0; i < 10; i++)
        l[i] = DBL_MAX * (0.5 + 0.05 * i);
    double a = 0.8, var, es, vse, ese;
    cr_assert_eq(qpm_risk_var_es(NULL, 10, l, 1, &a, &var, &es, &vse, &ese), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(var, l[7]);
    double want = 0.5 * l[8] + 0.5 * l[9];
    cr_assert(fabs(es - want) <= 1e-15 * want, "es %g vs %g", es, want);
    cr_assert(isfinite(vse) && isfinite(ese));
    /* a standard error beyond DBL_MAX: refused, outputs untouched */
    double w[2] = {DBL_MAX, -DBL_MAX}; /* var_se = 4 DBL_MAX sqrt(1/8) */
    double o[4] = {1, 2, 3, 4};
    a = 0.5;
    cr_assert_eq(qpm_risk_var_es(NULL, 2, w, 1, &a, &o[0], &o[1], &o[2], &o[3]), QPM_E_OVERFLOW);
    cr_assert(o[0] == 1 && o[1] == 2 && o[2] == 3 && o[3] == 4);
    /* without the standard errors the same sample is fine */
    cr_assert_eq(qpm_risk_var_es(NULL, 2, w, 1, &a, &o[0], &o[1], NULL, NULL), QPM_OK);
    cr_assert(o[0] == -DBL_MAX && o[1] == DBL_MAX, "var %g es %g", o[0], o[1]);
}

/* Cumulants beyond the double range gave Inf or NaN VaR with QPM_OK. */
Test(risk_edge, delta_gamma_overflow_is_refused)
{
    double cov = 1.0, d = 1.0, g = 1.0, vdn = -1.0, vdg = -1.0;
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 1, &d, &g, &cov, 1, 1e300, 0.99, &vdn, &vdg, NULL),
                 QPM_E_OVERFLOW);
    cr_assert(vdn == -1.0 && vdg == -1.0);
    g = 0.0; /* delta-normal alone stays finite */
    cr_assert_eq(qpm_risk_delta_gamma(NULL, 1, &d, &g, &cov, 1, 1e300, 0.99, &vdn, &vdg, NULL),
                 QPM_OK);
    cr_assert(isfinite(vdn) && vdn > 1e150);
}

/* Filtered historical simulation squares the returns: returns of 1e200
 * gave NaN moves (reported as a NaN spot move) instead of an overflow. */
Test(risk_edge, filtered_historical_overflow)
{
    qpm_book *b = spot_book(100.0, 1.0);
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_EWMA_LAMBDA, 0.94), QPM_OK);
    double ret[5] = {0.01, -0.02, 1e200, 0.0, 0.03}, var = -1.0;
    cr_assert_eq(qpm_risk_historical(r, b, 5, ret, 1, NULL, &var, NULL, NULL, NULL),
                 QPM_E_OVERFLOW);
    cr_assert_eq(var, -1.0);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* An inverse future entered at DBL_MIN: its value Q m S / e overflows.  The
 * historical VaR was -Inf with QPM_OK. */
Test(risk_edge, historical_with_an_entry_price_of_dbl_min)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000.0, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60500.0, 0.25), QPM_OK);
    int32_t ins = QPM_INSTR_INVERSE_FUTURE, ex = 0;
    size_t und = 0;
    double q = 1.0, m = 100.0, e = DBL_MIN;
    qpm_status st = qpm_book_add_positions(b, 1, &ins, &und, &ex, NULL, NULL, &q, &m, &e, NULL);
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double ret[4] = {0.01, -0.02, 0.0, 0.03}, var = -1.0, es = -1.0;
    if (st == QPM_OK) {
        st = qpm_risk_historical(r, b, 4, ret, 1, NULL, &var, &es, NULL, NULL);
        cr_assert_eq(st, QPM_E_OVERFLOW, "historical: %d (%s), VaR %g", (int)st,
                     qpm_last_error(), var);
        cr_assert(var == -1.0 && es == -1.0);
    } else {
        cr_assert_eq(st, QPM_E_OVERFLOW, "add_positions: %d (%s)", (int)st, qpm_last_error());
    }
    qpm_risk_free(r);
    qpm_book_free(b);
}
