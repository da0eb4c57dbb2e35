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

/* ---- the book ------------------------------------------------------------ */
typedef enum { OPT_INVERSE, OPT_LINEAR, FUT_INVERSE, PERP_LINEAR } kind;
typedef struct {
    const char *label;
    int und;
    kind kind;
    double T, strike, qty, mult; /* options: mult in coin; inverse futures: USD */
    int32_t type;
    double entry; /* futures and perps */
} position;

static const position book[] = {
    {"BTC 30d 100k C inv", BTC, OPT_INVERSE, 30 * DAY, 100000, -25, 1, QPM_CALL, 0},
    {"BTC 30d  90k P inv", BTC, OPT_INVERSE, 30 * DAY, 90000, 40, 1, QPM_PUT, 0},
    {"BTC 90d 120k C inv", BTC, OPT_INVERSE, 90 * DAY, 120000, -15, 1, QPM_CALL, 0},
    {"BTC 90d fut inv", BTC, FUT_INVERSE, 90 * DAY, 0, 230000, 10, 0, 97500},
    {"ETH 30d 4000 C lin", ETH, OPT_LINEAR, 30 * DAY, 4000, 300, 1, QPM_CALL, 0},
    {"ETH 30d 3200 P lin", ETH, OPT_LINEAR, 30 * DAY, 3200, -200, 1, QPM_PUT, 0},
    {"ETH perp lin", ETH, PERP_LINEAR, 0, 0, -150, 1, 0, 3550},
};
enum { NPOS = sizeof book / sizeof book[0] };

static int is_option(const position *p) { return p->kind == OPT_INVERSE || p->kind == OPT_LINEAR; }

static double pos_vol(const position *p)
{
    return smile(p->und, log(p->strike / forward(p->und, p->T)));
}

/* ---- book valuation (USD) ------------------------------------------------ */
/* USD value of the non-option positions for spot multipliers m[u]. */
static double linear_value(const double m[NU])
{
    double v = 0.0;
    for (int i = 0; i < NPOS; i++) {
        const position *p = &book[i];
        double S = spot[p->und] * m[p->und];
        if (p->kind == FUT_INVERSE) {
            double F = forward(p->und, p->T) * m[p->und];
            v += p->qty * p->mult * (1.0 / p->entry - 1.0 / F) * S;
        } else if (p->kind == PERP_LINEAR) {
            v += p->qty * p->mult * (spot[p->und] * m[p->und] - p->entry);
        }
    }
    return v;
}

static void greeks(qpm_pricer *b76)
{
    printf("\n2. Book Greeks (USD numeraire; coin values converted at spot)\n\n");
    printf("  position             value(USD)   delta(coin)   gamma(coin/USD)   vega(USD/1%%)"
           "  theta(USD/day)\n");
    double tot[NU][5] = {{0}};
    for (int i = 0; i < NPOS; i++) {
        const position *p = &book[i];
        double S = spot[p->und], F = forward(p->und, p->T), c = F / S;
        double v = 0, d = 0, g = 0, ve = 0, th = 0;
        if (is_option(p)) {
            double sig = pos_vol(p), B, dB, gB, vB, tB;
            qpm_pricer_out o = {.size = sizeof o, .price = &B, .delta = &dB, .gamma = &gB,
                                .vega = &vB, .theta = &tB};
            CHECK(qpm_pricer_price(b76, 1, &F, &p->strike, &p->T, NULL, NULL, &sig, &p->type, &o));
            double qm = p->qty * p->mult;
            if (p->kind == OPT_LINEAR) { /* V = Q m B(F), F = c S */
                v = qm * B, d = qm * dB * c, g = qm * gB * c * c, ve = qm * vB, th = qm * tB;
            } else { /* V = Q m (B / F) S = Q m B / c */
                v = qm * B / c, d = qm * dB, g = qm * gB * c, ve = qm * vB / c, th = qm * tB / c;
            }
        } else if (p->kind == FUT_INVERSE) { /* V = Q m (1/e - 1/F) S, linear in S */
            v = p->qty * p->mult * (1.0 / p->entry - 1.0 / F) * S;
            d = p->qty * p->mult / p->entry;
        } else { /* linear perp: V = Q m (P - e), P moves with S */
            v = p->qty * p->mult * (S - p->entry);
            d = p->qty * p->mult;
        }
        printf("  %-18s %12.2f  %+12.4f  %+16.4e  %+12.2f  %+14.2f\n", p->label, v, d, g,
               ve / 100, th / 365);
        double *t = tot[p->und];
        t[0] += v, t[1] += d, t[2] += g, t[3] += ve, t[4] += th;
    }
    for (int u = 0; u < NU; u++)
        printf("  %-18s %12.2f  %+12.4f  %+16.4e  %+12.2f  %+14.2f   (delta %.0f USD)\n",
               u == BTC ? "total BTC" : "total ETH", tot[u][0], tot[u][1], tot[u][2],
               tot[u][3] / 100, tot[u][4] / 365, tot[u][1] * spot[u]);
}

