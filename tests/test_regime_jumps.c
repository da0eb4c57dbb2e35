/* regime: the jumps of the regime-switching model (include/qpm/regime.h,
 * "Jumps").  The log-likelihood and the filtered and smoothed
 * probabilities against an independent implementation in numpy (log-space
 * forward-backward, tests/data/regime_jumps_ref.py writes
 * tests/data/regime_jumps_ref.inc) and against a brute-force sum over every
 * path of a short series computed here; no jumps is the Gaussian model bit
 * for bit; the EM fit with jumps recovers a simulated series and its
 * log-likelihood never decreases; the simulation's jump days and sizes;
 * the same bits through qpm_risk_simulate_regime for 1 and 2 threads; bad
 * input, with its status and message and nothing changed; out of memory at
 * every allocation. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/regime.h"
#include "qpm/risk.h"
#include "qpm/rng.h"
#include "support/testutil.h"

#include "data/regime_jumps_ref.inc"

#define NANV ((double)NAN)
#define INF  ((double)INFINITY)

#define EXPECT(call, status, text)                                                                 \
    do {                                                                                           \
        qpm_status st_ = (call);                                                                   \
        cr_assert_eq(st_, (status), "%s: got %s (%s)", #call, qpm_status_name(st_),                \
                     qpm_last_error());                                                            \
        cr_assert(strstr(qpm_last_error(), (text)) != NULL, "%s: message '%s' lacks '%s'", #call,  \
                  qpm_last_error(), (text));                                                       \
    } while (0)

static qpm_regime *model(size_t k, size_t d, const double *P, const double *mu,
                         const double *sigma, const double *pj, const double *muj,
                         const double *dj)
{
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, k, d), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(m, P, mu, sigma), QPM_OK, "%s", qpm_last_error());
    if (pj != NULL)
        cr_assert_eq(qpm_regime_set_jumps(m, pj, muj, dj), QPM_OK, "%s", qpm_last_error());
    return m;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++)
        e = fmax(e, fabs(a[i] - b[i]));
    return e;
}

/* ---- against the numpy reference ---------------------------------------------- */

static void check_reference(qpm_regime *m, size_t T, size_t K, size_t d, const double *x,
                            double ll_ref, const double *filt_ref, const double *smooth_ref,
                            const char *tag)
{
    double *f = malloc(T * K * sizeof *f), *s = malloc(T * K * sizeof *s), ll;
    cr_assert_eq(qpm_regime_filter(m, T, x, d, f, s, &ll), QPM_OK, "%s", qpm_last_error());
    double dll = fabs(ll - ll_ref), df = max_abs_diff(f, filt_ref, T * K);
    double ds = max_abs_diff(s, smooth_ref, T * K);
    cr_log_info("%s: loglik %.17g vs numpy %.17g (|d| = %.3g), max |d filtered| = %.3g, "
                "max |d smoothed| = %.3g",
                tag, ll, ll_ref, dll, df, ds);
    cr_assert_leq(dll, 1e-10, "%s loglik", tag);
    cr_assert_leq(df, 1e-10, "%s filtered", tag);
    cr_assert_leq(ds, 1e-10, "%s smoothed", tag);
    free(f);
    free(s);
}

Test(regime_jumps, likelihood_and_probabilities_match_numpy)
{
    /* A: 3 states, 2 assets, fixed pi, a state without jumps */
    qpm_regime *a = model(JA_K, JA_D, JA_P, JA_MU, JA_SIGMA, JA_PJ, JA_MUJ, JA_DJ);
    cr_assert_eq(qpm_regime_set_initial(a, QPM_REGIME_INIT_FIXED, JA_PI), QPM_OK);
    check_reference(a, JA_T, JA_K, JA_D, JA_X, JA_LL, JA_FILTERED, JA_SMOOTHED, "A");
    /* the outlier planted on day 50 (-25%, -30%) is a jump day: the calm
     * state, which has no jumps, cannot have produced it */
    static double s[JA_T * JA_K];
    cr_assert_eq(qpm_regime_filter(a, JA_T, JA_X, JA_D, NULL, s, NULL), QPM_OK);
    cr_assert_lt(s[50 * JA_K], 1e-6);
    qpm_regime_free(a);
    /* B: 2 states, 3 assets, ergodic pi */
    qpm_regime *b = model(JB_K, JB_D, JB_P, JB_MU, JB_SIGMA, JB_PJ, JB_MUJ, JB_DJ);
    cr_assert_eq(qpm_regime_set_initial(b, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    double pi[2];
    cr_assert_eq(qpm_regime_params(b, NULL, pi, NULL, NULL), QPM_OK);
    cr_assert_float_eq(pi[0], JB_PI[0], 1e-15);
    check_reference(b, JB_T, JB_K, JB_D, JB_X, JB_LL, JB_FILTERED, JB_SMOOTHED, "B");
    qpm_regime_free(b);
}

/* ---- against a brute-force sum over every path ---------------------------------- */

/* log N(x; m, S) for 2 assets, by the explicit inverse */
static double normal2(const double *x, const double *m, const double *S)
{
    double a = S[0], b = S[1], c = S[3], det = a * c - b * b;
    double u = x[0] - m[0], v = x[1] - m[1];
    double q = (c * u * u - 2.0 * b * u * v + a * v * v) / det;
    return exp(-0.5 * q) / (2.0 * M_PI * sqrt(det));
}

Test(regime_jumps, brute_force_over_every_path)
{
    /* 3 states, 2 assets, 6 days: 729 paths, each the product of the
     * mixture densities (1 - p) N0 + p N1 written out here */
    enum { T = 6, K = 3, D = 2, NP = 729 };
    const double P[9] = {0.9, 0.07, 0.03, 0.1, 0.8, 0.1, 0.05, 0.25, 0.7};
    const double pi[3] = {0.5, 0.3, 0.2};
    const double mu[6] = {0.001, 0.0, -0.002, 0.001, -0.01, -0.02};
    const double S[12] = {1e-4, 5e-5, 5e-5, 4e-4, 4e-4, 3e-4, 3e-4, 9e-4, 16e-4, 2e-3, 2e-3, 36e-4};
    const double pj[3] = {0.02, 0.0, 0.15}, muj[2] = {-0.05, -0.04}, dj[2] = {0.06, 0.05};
    const double x[T * D] = {0.004, -0.01, -0.02, 0.015, -0.16, -0.12,
                             0.03,  0.05,  -0.01, 0.0,   0.002, -0.001};
    double dens[T][K];
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < K; k++) {
            double SJ[4] = {S[k * 4] + dj[0] * dj[0], S[k * 4 + 1], S[k * 4 + 2],
                            S[k * 4 + 3] + dj[1] * dj[1]};
            double mJ[2] = {mu[k * 2] + muj[0], mu[k * 2 + 1] + muj[1]};
            dens[t][k] = (1.0 - pj[k]) * normal2(x + t * D, mu + k * 2, S + k * 4) +
                         pj[k] * normal2(x + t * D, mJ, SJ);
        }
    /* prefix sums: w[t][k] = sum over the paths of days 0..t ending in k */
    double filt[T * K], smooth[T * K] = {0}, total = 0.0, ll_ref = 0.0;
    for (size_t t = 0; t < T; t++) {
        size_t npre = 1;
        for (size_t q = 0; q <= t; q++)
            npre *= K;
        double w[K] = {0}, sum = 0.0;
        for (size_t path = 0; path < npre; path++) {
            size_t code = path, s_prev = 0;
            double v = 1.0;
            for (size_t q = 0; q <= t; q++) {
                size_t s = code % K;
                code /= K;
                v *= (q == 0 ? pi[s] : P[s_prev * K + s]) * dens[q][s];
                s_prev = s;
            }
            w[s_prev] += v;
            sum += v;
        }
        for (size_t k = 0; k < K; k++)
            filt[t * K + k] = w[k] / sum;
        if (t == T - 1)
            total = sum;
    }
    for (size_t path = 0; path < NP; path++) {
        size_t code = path, s_prev = 0, st[T];
        double v = 1.0;
        for (size_t q = 0; q < T; q++) {
            st[q] = code % K;
            code /= K;
            v *= (q == 0 ? pi[st[q]] : P[s_prev * K + st[q]]) * dens[q][st[q]];
            s_prev = st[q];
        }
        for (size_t q = 0; q < T; q++)
            smooth[q * K + st[q]] += v / total;
    }
    ll_ref = log(total);
    qpm_regime *m = model(K, D, P, mu, S, pj, muj, dj);
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, pi), QPM_OK);
    double f[T * K], s[T * K], ll;
    cr_assert_eq(qpm_regime_filter(m, T, x, D, f, s, &ll), QPM_OK, "%s", qpm_last_error());
    double df = max_abs_diff(f, filt, T * K), ds = max_abs_diff(s, smooth, T * K);
    cr_log_info("brute force over %d paths: |dloglik| = %.3g, max |d filtered| = %.3g, max |d "
                "smoothed| = %.3g",
                NP, fabs(ll - ll_ref), df, ds);
    cr_assert_leq(fabs(ll - ll_ref), 1e-10, "loglik %.17g vs %.17g", ll, ll_ref);
    cr_assert_leq(df, 1e-10);
    cr_assert_leq(ds, 1e-10);
    /* day 2 (-16%, -12%) is a jump day: the state without jumps (1) is all
     * but excluded, though it is the likelier one without jumps */
    cr_assert_lt(s[2 * K + 1], 1e-6);
    qpm_regime_free(m);
}

