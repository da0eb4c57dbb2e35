/* pricing: reproducers of the bad-input tour and fuzzing.  Prices and Greeks
 * at extreme but finite inputs (huge sigma sqrt(T), subnormal sigma sqrt(T)
 * at the money, T = 4.9e-324 with a huge vol, forwards beyond the double
 * range), outputs beyond the range of double, every kernel deciding alike,
 * and the implied vol of coin prices and forwards at the ends of the range. */
#include <criterion/criterion.h>
#include <float.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "qpm/pricing.h"
#include "support/testutil.h"

enum { NO = 12 };
enum { PRICE, DELTA, GAMMA, VEGA, THETA, RHO, VANNA, VOLGA, CHARM, RHO_Q, PUSD, DCOIN };

/* n options, all twelve outputs (out[o][i]), or only the price */
static qpm_status price_n(qpm_model m, qpm_settlement st, int kernel, size_t n, const double *u,
                          const double *k, const double *T, const double *r, const double *q,
                          const double *s, const int32_t *ty, double *out[NO], int price_only)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, m, st), QPM_OK);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, kernel), QPM_OK);
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    double **f = &o.price;
    for (int i = 0; i < (price_only ? 1 : NO); i++)
        f[i] = out[i];
    qpm_status rc =
        qpm_pricer_price(p, n, u, k, T, r, m == QPM_MODEL_BSM ? q : NULL, s, ty, &o);
    qpm_pricer_free(p);
    return rc;
}

/* A block of 40 elements: the same option everywhere (so that the vector
 * kernels see it in every lane and in the tail). */
#define NB 40
typedef struct {
    double u[NB], k[NB], T[NB], r[NB], q[NB], s[NB];
    int32_t ty[NB];
    double buf[NO][NB];
    double *out[NO];
} block;

static void fill(block *b, double u, double k, double T, double r, double q, double s, int ty)
{
    for (int i = 0; i < NB; i++) {
        b->u[i] = u, b->k[i] = k, b->T[i] = T, b->r[i] = r, b->q[i] = q, b->s[i] = s;
        b->ty[i] = ty;
    }
    for (int o = 0; o < NO; o++) {
        b->out[o] = b->buf[o];
        for (int i = 0; i < NB; i++)
            b->buf[o][i] = -12345.0;
    }
}

/* Vol above about 1e154 / sqrt(T): d1^2 overflowed and every output was
 * NaN with QPM_OK.  The price is its limit D F (call) or D K (put). */
Test(pricing_edge, huge_sigma_sqrt_t_gives_the_limit)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    const double sig[] = {1e155, 1e160, 1e200, 1e300, DBL_MAX};
    const double Ts[] = {1.0, 0.25, 30.0};
    for (int kk = 0; kk < nk; kk++)
        for (int m = 0; m < 2; m++)
            for (size_t a = 0; a < sizeof sig / sizeof sig[0]; a++)
                for (size_t c = 0; c < sizeof Ts / sizeof Ts[0]; c++)
                    for (int t = -1; t <= 1; t += 2) {
                        block b;
                        double S = 50000.0, K = 40000.0, r = 0.05, q = 0.02, T = Ts[c];
                        fill(&b, S, K, T, r, q, sig[a], t);
                        qpm_status st = price_n((qpm_model)m, QPM_SETTLE_LINEAR, ks[kk], NB, b.u,
                                                b.k, b.T, b.r, b.q, b.s, b.ty, b.out, 0);
                        cr_assert_eq(st, QPM_OK, "kernel %d model %d sigma %g T %g: %s", ks[kk],
                                     m, sig[a], T, qpm_last_error());
                        double D = exp(-r * T), Dq = m == QPM_MODEL_BSM ? exp(-q * T) : D;
                        double want = t > 0 ? S * Dq : K * D;
                        for (int i = 0; i < NB; i++) {
                            for (int o = 0; o < NO; o++)
                                cr_assert(isfinite(b.buf[o][i]), "output %d = %g", o, b.buf[o][i]);
                            cr_assert(fabs(b.buf[PRICE][i] - want) <= 1e-12 * want,
                                      "kernel %d model %d sigma %g: price %.17g, limit %.17g",
                                      ks[kk], m, sig[a], b.buf[PRICE][i], want);
                            cr_assert(fabs(b.buf[DELTA][i] - (t > 0 ? Dq : 0.0)) <= 1e-12);
                            cr_assert(b.buf[GAMMA][i] == 0.0 && b.buf[VEGA][i] == 0.0);
                        }
                    }
}

