/* Pricing: handle life cycle, settings, bad input, allocation failure. */
#include <criterion/criterion.h>
#include <float.h>
#include <stdio.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include "qpm/pricing.h"
#include "support/testutil.h"

#define HAS(msg) cr_assert_neq(strstr(qpm_last_error(), (msg)), NULL, "message: %s", qpm_last_error())

Test(pricing_api, create_free_and_bad_enums)
{
    qpm_pricer *p = (qpm_pricer *)1;
    cr_assert_eq(qpm_pricer_create(NULL, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_E_NULL);
    cr_assert_eq(qpm_pricer_create(&p, NULL, (qpm_model)7, QPM_SETTLE_LINEAR), QPM_E_INVALID);
    cr_assert_null(p);
    HAS("model = 7");
    p = (qpm_pricer *)1;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, (qpm_settlement)-1), QPM_E_INVALID);
    cr_assert_null(p);
    HAS("settle = -1");
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BACHELIER, QPM_SETTLE_INVERSE),
                 QPM_E_UNSUPPORTED);
    cr_assert_null(p);
    qpm_alloc bad = {0};
    cr_assert_eq(qpm_pricer_create(&p, &bad, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_E_INVALID);
    cr_assert_null(p);
    for (int m = 0; m < 3; m++)
        for (int s = 0; s < 2; s++) {
            if (m == QPM_MODEL_BACHELIER && s == QPM_SETTLE_INVERSE)
                continue;
            cr_assert_eq(qpm_pricer_create(&p, NULL, (qpm_model)m, (qpm_settlement)s), QPM_OK);
            qpm_pricer_free(p);
        }
    qpm_pricer_free(NULL);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(pricing_api, settings_and_bounds)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE), QPM_OK);
    double lo, hi, v;
    cr_assert_eq(qpm_pricer_bounds(QPM_PRICER_THREADS, &lo, &hi), QPM_OK);
    cr_assert_eq(lo, 1.0);
    cr_assert_eq(hi, (double)qpm_max_threads());
    cr_assert_eq(qpm_pricer_bounds(QPM_PRICER_KERNEL, &lo, &hi), QPM_OK);
    cr_assert_eq(lo, 0.0);
    cr_assert_eq(hi, 3.0);
    cr_assert_eq(qpm_pricer_bounds(QPM_PRICER_PAR_MIN, &lo, &hi), QPM_OK);
    cr_assert_eq(qpm_pricer_bounds(QPM_PRICER_CHUNK, &lo, &hi), QPM_OK);
    cr_assert_eq(lo, hi);
    cr_assert_eq(qpm_pricer_bounds((qpm_pricer_key)99, &lo, &hi), QPM_E_KEY);
    cr_assert_eq(qpm_pricer_bounds(QPM_PRICER_THREADS, NULL, &hi), QPM_E_NULL);

    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 1.0);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 3), QPM_OK);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 3.0);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 0), QPM_E_RANGE);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 2.5), QPM_E_RANGE);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, NAN), QPM_E_RANGE);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 3.0, "a failed set keeps the old value");
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 1), QPM_OK);

    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_SCALAR), QPM_OK);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_KERNEL, &v), QPM_OK);
    cr_assert_eq(v, 1.0);
    unsigned f = qpm_cpu_features();
    int avx2 = (f & QPM_CPU_AVX2) && (f & QPM_CPU_FMA);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AVX2),
                 avx2 ? QPM_OK : QPM_E_UNSUPPORTED);
    qpm_status s512 = qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AVX512);
    cr_assert(s512 == QPM_OK || s512 == QPM_E_UNSUPPORTED);
    if (!(f & QPM_CPU_AVX512F))
        cr_assert_eq(s512, QPM_E_UNSUPPORTED);
    /* auto: the widest kernel this CPU runs */
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, QPM_PRICER_KERNEL_AUTO), QPM_OK);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_KERNEL, &v), QPM_OK);
    cr_assert_eq(v, s512 == QPM_OK ? 3.0 : avx2 ? 2.0 : 1.0);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, 4), QPM_E_RANGE);

    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 100), QPM_OK);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_PAR_MIN, &v), QPM_OK);
    cr_assert_eq(v, 100.0);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 0), QPM_E_RANGE);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_CHUNK, &v), QPM_OK);
    cr_assert_eq(v, 1024.0);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_CHUNK, 1024), QPM_E_KEY);
    cr_assert_eq(qpm_pricer_set(p, (qpm_pricer_key)42, 1), QPM_E_KEY);
    cr_assert_eq(qpm_pricer_get(p, (qpm_pricer_key)42, &v), QPM_E_KEY);
    cr_assert_eq(qpm_pricer_set(NULL, QPM_PRICER_THREADS, 1), QPM_E_NULL);
    cr_assert_eq(qpm_pricer_get(NULL, QPM_PRICER_THREADS, &v), QPM_E_NULL);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_THREADS, NULL), QPM_E_NULL);
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}

