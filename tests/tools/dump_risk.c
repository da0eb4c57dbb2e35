/* qpm_dump, family "risk": historical VaR/ES with standard errors on the
 * reference loss samples, moments, parametric and Cornish-Fisher VaR of
 * every var_param row, delta-gamma VaR, Monte Carlo scenarios and VaR of
 * the reference book (Gaussian, Student-t with jumps and vol of vol) on 1
 * and 2 threads, historical and filtered historical simulation, progress
 * and cancellation, settings, and the errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static double *load_column(const char *file, const char *col, size_t *n)
{
    dump_csv *c = dump_csv_load(file);
    size_t k = dump_csv_col(c, col);
    double *v = dump_alloc(c->nrows * sizeof *v);
    for (size_t i = 0; i < c->nrows; i++)
        v[i] = dump_csv_num(c, i, k);
    *n = c->nrows;
    dump_csv_free(c);
    return v;
}

static const double alphas[] = {0.5,   0.9,    0.95,   0.975, 0.99, 0.995,
                                0.999, 0.9995, 0.9999, 1e-3,  0.95};
#define NA (sizeof alphas / sizeof alphas[0])

static void var_es(const char *name, size_t n, const double *loss)
{
    char nm[DUMP_NAME];
    double v[NA], e[NA], vs[NA], es[NA];
    dump_fill(v, NA);
    dump_fill(e, NA);
    dump_fill(vs, NA);
    dump_fill(es, NA);
    dump_status(name, qpm_risk_var_es(NULL, n, loss, NA, alphas, v, e, vs, es));
    dump_f64s(dump_name(nm, "%s.var", name), NA, v, 1);
    dump_f64s(dump_name(nm, "%s.es", name), NA, e, 1);
    dump_f64s(dump_name(nm, "%s.var_se", name), NA, vs, 1);
    dump_f64s(dump_name(nm, "%s.es_se", name), NA, es, 1);
}

static void moments(const char *name, size_t n, const double *x)
{
    char nm[DUMP_NAME];
    double m[7];
    dump_fill(m, 7);
    dump_status(dump_name(nm, "%s.moments", name),
                qpm_risk_moments(n, x, &m[0], &m[1], &m[2], &m[3]));
    dump_f64s(nm, 4, m, 1);
    dump_status(dump_name(nm, "%s.central_moments", name),
                qpm_risk_central_moments(n, x, &m[4], &m[5], &m[6]));
    dump_f64s(nm, 3, m + 4, 1);
}

static void statistics(void)
{
    char nm[DUMP_NAME];
    static const char *sets[2] = {"A", "B"};
    for (int s = 0; s < 2; s++) {
        char file[64];
        snprintf(file, sizeof file, "var_losses_public_%s.csv", sets[s]);
        size_t n;
        double *x = load_column(file, "loss", &n);
        var_es(dump_name(nm, "risk.var_es.%s", sets[s]), n, x);
        moments(dump_name(nm, "risk.%s", sets[s]), n, x);
        /* many exact ties */
        for (size_t i = 0; i < n; i++)
            x[i] = 1000.0 * round(x[i] / 1000.0);
        var_es(dump_name(nm, "risk.var_es.%s_ties", sets[s]), n, x);
        moments(dump_name(nm, "risk.%s_ties", sets[s]), n, x);
        var_es(dump_name(nm, "risk.var_es.%s_first7", sets[s]), 7, x);
        var_es(dump_name(nm, "risk.var_es.%s_one", sets[s]), 1, x);
        free(x);
    }
    double cst[5] = {2.5, 2.5, 2.5, 2.5, 2.5};
    moments("risk.constant", 5, cst);
    var_es("risk.var_es.constant", 5, cst);

    dump_csv *c = dump_csv_load("var_param_public.csv");
    size_t n = c->nrows;
    double *mu = dump_alloc(n * sizeof *mu), *sig = dump_alloc(n * sizeof *sig),
           *sk = dump_alloc(n * sizeof *sk), *ku = dump_alloc(n * sizeof *ku),
           *al = dump_alloc(n * sizeof *al), *o = dump_alloc(3 * n * sizeof *o);
    size_t cm = dump_csv_col(c, "mu"), cs = dump_csv_col(c, "sigma"), ck = dump_csv_col(c, "skew"),
           cx = dump_csv_col(c, "exkurt"), ca = dump_csv_col(c, "alpha");
    for (size_t i = 0; i < n; i++) {
        mu[i] = dump_csv_num(c, i, cm);
        sig[i] = dump_csv_num(c, i, cs);
        sk[i] = dump_csv_num(c, i, ck);
        ku[i] = dump_csv_num(c, i, cx);
        al[i] = dump_csv_num(c, i, ca);
    }
    dump_csv_free(c);
    dump_fill(o, 3 * n);
    dump_status("risk.parametric",
                qpm_risk_parametric(n, mu, sig, sk, ku, al, o, o + n, o + 2 * n));
    dump_f64s("risk.parametric.var_normal", n, o, 1);
    dump_f64s("risk.parametric.es_normal", n, o + n, 1);
    dump_f64s("risk.parametric.var_cf", n, o + 2 * n, 1);
    dump_fill(o, 3 * n);
    dump_status("risk.parametric_noskew",
                qpm_risk_parametric(40, mu, sig, NULL, NULL, al, o, NULL, o + 2 * n));
    dump_f64s("risk.parametric_noskew.var_normal", 40, o, 1);
    dump_f64s("risk.parametric_noskew.var_cf", 40, o + 2 * n, 1);
    sig[9] = -1.0;
    dump_status("risk.err.parametric_sigma",
                qpm_risk_parametric(n, mu, sig, sk, ku, al, o, NULL, NULL));
    sig[9] = 0.01;
    al[12] = 1.0;
    dump_status("risk.err.parametric_alpha",
                qpm_risk_parametric(n, mu, sig, sk, ku, al, o, NULL, NULL));
    al[12] = 0.95;
    ku[3] = (double)NAN;
    dump_status("risk.err.parametric_nan",
                qpm_risk_parametric(n, mu, sig, sk, ku, al, o, NULL, NULL));
    free(mu);
    free(sig);
    free(sk);
    free(ku);
    free(al);
    free(o);
}

