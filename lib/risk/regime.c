/* The regime-switching model's handle: creation, parameters, jumps and
 * their checks, the initial distribution (include/qpm/regime.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "regime_internal.h"

double qpm_regime_prob_tol(void)
{
    return QPM_REGIME_PROB_TOL;
}

void qpm_regime_free(qpm_regime *m)
{
    if (m == NULL)
        return;
    qpm_alloc a = m->alloc;
    qpm__free(&a, m->par.mu);
    qpm__free(&a, m->par.sigma);
    qpm__free(&a, m->par.chol);
    qpm__free(&a, m->par.muj);
    qpm__free(&a, m->par.cholj);
    qpm__free(&a, m);
}

_Static_assert(offsetof(struct qpm_regime, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_regime_create(qpm_regime **out, const qpm_alloc *alloc, size_t k, size_t d)
{
    QPM__CHECK_OUT(out);
    if (k < 2 || k > QPM__REGIME_MAX_K)
        return qpm__fail(QPM_E_INVALID, "k = %zu: the number of states must be 2 or 3", k);
    if (d == 0 || d > QPM__REGIME_MAX_D)
        return qpm__fail(QPM_E_SIZE, "d = %zu: the number of assets must be in [1, %u]", d,
                         (unsigned)QPM__REGIME_MAX_D);
    qpm_status st;
    qpm_regime *m = qpm__handle_new(alloc, sizeof *m, NULL, NULL, &st);
    if (m == NULL)
        return st;
    m->k = k;
    m->d = d;
    m->mode = QPM_REGIME_INIT_ESTIMATED;
    for (size_t i = 0; i < k; i++)
        m->pi_given[i] = 1.0 / (double)k;
    m->par.mu = qpm__calloc(&m->alloc, k * d, sizeof(double));
    m->par.sigma = qpm__calloc(&m->alloc, k * d * d, sizeof(double));
    m->par.chol = qpm__calloc(&m->alloc, k * d * d, sizeof(double));
    m->par.muj = qpm__calloc(&m->alloc, 2 * d, sizeof(double));
    m->par.dj = m->par.muj != NULL ? m->par.muj + d : NULL;
    m->par.cholj = qpm__calloc(&m->alloc, k * d * d, sizeof(double));
    if (m->par.mu == NULL || m->par.sigma == NULL || m->par.chol == NULL || m->par.muj == NULL ||
        m->par.cholj == NULL) {
        qpm_regime_free(m);
        return QPM_E_NOMEM;
    }
    *out = m;
    return QPM_OK;
}

qpm_status qpm_regime_dims(const qpm_regime *m, size_t *k, size_t *d)
{
    QPM__CHECK_NULL(m, "m");
    if (k != NULL)
        *k = m->k;
    if (d != NULL)
        *d = m->d;
    return QPM_OK;
}

qpm_status qpm__regime_check_dist(const double *p, size_t k, const char *name)
{
    double s = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(p[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", name, i, p[i]);
        if (p[i] < 0.0)
            return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: a probability must be >= 0", name, i,
                             p[i]);
        s += p[i];
    }
    if (!(fabs(s - 1.0) <= QPM_REGIME_PROB_TOL))
        return qpm__fail(QPM_E_INVALID, "%s sums to %.17g: must be 1 within %g", name, s,
                         QPM_REGIME_PROB_TOL);
    return QPM_OK;
}

/* the factor of a + diag(dj^2), a + 0 when dj is NULL */
static size_t chol_shifted(const double *a, const double *dj, size_t d, double *l, double *logdet)
{
    double ld = 0.0;
    for (size_t i = 0; i < d; i++) {
        for (size_t j = 0; j <= i; j++) {
            double s = a[i * d + j];
            if (dj != NULL && i == j)
                s += dj[i] * dj[i];
            for (size_t p = 0; p < j; p++)
                s -= l[i * d + p] * l[j * d + p];
            if (i == j) {
                if (!(s > 0.0) || !isfinite(s))
                    return i;
                l[i * d + i] = sqrt(s);
                ld += log(s);
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
        for (size_t j = i + 1; j < d; j++)
            l[i * d + j] = 0.0;
    }
    *logdet = ld;
    return d;
}

size_t qpm__regime_chol(const double *a, size_t d, double *l, double *logdet)
{
    return chol_shifted(a, NULL, d, l, logdet);
}

size_t qpm__regime_chol_jump(const double *a, const double *dj, size_t d, double *l,
                             double *logdet)
{
    return chol_shifted(a, dj, d, l, logdet);
}

int qpm__regime_any_jump(const double *pj, size_t k)
{
    for (size_t s = 0; s < k; s++)
        if (pj[s] > 0.0)
            return 1;
    return 0;
}

/* Factors sigma_s + diag(dj^2) of every state into chol (k x d x d) and
 * logdet; QPM_E_NOTPSD naming the first state that does not factorise. */
static qpm_status factor_jumps(const double *sigma, const double *dj, size_t k, size_t d,
                               double *chol, double *logdet)
{
    for (size_t s = 0; s < k; s++) {
        size_t piv = qpm__regime_chol_jump(sigma + s * d * d, dj, d, chol + s * d * d, &logdet[s]);
        if (piv < d)
            return qpm__fail(QPM_E_NOTPSD,
                             "sigma[%zu] + diag(delta_j^2) is not positive definite: Cholesky "
                             "pivot %zu is not > 0",
                             s, piv);
    }
    return QPM_OK;
}

void qpm__regime_stationary(const double *P, size_t k, double *pi)
{
    /* Markov chain tree theorem: pi_i is proportional to the sum over the
     * spanning trees directed towards i of their products of transition
     * probabilities.  Sums of products of off-diagonal entries: no
     * cancellation, unlike a solve of pi (I - P) = 0 near P = I. */
    double w[QPM__REGIME_MAX_K];
#define p(i, j) P[(i)*k + (j)]
    if (k == 2) {
        w[0] = p(1, 0);
        w[1] = p(0, 1);
    } else {
        w[0] = p(1, 0) * p(2, 0) + p(1, 0) * p(2, 1) + p(1, 2) * p(2, 0);
        w[1] = p(0, 1) * p(2, 1) + p(0, 1) * p(2, 0) + p(0, 2) * p(2, 1);
        w[2] = p(0, 2) * p(1, 2) + p(0, 2) * p(1, 0) + p(0, 1) * p(1, 2);
    }
#undef p
    double s = 0.0;
    for (size_t i = 0; i < k; i++)
        s += w[i];
    if (s > 0.0) {
        for (size_t i = 0; i < k; i++)
            pi[i] = w[i] / s;
        return;
    }
    /* several closed classes: the long-run average from the uniform start,
     * the limit of M^(2^n) for the lazy chain M = (I + P) / 2 */
    double M[QPM__REGIME_MAX_K * QPM__REGIME_MAX_K], T[QPM__REGIME_MAX_K * QPM__REGIME_MAX_K];
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            M[i * k + j] = 0.5 * P[i * k + j] + (i == j ? 0.5 : 0.0);
    for (int n = 0; n < 64; n++) {
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double v = 0.0;
                for (size_t q = 0; q < k; q++)
                    v += M[i * k + q] * M[q * k + j];
                T[i * k + j] = v;
            }
        memcpy(M, T, k * k * sizeof(double));
    }
    s = 0.0;
    for (size_t j = 0; j < k; j++) {
        double v = 0.0;
        for (size_t i = 0; i < k; i++)
            v += M[i * k + j];
        pi[j] = v;
        s += v;
    }
    for (size_t j = 0; j < k; j++)
        pi[j] /= s;
}

size_t qpm__regime_draw(const double *p, size_t k, double u)
{
    double c = 0.0;
    size_t last = 0;
    for (size_t j = 0; j < k; j++) {
        if (p[j] > 0.0)
            last = j;
        c += p[j];
        if (u < c && p[j] > 0.0)
            return j;
    }
    /* the row sums to less than u by rounding: the last possible state */
    return last;
}

/* The initial distribution in use, from the mode and P. */
static void initial_in_use(const qpm_regime *m, const double *P, double *pi)
{
    if (m->mode == QPM_REGIME_INIT_ERGODIC)
        qpm__regime_stationary(P, m->k, pi);
    else
        memcpy(pi, m->pi_given, m->k * sizeof(double));
}

qpm_status qpm_regime_set_params(qpm_regime *m, const double *P, const double *mu,
                                 const double *sigma)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(P, "P");
    QPM__CHECK_NULL(mu, "mu");
    QPM__CHECK_NULL(sigma, "sigma");
    size_t k = m->k, d = m->d;
    qpm_status st;
    if ((st = qpm__check_finite_matrix(P, k, k, k, "P")) != QPM_OK)
        return st;
    for (size_t i = 0; i < k; i++) {
        double s = 0.0;
        for (size_t j = 0; j < k; j++) {
            if (P[i * k + j] < 0.0)
                return qpm__fail(QPM_E_INVALID, "P[%zu][%zu] = %.17g: a probability must be >= 0",
                                 i, j, P[i * k + j]);
            s += P[i * k + j];
        }
        if (!(fabs(s - 1.0) <= QPM_REGIME_PROB_TOL))
            return qpm__fail(QPM_E_INVALID, "P row %zu sums to %.17g: must be 1 within %g", i, s,
                             QPM_REGIME_PROB_TOL);
    }
    if ((st = qpm__check_finite_matrix(mu, k, d, d, "mu")) != QPM_OK)
        return st;
    char name[32];
    for (size_t s = 0; s < k; s++) {
        snprintf(name, sizeof name, "sigma[%zu]", s);
        if ((st = qpm__check_covariance_code(sigma + s * d * d, d, d, name, QPM_E_NOTPSD)) !=
            QPM_OK)
            return st;
    }
    /* factorise into scratch first: a refused sigma changes nothing; with
     * jumps, the jump days' covariances too */
    int jumps = m->par.jumps;
    double *chol = qpm__calloc(&m->alloc, (jumps ? 2 : 1) * k * d * d, sizeof(double));
    if (chol == NULL)
        return QPM_E_NOMEM;
    double logdet[QPM__REGIME_MAX_K], logdetj[QPM__REGIME_MAX_K];
    for (size_t s = 0; s < k; s++) {
        size_t piv = qpm__regime_chol(sigma + s * d * d, d, chol + s * d * d, &logdet[s]);
        if (piv < d) {
            qpm__free(&m->alloc, chol);
            return qpm__fail(QPM_E_NOTPSD,
                             "sigma[%zu] is not positive definite: Cholesky pivot %zu is not > 0",
                             s, piv);
        }
    }
    if (jumps &&
        (st = factor_jumps(sigma, m->par.dj, k, d, chol + k * d * d, logdetj)) != QPM_OK) {
        qpm__free(&m->alloc, chol);
        return st;
    }
    memcpy(m->par.P, P, k * k * sizeof(double));
    memcpy(m->par.mu, mu, k * d * sizeof(double));
    memcpy(m->par.sigma, sigma, k * d * d * sizeof(double));
    memcpy(m->par.chol, chol, k * d * d * sizeof(double));
    memcpy(m->par.logdet, logdet, sizeof logdet);
    if (jumps) {
        memcpy(m->par.cholj, chol + k * d * d, k * d * d * sizeof(double));
        memcpy(m->par.logdetj, logdetj, sizeof logdetj);
    }
    qpm__free(&m->alloc, chol);
    initial_in_use(m, m->par.P, m->par.pi);
    m->has_params = 1;
    return QPM_OK;
}

