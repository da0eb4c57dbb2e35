/* limits (experimental): qpm_book_limits.  The measured values are those
 * of qpm_book_margin and qpm_book_leverage; VaR and ES scale by k; each
 * leverage and margin-ratio scale, applied to the quantities of a rebuilt
 * book, puts it exactly on its limit; a limit the collateral alone
 * breaches has no scale; the scale clearing every limit; bad input. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/stress.h"
#include "support/testutil.h"

enum { NP = 4 };

/* BTC at 30000: a long perp, a short call, a long put, a short inverse
 * future, quantities times k; 20000 USD and 1 BTC (haircut 10%). */
static qpm_book *account(double k)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 30030), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 30300, 0.25), QPM_OK);
    int32_t in[NP] = {QPM_INSTR_LINEAR_PERP, QPM_INSTR_LINEAR_OPTION, QPM_INSTR_LINEAR_OPTION,
                      QPM_INSTR_INVERSE_FUTURE};
    size_t un[NP] = {0, 0, 0, 0};
    int32_t ex[NP] = {0, 1, 1, 1}, ty[NP] = {0, QPM_CALL, QPM_PUT, 0};
    double K[NP] = {NAN, 32000, 27000, NAN}, Q[NP] = {3 * k, -2 * k, 1 * k, -2000 * k};
    double m[NP] = {1, 1, 1, 10}, e[NP] = {29500, NAN, NAN, 30400}, sg[NP] = {NAN, 0.6, 0.7, NAN};
    cr_assert_eq(qpm_book_add_positions(b, NP, in, un, ex, ty, K, Q, m, e, sg), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 20000, 0), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 1.0, 0.1), QPM_OK);
    return b;
}

static qpm_limits limits(double v, double e, double g, double n, double mr)
{
    qpm_limits L = {sizeof L, {v, e, g, n, mr}};
    return L;
}

static qpm_limit_report report(void)
{
    qpm_limit_report r;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    return r;
}

