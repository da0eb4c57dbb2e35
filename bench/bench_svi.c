/* Volatility smiles and surfaces (include/qpm/surface.h): one 40-strike
 * raw SVI slice fitted to vol quotes (and to coin-settled prices), a
 * 10-expiry surface fitted slice by slice and as SSVI, and the vol query
 * on 10,000 (T, K) points.  Quotes: SSVI smiles with a deterministic
 * +-0.2 vol-point noise.  The queries run on the SSVI surface of 10 slices,
 * T from 1 day to 2 years, |k| <= 0.8.  Process CPU time (the machine may be shared),
 * median of repetitions; prints the fits' RMSE in vol points. */
#define QPM_EXPERIMENTAL
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "qpm/pricing.h"
#include "qpm/surface.h"

#define NK   40
#define NEXP 10
#define NQ   10000

static const char USAGE[] = "[reps] (default 21: timed repetitions, median reported)";

static const qpm_ssvi SS = {-0.25, 0.8, 0.45};
static double T[NEXP], F[NEXP], K[NEXP][NK], vol[NEXP][NK], price[NK];
static int32_t type[NK];
static qpm_smile_quotes q[NEXP], qp;
static double qT[NQ], qK[NQ], qk[NQ], qv[NQ];
static qpm_surface *surf;
static qpm_svi_report rep;
static qpm_ssvi_report srep;

static void make(void)
{
    unsigned long long st = 20241202;
    for (int e = 0; e < NEXP; e++) {
        T[e] = 7.0 / 365.0 * pow(1.6, e);
        F[e] = 95000.0 * exp(0.05 * T[e]);
        double theta = 0.36 * T[e];
        qpm_svi p;
        qpm_ssvi_to_svi(&SS, theta, &p);
        double span = 3.5 * sqrt(theta);
        for (int i = 0; i < NK; i++) {
            double k = -span + 2.0 * span * i / (NK - 1);
            double x = k - p.m;
            double w = p.a + p.b * (p.rho * x + sqrt(x * x + p.sigma * p.sigma));
            K[e][i] = F[e] * exp(k);
            vol[e][i] = sqrt(w / T[e]) + bench_uniform(&st, -0.002, 0.002);
        }
        memset(&q[e], 0, sizeof q[e]);
        q[e].size = sizeof q[e];
        q[e].n = NK;
        q[e].strike = K[e];
        q[e].kind = QPM_QUOTE_VOL;
        q[e].mid = vol[e];
    }
    /* the 3-month slice as coin prices, out of the money */
    int e = 5;
    qpm_pricer *pr;
    qpm_pricer_create(&pr, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE);
    for (int i = 0; i < NK; i++)
        type[i] = K[e][i] < F[e] ? QPM_PUT : QPM_CALL;
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = price;
    qpm_pricer_price_chain(pr, NK, F[e], T[e], 0.0, 0.0, K[e], vol[e], type, &o);
    qpm_pricer_free(pr);
    qp = q[e];
    qp.kind = QPM_QUOTE_PRICE;
    qp.mid = price;
    qp.type = type;
    qp.settlement = QPM_SETTLE_INVERSE;
    for (int i = 0; i < NQ; i++) {
        qT[i] = bench_uniform(&st, 1.0 / 365.0, 2.0);
        qK[i] = 95000.0 * exp(bench_uniform(&st, -0.8, 0.8));
        qk[i] = log(qK[i] / 95000.0);
    }
}

static void fit_one(void *ctx)
{
    (void)ctx;
    qpm_surface_fit_slice(surf, T[5], F[5], &q[5], 0, &rep);
}

static void fit_one_prices(void *ctx)
{
    (void)ctx;
    qpm_surface_fit_slice(surf, T[5], F[5], &qp, 0, &rep);
}

static void fit_all(void *ctx)
{
    (void)ctx;
    for (int e = 0; e < NEXP; e++)
        qpm_surface_fit_slice(surf, T[e], F[e], &q[e], 0, &rep);
}

static void fit_ssvi(void *ctx)
{
    (void)ctx;
    qpm_surface_fit_ssvi(surf, NEXP, T, F, q, NULL, NULL, &srep);
}

static void query(void *ctx)
{
    (void)ctx;
    qpm_surface_vol(surf, NQ, qT, qK, qv);
}

static void query_k(void *ctx)
{
    (void)ctx;
    qpm_surface_total_variance_k(surf, NQ, qT, qk, qv);
}

int main(int argc, char **argv)
{
    bench_help(argc, argv, USAGE);
    int reps = 21;
    if (argc > 2)
        bench_bad_arg(argv, USAGE, "too many arguments", argv[2]);
    if (argc == 2)
        reps = (int)bench_arg_uint(argv, USAGE, argv[1], "reps", 1, 1000);
    make();
    if (qpm_surface_create(&surf, NULL) != QPM_OK)
        return 1;
    rep.size = sizeof rep;
    srep.size = sizeof srep;

    double t1 = bench_median_cpu(fit_one, NULL, 2, reps);
    double rmse1 = rep.rmse_volpts;
    size_t it1 = rep.iterations;
    double t1p = bench_median_cpu(fit_one_prices, NULL, 2, reps);
    double t10 = bench_median_cpu(fit_all, NULL, 1, reps);
    double worst = 0.0;
    for (size_t i = 0; i < qpm_surface_n_slices(surf); i++) {
        qpm_svi_report r;
        memset(&r, 0, sizeof r);
        r.size = sizeof r;
        qpm_surface_slice(surf, i, NULL, NULL, NULL, &r);
        worst = fmax(worst, r.rmse_volpts);
    }
    double tss = bench_median_cpu(fit_ssvi, NULL, 1, reps);
    double tq = bench_median_cpu(query, NULL, 2, reps);
    double tqk = bench_median_cpu(query_k, NULL, 2, reps);

    bench_table_header("fits (40 strikes per expiry, quotes with +-0.2 vol-point noise)");
    bench_table_row("one slice, raw SVI from vols (per slice)", t1, 1, t1);
    bench_table_row("one slice, raw SVI from coin prices (per slice)", t1p, 1, t1);
    bench_table_row("10 expiries, raw SVI slice by slice (per surface)", t10, 1, t1);
    bench_table_row("10 expiries, SSVI (per surface)", tss, 1, t1);
    bench_table_header("queries");
    bench_table_row("qpm_surface_vol, 10,000 (T, K) points (per point)", tq, NQ, tq);
    bench_table_row("qpm_surface_total_variance_k, 10,000 (T, k) points (per point)", tqk, NQ,
                    tq);
    printf("\none slice: %.1f us, RMSE %.3f vol points, %zu iterations\n", t1 * 1e6, rmse1, it1);
    printf("10 expiries slice by slice: %.3f ms, worst slice RMSE %.3f vol points\n", t10 * 1e3,
           worst);
    printf("10 expiries SSVI: %.3f ms, RMSE %.3f vol points\n", tss * 1e3, srep.rmse_volpts);
    qpm_surface_free(surf);
    return 0;
}
