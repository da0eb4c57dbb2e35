/* Venues and collateral: the tags positions and collateral carry, and the
 * collateral table with its per-asset sums. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "book/book_internal.h"

qpm_status qpm_book_add_venue(qpm_book *b, const char *name, size_t *index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    qpm_status st = qpm__book_name_check(b->venue, b->n_venue, sizeof *b->venue, name, "venue");
    if (st != QPM_OK)
        return st;
    size_t len = strlen(name);
    void *arr = b->venue;
    st = qpm__book_grow(&b->alloc, &arr, &b->cap_venue, b->n_venue + 1, sizeof *b->venue);
    if (st != QPM_OK)
        return st;
    b->venue = arr;
    memcpy(b->venue[b->n_venue].name, name, len + 1);
    if (index != NULL)
        *index = b->n_venue;
    b->n_venue++;
    return QPM_OK;
}

qpm_status qpm_book_n_venues(const qpm_book *b, size_t *n)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(n, "n");
    *n = b->n_venue;
    return QPM_OK;
}

qpm_status qpm_book_find_venue(const qpm_book *b, const char *name, size_t *index)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    QPM__CHECK_NULL(index, "index");
    size_t v = qpm__book_name_row(b->venue, b->n_venue, sizeof *b->venue, name);
    if (v == SIZE_MAX)
        return qpm__fail(QPM_E_INVALID, "name = \"%s\": no such venue", name);
    *index = v;
    return QPM_OK;
}

qpm_status qpm_book_venue_name(const qpm_book *b, size_t v, const char **name)
{
    QPM__CHECK_NULL(b, "b");
    QPM__CHECK_NULL(name, "name");
    if (v >= b->n_venue)
        return qpm__fail(QPM_E_INVALID, "v = %zu: must be < %zu (the number of venues)", v,
                         b->n_venue);
    *name = b->venue[v].name;
    return QPM_OK;
}

qpm_status qpm__book_check_venue(const qpm_book *b, size_t v, const char *what)
{
    if (v == QPM_BOOK_NO_VENUE || v < b->n_venue)
        return QPM_OK;
    return qpm__fail(QPM_E_INVALID,
                     "%s = %zu: no such venue (the book has %zu; QPM_BOOK_NO_VENUE for none)", what,
                     v, b->n_venue);
}

/* Recomputes the per-asset sums of the collateral table. */
static void collateral_sums(qpm_book *b)
{
    b->coll_usd = 0.0;
    for (size_t u = 0; u < b->n_under; u++)
        b->under[u].coll_eff = b->under[u].coll_full = 0.0;
    for (size_t k = 0; k < b->n_coll; k++) {
        const qpm__book_coll *c = &b->coll[k];
        double eff = c->amount * (1.0 - c->haircut);
        if (c->asset == QPM_BOOK_USD) {
            b->coll_usd += eff;
        } else {
            b->under[c->asset].coll_eff += eff;
            b->under[c->asset].coll_full += c->amount;
        }
    }
}

qpm_status qpm_book_set_collateral(qpm_book *b, size_t venue, size_t asset, double amount,
                                   double haircut)
{
    QPM__CHECK_NULL(b, "b");
    qpm_status st = qpm__book_check_venue(b, venue, "venue");
    if (st != QPM_OK)
        return st;
    if (asset != QPM_BOOK_USD && asset >= b->n_under)
        return qpm__fail(QPM_E_INVALID,
                         "asset = %zu: must be < %zu (the number of underlyings) or QPM_BOOK_USD",
                         asset, b->n_under);
    if (!isfinite(amount))
        return qpm__fail(QPM_E_NONFINITE, "amount = %g: must be finite", amount);
    if (!(amount >= 0.0))
        return qpm__fail(QPM_E_INVALID, "amount = %.17g: must be >= 0", amount);
    if (!isfinite(haircut))
        return qpm__fail(QPM_E_NONFINITE, "haircut = %g: must be finite", haircut);
    if (!(haircut >= 0.0 && haircut < 1.0))
        return qpm__fail(QPM_E_INVALID, "haircut = %.17g: must be in [0, 1)", haircut);
    size_t k = 0;
    while (k < b->n_coll && !(b->coll[k].venue == venue && b->coll[k].asset == asset))
        k++;
    if (k == b->n_coll) {
        void *arr = b->coll;
        if ((st = qpm__book_grow(&b->alloc, &arr, &b->cap_coll, b->n_coll + 1, sizeof *b->coll)) !=
            QPM_OK)
            return st;
        b->coll = arr;
        b->coll[k].venue = venue;
        b->coll[k].asset = asset;
        b->n_coll++;
    }
    b->coll[k].amount = amount;
    b->coll[k].haircut = haircut;
    collateral_sums(b);
    return QPM_OK;
}
