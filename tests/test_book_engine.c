/* White-box: the book's instrument table, and the P&L loop's pricer runs.
 * The scenario loop prices several scenarios of every option per run (small
 * books) or one scenario of a slice of the options (large books), with the
 * moves of each underlying found once per chunk (up to 32 underlyings) or
 * per option (more): every way a call is cut must give the same bits, and
 * the P&L must match a revaluation of the moved market. */
#define QPM_EXPERIMENTAL /* the AMM instrument codes */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/book_internal.h"
#include "book/instrument.h"
#include "core/internal.h"
#include "qpm/book.h"
#include "qpm/surface.h"
#include "support/testutil.h"

Test(book_engine, every_instrument_code_has_one_consistent_row)
{
    const char *names[QPM_INSTR_AMM_V3 + 1];
    for (int32_t code = QPM_INSTR_SPOT; code <= QPM_INSTR_AMM_V3; code++) {
        const qpm__instr *k = qpm__instr_find(code);
        cr_assert_not_null(k, "instrument %d has no row", (int)code);
        cr_assert_eq(k, &qpm__instrs[code]);
        cr_assert_not_null(k->name);
        cr_assert_not_null(k->row);
        names[code] = k->name;
        for (int32_t o = 0; o < code; o++)
            cr_assert_str_neq(names[o], k->name);
        if (k->scen == QPM__SCEN_LINEAR) {
            cr_assert_not_null(k->slope, "%s", k->name);
            cr_assert_null(k->weight, "%s", k->name);
            cr_assert_eq(k->option, 0, "%s", k->name);
        } else if (k->scen == QPM__SCEN_AMM) {
            cr_assert_null(k->slope, "%s", k->name);
            cr_assert_null(k->weight, "%s", k->name);
            cr_assert_eq(k->option, 0, "%s", k->name);
            cr_assert_eq(k->ref, QPM__REF_SPOT, "%s: the pool is priced at the spot", k->name);
            cr_assert(k->needs & QPM__NEEDS_LIQ, "%s", k->name);
        } else {
            cr_assert_eq(k->scen, QPM__SCEN_BLACK76, "%s", k->name);
            cr_assert_not_null(k->weight, "%s", k->name);
            cr_assert_null(k->slope, "%s", k->name);
            cr_assert_eq(k->option, 1, "%s", k->name);
            /* the option arrays need an expiry and the option fields */
            cr_assert_eq(k->needs & (QPM__NEEDS_EXPIRY | QPM__NEEDS_OPTION),
                         QPM__NEEDS_EXPIRY | QPM__NEEDS_OPTION, "%s", k->name);
        }
        /* a kind marked at a forward needs its expiry, at the perp its mark */
        if (k->ref == QPM__REF_FORWARD)
            cr_assert(k->needs & QPM__NEEDS_EXPIRY, "%s", k->name);
        if (k->ref == QPM__REF_PERP)
            cr_assert(k->needs & QPM__NEEDS_PERP, "%s", k->name);
    }
    const int32_t unknown[] = {-1, QPM_INSTR_AMM_V3 + 1, 1000, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        cr_assert_null(qpm__instr_find(unknown[i]), "code %d", (int)unknown[i]);
}

/* A book of nu underlyings, each with a perp mark and 3 expiries, holding
 * every instrument kind, with nopt options spread over the underlyings;
 * every market price times pf and every vol times vf (a moved market). */
/* surf: every underlying gets a vol surface of four SVI slices (T = 0.02,
 * 0.2, 0.35, 0.5: the book's expiries 0.05, 0.35 and 0.65 fall between two
 * slices, on one and beyond the last), sticky moneyness on even
 * underlyings and sticky strike on odd ones, and every other option reads
 * its vol from it. */
static qpm_book *make_book_surf(size_t nu, size_t nopt, double pf, double vf, int surf)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    for (size_t u = 0; u < nu; u++) {
        char name[24];
        snprintf(name, sizeof name, "C%zu", u);
        double S = (1000.0 + 37.0 * (double)u) * pf;
        cr_assert_eq(qpm_book_add_underlying(b, name, S, 0.03, NULL), QPM_OK);
        cr_assert_eq(qpm_book_set_perp(b, u, S * 1.001), QPM_OK);
        for (int32_t e = 0; e < 3; e++) {
            double T = 0.05 + 0.3 * e;
            cr_assert_eq(qpm_book_set_forward(b, u, e, S * exp(0.04 * T), T), QPM_OK);
        }
        if (surf) {
            qpm_surface *sf;
            cr_assert_eq(qpm_surface_create(&sf, NULL), QPM_OK);
            const double ts[4] = {0.02, 0.2, 0.35, 0.5};
            for (int i = 0; i < 4; i++) {
                qpm_svi v = {0.25 * ts[i] * vf * vf, 0.06 * vf, -0.3 + 0.1 * i, 0.02 + 0.01 * i,
                             0.2 + 0.02 * i};
                cr_assert_eq(qpm_surface_set_slice(sf, ts[i], S * exp(0.04 * ts[i]), &v), QPM_OK,
                             "%s", qpm_last_error());
            }
            cr_assert_eq(qpm_book_set_surface(
                             b, u, sf, u % 2 ? QPM_BOOK_STICKY_STRIKE : QPM_BOOK_STICKY_MONEYNESS),
                         QPM_OK, "%s", qpm_last_error());
            qpm_surface_free(sf);
        }
    }
    size_t n = nopt + 5 * nu;
    int32_t *in = calloc(n, sizeof *in), *ex = calloc(n, sizeof *ex), *ty = calloc(n, sizeof *ty);
    size_t *un = calloc(n, sizeof *un);
    double *K = calloc(n, sizeof *K), *Q = calloc(n, sizeof *Q), *m = calloc(n, sizeof *m);
    double *e = calloc(n, sizeof *e), *s = calloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        size_t u = (i * 7) % nu;
        double S = 1000.0 + 37.0 * (double)u;
        in[i] = i < nopt ? (i % 2 ? QPM_INSTR_INVERSE_OPTION : QPM_INSTR_LINEAR_OPTION)
                         : (int32_t)((i - nopt) % 5);
        un[i] = u;
        ex[i] = (int32_t)(i % 3);
        ty[i] = i % 3 ? QPM_CALL : QPM_PUT;
        K[i] = S * (0.7 + 0.6 * (double)(i % 11) / 10.0);
        Q[i] = (double)(i % 9) - 4.5;
        m[i] = i % 4 ? 1.0 : 0.1;
        e[i] = S * (0.95 + 0.01 * (double)(i % 10));
        s[i] = surf && i < nopt && i % 2 == 0 ? QPM_BOOK_SURFACE_VOL
                                              : (0.3 + 0.05 * (double)(i % 13)) * vf;
    }
    cr_assert_eq(qpm_book_add_positions(b, n, in, un, ex, ty, K, Q, m, e, s), QPM_OK, "%s",
                 qpm_last_error());
    free(in), free(ex), free(ty), free(un), free(K), free(Q), free(m), free(e), free(s);
    return b;
}

