/* price / e^{-rT} in double-double, shared by the generic and the AVX2+FMA
 * translation units (the latter inlines fma instead of calling libm; the
 * results are the same).  Internal. */
#ifndef QPM_PRICING_IV_DISCOUNT_H
#define QPM_PRICING_IV_DISCOUNT_H

#include <float.h>
#include <math.h>

#include "num/dd.h"
#include "num/exp_log.h"
#include "qpm/common.h"

/* price / e^{-rT} as *ph + *pl; see qpm__iv_undiscount (implied_vol.h). */
static inline qpm_status qpm__iv_undiscount_body(double price, double r, double T, double *ph,
                                                 double *pl)
{
    double dh, dl;
    qpm__exp_neg_dd(r, T, &dh, &dl);
    if (!(dh > DBL_MIN) || !isfinite(dh))
        return QPM_E_INVALID;
    double q1 = price / dh;
    double rem = fma(-q1, dh, price) - q1 * dl;
    double q2 = rem / dh;
    qpm__two_sum(q1, q2, ph, pl);
    /* an undiscounted price beyond DBL_MAX lies above both bounds, F and K */
    if (!isfinite(*ph))
        return QPM_E_ARBITRAGE;
    return QPM_OK;
}

#endif /* QPM_PRICING_IV_DISCOUNT_H */
