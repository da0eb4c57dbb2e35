/* Cost of pricing a book's options off vol surfaces (experimental
 * qpm_book_set_surface) against the same book at flat vols.  One market: 4
 * underlyings, each with 6 expiries (1 to 365 days) and a 6-slice SVI
 * surface with a put skew; 10,000 option positions (linear and inverse,
 * calls and puts, strikes within +-2.5 sd of the forward).  Three books:
 *   A  every option at its own vol: the surface's vol of its strike,
 *      written out (flat vols: the same numbers as B and C);
 *   B  every option off its underlying's surface, sticky strike;
 *   C  the same, sticky moneyness.
 * Cases, timed alternately (A B C, then C B A, ...), `reps` times, median
 * per call on the process CPU clock, ratios B/A and C/A:
 *   reprice     qpm_book_set_spot (one underlying moved by 1e-4 and back:
 *               the book prepares again, B and C reading every option's
 *               vol from the surface) + qpm_book_position_greeks
 *   pnl         qpm_book_pnl, n Monte Carlo scenarios of random joint spot
 *               and vol moves, 1 thread (C reads every option's vol again
 *               in every scenario)
 * Checks (the program stops when one fails): B's and C's position values
 * equal A's to 1e-12, and B's P&L equals A's to 1e-10 relative.
 * Usage: bench_book_surface [n_scenarios (default 2000)] [reps (default 7)]. */
#define QPM_EXPERIMENTAL
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qpm/book.h"
#include "qpm/surface.h"

#define NU   4
#define NEXP 6
#define NOPT 10000

static const char *const und_name[NU] = {"BTC", "ETH", "SOL", "DOGE"};
static const double spot0[NU] = {60682.5, 3344.99, 145.31, 0.16182};
static const double atm_vol[NU] = {0.55, 0.65, 0.85, 1.0};
static const double days[NEXP] = {1, 7, 30, 91, 182, 365};

static void die(const char *what)
{
    fprintf(stderr, "bench_book_surface: %s: %s\n", what, qpm_last_error());
    exit(1);
}

typedef struct {
    qpm_book *b;
    size_t n_scen;
    const double *moves, *vols;
    double *pnl;
    int flip;
} job;

static void reprice(void *v)
{
    job *j = v;
    j->flip = !j->flip;
    if (qpm_book_set_spot(j->b, 0, spot0[0] * (j->flip ? 1.0001 : 1.0)) != QPM_OK)
        die("set_spot");
    static double val[NOPT], del[NOPT], gam[NOPT], veg[NOPT];
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = val, o.delta_coin = del, o.gamma = gam, o.vega = veg;
    if (qpm_book_position_greeks(j->b, &o) != QPM_OK)
        die("position_greeks");
}

static void pnl(void *v)
{
    job *j = v;
    if (qpm_book_pnl(j->b, j->n_scen, j->moves, NU, j->vols, NU, j->pnl) != QPM_OK)
        die("pnl");
}

