/* Allocation failure at every k, for the test_<module>_oom suites.
 *
 * A path is a call (or a short sequence of calls) on handles prepared by
 * `setup`; oom_run_path:
 *   1. runs it once on a counting allocator that never fails: it must return
 *      QPM_OK; the allocations it makes (n) and a hash of its results
 *      (`observe`: the outputs it wrote and whatever the handles answer
 *      afterwards) are the reference;
 *   2. for every k < n, on fresh handles, makes only the k-th allocation of
 *      the path fail.  The call must return QPM_E_NOMEM with a message (or
 *      QPM_OK when that allocation was optional: then its results must be the
 *      reference bits), free every block it took (the live count is the one
 *      before the call), leave its handles usable: the same call again, with
 *      the allocator healthy, must return QPM_OK and the reference bits;
 *   3. after teardown no block is live.
 * The counts are printed ("oom <path>: n allocation points, m optional") and
 * returned for the suite's own bounds. */
#ifndef QPM_OOM_DRIVER_H
#define QPM_OOM_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/qpm.h"
#include "support/testutil.h"

typedef struct oom_path {
    const char *name;
    /* prepares ctx (handles created through fa; their allocations are not
     * part of the path) */
    void (*setup)(void *ctx, qt_failalloc *fa);
    /* the path under test; fa is the same allocator, for stateless calls */
    qpm_status (*call)(void *ctx, qt_failalloc *fa);
    /* hash of everything the path produced, read with the allocator healthy */
    uint64_t (*observe)(void *ctx);
    void (*teardown)(void *ctx);
    /* 1 when a retry after QPM_E_NOMEM must start from a fresh setup
     * (creates: the failed call produced no handle to retry on) */
    int create;
    /* optional: checks on the handles right after a QPM_E_NOMEM (the
     * driver has read the error message and status already) */
    void (*after_failure)(void *ctx);
    /* 1 when the call keeps buffers for later calls (risk runs): a failed
     * call may keep those it got before the failure, never more blocks than
     * the clean call keeps; teardown must still free every one */
    int keeps_buffers;
} oom_path;

typedef struct oom_counts {
    long points;   /* allocations of the clean run */
    long optional; /* of which failing them still gave QPM_OK */
    long kept;     /* failures after which the handle kept some buffers */
} oom_counts;

oom_counts oom_run_path(const oom_path *p, void *ctx);

/* A path made of several calls marks the start of each with oom_step(fa): a
 * failed call must leave the live count where its own call found it (the
 * calls before it may keep what they allocated). */
void oom_step(const qt_failalloc *fa);

/* FNV-1a over bytes, chained; OOM_HASH0 starts a chain. */
uint64_t oom_hash(uint64_t h, const void *data, size_t n);
#define OOM_HASH0 0xcbf29ce484222325u

#endif
