/* Shared helpers for the Criterion suites: reference-data CSV reading,
 * tolerance checks, a counting allocator that can fail at the k-th call, and
 * a LeakSanitizer check. */
#ifndef QPM_TESTUTIL_H
#define QPM_TESTUTIL_H

#include <stddef.h>

#include "qpm/common.h"

/* ---- CSV ------------------------------------------------------------------
 * A parsed CSV file: header names and rows of fields (strings), fields parsed
 * on demand with strtod, which rounds correctly. */
typedef struct qt_csv {
    size_t ncols, nrows;
    char **header;   /* ncols */
    char ***cells;   /* nrows x ncols */
} qt_csv;

/* Reads <name> from the reference folder (qt_refdata_dir); aborts the test
 * with a message naming the path when missing. */
qt_csv *qt_csv_load(const char *name);
void qt_csv_free(qt_csv *csv);
/* Column index of `name`; fails the test when absent. */
size_t qt_csv_col(const qt_csv *csv, const char *name);
const char *qt_csv_str(const qt_csv *csv, size_t row, size_t col);
/* strtod of the field; NaN for "nan" or an empty field. */
double qt_csv_num(const qt_csv *csv, size_t row, size_t col);
/* The reference folder: $QPM_REFDATA when set and not empty, else
 * $QPM_REFDATA_DEFAULT (set by meson), else tests/data/refdata of the
 * source tree (tests/data/README.md). */
const char *qt_refdata_dir(void);
/* Full path of a refdata file in a static buffer. */
const char *qt_refdata_path(const char *name);
/* The reference sets of a file family: for every refdata file named
 * <prefix><set>.csv, its <set> (shorter than QT_SET_LEN), sorted, at most
 * `max` of them.  Returns how many; fails the test when the folder cannot
 * be read or a name is too long. */
#define QT_SET_LEN 200
size_t qt_refdata_sets(const char *prefix, char (*sets)[QT_SET_LEN], size_t max);

/* ---- pricing kernels -------------------------------------------------------
 * The QPM_PRICER_KERNEL values this CPU runs, scalar first, into list
 * (room for 3); returns their count. */
int qt_pricer_kernels(int *list);

/* ---- failing allocator ----------------------------------------------------
 * Counts allocations; every allocation whose 0-based index is >= `fail_at`
 * returns NULL (fail_at = -1: never), and so does the one whose index is
 * `fail_only` (-1: none; the allocations after it succeed again).  `live`
 * counts blocks not yet freed. */
typedef struct qt_failalloc {
    qpm_alloc alloc;
    long calls;
    long fail_at;   /* -1: never fail */
    long live;
    long long live_bytes;
    long fail_only; /* -1: none */
} qt_failalloc;

void qt_failalloc_init(qt_failalloc *fa, long fail_at);
/* Makes only the k-th allocation from now on fail (k >= 0), or none (k < 0);
 * clears fail_at. */
void qt_failalloc_only(qt_failalloc *fa, long k);

/* ---- risk ------------------------------------------------------------------ */
struct qpm_book;
struct qpm_risk;
/* The risk suites' account on three underlyings (BTC, ETH, SOL):
 * perpetuals, forwards at two expiries, funding over 24 hours, a spot
 * holding, linear and inverse options, coin collateral. */
struct qpm_book *qt_risk_account(void);
/* Runs r on b (its ns scenarios) with exact revaluation into pe, then with
 * grid revaluation into pg, and fails the test unless every P&L is within
 * the reported bound, the bound within 1e-5 of the largest P&L (but the
 * grid not exact), and VaR and ES within 1e-6 relative.  Returns the
 * largest error; the bound and the grid's VaR into *bound and *var_grid
 * (either may be NULL).  Leaves r in grid mode. */
double qt_grid_vs_exact(struct qpm_risk *r, struct qpm_book *b, size_t ns, double *pe, double *pg,
                        double *bound, double *var_grid);

/* ---- leaks ---------------------------------------------------------------- */
/* Returns the number of leaks LeakSanitizer finds now (0 without ASan). */
int qt_leak_check(void);

#endif
