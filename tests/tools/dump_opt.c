/* qpm_dump, family "opt": every problem kind on the reference covariance
 * and expected returns (optim_*_public files) under box, budget, gross,
 * turnover, group and linear constraints, with the weights, every info
 * field, the bound flags and the risk contributions; the efficient frontier
 * with its progress reports and a cancellation; settings; and the errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

#define N 20

static double cov[N * N], mu[N];
static double *scen;
static size_t n_scen;

static void load(void)
{
    dump_csv *c = dump_csv_load("optim_cov_public_n20.csv");
    if (c->nrows != N || c->ncols != N)
        dump_die("optim_cov_public_n20.csv is not %d x %d", N, N);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++)
            cov[i * N + j] = dump_csv_num(c, i, j);
    dump_csv_free(c);
    c = dump_csv_load("optim_weights_public_n20.csv");
    size_t cm = dump_csv_col(c, "mu");
    for (size_t i = 0; i < N; i++)
        mu[i] = dump_csv_num(c, i, cm);
    dump_csv_free(c);
    /* scenario returns of MIN_CVAR: the first 250 reference return rows */
    c = dump_csv_load("returns_public_t500_n20.csv");
    if (c->ncols != N)
        dump_die("returns_public_t500_n20.csv does not have %d columns", N);
    n_scen = c->nrows < 250 ? c->nrows : 250;
    scen = dump_alloc(n_scen * N * sizeof *scen);
    for (size_t r = 0; r < n_scen; r++)
        for (size_t j = 0; j < N; j++)
            scen[r * N + j] = dump_csv_num(c, r, j);
    dump_csv_free(c);
}

static void dump_solution(const qpm_opt *o, const char *name)
{
    char nm[DUMP_NAME];
    for (int key = 0; key <= 15; key++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "%s.info%d", name, key),
                    qpm_opt_info(o, (qpm_opt_info_key)key, &v));
        dump_f64k(nm, "value", v);
    }
    int flags[N];
    for (size_t i = 0; i < N; i++)
        flags[i] = 99;
    dump_status(dump_name(nm, "%s.bound_flags", name), qpm_opt_bound_flags(o, flags));
    for (size_t i = 0; i < N; i++)
        dump_i64(nm, i, flags[i]);
    double rc[N];
    dump_fill(rc, N);
    dump_status(dump_name(nm, "%s.risk_contributions", name), qpm_opt_risk_contributions(o, rc));
    dump_f64s(nm, N, rc, 1);
}

static qpm_opt *problem_handle(const char *name)
{
    char nm[DUMP_NAME];
    qpm_opt *o = NULL;
    if (dump_status(dump_name(nm, "%s.create", name), qpm_opt_create(&o, NULL, N)) != QPM_OK)
        return NULL;
    dump_status(dump_name(nm, "%s.set_covariance", name), qpm_opt_set_covariance(o, cov, N));
    dump_status(dump_name(nm, "%s.set_expected_returns", name),
                qpm_opt_set_expected_returns(o, mu));
    return o;
}

static void solve(qpm_opt *o, const char *name, qpm_opt_problem pr)
{
    char nm[DUMP_NAME];
    double w[N];
    dump_fill(w, N);
    dump_status(dump_name(nm, "%s.solve", name), qpm_opt_solve(o, pr, w));
    dump_f64s(dump_name(nm, "%s.w", name), N, w, 1);
    dump_solution(o, name);
}

enum { LONG_ONLY, FREE, BOX15, BOX_MIXED };

static void bounds(qpm_opt *o, const char *name, int kind)
{
    char nm[DUMP_NAME];
    double lo[N], hi[N];
    for (size_t i = 0; i < N; i++) {
        lo[i] = kind == FREE ? -(double)INFINITY : 0.0;
        hi[i] = kind == BOX15 ? 0.15 : (double)INFINITY;
        if (kind == BOX_MIXED) {
            lo[i] = i % 4 == 0 ? -0.1 : 0.0;
            hi[i] = i % 3 == 0 ? 0.12 : 0.3;
        }
    }
    if (kind == BOX_MIXED)
        lo[7] = hi[7] = 0.05; /* a fixed weight */
    dump_status(dump_name(nm, "%s.set_bounds", name), qpm_opt_set_bounds(o, lo, hi));
}

