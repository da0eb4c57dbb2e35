/* Missing returns under QPM_COV_NAN_DROP_ROWS: the rows holding a NaN are
 * found once per fit and remembered by the handle, so every pass of every
 * method must skip exactly them, fit after fit; the memory that remembers
 * them is allocated by the first fit that needs it, and its failure leaves
 * the handle as it was. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/cov.h"
#include "support/testutil.h"
#include "test_cov_util.h"

enum { T = 700, N = 4 };

/* x with NaNs planted in the rows of `rows` (-1 ends), and y the same data
 * without those rows; returns y's row count. */
static size_t plant(const double *clean, const int *rows, double *x, double *y)
{
    memcpy(x, clean, sizeof(double) * T * N);
    for (const int *r = rows; *r >= 0; r++)
        x[*r * N + (*r % N)] = (double)NAN;
    size_t k = 0;
    for (size_t r = 0; r < T; r++) {
        int drop = 0;
        for (const int *d = rows; *d >= 0; d++)
            drop |= (size_t)*d == r;
        if (!drop)
            memcpy(y + N * k++, clean + N * r, sizeof(double) * N);
    }
    return k;
}

static void fit_cov(qpm_cov *c, size_t t, const double *x, double *out)
{
    cr_assert_eq(qpm_cov_fit(c, t, x, N), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_covariance(c, out, N), QPM_OK);
}

/* Every method, several fits on one handle with different missing rows (and
 * more rows than before, so the memory grows): each equals the fit of the
 * rows kept, bit for bit. */
Test(cov_nan, dropped_rows_are_remembered_per_fit)
{
    static double clean[T * N], x[T * N], y[T * N];
    cu_gen_returns(T, N, 41, clean);
    const int sets[4][6] = {{3, 250, 251, 699, -1}, {0, -1}, {-1}, {10, 11, 12, 13, 600, -1}};
    const size_t lens[4] = {300, 700, 500, 700};
    const qpm_cov_method methods[] = {QPM_COV_SAMPLE, QPM_COV_EWMA, QPM_COV_LEDOIT_WOLF,
                                      QPM_COV_OAS, QPM_COV_SEMI};
    for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        qpm_cov *c, *d;
        cr_assert_eq(qpm_cov_create(&c, NULL, N), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, methods[mi]), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
        for (int f = 0; f < 4; f++) {
            int rows[6];
            size_t nr = 0;
            for (const int *r = sets[f]; *r >= 0; r++)
                if ((size_t)*r < lens[f])
                    rows[nr++] = *r;
            rows[nr] = -1;
            size_t kept = plant(clean, rows, x, y) - (T - lens[f]);
            double a[N * N], b[N * N];
            fit_cov(c, lens[f], x, a);
            cr_assert_eq(qpm_cov_create(&d, NULL, N), QPM_OK);
            cr_assert_eq(qpm_cov_set(d, QPM_COV_METHOD, methods[mi]), QPM_OK);
            fit_cov(d, kept, y, b);
            cr_assert(memcmp(a, b, sizeof a) == 0, "method %d fit %d", (int)methods[mi], f);
            size_t no;
            cr_assert_eq(qpm_cov_nobs(c, &no), QPM_OK);
            cr_assert_eq(no, kept);
            qpm_cov_free(d);
        }
        qpm_cov_free(c);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* The first fit that drops rows allocates their record: failing it is
 * QPM_E_NOMEM with the previous estimate kept, and the same fit succeeds
 * after. */
Test(cov_nan, oom_remembering_the_dropped_rows)
{
    static double clean[T * N], x[T * N], y[T * N];
    cu_gen_returns(T, N, 43, clean);
    const int rows[] = {5, 77, -1};
    plant(clean, rows, x, y);
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, &fa.alloc, N), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
    double before[N * N], after[N * N], want[N * N];
    fit_cov(c, T, clean, before); /* no NaN: nothing to remember, nothing allocated */
    long live = fa.live;
    fa.fail_at = fa.calls;
    cr_assert_eq(qpm_cov_fit(c, T, x, N), QPM_E_NOMEM);
    cr_assert_eq(fa.live, live);
    cr_assert_eq(qpm_cov_covariance(c, after, N), QPM_OK);
    cr_assert(memcmp(before, after, sizeof after) == 0, "the failed fit changed the estimate");
    fa.fail_at = -1;
    fit_cov(c, T, x, after);
    cr_assert_eq(fa.live, live + 1);
    /* the record is reused: no allocation for the next fit with NaN rows */
    fa.fail_at = fa.calls;
    fit_cov(c, T, x, want);
    cr_assert(memcmp(want, after, sizeof after) == 0);
    qpm_cov_free(c);
    cr_assert_eq(fa.live, 0);
    cr_assert_eq(qt_leak_check(), 0);
}
