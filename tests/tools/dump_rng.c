/* qpm_dump, family "rng": every generator kind from fixed seeds; raw
 * outputs, uniforms, normals, gamma, Student-t and Poisson variates (each
 * from a freshly seeded generator, then the state it leaves, which shows how
 * many draws it used); jump-ahead, streams, split, state save/restore; the
 * inverse normal CDF over a grid with both tails; and the errors. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static const qpm_rng_kind kinds[3] = {QPM_RNG_PCG64DXSM, QPM_RNG_PCG64, QPM_RNG_PCG32};
static const char *kind_tag[3] = {"pcg64dxsm", "pcg64", "pcg32"};

/* seed 0: (42, 54), the reference's first seed */
#define SEED0 0, 42, 0, 54

static void dump_state(const char *name, const qpm_rng *rng)
{
    uint64_t v[4] = {0, 0, 0, 0};
    qpm_status st = qpm_rng_get_state(rng, &v[0], &v[1], &v[2], &v[3]);
    if (st != QPM_OK) {
        dump_status(name, st);
        return;
    }
    dump_u64k(name, "state_hi", v[0]);
    dump_u64k(name, "state_lo", v[1]);
    dump_u64k(name, "inc_hi", v[2]);
    dump_u64k(name, "inc_lo", v[3]);
}

static void dump_raw(const char *name, qpm_rng *rng, size_t n)
{
    uint64_t *v = dump_alloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = 0x5a5a5a5a5a5a5a5aull;
    if (dump_status(name, qpm_rng_raw(rng, n, v)) == QPM_OK)
        for (size_t i = 0; i < n; i++)
            dump_u64(name, i, v[i]);
    free(v);
}

typedef qpm_status (*dist_fn)(qpm_rng *, size_t, double, double *);

static qpm_status uniform_fn(qpm_rng *r, size_t n, double a, double *o)
{
    (void)a;
    return qpm_rng_uniform(r, n, o);
}
static qpm_status uniform_open_fn(qpm_rng *r, size_t n, double a, double *o)
{
    (void)a;
    return qpm_rng_uniform_open(r, n, o);
}
static qpm_status normal_fn(qpm_rng *r, size_t n, double a, double *o)
{
    (void)a;
    return qpm_rng_normal(r, n, o);
}

/* Re-seeds rng to seed 0, draws n values (in calls of `step` values), dumps
 * them, the status of the last call and the state left. */
static void draw(const char *name, qpm_rng *rng, dist_fn fn, double arg, size_t n, size_t step)
{
    char nm[DUMP_NAME];
    qpm_rng_seed(rng, SEED0);
    double *v = dump_alloc(n * sizeof *v);
    dump_fill(v, n);
    qpm_status st = QPM_OK;
    for (size_t i = 0; i < n && st == QPM_OK; i += step)
        st = fn(rng, n - i < step ? n - i : step, arg, v + i);
    dump_status(name, st);
    dump_f64s(name, n, v, 1);
    dump_state(dump_name(nm, "%s.after", name), rng);
    free(v);
}

static void distributions(qpm_rng *rng, const char *tag)
{
    char nm[DUMP_NAME];
    draw(dump_name(nm, "rng.%s.uniform", tag), rng, uniform_fn, 0.0, 1000, 1000);
    draw(dump_name(nm, "rng.%s.uniform_open", tag), rng, uniform_open_fn, 0.0, 1000, 1000);
    draw(dump_name(nm, "rng.%s.normal", tag), rng, normal_fn, 0.0, 1000, 1000);
    draw(dump_name(nm, "rng.%s.normal_by1", tag), rng, normal_fn, 0.0, 64, 1);
    draw(dump_name(nm, "rng.%s.uniform_by3", tag), rng, uniform_fn, 0.0, 64, 3);
    static const double shapes[] = {1e-300, 1e-3, 0.3, 0.999, 1.0, 1.5, 2.5, 100.0, 1e6, 1e15};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        draw(dump_name(nm, "rng.%s.gamma_%zu", tag, k), rng, qpm_rng_gamma, shapes[k], 200, 200);
    static const double nus[] = {1e-3, 0.5, 1.0, 2.5, 4.0, 30.0, 1e6, 1e300};
    for (size_t k = 0; k < sizeof nus / sizeof nus[0]; k++)
        draw(dump_name(nm, "rng.%s.student_t_%zu", tag, k), rng, qpm_rng_student_t, nus[k], 200,
             200);
    static const double lambdas[] = {0.0,  1e-3,   0.5, 5.0,  9.999, 10.0,
                                     30.0, 1000.0, 1e6, 1e12, 1e15};
    for (size_t k = 0; k < sizeof lambdas / sizeof lambdas[0]; k++)
        draw(dump_name(nm, "rng.%s.poisson_%zu", tag, k), rng, qpm_rng_poisson, lambdas[k], 200,
             200);
}

