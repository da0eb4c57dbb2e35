/* Selection of an order statistic: quickselect with a three-way partition
 * (many equal losses cost nothing) and a ninther pivot, falling back to
 * heapsort of the remaining range when the partitions stop shrinking.
 * A rank in the upper half of a large sample (VaR's) first splits off the
 * tail above a threshold estimated from a fixed subsample, with a margin of
 * five standard deviations, in one branch-free pass; the selection then
 * runs on that tail alone (about 1.5 % of the losses at 99 %). */
#include <math.h>

#include "risk_internal.h"

static inline void swapd(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static inline double med3(double a, double b, double c)
{
    if (a < b) {
        if (b < c)
            return b;
        return a < c ? c : a;
    }
    if (a < c)
        return a;
    return b < c ? c : b;
}

static void sift(double *x, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && x[c + 1] > x[c])
            c++;
        if (!(x[c] > x[root]))
            return;
        swapd(&x[c], &x[root]);
        root = c;
    }
}

static void heapsort_range(double *x, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(x, i, n);
    for (size_t end = n; end-- > 1;) {
        swapd(&x[0], &x[end]);
        sift(x, 0, end);
    }
}

static void insertion(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

static void quickselect(double *x, size_t n, size_t k);

/* the tail split: 1 when x[k] is the k-th value (x[0..k) <= x[k] <=
 * x(k..n)); 0 (x permuted) when the sample is small, the rank low or the
 * threshold's margin missed */
static int tail_first(double *x, size_t n, size_t k)
{
    enum { NS = 2048, MIN_N = 16384 };
    if (n < MIN_N || k < n / 2)
        return 0;
    double smp[NS];
    size_t step = n / NS;
    for (size_t i = 0; i < NS; i++)
        smp[i] = x[i * step];
    /* the subsample's rank that the k-th value exceeds but for a chance of
     * about 3e-7: its expected position less five binomial deviations */
    double p = (double)k / (double)n;
    double pos = p * NS - 5.0 * sqrt(NS * p * (1.0 - p)) - 1.0;
    if (pos < 0.0)
        return 0;
    size_t r = (size_t)pos;
    quickselect(smp, NS, r);
    double tau = smp[r];
    if (isnan(tau))
        return 0;
    /* Lomuto's partition without branches: [0, j) < tau <= [j, i) */
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        double t = x[i];
        x[i] = x[j];
        x[j] = t;
        j += t < tau;
    }
    if (j > k || j == 0)
        return 0;
    quickselect(x + j, n - j, k - j);
    return 1;
}

void qpm__risk_select(double *x, size_t n, size_t k)
{
    if (!tail_first(x, n, k))
        quickselect(x, n, k);
}

static void quickselect(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    int budget = 8;
    for (size_t m = n; m > 1; m >>= 1)
        budget += 2;
    while (hi - lo > 24) {
        size_t m = hi - lo;
        if (budget-- == 0) {
            heapsort_range(x + lo, m);
            return;
        }
        double *a = x + lo;
        double p;
        if (m >= 128) {
            size_t s = m / 8;
            p = med3(med3(a[0], a[s], a[2 * s]), med3(a[3 * s], a[m / 2], a[5 * s]),
                     med3(a[6 * s], a[7 * s], a[m - 1]));
        } else {
            p = med3(a[0], a[m / 2], a[m - 1]);
        }
        /* Dijkstra's three-way partition: [lo, lt) < p, [lt, i) == p, (gt, hi) > p */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (x[i] < p) {
                swapd(&x[lt++], &x[i++]);
            } else if (x[i] > p) {
                swapd(&x[i], &x[--gt]);
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return;
    }
    insertion(x + lo, hi - lo);
}
