/* Linear (USD-margined) futures and perpetuals: Q m coins per contract
 * against an entry price, valued at their unrealised P&L Q m (F - e) at the
 * reference price F (the expiry's forward or the perpetual mark), with no
 * discounting or funding. */
#include <math.h>

#include "book/instrument.h"

/* A move x takes the reference price to F (1 + x): the value moves by
 * Q m F x.  (For spot, F is S.) */
double qpm__instr_linear_slope(const qpm_book *b, const qpm__book_pos *p)
{
    return p->Q * p->m * qpm__instr_ref_price(b, p);
}

void qpm__instr_linear_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r)
{
    (void)opt;
    double S = b->under[p->u].S, F = qpm__instr_ref_price(b, p), qm = p->Q * p->m;
    *r = (qpm__book_row){0};
    r->value_usd = qm * (F - p->e);
    r->value_coin = r->value_usd / S;
    /* F moves with S in proportion: dF/dS = F/S */
    r->delta_coin = qm * F / S;
    r->delta_exchange = qm;
}

/* Funding per unit of accrued rate: the notional Q m P USD, which moves
 * with the mark: -Q m P (1 + x). */
void qpm__instr_linear_funding(const qpm_book *b, const qpm__book_pos *p, double *c, double *s)
{
    *c = *s = -(p->Q * p->m) * b->under[p->u].P;
}

/* Standard model: a fraction of the notional |Q m| F, F the reference
 * price moved by fx. */
void qpm__instr_linear_margin(const qpm_book *b, const qpm__book_pos *p, double fx, double mark,
                              double *im, double *mm)
{
    (void)mark;
    double notional = fabs(p->Q * p->m) * (qpm__instr_ref_price(b, p) * fx);
    *im = b->m_lin_im * notional;
    *mm = b->m_lin_mm * notional;
}
