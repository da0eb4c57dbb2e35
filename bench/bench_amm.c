/* Cost of AMM liquidity positions (experimental QPM_INSTR_AMM_V2 / _V3) in a
 * book.  Two books on one market (4 underlyings, each with a spot index, a
 * perpetual mark and 6 expiries from 1 to 365 days):
 *   A  9000 positions in trade order: 6600 options (linear and inverse,
 *      calls and puts, strikes within +-2.5 sd of the forward), 600 linear
 *      and 600 inverse futures, 300 linear and 300 inverse perps, 600 spot;
 *   B  the same 9000 plus 1000 LP positions: 400 full-range (v2) shares and
 *      600 concentrated (v3) ranges around the spot, some out of range and
 *      some with no upper bound.
 * Each case is timed on both books alternately (A B, then B A, ...), `reps`
 * times; a repetition is a batch of calls long enough for the clock.  The
 * table gives the median ns per call of each book on the process CPU clock
 * (one thread: less inflated by other jobs than the wall clock), the ratio
 * B/A of the medians, the ratio of the best repetitions, and the ratio of
 * the wall-clock medians.  Cases:
 *   aggregation, cold    qpm_book_set_spot (one underlying, alternately
 *                        moved by 1e-4 and back: the book must prepare
 *                        again) + position, underlying and expiry Greeks
 *   aggregation, warm    the three Greeks calls, no market change; then
 *                        each of them alone
 *   grid, all            qpm_book_scenario_grid(QPM_BOOK_ALL), 21 spot
 *                        shifts (-30 % .. +30 %) x 5 vol shifts, prepared
 *   grid, underlying u   the same grid applied to underlying u alone
 *   pnl                  qpm_book_pnl, n Monte Carlo scenarios of random
 *                        joint spot moves (no vol moves), 1 thread
 * and, on its own, qpm_amm_position over 10^6 positions (ns per position).
 *
 * Checks (the program stops with a message when one fails, so it cannot
 * time a wrong computation): B's totals per underlying minus A's equal the
 * LP positions' own values and coin deltas from qpm_amm_position; and for
 * every grid cell and every Monte Carlo scenario, B's P&L minus A's equals
 * the LP positions' value change from qpm_amm_position at the moved spot,
 * to 1e-9 relative (of the larger of the LP P&L and the sum of its terms'
 * absolute values).
 *
 * Usage: bench_amm [n_scenarios (default 10000)] [reps (default 7)]. */
#define QPM_EXPERIMENTAL
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qpm/amm.h"
#include "qpm/book.h"

#define NU 4
#define NEXP 6
#define N_BASE 9000
#define N_LP 1000
#define N_POS (N_BASE + N_LP)
#define N_AMM_ALONE 1000000
#define GRID_SPOT 21
#define GRID_VOL 5
#define TOL 1e-9

static const char *const und_name[NU] = {"BTC", "ETH", "SOL", "DOGE"};
static const double spot0[NU] = {60682.5, 3344.99, 145.31, 0.16182};
static const double days[NEXP] = {1, 7, 30, 91, 182, 365};

