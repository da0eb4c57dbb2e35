/* models: coin-settled prices, theta and parallel vega (qpm_heston_eval,
 * qpm_merton_eval, qpm_heston_smile_settle) and the Heston / Bates
 * calibration (qpm_heston_calibrate), include/qpm/models.h.
 *
 * White-box (links the static library): the analytic parameter gradient of
 * the chain pricer (sv_model.h) against central differences of the price.
 * Properties: eval agrees bit for bit with the _price functions, the coin
 * price is the USD price over F, put-call parity in both settlements, the
 * reference rows through eval, every Greek against central differences;
 * calibration round trips (Heston and Bates prices on 5 expiries x 8
 * strikes fitted back from a neutral start), progress and cancellation,
 * every bad input with its status and message (result untouched), and
 * allocation failure at every allocation. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "pricing/sv_model.h"
#include "num/v4math.h"
#include "qpm/models.h"
#include "qpm/pricing.h"
#include "support/testutil.h"

static const qpm_heston H0 = {0.04, 1.5, 0.06, 0.7, -0.65};
static const qpm_jumps J0 = {0.4, -0.1, 0.15};
#define S0 100.0
#define R0 0.03
#define Q0 0.01

static qpm_model_out out_all(double *p, double *pu, double *d, double *dc, double *g, double *v0,
                             double *vp, double *th)
{
    qpm_model_out o = {sizeof o, p, pu, d, dc, g, v0, vp, th};
    return o;
}

/* ---- eval ------------------------------------------------------------------ */

Test(models_eval, matches_price_and_coin_is_usd_over_F)
{
    const double K[6] = {60, 80, 95, 100, 120, 160};
    const int32_t ty[6] = {QPM_PUT, QPM_PUT, QPM_CALL, QPM_CALL, QPM_CALL, QPM_PUT};
    for (int bates = 0; bates < 2; bates++) {
        double p[6], d[6], g[6], v[6];
        const qpm_jumps *j = bates ? &J0 : NULL;
        if (bates)
            cr_assert_eq(qpm_bates_price(&H0, j, S0, 0.7, R0, Q0, 6, K, ty, p, d, g, v), QPM_OK);
        else
            cr_assert_eq(qpm_heston_price(&H0, S0, 0.7, R0, Q0, 6, K, ty, p, d, g, v), QPM_OK);
        for (int s = 0; s < 2; s++) {
            double ep[6], pu[6], ed[6], dc[6], eg[6], ev[6], vp[6], th[6];
            /* every output, so the derivative path of the characteristic
             * function runs: the shared values stay bit-identical */
            qpm_model_out o = out_all(ep, pu, ed, dc, eg, ev, vp, th);
            cr_assert_eq(qpm_heston_eval(&H0, j, (qpm_settlement)s, S0, 0.7, R0, Q0, 6, K, ty, &o),
                         QPM_OK, "%s", qpm_last_error());
            double F = S0 * exp((R0 - Q0) * 0.7);
            for (int i = 0; i < 6; i++) {
                cr_assert_eq(pu[i], p[i]);
                cr_assert_eq(ed[i], d[i]);
                cr_assert_eq(eg[i], g[i]);
                cr_assert_eq(ev[i], v[i]);
                cr_assert_eq(ep[i], s ? p[i] / F : p[i]);
            }
        }
    }
    /* Merton */
    double p[6], d[6], g[6], v[6], ep[6], pu[6], ed[6], eg[6], vp[6];
    cr_assert_eq(qpm_merton_price(0.3, &J0, S0, 0.7, R0, Q0, 6, K, ty, p, d, g, v), QPM_OK);
    qpm_model_out o = out_all(ep, pu, ed, NULL, eg, NULL, vp, NULL);
    cr_assert_eq(qpm_merton_eval(0.3, &J0, QPM_SETTLE_INVERSE, S0, 0.7, R0, Q0, 6, K, ty, &o),
                 QPM_OK);
    double F = S0 * exp((R0 - Q0) * 0.7);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(pu[i], p[i]);
        cr_assert_eq(ed[i], d[i]);
        cr_assert_eq(eg[i], g[i]);
        cr_assert_eq(vp[i], v[i]);
        cr_assert_eq(ep[i], p[i] / F);
    }
}

