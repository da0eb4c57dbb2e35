/* Pricing: implied volatility through the public batch API.
 *  - golden: every row of iv_public.csv (README section 4) through
 *    qpm_pricer_implied_vol of a Black-76 linear pricer: ok rows meet the
 *    file's own criterion |sigma - ref| <= sigma_tol; error rows come back
 *    as QPM_E_ARBITRAGE with NaN, and the call reports the first of them;
 *  - round trips for BSM, Black-76, coin-settled and Bachelier pricers on a
 *    dense grid: price with qpm_pricer_price, back out the vol, compare. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/pricing.h"
#include "support/testutil.h"

#define EPS 0x1p-52

Test(pricing_iv, golden_every_row)
{
    qt_csv *csv = qt_csv_load("iv_public.csv");
    size_t n = csv->nrows;
    double *F = calloc(n, sizeof *F), *K = calloc(n, sizeof *K), *T = calloc(n, sizeof *T);
    double *r = calloc(n, sizeof *r), *pr = calloc(n, sizeof *pr), *sg = calloc(n, sizeof *sg);
    int32_t *ty = calloc(n, sizeof *ty), *st = calloc(n, sizeof *st);
    size_t cF = qt_csv_col(csv, "F"), cK = qt_csv_col(csv, "K"), cT = qt_csv_col(csv, "T");
    size_t cr = qt_csv_col(csv, "r"), cty = qt_csv_col(csv, "type"), cp = qt_csv_col(csv, "price");
    size_t cst = qt_csv_col(csv, "status"), cs = qt_csv_col(csv, "sigma");
    size_t ctol = qt_csv_col(csv, "sigma_tol"), ckind = qt_csv_col(csv, "error_kind");
    size_t first_err = n;
    for (size_t i = 0; i < n; i++) {
        F[i] = qt_csv_num(csv, i, cF), K[i] = qt_csv_num(csv, i, cK);
        T[i] = qt_csv_num(csv, i, cT), r[i] = qt_csv_num(csv, i, cr);
        pr[i] = qt_csv_num(csv, i, cp);
        ty[i] = strcmp(qt_csv_str(csv, i, cty), "call") == 0 ? QPM_CALL : QPM_PUT;
        if (strcmp(qt_csv_str(csv, i, cst), "error") == 0 && first_err == n)
            first_err = i;
    }
    cr_assert_lt(first_err, n, "the file has error rows");
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR), QPM_OK);
    qpm_status ret = qpm_pricer_implied_vol(p, n, F, K, T, r, NULL, ty, pr, sg, st);
    cr_assert_eq(ret, QPM_E_ARBITRAGE, "%s", qpm_status_name(ret));
    char want[64];
    snprintf(want, sizeof want, "price[%zu]", first_err);
    cr_assert_neq(strstr(qpm_last_error(), want), NULL, "message: %s", qpm_last_error());
    double worst = 0.0;
    size_t nok = 0, nerr = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(qt_csv_str(csv, i, cst), "error") == 0) {
            cr_assert_eq(st[i], QPM_E_ARBITRAGE, "row %zu (%s): status %d", i,
                         qt_csv_str(csv, i, ckind), st[i]);
            cr_assert(isnan(sg[i]), "row %zu: sigma %g for an error row", i, sg[i]);
            nerr++;
            continue;
        }
        double ref = qt_csv_num(csv, i, cs), tol = qt_csv_num(csv, i, ctol);
        cr_assert_eq(st[i], QPM_OK, "row %zu (%s): status %d", i, qt_csv_str(csv, i, 1), st[i]);
        double err = fabs(sg[i] - ref);
        cr_assert(err <= tol, "row %zu (%s): sigma %.17g, expected %.17g, err %.3g > tol %.3g", i,
                  qt_csv_str(csv, i, 1), sg[i], ref, err, tol);
        if (err / tol > worst)
            worst = err / tol;
        nok++;
    }
    cr_assert_eq(nok + nerr, n);
    cr_log_info("iv golden: %zu solved (worst err/tol %.3g), %zu errors", nok, worst, nerr);
    /* status may be NULL; sigma still NaN on the error rows */
    double *sg2 = calloc(n, sizeof *sg2);
    cr_assert_eq(qpm_pricer_implied_vol(p, n, F, K, T, r, NULL, ty, pr, sg2, NULL),
                 QPM_E_ARBITRAGE);
    for (size_t i = 0; i < n; i++)
        cr_assert(memcmp(&sg[i], &sg2[i], sizeof sg[i]) == 0 || (isnan(sg[i]) && isnan(sg2[i])));
    qpm_pricer_free(p);
    free(F), free(K), free(T), free(r), free(pr), free(sg), free(sg2), free(ty), free(st);
    qt_csv_free(csv);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Round trip on a grid: log-moneyness in [-3, 3], T from 1 hour to 5 years,
 * vol from 1 % to 500 %, calls and puts.  The implied vol of a computed
 * price can only be as good as the price determines it: a relative price
 * error e moves sigma by e V / vega.  The prices carry a few ulp of error
 * (golden tests) and the solver adds a few more, so the check is
 *     |sigma_iv - sigma| <= 1e-13 sigma + 64 eps V / vega
 * (the iv_ file's sigma_tol has the same form with 1e-10), plus, for BSM,
 * 4 eps |delta| S / vega: the solver works on the forward F = S e^{(r-q)T}
 * rounded to a double, whose half-ulp moves the price by about |delta| S eps;
 * the check is applied where
 * the price is a normal double above 1e-250 of the underlying and its time
 * value is not lost to rounding against the intrinsic value (vega sigma >=
 * 1e-12 V). */
static void round_trip(qpm_model model, qpm_settlement settle)
{
    enum { NX = 25, NT = 9, NS = 12 };
    static const double Ts[NT] = {1.0 / 8760, 4.0 / 8760, 1.0 / 365, 7.0 / 365, 30.0 / 365,
                                  0.25,       1.0,        2.0,       5.0};
    static const double vols[NS] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.5, 5.0};
    size_t n = (size_t)NX * NT * NS * 2;
    double *U = calloc(n, sizeof *U), *K = calloc(n, sizeof *K), *T = calloc(n, sizeof *T);
    double *R = calloc(n, sizeof *R), *Q = calloc(n, sizeof *Q), *S = calloc(n, sizeof *S);
    double *V = calloc(n, sizeof *V), *vega = calloc(n, sizeof *vega), *Vusd = calloc(n, sizeof *V);
    double *iv = calloc(n, sizeof *iv);
    int32_t *ty = calloc(n, sizeof *ty), *st = calloc(n, sizeof *st);
    size_t i = 0;
    for (int a = 0; a < NX; a++)
        for (int b = 0; b < NT; b++)
            for (int c = 0; c < NS; c++)
                for (int d = 0; d < 2; d++, i++) {
                    double lm = -3.0 + 6.0 * a / (NX - 1);
                    U[i] = 30000.0;
                    T[i] = Ts[b];
                    R[i] = 0.03;
                    Q[i] = model == QPM_MODEL_BSM ? 0.01 : 0.0;
                    double F = model == QPM_MODEL_BSM ? U[i] * exp((R[i] - Q[i]) * T[i]) : U[i];
                    if (model == QPM_MODEL_BACHELIER) {
                        /* normal vol in price units: same relative sizes */
                        K[i] = F * (1.0 + 0.2 * lm);
                        S[i] = vols[c] * F;
                    } else {
                        K[i] = F * exp(lm);
                        S[i] = vols[c];
                    }
                    ty[i] = d == 0 ? QPM_CALL : QPM_PUT;
                }
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, model, settle), QPM_OK);
    qpm_pricer_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    double *delta = calloc(n, sizeof *delta);
    out.price = V, out.vega = vega, out.price_usd = Vusd, out.delta = delta;
    const double *q = model == QPM_MODEL_BSM ? Q : NULL;
    cr_assert_eq(qpm_pricer_price(p, n, U, K, T, R, q, S, ty, &out), QPM_OK, "%s",
                 qpm_last_error());
    qpm_pricer_implied_vol(p, n, U, K, T, R, q, ty, V, iv, st);
    size_t checked = 0;
    double worst = 0.0;
    for (i = 0; i < n; i++) {
        if (!(Vusd[i] > 1e-250 * U[i]) || !(vega[i] * S[i] >= 1e-12 * Vusd[i]))
            continue;
        /* time value must dominate rounding of the intrinsic part */
        double F = model == QPM_MODEL_BSM ? U[i] * exp((R[i] - Q[i]) * T[i]) : U[i];
        double intr = exp(-R[i] * T[i]) * fmax(ty[i] * (F - K[i]), 0.0);
        if (Vusd[i] - intr < 1e-9 * Vusd[i])
            continue;
        cr_assert_eq(st[i], QPM_OK, "element %zu (T %g, K/F %g, vol %g, %s): status %d", i, T[i],
                     K[i] / F, S[i], ty[i] > 0 ? "call" : "put", st[i]);
        double tol = 1e-13 * S[i] + 64.0 * EPS * Vusd[i] / vega[i];
        if (model == QPM_MODEL_BSM)
            tol += 4.0 * EPS * fabs(delta[i]) * U[i] / vega[i];
        double err = fabs(iv[i] - S[i]);
        cr_assert(err <= tol, "element %zu (T %g, K %g, F %g, vol %g, %s): iv %.17g err %.3g > %.3g",
                  i, T[i], K[i], F, S[i], ty[i] > 0 ? "call" : "put", iv[i], err, tol);
        if (err / tol > worst)
            worst = err / tol;
        checked++;
    }
    cr_assert_gt(checked, n / 3, "checked only %zu of %zu", checked, n);
    cr_log_info("round trip model %d settle %d: %zu checked, worst err/tol %.3g", model, settle,
                checked, worst);
    qpm_pricer_free(p);
    free(U), free(K), free(T), free(R), free(Q), free(S), free(V), free(vega), free(Vusd);
    free(iv), free(ty), free(st), free(delta);
}

