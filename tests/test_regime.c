/* regime: the Markov regime-switching model (include/qpm/regime.h).
 * Against statsmodels' MarkovRegression (tests/data/regime_ref.py writes
 * tests/data/regime_statsmodels.inc): log-likelihood, filtered and
 * smoothed probabilities at its fitted parameters, and the EM maximum
 * against its maximum; recovery of the parameters of a simulated series;
 * the simulation's stationary distribution, moments and reproducibility;
 * every bad input with its status and message, nothing changed; out of
 * memory at every allocation. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/regime.h"
#include "qpm/rng.h"
#include "support/testutil.h"

#include "data/regime_statsmodels.inc"

#define NANV ((double)NAN)
#define INF  ((double)INFINITY)

static qpm_regime *sm_model(qpm_regime_init mode)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    cr_assert_eq(qpm_regime_set_initial(m, mode, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(m, SM_P, SM_MU, SM_VAR), QPM_OK);
    return m;
}

/* ---- (b) statsmodels -------------------------------------------------------- */

Test(regime, statsmodels_loglik_and_probabilities_at_its_parameters)
{
    qpm_regime *m = sm_model(QPM_REGIME_INIT_ERGODIC);
    static double filt[2 * SM_T], smooth[2 * SM_T];
    double ll;
    cr_assert_eq(qpm_regime_filter(m, SM_T, SM_Y, 1, filt, smooth, &ll), QPM_OK);
    double dll = fabs(ll - SM_LLF), df = 0.0, ds = 0.0;
    for (size_t i = 0; i < 2 * SM_T; i++) {
        df = fmax(df, fabs(filt[i] - SM_FILTERED[i]));
        ds = fmax(ds, fabs(smooth[i] - SM_SMOOTHED[i]));
    }
    cr_log_info("statsmodels: |dloglik| = %.3g, max |d filtered| = %.3g, max |d smoothed| = %.3g",
                dll, df, ds);
    cr_assert_leq(dll, 1e-6, "loglik %.17g vs statsmodels %.17g", ll, SM_LLF);
    cr_assert_leq(df, 1e-6);
    cr_assert_leq(ds, 1e-6);
    /* the initial distribution in use is P's stationary one */
    double pi[2];
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    cr_assert_float_eq(pi[0] * SM_P[1] - pi[1] * SM_P[2], 0.0, 1e-15);
    qpm_regime_free(m);
}

Test(regime, em_reaches_the_statsmodels_maximum)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    double ll_em;
    size_t it;
    int conv;
    cr_assert_eq(qpm_regime_fit(m, SM_T, SM_Y, 1, 20000, 1e-14, &ll_em, &it, &conv), QPM_OK);
    cr_assert_eq(conv, 1);
    /* an estimated pi may be any distribution, the ergodic one included:
     * the EM maximum is at least statsmodels' */
    cr_assert_geq(ll_em, SM_LLF - 1e-6, "EM %.17g vs statsmodels %.17g", ll_em, SM_LLF);
    /* and at most that maximum plus what a free pi can add, -log min_k
     * erg_k (ll_free <= ll_erg - log min erg at any parameters), while the
     * ergodic log-likelihood at the EM parameters cannot beat statsmodels'
     * maximum: both reach the same optimum */
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    double ll_erg, erg[2];
    cr_assert_eq(qpm_regime_filter(m, SM_T, SM_Y, 1, NULL, NULL, &ll_erg), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, NULL, erg, NULL, NULL), QPM_OK);
    cr_log_info("EM (estimated pi) %.12f in %zu iterations, ergodic at its parameters %.12f, "
                "statsmodels %.12f",
                ll_em, it, ll_erg, SM_LLF);
    cr_assert_leq(ll_erg, SM_LLF + 1e-6);
    cr_assert_leq(ll_em, SM_LLF - log(fmin(erg[0], erg[1])) + 1e-6);
    /* the fitted states match statsmodels' up to their order (ours: calm
     * first) */
    double P[4], mu[2], var[2];
    cr_assert_eq(qpm_regime_params(m, P, NULL, mu, var), QPM_OK);
    size_t calm = SM_VAR[0] < SM_VAR[1] ? 0 : 1;
    cr_assert_float_eq(var[0], SM_VAR[calm], 0.05 * SM_VAR[calm]);
    cr_assert_float_eq(var[1], SM_VAR[1 - calm], 0.05 * SM_VAR[1 - calm]);
    cr_assert_float_eq(P[0], SM_P[3 * calm], 0.01);
    qpm_regime_free(m);
}

Test(regime, fixed_initial_distribution_is_held)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    const double pi0[2] = {0.25, 0.75};
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, pi0), QPM_OK);
    double ll_fixed, pi[2];
    cr_assert_eq(qpm_regime_fit(m, SM_T, SM_Y, 1, 5000, 1e-13, &ll_fixed, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    /* states are reordered by volatility: pi follows its state */
    cr_assert(pi[0] == 0.25 || pi[0] == 0.75);
    cr_assert_eq(pi[0] + pi[1], 1.0);
    qpm_regime_init mode;
    cr_assert_eq(qpm_regime_get_initial(m, &mode), QPM_OK);
    cr_assert_eq(mode, QPM_REGIME_INIT_FIXED);
    /* the estimated pi can only do better */
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ESTIMATED, NULL), QPM_OK);
    double ll_est;
    cr_assert_eq(qpm_regime_fit(m, SM_T, SM_Y, 1, 5000, 1e-13, &ll_est, NULL, NULL), QPM_OK);
    cr_assert_geq(ll_est, ll_fixed - 1e-8);
    /* the fit's log-likelihood is the filter's at the fitted parameters */
    double ll;
    cr_assert_eq(qpm_regime_filter(m, SM_T, SM_Y, 1, NULL, NULL, &ll), QPM_OK);
    cr_assert_eq(ll, ll_est);
    qpm_regime_free(m);
}

