/* rng internals: the handle layout and the PCG step/output functions, shared
 * by the handle code, the uniform fills and the distribution samplers. */
#ifndef QPM_RNG_INTERNAL_H
#define QPM_RNG_INTERNAL_H

#include <stdint.h>

#include "core/internal.h"
#include "qpm/rng.h"

#if !defined(__SIZEOF_INT128__)
#error "the rng module needs unsigned __int128 (gcc or clang on a 64-bit target)"
#endif

/* __extension__: the type is a gcc/clang extension that -Wpedantic flags */
__extension__ typedef unsigned __int128 qpm__u128;

#define QPM__U128(hi, lo) (((qpm__u128)(hi) << 64) | (qpm__u128)(lo))
#define QPM__HI(x)        ((uint64_t)((x) >> 64))
#define QPM__LO(x)        ((uint64_t)(x))

/* LCG multipliers (refdata README section 10). */
#define QPM__PCG64_MULT QPM__U128(0x2360ED051FC65DA4ull, 0x4385DF649FCCF645ull)
#define QPM__DXSM_MULT  0xDA942042E4DD58B5ull
#define QPM__PCG32_MULT 6364136223846793005ull

/* Generator state.  For pcg32 only the low 64 bits of state and inc are used
 * and the high 64 bits are kept 0.  The 128-bit values are stored as words so
 * that the handle needs no more than the allocator's standard alignment. */
typedef struct qpm__pcg {
    int kind;
    uint64_t state_hi, state_lo, inc_hi, inc_lo;
} qpm__pcg;

struct qpm_rng {
    qpm_alloc alloc; /* first, as in every handle (qpm__handle_new) */
    qpm__pcg g;
};

/* Working copy of a generator inside one fill: loaded once, stepped in
 * registers, stored back once. */
typedef struct qpm__gen {
    qpm__u128 s, inc;
    int kind;
} qpm__gen;

static inline qpm__gen qpm__gen_load(const qpm__pcg *g)
{
    qpm__gen w;
    w.s = QPM__U128(g->state_hi, g->state_lo);
    w.inc = QPM__U128(g->inc_hi, g->inc_lo);
    w.kind = g->kind;
    return w;
}

static inline void qpm__gen_store(qpm__pcg *g, const qpm__gen *w)
{
    g->state_hi = QPM__HI(w->s);
    g->state_lo = QPM__LO(w->s);
}

static inline uint64_t qpm__rotr64(uint64_t v, unsigned r)
{
    return (v >> (r & 63u)) | (v << ((64u - r) & 63u));
}

static inline uint32_t qpm__rotr32(uint32_t v, unsigned r)
{
    return (v >> (r & 31u)) | (v << ((32u - r) & 31u));
}

/* pcg64dxsm: output from the old state, then step. */
static inline uint64_t qpm__step_dxsm(qpm__u128 *s, qpm__u128 inc)
{
    qpm__u128 old = *s;
    uint64_t hi = QPM__HI(old), lo = QPM__LO(old) | 1u;
    *s = old * (qpm__u128)QPM__DXSM_MULT + inc;
    hi ^= hi >> 32;
    hi *= QPM__DXSM_MULT;
    hi ^= hi >> 48;
    hi *= lo;
    return hi;
}

/* pcg64 (XSL-RR): step, then output from the new state. */
static inline uint64_t qpm__step_pcg64(qpm__u128 *s, qpm__u128 inc)
{
    qpm__u128 x = *s * QPM__PCG64_MULT + inc;
    *s = x;
    return qpm__rotr64(QPM__HI(x) ^ QPM__LO(x), (unsigned)(x >> 122));
}

/* pcg32 (XSH-RR): output from the old state, then step (64-bit arithmetic). */
static inline uint32_t qpm__step_pcg32(qpm__u128 *s, qpm__u128 inc)
{
    uint64_t old = (uint64_t)*s;
    *s = (qpm__u128)(old * QPM__PCG32_MULT + (uint64_t)inc);
    uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
    return qpm__rotr32(x, (unsigned)(old >> 59));
}

/* 53 random bits: the top 53 bits of one 64-bit output, or for pcg32
 * (a >> 5) * 2^26 + (b >> 6) from two consecutive outputs.  The kind is one
 * of the three: it is checked when a handle is created and never changes. */
static inline uint64_t qpm__bits53(qpm__gen *w)
{
    switch (w->kind) {
    case QPM_RNG_PCG64:
        return qpm__step_pcg64(&w->s, w->inc) >> 11;
    case QPM_RNG_PCG32: {
        uint64_t a = qpm__step_pcg32(&w->s, w->inc) >> 5;
        uint64_t b = qpm__step_pcg32(&w->s, w->inc) >> 6;
        return (a << 26) | b;
    }
    case QPM_RNG_PCG64DXSM:
        break;
    }
    return qpm__step_dxsm(&w->s, w->inc) >> 11;
}

/* Uniform on [0, 1): k * 2^-53. */
static inline double qpm__u01(qpm__gen *w)
{
    return (double)qpm__bits53(w) * 0x1.0p-53;
}

