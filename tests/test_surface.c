/* surface: raw SVI slices, their fits, SSVI, the arbitrage checks and the
 * queries (include/qpm/surface.h).  Round trips from known parameters; the
 * SVI density against Black-76 prices; Axel Vogt's butterfly-arbitrage
 * example; a crossing pair for the calendar check; interpolation and
 * extrapolation formulas; every bad input with its status and message. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qpm/qpm.h"
#include "support/testutil.h"

#define NK 40

static const qpm_svi GOOD = {0.04, 0.2, -0.4, 0.05, 0.15};
static const qpm_svi VOGT = {-0.0410, 0.1331, 0.3060, 0.3586, 0.4153};

static double svi_w(const qpm_svi *p, double k)
{
    double x = k - p->m;
    return p->a + p->b * (p->rho * x + sqrt(x * x + p->sigma * p->sigma));
}

/* NK strikes over k in [lo, hi] around F, and the exact vols of p at T */
static void make_quotes(const qpm_svi *p, double T, double F, double lo, double hi, double *K,
                        double *vol)
{
    for (int i = 0; i < NK; i++) {
        double k = lo + (hi - lo) * i / (NK - 1);
        K[i] = F * exp(k);
        vol[i] = sqrt(svi_w(p, log(K[i] / F)) / T);
    }
}

static qpm_smile_quotes vol_quotes(size_t n, const double *K, const double *vol)
{
    qpm_smile_quotes q;
    memset(&q, 0, sizeof q);
    q.size = sizeof q;
    q.n = n;
    q.strike = K;
    q.kind = QPM_QUOTE_VOL;
    q.mid = vol;
    return q;
}

static qpm_svi_report new_rep(void)
{
    qpm_svi_report r;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    return r;
}

static void assert_params(const qpm_svi *p, const qpm_svi *want, double tol)
{
    cr_assert(fabs(p->a - want->a) < tol, "a %.15g vs %.15g", p->a, want->a);
    cr_assert(fabs(p->b - want->b) < tol, "b %.15g vs %.15g", p->b, want->b);
    cr_assert(fabs(p->rho - want->rho) < tol, "rho %.15g vs %.15g", p->rho, want->rho);
    cr_assert(fabs(p->m - want->m) < tol, "m %.15g vs %.15g", p->m, want->m);
    cr_assert(fabs(p->sigma - want->sigma) < tol, "sigma %.15g vs %.15g", p->sigma, want->sigma);
}

static void expect_error(qpm_status got, qpm_status want, const char *needle)
{
    cr_assert_eq(got, want, "status %s, want %s (%s)", qpm_status_name(got),
                 qpm_status_name(want), qpm_last_error());
    cr_assert(strstr(qpm_last_error(), needle) != NULL, "message '%s' lacks '%s'",
              qpm_last_error(), needle);
}

/* ---- SVI parameters ---------------------------------------------------------- */

Test(surface_svi, domain_checks_name_field_and_bound)
{
    cr_assert_eq(qpm_svi_check(&GOOD), QPM_OK);
    cr_assert_eq(qpm_svi_check(&VOGT), QPM_OK);
    qpm_svi p = GOOD;
    p.b = -0.1;
    expect_error(qpm_svi_check(&p), QPM_E_INVALID, "svi.b = -0.1: must be >= 0");
    p = GOOD;
    p.rho = 1.0;
    expect_error(qpm_svi_check(&p), QPM_E_INVALID, "svi.rho = 1: must be in (-1, 1)");
    p = GOOD;
    p.sigma = 0.0;
    expect_error(qpm_svi_check(&p), QPM_E_INVALID, "svi.sigma = 0: must be > 0");
    p = GOOD;
    p.a = -0.5;
    expect_error(qpm_svi_check(&p), QPM_E_INVALID, "w >= 0");
    p = GOOD;
    p.b = 1.5;
    expect_error(qpm_svi_check(&p), QPM_E_INVALID, "Lee");
    p = GOOD;
    p.m = NAN;
    expect_error(qpm_svi_check(&p), QPM_E_NONFINITE, "svi.m");
    expect_error(qpm_svi_check(NULL), QPM_E_NULL, "svi");
}

