/* book: qpm_book_position_pnl (experimental).  Each row adds up to
 * qpm_book_pnl's P&L of the scenario (options of both settlements, linear
 * and inverse futures and perps with funding, AMM positions, vol shifts);
 * a zero move gives exact zeros; position by position it equals a book
 * holding that position alone; bad input leaves the output untouched. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/book.h"
#include "support/testutil.h"

enum { NP = 8, NS = 40 };
static const int32_t in[NP] = {QPM_INSTR_SPOT,          QPM_INSTR_LINEAR_PERP,
                               QPM_INSTR_INVERSE_PERP,  QPM_INSTR_LINEAR_FUTURE,
                               QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION,
                               QPM_INSTR_AMM_V3,        QPM_INSTR_LINEAR_OPTION};
static const size_t un[NP] = {0, 0, 1, 0, 0, 1, 0, 1};
static const int32_t ex[NP] = {0, 0, 0, 1, 1, 1, 0, 1};
static const int32_t ty[NP] = {0, 0, 0, 0, QPM_CALL, QPM_PUT, 0, QPM_PUT};
static const double K[NP] = {NAN, NAN, NAN, NAN, 62000, 2800, NAN, 3100};
static const double Q[NP] = {0.7, 2, -5000, -1, -3, 20, 50, 15};
static const double m[NP] = {1, 1, 10, 1, 1, 1, 1, 1};
static const double e[NP] = {NAN, 59000, 3050, 61000, NAN, NAN, NAN, NAN};
static const double sg[NP] = {NAN, NAN, NAN, NAN, 0.6, 0.7, NAN, 0.75};
static const double lo[NP] = {NAN, NAN, NAN, NAN, NAN, NAN, 50000, NAN};
static const double hi[NP] = {NAN, NAN, NAN, NAN, NAN, NAN, 70000, NAN};
static const double fee[NP] = {NAN, NAN, NAN, NAN, NAN, NAN, 0.1, NAN};

static qpm_book *book_of(size_t first, size_t count)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 60030), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 1, 3001), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 60500, 0.25), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 1, 1, 3020, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_set_funding(b, 0, 0.0001, 0.00008), QPM_OK);
    cr_assert_eq(qpm_book_set_funding(b, 1, -0.0002, 0.0003), QPM_OK);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, 24), QPM_OK);
    qpm_book_positions p = {sizeof p,   in + first, un + first,  ex + first, ty + first,
                            K + first,  Q + first,  m + first,   e + first,  sg + first,
                            lo + first, hi + first, fee + first, NULL};
    cr_assert_eq(qpm_book_add_position_columns(b, count, &p), QPM_OK, "%s", qpm_last_error());
    return b;
}

static void moves(double *x, double *v)
{
    for (int s = 0; s < NS; s++)
        for (int u = 0; u < 2; u++) {
            x[s * 2 + u] = 0.3 * sin(1.7 * s + u);
            v[s * 2 + u] = 0.4 * cos(0.9 * s + 2 * u);
        }
    x[0] = x[1] = v[0] = v[1] = 0.0; /* scenario 0: no move */
}

Test(book_position_pnl, rows_add_up_to_the_book_pnl)
{
    qpm_book *b = book_of(0, NP);
    double x[NS * 2], v[NS * 2], tot[NS], p[NS * (NP + 2)];
    moves(x, v);
    cr_assert_eq(qpm_book_pnl(b, NS, x, 2, v, 2, tot), QPM_OK);
    cr_assert_eq(qpm_book_position_pnl(b, NS, x, 2, v, 2, p, NP + 2), QPM_OK, "%s",
                 qpm_last_error());
    for (int s = 0; s < NS; s++) {
        double sum = 0, scale = 0;
        for (int i = 0; i < NP; i++) {
            sum += p[s * (NP + 2) + i];
            scale += fabs(p[s * (NP + 2) + i]);
        }
        cr_assert(fabs(sum - tot[s]) <= 1e-12 * scale + 1e-9, "scenario %d: %.17g vs %.17g", s, sum,
                  tot[s]);
    }
    /* no move: only the funding over the horizon, on the perps */
    for (int i = 0; i < NP; i++) {
        int perp = in[i] == QPM_INSTR_LINEAR_PERP || in[i] == QPM_INSTR_INVERSE_PERP;
        cr_assert(perp ? p[i] != 0.0 : p[i] == 0.0, "position %d: %.17g", i, p[i]);
    }
    qpm_book_free(b);
}

/* Position by position: a book holding only position i gives its column. */
Test(book_position_pnl, each_column_is_the_position_alone)
{
    qpm_book *b = book_of(0, NP);
    double x[NS * 2], v[NS * 2], p[NS * NP], one[NS];
    moves(x, v);
    cr_assert_eq(qpm_book_position_pnl(b, NS, x, 2, v, 2, p, NP), QPM_OK);
    for (size_t i = 0; i < NP; i++) {
        qpm_book *c = book_of(i, 1);
        cr_assert_eq(qpm_book_pnl(c, NS, x, 2, v, 2, one), QPM_OK);
        for (int s = 0; s < NS; s++)
            cr_assert(fabs(p[s * NP + i] - one[s]) <= 1e-12 * fabs(one[s]) + 1e-9,
                      "position %zu scenario %d: %.17g vs %.17g", i, s, p[s * NP + i], one[s]);
        qpm_book_free(c);
    }
    qpm_book_free(b);
}

Test(book_position_pnl, bad_input)
{
    qpm_book *b = book_of(0, NP);
    double x[4] = {0.1, 0.1, -1.5, 0}, p[2 * NP];
    for (int i = 0; i < 2 * NP; i++)
        p[i] = 7;
    cr_assert_eq(qpm_book_position_pnl(b, 2, x, 2, NULL, 0, p, NP), QPM_E_INVALID);
    cr_assert(strstr(qpm_last_error(), "scenario 1, underlying 0") != NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_book_position_pnl(b, 1, x, 2, NULL, 0, p, NP - 1), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "ld_pnl = 7: must be >= 8 (the number of positions)");
    cr_assert_eq(qpm_book_position_pnl(b, 0, x, 2, NULL, 0, p, NP), QPM_E_SIZE);
    cr_assert_eq(qpm_book_position_pnl(b, 1, x, 2, NULL, 0, NULL, NP), QPM_E_NULL);
    cr_assert_eq(qpm_book_position_pnl(NULL, 1, x, 2, NULL, 0, p, NP), QPM_E_NULL);
    cr_assert_eq(qpm_book_position_pnl(b, 1, NULL, 2, NULL, 0, p, NP), QPM_E_NULL);
    for (int i = 0; i < 2 * NP; i++)
        cr_assert_eq(p[i], 7.0, "output untouched");
    qpm_book_free(b);
}
