/* AMM liquidity positions: liquidity L = Q m over [Pa, Pb) in a coin/USD
 * pool priced at the underlying's spot index, valued by the closed forms of
 * pricing/amm_math.h (full range [0, +inf) for a v2 share). */
#include "book/instrument.h"
#include "pricing/amm_math.h"

qpm__book_amm qpm__instr_amm_prepare(const qpm_book *b, const qpm__book_pos *p)
{
    qpm__book_amm a = {p->u, p->Q * p->m, 0.0, qpm__amm_range_of(p->amm.lo, p->amm.hi)};
    a.v0 = qpm__book_amm_value(&a, b->under[p->u].S);
    return a;
}

void qpm__instr_amm_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r)
{
    (void)opt;
    qpm__amm_range g = qpm__amm_range_of(p->amm.lo, p->amm.hi);
    double S = b->under[p->u].S, L = p->Q * p->m, c, u, gam;
    qpm__amm_unit(&g, S, &c, &u, &gam);
    *r = (qpm__book_row){0};
    r->value_usd = L * (S * c + u);
    r->value_coin = r->value_usd / S;
    r->delta_coin = L * c;
    r->gamma = L * gam;
    r->theta = p->amm.fee * r->value_usd;
    r->delta_exchange = r->delta_coin;
}