struct batch {
    double S[4], K[4], T[4], r[4], q[4], sig[4], price[4];
    int32_t type[4];
    qpm_pricer_out out;
};

static void fresh(struct batch *b)
{
    for (int i = 0; i < 4; i++) {
        b->S[i] = 100, b->K[i] = 90 + 5 * i, b->T[i] = 0.5, b->r[i] = 0.03, b->q[i] = 0.01;
        b->sig[i] = 0.4, b->type[i] = i % 2 ? QPM_PUT : QPM_CALL, b->price[i] = -7;
    }
    memset(&b->out, 0, sizeof b->out);
    b->out.size = sizeof b->out;
    b->out.price = b->price;
}

#define PRICE(p, b) \
    qpm_pricer_price((p), 4, (b).S, (b).K, (b).T, (b).r, (b).q, (b).sig, (b).type, &(b).out)

Test(pricing_api, bad_input_is_named_and_outputs_untouched)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    struct batch b;
    int kernels[2] = {QPM_PRICER_KERNEL_SCALAR, QPM_PRICER_KERNEL_AUTO}; /* screens differ */
    for (int kk = 0; kk < 2; kk++) {
        cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, kernels[kk]), QPM_OK);
        fresh(&b);
        b.K[2] = -5;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("strike[2] = -5: must be > 0");
        cr_assert_eq(b.price[0], -7.0);
        fresh(&b);
        b.S[3] = 0;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("underlying[3]");
        fresh(&b);
        b.S[1] = NAN;
        cr_assert_eq(PRICE(p, b), QPM_E_NONFINITE);
        HAS("underlying[1]");
        fresh(&b);
        b.T[1] = -1e-9;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("T[1]");
        fresh(&b);
        b.T[0] = INFINITY;
        cr_assert_eq(PRICE(p, b), QPM_E_NONFINITE);
        HAS("T[0]");
        fresh(&b);
        b.sig[2] = -0.1;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("sigma[2]");
        fresh(&b);
        b.r[1] = NAN;
        cr_assert_eq(PRICE(p, b), QPM_E_NONFINITE);
        HAS("r[1]");
        fresh(&b);
        b.q[3] = INFINITY;
        cr_assert_eq(PRICE(p, b), QPM_E_NONFINITE);
        HAS("q[3]");
        fresh(&b);
        b.r[2] = 1e3;
        b.T[2] = 1.0;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("r[2] * T[2]");
        fresh(&b);
        b.type[1] = 0;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("type[1] = 0");
        fresh(&b);
        cr_assert_eq(qpm_pricer_price(p, 0, b.S, b.K, b.T, b.r, b.q, b.sig, b.type, &b.out),
                     QPM_E_SIZE);
        cr_assert_eq(qpm_pricer_price(p, 4, NULL, b.K, b.T, b.r, b.q, b.sig, b.type, &b.out),
                     QPM_E_NULL);
        HAS("underlying");
        cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, b.q, NULL, b.type, &b.out),
                     QPM_E_NULL);
        HAS("sigma");
        cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, b.q, b.sig, NULL, &b.out),
                     QPM_E_NULL);
        HAS("type");
        cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, b.q, b.sig, b.type, NULL),
                     QPM_E_NULL);
        cr_assert_eq(qpm_pricer_price(NULL, 4, b.S, b.K, b.T, b.r, b.q, b.sig, b.type, &b.out),
                     QPM_E_NULL);
        /* out->size */
        b.out.size = 3;
        cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
        HAS("out->size");
        cr_assert_eq(b.price[0], -7.0);
        /* an older, shorter struct: fields past size are not written */
        double delta[4] = {-7, -7, -7, -7};
        b.out.delta = delta;
        b.out.size = offsetof(qpm_pricer_out, delta);
        cr_assert_eq(PRICE(p, b), QPM_OK);
        cr_assert_neq(b.price[0], -7.0);
        cr_assert_eq(delta[0], -7.0);
        /* a newer, longer struct with unknown fields zero is accepted */
        struct {
            qpm_pricer_out o;
            double *extra;
        } longer;
        memset(&longer, 0, sizeof longer);
        longer.o.size = sizeof longer;
        longer.o.price = b.price;
        cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, b.q, b.sig, b.type, &longer.o),
                     QPM_OK);
        longer.extra = delta;
        cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, b.q, b.sig, b.type, &longer.o),
                     QPM_E_UNSUPPORTED);
        /* every output NULL: nothing to do */
        fresh(&b);
        b.out.price = NULL;
        cr_assert_eq(PRICE(p, b), QPM_OK);
        /* the handle still works after errors */
        fresh(&b);
        cr_assert_eq(PRICE(p, b), QPM_OK);
        cr_assert(b.price[0] > 10.0 && b.price[0] < 20.0);
    }
    qpm_pricer_free(p);

    /* forward models refuse q; Bachelier accepts negative values */
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR), QPM_OK);
    fresh(&b);
    cr_assert_eq(PRICE(p, b), QPM_E_INVALID);
    HAS("q: must be NULL");
    cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, NULL, b.sig, b.type, &b.out), QPM_OK);
    cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, NULL, NULL, b.sig, b.type, &b.out), QPM_OK);
    qpm_pricer_free(p);
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BACHELIER, QPM_SETTLE_LINEAR), QPM_OK);
    fresh(&b);
    b.S[0] = -3, b.K[1] = -10, b.sig[2] = 20;
    cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, NULL, b.sig, b.type, &b.out), QPM_OK);
    b.S[0] = NAN;
    cr_assert_eq(qpm_pricer_price(p, 4, b.S, b.K, b.T, b.r, NULL, b.sig, b.type, &b.out),
                 QPM_E_NONFINITE);
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}

