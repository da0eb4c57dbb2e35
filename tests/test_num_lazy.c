/* BLAS is loaded on first need.  A plain program (no test framework, whose
 * own threads would blur the count):
 *   test_num_lazy BLAS LAPACKE          prices, draws random numbers and values a
 *       book, then checks that no BLAS/LAPACK library is mapped and that no
 *       thread was started; then creates a cov handle and checks that the
 *       BLAS is mapped (and, when OpenBLAS runs more than one thread, that
 *       its pool started only now) and that a fit is right.
 *   test_num_lazy BLAS LAPACKE missing  run with QPM_BLAS_LIBRARY or
 *       QPM_LAPACKE_LIBRARY naming an unusable library: pricing works, and
 *       every cov/opt/risk entry that needs BLAS fails with
 *       QPM_E_UNSUPPORTED, the message naming the library, every time.
 * BLAS and LAPACKE are the configured library names.  Exit status 0 = pass;
 * built both against the shared library (meson) and the static archive
 * (check_embed.sh). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_DEFAULT */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qpm/qpm.h>

static int failures;

#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "FAIL line %d: ", __LINE__);                                      \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fputc('\n', stderr);                                                              \
            failures++;                                                                       \
        }                                                                                     \
    } while (0)

static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A loaded object counts as linear algebra when its file name is one of the
 * configured libraries or contains "blas" or "lapack". */
static const char *names[2];
static int is_linalg(const char *path)
{
    const char *b = base(path);
    for (int i = 0; i < 2; i++)
        if (strcmp(b, names[i]) == 0)
            return 1;
    return strstr(b, "blas") != NULL || strstr(b, "lapack") != NULL;
}

/* counts[0]: linear-algebra objects, counts[1]: the configured BLAS */
static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    int *counts = data;
    if (info->dlpi_name != NULL && is_linalg(info->dlpi_name)) {
        counts[0]++;
        fprintf(stderr, "loaded: %s\n", info->dlpi_name);
    }
    if (info->dlpi_name != NULL && strcmp(base(info->dlpi_name), names[0]) == 0)
        counts[1]++;
    return 0;
}

/* Number of linear-algebra objects loaded (dl_iterate_phdr, which names them
 * as opened) and of mappings of linear-algebra files (/proc/self/maps, which
 * names the files behind the links); *blas = the configured BLAS is among
 * the loaded objects. */
static void scan(int *loaded, int *mapped, int *blas)
{
    int counts[2] = {0, 0};
    dl_iterate_phdr(phdr_cb, counts);
    *loaded = counts[0];
    *blas = counts[1] > 0;
    *mapped = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL) {
        *mapped = -1;
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, f) != NULL) {
        char *path = strchr(line, '/');
        if (path == NULL)
            continue;
        path[strcspn(path, "\n")] = '\0';
        if (is_linalg(path))
            (*mapped)++;
    }
    fclose(f);
}

/* Pricing, random numbers and a book: the layers that never need BLAS. */
static void no_blas_work(void)
{
    qpm_pricer *p = NULL;
    double F[2] = {97000, 97000}, K[2] = {100000, 90000}, T[2] = {30 / 365.0, 30 / 365.0};
    double vol[2] = {0.55, 0.60}, price[2], iv[2];
    int32_t type[2] = {QPM_CALL, QPM_PUT};
    CHECK(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE) == QPM_OK, "%s",
          qpm_last_error());
    qpm_pricer_out out = {.size = sizeof out, .price = price};
    CHECK(qpm_pricer_price(p, 2, F, K, T, NULL, NULL, vol, type, &out) == QPM_OK, "%s",
          qpm_last_error());
    CHECK(qpm_pricer_implied_vol(p, 2, F, K, T, NULL, NULL, type, price, iv, NULL) == QPM_OK,
          "%s", qpm_last_error());
    CHECK(fabs(iv[0] - 0.55) < 1e-12 && fabs(iv[1] - 0.60) < 1e-12, "iv %g %g", iv[0], iv[1]);
    qpm_pricer_free(p);

    qpm_rng *g = NULL;
    double z[64];
    CHECK(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, 42) == QPM_OK, "%s", qpm_last_error());
    CHECK(qpm_rng_normal(g, 64, z) == QPM_OK, "%s", qpm_last_error());
    qpm_rng_free(g);

    int32_t instr[2] = {QPM_INSTR_INVERSE_OPTION, QPM_INSTR_SPOT}, expiry[2] = {30, 0};
    int32_t otype[2] = {QPM_CALL, 0};
    size_t und[2] = {0, 0};
    double strike[2] = {100000, 0}, qty[2] = {-10, 5}, mult[2] = {1, 1}, bvol[2] = {0.55, 0};
    double moves[2] = {0.05, -0.05}, pnl[2];
    qpm_book *b = NULL;
    qpm_status st = qpm_book_create(&b, NULL);
    if (st == QPM_OK)
        st = qpm_book_add_underlying(b, "BTC", 97000, 0.0, NULL);
    if (st == QPM_OK)
        st = qpm_book_set_forward(b, 0, 30, 97400, 30 / 365.0);
    if (st == QPM_OK)
        st = qpm_book_add_positions(b, 2, instr, und, expiry, otype, strike, qty, mult, NULL,
                                    bvol);
    if (st == QPM_OK)
        st = qpm_book_pnl(b, 2, moves, 1, NULL, 0, pnl);
    CHECK(st == QPM_OK, "book: %s", qpm_last_error());
    qpm_book_free(b);
}