/* ---- no jumps: the Gaussian model, bit for bit ------------------------------------ */

static const double TP[4] = {0.98, 0.02, 0.05, 0.95};
static const double TMU[4] = {0.001, 0.0005, -0.003, -0.002};
/* calm: vols 1% and 2%, correlation 0.3; turbulent: 3% and 5%, 0.8 */
static const double TSIG[8] = {1e-4, 0.3 * 0.01 * 0.02, 0.3 * 0.01 * 0.02, 4e-4,
                               9e-4, 0.8 * 0.03 * 0.05, 0.8 * 0.03 * 0.05, 25e-4};
/* jumps of the recovery test: on 1% of calm days and 4% of turbulent ones,
 * -5% and -7% on average, standard deviations 4% and 6% */
static const double TPJ[2] = {0.01, 0.04}, TMUJ[2] = {-0.05, -0.07}, TDJ[2] = {0.04, 0.06};

Test(regime_jumps, no_jumps_is_the_gaussian_model_bit_for_bit)
{
    enum { T = 3000 };
    qpm_regime *g = model(2, 2, TP, TMU, TSIG, NULL, NULL, NULL);
    qpm_regime *z = model(2, 2, TP, TMU, TSIG, NULL, NULL, NULL);
    qpm_rng *r1 = NULL, *r2 = NULL;
    cr_assert_eq(qpm_rng_create_seed(&r1, NULL, QPM_RNG_PCG64DXSM, 5), QPM_OK);
    cr_assert_eq(qpm_rng_create_seed(&r2, NULL, QPM_RNG_PCG64DXSM, 5), QPM_OK);
    /* jumps set, then taken away (p = 0; their sizes stay in the handle) */
    cr_assert_eq(qpm_regime_set_jumps(z, TPJ, TMUJ, TDJ), QPM_OK);
    const double zero[2] = {0.0, 0.0};
    cr_assert_eq(qpm_regime_set_jumps(z, zero, TMUJ, TDJ), QPM_OK);
    double pj[2], mj[2], dj[2];
    cr_assert_eq(qpm_regime_jumps(z, pj, mj, dj), QPM_OK);
    cr_assert(pj[0] == 0.0 && pj[1] == 0.0 && mj[1] == TMUJ[1] && dj[1] == TDJ[1]);
    static double x1[T * 2], x2[T * 2], f1[T * 2], f2[T * 2], s1[T * 2], s2[T * 2];
    static size_t st1[T], st2[T];
    cr_assert_eq(qpm_regime_simulate(g, r1, NULL, 3, T / 3, x1, 2, st1), QPM_OK);
    cr_assert_eq(qpm_regime_simulate(z, r2, NULL, 3, T / 3, x2, 2, st2), QPM_OK);
    cr_assert_eq(memcmp(x1, x2, sizeof x1), 0);
    cr_assert_eq(memcmp(st1, st2, sizeof st1), 0);
    double ll1, ll2;
    cr_assert_eq(qpm_regime_filter(g, T, x1, 2, f1, s1, &ll1), QPM_OK);
    cr_assert_eq(qpm_regime_filter(z, T, x1, 2, f2, s2, &ll2), QPM_OK);
    cr_assert_eq(memcmp(f1, f2, sizeof f1), 0);
    cr_assert_eq(memcmp(s1, s2, sizeof s1), 0);
    cr_assert_eq(memcmp(&ll1, &ll2, sizeof ll1), 0);
    /* the fit: jump fitting off, no jumps held */
    size_t it1, it2;
    cr_assert_eq(qpm_regime_fit(g, T, x1, 2, 300, 1e-10, &ll1, &it1, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_fit(z, T, x1, 2, 300, 1e-10, &ll2, &it2, NULL), QPM_OK);
    double P1[4], P2[4], m1[4], m2[4], S1[8], S2[8];
    cr_assert_eq(qpm_regime_params(g, P1, NULL, m1, S1), QPM_OK);
    cr_assert_eq(qpm_regime_params(z, P2, NULL, m2, S2), QPM_OK);
    cr_assert(it1 == it2 && memcmp(&ll1, &ll2, sizeof ll1) == 0);
    cr_assert(memcmp(P1, P2, sizeof P1) == 0 && memcmp(m1, m2, sizeof m1) == 0 &&
              memcmp(S1, S2, sizeof S1) == 0);
    /* the jumps of z are untouched by a fit that does not fit them */
    cr_assert_eq(qpm_regime_jumps(z, pj, mj, dj), QPM_OK);
    cr_assert(pj[1] == 0.0 && mj[0] == TMUJ[0] && dj[0] == TDJ[0]);
    qpm_rng_free(r1);
    qpm_rng_free(r2);
    qpm_regime_free(g);
    qpm_regime_free(z);
}

/* ---- the fit: recovery and monotone EM -------------------------------------------- */

static double *simulate_truth(size_t T, uint64_t seed, size_t *states)
{
    qpm_regime *t = model(2, 2, TP, TMU, TSIG, TPJ, TMUJ, TDJ);
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, seed), QPM_OK);
    double *r = malloc(T * 2 * sizeof *r);
    const double start[2] = {1.0, 0.0};
    cr_assert_eq(qpm_regime_simulate(t, g, start, 1, T, r, 2, states), QPM_OK);
    qpm_rng_free(g);
    qpm_regime_free(t);
    return r;
}