/* daily covariance of the book's two underlyings: vols 3 % and 4 %, corr 0.7 */
static const double cov2[4] = {9e-4, 0.7 * 0.03 * 0.04, 0.7 * 0.03 * 0.04, 1.6e-3};

static void delta_gamma(qpm_book *b)
{
    char nm[DUMP_NAME];
    double d[2], g[2];
    double buf[3 * 2];
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.delta_usd = buf;
    o.gamma = buf + 2;
    qpm_book_underlying_greeks(b, &o);
    /* gamma_usd = S^2 gamma, with the spots of the reference market */
    dump_csv *mk = dump_csv_load("book_market_public.csv");
    size_t cu = dump_csv_col(mk, "underlying"), ck = dump_csv_col(mk, "kind"),
           cval = dump_csv_col(mk, "value");
    for (size_t u = 0; u < 2; u++) {
        const char *name = "";
        qpm_book_underlying_name(b, u, &name);
        double S = (double)NAN;
        for (size_t i = 0; i < mk->nrows; i++)
            if (strcmp(dump_csv_str(mk, i, cu), name) == 0 &&
                strcmp(dump_csv_str(mk, i, ck), "spot") == 0)
                S = dump_csv_num(mk, i, cval);
        d[u] = buf[u];
        g[u] = S * S * buf[2 + u];
    }
    dump_csv_free(mk);
    static const double hz[2] = {1.0, 10.0}, al[2] = {0.99, 0.95};
    for (int h = 0; h < 2; h++)
        for (int a = 0; a < 2; a++) {
            double vdn = dump_sentinel(), vdg = dump_sentinel(), mom[4];
            dump_fill(mom, 4);
            dump_status(
                dump_name(nm, "risk.delta_gamma.book_h%d_a%d", h, a),
                qpm_risk_delta_gamma(NULL, 2, d, g, cov2, 2, hz[h], al[a], &vdn, &vdg, mom));
            dump_f64k(nm, "var_dn", vdn);
            dump_f64k(nm, "var_dg", vdg);
            dump_f64s(dump_name(nm, "risk.delta_gamma.book_h%d_a%d.moments", h, a), 4, mom, 1);
        }
    /* 20 underlyings on the sample covariance of the reference returns */
    enum { N = 20 };
    size_t t;
    double *x = NULL;
    {
        dump_csv *c = dump_csv_load("returns_public_t500_n20.csv");
        t = c->nrows;
        x = dump_alloc(t * N * sizeof *x);
        for (size_t r = 0; r < t; r++)
            for (size_t j = 0; j < N; j++)
                x[r * N + j] = dump_csv_num(c, r, j);
        dump_csv_free(c);
    }
    double *cv = dump_alloc(N * N * sizeof *cv), dd[N], gg[N];
    qpm_cov *c = NULL;
    if (qpm_cov_create(&c, NULL, N) != QPM_OK || qpm_cov_fit(c, t, x, N) != QPM_OK ||
        qpm_cov_covariance(c, cv, N) != QPM_OK)
        dump_die("risk: the reference covariance could not be formed: %s", qpm_last_error());
    qpm_cov_free(c);
    dump_rand rg = {0x64656c7461ull};
    for (size_t i = 0; i < N; i++) {
        dd[i] = dump_rand_range(&rg, -1e5, 1e5);
        gg[i] = dump_rand_range(&rg, -2e6, 1e6);
    }
    double vdn = dump_sentinel(), vdg = dump_sentinel(), mom[4];
    dump_fill(mom, 4);
    dump_status("risk.delta_gamma.n20",
                qpm_risk_delta_gamma(NULL, N, dd, gg, cv, N, 1.0, 0.99, &vdn, &vdg, mom));
    dump_f64k("risk.delta_gamma.n20", "var_dn", vdn);
    dump_f64k("risk.delta_gamma.n20", "var_dg", vdg);
    dump_f64s("risk.delta_gamma.n20.moments", 4, mom, 1);
    dump_status("risk.err.delta_gamma_alpha",
                qpm_risk_delta_gamma(NULL, N, dd, gg, cv, N, 1.0, 0.0, &vdn, &vdg, mom));
    dump_status("risk.err.delta_gamma_horizon",
                qpm_risk_delta_gamma(NULL, N, dd, gg, cv, N, 0.0, 0.99, &vdn, &vdg, mom));
    cv[1] *= 1.5;
    dump_status("risk.err.delta_gamma_asymmetric",
                qpm_risk_delta_gamma(NULL, N, dd, gg, cv, N, 1.0, 0.99, &vdn, &vdg, mom));
    dump_status("risk.err.delta_gamma_ld",
                qpm_risk_delta_gamma(NULL, N, dd, gg, cv, N - 1, 1.0, 0.99, &vdn, &vdg, mom));
    free(cv);
    free(x);
}

