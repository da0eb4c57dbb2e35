/* rng state: seeding forms, save/restore, jump-ahead, bad input, allocation
 * failure. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "qpm/rng.h"
#include "support/testutil.h"

static const qpm_rng_kind kinds[] = {QPM_RNG_PCG64DXSM, QPM_RNG_PCG64, QPM_RNG_PCG32};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static qpm_rng *make(qpm_rng_kind kind, uint64_t s)
{
    qpm_rng *r = NULL;
    cr_assert_eq(qpm_rng_create(&r, NULL, kind, 0x0123456789ABCDEFull, s, 0xFEDCBA9876543210ull,
                                s ^ 0x5555u),
                 QPM_OK);
    cr_assert_not_null(r);
    return r;
}

static void assert_same_state(const qpm_rng *a, const qpm_rng *b, const char *what)
{
    uint64_t x[4], y[4];
    cr_assert_eq(qpm_rng_get_state(a, &x[0], &x[1], &x[2], &x[3]), QPM_OK);
    cr_assert_eq(qpm_rng_get_state(b, &y[0], &y[1], &y[2], &y[3]), QPM_OK);
    cr_assert(memcmp(x, y, sizeof x) == 0, "%s: states differ", what);
}

static void assert_same_outputs(qpm_rng *a, qpm_rng *b, size_t n, const char *what)
{
    uint64_t x[64], y[64];
    cr_assert_leq(n, 64u);
    cr_assert_eq(qpm_rng_raw(a, n, x), QPM_OK);
    cr_assert_eq(qpm_rng_raw(b, n, y), QPM_OK);
    cr_assert(memcmp(x, y, n * sizeof x[0]) == 0, "%s: outputs differ", what);
}

Test(rng_state, advance_equals_single_steps)
{
    static uint64_t sink[100003];
    const uint64_t ks[] = {0, 1, 2, 3, 17, 64, 1000, 12345, 100003};
    for (size_t g = 0; g < NKINDS; g++) {
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
            qpm_rng *a = make(kinds[g], 7), *b = make(kinds[g], 7);
            cr_assert_eq(qpm_rng_raw(a, (size_t)ks[j], sink), QPM_OK);
            cr_assert_eq(qpm_rng_advance(b, 0, ks[j]), QPM_OK);
            assert_same_state(a, b, qpm_rng_kind_name(kinds[g]));
            assert_same_outputs(a, b, 10, qpm_rng_kind_name(kinds[g]));
            qpm_rng_free(a);
            qpm_rng_free(b);
        }
    }
}

Test(rng_state, advance_minus_one_steps_back)
{
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *a = make(kinds[g], 99), *b = make(kinds[g], 99);
        uint64_t first[3], again[3];
        cr_assert_eq(qpm_rng_raw(a, 3, first), QPM_OK);
        /* 2^128 - 1 is -1 modulo every period (2^128, and 2^64 for pcg32) */
        for (int i = 0; i < 3; i++)
            cr_assert_eq(qpm_rng_advance(a, UINT64_MAX, UINT64_MAX), QPM_OK);
        assert_same_state(a, b, "back three");
        cr_assert_eq(qpm_rng_raw(a, 3, again), QPM_OK);
        cr_assert(memcmp(first, again, sizeof first) == 0);
        qpm_rng_free(a);
        qpm_rng_free(b);
    }
    /* pcg32: 2^64 - 1 steps back one too, and the hi word of a distance is ignored */
    qpm_rng *a = make(QPM_RNG_PCG32, 5), *b = make(QPM_RNG_PCG32, 5);
    uint64_t x;
    cr_assert_eq(qpm_rng_raw(a, 1, &x), QPM_OK);
    cr_assert_eq(qpm_rng_advance(a, 0, UINT64_MAX), QPM_OK);
    assert_same_state(a, b, "pcg32 back one");
    cr_assert_eq(qpm_rng_advance(a, 12345, 0), QPM_OK);
    assert_same_state(a, b, "pcg32 advance by 12345 * 2^64 is the identity");
    qpm_rng_free(a);
    qpm_rng_free(b);
}

