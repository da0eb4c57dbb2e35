#include "oom_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

uint64_t oom_hash(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static long step_live = -1;

void oom_step(const qt_failalloc *fa)
{
    step_live = fa->live;
}

oom_counts oom_run_path(const oom_path *p, void *ctx)
{
    oom_counts c = {0, 0, 0};
    qt_failalloc fa;

    /* the clean run */
    qt_failalloc_init(&fa, -1);
    p->setup(ctx, &fa);
    long before = fa.calls;
    qpm_status st = p->call(ctx, &fa);
    cr_assert_eq(st, QPM_OK, "%s: clean run gives %s: %s", p->name, qpm_status_name(st),
                 qpm_last_error());
    c.points = fa.calls - before;
    long clean_live = fa.live;
    uint64_t ref = p->observe(ctx);
    p->teardown(ctx);
    cr_assert_eq(fa.live, 0, "%s: %ld blocks live after the clean run", p->name, fa.live);

    for (long k = 0; k < c.points; k++) {
        qt_failalloc_init(&fa, -1);
        p->setup(ctx, &fa);
        step_live = fa.live;
        qt_failalloc_only(&fa, k);
        qpm_clear_error();
        st = p->call(ctx, &fa);
        qt_failalloc_only(&fa, -1);
        if (st == QPM_OK) {
            c.optional++;
            cr_assert_eq(p->observe(ctx), ref,
                         "%s: allocation %ld failed, QPM_OK, but other results", p->name, k);
        } else {
            cr_assert_eq(st, QPM_E_NOMEM, "%s: allocation %ld failed: %s (%s)", p->name, k,
                         qpm_status_name(st), qpm_last_error());
            cr_assert_str_not_empty(qpm_last_error(), "%s: NOMEM at %ld without a message", p->name,
                                    k);
            cr_assert_eq(qpm_last_status(), QPM_E_NOMEM, "%s: k = %ld", p->name, k);
            if (p->keeps_buffers) {
                cr_assert_leq(fa.live, clean_live,
                              "%s: allocation %ld failed and the handle holds %ld blocks, more "
                              "than the %ld of a successful call",
                              p->name, k, fa.live, clean_live);
                c.kept += fa.live > step_live;
            } else {
                cr_assert_eq(fa.live, step_live, "%s: allocation %ld failed and %ld blocks leaked",
                             p->name, k, fa.live - step_live);
            }
            if (p->after_failure != NULL)
                p->after_failure(ctx);
            if (p->create) { /* nothing to retry on: start again */
                p->teardown(ctx);
                cr_assert_eq(fa.live, 0, "%s: k = %ld", p->name, k);
                p->setup(ctx, &fa);
            }
            st = p->call(ctx, &fa);
            cr_assert_eq(st, QPM_OK, "%s: retry after NOMEM at allocation %ld gives %s (%s)",
                         p->name, k, qpm_status_name(st), qpm_last_error());
            cr_assert_eq(p->observe(ctx), ref,
                         "%s: retry after NOMEM at allocation %ld gives other bits", p->name, k);
        }
        p->teardown(ctx);
        cr_assert_eq(fa.live, 0, "%s: %ld blocks live after teardown (k = %ld)", p->name, fa.live,
                     k);
    }
    fprintf(stderr, "oom %s: %ld allocation points, %ld optional", p->name, c.points, c.optional);
    if (c.kept)
        fprintf(stderr, ", %ld failures kept earlier run buffers for reuse", c.kept);
    fputc('\n', stderr);
    return c;
}
