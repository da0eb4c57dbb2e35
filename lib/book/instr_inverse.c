/* Inverse (coin-margined) futures and perpetuals: m USD per contract, a
 * coin P&L of Q m (1/e - 1/F) at the reference price F (the expiry's
 * forward or the perpetual mark), worth that times S in USD. */
#include <float.h>
#include <math.h>

#include "book/instrument.h"

/* 1/e - 1/F as (F - e)/(e F) (F - e is exact when they are close); where
 * e F leaves the normal range, as ((F - e)/e)/F, which does not overflow. */
static double inv_diff(double F, double e)
{
    double p = e * F;
    return p >= DBL_MIN && p <= DBL_MAX ? (F - e) / p : ((F - e) / e) / F;
}

/* V = Q m (S/e - S/F): a move keeps S/F fixed, so only S/e moves. */
double qpm__instr_inverse_slope(const qpm_book *b, const qpm__book_pos *p)
{
    return p->Q * p->m * b->under[p->u].S / p->e;
}

void qpm__instr_inverse_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r)
{
    (void)opt;
    double S = b->under[p->u].S, F = qpm__instr_ref_price(b, p), qm = p->Q * p->m;
    *r = (qpm__book_row){0};
    r->value_usd = qm * inv_diff(F, p->e) * S;
    r->value_coin = qm * inv_diff(F, p->e);
    r->delta_coin = qm / p->e;
    r->delta_exchange = qm / F;
}

/* Funding per unit of accrued rate: the notional is Q m USD, paid as
 * Q m / P coins, worth Q m S / P USD; a move scales S and P alike. */
void qpm__instr_inverse_funding(const qpm_book *b, const qpm__book_pos *p, double *c, double *s)
{
    *c = -(p->Q * p->m) * (b->under[p->u].S / b->under[p->u].P);
    *s = 0.0;
}

/* Standard model: a fraction of the notional |Q m| USD, which no move
 * changes. */
void qpm__instr_inverse_margin(const qpm_book *b, const qpm__book_pos *p, double fx, double mark,
                               double *im, double *mm)
{
    (void)fx, (void)mark;
    double notional = fabs(p->Q * p->m);
    *im = b->m_lin_im * notional;
    *mm = b->m_lin_mm * notional;
}
