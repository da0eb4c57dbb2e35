/* The Monte Carlo job of the tail-risk work, against numpy in the same run:
 * 10 underlyings (spot in [20k, 100k], annual vol in [0.4, 1.2], one-factor
 * correlation with betas in [0.5, 0.9]), 10 European options each (strike =
 * spot x exp(U(ln 0.7, ln 1.4)), expiry in 7, 14, 30, 60, 91, 182, 365
 * days, implied vol = the underlying's vol x [0.9, 1.2], call or put,
 * quantity +-1..10), r = 3%; one-day multivariate Student-t scenarios
 * (nu = 4, unit variance), full revaluation, 99% VaR and ES, one thread
 * then two; then one thread with the experimental modes (grid revaluation,
 * fast normals, both, exact revaluation with fast normals, and ziggurat
 * normals with grid revaluation on one and two threads and with exact
 * revaluation) and the scenario generation alone.  The job's numbers come from the Weyl sequence
 * frac(0.5 + k phi), exactly as bench_mc_ref.py (numpy and scipy, run with /usr/bin/python3 on one
 * BLAS thread) builds them.  Times are process CPU seconds (the machine is shared), the median of
 * the repetitions (the two thread counts are compared by their median wall times); the two VaRs
 * differ by Monte Carlo error only (different random numbers).
 *
 *     bench_mc [scenarios (default 1000000)] [repetitions (default 3)] [script]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#define QPM_EXPERIMENTAL
#include "qpm/qpm.h"

#define NU   10
#define NOPT 100

static const char usage[] =
    "[scenarios] [repetitions] [script]\n"
    "  scenarios    Monte Carlo scenarios, 1000..100000000 (default 1000000)\n"
    "  repetitions  timed runs per case, 1..50 (default 3)\n"
    "  script       path of bench_mc_ref.py (default: found beside this program's source)";

static void check(qpm_status st, const char *what)
{
    if (st != QPM_OK) {
        fprintf(stderr, "%s: %s\n", what, qpm_last_error());
        exit(1);
    }
}

static double weyl(unsigned *k)
{
    ++*k;
    return fmod(0.5 + (double)*k * 0.6180339887498949, 1.0);
}

struct ctx {
    qpm_risk *r;
    qpm_book *b;
    double var, es;
};

static void run(void *v)
{
    struct ctx *c = v;
    check(qpm_risk_simulate(c->r, c->b, NULL, &c->var, &c->es, NULL, NULL), "simulate");
}

static double median(double *t, int reps)
{
    for (int i = 1; i < reps; i++)
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[reps / 2];
}

/* median of reps runs, process CPU time; *wall (if not NULL): the median
 * wall time of the same runs */
static double cpu_median_wall(void (*f)(void *), void *arg, int reps, double *wall)
{
    double t[64], w[64];
    for (int i = 0; i < reps; i++) {
        double t0 = bench_cpu_now(), w0 = bench_now();
        f(arg);
        t[i] = bench_cpu_now() - t0;
        w[i] = bench_now() - w0;
    }
    if (wall != NULL)
        *wall = median(w, reps);
    return median(t, reps);
}

static double cpu_median(void (*f)(void *), void *arg, int reps)
{
    return cpu_median_wall(f, arg, reps, NULL);
}

/* One single-thread line: the time of `what` (t seconds over n scenarios),
 * its VaR and ES (c) relative to ref_var and ref_es (`ref`), and `tail`. */
