/* book: venues (experimental).  Names and lookups; positions and
 * collateral tagged with a venue; the per-venue equity and margin against
 * the same account split into one book per venue; collateral of one asset
 * held at several venues adds up; and unknown venues, duplicate names and
 * bad collateral are refused without changing the book. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qpm/book.h"
#include "support/testutil.h"

/* The positions of the account: a perp, an inverse future, a short call, a
 * long put, a short inverse put, on BTC. */
enum { NPOS = 5 };
static const int32_t in[NPOS] = {QPM_INSTR_LINEAR_PERP, QPM_INSTR_INVERSE_FUTURE,
                                 QPM_INSTR_LINEAR_OPTION, QPM_INSTR_LINEAR_OPTION,
                                 QPM_INSTR_INVERSE_OPTION};
static const size_t un[NPOS] = {0, 0, 0, 0, 0};
static const int32_t ex[NPOS] = {0, 1, 1, 1, 1}, ty[NPOS] = {0, 0, QPM_CALL, QPM_PUT, QPM_PUT};
static const double K[NPOS] = {NAN, NAN, 32000, 27000, 28000}, Q[NPOS] = {2, -1000, -1, 0.5, -2};
static const double m[NPOS] = {1, 10, 1, 1, 1}, e[NPOS] = {29000, 30500, NAN, NAN, NAN};
static const double sg[NPOS] = {NAN, NAN, 0.6, 0.7, 0.65};

static qpm_book *market(int venues)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 30030), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 30300, 0.25), QPM_OK);
    if (venues) {
        size_t v = 9;
        cr_assert_eq(qpm_book_add_venue(b, "deribit", &v), QPM_OK);
        cr_assert_eq(v, 0);
        cr_assert_eq(qpm_book_add_venue(b, "binance", NULL), QPM_OK);
    }
    return b;
}

/* Adds the positions whose venue tag is `only` (every one when only is
 * SIZE_MAX - 1), tagged with `ven` (or untagged when ven is NULL). */
static void add(qpm_book *b, const size_t *ven, const size_t *tag, size_t only)
{
    for (size_t i = 0; i < NPOS; i++) {
        if (only != SIZE_MAX - 1 && tag[i] != only)
            continue;
        qpm_book_positions p = {
            sizeof p, in + i, un + i, ex + i, ty + i, K + i, Q + i,
            m + i,    e + i,  sg + i, NULL,   NULL,   NULL,  ven ? ven + i : NULL};
        cr_assert_eq(qpm_book_add_position_columns(b, 1, &p), QPM_OK, "%s", qpm_last_error());
    }
}