static void jumps_and_streams(qpm_rng *rng, const char *tag)
{
    char nm[DUMP_NAME];
    static const uint64_t adv[][2] = {{1, 12345},
                                      {0, 1},
                                      {0, 0},
                                      {UINT64_MAX, UINT64_MAX},
                                      {0x8000000000000000ull, 3},
                                      {0, 0x8000000000003039ull}};
    for (size_t k = 0; k < sizeof adv / sizeof adv[0]; k++) {
        qpm_rng_seed(rng, SEED0);
        dump_status(dump_name(nm, "rng.%s.advance_%zu", tag, k),
                    qpm_rng_advance(rng, adv[k][0], adv[k][1]));
        dump_state(nm, rng);
        dump_raw(dump_name(nm, "rng.%s.advance_%zu.raw", tag, k), rng, 16);
    }

    qpm_rng_seed(rng, SEED0);
    uint64_t skip[5];
    qpm_rng_raw(rng, 5, skip);
    qpm_rng *dst = NULL;
    if (dump_status(dump_name(nm, "rng.%s.stream_dst", tag),
                    qpm_rng_create_seed(&dst, NULL, QPM_RNG_PCG32, 99)) != QPM_OK)
        return;
    static const uint64_t ks[] = {0, 1, 2, 3, 1000, 1ull << 32, UINT64_MAX};
    for (size_t k = 0; k < sizeof ks / sizeof ks[0]; k++) {
        dump_status(dump_name(nm, "rng.%s.stream_%zu", tag, k),
                    qpm_rng_set_stream(dst, rng, ks[k]));
        qpm_rng_kind kd = (qpm_rng_kind)-1;
        qpm_rng_get_kind(dst, &kd);
        dump_i64k(nm, "kind", (long long)kd);
        dump_state(nm, dst);
        dump_raw(dump_name(nm, "rng.%s.stream_%zu.raw", tag, k), dst, 8);
    }
    dump_state(dump_name(nm, "rng.%s.stream_parent", tag), rng);
    qpm_rng_free(dst);

    qpm_rng *child = NULL;
    if (dump_status(dump_name(nm, "rng.%s.split", tag), qpm_rng_split(&child, NULL, rng, 7)) ==
        QPM_OK) {
        dump_state(nm, child);
        dump_raw(dump_name(nm, "rng.%s.split.raw", tag), child, 8);
        qpm_rng_free(child);
    }
    /* dst == parent: replaced by its child 9 */
    dump_status(dump_name(nm, "rng.%s.stream_self", tag), qpm_rng_set_stream(rng, rng, 9));
    dump_state(nm, rng);
    dump_raw(dump_name(nm, "rng.%s.stream_self.raw", tag), rng, 8);

    /* save and restore */
    uint64_t sh, sl, ih, il;
    qpm_rng_get_state(rng, &sh, &sl, &ih, &il);
    uint64_t first[4];
    qpm_rng_raw(rng, 4, first);
    dump_status(dump_name(nm, "rng.%s.set_state", tag), qpm_rng_set_state(rng, sh, sl, ih, il));
    dump_raw(dump_name(nm, "rng.%s.set_state.raw", tag), rng, 4);
    dump_status(dump_name(nm, "rng.%s.set_state_even_inc", tag),
                qpm_rng_set_state(rng, 1, 2, 0, 4));
    dump_status(dump_name(nm, "rng.%s.set_state_hi", tag), qpm_rng_set_state(rng, 1, 2, 1, 5));
    dump_state(nm, rng);
}

