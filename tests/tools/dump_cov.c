/* qpm_dump, family "cov": returns from prices; every estimator with its
 * covariance, correlation, volatility, mean, shrinkage and row count on the
 * reference returns (T = 500, N = 20) and on generated T < N data;
 * streaming pushes; the NaN policies; nearest correlation; PSD checks;
 * settings; and the errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static double *load_matrix(const char *file, size_t *rows, size_t *cols)
{
    dump_csv *c = dump_csv_load(file);
    double *m = dump_alloc(c->nrows * c->ncols * sizeof *m);
    for (size_t r = 0; r < c->nrows; r++)
        for (size_t j = 0; j < c->ncols; j++)
            m[r * c->ncols + j] = dump_csv_num(c, r, j);
    *rows = c->nrows;
    *cols = c->ncols;
    dump_csv_free(c);
    return m;
}

/* Every getter of the handle, each with its status. */
static void dump_estimate(qpm_cov *c, const char *name, size_t n)
{
    char nm[DUMP_NAME];
    double *m = dump_alloc(n * n * sizeof *m);
    double s;
    size_t nobs = 0;
    dump_fill(m, n * n);
    dump_status(dump_name(nm, "%s.covariance", name), qpm_cov_covariance(c, m, n));
    dump_f64s(nm, n * n, m, 1);
    dump_fill(m, n * n);
    dump_status(dump_name(nm, "%s.correlation", name), qpm_cov_correlation(c, m, n));
    dump_f64s(nm, n * n, m, 1);
    dump_fill(m, n);
    dump_status(dump_name(nm, "%s.volatility", name), qpm_cov_volatility(c, m));
    dump_f64s(nm, n, m, 1);
    dump_fill(m, n);
    dump_status(dump_name(nm, "%s.mean", name), qpm_cov_mean(c, m));
    dump_f64s(nm, n, m, 1);
    s = dump_sentinel();
    dump_status(dump_name(nm, "%s.shrinkage", name), qpm_cov_shrinkage(c, &s));
    dump_f64k(nm, "value", s);
    dump_status(dump_name(nm, "%s.nobs", name), qpm_cov_nobs(c, &nobs));
    dump_u64k(nm, "value", nobs);
    free(m);
}

struct config {
    const char *tag;
    int n_set;
    qpm_cov_key key[4];
    double value[4];
};

static const struct config configs[] = {
    {"sample", 0, {0}, {0}},
    {"sample_ddof0", 1, {QPM_COV_DDOF}, {0}},
    {"sample_ddof5", 1, {QPM_COV_DDOF}, {5}},
    {"ewma", 1, {QPM_COV_METHOD}, {QPM_COV_EWMA}},
    {"ewma_097_30",
     3,
     {QPM_COV_METHOD, QPM_COV_LAMBDA, QPM_COV_EWMA_INIT_ROWS},
     {QPM_COV_EWMA, 0.97, 30}},
    {"ewma_init5", 2, {QPM_COV_METHOD, QPM_COV_EWMA_INIT_ROWS}, {QPM_COV_EWMA, 5}},
    {"lw_identity", 1, {QPM_COV_METHOD}, {QPM_COV_LEDOIT_WOLF}},
    {"lw_constcorr",
     2,
     {QPM_COV_METHOD, QPM_COV_TARGET},
     {QPM_COV_LEDOIT_WOLF, QPM_COV_TARGET_CONSTANT_CORRELATION}},
    {"oas", 1, {QPM_COV_METHOD}, {QPM_COV_OAS}},
    {"semi", 1, {QPM_COV_METHOD}, {QPM_COV_SEMI}},
    {"semi_b001", 2, {QPM_COV_METHOD, QPM_COV_BENCHMARK}, {QPM_COV_SEMI, 0.001}},
    {"sample_annual252", 2, {QPM_COV_ANNUALISE, QPM_COV_PERIODS_PER_YEAR}, {1, 252}},
    {"lw_annual", 2, {QPM_COV_METHOD, QPM_COV_ANNUALISE}, {QPM_COV_LEDOIT_WOLF, 1}},
};
#define N_CONFIGS (sizeof configs / sizeof configs[0])