Test(regime_jumps, fit_recovers_a_simulated_series_with_jumps)
{
    enum { T = 20000 };
    static size_t st[T];
    double *r = simulate_truth(T, 42, st);
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    cr_assert_eq(qpm_regime_set_fit_jumps(m, 1), QPM_OK);
    int on = 0;
    cr_assert_eq(qpm_regime_get_fit_jumps(m, &on), QPM_OK);
    cr_assert_eq(on, 1);
    double ll;
    size_t it;
    int conv;
    cr_assert_eq(qpm_regime_fit(m, T, r, 2, 2000, 1e-10, &ll, &it, &conv), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(conv, 1);
    double P[4], mu[4], S[8], pj[2], mj[2], dj[2];
    cr_assert_eq(qpm_regime_params(m, P, NULL, mu, S), QPM_OK);
    cr_assert_eq(qpm_regime_jumps(m, pj, mj, dj), QPM_OK);
    /* Tolerance: 5 standard deviations of each estimator, measured over
     * 200 independent series of this model (T = 20000, seeds 1 to 200 of
     * the same simulation; every fit converged, the estimators' means lay
     * within 0.16 of their sd of the truth, and the largest deviation of
     * any one was 3.9 sd).  Jump days are inferred, not observed, so the
     * sd of p_k is larger than the binomial sqrt(p (1 - p) / N_k): 0.00104
     * against 0.00083 for the calm state, 0.0046 against 0.0026 for the
     * turbulent one. */
    struct {
        const char *name;
        double got, want, sd;
    } est[] = {
        {"P[0][0]", P[0], TP[0], 0.001434},
        {"P[1][1]", P[3], TP[3], 0.003520},
        {"p[0]", pj[0], TPJ[0], 0.001038},
        {"p[1]", pj[1], TPJ[1], 0.004646},
        {"mu_j[0]", mj[0], TMUJ[0], 0.002871},
        {"mu_j[1]", mj[1], TMUJ[1], 0.004982},
        {"delta_j[0]", dj[0], TDJ[0], 0.002211},
        {"delta_j[1]", dj[1], TDJ[1], 0.003267},
        {"mu[0][0]", mu[0], TMU[0], 8.7e-5},
        {"mu[0][1]", mu[1], TMU[1], 1.75e-4},
        {"mu[1][0]", mu[2], TMU[2], 4.39e-4},
        {"mu[1][1]", mu[3], TMU[3], 7.61e-4},
        {"vol[0][0]", sqrt(S[0]), 0.01, 7.2e-5},
        {"vol[0][1]", sqrt(S[3]), 0.02, 1.31e-4},
        {"vol[1][0]", sqrt(S[4]), 0.03, 3.24e-4},
        {"vol[1][1]", sqrt(S[7]), 0.05, 5.40e-4},
        {"rho[0]", S[1] / sqrt(S[0] * S[3]), 0.3, 0.00797},
        {"rho[1]", S[5] / sqrt(S[4] * S[7]), 0.8, 0.00543},
    };
    double worst = 0.0;
    for (size_t i = 0; i < sizeof est / sizeof est[0]; i++) {
        double z = fabs(est[i].got - est[i].want) / est[i].sd;
        cr_log_info("%-10s %10.6f (truth %9.6f): %+.6f, %.2f sd", est[i].name, est[i].got,
                    est[i].want, est[i].got - est[i].want, z);
        worst = fmax(worst, z);
        cr_assert_leq(z, 5.0, "%s = %.6g vs %.6g", est[i].name, est[i].got, est[i].want);
    }
    cr_log_info("recovery with jumps: largest error %.2f sd, %zu iterations", worst, it);
    /* the fit's log-likelihood is the filter's at the fitted parameters,
     * and it beats the truth's */
    double llf, llt;
    cr_assert_eq(qpm_regime_filter(m, T, r, 2, NULL, NULL, &llf), QPM_OK);
    cr_assert_eq(llf, ll);
    qpm_regime *t = model(2, 2, TP, TMU, TSIG, TPJ, TMUJ, TDJ);
    cr_assert_eq(qpm_regime_filter(t, T, r, 2, NULL, NULL, &llt), QPM_OK);
    cr_assert_geq(ll, llt);
    qpm_regime_free(t);
    free(r);
    qpm_regime_free(m);
}

/* The log-likelihood after n iterations, n = 1, 2, ...: the fit from its
 * deterministic start stopped after n (tol = 0 runs them all). */
static void check_monotone(qpm_regime *m, size_t T, const double *r, size_t n, const char *what)
{
    double prev = -HUGE_VAL;
    size_t rises = 0;
    for (size_t it = 1; it <= n; it++) {
        double ll;
        size_t done;
        cr_assert_eq(qpm_regime_fit(m, T, r, 2, it, 0.0, &ll, &done, NULL), QPM_OK, "%s",
                     qpm_last_error());
        if (done < it)
            break; /* converged exactly */
        /* rounding alone: the change of a converged fit is ~1e-12 */
        cr_assert_geq(ll, prev - 1e-11 * fabs(ll), "%s: iteration %zu: %.17g after %.17g", what,
                      it, ll, prev);
        rises += ll > prev;
        prev = ll;
    }
    cr_assert_geq(rises, n / 2, "%s", what);
}

Test(regime_jumps, em_log_likelihood_never_decreases)
{
    enum { T = 3000 };
    static size_t st[T];
    double *r = simulate_truth(T, 7, st);
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    /* jumps fitted from the default start */
    cr_assert_eq(qpm_regime_set_fit_jumps(m, 1), QPM_OK);
    check_monotone(m, T, r, 40, "fitted jumps");
    /* held jumps (the handle's, not fitted): the rest is fitted around them */
    qpm_regime *h = NULL;
    cr_assert_eq(qpm_regime_create(&h, NULL, 2, 2), QPM_OK);
    const double pj[2] = {0.02, 0.02}, mj[2] = {-0.03, -0.03}, dj[2] = {0.05, 0.05};
    cr_assert_eq(qpm_regime_set_jumps(h, pj, mj, dj), QPM_OK);
    check_monotone(h, T, r, 30, "held jumps");
    double p2[2], m2[2], d2[2];
    cr_assert_eq(qpm_regime_jumps(h, p2, m2, d2), QPM_OK);
    cr_assert(memcmp(p2, pj, sizeof pj) == 0 && memcmp(m2, mj, sizeof mj) == 0 &&
              memcmp(d2, dj, sizeof dj) == 0);
    /* a warm start from the handle's jumps: a state with p = 0 keeps it */
    const double p0[2] = {0.0, 0.05};
    cr_assert_eq(qpm_regime_set_jumps(m, p0, mj, dj), QPM_OK);
    double ll;
    cr_assert_eq(qpm_regime_fit(m, T, r, 2, 500, 1e-10, &ll, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_jumps(m, p2, NULL, NULL), QPM_OK);
    cr_assert(p2[0] == 0.0 || p2[1] == 0.0, "p = %g, %g", p2[0], p2[1]);
    cr_assert(p2[0] > 0.0 || p2[1] > 0.0);
    free(r);
    qpm_regime_free(h);
    qpm_regime_free(m);
}

/* The log-likelihood of r at the fitted parameters of f with entry `which`
 * moved by h: 0-1 P[k][k] (the row's other entry following), 2-5 mu, 6-9
 * the variances, 10-11 the covariances, 12-13 p, 14-15 mu_j, 16-17
 * delta_j. */
static double moved_loglik(const qpm_regime *f, size_t T, const double *r, int which, double h)
{
    double P[4], pi[2], mu[4], S[8], pj[2], mj[2], dj[2], ll;
    cr_assert_eq(qpm_regime_params(f, P, pi, mu, S), QPM_OK);
    cr_assert_eq(qpm_regime_jumps(f, pj, mj, dj), QPM_OK);
    if (which < 2) {
        P[which * 3] += h;
        P[which * 3 + (which == 0 ? 1 : -1)] -= h;
    } else if (which < 6) {
        mu[which - 2] += h;
    } else if (which < 10) {
        S[(which - 6) / 2 * 4 + (which - 6) % 2 * 3] += h;
    } else if (which < 12) {
        S[(which - 10) * 4 + 1] += h;
        S[(which - 10) * 4 + 2] += h;
    } else if (which < 14) {
        pj[which - 12] += h;
    } else if (which < 16) {
        mj[which - 14] += h;
    } else {
        dj[which - 16] += h;
    }
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_FIXED, pi), QPM_OK);
    cr_assert_eq(qpm_regime_set_jumps(m, pj, mj, dj), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_regime_set_params(m, P, mu, S), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_regime_filter(m, T, r, 2, NULL, NULL, &ll), QPM_OK);
    qpm_regime_free(m);
    return ll;
}

