/* Pricing kernels (white-box), in the spirit of dav1d's checkasm: the CPU
 * features are detected once and can be hidden by a mask, so that every
 * kernel table row and every path inside the kernels runs on this machine;
 * each kernel is checked against the scalar kernel, and every path of a
 * kernel against the same kernel's batch, bit for bit: one option alone,
 * small batches (one register, masked tails) and large ones, the one-lane
 * code against the vector code it stands for.  The implied vols follow the
 * handle's kernel row. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "pricing/black.h"
#include "pricing/implied_vol.h"
#include "qpm/pricing.h"
#include "support/testutil.h"

enum { NO = QPM__NOUT };

static uint64_t rng_state = 0x6b65726e656c73ull;
static double unif(double lo, double hi)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (double)(rng_state >> 11) * 0x1p-53;
}

typedef struct {
    size_t n;
    double *u, *k, *T, *r, *q, *s;
    int32_t *ty;
} opts_t;

/* Typical options and, every few, the special regions: T = 0, sigma = 0,
 * at the money, deep out of the money (the terms cancel: the careful
 * difference), tiny and huge sigma sqrt(T), forwards near the ends of the
 * double range, a carry (r - q) T of 650 and of 1000, beyond what the
 * vector kernels' discounting takes (the scalar path redoes those lanes). */
static opts_t make_opts(size_t n, int bsm)
{
    opts_t o = {n, malloc(n * sizeof(double)), malloc(n * sizeof(double)),
                malloc(n * sizeof(double)), malloc(n * sizeof(double)),
                malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(int32_t))};
    for (size_t i = 0; i < n; i++) {
        o.u[i] = exp(unif(log(1.0), log(2e5)));
        o.k[i] = o.u[i] * exp(unif(-2.0, 2.0));
        o.T[i] = exp(unif(log(1.0 / 8760), log(5.0)));
        o.r[i] = unif(-0.05, 0.15);
        /* no yield for every third BSM option: registers mix q = 0 lanes
         * (whose e^{rT} the vector kernels take as 1/e^{-rT}) with others */
        double qv = unif(-0.05, 0.1);
        o.q[i] = bsm && i % 3 != 2 ? qv : 0.0;
        o.s[i] = exp(unif(log(0.01), log(3.0)));
        o.ty[i] = unif(0.0, 1.0) < 0.5 ? QPM_CALL : QPM_PUT;
        switch (i % 23) {
        case 1:
            o.T[i] = 1.0, o.r[i] = 350.0, o.q[i] = bsm ? -300.0 : 0.0;
            break; /* carry 650 */
        case 3: o.T[i] = 0.0; break;
        case 5: o.s[i] = 0.0; break;
        case 7: o.k[i] = o.u[i]; break;
        case 9:
            o.T[i] = 2.0, o.r[i] = 300.0, o.q[i] = bsm ? -200.0 : 0.0;
            break;                                                           /* carry 1000 */
        case 11: o.k[i] = o.u[i] * 6.0, o.s[i] = 0.05, o.T[i] = 0.02; break; /* far OTM */
        case 13: o.s[i] = 1e-9, o.T[i] = 1e-6; break;
        case 17: o.s[i] = 40.0, o.T[i] = 30.0; break;
        case 19: o.u[i] = 1e300, o.k[i] = 1e299; break;
        case 21: o.u[i] = 1e-300, o.k[i] = 2e-300; break;
        default: break;
        }
    }
    return o;
}

static void free_opts(opts_t *o)
{
    free(o->u), free(o->k), free(o->T), free(o->r), free(o->q), free(o->s), free(o->ty);
}

static void set_outs(qpm_pricer_out *out, double *const buf[NO], size_t off)
{
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    double **f = &out->price;
    for (int o = 0; o < NO; o++)
        f[o] = buf[o] + off;
}

static qpm_status price(qpm_pricer *p, const opts_t *o, int bsm, size_t i0, size_t n,
                        double *const buf[NO], size_t off)
{
    qpm_pricer_out out;
    set_outs(&out, buf, off);
    return qpm_pricer_price(p, n, o->u + i0, o->k + i0, o->T + i0, o->r + i0,
                            bsm ? o->q + i0 : NULL, o->s + i0, o->ty + i0, &out);
}

Test(pricing_kernels, cpu_features_cached_and_maskable)
{
    unsigned f = qpm_cpu_features();
    cr_assert_eq(qpm__cpu_detect(), f);
    cr_assert_eq(qpm__cpu_flags(), f);
    qpm__cpu_set_mask(~(unsigned)QPM_CPU_AVX2);
    cr_assert_eq(qpm__cpu_flags(), f & ~(unsigned)QPM_CPU_AVX2);
    cr_assert_eq(qpm_cpu_features(), f, "the mask is for kernel selection only");
    qpm__cpu_set_mask(0);
    cr_assert_eq(qpm__cpu_flags(), 0u);
    qpm__cpu_set_mask(~0u);
    cr_assert_eq(qpm__cpu_flags(), f);
}

