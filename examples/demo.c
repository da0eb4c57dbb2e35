/* libqpm demo: price a coin-settled BTC option chain from its marks, back
 * out the implied vols, aggregate a small book's Greeks, estimate a BTC/ETH
 * covariance and report the book's one-day Monte Carlo VaR and ES with full
 * revaluation.  Every number comes from the library; the program only wires
 * the calls together and prints.
 *
 * Usage: demo [scenarios]   (default 100000) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_table.h"
#include "qpm/qpm.h"

#define DAY (1.0 / 365.0)

#define CHECK(call)                                                                          \
    do {                                                                                     \
        qpm_status st_ = (call);                                                             \
        if (st_ != QPM_OK) {                                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, qpm_status_name(st_),     \
                    qpm_last_error());                                                       \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

/* ---- market ------------------------------------------------------------- */
enum { BTC = 0, ETH = 1, NU = 2 };
static const double spot[NU] = {97000.0, 3600.0};
static const double basis = 0.06; /* annualised futures basis */

static double forward(int u, double T) { return spot[u] * exp(basis * T); }

/* A smile: vol by log-moneyness, as an exchange's mark surface might give. */
static double smile(int u, double k)
{
    double atm = u == BTC ? 0.52 : 0.66;
    return atm - 0.06 * k + 0.35 * k * k;
}

/* ---- 2. the book ---------------------------------------------------------- */
enum { NPOS = 8 };
static const char *const label[NPOS] = {
    "BTC 30d 100k C inv", "BTC 30d  90k P inv", "BTC 90d 120k C inv", "BTC 90d fut inv",
    "BTC perp inv",       "ETH 30d 4000 C lin", "ETH 30d 3200 P lin", "ETH perp lin"};
/* expiry ids are days to expiry */
static const int32_t instr[NPOS] = {QPM_INSTR_INVERSE_OPTION, QPM_INSTR_INVERSE_OPTION,
                                    QPM_INSTR_INVERSE_OPTION, QPM_INSTR_INVERSE_FUTURE,
                                    QPM_INSTR_INVERSE_PERP,   QPM_INSTR_LINEAR_OPTION,
                                    QPM_INSTR_LINEAR_OPTION,  QPM_INSTR_LINEAR_PERP};
static const size_t und[NPOS] = {BTC, BTC, BTC, BTC, BTC, ETH, ETH, ETH};
static const int32_t expiry[NPOS] = {30, 30, 90, 90, 0, 30, 30, 0};
static const int32_t otype[NPOS] = {QPM_CALL, QPM_PUT, QPM_CALL, 0, 0, QPM_CALL, QPM_PUT, 0};
/* NA: not applicable to the instrument (NAN is a float constant: say double) */
#define NA ((double)NAN)
static const double strike[NPOS] = {100000, 90000, 120000, NA, NA, 4000, 3200, NA};
static const double qty[NPOS] = {-25, 40, -15, 230000, -50000, 300, -200, -150};
/* options: coins per contract; inverse futures and perps: USD per contract */
static const double mult[NPOS] = {1, 1, 1, 10, 10, 1, 1, 1};
static const double entry[NPOS] = {NA, NA, NA, 97500, 96000, NA, NA, 3550};

static qpm_book *make_book(void)
{
    qpm_book *b;
    CHECK(qpm_book_create(&b, NULL));
    CHECK(qpm_book_add_underlying(b, "BTC", spot[BTC], 0.0, NULL));
    CHECK(qpm_book_add_underlying(b, "ETH", spot[ETH], 0.0, NULL));
    for (int u = 0; u < NU; u++)
        CHECK(qpm_book_set_perp(b, (size_t)u, spot[u] * 1.0002));
    double sigma[NPOS];
    for (int i = 0; i < NPOS; i++) {
        double T = expiry[i] * DAY;
        if (expiry[i] > 0)
            CHECK(qpm_book_set_forward(b, und[i], expiry[i], forward((int)und[i], T), T));
        sigma[i] = isnan(strike[i]) ? (double)NAN
                                    : smile((int)und[i], log(strike[i] / forward((int)und[i], T)));
    }
    CHECK(qpm_book_add_positions(b, NPOS, instr, und, expiry, otype, strike, qty, mult, entry,
                                 sigma));
    return b;
}

