/* Helpers shared by the cov test suites: loading a returns matrix from the
 * reference data, matrix comparisons, and straightforward long-double
 * reference estimators written independently of the library's blocked,
 * BLAS-based code. */
#ifndef QPM_TEST_COV_UTIL_H
#define QPM_TEST_COV_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/cov.h"
#include "support/testutil.h"

/* Loads a CSV whose every column is numeric into a fresh row-major array. */
static inline double *cu_load_matrix(const char *name, size_t *rows, size_t *cols)
{
    qt_csv *csv = qt_csv_load(name);
    double *m = malloc(csv->nrows * csv->ncols * sizeof(double));
    cr_assert_not_null(m);
    for (size_t r = 0; r < csv->nrows; r++)
        for (size_t c = 0; c < csv->ncols; c++)
            m[r * csv->ncols + c] = qt_csv_num(csv, r, c);
    *rows = csv->nrows;
    *cols = csv->ncols;
    qt_csv_free(csv);
    return m;
}

static inline double cu_max_abs(const double *a, size_t n, size_t ld)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            m = fmax(m, fabs(a[i * ld + j]));
    return m;
}

/* Largest |a - b| relative to max|b|, and the Frobenius relative error. */
static inline double cu_rel_err(const double *a, const double *b, size_t n, double *frob)
{
    double mx = cu_max_abs(b, n, n), e = 0.0, d2 = 0.0, b2 = 0.0;
    for (size_t k = 0; k < n * n; k++) {
        double d = fabs(a[k] - b[k]);
        e = fmax(e, d);
        d2 += d * d;
        b2 += b[k] * b[k];
    }
    if (frob)
        *frob = sqrt(d2 / b2);
    return e / mx;
}

static inline void cu_assert_symmetric(const double *a, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            cr_assert(a[i * n + j] == a[j * n + i], "%s not symmetric at (%zu,%zu)", what, i, j);
}

/* Asserts lambda_min >= -tol_rel * max|a| (PSD up to rounding). */
static inline double cu_assert_psd(const double *a, size_t n, double tol_rel, const char *what)
{
    double l;
    cr_assert_eq(qpm_cov_min_eigenvalue(NULL, n, a, n, &l), QPM_OK, "%s: %s", what,
                 qpm_last_error());
    cr_assert(l >= -tol_rel * cu_max_abs(a, n, n), "%s: smallest eigenvalue %g", what, l);
    return l;
}

/* ---- long-double references (rows r = 0..t-1, assets j = 0..n-1) ---------- */

static inline void cu_ref_mean(const double *x, size_t t, size_t n, long double *m)
{
    for (size_t j = 0; j < n; j++) {
        long double s = 0;
        for (size_t r = 0; r < t; r++)
            s += (long double)x[r * n + j];
        m[j] = s / (long double)t;
    }
}

/* sum_r (x_ri - m_i)(x_rj - m_j) / div */
static inline void cu_ref_cov(const double *x, size_t t, size_t n, long double div, double *out)
{
    long double *m = malloc(n * sizeof *m);
    cu_ref_mean(x, t, n, m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0;
            for (size_t r = 0; r < t; r++)
                s += ((long double)x[r * n + i] - m[i]) * ((long double)x[r * n + j] - m[j]);
            out[i * n + j] = (double)(s / div);
        }
    free(m);
}