/* Auto takes the widest row the (masked) CPU runs, at create; a row the
 * mask hides is refused; a handle keeps the row it took; the implied-vol
 * row follows the pricing row. */
Test(pricing_kernels, rows_follow_the_mask)
{
    unsigned f = qpm_cpu_features();
    const unsigned hide[4] = {0u, (unsigned)QPM_CPU_AVX512DQ, (unsigned)QPM_CPU_FMA, ~0u};
    qpm_pricer *keep;
    cr_assert_eq(qpm_pricer_create(&keep, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    double k0;
    cr_assert_eq(qpm_pricer_get(keep, QPM_PRICER_KERNEL, &k0), QPM_OK);
    for (int h = 0; h < 4; h++) {
        qpm__cpu_set_mask(~hide[h]);
        unsigned c = f & ~hide[h];
        int avx2 = (c & QPM_CPU_AVX2) && (c & QPM_CPU_FMA);
        int avx512 = avx2 && (c & QPM_CPU_AVX512F) && (c & QPM_CPU_AVX512DQ);
#if !(defined(__x86_64__) || defined(__i386__))
        avx2 = avx512 = 0;
#endif
        int want = avx512 ? QPM_PRICER_KERNEL_AVX512
                   : avx2 ? QPM_PRICER_KERNEL_AVX2
                          : QPM_PRICER_KERNEL_SCALAR;
        cr_assert_eq(qpm__black_kernels(QPM_PRICER_KERNEL_AUTO)->tag.id, want);
        cr_assert_eq(qpm__black_kernels(QPM_PRICER_KERNEL_AVX2) != NULL, avx2);
        cr_assert_eq(qpm__black_kernels(QPM_PRICER_KERNEL_AVX512) != NULL, avx512);
        const qpm__ivkernel *iv = qpm__iv_kernel(QPM_PRICER_KERNEL_AUTO);
        cr_assert_eq(iv->tag.id, want);
        cr_assert_eq(iv->block != NULL, avx2, "the vector implied-vol block with AVX2+FMA");
        qpm_pricer *p;
        cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR), QPM_OK);
        double v;
        cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_KERNEL, &v), QPM_OK);
        cr_assert_eq((int)v, want, "mask %#x: auto kernel %g", ~hide[h], v);
        cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AVX512),
                     avx512 ? QPM_OK : QPM_E_UNSUPPORTED);
        cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AVX2),
                     avx2 ? QPM_OK : QPM_E_UNSUPPORTED);
        cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AUTO), QPM_OK);
        cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_KERNEL, &v), QPM_OK);
        cr_assert_eq((int)v, want);
        qpm_pricer_free(p);
        cr_assert_eq(qpm_pricer_get(keep, QPM_PRICER_KERNEL, &v), QPM_OK);
        cr_assert_eq(v, k0, "a handle keeps the kernel it took");
    }
    qpm__cpu_set_mask(~0u);
    qpm_pricer_free(keep);
}

/* Every kernel against the scalar kernel on the same options (the bound of
 * the golden tests, as in pricing_props: the kernels differ from the scalar
 * one only in exp, log and expm1, each within about 1 ulp): sizes 1 to 40,
 * so that every path runs (one option, one register, masked tails, pairs). */
