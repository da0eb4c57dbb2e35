/* Public entry points of models.h: argument checks, then the chain pricer
 * (sv_cf.c), the Merton series (merton.c) or the smile through the
 * library's implied-vol solver. */
#include "qpm/models.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "pricing/sv_model.h"
#include "qpm/pricing.h"

#define MAX_RT   700.0
#define MAX_JUMP 10.0
#define MAX_LT   1e4

static qpm_status check_market(double S, double T, double r, double q, size_t n, const double *K,
                               const int32_t *type)
{
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: at least one strike is needed");
    QPM__CHECK_NULL(K, "K");
    const double v[4] = {S, T, r, q};
    static const char *const name[4] = {"S", "T", "r", "q"};
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", name[i], v[i]);
    if (!(S > 0.0))
        return qpm__fail(QPM_E_INVALID, "S = %g: must be > 0", S);
    if (!(T > 0.0))
        return qpm__fail(QPM_E_INVALID, "T = %g: must be > 0", T);
    if (fabs(r * T) > MAX_RT)
        return qpm__fail(QPM_E_INVALID, "r = %g: |r T| = %g must be <= %g", r, fabs(r * T), MAX_RT);
    if (fabs(q * T) > MAX_RT)
        return qpm__fail(QPM_E_INVALID, "q = %g: |q T| = %g must be <= %g", q, fabs(q * T), MAX_RT);
    qpm_status st = qpm__check_positive(K, n, "K");
    if (st != QPM_OK)
        return st;
    /* The forward S e^{(r-q)T} and its growth factor in the normal range:
     * |r T|, |q T| <= 700 still let e^{(r-q)T} reach e^-1400, and a
     * subnormal growth factor or forward keeps only a few of its digits (1%
     * at 4e-322), which every price and Greek would inherit silently. */
    double growth = exp((r - q) * T), F = S * growth;
    if (!(growth >= DBL_MIN && growth <= DBL_MAX && F >= DBL_MIN && F <= DBL_MAX))
        return qpm__fail(QPM_E_INVALID,
                         "S e^{(r-q)T} = %g (e^{(r-q)T} = %g): the forward and its growth factor "
                         "must be within the normal range of double [%g, %g]",
                         F, growth, DBL_MIN, DBL_MAX);
    /* K beyond the range of double once divided into the forward */
    for (size_t i = 0; i < n; i++) {
        double k = F / K[i];
        if (!isfinite(k) || k == 0.0 || !isfinite(qpm__sqrt_prod(F, K[i]) * 2.0))
            return qpm__fail(QPM_E_INVALID, "K[%zu] = %g: F/K = %g is beyond the range of double",
                             i, K[i], k);
    }
    if (type != NULL)
        for (size_t i = 0; i < n; i++)
            if (type[i] != QPM_CALL && type[i] != QPM_PUT)
                return qpm__fail(QPM_E_INVALID,
                                 "type[%zu] = %d: must be QPM_CALL (1) or QPM_PUT (-1)", i,
                                 (int)type[i]);
    return QPM_OK;
}

static qpm_status check_heston(const qpm_heston *h)
{
    QPM__CHECK_NULL(h, "h");
    const double v[5] = {h->v0, h->kappa, h->theta, h->sigma, h->rho};
    static const char *const name[5] = {"v0", "kappa", "theta", "sigma", "rho"};
    for (int i = 0; i < 5; i++)
        if (!isfinite(v[i]))
            return qpm__fail(QPM_E_NONFINITE, "heston.%s = %g: must be finite", name[i], v[i]);
    for (int i = 0; i < 3; i++)
        if (!(v[i] > 0.0))
            return qpm__fail(QPM_E_INVALID, "heston.%s = %g: must be > 0", name[i], v[i]);
    if (!(h->sigma >= 0.0))
        return qpm__fail(QPM_E_INVALID, "heston.sigma = %g: must be >= 0", h->sigma);
    if (!(fabs(h->rho) < 1.0))
        return qpm__fail(QPM_E_INVALID, "heston.rho = %g: must be in (-1, 1)", h->rho);
    return QPM_OK;
}