static qpm_cov *configured(const char *name, size_t n, const struct config *cf)
{
    char nm[DUMP_NAME];
    qpm_cov *c = NULL;
    if (dump_status(dump_name(nm, "%s.create", name), qpm_cov_create(&c, NULL, n)) != QPM_OK)
        return NULL;
    for (int k = 0; k < cf->n_set; k++)
        dump_status(dump_name(nm, "%s.set%d", name, k), qpm_cov_set(c, cf->key[k], cf->value[k]));
    return c;
}

/* every config fitted on t x n returns (leading dimension ld) */
static void fit_all(const char *set, const double *x, size_t t, size_t n, size_t ld)
{
    char nm[DUMP_NAME];
    for (size_t k = 0; k < N_CONFIGS; k++) {
        dump_name(nm, "cov.%s.%s", set, configs[k].tag);
        qpm_cov *c = configured(nm, n, &configs[k]);
        if (c == NULL)
            continue;
        char fn[DUMP_NAME];
        dump_status(dump_name(fn, "%s.fit", nm), qpm_cov_fit(c, t, x, ld));
        dump_estimate(c, nm, n);
        qpm_cov_free(c);
    }
}

static void prices_and_returns(const double *ret, size_t t, size_t n)
{
    char nm[DUMP_NAME];
    size_t tp = t + 1;
    double *p = dump_alloc(tp * n * sizeof *p), *out = dump_alloc(t * n * sizeof *out);
    for (size_t j = 0; j < n; j++) {
        p[j] = 100.0 * (double)(j + 1);
        for (size_t r = 0; r < t; r++)
            p[(r + 1) * n + j] = p[r * n + j] * exp(ret[r * n + j]);
    }
    static const char *kt[2] = {"log", "simple"};
    for (int kind = 0; kind < 2; kind++) {
        dump_fill(out, t * n);
        dump_status(dump_name(nm, "cov.returns_from_prices.%s", kt[kind]),
                    qpm_cov_returns_from_prices(tp, n, p, n, (qpm_cov_returns_kind)kind, out, n));
        dump_f64s(nm, t * n, out, 1);
        /* in place, on the first 51 rows */
        double *q = dump_alloc(51 * n * sizeof *q);
        memcpy(q, p, 51 * n * sizeof *q);
        dump_status(dump_name(nm, "cov.returns_from_prices.%s_inplace", kt[kind]),
                    qpm_cov_returns_from_prices(51, n, q, n, (qpm_cov_returns_kind)kind, q, n));
        dump_f64s(nm, 50 * n, q, 1);
        free(q);

        qpm_cov *c = NULL;
        if (qpm_cov_create(&c, NULL, n) == QPM_OK) {
            dump_status(dump_name(nm, "cov.fit_prices.%s.set", kt[kind]),
                        qpm_cov_set(c, QPM_COV_RETURNS, kind));
            dump_status(dump_name(nm, "cov.fit_prices.%s.fit", kt[kind]),
                        qpm_cov_fit_prices(c, tp, p, n));
            dump_estimate(c, dump_name(nm, "cov.fit_prices.%s", kt[kind]), n);
            qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF);
            dump_status(dump_name(nm, "cov.fit_prices.%s.fit_again", kt[kind]),
                        qpm_cov_fit_prices(c, tp - 100, p + 100 * n, n));
            dump_estimate(c, dump_name(nm, "cov.fit_prices.%s.lw", kt[kind]), n);
            qpm_cov_free(c);
        }
    }
    free(p);
    free(out);
}

