/* Fuzz target: the rng family (include/qpm/rng.h).  Two generator slots,
 * created, seeded, saved and restored, advanced, split and drawn from with
 * every distribution, plus the stateless inverse normal CDF.  Beyond the
 * common invariants: a failed call leaves the generator state and the
 * outputs untouched (rng.h "Errors"), and the distributions stay in their
 * documented ranges. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#define MAXN 300

typedef struct state {
    fz_alloc fa;
    qpm_rng *h[2];
} state;

static uint64_t hash_state(uint64_t h, const qpm_rng *r)
{
    uint64_t s[4] = {0, 0, 0, 0};
    if (r != NULL)
        qpm_rng_get_state(r, &s[0], &s[1], &s[2], &s[3]);
    return fz_hash(h, s, sizeof s);
}

static void state_snapshot(const qpm_rng *r, uint64_t s[4])
{
    memset(s, 0, 4 * sizeof *s);
    if (r != NULL && FZ(qpm_rng_get_state(r, &s[0], &s[1], &s[2], &s[3])) != QPM_OK)
        fz_fail("get_state failed on a live handle");
}

static void state_same(const qpm_rng *r, const uint64_t before[4], const char *what)
{
    uint64_t now[4];
    state_snapshot(r, now);
    if (memcmp(now, before, sizeof now) != 0)
        fz_fail("failed %s changed the generator state", what);
}

static qpm_rng_kind draw_kind(fz_in *in)
{
    uint8_t k = fz_u8(in);
    return (qpm_rng_kind)(k < 250 ? k % 3 : (int)k - 252); /* -2..3 sometimes */
}