/* ---- (a) recovery of a simulated 2-state, 2-asset series ---------------------- */

static const double TP[4] = {0.98, 0.02, 0.05, 0.95};
static const double TMU[4] = {0.001, 0.0005, -0.003, -0.002};
/* calm: vols 1% and 2%, correlation 0.3; turbulent: 3% and 5%, 0.8 */
static const double TSIG[8] = {1e-4, 0.3 * 0.01 * 0.02, 0.3 * 0.01 * 0.02, 4e-4,
                               9e-4, 0.8 * 0.03 * 0.05, 0.8 * 0.03 * 0.05, 25e-4};

Test(regime, recovers_a_simulated_two_state_series)
{
    enum { T = 40000 };
    qpm_regime *truth = NULL, *m = NULL;
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_regime_create(&truth, NULL, 2, 2), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(truth, TP, TMU, TSIG), QPM_OK);
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 42), QPM_OK);
    double *r = malloc(T * 2 * sizeof *r);
    size_t *st = malloc(T * sizeof *st);
    const double start[2] = {1.0, 0.0};
    cr_assert_eq(qpm_regime_simulate(truth, g, start, 1, T, r, 2, st), QPM_OK);
    size_t days[2] = {0, 0};
    for (size_t t = 0; t < T; t++)
        days[st[t]]++;

    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    double ll;
    int conv;
    size_t it;
    cr_assert_eq(qpm_regime_fit(m, T, r, 2, 1000, 1e-10, &ll, &it, &conv), QPM_OK);
    cr_assert_eq(conv, 1);
    double P[4], mu[4], S[8];
    cr_assert_eq(qpm_regime_params(m, P, NULL, mu, S), QPM_OK);
    /* tolerances: 5 standard errors of each estimate from the days N_k
     * spent in state k (about 28600 and 11400 here), as if the states
     * were observed: mean sd/sqrt(N_k), variance var sqrt(2/N_k),
     * correlation (1 - rho^2)/sqrt(N_k), leaving P_kk sqrt(P_kk (1 -
     * P_kk)/N_k); the states are inferred, not observed, which the factor
     * 5 covers (they are well separated: a turbulent day is 3 to 9 times
     * as volatile) */
    double err_mu = 0.0, err_vol = 0.0, err_rho = 0.0, err_p = 0.0;
    for (size_t k = 0; k < 2; k++) {
        double N = (double)days[k];
        for (size_t j = 0; j < 2; j++) {
            double v = TSIG[k * 4 + j * 3], sd = sqrt(v);
            double e = fabs(mu[k * 2 + j] - TMU[k * 2 + j]);
            err_mu = fmax(err_mu, e / (sd / sqrt(N)));
            cr_assert_leq(e, 5.0 * sd / sqrt(N), "mu[%zu][%zu] = %g vs %g", k, j, mu[k * 2 + j],
                          TMU[k * 2 + j]);
            e = fabs(S[k * 4 + j * 3] - v);
            err_vol = fmax(err_vol, e / (v * sqrt(2.0 / N)));
            cr_assert_leq(e, 5.0 * v * sqrt(2.0 / N), "sigma[%zu][%zu][%zu]", k, j, j);
        }
        double rho = S[k * 4 + 1] / sqrt(S[k * 4] * S[k * 4 + 3]);
        double rho0 = TSIG[k * 4 + 1] / sqrt(TSIG[k * 4] * TSIG[k * 4 + 3]);
        err_rho = fmax(err_rho, fabs(rho - rho0) / ((1 - rho0 * rho0) / sqrt(N)));
        cr_assert_leq(fabs(rho - rho0), 5.0 * (1 - rho0 * rho0) / sqrt(N), "rho[%zu]", k);
        double p = TP[k * 3];
        err_p = fmax(err_p, fabs(P[k * 3] - p) / sqrt(p * (1 - p) / N));
        cr_assert_leq(fabs(P[k * 3] - p), 5.0 * sqrt(p * (1 - p) / N), "P[%zu][%zu] = %g", k, k,
                      P[k * 3]);
        cr_assert_float_eq(P[k * 2] + P[k * 2 + 1], 1.0, 1e-12);
    }
    cr_log_info("recovery in standard errors: mu %.2f, variance %.2f, correlation %.2f, "
                "P_kk %.2f (%zu iterations)",
                err_mu, err_vol, err_rho, err_p, it);
    /* the smoothed states agree with the simulated ones on most days */
    double *sm = malloc(T * 2 * sizeof *sm);
    cr_assert_eq(qpm_regime_filter(m, T, r, 2, NULL, sm, NULL), QPM_OK);
    size_t right = 0;
    for (size_t t = 0; t < T; t++)
        right += (sm[t * 2 + 1] > 0.5) == (st[t] == 1);
    cr_log_info("smoothed states right on %.2f%% of days", 100.0 * (double)right / T);
    cr_assert_geq((double)right / T, 0.95);
    free(sm);
    free(r);
    free(st);
    qpm_rng_free(g);
    qpm_regime_free(truth);
    qpm_regime_free(m);
}

/* ---- (c) probabilities and simulation ------------------------------------------ */

