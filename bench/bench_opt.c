/* Portfolio optimisation speed: long-only minimum variance and a 50-point
 * long-only efficient frontier at n = 100 and 500 assets (random factor
 * covariance, annualised scale), with scipy.optimize SLSQP on the same data
 * side by side (bench_opt_ref.py, run with /usr/bin/python3 and the same
 * number of BLAS threads).  Times are the minimum over the repetitions (the
 * least disturbed estimate on a shared machine); the SLSQP frontier is run
 * once.  The objectives of both sides are printed so that the accuracy of
 * each is visible: SLSQP stops at ftol = 1e-12.
 *
 * SLSQP needs minutes for a frontier at n = 500, so its frontier runs only
 * up to --ref-frontier-n assets (default 100).
 *
 * usage: bench_opt [--n N1,N2,...] [--points K] [--reps R] [--no-ref]
 *                  [--ref-frontier-n N] [--ref bench_opt_ref.py] */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "qpm/qpm.h"

struct job {
    qpm_opt *o;
    size_t n, k;
    double *w, *fw, *fr, *fv;
};

static void run_minvar(void *ctx)
{
    struct job *j = ctx;
    if (qpm_opt_solve(j->o, QPM_OPT_MIN_VARIANCE, j->w) != QPM_OK) {
        fprintf(stderr, "bench_opt: %s\n", qpm_last_error());
        exit(1);
    }
}

static void run_frontier(void *ctx)
{
    struct job *j = ctx;
    if (qpm_opt_frontier(j->o, j->k, j->fw, j->n, j->fr, j->fv) != QPM_OK) {
        fprintf(stderr, "bench_opt: %s\n", qpm_last_error());
        exit(1);
    }
}

