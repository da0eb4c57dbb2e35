/* The option-chain table shared by examples/option_chain and the demo: price
 * every strike of a coin-settled BTC chain from its mark volatility with a
 * Black-76 inverse pricer (prices in BTC, as the exchange quotes them), round
 * the prices to the 0.0001 BTC tick as a quoted mark would be, back the
 * implied volatilities out of those marks, and print the chain with its coin
 * delta and USD Greeks. */
#include <math.h>
#include <stdio.h>

#include "chain_table.h"
#include "qpm/qpm.h"

#define NSTRIKE 9

static int check(qpm_status st, const char *what)
{
    if (st != QPM_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, qpm_status_name(st), qpm_last_error());
        return 1;
    }
    return 0;
}

int chain_table_print(double F, double days)
{
    double T = days / 365.0, r = 0.0; /* the exchange marks with r = 0 */
    const double tick = 0.0001;                    /* BTC */

    /* strikes around the forward, a call and a put each, with a smile */
    double K[2 * NSTRIKE], vol[2 * NSTRIKE], mark[2 * NSTRIKE], iv[2 * NSTRIKE];
    double price[2 * NSTRIKE], usd[2 * NSTRIKE], dcoin[2 * NSTRIKE], gamma[2 * NSTRIKE];
    double vega[2 * NSTRIKE], theta[2 * NSTRIKE];
    double Fs[2 * NSTRIKE], Ts[2 * NSTRIKE], rs[2 * NSTRIKE];
    int32_t type[2 * NSTRIKE], status[2 * NSTRIKE];
    for (int i = 0; i < NSTRIKE; i++) {
        double k = 1000.0 * round(F * (0.8 + 0.05 * i) / 1000.0);
        double m = log(k / F);
        double v = 0.55 + 0.35 * m * m - 0.08 * m; /* mark vols: a smile with skew */
        for (int j = 0; j < 2; j++) {
            int e = 2 * i + j;
            K[e] = k, vol[e] = v, type[e] = j == 0 ? QPM_CALL : QPM_PUT;
            Fs[e] = F, Ts[e] = T, rs[e] = r;
        }
    }
    size_t n = 2 * NSTRIKE;

    qpm_pricer *p;
    if (check(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE), "create"))
        return 1;
    qpm_pricer_out out = {0};
    out.size = sizeof out;
    out.price = price, out.price_usd = usd, out.delta_coin = dcoin;
    out.gamma = gamma, out.vega = vega, out.theta = theta;
    if (check(qpm_pricer_price_chain(p, n, F, T, r, 0.0, K, vol, type, &out), "price"))
        return 1;

    /* quoted marks: whole ticks, at least one tick */
    for (size_t e = 0; e < n; e++)
        mark[e] = fmax(tick, tick * round(price[e] / tick));
    qpm_status st = qpm_pricer_implied_vol(p, n, Fs, K, Ts, rs, NULL, type, mark, iv, status);
    if (st != QPM_OK && st != QPM_E_ARBITRAGE && check(st, "implied_vol"))
        return 1;

    printf("BTC options, forward %.2f USD, %g days, coin-settled (prices in BTC)\n\n", F, days);
    printf("%8s %4s %7s %10s %10s %9s %8s %12s %10s %10s %9s\n", "strike", "type", "mark vol",
           "price BTC", "price USD", "mark BTC", "iv", "delta coin", "gamma", "vega/1%", "theta/d");
    for (size_t e = 0; e < n; e++) {
        printf("%8.0f %4s %7.2f%% %10.6f %10.2f %9.4f ", K[e], type[e] > 0 ? "C" : "P",
               100 * vol[e], price[e], usd[e], mark[e]);
        if (status[e] == QPM_OK)
            printf("%7.2f%% ", 100 * iv[e]);
        else
            printf("%8s ", "n/a");
        printf("%12.5f %10.3g %10.2f %9.2f\n", dcoin[e], gamma[e], vega[e] / 100,
               theta[e] / 365);
    }
    printf("\nvega and theta in USD per 1 vol point and per day; delta in BTC per BTC of "
           "notional (dB/dF - B/F).\nThe implied vols differ from the marks by the tick "
           "rounding of the quoted prices.\n");
    qpm_pricer_free(p);
    return 0;
}
