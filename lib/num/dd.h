/* Double-double arithmetic (internal): error-free transformations and a few
 * operations on unevaluated sums hi + lo, |lo| <= ulp(hi)/2.  Static inline
 * so that a translation unit built with FMA gets fma() as one instruction;
 * the results are the same either way, since fma is exact. */
#ifndef QPM_NUM_DD_H
#define QPM_NUM_DD_H

#include <math.h>

/* a + b = *s + *e exactly (Knuth). */
static inline void qpm__two_sum(double a, double b, double *s, double *e)
{
    double sum = a + b;
    double bb = sum - a;
    *e = (a - (sum - bb)) + (b - bb);
    *s = sum;
}

/* The error of s = fl(a + b): a + b - s, as qpm__two_sum gives it. */
static inline double qpm__two_sum_err(double a, double b, double s)
{
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

/* a * b = *p + *e exactly (needs a correctly rounded fma). */
static inline void qpm__two_prod(double a, double b, double *p, double *e)
{
    double prod = a * b;
    *e = fma(a, b, -prod);
    *p = prod;
}

typedef struct qpm__dd {
    double hi, lo;
} qpm__dd;

static inline qpm__dd qpm__dd_norm(double a, double b)
{
    qpm__dd r;
    qpm__two_sum(a, b, &r.hi, &r.lo);
    return r;
}

static inline qpm__dd qpm__dd_mul(qpm__dd a, qpm__dd b)
{
    double p, e;
    qpm__two_prod(a.hi, b.hi, &p, &e);
    e += a.hi * b.lo + a.lo * b.hi;
    return qpm__dd_norm(p, e);
}

static inline qpm__dd qpm__dd_add(qpm__dd a, qpm__dd b)
{
    double s, e;
    qpm__two_sum(a.hi, b.hi, &s, &e);
    e += a.lo + b.lo;
    return qpm__dd_norm(s, e);
}

#endif /* QPM_NUM_DD_H */
