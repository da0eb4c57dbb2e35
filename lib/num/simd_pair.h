/* Two registers as one operand: qp holds 2 QV_LANES doubles as two qv, qpm
 * their masks, and every operation of the vocabulary (simd_avx2.h or
 * simd_avx512.h, included first) is two independent register operations.
 * The kernels' work per element is one long chain of dependent operations
 * (logarithm, exponential, Mills-ratio polynomials one after the other);
 * two registers per step give the out-of-order core two chains to overlap,
 * which nearly doubles the throughput.  Lane j of a pair is lane j of .a for
 * j < QV_LANES, else lane j - QV_LANES of .b.
 *
 * QP_LIFT1(name) lifts a function qv qv_name(qv) defined later (the
 * elementary functions) to qp qp_name(qp). */
#ifndef QPM_NUM_SIMD_PAIR_H
#define QPM_NUM_SIMD_PAIR_H

#if !defined(QV_LANES)
#error "include num/simd_avx2.h or num/simd_avx512.h first"
#endif

#define QP_LANES (2 * QV_LANES)

typedef struct {
    qv a, b;
} qp;
typedef struct {
    qm a, b;
} qpm;

#define QP_LIFT1(name)                                                                     \
    QV_INLINE qp qp_##name(qp x) { return (qp){qv_##name(x.a), qv_##name(x.b)}; }
#define QP_LIFT2(name)                                                                     \
    QV_INLINE qp qp_##name(qp x, qp y) { return (qp){qv_##name(x.a, y.a), qv_##name(x.b, y.b)}; }
#define QP_LIFT3(name)                                                                     \
    QV_INLINE qp qp_##name(qp x, qp y, qp z)                                               \
    {                                                                                      \
        return (qp){qv_##name(x.a, y.a, z.a), qv_##name(x.b, y.b, z.b)};                  \
    }
#define QP_CMP(name)                                                                       \
    QV_INLINE qpm qp_##name(qp x, qp y) { return (qpm){qv_##name(x.a, y.a), qv_##name(x.b, y.b)}; }
#define QPM_LIFT2(name)                                                                    \
    QV_INLINE qpm qpm_##name(qpm x, qpm y) { return (qpm){qm_##name(x.a, y.a), qm_##name(x.b, y.b)}; }

QV_INLINE qp qp_set(double x) { return (qp){qv_set(x), qv_set(x)}; }
QV_INLINE qp qp_zero(void) { return (qp){qv_zero(), qv_zero()}; }
QP_LIFT2(add)
QP_LIFT2(sub)
QP_LIFT2(mul)
QP_LIFT2(div)
QP_LIFT1(sqrt)
QP_LIFT2(min)
QP_LIFT2(max)
QP_LIFT3(fma)
QP_LIFT3(fms)
QP_LIFT3(fnma)
QP_LIFT3(fnms)
QP_LIFT1(abs)
QP_LIFT1(round)
#if defined(QV_ISA_AVX2) || defined(__AVX512DQ__) || defined(QV_ISA_C)
QP_LIFT2(and)
QP_LIFT2(or)
QP_LIFT2(xor)
QP_LIFT1(neg)
#endif

QP_CMP(gt)
QP_CMP(ge)
QP_CMP(lt)
QP_CMP(le)
QP_CMP(neq)
QP_CMP(ngt)
QP_CMP(nge)
QP_CMP(nle)
QP_CMP(unord)
QPM_LIFT2(or)
QPM_LIFT2(and)
QPM_LIFT2(andnot)
QV_INLINE qpm qpm_none(void) { return (qpm){qm_none(), qm_none()}; }
QV_INLINE qpm qpm_all(void) { return (qpm){qm_all(), qm_all()}; }
QV_INLINE int qpm_bits(qpm m) { return qm_bits(m.a) | (qm_bits(m.b) << QV_LANES); }
QV_INLINE int qpm_any(qpm m) { return qpm_bits(m) != 0; }
QV_INLINE qpm qpm_first(size_t n)
{
    return (qpm){qm_first(n < QV_LANES ? n : QV_LANES), qm_first(n > QV_LANES ? n - QV_LANES : 0)};
}
QV_INLINE qpm qpm_sel(qpm m, qpm a, qpm b) { return (qpm){qm_sel(m.a, a.a, b.a), qm_sel(m.b, a.b, b.b)}; }
QV_INLINE qp qp_sel(qpm m, qp t, qp f) { return (qp){qv_sel(m.a, t.a, f.a), qv_sel(m.b, t.b, f.b)}; }
QV_INLINE qp qp_maskz(qpm m, qp x) { return (qp){qv_maskz(m.a, x.a), qv_maskz(m.b, x.b)}; }
#if defined(QV_ISA_AVX2) || defined(__AVX512DQ__) || defined(QV_ISA_C)
QV_INLINE qpm qp_notnormal(qp x) { return (qpm){qv_notnormal(x.a), qv_notnormal(x.b)}; }
typedef struct {
    qnf a, b;
} qpnf;
QV_INLINE qpnf qpnf_init(void) { return (qpnf){qnf_init(), qnf_init()}; }
QV_INLINE qpnf qpnf_add(qpnf acc, qp v) { return (qpnf){qnf_add(acc.a, v.a), qnf_add(acc.b, v.b)}; }
QV_INLINE qpm qpnf_lanes(qpnf acc) { return (qpm){qnf_lanes(acc.a), qnf_lanes(acc.b)}; }
#endif

QV_INLINE qp qp_loadu(const double *p) { return (qp){qv_loadu(p), qv_loadu(p + QV_LANES)}; }
QV_INLINE void qp_storeu(double *p, qp x)
{
    qv_storeu(p, x.a);
    qv_storeu(p + QV_LANES, x.b);
}
QV_INLINE qp qp_load_s(const double *p, size_t stride, size_t i)
{
    return (qp){qv_load_s(p, stride, i), qv_load_s(p, stride, i + QV_LANES)};
}
QV_INLINE qp qp_load_i32(const int32_t *p)
{
    return (qp){qv_load_i32(p), qv_load_i32(p + QV_LANES)};
}
/* the first n (<= QP_LANES) elements, the other lanes 0 */
QV_INLINE qp qp_loadu_n(const double *p, size_t n)
{
    if (n <= QV_LANES)
        return (qp){qv_loadu_n(p, n), qv_zero()};
    return (qp){qv_loadu(p), qv_loadu_n(p + QV_LANES, n - QV_LANES)};
}
QV_INLINE qp qp_load_i32_n(const int32_t *p, size_t n)
{
    if (n <= QV_LANES)
        return (qp){qv_load_i32_n(p, n), qv_zero()};
    return (qp){qv_load_i32(p), qv_load_i32_n(p + QV_LANES, n - QV_LANES)};
}
QV_INLINE void qp_storeu_n(double *p, qp x, size_t n)
{
    if (n <= QV_LANES) {
        qv_storeu_n(p, x.a, n);
        return;
    }
    qv_storeu(p, x.a);
    qv_storeu_n(p + QV_LANES, x.b, n - QV_LANES);
}
QV_INLINE void qp_store1(double *p, qp x) { qv_store1(p, x.a); }
QV_INLINE qp qp_bcast(const double *p) { return (qp){qv_bcast(p), qv_bcast(p)}; }

#endif /* QPM_NUM_SIMD_PAIR_H */
