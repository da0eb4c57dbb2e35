/* White-box: the block inversion of uniforms into normals
 * (qpm__norm_inv_block) and the Monte Carlo's moves built on it.  The
 * precise block gives qpm__norm_inv's bits, the plain one AS241's bits in
 * the central region and values within a few ulp of them in the tails; the
 * baseline and AVX2 builds give the same bits, and so do the Monte Carlo's
 * scenarios on either. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "qpm/risk.h"
#include "rng/rng_internal.h"
#include "support/testutil.h"

static unsigned long long splitmix64(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const unsigned NO_AVX2 = ~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA);
/* the AVX2 build where the CPU also has AVX-512 (else the same as ~0u) */
static const unsigned NO_AVX512 = ~((unsigned)QPM_CPU_AVX512F | (unsigned)QPM_CPU_AVX512DQ);

/* probabilities over the whole range: uniform, log-uniform tails down to
 * 1e-300 on both sides, the neighbours of every branch point, the points
 * where the tabulated step changes node and the end of its table */
static double *probabilities(size_t *count)
{
    enum { NU = 60000, NT = 40000 };
    const double edges[] = {0.25, 0.075, 0.5 - 0.425, 1e-305, 0.5};
    enum { NK = 545 }; /* the nodes of the tabulated step */
    size_t n = NU + 2 * NT + 2 * 5 * 9 + 3 + 2 * 3 * NK + 2 * 200;
    double *p = malloc(n * sizeof *p);
    cr_assert_not_null(p);
    unsigned long long st = 12345;
    size_t k = 0;
    for (size_t i = 0; i < NU; i++)
        p[k++] = ((double)(splitmix64(&st) >> 11) + 0.5) * 0x1p-53;
    for (size_t i = 0; i < NT; i++) {
        double t = pow(10.0, -300.0 * ((double)(splitmix64(&st) >> 11) * 0x1p-53));
        p[k++] = t;
        p[k++] = 1.0 - t > 0.0 && 1.0 - t < 1.0 ? 1.0 - t : 0.5;
    }
    for (size_t e = 0; e < 5; e++) {
        double a = edges[e], b = 1.0 - edges[e];
        for (int d = -4; d <= 4; d++) {
            double x = a, y = b;
            for (int s = 0; s < abs(d); s++) {
                x = nextafter(x, d < 0 ? 0.0 : 1.0);
                y = nextafter(y, d < 0 ? 0.0 : 1.0);
            }
            p[k++] = x;
            p[k++] = y > 0.0 && y < 1.0 ? y : 0.5; /* 1 - 1e-305 rounds to 1 */
        }
    }
    /* the values half-way between nodes of the step's table (where the
     * node changes) and their neighbours, and the table's end */
    for (int j = 0; j < NK; j++) {
        double t = 0.5 * erfc((j + 0.5) / 64.0 * M_SQRT1_2);
        for (int d = -1; d <= 1; d++) {
            double x = d < 0 ? nextafter(t, 0.0) : d > 0 ? nextafter(t, 1.0) : t;
            p[k++] = x;
            p[k++] = 1.0 - x > 0.0 && 1.0 - x < 1.0 ? 1.0 - x : 0.5;
        }
    }
    for (int j = 0; j < 200; j++) {
        double t = pow(10.0, -18.0 + j / 100.0); /* 1e-18 .. 1e-16 */
        p[k++] = t;
        p[k++] = 1.0 - t > 0.0 && 1.0 - t < 1.0 ? 1.0 - t : 0.5;
    }
    p[k++] = 0x1p-53; /* the smallest uniform of qpm__u01_open */
    p[k++] = 1.0 - 0x1p-53;
    p[k++] = 0.5;
    *count = k;
    return p;
}

static double ulps(double a, double b)
{
    if (a == b)
        return 0.0;
    return fabs(a - b) / (nextafter(fabs(b), HUGE_VAL) - fabs(b));
}

/* the block inversion of p[0..n-1] on the chosen build (x) and on the
 * baseline build (y); the AVX2 build (AVX-512 masked out) must give x's
 * bits too */
static void both_builds(const double *p, size_t n, int precise, double **x, double **y)
{
    *x = malloc(n * sizeof **x);
    *y = malloc(n * sizeof **y);
    double *w = malloc(n * sizeof *w);
    cr_assert(*x != NULL && *y != NULL && w != NULL);
    memcpy(*x, p, n * sizeof **x);
    memcpy(*y, p, n * sizeof **y);
    memcpy(w, p, n * sizeof *w);
    qpm__norm_inv_block(n, *x, precise);
    qpm__cpu_set_mask(NO_AVX2);
    qpm__norm_inv_block(n, *y, precise);
    qpm__cpu_set_mask(NO_AVX512);
    qpm__norm_inv_block(n, w, precise);
    qpm__cpu_set_mask(~0u);
    for (size_t i = 0; i < n; i++)
        cr_assert(memcmp(&w[i], &(*x)[i], sizeof w[i]) == 0,
                  "AVX2 and chosen builds differ at p = %.17g: %.17g, %.17g", p[i], w[i], (*x)[i]);
    free(w);
}