static qpm_book *make_book_at(size_t nu, size_t nopt, double pf, double vf)
{
    return make_book_surf(nu, nopt, pf, vf, 0);
}

static qpm_book *make_book(size_t nu, size_t nopt)
{
    return make_book_at(nu, nopt, 1.0, 1.0);
}

static void moves(size_t n, size_t nu, double *x, double *v)
{
    for (size_t i = 0; i < n * nu; i++) {
        x[i] = 0.2 * sin(0.37 * (double)i + 1.0);
        v[i] = 0.3 * cos(0.23 * (double)i);
    }
}

/* One call, one call per scenario and calls of 7 scenarios: the chunks and
 * the runs differ, the bits may not. */
static void every_cut_agrees(size_t nu, size_t nopt, int surf)
{
    enum { NSC = 150 };
    qpm_book *b = make_book_surf(nu, nopt, 1.0, 1.0, surf);
    double *x = malloc(NSC * nu * sizeof *x), *v = malloc(NSC * nu * sizeof *v);
    double whole[NSC], one[NSC], seven[NSC];
    moves(NSC, nu, x, v);
    cr_assert_eq(qpm_book_pnl(b, NSC, x, nu, v, nu, whole), QPM_OK, "%s", qpm_last_error());
    for (size_t s = 0; s < NSC; s++)
        cr_assert_eq(qpm_book_pnl(b, 1, x + s * nu, nu, v + s * nu, nu, one + s), QPM_OK);
    for (size_t s = 0; s < NSC; s += 7) {
        size_t c = NSC - s < 7 ? NSC - s : 7;
        cr_assert_eq(qpm_book_pnl(b, c, x + s * nu, nu, v + s * nu, nu, seven + s), QPM_OK);
    }
    cr_assert(memcmp(whole, one, sizeof one) == 0, "nu %zu nopt %zu: per scenario differs", nu,
              nopt);
    cr_assert(memcmp(whole, seven, sizeof one) == 0, "nu %zu nopt %zu: blocks of 7 differ", nu,
              nopt);
    /* threads: chunks on other workers, same bits */
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 3), QPM_OK);
    memset(one, 0, sizeof one);
    cr_assert_eq(qpm_book_pnl(b, NSC, x, nu, v, nu, one), QPM_OK);
    cr_assert(memcmp(whole, one, sizeof one) == 0, "nu %zu nopt %zu: threads differ", nu, nopt);
    free(x);
    free(v);
    qpm_book_free(b);
}