static qpm_status check_jumps(const qpm_jumps *j, double T)
{
    QPM__CHECK_NULL(j, "j");
    const double v[3] = {j->lambda, j->mu, j->delta};
    static const char *const name[3] = {"lambda", "mu", "delta"};
    for (int i = 0; i < 3; i++)
        if (!isfinite(v[i]))
            return qpm__fail(QPM_E_NONFINITE, "jumps.%s = %g: must be finite", name[i], v[i]);
    if (!(j->lambda >= 0.0))
        return qpm__fail(QPM_E_INVALID, "jumps.lambda = %g: must be >= 0", j->lambda);
    if (j->lambda * T > MAX_LT)
        return qpm__fail(QPM_E_INVALID, "jumps.lambda = %g: lambda T = %g must be <= %g", j->lambda,
                         j->lambda * T, MAX_LT);
    if (!(fabs(j->mu) <= MAX_JUMP))
        return qpm__fail(QPM_E_INVALID, "jumps.mu = %g: |mu| must be <= %g", j->mu, MAX_JUMP);
    if (!(j->delta >= 0.0 && j->delta <= MAX_JUMP))
        return qpm__fail(QPM_E_INVALID, "jumps.delta = %g: must be in [0, %g]", j->delta, MAX_JUMP);
    return QPM_OK;
}

static qpm_status check_outputs(const double *price, const double *delta, const double *gamma,
                                const double *vega)
{
    if (price == NULL && delta == NULL && gamma == NULL && vega == NULL)
        return qpm__fail(QPM_E_NULL,
                         "price, delta, gamma and vega are all NULL: nothing to compute");
    return QPM_OK;
}

static qpm_status check_sv(const qpm_heston *h, const qpm_jumps *j, double S, double T, double r,
                           double q, size_t n, const double *K, const int32_t *type, qpm__sv *m)
{
    qpm_status st = check_heston(h);
    if (st == QPM_OK && j != NULL)
        st = check_jumps(j, T);
    if (st == QPM_OK)
        st = check_market(S, T, r, q, n, K, type);
    if (st != QPM_OK)
        return st;
    *m = (qpm__sv){h->v0, h->kappa, h->theta, h->sigma, h->rho, 0.0, 0.0, 0.0, T};
    if (j != NULL && j->lambda > 0.0) {
        m->lambda = j->lambda;
        m->mu_j = j->mu;
        m->delta_j = j->delta;
    }
    return QPM_OK;
}

/* A wanted output beyond the range of double (the gamma of an option on a
 * spot near DBL_MIN, a price of 1e300 e^700): found after computing, as in
 * pricing.h; the first one is named. */
static qpm_status check_range(size_t n, const double *K, int ncol, const double *const *col,
                              const char *const *name)
{
    for (int k = 0; k < ncol; k++)
        if (col[k] != NULL)
            for (size_t i = 0; i < n; i++)
                if (!isfinite(col[k][i]))
                    return qpm__fail(QPM_E_OVERFLOW,
                                     "%s[%zu] = %g (K[%zu] = %g): beyond the range of double",
                                     name[k], i, col[k][i], i, K[i]);
    return QPM_OK;
}

static const char *const PRICE_NAMES[4] = {"price", "delta", "gamma", "vega"};

static qpm_status sv_price(const qpm_heston *h, const qpm_jumps *j, double S, double T, double r,
                           double q, size_t n, const double *K, const int32_t *type, double *price,
                           double *delta, double *gamma, double *vega)
{
    qpm__sv m;
    QPM__CHECK_NULL(type, "type");
    qpm_status st = check_sv(h, j, S, T, r, q, n, K, type, &m);
    if (st == QPM_OK)
        st = check_outputs(price, delta, gamma, vega);
    if (st != QPM_OK)
        return st;
    qpm__sv_out out = {price, delta, gamma, vega, NULL, NULL, {NULL}, NULL, 0, 0.0};
    st = qpm__sv_chain(&m, S, r, q, n, K, type, &out);
    if (st != QPM_OK)
        return st;
    const double *col[4] = {price, delta, gamma, vega};
    return check_range(n, K, 4, col, PRICE_NAMES);
}

qpm_status qpm_heston_price(const qpm_heston *h, double S, double T, double r, double q, size_t n,
                            const double *K, const int32_t *type, double *price, double *delta,
                            double *gamma, double *vega)
{
    return sv_price(h, NULL, S, T, r, q, n, K, type, price, delta, gamma, vega);
}

qpm_status qpm_bates_price(const qpm_heston *h, const qpm_jumps *j, double S, double T, double r,
                           double q, size_t n, const double *K, const int32_t *type, double *price,
                           double *delta, double *gamma, double *vega)
{
    QPM__CHECK_NULL(j, "j");
    return sv_price(h, j, S, T, r, q, n, K, type, price, delta, gamma, vega);
}

