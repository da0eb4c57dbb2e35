/* opt: a solve gives the bits of a fresh handle holding the same data,
 * whatever the handle solved (or failed to solve) before.  The workspace is
 * reused between solves; the interior point used to start from the previous
 * solve's iterate, so a degenerate problem (here a zero covariance, where
 * every feasible portfolio is optimal) got other weights after other solves.
 * Found by tests/fuzz/fuzz_opt.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/opt.h"
#include "support/testutil.h"

#define N 8

static const double MU[N] = {0.72517586022735947,  -0.073847562371252007, 0.72555440202639809,
                             -0.073868461231403074, 0.72520776796520947,  -0.073907009658960854,
                             0.72558630976424821,  -0.073871710524147399};
static const double ROW[3][N] = {
    {-0.11677729457541774, 0.36836804760814834, -0.37746242465857938, 0.75957885099565114,
     0.37837796597238116, -0.11677729457541774, 0.36836804760814834, -0.37746242465857938},
    {0.37837796597238116, -0.11677729457541774, 0.36836804760814834, -0.37746242465857938,
     0.75957885099565114, 0.37837796597238116, -0.11677729457541774, 0.36836804760814834},
    {0.75957885099565114, 0.37837796597238116, -0.11677729457541774, 0.36836804760814834,
     -0.37746242465857938, 0.75957885099565114, 0.37837796597238116, -0.11677729457541774}};
static const double LO[3] = {-0.61280231937132834, -0.17402914473182274, -0.61312220218204017};
static const double HI[3] = {0.2, 0.2, 0.2};

static qpm_opt *make(double scale)
{
    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, N), QPM_OK);
    double c[N * N];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++)
            c[i * N + j] = scale * (i == j ? 0.04 + 0.01 * (double)i : 0.01);
    cr_assert_eq(qpm_opt_set_covariance(o, c, N), QPM_OK);
    cr_assert_eq(qpm_opt_set_expected_returns(o, MU), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_TURNOVER_LIMIT, 3.3493553063248642), QPM_OK);
    double lo[N], hi[N];
    for (size_t i = 0; i < N; i++)
        lo[i] = -(double)INFINITY, hi[i] = (double)INFINITY;
    cr_assert_eq(qpm_opt_set_bounds(o, lo, hi), QPM_OK);
    cr_assert_eq(qpm_opt_set_linear(o, 3, &ROW[0][0], N, LO, HI), QPM_OK);
    return o;
}

/* The fuzzer's sequence: mean-variance, then a failed ERC (zero variances),
 * then minimum variance. */
Test(opt_history, degenerate_problem_after_other_solves)
{
    qpm_opt *o = make(0.0), *fresh = make(0.0);
    double w[N], wf[N];
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_MEAN_VARIANCE, w), QPM_OK);
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_ERC, w), QPM_E_SINGULAR);
    qpm_status a = qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w);
    qpm_status b = qpm_opt_solve(fresh, QPM_OPT_MIN_VARIANCE, wf);
    cr_assert_eq(a, b);
    cr_assert(a != QPM_OK || memcmp(w, wf, sizeof w) == 0,
              "minimum variance after other solves: w[0] = %.17g, on a fresh handle %.17g", w[0],
              wf[0]);
    qpm_opt_free(o);
    qpm_opt_free(fresh);
}

/* Every ordered pair of problems, degenerate and regular covariance. */
Test(opt_history, every_pair_of_problems)
{
    for (int z = 0; z < 2; z++)
        for (int p1 = 0; p1 < 7; p1++)
            for (int p2 = 0; p2 < 6; p2++) {
                qpm_opt *o = make(z ? 1.0 : 0.0), *fresh = make(z ? 1.0 : 0.0);
                double w[N], wf[N];
                cr_assert_eq(qpm_opt_set(o, QPM_OPT_RETURN_TARGET, 0.1), QPM_OK);
                cr_assert_eq(qpm_opt_set(fresh, QPM_OPT_RETURN_TARGET, 0.1), QPM_OK);
                (void)qpm_opt_solve(o, (qpm_opt_problem)p1, w);
                qpm_status a = qpm_opt_solve(o, (qpm_opt_problem)p2, w);
                qpm_status b = qpm_opt_solve(fresh, (qpm_opt_problem)p2, wf);
                cr_assert_eq(a, b, "covariance %s, problem %d after %d: %s, fresh %s",
                             z ? "regular" : "zero", p2, p1, qpm_status_name(a),
                             qpm_status_name(b));
                cr_assert(a != QPM_OK || memcmp(w, wf, sizeof w) == 0,
                          "covariance %s, problem %d after %d: other weights than a fresh handle",
                          z ? "regular" : "zero", p2, p1);
                qpm_opt_free(o);
                qpm_opt_free(fresh);
            }
    cr_assert_eq(qt_leak_check(), 0);
}