/* ---- 3. covariance from a year of daily returns -------------------------- */
static void covariance(qpm_rng *rng, double chol[NU][NU], double daily_vol[NU])
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
    double cov[NU * NU], corr[NU * NU], vol[NU], shrink;
    CHECK(qpm_cov_covariance(c, cov, NU));
    CHECK(qpm_cov_correlation(c, corr, NU));
    CHECK(qpm_cov_volatility(c, daily_vol));
    CHECK(qpm_cov_shrinkage(c, &shrink));
    CHECK(qpm_cov_set(c, QPM_COV_ANNUALISE, 1));
    CHECK(qpm_cov_volatility(c, vol));
    qpm_cov_free(c);
    printf("\n3. Covariance of %d daily BTC/ETH returns (Student-t, nu = 4), Ledoit-Wolf\n\n", T);
    printf("  annualised vol: BTC %.1f%%  ETH %.1f%%   correlation %.3f   shrinkage %.4f\n",
           100 * vol[BTC], 100 * vol[ETH], corr[1], shrink);
    /* 2x2 Cholesky factor of the daily covariance, for the scenarios. */
    chol[0][0] = sqrt(cov[0]);
    chol[1][0] = cov[2] / chol[0][0];
    chol[1][1] = sqrt(cov[3] - chol[1][0] * chol[1][0]);
    chol[0][1] = 0.0;
}

