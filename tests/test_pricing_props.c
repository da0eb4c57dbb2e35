/* Pricing: properties.
 *  - put-call parity for every model and settlement;
 *  - every Greek against central finite differences of the price (or of
 *    delta and vega for the second-order ones);
 *  - the AVX2 and AVX-512 kernels against the scalar kernel on 10^6 random
 *    inputs;
 *  - results independent of the thread count and of the batch split, and the
 *    chain entry point identical to the batch entry point;
 *  - limits T = 0 and sigma = 0. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/pricing.h"
#include "support/testutil.h"

#define EPS 0x1p-52

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static double unif(double lo, double hi)
{
    unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

enum { NO = 12 };
typedef struct {
    double v[NO];
} allout;

static qpm_status price1_status(qpm_pricer *p, qpm_model model, double u, double k, double T,
                                double r, double q, double s, int32_t ty, allout *o)
{
    qpm_pricer_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    double *f[NO];
    for (int i = 0; i < NO; i++)
        f[i] = &o->v[i];
    out.price = f[0], out.delta = f[1], out.gamma = f[2], out.vega = f[3], out.theta = f[4];
    out.rho = f[5], out.vanna = f[6], out.volga = f[7], out.charm = f[8], out.rho_q = f[9];
    out.price_usd = f[10], out.delta_coin = f[11];
    return qpm_pricer_price(p, 1, &u, &k, &T, &r, model == QPM_MODEL_BSM ? &q : NULL, &s, &ty,
                            &out);
}

static void price1(qpm_pricer *p, qpm_model model, double u, double k, double T, double r,
                   double q, double s, int32_t ty, allout *o)
{
    qpm_pricer_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    double *f[NO];
    for (int i = 0; i < NO; i++)
        f[i] = &o->v[i];
    out.price = f[0], out.delta = f[1], out.gamma = f[2], out.vega = f[3], out.theta = f[4];
    out.rho = f[5], out.vanna = f[6], out.volga = f[7], out.charm = f[8], out.rho_q = f[9];
    out.price_usd = f[10], out.delta_coin = f[11];
    qpm_status st =
        qpm_pricer_price(p, 1, &u, &k, &T, &r, model == QPM_MODEL_BSM ? &q : NULL, &s, &ty, &out);
    cr_assert_eq(st, QPM_OK, "%s", qpm_last_error());
}

enum { PRICE, DELTA, GAMMA, VEGA, THETA, RHO, VANNA, VOLGA, CHARM, RHO_Q, PUSD, DCOIN };

static void make_pricer(qpm_pricer **p, qpm_model m, qpm_settlement s, int kernel)
{
    cr_assert_eq(qpm_pricer_create(p, NULL, m, s), QPM_OK);
    cr_assert_eq(qpm_pricer_set(*p, QPM_PRICER_KERNEL, kernel), QPM_OK);
}

/* ---- put-call parity ------------------------------------------------------ */

