/* The SSVI fit of several expiries (qpm_surface_fit_ssvi, surface.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "surface_internal.h"

typedef struct ssvi_ctx {
    size_t m;
    const qpm__smile *sm;
    const double *theta;
} ssvi_ctx;

static int ssvi_ok(const ssvi_ctx *c, double rho, double eta, double gamma)
{
    if (!(fabs(rho) < 1.0 - 1e-9 && eta > 0.0 && gamma >= 0.0 && gamma <= 1.0))
        return 0;
    double q = 1.0 + fabs(rho);
    for (size_t j = 0; j < c->m; j++) {
        double th = c->theta[j];
        double phi = eta / (pow(th, gamma) * pow(1.0 + th, 1.0 - gamma));
        if (!(th * phi * q < 4.0 * (1.0 - 1e-12) && th * phi * phi * q <= 4.0))
            return 0;
    }
    return 1;
}

static double ssvi_f(void *vctx, const double *x)
{
    const ssvi_ctx *c = vctx;
    double rho = x[0], eta = exp(x[1]), gamma = x[2];
    if (!ssvi_ok(c, rho, eta, gamma))
        return HUGE_VAL;
    qpm_ssvi ps = {rho, eta, gamma};
    double v = 0.0;
    for (size_t j = 0; j < c->m; j++) {
        qpm_svi p;
        if (qpm_ssvi_to_svi(&ps, c->theta[j], &p) != QPM_OK)
            return HUGE_VAL;
        const qpm__smile *sm = &c->sm[j];
        for (size_t i = 0; i < sm->n; i++) {
            double e = sm->W[i] * (qpm__svi_w(&p, sm->k[i]) - sm->w[i]);
            v += e * e;
        }
    }
    return v;
}

/* residuals of every quote into e; 0 outside the conditions */
static int ssvi_resid(const ssvi_ctx *c, const double *x, double *e)
{
    double rho = x[0], eta = exp(x[1]), gamma = x[2];
    if (!ssvi_ok(c, rho, eta, gamma))
        return 0;
    size_t o = 0;
    for (size_t j = 0; j < c->m; j++) {
        double th = c->theta[j];
        double phi = eta / (pow(th, gamma) * pow(1.0 + th, 1.0 - gamma));
        const qpm__smile *sm = &c->sm[j];
        for (size_t i = 0; i < sm->n; i++) {
            double pk = phi * sm->k[i] + rho;
            double w = 0.5 * th * (1.0 + rho * phi * sm->k[i] + sqrt(pk * pk + 1.0 - rho * rho));
            e[o++] = sm->W[i] * (w - sm->w[i]);
        }
    }
    return 1;
}

static double sumsq(const double *e, size_t n)
{
    double v = 0.0;
    for (size_t i = 0; i < n; i++)
        v += e[i] * e[i];
    return v;
}

/* Levenberg-Marquardt on (rho, ln eta, gamma) inside the conditions, with
 * a central-difference Jacobian (one-sided next to the boundary): quadratic
 * convergence from Nelder-Mead's point.  buf: 5 N doubles (residuals, trial
 * residuals, three Jacobian columns). */
