/* Body of the block inversions of uniforms into normals (norm_block.c,
 * baseline; norm_block_avx2.c, AVX2 + FMA without contraction), in chunks
 * of up to NB_CHUNK values: AS241's central rational four values at a
 * time (eight in the AVX-512 build, NORM_BLOCK_W8) with the operations of
 * qpm__as_central (precise: qpm__as_central_e) lane by lane, the tails
 * gathered four (eight) at a time, with no branch on where a random value
 * falls.  Precise values: then the tabulated Newton step of qpm__norm_inv
 * four (eight) values at a time, from the same starts, so its bits.  Plain AS241
 * values: its bits in the central region; in the tails the four-lane log
 * of num/v4math.h (within an ulp or two of libm's, so within a few ulp of
 * qpm__norm_inv_as241's values).  Every build gives the same bits.
 * The including file defines NORM_BLOCK_FN, and NORM_BLOCK_W8 for eight
 * lanes (a file built with AVX-512 F and DQ, without contraction).  Not a
 * public header. */
#include <string.h>

#include "num/v4math.h"
#include "rng/norm_as241.h"

#ifdef NORM_BLOCK_W8
#include "num/v8math.h"

#define V8_INLINE static inline __attribute__((always_inline))

/* qpm__as_horner7_v4 on eight lanes */
V8_INLINE v8d v8_horner7(const double *c, v8d x)
{
    return QPM__AS_HORNER7(c, x);
}

/* qpm__nt_step_v4 on eight lanes: the same nodes, each four lanes' rows
 * transposed as there, then QPM__NT_ARITH */
V8_INLINE v8d nt_step_v8(v8d x0, v8d t)
{
    v8i k;
    v8d a, res;
    QPM__NT_NODE(v8d, v8i, v8, x0, k, a);
    v8d h = x0 - a;
    v4d th4[2], tl4[2], ph4[2], pl4[2];
    for (int hf = 0; hf < 2; hf++) {
        long long kk[4] = {k[4 * hf], k[4 * hf + 1], k[4 * hf + 2], k[4 * hf + 3]};
        qpm__nt_rows_v4(kk, &th4[hf], &tl4[hf], &ph4[hf], &pl4[hf]);
    }
#define V8_JOIN(x) __builtin_shufflevector((x)[0], (x)[1], 0, 1, 2, 3, 4, 5, 6, 7)
    v8d th = V8_JOIN(th4), tl = V8_JOIN(tl4), ph = V8_JOIN(ph4), pl = V8_JOIN(pl4);
#undef V8_JOIN
    QPM__NT_ARITH(v8d, x0, t, a, h, th, tl, ph, pl, res);
    return res;
}

/* qpm__as_tail_v4 on eight lanes */
V8_INLINE v8d as_tail_v8(v8d t)
{
    v8d z;
    QPM__AS_TAIL_LANES(v8d, v8i, v8, v8_horner7, t, z);
    return z;
}
#define NB_LANES   8
#define NB_TAIL(t) as_tail_v8(t)
typedef v8d nb_vec;
#else
#define NB_LANES   4
#define NB_TAIL(t) qpm__as_tail_v4(t)
typedef v4d nb_vec;
#endif

/* One step of central_chunk on the lanes of T (load, horner: its
 * helpers) at p + i */
#define CENTRAL_STEP(T, load, horner)                                                              \
    do {                                                                                           \
        T pv_;                                                                                     \
        load(&pv_, p + i);                                                                         \
        T q_ = pv_ - 0.5;                                                                          \
        T r_ = 0.180625 - q_ * q_, a_, b_;                                                         \
        if (estrin) {                                                                              \
            QPM__AS_ESTRIN7(T, QPM__AS_A, r_, a_);                                                 \
            QPM__AS_ESTRIN7(T, QPM__AS_B, r_, b_);                                                 \
        } else {                                                                                   \
            a_ = horner(QPM__AS_A, r_);                                                            \
            b_ = horner(QPM__AS_B, r_);                                                            \
        }                                                                                          \
        T c_ = q_ * a_ / b_;                                                                       \
        memcpy(cz + i, &c_, sizeof c_);                                                            \
    } while (0)

/* cz[i] = qpm__as_central(p[i] - 1/2) (estrin: qpm__as_central_e), i < n:
 * four (eight) at a time, the same operations lane by lane */
static inline void central_chunk(size_t n, const double *p, double *cz, int estrin)
{
    size_t i = 0;
#ifdef NORM_BLOCK_W8
    for (; i + 8 <= n; i += 8)
        CENTRAL_STEP(v8d, v8_load, v8_horner7);
#endif
    for (; i + 4 <= n; i += 4)
        CENTRAL_STEP(v4d, v4_load, qpm__as_horner7_v4);
    for (; i < n; i++)
        cz[i] = estrin ? qpm__as_central_e(p[i] - 0.5) : qpm__as_central(p[i] - 0.5);
}
#undef CENTRAL_STEP

enum { NB_CHUNK = 256 };

