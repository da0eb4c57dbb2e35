/* White-box: the Monte Carlo's ziggurat normals (QPM_RISK_NORMALS_ZIGGURAT)
 * and the grid revaluation fused with the draws.
 *
 * - The tables are the documented 1024-layer stack (equal areas, edges,
 *   acceptance bounds), and the normals, gamma variates and chi-squares
 *   drawn from them have the right distribution (moments, tail mass,
 *   Kolmogorov-Smirnov statistics).
 * - The scenarios are the construction risk.h documents (lane t % 8 of
 *   each block, its draws in order), rebuilt here from the generator
 *   streams and the scalar samplers.
 * - The AVX-512 lanes and the baseline build give the same bits, and so do
 *   1 and 2 threads, with t moves, jumps and vol of vol.
 * - Grid revaluation over several batches (the passes revalued as drawn,
 *   the scenarios beyond the grids after) stays within its bound of exact
 *   revaluation, with the same bits for any thread count; the pass itself
 *   gives the same bits on both builds. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "qpm/book.h"
#include "qpm/risk.h"
#include "risk/risk_grid.h"
#include "risk/risk_internal.h"
#include "risk/risk_zig.h"
#include "rng/rng_internal.h"
#include "support/testutil.h"

static const unsigned NO_WIDE = ~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA |
                                  (unsigned)QPM_CPU_AVX512F | (unsigned)QPM_CPU_AVX512DQ);

static const double COV3[9] = {4e-4, 3e-4, 4e-4, 3e-4, 9e-4, 6e-4, 4e-4, 6e-4, 1.6e-3};

#define W_(i) qpm__zig_kw[(i)].w
#define K_(i) qpm__zig_kw[(i)].k

static qpm__gen stream(uint64_t seed, uint64_t k)
{
    qpm_rng *base, *w;
    cr_assert_eq(qpm_rng_create(&base, NULL, QPM_RNG_PCG64DXSM, 0, 0, 0, 0), QPM_OK);
    cr_assert_eq(qpm_rng_seed(base, 0, seed, 0x7269736b, 0x5343454e4152494fu), QPM_OK);
    cr_assert_eq(qpm_rng_create(&w, NULL, QPM_RNG_PCG64DXSM, 0, 0, 0, 0), QPM_OK);
    cr_assert_eq(qpm_rng_set_stream(w, base, k), QPM_OK);
    qpm__gen g = qpm__gen_load(&w->g);
    qpm_rng_free(w);
    qpm_rng_free(base);
    return g;
}

static double phi_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

Test(risk_zig, tables_are_the_documented_stack)
{
    const double r = qpm__zig_r;
    double f_r = exp(-0.5 * r * r);
    double v = r * f_r + sqrt(M_PI / 2) * erfc(r / sqrt(2.0)); /* each layer's area */
    cr_assert(fabs(W_(0) * 0x1p53 * f_r / v - 1.0) < 1e-15, "base layer's width");
    cr_assert(fabs(W_(1) * 0x1p53 / r - 1.0) < 1e-15);
    for (int i = 1; i < QPM__ZIG_N; i++) {
        double xi = W_(i) * 0x1p53;
        double x1 = i + 1 < QPM__ZIG_N ? W_(i + 1) * 0x1p53 : 0.0;
        cr_assert(x1 < xi, "layer edges decrease (%d)", i);
        /* f(x[i]) of the exact edge: exp of the rounded one within the
         * edge's rounding, x^2 ulp/2 relative */
        double tol = (2.0 + xi * xi) * 0x1p-52;
        cr_assert(fabs(qpm__zig_f[i] / exp(-0.5 * xi * xi) - 1.0) <= tol, "f(x[%d])", i);
        /* equal areas: x[i] (f(x[i+1]) - f(x[i])) = v */
        double area = xi * (qpm__zig_f[i + 1] - qpm__zig_f[i]);
        cr_assert(fabs(area / v - 1.0) < 1e-12, "layer %d: area %.17g, v %.17g", i, area, v);
        /* accepted at once: j < K[i] <=> j 2^-53 < x[i+1] / x[i] */
        double k = (double)K_(i);
        cr_assert(fabs(k - 0x1p53 * x1 / xi) <= 8.0, "K[%d]", i); /* rounded edges */
    }
    cr_assert_eq(K_(QPM__ZIG_N - 1), 0u);
    cr_assert_eq(qpm__zig_f[QPM__ZIG_N], 1.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* xoshiro256++ against the reference implementation's first outputs from
 * the state {1, 2, 3, 4} (Blackman and Vigna's xoshiro256plusplus.c) */
Test(risk_zig, xoshiro256pp_reference_outputs)
{
    qpm__xo x = {{1, 2, 3, 4}};
    const uint64_t want[4] = {41943041u, 58720359u, 3588806011781223u, 3591011842654386u};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(qpm__xo_next(&x), want[i], "output %d", i);
}

Test(risk_zig, normals_and_gammas_have_their_distributions)
{
    enum { N = 2000000 };
    double *x = malloc(N * sizeof *x);
    cr_assert_not_null(x);
    qpm__gen g = stream(5, 17);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    size_t tail = 0;
    for (size_t i = 0; i < N; i++) {
        x[i] = qpm__zig_normal(&g);
        double y = x[i], y2 = y * y;
        s1 += y, s2 += y2, s3 += y2 * y, s4 += y2 * y2;
        tail += fabs(y) > qpm__zig_r;
    }
    double sd = 1.0 / sqrt((double)N);
    cr_assert(fabs(s1 / N) < 5 * sd, "mean %.3g", s1 / N);
    cr_assert(fabs(s2 / N - 1.0) < 5 * sqrt(2.0) * sd, "variance %.6f", s2 / N);
    cr_assert(fabs(s3 / N) < 5 * sqrt(15.0) * sd, "third moment %.4f", s3 / N);
    cr_assert(fabs(s4 / N - 3.0) < 5 * sqrt(96.0) * sd, "fourth moment %.4f", s4 / N);
    /* the tail beyond r (Marsaglia's tail method): 2 Phi(-r) = 5.4e-5 */
    double pt = 2.0 * phi_cdf(-qpm__zig_r);
    cr_assert(fabs((double)tail / N - pt) < 5 * sqrt(pt / N), "tail %zu, expected %.1f", tail,
              pt * N);
    /* Kolmogorov-Smirnov: sqrt(N) D below 1.95 (p = 0.001) */
    qsort(x, N, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < N; i++) {
        double c = phi_cdf(x[i]);
        d = fmax(d, fmax(fabs(c - (double)i / N), fabs(c - (double)(i + 1) / N)));
    }
    cr_assert(sqrt((double)N) * d < 1.95, "KS statistic %.3f", sqrt((double)N) * d);
    cr_log_info("ziggurat normals: KS sqrt(N) D = %.3f over %d draws", sqrt((double)N) * d, N);
    /* the same normals from xoshiro256++: the moments */
    qpm__xo xo = {{0x9E3779B97F4A7C15u, 7, 11, 13}};
    double q1 = 0, q2 = 0, q4 = 0;
    for (size_t i = 0; i < N; i++) {
        double y = qpm__zig_normal_xo(&xo), y2 = y * y;
        q1 += y, q2 += y2, q4 += y2 * y2;
    }
    cr_assert(fabs(q1 / N) < 5 * sd && fabs(q2 / N - 1.0) < 5 * sqrt(2.0) * sd &&
                  fabs(q4 / N - 3.0) < 5 * sqrt(96.0) * sd,
              "xoshiro normals: %.5f %.5f %.5f", q1 / N, q2 / N, q4 / N);
    /* Gamma(a): mean a, variance a (Marsaglia-Tsang on ziggurat proposals) */
    const double shapes[3] = {1.0, 2.0, 3.5};
    for (int k = 0; k < 3; k++) {
        qpm__gamma_par gp;
        qpm__gamma_init(&gp, shapes[k]);
        double m1 = 0, m2 = 0;
        enum { NG = 500000 };
        for (size_t i = 0; i < NG; i++) {
            double y = qpm__gamma_zig_xo(&xo, &gp);
            cr_assert(y > 0.0);
            m1 += y, m2 += y * y;
        }
        double mean = m1 / NG, var = m2 / NG - mean * mean, a = shapes[k];
        cr_assert(fabs(mean - a) < 5 * sqrt(a / NG), "shape %g: mean %.5f", a, mean);
        cr_assert(fabs(var - a) < 5 * sqrt((2 * a * a + 6 * a) / NG), "shape %g: variance %.5f", a,
                  var);
    }
    free(x);
}

/* chi-square CDF for nu = 3 and nu = 4 (regularised lower gamma P(nu/2, x/2)) */
static double chi2_cdf(double nu, double x)
{
    if (nu == 4.0)
        return -expm1(-0.5 * x) - 0.5 * x * exp(-0.5 * x);
    return erf(sqrt(0.5 * x)) - sqrt(2.0 * x / M_PI) * exp(-0.5 * x); /* nu = 3 */
}

/* The Monte Carlo's chi-squares (qpm__zig_chi_xo): uniforms and a normal
 * for integer nu up to 16, Marsaglia-Tsang otherwise; mean nu, variance
 * 2 nu, and for nu = 3 and 4 a Kolmogorov-Smirnov statistic. */
Test(risk_zig, chi_squares_have_their_distribution)
{
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x);
    cr_assert_not_null(x);
    const double nus[6] = {3, 4, 5, 16, 4.5, 17};
    const int ks[6] = {1, 2, 2, 8, 0, 0};
    qpm__xo xo = {{0x243F6A8885A308D3u, 3, 5, 7}};
    for (int c = 0; c < 6; c++) {
        qpm_risk *r;
        cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, nus[c]), QPM_OK);
        qpm__zig_par zp;
        qpm__zig_par_init(r, &zp);
        qpm_risk_free(r);
        cr_assert_eq(zp.chi_k, ks[c], "nu %g: %d uniforms", nus[c], zp.chi_k);
        cr_assert_eq(zp.chi_odd, ks[c] > 0 && fmod(nus[c], 2.0) != 0.0);
        double m1 = 0, m2 = 0, nu = nus[c];
        for (size_t i = 0; i < N; i++) {
            x[i] = qpm__zig_chi_xo(&xo, &zp);
            cr_assert(x[i] > 0.0);
            m1 += x[i], m2 += x[i] * x[i];
        }
        double mean = m1 / N, var = m2 / N - mean * mean;
        /* var of the sample variance: 2 (mu4 - var^2) / N-ish; mu4 = 12 nu (nu + 4) */
        cr_assert(fabs(mean - nu) < 5 * sqrt(2 * nu / N), "nu %g: mean %.5f", nu, mean);
        cr_assert(fabs(var - 2 * nu) < 5 * sqrt((12 * nu * (nu + 4) - 4 * nu * nu) / N),
                  "nu %g: variance %.5f", nu, var);
        if (nu == 3.0 || nu == 4.0) {
            qsort(x, N, sizeof *x, cmp_double);
            double d = 0;
            for (size_t i = 0; i < N; i++) {
                double f = chi2_cdf(nu, x[i]);
                d = fmax(d, fmax(fabs(f - (double)i / N), fabs(f - (double)(i + 1) / N)));
            }
            cr_assert(sqrt((double)N) * d < 1.95, "nu %g: KS statistic %.3f", nu,
                      sqrt((double)N) * d);
            cr_log_info("chi-square(%g): KS sqrt(N) D = %.3f over %d draws", nu,
                        sqrt((double)N) * d, N);
        }
    }
    free(x);
}

