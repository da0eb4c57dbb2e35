/* book: time decay of scenario revaluations (experimental
 * QPM_BOOK_DECAY_DAYS).  A scenario's P&L equals the value of a book whose
 * options are h days closer to expiry in the moved market less today's
 * value; an option that expires within h is worth its intrinsic value at
 * the moved forward; with vols off a surface, sticky moneyness reads the
 * surface at the shorter expiry; the position P&L and the scenario grid
 * agree with qpm_book_pnl; stresses and margins ignore it; 0 is the plain
 * revaluation bit for bit. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/stress.h"
#include "qpm/surface.h"
#include "support/testutil.h"

static const double T0[2] = {3.0 / 365, 40.0 / 365}, F0[2] = {30050, 30400};
enum { NP = 6 };
static const int32_t IN[NP] = {QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION,
                               QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION,
                               QPM_INSTR_LINEAR_PERP,   QPM_INSTR_LINEAR_OPTION};
static const int32_t EX[NP] = {0, 0, 1, 1, 0, 1};
static const int32_t TY[NP] = {QPM_CALL, QPM_PUT, QPM_PUT, QPM_CALL, 0, QPM_CALL};
static const double K[NP] = {29000, 31000, 27000, 34000, NAN, 30400};
static const double Q[NP] = {2, -3, 5, -1, 0.5, 1}, M[NP] = {1, 1, 1, 1, 1, 1};
static const double E[NP] = {NAN, NAN, NAN, NAN, 29900, NAN};

/* the market moved by x, its expiries `days` closer; vols sig (NULL: off
 * the surface s) */
static qpm_book *book(double x, double days, const double *sig, const qpm_surface *s,
                      qpm_book_vol_dynamics dyn)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000 * (1 + x), 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 30010 * (1 + x)), QPM_OK);
    for (int e = 0; e < 2; e++)
        cr_assert_eq(qpm_book_set_forward(b, 0, e, F0[e] * (1 + x), T0[e] - days / 365.0), QPM_OK);
    if (s != NULL)
        cr_assert_eq(qpm_book_set_surface(b, 0, s, dyn), QPM_OK);
    double z[NP];
    for (int i = 0; i < NP; i++)
        z[i] = sig ? sig[i] : (IN[i] == QPM_INSTR_LINEAR_PERP ? NAN : QPM_BOOK_SURFACE_VOL);
    cr_assert_eq(qpm_book_add_positions(b, NP, IN, (const size_t[NP]){0}, EX, TY, K, Q, M, E, z),
                 QPM_OK, "%s", qpm_last_error());
    return b;
}

static double total(qpm_book *b)
{
    double v[NP], t = 0;
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = v;
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK, "%s", qpm_last_error());
    for (int i = 0; i < NP; i++)
        t += v[i];
    return t;
}

static const double SIG[NP] = {0.6, 0.7, 0.65, 0.55, NAN, 0.6};

Test(book_decay, scenario_value_h_days_later)
{
    qpm_book *a = book(0, 0, SIG, NULL, QPM_BOOK_STICKY_STRIKE);
    double base = total(a), p0[3], p2[3];
    const double xs[3] = {-0.1, 0.0, 0.08};
    cr_assert_eq(qpm_book_pnl(a, 3, xs, 1, NULL, 1, p0), QPM_OK);
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, 2.0), QPM_OK);
    double v;
    cr_assert_eq(qpm_book_get(a, QPM_BOOK_DECAY_DAYS, &v), QPM_OK);
    cr_assert_eq(v, 2.0);
    cr_assert_eq(qpm_book_pnl(a, 3, xs, 1, NULL, 1, p2), QPM_OK);
    for (int k = 0; k < 3; k++) {
        qpm_book *later = book(xs[k], 2.0, SIG, NULL, QPM_BOOK_STICKY_STRIKE);
        double want = total(later) - base;
        cr_assert(fabs(p2[k] - want) <= 1e-9 * (fabs(want) + base), "x %g: %.17g vs %.17g", xs[k],
                  p2[k], want);
        cr_assert(p2[k] != p0[k]);
        qpm_book_free(later);
    }
    /* the position P&L and the grid are the same revaluation */
    double pp[3 * NP], g[3];
    cr_assert_eq(qpm_book_position_pnl(a, 3, xs, 1, NULL, 1, pp, NP), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_scenario_grid(a, 0, 3, xs, 1, NULL, g, NULL, NULL), QPM_OK);
    for (int k = 0; k < 3; k++) {
        double s = 0;
        for (int i = 0; i < NP; i++)
            s += pp[k * NP + i];
        cr_assert(fabs(s - p2[k]) <= 1e-9 * base, "%d: %.17g vs %.17g", k, s, p2[k]);
        cr_assert(fabs(g[k] - p2[k]) <= 1e-9 * base);
    }
    /* back to 0: the plain revaluation, bit for bit */
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_pnl(a, 3, xs, 1, NULL, 1, p2), QPM_OK);
    cr_assert(memcmp(p0, p2, sizeof p0) == 0);
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, -1.0), QPM_E_RANGE);
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, 4000.0), QPM_E_RANGE);
    qpm_book_free(a);
}

