/* libqpm example: from a year of daily closes of a few coins (one of them
 * listed late) to the fully invested minimum-variance portfolio
 * w = S^-1 1 / (1' S^-1 1), with S the Ledoit-Wolf covariance of the daily
 * log returns, annualised over 365 days.  The pairwise-complete estimate,
 * which keeps the late coin's short history, is shown beside it.
 *
 * Usage: min_variance */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "qpm/qpm.h"

#define CHECK(call)                                                                          \
    do {                                                                                     \
        qpm_status st_ = (call);                                                             \
        if (st_ != QPM_OK) {                                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, qpm_status_name(st_),     \
                    qpm_last_error());                                                       \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

enum { N = 5, T = 366, LISTED = 200 }; /* coin 4 trades from day 200 */
static const char *const names[N] = {"BTC", "ETH", "SOL", "BNB", "NEW"};

static double gauss(unsigned long long *s)
{
    double u[2];
    for (int k = 0; k < 2; k++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        u[k] = ((double)(*s >> 11) + 0.5) * 0x1.0p-53;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Solves S x = b for symmetric positive definite S (Cholesky, in place). */
static void spd_solve(double s[N][N], double *b)
{
    for (int j = 0; j < N; j++) {
        for (int k = 0; k < j; k++)
            s[j][j] -= s[j][k] * s[j][k];
        s[j][j] = sqrt(s[j][j]);
        for (int i = j + 1; i < N; i++) {
            for (int k = 0; k < j; k++)
                s[i][j] -= s[i][k] * s[j][k];
            s[i][j] /= s[j][j];
        }
    }
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < i; k++)
            b[i] -= s[i][k] * b[k];
        b[i] /= s[i][i];
    }
    for (int i = N - 1; i >= 0; i--) {
        for (int k = i + 1; k < N; k++)
            b[i] -= s[k][i] * b[k];
        b[i] /= s[i][i];
    }
}

int main(void)
{
    static double px[T][N];
    const double vol[N] = {0.030, 0.040, 0.060, 0.035, 0.090}, beta[N] = {1.0, 1.1, 1.3, 0.8, 1.5};
    unsigned long long seed = 42;
    for (int j = 0; j < N; j++)
        px[0][j] = j == 4 ? (double)NAN : 100.0 * (j + 1);
    for (int t = 1; t < T; t++) {
        double market = 0.025 * gauss(&seed);
        for (int j = 0; j < N; j++) {
            double r = 0.6 * beta[j] * market + vol[j] * 0.8 * gauss(&seed);
            if (j == 4 && t < LISTED)
                px[t][j] = (double)NAN; /* not listed yet */
            else
                px[t][j] = (j == 4 && t == LISTED ? 1.0 : px[t - 1][j]) * exp(r);
        }
    }

    qpm_cov *c;
    CHECK(qpm_cov_create(&c, NULL, N));
    CHECK(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF));
    CHECK(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS));
    CHECK(qpm_cov_set(c, QPM_COV_ANNUALISE, 1)); /* 365 periods per year */
    CHECK(qpm_cov_fit_prices(c, T, &px[0][0], N));
    double s[N][N], corr[N][N], v[N], shrink;
    size_t rows;
    CHECK(qpm_cov_covariance(c, &s[0][0], N));
    CHECK(qpm_cov_correlation(c, &corr[0][0], N));
    CHECK(qpm_cov_volatility(c, v));
    CHECK(qpm_cov_shrinkage(c, &shrink));
    CHECK(qpm_cov_nobs(c, &rows));
    printf("Ledoit-Wolf on %zu complete days, shrinkage %.3f\n\n", rows, shrink);
    printf("coin   vol/yr   correlation\n");
    for (int i = 0; i < N; i++) {
        printf("%-5s %6.1f%%  ", names[i], 100.0 * v[i]);
        for (int j = 0; j < N; j++)
            printf(" %5.2f", corr[i][j]);
        printf("\n");
    }

    double w[N] = {1, 1, 1, 1, 1}, sum = 0.0, var = 0.0;
    double sc[N][N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sc[i][j] = s[i][j];
    spd_solve(sc, w);
    for (int i = 0; i < N; i++)
        sum += w[i];
    for (int i = 0; i < N; i++)
        w[i] /= sum;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            var += w[i] * s[i][j] * w[j];
    printf("\nminimum-variance weights (shorts allowed):");
    for (int i = 0; i < N; i++)
        printf(" %s %.1f%%", names[i], 100.0 * w[i]);
    printf("\nportfolio volatility %.1f%% per year\n", 100.0 * sqrt(var));

    /* Pairwise-complete: every pair uses all the days both coins traded. */
    CHECK(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE));
    CHECK(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_PAIRWISE));
    CHECK(qpm_cov_fit_prices(c, T, &px[0][0], N));
    CHECK(qpm_cov_volatility(c, v));
    CHECK(qpm_cov_covariance(c, &s[0][0], N));
    double lmin;
    CHECK(qpm_cov_min_eigenvalue(NULL, N, &s[0][0], N, &lmin));
    printf("\npairwise-complete vols/yr:");
    for (int i = 0; i < N; i++)
        printf(" %s %.1f%%", names[i], 100.0 * v[i]);
    printf("\nsmallest eigenvalue %.3g (the repair keeps it >= 0)\n", lmin);
    qpm_cov_free(c);
    return 0;
}