struct setting {
    qpm_opt_key key;
    double value;
};

struct problem {
    const char *tag;
    qpm_opt_problem pr;
    int bounds;
    struct setting set[3];
    int extra; /* 1 turnover current, 2 groups, 3 linear, 4 scenarios */
};

static const struct problem problems[] = {
    {"minvar", QPM_OPT_MIN_VARIANCE, LONG_ONLY, {{0, 0}}, 0},
    {"minvar_free", QPM_OPT_MIN_VARIANCE, FREE, {{0, 0}}, 0},
    {"mv", QPM_OPT_MEAN_VARIANCE, LONG_ONLY, {{QPM_OPT_GAMMA, 5}}, 0},
    {"mv_box", QPM_OPT_MEAN_VARIANCE, BOX15, {{QPM_OPT_GAMMA, 5}}, 0},
    {"mv_longshort",
     QPM_OPT_MEAN_VARIANCE,
     FREE,
     {{QPM_OPT_GAMMA, 5}, {QPM_OPT_GROSS_LIMIT, 1.5}},
     0},
    {"mv_mixed_budget",
     QPM_OPT_MEAN_VARIANCE,
     BOX_MIXED,
     {{QPM_OPT_GAMMA, 2}, {QPM_OPT_BUDGET, 0.9}},
     0},
    {"erc", QPM_OPT_ERC, LONG_ONLY, {{0, 0}}, 0},
    {"erc_budget2", QPM_OPT_ERC, LONG_ONLY, {{QPM_OPT_BUDGET, 2}}, 0},
    {"tangency", QPM_OPT_MAX_SHARPE, FREE, {{0, 0}}, 0},
    {"sharpe_long", QPM_OPT_MAX_SHARPE, LONG_ONLY, {{QPM_OPT_RISK_FREE, 0.02}}, 0},
    {"sharpe_box_gross",
     QPM_OPT_MAX_SHARPE,
     FREE,
     {{QPM_OPT_GROSS_LIMIT, 1.3}, {QPM_OPT_RISK_FREE, 0.01}},
     0},
    {"target_return", QPM_OPT_TARGET_RETURN, LONG_ONLY, {{QPM_OPT_RETURN_TARGET, 0.45}}, 0},
    {"target_return_free", QPM_OPT_TARGET_RETURN, FREE, {{QPM_OPT_RETURN_TARGET, 0.6}}, 0},
    {"target_risk", QPM_OPT_TARGET_RISK, LONG_ONLY, {{QPM_OPT_VOL_TARGET, 0.35}}, 0},
    {"min_cvar", QPM_OPT_MIN_CVAR, LONG_ONLY, {{0, 0}}, 4},
    {"min_cvar_box_a99", QPM_OPT_MIN_CVAR, BOX15, {{QPM_OPT_CVAR_ALPHA, 0.99}}, 4},
    {"turnover",
     QPM_OPT_MEAN_VARIANCE,
     LONG_ONLY,
     {{QPM_OPT_GAMMA, 5}, {QPM_OPT_TURNOVER_LIMIT, 0.3}},
     1},
    {"turnover_minvar",
     QPM_OPT_MIN_VARIANCE,
     FREE,
     {{QPM_OPT_TURNOVER_LIMIT, 0.5}, {QPM_OPT_GROSS_LIMIT, 1.6}},
     1},
    {"groups", QPM_OPT_MIN_VARIANCE, LONG_ONLY, {{0, 0}}, 2},
    {"groups_mv", QPM_OPT_MEAN_VARIANCE, LONG_ONLY, {{QPM_OPT_GAMMA, 3}}, 2},
    {"linear", QPM_OPT_MIN_VARIANCE, LONG_ONLY, {{0, 0}}, 3},
    {"linear_sharpe", QPM_OPT_MAX_SHARPE, LONG_ONLY, {{0, 0}}, 3},
    {"tight_tolerance",
     QPM_OPT_MEAN_VARIANCE,
     LONG_ONLY,
     {{QPM_OPT_TOLERANCE, 1e-14}, {QPM_OPT_GAMMA, 5}},
     0},
    {"loose_tolerance",
     QPM_OPT_MEAN_VARIANCE,
     LONG_ONLY,
     {{QPM_OPT_TOLERANCE, 1e-4}, {QPM_OPT_GAMMA, 5}},
     0},
    {"max_iter1", QPM_OPT_MIN_VARIANCE, LONG_ONLY, {{QPM_OPT_MAX_ITER, 1}}, 0},
    {"infeasible_target", QPM_OPT_TARGET_RETURN, BOX15, {{QPM_OPT_RETURN_TARGET, 5}}, 0},
};

