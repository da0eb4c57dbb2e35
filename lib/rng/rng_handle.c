/* The qpm_rng handle: creation and seeding, state save/restore, jump-ahead
 * and derived streams. */
#include "rng/rng_internal.h"

/* The generator kinds, one row each. */
typedef struct kind_row {
    const char *name;     /* qpm_rng_kind_name */
    const char *enum_name;
    qpm__u128 mult;       /* LCG multiplier */
    qpm__u128 default_inc; /* pcg-cpp's default increment (its engine(seed) uses it) */
    int state64;          /* the state and increment are 64-bit (reduced modulo 2^64) */
} kind_row;

static const kind_row kinds[] = {
    [QPM_RNG_PCG64DXSM] = {"pcg64dxsm", "QPM_RNG_PCG64DXSM", QPM__DXSM_MULT,
                           QPM__U128(0x5851F42D4C957F2Dull, 0x14057B7EF767814Full), 0},
    [QPM_RNG_PCG64] = {"pcg64", "QPM_RNG_PCG64", QPM__PCG64_MULT,
                       QPM__U128(0x5851F42D4C957F2Dull, 0x14057B7EF767814Full), 0},
    [QPM_RNG_PCG32] = {"pcg32", "QPM_RNG_PCG32", QPM__PCG32_MULT, 0x14057B7EF767814Full, 1},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int kind_valid(qpm_rng_kind kind) { return (unsigned)kind < NKINDS; }

static qpm__u128 lcg_mult(int kind) { return kinds[kind].mult; }

/* Reduction modulo 2^bits of the kind. */
static qpm__u128 mask(int kind, qpm__u128 x)
{
    return kinds[kind].state64 ? (qpm__u128)(uint64_t)x : x;
}

static void store(qpm__pcg *g, qpm__u128 state, qpm__u128 inc)
{
    g->state_hi = QPM__HI(state);
    g->state_lo = QPM__LO(state);
    g->inc_hi = QPM__HI(inc);
    g->inc_lo = QPM__LO(inc);
}

static void seed(qpm__pcg *g, qpm__u128 initstate, qpm__u128 initseq)
{
    qpm__u128 m = lcg_mult(g->kind);
    qpm__u128 inc = mask(g->kind, (initseq << 1) | 1u);
    qpm__u128 state = mask(g->kind, (mask(g->kind, initstate) + inc) * m + inc);
    store(g, state, inc);
}

_Static_assert(offsetof(struct qpm_rng, alloc) == 0, "qpm__handle_new: allocator first");

static qpm_status create_common(qpm_rng **out, const qpm_alloc *alloc, qpm_rng_kind kind)
{
    QPM__CHECK_OUT(out);
    if (!kind_valid(kind))
        return qpm__fail(QPM_E_INVALID,
                         "kind = %d: must be one of %s (0), %s (1), %s (2)", (int)kind,
                         kinds[0].enum_name, kinds[1].enum_name, kinds[2].enum_name);
    qpm_status st;
    qpm_rng *r = qpm__handle_new(alloc, sizeof *r, NULL, NULL, &st);
    if (r == NULL)
        return st;
    r->g.kind = (int)kind;
    *out = r;
    return QPM_OK;
}

qpm_status qpm_rng_create(qpm_rng **out, const qpm_alloc *alloc, qpm_rng_kind kind,
                          uint64_t initstate_hi, uint64_t initstate_lo, uint64_t initseq_hi,
                          uint64_t initseq_lo)
{
    qpm_status st = create_common(out, alloc, kind);
    if (st != QPM_OK)
        return st;
    seed(&(*out)->g, QPM__U128(initstate_hi, initstate_lo), QPM__U128(initseq_hi, initseq_lo));
    return QPM_OK;
}

qpm_status qpm_rng_create_seed(qpm_rng **out, const qpm_alloc *alloc, qpm_rng_kind kind, uint64_t s)
{
    qpm_status st = create_common(out, alloc, kind);
    if (st != QPM_OK)
        return st;
    qpm__u128 inc = kinds[kind].default_inc;
    seed(&(*out)->g, (qpm__u128)s, inc >> 1);
    return QPM_OK;
}

void qpm_rng_free(qpm_rng *rng)
{
    if (rng == NULL)
        return;
    qpm_alloc a = rng->alloc;
    qpm__free(&a, rng);
}

qpm_status qpm_rng_seed(qpm_rng *rng, uint64_t initstate_hi, uint64_t initstate_lo,
                        uint64_t initseq_hi, uint64_t initseq_lo)
{
    QPM__CHECK_NULL(rng, "rng");
    seed(&rng->g, QPM__U128(initstate_hi, initstate_lo), QPM__U128(initseq_hi, initseq_lo));
    return QPM_OK;
}

qpm_status qpm_rng_get_kind(const qpm_rng *rng, qpm_rng_kind *kind)
{
    QPM__CHECK_NULL(rng, "rng");
    QPM__CHECK_NULL(kind, "kind");
    *kind = (qpm_rng_kind)rng->g.kind;
    return QPM_OK;
}

const char *qpm_rng_kind_name(qpm_rng_kind kind)
{
    return kind_valid(kind) ? kinds[kind].name : "unknown";
}

qpm_status qpm_rng_get_state(const qpm_rng *rng, uint64_t *state_hi, uint64_t *state_lo,
                             uint64_t *inc_hi, uint64_t *inc_lo)
{
    QPM__CHECK_NULL(rng, "rng");
    if (state_hi)
        *state_hi = rng->g.state_hi;
    if (state_lo)
        *state_lo = rng->g.state_lo;
    if (inc_hi)
        *inc_hi = rng->g.inc_hi;
    if (inc_lo)
        *inc_lo = rng->g.inc_lo;
    return QPM_OK;
}

qpm_status qpm_rng_set_state(qpm_rng *rng, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi,
                             uint64_t inc_lo)
{
    QPM__CHECK_NULL(rng, "rng");
    if ((inc_lo & 1u) == 0)
        return qpm__fail(QPM_E_INVALID, "inc_lo = %llu: the increment must be odd",
                         (unsigned long long)inc_lo);
    if (kinds[rng->g.kind].state64 && (state_hi != 0 || inc_hi != 0))
        return qpm__fail(QPM_E_INVALID, "%s = %llu: must be 0 for pcg32 (64-bit state)",
                         state_hi != 0 ? "state_hi" : "inc_hi",
                         (unsigned long long)(state_hi != 0 ? state_hi : inc_hi));
    store(&rng->g, QPM__U128(state_hi, state_lo), QPM__U128(inc_hi, inc_lo));
    return QPM_OK;
}

/* Brown's O(log delta) jump for x -> m x + c modulo 2^128 (the pcg32 result
 * is reduced modulo 2^64 afterwards, which commutes with the recurrence). */
static qpm__u128 lcg_advance(qpm__u128 state, qpm__u128 delta, qpm__u128 m, qpm__u128 c)
{
    qpm__u128 acc_m = 1, acc_c = 0;
    while (delta != 0) {
        if (delta & 1u) {
            acc_m *= m;
            acc_c = acc_c * m + c;
        }
        c = (m + 1) * c;
        m *= m;
        delta >>= 1;
    }
    return acc_m * state + acc_c;
}

qpm_status qpm_rng_advance(qpm_rng *rng, uint64_t delta_hi, uint64_t delta_lo)
{
    QPM__CHECK_NULL(rng, "rng");
    qpm__pcg *g = &rng->g;
    qpm__u128 delta = mask(g->kind, QPM__U128(delta_hi, delta_lo));
    qpm__u128 s = lcg_advance(QPM__U128(g->state_hi, g->state_lo), delta, lcg_mult(g->kind),
                              QPM__U128(g->inc_hi, g->inc_lo));
    s = mask(g->kind, s);
    g->state_hi = QPM__HI(s);
    g->state_lo = QPM__LO(s);
    return QPM_OK;
}

/* splitmix64's finaliser: a bijection of 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define GOLDEN64 0x9E3779B97F4A7C15ull

/* Child k of a parent state.  The parent's four words are absorbed into one
 * digest; c = mix64(digest ^ k) is a bijection of k, and the child's
 * initseq_lo = mix64(c + 3 golden) is then distinct for distinct k, which
 * makes the child increments (bits 1..64 of inc) distinct. */
static void derive(qpm__pcg *dst, const qpm__pcg *parent, uint64_t k)
{
    uint64_t d = mix64(parent->state_lo ^ 0x6A09E667F3BCC908ull);
    d = mix64(d ^ parent->state_hi);
    d = mix64(d ^ parent->inc_lo);
    d = mix64(d ^ parent->inc_hi);
    uint64_t c = mix64(d ^ k);
    uint64_t w0 = mix64(c + 1 * GOLDEN64), w1 = mix64(c + 2 * GOLDEN64);
    uint64_t w2 = mix64(c + 3 * GOLDEN64), w3 = mix64(c + 4 * GOLDEN64);
    qpm__pcg child;
    child.kind = parent->kind;
    seed(&child, QPM__U128(w1, w0), QPM__U128(w3, w2));
    *dst = child;
}

qpm_status qpm_rng_set_stream(qpm_rng *dst, const qpm_rng *parent, uint64_t k)
{
    QPM__CHECK_NULL(dst, "dst");
    QPM__CHECK_NULL(parent, "parent");
    derive(&dst->g, &parent->g, k);
    return QPM_OK;
}

qpm_status qpm_rng_split(qpm_rng **out, const qpm_alloc *alloc, const qpm_rng *parent, uint64_t k)
{
    QPM__CHECK_OUT(out);
    QPM__CHECK_NULL(parent, "parent");
    qpm_status st = create_common(out, alloc, (qpm_rng_kind)parent->g.kind);
    if (st != QPM_OK)
        return st;
    derive(&(*out)->g, &parent->g, k);
    return QPM_OK;
}

double qpm_rng_poisson_max(void)
{
    return QPM_RNG_POISSON_MAX;
}
