/* AVX-512 (F + DQ) kernel of the Black family: sixteen options per step in
 * two registers (one register for batches of at most eight), the same
 * formulation and order of operations as the scalar reference (black.c) and
 * the AVX2 kernel: the shared body is black_lanes.h, written against the
 * SIMD vocabulary (num/simd_avx512.h).  Its exp and log use the AVX-512
 * exponent instructions (scalef, getexp, getmant) and its Mills ratio the
 * eight-piece member R8 (num/mills.h), one piece per lane.  Lanes in the
 * rare special regions go to the scalar reference.  Built with -mavx512f
 * -mavx512dq and called only after CPU detection. */
/* GCC does not schedule instructions before register allocation on x86
 * unless asked; the long dependency chains of this kernel (log, exp and the
 * Mills-ratio polynomials) run about 10 % faster with pressure-aware
 * scheduling (measured with bench_pricing).  Loop-invariant motion off
 * (tree and RTL passes) gives the register allocator a different, shorter
 * loop to fit in 32 registers: 1-3 % faster here in best-of-300 A/B runs,
 * neutral in the AVX2 kernel, which keeps the defaults.  Before the
 * includes, so that every inlined function gets the same options. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("schedule-insns", "sched-pressure", "no-tree-loop-im", "no-move-loop-invariants")
#endif
#include <float.h>
#include <string.h>

#include "black.h"
#include "num/simd_avx512.h"
#include "num/simd_pair.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

/* Deferral of the lanes whose Black terms nearly cancel (black_lanes.h):
 * per register, a compress of their indices into the buffer. */
QV_INLINE int qv_defer(qm h, int valid, size_t i, size_t *buf, int c)
{
    return qm_compress_index((qm)(h & valid), i, buf, c);
}
QV_INLINE int qp_defer(qpm h, int valid, size_t i, size_t *buf, int c)
{
    c = qm_compress_index((qm)(h.a & valid), i, buf, c);
    return qm_compress_index((qm)(h.b & (valid >> QV_LANES)), i + QV_LANES, buf, c);
}
#define vdefer VN(defer)
#define QPM__DEFER_HARD 1
#define vmills vmills_p8
#include "black_widths.h"

/* Two registers per step (batch()); a single option goes to the one-lane
 * code, up to four options to the same formulation on one AVX2 register
 * (the mask-register selects of a zmm register wait longer): the same bits
 * either way. */
size_t qpm__black_kernel_avx512(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return qpm__black_kernel_scalar_fma(job, begin, end);
    if (end - begin == 1)
        return qpm__black_lanes_r8(job, begin, end);
    return end - begin <= 4 ? qpm__black_kernel_r8_avx2(job, begin, end) : batch(job, begin, end);
}

/* The scalar screen's tests as unsigned integer bounds on the bit patterns,
 * so that a step is a few vector operations and no mask register work:
 *   x > 0 and x <= DBL_MAX      <=>  bits(x) - 1 <= bits(DBL_MAX) - 1
 *   x >= 0 and x <= DBL_MAX     <=>  bits(x + 0.0) <= bits(DBL_MAX)  (-0.0 + 0.0 = +0.0)
 *   |x| <= c (c > 0 finite)     <=>  bits(|x|) <= bits(c)
 * (NaN and infinities have larger patterns).  Each accumulator keeps the
 * lane-wise unsigned maximum of its test's left-hand side. */
typedef struct {
    __m512i u, k, T, s, r, q;
} screen_acc;

static inline __m512i bits_z(qv x) { return _mm512_castpd_si512(x); }

/* One step of eight elements from i; lanes outside m read as 1.0, which
 * passes every test (the tail of a batch). */