/* Uniform on (0, 1): k * 2^-53 with k = 0 rejected (probability 2^-53). */
static inline double qpm__u01_open(qpm__gen *w)
{
    uint64_t k;
    do
        k = qpm__bits53(w);
    while (QPM__UNLIKELY(k == 0));
    return (double)k * 0x1.0p-53;
}

/* The body of a bulk fill qpm_rng_x(rng, n, out): the checks, the generator
 * loaded into registers, FILL(qpm__gen *w, int kind, size_t n, T *out) (a
 * static inline loop that sets w->kind = kind first) instantiated once per
 * kind so that the kind is a compile-time constant in each inlined loop, and
 * the state stored back.  Every kind has its case (see qpm__bits53). */
#define QPM__RNG_FILL(rng, n, out, FILL)                                                           \
    do {                                                                                           \
        QPM__CHECK_NULL(rng, "rng");                                                               \
        if ((n) != 0)                                                                              \
            QPM__CHECK_NULL(out, "out");                                                           \
        qpm__gen w_ = qpm__gen_load(&(rng)->g);                                                    \
        switch (w_.kind) {                                                                         \
        case QPM_RNG_PCG64DXSM:                                                                    \
            FILL(&w_, QPM_RNG_PCG64DXSM, n, out);                                                  \
            break;                                                                                 \
        case QPM_RNG_PCG64:                                                                        \
            FILL(&w_, QPM_RNG_PCG64, n, out);                                                      \
            break;                                                                                 \
        case QPM_RNG_PCG32:                                                                        \
            FILL(&w_, QPM_RNG_PCG32, n, out);                                                      \
            break;                                                                                 \
        }                                                                                          \
        qpm__gen_store(&(rng)->g, &w_);                                                            \
        return QPM_OK;                                                                             \
    } while (0)

/* The normal's upper-tail probability T(a) = Phi(-a) and density phi(a) at
 * a = k/64, k < QPM__NT, as double-doubles: qpm__nt_tab[k] = {T hi, T lo,
 * phi hi, phi lo} (norm_table.c, generated by scripts/gen_norm_table.py),
 * for the Newton step of the quantile (norm_as241.h). */
enum { QPM__NT = 545 };
extern const double qpm__nt_tab[QPM__NT][4];

/* Inverse normal CDF for p in (0, 1): the full-accuracy version behind
 * qpm_norm_inv, and the plain AS241 value (a few ulp) for internal proposals
 * where the last bits do not matter (the gamma sampler). */
double qpm__norm_inv(double p);
double qpm__norm_inv_as241(double p);
/* x[i] <- qpm__norm_inv(x[i]) (precise: the same bits), or AS241 alone
 * (precise = 0: the bits of qpm__norm_inv_as241 in the central region, its
 * tails with a four-lane log, within a few ulp of its values), x[i] in
 * (0, 1), four values at a time (norm_block.h; an AVX2 build, or an
 * AVX-512 build of eight at a time, where the CPU has it, with the same
 * bits). */
void qpm__norm_inv_block(size_t n, double *x, int precise);
void qpm__norm_inv_block_avx2(size_t n, double *x, int precise);
void qpm__norm_inv_block_avx512(size_t n, double *x, int precise);

/* qpm_rng_normal with AS241 alone (a few ulp, about three times faster):
 * the same uniforms, the same stream position afterwards. */
qpm_status qpm__rng_normal_as241(qpm_rng *rng, size_t n, double *out);

/* Gamma sampler state for one shape, computed once per fill. */
typedef struct qpm__gamma_par {
    double shape; /* a */
    double d, c;  /* Marsaglia-Tsang constants for max(a, a + 1 when a < 1) */
    double inv_shape;
    int boost; /* a < 1: use Gamma(a + 1) * U^(1/a) */
} qpm__gamma_par;

void qpm__gamma_init(qpm__gamma_par *gp, double shape);
/* log of one Gamma(a) variate (finite, possibly very negative for tiny a). */
double qpm__gamma_log(qpm__gen *w, const qpm__gamma_par *gp);
/* one Gamma(a) variate. */
double qpm__gamma_draw(qpm__gen *w, const qpm__gamma_par *gp);

/* ---- ziggurat normals (rng_zig.c), for the Monte Carlo's
 * QPM_RISK_NORMALS_ZIGGURAT ------------------------------------------------
 *
 * One normal from 64-bit outputs b of the generator: layer i = b & 1023,
 * sign = bit 10, j = b >> 11 (53 bits); x = j * qpm__zig_kw[i].w is
 * accepted at once when j < qpm__zig_kw[i].k (99.6 % of draws); otherwise the
 * base layer (i = 0) draws from the tail beyond r (Marsaglia's method, two
 * open uniforms a time) and the others test the wedge with one more
 * uniform [0, 1) against exp(-x^2/2), a rejection drawing a new b.  The
 * tables (zig_table.c, generated by scripts/gen_zig_table.py) make the
 * accepted case one multiplication, the same bits in any build. */
