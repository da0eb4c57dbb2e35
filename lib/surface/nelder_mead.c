/* Nelder-Mead for the small searches of the SVI and SSVI fits: a handful of
 * parameters, residuals cheap, constraints as +inf (a barrier the simplex
 * shrinks away from), no allocation. */
#include <math.h>
#include <string.h>

#include "surface_internal.h"

#define NMAX 5

size_t qpm__nelder_mead(qpm__nm_fn f, void *ctx, size_t n, double *x, const double *step,
                        double xtol, double ftol, size_t max_iter, double *fbest,
                        int *converged)
{
    double v[NMAX + 1][NMAX], fv[NMAX + 1];
    double c[NMAX], xr[NMAX], xe[NMAX], xc[NMAX];
    for (size_t i = 0; i <= n; i++) {
        memcpy(v[i], x, n * sizeof *x);
        if (i > 0)
            v[i][i - 1] += step[i - 1];
        fv[i] = f(ctx, v[i]);
        if (isnan(fv[i]))
            fv[i] = HUGE_VAL;
    }
    size_t it = 0;
    *converged = 0;
    for (; it < max_iter; it++) {
        /* order: best first (insertion sort keeps ties stable, so the
         * search is deterministic) */
        for (size_t i = 1; i <= n; i++) {
            double tf = fv[i], tv[NMAX];
            memcpy(tv, v[i], n * sizeof *x);
            size_t j = i;
            while (j > 0 && fv[j - 1] > tf) {
                fv[j] = fv[j - 1];
                memcpy(v[j], v[j - 1], n * sizeof *x);
                j--;
            }
            fv[j] = tf;
            memcpy(v[j], tv, n * sizeof *x);
        }
        double diam = 0.0;
        for (size_t i = 1; i <= n; i++)
            for (size_t j = 0; j < n; j++) {
                double d = fabs(v[i][j] - v[0][j]);
                if (d > diam)
                    diam = d;
            }
        /* converged: a small simplex, or a flat one that is nearly small */
        if (diam <= xtol || (fv[n] - fv[0] <= ftol * fabs(fv[0]) && diam <= 1e4 * xtol)) {
            *converged = 1;
            break;
        }
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++)
                s += v[i][j];
            c[j] = s / (double)n;
        }
        for (size_t j = 0; j < n; j++)
            xr[j] = c[j] + (c[j] - v[n][j]);
        double fr = f(ctx, xr);
        if (isnan(fr))
            fr = HUGE_VAL;
        if (fr < fv[0]) {
            for (size_t j = 0; j < n; j++)
                xe[j] = c[j] + 2.0 * (c[j] - v[n][j]);
            double fe = f(ctx, xe);
            if (fe < fr) {
                memcpy(v[n], xe, n * sizeof *x);
                fv[n] = fe;
            } else {
                memcpy(v[n], xr, n * sizeof *x);
                fv[n] = fr;
            }
            continue;
        }
        if (fr < fv[n - 1]) {
            memcpy(v[n], xr, n * sizeof *x);
            fv[n] = fr;
            continue;
        }
        /* contraction: outside when the reflection improved on the worst */
        int outside = fr < fv[n];
        for (size_t j = 0; j < n; j++)
            xc[j] = outside ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (v[n][j] - c[j]);
        double fc = f(ctx, xc);
        if (isnan(fc))
            fc = HUGE_VAL;
        if (fc < (outside ? fr : fv[n])) {
            memcpy(v[n], xc, n * sizeof *x);
            fv[n] = fc;
            continue;
        }
        for (size_t i = 1; i <= n; i++) {
            for (size_t j = 0; j < n; j++)
                v[i][j] = v[0][j] + 0.5 * (v[i][j] - v[0][j]);
            fv[i] = f(ctx, v[i]);
            if (isnan(fv[i]))
                fv[i] = HUGE_VAL;
        }
    }
    size_t b = 0;
    for (size_t i = 1; i <= n; i++)
        if (fv[i] < fv[b])
            b = i;
    memcpy(x, v[b], n * sizeof *x);
    *fbest = fv[b];
    return it;
}