static void streaming(const double *x, size_t t, size_t n)
{
    char nm[DUMP_NAME];
    qpm_cov *c = NULL;
    if (dump_status("cov.stream.create", qpm_cov_create(&c, NULL, n)) != QPM_OK)
        return;
    static const size_t snaps[] = {1, 2, 3, 19, 20, 21, 100, 500};
    size_t next = 0;
    dump_status("cov.stream.reset", qpm_cov_reset(c));
    for (size_t r = 0; r < t; r++) {
        qpm_status st = qpm_cov_push(c, x + r * n);
        if (st != QPM_OK || (next < 8 && r + 1 == snaps[next])) {
            dump_status(dump_name(nm, "cov.stream.push%zu", r + 1), st);
            dump_estimate(c, nm, n);
            next++;
        }
    }
    static const double methods[] = {QPM_COV_LEDOIT_WOLF, QPM_COV_OAS, QPM_COV_EWMA, QPM_COV_SEMI,
                                     QPM_COV_SAMPLE};
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
        dump_status(dump_name(nm, "cov.stream.method%zu", k),
                    qpm_cov_set(c, QPM_COV_METHOD, methods[k]));
        dump_estimate(c, nm, n);
    }
    qpm_cov_set(c, QPM_COV_DDOF, 0);
    dump_estimate(c, "cov.stream.ddof0", n);
    qpm_cov_free(c);

    /* fit on the first 300 rows, then push the other 200 */
    static const double fm[] = {QPM_COV_SAMPLE, QPM_COV_OAS, QPM_COV_EWMA, QPM_COV_LEDOIT_WOLF};
    for (size_t k = 0; k < sizeof fm / sizeof fm[0]; k++) {
        if (qpm_cov_create(&c, NULL, n) != QPM_OK)
            continue;
        qpm_cov_set(c, QPM_COV_METHOD, fm[k]);
        dump_status(dump_name(nm, "cov.fit_push%zu.fit", k), qpm_cov_fit(c, 300, x, n));
        qpm_status st = QPM_OK;
        for (size_t r = 300; r < t && st == QPM_OK; r++)
            st = qpm_cov_push(c, x + r * n);
        dump_status(dump_name(nm, "cov.fit_push%zu.push", k), st);
        dump_estimate(c, dump_name(nm, "cov.fit_push%zu", k), n);
        qpm_cov_free(c);
    }
}

static void nan_policies(const double *x, size_t t, size_t n)
{
    char nm[DUMP_NAME];
    double *y = dump_alloc(t * n * sizeof *y);
    memcpy(y, x, t * n * sizeof *y);
    for (size_t k = 0; k < 40; k++)
        y[((7 * k + 3) % t) * n + (3 * k) % n] = (double)NAN;
    static const struct {
        const char *tag;
        double policy, method;
    } cases[] = {
        {"error_sample", QPM_COV_NAN_ERROR, QPM_COV_SAMPLE},
        {"drop_sample", QPM_COV_NAN_DROP_ROWS, QPM_COV_SAMPLE},
        {"drop_lw", QPM_COV_NAN_DROP_ROWS, QPM_COV_LEDOIT_WOLF},
        {"drop_oas", QPM_COV_NAN_DROP_ROWS, QPM_COV_OAS},
        {"drop_ewma", QPM_COV_NAN_DROP_ROWS, QPM_COV_EWMA},
        {"drop_semi", QPM_COV_NAN_DROP_ROWS, QPM_COV_SEMI},
        {"pairwise_sample", QPM_COV_NAN_PAIRWISE, QPM_COV_SAMPLE},
        {"pairwise_semi", QPM_COV_NAN_PAIRWISE, QPM_COV_SEMI},
        {"pairwise_lw", QPM_COV_NAN_PAIRWISE, QPM_COV_LEDOIT_WOLF},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        qpm_cov *c = NULL;
        if (qpm_cov_create(&c, NULL, n) != QPM_OK)
            continue;
        qpm_cov_set(c, QPM_COV_NAN_POLICY, cases[k].policy);
        qpm_cov_set(c, QPM_COV_METHOD, cases[k].method);
        dump_status(dump_name(nm, "cov.nan.%s.fit", cases[k].tag), qpm_cov_fit(c, t, y, n));
        dump_estimate(c, dump_name(nm, "cov.nan.%s", cases[k].tag), n);
        /* a row with a NaN pushed after the fit */
        dump_status(dump_name(nm, "cov.nan.%s.push_nan", cases[k].tag), qpm_cov_push(c, y + 3 * n));
        dump_status(dump_name(nm, "cov.nan.%s.push", cases[k].tag), qpm_cov_push(c, x));
        dump_estimate(c, dump_name(nm, "cov.nan.%s.after_push", cases[k].tag), n);
        qpm_cov_free(c);
    }
    free(y);

    /* few common rows per pair and opposite co-movements: the pairwise
     * estimate is indefinite and gets the PSD repair */
    enum { T = 10, N = 6 };
    double z[T * N];
    dump_rand rg = {0x70616972ull};
    for (size_t r = 0; r < T; r++) {
        double f = dump_rand_normal(&rg);
        for (size_t j = 0; j < N; j++) {
            double sgn = (r + j) % 2 ? 1.0 : -1.0;
            z[r * N + j] = 0.02 * (sgn * f + 0.3 * dump_rand_normal(&rg));
            if ((r + j) % 3 == 0)
                z[r * N + j] = (double)NAN;
        }
    }
    static const double pm[2] = {QPM_COV_SAMPLE, QPM_COV_SEMI};
    for (int k = 0; k < 2; k++) {
        qpm_cov *c = NULL;
        if (qpm_cov_create(&c, NULL, N) != QPM_OK)
            continue;
        qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE);
        qpm_cov_set(c, QPM_COV_METHOD, pm[k]);
        dump_status(dump_name(nm, "cov.nan.repair%d.fit", k), qpm_cov_fit(c, T, z, N));
        dump_estimate(c, dump_name(nm, "cov.nan.repair%d", k), N);
        qpm_cov_free(c);
    }
}