Test(rng_block, precise_blocks_give_the_bits_of_norm_inv_on_every_build)
{
    size_t n;
    double *p = probabilities(&n);
    double *x, *y;
    both_builds(p, n, 1, &x, &y);
    for (size_t i = 0; i < n; i++) {
        double z = qpm__norm_inv(p[i]);
        cr_assert(memcmp(&x[i], &z, sizeof z) == 0, "p = %.17g: %.17g, norm_inv %.17g", p[i], x[i],
                  z);
        cr_assert(memcmp(&y[i], &z, sizeof z) == 0, "baseline, p = %.17g", p[i]);
    }
    free(p), free(x), free(y);
}

Test(rng_block, plain_blocks_keep_as241s_bits_centrally_and_its_values_in_the_tails)
{
    size_t n;
    double *p = probabilities(&n);
    double *x, *y;
    both_builds(p, n, 0, &x, &y);
    double worst = 0.0, worst_exact = 0.0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(memcmp(&x[i], &y[i], sizeof y[i]) == 0, "builds differ at p = %.17g", p[i]);
        double a = qpm__norm_inv_as241(p[i]);
        if (fabs(p[i] - 0.5) <= 0.425) {
            cr_assert(memcmp(&x[i], &a, sizeof a) == 0, "central p = %.17g", p[i]);
            continue;
        }
        /* tails: the four-lane log moves the AS241 value by a few ulp
         * (measured 4.0 at most, in the far tail) */
        double e = ulps(x[i], a);
        worst = fmax(worst, e);
        cr_assert(e <= 6.0, "p = %.17g: %.17g, AS241 %.17g (%.2f ulp)", p[i], x[i], a, e);
        worst_exact = fmax(worst_exact, ulps(x[i], qpm__norm_inv(p[i])));
    }
    /* documented: within a few ulp of the precise quantile (measured 6.0;
     * libm's AS241 values 4-5) */
    cr_assert(worst_exact <= 10.0, "%.2f ulp from the precise quantile", worst_exact);
    cr_log_info("tails: %.2f ulp from AS241 in libm, %.2f from the precise quantile", worst,
                worst_exact);
    free(p), free(x), free(y);
}

/* The Monte Carlo's scenarios (t, jumps, vol of vol; both normal kinds) on
 * the baseline, AVX2 and AVX-512 builds: the same bits. */
Test(rng_block, monte_carlo_scenarios_are_the_same_on_every_build)
{
    enum { NU = 5, NS = 3000 };
    double cov[NU * NU];
    for (int i = 0; i < NU; i++)
        for (int j = 0; j < NU; j++)
            cov[i * NU + j] = (i == j ? 1.0 : 0.5) * (0.02 + 0.004 * i) * (0.02 + 0.004 * j);
    static double a[NS * NU], b[NS * NU], va[NS * NU], vb[NS * NU];
    for (int kind = 0; kind < 2; kind++) {
        qpm_risk *r;
        cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
        cr_assert_eq(qpm_risk_set_covariance(r, NU, cov, NU), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 4.0), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_INTENSITY, 0.2), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_STD, 0.05), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.1), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, kind), QPM_OK);
        cr_assert_eq(qpm_risk_scenarios(r, NS, a, NU, va, NU), QPM_OK, "%s", qpm_last_error());
        for (int build = 0; build < 2; build++) {
            qpm__cpu_set_mask(build == 0 ? NO_AVX2 : NO_AVX512);
            qpm_status st = qpm_risk_scenarios(r, NS, b, NU, vb, NU);
            qpm__cpu_set_mask(~0u);
            cr_assert_eq(st, QPM_OK);
            cr_assert(memcmp(a, b, sizeof a) == 0, "normals %d, build %d: spot moves differ", kind,
                      build);
            cr_assert(memcmp(va, vb, sizeof va) == 0, "normals %d, build %d: vol shifts differ",
                      kind, build);
        }
        for (size_t i = 0; i < NS * NU; i++)
            cr_assert(isfinite(a[i]) && a[i] > -1.0, "move %zu = %g", i, a[i]);
        qpm_risk_free(r);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