Test(models_eval, refdata_rows_both_settlements)
{
    const char *files[2] = {"heston_public.csv", "merton_public.csv"};
    for (int fi = 0; fi < 2; fi++) {
        qt_csv *c = qt_csv_load(files[fi]);
        size_t cS = qt_csv_col(c, "S"), cK = qt_csv_col(c, "K"), cT = qt_csv_col(c, "T");
        size_t cr = qt_csv_col(c, "r"), cq = qt_csv_col(c, "q"), cty = qt_csv_col(c, "type");
        size_t cpr = qt_csv_col(c, "price");
        double worst = 0.0;
        for (size_t i = 0; i < c->nrows; i++) {
            double S = qt_csv_num(c, i, cS), K = qt_csv_num(c, i, cK), T = qt_csv_num(c, i, cT);
            double r = qt_csv_num(c, i, cr), q = qt_csv_num(c, i, cq);
            int32_t ty = strcmp(qt_csv_str(c, i, cty), "call") == 0 ? QPM_CALL : QPM_PUT;
            double want = qt_csv_num(c, i, cpr), pl = -1.0, pc = -1.0;
            for (int s = 0; s < 2; s++) {
                qpm_model_out o = out_all(s ? &pc : &pl, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
                qpm_status st;
                if (fi == 0) {
                    qpm_heston h = {qt_csv_num(c, i, qt_csv_col(c, "v0")),
                                    qt_csv_num(c, i, qt_csv_col(c, "kappa")),
                                    qt_csv_num(c, i, qt_csv_col(c, "theta")),
                                    qt_csv_num(c, i, qt_csv_col(c, "sigma")),
                                    qt_csv_num(c, i, qt_csv_col(c, "rho"))};
                    st = qpm_heston_eval(&h, NULL, (qpm_settlement)s, S, T, r, q, 1, &K, &ty, &o);
                } else {
                    qpm_jumps j = {qt_csv_num(c, i, qt_csv_col(c, "lambda")),
                                   qt_csv_num(c, i, qt_csv_col(c, "muJ")),
                                   qt_csv_num(c, i, qt_csv_col(c, "deltaJ"))};
                    st = qpm_merton_eval(qt_csv_num(c, i, qt_csv_col(c, "sigma")), &j,
                                         (qpm_settlement)s, S, T, r, q, 1, &K, &ty, &o);
                }
                cr_assert_eq(st, QPM_OK, "%s row %zu: %s", files[fi], i, qpm_last_error());
            }
            double F = S * exp((r - q) * T);
            worst = fmax(worst, fabs(pl - want) / S);
            cr_expect_leq(fabs(pl - want) / S, fi == 0 ? 1e-12 : 1e-11, "%s row %zu", files[fi], i);
            cr_expect_leq(fabs(pc * F - want) / S, fi == 0 ? 1e-12 : 1e-11, "%s row %zu coin",
                          files[fi], i);
        }
        cr_log_info("%s through eval: max |error| / S = %.3g", files[fi], worst);
        qt_csv_free(c);
    }
}

Test(models_eval, put_call_parity_both_settlements)
{
    const double K[5] = {50, 90, 100, 110, 200};
    const int32_t call[5] = {1, 1, 1, 1, 1}, put[5] = {-1, -1, -1, -1, -1};
    for (int model = 0; model < 3; model++)
        for (int s = 0; s < 2; s++) {
            double pc[5], pp[5], T = 1.3;
            qpm_model_out oc = out_all(pc, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
            qpm_model_out op = out_all(pp, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
            if (model < 2) {
                const qpm_jumps *j = model ? &J0 : NULL;
                cr_assert_eq(qpm_heston_eval(&H0, j, (qpm_settlement)s, S0, T, R0, Q0, 5, K, call, &oc),
                             QPM_OK);
                cr_assert_eq(qpm_heston_eval(&H0, j, (qpm_settlement)s, S0, T, R0, Q0, 5, K, put, &op),
                             QPM_OK);
            } else {
                cr_assert_eq(qpm_merton_eval(0.25, &J0, (qpm_settlement)s, S0, T, R0, Q0, 5, K, call, &oc),
                             QPM_OK);
                cr_assert_eq(qpm_merton_eval(0.25, &J0, (qpm_settlement)s, S0, T, R0, Q0, 5, K, put, &op),
                             QPM_OK);
            }
            double F = S0 * exp((R0 - Q0) * T), df = exp(-R0 * T);
            for (int i = 0; i < 5; i++) {
                double want = df * (F - K[i]) / (s ? F : 1.0);
                cr_expect_leq(fabs(pc[i] - pp[i] - want), 1e-12 * (s ? 1.0 : S0), "model %d settle %d K %g: %.17g",
                              model, s, K[i], pc[i] - pp[i] - want);
            }
        }
}

/* all outputs of one option at (S, T, h) in settlement s */
typedef struct one {
    double p, pu, d, dc, g, v0, vp, th;
} one;

static one eval_one(int model, qpm_heston h, double sigma, double S, double T, double K, int32_t ty,
                    int s)
{
    one x;
    qpm_model_out o = out_all(&x.p, &x.pu, &x.d, &x.dc, &x.g, &x.v0, &x.vp, &x.th);
    qpm_status st;
    if (model < 2)
        st = qpm_heston_eval(&h, model ? &J0 : NULL, (qpm_settlement)s, S, T, R0, Q0, 1, &K, &ty, &o);
    else
        st = qpm_merton_eval(sigma, &J0, (qpm_settlement)s, S, T, R0, Q0, 1, &K, &ty, &o);
    cr_assert_eq(st, QPM_OK, "%s", qpm_last_error());
    return x;
}

static void near(double got, double want, double tol, const char *what, int model, double K)
{
    cr_expect_leq(fabs(got - want), tol * fmax(1.0, fabs(want)), "model %d K %g %s: %.12g vs fd %.12g",
                  model, K, what, got, want);
}

Test(models_eval, greeks_against_finite_differences)
{
    const double Ks[4] = {70, 98, 105, 140};
    const double T = 0.8, sg = 0.3;
    for (int model = 0; model < 3; model++)
        for (int k = 0; k < 4; k++)
            for (int ty = -1; ty <= 1; ty += 2) {
                double K = Ks[k];
                one a = eval_one(model, H0, sg, S0, T, K, ty, 1);
                double hS = 1e-4 * S0, hT = 1e-4;
                one up = eval_one(model, H0, sg, S0 + hS, T, K, ty, 1);
                one dn = eval_one(model, H0, sg, S0 - hS, T, K, ty, 1);
                near(a.d, (up.pu - dn.pu) / (2 * hS), 1e-7, "delta", model, K);
                near(a.g, (up.d - dn.d) / (2 * hS), 1e-7, "gamma", model, K);
                /* coin delta: F d(B/F)/dF = S d(B/F)/dS at fixed T */
                near(a.dc, S0 * (up.p - dn.p) / (2 * hS), 1e-7, "delta_coin", model, K);
                one tu = eval_one(model, H0, sg, S0, T + hT, K, ty, 1);
                one td = eval_one(model, H0, sg, S0, T - hT, K, ty, 1);
                near(a.th, -(tu.pu - td.pu) / (2 * hT), 1e-6, "theta", model, K);
                double hv = 1e-5;
                if (model < 2) {
                    qpm_heston u = H0, d = H0;
                    u.v0 += hv;
                    d.v0 -= hv;
                    near(a.v0, (eval_one(model, u, sg, S0, T, K, ty, 1).pu -
                                eval_one(model, d, sg, S0, T, K, ty, 1).pu) / (2 * hv),
                         1e-6, "vega_v0", model, K);
                    u = H0;
                    d = H0;
                    u.v0 = pow(sqrt(H0.v0) + hv, 2);
                    u.theta = pow(sqrt(H0.theta) + hv, 2);
                    d.v0 = pow(sqrt(H0.v0) - hv, 2);
                    d.theta = pow(sqrt(H0.theta) - hv, 2);
                    near(a.vp, (eval_one(model, u, sg, S0, T, K, ty, 1).pu -
                                eval_one(model, d, sg, S0, T, K, ty, 1).pu) / (2 * hv),
                         1e-6, "vega_parallel", model, K);
                } else {
                    near(a.v0, (eval_one(model, H0, sqrt(sg * sg + hv), S0, T, K, ty, 1).pu -
                                eval_one(model, H0, sqrt(sg * sg - hv), S0, T, K, ty, 1).pu) / (2 * hv),
                         1e-6, "var vega", model, K);
                    near(a.vp, (eval_one(model, H0, sg + hv, S0, T, K, ty, 1).pu -
                                eval_one(model, H0, sg - hv, S0, T, K, ty, 1).pu) / (2 * hv),
                         1e-6, "vega", model, K);
                }
            }
}

Test(models_eval, smile_settle)
{
    const double K[5] = {60, 90, 100, 110, 150};
    double pl[5], il[5], pc[5], ic[5];
    int32_t st[5];
    cr_assert_eq(qpm_heston_smile(&H0, &J0, S0, 0.5, R0, Q0, 5, K, pl, il, NULL), QPM_OK);
    cr_assert_eq(qpm_heston_smile_settle(&H0, &J0, QPM_SETTLE_INVERSE, S0, 0.5, R0, Q0, 5, K, pc, ic, st),
                 QPM_OK);
    double F = S0 * exp((R0 - Q0) * 0.5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(ic[i], il[i]);
        cr_assert_eq(pc[i], pl[i] / F);
        cr_assert_eq(st[i], QPM_OK);
    }
    cr_assert_eq(qpm_heston_smile_settle(&H0, NULL, QPM_SETTLE_LINEAR, S0, 0.5, R0, Q0, 5, K, pc, ic, NULL),
                 QPM_OK);
    cr_assert_eq(qpm_heston_smile_settle(&H0, NULL, (qpm_settlement)2, S0, 0.5, R0, Q0, 5, K, pc, ic, NULL),
                 QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "settle") != NULL);
}

Test(models_eval, bad_input)
{
    double p = -7.0, K = 100.0;
    int32_t ty = QPM_CALL;
    qpm_model_out o = out_all(&p, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    cr_assert_eq(qpm_heston_eval(&H0, NULL, (qpm_settlement)3, S0, 1, R0, Q0, 1, &K, &ty, &o),
                 QPM_E_INVALID);
    cr_assert_eq(qpm_heston_eval(&H0, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, NULL),
                 QPM_E_NULL);
    qpm_model_out z = out_all(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    cr_assert_eq(qpm_heston_eval(&H0, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &z),
                 QPM_E_NULL);
    qpm_model_out bad = o;
    bad.size = 12;
    cr_assert_eq(qpm_merton_eval(0.2, &J0, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &bad),
                 QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "out->size") != NULL);
    /* a newer caller's struct: zero extra fields accepted, others refused */
    struct {
        qpm_model_out o;
        double *extra;
    } nw = {o, NULL};
    nw.o.size = sizeof nw;
    cr_assert_eq(qpm_heston_eval(&H0, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &nw.o), QPM_OK);
    nw.extra = &p;
    cr_assert_eq(qpm_heston_eval(&H0, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &nw.o),
                 QPM_E_UNSUPPORTED);
    /* an older caller's struct: price only */
    qpm_model_out old = o;
    old.size = sizeof(size_t) + sizeof(double *);
    p = -7.0;
    cr_assert_eq(qpm_heston_eval(&H0, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &old), QPM_OK);
    cr_assert_gt(p, 0.0);
    p = -7.0;
    qpm_heston hb = H0;
    hb.rho = 1.0;
    cr_assert_eq(qpm_heston_eval(&hb, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &o),
                 QPM_E_INVALID);
    cr_assert_eq(p, -7.0);
    cr_assert_eq(qpm_merton_eval(NAN, &J0, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &o),
                 QPM_E_NONFINITE);
    cr_assert_eq(qpm_merton_eval(0.2, NULL, QPM_SETTLE_LINEAR, S0, 1, R0, Q0, 1, &K, &ty, &o),
                 QPM_E_NULL);
    cr_assert_eq(p, -7.0);
}

/* ---- analytic parameter gradient (white box) -------------------------------- */

/* The four-lane elementary functions of the characteristic function
 * (num/v4math.h) against libm: within 1 ulp for exp and log1p, 2
 * ulps for expm1 and atan2 (the measured maxima over 800,000 arguments
 * each, spanning their use); and their edge values. */
static double ulps(double got, double want)
{
    double u = nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(got - want) / u;
}

Test(models_calib, four_lane_functions_against_libm)
{
    uint64_t st = 0x9E3779B97F4A7C15ULL;
    double worst[4] = {0.0};
    for (int it = 0; it < 200000; it++) {
        v4d a, b, c, y;
        for (int i = 0; i < 4; i++) {
            double u[4];
            for (int j = 0; j < 4; j++) {
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                u[j] = (double)(st >> 11) * 0x1p-53;
            }
            a[i] = -700.0 + 709.0 * u[0];                     /* exp */
            b[i] = (u[1] - 0.5) * pow(10.0, 8.0 * u[2] - 6.0); /* expm1, atan2 */
            c[i] = expm1((u[3] - 0.9) * 40.0);                 /* log1p, > -1 */
            y[i] = (u[0] - 0.5) * pow(10.0, 8.0 * u[3] - 4.0);
        }
        v4d e = v4_exp(a), m1 = v4_expm1(b), l = v4_log1p(c), t = v4_atan2(y, b);
        for (int i = 0; i < 4; i++) {
            worst[0] = fmax(worst[0], ulps(e[i], exp(a[i])));
            worst[1] = fmax(worst[1], ulps(m1[i], expm1(b[i])));
            worst[2] = fmax(worst[2], ulps(l[i], log1p(c[i])));
            worst[3] = fmax(worst[3], ulps(t[i], atan2(y[i], b[i])));
        }
    }
    cr_log_info("four-lane functions, max ulps: exp %.2f expm1 %.2f log1p %.2f atan2 %.2f",
                worst[0], worst[1], worst[2], worst[3]);
    cr_expect_leq(worst[0], 1.0);
    cr_expect_leq(worst[1], 2.0);
    cr_expect_leq(worst[2], 1.0);
    cr_expect_leq(worst[3], 2.0);
    /* edges: underflow to 0, NaN through, signed zeros and axes of atan2 */
    v4d e = v4_exp((v4d){-800.0, NAN, 0.0, -708.0});
    cr_expect(e[0] == 0.0 && isnan(e[1]) && e[2] == 1.0 && ulps(e[3], exp(-708.0)) <= 1.0);
    v4d m = v4_expm1((v4d){-100.0, 0.0, 1e-300, NAN});
    cr_expect(m[0] == -1.0 && m[1] == 0.0 && m[2] == 1e-300 && isnan(m[3]));
    v4d ys = {0.0, -0.0, 1.0, -1.0}, xs = {-0.0, -0.0, 0.0, -1e-300};
    v4d t = v4_atan2(ys, xs);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(t[i], atan2(ys[i], xs[i]), "atan2(%g, %g): %.17g", ys[i], xs[i], t[i]);
    v4d lg = v4_log1p((v4d){0.0, -0.0, 1e-310, 1e300});
    for (int i = 0; i < 4; i++)
        cr_expect_leq(fabs(lg[i] - log1p(((double[]){0.0, -0.0, 1e-310, 1e300})[i])), 0.0);
}

/* The strike sums (pricing/sv_sum.h) give the same bits from their AVX2
 * build and their baseline build (the CPU mask hides AVX2 and FMA), for
 * every output; and a chain longer than the sums' buffer of ln(F / K)
 * (512) gives the bits of a shorter chain with the same extreme strikes
 * (the same grid) for the strikes they share. */
Test(models_calib, strike_sums_same_bits_every_build_and_length)
{
    enum { NL = 700, NS = 350 };
    static double K[NL], pa[8][NL], pb[8][NL], ks[NS], ps[8][NS];
    static int32_t ty[NL], ts[NS];
    for (int i = 0; i < NL; i++) {
        K[i] = 100.0 * exp(-1.5 + 3.0 * i / (NL - 1));
        ty[i] = i % 3 == 0 ? QPM_PUT : QPM_CALL;
    }
    for (int i = 0; i < NS; i++) {
        ks[i] = K[2 * i + (i == NS - 1)]; /* the last one is K[NL - 1] */
        ts[i] = ty[2 * i + (i == NS - 1)];
    }
    qpm__sv m = {0.05, 2.0, 0.07, 0.8, -0.6, 0.5, -0.08, 0.2, 0.4};
    qpm__sv_out oa = {pa[0], pa[1], pa[2], pa[3], pa[4], NULL, {pa[5], pa[6], pa[7]}, NULL, 0, 0.0};
    qpm__sv_out ob = {pb[0], pb[1], pb[2], pb[3], pb[4], NULL, {pb[5], pb[6], pb[7]}, NULL, 0, 0.0};
    qpm__sv_out os = {ps[0], ps[1], ps[2], ps[3], ps[4], NULL, {ps[5], ps[6], ps[7]}, NULL, 0, 0.0};
    cr_assert_eq(qpm__sv_chain(&m, S0, R0, Q0, NL, K, ty, &oa), QPM_OK);
    qpm__cpu_set_mask(~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA));
    qpm_status st = qpm__sv_chain(&m, S0, R0, Q0, NL, K, ty, &ob);
    qpm__cpu_set_mask(~0u);
    cr_assert_eq(st, QPM_OK);
    cr_assert_eq(qpm__sv_chain(&m, S0, R0, Q0, NS, ks, ts, &os), QPM_OK);
    for (int o = 0; o < 8; o++) {
        for (int i = 0; i < NL; i++)
            cr_expect_eq(memcmp(&pa[o][i], &pb[o][i], sizeof(double)), 0,
                         "output %d strike %d: %.17g (auto) vs %.17g (baseline)", o, i, pa[o][i],
                         pb[o][i]);
        for (int i = 0; i < NS; i++) {
            int j = 2 * i + (i == NS - 1);
            cr_expect_eq(memcmp(&pa[o][j], &ps[o][i], sizeof(double)), 0,
                         "output %d strike %d: %.17g (700 strikes) vs %.17g (350)", o, j, pa[o][j],
                         ps[o][i]);
        }
    }
}

Test(models_calib, gradient_against_central_differences)
{
    const double K[7] = {55, 75, 90, 100, 112, 130, 170};
    const int32_t ty[7] = {-1, -1, -1, 1, 1, 1, 1};
    const double Ts[3] = {0.05, 0.6, 3.0};
    for (int t = 0; t < 3; t++) {
        qpm__sv m = {0.05, 2.0, 0.07, 0.8, -0.6, 0.5, -0.08, 0.2, Ts[t]};
        double g[8][7], p[7];
        qpm__sv_out o = {p, NULL, NULL, g[0], g[2], NULL, {g[1], g[3], g[4], g[5], g[6], g[7]}, NULL, 0, 0.0};
        cr_assert_eq(qpm__sv_chain(&m, S0, R0, Q0, 7, K, ty, &o), QPM_OK);
        double *par[8] = {&m.v0, &m.kappa, &m.theta, &m.sigma, &m.rho, &m.lambda, &m.mu_j, &m.delta_j};
        double worst = 0.0;
        for (int k = 0; k < 8; k++) {
            double x = *par[k], hh = 1e-5 * fmax(fabs(x), 0.1), pu[7], pd[7];
            qpm__sv_out oo = {pu, NULL, NULL, NULL, NULL, NULL, {NULL}, NULL, 0, 0.0};
            *par[k] = x + hh;
            cr_assert_eq(qpm__sv_chain(&m, S0, R0, Q0, 7, K, ty, &oo), QPM_OK);
            oo.price = pd;
            *par[k] = x - hh;
            cr_assert_eq(qpm__sv_chain(&m, S0, R0, Q0, 7, K, ty, &oo), QPM_OK);
            *par[k] = x;
            for (int i = 0; i < 7; i++) {
                double fd = (pu[i] - pd[i]) / (2 * hh);
                /* relative to the gradient's scale across the chain */
                double scale = 0.0;
                for (int jj = 0; jj < 7; jj++)
                    scale = fmax(scale, fabs(g[k][jj]));
                double e = fabs(g[k][i] - fd) / fmax(scale, 1e-300);
                worst = fmax(worst, e);
                cr_expect_leq(e, 1e-6, "T %g param %d K %g: %.12g vs fd %.12g", Ts[t], k, K[i],
                              g[k][i], fd);
            }
        }
        cr_log_info("T = %g: max relative gradient error %.3g", Ts[t], worst);
    }
}

/* ---- calibration ------------------------------------------------------------ */

#define NE 5
#define NK 8
#define NQ (NE * NK)

typedef struct chain {
    double T[NQ], K[NQ], price[NQ], iv[NQ];
    int32_t type[NQ];
} chain;

static void make_chain(chain *c, const qpm_heston *h, const qpm_jumps *j)
{
    static const double Te[NE] = {0.08, 0.25, 0.5, 1.0, 2.0};
    for (int e = 0; e < NE; e++) {
        double F = S0 * exp((R0 - Q0) * Te[e]);
        for (int k = 0; k < NK; k++) {
            int i = e * NK + k;
            c->T[i] = Te[e];
            /* strikes spread with the square root of T */
            c->K[i] = F * exp(0.25 * sqrt(Te[e]) * (-1.75 + 0.5 * k));
            c->type[i] = c->K[i] < F ? QPM_PUT : QPM_CALL;
        }
        qpm_model_out o = out_all(c->price + e * NK, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        cr_assert_eq(qpm_heston_eval(h, j, QPM_SETTLE_LINEAR, S0, Te[e], R0, Q0, NK, c->K + e * NK,
                                     c->type + e * NK, &o),
                     QPM_OK);
        cr_assert_eq(qpm_heston_smile(h, j, S0, Te[e], R0, Q0, NK, c->K + e * NK, NULL,
                                      c->iv + e * NK, NULL),
                     QPM_OK);
    }
}

static const qpm_heston START = {0.1, 1.0, 0.1, 0.5, -0.5};

static qpm_calib_result fit(const chain *c, const qpm_jumps *js, int quote, int resid,
                            qpm_status want)
{
    qpm_calib_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.quote = quote;
    o.residual = resid;
    o.max_iter = 200;
    qpm_calib_result r;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    const double *q = quote == QPM_CALIB_QUOTE_IV ? c->iv : c->price;
    double coin[NQ];
    if (quote == QPM_CALIB_QUOTE_COIN) {
        for (int i = 0; i < NQ; i++)
            coin[i] = c->price[i] / (S0 * exp((R0 - Q0) * c->T[i]));
        q = coin;
    }
    qpm_status st = qpm_heston_calibrate(&START, js, S0, R0, Q0, NQ, c->T, c->K, q, NULL, c->type,
                                         &o, NULL, &r);
    cr_assert_eq(st, want, "%s", qpm_last_error());
    return r;
}

static double param_err(const qpm_calib_result *r, const qpm_heston *h, const qpm_jumps *j)
{
    double e = fmax(fmax(fabs(r->heston.v0 - h->v0), fabs(r->heston.kappa - h->kappa)),
                    fmax(fabs(r->heston.theta - h->theta),
                         fmax(fabs(r->heston.sigma - h->sigma), fabs(r->heston.rho - h->rho))));
    if (j != NULL)
        e = fmax(e, fmax(fabs(r->jumps.lambda - j->lambda),
                         fmax(fabs(r->jumps.mu - j->mu), fabs(r->jumps.delta - j->delta))));
    return e;
}

Test(models_calib, heston_round_trip)
{
    static const qpm_heston truth = {0.045, 2.2, 0.065, 0.75, -0.7};
    chain c;
    make_chain(&c, &truth, NULL);
    static const int modes[4][2] = {{QPM_CALIB_QUOTE_USD, QPM_CALIB_RESID_VOL},
                                    {QPM_CALIB_QUOTE_USD, QPM_CALIB_RESID_PRICE},
                                    {QPM_CALIB_QUOTE_COIN, QPM_CALIB_RESID_VOL},
                                    {QPM_CALIB_QUOTE_IV, QPM_CALIB_RESID_VOL}};
    for (int m = 0; m < 4; m++) {
        qpm_calib_result r = fit(&c, NULL, modes[m][0], modes[m][1], QPM_OK);
        double e = param_err(&r, &truth, NULL);
        cr_log_info("heston round trip (quote %d, resid %d): max |param error| %.3g, rmse %.3g vol "
                    "pts, %zu iterations, %zu evaluations, outcome %d",
                    modes[m][0], modes[m][1], e, r.rmse_volpts, r.iterations, r.evaluations,
                    r.outcome);
        cr_expect_eq(r.outcome, QPM_CALIB_CONVERGED);
        cr_expect_leq(e, 1e-6, "mode %d: param error %.3g", m, e);
        cr_expect_leq(r.rmse_volpts, 1e-6);
        cr_expect_leq(r.max_vol_err_volpts, 1e-5);
        cr_expect_eq(r.feller, 2 * truth.kappa * truth.theta > truth.sigma * truth.sigma);
    }
}

Test(models_calib, bates_round_trip)
{
    static const qpm_heston truth = {0.04, 1.8, 0.05, 0.6, -0.6};
    static const qpm_jumps jt = {0.5, -0.12, 0.18};
    static const qpm_jumps js = {0.2, -0.05, 0.1};
    chain c;
    make_chain(&c, &truth, &jt);
    qpm_calib_result r = fit(&c, &js, QPM_CALIB_QUOTE_USD, QPM_CALIB_RESID_VOL, QPM_OK);
    double e = param_err(&r, &truth, &jt);
    cr_log_info("bates round trip: max |param error| %.3g, rmse %.3g vol pts, %zu iterations, "
                "outcome %d",
                e, r.rmse_volpts, r.iterations, r.outcome);
    cr_expect_eq(r.outcome, QPM_CALIB_CONVERGED);
    cr_expect_leq(e, 1e-6);
    /* jumps fixed at the truth: the Heston part comes back */
    qpm_calib_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.fix_jumps = 1;
    qpm_calib_result r2;
    memset(&r2, 0, sizeof r2);
    r2.size = sizeof r2;
    cr_assert_eq(qpm_heston_calibrate(&START, &jt, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL, c.type,
                                      &o, NULL, &r2),
                 QPM_OK);
    cr_expect_leq(param_err(&r2, &truth, &jt), 1e-6);
    cr_expect_eq(memcmp(&r2.jumps, &jt, sizeof jt), 0);
}

typedef struct prog {
    int calls, stop_at;
    double last;
} prog;

static int on_progress(void *user, double done)
{
    prog *p = user;
    cr_expect_geq(done, p->last);
    p->last = done;
    return ++p->calls >= p->stop_at;
}

Test(models_calib, progress_and_cancel)
{
    static const qpm_heston truth = {0.045, 2.2, 0.065, 0.75, -0.7};
    chain c;
    make_chain(&c, &truth, NULL);
    qpm_calib_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    prog pg = {0, 1000, 0.0};
    o.progress = on_progress;
    o.progress_user = &pg;
    qpm_calib_result r;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL, c.type,
                                      &o, NULL, &r),
                 QPM_OK);
    cr_assert_gt(pg.calls, 2);
    cr_assert_eq(pg.last, 1.0);
    /* stop at the 4th call: cancelled, with the best point of 3 iterations */
    prog p2 = {0, 4, 0.0};
    o.progress_user = &p2;
    qpm_calib_result rc;
    memset(&rc, 0, sizeof rc);
    rc.size = sizeof rc;
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL, c.type,
                                      &o, NULL, &rc),
                 QPM_E_CANCELLED);
    cr_assert(strstr(qpm_last_error(), "cancelled") != NULL);
    cr_assert_eq(rc.outcome, QPM_CALIB_CANCELLED);
    cr_assert_eq(rc.iterations, 3u);
    cr_assert(rc.heston.v0 != START.v0 || rc.heston.kappa != START.kappa);
    cr_assert(isfinite(rc.rmse_volpts) && rc.rmse_volpts > r.rmse_volpts);
    /* the iteration limit is an outcome */
    o.progress = NULL;
    o.max_iter = 2;
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL, c.type,
                                      &o, NULL, &rc),
                 QPM_OK);
    cr_assert_eq(rc.outcome, QPM_CALIB_MAX_ITER);
}

