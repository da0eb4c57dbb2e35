/* qpm_dump: writes the exact bits of every result libqpm computes on fixed
 * inputs, one line per value (format in dump.h), so that two builds of the
 * library can be compared value by value (scripts/compare-results.sh).
 *
 * It uses the public API only (the functions exported since 0.2), so the
 * same binary runs against any build of the library with the same SONAME:
 *     LD_LIBRARY_PATH=<build dir> qpm_dump > results.txt
 * Families: core, rng, pricing, cov, book, opt, risk (dump_<family>.c).
 *
 * Reference inputs come from the folder given by --refdata DIR, else the
 * QPM_REFDATA environment variable, else the folder compiled in as
 * QPM_REFDATA_DEFAULT when it exists, else tests/data/refdata relative to
 * the current directory (the repository's copies, tests/data/README.md).
 *
 * Results that depend on the machine are the same for both builds as long
 * as both runs use the same machine and environment: run with
 * OPENBLAS_NUM_THREADS=1 (the covariance kernels choose their path by the
 * BLAS thread count).
 *
 * Exit status: 0 after a complete dump (whatever statuses the library
 * returned: they are results), 2 when the tool itself could not run. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"

struct family {
    const char *name;
    void (*run)(void);
};

static const struct family all_families[] = {
    {"core", dump_core}, {"rng", dump_rng}, {"pricing", dump_pricing}, {"cov", dump_cov},
    {"book", dump_book}, {"opt", dump_opt}, {"risk", dump_risk},
};
#define N_FAMILIES (sizeof all_families / sizeof all_families[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int usable_dir(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bsm_public.csv", dir);
    return access(path, R_OK) == 0;
}

static const char *find_refdata(const char *given)
{
    if (given != NULL)
        return given;
    const char *env = getenv("QPM_REFDATA");
    if (env != NULL && env[0] != '\0')
        return env;
#ifdef QPM_REFDATA_DEFAULT
    if (usable_dir(QPM_REFDATA_DEFAULT))
        return QPM_REFDATA_DEFAULT;
#endif
    return "tests/data/refdata";
}

/* The file the dynamic linker loaded libqpm from: the comparison script
 * checks it, so that a stray rpath cannot make both runs use one library. */
static const char *library_path(void)
{
    union {
        const char *(*fn)(void);
        void *p;
    } sym;
    sym.fn = qpm_version_string;
    Dl_info info;
    if (dladdr(sym.p, &info) == 0 || info.dli_fname == NULL)
        return "unknown";
    static char buf[4096];
    if (realpath(info.dli_fname, buf) == NULL)
        return info.dli_fname;
    return buf;
}

static void usage(FILE *f)
{
    fputs("usage: qpm_dump [--refdata DIR] [--only FAMILY[,FAMILY...]] [--list]\n"
          "Writes every result of libqpm on fixed inputs, one line per value:\n"
          "<case> <index> <value> (doubles as %a).  A summary goes to stderr.\n",
          f);
}

static int selected(const char *only, const char *name)
{
    if (only == NULL)
        return 1;
    size_t len = strlen(name);
    for (const char *p = only; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0)
            return 1;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *given = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--refdata") == 0 && i + 1 < argc) {
            given = argv[++i];
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--list") == 0) {
            for (size_t f = 0; f < N_FAMILIES; f++)
                puts(all_families[f].name);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (only != NULL)
        for (const char *p = only; *p;) {
            const char *e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            int known = 0;
            for (size_t f = 0; f < N_FAMILIES; f++)
                known |=
                    strlen(all_families[f].name) == l && strncmp(all_families[f].name, p, l) == 0;
            if (!known)
                dump_die("unknown family '%.*s' (--list names them)", (int)l, p);
            if (e == NULL)
                break;
            p = e + 1;
        }
    dump_set_refdata(find_refdata(given));

    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    unsigned kernels = dump_pricer_kernels();
    printf("# qpm_dump: <case> <index> <value>; doubles as %%a, NaN as nan:<bits>\n");
    printf("# library %s %s\n", qpm_version_string(), library_path());
    printf("# cpu_features 0x%x pricer_kernels%s%s%s\n", qpm_cpu_features(),
           kernels & 2u ? " 1" : "", kernels & 4u ? " 2" : "", kernels & 8u ? " 3" : "");
    printf("# refdata %s\n", dump_refdata());
    /* the environment that chooses BLAS paths, for the record */
    static const char *env_names[] = {"OPENBLAS_NUM_THREADS", "QPM_BLAS_LIBRARY",
                                      "QPM_LAPACKE_LIBRARY"};
    printf("# env");
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++) {
        const char *v = getenv(env_names[i]);
        printf(" %s=%s", env_names[i], v != NULL ? v : "(unset)");
    }
    printf("\n");

    double t0 = now(), tf[N_FAMILIES] = {0};
    for (size_t f = 0; f < N_FAMILIES; f++) {
        if (!selected(only, all_families[f].name))
            continue;
        double t = now();
        dump_family(all_families[f].name);
        all_families[f].run();
        tf[f] = now() - t;
    }
    fflush(stdout);
    if (ferror(stdout))
        dump_die("write error on stdout");
    double total = now() - t0;

    const dump_family_count *fc;
    size_t nf = dump_family_counts(&fc), lines = 0;
    for (size_t i = 0; i < nf; i++)
        lines += fc[i].lines;
    fprintf(stderr, "qpm_dump: libqpm %s from %s; pricer kernels run:%s%s%s\n",
            qpm_version_string(), library_path(), kernels & 2u ? " 1" : "",
            kernels & 4u ? " 2" : "", kernels & 8u ? " 3" : "");
    fprintf(stderr, "qpm_dump: %zu values in %.2f s:", lines, total);
    for (size_t i = 0; i < nf; i++) {
        double secs = 0.0;
        for (size_t f = 0; f < N_FAMILIES; f++)
            if (strcmp(all_families[f].name, fc[i].name) == 0)
                secs = tf[f];
        fprintf(stderr, " %s %zu (%.2f s)%s", fc[i].name, fc[i].lines, secs,
                i + 1 < nf ? "," : "\n");
    }
    return 0;
}