static size_t ssvi_polish(const ssvi_ctx *c, double *x, double *buf, size_t N)
{
    double *e = buf, *et = buf + N, *J[3] = {buf + 2 * N, buf + 3 * N, buf + 4 * N};
    if (!ssvi_resid(c, x, e))
        return 0;
    double c0 = sumsq(e, N), lambda = 1e-3;
    size_t it = 0;
    for (; it < 50 && c0 > 0.0; it++) {
        for (int u = 0; u < 3; u++) {
            double h = 1e-6 * (1.0 + fabs(x[u]));
            double xp[3] = {x[0], x[1], x[2]}, xm[3] = {x[0], x[1], x[2]};
            xp[u] += h;
            xm[u] -= h;
            int okp = ssvi_resid(c, xp, J[u]);
            int okm = ssvi_resid(c, xm, et);
            if (okp && okm)
                for (size_t i = 0; i < N; i++)
                    J[u][i] = (J[u][i] - et[i]) / (2.0 * h);
            else if (okp)
                for (size_t i = 0; i < N; i++)
                    J[u][i] = (J[u][i] - e[i]) / h;
            else if (okm)
                for (size_t i = 0; i < N; i++)
                    J[u][i] = (e[i] - et[i]) / h;
            else
                return it;
        }
        double JJ[3][3], Je[3];
        for (int u = 0; u < 3; u++) {
            Je[u] = 0.0;
            for (size_t i = 0; i < N; i++)
                Je[u] += J[u][i] * e[i];
            for (int v = 0; v <= u; v++) {
                double d = 0.0;
                for (size_t i = 0; i < N; i++)
                    d += J[u][i] * J[v][i];
                JJ[u][v] = JJ[v][u] = d;
            }
        }
        int accepted = 0;
        for (int tries = 0; tries < 12 && !accepted; tries++) {
            /* (J'J + lambda diag) dx = -J'e by Cramer's rule (3 x 3) */
            double M[3][3];
            for (int u = 0; u < 3; u++)
                for (int v = 0; v < 3; v++)
                    M[u][v] = JJ[u][v] + (u == v ? lambda * JJ[u][u] : 0.0);
            double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                         M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                         M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
            if (det != 0.0 && isfinite(det)) {
                double dx[3];
                for (int u = 0; u < 3; u++) {
                    double A[3][3];
                    memcpy(A, M, sizeof A);
                    for (int v = 0; v < 3; v++)
                        A[v][u] = -Je[v];
                    dx[u] = (A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
                             A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                             A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0])) /
                            det;
                }
                double xt[3] = {x[0] + dx[0], x[1] + dx[1], x[2] + dx[2]};
                if (ssvi_resid(c, xt, et)) {
                    double c1 = sumsq(et, N);
                    if (c1 < c0) {
                        double rel = (c0 - c1) / c0;
                        memcpy(x, xt, sizeof xt);
                        memcpy(e, et, N * sizeof *e);
                        c0 = c1;
                        lambda = fmax(lambda / 3.0, 1e-12);
                        accepted = 1;
                        if (rel < 1e-14)
                            return it + 1;
                        break;
                    }
                }
            }
            lambda *= 4.0;
        }
        if (!accepted)
            break;
    }
    return it;
}