static void check(qpm_status st, const char *what)
{
    if (st != QPM_OK) {
        fprintf(stderr, "bench_amm: %s failed: %s: %s\n", what, qpm_status_str(st),
                qpm_last_error());
        exit(1);
    }
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);
    if (p == NULL) {
        fprintf(stderr, "bench_amm: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- the positions ------------------------------------------------------- */

/* Every position of book B as columns: rows 0..N_BASE-1 are book A. */
static int32_t c_in[N_POS], c_ex[N_POS], c_ty[N_POS];
static size_t c_u[N_POS];
static double c_K[N_POS], c_Q[N_POS], c_m[N_POS], c_e[N_POS], c_sg[N_POS], c_lo[N_POS],
    c_hi[N_POS], c_fee[N_POS];

static double fwd(size_t u, size_t k) { return spot0[u] * exp(0.05 * days[k] / 365.0); }

static size_t pick_underlying(unsigned long long *st)
{
    double x = bench_uniform(st, 0.0, 1.0);
    return x < 0.4 ? 0 : x < 0.7 ? 1 : x < 0.9 ? 2 : 3;
}

static void make_positions(void)
{
    unsigned long long st = BENCH_SEED;
    for (size_t i = 0; i < N_BASE; i++) {
        size_t u = pick_underlying(&st), k = (size_t)(bench_uniform(&st, 0.0, NEXP));
        if (k >= NEXP)
            k = NEXP - 1;
        c_u[i] = u;
        c_ex[i] = (int32_t)k;
        c_ty[i] = 0;
        c_K[i] = c_sg[i] = c_e[i] = c_lo[i] = c_hi[i] = c_fee[i] = (double)NAN;
        /* slots 0..10 of every 15: options; then futures, perps, spot */
        size_t slot = i % 15;
        if (slot < 11) {
            double sg = bench_uniform(&st, 0.35, 1.1), T = days[k] / 365.0;
            c_in[i] = bench_uniform(&st, 0.0, 1.0) < 0.5 ? QPM_INSTR_LINEAR_OPTION
                                                         : QPM_INSTR_INVERSE_OPTION;
            c_ty[i] = bench_uniform(&st, 0.0, 1.0) < 0.5 ? QPM_CALL : QPM_PUT;
            c_K[i] = fwd(u, k) * exp(bench_uniform(&st, -2.5, 2.5) * sg * sqrt(T));
            c_sg[i] = sg;
            c_Q[i] = bench_uniform(&st, -50.0, 50.0);
            c_m[i] = 1.0;
        } else if (slot == 11 || slot == 12) {
            c_in[i] = slot == 11 ? QPM_INSTR_LINEAR_FUTURE : QPM_INSTR_INVERSE_FUTURE;
            c_e[i] = fwd(u, k) * bench_uniform(&st, 0.9, 1.1);
            c_Q[i] = bench_uniform(&st, -200.0, 200.0);
            c_m[i] = slot == 11 ? 1.0 : 10.0;
        } else if (slot == 13) {
            int lin = (i / 15) % 2 == 0;
            c_in[i] = lin ? QPM_INSTR_LINEAR_PERP : QPM_INSTR_INVERSE_PERP;
            c_e[i] = spot0[u] * bench_uniform(&st, 0.9, 1.1);
            c_Q[i] = bench_uniform(&st, -200.0, 200.0);
            c_m[i] = lin ? 1.0 : 10.0;
        } else {
            c_in[i] = QPM_INSTR_SPOT;
            c_Q[i] = bench_uniform(&st, 0.0, 100.0);
            c_m[i] = 1.0;
        }
    }
    for (size_t i = N_BASE; i < N_POS; i++) {
        size_t u = pick_underlying(&st), j = i - N_BASE;
        double S = spot0[u];
        c_u[i] = u;
        c_ex[i] = 0;
        c_ty[i] = 0;
        c_K[i] = c_sg[i] = c_e[i] = (double)NAN;
        c_fee[i] = bench_uniform(&st, 0.02, 0.3);
        /* liquidity for a full-range value of 10^4 .. 10^6 USD */
        c_Q[i] = bench_uniform(&st, 1e4, 1e6) / (2.0 * sqrt(S));
        c_m[i] = 1.0;
        if (j % 5 < 2) {
            c_in[i] = QPM_INSTR_AMM_V2;
            c_lo[i] = 0.0;
            c_hi[i] = (double)INFINITY;
        } else {
            /* [a S, b a S): a in [0.6, 1.15), width 2 % .. 60 %; 1 in 20 has
             * no upper bound */
            double a = bench_uniform(&st, 0.6, 1.15), w = bench_uniform(&st, 1.02, 1.6);
            c_in[i] = QPM_INSTR_AMM_V3;
            c_lo[i] = a * S;
            c_hi[i] = j % 20 == 4 ? (double)INFINITY : a * w * S;
        }
    }
}

static qpm_book *make_book(size_t n)
{
    qpm_book *b;
    check(qpm_book_create(&b, NULL), "qpm_book_create");
    for (size_t u = 0; u < NU; u++) {
        check(qpm_book_add_underlying(b, und_name[u], spot0[u], 0.045, NULL),
              "qpm_book_add_underlying");
        check(qpm_book_set_perp(b, u, spot0[u] * 0.9995), "qpm_book_set_perp");
        for (size_t k = 0; k < NEXP; k++)
            check(qpm_book_set_forward(b, u, (int32_t)k, fwd(u, k), days[k] / 365.0),
                  "qpm_book_set_forward");
    }
    qpm_book_positions p;
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    p.instrument = c_in;
    p.underlying = c_u;
    p.expiry = c_ex;
    p.option_type = c_ty;
    p.strike = c_K;
    p.quantity = c_Q;
    p.multiplier = c_m;
    p.entry_price = c_e;
    p.sigma = c_sg;
    p.price_lower = c_lo;
    p.price_upper = c_hi;
    p.fee_rate = c_fee;
    check(qpm_book_add_position_columns(b, n, &p), "qpm_book_add_position_columns");
    return b;
}

/* ---- the LP positions' own values, from qpm_amm_position ------------------ */

static const double *lp_L = c_Q + N_BASE, *lp_lo = c_lo + N_BASE, *lp_hi = c_hi + N_BASE;
static const size_t *lp_u = c_u + N_BASE;

/* values (and coins) of the LP positions with every underlying u at
 * spot0[u] (1 + x[u]) */
static void lp_values(const double *x, double *value, double *coin)
{
    double P[N_LP];
    for (size_t i = 0; i < N_LP; i++)
        P[i] = spot0[lp_u[i]] * (1.0 + x[lp_u[i]]);
    check(qpm_amm_position(N_LP, P, lp_L, lp_lo, lp_hi, coin, NULL, value, NULL, NULL),
          "qpm_amm_position");
}

/* LP P&L at moves x: the sum and the sum of the absolute terms */
static double lp_pnl(const double *x, const double *v0, double *abs_sum)
{
    double v[N_LP], sum = 0.0, a = 0.0;
    lp_values(x, v, NULL);
    for (size_t i = 0; i < N_LP; i++) {
        sum += v[i] - v0[i];
        a += fabs(v[i] - v0[i]);
    }
    *abs_sum = a;
    return sum;
}

static double worst_rel = 0.0;

static void check_close(double got, double want, double scale, const char *what, size_t s)
{
    double denom = fmax(fabs(want), scale);
    double rel = denom > 0.0 ? fabs(got - want) / denom : fabs(got - want);
    if (!(rel <= TOL)) {
        fprintf(stderr,
                "bench_amm: check failed: %s %zu: B - A = %.17g, LP positions alone "
                "(qpm_amm_position) = %.17g, relative error %.3g > %g\n",
                what, s, got, want, rel, TOL);
        exit(1);
    }
    if (rel > worst_rel)
        worst_rel = rel;
}

/* ---- timing -------------------------------------------------------------- */

typedef struct bctx {
    qpm_book *b;
    qpm_book_out pos, und, exp;
    size_t u; /* grid: underlying or QPM_BOOK_ALL */
    double *grid;
    const double *x;
    size_t n;
    double *pnl;
} bctx;

static const double grid_x[GRID_SPOT] = {-0.30, -0.27, -0.24, -0.21, -0.18, -0.15, -0.12,
                                         -0.09, -0.06, -0.03, 0.0,   0.03,  0.06,  0.09,
                                         0.12,  0.15,  0.18,  0.21,  0.24,  0.27,  0.30};
static const double grid_v[GRID_VOL] = {-0.3, -0.15, 0.0, 0.15, 0.3};

static void greeks3(bctx *c)
{
    check(qpm_book_position_greeks(c->b, &c->pos), "qpm_book_position_greeks");
    check(qpm_book_underlying_greeks(c->b, &c->und), "qpm_book_underlying_greeks");
    check(qpm_book_expiry_greeks(c->b, &c->exp), "qpm_book_expiry_greeks");
}

static void run_agg_cold(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++) {
        size_t u = i % NU;
        check(qpm_book_set_spot(c->b, u, spot0[u] * ((i / NU) % 2 ? 1.0 : 1.0001)),
              "qpm_book_set_spot");
        greeks3(c);
    }
    for (size_t u = 0; u < NU; u++)
        check(qpm_book_set_spot(c->b, u, spot0[u]), "qpm_book_set_spot");
}

static void run_agg_warm(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++)
        greeks3(c);
}