static void parity(qpm_model model, qpm_settlement settle, int kernel)
{
    qpm_pricer *p;
    make_pricer(&p, model, settle, kernel);
    for (int it = 0; it < 2000; it++) {
        double u = unif(100, 1e5), T = unif(1.0 / 365, 3), r = unif(-0.01, 0.08);
        double q = model == QPM_MODEL_BSM ? unif(-0.05, 0.1) : 0.0;
        double k = model == QPM_MODEL_BACHELIER ? u * unif(0.5, 1.5) : u * exp(unif(-1.5, 1.5));
        double s = model == QPM_MODEL_BACHELIER ? u * unif(0.05, 1.5) : unif(0.05, 2.0);
        allout c, pu;
        price1(p, model, u, k, T, r, q, s, QPM_CALL, &c);
        price1(p, model, u, k, T, r, q, s, QPM_PUT, &pu);
        double D = exp(-r * T), Dq = model == QPM_MODEL_BSM ? exp(-q * T) : D;
        /* USD: C - P = U e^{-qT} - K e^{-rT} (U = S or F) */
        double lhs = c.v[PUSD] - pu.v[PUSD], rhs = u * Dq - k * D;
        double tol = 16 * EPS * (c.v[PUSD] + pu.v[PUSD] + u * Dq + k * D);
        cr_assert(fabs(lhs - rhs) <= tol, "parity model %d: %.17g vs %.17g", model, lhs, rhs);
        /* delta: delta_C - delta_P = e^{-qT}; gamma, vega equal */
        cr_assert(fabs(c.v[DELTA] - pu.v[DELTA] - Dq) <= 8 * EPS);
        cr_assert(fabs(c.v[GAMMA] - pu.v[GAMMA]) <= 8 * EPS * c.v[GAMMA]);
        cr_assert(fabs(c.v[VEGA] - pu.v[VEGA]) <= 8 * EPS * c.v[VEGA]);
        if (settle == QPM_SETTLE_INVERSE) {
            double F = model == QPM_MODEL_BSM ? u * exp((r - q) * T) : u;
            /* coin: C - P = (F - K) D / F; coin deltas differ by K D / F */
            double lc = c.v[PRICE] - pu.v[PRICE], rc = (F - k) * D / F;
            cr_assert(fabs(lc - rc) <= 16 * EPS * (c.v[PRICE] + pu.v[PRICE] + D + k * D / F),
                      "coin parity %.17g vs %.17g", lc, rc);
            double ld = c.v[DCOIN] - pu.v[DCOIN], rd = k * D / F;
            cr_assert(fabs(ld - rd) <= 16 * EPS * (fabs(c.v[DCOIN]) + fabs(pu.v[DCOIN]) + rd));
        }
    }
    qpm_pricer_free(p);
}

Test(pricing_props, put_call_parity)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    for (int kk = 0; kk < nk; kk++) {
        parity(QPM_MODEL_BSM, QPM_SETTLE_LINEAR, ks[kk]);
        parity(QPM_MODEL_BSM, QPM_SETTLE_INVERSE, ks[kk]);
        parity(QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR, ks[kk]);
        parity(QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE, ks[kk]);
        parity(QPM_MODEL_BACHELIER, QPM_SETTLE_LINEAR, ks[kk]);
    }
}

/* ---- finite differences ---------------------------------------------------- */

/* Central differences with step h = 1e-4 of the variable's scale: truncation
 * error ~ h^2 f''' / 6 ~ 1e-8 relative, rounding ~ eps f / h ~ 1e-12; the
 * check allows 2e-6 of the Greek's natural scale. */
