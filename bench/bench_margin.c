/* Account figures of a 10,000-position book on 10 underlyings (9,000 mixed
 * positions, mostly options of both settlements, and 1,000 AMM liquidity
 * positions), with USD and coin collateral: the standard margin
 * (qpm_book_margin) and the liquidation distances of all 10 underlyings
 * (qpm_book_liquidation, down and up).  Each distance is checked before
 * timing: with the market of its underlying moved there, equity equals the
 * maintenance margin to 1e-6.
 *   bench_margin [reps]      reps: timed repetitions (default 7) */
#define QPM_EXPERIMENTAL
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "qpm/qpm.h"

#define NU    10
#define NEXP  4
#define N_POS 10000
#define N_LP  1000

static const char *usage = "usage: bench_margin [reps]\n"
                           "  reps  timed repetitions, 1..64 (default 7)\n";

static void check(qpm_status st, const char *what)
{
    if (st != QPM_OK) {
        fprintf(stderr, "bench_margin: %s: %s\n", what, qpm_last_error());
        exit(1);
    }
}

static double spot[NU];
static const double days[NEXP] = {7, 30, 90, 180};

static void set_market(qpm_book *b, size_t u, double f)
{
    double S = spot[u] * f;
    check(qpm_book_set_spot(b, u, S), "set_spot");
    check(qpm_book_set_perp(b, u, S * 1.0004), "set_perp");
    for (int k = 0; k < NEXP; k++) {
        double T = days[k] / 365.0;
        check(qpm_book_set_forward(b, u, k, S * exp(0.05 * T), T), "set_forward");
    }
}

static qpm_book *make_book(void)
{
    static int32_t in[N_POS], ex[N_POS], ty[N_POS];
    static size_t un[N_POS];
    static double K[N_POS], Q[N_POS], m[N_POS], e[N_POS], sg[N_POS], lo[N_POS], hi[N_POS],
        fee[N_POS];
    unsigned long long st = BENCH_SEED;
    qpm_book *b;
    check(qpm_book_create(&b, NULL), "create");
    for (size_t u = 0; u < NU; u++) {
        char name[8];
        snprintf(name, sizeof name, "C%zu", u);
        spot[u] = 60000.0 / (double)(1u << u);
        check(qpm_book_add_underlying(b, name, spot[u], 0.045, NULL), "add_underlying");
        set_market(b, u, 1.0);
    }
    for (size_t i = 0; i < N_POS; i++) {
        size_t u = i % NU;
        double S = spot[u], r = bench_uniform(&st, 0, 1);
        un[i] = u;
        ex[i] = (int32_t)(i / NU % NEXP);
        /* net long on even underlyings, net short on odd ones */
        Q[i] = bench_uniform(&st, -3, 3) + (u % 2 ? -1.0 : 1.0);
        if (r >= 0.7 && r < 0.94) /* futures and perps: leveraged */
            Q[i] *= 8.0;
        m[i] = 1.0;
        e[i] = S * bench_uniform(&st, 0.9, 1.1);
        K[i] = S * exp(bench_uniform(&st, -0.4, 0.4));
        sg[i] = bench_uniform(&st, 0.3, 1.2);
        ty[i] = r < 0.5 ? QPM_CALL : QPM_PUT;
        fee[i] = 0.1;
        lo[i] = S * bench_uniform(&st, 0.5, 1.0);
        hi[i] = lo[i] * bench_uniform(&st, 1.05, 2.0);
        if (i >= N_POS - N_LP) {
            in[i] = r < 0.4 ? QPM_INSTR_AMM_V2 : QPM_INSTR_AMM_V3;
            Q[i] = fabs(Q[i]) * sqrt(S) + 1e-3;
        } else {
            in[i] = r < 0.35   ? QPM_INSTR_LINEAR_OPTION
                    : r < 0.7  ? QPM_INSTR_INVERSE_OPTION
                    : r < 0.8  ? QPM_INSTR_LINEAR_FUTURE
                    : r < 0.87 ? QPM_INSTR_INVERSE_FUTURE
                    : r < 0.94 ? QPM_INSTR_LINEAR_PERP
                               : QPM_INSTR_INVERSE_PERP;
            if (in[i] == QPM_INSTR_INVERSE_FUTURE || in[i] == QPM_INSTR_INVERSE_PERP)
                m[i] = 100.0;
        }
    }
    qpm_book_positions p = {sizeof p, in, un, ex, ty, K, Q, m, e, sg, lo, hi, fee, NULL};
    check(qpm_book_add_position_columns(b, N_POS, &p), "add_position_columns");
    check(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 1e5, 0.0), "collateral USD");
    for (size_t u = 0; u < 3; u++)
        check(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, u, 20.0 * (double)(1u << u), 0.1),
              "collateral coin");
    return b;
}

static qpm_book *book;
static double down[NU], up[NU];

static void run_margin(void *ctx)
{
    (void)ctx;
    double eq, im, mm;
    check(qpm_book_margin(book, &eq, &im, &mm, NULL, NULL), "margin");
}

static void run_liquidation(void *ctx)
{
    (void)ctx;
    for (size_t u = 0; u < NU; u++)
        check(qpm_book_liquidation(book, u, &down[u], &up[u]), "liquidation");
}

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 2)
        bench_bad_arg(argv, usage, "too many arguments", argv[2]);
    int reps = argc > 1 ? (int)bench_arg_uint(argv, usage, argv[1], "reps", 1, 64) : 7;
    book = make_book();
    double eq, im, mm;
    check(qpm_book_margin(book, &eq, &im, &mm, NULL, NULL), "margin");
    printf("account: %d positions (%d AMM) on %d underlyings; equity %.0f USD, initial margin "
           "%.0f, maintenance %.0f\n",
           N_POS, N_LP, NU, eq, im, mm);
    run_liquidation(NULL);
    /* each distance: equity = maintenance in the moved market */
    int found = 0;
    for (size_t u = 0; u < NU; u++) {
        const double mv[2] = {down[u], up[u]};
        for (int k = 0; k < 2; k++) {
            if (!isfinite(mv[k]) || mv[k] <= -1.0 || mv[k] == 0.0)
                continue;
            set_market(book, u, 1.0 + mv[k]);
            double e2, m2;
            check(qpm_book_margin(book, &e2, NULL, &m2, NULL, NULL), "margin moved");
            set_market(book, u, 1.0);
            if (!(fabs(e2 - m2) <= 1e-6 * m2)) {
                fprintf(stderr,
                        "bench_margin: underlying %zu moved %.17g: equity %.17g vs "
                        "maintenance %.17g\n",
                        u, mv[k], e2, m2);
                return 1;
            }
            found++;
        }
        printf("  C%zu: liquidation at %+.4f%% / %+.4f%%\n", u, 100 * down[u], 100 * up[u]);
    }
    printf("%d liquidation moves confirmed by revaluation (equity = maintenance to 1e-6)\n", found);
    double t_m = bench_median_cpu(run_margin, NULL, 1, reps);
    double t_l = bench_median_cpu(run_liquidation, NULL, 1, reps);
    printf("\n| case | time (CPU clock, median of %d) | target |\n|---|---:|---:|\n", reps);
    printf("| qpm_book_margin, %d positions | %.3f ms | |\n", N_POS, 1e3 * t_m);
    printf("| qpm_book_liquidation, all %d underlyings, down and up | %.3f ms | 10 ms |\n", NU,
           1e3 * t_l);
    printf("| per underlying | %.3f ms | |\n", 1e3 * t_l / NU);
    qpm_book_free(book);
    return 0;
}