struct progress {
    double done[16];
    size_t calls, cancel_at;
};

static int on_progress(void *user, double done)
{
    struct progress *p = user;
    if (p->calls < 16)
        p->done[p->calls] = done;
    p->calls++;
    return p->cancel_at != 0 && p->calls >= p->cancel_at;
}

struct run {
    const char *tag;
    double scenarios, seed, horizon, dof, jl, jm, js, vov, alpha;
    int threads, book_threads;
};

static void simulate(qpm_book *b, const struct run *rn)
{
    char nm[DUMP_NAME];
    qpm_risk *r = NULL;
    if (dump_status(dump_name(nm, "risk.mc.%s.create", rn->tag), qpm_risk_create(&r, NULL)) !=
        QPM_OK)
        return;
    const struct {
        qpm_risk_key key;
        double v;
    } sets[] = {{QPM_RISK_SCENARIOS, rn->scenarios},  {QPM_RISK_SEED, rn->seed},
                {QPM_RISK_HORIZON_DAYS, rn->horizon}, {QPM_RISK_T_DOF, rn->dof},
                {QPM_RISK_JUMP_INTENSITY, rn->jl},    {QPM_RISK_JUMP_MEAN, rn->jm},
                {QPM_RISK_JUMP_STD, rn->js},          {QPM_RISK_VOL_OF_VOL, rn->vov},
                {QPM_RISK_ALPHA, rn->alpha},          {QPM_RISK_THREADS, rn->threads}};
    qpm_status st = QPM_OK;
    for (size_t k = 0; k < sizeof sets / sizeof sets[0] && st == QPM_OK; k++)
        st = qpm_risk_set(r, sets[k].key, sets[k].v);
    dump_status(dump_name(nm, "risk.mc.%s.settings", rn->tag), st);
    dump_status(dump_name(nm, "risk.mc.%s.set_covariance", rn->tag),
                qpm_risk_set_covariance(r, 2, cov2, 2));
    struct progress pg;
    memset(&pg, 0, sizeof pg);
    qpm_risk_set_progress(r, on_progress, &pg);
    qpm_book_set(b, QPM_BOOK_THREADS, rn->book_threads);
    size_t ns = (size_t)rn->scenarios;
    double *pnl = dump_alloc(ns * sizeof *pnl), res[4];
    dump_fill(pnl, ns);
    dump_fill(res, 4);
    dump_status(dump_name(nm, "risk.mc.%s.simulate", rn->tag),
                qpm_risk_simulate(r, b, pnl, &res[0], &res[1], &res[2], &res[3]));
    dump_f64k(nm, "var", res[0]);
    dump_f64k(nm, "es", res[1]);
    dump_f64k(nm, "var_se", res[2]);
    dump_f64k(nm, "es_se", res[3]);
    dump_u64k(nm, "progress_calls", pg.calls);
    dump_f64s(dump_name(nm, "risk.mc.%s.progress_done", rn->tag), pg.calls < 16 ? pg.calls : 16,
              pg.done, 1);
    dump_f64s(dump_name(nm, "risk.mc.%s.pnl", rn->tag), ns, pnl, 1);
    /* the scenarios themselves (ld 3: padding never written) */
    enum { NS = 300, LD = 3 };
    double *x = dump_alloc(NS * LD * sizeof *x), *v = dump_alloc(NS * LD * sizeof *v);
    dump_fill(x, NS * LD);
    dump_fill(v, NS * LD);
    dump_status(dump_name(nm, "risk.mc.%s.scenarios", rn->tag),
                qpm_risk_scenarios(r, NS, x, LD, v, LD));
    dump_f64s(dump_name(nm, "risk.mc.%s.spot_moves", rn->tag), NS * LD, x, 1);
    dump_f64s(dump_name(nm, "risk.mc.%s.vol_shifts", rn->tag), NS * LD, v, 1);
    qpm_book_set(b, QPM_BOOK_THREADS, 1);
    free(x);
    free(v);
    free(pnl);
    qpm_risk_free(r);
}