qpm_status qpm_regime_params(const qpm_regime *m, double *P, double *pi, double *mu, double *sigma)
{
    QPM__CHECK_NULL(m, "m");
    if (!m->has_params)
        return qpm__fail(QPM_E_STATE,
                         "the model has no parameters yet: fit it or call qpm_regime_set_params");
    size_t k = m->k, d = m->d;
    if (P != NULL)
        memcpy(P, m->par.P, k * k * sizeof(double));
    if (pi != NULL)
        memcpy(pi, m->par.pi, k * sizeof(double));
    if (mu != NULL)
        memcpy(mu, m->par.mu, k * d * sizeof(double));
    if (sigma != NULL)
        memcpy(sigma, m->par.sigma, k * d * d * sizeof(double));
    return QPM_OK;
}

qpm_status qpm_regime_set_initial(qpm_regime *m, qpm_regime_init mode, const double *pi)
{
    QPM__CHECK_NULL(m, "m");
    if (mode != QPM_REGIME_INIT_ESTIMATED && mode != QPM_REGIME_INIT_FIXED &&
        mode != QPM_REGIME_INIT_ERGODIC)
        return qpm__fail(QPM_E_INVALID,
                         "mode = %d: must be QPM_REGIME_INIT_ESTIMATED (0), _FIXED (1) or "
                         "_ERGODIC (2)",
                         (int)mode);
    if (mode == QPM_REGIME_INIT_FIXED)
        QPM__CHECK_NULL(pi, "pi");
    if (mode != QPM_REGIME_INIT_ERGODIC && pi != NULL) {
        qpm_status st = qpm__regime_check_dist(pi, m->k, "pi");
        if (st != QPM_OK)
            return st;
        memcpy(m->pi_given, pi, m->k * sizeof(double));
    }
    m->mode = mode;
    if (m->has_params)
        initial_in_use(m, m->par.P, m->par.pi);
    return QPM_OK;
}

