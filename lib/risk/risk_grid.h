/* The interpolation of the P&L grids (risk_grid.c), shared with the fused
 * pass (risk_grid_pass.c and its AVX-512 build, which repeat these
 * operations lane by lane).  Not a public header. */
#ifndef QPM_RISK_GRID_H
#define QPM_RISK_GRID_H

#include <stddef.h>

/* 1/6 rounded */
#define QPM__SIXTH (1.0 / 6.0)

/* the four Lagrange weights of nodes i-1..i+2 at offset t in [0, 1] from
 * node i (spacing 1) */
static inline void qpm__lagrange4(double t, double w[4])
{
    double tm1 = t - 1.0, tp1 = t + 1.0, tm2 = t - 2.0;
    w[0] = -t * tm1 * tm2 / 6.0;
    w[1] = tp1 * tm1 * tm2 / 2.0;
    w[2] = -tp1 * t * tm2 / 2.0;
    w[3] = tp1 * t * tm1 / 6.0;
}

/* node index i (1 <= i <= m - 3) and offset of coordinate y, rh = 1/h; y
 * lies in the grid's range (y >= y0: truncation is the floor) */
static inline size_t qpm__grid_locate(double y, double y0, double rh, size_t m, double *t)
{
    double s = (y - y0) * rh;
    size_t i = s > 0.0 ? (size_t)s : 0;
    if (i < 1)
        i = 1;
    if (i > m - 3)
        i = m - 3;
    *t = s - (double)i;
    return i;
}

/* Row i of a spot-only grid's coefficients (i = 1..m-3): the cubic
 * through the values f[i-1..i+2] at t = -1, 0, 1, 2 (Lagrange's, as
 * qpm__lagrange4 weighs them) as c0 + t (c1 + t (c2 + t c3)), so that a
 * point costs one row and three multiply-adds. */
static inline void qpm__grid_coefs(const double *f, double c[4])
{
    c[0] = f[1];
    c[1] = -f[0] * (1.0 / 3.0) - 0.5 * f[1] + f[2] - f[3] * QPM__SIXTH;
    c[2] = 0.5 * f[0] - f[1] + 0.5 * f[2];
    c[3] = (f[3] - f[0]) * QPM__SIXTH + 0.5 * (f[1] - f[2]);
}

/* cubic interpolation on a spot-only grid (nodes x0 + i / rh, i < m) from
 * its coefficient rows c (4 per node, qpm__grid_coefs) */
static inline double qpm__grid_interp1(const double *c, size_t m, double x0, double rh, double x)
{
    double t;
    size_t i = qpm__grid_locate(x, x0, rh, m, &t);
    c += 4 * i;
    return c[0] + t * (c[1] + t * (c[2] + t * c[3]));
}

/* the fused pass before the grids exist (risk_internal.h): every one of
 * the m scenarios pending, its log moves (by underlying in pmv) copied to
 * row s of sp */
static inline void qpm__grid_pass_pending(const double *pmv, size_t pass, size_t m, size_t n,
                                          unsigned char *pend, double *sp, size_t ld)
{
    for (size_t s = 0; s < m; s++) {
        pend[s] = 1;
        for (size_t u = 0; u < n; u++)
            sp[s * ld + u] = pmv[u * pass + s];
    }
}

#endif