static int with_blas(void)
{
    int t0 = threads(), loaded, mapped, blas;
    CHECK(t0 == 1, "%d threads at start", t0);
    no_blas_work();
    int t1 = threads();
    scan(&loaded, &mapped, &blas);
    CHECK(t1 == t0, "pricing, rng and book started threads: %d -> %d", t0, t1);
    CHECK(loaded == 0 && mapped == 0, "BLAS/LAPACK loaded before any cov/opt/risk handle: %d "
                                      "objects, %d mappings",
          loaded, mapped);

    qpm_cov *c = NULL;
    CHECK(qpm_cov_create(&c, NULL, 2) == QPM_OK, "cov create: %s", qpm_last_error());
    scan(&loaded, &mapped, &blas);
    CHECK(loaded > 0 && mapped > 0 && blas,
          "the BLAS '%s' is not loaded after qpm_cov_create (%d objects, %d mappings)", names[0],
          loaded, mapped);
    int (*nthreads)(void) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
    memcpy(&nthreads, &sym, sizeof nthreads);
    int t2 = threads();
    if (nthreads != NULL && nthreads() > 1)
        CHECK(t2 > t1, "OpenBLAS runs %d threads, but the process has %d (was %d)", nthreads(),
              t2, t1);
    fprintf(stderr, "threads: %d at start, %d after pricing, %d after qpm_cov_create "
                    "(OpenBLAS threads: %d)\n",
            t0, t1, t2, nthreads ? nthreads() : -1);

    /* the loaded routines work: sample covariance of 3 rows */
    double x[6] = {1, 2, 2, 1, 3, 6}, s[4];
    CHECK(qpm_cov_fit(c, 3, x, 2) == QPM_OK, "fit: %s", qpm_last_error());
    CHECK(qpm_cov_covariance(c, s, 2) == QPM_OK, "covariance: %s", qpm_last_error());
    CHECK(fabs(s[0] - 1.0) < 1e-15 && fabs(s[1] - 2.0) < 1e-15 && fabs(s[3] - 7.0) < 1e-14,
          "covariance %.17g %.17g %.17g", s[0], s[1], s[3]);
    qpm_cov_free(c);
    qpm_opt *o = NULL;
    qpm_risk *r = NULL;
    CHECK(qpm_opt_create(&o, NULL, 2) == QPM_OK, "opt create: %s", qpm_last_error());
    CHECK(qpm_risk_create(&r, NULL) == QPM_OK, "risk create: %s", qpm_last_error());
    qpm_opt_free(o);
    qpm_risk_free(r);
    return failures != 0;
}

static void expect_unsupported(qpm_status st, const char *what, const char *lib)
{
    CHECK(st == QPM_E_UNSUPPORTED, "%s: status %s, expected QPM_E_UNSUPPORTED", what,
          qpm_status_name(st));
    CHECK(strstr(qpm_last_error(), lib) != NULL, "%s: message '%s' does not name '%s'", what,
          qpm_last_error(), lib);
}

static int without_blas(void)
{
    const char *bad = getenv("QPM_BLAS_LIBRARY");
    if (bad == NULL)
        bad = getenv("QPM_LAPACKE_LIBRARY");
    if (bad == NULL) {
        fprintf(stderr, "FAIL: set QPM_BLAS_LIBRARY or QPM_LAPACKE_LIBRARY\n");
        return 1;
    }
    no_blas_work();
    for (int round = 0; round < 2; round++) {
        qpm_cov *c = (qpm_cov *)&failures;
        expect_unsupported(qpm_cov_create(&c, NULL, 2), "qpm_cov_create", bad);
        CHECK(c == NULL, "*out is not NULL after a failed create");
        qpm_opt *o = NULL;
        expect_unsupported(qpm_opt_create(&o, NULL, 2), "qpm_opt_create", bad);
        qpm_risk *r = NULL;
        expect_unsupported(qpm_risk_create(&r, NULL), "qpm_risk_create", bad);
        double a[4] = {1, 0, 0, 1}, l = 7, out[4];
        expect_unsupported(qpm_cov_min_eigenvalue(NULL, 2, a, 2, &l), "qpm_cov_min_eigenvalue",
                           bad);
        CHECK(l == 7, "lambda_min written on failure");
        expect_unsupported(
            qpm_cov_nearest_correlation(NULL, 2, a, 2, NULL, 1e-8, 10, out, 2, NULL, NULL),
            "qpm_cov_nearest_correlation", bad);
        if (round == 0)
            fprintf(stderr, "message: %s\n", qpm_last_error());
    }
    /* the stateless risk statistics need no BLAS */
    double loss[4] = {1, 2, 3, 4}, alpha = 0.5, var;
    CHECK(qpm_risk_var_es(NULL, 4, loss, 1, &alpha, &var, NULL, NULL, NULL) == QPM_OK, "%s",
          qpm_last_error());
    return failures != 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s BLAS LAPACKE [missing]\n", argv[0]);
        return 2;
    }
    names[0] = argv[1];
    names[1] = argv[2];
    int rc = argc > 3 && strcmp(argv[3], "missing") == 0 ? without_blas() : with_blas();
    fprintf(stderr, rc ? "FAILED\n" : "ok\n");
    return rc;
}
