/* libqpm example: from a year of daily closes of a few coins (one of them
 * listed late) to the fully invested minimum-variance portfolio (qpm_opt,
 * shorts allowed and long-only), with S the Ledoit-Wolf covariance of the daily
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

    /* minimum variance with the opt module: fully invested, shorts allowed,
     * then long-only (the default box) */
    qpm_opt *o;
    double w[N], pvol, lo[N], hi[N];
    CHECK(qpm_opt_create(&o, NULL, N));
    CHECK(qpm_opt_set_covariance(o, &s[0][0], N));
    for (int i = 0; i < N; i++) {
        lo[i] = -(double)INFINITY;
        hi[i] = (double)INFINITY;
    }
    CHECK(qpm_opt_set_bounds(o, lo, hi));
    CHECK(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w));
    CHECK(qpm_opt_info(o, QPM_OPT_INFO_VOLATILITY, &pvol));
    printf("\nminimum-variance weights (shorts allowed):");
    for (int i = 0; i < N; i++)
        printf(" %s %.1f%%", names[i], 100.0 * w[i]);
    printf("\nportfolio volatility %.1f%% per year\n", 100.0 * pvol);
    for (int i = 0; i < N; i++)
        lo[i] = 0.0;
    CHECK(qpm_opt_set_bounds(o, lo, hi));
    CHECK(qpm_opt_solve(o, QPM_OPT_MIN_VARIANCE, w));
    CHECK(qpm_opt_info(o, QPM_OPT_INFO_VOLATILITY, &pvol));
    printf("long-only:");
    for (int i = 0; i < N; i++)
        printf(" %s %.1f%%", names[i], 100.0 * w[i]);
    printf("\nportfolio volatility %.1f%% per year\n", 100.0 * pvol);
    qpm_opt_free(o);

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