Test(surface_svi, total_variance_and_ssvi_conversion)
{
    double k[5] = {-1.0, -0.2, 0.0, 0.3, 2.0}, w[5];
    cr_assert_eq(qpm_svi_total_variance(&GOOD, 5, k, w), QPM_OK);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(w[i], svi_w(&GOOD, k[i]));
    expect_error(qpm_svi_total_variance(&GOOD, 0, k, w), QPM_E_SIZE, "n = 0");
    k[2] = INFINITY;
    expect_error(qpm_svi_total_variance(&GOOD, 5, k, w), QPM_E_NONFINITE, "k[2]");

    qpm_ssvi s = {-0.35, 1.2, 0.4};
    double theta = 0.09;
    qpm_svi p;
    cr_assert_eq(qpm_ssvi_to_svi(&s, theta, &p), QPM_OK);
    cr_assert_eq(qpm_svi_check(&p), QPM_OK);
    double phi = s.eta / (pow(theta, s.gamma) * pow(1 + theta, 1 - s.gamma));
    for (double kk = -3.0; kk <= 3.0; kk += 0.05) {
        double x = phi * kk + s.rho;
        double ws = theta / 2 * (1 + s.rho * phi * kk + sqrt(x * x + 1 - s.rho * s.rho));
        cr_assert(fabs(svi_w(&p, kk) - ws) < 1e-15, "k %g: %.17g vs %.17g", kk, svi_w(&p, kk), ws);
    }
    cr_assert(fabs(svi_w(&p, 0.0) - theta) < 1e-16);
    s.rho = 1.0;
    expect_error(qpm_ssvi_to_svi(&s, theta, &p), QPM_E_INVALID, "p.rho");
    s.rho = 0.0;
    expect_error(qpm_ssvi_to_svi(&s, 0.0, &p), QPM_E_INVALID, "theta = 0");
    s.gamma = 1.5;
    expect_error(qpm_ssvi_to_svi(&s, theta, &p), QPM_E_INVALID, "p.gamma");
}

/* ---- fits ---------------------------------------------------------------------- */

Test(surface_fit, round_trip_from_vols)
{
    double K[NK], vol[NK], T = 0.5, F = 100.0;
    make_quotes(&GOOD, T, F, -0.6, 0.6, K, vol);
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_smile_quotes q = vol_quotes(NK, K, vol);
    qpm_svi_report rep = new_rep();
    cr_assert_eq(qpm_surface_fit_slice(s, T, F, &q, 0, &rep), QPM_OK, "%s", qpm_last_error());
    qpm_svi p;
    cr_assert_eq(qpm_surface_n_slices(s), 1);
    cr_assert_eq(qpm_surface_slice(s, 0, NULL, NULL, &p, NULL), QPM_OK);
    assert_params(&p, &GOOD, 1e-8);
    cr_assert(rep.rmse_volpts < 1e-7, "rmse %g", rep.rmse_volpts);
    cr_assert(rep.max_err_volpts < 1e-7);
    cr_assert_eq(rep.n_quotes, NK);
    cr_assert(rep.butterfly_ok);
    cr_assert(rep.iterations > 0);
    qpm_surface_free(s);
}