/* AS241's values of p[0..n-1] (n <= NB_CHUNK) with the sign of the lower
 * tail: qpm__as_central(p - 1/2) in the central region, the (negative)
 * qpm__as_tail_v4 of min(p, 1 - p) beyond it; the central rationals four
 * at a time, then the tails gathered four at a time, so that neither work
 * nor branches depend on where a value falls (the tails eight at a time
 * in the AVX-512 build). */
static inline void starts_chunk(size_t n, const double *p, double *x0, int estrin)
{
    size_t tl[NB_CHUNK], nt = 0;
    central_chunk(n, p, x0, estrin);
    for (size_t i = 0; i < n; i++) {
        tl[nt] = i;
        nt += fabs(p[i] - 0.5) > 0.425;
    }
    for (size_t j = 0; j < nt; j += NB_LANES) {
        double tb[NB_LANES];
        for (size_t l = 0; l < NB_LANES; l++) {
            double pe = p[tl[j + l < nt ? j + l : nt - 1]];
            tb[l] = fmin(pe, 1.0 - pe); /* the lower-tail probability, exact */
        }
        nb_vec t;
        memcpy(&t, tb, sizeof t);
        nb_vec zt = NB_TAIL(t);
        for (size_t l = 0; l < NB_LANES && j + l < nt; l++)
            x0[tl[j + l]] = zt[l];
    }
}

/* The precise values of x[0..n-1] (n <= NB_CHUNK), as qpm__norm_inv gives
 * them: the starts, then the tabulated Newton step four at a time over
 * every value; values beyond the table (t below about 1e-17, never from
 * the generators' uniforms) are redone one by one by qpm__norm_inv. */
static inline void precise_chunk(size_t n, double *x)
{
    double p[NB_CHUNK + NB_LANES - 1], x0[NB_CHUNK + NB_LANES - 1];
    size_t far[NB_CHUNK], nf = 0;
    memcpy(p, x, n * sizeof *p);
    starts_chunk(n, p, x0, 1);
    for (size_t i = n; i % NB_LANES; i++) { /* padding lanes: any value in range */
        p[i] = 0.25;
        x0[i] = 0.5;
    }
    size_t i = 0;
    /* W lanes of T from i (those before n: the padding lanes' values are
     * not stored), by the helpers pfx_load, pfx_sel, ... and step */
#define PRECISE_STEP(T, TI, W, pfx, step)                                                          \
    do {                                                                                           \
        T pv_, xv_;                                                                                \
        pfx##_load(&pv_, p + i);                                                                   \
        pfx##_load(&xv_, x0 + i);                                                                  \
        T q_ = pv_ - 0.5;                                                                          \
        T t_ = pfx##_sel(q_ < 0.0, pv_, 1.0 - pv_); /* exact */                                    \
        xv_ = pfx##_abs(xv_);                                                                      \
        T z_ = pfx##_copysign(step(xv_, t_), q_);                                                  \
        TI out_ = xv_ >= QPM__NT_XLIM;                                                             \
        long long any_ = 0;                                                                        \
        if (i + W <= n)                                                                            \
            memcpy(x + i, &z_, sizeof z_);                                                         \
        else                                                                                       \
            for (size_t l_ = 0; i + l_ < n; l_++)                                                  \
                x[i + l_] = z_[l_];                                                                \
        for (int l_ = 0; l_ < W; l_++)                                                             \
            any_ |= out_[l_];                                                                      \
        if (QPM__UNLIKELY(any_ != 0))                                                              \
            for (size_t l_ = 0; l_ < W && i + l_ < n; l_++)                                        \
                if (out_[l_])                                                                      \
                    far[nf++] = i + l_;                                                            \
    } while (0)
#ifdef NORM_BLOCK_W8
    for (; i + 8 <= n; i += 8)
        PRECISE_STEP(v8d, v8i, 8, v8, nt_step_v8);
#endif
    for (; i < n; i += 4)
        PRECISE_STEP(v4d, v4i, 4, v4, qpm__nt_step_v4);
#undef PRECISE_STEP
    for (size_t j = 0; j < nf; j++)
        x[far[j]] = qpm__norm_inv(p[far[j]]);
}

/* The plain AS241 values of x[0..n-1] (n <= NB_CHUNK): the starts, with
 * the sign of p - 1/2 (the central values have it already). */
static inline void plain_chunk(size_t n, double *x)
{
    double p[NB_CHUNK];
    memcpy(p, x, n * sizeof *p);
    starts_chunk(n, p, x, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = copysign(fabs(x[i]), p[i] - 0.5); /* q < 0 ? z : -z, z < 0 */
}

void NORM_BLOCK_FN(size_t n, double *x, int precise)
{
    for (size_t i = 0; i < n; i += NB_CHUNK) {
        size_t m = n - i < NB_CHUNK ? n - i : NB_CHUNK;
        if (precise)
            precise_chunk(m, x + i);
        else
            plain_chunk(m, x + i);
    }
}