static void run_pos(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++)
        check(qpm_book_position_greeks(c->b, &c->pos), "qpm_book_position_greeks");
}

static void run_und(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++)
        check(qpm_book_underlying_greeks(c->b, &c->und), "qpm_book_underlying_greeks");
}

static void run_exp(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++)
        check(qpm_book_expiry_greeks(c->b, &c->exp), "qpm_book_expiry_greeks");
}

static void run_grid(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++)
        check(qpm_book_scenario_grid(c->b, c->u, GRID_SPOT, grid_x, GRID_VOL, grid_v, c->grid,
                                     NULL, NULL),
              "qpm_book_scenario_grid");
}

static void run_pnl(bctx *c, size_t iters)
{
    for (size_t i = 0; i < iters; i++)
        check(qpm_book_pnl(c->b, c->n, c->x, NU, NULL, 0, c->pnl), "qpm_book_pnl");
}

typedef void (*runner)(bctx *, size_t);

#define MAX_REPS 64

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof t[0], bench_cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double minimum(const double *t, int n)
{
    double m = t[0];
    for (int i = 1; i < n; i++)
        m = fmin(m, t[i]);
    return m;
}

/* Times fn on books A and B alternately: a warm-up call each, then a batch
 * size that makes A's batch last about `target` seconds, then `reps`
 * batches of each (order A B, B A, ...).  Prints a table row. */
