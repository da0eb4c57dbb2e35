/* Body of the SVI kernels (svi_kern.h), included once per build: the
 * including file defines SVI_KERN, the name of its table.  Sums are kept
 * in four lanes (element i in lane i mod 4) and added lane 0 + 1, then 2
 * + 3, then together.  Not a public header. */
#include <math.h>
#include <string.h>

#include "num/v4math.h"
#include "surface/svi_kern.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* four elements of p from i, the lanes past n zero */
static inline void load_tail(v4d *v, const double *p, size_t i, size_t n)
{
    if (i + 4 <= n) {
        memcpy(v, p + i, sizeof *v);
        return;
    }
    *v = v4_set(0.0);
    for (size_t j = 0; i + j < n; j++)
        (*v)[j] = p[i + j];
}

static inline double lane_sum(v4d v)
{
    return (v[0] + v[1]) + (v[2] + v[3]);
}

static double gmin4(const qpm_svi *p, double L, double h, size_t points, double *kmin)
{
    const double a = p->a, b = p->b, rho = p->rho, m = p->m, s2 = p->sigma * p->sigma;
    v4d best = v4_set(HUGE_VAL), bestj = v4_set(0.0), j = {0.0, 1.0, 2.0, 3.0};
    double np = (double)points;
    for (size_t i = 0; i < points; i += 4, j += 4.0) {
        v4d k = -L + h * j;
        /* 1/r and 1/w from one division */
        v4d x = k - m, r = v4_sqrt(x * x + s2);
        v4d w = a + b * (rho * x + r), t = 1.0 / (r * w), ir = w * t, iw = r * t;
        v4d w1 = b * (rho + x * ir), w2 = b * s2 * ir * ir * ir;
        v4d u = 1.0 - 0.5 * k * w1 * iw;
        v4d g = u * u - 0.25 * w1 * w1 * (iw + 0.25) + 0.5 * w2;
        /* w <= 0 (or a NaN from it) fails the check; lanes past the grid
         * do not count */
        g = v4_sel((w > 0.0) & (g == g), g, v4_set(-HUGE_VAL));
        g = v4_sel(j < np, g, v4_set(HUGE_VAL));
        v4i lower = g < best;
        best = v4_sel(lower, g, best);
        bestj = v4_sel(lower, j, bestj);
    }
    double gm = best[0], jm = bestj[0];
    for (int l = 1; l < 4; l++)
        if (best[l] < gm || (best[l] == gm && bestj[l] < jm)) {
            gm = best[l];
            jm = bestj[l];
        }
    *kmin = -L + h * jm;
    return gm;
}

static void zsums4(const double *k, const double *W2, const double *W2w, size_t n, double m,
                   double is, double *yc, double *zc, double sums[3])
{
    v4d Z = v4_set(0.0), YZ = Z, WZ = Z;
    for (size_t i = 0; i < n; i += 4) {
        v4d kv, w2, w2w;
        load_tail(&kv, k, i, n);
        load_tail(&w2, W2, i, n);
        load_tail(&w2w, W2w, i, n);
        v4d y = (kv - m) * is, z = v4_sqrt(y * y + 1.0);
        Z += w2 * z;
        YZ += w2 * y * z;
        WZ += w2w * z;
        if (yc != NULL)
            for (size_t l = 0; l < 4 && i + l < n; l++) {
                yc[i + l] = y[l];
                zc[i + l] = z[l];
            }
    }
    sums[0] = lane_sum(Z);
    sums[1] = lane_sum(YZ);
    sums[2] = lane_sum(WZ);
}

static double cost4(const double *W, const double *w, const double *y, const double *z, size_t n,
                    const double x[3])
{
    v4d acc = v4_set(0.0);
    for (size_t i = 0; i < n; i += 4) {
        v4d Wv, wv, yv, zv;
        load_tail(&Wv, W, i, n);
        load_tail(&wv, w, i, n);
        load_tail(&yv, y, i, n);
        load_tail(&zv, z, i, n);
        v4d e = Wv * (x[0] + x[1] * yv + x[2] * zv - wv);
        acc += e * e;
    }
    return lane_sum(acc);
}

const qpm__svi_kern SVI_KERN = {gmin4, zsums4, cost4};
