/* risk: Euler contributions (experimental).  They add up to the run's VaR
 * and ES, which are qpm_risk_simulate's bit for bit; a linear Gaussian book
 * (spot positions, small daily vols) matches the closed form
 * Cov(L_i, L) / sd(L) times z (VaR) or phi(z) / (1 - alpha) (ES) within a
 * few Monte Carlo standard errors; the same bits for any thread count; an
 * option book still adds up; bad input. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/risk.h"
#include "qpm/rng.h"
#include "support/testutil.h"

static const double S[3] = {60000, 3000, 150};
static const double Q[3] = {2.0, -30.0, 400.0};
static const double VOL[3] = {0.002, 0.003, 0.0025};
static const double RHO[3][3] = {{1, 0.5, 0.3}, {0.5, 1, 0.2}, {0.3, 0.2, 1}};

static qpm_book *spot_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    const char *nm[3] = {"BTC", "ETH", "SOL"};
    for (int u = 0; u < 3; u++)
        cr_assert_eq(qpm_book_add_underlying(b, nm[u], S[u], 0.0, NULL), QPM_OK);
    int32_t in[3] = {QPM_INSTR_SPOT, QPM_INSTR_SPOT, QPM_INSTR_SPOT};
    size_t un[3] = {0, 1, 2};
    double m[3] = {1, 1, 1};
    cr_assert_eq(qpm_book_add_positions(b, 3, in, un, NULL, NULL, NULL, Q, m, NULL, NULL), QPM_OK);
    return b;
}

static qpm_risk *risk(size_t n, double threads)
{
    qpm_risk *r;
    double c[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c[i * 3 + j] = RHO[i][j] * VOL[i] * VOL[j];
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 3, c, 3), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, (double)n), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SEED, 11), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_ALPHA, 0.99), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, threads), QPM_OK);
    return r;
}

/* Closed form for L = -sum A_i g_i, g ~ N(0, C), A_i = Q_i S_i: the
 * contribution of i is k Cov(L_i, L) / sd(L). */
static void closed_form(double *var_c, double *es_c)
{
    double a[3], cov[3] = {0, 0, 0}, v = 0;
    for (int i = 0; i < 3; i++)
        a[i] = Q[i] * S[i];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            cov[i] += a[i] * a[j] * RHO[i][j] * VOL[i] * VOL[j];
    for (int i = 0; i < 3; i++)
        v += cov[i];
    double z = qpm_norm_inv(0.99), phi = exp(-0.5 * z * z) / sqrt(2 * M_PI);
    for (int i = 0; i < 3; i++) {
        var_c[i] = z * cov[i] / sqrt(v);
        es_c[i] = phi / 0.01 * cov[i] / sqrt(v);
    }
}

Test(risk_contrib, linear_gaussian_closed_form_and_sums)
{
    qpm_book *b = spot_book();
    qpm_risk *r = risk(400000, 1);
    double var, es, vc[3], ec[3], v2, e2;
    cr_assert_eq(qpm_risk_contributions(r, b, &var, &es, vc, ec), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &v2, &e2, NULL, NULL), QPM_OK);
    cr_assert(var == v2 && es == e2, "the run of qpm_risk_simulate");
    cr_assert(fabs(vc[0] + vc[1] + vc[2] - var) <= 1e-12 * var);
    cr_assert(fabs(ec[0] + ec[1] + ec[2] - es) <= 1e-12 * es);
    /* 4000 tail scenarios: the ES contribution of i has a standard error of
     * about sd(L_i | tail) / sqrt(4000), under 1% of the largest one here;
     * the window of +-64 ranks about 1 / sqrt(129) of sd(L_i | L = VaR);
     * the moves are expm1 of the normals, 0.3% of bias at these vols */
    double cv[3], ce[3], tot_es = 0;
    closed_form(cv, ce);
    for (int i = 0; i < 3; i++)
        tot_es += fabs(ce[i]);
    for (int i = 0; i < 3; i++) {
        cr_assert(fabs(ec[i] - ce[i]) <= 0.03 * tot_es, "ES %d: %.6g vs %.6g", i, ec[i], ce[i]);
        cr_assert(fabs(vc[i] - cv[i]) <= 0.06 * tot_es, "VaR %d: %.6g vs %.6g", i, vc[i], cv[i]);
    }
    cr_assert((ec[1] < 0) == (ce[1] < 0), "the sign of the short position");
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_contrib, same_bits_for_any_thread_count)
{
    qpm_book *b = spot_book();
    double vc[2][3], ec[2][3], var[2], es[2];
    for (int t = 0; t < 2; t++) {
        qpm_risk *r = risk(70000, t + 1);
        cr_assert_eq(qpm_risk_contributions(r, b, &var[t], &es[t], vc[t], ec[t]), QPM_OK);
        qpm_risk_free(r);
    }
    cr_assert(memcmp(vc[0], vc[1], sizeof vc[0]) == 0 && memcmp(ec[0], ec[1], sizeof ec[0]) == 0);
    cr_assert(var[0] == var[1] && es[0] == es[1]);
    qpm_book_free(b);
}

Test(risk_contrib, option_book_adds_up)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "SOL", 150, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60500, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 1, 0, 3020, 0.1), QPM_OK);
    int32_t in[4] = {QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION, QPM_INSTR_LINEAR_OPTION,
                     QPM_INSTR_SPOT};
    size_t un[4] = {0, 0, 1, 2};
    int32_t ex[4] = {0, 0, 0, 0}, ty[4] = {QPM_PUT, QPM_CALL, QPM_CALL, 0};
    double K[4] = {55000, 65000, 3200, NAN}, q[4] = {-5, 3, -40, 100}, m[4] = {1, 1, 1, 1};
    double sg[4] = {0.6, 0.55, 0.8, NAN};
    cr_assert_eq(qpm_book_add_positions(b, 4, in, un, ex, ty, K, q, m, NULL, sg), QPM_OK, "%s",
                 qpm_last_error());
    qpm_risk *r = risk(20000, 2);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 4), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.2), QPM_OK);
    double var, es, vc[4], ec[4];
    cr_assert_eq(qpm_risk_contributions(r, b, &var, &es, vc, ec), QPM_OK, "%s", qpm_last_error());
    double sv = 0, se = 0, scale = 0;
    for (int i = 0; i < 4; i++) {
        sv += vc[i];
        se += ec[i];
        scale += fabs(ec[i]);
    }
    cr_assert(fabs(sv - var) <= 1e-12 * scale && fabs(se - es) <= 1e-12 * scale,
              "%.17g %.17g vs %.17g %.17g", sv, se, var, es);
    cr_assert(ec[0] > 0, "the short put carries the tail");
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_contrib, bad_input)
{
    qpm_book *b = spot_book();
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double var = 7, vc[3] = {7, 7, 7};
    cr_assert_eq(qpm_risk_contributions(r, b, &var, NULL, vc, NULL), QPM_E_STATE);
    cr_assert(var == 7 && vc[0] == 7);
    cr_assert_eq(qpm_risk_contributions(NULL, b, &var, NULL, vc, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_contributions(r, NULL, &var, NULL, vc, NULL), QPM_E_NULL);
    double c2[4] = {1e-4, 0, 0, 1e-4};
    cr_assert_eq(qpm_risk_set_covariance(r, 2, c2, 2), QPM_OK);
    cr_assert_eq(qpm_risk_contributions(r, b, &var, NULL, vc, NULL), QPM_E_SIZE);
    cr_assert(var == 7 && vc[0] == 7);
    qpm_risk_free(r);
    qpm_book_free(b);
}
