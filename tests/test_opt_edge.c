/* opt: reproducers of the bad-input tour and fuzzing.  Scale invariance of
 * every problem (covariances and returns from 1e-150 to 1e150, subnormal
 * covariances, a 1e160 covariance with a slack linear row), covariances near
 * DBL_MAX, the solution info after a failed solve, the limit multipliers of
 * ERC and maximum Sharpe. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "qpm/opt.h"
#include "support/testutil.h"

#define N 3
static const double S0[N * N] = {0.04, 0.006, 0.001, 0.006, 0.09, 0.01, 0.001, 0.01, 0.02};
static const double MU0[N] = {0.10, 0.15, 0.05};

typedef struct setup {
    qpm_opt_problem problem;
    int bounds, linear, group, gross;
} setup;

/* Solves `s` on the covariance S0 * cs and returns mu0 * cm (gamma, targets
 * and vol target moved with them so that the problem is the same).  Returns
 * the status; the weights go to w. */
static qpm_status solve_scaled(const setup *s, double cs, double cm, double *w)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, N), QPM_OK);
    double S[N * N], mu[N];
    for (int i = 0; i < N * N; i++)
        S[i] = S0[i] * cs;
    for (int i = 0; i < N; i++)
        mu[i] = MU0[i] * cm;
    qpm_status st = qpm_opt_set_covariance(o, S, N);
    cr_assert_eq(st, QPM_OK, "cs %g: %s", cs, qpm_last_error());
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    if (s->bounds) {
        double lo[N] = {-1.0, -1.0, -1.0}, hi[N] = {0.8, 0.8, 0.8};
        cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
    }
    if (s->linear) { /* w0 - w1 <= 10: slack */
        double a[N] = {1.0, -1.0, 0.0}, lo = -(double)INFINITY, hi = 10.0;
        cr_assert_eq(qpm_opt_set_linear(o, 1, a, N, &lo, &hi), QPM_OK);
    }
    if (s->group) {
        size_t g[N] = {0, 0, QPM_OPT_NO_GROUP};
        double lo = 0.2, hi = 0.9;
        cr_assert_eq(qpm_opt_set_groups(o, 1, g, &lo, &hi), QPM_OK);
    }
    if (s->gross)
        cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, 1.4), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GAMMA, 5.0 * cm / cs), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_RETURN_TARGET, 0.12 * cm), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_VOL_TARGET, 0.2 * sqrt(cs)), QPM_OK);
    if ((int)s->problem < 0) {
        double W[4 * N];
        st = qpm_opt_frontier(o, 4, W, N, NULL, NULL);
        memcpy(w, W + 2 * N, N * sizeof *w);
    } else {
        st = qpm_opt_solve(o, s->problem, w);
    }
    qpm_opt_free(o);
    return st;
}

static void check_scales(const setup *s, const double *scales, size_t ns, int scale_mu,
                         double tol)
{
    double ref[N];
    cr_assert_eq(solve_scaled(s, 1.0, 1.0, ref), QPM_OK, "problem %d unscaled: %s",
                 (int)s->problem, qpm_last_error());
    for (size_t k = 0; k < ns; k++) {
        double w[N] = {(double)NAN, (double)NAN, (double)NAN};
        double cm = scale_mu ? scales[k] : 1.0;
        qpm_status st = solve_scaled(s, scales[k], cm, w);
        cr_assert_eq(st, QPM_OK, "problem %d scale %g: %s", (int)s->problem, scales[k],
                     qpm_last_error());
        double sum = 0.0;
        for (int i = 0; i < N; i++) {
            sum += w[i];
            cr_assert(fabs(w[i] - ref[i]) <= tol, "problem %d scale %g: w[%d] = %.17g vs %.17g",
                      (int)s->problem, scales[k], i, w[i], ref[i]);
        }
        cr_assert(fabs(sum - 1.0) <= 1e-13, "problem %d scale %g: sum w = %.17g",
                  (int)s->problem, scales[k], sum);
    }
}

static const double decades[] = {1e-150, 1e-120, 1e-90, 1e-60, 1e-30, 1e-10, 1e-3, 3e6,
                                 1e8,    1e20,   1e60,  1e90,  1e120, 1e150};
#define NDEC (sizeof decades / sizeof decades[0])

