/* surface internals the book uses (lib/surface/surface_internal.h): the
 * fast total variance and forward agree with the public queries bit for
 * bit, and a copy answers the same and lives on its own. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/qpm.h"
#include "support/testutil.h"
#include "surface/surface_internal.h"

Test(surface_internal, fast_path_matches_queries_and_copy)
{
    qpm_surface *s, *c;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    const qpm_svi p[3] = {{0.01, 0.1, -0.3, 0.0, 0.2},
                          {0.03, 0.12, -0.3, 0.02, 0.25},
                          {0.08, 0.15, -0.25, 0.03, 0.3}};
    const double T[3] = {0.1, 0.5, 2.0}, F[3] = {100.0, 101.0, 104.0};
    for (int i = 2; i >= 0; i--)
        cr_assert_eq(qpm_surface_set_slice(s, T[i], F[i], &p[i]), QPM_OK);
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    cr_assert_eq(qpm__surface_copy(s, &fa.alloc, &c), QPM_OK);
    for (double t = 0.02; t < 4.0; t += 0.037)
        for (double k = -1.5; k <= 1.5; k += 0.25) {
            double w, f;
            cr_assert_eq(qpm_surface_total_variance_k(s, 1, &t, &k, &w), QPM_OK);
            cr_assert_eq(qpm_surface_forward(s, 1, &t, &f), QPM_OK);
            cr_assert_eq(qpm__surface_total_variance(s, t, k), w);
            cr_assert_eq(qpm__surface_total_variance(c, t, k), w);
            cr_assert_eq(qpm__surface_forward(s, t), f);
            cr_assert_eq(qpm__surface_forward(c, t), f);
        }
    qpm_surface_free(s);
    cr_assert_eq(qpm_surface_n_slices(c), 3);
    cr_assert_eq(qpm__surface_total_variance(c, 0.5, 0.0),
                 p[1].a + p[1].b * (p[1].rho * -p[1].m + sqrt(p[1].m * p[1].m + p[1].sigma * p[1].sigma)));
    qpm_surface_free(c);
    cr_assert_eq(fa.live, 0);
    /* a failing allocation: NOMEM, *out NULL, nothing live */
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    cr_assert_eq(qpm_surface_set_slice(s, 1.0, 100.0, &p[0]), QPM_OK);
    for (long k = 0; k < 2; k++) {
        qt_failalloc_init(&fa, -1);
        qt_failalloc_only(&fa, k);
        c = (qpm_surface *)1;
        cr_assert_eq(qpm__surface_copy(s, &fa.alloc, &c), QPM_E_NOMEM);
        cr_assert_null(c);
        cr_assert_eq(fa.live, 0);
    }
    qpm_surface_free(s);
    cr_assert_eq(qt_leak_check(), 0);
}