static const char usage[] = "[n_scenarios [reps]]\n"
                            "  n_scenarios  Monte Carlo scenarios of the pnl case, 1..1000000 "
                            "(default 2000)\n"
                            "  reps         repetitions of each case, 3..101 (default 7)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 3)
        bench_bad_arg(argv, usage, "too many arguments", argv[3]);
    size_t ns =
        argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "n_scenarios", 1, 1000000) : 2000;
    int reps = argc > 2 ? (int)bench_arg_uint(argv, usage, argv[2], "reps", 3, 101) : 7;
    unsigned long long st = BENCH_SEED;

    /* surfaces: SVI slices with ATM total variance atm^2 T, skew rho -0.3 */
    qpm_surface *surf[NU];
    double F[NU][NEXP];
    for (int u = 0; u < NU; u++) {
        if (qpm_surface_create(&surf[u], NULL) != QPM_OK)
            die("surface_create");
        for (int e = 0; e < NEXP; e++) {
            double T = days[e] / 365.0;
            F[u][e] = spot0[u] * exp(0.03 * T);
            double w0 = atm_vol[u] * atm_vol[u] * T, b = 0.4 * sqrt(w0), s = 0.3 * sqrt(T) + 0.05;
            qpm_svi p = {0, b, -0.3, 0.0, s};
            p.a = w0 - b * s; /* w(0) = a + b s = w0 (m = 0, rho term 0 at k = m) */
            if (qpm_surface_set_slice(surf[u], T, F[u][e], &p) != QPM_OK)
                die("set_slice");
        }
    }
    /* positions */
    static int32_t in[NOPT], ex[NOPT], ty[NOPT];
    static size_t un[NOPT];
    static double K[NOPT], Q[NOPT], m[NOPT], sig[NOPT], zero[NOPT];
    for (size_t i = 0; i < NOPT; i++) {
        int u = (int)(i % NU), e = (int)((i / NU) % NEXP);
        double T = days[e] / 365.0, sd = atm_vol[u] * sqrt(T);
        un[i] = (size_t)u, ex[i] = e;
        in[i] = bench_uniform(&st, 0, 1) < 0.5 ? QPM_INSTR_LINEAR_OPTION : QPM_INSTR_INVERSE_OPTION;
        ty[i] = bench_uniform(&st, 0, 1) < 0.5 ? QPM_CALL : QPM_PUT;
        K[i] = F[u][e] * exp(bench_uniform(&st, -2.5, 2.5) * sd);
        Q[i] = bench_uniform(&st, -10, 10);
        m[i] = 1.0;
        zero[i] = QPM_BOOK_SURFACE_VOL;
        double k = log(K[i] / F[u][e]);
        if (qpm_surface_vol_k(surf[u], 1, &T, &k, &sig[i]) != QPM_OK)
            die("surface_vol_k");
    }
    qpm_book *bk[3];
    for (int c = 0; c < 3; c++) {
        if (qpm_book_create(&bk[c], NULL) != QPM_OK)
            die("book_create");
        for (int u = 0; u < NU; u++) {
            if (qpm_book_add_underlying(bk[c], und_name[u], spot0[u], 0.03, NULL) != QPM_OK)
                die("add_underlying");
            for (int e = 0; e < NEXP; e++)
                if (qpm_book_set_forward(bk[c], (size_t)u, e, F[u][e], days[e] / 365.0) != QPM_OK)
                    die("set_forward");
            if (c > 0 && qpm_book_set_surface(bk[c], (size_t)u, surf[u],
                                              c == 1 ? QPM_BOOK_STICKY_STRIKE
                                                     : QPM_BOOK_STICKY_MONEYNESS) != QPM_OK)
                die("set_surface");
        }
        if (qpm_book_add_positions(bk[c], NOPT, in, un, ex, ty, K, Q, m, NULL,
                                   c == 0 ? sig : zero) != QPM_OK)
            die("add_positions");
    }
    /* scenarios */
    double *moves = malloc(ns * NU * sizeof *moves), *vols = malloc(ns * NU * sizeof *vols);
    double *p[3];
    for (int c = 0; c < 3; c++)
        p[c] = malloc(ns * sizeof(double));
    if (moves == NULL || vols == NULL || p[0] == NULL || p[1] == NULL || p[2] == NULL)
        return 1;
    for (size_t s = 0; s < ns * NU; s++) {
        moves[s] = bench_uniform(&st, -0.15, 0.15);
        vols[s] = bench_uniform(&st, -0.2, 0.3);
    }
    job j[3];
    for (int c = 0; c < 3; c++)
        j[c] = (job){bk[c], ns, moves, vols, p[c], 0};
    /* checks */
    {
        static double v[3][NOPT];
        for (int c = 0; c < 3; c++) {
            qpm_book_out o;
            memset(&o, 0, sizeof o);
            o.size = sizeof o;
            o.value_usd = v[c];
            if (qpm_book_position_greeks(bk[c], &o) != QPM_OK)
                die("position_greeks");
        }
        for (size_t i = 0; i < NOPT; i++)
            for (int c = 1; c < 3; c++)
                if (fabs(v[c][i] - v[0][i]) > 1e-12 * fabs(v[0][i]) + 1e-300) {
                    fprintf(stderr, "position %zu: book %d value %.17g vs %.17g\n", i, c, v[c][i],
                            v[0][i]);
                    return 1;
                }
        pnl(&j[0]), pnl(&j[1]);
        for (size_t s = 0; s < ns; s++)
            if (fabs(p[1][s] - p[0][s]) > 1e-10 * (fabs(p[0][s]) + 1.0)) {
                fprintf(stderr, "scenario %zu: sticky-strike P&L %.17g vs flat %.17g\n", s, p[1][s],
                        p[0][s]);
                return 1;
            }
    }
    printf("libqpm %s bench_book_surface: %d options on %d underlyings x %d expiries, %zu "
           "scenarios, %d reps, one thread, CPU time; load ",
           qpm_version_string(), NOPT, NU, NEXP, ns, reps);
    printf("%.2f\n\n| case | A flat vols | B surface, sticky strike | C surface, sticky moneyness "
           "| B/A | C/A |\n|---|---:|---:|---:|---:|---:|\n",
           bench_load());
    void (*fn[2])(void *) = {reprice, pnl};
    const char *name[2] = {"reprice (set_spot + position Greeks)", "pnl"};
    for (int c = 0; c < 2; c++) {
        double t[3][101];
        for (int r = 0; r < reps; r++)
            for (int kk = 0; kk < 3; kk++) {
                int k = r % 2 ? 2 - kk : kk;
                int batch = c == 0 ? 20 : 1;
                double t0 = bench_cpu_now();
                for (int b = 0; b < batch; b++)
                    fn[c](&j[k]);
                t[k][r] = (bench_cpu_now() - t0) / batch;
            }
        double med[3];
        for (int k = 0; k < 3; k++) {
            qsort(t[k], (size_t)reps, sizeof t[k][0], bench_cmp_double);
            med[k] = t[k][reps / 2];
        }
        double per = c == 0 ? 1e6 : 1e9 / (double)(ns * NOPT);
        const char *unit = c == 0 ? "us/call" : "ns/(scenario x option)";
        printf("| %s | %.2f %s | %.2f | %.2f | %.3fx | %.3fx |\n", name[c], med[0] * per, unit,
               med[1] * per, med[2] * per, med[1] / med[0], med[2] / med[0]);
    }
    for (int c = 0; c < 3; c++)
        qpm_book_free(bk[c]), free(p[c]);
    for (int u = 0; u < NU; u++)
        qpm_surface_free(surf[u]);
    free(moves), free(vols);
    return 0;
}
