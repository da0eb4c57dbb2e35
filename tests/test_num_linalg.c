/* White-box tests of the guards in front of LAPACK's symmetric eigensolver:
 * dsyevr's bisection never terminates on a NaN or an infinity, so the
 * wrapper (lib/num/linalg.c) refuses a triangle holding one with info = -6
 * for every layout and triangle, while a non-finite value in the triangle
 * LAPACK does not read is no obstacle; and cov's PSD projection reports an
 * iterate that left the floating-point range as QPM_E_NOCONVERGE with a
 * message instead of handing it on. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "cov/cov_internal.h"
#include "num/linalg.h"

typedef qpm__lapack_int lint;

/* Eigenvalues of the 3 x 3 matrix a (ld 3) in the given layout and
 * triangle; returns dsyevr's info. */
static lint eig3(int layout, char uplo, double *a, double *w)
{
    double z[9], work[26 * 3 * 4];
    lint iwork[10 * 3 * 4], isuppz[6], m = 0;
    return qpm__dsyevr(layout, 'N', 'A', uplo, 3, a, 3, 0.0, 0.0, 0, 0, DBL_MIN, &m, w, z, 3,
                       isuppz, work, (lint)(sizeof work / sizeof work[0]), iwork,
                       (lint)(sizeof iwork / sizeof iwork[0]));
}

Test(num_linalg, dsyevr_refuses_a_nonfinite_triangle)
{
    cr_assert_eq(qpm__linalg_load(), QPM_OK, "%s", qpm_last_error());
    const int layouts[2] = {QPM__LAPACK_ROW_MAJOR, QPM__LAPACK_COL_MAJOR};
    const char uplos[2] = {'U', 'L'};
    const double bad[3] = {(double)NAN, (double)INFINITY, -(double)INFINITY};
    for (int l = 0; l < 2; l++)
        for (int u = 0; u < 2; u++)
            for (int b = 0; b < 3; b++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) {
                        double a[9] = {2, -1, 0, -1, 2, -1, 0, -1, 2}, w[3];
                        a[i * 3 + j] = bad[b];
                        /* Element (i, j) of the storage is row i, column j
                         * in row-major order and row j, column i in
                         * column-major order. */
                        int row = layouts[l] == QPM__LAPACK_ROW_MAJOR ? i : j;
                        int col = layouts[l] == QPM__LAPACK_ROW_MAJOR ? j : i;
                        int read = uplos[u] == 'U' ? row <= col : row >= col;
                        lint info = eig3(layouts[l], uplos[u], a, w);
                        if (read) {
                            cr_assert_eq(info, -6, "layout %d uplo %c a[%d] = %g: info %d",
                                         layouts[l], uplos[u], i * 3 + j, bad[b], (int)info);
                        } else {
                            /* Unread: the eigenvalues of tridiag(-1, 2, -1)
                             * are 2 - sqrt(2), 2, 2 + sqrt(2). */
                            cr_assert_eq(info, 0, "layout %d uplo %c a[%d] unread: info %d",
                                         layouts[l], uplos[u], i * 3 + j, (int)info);
                            cr_assert(fabs(w[0] - (2.0 - sqrt(2.0))) < 1e-14, "w0 = %.17g",
                                      w[0]);
                            cr_assert(fabs(w[2] - (2.0 + sqrt(2.0))) < 1e-14, "w2 = %.17g",
                                      w[2]);
                        }
                    }
}

Test(num_linalg, dsyevr_workspace_query_is_not_checked)
{
    cr_assert_eq(qpm__linalg_load(), QPM_OK, "%s", qpm_last_error());
    double a[9] = {(double)NAN, 0, 0, 0, (double)NAN, 0, 0, 0, (double)NAN}, w[3], z[9], wq = 0;
    lint iq = 0, isuppz[6], m = 0;
    lint info = qpm__dsyevr(QPM__LAPACK_COL_MAJOR, 'V', 'A', 'U', 3, a, 3, 0.0, 0.0, 0, 0,
                            DBL_MIN, &m, w, z, 3, isuppz, &wq, -1, &iq, -1);
    cr_assert_eq(info, 0);
    cr_assert(wq >= 26 * 3 && iq >= 10 * 3, "lwork %g liwork %d", wq, (int)iq);
}

Test(cov_project, nonfinite_iterate_is_noconverge)
{
    qpm_alloc al;
    cr_assert_eq(qpm__alloc_init(&al, NULL), QPM_OK);
    cr_assert_eq(qpm__linalg_load(), QPM_OK);
    qpm__cov_eig e;
    cr_assert_eq(qpm__cov_eig_init(&e, &al, 3), QPM_OK);
    const double bad[2] = {(double)NAN, (double)INFINITY};
    for (int b = 0; b < 2; b++)
        for (int k = 0; k < 9; k++) {
            if (k % 3 > k / 3)
                continue; /* the projection reads the lower triangle */
            double x[9] = {1, 0.5, 0.2, 0.5, 1, 0.3, 0.2, 0.3, 1}, sw[3] = {1, 2, 3};
            x[k] = bad[b];
            size_t nneg = 99;
            for (int weighted = 0; weighted < 2; weighted++) {
                qpm_status st = qpm__cov_psd_project(&e, x, weighted ? sw : NULL, &nneg);
                cr_assert_eq(st, QPM_E_NOCONVERGE, "x[%d] = %g: %d", k, bad[b], (int)st);
                cr_assert_neq(strstr(qpm_last_error(), "left the floating-point range"), NULL,
                              "%s", qpm_last_error());
                cr_assert_eq(nneg, 99u);
            }
        }
    /* Still usable: an indefinite matrix is projected. */
    double x[9] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
    size_t nneg = 0;
    cr_assert_eq(qpm__cov_psd_project(&e, x, NULL, &nneg), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(nneg, 1u);
    qpm__cov_eig_free(&e, &al);
}