Test(book_limits, values_and_no_breach)
{
    qpm_book *b = account(1);
    qpm_limits L = limits(0, 0, 0, 0, 0);
    qpm_limit_report r = report();
    cr_assert_eq(qpm_book_limits(b, 1000, 1500, &L, &r), QPM_OK, "%s", qpm_last_error());
    double g, n, eq, mm;
    cr_assert_eq(qpm_book_leverage(b, &g, &n, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_margin(b, &eq, NULL, &mm, NULL, NULL), QPM_OK);
    cr_assert(fabs(r.value[QPM_LIMIT_GROSS] - g) <= 1e-12 * g);
    cr_assert(fabs(r.value[QPM_LIMIT_NET] - fabs(n)) <= 1e-12 * fabs(n));
    cr_assert(fabs(r.value[QPM_LIMIT_MARGIN] - mm / eq) <= 1e-12 * mm / eq);
    cr_assert(r.value[QPM_LIMIT_VAR] == 1000 && r.value[QPM_LIMIT_ES] == 1500);
    cr_assert_eq(r.n_breached, 0);
    cr_assert_eq(r.scale_all, 1.0);
    for (int j = 0; j < QPM_LIMIT_COUNT; j++)
        cr_assert(r.breached[j] == 0 && r.scale[j] == 1.0);
    /* limits above every value: nothing breached */
    L = limits(2000, 2000, g * 1.01, fabs(n) * 1.01, mm / eq * 1.01);
    cr_assert_eq(qpm_book_limits(b, 1000, 1500, &L, &r), QPM_OK);
    cr_assert_eq(r.n_breached, 0);
    qpm_book_free(b);
}

/* Each scale puts the rebuilt book on its limit. */
Test(book_limits, scales_put_the_book_on_its_limits)
{
    qpm_book *b = account(1);
    double g, n, eq, mm;
    cr_assert_eq(qpm_book_leverage(b, &g, &n, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_margin(b, &eq, NULL, &mm, NULL, NULL), QPM_OK);
    qpm_limits L = limits(600, 1200, 0.7 * g, 0.5 * fabs(n), 0.6 * mm / eq);
    qpm_limit_report r = report();
    cr_assert_eq(qpm_book_limits(b, 1000, 1500, &L, &r), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(r.n_breached, 5);
    cr_assert(fabs(r.scale[QPM_LIMIT_VAR] - 0.6) <= 1e-15);
    cr_assert(fabs(r.scale[QPM_LIMIT_ES] - 0.8) <= 1e-15);
    double mn = 1;
    for (int j = 0; j < QPM_LIMIT_COUNT; j++) {
        cr_assert(r.breached[j] == 1 && r.scale[j] > 0 && r.scale[j] < 1, "limit %d: %.17g", j,
                  r.scale[j]);
        mn = fmin(mn, r.scale[j]);
    }
    cr_assert_eq(r.scale_all, mn, "nested limits: the smallest scale");
    for (int j = QPM_LIMIT_GROSS; j <= QPM_LIMIT_MARGIN; j++) {
        qpm_book *c = account(r.scale[j]);
        double g2, n2, e2, m2;
        cr_assert_eq(qpm_book_leverage(c, &g2, &n2, NULL, NULL), QPM_OK);
        cr_assert_eq(qpm_book_margin(c, &e2, NULL, &m2, NULL, NULL), QPM_OK);
        double got = j == QPM_LIMIT_GROSS ? g2 : j == QPM_LIMIT_NET ? fabs(n2) : m2 / e2;
        cr_assert(fabs(got - L.limit[j]) <= 1e-12 * L.limit[j],
                  "limit %d at k = %.17g: %.17g vs %.17g", j, r.scale[j], got, L.limit[j]);
        qpm_book_free(c);
    }
    qpm_book_free(b);
}

/* Collateral of 10 BTC (haircut 50%) hedged by a short perp of 5: net
 * leverage |10 - 5k| S / (5 S + V k); below 1 it needs k > 1: no scale. */
Test(book_limits, no_scale_clears_a_limit_the_collateral_breaches)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.0, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 30000), QPM_OK);
    int32_t in = QPM_INSTR_LINEAR_PERP;
    size_t un = 0;
    double q = -5, m = 1, e = 30000;
    cr_assert_eq(qpm_book_add_positions(b, 1, &in, &un, NULL, NULL, NULL, &q, &m, &e, NULL),
                 QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 10, 0.5), QPM_OK);
    qpm_limits L = limits(0, 0, 0, 0.5, 0);
    qpm_limit_report r = report();
    cr_assert_eq(qpm_book_limits(b, NAN, NAN, &L, &r), QPM_OK, "%s", qpm_last_error());
    cr_assert(fabs(r.value[QPM_LIMIT_NET] - 1.0) <= 1e-15);
    cr_assert(r.breached[QPM_LIMIT_NET] == 1 && isnan(r.scale[QPM_LIMIT_NET]));
    cr_assert(isnan(r.scale_all));
    cr_assert(isnan(r.value[QPM_LIMIT_VAR]), "VaR not measured");
    qpm_book_free(b);
}

Test(book_limits, bad_input_leaves_the_report)
{
    qpm_book *b = account(1);
    qpm_limits L = limits(-1, 0, 0, 0, 0);
    qpm_limit_report r = report();
    r.n_breached = 77;
    cr_assert_eq(qpm_book_limits(b, 1, 1, &L, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "lim->limit[0] (VaR) = -1: must be >= 0 (0: none)");
    L = limits(0, NAN, 0, 0, 0);
    cr_assert_eq(qpm_book_limits(b, 1, 1, &L, &r), QPM_E_NONFINITE);
    L = limits(100, 0, 0, 0, 0);
    cr_assert_eq(qpm_book_limits(b, NAN, 1, &L, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "var = nan: a VaR limit needs the measured VaR, finite and >= 0");
    cr_assert_eq(qpm_book_limits(NULL, 1, 1, &L, &r), QPM_E_NULL);
    cr_assert_eq(qpm_book_limits(b, 1, 1, NULL, &r), QPM_E_NULL);
    cr_assert_eq(qpm_book_limits(b, 1, 1, &L, NULL), QPM_E_NULL);
    r.size = 16;
    cr_assert_eq(qpm_book_limits(b, 1, 1, &L, &r), QPM_E_INVALID);
    r.size = sizeof r;
    L.size = 12;
    cr_assert_eq(qpm_book_limits(b, 1, 1, &L, &r), QPM_E_INVALID);
    struct {
        qpm_limits l;
        double later;
    } w = {limits(0, 0, 0, 0, 0), 1};
    w.l.size = sizeof w;
    cr_assert_eq(qpm_book_limits(b, 1, 1, &w.l, &r), QPM_E_UNSUPPORTED);
    cr_assert_eq(r.n_breached, 77, "report untouched");
    w.later = 0;
    cr_assert_eq(qpm_book_limits(b, 1, 1, &w.l, &r), QPM_OK);
    qpm_book_free(b);
}
