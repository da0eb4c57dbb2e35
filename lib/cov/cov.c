/* The qpm_cov handle: creation, settings, getters and the derivation of the
 * estimate from the stream state. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/settings.h"
#include "cov_internal.h"
#include "cov_syrk.h"

#define QPM__COV_MAX_N 2147483647u
/* Whole-number settings stay exact in a double up to 2^52. */
#define QPM__COV_INT_MAX 4503599627370496.0

/* ---- settings ---------------------------------------------------------------- */

/* Each hook forgets the part of the state that the new value makes stale:
 * the estimate (re-derived at the next getter) or the EWMA state (which
 * depends on lambda and the seed length once seeded). */
/* A setting that the method in use reads (`used`) changed: the estimate is
 * stale. */
static qpm_status drop_estimate(qpm_cov *c, int changed, int used)
{
    if (changed && used)
        c->est_ok = 0;
    return QPM_OK;
}

static qpm_status set_method(void *h, double *value)
{
    qpm_cov *c = h;
    return drop_estimate(c, (int)*value != c->method, 1);
}

static qpm_status set_ddof(void *h, double *value)
{
    qpm_cov *c = h;
    return drop_estimate(c, (size_t)*value != c->ddof, c->method == QPM_COV_SAMPLE);
}

static void drop_ewma(qpm_cov *c)
{
    c->have_ew = 0;
    if (c->method == QPM_COV_EWMA)
        c->est_ok = 0;
}

static qpm_status set_lambda(void *h, double *value)
{
    qpm_cov *c = h;
    /* lambda enters the state only after the seed */
    if (*value != c->lambda && c->nobs > c->init_rows)
        drop_ewma(c);
    return QPM_OK;
}

static qpm_status set_init_rows(void *h, double *value)
{
    qpm_cov *c = h;
    size_t k0 = (size_t)*value;
    if (k0 != c->init_rows && c->nobs >= (k0 < c->init_rows ? k0 : c->init_rows))
        drop_ewma(c);
    return QPM_OK;
}

static qpm_status set_target(void *h, double *value)
{
    qpm_cov *c = h;
    return drop_estimate(c, (int)*value != c->target, c->method == QPM_COV_LEDOIT_WOLF);
}

static qpm_status set_benchmark(void *h, double *value)
{
    qpm_cov *c = h;
    return drop_estimate(c, *value != c->benchmark, c->method == QPM_COV_SEMI);
}

/* The co-moment kernel: a row of the table in cov_syrk.h.  Either kernel
 * gives the same co-moments to rounding; a change drops nothing. */
static void use_kernel(qpm_cov *c, const qpm__cov_kernel_row *k)
{
    c->kernel = k->tag.id;
    c->packed = k->packed;
}

/* "auto" is stored as the kernel it chooses, which is what reads return. */
static qpm_status set_kernel(void *h, double *value)
{
    const qpm__cov_kernel_row *row = qpm__cov_kernel((int)*value);
    if (row == NULL)
        return qpm__fail(QPM_E_UNSUPPORTED,
                         "QPM_COV_KERNEL = %d (AVX-512F kernel): not supported by this CPU",
                         (int)*value);
    use_kernel(h, row);
    *value = row->tag.id;
    return QPM_OK;
}

static const char *const kernel_labels[] = {"QPM_COV_KERNEL_AUTO", "QPM_COV_KERNEL_BLAS",
                                            "QPM_COV_KERNEL_AVX512"};
static const char *const target_labels[] = {"QPM_COV_TARGET_IDENTITY",
                                            "QPM_COV_TARGET_CONSTANT_CORRELATION"};
static const char *const nan_labels[] = {"QPM_COV_NAN_ERROR", "QPM_COV_NAN_DROP_ROWS",
                                         "QPM_COV_NAN_PAIRWISE"};
static const char *const returns_labels[] = {"QPM_COV_LOG_RETURNS", "QPM_COV_SIMPLE_RETURNS"};