/* ---- 4. Monte Carlo VaR / ES with full revaluation ------------------------ */
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void var_es(qpm_rng *rng, qpm_pricer *b76, double chol[NU][NU], size_t nscen)
{
    const double nu = 4.0, scale = sqrt((nu - 2.0) / nu);
    size_t nopt = 0;
    for (int i = 0; i < NPOS; i++)
        nopt += is_option(&book[i]) != 0;
    size_t n = nopt * (nscen + 1);
    double *F = malloc(n * sizeof *F), *K = malloc(n * sizeof *K), *T = malloc(n * sizeof *T),
           *sig = malloc(n * sizeof *sig), *B = malloc(n * sizeof *B);
    int32_t *type = malloc(n * sizeof *type);
    double *z = malloc(2 * nscen * sizeof *z), *w = malloc(nscen * sizeof *w);
    double *mult = malloc(NU * (nscen + 1) * sizeof *mult), *loss = malloc(nscen * sizeof *loss);
    if (!F || !K || !T || !sig || !B || !type || !z || !w || !mult || !loss) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    /* Student-t copula: correlated normals over a common chi-square mixing
     * variable, scaled to the fitted daily covariance. */
    CHECK(qpm_rng_normal(rng, 2 * nscen, z));
    CHECK(qpm_rng_gamma(rng, nscen, nu / 2.0, w));
    mult[0] = mult[1] = 1.0; /* scenario 0: today, one day later */
    for (size_t s = 0; s < nscen; s++) {
        double k = scale / sqrt(2.0 * w[s] / nu);
        double a = z[2 * s], b = z[2 * s + 1];
        double x0 = k * chol[0][0] * a, x1 = k * (chol[1][0] * a + chol[1][1] * b);
        mult[NU * (s + 1) + BTC] = exp(x0);
        mult[NU * (s + 1) + ETH] = exp(x1);
    }
    /* One batch: every option in every scenario, one day closer to expiry. */
    size_t j = 0;
    for (size_t s = 0; s <= nscen; s++)
        for (int i = 0; i < NPOS; i++) {
            const position *p = &book[i];
            if (!is_option(p))
                continue;
            F[j] = forward(p->und, p->T) * mult[NU * s + p->und];
            K[j] = p->strike;
            T[j] = p->T - DAY;
            sig[j] = pos_vol(p);
            type[j] = p->type;
            j++;
        }
    qpm_pricer_out o = {.size = sizeof o, .price = B};
    CHECK(qpm_pricer_price(b76, n, F, K, T, NULL, NULL, sig, type, &o));
    double v0 = 0.0;
    for (size_t s = 0; s <= nscen; s++) {
        const double *m = &mult[NU * s];
        double v = linear_value(m);
        size_t o_ = nopt * s;
        for (int i = 0; i < NPOS; i++) {
            const position *p = &book[i];
            if (!is_option(p))
                continue;
            double qm = p->qty * p->mult, Bv = B[o_++];
            double S = spot[p->und] * m[p->und], Fs = forward(p->und, p->T) * m[p->und];
            v += p->kind == OPT_LINEAR ? qm * Bv : qm * Bv / Fs * S;
        }
        if (s == 0)
            v0 = v;
        else
            loss[s - 1] = v0 - v;
    }
    qsort(loss, nscen, sizeof *loss, cmp);
    printf("\n4. One-day VaR and ES: %zu Student-t copula scenarios, full revaluation of"
           " %zu option prices\n\n",
           nscen, n);
    for (int a = 0; a < 2; a++) {
        double alpha = a ? 0.99 : 0.95;
        size_t k = (size_t)ceil(alpha * (double)nscen - 1e-9); /* 1-based index of VaR */
        double var = loss[k - 1], tail = 0.0;
        for (size_t i = k; i < nscen; i++)
            tail += loss[i];
        double es = (tail + ((double)k - alpha * (double)nscen) * var) /
                    ((double)nscen * (1.0 - alpha)); /* Acerbi-Tasche */
        printf("  %.0f%%: VaR %12.2f USD   ES %12.2f USD\n", 100 * alpha, var, es);
    }
    free(F), free(K), free(T), free(sig), free(B), free(type), free(z), free(w), free(mult),
        free(loss);
}

int main(int argc, char **argv)
{
    size_t nscen = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    if (nscen < 100)
        nscen = 100;
    unsigned f = qpm_cpu_features();
    printf("libqpm %s  (CPU: %s%s%s)\n", qpm_version_string(), (f & QPM_CPU_AVX2) ? "AVX2 " : "",
           (f & QPM_CPU_FMA) ? "FMA " : "", (f & QPM_CPU_AVX512F) ? "AVX-512F" : "");

    qpm_pricer *b76;
    CHECK(qpm_pricer_create(&b76, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR));
    qpm_rng *rng;
    CHECK(qpm_rng_create_seed(&rng, NULL, QPM_RNG_PCG64DXSM, 20261126));

    printf("\n1. ");
    if (chain_table_print(forward(BTC, 28 * DAY), 28.0) != 0)
        return 1;
    greeks(b76);
    double chol[NU][NU], dvol[NU];
    covariance(rng, chol, dvol);
    var_es(rng, b76, chol, nscen);

    qpm_rng_free(rng);
    qpm_pricer_free(b76);
    return 0;
}
