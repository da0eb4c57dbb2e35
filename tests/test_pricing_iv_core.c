/* Pricing (white-box): the implied-volatility core of lib/pricing/implied_vol.h.
 *
 * Golden: every row of iv_public.csv (README section 4), through the
 * discounted entry point, with the file's own criterion
 *     |sigma_lib - sigma| <= sigma_tol = 1e-10 sigma + 64 eps price / vega
 * and the much tighter condition-number bound
 *     |sigma_lib - sigma| <= 4 eps (sigma + price / vega)              (C)
 * (eps = 2^-52).  (C) is what a correctly rounded solver can promise: the
 * reference sigma is the exact root for the double price, so the only error
 * left is the solver's own, a few roundings in sigma plus a few roundings of
 * the price carried through d sigma / d price = 1 / vega.  Observed: 1.9.
 *
 * Round trips price a dense grid with the accurate reference Black
 * function, back the volatility out and check
 *     |sigma_back - sigma| <= 8 eps sigma + 8 eps price / vega         (R)
 * the same shape as (C) with room for the generating price's own rounding
 * (the reference Black function has a backward error below 2 ulp in
 * sigma sqrt T, plus the rounding of intrinsic + time value).  Where the
 * double price sits on a no-arbitrage bound (time value lost to rounding or
 * underflow) the solver must report QPM_E_ARBITRAGE instead.
 *
 * The batch entry point (AVX2+FMA vector kernel on this CPU where present)
 * is held to the same bounds, to the statuses of the single calls, and to
 * bit-identical results however its input is cut.  Random inputs far beyond
 * any market check that every call ends with a defined status and that a
 * solved volatility reprices its input within the backward-error bound. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "pricing/implied_vol.h"
#include "pricing/iv_math.h"
#include "support/testutil.h"

#define EPS 0x1p-52

/* ---- reference values (mpmath, 80 digits; rounded once to double) -------- */

/* Normalised Black call b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),
 * including the intrinsic part for x > 0; a = |x|/s in the comment. */
static const struct {
    double x, s, b;
} nb_ref[] = {
    {0.0, 1e-08, 3.989422804014327e-09},              /* a = 0 */
    {0.0, 0.3, 0.11923538474048503},                  /* a = 0 */
    {0.0, 2.5, 0.7887004526662895},                   /* a = 0 */
    {0.0, 40.0, 1.0},                                 /* a = 0 */
    {-1e-10, 0.001, 0.0003989422137788403},           /* a = 1e-07 */
    {-1e-06, 0.02, 0.007978212639237264},             /* a = 5e-05 */
    {-0.001, 0.0004, 8.016548583114318e-07},          /* a = 2.5 */
    {-0.01, 0.003, 3.3623332281481136e-07},           /* a = 3.33 */
    {-0.01, 0.2, 0.07475586709285885},                /* a = 0.05 */
    {-0.1, 0.02, 1.069183048565627e-09},              /* a = 5 */
    {-0.1, 0.7, 0.22665891153863982},                 /* a = 0.143 */
    {-0.5, 0.05, 3.7361342698631205e-26},             /* a = 10 */
    {-0.5, 1.5, 0.33630341911854833},                 /* a = 0.333 */
    {-1.0, 0.1, 7.465397611568617e-26},               /* a = 10 */
    {-1.0, 0.5, 0.004142358750678575},                /* a = 2 */
    {-1.0, 3.0, 0.4777039972474732},                  /* a = 0.333 */
    {-2.0, 0.3, 5.58778356385508e-13},                /* a = 6.67 */
    {-3.0, 0.35, 2.0033473216755803e-19},             /* a = 8.57 */
    {-3.0, 0.8, 1.5654941824076772e-05},              /* a = 3.75 */
    {-3.0, 12.0, 0.22313015823302393},                /* a = 0.25 */
    {-5.0, 0.43, 5.296500261826388e-33},              /* a = 11.6 */
    {-8.0, 0.68, 1.597103176554215e-33},              /* a = 11.8 */
    {-8.0, 30.0, 0.01831563888873418},                /* a = 0.267 */
    {-20.0, 0.8, 9.00301116409052e-140},              /* a = 25 */
    {-20.0, 6.0, 1.4130311077451889e-05},             /* a = 3.33 */
    {-30.0, 1.1, 1.5456578582729304e-165},            /* a = 27.3 */
    {-60.0, 3.0, 1.3417518483037118e-90},             /* a = 20 */
    {-0.3, 0.0093, 3.9011785347462354e-232},          /* a = 32.3 */
    {-2.0, 0.057, 8.410890507066247e-273},            /* a = 35.1 */
    {1.0, 0.5, 1.0463329697381734},                   /* a = 2 */
    {3.0, 0.35, 4.258558910189635},                   /* a = 8.57 */
    {0.01, 0.2, 0.0847559087595776},                  /* a = 0.05 */
};

/* e^{-rT} = hi + lo to 80 digits, split into two doubles. */
static const struct {
    double r, T, hi, lo;
} df_ref[] = {
    {0.05, 1.0, 0.951229424500714, -9.426400457910009e-18},
    {-0.01, 0.25, 1.0025031276057952, -1.0064603832496376e-16},
    {0.0342, 0.00363765, 0.9998756001083083, -4.154540169929649e-17},
    {0.0593, 2.93277, 0.8403697873321805, -4.7034299234192315e-17},
    {1e-09, 5.0, 0.999999995, -1.788735518685204e-17},
    {0.8, 3.0, 0.0907179532894125, -6.630095571976769e-18},
    {-0.3, 2.0, 1.8221188003905089, 4.850485794703611e-17},
    {3.0, 50.0, 7.175095973164411e-66, -4.036148393769481e-82},
};

/* ---- helpers -------------------------------------------------------------- */

/* Undiscounted Black vega dB/dsigma = sqrt(FK) n(d1 + ...) sqrt T, in the
 * normalised form sqrt(FK) n(0) exp(-(x^2/s^2 + s^2/4)/2) sqrt T. */