Test(surface_fit, round_trip_from_coin_prices_with_bid_ask)
{
    double K[NK], vol[NK], T = 0.25, F = 95000.0, price[NK], bid[NK], ask[NK];
    int32_t type[NK];
    qpm_svi want = {0.01, 0.08, -0.2, 0.02, 0.2};
    make_quotes(&want, T, F, -0.5, 0.4, K, vol);
    for (int i = 0; i < NK; i++)
        type[i] = K[i] < F ? QPM_PUT : QPM_CALL;
    qpm_pricer *pr;
    cr_assert_eq(qpm_pricer_create(&pr, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE), QPM_OK);
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = price;
    cr_assert_eq(qpm_pricer_price_chain(pr, NK, F, T, 0.0, 0.0, K, vol, type, &o), QPM_OK);
    qpm_pricer_free(pr);
    for (int i = 0; i < NK; i++) {
        bid[i] = price[i] * 0.98;
        ask[i] = price[i] * 1.02;
    }
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_smile_quotes q;
    memset(&q, 0, sizeof q);
    q.size = sizeof q;
    q.n = NK;
    q.strike = K;
    q.kind = QPM_QUOTE_PRICE;
    q.bid = bid;
    q.ask = ask;
    q.type = type;
    q.settlement = QPM_SETTLE_INVERSE;
    qpm_svi_report rep = new_rep();
    cr_assert_eq(qpm_surface_fit_slice(s, T, F, &q, 0, &rep), QPM_OK, "%s", qpm_last_error());
    qpm_svi p;
    cr_assert_eq(qpm_surface_slice(s, 0, NULL, NULL, &p, NULL), QPM_OK);
    assert_params(&p, &want, 1e-7);
    cr_assert(rep.rmse_volpts < 1e-6, "rmse %g", rep.rmse_volpts);
    /* the same prices as mids, in USD: the fit sees the same vols */
    for (int i = 0; i < NK; i++)
        price[i] *= F;
    q.bid = q.ask = NULL;
    q.mid = price;
    q.settlement = QPM_SETTLE_LINEAR;
    cr_assert_eq(qpm_surface_fit_slice(s, T, F, &q, 0, &rep), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_surface_n_slices(s), 1); /* replaced: same T */
    cr_assert_eq(qpm_surface_slice(s, 0, NULL, NULL, &p, NULL), QPM_OK);
    assert_params(&p, &want, 1e-7);
    qpm_surface_free(s);
}

static double ncdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* Gatheral's density of k from g and w */
static double density(const qpm_svi *p, double k)
{
    double x = k - p->m, r = sqrt(x * x + p->sigma * p->sigma);
    double w = svi_w(p, k), w1 = p->b * (p->rho + x / r);
    double w2 = p->b * p->sigma * p->sigma / (r * r * r);
    double u = 1 - k * w1 / (2 * w);
    double g = u * u - w1 * w1 / 4 * (1 / w + 0.25) + w2 / 2;
    double d2 = -k / sqrt(w) - sqrt(w) / 2;
    return g / sqrt(2 * M_PI * w) * exp(-d2 * d2 / 2);
}

Test(surface_svi, density_integrates_to_one_and_reprices_calls)
{
    const qpm_svi *p = &GOOD;
    /* Simpson over [-12, 12] */
    const int N = 240000;
    double lo = -12, hi = 12, h = (hi - lo) / N, mass = 0, mean = 0;
    for (int i = 0; i <= N; i++) {
        double k = lo + h * i, c = i == 0 || i == N ? 1 : i % 2 ? 4 : 2;
        double d = density(p, k);
        cr_assert(d >= 0);
        mass += c * d;
        mean += c * d * exp(k);
    }
    mass *= h / 3;
    mean *= h / 3;
    cr_assert(fabs(mass - 1) < 1e-6, "mass %.12g", mass);
    cr_assert(fabs(mean - 1) < 1e-6, "E[S/F] %.12g", mean);
    /* undiscounted calls per unit forward: integral of (e^x - e^k)^+ p(x) */
    for (double k = -0.8; k <= 0.81; k += 0.2) {
        double c = 0;
        int M = 120000;
        double hh = (hi - k) / M;
        for (int i = 0; i <= M; i++) {
            double x = k + hh * i, wt = i == 0 || i == M ? 1 : i % 2 ? 4 : 2;
            c += wt * (exp(x) - exp(k)) * density(p, x);
        }
        c *= hh / 3;
        double w = svi_w(p, k), d1 = -k / sqrt(w) + sqrt(w) / 2;
        double black = ncdf(d1) - exp(k) * ncdf(d1 - sqrt(w));
        cr_assert(fabs(c - black) < 1e-8, "k %g: %.12g vs %.12g", k, c, black);
    }
}

/* ---- checks --------------------------------------------------------------------- */