Test(book_engine, pnl_is_the_same_however_the_scenarios_are_cut)
{
    every_cut_agrees(1, 1, 0);    /* one option: 64 scenarios per run */
    every_cut_agrees(3, 57, 0);   /* 17 scenarios per run: runs end inside chunks */
    every_cut_agrees(40, 45, 0);  /* more underlyings than the column cache */
    every_cut_agrees(2, 600, 0);  /* a large book: one scenario per run, in place */
    every_cut_agrees(3, 5000, 0); /* runs over two slices of the options */
    every_cut_agrees(2, 0, 0);    /* no options */
    every_cut_agrees(3, 57, 1);   /* options on surfaces, sticky moneyness among them */
    every_cut_agrees(40, 45, 1);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The grid through its own path (shifts looked up per chunk) against the
 * same scenarios as rows of moves. */
Test(book_engine, grid_equals_its_scenarios_as_rows)
{
    size_t nu = 3;
    qpm_book *b = make_book(nu, 30);
    const double xs[5] = {-0.3, -0.1, 0.0, 0.05, 0.25}, vs[3] = {-0.2, 0.0, 0.4};
    for (size_t sel = 0; sel <= nu; sel++) {
        size_t u = sel == nu ? QPM_BOOK_ALL : sel;
        double grid[15], rows[15], x[15 * 3], v[15 * 3];
        cr_assert_eq(qpm_book_scenario_grid(b, u, 5, xs, 3, vs, grid, NULL, NULL), QPM_OK);
        for (size_t i = 0; i < 15; i++)
            for (size_t k = 0; k < nu; k++) {
                int moved = u == QPM_BOOK_ALL || u == k;
                x[i * nu + k] = moved ? xs[i / 3] : 0.0;
                v[i * nu + k] = moved ? vs[i % 3] : 0.0;
            }
        cr_assert_eq(qpm_book_pnl(b, 15, x, nu, v, nu, rows), QPM_OK);
        cr_assert(memcmp(grid, rows, sizeof rows) == 0, "grid on %zu differs", sel);
    }
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

static double book_value(qpm_book *b)
{
    size_t n;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    double *v = malloc(n * sizeof *v), sum = 0.0;
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = v;
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK);
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    free(v);
    return sum;
}

/* The uncached path (more underlyings than the column cache) against an
 * independent path: the value of the book built on the moved market, for a
 * scenario that moves every underlying by x and every vol by v. */
Test(book_engine, pnl_of_many_underlyings_matches_a_moved_book)
{
    size_t nu = 40;
    const double x = 0.06, v = -0.15;
    qpm_book *b = make_book(nu, 45);
    double *xm = malloc(nu * sizeof *xm), *vm = malloc(nu * sizeof *vm), pnl;
    for (size_t u = 0; u < nu; u++)
        xm[u] = x, vm[u] = v;
    cr_assert_eq(qpm_book_pnl(b, 1, xm, nu, vm, nu, &pnl), QPM_OK);
    double grid;
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 1, &x, 1, &v, &grid, NULL, NULL), QPM_OK);
    cr_assert(memcmp(&grid, &pnl, sizeof pnl) == 0);
    qpm_book *m = make_book_at(nu, 45, 1.0 + x, 1.0 + v);
    double base = book_value(b), moved = book_value(m);
    cr_assert(fabs(pnl - (moved - base)) <= 1e-9 * fabs(base) + 1e-7, "pnl %.17g vs %.17g", pnl,
              moved - base);
    qpm_book_free(m);
    free(xm);
    free(vm);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The vector P&L kernels (pnl_kern.h): every build gives the same bits (the
 * AVX-512 one on full chunks, AVX2 on chunks of 2-4 scenarios, one lane on
 * single scenarios, checked above by the cuts; here AVX2 on every chunk),
 * and they agree with the pricer path (a CPU without AVX2) to the accuracy
 * they document: a few ulp of D (F + K) per option, summed over the book. */