/* the Cholesky factor of COV3 */
static void factor(double L[3][3])
{
    memset(L, 0, 9 * sizeof(double));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j <= i; j++) {
            double s = COV3[i * 3 + j];
            for (int k = 0; k < j; k++)
                s -= L[i][k] * L[j][k];
            L[i][j] = i == j ? sqrt(s) : s / L[j][j];
        }
}

static qpm_risk *make(double threads, int extras)
{
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 3, COV3, 3), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SEED, 77), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 5), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 2), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, QPM_RISK_NORMALS_ZIGGURAT), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, threads), QPM_OK);
    if (extras) {
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_INTENSITY, 20), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_MEAN, -0.05), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_STD, 0.08), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.5), QPM_OK);
    }
    return r;
}

/* Every draw where risk.h puts it: scenario t of block b on the
 * xoshiro256++ seeded by the first four outputs of stream
 * QPM__RISK_ZIG_STREAM + 8 b + t % 8 of the base generator, the first
 * points of its 3 normals, then each normal finished, then the
 * chi-square (nu = 5: -2 log(U1 U2) + z^2; nu = 4.5: twice a
 * Marsaglia-Tsang gamma); the moves expm1(sqrt(h) c L g).  Two blocks,
 * the second ending in a part of a group of lanes.  The library's exp
 * and log round differently, so a few ulp; a misplaced draw is a
 * difference of order 1. */