Test(book_venue, names)
{
    qpm_book *b = market(1);
    size_t n = 9, v = 9;
    const char *nm = NULL;
    cr_assert_eq(qpm_book_n_venues(b, &n), QPM_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(qpm_book_venue_name(b, 1, &nm), QPM_OK);
    cr_assert_str_eq(nm, "binance");
    cr_assert_eq(qpm_book_find_venue(b, "binance", &v), QPM_OK);
    cr_assert_eq(v, 1);
    /* refused, the book unchanged */
    cr_assert_eq(qpm_book_add_venue(b, "deribit", NULL), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "name = \"deribit\": already venue 0");
    cr_assert_eq(qpm_book_add_venue(b, "", NULL), QPM_E_INVALID);
    char longname[65];
    memset(longname, 'x', 64);
    longname[64] = '\0';
    cr_assert_eq(qpm_book_add_venue(b, longname, NULL), QPM_E_INVALID);
    longname[63] = '\0'; /* 63 bytes: the longest name */
    cr_assert_eq(qpm_book_add_venue(b, longname, &v), QPM_OK);
    cr_assert_eq(v, 2);
    cr_assert_eq(qpm_book_find_venue(b, "okx", &v), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "name = \"okx\": no such venue");
    cr_assert_eq(qpm_book_venue_name(b, 3, &nm), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "v = 3: must be < 3 (the number of venues)");
    cr_assert_eq(qpm_book_add_venue(NULL, "x", NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_add_venue(b, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_venues(b, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_find_venue(b, "deribit", NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_venue_name(b, 0, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_book_n_venues(b, &n), QPM_OK);
    cr_assert_eq(n, 3);
    qpm_book_free(b);
}

/* Each venue's row equals the account of its positions and collateral alone
 * (a book holding only them), and the rows add up to the totals. */
Test(book_venue, margin_per_venue_is_the_venue_alone)
{
    const size_t tag[NPOS] = {0, 1, QPM_BOOK_NO_VENUE, 0, 1};
    qpm_book *b = market(1);
    add(b, tag, tag, SIZE_MAX - 1);
    cr_assert_eq(qpm_book_set_collateral(b, 0, QPM_BOOK_USD, 20000, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, 1, 0, 1.0, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 0, 0.5, 0.2), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, 1, QPM_BOOK_USD, 3000, 0.01), QPM_OK);
    double ve[3], vi[3], vm[3];
    cr_assert_eq(qpm_book_venue_margin(b, ve, vi, vm), QPM_OK, "%s", qpm_last_error());
    /* the same account, split */
    const size_t rows[3] = {0, 1, QPM_BOOK_NO_VENUE};
    const double usd[3] = {20000, 3000 * 0.99, 0}, coin[3] = {0, 0.9, 0.5 * 0.8};
    double se = 0, si = 0, sm = 0;
    for (int r = 0; r < 3; r++) {
        qpm_book *c = market(0);
        add(c, NULL, tag, rows[r]);
        cr_assert_eq(qpm_book_set_collateral(c, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, usd[r], 0.0),
                     QPM_OK);
        cr_assert_eq(qpm_book_set_collateral(c, QPM_BOOK_NO_VENUE, 0, coin[r], 0.0), QPM_OK);
        double eq, im, mm;
        cr_assert_eq(qpm_book_margin(c, &eq, &im, &mm, NULL, NULL), QPM_OK);
        cr_assert(fabs(ve[r] - eq) <= 1e-12 * fabs(eq), "venue %d: equity %.17g vs %.17g", r, ve[r],
                  eq);
        cr_assert(fabs(vi[r] - im) <= 1e-12 * im, "venue %d: initial %.17g vs %.17g", r, vi[r], im);
        cr_assert(fabs(vm[r] - mm) <= 1e-12 * mm, "venue %d: maintenance %.17g vs %.17g", r, vm[r],
                  mm);
        cr_assert(im > 0 && mm > 0, "every venue holds a margined position");
        se += ve[r];
        si += vi[r];
        sm += vm[r];
        qpm_book_free(c);
    }
    double eq, im, mm;
    cr_assert_eq(qpm_book_margin(b, &eq, &im, &mm, NULL, NULL), QPM_OK);
    cr_assert(fabs(se - eq) <= 1e-12 * fabs(eq) && fabs(si - im) <= 1e-12 * im &&
              fabs(sm - mm) <= 1e-12 * mm);
    /* tags change nothing else: the untagged account has the same totals */
    qpm_book *c = market(0);
    add(c, NULL, tag, SIZE_MAX - 1);
    cr_assert_eq(qpm_book_set_collateral(c, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 20000 + 2970, 0.0),
                 QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(c, QPM_BOOK_NO_VENUE, 0, 0.9 + 0.4, 0.0), QPM_OK);
    double eq2, im2, mm2;
    cr_assert_eq(qpm_book_margin(c, &eq2, &im2, &mm2, NULL, NULL), QPM_OK);
    cr_assert(fabs(eq2 - eq) <= 1e-12 * fabs(eq) && im2 == im && mm2 == mm);
    qpm_book_free(c);
    qpm_book_free(b);
}

/* Collateral of one asset at several venues adds up; setting a venue's
 * amount again replaces it; amount 0 removes its value. */
Test(book_venue, collateral_adds_over_venues)
{
    qpm_book *b = market(1);
    double eq;
    cr_assert_eq(qpm_book_set_collateral(b, 0, 0, 1.0, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, 1, 0, 2.0, 0.2), QPM_OK);
    cr_assert_eq(qpm_book_margin(b, &eq, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert(fabs(eq - 30000 * (0.9 + 1.6)) <= 1e-12 * eq, "%.17g", eq);
    cr_assert_eq(qpm_book_set_collateral(b, 1, 0, 1.0, 0.2), QPM_OK); /* replaces */
    cr_assert_eq(qpm_book_margin(b, &eq, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert(fabs(eq - 30000 * (0.9 + 0.8)) <= 1e-12 * eq, "%.17g", eq);
    double g, n;
    cr_assert_eq(qpm_book_leverage(b, &g, &n, NULL, NULL), QPM_OK);
    cr_assert(fabs(n - 2.0 / 1.7) <= 1e-12, "net leverage counts the coins in full: %.17g", n);
    double ve[3];
    cr_assert_eq(qpm_book_venue_margin(b, ve, NULL, NULL), QPM_OK);
    cr_assert(fabs(ve[0] - 27000) <= 1e-9 && fabs(ve[1] - 24000) <= 1e-9 && ve[2] == 0.0);
    cr_assert_eq(qpm_book_set_collateral(b, 0, 0, 0.0, 0.0), QPM_OK);
    cr_assert_eq(qpm_book_venue_margin(b, ve, NULL, NULL), QPM_OK);
    cr_assert(ve[0] == 0.0 && fabs(ve[1] - 24000) <= 1e-9);
    qpm_book_free(b);
}

Test(book_venue, unknown_venue_is_refused)
{
    qpm_book *b = market(1);
    size_t tag[NPOS] = {0, 1, 2, QPM_BOOK_NO_VENUE, 0};
    qpm_book_positions p = {sizeof p, in, un, ex, ty, K, Q, m, e, sg, NULL, NULL, NULL, tag};
    cr_assert_eq(qpm_book_add_position_columns(b, NPOS, &p), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "position 2: venue = 2: no such venue (the book has 2; "
                                       "QPM_BOOK_NO_VENUE for none)");
    size_t n = 9;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 0, "all or nothing");
    tag[2] = 1;
    cr_assert_eq(qpm_book_add_position_columns(b, NPOS, &p), QPM_OK);
    double eq0, eq1;
    cr_assert_eq(qpm_book_margin(b, &eq0, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_collateral(b, 2, QPM_BOOK_USD, 1.0, 0.0), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(),
                     "venue = 2: no such venue (the book has 2; QPM_BOOK_NO_VENUE for none)");
    cr_assert_eq(qpm_book_set_collateral(b, 0, QPM_BOOK_USD, 1.0, 1.5), QPM_E_INVALID);
    cr_assert_eq(qpm_book_set_collateral(b, 0, 1, 1.0, 0.0), QPM_E_INVALID);
    cr_assert_eq(qpm_book_margin(b, &eq1, NULL, NULL, NULL, NULL), QPM_OK);
    cr_assert_eq(eq0, eq1, "refused collateral changed nothing");
    double ve[3] = {7, 7, 7};
    cr_assert_eq(qpm_book_venue_margin(NULL, ve, NULL, NULL), QPM_E_NULL);
    cr_assert(ve[0] == 7);
    /* NULL outputs are allowed */
    cr_assert_eq(qpm_book_venue_margin(b, NULL, NULL, NULL), QPM_OK);
    qpm_book_free(b);
}

/* Without venues there is one row: the whole account. */
Test(book_venue, no_venues_one_row)
{
    qpm_book *b = market(0);
    add(b, NULL, (const size_t[NPOS]){0}, SIZE_MAX - 1);
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, QPM_BOOK_USD, 5000, 0.0), QPM_OK);
    double ve[2] = {7, 7}, vm[2] = {7, 7}, eq, mm;
    cr_assert_eq(qpm_book_venue_margin(b, ve, NULL, vm), QPM_OK);
    cr_assert_eq(qpm_book_margin(b, &eq, NULL, &mm, NULL, NULL), QPM_OK);
    cr_assert(fabs(ve[0] - eq) <= 1e-12 * fabs(eq) && fabs(vm[0] - mm) <= 1e-12 * mm);
    cr_assert(ve[1] == 7 && vm[1] == 7, "one row only");
    qpm_book_free(b);
}

/* Out of memory: a failed allocation in add_venue, set_collateral (the
 * collateral table grows) or venue_margin (its rows) changes nothing, and
 * the call succeeds once memory is back. */
Test(book_venue, out_of_memory_changes_nothing)
{
    int points = 0;
    for (long k = 0; k < 12; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, -1);
        qpm_book *b;
        cr_assert_eq(qpm_book_create(&b, &fa.alloc), QPM_OK);
        cr_assert_eq(qpm_book_add_underlying(b, "BTC", 30000, 0.0, NULL), QPM_OK);
        qt_failalloc_only(&fa, k);
        const char *names[3] = {"a", "b", "c"};
        int failed = 0;
        for (int v = 0; v < 3; v++) {
            size_t n0, n1;
            qpm_book_n_venues(b, &n0);
            qpm_status st = qpm_book_add_venue(b, names[v], NULL);
            qpm_book_n_venues(b, &n1);
            if (st != QPM_OK) {
                cr_assert_eq(st, QPM_E_NOMEM);
                cr_assert_eq(n1, n0);
                failed++;
                cr_assert_eq(qpm_book_add_venue(b, names[v], NULL), QPM_OK);
            }
        }
        double want = 0.0;
        for (size_t v = 0; v < 3; v++) {
            double eq0 = 0, eq1 = 0;
            qpm_book_margin(b, &eq0, NULL, NULL, NULL, NULL);
            qpm_status st = qpm_book_set_collateral(b, v, QPM_BOOK_USD, 100.0 * (double)(v + 1), 0);
            qpm_book_margin(b, &eq1, NULL, NULL, NULL, NULL);
            if (st != QPM_OK) {
                cr_assert_eq(st, QPM_E_NOMEM);
                cr_assert_eq(eq1, eq0);
                failed++;
                cr_assert_eq(
                    qpm_book_set_collateral(b, v, QPM_BOOK_USD, 100.0 * (double)(v + 1), 0),
                    QPM_OK);
            }
            want += 100.0 * (double)(v + 1);
        }
        double ve[4] = {7, 7, 7, 7};
        qpm_status st = qpm_book_venue_margin(b, ve, NULL, NULL);
        if (st != QPM_OK) {
            cr_assert_eq(st, QPM_E_NOMEM);
            cr_assert(ve[0] == 7 && ve[3] == 7, "outputs untouched");
            failed++;
            cr_assert_eq(qpm_book_venue_margin(b, ve, NULL, NULL), QPM_OK);
        }
        cr_assert(ve[0] == 100 && ve[1] == 200 && ve[2] == 300 && ve[3] == 0);
        double eq;
        cr_assert_eq(qpm_book_margin(b, &eq, NULL, NULL, NULL, NULL), QPM_OK);
        cr_assert_eq(eq, want);
        cr_assert_leq(failed, 1);
        points += failed;
        qpm_book_free(b);
        cr_assert_eq(fa.live, 0, "k = %ld: %ld blocks leaked", k, fa.live);
    }
    cr_assert_geq(points, 3, "the venue table, the collateral table and the margin rows");
}