static void check_ints(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != floor(x[i]))
            fz_fail("poisson[%zu] = %.17g is not a whole number", i, x[i]);
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 12;
    size_t slot = fz_u8(in) & 1;
    qpm_rng *h = s->h[slot];
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 3) : -1;
    uint64_t before[4];
    double out[MAXN];
    uint64_t raw[MAXN];
    qpm_status st;
    uint64_t hash = FZ_HASH0;
    long i;

    switch (op) {
    case 0: { /* create, create_seed or split into the slot */
        uint8_t how = fz_u8(in) % 3;
        qpm_rng_kind kind = draw_kind(in);
        uint64_t a = fz_u64(in), b = fz_u64(in), c = fz_u64(in), d = fz_u64(in);
        int bad_alloc = fz_u8(in) % 32 == 0;
        i = fz_op(p, "rng create");
        if (fz_skip(p, i, 0))
            return;
        qpm_alloc bad = {sizeof bad - 1, NULL, NULL, NULL};
        const qpm_alloc *al = bad_alloc ? &bad : &s->fa.alloc;
        qpm_rng *t = (qpm_rng *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        if (how == 0)
            st = FZ(qpm_rng_create(&t, al, kind, a, b, c, d));
        else if (how == 1)
            st = FZ(qpm_rng_create_seed(&t, al, kind, a));
        else
            st = FZ(qpm_rng_split(&t, al, s->h[slot ^ 1], a));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_rng_free(s->h[slot]);
            s->h[slot] = t;
            hash = hash_state(hash, t);
        }
        break;
    }
    case 1: { /* seed */
        uint64_t a = fz_u64(in), b = fz_u64(in), c = fz_u64(in), d = fz_u64(in);
        i = fz_op(p, "rng seed");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_rng_seed(h, a, b, c, d));
        hash = hash_state(hash, h);
        break;
    }
    case 2: { /* kind */
        int null_kind = fz_u8(in) % 16 == 0;
        qpm_rng_kind any = (qpm_rng_kind)fz_u8(in);
        i = fz_op(p, "rng get_kind");
        if (fz_skip(p, i, 0))
            return;
        qpm_rng_kind k = (qpm_rng_kind)99;
        st = FZ(qpm_rng_get_kind(h, null_kind ? NULL : &k));
        if (st == QPM_OK && strcmp(qpm_rng_kind_name(k), "unknown") == 0)
            fz_fail("get_kind gave %d", (int)k);
        if (qpm_rng_kind_name(any) == NULL)
            fz_fail("kind_name returned NULL");
        hash = fz_hash(hash, &k, sizeof k);
        break;
    }
    case 3: { /* save, restore and set an arbitrary state */
        uint64_t a = fz_u64(in), b = fz_u64(in), c = fz_u64(in), d = fz_u64(in);
        int restore = fz_u8(in) & 1;
        i = fz_op(p, "rng set_state");
        if (fz_skip(p, i, 0))
            return;
        state_snapshot(h, before);
        if (restore) {
            a = before[0], b = before[1], c = before[2], d = before[3];
        }
        st = FZ(qpm_rng_set_state(h, a, b, c, d));
        if (st != QPM_OK)
            state_same(h, before, "set_state");
        else if (restore)
            state_same(h, before, "set_state of the saved state");
        hash = hash_state(hash, h);
        break;
    }
    case 4: { /* advance */
        uint64_t a = fz_u64(in), b = fz_u64(in);
        i = fz_op(p, "rng advance");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_rng_advance(h, a, b));
        hash = hash_state(hash, h);
        break;
    }
    case 5: { /* set_stream: dst may be the parent */
        uint64_t k = fz_u64(in);
        int self = fz_u8(in) & 1;
        i = fz_op(p, "rng set_stream");
        if (fz_skip(p, i, 0))
            return;
        const qpm_rng *parent = self ? h : s->h[slot ^ 1];
        state_snapshot(h, before);
        uint64_t pb[4];
        state_snapshot(parent, pb);
        st = FZ(qpm_rng_set_stream(h, parent, k));
        if (st != QPM_OK)
            state_same(h, before, "set_stream");
        else if (!self)
            state_same(parent, pb, "set_stream (parent is const)");
        hash = hash_state(hash, h);
        break;
    }
    case 6:
    case 7: { /* raw, uniform, uniform_open, normal */
        uint8_t which = fz_u8(in) % 4;
        size_t n = fz_range(in, 0, MAXN);
        int null_out = fz_u8(in) % 16 == 0;
        i = fz_op(p, "rng draw");
        if (fz_skip(p, i, 0))
            return;
        state_snapshot(h, before);
        fz_poison(out, MAXN);
        memset(raw, 0xa5, sizeof raw);
        void *o = null_out ? NULL : which == 0 ? (void *)raw : (void *)out;
        if (which == 0)
            st = FZ(qpm_rng_raw(h, n, o));
        else if (which == 1)
            st = FZ(qpm_rng_uniform(h, n, o));
        else if (which == 2)
            st = FZ(qpm_rng_uniform_open(h, n, o));
        else
            st = FZ(qpm_rng_normal(h, n, o));
        if (st != QPM_OK) {
            state_same(h, before, "draw");
            fz_untouched(out, MAXN, "out");
        } else if (o != NULL) {
            if (which == 1)
                fz_expect(FZ_RNG_UNIFORM, "uniform", out, n, 1, 0);
            if (which == 2)
                fz_expect(FZ_RNG_UNIFORM_OPEN, "uniform_open", out, n, 1, 0);
            if (which == 3)
                fz_expect(FZ_RNG_NORMAL, "normal", out, n, 1, 0);
            hash = which == 0 ? fz_hash(hash, raw, n * sizeof *raw)
                              : fz_hash(hash, out, n * sizeof *out);
        }
        hash = hash_state(hash, h);
        break;
    }
    case 8:
    case 9: { /* gamma, student_t, poisson */
        uint8_t which = fz_u8(in) % 3;
        size_t n = fz_range(in, 0, 64);
        double par = which == 0   ? fz_real(in, 1e-3, 1e6)
                     : which == 1 ? fz_real(in, 1e-3, 1e6)
                                  : fz_real(in, 0, 2e15);
        int null_out = fz_u8(in) % 16 == 0;
        i = fz_op(p, "rng distribution");
        if (fz_skip(p, i, 0))
            return;
        state_snapshot(h, before);
        fz_poison(out, MAXN);
        double *o = null_out ? NULL : out;
        if (which == 0)
            st = FZ(qpm_rng_gamma(h, n, par, o));
        else if (which == 1)
            st = FZ(qpm_rng_student_t(h, n, par, o));
        else
            st = FZ(qpm_rng_poisson(h, n, par, o));
        if (st != QPM_OK) {
            state_same(h, before, "distribution draw");
            fz_untouched(out, MAXN, "out");
        } else if (o != NULL) {
            if (which == 0)
                fz_expect(FZ_RNG_GAMMA, "gamma", out, n, 1, 0);
            if (which == 1)
                fz_expect(FZ_RNG_STUDENT_T, "student_t", out, n, 1, 0);
            if (which == 2) {
                fz_expect(FZ_RNG_POISSON, "poisson", out, n, 1, 0);
                check_ints(out, n);
            }
            hash = fz_hash(hash, out, n * sizeof *out);
        }
        hash = hash_state(hash, h);
        break;
    }
    case 10: { /* inverse normal CDF, scalar and bulk, in place or not */
        size_t n = fz_range(in, 0, 32);
        double pv[32];
        fz_fill(in, pv, n, 0, 1);
        uint8_t mode = fz_u8(in);
        i = fz_op(p, "norm_inv");
        if (fz_skip(p, i, 0))
            return;
        double z = qpm_norm_inv(n ? pv[0] : 0.5);
        double p0 = n ? pv[0] : 0.5;
        if (p0 >= 0 && p0 <= 1)
            fz_expect(FZ_NORM_INV, "norm_inv", &z, 1, 1, 0);
        else if (!isnan(z))
            fz_fail("norm_inv(%.17g) = %.17g: not NaN outside [0, 1]", p0, z);
        hash = fz_hash(hash, &z, sizeof z);
        fz_poison(out, MAXN);
        int inplace = mode & 1;
        if (inplace)
            memcpy(out, pv, n * sizeof *pv);
        const double *src = (mode & 6) == 6 ? NULL : inplace ? out : pv;
        st = FZ(qpm_norm_inv_bulk(n, src, out));
        if (st == QPM_OK && n > 0) {
            fz_expect(FZ_NORM_INV, "norm_inv_bulk", out, n, 1, 0);
            for (size_t j = 0; j < n; j++) {
                double zj = qpm_norm_inv(pv[j]);
                if (memcmp(&zj, &out[j], sizeof zj) != 0)
                    fz_fail("norm_inv_bulk[%zu] = %.17g, norm_inv = %.17g", j, out[j], zj);
            }
            hash = fz_hash(hash, out, n * sizeof *out);
        } else if (st != QPM_OK && !inplace) {
            fz_untouched(out, MAXN, "out");
        }
        break;
    }
    default: { /* free and forget the slot */
        i = fz_op(p, "rng free");
        if (fz_skip(p, i, 0))
            return;
        qpm_rng_free(s->h[slot]);
        s->h[slot] = NULL;
        st = QPM_OK;
        break;
    }
    }
    fz_end(p, i, st, hash);
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_rng_free(s->h[0]);
    qpm_rng_free(s->h[1]);
    fz_check_freed(&s->fa);
    (void)qpm_rng_poisson_max();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