Test(regime, filtered_and_smoothed_rows_sum_to_one)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 3, 1), QPM_OK);
    const double P[9] = {0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.0, 0.3, 0.7};
    const double mu[3] = {0.001, 0.0, -0.01}, var[3] = {1e-4, 4e-4, 25e-4};
    cr_assert_eq(qpm_regime_set_params(m, P, mu, var), QPM_OK);
    static double f[3 * SM_T], s[3 * SM_T];
    cr_assert_eq(qpm_regime_filter(m, SM_T, SM_Y, 1, f, s, NULL), QPM_OK);
    for (size_t t = 0; t < SM_T; t++) {
        double sf = 0.0, ss = 0.0;
        for (size_t k = 0; k < 3; k++) {
            cr_assert(f[t * 3 + k] >= 0.0 && s[t * 3 + k] >= 0.0);
            sf += f[t * 3 + k];
            ss += s[t * 3 + k];
        }
        cr_assert_float_eq(sf, 1.0, 1e-14, "filtered row %zu", t);
        cr_assert_float_eq(ss, 1.0, 1e-14, "smoothed row %zu", t);
    }
    /* the last smoothed row is the last filtered row */
    for (size_t k = 0; k < 3; k++)
        cr_assert_eq(s[(SM_T - 1) * 3 + k], f[(SM_T - 1) * 3 + k]);
    /* far beyond every state: no underflow, no NaN */
    double y[3] = {0.0, 5.0, 0.0}, ll;
    cr_assert_eq(qpm_regime_filter(m, 3, y, 1, f, s, &ll), QPM_OK);
    cr_assert(isfinite(ll) && ll < -1000.0);
    for (size_t i = 0; i < 9; i++)
        cr_assert(isfinite(f[i]) && isfinite(s[i]));
    cr_assert_float_eq(f[3 + 2], 1.0, 1e-12); /* the widest state takes the outlier */
    qpm_regime_free(m);
}

Test(regime, simulation_reproduces_the_chain_and_the_moments)
{
    enum { N = 4000, H = 50 };
    qpm_regime *m = NULL;
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(m, TP, TMU, TSIG), QPM_OK);
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    double pi[2];
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    cr_assert_float_eq(pi[0], 5.0 / 7.0, 1e-15);
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 7), QPM_OK);
    double *r = malloc(N * H * 2 * sizeof *r), *r2 = malloc(N * H * 2 * sizeof *r2);
    size_t *s = malloc(N * H * sizeof *s), *s2 = malloc(N * H * sizeof *s2);
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, N, H, r, 2, s), QPM_OK);
    /* stationary start: every day's state frequency is pi within 4.5
     * binomial standard errors (50 days: a family-wise level near 3e-4) */
    double se = sqrt(pi[0] * pi[1] / N);
    for (size_t t = 0; t < H; t++) {
        size_t c = 0;
        for (size_t p = 0; p < N; p++)
            c += s[p * H + t] == 0;
        cr_assert_leq(fabs((double)c / N - pi[0]), 4.5 * se, "day %zu", t);
    }
    /* per-state moments and transition frequencies over all days */
    double n[2] = {0}, sum[2][2] = {{0}}, sq[2][3] = {{0}}, tr[2][2] = {{0}};
    for (size_t p = 0; p < N; p++)
        for (size_t t = 0; t < H; t++) {
            size_t k = s[p * H + t];
            const double *x = r + (p * H + t) * 2;
            n[k]++;
            for (size_t j = 0; j < 2; j++)
                sum[k][j] += x[j] - TMU[k * 2 + j];
            sq[k][0] += (x[0] - TMU[k * 2]) * (x[0] - TMU[k * 2]);
            sq[k][1] += (x[0] - TMU[k * 2]) * (x[1] - TMU[k * 2 + 1]);
            sq[k][2] += (x[1] - TMU[k * 2 + 1]) * (x[1] - TMU[k * 2 + 1]);
            if (t > 0)
                tr[s[p * H + t - 1]][k]++;
        }
    for (size_t k = 0; k < 2; k++) {
        const double *S = TSIG + k * 4;
        for (size_t j = 0; j < 2; j++)
            cr_assert_leq(fabs(sum[k][j] / n[k]), 4.5 * sqrt(S[j * 3] / n[k]), "mean %zu %zu", k,
                          j);
        /* var of a product of centred normals: S_ii S_jj + S_ij^2 */
        const double want[3] = {S[0], S[1], S[3]};
        const double vv[3] = {2 * S[0] * S[0], S[0] * S[3] + S[1] * S[1], 2 * S[3] * S[3]};
        for (size_t q = 0; q < 3; q++)
            cr_assert_leq(fabs(sq[k][q] / n[k] - want[q]), 4.5 * sqrt(vv[q] / n[k]),
                          "covariance %zu %zu", k, q);
        double nk = tr[k][0] + tr[k][1], pk = TP[k * 3];
        cr_assert_leq(fabs(tr[k][k] / nk - pk), 4.5 * sqrt(pk * (1 - pk) / nk), "P %zu", k);
    }
    /* bit-identical with the same seed; a start that is today's filtered
     * row works the same way */
    cr_assert_eq(qpm_rng_seed(g, 0, 7, 0x2c28fa16a64abf96u, 0x8a02bdbf7bb3c0a7u), QPM_OK);
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, N, H, r2, 2, s2), QPM_OK);
    cr_assert_eq(memcmp(r, r2, N * H * 2 * sizeof *r), 0);
    cr_assert_eq(memcmp(s, s2, N * H * sizeof *s), 0);
    /* a start certain of state 1: day 1 moves by row 1 of P */
    const double one[2] = {0.0, 1.0};
    cr_assert_eq(qpm_regime_simulate(m, g, one, N, 1, r2, 2, s2), QPM_OK);
    size_t c1 = 0;
    for (size_t p = 0; p < N; p++)
        c1 += s2[p] == 1;
    cr_assert_leq(fabs((double)c1 / N - 0.95), 4.5 * sqrt(0.95 * 0.05 / N));
    /* ldo > d leaves the gaps alone; no states wanted */
    double wide[3 * 4];
    for (size_t i = 0; i < 12; i++)
        wide[i] = -7.0;
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, 2, 2, wide, 3, NULL), QPM_OK);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(wide[i * 3 + 2], -7.0);
    /* nothing to draw */
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, 0, 5, NULL, 2, NULL), QPM_OK);
    free(r);
    free(r2);
    free(s);
    free(s2);
    qpm_rng_free(g);
    qpm_regime_free(m);
}

