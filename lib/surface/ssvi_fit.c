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
        return INFINITY;
    qpm_ssvi ps = {rho, eta, gamma};
    double v = 0.0;
    for (size_t j = 0; j < c->m; j++) {
        qpm_svi p;
        if (qpm_ssvi_to_svi(&ps, c->theta[j], &p) != QPM_OK)
            return INFINITY;
        const qpm__smile *sm = &c->sm[j];
        for (size_t i = 0; i < sm->n; i++) {
            double e = sm->W[i] * (qpm__svi_w(&p, sm->k[i]) - sm->w[i]);
            v += e * e;
        }
    }
    return v;
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
    for (size_t j = 1; j < m; j++)
        if (!(T[j] > T[j - 1]))
            return qpm__fail(QPM_E_INVALID, "T[%zu] = %g: expiries must be strictly increasing "
                             "(T[%zu] = %g)", j, T[j], j - 1, T[j - 1]);
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
    /* room for every new slice before anything changes */
    if (st == QPM_OK)
        st = qpm__surface_reserve(s, m);
    if (st == QPM_OK) {
        size_t iters = 0;
        for (size_t j = 0; j < m; j++) {
            qpm_svi p;
            qpm_svi_report r;
            memset(&r, 0, sizeof r);
            qpm__svi_fit(&sm[j], 0, &p, &r);
            iters += r.iterations;
            double th = qpm__svi_w(&p, 0.0);
            if (!(th > 0.0))
                th = sm[j].w[0];
            theta[j] = j > 0 && th < theta[j - 1] ? theta[j - 1] : th;
        }
        ssvi_ctx c = {m, sm, theta};
        double best = INFINITY, x[3] = {0.0, 0.0, 0.5};
        static const double rhos[] = {-0.7, -0.4, -0.1, 0.1, 0.4, 0.7};
        static const double etas[] = {0.1, 0.3, 1.0, 3.0};
        static const double gammas[] = {0.1, 0.4, 0.7, 1.0};
        for (size_t a = 0; a < 6; a++)
            for (size_t b = 0; b < 4; b++)
                for (size_t g = 0; g < 4; g++) {
                    double xt[3] = {rhos[a], log(etas[b]), gammas[g]};
                    double v = ssvi_f(&c, xt);
                    if (v < best) {
                        best = v;
                        memcpy(x, xt, sizeof x);
                    }
                }
        int conv = 0;
        if (isfinite(best)) {
            double fb, step1[3] = {0.1, 0.3, 0.1}, step2[3] = {0.01, 0.03, 0.01};
            iters += qpm__nelder_mead(ssvi_f, &c, 3, x, step1, 1e-11, 1e-13, 3000, &fb, &conv);
            iters += qpm__nelder_mead(ssvi_f, &c, 3, x, step2, 1e-12, 1e-14, 3000, &fb, &conv);
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
            t->rep.butterfly_ok = qpm__svi_butterfly(&p, t->rep.k_limit,
                                                     QPM_SURFACE_CHECK_POINTS, &t->rep.worst_k,
                                                     &t->rep.worst_g);
            double r = t->rep.rmse_volpts;
            s2 += r * r * (double)sm[j].n;
            nq += sm[j].n;
            mx = fmax(mx, t->rep.max_err_volpts);
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
    for (size_t j = 0; j < prepared && j < m; j++)
        qpm__smile_free(&s->alloc, &sm[j]);
    qpm__free(&s->alloc, blk);
    return st;
}