static void extras(qpm_opt *o, const char *name, int extra)
{
    char nm[DUMP_NAME];
    if (extra == 1) {
        double w0[N];
        for (size_t i = 0; i < N; i++)
            w0[i] = 1.0 / N;
        dump_status(dump_name(nm, "%s.set_current", name), qpm_opt_set_current(o, w0));
    } else if (extra == 2) {
        size_t g[N];
        double lo[4] = {0.1, 0.1, -(double)INFINITY, 0.2},
               hi[4] = {0.4, 0.3, 0.25, (double)INFINITY};
        for (size_t i = 0; i < N; i++)
            g[i] = i % 7 == 6 ? QPM_OPT_NO_GROUP : i % 4;
        dump_status(dump_name(nm, "%s.set_groups", name), qpm_opt_set_groups(o, 4, g, lo, hi));
    } else if (extra == 3) {
        double a[2 * (N + 1)], lo[2] = {0.5, 0.4}, hi[2] = {(double)INFINITY, 0.8};
        for (size_t i = 0; i < N; i++) {
            a[i] = i < 10 ? 1.0 : 0.0;
            a[N + 1 + i] = mu[i];
        }
        a[N] = a[2 * N + 1] = (double)NAN; /* padding past n, never read */
        dump_status(dump_name(nm, "%s.set_linear", name),
                    qpm_opt_set_linear(o, 2, a, N + 1, lo, hi));
    } else if (extra == 4) {
        dump_status(dump_name(nm, "%s.set_scenarios", name),
                    qpm_opt_set_scenarios(o, n_scen, scen, N));
    }
}

struct progress {
    double done[64];
    size_t calls;
    size_t cancel_at; /* 0: never */
};

static int on_progress(void *user, double done)
{
    struct progress *p = user;
    if (p->calls < 64)
        p->done[p->calls] = done;
    p->calls++;
    return p->cancel_at != 0 && p->calls >= p->cancel_at;
}

static void frontier(const char *name, int bnd, double gross, size_t k, size_t cancel_at)
{
    char nm[DUMP_NAME];
    qpm_opt *o = problem_handle(name);
    if (o == NULL)
        return;
    bounds(o, name, bnd);
    if (gross > 0.0)
        qpm_opt_set(o, QPM_OPT_GROSS_LIMIT, gross);
    struct progress pg;
    memset(&pg, 0, sizeof pg);
    pg.cancel_at = cancel_at;
    qpm_opt_set_progress(o, on_progress, &pg);
    double *W = dump_alloc(k * N * sizeof *W), *ret = dump_alloc(k * sizeof *ret),
           *vol = dump_alloc(k * sizeof *vol);
    dump_fill(W, k * N);
    dump_fill(ret, k);
    dump_fill(vol, k);
    dump_status(dump_name(nm, "%s.frontier", name), qpm_opt_frontier(o, k, W, N, ret, vol));
    dump_f64s(dump_name(nm, "%s.weights", name), k * N, W, 1);
    dump_f64s(dump_name(nm, "%s.returns", name), k, ret, 1);
    dump_f64s(dump_name(nm, "%s.vols", name), k, vol, 1);
    dump_name(nm, "%s.progress", name);
    dump_u64k(nm, "calls", pg.calls);
    dump_f64s(dump_name(nm, "%s.progress_done", name), pg.calls < 64 ? pg.calls : 64, pg.done, 1);
    dump_solution(o, name);
    /* the handle is usable after the frontier */
    solve(o, dump_name(nm, "%s.then_minvar", name), QPM_OPT_MIN_VARIANCE);
    free(W);
    free(ret);
    free(vol);
    qpm_opt_free(o);
}

