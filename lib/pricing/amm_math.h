/* Closed forms of a liquidity position over a price range (conventions in
 * include/qpm/amm.h), shared by the amm functions and the book's AMM
 * positions.  Inputs are checked by the callers: 0 <= pa < pb <= +inf,
 * P > 0, L > 0.  Not installed. */
#ifndef QPM_PRICING_AMM_MATH_H
#define QPM_PRICING_AMM_MATH_H

#include <math.h>

/* A range [pa, pb) with its square roots; full: [0, +inf), a v2 share. */
typedef struct qpm__amm_range {
    double pa, pb, sa, sb;
    int full;
} qpm__amm_range;

static inline qpm__amm_range qpm__amm_range_of(double pa, double pb)
{
    qpm__amm_range r = {pa, pb, sqrt(pa), sqrt(pb), pa == 0.0 && isinf(pb)};
    return r;
}

/* Coins and USD held per unit of liquidity at price P (s = sqrt(P)), and
 * d2(value)/dP2 per unit of liquidity.  Each amount is a quotient of
 * positive terms: no difference of nearly equal square roots. */
static inline void qpm__amm_unit(const qpm__amm_range *r, double P, double *coin, double *usd,
                                 double *gamma)
{
    if (r->full) {
        double s = sqrt(P);
        *coin = 1.0 / s;
        *usd = s;
        *gamma = -0.5 / (s * P);
        return;
    }
    if (P < r->pa) {
        /* below the range: all coin, 1/sa - 1/sb */
        *coin = isinf(r->pb) ? 1.0 / r->sa : (r->pb - r->pa) / r->sb / (r->sa + r->sb) / r->sa;
        *usd = 0.0;
        *gamma = 0.0;
        return;
    }
    if (P >= r->pb) {
        /* above the range: all USD, sb - sa */
        *coin = 0.0;
        *usd = (r->pb - r->pa) / (r->sb + r->sa);
        *gamma = 0.0;
        return;
    }
    /* in the range [pa, pb): 1/s - 1/sb and s - sa */
    double s = sqrt(P);
    *coin = isinf(r->pb) ? 1.0 / s : (r->pb - P) / r->sb / (s + r->sb) / s;
    *usd = (P - r->pa) / (s + r->sa);
    *gamma = -0.5 / (s * P);
}

/* USD value per unit of liquidity at price P: P coin + usd. */
static inline double qpm__amm_unit_value(const qpm__amm_range *r, double P)
{
    double c, u, g;
    qpm__amm_unit(r, P, &c, &u, &g);
    return P * c + u;
}

#endif /* QPM_PRICING_AMM_MATH_H */