static void fd_check(qpm_model model, qpm_settlement settle)
{
    qpm_pricer *p;
    make_pricer(&p, model, settle, QPM_PRICER_KERNEL_SCALAR);
    for (int it = 0; it < 300; it++) {
        double u = unif(1000, 1e5), T = unif(0.05, 2), r = unif(-0.01, 0.08);
        double q = model == QPM_MODEL_BSM ? unif(-0.05, 0.1) : 0.0;
        double k = model == QPM_MODEL_BACHELIER ? u * unif(0.7, 1.3) : u * exp(unif(-0.5, 0.5));
        double s = model == QPM_MODEL_BACHELIER ? u * unif(0.1, 1.0) : unif(0.1, 1.5);
        int32_t ty = it % 2 ? QPM_CALL : QPM_PUT;
        allout o, a, b;
        price1(p, model, u, k, T, r, q, s, ty, &o);
        double hu = 1e-4 * u, hs = 1e-4 * s, hT = 1e-4 * T, hr = 1e-4;
        double sc_price = u, sc_delta = 1, sc_gamma = 1 / u, sc_vega = u;
#define FD(var, h, idx)                                                                    \
    do {                                                                                   \
        double var##0 = var;                                                               \
        var = var##0 + h;                                                                  \
        price1(p, model, u, k, T, r, q, s, ty, &a);                                        \
        var = var##0 - h;                                                                  \
        price1(p, model, u, k, T, r, q, s, ty, &b);                                        \
        var = var##0;                                                                      \
        (void)idx;                                                                         \
    } while (0)
        FD(u, hu, 0);
        double fd_delta = (a.v[PUSD] - b.v[PUSD]) / (2 * hu);
        double fd_gamma = (a.v[DELTA] - b.v[DELTA]) / (2 * hu);
        double fd_coin = u * (a.v[PRICE] - b.v[PRICE]) / (2 * hu); /* U d(price)/dU */
        double fd_dcoin_lin = 0.0;
        (void)fd_dcoin_lin;
        cr_assert(fabs(o.v[DELTA] - fd_delta) <= 2e-6 * sc_delta, "delta %g vs %g", o.v[DELTA],
                  fd_delta);
        cr_assert(fabs(o.v[GAMMA] - fd_gamma) <= 2e-6 * sc_gamma * (model == QPM_MODEL_BACHELIER ? 1 : 10),
                  "gamma %g vs %g", o.v[GAMMA], fd_gamma);
        if (settle == QPM_SETTLE_INVERSE)
            cr_assert(fabs(o.v[DCOIN] - fd_coin) <= 2e-6, "delta_coin %g vs %g", o.v[DCOIN],
                      fd_coin);
        FD(s, hs, 0);
        double fd_vega = (a.v[PUSD] - b.v[PUSD]) / (2 * hs);
        double fd_vanna = (a.v[DELTA] - b.v[DELTA]) / (2 * hs);
        double fd_volga = (a.v[VEGA] - b.v[VEGA]) / (2 * hs);
        double sc_s = model == QPM_MODEL_BACHELIER ? 1.0 / u : 1.0;
        cr_assert(fabs(o.v[VEGA] - fd_vega) <= 2e-6 * sc_vega * sc_s, "vega %g vs %g", o.v[VEGA],
                  fd_vega);
        cr_assert(fabs(o.v[VANNA] - fd_vanna) <= 2e-6 * sc_s, "vanna %g vs %g", o.v[VANNA],
                  fd_vanna);
        cr_assert(fabs(o.v[VOLGA] - fd_volga) <= 2e-6 * sc_vega * sc_s * sc_s, "volga %g vs %g",
                  o.v[VOLGA], fd_volga);
        FD(T, hT, 0);
        double fd_theta = -(a.v[PUSD] - b.v[PUSD]) / (2 * hT);
        double fd_charm = -(a.v[DELTA] - b.v[DELTA]) / (2 * hT);
        cr_assert(fabs(o.v[THETA] - fd_theta) <= 2e-6 * sc_price, "theta %g vs %g", o.v[THETA],
                  fd_theta);
        cr_assert(fabs(o.v[CHARM] - fd_charm) <= 2e-6, "charm %g vs %g", o.v[CHARM], fd_charm);
        FD(r, hr, 0);
        double fd_rho = (a.v[PUSD] - b.v[PUSD]) / (2 * hr);
        cr_assert(fabs(o.v[RHO] - fd_rho) <= 2e-6 * sc_price, "rho %g vs %g", o.v[RHO], fd_rho);
        if (model == QPM_MODEL_BSM) {
            FD(q, hr, 0);
            double fd_rq = (a.v[PUSD] - b.v[PUSD]) / (2 * hr);
            cr_assert(fabs(o.v[RHO_Q] - fd_rq) <= 2e-6 * sc_price, "rho_q %g vs %g", o.v[RHO_Q],
                      fd_rq);
        } else {
            cr_assert_eq(o.v[RHO_Q], 0.0);
        }
        (void)sc_price;
    }
    qpm_pricer_free(p);
}