static void timed_case(const char *name, runner fn, bctx *a, bctx *b, int reps, double target)
{
    fn(a, 1);
    fn(b, 1);
    double t0 = bench_cpu_now();
    fn(a, 1);
    double t1 = bench_cpu_now() - t0;
    size_t iters = t1 >= target ? 1 : (size_t)(target / fmax(t1, 1e-7)) + 1;
    double cpu[2][MAX_REPS], wall[2][MAX_REPS];
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            int which = (r % 2 == 0) ? k : 1 - k;
            bctx *c = which == 0 ? a : b;
            double w0 = bench_now(), c0 = bench_cpu_now();
            fn(c, iters);
            cpu[which][r] = (bench_cpu_now() - c0) / (double)iters;
            wall[which][r] = (bench_now() - w0) / (double)iters;
        }
    double bestA = minimum(cpu[0], reps), bestB = minimum(cpu[1], reps);
    double mA = median(cpu[0], reps), mB = median(cpu[1], reps);
    double wA = median(wall[0], reps), wB = median(wall[1], reps);
    printf("| %s | %zu | %.0f | %.0f | %.3fx | %.3fx | %.3fx |\n", name, iters, 1e9 * mA, 1e9 * mB,
           mB / mA, bestB / bestA, wB / wA);
    fflush(stdout);
}

/* ---- qpm_amm_position alone ---------------------------------------------- */

struct amm_ctx {
    size_t n;
    double *P, *L, *lo, *hi, *coin, *usd, *value, *delta, *gamma;
};

static void run_amm_all(void *v)
{
    struct amm_ctx *c = v;
    check(qpm_amm_position(c->n, c->P, c->L, c->lo, c->hi, c->coin, c->usd, c->value, c->delta,
                           c->gamma),
          "qpm_amm_position");
}

static void run_amm_value(void *v)
{
    struct amm_ctx *c = v;
    check(qpm_amm_position(c->n, c->P, c->L, c->lo, c->hi, NULL, NULL, c->value, NULL, NULL),
          "qpm_amm_position");
}

static void run_amm_v2_value(void *v)
{
    struct amm_ctx *c = v;
    check(qpm_amm_position(c->n, c->P, c->L, NULL, NULL, NULL, NULL, c->value, NULL, NULL),
          "qpm_amm_position");
}

static void bench_amm_alone(int reps)
{
    struct amm_ctx c;
    size_t n = N_AMM_ALONE;
    c.n = n;
    double **arr[] = {&c.P, &c.L, &c.lo, &c.hi, &c.coin, &c.usd, &c.value, &c.delta, &c.gamma};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++)
        *arr[k] = xmalloc(n * sizeof(double));
    unsigned long long st = BENCH_SEED + 7;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        c.P[i] = 3000.0 * bench_uniform(&st, 0.7, 1.4);
        c.L[i] = bench_uniform(&st, 1.0, 1e4);
        if (i % 5 < 2) {
            c.lo[i] = 0.0;
            c.hi[i] = (double)INFINITY;
        } else {
            double a = bench_uniform(&st, 0.6, 1.15), w = bench_uniform(&st, 1.02, 1.6);
            c.lo[i] = a * 3000.0;
            c.hi[i] = i % 20 == 4 ? (double)INFINITY : a * w * 3000.0;
            out += c.P[i] < c.lo[i] || c.P[i] >= c.hi[i];
        }
    }
    double t_all = bench_median_cpu(run_amm_all, &c, 1, reps);
    double t_val = bench_median_cpu(run_amm_value, &c, 1, reps);
    double t_v2 = bench_median_cpu(run_amm_v2_value, &c, 1, reps);
    printf("\n## qpm_amm_position alone, %zu positions (40 %% full range, 60 %% ranges, %zu of "
           "them out of range); median of %d, CPU clock\n\n"
           "| case | ns/position | Mpositions/s |\n|---|---:|---:|\n",
           n, out, reps);
    printf("| coin, usd, value, delta, gamma | %.2f | %.1f |\n", 1e9 * t_all / (double)n,
           (double)n / t_all / 1e6);
    printf("| value only | %.2f | %.1f |\n", 1e9 * t_val / (double)n, (double)n / t_val / 1e6);
    printf("| value only, all full range (lower = upper = NULL) | %.2f | %.1f |\n",
           1e9 * t_v2 / (double)n, (double)n / t_v2 / 1e6);
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++)
        free(*arr[k]);
}

