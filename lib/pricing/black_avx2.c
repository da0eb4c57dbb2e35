/* AVX2+FMA kernel of the Black family: eight options per step in two
 * registers (one register for batches of at most four), the formulation of
 * the scalar reference in black.c (black_lanes.h, the shared body written
 * against the SIMD vocabulary num/simd_avx2.h, says where its discounting
 * differs), with the vector exp, expm1 and log of num/vexp_log.h and the
 * four-piece Mills ratio R4 of num/mills.h, the scalar kernel's member.
 * Lanes in the rare special regions (T = 0 or sigma = 0, a forward out of
 * range, a carry beyond QPM__MAX_RT) are handed to the scalar reference, so
 * they are bit-identical to the scalar kernel; Black terms that cancel by
 * more than QPM__LMAX take the scalar path's Mills-ratio difference (its
 * vector form, the same bits).  Bachelier jobs run the scalar kernel.
 * Built with -mavx2 -mfma and called only after CPU detection. */
/* GCC does not schedule instructions before register allocation on x86
 * unless asked; the long dependency chains of this kernel (log, exp and the
 * Mills-ratio polynomials) run about 10 % faster with pressure-aware
 * scheduling (measured with bench_pricing).  Before the includes, so that
 * every inlined function gets the same options. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("schedule-insns", "sched-pressure")
#endif
#include <float.h>
#include <string.h>

#include "black.h"
#include "num/simd_avx2.h"
#include "num/simd_pair.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

/* Deferral of the lanes whose Black terms nearly cancel (black_lanes.h):
 * per register, their indices appended to the buffer. */
QV_INLINE int qv_defer(qm h, int valid, size_t i, size_t *buf, int c)
{
    for (unsigned b = (unsigned)(qm_bits(h) & valid); b != 0; b &= b - 1)
        buf[c++] = i + (size_t)__builtin_ctz(b);
    return c;
}
QV_INLINE int qp_defer(qpm h, int valid, size_t i, size_t *buf, int c)
{
    c = qv_defer(h.a, valid, i, buf, c);
    return qv_defer(h.b, valid >> QV_LANES, i + QV_LANES, buf, c);
}
#define vdefer VN(defer)
#define QPM__DEFER_HARD 1
#define QPM__FLUSH_FN static __attribute__((noinline))
#define vmills vmills_p4
#include "black_widths.h"
#undef vmills

/* the AVX-512 kernel's Mills member, for its small batches */
#define vmills vmills_p8
#define KF(name) name##_r8
#include "black_lanes.h"
#undef KF
#undef vmills

/* One register for a batch that fits in it, two per step otherwise
 * (batch()). */
size_t qpm__black_kernel_avx2(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return qpm__black_kernel_scalar_fma(job, begin, end);
    /* one option: straight-line code, the same bits */
    return end - begin == 1 ? qpm__black_lanes_r4(job, begin, end) : batch(job, begin, end);
}

/* The AVX-512 kernel's formulation (the Mills member R8) on one AVX2
 * register: the AVX-512 kernel's bits for up to four options, at a shorter
 * latency than a zmm register's (its mask-register selects wait longer). */
size_t qpm__black_kernel_r8_avx2(const qpm__bjob *job, size_t begin, size_t end)
{
    return dispatch_r8(job, begin, end);
}

/* Four elements of the screen: the scalar screen's tests as lane masks,
 * combined as a tree (one AND per step on the accumulator, so that the loop
 * runs at load speed). */
static inline __attribute__((always_inline)) qm screen4(int bach, qv u, qv k, qv T, qv r, qv q,
                                                        qv sg)
{
    const qv zero = qv_zero(), big = qv_set(DBL_MAX), maxrt = qv_set(QPM__MAX_RT);
    qm cu, ck;
    if (bach) {
        cu = qv_le(qv_abs(u), big);
        ck = qv_le(qv_abs(k), big);
    } else {
        cu = qm_and(qv_gt(u, zero), qv_le(u, big));
        ck = qm_and(qv_gt(k, zero), qv_le(k, big));
    }
    qm cT = qm_and(qv_ge(T, zero), qv_le(T, big));
    qm cs = qm_and(qv_ge(sg, zero), qv_le(sg, big));
    qm cr = qv_le(qv_abs(qv_mul(r, T)), maxrt);
    qm cq = qv_le(qv_abs(qv_mul(q, T)), maxrt);
    return qm_and(qm_and(qm_and(cu, ck), qm_and(cT, cs)), qm_and(cr, cq));
}

/* type is +-1, four elements */
static inline __m128i screen4_type(__m128i ty)
{
    return _mm_or_si128(_mm_cmpeq_epi32(ty, _mm_set1_epi32(1)), _mm_cmpeq_epi32(ty, _mm_set1_epi32(-1)));
}

/* Same result as qpm__black_screen_scalar, four elements per step and a
 * masked step for the tail. */
int qpm__black_screen_avx2(const qpm__bjob *job, size_t n)
{
    if (n == 1) /* a single option: the scalar tests, no vector set-up */
        return qpm__black_screen_one(job, 0);
    const int bach = job->model == QPM__BACH;
    qm ok = qm_all();
    __m128i tok = _mm_set1_epi32(-1);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        ok = qm_and(ok, screen4(bach, qv_load_s(job->u, job->su, i), qv_load_s(job->k, job->sk, i),
                                qv_load_s(job->t, job->st, i), qv_load_s(job->r, job->sr, i),
                                qv_load_s(job->q, job->sq, i), qv_load_s(job->sig, job->ssig, i)));
        tok = _mm_and_si128(tok, screen4_type(job->stype ? _mm_loadu_si128((const __m128i *)(const void *)(job->type + i))
                                                         : _mm_set1_epi32(job->type[0])));
    }
    if (i < n) {
        /* lanes past the end read as 1.0 (and type 1), which pass */
        size_t rem = n - i;
        qm m = qm_first(rem);
        const qv fill = qv_set(1.0);
#define LD(p, s) ((s) ? qv_sel(m, qv_loadu_n((p) + i, rem), fill) : qv_bcast(p))
        ok = qm_and(ok, screen4(bach, LD(job->u, job->su), LD(job->k, job->sk), LD(job->t, job->st),
                                LD(job->r, job->sr), LD(job->q, job->sq), LD(job->sig, job->ssig)));
#undef LD
        __m128i lm = _mm_cmpgt_epi32(_mm_set1_epi32((int)rem), _mm_setr_epi32(0, 1, 2, 3));
        __m128i ty = job->stype ? _mm_blendv_epi8(_mm_set1_epi32(1), _mm_maskload_epi32(job->type + i, lm), lm)
                                : _mm_set1_epi32(job->type[0]);
        tok = _mm_and_si128(tok, screen4_type(ty));
    }
    return qm_bits(ok) == 0xF && _mm_movemask_epi8(tok) == 0xFFFF;
}
