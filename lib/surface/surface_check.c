/* Static-arbitrage checks of a surface: butterfly per slice, calendar
 * across consecutive slices (qpm_surface_check, surface.h). */
#include <math.h>
#include <string.h>

#include "surface_internal.h"

#define CAL_TOL 1e-12

static double dw(const qpm_svi *hi, const qpm_svi *lo, double k)
{
    return qpm__svi_w(hi, k) - qpm__svi_w(lo, k);
}

/* a root of dw between x0 (dw >= 0... or any sign) and x1 of opposite signs */
static double bisect(const qpm_svi *hi, const qpm_svi *lo, double x0, double x1)
{
    double f0 = dw(hi, lo, x0);
    for (int it = 0; it < 200 && x0 != x1; it++) {
        double xm = 0.5 * (x0 + x1);
        if (xm == x0 || xm == x1)
            break;
        double fm = dw(hi, lo, xm);
        if ((fm < 0.0) == (f0 < 0.0)) {
            x0 = xm;
            f0 = fm;
        } else {
            x1 = xm;
        }
    }
    return 0.5 * (x0 + x1);
}

/* The pair (lo, hi): the smallest dw on the grid over [-L, L], else the
 * first violation in the wings (dw is asymptotically linear there, so
 * doubling k reaches any sign change beyond the grid); 1 when dw >= -tol.
 * cross: the crossing of the two curves nearest the worst point. */
static int calendar_pair(const qpm_svi *lo, const qpm_svi *hi, double L, double *kw, double *dmin,
                         double *cross)
{
    size_t np = QPM_SURFACE_CHECK_POINTS;
    double h = 2.0 * L / (double)(np - 1);
    double best = HUGE_VAL, bk = 0.0;
    for (size_t j = 0; j < np; j++) {
        double k = j + 1 == np ? L : -L + h * (double)j;
        double d = dw(hi, lo, k);
        if (d < best) {
            best = d;
            bk = k;
        }
    }
    *cross = (double)NAN;
    if (best < -CAL_TOL) {
        double prevk = -L, prevd = dw(hi, lo, -L), bestdist = HUGE_VAL;
        for (size_t j = 1; j < np; j++) {
            double k = j + 1 == np ? L : -L + h * (double)j;
            double d = dw(hi, lo, k);
            if ((d < 0.0) != (prevd < 0.0)) {
                double r = bisect(hi, lo, prevk, k);
                if (fabs(r - bk) < bestdist) {
                    bestdist = fabs(r - bk);
                    *cross = r;
                }
            }
            prevk = k;
            prevd = d;
        }
        *kw = bk;
        *dmin = best;
        return 0;
    }
    for (int side = -1; side <= 1; side += 2) {
        double prevk = (double)side * L;
        for (int j = 1; j <= 60; j++) {
            double k = (double)side * L * ldexp(1.0, j);
            double d = dw(hi, lo, k);
            if (d < -CAL_TOL) {
                *kw = k;
                *dmin = d;
                *cross = bisect(hi, lo, prevk, k);
                return 0;
            }
            prevk = k;
        }
    }
    *kw = bk;
    *dmin = best;
    return 1;
}

qpm_status qpm_surface_check(const qpm_surface *s, qpm_surface_check_report *rep)
{
    QPM__CHECK_NULL(s, "s");
    QPM__CHECK_NULL(rep, "rep");
    if (rep->size < sizeof *rep)
        return qpm__fail(QPM_E_INVALID, "rep->size = %zu: must be sizeof(qpm_surface_check_report)"
                         " = %zu", rep->size, sizeof *rep);
    if (s->n == 0)
        return qpm__fail(QPM_E_SIZE, "the surface has no slice: set or fit one first");
    qpm_surface_check_report r;
    memset(&r, 0, sizeof r);
    r.size = rep->size;
    r.butterfly_ok = 1;
    r.butterfly_g = HUGE_VAL;
    r.calendar_ok = 1;
    r.calendar_dw = HUGE_VAL;
    r.calendar_cross_k = (double)NAN;
    for (size_t i = 0; i < s->n; i++) {
        const qpm__slice *sl = &s->sl[i];
        double L = sl->rep.k_limit; /* set with every slice */
        double wk, wg;
        int ok = qpm__svi_butterfly(&sl->p, L, QPM_SURFACE_CHECK_POINTS, &wk, &wg);
        if (!ok)
            r.butterfly_ok = 0;
        if (wg < r.butterfly_g) {
            r.butterfly_g = wg;
            r.butterfly_k = wk;
            r.butterfly_slice = i;
        }
    }
    int found = 0;
    for (size_t i = 1; i < s->n; i++) {
        const qpm__slice *a = &s->sl[i - 1], *b = &s->sl[i];
        double L = fmax(a->rep.k_limit, b->rep.k_limit), kw, d, cross;
        int ok = calendar_pair(&a->p, &b->p, L, &kw, &d, &cross);
        if (!ok && !found) {
            found = 1;
            r.calendar_ok = 0;
            r.calendar_slice = i;
            r.calendar_k = kw;
            r.calendar_dw = d;
            r.calendar_cross_k = cross;
        } else if (!found && d < r.calendar_dw) {
            r.calendar_k = kw;
            r.calendar_dw = d;
        }
    }
    memcpy(rep, &r, sizeof r);
    return QPM_OK;
}