static void report(const char *what, double t, size_t n, const struct ctx *c, double ref_var,
                   double ref_es, const char *ref, const char *tail)
{
    printf("libqpm %s, 1 thread: %.3f s CPU (%.1f ns per scenario); VaR %.0f (%+.2e relative to "
           "%s), ES %.0f (%+.2e)%s\n",
           what, t, 1e9 * t / (double)n, c->var, c->var / ref_var - 1.0, ref, c->es,
           c->es / ref_es - 1.0, tail);
}

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 4)
        bench_bad_arg(argv, usage, "too many arguments", argv[4]);
    size_t n = argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "scenarios", 1000, 100000000)
                        : 1000000;
    int reps = argc > 2 ? (int)bench_arg_uint(argv, usage, argv[2], "repetitions", 1, 50) : 3;
    const char *script = bench_find_script(argc > 3 ? argv[3] : NULL, "bench_mc_ref.py");

    static const double days[7] = {7, 14, 30, 60, 91, 182, 365};
    const double r = 0.03;
    unsigned k = 0;
    double S[NU], vol[NU], beta[NU];
    for (int u = 0; u < NU; u++) {
        S[u] = 20000 + 80000 * weyl(&k);
        vol[u] = 0.4 + 0.8 * weyl(&k);
        beta[u] = 0.5 + 0.4 * weyl(&k);
    }
    qpm_book *b;
    check(qpm_book_create(&b, NULL), "book");
    for (int u = 0; u < NU; u++) {
        char name[8];
        snprintf(name, sizeof name, "U%d", u);
        check(qpm_book_add_underlying(b, name, S[u], r, NULL), "underlying");
        for (int e = 0; e < 7; e++)
            check(qpm_book_set_forward(b, (size_t)u, e, S[u] * exp(r * days[e] / 365.0),
                                       days[e] / 365.0),
                  "forward");
    }
    int32_t ins[NOPT], ex[NOPT], ty[NOPT];
    size_t und[NOPT];
    double K[NOPT], Q[NOPT], m[NOPT], sg[NOPT];
    for (int i = 0; i < NOPT; i++) {
        int u = i / 10;
        und[i] = (size_t)u;
        ins[i] = QPM_INSTR_LINEAR_OPTION;
        K[i] = S[u] * exp(log(0.7) + (log(1.4) - log(0.7)) * weyl(&k));
        int e = (int)(7 * weyl(&k));
        ex[i] = e > 6 ? 6 : e;
        sg[i] = vol[u] * (0.9 + 0.3 * weyl(&k));
        ty[i] = weyl(&k) < 0.5 ? QPM_CALL : QPM_PUT;
        int qq = (int)(10 * weyl(&k));
        Q[i] = (1 + (qq > 9 ? 9 : qq)) * (weyl(&k) < 0.5 ? 1.0 : -1.0);
        m[i] = 1.0;
    }
    check(qpm_book_add_positions(b, NOPT, ins, und, ex, ty, K, Q, m, NULL, sg), "positions");
    double cov[NU * NU];
    for (int i = 0; i < NU; i++)
        for (int j = 0; j < NU; j++)
            cov[i * NU + j] = (i == j ? 1.0 : beta[i] * beta[j]) * vol[i] * vol[j] / 365.0;
    qpm_risk *rk;
    check(qpm_risk_create(&rk, NULL), "risk");
    check(qpm_risk_set_covariance(rk, NU, cov, NU), "covariance");
    check(qpm_risk_set(rk, QPM_RISK_SCENARIOS, (double)n), "scenarios");
    check(qpm_risk_set(rk, QPM_RISK_T_DOF, 4), "t_dof");
    check(qpm_risk_set(rk, QPM_RISK_SEED, BENCH_SEED), "seed");

    printf("# bench_mc: %zu one-day Student-t scenarios, %d options on %d underlyings, full "
           "revaluation, 99%% VaR/ES; process CPU seconds, median of %d\n",
           n, NOPT, NU, reps);
    struct ctx c = {rk, b, 0, 0};
    double t1 = 0, t2 = 0, var1 = 0, es1 = 0;
    for (unsigned t = 1; t <= 2 && t <= qpm_max_threads(); t++) {
        check(qpm_risk_set(rk, QPM_RISK_THREADS, t), "threads");
        check(qpm_book_set(b, QPM_BOOK_THREADS, t), "threads");
        double wall = 0.0;
        double sec = cpu_median_wall(run, &c, reps, &wall);
        if (t == 1) {
            t1 = sec;
            var1 = c.var;
            es1 = c.es;
        } else {
            t2 = wall;
            if (c.var != var1 || c.es != es1) {
                fprintf(stderr, "VaR or ES differs between 1 and 2 threads\n");
                return 1;
            }
        }
        printf("libqpm, %u thread%s: %.3f s CPU (%.1f ns per scenario, %.2f ns per option "
               "revaluation), %.3f s wall (median)\n",
               t, t > 1 ? "s" : "", sec, 1e9 * sec / (double)n, 1e9 * sec / ((double)n * NOPT),
               wall);
        if (t == 1)
            t2 = wall;
    }
    printf("libqpm: VaR 99%% = %.0f, ES 99%% = %.0f USD\n", var1, es1);
    /* the grid mode (experimental): same scenarios, P&L read from grids */
    check(qpm_risk_set(rk, QPM_RISK_THREADS, 1), "threads");
    check(qpm_book_set(b, QPM_BOOK_THREADS, 1), "threads");
    check(qpm_risk_set(rk, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_GRID), "revaluation");
    double tg = cpu_median(run, &c, reps), bound = 0;
    check(qpm_risk_grid_error(rk, &bound), "grid_error");
    char tail[80];
    snprintf(tail, sizeof tail, "; interpolation bound %.3g USD per scenario", bound);
    report("grid mode", tg, n, &c, var1, es1, "exact", tail);
    check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_FAST), "normals");
    double tf = cpu_median(run, &c, reps);
    report("grid mode + fast normals", tf, n, &c, var1, es1, "exact", "");
    check(qpm_risk_set(rk, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_EXACT), "revaluation");
    double tef = cpu_median(run, &c, reps);
    report("exact revaluation + fast normals", tef, n, &c, var1, es1, "precise normals", "");
    /* ziggurat normals: another sample, so VaR and ES are compared with
     * exact revaluation of the same scenarios */
    check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_ZIGGURAT), "normals");
    double tze = cpu_median(run, &c, reps), zvar = c.var, zes = c.es;
    report("exact revaluation + ziggurat normals", tze, n, &c, var1, es1, "precise normals", "");
    check(qpm_risk_set(rk, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_GRID), "revaluation");
    double tzg = cpu_median(run, &c, reps);
    report("grid mode + ziggurat normals", tzg, n, &c, zvar, zes,
           "exact revaluation of the same scenarios", "");
    /* the accuracy (VaR and ES within 0.1 % of exact) allows a
     * looser grid: QPM_RISK_GRID_TOL = 1e-5 */
    check(qpm_risk_set(rk, QPM_RISK_GRID_TOL, 1e-5), "grid_tol");
    double tzg5 = cpu_median(run, &c, reps);
    report("grid mode (QPM_RISK_GRID_TOL 1e-5) + ziggurat normals", tzg5, n, &c, zvar, zes,
           "exact revaluation", "");
    check(qpm_risk_set(rk, QPM_RISK_GRID_TOL, 1e-7), "grid_tol");
    if (qpm_max_threads() >= 2) {
        double w1 = 0, w2 = 0;
        (void)cpu_median_wall(run, &c, reps, &w1);
        /* both handles on 2 threads, as for the exact run: the book's
         * threads build the grids */
        check(qpm_risk_set(rk, QPM_RISK_THREADS, 2), "threads");
        check(qpm_book_set(b, QPM_BOOK_THREADS, 2), "threads");
        double var_1 = c.var;
        (void)cpu_median_wall(run, &c, reps, &w2);
        check(qpm_risk_set(rk, QPM_RISK_THREADS, 1), "threads");
        check(qpm_book_set(b, QPM_BOOK_THREADS, 1), "threads");
        printf("libqpm grid mode + ziggurat normals, 2 threads: %.3f s wall against 1 thread "
               "%.3f s wall (median): %.2fx%s\n",
               w2, w1, w1 / w2, c.var == var_1 ? "" : " (VaR DIFFERS)");
    }
    check(qpm_risk_set(rk, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_EXACT), "revaluation");
    check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_PRECISE), "normals");
    /* scenario generation alone */
    {
        double *mv = malloc(n * NU * sizeof *mv);
        if (mv != NULL) {
            /* the pages faulted in first, or the first timing would pay
             * them (a zero fill would be turned into calloc, which does
             * not touch them) */
            memset(mv, 0xff, n * NU * sizeof *mv);
            double t0 = bench_cpu_now();
            check(qpm_risk_scenarios(rk, n, mv, NU, NULL, 0), "scenarios");
            double tgen = bench_cpu_now() - t0;
            printf("scenario generation alone (qpm_risk_scenarios), 1 thread: %.3f s CPU (%.1f ns "
                   "per scenario and underlying)\n",
                   tgen, 1e9 * tgen / ((double)n * NU));
            check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_FAST), "normals");
            t0 = bench_cpu_now();
            check(qpm_risk_scenarios(rk, n, mv, NU, NULL, 0), "scenarios");
            tgen = bench_cpu_now() - t0;
            check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_PRECISE), "normals");
            printf("the same with fast normals: %.3f s CPU (%.1f ns per scenario and "
                   "underlying)\n",
                   tgen, 1e9 * tgen / ((double)n * NU));
            check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_ZIGGURAT), "normals");
            t0 = bench_cpu_now();
            check(qpm_risk_scenarios(rk, n, mv, NU, NULL, 0), "scenarios");
            tgen = bench_cpu_now() - t0;
            check(qpm_risk_set(rk, QPM_RISK_NORMALS, QPM_RISK_NORMALS_PRECISE), "normals");
            printf("the same with ziggurat normals: %.3f s CPU (%.1f ns per scenario and "
                   "underlying)\n",
                   tgen, 1e9 * tgen / ((double)n * NU));
            free(mv);
        }
    }
    if (script == NULL) {
        printf("numpy: bench_mc_ref.py not found (give its path)\n");
    } else {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 '%s' %zu", script, n);
        FILE *p = popen(cmd, "r");
        double sec = 0, var = 0, es = 0;
        if (p == NULL || fscanf(p, "%lf %lf %lf", &sec, &var, &es) != 3) {
            printf("numpy: %s did not run (python3-numpy and python3-scipy)\n", script);
        } else {
            printf("numpy+scipy, 1 thread: %.3f s CPU; VaR 99%% = %.0f, ES 99%% = %.0f USD\n", sec,
                   var, es);
            printf("ratio numpy / libqpm (1 thread, CPU time): %.2fx; exact + fast normals "
                   "%.2fx; grid mode %.2fx; grid mode + fast normals %.2fx; exact + ziggurat "
                   "normals %.2fx; grid mode + ziggurat normals %.2fx (grid tolerance 1e-5: "
                   "%.2fx)\n",
                   sec / t1, sec / tef, sec / tg, sec / tf, sec / tze, sec / tzg, sec / tzg5);
        }
        if (p != NULL)
            pclose(p);
    }
    (void)t2;
    qpm_risk_free(rk);
    qpm_book_free(b);
    return 0;
}