Test(pricing_props, greeks_match_finite_differences)
{
    fd_check(QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    fd_check(QPM_MODEL_BSM, QPM_SETTLE_INVERSE);
    fd_check(QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR);
    fd_check(QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE);
    fd_check(QPM_MODEL_BACHELIER, QPM_SETTLE_LINEAR);
}

/* ---- AVX2 against scalar ---------------------------------------------------- */

/* The kernels evaluate the same formulas in the same order; they differ
 * only in exp, log and expm1 (libm against inline vector versions, each
 * within about 1 ulp).  Those differences enter
 * the result through the same condition numbers as in the golden tests, so
 * the bound is that of the golden tests with C = 16:
 *     |avx2 - scalar| <= 16 eps ((1 + d^2) |v| + M) + 1e-300
 * with M the term magnitude (|delta| U for the price).  The test also
 * reports the largest relative difference on well-conditioned values
 * (d^2 <= 1, value >= 1e-6 of its scale). */
Test(pricing_props, simd_matches_scalar_on_a_million_random_options)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    if (nk < 2)
        cr_skip_test("no SIMD kernel on this CPU");
    enum { N = 1000000 };
    double *u = malloc(N * sizeof *u), *k = malloc(N * sizeof *k), *T = malloc(N * sizeof *T);
    double *r = malloc(N * sizeof *r), *q = malloc(N * sizeof *q), *s = malloc(N * sizeof *s);
    int32_t *ty = malloc(N * sizeof *ty);
    double *a[NO], *b[NO];
    for (int o = 0; o < NO; o++) {
        a[o] = malloc(N * sizeof(double));
        b[o] = malloc(N * sizeof(double));
    }
    for (size_t i = 0; i < N; i++) {
        u[i] = exp(unif(log(10.0), log(2e5)));
        k[i] = u[i] * exp(unif(-2.5, 2.5));
        T[i] = exp(unif(log(1.0 / 8760), log(5.0)));
        r[i] = unif(-0.02, 0.1);
        q[i] = unif(-0.05, 0.1);
        s[i] = exp(unif(log(0.01), log(5.0)));
        ty[i] = i % 3 == 0 ? QPM_PUT : QPM_CALL;
        if (i % 1000 == 7)
            T[i] = 0.0; /* some limits too */
        if (i % 1000 == 11)
            s[i] = 0.0;
    }
    const qpm_model models[2] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76};
    const qpm_settlement settles[2] = {QPM_SETTLE_LINEAR, QPM_SETTLE_INVERSE};
    for (int mk = 0; mk < 2 * (nk - 1); mk++) {
        int mi = mk % 2, kernel = ks[1 + mk / 2];
        qpm_model model = models[mi];
        qpm_settlement settle = settles[mi];
        qpm_pricer *ps, *pv;
        make_pricer(&ps, model, settle, QPM_PRICER_KERNEL_SCALAR);
        make_pricer(&pv, model, settle, kernel);
        qpm_pricer_out oa, ob;
        memset(&oa, 0, sizeof oa);
        memset(&ob, 0, sizeof ob);
        oa.size = ob.size = sizeof oa;
        double **fa = &oa.price, **fb = &ob.price;
        (void)fa, (void)fb;
        oa.price = a[0], oa.delta = a[1], oa.gamma = a[2], oa.vega = a[3], oa.theta = a[4];
        oa.rho = a[5], oa.vanna = a[6], oa.volga = a[7], oa.charm = a[8], oa.rho_q = a[9];
        oa.price_usd = a[10], oa.delta_coin = a[11];
        ob.price = b[0], ob.delta = b[1], ob.gamma = b[2], ob.vega = b[3], ob.theta = b[4];
        ob.rho = b[5], ob.vanna = b[6], ob.volga = b[7], ob.charm = b[8], ob.rho_q = b[9];
        ob.price_usd = b[10], ob.delta_coin = b[11];
        const double *qq = model == QPM_MODEL_BSM ? q : NULL;
        cr_assert_eq(qpm_pricer_price(ps, N, u, k, T, r, qq, s, ty, &oa), QPM_OK);
        cr_assert_eq(qpm_pricer_price(pv, N, u, k, T, r, qq, s, ty, &ob), QPM_OK);
        double worst_wc[NO] = {0};
        for (size_t i = 0; i < N; i++) {
            double qi = model == QPM_MODEL_BSM ? q[i] : 0.0;
            double x = log(u[i] / k[i]) + (model == QPM_MODEL_BSM ? (r[i] - qi) * T[i] : 0.0);
            double sd = s[i] * sqrt(T[i]);
            double d1 = sd > 0 ? x / sd + 0.5 * sd : 0.0, d2 = d1 - sd;
            double c = 1.0 + fmax(d1 * d1, d2 * d2);
            double U = u[i];
            double F = model == QPM_MODEL_BSM ? U * exp((r[i] - qi) * T[i]) : U;
            /* term magnitudes: price ~ |delta| U; theta, charm, vanna, volga ~
             * their density terms */
            double dens = a[3][i] / (U * sqrt(T[i]) + 1e-300);
            double m[NO] = {0};
            m[PRICE] = settle == QPM_SETTLE_INVERSE ? fabs(a[1][i]) * U / F : fabs(a[1][i]) * U;
            m[PUSD] = fabs(a[1][i]) * U;
            m[RHO] = model == QPM_MODEL_BSM ? 0.0 : T[i] * m[PUSD];
            m[THETA] = fabs(r[i]) * (fabs(a[10][i]) + m[PUSD]) + a[3][i] * s[i] / (2 * T[i] + 1e-300) +
                       fabs((r[i] - qi) * U * a[1][i]);
            m[VANNA] = dens * (fabs(d1) + fabs(d2) + 1) / (s[i] + 1e-300);
            m[VOLGA] = a[3][i] * (fabs(d1) + 1) * (fabs(d2) + 1) / (s[i] + 1e-300);
            m[CHARM] = fabs(qi * a[1][i]) + fabs(r[i] * a[1][i]) +
                       dens * (2 * fabs(r[i] - qi) * T[i] + (fabs(d2) + 1) * sd) /
                           (2 * T[i] * sd + 1e-300);
            m[DCOIN] = settle == QPM_SETTLE_INVERSE ? fabs(a[1][i]) : 0.0;
            for (int o = 0; o < NO; o++) {
                double va = a[o][i], vb = b[o][i];
                if (isinf(va) || isinf(vb) || isnan(va) || isnan(vb)) {
                    cr_assert(memcmp(&va, &vb, sizeof va) == 0,
                              "model %d element %zu output %d: %g vs %g", model, i, o, va, vb);
                    continue;
                }
                double tol = 16 * EPS * (c * fabs(va) + c * m[o]) + 1e-300;
                double err = fabs(va - vb);
                cr_assert(err <= tol,
                          "kernel %d model %d element %zu output %d: scalar %.17g simd %.17g (u %g k "
                          "%g T %g r %g q %g s %g type %d) err %.3g > %.3g",
                          kernel, model, i, o, va, vb, u[i], k[i], T[i], r[i], qi, s[i], ty[i], err, tol);
                if (c <= 2.0 && m[o] <= fabs(va) && fabs(va) > 1e-6 * U * 1e-6 && err / fabs(va) > worst_wc[o])
                    worst_wc[o] = err / fabs(va);
            }
        }
        cr_log_info("kernel %d model %d: largest relative SIMD-scalar difference, well conditioned: "
                    "price %.2g delta %.2g gamma %.2g vega %.2g",
                    kernel, model, worst_wc[0], worst_wc[1], worst_wc[2], worst_wc[3]);
        qpm_pricer_free(ps);
        qpm_pricer_free(pv);
    }
    for (int o = 0; o < NO; o++) {
        free(a[o]);
        free(b[o]);
    }
    free(u), free(k), free(T), free(r), free(q), free(s), free(ty);
    cr_assert_eq(qt_leak_check(), 0);
}