/* At the money with a subnormal sigma sqrt(T): 1/s overflowed and the
 * outputs were NaN.  The price is F s / sqrt(2 pi) to first order; with
 * F = 1 the gamma, 1 / (sqrt(2 pi) F s), is beyond the double range, so
 * asking for it is QPM_E_OVERFLOW, and every kernel says so. */
Test(pricing_edge, at_the_money_with_a_subnormal_sigma_sqrt_t)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    const double sig[] = {1e-310, 1e-315, 0x1p-1074};
    for (int kk = 0; kk < nk; kk++)
        for (int m = 0; m < 3; m++)
            for (size_t a = 0; a < sizeof sig / sizeof sig[0]; a++) {
                block b;
                fill(&b, 1.0, 1.0, 1.0, 0.0, 0.0, sig[a], QPM_CALL);
                qpm_status st = price_n((qpm_model)m, QPM_SETTLE_LINEAR, ks[kk], NB, b.u, b.k,
                                        b.T, b.r, b.q, b.s, b.ty, b.out, 1);
                cr_assert_eq(st, QPM_OK, "kernel %d model %d sigma %g: %s", ks[kk], m, sig[a],
                             qpm_last_error());
                double want = sig[a] * 0.3989422804014327;
                for (int i = 0; i < NB; i++)
                    cr_assert(fabs(b.buf[PRICE][i] - want) <= 1e-12 * want + 0x1p-1074,
                              "kernel %d model %d sigma %g: price %g, expected %g", ks[kk], m,
                              sig[a], b.buf[PRICE][i], want);
                st = price_n((qpm_model)m, QPM_SETTLE_LINEAR, ks[kk], NB, b.u, b.k, b.T, b.r, b.q,
                             b.s, b.ty, b.out, 0);
                cr_assert_eq(st, QPM_E_OVERFLOW, "kernel %d model %d sigma %g: %d", ks[kk], m,
                             sig[a], (int)st);
                cr_assert(strstr(qpm_last_error(), "element 0: gamma") != NULL, "%s",
                          qpm_last_error());
            }
}

/* T = 4.9e-324 with a huge vol: sigma / sqrt(T) squared overflowed in
 * theta and charm (0 x Inf = NaN).  The Black theta is finite (its density
 * vanishes); the Bachelier theta, -n(d) sigma / (2 sqrt T) = -1e461, is not:
 * QPM_E_OVERFLOW there. */
Test(pricing_edge, smallest_t_with_a_huge_vol)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    for (int kk = 0; kk < nk; kk++)
        for (int m = 0; m < 3; m++)
            for (int t = -1; t <= 1; t += 2) {
                block b;
                fill(&b, 100.0, 90.0, 0x1p-1074, 0.05, 0.01, 1e300, t);
                qpm_status st = price_n((qpm_model)m, QPM_SETTLE_LINEAR, ks[kk], NB, b.u, b.k,
                                        b.T, b.r, b.q, b.s, b.ty, b.out, 0);
                if (m == QPM_MODEL_BACHELIER) {
                    cr_assert_eq(st, QPM_E_OVERFLOW, "kernel %d type %d: %d", ks[kk], t, (int)st);
                    cr_assert(strstr(qpm_last_error(), "element 0: theta") != NULL, "%s",
                              qpm_last_error());
                    continue;
                }
                cr_assert_eq(st, QPM_OK, "kernel %d model %d type %d: %s", ks[kk], m, t,
                             qpm_last_error());
                for (int i = 0; i < NB; i++)
                    for (int o = 0; o < NO; o++)
                        cr_assert(isfinite(b.buf[o][i]), "kernel %d model %d output %d = %g",
                                  ks[kk], m, o, b.buf[o][i]);
                /* the s -> infinity limit */
                    cr_assert(fabs(b.buf[PRICE][0] - (t > 0 ? 100.0 : 90.0)) <= 1e-12 * 100.0,
                              "model %d price %.17g", m, b.buf[PRICE][0]);
            }
}

/* The BSM forward u e^{(r - q) T} beyond DBL_MAX (the coin price V / F came
 * out 0), and prices beyond DBL_MAX: QPM_E_OVERFLOW rather than an
 * infinity with QPM_OK. */
