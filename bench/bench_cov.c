/* Covariance estimation speed against numpy and scikit-learn, side by side in
 * one run: T = 2000 daily returns of N = 100, 500 and 2000 assets.  The C
 * side times qpm_cov_fit plus the full-matrix getter (numpy and scikit-learn
 * also return the full matrix); bench_cov_ref.py, run with /usr/bin/python3
 * on the same data (written to a temporary file), times numpy.cov,
 * LedoitWolf, OAS and a vectorised numpy EWMA.  Both sides use the same
 * number of BLAS threads (--threads, default 1).  Each result is also
 * compared entry by entry with its reference.  Times are process CPU time,
 * the minimum over the repetitions on both sides: on a shared machine the
 * minimum is the least disturbed estimate of the uncontended time.
 *
 * usage: bench_cov [--threads K] [--n N1,N2,...] [--t T] [--ref bench_cov_ref.py] */
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "qpm/qpm.h"

#define MAXREF 16

struct ref {
    char name[128];
    double sec, shrink;
};

struct job {
    qpm_cov *c;
    size_t t, n;
    const double *x;
    double *out;
    size_t pushes, next;
};

/* Minimum process-CPU seconds per call of fn over reps timed runs after one
 * warm-up (CPU time: on a shared machine, time spent waiting for a core
 * does not count; with one BLAS thread it is the call's own work). */