static double black_vega(double F, double K, double T, double sigma)
{
    double s = sigma * sqrt(T), x = log(F) - log(K);
    double h = x / s, t = 0.5 * s;
    /* in logs: the factors may be huge and the exponential tiny */
    return exp(0.5 * (log(F) + log(K) + log(T)) - 0.91893853320467274 - 0.5 * (h * h + t * t));
}

/* The (R) bound in units of sigma; a subnormal price carries an absolute
 * rounding of up to 2^-1075, i.e. more than its relative half ulp. */
static double rt_bound(double sigma, double price, double vega)
{
    return EPS * sigma + fmax(EPS * price, 0x1p-1074) / vega;
}

/* Whether the double price lies on (within 2 ulp of) a no-arbitrage bound of
 * the undiscounted Black price, or is not positive. */
static int on_black_bound(double p, double F, double K, int is_call)
{
    double up = is_call ? F : K, other = is_call ? K : F;
    double intrinsic = up > other ? up - other : 0.0;
    return !(p > 0.0) || p >= up * (1.0 - 2.0 * EPS) || p <= intrinsic * (1.0 + 2.0 * EPS);
}

/* ---- normalised Black function and helpers ------------------------------- */

Test(pricing_iv_core, normalised_black_matches_reference)
{
    /* The relative condition number of b in (x, s) is about 1 + a^2 (b behaves
     * like exp(-a^2/2)); rounding h = x/s alone costs that much, so the bound
     * is 4 eps (2 + a^2) relative.  Observed: below 1.3 (1 + a^2) ulp. */
    for (size_t i = 0; i < sizeof nb_ref / sizeof nb_ref[0]; i++) {
        double x = nb_ref[i].x, s = nb_ref[i].s, ref = nb_ref[i].b;
        double a = fabs(x) / s;
        double got = qpm__normalised_black_call(x, s);
        double tol = 4.0 * EPS * (2.0 + a * a) * fabs(ref);
        cr_assert(fabs(got - ref) <= tol, "b(%g, %g) = %.17g, expected %.17g (tol %.3g)", x, s, got,
                  ref, tol);
    }
    /* limits: s = 0 gives the intrinsic value, s = inf the upper bound */
    cr_assert_eq(qpm__normalised_black_call(-1.0, 0.0), 0.0);
    cr_assert_float_eq(qpm__normalised_black_call(1.0, 0.0), 2.0 * sinh(0.5), 1e-15);
    cr_assert_float_eq(qpm__normalised_black_call(-1.0, INFINITY), exp(-0.5), 1e-15);
}

Test(pricing_iv_core, discount_factor_double_double)
{
    /* hi + lo must equal e^{-rT} to ~1e-30 relative (the two-double format
     * holds ~106 bits); checked against the 80-digit reference split. */
    for (size_t i = 0; i < sizeof df_ref / sizeof df_ref[0]; i++) {
        double hi, lo;
        qpm__iv_discount_dd(df_ref[i].r, df_ref[i].T, &hi, &lo);
        double err = (hi - df_ref[i].hi) + (lo - df_ref[i].lo);
        cr_assert(fabs(err) <= 1e-30 * df_ref[i].hi, "e^{-%g*%g}: error %.3g", df_ref[i].r,
                  df_ref[i].T, err);
    }
    double hi, lo;
    qpm__iv_discount_dd(0.0, 3.0, &hi, &lo);
    cr_assert(hi == 1.0 && lo == 0.0);
    qpm__iv_discount_dd(0.07, 0.0, &hi, &lo);
    cr_assert(hi == 1.0 && lo == 0.0);
}

Test(pricing_iv_core, inverse_normal_approximation)
{
    /* Used only for initial guesses: documented relative error 4e-10. */
    const double p[] = {1e-300, 1e-100, 1e-20, 1e-5, 0.01, 0.07, 0.2, 0.5, 0.8, 0.93, 0.999};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        double z = qpm__ninv_approx(p[i]);
        double back = qpm__ncdf(z);
        /* dN/N = (n(z)/N(z)) dz; |z| n/N <= ~|z|^2: relative z error r gives
         * a relative CDF error about r z^2 */
        double tol = 4e-10 * (1.0 + z * z) * 4.0;
        cr_assert(fabs(back / p[i] - 1.0) <= tol, "p = %g: N(z) = %.17g", p[i], back);
    }
    cr_assert_eq(qpm__ninv_approx(0.5), 0.0);
}

/* ---- golden -------------------------------------------------------------- */

