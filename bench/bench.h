/* Minimal timing harness for the bench programs: monotonic clock, warm-up,
 * median of repetitions, and a results-table printer.  Header-only. */
#ifndef QPM_BENCH_H
#define QPM_BENCH_H

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Path of a bench helper script `name` (e.g. "bench_cov_ref.py"): `given`
 * when not NULL, else <source>/bench/<name> found from this executable's
 * place in <source>/<build>/bench/, else ./bench/<name>; NULL when none is
 * readable.  The result may point to a static buffer. */
static inline const char *bench_find_script(const char *given, const char *name)
{
    static char buf[PATH_MAX + 64];
    if (given)
        return given;
    ssize_t len = readlink("/proc/self/exe", buf, PATH_MAX);
    if (len > 0) {
        buf[len] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash && strlen(name) < 60) {
            snprintf(slash, sizeof buf - (size_t)(slash - buf), "/../../bench/%s", name);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    snprintf(buf, sizeof buf, "bench/%s", name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* ---- command line -----------------------------------------------------------
 * Every bench program answers --help (or -h) with its usage on stdout and
 * exit status 0, and a bad argument with a message and the usage on stderr
 * and exit status 2, before doing any work.  `usage` is the text after the
 * program name ("[n] (default 100000)"). */
static inline const char *bench_prog(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    return slash ? slash + 1 : argv0;
}

static inline void bench_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s %s\n", bench_prog(argv[0]), usage);
            exit(0);
        }
}

static inline void bench_bad_arg(char **argv, const char *usage, const char *why, const char *arg)
{
    fprintf(stderr, "%s: %s: '%s'\nusage: %s %s\n", bench_prog(argv[0]), why, arg,
            bench_prog(argv[0]), usage);
    exit(2);
}

/* The whole of `arg` as a decimal integer in [lo, hi], else bench_bad_arg. */
static inline unsigned long long bench_arg_uint(char **argv, const char *usage, const char *arg,
                                                const char *what, unsigned long long lo,
                                                unsigned long long hi)
{
    char *end = NULL, why[96];
    errno = 0;
    unsigned long long v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || v < lo || v > hi) {
        snprintf(why, sizeof why, "%s must be an integer in %llu..%llu", what, lo, hi);
        bench_bad_arg(argv, usage, why, arg);
    }
    return v;
}

/* The whole of `arg` as a finite number in [lo, hi], else bench_bad_arg. */
static inline double bench_arg_double(char **argv, const char *usage, const char *arg,
                                      const char *what, double lo, double hi)
{
    char *end = NULL, why[96];
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || errno != 0 || !isfinite(v) || v < lo || v > hi) {
        snprintf(why, sizeof why, "%s must be a number in [%g, %g]", what, lo, hi);
        bench_bad_arg(argv, usage, why, arg);
    }
    return v;
}

/* A comma-separated list of 1 to `max` integers in [lo, hi] into out[];
 * returns how many, else bench_bad_arg. */
static inline size_t bench_arg_list(char **argv, const char *usage, const char *arg,
                                    const char *what, unsigned long long lo, unsigned long long hi,
                                    size_t *out, size_t max)
{
    char buf[256], why[96];
    size_t count = 0;
    if (strlen(arg) >= sizeof buf)
        bench_bad_arg(argv, usage, "list too long", arg);
    strcpy(buf, arg);
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        if (count == max) {
            snprintf(why, sizeof why, "at most %zu values for %s", max, what);
            bench_bad_arg(argv, usage, why, arg);
        }
        out[count++] = (size_t)bench_arg_uint(argv, usage, tok, what, lo, hi);
    }
    if (count == 0)
        bench_bad_arg(argv, usage, "empty list", arg);
    return count;
}

/* No argument at all (besides --help). */
static inline void bench_no_args(int argc, char **argv, const char *usage)
{
    bench_help(argc, argv, usage);
    if (argc > 1)
        bench_bad_arg(argv, usage, "takes no arguments", argv[1]);
}

/* Fixed seeds so every run times the same inputs. */
#define BENCH_SEED 20261126u

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time (monotonic). */
static inline double bench_now(void) { return bench_clock(CLOCK_MONOTONIC); }

/* Process CPU time: less inflated than wall time when other jobs share the
 * machine (but counts every thread of the process). */
static inline double bench_cpu_now(void) { return bench_clock(CLOCK_PROCESS_CPUTIME_ID); }

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs fn(ctx) `warmup` times untimed, then `reps` timed repetitions on the
 * clock `now`; returns the median seconds per call of fn.  reps <= 64. */
static inline double bench_median_on(double (*now)(void), void (*fn)(void *), void *ctx,
                                     int warmup, int reps)
{
    double t[64];
    if (reps > 64)
        reps = 64;
    if (reps < 1)
        reps = 1;
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        fn(ctx);
        t[i] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof t[0], bench_cmp_double);
    return t[reps / 2];
}

/* Median seconds per call on the wall clock. */
static inline double bench_median(void (*fn)(void *), void *ctx, int warmup, int reps)
{
    return bench_median_on(bench_now, fn, ctx, warmup, reps);
}

/* Median seconds per call on the process CPU clock. */
static inline double bench_median_cpu(void (*fn)(void *), void *ctx, int warmup, int reps)
{
    return bench_median_on(bench_cpu_now, fn, ctx, warmup, reps);
}

/* The one-minute load average (/proc/loadavg), or -1 where there is none:
 * printed with each figure, since the machines are shared. */
static inline double bench_load(void)
{
    double load = -1;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf != NULL) {
        if (fscanf(lf, "%lf", &load) != 1)
            load = -1;
        fclose(lf);
    }
    return load;
}

/* Deterministic uniform in [lo, hi) from a 64-bit LCG state (splitmix64). */
static inline double bench_uniform(unsigned long long *state, double lo, double hi)
{
    unsigned long long z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

/* Results table: one header, then rows "name | ns per item | items/s | ratio". */
static inline void bench_table_header(const char *title)
{
    printf("\n## %s\n\n| case | ns/item | Mitems/s | ratio |\n|---|---:|---:|---:|\n", title);
}

static inline void bench_table_row(const char *name, double sec_per_call, double items,
                                   double ref_sec_per_call)
{
    double ns = 1e9 * sec_per_call / items;
    printf("| %s | %.2f | %.2f | %.2fx |\n", name, ns, items / sec_per_call / 1e6,
           ref_sec_per_call / sec_per_call);
}

#endif
