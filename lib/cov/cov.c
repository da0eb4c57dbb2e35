/* The qpm_cov handle: creation, settings, getters and the derivation of the
 * estimate from the stream state. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "cov_internal.h"
#include "cov_syrk.h"

#define QPM__COV_MAX_N 2147483647u
/* Whole-number settings stay exact in a double up to 2^52. */
#define QPM__COV_INT_MAX 4503599627370496.0

struct key_info {
    double lo, hi, def;
    int integer;
    const char *name;
};

static int key_info(qpm_cov_key key, struct key_info *k)
{
    switch (key) {
    case QPM_COV_METHOD:
        *k = (struct key_info){0, QPM_COV_SEMI, QPM_COV_SAMPLE, 1, "QPM_COV_METHOD"};
        return 1;
    case QPM_COV_DDOF:
        *k = (struct key_info){0, QPM__COV_INT_MAX, 1, 1, "QPM_COV_DDOF"};
        return 1;
    case QPM_COV_LAMBDA:
        *k = (struct key_info){0x1p-1074, 0x1.fffffffffffffp-1, 0.94, 0, "QPM_COV_LAMBDA"};
        return 1;
    case QPM_COV_EWMA_INIT_ROWS:
        *k = (struct key_info){2, QPM__COV_INT_MAX, 20, 1, "QPM_COV_EWMA_INIT_ROWS"};
        return 1;
    case QPM_COV_TARGET:
        *k = (struct key_info){0, QPM_COV_TARGET_CONSTANT_CORRELATION, QPM_COV_TARGET_IDENTITY, 1,
                               "QPM_COV_TARGET"};
        return 1;
    case QPM_COV_NAN_POLICY:
        *k = (struct key_info){0, QPM_COV_NAN_PAIRWISE, QPM_COV_NAN_ERROR, 1,
                               "QPM_COV_NAN_POLICY"};
        return 1;
    case QPM_COV_BENCHMARK:
        *k = (struct key_info){-DBL_MAX, DBL_MAX, 0.0, 0, "QPM_COV_BENCHMARK"};
        return 1;
    case QPM_COV_PERIODS_PER_YEAR:
        *k = (struct key_info){DBL_MIN, 1e12, 365.0, 0, "QPM_COV_PERIODS_PER_YEAR"};
        return 1;
    case QPM_COV_ANNUALISE:
        *k = (struct key_info){0, 1, 0, 1, "QPM_COV_ANNUALISE"};
        return 1;
    case QPM_COV_RETURNS:
        *k = (struct key_info){0, QPM_COV_SIMPLE_RETURNS, QPM_COV_LOG_RETURNS, 1,
                               "QPM_COV_RETURNS"};
        return 1;
    }
    return 0;
}

static const char *method_name(int m)
{
    static const char *const names[] = {"QPM_COV_SAMPLE", "QPM_COV_EWMA", "QPM_COV_LEDOIT_WOLF",
                                        "QPM_COV_OAS", "QPM_COV_SEMI"};
    return m >= 0 && m <= QPM_COV_SEMI ? names[m] : "?";
}

qpm_status qpm_cov_bounds(qpm_cov_key key, double *lo, double *hi)
{
    QPM__CHECK_NULL(lo, "lo");
    QPM__CHECK_NULL(hi, "hi");
    struct key_info k;
    if (!key_info(key, &k))
        return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_cov_key", (int)key);
    *lo = k.lo;
    *hi = k.hi;
    return QPM_OK;
}

void qpm_cov_free(qpm_cov *c)
{
    if (c == NULL)
        return;
    qpm_alloc a = c->alloc;
    qpm__afree(&a, c->mean);
    qpm__afree(&a, c->v3);
    qpm__afree(&a, c->tmp);
    qpm__afree(&a, c->mom);
    qpm__afree(&a, c->ew);
    qpm__afree(&a, c->est);
    qpm__afree(&a, c->blk);
    qpm__afree(&a, c->aux1);
    qpm__afree(&a, c->aux2);
    qpm__afree(&a, c->blk2);
    qpm__afree(&a, c->blk3);
    qpm__cov_eig_free(&c->eig, &a);
    qpm__afree(&a, c->ret);
    qpm__free(&a, c->drop);
    qpm__free(&a, c);
}

