/* Spot holdings: Q m coins of the underlying, worth Q m S USD.  Their
 * scenario slope is qpm__instr_linear_slope with the spot as reference. */
#include "book/instrument.h"

void qpm__instr_spot_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r)
{
    (void)opt;
    double qm = p->Q * p->m;
    *r = (qpm__book_row){0};
    r->value_usd = qm * b->under[p->u].S;
    r->value_coin = qm;
    r->delta_coin = qm;
    r->delta_exchange = qm;
}
