#define QPM_EXPERIMENTAL /* the risk helpers use the grid revaluation */
#include "testutil.h"

#include "qpm/book.h"
#include "qpm/pricing.h"
#include "qpm/risk.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define QT_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QT_HAVE_LSAN 1
#endif
#endif
#ifdef QT_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* The user's QPM_REFDATA wins, then QPM_REFDATA_DEFAULT (set by meson for
 * the tests), then the copies in the source tree (tests/data/README.md). */
const char *qt_refdata_dir(void)
{
    const char *dir = getenv("QPM_REFDATA");
    if (dir == NULL || dir[0] == '\0')
        dir = getenv("QPM_REFDATA_DEFAULT");
    if (dir == NULL || dir[0] == '\0')
        dir = QT_SOURCE_ROOT "/tests/data/refdata";
    return dir;
}

const char *qt_refdata_path(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", qt_refdata_dir(), name);
    return buf;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    cr_assert_not_null(d);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char **split(const char *line, size_t *count)
{
    size_t cap = 8, n = 0;
    char **out = malloc(cap * sizeof *out);
    cr_assert_not_null(out);
    const char *p = line;
    for (;;) {
        const char *e = p;
        while (*e && *e != ',' && *e != '\n' && *e != '\r')
            e++;
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap * sizeof *out);
            cr_assert_not_null(out);
        }
        out[n++] = dupn(p, (size_t)(e - p));
        if (*e != ',')
            break;
        p = e + 1;
    }
    *count = n;
    return out;
}

qt_csv *qt_csv_load(const char *name)
{
    const char *path = qt_refdata_path(name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open reference file %s (set QPM_REFDATA to the reference "
                          "data folder, see tests/data/README.md)", path);
    qt_csv *csv = calloc(1, sizeof *csv);
    cr_assert_not_null(csv);
    char *line = NULL;
    size_t cap = 0, rcap = 0;
    ssize_t len;
    int first = 1;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[0] == '\n' || line[0] == '\r')
            continue;
        size_t nf;
        char **fields = split(line, &nf);
        if (first) {
            csv->header = fields;
            csv->ncols = nf;
            first = 0;
            continue;
        }
        cr_assert_eq(nf, csv->ncols, "%s row %zu: %zu fields, header has %zu", name,
                     csv->nrows, nf, csv->ncols);
        if (csv->nrows == rcap) {
            rcap = rcap ? 2 * rcap : 256;
            csv->cells = realloc(csv->cells, rcap * sizeof *csv->cells);
            cr_assert_not_null(csv->cells);
        }
        csv->cells[csv->nrows++] = fields;
    }
    free(line);
    fclose(f);
    cr_assert(csv->nrows > 0, "%s has no rows", name);
    return csv;
}

void qt_csv_free(qt_csv *csv)
{
    if (csv == NULL)
        return;
    for (size_t r = 0; r < csv->nrows; r++) {
        for (size_t c = 0; c < csv->ncols; c++)
            free(csv->cells[r][c]);
        free(csv->cells[r]);
    }
    for (size_t c = 0; c < csv->ncols; c++)
        free(csv->header[c]);
    free(csv->header);
    free(csv->cells);
    free(csv);
}

size_t qt_csv_col(const qt_csv *csv, const char *name)
{
    for (size_t c = 0; c < csv->ncols; c++)
        if (strcmp(csv->header[c], name) == 0)
            return c;
    cr_assert_fail("column %s not found", name);
    return 0;
}

const char *qt_csv_str(const qt_csv *csv, size_t row, size_t col)
{
    cr_assert(row < csv->nrows && col < csv->ncols);
    return csv->cells[row][col];
}

double qt_csv_num(const qt_csv *csv, size_t row, size_t col)
{
    const char *s = qt_csv_str(csv, row, col);
    if (s[0] == '\0' || strcmp(s, "nan") == 0)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    cr_assert(*end == '\0', "bad number '%s' at row %zu col %zu", s, row, col);
    return v;
}

static void *fa_alloc(void *ctx, size_t n)
{
    qt_failalloc *fa = ctx;
    long k = fa->calls++;
    if (fa->fail_at >= 0 && k >= fa->fail_at)
        return NULL;
    if (k == fa->fail_only)
        return NULL;
    size_t *p = malloc(n + 16);
    if (p == NULL)
        return NULL;
    p[0] = n;
    fa->live++;
    fa->live_bytes += (long long)n;
    return (char *)p + 16;
}

static void fa_free(void *ctx, void *ptr)
{
    qt_failalloc *fa = ctx;
    size_t *p = (size_t *)((char *)ptr - 16);
    fa->live--;
    fa->live_bytes -= (long long)p[0];
    free(p);
}

void qt_failalloc_init(qt_failalloc *fa, long fail_at)
{
    memset(fa, 0, sizeof *fa);
    fa->alloc.size = sizeof fa->alloc;
    fa->alloc.alloc_fn = fa_alloc;
    fa->alloc.free_fn = fa_free;
    fa->alloc.ctx = fa;
    fa->fail_at = fail_at;
    fa->fail_only = -1;
}

void qt_failalloc_only(qt_failalloc *fa, long k)
{
    fa->fail_at = -1;
    fa->fail_only = k >= 0 ? fa->calls + k : -1;
}

