/* Heston option chains (include/qpm/models.h): a 200-option chain, 40
 * strikes x 5 expiries, priced by qpm_heston_price one expiry per call (the
 * characteristic function shared by the 40 strikes), one option per call,
 * with the Greeks, and under Bates and Merton; with QuantLib's
 * AnalyticHestonEngine (Gauss-Laguerre and Gauss-Lobatto) and
 * COSHestonEngine on the same options in the same run when QuantLib is
 * found.  Process CPU time (the machine may be shared).  Prints the time per option and each
 * QuantLib engine's largest price difference from libqpm (relative to S). */
#define QPM_EXPERIMENTAL
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "qpm/models.h"

#define NEXP 5
#define NK   40
#define NOPT (NEXP * NK)

static const char USAGE[] = "[reps] (default 21: timed repetitions, median reported)";

static const int DAYS[NEXP] = {1, 7, 30, 91, 365};
static const double S = 30000.0, R = 0.02, Q = 0.0;
static const qpm_heston H = {0.5, 2.0, 0.6, 1.2, -0.5};
static const qpm_jumps J = {3.0, -0.05, 0.1};

static double K[NOPT], price[NOPT], delta[NOPT], gamma_[NOPT], vega[NOPT];
static int32_t type[NOPT];

static double T_of(int e)
{
    return DAYS[e] / 365.0;
}

static void chain(void *ctx)
{
    (void)ctx;
    for (int e = 0; e < NEXP; e++)
        qpm_heston_price(&H, S, T_of(e), R, Q, NK, K + e * NK, type + e * NK, price + e * NK, NULL,
                         NULL, NULL);
}

static void chain_greeks(void *ctx)
{
    (void)ctx;
    for (int e = 0; e < NEXP; e++)
        qpm_heston_price(&H, S, T_of(e), R, Q, NK, K + e * NK, type + e * NK, price + e * NK,
                         delta + e * NK, gamma_ + e * NK, vega + e * NK);
}

static void one_by_one(void *ctx)
{
    (void)ctx;
    for (int i = 0; i < NOPT; i++)
        qpm_heston_price(&H, S, T_of(i / NK), R, Q, 1, K + i, type + i, price + i, NULL, NULL,
                         NULL);
}

static void bates(void *ctx)
{
    (void)ctx;
    for (int e = 0; e < NEXP; e++)
        qpm_bates_price(&H, &J, S, T_of(e), R, Q, NK, K + e * NK, type + e * NK, price + e * NK,
                        NULL, NULL, NULL);
}

static void merton(void *ctx)
{
    (void)ctx;
    for (int e = 0; e < NEXP; e++)
        qpm_merton_price(0.7, &J, S, T_of(e), R, Q, NK, K + e * NK, type + e * NK, price + e * NK,
                         NULL, NULL, NULL);
}

/* calibration to the chain's prices (targets from H), from a neutral start */
static double T_all[NOPT], target[NOPT];
static qpm_calib_result cres;

static void calibrate(void *ctx)
{
    (void)ctx;
    static const qpm_heston start = {0.1, 1.0, 0.1, 0.5, -0.5};
    qpm_calib_options o = {0};
    o.size = sizeof o;
    cres = (qpm_calib_result){0};
    cres.size = sizeof cres;
    if (qpm_heston_calibrate(&start, NULL, S, R, Q, NOPT, T_all, K, target, NULL, type, &o, NULL,
                             &cres) != QPM_OK) {
        fprintf(stderr, "bench_heston: calibration failed: %s\n", qpm_last_error());
        exit(1);
    }
}

/* RMSE (vol points) of the smile of h against the target vols */
/* RMSE (vol points) of the smile of h against the target vols, over the
 * strikes where the model price has an implied vol (*nfail: the others) */
static double smile_rmse(const qpm_heston *h, const double *iv_target, int *nfail)
{
    double se = 0.0, iv[NK];
    int ok = 0;
    *nfail = 0;
    for (int e = 0; e < NEXP; e++) {
        qpm_heston_smile(h, NULL, S, T_of(e), R, Q, NK, K + e * NK, NULL, iv, NULL);
        for (int i = 0; i < NK; i++) {
            double d = iv[i] - iv_target[e * NK + i];
            if (isfinite(d)) {
                se += d * d;
                ok++;
            } else {
                ++*nfail;
            }
        }
    }
    return 100.0 * sqrt(se / (ok > 0 ? ok : 1));
}