/* ---- determinism: threads, split, chain --------------------------------------- */

Test(pricing_props, bit_identical_for_any_thread_count_split_and_chain)
{
    enum { N = 20011 };
    static double u[N], k[N], T[N], r[N], q[N], s[N], ref[2][N], got[2][N];
    static int32_t ty[N];
    for (size_t i = 0; i < N; i++) {
        u[i] = 50000, T[i] = 0.3, r[i] = 0.04, q[i] = 0.01;
        k[i] = u[i] * exp(unif(-1, 1));
        s[i] = unif(0.1, 2);
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
    }
    int ks[3], nk = qt_pricer_kernels(ks);
    for (int kk = 0; kk < nk; kk++) {
        qpm_pricer *p;
        make_pricer(&p, QPM_MODEL_BSM, QPM_SETTLE_LINEAR, ks[kk]);
        cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 1), QPM_OK);
        qpm_pricer_out o;
        memset(&o, 0, sizeof o);
        o.size = sizeof o;
        o.price = ref[0], o.theta = ref[1];
        cr_assert_eq(qpm_pricer_price(p, N, u, k, T, r, q, s, ty, &o), QPM_OK);
        o.price = got[0], o.theta = got[1];
        for (unsigned th = 2; th <= 5; th++) {
            cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, th), QPM_OK);
            memset(got, 0, sizeof got);
            cr_assert_eq(qpm_pricer_price(p, N, u, k, T, r, q, s, ty, &o), QPM_OK);
            cr_assert(memcmp(got, ref, sizeof got) == 0, "threads = %u differ", th);
        }
        /* any split of the batch: each element is computed on its own */
        memset(got, 0, sizeof got);
        for (size_t b = 0; b < N;) {
            size_t len = 1 + (b * 7919) % 37;
            if (b + len > N)
                len = N - b;
            qpm_pricer_out os = o;
            os.price = got[0] + b, os.theta = got[1] + b;
            cr_assert_eq(qpm_pricer_price(p, len, u + b, k + b, T + b, r + b, q + b, s + b,
                                          ty + b, &os),
                         QPM_OK);
            b += len;
        }
        cr_assert(memcmp(got, ref, sizeof got) == 0, "split batches differ");
        memset(got, 0, sizeof got);
        cr_assert_eq(qpm_pricer_price_chain(p, N, u[0], T[0], r[0], q[0], k, s, ty, &o), QPM_OK);
        cr_assert(memcmp(got, ref, sizeof got) == 0, "chain differs from batch");
        qpm_pricer_free(p);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* ---- limits ---------------------------------------------------------------- */