static double best_time(void (*fn)(void *), void *ctx, int reps)
{
    fn(ctx);
    double best = (double)INFINITY;
    for (int i = 0; i < reps; i++) {
        double t0 = bench_now();
        fn(ctx);
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

/* random factor covariance: 5 factors plus idiosyncratic variance */
static void make_problem(size_t n, double *S, double *mu)
{
    unsigned long long s = BENCH_SEED;
    size_t f = 5;
    double *B = malloc(n * f * sizeof *B), *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n * f; i++)
        B[i] = bench_uniform(&s, -0.5, 0.5);
    for (size_t i = 0; i < n; i++) {
        d[i] = bench_uniform(&s, 0.02, 0.3);
        mu[i] = bench_uniform(&s, -0.1, 0.6);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double acc = i == j ? d[i] : 0.0;
            for (size_t k = 0; k < f; k++)
                acc += B[i * f + k] * B[j * f + k];
            S[i * n + j] = S[j * n + i] = acc;
        }
    free(B);
    free(d);
}

int main(int argc, char **argv)
{
    size_t ns[8] = {100, 500}, nn = 2, k = 50;
    int reps = 5, use_ref = 1;
    size_t ref_frontier_n = 100;
    const char *ref_arg = NULL;
    static const char usage[] =
        "[--n N1,N2,...] [--points K] [--reps R] [--no-ref] [--ref-frontier-n N]\n"
        "                 [--ref bench_opt_ref.py]\n"
        "  --n LIST            asset counts, up to 8 of 2..100000 (default 100,500)\n"
        "  --points K          frontier points, 2..10000 (default 50)\n"
        "  --reps R            repetitions, 1..1000 (default 5)\n"
        "  --no-ref            libqpm only, no scipy SLSQP\n"
        "  --ref-frontier-n N  largest n for the SLSQP frontier (default 100)\n"
        "  --ref FILE          the reference script (default: found beside the sources)";
    bench_help(argc, argv, usage);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            nn = bench_arg_list(argv, usage, argv[++i], "--n", 2, 100000, ns, 8);
        } else if (strcmp(argv[i], "--points") == 0 && i + 1 < argc) {
            k = (size_t)bench_arg_uint(argv, usage, argv[++i], "--points", 2, 10000);
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = (int)bench_arg_uint(argv, usage, argv[++i], "--reps", 1, 1000);
        } else if (strcmp(argv[i], "--ref-frontier-n") == 0 && i + 1 < argc) {
            ref_frontier_n = (size_t)bench_arg_uint(argv, usage, argv[++i], "--ref-frontier-n", 0,
                                                    100000);
        } else if (strcmp(argv[i], "--no-ref") == 0) {
            use_ref = 0;
        } else if (strcmp(argv[i], "--ref") == 0 && i + 1 < argc) {
            ref_arg = argv[++i];
        } else {
            bench_bad_arg(argv, usage, "unknown or incomplete option", argv[i]);
        }
    }
    const char *script = use_ref ? bench_find_script(ref_arg, "bench_opt_ref.py") : NULL;
    if (use_ref && script == NULL)
        fprintf(stderr, "bench_opt: bench_opt_ref.py not found: no SLSQP comparison\n");
    printf("# bench_opt: long-only minimum variance and a %zu-point frontier\n\n", k);
    printf("| n | case | libqpm s | SLSQP s | SLSQP/libqpm | libqpm objective | SLSQP "
           "objective |\n|---:|---|---:|---:|---:|---:|---:|\n");
    for (size_t t = 0; t < nn; t++) {
        size_t n = ns[t];
        double *S = malloc(n * n * sizeof *S), *mu = malloc(n * sizeof *mu);
        struct job j = {NULL, n, k, malloc(n * sizeof(double)), malloc(k * n * sizeof(double)),
                        malloc(k * sizeof(double)), malloc(k * sizeof(double))};
        make_problem(n, S, mu);
        if (qpm_opt_create(&j.o, NULL, n) != QPM_OK ||
            qpm_opt_set_covariance(j.o, S, n) != QPM_OK ||
            qpm_opt_set_expected_returns(j.o, mu) != QPM_OK) {
            fprintf(stderr, "bench_opt: %s\n", qpm_last_error());
            return 1;
        }
        double tm = best_time(run_minvar, &j, reps), obj, fobj;
        qpm_opt_info(j.o, QPM_OPT_INFO_OBJECTIVE, &obj);
        double tf = best_time(run_frontier, &j, reps > 3 ? 3 : reps);
        fobj = j.fv[k - 1] * j.fv[k - 1];
        double rm = (double)NAN, rf = (double)NAN, rmo = (double)NAN, rfo = (double)NAN;
        if (script != NULL) {
            char path[] = "/tmp/bench_opt_XXXXXX";
            int fd = mkstemp(path);
            FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
            if (f != NULL) {
                fwrite(S, sizeof(double), n * n, f);
                fwrite(mu, sizeof(double), n, f);
                fclose(f);
                char cmd[PATH_MAX * 2 + 256], name[64];
                snprintf(cmd, sizeof cmd,
                         "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 '%s' '%s' "
                         "%zu %d %zu",
                         script, path, n, reps, n <= ref_frontier_n ? k : (size_t)0);
                FILE *p = popen(cmd, "r");
                double sec, o;
                while (p != NULL && fscanf(p, "%63s %lf %lf", name, &sec, &o) == 3) {
                    if (strcmp(name, "minvar_slsqp") == 0) {
                        rm = sec;
                        rmo = o;
                    } else if (strcmp(name, "frontier_slsqp") == 0) {
                        rf = sec;
                        rfo = o;
                    }
                }
                if (p != NULL)
                    pclose(p);
                remove(path);
            }
        }
        printf("| %zu | minimum variance | %.4g | %.4g | %.1f | %.15g | %.15g |\n", n, tm, rm,
               rm / tm, obj, rmo);
        printf("| %zu | frontier, %zu points | %.4g | %.4g | %.1f | %.15g | %.15g |\n", n, k, tf,
               rf, rf / tf, fobj, rfo);
        fflush(stdout);
        qpm_opt_free(j.o);
        free(S);
        free(mu);
        free(j.w);
        free(j.fw);
        free(j.fr);
        free(j.fv);
    }
    return 0;
}
