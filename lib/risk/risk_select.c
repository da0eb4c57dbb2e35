/* Selection of an order statistic: quickselect with a three-way partition
 * (many equal losses cost nothing) and a ninther pivot, falling back to
 * heapsort of the remaining range when the partitions stop shrinking. */
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

void qpm__risk_select(double *x, size_t n, size_t k)
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