#ifdef QPM_BENCH_QUANTLIB
struct qpmb_ql_heston;
struct qpmb_ql_heston *qpmb_ql_heston_new(int engine, double S, double r, double q, double v0,
                                          double kappa, double theta, double sigma, double rho,
                                          size_t nexp, const int *days, size_t nk, const double *K,
                                          const int32_t *type);
void qpmb_ql_heston_price(struct qpmb_ql_heston *h, double *price);
void qpmb_ql_heston_free(struct qpmb_ql_heston *h);
void qpmb_ql_heston_calibrate(double S, double r, double q, const double *start, size_t nexp,
                              const int *days, size_t nk, const double *K, const double *iv,
                              int error_type, double *fitted, long *model_values, int *end_type);

typedef struct ql_calib {
    const double *iv;
    int error_type;
    double fitted[5];
    long model_values;
    int end_type;
} ql_calib;

static const double START[5] = {0.1, 1.0, 0.1, 0.5, -0.5};

static void ql_calib_run(void *ctx)
{
    ql_calib *c = ctx;
    qpmb_ql_heston_calibrate(S, R, Q, START, NEXP, DAYS, NK, K, c->iv, c->error_type, c->fitted,
                             &c->model_values, &c->end_type);
}

static double ql_price[NOPT];
static void ql_run(void *ctx)
{
    qpmb_ql_heston_price(ctx, ql_price);
}
#endif

/* Calibration to the 200 prices of truth on the chain layout above
 * (strikes +-3 sd of sqrt(v0)), libqpm and QuantLib from the same start. */
static void calib_case(const qpm_heston *truth, const char *label, int creps)
{
    double iv_true[NOPT];
    for (int e = 0; e < NEXP; e++) {
        double T = T_of(e), F = S * exp((R - Q) * T), sd = sqrt(truth->v0 * T);
        for (int i = 0; i < NK; i++) {
            double z = -3.0 + 6.0 * i / (NK - 1);
            K[e * NK + i] = F * exp(z * sd);
            type[e * NK + i] = z < 0 ? -1 : 1;
            T_all[e * NK + i] = T;
        }
        qpm_heston_price(truth, S, T, R, Q, NK, K + e * NK, type + e * NK, target + e * NK, NULL,
                         NULL, NULL);
        qpm_heston_smile(truth, NULL, S, T, R, Q, NK, K + e * NK, NULL, iv_true + e * NK, NULL);
    }
    double t_cal = bench_median_cpu(calibrate, NULL, 1, creps);
    int nf;
    double rm_q = smile_rmse(&cres.heston, iv_true, &nf);
    printf("\nHeston calibration to 200 prices (%s), start v0 = %g, kappa = %g, theta = %g, "
           "sigma = %g, rho = %g; median of %d\n",
           label, 0.1, 1.0, 0.1, 0.5, -0.5, creps);
    printf("  libqpm qpm_heston_calibrate (vol residuals): %.3f ms, %zu iterations, %zu chain "
           "evaluations, outcome %d, RMSE %.3g vol pts (max %.3g), params %.10g %.10g %.10g "
           "%.10g %.10g\n",
           t_cal * 1e3, cres.iterations, cres.evaluations, (int)cres.outcome, rm_q,
           cres.max_vol_err_volpts, cres.heston.v0, cres.heston.kappa, cres.heston.theta,
           cres.heston.sigma, cres.heston.rho);
#ifdef QPM_BENCH_QUANTLIB
    static const char *const ename[3] = {"relative price error (default)", "price error",
                                         "implied vol error"};
    for (int et = 0; et < 3; et++) {
        ql_calib qc = {iv_true, et, {0}, 0, 0};
        double t_ql = bench_median_cpu(ql_calib_run, &qc, 0, 1);
        qpm_heston qh = {qc.fitted[0], qc.fitted[1], qc.fitted[2], qc.fitted[3], qc.fitted[4]};
        double rm_ql = smile_rmse(&qh, iv_true, &nf);
        printf("  QuantLib HestonModel + HestonModelHelper (%s) + LevenbergMarquardt "
               "(AnalyticHestonEngine, Gauss-Laguerre): %.3f ms, %ld model prices (%.1f cost "
               "evaluations), end criteria %d, RMSE %.3g vol pts (%d strikes without a vol), "
               "params %.10g %.10g %.10g %.10g %.10g\n",
               ename[et], t_ql * 1e3, qc.model_values, (double)qc.model_values / NOPT,
               qc.end_type, rm_ql, nf, qh.v0, qh.kappa, qh.theta, qh.sigma, qh.rho);
        printf("  ratio QuantLib / libqpm: %.1fx (fit error libqpm %.3g vs QuantLib %.3g vol "
               "pts)\n",
               t_ql / t_cal, rm_q, rm_ql);
    }
#endif
}