qpm_status qpm_surface_fit_ssvi(qpm_surface *s, size_t m, const double *T, const double *F,
                                const qpm_smile_quotes *q, qpm_ssvi *params, double *theta_out,
                                qpm_ssvi_report *rep)
{
    QPM__CHECK_NULL(s, "s");
    QPM__CHECK_NULL(T, "T");
    QPM__CHECK_NULL(F, "F");
    QPM__CHECK_NULL(q, "q");
    if (m == 0)
        return qpm__fail(QPM_E_SIZE, "n_expiries = 0: must be >= 1");
    if (rep != NULL && rep->size < sizeof *rep)
        return qpm__fail(QPM_E_INVALID, "rep->size = %zu: must be sizeof(qpm_ssvi_report) = %zu",
                         rep->size, sizeof *rep);
    qpm_status st = qpm__check_positive(T, m, "T");
    if (st == QPM_OK)
        st = qpm__check_positive(F, m, "F");
    if (st != QPM_OK)
        return st;
    for (size_t j = 0; j < m; j++)
        if (!(T[j] <= QPM__SURFACE_TMAX))
            return qpm__fail(QPM_E_INVALID, "T[%zu] = %g: must be <= %g (years)", j, T[j],
                             QPM__SURFACE_TMAX);
    for (size_t j = 1; j < m; j++)
        if (!(T[j] > T[j - 1]))
            return qpm__fail(QPM_E_INVALID,
                             "T[%zu] = %g: expiries must be strictly increasing "
                             "(T[%zu] = %g)",
                             j, T[j], j - 1, T[j - 1]);
    /* smiles, thetas and the new slices in one block */
    size_t bytes = m * (sizeof(qpm__smile) + sizeof(double) + sizeof(qpm__slice));
    unsigned char *blk = qpm__calloc(&s->alloc, bytes, 1);
    if (blk == NULL)
        return QPM_E_NOMEM;
    qpm__slice *sl = (qpm__slice *)(void *)blk;
    qpm__smile *sm = (qpm__smile *)(void *)(blk + m * sizeof(qpm__slice));
    double *theta = (double *)(void *)(blk + m * (sizeof(qpm__slice) + sizeof(qpm__smile)));
    size_t prepared = 0;
    for (; prepared < m; prepared++) {
        char name[32];
        snprintf(name, sizeof name, "q[%zu]", prepared);
        st = qpm__smile_prepare(&s->alloc, T[prepared], F[prepared], &q[prepared], name,
                                &sm[prepared]);
        if (st != QPM_OK)
            break;
    }
    /* the polish's work space, and room for every new slice before
     * anything changes */
    size_t nq_all = 0;
    for (size_t j = 0; j < prepared; j++)
        nq_all += sm[j].n;
    double *work = NULL;
    if (st == QPM_OK) {
        work = qpm__calloc(&s->alloc, 5 * nq_all, sizeof(double));
        if (work == NULL)
            st = QPM_E_NOMEM;
    }
    if (st == QPM_OK)
        st = qpm__surface_reserve(s, m);
    if (st == QPM_OK) {
        size_t iters = 0;
        for (size_t j = 0; j < m; j++) {
            qpm_svi p;
            qpm_svi_report r;
            memset(&r, 0, sizeof r);
            qpm__svi_fit(&sm[j], QPM__SVI_FIT_BARE, &p, &r);
            iters += r.iterations;
            double th = qpm__svi_w(&p, 0.0);
            if (!(th > 0.0))
                th = sm[j].w[0];
            theta[j] = j > 0 && th < theta[j - 1] ? theta[j - 1] : th;
        }
        ssvi_ctx c = {m, sm, theta};
        double best = HUGE_VAL, x[3] = {0.0, 0.0, 0.5};
        static const double rhos[] = {-0.6, -0.3, 0.0, 0.3, 0.6};
        static const double etas[] = {0.2, 0.6, 2.0};
        static const double gammas[] = {0.25, 0.6};
        for (size_t a = 0; a < 5; a++)
            for (size_t b = 0; b < 3; b++)
                for (size_t g = 0; g < 2; g++) {
                    double xt[3] = {rhos[a], log(etas[b]), gammas[g]};
                    double v = ssvi_f(&c, xt);
                    if (v < best) {
                        best = v;
                        memcpy(x, xt, sizeof x);
                    }
                }
        int conv = 0;
        if (isfinite(best)) {
            double fb, step1[3] = {0.1, 0.3, 0.1};
            iters += qpm__nelder_mead(ssvi_f, &c, 3, x, step1, 1e-7, 1e-10, 3000, &fb, &conv);
            iters += ssvi_polish(&c, x, work, nq_all);
        } else {
            /* no grid point inside the conditions: a small eta always is */
            x[0] = 0.0;
            x[2] = 0.5;
            x[1] = log(1e-3);
            while (!ssvi_ok(&c, x[0], exp(x[1]), x[2]) && x[1] > -700.0)
                x[1] -= 1.0;
        }
        qpm_ssvi ps = {x[0], exp(x[1]), x[2]};
        double s2 = 0.0, mx = 0.0;
        size_t nq = 0;
        for (size_t j = 0; j < m; j++) {
            qpm_svi p;
            qpm_ssvi_to_svi(&ps, theta[j], &p);
            qpm__slice *t = &sl[j];
            memset(t, 0, sizeof *t);
            t->T = T[j];
            t->F = F[j];
            t->lnF = log(F[j]);
            t->p = p;
            t->s2 = p.sigma * p.sigma;
            t->rep.size = sizeof t->rep;
            t->rep.n_quotes = sm[j].n;
            t->rep.iterations = iters;
            t->rep.converged = conv;
            qpm__smile_errors(&sm[j], &p, &t->rep.rmse_volpts, &t->rep.max_err_volpts);
            t->rep.k_limit = qpm__svi_check_limit(&p, sm[j].kmax_abs);
            t->rep.butterfly_ok = qpm__svi_butterfly(&p, t->rep.k_limit, QPM_SURFACE_CHECK_POINTS,
                                                     &t->rep.worst_k, &t->rep.worst_g);
            double r = t->rep.rmse_volpts;
            s2 += r * r * (double)sm[j].n;
            nq += sm[j].n;
            mx = fmax(mx, t->rep.max_err_volpts);
        }
        if (!(mx <= QPM__FIT_MAXERR_VOLPTS)) {
            st = qpm__fail(QPM_E_NOCONVERGE,
                           "the SSVI fit diverged (largest vol error %g vol points); nothing "
                           "added",
                           mx);
            goto out;
        }
        for (size_t j = 0; j < m; j++)
            qpm__surface_put(s, &sl[j]); /* cannot fail: room reserved */
        if (params != NULL)
            *params = ps;
        if (theta_out != NULL)
            memcpy(theta_out, theta, m * sizeof *theta);
        if (rep != NULL) {
            rep->rmse_volpts = sqrt(s2 / (double)nq);
            rep->max_err_volpts = mx;
            rep->iterations = iters;
            rep->converged = conv;
        }
    }
out:
    for (size_t j = 0; j < prepared && j < m; j++)
        qpm__smile_free(&s->alloc, &sm[j]);
    qpm__free(&s->alloc, work);
    qpm__free(&s->alloc, blk);
    return st;
}
