/* Multi-day paths: Heston stochastic variance per underlying, simulated by
 * Andersen's quadratic-exponential (QE) scheme, with the book revalued at
 * the end of every day of the path (time decay included).
 *
 * Per step of length dt (years) and underlying u with parameters (kappa,
 * theta, xi, rho), variance V to V' by QE (Andersen 2008, psi_c = 1.5):
 *   m = theta + (V - theta) e,  e = exp(-kappa dt),
 *   s2 = V xi^2 e (1 - e) / kappa + theta xi^2 (1 - e)^2 / (2 kappa),
 *   psi = s2 / m^2;
 *   psi <= 1.5: V' = a (b + Zv)^2, b^2 = 2/psi - 1 + sqrt(2/psi) sqrt(2/psi - 1),
 *               a = m / (1 + b^2), Zv a normal;
 *   psi > 1.5:  p = (psi - 1)/(psi + 1), beta = (1 - p)/m, U a uniform:
 *               V' = 0 for U <= p, else ln((1 - p)/(1 - U)) / beta;
 * and the log price by Andersen's central discretisation (gamma1 = gamma2
 * = 1/2):
 *   ln S' = ln S + K0 + K1 V + K2 V' + sqrt(K3 V + K4 V') Z,
 *   K0 = -rho kappa theta dt / xi, K1 = dt/2 (kappa rho / xi - 1/2) - rho/xi,
 *   K2 = dt/2 (kappa rho / xi - 1/2) + rho/xi, K3 = K4 = dt/2 (1 - rho^2);
 * with xi = 0 the variance is deterministic (V' = m) and the log price moves
 * by -(V + V') dt/4 + sqrt((V + V') dt / 2) Z.  The Z of the underlyings
 * are correlated by the correlation of the handle's covariance (its factor
 * with rows scaled to unit variance); jumps (QPM_RISK_JUMP_*) add to the log
 * price at each step with intensity lambda dt days.
 *
 * Draws: scenario s, day d, from a stream of the base generator shared by
 * its block of QPM_RISK_BLOCK scenarios (the block's earlier scenarios
 * first); per step: n
 * normals g (the spot shocks), then per underlying one normal x for the
 * variance (the exponential branch uses U = Phi(x)), then the jumps as
 * qpm_risk_scenarios draws them; day d of block b is stream
 * QPM__RISK_PATH_STREAM + 366 b + d - 1.
 * Nothing depends on the thread count (the paths are drawn on the calling
 * thread). */
#include <math.h>
#include <string.h>

#include "qpm/regime.h"
#include "risk_internal.h"

#define QPM__RISK_PATH_STREAM 0x2000000000000000ull
#define PSI_C                 1.5

qpm_status qpm_risk_set_heston(qpm_risk *r, size_t n, const double *v0, const double *kappa,
                               const double *theta, const double *xi, const double *rho)
{
    QPM__CHECK_NULL(r, "r");
    if (n == 0) {
        qpm__free(&r->alloc, r->heston);
        r->heston = NULL;
        r->n_heston = 0;
        return QPM_OK;
    }
    QPM__CHECK_NULL(v0, "v0");
    QPM__CHECK_NULL(kappa, "kappa");
    QPM__CHECK_NULL(theta, "theta");
    QPM__CHECK_NULL(xi, "xi");
    QPM__CHECK_NULL(rho, "rho");
    const double *arr[5] = {v0, kappa, theta, xi, rho};
    const char *name[5] = {"v0", "kappa", "theta", "xi", "rho"};
    for (size_t u = 0; u < n; u++)
        for (int k = 0; k < 5; k++) {
            double x = arr[k][u];
            if (!isfinite(x))
                return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", name[k], u, x);
            int ok = k == 0 || k == 2 ? x > 0.0 && x <= 100.0
                     : k == 1         ? x > 0.0 && x <= 1000.0
                     : k == 3         ? x >= 0.0 && x <= 100.0
                                      : x > -1.0 && x < 1.0;
            if (!ok)
                return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: must be in %s", name[k], u, x,
                                 k == 0 || k == 2 ? "(0, 100] (a variance per year)"
                                 : k == 1         ? "(0, 1000] (per year)"
                                 : k == 3         ? "[0, 100]"
                                                  : "(-1, 1)");
        }
    double *h = qpm__calloc(&r->alloc, 5 * n, sizeof(double));
    if (h == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the Heston parameters of %zu underlyings",
                         n);
    for (size_t u = 0; u < n; u++)
        for (int k = 0; k < 5; k++)
            h[5 * u + (size_t)k] = arr[k][u];
    qpm__free(&r->alloc, r->heston);
    r->heston = h;
    r->n_heston = n;
    return QPM_OK;
}