static void documented_construction(double nu)
{
    enum { NS = 4096 + 45 };
    const double h = 2.0; /* days: the covariance is daily */
    qpm_risk *r = make(2, 0);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, nu), QPM_OK);
    double *mv = malloc((size_t)NS * 3 * sizeof *mv);
    cr_assert_not_null(mv);
    cr_assert_eq(qpm_risk_scenarios(r, NS, mv, 3, NULL, 0), QPM_OK, "%s", qpm_last_error());
    double L[3][3];
    factor(L);
    qpm__xo lanes[8];
    qpm__gamma_par gp;
    qpm__gamma_init(&gp, 0.5 * nu);
    double worst = 0;
    for (size_t s = 0; s < NS; s++) {
        size_t b = s / 4096, t = s % 4096;
        if (t == 0)
            for (unsigned l = 0; l < 8; l++) {
                /* xoshiro256++ seeded by the stream's first four outputs */
                qpm__gen p = stream(77, QPM__RISK_ZIG_STREAM + 8u * b + l);
                for (int k = 0; k < 4; k++)
                    lanes[l].s[k] = qpm__step_dxsm(&p.s, p.inc);
            }
        qpm__xo *g = &lanes[t % 8];
        /* the first points of the three normals, then each finished */
        double z[3];
        uint64_t b3[3];
        for (int u = 0; u < 3; u++)
            b3[u] = qpm__xo_next(g);
        for (int u = 0; u < 3; u++)
            z[u] = qpm__zig_finish_xo(g, b3[u]);
        double chi;
        if (nu == 5.0) {
            double u1 = (double)((qpm__xo_next(g) >> 11) + 1) * 0x1p-53;
            double u2 = (double)((qpm__xo_next(g) >> 11) + 1) * 0x1p-53;
            double zc = qpm__zig_normal_xo(g);
            chi = -2.0 * log(u1 * u2) + zc * zc;
        } else {
            chi = 2.0 * qpm__gamma_zig_xo(g, &gp);
        }
        double c = sqrt(h) * sqrt((nu - 2.0) / chi);
        for (int u = 0; u < 3; u++) {
            double lg = 0.0, size = 0.0;
            for (int j = 0; j <= u; j++) {
                lg += L[u][j] * z[j];
                size += fabs(L[u][j] * z[j]);
            }
            /* against the terms' size: the sum may cancel */
            double want = expm1(c * lg), got = mv[s * 3 + u];
            double d = fabs(got - want) / fmax(fmax(fabs(want), c * size), 1e-300);
            worst = fmax(worst, d);
            cr_assert(d < 1e-13, "nu %g, scenario %zu, underlying %d: %.17g, construction %.17g",
                      nu, s, u, got, want);
        }
    }
    cr_log_info("ziggurat scenarios, nu %g: worst relative difference %.3g", nu, worst);
    free(mv);
    qpm_risk_free(r);
}