Test(pricing_edge, forwards_and_values_beyond_the_double_range)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    for (int kk = 0; kk < nk; kk++) {
        block b;
        /* F = 1e308 e = 2.7e308 > DBL_MAX, K = 1.5e308: the coin price was
         * V * (1/F) = 0 */
        fill(&b, 1e308, 1.5e308, 1.0, 1.0, 0.0, 0.5, QPM_CALL);
        b.k[0] = 1.4e308; /* one different lane */
        qpm_status st = price_n(QPM_MODEL_BSM, QPM_SETTLE_INVERSE, ks[kk], NB, b.u, b.k, b.T, b.r,
                                b.q, b.s, b.ty, b.out, 1);
        cr_assert_eq(st, QPM_OK, "kernel %d: %s", ks[kk], qpm_last_error());
        /* coin call = D (N(d1) - (K/F) N(d2)) */
        double kf = 1.5 / (1.0 * exp(1.0));
        double x = -log(kf), d1 = x / 0.5 + 0.25, d2 = d1 - 0.5;
        double want = exp(-1.0) * (0.5 * erfc(-d1 / sqrt(2.0)) - kf * 0.5 * erfc(-d2 / sqrt(2.0)));
        cr_assert(fabs(b.buf[PRICE][1] - want) <= 1e-11 * want, "kernel %d: coin price %.17g vs %.17g",
                  ks[kk], b.buf[PRICE][1], want);
        /* its USD value e^{-100} F ... = 1e300 (N(d1) - 0.9 N(d2)): finite,
         * and a q of -700 makes it 1e300 e^{700}: beyond the range */
        fill(&b, 1e300, 1e300, 1.0, 0.0, -700.0, 0.5, QPM_CALL);
        b.q[7] = 0.0;
        st = price_n(QPM_MODEL_BSM, QPM_SETTLE_LINEAR, ks[kk], NB, b.u, b.k, b.T, b.r, b.q, b.s,
                     b.ty, b.out, 1);
        cr_assert_eq(st, QPM_E_OVERFLOW, "kernel %d: %d", ks[kk], (int)st);
        cr_assert(strstr(qpm_last_error(), "element 0: price") != NULL, "%s", qpm_last_error());
        cr_assert(isfinite(b.buf[PRICE][7]));
    }
}

/* Every kernel accepts what the scalar kernel accepts and refuses (with the
 * same status and the same first element) what it refuses, at extreme valid
 * values in every lane position, all outputs wanted; the outputs agree. */
Test(pricing_edge, every_kernel_decides_like_the_scalar_kernel_at_extremes)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    if (nk < 2)
        cr_skip_test("no SIMD kernel on this CPU");
    enum { N = 21 };
    const double uk[] = {0x1p-1074, 1e-300, DBL_MIN, 1e-8, 1.0, 1e8, 1e300, DBL_MAX};
    const double Ts[] = {0x1p-1074, 1e-300, 1e-12, 1.0, 1e6, 1e300};
    const double ss[] = {0x1p-1074, 1e-310, 1e-160, 1e-8, 1.0, 1e160, 1e300};
    const size_t pos[] = {0, 7, 8, 15, 16, 20};
    long checked = 0, overflow = 0;
    for (int m = 0; m < 3; m++)
        for (int f = 0; f < 4; f++) /* field varied: u, k, T, sigma */
            for (size_t pi = 0; pi < sizeof pos / sizeof pos[0]; pi++) {
                size_t nv = f < 2 ? sizeof uk / sizeof uk[0]
                                  : f == 2 ? sizeof Ts / sizeof Ts[0] : sizeof ss / sizeof ss[0];
                for (size_t v = 0; v < nv; v++) {
                    double u[N], k[N], T[N], r[N], q[N], s[N], buf[3][NO][N];
                    int32_t ty[N];
                    for (int i = 0; i < N; i++) {
                        u[i] = 100, k[i] = 80 + 2.0 * i, T[i] = 1.0, r[i] = 0.03 * (i % 3 - 1);
                        q[i] = 0.01, s[i] = 0.3, ty[i] = i % 2 ? QPM_PUT : QPM_CALL;
                    }
                    double *fld[4] = {u, k, T, s};
                    const double *vals = f < 2 ? uk : f == 2 ? Ts : ss;
                    fld[f][pos[pi]] = vals[v];
                    if (f == 2) /* keep |r T| <= 700 */
                        r[pos[pi]] = 0.0;
                    qpm_status st0 = QPM_OK;
                    char msg0[512] = "";
                    for (int kk = 0; kk < nk; kk++) {
                        double *out[NO];
                        for (int o = 0; o < NO; o++)
                            out[o] = buf[kk][o];
                        qpm_status st = price_n((qpm_model)m, QPM_SETTLE_LINEAR, ks[kk], N, u, k,
                                                T, r, q, s, ty, out, 0);
                        if (kk == 0) {
                            st0 = st;
                            snprintf(msg0, sizeof msg0, "%s", qpm_last_error());
                            overflow += st == QPM_E_OVERFLOW;
                            continue;
                        }
                        cr_assert_eq(st, st0, "model %d field %d [%zu] = %g kernel %d: %d vs %d",
                                     m, f, pos[pi], vals[v], ks[kk], (int)st, (int)st0);
                        if (st != QPM_OK) {
                            cr_assert_str_eq(qpm_last_error(), msg0);
                            continue;
                        }
                        checked++;
                        for (int o = 0; o < NO; o++)
                            for (int i = 0; i < N; i++) {
                                double a = buf[0][o][i], bv = buf[kk][o][i];
                                if (!isfinite(a) || !isfinite(bv)) {
                                    cr_assert(memcmp(&a, &bv, sizeof a) == 0,
                                              "model %d output %d [%d]: %g vs %g", m, o, i, a, bv);
                                    continue;
                                }
                                cr_assert(fabs(a - bv) <= 1e-9 * fabs(a) + 1e-290,
                                          "model %d field %d value %g output %d [%d]: %.17g vs %.17g",
                                          m, f, vals[v], o, i, a, bv);
                            }
                    }
                }
            }
    cr_assert(checked > 500 && overflow > 10, "%ld checked, %ld overflows", checked, overflow);
}

