/* Bench of the harness itself and of error-path overhead: how long a status
 * round trip through qpm_status_str and qpm_last_error takes. */
#include "bench.h"
#include "qpm/qpm.h"

static void status_loop(void *ctx)
{
    volatile size_t sink = 0;
    for (int i = 0; i < 100000; i++)
        sink += (size_t)qpm_status_str((qpm_status)(i % 4))[0];
    (void)sink;
    (void)ctx;
}

int main(int argc, char **argv)
{
    bench_no_args(argc, argv, "\n  (no arguments)");
    printf("libqpm %s bench_core\n", qpm_version_string());
    double t = bench_median(status_loop, NULL, 2, 11);
    bench_table_header("core");
    bench_table_row("qpm_status_str", t, 100000, t);
    return 0;
}
