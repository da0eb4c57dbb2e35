/* opt's memory promise (opt.h, "Memory"): after the first solve of a
 * problem shape, later solves of it allocate nothing.  ERC once allocated
 * its Newton workspace on every call; it is now sized at the first ERC
 * solve and kept.  Counted with the test allocator. */
#include <criterion/criterion.h>
#include <string.h>

#include "qpm/opt.h"
#include "support/testutil.h"

#define N 5

static qpm_opt *make(qt_failalloc *fa)
{
    qt_failalloc_init(fa, -1);
    qpm_opt *o = NULL;
    cr_assert_eq(qpm_opt_create(&o, &fa->alloc, N), QPM_OK, "%s", qpm_last_error());
    double cov[N * N], mu[N];
    for (size_t i = 0; i < N; i++) {
        mu[i] = 0.05 + 0.01 * (double)i;
        for (size_t j = 0; j < N; j++)
            cov[i * N + j] =
                (i == j ? 0.04 + 0.01 * (double)i : 0.006) * (1.0 + 0.1 * (double)(i + j));
    }
    cr_assert_eq(qpm_opt_set_covariance(o, cov, N), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_opt_set_expected_returns(o, mu), QPM_OK);
    return o;
}

/* Solves `problem` once (sizing), then three more times: no allocation, the
 * same weights. */
static void solves_allocate_nothing(qpm_opt_problem problem)
{
    qt_failalloc fa;
    qpm_opt *o = make(&fa);
    double w0[N], w[N];
    cr_assert_eq(qpm_opt_solve(o, problem, w0), QPM_OK, "%s", qpm_last_error());
    long calls = fa.calls;
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(qpm_opt_solve(o, problem, w), QPM_OK, "%s", qpm_last_error());
        cr_assert_eq(fa.calls, calls, "problem %d: solve %d allocated %ld times", (int)problem,
                     k + 2, fa.calls - calls);
        cr_assert_eq(memcmp(w, w0, sizeof w), 0);
    }
    /* and with every allocation failing, it still solves */
    fa.fail_at = fa.calls;
    cr_assert_eq(qpm_opt_solve(o, problem, w), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(memcmp(w, w0, sizeof w), 0);
    qpm_opt_free(o);
    cr_assert_eq(fa.live, 0);
}

Test(opt_memory, erc_solves_allocate_nothing_after_the_first)
{
    solves_allocate_nothing(QPM_OPT_ERC);
}

Test(opt_memory, qp_solves_allocate_nothing_after_the_first)
{
    solves_allocate_nothing(QPM_OPT_MIN_VARIANCE);
    solves_allocate_nothing(QPM_OPT_MAX_SHARPE);
}

Test(opt_memory, erc_workspace_failure_is_nomem_and_the_handle_stays_usable)
{
    qt_failalloc fa;
    qpm_opt *o = make(&fa);
    double w[N];
    fa.fail_at = fa.calls; /* the first ERC solve cannot get its workspace */
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_ERC, w), QPM_E_NOMEM);
    double v;
    cr_assert_eq(qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, &v), QPM_E_STATE);
    fa.fail_at = -1;
    cr_assert_eq(qpm_opt_solve(o, QPM_OPT_ERC, w), QPM_OK, "%s", qpm_last_error());
    double sum = 0.0;
    for (size_t i = 0; i < N; i++)
        sum += w[i];
    cr_assert_float_eq(sum, 1.0, 1e-12);
    qpm_opt_free(o);
    cr_assert_eq(fa.live, 0);
}

Test(opt_memory, unknown_problem_names_the_valid_ones)
{
    qt_failalloc fa;
    qpm_opt *o = make(&fa);
    double w[N] = {7, 7, 7, 7, 7};
    cr_assert_eq(qpm_opt_solve(o, (qpm_opt_problem)7, w), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "problem = 7: must be one of QPM_OPT_MIN_VARIANCE (0), "
                     "QPM_OPT_MEAN_VARIANCE (1), QPM_OPT_TARGET_RETURN (2), QPM_OPT_TARGET_RISK "
                     "(3), QPM_OPT_MAX_SHARPE (4), QPM_OPT_ERC (5), QPM_OPT_MIN_CVAR (6)");
    cr_assert_eq(w[0], 7.0);
    qpm_opt_free(o);
}