Test(pricing_iv_core, golden_every_row)
{
    qt_csv *csv = qt_csv_load("iv_public.csv");
    size_t cF = qt_csv_col(csv, "F"), cK = qt_csv_col(csv, "K"), cT = qt_csv_col(csv, "T");
    size_t cr = qt_csv_col(csv, "r"), cty = qt_csv_col(csv, "type"), cp = qt_csv_col(csv, "price");
    size_t cst = qt_csv_col(csv, "status"), cs = qt_csv_col(csv, "sigma");
    size_t cv = qt_csv_col(csv, "vega"), ctol = qt_csv_col(csv, "sigma_tol");
    size_t ccat = qt_csv_col(csv, "category");
    double worst_tol = 0.0, worst_c = 0.0;
    size_t worst_row = 0, n_ok = 0, n_err = 0;
    int iters_hist[QPM__IV_MAX_ITER + 2] = {0};
    for (size_t i = 0; i < csv->nrows; i++) {
        double F = qt_csv_num(csv, i, cF), K = qt_csv_num(csv, i, cK), T = qt_csv_num(csv, i, cT);
        double r = qt_csv_num(csv, i, cr), price = qt_csv_num(csv, i, cp);
        int is_call = strcmp(qt_csv_str(csv, i, cty), "call") == 0;
        int ok = strcmp(qt_csv_str(csv, i, cst), "ok") == 0;
        double sigma = 0.0;
        qpm_status st = qpm__black_implied_vol_df(price, F, K, T, r, is_call, &sigma);
        if (!ok) {
            n_err++;
            cr_assert_eq(st, QPM_E_ARBITRAGE, "row %zu (%s): status %d, sigma %.17g", i,
                         qt_csv_str(csv, i, ccat), (int)st, sigma);
            cr_assert(isnan(sigma));
            if (r == 0.0) {
                sigma = 0.0;
                cr_assert_eq(qpm__black_implied_vol(price, F, K, T, is_call, &sigma),
                             QPM_E_ARBITRAGE, "row %zu", i);
                cr_assert(isnan(sigma));
            }
            continue;
        }
        n_ok++;
        cr_assert_eq(st, QPM_OK, "row %zu (%s): status %d", i, qt_csv_str(csv, i, ccat), (int)st);
        double ref = qt_csv_num(csv, i, cs), tol = qt_csv_num(csv, i, ctol);
        double vega = qt_csv_num(csv, i, cv);
        double err = fabs(sigma - ref);
        cr_assert(err <= tol, "row %zu: sigma %.17g, expected %.17g (tol %.3g)", i, sigma, ref, tol);
        double ctight = EPS * (ref + price / vega);
        cr_assert(err <= 4.0 * ctight, "row %zu: sigma %.17g, expected %.17g: %.2f eps(sigma + p/vega)",
                  i, sigma, ref, err / ctight);
        if (err / tol > worst_tol) {
            worst_tol = err / tol;
            worst_row = i;
        }
        worst_c = fmax(worst_c, err / ctight);
        /* the undiscounted entry point: same result when r = 0; iteration count */
        double ph = price, pl = 0.0;
        cr_assert_eq(qpm__iv_undiscount(price, r, T, &ph, &pl), QPM_OK);
        double s2 = 0.0;
        int it = -1;
        cr_assert_eq(qpm__black_implied_vol_iter(ph, F, K, T, is_call, &s2, &it), QPM_OK);
        cr_assert(it >= 1 && it <= QPM__IV_MAX_ITER, "row %zu: %d iterations", i, it);
        iters_hist[it]++;
        if (r == 0.0) {
            double s3 = 0.0;
            cr_assert_eq(qpm__black_implied_vol(price, F, K, T, is_call, &s3), QPM_OK);
            cr_assert_eq(s3, sigma, "row %zu", i);
        }
    }
    cr_assert_eq(n_ok + n_err, csv->nrows);
    cr_assert_gt(n_err, 0);
    cr_log_info("iv_public: %zu solved, %zu rejected; worst |err|/sigma_tol = %.3g (row %zu), "
                "worst |err|/(eps(sigma + price/vega)) = %.3g; iterations: 1: %d, 2: %d",
                n_ok, n_err, worst_tol, worst_row, worst_c, iters_hist[1], iters_hist[2]);
    qt_csv_free(csv);
}

/* ---- round trips ------------------------------------------------------------ */

static const double grid_T[] = {1.0 / 8760.0, 4.0 / 8760.0, 1.0 / 365.0, 7.0 / 365.0, 30.0 / 365.0,
                                0.25, 1.0, 2.0, 5.0};
static const double grid_vol[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8,
                                  1.0, 1.5, 2.0, 3.0, 4.0, 5.0};

Test(pricing_iv_core, black_round_trip_grid)
{
    const double F = 1000.0;
    double worst = 0.0;
    size_t n = 0, n_bound = 0;
    int hist[QPM__IV_MAX_ITER + 2] = {0};
    for (int ix = -24; ix <= 24; ix++) {
        double x = 0.125 * ix; /* ln(F/K) from -3 to 3 */
        double K = F * exp(-x);
        for (size_t it = 0; it < sizeof grid_T / sizeof grid_T[0]; it++) {
            double T = grid_T[it];
            for (size_t iv = 0; iv < sizeof grid_vol / sizeof grid_vol[0]; iv++) {
                double vol = grid_vol[iv];
                for (int is_call = 0; is_call <= 1; is_call++) {
                    double p = qpm__black_price(F, K, T, vol, is_call);
                    double sigma = 0.0;
                    int iters = 0;
                    qpm_status st = qpm__black_implied_vol_iter(p, F, K, T, is_call, &sigma, &iters);
                    if (on_black_bound(p, F, K, is_call) && st == QPM_E_ARBITRAGE) {
                        n_bound++;
                        continue;
                    }
                    cr_assert_eq(st, QPM_OK, "x=%g T=%g vol=%g call=%d p=%.17g: status %d", x, T,
                                 vol, is_call, p, (int)st);
                    cr_assert(iters >= 1 && iters <= QPM__IV_MAX_ITER, "x=%g T=%g vol=%g call=%d: %d iterations", x, T, vol, is_call, iters);
                    hist[iters]++;
                    double bound = rt_bound(vol, p, black_vega(F, K, T, vol));
                    double err = fabs(sigma - vol);
                    cr_assert(err <= 8.0 * bound, "x=%g T=%g vol=%g call=%d: sigma %.17g (%.2f units)",
                              x, T, vol, is_call, sigma, err / bound);
                    worst = fmax(worst, err / bound);
                    n++;
                }
            }
        }
    }
    cr_assert_gt(n, 7000);
    cr_log_info("Black round trip: %zu solved, %zu on a bound (rejected); worst |err|/(eps(sigma + "
                "price/vega)) = %.3g; iterations: 1: %d, 2: %d",
                n, n_bound, worst, hist[1], hist[2]);
}