int qt_leak_check(void)
{
#ifdef QT_HAVE_LSAN
    return __lsan_do_recoverable_leak_check();
#else
    return 0;
#endif
}

static int cmp_set(const void *a, const void *b) { return strcmp(a, b); }

size_t qt_refdata_sets(const char *prefix, char (*sets)[QT_SET_LEN], size_t max)
{
    const char *dir = qt_refdata_dir();
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open reference folder %s (set QPM_REFDATA to the reference "
                          "data folder, see tests/data/README.md)", dir);
    size_t np = strlen(prefix), count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < max) {
        const char *f = e->d_name;
        size_t len = strlen(f);
        if (len < np + 5 || strncmp(f, prefix, np) != 0 || strcmp(f + len - 4, ".csv") != 0)
            continue;
        size_t sl = len - np - 4;
        cr_assert_lt(sl, (size_t)QT_SET_LEN, "reference file name too long: %s", f);
        memcpy(sets[count], f + np, sl);
        sets[count][sl] = '\0';
        count++;
    }
    closedir(d);
    qsort(sets, count, QT_SET_LEN, cmp_set);
    return count;
}

int qt_pricer_kernels(int *list)
{
    int n = 0;
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    for (int k = QPM_PRICER_KERNEL_SCALAR; k <= QPM_PRICER_KERNEL_AVX512; k++)
        if (qpm_pricer_set(p, QPM_PRICER_KERNEL, k) == QPM_OK)
            list[n++] = k;
    qpm_pricer_free(p);
    return n;
}

/* ---- risk ------------------------------------------------------------------ */

qpm_book *qt_risk_account(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000, 0.04, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "SOL", 150, 0.03, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 0, 60020), QPM_OK);
    cr_assert_eq(qpm_book_set_perp(b, 2, 150.1), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60050, 7.0 / 365), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 1, 60400, 0.1), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 1, 0, 3010, 30.0 / 365), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 2, 0, 150.2, 2.0 / 365), QPM_OK);
    cr_assert_eq(qpm_book_set_funding(b, 0, 1e-4, 2e-4), QPM_OK);
    cr_assert_eq(qpm_book_set_funding(b, 2, -1e-4, 3e-4), QPM_OK);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_FUNDING_HOURS, 24), QPM_OK);
    enum { NP = 9 };
    int32_t in[NP] = {QPM_INSTR_LINEAR_PERP,   QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION,
                      QPM_INSTR_LINEAR_OPTION, QPM_INSTR_SPOT,          QPM_INSTR_INVERSE_OPTION,
                      QPM_INSTR_INVERSE_PERP,  QPM_INSTR_LINEAR_OPTION, QPM_INSTR_LINEAR_OPTION};
    size_t un[NP] = {0, 0, 0, 0, 1, 1, 2, 2, 2};
    int32_t ex[NP] = {0, 0, 1, 1, 0, 0, 0, 0, 0};
    int32_t ty[NP] = {0, QPM_CALL, QPM_PUT, QPM_CALL, 0, QPM_PUT, 0, QPM_CALL, QPM_PUT};
    double K[NP] = {NAN, 61000, 55000, 70000, NAN, 2900, NAN, 152, 140};
    double Q[NP] = {1, -20, 5, 8, 30, -40, -300, 500, -800}, m[NP] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    double e[NP] = {59000, NAN, NAN, NAN, NAN, NAN, 149, NAN, NAN};
    double sg[NP] = {NAN, 0.6, 0.7, 0.55, NAN, 0.8, NAN, 1.1, 1.3};
    cr_assert_eq(qpm_book_add_positions(b, NP, in, un, ex, ty, K, Q, m, e, sg), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(qpm_book_set_collateral(b, QPM_BOOK_NO_VENUE, 1, 10, 0.1), QPM_OK);
    return b;
}

double qt_grid_vs_exact(qpm_risk *r, qpm_book *b, size_t ns, double *pe, double *pg, double *bound,
                        double *var_grid)
{
    double ve, ee, vg, eg, bd = -1;
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_EXACT), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, b, pe, &ve, &ee, NULL, NULL), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_risk_grid_error(r, &bd), QPM_E_STATE);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_REVALUATION, QPM_RISK_REVALUE_GRID), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, b, pg, &vg, &eg, NULL, NULL), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_risk_grid_error(r, &bd), QPM_OK);
    double worst = 0, scale = 0;
    for (size_t s = 0; s < ns; s++) {
        worst = fmax(worst, fabs(pg[s] - pe[s]));
        scale = fmax(scale, fabs(pe[s]));
    }
    cr_assert(worst <= bd, "largest error %.3g above the reported bound %.3g", worst, bd);
    cr_assert(bd <= 1e-5 * scale, "bound %.3g against P&L of %.3g", bd, scale);
    cr_assert(fabs(vg - ve) <= 1e-6 * fabs(ve), "VaR %.17g vs %.17g", vg, ve);
    cr_assert(fabs(eg - ee) <= 1e-6 * fabs(ee), "ES %.17g vs %.17g", eg, ee);
    cr_assert(worst > 0.0, "the grid is not the exact revaluation");
    if (bound != NULL)
        *bound = bd;
    if (var_grid != NULL)
        *var_grid = vg;
    return worst;
}
