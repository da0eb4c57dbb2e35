/* Throughput of qpm_book_pnl, the Monte Carlo inner loop: a 50-option book
 * (BTC and ETH, linear and inverse, calls and puts, four expiries) plus
 * futures, perps and spot, revalued under joint spot and vol scenarios.
 * Rows, side by side in one run:
 *   pricer batch     qpm_pricer_price on the book's 50 options moved by the
 *                    same n scenarios, in one batch (the kernel alone on the
 *                    same inputs: the floor for full revaluation)
 *   pnl, per scen.   qpm_book_pnl called once per scenario (50 options per
 *                    kernel call: the cost of small batches)
 *   pnl, 1 thread    one qpm_book_pnl call for all n scenarios
 *   pnl, 2 threads   the same with QPM_BOOK_THREADS = 2
 * Figures are per (scenario x option); the ratio column is against the
 * pricer batch.  Usage: bench_book [n_scenarios (default 100000)] [max_threads (default
 * 2; thread counts double from 1)]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qpm/book.h"
#include "qpm/pricing.h"

#define NOPT 50

/* the 50 options as pricer inputs (base market) */
static double oF[NOPT], oK[NOPT], oT[NOPT], oS[NOPT];
static int32_t oty[NOPT];
static size_t ou[NOPT];

static qpm_book *make_book(void)
{
    qpm_book *b;
    if (qpm_book_create(&b, NULL) != QPM_OK)
        exit(1);
    const double S[2] = {60682.5, 3344.99};
    const char *names[2] = {"BTC", "ETH"};
    const double T[4] = {7 / 365.0, 30 / 365.0, 91 / 365.0, 182 / 365.0};
    for (size_t u = 0; u < 2; u++) {
        qpm_book_add_underlying(b, names[u], S[u], 0.045, NULL);
        qpm_book_set_perp(b, u, S[u] * 0.9995);
        for (int32_t k = 0; k < 4; k++)
            qpm_book_set_forward(b, u, k, S[u] * exp(0.05 * T[k]), T[k]);
    }
    unsigned long long st = BENCH_SEED;
    int32_t in[NOPT + 8], ex[NOPT + 8], ty[NOPT + 8];
    size_t un[NOPT + 8];
    double K[NOPT + 8], Q[NOPT + 8], m[NOPT + 8], e[NOPT + 8], sg[NOPT + 8];
    size_t n = 0;
    for (size_t i = 0; i < NOPT; i++, n++) {
        size_t u = i % 2;
        in[n] = (i / 2) % 2 ? QPM_INSTR_INVERSE_OPTION : QPM_INSTR_LINEAR_OPTION;
        un[n] = u;
        ex[n] = (int32_t)((i / 4) % 4);
        ty[n] = (i / 3) % 2 ? QPM_PUT : QPM_CALL;
        K[n] = S[u] * bench_uniform(&st, 0.7, 1.4);
        Q[n] = bench_uniform(&st, -20, 20);
        m[n] = in[n] == QPM_INSTR_LINEAR_OPTION ? 0.1 : 1.0;
        e[n] = (double)NAN;
        sg[n] = bench_uniform(&st, 0.4, 1.1);
        oF[n] = S[u] * exp(0.05 * T[ex[n]]);
        oT[n] = T[ex[n]];
        oK[n] = K[n];
        oS[n] = sg[n];
        oty[n] = ty[n];
        ou[n] = u;
    }
    const int32_t lin[4] = {QPM_INSTR_LINEAR_FUTURE, QPM_INSTR_INVERSE_FUTURE,
                            QPM_INSTR_LINEAR_PERP, QPM_INSTR_INVERSE_PERP};
    for (size_t j = 0; j < 8; j++, n++) {
        size_t u = j % 2;
        in[n] = lin[j / 2];
        un[n] = u;
        ex[n] = 2;
        ty[n] = 0;
        K[n] = sg[n] = (double)NAN;
        Q[n] = bench_uniform(&st, -100, 100);
        m[n] = in[n] == QPM_INSTR_INVERSE_FUTURE || in[n] == QPM_INSTR_INVERSE_PERP ? 10.0 : 1.0;
        e[n] = S[u] * bench_uniform(&st, 0.95, 1.05);
    }
    if (qpm_book_add_positions(b, n, in, un, ex, ty, K, Q, m, e, sg) != QPM_OK)
        exit(1);
    return b;
}

struct ctx {
    qpm_book *b;
    qpm_pricer *p;
    size_t n;
    double *x, *v, *pnl;
    double *F, *K, *T, *r, *sg, *out;
    int32_t *ty;
};

static void run_pricer(void *vc)
{
    struct ctx *c = vc;
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = c->out;
    qpm_pricer_price(c->p, c->n * NOPT, c->F, c->K, c->T, c->r, NULL, c->sg, c->ty, &o);
}

