/* Internal interface of the Black-family pricing kernels (not installed).
 *
 * A job describes one batch: the model, the settlement, input arrays with a
 * stride of 0 (one value for every element) or 1, and the output arrays
 * (NULL = not wanted).  A kernel computes elements [begin, end) of a job;
 * every element is computed on its own, so the split into ranges never
 * changes a result. */
#ifndef QPM_PRICING_BLACK_H
#define QPM_PRICING_BLACK_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "num/normal.h"
#include "qpm/common.h"

enum qpm__bout_index {
    QPM__O_PRICE = 0,
    QPM__O_DELTA,
    QPM__O_GAMMA,
    QPM__O_VEGA,
    QPM__O_THETA,
    QPM__O_RHO,
    QPM__O_VANNA,
    QPM__O_VOLGA,
    QPM__O_CHARM,
    QPM__O_RHO_Q,
    QPM__O_PRICE_USD,
    QPM__O_DELTA_COIN,
    QPM__NOUT
};

/* Internal model codes (the public qpm_model values). */
#define QPM__BSM 0
#define QPM__B76 1
#define QPM__BACH 2

typedef struct qpm__bjob {
    int model;   /* QPM__BSM, QPM__B76, QPM__BACH */
    int inverse; /* coin settlement */
    const double *u, *k, *t, *r, *q, *sig;
    const int32_t *type;
    size_t su, sk, st, sr, sq, ssig, stype; /* 0 or 1 */
    double *out[QPM__NOUT];
} qpm__bjob;

/* Bit o set when output out[o] is wanted (not NULL): unrolled, no branch
 * per output (as a loop, a twelfth of a single-option call's time). */
static inline unsigned qpm__need_of(double *const out[QPM__NOUT])
{
    unsigned need = 0;
    QPM__UNROLL for (int o = 0; o < QPM__NOUT; o++) need |= (unsigned)(out[o] != NULL) << o;
    return need;
}

/* Price and the five first-order Greeks: the usual request, for which the
 * single-option entry has a copy of its code with no per-output tests. */
#define QPM__NEED_STD                                                                              \
    (1u << QPM__O_PRICE | 1u << QPM__O_DELTA | 1u << QPM__O_GAMMA | 1u << QPM__O_VEGA |           \
     1u << QPM__O_THETA | 1u << QPM__O_RHO)

static inline unsigned qpm__bjob_need(const qpm__bjob *job) { return qpm__need_of(job->out); }

/* A kernel writes the wanted outputs of elements [begin, end) and returns
 * the index of the first element with a wanted output beyond the range of
 * double (qpm__price_one's verdict), or SIZE_MAX when there is none.  A
 * wanted output is then finite, or one of the infinite limits pricing.h
 * documents. */
typedef size_t (*qpm__bkernel)(const qpm__bjob *job, size_t begin, size_t end);

/* Reference kernel (black.c, any CPU): the formulas in their plainest
 * order, two options at a time; the scalar row of CPUs without hardware
 * FMA and the Bachelier kernel of every row (qpm__price_one, its one-option
 * form, is every kernel's careful path). */
size_t qpm__black_kernel_scalar(const qpm__bjob *job, size_t begin, size_t end);
/* The same kernel built with FMA (black_fma.c): same results, for CPUs with
 * AVX2 and FMA. */
size_t qpm__black_kernel_scalar_fma(const qpm__bjob *job, size_t begin, size_t end);
/* The scalar row of CPUs with FMA (black_c.c): the vector formulation in
 * portable C, two options per step, the AVX2 kernel's bits; the plain build
 * (non-x86 CPUs whose base instruction set has FMA) and the x86 build with
 * -mfma (black_c_fma.c; only call it on CPUs with AVX2 and FMA). */
size_t qpm__black_kernel_c(const qpm__bjob *job, size_t begin, size_t end);
size_t qpm__black_kernel_c_fma(const qpm__bjob *job, size_t begin, size_t end);
/* AVX2+FMA kernel; only call when the CPU has both. */
size_t qpm__black_kernel_avx2(const qpm__bjob *job, size_t begin, size_t end);
/* AVX-512 kernel; only call when the CPU has AVX-512 F, DQ and VL (and
 * AVX2+FMA). */
size_t qpm__black_kernel_avx512(const qpm__bjob *job, size_t begin, size_t end);
/* The AVX2 (r4) and AVX-512 (r8) kernels one option at a time, in scalar
 * code: the same bits as those kernels (black_lane.c, black_lane512.c);
 * only call r4 when the CPU has AVX2 and FMA, r8 when it also has AVX-512
 * F, DQ and VL (built for them: 32 registers, no spills). */
size_t qpm__black_lanes_r4(const qpm__bjob *job, size_t begin, size_t end);
size_t qpm__black_lanes_r8(const qpm__bjob *job, size_t begin, size_t end);
/* A single option from its values (qpm_pricer_price with n = 1): the
 * kernel's one-lane code for one model and settlement, straight to the
 * outputs out[o] (need: the wanted ones, qpm__bjob_need's bits).  Inputs
 * already screened.  Returns 1 when every wanted output is written, 0 when
 * the option needs the kernel's full path (a special region, or an output
 * beyond the range of double): the caller then runs the kernel on it,
 * which writes every wanted output again, so the results are always the
 * kernel's bits. */