#define AT(field) offsetof(qpm_cov, field)
static const qpm__setting setting_rows[] = {
    {QPM_COV_METHOD, "QPM_COV_METHOD", QPM__SET_ENUM, 0, 0, QPM_COV_SEMI, QPM_COV_SAMPLE, NULL,
     qpm__cov_method_names, QPM__STORE_INT, AT(method), set_method},
    {QPM_COV_DDOF, "QPM_COV_DDOF", QPM__SET_INTEGER, 0, 0, QPM__COV_INT_MAX, 1, NULL, NULL,
     QPM__STORE_SIZE, AT(ddof), set_ddof},
    {QPM_COV_LAMBDA, "QPM_COV_LAMBDA", QPM__SET_REAL, 0, 0x1p-1074, 0x1.fffffffffffffp-1, 0.94,
     "(0, 1)", NULL, QPM__STORE_DOUBLE, AT(lambda), set_lambda},
    {QPM_COV_EWMA_INIT_ROWS, "QPM_COV_EWMA_INIT_ROWS", QPM__SET_INTEGER, 0, 2, QPM__COV_INT_MAX,
     20, NULL, NULL, QPM__STORE_SIZE, AT(init_rows), set_init_rows},
    {QPM_COV_TARGET, "QPM_COV_TARGET", QPM__SET_ENUM, 0, 0, QPM_COV_TARGET_CONSTANT_CORRELATION,
     QPM_COV_TARGET_IDENTITY, NULL, target_labels, QPM__STORE_INT, AT(target), set_target},
    {QPM_COV_NAN_POLICY, "QPM_COV_NAN_POLICY", QPM__SET_ENUM, 0, 0, QPM_COV_NAN_PAIRWISE,
     QPM_COV_NAN_ERROR, NULL, nan_labels, QPM__STORE_INT, AT(nan_policy), NULL},
    {QPM_COV_BENCHMARK, "QPM_COV_BENCHMARK", QPM__SET_REAL, 0, -DBL_MAX, DBL_MAX, 0.0, NULL, NULL,
     QPM__STORE_DOUBLE, AT(benchmark), set_benchmark},
    {QPM_COV_PERIODS_PER_YEAR, "QPM_COV_PERIODS_PER_YEAR", QPM__SET_REAL, 0, DBL_MIN, 1e12,
     365.0, NULL, NULL, QPM__STORE_DOUBLE, AT(periods), NULL},
    {QPM_COV_ANNUALISE, "QPM_COV_ANNUALISE", QPM__SET_BOOL, 0, 0, 1, 0, NULL, NULL,
     QPM__STORE_INT, AT(annualise), NULL},
    {QPM_COV_RETURNS, "QPM_COV_RETURNS", QPM__SET_ENUM, 0, 0, QPM_COV_SIMPLE_RETURNS,
     QPM_COV_LOG_RETURNS, NULL, returns_labels, QPM__STORE_INT, AT(returns_kind), NULL},
    {QPM_COV_KERNEL, "QPM_COV_KERNEL", QPM__SET_ENUM, 0, QPM_COV_KERNEL_AUTO,
     QPM_COV_KERNEL_AVX512, QPM_COV_KERNEL_AUTO, NULL, kernel_labels, QPM__STORE_INT, AT(kernel),
     set_kernel},
};
#undef AT
static const qpm__settings settings = QPM__SETTINGS("qpm_cov_key", setting_rows);

QPM__SETTINGS_API(cov, qpm_cov_key, settings, "c")

static const char *method_name(int m) { return qpm__cov_method_names[m]; }

/* ---- life cycle ---------------------------------------------------------------- */

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