/* One QE step of the variance, V' from V and the step's normal x: the
 * quadratic branch uses x, the exponential branch (psi > psi_c) the
 * uniform U = Phi(x), with 1 - U from the upper tail (never 0). */
static double qe_step(const double *h, double V, double dt, double x)
{
    double kappa = h[1], theta = h[2], xi = h[3];
    double e = exp(-kappa * dt);
    double m = theta + (V - theta) * e;
    if (xi == 0.0)
        return m;
    double s2 = V * xi * xi * e * (1.0 - e) / kappa +
                theta * xi * xi * (1.0 - e) * (1.0 - e) / (2.0 * kappa);
    double psi = s2 / (m * m);
    if (!(psi > PSI_C)) {
        double t = 2.0 / psi;
        double b2 = t - 1.0 + sqrt(t) * sqrt(t - 1.0);
        double a = m / (1.0 + b2), b = sqrt(b2);
        return a * (b + x) * (b + x);
    }
    double uv = 0.5 * erfc(-x * 0.7071067811865476), cu = 0.5 * erfc(x * 0.7071067811865476);
    double p = (psi - 1.0) / (psi + 1.0), beta = (1.0 - p) / m;
    return uv <= p ? 0.0 : log((1.0 - p) / cu) / beta;
}

static double log_step(const double *h, double V, double V1, double dt, double z)
{
    double kappa = h[1], theta = h[2], xi = h[3], rho = h[4];
    if (xi == 0.0) {
        double iv = 0.5 * (V + V1) * dt;
        return -0.5 * iv + sqrt(iv) * z;
    }
    double k0 = -rho * kappa * theta * dt / xi;
    double c = 0.5 * dt * (kappa * rho / xi - 0.5);
    double k1 = c - rho / xi, k2 = c + rho / xi, k3 = 0.5 * dt * (1.0 - rho * rho);
    double var = k3 * (V + V1);
    return k0 + k1 * V + k2 * V1 + sqrt(var > 0.0 ? var : 0.0) * z;
}

/* The rules every path run shares: a whole number of days, no venue
 * defaults. */
static qpm_status paths_check(const qpm_risk *r)
{
    double hd = r->horizon;
    if (!(hd >= 1.0 && hd == floor(hd) && hd <= 365.0))
        return qpm__fail(QPM_E_INVALID,
                         "QPM_RISK_HORIZON_DAYS = %.17g: paths need a whole number of days in "
                         "[1, 365]",
                         hd);
    if (r->n_vd > 0)
        return qpm__fail(QPM_E_UNSUPPORTED, "venue defaults are not drawn along paths");
    return QPM_OK;
}

/* The book at the end of day d of scenarios [first, first + cnt), whose
 * moves are in r->batch_spot and r->batch_vol: P&L into r->loss, each
 * path's lowest so far into worst. */
static qpm_status revalue_day(qpm_risk *r, qpm_book *book, size_t n, size_t first, size_t cnt,
                              size_t d, double *worst)
{
    qpm_status st = qpm_book_set(book, QPM_BOOK_DECAY_DAYS, (double)d);
    if (st == QPM_OK)
        st = qpm_book_pnl(book, cnt, r->batch_spot, n, r->batch_vol, n, r->loss + first);
    if (st != QPM_OK)
        return st;
    for (size_t s = 0; s < cnt; s++)
        if (r->loss[first + s] < worst[s])
            worst[s] = r->loss[first + s];
    return QPM_OK;
}