static void check_limit_matches_small(qpm_model model, int kernel)
{
    /* T = 0 and sigma = 0 give the limit of tiny T and tiny sigma away from
     * the money; at the money the documented limits. */
    qpm_pricer *p;
    make_pricer(&p, model, QPM_SETTLE_LINEAR, kernel);
    double u = 100, r = 0.05, q = model == QPM_MODEL_BSM ? 0.02 : 0.0;
    const double ks[3] = {90, 110, 100};
    for (int j = 0; j < 2; j++)
        for (int t = -1; t <= 1; t += 2) {
            allout lim, near;
            /* sigma = 0, T = 1 against sigma = 1e-9 */
            price1(p, model, u, ks[j], 1.0, r, q, 0.0, t, &lim);
            price1(p, model, u, ks[j], 1.0, r, q, model == QPM_MODEL_BACHELIER ? 1e-7 : 1e-9, t,
                   &near);
            for (int o = 0; o < NO; o++) {
                cr_assert(isfinite(lim.v[o]), "model %d output %d not finite", model, o);
                cr_assert(fabs(lim.v[o] - near.v[o]) <= 1e-9 * (1 + fabs(near.v[o])),
                          "model %d K %g type %d output %d: limit %.17g, near %.17g", model, ks[j],
                          t, o, lim.v[o], near.v[o]);
            }
            /* T = 0: intrinsic value, delta 0 or +-1 */
            price1(p, model, u, ks[j], 0.0, r, q, 0.3, t, &lim);
            double intr = fmax(t * (u - ks[j]), 0.0);
            cr_assert_eq(lim.v[PRICE], intr);
            cr_assert_eq(lim.v[DELTA], intr > 0 ? (double)t : 0.0);
            cr_assert_eq(lim.v[GAMMA], 0.0);
            cr_assert_eq(lim.v[VEGA], 0.0);
        }
    /* at the money at expiry: value 0, delta +-1/2, gamma +Inf, vega 0 */
    allout atm;
    double katm = model == QPM_MODEL_BSM ? u : u;
    price1(p, model, u, katm, 0.0, r, q, 0.3, QPM_CALL, &atm);
    cr_assert_eq(atm.v[PRICE], 0.0);
    cr_assert_eq(atm.v[DELTA], 0.5);
    cr_assert(isinf(atm.v[GAMMA]) && atm.v[GAMMA] > 0);
    cr_assert_eq(atm.v[VEGA], 0.0);
    cr_assert(isinf(atm.v[THETA]) && atm.v[THETA] < 0, "theta %g", atm.v[THETA]);
    qpm_pricer_free(p);
}