static void settings(void)
{
    char nm[DUMP_NAME];
    for (int key = -1; key <= 10; key++) {
        double lo = dump_sentinel(), hi = dump_sentinel();
        dump_status(dump_name(nm, "opt.bounds.%d", key),
                    qpm_opt_bounds((qpm_opt_key)key, &lo, &hi));
        dump_f64k(nm, "lo", lo);
        dump_f64k(nm, "hi", hi);
    }
    qpm_opt *o = NULL;
    if (qpm_opt_create(&o, NULL, N) != QPM_OK)
        return;
    for (int key = -1; key <= 10; key++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "opt.get.%d", key), qpm_opt_get(o, (qpm_opt_key)key, &v));
        dump_f64k(nm, "value", v);
    }
    static const struct {
        int key;
        double v;
    } sets[] = {{0, 0.0},
                {0, -1},
                {3, -0.5},
                {4, -1},
                {6, 0.0},
                {7, 1e-20},
                {7, 1e-3},
                {8, 0.5},
                {8, 2e6},
                {9, 1.0},
                {9, 0.0},
                {0, (double)NAN},
                {11, 1},
                {-1, 1},
                {2, (double)INFINITY},
                {3, (double)INFINITY},
                {8, 50},
                {1, -0.5}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "opt.set.%zu", k),
                    qpm_opt_set(o, (qpm_opt_key)sets[k].key, sets[k].v));
        qpm_opt_get(o, (qpm_opt_key)sets[k].key, &v);
        dump_f64k(nm, "get", v);
    }
    qpm_opt_free(o);
}

static void errors(void)
{
    double w[N], lo[N], hi[N], bad[N * N];
    qpm_opt *o = NULL;
    dump_status("opt.err.create_n0", qpm_opt_create(&o, NULL, 0));
    dump_status("opt.err.create_big", qpm_opt_create(&o, NULL, 100001));
    if (qpm_opt_create(&o, NULL, N) != QPM_OK)
        return;
    dump_status("opt.err.solve_no_cov", qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w));
    dump_status("opt.err.info_no_solve", qpm_opt_info(o, QPM_OPT_INFO_OBJECTIVE, w));
    memcpy(bad, cov, sizeof bad);
    bad[3 * N + 5] += 1e-3;
    dump_status("opt.err.cov_asymmetric", qpm_opt_set_covariance(o, bad, N));
    memcpy(bad, cov, sizeof bad);
    bad[2 * N + 9] = bad[9 * N + 2] = bad[2 * N + 2] * 4.0;
    dump_status("opt.err.cov_not_psd", qpm_opt_set_covariance(o, bad, N));
    bad[0] = (double)NAN;
    dump_status("opt.err.cov_nan", qpm_opt_set_covariance(o, bad, N));
    dump_status("opt.err.cov_ld", qpm_opt_set_covariance(o, cov, N - 1));
    dump_status("opt.err.cov_ok", qpm_opt_set_covariance(o, cov, N));
    dump_status("opt.err.mv_no_mu", qpm_opt_solve(o, QPM_OPT_MEAN_VARIANCE, w));
    double mu_bad[N];
    memcpy(mu_bad, mu, sizeof mu_bad);
    mu_bad[4] = (double)INFINITY;
    dump_status("opt.err.mu_inf", qpm_opt_set_expected_returns(o, mu_bad));
    for (size_t i = 0; i < N; i++) {
        lo[i] = 0.0;
        hi[i] = 0.1;
    }
    lo[3] = 0.2;
    dump_status("opt.err.bounds_crossed", qpm_opt_set_bounds(o, lo, hi));
    lo[3] = 0.0;
    for (size_t i = 0; i < N; i++)
        hi[i] = 0.04;
    dump_status("opt.err.bounds_budget", qpm_opt_set_bounds(o, lo, hi));
    hi[0] = (double)NAN;
    dump_status("opt.err.bounds_nan", qpm_opt_set_bounds(o, lo, hi));
    size_t g[N];
    double glo[2] = {0.0, 0.5}, ghi[2] = {1.0, 0.2};
    for (size_t i = 0; i < N; i++)
        g[i] = i % 2;
    dump_status("opt.err.groups_crossed", qpm_opt_set_groups(o, 2, g, glo, ghi));
    g[5] = 7;
    ghi[1] = 0.6;
    dump_status("opt.err.groups_index", qpm_opt_set_groups(o, 2, g, glo, ghi));
    double a[N], llo = 1.0, lhi = 0.5;
    for (size_t i = 0; i < N; i++)
        a[i] = 1.0;
    dump_status("opt.err.linear_crossed", qpm_opt_set_linear(o, 1, a, N, &llo, &lhi));
    dump_status("opt.err.linear_lda", qpm_opt_set_linear(o, 1, a, N - 1, &lhi, &llo));
    dump_status("opt.err.scenarios_ld", qpm_opt_set_scenarios(o, 3, scen, N - 1));
    dump_status("opt.err.unknown_problem", qpm_opt_solve(o, (qpm_opt_problem)9, w));
    dump_status("opt.err.cvar_no_scenarios", qpm_opt_solve(o, QPM_OPT_MIN_CVAR, w));
    qpm_opt_set(o, QPM_OPT_BUDGET, 0.0);
    dump_status("opt.err.sharpe_budget0", qpm_opt_solve(o, QPM_OPT_MAX_SHARPE, w));
    dump_status("opt.err.erc_budget0", qpm_opt_solve(o, QPM_OPT_ERC, w));
    qpm_opt_set(o, QPM_OPT_BUDGET, 1.0);
    dump_status("opt.err.frontier_k0", qpm_opt_frontier(o, 0, NULL, 0, NULL, NULL));
    dump_status("opt.err.frontier_ldw", qpm_opt_frontier(o, 2, bad, N - 1, NULL, NULL));
    memcpy(bad, cov, sizeof bad);
    for (size_t j = 0; j < N; j++)
        bad[6 * N + j] = bad[j * N + 6] = 0.0;
    dump_status("opt.err.cov_zero_var", qpm_opt_set_covariance(o, bad, N));
    dump_status("opt.err.erc_zero_var", qpm_opt_solve(o, QPM_OPT_ERC, w));
    qpm_opt_free(o);
}