Test(pricing_iv, round_trip_black76) { round_trip(QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR); }
Test(pricing_iv, round_trip_bsm) { round_trip(QPM_MODEL_BSM, QPM_SETTLE_LINEAR); }
Test(pricing_iv, round_trip_inverse) { round_trip(QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE); }
Test(pricing_iv, round_trip_bsm_inverse) { round_trip(QPM_MODEL_BSM, QPM_SETTLE_INVERSE); }
Test(pricing_iv, round_trip_bachelier) { round_trip(QPM_MODEL_BACHELIER, QPM_SETTLE_LINEAR); }

Test(pricing_iv, bad_input_and_bounds)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR), QPM_OK);
    double F[3] = {100, 100, 100}, K[3] = {100, 90, 110}, T[3] = {1, 1, 1};
    double pr[3] = {8, 10.5, 0.0}, sg[3] = {-1, -1, -1};
    int32_t ty[3] = {1, 1, 1}, st[3];
    /* price 0 is an arbitrage error, not an input error */
    cr_assert_eq(qpm_pricer_implied_vol(p, 3, F, K, T, NULL, NULL, ty, pr, sg, st),
                 QPM_E_ARBITRAGE);
    cr_assert_neq(strstr(qpm_last_error(), "price[2]"), NULL, "%s", qpm_last_error());
    cr_assert_eq(st[0], QPM_OK);
    cr_assert_eq(st[1], QPM_OK);
    cr_assert_eq(st[2], QPM_E_ARBITRAGE);
    cr_assert(isnan(sg[2]));
    /* T = 0 is invalid for implied vol */
    double T0[3] = {1, 0, 1};
    sg[0] = -1;
    cr_assert_eq(qpm_pricer_implied_vol(p, 3, F, K, T0, NULL, NULL, ty, pr, sg, st), QPM_E_INVALID);
    cr_assert_neq(strstr(qpm_last_error(), "T[1]"), NULL, "%s", qpm_last_error());
    cr_assert_eq(sg[0], -1.0, "outputs untouched on input errors");
    double prn[3] = {8, NAN, 1};
    cr_assert_eq(qpm_pricer_implied_vol(p, 3, F, K, T, NULL, NULL, ty, prn, sg, st),
                 QPM_E_NONFINITE);
    cr_assert_neq(strstr(qpm_last_error(), "price[1]"), NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_pricer_implied_vol(p, 3, F, K, T, NULL, NULL, ty, pr, NULL, st), QPM_E_NULL);
    cr_assert_eq(qpm_pricer_implied_vol(p, 0, F, K, T, NULL, NULL, ty, pr, sg, st), QPM_E_SIZE);
    cr_assert_eq(qpm_pricer_implied_vol(NULL, 3, F, K, T, NULL, NULL, ty, pr, sg, st), QPM_E_NULL);
    double q[3] = {0, 0, 0};
    cr_assert_eq(qpm_pricer_implied_vol(p, 3, F, K, T, NULL, q, ty, pr, sg, st), QPM_E_INVALID);
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}