/* At the fit's fixed point every partial derivative of the log-likelihood
 * is 0: along each parameter (n of them) the maximum of the parabola
 * through the log-likelihoods at -h, 0, +h lies within 0.01 of that
 * parameter's conditional standard deviation (1 / sqrt(-curvature)).  An
 * M-step that is not the exact maximiser (a term of the expected
 * complete-data log-likelihood left out) stops the EM elsewhere. */
static void check_stationary(const qpm_regime *f, size_t T, const double *r, int n,
                             const char *what)
{
    static const double step[18] = {1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4, 2e-6, 8e-6, 2e-5, 5e-5,
                                    3e-6, 3e-5, 2e-4, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3};
    double ll0;
    cr_assert_eq(qpm_regime_filter(f, T, r, 2, NULL, NULL, &ll0), QPM_OK);
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        /* a first step for the curvature, then a step of 0.1 sd */
        double h = step[i], up = moved_loglik(f, T, r, i, h), dn = moved_loglik(f, T, r, i, -h);
        double c = (up - 2 * ll0 + dn) / (h * h);
        cr_assert_lt(c, 0.0, "%s: parameter %d: curvature %g", what, i, c);
        h = 0.1 / sqrt(-c);
        up = moved_loglik(f, T, r, i, h);
        dn = moved_loglik(f, T, r, i, -h);
        double g = (up - dn) / (2 * h);
        c = (up - 2 * ll0 + dn) / (h * h);
        cr_assert_lt(c, 0.0, "%s: parameter %d: curvature %g", what, i, c);
        cr_log_info("%s: parameter %d: h %.3g, score %.3g sd", what, i, h, g / sqrt(-c));
        double z = fabs(g) / sqrt(-c);
        worst = fmax(worst, z);
        cr_assert_leq(z, 0.01, "%s: parameter %d: the maximum is %.3g sd away", what, i, z);
    }
    cr_log_info("%s: the fitted parameters are within %.2g conditional sd of the maximum", what,
                worst);
}

Test(regime_jumps, em_fixed_point_is_a_maximum_of_the_likelihood)
{
    enum { T = 3000 };
    static size_t st[T];
    double *r = simulate_truth(T, 11, st);
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
    cr_assert_eq(qpm_regime_set_fit_jumps(m, 1), QPM_OK);
    int conv;
    cr_assert_eq(qpm_regime_fit(m, T, r, 2, 20000, 1e-14, NULL, NULL, &conv), QPM_OK);
    cr_assert_eq(conv, 1);
    check_stationary(m, T, r, 18, "fitted jumps");
    /* held jumps: a maximum over the rest */
    const double pj[2] = {0.02, 0.03}, mj[2] = {-0.03, -0.04}, dj[2] = {0.05, 0.05};
    cr_assert_eq(qpm_regime_set_fit_jumps(m, 0), QPM_OK);
    cr_assert_eq(qpm_regime_set_jumps(m, pj, mj, dj), QPM_OK);
    cr_assert_eq(qpm_regime_fit(m, T, r, 2, 20000, 1e-14, NULL, NULL, &conv), QPM_OK);
    cr_assert_eq(conv, 1);
    check_stationary(m, T, r, 12, "held jumps");
    free(r);
    qpm_regime_free(m);
}