static double best_time(void (*fn)(void *), void *ctx, int reps)
{
    fn(ctx);
    double best = (double)INFINITY;
    for (int i = 0; i < reps; i++) {
        double t0 = bench_cpu_now();
        fn(ctx);
        double dt = bench_cpu_now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

static void fit_job(void *p)
{
    struct job *j = p;
    if (qpm_cov_fit(j->c, j->t, j->x, j->n) != QPM_OK ||
        qpm_cov_covariance(j->c, j->out, j->n) != QPM_OK) {
        fprintf(stderr, "bench_cov: %s\n", qpm_last_error());
        exit(1);
    }
}

static void push_job(void *p)
{
    struct job *j = p;
    for (size_t k = 0; k < j->pushes; k++) {
        if (qpm_cov_push(j->c, j->x + j->next * j->n) != QPM_OK) {
            fprintf(stderr, "bench_cov: %s\n", qpm_last_error());
            exit(1);
        }
        j->next = (j->next + 1) % j->t;
    }
}

static void push_get_job(void *p)
{
    struct job *j = p;
    push_job(p);
    if (qpm_cov_covariance(j->c, j->out, j->n) != QPM_OK)
        exit(1);
}

/* One-factor returns with Student-t-like tails (scale mixture), vols 2-7 %. */
static void gen_returns(size_t t, size_t n, double *x)
{
    unsigned long long s = BENCH_SEED;
    for (size_t r = 0; r < t; r++) {
        double u1 = bench_uniform(&s, 1e-300, 1.0), u2 = bench_uniform(&s, 0.0, 1.0);
        double f = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        double tail = bench_uniform(&s, 0.0, 1.0) < 0.05 ? 3.0 : 1.0;
        for (size_t j = 0; j < n; j++) {
            double a = bench_uniform(&s, 1e-300, 1.0), b = bench_uniform(&s, 0.0, 1.0);
            double e = sqrt(-2.0 * log(a)) * cos(6.283185307179586 * b);
            double vol = 0.02 + 0.05 * (double)j / (double)n, beta = 0.3 + 0.6 * (double)(j % 7) / 7.0;
            x[r * n + j] = 2e-4 + vol * tail * (beta * f + sqrt(1.0 - beta * beta) * e);
        }
    }
}

static void set_blas_threads(int k)
{
    /* libopenblas is loaded through libqpm, by its first cov handle; its
     * setter is found at run time so that this program needs no BLAS link
     * of its own. */
    qpm_cov *c = NULL;
    if (qpm_cov_create(&c, NULL, 1) != QPM_OK)
        fprintf(stderr, "bench_cov: %s\n", qpm_last_error());
    qpm_cov_free(c);
    void *sym = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    void (*setter)(int) = NULL;
    if (sym)
        memcpy(&setter, &sym, sizeof setter);
    if (setter)
        setter(k);
    else
        fprintf(stderr, "bench_cov: openblas_set_num_threads not found; set "
                        "OPENBLAS_NUM_THREADS=%d\n",
                k);
}

static double max_rel_diff(const double *a, const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return (double)NAN;
    double *b = malloc(n * n * sizeof(double));
    size_t got = fread(b, sizeof(double), n * n, f);
    fclose(f);
    remove(path);
    double mx = 0.0, d = 0.0;
    for (size_t k = 0; k < got; k++) {
        mx = fmax(mx, fabs(b[k]));
        d = fmax(d, fabs(a[k] - b[k]));
    }
    free(b);
    return got == n * n ? d / mx : (double)NAN;
}

static int run_reference(const char *script, const char *data, size_t t, size_t n, int reps,
                         int threads, struct ref *refs)
{
    char cmd[PATH_MAX * 2 + 256];
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=%d OMP_NUM_THREADS=%d MKL_NUM_THREADS=%d /usr/bin/python3 "
             "'%s' '%s' %zu %zu %d 0.94 0.999",
             threads, threads, threads, script, data, t, n, reps);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    int k = 0;
    while (k < MAXREF &&
           fscanf(p, "%127s %lf %lf", refs[k].name, &refs[k].sec, &refs[k].shrink) == 3)
        k++;
    int rc = pclose(p);
    return rc == 0 ? k : 0;
}

static const char usage[] =
    "[--threads K] [--n N1,N2,...] [--t T] [--ref bench_cov_ref.py]\n"
    "  --threads K  BLAS threads on both sides, 1..256 (default 1)\n"
    "  --n LIST     asset counts, up to 8 of 2..20000 (default 100,500,2000)\n"
    "  --t T        observations, 2..1000000 (default 2000)\n"
    "  --ref FILE   the reference script (default: found beside the sources)";

int main(int argc, char **argv)
{
    int threads = 1;
    size_t t = 2000, ns[8] = {100, 500, 2000}, nn = 3;
    const char *ref_arg = NULL;
    bench_help(argc, argv, usage);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = (int)bench_arg_uint(argv, usage, argv[++i], "--threads", 1, 256);
        } else if (strcmp(argv[i], "--t") == 0 && i + 1 < argc) {
            t = (size_t)bench_arg_uint(argv, usage, argv[++i], "--t", 2, 1000000);
        } else if (strcmp(argv[i], "--ref") == 0 && i + 1 < argc) {
            ref_arg = argv[++i];
        } else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            nn = bench_arg_list(argv, usage, argv[++i], "--n", 2, 20000, ns, 8);
        } else {
            bench_bad_arg(argv, usage, "unknown or incomplete option", argv[i]);
        }
    }
    const char *script = bench_find_script(ref_arg, "bench_cov_ref.py");
    if (!script) {
        fprintf(stderr, "bench_cov: bench_cov_ref.py not found (use --ref)\n");
        return 2;
    }
    set_blas_threads(threads);
    printf("libqpm %s bench_cov: T = %zu, BLAS threads = %d (both sides)\n",
           qpm_version_string(), t, threads);

    for (size_t in = 0; in < nn; in++) {
        size_t n = ns[in];
        int reps = n >= 2000 ? 3 : (n >= 500 ? 9 : 21);
        double *x = malloc(t * n * sizeof(double)), *out = malloc(n * n * sizeof(double));
        gen_returns(t, n, x);
        char data[] = "/tmp/bench_cov_XXXXXX";
        int fd = mkstemp(data);
        if (fd < 0 || write(fd, x, t * n * sizeof(double)) != (ssize_t)(t * n * sizeof(double))) {
            fprintf(stderr, "bench_cov: cannot write %s\n", data);
            return 1;
        }
        close(fd);
        struct ref refs[MAXREF];
        int nref = run_reference(script, data, t, n, reps, threads, refs);
        if (nref < 7) {
            fprintf(stderr, "bench_cov: the reference script failed\n");
            return 1;
        }

        qpm_cov *c;
        if (qpm_cov_create(&c, NULL, n) != QPM_OK)
            return 1;
        struct job j = {c, t, n, x, out, 0, 0};
        struct {
            const char *label;
            int method;
            double lambda;
            int ref; /* index into refs */
            int ref2; /* second reference (store_precision=False), -1: none */
        } cases[] = {{"sample (ddof 1)", QPM_COV_SAMPLE, 0.94, 0, -1},
                     {"Ledoit-Wolf", QPM_COV_LEDOIT_WOLF, 0.94, 1, 2},
                     {"OAS", QPM_COV_OAS, 0.94, 3, 4},
                     {"EWMA lambda 0.94", QPM_COV_EWMA, 0.94, 5, -1},
                     {"EWMA lambda 0.999", QPM_COV_EWMA, 0.999, 6, -1}};
        double items = (double)t * (double)n;
        printf("\n### T = %zu, N = %zu (best of %d runs)\n", t, n, reps);
        printf("\n| case | qpm ms | reference | ref ms | speed-up | max diff / max entry |\n"
               "|---|---:|---|---:|---:|---:|\n");
        char rows[16][256]; /* for the harness table below */
        int nrows = 0;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            qpm_cov_set(c, QPM_COV_METHOD, cases[k].method);
            qpm_cov_set(c, QPM_COV_LAMBDA, cases[k].lambda);
            double sec = best_time(fit_job, &j, reps);
            char path[64];
            snprintf(path, sizeof path, "%s.%d", data, cases[k].ref);
            double diff = max_rel_diff(out, path, n);
            const struct ref *r = &refs[cases[k].ref];
            printf("| %s | %.2f | %s | %.2f | %.2fx | %.1e |\n", cases[k].label, 1e3 * sec,
                   r->name, 1e3 * r->sec, r->sec / sec, diff);
            if (cases[k].ref2 >= 0) {
                const struct ref *r2 = &refs[cases[k].ref2];
                snprintf(path, sizeof path, "%s.%d", data, cases[k].ref2);
                double diff2 = max_rel_diff(out, path, n);
                printf("| %s | %.2f | %s | %.2f | %.2fx | %.1e |\n", cases[k].label, 1e3 * sec,
                       r2->name, 1e3 * r2->sec, r2->sec / sec, diff2);
            }
            double s;
            if (qpm_cov_shrinkage(c, &s) == QPM_OK && !isnan(r->shrink))
                fprintf(stderr, "  %s shrinkage %.17g, reference %.17g\n", cases[k].label, s,
                        r->shrink);
            snprintf(rows[nrows++], sizeof rows[0], "%s|%.9g|%s|%.9g", cases[k].label, sec,
                     r->name, r->sec);
        }
        for (int k = 0; k < nref; k++) {
            char path[64];
            snprintf(path, sizeof path, "%s.%d", data, k);
            remove(path);
        }
        remove(data);

        /* streaming: one row into the running co-moments and the EWMA state */
        qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_SAMPLE);
        qpm_cov_reset(c);
        j.pushes = n >= 2000 ? 20 : 200;
        double push = best_time(push_job, &j, 9) / (double)j.pushes;
        j.pushes = 1;
        double push_get = best_time(push_get_job, &j, 15);
        printf("\nstreaming, N = %zu: qpm_cov_push %.3f ms per row; push + qpm_cov_covariance "
               "(full N x N copy) %.3f ms\n",
               n, 1e3 * push, 1e3 * push_get);

        printf("\n| case | ns/item | Mitems/s | ratio |\n|---|---:|---:|---:|\n");
        for (int k = 0; k < nrows; k++) {
            char label[128], rname[128];
            double sec, rsec;
            if (sscanf(rows[k], "%127[^|]|%lf|%127[^|]|%lf", label, &sec, rname, &rsec) != 4)
                continue;
            char full[200];
            snprintf(full, sizeof full, "qpm %s, N=%zu", label, n);
            bench_table_row(full, sec, items, rsec);
            snprintf(full, sizeof full, "%s, N=%zu", rname, n);
            bench_table_row(full, rsec, items, rsec);
        }
        bench_table_row("qpm_cov_push (items = N)", push, (double)n, push);
        qpm_cov_free(c);
        free(x);
        free(out);
    }
    return 0;
}