typedef int (*qpm__bone)(unsigned need, double u, double K, double T, double r, double q,
                         double sigma, int32_t type, double *const *out);
/* The single-option entry of the r4 (AVX2) or r8 (AVX-512) one-lane code
 * for a model (QPM__BSM or QPM__B76) and settlement, or NULL (Bachelier);
 * only call what they return on the CPUs of qpm__black_lanes_r4 / _r8. */
qpm__bone qpm__black_one_r4(int model, int inverse);
qpm__bone qpm__black_one_r8(int model, int inverse);
/* The same for black_c.c's scalar kernel (its one-lane code, the same bits
 * as its batches), in its two builds. */
qpm__bone qpm__black_one_c(int model, int inverse);
qpm__bone qpm__black_one_c_fma(int model, int inverse);
/* The AVX-512 kernel's formulation on one AVX2 register (black_avx2.c): its
 * bits for batches of up to four options; only call when the CPU has AVX2
 * and FMA. */
size_t qpm__black_kernel_r8_avx2(const qpm__bjob *job, size_t begin, size_t end);

/* Input screens: 1 when every element of [0, n) is valid (finite; the
 * underlying and strike > 0 except for Bachelier; T, sigma >= 0;
 * |r T|, |q T| <= QPM__MAX_RT; type +-1), else 0.  Branch-free; the caller
 * runs the detailed checks to name the first bad element. */
typedef int (*qpm__bscreen)(const qpm__bjob *job, size_t n);
int qpm__black_screen_scalar(const qpm__bjob *job, size_t n);
int qpm__black_screen_avx2(const qpm__bjob *job, size_t n);
int qpm__black_screen_avx512(const qpm__bjob *job, size_t n);
#define QPM__MAX_RT 700.0

/* The screen of one option's values (branch-free): what the screens
 * test. */
static inline int qpm__black_screen_values(int bach, double u, double k, double T, double r,
                                           double q, double sg, int32_t ty)
{
    int ok = bach ? fabs(u) <= DBL_MAX : (u > 0.0) & (u <= DBL_MAX);
    ok &= bach ? fabs(k) <= DBL_MAX : (k > 0.0) & (k <= DBL_MAX);
    ok &= (T >= 0.0) & (T <= DBL_MAX) & (sg >= 0.0) & (sg <= DBL_MAX);
    ok &= (fabs(r * T) <= QPM__MAX_RT) & (fabs(q * T) <= QPM__MAX_RT);
    ok &= (ty == 1) | (ty == -1);
    return ok;
}

/* The screen of element i alone. */
static inline int qpm__black_screen_one(const qpm__bjob *job, size_t i)
{
    return qpm__black_screen_values(job->model == QPM__BACH, job->u[i * job->su],
                                    job->k[i * job->sk], job->t[i * job->st], job->r[i * job->sr],
                                    job->q[i * job->sq], job->sig[i * job->ssig],
                                    job->type[i * job->stype]);
}

/* The pricing kernels, one row per QPM_PRICER_KERNEL value: the CPU
 * features the row needs (qpm_cpu_feature bits), its batch kernel and its
 * screen (kernels.c).  A handle takes its row at creation and when its
 * kernel setting changes, from qpm__cpu_flags(). */
typedef struct qpm__bkernels {
    qpm__kernel_tag tag; /* id: QPM_PRICER_KERNEL_SCALAR, _AVX2 or _AVX512 */
    qpm__bkernel price;
    qpm__bscreen screen;
    /* the single-option entry by model and settlement, or NULL (the
     * scalar kernel: its batch path is its single-option path) */
    qpm__bone (*one)(int model, int inverse);
} qpm__bkernels;

/* The row of kernel id (QPM_PRICER_KERNEL_AUTO: the widest row this CPU
 * runs), or NULL when the CPU lacks a feature it needs or id is unknown. */
const qpm__bkernels *qpm__black_kernels(int id);

/* One option, every output, by the scalar reference path.  Inputs already
 * validated (q = 0 for the forward models).  The vector kernels hand lanes
 * in the rare special regions (limits, near-cancelling Black terms, a
 * forward out of the normal range) and lanes whose fast outputs are not
 * finite to it, so those lanes are bit-identical to the scalar kernel.
 * When the direct formulas leave an output infinite or NaN (other than a
 * documented infinite limit), a careful path recomputes every output from
 * logarithms.  Returns the mask (bit o for output o) of outputs still not
 * finite, other than those limits: values beyond the range of double. */
unsigned qpm__price_one(int model, int inverse, double u, double k, double T, double r, double q,
                        double sigma, int32_t type, double res[QPM__NOUT]);
/* The same built with FMA (black_fma.c), for code built with -mfma. */
unsigned qpm__price_one_fma(int model, int inverse, double u, double k, double T, double r, double q,
                            double sigma, int32_t type, double res[QPM__NOUT]);

/* D(a1, s) = R(a1) - R(a1 + s) for the Mills ratio R(z) = N(-z) / n(z),
 * s > 0, computed without cancellation (Taylor series about the midpoint
 * with R and R' from their tables, or a continued-fraction difference for
 * a1 >= 8 and for large s). */
double qpm__mills_diff(double a1, double s);

/* Largest ratio small*N(-a1) / (out-of-the-money value) that the direct
 * difference formula may carry; beyond it the kernels use qpm__mills_diff. */
#define QPM__LMAX 64.0


#endif /* QPM_PRICING_BLACK_H */