/* ---- simulation ------------------------------------------------------------------ */

Test(regime_jumps, simulated_jump_days_and_sizes)
{
    /* jumps of +-100%: a jump day is told apart from any other for sure
     * (a normal draw is within 8.21 sd: a day without a jump moves by at
     * most 8.21 x 5% = 0.41 from its state's mean, a jump day by at least
     * 1 - 8.21 x sqrt(5%^2 + 2%^2) = 0.56) */
    enum { N = 2000, H = 40 };
    const double pj[2] = {0.03, 0.12}, mj[2] = {1.0, -1.0}, dj[2] = {0.02, 0.02};
    qpm_regime *m = model(2, 2, TP, TMU, TSIG, pj, mj, dj);
    cr_assert_eq(qpm_regime_set_initial(m, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 17), QPM_OK);
    double *x = malloc(N * H * 2 * sizeof *x), *y = malloc(N * H * 2 * sizeof *y);
    size_t *s = malloc(N * H * sizeof *s), *s2 = malloc(N * H * sizeof *s2);
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, N, H, x, 2, s), QPM_OK);
    double days[2] = {0}, jumps[2] = {0}, sum[2] = {0}, sq[2] = {0};
    /* the jump days' variances per asset, summed over the days (and their
     * squares: the variance of z^2 for z ~ N(0, v) is 2 v^2) */
    double jvar[2] = {0}, jvar2[2] = {0};
    for (size_t i = 0; i < (size_t)N * H; i++) {
        size_t k = s[i];
        double e0 = x[i * 2] - TMU[k * 2], e1 = x[i * 2 + 1] - TMU[k * 2 + 1];
        int jump = fabs(e0) > 0.5;
        cr_assert_eq(jump, fabs(e1) > 0.5, "day %zu: one asset jumped, not the other", i);
        days[k]++;
        if (!jump)
            continue;
        jumps[k]++;
        /* the jump size plus the day's own move: N(muJ, D + Sigma_k,jj) */
        double z0 = e0 - mj[0], z1 = e1 - mj[1];
        sum[0] += z0;
        sum[1] += z1;
        sq[0] += z0 * z0;
        sq[1] += z1 * z1;
        for (size_t j = 0; j < 2; j++) {
            double v = dj[j] * dj[j] + TSIG[k * 4 + j * 3];
            jvar[j] += v;
            jvar2[j] += v * v;
        }
    }
    double nj = jumps[0] + jumps[1];
    for (size_t k = 0; k < 2; k++) {
        double f = jumps[k] / days[k], se = sqrt(pj[k] * (1 - pj[k]) / days[k]);
        cr_log_info("state %zu: %.0f jump days in %.0f: %.5f vs p = %.2f (%.2f se)", k, jumps[k],
                    days[k], f, pj[k], (f - pj[k]) / se);
        cr_assert_leq(fabs(f - pj[k]), 4.5 * se, "state %zu", k);
    }
    for (size_t j = 0; j < 2; j++) {
        double v = jvar[j] / nj, se_v = sqrt(2.0 * jvar2[j]) / nj;
        cr_log_info("asset %zu: jump mean %+.5f (0), variance %.6f (%.6f, %.2f se)", j,
                    sum[j] / nj, sq[j] / nj, v, (sq[j] / nj - v) / se_v);
        cr_assert_leq(fabs(sum[j] / nj), 4.5 * sqrt(v / nj), "jump mean, asset %zu", j);
        cr_assert_leq(fabs(sq[j] / nj - v), 4.5 * se_v, "jump variance, asset %zu", j);
    }
    /* the draws of a day do not depend on p: other probabilities give the
     * same states, and the same returns on the days that jump in neither */
    const double pj2[2] = {0.3, 0.01};
    qpm_regime *m2 = model(2, 2, TP, TMU, TSIG, pj2, mj, dj);
    cr_assert_eq(qpm_regime_set_initial(m2, QPM_REGIME_INIT_ERGODIC, NULL), QPM_OK);
    qpm_rng *g2 = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g2, NULL, QPM_RNG_PCG64DXSM, 17), QPM_OK);
    cr_assert_eq(qpm_regime_simulate(m2, g2, NULL, N, H, y, 2, s2), QPM_OK);
    cr_assert_eq(memcmp(s, s2, N * H * sizeof *s), 0);
    size_t same = 0;
    for (size_t i = 0; i < (size_t)N * H; i++)
        if (fabs(x[i * 2] - TMU[s[i] * 2]) < 0.5 && fabs(y[i * 2] - TMU[s[i] * 2]) < 0.5) {
            cr_assert(x[i * 2] == y[i * 2] && x[i * 2 + 1] == y[i * 2 + 1], "day %zu", i);
            same++;
        }
    cr_assert_gt(same, N * H / 2);
    /* the same generator state, the same bits */
    qpm_rng_free(g2);
    cr_assert_eq(qpm_rng_create_seed(&g2, NULL, QPM_RNG_PCG64DXSM, 17), QPM_OK);
    cr_assert_eq(qpm_regime_simulate(m, g2, NULL, N, H, y, 2, s2), QPM_OK);
    cr_assert_eq(memcmp(x, y, N * H * 2 * sizeof *x), 0);
    cr_assert_eq(memcmp(s, s2, N * H * sizeof *s), 0);
    free(x);
    free(y);
    free(s);
    free(s2);
    qpm_rng_free(g);
    qpm_rng_free(g2);
    qpm_regime_free(m);
    qpm_regime_free(m2);
}

/* 1 BTC held spot (value = S: the P&L gives the return) */
static qpm_book *spot_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.0, NULL), QPM_OK);
    const int32_t in[1] = {QPM_INSTR_SPOT};
    const size_t un[1] = {0};
    const double Q[1] = {1}, mult[1] = {1};
    cr_assert_eq(qpm_book_add_positions(b, 1, in, un, NULL, NULL, NULL, Q, mult, NULL, NULL),
                 QPM_OK);
    return b;
}