Test(rng_state, advance_is_additive_with_carries)
{
    /* (hi, lo) pairs whose sums carry from lo into hi and wrap modulo 2^128 */
    const uint64_t d[][2] = {{0, UINT64_MAX},
                             {1, 1},
                             {0x8000000000000000ull, 3},
                             {UINT64_MAX, 0xFFFFFFFFFFFFFF00ull},
                             {0x0123456789ABCDEFull, 0xFEDCBA9876543210ull}};
    size_t nd = sizeof d / sizeof d[0];
    for (size_t g = 0; g < NKINDS; g++)
        for (size_t i = 0; i < nd; i++)
            for (size_t j = 0; j < nd; j++) {
                qpm_rng *a = make(kinds[g], 1), *b = make(kinds[g], 1);
                cr_assert_eq(qpm_rng_advance(a, d[i][0], d[i][1]), QPM_OK);
                cr_assert_eq(qpm_rng_advance(a, d[j][0], d[j][1]), QPM_OK);
                uint64_t lo = d[i][1] + d[j][1];
                uint64_t hi = d[i][0] + d[j][0] + (lo < d[i][1]);
                cr_assert_eq(qpm_rng_advance(b, hi, lo), QPM_OK);
                assert_same_state(a, b, "advance(x) advance(y) == advance(x + y)");
                qpm_rng_free(a);
                qpm_rng_free(b);
            }
}

Test(rng_state, save_and_restore_reproduce_the_sequence)
{
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *a = make(kinds[g], 3), *b = make(kinds[g], 777);
        double skip[5], x[50], y[50];
        cr_assert_eq(qpm_rng_normal(a, 5, skip), QPM_OK);
        uint64_t sh, sl, ih, il;
        cr_assert_eq(qpm_rng_get_state(a, &sh, &sl, &ih, &il), QPM_OK);
        cr_assert_eq(il & 1u, 1u, "increment must be odd");
        if (kinds[g] == QPM_RNG_PCG32)
            cr_assert(sh == 0 && ih == 0, "pcg32 state must fit in 64 bits");
        cr_assert_eq(qpm_rng_uniform(a, 50, x), QPM_OK);
        cr_assert_eq(qpm_rng_set_state(b, sh, sl, ih, il), QPM_OK);
        cr_assert_eq(qpm_rng_uniform(b, 50, y), QPM_OK);
        cr_assert(memcmp(x, y, sizeof x) == 0);
        /* and back on the same handle */
        cr_assert_eq(qpm_rng_set_state(a, sh, sl, ih, il), QPM_OK);
        cr_assert_eq(qpm_rng_uniform(a, 50, y), QPM_OK);
        cr_assert(memcmp(x, y, sizeof x) == 0);
        /* NULL outputs are skipped */
        uint64_t only;
        cr_assert_eq(qpm_rng_get_state(a, NULL, &only, NULL, NULL), QPM_OK);
        qpm_rng_free(a);
        qpm_rng_free(b);
    }
}

Test(rng_state, set_state_rejects_bad_values_and_keeps_the_handle)
{
    qpm_rng *a = make(QPM_RNG_PCG64DXSM, 1), *ref = make(QPM_RNG_PCG64DXSM, 1);
    cr_assert_eq(qpm_rng_set_state(a, 1, 2, 3, 4), QPM_E_INVALID);
    cr_assert_neq(strstr(qpm_last_error(), "inc_lo = 4"), NULL, "%s", qpm_last_error());
    cr_assert_neq(strstr(qpm_last_error(), "odd"), NULL);
    assert_same_state(a, ref, "after a failed set_state");
    qpm_rng *p = make(QPM_RNG_PCG32, 1), *pref = make(QPM_RNG_PCG32, 1);
    cr_assert_eq(qpm_rng_set_state(p, 1, 2, 0, 5), QPM_E_INVALID);
    cr_assert_neq(strstr(qpm_last_error(), "state_hi = 1"), NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_rng_set_state(p, 0, 2, 9, 5), QPM_E_INVALID);
    cr_assert_neq(strstr(qpm_last_error(), "inc_hi = 9"), NULL, "%s", qpm_last_error());
    cr_assert_neq(strstr(qpm_last_error(), "pcg32"), NULL);
    assert_same_state(p, pref, "pcg32 after failed set_state");
    assert_same_outputs(p, pref, 5, "pcg32 still usable");
    qpm_rng_free(a);
    qpm_rng_free(ref);
    qpm_rng_free(p);
    qpm_rng_free(pref);
}

