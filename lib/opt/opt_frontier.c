/* The efficient frontier: minimum-variance portfolios at k target returns
 * from the minimum-variance return to the largest attainable one, each
 * solve warm-started from the previous active set. */
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

qpm_status qpm_opt_frontier(qpm_opt *o, size_t k, double *weights, size_t ldw, double *returns,
                            double *vols)
{
    /* Phase 1: the call and the data, as qpm_opt_solve checks them for
     * TARGET_RETURN. */
    QPM__CHECK_NULL(o, "o");
    o->have_sol = 0;
    if (k == 0)
        return qpm__fail(QPM_E_SIZE, "k = 0: must be >= 1");
    if (weights != NULL && ldw < o->n)
        return qpm__fail(QPM_E_SIZE, "ldw = %zu: must be >= n = %zu", ldw, o->n);
    qpm_status st = qpm__opt_need(o, 1);
    if (st != QPM_OK)
        return st;
    if ((st = qpm__opt_precheck(o)) != QPM_OK)
        return st;
    /* Phase 2: point 0, the minimum-variance portfolio, and its return, the
     * lowest of the frontier. */
    size_t n = o->n, iters = 0;
    int exact = 0;
    qpm__opt_build b;
    double *w = o->w;
    st = qpm__opt_solve_minvar(o, &b, 0, 0.0, 0, w, &exact, &iters);
    if (st == QPM_OK)
        st = qpm__opt_verify(o, w, 0);
    if (st != QPM_OK)
        return st;
    double rmin = qpm__opt_mu_dot(o, w), vmin = sqrt(fmax(qpm__opt_quad(o, w, o->wtmp), 0.0));
    if (!isfinite(rmin) || !isfinite(vmin))
        return qpm__fail(QPM_E_OVERFLOW,
                         "minimum-variance point: expected return %g, volatility %g: beyond "
                         "the range of double",
                         rmin, vmin);
    /* the minimum-variance point, kept while the largest return is found */
    if (weights != NULL)
        memcpy(weights, w, n * sizeof *w);
    if (returns != NULL)
        returns[0] = rmin;
    if (vols != NULL)
        vols[0] = vmin;
    int last_report = -1;
    if (k == 1) {
        qpm__opt_report(o, &b, QPM_OPT_TARGET_RETURN, w, exact, iters);
        if ((st = qpm__progress_report(&o->progress, 1.0)) != QPM_OK)
            o->have_sol = 0; /* cancelled: no solution, as after any failure */
        return st;
    }
    /* point 0 counts as done, as every point after it */
    last_report = (int)(200.0 / (double)k);
    if ((st = qpm__progress_report(&o->progress, 1.0 / (double)k)) != QPM_OK)
        return st;
    /* Phase 3: the largest attainable return, the top of the frontier, and
     * the minimum-variance active set rebuilt as the warm start of point 1. */
    double rmax;
    int have_lp;
    double *lp = o->wtmp;
    st = qpm__opt_max_return(o, &rmax, lp, &have_lp, &iters);
    if (st != QPM_OK)
        return st;
    if (rmax < rmin)
        rmax = rmin;
    st = qpm__opt_solve_minvar(o, &b, 1, rmin, 0, w, &exact, &iters);
    if (st == QPM_E_NOMEM) /* a cold start would give other bits: not a fallback */
        return st;
    int warm = st == QPM_OK;
    /* Phase 4: points 1..k-1 at evenly spaced returns, each verified,
     * reported (its info is the last solve's) and written, with progress. */
    for (size_t j = 1; j < k; j++) {
        double r = j + 1 == k ? rmax : rmin + (rmax - rmin) * ((double)j / (double)(k - 1));
        /* the top point lies on a face without interior, where the interior
         * point crawls: when the warm start fails there, the LP vertex is it */
        int top = j + 1 == k && have_lp;
        st = qpm__opt_solve_minvar(o, &b, 1, r, warm && top ? 2 : warm, w, &exact, &iters);
        if (st == QPM_OK)
            st = qpm__opt_verify(o, w, 0);
        if (st != QPM_OK) {
            if (st == QPM_E_NOMEM || !(j + 1 == k && have_lp)) {
                o->have_sol = 0;
                return st;
            }
            /* recompute the LP (wtmp is scratch of the reports) */
            st = qpm__opt_max_return(o, &rmax, w, &have_lp, &iters);
            if (st == QPM_OK)
                st = qpm__opt_verify(o, w, 0);
            if (st != QPM_OK) {
                o->have_sol = 0;
                return st;
            }
            qpm__opt_report(o, NULL, QPM_OPT_TARGET_RETURN, w, 0, iters);
        } else {
            qpm__opt_report(o, &b, QPM_OPT_TARGET_RETURN, w, exact, iters);
        }
        /* a point's return and volatility are outputs: beyond the double
         * range they fail the call (the points before stay written) */
        double rj = o->info[QPM_OPT_INFO_EXP_RETURN], vj = o->info[QPM_OPT_INFO_VOLATILITY];
        if (!isfinite(rj) || !isfinite(vj)) {
            o->have_sol = 0;
            return qpm__fail(QPM_E_OVERFLOW,
                             "frontier point %zu: expected return %g, volatility %g: beyond the "
                             "range of double",
                             j, rj, vj);
        }
        warm = 1;
        if (weights != NULL)
            memcpy(weights + j * ldw, o->w, n * sizeof *w);
        if (returns != NULL)
            returns[j] = o->info[QPM_OPT_INFO_EXP_RETURN];
        if (vols != NULL)
            vols[j] = o->info[QPM_OPT_INFO_VOLATILITY];
        int pct = (int)(200.0 * (double)(j + 1) / (double)k);
        if (pct != last_report || j + 1 == k) {
            last_report = pct;
            if ((st = qpm__progress_report(&o->progress, (double)(j + 1) / (double)k)) != QPM_OK) {
                o->have_sol = 0;
                return st;
            }
        }
    }
    return QPM_OK;
}