static void bad(const chain *c, const double *T, const double *K, const double *q,
                const double *w, const int32_t *ty, const qpm_heston *h, const qpm_calib_options *o,
                qpm_status want, const char *msg)
{
    qpm_calib_result r;
    memset(&r, 0x5a, sizeof r);
    r.size = sizeof r;
    qpm_calib_result keep = r;
    (void)c;
    qpm_status st = qpm_heston_calibrate(h, NULL, S0, R0, Q0, NQ, T, K, q, w, ty, o, NULL, &r);
    cr_expect_eq(st, want, "%s: got %s (%s)", msg, qpm_status_name(st), qpm_last_error());
    cr_expect(strstr(qpm_last_error(), msg) != NULL, "want '%s' in '%s'", msg, qpm_last_error());
    if (want != QPM_OK)
        cr_expect_eq(memcmp(&r, &keep, sizeof r), 0, "%s: result written", msg);
}

Test(models_calib, bad_input)
{
    static const qpm_heston truth = {0.045, 2.2, 0.065, 0.75, -0.7};
    chain c;
    make_chain(&c, &truth, NULL);
    double T[NQ], K[NQ], q[NQ], w[NQ];
    int32_t ty[NQ];
#define RESET()                                                                                    \
    do {                                                                                           \
        memcpy(T, c.T, sizeof T);                                                                  \
        memcpy(K, c.K, sizeof K);                                                                  \
        memcpy(q, c.price, sizeof q);                                                              \
        memcpy(ty, c.type, sizeof ty);                                                            \
        for (int i = 0; i < NQ; i++)                                                               \
            w[i] = 1.0;                                                                            \
    } while (0)
    RESET();
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_OK, "");
    K[11] = K[10];
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "K[11]");
    RESET();
    K[13] = K[12] - 0.01;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "K[13]");
    RESET();
    T[20] = 0.1;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "T[20]");
    RESET();
    q[5] = 1e-300; /* a call at K > F: intrinsic 0, price must be above it */
    q[5] = 0.0;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "quote[5]");
    RESET();
    q[30] = S0 * 2.0;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "quote[30]");
    RESET();
    q[2] = NAN;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_NONFINITE, "quote[2]");
    RESET();
    w[3] = -1.0;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "weight[3]");
    RESET();
    ty[7] = 0;
    bad(&c, T, K, q, w, ty, &START, NULL, QPM_E_INVALID, "type[7]");
    RESET();
    qpm_heston h = START;
    h.rho = -1.0;
    bad(&c, T, K, q, w, ty, &h, NULL, QPM_E_INVALID, "rho");
    h = START;
    h.v0 = -0.1;
    bad(&c, T, K, q, w, ty, &h, NULL, QPM_E_INVALID, "v0");
    h = START;
    h.kappa = NAN;
    bad(&c, T, K, q, w, ty, &h, NULL, QPM_E_NONFINITE, "kappa");
    h = START;
    h.sigma = 20.0; /* outside the default bounds */
    bad(&c, T, K, q, w, ty, &h, NULL, QPM_E_INVALID, "sigma");
    qpm_calib_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    double lo[8] = {1e-6, 1e-3, 1e-6, 1e-3, -1.5, 0, -2, 1e-4}, hi[8] = {4, 50, 4, 10, 0.99, 10, 2, 2};
    o.lower = lo;
    o.upper = hi;
    bad(&c, T, K, q, w, ty, &START, &o, QPM_E_INVALID, "rho");
    lo[4] = -0.99;
    lo[0] = 5.0;
    bad(&c, T, K, q, w, ty, &START, &o, QPM_E_INVALID, "v0");
    o.lower = o.upper = NULL;
    o.quote = 7;
    bad(&c, T, K, q, w, ty, &START, &o, QPM_E_INVALID, "opt->quote");
    o.quote = 0;
    o.ftol = -1.0;
    bad(&c, T, K, q, w, ty, &START, &o, QPM_E_INVALID, "ftol");
    o.ftol = 0.0;
    o.size = 4;
    bad(&c, T, K, q, w, ty, &START, &o, QPM_E_INVALID, "opt->size");
    /* empty input, NULLs */
    qpm_calib_result r;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, 0, T, K, q, w, ty, NULL, NULL, &r),
                 QPM_E_SIZE);
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, 3, T, K, q, w, ty, NULL, NULL, &r),
                 QPM_E_SIZE);
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, T, NULL, q, w, ty, NULL, NULL, &r),
                 QPM_E_NULL);
    cr_assert_eq(qpm_heston_calibrate(NULL, NULL, S0, R0, Q0, NQ, T, K, q, w, ty, NULL, NULL, &r),
                 QPM_E_NULL);
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, T, K, q, w, ty, NULL, NULL, NULL),
                 QPM_E_NULL);
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, -1.0, R0, Q0, NQ, T, K, q, w, ty, NULL, NULL, &r),
                 QPM_E_INVALID);
    /* bad jumps */
    qpm_jumps jb = {-1.0, 0.0, 0.1};
    cr_assert_eq(qpm_heston_calibrate(&START, &jb, S0, R0, Q0, NQ, T, K, q, w, ty, NULL, NULL, &r),
                 QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "lambda") != NULL);
    /* vol quotes must be positive */
    o.size = sizeof o;
    o.quote = QPM_CALIB_QUOTE_IV;
    memcpy(q, c.iv, sizeof q);
    q[9] = 0.0;
    bad(&c, T, K, q, w, ty, &START, &o, QPM_E_INVALID, "quote[9]");
}