/* The horizon P&L of the run's paths (r->loss) -> pnl_out, then VaR/ES. */
static qpm_status finish_paths(qpm_risk *r, size_t total, double *pnl_out, double *var, double *es)
{
    if (pnl_out != NULL)
        memcpy(pnl_out, r->loss, total * sizeof(double));
    double *l = r->loss;
    for (size_t s = 0; s < total; s++)
        l[s] = -l[s];
    double v, e;
    qpm_status st = qpm__risk_var_es_inplace(l, total, r->alpha, &v, &e, NULL, NULL);
    if (st == QPM_OK) {
        if (var)
            *var = v;
        if (es)
            *es = e;
    }
    return st;
}

qpm_status qpm_risk_simulate_paths(qpm_risk *r, qpm_book *book, size_t steps_per_day,
                                   double *pnl_out, double *worst_out, double *var, double *es)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(book, "book");
    size_t nb;
    qpm_status st = qpm_book_n_underlyings(book, &nb);
    if (st != QPM_OK)
        return st;
    if (r->n == 0)
        return qpm__fail(QPM_E_STATE, "no covariance: call qpm_risk_set_covariance first");
    if (r->n_heston == 0)
        return qpm__fail(QPM_E_STATE, "no Heston parameters: call qpm_risk_set_heston first");
    if (nb != r->n || r->n_heston != r->n)
        return qpm__fail(QPM_E_SIZE,
                         "the book has %zu underlyings, the covariance %zu and the Heston "
                         "parameters %zu: they must agree",
                         nb, r->n, r->n_heston);
    if (steps_per_day < 1 || steps_per_day > 1000)
        return qpm__fail(QPM_E_INVALID, "steps_per_day = %zu: must be in [1, 1000]", steps_per_day);
    if ((st = paths_check(r)) != QPM_OK)
        return st;
    double hd = r->horizon;
    size_t n = r->n, days = (size_t)hd, total = r->scenarios;
    double decay0;
    if ((st = qpm_book_get(book, QPM_BOOK_DECAY_DAYS, &decay0)) != QPM_OK)
        return st;
    if ((st = qpm__risk_prepare_workers(r, n)) != QPM_OK ||
        (st = qpm__risk_prepare_batch(r, n, total)) != QPM_OK)
        return st;
    /* scratch: per scenario of a batch, its state (ln S, V) and day moves */
    size_t B = QPM__RISK_BATCH < total ? QPM__RISK_BATCH : total;
    /* and every path's worst P&L (worst_out is written once every path is
     * done) */
    size_t nall = worst_out != NULL ? total : 0;
    double *lnS = qpm__calloc(&r->alloc, 2 * B * n + n + B + nall, sizeof(double));
    if (lnS == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the path states of %zu scenarios", B);
    double *V = lnS + B * n, *rs = V + B * n, *worst = rs + n, *wall = worst + B;
    /* the correlation factor: the covariance factor's rows at unit variance */
    for (size_t u = 0; u < n; u++)
        rs[u] = 1.0 / sqrt(r->cov[u * n + u]);
    qpm__risk_worker *w = &r->workers[0];
    double dt = 1.0 / 365.0 / (double)steps_per_day;
    double jl = r->jump_lambda * (1.0 / (double)steps_per_day);
    int jumps = r->jump_lambda > 0.0;
    if ((st = qpm__progress_report(&r->progress, 0.0)) != QPM_OK)
        goto done;
    for (size_t first = 0; first < total; first += QPM__RISK_BATCH) {
        size_t cnt = total - first < QPM__RISK_BATCH ? total - first : QPM__RISK_BATCH;
        for (size_t s = 0; s < cnt; s++) {
            for (size_t u = 0; u < n; u++)
                lnS[s * n + u] = 0.0, V[s * n + u] = r->heston[5 * u];
            worst[s] = HUGE_VAL;
        }
        /* the paths, scenario after scenario within each block; the book
         * is revalued at the end of each day for the whole batch, so the
         * day's states are kept and the draws resumed: each scenario keeps
         * its own generator position through the block's stream */
        for (size_t d = 1; d <= days; d++) {
            for (size_t s = 0; s < cnt; s++) {
                size_t k = first + s;
                if (k % QPM__RISK_BLOCK == 0) {
                    /* day d of block b draws from stream b * 366 + d - 1
                     * (batches start on block boundaries) */
                    uint64_t blk = (uint64_t)(k / QPM__RISK_BLOCK);
                    qpm_rng_set_stream(w->rng, r->base,
                                       QPM__RISK_PATH_STREAM + blk * 366u + (uint64_t)(d - 1));
                }
                for (size_t step = 0; step < steps_per_day; step++) {
                    double *g = w->g;
                    qpm_rng_normal(w->rng, n, g);
                    double *ls = lnS + s * n, *vv = V + s * n;
                    for (size_t u = 0; u < n; u++) {
                        const double *h = r->heston + 5 * u;
                        double zz = 0.0;
                        size_t top = r->tri ? u + 1 : n;
                        const double *fu = r->fac + u * n;
                        for (size_t j = 0; j < top; j++)
                            zz += fu[j] * g[j];
                        zz *= rs[u];
                        double x;
                        qpm_rng_normal(w->rng, 1, &x);
                        double Vn = qe_step(h, vv[u], dt, x);
                        ls[u] += log_step(h, vv[u], Vn, dt, zz);
                        vv[u] = Vn;
                    }
                    if (jumps) {
                        qpm_rng_poisson(w->rng, n, jl, w->jc);
                        for (size_t u = 0; u < n; u++)
                            if (w->jc[u] > 0.0) {
                                double e;
                                qpm_rng_normal(w->rng, 1, &e);
                                ls[u] += w->jc[u] * r->jump_mean + sqrt(w->jc[u]) * r->jump_std * e;
                            }
                    }
                }
            }
            /* the book at the end of day d: spot moves, vols by sqrt(V/V0) */
            for (size_t s = 0; s < cnt; s++)
                for (size_t u = 0; u < n; u++) {
                    r->batch_spot[s * n + u] = qpm__risk_move(lnS[s * n + u]);
                    r->batch_vol[s * n + u] = sqrt(V[s * n + u] / r->heston[5 * u]) - 1.0;
                    if (!(r->batch_vol[s * n + u] > -1.0))
                        r->batch_vol[s * n + u] = -1.0 + 1e-12;
                }
            if ((st = revalue_day(r, book, n, first, cnt, d, worst)) != QPM_OK)
                goto done;
        }
        if (worst_out != NULL)
            memcpy(wall + first, worst, cnt * sizeof(double));
        st = qpm__progress_report(&r->progress, (double)(first + cnt) / (double)total);
        if (st != QPM_OK)
            goto done;
    }
    /* every path done: the outputs, written together (as pnl_out, before
     * the statistics) */
    if (worst_out != NULL)
        memcpy(worst_out, wall, total * sizeof(double));
    st = finish_paths(r, total, pnl_out, var, es);
done:
    qpm_book_set(book, QPM_BOOK_DECAY_DAYS, decay0);
    qpm__free(&r->alloc, lnS);
    return st;
}