/* scikit-learn LedoitWolf and OAS (1.2.1), textbook formulas in long double. */
static inline double cu_ref_shrunk(const double *x, size_t t, size_t n, int oas, double *out)
{
    long double *m = malloc(n * sizeof *m), *emp = malloc(n * n * sizeof *emp);
    cu_ref_mean(x, t, n, m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0;
            for (size_t r = 0; r < t; r++)
                s += ((long double)x[r * n + i] - m[i]) * ((long double)x[r * n + j] - m[j]);
            emp[i * n + j] = s / (long double)t;
        }
    long double mu = 0, fro = 0, d = 0, s4 = 0;
    for (size_t i = 0; i < n; i++)
        mu += emp[i * n + i];
    mu /= (long double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double e = emp[i * n + j];
            fro += e * e;
            long double g = e - (i == j ? mu : 0);
            d += g * g;
        }
    for (size_t r = 0; r < t; r++) {
        long double a = 0;
        for (size_t j = 0; j < n; j++) {
            long double v = (long double)x[r * n + j] - m[j];
            a += v * v;
        }
        s4 += a * a;
    }
    long double s;
    if (oas) {
        long double alpha = fro / ((long double)n * n);
        long double num = alpha + mu * mu;
        long double den = ((long double)t + 1) * (alpha - mu * mu / (long double)n);
        s = den == 0 ? 1 : (num / den < 1 ? num / den : 1);
    } else {
        long double bt = (s4 / (long double)t - fro) / ((long double)n * t);
        long double dd = d / (long double)n;
        long double b = bt < dd ? bt : dd;
        s = b == 0 ? 0 : b / dd;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            out[i * n + j] = (double)((1 - s) * emp[i * n + j] + (i == j ? s * mu : 0));
    free(m);
    free(emp);
    return (double)s;
}

/* RiskMetrics recursion as written in the reference-data README. */
static inline void cu_ref_ewma(const double *x, size_t t, size_t n, double lambda, size_t k0,
                               double *out)
{
    long double *s = malloc(n * n * sizeof *s), *m = malloc(n * sizeof *m);
    cu_ref_mean(x, k0, n, m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double a = 0;
            for (size_t r = 0; r < k0; r++)
                a += ((long double)x[r * n + i] - m[i]) * ((long double)x[r * n + j] - m[j]);
            s[i * n + j] = a / (long double)(k0 - 1);
        }
    long double l = (long double)lambda, w = 1 - l;
    for (size_t r = k0; r < t; r++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                s[i * n + j] = l * s[i * n + j] + w * (long double)x[r * n + i] * (long double)x[r * n + j];
    for (size_t k = 0; k < n * n; k++)
        out[k] = (double)s[k];
    free(s);
    free(m);
}

/* ---- deterministic test data ----------------------------------------------- */

static inline uint64_t cu_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double cu_unif(uint64_t *s) { return (double)(cu_next(s) >> 11) * 0x1.0p-53; }

static inline double cu_norm(uint64_t *s)
{
    double u = 1.0 - cu_unif(s), v = cu_unif(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* t x n daily-like returns (row-major, ld n): one market factor plus
 * idiosyncratic noise, vols 2 % to 7 %, and 5 % of days with triple
 * volatility for heavy tails. */
static inline void cu_gen_returns(size_t t, size_t n, uint64_t seed, double *x)
{
    uint64_t s = seed;
    for (size_t r = 0; r < t; r++) {
        double f = cu_norm(&s), tail = cu_unif(&s) < 0.05 ? 3.0 : 1.0;
        for (size_t j = 0; j < n; j++) {
            double vol = 0.02 + 0.05 * (double)j / (double)n;
            double beta = 0.3 + 0.6 * (double)((j * 7) % n) / (double)n;
            x[r * n + j] = 1e-3 * ((double)(j % 3) - 1.0) +
                           vol * tail * (beta * f + sqrt(1.0 - beta * beta) * cu_norm(&s));
        }
    }
}

/* Ledoit-Wolf (2004) constant-correlation shrinkage, transcribed from the
 * authors' covCor.m: biased covariance, pi, rho and gamma estimates. */
static inline double cu_ref_cc(const double *x, size_t t, size_t n, double *out)
{
    long double *m = malloc(n * sizeof *m), *sd = malloc(n * sizeof *sd);
    long double *s = malloc(n * n * sizeof *s);
    cu_ref_mean(x, t, n, m);
#define XC(r, j) ((long double)x[(r) * n + (j)] - m[j])
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double a = 0;
            for (size_t r = 0; r < t; r++)
                a += XC(r, i) * XC(r, j);
            s[i * n + j] = a / (long double)t;
        }
    for (size_t i = 0; i < n; i++)
        sd[i] = sqrtl(s[i * n + i]);
    long double rbar = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j)
                rbar += s[i * n + j] / (sd[i] * sd[j]);
    rbar /= (long double)n * (long double)(n - 1);
    long double phi = 0, rho = 0, gamma = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double p = 0, th = 0;
            for (size_t r = 0; r < t; r++) {
                long double a = XC(r, i), b = XC(r, j);
                p += a * a * b * b;
                th += a * a * a * b;
            }
            long double phij = p / (long double)t - s[i * n + j] * s[i * n + j];
            phi += phij;
            if (i == j) {
                rho += phij;
            } else {
                long double theta = th / (long double)t - s[i * n + i] * s[i * n + j];
                rho += rbar * sd[j] / sd[i] * theta;
                long double g = s[i * n + j] - rbar * sd[i] * sd[j];
                gamma += g * g;
            }
        }
#undef XC
    long double k = (phi - rho) / gamma / (long double)t;
    long double sh = k < 0 ? 0 : (k > 1 ? 1 : k);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            out[i * n + j] = (double)(i == j ? s[i * n + i]
                                             : sh * rbar * sd[i] * sd[j] + (1 - sh) * s[i * n + j]);
    free(m);
    free(sd);
    free(s);
    return (double)sh;
}

/* Downside semicovariance about b, divided by the row count. */
static inline void cu_ref_semi(const double *x, size_t t, size_t n, double b, double *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double a = 0;
            for (size_t r = 0; r < t; r++) {
                double u = x[r * n + i] - b, v = x[r * n + j] - b;
                a += (long double)(u < 0 ? u : 0) * (long double)(v < 0 ? v : 0);
            }
            out[i * n + j] = (double)(a / (long double)t);
        }
}

/* Pairwise-complete covariance: each pair over the rows where both are
 * present, with that pair's own means and divisor (count - ddof). */
static inline void cu_ref_pairwise(const double *x, size_t t, size_t n, size_t ddof, double *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double mi = 0, mj = 0, a = 0;
            size_t k = 0;
            for (size_t r = 0; r < t; r++)
                if (!isnan(x[r * n + i]) && !isnan(x[r * n + j])) {
                    mi += (long double)x[r * n + i];
                    mj += (long double)x[r * n + j];
                    k++;
                }
            mi /= (long double)k;
            mj /= (long double)k;
            for (size_t r = 0; r < t; r++)
                if (!isnan(x[r * n + i]) && !isnan(x[r * n + j]))
                    a += ((long double)x[r * n + i] - mi) * ((long double)x[r * n + j] - mj);
            out[i * n + j] = (double)(a / (long double)(k - ddof));
        }
}

#endif