static const struct run runs[] = {
    {"gauss", 5000, 11, 1, 0, 0, 0, 0, 0, 0.99, 1, 1},
    {"heavy_t1", 5000, 12345, 2, 4, 0.05, -0.05, 0.1, 0.5, 0.975, 1, 1},
    {"heavy_t2", 5000, 12345, 2, 4, 0.05, -0.05, 0.1, 0.5, 0.975, 2, 2},
    /* more than one batch of QPM_RISK_BATCH scenarios and one progress report each */
    {"batches", 70000, 3, 1, 6, 0.01, -0.1, 0.05, 0.2, 0.99, 2, 2},
    {"jumps_only", 4500, 9007199254740992.0, 10, (double)INFINITY, 2, 0.02, 0.3, 0, 0.9, 2, 1},
};

static void historical(qpm_book *b)
{
    char nm[DUMP_NAME];
    dump_csv *c = dump_csv_load("returns_public_t500_n20.csv");
    size_t t = c->nrows, ld = c->ncols;
    double *x = dump_alloc(t * ld * sizeof *x);
    for (size_t r = 0; r < t; r++)
        for (size_t j = 0; j < ld; j++)
            x[r * ld + j] = dump_csv_num(c, r, j);
    dump_csv_free(c);
    static const struct {
        const char *tag;
        double lambda, horizon, alpha;
    } hs[] = {{"plain", 0, 1, 0.99},
              {"plain_h10", 0, 10, 0.95},
              {"fhs", 0.94, 1, 0.99},
              {"fhs_h5", 0.97, 5, 0.975}};
    for (size_t k = 0; k < sizeof hs / sizeof hs[0]; k++) {
        qpm_risk *r = NULL;
        if (qpm_risk_create(&r, NULL) != QPM_OK)
            continue;
        qpm_risk_set(r, QPM_RISK_EWMA_LAMBDA, hs[k].lambda);
        qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, hs[k].horizon);
        qpm_risk_set(r, QPM_RISK_ALPHA, hs[k].alpha);
        double *pnl = dump_alloc(t * sizeof *pnl), res[4];
        dump_fill(pnl, t);
        dump_fill(res, 4);
        dump_status(dump_name(nm, "risk.historical.%s", hs[k].tag),
                    qpm_risk_historical(r, b, t, x, ld, pnl, &res[0], &res[1], &res[2], &res[3]));
        dump_f64k(nm, "var", res[0]);
        dump_f64k(nm, "es", res[1]);
        dump_f64k(nm, "var_se", res[2]);
        dump_f64k(nm, "es_se", res[3]);
        dump_f64s(dump_name(nm, "risk.historical.%s.pnl", hs[k].tag), t, pnl, 1);
        free(pnl);
        qpm_risk_free(r);
    }
    qpm_risk *r = NULL;
    if (qpm_risk_create(&r, NULL) == QPM_OK) {
        double res[4];
        x[17 * ld + 1] = (double)INFINITY;
        dump_status("risk.err.historical_inf",
                    qpm_risk_historical(r, b, t, x, ld, NULL, &res[0], NULL, NULL, NULL));
        dump_status("risk.err.historical_ld",
                    qpm_risk_historical(r, b, t, x, 1, NULL, &res[0], NULL, NULL, NULL));
        dump_status("risk.err.historical_t0",
                    qpm_risk_historical(r, b, 0, x, ld, NULL, &res[0], NULL, NULL, NULL));
        qpm_risk_free(r);
    }
    free(x);
}