/* Implied vol of a coin-settled BSM price of -DBL_MAX returned
 * QPM_E_NONFINITE (an input-error status) after writing sigma; the header
 * says QPM_E_ARBITRAGE, per element and as the result. */
Test(pricing_edge, implied_vol_statuses_at_the_ends_of_the_range)
{
    const qpm_model models[2] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76};
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < 2; s++) {
            qpm_pricer *p;
            cr_assert_eq(qpm_pricer_create(&p, NULL, models[m], (qpm_settlement)s), QPM_OK);
            double u[2] = {100, 100}, K[2] = {100, 100}, T[2] = {1, 1}, r[2] = {0, 0};
            double q[2] = {0, 0}, pr[2] = {-DBL_MAX, s ? 0.05 : 5.0}, sg[2];
            int32_t ty[2] = {QPM_CALL, QPM_CALL}, st[2];
            qpm_status rc = qpm_pricer_implied_vol(p, 2, u, K, T, r, models[m] == QPM_MODEL_BSM ? q : NULL,
                                                   ty, pr, sg, st);
            cr_assert_eq(rc, QPM_E_ARBITRAGE, "model %d settle %d: %d (%s)", m, s, (int)rc,
                         qpm_last_error());
            cr_assert_eq(st[0], QPM_E_ARBITRAGE);
            cr_assert(isnan(sg[0]));
            cr_assert_eq(st[1], QPM_OK);
            cr_assert(isfinite(sg[1]) && sg[1] > 0.0);
            qpm_pricer_free(p);
        }
    /* a BSM forward beyond DBL_MAX (1e308 e): priced, then solved back */
    qpm_pricer *p;
    for (int s = 0; s < 2; s++) {
        cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, (qpm_settlement)s), QPM_OK);
        double u = 1e308, K = 1.5e308, T = 1.0, r = 1.0, q = 0.0, sig = 0.7, price, got;
        int32_t ty = QPM_PUT, st;
        qpm_pricer_out o;
        memset(&o, 0, sizeof o);
        o.size = sizeof o;
        o.price = &price;
        cr_assert_eq(qpm_pricer_price(p, 1, &u, &K, &T, &r, &q, &sig, &ty, &o), QPM_OK);
        cr_assert(isfinite(price) && price > 0.0);
        cr_assert_eq(qpm_pricer_implied_vol(p, 1, &u, &K, &T, &r, &q, &ty, &price, &got, &st),
                     QPM_OK, "settle %d: %s", s, qpm_last_error());
        cr_assert(fabs(got - sig) <= 1e-10, "settle %d: sigma %.17g", s, got);
        qpm_pricer_free(p);
    }
}