Test(regime, stationary_distribution_of_reducible_and_three_state_chains)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 3, 1), QPM_OK);
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    const double mu[3] = {0, 0, 0}, var[3] = {1, 2, 3};
    const double P[9] = {0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.0, 0.3, 0.7};
    double pi[3];
    cr_assert_eq(qpm_regime_set_params(m, P, mu, var), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    for (size_t j = 0; j < 3; j++) {
        double v = 0.0;
        for (size_t i = 0; i < 3; i++)
            v += pi[i] * P[i * 3 + j];
        cr_assert_float_eq(v, pi[j], 1e-15);
    }
    /* the identity: every distribution is stationary; the uniform one */
    const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    cr_assert_eq(qpm_regime_set_params(m, I, mu, var), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    for (size_t j = 0; j < 3; j++)
        cr_assert_float_eq(pi[j], 1.0 / 3.0, 1e-12);
    /* two absorbing states and a transient one: the long-run average from
     * the uniform start */
    const double A[9] = {1, 0, 0, 0.5, 0, 0.5, 0, 0, 1};
    cr_assert_eq(qpm_regime_set_params(m, A, mu, var), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    cr_assert_float_eq(pi[0], 0.5, 1e-12);
    cr_assert_float_eq(pi[1], 0.0, 1e-12);
    cr_assert_float_eq(pi[2], 0.5, 1e-12);
    qpm_regime_free(m);
}

static int stop_at_3(void *user, double done)
{
    (void)done;
    return ++*(int *)user >= 3;
}

static int count_calls(void *user, double done)
{
    (void)done;
    ++*(int *)user;
    return 0;
}

Test(regime, progress_and_cancel_leave_the_parameters)
{
    qpm_regime *m = sm_model(QPM_REGIME_INIT_ESTIMATED);
    int calls = 0;
    cr_assert_eq(qpm_regime_set_progress(m, count_calls, &calls), QPM_OK);
    size_t it;
    cr_assert_eq(qpm_regime_fit(m, SM_T, SM_Y, 1, 7, 0.0, NULL, &it, NULL), QPM_OK);
    cr_assert_eq(it, 7);
    cr_assert_eq(calls, 8); /* after each of 7 iterations, then 1 */
    cr_assert_eq(qpm_regime_set_params(m, SM_P, SM_MU, SM_VAR), QPM_OK);
    calls = 0;
    cr_assert_eq(qpm_regime_set_progress(m, stop_at_3, &calls), QPM_OK);
    cr_assert_eq(qpm_regime_fit(m, SM_T, SM_Y, 1, 100, 0.0, NULL, NULL, NULL), QPM_E_CANCELLED);
    double P[4];
    cr_assert_eq(qpm_regime_params(m, P, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(memcmp(P, SM_P, sizeof P), 0);
    cr_assert_eq(qpm_regime_set_progress(m, NULL, NULL), QPM_OK);
    qpm_regime_free(m);
}

/* ---- found by fuzz_regime (inputs in tests/fuzz/regress/regime) ----------------- */

/* A three-state, one-asset series of T days from well separated states (vols
 * 1%, 3% and 8%), from generator seed `seed`. */
static double *three_state_series(size_t T, uint64_t seed)
{
    static const double P[9] = {0.95, 0.04, 0.01, 0.05, 0.9, 0.05, 0.02, 0.08, 0.9};
    static const double mu[3] = {0.001, -0.002, 0.004}, var[3] = {1e-4, 9e-4, 64e-4};
    qpm_regime *t = NULL;
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_regime_create(&t, NULL, 3, 1), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(t, P, mu, var), QPM_OK);
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, seed), QPM_OK);
    double *r = malloc(T * sizeof *r);
    cr_assert_eq(qpm_regime_simulate(t, g, NULL, 1, T, r, 1, NULL), QPM_OK);
    qpm_rng_free(g);
    qpm_regime_free(t);
    return r;
}

/* A smoothed probability came out 1.0000000000000002: a sum of quotients
 * that add up to 1 rounds an ulp past it (fuzz_regime's model, series
 * simulated from it). */
Test(regime, smoothed_probabilities_never_exceed_one)
{
    enum { T = 133 };
    const double P[4] = {0x1.941c8686e7e7ap-1, 0x1.af8de5e460615p-3, 0x1.7cadd37f574c6p-3,
                         0x1.a0d48b202a2cfp-1};
    const double mu[2] = {-0x1.7da0bc3a48f16p-9, -0x1.41be40942af45p-8};
    const double var[2] = {0x1.55a03f9c67a6ap-14, 0x1.4eaed56af12edp-8};
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(m, P, mu, var), QPM_OK);
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 1), QPM_OK);
    static double r[T], f[2 * T], s[2 * T];
    size_t ones = 0;
    for (int run = 0; run < 200; run++) {
        cr_assert_eq(qpm_regime_simulate(m, g, NULL, 1, T, r, 1, NULL), QPM_OK);
        cr_assert_eq(qpm_regime_filter(m, T, r, 1, f, s, NULL), QPM_OK);
        for (size_t i = 0; i < 2 * T; i++) {
            cr_assert(f[i] >= 0.0 && f[i] <= 1.0, "filtered[%zu] = %.17g", i, f[i]);
            cr_assert(s[i] >= 0.0 && s[i] <= 1.0, "run %d: smoothed[%zu] = %.17g", run, i,
                      s[i]);
            ones += s[i] == 1.0;
        }
    }
    cr_assert_gt(ones, 0, "no smoothed probability reached 1: the test misses its case");
    qpm_rng_free(g);
    qpm_regime_free(m);
}