/* With threads, a large batch's inputs are screened in runs on the
 * pricer's threads, every run before any output is written: a bad value in
 * any run (the first, at a run boundary, the last element) is named with
 * its status, the first of two bad elements is the one named, and no output
 * is touched; valid batches give the one-thread bits (qpm_pricer_price and
 * qpm_pricer_price_chain). */
Test(pricing_api, threaded_screen_names_bad_input_and_leaves_outputs_untouched)
{
    enum { M = 70001 }; /* more than four runs of the threaded screen */
    static double S[M], K[M], T[M], r[M], q[M], sig[M], price[M], delta[M], ref[2][M];
    static int32_t type[M];
    for (size_t i = 0; i < M; i++) {
        S[i] = 100, K[i] = 50 + (double)(i % 1000) * 0.1, T[i] = 0.01 + (double)(i % 97) * 0.02;
        r[i] = 0.03, q[i] = 0.01, sig[i] = 0.2 + (double)(i % 13) * 0.05;
        type[i] = i % 3 ? QPM_CALL : QPM_PUT;
    }
    qpm_pricer *p1, *p2;
    cr_assert_eq(qpm_pricer_create(&p1, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    cr_assert_eq(qpm_pricer_create(&p2, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    cr_assert_eq(qpm_pricer_set(p2, QPM_PRICER_THREADS, 2), QPM_OK);
    qpm_pricer_out o1 = {.size = sizeof o1, .price = ref[0], .delta = ref[1]};
    qpm_pricer_out o2 = {.size = sizeof o2, .price = price, .delta = delta};
    cr_assert_eq(qpm_pricer_price(p1, M, S, K, T, r, q, sig, type, &o1), QPM_OK);
    cr_assert_eq(qpm_pricer_price(p2, M, S, K, T, r, q, sig, type, &o2), QPM_OK);
    cr_assert(memcmp(price, ref[0], sizeof price) == 0 && memcmp(delta, ref[1], sizeof delta) == 0);
    const size_t at[] = {0, 5, 16383, 16384, 40000, M - 1};
    for (size_t a = 0; a < sizeof at / sizeof at[0]; a++) {
        for (int field = 0; field < 7; field++) {
            size_t j = at[a];
            double *f[6] = {S, K, T, r, q, sig};
            double keep = field < 6 ? f[field][j] : 0.0;
            int32_t keep_type = type[j];
            const char *name[7] = {"underlying", "strike", "T", "r", "q", "sigma", "type"};
            qpm_status want = field < 3 || field == 5 ? QPM_E_INVALID : QPM_E_NONFINITE;
            if (field == 6)
                type[j] = 0, want = QPM_E_INVALID;
            else if (field < 3 || field == 5)
                f[field][j] = -1.0;
            else
                f[field][j] = NAN;
            for (size_t i = 0; i < M; i++)
                price[i] = delta[i] = -7.0;
            cr_assert_eq(qpm_pricer_price(p2, M, S, K, T, r, q, sig, type, &o2), want,
                         "field %d at %zu: %s", field, j, qpm_last_error());
            char tag[64];
            snprintf(tag, sizeof tag, "%s[%zu]", name[field], j);
            HAS(tag);
            for (size_t i = 0; i < M; i++)
                cr_assert(price[i] == -7.0 && delta[i] == -7.0, "output %zu written", i);
            if (field < 6)
                f[field][j] = keep;
            type[j] = keep_type;
        }
    }
    /* two bad elements in different runs: the first is named */
    sig[60000] = -1.0, sig[20000] = NAN;
    cr_assert_eq(qpm_pricer_price(p2, M, S, K, T, r, q, sig, type, &o2), QPM_E_NONFINITE);
    HAS("sigma[20000]");
    sig[60000] = sig[20000] = 0.3;
    /* the chain: a bad strike in the last run */
    o1.delta = o2.delta = NULL;
    cr_assert_eq(qpm_pricer_price_chain(p1, M, 100, 0.5, 0.03, 0.01, K, sig, type, &o1), QPM_OK);
    cr_assert_eq(qpm_pricer_price_chain(p2, M, 100, 0.5, 0.03, 0.01, K, sig, type, &o2), QPM_OK);
    cr_assert(memcmp(price, ref[0], sizeof price) == 0);
    K[M - 2] = 0.0;
    for (size_t i = 0; i < M; i++)
        price[i] = -7.0;
    cr_assert_eq(qpm_pricer_price_chain(p2, M, 100, 0.5, 0.03, 0.01, K, sig, type, &o2),
                 QPM_E_INVALID);
    HAS("strike[69999]");
    for (size_t i = 0; i < M; i++)
        cr_assert(price[i] == -7.0, "output %zu written", i);
    /* the handle still works */
    K[M - 2] = 60.0;
    cr_assert_eq(qpm_pricer_price(p2, M, S, K, T, r, q, sig, type, &o2), QPM_OK);
    qpm_pricer_free(p1);
    qpm_pricer_free(p2);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The vector kernels screen whole batches eight elements at a time (only a
 * batch that fails is checked element by element): on batches long enough
 * for the vector loop, every kernel must accept and refuse exactly what the
 * scalar kernel does, for bad and borderline values at every lane position.
 * Every output is wanted, so that values beyond the range of double
 * (QPM_E_OVERFLOW, found while computing) are decided alike too, with the
 * same first element named. */
Test(pricing_api, every_kernel_screens_like_the_scalar_kernel)
{
    enum { N = 21 };
    const double vals[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, -1.0, 1.0, DBL_MAX,
                           -DBL_MAX, DBL_MIN, 0x1p-1074, -0x1p-1074, 1e300, 700.0, -700.0,
                           0x1.5e00000000001p+9, -0x1.5e00000000001p+9};
    const int32_t tvals[] = {0, 2, -2, 1, -1, INT32_MIN, INT32_MAX};
    const int nv = (int)(sizeof vals / sizeof vals[0]), nt = (int)(sizeof tvals / sizeof tvals[0]);
    const size_t pos[] = {0, 3, 7, 8, 13, 15, 16, 20};
    const qpm_model models[3] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76, QPM_MODEL_BACHELIER};
    qpm_pricer *p[3];
    int ks[3], nk = 0; /* the kernels this CPU runs, scalar first */
    cr_assert_eq(qpm_pricer_create(&p[0], NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    for (int k = QPM_PRICER_KERNEL_SCALAR; k <= QPM_PRICER_KERNEL_AVX512; k++)
        if (qpm_pricer_set(p[0], QPM_PRICER_KERNEL, k) == QPM_OK)
            ks[nk++] = k;
    qpm_pricer_free(p[0]);
    double S[N], K[N], T[N], r[N], q[N], sig[N], res[12][N];
    int32_t type[N];
    qpm_pricer_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    double **outs = &out.price;
    for (int o = 0; o < 12; o++)
        outs[o] = res[o];
    char msg[512];
    long checked = 0;
    for (int mi = 0; mi < 3; mi++) {
        for (int k = 0; k < nk; k++) {
            cr_assert_eq(qpm_pricer_create(&p[k], NULL, models[mi], QPM_SETTLE_LINEAR), QPM_OK);
            cr_assert_eq(qpm_pricer_set(p[k], QPM_PRICER_KERNEL, ks[k]), QPM_OK);
        }
        const int bsm = models[mi] == QPM_MODEL_BSM;
        for (int field = 0; field < 7; field++) {
            if (field == 4 && !bsm)
                continue;
            for (size_t pi = 0; pi < sizeof pos / sizeof pos[0]; pi++) {
                for (int vi = 0; vi < (field == 6 ? nt : nv); vi++) {
                    for (size_t i = 0; i < N; i++) {
                        S[i] = 100, K[i] = 80 + 2.0 * (double)i, T[i] = 1.0, r[i] = 0.03;
                        q[i] = 0.01, sig[i] = 0.3, type[i] = i % 2 ? QPM_PUT : QPM_CALL;
                    }
                    size_t j = pos[pi];
                    double *f[6] = {S, K, T, r, q, sig};
                    if (field < 6)
                        f[field][j] = vals[vi];
                    else
                        type[j] = tvals[vi];
                    const double *qq = bsm ? q : NULL;
                    qpm_status want = qpm_pricer_price(p[0], N, S, K, T, r, qq, sig, type, &out);
                    snprintf(msg, sizeof msg, "%s", qpm_last_error());
                    for (int k = 1; k < nk; k++) {
                        qpm_status got = qpm_pricer_price(p[k], N, S, K, T, r, qq, sig, type, &out);
                        cr_assert_eq(got, want,
                                     "model %d kernel %d field %d [%zu] value #%d: %d vs %d",
                                     (int)models[mi], ks[k], field, j, vi, (int)got, (int)want);
                        if (got == QPM_E_OVERFLOW)
                            cr_assert_str_eq(qpm_last_error(), msg);
                        checked++;
                    }
                    if (field == 1 || field == 5 || field == 6) {
                        /* the chain entry point: one S, T, r, q, broadcast */
                        want = qpm_pricer_price_chain(p[0], N, 100, 1.0, 0.03, bsm ? 0.01 : 0.0, K,
                                                      sig, type, &out);
                        for (int k = 1; k < nk; k++) {
                            qpm_status got = qpm_pricer_price_chain(
                                p[k], N, 100, 1.0, 0.03, bsm ? 0.01 : 0.0, K, sig, type, &out);
                            cr_assert_eq(got, want, "chain model %d kernel %d field %d [%zu] #%d",
                                         (int)models[mi], ks[k], field, j, vi);
                        }
                    }
                }
            }
        }
        for (int k = 0; k < nk; k++)
            qpm_pricer_free(p[k]);
    }
    if (nk > 1)
        cr_assert_gt(checked, 1000);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(pricing_api, chain_checks_scalars)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE), QPM_OK);
    struct batch b;
    fresh(&b);
    cr_assert_eq(qpm_pricer_price_chain(p, 4, 100, 0.5, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_OK);
    cr_assert(b.price[0] > 0 && b.price[0] < 1, "coin price %g", b.price[0]);
    cr_assert_eq(qpm_pricer_price_chain(p, 4, -100, 0.5, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_INVALID);
    HAS("underlying = -100");
    cr_assert_eq(qpm_pricer_price_chain(p, 4, 100, NAN, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_NONFINITE);
    HAS("T = nan");
    cr_assert_eq(qpm_pricer_price_chain(p, 4, 100, 0.5, 0.0, 0.01, b.K, b.sig, b.type, &b.out),
                 QPM_E_INVALID);
    HAS("q = 0.01");
    cr_assert_eq(qpm_pricer_price_chain(p, 4, 100, 1.0, 800.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_INVALID);
    b.K[3] = 0;
    cr_assert_eq(qpm_pricer_price_chain(p, 4, 100, 0.5, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_INVALID);
    HAS("strike[3]");
    fresh(&b);
    b.sig[1] = NAN;
    cr_assert_eq(qpm_pricer_price_chain(p, 4, 100, 0.5, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_NONFINITE);
    HAS("sigma[1]");
    cr_assert_eq(qpm_pricer_price_chain(p, 0, 100, 0.5, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_SIZE);
    cr_assert_eq(qpm_pricer_price_chain(NULL, 4, 100, 0.5, 0.0, 0.0, b.K, b.sig, b.type, &b.out),
                 QPM_E_NULL);
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(pricing_api, oom_every_allocation)
{
    for (int threads = 1; threads <= 3; threads += 2)
        for (long k = 0;; k++) {
            qt_failalloc fa;
            qt_failalloc_init(&fa, k);
            qpm_pricer *p = (qpm_pricer *)1;
            qpm_status st = qpm_pricer_create(&p, &fa.alloc, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
            if (st == QPM_OK && threads > 1) {
                st = qpm_pricer_set(p, QPM_PRICER_THREADS, threads);
                if (st != QPM_OK) {
                    cr_assert_eq(st, QPM_E_NOMEM, "k=%ld: %s", k, qpm_status_name(st));
                    double v;
                    qpm_pricer_get(p, QPM_PRICER_THREADS, &v);
                    cr_assert_eq(v, 1.0);
                    qpm_pricer_free(p);
                    cr_assert_eq(fa.live, 0, "k=%ld leaks %ld blocks", k, fa.live);
                    continue;
                }
            }
            if (st == QPM_OK) {
                struct batch b;
                fresh(&b);
                cr_assert_eq(PRICE(p, b), QPM_OK);
                qpm_pricer_free(p);
                cr_assert_eq(fa.live, 0);
                break;
            }
            cr_assert_eq(st, QPM_E_NOMEM, "k=%ld: %s", k, qpm_status_name(st));
            cr_assert_null(p);
            cr_assert_eq(fa.live, 0, "k=%ld leaks %ld blocks", k, fa.live);
        }
    cr_assert_eq(qt_leak_check(), 0);
}