static void book_report(qpm_book *b)
{
    double v[NPOS], d[NPOS], g[NPOS], ve[NPOS], th[NPOS], dx[NPOS];
    qpm_book_out o = {.size = sizeof o, .value_usd = v, .delta_coin = d, .gamma = g, .vega = ve,
                      .theta = th, .delta_exchange = dx};
    CHECK(qpm_book_position_greeks(b, &o));
    printf("\n2. Book Greeks (USD numeraire; coin values converted at spot)\n\n");
    printf("  position             value(USD)   delta(coin)  exch.delta  gamma(coin/USD)"
           "  vega(USD/1%%)  theta(USD/day)\n");
    for (int i = 0; i < NPOS; i++)
        printf("  %-18s %12.2f  %+12.4f  %+10.4f  %+15.4e  %+12.2f  %+14.2f\n", label[i], v[i],
               d[i], dx[i], g[i], ve[i] / 100, th[i] / 365);
    double tv[NU], td[NU], tdu[NU], tg[NU], tve[NU], tth[NU], tdx[NU];
    qpm_book_out t = {.size = sizeof t, .value_usd = tv, .delta_coin = td, .delta_usd = tdu,
                      .gamma = tg, .vega = tve, .theta = tth, .delta_exchange = tdx};
    CHECK(qpm_book_underlying_greeks(b, &t));
    for (int u = 0; u < NU; u++)
        printf("  %-18s %12.2f  %+12.4f  %+10.4f  %+15.4e  %+12.2f  %+14.2f   (delta %.0f USD)\n",
               u == BTC ? "total BTC" : "total ETH", tv[u], td[u], tdx[u], tg[u], tve[u] / 100,
               tth[u] / 365, tdu[u]);

    /* option risk by underlying and expiry */
    size_t ne;
    CHECK(qpm_book_n_expiries(b, &ne));
    double ed[8], eg[8], eve[8], eth[8];
    qpm_book_out e = {.size = sizeof e, .delta_coin = ed, .gamma = eg, .vega = eve, .theta = eth};
    if (ne > 8)
        ne = 8;
    CHECK(qpm_book_expiry_greeks(b, &e));
    printf("\n  options by expiry     delta(coin)  gamma(coin/USD)  vega(USD/1%%)  theta(USD/day)\n");
    for (size_t k = 0; k < ne; k++) {
        size_t u;
        int32_t id;
        const char *name;
        CHECK(qpm_book_expiry(b, k, &u, &id, NULL, NULL));
        CHECK(qpm_book_underlying_name(b, u, &name));
        printf("  %-4s %3dd            %+12.4f  %+15.4e  %+12.2f  %+14.2f\n", name, id, ed[k], eg[k],
               eve[k] / 100, eth[k] / 365);
    }

    /* portfolio-margin style grid: both underlyings move together */
    enum { NS = 9, NV = 3 };
    double xs[NS], vs[NV] = {-0.3, 0.0, 0.3}, pnl[NS * NV], worst;
    size_t wi;
    for (int i = 0; i < NS; i++)
        xs[i] = (i - 4) * 0.04;
    CHECK(qpm_book_scenario_grid(b, QPM_BOOK_ALL, NS, xs, NV, vs, pnl, &worst, &wi));
    printf("\n  P&L (USD) by spot move (rows) and relative vol shift (columns), both "
           "underlyings:\n  %8s", "");
    for (int j = 0; j < NV; j++)
        printf("  %+12.0f%%", 100 * vs[j]);
    printf("\n");
    for (int i = 0; i < NS; i++) {
        printf("  %+7.0f%%", 100 * xs[i]);
        for (int j = 0; j < NV; j++)
            printf("  %13.0f", pnl[i * NV + j]);
        printf("\n");
    }
    printf("  worst loss %.0f USD at spot %+.0f%%, vol %+.0f%%\n", worst, 100 * xs[wi / NV],
           100 * vs[wi % NV]);
}

/* ---- 3. covariance from a year of daily returns -------------------------- */
static void covariance(qpm_rng *rng, double cov[NU * NU])
{
    enum { T = 365 };
    const double nu = 4.0, true_vol[NU] = {0.55, 0.72}, rho = 0.8;
    double z[2 * T], ret[T * NU];
    CHECK(qpm_rng_student_t(rng, 2 * T, nu, z));
    double scale = sqrt((nu - 2.0) / nu); /* unit-variance t */
    for (int t = 0; t < T; t++) {
        double a = scale * z[2 * t], b = scale * z[2 * t + 1];
        ret[t * NU + BTC] = true_vol[BTC] * sqrt(DAY) * a;
        ret[t * NU + ETH] = true_vol[ETH] * sqrt(DAY) * (rho * a + sqrt(1 - rho * rho) * b);
    }
    qpm_cov *c;
    CHECK(qpm_cov_create(&c, NULL, NU));
    CHECK(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF));
    CHECK(qpm_cov_fit(c, T, ret, NU));
    double corr[NU * NU], vol[NU], shrink;
    CHECK(qpm_cov_covariance(c, cov, NU));
    CHECK(qpm_cov_correlation(c, corr, NU));
    CHECK(qpm_cov_shrinkage(c, &shrink));
    CHECK(qpm_cov_set(c, QPM_COV_ANNUALISE, 1));
    CHECK(qpm_cov_volatility(c, vol));
    qpm_cov_free(c);
    printf("\n3. Covariance of %d daily BTC/ETH returns (Student-t, nu = 4), Ledoit-Wolf\n\n", T);
    printf("  annualised vol: BTC %.1f%%  ETH %.1f%%   correlation %.3f   shrinkage %.4f\n",
           100 * vol[BTC], 100 * vol[ETH], corr[1], shrink);
}