static void kernels_agree(size_t nu, size_t nopt, double decay_days, double vol_scale, int surf)
{
    enum { NSC = 200 };
    qpm_book *b = make_book_surf(nu, nopt, 1.0, vol_scale, surf);
    if (decay_days > 0.0)
        cr_assert_eq(qpm_book_set(b, QPM_BOOK_DECAY_DAYS, decay_days), QPM_OK, "%s",
                     qpm_last_error());
    double *x = malloc(NSC * nu * sizeof *x), *v = malloc(NSC * nu * sizeof *v);
    double wide[NSC], avx2[NSC], ref[NSC], zero[NSC];
    moves(NSC, nu, x, v);
    /* a few extreme scenarios: a crash, a spike, vol near zero */
    for (size_t u = 0; u < nu; u++) {
        x[u] = -0.95, v[u] = 2.0;
        x[nu + u] = 4.0, v[nu + u] = -0.999;
    }
    unsigned wide_mask = ~0u;
    unsigned avx2_mask = ~((unsigned)QPM_CPU_AVX512F | (unsigned)QPM_CPU_AVX512DQ);
    unsigned none_mask = ~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA);
    qpm__cpu_set_mask(wide_mask);
    cr_assert_eq(qpm_book_pnl(b, NSC, x, nu, v, nu, wide), QPM_OK, "%s", qpm_last_error());
    qpm__cpu_set_mask(avx2_mask);
    cr_assert_eq(qpm_book_pnl(b, NSC, x, nu, v, nu, avx2), QPM_OK);
    qpm__cpu_set_mask(none_mask);
    cr_assert_eq(qpm_book_pnl(b, NSC, x, nu, v, nu, ref), QPM_OK);
    qpm__cpu_set_mask(wide_mask);
    unsigned f = qpm__cpu_flags();
    if (f & (unsigned)QPM_CPU_AVX2)
        cr_assert(memcmp(wide, avx2, sizeof wide) == 0, "AVX-512 and AVX2 kernels differ");
    /* scale: a bound on the sum over the positions of |w| D (F + K) at the
     * largest move (5x): |quantity| <= 4.5, prices and strikes below 2500 */
    double scale = 0.0;
    {
        size_t n;
        cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
        scale = 5.0 * 4.5 * 2500.0 * (double)n;
    }
    double worst = 0.0;
    for (size_t s = 0; s < NSC; s++) {
        cr_assert(isfinite(wide[s]), "scenario %zu", s);
        worst = fmax(worst, fabs(wide[s] - ref[s]));
    }
    /* measured: at most 3.6e-18 of the scale over these books */
    cr_assert(worst <= 5e-17 * scale, "kernel vs pricer: %.3g (scale %.3g)", worst, scale);
    cr_log_info("nu %zu nopt %zu: kernel vs pricer %.3g, %.3g of the scale", nu, nopt, worst,
                worst / scale);
    /* no move and no vol shift: exactly 0 without decay */
    memset(x, 0, NSC * nu * sizeof *x);
    memset(v, 0, NSC * nu * sizeof *v);
    cr_assert_eq(qpm_book_pnl(b, NSC, x, nu, v, nu, zero), QPM_OK);
    if (decay_days == 0.0)
        for (size_t s = 0; s < NSC; s++)
            cr_assert(zero[s] == 0.0, "scenario %zu: %.17g", s, zero[s]);
    free(x);
    free(v);
    qpm_book_free(b);
}