Test(rng_state, seeding_forms_agree)
{
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng_kind k = kinds[g];
        /* the 64-bit form is pcg-cpp's engine(seed): initseq = default increment >> 1 */
        qpm_rng *a, *b;
        cr_assert_eq(qpm_rng_create_seed(&a, NULL, k, 20261126u), QPM_OK);
        if (k == QPM_RNG_PCG32)
            cr_assert_eq(qpm_rng_create(&b, NULL, k, 0, 20261126u, 0, 0x0a02bdbf7bb3c0a7ull),
                         QPM_OK);
        else
            cr_assert_eq(qpm_rng_create(&b, NULL, k, 0, 20261126u, 0x2c28fa16a64abf96ull,
                                        0x8a02bdbf7bb3c0a7ull),
                         QPM_OK);
        assert_same_state(a, b, "create_seed vs create");
        uint64_t ih, il;
        cr_assert_eq(qpm_rng_get_state(a, NULL, NULL, &ih, &il), QPM_OK);
        if (k == QPM_RNG_PCG32)
            cr_assert(ih == 0 && il == 0x14057b7ef767814full);
        else
            cr_assert(ih == 0x5851f42d4c957f2dull && il == 0x14057b7ef767814full);
        /* re-seeding in place equals a fresh create */
        qpm_rng *c = make(k, 11);
        double junk[3];
        cr_assert_eq(qpm_rng_uniform(c, 3, junk), QPM_OK);
        cr_assert_eq(
            qpm_rng_seed(c, 0, 20261126u, k == QPM_RNG_PCG32 ? 0 : 0x2c28fa16a64abf96ull,
                         k == QPM_RNG_PCG32 ? 0x0a02bdbf7bb3c0a7ull : 0x8a02bdbf7bb3c0a7ull),
            QPM_OK);
        assert_same_state(a, c, "seed in place");
        assert_same_outputs(a, c, 20, "seed in place");
        qpm_rng_kind got;
        cr_assert_eq(qpm_rng_get_kind(c, &got), QPM_OK);
        cr_assert_eq(got, k);
        qpm_rng_free(a);
        qpm_rng_free(b);
        qpm_rng_free(c);
    }
    /* pcg32 works modulo 2^64: the hi words of the seed are ignored */
    qpm_rng *p, *q;
    cr_assert_eq(qpm_rng_create(&p, NULL, QPM_RNG_PCG32, 77, 42, 99, 54), QPM_OK);
    cr_assert_eq(qpm_rng_create(&q, NULL, QPM_RNG_PCG32, 0, 42, 0, 54), QPM_OK);
    assert_same_state(p, q, "pcg32 reduces seeds modulo 2^64");
    qpm_rng_free(p);
    qpm_rng_free(q);
    /* the edge seeds give valid generators with an odd increment */
    for (size_t g = 0; g < NKINDS; g++) {
        qpm_rng *e;
        cr_assert_eq(
            qpm_rng_create(&e, NULL, kinds[g], UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX),
            QPM_OK);
        uint64_t il;
        cr_assert_eq(qpm_rng_get_state(e, NULL, NULL, NULL, &il), QPM_OK);
        cr_assert_eq(il & 1u, 1u);
        qpm_rng_free(e);
    }
}

Test(rng_state, kind_names)
{
    cr_assert_eq(QPM_RNG_PCG64DXSM, 0, "the default generator is enum value 0");
    cr_assert_str_eq(qpm_rng_kind_name(QPM_RNG_PCG64DXSM), "pcg64dxsm");
    cr_assert_str_eq(qpm_rng_kind_name(QPM_RNG_PCG64), "pcg64");
    cr_assert_str_eq(qpm_rng_kind_name(QPM_RNG_PCG32), "pcg32");
    cr_assert_str_eq(qpm_rng_kind_name((qpm_rng_kind)3), "unknown");
    cr_assert_str_eq(qpm_rng_kind_name((qpm_rng_kind)-1), "unknown");
    cr_assert_eq(qpm_rng_poisson_max(), QPM_RNG_POISSON_MAX);
}

