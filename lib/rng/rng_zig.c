/* Ziggurat normals (rng_internal.h): the draws the accepted-at-once test
 * leaves, and the Marsaglia-Tsang gamma on ziggurat proposals.  The
 * Monte Carlo's QPM_RISK_NORMALS_ZIGGURAT runs the accepted case in lanes
 * (lib/risk/risk_zig.h) and comes here, one lane at a time, for the rest,
 * so every build gives the same numbers. */
#include <math.h>

#include "rng/rng_internal.h"

/* 53 random bits of one output, as a double in (0, 1) (0 redrawn) */
static double open53(qpm__gen *w)
{
    uint64_t k;
    do
        k = qpm__step_dxsm(&w->s, w->inc) >> 11;
    while (k == 0);
    return (double)k * 0x1.0p-53;
}

double qpm__zig_finish(qpm__gen *w, uint64_t b)
{
    for (;;) {
        unsigned i = (unsigned)(b & 255u);
        uint64_t j = b >> 11;
        int neg = (int)((b >> 8) & 1u);
        double x = (double)j * qpm__zig_w[i];
        if (j < qpm__zig_k[i])
            return neg ? -x : x;
        if (i == 0) {
            /* the tail beyond r: x = r + e1 / r with e1, e2 exponential,
             * accepted when 2 e2 > (e1 / r)^2 */
            const double r = qpm__zig_r;
            for (;;) {
                double xt = -log(open53(w)) / r;
                double yt = -log(open53(w));
                if (yt + yt > xt * xt)
                    return neg ? -(r + xt) : r + xt;
            }
        }
        /* the wedge of layer i: a height uniform between the layer's
         * bottom f(x[i]) and top f(x[i+1]), below the density or not */
        double u = (double)(qpm__step_dxsm(&w->s, w->inc) >> 11) * 0x1.0p-53;
        double y = qpm__zig_f[i] + u * (qpm__zig_f[i + 1] - qpm__zig_f[i]);
        if (y < exp(-0.5 * x * x))
            return neg ? -x : x;
        b = qpm__step_dxsm(&w->s, w->inc);
    }
}