static void errors(qpm_rng *rng)
{
    double out[4];
    uint64_t raw[4];
    dump_status("rng.err.gamma_zero", qpm_rng_gamma(rng, 4, 0.0, out));
    dump_status("rng.err.gamma_negative", qpm_rng_gamma(rng, 4, -1.0, out));
    dump_status("rng.err.gamma_nan", qpm_rng_gamma(rng, 4, (double)NAN, out));
    dump_status("rng.err.gamma_inf", qpm_rng_gamma(rng, 4, (double)INFINITY, out));
    dump_status("rng.err.gamma_n0_bad_shape", qpm_rng_gamma(rng, 0, -1.0, NULL));
    dump_status("rng.err.student_t_zero", qpm_rng_student_t(rng, 4, 0.0, out));
    dump_status("rng.err.student_t_nan", qpm_rng_student_t(rng, 4, (double)NAN, out));
    dump_status("rng.err.poisson_negative", qpm_rng_poisson(rng, 4, -1.0, out));
    dump_status("rng.err.poisson_too_large", qpm_rng_poisson(rng, 4, 2e15, out));
    dump_status("rng.err.poisson_nan", qpm_rng_poisson(rng, 4, (double)NAN, out));
    dump_status("rng.err.poisson_inf", qpm_rng_poisson(rng, 4, (double)INFINITY, out));
    dump_status("rng.err.raw_null_out", qpm_rng_raw(rng, 4, NULL));
    dump_status("rng.err.uniform_null_rng", qpm_rng_uniform(NULL, 4, out));
    dump_status("rng.err.normal_n0_null", qpm_rng_normal(rng, 0, NULL));
    dump_status("rng.err.raw_null_rng", qpm_rng_raw(NULL, 4, raw));
    dump_status("rng.err.advance_null", qpm_rng_advance(NULL, 0, 1));
    dump_status("rng.err.seed_null", qpm_rng_seed(NULL, 0, 1, 0, 1));
    dump_status("rng.err.stream_null", qpm_rng_set_stream(rng, NULL, 1));
    qpm_rng *bad = NULL;
    dump_status("rng.err.create_kind", qpm_rng_create(&bad, NULL, (qpm_rng_kind)7, 0, 1, 0, 1));
    dump_status("rng.err.create_seed_kind", qpm_rng_create_seed(&bad, NULL, (qpm_rng_kind)-1, 1));
    dump_status("rng.err.split_null_parent", qpm_rng_split(&bad, NULL, NULL, 1));
    dump_status("rng.err.get_kind_null", qpm_rng_get_kind(rng, NULL));
    qpm_rng_free(bad);
    for (int k = -1; k <= 4; k++) {
        char nm[DUMP_NAME];
        dump_text(dump_name(nm, "rng.kind_name.%d", k), "name", qpm_rng_kind_name((qpm_rng_kind)k));
    }
    dump_f64k("rng.poisson_max", "value", qpm_rng_poisson_max());
}

static size_t norm_inv_grid(double *p)
{
    size_t n = 0;
    for (int k = 0; k <= 1000; k++)
        p[n++] = k / 1000.0;
    for (int e = 1; e <= 1074; e++)
        p[n++] = ldexp(1.0, -e);
    for (int e = 1; e <= 53; e++)
        p[n++] = 1.0 - ldexp(1.0, -e);
    /* the branch points of AS241 (|p - 1/2| = 0.425, -ln p = 25), the end of
     * the Newton correction (1e-305) and the normal range, a few ulp each way */
    static const double pts[] = {
        0.075, 0.925, 0.5, 1e-305, DBL_MIN, 1.3887943864964021e-11, 1.0 - 1.3887943864964021e-11};
    for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
        double lo = pts[k], hi = pts[k];
        p[n++] = pts[k];
        for (int j = 0; j < 3; j++) {
            lo = nextafter(lo, 0.0);
            hi = nextafter(hi, 1.0);
            p[n++] = lo;
            p[n++] = hi;
        }
    }
    p[n++] = exp(-25.0);
    dump_rand r = {0x6e6f726d5f696e76ull};
    for (int k = 0; k < 2000; k++)
        p[n++] = dump_rand_unif(&r);
    for (int k = 0; k < 500; k++)
        p[n++] = dump_rand_logrange(&r, 1e-320, 1e-3);
    for (int k = 0; k < 500; k++)
        p[n++] = 1.0 - dump_rand_logrange(&r, 1e-16, 1e-3);
    return n;
}