Test(surface_check, vogt_fails_butterfly_good_passes)
{
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    cr_assert_eq(qpm_surface_set_slice(s, 1.0, 100.0, &VOGT), QPM_OK);
    qpm_svi_report rep = new_rep();
    cr_assert_eq(qpm_surface_slice(s, 0, NULL, NULL, NULL, &rep), QPM_OK);
    cr_assert_eq(rep.butterfly_ok, 0);
    cr_assert(rep.worst_g < 0);
    qpm_surface_check_report cr;
    memset(&cr, 0, sizeof cr);
    cr.size = sizeof cr;
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert_eq(cr.butterfly_ok, 0);
    cr_assert_eq(cr.butterfly_slice, 0);
    cr_assert(cr.butterfly_g < 0 && cr.butterfly_k > 0.0 && cr.butterfly_k < 1.5,
              "g %g at k %g", cr.butterfly_g, cr.butterfly_k);
    qpm_surface_free(s);

    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_svi later = GOOD;
    later.a += 0.03;
    cr_assert_eq(qpm_surface_set_slice(s, 1.0, 100.0, &later), QPM_OK);
    cr_assert_eq(qpm_surface_set_slice(s, 0.5, 99.0, &GOOD), QPM_OK);
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert_eq(cr.butterfly_ok, 1);
    cr_assert_eq(cr.calendar_ok, 1);
    cr_assert(cr.calendar_dw >= 0.03 - 1e-12);
    qpm_surface_free(s);
}

Test(surface_check, crossing_slices_fail_calendar_where_they_cross)
{
    qpm_svi s1 = {0.02, 0.1, 0.0, 0.0, 0.1}, s2 = {0.03, 0.05, 0.0, 0.0, 0.1};
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_svi s0 = {0.01, 0.05, 0.0, 0.0, 0.1}; /* below s1 everywhere */
    cr_assert_eq(qpm_surface_set_slice(s, 0.25, 100.0, &s0), QPM_OK);
    s1.a = 0.12;
    s2.a = 0.13;
    cr_assert_eq(qpm_surface_set_slice(s, 0.5, 100.0, &s1), QPM_OK);
    cr_assert_eq(qpm_surface_set_slice(s, 1.0, 100.0, &s2), QPM_OK);
    qpm_surface_check_report cr;
    memset(&cr, 0, sizeof cr);
    cr.size = sizeof cr;
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert_eq(cr.calendar_ok, 0);
    cr_assert_eq(cr.calendar_slice, 2);
    cr_assert(cr.calendar_dw < 0);
    /* w2 - w1 = 0.01 - 0.05 sqrt(k^2 + 0.01): zero at |k| = sqrt(0.03) */
    cr_assert(fabs(fabs(cr.calendar_cross_k) - sqrt(0.03)) < 1e-12, "cross %.15g",
              cr.calendar_cross_k);
    cr_assert(fabs(cr.calendar_k) > sqrt(0.03));
    /* the pair crossing only beyond the grid: wings */
    qpm_surface_free(s);
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_svi w1 = {0.02, 0.1, 0.0, 0.0, 0.1}, w2 = {0.5, 0.09, 0.0, 0.0, 0.1};
    cr_assert_eq(qpm_surface_set_slice(s, 0.5, 100.0, &w1), QPM_OK);
    cr_assert_eq(qpm_surface_set_slice(s, 1.0, 100.0, &w2), QPM_OK);
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert_eq(cr.calendar_ok, 0);
    cr_assert_eq(cr.calendar_slice, 1);
    /* 0.48 - 0.01 sqrt(k^2 + 0.01) = 0 */
    double kc = sqrt(48.0 * 48.0 - 0.01);
    cr_assert(fabs(fabs(cr.calendar_cross_k) - kc) < 1e-9 * kc, "cross %.15g vs %.15g",
              cr.calendar_cross_k, kc);
    qpm_surface_free(s);
}

