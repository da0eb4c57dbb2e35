/* Symmetric rank-k update on packed panels: the co-moment kernel of the
 * batch fits under QPM_COV_KERNEL_AVX512 (the default where the CPU has
 * AVX-512F).
 *
 * A chunk of k <= QPM__COV_BLOCK centred rows d_t (each of n values) is
 * packed into column panels of QPM__SYRK_W assets: value j of row t lies at
 *   p[(j / W) * QPM__SYRK_PSTRIDE + t * W + j % W],
 * with the n..npad-1 padding columns of every packed row zero (npad = n
 * rounded up to a multiple of W).  The kernel then sets the n x n row-major
 * c (ldc) to beta c + sum_t d_t d_t' (beta = 0: c is not read).  It writes
 * every entry of the tiles that meet the lower triangle: besides the lower
 * triangle, some entries just above the diagonal receive their (symmetric)
 * values; the rest of the upper triangle is left alone. */
#ifndef QPM_COV_SYRK_H
#define QPM_COV_SYRK_H

#include <stddef.h>

#include "cov_internal.h"

#define QPM__SYRK_W 24u                                  /* panel width (assets) */
/* Doubles from one panel to the next: a chunk's rows plus one cache line,
 * so that the panels do not start 4 KiB-aligned (the same L1 set): the
 * packing writes to every panel for each row. */
#define QPM__SYRK_PSTRIDE ((size_t)QPM__COV_BLOCK * QPM__SYRK_W + 8u)

/* n rounded up to a multiple of QPM__SYRK_W: the packed row length. */
static inline size_t qpm__cov_syrk_npad(size_t n)
{
    return (n + QPM__SYRK_W - 1) / QPM__SYRK_W * QPM__SYRK_W;
}

/* Doubles in a packed chunk of n assets (64-byte aligned buffer). */
static inline size_t qpm__cov_syrk_size(size_t n)
{
    return qpm__cov_syrk_npad(n) / QPM__SYRK_W * QPM__SYRK_PSTRIDE;
}

/* Packs one row: d = row - mean into packed row t of p (zero padding
 * included) and into d (n values); colsum += d; returns |d|^2. */
double qpm__cov_syrk_pack(size_t n, size_t t, const double *row, const double *mean, double *p,
                          double *colsum, double *d);

/* Straightforward reference of the kernel (any CPU): same contract. */
void qpm__cov_syrk_ref(size_t n, size_t k, const double *p, double *c, size_t ldc, double beta);

#if defined(__x86_64__) || defined(__i386__)
/* AVX-512F kernel; call only when the CPU has AVX-512F (its table row). */
void qpm__cov_syrk_avx512(size_t n, size_t k, const double *p, double *c, size_t ldc,
                          double beta);
/* Packed row t of p = w row, padding zero (AVX-512F, same condition). */
void qpm__cov_syrk_pack_scaled_avx512(size_t n, size_t t, const double *row, double w, double *p);
/* Same as qpm__cov_syrk_pack, but adds |d|^2 d to v3 instead of returning
 * d (AVX-512F, same condition). */
double qpm__cov_syrk_pack_avx512(size_t n, size_t t, const double *row, const double *mean,
                                 double *p, double *colsum, double *v3);
#define QPM__COV_HAVE_SYRK_AVX512 1
#endif

/* The co-moment kernels, one row per QPM_COV_KERNEL value, with the CPU
 * features each needs (cov_syrk.c).  The handle takes its row at creation
 * and when QPM_COV_KERNEL changes, from qpm__cpu_flags() alone. */
typedef struct qpm__cov_kernel_row {
    qpm__kernel_tag tag; /* id: QPM_COV_KERNEL_BLAS or _AVX512 */
    int packed;          /* the fits use the packed panels and qpm__cov_syrk_avx512 */
} qpm__cov_kernel_row;

/* The row of kernel id (QPM_COV_KERNEL_AUTO: the own kernel where the CPU
 * runs it, else the BLAS), or NULL when the CPU lacks a feature it needs. */
const qpm__cov_kernel_row *qpm__cov_kernel(int id);

#endif /* QPM_COV_SYRK_H */
