/* Width-generic names for kernels written once for one register (qv) and
 * for two (qp): a kernel body uses V, M, NF, LANES and the v..., m... and
 * nf_... names below; the including file sets QPM_SIMD_X2 to 1 (pairs) or 0
 * (one register) and includes this header, then the body, and may switch
 * the width by setting QPM_SIMD_X2 again and including this header again.
 * Include after num/simd_avx2.h or num/simd_avx512.h and num/simd_pair.h
 * (and the vexp_log.h / vmills.h members the body uses). */
#ifndef QPM_NUM_SIMD_NAMES_H
#define QPM_NUM_SIMD_NAMES_H

/* the operations: each name expands to the qv_ or qp_ function of the
 * current width (VN and MN are read at each use) */
#define vset VN(set)
#define vzero VN(zero)
#define vadd VN(add)
#define vsub VN(sub)
#define vmul VN(mul)
#define vdiv VN(div)
#define vsqrt VN(sqrt)
#define vmin VN(min)
#define vmax VN(max)
#define vfma VN(fma)
#define vfms VN(fms)
#define vfnma VN(fnma)
#define vfnms VN(fnms)
#define vneg VN(neg)
#define vabs VN(abs)
#define vround VN(round)
#define vgt VN(gt)
#define vge VN(ge)
#define vlt VN(lt)
#define vle VN(le)
#define vneq VN(neq)
#define vngt VN(ngt)
#define vnge VN(nge)
#define vnle VN(nle)
#define vunord VN(unord)
#define vsel VN(sel)
#define vmaskz VN(maskz)
#define vnotnormal VN(notnormal)
#define vloadu VN(loadu)
#define vloadu_n VN(loadu_n)
#define vload_s VN(load_s)
#define vload_i32 VN(load_i32)
#define vload_i32_n VN(load_i32_n)
#define vbcast VN(bcast)
#define vstoreu VN(storeu)
#define vstoreu_n VN(storeu_n)
#define vstore1 VN(store1)
#define vexp VN(exp)
#define vexp_in VN(exp_in)
#define vexpneg_in VN(expneg_in)
#define vexp_neg VN(exp_neg)
#define vexpm1_small VN(expm1_small)
#define vexp_em1 VN(exp_em1)
#define vlog VN(log)
#define vexp_tab4 VN(exp_tab4)
#define vlog_atanh VN(log_atanh)
#define vmills_p4 VN(mills_p4)
#define vmills_p8 VN(mills_p8)
#define vmills_rat VN(mills_rat)
#define vmills_diff VN(mills_diff)
#define mor MN(or)
#define mand MN(and)
#define mandnot MN(andnot)
#define mnone MN(none)
#define mall MN(all)
#define mbits MN(bits)
#define many MN(any)
#define mfirst MN(first)
#define msel MN(sel)
#define nf_init NFN(init)
#define nf_add NFN(add)
#define nf_lanes NFN(lanes)

#endif /* QPM_NUM_SIMD_NAMES_H */

/* the width: re-read at every inclusion */
#undef V
#undef M
#undef NF
#undef LANES
#undef VN
#undef MN
#undef NFN
#if QPM_SIMD_X2
#define V qp
#define M qpm
#define NF qpnf
#define LANES QP_LANES
#define VN(name) qp_##name
#define MN(name) qpm_##name
#define NFN(name) qpnf_##name
#else
#define V qv
#define M qm
#define NF qnf
#define LANES QV_LANES
#define VN(name) qv_##name
#define MN(name) qm_##name
#define NFN(name) qnf_##name
#endif