Test(pricing_kernels, every_kernel_against_the_scalar_kernel)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    const qpm_model models[2] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76};
    enum { N = 40 * 41 / 2 };
    static double a[NO][N], b[NO][N];
    double *ab[NO], *bb[NO];
    for (int o = 0; o < NO; o++)
        ab[o] = a[o], bb[o] = b[o];
    for (int mi = 0; mi < 2; mi++)
        for (int st = 0; st < 2; st++) {
            int bsm = mi == 0;
            opts_t o = make_opts(N, bsm);
            for (size_t i = 0; i < N; i++)
                if (i % 23 == 19 || i % 23 == 21) /* in range for this comparison */
                    o.u[i] = 100.0, o.k[i] = 120.0;
            qpm_pricer *ps;
            cr_assert_eq(qpm_pricer_create(&ps, NULL, models[mi], (qpm_settlement)st), QPM_OK);
            cr_assert_eq(qpm_pricer_set(ps, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_SCALAR), QPM_OK);
            cr_assert_eq(price(ps, &o, bsm, 0, N, ab, 0), QPM_OK, "%s", qpm_last_error());
            for (int kk = 1; kk < nk; kk++) {
                qpm_pricer *pv;
                cr_assert_eq(qpm_pricer_create(&pv, NULL, models[mi], (qpm_settlement)st), QPM_OK);
                cr_assert_eq(qpm_pricer_set(pv, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
                /* the sizes 1, 2, ..., 40 one after the other */
                for (size_t n = 1, i0 = 0; n <= 40; i0 += n, n++)
                    cr_assert_eq(price(pv, &o, bsm, i0, n, bb, i0), QPM_OK);
                for (size_t i = 0; i < N; i++) {
                    double x = log(o.u[i] / o.k[i]) + (bsm ? (o.r[i] - o.q[i]) * o.T[i] : 0.0);
                    double sd = o.s[i] * sqrt(o.T[i]);
                    double d = sd > 0.0 ? fabs(x) / sd + sd : 0.0;
                    double c = 1.0 + d * d;
                    for (int oo = 0; oo < NO; oo++) {
                        double va = a[oo][i], vb = b[oo][i];
                        if (!isfinite(va) || !isfinite(vb)) {
                            cr_assert(memcmp(&va, &vb, sizeof va) == 0, "kernel %d element %zu output %d: %g vs %g", ks[kk], i, oo, va, vb);
                            continue;
                        }
                        /* scale: the largest output of the option's group */
                        double m = fabs(a[QPM__O_PRICE_USD][i]) + fabs(a[QPM__O_DELTA][i]) * o.u[i] +
                                   fabs(a[QPM__O_VEGA][i]) + fabs(va);
                        double tol = 64 * DBL_EPSILON * c * m + 1e-300;
                        cr_assert(fabs(va - vb) <= tol,
                                  "kernel %d model %d settle %d element %zu output %d: scalar "
                                  "%.17g kernel %.17g",
                                  ks[kk], mi, st, i, oo, va, vb);
                    }
                }
                qpm_pricer_free(pv);
            }
            qpm_pricer_free(ps);
            free_opts(&o);
        }
    cr_assert_eq(qt_leak_check(), 0);
}

/* The same option gets the same bits alone, in any small batch and in a
 * large batch, through every kernel (each takes other paths for one option,
 * one register and tails), every model and settlement, special regions
 * included; the statuses agree with the batch's. */
Test(pricing_kernels, one_option_alone_equals_the_batch)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    const qpm_model models[3] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76, QPM_MODEL_BACHELIER};
    enum { N = 230 };
    static double a[NO][N], b[NO][N];
    double *ab[NO], *bb[NO];
    for (int o = 0; o < NO; o++)
        ab[o] = a[o], bb[o] = b[o];
    const size_t widths[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33};
    for (int kk = 0; kk < nk; kk++)
        for (int mi = 0; mi < 3; mi++)
            for (int st = 0; st < 2; st++) {
                if (mi == 2 && st == 1)
                    continue;
                int bsm = mi == 0;
                opts_t o = make_opts(N, bsm);
                if (mi == 2)
                    for (size_t i = 0; i < N; i++)
                        o.s[i] *= o.u[i];
                qpm_pricer *p;
                cr_assert_eq(qpm_pricer_create(&p, NULL, models[mi], (qpm_settlement)st), QPM_OK);
                cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
                qpm_status sa = price(p, &o, bsm, 0, N, ab, 0);
                for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
                    memset(b, 0x5a, sizeof b);
                    size_t i0 = 0;
                    qpm_status worst = QPM_OK;
                    for (; i0 < N; i0 += widths[w]) {
                        size_t m = N - i0 < widths[w] ? N - i0 : widths[w];
                        qpm_status s = price(p, &o, bsm, i0, m, bb, i0);
                        cr_assert(s == QPM_OK || s == QPM_E_OVERFLOW, "%s", qpm_last_error());
                        worst = s != QPM_OK ? s : worst;
                    }
                    i0 = N;
                    cr_assert_eq(worst, sa, "kernel %d width %zu: status", ks[kk], widths[w]);
                    for (int oo = 0; oo < NO; oo++)
                        for (size_t i = 0; i < i0; i++)
                            cr_assert(memcmp(&a[oo][i], &b[oo][i], sizeof(double)) == 0,
                                      "kernel %d model %d settle %d width %zu element %zu "
                                      "output %d: batch %a, alone %a",
                                      ks[kk], mi, st, widths[w], i, oo, a[oo][i], b[oo][i]);
                }
                qpm_pricer_free(p);
                free_opts(&o);
            }
    cr_assert_eq(qt_leak_check(), 0);
}

/* A single option asks for some outputs only (the single-option entry
 * writes them straight from the one-lane code, special regions through the
 * kernel): the batch's bits for those, and the outputs not asked for are
 * left alone; an invalid option is still named.  The first set is price +
 * the five first-order Greeks, for which the entry has its own copy. */