static void matrices(const double *x, size_t t, size_t n)
{
    char nm[DUMP_NAME];
    double *a = dump_alloc(n * n * sizeof *a), *out = dump_alloc(n * n * sizeof *out);
    double *w = dump_alloc(n * sizeof *w);
    qpm_cov *c = NULL;
    if (qpm_cov_create(&c, NULL, n) != QPM_OK || qpm_cov_fit(c, t, x, n) != QPM_OK ||
        qpm_cov_correlation(c, a, n) != QPM_OK)
        dump_die("cov: the reference correlation could not be formed: %s", qpm_last_error());
    double *cov = dump_alloc(n * n * sizeof *cov);
    qpm_cov_covariance(c, cov, n);
    qpm_cov_free(c);
    /* perturbed off the diagonal, not symmetric: indefinite */
    for (size_t i = 0; i < n; i++) {
        w[i] = 1.0 + (double)i / 10.0;
        for (size_t j = 0; j < n; j++)
            if (i != j)
                a[i * n + j] = fmax(-1.0, fmin(1.0, a[i * n + j] + 0.4 * sin((double)(i + 2 * j))));
    }
    static const struct {
        const char *tag;
        int weighted;
        double tol;
        size_t maxiter;
    } nc[] = {{"plain", 0, 1e-12, 500},
              {"weighted", 1, 1e-12, 500},
              {"loose", 0, 1e-4, 500},
              {"maxiter5", 1, 1e-14, 5}};
    for (size_t k = 0; k < sizeof nc / sizeof nc[0]; k++) {
        size_t iters = 0;
        int conv = -1;
        dump_fill(out, n * n);
        dump_status(dump_name(nm, "cov.nearest.%s", nc[k].tag),
                    qpm_cov_nearest_correlation(NULL, n, a, n, nc[k].weighted ? w : NULL, nc[k].tol,
                                                nc[k].maxiter, out, n, &iters, &conv));
        dump_u64k(nm, "iters", iters);
        dump_i64k(nm, "converged", conv);
        dump_f64s(dump_name(nm, "cov.nearest.%s.out", nc[k].tag), n * n, out, 1);
    }
    /* singular: v v' */
    double *sing = dump_alloc(n * n * sizeof *sing);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            sing[i * n + j] = (1.0 + (double)i) * (1.0 + (double)j) * 1e-3;
    const double *mats[3] = {cov, a, sing};
    static const char *mt[3] = {"sample", "perturbed", "singular"};
    static const double tols[3] = {0.0, 1e-3, 10.0};
    for (int m = 0; m < 3; m++) {
        double l = dump_sentinel();
        dump_status(dump_name(nm, "cov.min_eigenvalue.%s", mt[m]),
                    qpm_cov_min_eigenvalue(NULL, n, mats[m], n, &l));
        dump_f64k(nm, "value", l);
        for (int k = 0; k < 3; k++) {
            l = dump_sentinel();
            dump_status(dump_name(nm, "cov.check_psd.%s.%d", mt[m], k),
                        qpm_cov_check_psd(NULL, n, mats[m], n, tols[k], &l));
            dump_f64k(nm, "value", l);
        }
    }
    /* errors of the stateless functions */
    size_t it;
    int cv;
    dump_status("cov.err.nearest_tol0",
                qpm_cov_nearest_correlation(NULL, n, a, n, NULL, 0.0, 10, out, n, &it, &cv));
    dump_status("cov.err.nearest_maxiter0",
                qpm_cov_nearest_correlation(NULL, n, a, n, NULL, 1e-8, 0, out, n, &it, &cv));
    w[4] = 0.0;
    dump_status("cov.err.nearest_weight0",
                qpm_cov_nearest_correlation(NULL, n, a, n, w, 1e-8, 10, out, n, &it, &cv));
    dump_status("cov.err.nearest_lda",
                qpm_cov_nearest_correlation(NULL, n, a, n - 1, NULL, 1e-8, 10, out, n, &it, &cv));
    a[5] = (double)NAN;
    dump_status("cov.err.nearest_nan",
                qpm_cov_nearest_correlation(NULL, n, a, n, NULL, 1e-8, 10, out, n, &it, &cv));
    double l;
    dump_status("cov.err.min_eigenvalue_nan", qpm_cov_min_eigenvalue(NULL, n, a, n, &l));
    dump_status("cov.err.check_psd_tol", qpm_cov_check_psd(NULL, n, cov, n, -1.0, &l));
    dump_status("cov.err.min_eigenvalue_n0", qpm_cov_min_eigenvalue(NULL, 0, cov, n, &l));
    free(a);
    free(out);
    free(w);
    free(cov);
    free(sing);
}