static qpm_status check_merton(double sigma, const qpm_jumps *j, double S, double T, double r,
                               double q, size_t n, const double *K, const int32_t *type)
{
    if (!isfinite(sigma))
        return qpm__fail(QPM_E_NONFINITE, "sigma = %g: must be finite", sigma);
    if (!(sigma >= 0.0))
        return qpm__fail(QPM_E_INVALID, "sigma = %g: must be >= 0", sigma);
    qpm_status st = check_jumps(j, T);
    if (st != QPM_OK)
        return st;
    /* The series runs past both Poisson means, lambda T and lambda T (1 +
     * kbar) (merton.c): the second, up to 1e4 e^60 within the bounds of
     * lambda T, mu and delta, would take forever (and beyond 2^53 terms
     * never end); it gets the bound of the first. */
    double lt1 = j->lambda * T * exp(j->mu + 0.5 * j->delta * j->delta);
    if (lt1 > MAX_LT)
        return qpm__fail(QPM_E_INVALID,
                         "jumps.lambda = %g: lambda T e^{mu + delta^2/2} = %g (mu = %g, delta = "
                         "%g) must be <= %g for the Merton series",
                         j->lambda, lt1, j->mu, j->delta, MAX_LT);
    return check_market(S, T, r, q, n, K, type);
}

qpm_status qpm_merton_price(double sigma, const qpm_jumps *j, double S, double T, double r,
                            double q, size_t n, const double *K, const int32_t *type, double *price,
                            double *delta, double *gamma, double *vega)
{
    QPM__CHECK_NULL(type, "type");
    qpm_status st = check_merton(sigma, j, S, T, r, q, n, K, type);
    if (st == QPM_OK)
        st = check_outputs(price, delta, gamma, vega);
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        qpm__merton_one(S, K[i], T, r, q, sigma, j->lambda, j->mu, j->delta, type[i],
                        price != NULL ? price + i : NULL, delta != NULL ? delta + i : NULL,
                        gamma != NULL ? gamma + i : NULL, vega != NULL ? vega + i : NULL, NULL,
                        NULL);
    const double *col[4] = {price, delta, gamma, vega};
    return check_range(n, K, 4, col, PRICE_NAMES);
}

/* ---- smiles ----------------------------------------------------------------
 * Strikes go through in blocks of SMILE_BLOCK with the per-strike inputs of
 * qpm_pricer_implied_vol on the stack; one BSM pricer serves the call. */
#define SMILE_BLOCK 64

typedef struct smile_model {
    int merton;
    qpm__sv sv;
    double sigma;
    qpm_jumps j;
} smile_model;

