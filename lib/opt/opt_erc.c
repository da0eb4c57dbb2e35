/* Equal risk contribution (long-only): the minimiser y of the strictly convex
 *     f(y) = 1/2 y'Sy - b' ln y,   b_i = 1/n,
 * satisfies y_i (Sy)_i = b_i, so w = B y / sum(y) has equal risk
 * contributions.  Newton's method with a step kept inside y > 0 and an
 * Armijo backtracking line search; the Hessian S + diag(b / y^2) is
 * positive definite for y > 0. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

static double erc_f(const double *S, size_t n, const double *y, double b, double *tmp)
{
    qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)n, 1.0, S, (int)n, y, 1, 0.0, tmp, 1);
    double q = qpm__ddot((int)n, y, 1, tmp, 1), l = 0.0;
    for (size_t i = 0; i < n; i++)
        l += log(y[i]);
    return 0.5 * q - b * l;
}

qpm_status qpm__opt_erc(const qpm_opt *o, double *w, double *work, size_t *iters)
{
    size_t n = o->n;
    const double *S = o->S;
    double *H = work, *y = work + n * n, *g = y + n, *d = g + n, *t = d + n;
    double b = 1.0 / (double)n;
    for (size_t i = 0; i < n; i++) {
        if (!(S[i * n + i] > 0.0))
            return qpm__fail(QPM_E_SINGULAR,
                             "cov[%zu][%zu] = %g: ERC needs every variance > 0", i, i,
                             S[i * n + i]);
        y[i] = 1.0 / sqrt(S[i * n + i]);
    }
    /* scale so that y'Sy = sum b = 1, as at the solution */
    qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)n, 1.0, S, (int)n, y, 1, 0.0, t, 1);
    double q = qpm__ddot((int)n, y, 1, t, 1);
    qpm__dscal((int)n, 1.0 / sqrt(q), y, 1);
    double f = erc_f(S, n, y, b, t);
    int small = 0;
    for (size_t it = 0; it < o->maxiter; it++) {
        (*iters)++;
        qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)n, 1.0, S, (int)n, y, 1, 0.0, g, 1);
        double gmax = 0.0;
        for (size_t i = 0; i < n; i++) {
            /* relative residual of y_i (Sy)_i = b */
            double rc = y[i] * g[i];
            gmax = fmax(gmax, fabs(rc - b) / b);
            g[i] -= b / y[i];
        }
        if (gmax <= 4.0 * DBL_EPSILON) {
            if (++small >= 2)
                break;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                H[i * n + j] = S[i * n + j] + (i == j ? b / (y[i] * y[i]) : 0.0);
        if (qpm__dpotrf(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)n, H, (qpm__lapack_int)n) != 0)
            return qpm__fail(QPM_E_NOCONVERGE, "ERC: Newton system not positive definite");
        for (size_t i = 0; i < n; i++)
            d[i] = -g[i];
        qpm__dpotrs(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)n, 1, H, (qpm__lapack_int)n, d,
                    (qpm__lapack_int)n);
        double a = 1.0;
        for (size_t i = 0; i < n; i++)
            if (d[i] < 0.0 && -0.95 * y[i] / d[i] < a)
                a = -0.95 * y[i] / d[i];
        double slope = qpm__ddot((int)n, g, 1, d, 1);
        if (gmax < 1e-6) {
            /* near the solution: full Newton steps, quadratic convergence */
            for (size_t i = 0; i < n; i++)
                y[i] += a * d[i];
            continue;
        }
        for (int ls = 0;; ls++) {
            double *yn = H; /* factor no longer needed */
            for (size_t i = 0; i < n; i++)
                yn[i] = y[i] + a * d[i];
            double fn = erc_f(S, n, yn, b, t);
            if (fn <= f + 1e-4 * a * slope || ls == 60) {
                memcpy(y, yn, n * sizeof *y);
                f = fn;
                break;
            }
            a *= 0.5;
        }
    }
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += y[i];
    qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)n, 1.0, S, (int)n, y, 1, 0.0, g, 1);
    for (size_t i = 0; i < n; i++)
        if (!(fabs(y[i] * g[i] - b) <= 1e-10 * b))
            return qpm__fail(QPM_E_NOCONVERGE,
                             "ERC: no convergence within QPM_OPT_MAX_ITER = %zu", o->maxiter);
    for (size_t i = 0; i < n; i++)
        w[i] = o->budget * (y[i] / sum);
    return QPM_OK;
}