qpm_status qpm_cov_create(qpm_cov **out, const qpm_alloc *alloc, size_t n_assets)
{
    QPM__CHECK_NULL(out, "out");
    *out = NULL;
    if (n_assets == 0)
        return qpm__fail(QPM_E_SIZE, "n_assets = 0: must be >= 1");
    if (n_assets > QPM__COV_MAX_N)
        return qpm__fail(QPM_E_SIZE, "n_assets = %zu: must be <= %u", n_assets, QPM__COV_MAX_N);
    qpm_alloc a;
    qpm_status st = qpm__alloc_init(&a, alloc);
    if (st != QPM_OK)
        return st;
    if ((st = qpm__linalg_load()) != QPM_OK)
        return st;
    qpm_cov *c = qpm__calloc(&a, 1, sizeof *c);
    if (c == NULL)
        return QPM_E_NOMEM;
    c->alloc = a;
    size_t n = n_assets;
    c->n = n;
    c->method = QPM_COV_SAMPLE;
    c->target = QPM_COV_TARGET_IDENTITY;
    c->nan_policy = QPM_COV_NAN_ERROR;
    c->returns_kind = QPM_COV_LOG_RETURNS;
    c->ddof = 1;
    c->init_rows = 20;
    c->lambda = 0.94;
    c->periods = 365.0;
    if (n > SIZE_MAX / sizeof(double) / n / 4)
        goto nomem;
    c->mean = qpm__acalloc(&a, n, sizeof(double));
    c->v3 = qpm__acalloc(&a, n, sizeof(double));
    /* tmp holds four n-vectors and the EWMA block weights. */
    c->tmp = qpm__acalloc(&a, 4 * n + QPM__COV_BLOCK, sizeof(double));
    if (!c->mean || !c->v3 || !c->tmp)
        goto nomem;
    c->tmp2 = c->tmp + n;
    c->tmp3 = c->tmp + 2 * n;
    c->tmp4 = c->tmp + 3 * n;
    c->wtab = c->tmp + 4 * n;
    c->mom = qpm__acalloc(&a, n * n, sizeof(double));
    c->ew = c->mom ? qpm__acalloc(&a, n * n, sizeof(double)) : NULL;
    c->est = c->ew ? qpm__acalloc(&a, n * n, sizeof(double)) : NULL;
    /* blk also holds a chunk of packed panels (cov_syrk.h), a little larger */
    c->blk = c->est ? qpm__acalloc(&a, qpm__cov_syrk_size(n), sizeof(double)) : NULL;
    if (!c->blk)
        goto nomem;
    c->have_mom = c->have_ew = 1; /* an empty stream */
    *out = c;
    return QPM_OK;
nomem:
    qpm_cov_free(c);
    return qpm__fail(QPM_E_NOMEM, "cannot allocate a covariance handle for %zu assets", n);
}

qpm_status qpm__cov_need_aux(qpm_cov *c)
{
    if (c->have_aux)
        return QPM_OK;
    size_t n = c->n;
    c->aux1 = qpm__acalloc(&c->alloc, n * n, sizeof(double));
    c->aux2 = c->aux1 ? qpm__acalloc(&c->alloc, n * n, sizeof(double)) : NULL;
    c->blk2 = c->aux2 ? qpm__acalloc(&c->alloc, (size_t)QPM__COV_BLOCK * n, sizeof(double)) : NULL;
    c->blk3 = c->blk2 ? qpm__acalloc(&c->alloc, (size_t)QPM__COV_BLOCK * n, sizeof(double)) : NULL;
    qpm_status st = c->blk3 ? qpm__cov_eig_init(&c->eig, &c->alloc, n) : QPM_E_NOMEM;
    if (st != QPM_OK) {
        qpm__afree(&c->alloc, c->aux1);
        qpm__afree(&c->alloc, c->aux2);
        qpm__afree(&c->alloc, c->blk2);
        qpm__afree(&c->alloc, c->blk3);
        c->aux1 = c->aux2 = c->blk2 = c->blk3 = NULL;
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the covariance workspace for %zu assets",
                         n);
    }
    c->have_aux = 1;
    return QPM_OK;
}