Test(rng_state, bad_arguments_are_reported)
{
    qpm_rng *r = (qpm_rng *)&r; /* non-NULL garbage that must be reset */
    cr_assert_eq(qpm_rng_create(&r, NULL, (qpm_rng_kind)3, 0, 1, 0, 2), QPM_E_INVALID);
    cr_assert_null(r);
    cr_assert_neq(strstr(qpm_last_error(), "kind = 3"), NULL, "%s", qpm_last_error());
    r = (qpm_rng *)&r;
    cr_assert_eq(qpm_rng_create_seed(&r, NULL, (qpm_rng_kind)-1, 1), QPM_E_INVALID);
    cr_assert_null(r);
    cr_assert_neq(strstr(qpm_last_error(), "kind = -1"), NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_rng_create(NULL, NULL, QPM_RNG_PCG64, 0, 1, 0, 2), QPM_E_NULL);
    cr_assert_neq(strstr(qpm_last_error(), "out"), NULL);
    cr_assert_eq(qpm_rng_create_seed(NULL, NULL, QPM_RNG_PCG64, 1), QPM_E_NULL);
    qpm_alloc bad = {sizeof bad, NULL, NULL, NULL};
    r = (qpm_rng *)&r;
    cr_assert_eq(qpm_rng_create(&r, &bad, QPM_RNG_PCG64, 0, 1, 0, 2), QPM_E_NULL);
    cr_assert_null(r);
    cr_assert_neq(strstr(qpm_last_error(), "alloc_fn"), NULL, "%s", qpm_last_error());

    double d[4] = {0};
    uint64_t u[4] = {0};
    qpm_rng_kind k;
    cr_assert_eq(qpm_rng_seed(NULL, 0, 1, 0, 2), QPM_E_NULL);
    cr_assert_neq(strstr(qpm_last_error(), "rng"), NULL);
    cr_assert_eq(qpm_rng_get_kind(NULL, &k), QPM_E_NULL);
    cr_assert_eq(qpm_rng_get_state(NULL, u, u, u, u), QPM_E_NULL);
    cr_assert_eq(qpm_rng_set_state(NULL, 0, 0, 0, 1), QPM_E_NULL);
    cr_assert_eq(qpm_rng_advance(NULL, 0, 1), QPM_E_NULL);
    cr_assert_eq(qpm_rng_raw(NULL, 4, u), QPM_E_NULL);
    cr_assert_eq(qpm_rng_uniform(NULL, 4, d), QPM_E_NULL);
    cr_assert_eq(qpm_rng_uniform_open(NULL, 4, d), QPM_E_NULL);
    cr_assert_eq(qpm_rng_normal(NULL, 4, d), QPM_E_NULL);
    cr_assert_eq(qpm_rng_gamma(NULL, 4, 2.0, d), QPM_E_NULL);
    cr_assert_eq(qpm_rng_student_t(NULL, 4, 5.0, d), QPM_E_NULL);
    cr_assert_eq(qpm_rng_poisson(NULL, 4, 3.0, d), QPM_E_NULL);
    qpm_rng_free(NULL); /* no-op */

    qpm_rng *a = make(QPM_RNG_PCG64DXSM, 1), *ref = make(QPM_RNG_PCG64DXSM, 1);
    cr_assert_eq(qpm_rng_get_kind(a, NULL), QPM_E_NULL);
    cr_assert_neq(strstr(qpm_last_error(), "kind"), NULL);
    cr_assert_eq(qpm_rng_raw(a, 4, NULL), QPM_E_NULL);
    cr_assert_neq(strstr(qpm_last_error(), "out"), NULL);
    cr_assert_eq(qpm_rng_uniform(a, 1, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_rng_uniform_open(a, 1, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_rng_normal(a, 1, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_rng_gamma(a, 1, 2.0, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_rng_student_t(a, 1, 3.0, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_rng_poisson(a, 1, 3.0, NULL), QPM_E_NULL);

    /* distribution parameters: specific status, message naming argument and
     * bound, outputs untouched, state unchanged */
    struct {
        int which; /* 0 gamma, 1 t, 2 poisson */
        double v;
        qpm_status st;
        const char *msg;
    } cases[] = {
        {0, 0.0, QPM_E_INVALID, "shape = 0: must be > 0"},
        {0, -2.5, QPM_E_INVALID, "shape = -2.5: must be > 0"},
        {0, (double)NAN, QPM_E_NONFINITE, "shape = nan: must be finite"},
        {0, HUGE_VAL, QPM_E_NONFINITE, "shape = inf"},
        {1, 0.0, QPM_E_INVALID, "nu = 0: must be > 0"},
        {1, -1.0, QPM_E_INVALID, "nu = -1: must be > 0"},
        {1, (double)NAN, QPM_E_NONFINITE, "nu = nan"},
        {1, HUGE_VAL, QPM_E_NONFINITE, "nu = inf"},
        {1, -HUGE_VAL, QPM_E_NONFINITE, "nu = -inf"},
        {2, -1e-300, QPM_E_INVALID, "lambda = -1e-300: must be in [0, 1e+15]"},
        {2, 2e15, QPM_E_INVALID, "lambda = 2000000000000000: must be in [0, 1e+15]"},
        {2, (double)NAN, QPM_E_NONFINITE, "lambda = nan"},
        {2, HUGE_VAL, QPM_E_NONFINITE, "lambda = inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double out[4] = {-7, -7, -7, -7};
        qpm_status st = cases[i].which == 0   ? qpm_rng_gamma(a, 4, cases[i].v, out)
                        : cases[i].which == 1 ? qpm_rng_student_t(a, 4, cases[i].v, out)
                                              : qpm_rng_poisson(a, 4, cases[i].v, out);
        cr_assert_eq(st, cases[i].st, "case %zu: status %d", i, st);
        cr_assert_eq(qpm_last_status(), cases[i].st);
        cr_assert_neq(strstr(qpm_last_error(), cases[i].msg), NULL, "case %zu: message '%s'", i,
                      qpm_last_error());
        for (int j = 0; j < 4; j++)
            cr_assert_eq(out[j], -7.0, "case %zu: output touched", i);
        /* parameters are checked even for n == 0 */
        st = cases[i].which == 0   ? qpm_rng_gamma(a, 0, cases[i].v, NULL)
             : cases[i].which == 1 ? qpm_rng_student_t(a, 0, cases[i].v, NULL)
                                   : qpm_rng_poisson(a, 0, cases[i].v, NULL);
        cr_assert_eq(st, cases[i].st);
    }
    assert_same_state(a, ref, "failed calls draw nothing");
    assert_same_outputs(a, ref, 8, "handle usable after failures");
    qpm_rng_free(a);
    qpm_rng_free(ref);
}

Test(rng_state, empty_requests_draw_nothing)
{
    qpm_rng *a = make(QPM_RNG_PCG32, 4), *ref = make(QPM_RNG_PCG32, 4);
    cr_assert_eq(qpm_rng_raw(a, 0, NULL), QPM_OK);
    cr_assert_eq(qpm_rng_uniform(a, 0, NULL), QPM_OK);
    cr_assert_eq(qpm_rng_uniform_open(a, 0, NULL), QPM_OK);
    cr_assert_eq(qpm_rng_normal(a, 0, NULL), QPM_OK);
    cr_assert_eq(qpm_rng_gamma(a, 0, 0.5, NULL), QPM_OK);
    cr_assert_eq(qpm_rng_student_t(a, 0, 4.0, NULL), QPM_OK);
    cr_assert_eq(qpm_rng_poisson(a, 0, 20.0, NULL), QPM_OK);
    double z[3] = {1, 2, 3};
    cr_assert_eq(qpm_rng_poisson(a, 3, 0.0, z), QPM_OK); /* lambda = 0 draws nothing */
    cr_assert(z[0] == 0.0 && z[1] == 0.0 && z[2] == 0.0);
    assert_same_state(a, ref, "empty requests");
    qpm_rng_free(a);
    qpm_rng_free(ref);
}

Test(rng_state, allocation_failure_at_every_step)
{
    for (size_t g = 0; g < NKINDS; g++) {
        for (int form = 0; form < 3; form++) {
            qpm_rng *parent = form == 2 ? make(kinds[g], 8) : NULL;
            int ok = 0;
            for (long k = 0; k < 16 && !ok; k++) {
                qt_failalloc fa;
                qt_failalloc_init(&fa, k);
                qpm_rng *r = (qpm_rng *)&fa;
                qpm_status st = form == 0   ? qpm_rng_create(&r, &fa.alloc, kinds[g], 0, 1, 0, 2)
                                : form == 1 ? qpm_rng_create_seed(&r, &fa.alloc, kinds[g], 1)
                                            : qpm_rng_split(&r, &fa.alloc, parent, 3);
                if (st == QPM_E_NOMEM) {
                    cr_assert_null(r, "form %d k %ld: out not NULL", form, k);
                    cr_assert_eq(fa.live, 0, "form %d k %ld: %ld blocks leaked", form, k, fa.live);
                    cr_assert_eq(qpm_last_status(), QPM_E_NOMEM);
                    continue;
                }
                cr_assert_eq(st, QPM_OK, "form %d k %ld: status %d", form, k, st);
                cr_assert_not_null(r);
                cr_assert_gt(fa.live, 0);
                double x[4];
                long before = fa.calls;
                cr_assert_eq(qpm_rng_normal(r, 4, x), QPM_OK);
                cr_assert_eq(qpm_rng_student_t(r, 4, 3.0, x), QPM_OK);
                cr_assert_eq(fa.calls, before, "fills must not allocate");
                qpm_rng_free(r);
                cr_assert_eq(fa.live, 0, "free must release everything");
                ok = 1;
            }
            cr_assert(ok, "never succeeded");
            qpm_rng_free(parent);
        }
    }
    cr_assert_eq(qt_leak_check(), 0);
}