Test(book_decay, expired_options_at_intrinsic)
{
    /* 5 days: expiry 0 (3 days) has expired, expiry 1 has 35 days left */
    qpm_book *a = book(0, 0, SIG, NULL, QPM_BOOK_STICKY_STRIKE);
    double base = total(a);
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, 5.0), QPM_OK);
    const double x = 0.05;
    double pp[NP], p;
    cr_assert_eq(qpm_book_position_pnl(a, 1, &x, 1, NULL, 1, pp, NP), QPM_OK);
    cr_assert_eq(qpm_book_pnl(a, 1, &x, 1, NULL, 1, &p), QPM_OK);
    qpm_book *t0 = book(0, 0, SIG, NULL, QPM_BOOK_STICKY_STRIKE);
    double v0[NP];
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = v0;
    cr_assert_eq(qpm_book_position_greeks(t0, &o), QPM_OK);
    double F = F0[0] * (1 + x), S = 30000 * (1 + x);
    /* the 29000 call: (F - K) Q; the coin-settled 31000 put: out of the money */
    double want0 = (F - K[0]) * Q[0], want1 = fmax(K[1] - F, 0.0) * Q[1];
    cr_assert(fabs(pp[0] - (want0 - v0[0])) <= 1e-9 * fabs(v0[0]) + 1e-9, "%.17g vs %.17g", pp[0],
              want0 - v0[0]);
    cr_assert(fabs(pp[1] - (want1 - v0[1])) <= 1e-9 * fabs(v0[1]) + 1e-9, "%.17g vs %.17g", pp[1],
              want1 - v0[1]);
    (void)S, (void)base, (void)p;
    qpm_book_free(a), qpm_book_free(t0);
}

Test(book_decay, stresses_and_margins_are_instantaneous)
{
    qpm_book *a = book(0, 0, SIG, NULL, QPM_BOOK_STICKY_STRIKE);
    cr_assert_eq(qpm_book_set_collateral(a, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 20000, 0), QPM_OK);
    const double mv = -0.1;
    qpm_stress sh;
    memset(&sh, 0, sizeof sh);
    sh.size = sizeof sh;
    sh.spot_moves = &mv;
    qpm_stress_out r0, r1;
    memset(&r0, 0, sizeof r0), memset(&r1, 0, sizeof r1);
    r0.size = r1.size = sizeof r0;
    double eq0, eq1, dn0, up0, dn1, up1;
    cr_assert_eq(qpm_book_stress(a, &sh, &r0), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_margin(a, &eq0, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(a, 0, &dn0, &up0), QPM_OK);
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, 10.0), QPM_OK);
    cr_assert_eq(qpm_book_stress(a, &sh, &r1), QPM_OK);
    cr_assert_eq(qpm_book_margin(a, &eq1, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_liquidation(a, 0, &dn1, &up1), QPM_OK);
    cr_assert(r0.pnl == r1.pnl && eq0 == eq1, "%.17g %.17g", r0.pnl, r1.pnl);
    cr_assert(memcmp(&dn0, &dn1, sizeof dn0) == 0 && memcmp(&up0, &up1, sizeof up0) == 0);
    qpm_book_free(a);
}

Test(book_decay, sticky_moneyness_reads_the_shorter_expiry)
{
    qpm_surface *s;
    cr_assert_eq(qpm_surface_create(&s, NULL), QPM_OK);
    const double Ts[3] = {1.0 / 365, 20.0 / 365, 60.0 / 365};
    for (int k = 0; k < 3; k++) {
        qpm_svi p = {0.36 * Ts[k], 0.1 * sqrt(Ts[k]), -0.3, 0.0, 0.2};
        cr_assert_eq(qpm_surface_set_slice(s, Ts[k], 30000, &p), QPM_OK, "%s", qpm_last_error());
    }
    qpm_book *a = book(0, 0, NULL, s, QPM_BOOK_STICKY_MONEYNESS);
    double base = total(a);
    cr_assert_eq(qpm_book_set(a, QPM_BOOK_DECAY_DAYS, 2.0), QPM_OK);
    const double x = -0.07;
    double p;
    cr_assert_eq(qpm_book_pnl(a, 1, &x, 1, NULL, 1, &p), QPM_OK);
    qpm_book *later = book(x, 2.0, NULL, s, QPM_BOOK_STICKY_MONEYNESS);
    double want = total(later) - base;
    cr_assert(fabs(p - want) <= 1e-9 * base, "%.17g vs %.17g", p, want);
    qpm_book_free(a), qpm_book_free(later);
    qpm_surface_free(s);
}