Test(surface_fit, no_butterfly_fit_of_vogt_quotes_passes)
{
    double K[NK], vol[NK], T = 1.0, F = 100.0;
    make_quotes(&VOGT, T, F, -1.0, 1.2, K, vol);
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_smile_quotes q = vol_quotes(NK, K, vol);
    qpm_svi_report rep = new_rep();
    cr_assert_eq(qpm_surface_fit_slice(s, T, F, &q, QPM_SVI_NO_BUTTERFLY, &rep), QPM_OK);
    cr_assert_eq(rep.no_butterfly, 1);
    cr_assert_eq(rep.butterfly_ok, 1, "worst g %g at %g", rep.worst_g, rep.worst_k);
    cr_assert(rep.rmse_volpts < 1.0, "rmse %g vol points", rep.rmse_volpts);
    qpm_surface_check_report cr;
    memset(&cr, 0, sizeof cr);
    cr.size = sizeof cr;
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert_eq(cr.butterfly_ok, 1);
    /* without the flag the fit follows the quotes into arbitrage */
    cr_assert_eq(qpm_surface_fit_slice(s, T, F, &q, 0, &rep), QPM_OK);
    cr_assert_eq(rep.no_butterfly, 0);
    cr_assert_eq(rep.butterfly_ok, 0);
    cr_assert(rep.rmse_volpts < 0.1, "rmse %g", rep.rmse_volpts);
    qpm_surface_free(s);
}

/* ---- SSVI ------------------------------------------------------------------------- */