/* The fit's log-likelihood differed from qpm_regime_filter's at the fitted
 * parameters by an ulp or more once the states were reordered by
 * volatility (the forward pass sums over the states in their order). */
Test(regime, fit_loglik_is_the_filters_bit_for_bit)
{
    enum { T = 400 };
    for (uint64_t seed = 1; seed <= 12; seed++) {
        double *r = three_state_series(T, seed);
        for (int jumps = 0; jumps < 3; jumps++) {
            qpm_regime *m = NULL;
            cr_assert_eq(qpm_regime_create(&m, NULL, 3, 1), QPM_OK);
            cr_assert_eq(qpm_regime_set_fit_jumps(m, jumps == 1), QPM_OK);
            /* jumps held in the start's calmest state: the most volatile
             * in the end, so the fit reorders the states */
            const double pj[3] = {0.3, 0.0, 0.0}, muj[1] = {0.0}, dj[1] = {0.5};
            if (jumps == 2)
                cr_assert_eq(qpm_regime_set_jumps(m, pj, muj, dj), QPM_OK);
            double ll, lf;
            cr_assert_eq(qpm_regime_fit(m, T, r, 1, 6, 0.0, &ll, NULL, NULL), QPM_OK, "%s",
                         qpm_last_error());
            cr_assert_eq(qpm_regime_filter(m, T, r, 1, NULL, NULL, &lf), QPM_OK);
            cr_assert(memcmp(&ll, &lf, sizeof ll) == 0,
                      "seed %d, jumps %d: fit %.17g, filter %.17g", (int)seed, jumps, ll, lf);
            qpm_regime_free(m);
        }
        free(r);
    }
}

/* A fixed pi stayed in the order of the fit's start when the fit reordered
 * the states: qpm_regime_params reported the reordered pi, and a later
 * qpm_regime_set_params (of those very parameters) or set_initial(_,
 * NULL) went back to the old order, another model. */
Test(regime, fixed_pi_follows_reordered_states)
{
    enum { T = 300 };
    double *r = three_state_series(T, 7);
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 3, 1), QPM_OK);
    const double pi0[3] = {0.6, 0.3, 0.1};
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, pi0), QPM_OK);
    /* jumps held in the start's calmest state: its whole variance makes it
     * the most volatile, so the fit moves it last */
    const double pj[3] = {0.3, 0.0, 0.0}, muj[1] = {0.0}, dj[1] = {0.5};
    cr_assert_eq(qpm_regime_set_jumps(m, pj, muj, dj), QPM_OK);
    double ll;
    cr_assert_eq(qpm_regime_fit(m, T, r, 1, 5, 0.0, &ll, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    double P[9], pi[3], mu[3], var[3], p[3], lf;
    cr_assert_eq(qpm_regime_params(m, P, pi, mu, var), QPM_OK);
    cr_assert_eq(qpm_regime_jumps(m, p, NULL, NULL), QPM_OK);
    cr_assert(p[2] > 0.0 && pi[2] == 0.6 && pi[0] + pi[1] == 0.4, "p %g %g %g, pi %g %g %g", p[0],
              p[1], p[2], pi[0], pi[1], pi[2]);
    /* the same model after set_params of its own parameters */
    cr_assert_eq(qpm_regime_set_params(m, P, mu, var), QPM_OK);
    double pi2[3];
    cr_assert_eq(qpm_regime_params(m, NULL, pi2, NULL, NULL), QPM_OK);
    cr_assert(memcmp(pi, pi2, sizeof pi) == 0, "pi %g %g %g became %g %g %g", pi[0], pi[1], pi[2],
              pi2[0], pi2[1], pi2[2]);
    cr_assert_eq(qpm_regime_filter(m, T, r, 1, NULL, NULL, &lf), QPM_OK);
    cr_assert_eq(lf, ll);
    /* and after switching to the estimated mode, keeping the current pi */
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ESTIMATED, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, NULL, pi2, NULL, NULL), QPM_OK);
    cr_assert(memcmp(pi, pi2, sizeof pi) == 0);
    qpm_regime_free(m);
    free(r);
}

/* ---- (d) bad input ------------------------------------------------------------ */

#define EXPECT(call, status, text)                                                                 \
    do {                                                                                           \
        qpm_status st_ = (call);                                                                   \
        cr_assert_eq(st_, (status), "%s: got %s (%s)", #call, qpm_status_name(st_),                \
                     qpm_last_error());                                                            \
        cr_assert(strstr(qpm_last_error(), (text)) != NULL, "%s: message '%s' lacks '%s'", #call,  \
                  qpm_last_error(), (text));                                                       \
    } while (0)