Test(pricing_kernels, one_option_with_some_outputs_equals_the_batch)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    enum { N = 92 };
    static double a[NO][N], b[NO][N];
    const unsigned masks[] = {QPM__NEED_STD, 1u << QPM__O_PRICE,
                              1u << QPM__O_DELTA | 1u << QPM__O_GAMMA,
                              1u << QPM__O_THETA | 1u << QPM__O_RHO_Q | 1u << QPM__O_CHARM,
                              1u << QPM__O_PRICE_USD | 1u << QPM__O_DELTA_COIN | 1u << QPM__O_VOLGA};
    for (int kk = 0; kk < nk; kk++)
        for (int mi = 0; mi < 2; mi++)
            for (int st = 0; st < 2; st++)
                for (size_t mk = 0; mk < sizeof masks / sizeof masks[0]; mk++) {
                    int bsm = mi == 0;
                    opts_t o = make_opts(N, bsm);
                    qpm_pricer *p;
                    cr_assert_eq(qpm_pricer_create(&p, NULL, bsm ? QPM_MODEL_BSM : QPM_MODEL_BLACK76,
                                                   (qpm_settlement)st),
                                 QPM_OK);
                    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
                    qpm_pricer_out oa, ob;
                    memset(&oa, 0, sizeof oa), memset(&ob, 0, sizeof ob);
                    oa.size = ob.size = sizeof oa;
                    double **fa = &oa.price, **fb = &ob.price;
                    for (int oo = 0; oo < NO; oo++)
                        if (masks[mk] & (1u << oo))
                            fa[oo] = a[oo], fb[oo] = b[oo];
                    memset(a, 0x5a, sizeof a), memset(b, 0x5a, sizeof b);
                    qpm_status sa = qpm_pricer_price(p, N, o.u, o.k, o.T, o.r, bsm ? o.q : NULL,
                                                     o.s, o.ty, &oa);
                    qpm_status worst = QPM_OK;
                    for (size_t i = 0; i < N; i++) {
                        for (int oo = 0; oo < NO; oo++)
                            fb[oo] = fb[oo] != NULL ? b[oo] + i : NULL;
                        qpm_status s1 = qpm_pricer_price(p, 1, o.u + i, o.k + i, o.T + i, o.r + i,
                                                         bsm ? o.q + i : NULL, o.s + i, o.ty + i,
                                                         &ob);
                        worst = s1 != QPM_OK ? s1 : worst;
                    }
                    cr_assert_eq(worst, sa, "kernel %d: status", ks[kk]);
                    cr_assert(memcmp(a, b, sizeof a) == 0,
                              "kernel %d model %d settle %d mask %#x: alone differs", ks[kk], mi,
                              st, masks[mk]);
                    /* bad inputs through the single-option call: named */
                    double nan = (double)NAN, neg = -1.0;
                    int32_t bad_type = 2;
                    cr_assert_eq(qpm_pricer_price(p, 1, &nan, o.k, o.T, o.r, NULL, o.s, o.ty, &ob),
                                 QPM_E_NONFINITE);
                    cr_assert_eq(qpm_pricer_price(p, 1, o.u, o.k, o.T, o.r, NULL, &neg, o.ty, &ob),
                                 QPM_E_INVALID);
                    cr_assert(strstr(qpm_last_error(), "sigma") != NULL, "%s", qpm_last_error());
                    cr_assert_eq(
                        qpm_pricer_price(p, 1, o.u, o.k, o.T, o.r, NULL, o.s, &bad_type, &ob),
                        QPM_E_INVALID);
                    cr_assert(strstr(qpm_last_error(), "type") != NULL, "%s", qpm_last_error());
                    if (!bsm)
                        cr_assert_eq(
                            qpm_pricer_price(p, 1, o.u, o.k, o.T, o.r, o.r, o.s, o.ty, &ob),
                            QPM_E_INVALID);
                    qpm_pricer_free(p);
                    free_opts(&o);
                }
    cr_assert_eq(qt_leak_check(), 0);
}

/* A single option whose outputs overwrite its own inputs (the price into
 * the strike's array, delta into the underlying's): the values of separate
 * outputs, in the special regions too (T = 0, sigma = 0, a carry of 1000,
 * which the kernel redoes after the single-option entry wrote its
 * outputs). */
Test(pricing_kernels, one_option_in_place_equals_separate_outputs)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    const double cases[][6] = {/* S, K, T, r, q, sigma */
                               {60000.0, 65000.0, 0.25, 0.03, 0.01, 0.6},
                               {60000.0, 55000.0, 0.0, 0.03, 0.01, 0.6},
                               {60000.0, 65000.0, 0.25, 0.03, 0.01, 0.0},
                               {60000.0, 61000.0, 2.0, 300.0, -200.0, 0.6},
                               {60000.0, 400000.0, 0.02, 0.0, 0.0, 0.05}};
    for (int kk = 0; kk < nk; kk++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            for (int ty = -1; ty <= 1; ty += 2) {
                qpm_pricer *p;
                cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
                cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
                const double *v = cases[c];
                int32_t type = ty;
                double price, delta, gamma;
                qpm_pricer_out o;
                memset(&o, 0, sizeof o);
                o.size = sizeof o;
                o.price = &price, o.delta = &delta, o.gamma = &gamma;
                qpm_status s0 = qpm_pricer_price(p, 1, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                                                 &type, &o);
                double S = v[0], K = v[1], g2;
                o.price = &K, o.delta = &S, o.gamma = &g2;
                qpm_status s1 =
                    qpm_pricer_price(p, 1, &S, &K, &v[2], &v[3], &v[4], &v[5], &type, &o);
                cr_assert_eq(s1, s0, "kernel %d case %zu", ks[kk], c);
                cr_assert(memcmp(&K, &price, sizeof K) == 0 && memcmp(&S, &delta, sizeof S) == 0 &&
                              memcmp(&g2, &gamma, sizeof g2) == 0,
                          "kernel %d case %zu type %d: in place %a %a %a, separate %a %a %a",
                          ks[kk], c, ty, K, S, g2, price, delta, gamma);
                qpm_pricer_free(p);
            }
}

