/* Helpers of the book suites: the reference book from book_market_public.csv
 * and book_positions_public.csv. */
#ifndef QPM_TEST_BOOK_UTIL_H
#define QPM_TEST_BOOK_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "support/testutil.h"

#define TB_MAXPOS 64

/* The reference positions as the arrays qpm_book_add_positions takes. */
typedef struct tb_positions {
    size_t n;
    int32_t instr[TB_MAXPOS], expiry[TB_MAXPOS], type[TB_MAXPOS];
    size_t under[TB_MAXPOS];
    double K[TB_MAXPOS], Q[TB_MAXPOS], m[TB_MAXPOS], e[TB_MAXPOS], sig[TB_MAXPOS];
} tb_positions;

static inline int32_t tb_instrument(const char *s)
{
    static const char *names[] = {"spot",        "linear_future",  "inverse_future",
                                  "linear_perp", "inverse_perp",   "linear_option",
                                  "inverse_option"};
    for (int32_t k = 0; k < 7; k++)
        if (strcmp(s, names[k]) == 0)
            return k;
    cr_assert_fail("unknown instrument %s", s);
    return -1;
}

/* "BTC-E2" -> 2 */
static inline int32_t tb_expiry_id(const char *s)
{
    const char *p = strstr(s, "-E");
    cr_assert_not_null(p, "expiry id %s", s);
    return (int32_t)strtol(p + 2, NULL, 10);
}

/* Builds the market of book_market_public.csv into b (BTC = 0, ETH = 1). */
static inline void tb_load_market(qpm_book *b)
{
    qt_csv *c = qt_csv_load("book_market_public.csv");
    size_t cu = qt_csv_col(c, "underlying"), ck = qt_csv_col(c, "kind"),
           ce = qt_csv_col(c, "expiry_id"), cT = qt_csv_col(c, "T"), cv = qt_csv_col(c, "value");
    double r = NAN;
    for (size_t i = 0; i < c->nrows; i++)
        if (strcmp(qt_csv_str(c, i, ck), "rate") == 0)
            r = qt_csv_num(c, i, cv);
    cr_assert(isfinite(r));
    for (size_t i = 0; i < c->nrows; i++) {
        const char *u = qt_csv_str(c, i, cu), *k = qt_csv_str(c, i, ck);
        size_t idx;
        if (strcmp(k, "spot") == 0) {
            cr_assert_eq(qpm_book_add_underlying(b, u, qt_csv_num(c, i, cv), r, &idx), QPM_OK,
                         "%s", qpm_last_error());
        } else if (strcmp(k, "perp") == 0) {
            cr_assert_eq(qpm_book_find_underlying(b, u, &idx), QPM_OK);
            cr_assert_eq(qpm_book_set_perp(b, idx, qt_csv_num(c, i, cv)), QPM_OK);
        } else if (strcmp(k, "forward") == 0) {
            cr_assert_eq(qpm_book_find_underlying(b, u, &idx), QPM_OK);
            cr_assert_eq(qpm_book_set_forward(b, idx, tb_expiry_id(qt_csv_str(c, i, ce)),
                                              qt_csv_num(c, i, cv), qt_csv_num(c, i, cT)),
                         QPM_OK, "%s", qpm_last_error());
        }
    }
    qt_csv_free(c);
}

/* Reads the positions; *csv_out (optional) keeps the file for the expected
 * columns (free it with qt_csv_free). */
static inline void tb_read_positions(const qpm_book *b, tb_positions *p, qt_csv **csv_out)
{
    qt_csv *c = qt_csv_load("book_positions_public.csv");
    cr_assert(c->nrows <= TB_MAXPOS);
    size_t cu = qt_csv_col(c, "underlying"), ci = qt_csv_col(c, "instrument"),
           ce = qt_csv_col(c, "expiry_id"), ct = qt_csv_col(c, "option_type"),
           cK = qt_csv_col(c, "strike"), cQ = qt_csv_col(c, "quantity"),
           cm = qt_csv_col(c, "multiplier"), cE = qt_csv_col(c, "entry_price"),
           cs = qt_csv_col(c, "sigma");
    memset(p, 0, sizeof *p);
    p->n = c->nrows;
    for (size_t i = 0; i < c->nrows; i++) {
        cr_assert_eq(qpm_book_find_underlying(b, qt_csv_str(c, i, cu), &p->under[i]), QPM_OK);
        p->instr[i] = tb_instrument(qt_csv_str(c, i, ci));
        const char *ex = qt_csv_str(c, i, ce);
        p->expiry[i] = ex[0] ? tb_expiry_id(ex) : -1;
        const char *ty = qt_csv_str(c, i, ct);
        p->type[i] = strcmp(ty, "call") == 0 ? 1 : strcmp(ty, "put") == 0 ? -1 : 0;
        p->K[i] = qt_csv_num(c, i, cK);
        p->Q[i] = qt_csv_num(c, i, cQ);
        p->m[i] = qt_csv_num(c, i, cm);
        p->e[i] = qt_csv_num(c, i, cE);
        p->sig[i] = qt_csv_num(c, i, cs);
    }
    if (csv_out != NULL)
        *csv_out = c;
    else
        qt_csv_free(c);
}

static inline void tb_add(qpm_book *b, const tb_positions *p)
{
    cr_assert_eq(qpm_book_add_positions(b, p->n, p->instr, p->under, p->expiry, p->type, p->K,
                                        p->Q, p->m, p->e, p->sig),
                 QPM_OK, "%s", qpm_last_error());
}

/* A new book holding the whole reference book. */
static inline qpm_book *tb_reference_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    tb_load_market(b);
    tb_positions p;
    tb_read_positions(b, &p, NULL);
    tb_add(b, &p);
    return b;
}

/* |got - want| <= rel |want| + abs */
/* A small valid book: BTC (0) with a perp mark and expiry 1. */
static inline qpm_book *tb_small_book(const qpm_alloc *a)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, a), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 60010), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 60500, 0.1), QPM_OK);
    return b;
}

static inline int tb_close(double got, double want, double rel, double abs_tol)
{
    return fabs(got - want) <= rel * fabs(want) + abs_tol;
}

#endif