Test(regime_jumps, risk_paths_include_the_jumps_for_any_thread_count)
{
    enum { NS = 20000, H = 7 };
    /* state 0 absorbing: the 7-day log return of BTC is the sum of 7 days
     * of state 0, mean 7 (mu + p muJ), variance 7 (Sigma + p D + p (1 - p)
     * muJ^2) */
    const double P[4] = {1, 0, 0.5, 0.5}, mu[4] = {1e-3, 5e-4, -2e-3, -1e-3};
    const double sg[8] = {4e-4, 1e-4, 1e-4, 9e-4, 16e-4, 4e-4, 4e-4, 36e-4};
    const double pj[2] = {0.1, 0.2}, mj[2] = {-0.04, -0.02}, dj[2] = {0.05, 0.03};
    qpm_regime *m = model(2, 2, P, mu, sg, pj, mj, dj);
    qpm_book *b = spot_book();
    static double p1[NS], p2[NS], w1[NS], w2[NS];
    double var1, es1, var2, es2;
    for (int threads = 1; threads <= 2; threads++) {
        qpm_risk *r;
        cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, H), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_SEED, 3), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, threads), QPM_OK);
        const double start[2] = {1, 0};
        cr_assert_eq(qpm_risk_simulate_regime(r, b, m, start, threads == 1 ? p1 : p2,
                                              threads == 1 ? w1 : w2, threads == 1 ? &var1 : &var2,
                                              threads == 1 ? &es1 : &es2),
                     QPM_OK, "%s", qpm_last_error());
        qpm_risk_free(r);
    }
    cr_assert_eq(memcmp(p1, p2, sizeof p1), 0);
    cr_assert_eq(memcmp(w1, w2, sizeof w1), 0);
    cr_assert(memcmp(&var1, &var2, sizeof var1) == 0 && memcmp(&es1, &es2, sizeof es1) == 0);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < NS; i++) {
        double R = log1p(p1[i] / 60000);
        s1 += R;
        s2 += R * R;
    }
    double mean = s1 / NS, v = s2 / NS - mean * mean, m4 = 0;
    for (size_t i = 0; i < NS; i++) {
        double e = log1p(p1[i] / 60000) - mean;
        m4 += e * e * e * e / NS;
    }
    double want_m = H * (mu[0] + pj[0] * mj[0]);
    double want_v = H * (sg[0] + pj[0] * dj[0] * dj[0] + pj[0] * (1 - pj[0]) * mj[0] * mj[0]);
    cr_log_info("7-day BTC log return: mean %.6g (model %.6g), variance %.6g (model %.6g)", mean,
                want_m, v, want_v);
    cr_assert_leq(fabs(mean - want_m), 4.5 * sqrt(want_v / NS));
    cr_assert_leq(fabs(v - want_v), 4.5 * sqrt((m4 - v * v) / NS));
    /* without the jumps the mean is that of the diffusion alone: the jump
     * mean -0.028 over 7 days is 9 standard errors away */
    cr_assert_gt(fabs(mean - H * mu[0]), 4.5 * sqrt(want_v / NS));
    qpm_book_free(b);
    qpm_regime_free(m);
}