/* The one-lane code of each vector kernel gives its vector kernel's bits
 * (the kernels hand it single options). */
Test(pricing_kernels, one_lane_code_equals_its_vector_kernel)
{
#if defined(__x86_64__) || defined(__i386__)
    const qpm__bkernels *k2 = qpm__black_kernels(QPM_PRICER_KERNEL_AVX2);
    const qpm__bkernels *k5 = qpm__black_kernels(QPM_PRICER_KERNEL_AVX512);
    if (k2 == NULL)
        cr_skip_test("no AVX2+FMA on this CPU");
    enum { N = 4000 };
    static double a[NO][N], b[NO][N];
    for (int mi = 0; mi < 2; mi++)
        for (int inv = 0; inv < 2; inv++) {
            opts_t o = make_opts(N, mi == QPM__BSM);
            qpm__bjob ja = {.model = mi, .inverse = inv, .u = o.u, .k = o.k, .t = o.T, .r = o.r,
                            .q = mi == QPM__BSM ? o.q : o.r, .sig = o.s, .type = o.ty,
                            .su = 1, .sk = 1, .st = 1, .sr = 1, .sq = 1, .ssig = 1, .stype = 1};
            qpm__bjob jb = ja;
            for (int oo = 0; oo < NO; oo++)
                ja.out[oo] = a[oo], jb.out[oo] = b[oo];
            for (int w = 0; w < 2; w++) {
                if (w == 1 && k5 == NULL)
                    continue;
                size_t ba = (w ? k5 : k2)->price(&ja, 0, N);
                size_t bb = (w ? qpm__black_lanes_r8 : qpm__black_lanes_r4)(&jb, 0, N);
                cr_assert_eq(ba, bb);
                cr_assert(memcmp(a, b, sizeof a) == 0, "model %d inverse %d %s: lanes differ", mi,
                          inv, w ? "AVX-512" : "AVX2");
            }
            free_opts(&o);
        }
#else
    cr_skip_test("no vector kernels on this architecture");
#endif
}

/* An option chain (T, r and q shared: the kernels discount once per call)
 * gives the bits of the same options with the scalars repeated, at every
 * carry: none, small, |(r - q) T| >= 1, -3, -30, 650, and 1000 (beyond the vector
 * discounting: every lane by the scalar path), q = 0 and q != 0; and stays
 * within the golden tests' bound of the scalar kernel.  The strikes span
 * S/K from 1/8 to 8, across the bounds [1/2, 2] of the exact S - K. */