qpm_status qpm_cov_set(qpm_cov *c, qpm_cov_key key, double value)
{
    QPM__CHECK_NULL(c, "c");
    struct key_info k;
    if (!key_info(key, &k))
        return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_cov_key", (int)key);
    if (!(value >= k.lo && value <= k.hi)) {
        if (key == QPM_COV_LAMBDA)
            return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be in (0, 1)", k.name, value);
        return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be in [%.17g, %.17g]", k.name, value,
                         k.lo, k.hi);
    }
    if (k.integer && value != floor(value))
        return qpm__fail(QPM_E_RANGE, "%s = %.17g: must be a whole number", k.name, value);
    int iv = k.integer && value <= 1e9 ? (int)value : 0;
    switch (key) {
    case QPM_COV_METHOD:
        if (iv != c->method)
            c->est_ok = 0;
        c->method = iv;
        break;
    case QPM_COV_DDOF:
        if ((size_t)value != c->ddof && c->method == QPM_COV_SAMPLE)
            c->est_ok = 0;
        c->ddof = (size_t)value;
        break;
    case QPM_COV_LAMBDA:
        /* lambda enters the state only after the seed */
        if (value != c->lambda && c->nobs > c->init_rows) {
            c->have_ew = 0;
            c->est_ok = c->method == QPM_COV_EWMA ? 0 : c->est_ok;
        }
        c->lambda = value;
        break;
    case QPM_COV_EWMA_INIT_ROWS: {
        size_t k0 = (size_t)value;
        if (k0 != c->init_rows && c->nobs >= (k0 < c->init_rows ? k0 : c->init_rows)) {
            c->have_ew = 0;
            c->est_ok = c->method == QPM_COV_EWMA ? 0 : c->est_ok;
        }
        c->init_rows = k0;
        break;
    }
    case QPM_COV_TARGET:
        if (iv != c->target && c->method == QPM_COV_LEDOIT_WOLF)
            c->est_ok = 0;
        c->target = iv;
        break;
    case QPM_COV_NAN_POLICY:
        c->nan_policy = iv;
        break;
    case QPM_COV_BENCHMARK:
        if (value != c->benchmark && c->method == QPM_COV_SEMI)
            c->est_ok = 0;
        c->benchmark = value;
        break;
    case QPM_COV_PERIODS_PER_YEAR:
        c->periods = value;
        break;
    case QPM_COV_ANNUALISE:
        c->annualise = iv;
        break;
    case QPM_COV_RETURNS:
        c->returns_kind = iv;
        break;
    }
    return QPM_OK;
}

qpm_status qpm_cov_get(const qpm_cov *c, qpm_cov_key key, double *value)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(value, "value");
    double v;
    switch (key) {
    case QPM_COV_METHOD: v = c->method; break;
    case QPM_COV_DDOF: v = (double)c->ddof; break;
    case QPM_COV_LAMBDA: v = c->lambda; break;
    case QPM_COV_EWMA_INIT_ROWS: v = (double)c->init_rows; break;
    case QPM_COV_TARGET: v = c->target; break;
    case QPM_COV_NAN_POLICY: v = c->nan_policy; break;
    case QPM_COV_BENCHMARK: v = c->benchmark; break;
    case QPM_COV_PERIODS_PER_YEAR: v = c->periods; break;
    case QPM_COV_ANNUALISE: v = c->annualise; break;
    case QPM_COV_RETURNS: v = c->returns_kind; break;
    default: return qpm__fail(QPM_E_KEY, "key = %d: not a qpm_cov_key", (int)key);
    }
    *value = v;
    return QPM_OK;
}

qpm_status qpm_cov_nobs(const qpm_cov *c, size_t *out)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(out, "out");
    *out = c->nobs;
    return QPM_OK;
}

double qpm__cov_frob2_lower(const double *m, size_t n, size_t ld)
{
    double off = 0.0, diag = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            off += m[i * ld + j] * m[i * ld + j];
        diag += m[i * ld + i] * m[i * ld + i];
    }
    return 2.0 * off + diag;
}

qpm_status qpm__cov_finalize(qpm_cov *c)
{
    if (c->est_ok)
        return QPM_OK;
    size_t n = c->n;
    if (c->nobs == 0)
        return qpm__fail(QPM_E_STATE, "no estimate: call qpm_cov_fit or qpm_cov_push first");
    int batch_only = c->method == QPM_COV_SEMI ||
                     (c->method == QPM_COV_LEDOIT_WOLF &&
                      c->target == QPM_COV_TARGET_CONSTANT_CORRELATION);
    if (batch_only)
        return qpm__fail(QPM_E_STATE, "%s%s is computed by qpm_cov_fit only: fit again",
                         method_name(c->method),
                         c->method == QPM_COV_SEMI ? "" : " with the constant-correlation target");
    if (c->method == QPM_COV_EWMA) {
        if (!c->have_ew)
            return qpm__fail(QPM_E_STATE,
                             "no EWMA state (the last fit was not EWMA, or lambda or the seed "
                             "length changed since): fit again");
        if (c->nobs < c->init_rows)
            return qpm__fail(QPM_E_STATE, "EWMA has %zu rows: needs QPM_COV_EWMA_INIT_ROWS = %zu",
                             c->nobs, c->init_rows);
        memcpy(c->est, c->ew, n * n * sizeof(double));
        c->shrink = 0.0;
        qpm_status st = qpm__cov_check_est(c);
        c->est_ok = st == QPM_OK;
        return st;
    }
    if (!c->have_mom)
        return qpm__fail(QPM_E_STATE, "no co-moments for %s (the last fit was %s): fit again",
                         method_name(c->method),
                         c->have_ew ? "EWMA" : "batch-only or pairwise");
    if (c->nobs < 2)
        return qpm__fail(QPM_E_STATE, "%zu row: %s needs at least 2", c->nobs,
                         method_name(c->method));
    switch (c->method) {
    case QPM_COV_SAMPLE: {
        if (c->nobs <= c->ddof)
            return qpm__fail(QPM_E_STATE, "%zu rows: QPM_COV_SAMPLE with ddof = %zu needs more",
                             c->nobs, c->ddof);
        double f = 1.0 / (double)(c->nobs - c->ddof);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++)
                c->est[i * n + j] = c->mom[i * n + j] * f;
        c->shrink = 0.0;
        break;
    }
    case QPM_COV_LEDOIT_WOLF:
    default: {
        qpm_status st =
            c->method == QPM_COV_LEDOIT_WOLF ? qpm__cov_shrink_lw(c) : qpm__cov_shrink_oas(c);
        if (st != QPM_OK)
            return st;
        break;
    }
    }
    qpm_status st = qpm__cov_check_est(c);
    c->est_ok = st == QPM_OK;
    return st;
}