Test(pricing_iv_core, black_round_trip_discounted)
{
    /* Discounted prices: the double product e^{-rT} B adds half an ulp to
     * the price, inside (R). */
    const double F = 30000.0;
    const double rates[] = {-0.02, 0.0, 0.07};
    double worst = 0.0;
    size_t n = 0;
    for (size_t ir = 0; ir < 3; ir++) {
        for (int ix = -12; ix <= 12; ix++) {
            double K = F * exp(-0.25 * ix);
            for (size_t it = 0; it < sizeof grid_T / sizeof grid_T[0]; it++) {
                double T = grid_T[it], r = rates[ir];
                for (size_t iv = 0; iv < sizeof grid_vol / sizeof grid_vol[0]; iv += 2) {
                    double vol = grid_vol[iv];
                    for (int is_call = 0; is_call <= 1; is_call++) {
                        double pu = qpm__black_price(F, K, T, vol, is_call);
                        double p = exp(-r * T) * pu;
                        double sigma = 0.0;
                        qpm_status st = qpm__black_implied_vol_df(p, F, K, T, r, is_call, &sigma);
                        if (on_black_bound(pu, F, K, is_call)) {
                            cr_assert(st == QPM_OK || st == QPM_E_ARBITRAGE);
                            continue;
                        }
                        cr_assert_eq(st, QPM_OK, "r=%g K=%g T=%g vol=%g: status %d", r, K, T, vol,
                                     (int)st);
                        double bound = rt_bound(vol, pu, black_vega(F, K, T, vol));
                        double err = fabs(sigma - vol);
                        cr_assert(err <= 8.0 * bound, "r=%g K=%g T=%g vol=%g call=%d: %.2f units", r,
                                  K, T, vol, is_call, err / bound);
                        worst = fmax(worst, err / bound);
                        n++;
                    }
                }
            }
        }
    }
    cr_log_info("discounted round trip: %zu solved; worst %.3g eps(sigma + price/vega)", n, worst);
}

Test(pricing_iv_core, put_call_parity_consistency)
{
    /* A call price and the put price from parity imply the same volatility:
     * both reduce to the same out-of-the-money problem. */
    const double F = 250.0, T = 0.5;
    for (int ix = -8; ix <= 8; ix++) {
        double K = F * exp(0.2 * ix);
        for (size_t iv = 0; iv < sizeof grid_vol / sizeof grid_vol[0]; iv++) {
            double c = qpm__black_price(F, K, T, grid_vol[iv], 1);
            double p = c - (F - K);
            if (on_black_bound(c, F, K, 1) || on_black_bound(p, F, K, 0))
                continue;
            double sc = 0.0, sp = 0.0;
            cr_assert_eq(qpm__black_implied_vol(c, F, K, T, 1, &sc), QPM_OK);
            cr_assert_eq(qpm__black_implied_vol(p, F, K, T, 0, &sp), QPM_OK);
            /* the put price carries the rounding of c - (F - K): half an ulp
             * of the larger of c and |F - K| */
            double vega = black_vega(F, K, T, grid_vol[iv]);
            double tol = 8.0 * EPS * (sc + fmax(c, fabs(F - K)) / vega);
            cr_assert(fabs(sc - sp) <= tol, "K=%g vol=%g: call %.17g put %.17g", K, grid_vol[iv],
                      sc, sp);
        }
    }
}

/* ---- exact bounds ---------------------------------------------------------- */

Test(pricing_iv_core, bounds_are_exact)
{
    double s;
    /* call upper bound F, put upper bound K (r = 0: exact doubles) */
    cr_assert_eq(qpm__black_implied_vol(100.0, 100.0, 90.0, 1.0, 1, &s), QPM_E_ARBITRAGE);
    cr_assert(isnan(s));
    cr_assert_eq(qpm__black_implied_vol(nextafter(100.0, 0.0), 100.0, 90.0, 1.0, 1, &s), QPM_OK);
    cr_assert(isfinite(s) && s > 10.0);
    cr_assert_eq(qpm__black_implied_vol(90.0, 100.0, 90.0, 1.0, 0, &s), QPM_E_ARBITRAGE);
    cr_assert_eq(qpm__black_implied_vol(nextafter(90.0, 0.0), 100.0, 90.0, 1.0, 0, &s), QPM_OK);
    /* intrinsic: exactly at it is rejected, one ulp above is solved */
    cr_assert_eq(qpm__black_implied_vol(10.0, 100.0, 90.0, 1.0, 1, &s), QPM_E_ARBITRAGE);
    cr_assert_eq(qpm__black_implied_vol(nextafter(10.0, 20.0), 100.0, 90.0, 1.0, 1, &s), QPM_OK);
    cr_assert(isfinite(s) && s > 0.0 && s < 0.2);
    cr_assert_eq(qpm__black_implied_vol(nextafter(10.0, 0.0), 100.0, 90.0, 1.0, 1, &s),
                 QPM_E_ARBITRAGE);
    /* intrinsic F - K not representable: F = 1 + 2^-52, K = 2^-60 */
    double F = 1.0 + EPS, K = 0x1p-60;
    double fk = F - K; /* rounds up to F: the true intrinsic is below it */
    cr_assert_eq(qpm__black_implied_vol(fk, F, K, 1.0, 1, &s), QPM_E_ARBITRAGE); /* = upper */
    cr_assert_eq(qpm__black_implied_vol(1.0, F, K, 1.0, 1, &s), QPM_E_ARBITRAGE); /* < F - K */
    /* zero, negative, tiny */
    cr_assert_eq(qpm__black_implied_vol(0.0, 100.0, 120.0, 1.0, 1, &s), QPM_E_ARBITRAGE);
    cr_assert_eq(qpm__black_implied_vol(-1.0, 100.0, 120.0, 1.0, 1, &s), QPM_E_ARBITRAGE);
    cr_assert_eq(qpm__black_implied_vol(1e-270, 100.0, 120.0, 1.0, 1, &s), QPM_OK);
    cr_assert(s > 0.0 && s < 0.02);
    cr_assert_eq(qpm__black_implied_vol(DBL_TRUE_MIN, 100.0, 120.0, 1.0, 1, &s), QPM_OK);
    cr_assert(s > 0.0 && s < 0.01);
}