Test(risk_zig, scenarios_are_the_documented_construction)
{
    documented_construction(5.0);
    documented_construction(4.5);
}

/* 11 underlyings: the normals' first points eight at a time, then three */
static void cov11(qpm_risk *r)
{
    double c[11 * 11];
    for (int i = 0; i < 11; i++)
        for (int j = 0; j < 11; j++)
            c[i * 11 + j] = (i == j ? 1.0 : 0.6) * 1e-4 * (1 + 0.1 * i) * (1 + 0.1 * j);
    cr_assert_eq(qpm_risk_set_covariance(r, 11, c, 11), QPM_OK, "%s", qpm_last_error());
}

Test(risk_zig, same_bits_on_every_build_and_thread_count)
{
    enum { NS = 2 * 4096 + 45 };
    static double a[NS * 11], b[NS * 11], c[NS * 11], va[NS * 11], vb[NS * 11];
    /* case 0: t (nu = 5: uniforms and a normal), 1: with jumps and vol of
     * vol, 2: 11 underlyings, 3: nu = 4 (uniforms only), 4: nu = 4.5
     * (Marsaglia-Tsang), 5: nu = 16 (eight uniforms) */
    const double dof[6] = {5, 5, 5, 4, 4.5, 16};
    for (int extras = 0; extras < 6; extras++) {
        qpm_risk *r = make(1, extras == 1);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, dof[extras]), QPM_OK);
        size_t nu = 3;
        if (extras == 2) {
            cov11(r);
            nu = 11;
        }
        size_t bytes = NS * nu * sizeof(double);
        qpm__cpu_set_mask(~0u);
        cr_assert_eq(qpm_risk_scenarios(r, NS, a, nu, va, nu), QPM_OK, "%s", qpm_last_error());
        qpm__cpu_set_mask(NO_WIDE);
        cr_assert_eq(qpm_risk_scenarios(r, NS, b, nu, vb, nu), QPM_OK);
        qpm__cpu_set_mask(~0u);
        cr_assert(memcmp(a, b, bytes) == 0, "baseline and widest build (case %d)", extras);
        cr_assert(memcmp(va, vb, bytes) == 0);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, 2), QPM_OK);
        cr_assert_eq(qpm_risk_scenarios(r, NS, c, nu, NULL, 0), QPM_OK);
        cr_assert(memcmp(a, c, bytes) == 0, "1 and 2 threads (case %d)", extras);
        /* another sample than the precise normals' */
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, QPM_RISK_NORMALS_PRECISE), QPM_OK);
        cr_assert_eq(qpm_risk_scenarios(r, NS, c, nu, NULL, 0), QPM_OK);
        cr_assert(memcmp(a, c, bytes) != 0);
        if (extras == 1) {
            size_t jumps = 0;
            for (size_t i = 0; i < NS * 3; i++)
                jumps += fabs(log1p(a[i])) > 0.3;
            cr_assert_gt(jumps, 0u, "the jumps are drawn");
            cr_assert(va[0] != 0.0 && va[3] == va[4], "one vol move per scenario");
        }
        qpm_risk_free(r);
    }
}

