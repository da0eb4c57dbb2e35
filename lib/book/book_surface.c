/* Vol surfaces attached to a book's underlyings (qpm_book_set_surface): the
 * book keeps its own copy, so that a caller's later change or free of the
 * surface cannot reach a prepared book.  The options that price off it
 * read their vols at preparation (book_value.c) and, under sticky
 * moneyness, again in every scenario (qpm__book_moved_vol). */
#include "book_internal.h"
#include "instrument.h"

qpm_status qpm_book_set_surface(qpm_book *b, size_t u, const qpm_surface *s,
                                qpm_book_vol_dynamics dyn)
{
    QPM__CHECK_NULL(b, "b");
    if (u >= b->n_under)
        return qpm__fail(QPM_E_INVALID,
                         "underlying = %zu: must be < %zu (the number of underlyings)", u,
                         b->n_under);
    if (dyn != QPM_BOOK_STICKY_STRIKE && dyn != QPM_BOOK_STICKY_MONEYNESS)
        return qpm__fail(QPM_E_INVALID,
                         "dyn = %d: must be QPM_BOOK_STICKY_STRIKE (0) or "
                         "QPM_BOOK_STICKY_MONEYNESS (1)",
                         (int)dyn);
    qpm__book_under *x = &b->under[u];
    qpm_surface *copy = NULL;
    if (s == NULL) {
        for (size_t i = 0; i < b->n_pos; i++) {
            const qpm__book_pos *p = &b->pos[i];
            if (p->u == u && qpm__pos_kind(p)->scen == QPM__SCEN_BLACK76 &&
                p->sig == QPM_BOOK_SURFACE_VOL)
                return qpm__fail(QPM_E_STATE,
                                 "position %zu prices off the surface of underlying %zu ('%s'): "
                                 "the surface cannot be removed while it does",
                                 i, u, x->name);
        }
    } else {
        if (qpm_surface_n_slices(s) == 0)
            return qpm__fail(QPM_E_INVALID, "s: the surface has no slices");
        qpm_status st = qpm__surface_copy(s, &b->alloc, &copy);
        if (st != QPM_OK)
            return qpm__fail(st, "cannot copy the surface for underlying %zu ('%s')", u, x->name);
    }
    qpm_surface_free(x->surf);
    x->surf = copy;
    x->dyn = dyn;
    b->prepared = 0;
    return QPM_OK;
}