static void settings_and_errors(const double *x, size_t t, size_t n)
{
    char nm[DUMP_NAME];
    for (int key = -1; key <= 10; key++) {
        double lo = dump_sentinel(), hi = dump_sentinel();
        dump_status(dump_name(nm, "cov.bounds.%d", key),
                    qpm_cov_bounds((qpm_cov_key)key, &lo, &hi));
        dump_f64k(nm, "lo", lo);
        dump_f64k(nm, "hi", hi);
    }
    qpm_cov *c = NULL;
    if (qpm_cov_create(&c, NULL, n) != QPM_OK)
        return;
    for (int key = -1; key <= 10; key++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "cov.get.%d", key), qpm_cov_get(c, (qpm_cov_key)key, &v));
        dump_f64k(nm, "value", v);
    }
    static const struct {
        int key;
        double v;
    } sets[] = {{0, 5},   {0, 1.5}, {1, -1},          {1, 0.5},
                {2, 1.0}, {2, 0.0}, {2, (double)NAN}, {3, 1},
                {4, 2},   {5, 3},   {7, 0},           {8, 2},
                {9, 2},   {99, 1},  {-1, 1},          {6, (double)INFINITY},
                {1, 3},   {2, 0.5}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "cov.set.%zu", k),
                    qpm_cov_set(c, (qpm_cov_key)sets[k].key, sets[k].v));
        qpm_cov_get(c, (qpm_cov_key)sets[k].key, &v);
        dump_f64k(nm, "get", v);
    }
    qpm_cov_free(c);

    c = NULL;
    dump_status("cov.err.create_n0", qpm_cov_create(&c, NULL, 0));
    if (qpm_cov_create(&c, NULL, n) != QPM_OK)
        return;
    double m[4];
    dump_status("cov.err.getter_before_fit", qpm_cov_covariance(c, m, n));
    dump_status("cov.err.mean_before_fit", qpm_cov_mean(c, m));
    dump_status("cov.err.fit_t1", qpm_cov_fit(c, 1, x, n));
    dump_status("cov.err.fit_ld", qpm_cov_fit(c, t, x, n - 1));
    dump_status("cov.err.fit_null", qpm_cov_fit(c, t, NULL, n));
    double *y = dump_alloc(t * n * sizeof *y);
    memcpy(y, x, t * n * sizeof *y);
    y[37 * n + 11] = (double)INFINITY;
    dump_status("cov.err.fit_inf", qpm_cov_fit(c, t, y, n));
    y[37 * n + 11] = (double)NAN;
    dump_status("cov.err.fit_nan", qpm_cov_fit(c, t, y, n));
    y[37 * n + 11] = 1e308;
    y[38 * n + 11] = 1e308;
    dump_status("cov.err.fit_overflow", qpm_cov_fit(c, t, y, n));
    qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_EWMA);
    dump_status("cov.err.ewma_few_rows", qpm_cov_fit(c, 10, x, n));
    qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF);
    qpm_cov_set(c, QPM_COV_TARGET, QPM_COV_TARGET_CONSTANT_CORRELATION);
    memcpy(y, x, t * n * sizeof *y);
    for (size_t r = 0; r < t; r++)
        y[r * n + 6] = 0.01;
    dump_status("cov.err.constcorr_zero_var", qpm_cov_fit(c, t, y, n));
    dump_status("cov.err.getter_after_failed_fit", qpm_cov_covariance(c, y, n));
    qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE);
    dump_status("cov.err.fit_constant_asset", qpm_cov_fit(c, t, y, n));
    dump_status("cov.err.correlation_zero_var", qpm_cov_correlation(c, y, n));
    dump_status("cov.err.covariance_ld", qpm_cov_covariance(c, y, n - 1));
    qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE);
    dump_status("cov.err.pairwise_fit", qpm_cov_fit(c, t, x, n));
    dump_status("cov.err.push_after_pairwise", qpm_cov_push(c, x));
    qpm_cov_free(c);

    double p[6] = {100, 101, 0, 99, 102, 103}, r[6];
    dump_status("cov.err.returns_zero_price", qpm_cov_returns_from_prices(3, 2, p, 2, 0, r, 2));
    p[2] = -(double)INFINITY;
    dump_status("cov.err.returns_inf", qpm_cov_returns_from_prices(3, 2, p, 2, 0, r, 2));
    p[2] = 98;
    dump_status("cov.err.returns_kind", qpm_cov_returns_from_prices(3, 2, p, 2, 2, r, 2));
    dump_status("cov.err.returns_t1", qpm_cov_returns_from_prices(1, 2, p, 2, 0, r, 2));
    dump_status("cov.err.returns_ld", qpm_cov_returns_from_prices(3, 2, p, 1, 0, r, 2));
    p[3] = (double)NAN;
    dump_fill(r, 6);
    dump_status("cov.returns_nan_price", qpm_cov_returns_from_prices(3, 2, p, 2, 0, r, 2));
    dump_f64s("cov.returns_nan_price", 4, r, 1);
    free(y);
}