/* Three batches: the first all revalued after its draws (no grid yet), the
 * others pass by pass as drawn, a few beyond the grids after. */
Test(risk_zig, grid_revalued_as_drawn_over_batches)
{
    enum { NS = 2 * 65536 + 1000 };
    double *pe = malloc(NS * sizeof *pe), *pg = malloc(NS * sizeof *pg);
    double *pb = malloc(NS * sizeof *pb);
    cr_assert(pe && pg && pb);
    qpm_book *b = qt_risk_account();
    const int normals[2] = {QPM_RISK_NORMALS_ZIGGURAT, QPM_RISK_NORMALS_PRECISE};
    for (int k = 0; k < 2; k++) {
        qpm_risk *r = make(1, 0);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_NORMALS, normals[k]), QPM_OK);
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, NS), QPM_OK);
        double bound, vg;
        double worst = qt_grid_vs_exact(r, b, NS, pe, pg, &bound, &vg);
        /* 2 threads: the same bits (the builds of the pass: below; the
         * book's exact values at the nodes come from its own kernels) */
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, 2), QPM_OK);
        cr_assert_eq(qpm_risk_simulate(r, b, pb, NULL, NULL, NULL, NULL), QPM_OK);
        cr_assert(memcmp(pg, pb, NS * sizeof *pg) == 0, "1 and 2 threads (%d)", k);
        cr_log_info("grid over %d scenarios (normals %d): worst %.3g, bound %.3g, VaR %.3g", NS,
                    normals[k], worst, bound, vg);
        qpm_risk_free(r);
    }
    qpm_book_free(b);
    free(pe);
    free(pg);
    free(pb);
}