_Static_assert(offsetof(struct qpm_cov, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_cov_create(qpm_cov **out, const qpm_alloc *alloc, size_t n_assets)
{
    QPM__CHECK_OUT(out);
    if (n_assets == 0)
        return qpm__fail(QPM_E_SIZE, "n_assets = 0: must be >= 1");
    if (n_assets > QPM__COV_MAX_N)
        return qpm__fail(QPM_E_SIZE, "n_assets = %zu: must be <= %u", n_assets, QPM__COV_MAX_N);
    qpm_status st;
    qpm_cov *c = qpm__handle_new(alloc, sizeof *c, qpm__linalg_load, &settings, &st);
    if (c == NULL)
        return st;
    const qpm_alloc *a = &c->alloc;
    size_t n = n_assets;
    c->n = n;
    use_kernel(c, qpm__cov_kernel(QPM_COV_KERNEL_AUTO));
    if (n > SIZE_MAX / sizeof(double) / n / 4)
        goto nomem;
    c->mean = qpm__acalloc(a, n, sizeof(double));
    c->v3 = qpm__acalloc(a, n, sizeof(double));
    /* tmp holds four n-vectors and the EWMA block weights. */
    c->tmp = qpm__acalloc(a, 4 * n + QPM__COV_BLOCK, sizeof(double));
    if (!c->mean || !c->v3 || !c->tmp)
        goto nomem;
    c->tmp2 = c->tmp + n;
    c->tmp3 = c->tmp + 2 * n;
    c->tmp4 = c->tmp + 3 * n;
    c->wtab = c->tmp + 4 * n;
    c->mom = qpm__acalloc(a, n * n, sizeof(double));
    c->ew = c->mom ? qpm__acalloc(a, n * n, sizeof(double)) : NULL;
    c->est = c->ew ? qpm__acalloc(a, n * n, sizeof(double)) : NULL;
    /* blk also holds a chunk of packed panels (cov_syrk.h), a little larger */
    c->blk = c->est ? qpm__acalloc(a, qpm__cov_syrk_size(n), sizeof(double)) : NULL;
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
    if (c->nobs == 0)
        return qpm__fail(QPM_E_STATE, "no estimate: call qpm_cov_fit or qpm_cov_push first");
    const qpm__cov_method *m = &qpm__cov_methods[c->method];
    if (m->finalise == NULL)
        return qpm__fail(QPM_E_STATE, "%s is computed by qpm_cov_fit only: fit again",
                         method_name(c->method));
    qpm_status st = m->finalise(c);
    if (st != QPM_OK)
        return st;
    if (!(m->props & QPM__COV_SHRINKS))
        c->shrink = 0.0;
    st = qpm__cov_check_est(c);
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

/* The start of a vector getter: its arguments, then the estimate. */
static qpm_status vector_getter(qpm_cov *c, const double *out)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(out, "out");
    return qpm__cov_finalize(c);
}

/* The start of a matrix getter: its arguments, then the estimate. */
static qpm_status matrix_getter(qpm_cov *c, const double *out, size_t ld)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(out, "out");
    if (ld < c->n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n_assets = %zu", ld, c->n);
    return qpm__cov_finalize(c);
}

qpm_status qpm_cov_covariance(qpm_cov *c, double *out, size_t ld)
{
    qpm_status st = matrix_getter(c, out, ld);
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
    qpm_status st = matrix_getter(c, out, ld);
    if (st != QPM_OK)
        return st;
    size_t n = c->n;
    for (size_t i = 0; i < n; i++) {
        double v = c->est[i * n + i];
        if (!(v > 0.0))
            return qpm__fail(QPM_E_SINGULAR, "variance of asset %zu = %g: correlation undefined",
                             i, v);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double r = c->est[i * n + j] / qpm__sqrt_prod(c->est[i * n + i], c->est[j * n + j]);
            /* |C_ij| <= sqrt(C_ii C_jj) holds for the estimate up to its
             * rounding (an ulp; 1e-9 was seen with a subnormal variance,
             * which carries fewer digits): a correlation is kept in
             * [-1, 1], as numpy's corrcoef does */
            r = r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r);
            out[i * ld + j] = out[j * ld + i] = r;
        }
        out[i * ld + i] = 1.0;
    }
    return QPM_OK;
}

qpm_status qpm_cov_volatility(qpm_cov *c, double *out)
{
    qpm_status st = vector_getter(c, out);
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
    qpm_status st = vector_getter(c, out);
    if (st != QPM_OK)
        return st;
    *out = c->shrink;
    return QPM_OK;
}