void dump_cov(void)
{
    size_t t, n;
    double *x = load_matrix("returns_public_t500_n20.csv", &t, &n);
    fit_all("ref", x, t, n, n);
    /* a leading dimension above n */
    double *xp = dump_alloc(t * (n + 3) * sizeof *xp);
    for (size_t r = 0; r < t; r++)
        for (size_t j = 0; j < n + 3; j++)
            xp[r * (n + 3) + j] = j < n ? x[r * n + j] : (double)NAN;
    qpm_cov *c = NULL;
    if (qpm_cov_create(&c, NULL, n) == QPM_OK) {
        dump_status("cov.ref_ld23.fit", qpm_cov_fit(c, t, xp, n + 3));
        dump_estimate(c, "cov.ref_ld23", n);
        qpm_cov_free(c);
    }
    free(xp);

    /* T < N: 12 rows of 30 assets, one common factor */
    enum { TS = 12, NS = 30 };
    double *s = dump_alloc(TS * NS * sizeof *s);
    dump_rand rg = {0x736d616c6cull};
    for (size_t r = 0; r < TS; r++) {
        double f = dump_rand_normal(&rg);
        for (size_t j = 0; j < NS; j++)
            s[r * NS + j] = 0.01 * f + 0.02 * (1.0 + (double)j / NS) * dump_rand_normal(&rg);
    }
    fit_all("small", s, TS, NS, NS);
    free(s);

    prices_and_returns(x, t, n);
    streaming(x, t, n);
    nan_policies(x, t, n);
    matrices(x, t, n);
    settings_and_errors(x, t, n);
    free(x);
}