Test(pricing_iv_core, discounted_bounds_are_exact)
{
    /* Upper bound e^{-rT} F: prices 2 ulp on either side of the rounded
     * product fall on the right sides of the exact bound (the product is
     * within half an ulp of it). */
    const double F = 1234.5, K = 1000.0, T = 0.75;
    const double rates[] = {0.05, -0.03, 1e-7};
    for (int i = 0; i < 3; i++) {
        double r = rates[i], dh, dl, s;
        qpm__iv_discount_dd(r, T, &dh, &dl);
        double up = dh * F;
        double below = nextafter(nextafter(up, 0.0), 0.0), above = nextafter(nextafter(up, 1e9), 1e9);
        cr_assert_eq(qpm__black_implied_vol_df(below, F, K, T, r, 1, &s), QPM_OK, "r=%g", r);
        cr_assert(s > 5.0);
        cr_assert_eq(qpm__black_implied_vol_df(above, F, K, T, r, 1, &s), QPM_E_ARBITRAGE);
        /* intrinsic e^{-rT}(F - K) */
        double in = dh * (F - K);
        double in_above = nextafter(nextafter(in, 1e9), 1e9), in_below = nextafter(nextafter(in, 0.0), 0.0);
        cr_assert_eq(qpm__black_implied_vol_df(in_above, F, K, T, r, 1, &s), QPM_OK, "r=%g", r);
        cr_assert(s > 0.0 && s < 0.1);
        cr_assert_eq(qpm__black_implied_vol_df(in_below, F, K, T, r, 1, &s), QPM_E_ARBITRAGE);
    }
}

Test(pricing_iv_core, bad_inputs)
{
    double s = 1.0;
    cr_assert_eq(qpm__black_implied_vol(1.0, 100.0, 100.0, 1.0, 1, NULL), QPM_E_NULL);
    cr_assert_eq(qpm__black_implied_vol_df(1.0, 100.0, 100.0, 1.0, 0.0, 1, NULL), QPM_E_NULL);
    cr_assert_eq(qpm__bachelier_implied_vol(1.0, 100.0, 100.0, 1.0, 1, NULL), QPM_E_NULL);
    cr_assert_eq(qpm__bachelier_implied_vol_df(1.0, 100.0, 100.0, 1.0, 0.0, 1, NULL), QPM_E_NULL);
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        s = 1.0;
        cr_assert_eq(qpm__black_implied_vol(bad[i], 100.0, 100.0, 1.0, 1, &s), QPM_E_NONFINITE);
        cr_assert(isnan(s));
        cr_assert_eq(qpm__black_implied_vol(1.0, bad[i], 100.0, 1.0, 1, &s), QPM_E_NONFINITE);
        cr_assert_eq(qpm__black_implied_vol(1.0, 100.0, bad[i], 1.0, 1, &s), QPM_E_NONFINITE);
        cr_assert_eq(qpm__black_implied_vol(1.0, 100.0, 100.0, bad[i], 1, &s), QPM_E_NONFINITE);
        cr_assert_eq(qpm__black_implied_vol_df(1.0, 100.0, 100.0, 1.0, bad[i], 1, &s),
                     QPM_E_NONFINITE);
        cr_assert_eq(qpm__bachelier_implied_vol(bad[i], 100.0, 100.0, 1.0, 1, &s), QPM_E_NONFINITE);
        cr_assert_eq(qpm__bachelier_implied_vol(1.0, bad[i], 100.0, 1.0, 1, &s), QPM_E_NONFINITE);
        cr_assert_eq(qpm__bachelier_implied_vol_df(1.0, 100.0, 100.0, 1.0, bad[i], 1, &s),
                     QPM_E_NONFINITE);
    }
    cr_assert_eq(qpm__black_implied_vol(1.0, 0.0, 100.0, 1.0, 1, &s), QPM_E_INVALID);
    cr_assert_eq(qpm__black_implied_vol(1.0, -5.0, 100.0, 1.0, 1, &s), QPM_E_INVALID);
    cr_assert_eq(qpm__black_implied_vol(1.0, 100.0, 0.0, 1.0, 1, &s), QPM_E_INVALID);
    cr_assert_eq(qpm__black_implied_vol(1.0, 100.0, 100.0, 0.0, 1, &s), QPM_E_INVALID);
    cr_assert_eq(qpm__black_implied_vol(1.0, 100.0, 100.0, -1.0, 1, &s), QPM_E_INVALID);
    cr_assert_eq(qpm__black_implied_vol_df(1.0, 100.0, 100.0, -1.0, 0.01, 1, &s), QPM_E_INVALID);
    cr_assert_eq(qpm__bachelier_implied_vol(1.0, 100.0, 100.0, 0.0, 1, &s), QPM_E_INVALID);
    /* a discount factor outside the double range */
    cr_assert_eq(qpm__black_implied_vol_df(1.0, 100.0, 100.0, 10.0, 100.0, 1, &s), QPM_E_INVALID);
    /* the iteration count is reported as 0 on failure */
    int it = 7;
    cr_assert_eq(qpm__black_implied_vol_iter(-1.0, 100.0, 100.0, 1.0, 1, &s, &it), QPM_E_ARBITRAGE);
    cr_assert_eq(it, 0);
}

/* ---- Bachelier ------------------------------------------------------------- */

Test(pricing_iv_core, bachelier_round_trip_grid)
{
    /* Bachelier vega sqrt(T) n(z): same bound shape (R).  F and K may be of
     * any sign in the normal model. */
    const double F = 1000.0;
    const double dm[] = {0.0, 1e-9, 1e-4, 0.5, 7.0, 60.0, 400.0, 3000.0};
    const double nv[] = {0.01, 1.0, 30.0, 200.0, 1000.0, 2e4};
    double worst = 0.0;
    size_t n = 0, n_bound = 0;
    for (size_t im = 0; im < sizeof dm / sizeof dm[0]; im++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            double K = F - sign * dm[im];
            for (size_t it = 0; it < sizeof grid_T / sizeof grid_T[0]; it++) {
                double T = grid_T[it];
                for (size_t iv = 0; iv < sizeof nv / sizeof nv[0]; iv++) {
                    for (int is_call = 0; is_call <= 1; is_call++) {
                        double vol = nv[iv];
                        double p = qpm__bachelier_price(F, K, T, vol, is_call);
                        double sigma = 0.0;
                        qpm_status st = qpm__bachelier_implied_vol(p, F, K, T, is_call, &sigma);
                        double d = is_call ? F - K : K - F;
                        double intrinsic = d > 0.0 ? d : 0.0;
                        if (st == QPM_E_ARBITRAGE && (!(p > 0.0) || p <= intrinsic * (1.0 + 2.0 * EPS))) {
                            n_bound++;
                            continue;
                        }
                        cr_assert_eq(st, QPM_OK, "K=%g T=%g vol=%g call=%d p=%.17g: %d", K, T, vol,
                                     is_call, p, (int)st);
                        double z = fabs(F - K) / (vol * sqrt(T));
                        double vega = sqrt(T) * qpm__npdf(z);
                        double bound = rt_bound(vol, p, vega);
                        double err = fabs(sigma - vol);
                        cr_assert(err <= 8.0 * bound, "K=%g T=%g vol=%g call=%d: sigma %.17g (%.2f)", K,
                                  T, vol, is_call, sigma, err / bound);
                        worst = fmax(worst, err / bound);
                        n++;
                    }
                }
            }
        }
    }
    cr_assert_gt(n, 1000);
    cr_log_info("Bachelier round trip: %zu solved, %zu on a bound; worst %.3g eps(sigma + "
                "price/vega)", n, n_bound, worst);
}