Test(regime, bad_create)
{
    qpm_regime *m = (qpm_regime *)1;
    EXPECT(qpm_regime_create(&m, NULL, 1, 1), QPM_E_INVALID, "k = 1");
    cr_assert_null(m);
    EXPECT(qpm_regime_create(&m, NULL, 4, 1), QPM_E_INVALID, "k = 4");
    EXPECT(qpm_regime_create(&m, NULL, 2, 0), QPM_E_SIZE, "d = 0");
    EXPECT(qpm_regime_create(&m, NULL, 2, 1001), QPM_E_SIZE, "d = 1001");
    EXPECT(qpm_regime_create(NULL, NULL, 2, 1), QPM_E_NULL, "out");
    qpm_alloc bad = {sizeof bad, NULL, NULL, NULL};
    cr_assert_eq(qpm_regime_create(&m, &bad, 2, 1), QPM_E_NULL);
    qpm_regime_free(NULL);
    size_t k, d;
    EXPECT(qpm_regime_dims(NULL, &k, &d), QPM_E_NULL, "m");
}

Test(regime, bad_params_change_nothing)
{
    qpm_regime *m = sm_model(QPM_REGIME_INIT_ESTIMATED);
    double P[4], mu[2], var[2];
    memcpy(P, SM_P, sizeof P);
    memcpy(mu, SM_MU, sizeof mu);
    memcpy(var, SM_VAR, sizeof var);
    P[1] += 1e-8; /* row 0 sums to 1 + 1e-8 */
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_INVALID, "P row 0 sums to");
    P[1] = SM_P[1] + 0.5e-9; /* within the tolerance */
    P[1] = SM_P[1];
    P[2] = -0.1;
    P[3] = 1.1;
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_INVALID, "P[1][0] = -0.1");
    P[2] = NANV;
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_NONFINITE, "P[1][0]");
    memcpy(P, SM_P, sizeof P);
    mu[1] = INF;
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_NONFINITE, "mu[1][0]");
    mu[1] = SM_MU[1];
    var[1] = -1e-4;
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_NOTPSD, "sigma[1][0][0]");
    var[1] = 0.0;
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_NOTPSD, "sigma[1] is not positive");
    var[1] = NANV;
    EXPECT(qpm_regime_set_params(m, P, mu, var), QPM_E_NONFINITE, "sigma[1][0][0]");
    EXPECT(qpm_regime_set_params(m, NULL, mu, var), QPM_E_NULL, "P");
    EXPECT(qpm_regime_set_params(m, P, NULL, var), QPM_E_NULL, "mu");
    EXPECT(qpm_regime_set_params(m, P, mu, NULL), QPM_E_NULL, "sigma");
    EXPECT(qpm_regime_set_params(NULL, P, mu, var), QPM_E_NULL, "m");
    /* 2 assets: asymmetric, indefinite */
    qpm_regime *m2 = NULL;
    cr_assert_eq(qpm_regime_create(&m2, NULL, 2, 2), QPM_OK);
    const double mu2[4] = {0, 0, 0, 0};
    double S[8] = {1, 0.5, 0.5, 1, 1, 0.2, 0.3, 1};
    EXPECT(qpm_regime_set_params(m2, SM_P, mu2, S), QPM_E_INVALID, "must be symmetric");
    S[6] = 0.2;
    S[5] = S[6] = 2.0; /* |rho| > 1 */
    EXPECT(qpm_regime_set_params(m2, SM_P, mu2, S), QPM_E_NOTPSD, "sigma[1] is not positive");
    EXPECT(qpm_regime_params(m2, P, NULL, NULL, NULL), QPM_E_STATE, "no parameters");
    qpm_regime_free(m2);
    /* m still holds statsmodels' parameters */
    double P0[4], mu0[2], v0[2];
    cr_assert_eq(qpm_regime_params(m, P0, NULL, mu0, v0), QPM_OK);
    cr_assert_eq(memcmp(P0, SM_P, sizeof P0), 0);
    cr_assert_eq(memcmp(mu0, SM_MU, sizeof mu0), 0);
    cr_assert_eq(memcmp(v0, SM_VAR, sizeof v0), 0);
    EXPECT(qpm_regime_params(NULL, P0, NULL, NULL, NULL), QPM_E_NULL, "m");
    qpm_regime_free(m);
}

Test(regime, bad_initial)
{
    qpm_regime *m = sm_model(QPM_REGIME_INIT_ESTIMATED);
    const double neg[2] = {-0.1, 1.1}, off[2] = {0.5, 0.6}, nan2[2] = {NANV, 0.5};
    EXPECT(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, NULL), QPM_E_NULL, "pi");
    EXPECT(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, neg), QPM_E_INVALID, "pi[0]");
    EXPECT(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, off), QPM_E_INVALID, "pi sums to");
    EXPECT(qpm_regime_set_initial(m, QPM_REGIME_INIT_ESTIMATED, nan2), QPM_E_NONFINITE, "pi[0]");
    EXPECT(qpm_regime_set_initial(m, (qpm_regime_init)3, NULL), QPM_E_INVALID, "mode = 3");
    EXPECT(qpm_regime_set_initial(NULL, QPM_REGIME_INIT_ERGODIC, NULL), QPM_E_NULL, "m");
    qpm_regime_init mode;
    EXPECT(qpm_regime_get_initial(m, NULL), QPM_E_NULL, "mode");
    EXPECT(qpm_regime_get_initial(NULL, &mode), QPM_E_NULL, "m");
    cr_assert_eq(qpm_regime_get_initial(m, &mode), QPM_OK);
    cr_assert_eq(mode, QPM_REGIME_INIT_ESTIMATED);
    double pi[2];
    cr_assert_eq(qpm_regime_params(m, NULL, pi, NULL, NULL), QPM_OK);
    cr_assert_eq(pi[0], 0.5);
    EXPECT(qpm_regime_set_progress(NULL, NULL, NULL), QPM_E_NULL, "m");
    qpm_regime_free(m);
}

