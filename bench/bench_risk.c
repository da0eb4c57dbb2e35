/* Monte Carlo VaR throughput: scenarios per second for a 50-option book on
 * two underlyings (BTC, ETH), full revaluation through qpm_book_pnl, at 1
 * and 2 threads (the risk handle's scenario threads and the book's P&L
 * threads set alike), beside the scenario generation alone and the book's
 * P&L alone on the same scenarios, all in the same run.
 *
 *     bench_risk [scenarios (default 200000)] [t_dof (default 4)] [max_threads (default 2)]
 *
 * Thread counts double from 1 up to max_threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qpm/qpm.h"

#define NOPT 50

struct ctx {
    qpm_risk *r;
    qpm_book *b;
    size_t n;
    double *mv, *vs, *pnl;
    double var, es;
};

static void run_sim(void *v)
{
    struct ctx *c = v;
    if (qpm_risk_simulate(c->r, c->b, NULL, &c->var, &c->es, NULL, NULL) != QPM_OK) {
        fprintf(stderr, "simulate: %s\n", qpm_last_error());
        exit(1);
    }
}

static void run_scen(void *v)
{
    struct ctx *c = v;
    if (qpm_risk_scenarios(c->r, c->n, c->mv, 2, c->vs, 2) != QPM_OK)
        exit(1);
}

static void run_pnl(void *v)
{
    struct ctx *c = v;
    if (qpm_book_pnl(c->b, c->n, c->mv, 2, c->vs, 2, c->pnl) != QPM_OK)
        exit(1);
}

static void check(qpm_status st, const char *what)
{
    if (st != QPM_OK) {
        fprintf(stderr, "%s: %s\n", what, qpm_last_error());
        exit(1);
    }
}

static const char usage[] =
    "[scenarios] [t_dof] [max_threads]\n"
    "  scenarios    Monte Carlo scenarios, 1..100000000 (default 200000)\n"
    "  t_dof        Student-t degrees of freedom, > 2; 0 or inf: Gaussian (default 4)\n"
    "  max_threads  largest thread count, counts double from 1 (default 2)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 4)
        bench_bad_arg(argv, usage, "too many arguments", argv[4]);
    size_t n = argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "scenarios", 1, 100000000)
                        : 200000;
    double nu = 4.0;
    if (argc > 2 && strcmp(argv[2], "inf") == 0)
        nu = HUGE_VAL;
    else if (argc > 2)
        nu = bench_arg_double(argv, usage, argv[2], "t_dof", 0.0, 1e6);
    if (nu > 0.0 && nu <= 2.0)
        bench_bad_arg(argv, usage, "t_dof must be > 2, or 0 or inf for Gaussian", argv[2]);
    unsigned max_threads = argc > 3 ? (unsigned)bench_arg_uint(argv, usage, argv[3], "max_threads",
                                                               1, qpm_max_threads())
                                    : 2u;
    qpm_book *b;
    check(qpm_book_create(&b, NULL), "book");
    check(qpm_book_add_underlying(b, "BTC", 65000.0, 0.05, NULL), "underlying");
    check(qpm_book_add_underlying(b, "ETH", 3200.0, 0.05, NULL), "underlying");
    /* four expiries per underlying */
    const double days[4] = {7, 30, 90, 180};
    for (int u = 0; u < 2; u++)
        for (int e = 0; e < 4; e++) {
            double s = u == 0 ? 65000.0 : 3200.0, t = days[e] / 365.0;
            check(qpm_book_set_forward(b, (size_t)u, e, s * exp(0.05 * t), t), "forward");
        }
    int32_t ins[NOPT], exp_id[NOPT], typ[NOPT];
    size_t und[NOPT];
    double k[NOPT], q[NOPT], m[NOPT], e[NOPT], sg[NOPT];
    unsigned long long st = BENCH_SEED;
    for (int i = 0; i < NOPT; i++) {
        und[i] = (size_t)(i % 2);
        double s = und[i] == 0 ? 65000.0 : 3200.0;
        ins[i] = i % 3 == 0 ? QPM_INSTR_INVERSE_OPTION : QPM_INSTR_LINEAR_OPTION;
        exp_id[i] = (i / 2) % 4;
        typ[i] = i % 4 < 2 ? QPM_CALL : QPM_PUT;
        k[i] = s * bench_uniform(&st, 0.7, 1.3);
        q[i] = bench_uniform(&st, -20.0, 20.0);
        m[i] = 1.0;
        e[i] = 1.0;
        sg[i] = bench_uniform(&st, 0.4, 0.9);
    }
    check(qpm_book_add_positions(b, NOPT, ins, und, exp_id, typ, k, q, m, e, sg), "positions");
    qpm_risk *r;
    check(qpm_risk_create(&r, NULL), "risk");
    double cov[4] = {0.032 * 0.032, 0.8 * 0.032 * 0.042, 0.8 * 0.032 * 0.042, 0.042 * 0.042};
    check(qpm_risk_set_covariance(r, 2, cov, 2), "cov");
    check(qpm_risk_set(r, QPM_RISK_SCENARIOS, (double)n), "scenarios");
    check(qpm_risk_set(r, QPM_RISK_T_DOF, nu), "dof");
    check(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.05), "vov");
    check(qpm_risk_set(r, QPM_RISK_JUMP_INTENSITY, 0.02), "jumps");
    check(qpm_risk_set(r, QPM_RISK_JUMP_STD, 0.05), "jumps");

    struct ctx c = {r, b, n, malloc(n * 2 * sizeof(double)), malloc(n * 2 * sizeof(double)),
                    malloc(n * sizeof(double)), 0, 0};
    printf("# bench_risk: %zu scenarios, %d options on 2 underlyings, Student-t nu = %g, "
           "jumps, vol of vol\n", n, NOPT, nu);
    double ref = 0.0, var1 = 0.0;
    bench_table_header("Monte Carlo VaR (scenarios per second; ratio vs 1 thread)");
    for (unsigned t = 1; t <= max_threads; t *= 2) {
        check(qpm_risk_set(r, QPM_RISK_THREADS, t), "threads");
        check(qpm_book_set(b, QPM_BOOK_THREADS, t), "threads");
        double sec = bench_median(run_sim, &c, 1, 5);
        if (t == 1) {
            ref = sec;
            var1 = c.var;
        } else if (c.var != var1) {
            fprintf(stderr, "VaR differs across threads\n");
            return 1;
        }
        char name[64];
        snprintf(name, sizeof name, "simulate (generate + revalue + VaR), %u thread%s", t,
                 t > 1 ? "s" : "");
        bench_table_row(name, sec, (double)n, ref);
    }
    bench_table_header("Parts of a run (ratio vs the whole run at 1 thread)");
    for (unsigned t = 1; t <= max_threads; t *= 2) {
        check(qpm_risk_set(r, QPM_RISK_THREADS, t), "threads");
        check(qpm_book_set(b, QPM_BOOK_THREADS, t), "threads");
        char name[64];
        snprintf(name, sizeof name, "scenario generation, %u thread%s", t, t > 1 ? "s" : "");
        bench_table_row(name, bench_median(run_scen, &c, 1, 5), (double)n, ref);
        snprintf(name, sizeof name, "book P&L (50 options), %u thread%s", t, t > 1 ? "s" : "");
        bench_table_row(name, bench_median(run_pnl, &c, 1, 5), (double)n, ref);
    }
    printf("\nVaR 99%% = %.2f USD, ES 99%% = %.2f USD\n", c.var, c.es);
    free(c.mv);
    free(c.vs);
    free(c.pnl);
    qpm_risk_free(r);
    qpm_book_free(b);
    return 0;
}