Test(regime_jumps, option_vols_follow_the_regime_variance_with_its_jumps)
{
    /* Each path stays in its start regime (P = I, start 1/2 each) and the
     * prices all but stand still (variances 1e-12 and 4e-12 a day), so a
     * long BTC call's 1-day P&L is its time decay and the vol move of its
     * regime: sigma_k / sigma_ref - 1 with sigma_k^2 = Sigma_k + p_k
     * deltaJ^2 (+ p_k (1 - p_k) muJ^2, 0 here).  Regime 1's jumps (p =
     * 1e-12 a day, deltaJ = 100%: none occurs, but their variance is 1e-12
     * a day) raise its vol to sqrt(5e-12) against sqrt(3e-12) for the
     * mixture, where leaving them out would give sqrt(4e-12 / 2.5e-12). */
    const double P[4] = {1, 0, 0, 1}, mu[4] = {0, 0, 0, 0};
    const double sg[8] = {1e-12, 0, 0, 1e-12, 4e-12, 0, 0, 4e-12};
    const double pj[2] = {0.0, 1e-12}, mj[2] = {0, 0}, dj[2] = {1.0, 1.0};
    qpm_regime *m = model(2, 2, P, mu, sg, pj, mj, dj);
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60000, 30.0 / 365), QPM_OK);
    const int32_t in = QPM_INSTR_LINEAR_OPTION, ex = 0, ty = QPM_CALL;
    const size_t un = 0;
    const double K = 60000, Q = 1, m1 = 1, vol = 0.6;
    cr_assert_eq(qpm_book_add_positions(b, 1, &in, &un, &ex, &ty, &K, &Q, &m1, NULL, &vol),
                 QPM_OK);
    /* the two P&Ls a path can have */
    const double zero[2] = {0, 0};
    double want[2], f[2][2] = {{sqrt(1.0 / 3.0) - 1, 0}, {sqrt(5.0 / 3.0) - 1, 0}};
    double without = sqrt(4.0 / 2.5) - 1, pnl_without;
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_DECAY_DAYS, 1.0), QPM_OK);
    for (size_t k = 0; k < 2; k++)
        cr_assert_eq(qpm_book_pnl(b, 1, zero, 2, f[k], 2, &want[k]), QPM_OK);
    const double fw[2] = {without, 0};
    cr_assert_eq(qpm_book_pnl(b, 1, zero, 2, fw, 2, &pnl_without), QPM_OK);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_DECAY_DAYS, 0.0), QPM_OK);
    cr_assert_gt(want[1] - pnl_without, 50.0); /* the check below tells them apart */
    enum { NS = 200 };
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 1), QPM_OK);
    const double start[2] = {0.5, 0.5};
    static double pnl[NS];
    cr_assert_eq(qpm_risk_simulate_regime(r, b, m, start, pnl, NULL, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    size_t n[2] = {0, 0};
    for (size_t i = 0; i < NS; i++) {
        /* a price move of 1e-5 at most: delta x 0.6 USD */
        size_t k = fabs(pnl[i] - want[0]) < fabs(pnl[i] - want[1]) ? 0 : 1;
        cr_assert_leq(fabs(pnl[i] - want[k]), 1.0, "path %zu: %.6f vs %.6f or %.6f", i, pnl[i],
                      want[0], want[1]);
        n[k]++;
    }
    cr_assert(n[0] > 50 && n[1] > 50, "%zu and %zu paths", n[0], n[1]);
    qpm_risk_free(r);
    qpm_book_free(b);
    qpm_regime_free(m);
}

/* ---- found by fuzz_regime (inputs in tests/fuzz/regress/regime) -------------------- */

/* Fits of 1..n iterations of the T x 2 returns r, each on a fresh handle
 * holding the jumps (pj, muj, dj) or fitting them (pj NULL): the
 * log-likelihood never falls (1e-11 relative: rounding), and no fitted
 * variance exceeds 10 times the asset's over the series. */
static void check_fresh_fits(size_t T, const double *r, size_t n, const double *pj,
                             const double *muj, const double *dj, const char *what)
{
    double var[2] = {0, 0};
    for (size_t j = 0; j < 2; j++) {
        double mean = 0.0;
        for (size_t t = 0; t < T; t++)
            mean += r[t * 2 + j];
        mean /= (double)T;
        for (size_t t = 0; t < T; t++)
            var[j] += (r[t * 2 + j] - mean) * (r[t * 2 + j] - mean);
        var[j] /= (double)T;
    }
    double prev = -HUGE_VAL;
    for (size_t it = 1; it <= n; it++) {
        qpm_regime *m = NULL;
        cr_assert_eq(qpm_regime_create(&m, NULL, 2, 2), QPM_OK);
        if (pj != NULL)
            cr_assert_eq(qpm_regime_set_jumps(m, pj, muj, dj), QPM_OK);
        else
            cr_assert_eq(qpm_regime_set_fit_jumps(m, 1), QPM_OK);
        double ll, S[8];
        size_t done;
        cr_assert_eq(qpm_regime_fit(m, T, r, 2, it, 0.0, &ll, &done, NULL), QPM_OK, "%s: %s",
                     what, qpm_last_error());
        cr_assert_eq(qpm_regime_params(m, NULL, NULL, NULL, S), QPM_OK);
        qpm_regime_free(m);
        for (size_t k = 0; k < 2; k++)
            for (size_t j = 0; j < 2; j++)
                cr_assert_leq(S[k * 4 + j * 3], 10.0 * var[j],
                              "%s: %zu iterations: variance %g of asset %zu, %g over the series",
                              what, it, S[k * 4 + j * 3], j, var[j]);
        if (done < it)
            break;
        cr_assert_geq(ll, prev - 1e-11 * fabs(ll), "%s: iteration %zu: %.17g after %.17g", what,
                      it, ll, prev);
        prev = ll;
    }
}

/* Held jumps far larger than the returns (delta_j = 1e150 on returns of
 * variance 1e-3): V = D - D (Sigma + D)^-1 D lost everything to
 * cancellation, and a state variance of 2e255 came out. */
Test(regime_jumps, jumps_far_larger_than_the_returns)
{
    enum { T = 600 };
    static size_t st[T];
    double *r = simulate_truth(T, 3, st);
    const double pj[2] = {1e-6, 1e-6}, mj[2] = {0.035, 0.035}, dj[2] = {1e150, 1e150};
    check_fresh_fits(T, r, 8, pj, mj, dj, "delta_j 1e150");
    free(r);
}

/* Returns near 1e-150 with jumps of their own scale (fitted: D D
 * underflowed in V) or of the usual one (held jumps of 0.05: the jump's
 * mean muJ + D M e cancelled to a residue of ulp(muJ), 1e-17 against
 * returns of 1e-149, and the fit diverged). */
Test(regime_jumps, returns_far_smaller_than_the_jumps)
{
    enum { T = 600 };
    static size_t st[T];
    double *r = simulate_truth(T, 5, st);
    for (size_t i = 0; i < 2 * T; i++)
        r[i] *= 1e-149;
    check_fresh_fits(T, r, 8, NULL, NULL, NULL, "fitted jumps at 1e-149");
    const double pj[2] = {0.001, 0.09}, mj[2] = {-0.046, -0.046}, dj[2] = {0.026, 0.026};
    check_fresh_fits(T, r, 8, pj, mj, dj, "held jumps of 0.05 on returns of 1e-149");
    free(r);
}

/* (review while writing fuzz_regime) a state's mean and the jump mean
 * adding up beyond DBL_MAX gave +Inf returns with QPM_OK. */
Test(regime_jumps, simulate_refuses_returns_beyond_the_double_range)
{
    const double P[4] = {0.5, 0.5, 0.5, 0.5}, mu[2] = {1e308, 0.0}, var[2] = {1.0, 1.0};
    const double pj[2] = {0.5, 0.0}, mj[1] = {1e308}, dj[1] = {1.0};
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(m, P, mu, var), QPM_OK);
    cr_assert_eq(qpm_regime_set_jumps(m, pj, mj, dj), QPM_OK);
    qpm_rng *g = NULL;
    cr_assert_eq(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 1), QPM_OK);
    uint64_t s0, s1;
    cr_assert_eq(qpm_rng_get_state(g, &s0, NULL, NULL, NULL), QPM_OK);
    double out[20];
    size_t states[20];
    for (size_t i = 0; i < 20; i++)
        out[i] = -1.0, states[i] = 9;
    EXPECT(qpm_regime_simulate(m, g, NULL, 2, 10, out, 1, states), QPM_E_OVERFLOW,
           "state 0, asset 0");
    cr_assert_eq(qpm_rng_get_state(g, &s1, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(s0, s1, "the generator advanced");
    for (size_t i = 0; i < 20; i++)
        cr_assert(out[i] == -1.0 && states[i] == 9, "output %zu written", i);
    /* nothing to draw: nothing to refuse; a state without jumps is served */
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, 0, 10, out, 1, states), QPM_OK);
    const double p0[2] = {0.0, 0.5};
    cr_assert_eq(qpm_regime_set_jumps(m, p0, mj, dj), QPM_OK);
    const double mu2[2] = {1e308, -1e308};
    cr_assert_eq(qpm_regime_set_params(m, P, mu2, var), QPM_OK);
    cr_assert_eq(qpm_regime_simulate(m, g, NULL, 2, 10, out, 1, states), QPM_OK);
    for (size_t i = 0; i < 20; i++)
        cr_assert(isfinite(out[i]), "out[%zu] = %g", i, out[i]);
    qpm_rng_free(g);
    qpm_regime_free(m);
}

/* ---- bad input ------------------------------------------------------------------- */