/* ---- 4. Monte Carlo VaR / ES with full revaluation ------------------------ */
static int show_progress(void *user, double done)
{
    int *last = user, pct = (int)(done * 100.0);
    if (pct / 10 != *last / 10) {
        fprintf(stderr, "\r  simulating... %3d%%", pct);
        if (pct >= 100)
            fprintf(stderr, "\n");
        *last = pct;
    }
    return 0;
}

static void var_es(qpm_book *b, const double cov[NU * NU], size_t nscen)
{
    qpm_risk *r;
    CHECK(qpm_risk_create(&r, NULL));
    CHECK(qpm_risk_set(r, QPM_RISK_SCENARIOS, (double)nscen));
    CHECK(qpm_risk_set(r, QPM_RISK_SEED, 20261126));
    CHECK(qpm_risk_set(r, QPM_RISK_T_DOF, 4.0));       /* Student-t copula, nu = 4 */
    CHECK(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.05)); /* vols move too, 5 % a day */
    CHECK(qpm_risk_set_covariance(r, NU, cov, NU));
    int last = -10;
    CHECK(qpm_risk_set_progress(r, show_progress, &last));
    double *pnl = malloc(nscen * sizeof *pnl);
    if (pnl == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    fflush(stdout); /* the progress goes to stderr */
    CHECK(qpm_risk_simulate(r, b, pnl, NULL, NULL, NULL, NULL));
    for (size_t s = 0; s < nscen; s++)
        pnl[s] = -pnl[s]; /* losses */
    const double alpha[2] = {0.95, 0.99};
    double var[2], es[2], var_se[2], es_se[2];
    CHECK(qpm_risk_var_es(NULL, nscen, pnl, 2, alpha, var, es, var_se, es_se));
    printf("\n4. One-day VaR and ES: %zu Student-t copula scenarios (nu = 4) with a common vol "
           "shock,\n   full revaluation of every position\n\n",
           nscen);
    for (int a = 0; a < 2; a++)
        printf("  %.0f%%: VaR %12.2f USD (+/- %.0f)   ES %12.2f USD (+/- %.0f)\n", 100 * alpha[a],
               var[a], var_se[a], es[a], es_se[a]);

    /* the same from the Greeks alone, for comparison */
    double tdu[NU], tg[NU], gusd[NU];
    qpm_book_out t = {.size = sizeof t, .delta_usd = tdu, .gamma = tg};
    CHECK(qpm_book_underlying_greeks(b, &t));
    for (int u = 0; u < NU; u++)
        gusd[u] = tg[u] * spot[u] * spot[u];
    double dn, dg;
    CHECK(qpm_risk_delta_gamma(NULL, NU, tdu, gusd, cov, NU, 1.0, 0.99, &dn, &dg, NULL));
    printf("  99%% from the Greeks: delta-normal VaR %.2f USD, delta-gamma (Cornish-Fisher) "
           "%.2f USD\n",
           dn, dg);
    free(pnl);
    qpm_risk_free(r);
}

int main(int argc, char **argv)
{
    size_t nscen = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    if (nscen < 100)
        nscen = 100;
    unsigned f = qpm_cpu_features();
    printf("libqpm %s  (CPU: %s%s%s)\n", qpm_version_string(), (f & QPM_CPU_AVX2) ? "AVX2 " : "",
           (f & QPM_CPU_FMA) ? "FMA " : "", (f & QPM_CPU_AVX512F) ? "AVX-512F" : "");

    qpm_rng *rng;
    CHECK(qpm_rng_create_seed(&rng, NULL, QPM_RNG_PCG64DXSM, 20261126));

    printf("\n1. ");
    if (chain_table_print(forward(BTC, 28 * DAY), 28.0) != 0)
        return 1;
    qpm_book *book = make_book();
    book_report(book);
    double cov[NU * NU];
    covariance(rng, cov);
    var_es(book, cov, nscen);

    qpm_book_free(book);
    qpm_rng_free(rng);
    return 0;
}