Test(models_calib, out_of_memory)
{
    static const qpm_heston truth = {0.045, 2.2, 0.065, 0.75, -0.7};
    chain c;
    make_chain(&c, &truth, NULL);
    qpm_calib_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.max_iter = 3;
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    qpm_calib_result ref;
    memset(&ref, 0, sizeof ref);
    ref.size = sizeof ref;
    cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL, c.type,
                                      &o, &fa.alloc, &ref),
                 QPM_OK);
    long n = fa.calls;
    cr_assert_gt(n, 0);
    cr_assert_eq(fa.live, 0);
    for (long k = 0; k < n; k++) {
        qt_failalloc_only(&fa, k);
        qpm_calib_result r;
        memset(&r, 0x11, sizeof r);
        r.size = sizeof r;
        qpm_calib_result keep = r;
        qpm_status st = qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL,
                                             c.type, &o, &fa.alloc, &r);
        cr_assert(st == QPM_E_NOMEM || st == QPM_E_UNSUPPORTED, "k = %ld: %s", k,
                  qpm_status_name(st));
        cr_assert_eq(memcmp(&r, &keep, sizeof r), 0);
        cr_assert_eq(fa.live, 0, "k = %ld: %ld blocks leaked", k, fa.live);
        qt_failalloc_only(&fa, -1);
        cr_assert_eq(qpm_heston_calibrate(&START, NULL, S0, R0, Q0, NQ, c.T, c.K, c.price, NULL,
                                          c.type, &o, &fa.alloc, &r),
                     QPM_OK);
        cr_assert_eq(memcmp(&r, &ref, sizeof r), 0);
    }
    cr_log_info("calibration: %ld allocation points", n);
}