/* ---- main ---------------------------------------------------------------- */

static const char usage[] =
    "[n_scenarios] [reps]\n"
    "  n_scenarios  Monte Carlo scenarios per qpm_book_pnl call, 1..1000000 (default 10000)\n"
    "  reps         timed repetitions of each case on each book, 1..64 (default 7)\n"
    "Times aggregation (Greeks), the 21 x 5 scenario grid and qpm_book_pnl on a\n"
    "9000-position book (A) and the same book plus 1000 AMM LP positions (B),\n"
    "interleaved, and prints B/A; then qpm_amm_position over 10^6 positions.";

static void set_out(qpm_book_out *o, size_t rows)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    double **f[] = {&o->value_usd, &o->value_coin, &o->delta_coin, &o->delta_usd,
                    &o->gamma,     &o->vega,       &o->theta,      &o->delta_exchange};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        *f[k] = xmalloc(rows * sizeof(double));
}

static void free_out(qpm_book_out *o)
{
    double *f[] = {o->value_usd, o->value_coin, o->delta_coin, o->delta_usd,
                   o->gamma,     o->vega,       o->theta,      o->delta_exchange};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        free(f[k]);
}

/* standard normal (Box-Muller) */
static double normal(unsigned long long *st)
{
    double u1 = bench_uniform(st, 0x1p-53, 1.0), u2 = bench_uniform(st, 0.0, 1.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 3)
        bench_bad_arg(argv, usage, "too many arguments", argv[3]);
    size_t n = argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "n_scenarios", 1, 1000000)
                        : 10000;
    int reps = argc > 2 ? (int)bench_arg_uint(argv, usage, argv[2], "reps", 1, MAX_REPS) : 7;

    make_positions();
    bctx A = {0}, B = {0};
    A.b = make_book(N_BASE);
    B.b = make_book(N_POS);
    size_t nexp = 0;
    check(qpm_book_n_expiries(A.b, &nexp), "qpm_book_n_expiries");
    bctx *books[2] = {&A, &B};
    for (int k = 0; k < 2; k++) {
        bctx *c = books[k];
        set_out(&c->pos, N_POS);
        set_out(&c->und, NU);
        set_out(&c->exp, nexp);
        c->grid = xmalloc(GRID_SPOT * GRID_VOL * sizeof(double));
        c->pnl = xmalloc(n * sizeof(double));
        c->n = n;
    }
    /* Monte Carlo moves: a common factor (4 %) and an own one (3 %) per
     * underlying */
    double *x = xmalloc(n * NU * sizeof *x);
    unsigned long long st = BENCH_SEED + 1;
    for (size_t s = 0; s < n; s++) {
        double z0 = normal(&st);
        for (size_t u = 0; u < NU; u++)
            x[s * NU + u] = fmax(-0.9, 0.04 * z0 + 0.03 * normal(&st));
    }
    A.x = B.x = x;

    /* ---- checks: B - A against the LP positions alone ---- */
    const double zero[NU] = {0};
    double v0[N_LP], coin0[N_LP];
    lp_values(zero, v0, coin0);
    size_t n_out = 0, n_v2 = 0;
    for (size_t i = 0; i < N_LP; i++) {
        size_t k = N_BASE + i;
        n_v2 += c_in[k] == QPM_INSTR_AMM_V2;
        n_out += c_in[k] == QPM_INSTR_AMM_V3 &&
                 (spot0[lp_u[i]] < lp_lo[i] || spot0[lp_u[i]] >= lp_hi[i]);
    }
    greeks3(&A);
    greeks3(&B);
    for (size_t u = 0; u < NU; u++) {
        double v = 0.0, va = 0.0, d = 0.0, da = 0.0;
        for (size_t i = 0; i < N_LP; i++)
            if (lp_u[i] == u) {
                v += v0[i], va += fabs(v0[i]);
                d += coin0[i], da += fabs(coin0[i]);
            }
        check_close(B.und.value_usd[u] - A.und.value_usd[u], v, va, "value_usd of underlying", u);
        check_close(B.und.delta_coin[u] - A.und.delta_coin[u], d, da, "delta_coin of underlying",
                    u);
    }
    for (size_t i = 0; i < N_LP; i++)
        check_close(B.pos.value_usd[N_BASE + i], v0[i], 0.0, "value_usd of LP position", i);
    for (size_t g = 0; g <= NU; g++) {
        size_t gu = g == NU ? QPM_BOOK_ALL : g;
        A.u = B.u = gu;
        run_grid(&A, 1);
        run_grid(&B, 1);
        for (size_t i = 0; i < GRID_SPOT; i++) {
            double xm[NU], abs_sum;
            for (size_t u = 0; u < NU; u++)
                xm[u] = gu == QPM_BOOK_ALL || gu == u ? grid_x[i] : 0.0;
            double want = lp_pnl(xm, v0, &abs_sum);
            for (size_t j = 0; j < GRID_VOL; j++)
                check_close(B.grid[i * GRID_VOL + j] - A.grid[i * GRID_VOL + j], want, abs_sum,
                            "grid cell", i * GRID_VOL + j);
        }
    }
    run_pnl(&A, 1);
    run_pnl(&B, 1);
    double lp_abs_mean = 0.0, a_abs_mean = 0.0;
    for (size_t s = 0; s < n; s++) {
        double abs_sum, want = lp_pnl(x + s * NU, v0, &abs_sum);
        check_close(B.pnl[s] - A.pnl[s], want, abs_sum, "Monte Carlo scenario", s);
        lp_abs_mean += fabs(want) / (double)n;
        a_abs_mean += fabs(A.pnl[s]) / (double)n;
    }

    printf("bench_amm: book A = %d positions (6600 options, 1200 futures, 600 perps, 600 spot) "
           "on %d underlyings x %zu expiries; book B = A + %d LP positions (%zu v2, %zu v3, %zu "
           "of them out of range at the spot)\n",
           N_BASE, NU, (size_t)NEXP, N_LP, n_v2, N_LP - n_v2, n_out);
    printf("checks passed: B - A = the LP positions alone (qpm_amm_position) for the totals per "
           "underlying, every grid cell (all and per underlying) and all %zu Monte Carlo "
           "scenarios; largest relative error %.2e (bound %g)\n",
           n, worst_rel, TOL);
    printf("mean |P&L| per Monte Carlo scenario: book A %.4g USD, LP positions %.4g USD\n",
           a_abs_mean, lp_abs_mean);
    printf("\n## B (A + 1000 LP) against A (9000 positions): ns per call, median of %d "
           "interleaved repetitions, process CPU clock, 1 thread\n\n"
           "| case | calls/rep | A ns | B ns | B/A median | B/A best | B/A wall |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n",
           reps);
    timed_case("aggregation, cold (set_spot + 3 Greeks calls)", run_agg_cold, &A, &B, reps, 0.05);
    timed_case("aggregation, warm (3 Greeks calls)", run_agg_warm, &A, &B, reps, 0.05);
    timed_case("  qpm_book_position_greeks, warm", run_pos, &A, &B, reps, 0.03);
    timed_case("  qpm_book_underlying_greeks, warm", run_und, &A, &B, reps, 0.03);
    timed_case("  qpm_book_expiry_greeks, warm", run_exp, &A, &B, reps, 0.03);
    A.u = B.u = QPM_BOOK_ALL;
    timed_case("risk matrix: grid 21 x 5, all underlyings", run_grid, &A, &B, reps, 0.05);
    for (size_t u = 0; u < NU; u++) {
        char name[80];
        snprintf(name, sizeof name, "risk matrix: grid 21 x 5, %s alone", und_name[u]);
        A.u = B.u = u;
        timed_case(name, run_grid, &A, &B, reps, 0.05);
    }
    char name[80];
    snprintf(name, sizeof name, "qpm_book_pnl, %zu scenarios, 1 thread", n);
    timed_case(name, run_pnl, &A, &B, reps, 0.0);

    bench_amm_alone(reps);

    for (int k = 0; k < 2; k++) {
        bctx *c = books[k];
        free_out(&c->pos);
        free_out(&c->und);
        free_out(&c->exp);
        free(c->grid);
        free(c->pnl);
        qpm_book_free(c->b);
    }
    free(x);
    return 0;
}