Test(pricing_iv_core, bachelier_bounds_and_discount)
{
    double s;
    /* intrinsic exactly: rejected; one ulp above: solved; no upper bound */
    cr_assert_eq(qpm__bachelier_implied_vol(10.0, 100.0, 90.0, 1.0, 1, &s), QPM_E_ARBITRAGE);
    cr_assert(isnan(s));
    cr_assert_eq(qpm__bachelier_implied_vol(nextafter(10.0, 20.0), 100.0, 90.0, 1.0, 1, &s), QPM_OK);
    cr_assert(s > 0.0 && s < 5.0);
    /* huge time value: s ~ v sqrt(2 pi) (1 + z sqrt(pi/2)), z = m/s ~ 4e-6 */
    cr_assert_eq(qpm__bachelier_implied_vol(1e6, 100.0, 90.0, 1.0, 0, &s), QPM_OK);
    cr_assert_float_eq(s, 1e6 * QPM__IV_SQRT_2PI, 1e-4 * 1e6 * QPM__IV_SQRT_2PI);
    cr_assert_eq(qpm__bachelier_implied_vol(0.0, 100.0, 90.0, 1.0, 0, &s), QPM_E_ARBITRAGE);
    cr_assert_eq(qpm__bachelier_implied_vol(-2.0, 100.0, 90.0, 1.0, 0, &s), QPM_E_ARBITRAGE);
    /* negative forward and strike are valid in the normal model */
    double p = qpm__bachelier_price(-3.0, -2.5, 0.5, 1.7, 0);
    cr_assert_eq(qpm__bachelier_implied_vol(p, -3.0, -2.5, 0.5, 0, &s), QPM_OK);
    cr_assert(fabs(s - 1.7) <= 8.0 * EPS * (1.7 + p / (sqrt(0.5) * qpm__npdf(0.5 / (1.7 * sqrt(0.5))))));
    /* at the money: closed form sigma = price sqrt(2 pi / T) */
    cr_assert_eq(qpm__bachelier_implied_vol(2.0, 50.0, 50.0, 4.0, 1, &s), QPM_OK);
    cr_assert_float_eq(s, 2.0 * QPM__IV_SQRT_2PI / 2.0, 4.0 * EPS);
    /* discounted */
    double pu = qpm__bachelier_price(100.0, 104.0, 2.0, 12.0, 1);
    double pd = exp(-0.05 * 2.0) * pu;
    cr_assert_eq(qpm__bachelier_implied_vol_df(pd, 100.0, 104.0, 2.0, 0.05, 1, &s), QPM_OK);
    double vega = sqrt(2.0) * qpm__npdf(4.0 / (12.0 * sqrt(2.0)));
    cr_assert(fabs(s - 12.0) <= 8.0 * EPS * (12.0 + pu / vega), "sigma %.17g", s);
}

/* ---- batch (vector kernel where the CPU has AVX2+FMA) ------------------------ */

Test(pricing_iv_core, batch_matches_single_calls)
{
    /* Every element of the batch must carry the status of the single call,
     * and a solved volatility within (R) of it (the vector kernel rounds
     * differently in the last few ulp).  The grid mixes every branch, prices
     * on the bounds, tiny prices (scalar fallback inside a vector block) and
     * bad inputs, at positions that cross the blocks of eight. */
    enum { N = 3000 };
    static double price[N], Fv[N], Kv[N], Tv[N], rv[N], sb[N], vol[N];
    static int32_t type[N], st[N];
    size_t n = 0;
    unsigned long long seed = 12345;
    while (n < N) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u1 = (double)(seed >> 11) * 0x1p-53;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u2 = (double)(seed >> 11) * 0x1p-53;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u3 = (double)(seed >> 11) * 0x1p-53;
        double F = 1000.0, x = 6.0 * u1 - 3.0, K = F * exp(-x);
        double T = grid_T[n % (sizeof grid_T / sizeof grid_T[0])];
        double v = 0.005 * exp(u2 * log(1000.0)); /* 0.5 % .. 500 % */
        int c = u3 < 0.5;
        double r = (n % 3 == 0) ? 0.0 : (n % 3 == 1 ? 0.04 : -0.01);
        double p = exp(-r * T) * qpm__black_price(F, K, T, v, c);
        if (n % 97 == 5)
            p = NAN; /* bad input inside a block */
        if (n % 89 == 7)
            p = -1.0;
        if (n % 83 == 3)
            p = exp(-r * T) * (c ? F : K); /* on the upper bound */
        price[n] = p, Fv[n] = F, Kv[n] = K, Tv[n] = T, rv[n] = r, vol[n] = v;
        type[n] = c ? 1 : -1;
        n++;
    }
    size_t fails = qpm__black_implied_vol_batch(N, price, Fv, Kv, Tv, rv, type, sb, st);
    size_t f2 = 0, nsolved = 0;
    for (size_t i = 0; i < N; i++) {
        double s1 = 0.0;
        qpm_status s = qpm__black_implied_vol_df(price[i], Fv[i], Kv[i], Tv[i], rv[i], type[i] > 0, &s1);
        cr_assert_eq(st[i], (int32_t)s, "element %zu: batch status %d, single %d", i, st[i], (int)s);
        if (s != QPM_OK) {
            f2++;
            cr_assert(isnan(sb[i]), "element %zu", i);
            continue;
        }
        nsolved++;
        double pu = price[i] * exp(rv[i] * Tv[i]);
        double bound = rt_bound(s1, pu, black_vega(Fv[i], Kv[i], Tv[i], s1));
        cr_assert(fabs(sb[i] - s1) <= 8.0 * bound, "element %zu: batch %.17g single %.17g", i,
                  sb[i], s1);
    }
    cr_assert_eq(fails, f2);
    cr_assert_gt(nsolved, 1000);
    cr_log_info("batch vs single calls: %zu solved, %zu rejected", nsolved, f2);
    /* no status array, undiscounted (r == NULL), n = 0, a short tail */
    static double s2[N];
    for (size_t i = 0; i < 13; i++)
        price[i] = qpm__black_price(Fv[i], Kv[i], Tv[i], vol[i], type[i] > 0);
    cr_assert_eq(qpm__black_implied_vol_batch(0, price, Fv, Kv, Tv, NULL, type, s2, NULL), 0);
    size_t f3 = qpm__black_implied_vol_batch(13, price, Fv, Kv, Tv, NULL, type, s2, NULL);
    for (size_t i = 0; i < 13; i++) {
        double s1 = 0.0;
        qpm_status s = qpm__black_implied_vol(price[i], Fv[i], Kv[i], Tv[i], type[i] > 0, &s1);
        if (s != QPM_OK) {
            cr_assert(isnan(s2[i]));
            f3--;
            continue;
        }
        double bound = rt_bound(s1, price[i], black_vega(Fv[i], Kv[i], Tv[i], s1));
        cr_assert(fabs(s2[i] - s1) <= 8.0 * bound, "element %zu", i);
    }
    cr_assert_eq(f3, 0);
}

