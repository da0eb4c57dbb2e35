/* surface internals the book uses (lib/surface/surface_internal.h): the
 * fast total variance and forward agree with the public queries bit for
 * bit, and a copy answers the same and lives on its own.  The SVI fit's
 * four-lane loops (lib/surface/svi_kern.h): the same bits from the AVX2
 * and baseline builds, and the butterfly scan equal to a plain scalar
 * scan of the same grid (value and first index of the minimum). */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "qpm/qpm.h"
#include "support/testutil.h"
#include "surface/surface_internal.h"
#include "surface/svi_kern.h"

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
    cr_assert_eq(
        qpm__surface_total_variance(c, 0.5, 0.0),
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

/* one 40-strike slice (vols with a +-0.2 vol-point wiggle), fitted with
 * the kernels the CPU picks and with the baseline ones */
static void fit_once(qpm_svi *p, qpm_svi_report *rep, unsigned flags)
{
    double K[40], v[40];
    for (int i = 0; i < 40; i++) {
        double k = -0.6 + 1.2 * i / 39.0;
        K[i] = 100.0 * exp(k);
        v[i] = 0.6 + 0.3 * k * k - 0.2 * k + 0.002 * sin(7.0 * i);
    }
    qpm_smile_quotes q;
    memset(&q, 0, sizeof q);
    q.size = sizeof q;
    q.n = 40;
    q.strike = K;
    q.kind = QPM_QUOTE_VOL;
    q.mid = v;
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    memset(rep, 0, sizeof *rep);
    rep->size = sizeof *rep;
    cr_assert_eq(qpm_surface_fit_slice(s, 0.25, 100.0, &q, flags, rep), QPM_OK);
    cr_assert_eq(qpm_surface_slice(s, 0, NULL, NULL, p, NULL), QPM_OK);
    qpm_surface_free(s);
}

/* qpm__surface_w_form: its formula, in its documented order, gives the
 * total variance's bits before the first slice, on every slice, between
 * slices and beyond the last (the book's P&L kernel evaluates it lane by
 * lane for options on sticky-moneyness surfaces) */
Test(surface_internal, w_form_gives_the_total_variance_bits)
{
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    const qpm_svi p[3] = {{0.01, 0.1, -0.3, 0.0, 0.2},
                          {0.03, 0.12, -0.3, 0.02, 0.25},
                          {0.08, 0.15, -0.25, 0.03, 0.3}};
    const double T[3] = {0.1, 0.5, 2.0}, F[3] = {100.0, 101.0, 104.0};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(qpm_surface_set_slice(s, T[i], F[i], &p[i]), QPM_OK);
    const double ts[] = {0.01, 0.0999, 0.1, 0.3, 0.5, 1.7, 2.0, 3.5};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double c[12];
        qpm__surface_w_form(s, ts[i], c);
        for (double k = -2.0; k <= 2.0; k += 0.0625) {
            double xa = k - c[3], xb = k - c[8];
            double wa = c[0] + c[1] * (c[2] * xa + sqrt(xa * xa + c[4]));
            double wb = c[5] + c[6] * (c[7] * xb + sqrt(xb * xb + c[9]));
            double w = (wa + c[10] * (wb - wa)) * c[11];
            double want = qpm__surface_total_variance(s, ts[i], k);
            cr_assert(memcmp(&w, &want, sizeof w) == 0, "T = %g, k = %g: %.17g, want %.17g", ts[i],
                      k, w, want);
        }
    }
    qpm_surface_free(s);
}

Test(surface_internal, svi_kernels_same_bits_every_build)
{
    for (unsigned flags = 0; flags <= QPM_SVI_NO_BUTTERFLY; flags++) {
        qpm_svi pa, pb;
        qpm_svi_report ra, rb;
        fit_once(&pa, &ra, flags);
        qpm__cpu_set_mask(~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA));
        fit_once(&pb, &rb, flags);
        qpm__cpu_set_mask(~0u);
        cr_expect_eq(memcmp(&pa, &pb, sizeof pa), 0, "flags %u: a %.17g vs %.17g, m %.17g vs %.17g",
                     flags, pa.a, pb.a, pa.m, pb.m);
        cr_expect_eq(ra.rmse_volpts, rb.rmse_volpts);
        cr_expect_eq(ra.worst_g, rb.worst_g);
        cr_expect_eq(ra.worst_k, rb.worst_k);
        cr_expect_eq(ra.iterations, rb.iterations);
    }
}

Test(surface_internal, butterfly_scan_matches_scalar_scan)
{
    /* a slice with w <= 0 on an interval (g = -inf there), an
     * arbitrageable one (g < 0) and a clean one; grids of every length
     * mod 4 */
    const qpm_svi ps[3] = {{-0.0410, 0.7, -0.9, 0.1, 0.05},
                           {0.002, 0.6, -0.9, 0.0, 0.02},
                           {0.04, 0.2, -0.4, 0.0, 0.3}};
    const size_t npts[5] = {5, 6, 7, 8, 2001};
    int negative = 0;
    for (int c = 0; c < 3; c++)
        for (int t = 0; t < 5; t++) {
            const qpm_svi *p = &ps[c];
            double L = 1.5, h = 2.0 * L / (double)(npts[t] - 1), gmin = HUGE_VAL, kmin = 0.0;
            for (size_t j = 0; j < npts[t]; j++) {
                double k = -L + h * (double)j, g = qpm__svi_g(p, k);
                g = g == g ? g : -HUGE_VAL;
                if (g < gmin) {
                    gmin = g;
                    kmin = k;
                }
            }
            for (int b = 0; b < 2; b++) {
                if (b == 1)
                    qpm__cpu_set_mask(~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA));
                double km, gm = qpm__svi_kern_get()->gmin(p, L, h, npts[t], &km);
                qpm__cpu_set_mask(~0u);
                /* the kernel takes 1/r and 1/w from one division: a few ulps */
                if (isinf(gmin))
                    cr_expect_eq(gm, gmin, "slice %d, %zu points: %g", c, npts[t], gm);
                else
                    cr_expect_leq(fabs(gm - gmin), 1e-12 * (1.0 + fabs(gmin)),
                                  "slice %d, %zu points: %.17g vs %.17g", c, npts[t], gm, gmin);
                negative += c == 1 && gm < -1e-3 && isfinite(gm);
                cr_expect_eq(km, kmin, "slice %d, %zu points: k %.17g vs %.17g", c, npts[t], km,
                             kmin);
            }
        }
    cr_expect_gt(negative, 0, "the arbitrageable slice shows a negative density");
}