static qpm_status smile(const smile_model *sm, double S, double T, double r, double q, size_t n,
                        const double *K, double *price, double *iv, int32_t *status, int coin)
{
    qpm_pricer *pr = NULL;
    qpm_status st = qpm_pricer_create(&pr, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    if (st != QPM_OK)
        return st;
    double F = S * exp((r - q) * T);
    qpm_status first = QPM_OK;
    size_t first_i = 0, big = n;
    for (size_t b = 0; b < n; b += SMILE_BLOCK) {
        size_t m = n - b < SMILE_BLOCK ? n - b : SMILE_BLOCK;
        double vs[SMILE_BLOCK], vt[SMILE_BLOCK], vr[SMILE_BLOCK], vq[SMILE_BLOCK], vp[SMILE_BLOCK],
            vi[SMILE_BLOCK];
        int32_t ty[SMILE_BLOCK], ist[SMILE_BLOCK];
        for (size_t i = 0; i < m; i++) {
            vs[i] = S;
            vt[i] = T;
            vr[i] = r;
            vq[i] = q;
            ty[i] = K[b + i] < F ? QPM_PUT : QPM_CALL;
        }
        if (sm->merton) {
            for (size_t i = 0; i < m; i++)
                qpm__merton_one(S, K[b + i], T, r, q, sm->sigma, sm->j.lambda, sm->j.mu,
                                sm->j.delta, ty[i], vp + i, NULL, NULL, NULL, NULL, NULL);
        } else {
            qpm__sv_out out = {vp, NULL, NULL, NULL, NULL, NULL, {NULL}, NULL, 0, 0.0};
            st = qpm__sv_chain(&sm->sv, S, r, q, m, K + b, ty, &out);
            if (st != QPM_OK) {
                qpm_pricer_free(pr);
                return st;
            }
        }
        /* the solver reports per element; its return value is re-stated
         * below with the index in the whole chain */
        (void)qpm_pricer_implied_vol(pr, m, vs, K + b, vt, vr, vq, ty, vp, vi, ist);
        for (size_t i = 0; i < m; i++) {
            if (price != NULL)
                price[b + i] = coin ? vp[i] / F : vp[i];
            iv[b + i] = vi[i];
            if (status != NULL)
                status[b + i] = ist[i];
            if (!isfinite(vp[i]) && big == n)
                big = b + i;
            if (ist[i] != QPM_OK && first == QPM_OK) {
                first = (qpm_status)ist[i];
                first_i = b + i;
            }
        }
    }
    qpm_pricer_free(pr);
    if (big < n)
        return qpm__fail(QPM_E_OVERFLOW,
                         "the model price of K[%zu] = %g is beyond the range of double (%g)", big,
                         K[big], price != NULL ? price[big] : (double)INFINITY);
    if (first != QPM_OK)
        return qpm__fail(first,
                         "iv[%zu]: the model price %g of K[%zu] = %g has no implied vol (%s)",
                         first_i, price != NULL ? price[first_i] : (double)NAN, first_i, K[first_i],
                         qpm_status_name(first));
    return QPM_OK;
}

qpm_status qpm_heston_smile(const qpm_heston *h, const qpm_jumps *j, double S, double T, double r,
                            double q, size_t n, const double *K, double *price, double *iv,
                            int32_t *status)
{
    smile_model sm = {0};
    qpm_status st = check_sv(h, j, S, T, r, q, n, K, NULL, &sm.sv);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(iv, "iv");
    return smile(&sm, S, T, r, q, n, K, price, iv, status, 0);
}

qpm_status qpm_merton_smile(double sigma, const qpm_jumps *j, double S, double T, double r,
                            double q, size_t n, const double *K, double *price, double *iv,
                            int32_t *status)
{
    qpm_status st = check_merton(sigma, j, S, T, r, q, n, K, NULL);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(iv, "iv");
    smile_model sm = {.merton = 1, .sigma = sigma, .j = *j};
    return smile(&sm, S, T, r, q, n, K, price, iv, status, 0);
}

/* ---- settlement-aware prices and Greeks (qpm_heston_eval, qpm_merton_eval) */

static qpm_status read_out(const qpm_model_out *out, qpm_settlement settle, qpm_model_out *o)
{
    QPM__CHECK_NULL(out, "out");
    if (settle != QPM_SETTLE_LINEAR && settle != QPM_SETTLE_INVERSE)
        return qpm__fail(QPM_E_INVALID,
                         "settle = %d: must be QPM_SETTLE_LINEAR (0) or QPM_SETTLE_INVERSE (1)",
                         (int)settle);
    qpm_status st = qpm__read_struct(out, out->size, sizeof *o, o, "out", "qpm_model_out", "fields");
    if (st != QPM_OK)
        return st;
    if (o->price == NULL && o->price_usd == NULL && o->delta == NULL && o->delta_coin == NULL &&
        o->gamma == NULL && o->vega_v0 == NULL && o->vega_parallel == NULL && o->theta == NULL)
        return qpm__fail(QPM_E_NULL, "out: every output is NULL: nothing to compute");
    return QPM_OK;
}

static const char *const EVAL_NAMES[8] = {"price", "price_usd", "delta",         "delta_coin",
                                          "gamma", "vega_v0",   "vega_parallel", "theta"};

static qpm_status check_eval_range(size_t n, const double *K, const qpm_model_out *o)
{
    const double *col[8] = {o->price, o->price_usd, o->delta,         o->delta_coin,
                            o->gamma, o->vega_v0,   o->vega_parallel, o->theta};
    return check_range(n, K, 8, col, EVAL_NAMES);
}

/* Per block of strikes: the USD values and their Greeks into stack
 * columns, then the settlement's view of them. */
#define EVAL_BLOCK 256

typedef struct eval_cols {
    double p[EVAL_BLOCK], d[EVAL_BLOCK], g[EVAL_BLOCK], v0[EVAL_BLOCK], vp[EVAL_BLOCK],
        th[EVAL_BLOCK];
} eval_cols;

static void eval_store(const qpm_model_out *o, qpm_settlement settle, double S, double growth,
                       size_t b, size_t m, const eval_cols *c)
{
    double F = S * growth;
    for (size_t i = 0; i < m; i++) {
        double B = c->p[i];
        if (o->price != NULL)
            o->price[b + i] = settle == QPM_SETTLE_INVERSE ? B / F : B;
        if (o->price_usd != NULL)
            o->price_usd[b + i] = B;
        if (o->delta != NULL)
            o->delta[b + i] = c->d[i];
        if (o->delta_coin != NULL)
            o->delta_coin[b + i] = c->d[i] / growth - B / F;
        if (o->gamma != NULL)
            o->gamma[b + i] = c->g[i];
        if (o->vega_v0 != NULL)
            o->vega_v0[b + i] = c->v0[i];
        if (o->vega_parallel != NULL)
            o->vega_parallel[b + i] = c->vp[i];
        if (o->theta != NULL)
            o->theta[b + i] = c->th[i];
    }
}

qpm_status qpm_heston_eval(const qpm_heston *h, const qpm_jumps *j, qpm_settlement settle,
                           double S, double T, double r, double q, size_t n, const double *K,
                           const int32_t *type, const qpm_model_out *out)
{
    qpm__sv m;
    qpm_model_out o;
    QPM__CHECK_NULL(type, "type");
    qpm_status st = check_sv(h, j, S, T, r, q, n, K, type, &m);
    if (st == QPM_OK)
        st = read_out(out, settle, &o);
    if (st != QPM_OK)
        return st;
    double growth = exp((r - q) * T);
    /* The Fourier grid's panels follow the widest |ln(F/K)| of the strikes
     * it serves: every block gets the whole chain's, so that its bits are
     * those of qpm_heston_price on the whole chain (as the header says),
     * not of a grid fitted to the block. */
    double F = S * growth, kmax = 0.0;
    for (size_t i = 0; i < n; i++)
        kmax = fmax(kmax, fabs(log(F / K[i])));
    eval_cols c;
    double dth[EVAL_BLOCK];
    for (size_t b = 0; b < n; b += EVAL_BLOCK) {
        size_t mm = n - b < EVAL_BLOCK ? n - b : EVAL_BLOCK;
        qpm__sv_out so = {c.p,
                          c.d,
                          o.gamma != NULL ? c.g : NULL,
                          o.vega_v0 != NULL || o.vega_parallel != NULL ? c.v0 : NULL,
                          o.vega_parallel != NULL ? dth : NULL,
                          o.theta != NULL ? c.th : NULL,
                          {NULL},
                          NULL,
                          0,
                          kmax};
        st = qpm__sv_chain(&m, S, r, q, mm, K + b, type + b, &so);
        if (st != QPM_OK)
            return st;
        if (o.vega_parallel != NULL)
            for (size_t i = 0; i < mm; i++)
                c.vp[i] = 2.0 * sqrt(m.v0) * c.v0[i] + 2.0 * sqrt(m.theta) * dth[i];
        eval_store(&o, settle, S, growth, b, mm, &c);
    }
    return check_eval_range(n, K, &o);
}

qpm_status qpm_merton_eval(double sigma, const qpm_jumps *j, qpm_settlement settle, double S,
                           double T, double r, double q, size_t n, const double *K,
                           const int32_t *type, const qpm_model_out *out)
{
    qpm_model_out o;
    QPM__CHECK_NULL(type, "type");
    qpm_status st = check_merton(sigma, j, S, T, r, q, n, K, type);
    if (st == QPM_OK)
        st = read_out(out, settle, &o);
    if (st != QPM_OK)
        return st;
    double growth = exp((r - q) * T);
    eval_cols c;
    for (size_t b = 0; b < n; b += EVAL_BLOCK) {
        size_t mm = n - b < EVAL_BLOCK ? n - b : EVAL_BLOCK;
        for (size_t i = 0; i < mm; i++) {
            size_t k = b + i;
            /* dV/d(sigma^2) from its own series terms K F_n/K n(d1) T /
             * (2 s_n), not dV/dsigma / (2 sigma) (sigma may be 0) */
            c.th[i] = 0.0;
            qpm__merton_one(S, K[k], T, r, q, sigma, j->lambda, j->mu, j->delta, type[k], c.p + i,
                            c.d + i, c.g + i, c.vp + i, c.v0 + i,
                            o.theta != NULL ? c.th + i : NULL);
        }
        eval_store(&o, settle, S, growth, b, mm, &c);
    }
    return check_eval_range(n, K, &o);
}

qpm_status qpm_heston_smile_settle(const qpm_heston *h, const qpm_jumps *j, qpm_settlement settle,
                                   double S, double T, double r, double q, size_t n,
                                   const double *K, double *price, double *iv, int32_t *status)
{
    if (settle != QPM_SETTLE_LINEAR && settle != QPM_SETTLE_INVERSE)
        return qpm__fail(QPM_E_INVALID,
                         "settle = %d: must be QPM_SETTLE_LINEAR (0) or QPM_SETTLE_INVERSE (1)",
                         (int)settle);
    smile_model sm = {0};
    qpm_status st = check_sv(h, j, S, T, r, q, n, K, NULL, &sm.sv);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(iv, "iv");
    return smile(&sm, S, T, r, q, n, K, price, iv, status, settle == QPM_SETTLE_INVERSE);
}