Test(pricing_iv_core, batch_golden_every_row)
{
    /* The batch on the whole iv_public.csv: the file's criterion and (C). */
    qt_csv *csv = qt_csv_load("iv_public.csv");
    size_t n = csv->nrows;
    cr_assert_leq(n, (size_t)1024);
    static double price[1024], F[1024], K[1024], T[1024], r[1024], sg[1024];
    static int32_t type[1024], st[1024];
    size_t cF = qt_csv_col(csv, "F"), cK = qt_csv_col(csv, "K"), cT = qt_csv_col(csv, "T");
    size_t cr = qt_csv_col(csv, "r"), cty = qt_csv_col(csv, "type"), cp = qt_csv_col(csv, "price");
    size_t cst = qt_csv_col(csv, "status"), cs = qt_csv_col(csv, "sigma");
    size_t cv = qt_csv_col(csv, "vega"), ctol = qt_csv_col(csv, "sigma_tol");
    for (size_t i = 0; i < n; i++) {
        F[i] = qt_csv_num(csv, i, cF), K[i] = qt_csv_num(csv, i, cK), T[i] = qt_csv_num(csv, i, cT);
        r[i] = qt_csv_num(csv, i, cr), price[i] = qt_csv_num(csv, i, cp);
        type[i] = strcmp(qt_csv_str(csv, i, cty), "call") == 0 ? 1 : -1;
    }
    size_t fails = qpm__black_implied_vol_batch(n, price, F, K, T, r, type, sg, st);
    size_t nerr = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(qt_csv_str(csv, i, cst), "ok") != 0) {
            nerr++;
            cr_assert_eq(st[i], (int32_t)QPM_E_ARBITRAGE, "row %zu", i);
            cr_assert(isnan(sg[i]));
            continue;
        }
        cr_assert_eq(st[i], (int32_t)QPM_OK, "row %zu: status %d", i, st[i]);
        double ref = qt_csv_num(csv, i, cs), err = fabs(sg[i] - ref);
        cr_assert(err <= qt_csv_num(csv, i, ctol), "row %zu", i);
        double c = EPS * (ref + price[i] / qt_csv_num(csv, i, cv));
        cr_assert(err <= 8.0 * c, "row %zu: %.2f units", i, err / c);
        worst = fmax(worst, err / c);
    }
    cr_assert_eq(fails, nerr);
    cr_log_info("batch on iv_public: worst |err|/(eps(sigma + price/vega)) = %.3g", worst);
    qt_csv_free(csv);
}

Test(pricing_iv_core, batch_round_trip_grid)
{
    /* The dense grid of black_round_trip_grid through the batch: (R) against
     * the generating volatility, and QPM_E_ARBITRAGE exactly where the
     * double price sits on a bound. */
    enum { NMAX = 49 * 9 * 14 * 2 };
    static double price[NMAX], Fv[NMAX], Kv[NMAX], Tv[NMAX], vol[NMAX], sg[NMAX];
    static int32_t type[NMAX], st[NMAX];
    size_t n = 0;
    for (int ix = -24; ix <= 24; ix++)
        for (size_t it = 0; it < sizeof grid_T / sizeof grid_T[0]; it++)
            for (size_t iv = 0; iv < sizeof grid_vol / sizeof grid_vol[0]; iv++)
                for (int c = 0; c <= 1; c++) {
                    Fv[n] = 1000.0, Kv[n] = 1000.0 * exp(-0.125 * ix), Tv[n] = grid_T[it];
                    vol[n] = grid_vol[iv], type[n] = c ? 1 : -1;
                    price[n] = qpm__black_price(Fv[n], Kv[n], Tv[n], vol[n], c);
                    n++;
                }
    qpm__black_implied_vol_batch(n, price, Fv, Kv, Tv, NULL, type, sg, st);
    double worst = 0.0;
    size_t nok = 0;
    for (size_t i = 0; i < n; i++) {
        if (on_black_bound(price[i], Fv[i], Kv[i], type[i] > 0) && st[i] == (int32_t)QPM_E_ARBITRAGE)
            continue;
        cr_assert_eq(st[i], (int32_t)QPM_OK, "element %zu: status %d", i, st[i]);
        double bound = rt_bound(vol[i], price[i], black_vega(Fv[i], Kv[i], Tv[i], vol[i]));
        double err = fabs(sg[i] - vol[i]);
        cr_assert(err <= 8.0 * bound, "K=%g T=%g vol=%g type=%d: %.2f units", Kv[i], Tv[i], vol[i],
                  type[i], err / bound);
        worst = fmax(worst, err / bound);
        nok++;
    }
    cr_assert_gt(nok, 7000);
    cr_log_info("batch round trip: %zu solved; worst %.3g eps(sigma + price/vega)", nok, worst);
}