Test(regime, bad_fit_changes_nothing)
{
    qpm_regime *m = sm_model(QPM_REGIME_INIT_ESTIMATED);
    static double y[SM_T];
    memcpy(y, SM_Y, sizeof y);
    double ll = -7.0;
    size_t it = 99;
    int conv = -1;
    y[17] = NANV;
    EXPECT(qpm_regime_fit(m, SM_T, y, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_NONFINITE, "r[17][0]");
    y[17] = SM_Y[17];
    /* 2 + 4 + 1 parameters */
    EXPECT(qpm_regime_fit(m, 7, y, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_SIZE, "T = 7");
    cr_assert_eq(qpm_regime_fit(m, 8, y, 1, 100, 1e-8, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(m, SM_P, SM_MU, SM_VAR), QPM_OK);
    EXPECT(qpm_regime_fit(m, SM_T, y, 0, 100, 1e-8, &ll, &it, &conv), QPM_E_SIZE, "ldr = 0");
    EXPECT(qpm_regime_fit(m, SM_T, y, 1, 0, 1e-8, &ll, &it, &conv), QPM_E_INVALID, "max_iter");
    EXPECT(qpm_regime_fit(m, SM_T, y, 1, 100, -1.0, &ll, &it, &conv), QPM_E_INVALID, "tol");
    EXPECT(qpm_regime_fit(m, SM_T, y, 1, 100, NANV, &ll, &it, &conv), QPM_E_INVALID, "tol");
    EXPECT(qpm_regime_fit(m, SM_T, NULL, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_NULL, "r");
    EXPECT(qpm_regime_fit(NULL, SM_T, y, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_NULL, "m");
    static double flat[SM_T];
    for (size_t t = 0; t < SM_T; t++)
        flat[t] = 0.01;
    EXPECT(qpm_regime_fit(m, SM_T, flat, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_INVALID,
           "r column 0 is constant");
    static double huge[SM_T];
    for (size_t t = 0; t < SM_T; t++)
        huge[t] = (t % 2 ? 0.9 : -0.9) * DBL_MAX;
    EXPECT(qpm_regime_fit(m, SM_T, huge, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_OVERFLOW,
           "r column 0");
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    EXPECT(qpm_regime_fit(m, SM_T, y, 1, 100, 1e-8, &ll, &it, &conv), QPM_E_UNSUPPORTED, "ergodic");
    /* 3 states over 2 assets: 6 + 15 + 2 = 23 parameters */
    qpm_regime *m3 = NULL;
    cr_assert_eq(qpm_regime_create(&m3, NULL, 3, 2), QPM_OK);
    EXPECT(qpm_regime_fit(m3, 23, y, 2, 10, 1e-8, &ll, &it, &conv), QPM_E_SIZE, "23 free");
    qpm_regime_free(m3);
    cr_assert_eq(ll, -7.0);
    cr_assert_eq(it, 99);
    cr_assert_eq(conv, -1);
    double P[4], mu[2], var[2];
    cr_assert_eq(qpm_regime_params(m, P, NULL, mu, var), QPM_OK);
    cr_assert_eq(memcmp(P, SM_P, sizeof P), 0);
    cr_assert_eq(memcmp(mu, SM_MU, sizeof mu), 0);
    cr_assert_eq(memcmp(var, SM_VAR, sizeof var), 0);
    qpm_regime_free(m);
}

Test(regime, degenerate_states_are_floored_never_nan)
{
    /* half the days exactly 0: the calm state collapses onto them and its
     * variance onto the floor, 1e-6 times the series' variance */
    enum { T = 400 };
    static double y[T];
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 3), QPM_OK);
    cr_assert_eq(qpm_rng_normal(g, T, y), QPM_OK);
    for (size_t t = 0; t < T; t += 2)
        y[t] = 0.0;
    double mean = 0.0, var = 0.0;
    for (size_t t = 0; t < T; t++)
        mean += y[t] / T;
    for (size_t t = 0; t < T; t++)
        var += (y[t] - mean) * (y[t] - mean) / T;
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    double ll, mu[2], S[2], P[4];
    cr_assert_eq(qpm_regime_fit(m, T, y, 1, 500, 1e-10, &ll, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_params(m, P, NULL, mu, S), QPM_OK);
    cr_assert(isfinite(ll));
    cr_assert_float_eq(S[0], 1e-6 * var, 1e-9 * var);
    for (size_t i = 0; i < 4; i++)
        cr_assert(isfinite(P[i]));
    cr_assert(isfinite(mu[0]) && isfinite(mu[1]) && isfinite(S[1]));
    /* 3 states over one Gaussian regime: three alike states or a lost one,
     * never NaN */
    qpm_regime *m3 = NULL;
    cr_assert_eq(qpm_regime_create(&m3, NULL, 3, 1), QPM_OK);
    cr_assert_eq(qpm_rng_normal(g, T, y), QPM_OK);
    qpm_status st = qpm_regime_fit(m3, T, y, 1, 200, 1e-10, &ll, NULL, NULL);
    cr_assert(st == QPM_OK || st == QPM_E_NOCONVERGE, "%s", qpm_last_error());
    if (st == QPM_OK) {
        double S3[3];
        cr_assert(isfinite(ll));
        cr_assert_eq(qpm_regime_params(m3, NULL, NULL, NULL, S3), QPM_OK);
        cr_assert(isfinite(S3[0]) && isfinite(S3[1]) && isfinite(S3[2]));
    }
    qpm_regime_free(m3);
    qpm_regime_free(m);
    qpm_rng_free(g);
}

Test(regime, bad_filter_and_simulate_change_nothing)
{
    qpm_regime *m = NULL, *m0 = NULL;
    cr_assert_eq(qpm_regime_create(&m0, NULL, 2, 1), QPM_OK);
    m = sm_model(QPM_REGIME_INIT_ERGODIC);
    double f[4] = {-1, -1, -1, -1}, s[4] = {-1, -1, -1, -1}, ll = -7.0;
    const double y[2] = {0.01, INF};
    EXPECT(qpm_regime_filter(m, 2, y, 1, f, s, &ll), QPM_E_NONFINITE, "r[1][0]");
    EXPECT(qpm_regime_filter(m, 0, y, 1, f, s, &ll), QPM_E_SIZE, "T = 0");
    EXPECT(qpm_regime_filter(m, 1, y, 0, f, s, &ll), QPM_E_SIZE, "ldr = 0");
    EXPECT(qpm_regime_filter(m, 1, NULL, 1, f, s, &ll), QPM_E_NULL, "r");
    EXPECT(qpm_regime_filter(NULL, 1, y, 1, f, s, &ll), QPM_E_NULL, "m");
    EXPECT(qpm_regime_filter(m0, 1, y, 1, f, s, &ll), QPM_E_STATE, "no parameters");
    /* a state that cannot be reached and a day only it explains */
    qpm_regime *m2 = NULL;
    cr_assert_eq(qpm_regime_create(&m2, NULL, 2, 1), QPM_OK);
    const double P[4] = {1, 0, 0, 1}, mu[2] = {0, 100}, var[2] = {1e-6, 1e-6}, pi[2] = {1, 0};
    cr_assert_eq(qpm_regime_set_params(m2, P, mu, var), QPM_OK);
    cr_assert_eq(qpm_regime_set_initial(m2, QPM_REGIME_INIT_FIXED, pi), QPM_OK);
    const double far[2] = {0.0, 100.0};
    EXPECT(qpm_regime_filter(m2, 2, far, 1, f, s, &ll), QPM_E_OVERFLOW, "r row 1");
    qpm_regime_free(m2);
    for (size_t i = 0; i < 4; i++)
        cr_assert(f[i] == -1 && s[i] == -1);
    cr_assert_eq(ll, -7.0);

    qpm_rng *g = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 1), QPM_OK);
    uint64_t st0, st1;
    cr_assert_eq(qpm_rng_get_state(g, NULL, &st0, NULL, NULL), QPM_OK);
    double out[4] = {-1, -1, -1, -1};
    size_t states[4] = {9, 9, 9, 9};
    const double bad[2] = {0.7, 0.2}, neg[2] = {1.5, -0.5}, nan2[2] = {NANV, 1.0};
    EXPECT(qpm_regime_simulate(m, g, bad, 2, 2, out, 1, states), QPM_E_INVALID, "start sums");
    EXPECT(qpm_regime_simulate(m, g, neg, 2, 2, out, 1, states), QPM_E_INVALID, "start[1]");
    EXPECT(qpm_regime_simulate(m, g, nan2, 2, 2, out, 1, states), QPM_E_NONFINITE, "start[0]");
    EXPECT(qpm_regime_simulate(m, g, NULL, 2, 2, out, 0, states), QPM_E_SIZE, "ldo = 0");
    EXPECT(qpm_regime_simulate(m, g, NULL, 2, 2, NULL, 1, states), QPM_E_NULL, "returns");
    EXPECT(qpm_regime_simulate(m, NULL, NULL, 2, 2, out, 1, states), QPM_E_NULL, "rng");
    EXPECT(qpm_regime_simulate(NULL, g, NULL, 2, 2, out, 1, states), QPM_E_NULL, "m");
    EXPECT(qpm_regime_simulate(m0, g, NULL, 2, 2, out, 1, states), QPM_E_STATE, "no parameters");
    cr_assert_eq(qpm_rng_get_state(g, NULL, &st1, NULL, NULL), QPM_OK);
    cr_assert_eq(st0, st1);
    for (size_t i = 0; i < 4; i++)
        cr_assert(out[i] == -1 && states[i] == 9);
    qpm_rng_free(g);
    qpm_regime_free(m);
    qpm_regime_free(m0);
}

Test(regime, dims_and_tolerance)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 3, 4), QPM_OK);
    size_t k = 0, d = 0;
    cr_assert_eq(qpm_regime_dims(m, &k, &d), QPM_OK);
    cr_assert(k == 3 && d == 4);
    cr_assert_eq(qpm_regime_dims(m, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_prob_tol(), QPM_REGIME_PROB_TOL);
    qpm_regime_free(m);
}

/* ---- out of memory at every allocation ----------------------------------------- */

Test(regime, out_of_memory_everywhere)
{
    int done = 0;
    for (long fail = 0; !done && fail < 100; fail++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, fail);
        qpm_regime *m = NULL;
        qpm_status st = qpm_regime_create(&m, &fa.alloc, 2, 1);
        if (st == QPM_OK)
            st = qpm_regime_fit(m, SM_T, SM_Y, 1, 50, 1e-8, NULL, NULL, NULL);
        if (st == QPM_OK) {
            double f[2 * 10];
            st = qpm_regime_filter(m, 10, SM_Y, 1, f, f, NULL);
        }
        if (st == QPM_OK) {
            const double P[4] = {0.9, 0.1, 0.1, 0.9}, mu[2] = {0, 0}, v[2] = {1, 2};
            st = qpm_regime_set_params(m, P, mu, v);
        }
        if (st == QPM_OK)
            done = 1;
        else
            cr_assert_eq(st, QPM_E_NOMEM, "fail at %ld: %s", fail, qpm_last_error());
        qpm_regime_free(m);
        cr_assert_eq(fa.live, 0, "fail at %ld: %ld blocks leaked", fail, fa.live);
    }
    cr_assert(done);
    cr_assert_eq(qt_leak_check(), 0);
}