Test(pricing_kernels, chain_equals_the_batch_at_every_carry)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    enum { N = 37 };
    const double carry[][3] = {/* T, r, q */
                               {0.25, 0.03, 0.0},    {0.25, 0.03, 0.01},   {2.0, 0.4, -0.6},
                               {3.0, -0.2, 0.3},     {1.0, 350.0, -300.0}, {2.0, 300.0, -200.0},
                               {1.0, -350.0, 300.0}, {0.5, 0.0, 0.0},      {1.0, 0.0, 3.0},
                               {3.0, -1.0, 9.0}};
    double u = 60000.0, k[N], s[N], uu[N], TT[N], rr[N], qq[N];
    int32_t ty[N];
    for (size_t i = 0; i < N; i++) {
        k[i] = u * exp(log(8.0) * (2.0 * (double)i / (N - 1) - 1.0));
        s[i] = 0.2 + 0.05 * (double)(i % 7);
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
        uu[i] = u;
    }
    static double a[NO][N], b[NO][N], c[NO][N];
    double *ab[NO], *bb[NO], *cb[NO];
    for (int o = 0; o < NO; o++)
        ab[o] = a[o], bb[o] = b[o], cb[o] = c[o];
    for (size_t ci = 0; ci < sizeof carry / sizeof carry[0]; ci++) {
        double T = carry[ci][0], r = carry[ci][1], q = carry[ci][2];
        for (size_t i = 0; i < N; i++)
            TT[i] = T, rr[i] = r, qq[i] = q;
        qpm_pricer_out oa, ob, oc;
        set_outs(&oa, ab, 0), set_outs(&ob, bb, 0), set_outs(&oc, cb, 0);
        qpm_pricer *ps;
        cr_assert_eq(qpm_pricer_create(&ps, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
        cr_assert_eq(qpm_pricer_set(ps, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_SCALAR), QPM_OK);
        cr_assert_eq(qpm_pricer_price(ps, N, uu, k, TT, rr, qq, s, ty, &oc), QPM_OK, "%s",
                     qpm_last_error());
        for (int kk = 0; kk < nk; kk++) {
            qpm_pricer *p;
            cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
            cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
            cr_assert_eq(qpm_pricer_price_chain(p, N, u, T, r, q, k, s, ty, &oa), QPM_OK);
            cr_assert_eq(qpm_pricer_price(p, N, uu, k, TT, rr, qq, s, ty, &ob), QPM_OK);
            for (int oo = 0; oo < NO; oo++)
                for (size_t i = 0; i < N; i++) {
                    cr_assert(memcmp(&a[oo][i], &b[oo][i], sizeof(double)) == 0,
                              "kernel %d carry %zu element %zu output %d: chain %a, batch %a",
                              ks[kk], ci, i, oo, a[oo][i], b[oo][i]);
                    double m = fabs(c[QPM__O_PRICE_USD][i]) + fabs(c[QPM__O_DELTA][i]) * u +
                               fabs(c[QPM__O_VEGA][i]) + fabs(c[oo][i]);
                    double x = log(u / k[i]) + (r - q) * T, sd = s[i] * sqrt(T);
                    double d = fabs(x) / sd + sd;
                    cr_assert(fabs(a[oo][i] - c[oo][i]) <= 64 * DBL_EPSILON * (1 + d * d) * m,
                              "kernel %d carry %zu element %zu output %d: %.17g, scalar %.17g",
                              ks[kk], ci, i, oo, a[oo][i], c[oo][i]);
                }
            qpm_pricer_free(p);
        }
        qpm_pricer_free(ps);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* Implied vols follow the kernel setting: the scalar kernel solves every
 * element with the scalar solver, the AVX2 and AVX-512 kernels with the
 * AVX2 block (so they agree with each other). */
Test(pricing_kernels, implied_vol_follows_the_kernel)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    enum { N = 500 };
    static double F[N], K[N], T[N], r[N], sig[N], pr[N], iv[3][N];
    static int32_t ty[N];
    for (size_t i = 0; i < N; i++) {
        F[i] = exp(unif(log(100.0), log(1e5)));
        K[i] = F[i] * exp(unif(-0.5, 0.5));
        T[i] = exp(unif(log(0.05), log(3.0)));
        r[i] = unif(-0.02, 0.1);
        sig[i] = exp(unif(log(0.1), log(1.5)));
        ty[i] = K[i] >= F[i] ? QPM_CALL : QPM_PUT;
    }
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR), QPM_OK);
    qpm_pricer_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    out.price = pr;
    cr_assert_eq(qpm_pricer_price(p, N, F, K, T, r, NULL, sig, ty, &out), QPM_OK);
    for (int kk = 0; kk < nk; kk++) {
        cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
        cr_assert_eq(qpm_pricer_implied_vol(p, N, F, K, T, r, NULL, ty, pr, iv[kk], NULL), QPM_OK,
                     "%s", qpm_last_error());
        for (size_t i = 0; i < N; i++) {
            double want;
            if (ks[kk] == QPM_PRICER_KERNEL_SCALAR) {
                cr_assert_eq(qpm__black_implied_vol_df(pr[i], F[i], K[i], T[i], r[i], ty[i] > 0,
                                                       &want),
                             QPM_OK);
                cr_assert(memcmp(&want, &iv[kk][i], sizeof want) == 0,
                          "scalar kernel element %zu: %a, scalar solver %a", i, iv[kk][i], want);
            }
            cr_assert(fabs(iv[kk][i] - sig[i]) <= 1e-10 * sig[i], "kernel %d element %zu", ks[kk],
                      i);
        }
        if (ks[kk] == QPM_PRICER_KERNEL_AVX512)
            cr_assert(memcmp(iv[kk], iv[kk - 1], sizeof iv[kk]) == 0,
                      "the AVX-512 kernel's implied vols are the AVX2 block's");
    }
    /* the default handle solves as the internal batch entry does */
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AUTO), QPM_OK);
    static double ivd[N], ivb[N];
    cr_assert_eq(qpm_pricer_implied_vol(p, N, F, K, T, r, NULL, ty, pr, ivd, NULL), QPM_OK);
    cr_assert_eq(qpm__black_implied_vol_batch(N, pr, F, K, T, r, ty, ivb, NULL), 0u);
    cr_assert(memcmp(ivd, ivb, sizeof ivd) == 0);
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}