int main(int argc, char **argv)
{
    bench_help(argc, argv, USAGE);
    int reps = 21;
    if (argc > 2)
        bench_bad_arg(argv, USAGE, "too many arguments", argv[2]);
    if (argc == 2)
        reps = (int)bench_arg_uint(argv, USAGE, argv[1], "reps", 1, 64);
    /* out-of-the-money chain: ln(K/F) from -3 to 3 standard deviations of
     * the log price (vol sqrt(v0)), puts below the forward */
    for (int e = 0; e < NEXP; e++) {
        double T = T_of(e), F = S * exp((R - Q) * T), sd = sqrt(H.v0 * T);
        for (int i = 0; i < NK; i++) {
            double z = -3.0 + 6.0 * i / (NK - 1);
            K[e * NK + i] = F * exp(z * sd);
            type[e * NK + i] = z < 0 ? -1 : 1;
        }
    }
    double ref[NOPT];
    chain(NULL);
    for (int i = 0; i < NOPT; i++)
        ref[i] = price[i];

    printf("Heston chain: S = %g, r = %g, v0 = %g, kappa = %g, theta = %g, sigma = %g, rho = %g;"
           " %d strikes (OTM, ln(K/F) in +-3 sd) x expiries of 1, 7, 30, 91, 365 days; median of"
           " %d\n",
           S, R, H.v0, H.kappa, H.theta, H.sigma, H.rho, NK, reps);
    double t_chain = bench_median_cpu(chain, NULL, 2, reps);
    bench_table_header("time per option (200 options)");
    bench_table_row("libqpm qpm_heston_price, one call per expiry (40 strikes)", t_chain, NOPT,
                    t_chain);
    bench_table_row("libqpm qpm_heston_price, + delta, gamma, vega",
                    bench_median_cpu(chain_greeks, NULL, 2, reps), NOPT, t_chain);
    bench_table_row("libqpm qpm_heston_price, one option per call",
                    bench_median_cpu(one_by_one, NULL, 1, reps), NOPT, t_chain);
    bench_table_row("libqpm qpm_bates_price (lambda 3, muJ -0.05, deltaJ 0.1)",
                    bench_median_cpu(bates, NULL, 2, reps), NOPT, t_chain);
    bench_table_row("libqpm qpm_merton_price (sigma 0.7, same jumps)",
                    bench_median_cpu(merton, NULL, 2, reps), NOPT, t_chain);
#ifdef QPM_BENCH_QUANTLIB
    static const char *const names[3] = {"QuantLib AnalyticHestonEngine (Gauss-Laguerre 144)",
                                         "QuantLib AnalyticHestonEngine (Gauss-Lobatto, rel 1e-12)",
                                         "QuantLib COSHestonEngine (L 16, N 200)"};
    double err[3];
    for (int eng = 0; eng < 3; eng++) {
        struct qpmb_ql_heston *h = qpmb_ql_heston_new(eng, S, R, Q, H.v0, H.kappa, H.theta, H.sigma,
                                                      H.rho, NEXP, DAYS, NK, K, type);
        double t = bench_median_cpu(ql_run, h, 1, eng == 1 ? (reps < 3 ? reps : 3) : reps);
        err[eng] = 0.0;
        for (int i = 0; i < NOPT; i++)
            err[eng] = fmax(err[eng], fabs(ql_price[i] - ref[i]) / S);
        bench_table_row(names[eng], t, NOPT, t_chain);
        qpmb_ql_heston_free(h);
    }
    printf("\nmax |QuantLib - libqpm| / S over the 200 options: Laguerre %.3g, Lobatto %.3g, "
           "COS %.3g\n",
           err[0], err[1], err[2]);
#else
    printf("\n(QuantLib not found at configuration: no reference rows)\n");
#endif

    int creps = reps < 5 ? reps : 5;
    calib_case(&H, "the chain above", creps);
    static const qpm_heston H2 = {0.04, 1.5, 0.05, 0.5, -0.6};
    calib_case(&H2, "equity-like: v0 0.04, kappa 1.5, theta 0.05, sigma 0.5, rho -0.6", creps);
    return 0;
}
