/* Helpers shared by the opt test suites: the reference problem, random
 * covariance matrices, and an independent KKT check of a solution. */
#ifndef QPM_TEST_OPT_UTIL_H
#define QPM_TEST_OPT_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/opt.h"
#include "support/testutil.h"

#define OU_N 20

typedef struct ou_ref {
    double cov[OU_N * OU_N], mu[OU_N];
    double w[6][OU_N]; /* minvar, mv, mv_box, mv_longshort, erc, tangency */
    qt_csv *summary;
} ou_ref;

static inline void ou_load(ou_ref *r)
{
    qt_csv *c = qt_csv_load("optim_cov_public_n20.csv");
    cr_assert_eq(c->nrows, OU_N);
    cr_assert_eq(c->ncols, OU_N);
    for (size_t i = 0; i < OU_N; i++)
        for (size_t j = 0; j < OU_N; j++)
            r->cov[i * OU_N + j] = qt_csv_num(c, i, j);
    qt_csv_free(c);
    static const char *cols[6] = {"w_minvar", "w_mv",  "w_mv_box",
                                  "w_mv_longshort", "w_erc", "w_tangency"};
    c = qt_csv_load("optim_weights_public_n20.csv");
    cr_assert_eq(c->nrows, OU_N);
    size_t cmu = qt_csv_col(c, "mu");
    for (size_t i = 0; i < OU_N; i++) {
        r->mu[i] = qt_csv_num(c, i, cmu);
        for (size_t k = 0; k < 6; k++)
            r->w[k][i] = qt_csv_num(c, i, qt_csv_col(c, cols[k]));
    }
    qt_csv_free(c);
    r->summary = qt_csv_load("optim_summary_public_n20.csv");
}

/* xorshift-based uniform in [0, 1) */
static inline double ou_unif(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

static inline double ou_gauss(uint64_t *s)
{
    double u = ou_unif(s) + 0x1.0p-54, v = ou_unif(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* S = D (B B' + diag) D / ..., a random positive definite covariance with
 * vols 20%..120% and a few factors; mu random in [-0.1, 0.6]. */
static inline void ou_random(size_t n, uint64_t seed, double *S, double *mu)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    size_t f = 3;
    double *B = malloc(n * f * sizeof *B), *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n * f; i++)
        B[i] = ou_gauss(&s) * 0.5;
    for (size_t i = 0; i < n; i++) {
        d[i] = 0.1 + 0.5 * ou_unif(&s);
        mu[i] = -0.1 + 0.7 * ou_unif(&s);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double acc = i == j ? d[i] : 0.0;
            for (size_t k = 0; k < f; k++)
                acc += B[i * f + k] * B[j * f + k];
            S[i * n + j] = S[j * n + i] = acc * 0.3;
        }
    free(B);
    free(d);
}

#endif