static double rnd_unit(unsigned long long *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*seed >> 11) * 0x1p-53;
}

Test(pricing_iv_core, random_extreme_inputs)
{
    /* Log-uniform inputs far outside any market (forwards and strikes from
     * 1e-150 to 1e150, T from 1e-6 to 1e3 years, prices anywhere in and
     * around the no-arbitrage interval): every call must end with a defined
     * status, and a solved volatility must reprice the input within its
     * backward error, |B(sigma) - p| <= 64 eps (p + vega sigma) (a few ulp
     * of sigma and of the price; the condition number links the two).  The
     * batch must agree with the single calls on every status. */
    enum { N = 20000 };
    static double P[N], Fv[N], Kv[N], Tv[N], sb[N];
    static int32_t type[N], st[N];
    unsigned long long seed = 987654321ull;
#define RND() rnd_unit(&seed)
    for (size_t i = 0; i < N; i++) {
        double F = exp((RND() - 0.5) * 690.0);
        double wide = RND() < 0.5 ? 6.0 : 60.0;
        double K = F * exp((RND() - 0.5) * wide);
        double T = exp(log(1e-6) + RND() * log(1e9));
        int c = RND() < 0.5;
        double up = c ? F : K, other = c ? K : F;
        double in = up > other ? up - other : 0.0;
        double u = RND(), p;
        if (u < 0.1)
            p = in * (1.0 + (RND() - 0.5) * 1e-12); /* around intrinsic */
        else if (u < 0.2)
            p = up * (1.0 - RND() * 1e-9); /* near the upper bound */
        else if (u < 0.3)
            p = up * exp(-RND() * 700.0); /* tiny */
        else
            p = qpm__black_price(F, K, T, exp((RND() - 0.5) * 12.0), c);
        P[i] = p, Fv[i] = F, Kv[i] = K, Tv[i] = T, type[i] = c ? 1 : -1;
    }
#undef RND
    qpm__black_implied_vol_batch(N, P, Fv, Kv, Tv, NULL, type, sb, st);
    size_t nok = 0, nnc = 0;
    for (size_t i = 0; i < N; i++) {
        double s = 0.0;
        int c = type[i] > 0;
        qpm_status r = qpm__black_implied_vol(P[i], Fv[i], Kv[i], Tv[i], c, &s);
        cr_assert(r == QPM_OK || r == QPM_E_ARBITRAGE || r == QPM_E_NOCONVERGE,
                  "element %zu: status %d", i, (int)r);
        cr_assert_eq(st[i], (int32_t)r, "element %zu: batch %d single %d", i, st[i], (int)r);
        if (r != QPM_OK) {
            cr_assert(isnan(s) && isnan(sb[i]));
            nnc += r == QPM_E_NOCONVERGE;
            continue;
        }
        nok++;
        for (int k = 0; k < 2; k++) {
            double sg = k ? sb[i] : s;
            cr_assert(isfinite(sg) && sg > 0.0, "element %zu", i);
            double pb = qpm__black_price(Fv[i], Kv[i], Tv[i], sg, c);
            double vega = black_vega(Fv[i], Kv[i], Tv[i], sg);
            double tol = 64.0 * EPS * (P[i] + (isfinite(vega) ? vega * sg : 0.0)) + 0x1p-1070;
            cr_assert(fabs(pb - P[i]) <= tol,
                      "element %zu (%s): F=%g K=%g T=%g p=%.17g sigma=%.17g reprices to %.17g",
                      i, k ? "batch" : "single", Fv[i], Kv[i], Tv[i], P[i], sg, pb);
        }
    }
    cr_assert_gt(nok, 5000);
    cr_log_info("random extreme inputs: %zu of %d solved, %zu not resolvable (QPM_E_NOCONVERGE)",
                nok, N, nnc);
}

Test(pricing_iv_core, batch_independent_of_split)
{
    /* Each lane's result depends on its own inputs only, so any cut of the
     * input (as a threaded caller makes) gives bit-identical volatilities. */
    enum { N = 1000 };
    static double P[N], Fv[N], Kv[N], Tv[N], s1[N], s2[N];
    static int32_t type[N], st1[N], st2[N];
    unsigned long long seed = 4242;
    for (size_t i = 0; i < N; i++) {
        Fv[i] = 2e4 + 8e4 * rnd_unit(&seed);
        Kv[i] = Fv[i] * exp(1.4 * (rnd_unit(&seed) - 0.5));
        Tv[i] = 1.0 / 365.0 + 2.0 * rnd_unit(&seed);
        type[i] = rnd_unit(&seed) < 0.5 ? 1 : -1;
        P[i] = qpm__black_price(Fv[i], Kv[i], Tv[i], 0.2 + 1.3 * rnd_unit(&seed), type[i] > 0);
    }
    qpm__black_implied_vol_batch(N, P, Fv, Kv, Tv, NULL, type, s1, st1);
    for (size_t b = 0; b < N;) {
        size_t len = 1 + (size_t)(rnd_unit(&seed) * 13.0);
        if (len > N - b)
            len = N - b;
        qpm__black_implied_vol_batch(len, P + b, Fv + b, Kv + b, Tv + b, NULL, type + b, s2 + b,
                                     st2 + b);
        b += len;
    }
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(st1[i], st2[i], "element %zu", i);
        cr_assert(memcmp(&s1[i], &s2[i], sizeof s1[i]) == 0, "element %zu: %.17g vs %.17g", i,
                  s1[i], s2[i]);
    }
}