qpm_status qpm_regime_get_initial(const qpm_regime *m, qpm_regime_init *mode)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(mode, "mode");
    *mode = m->mode;
    return QPM_OK;
}

qpm_status qpm_regime_set_progress(qpm_regime *m, qpm_progress_fn fn, void *user)
{
    QPM__CHECK_NULL(m, "m");
    return qpm__progress_set(&m->progress, fn, user);
}

qpm_status qpm_regime_set_jumps(qpm_regime *m, const double *p, const double *mu_j,
                                const double *delta_j)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(p, "p");
    QPM__CHECK_NULL(mu_j, "mu_j");
    QPM__CHECK_NULL(delta_j, "delta_j");
    size_t k = m->k, d = m->d;
    qpm_status st;
    if ((st = qpm__check_finite(p, k, "p")) != QPM_OK)
        return st;
    for (size_t s = 0; s < k; s++)
        if (!(p[s] >= 0.0 && p[s] < 1.0))
            return qpm__fail(QPM_E_INVALID,
                             "p[%zu] = %.17g: a daily jump probability must be in [0, 1)", s,
                             p[s]);
    if ((st = qpm__check_finite(mu_j, d, "mu_j")) != QPM_OK ||
        (st = qpm__check_nonnegative(delta_j, d, "delta_j")) != QPM_OK)
        return st;
    int jumps = qpm__regime_any_jump(p, k);
    if (jumps) {
        size_t s = 0;
        while (!(p[s] > 0.0))
            s++;
        for (size_t j = 0; j < d; j++)
            if (!(delta_j[j] > 0.0))
                return qpm__fail(QPM_E_INVALID,
                                 "delta_j[%zu] = 0 while p[%zu] = %.17g > 0: a jump's standard "
                                 "deviation must be > 0 when jumps can occur",
                                 j, s, p[s]);
        /* a jump so large that its variance overflows: refused like a
         * covariance beyond the range of double */
        for (size_t j = 0; j < d; j++)
            if (!isfinite(delta_j[j] * delta_j[j]))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "delta_j[%zu] = %g: its square is beyond the range of double", j,
                                 delta_j[j]);
    }
    double logdetj[QPM__REGIME_MAX_K];
    double *cholj = NULL;
    if (jumps && m->has_params) {
        /* factorise into scratch first: a refusal changes nothing */
        cholj = qpm__calloc(&m->alloc, k * d * d, sizeof(double));
        if (cholj == NULL)
            return QPM_E_NOMEM;
        if ((st = factor_jumps(m->par.sigma, delta_j, k, d, cholj, logdetj)) != QPM_OK) {
            qpm__free(&m->alloc, cholj);
            return st;
        }
    }
    memcpy(m->par.pj, p, k * sizeof(double));
    memcpy(m->par.muj, mu_j, d * sizeof(double));
    memcpy(m->par.dj, delta_j, d * sizeof(double));
    m->par.jumps = jumps;
    if (cholj != NULL) {
        memcpy(m->par.cholj, cholj, k * d * d * sizeof(double));
        memcpy(m->par.logdetj, logdetj, sizeof logdetj);
        qpm__free(&m->alloc, cholj);
    }
    return QPM_OK;
}

qpm_status qpm_regime_jumps(const qpm_regime *m, double *p, double *mu_j, double *delta_j)
{
    QPM__CHECK_NULL(m, "m");
    if (p != NULL)
        memcpy(p, m->par.pj, m->k * sizeof(double));
    if (mu_j != NULL)
        memcpy(mu_j, m->par.muj, m->d * sizeof(double));
    if (delta_j != NULL)
        memcpy(delta_j, m->par.dj, m->d * sizeof(double));
    return QPM_OK;
}

qpm_status qpm_regime_set_fit_jumps(qpm_regime *m, int fit)
{
    QPM__CHECK_NULL(m, "m");
    if (fit != 0 && fit != 1)
        return qpm__fail(QPM_E_INVALID, "fit = %d: must be 0 (jumps held) or 1 (jumps fitted)",
                         fit);
    m->fit_jumps = fit;
    return QPM_OK;
}

qpm_status qpm_regime_get_fit_jumps(const qpm_regime *m, int *fit)
{
    QPM__CHECK_NULL(m, "m");
    QPM__CHECK_NULL(fit, "fit");
    *fit = m->fit_jumps;
    return QPM_OK;
}
