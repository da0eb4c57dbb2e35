/* risk: the grid revaluation mode (experimental QPM_RISK_REVALUATION =
 * QPM_RISK_REVALUE_GRID).  Against exact full revaluation of the same
 * scenarios: every scenario's P&L within the reported bound, VaR and ES
 * within 1e-6 relative (far inside the 0.1 % the mode is for), with Student-t
 * moves, jumps, vol of vol, funding, coin collateral and an AMM-free mixed
 * book on three underlyings; historical simulation too; the same bits for 1
 * and 2 threads; the bound's state rules; settings. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/risk.h"
#include "support/testutil.h"

enum { NS = 20000, NU = 3 };

static qpm_risk *risk(double threads, double vov)
{
    qpm_risk *r;
    const double c[NU * NU] = {4e-4, 3e-4, 4e-4, 3e-4, 9e-4, 6e-4, 4e-4, 6e-4, 1.6e-3};
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, NU, c, NU), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SEED, 11), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 4), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_INTENSITY, 0.05), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_MEAN, -0.05), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_STD, 0.08), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, vov), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, threads), QPM_OK);
    return r;
}

static void compare(qpm_risk *r, qpm_book *b)
{
    static double pe[NS], pg[NS];
    qt_grid_vs_exact(r, b, NS, pe, pg, NULL, NULL);
}

Test(risk_grid, monte_carlo_against_exact)
{
    qpm_book *b = qt_risk_account();
    qpm_risk *r = risk(1, 0.0);
    compare(r, b);
    qpm_risk_free(r);
    r = risk(1, 0.05); /* a common vol factor: 2-D grids */
    compare(r, b);
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_grid, same_bits_for_any_thread_count)
{
    qpm_book *b = qt_risk_account();
    static double p1[NS], p2[NS];
    double v1, v2, b1, b2;
    for (int t = 1; t <= 2; t++) {
        qpm_risk *r = risk(t, 0.05);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_GRID), QPM_OK);
        cr_assert_eq(
            qpm_risk_simulate(r, b, t == 1 ? p1 : p2, t == 1 ? &v1 : &v2, NULL, NULL, NULL),
            QPM_OK);
        cr_assert_eq(qpm_risk_grid_error(r, t == 1 ? &b1 : &b2), QPM_OK);
        qpm_risk_free(r);
    }
    cr_assert(memcmp(p1, p2, sizeof p1) == 0 && v1 == v2 && b1 == b2);
    qpm_book_free(b);
}

Test(risk_grid, historical_simulation)
{
    qpm_book *b = qt_risk_account();
    qpm_risk *r = risk(1, 0.0);
    enum { T = 3000 };
    static double ret[T * NU], pe[T], pg[T];
    uint64_t st = 7;
    for (size_t i = 0; i < T * NU; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double u = ((double)(st >> 11) + 0.5) * 0x1p-53;
        ret[i] = 0.04 * tan(3.141592653589793 * (u - 0.5)) * 0.3; /* heavy tails */
        if (ret[i] < -2.0)
            ret[i] = -2.0;
        if (ret[i] > 2.0)
            ret[i] = 2.0;
    }
    double ve, vg, bound;
    cr_assert_eq(qpm_risk_historical(r, b, T, ret, NU, pe, &ve, NULL, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_GRID), QPM_OK);
    cr_assert_eq(qpm_risk_historical(r, b, T, ret, NU, pg, &vg, NULL, NULL, NULL), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_risk_grid_error(r, &bound), QPM_OK);
    for (size_t s = 0; s < T; s++)
        cr_assert(fabs(pg[s] - pe[s]) <= bound, "scenario %zu: %.17g vs %.17g (bound %.3g)", s,
                  pg[s], pe[s], bound);
    cr_assert(fabs(vg - ve) <= 1e-6 * fabs(ve));
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_grid, settings_and_state)
{
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double v, lo, hi, bound;
    cr_assert_eq(qpm_risk_get(r, QPM_RISK_REVALUATION, &v), QPM_OK);
    cr_assert_eq(v, QPM_RISK_REVALUE_EXACT);
    cr_assert_eq(qpm_risk_get(r, QPM_RISK_GRID_TOL, &v), QPM_OK);
    cr_assert_eq(v, 1e-7);
    cr_assert_eq(qpm_risk_bounds(QPM_RISK_GRID_TOL, &lo, &hi), QPM_OK);
    cr_assert(lo == 1e-12 && hi == 1e-2);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_REVALUATION, 2), QPM_E_RANGE);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_GRID_TOL, 0.5), QPM_E_RANGE);
    cr_assert_eq(qpm_risk_grid_error(r, &bound), QPM_E_STATE);
    cr_assert(strstr(qpm_last_error(), "no grid run") != NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_risk_grid_error(NULL, &bound), QPM_E_NULL);
    cr_assert_eq(qpm_risk_grid_error(r, NULL), QPM_E_NULL);
    qpm_setting_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    cr_assert_eq(qpm_risk_describe(QPM_RISK_REVALUATION, &info), QPM_OK);
    cr_assert_str_eq(info.name, "QPM_RISK_REVALUATION");
    qpm_risk_free(r);
}

/* QPM_RISK_NORMALS = FAST: the same uniforms through AS241 alone, so the
 * same scenarios to the last few bits, for any thread count. */
Test(risk_grid, fast_normals_are_the_same_scenarios_to_a_few_ulp)
{
    enum { M = 30000 };
    static double a[M * NU], b2[M * NU], c[M * NU], va[M * NU], vb[M * NU];
    qpm_risk *r = risk(1, 0.05);
    cr_assert_eq(qpm_risk_get(r, QPM_RISK_NORMALS, &(double){0}), QPM_OK);
    cr_assert_eq(qpm_risk_scenarios(r, M, a, NU, va, NU), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, QPM_RISK_NORMALS_FAST), QPM_OK);
    cr_assert_eq(qpm_risk_scenarios(r, M, b2, NU, vb, NU), QPM_OK);
    qpm_risk_free(r);
    r = risk(2, 0.05);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, QPM_RISK_NORMALS_FAST), QPM_OK);
    cr_assert_eq(qpm_risk_scenarios(r, M, c, NU, NULL, 0), QPM_OK);
    cr_assert(memcmp(b2, c, sizeof c) == 0, "the same bits for 1 and 2 threads");
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, 3), QPM_E_RANGE);
    qpm_risk_free(r);
    size_t differ = 0;
    double worst = 0;
    for (size_t i = 0; i < M * NU; i++) {
        double ra = log1p(a[i]), rb = log1p(b2[i]); /* the log returns */
        /* against the return's size (a daily sd of 2-4 %: a sum of
         * correlated terms may nearly cancel) */
        worst = fmax(worst, fabs(ra - rb) / (fabs(ra) + 0.01));
        differ += a[i] != b2[i];
        worst = fmax(worst, fabs(va[i] - vb[i]) / (fabs(va[i]) + 1e-300));
    }
    cr_assert(worst < 1e-12, "largest relative difference %.3g", worst);
    cr_assert(differ > 0, "AS241 alone is not the refined inverse");
}