static void settings_and_errors(qpm_book *b)
{
    char nm[DUMP_NAME];
    for (int key = -1; key <= 13; key++) {
        double lo = dump_sentinel(), hi = dump_sentinel();
        dump_status(dump_name(nm, "risk.bounds.%d", key),
                    qpm_risk_bounds((qpm_risk_key)key, &lo, &hi));
        dump_f64k(nm, "lo", lo);
        dump_f64k(nm, "hi", hi);
    }
    qpm_risk *r = NULL;
    if (qpm_risk_create(&r, NULL) != QPM_OK)
        return;
    for (int key = -1; key <= 13; key++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "risk.get.%d", key), qpm_risk_get(r, (qpm_risk_key)key, &v));
        dump_f64k(nm, "value", v);
    }
    static const struct {
        int key;
        double v;
    } sets[] = {{0, 0},    {0, 1.5},         {1, 9007199254740994.0},
                {1, -1},   {2, 0},           {2, 4000},
                {3, 1.5},  {3, 2.0},         {3, -3},
                {4, 101},  {5, 6},           {6, -1},
                {7, 6},    {8, 0},           {9, 1.0},
                {10, 1.0}, {11, 4096},       {12, 1},
                {13, 1},   {0, (double)NAN}, {3, (double)INFINITY},
                {3, 0},    {10, 0.5}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "risk.set.%zu", k),
                    qpm_risk_set(r, (qpm_risk_key)sets[k].key, sets[k].v));
        qpm_risk_get(r, (qpm_risk_key)sets[k].key, &v);
        dump_f64k(nm, "get", v);
    }
    double res[4], x[8];
    dump_status("risk.err.simulate_no_cov",
                qpm_risk_simulate(r, b, NULL, &res[0], NULL, NULL, NULL));
    dump_status("risk.err.scenarios_no_cov", qpm_risk_scenarios(r, 2, x, 2, NULL, 0));
    size_t nu = 99;
    qpm_risk_n_underlyings(r, &nu);
    dump_u64k("risk.err.scenarios_no_cov", "n_underlyings", nu);
    double c3[9] = {1e-3, 0, 0, 0, 1e-3, 0, 0, 0, 1e-3};
    dump_status("risk.err.cov3", qpm_risk_set_covariance(r, 3, c3, 3));
    qpm_risk_n_underlyings(r, &nu);
    dump_u64k("risk.err.cov3", "n_underlyings", nu);
    dump_status("risk.err.simulate_size", qpm_risk_simulate(r, b, NULL, &res[0], NULL, NULL, NULL));
    double bad[4] = {1e-3, 2e-3, 2e-3, 1e-3};
    dump_status("risk.err.cov_not_psd", qpm_risk_set_covariance(r, 2, bad, 2));
    bad[1] = 5e-4;
    dump_status("risk.err.cov_asymmetric", qpm_risk_set_covariance(r, 2, bad, 2));
    bad[1] = bad[2];
    bad[0] = -1e-3;
    dump_status("risk.err.cov_negative_diag", qpm_risk_set_covariance(r, 2, bad, 2));
    bad[0] = (double)NAN;
    dump_status("risk.err.cov_nan", qpm_risk_set_covariance(r, 2, bad, 2));
    dump_status("risk.err.cov_n0", qpm_risk_set_covariance(r, 0, bad, 2));
    dump_status("risk.err.cov_ld", qpm_risk_set_covariance(r, 2, bad, 1));
    /* perfectly correlated: an eigen factor instead of Cholesky */
    double sing[4] = {4e-4, 4e-4, 4e-4, 4e-4}, sx[100], sv[100];
    dump_status("risk.singular.set_covariance", qpm_risk_set_covariance(r, 2, sing, 2));
    dump_fill(sx, 100);
    dump_fill(sv, 100);
    dump_status("risk.singular.scenarios", qpm_risk_scenarios(r, 50, sx, 2, sv, 2));
    dump_f64s("risk.singular.spot_moves", 100, sx, 1);
    dump_f64s("risk.singular.vol_shifts", 100, sv, 1);
    dump_status("risk.err.scenarios_ld", qpm_risk_scenarios(r, 2, x, 1, NULL, 0));
    dump_status("risk.err.scenarios_n0", qpm_risk_scenarios(r, 0, x, 2, NULL, 0));
    /* cancelled at the first report */
    struct progress pg;
    memset(&pg, 0, sizeof pg);
    pg.cancel_at = 1;
    qpm_risk_set_progress(r, on_progress, &pg);
    qpm_risk_set(r, QPM_RISK_SCENARIOS, 70000);
    dump_status("risk.err.cancelled", qpm_risk_simulate(r, b, NULL, &res[0], NULL, NULL, NULL));
    dump_u64k("risk.err.cancelled", "progress_calls", pg.calls);
    qpm_risk_free(r);

    double loss[5] = {1, 2, 3, 4, 5}, al[2] = {0.9, 1.0}, out[2];
    dump_status("risk.err.var_es_alpha1",
                qpm_risk_var_es(NULL, 5, loss, 2, al, out, NULL, NULL, NULL));
    al[1] = 0.5;
    loss[3] = (double)NAN;
    dump_status("risk.err.var_es_nan",
                qpm_risk_var_es(NULL, 5, loss, 2, al, out, NULL, NULL, NULL));
    dump_status("risk.err.var_es_n0", qpm_risk_var_es(NULL, 0, loss, 2, al, out, NULL, NULL, NULL));
    dump_status("risk.err.moments_nan", qpm_risk_moments(5, loss, out, NULL, NULL, NULL));
    loss[3] = 1e300;
    loss[4] = -1e300;
    dump_status("risk.err.moments_overflow", qpm_risk_moments(5, loss, out, out + 1, NULL, NULL));
    dump_status("risk.err.moments_std_n1", qpm_risk_moments(1, loss, NULL, out, NULL, NULL));
}

void dump_risk(void)
{
    statistics();
    qpm_book *b = dump_reference_book("risk");
    if (b == NULL)
        return;
    delta_gamma(b);
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++)
        simulate(b, &runs[k]);
    historical(b);
    settings_and_errors(b);
    qpm_book_free(b);
}