Test(regime_jumps, bad_jumps_change_nothing)
{
    qpm_regime *m = model(2, 2, TP, TMU, TSIG, TPJ, TMUJ, TDJ);
    double p[2] = {0.01, 0.04}, mj[2] = {-0.05, -0.07}, dj[2] = {0.04, 0.06};
    p[1] = 1.0;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_INVALID, "p[1] = 1: a daily jump probability");
    p[1] = -1e-3;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_INVALID, "p[1] = -0.001");
    p[1] = NANV;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_NONFINITE, "p[1] = nan");
    p[1] = 0.04;
    mj[0] = INF;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_NONFINITE, "mu_j[0] = inf");
    mj[0] = -0.05;
    dj[1] = -0.5;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_INVALID, "delta_j[1] = -0.5: must be >= 0");
    dj[1] = NANV;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_NONFINITE, "delta_j[1] = nan");
    dj[1] = 0.0;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_INVALID, "delta_j[1] = 0 while p[0] = 0.01");
    dj[1] = 1e200;
    EXPECT(qpm_regime_set_jumps(m, p, mj, dj), QPM_E_OVERFLOW, "delta_j[1] = 1e+200");
    dj[1] = 0.06;
    EXPECT(qpm_regime_set_jumps(m, NULL, mj, dj), QPM_E_NULL, "p");
    EXPECT(qpm_regime_set_jumps(m, p, NULL, dj), QPM_E_NULL, "mu_j");
    EXPECT(qpm_regime_set_jumps(m, p, mj, NULL), QPM_E_NULL, "delta_j");
    EXPECT(qpm_regime_set_jumps(NULL, p, mj, dj), QPM_E_NULL, "m");
    EXPECT(qpm_regime_jumps(NULL, p, mj, dj), QPM_E_NULL, "m");
    EXPECT(qpm_regime_set_fit_jumps(m, 2), QPM_E_INVALID, "fit = 2");
    EXPECT(qpm_regime_set_fit_jumps(m, -1), QPM_E_INVALID, "fit = -1");
    EXPECT(qpm_regime_set_fit_jumps(NULL, 1), QPM_E_NULL, "m");
    int on = 7;
    EXPECT(qpm_regime_get_fit_jumps(m, NULL), QPM_E_NULL, "fit");
    EXPECT(qpm_regime_get_fit_jumps(NULL, &on), QPM_E_NULL, "m");
    cr_assert_eq(qpm_regime_get_fit_jumps(m, &on), QPM_OK);
    cr_assert_eq(on, 0);
    /* all p = 0: a zero delta_j is fine, a negative one is not */
    const double zero[2] = {0, 0};
    dj[0] = -1.0;
    EXPECT(qpm_regime_set_jumps(m, zero, mj, dj), QPM_E_INVALID, "delta_j[0] = -1");
    /* nothing changed: the jumps, and the model's results */
    double p0[2], m0[2], d0[2];
    cr_assert_eq(qpm_regime_jumps(m, p0, m0, d0), QPM_OK);
    cr_assert(memcmp(p0, TPJ, sizeof p0) == 0 && memcmp(m0, TMUJ, sizeof m0) == 0 &&
              memcmp(d0, TDJ, sizeof d0) == 0);
    double ll, ll0;
    qpm_regime *fresh = model(2, 2, TP, TMU, TSIG, TPJ, TMUJ, TDJ);
    cr_assert_eq(qpm_regime_filter(m, JA_T, JA_X, 2, NULL, NULL, &ll), QPM_OK);
    cr_assert_eq(qpm_regime_filter(fresh, JA_T, JA_X, 2, NULL, NULL, &ll0), QPM_OK);
    cr_assert_eq(memcmp(&ll, &ll0, sizeof ll), 0);
    /* jumps before the parameters; set_params keeps them */
    qpm_regime *e = NULL;
    cr_assert_eq(qpm_regime_create(&e, NULL, 2, 2), QPM_OK);
    cr_assert_eq(qpm_regime_jumps(e, p0, m0, d0), QPM_OK);
    cr_assert(p0[0] == 0 && p0[1] == 0 && m0[0] == 0 && d0[1] == 0);
    cr_assert_eq(qpm_regime_jumps(e, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_regime_set_jumps(e, TPJ, TMUJ, TDJ), QPM_OK);
    cr_assert_eq(qpm_regime_set_params(e, TP, TMU, TSIG), QPM_OK);
    cr_assert_eq(qpm_regime_filter(e, JA_T, JA_X, 2, NULL, NULL, &ll), QPM_OK);
    cr_assert_eq(memcmp(&ll, &ll0, sizeof ll), 0);
    /* a refused set_params keeps the jump factors: the same results */
    double bad[8];
    memcpy(bad, TSIG, sizeof bad);
    bad[7] = -1.0;
    EXPECT(qpm_regime_set_params(e, TP, TMU, bad), QPM_E_NOTPSD, "sigma[1][1][1]");
    cr_assert_eq(qpm_regime_filter(e, JA_T, JA_X, 2, NULL, NULL, &ll), QPM_OK);
    cr_assert_eq(memcmp(&ll, &ll0, sizeof ll), 0);
    qpm_regime_free(e);
    qpm_regime_free(fresh);
    qpm_regime_free(m);
}

Test(regime_jumps, bad_fit_with_jumps)
{
    /* 1 asset, 2 states, estimated pi: 2 + 4 + 1 parameters, 2 + 2 more
     * with the jumps fitted */
    qpm_regime *m = NULL;
    cr_assert_eq(qpm_regime_create(&m, NULL, 2, 1), QPM_OK);
    cr_assert_eq(qpm_regime_set_fit_jumps(m, 1), QPM_OK);
    EXPECT(qpm_regime_fit(m, 11, JB_X, 3, 10, 1e-8, NULL, NULL, NULL), QPM_E_SIZE,
           "T = 11: a model of 2 states over 1 assets has 11 free parameters");
    cr_assert_eq(qpm_regime_set_fit_jumps(m, 0), QPM_OK);
    cr_assert_eq(qpm_regime_fit(m, 11, JB_X, 3, 10, 1e-8, NULL, NULL, NULL), QPM_OK);
    qpm_regime_free(m);
}

/* ---- out of memory at every allocation --------------------------------------------- */

Test(regime_jumps, out_of_memory_everywhere)
{
    int done = 0;
    for (long fail = 0; !done && fail < 100; fail++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, fail);
        qpm_regime *m = NULL;
        qpm_status st = qpm_regime_create(&m, &fa.alloc, 2, 2);
        if (st == QPM_OK)
            st = qpm_regime_set_jumps(m, TPJ, TMUJ, TDJ);
        if (st == QPM_OK)
            st = qpm_regime_set_params(m, TP, TMU, TSIG);
        if (st == QPM_OK)
            st = qpm_regime_set_jumps(m, TPJ, TMUJ, TDJ);
        if (st == QPM_OK)
            st = qpm_regime_set_fit_jumps(m, 1);
        if (st == QPM_OK)
            st = qpm_regime_fit(m, 200, JA_X, 2, 20, 1e-8, NULL, NULL, NULL);
        if (st == QPM_OK) {
            double f[2 * 10];
            st = qpm_regime_filter(m, 10, JA_X, 2, f, f, NULL);
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