/* The fused pass on both builds: random grids and log moves, some outside
 * the grids (pending), whole and partial passes. */
Test(risk_zig, grid_pass_same_bits_on_every_build)
{
    enum { NU = 3, MX = 50, P = QPM__RISK_PASS };
    static double coef[NU][4 * MX], pmv[NU * P], sp_a[P * NU], sp_b[P * NU];
    double pa[P], pb[P];
    unsigned char ea[P], eb[P];
    qpm__grid_view v[NU];
    unsigned long long st = 99;
    for (int u = 0; u < NU; u++) {
        for (int i = 0; i < 4 * MX; i++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            coef[u][i] = ((double)(st >> 11) * 0x1p-53 - 0.5) * 1000.0;
        }
        v[u].x0 = -0.1 - 0.01 * u;
        v[u].rhx = (MX - 1) / (0.2 + 0.02 * u);
        v[u].xlo = v[u].x0 + 0.005;
        v[u].xhi = v[u].x0 + (MX - 1) / v[u].rhx - 0.005;
        v[u].mx = MX;
        v[u].c = coef[u];
    }
    qpm__risk_worker w;
    memset(&w, 0, sizeof w);
    w.pmv = pmv;
    size_t pending = 0;
    for (int rep = 0; rep < 200; rep++) {
        for (int i = 0; i < NU * P; i++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            pmv[i] = ((double)(st >> 11) * 0x1p-53 - 0.5) * 0.2;
        }
        size_t m = rep % 3 == 0 ? 13 : P;
        memset(pa, 0, sizeof pa), memset(pb, 0, sizeof pb);
        qpm__cpu_set_mask(~0u);
        qpm__risk_grid_pass(v, -7.5, &w, m, NU, pa, ea, sp_a, NU);
        qpm__cpu_set_mask(NO_WIDE);
        qpm__risk_grid_pass(v, -7.5, &w, m, NU, pb, eb, sp_b, NU);
        qpm__cpu_set_mask(~0u);
        for (size_t s = 0; s < m; s++) {
            cr_assert_eq(ea[s], eb[s], "pending mark of %zu", s);
            if (ea[s]) {
                pending++;
                cr_assert(memcmp(sp_a + s * NU, sp_b + s * NU, NU * sizeof(double)) == 0);
                cr_assert_eq(sp_a[s * NU + 1], pmv[P + s]);
            } else {
                cr_assert(memcmp(&pa[s], &pb[s], sizeof(double)) == 0, "P&L of %zu: %.17g %.17g", s,
                          pa[s], pb[s]);
                double want = -7.5;
                for (int u = 0; u < NU; u++)
                    want += qpm__grid_interp1(coef[u], MX, v[u].x0, v[u].rhx, pmv[u * P + s]);
                cr_assert(memcmp(&pa[s], &want, sizeof want) == 0);
            }
        }
        for (size_t s = m; s < P; s++)
            cr_assert_eq(pa[s], 0.0, "nothing past m");
    }
    cr_assert_gt(pending, 100u);
}