Test(surface_ssvi, round_trip_and_gj_conditions)
{
    enum { M = 5 };
    qpm_ssvi want = {-0.3, 0.9, 0.45};
    double T[M] = {0.05, 0.1, 0.25, 0.5, 1.0}, F[M], th[M], K[M][NK], vol[M][NK];
    qpm_smile_quotes q[M];
    for (int j = 0; j < M; j++) {
        F[j] = 100.0 * exp(0.02 * T[j]);
        th[j] = 0.36 * T[j];
        qpm_svi p;
        cr_assert_eq(qpm_ssvi_to_svi(&want, th[j], &p), QPM_OK);
        double span = 4 * sqrt(th[j]);
        make_quotes(&p, T[j], F[j], -span, span, K[j], vol[j]);
        q[j] = vol_quotes(NK, K[j], vol[j]);
    }
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_ssvi got;
    double theta[M];
    qpm_ssvi_report rep;
    memset(&rep, 0, sizeof rep);
    rep.size = sizeof rep;
    cr_assert_eq(qpm_surface_fit_ssvi(s, M, T, F, q, &got, theta, &rep), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert(fabs(got.rho - want.rho) < 1e-8, "rho %.12g", got.rho);
    cr_assert(fabs(got.eta - want.eta) < 1e-8, "eta %.12g", got.eta);
    cr_assert(fabs(got.gamma - want.gamma) < 1e-7, "gamma %.12g", got.gamma);
    cr_assert(rep.rmse_volpts < 1e-6, "rmse %g", rep.rmse_volpts);
    cr_assert_eq(qpm_surface_n_slices(s), M);
    for (int j = 0; j < M; j++) {
        cr_assert(fabs(theta[j] - th[j]) < 1e-9);
        double phi = got.eta / (pow(theta[j], got.gamma) * pow(1 + theta[j], 1 - got.gamma));
        double q1 = 1 + fabs(got.rho);
        cr_assert(theta[j] * phi * q1 < 4 && theta[j] * phi * phi * q1 <= 4);
        if (j > 0)
            cr_assert(theta[j] >= theta[j - 1]);
        qpm_svi_report r = new_rep();
        double Tj;
        cr_assert_eq(qpm_surface_slice(s, (size_t)j, &Tj, NULL, NULL, &r), QPM_OK);
        cr_assert_eq(Tj, T[j]);
        cr_assert(r.butterfly_ok);
    }
    qpm_surface_check_report cr;
    memset(&cr, 0, sizeof cr);
    cr.size = sizeof cr;
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert(cr.butterfly_ok && cr.calendar_ok);
    /* T not increasing */
    double Tb[M] = {0.05, 0.1, 0.1, 0.5, 1.0};
    expect_error(qpm_surface_fit_ssvi(s, M, Tb, F, q, NULL, NULL, NULL), QPM_E_INVALID, "T[2]");
    double bad[NK];
    memcpy(bad, vol[3], sizeof bad);
    bad[7] = -0.1;
    q[3].mid = bad;
    expect_error(qpm_surface_fit_ssvi(s, M, T, F, q, NULL, NULL, NULL), QPM_E_INVALID,
                 "q[3].mid[7]");
    cr_assert_eq(qpm_surface_n_slices(s), M);
    qpm_surface_free(s);
}

/* ---- queries ---------------------------------------------------------------------- */

Test(surface_query, interpolation_and_extrapolation)
{
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_svi p1 = GOOD, p2 = GOOD;
    p2.a = 0.09;
    p2.b = 0.25;
    double T1 = 0.5, T2 = 1.0, F1 = 100.0, F2 = 104.0;
    cr_assert_eq(qpm_surface_set_slice(s, T2, F2, &p2), QPM_OK);
    cr_assert_eq(qpm_surface_set_slice(s, T1, F1, &p1), QPM_OK);
    qpm_surface_check_report cr;
    memset(&cr, 0, sizeof cr);
    cr.size = sizeof cr;
    cr_assert_eq(qpm_surface_check(s, &cr), QPM_OK);
    cr_assert(cr.calendar_ok && cr.butterfly_ok);
    /* at the slices */
    double T[4] = {T1, T2, 0.75, 0.2}, k[4] = {0.1, -0.3, 0.2, 0.05}, w[4], v[4];
    cr_assert_eq(qpm_surface_total_variance_k(s, 4, T, k, w), QPM_OK);
    cr_assert_eq(w[0], svi_w(&p1, 0.1));
    cr_assert_eq(w[1], svi_w(&p2, -0.3));
    cr_assert(fabs(w[2] - 0.5 * (svi_w(&p1, 0.2) + svi_w(&p2, 0.2))) < 1e-15);
    cr_assert(fabs(w[3] - svi_w(&p1, 0.05) * 0.2 / T1) < 1e-16);
    double Tl = 3.0, kl = 0.4, wl;
    cr_assert_eq(qpm_surface_total_variance_k(s, 1, &Tl, &kl, &wl), QPM_OK);
    cr_assert(fabs(wl - svi_w(&p2, 0.4) * 3.0) < 1e-15);
    cr_assert_eq(qpm_surface_vol_k(s, 4, T, k, v), QPM_OK);
    for (int i = 0; i < 4; i++)
        cr_assert(fabs(v[i] - sqrt(w[i] / T[i])) < 1e-15);
    /* the forward: log-linear in T, flat outside */
    double Tf[4] = {0.1, 0.75, 1.0, 2.0}, Ff[4];
    cr_assert_eq(qpm_surface_forward(s, 4, Tf, Ff), QPM_OK);
    cr_assert_eq(Ff[0], F1);
    cr_assert(fabs(Ff[1] - sqrt(F1 * F2)) < 1e-12);
    cr_assert_eq(Ff[2], F2);
    cr_assert_eq(Ff[3], F2);
    /* by strike: k = ln(K / F(T)) */
    double K[2] = {110.0, 90.0}, Tk[2] = {0.75, 0.5}, wk[2], vk[2];
    cr_assert_eq(qpm_surface_total_variance(s, 2, Tk, K, wk), QPM_OK);
    cr_assert_eq(qpm_surface_vol(s, 2, Tk, K, vk), QPM_OK);
    double k0 = log(110.0 / sqrt(F1 * F2));
    cr_assert(fabs(wk[0] - 0.5 * (svi_w(&p1, k0) + svi_w(&p2, k0))) < 1e-15);
    cr_assert(fabs(wk[1] - svi_w(&p1, log(0.9))) < 1e-15);
    cr_assert(fabs(vk[1] - sqrt(wk[1] / 0.5)) < 1e-15);
    /* no calendar arbitrage along T at sampled k */
    for (double kk = -2.0; kk <= 2.0; kk += 0.1) {
        double prev = 0.0;
        for (double t = 0.01; t < 3.0; t += 0.01) {
            double ww;
            cr_assert_eq(qpm_surface_total_variance_k(s, 1, &t, &kk, &ww), QPM_OK);
            cr_assert(ww >= prev - 1e-15, "k %g T %g: %g < %g", kk, t, ww, prev);
            prev = ww;
        }
    }
    qpm_surface_free(s);
}

/* ---- bad input --------------------------------------------------------------------- */

Test(surface_edge, bad_inputs_leave_the_surface_as_it_was)
{
    double K[NK], vol[NK], T = 0.5, F = 100.0;
    make_quotes(&GOOD, T, F, -0.6, 0.6, K, vol);
    qpm_surface *s;
    expect_error(qpm_surface_create(NULL, NULL), QPM_E_NULL, "out");
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    qpm_surface_free(NULL);
    cr_assert_eq(qpm_surface_n_slices(NULL), 0);
    cr_assert_eq(qpm_surface_set_slice(s, 0.25, 100.0, &GOOD), QPM_OK);
    qpm_smile_quotes q = vol_quotes(NK, K, vol);
    double Kb[NK], vb[NK], bid[NK], ask[NK], wt[NK];
    memcpy(Kb, K, sizeof K);
    Kb[9] = Kb[8];
    q.strike = Kb;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "q.strike[9]");
    Kb[9] = NAN;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_NONFINITE, "q.strike[9]");
    q.strike = K;
    memcpy(vb, vol, sizeof vol);
    vb[3] = 0.0;
    q.mid = vb;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "q.mid[3]");
    vb[3] = 1e250; /* a vol whose total variance would overflow: out of the domain */
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "must be <= 100");
    memcpy(Kb, K, sizeof K);
    Kb[NK - 1] = F * exp(21.0); /* |ln(K/F)| > 20 */
    q.strike = Kb;
    q.mid = vol;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "|ln(K/F)|");
    q.strike = K;
    q.mid = NULL;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_NULL, "q.bid");
    for (int i = 0; i < NK; i++) {
        bid[i] = vol[i] - 0.01;
        ask[i] = vol[i] + 0.01;
    }
    bid[5] = ask[5] + 0.001;
    q.bid = bid;
    q.ask = ask;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "q.bid[5]");
    q = vol_quotes(NK, K, vol);
    for (int i = 0; i < NK; i++)
        wt[i] = 0.0;
    q.weight = wt;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "all 0");
    wt[2] = -1;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "q.weight[2]");
    q = vol_quotes(0, K, vol);
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_SIZE, "q.n = 0");
    q = vol_quotes(NK, K, vol);
    expect_error(qpm_surface_fit_slice(s, 0.0, F, &q, 0, NULL), QPM_E_INVALID, "T = 0");
    expect_error(qpm_surface_fit_slice(s, T, -1.0, &q, 0, NULL), QPM_E_INVALID, "F = -1");
    expect_error(qpm_surface_fit_slice(s, NAN, F, &q, 0, NULL), QPM_E_NONFINITE, "T");
    expect_error(qpm_surface_fit_slice(s, T, F, NULL, 0, NULL), QPM_E_NULL, "q");
    expect_error(qpm_surface_fit_slice(NULL, T, F, &q, 0, NULL), QPM_E_NULL, "s");
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 8u, NULL), QPM_E_INVALID, "flags");
    qpm_svi_report small = new_rep();
    small.size = 8;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, &small), QPM_E_INVALID, "rep->size");
    q.size = 8;
    expect_error(qpm_surface_fit_slice(s, T, F, &q, 0, NULL), QPM_E_INVALID, "q->size");
    /* price quotes below intrinsic: a call at K = 80 on F = 100 worth 15 */
    double Kp[6] = {80, 90, 100, 110, 120, 130}, pr[6] = {15, 11, 5, 2, 0.8, 0.3};
    int32_t ty[6] = {QPM_CALL, QPM_CALL, QPM_CALL, QPM_CALL, QPM_CALL, 3};
    qpm_smile_quotes qp;
    memset(&qp, 0, sizeof qp);
    qp.size = sizeof qp;
    qp.n = 6;
    qp.strike = Kp;
    qp.kind = QPM_QUOTE_PRICE;
    qp.mid = pr;
    qp.type = ty;
    expect_error(qpm_surface_fit_slice(s, T, F, &qp, 0, NULL), QPM_E_INVALID, "q.type[5]");
    ty[5] = QPM_CALL;
    qp.settlement = 7;
    expect_error(qpm_surface_fit_slice(s, T, F, &qp, 0, NULL), QPM_E_INVALID, "q.settlement");
    qp.settlement = QPM_SETTLE_LINEAR;
    expect_error(qpm_surface_fit_slice(s, T, F, &qp, 0, NULL), QPM_E_ARBITRAGE, "strike 80");
    qp.kind = (qpm_quote_kind)5;
    expect_error(qpm_surface_fit_slice(s, T, F, &qp, 0, NULL), QPM_E_INVALID, "q.kind");
    /* set_slice */
    qpm_svi bad = GOOD;
    bad.rho = -1.5;
    expect_error(qpm_surface_set_slice(s, 1.0, 100.0, &bad), QPM_E_INVALID, "p.rho");
    expect_error(qpm_surface_set_slice(s, -1.0, 100.0, &GOOD), QPM_E_INVALID, "T = -1");
    expect_error(qpm_surface_set_slice(s, 1e308, 100.0, &GOOD), QPM_E_INVALID, "<= 1000");
    expect_error(qpm_surface_set_slice(s, 1.0, INFINITY, &GOOD), QPM_E_NONFINITE, "F");
    expect_error(qpm_surface_set_slice(s, 1.0, 100.0, NULL), QPM_E_NULL, "p");
    /* slice and check */
    expect_error(qpm_surface_slice(s, 1, NULL, NULL, NULL, NULL), QPM_E_INVALID, "i = 1");
    qpm_surface_check_report cr;
    memset(&cr, 0, sizeof cr);
    cr.size = 4;
    expect_error(qpm_surface_check(s, &cr), QPM_E_INVALID, "rep->size");
    expect_error(qpm_surface_check(s, NULL), QPM_E_NULL, "rep");
    /* queries */
    double Tq[2] = {0.5, -1.0}, Kq[2] = {100.0, 100.0}, out[2] = {7.0, 7.0};
    expect_error(qpm_surface_vol(s, 2, Tq, Kq, out), QPM_E_INVALID, "T[1]");
    Tq[1] = 0.5;
    Kq[0] = 0.0;
    expect_error(qpm_surface_total_variance(s, 2, Tq, Kq, out), QPM_E_INVALID, "K[0]");
    Kq[0] = NAN;
    expect_error(qpm_surface_vol_k(s, 2, Tq, Kq, out), QPM_E_NONFINITE, "k[0]");
    expect_error(qpm_surface_total_variance_k(s, 0, Tq, Kq, out), QPM_E_SIZE, "n = 0");
    expect_error(qpm_surface_vol(s, 2, Tq, NULL, out), QPM_E_NULL, "K");
    expect_error(qpm_surface_forward(s, 2, Tq, NULL), QPM_E_NULL, "F");
    cr_assert(out[0] == 7.0 && out[1] == 7.0);
    /* a strike so far out that its log-moneyness overflows: found while
     * computing, named, the points before it written */
    Kq[0] = 100.0, Kq[1] = 0x1p-1074; /* K / F rounds to 0 */
    Tq[0] = Tq[1] = 0.5;
    expect_error(qpm_surface_total_variance(s, 2, Tq, Kq, out), QPM_E_OVERFLOW, "point 1");
    cr_assert(out[0] != 7.0 && out[1] == 7.0);
    /* nothing changed */
    cr_assert_eq(qpm_surface_n_slices(s), 1);
    qpm_svi p;
    double Ts;
    cr_assert_eq(qpm_surface_slice(s, 0, &Ts, NULL, &p, NULL), QPM_OK);
    cr_assert_eq(Ts, 0.25);
    cr_assert_eq(memcmp(&p, &GOOD, sizeof p), 0);
    qpm_surface *e;
    cr_assert_eq(qpm_surface_create(&e, NULL), QPM_OK);
    expect_error(qpm_surface_vol(e, 1, Tq, Kq, out), QPM_E_SIZE, "no slice");
    expect_error(qpm_surface_check(e, &cr), QPM_E_INVALID, "rep->size");
    cr.size = sizeof cr;
    expect_error(qpm_surface_check(e, &cr), QPM_E_SIZE, "no slice");
    qpm_surface_free(e);
    qpm_surface_free(s);
    cr_assert_eq(qt_leak_check(), 0);
}