Test(book_engine, pnl_kernels_agree_with_each_other_and_the_pricer)
{
    kernels_agree(3, 57, 0.0, 1.0, 0);
    kernels_agree(40, 45, 0.0, 1.0, 0);  /* interleaved underlyings */
    kernels_agree(2, 600, 0.0, 0.05, 0); /* low vols: deep in- and out-of-the-money terms */
    kernels_agree(3, 57, 20.0, 1.0, 0);  /* decay: the first expiry (18 days) expires */
    kernels_agree(2, 30, 0.0, 1e-9, 0);  /* vols near zero: the intrinsic values */
    /* options on surfaces, sticky moneyness (vols read again in every
     * scenario) and sticky strike, mixed with flat vols */
    kernels_agree(3, 57, 0.0, 1.0, 1);
    kernels_agree(40, 45, 0.0, 1.0, 1);
    kernels_agree(3, 57, 20.0, 1.0, 1);
    cr_assert_eq(qt_leak_check(), 0);
}

/* AMM positions through the vector kernel (each case of the range in every
 * lane, the lane's picked) against the scalar loop of a CPU without AVX2:
 * the same bits, with prices moving through, below and above every range,
 * for every cut of the scenarios. */
Test(book_engine, amm_pnl_kernel_gives_the_scalar_bits)
{
    enum { NP = 7, NSC = 131 };
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 1800, 0.04, NULL), QPM_OK);
    int32_t in[NP] = {QPM_INSTR_AMM_V2, QPM_INSTR_AMM_V3, QPM_INSTR_AMM_V3, QPM_INSTR_AMM_V3,
                      QPM_INSTR_AMM_V3, QPM_INSTR_AMM_V3, QPM_INSTR_SPOT};
    size_t un[NP] = {0, 0, 0, 0, 1, 1, 1};
    int32_t ex[NP] = {0}, ty[NP] = {0};
    double K[NP], sg[NP], fee[NP];
    for (int i = 0; i < NP; i++)
        K[i] = NAN, sg[i] = NAN, fee[i] = 0.1;
    double Q[NP] = {2, 1000, 3, 0.5, 40, 7, 3}, M[NP] = {500, 1, 100, 1, 1, 1, 1};
    double lo[NP] = {NAN, 25000, 32000, 10000, 1500, 0.0, NAN};
    double hi[NP] = {NAN, 35000, 40000, 20000, INFINITY, 2000, NAN};
    qpm_book_positions p;
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    p.instrument = in, p.underlying = un, p.expiry = ex, p.option_type = ty, p.strike = K;
    p.quantity = Q, p.multiplier = M, p.sigma = sg;
    p.price_lower = lo, p.price_upper = hi, p.fee_rate = fee;
    cr_assert_eq(qpm_book_add_position_columns(b, NP, &p), QPM_OK, "%s", qpm_last_error());
    static double x[NSC * 2], vec[NSC], sca[NSC], one[NSC];
    for (size_t s = 0; s < NSC; s++) {
        x[2 * s] = -0.8 + 1.6 * (double)s / (NSC - 1);    /* BTC 6000 .. 54000 */
        x[2 * s + 1] = 0.9 - 1.7 * (double)s / (NSC - 1); /* ETH 3420 .. 360 */
    }
    cr_assert_eq(qpm_book_pnl(b, NSC, x, 2, NULL, 0, vec), QPM_OK, "%s", qpm_last_error());
    for (size_t s = 0; s < NSC; s++)
        cr_assert_eq(qpm_book_pnl(b, 1, x + 2 * s, 2, NULL, 0, one + s), QPM_OK);
    qpm__cpu_set_mask(~((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA));
    qpm_status st = qpm_book_pnl(b, NSC, x, 2, NULL, 0, sca);
    qpm__cpu_set_mask(~0u);
    cr_assert_eq(st, QPM_OK);
    for (size_t s = 0; s < NSC; s++) {
        cr_assert(memcmp(&vec[s], &sca[s], sizeof vec[s]) == 0, "scenario %zu: %.17g, scalar %.17g",
                  s, vec[s], sca[s]);
        cr_assert(memcmp(&vec[s], &one[s], sizeof vec[s]) == 0, "scenario %zu alone", s);
    }
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

static unsigned long long splitmix64(unsigned long long *x)
{
    unsigned long long z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* check_move's verdict, written out again: finite, > -1, and the moved
 * bounds of the underlying finite and (for a positive lower bound) > 0 */
static int move_verdict(double v, double lo, double hi)
{
    if (!isfinite(v) || !(v > -1.0))
        return 0;
    double f = 1.0 + v;
    return isfinite(hi * f) && (lo <= 0.0 || lo * f > 0.0);
}

/* The scenario check of qpm_book_pnl compares each move with its
 * underlying's interval (mlo, mhi], found once per preparation by
 * bisection: the interval is exactly check_move's verdict, at its ends,
 * on random moves across every scale, and through the public call (a move
 * one double past an end is refused with check_move's message).  One
 * underlying has a subnormal price, so that its
 * lower end is the underflow of the moved price, not -1. */
Test(book_engine, scenario_check_intervals_are_exact)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 65000, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "DUST", 1e-315, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 65500, 0.1), QPM_OK, "%s", qpm_last_error());
    int32_t in[3] = {QPM_INSTR_LINEAR_OPTION, QPM_INSTR_LINEAR_OPTION, QPM_INSTR_SPOT};
    size_t un[3] = {0, 0, 1};
    int32_t ex[3] = {1, 1, 0}, ty[3] = {QPM_CALL, QPM_PUT, 0};
    double K[3] = {70000, 60000, 0}, Q[3] = {1, -2, 5}, m[3] = {1, 1, 1}, s[3] = {0.6, 0.9, 0};
    cr_assert_eq(qpm_book_add_positions(b, 3, in, un, ex, ty, K, Q, m, NULL, s), QPM_OK, "%s",
                 qpm_last_error());
    double x[2] = {0.01, 0.02}, v[2] = {0.0, 0.0}, p = 0.0;
    cr_assert_eq(qpm_book_pnl(b, 1, x, 2, v, 2, &p), QPM_OK, "%s", qpm_last_error());
    unsigned long long st = 99;
    for (size_t u = 0; u < 2; u++)
        for (int k = 0; k < 2; k++) {
            const qpm__book_under *w = &b->under[u];
            double lo = k ? w->smin : w->pmin, hi = k ? w->smax : w->pmax;
            double a = w->mlo[k], c = w->mhi[k];
            if (k == 1 && u == 1) { /* no options: any vol shift above -1 */
                cr_assert(a == -1.0 && c == DBL_MAX, "%g %g", a, c);
                continue;
            }
            cr_assert(!move_verdict(a, lo, hi) && move_verdict(nextafter(a, 0.0), lo, hi),
                      "u %zu k %d: lower end %.17g", u, k, a);
            cr_assert(move_verdict(c, lo, hi) && !move_verdict(nextafter(c, HUGE_VAL), lo, hi),
                      "u %zu k %d: upper end %.17g", u, k, c);
            if (u == 1 && k == 0)
                cr_assert(a > -1.0, "the underflow limit, not -1: %.17g", a);
            for (int i = 0; i < 200000; i++) {
                double r = (double)(splitmix64(&st) >> 11) * 0x1p-53;
                double t;
                switch (i % 4) {
                case 0:
                    t = -1.0 + pow(2.0, -1074.0 * r) * (i & 4 ? 1.0 : -1.0);
                    break;
                case 1:
                    t = pow(10.0, 310.0 * r) * (i & 4 ? 1.0 : -1.0);
                    break;
                case 2:
                    t = nextafter(a, (i & 4) ? HUGE_VAL : -HUGE_VAL) * (1.0 + 1e-15 * (r - 0.5));
                    break;
                default:
                    t = c * (1.0 + 1e-15 * (r - 0.5));
                    break;
                }
                int fast = t > a && t <= c;
                cr_assert_eq(fast, move_verdict(t, lo, hi), "u %zu k %d: v = %.17g", u, k, t);
            }
            /* the public call */
            double xs[2] = {0.0, 0.0}, vs[2] = {0.0, 0.0};
            double *mv = k ? vs : xs;
            const double outside[2] = {a, nextafter(c, HUGE_VAL)},
                         inside[2] = {nextafter(a, 0.0), c};
            for (int e = 0; e < 2; e++) {
                mv[u] = outside[e];
                qpm_status so = qpm_book_pnl(b, 1, xs, 2, vs, 2, &p);
                cr_assert(so == QPM_E_INVALID || so == QPM_E_NONFINITE, "u %zu k %d: %d", u, k, so);
                mv[u] = inside[e]; /* accepted (its P&L may still overflow) */
                qpm_status si = qpm_book_pnl(b, 1, xs, 2, vs, 2, &p);
                cr_assert(si == QPM_OK || si == QPM_E_OVERFLOW, "u %zu k %d: %d %s", u, k, si,
                          qpm_last_error());
            }
        }
    qpm_book_free(b);
}