enum { QPM__ZIG_N = 1024, QPM__ZIG_BITS = 10 };
/* a layer's acceptance bound and width (one 16-byte row) */
typedef struct qpm__zig_layer {
    uint64_t k;
    double w;
} qpm__zig_layer;
extern const double qpm__zig_r;
extern const qpm__zig_layer qpm__zig_kw[QPM__ZIG_N];
extern const double qpm__zig_f[QPM__ZIG_N + 1];

/* The normal whose first output was b (already drawn from w), drawing
 * more from w where b's point is not accepted at once: the wedge's density
 * exp(-x^2/2) is num/v4math.h's exp of (-0.5 x) x (its lanes' bits). */
double qpm__zig_finish(qpm__gen *w, uint64_t b);

/* The point of output b: 1 with *x set when it is accepted at once. */
static inline int qpm__zig_at_once(uint64_t b, double *x)
{
    unsigned i = (unsigned)(b & (QPM__ZIG_N - 1u));
    uint64_t j = b >> 11;
    if (QPM__LIKELY(j < qpm__zig_kw[i].k)) {
        double y = (double)j * qpm__zig_kw[i].w;
        *x = (b >> QPM__ZIG_BITS) & 1u ? -y : y;
        return 1;
    }
    return 0;
}

/* One ziggurat normal. */
static inline double qpm__zig_normal(qpm__gen *w)
{
    uint64_t b = qpm__step_dxsm(&w->s, w->inc);
    double x;
    return qpm__zig_at_once(b, &x) ? x : qpm__zig_finish(w, b);
}

/* 1 - v + log v for v = (1 + w)^3 and |w| < 0.05, from its series
 * 3 log1p(w) - 3w - 3w^2 - w^3 = -9/2 w^2 + 3 sum_{j>=4} (-1)^(j+1) w^j / j
 * (the terms beyond w^12 below 3e-16 of the result), for T double or a
 * vector of doubles: the same operations lane by lane */
/* clang-format off */
#define QPM__MT_SERIES(T, w, out)                                                                  \
    do {                                                                                           \
        T s_ = -0.25 * (w) + 3.0 / 11.0;                                                           \
        s_ = s_ * (w) - 0.3;                                                                       \
        s_ = s_ * (w) + 1.0 / 3.0;                                                                 \
        s_ = s_ * (w) - 0.375;                                                                     \
        s_ = s_ * (w) + 3.0 / 7.0;                                                                 \
        s_ = s_ * (w) - 0.5;                                                                       \
        s_ = s_ * (w) + 0.6;                                                                       \
        s_ = s_ * (w) - 0.75;                                                                      \
        T w2_ = (w) * (w);                                                                         \
        (out) = -4.5 * w2_ + w2_ * w2_ * s_;                                                       \
    } while (0)
/* clang-format on */

/* xoshiro256++ (Blackman and Vigna): the Monte Carlo's hot draws under
 * QPM_RISK_NORMALS_ZIGGURAT (no multiplications: eight lanes of it cost a
 * third of pcg64dxsm's), seeded from pcg64dxsm streams; state never all
 * zero. */
typedef struct qpm__xo {
    uint64_t s[4];
} qpm__xo;

static inline uint64_t qpm__rotl64(uint64_t v, unsigned r)
{
    return (v << (r & 63u)) | (v >> ((64u - r) & 63u));
}

static inline uint64_t qpm__xo_next(qpm__xo *x)
{
    uint64_t *s = x->s;
    uint64_t out = qpm__rotl64(s[0] + s[3], 23) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = qpm__rotl64(s[3], 45);
    return out;
}

double qpm__zig_finish_xo(qpm__xo *w, uint64_t b);

static inline double qpm__zig_normal_xo(qpm__xo *w)
{
    uint64_t b = qpm__xo_next(w);
    double x;
    return qpm__zig_at_once(b, &x) ? x : qpm__zig_finish_xo(w, b);
}

/* One Gamma(a) variate, a >= 1 (gp->boost == 0), by Marsaglia-Tsang with
 * ziggurat proposals: x = qpm__zig_normal_xo, cx = c x (a new x while
 * cx <= -1), v = (1 + cx)^3, then one open uniform u from the 53 high bits
 * of an output (0 redrawn), accepted by the squeeze u < 1 - 0.0331 x^4 or
 * else by log u < x^2/2 + d (1 - v + log v) (the last term by
 * QPM__MT_SERIES for |cx| < 0.05; the logarithms those of num/v4math.h,
 * whose lanes the AVX-512 build repeats); a rejection starts again. */
double qpm__gamma_zig_xo(qpm__xo *w, const qpm__gamma_par *gp);
/* The same draw from the point where x, cx, v and the first output's 53
 * bits k (0 allowed) are drawn: the tests, and a new draw on rejection. */
double qpm__gamma_zig_after_xo(qpm__xo *w, const qpm__gamma_par *gp, double x, double cx, double v,
                               uint64_t k);

#endif /* QPM_RNG_INTERNAL_H */
