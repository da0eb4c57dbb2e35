/* Row kernels of the batch fits (the O(T N) work around the rank-k updates)
 * and of the O(N^2) stream updates.
 * gcc at -O2 does not vectorise loops of unknown length, and these passes
 * would otherwise cost a sixth of a fit; they are written with the GCC/Clang
 * vector extension, two vectors of 2 doubles per step (SSE2 on baseline
 * x86-64; 16-byte vectors keep the calling convention the same on every
 * x86-64 build), with a scalar fallback for other compilers.  Every lane
 * does exactly the scalar operation on its own element; the one reduction
 * (centre's sum of squares) has a fixed order. */
#ifndef QPM_COV_KERN_H
#define QPM_COV_KERN_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define QPM__COV_VEC 1
typedef double qpm__v2d __attribute__((vector_size(16)));
typedef long long qpm__v2i __attribute__((vector_size(16)));

static inline qpm__v2d qpm__v2_load(const double *p)
{
    qpm__v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void qpm__v2_store(double *p, qpm__v2d v) { memcpy(p, &v, sizeof v); }

static inline qpm__v2d qpm__v2_splat(double a) { return (qpm__v2d){a, a}; }

/* lane-wise mask ? a : b, mask from a vector comparison */
static inline qpm__v2d qpm__v2_select(qpm__v2i mask, qpm__v2d a, qpm__v2d b)
{
    return (qpm__v2d)(((qpm__v2i)a & mask) | ((qpm__v2i)b & ~mask));
}
#endif

/* sum[j] += row[j] */
static inline void qpm__cov_k_add(size_t n, const double *restrict row, double *restrict sum)
{
    size_t j = 0;
#ifdef QPM__COV_VEC
    for (; j + 4 <= n; j += 4) {
        qpm__v2_store(sum + j, qpm__v2_load(sum + j) + qpm__v2_load(row + j));
        qpm__v2_store(sum + j + 2, qpm__v2_load(sum + j + 2) + qpm__v2_load(row + j + 2));
    }
#endif
    for (; j < n; j++)
        sum[j] += row[j];
}

/* Nonzero when row holds a NaN or an infinity. */
static inline int qpm__cov_k_nonfinite(size_t n, const double *restrict row)
{
    size_t j = 0;
    double acc = 0.0;
#ifdef QPM__COV_VEC
    qpm__v2d v0 = qpm__v2_splat(0.0), v1 = v0;
    for (; j + 4 <= n; j += 4) {
        qpm__v2d x0 = qpm__v2_load(row + j), x1 = qpm__v2_load(row + j + 2);
        v0 += x0 - x0; /* 0 when finite, NaN otherwise */
        v1 += x1 - x1;
    }
    v0 += v1;
    acc = v0[0] + v0[1];
#endif
    for (; j < n; j++)
        acc += row[j] - row[j];
    return acc != 0.0;
}

/* out = row - mean; colsum += out; returns sum_j out_j^2. */
static inline double qpm__cov_k_centre(size_t n, const double *restrict row,
                                       const double *restrict mean, double *restrict out,
                                       double *restrict colsum)
{
    size_t j = 0;
    double a = 0.0;
#ifdef QPM__COV_VEC
    qpm__v2d a0 = qpm__v2_splat(0.0), a1 = a0;
    for (; j + 4 <= n; j += 4) {
        qpm__v2d d0 = qpm__v2_load(row + j) - qpm__v2_load(mean + j);
        qpm__v2d d1 = qpm__v2_load(row + j + 2) - qpm__v2_load(mean + j + 2);
        qpm__v2_store(out + j, d0);
        qpm__v2_store(out + j + 2, d1);
        qpm__v2_store(colsum + j, qpm__v2_load(colsum + j) + d0);
        qpm__v2_store(colsum + j + 2, qpm__v2_load(colsum + j + 2) + d1);
        a0 += d0 * d0;
        a1 += d1 * d1;
    }
    a0 += a1;
    a = a0[0] + a0[1];
#endif
    for (; j < n; j++) {
        double d = row[j] - mean[j];
        out[j] = d;
        colsum[j] += d;
        a += d * d;
    }
    return a;
}

/* out = w * row */
static inline void qpm__cov_k_scale(size_t n, double w, const double *restrict row,
                                    double *restrict out)
{
    size_t j = 0;
#ifdef QPM__COV_VEC
    qpm__v2d wv = qpm__v2_splat(w);
    for (; j + 4 <= n; j += 4) {
        qpm__v2_store(out + j, wv * qpm__v2_load(row + j));
        qpm__v2_store(out + j + 2, wv * qpm__v2_load(row + j + 2));
    }
#endif
    for (; j < n; j++)
        out[j] = w * row[j];
}

/* sum[j] += row[j]; sqmax[j] = max(sqmax[j], row[j]^2).
 * Two vectors per step like the other row kernels: with one, the loop
 * (EWMA's scan, T N elements) was short enough that its speed hung on where
 * it landed in the text; starting on a 64-byte boundary it took about 60 %
 * longer on an AMD EPYC (AVX-512), 10 % of a whole EWMA fit at N = 500.  The
 * two-vector loop measured the same at every 16-byte placement tried. */
static inline void qpm__cov_k_add_sqmax(size_t n, const double *restrict row,
                                        double *restrict sum, double *restrict sqmax)
{
    size_t j = 0;
#ifdef QPM__COV_VEC
    for (; j + 4 <= n; j += 4) {
        qpm__v2d x0 = qpm__v2_load(row + j), x1 = qpm__v2_load(row + j + 2);
        qpm__v2d m0 = qpm__v2_load(sqmax + j), m1 = qpm__v2_load(sqmax + j + 2);
        qpm__v2d s0 = qpm__v2_load(sum + j), s1 = qpm__v2_load(sum + j + 2);
        qpm__v2d q0 = x0 * x0, q1 = x1 * x1;
        qpm__v2_store(sum + j, s0 + x0);
        qpm__v2_store(sum + j + 2, s1 + x1);
        qpm__v2_store(sqmax + j, qpm__v2_select(q0 > m0, q0, m0));
        qpm__v2_store(sqmax + j + 2, qpm__v2_select(q1 > m1, q1, m1));
    }
#endif
    for (; j < n; j++) {
        double q = row[j] * row[j];
        sum[j] += row[j];
        sqmax[j] = q > sqmax[j] ? q : sqmax[j];
    }
}

/* out = min(row - b, 0); colsum += row - mean */
static inline void qpm__cov_k_downside(size_t n, double b, const double *restrict row,
                                       const double *restrict mean, double *restrict out,
                                       double *restrict colsum)
{
    size_t j = 0;
#ifdef QPM__COV_VEC
    qpm__v2d bv = qpm__v2_splat(b), z = qpm__v2_splat(0.0);
    for (; j + 2 <= n; j += 2) {
        qpm__v2d x = qpm__v2_load(row + j), d = x - bv;
        qpm__v2_store(out + j, qpm__v2_select(d < z, d, z));
        qpm__v2_store(colsum + j, qpm__v2_load(colsum + j) + (x - qpm__v2_load(mean + j)));
    }
#endif
    for (; j < n; j++) {
        double d = row[j] - b;
        out[j] = d < 0.0 ? d : 0.0;
        colsum[j] += row[j] - mean[j];
    }
}

/* y += a x */
static inline void qpm__cov_k_axpy(size_t n, double a, const double *restrict x,
                                   double *restrict y)
{
    size_t j = 0;
#ifdef QPM__COV_VEC
    qpm__v2d av = qpm__v2_splat(a);
    for (; j + 4 <= n; j += 4) {
        qpm__v2_store(y + j, qpm__v2_load(y + j) + av * qpm__v2_load(x + j));
        qpm__v2_store(y + j + 2, qpm__v2_load(y + j + 2) + av * qpm__v2_load(x + j + 2));
    }
#endif
    for (; j < n; j++)
        y[j] += a * x[j];
}

/* y = b y + a x */
static inline void qpm__cov_k_axpby(size_t n, double a, const double *restrict x, double b,
                                    double *restrict y)
{
    size_t j = 0;
#ifdef QPM__COV_VEC
    qpm__v2d av = qpm__v2_splat(a), bv = qpm__v2_splat(b);
    for (; j + 4 <= n; j += 4) {
        qpm__v2_store(y + j, bv * qpm__v2_load(y + j) + av * qpm__v2_load(x + j));
        qpm__v2_store(y + j + 2, bv * qpm__v2_load(y + j + 2) + av * qpm__v2_load(x + j + 2));
    }
#endif
    for (; j < n; j++)
        y[j] = b * y[j] + a * x[j];
}

#endif /* QPM_COV_KERN_H */