/* MAX_SHARPE returned w = 0 with QPM_OK (one asset, from a scale of about
 * 3e6; two assets from 1e8) and failed to converge below ~1e-20. */
Test(opt_edge, max_sharpe_is_scale_invariant)
{
    for (int n = 1; n <= 2; n++) {
        for (size_t k = 0; k < NDEC; k++) {
            qpm_opt *o;
            cr_assert_eq(qpm_opt_create(&o, NULL, (size_t)n), QPM_OK);
            double S[4] = {0.04 * decades[k], 0.006 * decades[k], 0.006 * decades[k],
                           0.09 * decades[k]};
            double mu[2] = {0.10 * decades[k], 0.15 * decades[k]};
            if (n == 1)
                S[1] = 0.0;
            cr_assert_eq(qpm_opt_set_covariance(o, S, (size_t)n), QPM_OK);
            cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
            double w[2] = {(double)NAN, (double)NAN};
            cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_OK, "n %d scale %g: %s", n,
                         decades[k], qpm_last_error());
            if (n == 1) {
                cr_assert(fabs(w[0] - 1.0) <= 4.5e-16, "scale %g: w = %.17g", decades[k], w[0]);
            } else {
                cr_assert(fabs(w[0] - 0.6) <= 1e-13 && fabs(w[1] - 0.4) <= 1e-13,
                          "scale %g: w = %.17g %.17g", decades[k], w[0], w[1]);
            }
            qpm_opt_free(o);
        }
    }
    setup s = {QPM_OPT_MAX_SHARPE, 1, 1, 1, 1};
    check_scales(&s, decades, NDEC, 1, 1e-12);
    /* daily expected returns (1e-3) with an annual covariance */
    double lo[] = {1e-3, 1e-4, 1e-6};
    check_scales(&s, lo, 3, 0, 1e-12);
}

/* Every problem gives the unscaled answer at every scale, with the budget,
 * the box, a group, a gross limit and a slack linear row. */
Test(opt_edge, every_problem_is_scale_invariant)
{
    const qpm_opt_problem probs[] = {QPM_OPT_MIN_VARIANCE, QPM_OPT_MEAN_VARIANCE,
                                     QPM_OPT_TARGET_RETURN, QPM_OPT_TARGET_RISK,
                                     QPM_OPT_ERC, (qpm_opt_problem)-1};
    for (size_t p = 0; p < sizeof probs / sizeof probs[0]; p++) {
        setup plain = {probs[p], 0, 0, 0, 0}, full = {probs[p], 1, 1, 1, 1};
        check_scales(&plain, decades, NDEC, 1, 1e-12);
        if (probs[p] != QPM_OPT_ERC)
            check_scales(&full, decades, NDEC, 1, 1e-12);
        /* returns near DBL_MAX / 10: sums and midpoints of returns overflow */
        const double top[] = {1e306};
        check_scales(&full, top, 1, 1, 1e-12);
    }
}

/* Subnormal covariances gave NaN weights with QPM_OK (solve and frontier);
 * a 1e160 covariance with one slack linear row gave weights that broke the
 * budget and the bounds. */
Test(opt_edge, subnormal_and_huge_covariances)
{
    const double sub[] = {1e-310, 1e-315, 1e-320};
    const qpm_opt_problem probs[] = {QPM_OPT_MIN_VARIANCE, QPM_OPT_MEAN_VARIANCE,
                                     QPM_OPT_MAX_SHARPE, (qpm_opt_problem)-1};
    for (size_t p = 0; p < sizeof probs / sizeof probs[0]; p++) {
        setup s = {probs[p], 1, 0, 0, 0};
        /* subnormal entries carry few digits (1e-320: 3): the answer moves */
        check_scales(&s, sub, 1, 1, 1e-9);
        check_scales(&s, sub + 1, 2, 1, 2e-2);
        setup lin = {probs[p], 1, 1, 0, 0};
        const double huge[] = {1e160, 1e300};
        check_scales(&lin, huge, 2, 1, 1e-12);
    }
}

/* The symmetric part of entries above DBL_MAX / 2 overflowed: the
 * eigenvalue check passed an indefinite matrix. */