static void norm_inv(void)
{
    enum { MAXP = 6000 };
    double *p = dump_alloc(MAXP * sizeof *p), *out = dump_alloc(MAXP * sizeof *out);
    size_t n = norm_inv_grid(p);
    dump_f64s("rng.norm_inv.p", n, p, 1);
    for (size_t i = 0; i < n; i++)
        out[i] = qpm_norm_inv(p[i]);
    dump_f64s("rng.norm_inv.z", n, out, 1);
    dump_fill(out, n);
    dump_status("rng.norm_inv_bulk", qpm_norm_inv_bulk(n, p, out));
    dump_f64s("rng.norm_inv_bulk.z", n, out, 1);
    memcpy(out, p, n * sizeof *out);
    dump_status("rng.norm_inv_bulk_inplace", qpm_norm_inv_bulk(n, out, out));
    dump_f64s("rng.norm_inv_bulk_inplace.z", n, out, 1);

    static const double bad[] = {(double)NAN,      -1e-300,           -1.0, 1.0 + DBL_EPSILON,
                                 (double)INFINITY, -(double)INFINITY, -0.0};
    char nm[DUMP_NAME];
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        qpm_clear_error();
        double z = qpm_norm_inv(bad[k]);
        dump_name(nm, "rng.norm_inv_bad.%zu", k);
        dump_f64k(nm, "z", z);
        dump_i64k(nm, "last_status", (long long)qpm_last_status());
        dump_text(nm, "message", qpm_last_error());
        double pb[9] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, ob[9];
        pb[7] = bad[k];
        dump_fill(ob, 9);
        dump_status(dump_name(nm, "rng.norm_inv_bulk_bad.%zu", k), qpm_norm_inv_bulk(9, pb, ob));
        dump_f64s(nm, 9, ob, 1);
    }
    dump_status("rng.norm_inv_bulk_null", qpm_norm_inv_bulk(3, NULL, out));
    dump_status("rng.norm_inv_bulk_n0", qpm_norm_inv_bulk(0, NULL, NULL));
    free(p);
    free(out);
}

void dump_rng(void)
{
    char nm[DUMP_NAME];
    for (int k = 0; k < 3; k++) {
        const char *tag = kind_tag[k];
        qpm_rng *rng = NULL;
        if (dump_status(dump_name(nm, "rng.%s.create", tag),
                        qpm_rng_create(&rng, NULL, kinds[k], SEED0)) != QPM_OK)
            continue;
        dump_state(nm, rng);
        dump_raw(dump_name(nm, "rng.%s.seed0.raw", tag), rng, 1000);
        dump_state(dump_name(nm, "rng.%s.seed0.after", tag), rng);
        qpm_rng_seed(rng, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX);
        dump_state(dump_name(nm, "rng.%s.seed1", tag), rng);
        dump_raw(dump_name(nm, "rng.%s.seed1.raw", tag), rng, 64);
        qpm_rng_seed(rng, 0x0123456789abcdefull, 0xfedcba9876543210ull, 0x8000000000000000ull, 1);
        dump_state(dump_name(nm, "rng.%s.seed2", tag), rng);
        dump_raw(dump_name(nm, "rng.%s.seed2.raw", tag), rng, 64);
        qpm_rng *s64 = NULL;
        if (dump_status(dump_name(nm, "rng.%s.create_seed", tag),
                        qpm_rng_create_seed(&s64, NULL, kinds[k], 0x853c49e6748fea9bull)) ==
            QPM_OK) {
            dump_state(nm, s64);
            dump_raw(dump_name(nm, "rng.%s.create_seed.raw", tag), s64, 64);
            qpm_rng_free(s64);
        }
        distributions(rng, tag);
        jumps_and_streams(rng, tag);
        if (k == 0)
            errors(rng);
        qpm_rng_free(rng);
    }
    norm_inv();
}