void dump_opt(void)
{
    char nm[DUMP_NAME];
    load();
    for (size_t k = 0; k < sizeof problems / sizeof problems[0]; k++) {
        const struct problem *p = &problems[k];
        dump_name(nm, "opt.%s", p->tag);
        qpm_opt *o = problem_handle(nm);
        if (o == NULL)
            continue;
        bounds(o, nm, p->bounds);
        for (int s = 0; s < 3; s++)
            if (p->set[s].key != 0 || p->set[s].value != 0) {
                char sn[DUMP_NAME];
                dump_status(dump_name(sn, "%s.set%d", nm, s),
                            qpm_opt_set(o, p->set[s].key, p->set[s].value));
            }
        extras(o, nm, p->extra);
        solve(o, nm, p->pr);
        qpm_opt_free(o);
    }
    /* one handle, every problem in turn: reused workspace gives the same results */
    qpm_opt *o = problem_handle("opt.sequence");
    if (o != NULL) {
        qpm_opt_set(o, QPM_OPT_GAMMA, 5);
        for (int pr = 0; pr <= 5; pr++)
            solve(o, dump_name(nm, "opt.sequence.p%d", pr), (qpm_opt_problem)pr);
        qpm_opt_free(o);
    }
    frontier("opt.frontier_long", LONG_ONLY, 0.0, 12, 0);
    frontier("opt.frontier_box", BOX15, 0.0, 7, 0);
    frontier("opt.frontier_free", FREE, 0.0, 5, 0);
    frontier("opt.frontier_gross", FREE, 1.5, 6, 0);
    frontier("opt.frontier_k1", LONG_ONLY, 0.0, 1, 0);
    frontier("opt.frontier_cancel", LONG_ONLY, 0.0, 8, 3);
    settings();
    errors();
    free(scen);
}