static inline __attribute__((always_inline)) void screen8(screen_acc *a, const qpm__bjob *job,
                                                          size_t i, int bach, int contiguous,
                                                          qm m)
{
    const __m512i one = _mm512_set1_epi64(1), absm = _mm512_set1_epi64(0x7FFFFFFFFFFFFFFFLL);
    const qv zero = qv_zero(), fill = qv_set(1.0);
#define LD(p, s)                                                                           \
    (m != 0xFF ? ((s) ? _mm512_mask_loadu_pd(fill, m, (p) + i) : qv_bcast(p))             \
     : contiguous ? qv_loadu((p) + i) : qv_load_s((p), (s), i))
    qv u = LD(job->u, job->su), k = LD(job->k, job->sk), T = LD(job->t, job->st);
    qv sg = LD(job->sig, job->ssig);
    qv rT = qv_mul(LD(job->r, job->sr), T), qT = qv_mul(LD(job->q, job->sq), T);
#undef LD
    if (bach) {
        a->u = _mm512_max_epu64(a->u, _mm512_and_si512(bits_z(u), absm));
        a->k = _mm512_max_epu64(a->k, _mm512_and_si512(bits_z(k), absm));
    } else {
        a->u = _mm512_max_epu64(a->u, _mm512_sub_epi64(bits_z(u), one));
        a->k = _mm512_max_epu64(a->k, _mm512_sub_epi64(bits_z(k), one));
    }
    a->T = _mm512_max_epu64(a->T, bits_z(qv_add(T, zero)));
    a->s = _mm512_max_epu64(a->s, bits_z(qv_add(sg, zero)));
    a->r = _mm512_max_epu64(a->r, _mm512_and_si512(bits_z(rT), absm));
    a->q = _mm512_max_epu64(a->q, _mm512_and_si512(bits_z(qT), absm));
}

/* type is +-1: |type| == 1, eight elements (lanes outside m read as 1) */
static inline __m256i screen8_type(const int32_t *p, size_t stride, size_t i, qm m)
{
    __m256i ty;
    if (!stride)
        ty = _mm256_set1_epi32(p[0]);
    else if (m != 0xFF)
        ty = _mm512_castsi512_si256(
            _mm512_mask_loadu_epi32(_mm512_set1_epi32(1), (__mmask16)m, (const void *)(p + i)));
    else
        ty = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
    return _mm256_cmpeq_epi32(_mm256_abs_epi32(ty), _mm256_set1_epi32(1));
}

/* Same result as qpm__black_screen_scalar, eight elements per step and a
 * masked step for the tail; the loop for contiguous arrays (the batch entry
 * point) has no stride tests. */
int qpm__black_screen_avx512(const qpm__bjob *job, size_t n)
{
    if (n == 1) /* a single option: the scalar tests, no vector set-up */
        return qpm__black_screen_one(job, 0);
    const int bach = job->model == QPM__BACH;
    const int contiguous = job->su == 1 && job->sk == 1 && job->st == 1 && job->sr == 1 &&
                           job->sq == 1 && job->ssig == 1 && job->stype == 1;
    const __m512i z = _mm512_setzero_si512();
    screen_acc a = {z, z, z, z, z, z};
    __m256i tok = _mm256_set1_epi32(-1);
    size_t i = 0;
    if (contiguous && !bach) {
        for (; i + 8 <= n; i += 8) {
            screen8(&a, job, i, 0, 1, 0xFF);
            tok = _mm256_and_si256(tok, screen8_type(job->type, 1, i, 0xFF));
        }
    } else {
        for (; i + 8 <= n; i += 8) {
            screen8(&a, job, i, bach, 0, 0xFF);
            tok = _mm256_and_si256(tok, screen8_type(job->type, job->stype, i, 0xFF));
        }
    }
    if (i < n) {
        qm m = qm_first(n - i);
        screen8(&a, job, i, bach, 0, m);
        tok = _mm256_and_si256(tok, screen8_type(job->type, job->stype, i, m));
    }
    const long long maxbits = 0x7FEFFFFFFFFFFFFFLL; /* DBL_MAX */
    double maxrt = QPM__MAX_RT;
    long long rtbits;
    memcpy(&rtbits, &maxrt, sizeof rtbits);
    __m512i lim = _mm512_set1_epi64(bach ? maxbits : maxbits - 1);
    __mmask8 bad = _mm512_cmpgt_epu64_mask(a.u, lim) | _mm512_cmpgt_epu64_mask(a.k, lim);
    lim = _mm512_set1_epi64(maxbits);
    bad |= _mm512_cmpgt_epu64_mask(a.T, lim) | _mm512_cmpgt_epu64_mask(a.s, lim);
    lim = _mm512_set1_epi64(rtbits);
    bad |= _mm512_cmpgt_epu64_mask(a.r, lim) | _mm512_cmpgt_epu64_mask(a.q, lim);
    return bad == 0 && _mm256_movemask_epi8(tok) == -1;
}