Test(pricing_props, limits_t0_and_sigma0)
{
    int ks[3], nk = qt_pricer_kernels(ks);
    for (int kk = 0; kk < nk; kk++) {
        check_limit_matches_small(QPM_MODEL_BSM, ks[kk]);
        check_limit_matches_small(QPM_MODEL_BLACK76, ks[kk]);
        check_limit_matches_small(QPM_MODEL_BACHELIER, ks[kk]);
    }
}

/* Extreme but valid inputs: never a NaN; an infinity only where pricing.h
 * documents an infinite limit (gamma, theta, charm at the money with T = 0
 * or sigma = 0); a value beyond the range of double (the gamma of 1e-200
 * options at s = 1e-158, say) is QPM_E_OVERFLOW, decided alike by every
 * kernel. */
Test(pricing_props, no_nan_on_extreme_valid_inputs)
{
    static const double us[] = {1e-200, 1e-8, 1.0, 1e8, 1e200};
    static const double Ts[] = {0.0, 1e-300, 1e-12, 1.0, 1e3};
    static const double ss[] = {0.0, 1e-300, 1e-8, 1.0, 50.0};
    int ks[3], nk = qt_pricer_kernels(ks);
    static qpm_status want[3][5][5][5][5];
    long overflow = 0, ok = 0;
    for (int kk = 0; kk < nk; kk++)
        for (int m = 0; m < 3; m++) {
            qpm_pricer *p;
            make_pricer(&p, (qpm_model)m, QPM_SETTLE_LINEAR, ks[kk]);
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 5; b++)
                    for (int c = 0; c < 5; c++)
                        for (int d = 0; d < 5; d++) {
                            allout o;
                            double r = Ts[c] > 1 ? 0.1 : 0.05;
                            qpm_status st = price1_status(p, (qpm_model)m, us[a], us[b], Ts[c],
                                                          r, 0.0, ss[d],
                                                          (a + b) % 2 ? QPM_CALL : QPM_PUT, &o);
                            if (kk == 0)
                                want[m][a][b][c][d] = st;
                            cr_assert_eq(st, want[m][a][b][c][d],
                                         "kernel %d model %d u %g k %g T %g s %g: %d vs scalar",
                                         ks[kk], m, us[a], us[b], Ts[c], ss[d], (int)st);
                            cr_assert(st == QPM_OK || st == QPM_E_OVERFLOW, "%s",
                                      qpm_last_error());
                            if (st != QPM_OK) {
                                overflow++;
                                continue;
                            }
                            ok++;
                            /* sigma sqrt(T) = 1e-450 rounds to 0: the same limit */
                            int atm_limit = us[a] == us[b] && ss[d] * sqrt(Ts[c]) == 0.0;
                            for (int oo = 0; oo < NO; oo++) {
                                int inf_ok = atm_limit && (oo == GAMMA || oo == THETA ||
                                                           oo == CHARM);
                                cr_assert(isfinite(o.v[oo]) || (inf_ok && isinf(o.v[oo])),
                                          "model %d u %g k %g T %g s %g: output %d = %g", m,
                                          us[a], us[b], Ts[c], ss[d], oo, o.v[oo]);
                            }
                        }
            qpm_pricer_free(p);
        }
    cr_assert(ok > 10 * overflow, "%ld OK, %ld overflow", ok, overflow);
}