/* A handle for models3[mi] (BSM, Black-76, Bachelier) and settlement st
 * on kernel k */
static const qpm_model models3[3] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76, QPM_MODEL_BACHELIER};
static qpm_pricer *pricer_on(int mi, int st, int k)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, models3[mi], (qpm_settlement)st), QPM_OK);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, k), QPM_OK);
    return p;
}

/* black.c's reference kernel, called directly on elements [0, n) of o
 * (model index mi as models3, settlement st) with the outputs to buf */
static size_t reference_kernel(int fma_build, int mi, int st, const opts_t *o, size_t n,
                               double *const buf[NO])
{
    static const double zero = 0.0;
    const int kmodel[3] = {QPM__BSM, QPM__B76, QPM__BACH};
    qpm__bjob job = {.model = kmodel[mi], .inverse = st, .u = o->u, .k = o->k, .t = o->T,
                     .r = o->r, .q = mi == 0 ? o->q : &zero, .sig = o->s, .type = o->ty,
                     .su = 1, .sk = 1, .st = 1, .sr = 1, .sq = mi == 0 ? 1 : 0, .ssig = 1,
                     .stype = 1};
    for (int oo = 0; oo < NO; oo++)
        job.out[oo] = buf[oo];
    return fma_build ? qpm__black_kernel_scalar_fma(&job, 0, n)
                     : qpm__black_kernel_scalar(&job, 0, n);
}

/* black.c's reference kernel has two builds, plain and with FMA
 * (black_fma.c: the careful path of the vector kernels): the same
 * operations, so the same bits for every model, settlement and special
 * region (the plain build's fma() is libm's, exact like the instruction).
 * Without AVX2 the scalar row is the plain build, at every batch size. */
Test(pricing_kernels, reference_kernel_builds_agree_bit_for_bit)
{
    unsigned f = qpm__cpu_flags();
    if (!((f & QPM_CPU_AVX2) && (f & QPM_CPU_FMA)))
        cr_skip_test("no AVX2+FMA: only the plain build of the reference kernel runs here");
    enum { N = 23 * 40 };
    static double a[NO][N], b[NO][N], c[NO][N];
    double *ab[NO], *bb[NO], *cb[NO];
    for (int o = 0; o < NO; o++)
        ab[o] = a[o], bb[o] = b[o], cb[o] = c[o];
    for (int mi = 0; mi < 3; mi++)
        for (int st = 0; st < (mi == 2 ? 1 : 2); st++) {
            int bsm = mi == 0;
            opts_t o = make_opts(N, bsm);
            size_t bad_a = reference_kernel(1, mi, st, &o, N, ab);
            size_t bad_b = reference_kernel(0, mi, st, &o, N, bb);
            cr_assert_eq(bad_a, bad_b, "model %d settlement %d: first bad %zu and %zu", mi, st,
                         bad_a, bad_b);
            qpm__cpu_set_mask(~(unsigned)QPM_CPU_AVX2);
            qpm_pricer *p = pricer_on(mi, st, QPM_PRICER_KERNEL_SCALAR);
            for (size_t n = 1, i0 = 0; i0 < N; i0 += n, n = n % 40 + 1) {
                size_t m = i0 + n <= N ? n : N - i0;
                qpm_status s = price(p, &o, bsm, i0, m, cb, i0);
                cr_assert(s == QPM_OK || (s == QPM_E_OVERFLOW && bad_a < i0 + m),
                          "model %d settlement %d: status %d for [%zu, %zu)", mi, st, s, i0,
                          i0 + m);
            }
            qpm__cpu_set_mask(~0u);
            qpm_pricer_free(p);
            for (int oo = 0; oo < NO; oo++)
                for (size_t i = 0; i < N; i++) {
                    cr_assert(memcmp(&a[oo][i], &b[oo][i], sizeof(double)) == 0,
                              "model %d settlement %d element %zu output %d: %.17g vs %.17g", mi,
                              st, i, oo, a[oo][i], b[oo][i]);
                    cr_assert(memcmp(&b[oo][i], &c[oo][i], sizeof(double)) == 0,
                              "model %d settlement %d element %zu output %d: kernel %.17g, "
                              "scalar row without AVX2 %.17g",
                              mi, st, i, oo, b[oo][i], c[oo][i]);
                }
            free_opts(&o);
        }
}

/* With FMA the scalar kernel is the vector formulation (black_lanes.h) in
 * portable C (black_c.c on num/simd_c.h), whose every operation is the IEEE
 * operation of its x86 counterpart: it gives the AVX2 kernel's bits for
 * every model, settlement and special region, in batches of 1 to 40
 * options (one option: the single-option entry). */