qpm_status qpm__cov_check_est(const qpm_cov *c)
{
    size_t n = c->n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            if (!isfinite(c->est[i * n + j]))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "%s estimate[%zu][%zu] = %g: beyond the range of double (the "
                                 "returns are too large)",
                                 method_name(c->method), i, j, c->est[i * n + j]);
    if (!isfinite(c->shrink))
        return qpm__fail(QPM_E_OVERFLOW, "%s shrinkage intensity = %g: not finite",
                         method_name(c->method), c->shrink);
    return QPM_OK;
}

static qpm_status check_out(size_t n, const double *out, size_t ld)
{
    QPM__CHECK_NULL(out, "out");
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n_assets = %zu", ld, n);
    return QPM_OK;
}

qpm_status qpm_cov_covariance(qpm_cov *c, double *out, size_t ld)
{
    QPM__CHECK_NULL(c, "c");
    qpm_status st = check_out(c->n, out, ld);
    if (st == QPM_OK)
        st = qpm__cov_finalize(c);
    if (st != QPM_OK)
        return st;
    size_t n = c->n;
    double f = c->annualise ? c->periods : 1.0;
    if (f != 1.0)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++)
                if (!isfinite(c->est[i * n + j] * f))
                    return qpm__fail(QPM_E_OVERFLOW,
                                     "annualised covariance[%zu][%zu] = %g x %g: beyond the "
                                     "range of double",
                                     i, j, c->est[i * n + j], f);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            out[i * ld + j] = out[j * ld + i] = c->est[i * n + j] * f;
    return QPM_OK;
}

qpm_status qpm_cov_correlation(qpm_cov *c, double *out, size_t ld)
{
    QPM__CHECK_NULL(c, "c");
    qpm_status st = check_out(c->n, out, ld);
    if (st == QPM_OK)
        st = qpm__cov_finalize(c);
    if (st != QPM_OK)
        return st;
    size_t n = c->n;
    for (size_t i = 0; i < n; i++)
        if (!(c->est[i * n + i] > 0.0))
            return qpm__fail(QPM_E_SINGULAR, "variance of asset %zu = %g: correlation undefined",
                             i, c->est[i * n + i]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double r = c->est[i * n + j] / qpm__sqrt_prod(c->est[i * n + i], c->est[j * n + j]);
            out[i * ld + j] = out[j * ld + i] = r;
        }
        out[i * ld + i] = 1.0;
    }
    return QPM_OK;
}

qpm_status qpm_cov_volatility(qpm_cov *c, double *out)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(out, "out");
    qpm_status st = qpm__cov_finalize(c);
    if (st != QPM_OK)
        return st;
    double f = c->annualise ? c->periods : 1.0;
    for (size_t i = 0; i < c->n; i++)
        out[i] = qpm__sqrt_prod(c->est[i * c->n + i], f);
    return QPM_OK;
}

qpm_status qpm_cov_mean(qpm_cov *c, double *out)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(out, "out");
    if (c->nobs == 0)
        return qpm__fail(QPM_E_STATE, "no rows: call qpm_cov_fit or qpm_cov_push first");
    double f = c->annualise ? c->periods : 1.0;
    for (size_t i = 0; i < c->n; i++)
        if (!isfinite(c->mean[i] * f))
            return qpm__fail(QPM_E_OVERFLOW,
                             "annualised mean[%zu] = %g x %g: beyond the range of double", i,
                             c->mean[i], f);
    for (size_t i = 0; i < c->n; i++)
        out[i] = c->mean[i] * f;
    return QPM_OK;
}

qpm_status qpm_cov_shrinkage(qpm_cov *c, double *out)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(out, "out");
    qpm_status st = qpm__cov_finalize(c);
    if (st != QPM_OK)
        return st;
    *out = c->shrink;
    return QPM_OK;
}