Test(opt_edge, covariance_near_dbl_max)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, 2), QPM_OK);
    double bad[4] = {1.0, 1e308, 1e308, 1.0};
    cr_assert_eq(qpm_opt_set_covariance(o, bad, 2), QPM_E_NOTPSD);
    double big[4] = {1.5e308, 1e308, 1e308, 1.5e308}; /* PSD, trace overflows */
    cr_assert_eq(qpm_opt_set_covariance(o, big, 2), QPM_OK, "%s", qpm_last_error());
    double w[2], v;
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK, "%s", qpm_last_error());
    cr_assert(fabs(w[0] - 0.5) <= 1e-15 && fabs(w[1] - 0.5) <= 1e-15);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &v), QPM_OK);
    cr_assert(fabs(v - 1.25e308) <= 1e294, "variance %g", v);
    double rc[2];
    cr_assert_eq(qpm_opt_risk_contributions(o, rc), QPM_OK);
    cr_assert(fabs(rc[0] - 0.625e308) <= 1e294 && fabs(rc[1] - 0.625e308) <= 1e294, "rc %g %g",
              rc[0], rc[1]);
    qpm_opt_free(o);
}

/* qpm_opt_info stayed readable after a failed solve (contrary to the
 * header): QPM_E_STATE until the next successful one. */
Test(opt_edge, no_solution_info_after_a_failed_solve)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, N), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S0, N), QPM_OK);
    double w[N], v;
    int flags[N];
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w), QPM_OK);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &v), QPM_OK);
        qpm_status st;
        switch (k) {
        case 0: st = qpm_opt_solve(o, QPM_OPT_MEAN_VARIANCE, w); break; /* no mu */
        case 1: st = qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, NULL); break;
        case 2: st = qpm_opt_solve(o, (qpm_opt_problem)42, w); break;
        case 3: st = qpm_opt_frontier(o, 0, NULL, N, NULL, NULL); break;
        default: st = qpm_opt_frontier(o, 3, NULL, N, NULL, NULL); break; /* no mu */
        }
        cr_assert_neq(st, QPM_OK, "case %d", k);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_VARIANCE, &v), QPM_E_STATE, "case %d", k);
        cr_assert_eq(qpm_opt_bound_flags(o, flags), QPM_E_STATE, "case %d", k);
        cr_assert_eq(qpm_opt_risk_contributions(o, w), QPM_E_STATE, "case %d", k);
    }
    qpm_opt_free(o);
}

/* The gross and turnover multipliers were NaN after ERC and MAX_SHARPE
 * where the header says 0 (limit off or slack); an active limit under
 * MAX_SHARPE reports the multiplier of the target-return problem at the
 * solution's return. */
Test(opt_edge, limit_multipliers_of_erc_and_max_sharpe)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, N), QPM_OK);
    cr_assert_eq(qpm_opt_set_covariance(o, S0, N), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, MU0), QPM_OK);
    const qpm_opt_problem probs[2] = {QPM_OPT_ERC, QPM_OPT_MAX_SHARPE};
    double w[N], lg, lt, nu;
    for (int p = 0; p < 2; p++) {
        cr_assert_eq(qpm_opt_solve(o, probs[p], w), QPM_OK);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_GROSS, &lg), QPM_OK);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_TURNOVER, &lt), QPM_OK);
        cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_NU, &nu), QPM_OK);
        cr_assert(lg == 0.0 && lt == 0.0, "problem %d: %g %g", (int)probs[p], lg, lt);
        cr_assert(isnan(nu)); /* documented */
    }
    /* shorts allowed, a binding gross limit */
    double lo[N] = {-2, -2, -2}, hi[N] = {2, 2, 2}, mu[N] = {0.10, -0.05, 0.12};
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, 1.2), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w), QPM_OK, "%s", qpm_last_error());
    double g, r;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_GROSS, &g), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_EXP_RETURN, &r), QPM_OK);
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_GROSS, &lg), QPM_OK);
    cr_assert(fabs(g - 1.2) <= 1e-12 && lg > 0.0, "gross %g lambda %g", g, lg);
    double w2[N], lg2;
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_RETURN_TARGET, r), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_TARGET_RETURN, w2), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_LAMBDA_GROSS, &lg2), QPM_OK);
    for (int i = 0; i < N; i++)
        cr_assert(fabs(w2[i] - w[i]) <= 1e-10);
    cr_assert(fabs(lg - lg2) <= 1e-8 * lg2, "max Sharpe lambda %.17g, target return %.17g", lg,
              lg2);
    qpm_opt_free(o);
}