/* ---- regime-switching paths ------------------------------------------------ */

#define QPM__RISK_REGIME_STREAM 0x3000000000000000ull

qpm_status qpm_risk_simulate_regime(qpm_risk *r, qpm_book *book, const qpm_regime *m,
                                    const double *start, double *pnl_out, double *worst_out,
                                    double *var, double *es)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(book, "book");
    QPM__CHECK_NULL(m, "m");
    size_t nb, K, n;
    qpm_status st = qpm_book_n_underlyings(book, &nb);
    if (st != QPM_OK || (st = qpm_regime_dims(m, &K, &n)) != QPM_OK)
        return st;
    if (nb != n)
        return qpm__fail(QPM_E_SIZE, "the book has %zu underlyings but the model %zu assets", nb,
                         n);
    if ((st = paths_check(r)) != QPM_OK)
        return st;
    double hd = r->horizon;
    size_t days = (size_t)hd, total = r->scenarios, blk = QPM__RISK_BLOCK;
    double decay0;
    if ((st = qpm_book_get(book, QPM_BOOK_DECAY_DAYS, &decay0)) != QPM_OK)
        return st;
    if ((st = qpm__risk_prepare_workers(r, n)) != QPM_OK ||
        (st = qpm__risk_prepare_batch(r, n, total)) != QPM_OK)
        return st;
    /* per block: the returns (blk x days x n), states, cumulated log
     * returns, worst P&L; the model's variances and the start's mixture */
    size_t nret = blk * days * n;
    size_t nall = worst_out != NULL ? total : 0; /* every path's worst, for worst_out */
    double *ret = qpm__calloc(
        &r->alloc, nret + blk * n + blk + K * n * n + K + n + K + 2 * n + nall, sizeof(double));
    size_t *states = qpm__calloc(&r->alloc, blk * days, sizeof(size_t));
    if (ret == NULL || states == NULL) {
        qpm__free(&r->alloc, ret);
        qpm__free(&r->alloc, states);
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the paths of %zu scenarios", blk);
    }
    double *cum = ret + nret, *worst = cum + blk * n, *sig = worst + blk, *pi = sig + K * n * n;
    double *ref = pi + K, *pj = ref + n, *muj = pj + K, *dj = muj + n, *wall = dj + n;
    if ((st = qpm_regime_params(m, NULL, pi, NULL, sig)) != QPM_OK ||
        (st = qpm_regime_jumps(m, pj, muj, dj)) != QPM_OK)
        goto done;
    /* with jumps, a regime's vol is that of its whole daily return, jump
     * days included: Sigma_k,uu + p_k (deltaJ_u^2 + (1 - p_k) muJ_u^2) */
    for (size_t k = 0; k < K; k++)
        if (pj[k] > 0.0)
            for (size_t u = 0; u < n; u++)
                sig[(k * n + u) * n + u] +=
                    pj[k] * (dj[u] * dj[u] + (1.0 - pj[k]) * muj[u] * muj[u]);
    const double *w0 = start != NULL ? start : pi;
    /* the reference variance of asset u: the start distribution's mixture
     * (a start that is not a distribution is refused by the simulation) */
    for (size_t u = 0; u < n; u++) {
        ref[u] = 0.0;
        for (size_t k = 0; k < K; k++)
            ref[u] += (isfinite(w0[k]) ? w0[k] : 0.0) * sig[(k * n + u) * n + u];
    }
    qpm__risk_worker *w = &r->workers[0];
    if ((st = qpm__progress_report(&r->progress, 0.0)) != QPM_OK)
        goto done;
    for (size_t first = 0; first < total; first += blk) {
        size_t cnt = total - first < blk ? total - first : blk;
        qpm_rng_set_stream(w->rng, r->base, QPM__RISK_REGIME_STREAM + first / blk);
        if ((st = qpm_regime_simulate(m, w->rng, start, cnt, days, ret, n, states)) != QPM_OK)
            goto done;
        memset(cum, 0, cnt * n * sizeof(double));
        for (size_t s = 0; s < cnt; s++)
            worst[s] = HUGE_VAL;
        for (size_t d = 0; d < days; d++) {
            for (size_t s = 0; s < cnt; s++) {
                size_t k = states[s * days + d];
                for (size_t u = 0; u < n; u++) {
                    cum[s * n + u] += ret[(s * days + d) * n + u];
                    r->batch_spot[s * n + u] = qpm__risk_move(cum[s * n + u]);
                    double v = sig[(k * n + u) * n + u];
                    r->batch_vol[s * n + u] = ref[u] > 0.0 ? sqrt(v / ref[u]) - 1.0 : 0.0;
                    if (!(r->batch_vol[s * n + u] > -1.0))
                        r->batch_vol[s * n + u] = -1.0 + 1e-12;
                }
            }
            if ((st = revalue_day(r, book, n, first, cnt, d + 1, worst)) != QPM_OK)
                goto done;
        }
        if (worst_out != NULL)
            memcpy(wall + first, worst, cnt * sizeof(double));
        st = qpm__progress_report(&r->progress, (double)(first + cnt) / (double)total);
        if (st != QPM_OK)
            goto done;
    }
    /* every path done: the outputs, written together (as pnl_out, before
     * the statistics) */
    if (worst_out != NULL)
        memcpy(worst_out, wall, total * sizeof(double));
    st = finish_paths(r, total, pnl_out, var, es);
done:
    qpm_book_set(book, QPM_BOOK_DECAY_DAYS, decay0);
    qpm__free(&r->alloc, ret);
    qpm__free(&r->alloc, states);
    return st;
}