Test(pricing_kernels, scalar_kernel_gives_the_avx2_kernels_bits)
{
    unsigned f = qpm__cpu_flags();
    if (!((f & QPM_CPU_AVX2) && (f & QPM_CPU_FMA)))
        cr_skip_test("no AVX2+FMA: the AVX2 kernel does not run here");
    enum { N = 23 * 40 + 3 };
    static double a[NO][N], b[NO][N];
    double *ab[NO], *bb[NO];
    for (int o = 0; o < NO; o++)
        ab[o] = a[o], bb[o] = b[o];
    long compared = 0;
    for (int mi = 0; mi < 3; mi++)
        for (int st = 0; st < (mi == 2 ? 1 : 2); st++) {
            int bsm = mi == 0;
            opts_t o = make_opts(N, bsm);
            qpm_pricer *pa = pricer_on(mi, st, QPM_PRICER_KERNEL_AVX2);
            qpm_status sa = price(pa, &o, bsm, 0, N, ab, 0);
            qpm_pricer_free(pa);
            qpm_pricer *ps = pricer_on(mi, st, QPM_PRICER_KERNEL_SCALAR);
            qpm_status ss = QPM_OK;
            for (size_t n = 1, i0 = 0; i0 < N; i0 += n, n = n % 40 + 1) {
                size_t m = i0 + n <= N ? n : N - i0;
                qpm_status s = price(ps, &o, bsm, i0, m, bb, i0);
                if (ss == QPM_OK)
                    ss = s;
            }
            qpm_pricer_free(ps);
            cr_assert_eq(sa, ss, "model %d settlement %d: statuses %d and %d", mi, st, sa, ss);
            for (int oo = 0; oo < NO; oo++)
                for (size_t i = 0; i < N; i++, compared++)
                    cr_assert(memcmp(&a[oo][i], &b[oo][i], sizeof(double)) == 0,
                              "model %d settlement %d element %zu output %d: AVX2 %a, scalar %a",
                              mi, st, i, oo, a[oo][i], b[oo][i]);
            free_opts(&o);
        }
    cr_log_info("values compared: %ld", compared);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The scalar kernel prices a batch two options per step (black_c.c with
 * FMA, black.c's reference kernel without, here with AVX2 hidden): each
 * option's operations are those it gets alone, so an option has the same
 * bits alone, first or second of a pair, or the odd one at the end, in
 * every special region of make_opts, for every model and settlement; a
 * batch fails exactly where one of its options alone does. */
Test(pricing_kernels, scalar_kernel_pairs_give_each_option_its_own_bits)
{
    enum { N = 23 * 8 + 1 };
    static double a[NO][N], b[NO][N], c[NO][N];
    double *ab[NO], *bb[NO], *cb[NO];
    for (int o = 0; o < NO; o++)
        ab[o] = a[o], bb[o] = b[o], cb[o] = c[o];
    int nfail = 0;
    for (int row = 0; row < 2; row++)
        for (int mi = 0; mi < 3; mi++)
            for (int st = 0; st < (mi == 2 ? 1 : 2); st++) {
                int bsm = mi == 0;
                opts_t o = make_opts(N, bsm);
                qpm__cpu_set_mask(row ? ~(unsigned)QPM_CPU_AVX2 : ~0u);
                qpm_pricer *p = pricer_on(mi, st, QPM_PRICER_KERNEL_SCALAR);
                qpm__cpu_set_mask(~0u);
                /* pairs (0,1), (2,3), ...; then (1,2), (3,4), ... after one alone */
                qpm_status sa = price(p, &o, bsm, 0, N, ab, 0);
                qpm_status sb0 = price(p, &o, bsm, 0, 1, bb, 0);
                qpm_status sb = price(p, &o, bsm, 1, N - 1, bb, 1);
                qpm_status any = QPM_OK;
                for (size_t i = 0; i < N; i++) {
                    qpm_status s1 = price(p, &o, bsm, i, 1, cb, i);
                    if (s1 != QPM_OK) {
                        nfail++;
                        if (any == QPM_OK)
                            any = s1;
                    }
                }
                cr_assert_eq(sa, any, "model %d settlement %d: batch %d, alone %d", mi, st, sa,
                             any);
                cr_assert_eq(sb0 != QPM_OK ? sb0 : sb, any);
                for (int oo = 0; oo < NO; oo++)
                    for (size_t i = 0; i < N; i++) {
                        cr_assert(memcmp(&a[oo][i], &c[oo][i], sizeof(double)) == 0,
                                  "model %d settlement %d element %zu output %d: pair %a, alone %a",
                                  mi, st, i, oo, a[oo][i], c[oo][i]);
                        cr_assert(
                            memcmp(&b[oo][i], &c[oo][i], sizeof(double)) == 0,
                            "model %d settlement %d element %zu output %d: shifted %a, alone %a",
                            mi, st, i, oo, b[oo][i], c[oo][i]);
                    }
                qpm_pricer_free(p);
                free_opts(&o);
            }
    cr_log_info("options that fail alone: %d", nfail);
    cr_assert_eq(qt_leak_check(), 0);
}
