/* Minimal timing harness for the bench programs: monotonic clock, warm-up,
 * median of repetitions, and a results-table printer.  Header-only. */
#ifndef QPM_BENCH_H
#define QPM_BENCH_H

#include <limits.h>
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