static void run_pnl(void *vc)
{
    struct ctx *c = vc;
    if (qpm_book_pnl(c->b, c->n, c->x, 2, c->v, 2, c->pnl) != QPM_OK)
        exit(1);
}

static void run_pnl_each(void *vc)
{
    struct ctx *c = vc;
    for (size_t s = 0; s < c->n; s++)
        qpm_book_pnl(c->b, 1, c->x + 2 * s, 2, c->v + 2 * s, 2, c->pnl + s);
}

static const char usage[] =
    "[n_scenarios] [max_threads]\n"
    "  n_scenarios  scenarios per P&L call, 1..100000000 (default 100000)\n"
    "  max_threads  largest thread count, 1..256; counts double from 1 (default 2)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 3)
        bench_bad_arg(argv, usage, "too many arguments", argv[3]);
    size_t n = argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "n_scenarios", 1, 100000000)
                        : 100000;
    int max_threads = argc > 2 ? (int)bench_arg_uint(argv, usage, argv[2], "max_threads", 1, 256) : 2;
    struct ctx c = {0};
    c.b = make_book();
    c.n = n;
    c.x = malloc(2 * n * sizeof *c.x);
    c.v = malloc(2 * n * sizeof *c.v);
    c.pnl = malloc(n * sizeof *c.pnl);
    unsigned long long st = BENCH_SEED + 1;
    for (size_t i = 0; i < 2 * n; i++) {
        c.x[i] = bench_uniform(&st, -0.15, 0.15);
        c.v[i] = bench_uniform(&st, -0.3, 0.3);
    }
    /* the pricer floor: the book's 50 options under the same n scenarios */
    size_t no = n * NOPT;
    c.F = malloc(no * sizeof(double));
    c.K = malloc(no * sizeof(double));
    c.T = malloc(no * sizeof(double));
    c.r = malloc(no * sizeof(double));
    c.sg = malloc(no * sizeof(double));
    c.out = malloc(no * sizeof(double));
    c.ty = malloc(no * sizeof(int32_t));
    for (size_t i = 0; i < no; i++) {
        size_t sc = i / NOPT, j = i % NOPT;
        c.F[i] = oF[j] * (1.0 + c.x[2 * sc + ou[j]]);
        c.K[i] = oK[j];
        c.T[i] = oT[j];
        c.r[i] = 0.045;
        c.sg[i] = oS[j] * (1.0 + c.v[2 * sc + ou[j]]);
        c.ty[i] = oty[j];
    }
    if (qpm_pricer_create(&c.p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR) != QPM_OK)
        return 1;
    double kern;
    qpm_pricer_get(c.p, QPM_PRICER_KERNEL, &kern);
    printf("qpm_book_pnl: %zu scenarios x %d options (+ 8 futures/perps, 2 underlyings); "
           "pricer kernel %d; median of 7, wall clock\n",
           n, NOPT, (int)kern);
    double items = (double)n * NOPT;
    double t_pr = bench_median(run_pricer, &c, 1, 7);
    double t1 = bench_median(run_pnl, &c, 1, 7);
    double *one = malloc(n * sizeof *one);
    memcpy(one, c.pnl, n * sizeof *one);
    double te = bench_median(run_pnl_each, &c, 1, 5);
    bench_table_header("book P&L per (scenario x option)");
    bench_table_row("pricer batch (kernel floor)", t_pr, items, t_pr);
    bench_table_row("pnl, one call per scenario", te, items, t_pr);
    bench_table_row("pnl, 1 thread", t1, items, t_pr);
    int same = 1;
    double t2 = t1;
    for (int k = 2; k <= max_threads; k *= 2) {
        if (qpm_book_set(c.b, QPM_BOOK_THREADS, k) != QPM_OK)
            return 1;
        double tk = bench_median(run_pnl, &c, 1, 7);
        int ok = memcmp(one, c.pnl, n * sizeof *one) == 0;
        same &= ok;
        if (k == 2)
            t2 = tk;
        char name[64];
        snprintf(name, sizeof name, "pnl, %d threads (%.2fx one thread)%s", k, t1 / tk,
                 ok ? "" : " OUTPUT DIFFERS");
        bench_table_row(name, tk, items, t_pr);
    }
    printf("\nscenarios/s: 1 thread %.0f, 2 threads %.0f (2-thread speed-up %.2fx); "
           "P&L of every thread count bit-identical to 1 thread: %s\n",
           (double)n / t1, (double)n / t2, t1 / t2, same ? "yes" : "NO");
    free(one);
    free(c.x);
    free(c.v);
    free(c.pnl);
    free(c.F);
    free(c.K);
    free(c.T);
    free(c.r);
    free(c.sg);
    free(c.out);
    free(c.ty);
    qpm_pricer_free(c.p);
    qpm_book_free(c.b);
    return same ? 0 : 1;
}
